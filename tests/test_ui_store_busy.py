"""Another program holding the store's write lock (``sqlite3 kiosk.db`` with a ``BEGIN
IMMEDIATE`` left open) is on the officer's card: the scan waits a few seconds, shown at once
as ĐANG LƯU… / SAVING… (not recorded yet), never as the last answer nor READY meanwhile; its
answer is CHƯA GHI ĐƯỢC / NOT RECORDED naming the other program and what to do, the next
people in the queue answered the same within a moment, not 5 s each; and between scans the
card goes on saying so, never SẴN SÀNG / READY, until the program lets go (the card sees it
by itself) or a scan is recorded again. The window answers all the while: a frozen window at
a queue says nothing at all.

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
    cccd_line,
    load,
    make_window_fixture,
    store_words_apart,
    store_words_shown,
    stored_entries,
    translations_built_fixture,
    write_config,
)

from kiosk.scan import Scan
from kiosk.store import BUSY_AGAIN_MS, BUSY_TIMEOUT_MS
from kiosk.ui.result_card import GREEN, SAVING_AFTER_MS
from tests.test_store_busy import busy_words, held_by_another_program, wait_for_names_moved
from tests.test_ui_disk_failing import POLL_PASSED_MS, a_window_with_one_scan_recorded
from tests.test_ui_not_recorded import NO_SCAN_ON_STRIP, NO_SCAN_RECORDED


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
        said = busy_words(config.store_path, "vi")
        assert answer.reason_in("vi") == "Lỗi lưu trữ, lượt quét CHƯA được ghi: " + said
        # the card's headline says it: the store's words alone, its path in fine print
        said = said.removeprefix(f"{config.store_path}: ")
        assert card.reason.text() == said[:1].upper() + said[1:]
        assert card.details.text().replace("\u2060", "").endswith(f" · {config.store_path}")
        qtbot.waitUntil(lambda: card.result is None, timeout=5_000)
        qtbot.wait(POLL_PASSED_MS)

        assert card.headline.text() == "CHƯA GHI ĐƯỢC" and card.state == "rejected"
        assert card.name.text() == NO_SCAN_RECORDED
        assert store_words_shown(card) == store_words_apart(
            busy_words(config.store_path, "vi"), config.store_path)
        assert window.strip.sync.text() == NO_SCAN_ON_STRIP
        assert window.strip.sync.toolTip() == busy_words(config.store_path, "vi")
        window.set_language("en", remember=False)
        assert card.headline.text() == "NOT RECORDED"
        assert store_words_shown(card) == store_words_apart(
            busy_words(config.store_path, "en"), config.store_path)
        beat.stop()
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert len(gaps) > 100 and max(gaps) < 1.0  # the window never froze while the scan waited

    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None and card.result.recorded, timeout=10_000)
    qtbot.waitUntil(lambda: card.headline.text() == "READY", timeout=5_000)
    assert card.state == "idle"
    assert len(stored_entries(config)) == 2  # BINH, then AN once the lock was let go


SAVING_WORDS = ("Lượt quét này chưa được ghi. Chờ câu trả lời rồi mới cho người tiếp theo "
                "qua.")


class CardWatch:
    """What the card read, every 10 ms on the GUI thread: (time, state, headline)."""

    def __init__(self, card) -> None:
        self.card = card
        self.seen: list[tuple[float, str, str]] = []
        self.timer = QTimer()
        self.timer.timeout.connect(lambda: self.seen.append(
            (time.monotonic(), card.state, card.headline.text())))
        self.timer.start(10)

    def since(self, moment: float) -> list[tuple[float, str, str]]:
        return [seen for seen in self.seen if seen[0] >= moment]


def test_a_scan_held_by_another_program_reads_saving_at_once_never_the_last_answer(
        make_window, qtbot, tmp_path):
    """The card went on showing the previous person's green answer (or READY) for the whole
    5 s wait: the officer saw nothing new and waved the next person on. Now, within a moment
    of the scan, ĐANG LƯU… (blue, a clock): not recorded yet, wait; then the refusal."""
    path = write_config(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "[store]", "result_seconds = 30\n\n[store]", 1), encoding="utf-8")
    window = make_window(path)
    config, card = load(path), window.officer.card
    window.submit_scan(Scan(CCCD_BINH.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None and card.result.recorded, timeout=10_000)
    wait_for_names_moved(window.kiosk.store)
    assert card.state in GREEN  # the previous person's answer, held 30 s
    watch = CardWatch(card)

    with held_by_another_program(config.store_path):
        scanned = time.monotonic()
        window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
        assert card.state in GREEN  # the answer still up as the next person scans…
        qtbot.waitUntil(lambda: card.state == "saving", timeout=3_000)
        shown = time.monotonic() - scanned
        assert card.result is None  # no answer yet: the scan still waits for the lock
        assert SAVING_AFTER_MS / 1000 - 0.05 <= shown < 1.5  # well before the 5 s answer
        assert card.headline.text() == "ĐANG LƯU…"
        assert card.name.text() == SAVING_WORDS
        assert card.mark.shape == "clock"
        window.set_language("en", remember=False)
        assert card.headline.text() == "SAVING…"
        assert card.name.text() == ("This scan is not recorded yet. Wait for its answer "
                                    "before letting the next person through.")
        window.set_language("vi", remember=False)

        qtbot.waitUntil(lambda: card.result is not None, timeout=15_000)
        answered = time.monotonic() - scanned
        assert not card.result.recorded and card.headline.text() == "CHƯA GHI ĐƯỢC"
        assert answered >= BUSY_TIMEOUT_MS / 1000 - 0.1
    watch.timer.stop()
    after_scan = watch.since(scanned)
    assert {state for at, state, _ in after_scan if at >= scanned + 1.5} <= {"saving",
                                                                              "rejected"}
    assert not [state for at, state, _ in after_scan  # …then never green or amber again
                if state not in ("saving", "rejected")
                and at > next(at for at, state, _ in after_scan if state == "saving")]
    assert len(stored_entries(config)) == 1  # BINH alone


def test_the_card_reads_ready_by_itself_once_the_other_program_lets_go(
        make_window, qtbot, tmp_path):
    """It read NOT RECORDED until a scan was recorded again: long after the technician had
    closed the program, an officer told "call the technician" went on calling."""
    window, config, card = a_window_with_one_scan_recorded(make_window, tmp_path)
    wait_for_names_moved(window.kiosk.store)  # no write of the store's own after it
    qtbot.waitUntil(lambda: card.headline.text() == "SẴN SÀNG", timeout=10_000)
    with held_by_another_program(config.store_path):
        window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
        qtbot.waitUntil(lambda: card.result is not None, timeout=15_000)
        assert not card.result.recorded
        qtbot.waitUntil(lambda: card.result is None, timeout=5_000)
        qtbot.wait(POLL_PASSED_MS)
        assert card.headline.text() == "CHƯA GHI ĐƯỢC"  # held still: said between scans
        assert store_words_shown(card) == store_words_apart(
            busy_words(config.store_path, "vi"), config.store_path)
    let_go = time.monotonic()
    qtbot.waitUntil(lambda: card.headline.text() == "SẴN SÀNG", timeout=POLL_PASSED_MS)
    assert time.monotonic() - let_go < POLL_PASSED_MS / 1000
    assert card.state == "idle" and window.strip.sync.text() != busy_words(
        config.store_path, "vi")
    assert len(stored_entries(config)) == 1  # nothing written to find it out: BINH alone

    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None and card.result.recorded, timeout=10_000)


def test_people_queued_behind_a_refused_scan_are_answered_at_once(make_window, qtbot,
                                                                   tmp_path):
    """Three people scanned while the first waited: each waited 5 s more for the same
    refusal (the third 15 s after the first's). Each is still tried, and answered NOT
    RECORDED within a moment of the one before; none recorded, none lost unanswered."""
    window, config, card = a_window_with_one_scan_recorded(make_window, tmp_path)
    answers: list[tuple[float, object]] = []  # when the pipeline answered each
    window.kiosk.pipeline.subscribe(lambda result: answers.append((time.monotonic(), result)))
    queue = [Scan(line.encode(), device_id="wedge", lane="in")
             for line in (CCCD_AN, cccd_line(7), cccd_line(8))]
    with held_by_another_program(config.store_path):
        for scan in queue:
            window.submit_scan(scan)
        qtbot.waitUntil(lambda: len(answers) == 3, timeout=30_000)
    assert [result.scan for _, result in answers] == queue  # in order, every one answered
    assert not any(result.recorded for _, result in answers)
    assert all(result.reason_code == "storage_error" for _, result in answers)
    first, second, third = (at for at, _ in answers)
    assert BUSY_AGAIN_MS / 1000 - 0.05 <= second - first < 1.5  # not 5 s each
    assert BUSY_AGAIN_MS / 1000 - 0.05 <= third - second < 1.5
    qtbot.waitUntil(lambda: card.result is answers[-1][1], timeout=5_000)  # the last one's
    assert card.headline.text() == "CHƯA GHI ĐƯỢC"
    assert len(stored_entries(config)) == 1  # BINH alone
