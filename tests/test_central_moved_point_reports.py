"""A point moved to another district during a month, as each district officer's reports show
it: every figure of a district — its summary, its row, its points' rows — is of the days the
point was in that district. The month lists the moved point once per district, each row of
its days there (the old district's with the scans, manual entries and refusals of before
the move, the new one's of after), so that an officer's summary is their points' rows added
up; the daily reports of the eve and of the day of the move put the point in the district of
their day. Checked where officers read them — the Reports page, the CSV download and the
JSON API — on a real `kiosk-central serve` over SQLite and over PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from central_support import ENGINES, CentralServer, database_url
from report_support import TESTS, GenBatch, GenKiosk, World, load, wire_entry
from web_support import add_users, signed_in

from kiosk.central import registry, report_formats
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.central.web import i18n

OLD, NEW = "Đồng Xoài", "Bình Long"
USERS = {"old.officer": ("district", OLD), "new.officer": ("district", NEW),
         "admin1": ("admin", None)}
MEASURES = ("scans", "manual", "refused")
Figures = tuple[tuple[int, ...], list[tuple[Any, ...]]]
"""(an officer's summary scans, manual, refused; the rows of P2: district and the same)."""


@dataclass
class Moved:
    url: str
    month: str
    """Last month: P2 moved from OLD to NEW on its 20th."""


@pytest.fixture(scope="module", params=ENGINES)
def moved(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Moved]:
    """P1 and P2 in OLD. P2 on the 10th: three scans (two typed by hand) and three reads
    refused; on the 19th one scan. P2 moved to NEW on the 20th, and scanned once then, one
    read refused. P1 on the 12th: one scan."""
    tmp = tmp_path_factory.mktemp("moved-reports")
    db = database_url(request.param, tmp)
    with open_storage(db) as storage:
        month = (storage.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        kiosks = {p: GenKiosk(f"k{p}", p, 0.0, dt.datetime(2020, 1, 1, tzinfo=dt.UTC), None)
                  for p in ("P1", "P2")}
        world = World("Asia/Ho_Chi_Minh", [
            Checkpoint(p, f"Chốt {p}", district=OLD, set_up_on="2020-01-01") for p in kiosks],
            list(kiosks.values()))
        for point, day, manual in (("P2", 10, True), ("P2", 10, True), ("P2", 10, False),
                                   ("P2", 19, False), ("P2", 20, False), ("P1", 12, False)):
            at = world.local_midnight(dt.date.fromisoformat(f"{month}-{day}")) + dt.timedelta(
                hours=9, seconds=len(world.batches))
            world.batches.append(GenBatch(kiosks[point], [wire_entry(
                kiosks[point], point, at, "in", manual, len(world.batches))],
                at + dt.timedelta(minutes=1)))
        load(storage, world)
        with storage._transaction() as tx:  # the reads refused, as kP2's heartbeats told them
            for day, refused in ((10, 3), (20, 1)):
                storage._execute(tx, "INSERT INTO refused_hours (kiosk_id, hour, refused) "
                                     "VALUES ($1, $2, $3)", ("kP2", f"{month}-{day}T02", refused))
        registry.upsert(storage, [Checkpoint("P2", "Chốt P2", district=NEW)],
                        today=f"{month}-20", by=TESTS)
    add_users(db, USERS)
    server = CentralServer(db)
    try:
        yield Moved(server.url, month)
    finally:
        server.stop()


def from_json(report: dict[str, Any]) -> Figures:
    return (tuple(report["summary"][m] for m in MEASURES),
            [(p["district"], *(p[m] for m in MEASURES)) for p in report["by_point"]
             if p["checkpoint_id"] == "P2"])


def from_csv(text: str) -> Figures:
    """The summary's and P2's rows of a CSV download: its sections one after another, each
    a "# title" line, its column names and its rows."""
    sections: dict[str, list[list[str]]] = {}
    for row in csv.reader(io.StringIO(text)):
        if row[:1] and row[0].startswith("# "):
            sections[row[0][2:]] = rows = []
        elif row:
            rows.append(row)
    return figures(dict(sections["Tổng hợp"][1:]), sections["Theo điểm"],
                   report_formats.LABELS)


def from_page(html: str) -> Figures:
    """The summary's and P2's rows of the Reports page, as a district officer reads it (in
    Vietnamese, the page's column names)."""
    def rows(table: str) -> list[list[str]]:
        return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(
            r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)] for row in re.findall(
            r"<tr>(.*?)</tr>", table, re.S)]

    t = i18n.translator("vi")
    summary = re.search(r'<table id="summary"[^>]*>(.*?)</table>', html, re.S)
    points = re.search(rf"<h2>{t.title('Theo điểm')}</h2>.*?<table>(.*?)</table>", html, re.S)
    assert summary and points
    return figures(dict(rows(summary[1])), rows(points[1]),
                   {key: t.column(key) for key in ("district", *MEASURES)})


def figures(summary: dict[str, str], points: list[list[str]], names: dict[str, str]
            ) -> Figures:
    """(the summary's measures, P2's rows) of a table ``points`` whose first row names its
    columns, ``names`` the column names of the keys."""
    header, *rows = points
    at = [header.index(names[key]) for key in ("district", *MEASURES)]
    return (tuple(int(summary[names[m]]) for m in MEASURES),
            [(row[at[0]], *(int(row[i]) for i in at[1:])) for row in rows if row[0] == "P2"])


def officers_month(moved: Moved, officer: str) -> list[Figures]:
    """The month as ``officer`` reads it: its page, its CSV download, its JSON."""
    query = f"monthly=true&month={moved.month}"
    with signed_in(moved.url, officer) as client:
        return [from_page(client.get(f"/reports?{query}").text),
                from_csv(client.get(f"/reports/download?format=csv&{query}")
                         .content.decode("utf-8-sig")),
                from_json(client.get(f"/api/v1/reports/monthly?month={moved.month}").json())]


def test_each_district_officer_reads_the_moved_points_days_in_their_district(
        moved: Moved) -> None:
    """The old district's officer had the point's scans in the summary without its manual
    entries and refusals, and no row of it; the new one's had those of the 10th, when the
    point was not theirs, beside a summary without them."""
    assert officers_month(moved, "old.officer") == [((5, 2, 3), [(OLD, 4, 2, 3)])] * 3
    assert officers_month(moved, "new.officer") == [((1, 0, 1), [(NEW, 1, 0, 1)])] * 3


def test_the_province_lists_the_moved_point_once_per_district_in_the_order_it_was_in_them(
        moved: Moved) -> None:
    with signed_in(moved.url, "admin1") as client:
        month = client.get(f"/api/v1/reports/monthly?month={moved.month}").json()
    assert [(p["checkpoint_id"], p["district"], p["set_up"], p["days_scanned"],
             *(p[m] for m in MEASURES)) for p in month["by_point"]] == [
        ("P1", OLD, True, 1, 1, 0, 0), ("P2", OLD, True, 2, 4, 2, 3),
        ("P2", NEW, True, 1, 1, 0, 1)]
    assert from_json(month)[0] == (6, 2, 4)
    assert {r["district"]: (r["points_set_up"], r["points_scanned"], r["scans"],
                            r["manual"], r["refused"]) for r in month["by_district"]} == {
        OLD: (2, 2, 5, 2, 3), NEW: (1, 1, 1, 0, 1)}


@pytest.mark.parametrize(("day", "figures"), [
    (19, {"old.officer": ((1, 0, 0), [(OLD, 1, 0, 0)]), "new.officer": ((0, 0, 0), [])}),
    (20, {"old.officer": ((0, 0, 0), []), "new.officer": ((1, 0, 1), [(NEW, 1, 0, 1)])})])
def test_the_daily_reports_of_the_eve_and_the_day_of_the_move_are_of_their_days_district(
        moved: Moved, day: int, figures: dict[str, Figures]) -> None:
    """The 19th's scan is the old district's; the 20th's, and its refused read, the new
    one's, whole (a move counts from the start of its day), in the summary as in the row."""
    date = f"{moved.month}-{day}"
    for officer, expected in figures.items():
        with signed_in(moved.url, officer) as client:
            assert from_json(client.get(f"/api/v1/reports/daily?date={date}").json()) == \
                expected, officer
            assert from_csv(client.get(f"/reports/download?format=csv&date={date}")
                            .content.decode("utf-8-sig")) == expected, officer
