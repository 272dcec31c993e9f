"""Flatten a QR code printed on something that is not flat (a shirt, a bent card, a curved
phone case) so a decoder can sample it.

A decoder samples the module grid through one perspective transform fitted to the finder
patterns. On a wavy surface the grid drifts away from that transform in the middle of the
code and the checksum fails (zxing reports such a code as a candidate with an error). Module
edges are periodic, though: after the perspective is removed at ``PIXELS_PER_MODULE``, the
edges near any point should fall on multiples of the module pitch. The phase of the edge
signal at the module frequency, measured in a window of a few modules around each point,
says how far the grid has drifted there, in x and in y. That smooth displacement field is
undone with one remap, and the flattened code goes back to the decoder.
"""

from __future__ import annotations

import cv2
import numpy as np

PIXELS_PER_MODULE = 8
WINDOW_MODULES = 3
"""Half-width of the window the drift is measured in: enough edges for a stable phase,
small enough to follow a fold."""
SMOOTH_MODULES = 2.0
"""Surfaces bend smoothly: the drift field is smoothed over this many modules."""
QUIET_MODULES = 4


def _drift(image: np.ndarray, axis: int) -> np.ndarray:
    """Per-pixel offset (pixels) of the module edges from the ideal grid along ``axis``."""
    pitch = PIXELS_PER_MODULE
    edges = np.abs(np.diff(image.astype(np.float32), axis=axis,
                           append=image[:, -1:] if axis == 1 else image[-1:, :]))
    height, width = edges.shape
    # An edge between pixels i and i+1 lies at i + 0.5.
    angle = 2 * np.pi * (np.arange(width if axis == 1 else height, dtype=np.float32) + 0.5) / pitch
    shape = (1, -1) if axis == 1 else (-1, 1)
    cos, sin = np.cos(angle).reshape(shape), np.sin(angle).reshape(shape)
    window = (2 * WINDOW_MODULES * pitch + 1,) * 2
    real = cv2.boxFilter(edges * cos, -1, window, normalize=False,
                         borderType=cv2.BORDER_CONSTANT)
    imag = cv2.boxFilter(edges * sin, -1, window, normalize=False,
                         borderType=cv2.BORDER_CONSTANT)
    grid = (width // pitch, height // pitch)
    real = cv2.GaussianBlur(cv2.resize(real, grid, interpolation=cv2.INTER_AREA), (0, 0),
                            SMOOTH_MODULES)
    imag = cv2.GaussianBlur(cv2.resize(imag, grid, interpolation=cv2.INTER_AREA), (0, 0),
                            SMOOTH_MODULES)
    offset = (np.arctan2(imag, real) * pitch / (2 * np.pi)).astype(np.float32)
    return cv2.resize(offset, (width, height), interpolation=cv2.INTER_CUBIC)


def flatten(gray: np.ndarray, corners: np.ndarray, modules: int) -> np.ndarray:
    """The code inside ``corners`` (top-left, top-right, bottom-right, bottom-left; pixels of
    ``gray``), ``modules`` wide, as an upright image with a quiet zone and the drift undone."""
    pitch = PIXELS_PER_MODULE
    low, high = QUIET_MODULES * pitch, (modules + QUIET_MODULES) * pitch
    target = np.float32([[low, low], [high, low], [high, high], [low, high]])
    size = (modules + 2 * QUIET_MODULES) * pitch
    matrix = cv2.getPerspectiveTransform(np.float32(corners), target)
    upright = cv2.warpPerspective(gray, matrix, (size, size), flags=cv2.INTER_LINEAR,
                                  borderValue=255)
    xs, ys = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32))
    return cv2.remap(upright, xs + _drift(upright, 1), ys + _drift(upright, 0),
                     cv2.INTER_LINEAR, borderValue=255)
