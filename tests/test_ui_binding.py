"""The installed Qt binding keeps Python's reference counts right (PySide6 6.12.0 on Python
3.11 does not, and a kiosk running it aborts after a few hours of scanning)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.ui.binding import reference_leak


class Pinger(QObject):
    ping = Signal(object)


def test_the_installed_pyside_passes_the_startup_check():
    assert reference_leak() is None


def test_a_thousand_qt_calls_and_emits_leave_none_and_true_untouched():
    """What the startup check stands for, measured directly on calls the screens make."""
    timer, pinger = QTimer(), Pinger()
    pinger.ping.connect(lambda _value: None)
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(1000):
        timer.setInterval(10)
        pinger.ping.emit(1)
    assert (sys.getrefcount(None), sys.getrefcount(True)) == before
