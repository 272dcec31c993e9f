"""``kiosk devices watch``: the technician's live view of one device.

Opens the device's raw source (or a capture file), shows every read or key event through
``Diagnostics`` — raw input, decoded scans and their payload kind — optionally saves what
arrives as a capture, and ends with the suggested settings.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from kiosk import config as config_mod
from kiosk.devices.base import DeviceError, say
from kiosk.devices.captures import CaptureWriter, load_capture
from kiosk.devices.decoders import KINDS
from kiosk.devices.diagnostics import Diagnostics
from kiosk.devices.stream import Idle, Item


def kind_of_path(path: str) -> str:
    name = os.path.basename(os.path.realpath(path))
    if os.path.isfile(path):
        return "capture"
    if name.startswith("hidraw"):
        return "hidraw"
    if name.startswith("event") or "/input/" in path:
        return "evdev"
    if name.startswith("video"):
        return "camera"
    return "serial"


def watch_options(args: argparse.Namespace) -> dict[str, Any]:
    """The device dict to watch: a configured id, or a path with command-line settings."""
    target: str = args.device
    overrides = {k: v for k, v in (
        ("baudrate", args.baud), ("terminator", args.terminator), ("layout", args.layout),
        ("mode", args.mode), ("idle_gap_ms", args.idle_gap_ms), ("hex_mode", args.hex),
    ) if v is not None}
    if os.path.exists(target) or target.startswith("/"):
        kind = kind_of_path(target)
        if kind == "capture":
            capture = load_capture(target)
            return {"id": Path(target).stem, "type": capture.format, **capture.settings,
                    **overrides, "capture": target}
        key = {"serial": "port"}.get(kind, "path" if kind != "camera" else "source")
        data: dict[str, Any] = {"id": Path(target).name, "type": kind, key: target}
    else:
        config = config_mod.load(args.config)
        devices = {d["id"]: d for d in config.devices}
        if target not in devices:
            raise DeviceError(say(
                f"không có thiết bị '{target}' trong {args.config} (có: {', '.join(devices)})",
                f"no device '{target}' in {args.config} (configured: {', '.join(devices)})"))
        data = dict(devices[target])
        if data["type"] == "replay" and data.get("format", "lines") in KINDS:
            capture = load_capture(data["path"])
            return {"id": target, "type": capture.format, "lane": data.get("lane", "toggle"),
                    **capture.settings, **overrides, "capture": data["path"]}
    if data["type"] not in KINDS:
        raise DeviceError(say(
            f"không xem trực tiếp được thiết bị loại {data['type']}",
            f"cannot watch a {data['type']} device here (watch works for serial, evdev, "
            "hidraw and captures; cameras: use the technician screen)"))
    data.update({k: v for k, v in overrides.items()
                 if k in config_mod.DEVICE_TYPES[data["type"]]})
    data.pop("enabled", None)
    return config_mod.validate_device(0, data)


def _live_items(options: dict[str, Any], stop: threading.Event) -> tuple[Iterator[Item], Any]:
    from kiosk.devices import build_device

    if "capture" in options:
        return iter(load_capture(options["capture"]).items), None
    device = build_device(options)
    device.open()  # type: ignore[attr-defined]
    return device.items(stop), device  # type: ignore[attr-defined]


def watch(options: dict[str, Any], out: TextIO, *, count: int = 0, seconds: float = 0.0,
          save: str = "", stop: threading.Event | None = None) -> Diagnostics:
    """The technician's live view; returns the diagnostics (scans and suggestions)."""
    stop = stop or threading.Event()
    diagnostics = Diagnostics(options)
    items, device = _live_items(options, stop)
    where = options.get("capture") or getattr(device, "path", "")
    print(f"watching / đang xem {options['id']} ({options['type']}) {where} — "
          "Ctrl-C to stop / Ctrl-C để dừng", file=out, flush=True)
    deadline = time.monotonic() + seconds if seconds else None
    with contextlib.ExitStack() as stack:
        writer = None
        if save:
            stream = stack.enter_context(open(save, "w", encoding="utf-8"))
            writer = CaptureWriter(stream, options["type"], options,
                                   comment=f"device {options['id']} {where}")
        if device is not None:
            stack.callback(device.close)
        try:
            for item in items:
                if isinstance(item, Idle):
                    lines = diagnostics.idle(item.t)
                else:
                    if writer:
                        writer.write(item)
                    lines = diagnostics.observe(item)
                for line in lines:
                    print(line, file=out, flush=True)
                if (count and len(diagnostics.scans) >= count) or stop.is_set() or (
                        deadline is not None and time.monotonic() > deadline):
                    break
        except KeyboardInterrupt:
            pass
        for line in diagnostics.finish():
            print(line, file=out, flush=True)
    advice = diagnostics.suggestions()
    print(f"{len(diagnostics.scans)} scan(s) / lượt quét", file=out)
    for line in advice or [say("Không có gợi ý: cấu hình có vẻ đúng",
                               "No suggestions: the settings look right")]:
        print(f"* {line}", file=out)
    if save:
        print(f"capture saved / đã lưu: {save}", file=out)
    return diagnostics
