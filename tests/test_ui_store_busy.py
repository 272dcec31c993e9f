"""Another program holding the store's write lock (``sqlite3 kiosk.db`` with a ``BEGIN
IMMEDIATE`` left open) is on the officer's card: the scan waits a few seconds, its answer is
CHƯA GHI ĐƯỢC / NOT RECORDED naming the other program and what to do, and between scans the
card goes on saying so, never SẴN SÀNG / READY, until a scan is recorded again. The window
answers all the while: a frozen window at a queue says nothing at all.

A real kiosk and main window (offscreen); the lock held by a real second process on the
real store file.
"""

from __future__ import annotations

import itertools
import time

from PySide6.QtCore import QTimer
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BINH,
    load,
    make_window_fixture,
    stored_entries,
    translations_built_fixture,
    write_config,
)

from kiosk.scan import Scan
from tests.test_store_busy import busy_words, held_by_another_program
from tests.test_ui_disk_failing import POLL_PASSED_MS, a_window_with_one_scan_recorded
from tests.test_ui_not_recorded import NO_SCAN_RECORDED


def test_the_card_says_another_program_holds_the_store_until_a_scan_is_recorded(
        make_window, qtbot, tmp_path):
    window, config, card = a_window_with_one_scan_recorded(make_window, tmp_path)
    qtbot.waitUntil(lambda: card.headline.text() == "SẴN SÀNG", timeout=10_000)
    ticks: list[float] = []
    beat = QTimer()
    beat.timeout.connect(lambda: ticks.append(time.monotonic()))

    with held_by_another_program(config.store_path):
        beat.start(20)
        window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
        qtbot.waitUntil(lambda: card.result is not None, timeout=15_000)
        answer = card.result
        assert not answer.recorded and card.headline.text() == "CHƯA GHI ĐƯỢC"
        assert card.reason.text() == ("Lỗi lưu trữ, lượt quét CHƯA được ghi: "
                                      + busy_words(config.store_path, "vi"))
        qtbot.waitUntil(lambda: card.result is None, timeout=5_000)
        qtbot.wait(POLL_PASSED_MS)

        assert card.headline.text() == "CHƯA GHI ĐƯỢC" and card.state == "rejected"
        assert card.name.text() == NO_SCAN_RECORDED
        assert card.reason.text() == busy_words(config.store_path, "vi")
        assert window.strip.sync.text() == busy_words(config.store_path, "vi")
        window.set_language("en", remember=False)
        assert card.headline.text() == "NOT RECORDED"
        assert card.reason.text() == busy_words(config.store_path, "en")
        beat.stop()
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert len(gaps) > 100 and max(gaps) < 1.0  # the window never froze while the scan waited

    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None and card.result.recorded, timeout=10_000)
    qtbot.waitUntil(lambda: card.headline.text() == "READY", timeout=5_000)
    assert card.state == "idle"
    assert len(stored_entries(config)) == 2  # BINH, then AN once the lock was let go
