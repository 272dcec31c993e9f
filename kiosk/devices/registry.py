"""The device kinds the kiosk knows: ``type`` in config.toml → its ``DeviceKind``.

Adding a kind is one module (``kiosk/devices/kinds/NAME.py`` defining ``KIND``, see
``kind.py``) plus one line in ``BUILTIN``; everything that deals with kinds — config
validation, the technician's form, ``kiosk devices`` and its watch view, captures and
replay, the supervisor — reads it from here. ``register`` adds a kind at run time (a
plug-in, or a test's toy kind). Order is the file's documentation order.
"""

from __future__ import annotations

import importlib
from typing import Any

from kiosk.devices.kind import DeviceKind

BUILTIN = (
    "kiosk.devices.kinds.replay",
    "kiosk.devices.kinds.serial",
    "kiosk.devices.kinds.evdev",
    "kiosk.devices.kinds.hidraw",
    "kiosk.devices.kinds.camera",
    "kiosk.devices.kinds.wedge",
)

_KINDS: dict[str, DeviceKind] = {}


def register(kind: DeviceKind) -> DeviceKind:
    """Make a kind known (replacing one of the same name); returns it."""
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    _KINDS.pop(name, None)


def kinds() -> dict[str, DeviceKind]:
    """Every known kind by name, in registration order."""
    return dict(_KINDS)


def device_kind(name: Any) -> DeviceKind | None:
    return _KINDS.get(name) if isinstance(name, str) else None


def load(reference: str) -> Any:
    """``"module:attribute"`` → the attribute, importing the module now."""
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


for _module in BUILTIN:
    register(importlib.import_module(_module).KIND)
