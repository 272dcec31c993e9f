"""The screen's start refused: a config or a store the kiosk cannot start on is a message box
in the config's language and an exit code, never a traceback or an empty window.

``run_ui`` is called as ``kiosk run`` calls it (offscreen Qt); the box is modal, so a timer
reads the box that is open, presses its button, and the test reads what it said.
"""

from __future__ import annotations

from pathlib import Path

from conftest import make_config
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from ui_support import translations_built_fixture  # noqa: F401

from kiosk.commandline import EXIT_STORE, EXIT_USAGE
from kiosk.ui.app import create_application, run_ui


def boxes_shown_by(start) -> tuple[int, list[str]]:
    """``start()``'s return value and the text of every message box it showed; with no box
    within 10 s, whatever ``start`` runs is told to quit (a window shown instead of a box)."""
    app = create_application()
    seen: list[str] = []
    looks = iter(range(200))

    def answer_the_box() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.accept()
        elif next(looks, None) is None:
            app.quit()

    timer = QTimer()
    timer.timeout.connect(answer_the_box)
    timer.start(50)
    try:
        code = start()
    finally:
        timer.stop()
    return code, seen


def test_a_store_path_that_loops_is_a_config_error_box_and_exit_2(tmp_path: Path,
                                                                   translations_built):
    loop = tmp_path / "loop.db"
    loop.symlink_to(loop.name)
    config = make_config(tmp_path, kiosk={"language": "en"}, store={"path": str(loop)})

    code, boxes = boxes_shown_by(lambda: run_ui(config))

    assert code == EXIT_USAGE == 2
    assert boxes == [f"config error: {loop}: the path leads through a link that loops "
                     "back on itself"]


def test_a_store_that_is_no_database_is_a_store_error_box_and_exit_3(tmp_path: Path,
                                                                     translations_built):
    """Garbage where the store should be: the box names the file and the problem in
    Vietnamese, and the file is left as it was for the technician."""
    store = tmp_path / "kiosk.db"
    garbage = b"not a database, " * 512
    store.write_bytes(garbage)
    config = make_config(tmp_path, kiosk={"language": "vi"})

    code, boxes = boxes_shown_by(lambda: run_ui(config))

    assert code == EXIT_STORE == 3
    assert len(boxes) == 1 and boxes[0].startswith("lỗi kho dữ liệu") and str(store) in boxes[0]
    assert store.read_bytes() == garbage
