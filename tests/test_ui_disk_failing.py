"""The officer's card between scans tells the truth about the disk: while it refuses every
write (read-only, a file made immutable, full) the card reads CHƯA GHI ĐƯỢC / NOT RECORDED
after each refused scan, with why in words, never SẴN SÀNG / READY; READY again once a scan
is recorded. And a green answer gives way to NOT RECORDED as soon as the store is found to
record no more, rather than tell the queue "recorded, go on" for the rest of its hold.

A real kiosk and main window (offscreen), real stores: made immutable (chattr +i), on a small
file system of their own filled to the last byte (tmpfs, mounted as root), or deleted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BINH,
    cccd_line,
    load,
    make_window_fixture,
    store_words_apart,
    store_words_shown,
    translations_built_fixture,
    write_config,
)

from kiosk.config import Config
from kiosk.scan import Scan, Status
from kiosk.store import ROOM_BACK_AT
from tests.test_store_disk_failing import fill, small_disk
from tests.test_ui_not_recorded import (
    NO_SCAN_ON_STRIP,
    NO_SCAN_RECORDED,
    delete_store,
    writes_refused,
)

POLL_PASSED_MS = 3500
"""Longer than the bridge's 3 s poll of the store."""


def one_second_answers(path: Path, store: str = "kiosk.db") -> Path:
    path.write_text(path.read_text(encoding="utf-8").replace(
        "[store]", "result_seconds = 1\n\n[store]", 1).replace(
        'path = "kiosk.db"', f'path = "{store}"', 1), encoding="utf-8")
    return path


@pytest.fixture(name="disk")
def disk_fixture(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB file system at ``disk/``, unmounted once the kiosk using it has stopped (ask
    for it before ``make_window``)."""
    with small_disk(tmp_path / "disk", size_kib=2048) as disk:
        yield disk


def a_window_with_one_scan_recorded(make_window: Callable[[Path], Any],
                                    tmp_path: Path) -> tuple[Any, Config, Any]:
    """A kiosk window whose answers hold a second, one scan recorded: its window, config
    and officer's card."""
    path = one_second_answers(write_config(tmp_path))
    window = make_window(path)
    assert window.kiosk.pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1")).recorded
    return window, load(path), window.officer.card


def test_the_card_reads_not_recorded_between_scans_while_the_disk_refuses_writes(
        make_window, qtbot, tmp_path):
    window, config, card = a_window_with_one_scan_recorded(make_window, tmp_path)
    with writes_refused(config.store_path):
        window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
        qtbot.waitUntil(lambda: card.result is not None
                        and card.result.reason_code == "storage_error", timeout=10_000)
        qtbot.waitUntil(lambda: card.result is None, timeout=5_000)
        qtbot.wait(POLL_PASSED_MS)

        assert card.headline.text() == "CHƯA GHI ĐƯỢC" and card.state == "rejected"
        assert card.name.text() == NO_SCAN_RECORDED
        refusing = (f"{config.store_path}: ổ đĩa không cho ghi (chỉ đọc, hoặc tệp bị khoá "
                    "không cho sửa) nên lượt quét không được lưu; mỗi lượt quét sau vẫn được "
                    "thử ghi lại. Gọi kỹ thuật viên")
        assert store_words_shown(card) == store_words_apart(refusing, config.store_path)
        assert window.strip.sync.text() == NO_SCAN_ON_STRIP  # not "sync off · 1 not sent"
        assert window.strip.sync.toolTip() == refusing  # the card above says it too
        window.set_language("en", remember=False)
        assert card.headline.text() == "NOT RECORDED"
        assert store_words_shown(card) == (
            str(config.store_path), "The disk refuses writes (read-only, or the file locked "
            "against changes), so scans are not saved; each next scan is tried again. Call the "
            "technician")

    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None and card.result.recorded, timeout=10_000)
    assert card.headline.text() == "IN — ACCEPTED"
    qtbot.waitUntil(lambda: card.result is None, timeout=5_000)
    qtbot.waitUntil(lambda: card.headline.text() == "READY", timeout=5_000)
    qtbot.wait(POLL_PASSED_MS)
    assert card.headline.text() == "READY" and card.state == "idle"


def test_the_card_says_the_disk_is_full_then_ready_once_space_is_freed_with_no_scan(
        disk, make_window, qtbot, tmp_path):
    """The card told the officer to use the paper list meanwhile, so nobody scans: it read
    NOT RECORDED long after the disk was freed, until someone happened to scan. It reads
    READY within a few seconds of the space coming back, a small write having gone into the
    store (its time under ``store.room_back_at``), and the next scan is recorded."""
    path = one_second_answers(write_config(tmp_path), store="disk/kiosk.db")
    window = make_window(path)
    card = window.officer.card
    pipeline = window.kiosk.pipeline
    assert pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1")).recorded
    # another program reading (an export): the log cannot start again from its beginning
    # under it, so no write finds room there once the disk is full
    reader = sqlite3.connect(disk / "kiosk.db")
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM entries").fetchone()
    filler = fill(disk)
    for number in range(1, 2000):  # the log may have room for a few more
        result = pipeline.submit(Scan(cccd_line(number).encode(), device_id="lane1"))
        if not result.recorded:
            break
    assert result.reason_code == "storage_error"
    qtbot.waitUntil(lambda: card.result is result, timeout=10_000)
    qtbot.waitUntil(lambda: card.result is None, timeout=5_000)
    qtbot.wait(POLL_PASSED_MS)

    assert card.headline.text() == "CHƯA GHI ĐƯỢC" and card.state == "rejected"
    assert store_words_shown(card) == (
        str(disk / "kiosk.db"), "Ổ đĩa đầy nên lượt quét không được lưu; mỗi lượt quét sau vẫn "
        "được thử ghi lại. Gọi kỹ thuật viên để giải phóng chỗ trống")

    reader.close()
    filler.unlink()

    qtbot.waitUntil(lambda: card.headline.text() == "SẴN SÀNG", timeout=POLL_PASSED_MS + 2000)
    assert card.state == "idle" and window.strip.sync.text() != NO_SCAN_ON_STRIP
    assert list(window.kiosk.store.meta(ROOM_BACK_AT)) == [ROOM_BACK_AT]
    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None and card.result.recorded, timeout=10_000)


def test_a_green_answer_gives_way_to_not_recorded_once_the_store_file_is_deleted(
        make_window, qtbot, tmp_path):
    """The store deleted just after a person was let through: the card does not go on
    saying "recorded" for its 15 s hold to the next people in the queue."""
    path = write_config(tmp_path)
    window = make_window(path)
    config, card = load(path), window.officer.card
    assert config.kiosk.result_seconds >= 10
    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None, timeout=10_000)
    accepted = card.result
    assert accepted.status is Status.ACCEPTED and card.state == "accepted"

    delete_store(config.store_path)
    qtbot.waitUntil(lambda: card.headline.text() == "CHƯA GHI ĐƯỢC", timeout=5_000)
    assert card.result is None and card.previous is accepted
    assert card.name.text() == NO_SCAN_RECORDED and card.state == "rejected"
