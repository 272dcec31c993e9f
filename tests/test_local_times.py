"""Exports show each entry's local time; converting an hour once must give, to the second,
what converting each entry would, in every zone: whole-hour ones, zones 30 or 45 minutes
off, and the hours in which a zone's offset changes (by an hour, or by 30 minutes)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.timestamps import LocalTimes, utc_iso

ZONES = ("Asia/Ho_Chi_Minh", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York",
         "America/St_Johns", "Australia/Lord_Howe", "Pacific/Chatham", "Europe/London", "UTC")


def expected(moment: float, zone: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(moment, zone).strftime("%Y-%m-%d %H:%M:%S")


@settings(max_examples=300)
@given(st.sampled_from(ZONES), st.lists(st.floats(0, 4.1e9), min_size=1, max_size=40))
def test_local_times_equal_a_conversion_of_each_moment(zone_name, moments):
    zone = ZoneInfo(zone_name)
    local = LocalTimes(zone)
    for moment in sorted(moments) + moments:  # cached on the second pass
        assert local(utc_iso(moment)) == expected(moment, zone), (zone_name, moment)


def test_every_second_around_offset_changes_is_converted_exactly():
    """Each change of 2026 in these zones, minute by minute from an hour before to an hour
    after, with odd seconds: the hour that holds the change goes minute by minute."""
    for zone_name in ("America/New_York", "Australia/Lord_Howe", "Pacific/Chatham",
                      "America/St_Johns", "Europe/London"):
        zone = ZoneInfo(zone_name)
        local = LocalTimes(zone)
        hour = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        offset = hour.astimezone(zone).utcoffset()
        changes = 0
        while hour.year == 2026:
            after = (hour + dt.timedelta(hours=1)).astimezone(zone).utcoffset()
            if after != offset:
                changes += 1
                start = hour.timestamp() - 3600
                for second in range(0, 3 * 3600, 61):
                    assert local(utc_iso(start + second)) == expected(start + second, zone)
                offset = after
            hour += dt.timedelta(hours=1)
        assert changes == 2, zone_name
