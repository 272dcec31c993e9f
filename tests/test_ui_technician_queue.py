"""The technician screen at a queue: the kiosk stands where people scan, so the screen behind
the PIN never keeps the officer from them.

Left without input for ``[kiosk] technician_idle_seconds`` it goes back to the officer's
screen, drops unsaved edits and asks the PIN again; the next opening says what was dropped.
"Quay lại" (Back) with unsaved edits warns once, then drops them. A scan recorded meanwhile
(any device: the pipeline records it anyway) is answered on top of the screen.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from ui_support import (  # noqa: F401
    CCCD_AN,
    load,
    make_window_fixture,
    replay_device,
    stored_entries,
    translations_built_fixture,
    write_config,
)

SERIAL = ('\n[[devices]]\nid = "lane1"\ntype = "serial"\nlane = "in"\n'
          'port = "/dev/serial/by-id/usb-Honeywell-if00"\n')


def idle_after(seconds: int) -> str:
    return f"technician_idle_seconds = {seconds}\n\n"


def with_idle(tmp_path, seconds: int, devices: str = SERIAL):
    path = write_config(tmp_path, devices)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[store]", idle_after(seconds) + "[store]", 1), encoding="utf-8")
    return path


def open_with_pin(window, qtbot):
    window.open_technician()
    dialog = window.gate.dialog
    assert dialog is not None, "the PIN is asked"
    qtbot.keyClicks(dialog.field, "2468")
    dialog.ok.click()
    assert window.stack.currentWidget() is window.technician
    return window.technician


def test_left_idle_the_technician_screen_goes_back_to_the_officer_and_drops_the_edits(
        make_window, qtbot, tmp_path):
    """A technician typed into the port field and walked away: after the idle time the
    officer's screen is back, the edit is gone from the form, nothing was saved, and the
    next opening asks the PIN and says the edit was dropped."""
    path = with_idle(tmp_path, 1)
    before = path.read_bytes()
    window = make_window(path)
    screen = open_with_pin(window, qtbot)
    screen.form.fields["port"].put("/dev/ttyACM1")
    assert screen.dirty

    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.officer, timeout=5000)

    assert not screen.dirty
    assert screen.form.fields["port"].get() == "/dev/serial/by-id/usb-Honeywell-if00"
    assert path.read_bytes() == before
    screen = open_with_pin(window, qtbot)
    assert screen.message.text() == ("Đã bỏ các thay đổi chưa lưu: màn hình bị để yên 1 giây "
                                      "không ai thao tác.")


def test_the_note_of_dropped_edits_stays_red_and_is_reworded_on_a_language_switch(
        make_window, qtbot, tmp_path):
    """The note was the one text of the screen a switch did not re-word: it vanished, and
    the technician who came back never learnt their edits were dropped."""
    window = make_window(with_idle(tmp_path, 1))
    screen = open_with_pin(window, qtbot)
    screen.form.fields["port"].put("/dev/ttyACM1")
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.officer, timeout=5000)
    screen = open_with_pin(window, qtbot)

    vietnamese = screen.message.text()
    window.set_language("en", remember=False)  # each widget hears it as an event
    qtbot.waitUntil(lambda: screen.message.text() != vietnamese, timeout=5000)
    assert screen.message.text() == ("Unsaved changes were discarded: the screen was left 1 s "
                                     "without input.")
    assert screen.message.styleSheet() == "color: #c62828;"
    window.set_language("vi", remember=False)
    qtbot.waitUntil(lambda: screen.message.text() == vietnamese, timeout=5000)
    assert screen.message.styleSheet() == "color: #c62828;"


def test_the_back_warning_survives_a_language_switch(make_window, qtbot, tmp_path):
    """Re-worded, and still a warning: Back pressed after the switch drops the edits."""
    window = make_window(with_idle(tmp_path, 120))
    screen = open_with_pin(window, qtbot)
    screen.form.fields["port"].put("/dev/ttyACM1")
    screen.back.click()

    window.set_language("en", remember=False)
    qtbot.waitUntil(lambda: screen.message.text() == (
        "Unsaved changes: press Back again to discard them, or Save and apply to keep them."),
        timeout=5000)
    screen.back.click()
    assert window.stack.currentWidget() is window.officer and not screen.dirty


def test_a_technician_at_work_keeps_the_screen(make_window, qtbot, tmp_path):
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


def test_left_idle_without_edits_says_nothing_next_time(make_window, qtbot, tmp_path):
    window = make_window(with_idle(tmp_path, 1))
    open_with_pin(window, qtbot)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.officer, timeout=5000)
    assert open_with_pin(window, qtbot).message.text() == ""


def test_back_with_unsaved_edits_warns_once_then_drops_them(make_window, qtbot, tmp_path):
    """Unsaved edits never wait silently for the next opening, where anyone with the PIN
    would find them and might save them unread: Back warns first, Back again drops them."""
    path = with_idle(tmp_path, 120)
    before = path.read_bytes()
    window = make_window(path)
    screen = open_with_pin(window, qtbot)
    screen.form.fields["port"].put("/dev/ttyACM1")

    screen.back.click()
    assert window.stack.currentWidget() is screen
    assert screen.message.text() == ("Có thay đổi chưa lưu: bấm Quay lại lần nữa để bỏ chúng, "
                                     "hoặc Lưu và áp dụng để giữ.")
    screen.back.click()

    assert window.stack.currentWidget() is window.officer
    screen = open_with_pin(window, qtbot)
    assert not screen.dirty and screen.message.text() == ""
    assert screen.form.fields["port"].get() == "/dev/serial/by-id/usb-Honeywell-if00"
    assert path.read_bytes() == before


@pytest.mark.parametrize("leave", ["back", "idle"])
def test_what_was_typed_and_kept_nowhere_is_gone_once_the_screen_is_left(
        make_window, qtbot, tmp_path, leave):
    """A code typed or scanned into the port field is refused under the form (no device
    path has its "|"), so it is no edit and no warning keeps the screen; nor is text
    left in the Centre tab's code box. Both stayed for whoever opened the screen next:
    leaving it, by Back or the idle time, wipes them."""
    window = make_window(with_idle(tmp_path, 1))
    screen = open_with_pin(window, qtbot)
    screen.form.fields["port"].put("******054321|TRAN VAN BA|1990")
    assert not screen.dirty
    assert screen.form.error.text() == (  # as `kiosk config check` says it; never repeated
        "Không hợp lệ: devices[0].port: không thể là cổng nối tiếp: ký tự thứ 13 trong 29 là "
        "'|', không đường dẫn thiết bị nào có (một mã đã quét?); cần đường dẫn thiết bị, ví "
        'dụ "/dev/ttyACM0" hoặc "/dev/serial/by-id/…"')
    screen.enrol.code_box.setText("******054321|TRAN VAN BA|1990")

    if leave == "back":
        screen.back.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.officer, timeout=5000)

    screen = open_with_pin(window, qtbot)
    assert screen.form.fields["port"].get() == "/dev/serial/by-id/usb-Honeywell-if00"
    assert screen.form.error.text() == "" and screen.message.text() == ""
    assert screen.enrol.code_box.text() == ""


def test_back_without_edits_goes_straight_back(make_window, qtbot, tmp_path):
    window = make_window(with_idle(tmp_path, 120))
    screen = open_with_pin(window, qtbot)
    screen.back.click()
    assert window.stack.currentWidget() is window.officer


def test_a_scan_while_the_technician_screen_is_open_is_answered_on_top_of_it(
        make_window, qtbot, tmp_path):
    """Someone in the queue scans at a lane's scanner while the technician works: recorded,
    its cue sounds, and the answer is said above the technician's screen — not switched to
    the card, since a technician testing a scanner reads the Watch tab. Back shows the
    card; the notice is gone next time."""
    (tmp_path / "scans.txt").write_text(CCCD_AN + "\n", encoding="utf-8")
    path = with_idle(tmp_path, 120, replay_device("lane1", tmp_path / "scans.txt", lane="in"))
    window = make_window(path, start=False)
    screen = open_with_pin(window, qtbot)
    cues = []
    window.sounds.played.connect(cues.append)

    window.kiosk.start()

    qtbot.waitUntil(lambda: screen.scan_notice.isVisible(), timeout=10000)
    assert screen.scan_notice.text() == (
        "Vừa quét một mã khi màn hình kỹ thuật đang mở: VÀO — HỢP\u00a0LỆ — Nguyễn Văn An. "
        "Bấm Quay lại để xem thẻ kết quả.")
    assert cues == ["entry"]
    assert len(stored_entries(load(path))) == 1
    assert window.stack.currentWidget() is screen
    screen.back.click()
    assert window.officer.card.state == "accepted"
    assert not open_with_pin(window, qtbot).scan_notice.isVisible()
