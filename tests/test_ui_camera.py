"""Camera on the screens: OpenCV's BGR frames become correctly coloured QImages with the
codes outlined, and a real camera device (a video file written with OpenCV) shows its
picture on the officer screen and its statistics on the technician screen while its scans
reach the result card."""

from __future__ import annotations

import numpy as np
from camera_support import CCCD, Shot, qr_image, write_video
from PySide6.QtGui import QColor
from ui_support import (  # noqa: F401
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.devices.camera import CameraStats
from kiosk.ui.camera_preview import stats_lines
from kiosk.ui.widgets import OUTLINE_READ, OUTLINE_UNREAD, frame_to_image


def two_colour_frame() -> np.ndarray:
    frame = np.zeros((120, 160, 3), dtype=np.uint8)
    frame[:, :80] = (255, 0, 0)  # BGR: blue on the left
    frame[:, 80:] = (0, 0, 255)  # red on the right
    return frame


def test_a_bgr_frame_keeps_its_colours_and_size():
    image = frame_to_image(two_colour_frame())
    assert (image.width(), image.height()) == (160, 120)
    assert image.pixelColor(10, 60) == QColor(0, 0, 255)
    assert image.pixelColor(150, 60) == QColor(255, 0, 0)


def test_a_grey_frame_is_shown_as_grey():
    frame = np.full((40, 60), 200, dtype=np.uint8)
    assert frame_to_image(frame).pixelColor(5, 5) == QColor(200, 200, 200)


def test_read_codes_are_outlined_green_unread_ones_amber_and_the_frame_is_untouched():
    frame = two_colour_frame()
    original = frame.copy()
    image = frame_to_image(frame, read=[((20, 20), (60, 20), (60, 60), (20, 60))],
                           unread=[((100, 20), (140, 20), (140, 60), (100, 60))])
    assert image.pixelColor(40, 20).name() == OUTLINE_READ
    assert image.pixelColor(120, 20).name() == OUTLINE_UNREAD
    assert image.pixelColor(40, 40) == QColor(0, 0, 255)  # inside: not filled
    assert np.array_equal(frame, original)


def test_camera_statistics_read_as_lines_without_empty_values():
    stats = CameraStats(capture_fps=29.97, frames_seen=12, state="running")
    assert stats_lines(stats) == ["capture_fps: 30.0", "decode_fps: 0.0",
                                  "ms_per_frame_p50: 0.0", "frames_seen: 12", "state: running"]


def test_a_camera_shows_its_picture_and_its_scans_reach_the_card(make_window, qtbot, tmp_path):
    video = tmp_path / "gate.avi"
    write_video(video, [Shot(3), Shot(12, qr_image(CCCD, scale=4))], size=(640, 480), fps=10)
    device = (f'\n[[devices]]\nid = "cam"\ntype = "camera"\nlane = "in"\nsource = "{video}"\n'
              "loop = true\n")
    window = make_window(write_config(tmp_path, device))
    preview = window.officer.camera
    assert preview.isVisible() and preview.device_id == "cam"
    qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=20000)
    assert window.officer.card.name.text() == "Nguyễn Văn An"
    qtbot.waitUntil(lambda: preview.view.image is not None, timeout=10000)
    assert (preview.view.image.width(), preview.view.image.height()) == (640, 480)

    window._show_technician()
    technician = window.technician
    technician.table.selectRow(0)
    technician.tabs.setCurrentWidget(technician.camera)
    assert technician.tabs.isTabEnabled(2)
    qtbot.waitUntil(lambda: "frames_seen" in technician.camera.stats.text(), timeout=10000)
    assert "state: running" in technician.camera.stats.text()
