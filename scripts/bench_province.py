"""Load the benchmarks' province once into a PostgreSQL database that is kept.

The tracing benchmark's province (scripts/bench_trace.py: Zipf popularity, rush hours,
commuters, ``--entries`` scans over ``--days`` days up to ``--end``) bulk loaded by COPY, then
the centre around it as scripts/bench_dashboard.py makes it: the registry, one kiosk per
point, the per-checkpoint day/hour aggregates ingest keeps, an admin user. At 10 M entries
this takes ~10 minutes of a 2-core VM, so the traces and the reports are then measured on
the same database without loading it again:

    .venv/bin/python scripts/bench_province.py --postgres URL --entries 10000000 \\
        --end 2026-11-30T17:00
    .venv/bin/python scripts/bench_trace.py --engine postgresql --postgres URL \\
        --entries 10000000 --end 2026-11-30T17:00 --loaded
    .venv/bin/python scripts/bench_reports.py --postgres URL --loaded 2026-11

(``--end`` 2026-11-30T17:00 UTC is midnight in Hà Nội: the 30 days are November.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from bench_dashboard import fill_centre
from bench_trace import load
from benchsupport import province

from kiosk.central.backends import open_storage


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="URL of an empty database")
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--checkpoints", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--end", required=True, help="UTC hour the period ends, "
                                                      "YYYY-MM-DDTHH:00")
    args = parser.parse_args()
    end = dt.datetime.fromisoformat(args.end).replace(tzinfo=dt.UTC)
    scans = province(entries=args.entries, checkpoints=args.checkpoints, days=args.days,
                     end=end, seed=args.seed)
    with open_storage(args.postgres) as storage:
        total, seconds = load(storage, scans, "postgresql")
        print(f"{total:,} entries loaded in {seconds:.0f} s", file=sys.stderr)
        started = time.perf_counter()
        fill_centre(storage, args.checkpoints, "postgresql", end)
        print(f"registry, kiosks and aggregates in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
