"""Why the centre cannot be reached, said so that an officer knows what to check.

Each cause is made real on this machine — a closed port, a name under the reserved
``.invalid`` top-level domain, a multicast address the kernel will not route a connection
to, a server that resets, a self-signed HTTPS server, a listener that never accepts or
never answers — and the kiosk's sentence is read in both languages. The system's own short
name for the cause stays at the end in brackets, for a technician.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import logging
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk import config as config_mod
from kiosk.app import Kiosk
from kiosk.messages import saved_text
from kiosk.scan import Scan
from kiosk.sync import protocol
from kiosk.sync.client import ServerBusy, SigningKeyHeld, SyncClient, Unreachable
from kiosk.sync.worker import SyncWorker
from tests.central_support import free_port
from tests.sync_support import (
    JsonAnswering,
    TakingEveryBatch,
    english,
    serving,
    syncing,
    wait_until,
    write_config,
)


def failure(url: str, timeout: float = 2.0) -> Unreachable:
    client = SyncClient(url, "token", timeout=timeout)
    try:
        with pytest.raises(Unreachable) as failed:
            client.health()
        return failed.value
    finally:
        client.close()


def test_a_closed_port_says_the_centre_is_down_or_the_port_is_wrong() -> None:
    refused = failure(f"http://127.0.0.1:{free_port()}")
    assert refused.text("vi") == (
        "không kết nối được: không có máy chủ nào nhận kết nối ở địa chỉ và cổng này — máy "
        "chủ trung tâm đang tắt, hoặc cổng trong server_url (mục [sync]) bị sai [Errno 111]")
    assert refused.text("en") == (
        "connection failed: nothing accepts connections at that address and port — the "
        "centre's server is down, or the port in [sync] server_url is wrong [Errno 111]")


def test_a_host_name_that_does_not_resolve_points_to_dns_and_a_typo() -> None:
    """``.invalid`` never resolves (RFC 6761): a DNS server answers so at once, and a kiosk
    without network fails at once too (Temporary failure in name resolution, Errno -3)."""
    unknown = failure("https://centre.invalid:8765")
    assert unknown.text("vi").startswith(
        "không kết nối được: không tìm được tên máy chủ trung tâm — kiểm tra mạng (DNS) của "
        "trạm, và tên máy trong server_url (mục [sync]) có viết sai không [Errno -"), \
        unknown.text("vi")
    assert unknown.text("en").startswith(
        "connection failed: the centre's host name cannot be found — check this kiosk's "
        "network (DNS), and the host name in [sync] server_url for a typo [Errno -")


def test_no_route_to_the_centre_says_to_check_the_kiosks_network() -> None:
    """Linux will not route a TCP connection to a multicast address: ENETUNREACH, as on a
    kiosk whose cable is out and whose network has no route left."""
    cut_off = failure("https://224.0.0.1:9")
    assert cut_off.text("vi") == (
        "không kết nối được: trạm không có mạng hoặc không có đường tới trung tâm — kiểm tra "
        "dây mạng, Wi-Fi hoặc 4G của trạm [Errno 101]")
    assert cut_off.text("en") == (
        "connection failed: this kiosk has no network, or no route to the centre — check its "
        "network cable, Wi-Fi or mobile data [Errno 101]")


@pytest.fixture
def resetting_server() -> Iterator[str]:
    """Reads each request, then closes with SO_LINGER 0: the client gets a TCP reset."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.shutdown(socket.SHUT_RDWR)
    listener.close()
    thread.join(5)


def test_a_reset_connection_says_it_was_cut_and_to_check_the_network_if_it_recurs(
        resetting_server) -> None:
    """No word of sending again: the same sentence answers the link test and ``kiosk
    doctor``, which try once; the sync screen says that unsent entries wait."""
    reset = failure(resetting_server)
    assert reset.text("vi") == (
        "không kết nối được: kết nối bị ngắt giữa chừng, do trung tâm hoặc thiết bị mạng trên "
        "đường đi — nếu lặp lại nhiều lần, kiểm tra mạng [Errno 104]")
    assert reset.text("en") == (
        "connection failed: the connection was cut midway, by the centre or by network "
        "equipment on the way — if it keeps happening, check the network [Errno 104]")


@pytest.fixture
def self_signed_centre(tmp_path: Path) -> Iterator[str]:
    """A real HTTPS server on 127.0.0.1 whose certificate nobody the kiosk trusts signed."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    (tmp_path / "centre.pem").write_bytes(
        cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "centre.pem")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             http.server.BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_says_to_check_the_kiosks_clock_first(
        self_signed_centre) -> None:
    untrusted = failure(self_signed_centre)
    assert untrusted.text("vi") == (
        "không kết nối được: chứng chỉ bảo mật của trung tâm không được tin cậy, hoặc đồng hồ "
        "của trạm bị sai — kiểm tra ngày giờ của trạm trước, rồi báo kỹ thuật viên "
        "[CERTIFICATE_VERIFY_FAILED: self-signed certificate]")
    assert untrusted.text("en") == (
        "connection failed: the centre's security certificate is not trusted, or this "
        "kiosk's clock is wrong — check the kiosk's date and time first, then tell a "
        "technician [CERTIFICATE_VERIFY_FAILED: self-signed certificate]")


def test_timeouts_say_whether_the_connection_opened() -> None:
    """A listener whose accept queue is full never completes a connection (a wedged centre,
    or packets lost on the way); one that accepts and never answers is a slow centre."""
    full = socket.create_server(("127.0.0.1", 0), backlog=0)
    queued = socket.create_connection(full.getsockname())  # fills the accept queue
    silent = socket.create_server(("127.0.0.1", 0), backlog=8)
    try:
        never_opened = failure(f"http://127.0.0.1:{full.getsockname()[1]}", timeout=0.5)
        never_answered = failure(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
    finally:
        queued.close()
        full.close()
        silent.close()
    assert never_opened.text("vi") == (
        "hết thời gian chờ kết nối: trung tâm không trả lời khi mở kết nối — kiểm tra mạng "
        "của trạm, và máy chủ trung tâm có đang chạy không [ConnectTimeout]")
    assert never_opened.text("en") == (
        "connection timed out: the centre did not answer when connecting — check this "
        "kiosk's network, and that the centre's server is running [ConnectTimeout]")
    assert never_answered.text("vi") == (
        "không nhận được câu trả lời kịp thời: đã kết nối nhưng trung tâm trả lời quá chậm "
        "hoặc không trả lời — máy chủ trung tâm có thể đang quá tải, hoặc mạng rất chậm; nếu "
        "lặp lại nhiều lần, báo người quản lý trung tâm [ReadTimeout]")
    assert never_answered.text("en") == (
        "no answer in time: connected, but the centre answered too slowly or not at all — "
        "the centre's server may be overloaded, or the network very slow; if it keeps "
        "happening, tell whoever runs the centre [ReadTimeout]")


def test_a_cause_with_no_advice_is_said_in_each_language_the_systems_words_in_brackets(
        tmp_path) -> None:
    """A server that closes without answering (no reset): nothing more useful to say than
    the library's own words, for a technician, in brackets as every cause's; the sentence
    is the reader's language (it was the library's English in the Vietnamese too)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        closed = failure(f"http://127.0.0.1:{listener.getsockname()[1]}")
    finally:
        thread.join(5)
        listener.close()
    assert closed.text("en") == (
        "connection failed: a cause this kiosk cannot name — if it keeps happening, tell a "
        "technician [RemoteDisconnected: Remote end closed connection without response]")
    assert closed.text("vi") == (
        "không kết nối được: trạm không rõ nguyên nhân — nếu lặp lại nhiều lần, báo kỹ "
        "thuật viên [RemoteDisconnected: Remote end closed connection without response]")


@contextlib.contextmanager
def scanned(tmp_path: Path, url: str, kiosk_id: str) -> Iterator[tuple[Kiosk, SyncWorker]]:
    """A kiosk syncing with ``url`` every second, one scan taken: it and its sync worker."""
    path = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=url,
                        token="t", enabled=True, interval_seconds=1, max_backoff_seconds=1)
    kiosk = Kiosk(config_mod.load(path))
    with syncing(kiosk) as worker:
        kiosk.pipeline.submit(Scan(payload=b"001099012345||Nguyen Van An|01021990|Nam|"
                                   b"Hue|10102021", lane="in"))
        yield kiosk, worker


class ProxyPage(JsonAnswering):
    """A centre behind a proxy that answers its own page instead of the centre's JSON (a
    captive portal, a proxy's error page with status 200); the health check gets through."""

    def do_GET(self) -> None:
        self._answer({"status": "ok", "protocol": protocol.PROTOCOL_VERSION,
                      "time": protocol.format_time(dt.datetime.now(dt.UTC)),
                      "features": []})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        page = b"<html><body>Please sign in to the Wi-Fi</body></html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


def test_the_upload_failed_log_line_is_vietnamese_in_its_vietnamese_half(tmp_path, caplog
                                                                           ) -> None:
    """A running kiosk whose batches are answered by a proxy's page: the WARNING line says
    why in each language, JSON's own English kept once in each half, in brackets (it was
    the Vietnamese half's reason as it stood); the English half reads as it did
    (sync_support.english)."""
    caplog.set_level(logging.WARNING, logger="kiosk.sync")
    with serving(ProxyPage) as url, scanned(tmp_path, url, "k-proxy") as (_, worker):
        wait_until(lambda: worker.state().last_error is not None)
    line = next(r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING and "upload failed" in r.getMessage())
    tech = "[Expecting value: line 1 column 1 (char 0)]"
    assert english(line) == ("sync: upload failed (unusable answer from the centre: not JSON "
                             f"(a proxy may be answering for the centre) {tech})")
    assert line == ("đồng bộ: tải lên không được (câu trả lời của trung tâm không dùng được: "
                    f"không phải JSON (có thể một proxy trả lời thay trung tâm) {tech}) / "
                    + english(line))


def test_the_saved_last_error_is_worded_again_in_each_language_and_an_older_one_still_shows(
        ) -> None:
    """The worker saves Words (store meta ``sync.last_error``); the sync screen, the status
    strip and ``kiosk sync status`` word them in their reader's language. A kiosk updated
    from a release that saved the system's text as the cause shows that as it was."""
    refused = failure(f"http://127.0.0.1:{free_port()}")
    saved = refused.words.saved()
    assert saved_text(saved, "vi") == refused.text("vi")
    assert saved_text(saved, "en") == refused.text("en")
    older = json.dumps({"code": "sync.transport", "params": {
        "what": {"code": "sync.net.connection", "params": {}},
        "cause": "ConnectionRefusedError: [Errno 111] Connection refused"}})
    assert saved_text(older, "vi") == (
        "không kết nối được: ConnectionRefusedError: [Errno 111] Connection refused")


NESTED = b"[" * 100000 + b"]" * 100000
"""An answer nested deeper than Python's parser goes: it raised RecursionError, no
ValueError, so it was no "unusable answer" but a fault of the program."""


class NestedAnswers(TakingEveryBatch):
    """A centre (or a proxy before it) answering ``NESTED``, with 200 or ``status``, to
    every request while ``nested``; then a centre taking every batch."""

    nested = True
    status = 200

    def _answer(self, body: object, status: int = 200) -> None:
        if not self.nested:
            super()._answer(body, status)
            return
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(NESTED)))
        self.end_headers()
        self.wfile.write(NESTED)

    def do_POST(self) -> None:
        if self.path == protocol.BATCHES_PATH:
            super().do_POST()
            return
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer({})


def test_an_answer_nested_without_end_is_unusable_to_every_call_that_reads_one() -> None:
    """The health check, the backlog keys and the enrolment, answered 200, say the answer
    is unusable and why, in each language; a refusal (409, 500) so nested is shown by its
    start, as any answer that says nothing usable."""
    centre = type("Centre", (NestedAnswers,), {"batches": []})
    with serving(centre) as url:
        client = SyncClient(url, "t", timeout=5)
        try:
            failures = []
            for call in (client.health, lambda: client.backlog_keys("a2V5"),
                         lambda: client.enrol("secret")):
                with pytest.raises(Unreachable) as raised:
                    call()
                failures.append(raised.value)
            centre.status = 409
            with pytest.raises(SigningKeyHeld) as held:
                client.backlog_keys("a2V5")
            centre.status = 500
            with pytest.raises(ServerBusy) as busy:
                client.health()
        finally:
            client.close()
    assert [f.text("en") for f in failures] == [
        "unusable answer from the centre's health check",
        "unusable answer about the backlog keys: body: JSON nested too deeply",
        "unusable answer to the enrolment: body: JSON nested too deeply"]
    assert failures[1].text("vi") == ("câu trả lời về khoá tệp tồn đọng không dùng được: "
                                      "nội dung: JSON lồng nhau quá sâu")
    assert held.value.centre_key is None and "[[[[" in held.value.text("en")
    assert "[[[[" in busy.value.text("en")


def test_a_batch_answered_nested_without_end_stays_pending_and_the_worker_goes_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A running kiosk whose batch is answered so: its last error says the centre's answer
    could not be used and why, in each language; the entry stays pending, and is sent
    again and taken once the centre answers properly. Its trust list, answered so too, is
    not refreshed, and says why (the refreshing thread ended on a RecursionError)."""
    caplog.set_level(logging.WARNING, logger="kiosk")
    centre = type("Centre", (NestedAnswers,), {"batches": []})
    with serving(centre) as url, scanned(tmp_path, url, "k-nested") as (kiosk, worker):
        error = wait_until(lambda: worker.state().last_error)
        assert saved_text(error, "en") == ("unusable answer from the centre: body: JSON "
                                           "nested too deeply")
        assert saved_text(error, "vi") == ("câu trả lời của trung tâm không dùng được: "
                                           "nội dung: JSON lồng nhau quá sâu")
        assert kiosk.store.sync_counts()["pending"] == 1
        refresh = wait_until(lambda: next((r.getMessage() for r in caplog.records
                                           if "trust list not" in r.getMessage()), None))
        assert english(refresh) == ("trust list not refreshed from the centre: centre: "
                                    "JSON nested too deeply, not a trust list; tried "
                                    "again later")
        centre.nested = False
        wait_until(lambda: kiosk.store.sync_counts()["acknowledged"] == 1)
    assert len(centre.batches) >= 2 and len(set(map(tuple, centre.batches))) == 1
