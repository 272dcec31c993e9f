"""A busy person's trace on a kept SQLite province: how many contacts and exposures, the trace,
and its answer's dict and JSON with the top contacts' exposures listed and with all.

The province is bench_trace's (``--entries`` scans at ``--checkpoints`` points, 30 days to
2026-12-06T14:00 UTC) with the centre around it (bench_dashboard's registry, kiosks, admin);
at its busiest point, ``--workers`` people work weekdays (in 07:30, out 11:30, in 13:00, out
17:00 local, ±20 min) and the person traced, document 079099000000, passes 4 times a day
for 2.5 h (06:30, 09:30, 12:30, 15:30) for 14 days — as a province's commuters share most
of a busy person's visits. Every scan added goes through ``Storage.ingest_batch`` and the
derivation, as a kiosk's. Then time the CLI on a copy of the file with any tree:

    PYTHONPATH=.:scripts:tests python scripts/bench_trace_busy.py --db /tmp/busy.db \\
        --entries 800000 --checkpoints 100 --workers 1500
    time kiosk-central trace --db sqlite:////tmp/busy.db --document 079099000000 \\
        --reason 'ca bệnh F0-1234' -o busy.json [--all-exposures]

``--engine postgresql`` loads it into a throw-away cluster instead (no ``--db``), or into
``--postgres URL`` (an empty database) to keep; ``--loaded`` traces a province already loaded
there (or in ``--db``). In-process, it prints each trace's time, its answer's dict and JSON,
for the answer listing every exposure (each made in Python) and the one listing the top
contacts' (the others summed by the database), ``--rounds`` times each, alternately.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import inspect
import os
import random
import sys
import time
from pathlib import Path

from bench_dashboard import fill_centre
from bench_trace import load
from benchsupport import central_database, province
from trace_support import Visit, store_scans

from kiosk.central import trace_formats, trace_service, tracing
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.central.trace_queries import StorageSource

END = dt.datetime(2026, 12, 6, 14, tzinfo=dt.UTC)
PERSON = 99_000_000
"""trace_support's person number: document 079099000000."""


def at_the_busiest(checkpoint: str, kiosk: str, workers: int) -> list[Visit]:
    """The person's 4 passes a day for 14 days and the workers' weekdays there."""
    rng = random.Random(5)
    scans = []
    for day in range(14, 0, -1):
        morning = dt.datetime(2026, 12, 6, tzinfo=dt.UTC) - dt.timedelta(days=day)  # 07:00
        for hour in (-0.5, 2.5, 5.5, 8.5):
            at = morning + dt.timedelta(hours=hour)
            scans += [Visit(PERSON, "cccd", checkpoint, "in", at, kiosk=kiosk),
                      Visit(PERSON, "cccd", checkpoint, "out", at + dt.timedelta(hours=2.5),
                            kiosk=kiosk)]
        if (morning + dt.timedelta(hours=7)).weekday() >= 5:
            continue
        for person in range(PERSON + 1, PERSON + 1 + workers):
            for hour, direction in ((0.5, "in"), (4.5, "out"), (6.0, "in"), (10.0, "out")):
                at = morning + dt.timedelta(hours=hour, minutes=rng.randint(-20, 20))
                scans.append(Visit(person, "cccd", checkpoint, direction, at, kiosk=kiosk))
    return sorted(scans, key=lambda s: s.at)


def backends_cpu(storage: Storage) -> float:
    """CPU seconds the database's server processes have used (PostgreSQL on this machine;
    0 for SQLite, which runs in this process): with this process's, what a trace costs on
    a machine shared with others, where its wall time depends on their load."""
    if not storage.postgresql:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for (pid,) in storage._query("SELECT pid FROM pg_stat_activity "
                                 "WHERE datname = current_database()"):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--db", help="SQLite file to make (must not exist)")
    parser.add_argument("--entries", type=int, default=800_000)
    parser.add_argument("--checkpoints", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1500)
    parser.add_argument("--postgres", help="PostgreSQL URL of an empty database to load (kept)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="traces of each kind, every exposure and the top contacts'")
    parser.add_argument("--loaded", action="store_true",
                        help="--db or --postgres already holds this province: only trace")
    args = parser.parse_args()
    database = (contextlib.nullcontext(args.postgres) if args.postgres
                else central_database("postgresql") if args.engine == "postgresql"
                else contextlib.nullcontext(f"sqlite:///{args.db}"))
    engine = "postgresql" if args.postgres else args.engine
    with database as url, open_storage(url) as storage:
        if not args.loaded:
            total, seconds = load(storage, province(entries=args.entries,
                                                    checkpoints=args.checkpoints, days=30,
                                                    end=END), engine)
            print(f"{total:,} entries loaded in {seconds:.0f} s", file=sys.stderr)
            fill_centre(storage, args.checkpoints, engine, END)
            (checkpoint, kiosk), = storage._query(
                "SELECT e.checkpoint_id, k.id FROM entries e JOIN kiosks k ON "
                "k.checkpoint_id = e.checkpoint_id GROUP BY e.checkpoint_id, k.id "
                "ORDER BY count(*) DESC LIMIT 1")
            scans = at_the_busiest(checkpoint, kiosk, args.workers)
            for n in range(0, len(scans), 5000):
                store_scans(storage, scans[n:n + 5000], {},
                            received=END - dt.timedelta(hours=1))
        request = trace_service.Request(document=f"0790{PERSON:08d}")
        start, end = trace_service.period(storage, request)
        # a tree from before the database summed the contacts: every trace makes every one
        summing = "listed" in inspect.signature(tracing.trace).parameters
        for listed in [None, trace_formats.EXPOSED_CONTACTS] * args.rounds:
            cpu = time.process_time(), backends_cpu(storage)
            began = time.perf_counter()
            source = StorageSource(storage, tracing.alias_window(
                start.timestamp(), end.timestamp(), request.policy), wait=None)
            result = tracing.trace(source, trace_service.target(source, request, start, end),
                                   start.timestamp(), end.timestamp(), request.policy,
                                   **({"listed": listed} if summing else {}))
            traced = time.perf_counter() - began
            cpu = time.process_time() - cpu[0], backends_cpu(storage) - cpu[1]
            names = source.checkpoint_names({v.checkpoint_id for v in result.visits})
            began = time.perf_counter()
            report = trace_formats.to_dict(result, zone=storage.calendar.zone,
                                           checkpoints=names, data_begins=None,
                                           exposed=listed)
            made = time.perf_counter()
            body = trace_formats.render(report, "json")
            print(f"exposures of {listed or 'all'} contacts: {len(result.visits)} visits, "
                  f"{len(report['contacts']):,} contacts, "
                  f"{report['exposures_listed']['all_exposures']:,} exposures, "
                  f"{len(report['exposures']):,} listed; the trace {traced:.2f} s "
                  f"(CPU: Python {cpu[0]:.2f} s, database {cpu[1]:.2f} s), "
                  f"dict {made - began:.2f} s, JSON {time.perf_counter() - made:.2f} s, "
                  f"{len(body) / 1e6:.1f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
