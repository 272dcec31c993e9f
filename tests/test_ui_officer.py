"""The officer screen, driven by a real replay device through the real pipeline and store.

Each test writes a config.toml with a replay file, starts the kiosk behind a real main
window (offscreen) and checks what the officer sees and hears.
"""

from __future__ import annotations

import re
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BAD_DATE,
    CCCD_BINH,
    cccd_line,
    load,
    make_window_fixture,
    replay_device,
    scan_from_file,
    stored_entries,
    translations_built_fixture,
    write_config,
)

from kiosk.scan import Scan
from kiosk.ui.officer import DOCUMENT, NAME
from kiosk.ui.result_card import COLOURS


def card_colour(window) -> str:
    return window.officer.card.palette().color(QPalette.ColorRole.Window).name()


def played(window) -> list[str]:
    cues: list[str] = []
    window.sounds.played.connect(cues.append)
    return cues


def test_accepted_entry_is_green_with_name_masked_number_direction_and_entry_sound(
        make_window, qtbot, tmp_path):
    """A CCCD read by a device shows green "IN — accepted", the name, only the last four
    digits, and plays the entry sound; the entry is on disk before it is shown."""
    (tmp_path / "scans.txt").write_text(CCCD_AN + "\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path, start=False)
    cues = played(window)
    window.kiosk.start()
    scan_from_file(window, qtbot, "accepted")
    card = window.officer.card
    assert card.headline.text() == "VÀO — HỢP\u00a0LỆ"  # never "HỢP / LỆ" on 2 lines
    assert card.name.text() == "Nguyễn Văn An"
    assert "••••••••2345" in card.details.text()
    assert "001099012345" not in card.details.text()
    assert "CCCD" in card.details.text() and "VÀO" in card.details.text()
    assert card_colour(window) == QColor(COLOURS["accepted"][0]).name()
    qtbot.waitUntil(lambda: cues == ["entry"])
    rows = stored_entries(load(path))
    assert [(r["name"], r["direction"], r["status"]) for r in rows] == [
        ("Nguyễn Văn An", "in", "accepted")]


def test_exit_lane_shows_out_and_plays_the_exit_sound(make_window, qtbot, tmp_path):
    """A device configured for the exit lane records "out" whatever the toggle says."""
    (tmp_path / "scans.txt").write_text(CCCD_BINH + "\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("gate-out", tmp_path / "scans.txt", lane="out"))
    window = make_window(path, start=False)
    cues = played(window)
    window.kiosk.start()
    scan_from_file(window, qtbot, "accepted")
    assert window.officer.card.headline.text() == "RA — HỢP\u00a0LỆ"
    qtbot.waitUntil(lambda: cues == ["exit"])
    assert "gate-out → RA" in window.officer.lanes.text()


def test_same_person_again_is_amber_already_scanned_n_minutes_ago(make_window, qtbot,
                                                                  tmp_path):
    """A second scan within the duplicate window is amber, says how many minutes ago the
    first one was, is still recorded (policy "warn") and plays the duplicate sound."""
    (tmp_path / "scans.txt").write_text(CCCD_AN + "\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path, start=False)
    cues = played(window)
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1",
                                      wall_time=time.time() - 185))
    window.kiosk.start()
    scan_from_file(window, qtbot, "duplicate")
    card = window.officer.card
    assert card.headline.text() == "ĐÃ QUÉT 3 PHÚT TRƯỚC"
    assert card.name.text() == "Nguyễn Văn An"
    assert card.reason.text() == "Đã ghi thêm một lượt."
    assert card_colour(window) == QColor(COLOURS["duplicate"][0]).name()
    qtbot.waitUntil(lambda: cues == ["entry", "duplicate"])
    qtbot.waitUntil(lambda: window.officer.table.rowCount() == 2)
    newest = window.officer.table.item(0, 2)
    assert newest.text() == "Nguyễn Văn An"
    assert newest.background().color().name() == "#fff3c4"


def test_a_repeat_the_policy_blocks_says_not_recorded_on_its_details_line(make_window, qtbot,
                                                                          tmp_path):
    """Blocked, the repeat's line read "••2345 · CCCD · VÀO · 13:51:04" like the record of
    an entry made then (revofficer 03): it says there that nothing was recorded."""
    (tmp_path / "scans.txt").write_text(f"{CCCD_AN}\n{CCCD_AN}\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    path.write_text(path.read_text(encoding="utf-8").replace(
        'duplicate_policy = "warn"', 'duplicate_policy = "block"'), encoding="utf-8")
    window = make_window(path)
    scan_from_file(window, qtbot, "duplicate")
    card = window.officer.card
    assert re.fullmatch(r"•+2345 · CCCD · VÀO · \d\d:\d\d:\d\d · không ghi",
                        card.details.text())
    assert card.reason.text() == "Không ghi thêm lượt nữa."
    assert [r["kind"] for r in stored_entries(load(path))] == ["cccd"]
    window.set_language("en")
    assert re.fullmatch(r"•+2345 · .+ · IN · \d\d:\d\d:\d\d · not recorded",
                        card.details.text())


def test_the_strip_counts_each_entry_to_send_as_it_is_recorded(make_window, qtbot):
    """"N lượt chưa gửi" read one scan behind until the next poll (revofficer 04–10): with
    the poll stopped, each entry recorded is counted at once, a refusal is not."""
    window = make_window(start=False)
    window.bridge._sync_timer.stop()  # only the scans themselves may update the line

    def says() -> str:
        return window.strip.sync.text().replace("\u00a0", " ")  # kept on one line

    qtbot.waitUntil(lambda: says() == "Đồng bộ tắt", timeout=5000)
    for number in (1, 2, 3):
        window.kiosk.pipeline.submit(Scan(cccd_line(number).encode(), device_id="t"))
        qtbot.waitUntil(lambda n=number: says() == f"Đồng bộ tắt · {n} lượt chưa gửi",
                        timeout=1000)
    window.kiosk.pipeline.submit(Scan(CCCD_BAD_DATE.encode(), device_id="t"))
    qtbot.wait(300)
    assert says() == "Đồng bộ tắt · 3 lượt chưa gửi"


def test_scanning_twice_within_a_minute_says_under_a_minute(make_window, qtbot, tmp_path):
    (tmp_path / "scans.txt").write_text(f"{CCCD_BINH}\n{CCCD_BINH}\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path)
    scan_from_file(window, qtbot, "duplicate")
    assert window.officer.card.headline.text() == "ĐÃ QUÉT DƯỚI 1 PHÚT TRƯỚC"


def test_a_code_naming_nobody_is_recorded_amber_asking_for_an_id(make_window, qtbot, tmp_path):
    """A URL or a product code (kind "other") is recorded, but it says nothing of who stands
    there: amber with "!", the direction it was recorded in, "ask for an ID document", the
    warning's two beeps — not green "HỢP LỆ", which sent the person through unknown."""
    (tmp_path / "scans.txt").write_text("https://example.vn/menu?ban=12\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("gate-out", tmp_path / "scans.txt", lane="out"))
    window = make_window(path, start=False)
    cues = played(window)
    window.kiosk.start()
    scan_from_file(window, qtbot, "not_id")
    card = window.officer.card
    assert card.headline.text().replace("\u00a0", " ") == \
        "RA — KHÔNG PHẢI MÃ ĐỊNH DANH"
    assert card.name.text().startswith("Mã không cho biết là ai: hỏi CCCD, hộ chiếu")
    assert "Mã khác" in card.details.text() and "RA" in card.details.text()
    assert card_colour(window) == QColor(COLOURS["duplicate"][0]).name()
    assert card.mark.shape == "alert"
    qtbot.waitUntil(lambda: cues == ["duplicate"])
    [row] = stored_entries(load(path))
    assert (row["kind"], row["direction"], row["status"]) == ("other", "out", "accepted")
    window.set_language("en")
    assert card.headline.text().replace("\u00a0", " ") == "OUT — NOT AN ID CODE"


def test_a_code_naming_nobody_reads_in_the_recent_list_as_what_it_is(make_window, qtbot,
                                                                      tmp_path):
    """Its row's name column was empty: the officer could not tell the URL scanned a minute
    ago from a scan that lost its name. It says "not an ID code" and the code's start, in
    the screen's language; a person's row keeps the name."""
    (tmp_path / "scans.txt").write_text(
        f"https://example.vn/menu?ban=12&khu=B\n{CCCD_AN}\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path)
    officer = window.officer
    qtbot.waitUntil(lambda: officer.table.rowCount() == 2, timeout=10000)

    def names() -> list[str]:
        return [officer.table.item(row, NAME).text() for row in range(2)]

    assert names() == ["Nguyễn Văn An", "Mã không định danh: https://example.vn/menu…"]
    window.set_language("en")
    assert names() == ["Nguyễn Văn An", "Not an ID code: https://example.vn/menu…"]


def test_a_code_naming_nobody_is_no_one_in_todays_counts_and_is_shown_apart(
        make_window, qtbot, tmp_path):
    """The amber card says: ask for the ID and scan it. Doing so counted the person twice —
    "Vào hôm nay" 2 and "Đang ở trong" 2 for one man. The product code stays recorded (and
    is sent), but it is no one in the tiles: one in, one inside, and a line apart says how
    many codes named nobody today, in the screen's language; the CLI's counts agree."""
    (tmp_path / "scans.txt").write_text(
        f"https://example.vn/menu?ban=12\n{CCCD_AN}\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path)
    officer = window.officer
    # the refresh after the second scan's commit: both rows, both scans in the hour bars
    qtbot.waitUntil(lambda: officer.table.rowCount() == 2
                    and sum(officer.chart.counts.values()) == 2, timeout=10000)
    assert [officer.tiles[key].value.text() for key in ("in", "out", "inside")] == [
        "1", "0", "1"]
    assert officer.not_id_count.isVisible()
    assert officer.not_id_count.text() == "Mã không phải giấy tờ hôm nay: 1"
    window.set_language("en")
    assert officer.not_id_count.text() == "Codes naming nobody today: 1"
    rows = stored_entries(load(path))
    assert sorted((r["kind"], r["direction"], r["status"]) for r in rows) == [
        ("cccd", "in", "accepted"), ("other", "in", "accepted")]


def test_a_day_of_people_alone_shows_no_line_for_codes_naming_nobody(make_window, qtbot,
                                                                     tmp_path):
    """The line is there only when such a code was scanned: no room spent on a zero."""
    (tmp_path / "scans.txt").write_text(CCCD_AN + "\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path)
    officer = window.officer
    qtbot.waitUntil(lambda: officer.tiles["in"].value.text() == "1", timeout=10000)
    assert not officer.not_id_count.isVisible()


def test_refused_code_is_red_with_the_reason_in_plain_words_and_nothing_recorded(
        make_window, qtbot, tmp_path):
    """A CCCD code with an impossible birth date is refused: red, what it means for the
    officer and what to do, the technical reason underneath, the error sound."""
    (tmp_path / "scans.txt").write_text(CCCD_BAD_DATE + "\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path, start=False)
    cues = played(window)
    window.kiosk.start()
    scan_from_file(window, qtbot, "rejected")
    card = window.officer.card
    assert card.headline.text() == "KHÔNG HỢP\u00a0LỆ"
    assert card.name.text().startswith("Mã CCCD này bị hỏng hoặc không phải mã thật.")
    assert "khai báo thủ công" in card.name.text()
    assert "31021990" in card.reason.text()
    assert card_colour(window) == QColor(COLOURS["rejected"][0]).name()
    qtbot.waitUntil(lambda: cues == ["error"])
    assert stored_entries(load(path)) == []


def test_direction_toggle_decides_what_a_toggle_lane_records(make_window, qtbot, tmp_path):
    """Pressing RA makes the next scan on a "toggle" lane an exit."""
    (tmp_path / "scans.txt").write_text(CCCD_AN + "\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path, start=False)
    toggle = window.officer.toggle
    assert toggle.direction == "in"
    qtbot.mouseClick(toggle.buttons["out"], Qt.MouseButton.LeftButton)
    assert toggle.direction == "out"
    assert window.kiosk.pipeline.operator_direction == "out"
    window.kiosk.start()
    scan_from_file(window, qtbot, "accepted")
    assert window.officer.card.headline.text() == "RA — HỢP\u00a0LỆ"
    assert [r["direction"] for r in stored_entries(load(path))] == ["out"]


def test_counts_chart_and_recent_list_follow_the_database_and_search_filters(
        make_window, qtbot, tmp_path):
    """Today's counts, the per-hour chart and the recent list come from the store; the
    search box narrows the list by words of a name, typed with or without diacritics, or by
    a whole document number — never by part of one, which would unmask the hidden digits."""
    (tmp_path / "scans.txt").write_text(f"{CCCD_AN}\n{CCCD_BINH}\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path)
    officer = window.officer
    # counts and list are two reads: one refresh may land between the two scans' commits,
    # the refresh after the last scan shows both
    qtbot.waitUntil(lambda: officer.table.rowCount() == 2
                    and officer.tiles["in"].value.text() == "2", timeout=10000)
    assert officer.tiles["out"].value.text() == "0"
    assert officer.tiles["inside"].value.text() == "2"
    assert sum(officer.chart.counts.values()) == 2

    def names() -> list[str]:  # the list as shown; it may be mid-refresh
        return [officer.table.item(row, 2).text() for row in range(officer.table.rowCount())
                if officer.table.item(row, 2) is not None]

    officer.search.setText("Bình")
    qtbot.waitUntil(lambda: names() == ["Trần Thị Bình"])
    officer.search.setText("nguyen an")
    qtbot.waitUntil(lambda: names() == ["Nguyễn Văn An"])
    officer.search.setText("012345")
    qtbot.waitUntil(lambda: names() == [])
    officer.search.setText("001099012345")
    qtbot.waitUntil(lambda: names() == ["Nguyễn Văn An"])
    assert officer.table.item(0, DOCUMENT).text() == "••••••••2345"


def test_status_strip_shows_each_device_state(make_window, qtbot, tmp_path):
    """The strip names every device with its state: a replay file that ran out is
    "finished"; a missing file is an error with the reason in the tooltip."""
    (tmp_path / "scans.txt").write_text(CCCD_AN + "\n", encoding="utf-8")
    devices = (replay_device("lane1", tmp_path / "scans.txt")
               + replay_device("broken", tmp_path / "missing.txt"))
    window = make_window(write_config(tmp_path, devices))
    badges = window.strip.badges
    qtbot.waitUntil(lambda: badges["lane1"].state == "finished", timeout=10000)
    qtbot.waitUntil(lambda: badges["broken"].state in ("error", "waiting"), timeout=10000)
    qtbot.waitUntil(lambda: "missing.txt" in badges["broken"].toolTip() or
                    badges["broken"].state == "waiting", timeout=10000)
    assert "lane1: đã xong" in badges["lane1"].text()
