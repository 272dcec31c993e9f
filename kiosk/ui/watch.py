"""The technician's live "watch" panel for one device.

It shows what the device hands in and what becomes of it: every scan's raw payload (hex and
text, so a wrong code page or a missing terminator is visible), the decoded result, and the
device's state with its reason and the devices' own hints — and, once a scan was line noise
(a serial port at another baud rate than the scanner's), the baud rate to check. "Watch raw
input" runs ``kiosk devices watch`` (kiosk.devices.watching) in a worker thread for serial,
evdev and hidraw scanners and for capture files: every read or key event with its timing,
each scan it decodes, and the settings it suggests. For a keyboard-wedge device a capture
field lists each key with the gap before it and whether the timing reads as a scanner.
Each line is stamped with the kiosk's time, in its configured zone as the header clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import threading
import time
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk import RELEASED, messages
from kiosk.devices.kind import DeviceOptions
from kiosk.devices.kinds.wedge import WedgeOptions
from kiosk.devices.registry import device_kind
from kiosk.enrolment import is_enrolment_code, masked
from kiosk.scan import ScanResult
from kiosk.ui.bridge import KioskBridge
from kiosk.ui.i18n import screen_language
from kiosk.ui.wedge_input import key_token, new_detector
from kiosk.ui.widgets import Retranslating, one_paragraph, state_text

MAX_LINES = 400


def hex_preview(payload: bytes, limit: int = 48) -> str:
    shown = payload[:limit].hex(" ")
    return shown + (f" … (+{len(payload) - limit} B)" if len(payload) > limit else "")


def devices_module(name: str) -> Any:
    """kiosk.devices.<name> (diagnostics, watching) when installed with its extra, else None."""
    try:
        return importlib.import_module(f"kiosk.devices.{name}")
    except ImportError:
        return None


def raw_watch_target(device: DeviceOptions, timezone: ZoneInfo | None = None,
                     earliest_day: dt.date = RELEASED) -> Any:
    """What `kiosk devices watch` needs for this device (a ``WatchTarget``, with the kiosk's
    zone and earliest real date for a CCCD's dates), or None if it has no raw source: only
    kinds with a capture format, and replays of a capture."""
    watching = devices_module("watching")
    if watching is None:
        return None
    kind = device_kind(device.type)
    if kind is not None and kind.capture is not None:
        return watching.WatchTarget(device, timezone=timezone, earliest_day=earliest_day)
    if getattr(device, "format", "") in watching.capture_kinds():
        return dataclasses.replace(watching.capture_target(device.path, device.id, device.lane),
                                   timezone=timezone, earliest_day=earliest_day)
    return None


class LineSink(QObject):
    """A text stream for a worker thread; each finished line arrives as a queued signal."""

    line = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._partial = ""

    def write(self, text: str) -> int:
        self._partial += text
        *lines, self._partial = self._partial.split("\n")
        for line in lines:
            self.line.emit(line)
        return len(text)

    def flush(self) -> None:
        """Lines are sent as they end."""


class WedgeCapture(QObject):
    """Key presses in the capture field → token log with gaps, and the detector's payloads."""

    def __init__(self, panel: WatchPanel, device: WedgeOptions) -> None:
        super().__init__(panel)
        self.panel = panel
        self.detector = new_detector(device)
        self.last: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        assert isinstance(event, QKeyEvent)
        token = key_token(event)
        if token is None:
            return False
        stamp = event.timestamp() / 1000 if event.timestamp() else time.monotonic()
        gap = "" if self.last is None else f"+{(stamp - self.last) * 1000:.0f} ms"
        self.last = stamp
        if self.detector is None:
            self.panel.log(f"key {token!r} {gap}")
            return False
        before = self.detector.pending()
        payloads = [decoded.payload for decoded in self.detector.feed(token, stamp)]
        if not any(is_enrolment_code(typed) for typed in (  # its secret, key by key
                before, self.detector.pending(), *payloads)):
            self.panel.log(f"key {token!r} {gap}")
        for payload in payloads:
            self.panel.log_scanner_input(payload)
        return False


class WatchPanel(Retranslating):
    @property
    def language(self) -> str:
        """The screen's language now: the reasons and advice follow a switch."""
        return screen_language()

    def __init__(self, bridge: KioskBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.device: DeviceOptions | None = None
        self._raw_stop: threading.Event | None = None
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.state = QLabel()
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        self.capture_hint = QLabel()  # above the box, wrapped: inside it, it was cut off
        self.capture_hint.setObjectName("watch_capture_hint")
        self.capture_hint.setWordWrap(True)
        layout.addWidget(self.capture_hint)
        self.capture = QLineEdit()
        self.capture.setObjectName("watch_capture")
        layout.addWidget(self.capture)
        raw_row = QHBoxLayout()
        self.raw_button = QPushButton()
        self.raw_button.setObjectName("watch_raw")
        self.raw_button.clicked.connect(self.toggle_raw)
        raw_row.addWidget(self.raw_button)
        raw_row.addStretch(1)
        layout.addLayout(raw_row)
        self.sink = LineSink(self)
        self.sink.line.connect(self.log)
        self.output = QPlainTextEdit()
        self.output.setObjectName("watch_log")
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(MAX_LINES)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.output.setFont(mono)
        layout.addWidget(self.output, 1)
        self.hints = QLabel()
        self.hints.setWordWrap(True)
        self.hints.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.hints)
        self._capture: WedgeCapture | None = None
        self._status_hints: list[str] = []
        self._noise = False
        """Whether a scan of this device was line noise: its baud rate is said to check."""
        self.watch(None)

    def watch(self, device: DeviceOptions | None) -> None:
        """Watch ``device`` (None: none) from an empty log and capture field."""
        self.stop_raw()
        self.device = device
        self.output.clear()
        self.capture.clear()
        self.state.clear()
        self.hints.clear()
        self._status_hints = []
        self._noise = False
        if self._capture is not None:
            self.capture.removeEventFilter(self._capture)
            self._capture.deleteLater()
            self._capture = None
        self.capture.setVisible(isinstance(device, WedgeOptions))
        self.capture_hint.setVisible(isinstance(device, WedgeOptions))
        if isinstance(device, WedgeOptions):
            self._capture = WedgeCapture(self, device)
            self.capture.installEventFilter(self._capture)
        self.raw_button.setVisible(device is not None and raw_watch_target(device) is not None)
        self.retranslate()

    # -- raw input: `kiosk devices watch` in the io lane ----------------------------------
    def toggle_raw(self) -> None:
        if self._raw_stop is not None:
            self.stop_raw()
        else:
            self.start_raw()

    def start_raw(self) -> None:
        target = (raw_watch_target(self.device, self.bridge.config.timezone,
                                   self.bridge.kiosk.pipeline.earliest_day)
                  if self.device else None)
        watching = devices_module("watching")
        if target is None or watching is None:
            return
        stop = self._raw_stop = threading.Event()
        self.retranslate()
        self.bridge.run(lambda: watching.watch(target, self.sink, stop=stop),
                        done=lambda _d: self._raw_ended(stop, None),
                        failed=lambda exc: self._raw_ended(stop, exc), job="ui.job.watch")

    def stop_raw(self) -> None:
        if self._raw_stop is not None:
            self._raw_stop.set()
            self._raw_stop = None
            self.retranslate()

    def _raw_ended(self, stop: threading.Event, error: BaseException | None) -> None:
        if error is not None:
            self.log(self.tr("cannot read the device: %1").replace("%1", str(error)))
            self.log(self.tr("If the kiosk is using it, untick \"enabled\", save, and "
                             "watch again."))
        if self._raw_stop is stop:
            self._raw_stop = None
            self.retranslate()

    def log(self, line: str) -> None:
        now = dt.datetime.now(self.bridge.config.timezone)  # the header clock's, not TZ's
        self.output.appendPlainText(f"{now:%H:%M:%S}  {line}")

    def log_scanner_input(self, payload: bytes) -> None:
        self.log(self.tr("scanner input: %1").replace(
            "%1", masked(payload).decode("utf-8", "replace")))

    def show_status(self, status: Any) -> None:
        if self.device is None or status.device_id != self.device.id:
            return
        text = f"{state_text(status.state)}"
        if status.reason is not None:
            text += f" — {status.reason_in(self.language)}"
        self.state.setText(text)
        self._status_hints = self._hints(status)
        self._show_hints()

    def _show_hints(self) -> None:
        hints = list(self._status_hints)
        module = devices_module("diagnostics")
        if self._noise and self.device is not None and module is not None:
            hints.insert(0, module.baud_advice(self.device)(self.language))
        self.hints.setText("\n".join(hints))
        self.hints.setVisible(bool(hints))

    def _hints(self, status: Any) -> list[str]:
        module = devices_module("diagnostics")
        if module is None or not hasattr(module, "suggestions"):
            return []
        try:
            return [str(h) for h in module.suggestions(self.device, status, self.language)]
        except Exception as exc:  # diagnostics must never break the screen
            return [repr(exc)]

    def show_result(self, result: ScanResult) -> None:
        if self.device is None or result.scan.device_id != self.device.id:
            return
        if result.scan.cut == "noise" and not self._noise:
            self._noise = True
            self._show_hints()
        payload = result.scan.payload
        shown = masked(payload)  # an enrolment code's one-time secret stays off the screen
        self.log(self.tr("payload %n bytes: ", "", len(payload)) + hex_preview(shown))
        self.log("  " + repr(shown.decode("utf-8", "backslashreplace"))[:200])
        identity = result.identity
        decoded = messages.kind_name(identity.kind, self.language) if identity else "-"
        if identity and identity.name:
            decoded += f" · {one_paragraph(identity.name)}"  # a line of its own, never more
        self.log(f"  → {result.status.value}: {decoded}"
                 + (f" ({result.reason_in(self.language)})"
                    if result.status.value != "accepted" else ""))

    def retranslate(self) -> None:
        if self.device is None:
            self.title.setText(self.tr("Select a device to watch what it sends."))
        else:
            self.title.setText(self.tr("Watching %1: every scan's raw bytes and what they "
                                       "decode to.").replace("%1", self.device.id))
        self.capture_hint.setText(self.tr("Click here and scan: each key is listed with "
                                          "the time since the previous one"))
        self.raw_button.setText(self.tr("Stop watching") if self._raw_stop is not None
                                else self.tr("Watch raw input"))
