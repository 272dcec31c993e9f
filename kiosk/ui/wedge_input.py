"""Keyboard-wedge scanners typing into the kiosk window, and the focus guard that keeps the
keyboard on the scan target.

A wedge scanner types wherever the keyboard is: on the card, in the search box, in the
manual-entry form or on the PIN pad. So :class:`WedgeInput` is an application-wide key
filter, active on every screen of the kiosk's window and in the dialogs opened over it: on
the technician and sync screens too, where a scan must not land in a settings field nor its
space press a focused button.
Every key press goes, with its event timestamp, to the pure
``kiosk.devices.wedge.WedgeDetector`` (keys closer than ``max_gap_ms`` are a scanner, a
person types slower) and is held meanwhile:

* a burst the detector completes becomes a Scan of the configured wedge device
  (``scanned``), recorded and shown on the card with its cue like any scan; its keys never
  reach the focused widget — a scan is never typed into a form, a search or a PIN, even while
  a dialog is open (the cue sounds; the PIN pad is closed so that the card shows the
  result, the manual-entry form is told in a line: ``kiosk.ui.app``). But a burst into
  the PIN pad that is the PIN is the PIN typed fast: typed there, never an entry
  (:func:`pin_typed`); any other burst there is a scan, never a wrong PIN. A scanner's burst
  (``wedge.HOLD_MIN`` keys at its pace) that stops without its terminator is held (up to
  ``stream.CUT_WAIT``) for the rest; past that, or when the keys after its stall come at a
  person's pace (theirs: delivered), it is a Scan marked ``cut``, and so is the rest
  arriving after it: refused "scan again", never typed — the rest's lone Enter is dropped,
  never submitting the form in the focus;
* keys the detector judges to be a person are delivered, in order and unchanged (copies of
  the same events, modifiers and timestamps kept), to the widget that has the focus when
  they are delivered — after a Tab the next key goes to the next field, as it would have.
  A person's keys wait at most about ``max_gap_ms`` (the detector needs the gap to tell);
  on the card itself (the scan target) what they type goes to the search box (``typed``).

Keys the detector is never fed pass at once: modifiers alone (a scanner presses Shift for
capitals) and, after ending the held burst (a person's; a scanner's still awaiting its
terminator is cut: only a scanner's burst is held that long), Backspace, arrows, Escape
and Ctrl/Alt shortcuts. The technician screen's Watch capture field is outside its scope on
purpose: it logs a scanner's raw keys (an enrolment code scanned anywhere on that screen is a
scan, which enrols). The detector
is the devices' module; this file only turns Qt key events into its input and its answers
back into Qt.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
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
from kiosk.devices.stream import Decoded, to_scan
from kiosk.messages import both
from kiosk.ui.pin import PinField

log = logging.getLogger(__name__)

IDLE_SLACK_MS = 8
"""The idle flush comes this long after ``max_gap_ms``: a person's last key waits no more."""
MODIFIER_KEYS = frozenset({
    Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_AltGr, Qt.Key.Key_Meta,
    Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock, Qt.Key.Key_Super_L, Qt.Key.Key_Super_R,
})
"""Pressed alone, part of a scanner's burst (Shift for capitals): passed, never ending it."""

SPECIAL_KEYS = {
    Qt.Key.Key_Return: "enter",
    Qt.Key.Key_Enter: "enter",
    Qt.Key.Key_Tab: "tab",
}


def key_token(event: QKeyEvent) -> str | None:
    """What the detector is fed for one key press: a key name or the character typed; None
    for a key held down repeating (~30 a second, as fast as a scanner: with terminator
    "none" a person holding 0 in a field was recorded as a scan of 0000…)."""
    if event.isAutoRepeat():
        return None
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
    """Application-wide key filter: scanner bursts out as Scans (``scanned``), a person's keys
    delivered on to the widget with the focus (see the module's docstring).

    ``in_scope(widget)`` says whether a key sent to ``widget`` is watched (the main window's
    ``scan_keys``: the widget is in its window or in a dialog over it, and not the field a
    technician scans into on purpose); keys elsewhere pass untouched. ``target`` is the scan
    target: what a person types while it has the keyboard is emitted as ``typed`` (for the
    search box).
    Several wedge scanners type into the same window indistinguishably, so the first enabled
    wedge device's settings and id are used for all of them.
    """

    scanned = Signal(object)
    typed = Signal(str)
    """Text a person typed while the scan target had the keyboard (to be passed on, e.g. to
    search)."""

    def __init__(self, device: WedgeOptions, *, target: QWidget | None = None,
                 in_scope: Callable[[QWidget], bool] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.device = device
        self.target = target
        self.in_scope = in_scope or (lambda _widget: True)
        self.detector = new_detector(device)
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setTimerType(Qt.TimerType.PreciseTimer)
        self._flush.setInterval(device.max_gap_ms + IDLE_SLACK_MS)
        self._flush.timeout.connect(self._on_idle)
        self._last_stamp = 0.0
        self._last_mono = 0.0
        self._held: list[tuple[QKeyEvent, QWidget]] = []
        """Copies of the key events (presses, and releases after them) since the detector
        last decided, each with the widget it was sent to."""
        self._delivering = False
        self._installed = False

    @property
    def available(self) -> bool:
        return self.detector is not None

    def install(self) -> None:
        """Watch every key the application receives (while ``in_scope`` says so)."""
        app = QApplication.instance()
        if self.detector is not None and isinstance(app, QApplication) and not self._installed:
            app.installEventFilter(self)
            self._installed = True

    def remove(self) -> None:
        """Stop watching; keys still held are a person's and are delivered first."""
        self._end_burst()
        self._flush.stop()
        app = QApplication.instance()
        if self._installed and isinstance(app, QApplication):
            app.removeEventFilter(self)
        self._installed = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if (kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or self._delivering
                or self.detector is None or not isinstance(watched, QWidget)
                or not self.in_scope(watched)):
            return False  # a QWindow's copy of the key is seen again at its widget
        assert isinstance(event, QKeyEvent)
        if kind == QEvent.Type.KeyRelease:
            if not self._held:
                return False
            self._held.append((copy_key(event), watched))  # after its press, not before
            return True
        token = key_token(event)
        if token is None:
            if Qt.Key(event.key()) not in MODIFIER_KEYS:
                self._end_burst()  # Backspace, an arrow, Ctrl+…: a person; keys in order
            return False
        stamp = self._seconds(event)
        self._last_stamp, self._last_mono = stamp, time.monotonic()
        self._settle(self.detector.flush(stamp))  # a burst that ended before this key
        self._held.append((copy_key(event), watched))
        self._settle(self.detector.feed(token, stamp))
        if self._held:
            self._flush.start()
        return True

    @staticmethod
    def _seconds(event: QKeyEvent) -> float:
        """The event's own timestamp (when the key arrived), not when we got round to it."""
        stamp = event.timestamp()
        return stamp / 1000 if stamp else time.monotonic()

    def _on_idle(self) -> None:
        """No key for a while: the detector ends the burst (a scan without terminator, or a
        person's keys, delivered now)."""
        if self.detector is None:
            return
        elapsed = time.monotonic() - self._last_mono
        self._settle(self.detector.flush(self._last_stamp + elapsed))
        if self._held:  # early for the gap, or a scanner's burst awaiting its terminator
            self._flush.start()

    def _end_burst(self) -> None:
        if self.detector is not None and self._held:
            self._settle(self.detector.flush(math.inf))

    def _settle(self, scans: list[Decoded]) -> None:
        """The detector decided about every key held (its burst is empty): a scan's keys are
        dropped (a cut one's too: refused, never typed; so is a stalled code's lone Enter),
        a person's delivered. It decides a whole burst at a time, or a held burst cut by the
        person's key after it: the keys typed are always the last held."""
        assert self.detector is not None
        if self.detector.pending():
            return
        typed = self.detector.take_typed()
        held, self._held = self._held, []
        if held and any(pin_typed(held[0][1], decoded) for decoded in scans):
            self._deliver(held)  # a PIN typed fast: the pad's, never an entry
            return
        for decoded in scans:
            self.scanned.emit(to_scan(decoded, self.device.id, self.device.lane, "wedge"))
        self._deliver(last_presses(held, len(typed)))

    def _deliver(self, held: list[tuple[QKeyEvent, QWidget]]) -> None:
        """A person's keys, in order, to the widget with the focus as each is delivered."""
        self._delivering = True
        try:
            for event, sent_to in held:
                widget = focus_for(sent_to)
                if widget is None:
                    continue
                text = event.text()
                if (widget is self.target and event.type() == QEvent.Type.KeyPress
                        and text and text.isprintable()):
                    self.typed.emit(text)
                else:
                    QApplication.sendEvent(widget, event)
        finally:
            self._delivering = False


def pin_typed(sent_to: QWidget, decoded: Decoded) -> bool:
    """Whether a burst at a scanner's pace, whole, sent to ``sent_to``, is the PIN typed
    fast into the PIN pad: 1234 and Enter 30 ms apart was a scan, an entry of payload
    "1234" counted IN and uploaded. Only the PIN itself (asked without counting a failure):
    a numeric badge or a UPC-A is all digits too, and taken as a wrong PIN it was no entry,
    and five locked the pad; so any other burst is a scan that closes the pad. A cut burst
    (refused "scan again") is a scanner's."""
    return not decoded.cut and isinstance(sent_to, PinField) \
        and sent_to.is_pin(decoded.payload.decode("utf-8", "replace"))


def last_presses(held: list[tuple[QKeyEvent, QWidget]], count: int
                 ) -> list[tuple[QKeyEvent, QWidget]]:
    """The held events from the ``count``-th last key press on (the releases after it too)."""
    if not count:
        return []
    presses = [i for i, (event, _) in enumerate(held) if event.type() == QEvent.Type.KeyPress]
    return held[presses[-count]:]


def copy_key(event: QKeyEvent) -> QKeyEvent:
    """The same key event, to deliver later (Qt deletes the original once handled)."""
    copy = QKeyEvent(event.type(), event.key(), event.modifiers(), event.nativeScanCode(),
                     event.nativeVirtualKey(), event.nativeModifiers(), event.text(),
                     event.isAutoRepeat(), event.count())
    copy.setTimestamp(event.timestamp())
    return copy


def focus_for(sent_to: QWidget) -> QWidget | None:
    """Where a held key goes now: its window's focus widget (a Tab delivered before it moved
    the focus on), or the application's if that window has closed (an Enter closed a
    dialog)."""
    try:
        if sent_to.isVisible():
            return sent_to.window().focusWidget() or sent_to
    except RuntimeError:  # deleted since (a dialog closed by the Enter before)
        pass
    return QApplication.focusWidget()


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
