"""The Reports page of a day whose report is not made yet (before its 06:00, or never: the
server down then) on a province cost ~3 s at every view, each viewer's page, download and
JSON building the day's report again. Now it is kept (kiosk.central.web.today_report
.DaysNotMade) while nothing of the day changed, built again when an entry of the day
arrives, and the page says it is as of a time, not the day's made report; today's is the
Today page's, at most a minute old. A real centre on either engine, served on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from central_support import database_url, serving
from report_support import TESTS, GenKiosk, World, load, wire_entry
from web_support import add_users, signed_in

from kiosk.central import registry, reports
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.central.storage import Storage
from kiosk.sync import protocol

KIOSK = GenKiosk("k1", "P1", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
AS_OF = 'id="as-of"'


def _arrives(storage: Storage, scanned: dt.datetime, person: int) -> None:
    """A scan of ``person`` made at ``scanned`` reaches the centre now."""
    now = dt.datetime.now(dt.UTC)
    storage.ingest_batch(KIOSK.id, [wire_entry(KIOSK, "P1", scanned, "in", False, person)],
                         sent_at=protocol.format_time(now), received_at=now,
                         batch_id=str(uuid.uuid4()))


def days_built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The days whose daily report is built from now on, one item a build."""
    builds: list[str] = []
    build = reports.daily

    def counted_build(storage: Any, day: Any = None, **kwargs: Any) -> Any:
        builds.append(day.isoformat())
        return build(storage, day, **kwargs)

    monkeypatch.setattr(reports, "daily", counted_build)
    return builds


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_day_not_made_is_kept_until_an_entry_of_it_arrives_and_says_as_of_when(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    """The day before yesterday, never made: its first view builds it and its page says
    "not made yet: figures as of …"; the next views (page, JSON) are that report, not
    built again; a late entry of the day arrives and the next view counts it. Once the day
    is made, its page is the made report, with no "as of"."""
    db = database_url(engine, tmp_path)
    add_users(db, {"viewer1": ("viewer", None)})
    builds = days_built(monkeypatch)
    with open_storage(db) as storage:
        load(storage, World("Asia/Ho_Chi_Minh", [Checkpoint(
            "P1", "Chợ Đồng Xoài", district="Đồng Xoài", kind="market",
            set_up_on="2026-10-01")], [KIOSK]))
        day = storage.today() - dt.timedelta(days=2)
        noon = storage.calendar.start(day) + dt.timedelta(hours=12)
        _arrives(storage, noon, 1)
        page, api = f"/reports?date={day}", f"/api/v1/reports/daily?date={day}"
        with serving(create_app(storage)) as url, signed_in(url, "viewer1") as viewer:
            first = viewer.get(page)
            assert first.status_code == 200
            assert AS_OF in first.text and "chưa được lập" in first.text
            kept = viewer.get(api).json()
            assert viewer.get(page).status_code == 200
            assert builds == [day.isoformat()]  # the JSON and the page again: kept
            assert kept["summary"]["scans"] == 1

            _arrives(storage, noon + dt.timedelta(hours=1), 2)  # late, of that day
            again = viewer.get(api).json()
            assert builds == [day.isoformat()] * 2
            assert again["summary"]["scans"] == 2
            assert again["made_at"] > kept["made_at"]

            made = reports.made_daily(storage, day)
            shown = viewer.get(page)
            assert AS_OF not in shown.text
            assert viewer.get(api).json()["made_at"] == made["made_at"]



def test_a_day_not_made_kept_is_built_again_after_a_registry_correction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A point registered late (set up before the day, added after its view was kept)
    is in the next view: reports read past days as the registry has them now, and the kept
    copy follows the one rule of kept reports (:func:`reports.changed_since`), not only
    the day's entries."""
    db = database_url("sqlite", tmp_path)
    add_users(db, {"viewer1": ("viewer", None)})
    builds = days_built(monkeypatch)
    with open_storage(db) as storage:
        load(storage, World("Asia/Ho_Chi_Minh", [Checkpoint(
            "P1", "Chợ Đồng Xoài", district="Đồng Xoài", kind="market",
            set_up_on="2026-10-01")], [KIOSK]))
        day = storage.today() - dt.timedelta(days=2)
        api = f"/api/v1/reports/daily?date={day}"
        with serving(create_app(storage)) as url, signed_in(url, "viewer1") as viewer:
            assert viewer.get(api).json()["summary"]["points_set_up"] == 1
            assert viewer.get(api).json()["summary"]["points_set_up"] == 1
            assert builds == [day.isoformat()]

            registry.upsert(storage, [Checkpoint(
                "P2", "Trường Tiểu học Tân Phú", district="Đồng Xoài", kind="school",
                set_up_on="2026-10-01")], today=storage.today().isoformat(), by=TESTS)

            assert viewer.get(api).json()["summary"]["points_set_up"] == 2
            assert builds == [day.isoformat()] * 2


def test_todays_reports_page_is_kept_until_an_entry_of_today_arrives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Today is a day not made: its Reports page and JSON are one build while nothing
    arrives, with its time on the page; an entry of today has the next view build again
    (not the Today page's report, held a minute whatever arrives)."""
    db = database_url("sqlite", tmp_path)
    add_users(db, {"viewer1": ("viewer", None)})
    builds = days_built(monkeypatch)
    with open_storage(db) as storage:
        load(storage, World("Asia/Ho_Chi_Minh", [Checkpoint(
            "P1", "Chợ Đồng Xoài", district="Đồng Xoài", kind="market",
            set_up_on="2026-10-01")], [KIOSK]))
        today = storage.today()
        with serving(create_app(storage)) as url, signed_in(url, "viewer1") as viewer:
            shown = viewer.get(f"/reports?date={today}")
            assert viewer.get(f"/api/v1/reports/daily?date={today}").json()[
                "summary"]["scans"] == 0
            assert builds == [today.isoformat()]
            assert AS_OF in shown.text

            _arrives(storage, max(storage.calendar.start(today),
                                  dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)), 1)
            assert viewer.get(f"/api/v1/reports/daily?date={today}").json()[
                "summary"]["scans"] == 1
            assert builds == [today.isoformat()] * 2
