"""A terminal progress line for long transfers (``kiosk sync push``, ``kiosk-central import``).

On a TTY: one line redrawn in place (bar, count, rate, ETA) at most ten times a second.
Anywhere else (a log file, a pipe, a CI job): a plain line at every tenth of the way and at
least every ten seconds, so logs stay readable and still show a stalled transfer.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 24
TTY_REDRAW_SECONDS = 0.1
PLAIN_EVERY_SECONDS = 10.0


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    whole = round(seconds)
    if whole >= 2 * 86400:
        return f"{whole // 86400} d {whole % 86400 // 3600} h"
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else \
        f"{rest // 60}:{rest % 60:02d}"


class ProgressBar:
    def __init__(self, label: str, total: int = 0, *, unit: str = "entries",
                 stream: TextIO | None = None) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._drawn = 0.0
        self._tenth = -1
        self._last = (0, total)
        self._shown: tuple[int, int] | None = None

    def update(self, done: int, total: int, *, final: bool = False) -> None:
        now = time.monotonic()
        self._last = (done, total)
        if final and not self.tty and self._shown == self._last:
            return
        tenth = 10 * done // total if total else 10
        if not final:
            if self.tty and now - self._drawn < TTY_REDRAW_SECONDS:
                return
            if not self.tty and tenth == self._tenth and now - self._drawn < PLAIN_EVERY_SECONDS:
                return
        self._drawn, self._tenth, self._shown = now, tenth, (done, total)
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 and total >= done else None
        share = done / total if total else 1.0
        counts = f"{done:,}/{total:,} {self.unit}  {rate:,.0f}/s  ETA {format_duration(eta)}"
        if self.tty:
            filled = int(BAR_WIDTH * share)
            bar = "█" * filled + "░" * (BAR_WIDTH - filled)
            self.stream.write(f"\r{self.label} {share:4.0%} {bar} {counts}\x1b[K")
        else:
            self.stream.write(f"{self.label}: {share:.0%} {counts}\n")
        self.stream.flush()

    def finish(self) -> None:
        """Draw the final state and end the line."""
        self.update(*self._last, final=True)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
