#!/usr/bin/env python3
"""Batch log benchmark: how long the batch log's pages take on a province's log.

The province: ``--kiosks`` kiosks at as many checkpoints in ten districts (as
scripts/bench_dashboard.py), and ``--batches`` batch log records made in SQL, one every 2
seconds up to now: a tenth from one busy kiosk (K00001: a deep log of its own), the rest
spread over the others except K00003 — busy (a twentieth of the log) in the first half, then
silent — and those of the last district, which never sent one (its officer's list reads only
empty logs). ANALYZEd, then a real ``kiosk-central serve`` answers
over HTTP on 127.0.0.1: the kiosk list (first page, a page deep in the ids, an officer's
district, the idle district) and one kiosk's log (newest, and a page from the middle of
K00001's), each ``--requests`` times after a warm-up, as time to the last byte. Beside them,
what the pages avoid: the same deep page by ``OFFSET`` and a ``count(*)`` of the log. The
statements the pages run are printed with their plan (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN
QUERY PLAN on SQLite).

    .venv/bin/python scripts/bench_batch_log.py --engine postgresql --batches 1000000
    .venv/bin/python scripts/bench_batch_log.py --engine sqlite --batches 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "scripts")]

from bench_dashboard import DISTRICTS, add_checkpoint, summary, timed  # noqa: E402
from benchsupport import PASSWORD, central_database, signed_in  # noqa: E402
from central_support import CentralServer  # noqa: E402

from kiosk.central import audit  # noqa: E402
from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.central.storage import Storage  # noqa: E402
from kiosk.central.web import batch_log, users  # noqa: E402

BENCH = audit.Actor(audit.command_actor(), "cli")
"""Who adds the benchmark's users, as the audit log records it."""

TIME_SQL = {  # received_at of batch g: 2 s apart, the last one now ($1: seconds since epoch)
    "postgresql": "to_char(to_timestamp($1 - 2 * ($2 - g)) AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    "sqlite": "strftime('%Y-%m-%dT%H:%M:%S.000000Z', $1 - 2 * ($2 - g), 'unixepoch')"}
SERIES = {"postgresql": "generate_series(1, $2) AS s(g)",
          "sqlite": "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
                    "WHERE g < $2) SELECT g FROM s) AS s"}


def fill(storage: Storage, engine: str, kiosks: int, batches: int, now: dt.datetime) -> None:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    idle = len(DISTRICTS) - 1
    senders = [i for i in range(kiosks) if i % len(DISTRICTS) != idle and i not in (1, 3)]
    with storage._transaction() as tx:
        if engine == "postgresql":
            storage._execute(tx, "SET LOCAL statement_timeout = 0")
        for i in range(kiosks):
            add_checkpoint(storage, tx, i, stamp, "2026-01-01")
            storage._execute(
                tx, "INSERT INTO kiosks (id, checkpoint_id, name, token_hash, created_at, "
                    "entries) VALUES ($1, $2, $3, $4, $5, 0)",
                (f"K{i:05d}", f"CP{i:05d}", f"Máy {i}", f"hash-{i}", stamp))
        # the senders as a table, so the series picks one by position
        storage._execute(tx, "CREATE TABLE bench_senders (n INTEGER PRIMARY KEY, id TEXT)")
        for n, i in enumerate(senders):
            storage._execute(tx, "INSERT INTO bench_senders VALUES ($1, $2)", (n, f"K{i:05d}"))
        storage._execute(
            tx, "INSERT INTO batches (batch_id, kiosk_id, sent_at, received_at, "
                "clock_offset_seconds, entries, accepted, duplicate, rejected, past_retention, "
                f"least_offset_seconds) SELECT 'b' || g, CASE WHEN g % 10 = 0 THEN 'K00001' "
                f"WHEN g % 10 = 5 AND g <= $2 / 2 THEN 'K00003' "
                f"ELSE (SELECT id FROM bench_senders "
                f"WHERE n = (CAST(g AS BIGINT) * 7919) % $3) END, "
                f"{TIME_SQL[engine]}, {TIME_SQL[engine]}, 0.4, 20, 18, 1, g % 3, 0, 0.4 "
                f"FROM {SERIES[engine]}",
            (int(now.timestamp()), batches, len(senders)))
        storage._execute(tx, "DROP TABLE bench_senders")
    with storage._transaction() as tx:
        storage._execute(tx, "ANALYZE")
    users.add(storage, "bench.admin", "admin", PASSWORD, by=BENCH)
    users.add(storage, "bench.officer", "district", PASSWORD, by=BENCH,
              district=DISTRICTS[0])
    users.add(storage, "bench.idle", "district", PASSWORD, by=BENCH,
              district=DISTRICTS[idle])


def plans(storage: Storage, engine: str, middle: int) -> dict[str, list[str]]:
    """The statements the pages run, each with the engine's plan of it."""
    seen: list[tuple[str, Any]] = []
    query = storage._query

    def recording(sql: str, params: Any = ()) -> Any:
        seen.append((sql, list(params)))
        return query(sql, params)

    storage._query = recording  # type: ignore[method-assign]
    try:
        batch_log.kiosks_page(storage, district=DISTRICTS[0])
        batch_log.kiosk_batches(storage, "K00001", before=middle)
        batch_log.kiosk_batches(storage, "K00003")
    finally:
        storage._query = query  # type: ignore[method-assign]
    explain = ("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if engine == "postgresql"
               else "EXPLAIN QUERY PLAN ")
    out = {}
    for sql, params in seen:
        rows = query(explain + sql, params)
        lines = [str(row[0]) if engine == "postgresql" else str(row[-1]) for row in rows]
        out[f"{sql[:120]}… {params[:3]}"] = [*lines[:12], "…", *lines[-3:]] if len(
            lines) > 16 else lines
    return out


def timed_sql(storage: Storage, sql: str, count: int) -> dict[str, float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        storage._query(sql)
        times.append((time.perf_counter() - started) * 1000)
    return summary(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--batches", type=int, default=1_000_000)
    parser.add_argument("--kiosks", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    result: dict[str, Any] = {"engine": args.engine, "batches": args.batches,
                              "kiosks": args.kiosks}
    with central_database(args.engine) as url:
        with open_storage(url) as storage:
            started = time.perf_counter()
            fill(storage, args.engine, args.kiosks, args.batches, now)
            result["fill_seconds"] = round(time.perf_counter() - started)
            middle = storage._query(
                "SELECT seq FROM batches WHERE kiosk_id = 'K00001' ORDER BY seq "
                f"LIMIT 1 OFFSET {args.batches // 20}")[0][0]
            result["plans"] = plans(storage, args.engine, middle)
            result["rows"] = storage._query(
                "SELECT count(*), sum(CASE WHEN kiosk_id = 'K00001' THEN 1 ELSE 0 END), "
                "sum(CASE WHEN kiosk_id = 'K00003' THEN 1 ELSE 0 END) FROM batches")[0]
            result["avoided"] = {
                "equality_newest_page_of_K00003": timed_sql(
                    storage, "SELECT seq FROM batches WHERE kiosk_id = 'K00003' "
                             "ORDER BY seq DESC LIMIT 51", 5),
                "deep_page_by_offset": timed_sql(
                    storage, "SELECT seq FROM batches WHERE kiosk_id = 'K00001' ORDER BY "
                             f"seq DESC LIMIT 50 OFFSET {args.batches // 20}", 5),
                "count_of_the_log": timed_sql(storage, "SELECT count(*) FROM batches", 5)}
        server = CentralServer(url)
        try:
            pages = {}
            for name, path in (
                    ("bench.admin", "/batches"),
                    ("bench.admin", f"/batches?after=K{args.kiosks // 2:05d}"),
                    ("bench.officer", "/batches"),
                    ("bench.idle", "/batches"),
                    ("bench.admin", "/batches/K00001"),
                    ("bench.admin", f"/batches/K00001?before={middle}"),
                    ("bench.admin", "/batches/K00002"),
                    ("bench.admin", "/batches/K00003")):
                with signed_in(server.url, name) as client:
                    pages[f"{name} {path}"] = summary(timed(client, path, args.requests))
            result["pages"] = pages
        finally:
            server.stop()
    print(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
