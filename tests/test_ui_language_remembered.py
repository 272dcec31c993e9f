"""The language chosen on screen survives a restart: the button writes ``[kiosk] language``
into config.toml through the config writer (validated, atomic, comments and every other line
kept), and a kiosk started from that file speaks it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from ui_support import (  # noqa: F401
    load,
    make_window_fixture,
    read_toml,
    translations_built_fixture,
    write_config,
)

from kiosk.config import ConfigError
from kiosk.ui.config_writer import save_setting


def test_the_language_pressed_on_screen_is_in_config_toml_after_a_restart(make_window, qtbot,
                                                                           tmp_path):
    path = write_config(tmp_path)
    before = path.read_text(encoding="utf-8")
    window = make_window(path)
    assert window.language_button.text() == "English"

    qtbot.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: read_toml(path)["kiosk"]["language"] == "en", timeout=5000)

    after = path.read_text(encoding="utf-8")
    assert 'language = "en"                # screen language' in after
    assert after.replace('language = "en"', 'language = "vi"') == before  # nothing else moved
    assert (tmp_path / "config.toml.bak").read_text(encoding="utf-8") == before
    restarted = make_window(path, language=load(path).kiosk.language)
    assert restarted.translations.language == "en"
    assert restarted.language_button.text() == "Tiếng Việt"
    assert restarted.officer.manual_button.label.text() == "Manual entry (no code)"


def test_a_refused_value_leaves_config_toml_untouched(tmp_path):
    path = write_config(tmp_path)
    before = path.read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="language"):
        save_setting(path, "kiosk", "language", "fr")
    assert path.read_text(encoding="utf-8") == before
    assert not (tmp_path / "config.toml.bak").exists()
