"""Scanners read from /dev/hidraw*: HID POS mode (raw bytes, UTF-8 survives) or a boot
keyboard read below the input layer (no grab needed: hidraw readers get their own copy).

Each ``read`` of a hidraw node returns exactly one report. The node is found by path or
USB vendor:product[:serial]; hidraw numbers change on re-plug, so ``usb`` is preferred.
Decoding: ``hidreport`` (pure).
"""

from __future__ import annotations

import errno
import os
import select
import threading
import time
from collections.abc import Iterator

from kiosk.devices.discovery import resolve_hidraw
from kiosk.devices.kinds.hidraw import HidrawOptions
from kiosk.devices.shell import READ_TICK, StreamDevice
from kiosk.devices.stream import Chunk, Idle, Item

MAX_REPORT = 4096


class HidrawDevice(StreamDevice):
    options: HidrawOptions
    fd: int | None = None

    def open(self) -> None:
        path = self.locate(resolve_hidraw)
        try:
            self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            raise self.went_away(path) from None
        self.path, self.is_open = path, True

    def items(self, stop: threading.Event) -> Iterator[Item]:
        fd = self.fd
        if fd is None:
            raise self.not_open()
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], READ_TICK)
            now = time.monotonic()
            if not ready:
                yield Idle(now)
                continue
            try:
                report = os.read(fd, MAX_REPORT)
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno in (errno.ENODEV, errno.EIO):
                    raise self.unplugged() from None
                raise
            if not report:  # end of file: the node's writer is gone
                raise self.unplugged()
            yield Chunk(now, report)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
        self.fd, self.is_open = None, False
