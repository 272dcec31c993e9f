"""``evdev``: scanners in USB keyboard mode, read from /dev/input (key events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.devices.kind import (
    KEY_LAYOUTS,
    KEY_TERMINATORS,
    USB_EXPECTED,
    CaptureFormat,
    DeviceKind,
    DeviceOptions,
    Discovery,
    check_location,
    waiting_hint,
)
from kiosk.messages import both
from kiosk.schema import opt

if TYPE_CHECKING:
    from kiosk.devices.kinds.hidraw import HidrawOptions


@dataclass(frozen=True, kw_only=True)
class EvdevOptions(DeviceOptions):
    path: str = opt("", expected="an event node or /dev/input/by-id path")
    usb: str = opt("", expected=USB_EXPECTED)
    name: str = opt("", expected="a device name pattern (shell glob)")
    layout: str = opt("us", choices=KEY_LAYOUTS)
    grab: bool = opt(True)
    terminator: str = opt("enter", choices=KEY_TERMINATORS)
    idle_gap_ms: int = opt(100, minimum=0, maximum=10_000)
    ansi_codepage: str = opt("cp1252", choices=("cp1252", "cp1258"))
    hex_mode: bool = opt(False)

    def check(self, path: str) -> None:
        check_location(self, path, ("path", "usb", "name"))


def decoder(options: EvdevOptions | HidrawOptions) -> Any:
    """Key events → scans, with the scanner's layout, terminator key, gap and code page."""
    from kiosk.devices.keydecoder import KeyDecoder

    return KeyDecoder(options.layout, options.terminator, options.idle_gap_ms,
                      options.ansi_codepage, options.hex_mode)


def advice(options: EvdevOptions, status: Any) -> list[str]:
    return [*waiting_hint(status), both("device.keyboard_no_vietnamese")]


KIND = DeviceKind(
    name="evdev",
    options=EvdevOptions,
    device="kiosk.devices.evdev_input:EvdevDevice",
    decoder=decoder,
    capture=CaptureFormat("events", ("layout", "terminator", "idle_gap_ms", "ansi_codepage",
                                     "hex_mode")),
    watch="kiosk.devices.diagnostics:KeyDiagnostics",
    discovery=Discovery("kiosk.devices.discovery:input_devices",
                        "Keyboard-mode scanners / Máy quét chế độ bàn phím (evdev)", "input",
                        ("/dev/input/*",), "path"),
    advice=advice,
)
