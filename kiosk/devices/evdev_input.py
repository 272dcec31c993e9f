"""Scanners in USB keyboard mode, read from /dev/input with python-evdev.

The node is found by path (``/dev/input/by-id/…`` survives re-plugging), USB
vendor:product[:serial] or a name pattern, and grabbed exclusively by default so the
scanner's keystrokes do not also land in whatever window has focus. Events are read with
``select`` + ``read`` rather than ``read_loop`` so the reader wakes up to end a scan on an
inter-key gap and to notice ``stop``. Decoding: ``keydecoder.KeyDecoder`` (pure).
"""

from __future__ import annotations

import errno
import select
import threading
import time
from collections.abc import Iterator
from typing import Any

import evdev

from kiosk.devices.base import DeviceError
from kiosk.devices.discovery import resolve_input
from kiosk.devices.kinds.evdev import EvdevOptions
from kiosk.devices.shell import READ_TICK, StreamDevice
from kiosk.devices.stream import Idle, InputEvent, Item


class EvdevDevice(StreamDevice):
    options: EvdevOptions
    device: Any = None

    def open(self) -> None:
        path = self.locate(resolve_input)
        try:
            device = evdev.InputDevice(path)
        except FileNotFoundError:
            raise self.went_away(path) from None
        if self.options.grab:
            try:
                device.grab()
            except OSError as exc:
                device.close()
                if exc.errno == errno.EBUSY:
                    raise DeviceError("device.grabbed", path=path) from None
                raise
        self.device, self.path, self.is_open = device, path, True

    def items(self, stop: threading.Event) -> Iterator[Item]:
        device = self.device
        if device is None:
            raise self.not_open()
        while not stop.is_set():
            ready, _, _ = select.select([device.fd], [], [], READ_TICK)
            if not ready:
                yield Idle(time.time())  # evdev stamps events with the wall clock
                continue
            try:
                events = list(device.read())
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.ENODEV:
                    raise self.unplugged() from None
                raise
            for event in events:
                yield InputEvent(event.sec, event.usec, event.type, event.code, event.value)

    def close(self) -> None:
        if self.device is not None:
            try:
                if self.options.grab:
                    self.device.ungrab()
            except OSError:
                pass  # unplugged: the grab went with the device
            self.device.close()
        self.device, self.is_open = None, False
