"""An answer told from the others without its colour (real offscreen Qt widgets, grabbed).

One man in twelve cannot tell red from green; in sunlight a cheap panel washes every colour
out; on a greyscale photo of the screen (a complaint, a report) none is left. The accepted
card's green (#1b7f3b), the refusal's red (#c62828) and SAVING…'s blue (#1565c0) are the same
grey: 0.157, 0.137 and 0.133 in relative luminance, 12 and 2 levels of 255 apart, and under
simulated deuteranopia both of the first two turn the same olive. Their symbols were a ring
each, told apart only by the strokes inside it (a tick, a cross, a clock's hands), 30 px on a
7" panel: from where the officer stands, three rings. The symbol of "stop, nothing recorded"
is now a solid stop sign, the cross cut out of it, and the clock an hourglass: a shape
each, seen as such in any colour vision.

Each card is grabbed as painted, turned to what a viewer sees (greyscale; deuteranopia,
protanopia, tritanopia after Machado, Oliveira & Fernandes 2009, severity 1), and its symbol
reduced to a 3 × 3 grid of light and dark — what one makes out of a 5 mm symbol from a few
metres — on the scale from the card's background to its text. Two answers that ask for
different acts (let through; stop, nothing recorded; wait) must differ there by a fifth of
that scale on average. Their text keeps a WCAG contrast of 4.5:1 on its card.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtGui import QImage
from ui_fit import lay_out
from ui_states import refusing, store_words
from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BAD_DATE,
    make_window_fixture,
    settle,
    translations_built_fixture,
)

from kiosk.scan import Scan
from kiosk.ui.result_card import COLOURS

SIZES = [(800, 480), (480, 800), (1024, 600), (1920, 1080)]
SIGHTS = {
    "greyscale": np.eye(3),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
"""Each viewer's sight, as a matrix on linear RGB (then seen as luminance)."""
APART = 0.2
"""How far apart two answers' symbols must be, reduced to 3 × 3, on average: a fifth of
the way from the card's background to its text."""


def linear(srgb: np.ndarray) -> np.ndarray:
    srgb = srgb / 255.0
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def luminance(rgb: np.ndarray, sight: str) -> np.ndarray:
    """Relative luminance of each pixel as a viewer with ``sight`` sees it."""
    seen = np.clip(linear(rgb.astype(float)) @ SIGHTS[sight].T, 0, 1)
    return seen @ np.array([0.2126, 0.7152, 0.0722])


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(),
                                                             image.bytesPerLine())
    return rows[:, :3 * image.width()].reshape(image.height(), image.width(), 3).copy()


def hex_rgb(colour: str) -> np.ndarray:
    return np.array([[[int(colour[i:i + 2], 16) for i in (1, 3, 5)]]], float)


def symbol_seen(card, sight: str) -> np.ndarray:
    """The card's symbol as ``sight`` sees it, 3 × 3, 0 the card's background, 1 its text."""
    mark = card.mark.geometry()
    assert card.mark.isVisible() and mark.width() >= 9, card.state
    shot = pixels(card.grab(mark).toImage())
    background, text = (luminance(hex_rgb(c), sight)[0, 0] for c in COLOURS[card.state])
    seen = (luminance(shot, sight) - background) / (text - background)
    side = seen.shape[0] // 3 * 3
    return seen[:side, :side].reshape(3, side // 3, 3, side // 3).mean(axis=(1, 3))


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((float(luminance(hex_rgb(c), "greyscale")[0, 0])
                              for c in (one, other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def answers(window) -> dict[str, object]:
    """Each answer that asks for a different act, on the officer's card: its symbol as each
    sight sees it."""
    card, pipeline = window.officer.card, window.kiosk.pipeline
    seen = {}

    def look(name: str) -> None:
        settle()
        seen[name] = (card.state, {sight: symbol_seen(card, sight) for sight in SIGHTS})

    card.show_result(pipeline.submit(Scan(CCCD_AN.encode(), device_id="t", lane="in")))
    look("accepted: let through")
    card.show_result(pipeline.submit(Scan(CCCD_BAD_DATE.encode(), device_id="t", lane="in")))
    look("refused: stop")
    card.show_result(card.result, hold_seconds=0)
    settle()
    refusing(window, store_words()["store.busy"])
    look("not recorded: stop, call the technician")
    card.scan_begun(Scan(b"waiting for the lock", device_id="t", lane="in"))
    settle(2 * 300)
    assert card.saving
    look("saving: wait")
    return seen


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_go_stop_and_wait_differ_in_shape_for_every_colour_vision(make_window, size):
    window = make_window(start=False)
    assert not lay_out(window, size)
    seen = answers(window)
    alike = []
    for (one, (state, one_seen)), (other, (other_state, other_seen)) in itertools.combinations(
            seen.items(), 2):
        if state == other_state:  # the same answer in other words: NOT RECORDED twice
            continue
        for sight in SIGHTS:
            apart = float(np.abs(one_seen[sight] - other_seen[sight]).mean())
            if apart < APART:
                alike.append(f"{one} / {other}, {sight}: {apart:.2f} apart")
    assert not alike, "\n".join(alike)


def test_every_cards_text_keeps_a_contrast_of_4_5_to_1():
    low = {state: round(contrast(*colours), 2) for state, colours in COLOURS.items()
           if contrast(*colours) < 4.5}
    assert not low
