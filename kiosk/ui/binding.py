"""Is this Qt binding safe to run for weeks?

PySide6 6.12.0 on Python 3.11 returns ``None`` from every call that returns nothing without
taking a reference to it (Python ≥ 3.12 makes ``None`` immortal, which hides the bug). The
count of ``None`` falls with every label update and timer start until the interpreter frees
it and aborts ("none_dealloc"): at a busy lane, within hours. ``run_ui`` refuses such a
binding with this module's message instead of crashing in front of a queue.
"""

from __future__ import annotations

import platform
import sys

import PySide6
from PySide6.QtCore import QTimer

from kiosk.messages import text

PROBE_CALLS = 64


def binding_refusal(language: str) -> str | None:
    """Why ``kiosk run`` will not show its window with this binding, in ``language`` (exit
    4, :data:`kiosk.commandline.EXIT_BINDING`), or None: said by the window's start and by
    ``kiosk run --check-config``, the unit's check before each start."""
    problem = reference_leak()
    return None if problem is None else text("cli.qt_refused", language, problem=problem)


def reference_leak() -> str | None:
    """Why this PySide6 cannot be used, or None when calls keep reference counts right."""
    timer = QTimer()
    before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        timer.setInterval(10)
    if before - sys.getrefcount(None) < PROBE_CALLS:
        return None
    return (f"PySide6 {PySide6.__version__} with Python {platform.python_version()} loses a "
            "reference to None on every Qt call; the kiosk would abort after a few hours. "
            "Install another version: pip install 'PySide6>=6.6,<6.12'")
