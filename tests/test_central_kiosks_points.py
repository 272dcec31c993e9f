"""The Kiosks page at a province's size: the enrol form's point box asks the centre.

At 20,000 points ``/kiosks`` was 1.0 MB and took 1.1-1.3 s, 909 KB of it the enrol form's
list of every point, sent on every view, every page of kiosks and ``?problems=true``. Now
the box asks ``/kiosks/points?q=…`` as the admin types (at most 20 points, a district
officer's own district only), the page is the same size whatever the registry holds, and
the point is checked when the form is posted (an id the registry lacks is refused, naming
the nearest). A real `kiosk-central serve`, the sample registry, and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from central_support import CentralServer, central, database_url
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from web_support import (
    SAMPLE,
    add_users,
    browser,
    chromium_binaries,
    click_and_wait,
    log_in,
    signed_in,
)

HEADER = SAMPLE.read_text(encoding="utf-8").splitlines()[0]


def add_points(tmp: Path, db: str, count: int) -> None:
    """``count`` more points in Lộc Ninh, named "Điểm Lộc Ninh n", imported as the registry
    is."""
    csv = tmp / "more-points.csv"
    csv.write_text("\n".join([HEADER, *(
        f"BP-LN-{n:05d},Điểm Lộc Ninh {n},Bình Phước,Lộc Ninh,Lộc Thái,Chợ,Ấp {n},,,2021-09-01,"
        for n in range(count))]) + "\n", encoding="utf-8")
    central("checkpoints", "import", str(csv), "--db", db)


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(db, url): the sample registry, an admin and a district officer of Đồng Xoài."""
    db = database_url("sqlite", tmp_path)
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    add_users(db, {"admin1": ("admin", None), "dx.officer": ("district", "Đồng Xoài")})
    server = CentralServer(db)
    try:
        yield db, server.url
    finally:
        server.stop()


def test_the_kiosks_page_is_the_same_size_whatever_the_registry_holds(
        tmp_path: Path, centre: tuple[str, str]) -> None:
    db, url = centre
    paths = ("/kiosks", "/kiosks?problems=true")
    with signed_in(url, "admin1") as admin:
        before = [len(admin.get(path).content) for path in paths]
        add_points(tmp_path, db, 2000)
        after = [len(admin.get(path).content) for path in paths]
    assert after == before


def test_the_point_box_is_offered_the_points_holding_what_is_typed(
        tmp_path: Path, centre: tuple[str, str]) -> None:
    db, url = centre
    add_points(tmp_path, db, 50)
    with signed_in(url, "admin1") as admin:
        assert admin.get("/kiosks/points", params={"q": "cho dong"}).json() == [
            {"id": "BP-DX-003", "name": "Chợ Đồng Xoài"}]  # any case, accents or not
        assert admin.get("/kiosks/points", params={"q": "bp-dx-00"}).json()[0] == {
            "id": "BP-DX-001", "name": "Chốt kiểm soát QL14 cầu Thác Mơ"}
        many = admin.get("/kiosks/points", params={"q": "Lộc Ninh"}).json()
        assert [p["id"] for p in many] == [f"BP-LN-{n:05d}" for n in range(20)]
    with signed_in(url, "dx.officer") as officer:  # their district's points only
        assert {p["id"] for p in officer.get("/kiosks/points", params={"q": "BP-"}).json()} == {
            "BP-DX-001", "BP-DX-002", "BP-DX-003"}
        assert officer.get("/kiosks/points", params={"q": "Lộc Ninh"}).json() == []


@pytest.mark.skipif(chromium_binaries() is None, reason="chromium + chromium-driver not installed")
def test_an_admin_types_part_of_a_points_name_picks_it_and_enrols_a_kiosk_there(
        centre: tuple[str, str]) -> None:
    _, url = centre
    with browser() as chrome:
        chrome.get(f"{url}/lang/en?next=/login")
        log_in(chrome, url, "admin1")
        chrome.get(url + "/kiosks")
        box = chrome.find_element(By.ID, "checkpoint")
        box.send_keys("thac mo")
        offered = WebDriverWait(chrome, 30).until(lambda c: [
            (o.get_attribute("value"), o.get_attribute("textContent"))
            for o in c.find_elements(By.CSS_SELECTOR, "#points option")])
        assert offered == [("BP-DX-001", "Chốt kiểm soát QL14 cầu Thác Mơ")]
        box.clear()
        box.send_keys("BP-DX-009")  # not in the registry: refused when posted
        chrome.find_element(By.NAME, "name").send_keys("Máy cổng 2")
        click_and_wait(chrome, chrome.find_element(By.CSS_SELECTOR, "#enrol button"))
        refused = chrome.find_element(By.CSS_SELECTOR, ".error").text
        chrome.find_element(By.ID, "checkpoint").send_keys(offered[0][0])
        chrome.find_element(By.NAME, "name").send_keys("Máy cổng 2")
        click_and_wait(chrome, chrome.find_element(By.CSS_SELECTOR, "#enrol button"))
        enrolled = chrome.find_element(By.ID, "enrolled").text
    assert "checkpoint 'BP-DX-009' is not in the registry" in refused
    assert 'checkpoint_id = "BP-DX-001"' in enrolled
