"""Real parts for the sync tests and benchmark: a central server, a faulty network, backlogs.

* :class:`CentralServer` runs ``kiosk-central serve`` as a process on 127.0.0.1 (port 0),
  enrols kiosks through ``kiosk-central kiosks add`` and reads the server's SQLite file to
  check what really arrived.
* :class:`FaultyProxy` sits between kiosk and server and spoils chosen batch uploads the
  ways real networks do: connection dropped before the request is forwarded, answer lost
  after the server committed, connection reset, truncated answer, a slow hop, 500, 503 with
  ``Retry-After``, and a body-size limit answering 413 (like nginx's client_max_body_size).
* :class:`SlowCentre` runs ``kiosk-central serve`` on PostgreSQL, where chosen entries run
  past its statement timeout.
* :func:`fill_backlog` writes a large realistic backlog straight into a kiosk store file.
* :func:`centre_holding_another_signing_key` answers the backlog-keys request with a 409
  that carries no centre key.
* :func:`syncing` runs a kiosk linked to a centre for a test's block.
* :class:`JsonAnswering` (:class:`TakingBacklogKeys`, :class:`TakingEveryBatch`,
  :class:`BusyAtFirst`) and :func:`serving`: a test's own small stand-in for a centre,
  answering JSON on 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import random
import socket
import sqlite3
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from kiosk.ids import boot_id, id_prefix, uuid7
from kiosk.payloads import decode
from kiosk.store import ENTRY_COLUMNS, Store, fold_counts, mark_indexed
from kiosk.sync import protocol
from kiosk.timestamps import utc_iso
from tests import central_support

if TYPE_CHECKING:
    from kiosk.app import Kiosk
    from kiosk.sync.worker import SyncWorker

BATCHES = protocol.BATCHES_PATH


def english(line: str) -> str:
    """The English half of a log line worded ``"Vietnamese / English"`` (``messages.both``);
    a detail inside may hold " / " itself, once in each half, so the line is cut in the
    middle of its separators."""
    parts = line.split(" / ")
    return " / ".join(parts[len(parts) // 2:])


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, step: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; its value, or AssertionError after ``timeout``
    (the wait ends as soon as it holds: the long default is room for a loaded machine)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


# -- the central server -------------------------------------------------------------------
class CentralServer(central_support.CentralServer):
    """``kiosk-central serve`` (the central tests' launcher) on a free port with its own
    SQLite file, plus what the sync tests check: enrolment as the real CLI enrols and the
    rows really stored (read from the server's database file)."""

    def __init__(self, directory: Path, *extra_args: str) -> None:
        self.db_path = directory / "central.db"
        super().__init__(f"sqlite:///{self.db_path}", "--log-level", "warning", *extra_args)
        self.port = int(self.url.rsplit(":", 1)[1])

    def enrol(self, kiosk_id: str, checkpoint_id: str = "CP-SYNC") -> str:
        """Enrol a kiosk as ``kiosk-central kiosks add`` does; returns its one-time token."""
        return central_support.enrol(self.db, kiosk_id, checkpoint_id).token

    def revoke(self, kiosk_id: str) -> None:
        central_support.central("kiosks", "revoke", kiosk_id, "--db", self.db)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        conn = sqlite3.connect(self.db_path, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def stored_ids(self, kiosk_id: str) -> list[str]:
        """Every entry row the centre holds for this kiosk (a list: repeats would show)."""
        return [r[0] for r in self._query("SELECT id FROM entries WHERE kiosk_id = ?",
                                          (kiosk_id,))]

    def stored_entry(self, entry_id: str) -> dict[str, Any]:
        return dict(self._query("SELECT * FROM entries WHERE id = ?", (entry_id,))[0])

    def health_reports(self, kiosk_id: str) -> list[dict[str, Any]]:
        """Every health report the centre kept for this kiosk, oldest first."""
        return [json.loads(r[0]) for r in self._query(
            "SELECT report FROM kiosk_health_history WHERE kiosk_id = ? ORDER BY received_at",
            (kiosk_id,))]

    def batches(self, kiosk_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._query(
            "SELECT entries, accepted, duplicate, rejected FROM batches WHERE kiosk_id = ? "
            "ORDER BY seq", (kiosk_id,))]


class SlowCentre:
    """``kiosk-central serve`` on PostgreSQL with a 0.5 s statement timeout, where chosen
    entries take 1 s each to store (a trigger sleeping for their rows alone; in the field a
    row that trips a slow path): what makes the uploader hold an entry back. Read what it
    stored with ``open_storage(centre.db)``."""

    def __init__(self, folder: Path) -> None:
        self.db = central_support.database_url("postgresql", folder)
        self.server = central_support.CentralServer(self.db, "--statement-timeout", "0.5")
        self.url = self.server.url

    def enrol(self, kiosk_id: str) -> str:
        """Enrol a kiosk at CP-SYNC; returns its one-time token."""
        return central_support.enrol(self.db, kiosk_id, "CP-SYNC").token

    def slow_down(self, *entry_ids: str) -> None:
        """From now on, storing any of these entries runs past the statement timeout."""
        import psycopg

        listed = ", ".join(f"'{entry_id}'" for entry_id in entry_ids)
        with psycopg.connect(self.db, autocommit=True) as conn:
            conn.execute("CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS "
                         f"$$ BEGIN IF NEW.id::text IN ({listed}) THEN PERFORM pg_sleep(1); "
                         "END IF; RETURN NEW; END $$")
            conn.execute("CREATE TRIGGER slow_row BEFORE INSERT ON entries FOR EACH ROW "
                         "EXECUTE FUNCTION slow_row()")

    def speed_up(self) -> None:
        """The slow entries are stored in time again."""
        import psycopg

        with psycopg.connect(self.db, autocommit=True) as conn:
            conn.execute("DROP TRIGGER slow_row ON entries")

    def stop(self) -> None:
        """Stop the server, which must not have crashed on any of it."""
        assert "Traceback" not in self.server.stop()


def peak_rss(pid: int | str = "self") -> int:
    """A process's peak resident memory so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc status")


# -- the faulty network -------------------------------------------------------------------
@dataclass(frozen=True)
class ProxyEvent:
    at: float
    method: str
    path: str
    fault: str
    body_bytes: int


class FaultyProxy:
    """An HTTP/1.1 proxy on 127.0.0.1 that spoils the next batch uploads as told.

    ``add(*faults)`` queues faults; each batch POST takes the next one in the order the POSTs
    reach the proxy (``pass`` when the queue is empty); other requests pass unless their
    path is in ``spoiled``. The uploader has two batches on the wire at once, and which of
    them reaches the proxy first is its send threads' race: a fault meant for one of them
    (not for both alike) is queued with ``add_for(entry, *faults)``, for the batch POSTs
    whose first entry is ``entry``, taken one per such POST before the shared queue. Faults:

    ``drop_request``      close the connection without forwarding anything
    ``reset_request``     answer with a TCP reset, nothing forwarded
    ``drop_response``     forward (the server commits), then close without answering
    ``reset_response``    forward, then reset the connection
    ``truncate_response`` forward, then send half the answer and close
    ``hold_response:S``   forward, then hold the answer S seconds (counted in ``holds``)
    ``hold``              forward, then hold the answer until ``release()`` (counted too)
    ``too_late``          forward, then hold the answer until the kiosk gives up waiting
                          (its read timeout) and hangs up: an answer that never comes in
                          time, whatever the timeout and however loaded the machine
    ``forward_late``      wait until the kiosk gives up waiting and hangs up, then forward:
                          the request reaches the centre after the kiosk stopped waiting
    ``status:N[:R]``      answer status N (with ``Retry-After: R``) without forwarding
    ``page:N``            answer status N with a web server's HTML error page (nginx's, the
                          centre being down behind it), without forwarding
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults: deque[str] = deque()
        self.faults_for: dict[str, deque[str]] = {}
        """Faults for the batch POSTs whose first entry is the key (``add_for``)."""
        self.max_body: int | None = None
        """Answer 413 to any batch body larger than this many bytes (None: no limit)."""
        self.spoiled: dict[str, str] = {}
        """A fault for every request to a path here, whatever its method (e.g. the trust
        list, which an enrolment's link test asks for)."""
        self.events: list[ProxyEvent] = []
        self.holds = 0
        """Answers being held back right now (``hold_response``), the server having committed."""
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._closed = False
        self._clients: list[socket.socket] = []
        threading.Thread(target=self._accept, name="proxy", daemon=True).start()

    def add(self, *faults: str) -> None:
        with self._lock:
            self.faults.extend(faults)

    def add_for(self, entry: str, *faults: str) -> None:
        """Queue ``faults`` for the batch POSTs whose first entry is ``entry``, whenever
        they arrive; each such POST takes the next one, the shared queue none."""
        with self._lock:
            self.faults_for.setdefault(entry, deque()).extend(faults)

    def release(self) -> None:
        """Send the answers held by ``hold``."""
        self._released.set()

    def batch_events(self) -> list[ProxyEvent]:
        with self._lock:
            return [e for e in self.events if e.path == BATCHES]

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        with self._lock:
            for client in self._clients:
                _close(client)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self._clients.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _next_fault(self, method: str, path: str, head: bytes, body: bytes) -> str:
        batch = path == BATCHES and method == "POST"
        first = _first_entry(head, body) if batch and self.faults_for else None
        with self._lock:
            fault = self.spoiled.get(path, "pass")
            if batch:
                if self.max_body is not None and len(body) > self.max_body:
                    fault = "status:413"
                elif self.faults_for.get(first):
                    fault = self.faults_for[first].popleft()
                elif self.faults:
                    fault = self.faults.popleft()
            self.events.append(ProxyEvent(time.monotonic(), method, path, fault, len(body)))
            return fault

    def _serve(self, client: socket.socket) -> None:
        reader = _Reader(client)
        try:
            while True:
                message = reader.message()
                if message is None:
                    return
                head, body = message
                method, path = head.split(b" ", 2)[:2]
                fault = self._next_fault(method.decode(), path.decode(), head, body)
                if fault in ("drop_request", "reset_request"):
                    return _close(client, reset=fault == "reset_request")
                if fault.startswith(("status:", "page:")):
                    client.sendall(_status_response(fault))
                    continue
                if fault == "forward_late":
                    _until_hung_up(client)
                answer = self._forward(head + body)
                if fault in ("drop_response", "reset_response", "forward_late"):
                    return _close(client, reset=fault == "reset_response")
                if fault == "truncate_response":
                    client.sendall(answer[: len(answer) - max(1, (len(answer) - 200) // 2)])
                    return _close(client)
                if fault.startswith("hold_response:"):
                    with self._lock:
                        self.holds += 1
                    time.sleep(float(fault.split(":")[1]))
                if fault == "hold":
                    with self._lock:
                        self.holds += 1
                    self._released.wait(120)
                if fault == "too_late":
                    _until_hung_up(client)
                    return _close(client)
                client.sendall(answer)
        except OSError:
            return _close(client)

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=60) as upstream:
            upstream.sendall(request)
            message = _Reader(upstream).message(response=True)
        if message is None:
            raise OSError("upstream closed without answering")
        return message[0] + message[1]


def content_encoding(head: bytes) -> str | None:
    """The ``Content-Encoding`` of an HTTP message whose head is ``head`` (None: none)."""
    return next((line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                 if line.lower().startswith(b"content-encoding:")), None)


def _first_entry(head: bytes, body: bytes) -> str | None:
    """The id of a batch POST's first entry (None for a body that is no batch)."""
    try:
        entries = protocol.decode_body(body, content_encoding(head))["entries"]
        return str(entries[0]["id"])
    except (ValueError, LookupError, TypeError):  # ProtocolError among them
        return None


class _Reader:
    """Reads HTTP/1.1 messages (Content-Length or chunked bodies) from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._fill():
                raise OSError("connection closed mid-message")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise OSError("connection closed mid-message")
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def message(self, *, response: bool = False) -> tuple[bytes, bytes] | None:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                if self.buf:
                    raise OSError("connection closed mid-headers")
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        head += b"\r\n\r\n"
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)}
        if b"content-length" in headers:
            return head, self._take(int(headers[b"content-length"]))
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = b""
            while True:
                size_line = self._line()
                size = int(size_line.split(b";")[0], 16)
                body += size_line + b"\r\n" + self._take(size + 2)
                if size == 0:
                    return head, body
        if response:
            while self._fill():
                pass
            body, self.buf = self.buf, b""
            return head, body
        return head, b""


def _status_response(fault: str) -> bytes:
    parts = fault.split(":")
    status = int(parts[1])
    if parts[0] == "page":
        body, kind = (f"<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n"
                      f"<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>nginx"
                      "</center>\r\n</body>\r\n</html>\r\n").encode(), "text/html"
    else:
        body = json.dumps({"error": f"injected by the test proxy: HTTP {status}"}).encode()
        kind = "application/json"
    extra = f"Retry-After: {parts[2]}\r\n" if len(parts) > 2 else ""
    return (f"HTTP/1.1 {status} Injected\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def _until_hung_up(sock: socket.socket, limit: float = 120.0) -> None:
    """Wait until the kiosk closes its end of ``sock`` (it gave up waiting for the answer:
    its HTTP client drops a connection whose read timed out), at most ``limit`` seconds."""
    sock.settimeout(limit)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def _close(sock: socket.socket, *, reset: bool = False) -> None:
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


# -- kiosks and backlogs ------------------------------------------------------------------
def write_config(path: Path, *, kiosk_id: str, server_url: str, token: str,
                 checkpoint_id: str = "CP-SYNC", language: str = "en",
                 **sync: Any) -> Path:
    """A kiosk config.toml whose store is ``kiosk.db`` beside it; ``sync`` overrides [sync]."""
    options = {"enabled": False, "server_url": server_url, "token": token, **sync}
    lines = ["[kiosk]", f"id = {json.dumps(kiosk_id)}",
             f"checkpoint_id = {json.dumps(checkpoint_id)}", f'language = "{language}"',
             "[store]", 'path = "kiosk.db"', "[sync]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in options.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


_NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thị Dung", "Hoàng Văn Em",
          "Vũ Thị Phương", "Đặng Quốc Giang", "Bùi Thị Hạnh", "Đỗ Minh Khôi", "Ngô Thị Lan")
_STREETS = ("Phố Huế, Hà Nội", "Nguyễn Huệ, Quận 1, TP Hồ Chí Minh", "Trần Phú, Đà Nẵng",
            "Lê Lợi, Huế", "Hùng Vương, Cần Thơ")


def backlog_rows(n: int, *, kiosk_id: str, checkpoint_id: str = "CP-SYNC", seed: int = 1,
                 long_every: int = 10, start: float | None = None
                 ) -> Iterator[dict[str, Any]]:
    """``n`` realistic store rows, oldest first: CCCD scans of many people (decoded like the
    pipeline does), and every ``long_every``-th a long opaque code the size of a vaccination
    certificate. Ids are fresh UUIDv7s, so every call makes new entries. The monotonic
    clock agrees with the wall clock, as on a kiosk: the centre times this boot's entries
    by their age on it; a scan from before this boot began is of an earlier boot."""
    rng = random.Random(seed)
    boot = boot_id()
    now, booted = time.time(), time.monotonic_ns()
    start = now - n * 0.5 if start is None else start
    templates = []
    for i in range(200):
        payload = (f"0010990{i:05d}|{rng.randrange(10**8, 10**9)}|{_NAMES[i % 10]}|"
                   f"{rng.randrange(1, 28):02d}0{rng.randrange(1, 9)}19{rng.randrange(50, 99)}|"
                   f"{'Nam' if i % 2 else 'Nữ'}|Số {i} {_STREETS[i % 5]}|10102021")
        templates.append(decode(payload.encode()))
    certificates = [decode(b"HC1:" + base64.b32encode(rng.randbytes(380))) for _ in range(50)]
    for i in range(n):
        scanned = start + i * 0.5
        monotonic = booted - round((now - scanned) * 1e9)
        pool = certificates if long_every and i % long_every == long_every - 1 else templates
        identity = pool[rng.randrange(len(pool))]
        yield {
            "id": uuid7(), "checkpoint_id": checkpoint_id,
            "kiosk_id": kiosk_id, "device_id": f"lane{i % 3}", "lane": "in",
            "direction": "in" if i % 2 else "out", "status": "accepted",
            "duplicate_of": None, "source": "serial", "symbology": "]Q1",
            "scanned_at": utc_iso(scanned), "monotonic_ns": max(monotonic, i),
            "boot_id": boot if monotonic >= 0 else "an-earlier-boot", "kind": identity.kind,
            "subject_key": identity.subject_key,
            "match_key": identity.match_key, "document_number": identity.document_number,
            "name": identity.name, "birth_date": identity.birth_date,
            "gender": identity.gender, "address": identity.address,
            "issue_date": identity.issue_date,
            "extra": json.dumps(identity.extra, ensure_ascii=False, sort_keys=True),
            "payload": identity.raw, "operator": "", "certificate": None,
        }


def fill_backlog(store_path: Path, n: int, **kwargs: Any) -> list[str]:
    """Insert ``n`` pending entries straight into a kiosk store file; their ids, oldest first."""
    store = Store(store_path)
    ids: list[str] = []
    sql = (f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
           f"VALUES ({', '.join('?' for _ in ENTRY_COLUMNS)})")
    try:
        store.conn.execute("PRAGMA synchronous=OFF")  # test data: speed over durability
        rows = backlog_rows(n, **kwargs)
        while True:
            chunk = [r for _, r in zip(range(20_000), rows, strict=False)]
            if not chunk:
                break
            with store.transaction() as conn:
                conn.executemany(sql, [[r[c] for c in ENTRY_COLUMNS] for r in chunk])
                mark_indexed(conn)  # no search is meant to find them: not moved at next open
                fold_counts(conn)  # counted, as the kiosk's upkeep leaves them
            ids += [r["id"] for r in chunk]
    finally:
        store.close()
    return ids


def pending_entries(path: Path, *entries: tuple[float, str, int], kiosk_id: str = "k1") -> Store:
    """A real store holding pending entries, each recorded at a wall time (its id and
    ``scanned_at``) in a boot at a monotonic time: as a kiosk whose clock was wrong left them,
    which the pipeline of a test process with a right clock cannot record."""
    store = Store(path)
    rows = []
    for row, (wall, boot, monotonic_ns) in zip(backlog_rows(len(entries), kiosk_id=kiosk_id),
                                               entries, strict=True):
        moment = dt.datetime.fromtimestamp(wall, dt.UTC)
        row.update(id=f"{id_prefix(moment)}-7000-8000-{len(rows):012x}",
                   scanned_at=utc_iso(wall), boot_id=boot, monotonic_ns=monotonic_ns)
        rows.append([row[c] for c in ENTRY_COLUMNS])
    with store.transaction() as conn:
        conn.executemany(f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
                         f"VALUES ({', '.join('?' for _ in ENTRY_COLUMNS)})", rows)
    return store


def sync_states(store_path: Path) -> dict[str, int]:
    store = Store(store_path)
    try:
        return {k: v for k, v in store.sync_counts().items() if v}
    finally:
        store.close()


@contextlib.contextmanager
def syncing(kiosk: Kiosk) -> Iterator[SyncWorker]:
    """``kiosk`` started for the block, which gets its sync worker; stopped on the way out
    whatever the block did (a kiosk left running keeps its threads and its store open)."""
    kiosk.start()
    try:
        assert kiosk.sync is not None
        yield kiosk.sync
    finally:
        kiosk.stop()


class JsonAnswering(BaseHTTPRequestHandler):
    """A quiet handler that answers JSON: the base of the small stand-ins for a centre (one
    that refuses, a spoofed one, one with odd answers) that a test serves with
    :func:`serving`."""

    def _answer(self, body: object, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        """Nothing on stderr for each request: a failing test's output shows its failure."""


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` behind a plain HTTP server on 127.0.0.1 for the block; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class TakingEveryBatch(JsonAnswering):
    """A stand-in centre that takes every batch: an entry new to it is answered
    ``accepted``, one it holds ``duplicate``; ``batches`` keeps the ids of each batch it
    took, in the class :meth:`anew` made for one test. While ``down`` (set on that class),
    a batch is answered 503, as by a centre restarting, and not taken."""

    batches: list[list[str]]
    down = False

    @classmethod
    def anew(cls) -> type[Self]:
        """A handler class of its own, holding no batch yet."""
        return type("Centre", (cls,), {"batches": []})

    def do_GET(self) -> None:
        self._answer({"status": "ok", "protocol": protocol.PROTOCOL_VERSION,
                      "time": protocol.format_time(dt.datetime.now(dt.UTC)), "features": []})

    def do_POST(self) -> None:
        batch = protocol.decode_body(self.rfile.read(int(self.headers["Content-Length"])),
                                     self.headers.get("Content-Encoding"))
        if self.down:
            self._answer({"error": "restarting"}, status=503)
            return
        ids = [entry["id"] for entry in batch["entries"]]
        results = [self.result(entry) for entry in ids]
        self.batches.append(ids)
        self._answer({"batch_id": batch["batch_id"], "clock_offset_seconds": 0,
                      "received_at": protocol.format_time(dt.datetime.now(dt.UTC)),
                      "results": results})

    def result(self, entry: str) -> dict[str, object]:
        """Its answer for one entry of a batch: accepted the first time, then duplicate."""
        held = any(entry in sent for sent in self.batches)
        return {"id": entry, "status": "duplicate" if held else "accepted"}


class BusyAtFirst(TakingEveryBatch):
    """A centre under load: its first ``busy`` batch uploads are answered 503 with
    ``Retry-After: wait`` (set on the class :meth:`asking` made), the rest taken."""

    busy: int
    wait: str

    @classmethod
    def asking(cls, wait: int, busy: int = 1) -> type[Self]:
        return type("Centre", (cls,), {"batches": [], "busy": busy, "wait": str(wait)})

    def do_POST(self) -> None:
        if type(self).busy > 0:
            type(self).busy -= 1
            self.rfile.read(int(self.headers["Content-Length"]))
            data = b'{"error": "busy"}'
            self.send_response(503)
            self.send_header("Retry-After", self.wait)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        super().do_POST()


class TakingBacklogKeys(JsonAnswering):
    """Answers the health check as a centre that takes backlog keys; what it says to the
    backlog-keys request is a subclass's ``do_POST``."""

    def do_GET(self) -> None:
        self._answer({"status": "ok", "protocol": protocol.PROTOCOL_VERSION,
                      "time": protocol.format_time(dt.datetime.now(dt.UTC)),
                      "features": ["backlog-keys"]})


class _HoldingAnotherKey(TakingBacklogKeys):
    """A centre that takes backlog keys, with another signing key registered for the kiosk,
    whose 409 carries no centre key (as centres' did before it was added)."""

    kiosk: str
    held: bytes

    def do_POST(self) -> None:
        from kiosk.central.storage import SigningKeyConflict

        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer(protocol.refusal_body(SigningKeyConflict(
            self.kiosk, self.held, "2026-12-01T00:00:00Z")), status=409)


def centre_holding_another_signing_key(kiosk_id: str, held: bytes
                                       ) -> contextlib.AbstractContextManager[str]:
    """A plain HTTP server on 127.0.0.1 holding the raw public key ``held`` as
    ``kiosk_id``'s signing key (:class:`_HoldingAnotherKey`); its URL."""
    return serving(type("Handler", (_HoldingAnotherKey,), {"kiosk": kiosk_id, "held": held}))
