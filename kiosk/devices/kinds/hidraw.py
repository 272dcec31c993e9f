"""``hidraw``: scanners read from /dev/hidraw* — HID POS reports, or a boot keyboard read raw."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from kiosk.devices.kinds import evdev
from kiosk.schema import opt


@dataclass(frozen=True, kw_only=True)
class HidrawOptions(DeviceOptions):
    path: str = opt("", expected="a /dev/hidrawN node")
    usb: str = opt("", expected=USB_EXPECTED)
    mode: str = opt("pos", choices=("pos", "keyboard"))
    layout: str = opt("us", choices=KEY_LAYOUTS)
    terminator: str = opt("enter", choices=KEY_TERMINATORS)
    hex_mode: bool = opt(False)
    idle_gap_ms: int = opt(100, minimum=0, maximum=10_000)
    ansi_codepage: str = opt("cp1252", choices=("cp1252", "cp1258"))

    def check(self, path: str) -> None:
        check_location(self, path, ("path", "usb"))


def decoder(options: HidrawOptions) -> Any:
    """HID POS reports, or boot-keyboard reports read as key events like ``evdev``'s."""
    from kiosk.devices.hidreport import BootKeyboardDecoder, PosDecoder

    if options.mode == "keyboard":
        return BootKeyboardDecoder(evdev.decoder(options))
    return PosDecoder(options.idle_gap_ms)


def advice(options: HidrawOptions, status: Any) -> list[str]:
    return waiting_hint(status)


KIND = DeviceKind(
    name="hidraw",
    options=HidrawOptions,
    device="kiosk.devices.hidraw:HidrawDevice",
    decoder=decoder,
    capture=CaptureFormat("chunks", ("mode", "layout", "terminator", "idle_gap_ms",
                                     "ansi_codepage", "hex_mode")),
    watch="kiosk.devices.diagnostics:HidrawDiagnostics",
    discovery=Discovery("kiosk.devices.discovery:hidraw_nodes",
                        "HID nodes / Thiết bị HID (hidraw, HID POS)", "hidraw",
                        ("/dev/hidraw*",), "path"),
    advice=advice,
)
