"""Kiosk health: a real kiosk store's report sent to a real `kiosk-central serve`, kept as
the latest per kiosk with 30 days of history, and read by the daily report."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import (
    CentralServer,
    Enrolled,
    batch,
    central,
    database_url,
    enrol,
    kiosk_entries,
    set_schema_version,
    undo_duplicates,
)
from report_support import GenKiosk, World, load

from kiosk import messages
from kiosk.central import heartbeat, reports
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.central.web.health import kiosk_rows
from kiosk.central.web.i18n import translator
from kiosk.devices.supervisor import DeviceStatus
from kiosk.messages import LANGUAGES
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import protocol
from kiosk.sync.heartbeat import centre_takes_health, health_report


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[tuple[CentralServer, Enrolled]]:
    db = database_url("sqlite", tmp_path)
    kiosk = enrol(db, "k-hb", "CP-HB")
    server = CentralServer(db)
    try:
        yield server, kiosk
    finally:
        server.stop()


def _kiosk_store(tmp_path: Path, pending: int, refused: int, boot: str | None = None
                 ) -> Store:
    """Scans recorded in ``boot`` (else the running boot)."""
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP-HB", kiosk_id="k-hb",
                                      duplicate_policy="allow"))
    if boot is not None:
        pipeline.boot_id = boot
    for i in range(pending):
        pipeline.submit(Scan(payload=f"0010990{i:05d}|123456789|Lê Thị Hoa|01021990|Nữ|"
                                     f"Số {i} Phố Huế|10102021".encode(),
                             device_id="serial-1", lane="in", source="serial"))
    for _ in range(refused):
        pipeline.submit(Scan(payload=b"", device_id="serial-1",  # an empty read: refused
                             lane="in", source="serial"))
    return store


def _post(server: CentralServer, kiosk: Enrolled, body: object) -> httpx.Response:
    data, encoding = protocol.encode_body(body)
    return httpx.post(server.url + protocol.HEARTBEAT_PATH, content=data, timeout=30,
                      headers={**kiosk.auth, "Content-Encoding": encoding,
                               "Content-Type": "application/json"})


def test_a_kiosk_reports_its_health_and_the_centre_keeps_it(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    server, kiosk = centre
    assert centre_takes_health(httpx.get(server.url + protocol.HEALTH_PATH).json())
    store = _kiosk_store(tmp_path, pending=3, refused=2)
    devices = [DeviceStatus("serial-1", "serial", "in", state="connected"),
               DeviceStatus("cam-1", "camera", "out", state="error",
                            reason=messages.Words("device.not_found", {"what": "/dev/video0"}))]
    report = health_report(store, devices)
    store.close()
    assert protocol.validate_health(report).pending == 3
    answer = _post(server, kiosk, protocol.make_heartbeat("k-hb", report))
    assert answer.status_code == 200, answer.text
    assert abs(answer.json()["clock_offset_seconds"]) < 5
    with open_storage(server.db) as storage:
        held = heartbeat.latest(storage, "k-hb")
        assert held is not None
        assert (held["pending"], held["rejected"]) == (3, 0)
        assert held["oldest_pending_seconds"] >= 0
        assert held["free_disk_bytes"] > 0
        assert [(d["id"], d["state"], d["detail"]) for d in held["devices"]] == [
            ("serial-1", "connected", ""),
            ("cam-1", "error", "chưa thấy /dev/video0 — đã cắm máy quét chưa? / "
                               "/dev/video0 not found — is the scanner plugged in?")]
        assert storage.kiosk("k-hb").last_seen_at == answer.json()["received_at"]
        today = storage.today()
        summary = reports.daily(storage, today)["summary"]
    assert summary["refused"] == 2 and summary["refused_share"] == 1.0


def test_a_batch_may_carry_the_report_too(centre: tuple[CentralServer, Enrolled],
                                          tmp_path: Path) -> None:
    server, kiosk = centre
    store = _kiosk_store(tmp_path, pending=0, refused=1)
    report = health_report(store)
    store.close()
    entries = kiosk_entries(tmp_path, "k-hb", 2, "CP-HB")
    answer = server.post({**batch("k-hb", entries), "health": report}, token=kiosk.token)
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "accepted"]
    with open_storage(server.db) as storage:
        assert heartbeat.latest(storage, "k-hb")["pending"] == 0
        assert len(heartbeat.history(storage, "k-hb")) == 1


def test_bad_reports_are_refused_naming_the_field_and_nothing_is_kept(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    server, kiosk = centre
    store = _kiosk_store(tmp_path, pending=1, refused=0)
    good = health_report(store)
    store.close()
    negative = _post(server, kiosk, protocol.make_heartbeat("k-hb", {**good, "pending": -1}))
    assert negative.status_code == 422 and "$.health.pending" in negative.json()["error"]
    odd_hour = _post(server, kiosk, protocol.make_heartbeat(
        "k-hb", {**good, "refused_by_hour": {"yesterday": 3}}))
    assert odd_hour.status_code == 422 and "refused_by_hour" in odd_hour.json()["error"]
    other = _post(server, kiosk, protocol.make_heartbeat("k-other", good))
    assert other.status_code == 403
    in_batch = server.post({**batch("k-hb", []), "health": {"pending": 1}}, token=kiosk.token)
    assert in_batch.status_code == 422 and in_batch.json()["error"].startswith("health:")
    stranger = httpx.post(server.url + protocol.HEARTBEAT_PATH, json={}, timeout=10)
    assert stranger.status_code == 401
    with open_storage(server.db) as storage:
        assert heartbeat.latest(storage, "k-hb") is None


def test_a_revoked_kiosk_still_trying_shows_in_the_daily_report(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    server, kiosk = centre
    central("kiosks", "revoke", "k-hb", "--db", server.db)
    for _ in range(2):
        assert server.post(batch("k-hb", []), token=kiosk.token).status_code == 401
    with open_storage(server.db) as storage:  # the first at once, the next within a minute
        assert storage.kiosk("k-hb").refused_attempts == 1
    assert "Traceback" not in server.stop()  # or when serve stops (test_central_refused.py)
    with open_storage(server.db) as storage:
        assert storage.kiosk("k-hb").refused_attempts == 2
        wrong = reports.daily(storage, storage.today())["scanning_wrongly"]
    assert [(r["kiosk_id"], r["problem"]) for r in wrong] == [("k-hb", "revoked_still_trying")]


def test_a_revocation_counts_only_the_attempts_made_since_it(tmp_path: Path) -> None:
    """Revoked, restored by a new token, revoked again later: the report's "tried N times"
    is about the token refused now, not the earlier one's knocks added to it."""
    with open_storage(f"sqlite:///{tmp_path}/central.db") as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        storage.revoke_kiosk("k1")
        storage.note_refused_attempt("k1", dt.datetime.now(dt.UTC), count=40)
        storage.reissue_token("k1", "new-hash")
        assert storage.kiosk("k1").active

        storage.revoke_kiosk("k1")

        again = storage.kiosk("k1")
        assert (again.refused_attempts, again.last_refused_at) == (0, None)
        wrong = reports.daily(storage, storage.today())["scanning_wrongly"]
        assert [r for r in wrong if r["problem"] == "revoked_still_trying"] == []
        storage.note_refused_attempt("k1", dt.datetime.now(dt.UTC))
        assert storage.kiosk("k1").refused_attempts == 1


def test_history_keeps_thirty_days_and_old_backlogs_are_reported(tmp_path: Path) -> None:
    with open_storage(f"sqlite:///{tmp_path}/central.db") as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        now = dt.datetime.now(dt.UTC)
        health = protocol.validate_health({
            "software_version": "0.1.0", "pending": 5000, "oldest_pending_seconds": 90000.0,
            "rejected": 0, "devices": [], "free_disk_bytes": None})
        for days_ago in (40, 31, 29, 0):
            heartbeat.record(storage, "k1", health, now - dt.timedelta(days=days_ago), 1.0)
        kept = heartbeat.history(storage, "k1")
        assert len(kept) == 2 and json.dumps(kept).count("90000.0") == 2
        wrong = reports.daily(storage, storage.today(), now=now)["scanning_wrongly"]
        assert [(r["problem"], r["params"]) for r in wrong] == [
            ("old_backlog", {"oldest_pending_seconds": 90000.0})]
        assert [translator(lang).detail(wrong[0], "Asia/Ho_Chi_Minh") for lang in LANGUAGES] == [
            "bản ghi cũ nhất đã chờ gửi 1 ngày 1 giờ (theo đồng hồ máy lúc máy báo lần cuối, "
            "cộng thời gian từ đó)",
            "the oldest entry has waited 1 d 1 h (by the kiosk's clock when it last reported, "
            "and the time since)"]


def test_a_silent_kiosks_backlog_keeps_ageing_and_its_waiting_entries_are_listed(
        tmp_path: Path) -> None:
    """Kiosk k7 reported 40 entries waiting, the oldest 20 h old, at 19:00 on 2 December,
    then fell silent (a dead modem): they are still on it. The report of 5 December, made
    at 06:00 on the 6th, lists it silent with the 40 entries it holds, and its backlog as
    old as it is now — 20 h then and the 3 days 11 h since — so over 24 h: old backlog;
    the Kiosks page flags it the same (before, both judged the 20 h of its last report:
    no old backlog, and no word of the entries stuck on it)."""
    world = World("Asia/Ho_Chi_Minh", [Checkpoint("P7", "Bến xe 7", district="Huyện B",
                                                  kind="station", set_up_on="2026-11-01")],
                  [GenKiosk("k7", "P7", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)])
    heard = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)  # 19:00 local
    made = dt.datetime(2026, 12, 5, 23, tzinfo=dt.UTC)  # 06:00 on 6 December
    with open_storage(f"sqlite:///{tmp_path}/central.db") as storage:
        load(storage, world)
        heartbeat.record(storage, "k7", protocol.validate_health({
            "software_version": "0.1.0", "pending": 40, "oldest_pending_seconds": 20 * 3600.0,
            "rejected": 0, "devices": [], "free_disk_bytes": None}), heard, 0.0)
        report = reports.daily(storage, dt.date(2026, 12, 5), now=made)
        (row,) = kiosk_rows(storage, now=made)
    aged = 20 * 3600.0 + (made - heard).total_seconds()
    silent = [r for r in report["not_scanning"] if r["problem"] == "kiosk_silent_24h"]
    backlog = [r for r in report["scanning_wrongly"] if r["problem"] == "old_backlog"]
    assert [r["params"] for r in silent] == [{"last_seen_at": protocol.format_time(heard),
                                              "pending": 40}]
    assert [r["params"] for r in backlog] == [{"oldest_pending_seconds": aged}]
    assert (row["problems"], row["oldest_pending_seconds"]) == (
        ["kiosk_silent_24h", "old_backlog"], aged)
    assert [translator(lang).detail(r, "Asia/Ho_Chi_Minh") for r in (*silent, *backlog)
            for lang in LANGUAGES] == [
        "liên lạc lần cuối lúc 02/12/2026 19:00, khi đó còn 40 bản ghi chờ gửi",
        "last heard from at 2026-12-02 19:00, then holding 40 entries waiting",
        "bản ghi cũ nhất đã chờ gửi 4 ngày 7 giờ (theo đồng hồ máy lúc máy báo lần cuối, "
        "cộng thời gian từ đó)",
        "the oldest entry has waited 4 d 7 h (by the kiosk's clock when it last reported, "
        "and the time since)"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_health_text_no_database_holds_is_refused_naming_it_before_anything_is_kept(
        engine: str, tmp_path: Path) -> None:
    """A NUL character in a health report's text (a device's error detail read from
    hardware, say; PostgreSQL's text and JSON refuse it) is refused with 422 naming the
    field, as in an entry, before the batch carrying it stores anything, on both engines
    alike. On PostgreSQL it was a 503 after the batch's entries were stored, so the kiosk
    sent them again forever; SQLite kept it. (A lone surrogate is malformed JSON already.)"""
    db = database_url(engine, tmp_path)
    kiosk = enrol(db, "k-hb", "CP-HB")
    store = _kiosk_store(tmp_path, pending=1, refused=0)
    good = health_report(store, [DeviceStatus("serial-1", "serial", "in", state="connected")])
    store.close()
    server = CentralServer(db)
    try:
        device = {**good["devices"][0], "detail": "read \x00"}
        for field, odd in (("devices[0].detail", {**good, "devices": [device]}),
                           ("software_version", {**good, "software_version": "1.0\x00"})):
            # as the JSON escape \u0000, as a client sends it
            beat = httpx.post(server.url + protocol.HEARTBEAT_PATH, timeout=30,
                              content=json.dumps(protocol.make_heartbeat("k-hb", odd)),
                              headers={**kiosk.auth, "Content-Type": "application/json"})
            assert beat.status_code == 422, beat.text
            assert beat.json()["error"] == f"health.{field}: contains a NUL character"
            assert beat.json()["code"] == "refusal.nul_character"
            entries = kiosk_entries(tmp_path / field, "k-hb", 2, "CP-HB")
            carried = server.post(json.dumps({**batch("k-hb", entries), "health": odd}).encode(),
                                  token=kiosk.token, encoding=None)
            assert carried.status_code == 422, carried.text
            assert carried.json()["error"] == beat.json()["error"]
        fine = server.post({**batch("k-hb", entries), "health": good}, token=kiosk.token)
        assert fine.status_code == 200, fine.text
    finally:
        server.stop()
    with open_storage(db) as storage:
        assert storage.entry_count() == 2  # only the batch sent last, with its good report
        assert len(heartbeat.history(storage, "k-hb")) == 1


def test_refused_hours_that_are_no_real_hour_are_refused_before_anything_is_kept(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    """An hour of ``refused_by_hour`` that matches the pattern but is no hour a clock shows
    (month 13, hour 99), or that a clock offset would move past year 9999, is refused with
    422 naming the field, in a heartbeat and in a batch before its entries are stored: the
    centre failed with 500 reading it, a batch's entries already stored."""
    server, kiosk = centre
    store = _kiosk_store(tmp_path, pending=1, refused=0)
    good = health_report(store)
    store.close()
    entries = kiosk_entries(tmp_path, "k-hb", 2, "CP-HB")
    for hour in ("2026-13-45T99", "9999-12-31T23", "0001-01-01T00"):
        odd = {**good, "refused_by_hour": {hour: 1}}
        beat = _post(server, kiosk, protocol.make_heartbeat("k-hb", odd))
        assert beat.status_code == 422, beat.text
        assert beat.json()["error"] == f'health.refused_by_hour: invalid ("{hour}")'
        carried = server.post({**batch("k-hb", entries), "health": odd}, token=kiosk.token)
        assert carried.status_code == 422, carried.text
        assert carried.json()["error"] == beat.json()["error"]
    with open_storage(server.db) as storage:
        assert storage.entry_count() == 0
        assert heartbeat.latest(storage, "k-hb") is None


def test_a_device_error_read_from_hardware_goes_as_text_every_centre_holds(
        tmp_path: Path) -> None:
    """A device's error detail may carry bytes read from the hardware: a NUL, or a lone
    surrogate from a file name decoded with surrogateescape. The kiosk's report writes each
    as U+FFFD, so the centre takes it (it refuses a NUL) and the report can be encoded at
    all (a lone surrogate failed the kiosk's own JSON encoder)."""
    store = _kiosk_store(tmp_path, pending=0, refused=0)
    broken = DeviceStatus("serial-1", "serial", "in", state="error", reason=messages.Words(
        "device.os_failed", {"path": "/dev/serial/by-id/usb-\udcff", "reason": "read b'\x00'"}))
    report = health_report(store, [broken])
    store.close()
    assert report["devices"][0]["detail"] == ("/dev/serial/by-id/usb-\ufffd: read b'\ufffd' / "
                                              "/dev/serial/by-id/usb-\ufffd: read b'\ufffd'")
    assert protocol.validate_health(report).devices[0].state == "error"
    protocol.encode_body(protocol.make_heartbeat("k-hb", report))


def test_refused_hours_outside_the_last_two_days_change_no_days_report(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    """A kiosk reports the refused scans of the last 48 hours on its clock
    (``refused_by_hour``, docs/protocol.md). Here its clock is right: ``sent_at`` is now.
    The report claims 500 refusals in an hour 60 days ago and 700 in an hour 3 days from
    now. A stolen token can send this, and so can a kiosk with a broken counter. Taking
    it would rewrite the refused counts of a day whose report was already published, and
    of a day that has not come yet. Those hours must change no day's report."""
    server, kiosk = centre
    store = _kiosk_store(tmp_path, pending=0, refused=0)
    report = health_report(store)
    store.close()
    now = dt.datetime.now(dt.UTC)
    claimed = {(now - dt.timedelta(days=60)).strftime("%Y-%m-%dT%H"): 500,
               (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H"): 700}
    answer = _post(server, kiosk, protocol.make_heartbeat(
        "k-hb", {**report, "refused_by_hour": claimed}))
    assert answer.status_code in (200, 422), answer.text
    with open_storage(server.db) as storage:
        today = storage.today()
        published = reports.daily(storage, today - dt.timedelta(days=60))["summary"]
        to_come = reports.daily(storage, today + dt.timedelta(days=3))["summary"]
    assert (published["refused"], to_come["refused"]) == (0, 0)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_two_days_are_those_of_the_kiosks_clock_and_what_is_ignored_is_logged(
        engine: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The window is the kiosk's own last 48 hours: a kiosk whose clock runs a year behind
    (measured offset +365 days) still has the refusals of its last hour counted, moved to
    the centre's hour. An hour three days back on its clock is ignored, and logged, while
    the rest of the report is kept."""
    with open_storage(database_url(engine, tmp_path)) as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        now = dt.datetime.now(dt.UTC)
        offset = 365 * 86400.0
        its_clock = now - dt.timedelta(seconds=offset)
        health = protocol.validate_health({
            "software_version": "0.1.0", "pending": 7, "oldest_pending_seconds": 60.0,
            "rejected": 0, "devices": [], "free_disk_bytes": None,
            "refused_by_hour": {(its_clock - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H"): 4,
                                (its_clock - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H"): 9}})
        with caplog.at_level("WARNING", logger="kiosk.central"):
            heartbeat.record(storage, "k1", health, now, offset)
        assert storage._query("SELECT hour, refused FROM refused_hours") == [
            ((now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H"), 4)]
        assert heartbeat.latest(storage, "k1")["pending"] == 7
    first, last = protocol.refused_hours(its_clock)
    assert f"kiosk k1: refused scans of 1 hour(s) outside the hours {first:%Y-%m-%dT%H} to " \
           f"{last:%Y-%m-%dT%H} of its clock ignored (9, hours" in caplog.text


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_an_hours_refusals_are_not_cut_to_its_last_minutes_as_it_leaves_the_two_days(
        engine: str, tmp_path: Path) -> None:
    """A kiosk refuses 12 empty reads in one hour, one every 5 minutes. Its report an hour
    later carries the hour's 12, and the centre keeps 12. Each report carries the refusals
    from exactly 48 h before it (not from the start of that hour), and the centre replaces
    an hour's count with the one reported. An idle kiosk reports every 30 s, so the last
    report that still reaches the hour, at most 30 s before 49 h after it began, carries
    only the refusals of the hour's last 30 s (here 1), the centre keeps that, and no later
    report carries the hour to set it right. Every hour
    ends so, and the monthly report, or a daily report made again, loses nearly all of a
    day's refusals. The day's refusals must stay 12."""
    hour = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).replace(
        minute=0, second=0, microsecond=0)
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k1",
                                      duplicate_policy="allow"))
    for minute in range(5, 61, 5):  # an empty read is refused
        read_at = hour + dt.timedelta(minutes=minute, seconds=-15)
        pipeline.submit(Scan(payload=b"", device_id="serial-1", lane="in", source="serial",
                             wall_time=read_at.timestamp(),
                             monotonic_ns=int(read_at.timestamp() * 1e9)))
    with open_storage(database_url(engine, tmp_path)) as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        day = storage.calendar.day_of(hour)

        def heartbeat_at(after: dt.timedelta) -> int:
            """The kiosk reports at ``hour`` + ``after`` (its clock right); the day's
            refusals in the daily report then."""
            now = hour + after
            health = protocol.validate_health(health_report(store, now=now))
            heartbeat.record(storage, "k1", health, now, 0.0)
            return reports.daily(storage, day, now=now)["summary"]["refused"]

        assert heartbeat_at(dt.timedelta(hours=1, minutes=1)) == 12
        assert heartbeat_at(dt.timedelta(hours=30)) == 12
        heartbeat_at(dt.timedelta(hours=48, minutes=59, seconds=30))  # the last one to reach it
        assert heartbeat_at(dt.timedelta(hours=49, minutes=1)) == 12
    store.close()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_of_two_points_one_refusing_most_reads_is_listed_as_refusing(
        engine: str, tmp_path: Path) -> None:
    """Only two points are set up, or only two have 20 reads or more so far today (the
    Today page in the morning). Bình Long refuses 20 of its 25 reads (80 %), a code format
    its scanner misreads; Chơn Thành takes all 30. "Nơi quét sai" must list Bình Long, as
    it did when its share was compared with the province's (20 of 55, 36 %). It is compared
    with the median point's instead, and the median of two shares is their mean (here
    40 %): a share is never more than twice the mean of itself and another, so with two
    points no refusal share, even 100 % against 0 %, is ever listed (nor with one: the
    median is its own share; nor when exactly half the points refuse alike)."""
    report = _today(database_url(engine, tmp_path), tmp_path,
                    {"BP-BL-001": (5, 20), "BP-CT-001": (30, 0)})
    assert [(p["checkpoint_id"], p["scans"], p["refused"]) for p in report["by_point"]] == [
        ("BP-BL-001", 5, 20), ("BP-CT-001", 30, 0)]
    assert _refusing(report) == ["BP-BL-001"]


def _today(db: str, tmp_path: Path, points: dict[str, tuple[int, int]]) -> dict:
    """Today's daily report after each point's kiosk sent its scans and reported its
    refusals in this hour: ``points`` maps a point to (scans, refused)."""
    with open_storage(db) as storage:
        now = dt.datetime.now(dt.UTC)
        for number, (point, (scans, refused)) in enumerate(points.items()):
            kiosk_id = f"k-{point}"
            storage.add_checkpoint(point, point)
            storage.add_kiosk(kiosk_id, point, kiosk_id, f"hash-{kiosk_id}")
            entries = kiosk_entries(tmp_path, kiosk_id, scans, point, start=1000 * number)
            storage.ingest_batch(kiosk_id, entries, sent_at=None, received_at=now,
                                 batch_id=str(uuid.uuid4()), checkpoint_id=point)
            heartbeat.record(storage, kiosk_id, protocol.validate_health({
                "software_version": "0.1.0", "pending": 0, "oldest_pending_seconds": None,
                "rejected": 0, "devices": [], "free_disk_bytes": None,
                "refused_by_hour": {now.strftime("%Y-%m-%dT%H"): refused}}), now, 0.0)
        return reports.daily(storage, storage.today(), now=now)


def _refusing(report: dict) -> list[str]:
    """The points "Nơi quét sai" lists for their refusal share."""
    return [r["checkpoint_id"] for r in report["scanning_wrongly"]
            if r["problem"] == "refused_share"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_refusal_problem_at_most_points_but_few_of_the_reads_is_listed(
        engine: str, tmp_path: Path) -> None:
    """Three small rural points, whose scanners misread a new code format, each refuse 20
    of 25 reads (80 %); the two town points take 100 each and refuse none. The province
    refuses 60 of 275 reads (22 %), and "Nơi quét sai" listed the three (80 % vs 22 %).
    Compared with the median point, whose share is theirs (80 %), none is listed: the
    median is "usual" only while fewer than half of the points have the problem. The
    docs say this rule "hides no one"; these three must still be listed."""
    report = _today(database_url(engine, tmp_path), tmp_path, {
        "BP-BD-001": (5, 20), "BP-BG-001": (5, 20), "BP-LN-001": (5, 20),
        "BP-DX-001": (100, 0), "BP-DX-002": (100, 0)})
    assert report["summary"]["refused"] == 60 and report["summary"]["scans"] == 215
    assert _refusing(report) == ["BP-BD-001", "BP-BG-001", "BP-LN-001"]


def test_refusals_dated_by_a_clock_a_year_ahead_crowd_out_none_of_todays(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    """A kiosk's clock ran a year ahead for three days, an empty read refused each hour;
    then it was set right, and in the last minutes it refused 5 reads. Its report carries
    at most 72 hours (the latest) and reads every hour from 48 h back on, those a year
    ahead too: the 72 hours a year ahead fill it, and the centre, which takes no hour more
    than a day ahead, ignores them all (logging it, every 30 s). Today's 5 must still reach
    the daily report; they never did, until that clock's year has passed."""
    server, kiosk = centre
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP-HB", kiosk_id="k-hb",
                                      duplicate_policy="allow"))
    now = dt.datetime.now(dt.UTC)
    ahead = now + dt.timedelta(days=365)
    read_at = [ahead + dt.timedelta(hours=h) for h in range(72)]  # while a year ahead
    read_at += [now - dt.timedelta(seconds=10 * i) for i in range(1, 6)]  # set right
    for moment in read_at:
        pipeline.submit(Scan(payload=b"", device_id="serial-1", lane="in", source="serial",
                             wall_time=moment.timestamp()))
    report = health_report(store, now=now)
    store.close()
    answer = _post(server, kiosk, protocol.make_heartbeat("k-hb", report))
    assert answer.status_code == 200, answer.text
    with open_storage(server.db) as storage:
        refused = reports.daily(storage, storage.calendar.day_of(now))["summary"]["refused"]
    assert refused == 5


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_billion_refusals_claimed_at_one_of_four_points_hides_no_other(
        engine: str, tmp_path: Path) -> None:
    """Four points: two take 30 reads and refuse none, Bình Long refuses 15 of 25 (60 %),
    and a stolen Đồng Xoài token claims 10⁹ refusals. Against the median, Bình Long must
    stay listed beside the liar, as it is without the lie (the median then 0 %). But the
    median of four is the mean of the middle two, Bình Long's and a clean point's (30 %),
    and 60 % is not more than twice that: the lie hides it, as the median was to prevent."""
    report = _today(database_url(engine, tmp_path), tmp_path, {
        "BP-BL-001": (10, 15), "BP-CT-001": (30, 0), "BP-CT-002": (30, 0),
        "BP-DX-001": (30, 10**9)})
    assert _refusing(report) == ["BP-BL-001", "BP-DX-001"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_half_hour_zones_last_refused_hour_of_the_day_is_counted_on_some_day(
        engine: str, tmp_path: Path) -> None:
    """Kiosks report refusals per UTC hour, and the report files each under the local day
    its start falls on. In a zone half an hour off UTC (the centre's zone is a setting:
    Asia/Kolkata, +05:30), the UTC hour 18:00-19:00 is 23:30-00:30 there: 7 refusals in
    it belong to the day it starts on. The day's report reads the UTC hours from the one
    holding its start (the previous evening's 23:30, filed under the day before) to the
    one holding its end, excluded (its own 23:30): that hour is read by the next day's
    report, which files it under this day and drops it. So it is counted on no day."""
    with open_storage(database_url(engine, tmp_path)) as storage:
        storage.set_timezone("Asia/Kolkata")
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        hour = dt.datetime(2026, 11, 20, 18, tzinfo=dt.UTC)  # 23:30 on the 20th in Kolkata
        health = protocol.validate_health({
            "software_version": "0.1.0", "pending": 0, "oldest_pending_seconds": None,
            "rejected": 0, "devices": [], "free_disk_bytes": None,
            "refused_by_hour": {hour.strftime("%Y-%m-%dT%H"): 7}})
        heartbeat.record(storage, "k1", health, hour + dt.timedelta(hours=1, minutes=5), 0.0)
        counted = [reports.daily(storage, dt.date(2026, 11, day))["summary"]["refused"]
                   for day in (20, 21)]
    assert counted == [7, 0]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_claim_above_one_refusal_a_second_is_cut_and_the_worst_points_still_listed(
        engine: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A kiosk is one lane, which cannot refuse more than one read a second: a stolen
    Đồng Xoài token's claim of 10⁹ refusals in an hour is kept as 3,600, and logged, so the
    province's refused count is not the lie. That still makes the province's refused share
    nearly 100 %, above which no point is twice: Bình Long, refusing 15 of 25 reads (60 %),
    is listed because it refuses half its reads or more, and the detail says so."""
    with caplog.at_level("WARNING", logger="kiosk.central"):
        report = _today(database_url(engine, tmp_path), tmp_path, {
            "BP-BL-001": (10, 15), "BP-CT-001": (30, 0), "BP-DX-001": (30, 10**9)})
    assert heartbeat.REFUSED_PER_KIOSK_HOUR == 3600
    assert report["summary"]["refused"] == 3615
    listed = {r["checkpoint_id"]: r for r in report["scanning_wrongly"]
              if r["problem"] == "refused_share"}
    province = 3615 / (70 + 3615)
    assert {c: r["params"] for c, r in listed.items()} == {
        "BP-BL-001": {"share": 15 / 25, "province_share": province, "bound": 0.5},
        "BP-DX-001": {"share": 3600 / 3630, "province_share": province, "bound": 0.5}}
    assert {c: translator("vi").detail(r, "UTC") for c, r in listed.items()} == {
        "BP-BL-001": "60,0 %, từ 50,0 % trở lên (cả tỉnh 98,1 %)",
        "BP-DX-001": "99,2 %, từ 50,0 % trở lên (cả tỉnh 98,1 %)"}
    assert "kiosk k-BP-DX-001: refused scans of 1 hour(s) above 3600 an hour cut to it " \
           "(1000000000 claimed, hours" in caplog.text


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_kiosk_counting_from_mid_hour_does_not_shrink_the_oldest_hour(
        engine: str, tmp_path: Path) -> None:
    """Kiosks in the field before the whole-hour rule count refusals from exactly 48 h
    back: their last report reaching an hour carries only its last seconds (here 1 of 12).
    The centre keeps the larger count for a report's oldest hour, so the day keeps its 12;
    an hour inside the window still takes the count reported (its whole count so far)."""
    hour = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).replace(
        minute=0, second=0, microsecond=0)
    later = (hour + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H")

    def health(counts: dict[str, int]) -> protocol.Health:
        return protocol.validate_health({
            "software_version": "0.1.0", "pending": 0, "oldest_pending_seconds": None,
            "rejected": 0, "devices": [], "free_disk_bytes": None, "refused_by_hour": counts})

    with open_storage(database_url(engine, tmp_path)) as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        heartbeat.record(storage, "k1", health({hour.strftime("%Y-%m-%dT%H"): 12, later: 5}),
                         hour + dt.timedelta(hours=2), 0.0)
        heartbeat.record(storage, "k1", health({hour.strftime("%Y-%m-%dT%H"): 1, later: 4}),
                         hour + dt.timedelta(hours=48, minutes=59, seconds=30), 0.0)
        assert sorted(storage._query("SELECT hour, refused FROM refused_hours")) == [
            (hour.strftime("%Y-%m-%dT%H"), 12), (later, 4)]


def test_a_backlog_recorded_later_than_the_kiosks_clock_has_no_age_at_the_centre(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    """A kiosk scanned an entry it could not send, was restarted, and its clock went back a
    day (a flat RTC battery, NTP stepping it back). Its report said the entry was 0 s old,
    and the centre read the backlog as fresh, the kiosk that most needs the old-backlog
    rule. How old it is cannot be told on that clock (:func:`kiosk.clock.age_of`), nor, in
    an earlier boot, on the monotonic one: the report says null, as for no backlog, beside
    ``pending``, and the centre keeps it, flags the kiosk's clock (the offset it measures)
    and no backlog, and makes its reports all the same."""
    server, kiosk = centre
    store = _kiosk_store(tmp_path, pending=1, refused=0, boot="before-the-restart")
    its_clock = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    report = health_report(store, now=its_clock)
    store.close()
    assert (report["pending"], report["oldest_pending_seconds"]) == (1, None)
    answer = _post(server, kiosk, protocol.make_heartbeat("k-hb", report, its_clock))
    assert answer.status_code == 200, answer.text
    with open_storage(server.db) as storage:
        held = heartbeat.latest(storage, "k-hb")
        assert held is not None and (held["pending"], held["oldest_pending_seconds"]) == (1, None)
        flagged = [(r["kiosk_id"], r["problem"])
                   for r in reports.daily(storage, storage.today())["scanning_wrongly"]]
    assert flagged == [("k-hb", "clock_off")]


@pytest.mark.parametrize("minute", [0, 59])
def test_a_report_carries_exactly_the_hours_the_centre_keeps(
        minute: int, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A kiosk refused a read in every hour from three days back to two days ahead (its
    clock once ahead). Its report carries 72 hours (the protocol's most), from the hour
    holding 48 h before it is sent, and the centre, taking the window at the report's
    ``sent_at``, keeps every one and ignores nothing: the window spanned 73 hours, one more
    than a report may carry, and the kiosk cut the last."""
    now = dt.datetime.now(dt.UTC).replace(minute=minute, second=30, microsecond=0)
    first = (now - protocol.REFUSED_WINDOW).replace(minute=0, second=0)
    assert protocol.refused_hours(now) == (
        first, first + dt.timedelta(hours=protocol.MAX_REFUSED_HOURS - 1))
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k1",
                                      duplicate_policy="allow"))
    for hour in range(-72, 48):
        moment = now + dt.timedelta(hours=hour)
        pipeline.submit(Scan(payload=b"", device_id="serial-1", lane="in", source="serial",
                             wall_time=moment.timestamp()))
    health = protocol.validate_health(health_report(store, now=now))
    store.close()
    assert sorted(health.refused_by_hour) == [
        (first + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H")
        for h in range(protocol.MAX_REFUSED_HOURS)]
    with open_storage(f"sqlite:///{tmp_path}/central.db") as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        with caplog.at_level("WARNING", logger="kiosk.central"):
            heartbeat.record(storage, "k1", health, now + dt.timedelta(seconds=2), 2.0)
        kept = storage._query("SELECT count(*) FROM refused_hours")[0][0]
    assert (kept, caplog.text) == (protocol.MAX_REFUSED_HOURS, "")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_kiosk_alive_with_its_uploads_paused_is_listed_with_the_reason_not_as_silent(
        engine: str, tmp_path: Path) -> None:
    """A centre whose database was made before ``uploads_paused`` (schema v26) takes the
    column when it opens, its kiosks' reports kept. A kiosk's report saying its uploads
    are paused for its store (``store_unconfirmed``) counts as contact: the Kiosks page's
    rows and the daily report flag it with that reason ("not scanning", as it records
    nothing), never as silent; a code this centre does not know is flagged in general
    words; the next report without it clears it."""
    db = database_url(engine, tmp_path)
    now = dt.datetime.now(dt.UTC)
    plain = {"software_version": "0.1.0", "pending": 0, "oldest_pending_seconds": None,
             "rejected": 0, "devices": [], "free_disk_bytes": None}
    with open_storage(db) as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")
        heartbeat.record(storage, "k1", protocol.validate_health(plain), now, 0.0)
        with storage._transaction() as tx:  # as v26 left it
            undo_duplicates(storage, tx)  # v31
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_degree")  # v29
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_contacts")
            storage._execute(tx, "ALTER TABLE kiosk_health DROP COLUMN uploads_paused")
            set_schema_version(storage, tx, 26)

    def flagged(storage: object) -> tuple[list[str], list[tuple[str, str]]]:
        shown = kiosk_rows(storage, checkpoint_id="CP", now=now)[0]["problems"]
        report = reports.daily(storage, storage.today(), now=now)
        return shown, [(r["problem"], r["params"]) for r in report["not_scanning"]
                       if r.get("kiosk_id") == "k1"]

    with open_storage(db) as storage:
        assert heartbeat.latest(storage, "k1")["uploads_paused"] is None
        assert flagged(storage) == ([], [])
        paused = protocol.validate_health({**plain, "pending": 4,
                                           "uploads_paused": "store_unconfirmed"})
        heartbeat.record(storage, "k1", paused, now, 0.0)
        assert heartbeat.latest(storage, "k1")["uploads_paused"] == "store_unconfirmed"
        assert flagged(storage) == (["uploads_paused_store_unconfirmed"], [(
            "uploads_paused_store_unconfirmed",
            {"reason": "store_unconfirmed", "pending": 4,
             "reported_at": protocol.format_time(now)})])
        later = protocol.validate_health({**plain, "uploads_paused": "disk_gone"})
        heartbeat.record(storage, "k1", later, now, 0.0)
        assert flagged(storage)[0] == ["uploads_paused"]
        heartbeat.record(storage, "k1", protocol.validate_health(plain), now, 0.0)
        assert flagged(storage) == ([], [])
        assert [r.get("uploads_paused") for r in heartbeat.history(storage, "k1")] == [
            None, "store_unconfirmed", "disk_gone", None]
    assert messages.text("web.problem.uploads_paused_store_unconfirmed", "vi") == (
        "Máy vẫn chạy nhưng tạm ngừng ghi và gửi: không xác nhận được tệp dữ liệu của máy")
    assert messages.text("web.problem.uploads_paused", "en") == "Kiosk alive but uploads paused"


def test_the_centre_lists_uploads_paused_and_refuses_a_reason_that_is_no_code(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    """The health answer lists ``uploads-paused``, so a kiosk sends the member; a reason
    that is not a code (English text) is refused naming the field, and nothing is kept."""
    server, kiosk = centre
    assert "uploads-paused" in httpx.get(server.url + protocol.HEALTH_PATH).json()["features"]
    store = _kiosk_store(tmp_path, pending=1, refused=0)
    report = health_report(store, uploads_paused="store_unconfirmed")
    assert "uploads_paused" not in health_report(store)  # never to a centre without it
    store.close()
    text = _post(server, kiosk, protocol.make_heartbeat(
        "k-hb", {**report, "uploads_paused": "The store cannot be confirmed"}))
    assert text.status_code == 422 and "$.health.uploads_paused" in text.json()["error"]
    with open_storage(server.db) as storage:
        assert heartbeat.latest(storage, "k-hb") is None
    answer = _post(server, kiosk, protocol.make_heartbeat("k-hb", report))
    assert answer.status_code == 200, answer.text
    with open_storage(server.db) as storage:
        assert heartbeat.latest(storage, "k-hb")["uploads_paused"] == "store_unconfirmed"
