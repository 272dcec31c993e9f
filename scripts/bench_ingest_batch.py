"""What one batch costs the centre's storage: ``Storage.ingest_batch`` of 1,000-entry batches
from one process, no HTTP and no JSON decoding, into an empty PostgreSQL (or SQLite) database.

The entries are a day at ``--kiosks`` points: each person scans in and out at one point, so
half of a batch's (day, person) pairs are new to the day's set of people and half are not
(the ingest path of kiosk.central.people). The first ``--warmup`` batches are not timed.
Prints entries per second and microseconds per entry, wall clock (the database's work
included) and this process's CPU.

    .venv/bin/python scripts/bench_ingest_batch.py --db postgresql://…/EMPTY_DATABASE
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from report_support import GenKiosk, wire_entry  # noqa: E402

from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.sync import protocol  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="URL of an empty database")
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    start = dt.datetime(2026, 11, 15, 1, tzinfo=dt.UTC)
    kiosks = [GenKiosk(f"K{i:03d}", f"CP{i:03d}", 0.0, start, None) for i in range(args.kiosks)]
    batches = []
    for n in range(args.warmup + args.batches):
        kiosk = kiosks[n % len(kiosks)]
        at = start + dt.timedelta(seconds=n * 30)
        entries = []
        for i in range(args.batch):
            entry = wire_entry(kiosk, kiosk.checkpoint_id, at + dt.timedelta(milliseconds=i),
                               "in" if i % 2 == 0 else "out", False, 0)
            # in: someone new; out: someone who came in during the batch before
            entry["subject_key"] = f"doc:{(n - i % 2) * args.batch + i // 2:012d}"
            entries.append(entry)
        batches.append((kiosk, entries, at))
    with open_storage(args.db) as storage:
        for kiosk in kiosks:
            storage.add_checkpoint(kiosk.checkpoint_id, kiosk.checkpoint_id)
            storage.add_kiosk(kiosk.id, kiosk.checkpoint_id, kiosk.id, uuid.uuid4().hex)
        wall = cpu = 0.0
        for n, (kiosk, entries, at) in enumerate(batches):
            received = at + dt.timedelta(seconds=1)
            started, started_cpu = time.perf_counter(), time.process_time()
            results = storage.ingest_batch(kiosk.id, entries, sent_at=protocol.format_time(at),
                                           received_at=received, batch_id=str(uuid.uuid4()),
                                           checkpoint_id=kiosk.checkpoint_id)
            if n >= args.warmup:
                wall += time.perf_counter() - started
                cpu += time.process_time() - started_cpu
            assert all(r["status"] == protocol.ACCEPTED for r in results), results[:3]
    timed = args.batches * args.batch
    print(json.dumps({"entries": timed, "entries_per_s": round(timed / wall),
                      "us_per_entry_wall": round(wall / timed * 1e6, 1),
                      "us_per_entry_cpu": round(cpu / timed * 1e6, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
