"""The technician's Watch tab, for a serial scanner read at the wrong baud rate (review, on a
real X server with a pty scanner: the tab called the line noise "dữ liệu 33 byte" though 19
bytes were sent, read as cp1258 text, said nothing of the baud rate, and stamped its lines
in UTC while the header clock showed the kiosk's time).

A real kiosk and window (offscreen Qt) with its scanner on a real pseudo-terminal, sent the
reviewer's reads: the tab shows the bytes as they arrived, refused, and says to check the
baud rate — both while the kiosk reads the scanner and in the raw view.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from devices_support import Pty
from ui_support import (  # noqa: F401
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.devices.supervisor import CONNECTED

WRONG_BAUD = [  # the reviewer's three reads, each ended by the scanner's CR LF
    bytes.fromhex("80 f8 00 fe 78 80 00 f8 66 9e 06 e0 78 1e 80 e6 86 0d 0a"),
    bytes.fromhex("e6 18 9e 80 78 f8 06 00 86 fe 1e 80 60 e0 98 18 66 0d 0a"),
    bytes.fromhex("80 f8 00 fe 78 80 00 f8 66 06 e0 78 1e 80 e6 86 98 66 e0 0d 0a"),
]
BAUD_VI = "tốc độ baud có thể sai — đang đặt baudrate = 9600"


@pytest.fixture
def pty():
    with Pty() as one:
        yield one


def serial_lane(pty: Pty, enabled: bool = True) -> str:
    return (f'\n[[devices]]\nid = "lane1"\ntype = "serial"\nlane = "in"\nport = "{pty.path}"\n'
            f'baudrate = 9600\nenabled = {str(enabled).lower()}\n')


def open_watch(window, qtbot):
    window.open_technician()
    dialog = window.gate.dialog
    qtbot.keyClicks(dialog.field, "2468")
    dialog.ok.click()
    screen = window.technician
    screen.tabs.setCurrentWidget(screen.watch_tab)
    screen.watch.watch(window.bridge.config.devices[0])
    return screen.watch


def test_noise_read_by_the_kiosk_is_shown_refused_with_the_baud_rate_to_check(
        make_window, qtbot, pty, tmp_path) -> None:
    window = make_window(write_config(tmp_path, serial_lane(pty)))
    qtbot.waitUntil(lambda: window.kiosk.supervisor.status()[0].state == CONNECTED)
    panel = open_watch(window, qtbot)
    for read in WRONG_BAUD:
        pty.send(read)
        time.sleep(0.2)
    qtbot.waitUntil(lambda: panel.output.toPlainText().count("→ rejected") == 3,
                    timeout=10000)
    text = panel.output.toPlainText()
    assert text.count("dữ liệu 17 byte: ") == 2 and "dữ liệu 19 byte: " in text
    assert "33 byte" not in text and "31 byte" not in text and "35 byte" not in text
    assert "→ accepted" not in text and "tốc độ baud" in text
    assert BAUD_VI in panel.hints.text() and "9600 / 115200" in panel.hints.text()
    assert panel.hints.isVisible()


def test_the_raw_view_of_noise_advises_the_baud_rate_not_utf8(make_window, qtbot, pty,
                                                              tmp_path) -> None:
    window = make_window(write_config(tmp_path, serial_lane(pty, enabled=False)))
    panel = open_watch(window, qtbot)
    panel.raw_button.click()
    qtbot.waitUntil(lambda: "/dev/pts" in panel.output.toPlainText(), timeout=10000)
    for read in WRONG_BAUD:
        pty.send(read)
        time.sleep(0.2)
    qtbot.waitUntil(lambda: "scan/quét 3" in panel.output.toPlainText(), timeout=10000)
    panel.raw_button.click()  # stop: the summary follows
    qtbot.waitUntil(lambda: "scan(s)" in panel.output.toPlainText(), timeout=10000)
    text = panel.output.toPlainText()
    assert "== scan/quét 1: 17 bytes" in text and "→ other" not in text
    assert text.count("refused/từ chối: code_cut") == 3
    assert "baudrate = 9600 is set" in text and BAUD_VI in text
    assert "not UTF-8" not in text


def test_the_watch_log_is_stamped_in_the_kiosks_zone_as_the_header_clock(
        make_window, qtbot, pty, tmp_path, monkeypatch) -> None:
    """The kiosk runs in Asia/Ho_Chi_Minh; the process's own zone (TZ) is UTC, as under
    systemd on a machine set to UTC."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        window = make_window(write_config(tmp_path, serial_lane(pty, enabled=False)))
        panel = open_watch(window, qtbot)
        zone = window.bridge.config.timezone
        before = dt.datetime.now(zone).strftime("%H:%M:%S")
        panel.log("a line")
        after = dt.datetime.now(zone).strftime("%H:%M:%S")
    finally:
        monkeypatch.undo()
        time.tzset()
    stamp = panel.output.toPlainText().splitlines()[-1].split()[0]
    assert stamp in (before, after)


def test_the_advice_follows_the_screens_language(make_window, qtbot, pty, tmp_path) -> None:
    """Switched to English, the tab's reasons and advice are English too (they were always
    Vietnamese: the panel kept a language of its own)."""
    window = make_window(write_config(tmp_path, serial_lane(pty)))
    window.set_language("en", remember=False)
    qtbot.waitUntil(lambda: window.kiosk.supervisor.status()[0].state == CONNECTED)
    panel = open_watch(window, qtbot)
    pty.send(WRONG_BAUD[0])
    qtbot.waitUntil(lambda: "baudrate = 9600 is set" in panel.hints.text(), timeout=10000)
    assert BAUD_VI not in panel.hints.text()
