"""The pure decoder for a device's settings: one place that maps config → decoder.

Used by the live devices, by replay of recorded captures and by the technician's watch
view, so all three read the same bytes the same way.
"""

from __future__ import annotations

from typing import Any

from kiosk.devices.hidreport import BootKeyboardDecoder, PosDecoder
from kiosk.devices.keydecoder import KeyDecoder
from kiosk.devices.serial_framer import SerialFramer
from kiosk.devices.stream import Decoder

KINDS = ("serial", "evdev", "hidraw")
"""Device types whose raw input can be decoded (and captured, replayed, watched)."""


def build_decoder(kind: str, options: dict[str, Any]) -> Decoder:
    """Raises ValueError with a readable reason for settings the decoder cannot use."""
    if kind == "serial":
        return SerialFramer.from_options(options)
    if kind == "evdev":
        return KeyDecoder.from_options(options)
    if kind == "hidraw":
        if options.get("mode", "pos") == "keyboard":
            return BootKeyboardDecoder.from_options(options)
        return PosDecoder.from_options(options)
    raise ValueError(f"no decoder for device type {kind!r} (known: {', '.join(KINDS)})")
