"""``hidraw``: scanners read from /dev/hidraw* — HID POS reports, or a boot keyboard read raw."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.devices import kind
from kiosk.devices.kinds import evdev
from kiosk.messages import Words
from kiosk.schema import opt


@dataclass(frozen=True, kw_only=True)
class HidrawOptions(evdev.KeyTyping):
    """``idle_gap_ms`` ends a scan in both modes; the other key options apply to
    ``mode = "keyboard"``."""

    path: str = opt("", expected="config.expect.hidraw_path")
    usb: str = opt("", expected=kind.USB_EXPECTED)
    mode: str = opt("pos", choices=("pos", "keyboard"))

    def check(self, path: str) -> None:
        kind.check_location(self, path, ("path", "usb"))


def decoder(options: HidrawOptions) -> Any:
    """HID POS reports, or boot-keyboard reports read as key events like ``evdev``'s."""
    from kiosk.devices.hidreport import BootKeyboardDecoder, PosDecoder

    if options.mode == "keyboard":
        return BootKeyboardDecoder(evdev.decoder(options))
    return PosDecoder(options.idle_gap_ms)


def advice(options: HidrawOptions, status: Any) -> list[Words]:
    return kind.waiting_hint(status)


KIND = kind.DeviceKind(
    name="hidraw",
    options=HidrawOptions,
    device="kiosk.devices.hidraw:HidrawDevice",
    decoder=decoder,
    capture=kind.CaptureFormat("chunks", ("mode", *evdev.KEY_TYPING)),
    watch="kiosk.devices.diagnostics:HidrawDiagnostics",
    discovery=kind.Discovery("kiosk.devices.discovery:hidraw_nodes",
                             Words("device.section.hidraw"), "hidraw",
                             ("/dev/hidraw*",), "path",
                             resolve="kiosk.devices.discovery:resolve_hidraw"),
    advice=advice,
)
