"""Retention of identities at the centre: erasing the personal columns of old entries.

Loads the contact-tracing benchmark's province (``scripts/bench_trace.py``: ``--entries`` over
``--days`` ending now, bulk loaded), then times, in one run:

- ``erasure.erase_personal`` with the cutoff ``--personal-days`` ago — the first run, that
  erases everything older — with every transaction it opens timed (the longest is how long
  an upload can wait for it), as ``kiosk-central purge`` runs it (``Storage.overwriting``,
  then ``Storage.empty_log``, timed on its own);
- the same again the next night with nothing new to erase (the walk every run makes, so late
  arrivals are caught);
- the alternative a database administrator would type: one ``UPDATE … WHERE id < cutoff``
  on a fresh copy of the same rows, in one transaction (the write lock held throughout);
- and, for scale, one audit record of a page view (``audit.append_view``), the cost every
  page showing personal data now pays before it answers.

    .venv/bin/python scripts/bench_retention.py --engine sqlite --entries 1000000
    .venv/bin/python scripts/bench_retention.py --engine postgresql --entries 1000000
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_trace import load  # noqa: E402
from benchsupport import central_database, province  # noqa: E402

from kiosk.central import audit, erasure, id_days  # noqa: E402
from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.central.storage import Storage  # noqa: E402


def timed_transactions(storage: Storage) -> list[float]:
    """Time every write transaction ``storage`` opens from now on (seconds, in order)."""
    spans: list[float] = []
    opened = storage._transaction

    @contextlib.contextmanager
    def timing():  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        with opened() as tx:
            yield tx
        spans.append(time.perf_counter() - began)

    storage._transaction = timing  # type: ignore[method-assign]
    return spans


def one_statement(storage: Storage, cutoff: str) -> tuple[float, int]:
    """The single UPDATE, timed inside its transaction, then rolled back."""
    sql = erasure.erasing("id < $1", 2)
    began = time.perf_counter()
    try:
        with storage._transaction() as tx:
            count = storage._execute(tx, sql, (cutoff, *erasure.GIVEN)).rowcount
            took = time.perf_counter() - began
            raise _Undo
    except _Undo:
        pass
    return took, count


class _Undo(Exception):
    """Leave the transaction without committing."""


def audit_cost(storage: Storage, records: int) -> dict[str, float]:
    times = []
    for i in range(records):
        began = time.perf_counter()
        audit.append_view(storage, "audit-log", actor="bench", channel="web",
                          address="10.0.0.1", subject=f"/audit?page={i}")
        times.append(time.perf_counter() - began)
    times.sort()
    return {"audit_record_p50_ms": statistics.median(times) * 1000,
            "audit_record_p99_ms": times[int(0.99 * len(times))] * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--personal-days", type=int, default=14)
    parser.add_argument("--checkpoints", type=int, default=20_000)
    parser.add_argument("--audit-records", type=int, default=500)
    parser.add_argument("--keep", help="directory for the SQLite file (default: temporary)")
    args = parser.parse_args()
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    scans = province(entries=args.entries, checkpoints=args.checkpoints, days=args.days,
                     end=end)
    cutoff_day = end.date() - dt.timedelta(days=args.personal_days)
    cutoff = id_days.bounds(cutoff_day)[0]
    figures: dict[str, object] = {"engine": args.engine}
    with central_database(args.engine, folder=args.keep) as url, open_storage(url) as storage:
        total, seconds = load(storage, scans, args.engine)
        older = storage._query("SELECT count(*) FROM entries WHERE id < $1",
                               (cutoff,))[0][0]
        figures.update(entries=total, load_seconds=round(seconds), to_erase=older)
        print(f"loaded {total:,} entries ({older:,} to erase)", file=sys.stderr)

        took, count = one_statement(storage, cutoff)
        figures.update(one_update_seconds=round(took, 2), one_update_rows=count)
        print(f"one UPDATE: {count:,} rows in {took:.1f} s", file=sys.stderr)

        # as `kiosk-central purge` runs it: what it erases overwritten, the -wal emptied after
        # (a tree before that has neither: measured as it ran then)
        overwriting = getattr(storage, "overwriting", contextlib.nullcontext)
        for run in ("first", "next"):
            spans = timed_transactions(storage)
            began = time.perf_counter()
            with overwriting():
                erased = erasure.erase_personal(storage, cutoff_day)
            del storage._transaction  # back to the class's own
            emptying = time.perf_counter()
            getattr(storage, "empty_log", lambda: True)()
            figures[f"{run}_run_log_emptied_seconds"] = round(
                time.perf_counter() - emptying, 2)
            took = time.perf_counter() - began
            figures.update({f"{run}_run_seconds": round(took, 2),
                            f"{run}_run_erased": erased,
                            f"{run}_run_transactions": len(spans),
                            f"{run}_run_longest_transaction_ms":
                                round(max(spans, default=0) * 1000, 1)})
            print(f"{run} run: {erased:,} erased in {took:.1f} s, "
                  f"{len(spans)} transactions, longest "
                  f"{max(spans, default=0) * 1000:.0f} ms", file=sys.stderr)
        figures.update({k: round(v, 3) for k, v in
                        audit_cost(storage, args.audit_records).items()})
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
