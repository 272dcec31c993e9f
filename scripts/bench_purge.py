"""Purging raw entries on PostgreSQL while kiosks upload: how long the purge takes, and how
long an upload waits while it runs.

Loads the contact-tracing benchmark's province (``scripts/bench_trace.py``: ``--entries`` over
``--days`` ending now, bulk loaded, its stays and document matches built as the migrations
build them) into a PostgreSQL server of its own, then:

- uploads only (twice, the first to warm up): ``--uploaders`` threads each store a batch
  of ``--batch`` CCCD scans of now every ``--every`` seconds (``Storage.ingest_batch``, as
  the API does), each batch timed, for ``--window`` seconds;
- the same uploads while ``kiosk-central purge --days --days-kept`` runs (the command, as the
  06:00 service runs it, in its own process), until it ends; in both, the uploads'
  connections are watched every 10 ms for lock waits (the longest is how long the purge
  held an upload back, apart from the machine's load);
- and checks that the document matches are then exactly those of the entries held.

The tree measured is the one on ``PYTHONPATH`` (the purge command runs from it too), so the
same script measures an older tree: ``PYTHONPATH=/tmp/old python scripts/bench_purge.py``.

    .venv/bin/python scripts/bench_purge.py --entries 1000000 --days-kept 28
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_trace import load  # noqa: E402
from benchsupport import central_database, province  # noqa: E402
from trace_support import payload_identity, wire_entry  # noqa: E402

from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.central.storage import Storage  # noqa: E402
from kiosk.ids import uuid7  # noqa: E402
from kiosk.sync import protocol  # noqa: E402

_HELD = ("SELECT DISTINCT subject_key, local_day, match_key FROM entries WHERE subject_key "
         "LIKE 'doc:%' AND match_key IS NOT NULL AND local_day IS NOT NULL")
_KEPT = "SELECT subject_key, day, match_key FROM document_matches"


def upload(storage: Storage, kiosk: str, batch: int, every: float, stop: threading.Event,
           waits: list[float], person: int) -> None:
    """Batches of CCCD scans of now, one every ``every`` seconds (counted from the start of
    the last), each one's ``ingest_batch`` timed into ``waits``."""
    while not stop.is_set():
        now = dt.datetime.now(dt.UTC)
        entries = [wire_entry(payload_identity(person + i, "cccd"), checkpoint=f"CP-{kiosk}",
                              kiosk=kiosk, direction="in", scanned_at=now)
                   for i in range(batch)]
        began = time.perf_counter()
        storage.ingest_batch(kiosk, entries, sent_at=protocol.format_time(now),
                             received_at=now, batch_id=uuid7(), checkpoint_id=f"CP-{kiosk}")
        waits.append(time.perf_counter() - began)
        person += batch
        stop.wait(max(every - (time.perf_counter() - began), 0))


def lock_waits(url: str, pids: list[int], stop: threading.Event, longest: list[float]) -> None:
    """Sample, every 10 ms, which of the uploads' connections ``pids`` wait on a lock; the
    longest wait seen (seconds, from consecutive samples) into ``longest``."""
    import psycopg

    since: dict[int, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            now = time.perf_counter()
            waiting = {pid for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND pid = ANY(%s)", (pids,))}
            for pid in waiting:
                since.setdefault(pid, now)
            for pid in set(since) - waiting:
                longest.append(now - since.pop(pid))
            stop.wait(0.01)
    longest.extend(time.perf_counter() - t for t in since.values())


def uploads_while(storage: Storage, args: argparse.Namespace, during, url: str = "",
                  pids: list[int] | None = None) -> tuple[list[float], float, float]:
    """Run the uploaders while ``during()`` runs; every batch's time, ``during``'s, and the
    longest lock wait of an upload (when their connections ``pids`` are given)."""
    stop, waits, longest = threading.Event(), [], [0.0]
    threads = [threading.Thread(target=upload, args=(storage, f"k{n}", args.batch, args.every,
                                                     stop, waits, 10_000_000 * (n + 1)))
               for n in range(args.uploaders)]
    if pids:
        threads.append(threading.Thread(target=lock_waits, args=(url, pids, stop, longest)))
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    during()
    took = time.perf_counter() - began
    stop.set()
    for thread in threads:
        thread.join()
    return waits, took, max(longest)


def summary(waits: list[float]) -> dict[str, float]:
    ordered = sorted(waits)
    return {"batches": len(ordered),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--days-kept", type=int, default=28)
    parser.add_argument("--checkpoints", type=int, default=20_000)
    parser.add_argument("--uploaders", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--every", type=float, default=0.25)
    parser.add_argument("--window", type=float, default=20.0)
    args = parser.parse_args()
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    scans = province(entries=args.entries, checkpoints=args.checkpoints, days=args.days,
                     end=end)
    figures: dict[str, object] = {}
    with central_database("postgresql") as url, open_storage(url) as storage:
        total, seconds = load(storage, scans, "postgresql")
        for n in range(args.uploaders):  # a point each: no upload waits for another's
            storage.add_checkpoint(f"CP-k{n}", f"Bench {n}")  # count of the day there
            storage.add_kiosk(f"k{n}", f"CP-k{n}", f"k{n}", f"hash{n}")
        with storage._connection() as conn:  # no autovacuum of the load meanwhile
            conn.execute("SET statement_timeout = 0")
            conn.execute("VACUUM ANALYZE")
            conn.execute("CHECKPOINT")
        matches = storage._query("SELECT count(*) FROM document_matches")[0][0]
        figures.update(entries=total, load_seconds=round(seconds), matches=matches)
        print(f"loaded {total:,} entries, {matches:,} document matches", file=sys.stderr)

        waits, _, _ = uploads_while(storage, args, lambda: time.sleep(args.window))
        pids = [pid for (pid,) in storage._query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'kiosk-central' "
            "AND pid <> pg_backend_pid()")]  # the uploads' pool, before the purge starts
        waits, _, longest = uploads_while(storage, args, lambda: time.sleep(args.window),
                                          url, pids)
        figures["uploads_alone"] = summary(waits)
        figures["uploads_alone"]["longest_lock_wait_ms"] = round(longest * 1000, 1)
        print(f"uploads alone: {figures['uploads_alone']}", file=sys.stderr)

        def purge() -> None:
            done = subprocess.run(
                [sys.executable, "-m", "kiosk.central.cli", "purge", "--days",
                 str(args.days_kept), "--reason", "bench_purge: a measured purge", "--db", url],
                capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(done.stderr)
            print(done.stdout, file=sys.stderr)

        waits, took, longest = uploads_while(storage, args, purge, url, pids)
        figures["purge_seconds"] = round(took, 2)
        figures["uploads_while_purging"] = summary(waits)
        figures["uploads_while_purging"]["longest_lock_wait_ms"] = round(longest * 1000, 1)
        print(f"purge {took:.1f} s; uploads meanwhile: "
              f"{figures['uploads_while_purging']}", file=sys.stderr)
        figures["matches_after"] = storage._query("SELECT count(*) FROM document_matches"
                                                  )[0][0]
        figures["matches_without_entry"] = storage._query(
            f"SELECT count(*) FROM ({_KEPT} EXCEPT {_HELD}) x")[0][0]
        figures["entries_without_match"] = storage._query(
            f"SELECT count(*) FROM ({_HELD} EXCEPT {_KEPT}) x")[0][0]
    figures.update(uploaders=args.uploaders, batch=args.batch, every=args.every)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
