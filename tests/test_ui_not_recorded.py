"""A scan the store could not save is answered unmistakably: red, a cross, CHƯA GHI ĐƯỢC /
NOT RECORDED, what to do, the error buzz — and a certificate's verdict still on the card,
since the officer now decides with the paper list alone.

The store really fails: its files are made immutable (chattr +i), which refuses every write
(to root too) as a read-only or broken disk would, under the running kiosk. A real replay
device, pipeline, store and main window (offscreen).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BINH,
    load,
    make_window_fixture,
    store_words_apart,
    store_words_shown,
    stored_entries,
    translations_built_fixture,
    write_config,
)

from kiosk.certificates import trustlist
from kiosk.scan import Scan
from kiosk.ui.result_card import COLOURS, SAVING_AFTER_MS
from tests.certificate_support import make_issuer, trust_list_of, vaccination


@contextlib.contextmanager
def writes_refused(store: Path) -> Iterator[None]:
    """The store and its write-ahead log refuse every write until the block ends (the
    shared-memory index stays: SQLite maps it, and a mapping cannot be refused)."""
    files = [store, store.with_name(store.name + "-wal")]
    if os.geteuid() != 0:
        pytest.skip("making a file immutable needs root")
    if subprocess.run(["chattr", "+i", *map(str, files)], capture_output=True).returncode:
        subprocess.run(["chattr", "-i", *map(str, files)], capture_output=True)
        pytest.skip("this file system cannot make a file immutable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, files)], check=True)


def kiosk_with_a_store(make_window, tmp_path: Path, extra: str = ""):
    """A started kiosk whose store already holds one entry (so its files all exist)."""
    path = write_config(tmp_path, extra=extra)
    window = make_window(path)
    assert window.kiosk.pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1")).recorded
    return window, load(path)


def cues(window) -> list[str]:
    played: list[str] = []
    window.sounds.played.connect(played.append)
    return played


def test_a_scan_the_store_cannot_save_is_a_red_not_recorded_card(make_window, qtbot,
                                                                  tmp_path):
    window, config = kiosk_with_a_store(make_window, tmp_path)
    card, played = window.officer.card, cues(window)
    with writes_refused(config.store_path):
        window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
        qtbot.waitUntil(lambda: card.result is not None
                        and card.result.reason_code == "storage_error", timeout=10_000)
    assert card.state == "rejected" and card.mark.shape == "cross"
    assert card.headline.text() == "CHƯA GHI ĐƯỢC"
    assert card.name.text() == "Gọi kỹ thuật viên; trong lúc chờ hãy ghi vào sổ giấy."
    # the store's own words, not "Lỗi lưu trữ, lượt quét CHƯA được ghi: …" (the headline
    # says it); its path on the fine-print line, after the code's last digits and time
    assert card.reason.text().startswith("Ổ đĩa không cho ghi (chỉ đọc")
    assert card.details.text().replace("\u2060", "").endswith(f" · {config.store_path}")
    assert card.palette().color(QPalette.ColorRole.Window).name() == \
        QColor(COLOURS["rejected"][0]).name()
    qtbot.waitUntil(lambda: played == ["error"])
    assert [r["name"] for r in stored_entries(config)] == ["Trần Thị Bình"]


def test_a_certificate_the_store_cannot_save_keeps_its_verdict_on_the_card(
        make_window, qtbot, tmp_path):
    """A forged certificate while the disk refuses writes: the card said only "could not
    save, use the paper list", and the officer wrote down a person whose certificate was
    forged as if it were fine. The verdict now comes first in the card's words."""
    issuer, forger = make_issuer(), make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    now = time.time()
    forged = forger.sign(vaccination(2, 2), issued=now - 86400, expires=now + 86400,
                         kid=issuer.kid)
    window, config = kiosk_with_a_store(
        make_window, tmp_path, extra='\n[certificates]\ntrust_list = "trust.json"\n')
    card = window.officer.card
    with writes_refused(config.store_path):
        window.submit_scan(Scan(forged.encode(), device_id="wedge", lane="in"))
        qtbot.waitUntil(lambda: card.result is not None
                        and card.result.reason_code == "storage_error", timeout=10_000)
    assert card.state == "rejected" and card.headline.text() == "CHƯA GHI ĐƯỢC"
    assert card.name.text().startswith("CHỮ KÝ KHÔNG HỢP LỆ — Gọi kỹ thuật viên")
    window.set_language("en", remember=False)
    assert card.headline.text() == "NOT RECORDED"
    assert card.name.text().startswith("SIGNATURE NOT VALID — Call the technician")
    assert [r["name"] for r in stored_entries(config)] == ["Trần Thị Bình"]


def test_a_manual_entry_the_store_cannot_save_keeps_the_form_and_says_not_recorded(
        make_window, qtbot, tmp_path):
    """The form stays open with what was typed (to copy onto the paper list, or record once
    the technician has mended the disk), saying it was NOT recorded; the card behind says
    the same."""
    window, config = kiosk_with_a_store(make_window, tmp_path)
    dialog = window.open_manual_entry()
    dialog.fields["name"].setText("Lê Thị Hoa")
    dialog.fields["document_number"].setText("079301004568")
    with writes_refused(config.store_path):
        dialog.record()
        qtbot.waitUntil(lambda: dialog.submit.isEnabled(), timeout=10_000)
    assert dialog.isVisible() and dialog.fields["name"].text() == "Lê Thị Hoa"
    assert dialog.status.text().startswith("Lỗi lưu trữ, lượt quét CHƯA được ghi")
    assert window.officer.card.headline.text() == "CHƯA GHI ĐƯỢC"
    assert [r["name"] for r in stored_entries(config)] == ["Trần Thị Bình"]


def store_gone_words(path: Path) -> str:
    return (f"{path}: tệp kho dữ liệu đã bị xoá hoặc thay bằng tệp khác trong khi trạm chạy; "
            "không ghi được lượt quét nào cho đến khi khởi động lại trạm")


def test_the_strip_says_no_scan_is_recorded_once_the_store_file_is_deleted(
        make_window, qtbot, tmp_path):
    """``rm kiosk.db*`` under the running kiosk, before the screens read the store: their
    connection is refused (no empty store is made in its place), and the status strip says
    in red that no scan is recorded, why in its tooltip (the card says it too), before
    anyone scans; the next scan's card says NOT RECORDED."""
    path = write_config(tmp_path)
    window = make_window(path, start=False)  # the screens have not read the store yet
    config = load(path)
    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
        config.store_path.with_name(name).unlink(missing_ok=True)
    window.kiosk.start()

    qtbot.waitUntil(lambda: window.strip.sync.toolTip() == store_gone_words(config.store_path),
                    timeout=10_000)
    assert window.strip.sync.text() == NO_SCAN_ON_STRIP
    assert "#c62828" in window.strip.sync.styleSheet()
    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
    card = window.officer.card
    qtbot.waitUntil(lambda: card.result is not None, timeout=10_000)
    assert card.result.reason_code == "storage_error" and not card.result.recorded
    assert card.headline.text() == "CHƯA GHI ĐƯỢC"
    assert not config.store_path.exists()


def test_the_strip_says_no_scan_is_recorded_once_a_copy_is_moved_over_the_store(
        make_window, qtbot, tmp_path):
    """A backup moved over the store while the screens read it: their connection, opened
    before, still reads the old file, and the strip, instead of its counts, says in red
    that no scan is recorded, why in its tooltip."""
    window, config = kiosk_with_a_store(make_window, tmp_path)
    qtbot.waitUntil(lambda: "Đồng bộ" in window.strip.sync.text(), timeout=10_000)
    copy = tmp_path / "copy.db"
    with contextlib.closing(sqlite3.connect(copy)) as db, \
            contextlib.closing(sqlite3.connect(config.store_path)) as source:
        source.backup(db)
    os.replace(copy, config.store_path)

    qtbot.waitUntil(lambda: window.strip.sync.toolTip() == store_gone_words(config.store_path),
                    timeout=10_000)
    assert window.strip.sync.text() == NO_SCAN_ON_STRIP
    window.set_language("en", remember=False)
    qtbot.waitUntil(lambda: window.strip.sync.toolTip() == (
        f"{config.store_path}: the store file was deleted or replaced while the kiosk runs; "
        "no scan is recorded until the kiosk is restarted"), timeout=10_000)
    assert window.strip.sync.text() == "NO SCAN IS RECORDED"


def delete_store(path: Path) -> None:
    """``rm kiosk.db*`` under the running kiosk."""
    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
        path.with_name(name).unlink(missing_ok=True)


NO_SCAN_ON_STRIP = "KHÔNG GHI ĐƯỢC LƯỢT QUÉT NÀO"
"""The status strip's line while the store records no scan: one line, the card says why
(the strip said the store's whole words too, and took the card's room on a 7" panel)."""
NO_SCAN_RECORDED = ("Trạm không ghi được lượt quét nào. Gọi kỹ thuật viên; trong lúc chờ "
                    "hãy ghi vào sổ giấy.")


def test_the_card_says_not_recorded_as_soon_as_the_store_file_is_deleted(
        make_window, qtbot, tmp_path):
    """The officer looks at the big card, not the strip: READY there while nothing is
    recorded sends the queue through unrecorded. Within the strip's poll, before anyone
    scans, the card turns red with a cross: NOT RECORDED, what to do, and why."""
    path = write_config(tmp_path)
    window = make_window(path)
    config, card = load(path), window.officer.card
    assert card.headline.text() == "SẴN SÀNG"
    delete_store(config.store_path)

    qtbot.waitUntil(lambda: card.headline.text() == "CHƯA GHI ĐƯỢC", timeout=10_000)
    assert card.result is None  # no scan was made: the card says so of the kiosk itself
    assert card.state == "rejected" and card.mark.shape == "cross"
    assert card.palette().color(QPalette.ColorRole.Window).name() == \
        QColor(COLOURS["rejected"][0]).name()
    assert card.name.text() == NO_SCAN_RECORDED
    assert store_words_shown(card) == store_words_apart(store_gone_words(config.store_path),
                                                        config.store_path)
    window.set_language("en", remember=False)
    assert card.headline.text() == "NOT RECORDED"
    assert card.name.text() == ("The kiosk records no scan. Call the technician; use the "
                                "paper list meanwhile.")
    assert store_words_shown(card) == (
        str(config.store_path), "The store file was deleted or replaced while the kiosk runs; "
        "no scan is recorded until the kiosk is restarted")


def test_a_refused_scans_card_gives_way_to_not_recorded_not_to_ready(
        make_window, qtbot, tmp_path):
    """A scan while the store refuses has its own card for ``[kiosk] result_seconds``;
    then the card reads NOT RECORDED again, never READY."""
    path = write_config(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "[store]", "result_seconds = 1\n\n[store]", 1), encoding="utf-8")
    window = make_window(path)
    config, card = load(path), window.officer.card
    delete_store(config.store_path)
    qtbot.waitUntil(lambda: card.headline.text() == "CHƯA GHI ĐƯỢC", timeout=10_000)

    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None, timeout=10_000)
    assert card.result.reason_code == "storage_error"
    assert card.name.text().startswith("Gọi kỹ thuật viên")
    qtbot.waitUntil(lambda: card.result is None, timeout=5_000)
    assert card.headline.text() == "CHƯA GHI ĐƯỢC" and card.name.text() == NO_SCAN_RECORDED
    assert card.state == "rejected"


def test_a_scan_that_fails_in_a_way_nobody_foresaw_leaves_saving_for_not_recorded(
        make_window, qtbot, tmp_path):
    """A scan whose taking raised what is not a StoreError (a monotonic reading SQLite
    cannot bind even into the refused scans' log, standing for any program's fault): the
    card turned ĐANG LƯU… / SAVING…
    after 0.3 s and stayed so until the next person's answer, the officer waiting for an
    answer that never came. Now it is answered, red: CHƯA GHI ĐƯỢC, saying scan again or
    call the technician, and the card leaves SAVING."""
    window, config = kiosk_with_a_store(make_window, tmp_path)
    card = window.officer.card
    faulty = Scan(CCCD_AN.encode(), device_id="wedge", lane="in", monotonic_ns=2**70)
    window.submit_scan(faulty)
    qtbot.waitUntil(lambda: card.result is not None and card.result.scan is faulty,
                    timeout=5_000)
    assert card.state == "rejected" and card.headline.text() == "CHƯA GHI ĐƯỢC"
    assert not card.saving and card.awaiting is None
    assert card.reason.text().startswith("Lỗi phần mềm của trạm, lượt quét CHƯA được ghi.")
    window.set_language("en", remember=False)
    assert card.headline.text() == "NOT RECORDED"
    assert card.reason.text().startswith("Kiosk software fault, scan NOT recorded.")
    qtbot.wait(SAVING_AFTER_MS + 200)
    assert card.state == "rejected" and not card.saving  # never SAVING… after it
    assert [r["name"] for r in stored_entries(config)] == ["Trần Thị Bình"]
