"""A clock surely wrong is seen at once: one before the release (a flat RTC battery boots at
1970) or behind the newest recorded entry by more than the tolerance (a Raspberry Pi without
an RTC boots at the time it last saved), never a normal kiosk's two devices writing a little
out of order. Real pipeline over a real store file; the wall time is injected (``Scan``'s
``wall_time``, ``wrong_clock``'s ``now``), the machine's clock never moved."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kiosk import RELEASED
from kiosk.clock import WRONG_CLOCK_SECONDS, WrongClock
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan, Status

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
FLAT_BATTERY = 0.0
"""1970-01-01 00:00 UTC: where an RTC without power starts."""
NEWEST = dt.datetime(2027, 3, 15, 17, 30, tzinfo=HANOI).timestamp()
"""The newest entry's real time: a day's scanning, after the release."""


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
    assert pipeline.wrong_clock(FLAT_BATTERY) == WrongClock(now=FLAT_BATTERY, earliest=NEWEST)
    assert pipeline.wrong_clock(FLAT_BATTERY).times(HANOI) == {  # Saigon was UTC+8 in 1970
        "now": "1970-01-01 08:00", "earliest": "2027-03-15 17:30"}


def test_a_new_kiosk_at_1970_is_wrong_by_the_release_alone(make_pipeline) -> None:
    """No entry yet: the release's first moment in the kiosk's zone is surely past."""
    pipeline = make_pipeline()
    released = dt.datetime.combine(RELEASED, dt.time(), HANOI).timestamp()
    assert pipeline.wrong_clock(FLAT_BATTERY) == WrongClock(FLAT_BATTERY, released)
    assert pipeline.wrong_clock(released - 3600) is not None
    assert pipeline.wrong_clock(released + 60) is None


def test_a_pi_booted_at_its_last_saved_time_is_wrong_until_set(make_pipeline) -> None:
    """fake-hwclock saved the time an hour before the last scans: behind the newest entry."""
    pipeline = restarted_after_a_day(make_pipeline)
    assert pipeline.wrong_clock(NEWEST - 3600) == WrongClock(NEWEST - 3600, NEWEST)
    assert pipeline.wrong_clock(NEWEST + 12 * 3600) is None  # NTP set it: the next morning


def test_a_normal_kiosk_is_never_called_wrong_even_with_devices_out_of_order(make_pipeline
                                                                             ) -> None:
    """Two devices: the second's scan, read 1.5 s earlier, is written after the first's; the
    screen asks right after (and a moment within the tolerance before: a clock slewed)."""
    pipeline = make_pipeline(duplicate_window_seconds=0)
    pipeline.submit(Scan(payload=cccd(1), device_id="d1", lane="in", wall_time=NEWEST))
    late = pipeline.submit(Scan(payload=cccd(2), device_id="d2", lane="in",
                                wall_time=NEWEST - 1.5))
    assert late.status is Status.ACCEPTED
    assert pipeline.wrong_clock(NEWEST + 0.01) is None
    assert pipeline.wrong_clock(NEWEST - WRONG_CLOCK_SECONDS) is None
    assert pipeline.wrong_clock(NEWEST - WRONG_CLOCK_SECONDS - 0.5) is not None


def test_scans_at_1970_are_still_recorded_and_leave_the_clock_wrong(make_pipeline) -> None:
    """Nothing is refused for a wrong clock; a scan recorded at 1970 does not make 1970
    plausible, while one recorded at a real time moves the floor at once (no query)."""
    pipeline = restarted_after_a_day(make_pipeline)
    result = pipeline.submit(Scan(payload=cccd(2), device_id="d1", lane="in",
                                  wall_time=FLAT_BATTERY + 60))
    assert result.status is Status.ACCEPTED and result.recorded
    assert pipeline.wrong_clock(FLAT_BATTERY + 61) == WrongClock(FLAT_BATTERY + 61, NEWEST)

    pipeline.submit(Scan(payload=cccd(3), device_id="d1", lane="in", wall_time=NEWEST + 600))
    assert pipeline.wrong_clock(NEWEST + 300) == WrongClock(NEWEST + 300, NEWEST + 600)
    assert pipeline.wrong_clock(NEWEST + 601) is None
