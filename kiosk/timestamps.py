"""The one stored time format (UTC text, sortable) and local-day arithmetic on it.

Entries store ``scanned_at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, so text order is time
order and an index on the column serves every time range. A checkpoint's "day" and "hour"
are local: this module turns them into UTC text bounds (right across daylight-saving
changes, for any offset), so queries never convert a row's time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from zoneinfo import ZoneInfo

from kiosk import RELEASED

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
"""A kiosk's zone unless ``[kiosk] timezone`` says otherwise."""


def utc_iso(ts: float) -> str:
    """Sortable UTC text with microseconds; the one time format stored
    (``YYYY-MM-DDTHH:MM:SS.ffffffZ``). Every scan formats its time: the whole second's text
    is made once and kept while times fall in that second (scans come many a second), and
    the microseconds are rounded as ``datetime.fromtimestamp`` rounds them (half to even,
    carried into the second), so the text is the one ``isoformat`` gives, at half the cost."""
    global _second
    fraction, whole = math.modf(ts)
    micro = round(fraction * 1e6)
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    elif micro < 0:
        whole, micro = whole - 1, micro + 1_000_000
    second, text = _second
    if whole != second:
        text = dt.datetime.fromtimestamp(whole, dt.UTC).isoformat()[:19]
        _second = (whole, text)
    return f"{text}.{micro:06d}Z"


_second: tuple[float, str] = (0.0, "1970-01-01T00:00:00")
"""The whole second :func:`utc_iso` formatted last, and its text (one tuple: a thread reads
a matching pair)."""


def parse_utc(text: str) -> dt.datetime:
    """A stored time, aware. Every stored time is UTC ("…Z"); one without a zone (edited by
    hand, as "2024-05-01 08:00") is read as UTC too, not left naive for the first comparison
    with an aware time to fail (``kiosk sync status`` and ``doctor`` ended in a traceback)."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def epoch_seconds(text: str) -> float:
    """Seconds since the epoch of a stored time. Not remembered: a scan's store parses the
    scan's time once and keeps it as the next scan's newest (``Store.insert_entry``); a
    cache's miss at each scan cost more than the parse (~6.7k instructions against ~4.8k)."""
    return parse_utc(text).timestamp()


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


def local_today(timezone: ZoneInfo, now: float | None = None) -> dt.date:
    """The date in ``timezone`` (the kiosk's configured zone, never the process's own: a
    kiosk whose system zone is UTC is still on yesterday until 07:00 in Vietnam), worked out
    once a minute: each CCCD scan checks its dates are not in the future, and a zone
    conversion costs ~3 µs a scan in the scan loop. Local midnight falls on a whole minute
    in every zone in use (offsets are whole minutes), so no minute holds two dates; a clock
    that jumps lands in another minute and is worked out again, and so does another zone."""
    global _today
    minute = (time.time() if now is None else now) // 60
    kept = _today
    if kept[0] != minute or kept[1] is not timezone:
        kept = (minute, timezone, dt.datetime.fromtimestamp(minute * 60, timezone).date())
        _today = kept
    return kept[2]


_today: tuple[float, ZoneInfo | None, dt.date] = (math.nan, None, dt.date.min)
"""The minute :func:`local_today` worked out last (since the epoch), its zone and the date
there (one tuple: a thread reads a matching set; NaN equals no minute)."""


def card_day(timezone: ZoneInfo, now: float | None = None, earliest: dt.date = RELEASED
             ) -> dt.date:
    """The day a CCCD's dates must not be after: the clock's date in ``timezone`` or, when
    the clock is behind (a flat RTC battery boots at 1970), ``earliest``, the earliest the
    real date can be (the release at least; the pipeline knows a later one, the newest
    entry's day). The pipeline and the technician's live view both judge by it, so the view
    never refuses a card the kiosk takes."""
    return max(local_today(timezone, now), earliest)


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
    """Stored UTC text → local "YYYY-MM-DD HH:MM:SS", converting each UTC hour once: in an
    hour whose offset is whole hours and does not change (every hour of most zones), the
    minutes and seconds are the UTC ones. Any other hour (a zone 30 or 45 minutes off, an
    hour holding a change) is converted per minute. An export's rows share few hours; the
    caches are bounded, so memory stays flat."""

    CACHE_ENTRIES = 20_000

    def __init__(self, timezone: ZoneInfo) -> None:
        self.timezone = timezone
        self._hours: dict[str, str] = {}
        """UTC hour → local "YYYY-MM-DD HH", or "" when that hour goes minute by minute."""
        self._minutes: dict[str, str] = {}

    def __call__(self, stored: str) -> str:
        hour = stored[:13]
        local = self._hours.get(hour)
        if local is None:
            local = self._hours[hour] = self._whole_hour(hour)
            if len(self._hours) >= self.CACHE_ENTRIES:
                self._hours.clear()
        if local:
            return local + stored[13:19]
        minute = stored[:16]
        local = self._minutes.get(minute)
        if local is None:
            if len(self._minutes) >= self.CACHE_ENTRIES:
                self._minutes.clear()
            local = self._minutes[minute] = self._convert(minute + ":00", "%Y-%m-%d %H:%M")
        return local + stored[16:19]

    def _whole_hour(self, hour: str) -> str:
        start = parse_utc(hour + ":00:00+00:00")
        first = start.astimezone(self.timezone).utcoffset()
        last = (start + dt.timedelta(seconds=3599)).astimezone(self.timezone).utcoffset()
        if first != last or first is None or first % dt.timedelta(hours=1):
            return ""
        return self._convert(hour + ":00:00", "%Y-%m-%d %H")

    def _convert(self, utc: str, form: str) -> str:
        return parse_utc(utc + "+00:00").astimezone(self.timezone).strftime(form)
