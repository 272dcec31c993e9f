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

import httpx
import pytest
from central_support import ENGINES, CentralServer, batch, database_url, enrol, kiosk_entries
from report_support import TESTS
from web_support import add_users, signed_in

from kiosk.central import registry
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.messages import CATALOGUE
from kiosk.sync import protocol

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
    add_users(db, {"viewer1": ("viewer", None), "dx.officer": ("district", DX)})
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


PAUSED = {"software_version": "0.1.0", "pending": 4, "oldest_pending_seconds": 60.0,
          "rejected": 0, "devices": [], "free_disk_bytes": 12_500_000_000,
          "refused_by_hour": {}, "uploads_paused": "store_unconfirmed"}
"""A kiosk's health report: alive, its uploads paused (it cannot confirm its store)."""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_closed_points_silent_or_paused_kiosk_is_no_place_that_does_not_scan(
        engine: str, tmp_path: Path) -> None:
    """A point closed, its kiosk unplugged but not revoked: the reports stopped counting the
    point as set up, yet listed its kiosk under "Nơi không quét" (not heard from) every day,
    a place that does not scan though it is not meant to; and a point not set up yet, its
    kiosk enrolled early. The points set up keep their kiosks' problems listed, and so does
    a closed point's kiosk whose uploads are paused: it holds entries it cannot send."""
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        today = storage.today()
    month_ago = (today - dt.timedelta(days=30)).isoformat()
    points = {  # point: (set up on, closed on, whether its kiosk reports its uploads paused)
        "P-OPEN": (month_ago, None, False),
        "P-OPEN-PAUSED": (month_ago, None, True),
        "P-CLOSED": (month_ago, today - dt.timedelta(days=10), False),
        "P-CLOSED-PAUSED": (month_ago, today - dt.timedelta(days=10), True),
        "P-LATER": ((today + dt.timedelta(days=5)).isoformat(), None, False),
    }
    with open_storage(db) as storage:
        registry.upsert(storage, [
            Checkpoint(p, f"Điểm {p}", district=DX, set_up_on=set_up_on,
                       closed_on=closed and closed.isoformat())
            for p, (set_up_on, closed, _) in points.items()], today=today.isoformat(), by=TESTS)
    add_users(db, {"viewer1": ("viewer", None)})
    kiosks = {p: enrol(db, f"k-{p.lower()}", p) for p in points}
    server = CentralServer(db)
    try:
        for p, (_, _, paused) in points.items():
            if paused:
                answer = httpx.post(server.url + protocol.HEARTBEAT_PATH,
                                    json=protocol.make_heartbeat(kiosks[p].kiosk_id, PAUSED),
                                    headers=protocol.bearer(kiosks[p].token), timeout=30)
                assert answer.status_code == 200, answer.text
        with signed_in(server.url, "viewer1") as viewer:
            report = viewer.get("/api/v1/reports/daily",
                                params={"date": today.isoformat()}).json()
    finally:
        server.stop()
    assert report["summary"]["points_set_up"] == 2
    assert sorted((r["checkpoint_id"], r["problem"]) for r in report["not_scanning"]) == [
        ("P-CLOSED-PAUSED", "uploads_paused_store_unconfirmed"),
        ("P-OPEN", "kiosk_silent_24h"), ("P-OPEN", "no_scan_7_days"),
        ("P-OPEN-PAUSED", "no_scan_7_days"),
        ("P-OPEN-PAUSED", "uploads_paused_store_unconfirmed")]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_closed_points_kiosk_is_no_kiosk_to_chase_and_shows_as_closed(
        engine: str, tmp_path: Path) -> None:
    """A point closed ten days ago, its two kiosks left enrolled, nothing pending on either:
    one still heartbeating with its clock ten minutes behind, one never heard from. The
    reports (and the dashboard's Today page, which shows today's) listed the clock under
    "Nơi quét sai" and both under "Máy chưa gửi đủ" every day, kiosks no one is to chase;
    the Kiosks page showed them as problems. Now an open point's kiosks alike (the one
    heartbeating with a two-day-old backlog too) are listed, the closed point's are not,
    and the Kiosks page shows them as its point's, closed, to revoke — out of "only kiosks
    with problems"."""
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        today = storage.today()
    closed_on = today - dt.timedelta(days=10)
    points = {"P-OPEN": None, "P-CLOSED": closed_on}
    with open_storage(db) as storage:
        registry.upsert(storage, [
            Checkpoint(p, f"Điểm {p}", district=DX,
                       set_up_on=(today - dt.timedelta(days=30)).isoformat(),
                       closed_on=closed and closed.isoformat())
            for p, closed in points.items()], today=today.isoformat(), by=TESTS)
    add_users(db, {"admin1": ("admin", None)})
    wrong = {p: enrol(db, f"k-{p.lower()}-wrong", p) for p in points}
    for p in points:
        enrol(db, f"k-{p.lower()}-quiet", p)  # never heard from
    behind = {"P-OPEN": {**PAUSED, "uploads_paused": None, "oldest_pending_seconds": 2 * 86400.0},
              "P-CLOSED": {**PAUSED, "uploads_paused": None, "pending": 0,
                           "oldest_pending_seconds": None}}
    server = CentralServer(db)
    try:
        for p, kiosk in wrong.items():
            answer = httpx.post(server.url + protocol.HEARTBEAT_PATH, json=protocol.make_heartbeat(
                kiosk.kiosk_id, behind[p], dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)),
                headers=protocol.bearer(kiosk.token), timeout=30)
            assert answer.status_code == 200, answer.text
        report, today_page, kiosks_page, with_problems = _admin_reads(server, today)
    finally:
        server.stop()
    assert sorted((r["kiosk_id"], r["problem"]) for r in report["scanning_wrongly"]) == [
        ("k-p-open-wrong", "clock_off"), ("k-p-open-wrong", "old_backlog")]
    assert sorted(r["kiosk_id"] for r in report["not_scanning"] if "kiosk_id" in r) == [
        "k-p-open-quiet"]
    assert sorted(r["kiosk_id"] for r in
                  report["completeness"]["kiosks_not_heard_since_day_end"]) == [
        "k-p-open-quiet", "k-p-open-wrong"]
    assert "k-p-open-wrong" in today_page and "k-p-closed" not in today_page
    closed_words = CATALOGUE["web.kiosks.point_closed"][1].format(day=closed_on.isoformat())
    assert kiosks_page.count(closed_words) == 2
    assert "k-p-open-wrong" in with_problems and "k-p-closed" not in with_problems


def _admin_reads(server: CentralServer, today: dt.date) -> tuple[dict, str, str, str]:
    """What an administrator reads of the kiosks: today's report as JSON, then in English
    the Today page, the Kiosks page and its "only kiosks with problems"."""
    with signed_in(server.url, "admin1") as admin:
        report = admin.get("/api/v1/reports/daily", params={"date": today.isoformat()}).json()
        admin.get("/lang/en")
        return (report, html.unescape(admin.get("/today").text),
                html.unescape(admin.get("/kiosks").text),
                admin.get("/kiosks", params={"problems": "true"}).text)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_closed_points_kiosk_still_holding_entries_is_chased_until_they_are_in(
        engine: str, tmp_path: Path) -> None:
    """A point closed two days ago, its kiosks left enrolled: one still reports 1,200 entries
    not sent, the oldest four days old, and its store damaged (uploads stopped for good);
    one reports three entries of unknown age. Those entries exist nowhere else: the report,
    Today and "only kiosks with problems" dropped the first as nothing to chase, and the
    Kiosks page advised revoking both — which refuses their uploads, the entries lost. Now
    they are chased as any kiosk's, and the page says to bring their entries in first."""
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        today = storage.today()
    closed_on = today - dt.timedelta(days=2)
    with open_storage(db) as storage:
        registry.upsert(storage, [Checkpoint(
            "P-CLOSED", "Điểm đóng", district=DX,
            set_up_on=(today - dt.timedelta(days=30)).isoformat(),
            closed_on=closed_on.isoformat())], today=today.isoformat(), by=TESTS)
    add_users(db, {"admin1": ("admin", None)})
    health = {
        "k-damaged": {**PAUSED, "pending": 1200, "oldest_pending_seconds": 4 * 86400.0,
                      "uploads_paused": "store_damaged"},
        "k-unknown-age": {**PAUSED, "pending": 3, "oldest_pending_seconds": None,
                          "uploads_paused": None},
    }
    server = CentralServer(db)
    try:
        for kiosk_id, report in health.items():
            kiosk = enrol(db, kiosk_id, "P-CLOSED")
            answer = httpx.post(server.url + protocol.HEARTBEAT_PATH,
                                json=protocol.make_heartbeat(kiosk_id, report),
                                headers=protocol.bearer(kiosk.token), timeout=30)
            assert answer.status_code == 200, answer.text
        report, today_page, kiosks_page, with_problems = _admin_reads(server, today)
    finally:
        server.stop()
    assert [(r["kiosk_id"], r["problem"]) for r in report["not_scanning"]] == [
        ("k-damaged", "uploads_paused_store_damaged")]
    assert [(r["kiosk_id"], r["problem"]) for r in report["scanning_wrongly"]] == [
        ("k-damaged", "old_backlog")]
    assert [r["kiosk_id"] for r in report["completeness"]["kiosks_backlog_age_unknown"]] == [
        "k-unknown-age"]
    assert "k-damaged" in today_page
    assert "k-damaged" in with_problems
    holding = CATALOGUE["web.kiosks.point_closed_holding"][1].format(day=closed_on.isoformat())
    assert kiosks_page.count(holding) == 2
    assert "revoke it if it is no longer used" not in kiosks_page
