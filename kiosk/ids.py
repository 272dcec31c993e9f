"""Entry ids: UUIDv7 (RFC 9562), created on the kiosk.

Globally unique so a reinstalled kiosk never collides with what the centre already holds,
and time-ordered so "oldest first" is simply "by id" (but for a clock set back more than
:data:`BACK_STEP_MS`, as across a restart). Python 3.11 has no uuid7, hence this.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from pathlib import Path

ENROLMENT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""Kiosk and checkpoint ids chosen at enrolment: short, printable, safe in file names. The
centre enrols only such ids and the kiosk's config check refuses any other."""
RESERVED_DEVICE_IDS = frozenset({"manual"})
"""Device ids the kiosk itself records under (``manual``: the officer's typed entries)."""

BACK_STEP_MS = 1000
"""How far back the wall clock may go and ids still keep counting on from the last one's
millisecond (RFC 9562's monotonicity: an NTP correction, two threads' readings a moment
apart). A clock set back by more is a clock put right: ids take its time again, since the
centre files, traces, purges and erases entries by their id's day (an id kept at the
clock's old time, months ahead, escaped all four until the kiosk restarted)."""

_lock = threading.Lock()
_last_ms = 0
_counter = 0
_RANDOM_IDS = 256
"""Ids whose random bits one ``os.urandom`` call gives: a system call per id cost each scan
~0.5 µs (docs/benchmarks.md, twenty-third pass)."""
_random = b""
_used = 0
"""Random bytes, of which the first ``_used`` are used (10 an id), under ``_lock``."""


def _forget_random() -> None:
    """In a forked child: its parent's unused bytes are the parent's, never the child's
    too (two processes would make the same ids' random parts)."""
    global _random, _used
    _random, _used = b"", 0


os.register_at_fork(after_in_child=_forget_random)


def uuid7(now_ms: int | None = None) -> str:
    """A UUIDv7 string, increasing within this process even within one millisecond, unless
    the wall clock went back more than :data:`BACK_STEP_MS` (set right from a time ahead):
    the id then carries the clock's time, below the ids before it, as after a restart.

    The 12-bit ``rand_a`` field is a counter seeded at random each millisecond (RFC 9562
    method 1); if it overflows, the timestamp is advanced by a millisecond.
    """
    global _last_ms, _counter, _random, _used
    with _lock:
        ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        if _used == len(_random):
            _random, _used = os.urandom(10 * _RANDOM_IDS), 0
        random = int.from_bytes(_random[_used:_used + 10], "big")  # both fields' bits
        _used += 10
        if ms <= _last_ms and _last_ms - ms <= BACK_STEP_MS:
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _counter = random >> 64 & 0x7FF
        _last_ms = ms
        rand_b = random & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | _counter << 64 | 0b10 << 62 | rand_b
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def id_prefix(moment: dt.datetime) -> str:
    """The first 13 characters of a UUIDv7 made at ``moment`` (``xxxxxxxx-xxxx``): ids
    below it were made before that moment (by the clock of the kiosk that made them)."""
    hex_ms = f"{int(moment.timestamp() * 1000):012x}"
    return f"{hex_ms[:8]}-{hex_ms[8:]}"


def uuid7_time_ms(text: str) -> int:
    return int(text.replace("-", "")[:12], 16)


def boot_id() -> str:
    """This boot's id, so monotonic times can be compared only within one boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return _PROCESS_BOOT_ID


_PROCESS_BOOT_ID = "process-" + os.urandom(16).hex()
