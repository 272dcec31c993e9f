"""Screen language: Qt's own translation machinery, Vietnamese by default.

Source strings are English (``self.tr``); ``i18n/kiosk_vi.ts`` holds the Vietnamese, compiled
to ``kiosk_vi.qm`` by scripts/build_translations.sh (pyside6-lrelease). Switching language
swaps the installed QTranslator; Qt then sends every widget a LanguageChange event and each
screen re-translates itself in ``changeEvent``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTranslator, Signal

from kiosk.messages import WordedError, number

log = logging.getLogger(__name__)

I18N_DIR = Path(__file__).with_name("i18n")
SOURCE_LANGUAGE = "en"
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
"""Language code → its own name (shown as such in the language switch)."""


LANGUAGE_PROPERTY = "kiosk_language"


def screen_language() -> str:
    """The language the screens speak now: for words from kiosk/messages.py."""
    app = QCoreApplication.instance()
    language = app.property(LANGUAGE_PROPERTY) if app is not None else None
    return language if language in LANGUAGES else SOURCE_LANGUAGE


def catalog(language: str, suffix: str = ".qm") -> Path:
    return I18N_DIR / f"kiosk_{language}{suffix}"


def counted(value: int) -> str:
    """A count as the screen's language groups it (1.234.567 / 1,234,567): a backlog of a
    million read as one long number, or as "1,234" — one and a bit — by a Vietnamese eye."""
    return number(value, screen_language())


def counted_n(translated: str, value: int) -> str:
    """``self.tr("… %n …", "", value)`` with its number grouped (:func:`counted`): Qt's
    ``%n`` picks the plural form and writes the digits ungrouped."""
    return translated.replace(str(value), counted(value), 1) if abs(value) >= 1000 else translated


class MissingCatalog(WordedError, RuntimeError):
    """The compiled translation is not there: the screen would silently fall back to English."""


class Translations(QObject):
    """Owns the installed QTranslator; ``changed`` fires after the switch."""

    changed = Signal(str)

    def __init__(self, app: QCoreApplication, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._translator: QTranslator | None = None
        self.language = SOURCE_LANGUAGE

    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        translator = None
        if language != SOURCE_LANGUAGE:
            translator = QTranslator(self)
            path = catalog(language)
            if not translator.load(str(path)):
                raise MissingCatalog("ui.missing_translation", path=path)
        if self._translator is not None:
            self._app.removeTranslator(self._translator)
        if translator is not None:
            self._app.installTranslator(translator)
        self._translator = translator
        self.language = language
        self._app.setProperty(LANGUAGE_PROPERTY, language)
        self.changed.emit(language)
