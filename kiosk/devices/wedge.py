"""Keyboard-wedge timing: tell a scanner's burst of keys from a person typing. Pure.

A scanner in keyboard mode that is not read through evdev (no permission, another OS
layer) types into the focused window; the Qt window feeds each key press here::

    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    payloads = detector.feed("A", t)        # a character typed (Qt's event.text())
    payloads = detector.feed("enter", t)    # or a key name: "enter"/"return"/"tab"
                                            # ("\\r", "\\n", "\\t" are the same keys)
    payloads = detector.flush(t)            # call on a timer: ends terminator-less bursts
    keys = detector.take_typed()            # keys judged human typing, to pass on

``t`` is in seconds (the key event's timestamp). A burst is a run of keys each at most
``max_gap_ms`` after the previous one. A burst becomes a payload (UTF-8 bytes, terminator
not included) when it has at least ``min_length`` characters and ends with the terminator
key — or, with ``terminator="none"``, when the keys stop for longer than ``max_gap_ms``.
Anything else (slow keys, short bursts) is a person: those keys are kept, in order, for
``take_typed()`` so the window can deliver them where the person meant them to go.
"""

from __future__ import annotations

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
        self._burst: list[str] = []
        self._last_t: float | None = None
        self._typed: list[str] = []

    def feed(self, key: str, t: float) -> list[bytes]:
        """One key press; returns the payloads this key completed (usually none or one)."""
        out = self.flush(t)
        name = key.lower() if len(key) > 1 else key
        self._last_t = t
        if name in self.terminator_keys:
            text = self._text()
            if len(text) >= self.min_length:
                out.append(text.encode("utf-8"))
                self._burst = []
            else:
                self._typed.extend([*self._burst, key])
                self._burst = []
            return out
        self._burst.append(key)
        return out

    def flush(self, t: float) -> list[bytes]:
        """End the burst if no key came for longer than the gap (call it on a timer)."""
        if not self._burst or self._last_t is None or t - self._last_t <= self.max_gap:
            return []
        text = self._text()
        burst, self._burst = self._burst, []
        if not self.terminator_keys and len(text) >= self.min_length:
            return [text.encode("utf-8")]
        self._typed.extend(burst)
        return []

    def pending(self) -> bytes:
        """What the burst not ended yet holds so far."""
        return self._text().encode("utf-8")

    def take_typed(self) -> list[str]:
        """Keys judged to be a person typing, in order, since the last call."""
        typed, self._typed = self._typed, []
        return typed

    def _text(self) -> str:
        return "".join("\r" if k.lower() in ENTER_KEYS else "\t" if k.lower() in TAB_KEYS else k
                       for k in self._burst)
