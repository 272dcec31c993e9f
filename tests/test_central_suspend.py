"""A kiosk whose lid was shut between a scan and its upload. ``CLOCK_MONOTONIC``, which stamps
every scan (``Scan.monotonic_ns``) and the batch (``sent_monotonic_ns``), stops while the
laptop sleeps: after a night the scan's age on it is the minute the kiosk has been awake,
and the centre filed an evening's scan the next morning, often on the next day, with no
flag. A kiosk now says how long its boot has slept by the send (``sent_suspended_ns``,
feature ``send-suspended``), and the centre takes the kiosk clock's age when it lies
between the monotonic age and that plus the sleep. A kiosk that does not say (deployed
before) has its scan filed by its monotonic age as before — a centre upgraded must not move
the scans of a Raspberry Pi whose clock NTP set right after boot — and listed on the daily
report as of uncertain time when its clock says it was made earlier: the centre cannot tell
a sleep from a clock set forward.

A real ``kiosk-central serve`` over HTTP, on SQLite and a real PostgreSQL, and the ingest
the API calls for a scan at a fixed moment before midnight."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from central_support import (
    ENGINES,
    CentralServer,
    Enrolled,
    batch,
    database_url,
    enrol,
    kiosk_entries,
)
from report_support import TESTS

from kiosk.central import derivation, registry, reports
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.sync import protocol

HOUR = 3600 * 10**9


@pytest.fixture(scope="module", params=ENGINES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[CentralServer]:
    srv = CentralServer(database_url(request.param, tmp_path_factory.mktemp("central")))
    yield srv
    stderr = srv.stop()
    assert "Traceback" not in stderr, stderr


@pytest.fixture
def kiosk(server: CentralServer) -> Enrolled:
    return enrol(server.db, f"kiosk-{uuid.uuid4().hex[:8]}")


def after_a_night(kiosk: Enrolled, tmp_path: Path, *, slept_ns: int | None
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A scan made 8 h ago by the kiosk's clock and 60 s ago by its monotonic clock, and
    the batch that sends it now, the kiosk's clock right; ``slept_ns``: the boot's sleep it
    says (None: a kiosk that does not say)."""
    [entry] = kiosk_entries(tmp_path, kiosk.kiosk_id, 1, kiosk.checkpoint_id)
    now = dt.datetime.now(dt.UTC)
    entry["scanned_at"] = protocol.format_time(now - dt.timedelta(hours=8))
    sent = time.monotonic_ns()
    entry["monotonic_ns"] = sent - 60 * 10**9
    body = batch(kiosk.kiosk_id, [entry], sent_at=protocol.format_time(now),
                 sent_monotonic_ns=sent)
    if slept_ns is not None:
        body["sent_suspended_ns"] = slept_ns
    return entry, body


def filed(server: CentralServer, entry: dict[str, Any]) -> tuple[dt.datetime, str]:
    """When the centre files ``entry`` (its time corrected by its offset), and its day."""
    with open_storage(server.db) as storage:
        [row] = [r for r in storage.entries(kiosk_id=entry["kiosk_id"]) if r["id"] == entry["id"]]
    return (protocol.parse_time(row["scanned_at"])
            + dt.timedelta(seconds=row["clock_offset_seconds"]), row["local_day"])


def uncertain(server: CentralServer, day: str) -> dict[str, dict[str, Any]]:
    """The daily report's kiosks with scans of uncertain time on ``day``: their params."""
    with open_storage(server.db) as storage:
        derivation.catch_up(storage)
        report = reports.daily(storage, dt.date.fromisoformat(day))
    return {r["kiosk_id"]: r["params"] for r in report["scanning_wrongly"]
            if r["problem"] == "time_uncertain"}


def test_a_scan_made_before_a_night_with_the_lid_shut_is_filed_when_it_was_made(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """The kiosk slept 8 h less the minute it has been awake since the scan, and says so:
    the scan is filed at its ``scanned_at`` (the kiosk's clock was right throughout), on
    that day, and its time is certain."""
    entry, body = after_a_night(kiosk, tmp_path, slept_ns=8 * HOUR - 60 * 10**9)
    answer = server.post(body, token=kiosk.token).json()
    assert [r["status"] for r in answer["results"]] == ["accepted"]
    at, day = filed(server, entry)
    assert abs(at - protocol.parse_time(entry["scanned_at"])) < dt.timedelta(seconds=2)
    with open_storage(server.db) as storage:
        assert day == storage.calendar.day_of(protocol.parse_time(entry["scanned_at"])
                                              ).isoformat()
    assert kiosk.kiosk_id not in uncertain(server, day)


def test_a_clock_set_forward_beyond_the_boots_sleep_does_not_move_the_scan_back(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """The kiosk slept 1 h in this boot, yet its clock reads the scan 8 h old: it was 7 h
    behind at the scan and has been set right since. The scan is filed 1 h and 60 s before
    it arrived, the most the two clocks that ran allow, not 8 h back by the clock that was
    stepped."""
    entry, body = after_a_night(kiosk, tmp_path, slept_ns=HOUR)
    answer = server.post(body, token=kiosk.token).json()
    assert [r["status"] for r in answer["results"]] == ["accepted"]
    at, day = filed(server, entry)
    expected = protocol.parse_time(answer["received_at"]) - dt.timedelta(hours=1, seconds=60)
    assert abs(at - expected) < dt.timedelta(seconds=2)
    assert kiosk.kiosk_id not in uncertain(server, day)


def test_an_older_kiosks_scan_is_filed_by_its_monotonic_age_and_listed_uncertain(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """A kiosk that sends its monotonic clock but not how long it slept (deployed before
    ``send-suspended``). Its clock is right at sending, and reads the scan 8 h old where
    the monotonic clock reads 60 s: a night asleep, or its clock 7 h 59 min behind at the
    scan and set right since (a Raspberry Pi without a real-time clock, NTP answering
    after its first scans), which is what the monotonic age filed before this centre's
    version and still does. The day's report lists the kiosk: 1 scan, which its clock says
    was made up to 7 h 59 min earlier."""
    entry, body = after_a_night(kiosk, tmp_path, slept_ns=None)
    answer = server.post(body, token=kiosk.token).json()
    assert [r["status"] for r in answer["results"]] == ["accepted"]
    at, day = filed(server, entry)
    expected = protocol.parse_time(answer["received_at"]) - dt.timedelta(seconds=60)
    assert abs(at - expected) < dt.timedelta(seconds=2)
    params = uncertain(server, day)[kiosk.kiosk_id]
    assert params["scans"] == 1
    assert abs(params["earlier_seconds"] - (8 * 3600 - 60)) < 2


def test_an_older_kiosks_scan_its_clock_dates_the_evening_before_is_listed_on_its_day(
        tmp_path: Path) -> None:
    """At 23:50 local on 20 December by its clock the kiosk at B scans a person, and it sends
    the scan at 07:51 on the 21st, one minute later by its monotonic clock (no
    ``sent_suspended_ns``): its lid shut for the night, or its clock 8 h behind at the scan.
    Filed by the monotonic age, the scan counts on the 21st, whose report lists the kiosk's
    uncertain time, up to 8 h earlier; the 20th's counts nothing at B."""
    with open_storage(f"sqlite:///{tmp_path / 'centre.db'}") as storage:
        registry.upsert(storage, [Checkpoint("B", "Bến B", district="Y",
                                             set_up_on="2026-12-01")], today="2026-12-01",
                        by=TESTS)
        storage.add_kiosk("kb", "B", "kb", uuid.uuid4().hex)
        [entry] = kiosk_entries(tmp_path, "kb", 1, "B")
        scanned = dt.datetime(2026, 12, 20, 16, 50, tzinfo=dt.UTC)  # 23:50 in Hà Nội
        received = scanned + dt.timedelta(hours=8, minutes=1)
        entry.update(scanned_at=protocol.format_time(scanned), monotonic_ns=10 * 10**9,
                     boot_id="bootK")
        results = storage.ingest_batch(
            "kb", [entry], sent_at=protocol.format_time(received), received_at=received,
            batch_id=str(uuid.uuid4()), checkpoint_id="B", time_window=True,
            sent_monotonic_ns=70 * 10**9, boot_id="bootK")
        assert [r["status"] for r in results] == ["accepted"]
        derivation.catch_up(storage)
        evening = reports.daily(storage, dt.date(2026, 12, 20), now=received)
        morning = reports.daily(storage, dt.date(2026, 12, 21), now=received)
    assert [(p["checkpoint_id"], p["scans"]) for p in morning["by_point"]] == [("B", 1)]
    assert [p["scans"] for p in evening["by_point"] if p["checkpoint_id"] == "B"] in ([], [0])
    assert [(r["kiosk_id"], r["params"]) for r in morning["scanning_wrongly"]
            if r["problem"] == "time_uncertain"] == [
        ("kb", {"scans": 1, "earlier_seconds": 8 * 3600.0})]
