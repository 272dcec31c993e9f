"""``kiosk devices``: find scanners, and watch what one really sends.

    kiosk devices                          # what is plugged in, with [[devices]] snippets
    kiosk devices watch lane1              # a configured device, live: bytes/keys → scans
    kiosk devices watch /dev/ttyACM0 --baud 115200 --save lane1.capture
    kiosk devices watch lane1.capture      # a capture sent in from the field, replayed
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from kiosk import config as config_mod
from kiosk.devices.access import access_problem
from kiosk.devices.base import DeviceError, say
from kiosk.devices.captures import CaptureWriter, load_capture
from kiosk.devices.decoders import KINDS
from kiosk.devices.diagnostics import Diagnostics
from kiosk.devices.discovery import (
    Candidate,
    HidrawNode,
    InputNode,
    SerialPort,
    cameras,
    hidraw_nodes,
    input_devices,
    serial_ports,
    snippet,
)
from kiosk.devices.stream import Idle, Item
from kiosk.devices.sysfs import Roots

EXIT_DEVICE = 1
EXIT_USAGE = 2


# -- kiosk devices (list) -------------------------------------------------------------------
def _details(candidate: Candidate) -> list[str]:
    if isinstance(candidate, SerialPort):
        usb = candidate.usb
        parts = [f"usb {usb.vid}:{usb.pid}" + (f" serial {usb.serial}" if usb.serial else "")
                 if usb else candidate.kind, candidate.label]
        if candidate.by_id:
            parts.append(f"by-id {candidate.by_id}")
        return parts
    if isinstance(candidate, InputNode):
        keys = ", ".join(k for k, has in (("Enter", candidate.has_enter),
                                          ("digits", candidate.has_digits),
                                          ("keypad", candidate.has_keypad)) if has)
        parts = [f'"{candidate.name}"', f"usb {candidate.vid}:{candidate.pid}",
                 f"phys {candidate.phys or '-'}", f"keys: {keys}"]
        if candidate.looks_like_scanner:
            parts.append("looks like a scanner / có vẻ là máy quét")
        if candidate.by_id:
            parts.append(f"by-id {candidate.by_id}")
        return parts
    if isinstance(candidate, HidrawNode):
        return [candidate.label, f"usb {candidate.vid}:{candidate.pid}"] + (
            [f"serial {candidate.uniq}"] if candidate.uniq else [])
    return [candidate.label] + ([f"by-id {candidate.by_id}"] if candidate.by_id else [])


SECTIONS: tuple[tuple[str, Any, str, bool], ...] = (
    ("Serial ports / Cổng nối tiếp (USB-COM, RS-232)", serial_ports, "tty", True),
    ("Keyboard-mode scanners / Máy quét chế độ bàn phím (evdev)", input_devices, "input", False),
    ("HID nodes / Thiết bị HID (hidraw, HID POS)", hidraw_nodes, "hidraw", False),
    ("Cameras / Camera (/dev/video*)", cameras, "video4linux", True),
)


def _why_empty(roots: Roots, subsystem: str) -> str:
    """Say so when the kernel has no such class at all (e.g. a container with no /dev/input)."""
    where = roots.dev / "input" if subsystem == "input" else roots.sys / "class" / subsystem
    return "" if where.exists() else f" ({where}: not present / không có)"


def configured_ids(config: config_mod.Config | None) -> dict[str, str]:
    """Where each configured device points (port/path/usb/source) → its id."""
    out: dict[str, str] = {}
    for device in config.devices if config else []:
        for key in ("port", "path", "usb", "source"):
            if isinstance(device.get(key), str) and device[key]:
                out[device[key]] = device["id"]
    return out


def list_candidates(roots: Roots, out: TextIO, config: config_mod.Config | None = None,
                    uid: int | None = None, gids: list[int] | None = None) -> int:
    """Print every section (``none found`` when empty); returns how many were found."""
    known = configured_ids(config)
    total = 0
    for title, listing, subsystem, write in SECTIONS:
        print(title, file=out)
        found: list[Candidate] = listing(roots)
        if not found:
            print("  none found / không tìm thấy" + _why_empty(roots, subsystem), file=out)
        for candidate in found:
            total += 1
            print(f"  {candidate.path}  " + "  ".join(_details(candidate)), file=out)
            device = candidate.device
            where = next(device[k] for k in ("port", "path", "usb", "source") if k in device)
            if where in known or candidate.path in known:
                name = known.get(where) or known[candidate.path]
                print(f"    configured as / đã cấu hình: {name}", file=out)
            usb = getattr(candidate, "usb", None)
            vid, pid = (usb.vid, usb.pid) if usb else (getattr(candidate, "vid", ""),
                                                       getattr(candidate, "pid", ""))
            problem = access_problem(candidate.path, write=write, uid=uid, gids=gids, vid=vid,
                                     pid=pid, subsystem=subsystem)
            if problem:
                print(f"    ! {problem}", file=out)
            for line in snippet(device).splitlines():
                print(f"    {line}", file=out)
        print(file=out)
    if total:
        print("Paste a snippet into config.toml, then test it: kiosk devices watch <id>\n"
              "Dán đoạn cấu hình vào config.toml, rồi thử: kiosk devices watch <id>", file=out)
    return total


def cmd_list(args: argparse.Namespace) -> int:
    roots = Roots(Path(args.dev_root), Path(args.sys_root))
    config = None
    with contextlib.suppress(config_mod.ConfigError):
        config = config_mod.load(args.config) if os.path.exists(args.config) else None
    list_candidates(roots, sys.stdout, config)
    return 0


# -- kiosk devices watch --------------------------------------------------------------------
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


def cmd_watch(args: argparse.Namespace) -> int:
    try:
        options = watch_options(args)
        watch(options, sys.stdout, count=args.count, seconds=args.seconds, save=args.save)
    except config_mod.ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (DeviceError, OSError) as exc:
        print(f"device error: {exc}", file=sys.stderr)
        return EXIT_DEVICE
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    devices = subparsers.add_parser(
        "devices", parents=[common], help="find scanners and cameras; watch what one sends",
        description="List scanners, serial ports, hidraw nodes and cameras with ready "
                    "[[devices]] snippets; or watch one device live.")
    devices.add_argument("--dev-root", default="/dev", help=argparse.SUPPRESS)
    devices.add_argument("--sys-root", default="/sys", help=argparse.SUPPRESS)
    devices.set_defaults(func=cmd_list)
    actions = devices.add_subparsers(dest="devices_command")
    actions.add_parser("list", parents=[common], help="what is plugged in (the default)")
    watch_parser = actions.add_parser(
        "watch", parents=[common], help="live view of one device: raw input, scans, advice")
    watch_parser.add_argument("device", help="a configured device id, a /dev path, or a capture")
    watch_parser.add_argument("--save", default="", metavar="FILE",
                              help="save what arrives as a capture (replayable, sendable)")
    watch_parser.add_argument("--count", type=int, default=0, help="stop after N scans")
    watch_parser.add_argument("--seconds", type=float, default=0.0, help="stop after S seconds")
    watch_parser.add_argument("--baud", type=int, help="serial: baud rate")
    watch_parser.add_argument("--terminator", help="CR, LF, CRLF, none (serial); enter, tab, "
                                                    "none (keyboard)")
    watch_parser.add_argument("--layout", help="keyboard layout: us, uk, fr, de")
    watch_parser.add_argument("--mode", choices=("pos", "keyboard"), help="hidraw mode")
    watch_parser.add_argument("--idle-gap-ms", type=int, help="gap that ends a scan")
    watch_parser.add_argument("--hex", action="store_true", default=None,
                              help="keyboard: the scanner types hex digits")
    watch_parser.set_defaults(func=cmd_watch)
