"""The dashboard's words, from the one catalogue (``web.*`` in :mod:`kiosk.messages`), in
Vietnamese (the default) or English, and numbers as each language writes them (1.234,5 /
1,234.5)."""

from __future__ import annotations

from typing import Any

from kiosk import messages

DEFAULT = "vi"
LANGUAGES = messages.LANGUAGES


class Translator:
    """``t(key, **values)`` in one language; ``t.num(n)`` and ``t.pct(ratio)`` as it writes."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **values: Any) -> str:
        return messages.text(f"web.{key}", self.lang, **values)

    def column(self, key: str) -> str:
        """A report's key as a column heading (the key itself if it has none)."""
        code = f"web.column.{key}"
        return messages.text(code, self.lang) if code in messages.CATALOGUE else key

    def title(self, vietnamese: str) -> str:
        """A report section's title (report_formats writes them in Vietnamese)."""
        code = f"web.table.{vietnamese}"
        return messages.text(code, self.lang) if code in messages.CATALOGUE else vietnamese

    def cell(self, key: str, value: Any) -> str:
        """A report's value as this language writes it (numbers, ratios, codes; an unknown
        backlog age as the kiosk list words it, naming the clock alert)."""
        if value is None:
            return "–"
        if key == "oldest_pending":
            return self(f"kiosks.oldest_{value}", alert=self("problem.clock_off"))
        if key in ("adoption_ratio", "manual_share", "refused_share"):
            return self.pct(value)
        if isinstance(value, bool):
            return "✓" if value else "–"
        if isinstance(value, int | float):
            return self.num(value, 0 if isinstance(value, int) else 2)
        if key in ("kind", "problem") and f"web.{key}.{value}" in messages.CATALOGUE:
            return self(f"{key}.{value}")
        return str(value)

    def num(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        text = f"{value:,.{digits}f}"
        if self.lang == "vi":
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text

    def pct(self, ratio: float | None) -> str:
        return "–" if ratio is None else self.num(100 * ratio, 1) + " %"


def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT)
