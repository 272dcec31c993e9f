"""Capture files: what a scanner sent, saved by ``kiosk devices watch --save`` and replayed
by a ``replay`` device (``format = "evdev" | "hidraw" | "serial"``) or watched again.

Plain UTF-8 text, one item per line, so a technician can send one by e-mail and anyone can
read it::

    # kiosk-capture v1 format=evdev
    # settings: {"layout": "us", "terminator": "enter", "idle_gap_ms": 100}
    # any other comment line is ignored
    1716200000.000000 EV_KEY KEY_LEFTSHIFT 1      (evdev: time, type, code, value)
    1716200000.001200 EV_KEY KEY_A 1
    12.503311 02 0d 5d 51 31 30 30 31 …           (hidraw: time, one report in hex;
                                                   serial: time, the bytes one read returned)

Times are seconds (any origin; only differences matter: they drive the gap logic). Types and
codes are evdev names (``ecodes``) or numbers. ``settings`` are the device's decoding
options at capture time (layout, terminator, …), used again on replay so the capture
decodes as it did in the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from evdev import ecodes

from kiosk.config import DEVICE_TYPES, ConfigError
from kiosk.devices.base import DeviceError
from kiosk.devices.decoders import KINDS
from kiosk.devices.stream import Chunk, InputEvent

MAGIC = "# kiosk-capture v1"
SETTINGS = "# settings:"
DECODING_KEYS = {
    "serial": ("terminator", "idle_gap_ms", "prefix", "suffix", "strip_aim", "encoding_fallback"),
    "evdev": ("layout", "terminator", "idle_gap_ms", "ansi_codepage", "hex_mode"),
    "hidraw": ("mode", "layout", "terminator", "idle_gap_ms", "ansi_codepage", "hex_mode"),
}


@dataclass
class Capture:
    format: str
    settings: dict[str, Any] = field(default_factory=dict)
    items: list[InputEvent | Chunk] = field(default_factory=list)


def decoding_settings(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options that change how a capture decodes (what the header keeps)."""
    return {k: options[k] for k in DECODING_KEYS[kind] if k in options}


def _name(table: dict[int, Any], number: int) -> str:
    name = table.get(number)
    if isinstance(name, list | tuple):
        name = name[0]
    return name if isinstance(name, str) else str(number)


def format_item(item: InputEvent | Chunk) -> str | None:
    """One capture line (None for items not worth keeping: SYN_REPORT separators)."""
    if isinstance(item, Chunk):
        return f"{item.t:.6f} {item.data.hex(' ')}"
    if item.type == ecodes.EV_SYN and item.code == ecodes.SYN_REPORT:
        return None
    codes = ecodes.bytype.get(item.type, {})
    return (f"{item.sec}.{item.usec:06d} {_name(ecodes.EV, item.type)} "
            f"{_name(codes, item.code)} {item.value}")


class CaptureWriter:
    def __init__(self, out: TextIO, kind: str, options: dict[str, Any],
                 comment: str = "") -> None:
        if kind not in KINDS:
            raise ValueError(f"cannot capture a {kind} device")
        self.out = out
        out.write(f"{MAGIC} format={kind}\n")
        out.write(f"{SETTINGS} {json.dumps(decoding_settings(kind, options))}\n")
        if comment:
            out.write(f"# {comment}\n")
        out.flush()

    def write(self, item: InputEvent | Chunk) -> None:
        line = format_item(item)
        if line is not None:
            self.out.write(line + "\n")
            self.out.flush()  # a technician may pull the plug at any time


def _number(token: str, names: str) -> int:
    if token.lstrip("-").isdigit():
        return int(token)
    value = ecodes.ecodes.get(token)
    if value is None:
        raise ValueError(f"unknown {names} name {token!r}")
    return value


def parse_item(kind: str, line: str) -> InputEvent | Chunk:
    fields = line.split()
    if kind == "evdev":
        if len(fields) != 4:
            raise ValueError("expected: time type code value")
        sec, _, frac = fields[0].partition(".")
        usec = int((frac + "000000")[:6]) if frac else 0
        return InputEvent(int(sec), usec, _number(fields[1], "event type"),
                          _number(fields[2], "event code"), int(fields[3]))
    if len(fields) < 2:
        raise ValueError("expected: time and hex bytes")
    return Chunk(float(fields[0]), bytes.fromhex("".join(fields[1:])))


def _settings(kind: str, text: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DeviceError(f"{where}: settings are not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise DeviceError(f"{where}: settings must be a JSON object")
    schema = DEVICE_TYPES[kind]
    out = {}
    for key, value in data.items():
        if key not in DECODING_KEYS[kind]:
            raise DeviceError(f"{where}: unknown setting {key!r} for {kind} captures")
        try:
            out[key] = schema[key].check(f"{where}: {key}", value)
        except ConfigError as exc:
            raise DeviceError(str(exc)) from None
    return out


def read_capture(lines: Iterable[str], name: str = "capture") -> Capture:
    """Parse a capture; DeviceError names the line and what is wrong with it."""
    capture: Capture | None = None
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        where = f"{name} line {number}"
        if capture is None:
            if not line.startswith(MAGIC):
                raise DeviceError(f"{where}: not a kiosk capture (expected '{MAGIC} format=…')")
            kind = line.partition("format=")[2].split()[0] if "format=" in line else ""
            if kind not in KINDS:
                raise DeviceError(f"{where}: format must be one of {', '.join(KINDS)}")
            capture = Capture(kind)
        elif line.startswith(SETTINGS):
            capture.settings = _settings(capture.format, line[len(SETTINGS):], where)
        elif line and not line.startswith("#"):
            try:
                capture.items.append(parse_item(capture.format, line))
            except ValueError as exc:
                raise DeviceError(f"{where}: {exc}") from None
    if capture is None:
        raise DeviceError(f"{name}: empty file, not a kiosk capture")
    return capture


def load_capture(path: str | Path) -> Capture:
    try:
        with open(path, encoding="utf-8") as stream:
            return read_capture(stream, str(path))
    except OSError as exc:
        raise DeviceError(f"cannot read capture {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise DeviceError(f"{path}: not UTF-8 text, not a kiosk capture") from None
