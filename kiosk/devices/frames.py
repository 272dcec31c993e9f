"""Frame → payloads, and payloads over time → scans. Pure: no camera, no threads, no clock
of its own (times are passed in), so it is tested on recorded frames and synthetic timelines.

``FrameDecoder`` ("zxing", the default) reads every frame with one zxing-cpp pass (~2–5 ms
at 1280×720 on one core). Only when that pass finds a QR-shaped thing it cannot read (a
failed checksum or format: a finder-pattern candidate) does it try harder on that region:
another binarizer, zbar in byte-exact mode, a darker gamma, an upscaled copy. Those passes
draw on a time budget per second (``rescue_ms_per_s``), so a code that stays unreadable in
view cannot drag the frame rate down, and frames with no code never pay for them.
"zbar" reads the whole frame with zbar alone (slower; kept selectable and for comparison).

``SightingFilter`` turns "seen in this frame" into "one person, one scan".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np

from kiosk.devices.qr_decoders import (
    Outline,
    Point,
    Reading,
    ZbarUnavailable,
    read_zbar,
    read_zxing,
    zbar_available,
)

log = logging.getLogger(__name__)

BACKENDS = ("zxing", "zbar")
ROI_MARGIN = 0.25
"""A candidate's box grows by this share of its size on each side (quiet zone, a bad outline)."""
UPSCALE_BELOW = 360
"""Regions smaller than this (pixels, longer side) are also tried at twice the size."""


def to_gray(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return frame
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


@dataclass(frozen=True)
class FrameResult:
    readings: tuple[Reading, ...]
    candidates: tuple[Outline, ...]
    """QR-shaped regions that no pass could read (shown in the preview; say "hold still")."""
    rescue_passes: int = 0


class RescueBudget:
    """A token bucket of milliseconds: refills at ``ms_per_s``, holds at most one second's."""

    def __init__(self, ms_per_s: float | None, clock: Callable[[], float] = time.perf_counter):
        self.ms_per_s = ms_per_s
        self.clock = clock
        self.tokens = ms_per_s or 0.0
        self.last = clock()

    def available(self) -> bool:
        if self.ms_per_s is None:
            return True
        now = self.clock()
        self.tokens = min(self.ms_per_s, self.tokens + (now - self.last) * self.ms_per_s)
        self.last = now
        return self.tokens > 0

    def spend(self, ms: float) -> None:
        if self.ms_per_s is not None:
            self.tokens -= ms


def _region(gray: np.ndarray, outline: Outline) -> tuple[np.ndarray, Point]:
    xs = [p[0] for p in outline]
    ys = [p[1] for p in outline]
    margin_x = (max(xs) - min(xs)) * ROI_MARGIN + 4
    margin_y = (max(ys) - min(ys)) * ROI_MARGIN + 4
    height, width = gray.shape[:2]
    x0, x1 = max(0, int(min(xs) - margin_x)), min(width, int(max(xs) + margin_x) + 1)
    y0, y1 = max(0, int(min(ys) - margin_y)), min(height, int(max(ys) + margin_y) + 1)
    return gray[y0:y1, x0:x1], (x0, y0)


_GAMMA_DARKEN = np.array([((i / 255.0) ** 2) * 255 for i in range(256)], np.uint8)


def _rescue_passes(zbar: bool) -> list[tuple[str, Callable[[np.ndarray], list[Reading]]]]:
    """Second passes, cheapest and most productive first (measured on real photos)."""
    passes: list[tuple[str, Callable[[np.ndarray], list[Reading]]]] = [
        ("zxing-histogram", lambda roi: read_zxing(roi, "histogram").readings),
    ]
    if zbar:
        passes.append(("zbar", read_zbar))
    passes.append(("zxing-gamma", lambda roi: read_zxing(cv2.LUT(roi, _GAMMA_DARKEN)).readings))
    passes.append(("zxing-upscaled", _read_upscaled))
    return passes


def _read_upscaled(roi: np.ndarray) -> list[Reading]:
    if max(roi.shape[:2]) >= UPSCALE_BELOW:
        return []
    big = cv2.resize(roi, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    return [_moved(r, 0.5, (0, 0)) for r in read_zxing(big).readings]


class FrameDecoder:
    """One frame in, the codes it holds out (deduplicated by payload)."""

    def __init__(self, backend: str = "zxing", rescue_ms_per_s: float | None = 250.0,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r}: expected one of {', '.join(BACKENDS)}")
        self.backend = backend
        self.clock = clock
        self.budget = RescueBudget(rescue_ms_per_s, clock)
        if backend == "zbar":
            read_zbar(np.full((8, 8), 255, np.uint8))  # fail now (ZbarUnavailable), not later
            self.passes = []
        else:
            with_zbar = zbar_available()
            if not with_zbar:
                log.info("zbar not available: camera second passes run without it")
            self.passes = _rescue_passes(with_zbar) if rescue_ms_per_s != 0 else []

    def decode(self, frame: np.ndarray) -> FrameResult:
        gray = to_gray(frame)
        if self.backend == "zbar":
            return FrameResult(tuple(_unique(_zbar_safely(gray))), ())
        first = read_zxing(gray)
        if first.readings or not first.candidates:
            return FrameResult(tuple(_unique(first.readings)), tuple(first.candidates))
        return self._rescue(gray, first.candidates)

    def _rescue(self, gray: np.ndarray, candidates: list[Outline]) -> FrameResult:
        readings: list[Reading] = []
        unread: list[Outline] = []
        runs = 0
        for outline in candidates:
            roi, origin = _region(gray, outline)
            found: list[Reading] = []
            for _name, read in self.passes:
                if not self.budget.available():
                    break
                started = self.clock()
                found = _safely(read, roi)
                runs += 1
                self.budget.spend((self.clock() - started) * 1000)
                if found:
                    break
            if found:
                readings.extend(_moved(r, 1.0, origin) for r in found)
            else:
                unread.append(outline)
        return FrameResult(tuple(_unique(readings)), tuple(unread), runs)


def _safely(read: Callable[[np.ndarray], list[Reading]], image: np.ndarray) -> list[Reading]:
    try:
        return read(image)
    except ZbarUnavailable:
        raise
    except Exception:  # any decoder may raise on a stranger's code: a miss, not a crash
        log.debug("second pass failed", exc_info=True)
        return []


def _zbar_safely(gray: np.ndarray) -> list[Reading]:
    return _safely(read_zbar, gray)


def _moved(reading: Reading, scale: float, origin: Point) -> Reading:
    """The reading with its outline scaled, then moved by ``origin`` (region → frame)."""
    outline = tuple((int(x * scale) + origin[0], int(y * scale) + origin[1])
                    for x, y in reading.outline)
    return Reading(reading.payload, reading.symbology, outline, reading.decoder)


def _unique(readings: Iterable[Reading]) -> list[Reading]:
    seen: dict[bytes, Reading] = {}
    for reading in readings:
        seen.setdefault(reading.payload, reading)
    return list(seen.values())


@dataclass
class _Track:
    last_ms: float
    frames: int = 1
    emitted: bool = False


@dataclass
class SightingFilter:
    """One person, one scan.

    A payload becomes a scan once it has been seen in ``confirm_frames`` frames, none of them
    more than ``absent_ms`` apart; after that it stays silent while it is in view, and counts
    again only after it has been out of view for more than ``absent_ms``. Times are the
    frames' capture times in milliseconds (media time for a video file).
    """

    absent_ms: float
    confirm_frames: int = 1
    _tracks: dict[bytes, _Track] = field(default_factory=dict)

    def update(self, payloads: Iterable[bytes], now_ms: float) -> list[bytes]:
        """The payloads seen in one frame → those that are new scans now, in frame order."""
        new: list[bytes] = []
        for payload in dict.fromkeys(payloads):
            track = self._tracks.get(payload)
            if track is None or now_ms - track.last_ms > self.absent_ms:
                track = self._tracks[payload] = _Track(now_ms)
            else:
                track.frames += 1
                track.last_ms = now_ms
            if not track.emitted and track.frames >= self.confirm_frames:
                track.emitted = True
                new.append(payload)
        for payload in [p for p, t in self._tracks.items() if now_ms - t.last_ms > self.absent_ms]:
            del self._tracks[payload]
        return new
