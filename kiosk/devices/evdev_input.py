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

from kiosk.devices.access import access_problem
from kiosk.devices.base import DeviceError, DeviceMissing, say
from kiosk.devices.decoders import build_decoder
from kiosk.devices.discovery import resolve_input
from kiosk.devices.shell import READ_TICK, StreamDevice
from kiosk.devices.stream import Idle, InputEvent, Item
from kiosk.devices.sysfs import SYSTEM, Roots


class EvdevDevice(StreamDevice):
    kind = "evdev"

    def __init__(self, options: dict[str, Any], roots: Roots = SYSTEM) -> None:
        super().__init__(options)
        self.roots = roots
        self.device: Any = None
        try:
            build_decoder(self.kind, options)
        except ValueError as exc:
            raise DeviceError(f"device {self.id}: {exc}") from None

    def open(self) -> None:
        import evdev

        path = resolve_input(self.options, self.roots)
        problem = access_problem(path)
        if problem:
            raise DeviceError(problem)
        try:
            device = evdev.InputDevice(path)
        except FileNotFoundError:
            raise DeviceMissing(say(f"{path} vừa bị rút ra", f"{path} went away")) from None
        if self.options.get("grab", True):
            try:
                device.grab()
            except OSError as exc:
                device.close()
                if exc.errno == errno.EBUSY:
                    raise DeviceError(say(
                        f"{path} đang bị chương trình khác giữ độc quyền (kiosk đang chạy?)",
                        f"{path} is grabbed by another program (is the kiosk running?)"),
                    ) from None
                raise
        self.device, self.path, self.is_open = device, path, True

    def items(self, stop: threading.Event) -> Iterator[Item]:
        device = self.device
        if device is None:
            raise DeviceError(f"device {self.id}: read before open")
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
                    raise DeviceMissing(say(f"{self.path} đã bị rút ra",
                                            f"{self.path} was unplugged")) from None
                raise
            for event in events:
                yield InputEvent(event.sec, event.usec, event.type, event.code, event.value)

    def close(self) -> None:
        if self.device is not None:
            try:
                if self.options.get("grab", True):
                    self.device.ungrab()
            except OSError:
                pass  # unplugged: the grab went with the device
            self.device.close()
        self.device, self.is_open = None, False
