"""The batch log page: every upload a kiosk sent and what became of its entries (new, already
held, past retention, refused), for administrators and district officers — an officer sees
their district's kiosks only, another district's kiosk answers 404 as an unknown one does —
paged by key, newest
first. A real `kiosk-central serve` on SQLite and on a real PostgreSQL, with batches posted by
a kiosk over HTTP, read by httpx and by a headless Chromium."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from central_support import ENGINES, batch, database_url, enrol, kiosk_entries
from report_support import TESTS
from selenium.webdriver.common.by import By
from web_support import (
    SAMPLE,
    Centre,
    add_users,
    browser,
    chromium_binaries,
    click_and_wait,
    log_in,
    signed_in,
    start_centre,
)

from kiosk.central import registry
from kiosk.central.backends import open_storage
from kiosk.central.enrol import enrol_kiosk
from kiosk.central.web import batch_log

OFFICERS = {"bl.officer": ("district", "Bình Long")}
RESENT = 3
ONE_BY_ONE = 53
"""kiosk-dx2's batches: RESENT new entries, the same again with one of another checkpoint
(refused), then ONE_BY_ONE batches of one entry: 55 in all, more than a page holds."""


@pytest.fixture(scope="module", params=ENGINES)
def centre(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Centre]:
    """The web tests' centre (kiosk-dx1 in Đồng Xoài and kiosk-bl1 in Bình Long, a batch
    each) with a Bình Long officer, and kiosk-dx2 at BP-DX-002 having sent its 55 batches."""
    tmp = tmp_path_factory.mktemp("batch-log")
    running = start_centre(tmp, database_url(request.param, tmp))
    try:
        add_users(running.db, OFFICERS)
        kiosk = enrol(running.db, "kiosk-dx2", "BP-DX-002")
        entries = kiosk_entries(tmp, "kiosk-dx2", RESENT + ONE_BY_ONE, "BP-DX-002", start=500)
        elsewhere = kiosk_entries(tmp, "kiosk-dx2", 1, "BP-DX-001", start=900)
        sent = [entries[:RESENT], entries[:RESENT] + elsewhere,
                *([entry] for entry in entries[RESENT:])]
        for entries_sent in sent:
            answer = running.server.post(batch("kiosk-dx2", entries_sent), token=kiosk.token)
            assert answer.status_code == 200, answer.text
        running.entries["kiosk-dx2"] = entries + elsewhere
        yield running
    finally:
        running.server.stop()


def rows(page: str, table: str) -> list[str]:
    """The ids of the rows of the table ``table`` (``kiosk-…``, ``batch-…``), in order."""
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr id="([^"]+)"', body)


def test_an_officer_sees_their_districts_kiosks_only(centre: Centre) -> None:
    lists = {}
    for name in ("admin1", "dx.officer", "bl.officer"):
        with signed_in(centre.url, name) as client:
            answer = client.get("/batches")
            assert answer.status_code == 200
            lists[name] = rows(answer.text, "batch-kiosks")
            answers = {other: client.get(f"/batches/{other}")
                       for other in ("kiosk-dx1", "kiosk-dx2", "kiosk-bl1", "kiosk-none")}
            assert {other: answer.status_code for other, answer in answers.items()} == {
                "kiosk-dx1": 404 if name == "bl.officer" else 200,
                "kiosk-dx2": 404 if name == "bl.officer" else 200,
                "kiosk-bl1": 404 if name == "dx.officer" else 200,
                "kiosk-none": 404}
            # another district's: the very answer of an unknown id (but for the page's own
            # address, in its language link)
            unknown = answers["kiosk-none"].text
            assert [other for other, answer in answers.items() if answer.status_code == 404
                    and answer.text.replace(other, "kiosk-none") != unknown] == []
    assert lists == {"admin1": ["kiosk-kiosk-bl1", "kiosk-kiosk-dx1", "kiosk-kiosk-dx2"],
                     "dx.officer": ["kiosk-kiosk-dx1", "kiosk-kiosk-dx2"],
                     "bl.officer": ["kiosk-kiosk-bl1"]}
    with signed_in(centre.url, "bl.officer") as client:
        refused = client.get("/batches/kiosk-dx1").text
        assert "kiosk-dx1" not in refused.split("<main>", 1)[1]  # not even its batches' ids
        for lang in ("vi", "en"):  # the same in either language, the next pages' keys too
            client.get(f"/lang/{lang}")
            unknown = client.get("/batches/kiosk-none?before=5")
            other = client.get("/batches/kiosk-dx1?before=5")
            assert (other.status_code, other.text.replace("kiosk-dx1", "kiosk-none")) == (
                404, unknown.text)


def test_viewers_and_tracers_have_no_batch_log(centre: Centre) -> None:
    for name in ("viewer1", "tracer1"):
        with signed_in(centre.url, name) as client:
            assert client.get("/batches").status_code == 403
            assert client.get("/batches/kiosk-dx1").status_code == 403
            assert 'href="/batches"' not in client.get("/today").text
    with httpx.Client(base_url=centre.url) as anonymous:
        answer = anonymous.get("/batches/kiosk-dx1")
        assert (answer.status_code, answer.headers["location"]) == (
            303, "/login?next=%2Fbatches%2Fkiosk-dx1")


def test_the_log_shows_no_personal_data(centre: Centre) -> None:
    personal = centre.personal_values()
    with signed_in(centre.url, "admin1") as client:
        for url in ("/batches", "/batches/kiosk-dx2", "/batches/kiosk-dx1"):
            for lang in ("vi", "en"):
                client.get(f"/lang/{lang}")
                text = client.get(url).text
                assert not {value for value in personal if value in text}, url


def test_a_paging_key_that_is_not_a_number_is_refused_in_words(centre: Centre) -> None:
    """A page link's key is ASCII digits: "²" (which ``str.isdigit`` takes and ``int``
    refuses: an English 500 and a dropped connection, it was), "٣" (which ``int`` reads as
    3), a word or a number too long answer 400 saying which key, in the reader's language;
    the same connection then goes on."""
    with signed_in(centre.url, "admin1") as client:
        for lang, said in (("vi", "phải là một số nguyên (chữ số 0-9)"),
                           ("en", "must be a whole number (digits 0-9)")):
            client.get(f"/lang/{lang}")
            for name in ("before", "after"):
                for bad in ("²", "٣", "3a", "-1", "9" * 19):
                    answer = client.get(f"/batches/kiosk-dx2?{name}={quote(bad)}")
                    assert answer.status_code == 400, (name, bad, answer.text[:200])
                    assert said in answer.text and f"{name} " in answer.text
                    assert "Internal Server Error" not in answer.text
            newest = rows(client.get("/batches/kiosk-dx2").text, "batches")
            key = newest[-1].removeprefix("batch-")
            older = client.get(f"/batches/kiosk-dx2?before={key}")
            assert older.status_code == 200
            assert int(rows(older.text, "batches")[0].removeprefix("batch-")) < int(key)


def cells(driver, row_id: str) -> list[str]:
    return [td.text for td in driver.find_elements(By.CSS_SELECTOR, f"#{row_id} td")]


@pytest.mark.skipif(chromium_binaries() is None,
                    reason="chromium + chromium-driver not installed")
def test_an_officer_reads_a_kiosks_batches_page_by_page_in_chromium(centre: Centre) -> None:
    with browser() as chrome:
        log_in(chrome, centre.url, "dx.officer")
        click_and_wait(chrome, chrome.find_element(By.CSS_SELECTOR, 'nav a[href="/batches"]'))
        assert chrome.find_element(By.TAG_NAME, "h1").text == "Nhật ký gửi · Đồng Xoài"
        # kiosk-dx1's one batch: 12 new entries; kiosk-dx2's latest: one new entry
        kiosk_cell, *counts = cells(chrome, "kiosk-kiosk-dx1")
        assert kiosk_cell.splitlines()[0] == "kiosk-dx1"
        assert counts[3:8] == ["12", "12", "0", "0", "0"]
        assert len(chrome.find_elements(By.CSS_SELECTOR, "#batch-kiosks tr")) == 1 + 1 + 5
        assert "kiosk-bl1" not in chrome.find_element(By.ID, "batch-kiosks").text

        click_and_wait(chrome, chrome.find_element(By.LINK_TEXT, "kiosk-dx2"))
        newest = [row.get_attribute("id") for row in
                  chrome.find_elements(By.CSS_SELECTOR, "#batches tr[id]")]
        assert len(newest) == batch_log.BATCHES_SHOWN
        assert chrome.find_elements(By.ID, "newer") == []
        click_and_wait(chrome, chrome.find_element(By.ID, "older"))
        oldest = [row.get_attribute("id") for row in
                  chrome.find_elements(By.CSS_SELECTOR, "#batches tr[id]")]
        assert len(oldest) == 2 + ONE_BY_ONE - batch_log.BATCHES_SHOWN
        assert not set(oldest) & set(newest)
        assert chrome.find_elements(By.ID, "older") == []
        # the second batch sent: the three again (held) and one of another checkpoint
        resent, first = oldest[-2:]
        assert cells(chrome, resent)[3:8] == ["4", "0", "3", "0", "1"]
        assert chrome.find_element(By.ID, resent).get_attribute("class") == "bad"
        assert cells(chrome, first)[3:8] == ["3", "3", "0", "0", "0"]
        received = cells(chrome, first)[0]
        # local time, no seconds, day first as the (Vietnamese) page writes days
        assert dt.datetime.strptime(received, "%d/%m/%Y %H:%M")
        click_and_wait(chrome, chrome.find_element(By.ID, "newer"))
        assert [row.get_attribute("id") for row in
                chrome.find_elements(By.CSS_SELECTOR, "#batches tr[id]")] == newest

        chrome.get(centre.url + "/lang/en?next=/batches/kiosk-dx2")
        heads = [th.text for th in chrome.find_elements(By.CSS_SELECTOR, "#batches th")]
        assert heads == ["Received", "Sent (kiosk clock)", "Clock offset", "Entries", "New",
                         "Already held", "Past retention", "Refused", "Batch"]
        chrome.get(centre.url + "/batches/kiosk-bl1")  # another district's: as unknown
        assert chrome.find_element(By.TAG_NAME, "main").text == (
            "404 · No such page\nNot found.\nGo to Today")


@pytest.mark.parametrize("engine", ENGINES)
def test_kiosk_pages_go_by_key_both_ways_and_stay_in_the_district(engine: str,
                                                                  tmp_path: Path) -> None:
    with open_storage(database_url(engine, tmp_path)) as storage:
        registry.import_file(storage, SAMPLE, today="2026-01-01", by=TESTS)
        for n in range(45):
            enrol_kiosk(storage, checkpoint_id="BP-DX-001" if n % 3 else "BP-BL-001",
                        name=f"Máy {n}", kiosk_id=f"k{n:03d}", by=TESTS)
        every = sorted(f"k{n:03d}" for n in range(45))
        for district, expected in ((None, every),
                                   ("Đồng Xoài", [k for k in every if int(k[1:]) % 3]),
                                   ("Bình Long", [k for k in every if not int(k[1:]) % 3])):
            pages, page = [], batch_log.kiosks_page(storage, district=district)
            assert page["previous"] is None
            while True:
                pages.append([k["id"] for k in page["kiosks"]])
                if page["next"] is None:
                    break
                page = batch_log.kiosks_page(storage, district=district, **page["next"])
            assert [k for shown in pages for k in shown] == expected
            assert all(len(shown) == batch_log.KIOSKS_SHOWN for shown in pages[:-1])
            back = []
            while page["previous"] is not None:
                page = batch_log.kiosks_page(storage, district=district, **page["previous"])
                back.append([k["id"] for k in page["kiosks"]])
            assert back == pages[-2::-1]
