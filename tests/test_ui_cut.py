"""The officer's answer to a code cut off part-way (review: a serial cable pulled mid-code
and a 300 ms stall were shown green "VÀO — HỢP LỆ" as "Mã khác" and counted inside)."""

from __future__ import annotations

from devices_support import Pty
from ui_support import (  # noqa: F401
    CCCD_AN,
    load,
    make_window_fixture,
    replay_device,
    scan_from_file,
    stored_entries,
    translations_built_fixture,
    write_config,
)


def serial_lane(path: str) -> str:
    return f'\n[[devices]]\nid = "lane1"\ntype = "serial"\nport = "{path}"\nlane = "in"\n'


def test_a_cable_pulled_mid_code_says_scan_again_and_records_nothing(make_window, qtbot,
                                                                      tmp_path):
    with Pty() as pty:
        path = write_config(tmp_path, serial_lane(pty.path))
        window = make_window(path)
        badge = window.strip.badges["lane1"]
        card = window.officer.card
        qtbot.waitUntil(lambda: badge.state == "connected", timeout=10000)
        pty.send((CCCD_AN + "\r\n").encode())
        qtbot.waitUntil(lambda: card.state == "accepted", timeout=5000)
        pty.send(b"89385059")  # half a code, then the cable is pulled
        qtbot.wait(100)
        pty.unplug()
        qtbot.waitUntil(lambda: card.state == "rejected", timeout=10000)
        assert card.headline.text() == "QUÉT LẠI"
        assert card.name.text() == "Mã chưa được đọc hết, chưa ghi gì. Quét lại."
        assert "máy quét bị ngắt khi đang gửi mã" in card.reason.text()
        assert [r["kind"] for r in stored_entries(load(path))] == ["cccd"]


def test_a_300_ms_stall_mid_code_is_one_person_accepted(make_window, qtbot, tmp_path):
    with Pty() as pty:
        path = write_config(tmp_path, serial_lane(pty.path))
        window = make_window(path)
        qtbot.waitUntil(lambda: window.strip.badges["lane1"].state == "connected",
                        timeout=10000)
        data = (CCCD_AN + "\r\n").encode()
        pty.send(data[:40])
        qtbot.wait(300)
        pty.send(data[40:])
        qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=5000)
        qtbot.wait(1000)
        rows = stored_entries(load(path))
        assert [(r["status"], r["kind"], r["name"]) for r in rows] == [
            ("accepted", "cccd", "Nguyễn Văn An")]


def test_a_truncated_cccd_says_scan_again(make_window, qtbot, tmp_path):
    (tmp_path / "scans.txt").write_text("001099012345|123456789|Nguyễn Văn An|010219\n",
                                        encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path)
    scan_from_file(window, qtbot, "rejected")
    card = window.officer.card
    assert card.headline.text() == "QUÉT LẠI"
    assert "chỉ có 4 trường" in card.reason.text()
    assert stored_entries(load(path)) == []
