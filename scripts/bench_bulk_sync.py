"""A kiosk holding a large backlog: what the outbox's counts cost, and what applying the
centre's answer to all of it does to the scans beside it.

    PYTHONPATH=TREE .venv/bin/python scripts/bench_bulk_sync.py STORE [--calls 5]

STORE: a kiosk store with entries pending, e.g. built through the real pipeline by
``bench_store_scale.py``'s generator. It is copied first (``STORE.bench``, removed at the
end): the answer acknowledges every entry. Measured, in this order:

1. ``outbox_summary()``, ``sync_counts()`` and ``pending_elsewhere()`` (what the screens'
   poll, every recorded scan, each upload cycle and ``kiosk sync status`` call), ``--calls``
   times each: p50 and max, ms.
2. A child process scanning a new person every ~0.3 s (Store + Pipeline, as ``kiosk run``
   writes; a busy wait is the store's own, 5 s) while this process applies an answer
   holding every pending id (``Store.mark_answered``, what ``kiosk sync load-refusals`` does
   once the file is opened): the load's wall time and peak RSS, the scans not recorded,
   the scans' p50 / p99 / max and the log's (``-wal``) peak size.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.store import Store


def scanner(path: str) -> None:
    """Scan until stdin closes; then print the latencies (ms), the refused and the WAL peak."""
    import select

    from kiosk.pipeline import Pipeline, Policy
    from kiosk.scan import Scan

    store = Store(path)
    pipe = Pipeline(store, Policy(checkpoint_id="CP-BENCH", kiosk_id="kiosk-bench"))
    wal, rng, lat, refused, peak, i = Path(path + "-wal"), random.Random(1), [], 0, 0, 0
    print("ready", flush=True)
    while not select.select([sys.stdin], [], [], rng.expovariate(1 / 0.3))[0]:
        started = time.perf_counter()
        result = pipe.submit(Scan(payload=f"0790{i:08d}||Lê Văn Tám {i}|01021990|Nam|"
                                          f"Số {i} Pasteur|10102021".encode(),
                                  device_id="gate-in", lane="in"))
        lat.append((time.perf_counter() - started) * 1000)
        refused += not result.recorded
        peak = max(peak, wal.stat().st_size if wal.exists() else 0)
        i += 1
    store.close()
    print(json.dumps({"lat": lat, "refused": refused, "wal": peak}), flush=True)


def counts(store: Store, calls: int) -> None:
    kiosk_id = store.pending(1)[0]["kiosk_id"]
    for name, call in (("outbox_summary()", store.outbox_summary),
                       ("sync_counts()", store.sync_counts),
                       ("pending_elsewhere(id)", lambda: store.pending_elsewhere(kiosk_id))):
        took = []
        for _ in range(calls):
            started = time.perf_counter()
            call()
            took.append((time.perf_counter() - started) * 1000)
        print(f"{name:24} p50 {statistics.median(took):8.1f} ms  max {max(took):8.1f} ms")


def answer_beside_scans(path: Path) -> None:
    store = Store(path)
    with store.lock:
        held = [i for (i,) in store.conn.execute(
            "SELECT id FROM entries WHERE sync_state IN ('pending', 'sent')")]
    kiosk_id = held and store.pending(1)[0]["kiosk_id"]
    child = subprocess.Popen([sys.executable, __file__, "--scanner", str(path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             stderr=subprocess.DEVNULL)  # each refusal's log line
    assert child.stdout is not None and child.stdin is not None
    child.stdout.readline()
    time.sleep(2)  # a few scans before
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    answered = store.mark_answered(kiosk_id, {}, held, "bench")
    took = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    time.sleep(2)  # a few scans after
    child.stdin.close()
    said: dict[str, Any] = json.loads(child.stdout.readline())
    child.wait()
    store.close()
    lat = sorted(said["lat"])
    print(f"answer of {len(held):,} held ids: {took:.1f} s, {answered.acknowledged:,} "
          f"acknowledged; peak RSS {rss / 1024:.0f} MiB ({before / 1024:.0f} before)")
    print(f"scans beside it: {len(lat)}, NOT RECORDED {said['refused']}; p50 "
          f"{lat[len(lat) // 2]:.1f} ms, p99 {lat[int(len(lat) * 0.99)]:.1f} ms, max "
          f"{lat[-1]:.0f} ms; WAL peak {said['wal'] / 2**20:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--scanner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scanner:
        return scanner(args.store)
    copy = Path(args.store + ".bench")
    shutil.copyfile(args.store, copy)
    try:
        started = time.perf_counter()
        store = Store(copy)  # a migration, if any, is made here
        print(f"opened (schema v{store.schema_version}) in {time.perf_counter() - started:.1f} s")
        counts(store, args.calls)
        store.close()
        answer_beside_scans(copy)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        for backup in copy.parent.glob(copy.name + ".v*.bak"):
            backup.unlink()


if __name__ == "__main__":
    main()
