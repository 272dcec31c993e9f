"""A keyboard-wedge scanner is heard wherever the keyboard is on the officer's screen.

The scanner types into whatever has the keyboard focus: the search box after an officer
searched, the manual-entry form, the PIN pad. Its burst is still a scan of the wedge device
— recorded once, shown on the card with its cue — and none of its keys reach the field. A
person typing (keys far apart) still gets their text, Backspace, Tab and Enter in the field
they are in, a moment later. So on the technician screen: a code scanned while a settings
field or the enrolment box has the keyboard is a scan, never typed into config.toml; only the
Watch tab's capture field, which a technician scans into to read the keys, takes its keys
(and forgets them once the screen is left).

Keys are real QKeyEvents sent to the focused widget, each with its own timestamp as the
window system stamps it: a scanner's 4 ms apart, a person's when they really happen.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from ui_support import (  # noqa: F401
    load,
    make_window_fixture,
    stored_entries,
    translations_built_fixture,
    write_config,
)

from kiosk.devices.stream import CUT_WAIT

WEDGE = '\n[[devices]]\nid = "desk-wedge"\ntype = "wedge"\nlane = "in"\nmax_gap_ms = 50\n'
SERIAL = '\n[[devices]]\nid = "lane1"\ntype = "serial"\nlane = "in"\nport = "/dev/ttyACM9"\n'
PCCOVID = "******012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|<1<00<0912345678"
SCANNER_GAP_MS = 4
PERSON_GAP_MS = 150
KEYS = {"\r": Qt.Key.Key_Return, "\t": Qt.Key.Key_Tab, "\b": Qt.Key.Key_Backspace}


def now_ms() -> int:
    return int(time.monotonic() * 1000)


def key(widget: QWidget, char: str, stamp_ms: int) -> None:
    """One key pressed and released, as the window system delivers it to ``widget``."""
    code = KEYS.get(char) or Qt.Key(ord(char.upper()))
    text = "" if char == "\b" else char
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        event = QKeyEvent(kind, code, Qt.KeyboardModifier.NoModifier, text)
        event.setTimestamp(stamp_ms)
        QApplication.sendEvent(widget, event)


def shift(widget: QWidget, kind: QEvent.Type, stamp_ms: int) -> None:
    """The Shift key alone, pressed or released (a scanner's capitals)."""
    event = QKeyEvent(kind, Qt.Key.Key_Shift, Qt.KeyboardModifier.ShiftModifier
                      if kind == QEvent.Type.KeyPress else Qt.KeyboardModifier.NoModifier)
    event.setTimestamp(stamp_ms)
    QApplication.sendEvent(widget, event)


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard"
    return widget


def scanner_types(code: str) -> None:
    """A scanner in keyboard mode: the code and Enter, back to back, into the focus."""
    start = now_ms()
    for index, char in enumerate(code + "\r"):
        key(focused(), char, start + index * SCANNER_GAP_MS)


def scanner_sends(keys: str, gap_ms: int = SCANNER_GAP_MS) -> None:
    """A scanner's keys 4 ms apart (or ``gap_ms``) into the focus, the last one now: a part of
    a code (\r is its Enter) that the next part, or nothing, follows after a real pause."""
    end = now_ms()
    for index, char in enumerate(keys):
        key(focused(), char, end - (len(keys) - 1 - index) * gap_ms)


def person_types(qtbot, text: str) -> None:
    """A person at the keyboard: each key well after the last (\\b is Backspace)."""
    for char in text:
        qtbot.wait(PERSON_GAP_MS)
        key(focused(), char, now_ms())
    qtbot.wait(PERSON_GAP_MS)  # the last key is handed on once the gap says "a person"


def active(window, qtbot) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def scanned_once(path) -> dict:
    [row] = stored_entries(load(path))
    assert (row["device_id"], row["source"], row["kind"]) == ("desk-wedge", "wedge", "pccovid")
    assert row["payload"].decode() == PCCOVID
    return row


def test_a_scan_while_the_search_box_has_the_keyboard_is_recorded_not_searched(
        make_window, qtbot, tmp_path):
    """The officer searched for someone; the next person scans: recorded, and their code is
    not shown in the search box in front of the queue."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    card, search = window.officer.card, window.officer.search
    card.setFocus()
    person_types(qtbot, "Binx\bh")  # typed at the card: goes to the search box
    assert search.text() == "Binh"
    assert focused() is search
    cues = []
    window.sounds.played.connect(cues.append)

    scanner_types(PCCOVID)

    qtbot.waitUntil(lambda: card.state == "accepted", timeout=5000)
    assert card.name.text() == "NGUYEN VAN AN"
    assert cues == ["entry"]  # the cue sounds
    scanned_once(path)
    assert search.text() == "Binh"


def test_a_scanner_pressing_shift_for_its_capitals_is_still_one_scan(make_window, qtbot,
                                                                     tmp_path):
    """Shift alone is no character: it passes and never breaks the burst in two."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    search = window.officer.search
    search.setFocus()
    stamp = now_ms()
    for char in PCCOVID + "\r":
        stamp += SCANNER_GAP_MS
        shifted = char.isupper() or char in "*|<"
        if shifted:
            shift(search, QEvent.Type.KeyPress, stamp)
        key(search, char, stamp)
        if shifted:
            shift(search, QEvent.Type.KeyRelease, stamp)

    qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=5000)
    scanned_once(path)
    assert search.text() == ""


def test_a_person_typing_in_the_search_box_gets_their_text_and_keys(make_window, qtbot,
                                                                    tmp_path):
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    search = window.officer.search
    search.setFocus()
    person_types(qtbot, "An\b\bBinh\r")
    assert search.text() == "Binh"
    assert stored_entries(load(path)) == []


def test_a_persons_key_is_handed_on_without_waiting_for_the_next(make_window, qtbot, tmp_path):
    """The detector needs the gap (max_gap_ms) to tell a person: one key, then nothing, still
    reaches the field a moment later."""
    window = make_window(write_config(tmp_path, WEDGE))
    active(window, qtbot)
    search = window.officer.search
    search.setFocus()
    key(search, "B", now_ms())
    assert search.text() == ""  # held: it could be a scanner's first key
    qtbot.waitUntil(lambda: search.text() == "B", timeout=1000)


def test_a_scan_while_the_manual_entry_form_is_half_filled_is_recorded_and_the_form_kept(
        make_window, qtbot, tmp_path):
    """A walk-in's name and phone are typed, the officer is on the address; the next person
    holds their code to the scanner. It is recorded as their scan, the scanner's Enter does
    not submit the form, and the officer finishes the form by hand."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    dialog = window.open_manual_entry()
    qtbot.waitUntil(lambda: focused() is dialog.fields["name"])
    person_types(qtbot, "Tran Thi Binh\t\t0987654321\t")
    assert focused() is dialog.fields["address"]

    scanner_types(PCCOVID)

    qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=5000)
    scanned_once(path)
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.scan_notice.text() != "", timeout=5000)
    assert dialog.scan_notice.text() == (  # the card behind is covered: the form says it
        "Vừa quét một mã khi cửa sổ này đang mở: VÀO — HỢP\u00a0LỆ — NGUYEN VAN AN")
    assert {name: field.text() for name, field in dialog.fields.items()} == {
        "name": "Tran Thi Binh", "document_number": "", "phone": "0987654321",
        "address": "", "reason": ""}

    person_types(qtbot, "12 Hue\r")  # the person's Enter still submits the form
    qtbot.waitUntil(lambda: window.manual_dialog is None, timeout=5000)  # closed
    rows = stored_entries(load(path))
    assert sorted(row["kind"] for row in rows) == ["manual", "pccovid"]
    [manual] = [row for row in rows if row["kind"] == "manual"]
    assert manual["name"] == "Tran Thi Binh"


def test_a_scan_while_the_manual_entry_form_is_empty_is_not_typed_into_the_name(
        make_window, qtbot, tmp_path):
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    dialog = window.open_manual_entry()
    qtbot.waitUntil(lambda: focused() is dialog.fields["name"])

    scanner_types(PCCOVID)

    qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=5000)
    scanned_once(path)
    assert dialog.isVisible() and dialog.fields["name"].text() == ""


def test_a_key_held_down_in_a_field_types_there_and_is_no_scan(make_window, qtbot, tmp_path):
    """A key held down repeats ~30 times a second, as fast as a scanner types: with a wedge
    set to no terminator it was a scan of "0000…" (recorded, and the field empty)."""
    path = write_config(tmp_path, WEDGE.replace('max_gap_ms = 50', 'max_gap_ms = 50\n'
                                                'terminator = "none"'))
    window = make_window(path)
    active(window, qtbot)
    dialog = window.open_manual_entry()
    qtbot.waitUntil(lambda: focused() is dialog.fields["name"])
    field = focused()
    start = now_ms()
    for index in range(12):  # pressed, then the keyboard's repeats 33 ms apart
        event = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_0, Qt.KeyboardModifier.NoModifier,
                          "0", index > 0)
        event.setTimestamp(start + index * 33)
        QApplication.sendEvent(field, event)
    release = QKeyEvent(QEvent.Type.KeyRelease, Qt.Key.Key_0, Qt.KeyboardModifier.NoModifier,
                        "0")
    release.setTimestamp(start + 12 * 33)
    QApplication.sendEvent(field, release)
    qtbot.wait(PERSON_GAP_MS * 2)  # past any burst's end

    assert dialog.fields["name"].text() == "0" * 12
    assert stored_entries(load(path)) == []


def test_a_scan_while_the_pin_pad_is_open_is_recorded_and_closes_the_pad(make_window, qtbot,
                                                                         tmp_path):
    """Someone in the queue scans while the officer types the PIN: the scan is recorded,
    counts as no wrong PIN, and closes the pad so that the card shows its answer (a 4-line
    notice squeezed into the pad was unreadable at 800×480); the PIN is typed again."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    window.open_technician()
    dialog = window.gate.dialog
    qtbot.waitUntil(lambda: focused() is dialog.field)
    person_types(qtbot, "24")

    scanner_types(PCCOVID)

    qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=5000)
    scanned_once(path)
    qtbot.waitUntil(lambda: window.gate.dialog is None, timeout=5000)  # closed: the card
    assert window.gate.failures == 0
    window.open_technician()
    qtbot.waitUntil(lambda: focused() is window.gate.dialog.field)
    person_types(qtbot, "2468\r")  # the officer's own PIN still opens the screen
    assert window.stack.currentWidget() is window.technician


def test_the_pin_typed_as_fast_as_a_scanner_opens_the_screen_and_is_no_entry(make_window,
                                                                            qtbot, tmp_path):
    """An officer who knows the PIN by heart types it and Enter keys 10 ms apart, as fast
    as a scanner: it was a scan of "2468" — an entry counted IN and uploaded, the PIN in
    it, and the pad still shut. A burst into the pad that is the PIN is the pad's: it opens
    the screen, no entry. A wrong PIN typed that fast is a scan like any code (the next
    test); typed at a person's pace it is a wrong PIN, and the pad stays open to say so
    (its Enter once pressed Cancel too)."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    window.open_technician()
    qtbot.waitUntil(lambda: focused() is window.gate.dialog.field)

    person_types(qtbot, "1357\r")

    assert window.gate.failures == 1
    assert window.gate.dialog.error.text() == "Sai mã PIN."
    scanner_sends("2468\r", gap_ms=10)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.technician, timeout=2000)
    qtbot.wait(PERSON_GAP_MS)
    assert stored_entries(load(path)) == []
    assert window.officer.card.state == "idle"


@pytest.mark.parametrize("code", ["893456123456", "1357"], ids=["a 12-digit badge",
                                                                "a wrong PIN typed fast"])
def test_digits_scanned_into_the_pin_pad_are_an_entry_and_never_a_wrong_pin(
        make_window, qtbot, tmp_path, code):
    """Someone in the queue holds up a numeric badge (or a UPC-A: 12 digits) while the PIN
    pad is open: all digits, as short as a PIN, it was typed into the pad as a wrong PIN —
    no entry, no cue, the card idle, and five such scans locked the technician out for a
    minute. A burst into the pad is the pad's only when it is the PIN: anything else,
    a wrong PIN typed as fast as a scanner too, is a scan — recorded, shown on the card,
    the pad closed — and counts as no wrong PIN."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    window.open_technician()
    qtbot.waitUntil(lambda: focused() is window.gate.dialog.field)

    scanner_types(code)

    qtbot.waitUntil(lambda: window.officer.card.state == "not_id", timeout=5000)
    [row] = stored_entries(load(path))
    assert (row["source"], row["kind"], row["payload"]) == ("wedge", "other", code.encode())
    qtbot.waitUntil(lambda: window.gate.dialog is None, timeout=5000)  # closed: the card
    assert window.gate.failures == 0
    assert window.stack.currentWidget() is window.officer


def test_a_scan_while_the_enrolment_box_has_the_keyboard_is_recorded_not_typed(
        make_window, qtbot, tmp_path):
    """The Centre tab puts the cursor in its code box; someone in the queue scans at the
    desk scanner. Their code was typed into the box (and, with a terminator other than
    Enter, stayed there for the next person to open the screen): now it is their scan,
    recorded and answered on top of the screen, and the box stays empty."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    window._show_technician()
    screen = window.technician
    qtbot.wait(200)  # as below: activate the window again, as the technician's tap does
    active(window, qtbot)
    screen.tabs.setCurrentWidget(screen.enrol_tab)
    qtbot.waitUntil(lambda: focused() is screen.enrol.code_box)

    scanner_types(PCCOVID)

    qtbot.waitUntil(lambda: screen.scan_notice.isVisible(), timeout=5000)
    scanned_once(path)
    assert screen.enrol.code_box.text() == "" and screen.enrol.status.text() == ""


def test_an_enrolment_code_scanned_into_the_enrolment_box_is_taken_as_a_scan(
        make_window, qtbot, tmp_path):
    """The technician's own scan of the centre's code is a scan like any device's: the
    Centre tab takes it (this one is no whole code, and says so), nothing is recorded."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    window._show_technician()
    screen = window.technician
    qtbot.wait(200)
    active(window, qtbot)
    screen.tabs.setCurrentWidget(screen.enrol_tab)
    qtbot.waitUntil(lambda: focused() is screen.enrol.code_box)

    scanner_types("ckenrol:1?u=x")

    qtbot.waitUntil(lambda: screen.enrol.status.text() != "", timeout=5000)
    assert screen.enrol.status.text().startswith("Mã đăng ký không hợp lệ: ")
    assert screen.enrol.code_box.text() == ""
    assert not screen.scan_notice.isVisible()
    assert stored_entries(load(path)) == []


def test_a_scan_while_a_technician_field_has_the_keyboard_is_recorded_not_typed(
        make_window, qtbot, tmp_path):
    """The technician is in a serial scanner's port field; someone in the queue holds their
    code to the desk scanner. It is their scan, recorded and answered on top of the screen;
    the port field, and so config.toml, never gets their name or phone number. The
    technician's own keys still reach the field."""
    path = write_config(tmp_path, SERIAL + WEDGE)
    window = make_window(path)
    window._show_technician()
    screen = window.technician
    qtbot.wait(200)  # offscreen, showing this screen deactivates the window once: activate
    # it again, as the technician's tap on the field would
    active(window, qtbot)
    port = screen.form.fields["port"].widget
    port.setFocus()
    qtbot.waitUntil(lambda: focused() is port)
    scanner_types(PCCOVID)

    qtbot.waitUntil(lambda: screen.scan_notice.isVisible(), timeout=5000)
    scanned_once(path)
    assert screen.scan_notice.text() == (
        "Vừa quét một mã khi màn hình kỹ thuật đang mở: VÀO — HỢP\u00a0LỆ — NGUYEN VAN AN. "
        "Bấm Quay lại để xem thẻ kết quả.")
    assert port.text() == "/dev/ttyACM9" and not screen.dirty
    person_types(qtbot, "0")
    assert port.text() == "/dev/ttyACM90" and screen.dirty


def test_a_queue_scanning_does_not_keep_the_technician_screen_open(make_window, qtbot,
                                                                     tmp_path):
    """Only a person's touch, click or key counts as the technician at work: codes scanned
    at the desk scanner leave the idle time running, and the officer's screen comes back."""
    path = write_config(tmp_path, SERIAL + WEDGE)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "[store]", "technician_idle_seconds = 1\n\n[store]", 1), encoding="utf-8")
    window = make_window(path)
    window._show_technician()
    qtbot.wait(200)  # as above
    active(window, qtbot)
    port = window.technician.form.fields["port"].widget
    port.setFocus()
    qtbot.waitUntil(lambda: focused() is port)
    idle = window.pin_screen_idle
    qtbot.wait(50)
    left = idle.remainingTime()

    scanner_types(PCCOVID)
    assert idle.isActive() and idle.remainingTime() <= left  # not started over by the burst

    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.officer, timeout=5000)
    card = window.officer.card  # its answer: the scan is written in the scans lane, which
    qtbot.waitUntil(lambda: card.state == "accepted", timeout=5000)  # the idle time outran
    scanned_once(path)


def test_on_the_watch_tab_a_scanner_still_types_into_the_capture_field(
        make_window, qtbot, tmp_path):
    """Out of scope on purpose: there the technician reads the scanner's keys and gaps."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    window._show_technician()
    screen = window.technician
    screen.tabs.setCurrentWidget(screen.watch_tab)
    screen.watch.capture.setFocus()
    qtbot.waitUntil(lambda: focused() is screen.watch.capture)
    start = now_ms()
    for index, char in enumerate("ABC123"):
        key(screen.watch.capture, char, start + index * SCANNER_GAP_MS)
    assert screen.watch.capture.text() == "ABC123"
    assert stored_entries(load(path)) == []


@pytest.mark.parametrize("leave", ["back", "idle", "sync screen"])
def test_a_code_scanned_into_the_capture_field_is_gone_once_the_screen_is_left(
        make_window, qtbot, tmp_path, leave):
    """Someone's PC-Covid code scanned into the Watch tab's field (and listed key by key in
    its log) stayed on the screen for whoever opened it next: leaving the screen, by Back,
    the idle time or for the sync screen, wipes both."""
    path = write_config(tmp_path, WEDGE)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "[store]", "technician_idle_seconds = 1\n\n[store]", 1), encoding="utf-8")
    window = make_window(path)
    window._show_technician()
    screen = window.technician
    qtbot.wait(200)
    active(window, qtbot)
    screen.tabs.setCurrentWidget(screen.watch_tab)
    screen.watch.capture.setFocus()
    qtbot.waitUntil(lambda: focused() is screen.watch.capture)
    scanner_types(PCCOVID)
    assert screen.watch.capture.text() == PCCOVID
    assert "NGUYEN VAN AN" in screen.watch.output.toPlainText()

    if leave == "back":
        screen.back.click()
    elif leave == "sync screen":
        window._show_sync()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is not screen, timeout=5000)

    window._show_technician()
    assert screen.tabs.currentWidget() is screen.watch_tab
    assert screen.watch.capture.text() == ""
    assert "NGUYEN" not in screen.watch.output.toPlainText()


# -- a scanner stalling mid-code: its terminator is waited for (kiosk.devices.stream) ------
HEAD, REST = PCCOVID[:40], PCCOVID[40:]
CUT_WAIT_MS = int(CUT_WAIT * 1000)


def half_filled_form(window, qtbot):
    """The manual-entry form open, a walk-in's name typed, the cursor still in it."""
    dialog = window.open_manual_entry()
    qtbot.waitUntil(lambda: focused() is dialog.fields["name"])
    person_types(qtbot, "Tran Thi Binh")
    return dialog


def test_a_scanner_stalling_mid_code_is_one_scan_and_nothing_reaches_the_form(
        make_window, qtbot, tmp_path):
    """A 300 ms stall was a gap: the head went into the name as typing, the rest was
    recorded as an "other" code (accepted, green)."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    dialog = half_filled_form(window, qtbot)

    scanner_sends(HEAD)
    qtbot.wait(300)
    scanner_sends(REST + "\r")

    qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=5000)
    scanned_once(path)
    assert dialog.isVisible() and dialog.fields["name"].text() == "Tran Thi Binh"


def test_a_scanner_stalling_past_the_wait_says_scan_again_and_types_nothing(
        make_window, qtbot, tmp_path):
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    dialog = half_filled_form(window, qtbot)
    card = window.officer.card

    scanner_sends(HEAD)  # and its Enter never comes

    qtbot.waitUntil(lambda: card.state == "rejected", timeout=5000)
    assert card.headline.text() == "QUÉT LẠI"
    assert card.name.text() == "Mã chưa được đọc hết, chưa ghi gì. Quét lại."
    assert "máy quét ngừng gửi trước ký tự kết thúc" in card.reason.text()
    assert stored_entries(load(path)) == []
    assert dialog.isVisible() and dialog.fields["name"].text() == "Tran Thi Binh"


def test_the_rest_of_a_code_cut_off_is_refused_too_and_its_enter_submits_nothing(
        make_window, qtbot, tmp_path):
    """The scanner goes on after the head was cut: its rest is no code of its own (it was
    recorded, green), and its Enter is not the officer's submitting the form."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    dialog = half_filled_form(window, qtbot)
    card = window.officer.card
    with qtbot.waitSignal(window.wedge.scanned, timeout=5000):  # the head handed on, cut
        scanner_sends(HEAD)

    scanner_sends(REST + "\r")  # within the wait after the cut (the head's answer comes
    # from the scans lane: waiting for it outlasted the wait on a loaded machine)

    qtbot.waitUntil(lambda: "phần còn lại của một mã vừa bị ngắt quãng" in card.reason.text(),
                    timeout=5000)
    assert card.state == "rejected" and card.headline.text() == "QUÉT LẠI"
    assert stored_entries(load(path)) == []
    assert dialog.isVisible() and dialog.fields["name"].text() == "Tran Thi Binh"

    qtbot.wait(2 * CUT_WAIT_MS)  # "scan again": the person scans again, whole
    scanner_types(PCCOVID)
    qtbot.waitUntil(lambda: card.state == "accepted", timeout=5000)
    scanned_once(path)


def test_a_persons_keys_still_reach_the_form_well_before_the_cut_wait(make_window, qtbot,
                                                                       tmp_path):
    """Only a scanner's burst that has not ended waits for its Enter: a person's keys,
    seven rolled over fast too, are in the field a moment later, and their Enter submits."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    dialog = window.open_manual_entry()
    qtbot.waitUntil(lambda: focused() is dialog.fields["name"])
    name = dialog.fields["name"]
    for char in "Tran":
        key(name, char, now_ms())
        qtbot.waitUntil(lambda typed=char: name.text().endswith(typed),
                        timeout=CUT_WAIT_MS - 100)
    start = now_ms()
    for index, char in enumerate(" Thi Bi"):  # a typist's rollover: 10 ms apart
        key(name, char, start + index * 10)
    qtbot.waitUntil(lambda: name.text() == "Tran Thi Bi", timeout=CUT_WAIT_MS - 100)
    person_types(qtbot, "nh\t\t0987654321\t12 Hue\r")
    qtbot.waitUntil(lambda: window.manual_dialog is None, timeout=5000)  # submitted
    [row] = stored_entries(load(path))
    assert (row["kind"], row["name"]) == ("manual", "Tran Thi Binh")


def test_a_fast_typists_first_keys_are_typed_not_held_as_a_scanners(make_window, qtbot,
                                                                    tmp_path):
    """Four keys 40 ms apart were held as a scanner's, the slower ones after them joined,
    and the form's Enter ended the lot as a scan: recorded as an "other" code, the form
    left empty."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    dialog = window.open_manual_entry()
    qtbot.waitUntil(lambda: focused() is dialog.fields["name"])

    scanner_sends("Tran", gap_ms=40)  # a typist's rollover, just under the scanner's gap
    person_types(qtbot, " Thi Binh\t\t0987654321\t12 Hue\r")

    qtbot.waitUntil(lambda: window.manual_dialog is None, timeout=5000)  # submitted
    [row] = stored_entries(load(path))
    assert (row["kind"], row["name"]) == ("manual", "Tran Thi Binh")


def test_a_stalled_scan_then_the_officers_keys_cuts_the_scan_and_types_the_keys(
        make_window, qtbot, tmp_path):
    """The officer types on after a scanner stalled: their keys, under the wait apart, were
    joined to the held code and refused with it."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    dialog = half_filled_form(window, qtbot)
    card = window.officer.card

    scanner_sends(HEAD)  # stalls for good
    person_types(qtbot, " Jr")

    qtbot.waitUntil(lambda: dialog.fields["name"].text() == "Tran Thi Binh Jr", timeout=5000)
    qtbot.waitUntil(lambda: card.state == "rejected", timeout=5000)  # from the scans lane
    assert card.headline.text() == "QUÉT LẠI"
    assert "máy quét ngừng gửi trước ký tự kết thúc" in card.reason.text()
    assert stored_entries(load(path)) == []


def test_a_scanners_enter_after_its_code_was_cut_never_submits_the_form(make_window, qtbot,
                                                                        tmp_path):
    """The code sent, its Enter 0.6 s later: the code was refused, and the lone Enter was
    typed — the form's default button submitting a walk-in's half-filled form (recorded
    without the address the officer was about to type)."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    active(window, qtbot)
    scans: list = []
    window.wedge.scanned.connect(scans.append)
    dialog = half_filled_form(window, qtbot)
    person_types(qtbot, "\t\t0987654321\t")  # the phone too; the cursor in the address
    card = window.officer.card

    scanner_sends(PCCOVID)
    qtbot.wait(600)
    scanner_sends("\r")

    qtbot.waitUntil(lambda: card.state == "rejected", timeout=5000)
    qtbot.wait(2 * CUT_WAIT_MS)
    assert [(scan.payload, scan.cut) for scan in scans] == [(PCCOVID.encode(), "gap")]
    assert card.headline.text() == "QUÉT LẠI"  # once: the swallowed Enter is no scan
    assert window.manual_dialog is dialog and dialog.isVisible() and not dialog.status.text()
    assert dialog.fields["name"].text() == "Tran Thi Binh"
    assert stored_entries(load(path)) == []


# -- a scanner's space with a button focused: a scan, never a press -----------------------
def test_a_scan_while_the_sync_screens_back_button_has_the_keyboard_is_one_scan(
        make_window, qtbot, tmp_path):
    """The operator last tapped Back; the next person scans at the desk scanner. The space
    in "NGUYEN VAN AN" pressed Back, and the rest was recorded as a code of its own ("VAN
    AN|1990-…", shown accepted): the person's real code lost. Now it is their one scan,
    answered on top of the sync screen, which stays."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    window._show_sync()
    screen = window.sync_screen
    qtbot.wait(200)  # as on the technician screen: activate the window again, as a tap does
    active(window, qtbot)
    screen.back.setFocus()
    qtbot.waitUntil(lambda: focused() is screen.back)

    scanner_types(PCCOVID)

    qtbot.waitUntil(lambda: screen.scan_notice.isVisible(), timeout=5000)
    scanned_once(path)
    assert screen.scan_notice.text() == (
        "Vừa quét một mã khi màn hình đồng bộ đang mở: VÀO — HỢP\u00a0LỆ — NGUYEN VAN AN. "
        "Bấm Quay lại để xem thẻ kết quả.")
    assert window.stack.currentWidget() is screen


def test_a_scan_while_a_technician_button_has_the_keyboard_is_one_scan(make_window, qtbot,
                                                                      tmp_path):
    """The same on the technician screen: its Back (or Save) focused, a scanned space
    presses nothing. The officer's screen has no button that takes the keyboard."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    window._show_technician()
    screen = window.technician
    qtbot.wait(200)
    active(window, qtbot)
    screen.back.setFocus()
    qtbot.waitUntil(lambda: focused() is screen.back)

    scanner_types(PCCOVID)

    qtbot.waitUntil(lambda: screen.scan_notice.isVisible(), timeout=5000)
    scanned_once(path)
    assert window.stack.currentWidget() is screen


def test_an_operator_still_types_the_export_file_name(make_window, qtbot, tmp_path):
    """The export's file chooser is in scope (no one scans into a file name: a code there
    would name a file on a stick after a person, its Enter writing the backlog), and the
    operator's own keys still reach its name field."""
    path = write_config(tmp_path, WEDGE)
    window = make_window(path)
    window._show_sync()
    chooser = window.sync_screen.choose_export_file()
    qtbot.wait(200)
    chooser.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is chooser)
    name = focused()
    name.selectAll()

    person_types(qtbot, "an.backlog")

    assert name.text() == "an.backlog"
    scanner_types(PCCOVID)
    qtbot.waitUntil(lambda: len(stored_entries(load(path))) == 1, timeout=5000)
    scanned_once(path)
    assert name.text() == "an.backlog" and chooser.isVisible()
