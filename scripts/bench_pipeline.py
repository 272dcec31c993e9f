"""Scan → durable commit latency through the real pipeline and store, beside the physical floor.

The floor is what any durable design pays: one single-row INSERT + COMMIT on a WAL database
with synchronous=FULL on the same disk. The pipeline adds decoding, the duplicate lookup, the
direction decision and the listener call. Both run interleaved in one process so disk and
load conditions are shared.

    .venv/bin/python scripts/bench_pipeline.py [--scans 10000] [--dir DIR] [--synchronous off]

``--synchronous off`` takes the fsync out of both paths, leaving the CPU and SQLite work
each scan costs (what a schema change adds is visible there, not under the disk's jitter).
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan, Status
from kiosk.store import Store

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Tú", "Phạm Thị Dung", "Hoàng Đức Hải"]


def cccd(i: int) -> bytes:
    return (f"{i:012d}|{100000000 + i}|{NAMES[i % len(NAMES)]}|01021990|Nam|"
            f"Số {i} Phố Huế, Hà Nội|10102021").encode()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def floor_sample(conn: sqlite3.Connection, i: int) -> float:
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t (id, payload) VALUES (?, ?)", (i, cccd(i)))
    conn.execute("COMMIT")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--dir", default=".", help="folder on the disk to measure (default: .)")
    parser.add_argument("--synchronous", choices=("full", "off"), default="full")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-pipeline-") as tmp:
        floor_db = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        floor_db.execute("PRAGMA journal_mode=WAL")
        floor_db.execute(f"PRAGMA synchronous={args.synchronous}")
        floor_db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")

        store = Store(Path(tmp) / "kiosk.db")
        store.conn.execute(f"PRAGMA synchronous={args.synchronous}")
        pipeline = Pipeline(store, Policy(checkpoint_id="CP-BENCH", kiosk_id="k-bench"))
        received: list[float] = []
        pipeline.subscribe(lambda result: received.append(time.perf_counter()))

        pipe_samples, floor_samples = [], []
        for i in range(args.scans):
            floor_samples.append(floor_sample(floor_db, i))
            scan = Scan(payload=cccd(i), device_id="bench", lane="in")
            started = time.perf_counter()
            result = pipeline.submit(scan)
            pipe_samples.append(received[-1] - started)
            assert result.status is Status.ACCEPTED, result.reason_in("en")
        assert store.conn.execute("SELECT count(*) FROM entries").fetchone()[0] == args.scans
        acked = acknowledge_all(store)
        store.close()
        floor_db.close()

    ms = 1000
    rows = [(f"bare INSERT+COMMIT (WAL, synchronous={args.synchronous.upper()})", floor_samples),
            ("pipeline: decode → policy → commit → listener", pipe_samples)]
    print(f"{args.scans} scans, synchronous={args.synchronous}, {platform.node()}, "
          f"{os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"load avg {os.getloadavg()[0]:.2f}")
    print("| path | p50 ms | p99 ms | mean ms |\n|---|---|---|---|")
    for name, samples in rows:
        print(f"| {name} | {percentile(samples, .5) * ms:.3f} | {percentile(samples, .99) * ms:.3f}"
              f" | {statistics.fmean(samples) * ms:.3f} |")
    p50 = percentile(pipe_samples, .5) / percentile(floor_samples, .5)
    p99 = percentile(pipe_samples, .99) / percentile(floor_samples, .99)
    print(f"pipeline / floor: p50 {p50:.2f}×, p99 {p99:.2f}× (target ≤ 3×)")
    print(f"acknowledging them afterwards (Store.mark_synced, batches of {ACK_BATCH}): "
          f"{acked * 1e6:.1f} µs per entry")


ACK_BATCH = 500


def acknowledge_all(store: Store) -> float:
    """Seconds per entry to mark every entry acknowledged, a centre's answer at a time (what
    the sync worker writes; every index holding ``sync_state`` is rewritten)."""
    ids = [i for (i,) in store.conn.execute("SELECT id FROM entries ORDER BY id")]
    started = time.perf_counter()
    for at in range(0, len(ids), ACK_BATCH):
        store.mark_synced(ids[at:at + ACK_BATCH], {})
    return (time.perf_counter() - started) / max(1, len(ids))


if __name__ == "__main__":
    main()
