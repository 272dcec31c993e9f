"""A scan's answer stays on the card for ``[kiosk] result_seconds``, then the card reads
READY again. An officer glancing at the screen minutes later, or the next person in the
queue, must never read the previous person's red (or green) card as the current one; the
READY card keeps only when the previous scan was and its headline, never whose.

A real kiosk behind a real main window (offscreen), a real replay device, pipeline and store.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from ui_fit import lay_out
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BAD_DATE,
    CCCD_BINH,
    make_window_fixture,
    replay_device,
    scan_from_file,
    settle,
    translations_built_fixture,
    write_config,
)

from kiosk import messages
from kiosk.certificates import trustlist, verdicts
from kiosk.scan import Scan, ScanResult, Status
from kiosk.ui import result_card
from kiosk.ui.result_card import COLOURS, READABLE_SIZES
from tests.certificate_support import lab_test, make_issuer, trust_list_of, vaccination

ZONE = dt.timezone(dt.timedelta(hours=7))  # the test config's Asia/Ho_Chi_Minh


def held_for(tmp_path: Path, seconds: int, payloads: list[str] = (), extra: str = "") -> Path:
    """A config whose cards stay ``seconds``, with a replay lane reading ``payloads``."""
    (tmp_path / "scans.txt").write_text("".join(p + "\n" for p in payloads), encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt", lane="in"),
                        extra=extra)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[store]", f"result_seconds = {seconds}\n\n[store]", 1),
                    encoding="utf-8")
    return path


def shown_at(window) -> list[int]:
    """time.monotonic_ns() as each result reaches the screen (the officer's card is told
    first: it subscribed when the window was built)."""
    times: list[int] = []
    window.bridge.result.connect(lambda _result: times.append(time.monotonic_ns()))
    return times


HELD_NS = 950_000_000
"""One second, less a margin: the hold's timer is a precise one (a coarse Qt timer may fire
5 % early, and once ended a card's second at 949 ms), and the result reaches this list just
after the card."""


def colour(card) -> str:
    return card.palette().color(QPalette.ColorRole.Window).name()


def card_text(card) -> str:
    return " ".join(label.text() for label in (card.headline, card.name, card.details,
                                                card.reason))


@pytest.mark.parametrize(("payload", "state", "headline", "english"), [
    (CCCD_BAD_DATE, "rejected", "KHÔNG HỢP\u00a0LỆ", "REFUSED"),
    (CCCD_AN, "accepted", "VÀO — HỢP\u00a0LỆ", "IN — ACCEPTED"),
])
def test_the_answer_stays_its_time_then_the_card_is_ready_naming_only_when(
        make_window, qtbot, tmp_path, payload, state, headline, english):
    """Red for a refusal, green for an entry: both go back to grey READY once their second
    has passed (not before: measured from the card's own first paint), with the previous
    answer's time and headline underneath, in the screen's language, and no name."""
    window = make_window(held_for(tmp_path, 1, [payload]), start=False)
    card, shown = window.officer.card, shown_at(window)
    window.kiosk.start()
    scan_from_file(window, qtbot, state)
    assert card.headline.text() == headline
    scanned = dt.datetime.fromtimestamp(card.result.scan.wall_time, ZONE).strftime("%H:%M:%S")
    qtbot.waitUntil(lambda: card.state == "idle", timeout=10_000)
    assert time.monotonic_ns() - shown[0] >= HELD_NS
    assert card.headline.text() == "SẴN SÀNG"
    assert card.reason.text() == f"Lượt quét trước, lúc {scanned}: {headline}"
    assert colour(card) == QColor(COLOURS["idle"][0]).name()
    assert not card.mark.isVisibleTo(card)
    assert "Nguyễn" not in card_text(card) and "An" not in card_text(card).split()
    window.set_language("en", remember=False)
    assert card.headline.text() == "READY"
    assert card.reason.text() == f"Previous scan, at {scanned}: {english}"


def test_a_new_answer_gets_its_own_full_time(make_window, qtbot, tmp_path):
    """A scan while the previous card is up replaces it and starts the time again: the new
    card is never cut short by the old one's clock."""
    window = make_window(held_for(tmp_path, 1), start=False)
    card, shown = window.officer.card, shown_at(window)
    window.kiosk.start()
    window.kiosk.pipeline.submit(Scan(CCCD_BAD_DATE.encode(), device_id="lane1"))
    qtbot.waitUntil(lambda: card.state == "rejected", timeout=10_000)
    settle(600)
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1", lane="in"))
    qtbot.waitUntil(lambda: card.state == "accepted", timeout=10_000)
    qtbot.waitUntil(lambda: card.state == "idle", timeout=10_000)
    assert time.monotonic_ns() - shown[1] >= HELD_NS
    assert card.reason.text().endswith(": VÀO — HỢP\u00a0LỆ")


def health_words() -> set[str]:
    """Every verdict a certificate can get, and its facts' words, in both languages."""
    return {messages.certificate_verdict(status, language)
            for status in verdicts.STATUSES for language in messages.LANGUAGES} | {
        messages.text(f"certificate.fact.{fact}", language, dose=2, doses=2, until="")
        for fact in ("detected", "not_detected", "doses", "recovered")
        for language in messages.LANGUAGES}


@pytest.mark.parametrize(("certificate", "recalled"), [
    (lab_test(detected=True), "KIỂM TRA"),  # red: a positive test
    (vaccination(2, 2), "Đã ghi VÀO"),      # green: a valid vaccination
])
def test_the_ready_card_recalls_a_certificate_without_its_verdict(
        make_window, qtbot, tmp_path, certificate, recalled):
    """The queue sees the READY card: the previous person's "XÉT NGHIỆM DƯƠNG TÍNH" (or
    "2/2 mũi") would be told to whoever stands behind them. It recalls a certificate as the
    recent list notes it: KIỂM TRA where the card was red, else what was recorded."""
    issuer = make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    now = time.time()
    code = issuer.sign(certificate, issued=now - 86400, expires=now + 86400)
    window = make_window(held_for(tmp_path, 1, [code], extra=(
        '\n[certificates]\ntrust_list = "trust.json"\n')))
    card = window.officer.card
    qtbot.waitUntil(lambda: card.result is not None, timeout=10_000)
    assert any(word in card_text(card) for word in health_words())  # the person's own card
    qtbot.waitUntil(lambda: card.state == "idle", timeout=10_000)
    assert card.reason.text().endswith(": " + recalled)
    assert not any(word in card_text(card) for word in health_words())


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("size", [(800, 480), (480, 800)])
def test_the_ready_card_with_the_longest_previous_headline_fits_a_7_inch_panel(
        make_window, qtbot, tmp_path, size, language):
    """After the longest headline a READY card recalls (ĐÃ QUÉT DƯỚI 1 PHÚT TRƯỚC / ALREADY
    SCANNED UNDER A MINUTE AGO), READY keeps its headline's floor and every word of the
    window fits."""
    window = make_window(held_for(tmp_path, 1), language=language, start=False)
    window.set_language(language, remember=False)
    card = window.officer.card
    now = time.time()
    again = ScanResult(status=Status.DUPLICATE, scan=Scan(b"x", wall_time=now),
                       reason_code="duplicate", recorded=True, previous_wall_time=now - 30)
    card.show_result(again, hold_seconds=0.01)
    qtbot.waitUntil(lambda: card.state == "idle", timeout=10_000)
    assert card.reason.text().endswith({"vi": ": ĐÃ QUÉT DƯỚI 1 PHÚT TRƯỚC",
                                        "en": ": ALREADY SCANNED UNDER A MINUTE AGO"}[language])
    assert lay_out(window, size) == []
    assert card.headline.font().pixelSize() >= READABLE_SIZES[0]
    assert card.reason.isVisibleTo(card)


def refused_then_accepted(window, qtbot) -> str:
    """A bad card on lane 1, then another person leaving on lane 2 once its red answer is
    up: the refusal's time as the note names it."""
    card = window.officer.card
    window.kiosk.start()
    window.kiosk.pipeline.submit(Scan(CCCD_BAD_DATE.encode(), device_id="lane1"))
    qtbot.waitUntil(lambda: card.state == "rejected", timeout=10_000)
    refused = dt.datetime.fromtimestamp(card.result.scan.wall_time, ZONE).strftime("%H:%M:%S")
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane2", lane="out"))
    qtbot.waitUntil(lambda: card.state == "accepted", timeout=10_000)
    return refused


def test_a_refusal_replaced_before_it_could_be_read_is_named_on_the_next_answer(
        make_window, qtbot, tmp_path):
    """Two lanes on one screen, or a queue scanning over a shoulder: a refused scan's red
    card, replaced half a second later by the next scan's green one, left no trace on the
    screen — refusals are no entries, so not in the recent list either — and the officer,
    looking up at the buzz, saw green and let the refused person through. The answer that
    replaces a red card up less than RED_SEEN_SECONDS names it, with its time, for its
    own hold; READY after it recalls only the last answer, as before."""
    window = make_window(held_for(tmp_path, 2), start=False)
    card = window.officer.card
    refused = refused_then_accepted(window, qtbot)

    assert card.headline.text() == "RA — HỢP\u00a0LỆ"
    assert card.reason.text() == (f"Lượt quét ngay trước, lúc {refused}: KHÔNG HỢP\u00a0LỆ — "
                                  "xem lại người đó.")
    window.set_language("en", remember=False)
    assert card.reason.text() == (f"The scan just before, at {refused}: REFUSED — check "
                                  "that person again.")
    assert lay_out(window, (800, 480)) == []  # a 7" panel: all of it, at its sizes
    assert card.sizes[0] >= READABLE_SIZES[0]
    qtbot.waitUntil(lambda: card.state == "idle", timeout=10_000)
    assert card.reason.text().endswith(": OUT — ACCEPTED")


def test_a_refusal_that_stood_its_time_is_not_named_again(make_window, qtbot, tmp_path,
                                                           monkeypatch):
    """A red card up for RED_SEEN_SECONDS was there to be seen: the next answer is its own.
    (The same person's next answer never names it: test_ui_certificates.py's forged
    certificate shown twice.)"""
    monkeypatch.setattr(result_card, "RED_SEEN_SECONDS", 0)
    window = make_window(held_for(tmp_path, 2), start=False)
    card = window.officer.card
    refused_then_accepted(window, qtbot)
    assert card.reason.text() == ""


@pytest.mark.parametrize(("misread", "headline"), [
    (Scan(CCCD_BAD_DATE.encode(), device_id="lane1"), "KHÔNG HỢP\u00a0LỆ"),  # a field garbled
    (Scan(CCCD_AN.encode()[:30], device_id="lane1", cut="end"), "QUÉT LẠI"),  # cut short
])
def test_a_misread_then_the_next_read_at_the_same_scanner_is_that_persons_own_answer(
        make_window, qtbot, tmp_path, misread, headline):
    """A refusal that names no one — the scanner misread the code, or read half of it — and
    within RED_SEEN_SECONDS a good read at the same scanner: the person who stands there
    scanned again. Their green answer said "the scan just before: REFUSED — check that
    person again", of their own misread, and the officer, looking at the one person in
    front of the scanner, was sent to check nobody. The answer is their own; a refusal on
    another scanner (two lanes, one screen) is still named
    (test_a_refusal_replaced_before_it_could_be_read_is_named_on_the_next_answer)."""
    window = make_window(held_for(tmp_path, 30), start=False)
    card = window.officer.card
    window.kiosk.start()
    refused = window.kiosk.pipeline.submit(misread)
    qtbot.waitUntil(lambda: card.result is refused, timeout=10_000)
    assert refused.identity is None and card.headline.text() == headline
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1", lane="in"))
    qtbot.waitUntil(lambda: card.state == "accepted", timeout=10_000)

    assert card.missed is None
    assert card.reason.text() == ""
    assert card.name.text() == "Nguyễn Văn An"


def test_a_misread_named_on_the_other_lanes_answer_is_not_named_on_its_own_retry(
        make_window, qtbot, tmp_path, monkeypatch):
    """Lane 1 misreads a code, lane 2's person is answered at once (the note names the
    misread: it may not have been seen), then lane 1's person scans again and is read:
    their green answer is their own, not "check that person again" of themselves. (Every
    answer here counts as replaced too soon to be read, however loaded the machine.)"""
    monkeypatch.setattr(result_card, "RED_SEEN_SECONDS", 600)
    window = make_window(held_for(tmp_path, 30), start=False)
    card = window.officer.card
    refused_then_accepted(window, qtbot)  # lane 1's misread, lane 2's answer naming it
    assert card.reason.text().startswith("Lượt quét ngay trước, lúc ")

    window.kiosk.pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1"))
    qtbot.waitUntil(lambda: "Trần Thị Bình" in card.name.text(), timeout=10_000)

    assert card.missed is None
    assert card.reason.text() == ""


def test_a_refusal_named_once_it_could_be_read_is_not_named_on_every_answer_after(
        make_window, qtbot, tmp_path):
    """Answers stay up for result_seconds (15 by default) and a queue scans faster than
    that, so the card is not READY again between people: the note of a refusal that was
    replaced too soon stayed on every answer after it, "the scan just before, at 10:32:05:
    REFUSED — check that person again" beside each next person for as long as the queue
    ran. Once the answer naming it has been up RED_SEEN_SECONDS, it was there to be read:
    the next person's answer is their own."""
    window = make_window(held_for(tmp_path, 30), start=False)
    card = window.officer.card
    refused_then_accepted(window, qtbot)
    assert card.reason.text().startswith("Lượt quét ngay trước, lúc ")
    qtbot.wait(round(result_card.RED_SEEN_SECONDS * 1000) + 200)  # the note read

    window.kiosk.pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1"))
    qtbot.waitUntil(lambda: "Trần Thị Bình" in card.name.text(), timeout=10_000)

    assert card.headline.text() == "VÀO — HỢP\u00a0LỆ"
    assert card.reason.text() == ""
