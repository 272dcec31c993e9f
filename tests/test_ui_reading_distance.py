"""The answer's headline is what the officer reads from a step away: it is the last line to
shrink (real offscreen Qt widgets, at each kiosk display's size and DPI).

A refusal has three lines of what to do under its headline. Shrunk in step with them, its
headline went to 28 px on a 7" 800 × 480 panel — a 4.0 mm capital at 133 dpi — while the
accepted card's stayed at 40 px (5.7 mm): the answer that must stop the person was the
hardest to read. The headline now stays at HEADLINE_KEPT (36 px) while the words under it
go down to the size read at arm's length (READABLE_SIZES), and shrinks only after them.
"""

from __future__ import annotations

import pytest
from ui_fit import lay_out
from ui_states import PANEL_DPI, kiosk_config
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BAD_DATE,
    make_window_fixture,
    settle,
    translations_built_fixture,
)

from kiosk.scan import Scan
from kiosk.ui.result_card import HEADLINE_KEPT, READABLE_SIZES

SIZES = [(800, 480), (480, 800), (1024, 600), (1920, 1080)]
ANSWERS = {"accepted": CCCD_AN, "already scanned": CCCD_AN, "refused": CCCD_BAD_DATE,
           "not an ID code": "https://example.com/menu"}


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_headline_shrinks_only_after_the_words_under_it(make_window, tmp_path, size,
                                                            language):
    path, _certificate = kiosk_config(tmp_path, PANEL_DPI.get(size, 0))
    window = make_window(path, language=language, start=False)
    assert not lay_out(window, size)
    card, pipeline = window.officer.card, window.kiosk.pipeline
    early = []
    for answer, code in ANSWERS.items():
        card.show_result(pipeline.submit(Scan(code.encode(), device_id="t", lane="in")))
        settle()
        headline, *under = card.sizes
        if headline < HEADLINE_KEPT and any(
                size_px > floor for (label, size_px), floor in zip(zip(
                    (card.name, card.details, card.reason), under, strict=True),
                    READABLE_SIZES[1:], strict=True) if label.text()):
            early.append(f"{answer}: headline {headline} px, the words under it "
                         f"{under} (floors {list(READABLE_SIZES[1:])})")
    assert not early, "\n".join(early)
