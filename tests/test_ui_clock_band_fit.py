"""The clock alert must not cost the officer the answer: with it showing (a kiosk booted at
1970), the card's headline stays at least 26 px and the name or plain-words line at least
20 px on every display the panel's DPI comes with, as without it (test_ui_fit.py's
readability floor). So the alert is the header clock itself, on one whole line and no taller
than the header's buttons, not a row of its own (a band on the strip took 29–50 px from the
card at 800×480). The alert is the real pipeline's, for a flat RTC battery; the results are
real scans."""

from __future__ import annotations

import pytest
from ui_fit import lay_out
from ui_support import (  # noqa: F401
    CCCD_BAD_DATE,
    make_window_fixture,
    replay_device,
    translations_built_fixture,
    with_dpi,
    write_config,
)

from kiosk import messages
from kiosk.certificates import trustlist
from kiosk.scan import Scan
from kiosk.ui import result_card
from tests.certificate_support import make_issuer, trust_list_of
from tests.test_ui_fit import PANEL_SIZES, PANELS, SIZES, results

FLAT_BATTERY = 0.0
"""1970-01-01 00:00 UTC: where an RTC without power starts."""


def every_answer(make_window, tmp_path, language, dpi):
    """A window at ``dpi`` in ``language`` and each answer a scan can get, shown on it (the
    catalogue's longest refusals left out: no scan says them)."""
    lanes = replay_device("lan-vao", tmp_path / "queue.txt", lane="in")
    path = write_config(tmp_path, lanes, extra='\n[certificates]\ntrust_list = "trust.json"\n')
    issuer = make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    window = make_window(with_dpi(path, dpi), language=language, start=False)
    window.set_language(language)
    shown = results(window, issuer)
    del shown["refused (vi)"], shown["refused (en)"]
    return window, shown


@pytest.mark.parametrize("dpi", sorted(PANELS))
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_clock_alert_leaves_the_cards_words_readable_on_every_display(
        make_window, tmp_path, language, dpi, monkeypatch):
    # each answer shown as one standing alone: shown one after another within a second, every
    # one would carry the note of the refusal scanned below (test_ui_result_hold.py's)
    monkeypatch.setattr(result_card, "RED_SEEN_SECONDS", 0)
    window, shown = every_answer(make_window, tmp_path, language, dpi)
    bad_date = "001099012345|123456789|Nguyễn Văn An|31021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
    shown["refused"] = window.kiosk.pipeline.submit(Scan(bad_date.encode(), device_id="t"))
    window.show_time(FLAT_BATTERY)
    clock = window.clock
    assert "1970-01-01 08:00" in clock.text()
    card = window.officer.card
    failures = []
    for state, result in shown.items():
        card.show_result(result)
        for size in PANEL_SIZES.get(dpi, SIZES):
            problems = lay_out(window, size)
            sizes = {"headline": card.headline.font().pixelSize(),
                     "words": card.name.font().pixelSize()}
            if clock.width() < clock.sizeHint().width():
                problems.append(f"the clock alert cut to {clock.width()} px of "
                                f"{clock.sizeHint().width()}")
            if clock.height() > window.language_button.height():
                problems.append(f"the clock alert {clock.height()} px high, taller than the "
                                f"header's buttons ({window.language_button.height()} px)")
            if sizes["headline"] < 26 or sizes["words"] < 20 or problems:
                failures.append(f"{size} {state}: {sizes} px on a {card.size()} card "
                                f"{problems[:3]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("dpi", sorted(PANELS))
@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_clock_alert_and_the_note_of_a_refusal_just_before_leave_the_headline_readable(
        make_window, tmp_path, language, dpi):
    """Both extra lines at once — the clock alert (a kiosk booted at 1970) and "the scan
    just before: REFUSED — check that person again" (a refusal on the other lane, replaced
    within RED_SEEN_SECONDS) — and every answer still keeps its headline at 26 px and the
    officer's words at 20 px, the note whole: the amber NOT AN ID CODE card went to 24 px at
    800×480 (133 dpi). What gives way is the secondary: the details line (the code's kind,
    the direction and time the headline and the recent list already say) before the
    headline does."""
    window, shown = every_answer(make_window, tmp_path, language, dpi)
    refusal = window.kiosk.pipeline.submit(Scan(CCCD_BAD_DATE.encode(), device_id="lan-ra"))
    window.show_time(FLAT_BATTERY)
    card = window.officer.card
    failures = []
    for state, result in shown.items():
        for size in PANEL_SIZES.get(dpi, SIZES):
            card.show_result(refusal)
            card.show_result(result)  # at once: the refusal on the other lane unseen
            assert card.missed is refusal, state
            problems = lay_out(window, size)
            sizes = {"headline": card.headline.font().pixelSize(),
                     "words": card.name.font().pixelSize()}
            if not card.reason.isVisible() or not card.reason.text().startswith(
                    messages.text("card.missed_red", language, time="", headline="")[:12]):
                problems.append(f"the note is not shown whole: {card.reason.text()!r}")
            if sizes["headline"] < 26 or sizes["words"] < 20 or problems:
                failures.append(f"{size} {state}: {sizes} px on a {card.size()} card "
                                f"{problems[:3]}")
    assert not failures, "\n".join(failures)
