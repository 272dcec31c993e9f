"""Exactly-once delivery over a network that fails in every way a checkpoint's network does.

A fault-injecting proxy (tests/sync_support.py) sits between the kiosk and a real
``kiosk-central serve``. Whatever it does — drop, reset, delay, truncate, 5xx, 413 — every
entry must end up stored once at the centre (its database is read directly) and
acknowledged on the kiosk, and nothing may be acknowledged that the centre does not hold.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import random
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest

from kiosk import config as config_mod
from kiosk.central.backends import open_storage
from kiosk.messages import saved_text, saved_words
from kiosk.store import Store
from kiosk.sync.client import SyncClient
from kiosk.sync.status import META_PREFIX, MetaKey, StatusBoard, SyncState, saved_time
from kiosk.sync.uploader import Tally, Uploader
from kiosk.sync.worker import PUSH_ATTEMPTS, SyncWorker
from tests.central_support import free_port
from tests.sync_support import (
    CentralServer,
    FaultyProxy,
    SlowCentre,
    TakingEveryBatch,
    fill_backlog,
    serving,
    sync_states,
    wait_until,
    write_config,
)


@pytest.fixture
def proxy(central):
    p = FaultyProxy(central.port)
    yield p
    p.close()


@pytest.fixture
def slow_centre(tmp_path):
    """A PostgreSQL centre on which chosen entries run past its statement timeout: see
    :class:`SlowCentre`."""
    centre = SlowCentre(tmp_path / "centre")
    yield centre
    centre.stop()


READ_TIMEOUT = 5
"""The kiosk's read timeout where the proxy answers too late: long enough for every answer
meant to come in time, on a loaded machine; the one meant to come too late is held by the
proxy until the kiosk has given up on it (``too_late``), never raced against the timeout."""


def worker_for(tmp_path, kiosk_id, url, token, **sync) -> SyncWorker:
    config = config_mod.load(write_config(tmp_path / "config.toml", kiosk_id=kiosk_id,
                                          server_url=url, token=token, **sync))
    return SyncWorker.from_config(config, base_backoff_seconds=0.02)


@contextlib.contextmanager
def worker_through_the_proxy(central: CentralServer, proxy: FaultyProxy, kiosk_id: str,
                             tmp_path: Path) -> Iterator[SyncWorker]:
    """A worker sending batches of one to ``central`` through ``proxy``, giving up on an
    answer after :data:`READ_TIMEOUT` (the proxy can hold one back past it); stopped on the
    way out."""
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id),
                        batch_size=1, timeout_seconds=READ_TIMEOUT)
    try:
        yield worker
    finally:
        worker.stop()


def worker_with_a_slow_entry(slow_centre: SlowCentre, tmp_path: Path, kiosk_id: str, *,
                             token: str | None = None, hold_back_seconds: float | None = None,
                             **sync: Any) -> tuple[SyncWorker, str]:
    """A worker sending batches of one (enrolled here unless ``token`` is given) with four
    entries pending, the oldest of which the centre does not store in time: (worker, it)."""
    worker = worker_for(tmp_path, kiosk_id, slow_centre.url,
                        token or slow_centre.enrol(kiosk_id), batch_size=1, **sync)
    assert worker.uploader is not None
    if hold_back_seconds is not None:
        worker.uploader.hold_back_seconds = hold_back_seconds
    slow = fill_backlog(worker.store.path, 4, kiosk_id=kiosk_id)[0]
    slow_centre.slow_down(slow)
    return worker, slow


def uploader_for(store: Store, client: SyncClient, kiosk_id: str, *, batch_size: int,
                 board: StatusBoard | None = None, **options: Any) -> Uploader:
    """An uploader the test drains itself, one drain at a time (no worker thread), whose
    batches are cut by their number of entries alone, sent unencoded."""
    return Uploader(store, client, board or StatusBoard(SyncState()), kiosk_id=kiosk_id,
                    batch_size=batch_size, batch_max_bytes=10_000_000, encoding=None,
                    paused=lambda: False, **options)


def hold_one_back(worker: SyncWorker, proxy: FaultyProxy, kiosk_id: str, seed: int = 1) -> str:
    """Three new entries drained in batches of one, the centre storing all three but
    answering one too late (once the worker gave up waiting): the entry held back."""
    assert worker.uploader is not None
    before = set(worker.uploader.held_back())
    fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id, seed=seed)
    proxy.add("too_late")  # one answered too late, the others in time
    worker.uploader.drain(Tally(), None, lambda: False)
    [held] = set(worker.uploader.held_back()) - before
    return held


def hold_two_back(worker: SyncWorker, proxy: FaultyProxy, kiosk_id: str) -> tuple[str, str]:
    """Two entries held back as ``hold_one_back`` does: the first for 100 s, then the
    second for 1 s, so the later one is due first: (first, second)."""
    assert worker.uploader is not None
    worker.uploader.hold_back_seconds = 100
    first = hold_one_back(worker, proxy, kiosk_id)
    worker.uploader.hold_back_seconds = 1
    second = hold_one_back(worker, proxy, kiosk_id, seed=2)
    return first, second


def states_on_disk(store_path: Path) -> dict[str, int]:
    """Entries by sync state in a store file another process is writing (read only)."""
    with contextlib.closing(sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)) as db:
        return dict(db.execute("SELECT sync_state, count(*) FROM entries GROUP BY 1"))


def hold_times(log: str, entry: str) -> list[int]:
    """How long each hold of ``entry`` was to last, in seconds, as the uploader logged them."""
    return [int(s) for s in re.findall(rf"entry {entry} .*?sent again in (\d+) s", log)]


def batch_sizes(board: StatusBoard) -> list[int]:
    """The entries of each batch put on the wire, in order, as the board sees them go out
    (its in-flight count rising); filled in as the uploader sends."""
    sent: list[int] = []
    in_flight = [0]

    def seen(state: SyncState) -> None:
        if state.in_flight > in_flight[0]:
            sent.append(state.in_flight - in_flight[0])
        in_flight[0] = state.in_flight

    board.subscribe(seen)
    return sent


NETWORK_FAULTS = [
    "drop_request",       # connection closed before anything reached the centre
    "drop_response",      # centre committed, answer lost
    "status:500",
    "truncate_response",  # centre committed, half an answer arrived
    "status:503:1",
    "forward_late",       # reaches the centre once the client has given up waiting
    "reset_request",      # TCP reset before forwarding
    "reset_response",     # centre committed, then TCP reset
    "status:502",
]


def test_every_entry_arrives_exactly_once_whatever_the_network_does(
        central, proxy, kiosk_id, tmp_path):
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id),
                        batch_size=50, timeout_seconds=READ_TIMEOUT)
    ids = fill_backlog(worker.store.path, 1000, kiosk_id=kiosk_id)
    for fault in NETWORK_FAULTS:
        proxy.add(fault, "pass")

    summary = worker.push_now()
    worker.stop()

    assert summary.error is None and summary.remaining == 0
    assert [e.fault for e in proxy.batch_events() if e.fault != "pass"] == NETWORK_FAULTS
    stored = central.stored_ids(kiosk_id)
    assert len(stored) == len(set(stored)) == 1000 and sorted(stored) == ids
    assert sync_states(worker.store.path) == {"acknowledged": 1000}
    # Each entry was acknowledged once on the kiosk and inserted once at the centre; the
    # three requests whose answer was lost after the commit were re-sent and the centre
    # answered those entries "duplicate": 50, 50, then 25 (the slow hop before the last,
    # no answer in the kiosk's read timeout, halved the batches until 4 are answered in a
    # row).
    assert summary.accepted + summary.duplicate == 1000 and summary.duplicate >= 50
    logged = central.batches(kiosk_id)
    assert sum(b["accepted"] for b in logged) == 1000
    assert sum(b["duplicate"] for b in logged) >= 125


def test_retry_after_from_the_centre_is_waited_out(central, proxy, kiosk_id, tmp_path):
    """Exponential backoff would retry after ~20 ms here; the 503 asked for 2 s."""
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id))
    fill_backlog(worker.store.path, 10, kiosk_id=kiosk_id)
    proxy.add("status:503:2")
    summary = worker.push_now()
    worker.stop()
    first, second = proxy.batch_events()
    assert first.fault == "status:503:2" and second.fault == "pass"
    assert second.at - first.at >= 2.0
    assert summary.accepted == 10


class Seen(TakingEveryBatch):
    """A stand-in centre that notes each request it answers, in order, in ``seen``."""

    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append("health")
        super().do_GET()

    def do_POST(self) -> None:
        self.seen.append("batch")
        super().do_POST()


@contextlib.contextmanager
def centre_on(port: int, handler: type[Seen]) -> Iterator[None]:
    """``handler`` answering on 127.0.0.1:``port`` for the block: the centre up; outside it
    nothing listens there and a connection is refused, as to a centre down."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_centre_back_after_a_long_outage_gets_the_backlog_within_about_an_interval(
        kiosk_id, tmp_path, caplog):
    """The centre gone long enough for ten refused connections in a row: the backoff's
    doubling (0.02 s · 2⁹ = 10 s by then, up to ``max_backoff_seconds`` = 300) is not
    waited out. Nothing answered to ask for a slower pace, so the worker looks for the
    centre every ``interval_seconds`` (1 s here) with a health check, and the moment it
    answers, the backlog goes — the health check first, then the batches, with no scan or
    push to wake it. Before, the soak's pending count kept growing ~100 s after the centre
    returned. The schedule is what is checked (the next look after the tenth failure at
    most an interval away, where the doubling put it 5–10 s away), not how long the
    upload took: on a busy machine that says only how busy it was."""
    caplog.set_level(logging.WARNING, logger="kiosk.sync.worker")
    port = free_port()
    centre = type("Centre", (Seen,), {"batches": [], "seen": []})
    worker = worker_for(tmp_path, kiosk_id, f"http://127.0.0.1:{port}", "t", enabled=True,
                        interval_seconds=1)
    first = fill_backlog(worker.store.path, 5, kiosk_id=kiosk_id)
    worker.start()
    try:
        with centre_on(port, centre):
            wait_until(lambda: sync_states(worker.store.path) == {"acknowledged": 5})
        later = fill_backlog(worker.store.path, 40, kiosk_id=kiosk_id)
        wait_until(lambda: worker.scheduler.failures >= 10, timeout=60)
        # while the centre is down only a failure's backoff puts the next look in the
        # future (a look runs once it is due): this one is the tenth failure's or later
        next_look = wait_until(lambda: (due := worker.scheduler.due_in) > 0 and due)
        assert next_look <= worker.scheduler.interval
        assert worker.scheduler.unreached  # that look asks for the centre's health first
        centre.seen.clear()
        with centre_on(port, centre):  # back: nothing but the schedule wakes the worker
            wait_until(lambda: sync_states(worker.store.path) == {"acknowledged": 45})
    finally:
        worker.stop()
    assert sorted(id_ for batch in centre.batches for id_ in batch) == sorted(first + later)
    assert centre.seen[0] == "health" and "batch" in centre.seen


def test_a_centre_down_for_long_is_logged_once_not_at_every_look(kiosk_id, tmp_path,
                                                                 caplog):
    """A centre down for hours is looked for every interval: the same refusal each time is
    logged and saved (what ``kiosk sync status`` reads) once, and again only after
    ``FAILURE_REPEAT_SECONDS`` — not one bilingual warning and one store write per look. The
    screen's state still has each look's time."""
    caplog.set_level(logging.WARNING, logger="kiosk.sync.worker")
    worker = worker_for(tmp_path, kiosk_id, f"http://127.0.0.1:{free_port()}", "t",
                        enabled=True, interval_seconds=1)
    fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id)
    worker.start()
    try:
        wait_until(lambda: worker.scheduler.failures >= 2)  # the first one said and saved
        first = saved(worker.store.path)
        # looks for the centre go on, each one failing; 2 s of them
        wait_until(lambda: worker.board.state.last_error_at > first[1] + 2, timeout=30)
    finally:
        worker.stop()
    assert worker.scheduler.failures >= 3
    assert caplog.text.count("upload failed") == 1
    assert saved(worker.store.path) == first  # the first look's, kept: later ones not saved
    assert "nothing accepts connections" in saved_text(first[0], "en")


def saved(store_path: Path) -> tuple[str, float]:
    """The last error and its time as ``kiosk sync status`` reads them from the store."""
    store = Store(store_path)
    try:
        status = store.meta(META_PREFIX)
    finally:
        store.close()
    at = saved_time(status, MetaKey.LAST_ERROR_AT)
    assert at is not None
    return status[MetaKey.LAST_ERROR], at


def test_a_proxys_error_page_is_said_in_words_on_one_line(central, proxy, kiosk_id,
                                                          tmp_path):
    """nginx in front of the centre answers 502 with its HTML page while the centre is down:
    the operator is told it was a web page and its title, in each language, on one line (the
    page's lines ran across the status's), and the entries go once the centre answers."""
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id))
    fill_backlog(worker.store.path, 3, kiosk_id=kiosk_id)
    proxy.add("page:502:0")
    summary = worker.push_now()
    error = worker.state().last_error
    worker.stop()
    assert summary.accepted == 3
    assert [e.fault for e in proxy.batch_events()][:2] == ["page:502:0", "pass"]
    words = saved_words(error) if error else None
    assert words is not None, error
    assert words("en") == ("HTTP 502: a web page, not the centre's answer (a proxy may be "
                           "answering for it; title: 502 Bad Gateway)")
    assert words("vi").startswith("HTTP 502: một trang web, không phải câu trả lời")
    assert "\n" not in words("vi") and "<" not in words("en")


def giant_among(store_path: Path, kiosk_id: str) -> tuple[list[str], str]:
    """600 pending entries, the 301st of which carries 40 kB of noise (no compression saves
    it): the ids, and the giant's."""
    ids = fill_backlog(store_path, 600, kiosk_id=kiosk_id)
    with Store(store_path).transaction() as conn:
        conn.execute("UPDATE entries SET payload = ? WHERE id = ?",
                     (random.Random(3).randbytes(40_000), ids[300]))
    return ids, ids[300]


def test_413_halves_batches_until_they_fit_and_a_lone_giant_the_centre_refuses_is_quarantined(
        kiosk_id, tmp_path):
    """The centre itself takes bodies of at most 12 kB (``--max-body``): batches are halved
    until they fit, and the one entry too large for it even alone is quarantined with the
    centre's reason — the centre refused it."""
    centre = CentralServer(tmp_path / "centre", "--max-body", "12000")
    try:
        worker = worker_for(tmp_path, kiosk_id, centre.url, centre.enrol(kiosk_id),
                            batch_size=500)
        ids, giant = giant_among(worker.store.path, kiosk_id)
        summary = worker.push_now()
        worker.stop()

        assert summary.error is None
        assert (summary.accepted, summary.rejected) == (599, 1)
        assert sorted(centre.stored_ids(kiosk_id)) == sorted(set(ids) - {giant})
    finally:
        centre.stop()
    (quarantined,) = Store(worker.store.path).rejected_entries()
    assert quarantined["id"] == giant
    reason = saved_text(quarantined["sync_error"], "en")
    assert "too large" in reason and "413" in reason and "12000" in reason, reason


def test_a_lone_giant_a_proxy_refuses_is_held_back_not_quarantined(central, proxy, kiosk_id,
                                                                   tmp_path):
    """A reverse proxy in front of the centre allows 12 kB bodies (nginx client_max_body_size):
    batches are halved until they fit; the entry too large for the proxy even alone was not
    refused by the centre, so it is not quarantined but held back, pending, the rest going
    on, and the push names it."""
    proxy.max_body = 12_000
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id), batch_size=500)
    ids, giant = giant_among(worker.store.path, kiosk_id)

    summary = worker.push_now()
    told = saved_text(worker.state().last_error, "en")
    worker.stop()

    assert (summary.accepted, summary.rejected, summary.remaining) == (599, 0, 1)
    assert summary.error is not None and giant in summary.error("en")
    events = proxy.batch_events()
    assert any(e.fault == "status:413" for e in events)
    assert all(e.body_bytes <= 12_000 for e in events if e.fault == "pass")
    assert sorted(central.stored_ids(kiosk_id)) == sorted(set(ids) - {giant})
    assert sync_states(worker.store.path) == {"acknowledged": 599, "pending": 1}
    assert told.startswith(f"the centre did not store entry {giant} (a request of "), told
    assert "refused as too large, not by the centre: HTTP 413" in told, told


class BehindAProxyRefusingAll(TakingEveryBatch):
    """A centre behind a proxy that answers every batch with nginx's 413 page (its body
    limit set far too low) until ``fixed``; ``refused`` keeps the sizes it refused."""

    refused: list[int]
    fixed = False

    @classmethod
    def anew(cls) -> type[Self]:
        return type("Centre", (cls,), {"batches": [], "refused": []})

    def do_POST(self) -> None:
        if self.fixed:
            return super().do_POST()
        self.refused.append(len(self.rfile.read(int(self.headers["Content-Length"]))))
        page = b"<html><head><title>413 Request Entity Too Large</title></head></html>"
        self.send_response(413)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


def test_a_proxy_refusing_every_size_quarantines_nothing_and_alerts_the_operator(
        kiosk_id, tmp_path):
    """Quarantine means the centre refused the entry: a proxy answering 413 to every request,
    a single entry's included, leaves every entry pending; the push fails saying so, and the
    alert (saved for ``kiosk sync status``) names the smallest request refused — after a
    few requests, not one per entry."""
    centre = BehindAProxyRefusingAll.anew()
    with serving(centre) as url:
        worker = worker_for(tmp_path, kiosk_id, url, "t", batch_size=8)
        fill_backlog(worker.store.path, 20, kiosk_id=kiosk_id)
        try:
            summary = worker.push_now()
            state = worker.state()
        finally:
            worker.stop()

    assert (summary.done, summary.rejected, summary.remaining) == (0, 0, 20)
    assert sync_states(worker.store.path) == {"pending": 20}
    assert len(centre.refused) < 10
    assert summary.error is not None and summary.error.code == "sync.every_size_refused"
    assert state.alert is not None
    alert = state.alert("en")
    assert alert.startswith("Something between the kiosk and the centre (a proxy?) refuses "
                            "every request size as too large, even a single entry; the smallest "
                            f"refused: {min(centre.refused)} bytes (HTTP 413: a web page"), alert
    assert "413 Request Entity Too Large" in alert and "none is lost" in alert, alert
    assert "proxy" in state.alert("vi")
    assert Store(worker.store.path).meta("sync.")["sync.alert"] is not None


def test_the_background_worker_meeting_a_proxy_refusing_every_size_quarantines_nothing(
        kiosk_id, tmp_path):
    """The background worker meets the proxy refusing every size: it raises the alert and
    retries later, quarantining nothing meanwhile."""
    centre = BehindAProxyRefusingAll.anew()
    with serving(centre) as url:
        worker = worker_for(tmp_path, kiosk_id, url, "t", batch_size=8, enabled=True,
                            interval_seconds=1, max_backoff_seconds=1)
        fill_backlog(worker.store.path, 20, kiosk_id=kiosk_id)
        worker.start()
        try:
            wait_until(lambda: worker.state().alert is not None)
            time.sleep(2)  # a retry or two, after the backoff
        finally:
            worker.stop()
    assert sync_states(worker.store.path) == {"pending": 20}
    assert worker.state().alert("en").startswith("Something between the kiosk and the centre")


def test_once_the_proxy_is_fixed_the_next_push_sends_whole_batches_again(kiosk_id, tmp_path):
    """The single-entry limit a proxy refusing every size taught does not stick: once it is
    fixed, the next try sends batches of ``batch_size`` again, and the answer clears the
    alert."""
    centre = BehindAProxyRefusingAll.anew()
    with serving(centre) as url:
        worker = worker_for(tmp_path, kiosk_id, url, "t", batch_size=8)
        ids = fill_backlog(worker.store.path, 20, kiosk_id=kiosk_id)
        try:
            assert worker.push_now().error is not None
            assert worker.state().alert is not None
            centre.fixed = True
            summary = worker.push_now()
            state = worker.state()
        finally:
            worker.stop()
    assert (summary.accepted, summary.error) == (20, None)
    assert sorted(centre.batches) == [ids[:8], ids[8:16], ids[16:]]  # two on the wire
    assert state.alert is None


def test_a_kiosk_killed_while_its_batch_is_in_flight_loses_and_duplicates_nothing(
        central, proxy, kiosk_id, tmp_path):
    """SIGKILL after the centre committed batches 3 and 4 (both on the wire) but before
    their answers reached the kiosk, batches 1 and 2 acknowledged. The holds are keyed to
    batches 3 and 4: with two on the wire, batch 3 (sent once batch 1 is answered) can
    reach the proxy before batch 2, which then took the first hold of a shared queue and
    batch 3 a pass (300 stored at the kill, not 400)."""
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=proxy.url,
                          token=central.enrol(kiosk_id), batch_size=100)
    ids = fill_backlog(tmp_path / "kiosk.db", 500, kiosk_id=kiosk_id)
    proxy.add_for(ids[200], "hold_response:60")
    proxy.add_for(ids[300], "hold_response:60")
    push = [sys.executable, "-m", "kiosk.cli", "sync", "push", "--config", str(config)]
    proc = subprocess.Popen(push, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # batch 4 goes once batch 2 is answered: wait for that answer kept, too
        wait_until(lambda: proxy.holds == 2 and states_on_disk(tmp_path / "kiosk.db") == {
            "acknowledged": 200, "pending": 300}, timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert len(central.stored_ids(kiosk_id)) == 400
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 200, "pending": 300}

    again = subprocess.run(push, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "100 new, 200 already at the centre" in again.stdout
    stored = central.stored_ids(kiosk_id)
    assert len(stored) == 500 and sorted(stored) == ids
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 500}


def test_a_batch_past_the_centres_statement_timeout_is_said_so_and_sent_again_smaller(
        kiosk_id, tmp_path):
    """PostgreSQL cancels a batch's storing past the centre's statement timeout (here 0.5 s,
    and a real lock held by another connection, as a long import holds it, keeps every
    batch waiting past it). The kiosk is told 503 naming the timeout, not "storage busy",
    and sends smaller batches from then on — halved on each such answer, since the same
    batch would run past it again — which go through once the database keeps up, and
    grow back to the configured size as they do: the lock passed, and a backlog sent a few
    entries at a time for the rest of the worker's life would take thousands of requests."""
    from kiosk.sync.client import ServerBusy, SyncClient
    from kiosk.sync.uploader import Tally, Uploader
    from tests.central_support import CentralServer, database_url, enrol, write_lock_held

    db = database_url("postgresql", tmp_path / "centre")
    server = CentralServer(db, "--statement-timeout", "0.5")
    store = Store(tmp_path / "kiosk.db")
    uploader = Uploader(store, SyncClient(server.url, enrol(db, kiosk_id, "CP-SYNC").token),
                        StatusBoard(SyncState()), kiosk_id=kiosk_id, batch_size=100,
                        batch_max_bytes=10_000_000, encoding=None, paused=lambda: False)
    try:
        ids = fill_backlog(store.path, 400, kiosk_id=kiosk_id)
        with write_lock_held(db):
            for halved in (50, 25):
                with pytest.raises(ServerBusy) as canceled:
                    uploader.drain(Tally(), None, lambda: False)
                assert uploader.limits.entries == halved
        reason = canceled.value.text("en")
        assert "HTTP 503" in reason and "ran past 500ms" in reason, reason
        assert "canceled a statement" in reason and "busy" not in reason, reason
        assert "statement timeout" not in reason, reason  # PostgreSQL's English: its log
        tally = Tally()
        uploader.drain(tally, None, lambda: False)
        assert tally.accepted == 400 and tally.batches < 400 // 25, tally.batches
        assert uploader.limits.entries == 100
        assert sync_states(store.path) == {"acknowledged": 400}
        with open_storage(db) as storage:
            assert sorted(e["id"] for e in storage.entries(kiosk_id=kiosk_id)) == ids
    finally:
        uploader.close()
        store.close()
        log = server.stop()
    assert "Traceback" not in log
    # whoever runs the centre sees it too, in serve's log
    assert "a kiosk's request was not stored" in log, log
    assert "the database canceled a statement (it ran past 500ms" in log, log


def test_a_centre_too_slow_to_answer_in_time_gets_smaller_batches(kiosk_id, tmp_path):
    """The centre's disk keeps up with 100 entries at once but not more (a PostgreSQL
    trigger that, once a transaction has written 100 rows, waits for a lock the test holds
    until the kiosk has given up, as a busy disk keeps it waiting), its statement timeout
    the default 120 s: a batch of 200 takes longer to store than the kiosk waits for an
    answer (:data:`READ_TIMEOUT` here, 15 s by default against minutes on a real busy
    disk). Each batch times out, the centre stores it all the same, and one sent again as
    it was would time out again for ever (its entries come back duplicate, but no answer
    arrives in time to acknowledge them): the kiosk halves the entries instead, as for a
    statement timeout, until answers come in time — and says so to the operator."""
    import psycopg

    from kiosk.sync.client import SyncClient, Unreachable
    from kiosk.sync.uploader import Tally, Uploader
    from tests.central_support import CentralServer, database_url, enrol

    db = database_url("postgresql", tmp_path / "centre")
    server = CentralServer(db)
    token = enrol(db, kiosk_id, "CP-SYNC").token
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(  # rows written in this transaction, counted in a local setting
            "CREATE FUNCTION slow_disk() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE written int := coalesce(nullif(current_setting('slow_disk.rows', true),"
            " ''), '0')::int + 1; "
            "BEGIN PERFORM set_config('slow_disk.rows', written::text, true); "
            "IF written = 101 THEN PERFORM pg_advisory_xact_lock_shared(4242); END IF; "
            "RETURN NEW; END $$")
        conn.execute("CREATE TRIGGER slow_disk BEFORE INSERT ON entries FOR EACH ROW "
                      "EXECUTE FUNCTION slow_disk()")
    store = Store(tmp_path / "kiosk.db")
    board = StatusBoard(SyncState())
    sent = batch_sizes(board)
    uploader = Uploader(store, SyncClient(server.url, token, timeout=READ_TIMEOUT,
                                          connections=2),
                        board, kiosk_id=kiosk_id, batch_size=200, batch_max_bytes=10_000_000,
                        encoding=None, paused=lambda: False)

    def stored_batches() -> list[int]:
        with psycopg.connect(db) as conn:
            return [n for (n,) in conn.execute("SELECT entries FROM batches ORDER BY seq")]

    try:
        ids = fill_backlog(store.path, 400, kiosk_id=kiosk_id)
        tally = Tally()
        with psycopg.connect(db, autocommit=True) as busy:
            busy.execute("SELECT pg_advisory_lock(4242)")  # the disk keeps batches waiting
            with pytest.raises(Unreachable) as slow:
                uploader.drain(tally, None, lambda: False)
        timed_out = slow.value
        # the centre finishes storing what the kiosk gave up on (a backoff's wait)
        wait_until(lambda: len(stored_batches()) == len(sent), timeout=60)
        uploader.drain(tally, None, lambda: False)
        # 200 + 200 on the wire at once, both too slow: halved; 100s answer in time
        assert sent == [200, 200, 100, 100, 100, 100], sent
        assert stored_batches() == sent  # the centre stored every one (the 100s: duplicate)
        assert (tally.accepted, tally.duplicate) == (0, 400)
        reason = timed_out.text("en")
        assert reason.startswith("the centre answered too slowly: no answer within "
                                 f"{READ_TIMEOUT} s to a batch of 200 entries"), reason
        assert reason.endswith("batches made smaller, now at most 100 entries"), reason
        vi = timed_out.text("vi")
        assert f"{READ_TIMEOUT} giây" in vi and "tối đa 100 bản ghi" in vi, vi
        assert sync_states(store.path) == {"acknowledged": 400}
        assert uploader.limits.entries == 200  # grown back after 4 answers in time
        with psycopg.connect(db) as conn:
            stored = [i for (i,) in conn.execute(
                "SELECT id FROM entries WHERE kiosk_id = %s ORDER BY id", (kiosk_id,))]
        assert stored == ids
    finally:
        uploader.close()
        store.close()
        assert "Traceback" not in server.stop()


@pytest.mark.parametrize("centre", ["not listening", "not accepting"])
def test_a_centre_out_of_reach_is_not_taken_for_a_slow_one(centre, kiosk_id, tmp_path):
    """Only a request sent and not answered in time says the centre is slow: a connection
    refused (nothing listening: the centre is down) or one that never opens (a connect
    timeout: here a real listener whose accept queue is full, as a centre's wedged
    process leaves it) leaves the batches their size, or a centre down for an hour would
    come back to batches of one entry."""
    from kiosk.sync.client import SyncClient, Unreachable
    from kiosk.sync.uploader import Tally, Uploader
    from tests.central_support import free_port

    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    queued = socket.create_connection(listener.getsockname())  # fills the accept queue
    port = listener.getsockname()[1] if centre == "not accepting" else free_port()
    store = Store(tmp_path / "kiosk.db")
    uploader = Uploader(store, SyncClient(f"http://127.0.0.1:{port}", "token", timeout=1,
                                          connections=2),
                        StatusBoard(SyncState()), kiosk_id=kiosk_id, batch_size=100,
                        batch_max_bytes=10_000_000, encoding=None, paused=lambda: False)
    try:
        fill_backlog(store.path, 150, kiosk_id=kiosk_id)
        for _attempt in range(2):
            with pytest.raises(Unreachable) as failed:
                uploader.drain(Tally(), None, lambda: False)
            assert not failed.value.unanswered
            assert uploader.limits.entries == 100
        expected = "connection failed" if centre == "not listening" else "connection timed out"
        assert failed.value.text("en").startswith(expected), failed.value.text("en")
        assert sync_states(store.path) == {"pending": 150}
    finally:
        uploader.close()
        store.close()
        queued.close()
        listener.close()


def test_a_hung_centre_is_not_taken_for_a_slow_one(kiosk_id, tmp_path):
    """A centre whose process hangs (deadlocked, stopped in a debugger, swapped out) still
    has its connections completed by the kernel until its accept queue fills: each request
    goes out and no answer ever comes. That is the "unreachable centre" the status strip
    must call OFFLINE (160c0ba) — and, as for a refused connection or a connect timeout, an
    hour of it must not bring the kiosk back to batches of one entry. Halving on every read
    timeout took 100 → 50 → 25 → 12 → 6 → 3 → 1 within seven attempts, before any answer
    at all had said the centre was merely slow."""
    from kiosk.sync.client import SyncClient, Unreachable
    from kiosk.sync.uploader import Tally, Uploader

    hung = socket.create_server(("127.0.0.1", 0), backlog=64)  # never accepts, never answers
    store = Store(tmp_path / "kiosk.db")
    uploader = Uploader(store, SyncClient(f"http://127.0.0.1:{hung.getsockname()[1]}",
                                          "token", timeout=1, connections=2),
                        StatusBoard(SyncState()), kiosk_id=kiosk_id, batch_size=100,
                        batch_max_bytes=10_000_000, encoding=None, paused=lambda: False)
    try:
        fill_backlog(store.path, 150, kiosk_id=kiosk_id)
        for _attempt in range(7):
            with pytest.raises(Unreachable):
                uploader.drain(Tally(), None, lambda: False)
        assert sync_states(store.path) == {"pending": 150}
        assert uploader.limits.entries == 100
    finally:
        uploader.close()
        store.close()
        hung.close()


def test_a_small_batch_answered_too_late_halves_the_batches_not_cuts_them_to_its_size(
        central, proxy, kiosk_id, tmp_path):
    """The centre has just stored a batch of 200 in time; the next batch is the few entries
    left (a backlog's last, or one interval's scans) and its answer comes too late. Halving
    "the batches" made them half of that small batch — 200 → 5 at once, forty times
    smaller than what the centre had just shown it stores in time, then four answered
    batches per doubling to grow back — instead of half of what a batch may hold."""
    from kiosk.sync.client import SyncClient, Unreachable
    from kiosk.sync.uploader import Tally, Uploader

    store = Store(tmp_path / "kiosk.db")
    uploader = Uploader(store, SyncClient(proxy.url, central.enrol(kiosk_id),
                                          timeout=READ_TIMEOUT, connections=2),
                        StatusBoard(SyncState()), kiosk_id=kiosk_id, batch_size=200,
                        batch_max_bytes=10_000_000, encoding=None, paused=lambda: False)
    try:
        fill_backlog(store.path, 200, kiosk_id=kiosk_id)
        uploader.drain(Tally(), None, lambda: False)  # one batch of 200, answered in time
        fill_backlog(store.path, 10, kiosk_id=kiosk_id, seed=2)
        proxy.add("too_late")  # the centre stores the 10, its answer comes too late
        with pytest.raises(Unreachable):
            uploader.drain(Tally(), None, lambda: False)
        assert [e.fault for e in proxy.batch_events()] == ["pass", "too_late"]
        assert uploader.limits.entries == 100
    finally:
        uploader.close()
        store.close()


def test_a_batch_cut_by_its_bytes_answered_too_late_is_sent_again_smaller(
        central, proxy, kiosk_id, tmp_path):
    """Batches are cut by ``batch_max_bytes`` before ``batch_size`` (a small byte limit set
    for a slow link, or learnt from a proxy's 413, or large entries): here about a dozen of
    the 200 entries a batch may hold. Such a batch answered too late by a centre that still
    answers its health check must be followed by smaller ones. Halving only the entry
    limit (200 → 100) leaves the batches as they were, cut by their bytes: the same too
    slow batch is sent again, and again, until the halved limit finally falls below it."""
    from kiosk.sync.client import SyncClient, Unreachable
    from kiosk.sync.uploader import Tally, Uploader

    board = StatusBoard(SyncState())
    sent = batch_sizes(board)
    store = Store(tmp_path / "kiosk.db")
    uploader = Uploader(store, SyncClient(proxy.url, central.enrol(kiosk_id),
                                          timeout=READ_TIMEOUT, connections=2),
                        board, kiosk_id=kiosk_id, batch_size=200, batch_max_bytes=3000,
                        encoding=None, paused=lambda: False)
    try:
        fill_backlog(store.path, 400, kiosk_id=kiosk_id)
        proxy.add("too_late", "too_late")  # stored, answered too late
        with pytest.raises(Unreachable) as slow:
            uploader.drain(Tally(), None, lambda: False)
        assert "batches made smaller" in slow.value.text("en"), slow.value.text("en")
        too_slow = sent[0]
        assert 1 < too_slow < 100, sent  # cut by its bytes, well below the entry limit
        del sent[:]
        uploader.drain(Tally(), None, lambda: False)
        assert sync_states(store.path) == {"acknowledged": 400}
        assert sent[0] <= too_slow // 2, (too_slow, sent)
    finally:
        uploader.close()
        store.close()


def test_one_entry_the_centre_never_stores_in_time_does_not_hold_back_the_backlog(
        slow_centre, kiosk_id, tmp_path):
    """One entry the centre can never store within its statement timeout (here a
    PostgreSQL trigger that sleeps 1 s for that row alone, past a 0.5 s timeout; in the
    field a row that trips a slow path) is, once halving has brought batches down to it
    alone, answered 503 "ran past its statement timeout" on every attempt. That entry may
    wait — the centre may store it when less busy — but the thousands scanned after it
    must not: a lone entry too slow to store was retried as the head of every batch, so
    the backlog behind it crept forward a few entries per attempt (only the batch sent
    beside it), each attempt after a growing backoff, while every new scan queued behind
    it: here 40 of 60 still pending after eight attempts. (A lone entry answered too late
    is retried the same way: ``_slower`` lets any lone entry just wait.)"""
    from kiosk.sync.client import ServerBusy
    token = slow_centre.enrol(kiosk_id)
    store = Store(tmp_path / "kiosk.db")
    ids = fill_backlog(store.path, 60, kiosk_id=kiosk_id)
    poison = ids[0]  # the oldest: every batch starts with it
    slow_centre.slow_down(poison)
    uploader = uploader_for(store, SyncClient(slow_centre.url, token, timeout=5, connections=2),
                            kiosk_id, batch_size=8)
    try:
        for _attempt in range(8):  # 8 → 4 → 2 → 1 takes three; the rest is to spare
            with contextlib.suppress(ServerBusy):  # the lone entry may still say so
                uploader.drain(Tally(), None, lambda: False)
        with store.lock:
            pending = [r["id"] for r in store.pending(100, "")]
        assert pending == [poison], f"{len(pending)} of 60 entries still pending"
        assert sync_states(store.path) == {"acknowledged": 59, "pending": 1}
    finally:
        uploader.close()
        store.close()


def test_a_centre_that_answers_its_health_check_but_stores_too_slowly_is_not_called_offline(
        central, proxy, kiosk_id, tmp_path):
    """A batch answered too late by a centre that answers its health check at once is the
    uploader's "too slow", not "out of reach": it has just asked the centre, which
    answered. The status the operator sees must not then say OFFLINE (the strip's
    "MẤT KẾT NỐI / OFFLINE", the sync screen's "the centre cannot be reached"), beside a
    Last error saying the centre answered too slowly — sending the technician after the
    network, when the centre's disk or load is the trouble. The failure keeps
    ``reached_server`` False as for a hung centre (160c0ba), though the probe told them
    apart."""
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id),
                        batch_size=20, timeout_seconds=READ_TIMEOUT)
    fill_backlog(worker.store.path, 40, kiosk_id=kiosk_id)
    seen: list[tuple[str | None, bool | None]] = []
    worker.board.subscribe(lambda state: seen.append((state.last_error, state.online)))
    proxy.add("too_late")  # the centre stores the batch; its answer comes too late
    try:
        summary = worker.push_now()
    finally:
        worker.stop()
    assert summary.error is None and summary.remaining == 0
    told = [(saved_text(error, "en"), online) for error, online in seen
            if error and saved_text(error, "en").startswith("the centre answered too slowly")]
    assert told, seen
    error, online = told[0]  # the moment the operator is told
    assert online is True, f"shown OFFLINE beside: {error}"


def test_an_entry_held_back_is_said_so_and_sent_again_alone_once_its_time_comes(
        slow_centre, kiosk_id, tmp_path):
    """The entry the centre did not store in time, while it stored the batch beside it, is
    held back — neither marked nor dropped: the last error says so (beside "online": the
    centre answered), drains in the meantime leave it out, and once its time comes it is
    sent again, alone (in a batch, its slowness would hold the others back again), and
    acknowledged when the centre stores it."""
    token = slow_centre.enrol(kiosk_id)
    store = Store(tmp_path / "kiosk.db")
    ids = fill_backlog(store.path, 20, kiosk_id=kiosk_id)
    slow = ids[0]
    slow_centre.slow_down(slow)
    board = StatusBoard(SyncState())
    sent = batch_sizes(board)
    now = [0.0]  # the holds' clock, moved on by the test alone
    uploader = uploader_for(store, SyncClient(slow_centre.url, token, timeout=5, connections=2),
                            kiosk_id, batch_size=1, board=board, hold_back_seconds=2,
                            clock=lambda: now[0])
    try:
        uploader.drain(Tally(), None, lambda: False)  # no error: the rest went through
        assert sync_states(store.path) == {"acknowledged": 19, "pending": 1}
        state = board.state
        told = saved_text(state.last_error, "en")
        assert told.startswith(f"the centre did not store entry {slow} ("), told
        assert "canceled a statement (it ran past 500ms" in told, told
        assert "statement timeout" not in told and "sent again in 2 s" in told, told
        assert "gửi lại sau 2 giây" in saved_text(state.last_error, "vi")
        assert state.online is True
        assert store.meta("sync.")["sync.last_error"] == state.last_error  # sync status
        del sent[:]
        waiting = Tally()
        uploader.drain(waiting, None, lambda: False)  # its time has not come
        assert (waiting.batches, sent) == (0, [])
        slow_centre.speed_up()  # the centre stores it now
        now[0] += 2  # its hold time
        again = Tally()
        uploader.drain(again, None, lambda: False)
        assert (sent, again.accepted) == ([1], 1)
        assert sync_states(store.path) == {"acknowledged": 20}
        with open_storage(slow_centre.db) as storage:
            assert sorted(e["id"] for e in storage.entries(kiosk_id=kiosk_id)) == ids
    finally:
        uploader.close()
        store.close()


def test_a_centre_too_slow_for_every_entry_holds_none_back(slow_centre, kiosk_id, tmp_path):
    """Only an entry slower than those beside it is held back. A centre whose every batch
    runs past its statement timeout (a long import holding the entries table's lock) is
    slow itself: holding back each lone entry in turn would leave the whole backlog waiting
    out hold times (an hour here) once the lock passes."""
    from kiosk.sync.client import ServerBusy
    from tests.central_support import write_lock_held

    store = Store(tmp_path / "kiosk.db")
    uploader = uploader_for(store, SyncClient(slow_centre.url, slow_centre.enrol(kiosk_id)),
                            kiosk_id, batch_size=1, hold_back_seconds=3600)
    try:
        fill_backlog(store.path, 10, kiosk_id=kiosk_id)
        with write_lock_held(slow_centre.db):
            for _attempt in range(2):
                with pytest.raises(ServerBusy):
                    uploader.drain(Tally(), None, lambda: False)
        tally = Tally()
        uploader.drain(tally, None, lambda: False)
        assert tally.accepted == 10
        assert sync_states(store.path) == {"acknowledged": 10}
    finally:
        uploader.close()
        store.close()


def test_an_entry_held_back_and_left_alone_in_the_backlog_does_not_hold_back_new_scans(
        slow_centre, kiosk_id, tmp_path):
    """Once the backlog beside it has gone, the entry held back is the only one pending:
    its hold time over, it goes alone, is too slow again — and, with no batch stored
    beside it in that drain, is no longer held back (again, for twice as long) but raised
    as the centre's failure. The worker then backs off as from a failing centre (the 503's
    Retry-After, 30 s; no answer in time: 1 s doubling to 300 s), retrying the entry alone
    at each end of it instead of in 1, 2, 4 … minutes, and a scan recorded meanwhile is
    not sent until the backoff runs out: the lone slow entry holds the rest back again,
    which the hold was meant to end."""
    worker, _ = worker_with_a_slow_entry(slow_centre, tmp_path, kiosk_id,
                                         hold_back_seconds=1, interval_seconds=1)
    failures: list[float] = []
    worker.board.subscribe(lambda state: state.last_error_at and (
        not failures or failures[-1] != state.last_error_at) and failures.append(
            state.last_error_at))
    try:
        assert worker.push_now().remaining == 1  # the three beside it stored, it held back
        assert sync_states(worker.store.path) == {"acknowledged": 3, "pending": 1}
        worker.start()  # its hold time (1 s) runs out: it is tried alone in the background
        wait_until(lambda: len(failures) >= 2, timeout=15)  # held back, then tried alone
        new = fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id)
        worker.notify()  # a scan recorded: sent after the linger (1 s)

        def stored() -> set[str]:
            with open_storage(slow_centre.db) as storage:
                return {e["id"] for e in storage.entries(kiosk_id=kiosk_id)}

        # well before the 503's 30 s Retry-After, however loaded the machine
        wait_until(lambda: new[0] in stored(), timeout=15)
    finally:
        worker.stop()


def test_a_lone_entry_answered_too_late_by_a_centre_that_answers_its_health_check_is_not_offline(
        central, proxy, kiosk_id, tmp_path):
    """The usual batch of a kiosk at work is one scan (sent a second after it is recorded).
    A centre that stores it but answers too late, while its health check answers at once,
    is the same "too slow" as for a batch of forty — yet a lone entry skips the probe
    (``_slower`` returns early: there is nothing to halve), so the raw read timeout is
    raised with ``reached_server`` False and the strip says OFFLINE, sending the
    technician after the network."""
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id),
                        batch_size=20, timeout_seconds=READ_TIMEOUT)
    fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id)
    seen: list[tuple[str | None, bool | None]] = []
    worker.board.subscribe(lambda state: seen.append((state.last_error, state.online)))
    proxy.add("too_late")  # the centre stores it; its answer comes too late
    try:
        summary = worker.push_now()
    finally:
        worker.stop()
    assert summary.error is None and summary.remaining == 0  # resent: duplicate
    told = [(saved_text(error, "en"), online) for error, online in seen if error]
    assert told, seen
    error, online = told[0]  # the moment the operator is told
    assert online is True, f"shown OFFLINE beside: {error}"


def test_a_push_that_leaves_an_entry_held_back_says_it_did_not_send_everything(
        slow_centre, kiosk_id, tmp_path):
    """``push_now`` "uploads everything pending now … with ``error`` set if it had to give
    up". An entry the centre did not store in time alone, held back, is given up on for
    this push — yet the push returns no error: the sync screen says "Done: … 1 still
    waiting." and ``kiosk sync push`` exits 0 with no reason on stderr (before the hold it
    said the centre ran past its statement timeout, exit 1). A push in the hold time does
    not even try the entry, though the operator retries on purpose."""
    worker, _ = worker_with_a_slow_entry(slow_centre, tmp_path, kiosk_id)
    try:
        summary = worker.push_now()
        assert (summary.accepted, summary.remaining) == (3, 1)
        assert summary.error is not None, "the push says it is done, one entry not stored"
    finally:
        worker.stop()


def test_two_entries_side_by_side_the_centre_never_stores_in_time_do_not_hold_back_the_backlog(
        slow_centre, kiosk_id, tmp_path):
    """An entry is held back only when the centre stored a batch beside it in the same
    stream. With two batches on the wire, two slow entries next to each other (the same
    slow path tripped twice in a row: one traveller scanned twice) are sent as the two
    lone batches on the wire together, both run past the statement timeout, nothing is
    stored "beside" them — so neither is held back, and every drain starts at them again,
    after the 503's 30 s Retry-After: the backlog behind two slow entries is stuck as it
    was behind one before the hold (46 of 60 here still pending after eight attempts, and
    as many after sixteen)."""
    from kiosk.sync.client import ServerBusy
    token = slow_centre.enrol(kiosk_id)
    store = Store(tmp_path / "kiosk.db")
    ids = fill_backlog(store.path, 60, kiosk_id=kiosk_id)
    slow = ids[:2]  # the two oldest
    slow_centre.slow_down(*slow)
    uploader = uploader_for(store, SyncClient(slow_centre.url, token, timeout=5, connections=2),
                            kiosk_id, batch_size=8)
    try:
        for _attempt in range(8):  # 8 → 4 → 2 → 1 takes three; the rest is to spare
            with contextlib.suppress(ServerBusy):
                uploader.drain(Tally(), None, lambda: False)
        with store.lock:
            pending = [r["id"] for r in store.pending(100, "")]
        assert pending == slow, f"{len(pending)} of 60 entries still pending"
    finally:
        uploader.close()
        store.close()


def test_a_kiosk_whose_only_pending_entry_is_held_back_still_tells_the_centre_how_it_is(
        slow_centre, kiosk_id, tmp_path):
    """With nothing to upload, the kiosk sends its health report (pending, devices, disk)
    every interval: the centre's contact (``last_seen_at``: "kiosk_silent_24h", "kiosks not
    heard since day end") and its view of the kiosk's devices. An entry held back for up to
    an hour is not being uploaded — yet it counts as something to upload: no batch goes
    (the drain leaves it out) and no heartbeat either, so a quiet checkpoint with one held
    entry falls silent to the centre for as long as the hold lasts."""
    worker, _ = worker_with_a_slow_entry(slow_centre, tmp_path, kiosk_id,
                                         hold_back_seconds=3600, interval_seconds=1)

    def last_seen() -> str | None:
        with open_storage(slow_centre.db) as storage:
            kiosk = storage.kiosk(kiosk_id)
            return kiosk.last_seen_at if kiosk else None

    try:
        assert worker.push_now().remaining == 1  # the others stored, it held back
        seen = last_seen()
        assert seen is not None  # the batches carried the health report
        worker.start()  # intervals of 1 s with nothing to send but the entry held back
        wait_until(lambda: last_seen() != seen, timeout=30)  # some contact since the hold
    finally:
        worker.stop()


def test_a_push_sends_an_entry_held_back_alone_names_it_if_still_slow_and_clears_its_error(
        slow_centre, kiosk_id, tmp_path):
    """The operator pushes on purpose: an entry held back (its hold time far off) is sent
    alone once more at the end of the push. Still too slow, it is held again and the push's
    error names it (``kiosk sync push`` prints it and exits 1), without a backoff: it holds
    nothing else back. Once the centre stores it, the Last error saying it waits is no
    longer true, and is cleared (on the board and in the saved status)."""
    worker, slow = worker_with_a_slow_entry(slow_centre, tmp_path, kiosk_id)
    assert worker.uploader is not None
    try:
        worker.uploader.drain(Tally(), None, lambda: False)  # a background drain holds it
        assert "sent again in 60 s" in saved_text(worker.state().last_error, "en")
        said_at = worker.state().last_error_at
        summary = worker.push_now()
        assert (summary.done, summary.remaining) == (0, 1)
        assert summary.error is not None
        assert summary.error("en") == (
            f"entries the centre did not store, even sent alone (1): {slow}; they "
            "stay pending and are sent again later")
        assert slow in summary.error("vi")
        # tried and held again, as long as before: nothing else was stored in that push
        assert "sent again in 60 s" in saved_text(worker.state().last_error, "en")
        assert worker.state().last_error_at > said_at
        slow_centre.speed_up()  # the centre stores it now
        summary = worker.push_now()
        assert (summary.accepted, summary.remaining, summary.error) == (1, 0, None)
        assert worker.state().last_error is None
        assert "sync.last_error" not in worker.store.meta("sync.")
    finally:
        worker.stop()


def test_the_last_error_naming_an_entry_held_back_is_cleared_when_it_is_stored_after_a_restart(
        slow_centre, kiosk_id, tmp_path):
    """*Last error* names an entry held back "and is cleared when the centre stores it"
    (docs/sync-operator.md) — also across a restart, which the same page lists as the one
    thing that forgets the wait. The Last error is saved in the store (``kiosk sync status``
    and the next start read it) but the hold is in memory only: after a restart the entry is
    sent in its turn and stored, yet nothing remembers which Last error it had, so the sync
    screen and ``kiosk sync status`` keep saying the entry waits and will be "sent again in
    60 s" for an entry the centre holds — until some other failure happens to overwrite it."""
    token = slow_centre.enrol(kiosk_id)
    worker, slow = worker_with_a_slow_entry(slow_centre, tmp_path, kiosk_id, token=token)
    assert worker.uploader is not None
    try:
        worker.uploader.drain(Tally(), None, lambda: False)  # the others stored, it held
        assert slow in saved_text(worker.state().last_error, "en")
    finally:
        worker.stop()
    slow_centre.speed_up()  # the centre stores it now
    restarted = worker_for(tmp_path, kiosk_id, slow_centre.url, token, batch_size=1)
    try:
        summary = restarted.push_now()
        assert (summary.accepted, summary.remaining, summary.error) == (1, 0, None)
        assert sync_states(restarted.store.path) == {"acknowledged": 4}
        told = restarted.state().last_error
        assert told is None, f"still said of a stored entry: {saved_text(told, 'en')}"
        assert "sync.last_error" not in restarted.store.meta("sync.")  # kiosk sync status
    finally:
        restarted.stop()


def test_an_entry_held_back_is_not_held_longer_for_a_centre_slow_for_every_entry(
        slow_centre, kiosk_id, tmp_path):
    """A centre too slow for every entry holds none back (its 3-in-a-row rule): the slowness
    is the centre's, and once it passes nothing should wait out hold times. An entry held
    back before it, though, is "held again whatever else happens": each time its hold runs
    out during the centre's slow spell (a long import holding the entries table's lock), it
    is tried alone, is too slow like everything else, and its hold is doubled — in the same
    drain that concludes the centre is the slow one (the new scan beside it is not held, the
    failure is raised). So the longer the centre's trouble, the longer the entry waits after
    it: here 1 s → 16 s after four tries in the lock; in the field 1 min → the full hour
    after a half-hour slow spell, for a centre that has been healthy all that hour."""
    from kiosk.sync.client import ServerBusy
    from tests.central_support import write_lock_held

    store = Store(tmp_path / "kiosk.db")
    now = [0.0]  # the holds' clock, moved on by the test alone
    uploader = uploader_for(store, SyncClient(slow_centre.url, slow_centre.enrol(kiosk_id)),
                            kiosk_id, batch_size=1, hold_back_seconds=1, clock=lambda: now[0])
    slow = fill_backlog(store.path, 3, kiosk_id=kiosk_id)[0]
    slow_centre.slow_down(slow)
    try:
        uploader.drain(Tally(), None, lambda: False)  # the two beside it stored, it held 1 s
        assert uploader.held_back() == [slow]
        slow_centre.speed_up()  # the entry itself is fine now
        with write_lock_held(slow_centre.db):  # the centre is slow for every entry
            waited = 1.0
            for _attempt in range(4):
                now[0] += waited  # its hold runs out
                fill_backlog(store.path, 1, kiosk_id=kiosk_id)  # a scan meanwhile
                with pytest.raises(ServerBusy):  # the centre is the slow one: raised
                    uploader.drain(Tally(), None, lambda: False)
                waited *= 2
        now[0] += 1.5  # the centre is healthy again, past the entry's own hold time
        tally = Tally()
        uploader.drain(tally, None, lambda: False)
        assert uploader.held_back() == [], (
            "the entry still waits out a hold grown during the centre's slow spell")
        assert tally.accepted == 5  # the four scans of the slow spell, and the entry
        assert sync_states(store.path) == {"acknowledged": 7}
    finally:
        uploader.close()
        store.close()


def test_a_push_to_a_centre_too_slow_for_everything_sends_an_entry_held_back_alone_once(
        central, proxy, kiosk_id, tmp_path, caplog):
    """A push "sends every entry held back alone, once, at its end" (docs/sync-operator.md).
    But the once is per drain, and a push retries a failing drain up to 5 times: with the
    centre too slow for everything (here every batch answered only after the kiosk's read
    timeout, its health check at once), each attempt's new scan is too slow alone and
    raised — and each attempt sends the entry held back alone again, doubling its hold each
    time. One press of Sync now thus sends it five times and leaves it held 32 minutes
    instead of 2, on a centre whose slowness was its own."""
    caplog.set_level("WARNING", logger="kiosk.sync.uploader")
    with worker_through_the_proxy(central, proxy, kiosk_id, tmp_path) as worker:
        held = hold_one_back(worker, proxy, kiosk_id)  # by a background drain
        fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id, seed=2)  # a scan meanwhile
        proxy.add(*["too_late"] * 12)  # now the centre is too slow for every entry
        assert worker.uploader is not None  # no answer comes in time: give up on each at 1 s
        worker.uploader.client.timeout = (READ_TIMEOUT, 1)  # (its health check: as before)
        summary = worker.push_now()
        assert summary.error is not None and summary.remaining == 2
    holds = hold_times(caplog.text, held)
    # sent alone once by the push, and held as long as before: the push's drain stored
    # nothing, the centre was the slow one (a re-hold doubles only beside entries stored)
    assert holds == [60, 60], f"held for {holds} s: sent alone {len(holds) - 1} times by one push"


def test_an_entry_held_back_too_slow_again_beside_entries_stored_is_held_twice_as_long(
        central, proxy, kiosk_id, tmp_path, caplog):
    """The other side of a centre slow for all: when the drain that sends an entry held back
    alone again also stores another entry, the entry itself is the slow one, and its hold
    doubles (60 s → 120 s) — once, however the push retries. The fault is keyed to the
    held entry: the scan's acknowledgement may still be on its way when the push sends the
    held entry alone, the scan then sent again beside it and reaching the proxy first."""
    caplog.set_level("WARNING", logger="kiosk.sync.uploader")
    with worker_through_the_proxy(central, proxy, kiosk_id, tmp_path) as worker:
        held = hold_one_back(worker, proxy, kiosk_id)
        fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id, seed=2)  # a scan meanwhile
        proxy.add_for(held, "too_late")  # the scan stored, the held entry slow again
        summary = worker.push_now()
        assert (summary.accepted, summary.remaining) == (1, 1)
    assert hold_times(caplog.text, held) == [60, 120]


def test_an_entry_held_back_stays_said_when_another_held_back_is_stored(
        central, proxy, kiosk_id, tmp_path):
    """*Last error* names an entry held back and is cleared once the centre stores it. With
    two held back, it names the later; when that one is stored first (its shorter hold ran
    out), the Last error is cleared though the other still waits: the sync screen and
    ``kiosk sync status`` then show no error at all beside an entry the kiosk keeps back
    for up to an hour — nothing tells the operator why it stays pending."""
    with worker_through_the_proxy(central, proxy, kiosk_id, tmp_path) as worker:
        uploader = worker.uploader
        assert uploader is not None
        first, second = hold_two_back(worker, proxy, kiosk_id)  # held 100 s, then 1 s
        assert second in saved_text(worker.state().last_error, "en")
        time.sleep(1.5)
        uploader.drain(Tally(), None, lambda: False)  # the second goes alone, is stored
        assert uploader.held_back() == [first]
        told = worker.state().last_error
        assert told is not None and first in saved_text(told, "en"), (
            f"{first} still held back, the Last error says: {told}")


def test_a_push_that_fails_before_it_reaches_the_entries_held_back_leaves_their_holds_as_they_were(
        central, proxy, kiosk_id, tmp_path):
    """A push sends each entry held back alone once more, at its end. When it fails before
    it has stored one or held it again (here the centre answers 500 to the two on the wire,
    every attempt, so the third is never sent; the same with the centre out of reach, or the
    kiosk stopping), the holds stand as they were: a later background drain still leaves
    them out until their time, as it would have without the push, rather than sending them
    at once for as long as the kiosk runs."""
    with worker_through_the_proxy(central, proxy, kiosk_id, tmp_path) as worker:
        uploader = worker.uploader
        assert uploader is not None
        held = sorted(hold_one_back(worker, proxy, kiosk_id, seed=seed) for seed in (1, 2, 3))
        proxy.add(*["status:500"] * 2 * PUSH_ATTEMPTS)  # the two on the wire, each attempt
        summary = worker.push_now()
        assert summary.error is not None and summary.remaining == 3
        assert uploader.held_back() == held
        later = Tally()
        uploader.drain(later, None, lambda: False)
        assert (later.batches, uploader.held_back()) == (0, held), (
            "the failed push left the entries held back due at once")
        assert sync_states(worker.store.path) == {"acknowledged": 6, "pending": 3}


def test_an_entry_held_back_then_stored_by_another_path_is_no_longer_named(
        central, proxy, kiosk_id, tmp_path):
    """The centre may come to hold an entry held back by another path than this worker:
    another process's ``kiosk sync push``, or a backlog file whose acknowledgements the
    kiosk imported; the store then marks it acknowledged. The worker must no longer name it
    held back: not in a push's error, nor in the Last error once the entry named there is
    stored and it gives way to another still held (it would tell the operator that an entry
    the centre holds waits to be "sent again")."""
    with worker_through_the_proxy(central, proxy, kiosk_id, tmp_path) as worker:
        uploader = worker.uploader
        assert uploader is not None
        first, second = hold_two_back(worker, proxy, kiosk_id)  # the second, the Last error
        assert second in saved_text(worker.state().last_error, "en")
        elsewhere = Store(worker.store.path)  # another process acknowledges the first
        try:
            elsewhere.mark_synced([first], {})
        finally:
            elsewhere.close()
        summary = worker.push_now()  # the second sent alone once more, stored (again)
        assert (summary.duplicate, summary.remaining) == (1, 0)
        assert summary.error is None, summary.error("en")
        assert uploader.held_back() == []
        told = worker.state().last_error
        assert told is None, f"still said: {saved_text(told, 'en')}"
        assert "sync.last_error" not in worker.store.meta("sync.")  # kiosk sync status
