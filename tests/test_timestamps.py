"""The stored time text: ``utc_iso`` keeps the last whole second's text and rounds the
microseconds itself; whatever the order of the times it is given, its text must be the one
``datetime.isoformat`` gives, to the microsecond (half-way roundings carried into the next
second, times before 1970), and a time that has no text fails as before."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.timestamps import utc_iso

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
