"""Webcam (or video file, or stream) → Scans, through OpenCV capture and kiosk.devices.frames.

Two threads: a capture thread reads frames into a one-frame slot, always replacing the
previous one (a live camera never builds a queue: the decoder works on the newest frame);
the device's own ``run`` thread decodes. A video file is a recording, not a live view: every
frame is decoded (the capture waits for the slot to be taken) and the frame's media time is
the clock, so a file gives the same scans however fast the machine is; with ``loop = true``
it is paced at its own frame rate, like a camera, for demos.

API for the technician and officer screens (through ``supervisor.device(id)``):

- ``preview() -> Preview | None``: the newest decoded frame (a BGR numpy copy, at most
  ``preview_fps`` new ones a second), the outlines of the codes read (``read``) and of
  QR-shaped things not read (``unread``) as point lists in frame pixels, and
  ``captured_at`` (wall-clock seconds).
- ``stats() -> CameraStats``: capture fps, decode fps, ms per frame (median of the last
  100), frames seen, the last payload (for checking a setup; an enrolment code's one-time
  secret already masked), the state ("opening", "running", "ended", "stopped", "error"),
  the last problem in words, and the frame size the camera really delivers;
  ``CameraStats.words()`` is the figures' sentence, as the check command prints them.

A missing or vanished camera raises DeviceError with a message in Vietnamese and English;
the supervisor shows it and retries with backoff. A camera or stream that stays connected but
stops sending is vanished too: the decode thread watches the time since the last frame, as a
read blocked inside OpenCV can never say so itself (a stream's reads are also given a timeout,
so the stuck capture thread ends and lets go of its connection).
"""

from __future__ import annotations

import errno
import logging
import os
import statistics
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from kiosk.commandline import (
    CommandParser,
    decimal_number_argument,
    examples,
    output_path_argument,
    whole_number_argument,
)
from kiosk.devices.access import user_name
from kiosk.devices.base import DeviceError, Emit
from kiosk.devices.discovery import camera_node
from kiosk.devices.frames import FrameDecoder, SightingFilter
from kiosk.devices.kinds.camera import CameraOptions
from kiosk.devices.qr_decoders import Outline, ZbarUnavailable
from kiosk.enrolment import masked
from kiosk.messages import Words, both, os_words
from kiosk.private_files import existing_output, replace_file
from kiosk.scan import Scan
from kiosk.schema import ConfigError

log = logging.getLogger(__name__)

STALL_SECONDS = 3.0
"""A live camera that delivers no frame for this long is treated as gone (unplugged)."""
OPEN_SECONDS = 10.0
"""How long the first frame of a stream or camera may take to arrive."""


@dataclass(frozen=True)
class Preview:
    frame: np.ndarray
    read: tuple[Outline, ...]
    unread: tuple[Outline, ...]
    captured_at: float


@dataclass(frozen=True)
class CameraStats:
    capture_fps: float = 0.0
    decode_fps: float = 0.0
    ms_per_frame_p50: float = 0.0
    frames_seen: int = 0
    last_payload: bytes = b""
    """The last code read, as :func:`kiosk.enrolment.masked` leaves it: still a person's
    whole document, to be described (``describe_payload``), never shown as it is."""
    state: str = "opening"
    problem: str = ""
    frame_size: tuple[int, int] | None = None
    """(width, height) the camera really delivers: it may ignore the configured size."""

    def words(self) -> Words:
        """The state, frame size, rates and frames seen as one sentence of the catalogue
        (``camera.stats``), for the check command and the technician's Camera tab."""
        size = "×".join(map(str, self.frame_size)) if self.frame_size else Words(
            "camera.no_frame")
        return Words("camera.stats", {
            "state": Words(f"camera.state.{self.state}"), "size": size,
            "capture": f"{self.capture_fps:.1f}", "decode": f"{self.decode_fps:.1f}",
            "ms": f"{self.ms_per_frame_p50:.1f}", "frames": self.frames_seen})


@dataclass(frozen=True)
class _Frame:
    image: np.ndarray
    t_ms: float
    """Capture time: monotonic ms for a live source, media time (growing across loops) for a
    file."""
    wall: float


def open_problem(node: str, error: int, user: str) -> Words:
    """Why the camera node ``node`` could not be opened, told by the system's ``error``
    (an errno), with what to do for each: gone, the ``video`` group ``user`` lacks, another
    program holding it. OpenCV tells none of them (a warning on stderr, ``isOpened()``
    False), so the node is opened first (:func:`probe_node`)."""
    if error in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return Words("camera.not_found", {"source": node})
    if error in (errno.EACCES, errno.EPERM):
        return Words("camera.no_permission", {"source": node, "user": user})
    if error == errno.EBUSY:
        return Words("camera.busy", {"source": node})
    return Words("camera.open_failed", {"source": node,
                                        "reason": os_words(OSError(error, ""))})


def probe_node(node: str) -> Words | None:
    """None if this account can open the camera node ``node`` as OpenCV does (read and
    write, without blocking), else why not (:func:`open_problem`)."""
    try:
        fd = os.open(node, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError as exc:
        return open_problem(node, exc.errno or 0, user_name(os.geteuid()))
    os.close(fd)
    return None


def open_capture(source: int | str) -> tuple[cv2.VideoCapture, bool]:
    """Open ``source`` (index, /dev/videoN, file, URL) → (capture, is_file). Raises
    DeviceError with a bilingual message when there is nothing to open."""
    node = camera_node(source)
    if node is not None:
        if (problem := probe_node(node)) is not None:
            raise DeviceError(problem.code, **problem.params)
        capture = cv2.VideoCapture(node, cv2.CAP_V4L2)
        if not capture.isOpened():  # opened by this account, refused by the driver
            capture.release()
            raise DeviceError("camera.cannot_start", source=node)
        return capture, False
    if "://" in source:
        timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(OPEN_SECONDS * 1000),
                    cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(STALL_SECONDS * 1000)]
        capture, is_file = cv2.VideoCapture(source, cv2.CAP_ANY, timeouts), False
    else:
        if not Path(source).is_file():
            raise DeviceError("camera.no_file", source=source)
        capture, is_file = cv2.VideoCapture(source), True
    if not capture.isOpened():
        capture.release()
        raise DeviceError("camera.cannot_open", source=source)
    return capture, is_file


class _Capture(threading.Thread):
    """Reads frames into a one-frame slot; ``take`` hands out the newest one. It owns the
    capture and releases it when its read loop ends: never under a read blocked in OpenCV."""

    def __init__(self, capture: cv2.VideoCapture, is_file: bool, loop: bool,
                 stop: threading.Event, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.capture = capture
        self.is_file = is_file
        self.loop = loop
        self.stop = stop
        self.file_fps = (capture.get(cv2.CAP_PROP_FPS) or 30.0) if is_file else 0.0
        self.cond = threading.Condition()
        self.slot: _Frame | None = None
        self.done = False
        self.error: DeviceError | None = None
        self.times: deque[float] = deque(maxlen=60)
        self.started = time.monotonic()

    def run(self) -> None:
        try:
            self._read_loop()
        except Exception as exc:  # OpenCV raising inside read(): report it, do not vanish
            self.error = DeviceError("camera.read_failed", detail=exc)
        finally:
            self.capture.release()
            with self.cond:
                self.done = True
                self.cond.notify_all()

    def _read_loop(self) -> None:
        index, offset_ms = 0, 0.0
        while not self.stop.is_set():
            ok, image = self.capture.read()
            now = time.monotonic()
            if not ok:
                if self.is_file:
                    if not self.loop or index == 0:
                        return
                    self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    offset_ms += index * 1000.0 / self.file_fps
                    index = 0
                    continue
                if self.stalled(now):
                    self.error = DeviceError("camera.stopped")
                    return
                time.sleep(0.02)
                continue
            self.times.append(now)
            if self.is_file:
                frame = _Frame(image, offset_ms + index * 1000.0 / self.file_fps, time.time())
                index += 1
                if self.loop:
                    time.sleep(max(0.0, (1.0 / self.file_fps) - (time.monotonic() - now)))
            else:
                frame = _Frame(image, now * 1000.0, time.time())
            with self.cond:
                # A file loses no frame: wait until the decoder took the last one.
                while self.is_file and not self.loop and self.slot is not None:
                    if self.stop.is_set():
                        return
                    self.cond.wait(0.1)
                self.slot = frame
                self.cond.notify_all()

    def take(self, timeout: float) -> _Frame | None:
        """The newest frame not yet taken; None at the end (or on timeout)."""
        with self.cond:
            if self.slot is None and not self.done:
                self.cond.wait(timeout)
            frame, self.slot = self.slot, None
            self.cond.notify_all()
            return frame

    def stalled(self, now: float) -> bool:
        """A live source that sent no frame for STALL_SECONDS (OPEN_SECONDS for the first)."""
        if self.is_file:
            return False
        if self.times:
            return now - self.times[-1] > STALL_SECONDS
        return now - self.started > OPEN_SECONDS

    def fps(self) -> float:
        return _rate(self.times, time.monotonic())


def _rate(times: deque[float], now: float) -> float:
    """Frames per second over the recent ones, up to ``now``: it falls when frames stop."""
    if len(times) < 2 or now <= times[0]:
        return 0.0
    return (len(times) - 1) / (now - times[0])


@dataclass
class _Counters:
    decode_times: deque[float] = field(default_factory=lambda: deque(maxlen=60))
    ms: deque[float] = field(default_factory=lambda: deque(maxlen=100))
    frames: int = 0
    last_payload: bytes = b""
    frame_size: tuple[int, int] | None = None


class CameraDevice:
    def __init__(self, options: CameraOptions) -> None:
        self.options = options
        self.id = options.id
        self.lane = options.lane
        self.source = options.source
        self._lock = threading.Lock()
        self._preview: Preview | None = None
        self._counters = _Counters()
        self._capture: _Capture | None = None
        self._state, self._problem = "opening", ""

    def preview(self) -> Preview | None:
        with self._lock:
            return self._preview

    def stats(self) -> CameraStats:
        with self._lock:
            c = self._counters
            return CameraStats(
                capture_fps=round(self._capture.fps(), 1) if self._capture else 0.0,
                decode_fps=round(_rate(c.decode_times, time.monotonic()), 1),
                ms_per_frame_p50=round(statistics.median(c.ms), 2) if c.ms else 0.0,
                frames_seen=c.frames, last_payload=c.last_payload,
                state=self._state, problem=self._problem, frame_size=c.frame_size)

    def _set_state(self, state: str, problem: str = "") -> None:
        with self._lock:
            self._state, self._problem = state, problem

    def _open(self) -> tuple[cv2.VideoCapture, bool]:
        capture, is_file = open_capture(self.source)
        if not is_file:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.options.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.options.height)
            capture.set(cv2.CAP_PROP_FPS, self.options.fps)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return capture, is_file

    def run(self, emit: Emit, stop: threading.Event) -> None:
        try:
            decoder = FrameDecoder(self.options.backend, self.options.rescue_ms_per_s)
            capture, is_file = self._open()
        except (DeviceError, ZbarUnavailable) as exc:
            self._set_state("error", str(exc))
            raise DeviceError(exc.words.code, **exc.words.params) from exc
        halt = threading.Event()
        reader = _Capture(capture, is_file, self.options.loop, halt, f"camera-{self.id}-capture")
        self._capture = reader
        reader.start()
        self._set_state("running")
        try:
            stalled = self._decode_loop(reader, decoder, emit, stop)
        finally:
            halt.set()
            reader.join(2.0)  # a read blocked in OpenCV is left to its timeout
        error = stalled or reader.error
        if error is not None and not stop.is_set():
            self._set_state("error", str(error))
            raise error
        self._set_state("ended" if not stop.is_set() else "stopped")

    def _decode_loop(self, reader: _Capture, decoder: FrameDecoder, emit: Emit,
                     stop: threading.Event) -> DeviceError | None:
        """Decode until stopped or the capture ends → the watchdog's verdict when the source
        stopped sending while its read is blocked (None otherwise)."""
        sightings = SightingFilter(self.options.absent_ms, self.options.confirm_frames)
        preview_every = 1.0 / self.options.preview_fps if self.options.preview_fps else None
        next_preview = 0.0
        while not stop.is_set():
            frame = reader.take(0.2)
            if frame is None:
                if reader.done:
                    return None
                if reader.stalled(time.monotonic()):
                    return DeviceError("camera.stopped")
                continue
            started = time.perf_counter()
            result = decoder.decode(frame.image)
            elapsed_ms = (time.perf_counter() - started) * 1000
            by_payload = {r.payload: r for r in result.readings}
            outlines = {payload: r.outline for payload, r in by_payload.items()}
            for payload in sightings.update(by_payload, frame.t_ms, outlines=outlines,
                                            unread=result.candidates):
                emit(Scan(payload=payload, device_id=self.id, lane=self.lane,
                          symbology=by_payload[payload].symbology, source="camera"))
                with self._lock:
                    self._counters.last_payload = masked(payload)
            now = time.monotonic()
            with self._lock:
                self._counters.frames += 1
                self._counters.frame_size = (frame.image.shape[1], frame.image.shape[0])
                self._counters.ms.append(elapsed_ms)
                self._counters.decode_times.append(now)
                if preview_every is not None and now >= next_preview:
                    next_preview = now + preview_every
                    self._preview = Preview(
                        frame.image.copy(), tuple(r.outline for r in result.readings),
                        result.candidates, frame.wall)
        return None


def draw_preview(preview: Preview) -> np.ndarray:
    """The preview frame with read codes outlined in green, unread candidates in red."""
    image = preview.frame.copy()
    for outlines, colour in ((preview.read, (0, 200, 0)), (preview.unread, (0, 0, 230))):
        for outline in outlines:
            points = np.array(outline, np.int32).reshape(-1, 1, 2)
            cv2.polylines(image, [points], True, colour, 3)
    return image


PROG = "python -m kiosk.devices.camera"


def build_parser() -> CommandParser:
    """The camera check's command line, refused in both languages as ``kiosk``'s."""
    parser = CommandParser(
        prog=PROG,
        description="Open a camera (index, /dev/videoN, file or URL), print what it reads and "
                    "its speed every second; optionally save a preview picture.",
        **examples(f"{PROG} /dev/video0 --seconds 15 --snapshot /tmp/cam.jpg",
                   f"{PROG} /dev/v4l/by-id/usb-046d_C920-video-index0 --width 1920 "
                   "--height 1080",
                   f"{PROG} recording.mp4   # a video file, or rtsp://… a stream"))
    parser.add_argument("source", help="0, /dev/video0, /dev/v4l/by-id/..., a file or a URL")
    parser.add_argument("--seconds", type=decimal_number_argument("--seconds"), default=10.0,
                        help="how long (default 10)")
    schema = CameraOptions.schema()
    parser.add_argument("--width", type=whole_number_argument("--width"),
                        default=schema["width"].default)
    parser.add_argument("--height", type=whole_number_argument("--height"),
                        default=schema["height"].default)
    parser.add_argument("--backend", choices=schema["backend"].choices,
                        default=schema["backend"].default)
    parser.add_argument("--snapshot", type=output_path_argument,
                        help="save the last preview (with outlines) to this .jpg/.png")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.devices.camera SOURCE``: check a camera without the kiosk running."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        options = CameraOptions.validate("camera", {
            "id": "check", "type": "camera", "source": args.source, "width": args.width,
            "height": args.height, "backend": args.backend, "preview_fps": 5})
    except ConfigError as exc:
        parser.error(str(exc))
    if args.snapshot and (refusal := existing_output(args.snapshot, force=True,
                                                     example="cam.jpg")) is not None:
        parser.refuse(refusal)  # before the camera is opened
    device = CameraDevice(options)
    stop = threading.Event()
    failure: list[BaseException] = []

    def show(scan: Scan) -> None:
        shown = masked(scan.payload)  # an enrolment code's one-time secret stays hidden
        print(f"{both('camera.scan')} {scan.symbology or '-'} "
              f"{shown.decode('utf-8', 'replace')!r}", flush=True)

    def work() -> None:
        try:
            device.run(show, stop)
        except DeviceError as exc:
            failure.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    deadline = time.monotonic() + args.seconds
    while thread.is_alive() and time.monotonic() < deadline:
        thread.join(1.0)
        print(device.stats().words().worded(None), flush=True)
    stop.set()
    thread.join(5.0)
    preview = device.preview()
    if args.snapshot and preview is not None:
        _, picture = cv2.imencode(Path(args.snapshot).suffix, draw_preview(preview))
        # 0600: the picture is of whatever was held up, a citizen's card or QR code
        replace_file(args.snapshot, picture.tobytes(), output=True)
        print(both("camera.preview_saved", path=args.snapshot))
    if failure:
        print(f"{both('camera.error')}: {failure[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
