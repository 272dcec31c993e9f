"""On a touch panel the store's words cut short on the officer's card (why it records no
scan, and the technician's way out: "kiosk store recover", "free some space", "close that
program") show whole at a tap, since no tooltip ever shows there: the card unfolds them in
place, at no less than 14 px, the officer's words above them giving way, until the next tap,
:data:`~kiosk.ui.result_card.UNFOLDED_SECONDS` or anything new to show. Words that fit are
left as they are. The card stays the scan target: a keyboard-wedge scanner's keys still
reach it, and the next scan's answer shows at once, folded.

Real offscreen windows at the seven sizes of tests/test_ui_states_fit.py, in Vietnamese and
English, every state that test shows; taps as QTest's mouse clicks on the reason line, and
once as a touch screen's touch (Qt makes it the mouse press).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui_states import (
    PANEL_DPI,
    SIZES,
    STORE_PATH,
    kiosk_config,
    refusing,
    state_problems,
    states,
    store_words,
    wait_until,
)
from ui_support import (  # noqa: F401
    CCCD_AN,
    make_window_fixture,
    settle,
    translations_built_fixture,
)

from kiosk.messages import Words
from kiosk.scan import Scan
from kiosk.ui.result_card import ELLIPSIS, READABLE_SIZES
from tests.test_ui_wedge import PCCOVID

CUT_ON_A_7_INCH_PANEL = ("store.damaged, between scans", "store.busy, between scans")
"""States whose words a 7" 800×480 panel cuts short in either language, among others (the
test taps whatever is cut): "… run kiosk store recover …", "Close that program …"."""


def shown(card: Any) -> dict[str, str]:
    """Each line of the card as it reads now."""
    return {name: getattr(card, name).text() for name in ("headline", "name", "details",
                                                           "reason")}


def whole(card: Any) -> bool:
    """The reason line reads all of its words (whatever breaks the card put in a long one)."""
    return card.reason.text().replace("\u200b", "") == card.texts[card.reason]


def tap(widget: Any) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


def kiosk_window(make_window: Any, tmp_path: Any, size: tuple[int, int],
                 language: str) -> tuple[Any, Any]:
    """A kiosk-mode window (a wedge scanner on the desk) at ``size`` in ``language``, the
    card holding the keyboard; and its certificate maker (ui_states.kiosk_config)."""
    path, certificate = kiosk_config(tmp_path, PANEL_DPI.get(size, 0))
    window = make_window(path, language=language, start=False, kiosk_mode=True)
    window.set_language(language, remember=False)
    window.fit_to(QSize(*size))
    window.activateWindow()
    card = window.officer.card
    card.setFocus()
    wait_until(lambda: QApplication.focusWidget() is card)
    return window, certificate


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_a_tap_shows_the_store_words_cut_short_whole_and_leaves_words_that_fit(
        make_window, tmp_path, size, language):
    window, certificate = kiosk_window(make_window, tmp_path, size, language)
    card = window.officer.card
    person = window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="t", lane="in"))
    failures, cut = [], []
    for state in states(window, language, person, certificate):
        failures += [f"{state}, before a tap: {p}" for p in state_problems(window, size)]
        before, words = shown(card), card.texts[card.reason]
        was_cut = not whole(card)
        tap(card.reason)
        settle()
        if QApplication.focusWidget() is not card:
            failures.append(f"{state}: a tap took the keyboard to {QApplication.focusWidget()}")
        if not was_cut:
            if shown(card) != before:
                failures.append(f"{state}: words that fit changed at a tap: {shown(card)}")
            continue
        cut.append(state)
        if not whole(card):
            failures.append(f"{state}: a tap shows {card.reason.text()!r}, not {words!r}")
        if card.reason.font().pixelSize() < READABLE_SIZES[3]:
            failures.append(f"{state}: unfolded at {card.reason.font().pixelSize()} px")
        if card.headline.text() != before["headline"]:
            failures.append(f"{state}: unfolded under {card.headline.text()!r}")
        failures += [f"{state}, unfolded: {p}" for p in state_problems(window, size)]
        tap(card.reason)
        settle()
        if shown(card) != before:
            failures.append(f"{state}: a second tap left {shown(card)}, not {before}")
    assert not failures, "\n".join(failures)
    if size == (800, 480):
        assert set(CUT_ON_A_7_INCH_PANEL) <= set(cut), cut


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_touch_unfolds_them_the_scanners_keys_still_reach_the_card_and_its_answer_shows(
        make_window, qtbot, tmp_path, language):
    """On a 7" panel: a finger's touch (no mouse) on the cut words unfolds them; the wedge
    scanner then types a code into whatever has the keyboard, as a real one does: the card
    has it still, the scan is recorded and its answer shows folded, painted with it."""
    window, _certificate = kiosk_window(make_window, tmp_path, (800, 480), language)
    card = window.officer.card
    refusing(window, store_words()["store.damaged"])
    settle()
    assert not whole(card), card.reason.text()
    screen = QTest.createTouchDevice()
    at = card.reason.mapTo(window, card.reason.rect().center())
    QTest.touchEvent(window, screen).press(0, at, window).commit()
    QTest.touchEvent(window, screen).release(0, at, window).commit()
    qtbot.waitUntil(lambda: whole(card), timeout=5000)
    assert "kiosk store recover" in card.reason.text().replace("\u200b", "")
    assert not card.name.isVisible()  # the officer's words gave way, not the headline
    assert QApplication.focusWidget() is card
    with qtbot.waitSignal(card.painted, timeout=5000) as painted:
        QTest.keyClicks(QApplication.focusWidget(), PCCOVID)
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    [result] = painted.args
    assert result.scan.source == "wedge" and result.recorded
    assert card.state == "accepted"
    assert card.name.text() == "NGUYEN VAN AN"  # the answer's lines, none left unfolded
    assert card.reason.text() == "" and not card.reason.isVisible()
    assert window.officer.search.text() == ""  # no key went astray


FAR_FOLDER = Path("/media/usb0") / "/".join(["Bản sao dữ liệu chốt Cầu Giấy"] * 120)
"""A store's folder nested 120 deep on a USB stick, named by a person (3,611 characters:
Linux takes 4,096): the full disk's words name it twice, too long for the card whole at any
size, even unfolded."""


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("size", [(800, 480), (480, 800), (1920, 1080), (1080, 1920)],
                         ids=["800x480", "480x800", "1920x1080", "1080x1920"])
def test_store_words_too_long_even_unfolded_end_in_an_ellipsis_not_clipped(
        make_window, tmp_path, size, language):
    """Unfolded, the store's words keep 14 px and the headline its size; what does not fit
    even so ends in "…" after the most whole words that do, all of them in the tooltip, as
    folded — more of them than folded. (They went on shrinking with the headline, down to
    9 px, and the last lines were clipped by the card's edge with no "…".)"""
    window, _certificate = kiosk_window(make_window, tmp_path, size, language)
    card = window.officer.card
    refusing(window, Words("store.full_read_only", {"path": STORE_PATH,
                                                    "folder": FAR_FOLDER}))
    settle()
    assert not whole(card) and not state_problems(window, size)
    folded, headline_px = card.reason.text(), card.headline.font().pixelSize()
    tap(card)
    settle()
    assert card.unfolded and not card.name.isVisible()
    shown_words = card.reason.text().replace("\u200b", "")
    assert shown_words.endswith(ELLIPSIS), shown_words[-60:]
    assert card.reason.toolTip() == card.texts[card.reason]
    assert len(shown_words) > len(folded.replace("\u200b", ""))
    assert card.reason.font().pixelSize() == READABLE_SIZES[3]
    assert card.headline.font().pixelSize() == headline_px
    assert not state_problems(window, size)
    tap(card)
    settle()
    assert not card.unfolded and card.reason.text() == folded


def test_unfolded_words_fold_back_by_themselves_and_for_anything_new(make_window, qtbot,
                                                                     tmp_path):
    """After a while with no tap, and at once for a scan being saved or the store's next
    state: the card never keeps words unfolded over what it must say now."""
    window, _certificate = kiosk_window(make_window, tmp_path, (800, 480), "vi")
    card = window.officer.card
    refusing(window, store_words()["store.log_gone"])
    settle()
    folded = shown(card)
    card.fold_timer.setInterval(300)  # UNFOLDED_SECONDS, shortened for the test
    tap(card)
    assert card.unfolded
    qtbot.waitUntil(lambda: not card.unfolded, timeout=5000)
    assert shown(card) == folded
    tap(card)
    assert card.unfolded
    card.scan_begun(Scan(b"a scan waiting for the lock", device_id="t", lane="in"))
    qtbot.waitUntil(lambda: card.saving, timeout=5000)
    assert not card.unfolded
    assert card.name.text() == card.texts[card.name] != ""  # SAVING…, wait: shown
    card.saving, card.awaiting = False, None
    refusing(window, store_words()["store.damaged"])
    tap(card)
    assert card.unfolded
    refusing(window, store_words()["store.busy"])
    assert not card.unfolded
    assert card.name.isVisible()
    refusing(window, None)
    assert card.state == "idle"
    tap(card)  # READY: nothing to unfold
    assert not card.unfolded and not card.fold_timer.isActive()
