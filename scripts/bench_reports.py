"""Reports and ingest at province scale: how long do the daily and monthly reports take, and
how fast does a partitioned PostgreSQL take uploads from many kiosks at once?

A province is generated straight into the database with set-based fast paths (COPY for the
registry and kiosks, ``INSERT … SELECT`` over ``generate_series`` / a recursive CTE for the
entries, the aggregates counted with one ``GROUP BY``) — minutes, not hours, for millions of
rows. Then, in the same run:

- the daily report (a middle day) and the monthly report, on PostgreSQL and on SQLite;
- ingest: ``--kiosks`` simulated kiosks POSTing pre-encoded batches to ``--servers`` real
  ``kiosk-central serve`` processes on the partitioned PostgreSQL, retrying as a kiosk does
  until every entry is acknowledged, then checked in the database (each entry stored and
  counted once), beside a bare ``COPY`` of the same rows into the same table (the floor: no
  HTTP, no JSON, no idempotency, no aggregates, no stays), with the processor time per
  entry on each side and the load average.

The SQL layer's own cost (placeholders, SQLAlchemy) is measured by scripts/bench_sql_layer.py.

    .venv/bin/python scripts/bench_reports.py                      # the full province
    .venv/bin/python scripts/bench_reports.py --entries 300000 --sqlite-entries 100000 \\
        --checkpoints 2000 --ingest-entries 20000                  # a quick look

A province kept (``--postgres URL --loaded 2026-11``, or ``--sqlite-db FILE --loaded
2026-11``) has its reports timed warm (each made once, then the median of three) and, with
``--cold``, **fully cold** ``--cold-runs`` times each: before each report the server is
restarted (``--restart``: PostgreSQL's shared buffers emptied), the OS page cache is
written back and dropped, and the storage is opened anew — the 06:00 report of a server
that did nothing else since it started. Dropping the OS cache needs root; on a shared
server run it under the lock the others' figures take, e.g.::

    flock /work/coord/pg10m.lock .venv/bin/python scripts/bench_reports.py \\
        --postgres postgresql://postgres@127.0.0.1:55432/province_c10 --loaded 2026-11 \\
        --cold --restart 'runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl \\
        -D /work/pg10m/data -l /work/pg10m/log restart -m fast -w'
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import os
import statistics
import subprocess
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
from kiosk.central.localdays import Calendar  # noqa: E402
from kiosk.central.reports import month_days  # noqa: E402
from kiosk.central.schema import SEED_HISTORY  # noqa: E402
from kiosk.central.storage import STORED_COLUMNS, Storage, StorageBusy  # noqa: E402
from kiosk.ids import uuid7  # noqa: E402
from kiosk.sync import protocol  # noqa: E402
from kiosk.sync.client import ServerBusy, Unreachable, parse_retry_after  # noqa: E402

ZONE = "Asia/Ho_Chi_Minh"
KINDS = ("control_post", "office", "factory", "market", "school", "hospital", "station")
ACTIVE_SHARE = 0.6
"""Share of the points that scan at all (the rest are set up, never equipped)."""
MOVED_EVERY = 50
"""One point in this many moved to the next district on the 16th day: a registry with history."""


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
    for statement in SEED_HISTORY:  # as v39 gives a registry its history
        conn.execute(statement)
    moved = ", ".join(f"('CP-{i:05d}', '{first_day + dt.timedelta(days=15)}', 'Bình Phước', "
                      f"'Huyện {(i + 1) % 11}', 'Xã {i % 111}', '{KINDS[i % len(KINDS)]}')"
                      for i in range(0, checkpoints, MOVED_EVERY))
    conn.execute("INSERT INTO checkpoint_versions (checkpoint_id, from_day, province, "
                 f"district, commune, kind) VALUES {moved}")


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


def report_day(start: dt.datetime, days: int) -> tuple[dt.date, str, dt.datetime]:
    """The reports timed: the daily report of a middle day and its month's, made as of the
    end of the period."""
    day = start.date() + dt.timedelta(days=days // 2)
    now = dt.datetime.combine(start.date() + dt.timedelta(days=days), dt.time(), dt.UTC)
    return day, day.strftime("%Y-%m"), now


def run_report(storage: Storage, kind: str, start: dt.datetime, days: int) -> dict[str, Any]:
    """One report made as `kiosk-central report` makes it: wall seconds, this process's
    processor seconds, the load average just before, and its summary."""
    day, month, now = report_day(start, days)
    load = os.getloadavg()[0]
    cpu, started = time.process_time(), time.perf_counter()
    report = (reports.daily(storage, day, now=now) if kind == "daily"
              else reports.monthly(storage, month, now=now))
    return {"s": round(time.perf_counter() - started, 3),
            "cpu_s": round(time.process_time() - cpu, 3), "load": round(load, 2),
            "summary": report["summary"]}


def warm_times(storage: Storage, start: dt.datetime, days: int, runs: int = 3
               ) -> dict[str, Any]:
    """Each report made once to bring its pages into memory, then ``runs`` more: the
    median seconds (wall and processor) and the load average around them."""
    out: dict[str, Any] = {}
    for kind in ("daily", "monthly"):
        first = run_report(storage, kind, start, days)
        timed = [run_report(storage, kind, start, days) for _ in range(runs)]
        out[kind] = {"first_s": first["s"],
                     "warm_s": statistics.median(t["s"] for t in timed),
                     "warm_cpu_s": statistics.median(t["cpu_s"] for t in timed),
                     "load": [timed[0]["load"], round(os.getloadavg()[0], 2)]}
        out[f"{kind}_summary"] = first["summary"]
    return out


def make_cold(restart: str | None) -> None:
    """Fully cold: the database server restarted by the shell command ``restart`` (its
    shared buffers emptied; None for SQLite, whose page cache dies with its connection),
    then the operating system's page cache written back and dropped (needs root)."""
    if restart:
        # close_fds (the default): the restarted server must not inherit this process's
        # files, such as a lock held by `flock` around the benchmark
        subprocess.run(restart, shell=True, check=True, stdout=subprocess.DEVNULL)
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        raise SystemExit(f"--cold drops the OS page cache, which needs root: {exc}") from exc


def open_when_up(url: str, wait: float = 60.0) -> Storage:
    """The storage at ``url``, retried while a restarted server is still starting."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return open_storage(url)
        except StorageBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def cold_times(url: str, start: dt.datetime, days: int, runs: int, restart: str | None
               ) -> list[dict[str, Any]]:
    """``runs`` fully cold runs of each report (:func:`make_cold` before each, then a new
    process's first connection): the seconds to open the storage, and the report's."""
    out = []
    for n in range(runs):
        for kind in ("daily", "monthly"):
            make_cold(restart)
            started = time.perf_counter()
            storage = open_when_up(url)
            opened = time.perf_counter() - started
            try:
                result = run_report(storage, kind, start, days)
            finally:
                storage.close()
            log(f"  cold run {n + 1} {kind}: {result['s']} s (open {opened:.3f} s, "
                f"load {result['load']})")
            out.append({"run": n + 1, "report": kind, "open_s": round(opened, 3), **result})
    return out


# -- ingest ------------------------------------------------------------------------------------
def kiosk_entries(kiosk_id: str, checkpoint: str, count: int) -> list[dict[str, Any]]:
    """A kiosk's backlog of ``count`` CCCD scans over the last ``count`` seconds: each person
    in, then out (so the centre keeps their stays), with the keys a kiosk gives a CCCD."""
    now = dt.datetime.now(dt.UTC)
    entries = []
    for i in range(count):
        number = f"0010990{i // 2 % 100000:05d}"
        raw = f"{number}|123456789|Nguyễn Văn An|01021990|Nam|Số {i} Phố Huế|10102021"
        entries.append({
            "id": uuid7(), "checkpoint_id": checkpoint, "kiosk_id": kiosk_id,
            "device_id": "serial-1", "lane": "in", "direction": ("in", "out")[i % 2],
            "status": "accepted", "duplicate_of": None, "source": "serial",
            "symbology": "]Q1", "scanned_at": protocol.format_time(
                now - dt.timedelta(seconds=count - i)),
            "monotonic_ns": i, "boot_id": "boot", "kind": "cccd",
            "subject_key": f"doc:{number}", "match_key": f"m:{number[-6:]}|NGUYEN VAN AN|1990",
            "document_number": number, "name": "Nguyễn Văn An", "birth_date": "1990-02-01",
            "gender": "Nam", "address": f"Số {i} Phố Huế", "issue_date": "2021-10-10",
            "extra": {}, "operator": "",
            "payload_b64": base64.b64encode(raw.encode()).decode()})
    return entries


def cpu_seconds(pid: int) -> float | None:
    """User + system processor seconds of a process (all its threads) so far, from /proc;
    None when it cannot be read (another machine's PostgreSQL, a process gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes(pid: int) -> list[int]:
    """A process and its children (`serve --workers`)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


class CpuMeter:
    """Processor seconds spent by some processes between ``start()`` and ``stop()``: the
    `serve` processes, and the PostgreSQL backends serving one database (those alive at the
    end; the WAL writer and checkpointer, shared with every database, are not counted)."""

    def __init__(self, pids: Any) -> None:
        self.pids = pids
        self.before: dict[int, float] = {}

    def _now(self) -> dict[int, float]:
        return {pid: cpu for pid in self.pids() if (cpu := cpu_seconds(pid)) is not None}

    def start(self) -> None:
        self.before = self._now()

    def stop(self) -> float:
        return sum(cpu - self.before.get(pid, 0.0) for pid, cpu in self._now().items())


def backends(url: str) -> Any:
    """A callable listing the server processes serving ``url``'s database."""
    import psycopg

    def pids() -> list[int]:
        with psycopg.connect(url, autocommit=True) as conn:
            return [row[0] for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")]
    return pids


GIVE_UP = 30
"""Tries of one batch before a simulated kiosk reports its failure (~20 min of backoff)."""


class Kiosk:
    """One simulated kiosk: posts its pre-encoded batches in order, one at a time, and does
    what a kiosk's sync worker does when a batch gets no answer — keeps it and sends it again
    later, with the worker's own backoff (:meth:`Scheduler.backoff_delay`: the centre's
    Retry-After on 429/503, else 1 s doubling, randomised). A batch is done only when the
    centre answered 200 with a result per entry, each accepted or duplicate."""

    def __init__(self, url: str, token: str, bodies: list[tuple[bytes, int]],
                 encoding: str) -> None:
        from kiosk.sync.scheduler import Scheduler

        self.host, port = url.removeprefix("http://").rsplit(":", 1)
        self.port = int(port)
        self.headers = {"Authorization": f"Bearer {token}",
                        "Content-Type": "application/json", "Content-Encoding": encoding}
        self.bodies = bodies
        self.schedule = Scheduler(interval=60, linger=1, base_backoff=1, max_backoff=60)
        self.answers = {protocol.ACCEPTED: 0, protocol.DUPLICATE: 0}
        self.retries: dict[str, int] = {}
        self.failure: str | None = None

    def run(self) -> None:
        try:
            conn = None
            for number, (body, size) in enumerate(self.bodies):
                failures = 0
                while True:
                    if conn is None:
                        conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
                    delay = None
                    try:
                        conn.request("POST", protocol.BATCHES_PATH, body=body,
                                     headers=self.headers)
                        response = conn.getresponse()
                        answer = response.read()
                    except (OSError, http.client.HTTPException) as exc:
                        conn.close()  # a reset or a keep-alive the centre closed: reconnect
                        conn, cause = None, type(exc).__name__
                        delay = (failures + 1, Unreachable(cause))
                    else:
                        cause = str(response.status)
                        if response.status == 429 or response.status >= 500:
                            delay = (failures + 1, ServerBusy(cause, parse_retry_after(
                                response.getheader("Retry-After"))))
                        elif response.status != 200:
                            raise RuntimeError(f"batch {number}: {response.status} "
                                               f"{answer[:300]!r}")
                    if delay is None:
                        break
                    failures += 1
                    if conn is not None:  # as a kiosk's HTTP client does after a wait: the
                        conn.close()      # centre closes keep-alive connections idle for 5 s
                        conn = None
                    if failures > GIVE_UP:  # a kiosk never gives up; a benchmark must end
                        raise RuntimeError(f"batch {number}: no answer after {GIVE_UP} "
                                           f"tries, the last {cause}")
                    self.retries[cause] = self.retries.get(cause, 0) + 1
                    time.sleep(self.schedule.backoff_delay(*delay))
                results = json.loads(answer)["results"]
                statuses = [r["status"] for r in results]
                if len(statuses) != size or not set(statuses) <= set(self.answers):
                    raise RuntimeError(f"batch {number}: {len(statuses)} results for {size} "
                                       f"entries, {sorted(set(statuses))}: {results[:2]}")
                for status in statuses:
                    self.answers[status] += 1
            if conn is not None:
                conn.close()
        except Exception as exc:  # reported with the run, never lost
            self.failure = f"{exc!r}"


def floor_rows(backlogs: list[list[dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """The kiosks' entries as stored rows (STORED_COLUMNS) under new ids, for the floor."""
    place = Calendar(ZONE).place
    receipt = (protocol.format_time(dt.datetime.now(dt.UTC)), 0.5, "bench")
    rows = []
    for backlog in backlogs:
        for entry in backlog:
            row = protocol.entry_row({**entry, "id": uuid7()})[0]
            assert row is not None
            rows.append((*row, *receipt, place(row[STORED_COLUMNS.index("scanned_at")],
                                               0.5)[0]))
    return rows


def copy_text(url: str, rows: list[tuple[Any, ...]]) -> list[bytes]:
    """``rows`` (STORED_COLUMNS) as the lines of COPY's text format, made by PostgreSQL itself
    (through a temporary table), so that the timed COPY streams bytes as `psql \\copy` of a
    file would: the floor is the server's work, not this script's Python formatting rows."""
    import psycopg

    columns = ", ".join(STORED_COLUMNS)
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE floor_rows (LIKE entries)")
        with cur.copy(f"COPY floor_rows ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        with cur.copy(f"COPY floor_rows ({columns}) TO STDOUT") as copy:
            text = b"".join(bytes(chunk) for chunk in copy)
    return text.splitlines(keepends=True)  # a newline inside a value is written as \\n


_COUNTED = "SELECT coalesce(sum(scans), 0) FROM checkpoint_days"


def ingest(url: str, kiosks: int, total: int, size: int, servers: int = 2,
           copy_streams: int = 2, workers: int = 1, derive: bool = True) -> dict[str, Any]:
    """``kiosks`` simulated kiosks (:class:`Kiosk`) post ``total`` entries in batches of
    ``size`` to ``servers`` `kiosk-central serve --workers WORKERS` on ``url`` (a database
    holding the registry, and the province's entries when ``--entries`` built it in the same
    run); then the database is checked — every entry stored once, counted once in the
    aggregates beside what was counted before — and the same rows (new ids) are COPYed bare into the
    same table over ``copy_streams`` connections at once: the floor. Rates, the ratio,
    processor time per entry on each side, the load average before and after.

    What is derived from the entries (:mod:`kiosk.central.derivation`): with ``derive`` the
    servers derive in the background as they do in service, and the run also waits until
    nothing is left to derive (the sustained rate: entries acknowledged and derived per
    second, and the processor time per entry until then). Without it (``serve
    --no-derive``) the servers only acknowledge, and one catch-up after the run derives
    every entry, timed on its own (its rate and processor time per entry)."""
    import psycopg

    from kiosk.sync.protocol import token_hash

    per_kiosk = total // kiosks
    sent = per_kiosk * kiosks
    tokens = [uuid.uuid4().hex for _ in range(kiosks)]
    with psycopg.connect(url, autocommit=True) as conn:
        counted_before = conn.execute(_COUNTED).fetchone()[0]  # a province built in this run
        for i, token in enumerate(tokens):
            conn.execute("INSERT INTO kiosks (id, checkpoint_id, name, token_hash, "
                         "created_at) VALUES (%s, %s, %s, %s, %s)",
                         (f"KI-{i:03d}", f"CP-{i:05d}", "bench", token_hash(token),
                          "2026-01-01T00:00:00.000000Z"))
    log(f"  encoding {sent:,} entries for {kiosks} kiosks")
    backlogs = [kiosk_entries(f"KI-{i:03d}", f"CP-{i:05d}", per_kiosk) for i in range(kiosks)]
    encoding = protocol.encode_body({})[1]
    bodies = [[(protocol.encode_body(protocol.make_batch(
        f"KI-{i:03d}", str(uuid.uuid4()), backlog[n:n + size]), encoding)[0],
        len(backlog[n:n + size])) for n in range(0, len(backlog), size)]
        for i, backlog in enumerate(backlogs)]
    # each kiosk's backlog as fast as the centres take it, not its hourly bound in service
    centres = [CentralServer(url, "--log-level", "warning", "--workers", str(workers),
                             "--kiosk-entries-per-hour", str(10**12),
                             *(() if derive else ("--no-derive",))) for _ in range(servers)]
    senders = [Kiosk(centres[i % servers].url, tokens[i], bodies[i], encoding)
               for i in range(kiosks)]
    serve_cpu = CpuMeter(lambda: [pid for c in centres for pid in processes(c.process.pid)])
    database_cpu = CpuMeter(backends(url))
    try:
        load_before = os.getloadavg()[0]
        serve_cpu.start()
        database_cpu.start()
        client_cpu = time.process_time()
        started = time.perf_counter()
        threads = [threading.Thread(target=s.run) for s in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        http_s = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        serve_s, database_s = serve_cpu.stop(), database_cpu.stop()
        load_after = os.getloadavg()[0]
        if derive:
            backlog = pending(url)  # what a reader asking now would derive first
            while pending(url):
                time.sleep(0.05)
            derived_s = time.perf_counter() - started
            derived_cpu = (serve_cpu.stop(), database_cpu.stop())
    finally:
        for centre in centres:
            centre.stop()
    failures = [f"kiosk {i}: {s.failure}" for i, s in enumerate(senders) if s.failure]
    if failures:
        raise SystemExit(f"ingest failed: {len(failures)} kiosks stopped: {failures[:3]}")
    answers = {status: sum(s.answers[status] for s in senders)
               for status in (protocol.ACCEPTED, protocol.DUPLICATE)}
    retries: dict[str, int] = {}
    for s in senders:
        for cause, count in s.retries.items():
            retries[cause] = retries.get(cause, 0) + count
    with psycopg.connect(url, autocommit=True) as conn:
        stored = conn.execute("SELECT count(*) FROM entries WHERE kiosk_id LIKE 'KI-%'"
                              ).fetchone()[0]
        counted = conn.execute(_COUNTED).fetchone()[0] - counted_before
    if not stored == counted == sum(answers.values()) == sent:
        raise SystemExit(f"ingest lost or doubled entries: sent {sent:,}, acknowledged "
                         f"{answers}, stored {stored:,}, counted {counted:,}")
    log(f"  {sent:,} entries acknowledged ({answers}), stored and counted once; "
        f"retries {retries or 'none'}")
    if derive:
        derived = {"sustained_entries_per_s": round(sent / derived_s),
                   "pending_when_acknowledged": backlog,
                   "cpu_us_per_entry": {"serve": round(derived_cpu[0] / sent * 1e6, 1),
                                        "postgres": round(derived_cpu[1] / sent * 1e6, 1)}}
    else:
        derived = catch_up(url, sent)
    check_derived(url)
    log(f"  derived: {derived}")

    data = copy_text(url, floor_rows(backlogs))
    copy_sql = f"COPY entries ({', '.join(STORED_COLUMNS)}) FROM STDIN"

    def copy(lines: list[bytes], conn: Any) -> None:
        with conn.cursor() as cur, cur.copy(copy_sql) as stream:
            for n in range(0, len(lines), 2000):
                stream.write(b"".join(lines[n:n + 2000]))

    connections = [psycopg.connect(url, autocommit=True) for _ in range(copy_streams)]
    try:
        copy_cpu = CpuMeter(lambda: [c.info.backend_pid for c in connections])
        copy_cpu.start()
        started = time.perf_counter()
        streams = [threading.Thread(target=copy, args=(data[n::copy_streams], conn))
                   for n, conn in enumerate(connections)]
        for stream in streams:
            stream.start()
        for stream in streams:
            stream.join()
        copy_s = time.perf_counter() - started
        copy_database_s = copy_cpu.stop()
    finally:
        for conn in connections:
            conn.close()
    http_rate, copy_rate = sent / http_s, sent / copy_s
    return {
        "kiosks": kiosks, "entries": sent, "batch": size, "servers": servers,
        "workers": workers,
        "http_entries_per_s": round(http_rate),
        "bare_copy_entries_per_s": round(copy_rate), "copy_streams": copy_streams,
        "ratio": round(http_rate / copy_rate, 3),
        "load_average": [round(load_before, 1), round(load_after, 1)],
        "cpu_us_per_entry": {"serve": round(serve_s / sent * 1e6, 1),
                             "postgres_for_serve": round(database_s / sent * 1e6, 1),
                             "kiosks": round(client_cpu / sent * 1e6, 1),
                             "postgres_for_copy": round(copy_database_s / sent * 1e6, 1)},
        "answers": answers, "retries": retries,
        ("derived_in_background" if derive else "catch_up_after"): derived,
    }


def pending(url: str) -> int:
    """Entries acknowledged and not derived yet."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT coalesce(sum(entries), 0) FROM derive_queue").fetchone()[0]


def catch_up(url: str, sent: int) -> dict[str, Any]:
    """A reader arrives behind the backlog: today's daily report, timed, derives for
    :data:`derivation.READER_SECONDS` at most and answers saying how many entries it could
    not count yet. Then the rest is derived (:func:`derivation.catch_up`, as ``serve`` or
    the next readers would), and the report is timed again with nothing pending; the
    catch-up's rate and processor time per entry, in this process and in its PostgreSQL
    backends, are the first report's and the catch-up's less the second report's. Then a
    trace of one of the run's people, nothing pending."""
    from kiosk.central import derivation, trace_service

    def measured(work: Any) -> tuple[float, float, float]:
        database_cpu = CpuMeter(backends(url))
        database_cpu.start()
        client_cpu, started = time.process_time(), time.perf_counter()
        work()
        return (time.perf_counter() - started, time.process_time() - client_cpu,
                database_cpu.stop())

    left = pending(url)
    with open_storage(url) as storage:
        today = storage.today()
        answered: list[dict[str, Any]] = []
        first = measured(lambda: answered.append(reports.daily(storage, today)))
        rest = measured(lambda: derivation.catch_up(storage))
        derived = left - pending(url)
        second = measured(lambda: reports.daily(storage, today))
        trace = measured(lambda: trace_service.run(
            storage, trace_service.Request(document="001099000123"), actor="bench",
            reason="bench F0-1", channel="cli", address=None))
    if not derived == left == sent:
        raise SystemExit(f"the report derived {derived:,} entries, {left:,} were pending, "
                         f"{sent:,} sent")
    took, client, database = (a + r - b for a, r, b in zip(first, rest, second, strict=True))
    return {"entries_per_s": round(derived / took), "seconds": round(took, 2),
            "cpu_us_per_entry": {"client": round(client / derived * 1e6, 1),
                                 "postgres": round(database / derived * 1e6, 1)},
            "daily_report_s": {"with_backlog": round(first[0], 2),
                               "nothing_pending": round(second[0], 3)},
            "daily_report_with_backlog_said": answered[0]["not_derived"],
            "trace_s_nothing_pending": round(trace[0], 3),
            "load_average": round(os.getloadavg()[0], 1)}


def check_derived(url: str) -> None:
    """Every entry of the run is derived: each day's set holds its people, every scan with a
    match key is in a stay (or the lone scan of one)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        people, held = conn.execute(
            "SELECT (SELECT count(*) FROM day_subjects), (SELECT count(*) FROM (SELECT DISTINCT "
            "local_day, subject_key FROM entries) p)").fetchone()
        tails, persons = conn.execute(
            "SELECT (SELECT count(*) FROM stay_tails), (SELECT count(*) FROM (SELECT DISTINCT "
            "match_key, checkpoint_id FROM entries WHERE match_key IS NOT NULL) p)").fetchone()
    if (people, tails) != (held, persons) or pending(url):
        raise SystemExit(f"not everything derived: {people:,} day-set pairs for {held:,}, "
                         f"{tails:,} tails for {persons:,} people and places")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoints", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=10_000_000, help="PostgreSQL entries")
    parser.add_argument("--sqlite-entries", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--kiosks", type=int, default=50)
    parser.add_argument("--ingest-entries", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=2,
                        help="`kiosk-central serve` processes the kiosks are spread over")
    parser.add_argument("--workers", type=int, default=1,
                        help="`serve --workers` of each of the --servers")
    parser.add_argument("--copy-streams", type=int, default=2,
                        help="connections the bare COPY (the floor) writes over at once")
    parser.add_argument("--postgres", help="an empty database URL (default: a private cluster)")
    parser.add_argument("--sqlite-db", metavar="FILE",
                        help="generate the SQLite province into this new file and keep it "
                             "(default: a temporary file); with --loaded, time its reports")
    parser.add_argument("--loaded", metavar="YYYY-MM",
                        help="--postgres (or --sqlite-db) already holds a province whose days "
                             "are this month (scripts/bench_province.py, or an earlier "
                             "--sqlite-db run): only time its reports, warm and with --cold")
    parser.add_argument("--cold", action="store_true",
                        help="with --loaded: also time --cold-runs fully cold runs of each "
                             "report: the server restarted (--restart), the OS page cache "
                             "dropped (root), a new connection")
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--restart", metavar="COMMAND",
                        help="with --cold on PostgreSQL: the shell command restarting the "
                             "server, e.g. 'runuser -u postgres -- pg_ctl -D DATA -l LOG "
                             "restart -m fast -w'")
    parser.add_argument("--no-derive", dest="derive", action="store_false",
                        help="ingest: serve only acknowledges (serve --no-derive); one "
                             "catch-up after the run derives everything, timed alone")
    parser.add_argument("--ingest-only", action="store_true",
                        help="--postgres is an empty database: give it the registry and "
                             "only measure ingest beside the bare COPY")
    args = parser.parse_args()
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC) - dt.timedelta(hours=7)  # 00:00 Hà Nội
    if args.loaded:
        url = args.postgres or f"sqlite:///{args.sqlite_db}"
        if args.cold and args.postgres and not args.restart:
            parser.error("--cold on PostgreSQL needs --restart: its shared buffers are "
                         "emptied only by restarting the server")
        days = month_days(args.loaded)
        start = dt.datetime.combine(days[0], dt.time(), dt.UTC) - dt.timedelta(hours=7)
        times: dict[str, Any] = {}
        if args.cold:
            times["cold"] = cold_times(url, start, len(days), args.cold_runs, args.restart)
        with open_storage(url) as storage:
            times = {"entries": storage.entry_count(), **times,
                     "warm": warm_times(storage, start, len(days))}
        for run in times.get("cold", []):  # the same answers cold and warm
            if run.pop("summary") != times["warm"][f"{run['report']}_summary"]:
                raise SystemExit(f"cold run {run} answered differently from the warm runs")
        json.dump(times, sys.stdout, indent=1, ensure_ascii=False)
        print()
        return 0
    if args.ingest_only:
        with open_storage(args.postgres) as storage, storage._connection() as conn:
            load_registry(conn, args.checkpoints, start.date(), pg=True)
        json.dump(ingest(args.postgres, args.kiosks, args.ingest_entries, args.batch,
                         args.servers, args.copy_streams, args.workers, args.derive),
                  sys.stdout, indent=1)
        print()
        return 0
    results: dict[str, Any] = {"checkpoints": args.checkpoints, "days": args.days}
    pg_url = args.postgres
    if not pg_url and (args.entries or args.ingest_entries):
        server = shared_postgres()
        if server is None:
            raise SystemExit("PostgreSQL binaries not installed")
        pg_url = server.create_database()
    if args.entries:
        log(f"PostgreSQL: {args.entries:,} entries, {args.checkpoints:,} checkpoints")
        storage = province(pg_url, args, args.entries, start)
        results["postgresql"] = {"entries": args.entries,
                                 **warm_times(storage, start, args.days)}
        storage.close()
        log(f"  {results['postgresql']}")
    with tempfile.TemporaryDirectory() as folder:
        log(f"SQLite: {args.sqlite_entries:,} entries")
        if args.sqlite_db and Path(args.sqlite_db).exists():
            raise SystemExit(f"{args.sqlite_db} exists: --sqlite-db takes a new file")
        storage = province(f"sqlite:///{args.sqlite_db or f'{folder}/central.db'}", args,
                           args.sqlite_entries, start)
        results["sqlite"] = {"entries": args.sqlite_entries,
                             **warm_times(storage, start, args.days)}
        storage.close()
    log(f"  {results['sqlite']}")
    if args.ingest_entries:
        log(f"ingest: {args.kiosks} kiosks, {args.ingest_entries:,} entries")
        results["ingest"] = ingest(pg_url, args.kiosks, args.ingest_entries, args.batch,
                                   args.servers, args.copy_streams, args.workers, args.derive)
        log(f"  {results['ingest']['http_entries_per_s']:,} entries/s through serve, bare "
            f"COPY {results['ingest']['bare_copy_entries_per_s']:,}/s")
    json.dump(results, sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
