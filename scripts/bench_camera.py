"""Camera decoding benchmark: speed per frame and exact-read rates, per backend, on one core.

    .venv/bin/python scripts/bench_camera.py [--seconds 2] [--cpu N] [--synthetic 24]

Backends compared in the same run:
  zxing    one zxing-cpp pass (what a user of the zxing-cpp wheel alone gets), reading QR
           Model 2, Model 1 and Micro QR as the kiosk does
  zxing-m2 the same pass for QR Model 2 only, as the kiosk did before (speed tables only: the
           cost of also looking for Model 1 and Micro QR, also measured with the two passes
           alternating frame by frame)
  zbar     one libzbar pass in binary mode (byte-exact; see kiosk/devices/qr_decoders.py)
  pyzbar   pyzbar.decode as people use it (text mode: zbar guesses the encoding)
  opencv   cv2.QRCodeDetector (read rates only)
  default  the kiosk's FrameDecoder: zxing, plus second passes on unread QR candidates

Speed: BGR frames (as a camera gives them) with a code, without one, with a small code, with
a code the first pass cannot read (second passes run there, within 250 ms/s), and the real
photos scaled to the frame size (real camera texture), decoded in turn.
Read rates (payload bytes compared exactly; a different text is "wrong", nothing a "miss"):
the real photos in ../shared/testdata/qr-photos, the EU DCC "HC1:" images in
../shared/testdata/dgc (png/ folders and the base64 2DCODE of raw JSONs; expected = PREFIX),
a synthetic degraded set generated here (blur, tilt, glare, low contrast, phone-screen moiré,
small codes, codes rippled as on cloth), and 20 Vietnamese names encoded as UTF-8 without
ECI. For still images the default pipeline runs without its per-second budget (a camera sees
a code in many frames).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from camera_support import (  # noqa: E402  (the tests' drawing helpers, not a decoder)
    CCCD,
    DGC,
    PCCOVID,
    QR_PHOTOS,
    URL,
    VIETNAMESE_NAMES,
    background,
    hc1_payload,
    place,
    qr_image,
    wavy,
)
from pyzbar import pyzbar  # noqa: E402

from kiosk.certificates import cose  # noqa: E402
from kiosk.devices.frames import FrameDecoder, to_gray  # noqa: E402
from kiosk.devices.qr_decoders import read_zbar, read_zxing  # noqa: E402

Reader = Callable[[np.ndarray], list[bytes]]


def readers(budget: float | None) -> dict[str, Reader]:
    default = FrameDecoder(rescue_ms_per_s=budget)
    return {
        "zxing": lambda f: [r.payload for r in read_zxing(to_gray(f)).readings],
        "zxing-m2": lambda f: [r.bytes for r in zxingcpp.read_barcodes(
            to_gray(f), formats=zxingcpp.BarcodeFormat.QRCodeModel2,
            text_mode=zxingcpp.TextMode.HexECI, return_errors=True) if r.valid],
        "zbar": lambda f: [r.payload for r in read_zbar(to_gray(f))],
        "pyzbar": lambda f: [d.data for d in pyzbar.decode(to_gray(f))
                             if d.type == "QRCODE"],
        "default": lambda f: [r.payload for r in default.decode(f).readings],
        "opencv": opencv_read,
    }


def opencv_read(frame: np.ndarray) -> list[bytes]:
    """cv2.QRCodeDetector as people use it: text out (UTF-8 re-encoded), raises on some."""
    try:
        text, _, _ = cv2.QRCodeDetector().detectAndDecode(frame)
    except cv2.error:
        return []
    return [text.encode("utf-8")] if text else []


# --- speed ----------------------------------------------------------------------------------

def unreadable_code(width: int, height: int) -> np.ndarray:
    """A code the first pass finds but cannot read (washed out, small, soft)."""
    code = (qr_image(CCCD, scale=2).astype(np.float32) * 0.18 + 150).astype(np.uint8)
    return cv2.GaussianBlur(place(background(width, height), code, tilt_deg=8), (0, 0), 0.8)


def fill(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """A photo scaled to cover the frame and centre-cropped: real camera texture and noise."""
    factor = max(width / image.shape[1], height / image.shape[0])
    big = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    top, left = (big.shape[0] - height) // 2, (big.shape[1] - width) // 2
    return big[top:top + height, left:left + width]


def speed_frames(width: int, height: int) -> dict[str, list[np.ndarray]]:
    scene = background(width, height)
    big = 4 if height >= 720 else 3
    return {
        "code": [place(scene, qr_image(CCCD, scale=big), tilt_deg=10)],
        "no code": [scene],
        "small code": [place(scene, qr_image(CCCD, scale=2), tilt_deg=10)],
        "unreadable code": [unreadable_code(width, height)],
        "the 50 real photos, scaled": [fill(image, width, height)
                                       for _, image, _ in photo_set()],
    }


def fps(reader: Reader, frames: list[np.ndarray], seconds: float) -> tuple[float, float]:
    """(frames per second, median ms per frame) over ``seconds`` of decoding the frames in
    turn."""
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < len(frames):
        started = time.perf_counter()
        reader(frames[len(times) % len(frames)])
        times.append(time.perf_counter() - started)
    return len(times) / sum(times), statistics.median(times) * 1000


def interleaved(first: Reader, second: Reader, frames: list[np.ndarray], rounds: int
                ) -> tuple[float, float]:
    """Median ms per frame of two readers called alternately on the same frames: load that
    comes and goes hits both alike, unlike two back-to-back timed runs."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(rounds):
        frame = frames[i % len(frames)]
        for reader, samples in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            reader(frame)
            samples.append(time.perf_counter() - started)
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


# --- data sets ------------------------------------------------------------------------------

def photo_set() -> Iterator[tuple[str, np.ndarray, set[bytes]]]:
    for text in sorted(QR_PHOTOS.glob("*/*.txt")):
        image = next(p for p in text.parent.glob(text.stem + ".*") if p.suffix != ".txt")
        yield str(image.relative_to(QR_PHOTOS)), cv2.imread(str(image)), {text.read_bytes()}


def _png(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def dgc_set() -> Iterator[tuple[str, np.ndarray, set[bytes]]]:
    """Raw JSONs' 2DCODE images (expected: their PREFIX), then png/ images: expected the
    PREFIX of the raw JSON with the same name, else any PREFIX of that country."""
    prefixes: dict[str, dict[str, bytes]] = {}
    for raw in sorted(DGC.glob("*/2DCode/[Rr]aw/*.json")):
        try:
            data = json.loads(raw.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        prefix = data.get("PREFIX", "")
        if not prefix.startswith("HC1:"):
            continue
        country = raw.relative_to(DGC).parts[0]
        prefixes.setdefault(country, {})[raw.stem] = prefix.encode()
        if data.get("2DCODE"):
            image = _png(base64.b64decode(data["2DCODE"]))
            if image is not None:
                yield str(raw.relative_to(DGC)), image, {prefix.encode()}
    for png in sorted([*DGC.glob("*/png/*.png"), *DGC.glob("*/2DCode/png/*.png")]):
        if "aztec" in png.name.lower():
            continue
        known = prefixes.get(png.relative_to(DGC).parts[0], {})
        expected = {known[png.stem]} if png.stem in known else set(known.values())
        if expected:
            yield str(png.relative_to(DGC)), cv2.imread(str(png)), expected


def _moire(code: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A code on a phone screen filmed by a webcam: the screen's subpixel grid, resampled at
    a slightly different pitch (aliasing), a little soft."""
    height, width = code.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    pitch = rng.uniform(2.6, 3.4)
    grid = 0.75 + 0.25 * np.cos(2 * np.pi * xx / pitch) * np.cos(2 * np.pi * yy / pitch)
    lit = np.clip(code * grid * 0.85 + 25, 0, 255).astype(np.uint8)
    factor = rng.uniform(0.55, 0.8)
    small = cv2.resize(lit, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _glare(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height, width = frame.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width]
    cx, cy = width * rng.uniform(0.4, 0.6), height * rng.uniform(0.4, 0.6)
    radius = min(width, height) * rng.uniform(0.08, 0.14)
    spot = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * radius ** 2)))
    return np.clip(frame + spot[..., None] * rng.uniform(120, 190), 0, 255).astype(np.uint8)


DEGRADATIONS = ("blur", "tilt", "glare", "low contrast", "moiré", "small", "wavy")


def synthetic_set(per_kind: int, seed: int = 2024) -> Iterator[tuple[str, np.ndarray, set[bytes]]]:
    """Generated frames (640×480 scenes) for each degradation, payloads of every kind."""
    rng = np.random.default_rng(seed)
    texts = [CCCD, PCCOVID, URL, hc1_payload(), *(f"001099{i:06d}||{name}|01021990|Nam|"
                                                    f"Hà Nội|10102021" for i, name in
                                                    enumerate(VIETNAMESE_NAMES))]
    scene = background(640, 480, seed=seed)
    for kind in DEGRADATIONS:
        for i in range(per_kind):
            text = texts[int(rng.integers(len(texts)))]
            long = len(text) > 200
            scale = 2 if kind == "small" else (2 if long else int(rng.integers(3, 5)))
            code = qr_image(text, scale=scale)
            tilt = float(rng.uniform(-30, 30))
            if kind == "low contrast":
                code = (code.astype(np.float32) * rng.uniform(0.12, 0.2)
                        + rng.uniform(90, 160)).astype(np.uint8)
            if kind == "moiré":
                code = _moire(code, rng)
            if kind == "wavy":  # printed on cloth: ripples of 0.2–0.45 module
                code = wavy(code, float(rng.uniform(0.2, 0.45)) * scale,
                            float(rng.uniform(1.0, 3.0)))
            if kind == "small":  # 1.3–1.8 pixels per module
                factor = float(rng.uniform(0.65, 0.9))
                code = cv2.resize(code, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
            frame = place(scene, code, tilt_deg=tilt if kind in ("tilt", "glare") else tilt / 4,
                          perspective=float(rng.uniform(0.15, 0.3)) if kind == "tilt" else 0.0)
            if kind == "blur":
                frame = cv2.GaussianBlur(frame, (0, 0), float(rng.uniform(1.2, 2.2)))
            if kind == "glare":
                frame = _glare(frame, rng)
            if kind == "small":
                frame = cv2.GaussianBlur(frame, (0, 0), 0.6)
            yield f"{kind}/{i}", frame, {text.encode()}


def intact_hc1(payload: bytes) -> bool:
    """An HC1 text whose Base45, zlib (with its Adler-32 checksum) and COSE unpack: a misread
    code cannot pass that, so it is a real certificate — just not the one named by PREFIX."""
    try:
        cose.unpack(payload.decode("ascii"))
    except (cose.UnpackError, UnicodeDecodeError):
        return False
    return True


def read_rate(reader: Reader, items: list[tuple[str, np.ndarray, set[bytes]]]
              ) -> tuple[int, int, int, int, list[str]]:
    """(exact, other intact HC1, wrong, miss, names of the wrong ones)."""
    exact = other = wrong = miss = 0
    wrong_names = []
    for name, image, expected in items:
        got = set(reader(image))
        if got & expected:
            exact += 1
        elif got and all(next(iter(expected)).startswith(b"HC1:") and intact_hc1(g)
                         for g in got):
            other += 1
        elif got:
            wrong += 1
            wrong_names.append(name)
        else:
            miss += 1
    return exact, other, wrong, miss, wrong_names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per speed measurement")
    parser.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)))
    parser.add_argument("--synthetic", type=int, default=24, help="frames per degradation")
    parser.add_argument("--speed-only", action="store_true", help="frame rates, no read rates")
    parser.add_argument("--rounds", type=int, default=400,
                        help="alternating calls per frame set for the Model 1 + Micro QR cost")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    cv2.setNumThreads(1)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, Python "
          f"{platform.python_version()}, OpenCV {cv2.__version__}; pinned to CPU {args.cpu}; "
          f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    live = readers(budget=250.0)
    print("\n| frame | backend | frames/s | ms per frame (median) |\n|---|---|---|---|")
    for width, height in ((640, 480), (1280, 720)):
        for label, frame in speed_frames(width, height).items():
            for backend in ("zxing-m2", "zxing", "zbar", "default"):
                rate, ms = fps(live[backend], frame, args.seconds)
                print(f"| {width}×{height} {label} | {backend} | {rate:.0f} | {ms:.2f} |")
    print("\n| frame | zxing-m2 ms (median) | zxing ms (median) | added ms |\n|---|---|---|---|")
    for width, height in ((640, 480), (1280, 720)):
        for label, frame in speed_frames(width, height).items():
            m2, every = interleaved(live["zxing-m2"], live["zxing"], frame, args.rounds)
            print(f"| {width}×{height} {label} | {m2:.3f} | {every:.3f} | {every - m2:+.3f} |")
    if args.speed_only:
        return 0

    still = readers(budget=None)
    sets = {
        "qr-photos (real photos)": list(photo_set()),
        "dgc HC1 images": list(dgc_set()),
        f"synthetic degraded ({args.synthetic} per kind)": list(synthetic_set(args.synthetic)),
    }
    for kind in DEGRADATIONS:
        sets[f"  synthetic: {kind}"] = [s for s in sets[
            f"synthetic degraded ({args.synthetic} per kind)"] if s[0].startswith(kind + "/")]
    sets["20 Vietnamese names, UTF-8, no ECI"] = [
        (name, cv2.cvtColor(qr_image(name), cv2.COLOR_GRAY2BGR), {name.encode()})
        for name in VIETNAMESE_NAMES]
    print("\n| set | images | backend | exact | other intact HC1 ¹ | wrong text | missed |\n"
          "|---|---|---|---|---|---|---|")
    for set_name, items in sets.items():
        for backend in ("zxing", "zbar", "pyzbar", "opencv", "default"):
            exact, other, wrong, miss, names = read_rate(still[backend], items)
            shown = (f" ({', '.join(names[:3])})"
                     if names and backend not in ("pyzbar", "opencv") else "")
            print(f"| {set_name} | {len(items)} | {backend} | {exact} | {other or ''} | "
                  f"{wrong}{shown} | {miss} |")
    print("\n¹ the image holds a different, intact certificate than its JSON's PREFIX (or than "
          "any PREFIX of that country, for png/ files without a same-named JSON)")
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
