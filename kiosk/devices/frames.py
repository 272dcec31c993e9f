"""Frame → payloads, and payloads over time → scans. Pure: no camera, no threads, no clock
of its own (times are passed in), so it is tested on recorded frames and synthetic timelines.

``FrameDecoder`` ("zxing", the default) reads every frame with one zxing-cpp pass (~2 ms
at 1280×720 on one core). When that pass finds a QR-shaped thing it cannot read (a failed
checksum or format: a finder-pattern candidate) it tries harder on that region: another
binarizer, a sharpened copy, the code flattened (printed on cloth or a bent card: see
kiosk.devices.qr_unwarp), zbar in byte-exact mode, a darker gamma, an upscaled copy.
When it finds nothing QR-like at all, one whole-frame pass runs, alternating between a
sharpened copy and a twice-as-large sharpened copy (soft, washed-out or tiny codes hide even
their finder patterns). On a live camera they run until each has failed BLIND_TRIES times on
the scene, and again only when the scene changes (``SceneGate``): a kiosk with nobody in
front of it pays for the first pass only. All second passes draw on a time
budget per second (``rescue_ms_per_s``) and start only while the frame has spent less than
``FRAME_RESCUE_MS`` on them, so neither an unreadable code in view nor an empty scene can
drag the frame rate down: the first pass on every frame is never skipped, and a frame costs
at most the first pass, FRAME_RESCUE_MS and one more pass. A chain of region passes cut
short goes on where it stopped in the next frame, so every pass still gets its turn.
"zbar" reads the whole frame with zbar alone (slower; kept selectable and for comparison).

``SightingFilter`` turns "seen in this frame" into "one person, one scan".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import cv2
import numpy as np

from kiosk.devices.qr_decoders import (
    Candidate,
    Outline,
    Point,
    Reading,
    ZbarUnavailable,
    read_zbar,
    read_zxing,
    zbar_available,
)
from kiosk.devices.qr_unwarp import flatten

log = logging.getLogger(__name__)

BACKENDS = ("zxing", "zbar")
ROI_MARGIN = 0.25
"""A candidate's box grows by this share of its size on each side (quiet zone, a bad outline)."""
UPSCALE_BELOW = 360
"""Regions smaller than this (pixels, longer side) are also tried at twice the size."""
UPSCALE_FRAMES_BELOW = 1281
"""Whole frames up to 1280 pixels wide are tried at twice the size when nothing QR-like was
seen (larger frames resolve small codes well enough, and would cost too much)."""
BLIND_TRIES = 8
"""Each whole-frame pass is tried this often on an unchanged scene (about half a second at
30 fps) before it waits for a change: fresh sensor noise tips a borderline code now and then.
Chosen on the synthetic set of scripts/bench_camera.py (seed 7, each still held for 30 noisy
frames): 147, 148, 151, 151 of 168 read for 1, 4, 8, 15 tries; 151 without the gate."""
FRAME_RESCUE_MS = 25.0
"""No second pass starts once a frame has spent this long on them (a camera delivers a frame
every 33 ms at 30 fps). Before, one frame could spend the whole second's 250 ms: review
revcam saw 200–285 ms (wall time, busy machine) on one hard code at 640×480, a preview frozen
for ~8 frames. Chosen on half of that review's set: 15, 25, 40 ms and no cap read the same
(docs/benchmarks.md, "A frame's share of the second passes")."""
SCENE_CELL = 16
"""The scene is compared as the means of cells this many pixels square: a camera's noise
averages out in them, a card moved by a few pixels does not."""
SCENE_CHANGE = 8
"""A cell whose mean moved by more than this many grey levels is a changed scene (sensor
noise of σ 2.5 moves a 16×16 cell's mean by ~0.2; a card's edge moved 2 px, by ~15)."""


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
    """A token bucket of milliseconds: refills at ``ms_per_s``, holds at most one second's;
    of it, one frame may start passes only while it has spent less than ``ms_per_frame``."""

    def __init__(self, ms_per_s: float | None, clock: Callable[[], float] = time.perf_counter,
                 ms_per_frame: float = FRAME_RESCUE_MS):
        self.ms_per_s = ms_per_s
        self.ms_per_frame = ms_per_frame
        self.clock = clock
        self.tokens = ms_per_s or 0.0
        self.last = clock()
        self.frame_spent = 0.0

    def new_frame(self) -> None:
        self.frame_spent = 0.0

    def available(self) -> bool:
        if self.ms_per_s is None:
            return True
        now = self.clock()
        self.tokens = min(self.ms_per_s, self.tokens + (now - self.last) * self.ms_per_s)
        self.last = now
        return self.tokens > 0 and self.frame_spent < self.ms_per_frame

    def spend(self, ms: float) -> None:
        if self.ms_per_s is not None:
            self.tokens -= ms
            self.frame_spent += ms


def _region(gray: np.ndarray, candidate: Candidate) -> tuple[np.ndarray, Point, Candidate]:
    """The candidate's box plus a margin → (region, its origin in the frame, the candidate
    in region coordinates)."""
    xs = [p[0] for p in candidate.outline]
    ys = [p[1] for p in candidate.outline]
    margin_x = (max(xs) - min(xs)) * ROI_MARGIN + 4
    margin_y = (max(ys) - min(ys)) * ROI_MARGIN + 4
    height, width = gray.shape[:2]
    x0, x1 = max(0, int(min(xs) - margin_x)), min(width, int(max(xs) + margin_x) + 1)
    y0, y1 = max(0, int(min(ys) - margin_y)), min(height, int(max(ys) + margin_y) + 1)
    local = Candidate(tuple((x - x0, y - y0) for x, y in candidate.outline), candidate.modules)
    return gray[y0:y1, x0:x1], (x0, y0), local


_GAMMA_DARKEN = np.array([((i / 255.0) ** 2) * 255 for i in range(256)], np.uint8)


Pass = Callable[[np.ndarray], list[Reading]]


def _sharpened(gray: np.ndarray) -> np.ndarray:
    """Unsharp mask: restores module edges softened by focus, motion or a screen's glow."""
    return cv2.addWeighted(gray, 2.0, cv2.GaussianBlur(gray, (0, 0), 2.0), -1.0, 0)


RegionPass = Callable[[np.ndarray, Candidate], list[Reading]]


def _on_region(read: Pass) -> RegionPass:
    return lambda roi, candidate: read(roi)


def _read_flattened(roi: np.ndarray, candidate: Candidate) -> list[Reading]:
    """A code on a wavy surface: undo the drift of its module grid (kiosk.devices.qr_unwarp)."""
    if candidate.modules is None:
        return []
    flat = flatten(roi, np.float32(candidate.outline), candidate.modules)
    return [Reading(r.payload, r.symbology, candidate.outline, "zxing-flattened")
            for r in read_zxing(flat).readings]


def _region_passes(zbar: bool) -> list[RegionPass]:
    """Second passes on a candidate's region, cheapest and most productive first (measured
    on real photos and the synthetic degraded set of scripts/bench_camera.py)."""
    passes: list[RegionPass] = [
        _on_region(lambda roi: read_zxing(roi, "histogram").readings),
        _on_region(lambda roi: read_zxing(_sharpened(roi)).readings),
        _read_flattened,
    ]
    if zbar:
        passes.append(_on_region(read_zbar))
    passes.append(_on_region(lambda roi: read_zxing(cv2.LUT(roi, _GAMMA_DARKEN)).readings))
    passes.append(_on_region(_read_upscaled))
    return passes


BLIND_PASSES: list[Pass] = [
    lambda gray: read_zxing(_sharpened(gray)).readings,
    lambda gray: _read_upscaled(gray, only_below=UPSCALE_FRAMES_BELOW),
]
"""Whole-frame passes for frames where the first pass saw nothing QR-like at all (soft or
low-contrast codes hide even their finder patterns). A live camera runs one per frame, in
turn, within the budget: the code stays in view for many frames."""


def _read_upscaled(image: np.ndarray, only_below: int = UPSCALE_BELOW) -> list[Reading]:
    """Twice the size, then sharpened: codes under ~2 pixels per module (far away, or a
    low-resolution camera). Images already large enough are left to the other passes."""
    if max(image.shape[:2]) >= only_below:
        return []
    big = _sharpened(cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))
    return [_moved(r, 0.5, (0, 0)) for r in read_zxing(big).readings]


class SceneGate:
    """Remembers a scene on which the whole-frame passes have failed ``tries`` times, so that
    they are not run on it again until it changes (someone steps in, the card moves, the light
    changes)."""

    def __init__(self, tries: int) -> None:
        self.tries = tries
        self.scene: np.ndarray | None = None
        self.tried = 0

    def worth_trying(self, gray: np.ndarray) -> bool:
        thumb = cv2.resize(gray, (max(1, gray.shape[1] // SCENE_CELL),
                                  max(1, gray.shape[0] // SCENE_CELL)),
                           interpolation=cv2.INTER_AREA).astype(np.int16)
        if self.scene is None or self.scene.shape != thumb.shape or bool(
                (np.abs(thumb - self.scene) > SCENE_CHANGE).any()):
            self.scene, self.tried = thumb, 0
        return self.tried < self.tries

    def failed(self, runs: int) -> None:
        self.tried += runs

    def forget(self) -> None:
        """Something QR-like was seen: the next empty scene is tried afresh."""
        self.scene = None


class FrameDecoder:
    """One frame in, the codes it holds out (deduplicated by payload).

    ``rescue_ms_per_s`` bounds the time spent on second passes; None means no bound (still
    images: every pass runs), 0 turns them off. ``rescue_ms_per_frame``: no second pass
    starts once the frame has spent this long on them.
    """

    def __init__(self, backend: str = "zxing", rescue_ms_per_s: float | None = 250.0,
                 clock: Callable[[], float] = time.perf_counter,
                 rescue_ms_per_frame: float = FRAME_RESCUE_MS) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend {backend!r}: expected one of {', '.join(BACKENDS)}")
        self.backend = backend
        self.clock = clock
        self.budget = RescueBudget(rescue_ms_per_s, clock, rescue_ms_per_frame)
        self.unbounded = rescue_ms_per_s is None
        self.region_passes: list[RegionPass] = []
        self.blind_passes: list[Pass] = []
        self._next_blind = 0
        self._next_region = 0
        """The region pass where the last chain was cut short: the next frame starts there."""
        self.scene_gate = SceneGate(len(BLIND_PASSES) * BLIND_TRIES)
        if backend == "zbar":
            read_zbar(np.full((8, 8), 255, np.uint8))  # fail now (ZbarUnavailable), not later
        elif rescue_ms_per_s != 0:
            with_zbar = zbar_available()
            if not with_zbar:
                log.info("zbar not available: camera second passes run without it")
            self.region_passes = _region_passes(with_zbar)
            self.blind_passes = BLIND_PASSES

    def decode(self, frame: np.ndarray) -> FrameResult:
        gray = to_gray(frame)
        self.budget.new_frame()
        if self.backend == "zbar":
            return FrameResult(tuple(_unique(_safely(read_zbar, gray))), ())
        first = read_zxing(gray)
        if first.readings or first.candidates:
            self.scene_gate.forget()
        if first.readings:
            return FrameResult(tuple(_unique(first.readings)),
                               tuple(c.outline for c in first.candidates))
        if first.candidates:
            return self._rescue_regions(gray, _distinct(first.candidates))
        return self._rescue_blind(gray)

    def _attempt(self, passes: list[Pass], image: np.ndarray) -> tuple[list[Reading], int]:
        """Run passes in order until one reads, while the budget lasts → (readings, runs)."""
        runs = 0
        for read in passes:
            if not self.budget.available():
                break
            started = self.clock()
            found = _safely(read, image)
            runs += 1
            self.budget.spend((self.clock() - started) * 1000)
            if found:
                return found, runs
        return [], runs

    def _rescue_regions(self, gray: np.ndarray, candidates: list[Candidate]) -> FrameResult:
        readings: list[Reading] = []
        unread: list[Outline] = []
        runs = 0
        for candidate in candidates:
            roi, origin, local = _region(gray, candidate)
            start = self._next_region
            order = self.region_passes[start:] + self.region_passes[:start]
            found, tried = self._attempt([partial(read, candidate=local) for read in order], roi)
            runs += tried
            cut = not found and tried < len(order)
            self._next_region = (start + tried) % len(order) if cut else 0
            if found:
                readings.extend(_moved(r, 1.0, origin) for r in found)
            else:
                unread.append(candidate.outline)
        return FrameResult(tuple(_unique(readings)), tuple(unread), runs)

    def _rescue_blind(self, gray: np.ndarray) -> FrameResult:
        if not self.blind_passes:
            return FrameResult((), ())
        if self.unbounded:
            passes = self.blind_passes
        elif self.scene_gate.worth_trying(gray):
            passes = [self.blind_passes[self._next_blind % len(self.blind_passes)]]
            self._next_blind += 1
        else:
            return FrameResult((), ())
        found, runs = self._attempt(passes, gray)
        if found:
            self.scene_gate.forget()
        else:
            self.scene_gate.failed(runs)
        return FrameResult(tuple(_unique(found)), (), runs)


def _distinct(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One candidate per place: zxing-cpp 3.1 reports some unreadable codes twice (same
    version, outlines a few pixels apart), and each copy would pay the whole chain of second
    passes (flattening alone is 18–30 ms at 640×480)."""
    kept: list[Candidate] = []
    for candidate in candidates:
        if not any(_same_place(candidate.outline, other.outline) for other in kept):
            kept.append(candidate)
    return kept


def _safely(read: Pass, image: np.ndarray) -> list[Reading]:
    try:
        return read(image)
    except ZbarUnavailable:
        raise
    except Exception:  # any decoder may raise on a stranger's code: a miss, not a crash
        log.debug("second pass failed", exc_info=True)
        return []


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


UNREAD_HOLD_MS = 10_000.0
"""An unread code where a sighting's code was keeps that sighting alive at most this long
after its last read: a card tilted into glare is read again well within it, while a
QR-like print on the wall behind the spot where cards are held must not silence that card
for good."""


@dataclass
class _Track:
    last_ms: float
    """When the code was last in view: read, or an unread code where it was."""
    read_ms: float
    outline: Outline | None = None
    """Where it was last in view (frame pixels), to recognise it while it cannot be read."""
    frames: int = 1
    emitted: bool = False


def _box(outline: Outline) -> tuple[float, float, float, float]:
    xs = [p[0] for p in outline]
    ys = [p[1] for p in outline]
    return min(xs), min(ys), max(xs), max(ys)


def _same_place(a: Outline, b: Outline) -> bool:
    """Either outline's centre lies inside the other's box: the same code, outlined a bit
    differently (a finder-pattern candidate vs a read) or moved a little."""
    boxes = _box(a), _box(b)
    for (x0, y0, x1, y1), (u0, v0, u1, v1) in (boxes, boxes[::-1]):
        cx, cy = (u0 + u1) / 2, (v0 + v1) / 2
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            return True
    return False


@dataclass
class SightingFilter:
    """One person, one scan.

    A payload becomes a scan once it has been seen in ``confirm_frames`` frames, none of them
    more than ``absent_ms`` apart; after that it stays silent while it is in view, and counts
    again only after it has been out of view for more than ``absent_ms``. A code the decoder
    still locates but cannot read (glare, a tilt) where the payload was last seen is still in
    view, for up to ``UNREAD_HOLD_MS`` after its last read: a card held steadily through a
    reflection is one scan, not two. Times are the frames' capture times in milliseconds
    (media time for a video file).
    """

    absent_ms: float
    confirm_frames: int = 1
    _tracks: dict[bytes, _Track] = field(default_factory=dict)

    def update(self, payloads: Iterable[bytes], now_ms: float, *,
               outlines: Mapping[bytes, Outline] | None = None,
               unread: Sequence[Outline] = ()) -> list[bytes]:
        """The payloads read in one frame (with their ``outlines`` when known) and the
        ``unread`` QR-shaped outlines it holds → the payloads that are new scans now, in
        frame order."""
        new: list[bytes] = []
        seen = dict.fromkeys(payloads)
        for payload in seen:
            outline = (outlines or {}).get(payload)
            track = self._tracks.get(payload)
            if track is None or now_ms - track.last_ms > self.absent_ms:
                track = self._tracks[payload] = _Track(now_ms, now_ms, outline)
            else:
                track.frames += 1
                track.last_ms = track.read_ms = now_ms
                track.outline = outline or track.outline
            if not track.emitted and track.frames >= self.confirm_frames:
                track.emitted = True
                new.append(payload)
        for payload, track in self._tracks.items():
            if payload in seen or track.outline is None:
                continue
            if now_ms - track.read_ms > UNREAD_HOLD_MS:
                continue
            for candidate in unread:
                if _same_place(track.outline, candidate):
                    track.last_ms, track.outline = now_ms, candidate
                    break
        for payload in [p for p, t in self._tracks.items() if now_ms - t.last_ms > self.absent_ms]:
            del self._tracks[payload]
        return new
