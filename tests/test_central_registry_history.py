"""A change to the registry is not a change to the past: a report for day D describes each
point as it was on D — its district (and so which district officer sees its numbers), its
kind, whether it was set up. A point moved to another district keeps its earlier days in the
old one; a point closed and reopened stays closed on the days between. Real `kiosk-central`
commands on real SQLite and PostgreSQL databases, scans fed through ``ingest_batch``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from central_support import central, database_url, engine_storages, set_schema_version
from report_support import TESTS, GenBatch, GenKiosk, World, load, wire_entry

from kiosk.central import audit, registry, reports
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.central.schema import MIGRATIONS
from kiosk.central.storage import Storage
from kiosk.central.web.scoping import for_district

X, Y = "Đồng Xoài", "Bình Long"
HISTORY_VERSION = next(n for n, statements in enumerate(MIGRATIONS, 1) if any(
    "checkpoint_versions" in str(statement) for statement in statements))
"""The schema version that began the registry's history (v39): a database taken back to
the one before it is given its history when opened."""


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Storage]]:
    with engine_storages(tmp_path_factory.mktemp("history")) as opened:
        yield opened


def _province(set_up_on: dt.date, scans: dict[str, list[dt.date]]) -> World:
    """A at X, B and C at Y, set up on ``set_up_on``; one scan per day listed per point."""
    kiosk = GenKiosk("k1", "A", 0.0, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), None)
    world = World("Asia/Ho_Chi_Minh", [
        Checkpoint("A", "Chợ", district=X, set_up_on=set_up_on.isoformat()),
        Checkpoint("B", "Bến xe", district=Y, set_up_on=set_up_on.isoformat()),
        Checkpoint("C", "Trường", district=Y, set_up_on=set_up_on.isoformat())], [kiosk])
    for point, days in scans.items():
        for i, day in enumerate(days):
            at = world.local_midnight(day) + dt.timedelta(hours=9)
            world.batches.append(GenBatch(kiosk, [wire_entry(kiosk, point, at, "in", False, i)],
                                          at + dt.timedelta(minutes=1)))
    return world


def _report(url: str, *args: str) -> dict[str, Any]:
    return json.loads(central("report", *args, "--format", "json", "--db", url).stdout)


def _districts(report: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {r["district"]: (r["points_set_up"], r["scans"]) for r in report["by_district"]}


def test_a_point_moved_to_another_district_leaves_its_past_days_in_the_old_one(
        engines: list[Storage]) -> None:
    """The move of the reviewers' finding: B's scans of a past day stay Y's, in the daily and
    the monthly report and in each district officer's view; from the day of the move on, B
    is X's."""
    for storage in engines:
        today = storage.today()
        day = today - dt.timedelta(days=40)  # in an earlier month than today's
        load(storage, _province(day - dt.timedelta(days=30), {"A": [day], "B": [day]}))
        month = day.isoformat()[:7]
        before = _report(storage.url, "daily", "--date", day.isoformat())
        month_before = _report(storage.url, "monthly", "--month", month)
        assert _districts(before) == {X: (1, 1), Y: (2, 1)}, storage.url

        moved = central("checkpoints", "edit", "B", "--district", X, "--db", storage.url)
        assert "B" in moved.stdout

        after = _report(storage.url, "daily", "--date", day.isoformat())
        assert _districts(after) == {X: (1, 1), Y: (2, 1)}, storage.url
        assert [r["district"] for r in after["by_point"]] == [X, Y]
        assert [p["checkpoint_id"] for p in for_district(after, Y)["by_point"]] == ["B"]
        assert [p["checkpoint_id"] for p in for_district(after, X)["by_point"]] == ["A"]
        assert _report(storage.url, "monthly", "--month", month)["by_district"] == \
            month_before["by_district"]
        now = _report(storage.url, "daily", "--date", today.isoformat())
        assert {r["district"]: r["points_set_up"] for r in now["by_district"]} == {X: 2, Y: 1}


def test_a_reopened_point_stays_closed_on_the_days_it_was_closed(
        engines: list[Storage]) -> None:
    """Closed ten days back and reopened today: the days between still count one point
    fewer set up and list no "no scan in 7 days" for it; it is set up again from today,
    which `checkpoints list` shows as its set-up date."""
    for storage in engines:
        today = storage.today()
        closed, between = today - dt.timedelta(days=10), today - dt.timedelta(days=8)
        load(storage, _province(today - dt.timedelta(days=60), {"A": [between]}))
        central("checkpoints", "close", "B", "--on", closed.isoformat(), "--db", storage.url)
        shut = _report(storage.url, "daily", "--date", between.isoformat())

        central("checkpoints", "edit", "B", "--reopen", "--db", storage.url)

        again = _report(storage.url, "daily", "--date", between.isoformat())
        assert again["summary"]["points_set_up"] == shut["summary"]["points_set_up"] == 2
        assert _no_scan(again) == {"C": (today - dt.timedelta(days=60)).isoformat()}
        now = _report(storage.url, "daily", "--date", today.isoformat())
        assert now["summary"]["points_set_up"] == 3
        assert _no_scan(now) == {"A": (today - dt.timedelta(days=60)).isoformat(),
                                 "B": today.isoformat(),
                                 "C": (today - dt.timedelta(days=60)).isoformat()}
        listed = json.loads(central("checkpoints", "list", "--json", "--db", storage.url).stdout)
        assert {p["id"]: (p["set_up_on"], p["closed_on"]) for p in listed}["B"] == (
            today.isoformat(), None)


def _no_scan(report: dict[str, Any]) -> dict[str, str]:
    """The points listed under "no scan in 7 days", with their set-up dates."""
    return {r["checkpoint_id"]: r["params"]["set_up_on"] for r in report["not_scanning"]
            if r["problem"] == "no_scan_7_days"}


def test_a_move_within_a_month_splits_the_month_between_the_two_districts(
        engines: list[Storage]) -> None:
    """B moved to X on 20 November: its scans of the 10th are Y's, of the 25th X's; it was
    set up in each (a district's count of its points set up in the month is of those it
    had then); the province counts it once."""
    world = _province(dt.date(2026, 10, 1), {"B": [dt.date(2026, 11, 10)] * 2
                                             + [dt.date(2026, 11, 25)]})
    now = dt.datetime(2026, 12, 5, 1, tzinfo=dt.UTC)
    for storage in engines:
        load(storage, world)
        registry.upsert(storage, [Checkpoint("B", "Bến xe", district=X)], today="2026-11-20",
                        by=TESTS)
        month = reports.monthly(storage, "2026-11", now=now)
        assert {r["district"]: (r["points_set_up"], r["points_scanned"], r["scans"])
                for r in month["by_district"]} == {X: (2, 1, 1), Y: (2, 1, 2)}, storage.url
        assert month["summary"]["points_set_up"] == 3
        assert _districts(reports.daily(storage, dt.date(2026, 11, 10), now=now)) == {
            X: (1, 0), Y: (2, 2)}
        assert _districts(reports.daily(storage, dt.date(2026, 11, 25), now=now)) == {
            X: (2, 1), Y: (1, 0)}


def test_an_edit_of_a_name_only_makes_no_new_version(engines: list[Storage]) -> None:
    """Reports group by district, province, commune and kind; a name or address corrected
    is not a change of those, and reports show the name as it is now."""
    for storage in engines:
        load(storage, _province(dt.date(2026, 10, 1), {}))
        central("checkpoints", "edit", "B", "--name", "Bến xe mới", "--address", "QL13",
                "--db", storage.url)
        assert storage._query("SELECT checkpoint_id, from_day FROM checkpoint_versions "
                              "WHERE checkpoint_id = 'B'") == [("B", registry.SINCE_EVER)]
        assert [p.set_up_on for p in registry.checkpoints(storage) if p.id == "B"] == [
            "2026-10-01"]


def test_a_database_from_before_the_history_takes_each_points_row_as_its_history(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/central.db"
    with open_storage(url) as storage:
        registry.upsert(storage, [
            Checkpoint("A", "Chợ", district=X, set_up_on="2026-10-01"),
            Checkpoint("B", "Bến xe", district=Y, set_up_on="2026-10-01",
                       closed_on="2026-11-10")], today="2026-11-20", by=TESTS)
        with storage._transaction() as tx:
            storage._execute(tx, "DROP TABLE checkpoint_versions")
            storage._execute(tx, "DROP TABLE checkpoint_periods")
            set_schema_version(storage, tx, HISTORY_VERSION - 1)  # before the history
    with open_storage(url) as storage:
        assert storage._query("SELECT checkpoint_id, from_day, district FROM "
                              "checkpoint_versions ORDER BY checkpoint_id") == [
            ("A", registry.SINCE_EVER, X), ("B", registry.SINCE_EVER, Y)]
        assert storage._query("SELECT checkpoint_id, set_up_on, closed_on FROM "
                              "checkpoint_periods ORDER BY checkpoint_id") == [
            ("A", "2026-10-01", None), ("B", "2026-10-01", "2026-11-10")]
        report = reports.daily(storage, dt.date(2026, 11, 12),
                               now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
        assert report["summary"]["points_set_up"] == 1


def test_the_set_up_date_option_says_what_an_edit_does_without_it() -> None:
    help_text = " ".join(central("checkpoints", "edit", "--help").stdout.split())
    assert "default: today" not in help_text
    assert "kept" in help_text


def test_who_added_a_point_and_moved_it_is_in_the_audit_log(tmp_path: Path) -> None:
    """A point's district decides which district officer sees its numbers: adding it and
    each change of what reports read of it are recorded, with who did it; a name corrected
    is not."""
    url = database_url("sqlite", tmp_path)
    central("checkpoints", "add", "B", "--name", "Bến xe", "--district", Y, "--set-up-on",
            "2026-10-01", "--db", url)
    central("checkpoints", "edit", "B", "--name", "Bến xe mới", "--db", url)
    central("checkpoints", "edit", "B", "--district", X, "--db", url)
    records = json.loads(central("audit", "list", "--kind", "checkpoint", "--json",
                                 "--db", url).stdout)
    assert [(r["subject"], r["channel"]) for r in records] == [
        (f"B: district '{Y}' → '{X}'", "cli"),
        (f"B: added, province '', district '{Y}', commune '', kind 'other', "
         "set_up_on '2026-10-01', closed_on None", "cli")]
    assert records[0]["actor"] == audit.command_actor()
