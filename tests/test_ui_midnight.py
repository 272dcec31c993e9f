"""At the local midnight today's counts start from zero (real Qt, offscreen; a real store).

The tiles re-read every minute, so for up to 60 s after midnight they showed yesterday's
numbers under "Vào hôm nay" (in today). Now they are re-read at the local midnight itself.
The machine's clock is never moved: the screen's clock (``OfficerScreen.clock``) is set to
read 1.5 s before the last local midnight, and runs on from there.
"""

from __future__ import annotations

import datetime as dt
import time

from ui_support import CCCD_AN, CCCD_BINH, make_window_fixture, translations_built_fixture  # noqa: F401

from kiosk.scan import Scan


def an_in_at_23_59(make_window):
    """A window whose screen clock reads 23:59:30 before the last local midnight, An scanned
    in at 23:59; the window and that midnight (a timestamp)."""
    window = make_window(start=False)
    officer, timezone = window.officer, window.kiosk.config.timezone
    started = time.time()
    midnight = dt.datetime.combine(dt.datetime.fromtimestamp(started, timezone).date(),
                                   dt.time(), timezone).timestamp()
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="t", lane="in",
                                      wall_time=midnight - 60))  # in at 23:59
    officer.clock = lambda: time.time() - started + midnight - 30  # 23:59:30
    officer.refresh()
    return window, midnight


def test_today_tiles_start_from_zero_at_midnight_not_a_minute_later(make_window, qtbot):
    window, midnight = an_in_at_23_59(make_window)
    officer = window.officer
    in_today = officer.tiles["in"].value
    # read in the db lane, behind the window's first reads: shown before the midnight is
    # armed (one asked for at 23:59:58.5 and still waiting at midnight gives way to the
    # midnight's own read, and "1" was never shown on a loaded machine)
    qtbot.waitUntil(lambda: in_today.text() == "1", timeout=10000)

    armed = time.time()
    officer.clock = lambda: time.time() - armed + midnight - 1.5  # 23:59:58.5
    officer.arm_midnight()
    qtbot.waitUntil(lambda: in_today.text() == "0", timeout=3000)
    assert officer.clock() - midnight < 2.5  # within a second of midnight
    assert officer.tiles["inside"].value.text() == "1"  # still inside: no one left


def test_the_header_clock_reads_the_new_day_when_todays_counts_start_from_zero(
        make_window, qtbot):
    """The counts turned at midnight while the header clock, ticking every 5 s from
    whenever the window opened, still read 23:59 beside "Vào hôm nay 0" for up to a tick.
    The clock ticks at each whole minute too, by the clock the counts are read by, and
    shows the time as the new day's counts are asked for: whenever today's tiles change,
    the header already reads 00:00."""
    window, midnight = an_in_at_23_59(make_window)
    officer = window.officer
    in_today = officer.tiles["in"]
    qtbot.waitUntil(lambda: in_today.value.text() == "1", timeout=10000)
    shown = []  # (today's "in", the header clock) as each count is shown
    set_value = in_today.set_value
    in_today.set_value = lambda value: (shown.append((value, window.clock.text())),
                                        set_value(value))

    armed = time.time()
    officer.clock = lambda: time.time() - armed + midnight - 1.5  # 23:59:58.5
    officer.arm_midnight()
    window._tick()  # the window's tick, as at its start, by this clock
    assert window.clock.text() == "23:59"
    qtbot.waitUntil(lambda: in_today.value.text() == "0", timeout=3000)

    assert all(clock == "00:00" for value, clock in shown if value == 0), shown
    assert window.clock.text() == "00:00"


def test_a_clock_set_back_a_day_shows_that_days_counts_within_a_tick(make_window, qtbot):
    """Network time sets the clock back across midnight (revofficer 33–36): "Vào hôm nay"
    kept the other day's counts for up to a minute, next to a clock reading the day before.
    The header clock's 5 s tick sees the day change and re-reads the counts: that day's
    own scan, and the one dated later than the clock now reads, made by now (counted at
    now since ea78e06, as the centre files it at its arrival). The screen's clock runs from
    yesterday's local noon, so that a run near the real midnight does not change the day
    between the scan and the tiles read."""
    window = make_window(start=False)
    officer, timezone = window.officer, window.kiosk.config.timezone
    started = time.time()
    noon = dt.datetime.combine(dt.datetime.fromtimestamp(started, timezone).date(),
                               dt.time(12), timezone).timestamp() - 86400

    def at_noon() -> float:
        return time.time() - started + noon

    officer.clock = at_noon
    window.kiosk.pipeline.submit(Scan(CCCD_BINH.encode(), device_id="t", lane="in",
                                      wall_time=noon - 86400))  # the day before's
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="t", lane="in",
                                      wall_time=noon))
    in_today = officer.tiles["in"].value
    qtbot.waitUntil(lambda: in_today.text() == "1", timeout=10000)

    officer.clock = lambda: at_noon() - 86400  # set back a day

    qtbot.waitUntil(lambda: in_today.text() == "2", timeout=7000)  # within a tick
    officer.clock = at_noon  # and forward again
    qtbot.waitUntil(lambda: in_today.text() == "1", timeout=7000)


def test_a_clock_set_forward_to_just_before_midnight_starts_the_day_at_that_midnight(
        make_window, qtbot):
    """Set forward within the day, the date alike: the midnight timer counted to the old
    clock's midnight, hours away, and the new day kept yesterday's counts for up to a
    minute. The tick sees the wall clock jump against the monotonic one and moves it."""
    window = make_window(start=False)
    officer, timezone = window.officer, window.kiosk.config.timezone
    started = time.time()
    midnight = dt.datetime.combine(dt.datetime.fromtimestamp(started, timezone).date(),
                                   dt.time(), timezone).timestamp()
    window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="t", lane="in",
                                      wall_time=midnight - 3600))  # in at 23:00
    officer.clock = lambda: time.time() - started + midnight - 3600  # 23:00, its own day
    officer.arm_midnight()
    officer.refresh()
    in_today = officer.tiles["in"].value
    qtbot.waitUntil(lambda: in_today.text() == "1", timeout=10000)

    stepped = time.time()
    officer.clock = lambda: time.time() - stepped + midnight - 8  # 23:59:52: set forward

    qtbot.waitUntil(lambda: in_today.text() == "0", timeout=12000)
    assert officer.clock() - midnight < 2.5  # at that midnight
