"""What choosing one kiosk id's pending entries costs the uploader, and what counting the
other ids' costs (``Store.pending(..., kiosk_id)``, ``Store.pending_elsewhere``).

A real store of PENDING pending entries, all recorded under one kiosk id (a kiosk whose id
never changed). Times, each ROUNDS times (median, least): ``pending(BATCH)`` for every
kiosk (as before) and for the kiosk's own id (what the uploader reads now); the same read
for an id that has none, which walks every pending entry (as a kiosk enrolled again under
a new id reads behind the old id's entries); ``pending_elsewhere``; and, for scale,
``outbox_summary`` (the count the screens already poll).

usage: bench_pending_elsewhere.py [--pending 1000000] [--batch 2000] [--rounds 9]
                                  [--dir /tmp/bench-elsewhere]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.store import Store
from tests.sync_support import fill_backlog

OWN = "kiosk-new"


def timed(call, rounds: int) -> str:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return f"{statistics.median(times):8.2f} ms median, {min(times):8.2f} least"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--dir", default="/tmp/bench-elsewhere")
    args = parser.parse_args()
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pending-{args.pending}.db"
    if not path.exists():
        fill_backlog(path, args.pending, kiosk_id=OWN)
    store = Store(path)
    try:
        print(f"{args.pending:,} pending, batch {args.batch}, {platform.processor() or '?'}, "
              f"Python {platform.python_version()}")
        for label, call in (
                ("pending(batch), every kiosk's", lambda: store.pending(args.batch)),
                ("pending(batch), own id", lambda: store.pending(args.batch, "", OWN)),
                ("pending(batch), an id with none", lambda: store.pending(args.batch, "", "x")),
                ("pending_elsewhere(own id)", lambda: store.pending_elsewhere(OWN)),
                ("outbox_summary()", store.outbox_summary)):
            print(f"{label:34} {timed(call, args.rounds)}")
    finally:
        store.close()


if __name__ == "__main__":
    main()
