"""``evdev``: scanners in USB keyboard mode, read from /dev/input (key events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.devices import kind
from kiosk.messages import Words
from kiosk.schema import opt


@dataclass(frozen=True, kw_only=True)
class KeyTyping(kind.DeviceOptions):
    """How a scanner in keyboard mode types: what the key decoder (:func:`decoder`) reads,
    for evdev key events and hidraw boot-keyboard reports alike, so declared once."""

    layout: str = opt("us", choices=kind.KEY_LAYOUTS)
    terminator: str = opt("enter", choices=kind.KEY_TERMINATORS)
    idle_gap_ms: int = opt(100, minimum=0, maximum=10_000)
    ansi_codepage: str = opt("cp1252", choices=("cp1252", "cp1258"))
    hex_mode: bool = opt(False)


KEY_TYPING = ("layout", "terminator", "idle_gap_ms", "ansi_codepage", "hex_mode")
"""KeyTyping's options: what a capture of key input keeps to be replayed."""


@dataclass(frozen=True, kw_only=True)
class EvdevOptions(KeyTyping):
    path: str = opt("", expected="config.expect.evdev_path")
    usb: str = opt("", expected=kind.USB_EXPECTED)
    name: str = opt("", expected="config.expect.evdev_name")
    grab: bool = opt(True)

    def check(self, path: str) -> None:
        kind.check_location(self, path, ("path", "usb", "name"))


def decoder(options: KeyTyping) -> Any:
    """Key events → scans, with the scanner's layout, terminator key, gap and code page."""
    from kiosk.devices.keydecoder import KeyDecoder

    return KeyDecoder(options.layout, options.terminator, options.idle_gap_ms,
                      options.ansi_codepage, options.hex_mode)


def advice(options: EvdevOptions, status: Any) -> list[Words]:
    return [*kind.waiting_hint(status), Words("device.keyboard_no_vietnamese")]


KIND = kind.DeviceKind(
    name="evdev",
    options=EvdevOptions,
    device="kiosk.devices.evdev_input:EvdevDevice",
    decoder=decoder,
    capture=kind.CaptureFormat("events", KEY_TYPING),
    watch="kiosk.devices.diagnostics:KeyDiagnostics",
    discovery=kind.Discovery("kiosk.devices.discovery:input_devices",
                             Words("device.section.evdev"), "input",
                             ("/dev/input/*",), "path",
                             resolve="kiosk.devices.discovery:resolve_input"),
    advice=advice,
)
