"""The pure decoder for a device's settings, from its kind's registered ``decoder``.

Used by the live devices, by replay of recorded captures and by the technician's watch
view, so all three read the same bytes the same way.
"""

from __future__ import annotations

from kiosk.devices.kind import DeviceOptions
from kiosk.devices.registry import device_kind, kinds
from kiosk.devices.stream import Decoder


def build_decoder(options: DeviceOptions) -> Decoder:
    """Raises ValueError with a readable reason for settings the decoder cannot use."""
    kind = device_kind(options.type)
    if kind is None or kind.decoder is None:
        known = ", ".join(k.name for k in kinds().values() if k.decoder is not None)
        raise ValueError(f"no decoder for device type {options.type!r} (known: {known})")
    return kind.decoder(options)
