"""The sync screen loads the centre's answer to a backlog file (``FILE.refused``) carried
back on the stick, as ``kiosk sync load-refusals`` does (docs/sync-operator.md, "The stick
round trip"): a sync operator at a site with no network needs no terminal for it.

Real parts: a real centre (its own database, the ``kiosk-central import`` command) answers
a real export of the kiosk's SQLite store; the screen is a real offscreen Qt window.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from ui_support import (  # noqa: F401
    make_window_fixture,
    settle,
    translations_built_fixture,
    write_config,
)

from tests import sync_support
from tests.sync_support import sync_states
from tests.test_sync_backlog import OFFLINE
from tests.test_sync_receipts import connected_token, export_and_import

CONFIRMED = ("Trung tâm xác nhận đã có 4 lượt của tệp: 4 lượt rời khỏi danh sách chờ gửi, "
             "0 lượt đã được xác nhận từ trước, 0 mã không có ở đây")


@pytest.fixture(autouse=True)
def stick_mounted(tmp_path: Path) -> None:
    (tmp_path / "usb").mkdir()


def exported_and_imported(central, kiosk_id: str, tmp_path: Path, *, sync_on: bool = False
                          ) -> tuple[Path, list[str], Path]:
    """A kiosk offline since it reached the centre once, whose 3 entries under a mistyped
    checkpoint and 4 right ones went to the centre on a stick: (its config, the ids the
    centre holds, the answer beside the backlog file)."""
    folder = tmp_path / "kiosk"
    _, held, answer = export_and_import(central, folder, kiosk_id,
                                        tmp_path / "usb" / "ql1a.backlog")
    config = sync_support.write_config(folder / "config.toml", kiosk_id=kiosk_id,
                                       server_url=OFFLINE, token=connected_token(folder),
                                       enabled=sync_on)
    return config, held, answer


def sync_screen_counting(window, qtbot, pending: str):
    window._show_sync()
    screen = window.sync_screen
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == pending, timeout=10000)
    return screen


def load_from_the_stick(screen, qtbot, answer: Path) -> None:
    """The operator taps "Load the centre's answer…" and picks the file; the load runs
    until the screen is no longer busy."""
    qtbot.mouseClick(screen.answer_button, Qt.MouseButton.LeftButton)
    chooser = screen.chooser
    assert chooser is not None and chooser.isVisible()
    chooser.selectFile(str(answer))
    chooser.accept()
    qtbot.waitUntil(lambda: not screen.busy, timeout=15000)


@pytest.mark.parametrize("sync_on", [False, True], ids=["sync off", "sync on, offline"])
def test_the_centres_answer_loaded_from_the_stick_takes_what_it_holds_out_of_the_pending_set(
        make_window, qtbot, central, kiosk_id, tmp_path, sync_on):
    """The round trip from the screen: the 4 entries the centre holds leave the pending set,
    the 3 it refused are listed with its reason, and the screen says so in its language with
    the command's words (whether the sync worker's connection or the kiosk's does it)."""
    config, held, answer = exported_and_imported(central, kiosk_id, tmp_path, sync_on=sync_on)
    window = make_window(config, start=False)
    assert (window.bridge.sync is not None) == sync_on
    screen = sync_screen_counting(window, qtbot, "7")

    load_from_the_stick(screen, qtbot, answer)

    said = screen.message.text()
    assert said.startswith("Đã đánh dấu 3 trong 3 lượt tệp nêu"), said
    assert CONFIRMED in said
    assert "#1b5e20" in screen.message.styleSheet()  # done: green
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "0", timeout=10000)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 3, timeout=10000)
    assert screen.tiles["rejected"].value.text() == "3"
    assert sync_states(config.parent / "kiosk.db") == {"acknowledged": 4, "rejected": 3}
    assert sorted(central.stored_ids(kiosk_id)) == held


def test_the_answers_chooser_opens_where_the_export_writes(make_window, qtbot, central,
                                                            kiosk_id, tmp_path):
    """The stick's folder (the home folder when none is mounted), showing answer files; a
    chooser left open closes with the screen, as the export's does."""
    config, _, _ = exported_and_imported(central, kiosk_id, tmp_path)
    window = make_window(config, start=False)
    screen = sync_screen_counting(window, qtbot, "7")
    export = screen.choose_export_file()
    folder = export.directory().absolutePath()
    export.reject()

    chooser = screen.choose_answer_file()

    assert chooser.directory().absolutePath() == folder
    assert chooser.nameFilters() == ["Tệp trả lời của trung tâm (*.refused)"]
    closed = []
    chooser.finished.connect(closed.append)
    screen.hide()
    assert closed and screen.chooser is None


def test_an_altered_answer_is_refused_with_its_reason_and_changes_nothing(
        make_window, qtbot, central, kiosk_id, tmp_path):
    """Ids added to the answer on the stick: refused whole, as the command refuses it, in
    red; every entry still waits for the centre."""
    config, held, answer = exported_and_imported(central, kiosk_id, tmp_path)
    document = json.loads(answer.read_text(encoding="utf-8"))
    document["held"] = [*held, "019a0000-0000-7000-8000-000000000000"]
    answer.write_text(json.dumps(document), encoding="utf-8")
    window = make_window(config, start=False)
    screen = sync_screen_counting(window, qtbot, "7")

    load_from_the_stick(screen, qtbot, answer)

    assert screen.message.text() == (
        f"Thất bại: {answer} đã bị sửa sau khi trung tâm ghi, hoặc không phải do trung tâm "
        "ghi cho tệp của trạm này; không thay đổi gì. Nhập lại tệp tồn đọng ở trung tâm để "
        "có tệp .refused mới")
    assert "#c62828" in screen.message.styleSheet()
    assert sync_states(config.parent / "kiosk.db") == {"sent": 7}
    assert screen.tiles["pending"].value.text() == "7"
    assert screen.table.rowCount() == 0


@pytest.mark.parametrize("size", [(1280, 800), (800, 480), (480, 800)])
def test_the_answers_button_is_beside_the_export_on_every_panel(make_window, qtbot, tmp_path,
                                                                size):
    """Four buttons on a wide screen; on a 7" panel their words do not fit on one row, so
    they take two (landscape) or one a line (portrait), the stick's two together."""
    window = make_window(write_config(tmp_path), start=False)
    window.fit_to(QSize(*size))
    screen = sync_screen_counting(window, qtbot, "0")
    settle()
    export, answer = screen.export_button.geometry(), screen.answer_button.geometry()
    if size[0] < 640:
        assert answer.top() > export.bottom() and answer.left() == export.left()
    else:
        assert answer.top() == export.top() and answer.left() > export.right()
    rows = {button.geometry().top() for button in screen.buttons}
    assert len(rows) == {1280: 1, 800: 2, 480: 4}[size[0]]
