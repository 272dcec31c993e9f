"""Helpers for the Qt tests: a real kiosk (config file, SQLite store, replay devices) behind a
real main window, rendered offscreen.

Imported by tests/test_ui*.py; sets QT_QPA_PLATFORM=offscreen before any QApplication exists.
A test module uses the fixtures by importing them::

    from ui_support import make_window_fixture, translations_built_fixture  # noqa: F401
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import tomllib

import pytest

from kiosk import config as config_mod

ROOT = Path(__file__).resolve().parent.parent

CCCD_AN = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
CCCD_BINH = ("079301004567||Trần Thị Bình|15071985|Nữ|12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh|"
             "20052021")
CCCD_BAD_DATE = "001099012345|123456789|Nguyễn Văn An|31021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"

CONFIG_TEXT = """\
# Test kiosk / Trạm thử
[kiosk]
id = "kiosk-ui"                # this kiosk
checkpoint_id = "CP-UI"
checkpoint_name = "Chốt Cầu Giấy"
language = "vi"                # screen language
timezone = "Asia/Ho_Chi_Minh"
pin = "2468"                   # technician PIN

[store]
path = "kiosk.db"

[policy]
duplicate_window_seconds = 300
duplicate_policy = "warn"
default_direction = "in"
"""


def cccd_line(number: int, name: str = "Nguyễn Văn Khách") -> str:
    """A valid CCCD payload for a distinct synthetic person."""
    return (f"{number:012d}|123456789|{name} {number}|01021990|Nam|"
            f"Số {number} Phố Huế, Hà Nội|10102021")


def write_config(directory: Path, devices_toml: str = "", extra: str = "") -> Path:
    path = directory / "config.toml"
    path.write_text(CONFIG_TEXT + extra + devices_toml, encoding="utf-8")
    return path


def replay_device(device_id: str, path: Path, *, lane: str = "toggle", delay_ms: int = 0) -> str:
    return (f'\n[[devices]]\nid = "{device_id}"\ntype = "replay"\nlane = "{lane}"\n'
            f'path = "{path}"\ndelay_ms = {delay_ms}  # pace like a queue\n')


def load(path: Path) -> config_mod.Config:
    return config_mod.load(path)


def read_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def compile_translations() -> None:
    """Build the .qm catalogs (gitignored) the way bootstrap does, if any is missing or old."""
    i18n = ROOT / "kiosk/ui/i18n"
    stale = [ts for ts in i18n.glob("*.ts")
             if not ts.with_suffix(".qm").exists()
             or ts.with_suffix(".qm").stat().st_mtime < ts.stat().st_mtime]
    if stale:
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        subprocess.run([str(ROOT / "scripts/build_translations.sh")], check=True, env=env)


@pytest.fixture(scope="session", name="translations_built")
def translations_built_fixture() -> None:
    compile_translations()


@pytest.fixture(name="make_window")
def make_window_fixture(qtbot: Any, tmp_path: Path, translations_built: None) -> Iterator[Any]:
    """Build a started kiosk from a config file and its main window; stop both afterwards."""
    from PySide6.QtWidgets import QApplication

    from kiosk.app import Kiosk
    from kiosk.ui.app import MainWindow, choose_font
    from kiosk.ui.cues import SoundBoard
    from kiosk.ui.i18n import Translations

    built: list[tuple[Any, Any, Any]] = []

    def build(config_path: Path | None = None, *, language: str = "vi", start: bool = True,
              kiosk_mode: bool = False) -> Any:
        app = QApplication.instance()
        choose_font(app)
        config = load(config_path or write_config(tmp_path))
        translations = Translations(app)
        translations.set_language(language)
        kiosk = Kiosk(config)
        window = MainWindow(kiosk, translations, sounds=SoundBoard(muted=False),
                            kiosk_mode=kiosk_mode)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        if start:
            kiosk.start()
        built.append((window, kiosk, translations))
        return window

    yield build
    for window, kiosk, translations in built:
        window.kiosk_mode = False
        window.close()
        kiosk.stop()
        translations.set_language("en")


def stored_entries(config: config_mod.Config) -> list[dict[str, Any]]:
    """What is really on disk, read through a connection of the test's own."""
    from kiosk.store import Store

    store = Store(config.store_path, timezone=config.timezone)
    try:
        return store.entries()
    finally:
        store.close()


def scan_from_file(window: Any, qtbot: Any, state: str, timeout: int = 10000) -> None:
    """Wait until the officer's card shows ``state`` (the replay device runs by itself)."""
    qtbot.waitUntil(lambda: window.officer.card.state == state, timeout=timeout)


def list_shows_the_store(window: Any, qtbot: Any, timeout: int = 10000) -> None:
    """Wait until the officer's recent list shows what the store holds for the search typed
    (read through a read-only connection of the test's own), then for its layout: the list
    is read in the db lane, and a fixed wait after a refresh found it still empty on a
    loaded machine."""
    from kiosk.store import Store
    from kiosk.ui.officer import read_screen

    officer, config = window.officer, window.kiosk.config
    store = Store(config.store_path, timezone=config.timezone, read_only=True)
    try:
        _stats, rows = read_screen(store, config.kiosk.checkpoint_id,
                                   officer.search.text().strip() or None, officer.clock())
    finally:
        store.close()
    qtbot.waitUntil(lambda: officer.rows == rows, timeout=timeout)
    settle()


def settle(milliseconds: int = 30) -> None:
    """Let pending reads land, then run the layouts their new texts asked for."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()
    QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()


def with_dpi(path: Path, dpi: int) -> Path:
    """The config at ``path`` with ``[kiosk] screen_dpi`` set (0: left to the screen)."""
    if dpi:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("[store]", f"screen_dpi = {dpi}\n\n[store]", 1),
                        encoding="utf-8")
    return path


def store_words_shown(card: Any) -> tuple[str, str]:
    """(the details line, the reason line) of the officer's card as read: where the card
    gives the store's words (NOT RECORDED), its path and the words after it."""
    return card.details.text().replace("\u2060", ""), card.reason.text()


def store_words_apart(words: str, path: Path) -> tuple[str, str]:
    """The store's ``words`` as the card gives them (see :func:`store_words_shown`): its
    path in the details line, in fine print first on a small screen, and the rest, read
    from arm's length, in the reason line; the headline says NOT RECORDED."""
    said = words.removeprefix(f"{path}: ")
    return str(path), said[:1].upper() + said[1:]
