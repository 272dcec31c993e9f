"""The oldest pending entry's cost (review 40 G3): each health report (one per batch and
heartbeat), the sync screen and ``kiosk sync status`` ask for it.

A real store of ENTRIES entries, the last PENDING of them pending, in two shapes:
``right`` (the clock right all along: the first pending in id order is the oldest) and
``set-back`` (the worst case: the clock ran 200 days ahead for the first pending entry, was
set right in the same boot, and every other pending entry was written behind it, flagged
``clock_behind``, with an id below it). Times ``Store.oldest_pending`` +
``Store.oldest_pending_moment`` (what a report reads) with timeit. Then the drain (review 41
K1): in the set-back shape, the pending entries acknowledged ``--batch`` at a time in id
order through ``Store.mark_synced``, as the uploader does, each answer followed by
``Store.oldest_pending`` (uploader.py, after each answer kept): the reads' total and worst
over the whole drain, under the store lock.

usage: bench_oldest_pending.py [--entries 300000] [--pending 100000] [--rounds 200]
                               [--batch 2000 500]
It runs against whichever ``kiosk`` is on ``sys.path`` (PYTHONPATH=a tree of before).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import timeit
from pathlib import Path

if __name__ == "__main__" and "kiosk" not in sys.modules and not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.ids import boot_id, id_prefix
from kiosk.store import ENTRY_COLUMNS, Store
from tests.sync_support import backlog_rows, utc_iso


def build(path: Path, entries: int, pending: int, set_back: bool) -> None:
    import datetime as dt
    store = Store(path)
    boot, now, mono = boot_id(), time.time(), time.monotonic_ns()
    ahead = 200 * 86400
    rows = []
    for i, row in enumerate(backlog_rows(entries, kiosk_id="k1", long_every=0)):
        wall = now - (entries - i) * 0.5
        monotonic_ns = mono - round((now - wall) * 1e9)
        if set_back and i == entries - pending:  # the oldest pending: the clock ahead
            wall += ahead
        moment = dt.datetime.fromtimestamp(wall, dt.UTC)
        row.update(id=f"{id_prefix(moment)}-7000-8000-{i:012x}", scanned_at=utc_iso(wall),
                   boot_id=boot, monotonic_ns=monotonic_ns)
        if set_back and i > entries - pending:  # written behind the one ahead
            row["extra"] = json.dumps({"clock_behind": {"not_before": utc_iso(
                wall + ahead), "seconds": ahead}})
        rows.append([row[c] for c in ENTRY_COLUMNS])
    with store.transaction() as conn:
        conn.executemany(f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
                         f"VALUES ({', '.join('?' for _ in ENTRY_COLUMNS)})", rows)
        conn.execute("UPDATE entries SET sync_state = 'acknowledged' WHERE id IN (SELECT id "
                     "FROM entries ORDER BY monotonic_ns LIMIT ?)", (entries - pending,))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=300_000)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--batch", type=int, nargs="*", default=[2000, 500])
    args = parser.parse_args()
    print(f"{platform.node()} {os.cpu_count()} cpu, SQLite {sqlite3.sqlite_version}, "
          f"load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        for shape in ("right", "set-back"):
            path = Path(folder, f"{shape}.db")
            build(path, args.entries, args.pending, shape == "set-back")
            store = Store(path)
            try:
                def read(store: Store = store) -> None:
                    store.oldest_pending()
                    store.oldest_pending_moment()
                first = timeit.timeit(read, number=1)  # a Store's first report
                best = min(timeit.repeat(read, number=1, repeat=args.rounds))
                print(f"{shape}: {args.entries} entries, {args.pending} pending: first "
                      f"report {first * 1e3:.3f} ms, then {best * 1e3:.3f} ms (best of "
                      f"{args.rounds}); oldest {store.oldest_pending()}")
            finally:
                store.close()
        for batch in args.batch:
            path = Path(folder, f"drain-{batch}.db")
            build(path, args.entries, args.pending, True)
            drain(Store(path), args.pending, batch)


def drain(store: Store, pending: int, batch: int) -> None:
    """Acknowledge the backlog ``batch`` at a time, reading the oldest after each answer."""
    times = []
    try:
        while ids := [row["id"] for row in store.pending(batch)]:
            store.mark_synced(ids, {})
            started = time.perf_counter()
            store.oldest_pending()
            times.append(time.perf_counter() - started)
    finally:
        store.close()
    print(f"drain of {pending} pending by {batch}: {len(times)} reads, total "
          f"{sum(times):.3f} s, worst {max(times) * 1e3:.1f} ms, over 20 ms: "
          f"{sum(1 for t in times if t > 0.02)}; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
