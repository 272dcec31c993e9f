"""Runs every configured device in its own thread, keeps its status, reconnects with backoff.

A device that raises (unplugged, ENODEV, permission) is reported as ``error`` with the reason
and retried after a growing delay; one that returns by itself is ``finished`` (a replay file
ran out). Status changes are pushed to listeners (the screens) and kept for ``status()``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kiosk.devices import WINDOW_FED, build_device
from kiosk.devices.base import Device, DeviceError, Emit
from kiosk.scan import Scan

log = logging.getLogger(__name__)

CONNECTED, WAITING, ERROR = "connected", "waiting", "error"
FINISHED, STOPPED = "finished", "stopped"


@dataclass(frozen=True)
class DeviceStatus:
    device_id: str
    kind: str
    lane: str
    state: str = WAITING
    reason: str = ""
    last_seen: float | None = None
    scans: int = 0


HEALTHY_SECONDS = 30.0
StatusListener = Callable[[DeviceStatus], None]


class Supervisor:
    def __init__(self, devices: Sequence[dict[str, Any]], emit: Emit, *,
                 backoff_initial: float = 0.5, backoff_max: float = 10.0) -> None:
        self.options = [d for d in devices
                        if d.get("enabled", True) and d["type"] not in WINDOW_FED]
        self.emit = emit
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self._status: dict[str, DeviceStatus] = {
            d["id"]: DeviceStatus(d["id"], d["type"], d.get("lane", "toggle"))
            for d in self.options
        }
        self._lock = threading.Lock()
        self._listeners: list[StatusListener] = []
        self._live: dict[str, Device] = {}

    def device(self, device_id: str) -> Device | None:
        """The running device object (e.g. a camera, for its preview), if connected."""
        with self._lock:
            return self._live.get(device_id)

    def subscribe(self, listener: StatusListener) -> None:
        self._listeners.append(listener)

    def status(self) -> list[DeviceStatus]:
        with self._lock:
            return list(self._status.values())

    def _set(self, device_id: str, **changes: Any) -> None:
        with self._lock:
            status = self._status[device_id] = replace(self._status[device_id], **changes)
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("status listener failed")

    def start(self) -> None:
        for options in self.options:
            thread = threading.Thread(target=self._supervise, args=(options,),
                                      name=f"device-{options['id']}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def wait_finished(self, timeout: float | None = None) -> bool:
        """True once every device thread has ended (replay files run out, or stopped)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def _counting_emit(self, device_id: str) -> Emit:
        def emit(scan: Scan) -> Any:
            with self._lock:
                current = self._status[device_id]
            self._set(device_id, state=CONNECTED, reason="", last_seen=scan.wall_time,
                      scans=current.scans + 1)
            return self.emit(scan)
        return emit

    def _supervise(self, options: dict[str, Any]) -> None:
        device_id = options["id"]
        delay = self.backoff_initial
        emit = self._counting_emit(device_id)
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                device: Device = build_device(options)
                with self._lock:
                    self._live[device_id] = device
                self._set(device_id, state=CONNECTED, reason="")
                device.run(emit, self.stop_event)
                if not self.stop_event.is_set():
                    self._set(device_id, state=FINISHED, reason="")
                    return
            except (DeviceError, OSError) as exc:
                reason = str(exc) or type(exc).__name__
                log.warning("device %s: %s (retry in %.1fs)", device_id, reason, delay)
                self._set(device_id, state=ERROR, reason=reason)
                if time.monotonic() - started > HEALTHY_SECONDS:
                    delay = self.backoff_initial  # it worked for a while: a fresh failure
                if self.stop_event.wait(delay):
                    break
                delay = min(delay * 2, self.backoff_max)
                self._set(device_id, state=WAITING)
            except Exception as exc:  # a bug in a driver must not kill the kiosk
                log.exception("device %s crashed", device_id)
                self._set(device_id, state=ERROR, reason=f"internal error: {exc!r}")
                if self.stop_event.wait(self.backoff_max):
                    break
        with self._lock:
            self._live.pop(device_id, None)
        self._set(device_id, state=STOPPED)
