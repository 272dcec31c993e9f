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
from kiosk.timestamps import DEFAULT_TIMEZONE, local_today, utc_iso

FIRST, LAST = -62135596800.0, 253402300799.0
"""0001-01-01 and 9999-12-31T23:59:59 UTC: the times a datetime can hold."""


def isoformat(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).isoformat(timespec="microseconds"
                                                               )[:-6] + "Z"


def near_a_second(second: int, nanoseconds: int) -> float:
    """A time a few hundred nanoseconds from a whole second or half a microsecond: where
    the rounding carries, or goes to even."""
    return second + nanoseconds / 1e9


@settings(max_examples=400)
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


@pytest.fixture(params=["UTC", "America/St_Johns"])
def system_zone(request, monkeypatch):
    """The process's own zone: never the one a date is asked for."""
    yield set_system_zone(monkeypatch, request.param)
    monkeypatch.undo()
    time.tzset()


def local_midnights(zone: ZoneInfo) -> list[float]:
    """Local midnights over a year around a daylight-saving change in each direction."""
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=d) for d in range(0, 400, 3)]
    return [dt.datetime.combine(day, dt.time(), zone).timestamp() for day in days]


CONFIGURED = [ZoneInfo(name) for name in ZONES]
MIDNIGHTS = [local_midnights(zone) for zone in CONFIGURED]


@settings(max_examples=300,  # the zone is set once for all examples
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(ZONES) - 1), st.integers(0, 133), st.sampled_from(
    [-86400, -3600, -61, -60, -1, -0.000001, 0, 0.000001, 1, 59.999999, 60, 3600, 43200])),
    min_size=1, max_size=20), st.permutations(range(len(ZONES))))
def test_the_local_date_is_the_configured_zones_across_midnights_and_clock_jumps(
        system_zone, instants, asked):
    """Times just before, at and after local midnights of each zone, in any order (a clock
    stepped back or forward between scans), each asked in every zone in turn (the same
    minute, another date): the kept minute never gives another date than the zone's at
    that moment, whatever the process's own zone."""
    for which, index, offset in instants:
        moment = MIDNIGHTS[which][index] + offset
        for zone in (CONFIGURED[z] for z in asked):
            assert local_today(zone, moment) == dt.datetime.fromtimestamp(moment, zone).date(
                ), (zone, moment)


def test_the_date_is_the_configured_zones_not_the_systems(monkeypatch):
    """At 20:00 UTC it is already tomorrow in Hồ Chí Minh City: a kiosk whose system zone is
    UTC (many Linux images) is on the configured zone's date all the same; and in the same
    minute, another zone has its own date, not the one kept."""
    moment = dt.datetime(2026, 11, 30, 20, 0, 10, tzinfo=dt.UTC).timestamp()
    try:
        set_system_zone(monkeypatch, "UTC")
        assert dt.date.fromtimestamp(moment) == dt.date(2026, 11, 30)
        assert local_today(ZoneInfo("Asia/Ho_Chi_Minh"), moment) == dt.date(2026, 12, 1)
        assert local_today(ZoneInfo("America/Los_Angeles"), moment) == dt.date(2026, 11, 30)
        assert local_today(ZoneInfo("Asia/Ho_Chi_Minh"), moment + 1) == dt.date(2026, 12, 1)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_decoder_refuses_a_date_after_the_local_today():
    """What the kept date is for: a CCCD issued tomorrow is refused, one issued today taken;
    without a date given, today is the default zone's (Hồ Chí Minh City)."""
    today = local_today(ZoneInfo(DEFAULT_TIMEZONE))
    tomorrow = today + dt.timedelta(days=1)

    def code(issued: dt.date) -> bytes:
        return (f"001099012345||Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|"
                f"{issued:%d%m%Y}").encode()
    refused = decode(code(tomorrow))
    assert isinstance(refused, Rejection)
    assert (refused.problem, refused.field) == ("in_future", "issue_date")
    assert not isinstance(decode(code(today)), Rejection)
    assert isinstance(decode(code(today), today=today - dt.timedelta(days=1)), Rejection)
