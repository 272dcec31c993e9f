"""The store's folder replaced under the running kiosk by a link to itself: the store's path
can no longer be looked at (ELOOP), so whether it still names the file the kiosk writes to
is unknown. The officer is told NOT RECORDED for the next person, never left with the
previous person's green card, and the status strip says why. A real kiosk, pipeline, store
and main window (offscreen)."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pytest
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BINH,
    load,
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.scan import Scan

RENAME_EXCHANGE = 2
"""renameat2(2)'s flag: two names swap their files in one step."""


def swap(a: Path, b: Path) -> None:
    """``a`` and ``b`` swap what they name, atomically: the kiosk's upkeep (its first purge
    runs as the window opens) never sees the folder missing between two steps, which would
    be a store deleted for good, not one that cannot be looked at for a while."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), RENAME_EXCHANGE) != 0:
        pytest.skip(f"renameat2(RENAME_EXCHANGE) refused here: {os.strerror(ctypes.get_errno())}")


def loop_in_place_of(data: Path) -> Path:
    """The folder ``data`` replaced by a link to itself, in one step; the folder is kept
    under the name returned."""
    kept = data.with_name(data.name + ".kept")
    os.symlink(data.name, kept)  # kept -> data: named data once swapped, a loop
    swap(data, kept)
    return kept


def test_a_store_folder_replaced_by_a_link_loop_turns_the_card_to_not_recorded(
        make_window, qtbot, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('path = "kiosk.db"', 'path = "data/kiosk.db"'))
    window = make_window(path)
    config = load(path)
    card = window.officer.card
    window.submit_scan(Scan(CCCD_BINH.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None and card.result.recorded, timeout=10_000)
    loop_in_place_of(data)  # data -> data

    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))

    qtbot.waitUntil(lambda: not card.result.recorded, timeout=10_000)
    assert card.result.reason_code == "storage_error"
    assert card.headline.text() == "CHƯA GHI ĐƯỢC"
    words = (f"{config.store_path}: không truy cập được (các liên kết trên đường dẫn tạo "
             "thành vòng lặp), nên không biết còn là tệp kho dữ liệu trạm đã mở hay không "
             "(thư mục chứa nó bị thay, hoặc ổ đĩa lỗi); không ghi được lượt quét nào cho đến "
             "khi truy cập lại được và vẫn là đúng tệp đó, hoặc khởi động lại trạm")
    qtbot.waitUntil(lambda: window.strip.sync.text() == words, timeout=10_000)
    assert "#c62828" in window.strip.sync.styleSheet()


def test_the_card_reads_ready_again_once_the_store_folder_comes_back(make_window, qtbot,
                                                                   tmp_path):
    """The folder could not be looked at for a while (a network disk's hiccup would do the
    same as the link loop here): the card read NOT RECORDED. Once the folder is back, the
    same file with its own log, the strip's poll turns the card READY again, and the next
    scan is recorded."""
    data = tmp_path / "data"
    data.mkdir()
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('path = "kiosk.db"', 'path = "data/kiosk.db"'))
    window = make_window(path)
    card = window.officer.card
    assert card.headline.text() == "SẴN SÀNG"
    kept = loop_in_place_of(data)
    qtbot.waitUntil(lambda: card.headline.text() == "CHƯA GHI ĐƯỢC", timeout=10_000)

    swap(kept, data)  # the folder back, in one step

    qtbot.waitUntil(lambda: card.headline.text() == "SẴN SÀNG", timeout=10_000)
    assert card.state == "idle"
    assert window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="wedge")).recorded
