"""Vietnamese tone marks stay on the card (real Qt widgets, offscreen, in DejaVu Sans).

A capital carrying two marks (Ẵ, Ầ, Ễ, Ồ) rises above its font's ascent: at 60 px DejaVu
Sans Bold, the font scripts/bootstrap.sh installs, the ascent is 56 px and Ẵ's tilde reaches
65. A card line as high as the font's lines cut the marks off its first line: the idle card
read "SĂN SÀNG" (hunt) for "SẴN SÀNG" (ready), a name on a citizen ID card "TRÂN THỊ HĂNG"
for "TRẦN THỊ HẰNG" — another person. Each line of the card keeps room above for the ink of
its own words, on every kiosk display; so does the header's alert "⚠ ĐỒNG HỒ SAI" (clock
wrong), which read "ĐÔNG HÔ SAI".
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel
from ui_fit import lay_out
from ui_support import (  # noqa: F401
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.certificates import trustlist
from kiosk.scan import Scan
from tests.certificate_support import make_issuer, trust_list_of, vaccination

SIZES = [(800, 480), (480, 800), (1024, 600), (1920, 1080)]
HANG = "079301004567||TRẦN THỊ HẰNG|15071985|Nữ|12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh|20052021"


def inked_rows(label: QLabel) -> int:
    """How many rows of ``label``, as it is painted, hold any of its text's ink."""
    image = label.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    background = image.pixel(image.width() - 1, image.height() - 1)  # past the last word
    return sum(any(image.pixel(x, y) != background for x in range(image.width()))
               for y in range(image.height()))


def whole_ink(label: QLabel) -> int:
    """The rows of ink the same words make in a label of the same font, width and colours
    with room to spare above and below: every mark drawn."""
    roomy = QLabel(label.text())
    roomy.setFont(label.font())
    roomy.setPalette(label.palette())
    roomy.setAutoFillBackground(True)
    roomy.setStyleSheet(label.styleSheet())
    roomy.setAlignment(label.alignment())
    roomy.setWordWrap(label.wordWrap())
    roomy.setContentsMargins(0, label.height(), 0, label.height())
    roomy.resize(label.width(), 3 * label.height())
    return inked_rows(roomy)


def marks_cut(window, size: tuple[int, int]) -> list[str]:
    """The card's lines and the header's clock, laid out at ``size``, whose ink a label with
    room would show more of: marks cut off."""
    assert not lay_out(window, size)
    card = window.officer.card
    assert card.font().family() == "DejaVu Sans"
    return [f"{size} {label.text()!r}: {inked_rows(label)} of {whole_ink(label)} rows of ink"
            for label in (card.headline, card.name, card.details, card.reason, window.clock)
            if label.isVisible() and inked_rows(label) < whole_ink(label)]


@pytest.mark.parametrize("size", SIZES)
def test_the_idle_card_reads_ready_with_its_tilde(make_window, size):
    window = make_window()
    assert window.officer.card.headline.text() == "SẴN SÀNG"
    assert marks_cut(window, size) == []


@pytest.mark.parametrize("size", SIZES)
def test_a_name_in_capitals_keeps_both_marks_of_each_letter(make_window, size):
    window = make_window(start=False)
    window.officer.card.show_result(window.kiosk.pipeline.submit(
        Scan(HANG.encode(), device_id="t", lane="in")))
    assert window.officer.card.name.text() == "TRẦN THỊ HẰNG"
    assert marks_cut(window, size) == []


@pytest.mark.parametrize("size", SIZES)
def test_a_certificate_headline_keeps_its_marks(make_window, tmp_path, size):
    """CHỨNG NHẬN KHÔNG HỢP LỆ — KIỂM TRA GIẤY TỜ: a forged certificate, the officer's
    order to check documents."""
    issuer, forger = make_issuer(), make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    window = make_window(write_config(tmp_path, extra='\n[certificates]\n'
                                                      'trust_list = "trust.json"\n'),
                         start=False)
    now = time.time()
    code = forger.sign(vaccination(), issued=now - 86400, expires=now + 86400, kid=issuer.kid)
    window.officer.card.show_result(window.kiosk.pipeline.submit(
        Scan(code.encode(), device_id="t", lane="in")))
    assert "KIỂM TRA GIẤY TỜ" in window.officer.card.headline.text()
    assert marks_cut(window, size) == []


@pytest.mark.parametrize("size", SIZES)
def test_the_clock_alert_reads_clock_wrong_with_both_marks(make_window, size):
    window = make_window()
    window.show_time(0.0)  # 1970: a real-time clock without power
    assert window.clock.text().startswith("⚠ ĐỒNG HỒ SAI")
    assert marks_cut(window, size) == []
