"""What a browser keeps of the dashboard's forms: Chromium remembers what is typed into a
form's boxes (its form history, offered again in any box of the same name), so the traced
person's phone, name, birth year and the reason of a trace would be offered to whoever next
uses the browser — in the login page's or the Users page's "name" box too. The Tracing form
and the Users page's form say ``autocomplete="off"``: nothing typed there is kept.

A real `kiosk-central serve` and a real headless Chromium, whose own profile's form history
(the ``autofill`` table of its ``Web Data`` file) is read after the traces."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from web_support import (
    Centre,
    browser,
    chromium_binaries,
    click_and_wait,
    log_in,
    log_out,
    start_centre,
)

pytestmark = pytest.mark.skipif(chromium_binaries() is None,
                                reason="chromium + chromium-driver not installed")


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    centre = start_centre(tmp_path_factory.mktemp("form-history"))
    yield centre
    centre.server.stop()


def form_history(profile: str, copy: Path) -> set[tuple[str, str]]:
    """(box name, value) pairs the browser keeps, read from a copy of its profile's file
    (the browser holds the file open)."""
    shutil.copy(Path(profile) / "Default" / "Web Data", copy)
    with sqlite3.connect(copy) as db:
        return set(db.execute("SELECT name, value FROM autofill"))


def test_nothing_typed_into_the_tracing_form_is_kept_in_the_browsers_form_history(
        centre: Centre, tmp_path: Path) -> None:
    with browser() as chrome:
        log_in(chrome, centre.url, "tracer1")
        for boxes in ({"phone": "0912345678"},
                      {"person-name": "Trần Thị Bình", "birth-year": "1990"}):
            chrome.get(centre.url + "/tracing")
            for box, value in boxes.items():
                chrome.find_element(By.ID, box).send_keys(value)
            chrome.find_element(By.ID, "reason").send_keys("ca bệnh F0-1234 điều tra")
            click_and_wait(chrome, chrome.find_element(By.ID, "trace"))
            assert chrome.find_element(By.ID, "logged")  # traced, recorded in the audit log
        # a form the browser does remember, submitted last: once its name is kept, so is
        # anything typed before it
        log_out(chrome)
        chrome.find_element(By.ID, "name").send_keys("last.form")
        chrome.find_element(By.ID, "password").send_keys("not the password")
        click_and_wait(chrome, chrome.find_element(By.ID, "login"))
        profile = chrome.capabilities["chrome"]["userDataDir"]
        kept: set[tuple[str, str]] = set()

        def written(_: object) -> bool:
            nonlocal kept
            try:
                kept = form_history(profile, tmp_path / "web-data.db")
            except (FileNotFoundError, sqlite3.DatabaseError):  # not made yet
                return False
            return ("name", "last.form") in kept

        WebDriverWait(chrome, 60, poll_frequency=0.5).until(written)
    typed = {"0912345678", "Trần Thị Bình", "1990", "ca bệnh F0-1234 điều tra"}
    assert not {value for _, value in kept} & typed
    assert {name for name, _ in kept} <= {"name"}  # the login page's names only
