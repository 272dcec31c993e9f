"""Key events → scans, for scanners in USB keyboard mode (evdev, or boot-keyboard hidraw).

Pure: feed it evdev events (``InputEvent``), get ``Decoded`` scans back. One instance per
device, so two scanners never share Shift/Alt/CapsLock state. What it understands:

- the scanner's own layout (``keymaps``), Shift, CapsLock (letters only), AltGr, dead keys;
- keypad keys as characters whatever the NumLock state: a scanner never means the cursor
  keys, and under an exclusive grab the LED state it toggles against is unknown;
- Alt + keypad decimal codes, combined on Alt release as Windows does: a leading 0 means the
  ANSI code page (``ansi_codepage``, cp1252 or cp1258; above 255, a Unicode code point),
  no leading 0 the OEM code page cp437;
- Ctrl + letter (and ``@[\\]^_``) as control characters, e.g. Ctrl+] = GS for GS1 codes;
- key repeat (value 2) ignored; a scan ends on the terminator key (Enter or Tab), or with
  terminator "none" when the gap between keys exceeds ``idle_gap_ms``. With a terminator key
  configured, a scan is whole only when that key comes: keys stalling mid-code are joined
  for up to ``stream.CUT_WAIT`` (0.45 s, or ``idle_gap_ms`` if longer); past it, or when the
  device goes away mid-code, the scan ends marked ``cut`` ("gap", "end"), as does one that
  begins right after such a cut ("tail"): the pipeline refuses it "not read whole — scan
  again" (the same rule as ``serial_framer``; a scanner whose Enter never comes has every
  scan refused, naming the setting, and ``kiosk devices watch`` advises it);
- ``hex_mode``: the scanner types the payload as hex digits, decoded back to exact bytes —
  the one way raw UTF-8 survives keyboard mode;
- an AIM symbology id the scanner types first (``]Q1``) is removed and recorded as the
  symbology (``stream.split_aim``, as serial's ``strip_aim``).
"""

from __future__ import annotations

import unicodedata

from kiosk.devices import keycodes as e
from kiosk.devices.keymaps import COMBINING, KEYPAD_DIGITS, layout
from kiosk.devices.stream import (
    CUT_WAIT,
    Chunk,
    Decoded,
    InputEvent,
    after_cut,
    split_aim,
    trailing_junk,
)

TERMINATOR_KEYS = {
    "enter": frozenset({e.KEY_ENTER, e.KEY_KPENTER}),
    "tab": frozenset({e.KEY_TAB}),
    "none": frozenset(),
}
SHIFT = frozenset({e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT})
CTRL = frozenset({e.KEY_LEFTCTRL, e.KEY_RIGHTCTRL})
META = frozenset({e.KEY_LEFTMETA, e.KEY_RIGHTMETA})
LOCKS = frozenset({e.KEY_CAPSLOCK, e.KEY_NUMLOCK, e.KEY_SCROLLLOCK})
TEXT_KEYS = {e.KEY_ENTER: "\r", e.KEY_KPENTER: "\r", e.KEY_TAB: "\t"}
MAX_CHARS = 7089 * 4
"""A 'scan' longer than this is a stuck key or a person leaning on the keyboard."""


class KeyDecoder:
    def __init__(self, layout_name: str = "us", terminator: str = "enter",
                 idle_gap_ms: int = 100, ansi_codepage: str = "cp1252",
                 hex_mode: bool = False) -> None:
        if terminator not in TERMINATOR_KEYS:
            raise ValueError(f"terminator must be enter, tab or none, not {terminator!r}")
        self.layout = layout(layout_name)
        self.terminators = TERMINATOR_KEYS[terminator]
        self.gap = idle_gap_ms / 1000
        self.cut_wait = max(CUT_WAIT, self.gap) if self.terminators else self.gap
        """Quiet keys before a scan ends: its terminator key may yet come (see above)."""
        self.cut_at: float | None = None
        """The last key's time of the scan just cut by the gap (the next may be its tail)."""
        self.tail = False
        self.ended_t: float | None = None
        """The last key's time of the scan its terminator key just ended, else None."""
        self.ansi_codepage = ansi_codepage
        self.hex_mode = hex_mode
        self.alt_keys = {e.KEY_LEFTALT} if self.layout.has_altgr else {
            e.KEY_LEFTALT, e.KEY_RIGHTALT}
        self.held: set[int] = set()
        self.capslock = False
        self._reset()

    def _reset(self) -> None:
        self.chars: list[str] = []
        self.alt_digits = ""
        self.dead_key: str | None = None
        self.flags: set[str] = set()
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.last_press: float | None = None
        self.max_gap = 0.0

    # -- the decoder protocol ------------------------------------------------------------
    def feed(self, item: InputEvent | Chunk) -> list[Decoded]:
        if not isinstance(item, InputEvent):
            raise TypeError(f"KeyDecoder takes InputEvents, not {type(item).__name__}")
        event = item
        if event.type == e.EV_SYN and event.code == e.SYN_DROPPED:
            self.flags.add("events_dropped")  # the kernel lost events: key state is unknown
            self.held.clear()
            return []
        if event.type == e.EV_LED and event.code == e.LED_CAPSL:
            self.capslock = bool(event.value)
            return []
        if event.type != e.EV_KEY:
            return []
        if event.value == 2:
            self.flags.add("repeat")
            return []
        out = self.idle(event.t)
        if event.value == 0:
            self._release(event.code)
        else:
            out += self._press(event.code, event.t)
        if self._pending():
            self.last_t = event.t
        return out

    def idle(self, t: float) -> list[Decoded]:
        if (self._pending() and self.gap and self.last_t is not None
                and t - self.last_t > self.cut_wait):
            if self._trailing():
                return []
            last_t = self.last_t
            out = self._end("gap")
            if self.terminators:
                self.cut_at = last_t
            return out
        return []

    def finish(self) -> list[Decoded]:
        return self._end("end") if self._pending() and not self._trailing() else []

    def _trailing(self) -> bool:
        """Drop what the scanner typed after the last terminator key (``stream.trailing_junk``:
        Ctrl+J, the LF of a CR+LF suffix); True if it did."""
        if self.alt_digits or self.dead_key or not trailing_junk(
                "".join(self.chars).encode(), self.first_t, self.ended_t, self.cut_wait):
            return False
        self.tail = False
        self._reset()
        return True

    def pending(self) -> bytes:
        return "".join(self.chars).encode("utf-8", "replace")

    # -- keys ------------------------------------------------------------------------------
    def _pending(self) -> bool:
        return bool(self.chars or self.alt_digits or self.dead_key)

    def _release(self, code: int) -> None:
        self.held.discard(code)
        if code in self.alt_keys and not self.held & self.alt_keys and self.alt_digits:
            self._append(self._alt_char(self.alt_digits))
            self.alt_digits = ""
            self.flags.add("alt_codes")

    def _press(self, code: int, t: float) -> list[Decoded]:
        if self.last_press is not None and self._pending():
            self.max_gap = max(self.max_gap, t - self.last_press)
        self.last_press = t
        if self.first_t is None or not self._pending():
            if not self._pending() and self.cut_at is not None:  # the next scan's first key,
                # a modifier (Shift for a capital, Alt for an Alt code) as well: decided once
                self.tail = after_cut(self.cut_at, t, self.cut_wait)
                self.cut_at = None
            self.first_t = t
        if code in SHIFT | CTRL | META | self.alt_keys or code == e.KEY_RIGHTALT:
            self.held.add(code)
            return []
        if code in LOCKS:
            if code == e.KEY_CAPSLOCK:
                self.capslock = not self.capslock
                self.flags.add("capslock")
            return []
        if self.held & self.alt_keys:
            if code in KEYPAD_DIGITS:
                self.alt_digits += KEYPAD_DIGITS[code]
            else:
                self.flags.add("alt_shortcut_ignored")  # Alt+key types nothing
            return []
        if code in self.terminators and not self.held & CTRL:
            return self._end("terminator") if self._pending() else []
        if code in TEXT_KEYS:
            self._append(TEXT_KEYS[code])
            return []
        shift = bool(self.held & SHIFT)
        altgr = e.KEY_RIGHTALT in self.held and self.layout.has_altgr
        char, dead = self.layout.char(code, shift, altgr)
        if char is None:
            self.flags.add("unmapped_keys")
            return []
        if code in KEYPAD_DIGITS:
            self.flags.add("keypad_digits")
        elif self.capslock and len(char) == 1 and char.isalpha() and not altgr:
            plain, _ = self.layout.char(code, False, False)
            if plain and plain.upper() == self.layout.char(code, True, False)[0]:
                char = char.lower() if shift else char.upper()  # a letter key: swap its case
        if self.held & CTRL:
            control = _control_char(char)
            if control is None:
                self.flags.add("ctrl_shortcut_ignored")
            else:
                self.chars.append(control)
                self.flags.add("ctrl_chars")
            return []
        if dead:
            if self.dead_key is not None:
                self.chars.append(self.dead_key)
            self.dead_key = char
            self.flags.add("dead_keys")
            return []
        self._append(char)
        return self._overflow()

    def _append(self, char: str) -> None:
        if self.dead_key is not None:
            char = _compose(self.dead_key, char)
            self.dead_key = None
        self.chars.append(char)

    def _overflow(self) -> list[Decoded]:
        return self._end("overflow") if len(self.chars) > MAX_CHARS else []

    def _alt_char(self, digits: str) -> str:
        value = int(digits)
        if digits.startswith("0"):
            if value > 255:
                return chr(value) if value <= 0x10FFFF else "\ufffd"
            try:
                return bytes([value]).decode(self.ansi_codepage)
            except UnicodeDecodeError:
                return chr(value)  # Windows maps undefined ANSI bytes to the C1 control
        return bytes([value % 256]).decode("cp437")

    def _end(self, ended_by: str) -> list[Decoded]:
        if self.alt_digits:  # Alt never released (a lost event): keep the code typed so far
            self._append(self._alt_char(self.alt_digits))
            self.flags.add("alt_codes")
        if self.dead_key is not None:
            self.chars.append(self.dead_key)
        text = "".join(self.chars)
        flags = set(self.flags)
        if self.hex_mode:
            compact = "".join(text.split())
            try:
                payload = bytes.fromhex(compact)
                flags.add("hex")
            except ValueError:
                payload = text.encode("utf-8")
                flags.add("bad_hex")
        else:
            payload = unicodedata.normalize("NFC", text).encode("utf-8")
        symbology, payload = split_aim(payload)
        cut = ended_by if self.terminators and ended_by in ("gap", "end") else ""
        decoded = Decoded(payload=payload, symbology=symbology, ended_by=ended_by,
                          first_t=self.first_t or 0.0,
                          last_t=self.last_t or self.first_t or 0.0, max_gap=self.max_gap,
                          flags=frozenset(flags), cut=cut or ("tail" if self.tail else ""))
        self.tail = False
        self.ended_t = decoded.last_t if ended_by == "terminator" else None
        self._reset()
        return [decoded] if payload else []


def _control_char(char: str) -> str | None:
    upper = char.upper()
    if len(upper) == 1 and "@" <= upper <= "_":
        return chr(ord(upper) - 64)
    return None


def _compose(accent: str, char: str) -> str:
    if char == " ":
        return accent
    combined = unicodedata.normalize("NFC", char + COMBINING.get(accent, ""))
    return combined if len(combined) == 1 else accent + char
