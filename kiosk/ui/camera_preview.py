"""Live preview of a camera device, polled off the GUI thread.

The running camera (kiosk/devices/camera.py, reached through ``supervisor.device(id)``)
offers ``preview()`` — the newest decoded BGR frame with the outlines of the codes it read
and of QR-shaped things it could not read — and ``stats()`` (fps, ms per frame, frames
seen, last payload, state). Both are fetched and the frame converted to a QImage in the io
lane; only the finished image reaches the GUI thread. A new poll starts only when the
previous one has answered, so a slow camera never piles up work.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from kiosk.ui.bridge import KioskBridge
from kiosk.ui.widgets import FrameView, frame_to_image

POLL_MS = 200


def stats_lines(stats: Any) -> list[str]:
    """The camera's CameraStats as ``name: value`` lines (empty values left out)."""
    return [f"{key}: {_number(value)}" for key, value in asdict(stats).items()
            if value not in ("", None)]


def _number(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


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

        def fetch() -> tuple[QImage | None, list[str]]:
            device = self.bridge.kiosk.supervisor.device(device_id)
            if device is None or not hasattr(device, "preview"):
                return None, []
            preview = device.preview()
            image = None if preview is None else frame_to_image(
                preview.frame, read=preview.read, unread=preview.unread)
            return image, stats_lines(device.stats()) if with_stats else []

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
