"""Runs every configured device in its own thread, keeps its status, reconnects with backoff.

States: ``waiting`` (not plugged in yet, or gone: looked for again every ``poll_missing``
seconds, so a re-plugged scanner is picked up without a restart), ``connected`` (opened,
reading), ``error`` (it failed — permission, I/O error, bad setting — with the reason;
retried after a growing delay), ``finished`` (a replay file ran out), ``stopped``.
Status changes are pushed to listeners (the screens) and kept for ``status()``.

Device threads never wait for the database: ``emit`` puts the scan on a queue that one
submitter thread hands to the pipeline in arrival order. A scanner keeps being read while a
commit is in progress, so the kernel's small buffers (64 evdev events, a tty's few KB)
never overflow into lost keys; ``stop`` hands over every queued scan before returning.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kiosk.devices import build_device
from kiosk.devices.base import Device, DeviceError, DeviceMissing, Emit
from kiosk.devices.kind import DeviceOptions
from kiosk.devices.registry import device_kind
from kiosk.listeners import Listeners
from kiosk.messages import Words, both, os_words
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
    reason: Words | None = None
    """Why it waits or failed, worded where it is shown (:meth:`reason_in`)."""
    last_seen: float | None = None
    """Wall time of the device's last scan."""
    scans: int = 0
    path: str = ""
    """The node it is (or was last) connected to, after resolving by-id/usb/name."""
    retry_in: float | None = None
    """Seconds until the next attempt after an error (shown as "retrying in N s")."""

    def reason_in(self, language: str | None) -> str:
        """The reason in ``language``; None: in both, for a reader not known (a command, the
        centre's health report)."""
        return self.reason.worded(language) if self.reason is not None else ""


HEALTHY_SECONDS = 30.0


def _window_fed(options: DeviceOptions) -> bool:
    """Fed by the Qt window's key events (wedge), not run by a device thread."""
    kind = device_kind(options.type)
    return kind is not None and kind.window_fed
StatusListener = Callable[[DeviceStatus], None]


class Supervisor:
    def __init__(self, devices: Sequence[DeviceOptions], emit: Emit, *,
                 backoff_initial: float = 0.5, backoff_max: float = 10.0,
                 poll_missing: float = 1.0,
                 factory: Callable[[DeviceOptions], Device] = build_device) -> None:
        self.options = [d for d in devices if d.enabled and not _window_fed(d)]
        self.emit = emit
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.poll_missing = poll_missing
        self.factory = factory
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []
        self._status: dict[str, DeviceStatus] = {
            d.id: DeviceStatus(d.id, d.type, d.lane) for d in self.options
        }
        self._lock = threading.Lock()
        self._listeners: Listeners[DeviceStatus] = Listeners("device status")
        self._live: dict[str, Device] = {}
        self._queue: queue.SimpleQueue[Scan | None] = queue.SimpleQueue()
        self._unsubmitted = 0
        self._drained = threading.Condition()
        self._closing = False
        """Set by stop() with the end marker; later scans are submitted by their device."""
        self._submitter: threading.Thread | None = None

    def device(self, device_id: str) -> Device | None:
        """The running device object (e.g. a camera, for its preview), if connected."""
        with self._lock:
            return self._live.get(device_id)

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        return self._listeners.subscribe(listener)

    def status(self) -> list[DeviceStatus]:
        with self._lock:
            return list(self._status.values())

    def _set(self, device_id: str, **changes: Any) -> None:
        with self._lock:
            status = self._status[device_id] = replace(self._status[device_id], **changes)
        self._listeners.notify(status)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._submitter = threading.Thread(target=self._submit_loop, name="device-submit",
                                           daemon=True)
        self._submitter.start()
        for options in self.options:
            thread = threading.Thread(target=self._supervise, args=(options,),
                                      name=f"device-{options.id}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the devices, then hand every scan already read to the pipeline.

        Devices get ``timeout`` to notice; the hand-over itself has no time limit, so a scan
        already read from a scanner is never dropped because the database was slow. A
        device still stuck in a read after ``timeout`` submits any later scan itself.
        """
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in self._threads if t.is_alive()]
        if stuck:
            log.warning("%s", both("device.log.still_reading", seconds=f"{timeout:.0f}",
                                   threads=", ".join(stuck)))
        with self._drained:
            self._closing = True
            self._queue.put(None)
        if self._submitter is not None:
            self._submitter.join()

    def wait_finished(self, timeout: float | None = None) -> bool:
        """True once every device thread has ended and every scan was handed over."""
        deadline = None if timeout is None else time.monotonic() + timeout

        def left() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        for thread in self._threads:
            thread.join(left())
        if any(t.is_alive() for t in self._threads):
            return False
        with self._drained:
            return self._drained.wait_for(lambda: self._unsubmitted == 0, left())

    # -- scans -----------------------------------------------------------------------------
    def _submit_loop(self) -> None:
        while (scan := self._queue.get()) is not None:
            try:
                self._submit(scan)
            finally:
                with self._drained:
                    self._unsubmitted -= 1
                    self._drained.notify_all()

    def _submit(self, scan: Scan) -> None:
        try:
            self.emit(scan)
        except Exception:  # the pipeline answers every failure itself (never raises)
            log.exception("%s", both("device.log.not_submitted", device=scan.device_id,
                                     payload=repr(scan.payload[:200])))

    def _queueing_emit(self, device_id: str) -> Emit:
        def emit(scan: Scan) -> None:
            with self._drained:  # the same lock as stop()'s end marker: no scan after it
                direct = self._closing
                if not direct:
                    self._unsubmitted += 1
                    self._queue.put(scan)
            if direct:
                self._submit(scan)
            with self._lock:
                scans = self._status[device_id].scans + 1
            self._set(device_id, state=CONNECTED, reason=None, last_seen=scan.wall_time,
                      scans=scans)
        return emit

    # -- one device ------------------------------------------------------------------------
    def _supervise(self, options: DeviceOptions) -> None:
        device_id = options.id
        delay = self.backoff_initial
        emit = self._queueing_emit(device_id)
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                device = self.factory(options)
                opener = getattr(device, "open", None)
                if opener is not None:
                    opener()
                with self._lock:
                    self._live[device_id] = device
                self._set(device_id, state=CONNECTED, reason=None,
                          path=getattr(device, "path", "") or "")
                device.run(emit, self.stop_event)
                if not self.stop_event.is_set():
                    self._set(device_id, state=FINISHED, reason=None)
                    break
            except DeviceMissing as exc:
                self._forget(device_id)
                self._set(device_id, state=WAITING, reason=exc.words)
                delay = self.backoff_initial
                if self.stop_event.wait(self.poll_missing):
                    break
            except (DeviceError, OSError) as exc:
                self._forget(device_id)
                # as Words: each half of the log line takes it in its own language
                if isinstance(exc, DeviceError):
                    reason = exc.words
                else:
                    if exc.errno:  # the system's English: -v
                        log.info("device %s: %s", device_id, exc)
                    reason = Words("device.os_failed", {
                        "path": exc.filename or device_id,
                        "reason": os_words(exc) if exc.errno else str(exc) or type(exc).__name__})
                if time.monotonic() - started > HEALTHY_SECONDS:
                    delay = self.backoff_initial  # it worked for a while: a fresh failure
                log.warning("%s", both("device.log.failed", device=device_id, reason=reason,
                                       seconds=f"{delay:.1f}"))
                self._set(device_id, state=ERROR, retry_in=delay, reason=reason)
                if self.stop_event.wait(delay):
                    break
                delay = min(delay * 2, self.backoff_max)
            except Exception as exc:  # a bug in a driver must not kill the kiosk
                self._forget(device_id)
                log.exception("%s", both("device.log.crashed", device=device_id,
                                         seconds=f"{self.backoff_max:g}"))
                self._set(device_id, state=ERROR, reason=Words("device.internal_error",
                                                               {"error": repr(exc)}),
                          retry_in=self.backoff_max)
                if self.stop_event.wait(self.backoff_max):
                    break
        self._forget(device_id)
        with self._lock:
            final = self._status[device_id].state
        if final != FINISHED:
            self._set(device_id, state=STOPPED)

    def _forget(self, device_id: str) -> None:
        """A device that errored or went away is no longer live (its object is dead)."""
        with self._lock:
            self._live.pop(device_id, None)
