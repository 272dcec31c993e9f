"""``wedge``: a keyboard-mode scanner typing into the kiosk window (the Qt app feeds it)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.devices.kind import KEY_TERMINATORS, DeviceKind, DeviceOptions
from kiosk.schema import opt


@dataclass(frozen=True, kw_only=True)
class WedgeOptions(DeviceOptions):
    max_gap_ms: int = opt(50, minimum=1, maximum=1000)
    min_length: int = opt(4, minimum=1, maximum=7089)
    terminator: str = opt("enter", choices=KEY_TERMINATORS)


KIND = DeviceKind(
    name="wedge",
    options=WedgeOptions,
    device="",  # no device thread: kiosk.ui.wedge_input reads the window's key presses
    decoder=None,
    capture=None,
    watch=None,
    discovery=None,  # it is whatever keyboard the window has focus from
    advice=None,
    window_fed=True,
)
