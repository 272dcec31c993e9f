"""Real QR images (segno) and real video files (cv2.VideoWriter) for the camera tests and the
camera benchmark. Nothing here decodes: it only draws what a webcam would see."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import segno

TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"
QR_PHOTOS = TESTDATA / "qr-photos"
DGC = TESTDATA / "dgc"

CCCD = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
CCCD_2024 = ("079203004567||Lê Văn Tú|15081985|Nam|Phường Bến Nghé, Quận 1, TP Hồ Chí Minh|"
             "04102024||||")
PCCOVID = "******012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|<1<00<0912345678"
URL = "https://www.example.vn/check-in?site=12&lang=vi"
ENROLMENT_SECRET = "one-time-secret-that-no-screen-may-show-0042"
ENROLMENT = ("ckenrol:1?u=http%3A%2F%2F127.0.0.1%3A8765&k=lane-2&c=CP-QR&s="
             f"{ENROLMENT_SECRET}&e=2026-12-31T00%3A00%3A00Z")
"""A kiosk's enrolment code (kiosk/enrolment.py), as the centre's QR holds it."""

VIETNAMESE_NAMES = (
    "Lê Văn Tú", "Nguyễn Văn An", "Trần Thị Bình", "Phạm Thị Hồng", "Đặng Quốc Việt",
    "Hồ Ngọc Hà", "Bùi Thị Xuân", "Võ Thị Sáu", "Đỗ Mười", "Huỳnh Tấn Phát",
    "Ngô Bảo Châu", "Dương Thu Hương", "Lý Tự Trọng", "Trịnh Công Sơn", "Vũ Trọng Phụng",
    "Phan Bội Châu", "Đoàn Thị Điểm", "Hà Anh Tuấn", "Mỹ Tâm", "Ưng Hoàng Phúc",
)


def hc1_payload() -> str:
    """A real EU DCC 'HC1:' payload from the shared test data (the first country's first)."""
    for path in sorted(DGC.glob("*/2DCode/raw/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        prefix = data.get("PREFIX", "")
        if prefix.startswith("HC1:"):
            return prefix
    raise FileNotFoundError(f"no HC1 PREFIX under {DGC}")


def qr_image(text: str | bytes, *, eci: bool = False, encoding: str | None = "utf-8",
             scale: int = 4, border: int = 4) -> np.ndarray:
    """A grayscale QR image; byte mode with ``encoding`` (and an ECI marker when ``eci``)."""
    code = segno.make_qr(text, encoding=None if isinstance(text, bytes) else encoding,
                         eci=eci, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=border)
    return cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)


def background(width: int, height: int, seed: int = 7) -> np.ndarray:
    """A textured BGR scene (smooth shading, noise, text): something for a decoder to ignore."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(50, 210, (height // 40 + 1, width // 40 + 1, 3)).astype(np.uint8)
    scene = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    scene = np.clip(scene + rng.normal(0, 5, scene.shape), 0, 255).astype(np.uint8)
    for i in range(12):
        x, y = int(rng.integers(0, width - 200)), int(rng.integers(30, height))
        cv2.putText(scene, f"Checkpoint {i}", (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9,
                    (int(rng.integers(0, 255)),) * 3, 2)
    return scene


def place(scene: np.ndarray, code: np.ndarray, *, tilt_deg: float = 0.0,
          perspective: float = 0.0, center: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """Paste a code into a scene, rotated by ``tilt_deg`` and foreshortened by
    ``perspective`` (0..0.3: the share by which the top edge is narrower), like a card held
    at an angle."""
    frame = scene.copy()
    height, width = code.shape[:2]
    src = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    inset = perspective * width / 2
    dst = np.float32([[inset, 0], [width - inset, 0], [width, height], [0, height]])
    cx, cy = center[0] * scene.shape[1], center[1] * scene.shape[0]
    angle = np.deg2rad(tilt_deg)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (dst - [width / 2, height / 2]) @ rotation.T + [cx, cy]
    matrix = cv2.getPerspectiveTransform(src, np.float32(dst))
    size = (scene.shape[1], scene.shape[0])
    warped = cv2.warpPerspective(cv2.cvtColor(code, cv2.COLOR_GRAY2BGR), matrix, size)
    mask = cv2.warpPerspective(np.full(code.shape, 255, np.uint8), matrix, size)
    frame[mask > 127] = warped[mask > 127]
    return frame


def wavy(code: np.ndarray, amplitude: float, waves: float) -> np.ndarray:
    """A code printed on cloth: columns ripple sideways along y, rows up and down along x,
    by ``amplitude`` pixels, ``waves`` ripples across the code."""
    height, width = code.shape[:2]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    dx = amplitude * np.sin(2 * np.pi * waves * ys / height)
    dy = amplitude * np.sin(2 * np.pi * waves * xs / width)
    return cv2.remap(code, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=255)


def blurred(frame: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(frame, (0, 0), sigma)


def glared(frame: np.ndarray, sigma: float) -> np.ndarray:
    """A lamp's reflection on a card held at the frame's centre: white there, fading over
    ``sigma`` pixels (at 120 the middle of a 196-pixel code is washed out, its corners not)."""
    height, width = frame.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width]
    spot = np.exp(-((xs - width / 2) ** 2 + (ys - height / 2) ** 2) / (2 * sigma ** 2))
    return np.minimum(frame + 255.0 * spot[..., None], 255).astype(np.uint8)


@dataclass(frozen=True)
class Shot:
    """``count`` video frames: the scene with ``code`` (or nothing), optionally degraded."""

    count: int
    code: np.ndarray | None = None
    tilt_deg: float = 0.0
    perspective: float = 0.0
    blur_sigma: float = 0.0
    glare_sigma: float = 0.0


def write_video(path: Path, shots: Sequence[Shot], *, size: tuple[int, int] = (1280, 720),
                fps: float = 10.0) -> int:
    """Write the shots as an MJPG .avi; returns the number of frames written."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write {path}")
    scene = background(*size)
    frames = 0
    try:
        for shot in shots:
            frame = scene if shot.code is None else place(
                scene, shot.code, tilt_deg=shot.tilt_deg, perspective=shot.perspective)
            if shot.blur_sigma:
                frame = blurred(frame, shot.blur_sigma)
            if shot.glare_sigma:
                frame = glared(frame, shot.glare_sigma)
            for _ in range(shot.count):
                writer.write(frame)
                frames += 1
    finally:
        writer.release()
    return frames


class MjpegServer:
    """An IP camera on 127.0.0.1: serves ``frames`` JPEG frames per connection as an MJPEG
    stream (multipart/x-mixed-replace) at ``fps``, then drops the connection, as a camera
    that is unplugged or loses power does; or with ``hang``, keeps it open and sends nothing
    more until closed, as a camera or link that freezes does."""

    def __init__(self, frame: np.ndarray, frames: int = 40, fps: float = 30.0,
                 hang: bool = False) -> None:
        import http.server
        import socketserver

        ok, encoded = cv2.imencode(".jpg", frame)
        assert ok
        jpeg = encoded.tobytes()
        self.connections = 0
        self.closed = threading.Event()
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server_self.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                for _ in range(frames):
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                     + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                    self.wfile.flush()
                    time.sleep(1 / fps)
                if hang:
                    server_self.closed.wait()

            def log_message(self, *args: object) -> None:
                pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/camera.mjpg"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()
