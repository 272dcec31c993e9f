"""Reading and validating ``config.toml``.

The schema is data: every option has a type, a default and its allowed values, so a wrong
file is refused before anything starts, with a message that names the key path, the value
and what was expected. Device sections are validated by the schema of their ``type``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BAUDRATES = (1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400, 460800,
             921600)
REQUIRED = object()


class ConfigError(ValueError):
    """A config problem, already phrased for the person who edits the file."""


@dataclass(frozen=True)
class Opt:
    kind: type | tuple[type, ...]
    default: Any = REQUIRED
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    expected: str = ""

    def check(self, path: str, value: Any) -> Any:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        ok_type = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            ok_type, value = True, float(value)
        if not ok_type or (self.choices is not None and value not in self.choices):
            raise ConfigError(f"{path}: expected {self.describe()}, got {_show(value)}")
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise ConfigError(f"{path}: expected {self.describe()}, got {_show(value)}")
        return value

    def describe(self) -> str:
        if self.expected:
            return self.expected
        if self.choices is not None:
            shown = [_show(c) for c in self.choices]
            if len(shown) > 6:
                return f"one of {shown[0]}…{shown[-1]}"
            return "one of " + ", ".join(shown)
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
                 list: "a list", dict: "a table"}
        text = " or ".join(names.get(k, k.__name__) for k in kinds)
        if self.minimum is not None and self.maximum is not None:
            text += f" from {self.minimum:g} to {self.maximum:g}"
        elif self.minimum is not None:
            text += f" ≥ {self.minimum:g}"
        return text


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value).lower() if isinstance(
        value, bool) else repr(value)


LANES = ("in", "out", "toggle", "auto")
KEY_LAYOUTS = ("us", "uk", "fr", "de", "fr-azerty", "de-qwertz")

KIOSK = {
    "id": Opt(str, expected="a kiosk id such as \"kiosk-01\""),
    "checkpoint_id": Opt(str),
    "checkpoint_name": Opt(str, ""),
    "language": Opt(str, "vi", choices=("vi", "en")),
    "timezone": Opt(str, "Asia/Ho_Chi_Minh"),
    "operator": Opt(str, ""),
    "pin": Opt(str, "1234"),
    "fullscreen": Opt(bool, False),
}
STORE = {
    "path": Opt(str, "data/kiosk.db"),
    "retention_days": Opt(int, 21, minimum=1, maximum=3650),
}
POLICY = {
    "duplicate_window_seconds": Opt(int, 300, minimum=0, maximum=86400),
    "duplicate_policy": Opt(str, "warn", choices=("warn", "block", "allow")),
    "default_direction": Opt(str, "in", choices=("in", "out", "auto")),
}
SYNC = {
    "enabled": Opt(bool, False),
    "server_url": Opt(str, "http://127.0.0.1:8765"),
    "token": Opt(str, ""),
    "token_file": Opt(str, ""),
    "batch_size": Opt(int, 2000, minimum=1, maximum=10000),
    "batch_max_bytes": Opt(int, 1_000_000, minimum=10_000, maximum=64_000_000),
    "interval_seconds": Opt(float, 30.0, minimum=1, maximum=86400),
    "timeout_seconds": Opt(float, 15.0, minimum=1, maximum=600),
    "max_backoff_seconds": Opt(float, 300.0, minimum=1, maximum=86400),
}
CERTIFICATES = {
    "policy": Opt(str, "record", choices=("record", "require-valid")),
    "trust_list": Opt(str, "data/trust-list.json"),
    "max_age_days": Opt(int, 14, minimum=1, maximum=3650),
}

_COMMON_DEVICE = {
    "id": Opt(str),
    "type": Opt(str),
    "lane": Opt(str, "toggle", choices=LANES),
    "enabled": Opt(bool, True),
}
DEVICE_TYPES: dict[str, dict[str, Opt]] = {
    "replay": {
        "path": Opt(str, "-", expected='a file path, or "-" for standard input'),
        "delay_ms": Opt(int, 0, minimum=0, maximum=3_600_000),
        "format": Opt(str, "lines", choices=("lines", "evdev", "hidraw", "serial")),
        "loop": Opt(bool, False),
    },
    "serial": {
        "port": Opt(str, "", expected="a port path such as \"/dev/ttyACM0\" or a by-id path"),
        "usb": Opt(str, "", expected='"VID:PID" or "VID:PID:SERIAL" in hex'),
        "baudrate": Opt(int, 9600, choices=BAUDRATES),
        "bytesize": Opt(int, 8, choices=(5, 6, 7, 8)),
        "parity": Opt(str, "N", choices=("N", "E", "O", "M", "S")),
        "stopbits": Opt(float, 1.0, choices=(1.0, 1.5, 2.0)),
        "flow_control": Opt(str, "none", choices=("none", "rtscts", "xonxoff", "dsrdtr")),
        "terminator": Opt(str, "CRLF", expected='"CR", "LF", "CRLF", "none" or \\x-escaped bytes'),
        "idle_gap_ms": Opt(int, 80, minimum=0, maximum=10_000),
        "encoding_fallback": Opt(str, "cp1258", expected='an encoding such as "cp1258", or "none"'),
        "prefix": Opt(str, ""),
        "suffix": Opt(str, ""),
        "strip_aim": Opt(bool, True),
    },
    "evdev": {
        "path": Opt(str, "", expected="an event node or /dev/input/by-id path"),
        "usb": Opt(str, "", expected='"VID:PID" or "VID:PID:SERIAL" in hex'),
        "name": Opt(str, "", expected="a device name pattern (shell glob)"),
        "layout": Opt(str, "us", choices=KEY_LAYOUTS),
        "grab": Opt(bool, True),
        "terminator": Opt(str, "enter", choices=("enter", "tab", "none")),
        "idle_gap_ms": Opt(int, 100, minimum=0, maximum=10_000),
        "ansi_codepage": Opt(str, "cp1252", choices=("cp1252", "cp1258")),
        "hex_mode": Opt(bool, False),
    },
    "hidraw": {
        "path": Opt(str, "", expected="a /dev/hidrawN node"),
        "usb": Opt(str, "", expected='"VID:PID" or "VID:PID:SERIAL" in hex'),
        "mode": Opt(str, "pos", choices=("pos", "keyboard")),
        "layout": Opt(str, "us", choices=KEY_LAYOUTS),
        "terminator": Opt(str, "enter", choices=("enter", "tab", "none")),
        "hex_mode": Opt(bool, False),
        "idle_gap_ms": Opt(int, 100, minimum=0, maximum=10_000),
        "ansi_codepage": Opt(str, "cp1252", choices=("cp1252", "cp1258")),
    },
    "camera": {
        "source": Opt((str, int), 0, expected="a camera index, /dev/videoN, a file or a URL"),
        "width": Opt(int, 1280, minimum=160, maximum=7680),
        "height": Opt(int, 720, minimum=120, maximum=4320),
        "fps": Opt(int, 30, minimum=1, maximum=240),
        "backend": Opt(str, "zxing", choices=("zxing", "zbar")),
        "absent_ms": Opt(int, 1500, minimum=0, maximum=60_000),
        "confirm_frames": Opt(int, 1, minimum=1, maximum=30),
        "loop": Opt(bool, False),
        "rescue_ms_per_s": Opt(int, 250, minimum=0, maximum=1000),
        "preview_fps": Opt(int, 10, minimum=0, maximum=60),
    },
    "wedge": {
        "max_gap_ms": Opt(int, 50, minimum=1, maximum=1000),
        "min_length": Opt(int, 4, minimum=1, maximum=7089),
        "terminator": Opt(str, "enter", choices=("enter", "tab", "none")),
    },
}


@dataclass(frozen=True)
class Config:
    """The validated file: plain dicts per section, every default filled in."""

    kiosk: dict[str, Any]
    store: dict[str, Any]
    policy: dict[str, Any]
    sync: dict[str, Any]
    devices: list[dict[str, Any]]
    source: Path | None = None
    certificates: dict[str, Any] = field(
        default_factory=lambda: {k: o.default for k, o in CERTIFICATES.items()})

    @property
    def store_path(self) -> Path:
        return self._beside_file(self.store["path"])

    @property
    def trust_list_path(self) -> Path:
        return self._beside_file(self.certificates["trust_list"])

    def _beside_file(self, text: str) -> Path:
        """A configured path; a relative one is relative to the config file."""
        path = Path(text).expanduser()
        if not path.is_absolute() and self.source is not None:
            path = self.source.parent / path
        return path

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.kiosk["timezone"])

    def to_toml_data(self) -> dict[str, Any]:
        return {"kiosk": self.kiosk, "store": self.store, "policy": self.policy,
                "sync": self.sync, "certificates": self.certificates, "devices": self.devices}


def _section(path: str, data: Any, schema: dict[str, Opt]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table, got {_show(data)}")
    unknown = sorted(set(data) - set(schema))
    if unknown:
        raise ConfigError(
            f"{path}.{unknown[0]}: unknown option (known: {', '.join(sorted(schema))})"
        )
    out = {}
    for key, opt in schema.items():
        where = f"{path}.{key}"
        if key in data:
            out[key] = opt.check(where, data[key])
        elif opt.default is REQUIRED:
            raise ConfigError(f"{where}: missing, expected {opt.describe()}")
        else:
            out[key] = opt.default
    return out


def validate_device(index: int, data: Any) -> dict[str, Any]:
    path = f"devices[{index}]"
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table, got {_show(data)}")
    kind = data.get("type")
    if kind not in DEVICE_TYPES:
        raise ConfigError(
            f"{path}.type: expected one of {', '.join(DEVICE_TYPES)}, got {_show(kind)}"
        )
    device = _section(path, data, {**_COMMON_DEVICE, **DEVICE_TYPES[kind]})
    if kind in ("serial", "evdev", "hidraw") and not any(
        device.get(k) for k in ("port", "path", "usb", "name")
    ):
        raise ConfigError(f"{path}: a {kind} device needs one of port/path, usb or name")
    if device.get("usb") and not _usb_ok(device["usb"]):
        raise ConfigError(f'{path}.usb: expected "VID:PID[:SERIAL]" in hex, got "{device["usb"]}"')
    return device


def _usb_ok(text: str) -> bool:
    parts = text.split(":")
    try:
        return len(parts) in (2, 3) and all(len(p) == 4 and int(p, 16) >= 0 for p in parts[:2])
    except ValueError:
        return False


def from_dict(data: dict[str, Any], source: Path | None = None) -> Config:
    top = {"kiosk", "store", "policy", "sync", "certificates", "devices"}
    unknown = sorted(set(data) - top)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown section (known: {', '.join(sorted(top))})")
    kiosk = _section("kiosk", data.get("kiosk", {}), KIOSK)
    try:
        ZoneInfo(kiosk["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f'kiosk.timezone: expected an IANA time zone such as "Asia/Ho_Chi_Minh", '
            f'got "{kiosk["timezone"]}"'
        ) from None
    devices_data = data.get("devices", [])
    if not isinstance(devices_data, list):
        raise ConfigError(
            f"devices: expected a list of [[devices]] tables, got {_show(devices_data)}")
    devices = [validate_device(i, d) for i, d in enumerate(devices_data)]
    seen: set[str] = set()
    for i, device in enumerate(devices):
        if device["id"] in seen:
            raise ConfigError(f'devices[{i}].id: "{device["id"]}" is used twice')
        seen.add(device["id"])
    return Config(
        kiosk=kiosk,
        store=_section("store", data.get("store", {}), STORE),
        policy=_section("policy", data.get("policy", {}), POLICY),
        sync=_section("sync", data.get("sync", {}), SYNC),
        devices=devices,
        source=source,
        certificates=_section("certificates", data.get("certificates", {}), CERTIFICATES),
    )


def load(path: str | Path) -> Config:
    """Read and validate; every failure is a ConfigError that starts with the file's name."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return from_dict(data, source=path.resolve())
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
