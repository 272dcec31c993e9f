"""What one scan costs the kiosk without the disk: processor time and pages written to the WAL.

``bench_pipeline.py`` measures latency with the fsync; this isolates what a change of schema
or code adds to each scan: the same scans through the real pipeline and store with
``synchronous=OFF``, and the WAL's frames counted with every checkpoint held off (the
store's upkeep thread, where the tree has one, and SQLite's automatic one). The names' move
into the full-text index is counted in, amortised: it is made once at the end. From the
log's frame headers it also gives what a checkpoint every N write transactions would copy
into the database per scan (each page once, however many scans rewrote it). It imports
only ``Pipeline``, ``Store`` and ``Scan``, so it measures an older tree too:

    PYTHONPATH=<tree> .venv/bin/python scripts/bench_scan_cost.py [--scans 5000] [--dir DIR]
        [--leaving] [--checkpoint-every N]

``--leaving``: every other scan is someone going out who came in 100 scans before (a
checkpoint's day: people in, and out again later), not a new person coming in.

``--shuffled``: the people in no order (card numbers spread over the range, as they come to a
checkpoint), not in ascending order (``bench_pipeline.py``'s): keyed by person, ``presence``
and ``entries_person`` then split anywhere, not at their right edge.

``--page-size N``: the store made with that page size (every frame in the log is a whole
page; SQLite's default is 4096).

Without ``--checkpoint-every``, the log's frames are also given by the table or index whose
page each is (SQLite's ``dbstat``; ``page 1``: the file's header, written when it grows).

``--checkpoint-every N``: the log as a running kiosk keeps it. Its upkeep thread checkpoints
every 128 write transactions (``kiosk.upkeep.CHECKPOINT_EVERY``), so the next scan writes the
log from its start again, over blocks the file already has; held off, the log grows and every
frame is appended (the file system allocates each block: ~2 µs a frame more on ext4). Here a
``PRAGMA wal_checkpoint(PASSIVE)`` runs every N scans, off the clock; its processor time is
given apart, a scan.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import sqlite3
import statistics
import struct
import tempfile
import time
from pathlib import Path

from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Tú", "Phạm Thị Dung", "Hoàng Đức Hải"]
WARM_UP = 500
CHECKPOINT_EVERY = (32, 128, 256)
"""Write transactions between checkpoints whose copying is shown."""


def cccd(i: int) -> bytes:
    """The payloads of ``bench_pipeline.py``: a new person each scan."""
    return (f"{i:012d}|{100000000 + i}|{NAMES[i % len(NAMES)]}|01021990|Nam|"
            f"Số {i} Phố Huế, Hà Nội|10102021").encode()


def hold_off_upkeep() -> None:
    """No background checkpoint or move during the run (a tree without them: nothing)."""
    try:
        from kiosk import upkeep
    except ImportError:
        return
    upkeep.CHECKPOINT_EVERY = 10**9
    upkeep.CHECKPOINT_QUIET_SECONDS = 10**6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=5000)
    parser.add_argument("--dir", default=".", help="folder for the store (default: .)")
    parser.add_argument("--leaving", action="store_true",
                        help="every other scan someone going out (default: all new, in)")
    parser.add_argument("--shuffled", action="store_true",
                        help="the people in no order (default: ascending card numbers)")
    parser.add_argument("--page-size", type=int, default=0, metavar="N",
                        help="make the store with this page size (default: SQLite's)")
    parser.add_argument("--checkpoint-every", type=int, default=0, metavar="N",
                        help="checkpoint every N scans, off the clock, so the log is "
                             "written over as on a running kiosk (default: never)")
    args = parser.parse_args()
    hold_off_upkeep()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-scan-cost-") as tmp:
        if args.page_size:  # before the file's first write: the switch to WAL writes it
            made = sqlite3.connect(Path(tmp) / "kiosk.db")
            made.execute(f"PRAGMA page_size={args.page_size}")
            made.execute("PRAGMA journal_mode=WAL")
            made.close()
        store = Store(Path(tmp) / "kiosk.db")
        store.conn.execute("PRAGMA synchronous=OFF")
        store.conn.execute("PRAGMA wal_autocheckpoint=0")
        pipeline = Pipeline(store, Policy(checkpoint_id="CP-BENCH", kiosk_id="k-bench"))
        people = numbers(WARM_UP + args.scans, args.shuffled)
        for i in people[:WARM_UP]:
            pipeline.submit(Scan(payload=cccd(i), device_id="bench", lane="in"))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        scans = day_of_scans(people, args.scans, args.leaving)
        count = len(scans)
        samples: list[float] = []
        every = args.checkpoint_every or count
        cpu = checkpointing = 0.0
        frames = 0
        for at in range(0, count, every):
            started_cpu = time.process_time()
            for scan in scans[at:at + every]:
                started = time.perf_counter()
                pipeline.submit(scan)
                samples.append(time.perf_counter() - started)
            cpu += time.process_time() - started_cpu
            if args.checkpoint_every:
                started_cpu = time.process_time()
                frames += store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
                checkpointing += time.process_time() - started_cpu
        if not args.checkpoint_every:
            transactions = logged_transactions(Path(tmp) / "kiosk.db-wal")
        if hasattr(store, "index_names"):
            store.index_names()
        if not args.checkpoint_every:
            owners = frames_by_owner(Path(tmp) / "kiosk.db-wal", store.conn)
        page_size = store.conn.execute("PRAGMA page_size").fetchone()[0]
        frames += store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        log_size = (Path(tmp) / "kiosk.db-wal").stat().st_size
        store.close()
    samples.sort()
    print(f"{count} scans{' (every other one leaving)' if args.leaving else ''}"
          f"{', people in no order' if args.shuffled else ''}, page size {page_size}, "
          f"synchronous=OFF, load avg {os.getloadavg()[0]:.2f}: "
          f"processor {cpu / count * 1000:.3f} ms a scan, "
          f"p50 {samples[len(samples) // 2] * 1000:.3f} ms, "
          f"p99 {samples[int(len(samples) * .99)] * 1000:.3f} ms, "
          f"mean {statistics.fmean(samples) * 1000:.3f} ms, "
          f"WAL {frames / count:.2f} pages a scan "
          f"({frames * (page_size + 24) / count / 1024:.1f} KiB)")
    if args.checkpoint_every:
        print(f"checkpoint every {every} scans (off the clock): processor "
              f"{checkpointing / count * 1000:.3f} ms a scan; the log file at the end "
              f"{log_size / 1024:.0f} KiB (written over, not grown)")
    else:
        print("database pages a checkpoint copies, a scan: " + ", ".join(
            f"every {every} write transactions {copied_per_scan(transactions, every):.2f}"
            for every in CHECKPOINT_EVERY))
        print("log pages a scan by owner: " + ", ".join(
            f"{name} {pages / count:.2f}" for name, pages in owners.most_common()
            if pages / count >= 0.005))


def numbers(count: int, shuffled: bool) -> list[int]:
    """The people's numbers, in the order they come: ascending, or (``shuffled``) spread
    over the range of card numbers in an order fixed by a seed, so runs compare."""
    if not shuffled:
        return list(range(count))
    spread = [i * 7919 % 10**9 for i in range(count)]  # 7919 prime: all distinct
    random.Random(2026).shuffle(spread)
    return spread


def day_of_scans(people: list[int], count: int, leaving: bool) -> list[Scan]:
    """``count`` scans after the warm-up's: each a new person coming in, or (``leaving``)
    in turn a new person coming in and one who came in 100 scans before going out."""
    if not leaving:
        return [Scan(payload=cccd(i), device_id="bench", lane="in")
                for i in people[WARM_UP:WARM_UP + count]]
    scans = []
    for at in range(WARM_UP, WARM_UP + count // 2):
        scans.append(Scan(payload=cccd(people[at]), device_id="bench", lane="in"))
        scans.append(Scan(payload=cccd(people[at - 100]), device_id="bench", lane="out"))
    return scans


def frames_by_owner(wal: Path, conn: sqlite3.Connection) -> collections.Counter[str]:
    """The log's frames by the table or index whose page each holds (``dbstat``; the
    file's first page, its header, as ``page 1``)."""
    owner = dict(conn.execute("SELECT pageno, name FROM dbstat"))
    owner[1] = "page 1"
    return collections.Counter(owner.get(page, "free") for transaction in
                               logged_transactions(wal) for page in transaction)


def logged_transactions(wal: Path) -> list[set[int]]:
    """The pages each committed write transaction put in the log, from its frame headers
    (page number, then the database size on a transaction's last frame)."""
    data = wal.read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    transactions, pages = [], set()
    for at in range(32, len(data) - 24 - page_size + 1, 24 + page_size):
        page, committed = struct.unpack(">II", data[at:at + 8])
        pages.add(page)
        if committed:
            transactions.append(pages)
            pages = set()
    return transactions


def copied_per_scan(transactions: list[set[int]], every: int) -> float:
    """Database pages a checkpoint every ``every`` transactions writes, per transaction."""
    windows = [set().union(*transactions[at:at + every])
               for at in range(0, len(transactions) - every + 1, every)]
    return sum(map(len, windows)) / max(1, len(windows) * every)


if __name__ == "__main__":
    main()
