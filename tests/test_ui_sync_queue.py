"""The sync screen at a queue: behind the same PIN as the technician screen, it never keeps
the officer from the people scanning, nor the backlog open to a passer-by.

Left without input for ``[kiosk] technician_idle_seconds`` (the one setting for both screens
behind the PIN) it goes back to the officer's screen and asks the PIN again; an export's
file chooser left open goes with it. A scan recorded meanwhile (any device: the pipeline
records it anyway) is answered on top of the screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from test_ui_technician_queue import with_idle
from ui_support import (  # noqa: F401
    CCCD_AN,
    load,
    make_window_fixture,
    replay_device,
    stored_entries,
    translations_built_fixture,
    write_config,
)


def open_with_pin(window, qtbot):
    window.open_sync()
    dialog = window.gate.dialog
    assert dialog is not None, "the PIN is asked"
    qtbot.keyClicks(dialog.field, "2468")
    dialog.ok.click()
    assert window.stack.currentWidget() is window.sync_screen
    return window.sync_screen


def test_left_idle_the_sync_screen_goes_back_to_the_officer_and_asks_the_pin_again(
        make_window, qtbot, tmp_path):
    window = make_window(with_idle(tmp_path, 1))
    open_with_pin(window, qtbot)

    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.officer, timeout=5000)

    window.open_sync()
    assert window.gate.dialog is not None and window.stack.currentWidget() is window.officer


def test_an_operator_at_work_keeps_the_sync_screen(make_window, qtbot, tmp_path):
    """Each touch, click or key starts the idle time again."""
    window = make_window(with_idle(tmp_path, 5))
    screen = open_with_pin(window, qtbot)
    idle = window.pin_screen_idle
    qtbot.wait(1000)  # more than a coarse timer's 5 % (250 ms) either way
    left = idle.remainingTime()
    qtbot.mouseClick(screen.table.viewport(), Qt.MouseButton.LeftButton)
    assert idle.isActive() and idle.remainingTime() > left  # started over by the click
    assert window.stack.currentWidget() is screen
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.officer, timeout=15000)


def test_an_export_file_chooser_left_open_is_closed_with_the_screen(make_window, qtbot,
                                                                     tmp_path):
    """The operator chose "Export backlog to file…" and walked away: the chooser does not
    stay over the officer's screen, one tap from writing the whole backlog to a stick."""
    window = make_window(with_idle(tmp_path, 1))
    chooser = open_with_pin(window, qtbot).choose_export_file()
    assert chooser.isVisible()
    closed = []
    chooser.finished.connect(closed.append)

    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.officer, timeout=5000)

    assert closed == [QFileDialog.DialogCode.Rejected]  # nothing written


def test_a_scan_while_the_sync_screen_is_open_is_answered_on_top_of_it(
        make_window, qtbot, tmp_path):
    """Someone in the queue scans at a lane's scanner while the operator watches a push:
    recorded, its cue sounds, and the answer is said above the sync screen, which stays.
    Back shows the card; the notice is gone next time."""
    (tmp_path / "scans.txt").write_text(CCCD_AN + "\n", encoding="utf-8")
    path = with_idle(tmp_path, 120, replay_device("lane1", tmp_path / "scans.txt", lane="in"))
    window = make_window(path, start=False)
    screen = open_with_pin(window, qtbot)
    cues = []
    window.sounds.played.connect(cues.append)

    window.kiosk.start()

    qtbot.waitUntil(lambda: screen.scan_notice.isVisible(), timeout=10000)
    assert screen.scan_notice.text() == (
        "Vừa quét một mã khi màn hình đồng bộ đang mở: VÀO — HỢP\u00a0LỆ — Nguyễn Văn An. "
        "Bấm Quay lại để xem thẻ kết quả.")
    assert cues == ["entry"]
    assert len(stored_entries(load(path))) == 1
    assert window.stack.currentWidget() is screen
    screen.back.click()
    assert window.officer.card.state == "accepted"
    assert not open_with_pin(window, qtbot).scan_notice.isVisible()
