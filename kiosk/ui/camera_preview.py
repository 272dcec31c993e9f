"""Live preview of a camera device, polled off the GUI thread.

The running camera (kiosk/devices/camera.py, reached through ``supervisor.device(id)``)
offers ``preview()`` — the newest decoded BGR frame with the outlines of the codes it read
and of QR-shaped things it could not read — and ``stats()`` (fps, ms per frame, frames
seen, last payload, state). Both are fetched and the frame converted to a QImage in the io
lane; only the finished image and the statistics' lines, worded in the screen's language,
reach the GUI thread. The last payload is described as ``kiosk devices watch`` describes a
scan: its kind and who, the document number masked; an enrolment code without its secret.
A new poll starts only when the previous one has answered, so a slow camera never piles up
work. A picture older than STALE_SECONDS (a camera that froze, or went away and is being
reconnected) turns grey and says its age: a frozen picture must not pass for a live one.
A camera the supervisor no longer runs (an error, a wait before retrying) shows its state
and why in place of its statistics, whose last words were "running".
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk import RELEASED
from kiosk.devices.diagnostics import describe_payload
from kiosk.devices.supervisor import DeviceStatus
from kiosk.messages import text
from kiosk.ui.bridge import KioskBridge
from kiosk.ui.i18n import screen_language
from kiosk.ui.widgets import FrameView, frame_to_image, state_text

POLL_MS = 200
STALE_SECONDS = 2.0
"""A picture older than this is labelled with its age (a live camera's is ~0.1 s old)."""


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
        self.age = QLabel()
        self.age.setVisible(False)
        layout.addWidget(self.age)
        self._picture: QImage | None = None
        self._captured_at = 0.0
        self._stale = False
        self.stats = QLabel()
        self.stats.setVisible(with_stats)
        self.stats.setWordWrap(True)
        layout.addWidget(self.stats)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    def watch(self, device_id: str | None) -> None:
        self.device_id = device_id
        self._picture, self._stale = None, False
        self.view.set_image(None)
        self.view.setText(self.tr("No picture yet") if device_id else "")
        self.age.setVisible(False)
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
        shown_at = self._captured_at

        def fetch() -> tuple[QImage | None, float, list[str] | DeviceStatus | None]:
            supervisor = self.bridge.kiosk.supervisor
            device = supervisor.device(device_id)
            if device is None or not hasattr(device, "preview"):  # dropped: why, instead
                return None, 0.0, next((status for status in supervisor.status()
                                        if status.device_id == device_id), None)
            preview = device.preview()
            if preview is None or preview.captured_at == shown_at:
                image, captured_at = None, 0.0  # nothing new: not converted again
            else:
                image, captured_at = frame_to_image(
                    preview.frame, read=preview.read, unread=preview.unread), preview.captured_at
            return image, captured_at, (stats_lines(device.stats(), language, timezone,
                                                    earliest_day) if with_stats else [])

        self.bridge.run(fetch, done=self._show, failed=self._failed, job="ui.job.preview")

    def _show(self, answer: tuple[QImage | None, float, list[str] | DeviceStatus | None]
              ) -> None:
        self._in_flight = False
        image, captured_at, lines = answer
        if isinstance(lines, DeviceStatus):  # no longer "running": the supervisor's state
            lines = [words for words in (state_text(lines.state),
                                         lines.reason_in(screen_language())) if words]
        if image is not None:
            self._picture, self._captured_at, self._stale = image, captured_at, False
            self.view.set_image(image)
        self._mark_age(time.time() - self._captured_at)
        if lines:
            self.stats.setText(" · ".join(lines))

    def _mark_age(self, age: float) -> None:
        """Grey the picture and say its age once it is older than STALE_SECONDS."""
        if self._picture is None:
            return
        stale = age > STALE_SECONDS
        if stale != self._stale:
            self._stale = stale
            self.view.set_image(self._picture.convertToFormat(QImage.Format.Format_Grayscale8)
                                if stale else self._picture)
        self.age.setVisible(stale)
        if stale:
            self.age.setText(text("camera.picture_age", screen_language(), seconds=int(age)))

    def _failed(self, error: BaseException) -> None:
        self._in_flight = False
        self.stats.setText(str(error))
