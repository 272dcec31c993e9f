"""Whether the wall clock is surely wrong, from what the kiosk knows without any clock.

A kiosk whose RTC battery is flat boots at 1970; a Raspberry Pi without an RTC boots at the
time it last saved. It records scans all the same (the store flags each one,
``clock_behind``), but the centre refuses an entry more than 400 days old and files a
younger one on the wrong day, so the officer's screen, ``kiosk doctor`` and ``kiosk sync
status`` say so at once. Only what is certain counts: the real time is at least the
release's first moment and the newest recorded entry's time, and the screen speaks only
past :data:`WRONG_CLOCK_SECONDS`. A clock ahead is not seen here: only the centre can tell
(``kiosk doctor``'s offset).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kiosk import RELEASED

WRONG_CLOCK_SECONDS = 120.0
"""How far behind the earliest real time the clock must read to be called wrong: the
centre's own "clock off" (kiosk.central.localdays), so an officer is not alarmed by NTP
stepping a drifted clock back a few seconds at boot, nor by two devices writing out of
order (the store flags an entry from 2 s, :data:`kiosk.store.CLOCK_TOLERANCE_SECONDS`)."""


@dataclass(frozen=True)
class WrongClock:
    """The clock reads ``now``, yet the real time is at least ``earliest`` (epoch seconds)."""

    now: float
    earliest: float

    def times(self, timezone: ZoneInfo) -> dict[str, str]:
        """``now`` and ``earliest`` as "YYYY-MM-DD HH:MM" in the kiosk's zone: the blanks of
        ``clock.wrong`` (kiosk/messages.py). With the date and year: at 1970 the time of day
        alone looks right."""
        return {name: local_minute(moment, timezone)
                for name, moment in (("now", self.now), ("earliest", self.earliest))}


def local_minute(moment: float, timezone: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(moment, timezone).strftime("%Y-%m-%d %H:%M")


def released_moment(timezone: ZoneInfo) -> float:
    """The release's first moment in the kiosk's zone: surely past, remembered from no clock."""
    return dt.datetime.combine(RELEASED, dt.time(), timezone).timestamp()


def earliest_time(timezone: ZoneInfo, newest: float | None) -> float:
    """The earliest the real time can be: the release's first moment or the newest entry's
    time (:meth:`kiosk.store.Store.newest_entry_time`), whichever is later."""
    released = released_moment(timezone)
    return released if newest is None else max(released, newest)


def wrong_clock(now: float, earliest: float) -> WrongClock | None:
    """A :class:`WrongClock` when ``now`` is more than :data:`WRONG_CLOCK_SECONDS` before
    ``earliest``; None
    on a kiosk whose clock may be right. A clock once ahead that is now right is called
    wrong too until the real time passes the entries it wrote: from the kiosk alone the two
    cannot be told apart, and one of the two times is wrong either way."""
    return WrongClock(now, earliest) if earliest - now > WRONG_CLOCK_SECONDS else None
