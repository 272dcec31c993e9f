"""The thin I/O shell every real scanner shares: open, read raw items, decode, emit.

A subclass says how to ``open`` its node, how to read ``items`` (raw data plus ``Idle``
ticks, so gaps can end scans) and how to ``close``; decoding is the pure decoder for its
settings. ``consume`` runs any item source — live, or a recording in a test — through the
exact path the field uses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from kiosk.devices.base import Emit
from kiosk.devices.decoders import build_decoder
from kiosk.devices.stream import Decoded, Item, pump, to_scan

READ_TICK = 0.02
"""Longest a read waits before an Idle tick: the resolution of gap detection and stop."""


class StreamDevice:
    kind = ""
    """Config type and Scan.source: "serial", "evdev", "hidraw"."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.id: str = options["id"]
        self.lane: str = options.get("lane", "toggle")
        self.path = ""
        """The node actually opened (after resolving by-id / usb / name)."""
        self.is_open = False

    def open(self) -> None:
        raise NotImplementedError

    def items(self, stop: threading.Event) -> Iterator[Item]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def run(self, emit: Emit, stop: threading.Event) -> None:
        if not self.is_open:
            self.open()
        try:
            self.consume(self.items(stop), emit, stop)
        finally:
            self.close()

    def consume(self, items: Iterable[Item], emit: Emit, stop: threading.Event) -> None:
        def deliver(decoded: Decoded) -> None:
            emit(to_scan(decoded, self.id, self.lane, self.kind))

        pump(items, build_decoder(self.kind, self.options), deliver, stop)
