"""The stored time text: ``utc_iso`` keeps the last whole second's text and rounds the
microseconds itself; whatever the order of the times it is given, its text must be the one
``datetime.isoformat`` gives, to the microsecond (half-way roundings carried into the next
second, times before 1970), and a time that has no text fails as before."""

from __future__ import annotations

import datetime as dt
import importlib.resources
import math
import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.payloads import Rejection, decode
from kiosk.timestamps import local_today, utc_iso

FIRST, LAST = -62135596800.0, 253402300799.0
"""0001-01-01 and 9999-12-31T23:59:59 UTC: the times a datetime can hold."""


def isoformat(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).isoformat(timespec="microseconds"
                                                               )[:-6] + "Z"


def near_a_second(second: int, nanoseconds: int) -> float:
    """A time a few hundred nanoseconds from a whole second or half a microsecond: where
    the rounding carries, or goes to even."""
    return second + nanoseconds / 1e9


@settings(max_examples=400, deadline=None)
@given(st.lists(st.floats(FIRST, LAST) | st.builds(
    near_a_second, st.integers(-2 * 10**9, 4 * 10**9),
    st.sampled_from([-500, -1, 0, 1, 499, 500, 501, 999_999_500, 999_999_499, 999_999_501])),
    min_size=1, max_size=30))
def test_the_text_is_isoformats_whatever_came_before(moments):
    for moment in moments + sorted(moments):  # the kept second hit and missed
        assert utc_iso(moment) == isoformat(moment), moment


def test_scans_in_one_second_share_its_text_and_the_next_second_has_its_own():
    start = 1_764_504_000.0  # 2025-11-30T12:00:00Z
    assert [utc_iso(start + step) for step in (0.25, 0.9999996, 1.5, -0.0000004)] == [
        "2025-11-30T12:00:00.250000Z", "2025-11-30T12:00:01.000000Z",
        "2025-11-30T12:00:01.500000Z", "2025-11-30T12:00:00.000000Z"]


@pytest.mark.parametrize("moment", [math.nan, math.inf, -math.inf, LAST + 1, FIRST - 1])
def test_a_time_no_text_can_hold_fails_as_datetime_does(moment):
    with pytest.raises((ValueError, OverflowError)) as expected:
        isoformat(moment)
    with pytest.raises(expected.type):
        utc_iso(moment)


ZONES = ["Asia/Ho_Chi_Minh", "UTC", "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe",
         "Pacific/Chatham", "Europe/Berlin"]
"""The kiosk's own zone, and zones whose midnight is at :30, :45 or :15 past a UTC hour,
or moves with daylight saving by 30 minutes (Lord Howe) or an hour."""


def set_system_zone(monkeypatch, name: str) -> ZoneInfo:
    """The process's local zone (what ``date.today()`` reads) set to ``name``, from the zone
    file of the ``tzdata`` package (a fresh machine may have no /usr/share/zoneinfo, and the
    C library takes an unknown zone for UTC without a word); the same file read by Python."""
    path = importlib.resources.files("tzdata.zoneinfo").joinpath(name)
    monkeypatch.setenv("TZ", f":{path}")
    time.tzset()
    with path.open("rb") as data:
        return ZoneInfo.from_file(data, key=name)


@pytest.fixture(params=ZONES)
def system_zone(request, monkeypatch):
    yield set_system_zone(monkeypatch, request.param)
    monkeypatch.undo()
    time.tzset()


def local_midnights(zone: ZoneInfo) -> list[float]:
    """Local midnights over a year around a daylight-saving change in each direction."""
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=d) for d in range(0, 400, 3)]
    return [dt.datetime.combine(day, dt.time(), zone).timestamp() for day in days]


@settings(max_examples=300, deadline=None,  # the zone is set once for all examples
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 133), st.sampled_from(
    [-86400, -3600, -61, -60, -1, -0.000001, 0, 0.000001, 1, 59.999999, 60, 3600, 43200])),
    min_size=1, max_size=20))
def test_the_local_date_is_date_todays_across_midnights_and_clock_jumps(system_zone, instants):
    """Times just before, at and after local midnights, in any order (a clock stepped back
    or forward between scans): the kept minute never gives another date than the C
    library's local time at that moment."""
    midnights = local_midnights(system_zone)
    for index, offset in instants:
        moment = midnights[index] + offset
        assert local_today(moment) == dt.date.fromtimestamp(moment), (system_zone, moment)
        assert local_today(moment) == dt.datetime.fromtimestamp(moment, system_zone).date()


def test_the_local_date_follows_a_change_of_the_systems_zone_within_a_minute(monkeypatch):
    """At 20:00 UTC it is already tomorrow in Hồ Chí Minh City: a zone set (and tzset) while
    the kiosk runs gives the new date from the next minute on."""
    moment = dt.datetime(2026, 11, 30, 20, 0, 10, tzinfo=dt.UTC).timestamp()
    try:
        set_system_zone(monkeypatch, "UTC")
        assert local_today(moment) == dt.date(2026, 11, 30)
        set_system_zone(monkeypatch, "Asia/Ho_Chi_Minh")
        assert local_today(moment + 60) == dt.date(2026, 12, 1)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_decoder_refuses_a_date_after_the_local_today():
    """What the kept date is for: a CCCD issued tomorrow is refused, one issued today taken."""
    today = local_today()
    tomorrow = today + dt.timedelta(days=1)

    def code(issued: dt.date) -> bytes:
        return (f"001099012345||Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|"
                f"{issued:%d%m%Y}").encode()
    refused = decode(code(tomorrow))
    assert isinstance(refused, Rejection)
    assert (refused.problem, refused.field) == ("in_future", "issue_date")
    assert not isinstance(decode(code(today)), Rejection)
