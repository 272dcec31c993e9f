"""Keyboard-wedge scanners typing into the kiosk window: a fast burst ending in Enter is a
scan of the wedge device; a person typing slowly is not, and their keys go to the search."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from ui_support import (  # noqa: F401
    load,
    make_window_fixture,
    stored_entries,
    translations_built_fixture,
    write_config,
)

WEDGE = '\n[[devices]]\nid = "desk-wedge"\ntype = "wedge"\nlane = "in"\nmax_gap_ms = 50\n'
PCCOVID = "******012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|<1<00<0912345678"
"""A PC-Covid code is plain ASCII: what a US-layout scanner in keyboard mode can type."""


def test_a_fast_burst_ending_in_enter_is_recorded_as_a_scan_of_the_wedge_device(
        make_window, qtbot, tmp_path):
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    card = window.officer.card
    card.setFocus()
    qtbot.keyClicks(card, PCCOVID)  # back to back, as a scanner types
    qtbot.keyClick(card, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: card.state == "accepted", timeout=5000)
    assert card.name.text() == "NGUYEN VAN AN"
    [row] = stored_entries(load(path))
    assert (row["device_id"], row["source"], row["lane"], row["direction"], row["kind"]) == (
        "desk-wedge", "wedge", "in", "in", "pccovid")
    assert row["payload"].decode() == PCCOVID
    assert window.officer.search.text() == ""


def test_slow_typing_is_a_person_and_goes_to_the_search_box(make_window, qtbot, tmp_path):
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    card = window.officer.card
    card.setFocus()
    for key in "Binh":
        qtbot.keyClick(card, key, delay=120)  # a person: far slower than max_gap_ms
    qtbot.keyClick(card, Qt.Key.Key_Return, delay=120)
    qtbot.waitUntil(lambda: window.officer.search.text() == "Binh", timeout=5000)
    assert card.state == "idle"
    assert stored_entries(load(path)) == []


def test_the_wedge_badge_says_whether_the_window_has_the_keyboard(make_window, qtbot,
                                                                  tmp_path):
    window = make_window(write_config(tmp_path, WEDGE))
    window.activateWindow()
    badge = window.strip.badges["desk-wedge"]
    qtbot.waitUntil(lambda: badge.state == "connected", timeout=5000)
    window._show_sync()  # a scan is a scan there too (test_ui_wedge_anywhere.py)
    assert badge.state == "connected"
    other = QWidget()  # another program's window takes the keyboard
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: badge.state == "unfocused", timeout=5000)
    assert badge.toolTip() == "cửa sổ trạm quét đang không nhận bàn phím"
