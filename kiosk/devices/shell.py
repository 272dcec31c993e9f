"""The thin I/O shell every real scanner shares: find, open, read raw items, decode, emit.

A subclass says how to ``open`` its node (``locate`` finds it and checks access first), how
to read ``items`` (raw data plus ``Idle`` ticks, so gaps can end scans) and how to
``close``; decoding is the pure decoder for its settings, checked when the device is built
so a bad setting is an error at once, not at the first scan. ``consume`` runs any item
source — live, or a recording in a test — through the exact path the field uses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kiosk.devices.access import access_words
from kiosk.devices.base import DeviceError, DeviceMissing, Emit
from kiosk.devices.decoders import build_decoder
from kiosk.devices.stream import Decoded, Item, pump, to_scan
from kiosk.devices.sysfs import SYSTEM, Roots
from kiosk.messages import Words

READ_TICK = 0.02
"""Longest a read waits before an Idle tick: the resolution of gap detection and stop."""


class StreamDevice:
    def __init__(self, options: Any, roots: Roots = SYSTEM) -> None:
        self.options = options
        self.id: str = options.id
        self.lane: str = options.lane
        self.kind: str = options.type
        """Config type and Scan.source: "serial", "evdev", "hidraw"."""
        self.roots = roots
        self.path = ""
        """The node actually opened (after resolving by-id / usb / name)."""
        self.is_open = False
        try:
            build_decoder(options)
        except ValueError as exc:
            raise DeviceError("device.named", device=self.id, reason=str(exc)) from None

    def locate(self, resolve: Callable[[Any, Roots], str], *, write: bool = False) -> str:
        """The node to open today, once this account may open it."""
        path = resolve(self.options, self.roots)
        problem = access_words(path, write=write)
        if problem is not None:
            raise DeviceError(problem.code, **problem.params)
        return path

    def went_away(self, path: str) -> DeviceMissing:
        return DeviceMissing("device.went_away", path=path)

    def unplugged(self) -> DeviceMissing:
        return DeviceMissing("device.unplugged", path=self.path)

    def not_open(self) -> DeviceError:
        return DeviceError("device.named", device=self.id,
                           reason=Words("device.read_before_open"))

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

        pump(items, build_decoder(self.options), deliver, stop)
