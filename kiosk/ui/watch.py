"""The technician's live "watch" panel for one device.

It shows what the device hands in and what becomes of it: every scan's raw payload (hex and
text, so a wrong code page or a missing terminator is visible), the decoded result, and the
device's state with its reason. For a keyboard-wedge device it also offers a capture field:
scan into it and see each key with the gap before it, and whether the timing reads as a
scanner. When the devices' diagnostics module is installed, its raw-level view and hints
are shown too.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from kiosk import messages
from kiosk.scan import ScanResult
from kiosk.ui.wedge_input import key_token, load_detector_class
from kiosk.ui.widgets import Retranslating, state_text

MAX_LINES = 400


def hex_preview(payload: bytes, limit: int = 48) -> str:
    shown = payload[:limit].hex(" ")
    return shown + (f" … (+{len(payload) - limit} B)" if len(payload) > limit else "")


def diagnostics_module() -> Any:
    """kiosk.devices.diagnostics when installed (raw bytes / key events and hints), else None."""
    try:
        return importlib.import_module("kiosk.devices.diagnostics")
    except ImportError:
        return None


class WedgeCapture(QObject):
    """Key presses in the capture field → token log with gaps, and the detector's payloads."""

    def __init__(self, panel: WatchPanel, device: dict[str, Any]) -> None:
        super().__init__(panel)
        self.panel = panel
        detector_class = load_detector_class()
        self.detector = None if detector_class is None else detector_class(
            max_gap_ms=device["max_gap_ms"], min_length=device["min_length"],
            terminator=device["terminator"])
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
        self.panel.log(f"key {token!r} {gap}")
        if self.detector is not None:
            for payload in self.detector.feed(token, stamp):
                self.panel.log_scanner_input(payload)
        return False


class WatchPanel(Retranslating):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device: dict[str, Any] | None = None
        self.language = "vi"
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.state = QLabel()
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        self.capture = QLineEdit()
        self.capture.setObjectName("watch_capture")
        layout.addWidget(self.capture)
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
        self.watch(None)

    def watch(self, device: dict[str, Any] | None) -> None:
        self.device = device
        self.output.clear()
        self.state.clear()
        self.hints.clear()
        if self._capture is not None:
            self.capture.removeEventFilter(self._capture)
            self._capture.deleteLater()
            self._capture = None
        is_wedge = device is not None and device["type"] == "wedge"
        self.capture.setVisible(is_wedge)
        if is_wedge:
            assert device is not None
            self._capture = WedgeCapture(self, device)
            self.capture.installEventFilter(self._capture)
        self.retranslate()

    def log(self, line: str) -> None:
        self.output.appendPlainText(f"{time.strftime('%H:%M:%S')}  {line}")

    def log_scanner_input(self, payload: bytes) -> None:
        self.log(self.tr("scanner input: %1").replace("%1", payload.decode("utf-8", "replace")))

    def show_status(self, status: Any) -> None:
        if self.device is None or status.device_id != self.device["id"]:
            return
        text = f"{state_text(status.state)}"
        if status.reason:
            text += f" — {status.reason}"
        self.state.setText(text)
        hints = self._hints(status)
        self.hints.setText("\n".join(hints))
        self.hints.setVisible(bool(hints))

    def _hints(self, status: Any) -> list[str]:
        module = diagnostics_module()
        if module is None or not hasattr(module, "suggestions"):
            return []
        try:
            return [str(h) for h in module.suggestions(self.device, status)]
        except Exception as exc:  # diagnostics must never break the screen
            return [repr(exc)]

    def show_result(self, result: ScanResult) -> None:
        if self.device is None or result.scan.device_id != self.device["id"]:
            return
        payload = result.scan.payload
        self.log(self.tr("payload %n bytes: ", "", len(payload)) + hex_preview(payload))
        self.log("  " + repr(payload.decode("utf-8", "backslashreplace"))[:200])
        identity = result.identity
        decoded = messages.kind_name(identity.kind, self.language) if identity else "-"
        if identity and identity.name:
            decoded += f" · {identity.name}"
        self.log(f"  → {result.status.value}: {decoded}"
                 + (f" ({result.reason})" if result.status.value != "accepted" else ""))

    def retranslate(self) -> None:
        if self.device is None:
            self.title.setText(self.tr("Select a device to watch what it sends."))
        else:
            self.title.setText(self.tr("Watching %1: every scan's raw bytes and what they "
                                       "decode to.").replace("%1", self.device["id"]))
        self.capture.setPlaceholderText(self.tr("Click here and scan: each key is listed with "
                                                "the time since the previous one"))
