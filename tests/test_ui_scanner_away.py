"""An officer sees on the card, not in a tooltip, that no scanner can take a scan
(real Qt, offscreen; a real pseudo-terminal for a serial scanner, the keyboard wedge).

READY — "Mời quét mã QR" — with the scanner unplugged sent the queue to scan into nothing:
the only sign was a small amber "lane1: đang chờ" at the bottom, the same word and colour as
a wedge whose window lacks the keyboard, the reason in a tooltip a touch panel never shows.
Now, every scanner away (unplugged, not found, failing, a wedge without the keyboard) for
3 s, the idle card turns amber: MÁY QUÉT CHƯA SẴN SÀNG / SCANNER NOT CONNECTED, with the first
scanner's reason in words; one scanner back, it reads READY at once. The badge tells "not
connected" (chưa kết nối) from a wedge "waiting for focus" (chờ nhận bàn phím).
"""

from __future__ import annotations

from pathlib import Path

from devices_support import Pty, symlink
from PySide6.QtWidgets import QApplication, QWidget
from ui_support import make_window_fixture, translations_built_fixture, write_config  # noqa: F401

SCANNERS_AWAY_MS = 3000
"""How long every scanner is away before the card says so."""
WEDGE = '\n[[devices]]\nid = "desk-wedge"\ntype = "wedge"\nlane = "toggle"\n'


def serial_lane(device_id: str, port: Path) -> str:
    return f'\n[[devices]]\nid = "{device_id}"\ntype = "serial"\nport = "{port}"\nlane = "in"\n'


def test_an_unplugged_scanner_turns_the_idle_card_amber_with_why(make_window, qtbot, tmp_path):
    port = tmp_path / "ttyScanner"  # as /dev/serial/by-id/… names a plugged-in scanner
    with Pty() as pty:
        symlink(port, pty.path)
        window = make_window(write_config(tmp_path, serial_lane("lane1", port)))
        badge, card = window.strip.badges["lane1"], window.officer.card
        qtbot.waitUntil(lambda: badge.state == "connected", timeout=10000)
        assert card.headline.text() == "SẴN SÀNG"

        pty.unplug()
        port.unlink()
        qtbot.waitUntil(lambda: badge.state != "connected", timeout=10000)
        qtbot.wait(SCANNERS_AWAY_MS - 1000)
        assert card.headline.text() == "SẴN SÀNG"  # a scanner replugged at once flashes nothing
        qtbot.waitUntil(lambda: card.state == "no_scanner", timeout=10000)
    assert "lane1: chưa kết nối" in badge.text()
    assert card.headline.text() == "MÁY QUÉT CHƯA SẴN SÀNG"
    assert card.name.text() == ("Chưa đọc được mã. Kiểm tra máy quét hoặc gọi kỹ thuật viên; "
                                "trong lúc chờ hãy dùng khai báo thủ công.")
    assert card.reason.text() == f"lane1: {badge.toolTip()}"
    assert str(port) in card.reason.text()
    assert card.palette().window().color().name() == "#ffb300"  # amber, with "!"
    assert card.mark.shape == "alert"

    window.set_language("en", remember=False)
    assert card.headline.text() == "SCANNER NOT CONNECTED"
    assert card.reason.text() == f"lane1: {port} not found — is the scanner plugged in?"

    with Pty() as again:  # plugged back in
        symlink(port, again.path)
        qtbot.waitUntil(lambda: badge.state == "connected", timeout=10000)
        assert card.state == "idle" and card.headline.text() == "READY"


def test_one_scanner_of_two_connected_is_ready(make_window, qtbot, tmp_path):
    with Pty() as pty:
        window = make_window(write_config(tmp_path, serial_lane("lane1", Path(pty.path))
                                          + serial_lane("lane2", tmp_path / "ttyMissing")))
        badges = window.strip.badges
        qtbot.waitUntil(lambda: badges["lane1"].state == "connected"
                        and badges["lane2"].state != "connected", timeout=10000)
        qtbot.wait(SCANNERS_AWAY_MS + 500)
        assert window.officer.card.headline.text() == "SẴN SÀNG"


def test_a_wedge_without_the_keyboard_says_so_on_its_badge_and_the_card(make_window, qtbot,
                                                                         tmp_path):
    window = make_window(write_config(tmp_path, WEDGE))
    window.activateWindow()
    badge, card = window.strip.badges["desk-wedge"], window.officer.card
    qtbot.waitUntil(lambda: badge.state == "connected", timeout=5000)
    elsewhere = QWidget()  # another window took the keyboard
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    elsewhere.activateWindow()
    qtbot.waitUntil(lambda: badge.state == "unfocused", timeout=5000)
    assert "desk-wedge: chờ nhận bàn phím" in badge.text()
    qtbot.waitUntil(lambda: card.state == "no_scanner", timeout=SCANNERS_AWAY_MS + 2000)
    assert card.reason.text() == "desk-wedge: cửa sổ trạm quét đang không nhận bàn phím"

    window.activateWindow()
    qtbot.waitUntil(lambda: badge.state == "connected", timeout=5000)
    assert card.headline.text() == "SẴN SÀNG"


def test_a_dialog_over_the_window_keeps_the_wedge_connected(make_window, qtbot, tmp_path):
    """The manual-entry form takes the keyboard, and a wedge's scan still comes to the
    kiosk (kiosk/ui/wedge_input.py): its badge stays connected, the card READY."""
    window = make_window(write_config(tmp_path, WEDGE))
    window.activateWindow()
    badge = window.strip.badges["desk-wedge"]
    qtbot.waitUntil(lambda: badge.state == "connected", timeout=5000)
    dialog = window.open_manual_entry()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=5000)
    qtbot.wait(SCANNERS_AWAY_MS + 500)
    assert badge.state == "connected"
    assert window.officer.card.headline.text() == "SẴN SÀNG"
