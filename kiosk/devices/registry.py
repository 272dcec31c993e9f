"""The device kinds the kiosk knows: ``type`` in config.toml → its ``DeviceKind``.

Adding a kind is one module (``kiosk/devices/kinds/NAME.py`` defining ``KIND``, see
``kind.py``) plus its name in ``BUILTIN`` below; everything that deals with kinds — config
validation, the technician's form, ``kiosk devices`` and its watch view, captures and
replay, the supervisor — reads them from here. ``register`` adds a kind at run time (a
plug-in, or a test's toy kind). Order is the documentation order of config.toml.
"""

from __future__ import annotations

from kiosk.devices.kind import device_kind, kinds, load, register, unregister
from kiosk.devices.kinds import camera, evdev, hidraw, replay, serial, wedge

BUILTIN = (replay.KIND, serial.KIND, evdev.KIND, hidraw.KIND, camera.KIND, wedge.KIND)

for _kind in BUILTIN:
    register(_kind)

__all__ = ["BUILTIN", "device_kind", "kinds", "load", "register", "unregister"]
