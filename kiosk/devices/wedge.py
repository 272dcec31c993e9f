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
``HOLD_MIN`` (8, or ``min_length`` if more) characters that stops without it is held, not
typed, for up to ``stream.CUT_WAIT`` (0.45 s, or ``max_gap_ms`` if longer): the rest joins it
into its one code if it comes at a scanner's pace — its first key up to the wait after the
stall, the next within ``max_gap_ms``. Past the wait the held burst ends marked ``cut``
("gap"); so it does at once when the keys after the stall come at a person's pace (those
keys are the person's: typed, not joined). A burst ending with the terminator that begins
within the wait after such a cut is the rest of the stalled code ("tail", however short),
and a lone terminator there is swallowed (no scan: the head's one "scan again" is the
officer's answer) — the scanner's Enter must not submit the form in the focus. The pipeline
refuses cut scans "not read whole — scan again"; none is typed into a field, where the head
once went as a person's keys and the tail was recorded as a code of its own.

A shorter burst (``min_length`` keys, fewer than ``HOLD_MIN``) stopping without its
terminator is a person's typing, passed on after ``max_gap_ms`` as always. Residual: a
scanner stalling within a code's first ``HOLD_MIN - 1`` keys has those keys typed into the
focus as a person's and the rest read as a code: a CCCD missing its first digits is refused
(its id is not 12 digits), a PC-Covid code missing some of its leading ``*`` is still read
as PC-Covid, free text missing its head is recorded as "other".
"""

from __future__ import annotations

from kiosk.devices.stream import CUT_WAIT, Decoded, after_cut, split_aim

ENTER_KEYS = frozenset({"enter", "return", "\r", "\n"})
TAB_KEYS = frozenset({"tab", "\t"})
TERMINATORS = {"enter": ENTER_KEYS, "tab": TAB_KEYS, "none": frozenset()}
HOLD_MIN = 8
"""Fewest keys at a scanner's pace held for a terminator that has not come. A person's
rollover reaches 3–4 keys under ``max_gap_ms``, never 8 (held, a fast typist's word was cut
and refused); every QR code the kiosk reads is longer. So a held burst is a scanner's, and
ending it unfinished (Backspace, the screen closing) rightly cuts it."""


class WedgeDetector:
    def __init__(self, max_gap_ms: int = 50, min_length: int = 4,
                 terminator: str = "enter") -> None:
        if terminator not in TERMINATORS:
            raise ValueError(f"terminator must be enter, tab or none, not {terminator!r}")
        if max_gap_ms <= 0 or min_length <= 0:
            raise ValueError("max_gap_ms and min_length must be positive")
        self.max_gap = max_gap_ms / 1000
        self.min_length = min_length
        self.hold_min = max(min_length, HOLD_MIN)
        self.terminator_keys = TERMINATORS[terminator]
        self.cut_wait = max(CUT_WAIT, self.max_gap) if self.terminator_keys else self.max_gap
        """Quiet keys before a held burst ends: its terminator may yet come."""
        self._burst: list[str] = []
        self._first_t = 0.0
        self._last_t: float | None = None
        self._stalled_at: float | None = None
        """The held head's last key time when the burst's last key came after its stall: the
        rest joins only if the next key follows at a scanner's pace."""
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
        elif self._last_t is not None and t - self._last_t > self.max_gap:
            self._stalled_at = self._last_t  # a held burst's rest, if the next key follows
        else:
            self._stalled_at = None
        self._last_t = t
        if name in self.terminator_keys:
            text = self._text()
            if len(text) >= self.min_length or (self._tail and text):
                out.append(self._end(text, "terminator"))
            elif self._tail:  # the stalled code's own Enter: "scan again" is on the card
                self._tail = False
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
        if self._stalled_at is not None:  # the key after the stall was a person's: theirs
            person = self._burst.pop()
            self._last_t = self._stalled_at
            out = [self._end(self._text(), "gap")]
            self._typed.append(person)
            return out
        text = self._text()
        if not self.terminator_keys and len(text) >= self.min_length:
            return [self._end(text, "gap")]
        if self.terminator_keys and len(text) >= self.hold_min:
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
        symbology, payload = split_aim(text.encode("utf-8"))
        decoded = Decoded(payload=payload, symbology=symbology, ended_by=ended_by,
                          first_t=self._first_t, last_t=self._last_t or self._first_t,
                          cut=cut or ("tail" if self._tail else ""))
        self._burst = []
        self._stalled_at = None
        self._tail = False
        return decoded

    def _text(self) -> str:
        return "".join("\r" if k.lower() in ENTER_KEYS else "\t" if k.lower() in TAB_KEYS else k
                       for k in self._burst)
