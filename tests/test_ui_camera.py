"""Camera preview plumbing: OpenCV's BGR frames become correctly coloured QImages with the
decoded codes outlined, whatever shape the camera's preview() and stats() answers take."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QColor
from ui_support import ROOT  # noqa: F401 (sets the offscreen platform)

from kiosk.ui.camera_preview import stats_lines, unpack_preview
from kiosk.ui.widgets import frame_to_image


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


def test_decoded_codes_are_outlined_in_green_and_the_frame_itself_is_untouched():
    frame = two_colour_frame()
    original = frame.copy()
    image = frame_to_image(frame, [[(20, 20), (60, 20), (60, 60), (20, 60)]])
    assert image.pixelColor(40, 20).name() == "#00e676"
    assert image.pixelColor(40, 40) == QColor(0, 0, 255)  # inside: not filled
    assert np.array_equal(frame, original)


@dataclass
class Preview:
    frame: np.ndarray
    outlines: list
    time: float


@dataclass
class Stats:
    fps: float
    decoded: int


def test_preview_answers_as_tuple_or_object_and_stats_as_dict_or_dataclass():
    frame = two_colour_frame()
    outline = [(1, 1), (5, 1), (5, 5)]
    assert unpack_preview(None) is None
    assert unpack_preview((None, [], 0.0)) is None
    unpacked = unpack_preview((frame, [outline], 1.5))
    assert unpacked is not None and unpacked[0] is frame and unpacked[1] == [outline]
    unpacked = unpack_preview(Preview(frame, [outline], 1.5))
    assert unpacked is not None and unpacked[1] == [outline]
    assert stats_lines({"fps": 29.97, "decoded": 3}) == ["fps: 30.0", "decoded: 3"]
    assert stats_lines(Stats(fps=12.0, decoded=1)) == ["fps: 12.0", "decoded: 1"]
