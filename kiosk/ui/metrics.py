"""Physical sizes on the kiosk's screen: how many pixels make a 9 mm touch target.

pixels = mm / 25.4 × DPI. The DPI is the screen's physical one (pixels across ÷ the width
the display reports through EDID, which Qt exposes as ``QScreen.physicalDotsPerInch``) when
that figure is plausible; displays without EDID (many 7" HDMI touch panels, Xvfb, the
offscreen platform) report nothing or nonsense, and then ``FALLBACK_DPI`` is used: the 96
DPI every desktop assumes, which errs on the large side for the small panels (a 7" 800×480
panel is about 133 DPI, so 9 mm at 96 DPI is 34 px there, at least the 9 mm asked for on a
typical 15" 1366×768 monitor).
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


def screen_dpi(screen: QScreen | None = None) -> float:
    """The screen's physical DPI if it is believable, otherwise ``FALLBACK_DPI``."""
    screen = screen or QGuiApplication.primaryScreen()
    if screen is None or screen.physicalSize().width() <= 0:
        return FALLBACK_DPI
    dpi = screen.physicalDotsPerInch()
    low, high = PLAUSIBLE_DPI
    return dpi if low <= dpi <= high else FALLBACK_DPI


def mm_to_pixels(mm: float, screen: QScreen | None = None) -> int:
    return math.ceil(mm / 25.4 * screen_dpi(screen))


def touch_pixels(screen: QScreen | None = None) -> int:
    """The smallest side of anything a finger presses."""
    return max(MIN_TOUCH_PIXELS, mm_to_pixels(TOUCH_TARGET_MM, screen))
