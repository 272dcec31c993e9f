"""The Reports page is what a person reads, not the whole report: each section shows its first
100 rows (pages_reports.ROWS_SHOWN), says how many more there are and links to the CSV/XLSX
download holding every one; a district officer's page is cut to their district first. And no
page is drawn on the server's request loop: while a page is being drawn, kiosks' uploads and
health checks are answered."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_support import batch, central, database_url, enrol, kiosk_entries, serving
from selenium.webdriver.common.by import By
from web_support import add_users, browser, chromium_binaries, log_in, signed_in

from kiosk.central import report_formats, reports
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.web.pages_reports import ROWS_SHOWN, shown
from kiosk.sync import protocol

HEADER = ("Mã điểm,Tên điểm,Tỉnh,Huyện,Xã,Loại địa điểm,Địa chỉ,Vĩ độ,Kinh độ,Ngày triển khai,"
          "Ngày đóng")
DISTRICTS = {"Đồng Xoài": ("DX", 130), "Bù Đăng": ("BD", 20)}
"""A registry larger than a page's section: 130 points in one district, 20 in another, all
set up in 2021 and none scanning (each is a row of "Nơi không quét")."""


def import_registry(tmp: Path, db: str) -> None:
    lines = [HEADER] + [f"BP-{code}-{i:03d},Điểm {i},Bình Phước,{district},Tân Phú,Cơ quan,"
                        f"Số {i},11.5,106.9,2021-08-01,"
                        for district, (code, count) in DISTRICTS.items()
                        for i in range(1, count + 1)]
    registry = tmp / "registry.csv"
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    central("checkpoints", "import", str(registry), "--db", db)


def not_scanning_rows(driver: Any) -> list[Any]:
    return driver.find_elements(
        By.XPATH, "//h2[.='Nơi không quét']/following-sibling::div[1]//tr[td]")


@pytest.mark.skipif(chromium_binaries() is None,
                    reason="chromium + chromium-driver not installed")
def test_a_section_longer_than_the_page_shows_its_first_rows_the_count_and_the_download(
        tmp_path: Path) -> None:
    db = database_url("sqlite", tmp_path)
    import_registry(tmp_path, db)
    add_users(db, {"viewer1": ("viewer", None),
                             "bd.officer": ("district", "Bù Đăng")})
    with open_storage(db) as storage, serving(create_app(storage)) as url, \
            browser() as driver:
        log_in(driver, url, "viewer1")
        driver.get(url + "/reports?date=2026-11-29")
        rows = not_scanning_rows(driver)
        assert len(rows) == ROWS_SHOWN == 100
        first = rows[0].find_element(By.TAG_NAME, "a").text
        assert first == "BP-BD-001"  # in the report's order
        more = driver.find_element(By.XPATH, "//h2[.='Nơi không quét']/following-sibling::p")
        assert more.text == "… và 50 dòng khác (tổng 150), đủ cả trong tệp tải về XLSX · CSV"
        links = {a.text: a.get_attribute("href") for a in more.find_elements(By.TAG_NAME, "a")}
        assert links == {"XLSX": url + "/reports/download?format=xlsx&date=2026-11-29",
                         "CSV": url + "/reports/download?format=csv&date=2026-11-29"}

        with signed_in(url, "viewer1") as client:  # the download holds every row
            download = client.get(links["CSV"]).text
        ids = {row[0] for row in csv.reader(io.StringIO(download)) if row}
        assert {f"BP-DX-{i:03d}" for i in range(1, 131)} <= ids
        assert {f"BP-BD-{i:03d}" for i in range(1, 21)} <= ids

        driver.delete_all_cookies()  # Bù Đăng's officer: their 20 rows, all shown
        log_in(driver, url, "bd.officer")
        driver.get(url + "/reports?date=2026-11-29")
        rows = not_scanning_rows(driver)
        assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == [
            f"BP-BD-{i:03d}" for i in range(1, 21)]
        assert "dòng khác" not in driver.find_element(By.TAG_NAME, "body").text


def test_the_points_shown_of_a_long_per_point_section_are_the_busiest() -> None:
    points = [{"checkpoint_id": f"P{i:03d}", "scans": i % 7} for i in range(150)]
    section = shown(report_formats.Table("Theo điểm", ("checkpoint_id", "scans"), points),
                    limit=10)
    assert [(p["checkpoint_id"], p["scans"]) for p in section.rows] == [
        ("P006", 6), ("P013", 6), ("P020", 6), ("P027", 6), ("P034", 6), ("P041", 6),
        ("P048", 6), ("P055", 6), ("P062", 6), ("P069", 6)]
    assert (section.more, section.total, section.most_scans_first) == (140, 150, True)
    short = shown(report_formats.Table("Theo điểm", ("checkpoint_id", "scans"), points[:10]),
                  limit=10)
    assert (short.rows, short.more, short.most_scans_first) == (points[:10], 0, False)


def test_while_a_page_is_being_drawn_uploads_and_health_checks_are_answered(
        tmp_path: Path) -> None:
    """The Reports page is held in the middle of its drawing until a kiosk's upload and a
    health check have been answered: were it drawn on the request loop, neither could be."""
    db = database_url("sqlite", tmp_path)
    import_registry(tmp_path, db)
    add_users(db, {"viewer1": ("viewer", None)})
    kiosk = enrol(db, "kiosk-dx1", "BP-DX-001")
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 5, kiosk.checkpoint_id)
    with open_storage(db) as storage:
        app = create_app(storage)
        templates = app.state.web.templates
        draw = templates.TemplateResponse
        drawing, answered = threading.Event(), threading.Event()
        loop_in_drawing_thread: list[bool] = []

        def held_drawing(request: Any, name: str, context: Any, **kwargs: Any) -> Any:
            if name == "reports.html":
                try:
                    asyncio.get_running_loop()
                    loop_in_drawing_thread.append(True)
                except RuntimeError:
                    loop_in_drawing_thread.append(False)
                drawing.set()
                answered.wait(30)
            return draw(request, name, context, **kwargs)

        templates.TemplateResponse = held_drawing
        with serving(app) as url, signed_in(url, "viewer1") as client:
            page: list[httpx.Response] = []
            viewer = threading.Thread(
                target=lambda: page.append(client.get("/reports?date=2026-11-29")))
            viewer.start()
            try:
                assert drawing.wait(30)
                health = httpx.get(url + protocol.HEALTH_PATH, timeout=10)
                data, used = protocol.encode_body(batch(kiosk.kiosk_id, entries), "gzip")
                upload = httpx.post(url + protocol.BATCHES_PATH, content=data, timeout=10,
                                    headers={"Content-Type": "application/json",
                                             "Content-Encoding": used,
                                             **protocol.bearer(kiosk.token)})
            finally:
                answered.set()
                viewer.join(30)
            assert health.status_code == 200
            assert upload.status_code == 200, upload.text
            assert loop_in_drawing_thread == [False]  # drawn in a worker thread
            assert page[0].status_code == 200 and "Nơi không quét" in page[0].text


def test_viewers_asking_for_a_report_being_built_share_that_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three asking for 29 November's report at once — a viewer's page, a district officer's
    page and the JSON — are answered from one build, each as their role sees it; the next to
    ask after it is done gets that report, kept (the day is not made and none of its entries
    arrived since: kiosk.central.web.today_report.DaysNotMade), not a build of their own."""
    db = database_url("sqlite", tmp_path)
    import_registry(tmp_path, db)
    add_users(db, {"viewer1": ("viewer", None),
                             "bd.officer": ("district", "Bù Đăng")})
    build = reports.daily
    builds: list[str] = []
    release = threading.Event()

    def held_build(storage: Any, day: Any) -> Any:
        builds.append(day.isoformat())
        release.wait(30)
        return build(storage, day)

    monkeypatch.setattr(reports, "daily", held_build)
    with open_storage(db) as storage:
        app = create_app(storage)
        shared = app.state.web.report_builds
        key = ("daily", "2026-11-29", storage.calendar.name)
        with serving(app) as url, signed_in(url, "viewer1") as viewer, \
                signed_in(url, "bd.officer") as officer:
            answers: dict[str, httpx.Response] = {}
            asks = {"page": (viewer, "/reports?date=2026-11-29"),
                    "officer": (officer, "/reports?date=2026-11-29"),
                    "json": (viewer, "/api/v1/reports/daily?date=2026-11-29")}
            threads = [threading.Thread(target=lambda n=n, c=c, p=p: answers.update(
                {n: c.get(p)})) for n, (c, p) in asks.items()]
            for thread in threads:
                thread.start()
            try:
                for _ in range(600):  # until the two after the first wait for its build
                    if shared.waiting(key) == 2:
                        break
                    threading.Event().wait(0.05)
                assert shared.waiting(key) == 2
            finally:
                release.set()
                for thread in threads:
                    thread.join(30)
            assert builds == ["2026-11-29"]
            assert {n: a.status_code for n, a in answers.items()} == {
                "page": 200, "officer": 200, "json": 200}
            assert "BP-DX-001" in answers["page"].text
            assert "BP-DX-001" not in answers["officer"].text
            assert "BP-BD-020" in answers["officer"].text
            assert len(answers["json"].json()["not_scanning"]) == 150

            assert viewer.get("/reports?date=2026-11-29").status_code == 200
            assert builds == ["2026-11-29"]
