"""What keeping stays at ingest costs when people are scanned often at one point.

``Storage.ingest_batch`` from one process, no HTTP, into a fresh SQLite (or empty
PostgreSQL) database: ``--people`` people at one checkpoint, each entering and leaving in
turn, a scan every ``--every`` seconds in all (the shape of a busy kiosk's store, whose
regulars come back many times a day), in batches sent in time order. Prints this process's
CPU and the wall clock per entry (on SQLite both include the database's work).
``--without-stays``: the same ingest with the stays not kept, what it costs without them;
``--newest-first``: the batches sent newest first, every one before the scans held (the
rebuild of late scans, not the extension of stays).

    .venv/bin/python scripts/bench_frequent_ingest.py [--without-stays | --newest-first]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from trace_support import payload_identity, wire_entry  # noqa: E402

from kiosk.central import stays  # noqa: E402
from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.ids import uuid7  # noqa: E402
from kiosk.sync import protocol  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an empty database URL (default: a fresh SQLite file)")
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--every", type=float, default=13.0, help="seconds between scans")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--without-stays", action="store_true",
                        help="skip keeping the stays (the cost without them)")
    parser.add_argument("--newest-first", action="store_true",
                        help="send the batches newest first (every scan late)")
    args = parser.parse_args()
    if args.without_stays:
        stays.keep = lambda *_: None
    people = [payload_identity(p, "cccd") for p in range(1, args.people + 1)]
    start = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    entries = [wire_entry(people[n % args.people], checkpoint="CP-A", kiosk="k1",
                          direction=("in", "out")[n // args.people % 2],
                          scanned_at=start + dt.timedelta(seconds=n * args.every))
               for n in range(args.entries)]
    received = start + dt.timedelta(seconds=args.entries * args.every + 60)
    with tempfile.TemporaryDirectory() as tmp, \
            open_storage(args.db or f"sqlite:///{tmp}/central.db") as storage:
        began, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
        starts = range(0, len(entries), args.batch)
        for i in reversed(starts) if args.newest_first else starts:
            storage.ingest_batch("k1", entries[i:i + args.batch],
                                 sent_at=protocol.format_time(received), received_at=received,
                                 batch_id=uuid7())
        cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu
        wall = time.perf_counter() - began
    print(json.dumps({"entries": len(entries), "stays": not args.without_stays,
                      "newest_first": args.newest_first,
                      "us_per_entry_cpu": round(cpu / len(entries) * 1e6),
                      "us_per_entry_wall": round(wall / len(entries) * 1e6)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
