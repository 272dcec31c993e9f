"""Real servers for the central tests: `kiosk-central serve` and a throw-away PostgreSQL.

Both are started as separate processes on 127.0.0.1 and stopped afterwards; nothing here
imitates them. PostgreSQL runs from /usr/lib/postgresql/<version>/bin in a temporary data
directory (as the ``postgres`` user when the tests run as root, since initdb refuses root).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kiosk.central.aggregates import unpack_report
from kiosk.central.audit import Actor, command_actor
from kiosk.central.backends import open_storage
from kiosk.central.enrol import enrol_kiosk
from kiosk.central.schema import (
    BATCHES_SEEN_VERSION,
    CENTRE_ID_VERSION,
    KIOSK_SOURCES_VERSION,
    LATE_AFTER_REPORT_VERSION,
    MIGRATIONS,
    NOBODY_VERSION,
    REPORT_KEPT_VERSION,
    REPORT_PACKED_VERSION,
)
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import protocol

CENTRAL = [str(Path(sys.executable).with_name("kiosk-central"))]
if not Path(CENTRAL[0]).exists():  # not installed as a console script: run the module
    CENTRAL = [sys.executable, "-m", "kiosk.central.cli"]


SUBPROCESS_WAIT = 120.0
"""How long (s) a test waits for a `kiosk-central serve` it started to answer its health
check, or to end once stopped, before calling it failed (the first) or killing it (the
second). Each took about a second; 20 and 15 s were near enough to a whole-suite run at load
20 for a wait to run out there: the test then failed, or read a log cut short by the kill.
Waits end as soon as what they wait for happens."""


def central(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one `kiosk-central` command to completion."""
    result = subprocess.run([*CENTRAL, *args], capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"kiosk-central {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


@dataclass(frozen=True)
class StartedAt:
    """A test's times, from its now: `kiosk-central purge` and the erasure cut at the UTC day
    they run on, so the times they are checked with are taken as the test starts, not as its
    module was collected (minutes before in a whole run: past 00:00 UTC, the cut a day
    later). Each module names the moments it needs from these."""

    now: dt.datetime

    @classmethod
    def starting(cls) -> Any:
        return cls(dt.datetime.now(dt.UTC).replace(microsecond=0))

    def local_noon(self, days_ago: int) -> dt.datetime:
        """Noon in the centre's zone (UTC+7) ``days_ago`` days ago: scans minutes or an hour
        apart from it fall on one local day whenever the test runs (from 16:50 UTC they
        crossed local midnight)."""
        return (self.now - dt.timedelta(days=days_ago)).replace(hour=5, minute=0, second=0)

    def purge_edge(self, days: int) -> dt.datetime:
        """The cutoff of a purge with ``--days days``: scans before it (by their ids) are
        dropped."""
        return dt.datetime.combine(self.now.date() - dt.timedelta(days=days), dt.time(), dt.UTC)


@dataclass
class Enrolled:
    kiosk_id: str
    checkpoint_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return protocol.bearer(self.token)


def by_command() -> Actor:
    """Who a ``kiosk-central`` command run here is in the audit log (its user@host)."""
    return Actor(command_actor(), "cli")


def enrol(db: str, kiosk_id: str, checkpoint: str = "CP-T") -> Enrolled:
    """``kiosk_id`` enrolled at ``checkpoint`` as `kiosk-central kiosks add --kiosk-id` enrols
    it (the same call, recorded as by this user@host), in this process: a command's process
    cost a second of CPU at each of some 170 call sites. The command itself is
    test_central_cli's."""
    with open_storage(db, create=False) as storage:
        kiosk, token = enrol_kiosk(storage, checkpoint_id=checkpoint, name=f"Máy {kiosk_id}",
                                   by=by_command(), kiosk_id=kiosk_id)
    return Enrolled(kiosk.id, kiosk.checkpoint_id, token)


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 in this process (for a test that waits on the
    app's own state); its URL, until the block ends."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


class CentralServer:
    """`kiosk-central serve --port 0` in a subprocess; the URL comes from its first line."""

    def __init__(self, db: str, *extra: str) -> None:
        self.db = db
        # serve never makes a centre (a mistyped --db): made here as `kiosk-central init`
        # makes (or upgrades) it, without a process of its own (test_central_cli's is tested)
        open_storage(db).close()
        self.process = subprocess.Popen(
            [*CENTRAL, "serve", "--db", db, "--host", "127.0.0.1", "--port", "0", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "listening on " not in line:
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
            raise RuntimeError(f"kiosk-central serve did not start: {line}{err}")
        self.url = line.split("listening on ", 1)[1].split()[0]
        self._stderr: list[str] = []
        self._stderr_grew = threading.Condition()
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()
        deadline = time.monotonic() + SUBPROCESS_WAIT  # listening, so soon: but loaded
        while True:
            try:
                if httpx.get(self.url + protocol.HEALTH_PATH, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def post(self, body: Any, *, token: str | None = None, encoding: str | None = "gzip",
             headers: dict[str, str] | None = None) -> httpx.Response:
        """POST a batch: ``body`` is encoded with protocol.encode_body unless it is bytes."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            all_headers.update(protocol.bearer(token))
        if isinstance(body, bytes):
            data = body
            if encoding:
                all_headers["Content-Encoding"] = encoding
        else:
            data, used = protocol.encode_body(body, encoding)
            all_headers["Content-Encoding"] = used
        return httpx.post(self.url + protocol.BATCHES_PATH, content=data, headers=all_headers,
                          timeout=60)

    def _read_stderr(self) -> None:
        """Read the server's stderr as it comes (a pipe nobody reads fills, and the server
        then blocks on its next log line), for :meth:`wait_for_stderr` and :meth:`stop`."""
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._stderr_grew:
                self._stderr.append(line)
                self._stderr_grew.notify_all()

    def stderr(self) -> str:
        """What the server has written to stderr so far."""
        with self._stderr_grew:
            return "".join(self._stderr)

    def wait_for_stderr(self, text: str, since: int = 0, timeout: float = 60) -> str:
        """Wait until the server has written ``text`` to stderr after its first ``since``
        characters; what it wrote after them so far."""
        with self._stderr_grew:
            if not self._stderr_grew.wait_for(
                    lambda: text in "".join(self._stderr)[since:], timeout):
                raise AssertionError(f"serve never said {text!r}:\n{''.join(self._stderr)}")
            return "".join(self._stderr)[since:]

    def stop(self) -> str:
        """Stop the server (SIGTERM, as an init system would) and return its stderr."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=SUBPROCESS_WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()
        self._stderr_reader.join(timeout=SUBPROCESS_WAIT)
        return self.stderr()


# -- entries made by a real kiosk ----------------------------------------------------------
def cccd(i: int, name: str = "Nguyễn Văn An") -> bytes:
    number = f"0010990{i:05d}"
    return (f"{number}|123456789|{name}|01021990|Nam|Số {i} Phố Huế, Hà Nội|10102021"
            ).encode()


def kiosk_entries(tmp: Path, kiosk_id: str, count: int, checkpoint: str = "CP-T",
                  *, start: int = 0) -> list[dict[str, Any]]:
    """Wire entries exactly as a kiosk would send them: scans through a real pipeline and
    store, read back from the outbox and converted with protocol.entry_to_wire."""
    store = Store(tmp / f"kiosk-{kiosk_id}-{uuid.uuid4().hex[:6]}.db")
    try:
        pipeline = Pipeline(store, Policy(checkpoint_id=checkpoint, kiosk_id=kiosk_id,
                                          duplicate_policy="allow"))
        for i in range(start, start + count):
            pipeline.submit(Scan(payload=cccd(i), device_id="serial-1", lane="in",
                                 symbology="]Q1", source="serial"))
        return [protocol.entry_to_wire(row) for row in store.pending(count)]
    finally:
        store.close()


def batch(kiosk_id: str, entries: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    """A batch as a kiosk sends it to this centre: with its monotonic clock at sending (the
    entries of :func:`kiosk_entries` are of this boot)."""
    from kiosk.ids import uuid7
    return {**protocol.make_batch(kiosk_id, uuid7(), entries, send_clock=True), **overrides}


def send(url: str, kiosk: Enrolled, entries: list[dict[str, Any]]) -> list[str]:
    """The kiosk's entries uploaded to the centre served at ``url`` as one gzip batch, as a
    kiosk sends them: each entry's status in the answer."""
    data, used = protocol.encode_body(batch(kiosk.kiosk_id, entries), "gzip")
    answer = httpx.post(url + protocol.BATCHES_PATH, content=data, timeout=30, headers={
        "Content-Type": "application/json", "Content-Encoding": used, **kiosk.auth})
    return [r["status"] for r in answer.json()["results"]]


def copy_database(source: Path, target: Path) -> None:
    """``sqlite3 SOURCE ".backup TARGET"``: a whole, consistent copy of a live database."""
    live, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        live.backup(copy)
    finally:
        live.close()
        copy.close()


# -- PostgreSQL ----------------------------------------------------------------------------
def postgres_bin() -> Path | None:
    for root in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (root / "initdb").exists() and (root / "pg_ctl").exists():
            return root
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.read()  # EOF: the process that made the folder is done with it, or ended
if sys.argv[2:]:
    subprocess.run(sys.argv[2:], capture_output=True, timeout=120)
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


def watched(folder: Path | str, *stop: str) -> subprocess.Popen[bytes]:
    """A watchdog for ``folder`` (``python -c``, in a session of its own: a Ctrl-C to
    pytest's process group leaves it be): once its pipe from this process is closed — by
    closing its stdin, or by the kernel when this process ends in any way — it runs the
    command ``stop`` (if any) and removes the folder. Before, the suite's PostgreSQL cluster
    and its folders were removed by atexit alone: a pytest killed by SIGTERM or SIGKILL (a
    CI timeout, a second Ctrl-C) left the cluster running and its /tmp folders behind."""
    return subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(folder), *stop],
                            stdin=subprocess.PIPE, start_new_session=True)


class PostgresServer:
    """A private PostgreSQL cluster in a temp dir, listening on 127.0.0.1 only; stopped and
    removed when :meth:`stop` is called or this process ends, however it ends
    (:func:`watched`)."""

    def __init__(self, bin_dir: Path, settings: str = "-c max_connections=60") -> None:
        """``settings``: the server's ``-c`` options besides where it listens."""
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.port = free_port()
        self.user = "postgres"
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            os.chown(self.dir, pwd.getpwnam("postgres").pw_uid, -1)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._watchdog = watched(self.dir, *self._as, str(self.bin / "pg_ctl"), "-D",
                                 str(self.dir / "data"), "-m", "fast", "-w", "stop")
        self._run("initdb", "-D", str(self.dir / "data"), "-U", self.user, "-A", "trust",
                  "-E", "UTF8", "--no-sync")
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                        f"-c fsync=off {settings}", "start")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(self.bin / tool), *args], check=True,
                       capture_output=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A fresh database, empty or a copy of the database ``template``; its URL."""
        import psycopg

        name = f"central_{uuid.uuid4().hex[:12]}"
        copied = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copied}')
        return self.url(name)

    def stop(self) -> None:
        """Stop the cluster and remove its folder (by its watchdog, as when this process
        ends)."""
        assert self._watchdog.stdin is not None
        self._watchdog.stdin.close()
        self._watchdog.wait(timeout=180)


@contextlib.contextmanager
def write_lock_held(db: str) -> Iterator[None]:
    """Hold the entries table's write lock from another connection, as a long import would."""
    if db.startswith("sqlite:///"):
        conn = sqlite3.connect(db.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
    else:
        import psycopg

        with psycopg.connect(db) as conn:
            conn.execute("LOCK TABLE entries IN EXCLUSIVE MODE")
            yield
            conn.rollback()


_HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


@contextlib.contextmanager
def write_lock_held_by_another_process(path: str | Path) -> Iterator[None]:
    """Another process (``python -c``: as ``sqlite3 central.db`` left in a transaction
    would) holds the SQLite file's write lock until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.communicate(timeout=30)  # closes its stdin: it rolls back and ends


@contextlib.contextmanager
def derivation_held(db: str) -> Iterator[None]:
    """Hold, from another connection, what every derivation step needs: SQLite's write lock
    (as a long import would), PostgreSQL's queue of entries to derive (as a schema change
    would: even reading it waits)."""
    if db.startswith("sqlite:///"):
        with write_lock_held(db):
            yield
    else:
        import psycopg

        with psycopg.connect(db) as conn:
            conn.execute("LOCK TABLE derive_queue IN ACCESS EXCLUSIVE MODE")
            yield
            conn.rollback()


_POSTGRES: PostgresServer | None = None


def shared_postgres() -> PostgresServer | None:
    """One PostgreSQL cluster for the whole test session (started on first use), or None
    when no PostgreSQL binaries are installed."""
    global _POSTGRES
    if _POSTGRES is None:
        bin_dir = postgres_bin()
        if bin_dir is None:
            return None
        _POSTGRES = PostgresServer(bin_dir)
        import atexit
        atexit.register(_POSTGRES.stop)
    return _POSTGRES


ENGINES = ("sqlite", "postgresql")

CROWD_WAIT = 600.0
"""How long (s) the storage of a test whose threads crowd it at once lets a statement wait
for a connection or a lock (``open_storage(db, busy_timeout=CROWD_WAIT)``), not serve's 10
s: in a whole-suite run at load 20 a thread holding a row or a connection got no CPU for
more than 10 s, and the others' waits failed as busy storage (the lockout deadlock test,
once; reproduced by stopping its process for 12 s). Such a test checks what the threads do
together, not how fast. A deadlock is still refused at once: PostgreSQL looks for one after
``deadlock_timeout`` (1 s) of waiting, whatever the wait allowed."""


@contextlib.contextmanager
def engine_storages(folder: Path) -> Iterator[list[Any]]:
    """The centre's storage on SQLite (a file in ``folder``) and, when PostgreSQL is
    installed, on a fresh database of the session's server: for the tests that hold both
    engines to the same answers. Closed when the block ends."""
    opened = [open_storage(f"sqlite:///{folder}/central.db")]
    postgres = shared_postgres()
    if postgres is not None:
        opened.append(open_storage(postgres.create_database()))
    try:
        yield opened
    finally:
        for storage in opened:
            storage.close()


_LEFT_AT_EXIT: list[subprocess.Popen[bytes]] = []
"""The watchdogs of the empty centres' folders: they remove them when this process ends."""

_EMPTY_CENTRES: dict[str, tuple[dt.date, str]] = {}
"""Per engine: the UTC day and place (a SQLite file, a PostgreSQL database's name) of an
empty centre made that day, which :func:`database_url` copies."""


def _empty_centre(engine: str) -> str:
    """An empty centre on ``engine`` made today (UTC) by this process: its tables made once
    by ``open_storage``, as a new centre's are. Another is made on a new day: opening a
    PostgreSQL centre makes the day partitions from yesterday on, and a copy holds what the
    day it was made opened."""
    today = dt.datetime.now(dt.UTC).date()
    made = _EMPTY_CENTRES.get(engine)
    if made is not None and made[0] == today:
        return made[1]
    if engine == "sqlite":
        folder = tempfile.mkdtemp(prefix="kiosk-empty-centre-")
        _LEFT_AT_EXIT.append(watched(folder))
        place = f"{folder}/central.db"
        url = f"sqlite:///{place}"
    else:
        url = shared_postgres().create_database()
        place = url.rsplit("/", 1)[1]
    open_storage(url).close()  # SQLite: its last connection closed, the log is in the file
    _EMPTY_CENTRES[engine] = (today, place)
    return place


def database_url(engine: str, folder: Path) -> str:
    """A fresh, empty centre database on ``engine``, its tables made (as the first `serve`
    or `checkpoints import` makes them: other commands refuse a database without them): a
    SQLite file in ``folder``, or a new database on the session's PostgreSQL (the test is
    skipped when PostgreSQL is not installed). A copy of one made by ``open_storage`` once
    a day (:func:`_empty_centre`: the tables took half a second each time on PostgreSQL),
    with an id of its own, as each new centre has."""
    if engine == "sqlite":
        path = folder / "central.db"
        url = f"sqlite:///{path}"
        if os.path.lexists(path):  # the test's own file there: opened as it is, never replaced
            open_storage(url).close()
            return url
        empty = _empty_centre(engine)
        folder.mkdir(parents=True, exist_ok=True)  # as opening a new centre in it makes it
        shutil.copyfile(empty, path)
        shutil.copymode(empty, path)
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("UPDATE settings SET value = lower(hex(randomblob(16))) "
                         "WHERE key = 'centre_id'")
        return url
    postgres = shared_postgres()
    if postgres is None:
        import pytest

        pytest.skip("PostgreSQL binaries not installed (looked in /usr/lib/postgresql/*/"
                    "bin and PATH)")
    url = postgres.create_database(template=_empty_centre(engine))
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE settings SET value = replace(gen_random_uuid()::text, '-', '') "
                     "WHERE key = 'centre_id'")
    return url


DISCLOSED_VERSION = next(n for n, statements in enumerate(MIGRATIONS, 1) if any(
    "ADD COLUMN disclosed" in str(statement) for statement in statements))
"""The schema version from which a trace's audit record names whom it showed (v42)."""


MUST_CHANGE_VERSION = next(n for n, statements in enumerate(MIGRATIONS, 1) if any(
    "ADD COLUMN must_change_password" in str(statement) for statement in statements))
"""The schema version from which a password an administrator set is changed by its owner
(v54: users.must_change_password)."""


def set_schema_version(storage: Any, tx: Any, version: int) -> None:
    """Record in ``tx`` that ``storage``'s database is at schema ``version``, each engine in
    its own way, for a test that takes it back to an older version (it undoes the later
    migrations' statements itself, but v38's (:func:`undo_late`), v42's, v43's
    (:func:`undo_batches_seen`), v46's (:func:`undo_report_kept`) and v47's
    (:func:`undo_report_packed`), v48's (the centre's id), v49's (where kiosk calls
    came from), v54's (must_change_password) and v58's (:func:`undo_nobody`), undone here):
    opened next, it is migrated from there."""
    if version < NOBODY_VERSION:  # v58: added again when migrated
        undo_nobody(storage, tx)
    if version < MUST_CHANGE_VERSION:  # v54: added again when migrated
        storage._execute(tx, "ALTER TABLE users DROP COLUMN must_change_password")
    if version < KIOSK_SOURCES_VERSION:
        undo_kiosk_sources(storage, tx)
    if version < CENTRE_ID_VERSION:
        storage._execute(tx, "DELETE FROM settings WHERE key = 'centre_id'")
    if version < REPORT_PACKED_VERSION:
        undo_report_packed(storage, tx)
    if version < LATE_AFTER_REPORT_VERSION:
        undo_late(storage, tx)
    if version < DISCLOSED_VERSION:  # v42: added again when migrated
        storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN disclosed")
    if version < REPORT_KEPT_VERSION:
        undo_report_kept(storage, tx)
    if version < BATCHES_SEEN_VERSION:
        undo_batches_seen(storage, tx)
    if storage.postgresql:
        storage._execute(tx, "UPDATE central_meta SET value = $1 WHERE key = 'schema_version'",
                         (str(version),))
    else:
        storage._execute(tx, f"PRAGMA user_version = {int(version)}")


def undo_after_v48(storage: Any, tx: Any) -> None:
    """Undo in ``tx`` the migrations after v48 whose statements cannot run twice (the
    others create IF NOT EXISTS, or change rows only): v54's users.must_change_password,
    v49's kiosk call sources. For a test that takes a database back by hand."""
    storage._execute(tx, "ALTER TABLE users DROP COLUMN must_change_password")
    undo_kiosk_sources(storage, tx)


def undo_kiosk_sources(storage: Any, tx: Any) -> None:
    """Undo schema v49 in ``tx``: where kiosk calls came from."""
    storage._execute(tx, "DROP TABLE kiosk_sources")
    for table, column in (("batches", "boot_id"), ("batches", "address"),
                          ("kiosk_health", "sources")):
        storage._execute(tx, f"ALTER TABLE {table} DROP COLUMN {column}")


def undo_report_packed(storage: Any, tx: Any) -> None:
    """Undo schema v47 in ``tx``: the kept reports as JSON text again, as v46 kept them."""
    kept = [(day, unpack_report(report)) for day, report in storage._execute(
        tx, "SELECT day, report FROM daily_reports WHERE report IS NOT NULL").fetchall()]
    if storage.postgresql:
        storage._execute(tx, "ALTER TABLE daily_reports ALTER COLUMN report TYPE TEXT "
                             "USING NULL")
    for day, report in kept:
        storage._execute(tx, "UPDATE daily_reports SET report = $1 WHERE day = $2",
                         (json.dumps(report, ensure_ascii=False), day))


def undo_report_kept(storage: Any, tx: Any) -> None:
    """Undo schema v46 in ``tx``: the report a making made."""
    storage._execute(tx, "ALTER TABLE daily_reports DROP COLUMN report")


def undo_batches_seen(storage: Any, tx: Any) -> None:
    """Undo schema v43 in ``tx``: the batches a report's making saw (its table, v40, is
    kept: created only if missing)."""
    storage._execute(tx, "ALTER TABLE daily_reports DROP COLUMN batches_seen")


def undo_late(storage: Any, tx: Any) -> None:
    """Undo schema v38 in ``tx``: the late arrivals' latest receipt."""
    storage._execute(tx, "ALTER TABLE late_arrivals DROP COLUMN last_received_at")


def undo_nobody(storage: Any, tx: Any) -> None:
    """Undo schema v58 in ``tx`` unless undone already: the checkpoint days' codes naming
    nobody (PostgreSQL: its key INCLUDEs the counts it held before, since a column it
    includes cannot be dropped). The ins, outs and people are left as v58 counted them."""
    columns = {name for (name,) in storage._execute(
        tx, "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = 'checkpoint_days'" if storage.postgresql
        else "SELECT name FROM pragma_table_info('checkpoint_days')").fetchall()}
    if "nobody" not in columns:
        return
    if storage.postgresql:
        kept = ", ".join(c for c in ("scans", "ins", "outs", "manual", "people", "duplicates")
                         if c in columns)
        storage._execute(tx, "CREATE UNIQUE INDEX checkpoint_days_covering ON checkpoint_days "
                             f"(day, checkpoint_id) INCLUDE ({kept})")
        storage._execute(tx, "ALTER TABLE checkpoint_days DROP CONSTRAINT checkpoint_days_pkey, "
                             "ADD CONSTRAINT checkpoint_days_pkey PRIMARY KEY USING INDEX "
                             "checkpoint_days_covering")
    storage._execute(tx, "ALTER TABLE checkpoint_days DROP COLUMN nobody")


def undo_duplicates(storage: Any, tx: Any) -> None:
    """Undo schema v31 in ``tx``, for a test that takes a database back to an older version:
    the checkpoint days' duplicates (PostgreSQL: its key INCLUDEs the counts as v19 made it
    first, since a column it includes cannot be dropped). The ins and outs are left as v31
    counted them: a test of the migration's correction adds the duplicates back itself."""
    undo_nobody(storage, tx)
    if storage.postgresql:
        storage._execute(tx, "CREATE UNIQUE INDEX checkpoint_days_covering ON checkpoint_days "
                             "(day, checkpoint_id) INCLUDE (scans, ins, outs, manual, people)")
        storage._execute(tx, "ALTER TABLE checkpoint_days DROP CONSTRAINT checkpoint_days_pkey, "
                             "ADD CONSTRAINT checkpoint_days_pkey PRIMARY KEY USING INDEX "
                             "checkpoint_days_covering")
    storage._execute(tx, "ALTER TABLE checkpoint_days DROP COLUMN duplicates")


def undo_covering_keys(storage: Any, tx: Any) -> None:
    """Undo schema v31, v29, v27, v26, v25, v24, v23, v22, v20 and v19 in ``tx`` (v28 and v30
    make their tables only if missing), for a test that takes a database back to an older
    version: the checkpoint days' duplicates, a trace's second degree in the audit log, the
    kiosks' paused uploads, the batch log's past retention count, its least and entry
    offsets, PostgreSQL's matches a purge is to add back, what the derivation steps have left
    to derive (an older centre derived each batch as it stored it: its entries are all
    derived, as the migration rebuilds them), then
    PostgreSQL's aggregate keys without their INCLUDEd counts (a column they include could
    not be dropped); SQLite's WITHOUT ROWID tables hold the same columns and are rebuilt
    again as they are."""
    undo_duplicates(storage, tx)
    storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_degree")  # v29
    storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_contacts")
    storage._execute(tx, "ALTER TABLE kiosk_health DROP COLUMN uploads_paused")  # v27
    storage._execute(tx, "ALTER TABLE batches DROP COLUMN past_retention")
    storage._execute(tx, "DROP INDEX batches_least_offset")
    storage._execute(tx, "ALTER TABLE batches DROP COLUMN least_offset_seconds")
    storage._execute(tx, "DROP INDEX batches_entry_offset")
    storage._execute(tx, "ALTER TABLE batches DROP COLUMN entry_offset_seconds")
    storage._execute(tx, "DROP TABLE derive_set_aside")
    storage._execute(tx, "DROP TABLE derive_queue")
    if storage.url.startswith("postgresql"):
        storage._execute(tx, "DROP TABLE forgotten_matches")
        for table, key in (("checkpoint_days", "day, checkpoint_id"),
                           ("checkpoint_hours", "day, checkpoint_id, hour")):
            storage._execute(tx, f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, "
                                 f"ADD PRIMARY KEY ({key})")


HOLD_KEY = 0x686F6C64
"""The advisory lock :func:`steps_held_at_stays` holds a derivation step at."""


@contextlib.contextmanager
def steps_held_at_stays(other: Any) -> Iterator[None]:
    """A derivation step (PostgreSQL) stops where it keeps stays, its transaction open, until
    the block ends: it waits there for an advisory lock that the connection ``other`` holds."""
    import pytest

    from kiosk.central import stays

    keep = stays.keep

    def held_keep(storage: Any, tx: Any, rows: Any) -> None:
        storage._execute(tx, "SELECT pg_advisory_xact_lock($1)", (HOLD_KEY,))
        keep(storage, tx, rows)

    other.execute("SELECT pg_advisory_lock(%s)", (HOLD_KEY,))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stays, "keep", held_keep)
        try:
            yield
        finally:
            other.execute("SELECT pg_advisory_unlock_all()")
