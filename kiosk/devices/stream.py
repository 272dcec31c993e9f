"""The shape every scanner shares: raw items in, decoded scans out.

A device's I/O shell yields raw *items* — ``Chunk`` (bytes read from a serial port, or one
hidraw report), ``InputEvent`` (one evdev event) — and an ``Idle`` tick whenever nothing
arrived for a moment, so a decoder can end a scan on an inter-key gap. A pure *decoder*
turns items into ``Decoded`` scans. ``pump`` joins the two; the same loop runs a live
device, a recorded capture (replay) and the technician's watch view, so what is tested on
recordings is what runs in the field.

A scan is whole only when it ended as its scanner says a code ends: a configured terminator
(CR/LF, Enter), HID POS's last report, or — for a scanner configured with no terminator —
the quiet line after it. A decoder with a terminator configured that ends a scan otherwise
(the device went away mid-code, the line stayed quiet past ``CUT_WAIT`` without the
terminator) marks it ``cut``, and so is the scan right after such a cut when it begins within
``CUT_WAIT`` of it (the rest of a stalled code). A cut scan reaches the pipeline as
``Scan.cut`` and is refused "not read whole — scan again", never recorded as an entry.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from kiosk.scan import Scan


class InputEvent(NamedTuple):
    """One evdev event as the kernel stamps it (the fields of ``evdev.InputEvent``)."""

    sec: int
    usec: int
    type: int
    code: int
    value: int

    @property
    def t(self) -> float:
        return self.sec + self.usec / 1_000_000

    @classmethod
    def at(cls, t: float, type_: int, code: int, value: int) -> InputEvent:
        sec = int(t)
        return cls(sec, round((t - sec) * 1_000_000), type_, code, value)


@dataclass(frozen=True)
class Chunk:
    """Bytes as one read returned them: a serial burst, or exactly one hidraw report."""

    t: float
    data: bytes


@dataclass(frozen=True)
class Idle:
    """Nothing arrived up to time ``t`` (same clock as the items)."""

    t: float


Item = InputEvent | Chunk | Idle


@dataclass(frozen=True)
class Decoded:
    """One complete scan as a decoder saw it, with what the technician may want to know.

    ``ended_by``: "terminator", "gap" (inter-key/idle gap), "report" (HID POS last report),
    "end" (source ended), "overflow" (no terminator for too long). ``flags`` name what the
    decoder met on the way (e.g. "alt_codes", "keypad_digits", "bom", "fallback:cp1258").
    ``cut``: not a whole code (see the module's docstring): "" when whole, else how it was
    cut — "gap" (its terminator never came), "end" (the device went away mid-code), "tail"
    (the rest of a scan cut just before), "noise" (line noise, not a code: a serial port at
    another baud rate than the scanner's; the payload is the bytes as they arrived).
    """

    payload: bytes
    symbology: str = ""
    ended_by: str = "terminator"
    first_t: float = 0.0
    last_t: float = 0.0
    max_gap: float = 0.0
    flags: frozenset[str] = field(default_factory=frozenset)
    cut: str = ""
    sent: bytes = b""
    """The frame as the device sent it when ``payload`` is not those bytes but their text
    re-encoded (a serial frame not UTF-8, read in the code page ``sent_as``)."""
    sent_as: str = ""


CUT_WAIT = 0.45
"""Seconds a quiet line waits for a configured terminator (or Enter) before the scan is
declared cut (``idle_gap_ms`` when longer). Longer than a link's stall mid-code (a
USB-serial adapter's 300 ms hiccup: joined into its one whole code), shorter than the time
between two people's scans (half a second and more: a scanner sending no terminator still
gets one answer per code, each refused naming the setting). With terminator "none"
``idle_gap_ms`` alone ends a scan. A scanner sending only part of a line-ending terminator
(CR or LF for CRLF) is whole after ``idle_gap_ms`` (``serial_framer``)."""


AIM = re.compile(rb"\][A-Za-z][0-9A-Za-z]")
"""An AIM symbology identifier (ISO/IEC 15424: "]Q1" a QR code), which a scanner so set
sends before each code."""


def split_aim(payload: bytes) -> tuple[str, bytes]:
    """(the AIM identifier ``payload`` starts with, the code after it); ("", payload) when
    none. Every scanner's path uses it — serial (``strip_aim``), keyboard mode (evdev,
    hidraw keyboard, wedge) — so "]Q1001099012345|…" is the CCCD it carries, not a code
    refused "expected 12 digits"."""
    if AIM.match(payload):
        return payload[:3].decode("ascii"), payload[3:]
    return "", payload


TRAILING = bytes(range(0x21)) + b"\x7f"
"""What some scanners send after their terminator: LF after CR (keyboard mode: Enter, then
Ctrl+J), NUL padding, blanks."""


def trailing_junk(pending: bytes, first_t: float | None, ended_t: float | None,
                  wait: float) -> bool:
    """Whether ``pending`` (not ended yet, begun at ``first_t``) is only control bytes, NULs
    or blanks that came within ``wait`` of a scan's terminator (at ``ended_t``): the end of
    that scan, which its decoder drops — not the head of a code cut off, refused "scan
    again" after every good scan."""
    return (ended_t is not None and first_t is not None and first_t - ended_t <= wait
            and not pending.strip(TRAILING))


def after_cut(cut_at: float | None, first_t: float, wait: float) -> bool:
    """Whether a scan beginning at ``first_t`` is the rest of the scan cut at ``cut_at`` (its
    last item's time): it began within ``wait`` after the cut was declared, i.e. within twice
    ``wait`` of that last item (a fresh scan comes after the officer saw "scan again")."""
    return cut_at is not None and first_t - cut_at <= 2 * wait


class Decoder(Protocol):
    def feed(self, item: InputEvent | Chunk) -> list[Decoded]: ...

    def idle(self, t: float) -> list[Decoded]: ...

    def finish(self) -> list[Decoded]: ...

    def pending(self) -> bytes:
        """What the scan not ended yet holds so far (the watch hides an enrolment code's
        input as soon as it shows)."""
        ...


def pump(items: Iterable[Item], decoder: Decoder, deliver: Callable[[Decoded], object],
         stop: threading.Event) -> None:
    """Feed items to the decoder until the source ends or ``stop`` is set.

    Whatever the decoder still holds at the end is delivered too: a scan half-read when the
    kiosk stops or a capture ends is shown, not silently dropped.
    """
    try:
        for item in items:
            decoded = decoder.idle(item.t) if isinstance(item, Idle) else decoder.feed(item)
            for scan in decoded:
                deliver(scan)
            if stop.is_set():
                break
    finally:
        for scan in decoder.finish():
            deliver(scan)


def to_scan(decoded: Decoded, device_id: str, lane: str, source: str) -> Scan:
    return Scan(payload=decoded.payload, device_id=device_id, lane=lane,
                symbology=decoded.symbology, source=source, cut=decoded.cut,
                sent=decoded.sent, sent_as=decoded.sent_as)
