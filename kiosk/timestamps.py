"""The one stored time format (UTC text, sortable) and local-day arithmetic on it.

Entries store ``scanned_at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, so text order is time
order and an index on the column serves every time range. A checkpoint's "day" and "hour"
are local: this module turns them into UTC text bounds (right across daylight-saving
changes, for any offset), so queries never convert a row's time.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo


def utc_iso(ts: float) -> str:
    """Sortable UTC text with microseconds; the one time format stored."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def epoch_ms(text: str) -> int:
    """Milliseconds since the epoch of a stored time (exact: no float rounding)."""
    moment = parse_utc(text)
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)


def day_bounds(day: dt.date, timezone: ZoneInfo) -> tuple[str, str]:
    """UTC text bounds ``[start, end)`` of a local calendar day."""
    start = dt.datetime.combine(day, dt.time(), timezone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timezone)
    return utc_iso(start.timestamp()), utc_iso(end.timestamp())


def today(timezone: ZoneInfo, now: float | None = None) -> dt.date:
    return (dt.datetime.now(timezone) if now is None
            else dt.datetime.fromtimestamp(now, timezone)).date()


def local_hours(day: dt.date, timezone: ZoneInfo) -> list[tuple[int, str, str]]:
    """The local hours of a day as (hour, UTC text start, UTC text end): 23 or 25 of them
    on a daylight-saving day (a repeated hour appears twice, with its own span)."""
    start = dt.datetime.combine(day, dt.time(), timezone).timestamp()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timezone).timestamp()
    moments = [start + 3600 * h for h in range(round((end - start) / 3600))] + [end]
    return [(dt.datetime.fromtimestamp(m, timezone).hour, utc_iso(m), utc_iso(n))
            for m, n in itertools.pairwise(moments)]


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class LocalTimes:
    """Stored UTC text → local "YYYY-MM-DD HH:MM:SS", converting each minute once (an
    export's rows share few minutes); the cache is bounded, so memory stays flat."""

    CACHE_MINUTES = 20_000

    def __init__(self, timezone: ZoneInfo) -> None:
        self.timezone = timezone
        self._minutes: dict[str, str] = {}

    def __call__(self, stored: str) -> str:
        minute = stored[:16]
        local = self._minutes.get(minute)
        if local is None:
            if len(self._minutes) >= self.CACHE_MINUTES:
                self._minutes.clear()
            local = parse_utc(minute + ":00+00:00").astimezone(self.timezone).strftime(
                "%Y-%m-%d %H:%M")
            self._minutes[minute] = local
        return local + stored[16:19]
