"""Odd answers from a centre (or a proxy in front of it) that the kiosk must not believe
blindly: a Retry-After that asks for no wait, a clock offset no clock can have, an answer
that never ends or only trickles in. Each is served by a real HTTP stand-in on 127.0.0.1
to a real worker over a real store."""

from __future__ import annotations

import contextlib
import email.utils
import json
import os
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest

from kiosk import config as config_mod
from kiosk.certificates import trustlist
from kiosk.store import Store
from kiosk.sync import protocol
from kiosk.sync.client import SyncClient, Unreachable
from kiosk.sync.status import MetaKey
from kiosk.sync.worker import PushSummary, SyncWorker
from tests.sync_support import (
    TakingEveryBatch,
    fill_backlog,
    serving,
    sync_states,
    wait_until,
    write_config,
)

KIOSK = "k-odd"


def load(tmp_path: Path, url: str, **sync: object) -> config_mod.Config:
    return config_mod.load(write_config(tmp_path / "config.toml", kiosk_id=KIOSK,
                                        server_url=url, token="t", **sync))


class BusyNoWait(TakingEveryBatch):
    """Answers every batch 503 with a ``Retry-After`` (``header``) that asks for no wait;
    ``posts`` holds when each came (``time.monotonic()``)."""

    header = "0"
    posts: list[float]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.posts.append(time.monotonic())
        data = b'{"error": "busy"}'
        self.send_response(503)
        self.send_header("Retry-After", self.header)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in pairwise(times)]


@pytest.mark.parametrize("header", ["0", "Wed, 01 May 2024 07:00:00 GMT"])
def test_a_retry_after_of_no_wait_is_backed_off_like_any_failure(tmp_path, header):
    """``Retry-After: 0`` or a date already past, on a 503: the background worker once sent
    ~300 batches a second to a centre saying it is overloaded. Now it waits as after any
    failure, base · 2^(n-1) randomised to 50–100 %: each gap at least half of that."""
    centre = type("Centre", (BusyNoWait,), {"posts": [], "header": header})
    base = 0.2
    with serving(centre) as url:
        config = load(tmp_path, url, enabled=True, interval_seconds=3600)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config, base_backoff_seconds=base)
        worker.start()
        try:
            wait_until(lambda: len(centre.posts) >= 4)
        finally:
            worker.stop()
    assert all(gap >= base * 2 ** n / 2 for n, gap in enumerate(gaps(centre.posts[:4])))
    assert sync_states(config.store_path) == {"pending": 1}


def test_a_push_told_no_wait_still_waits_between_its_attempts(tmp_path):
    """``kiosk sync push`` retries a busy centre a few times: with ``Retry-After: 0`` those
    attempts came back to back; now they are spread as its backoff says."""
    centre = type("Centre", (BusyNoWait,), {"posts": []})
    base = 0.05
    with serving(centre) as url:
        config = load(tmp_path, url)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config, base_backoff_seconds=base)
        try:
            summary = worker.push_now()
        finally:
            worker.stop()
    assert summary.error("en").startswith("HTTP 503") and summary.remaining == 1
    assert len(centre.posts) >= 2
    assert all(gap >= base * 2 ** n / 2 for n, gap in enumerate(gaps(centre.posts)))


class BehindAPortal(TakingEveryBatch):
    """A centre behind something on the way that refuses in its own page: the first
    ``pages`` batches, and every heartbeat while ``beats_refused``, are answered ``status``
    with a web page (nginx's deny page, a captive portal's) or a plain text, as a firewall's
    burst rule or a proxy in maintenance answer; the batches after are taken.
    ``heartbeats`` counts the heartbeats that came."""

    pages = 1
    beats_refused = False
    heartbeats = 0
    status = 403
    body = (b"<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden"
            b"</h1></center><hr><center>nginx</center></body></html>", "text/html")

    def do_GET(self) -> None:
        self._answer({"status": "ok", "protocol": protocol.PROTOCOL_VERSION,
                      "features": ["health"]})

    def do_POST(self) -> None:
        centre = type(self)
        if self.path == protocol.HEARTBEAT_PATH:
            self.rfile.read(int(self.headers["Content-Length"]))
            centre.heartbeats += 1
            if centre.beats_refused:
                self._page()
            else:
                self._answer({"status": "ok"})
        elif centre.pages > 0:
            self.rfile.read(int(self.headers["Content-Length"]))
            centre.pages -= 1
            self._page()
        else:
            super().do_POST()

    def _page(self) -> None:
        data, kind = self.body
        self.send_response(self.status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.mark.parametrize(("status", "body"), [
    (403, BehindAPortal.body), (401, (b"Unauthorized: sign in to the hotspot", "text/plain"))])
def test_a_refusal_page_on_the_way_is_backed_off_not_taken_for_the_token_refused(
        tmp_path, status, body):
    """Only the centre's own coded answer says the token is refused (and pauses uploads
    until the operator acts: the real revocation, tests/test_sync_worker.py). A 401/403
    page from a proxy, a firewall or a captive portal paused them for good, though the way
    was open a second later: now it is a failure backed off like a busy centre's, the
    scan sent at the next try and no alert raised."""
    centre = type("Centre", (BehindAPortal,), {"batches": [], "status": status, "body": body})
    with serving(centre) as url:
        config = load(tmp_path, url, enabled=True, interval_seconds=3600)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config, base_backoff_seconds=0.2)
        worker.start()
        try:
            wait_until(lambda: sync_states(config.store_path) == {"acknowledged": 1})
        finally:
            worker.stop()
    assert centre.pages == 0 and len(centre.batches) == 1  # the page, then the batch taken
    assert worker.state().alert is None and not worker.scheduler.paused


@pytest.mark.parametrize("refusal", [
    {"error": "unknown token"},  # protocol 1's centre: its error alone
    {"error": "token expired, re-enrol", "code": "api.token_expired",  # a newer centre's
     "params": {"kiosk": KIOSK}}])  # code, unknown here
def test_an_older_or_newer_centres_own_401_is_the_token_refused(tmp_path, refusal):
    """The centre's own JSON refusal is its word though this kiosk does not know its code:
    uploads pause and the operator is told (an alert), as for a known revocation. Taken for
    a page on the way, it was backed off for ever, the operator never told."""
    body = (json.dumps(refusal).encode(), "application/json")
    centre = type("Centre", (BehindAPortal,), {"batches": [], "status": 401, "body": body})
    with serving(centre) as url:
        config = load(tmp_path, url, enabled=True, interval_seconds=3600)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config, base_backoff_seconds=0.2)
        worker.start()
        try:
            wait_until(lambda: worker.scheduler.paused)
        finally:
            worker.stop()
    assert worker.state().alert is not None and refusal["error"] in str(worker.state().alert)
    assert sync_states(config.store_path) == {"pending": 1} and centre.batches == []


def test_a_heartbeat_refused_by_a_page_on_the_way_does_not_pause_the_kiosk(tmp_path):
    """The same rule for an idle kiosk's heartbeat: a portal's 403 page is logged as a
    heartbeat that failed, the kiosk not paused (it went quiet for good before), so the
    heartbeats go on and uploads start the moment there is something to send."""
    centre = type("Centre", (BehindAPortal,), {"batches": [], "pages": 0,
                                               "beats_refused": True, "heartbeats": 0})
    with serving(centre) as url:
        config = load(tmp_path, url, enabled=True)
        worker = SyncWorker.from_config(config, interval_seconds=0.2)
        worker.start()
        try:
            wait_until(lambda: centre.heartbeats >= 3)
            assert worker.state().alert is None and not worker.scheduler.paused
            fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
            worker.notify()
            wait_until(lambda: sync_states(config.store_path) == {"acknowledged": 1})
        finally:
            worker.stop()


class BusyForAMinute(TakingEveryBatch):
    """A proxy in maintenance, as nginx or HAProxy answer: 503 with ``Retry-After`` an HTTP
    date one minute ahead of its (right) clock, and its ``Date``."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        data = b"maintenance\n"
        self.send_response(503)  # with Date: now
        self.send_header("Retry-After", email.utils.formatdate(time.time() + 60, usegmt=True))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


ASKED_WAIT = """
import sys
from kiosk.sync.client import ServerBusy, SyncClient
try:
    SyncClient(sys.argv[1], "t").post_batch(b"{}", "identity", [])
except ServerBusy as busy:
    print(busy.retry_after)
"""


def test_a_retry_after_date_is_counted_from_the_answers_date_not_the_kiosks_clock(
        libfaketime):
    """The proxy asks for a minute, as a date by its clock. A kiosk 3 h behind (a Pi without
    RTC battery booted at its last shutdown time, NTP not yet through) counted it from its
    own clock and waited 3 h and a minute, every scan of the morning unsent; counted from
    the answer's ``Date`` it is the minute asked. A real client in a process of its own,
    its clock moved by libfaketime; the server's is right."""
    with serving(BusyForAMinute.anew()) as url:
        asked = subprocess.run(
            [sys.executable, "-c", ASKED_WAIT, url], capture_output=True, text=True,
            timeout=60, check=True, env={**os.environ, "LD_PRELOAD": str(libfaketime),
                                         "FAKETIME": "-3h"})
    assert 58 <= float(asked.stdout) <= 61, asked


class OddOffset(TakingEveryBatch):
    """Takes every batch, answering ``offset`` as its ``clock_offset_seconds``, written into
    the JSON text as is (``NaN``, ``1e999`` and ``10**400`` are what Python's json reads)."""

    offset = "NaN"

    def do_POST(self) -> None:
        batch = protocol.decode_body(self.rfile.read(int(self.headers["Content-Length"])),
                                     self.headers.get("Content-Encoding"))
        results = json.dumps([{"id": e["id"], "status": "accepted"} for e in batch["entries"]])
        data = f'{{"results": {results}, "clock_offset_seconds": {self.offset}}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def status(config: config_mod.Config, *args: str) -> str:
    """``kiosk sync status`` (offline) as a technician runs it; its output."""
    path = config.store_path.parent / "config.toml"  # beside it (write_config)
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "status", "--offline",
                           *args, "--config", str(path)], capture_output=True, text=True,
                          timeout=120, check=True).stdout


def strict_json(text: str) -> dict:
    """JSON as jq or JSON.parse read it: ``NaN`` and ``Infinity`` are none."""
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is no JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("offset", ["1" + "0" * 400, "NaN", "1e999", "-Infinity",
                                    str(400 * 86400 + 1)])
def test_an_offset_no_clock_can_have_is_ignored_and_the_entries_acknowledged(tmp_path, offset):
    """The results of such an answer were checked against the entries sent: they are
    acknowledged. The offset is not believed: ``10**400`` raised OverflowError in the send
    thread (the push a traceback, the entries pending for good although stored), ``NaN`` or
    ``1e999`` was saved and ``kiosk sync status --json`` printed ``NaN``, which is no JSON.
    Over 400 days is more than a centre lets a batch's clock be off."""
    centre = type("Centre", (OddOffset,), {"offset": offset})
    with serving(centre) as url:
        config = load(tmp_path, url)
        fill_backlog(config.store_path, 3, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config)
        try:
            summary = worker.push_now()
        finally:
            worker.stop()
    assert summary.error is None and summary.accepted == 3
    assert sync_states(config.store_path) == {"acknowledged": 3}
    assert strict_json(status(config, "--json"))["clock_offset_seconds"] is None
    assert "Kiosk clock offset" not in status(config)


def test_a_background_upload_acknowledges_an_answer_with_a_huge_offset(tmp_path):
    """The background worker met the OverflowError too: it logged "sync worker cycle failed"
    over and over, the status said no error, and the entries never left."""
    centre = type("Centre", (OddOffset,), {"offset": "1" + "0" * 400})
    with serving(centre) as url:
        config = load(tmp_path, url, enabled=True, interval_seconds=3600)
        fill_backlog(config.store_path, 3, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config)
        worker.start()
        try:
            wait_until(lambda: sync_states(config.store_path) == {"acknowledged": 3})
            assert worker.state().last_error is None
        finally:
            worker.stop()


def test_a_sane_offset_is_still_saved_and_shown(tmp_path):
    centre = type("Centre", (OddOffset,), {"offset": "-12.5"})
    with serving(centre) as url:
        config = load(tmp_path, url)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config)
        try:
            worker.push_now()
        finally:
            worker.stop()
    assert strict_json(status(config, "--json"))["clock_offset_seconds"] == -12.5
    assert "-12.5 s" in status(config)


@pytest.mark.parametrize("saved", ["nan", "inf"])
def test_an_offset_saved_before_it_was_checked_is_shown_as_none(tmp_path, saved):
    """A kiosk updated from a version that saved ``nan`` shows no offset, not ``NaN``
    (and the worker starts with none), until the next answer saves one."""
    config = load(tmp_path, "http://127.0.0.1:9")
    fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
    store = Store(config.store_path)
    try:
        store.set_meta({MetaKey.CLOCK_OFFSET: saved})
    finally:
        store.close()
    assert strict_json(status(config, "--json"))["clock_offset_seconds"] is None
    worker = SyncWorker.from_config(config)
    try:
        assert worker.state().clock_offset_seconds is None
    finally:
        worker.stop()


class Trickling(TakingEveryBatch):
    """Answers everything 200 with a right answer (and ``padding`` spaces behind it) sent a
    byte every ``pause`` seconds, as a proxy that trickles can: each read gets a byte well
    within any read timeout."""

    pause = 0.2
    padding = 100

    def do_GET(self) -> None:
        self._trickle(json.dumps({"status": "ok", "protocol": protocol.PROTOCOL_VERSION,
                                  "features": []}).encode())

    def do_POST(self) -> None:
        batch = protocol.decode_body(self.rfile.read(int(self.headers["Content-Length"])),
                                     self.headers.get("Content-Encoding"))
        self._trickle(json.dumps({"results": [{"id": e["id"], "status": "accepted"}
                                              for e in batch["entries"]]}).encode())

    def _trickle(self, data: bytes) -> None:
        data += b" " * self.padding
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(self.pause)
        except OSError:  # the kiosk gave up and hung up
            pass


def test_an_answer_that_trickles_in_is_given_up_after_the_timeout(tmp_path):
    """requests' timeout bounds each read, not the answer: a byte every 0.2 s held a push
    for ever with ``timeout_seconds = 1``. Now the body must be whole within about the
    timeout: the push ends, the entries pending (the centre may hold them: the resend is
    answered ``duplicate``)."""
    with serving(Trickling) as url:
        config = load(tmp_path, url, timeout_seconds=1)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config, base_backoff_seconds=0.02)
        ended: list[PushSummary] = []
        pushing = threading.Thread(target=lambda: ended.append(worker.push_now()), daemon=True)
        try:
            pushing.start()
            pushing.join(60)  # 5 attempts of about a second each; for ever before
            assert ended, "the push still waits for the answer"
        finally:
            worker.stop()
    assert ended[0].error("en") == "unusable answer from the centre: not whole after 1 s"
    assert ended[0].error("vi") == (
        "câu trả lời của trung tâm không dùng được: chưa nhận trọn sau 1 giây")
    assert sync_states(config.store_path) == {"pending": 1}


def test_a_health_check_that_trickles_in_is_given_up_too():
    """Every request is bounded so: the health check, the trust list, the enrolment."""
    failed: list[BaseException] = []

    def check() -> None:
        try:
            client.health()
        except Unreachable as exc:
            failed.append(exc)

    with serving(Trickling) as url:
        client = SyncClient(url, "t", timeout=0.5)
        checking = threading.Thread(target=check, daemon=True)
        try:
            checking.start()
            checking.join(30)  # about half a second; for ever before
        finally:
            client.close()
    assert [str(exc.text("en")) for exc in failed] == [
        "unusable answer from the centre: not whole after 0.5 s"]


class SlowButSteady(TakingEveryBatch):
    """Serves a 100 KB trust list at 40 KB/s, as a 2G/EDGE link does: every read well
    within the timeout, the whole in 2.5 s."""

    body = b'{"padding": "' + b"A" * 100_000 + b'"}'

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("ETag", '"slow"')
        self.end_headers()
        for start in range(0, len(self.body), 4000):
            self.wfile.write(self.body[start:start + 4000])
            self.wfile.flush()
            time.sleep(0.1)


def test_an_honest_slow_link_still_brings_a_trust_list_longer_than_the_timeout():
    """Only a trickle is cut: an answer that keeps coming at a slow link's pace (2 KB/s and
    more) is read whole however long it takes. With a MiB asked for each timeout, a 1 MB
    trust list over 2G (30 KB/s, 33 s) was cut at 26 s with the default 15 s timeout,
    downloaded again every few minutes and never kept, and went stale within days."""
    with serving(SlowButSteady) as url:
        client = SyncClient(url, "t", timeout=1)
        try:
            started = time.monotonic()
            answer = client.trust_list(None)
            took = time.monotonic() - started
        finally:
            client.close()
    assert answer.body == SlowButSteady.body and took > 2  # longer than the timeout, whole


class Endless(TakingEveryBatch):
    """Answers a batch 200 announcing 4 GiB, then sends spaces until the kiosk hangs up
    (or 64 MiB have gone, cut off there: a kiosk reading on is not left to fill its memory
    in a test); ``sent`` counts the bytes that went."""

    sent = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(4 << 30))
        self.end_headers()
        chunk = b" " * (1 << 20)
        try:
            for _ in range(64):
                self.wfile.write(chunk)
                type(self).sent += len(chunk)
        except OSError:  # the kiosk hung up
            pass


def test_an_answer_larger_than_any_is_not_read_further(tmp_path):
    """A 4 GiB answer was read whole (876 MiB, then MemoryError, in the process that also
    runs the screen). Now no more than the centre itself reads of a request, 16 MiB."""
    centre = type("Centre", (Endless,), {"sent": 0})
    with serving(centre) as url:
        config = load(tmp_path, url)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config, base_backoff_seconds=0.02)
        try:
            summary = worker.push_now()
        finally:
            worker.stop()
    assert summary.error("en") == (
        "unusable answer from the centre: larger than 16 MiB, not read further")
    assert summary.error("vi") == (
        "câu trả lời của trung tâm không dùng được: lớn hơn 16 MiB, không đọc tiếp")
    assert sync_states(config.store_path) == {"pending": 1}
    # 5 attempts, each stopped after its 16 MiB plus what the sockets' buffers held
    assert centre.sent < 5 * 32 << 20


class TrustListOf(TakingEveryBatch):
    """Serves a trust list of ``size`` bytes (its content does not matter here)."""

    size = 0

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        with contextlib.suppress(OSError):  # the kiosk hung up
            self.wfile.write(b" " * self.size)


def test_a_trust_list_may_be_as_large_as_a_trust_list_file_and_no_larger():
    """The trust list is the one answer larger than 16 MiB may be: up to the file limit."""
    for size, whole in ((20 << 20, True), (trustlist.MAX_FILE_BYTES + 1, False)):
        with serving(type("Centre", (TrustListOf,), {"size": size})) as url:
            client = SyncClient(url, "t")
            try:
                if whole:
                    assert len(client.trust_list(None).body or b"") == size
                else:
                    with pytest.raises(Unreachable, match="larger than 32 MiB"):
                        client.trust_list(None)
            finally:
                client.close()
