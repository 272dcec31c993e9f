"""Reports and ingest at province scale: how long do the daily and monthly reports take, and
how fast does a partitioned PostgreSQL take uploads from many kiosks at once?

A province is generated straight into the database with set-based fast paths (COPY for the
registry and kiosks, ``INSERT … SELECT`` over ``generate_series`` / a recursive CTE for the
entries, the aggregates counted with one ``GROUP BY``) — minutes, not hours, for millions of
rows. Then, in the same run:

- the daily report (a middle day) and the monthly report, on PostgreSQL and on SQLite;
- ingest: ``--kiosks`` simulated kiosks POSTing pre-encoded batches to a real
  ``kiosk-central serve`` on the partitioned PostgreSQL, beside a bare ``COPY`` of the same
  rows into the same table (the floor: no HTTP, no JSON, no idempotency, no aggregates).

The SQL layer's own cost (placeholders, SQLAlchemy) is measured by scripts/bench_sql_layer.py.

    .venv/bin/python scripts/bench_reports.py                      # the full province
    .venv/bin/python scripts/bench_reports.py --entries 300000 --sqlite-entries 100000 \\
        --checkpoints 2000 --ingest-entries 20000                  # a quick look
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from central_support import CentralServer, shared_postgres  # noqa: E402

from kiosk.central import people, reports  # noqa: E402
from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.central.reports import month_days  # noqa: E402
from kiosk.central.storage import STORED_COLUMNS, Storage  # noqa: E402
from kiosk.ids import uuid7  # noqa: E402
from kiosk.sync import protocol  # noqa: E402

ZONE = "Asia/Ho_Chi_Minh"
KINDS = ("control_post", "office", "factory", "market", "school", "hospital", "station")
ACTIVE_SHARE = 0.6
"""Share of the points that scan at all (the rest are set up, never equipped)."""


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


# -- generating a province -------------------------------------------------------------------
def registry_rows(checkpoints: int, first_day: dt.date) -> list[tuple[Any, ...]]:
    return [(f"CP-{i:05d}", f"Điểm {i}", "Bình Phước", f"Huyện {i % 11}", f"Xã {i % 111}",
             KINDS[i % len(KINDS)], f"Số {i}", None, None,
             (first_day - dt.timedelta(days=i % 60)).isoformat(),
             None if i % 97 else (first_day + dt.timedelta(days=i % 30)).isoformat(),
             "2026-01-01T00:00:00.000000Z") for i in range(checkpoints)]


def load_registry(conn: Any, checkpoints: int, first_day: dt.date, pg: bool) -> None:
    rows = registry_rows(checkpoints, first_day)
    kiosks = [(f"K-{i:05d}", f"CP-{i:05d}", f"Máy {i}", uuid.uuid4().hex,
               "2026-01-01T00:00:00.000000Z", "2026-11-29T00:00:00.000000Z", 0.5)
              for i in range(int(checkpoints * ACTIVE_SHARE))]
    cp_cols = ("id, name, province, district, commune, kind, address, latitude, longitude, "
               "set_up_on, closed_on, created_at")
    k_cols = "id, checkpoint_id, name, token_hash, created_at, last_seen_at, " \
             "last_clock_offset"
    if pg:
        with conn.cursor() as cur:
            with cur.copy(f"COPY checkpoints ({cp_cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with cur.copy(f"COPY kiosks ({k_cols}) FROM STDIN") as copy:
                for row in kiosks:
                    copy.write_row(row)
    else:
        conn.executemany(f"INSERT INTO checkpoints ({cp_cols}) VALUES "
                         f"({', '.join('?' * 12)})", rows)
        conn.executemany(f"INSERT INTO kiosks ({k_cols}) VALUES ({', '.join('?' * 7)})",
                         kiosks)


_PG_ENTRIES = """
INSERT INTO entries (id, checkpoint_id, kiosk_id, device_id, lane, direction, status,
    duplicate_of, source, symbology, scanned_at, monotonic_ns, boot_id, kind, subject_key,
    match_key, document_number, name, birth_date, gender, address, issue_date, operator,
    extra, payload, received_at, clock_offset_seconds, batch_id, local_day)
SELECT
    substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || lpad(to_hex(g % 4096), 3, '0')
        || '-8' || lpad(to_hex((g / 4096) % 4096), 3, '0') || '-' || lpad(to_hex(g), 12, '0'),
    'CP-' || lpad(cp::text, 5, '0'), 'K-' || lpad(cp::text, 5, '0'), 'serial-1', 'in',
    CASE WHEN g % 5 < 3 THEN 'in' ELSE 'out' END, 'accepted', NULL,
    CASE WHEN g % 23 = 0 THEN 'manual' ELSE 'serial' END, ']Q1',
    to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), g, 'boot', 'cccd',
    'doc:' || lpad((g * 7 % {people})::text, 12, '0'), NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, '', '{{}}'::jsonb, '\\x00'::bytea,
    to_char((ts + interval '5 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    0.5, 'bench', to_char(ts AT TIME ZONE '{zone}', 'YYYY-MM-DD')
FROM (
    SELECT g, cp, ts, lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') AS h
    FROM (
        SELECT g, (g * 7919) % {active} AS cp,
               '{start}'::timestamptz + make_interval(secs => (g::float8 / {total})
                                                     * {span}) AS ts
        FROM generate_series({first}::bigint, {last}::bigint) AS g
    ) AS a
) AS b
"""


def load_pg_entries(storage: Storage, total: int, start: dt.datetime, days: int,
                    active: int, chunk: int = 500_000) -> None:
    import psycopg

    with storage._connection() as conn:
        storage.partitions.ensure(conn, [start.date() + dt.timedelta(days=n)
                                         for n in range(-1, days + 2)])
    # a connection of its own: bulk statements outlast the server's 120 s statement timeout
    with psycopg.connect(storage.url, autocommit=True) as conn:
        conn.execute("SET work_mem = '256MB'")
        for first in range(0, total, chunk):
            last = min(first + chunk, total) - 1
            conn.execute(_PG_ENTRIES.format(  # numbers and a zone name only: no parameters
                people=max(total // 3, 1), active=active, start=start.isoformat(),
                total=total, span=days * 86400, first=first, last=last, zone=ZONE))
            log(f"  PostgreSQL entries {last + 1:,} / {total:,}")
        log("  counting the aggregates")
        count_aggregates(conn, pg=True)
        people.recount(storage, conn)
        log("  VACUUM ANALYZE")
        conn.execute("VACUUM ANALYZE")
        size = conn.execute("SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                            "WHERE inhparent = 'entries'::regclass").fetchone()[0]
        log(f"  entries with their indexes: {size / 2**30:.2f} GiB, "
            f"{size / max(total, 1):.0f} bytes per entry")


_SQLITE_ENTRIES = """
WITH RECURSIVE seq(g) AS (SELECT $1 UNION ALL SELECT g + 1 FROM seq WHERE g < $2),
t AS (SELECT g, (g * 7919) % $3 AS cp,
             $4 + (CAST(g AS REAL) / $5) * $6 AS epoch FROM seq)
INSERT INTO entries (id, checkpoint_id, kiosk_id, device_id, lane, direction, status,
    duplicate_of, source, symbology, scanned_at, monotonic_ns, boot_id, kind, subject_key,
    match_key, document_number, name, birth_date, gender, address, issue_date, operator,
    extra, payload, received_at, clock_offset_seconds, batch_id, local_day)
SELECT printf('%08x-%04x-7%03x-8%03x-%012x', CAST(epoch * 1000 AS INTEGER) >> 16,
              CAST(epoch * 1000 AS INTEGER) & 65535, g % 4096, (g / 4096) % 4096, g),
       printf('CP-%05d', cp), printf('K-%05d', cp), 'serial-1', 'in',
       CASE WHEN g % 5 < 3 THEN 'in' ELSE 'out' END, 'accepted', NULL,
       CASE WHEN g % 23 = 0 THEN 'manual' ELSE 'serial' END, ']Q1',
       strftime('%Y-%m-%dT%H:%M:%f000Z', epoch, 'unixepoch'), g, 'boot', 'cccd',
       printf('doc:%012d', g * 7 % $7), NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', '{}',
       X'00', strftime('%Y-%m-%dT%H:%M:%f000Z', epoch + 300, 'unixepoch'), 0.5, 'bench',
       strftime('%Y-%m-%d', epoch + 7 * 3600, 'unixepoch')
FROM t
"""


def load_sqlite_entries(storage: Storage, total: int, start: dt.datetime, days: int,
                        active: int, chunk: int = 250_000) -> None:
    for first in range(0, total, chunk):
        last = min(first + chunk, total) - 1
        with storage._transaction() as conn:
            storage._execute(conn, _SQLITE_ENTRIES, (first, last, active, start.timestamp(),
                                                     total, days * 86400, max(total // 3, 1)))
        log(f"  SQLite entries {last + 1:,} / {total:,}")
    with storage._transaction() as conn:
        count_aggregates(conn, pg=False)
        people.recount(storage, conn)
    storage._conn().execute("ANALYZE")


def count_aggregates(conn: Any, pg: bool) -> None:
    """The aggregates ingest would have written, counted in one pass (zero clock offsets,
    so a scan's local hour is its UTC hour + 7 in Hà Nội); the day sets come after."""
    hour = ("(CAST(substr(scanned_at, 12, 2) AS INTEGER) + 7) % 24")
    conn.execute("INSERT INTO checkpoint_days (day, checkpoint_id, scans, ins, outs, manual) "
                 "SELECT local_day, checkpoint_id, count(*), "
                 "sum(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), "
                 "sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), "
                 "sum(CASE WHEN source = 'manual' THEN 1 ELSE 0 END) "
                 "FROM entries GROUP BY local_day, checkpoint_id")
    conn.execute(f"INSERT INTO checkpoint_hours (day, checkpoint_id, hour, scans) "
                 f"SELECT local_day, checkpoint_id, {hour}, count(*) FROM entries "
                 f"GROUP BY local_day, checkpoint_id, {hour}")
    del pg


def province(url: str, args: argparse.Namespace, entries: int, start: dt.datetime
             ) -> Storage:
    storage = open_storage(url)
    pg = url.startswith("postgresql")
    if pg:
        with storage._connection() as conn:
            load_registry(conn, args.checkpoints, start.date(), pg=True)
    else:
        with storage._transaction() as conn:
            load_registry(conn, args.checkpoints, start.date(), pg=False)
    active = int(args.checkpoints * ACTIVE_SHARE)
    started = time.perf_counter()
    if pg:
        load_pg_entries(storage, entries, start, args.days, active)
    else:
        load_sqlite_entries(storage, entries, start, args.days, active)
    log(f"  generated {entries:,} entries in {time.perf_counter() - started:.0f} s")
    return storage


def report_times(storage: Storage, start: dt.datetime, days: int,
                 chill: Any = lambda: None) -> dict[str, Any]:
    """Seconds for the daily report of a middle day and the month's report: the first run
    (cold: ``chill()`` just before it) and the median of two more (warm)."""
    day = start.date() + dt.timedelta(days=days // 2)
    now = dt.datetime.combine(start.date() + dt.timedelta(days=days), dt.time(), dt.UTC)
    month = day.strftime("%Y-%m")
    chill()
    daily_cold, report = timed(lambda: reports.daily(storage, day, now=now), 1)
    daily_warm, _ = timed(lambda: reports.daily(storage, day, now=now), 2)
    chill()
    monthly_cold, _ = timed(lambda: reports.monthly(storage, month, now=now), 1)
    monthly_warm, _ = timed(lambda: reports.monthly(storage, month, now=now), 2)
    return {"daily_cold_s": round(daily_cold, 3), "daily_warm_s": round(daily_warm, 3),
            "monthly_cold_s": round(monthly_cold, 3), "monthly_warm_s": round(monthly_warm, 3),
            "summary": report["summary"]}


def drop_from_os_cache(url: str) -> None:
    """Drop the files of this one PostgreSQL database from the OS page cache
    (``posix_fadvise(DONTNEED)`` on each file of ``base/<its oid>``, other databases
    untouched), so that a report reads from disk what PostgreSQL's own shared buffers do
    not hold; those cannot be emptied without restarting the server. Needs the server's
    data directory on this machine, readable by this user."""
    import psycopg

    with psycopg.connect(url) as conn:
        home, oid = conn.execute("SELECT current_setting('data_directory'), oid FROM "
                                 "pg_database WHERE datname = current_database()").fetchone()
    folder = Path(home) / "base" / str(oid)
    size = 0
    for path in folder.iterdir():
        with path.open("rb") as file:
            os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        size += path.stat().st_size
    log(f"  {folder}: {size / 2**30:.2f} GiB advised out of the page cache")


# -- ingest ------------------------------------------------------------------------------------
def kiosk_batches(kiosk_id: str, checkpoint: str, count: int, size: int) -> list[bytes]:
    now = dt.datetime.now(dt.UTC)
    out = []
    for first in range(0, count, size):
        entries = []
        for i in range(first, min(first + size, count)):  # each person in, then out
            number = f"0010990{i // 2 % 100000:05d}"
            raw = f"{number}|123456789|Nguyễn Văn An|01021990|Nam|Số {i} Phố Huế|10102021"
            entries.append({
                "id": uuid7(), "checkpoint_id": checkpoint, "kiosk_id": kiosk_id,
                "device_id": "serial-1", "lane": "in", "direction": ("in", "out")[i % 2],
                "status": "accepted", "duplicate_of": None, "source": "serial",
                "symbology": "]Q1", "scanned_at": protocol.format_time(
                    now - dt.timedelta(seconds=count - i)),
                "monotonic_ns": i, "boot_id": "boot", "kind": "cccd",
                "subject_key": f"doc:{number}",  # the keys the kiosk gives a CCCD
                "match_key": f"m:{number[-6:]}|NGUYEN VAN AN|1990",
                "document_number": number, "name": "Nguyễn Văn An", "birth_date": "1990-02-01",
                "gender": "Nam", "address": f"Số {i} Phố Huế", "issue_date": "2021-10-10",
                "extra": {}, "operator": "", "payload_b64": base64.b64encode(raw.encode()
                                                                            ).decode()})
        out.append(protocol.encode_body(protocol.make_batch(kiosk_id, str(uuid.uuid4()),
                                                            entries))[0])
    return out


def ingest(url: str, kiosks: int, total: int, size: int) -> tuple[float, float]:
    """(entries/s through 2 `serve` processes from ``kiosks`` concurrent senders, entries/s of
    a bare COPY of as many rows into the same partitioned table)."""
    import psycopg

    from kiosk.sync.protocol import token_hash

    per_kiosk = total // kiosks
    tokens = [uuid.uuid4().hex for _ in range(kiosks)]
    with psycopg.connect(url, autocommit=True) as conn:
        for i, token in enumerate(tokens):
            conn.execute("INSERT INTO kiosks (id, checkpoint_id, name, token_hash, "
                         "created_at) VALUES (%s, %s, %s, %s, %s)",
                         (f"KI-{i:03d}", f"CP-{i:05d}", "bench", token_hash(token),
                          "2026-01-01T00:00:00.000000Z"))
    log(f"  encoding {per_kiosk * kiosks:,} entries for {kiosks} kiosks")
    bodies = [kiosk_batches(f"KI-{i:03d}", f"CP-{i:05d}", per_kiosk, size)
              for i in range(kiosks)]
    servers = [CentralServer(url, "--log-level", "warning") for _ in range(2)]
    errors: list[str] = []

    def send(i: int) -> None:
        server = servers[i % len(servers)]
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=600)
        for body in bodies[i]:
            while True:
                conn.request("POST", protocol.BATCHES_PATH, body=body, headers={
                    "Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json",
                    "Content-Encoding": protocol.encode_body({})[1]})
                response = conn.getresponse()
                answer = response.read()
                if response.status == 503:
                    time.sleep(float(response.getheader("Retry-After", "1")))
                    continue
                if response.status != 200:
                    errors.append(f"{response.status} {answer[:200]!r}")
                break
        conn.close()

    try:
        started = time.perf_counter()
        threads = [threading.Thread(target=send, args=(i,)) for i in range(kiosks)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        http_s = time.perf_counter() - started
    finally:
        for server in servers:
            server.stop()
    if errors:
        raise SystemExit(f"ingest failed: {errors[:3]}")
    sent = per_kiosk * kiosks
    now = protocol.format_time(dt.datetime.now(dt.UTC))
    template = {name: None for name in STORED_COLUMNS}
    template.update({"checkpoint_id": "CP-00000", "kiosk_id": "KI-000",
                     "device_id": "serial-1", "lane": "in", "direction": ("in", "out")[i % 2],
                     "status": "accepted", "source": "serial", "symbology": "]Q1",
                     "scanned_at": now, "monotonic_ns": 1, "boot_id": "boot", "kind": "cccd",
                     "name": "Nguyễn Văn An", "operator": "", "extra": "{}", "payload": b"x",
                     "received_at": now, "clock_offset_seconds": 0.5, "batch_id": "bench",
                     "local_day": "2026-11-29"})
    rows = [tuple({**template, "id": uuid7(), "subject_key": f"doc:{i}"}.values())
            for i in range(sent)]
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        with cur.copy(f"COPY entries ({', '.join(STORED_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        copy_s = time.perf_counter() - started
    return sent / http_s, sent / copy_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoints", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=10_000_000, help="PostgreSQL entries")
    parser.add_argument("--sqlite-entries", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--ingest-entries", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres", help="an empty database URL (default: a private cluster)")
    parser.add_argument("--loaded", metavar="YYYY-MM",
                        help="--postgres already holds a province whose days are this month "
                             "(scripts/bench_province.py): only time its reports")
    parser.add_argument("--cold", action="store_true",
                        help="with --loaded: drop the database's files from the OS page "
                             "cache before each first run (drop_from_os_cache)")
    parser.add_argument("--ingest-only", action="store_true",
                        help="--postgres is an empty database: give it the registry and "
                             "only measure ingest beside the bare COPY")
    args = parser.parse_args()
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC) - dt.timedelta(hours=7)  # 00:00 Hà Nội
    if args.loaded:
        days = month_days(args.loaded)
        start = dt.datetime.combine(days[0], dt.time(), dt.UTC) - dt.timedelta(hours=7)
        with open_storage(args.postgres) as storage:
            times = {"entries": storage.entry_count(), **report_times(
                storage, start, len(days),
                (lambda: drop_from_os_cache(args.postgres)) if args.cold else lambda: None)}
        json.dump(times, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return 0
    if args.ingest_only:
        with open_storage(args.postgres) as storage, storage._connection() as conn:
            load_registry(conn, args.checkpoints, start.date(), pg=True)
        http_rate, copy_rate = ingest(args.postgres, args.kiosks, args.ingest_entries,
                                      args.batch)
        print(json.dumps({"http_entries_per_s": round(http_rate),
                          "bare_copy_entries_per_s": round(copy_rate)}))
        return 0
    results: dict[str, Any] = {"checkpoints": args.checkpoints, "days": args.days}
    if args.postgres:
        pg_url = args.postgres
    else:
        server = shared_postgres()
        if server is None:
            raise SystemExit("PostgreSQL binaries not installed")
        pg_url = server.create_database()
    log(f"PostgreSQL: {args.entries:,} entries, {args.checkpoints:,} checkpoints")
    storage = province(pg_url, args, args.entries, start)
    results["postgresql"] = {"entries": args.entries,
                             **report_times(storage, start, args.days)}
    storage.close()
    log(f"  {results['postgresql']}")
    with tempfile.TemporaryDirectory() as folder:
        log(f"SQLite: {args.sqlite_entries:,} entries")
        storage = province(f"sqlite:///{folder}/central.db", args, args.sqlite_entries, start)
        results["sqlite"] = {"entries": args.sqlite_entries,
                             **report_times(storage, start, args.days)}
        storage.close()
    log(f"  {results['sqlite']}")
    if args.ingest_entries:
        log(f"ingest: {args.kiosks} kiosks, {args.ingest_entries:,} entries")
        http_rate, copy_rate = ingest(pg_url, args.kiosks, args.ingest_entries, args.batch)
        results["ingest"] = {"kiosks": args.kiosks, "entries": args.ingest_entries,
                             "batch": args.batch, "http_entries_per_s": round(http_rate),
                             "bare_copy_entries_per_s": round(copy_rate)}
        log(f"  {http_rate:,.0f} entries/s through serve, bare COPY {copy_rate:,.0f}/s")
    json.dump(results, sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
