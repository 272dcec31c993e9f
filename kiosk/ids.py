"""Entry ids: UUIDv7 (RFC 9562), created on the kiosk.

Globally unique so a reinstalled kiosk never collides with what the centre already holds,
and time-ordered so "oldest first" is simply "by id". Python 3.11 has no uuid7, hence this.
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

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(now_ms: int | None = None) -> str:
    """A UUIDv7 string, strictly increasing within this process even within one millisecond.

    The 12-bit ``rand_a`` field is a counter seeded at random each millisecond (RFC 9562
    method 1); if it overflows, the timestamp is advanced by a millisecond.
    """
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        random = int.from_bytes(os.urandom(10), "big")  # one system call for both fields
        if ms <= _last_ms:
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
