"""Input devices: each module turns one kind of hardware into Scans, and nothing more.

Modules are imported only when a configured device needs them, so a kiosk with a serial
scanner does not need OpenCV, and the core never imports any of them.

Pure logic, tested on recordings: ``stream`` (items, Decoded, the pump loop), ``keymaps`` +
``keydecoder`` (key events → text), ``hidreport`` (HID POS / boot-keyboard reports),
``serial_framer`` (bytes → frames), ``decoders`` (settings → decoder), ``wedge`` (key timing
for the Qt window), ``diagnostics`` (the technician's view and advice), ``captures`` (the
capture file format). Thin I/O shells: ``shell`` + ``serial_port``, ``evdev_input``,
``hidraw``; ``replay``. Finding devices: ``sysfs``, ``discovery``, ``access``. Running them:
``supervisor``. The ``kiosk devices`` command: ``commands``, ``listing``, ``watching``.
"""

from __future__ import annotations

import importlib
from typing import Any

from kiosk.devices.base import Device, DeviceError

# type in config.toml → "module:factory"; the factory takes the validated device dict.
FACTORIES = {
    "replay": "kiosk.devices.replay:ReplayDevice",
    "serial": "kiosk.devices.serial_port:SerialDevice",
    "evdev": "kiosk.devices.evdev_input:EvdevDevice",
    "hidraw": "kiosk.devices.hidraw:HidrawDevice",
    "camera": "kiosk.devices.camera:CameraDevice",
}
WINDOW_FED = {"wedge"}
"""Types fed by the Qt window's key events rather than run by the supervisor."""


def build_device(options: dict[str, Any]) -> Device:
    target = FACTORIES.get(options["type"])
    if target is None:
        raise DeviceError(f"device {options['id']}: type {options['type']!r} is not available")
    module_name, factory = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DeviceError(
            f"device {options['id']}: {options['type']} support needs {exc.name}; "
            "install it with: make install"
        ) from exc
    return getattr(module, factory)(options)


__all__ = ["Device", "DeviceError", "build_device"]
