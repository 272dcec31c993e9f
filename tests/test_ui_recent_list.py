"""The recent list (and what the search box finds) as a queue sees it, at every kiosk size.

The list stands in the queue's sight, so it pairs no name with health data: a certificate
whose card was red is noted "KIỂM TRA" / "CHECK" whether it is forged or a positive test,
in the same colour, with the same tooltip; the card, read by the officer for the person in
front of them, is where the verdict is worded. At every size, even a 7" panel either way up,
the list keeps what the officer reads in it: time, direction, name and that note, each
whole (the document and kind of code give way first, as they always did).
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics
from ui_fit import lay_out
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BINH,
    list_shows_the_store,
    make_window_fixture,
    translations_built_fixture,
    with_dpi,
    write_config,
)

from kiosk import messages
from kiosk.certificates import trustlist, verdicts
from kiosk.scan import Scan
from kiosk.ui.officer import CODE, DIRECTION, DOCUMENT, NAME, NOTE, RECENT_ROWS, TIME
from tests.certificate_support import lab_test, make_issuer, trust_list_of, vaccination

NOW, DAY = time.time(), 86400
SIZES = [(800, 480), (480, 800), (1024, 600), (600, 1024), (1280, 800), (1920, 1080)]
SEEN = (TIME, DIRECTION, NAME, NOTE)
"""The columns an officer reads in the list at every size."""


def health_words() -> set[str]:
    """Every verdict a certificate can get, in both languages, as the card words it."""
    return {messages.certificate_verdict(status, language)
            for status in verdicts.STATUSES for language in messages.LANGUAGES} | {
        messages.text("certificate.fact.detected", language) for language in messages.LANGUAGES}


def queue_of_the_day(window, qtbot, issuer) -> dict[str, str]:
    """A positive test, a forged certificate and someone scanned twice, through the real
    pipeline into the store; {what: the name the list shows}."""
    forger = make_issuer()
    codes = {
        "positive": issuer.sign(lab_test(detected=True), issued=NOW - DAY, expires=NOW + DAY),
        "forged": forger.sign(vaccination(name=("Phạm", "Văn Long")), issued=NOW - DAY,
                              expires=NOW + DAY, kid=issuer.kid),
        "first": CCCD_AN,
        "again": CCCD_AN,  # within the duplicate window: recorded again
    }
    shown = {what: window.kiosk.pipeline.submit(Scan(code.encode(), device_id="t", lane="in"))
             for what, code in codes.items()}
    assert shown["positive"].certificate.status == verdicts.POSITIVE_TEST
    assert shown["forged"].certificate.status == verdicts.BAD_SIGNATURE
    assert shown["again"].status.value == "duplicate" and shown["again"].recorded
    window.officer.card.show_result(shown["positive"])
    window.officer.refresh()
    list_shows_the_store(window, qtbot)
    return {"positive": "Trần Thị Bình", "forged": "Phạm Văn Long", "again": "Nguyễn Văn An"}


def rows_by_name(table) -> dict[str, int]:
    """{name: its newest row} (the list is newest first)."""
    rows: dict[str, int] = {}
    for row in range(table.rowCount()):
        rows.setdefault(table.item(row, NAME).text(), row)
    return rows


def kiosk_window(make_window, tmp_path, language: str, dpi: int = 0):
    """A kiosk trusting one certificate signer, its screen in ``language``; and that signer."""
    path = write_config(tmp_path, extra='\n[certificates]\ntrust_list = "trust.json"\n')
    issuer = make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    window = make_window(with_dpi(path, dpi), language=language, start=False)
    window.set_language(language)
    return window, issuer


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_list_and_the_search_pair_no_name_with_a_health_verdict(make_window, qtbot,
                                                                     tmp_path, language):
    """A positive test is on the card for the officer, "XÉT NGHIỆM DƯƠNG TÍNH"; in the
    list, in its tooltips and in what a search for the name finds, the row reads exactly as
    a forged certificate's does (it said "XÉT NGHIỆM DƯƠNG TÍNH" beside the full name)."""
    window, issuer = kiosk_window(make_window, tmp_path, language)
    names = queue_of_the_day(window, qtbot, issuer)
    officer, table = window.officer, window.officer.table
    positive_words = messages.certificate_verdict(verdicts.POSITIVE_TEST, language)
    assert officer.card.headline.text().startswith(positive_words)  # the officer's card
    check = {"vi": "KIỂM TRA", "en": "CHECK"}[language]
    for search in ("", "Bình", "tran thi binh"):  # the whole list, then what a search finds
        officer.search.setText(search)
        list_shows_the_store(window, qtbot)
        rows = rows_by_name(table)
        assert names["positive"] in rows, (search, rows)
        shown = [(table.item(row, column).text(), table.item(row, column).toolTip())
                 for row in range(table.rowCount()) for column in range(table.columnCount())]
        leaks = [cell for cell in shown if any(word in text for word in health_words()
                                               for text in cell)]
        assert leaks == [], (search, leaks)
        positive = rows[names["positive"]]
        assert table.item(positive, NOTE).text() == check
        if not search:  # forged and positive: one look, one word, one colour, one tooltip
            forged = rows[names["forged"]]
            for column in (NOTE, NAME, CODE):
                first, second = table.item(positive, column), table.item(forged, column)
                assert (first.background().color(), first.toolTip()) == \
                    (second.background().color(), second.toolTip()), column
            assert table.item(positive, NOTE).text() == table.item(forged, NOTE).text()
            # recorded again: not the red card's QUÉT LẠI (nothing recorded, scan again)
            assert table.item(rows[names["again"]], NOTE).text() == \
                {"vi": "QUÉT TRÙNG", "en": "AGAIN"}[language]


@pytest.mark.parametrize("dpi", [0, 133])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_time_direction_name_and_note_show_whole_at_every_size(make_window, qtbot, tmp_path,
                                                               language, dpi):
    """At 800×480 and 480×800 the list hid its last two columns, and with them what said a
    row's certificate was forged (only a pale red row was left, and a touch screen opens no
    tooltip). Now at every size the time, the direction, the name and the note are shown,
    inside the list's width, none cut short ("…"); the kind of code, then the document, give
    way where there is no room for them (the document stays from 1280×800 up)."""
    window, issuer = kiosk_window(make_window, tmp_path, language, dpi)
    names = queue_of_the_day(window, qtbot, issuer)
    table = window.officer.table
    header = table.horizontalHeader()
    failures = []
    for size in SIZES:
        failures += [f"{size}: {p}" for p in lay_out(window, size)]
        room = table.viewport().width()
        for column in SEEN:
            title = table.horizontalHeaderItem(column).text()
            left, width = header.sectionViewportPosition(column), header.sectionSize(column)
            needed = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
            if table.isColumnHidden(column):
                failures.append(f"{size}: {title} is hidden")
            elif left < 0 or left + width > room:
                failures.append(f"{size}: {title} lies at {left}..{left + width} of {room} px")
            elif width < (min(needed, 320) if column == NAME else needed):
                failures.append(f"{size}: {title} gets {width} px, its words need {needed}")
        for what in ("positive", "forged"):
            row = rows_by_name(table)[names[what]]
            if not table.item(row, NOTE).text():
                failures.append(f"{size}: the {what} row has no note")
        if table.isColumnHidden(DOCUMENT) and not table.isColumnHidden(CODE):
            failures.append(f"{size}: the kind of code shows, the document does not")
        if size >= (1280, 800) and table.isColumnHidden(DOCUMENT):
            failures.append(f"{size}: the document column is hidden")
        if size == (1920, 1080) and table.isColumnHidden(CODE):
            failures.append(f"{size}: the code column is hidden")
    window.fit_to(QSize(1280, 800))
    assert not failures, "\n".join(failures)


def test_a_name_with_line_breaks_is_one_line_in_the_list(make_window, qtbot, tmp_path):
    """A certificate's name is whatever its signer wrote, line breaks included: in the list's
    one-line row it showed its first line only ("Nguyễn" of "Nguyễn⏎⏎…Văn An"). The breaks read
    as spaces there, as on the card, and the name fits its row's height."""
    window, issuer = kiosk_window(make_window, tmp_path, "vi")
    forger = make_issuer()
    certificate = vaccination(name=("Nguyễn" + "\n" * 30, "Văn\u2028\r\n" * 3 + "An"))
    code = forger.sign(certificate, issued=NOW - DAY, expires=NOW + DAY, kid=issuer.kid)
    window.kiosk.pipeline.submit(Scan(code.encode(), device_id="t", lane="in"))
    window.officer.refresh()
    list_shows_the_store(window, qtbot)
    table = window.officer.table
    shown = table.item(0, NAME).text()
    assert shown == "Nguyễn Văn Văn Văn An"
    lines = QFontMetrics(table.font()).boundingRect(
        QRect(0, 0, 100_000, 100_000), int(Qt.AlignmentFlag.AlignLeft), shown)
    assert lines.height() <= table.rowHeight(0), (lines.height(), table.rowHeight(0))


def test_after_the_clock_is_set_back_the_scan_just_made_heads_the_recent_list(make_window,
                                                                           qtbot):
    """A clock an hour ahead, put right by network time (revofficer, s18): the scans made
    before are dated an hour later than those after. The list, read newest date first,
    kept them on top for that hour — the person just scanned under them, and off the list
    altogether behind 20 of them — so the officer, looking for the last scan, found it
    missing. The list is in the order the scans were made; each row keeps its own time."""
    window = make_window(start=False)
    officer, ahead = window.officer, time.time() + 3600
    for minute in range(RECENT_ROWS + 1):  # an hour's queue recorded by the clock ahead
        window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="t", lane="in",
                                          wall_time=ahead + minute))
    window.kiosk.pipeline.submit(Scan(CCCD_BINH.encode(), device_id="t", lane="out"))
    qtbot.waitUntil(lambda: len(officer.rows) == RECENT_ROWS, timeout=10000)

    qtbot.waitUntil(lambda: officer.rows[0]["name"] == "Trần Thị Bình", timeout=10000)
    assert officer.table.item(0, NAME).text() == "Trần Thị Bình"
    assert [row["name"] for row in officer.rows[1:]] == ["Nguyễn Văn An"] * (RECENT_ROWS - 1)
    assert [row["scanned_at"] for row in officer.rows[1:]] == sorted(
        (row["scanned_at"] for row in officer.rows[1:]), reverse=True)  # the latest first
