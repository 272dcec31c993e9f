"""Whether the wall clock is surely wrong, from what the kiosk knows without any clock.

A kiosk whose RTC battery is flat boots at 1970, 2000 or a firmware date, all before this
version's release. It records scans all the same (the store flags each one,
``clock_behind``), but the centre refuses an entry more than 400 days old and files a
younger one on the wrong day, so the officer's screen, ``kiosk doctor`` and ``kiosk sync
status`` say so at once. Only what is certain counts: a clock reading before the release's
first moment. A clock behind the newest recorded entry is not called wrong: that entry may
have been written while the clock was ahead (NTP then stepped it back, a wrong year typed
then fixed), and the alert would stay on a right clock until the real time caught up. A
clock ahead is not seen here either: only the centre can tell (``kiosk doctor``'s offset).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kiosk import RELEASED
from kiosk.messages import Words


@dataclass(frozen=True)
class WrongClock:
    """The clock reads ``now``, before ``released``, the release's first moment (epoch
    seconds)."""

    now: float
    released: float

    def times(self, timezone: ZoneInfo) -> dict[str, str]:
        """``now`` and ``released`` as "YYYY-MM-DD HH:MM" in the kiosk's zone: the blanks of
        ``clock.wrong`` (kiosk/messages.py). With the date and year: at 1970 the time of day
        alone looks right."""
        return {name: local_minute(moment, timezone)
                for name, moment in (("now", self.now), ("released", self.released))}


def local_minute(moment: float, timezone: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(moment, timezone).strftime("%Y-%m-%d %H:%M")


FIRST_SCANS = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
"""No store of this program holds a scan really made before this moment: its first version
was made on 2026-11-22 (UTC), a day back here. A recorded time before it is a wrong clock's
(a flat RTC battery boots at 1970 or 2000 at every boot, not only the one that recorded) and
tells no age. Never moved on, unlike :data:`kiosk.RELEASED`: a store keeps entries that
older versions recorded."""


def released_moment(timezone: ZoneInfo) -> float:
    """The release's first moment in the kiosk's zone: surely past, remembered from no clock."""
    return dt.datetime.combine(RELEASED, dt.time(), timezone).timestamp()


def wrong_clock(now: float, released: float) -> WrongClock | None:
    """A :class:`WrongClock` when ``now`` reads before ``released``
    (:func:`released_moment`); None on a kiosk whose clock may be right."""
    return WrongClock(now, released) if now < released else None


def clock_wrong_now(timezone: ZoneInfo, now: float | None = None) -> WrongClock | None:
    """:func:`wrong_clock` for the wall clock (``now``, else the time it reads now) against
    the release in ``timezone``: what a command asks once. The pipeline, asked every 5 s,
    keeps the release's moment instead."""
    return wrong_clock(time.time() if now is None else now, released_moment(timezone))


def clock_wrong_then(recorded: dt.datetime) -> bool:
    """Whether ``recorded`` (aware) is before :data:`FIRST_SCANS`: the kiosk's clock was wrong
    when it recorded it (a flat RTC battery's 1970), so it tells no age."""
    return recorded < FIRST_SCANS


def age_of(recorded: dt.datetime, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long ago ``recorded`` (aware) was, at ``now`` (else the time the clock reads now);
    None when that is unknown: ``recorded`` is later than ``now``, or the clock was wrong
    when it recorded it (:func:`clock_wrong_then`: a backlog recorded at 1970 is not 56 years
    old). The kiosk cannot tell a clock that ran ahead when it was recorded from one gone
    back since (a flat RTC battery at 1970, NTP stepping it back), so such a time has no
    age: it is shown as recorded (:func:`age_words`), never as a negative age or a clamped
    "0 min"."""
    if clock_wrong_then(recorded):
        return None
    age = (dt.datetime.now(dt.UTC) if now is None else now) - recorded
    return age if age >= dt.timedelta() else None


def age_words(recorded: dt.datetime, duration: Callable[[dt.timedelta], object],
              now: dt.datetime | None = None) -> Words:
    """``recorded``'s age (:func:`age_of`) as every front end words it: "{duration} ago"
    (``sync.ago``), the duration as ``duration`` words it for its place (a command's
    "3:28:21", the doctor's "5.0 h", a screen's "5 h 07"), or, with no age, why: the clock
    was wrong when it recorded (``sync.clock_wrong_then``), else *later than the kiosk's
    clock reads now* (``sync.later_than_clock``)."""
    age = age_of(recorded, now)
    if age is not None:
        return Words("sync.ago", {"ago": duration(age)})
    return Words("sync.clock_wrong_then" if clock_wrong_then(recorded) else
                 "sync.later_than_clock")


def since_boot() -> tuple[str, float] | None:
    """This boot's id and the seconds since it began, suspends included (Linux's
    ``CLOCK_BOOTTIME``): a clock no step of the wall clock moves, compared only within the
    boot (:func:`kiosk.ids.boot_id`). None where it is missing: ``CLOCK_MONOTONIC`` stops in a
    suspend, and an age counted on it would be too young."""
    from kiosk.ids import boot_id

    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is None:
        return None
    return boot_id(), time.clock_gettime(boottime)


TWO_CLOCKS_TOLERANCE = 60.0
"""Seconds the wall and monotonic measures of one interval may differ by with no suspend:
the instants each clock was read at, and NTP slewing or stepping a right clock by a few
seconds."""


def elapsed(wall: float | None, monotonic: float, suspended: float | None) -> float:
    """The seconds between two moments of the running boot, from the wall clock's measure
    (None: the earlier reads later than the later), the monotonic clock's and the seconds
    the kiosk has been suspended in this boot (None: not known): a backlog's age
    (:mod:`kiosk.sync.heartbeat`), the time since a person's last movement (the pipeline's
    duplicate window and "inside" day).

    The monotonic clock stops during suspend, so the true interval lies between
    ``monotonic`` and ``monotonic + suspended``: the wall measure is kept when it lies there
    (within :data:`TWO_CLOCKS_TOLERANCE`), the one clock that counts a suspend. Outside it,
    the wall clock was stepped in between (NTP putting right a flat RTC battery's 1970, an
    officer setting it an hour back), and the nearer bound is told: at most the suspended
    time too long, never the step. Not the smaller of the two, which would call a backlog
    the kiosk slept on for a night minutes old, or a person back the next morning after a
    night with the laptop's lid shut a double scan. With ``suspended`` unknown (no
    ``CLOCK_BOOTTIME``) the wall measure is trusted when it is the larger."""
    if wall is None or wall < monotonic - TWO_CLOCKS_TOLERANCE:
        return monotonic
    if suspended is not None and wall > monotonic + suspended + TWO_CLOCKS_TOLERANCE:
        return monotonic + suspended
    return wall


def suspended_seconds() -> float | None:
    """Seconds the kiosk has been suspended since it booted (:func:`suspended_ns`); None
    where ``CLOCK_BOOTTIME`` does not exist."""
    suspended = suspended_now()[1]
    return None if suspended is None else suspended / 1e9


def suspended_now() -> tuple[int, int | None]:
    """This boot's monotonic clock now (``time.monotonic_ns``, the clock a
    :class:`kiosk.scan.Scan` is stamped with) and the nanoseconds the kiosk has been
    suspended by then (:func:`suspended_ns`; None where ``CLOCK_BOOTTIME`` does not exist):
    what a batch carries for the centre to age its entries by (``sent_monotonic_ns``,
    ``sent_suspended_ns``)."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is None:
        return time.monotonic_ns(), None
    since_boot = time.clock_gettime_ns(boottime)
    monotonic = time.monotonic_ns()
    return monotonic, suspended_ns(since_boot, monotonic)


def suspended_ns(boottime_ns: int, monotonic_ns: int) -> int:
    """The nanoseconds a boot has been suspended, from its ``CLOCK_BOOTTIME`` and
    ``CLOCK_MONOTONIC`` read together: the first counts a suspend, the second stops in it
    (Linux). Never below zero: the two reads are a moment apart, and the boot time is read
    first."""
    return max(0, boottime_ns - monotonic_ns)
