"""The centre's SQL layer: what does each way of giving a statement to the engines cost?

The same three statements, each written the way one SQL layer needs it, run on an open
connection of each engine, in interleaved rounds (every way once per round, median of the
rounds), so that the machine's load falls on all ways alike; wall clock and this process's
CPU time per statement (the layer's own cost):

- **token**: a kiosk looked up by its token hash, as every upload does (one row): the
  layer's fixed cost per statement;
- **report**: the daily report's read of one day's checkpoint counts (every checkpoint of
  the province that scanned that day: thousands of rows);
- **trace**: a trace's read of one person's scans over a fortnight (a tracing read: the
  list of keys as one parameter, day and, on PostgreSQL, id bounds).

The ways:

- ``$n`` as written: numbered placeholders, psycopg's ``RawCursor`` on PostgreSQL, a
  ``{"1": …}`` mapping on SQLite (what the centre does);
- ``?`` rewritten: qmark statements, turned into ``%s`` for psycopg's client-side
  conversion on PostgreSQL per statement (what the centre did before), passed as they
  are with a tuple on SQLite;
- SQLAlchemy Core ``text()`` with ``:name`` parameters, and a Core ``select()``
  expression, on SQLAlchemy's own connection to the same database.

And SQLite's bulk insert of a batch (its counterpart of COPY), bound by position as the
centre does and by name, per row.

PostgreSQL: a loaded province (``--postgres``, e.g. the 10 M database of
scripts/bench_province.py), read only. SQLite: a province generated here
(``--checkpoints``, ``--sqlite-entries``, as scripts/bench_reports.py does).

    .venv/bin/python scripts/bench_sql_layer.py --postgres postgresql://…/province \\
        --day 2026-11-15
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reports import province

from kiosk.central.id_days import id_prefix
from kiosk.central.trace_queries import _COLUMNS

KIOSK = ("SELECT k.id, k.checkpoint_id, k.name, k.created_at, k.revoked_at, k.last_seen_at, "
         "k.last_clock_offset, k.entries, k.refused_attempts, k.last_refused_at FROM kiosks k "
         "WHERE k.token_hash = $1")
DAY = ("SELECT day, checkpoint_id, scans, ins, outs, manual FROM checkpoint_days "
       "WHERE day >= $1 AND day <= $2")
TRACE = {"postgresql": f"SELECT {_COLUMNS} FROM entries e WHERE (e.subject_key = ANY($1) "
                       f"OR e.match_key = ANY($1)) AND e.local_day BETWEEN $2 AND $3 "
                       f"AND e.id >= $4 AND e.id < $5",
         "sqlite": f"SELECT {_COLUMNS} FROM entries e WHERE (e.subject_key IN (SELECT value "
                   f"FROM json_each($1)) OR e.match_key IN (SELECT value FROM json_each($1))) "
                   f"AND e.local_day BETWEEN $2 AND $3"}
"""Each statement as the centre writes it; the other ways are derived below."""


def qmark(sql: str, values: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """The statement with ``?`` placeholders in order of appearance, and its values so."""
    order = [int(n) for n in re.findall(r"\$(\d+)", sql)]
    return re.sub(r"\$\d+", "?", sql), tuple(values[n - 1] for n in order)


def named(sql: str, values: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    """The statement with SQLAlchemy's ``:pN`` parameters, and its values by name."""
    return re.sub(r"\$(\d+)", r":p\1", sql), {f"p{n}": v for n, v in enumerate(values, 1)}


def rounds(ways: dict[str, Callable[[], Any]], repeat: int, count: int
           ) -> dict[str, dict[str, float]]:
    """Each way's time per call (µs), median over ``count`` interleaved rounds (the order
    reversed every other round): ``wall`` clock, and ``cpu`` of this process — the layer's
    own cost, which the machine's load does not blur as it blurs the wall clock."""
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in ways}
    for way in ways.values():
        way()  # warm: connection caches, psycopg's prepared statements, the page cache
    for n in range(count):
        for name in list(ways)[::1 if n % 2 == 0 else -1]:
            way = ways[name]
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(repeat):
                way()
            times[name]["wall"].append((time.perf_counter() - wall) / repeat * 1e6)
            times[name]["cpu"].append((time.process_time() - cpu) / repeat * 1e6)
    return {name: {clock: round(statistics.median(t), 1) for clock, t in clocks.items()}
            for name, clocks in times.items()}


def postgresql(url: str, day: dt.date, count: int) -> dict[str, Any]:
    import psycopg
    import sqlalchemy as sa

    settings = ("SET plan_cache_mode = force_custom_plan", "SET jit = off")  # as the pool
    raw = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.RawCursor)
    client = psycopg.connect(url, autocommit=True)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    alchemy = engine.connect()
    for statement in settings:
        raw.execute(statement)
        client.execute(statement)
        alchemy.exec_driver_sql(statement)
    token = raw.execute("SELECT token_hash FROM kiosks ORDER BY id LIMIT 1").fetchone()[0]
    subject = raw.execute("SELECT subject_key FROM entries WHERE local_day = $1 LIMIT 1",
                          (day.isoformat(),)).fetchone()[0]
    lo = dt.datetime.combine(day - dt.timedelta(days=13), dt.time(), dt.UTC)
    hi = dt.datetime.combine(day, dt.time(23, 59), dt.UTC)
    statements = {
        "token": (KIOSK, (token,)),
        "report": (DAY, (day.isoformat(), day.isoformat())),
        "trace": (TRACE["postgresql"], ([subject], lo.date().isoformat(), day.isoformat(),
                                        id_prefix(lo - dt.timedelta(days=1)),
                                        id_prefix(hi + dt.timedelta(days=1)))),
    }
    checkpoint_days = sa.table("checkpoint_days", *map(sa.column, (
        "day", "checkpoint_id", "scans", "ins", "outs", "manual")))
    kiosks = sa.table("kiosks", *map(sa.column, (
        "id", "checkpoint_id", "name", "created_at", "revoked_at", "last_seen_at",
        "last_clock_offset", "entries", "refused_attempts", "last_refused_at", "token_hash")))
    core = {
        "token": (sa.select(*[c for c in kiosks.c if c.name != "token_hash"])
                  .where(kiosks.c.token_hash == sa.bindparam("p1")), {"p1": token}),
        "report": (sa.select(checkpoint_days).where(
            checkpoint_days.c.day >= sa.bindparam("p1"),
            checkpoint_days.c.day <= sa.bindparam("p2")),
            {"p1": day.isoformat(), "p2": day.isoformat()}),
    }
    rows: dict[str, int] = {}
    out: dict[str, Any] = {}
    for name, (sql, values) in statements.items():
        question, ordered = qmark(sql, values)
        text, by_name = named(sql, values)
        clause = sa.text(text)
        ways = {
            "$n as written (RawCursor)": lambda s=sql, v=values: raw.execute(s, v).fetchall(),
            "? rewritten to %s": lambda s=question, v=ordered: client.execute(
                s.replace("%", "%%").replace("?", "%s"), v).fetchall(),
            "SQLAlchemy text()": lambda s=clause, v=by_name: alchemy.execute(
                s, v).fetchall(),
        }
        if name in core:
            ways["SQLAlchemy Core select()"] = lambda s=core[name][0], v=core[name][1]: \
                alchemy.execute(s, v).fetchall()
        rows[name] = len(raw.execute(sql, values).fetchall())
        repeat = {"token": 2000, "report": 10, "trace": 20}[name]
        out[name] = {"rows": rows[name], **rounds(ways, repeat, count)}
    alchemy.close()
    engine.dispose()
    raw.close()
    client.close()
    return out


def sqlite(args: argparse.Namespace, folder: str, count: int) -> dict[str, Any]:
    import sqlalchemy as sa

    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC) - dt.timedelta(hours=7)
    path = f"{folder}/central.db"
    province(f"sqlite:///{path}", args, args.sqlite_entries, start).close()
    day = start.date() + dt.timedelta(days=15)
    conn = sqlite3.connect(path, isolation_level=None)
    engine = sa.create_engine(f"sqlite:///{path}")
    alchemy = engine.connect()
    token = conn.execute("SELECT token_hash FROM kiosks ORDER BY id LIMIT 1").fetchone()[0]
    subject = conn.execute("SELECT subject_key FROM entries WHERE local_day = ? LIMIT 1",
                           (day.isoformat(),)).fetchone()[0]
    statements = {
        "token": (KIOSK, (token,)),
        "report": (DAY, (day.isoformat(), day.isoformat())),
        "trace": (TRACE["sqlite"], (json.dumps([subject]),
                                    (day - dt.timedelta(days=13)).isoformat(), day.isoformat())),
    }
    out: dict[str, Any] = {}
    for name, (sql, values) in statements.items():
        question, ordered = qmark(sql, values)
        text, by_name = named(sql, values)
        clause = sa.text(text)
        numbered = {str(n): v for n, v in enumerate(values, 1)}
        ways = {
            "$n as written ({'1': …})": lambda s=sql, v=values: conn.execute(
                s, {str(n): x for n, x in enumerate(v, 1)}).fetchall(),
            "? with a tuple": lambda s=question, v=ordered: conn.execute(s, v).fetchall(),
            "SQLAlchemy text()": lambda s=clause, v=by_name: alchemy.execute(
                s, v).fetchall(),
        }
        repeat = {"token": 5000, "report": 20, "trace": 3}[name]
        out[name] = {"rows": len(conn.execute(sql, numbered).fetchall()),
                     **rounds(ways, repeat, count)}
    alchemy.close()
    engine.dispose()
    out["bulk insert"] = bulk_insert(conn, folder, count)
    conn.close()
    return out


def bulk_insert(source: sqlite3.Connection, folder: str, count: int, batch: int = 5000
                ) -> dict[str, dict[str, float]]:
    """SQLite's bulk insert of a batch (``executemany`` into a new centre's entries, its
    indexes included) bound by position and by name: time per row (µs), median of
    ``count`` interleaved rounds."""
    from kiosk.central.backends import open_storage
    from kiosk.central.placeholders import slots
    from kiosk.central.sqlite_storage import _INSERT
    from kiosk.central.storage import STORED_COLUMNS

    rows = source.execute(f"SELECT {', '.join(STORED_COLUMNS)} FROM entries LIMIT ?",
                          (2 * count * batch,)).fetchall()
    batches = iter([rows[i:i + batch] for i in range(0, len(rows), batch)])
    keys = [str(n) for n in range(1, len(STORED_COLUMNS) + 1)]
    by_name = _INSERT.split(" VALUES ")[0] + f" VALUES ({slots(len(STORED_COLUMNS))})"
    ways: dict[str, Callable[[Any, list[Any]], Any]] = {
        "? by position (the centre)": lambda tx, b: tx.executemany(_INSERT, b),
        "$n by name": lambda tx, b: tx.executemany(
            by_name, (dict(zip(keys, r, strict=True)) for r in b)),
    }
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in ways}
    with open_storage(f"sqlite:///{folder}/bulk.db") as storage:
        for n in range(count):
            for name in list(ways)[::1 if n % 2 == 0 else -1]:
                these = next(batches)
                with storage._transaction() as tx:
                    wall, cpu = time.perf_counter(), time.process_time()
                    ways[name](tx, these)
                    times[name]["wall"].append((time.perf_counter() - wall) / batch * 1e6)
                    times[name]["cpu"].append((time.process_time() - cpu) / batch * 1e6)
    return {name: {clock: round(statistics.median(t), 2) for clock, t in clocks.items()}
            for name, clocks in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a loaded province (read only); none: SQLite only")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 11, 15),
                        help="a day of the PostgreSQL province")
    parser.add_argument("--checkpoints", type=int, default=20_000)
    parser.add_argument("--sqlite-entries", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    if args.postgres:
        results["postgresql"] = postgresql(args.postgres, args.day, args.rounds)
        print(json.dumps(results["postgresql"], ensure_ascii=False), file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = sqlite(args, folder, args.rounds)
    results["load_after"] = os.getloadavg()
    json.dump(results, sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
