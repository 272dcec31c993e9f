"""A clock surely wrong shows on the officer's screen at once, as a red band on the status
strip with the time the kiosk believes, in Vietnamese and English; a normal kiosk shows none,
and the band goes once the clock is right. Scans are still recorded meanwhile.

A real kiosk (config file, SQLite store) behind a real main window, offscreen. The machine's
clock is never moved: the store's newest entry is put ahead of it instead (a kiosk that
booted behind the scans it recorded), or the wall time is injected into the pipeline.
"""

from __future__ import annotations

import time

from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BINH,
    load,
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.app import policy_from
from kiosk.clock import WRONG_CLOCK_SECONDS, local_minute
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan
from kiosk.store import Store

FLAT_BATTERY = 0.0
"""1970-01-01 00:00 UTC: where an RTC without power starts."""


def recorded_at(config_path, wall_time: float) -> None:
    """One entry in the kiosk's store at ``wall_time``, before the kiosk starts."""
    config = load(config_path)
    store = Store(config.store_path, timezone=config.timezone)
    try:
        result = Pipeline(store, policy_from(config)).submit(
            Scan(CCCD_BINH.encode(), device_id="lane1", lane="in", wall_time=wall_time))
        assert result.recorded
    finally:
        store.close()


def test_a_kiosk_booted_a_day_behind_its_scans_shows_the_alert_in_both_languages(
        make_window, qtbot, tmp_path):
    """A Pi without an RTC boots at the time it saved a day before its last scans: the band
    says so the moment the window opens, with the time the kiosk believes; the tooltip
    gives the earliest the real time can be and the fix. A scan is still recorded."""
    path = write_config(tmp_path)
    newest = time.time() + 86400
    recorded_at(path, newest)
    window = make_window(path)
    strip, timezone = window.strip, window.kiosk.config.timezone

    qtbot.waitUntil(strip.clock_alert.isVisible)
    believed = strip.wrong_clock.now
    assert abs(believed - time.time()) < 60
    assert strip.clock_alert.text() == (
        "ĐỒNG HỒ SAI — báo kỹ thuật chỉnh giờ · máy đang chỉ "
        + local_minute(believed, timezone))
    assert strip.clock_alert.toolTip().startswith(
        f"Giờ thật ít nhất là {local_minute(newest, timezone)} (lượt quét mới nhất")
    window.set_language("en", remember=False)
    qtbot.waitUntil(lambda: strip.clock_alert.text().startswith("CLOCK WRONG"))
    assert strip.clock_alert.text() == (
        "CLOCK WRONG — ask the technician to set the time · the kiosk reads "
        + local_minute(believed, timezone))
    assert "replace the RTC battery" in strip.clock_alert.toolTip()

    scanned = window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
    assert scanned.recorded  # nothing refused for a wrong clock
    window._tick()
    assert strip.clock_alert.isVisible()


def test_a_normal_kiosk_shows_no_alert(make_window, tmp_path):
    """Entries up to a moment ago and the clock reading now: no band, nothing kept."""
    path = write_config(tmp_path)
    recorded_at(path, time.time() - 1)
    window = make_window(path)
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
    window._tick()
    assert window.strip.wrong_clock is None
    assert not window.strip.clock_alert.isVisible()


def test_the_alert_goes_once_the_clock_is_right(make_window, qtbot, tmp_path):
    """The clock was stepped back a little more than two minutes right after a scan: the
    band shows at the next tick of the screen's clock and goes by itself once the real time
    is within two minutes of that scan."""
    window = make_window(write_config(tmp_path))
    strip = window.strip
    assert not strip.clock_alert.isVisible()
    ahead = time.time() + WRONG_CLOCK_SECONDS + 12
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1", wall_time=ahead))
    qtbot.waitUntil(strip.clock_alert.isVisible, timeout=11000)
    qtbot.waitUntil(lambda: not strip.clock_alert.isVisible(), timeout=30000)
    assert time.time() >= ahead - WRONG_CLOCK_SECONDS


def test_at_1970_the_strip_shows_the_year_the_kiosk_believes(make_window, tmp_path):
    """The top-right clock shows only HH:MM, which looks right at 1970: the band shows the
    date and year. The wall time is injected into the real pipeline's check."""
    path = write_config(tmp_path)
    recorded_at(path, time.time() - 60)
    window = make_window(path, start=False)
    strip = window.strip
    strip.set_clock(window.kiosk.pipeline.wrong_clock(FLAT_BATTERY))
    assert strip.clock_alert.isVisible()
    assert strip.clock_alert.text().endswith("máy đang chỉ 1970-01-01 08:00")
    strip.set_clock(window.kiosk.pipeline.wrong_clock(time.time()))
    assert not strip.clock_alert.isVisible()
