"""``camera``: a webcam, a video file or a stream, decoded frame by frame (OpenCV, zxing-cpp)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices.kind import DeviceKind, DeviceOptions, Discovery
from kiosk.messages import Words
from kiosk.schema import opt


@dataclass(frozen=True, kw_only=True)
class CameraOptions(DeviceOptions):
    source: str | int = opt(0, expected="config.expect.camera_source")
    width: int = opt(1280, minimum=160, maximum=7680)
    height: int = opt(720, minimum=120, maximum=4320)
    fps: int = opt(30, minimum=1, maximum=240)
    backend: str = opt("zxing", choices=("zxing", "zbar"))
    absent_ms: int = opt(1500, minimum=0, maximum=60_000)
    confirm_frames: int = opt(1, minimum=1, maximum=30)
    loop: bool = opt(False)
    rescue_ms_per_s: int = opt(250, minimum=0, maximum=1000)
    preview_fps: int = opt(10, minimum=0, maximum=60)


KIND = DeviceKind(
    name="camera",
    options=CameraOptions,
    device="kiosk.devices.camera:CameraDevice",
    decoder=None,  # frames, not a byte or key stream: see kiosk.devices.frames
    capture=None,  # a recorded video file is its capture: source = "file.mp4"
    watch=None,
    discovery=Discovery("kiosk.devices.discovery:cameras", Words("device.section.camera"),
                        "video4linux", ("/dev/video*", "/dev/v4l/*"), "source", write=True,
                        resolve="kiosk.devices.discovery:resolve_camera"),
    advice=None,
)
