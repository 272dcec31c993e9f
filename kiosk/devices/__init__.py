"""Input devices: each module turns one kind of hardware into Scans, and nothing more.

Each kind is one registered description (``kind``, ``registry``, ``kinds/``): its options,
its I/O shell, its pure decoder, its capture format, how it is discovered and advised on.
Shells are imported only when a configured device needs them, so a kiosk with a serial
scanner needs neither OpenCV nor evdev, and the core never imports any of them.

Pure logic, tested on recordings: ``stream`` (items, Decoded, the pump loop), ``keycodes``
+ ``keymaps`` + ``keydecoder`` (key events → text), ``hidreport`` (HID POS / boot-keyboard
reports), ``serial_framer`` (bytes → frames), ``wedge`` (key timing for the Qt window),
``diagnostics`` (the technician's view and advice), ``captures`` (the capture file format).
Thin I/O shells: ``shell`` + ``serial_port``, ``evdev_input``, ``hidraw``; ``replay``;
``camera``. Finding devices: ``sysfs``, ``discovery``, ``access``. Running them:
``supervisor``. The ``kiosk devices`` command: ``commands``, ``listing``, ``watching``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.devices.base import Device, DeviceError
from kiosk.messages import Words

if TYPE_CHECKING:
    from kiosk.devices.kind import DeviceOptions


def build_device(options: DeviceOptions) -> Device:
    """The I/O shell for a configured device, its module imported now (the registry too:
    importing the package, as ``kiosk devices`` does to add its parser, stays cheap)."""
    from kiosk.devices.registry import device_kind, load

    kind = device_kind(options.type)
    if kind is None or not kind.device:
        raise DeviceError("device.named", device=options.id, reason=Words(
            "device.type_unavailable", {"type": repr(options.type)}))
    try:
        factory = load(kind.device)
    except ImportError as exc:
        raise DeviceError("device.named", device=options.id, reason=Words(
            "device.needs_library", {"type": options.type, "name": exc.name})) from exc
    return factory(options)


__all__ = ["Device", "DeviceError", "build_device"]
