"""The PIN gate in front of the technician and sync screens and of leaving kiosk mode.

The PIN is ``kiosk.pin`` from config.toml (an empty PIN opens the gate without asking).
After ``MAX_ATTEMPTS`` wrong PINs the gate stays shut for ``LOCKOUT_SECONDS``, so guessing
at a busy lane is slow and visible.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.ui.widgets import pixel_font

MAX_ATTEMPTS = 5
LOCKOUT_SECONDS = 60.0


class PinField(QLineEdit):
    """The pad's field. A burst typed into it as fast as a scanner types is its own only
    when ``is_pin`` says it is the PIN (``kiosk.ui.wedge_input``): a badge or a UPC-A is
    all digits too, and was taken as a wrong PIN — no entry, and five locked the pad."""

    def __init__(self, is_pin: Callable[[str], bool]) -> None:
        super().__init__()
        self.is_pin = is_pin


class PinDialog(QDialog):
    """A PIN field with a big on-screen keypad (kiosks often have only a touch screen)."""

    submitted = Signal(str)

    def __init__(self, purpose: str, is_pin: Callable[[str], bool],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PinDialog")
        self.setModal(True)
        self.setWindowTitle(self.tr("PIN required"))
        layout = QVBoxLayout(self)
        self.purpose = QLabel(purpose)
        self.purpose.setFont(pixel_font(self, 20, bold=True))
        self.purpose.setWordWrap(True)
        layout.addWidget(self.purpose)
        self.field = PinField(is_pin)
        self.field.setObjectName("pin")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,12}")))
        self.field.setFont(pixel_font(self, 28))
        self.field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.field.returnPressed.connect(self._submit)
        layout.addWidget(self.field)
        self.error = QLabel()
        self.error.setObjectName("pin_error")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        keypad = QGridLayout()
        for index, key in enumerate("123456789"):
            keypad.addWidget(self._key(key, lambda _c=False, k=key: self.field.insert(k)),
                             index // 3, index % 3)
        keypad.addWidget(self._key("⌫", self.field.backspace), 3, 0)
        keypad.addWidget(self._key("0", lambda: self.field.insert("0")), 3, 1)
        self.ok = self._key(self.tr("OK"), self._submit)
        self.ok.setObjectName("pin_ok")
        keypad.addWidget(self.ok, 3, 2)
        layout.addLayout(keypad)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.setObjectName("pin_cancel")
        self.cancel.setMinimumHeight(48)
        self.cancel.setAutoDefault(False)  # else the dialog's default: Enter after a wrong PIN
        # cancelled the pad, its "Wrong PIN." never read
        self.cancel.clicked.connect(self.reject)
        buttons.addWidget(self.cancel)
        layout.addLayout(buttons)
        self.field.setFocus()

    def _key(self, text: str, action: Callable[..., object]) -> QPushButton:
        button = QPushButton(text)
        button.setMinimumSize(88, 64)
        button.setFont(pixel_font(self, 24, bold=True))
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(action)
        return button

    def _submit(self) -> None:
        self.submitted.emit(self.field.text())

    def refuse(self, message: str, *, locked: bool = False) -> None:
        self.field.clear()
        self.error.setText(message)
        self.field.setEnabled(not locked)
        self.ok.setEnabled(not locked)


class PinGate(QObject):
    def __init__(self, pin: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.pin = pin
        self._parent = parent
        self.failures = 0
        self.locked_until = 0.0
        self.dialog: PinDialog | None = None

    def locked_seconds(self) -> int:
        return max(0, int(self.locked_until - time.monotonic() + 0.999))

    def request(self, purpose: str, granted: Callable[[], None]) -> PinDialog | None:
        """Ask for the PIN without blocking the event loop; call ``granted`` when it is right."""
        if not self.pin:
            granted()
            return None
        if self.dialog is not None:
            self.dialog.reject()
        dialog = self.dialog = PinDialog(purpose, self.verify, self._parent)
        dialog.submitted.connect(lambda text: self._check(dialog, text, granted))
        dialog.finished.connect(lambda _code: self._closed(dialog))
        if self.locked_seconds():
            dialog.refuse(self._lock_message(), locked=True)
        dialog.open()
        return dialog

    def _closed(self, dialog: PinDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _lock_message(self) -> str:
        return self.tr("Too many wrong PINs. Try again in %n s.", "", self.locked_seconds())

    def verify(self, text: str) -> bool:
        """Whether ``text`` is the PIN, counting no failure: every burst typed as fast as a
        scanner into the pad is asked (``kiosk.ui.wedge_input``), a badge scanned too."""
        return hmac.compare_digest(text.encode(), self.pin.encode())

    def _check(self, dialog: PinDialog, text: str, granted: Callable[[], None]) -> None:
        if self.locked_seconds():
            dialog.refuse(self._lock_message(), locked=True)
            return
        if self.verify(text):
            self.failures = 0
            dialog.accept()
            granted()
            return
        self.failures += 1
        if self.failures >= MAX_ATTEMPTS:
            self.failures = 0
            self.locked_until = time.monotonic() + LOCKOUT_SECONDS
            dialog.refuse(self._lock_message(), locked=True)
        else:
            dialog.refuse(self.tr("Wrong PIN."))
