"""hidraw reports → scans: HID POS scanners and boot keyboards read raw. Pure.

HID POS (Honeywell-style, report id 2; what ``read(/dev/hidrawN)`` returns, report id first)::

    byte 0      report id (0x02)
    byte 1      number of data bytes in this report
    bytes 2–4   AIM symbology identifier, e.g. "]Q1"
    bytes 5…    data (56 bytes in a 64-byte report), zero-padded
    byte -3     the vendor's own code id;  byte -2 reserved
    byte -1     bit 0 set: more reports follow for the same scan

The data bytes are the payload's raw bytes, so UTF-8 survives; a scan longer than one
report is reassembled until a report without the "more" flag.

That flag is the scan's end. A report's time is when the read returned, not when it arrived:
a reader held up (a busy CPU, a slow hand-off) finds the rest of a code waiting in the hidraw
queue and reads it late. So only a quiet scanner the reader saw — an ``Idle`` tick, a read
that found nothing, proof that nothing arrived since the last report — ends after
``idle_gap_ms`` a scan whose last report has not come (flagged incomplete); a late report
never does, or one code would be split into a truncated head and a tail (as in
``serial_framer`` with a terminator). Such a scan, or one left when the device goes away,
is not whole: it is marked ``cut`` and the pipeline refuses it "not read whole — scan
again" (``stream``). Reports come in one burst from the scanner's own buffer, so the wait
stays ``idle_gap_ms`` (no ``stream.CUT_WAIT``, no "tail": a lost last report has none).

Boot keyboard (8 bytes: modifier bits, reserved, up to 6 key usages; a leading report id
byte is dropped when the read is 9 bytes long) is turned into evdev key events by diffing
consecutive reports, then read by the same ``KeyDecoder`` as evdev: Alt+keypad included.
"""

from __future__ import annotations

from kiosk.devices import keycodes as e
from kiosk.devices.keydecoder import KeyDecoder
from kiosk.devices.stream import Chunk, Decoded, InputEvent

POS_REPORT_ID = 2
POS_HEADER = 5
POS_TRAILER = 3


class PosDecoder:
    def __init__(self, idle_gap_ms: int = 100, report_id: int = POS_REPORT_ID) -> None:
        self.gap = idle_gap_ms / 1000
        self.report_id = report_id
        self.parts: list[bytes] = []
        self.symbology = ""
        self.flags: set[str] = set()
        self.first_t = self.last_t = 0.0
        self.max_gap = 0.0
        self.ignored = 0
        """Reports that were not scan data (another report id, too short): for diagnostics."""

    def feed(self, item: InputEvent | Chunk) -> list[Decoded]:
        if not isinstance(item, Chunk):
            raise TypeError(f"PosDecoder takes Chunks, not {type(item).__name__}")
        out: list[Decoded] = []  # a late report is no quiet scanner: see the module's docstring
        report = item.data
        if len(report) < POS_HEADER + POS_TRAILER or report[0] != self.report_id:
            self.ignored += 1
            return out
        room = report[POS_HEADER:len(report) - POS_TRAILER]
        length = report[1]
        if length > len(room):
            self.flags.add("bad_length")
        if self.parts:
            self.max_gap = max(self.max_gap, item.t - self.last_t)
        else:
            self.first_t = item.t
            aim = report[2:POS_HEADER]
            self.symbology = aim.decode("ascii") if aim.startswith(b"]") and aim.isascii() else ""
        self.last_t = item.t
        self.parts.append(room[:length])
        if not report[-1] & 1:
            out += self._end("report")
        return out

    def idle(self, t: float) -> list[Decoded]:
        if self.parts and self.gap and t - self.last_t > self.gap:
            self.flags.add("incomplete")  # "more follows" was set, and nothing followed
            return self._end("gap")
        return []

    def pending(self) -> bytes:
        return b"".join(self.parts)

    def finish(self) -> list[Decoded]:
        if not self.parts:
            return []
        self.flags.add("incomplete")
        return self._end("end")

    def _end(self, ended_by: str) -> list[Decoded]:
        payload = b"".join(self.parts)
        decoded = Decoded(payload=payload, symbology=self.symbology, ended_by=ended_by,
                          first_t=self.first_t, last_t=self.last_t, max_gap=self.max_gap,
                          flags=frozenset(self.flags),
                          cut=ended_by if ended_by in ("gap", "end") else "")
        self.parts, self.symbology, self.flags, self.max_gap = [], "", set(), 0.0
        return [decoded] if payload else []


# HID keyboard usage (page 0x07) → evdev key code, as the kernel's hid-input maps them.
USAGES: dict[int, int] = {
    **{0x04 + i: getattr(e, f"KEY_{c}") for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")},
    **{0x1E + i: getattr(e, f"KEY_{c}") for i, c in enumerate("1234567890")},
    0x28: e.KEY_ENTER, 0x29: e.KEY_ESC, 0x2A: e.KEY_BACKSPACE, 0x2B: e.KEY_TAB,
    0x2C: e.KEY_SPACE, 0x2D: e.KEY_MINUS, 0x2E: e.KEY_EQUAL, 0x2F: e.KEY_LEFTBRACE,
    0x30: e.KEY_RIGHTBRACE, 0x31: e.KEY_BACKSLASH, 0x32: e.KEY_BACKSLASH,
    0x33: e.KEY_SEMICOLON, 0x34: e.KEY_APOSTROPHE, 0x35: e.KEY_GRAVE, 0x36: e.KEY_COMMA,
    0x37: e.KEY_DOT, 0x38: e.KEY_SLASH, 0x39: e.KEY_CAPSLOCK,
    **{0x3A + i: getattr(e, f"KEY_F{i + 1}") for i in range(12)},
    0x46: e.KEY_SYSRQ, 0x47: e.KEY_SCROLLLOCK, 0x48: e.KEY_PAUSE, 0x49: e.KEY_INSERT,
    0x4A: e.KEY_HOME, 0x4B: e.KEY_PAGEUP, 0x4C: e.KEY_DELETE, 0x4D: e.KEY_END,
    0x4E: e.KEY_PAGEDOWN, 0x4F: e.KEY_RIGHT, 0x50: e.KEY_LEFT, 0x51: e.KEY_DOWN,
    0x52: e.KEY_UP, 0x53: e.KEY_NUMLOCK, 0x54: e.KEY_KPSLASH, 0x55: e.KEY_KPASTERISK,
    0x56: e.KEY_KPMINUS, 0x57: e.KEY_KPPLUS, 0x58: e.KEY_KPENTER,
    **{0x59 + i: getattr(e, f"KEY_KP{i + 1}") for i in range(9)},
    0x62: e.KEY_KP0, 0x63: e.KEY_KPDOT, 0x64: e.KEY_102ND, 0x67: e.KEY_KPEQUAL,
    0x85: e.KEY_KPCOMMA,
}
MODIFIER_BITS = (e.KEY_LEFTCTRL, e.KEY_LEFTSHIFT, e.KEY_LEFTALT, e.KEY_LEFTMETA,
                 e.KEY_RIGHTCTRL, e.KEY_RIGHTSHIFT, e.KEY_RIGHTALT, e.KEY_RIGHTMETA)
ROLLOVER = 0x01
"""Usage 'ErrorRollOver': too many keys at once; the report says nothing about keys."""


def report_events(before: bytes, after: bytes, t: float) -> list[InputEvent]:
    """Key events that take a keyboard from report ``before`` to report ``after``.

    Order matters for the decoder: keys released, then modifiers released, then modifiers
    pressed, then keys pressed in report order — so Shift/Alt apply to exactly the keys
    pressed with them, and an Alt release after keypad digits completes an Alt code.
    """
    def usages(report: bytes) -> list[int]:
        return [u for u in report[2:8] if u > ROLLOVER]

    old_keys, new_keys = usages(before), usages(after)
    events: list[InputEvent] = []

    def key(code: int | None, value: int) -> None:
        if code is not None:
            events.append(InputEvent.at(t, e.EV_KEY, code, value))

    for usage in old_keys:
        if usage not in new_keys:
            key(USAGES.get(usage), 0)
    changed = before[0] ^ after[0]
    for bit, code in enumerate(MODIFIER_BITS):
        if changed >> bit & 1 and not after[0] >> bit & 1:
            key(code, 0)
    for bit, code in enumerate(MODIFIER_BITS):
        if changed >> bit & 1 and after[0] >> bit & 1:
            key(code, 1)
    for usage in new_keys:
        if usage not in old_keys:
            key(USAGES.get(usage), 1)
    return events


class BootKeyboardDecoder:
    def __init__(self, keys: KeyDecoder) -> None:
        self.keys = keys
        self.previous = bytes(8)
        self.ignored = 0

    def feed(self, item: InputEvent | Chunk) -> list[Decoded]:
        if not isinstance(item, Chunk):
            raise TypeError(f"BootKeyboardDecoder takes Chunks, not {type(item).__name__}")
        report = item.data[1:] if len(item.data) == 9 else item.data
        if len(report) != 8 or all(u == ROLLOVER for u in report[2:8]):
            self.ignored += 1
            return self.keys.idle(item.t)
        out: list[Decoded] = []
        for event in report_events(self.previous, report, item.t):
            out += self.keys.feed(event)
        self.previous = report
        return out

    def idle(self, t: float) -> list[Decoded]:
        return self.keys.idle(t)

    def finish(self) -> list[Decoded]:
        return self.keys.finish()

    def pending(self) -> bytes:
        return self.keys.pending()
