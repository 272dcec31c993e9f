"""A clock surely wrong shows on the officer's screen at once: the header clock turns white on
red and says so with the date and year it reads, in Vietnamese and English; a normal kiosk
shows the time, and the alert goes once the clock is right. Scans are still recorded.

A real kiosk (config file, SQLite store) behind a real main window, offscreen. The machine's
clock is never moved: the time the clock reads is injected (``MainWindow.show_time``, what
the 5-s tick calls with the wall time) and judged by the real pipeline.
"""

from __future__ import annotations

import datetime as dt
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
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan
from kiosk.store import Store

FLAT_BATTERY = 0.0
"""1970-01-01 00:00 UTC (08:00 in Saigon then): where an RTC without power starts."""


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


def red(label) -> bool:
    return "#c62828" in label.styleSheet()


def test_a_kiosk_booted_at_1970_says_so_on_its_clock_in_both_languages(
        make_window, qtbot, tmp_path):
    """A flat RTC battery: HH:MM alone (08:00) would look right, so the clock shows the date
    and year, white on red, on one line; a scan is still recorded."""
    window = make_window(write_config(tmp_path))
    clock = window.clock
    window.show_time(FLAT_BATTERY)
    assert clock.text() == "⚠ ĐỒNG HỒ SAI 1970-01-01 08:00" and red(clock)
    assert not clock.wordWrap()
    window.set_language("en", remember=False)
    qtbot.waitUntil(lambda: clock.text() == "⚠ CLOCK WRONG 1970-01-01 08:00")
    assert red(clock)

    scanned = window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1",
                                                wall_time=FLAT_BATTERY + 60))
    assert scanned.recorded  # nothing refused for a wrong clock
    window.show_time(FLAT_BATTERY + 61)
    assert clock.text() == "⚠ CLOCK WRONG 1970-01-01 08:01"


def test_a_normal_kiosk_shows_the_time_and_no_alert(make_window, tmp_path):
    """Entries up to a moment ago and the clock reading now, at the 5-s tick: HH:MM."""
    path = write_config(tmp_path)
    recorded_at(path, time.time() - 1)
    window = make_window(path)
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
    window._tick()
    assert window.wrong_clock is None
    assert window.clock.text() == dt.datetime.now(
        window.kiosk.config.timezone).strftime("%H:%M")
    assert not red(window.clock)


def test_a_clock_set_right_behind_the_newest_scan_is_not_called_wrong(make_window, tmp_path):
    """The false alarm this must not raise: the clock ran an hour ahead while scans were
    recorded (NTP not yet synchronised, a wrong hour typed), then was set right. The kiosk
    reads an hour before its newest entry, yet after the release: no alert, since it cannot
    tell which of the two times was wrong and one saying CLOCK WRONG on a right clock would
    stay until the real time caught up."""
    path = write_config(tmp_path)
    recorded_at(path, time.time() + 3600)
    window = make_window(path)
    window._tick()
    assert window.wrong_clock is None and not red(window.clock)


def test_the_alert_goes_once_the_clock_is_right(make_window, tmp_path):
    """NTP sets a 1970 clock right: the next tick shows the time again, plain."""
    window = make_window(write_config(tmp_path))
    window.show_time(FLAT_BATTERY)
    assert red(window.clock)
    now = time.time()
    window.show_time(now)
    assert window.wrong_clock is None and not red(window.clock)
    assert window.clock.text() == dt.datetime.fromtimestamp(
        now, window.kiosk.config.timezone).strftime("%H:%M")
