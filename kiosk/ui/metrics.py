"""Physical sizes on the kiosk's screen: how many pixels make a 9 mm touch target.

pixels = mm / 25.4 × DPI. The DPI is, first, ``[kiosk] screen_dpi`` when the technician set
it (for a panel that reports nothing or a wrong size); else the screen's physical one
(pixels across ÷ the width the display reports through EDID, which Qt exposes as
``QScreen.physicalDotsPerInch``) when that figure is plausible; else ``FALLBACK_DPI``, the
96 DPI every desktop assumes. Displays without EDID (many 7" HDMI touch panels, Xvfb, the
offscreen platform) land on the fallback, which is too small for them (a 7" 800×480 panel
is 133 DPI: 44 px there is 8.4 mm): set ``screen_dpi`` for those (docs/technician.md says
how to work it out from the panel's size).
"""

from __future__ import annotations

import math

from PySide6.QtGui import QGuiApplication, QScreen

TOUCH_TARGET_MM = 9.0
FALLBACK_DPI = 96.0
PLAUSIBLE_DPI = (60.0, 400.0)
"""A reported DPI outside this range is an EDID lie (or a projector): not trusted."""
MIN_TOUCH_PIXELS = 44
"""Never smaller than this, whatever the DPI (a finger does not shrink with the screen)."""


def screen_dpi(screen: QScreen | None = None, configured: float = 0) -> float:
    """``configured`` when set (non-zero), else the screen's physical DPI if it is
    believable, otherwise ``FALLBACK_DPI``."""
    if configured:
        return configured
    screen = screen or QGuiApplication.primaryScreen()
    if screen is None or screen.physicalSize().width() <= 0:
        return FALLBACK_DPI
    dpi = screen.physicalDotsPerInch()
    low, high = PLAUSIBLE_DPI
    return dpi if low <= dpi <= high else FALLBACK_DPI


def mm_to_pixels(mm: float, screen: QScreen | None = None, configured: float = 0) -> int:
    return math.ceil(mm / 25.4 * screen_dpi(screen, configured))


def touch_pixels(screen: QScreen | None = None, configured: float = 0) -> int:
    """The smallest side of anything a finger presses (``configured``: ``screen_dpi``)."""
    return max(MIN_TOUCH_PIXELS, mm_to_pixels(TOUCH_TARGET_MM, screen, configured))
