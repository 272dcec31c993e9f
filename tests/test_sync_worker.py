"""The sync worker against a real ``kiosk-central serve`` process on 127.0.0.1.

What an operator relies on: the backlog reaches the centre in batches, oldest first, each
entry acknowledged only after the centre answered; refused entries wait in quarantine with
the centre's reason; an unusable token stops uploads with an alert; the state a screen shows
comes from what the requests really did.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import config as config_mod
from kiosk.app import Kiosk
from kiosk.messages import saved_text
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import protocol
from kiosk.sync.client import ServerBusy, SyncClient, Unreachable, parse_retry_after
from kiosk.sync.scheduler import Scheduler
from kiosk.sync.status import META_PREFIX, MetaKey, SyncState
from kiosk.sync.worker import BASE_BACKOFF_SECONDS, SyncWorker
from tests.central_support import free_port
from tests.sync_support import (
    FaultyProxy,
    content_encoding,
    fill_backlog,
    sync_states,
    wait_until,
    write_config,
)


def load(tmp_path: Path, kiosk_id: str, url: str, token: str, **sync) -> config_mod.Config:
    return config_mod.load(write_config(tmp_path / "config.toml", kiosk_id=kiosk_id,
                                        server_url=url, token=token, **sync))


def scan_and_wait_for_upload(kiosk: Kiosk, central, kiosk_id: str, scans: int, *,
                             stored: int) -> SyncState:
    """Scan ``scans`` codes on the running kiosk; its sync state once the centre holds
    ``stored`` entries of this kiosk and nothing is pending."""
    for i in range(scans):
        kiosk.pipeline.submit(Scan(payload=f"VENUE-{i:04d}".encode(), device_id="lane1"))
    wait_until(lambda: len(central.stored_ids(kiosk_id)) == stored)
    return wait_until(lambda: (s := kiosk.sync.state()).pending == 0 and s)


@pytest.fixture
def make_worker(tmp_path):
    workers: list[SyncWorker] = []

    def build(config: config_mod.Config, **overrides) -> SyncWorker:
        worker = SyncWorker.from_config(config, **{"base_backoff_seconds": 0.02, **overrides})
        workers.append(worker)
        return worker

    yield build
    for worker in workers:
        worker.stop()


def test_push_sends_the_backlog_oldest_first_in_bounded_batches_and_acknowledges_it(
        central, kiosk_id, tmp_path, make_worker):
    config = load(tmp_path, kiosk_id, central.url, central.enrol(kiosk_id), batch_size=100)
    ids = fill_backlog(config.store_path, 1234, kiosk_id=kiosk_id)
    seen = []
    summary = make_worker(config).push_now(seen.append)

    assert (summary.accepted, summary.duplicate, summary.rejected) == (1234, 0, 0)
    assert summary.error is None and summary.remaining == 0
    assert sorted(central.stored_ids(kiosk_id)) == ids
    batches = central.batches(kiosk_id)
    assert sorted(b["entries"] for b in batches) == [34] + [100] * 12  # two in flight
    assert sync_states(config.store_path) == {"acknowledged": 1234}
    assert [p.done for p in seen] == [100 * i for i in range(1, 13)] + [1234]
    assert seen[-1].total == 1234 and seen[-1].eta_seconds == 0


def test_scans_recorded_while_the_clock_said_1970_go_with_the_boots_clock_and_file_today(
        central, kiosk_id, tmp_path, make_worker):
    """The kiosk's clock said 1970 (never set) while it scanned; it is set before they go,
    in the same boot. The centre lists ``send-clock``, so the kiosk's batches carry its
    monotonic clock and boot: the centre times the scans by their age and files them
    today, where without it their 1970 times were refused as more than 400 days old."""
    import datetime as dt

    from kiosk.sync import protocol

    config = load(tmp_path, kiosk_id, central.url, central.enrol(kiosk_id))
    ids = fill_backlog(config.store_path, 5, kiosk_id=kiosk_id)
    store = Store(config.store_path)
    try:
        with store.transaction() as conn:
            conn.execute("UPDATE entries SET scanned_at = '1970-01-01T00:03:00.000000Z'")
    finally:
        store.close()
    summary = make_worker(config).push_now()

    assert (summary.accepted, summary.rejected) == (5, 0)
    today = dt.datetime.now(dt.UTC)
    for entry_id in ids:
        row = central.stored_entry(entry_id)
        filed = (protocol.parse_time(row["scanned_at"])
                 + dt.timedelta(seconds=row["clock_offset_seconds"]))
        assert abs((filed - today).total_seconds()) < 3600, filed
    assert [tuple(r) for r in central._query(
        "SELECT entry_offset_seconds IS NOT NULL FROM batches WHERE kiosk_id = ?",
        (kiosk_id,))] == [(1,)]


class RolledBackCentre(FaultyProxy):
    """The kiosk's centre URL, forwarding to ``central``; once ``rolled_back`` it answers as
    the release before the features of ``members`` (feature → the batch member it brought;
    ``send-clock`` unless told): its health answer does not list them, and a batch carrying
    one of their members is refused whole with the 422 that release's protocol module gives
    an unknown member, the first it meets (everything else is forwarded)."""

    rolled_back = False

    def __init__(self, upstream_port: int,
                 members: dict[str, str] | None = None) -> None:
        super().__init__(upstream_port)
        self.members = members or {"send-clock": "sent_monotonic_ns"}

    def _forward(self, request: bytes) -> bytes:
        head, _, body = request.partition(b"\r\n\r\n")
        if not self.rolled_back:
            return super()._forward(request)
        if head.startswith(f"POST {protocol.BATCHES_PATH} ".encode()):
            batch = protocol.decode_body(body, content_encoding(head))
            for member in self.members.values():
                if member in batch:
                    return _json_answer(422, protocol.refusal_body(
                        protocol.ProtocolError.refusing(
                            422, protocol.Refusal("unknown_field", field=member))))
        answer = super()._forward(request)
        if head.startswith(f"GET {protocol.HEALTH_PATH} ".encode()):
            health = json.loads(answer.partition(b"\r\n\r\n")[2])
            health["features"] = [f for f in health["features"] if f not in self.members]
            return _json_answer(200, health)
        return answer


def _json_answer(status: int, body: dict) -> bytes:
    data = json.dumps(body).encode()
    return (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def test_a_kiosk_whose_centre_was_rolled_back_past_send_clock_goes_on_uploading(
        central, kiosk_id, tmp_path, make_worker):
    """The centre listed ``send-clock`` when the kiosk asked, so its batches carry its
    monotonic clock; then the centre's upgrade is rolled back to the release before it,
    which refuses those members (422 ``sent_monotonic_ns: unknown field``, the whole batch).
    The kiosk must notice and send as that centre takes (docs/protocol.md: it sends the pair
    only to a centre listing the feature), not post the same refused batch for as long as
    it runs: the backlog would grow on every lane until someone restarts the kiosk. Here the
    operator presses "send now" three times after the rollback."""
    centre = RolledBackCentre(central.port)
    try:
        config = load(tmp_path, kiosk_id, centre.url, central.enrol(kiosk_id))
        worker = make_worker(config)
        fill_backlog(config.store_path, 3, kiosk_id=kiosk_id)
        assert worker.push_now().accepted == 3
        assert worker.uploader.send_clock  # the centre listed the feature

        centre.rolled_back = True
        later = fill_backlog(config.store_path, 2, kiosk_id=kiosk_id)
        summaries = [worker.push_now() for _ in range(3)]
        assert sum(s.accepted for s in summaries) == 2, [s.error for s in summaries]
        assert set(later) <= set(central.stored_ids(kiosk_id))
        # at once: the refused batch went again without the members in the same push
        assert (summaries[0].accepted, summaries[0].error) == (2, None)
    finally:
        centre.close()


def test_after_the_send_clock_was_refused_the_kiosk_asks_the_centre_what_it_takes_again(
        central, kiosk_id, tmp_path, make_worker):
    """The refusal says the centre changed (as a refused heartbeat does): the next push asks
    its features again, so a centre upgraded again gets the kiosk's clock again."""
    centre = RolledBackCentre(central.port)
    try:
        worker = make_worker(load(tmp_path, kiosk_id, centre.url, central.enrol(kiosk_id)))
        fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id)
        assert worker.push_now().accepted == 1 and worker.uploader.send_clock
        centre.rolled_back = True
        fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id)
        assert worker.push_now().accepted == 1 and not worker.uploader.send_clock

        centre.rolled_back = False
        fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id)
        assert worker.push_now().accepted == 1 and worker.uploader.send_clock
    finally:
        centre.close()


def test_a_kiosk_says_how_long_it_slept_until_its_centre_is_rolled_back_past_that(
        central, kiosk_id, tmp_path, make_worker):
    """A centre listing ``send-suspended`` gets, with the kiosk's monotonic clock, how long
    its boot has slept (``sent_suspended_ns``), so that a night with the lid shut between
    scan and send is not taken for a minute. Rolled back to the release before it (which
    lists ``send-clock`` and refuses the member), the refused batch goes again at once
    without it, and the kiosk goes on with the monotonic clock alone once it has asked."""
    centre = RolledBackCentre(central.port, {"send-suspended": "sent_suspended_ns"})
    try:
        worker = make_worker(load(tmp_path, kiosk_id, centre.url, central.enrol(kiosk_id)))
        fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id)
        assert worker.push_now().accepted == 1
        assert worker.uploader.send_clock and worker.uploader.send_suspended

        centre.rolled_back = True
        later = fill_backlog(worker.store.path, 2, kiosk_id=kiosk_id)
        summary = worker.push_now()
        assert (summary.accepted, summary.error) == (2, None), summary.error
        assert set(later) <= set(central.stored_ids(kiosk_id))
        fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id)
        assert worker.push_now().accepted == 1
        assert worker.uploader.send_clock and not worker.uploader.send_suspended
    finally:
        centre.close()


def test_a_kiosk_whose_centre_was_rolled_back_past_health_reports_too_goes_on_uploading(
        central, kiosk_id, tmp_path, make_worker):
    """A centre rolled back past both the ``health`` and the ``send-clock`` features refuses
    the first member of them it meets. That refusal says the centre changed: the kiosk sends
    none of what it had learnt the centre takes until it asks again, not only the member
    refused; else the batch sent again at once without the clock is refused for its health
    report, and the operator's push fails with a refusal (no retry) instead of uploading."""
    centre = RolledBackCentre(central.port, {"send-clock": "sent_monotonic_ns",
                                             "health": "health"})
    try:
        worker = make_worker(load(tmp_path, kiosk_id, centre.url, central.enrol(kiosk_id)))
        fill_backlog(worker.store.path, 1, kiosk_id=kiosk_id)
        assert worker.push_now().accepted == 1
        assert worker.uploader.send_clock and worker.uploader.health is not None

        centre.rolled_back = True
        later = fill_backlog(worker.store.path, 2, kiosk_id=kiosk_id)
        summary = worker.push_now()
        assert (summary.accepted, summary.error) == (2, None), summary.error
        assert set(later) <= set(central.stored_ids(kiosk_id))
        assert not worker.uploader.send_clock and worker.uploader.health is None
    finally:
        centre.close()


def test_a_repeated_upload_is_answered_duplicate_and_the_centre_stores_each_entry_once(
        central, kiosk_id, tmp_path, make_worker):
    """A kiosk that lost its acknowledgements (restored backup) simply re-sends: no harm."""
    config = load(tmp_path, kiosk_id, central.url, central.enrol(kiosk_id))
    ids = fill_backlog(config.store_path, 300, kiosk_id=kiosk_id)
    assert make_worker(config).push_now().accepted == 300
    store = Store(config.store_path)
    with store.transaction() as conn:
        conn.execute("UPDATE entries SET sync_state = 'pending'")
    store.close()

    again = make_worker(config).push_now()
    assert (again.accepted, again.duplicate) == (0, 300)
    assert sorted(central.stored_ids(kiosk_id)) == ids
    assert sync_states(config.store_path) == {"acknowledged": 300}


def test_refused_entries_wait_in_quarantine_with_the_centres_reason_and_the_rest_goes_on(
        central, kiosk_id, tmp_path, make_worker):
    config = load(tmp_path, kiosk_id, central.url, central.enrol(kiosk_id), batch_size=20)
    ids = fill_backlog(config.store_path, 60, kiosk_id=kiosk_id)
    store = Store(config.store_path)
    with store.transaction() as conn:  # what a buggy older kiosk version could have written
        conn.execute("UPDATE entries SET scanned_at = '2024-05-01 08:00' WHERE id = ?",
                     (ids[5],))
        conn.execute("UPDATE entries SET monotonic_ns = -1 WHERE id = ?", (ids[41],))
    worker = make_worker(config)

    summary = worker.push_now()
    assert (summary.accepted, summary.rejected, summary.remaining) == (58, 2, 0)
    quarantined = {r["id"]: saved_text(r["sync_error"], "en") for r in store.rejected_entries()}
    assert quarantined.keys() == {ids[5], ids[41]}
    assert quarantined[ids[5]].startswith("scanned_at: expected UTC time")
    assert quarantined[ids[41]].startswith("monotonic_ns: expected")
    assert worker.state().rejected == 2
    assert sorted(central.stored_ids(kiosk_id)) == sorted(set(ids) - {ids[5], ids[41]})

    assert worker.retry_rejected() == 2
    assert sync_states(config.store_path) == {"pending": 2, "acknowledged": 58}
    assert worker.push_now().rejected == 2  # same entry, same verdict: still never deleted
    assert store.conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 60
    assert store.audit_log()[-1]["action"] == "sync.retry_rejected"
    store.close()


def test_an_id_held_with_different_content_is_quarantined_not_overwritten(
        central, kiosk_id, tmp_path, make_worker):
    config = load(tmp_path, kiosk_id, central.url, central.enrol(kiosk_id))
    ids = fill_backlog(config.store_path, 10, kiosk_id=kiosk_id)
    make_worker(config).push_now()
    original = central.stored_entry(ids[3])["name"]
    store = Store(config.store_path)
    with store.transaction() as conn:
        conn.execute("UPDATE entries SET name = 'Kẻ Mạo Danh', sync_state = 'pending' "
                     "WHERE id = ?", (ids[3],))
    summary = make_worker(config).push_now()
    assert summary.rejected == 1
    reason = store.rejected_entries()[0]["sync_error"]
    assert saved_text(reason, "en") == "id: already stored with different content"
    assert saved_text(reason, "vi") == "id: trung tâm đã lưu một lượt khác cùng mã này"
    assert central.stored_entry(ids[3])["name"] == original
    store.close()


def test_kiosk_run_uploads_new_scans_in_the_background_as_batches_not_one_request_each(
        central, kiosk_id, tmp_path):
    """The timer is an hour away: only the pipeline's wake-up can have sent these."""
    config = load(tmp_path, kiosk_id, central.url, central.enrol(kiosk_id), enabled=True,
                  interval_seconds=3600)
    kiosk = Kiosk(config)
    assert kiosk.sync is not None
    states = []
    kiosk.sync.subscribe(states.append)
    kiosk.start()
    try:
        state = scan_and_wait_for_upload(kiosk, central, kiosk_id, 30, stored=30)
    finally:
        kiosk.stop()
    assert len(central.batches(kiosk_id)) <= 3
    assert state.online is True and state.last_success is not None and not state.uploading
    assert any(s.uploading for s in states) and state.alert is None
    assert sync_states(config.store_path) == {"acknowledged": 30}


def test_every_state_a_screen_can_see_is_one_consistent_moment(
        central, kiosk_id, tmp_path):
    """A screen never shows "0 pending · sending…": whether it follows every published state
    (subscribe) or polls (state()), during background uploads of new scans, an operator's
    push through a failing network and the last answer of each upload."""
    proxy = FaultyProxy(central.port)
    config = load(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id), enabled=True,
                  batch_size=40)
    fill_backlog(config.store_path, 600, kiosk_id=kiosk_id)
    proxy.add("pass", "status:500", "pass", "drop_response")
    kiosk = Kiosk(config)
    assert kiosk.sync is not None
    kiosk.sync.scheduler.base_backoff = 0.02
    published, polled = [], []
    kiosk.sync.subscribe(published.append)
    polling = threading.Event()

    def poll() -> None:
        while not polling.is_set():
            state = kiosk.sync.state()
            if not polled or state != polled[-1]:
                polled.append(state)
    poller = threading.Thread(target=poll)
    poller.start()
    try:
        summary = kiosk.sync.push_now()
        kiosk.start()
        final = scan_and_wait_for_upload(kiosk, central, kiosk_id, 45, stored=645)
    finally:
        polling.set()
        poller.join()
        kiosk.stop()
        proxy.close()
    assert summary.error is None and summary.remaining == 0
    assert not final.uploading and final.online is True
    assert sum(s.uploading for s in published) > 10  # many states seen mid-upload
    for state in published + polled:
        assert not (state.uploading and state.pending == 0), state
        assert state.pending >= state.in_flight >= 0 and state.rejected >= 0, state
    assert any(s.last_error for s in published)  # the failures were seen too
    assert sync_states(config.store_path) == {"acknowledged": 645}


def test_a_revoked_token_stops_uploads_and_alerts_the_operator(central, kiosk_id, tmp_path):
    proxy = FaultyProxy(central.port)
    config = load(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id), enabled=True,
                  interval_seconds=1)
    central.revoke(kiosk_id)
    kiosk = Kiosk(config)
    assert kiosk.sync is not None
    kiosk.sync.scheduler.linger = 0.05
    kiosk.start()
    try:
        kiosk.pipeline.submit(Scan(payload=b"VENUE-1"))
        state = wait_until(lambda: (s := kiosk.sync.state()).alert and s)
        assert "HTTP 401" in state.alert("en")  # and the centre's way back for this kiosk:
        assert f"kiosk-central kiosks token {kiosk_id} --reason" in state.alert("en")
        assert state.alert("vi").startswith("Máy chủ trung tâm từ chối mã đồng bộ")
        assert state.online is True and state.pending == 1  # reachable, but refused
        wait_until(lambda: kiosk.sync.scheduler.parked)  # no timer: nothing is due, ever
        posts = len(proxy.batch_events())
        kiosk.pipeline.submit(Scan(payload=b"VENUE-2"))  # recorded: wakes nothing either
        assert kiosk.sync.scheduler.parked and len(proxy.batch_events()) == posts
        summary = kiosk.sync.push_now()  # the operator insists: tried once more, refused
        assert "HTTP 401" in summary.error("en") and summary.remaining == 2
        assert len(proxy.batch_events()) == posts + 1
    finally:
        kiosk.stop()
        proxy.close()
    meta = Store(config.store_path).meta(META_PREFIX)  # what `kiosk sync status` shows
    assert saved_text(meta[MetaKey.LAST_ERROR], "vi").startswith(
        "HTTP 401: Authorization: trạm")  # the centre's reason, worded from its code
    assert "was revoked at" in saved_text(meta[MetaKey.LAST_ERROR], "en")
    for language, start in (("en", "The centre refused this kiosk's token (HTTP 401"),
                            ("vi", "Máy chủ trung tâm từ chối mã đồng bộ của trạm (HTTP 401")):
        assert saved_text(meta[MetaKey.ALERT], language).startswith(start)  # any reader's


def test_entries_sent_under_another_kiosks_token_get_403_and_an_alert(
        central, kiosk_id, tmp_path, make_worker):
    token_of_other = central.enrol(f"{kiosk_id}-other")
    config = load(tmp_path, kiosk_id, central.url, token_of_other)
    fill_backlog(config.store_path, 5, kiosk_id=kiosk_id)
    worker = make_worker(config)
    summary = worker.push_now()
    assert "HTTP 403" in summary.error("en") and summary.remaining == 5
    assert "[kiosk] id" in worker.state().alert("en")
    assert central.stored_ids(kiosk_id) == []


def test_an_unreachable_centre_shows_offline_and_keeps_everything_pending(
        kiosk_id, tmp_path, make_worker):
    config = load(tmp_path, kiosk_id, "http://127.0.0.1:9", "some-token")
    fill_backlog(config.store_path, 5, kiosk_id=kiosk_id)
    worker = make_worker(config)
    assert worker.state().online is None  # nothing tried yet
    summary = worker.push_now()
    state = worker.state()
    assert summary.error("en").startswith("connection failed") and summary.remaining == 5
    assert summary.error("vi").startswith("không kết nối được")
    assert state.online is False and state.last_error == summary.error.saved()
    assert state.alert is None and state.last_success is None
    assert sync_states(config.store_path) == {"pending": 5}


def test_backoff_doubles_up_to_the_cap_with_jitter_and_retry_after_wins():
    scheduler = Scheduler(interval=30, linger=1, base_backoff=1, max_backoff=60,
                          rng=random.Random(7))
    for failures in range(1, 15):
        ceiling = min(60.0, 2.0 ** (failures - 1))
        delays = [scheduler.backoff_delay(failures, None) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # really randomised
    busy = ServerBusy("sync.http", retry_after=120, status=503, error="busy")
    assert all(120 <= scheduler.backoff_delay(1, busy) <= 132 for _ in range(20))


def test_backoff_stays_at_the_cap_however_many_failures_in_a_row():
    """A centre down for days: after 1025 failures in a row the doubling overflowed a float
    and the sync thread died, the kiosk recording on but never uploading again."""
    scheduler = Scheduler(interval=30, linger=1, base_backoff=BASE_BACKOFF_SECONDS,
                          max_backoff=300, rng=random.Random(7))
    for _ in range(1025):
        scheduler.failed(None, progressed=False)
    assert 150 <= scheduler.back_off(None) <= 300
    assert 150 <= scheduler.backoff_delay(10**6, None) <= 300


def test_a_centre_that_cannot_be_connected_to_is_looked_for_every_interval_not_backed_off():
    """Nothing answered to ask for a slower pace: after a refused connection the next try
    is at most one interval away, anywhere in it, however many failed before (capped at
    ``max_backoff_seconds`` alone, scans went up to 5 min late after the centre's return);
    a centre that answers 5xx still backs off up to the cap."""
    scheduler = Scheduler(interval=30, linger=1, base_backoff=BASE_BACKOFF_SECONDS,
                          max_backoff=300, rng=random.Random(7))
    client = SyncClient(f"http://127.0.0.1:{free_port()}", "token", timeout=2)
    try:
        with pytest.raises(Unreachable) as refused:
            client.health()
    finally:
        client.close()
    for _ in range(20):
        scheduler.failed(refused.value, progressed=False)
    assert scheduler.unreached
    waits = [scheduler.back_off(refused.value) for _ in range(200)]
    assert all(BASE_BACKOFF_SECONDS <= wait <= 30 for wait in waits)
    # spread over the whole interval (full jitter), not its second half: a fleet whose
    # centre comes back does not knock all in the last 15 s
    assert min(waits) < 5 and max(waits) > 25
    answered = ServerBusy("sync.http", status=502, error="Bad Gateway")
    scheduler.failed(answered, progressed=False)
    assert not scheduler.unreached
    assert 150 <= scheduler.back_off(answered) <= 300


@contextlib.contextmanager
def overloaded_centre() -> Iterator[str]:
    """A centre listening but never accepting, its accept queue full (listen(0) and one
    connection waiting in it): the kernel drops further handshakes, as for a centre
    overloaded or a firewall dropping SYNs — a connect times out. Its URL."""
    with socket.socket() as server, socket.socket() as waiting:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        waiting.connect(server.getsockname())  # fills the queue; never accepted
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_a_centre_whose_connects_time_out_is_backed_off_from_not_looked_for_each_interval():
    """A connect that times out is not a centre down: it may be one too busy to accept (or a
    firewall dropping the handshake). Taken as down, a 5,000-kiosk fleet knocked every
    interval and its peak on the centre's return rose ~5.7×; the waits double up to
    ``max_backoff_seconds`` as after any failure the centre may be behind."""
    scheduler = Scheduler(interval=30, linger=1, base_backoff=BASE_BACKOFF_SECONDS,
                          max_backoff=300, rng=random.Random(7))
    with overloaded_centre() as url:
        client = SyncClient(url, "token", timeout=0.5)
        try:
            with pytest.raises(Unreachable) as timed_out:
                client.health()
        finally:
            client.close()
    assert "timed out" in str(timed_out.value) or "timeout" in str(timed_out.value)
    for _ in range(20):
        scheduler.failed(timed_out.value, progressed=False)
    assert not scheduler.unreached
    assert all(150 <= scheduler.back_off(timed_out.value) <= 300 for _ in range(50))


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    import datetime as dt
    now = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 01 May 2024 08:00:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 07:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    # a header is Latin-1 text: "²" is a digit to str.isdigit, not a number to float()
    assert parse_retry_after("²") is None and parse_retry_after("1" + "٢") is None


def test_push_now_takes_over_from_a_background_upload_without_double_sending(
        central, kiosk_id, tmp_path):
    """The operator presses "sync now" while the background worker is mid-backlog."""
    proxy = FaultyProxy(central.port)
    proxy.add("hold")  # the background's first answer waits until the push has asked
    config = load(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id), enabled=True,
                  batch_size=100)
    ids = fill_backlog(config.store_path, 20_000, kiosk_id=kiosk_id)
    kiosk = Kiosk(config)
    assert kiosk.sync is not None
    kiosk.start()
    summaries = []
    try:
        wait_until(lambda: proxy.holds)  # under way: a first batch is at the centre
        pusher = threading.Thread(target=lambda: summaries.append(kiosk.sync.push_now()))
        pusher.start()
        wait_until(lambda: kiosk.sync.scheduler.must_yield(background=True))  # push waits
        proxy.release()
        pusher.join(120)
        (summary,) = summaries
        background_done = 20_000 - summary.accepted
    finally:
        kiosk.stop()
        proxy.close()
    assert summary.error is None and summary.remaining == 0
    assert 0 < background_done < 20_000 and summary.duplicate == 0
    stored = central.stored_ids(kiosk_id)
    assert len(stored) == 20_000 and sorted(stored) == ids


def test_stopping_the_kiosk_ends_a_push_at_the_next_batch_and_keeps_the_rest_pending(
        central, kiosk_id, tmp_path):
    """The window is closed while the sync screen's push is running in its thread."""
    config = load(tmp_path, kiosk_id, central.url, central.enrol(kiosk_id), enabled=True,
                  batch_size=50)
    fill_backlog(config.store_path, 20_000, kiosk_id=kiosk_id)
    kiosk = Kiosk(config)
    assert kiosk.sync is not None
    results = []
    pushing = threading.Thread(target=lambda: results.append(kiosk.sync.push_now()))
    pushing.start()
    wait_until(lambda: central.stored_ids(kiosk_id), step=0.01)
    kiosk.stop()
    pushing.join(10)
    (summary,) = results
    assert summary.error("en") == "The kiosk is shutting down; the rest stays pending"
    stored = len(central.stored_ids(kiosk_id))
    states = sync_states(config.store_path)
    assert 0 < states["acknowledged"] <= stored < 20_000
    assert states["acknowledged"] + states["pending"] == 20_000


def test_new_entries_go_when_an_earlier_ids_entries_left_by_another_path(
        central, kiosk_id, tmp_path):
    """The worker leaves an earlier kiosk id's entries pending and starts no upload while
    only they wait. When another process sent them (a push as that kiosk, with its token),
    fewer are pending than it counted: new entries of its own, even fewer than those were,
    still go at once, not after the next scan that happens to raise the count."""
    old = f"{kiosk_id}-old"
    config = config_mod.load(write_config(tmp_path / "config.toml", kiosk_id=kiosk_id,
                                          server_url=central.url, token=central.enrol(kiosk_id),
                                          interval_seconds=1))
    fill_backlog(tmp_path / "kiosk.db", 30, kiosk_id=old)
    fill_backlog(tmp_path / "kiosk.db", 5, kiosk_id=kiosk_id)
    worker = SyncWorker.from_config(config, base_backoff_seconds=0.02)
    worker.start()
    try:
        wait_until(lambda: len(central.stored_ids(kiosk_id)) == 5  # counted at its start
                   and worker.state().elsewhere == ((old, 30),))
        token = tmp_path / "old.token"
        token.write_text(central.enrol(old), encoding="utf-8")
        pushed = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "sync", "push", "--config",
             str(tmp_path / "config.toml"), "--kiosk-id", old, "--token-file", str(token)],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert pushed.returncode == 0, pushed.stderr
        later = fill_backlog(tmp_path / "kiosk.db", 20, kiosk_id=kiosk_id)
        worker.notify()  # as the pipeline does for each scan it records
        wait_until(lambda: set(later) <= set(central.stored_ids(kiosk_id)))
        wait_until(lambda: worker.state().elsewhere == ())
    finally:
        worker.stop()
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 55}
