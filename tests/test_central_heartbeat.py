"""Kiosk health: a real kiosk store's report sent to a real `kiosk-central serve`, kept as
the latest per kiosk with 30 days of history, and read by the daily report."""

from __future__ import annotations

import datetime as dt
import json
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
)

from kiosk.central import heartbeat, reports
from kiosk.central.backends import open_storage
from kiosk.devices.supervisor import DeviceStatus
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import protocol
from kiosk.sync.heartbeat import centre_takes_health, health_report


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[tuple[CentralServer, Enrolled]]:
    db = f"sqlite:///{tmp_path}/central.db"
    kiosk = enrol(db, "k-hb", "CP-HB")
    server = CentralServer(db)
    try:
        yield server, kiosk
    finally:
        server.stop()


def _kiosk_store(tmp_path: Path, pending: int, refused: int) -> Store:
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP-HB", kiosk_id="k-hb",
                                      duplicate_policy="allow"))
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
               DeviceStatus("cam-1", "camera", "out", state="error", reason="no /dev/video0")]
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
            ("serial-1", "connected", ""), ("cam-1", "error", "no /dev/video0")]
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
    with open_storage(server.db) as storage:
        assert storage.kiosk("k-hb").refused_attempts == 2
        wrong = reports.daily(storage, storage.today())["scanning_wrongly"]
    assert [(r["kiosk_id"], r["problem"]) for r in wrong] == [("k-hb", "revoked_still_trying")]


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
        assert [(r["problem"], r["detail"]) for r in wrong] == [
            ("old_backlog", "oldest pending entry 25 h old")]


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
    broken = DeviceStatus("serial-1", "serial", "in", state="error",
                          reason="read b'\x00' from /dev/serial/by-id/usb-\udcff")
    report = health_report(store, [broken])
    store.close()
    assert report["devices"][0]["detail"] == "read b'\ufffd' from /dev/serial/by-id/usb-\ufffd"
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
