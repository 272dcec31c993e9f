"""Keyboard-wedge scanners typing into the kiosk window, and the focus guard that keeps the
keys coming to the scan target.

Key presses that reach the scan target are fed, with their event timestamps, to the pure
``kiosk.devices.wedge.WedgeDetector`` (keys closer than ``max_gap_ms`` are a scanner, a person
types slower); each payload it completes becomes a Scan of the configured wedge device. The
detector is the devices' module; this file only turns Qt key events into its input.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from kiosk.devices.kind import DeviceOptions
from kiosk.devices.kinds.wedge import WedgeOptions
from kiosk.messages import both
from kiosk.scan import Scan

log = logging.getLogger(__name__)

SPECIAL_KEYS = {
    Qt.Key.Key_Return: "enter",
    Qt.Key.Key_Enter: "enter",
    Qt.Key.Key_Tab: "tab",
}


def key_token(event: QKeyEvent) -> str | None:
    """What the detector is fed for one key press: a key name or the character typed."""
    special = SPECIAL_KEYS.get(Qt.Key(event.key()))
    if special:
        return special
    text = event.text()
    return text if text and text.isprintable() else None


def wedge_devices(devices: Sequence[DeviceOptions]) -> list[WedgeOptions]:
    return [d for d in devices if isinstance(d, WedgeOptions) and d.enabled]


def new_detector(options: WedgeOptions) -> Any:
    """The devices' WedgeDetector for these settings, or None when it is not installed."""
    try:
        from kiosk.devices.wedge import WedgeDetector
    except ImportError as exc:
        log.warning("%s", both("ui.log.no_wedge", reason=exc))
        return None
    return WedgeDetector(max_gap_ms=options.max_gap_ms, min_length=options.min_length,
                         terminator=options.terminator)


class WedgeInput(QObject):
    """Event filter for the scan target: key presses in, Scans out (``scanned``), and what a
    person typed out (``typed``).

    Several wedge scanners type into the same window indistinguishably, so the first enabled
    wedge device's settings and id are used for all of them.
    """

    scanned = Signal(object)
    typed = Signal(str)
    """Keys the detector judged to be a person typing (to be passed on, e.g. to search)."""

    def __init__(self, device: WedgeOptions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.device = device
        self.detector = new_detector(device)
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(max(20, device.max_gap_ms * 2))
        self._flush.timeout.connect(self._on_idle)
        self._last_stamp = 0.0
        self._last_mono = 0.0

    @property
    def available(self) -> bool:
        return self.detector is not None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or self.detector is None:
            return False
        token = key_token(event)  # type: ignore[arg-type]
        if token is None:
            return False
        stamp = self._seconds(event)  # type: ignore[arg-type]
        self._last_stamp, self._last_mono = stamp, time.monotonic()
        self._emit(self.detector.feed(token, stamp))
        self._flush.start()
        return True

    @staticmethod
    def _seconds(event: QKeyEvent) -> float:
        """The event's own timestamp (when the key arrived), not when we got round to it."""
        stamp = event.timestamp()
        return stamp / 1000 if stamp else time.monotonic()

    def _on_idle(self) -> None:
        """No key for a while: let the detector end a scan that has no terminator."""
        if self.detector is not None:
            elapsed = time.monotonic() - self._last_mono
            self._emit(self.detector.flush(self._last_stamp + elapsed))

    def _emit(self, payloads: list[bytes]) -> None:
        for payload in payloads:
            self.scanned.emit(Scan(payload=payload, device_id=self.device.id,
                                   lane=self.device.lane, source="wedge"))
        assert self.detector is not None
        text = "".join(k for k in self.detector.take_typed() if len(k) == 1 and k.isprintable())
        if text:
            self.typed.emit(text)


def wants_typing(widget: QWidget | None) -> bool:
    if widget is None:
        return False
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(widget, QLineEdit | QTextEdit | QPlainTextEdit | QAbstractSpinBox)


class FocusGuard(QObject):
    """In kiosk mode, gives the keyboard back to the scan target when nothing needs it.

    Focus goes back at once when it lands on a button or nowhere, and after ``idle_ms``
    without a key press when a text field (the search box) kept it. A dialog (PIN, manual
    entry) keeps the keyboard while it is open.
    """

    def __init__(self, target: QWidget, *, idle_ms: int = 15000, parent: QObject | None = None):
        super().__init__(parent)
        self.target = target
        self.idle_ms = idle_ms
        self.enabled = False
        self._last_key = time.monotonic()
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.installEventFilter(self)
        app.focusChanged.connect(self._focus_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def stop(self) -> None:
        """Let go of the application (its window is closing)."""
        self.enabled = False
        self._timer.stop()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.removeEventFilter(self)
            app.focusChanged.disconnect(self._focus_changed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            self._last_key = time.monotonic()
        return False

    def _focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        if self.enabled and not wants_typing(now):
            QTimer.singleShot(0, self.check)

    def check(self) -> None:
        if not self.enabled or not self.target.isVisible():
            return
        if QApplication.activeModalWidget() is not None or QApplication.activePopupWidget():
            return
        focus = QApplication.focusWidget()
        if focus is self.target:
            return
        idle = (time.monotonic() - self._last_key) * 1000 > self.idle_ms
        if not wants_typing(focus) or idle:
            self.target.activateWindow()
            self.target.setFocus(Qt.FocusReason.OtherFocusReason)
