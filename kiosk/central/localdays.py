"""The centre's calendar: one configured time zone, and which local day and hour a scan is on.

A "day" is a local day in the centre's zone (default ``Asia/Ho_Chi_Minh``), everywhere:
reports, aggregates, tracing. A scan is placed by the kiosk's wall clock (``scanned_at``),
corrected by the clock offset the centre measured on the batch that brought it when that
offset is larger than :data:`CLOCK_TOLERANCE_SECONDS` — a kiosk whose clock is hours off
would otherwise file its scans under the wrong day, while within the tolerance the offset is
mostly transit time and must not move a scan across midnight.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.messages import WordedError
from kiosk.sync.protocol import CLOCK_TOLERANCE_SECONDS  # Timing takes a clock right within it

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
REPORT_TIME = dt.time(6)
"""When the daily report of a day is made: 06:00 local the next morning (directive
2732/UBND-KGVX; the 06:00 timer, scripts/systemd/kiosk-central-report.timer). An entry is
*late* when it reaches the centre after its day's report was made (:meth:`Calendar.
report_day_of`; when the timer's run made it later, then: :func:`kiosk.central.aggregates.
report_made`), and a monthly report is due on the 1st at this time."""


class CalendarError(WordedError, ValueError):
    """An unknown time zone name."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError) as exc:  # "Asia": a folder
        raise CalendarError("calendar.unknown_zone", name=repr(name),
                            example=DEFAULT_ZONE) from exc


def parse_utc(text: str) -> dt.datetime:
    """A stored UTC time (``YYYY-MM-DDTHH:MM:SS.ffffffZ``) as an aware datetime."""
    return dt.datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=dt.UTC)


class Calendar:
    """Local days and hours in one zone; placing scans is cached per minute of wall clock."""

    def __init__(self, zone_name: str = DEFAULT_ZONE) -> None:
        self.name = zone_name
        self.zone = zone(zone_name)
        self._minutes: dict[str, tuple[str, int]] = {}

    def place(self, scanned_at: str, clock_offset: float | None) -> tuple[str, int]:
        """(local day ``YYYY-MM-DD``, local hour 0-23) of a scan, by the rule above."""
        if clock_offset is not None and abs(clock_offset) > CLOCK_TOLERANCE_SECONDS:
            return self.local(parse_utc(scanned_at) + dt.timedelta(seconds=clock_offset))
        minute = scanned_at[:16]
        placed = self._minutes.get(minute)
        if placed is None:
            if len(self._minutes) > 100_000:
                self._minutes.clear()
            placed = self._minutes[minute] = self.local(parse_utc(scanned_at))
        return placed

    def local(self, moment: dt.datetime) -> tuple[str, int]:
        here = moment.astimezone(self.zone)
        return here.date().isoformat(), here.hour

    def day_of(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()

    def report_day_of(self, moment: dt.datetime) -> str:
        """The day whose daily report is the first made after ``moment`` (``YYYY-MM-DD``):
        the local day before, until :data:`REPORT_TIME`. An entry received at 00:05 is in
        its day's 06:00 report, so it is not late; one received at 06:00 or later missed
        it, and the next day's report lists it."""
        here = moment.astimezone(self.zone)
        day = here.date() if here.time() >= REPORT_TIME else here.date() - dt.timedelta(days=1)
        return day.isoformat()

    def report_time(self, day: dt.date) -> dt.datetime:
        """The UTC instant of :data:`REPORT_TIME` on local ``day``."""
        return dt.datetime.combine(day, REPORT_TIME, self.zone).astimezone(dt.UTC)

    def start(self, day: dt.date) -> dt.datetime:
        """The UTC instant local ``day`` begins (midnight, or the first instant after a gap)."""
        naive = dt.datetime.combine(day, dt.time())
        return naive.replace(tzinfo=self.zone).astimezone(dt.UTC)

    def end(self, day: dt.date) -> dt.datetime:
        return self.start(day + dt.timedelta(days=1))
