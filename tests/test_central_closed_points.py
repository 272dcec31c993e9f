"""A checkpoint closed in the registry whose kiosk was not revoked keeps uploading: its scans
are real, so they are accepted and counted (by point, not set up), and the daily report lists
the point under *scanning wrongly* as ``closed_still_scanning`` with the day's count, for
central staff to revoke or take away the kiosk. A real `kiosk-central serve` on SQLite and on
a real PostgreSQL, kiosks enrolled with the CLI, scans made by a real kiosk pipeline and
uploaded over HTTP."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pytest
from central_support import ENGINES, CentralServer, batch, database_url, enrol, kiosk_entries
from report_support import TESTS
from web_support import add_users, signed_in

from kiosk.central import registry
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.messages import CATALOGUE

DX, BL = "Đồng Xoài", "Bình Long"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_closed_point_still_scanning_is_a_problem_of_the_day_in_its_district_only(
        engine: str, tmp_path: Path) -> None:
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        today = storage.today()
    day = today.isoformat()
    month_ago, days_ago = (today - dt.timedelta(days=n) for n in (30, 3))
    points = {  # point: (district, closed on, scans uploaded today)
        "P-CLOSED": (DX, days_ago, 3),    # closed three days ago: listed
        "P-OPEN": (DX, None, 2),           # open: not listed
        "P-LATER": (DX, today + dt.timedelta(days=5), 2),  # closes after the day: not listed
        "P-CLOSING": (DX, today, 1),       # closed on the day: its last scans, not listed
        "P-BL-CLOSED": (BL, days_ago, 2),  # listed, but not for Đồng Xoài's officer
    }
    with open_storage(db) as storage:
        registry.upsert(storage, [
            Checkpoint(p, f"Điểm {p}", district=district, set_up_on=month_ago.isoformat(),
                       closed_on=closed and closed.isoformat())
            for p, (district, closed, _) in points.items()], today=day, by=TESTS)
    add_users(tmp_path, db, {"viewer1": ("viewer", None), "dx.officer": ("district", DX)})
    kiosks = {p: enrol(db, f"k-{p.lower()}", p) for p in points}
    server = CentralServer(db)
    try:
        for p, (_, _, count) in points.items():
            kiosk = kiosks[p]
            answer = server.post(batch(kiosk.kiosk_id, kiosk_entries(
                tmp_path, kiosk.kiosk_id, count, p)), token=kiosk.token)
            assert answer.status_code == 200, answer.text[:300]
            assert [r["status"] for r in answer.json()["results"]] == ["accepted"] * count
        with signed_in(server.url, "viewer1") as viewer:
            report = viewer.get("/api/v1/reports/daily", params={"date": day}).json()
            viewer.get("/lang/en")
            page = html.unescape(viewer.get("/reports", params={"date": day}).text)
        with signed_in(server.url, "dx.officer") as officer:
            scoped = officer.get("/api/v1/reports/daily", params={"date": day}).json()
    finally:
        server.stop()
    # nothing is lost: every scan is counted, the closed points' as not set up
    assert {(r["checkpoint_id"], r["set_up"], r["scans"]) for r in report["by_point"]} == {
        (p, closed is None or closed > today, count)
        for p, (_, closed, count) in points.items()}
    assert [(r["checkpoint_id"], r["problem"], r["params"]) for r in report["scanning_wrongly"]
            if r["problem"] == "closed_still_scanning"] == [
        ("P-BL-CLOSED", "closed_still_scanning", {"closed_on": days_ago.isoformat(), "scans": 2}),
        ("P-CLOSED", "closed_still_scanning", {"closed_on": days_ago.isoformat(), "scans": 3})]
    assert CATALOGUE["web.problem.closed_still_scanning"][1] in page
    assert f"3 scans, the point closed on {days_ago.isoformat()}" in page
    assert [(r["checkpoint_id"], r["district"]) for r in scoped["scanning_wrongly"]
            if r["problem"] == "closed_still_scanning"] == [("P-CLOSED", DX)]
