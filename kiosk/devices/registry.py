"""The device kinds the kiosk knows: ``type`` in config.toml → its ``DeviceKind``.

Adding a kind is one module (``kiosk/devices/kinds/NAME.py`` defining ``KIND``, see
``kind.py``) plus its name and module in ``BUILTIN`` below; everything that deals with
kinds — config validation, the technician's form, ``kiosk devices`` and its watch view,
captures and replay, the supervisor — reads them from here. ``register`` adds a kind at run time (a
plug-in, or a test's toy kind). Order is the documentation order of config.toml.
"""

from __future__ import annotations

from kiosk.devices.kind import device_kind, kinds, load, register, register_module

BUILTIN = {
    "replay": "kiosk.devices.kinds.replay",
    "serial": "kiosk.devices.kinds.serial",
    "evdev": "kiosk.devices.kinds.evdev",
    "hidraw": "kiosk.devices.kinds.hidraw",
    "camera": "kiosk.devices.kinds.camera",
    "wedge": "kiosk.devices.kinds.wedge",
}
"""Each built-in kind's module, imported when the kind is first asked for."""

for _name, _module in BUILTIN.items():
    register_module(_name, _module)

__all__ = ["BUILTIN", "device_kind", "kinds", "load", "register"]
