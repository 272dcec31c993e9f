"""What every device is to the supervisor: something that turns hardware into Scans.

A device's ``run`` blocks, calling ``emit`` for each scan, until ``stop`` is set (return) or
the hardware fails (raise DeviceError / OSError: the supervisor reconnects with backoff).
Returning while ``stop`` is not set means the source is exhausted (a replay file's end).

A device may also have ``open()``: the supervisor calls it first, and reports the device
"connected" only once it returned. ``DeviceMissing`` from either means "not plugged in (yet)":
the device is shown as waiting, and looked for again every second or so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.messages import WordedError
from kiosk.scan import Scan

Emit = Callable[[Scan], Any]


class DeviceError(WordedError, RuntimeError):
    """A device problem phrased for a technician: what failed and how to fix it, as a
    catalogue code and its parameters, so that a sentence around it (the supervisor's log
    line, a status) words it in its own language."""


class DeviceMissing(DeviceError):
    """The device is not there (unplugged, not yet enumerated): wait for it, not an error."""


class Device(Protocol):
    id: str

    def run(self, emit: Emit, stop: threading.Event) -> None: ...
