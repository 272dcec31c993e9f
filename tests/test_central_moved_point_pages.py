"""A point moved to another district shows each district officer its days in their
district, as the reports count them (the registry's history, v39): the old district's officer
keeps the point's earlier days — its page for such a day, its scans then, its kiosk's uploads
then — and the new district's officer sees the point from the day of the move on, not its
earlier days. A real `kiosk-central serve` on SQLite, the officers signed in over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from central_support import CentralServer, central
from report_support import GenBatch, GenKiosk, World, load, wire_entry
from web_support import add_users, signed_in

from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint

X, Y = "Đồng Xoài", "Bình Long"
OFFICERS = {"x.officer": ("district", X), "y.officer": ("district", Y), "admin1": ("admin", None)}


@dataclass
class Moved:
    url: str
    day: str
    """An earlier day, when the point was in X: three scans at 09:00."""
    today: str
    """The day of the move to Y: one scan."""


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moved]:
    tmp = tmp_path_factory.mktemp("moved-point")
    db = f"sqlite:///{tmp}/central.db"
    with open_storage(db) as storage:
        real = dt.datetime.now(dt.UTC).replace(microsecond=0)
        today = storage.calendar.day_of(real)
        # today's scan two minutes ago, or at midnight in the day's first two minutes (two
        # minutes ago was then yesterday: the fixture failed from 00:00 to 00:02)
        now = max(real - dt.timedelta(minutes=2), storage.calendar.start(today))
        day = today - dt.timedelta(days=3)
        kiosk = GenKiosk("k-a1", "CP-A1", 0.0, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), None)
        world = World("Asia/Ho_Chi_Minh", [
            Checkpoint("CP-A1", "Chốt A1", district=X, set_up_on="2020-01-01")], [kiosk])
        nine = world.local_midnight(day) + dt.timedelta(hours=9)
        world.batches = [
            GenBatch(kiosk, [wire_entry(kiosk, "CP-A1", nine + dt.timedelta(minutes=i), "in",
                                        False, i) for i in range(3)],
                     nine + dt.timedelta(minutes=5)),
            GenBatch(kiosk, [wire_entry(kiosk, "CP-A1", now, "in", False, 9)],
                     min(now + dt.timedelta(seconds=30), real))]
        load(storage, world)
    central("checkpoints", "edit", "CP-A1", "--district", Y, "--db", db)
    assert storage.today() == today, "the day turned while the test set up"  # the move's day
    central("report", "daily", "--date", day.isoformat(), "--db", db)  # derives the hours
    add_users(db, OFFICERS)
    server = CentralServer(db)
    try:
        yield Moved(server.url, day.isoformat(), today.isoformat())
    finally:
        server.stop()


def seen(url: str, who: str, path: str) -> tuple[int, int, int]:
    """(status, the page's scans per hour added up, rows of its latest scans or batches)."""
    with signed_in(url, who) as client:
        answer = client.get(path)
    if answer.status_code != 200:
        return answer.status_code, 0, 0
    hours = sum(int(n) for n in re.findall(r"\b\d+: (\d+)\b", answer.text))
    rows = len(re.findall(r"<td>k-a1</td>|<tr id=\"batch-", answer.text))
    return 200, hours, rows


def test_the_old_districts_officer_keeps_the_points_earlier_days(moved: Moved) -> None:
    """The report of the earlier day lists the point under X, and its link opens for X's
    officer: that day's hours, and only the scans and uploads of the days the point was X's.
    Today's page is Y's: X's officer is answered as for an unknown point. (Today's pages
    are asked for by the day of the move, so that a run going past midnight asks for it.)"""
    assert seen(moved.url, "x.officer", f"/checkpoints/CP-A1?day={moved.day}") == (200, 3, 3)
    assert seen(moved.url, "x.officer", f"/checkpoints/CP-A1?day={moved.today}")[0] == 404
    assert seen(moved.url, "x.officer", "/batches/k-a1") == (200, 0, 1)


def test_the_daily_reports_link_opens_the_points_page_of_that_day(moved: Moved) -> None:
    """The earlier day's report, read by X's officer, links the point to its page of that
    day: its hours then. Linked to today's page, X's officer was answered as for an
    unknown point — the point is Y's today."""
    with signed_in(moved.url, "x.officer") as client:
        report = client.get(f"/reports?date={moved.day}").text
    [link] = set(re.findall(r'href="(/checkpoints/CP-A1[^"]*)"', report))
    assert link == f"/checkpoints/CP-A1?day={moved.day}"
    assert seen(moved.url, "x.officer", link) == (200, 3, 3)


def test_the_monthly_reports_link_opens_the_points_page_of_the_month(moved: Moved) -> None:
    """The earlier day's month, read by X's officer, links the point to its page of that
    month: its last day there the point was X's, with the scans of X's days. Linked to
    today's page, X's officer was answered as for an unknown point. Y's officer's month
    (the move's) opens on today, the point Y's."""
    for who, month, rows in (("x.officer", moved.day[:7], 3), ("y.officer", moved.today[:7], 1)):
        with signed_in(moved.url, who) as client:
            report = client.get("/reports", params={"monthly": "true", "month": month}).text
        [link] = set(re.findall(r'href="(/checkpoints/CP-A1[^"]*)"', report))
        assert link == f"/checkpoints/CP-A1?month={month}"
        status, _, shown = seen(moved.url, who, link)
        assert (status, shown) == (200, rows), who


def test_the_new_districts_officer_sees_the_point_from_the_day_of_the_move_on(
        moved: Moved) -> None:
    """Y's officer opens today's page, with today's scan only, and the uploads since the
    move; the earlier day answers as an unknown point."""
    assert seen(moved.url, "y.officer", f"/checkpoints/CP-A1?day={moved.day}")[0] == 404
    assert seen(moved.url, "y.officer", f"/checkpoints/CP-A1?day={moved.today}") == (200, 1, 1)
    assert seen(moved.url, "y.officer", "/batches/k-a1") == (200, 0, 1)


def test_an_administrator_sees_every_day_of_the_point(moved: Moved) -> None:
    assert seen(moved.url, "admin1", f"/checkpoints/CP-A1?day={moved.day}") == (200, 3, 4)
    assert seen(moved.url, "admin1", "/batches/k-a1") == (200, 0, 2)
