"""Serial scanners (RS-232, or USB virtual COM ``/dev/ttyACM*``/``/dev/ttyUSB*``), via pyserial.

The port is found again at every connect — by path, by-id link, or USB vendor:product
[:serial] — so a scanner re-plugged as ``ttyACM1`` instead of ``ttyACM0`` is picked up. The
port is locked (flock) so the kiosk and a technician's ``kiosk devices watch`` cannot both
read it and each get half the bytes. Framing and text handling: ``serial_framer``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import serial

from kiosk.devices.base import DeviceError, DeviceMissing
from kiosk.devices.discovery import resolve_serial
from kiosk.devices.kinds.serial import SerialOptions
from kiosk.devices.shell import READ_TICK, StreamDevice
from kiosk.devices.stream import Chunk, Idle, Item
from kiosk.messages import os_words

log = logging.getLogger(__name__)

FLOW = {"none": {}, "rtscts": {"rtscts": True}, "xonxoff": {"xonxoff": True},
        "dsrdtr": {"dsrdtr": True}}


class SerialDevice(StreamDevice):
    options: SerialOptions
    port: serial.Serial | None = None

    def settings(self) -> dict[str, Any]:
        o = self.options
        return {"baudrate": o.baudrate, "bytesize": o.bytesize, "parity": o.parity,
                "stopbits": int(o.stopbits) if o.stopbits in (1.0, 2.0) else o.stopbits,
                **FLOW[o.flow_control]}

    def open(self) -> None:
        path = self.locate(resolve_serial, write=True)
        try:
            self.port = serial.Serial(path, timeout=READ_TICK, exclusive=True, **self.settings())
        except serial.SerialException as exc:
            code = getattr(exc, "errno", None)
            if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
                raise self.went_away(path) from None
            if code in (errno.EWOULDBLOCK, errno.EBUSY):
                raise DeviceError("device.in_use", path=path) from None
            if code:
                raise DeviceError("device.cannot_open", path=path,
                                  reason=os_words(exc)) from None
            raise DeviceError("device.os_failed", path=path,  # pyserial's own words
                              reason=str(exc)) from None
        self.path = path
        self.is_open = True

    def items(self, stop: threading.Event) -> Iterator[Item]:
        port = self.port
        if port is None:
            raise self.not_open()
        while not stop.is_set():
            try:
                data = port.read(1)  # waits up to READ_TICK for the first byte…
                if data and port.in_waiting:
                    data += port.read(port.in_waiting)  # …then takes everything there
            except (serial.SerialException, OSError) as exc:
                log.info("%s: %s", self.path, exc)  # pyserial's English: -v only
                raise DeviceMissing("device.lost", path=self.path) from None
            now = time.monotonic()
            yield Chunk(now, data) if data else Idle(now)

    def close(self) -> None:
        if self.port is not None:
            with contextlib.suppress(serial.SerialException, OSError):  # already gone
                self.port.close()
        self.port = None
        self.is_open = False
