"""A clock surely wrong is seen at once: one reading before the release (a flat RTC battery
boots at 1970, 2000 or a firmware date). Only that is certain: a clock behind the newest
recorded entry is not called wrong, since the entry may have been written while the clock
ran ahead. Real pipeline over a real store file; the wall time is injected (``Scan``'s
``wall_time``, ``wrong_clock``'s ``now``), the machine's clock never moved."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kiosk import RELEASED
from kiosk.clock import WrongClock
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan, Status

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
FLAT_BATTERY = 0.0
"""1970-01-01 00:00 UTC: where an RTC without power starts."""
RELEASE = dt.datetime.combine(RELEASED, dt.time(), HANOI).timestamp()
"""The release's first moment in the kiosk's zone."""
NEWEST = RELEASE + 40 * 86400 + 17.5 * 3600
"""The newest entry's time: a day's scanning, after the release."""


def cccd(number: int) -> bytes:
    return f"{number:012d}|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế|10102021".encode()


def restarted_after_a_day(make_pipeline) -> Pipeline:
    """A kiosk that recorded until ``NEWEST``, then lost power: a new pipeline, as at boot."""
    before = make_pipeline(duplicate_window_seconds=0)
    assert before.submit(Scan(payload=cccd(1), device_id="d1", lane="in",
                              wall_time=NEWEST)).status is Status.ACCEPTED
    return Pipeline(before.store, before.policy)


def test_a_kiosk_booted_at_1970_has_its_clock_wrong_and_says_what_it_believes(make_pipeline
                                                                          ) -> None:
    pipeline = restarted_after_a_day(make_pipeline)
    assert pipeline.wrong_clock(FLAT_BATTERY) == WrongClock(now=FLAT_BATTERY, released=RELEASE)
    assert pipeline.wrong_clock(FLAT_BATTERY).times(HANOI) == {  # Saigon was UTC+8 in 1970
        "now": "1970-01-01 08:00", "released": f"{RELEASED.isoformat()} 00:00"}


def test_the_release_is_the_line_with_or_without_entries(make_pipeline) -> None:
    """No entry yet: the release's first moment in the kiosk's zone is surely past."""
    pipeline = make_pipeline()
    assert pipeline.wrong_clock(RELEASE - 1) == WrongClock(RELEASE - 1, RELEASE)
    assert pipeline.wrong_clock(RELEASE) is None
    assert pipeline.wrong_clock(RELEASE + 60) is None


def test_a_clock_set_right_behind_the_newest_entry_is_not_called_wrong(make_pipeline) -> None:
    """The false alarm a newest-entry rule would raise: the clock ran an hour ahead while
    the last scans were recorded, then NTP stepped it back (or a wrong year typed was
    fixed). It now reads an hour before the newest entry, after the release, and may well be
    right: not wrong, else the alert stays on a right clock until real time catches up."""
    pipeline = restarted_after_a_day(make_pipeline)
    assert pipeline.wrong_clock(NEWEST - 3600) is None
    year_ahead = pipeline.submit(Scan(payload=cccd(2), device_id="d1", lane="in",
                                      wall_time=NEWEST + 365 * 86400))  # a year typed wrong
    assert year_ahead.recorded
    assert pipeline.wrong_clock(NEWEST) is None  # then fixed


def test_a_normal_kiosk_is_never_called_wrong(make_pipeline) -> None:
    """Two devices writing a little out of order, the screen asking right after."""
    pipeline = make_pipeline(duplicate_window_seconds=0)
    pipeline.submit(Scan(payload=cccd(1), device_id="d1", lane="in", wall_time=NEWEST))
    late = pipeline.submit(Scan(payload=cccd(2), device_id="d2", lane="in",
                                wall_time=NEWEST - 1.5))
    assert late.status is Status.ACCEPTED
    assert pipeline.wrong_clock(NEWEST + 0.01) is None


def test_scans_at_1970_are_still_recorded_and_the_clock_stays_wrong(make_pipeline) -> None:
    """Nothing is refused for a wrong clock, and a scan recorded at 1970 does not make 1970
    plausible; once the clock reads past the release the alert goes."""
    pipeline = restarted_after_a_day(make_pipeline)
    result = pipeline.submit(Scan(payload=cccd(2), device_id="d1", lane="in",
                                  wall_time=FLAT_BATTERY + 60))
    assert result.status is Status.ACCEPTED and result.recorded
    assert pipeline.wrong_clock(FLAT_BATTERY + 61) == WrongClock(FLAT_BATTERY + 61, RELEASE)
    assert pipeline.wrong_clock(NEWEST + 60) is None
