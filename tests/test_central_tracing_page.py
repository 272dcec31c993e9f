"""The dashboard's Tracing page shows a tracer what the CSV/XLSX export gives the health
authority, under the export's column names (in the reader's language): each visit with its
place's name, district and address, its entry and exit (the exit's day too when the visit
crosses midnight) and which time is estimated; each contact with birth year, document number,
phone (a manual entry's only contact detail), minutes and visits shared, first and last seen,
places and whether a time of theirs is estimated. Before, the page gave contacts no phone,
no first/last seen and no estimated mark, a visit a bare " *", and a visit across midnight
read "20/11/2026 23:30 → 00:30".

A real `kiosk-central serve` with the sample registry, scans of two kiosks stored through the
centre's ingest path, and a tracer using the page in headless Chromium."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from central_support import CentralServer, central, database_url, enrol
from selenium import webdriver
from selenium.webdriver.common.by import By
from trace_support import Visit, after_a_sleep, store_scans
from web_support import (
    SAMPLE,
    add_users,
    browser,
    chromium_binaries,
    click_and_wait,
    download_into,
    downloaded,
    log_in,
)

from kiosk.central.backends import open_storage
from kiosk.central.trace_formats import CONTACT_COLUMNS, VISIT_COLUMNS

pytestmark = pytest.mark.skipif(chromium_binaries() is None,
                                reason="chromium + chromium-driver not installed")

LOCAL = dt.timezone(dt.timedelta(hours=7))  # the centre's zone, Asia/Ho_Chi_Minh
KIOSKS = {"BP-DX-001": "k-dx1", "BP-DX-003": "k-dx3"}
BINH, DUNG, GIANG = 1, 3, 5  # trace_support.NAMES: Trần Thị Bình, Phạm Thị Dung, Đặng Thị Giang
HAI = 22  # Vũ Văn Hải, born 1982: his number never scanned in full
EM, LAN = 4, 7  # Hoàng Văn Em, Bùi Thị Lan


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LOCAL)


def scan(person: int, form: str, checkpoint: str, direction: str, when: dt.datetime) -> Visit:
    return Visit(person, form, checkpoint, direction, when, kiosk=KIOSKS[checkpoint])


SCANS = [
    # Trần Thị Bình, traced by her CCCD: a market visit, a visit across midnight, and an
    # entry with no exit (its exit estimated, 2 hours on)
    scan(BINH, "cccd", "BP-DX-001", "in", at(20, 8)),
    scan(BINH, "cccd", "BP-DX-001", "out", at(20, 9)),
    scan(BINH, "cccd", "BP-DX-003", "in", at(20, 23, 30)),
    scan(BINH, "cccd", "BP-DX-003", "out", at(21, 0, 30)),
    scan(BINH, "cccd", "BP-DX-001", "in", at(21, 14)),
    # Phạm Thị Dung, entered by hand with a phone number only: no exit the first time
    scan(DUNG, "manual_phone", "BP-DX-001", "in", at(20, 8, 20)),
    scan(DUNG, "manual_phone", "BP-DX-001", "in", at(21, 15)),
    scan(DUNG, "manual_phone", "BP-DX-001", "out", at(21, 15, 30)),
    # Đặng Thị Giang, by her CCCD, across midnight too
    scan(GIANG, "cccd", "BP-DX-003", "in", at(20, 23)),
    scan(GIANG, "cccd", "BP-DX-003", "out", at(21, 1)),
    # Vũ Văn Hải: typed in by hand with his number, then his masked PC-Covid code: no scan
    # says the code is his, so a trace of his number is weak, with two candidates
    scan(HAI, "manual_doc", "BP-DX-001", "in", at(20, 10)),
    scan(HAI, "pccovid_masked", "BP-DX-003", "in", at(20, 12)),
    # Hoàng Văn Em at the market on the 25th, 17:05-17:50, when Bùi Thị Lan entered it
    # (her scan is of uncertain time: the centre fixture)
    scan(EM, "cccd", "BP-DX-001", "in", at(25, 17, 5)),
    scan(EM, "cccd", "BP-DX-001", "out", at(25, 17, 50)),
]

CROWDED, CROWD = 60, range(100, 152)
"""Hoàng Văn Em (person 60) at the market 10:00–12:00 on the 27th, with 52 people who came in
from 10:00 to 10:51, a minute apart, and left at 11:00: 52 contacts, ranked by the minutes
they shared (60, 59, … 9), two more than the 50 whose exposures a trace lists unasked."""
SCANS += [scan(CROWDED, "cccd", "BP-DX-003", "in", at(27, 10)),
          scan(CROWDED, "cccd", "BP-DX-003", "out", at(27, 12)),
          *(scan(person, "cccd", "BP-DX-003", way, when) for n, person in enumerate(CROWD)
            for way, when in (("in", at(27, 10, n)), ("out", at(27, 11))))]

VISITS = {  # table row by row, as each language writes it
    "vi": [["1", "BP-DX-001", "Chốt kiểm soát QL14 cầu Thác Mơ", "Đồng Xoài", "QL14 km 102",
            "20/11/2026 08:00", "09:00", "60,0", "", "", "1"],
           ["2", "BP-DX-003", "Chợ Đồng Xoài", "Đồng Xoài", "Đường Lê Quý Đôn",
            "20/11/2026 23:30", "21/11/2026 00:30", "60,0", "", "", "1"],
           ["3", "BP-DX-001", "Chốt kiểm soát QL14 cầu Thác Mơ", "Đồng Xoài", "QL14 km 102",
            "21/11/2026 14:00", "16:00", "120,0", "giờ ra ước tính", "", "1"]],
    "en": [["1", "BP-DX-001", "Chốt kiểm soát QL14 cầu Thác Mơ", "Đồng Xoài", "QL14 km 102",
            "2026-11-20 08:00", "09:00", "60.0", "", "", "1"],
           ["2", "BP-DX-003", "Chợ Đồng Xoài", "Đồng Xoài", "Đường Lê Quý Đôn",
            "2026-11-20 23:30", "2026-11-21 00:30", "60.0", "", "", "1"],
           ["3", "BP-DX-001", "Chốt kiểm soát QL14 cầu Thác Mơ", "Đồng Xoài", "QL14 km 102",
            "2026-11-21 14:00", "16:00", "120.0", "exit estimated", "", "1"]],
}
CONTACTS = {  # 40 + 30 minutes shared with Bình, then 60
    "vi": [["1", "Phạm Thị Dung", "", "", "0900000003", "70,0", "2", "20/11/2026 08:20",
            "21/11/2026 15:30", "BP-DX-001", "có", "", ""],
           ["2", "Đặng Thị Giang", "1965", "079000000005", "", "60,0", "1",
            "20/11/2026 23:00", "21/11/2026 01:00", "BP-DX-003", "", "", ""]],
    "en": [["1", "Phạm Thị Dung", "", "", "0900000003", "70.0", "2", "2026-11-20 08:20",
            "2026-11-21 15:30", "BP-DX-001", "yes", "", ""],
           ["2", "Đặng Thị Giang", "1965", "079000000005", "", "60.0", "1",
            "2026-11-20 23:00", "2026-11-21 01:00", "BP-DX-003", "", "", ""]],
}
ENGLISH_HEADERS = {
    "visits": ["Visit", "Point id", "Point name", "District", "Address", "Entered", "Left",
               "Minutes", "Estimated", "Scan time uncertain", "Contacts"],
    "contacts": ["Rank", "Name", "Birth year", "Document number", "Phone", "Minutes shared",
                 "Visits shared", "First seen", "Last seen", "Places", "Estimated times",
                 "Possible contact", "Scan time uncertain"]}
ESTIMATED_NOTE = {"vi": "Ước tính: thiếu lượt quét ra (hoặc vào), nên lượt có mặt được tính "
                        "là 120 phút",
                  "en": "Estimated: the exit (or entry) scan is missing, so the stay is taken "
                        "as 120 minutes"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The centre's address and its database."""
    tmp: Path = tmp_path_factory.mktemp("tracing-page")
    db = database_url("sqlite", tmp)
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    for checkpoint, kiosk_id in KIOSKS.items():
        enrol(db, kiosk_id, checkpoint)
    add_users(db, {"tracer1": ("tracer", None)})
    with open_storage(db) as storage:
        store_scans(storage, SCANS, {})
        # Bùi Thị Lan entered the market at 17:00 on the 25th on a kiosk of an earlier
        # version that then slept 8 h: filed at 01:00 on the 26th, of uncertain time
        after_a_sleep(storage, KIOSKS["BP-DX-001"],
                      [scan(LAN, "cccd", "BP-DX-001", "in", at(25, 17))], 8 * 3600.0)
    server = CentralServer(db)
    try:
        yield server.url, db
    finally:
        server.stop()


@pytest.fixture(scope="module")
def centre(served: tuple[str, str]) -> str:
    return served[0]


def audit_traces(served: tuple[str, str]) -> list[dict]:
    """The trace records of the audit log, newest first (`kiosk-central audit list`)."""
    return json.loads(central("audit", "list", "--db", served[1], "--kind", "trace",
                              "--json").stdout)


def trace_on_page(chrome: webdriver.Chrome, centre: str, document: str,
                  days: tuple[str, str] = ("2026-11-20", "2026-11-21"),
                  field: str = "document", second_degree: str = "",
                  every_exposure: bool = False) -> None:
    """Trace ``document`` (or what the form's ``field`` takes: a ``phone``) over ``days``
    (20–21 November) on the Tracing page, as a tracer does; its top ``second_degree``
    contacts traced onward, and ``every_exposure`` listed, when asked."""
    chrome.get(centre + "/tracing")
    chrome.find_element(By.ID, field).send_keys(document)
    if second_degree:
        chrome.find_element(By.ID, "second-degree").clear()
        chrome.find_element(By.ID, "second-degree").send_keys(second_degree)
    if every_exposure:
        chrome.find_element(By.ID, "all-exposures").click()
    for name, day in zip(("start", "end"), days, strict=True):
        chrome.execute_script("arguments[0].value = arguments[1]",
                              chrome.find_element(By.NAME, name), day)
    chrome.find_element(By.ID, "reason").send_keys("ca bệnh F0-1234")
    click_and_wait(chrome, chrome.find_element(By.ID, "trace"))


def rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
            for row in table.find_elements(By.TAG_NAME, "tr")]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_page_shows_each_visit_and_contact_as_the_export_does(centre: str,
                                                                   lang: str) -> None:
    with browser() as chrome:
        chrome.get(f"{centre}/lang/{lang}?next=/login")
        log_in(chrome, centre, "tracer1")
        trace_on_page(chrome, centre, "079000000001")
        visits = rows(chrome.find_element(By.ID, "visits"))
        contacts = rows(chrome.find_element(By.ID, "contacts"))
        notes = [note.text for note in chrome.find_elements(By.ID, "estimated-note")]
        assert chrome.find_elements(By.ID, "candidates") == []  # an exact match: one person
    if lang == "vi":  # the export's own headers; of each table's, all but the identifier
        assert visits[0] == [name for key, name in VISIT_COLUMNS.items() if key != "person"]
        assert contacts[0] == [name for key, name in CONTACT_COLUMNS.items() if key != "person"]
    else:
        assert [visits[0], contacts[0]] == [ENGLISH_HEADERS["visits"],
                                            ENGLISH_HEADERS["contacts"]]
    assert visits[1:] == VISITS[lang]
    assert contacts[1:] == CONTACTS[lang]
    assert len(notes) == 1 and notes[0].startswith(ESTIMATED_NOTE[lang]), notes


UNCERTAIN = {  # the visit's and the contact's last cells, and the note's beginning
    "vi": ("máy quét có thể đã ngủ trước khi gửi, đồng hồ máy chạy nhanh (lượt được ghi theo "
           "lúc đến trung tâm), hoặc đồng hồ máy lệch khi trung tâm đo lần cuối (tệp tồn đọng): "
           "giờ thật có thể sớm hơn tới 8 giờ 0 phút, không muộn hơn",
           "có thể tiếp xúc — giờ không chắc chắn",
           "Giờ quét không chắc chắn: lượt quét của máy quét đời cũ được tính theo thời gian máy "
           "chạy"),
    "en": ("the kiosk may have slept before sending, its clock ran ahead (the scan filed at its "
           "arrival), or its clock was off when the centre last measured it (a backlog file): "
           "the real time may be up to 8 h 0 min earlier, never later",
           "possible contact — time uncertain",
           "Scan time uncertain: an older kiosk's scan is filed by its running time")}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_visit_of_uncertain_time_is_shown_with_its_possible_contacts(centre: str,
                                                                       lang: str) -> None:
    """Bùi Thị Lan's market visit, filed at 01:00 on the 26th, may have been up to 8 hours
    earlier (the kiosk slept before sending and did not say): traced over the 25th, it is
    shown, saying so, and Hoàng Văn Em, there at 17:05-17:50 on the 25th, is a possible
    contact. Before, the visit was not shown and he was not found."""
    uncertain, possible, note = UNCERTAIN[lang]
    with browser() as chrome:
        chrome.get(f"{centre}/lang/{lang}?next=/login")
        log_in(chrome, centre, "tracer1")
        trace_on_page(chrome, centre, "079000000007", ("2026-11-25", "2026-11-25"))
        visits = rows(chrome.find_element(By.ID, "visits"))
        contacts = rows(chrome.find_element(By.ID, "contacts"))
        notes = [n.text for n in chrome.find_elements(By.ID, "uncertain-note")]
    assert [(v[1], v[-2], v[-1]) for v in visits[1:]] == [("BP-DX-001", uncertain, "1")]
    assert [(c[1], c[-2], c[-1]) for c in contacts[1:]] == [("Hoàng Văn Em", possible,
                                                             uncertain)]
    assert len(notes) == 1 and notes[0].startswith(note), notes


CANDIDATES = {  # number, name, birth year, document, phone, codes scanned, visits
    "vi": [["Ứng viên", "Họ tên", "Năm sinh", "Số giấy tờ", "Điện thoại", "Loại mã đã quét",
            "Số lượt có mặt"],
           ["1", "Vũ Văn Hải", "", "079000000022", "0900000022", "manual", "1"],
           ["2", "VU VAN HAI", "1982", "******000022", "", "pccovid", "1"]],
    "en": [["Candidate", "Name", "Birth year", "Document number", "Phone", "Codes scanned",
            "Visits"],
           ["1", "Vũ Văn Hải", "", "079000000022", "0900000022", "manual", "1"],
           ["2", "VU VAN HAI", "1982", "******000022", "", "pccovid", "1"]],
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_weak_trace_lists_its_candidates_and_whose_each_visit_is(centre: str,
                                                                    lang: str) -> None:
    """Vũ Văn Hải's number was typed in by hand, and a masked PC-Covid code ending in its
    digits was scanned: the code may be anyone's with those digits. The page lists both
    candidates, what each scan said and how many visits each made, and each visit gives
    the number of the candidate it is from. Before, it said only "may be another person"."""
    with browser() as chrome:
        chrome.get(f"{centre}/lang/{lang}?next=/login")
        log_in(chrome, centre, "tracer1")
        trace_on_page(chrome, centre, "079000000022")
        weak = chrome.find_element(By.ID, "weak-match").text
        candidates = rows(chrome.find_element(By.ID, "candidates"))
        visits = rows(chrome.find_element(By.ID, "visits"))
    assert weak.startswith({"vi": "khớp theo tên", "en": "matched by name"}[lang])
    assert candidates == CANDIDATES[lang]
    assert visits[0][-1] == CANDIDATES[lang][0][0]
    assert [(v[1], v[-1]) for v in visits[1:]] == [("BP-DX-001", "1"), ("BP-DX-003", "2")]


TRACED = {  # whom, as typed on the form → the summary's row, in both languages
    ("document", "079000000001"): "giấy tờ số 079000000001 / document 079000000001",
    ("phone", "0900 000 003"): "điện thoại +84900000003 / phone +84900000003",
}


@pytest.mark.parametrize(("field", "whom"), list(TRACED))
def test_the_exports_summary_says_whom_the_trace_was_about_in_words(
        centre: str, field: str, whom: str, tmp_path: Path) -> None:
    """The CSV a tracer downloads from the page names whom the trace was about in words
    (the Audit log page's): the summary sheet's *Người được truy vết / traced* row read
    ``{"document": "079000000001"}``, the JSON of the answer, to the health authority's
    staff."""
    with browser() as chrome:
        download_into(chrome, tmp_path)
        log_in(chrome, centre, "tracer1")
        trace_on_page(chrome, centre, whom, field=field)
        chrome.find_element(By.ID, "export-csv").click()
        exported = downloaded(tmp_path)
    rows = list(csv.reader(exported.read_text(encoding="utf-8-sig").splitlines()))
    (traced,) = [row[1] for row in rows if row[:1] == ["Người được truy vết / traced"]]
    assert traced == TRACED[field, whom]


SECOND_DEGREE = {  # via rank, via name, then the contact's rank, name and minutes shared:
    # Dung's contacts but Bình herself (Vũ Văn Hải, typed in at 10:00 while Dung's stay, no
    # exit scanned, is taken to last until 10:20); Giang met no one else
    "vi": [["1", "Phạm Thị Dung", "1", "Vũ Văn Hải", "20,0"]],
    "en": [["1", "Phạm Thị Dung", "1", "Vũ Văn Hải", "20.0"]],
}
SECOND_NOTE = {"vi": "Người tiếp xúc của 2 người tiếp xúc đầu (người được truy vết không tính), "
                     "mỗi người đã được ghi vào nhật ký; chưa có ở danh sách tiếp xúc trên: "
                     "1 người.",
               "en": "The contacts of the top 2 contacts (the person traced left out), each "
                     "recorded in the audit log; not among the contacts above: 1."}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_page_traces_the_top_contacts_onward_as_the_cli_does(
        served: tuple[str, str], lang: str) -> None:
    """Second degree on the page (``--second-degree`` of `kiosk-central trace`, the API's
    ``second_degree``): Bình's top 2 contacts traced onward, each of their contacts under
    the contact it came through, and how many of them are new — written to the audit log
    like every trace (N traced onward, the people new), and sent again by the export's
    buttons. Before, the page had no such field: a tracer in a browser could not get them."""
    centre = served[0]
    with browser() as chrome:
        chrome.get(f"{centre}/lang/{lang}?next=/login")
        log_in(chrome, centre, "tracer1")
        trace_on_page(chrome, centre, "079000000001", second_degree="2")
        second = rows(chrome.find_element(By.ID, "second-contacts"))
        note = chrome.find_element(By.ID, "second-note").text
        kept = chrome.find_element(By.ID, "second-degree").get_attribute("value")
        sent = [field.get_attribute("value") for field in chrome.find_elements(
            By.CSS_SELECTOR, "form[action^='/tracing/export'] input[name=second_degree]")]
    assert second[0][:4] == {"vi": ["Qua người tiếp xúc số", "Qua người", "Thứ tự", "Họ tên"],
                             "en": ["Via contact rank", "Via", "Rank", "Name"]}[lang]
    assert [row[:4] + row[7:8] for row in second[1:]] == SECOND_DEGREE[lang]
    assert note == SECOND_NOTE[lang]
    assert kept == "2" and sent == ["2", "2"]  # the form as sent; each export sends it again
    record = audit_traces(served)[0]
    assert (record["subject"], record["second_degree"], record["second_contacts"]) == (
        "document 079000000001", 2, 1)


EXPOSURES_LISTED = {  # unasked, then every exposure asked for
    "vi": ("50 trong 52 lần tiếp xúc: của 50 người tiếp xúc đầu",
           "52 trong 52 lần tiếp xúc: của 52 người tiếp xúc đầu"),
    "en": ("50 of 52 exposures: those of the top 50 contacts",
           "52 of 52 exposures: those of the top 52 contacts")}
EXPOSURE_HEADERS = {
    "vi": ["Lượt", "Thứ tự người tiếp xúc", "Họ tên", "Số phút chung", "Họ vào", "Họ ra",
           "Ước tính", "Giờ quét không chắc chắn"],
    "en": ["Visit", "Contact rank", "Name", "Minutes shared", "Their entry", "Their exit",
           "Estimated", "Scan time uncertain"]}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_page_lists_every_exposure_when_asked_as_the_cli_does(centre: str,
                                                                   lang: str) -> None:
    """The exposures (visit × contact: when each contact came and left, the minutes
    shared) are on the page, as the export's *Chi tiết tiếp xúc* sheet: those of the top 50
    contacts unasked, saying so, and every one with the box ticked (``--all-exposures``,
    the API's ``all_exposures``), which the export's buttons send again. Before, the page
    showed none and could not ask for them all."""
    with browser() as chrome:
        chrome.get(f"{centre}/lang/{lang}?next=/login")
        log_in(chrome, centre, "tracer1")
        trace_on_page(chrome, centre, "079000000060", ("2026-11-27", "2026-11-27"))
        top = rows(chrome.find_element(By.ID, "exposures"))
        top_said = chrome.find_element(By.ID, "exposures-listed").text
        trace_on_page(chrome, centre, "079000000060", ("2026-11-27", "2026-11-27"),
                      every_exposure=True)
        every = rows(chrome.find_element(By.ID, "exposures"))
        every_said = chrome.find_element(By.ID, "exposures-listed").text
        sent = [field.get_attribute("value") for field in chrome.find_elements(
            By.CSS_SELECTOR, "form[action^='/tracing/export'] input[name=all_exposures]")]
    assert top[0] == every[0] == EXPOSURE_HEADERS[lang]
    assert (top_said, every_said) == EXPOSURES_LISTED[lang]
    assert [row[1] for row in top[1:]] == [str(rank) for rank in range(1, 51)]
    assert [row[1] for row in every[1:]] == [str(rank) for rank in range(1, 53)]
    came = {"vi": "27/11/2026 10:51", "en": "2026-11-27 10:51"}[lang]
    assert every[-1][2:6] == ["Bùi Thị Lan", {"vi": "9,0", "en": "9.0"}[lang], came,
                              {"vi": "27/11/2026 11:00", "en": "2026-11-27 11:00"}[lang]]
    assert sent == ["yes", "yes"]
