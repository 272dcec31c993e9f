"""Keyboard-wedge timing: tell a scanner's burst of keys from a person typing. Pure.

A scanner in keyboard mode that is not read through evdev (no permission, another OS
layer) types into the focused window; the Qt window feeds each key press here::

    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    scans = detector.feed("A", t)           # a character typed (Qt's event.text())
    scans = detector.feed("enter", t)       # or a key name: "enter"/"return"/"tab"
                                            # ("\\r", "\\n", "\\t" are the same keys)
    scans = detector.flush(t)               # call on a timer: ends bursts that stopped
    keys = detector.take_typed()            # keys judged human typing, to pass on

``t`` is in seconds (the key event's timestamp). A burst is a run of keys each at most
``max_gap_ms`` after the previous one. A burst becomes a scan (``stream.Decoded``: UTF-8
bytes, terminator not included) when it has at least ``min_length`` characters and ends
with the terminator key — or, with ``terminator="none"``, when the keys stop for longer than
``max_gap_ms``. Anything else (slow keys, short bursts) is a person: those keys are kept, in
order, for ``take_typed()`` so the window can deliver them where the person meant them to go.

With a terminator configured, a scan is whole only when its terminator comes — the rule of
the other keyboard and serial decoders (``kiosk.devices.stream``). A burst of at least
``min_length`` characters that stops without it is held, not typed, for up to
``stream.CUT_WAIT`` (0.45 s, or ``max_gap_ms`` if longer): the rest arriving meanwhile joins
it into its one code. Past the wait it ends marked ``cut`` ("gap"), and so does a burst
ending with the terminator that begins within that wait after such a cut ("tail": the rest of
the stalled code, however short). The pipeline refuses both "not read whole — scan again";
neither is typed into a field, where the head once went as a person's keys and the tail was
recorded as a code of its own. A person's keys are never held that long: only a burst of
``min_length`` keys at a scanner's pace is, and a person types slower.
"""

from __future__ import annotations

from kiosk.devices.stream import CUT_WAIT, Decoded, after_cut

ENTER_KEYS = frozenset({"enter", "return", "\r", "\n"})
TAB_KEYS = frozenset({"tab", "\t"})
TERMINATORS = {"enter": ENTER_KEYS, "tab": TAB_KEYS, "none": frozenset()}


class WedgeDetector:
    def __init__(self, max_gap_ms: int = 50, min_length: int = 4,
                 terminator: str = "enter") -> None:
        if terminator not in TERMINATORS:
            raise ValueError(f"terminator must be enter, tab or none, not {terminator!r}")
        if max_gap_ms <= 0 or min_length <= 0:
            raise ValueError("max_gap_ms and min_length must be positive")
        self.max_gap = max_gap_ms / 1000
        self.min_length = min_length
        self.terminator_keys = TERMINATORS[terminator]
        self.cut_wait = max(CUT_WAIT, self.max_gap) if self.terminator_keys else self.max_gap
        """Quiet keys before a scanner's burst ends: its terminator may yet come."""
        self._burst: list[str] = []
        self._first_t = 0.0
        self._last_t: float | None = None
        self._cut_at: float | None = None
        """The last key's time of the burst just cut (the next burst may be its tail)."""
        self._tail = False
        """The burst being read began right after a cut: the rest of that code."""
        self._typed: list[str] = []

    def feed(self, key: str, t: float) -> list[Decoded]:
        """One key press; returns the scans this key completed (usually none or one)."""
        out = self.flush(t)
        name = key.lower() if len(key) > 1 else key
        if not self._burst:  # a burst's first key, the terminator too: decided once
            self._tail = after_cut(self._cut_at, t, self.cut_wait)
            self._cut_at = None
            self._first_t = t
        self._last_t = t
        if name in self.terminator_keys:
            text = self._text()
            if len(text) >= self.min_length or (self._tail and text):
                out.append(self._end(text, "terminator"))
            else:
                self._typed.extend([*self._burst, key])
                self._burst = []
            return out
        self._burst.append(key)
        return out

    def flush(self, t: float) -> list[Decoded]:
        """End the burst if no key came for longer than the gap — or, for a scanner's burst
        still awaiting its terminator, the cut wait (call it on a timer)."""
        if not self._burst or self._last_t is None or t - self._last_t <= self.max_gap:
            return []
        text = self._text()
        if len(text) >= self.min_length:
            if not self.terminator_keys:
                return [self._end(text, "gap")]
            if t - self._last_t <= self.cut_wait:
                return []  # held: the rest of the code may yet come
            cut_at = self._last_t
            out = [self._end(text, "gap")]
            self._cut_at = cut_at
            return out
        self._typed.extend(self._burst)
        self._burst = []
        return []

    def pending(self) -> bytes:
        """What the burst not ended yet holds so far."""
        return self._text().encode("utf-8")

    def take_typed(self) -> list[str]:
        """Keys judged to be a person typing, in order, since the last call."""
        typed, self._typed = self._typed, []
        return typed

    def _end(self, text: str, ended_by: str) -> Decoded:
        cut = "gap" if self.terminator_keys and ended_by == "gap" else ""
        decoded = Decoded(payload=text.encode("utf-8"), ended_by=ended_by,
                          first_t=self._first_t, last_t=self._last_t or self._first_t,
                          cut=cut or ("tail" if self._tail else ""))
        self._burst = []
        self._tail = False
        return decoded

    def _text(self) -> str:
        return "".join("\r" if k.lower() in ENTER_KEYS else "\t" if k.lower() in TAB_KEYS else k
                       for k in self._burst)
