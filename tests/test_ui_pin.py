"""The PIN gate (kiosk.pin) in front of the technician and sync screens and of leaving
kiosk mode; kiosk mode itself (full screen, no frame, focus kept on the scan target)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from ui_support import (  # noqa: F401
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.ui import pin


def type_pin(qtbot, dialog, digits: str) -> None:
    dialog.field.clear()
    qtbot.keyClicks(dialog.field, digits)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)


def test_wrong_pin_keeps_the_technician_screen_shut_and_the_right_one_opens_it(
        make_window, qtbot, tmp_path):
    window = make_window(write_config(tmp_path))
    qtbot.mouseClick(window.technician_button, Qt.MouseButton.LeftButton)
    dialog = window.gate.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.purpose.text() == "Nhập mã PIN để mở màn hình kỹ thuật"
    type_pin(qtbot, dialog, "1234")
    assert dialog.error.text() == "Sai mã PIN."
    assert window.stack.currentWidget() is window.officer
    assert window.technician is None
    type_pin(qtbot, dialog, "2468")
    assert window.stack.currentWidget() is window.technician
    assert not dialog.isVisible()


def test_keypad_buttons_enter_the_pin_for_the_sync_screen(make_window, qtbot, tmp_path):
    """The on-screen keypad is enough (touch-only kiosks)."""
    window = make_window(write_config(tmp_path))
    window.open_sync()
    dialog = window.gate.dialog
    keys = {b.text(): b for b in dialog.findChildren(type(dialog.ok))}
    for digit in "2468":
        qtbot.mouseClick(keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.sync_screen


def test_too_many_wrong_pins_lock_the_gate_for_a_while(make_window, qtbot, tmp_path,
                                                       monkeypatch):
    """After MAX_ATTEMPTS wrong PINs even the right PIN is refused until the lockout ends."""
    window = make_window(write_config(tmp_path))
    window.open_technician()
    dialog = window.gate.dialog
    for _ in range(pin.MAX_ATTEMPTS):
        type_pin(qtbot, dialog, "0000")
    assert "Thử lại sau" in dialog.error.text()
    assert not dialog.field.isEnabled()
    dialog.reject()
    window.open_technician()
    dialog = window.gate.dialog
    assert not dialog.field.isEnabled()
    window.gate._check(dialog, "2468", window._show_technician)
    assert window.technician is None
    window.gate.locked_until = 0.0  # the lockout has run out
    window.open_technician()
    type_pin(qtbot, window.gate.dialog, "2468")
    assert window.stack.currentWidget() is window.technician


def test_kiosk_mode_is_frameless_full_screen_and_closing_needs_the_pin(make_window, qtbot,
                                                                       tmp_path):
    window = make_window(write_config(tmp_path), kiosk_mode=True)
    window.show_for_mode()
    qtbot.waitUntil(window.isFullScreen)
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert window.exit_button.isVisible()
    window.close()
    assert window.isVisible(), "closing without the PIN must not close the kiosk"
    dialog = window.gate.dialog
    assert dialog.purpose.text() == "Nhập mã PIN để đóng trạm quét"
    type_pin(qtbot, dialog, "2468")
    qtbot.waitUntil(lambda: not window.isVisible())


def test_focus_guard_gives_the_keyboard_back_to_the_scan_target(make_window, qtbot,
                                                                tmp_path):
    """In kiosk mode a click on a button, or a search box left idle, hands the keyboard
    back to the scan target, so a wedge scanner's keys are not lost."""
    window = make_window(write_config(tmp_path), kiosk_mode=True)
    window.show_for_mode()
    window.activateWindow()
    card, search = window.officer.card, window.officer.search
    qtbot.waitUntil(lambda: QApplication.focusWidget() is card)
    window.language_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    window.language_button.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is card)
    search.setFocus()
    window.focus_guard.check()
    assert QApplication.focusWidget() is search, "a person typing keeps the search box"
    window.focus_guard.idle_ms = 0
    window.focus_guard.check()
    assert QApplication.focusWidget() is card
