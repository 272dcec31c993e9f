"""What one batch costs the centre's storage: ``Storage.ingest_batch`` of 1,000-entry batches
from one process, no HTTP and no JSON decoding, into an empty PostgreSQL (or SQLite) database.

The entries are a day at ``--kiosks`` points: each person scans in and out at one point, so
half of a batch's (day, person) pairs are new to the day's set of people and half are not
(the ingest path of kiosk.central.people). With ``--match-keys`` each entry carries the match
key a CCCD gives, so the stays (kiosk.central.stays) and the document → match key table
(kiosk.central.document_matches) are kept too. The first ``--warmup`` batches are not timed.
Prints entries per second and microseconds per entry: wall clock, this process's CPU and,
on a PostgreSQL on this machine, the CPU of the one database connection the storage holds.

``--api``: each batch goes the API's way instead (``kiosk.central.app._ingest``, still in this
process, no HTTP): its body zstd-encoded as a kiosk sends it, then decoded, checked and
stored, so the client CPU is what ``serve`` spends on it.

``--derive-every N``: what is derived from the entries (:mod:`kiosk.central.derivation`:
day sets, document matches, stays and identities) is derived after every N batches, timed
with them, as a reader or ``serve`` in the background would (1: each batch alone, as the
ingest transaction did before derivation left it; 0: never, the acknowledgement alone).

``--without PART`` (repeatable) leaves a part out, to show what it costs: ``stays``,
``document_matches``, ``day_sets`` (the distinct people), ``aggregates``, ``identities``
(what the stays' scans say, stored once each).
A database stored without a part is not a valid centre: use a fresh one for each run.

    .venv/bin/python scripts/bench_ingest_batch.py --db postgresql://…/EMPTY_DATABASE
    .venv/bin/python scripts/bench_ingest_batch.py --db postgresql://…/EMPTY_DATABASE \\
        --match-keys --without stays
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests")]

from bench_reports import cpu_seconds  # noqa: E402
from report_support import GenKiosk, wire_entry  # noqa: E402

from kiosk.central import (  # noqa: E402
    aggregates,
    derivation,
    document_matches,
    identities,
    people,
    stays,
)
from kiosk.central.app import _ingest  # noqa: E402
from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.sync import protocol  # noqa: E402

PARTS: dict[str, tuple[Any, str]] = {
    "stays": (stays, "keep"), "document_matches": (document_matches, "keep"),
    "day_sets": (people, "count_new"), "aggregates": (aggregates, "write"),
    "identities": (identities, "keep")}
"""What ``--without`` can leave out: the module and the function the transaction calls."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="URL of an empty database")
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--match-keys", action="store_true",
                        help="entries carry a CCCD's match key (stays and document matches kept)")
    parser.add_argument("--api", action="store_true",
                        help="through the API's _ingest: a zstd body decoded and checked too")
    parser.add_argument("--derive-every", type=int, default=1, metavar="N",
                        help="derive after every N batches, timed with them (0: never)")
    parser.add_argument("--without", action="append", choices=sorted(PARTS), default=[],
                        help="leave this part of the transaction out (to see its cost)")
    args = parser.parse_args()
    for part in args.without:
        module, function = PARTS[part]
        setattr(module, function, lambda *_, **__: None)
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
            person = (n - i % 2) * args.batch + i // 2
            entry["subject_key"] = f"doc:{person:012d}"
            if args.match_keys:
                entry.update(document_number=f"{person:012d}", name="Nguyễn Văn An",
                             birth_date="1990-02-01",
                             match_key=f"m:{person % 1_000_000:06d}|NGUYEN VAN AN|1990")
            entries.append(entry)
        batches.append((kiosk, entries, at))
    postgresql = args.db.startswith(("postgresql:", "postgres:"))
    with open_storage(args.db, pool_size=1) as storage:
        for kiosk in kiosks:
            storage.add_checkpoint(kiosk.checkpoint_id, kiosk.checkpoint_id)
            storage.add_kiosk(kiosk.id, kiosk.checkpoint_id, kiosk.id, uuid.uuid4().hex)
        enrolled = {k.id: storage.kiosk(k.id) for k in kiosks}
        bodies = [protocol.encode_body(protocol.make_batch(
            kiosk.id, str(uuid.uuid4()), entries, at), "zstd")[0]
            for kiosk, entries, at in batches] if args.api else []
        backend = None
        if postgresql:
            with storage._connection() as conn:  # the pool's one connection
                backend = conn.info.backend_pid
        wall = cpu = database = 0.0
        for n, (kiosk, entries, at) in enumerate(batches):
            received = at + dt.timedelta(seconds=1)
            started, started_cpu = time.perf_counter(), time.process_time()
            started_database = cpu_seconds(backend) if backend else None
            if args.api:
                results = _ingest(storage, enrolled[kiosk.id], bodies[n], "zstd", received,
                                  protocol.MAX_DECODED_BYTES)["results"]
            else:
                results = storage.ingest_batch(
                    kiosk.id, entries, sent_at=protocol.format_time(at), received_at=received,
                    batch_id=str(uuid.uuid4()), checkpoint_id=kiosk.checkpoint_id)
            step_ends = (n + 1 - args.warmup) % args.derive_every == 0 or n in (
                args.warmup - 1, len(batches) - 1) if args.derive_every else False
            if step_ends:
                derivation.catch_up(storage)
            if n >= args.warmup:
                wall += time.perf_counter() - started
                cpu += time.process_time() - started_cpu
                if started_database is not None:
                    database += (cpu_seconds(backend) or 0.0) - started_database
            assert all(r["status"] == protocol.ACCEPTED for r in results), results[:3]
    timed = args.batches * args.batch
    print(json.dumps({"entries": timed, "match_keys": args.match_keys, "api": args.api,
                      "derive_every": args.derive_every,
                      "without": sorted(args.without), "entries_per_s": round(timed / wall),
                      "us_per_entry_wall": round(wall / timed * 1e6, 1),
                      "us_per_entry_cpu": round(cpu / timed * 1e6, 1),
                      "us_per_entry_database_cpu": round(database / timed * 1e6, 1)
                      if backend else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
