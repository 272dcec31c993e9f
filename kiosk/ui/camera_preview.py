"""Live preview of a camera device, polled off the GUI thread.

The running camera (kiosk/devices/camera.py, reached through ``supervisor.device(id)``)
offers ``preview()`` — the newest decoded BGR frame with the outlines of the codes it read
and of QR-shaped things it could not read — and ``stats()`` (fps, ms per frame, frames
seen, last payload, state). Both are fetched and the frame converted to a QImage in the io
lane; only the finished image and the statistics' lines, worded in the screen's language,
reach the GUI thread. The last payload is described as ``kiosk devices watch`` describes a
scan: its kind and who, the document number masked; an enrolment code without its secret.
A new poll starts only when the previous one has answered, so a slow camera never piles up
work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk import RELEASED
from kiosk.devices.diagnostics import describe_payload
from kiosk.messages import text
from kiosk.ui.bridge import KioskBridge
from kiosk.ui.i18n import screen_language
from kiosk.ui.widgets import FrameView, frame_to_image

POLL_MS = 200


def stats_lines(stats: Any, language: str, timezone: ZoneInfo | None = None,
                earliest_day: dt.date = RELEASED) -> list[str]:
    """The camera's CameraStats in ``language``: its figures as the check command words
    them, the last code read (``describe_payload``: never its document number or an
    enrolment code's secret; ``timezone`` and ``earliest_day`` judge a CCCD's dates as the
    kiosk does), and the last problem."""
    lines = [stats.words()(language)]
    if stats.last_payload:
        read = describe_payload(stats.last_payload, timezone, earliest_day=earliest_day,
                                language=language)
        lines.append(text("camera.last_read", language, read=read))
    if stats.problem:
        lines.append(stats.problem)
    return lines


class CameraPreview(QWidget):
    def __init__(self, bridge: KioskBridge, *, with_stats: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.device_id: str | None = None
        self._in_flight = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = FrameView()
        layout.addWidget(self.view, 1)
        self.stats = QLabel()
        self.stats.setVisible(with_stats)
        self.stats.setWordWrap(True)
        layout.addWidget(self.stats)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def watch(self, device_id: str | None) -> None:
        self.device_id = device_id
        self.view.set_image(None)
        self.view.setText(self.tr("No picture yet") if device_id else "")
        self.stats.clear()
        if device_id:
            self._timer.start()
        else:
            self._timer.stop()

    def _poll(self) -> None:
        if self._in_flight or not self.isVisible() or self.device_id is None:
            return
        self._in_flight = True
        device_id = self.device_id
        with_stats = self.stats.isVisible()
        language = screen_language()
        timezone = self.bridge.config.timezone
        earliest_day = self.bridge.kiosk.pipeline.earliest_day

        def fetch() -> tuple[QImage | None, list[str]]:
            device = self.bridge.kiosk.supervisor.device(device_id)
            if device is None or not hasattr(device, "preview"):
                return None, []
            preview = device.preview()
            image = None if preview is None else frame_to_image(
                preview.frame, read=preview.read, unread=preview.unread)
            return image, (stats_lines(device.stats(), language, timezone, earliest_day)
                           if with_stats else [])

        self.bridge.run(fetch, done=self._show, failed=self._failed)

    def _show(self, answer: tuple[QImage | None, list[str]]) -> None:
        self._in_flight = False
        image, lines = answer
        if image is not None:
            self.view.set_image(image)
        if lines:
            self.stats.setText(" · ".join(lines))

    def _failed(self, error: BaseException) -> None:
        self._in_flight = False
        self.stats.setText(str(error))
