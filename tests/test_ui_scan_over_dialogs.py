"""A scan from any scanner is seen while the manual-entry form or the PIN pad covers the card.

Review (revofficer 16, 18, 43, 44): only a keyboard-wedge scan closed the PIN pad and was
told in the form's line; a serial, USB or camera scanner's answer sounded behind a form that
covers a 7" screen whole, the PIN pad stayed open over a red card, and the form kept the
last wedge scan's green "VÀO — HỢP LỆ" over a refusal. A scan from a real serial line (a
pty) now closes the pad and replaces the form's line, in the colours of its card.
"""

from __future__ import annotations

import pytest
from devices_support import Pty
from PySide6.QtCore import QPoint, QRect, QSize
from ui_fit import fit_problems
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BAD_DATE,
    make_window_fixture,
    settle,
    translations_built_fixture,
    write_config,
)

from kiosk import messages
from kiosk.ui.result_card import COLOURS


def serial_lane(path: str) -> str:
    return f'\n[[devices]]\nid = "lane1"\ntype = "serial"\nport = "{path}"\nlane = "in"\n'


def connected(window, qtbot) -> None:
    qtbot.waitUntil(lambda: window.strip.badges["lane1"].state == "connected", timeout=10000)


def test_a_serial_scan_while_the_form_is_open_replaces_its_line_in_the_cards_colours(
        make_window, qtbot, tmp_path):
    """Accepted, the line is green; the next person's code with a date that does not exist
    replaces it, red: the officer reading the form never lets them through on the last
    one's answer. The form keeps what was typed."""
    with Pty() as pty:
        window = make_window(write_config(tmp_path, serial_lane(pty.path)))
        connected(window, qtbot)
        dialog = window.open_manual_entry()
        dialog.fields["name"].setText("Tran Thi Binh")
        notice = dialog.scan_notice

        pty.send((CCCD_AN + "\r\n").encode())
        qtbot.waitUntil(lambda: "VÀO — HỢP\u00a0LỆ" in notice.text(), timeout=5000)
        assert notice.text() == ("Vừa quét một mã khi cửa sổ này đang mở: VÀO — HỢP\u00a0LỆ — "
                                 "Nguyễn Văn An")
        assert f"background: {COLOURS['accepted'][0]}" in notice.styleSheet()

        pty.send((CCCD_BAD_DATE + "\r\n").encode())
        qtbot.waitUntil(lambda: "KHÔNG HỢP\u00a0LỆ" in notice.text(), timeout=5000)
        assert notice.text() == ("Vừa quét một mã khi cửa sổ này đang mở: KHÔNG HỢP\u00a0LỆ — "
                                 "Mã CCCD này bị hỏng hoặc không phải mã thật. Đề nghị đưa "
                                 "mã khác, hoặc khai báo thủ công.")
        assert f"background: {COLOURS['rejected'][0]}" in notice.styleSheet()
        assert dialog.isVisible() and dialog.fields["name"].text() == "Tran Thi Binh"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_on_a_7_inch_panel_the_forms_line_says_the_answer_the_card_under_it_would(
        make_window, qtbot, tmp_path, language):
    """At 800×480 the form covers the card whole, and its line said "the result card shows
    it" — a card the officer could not see. The line says the answer as the card does, its
    headline and then what to do (or whose name), and the form still fits the screen."""
    with Pty() as pty:
        window = make_window(write_config(tmp_path, serial_lane(pty.path)), language=language)
        window.set_language(language, remember=False)
        connected(window, qtbot)
        window.fit_to(QSize(800, 480))
        settle()
        dialog = window.open_manual_entry()
        settle()
        card = window.officer.card
        covered = QRect(card.mapToGlobal(QPoint(0, 0)), card.size())
        assert dialog.frameGeometry().contains(covered)  # nothing of the card to be seen

        pty.send((CCCD_BAD_DATE + "\r\n").encode())
        qtbot.waitUntil(lambda: dialog.scan_notice.text() != "", timeout=5000)
        settle()
        line = dialog.scan_notice.text()
        assert line == messages.text("manual.scanned_meanwhile", language, answer=(
            f"{card.headline.text()} — {card.name.text()}"))
        assert {"vi": "đưa mã khác", "en": "Ask for another code"}[language] in line
        assert "thẻ kết quả" not in line and "result card" not in line
        assert fit_problems(dialog) == []
        assert dialog.height() <= 480


def test_the_forms_own_entry_leaves_its_line_alone(make_window, qtbot, tmp_path):
    """The form's own entry is answered in the form (recorded: it closes): never told as "a
    code scanned". The line is read as its result is answered, after the window's own
    handler of it and before the form, closed, is deleted (read later, it was gone)."""
    with Pty() as pty:
        window = make_window(write_config(tmp_path, serial_lane(pty.path)))
        connected(window, qtbot)
        dialog = window.open_manual_entry()
        dialog.fields["name"].setText("Tran Thi Binh")
        dialog.fields["phone"].setText("0987654321")
        lines = []
        window.bridge.result.connect(lambda result: lines.append(
            (result.scan.source, dialog.scan_notice.text())))
        dialog.record()
        qtbot.waitUntil(lambda: lines != [], timeout=5000)
        assert lines == [("manual", "")]


def test_a_serial_scan_while_the_pin_pad_is_open_closes_the_pad(make_window, qtbot, tmp_path):
    """The officer typing the PIN must see the red card of the person in front of them."""
    with Pty() as pty:
        window = make_window(write_config(tmp_path, serial_lane(pty.path)))
        connected(window, qtbot)
        window.open_technician()
        assert window.gate.dialog is not None and window.gate.dialog.isVisible()

        pty.send((CCCD_BAD_DATE + "\r\n").encode())

        qtbot.waitUntil(lambda: window.officer.card.state == "rejected", timeout=5000)
        qtbot.waitUntil(lambda: window.gate.dialog is None, timeout=5000)
        assert window.gate.failures == 0
        assert window.stack.currentWidget() is window.officer
