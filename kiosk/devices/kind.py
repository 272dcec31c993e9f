"""What a device kind is: one registered description of everything the kiosk does with it.

A kind (``serial``, ``evdev``, …) says, in one ``DeviceKind``:

- ``options``: its ``[[devices]]`` options, a frozen ``DeviceOptions`` dataclass (config
  validation, the technician's form, the sample's documentation all come from it);
- ``device``: the I/O shell the supervisor runs, as ``"module:Class"`` imported only when
  such a device is configured (so a serial-only kiosk needs neither evdev nor OpenCV);
  ``""`` for a kind the Qt window feeds (``window_fed``);
- ``decoder``: the pure decoder for its raw input (options → ``stream.Decoder``), shared by
  the live device, replay of captures and the technician's watch view; None when the kind
  has no raw byte/key stream (a camera decodes frames);
- ``capture``: how its raw input is saved and replayed (``CaptureFormat``); and ``watch``:
  the technician's live view of that input (``"module:Class"``, a ``Diagnostics``: raw
  items, scans and the advice only this kind can give); a kind has a capture format and a
  live view exactly when it has a decoder;
- ``discovery``: how ``kiosk devices`` and the technician screen find it plugged in;
- ``advice``: hints for the technician from its options and supervisor status, as words
  the screen or command showing them words in its reader's language.

Every part is named explicitly (``None`` = does not apply), so a kind cannot silently lack
one; ``tests/test_devices_registry.py`` checks each part is consistent and importable.
This module and the kind modules import no hardware library.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from kiosk.messages import CATALOGUE, Words
from kiosk.schema import ConfigError, Opt, Section, opt

LANES = ("in", "out", "toggle", "auto")
KEY_LAYOUTS = ("us", "uk", "fr", "de", "fr-azerty", "de-qwertz")
KEY_TERMINATORS = ("enter", "tab", "none")
USB_EXPECTED = "config.expect.usb"
"""What a ``usb`` option takes, as the catalogue words it (the kinds found by USB id share it)."""


@dataclass(frozen=True, kw_only=True)
class DeviceOptions(Section):
    """The keys every ``[[devices]]`` table has; each kind adds its own."""

    id: str = opt()
    type: str = opt()
    lane: str = opt("toggle", choices=LANES)
    enabled: bool = opt(True)

    def unusable(self, path: str) -> ConfigError | None:
        """Why the device could never be opened, though its table is well formed: refused
        while it is enabled, a warning while it is not (the kiosk never opens it, so a
        config it started with keeps starting it when a rule is added)."""
        return None

    @classmethod
    def own_schema(cls) -> dict[str, Opt]:
        """The kind's own options (without the common ones): those its class declares, in
        order, then those of the option groups it extends (``evdev.KeyTyping``)."""
        common, schema = DeviceOptions.schema(), cls.schema()
        names = dict.fromkeys(name for klass in cls.__mro__
                              for name in vars(klass).get("__annotations__", {}))
        return {k: schema[k] for k in names if k in schema and k not in common}


def check_location(options: DeviceOptions, path: str, keys: tuple[str, ...]) -> None:
    """A scanner found by port/path, usb or name must say at least one, and a usb spec
    must be VID:PID[:SERIAL] in hex."""
    if not any(getattr(options, k) for k in keys):
        raise ConfigError("config.needs_location", key=path, type=options.type)
    usb = getattr(options, "usb", "")
    if usb and not usb_spec_ok(usb):
        raise ConfigError("config.bad_usb", key=f"{path}.usb", got=usb)


def usb_spec_ok(text: str) -> bool:
    """Four ASCII hex digits each, as sysfs writes them: ``int(p, 16)`` also takes "+c2e",
    " c2e", "0_2e" and other scripts' digits, which no device's id matches."""
    parts = text.split(":")
    return len(parts) in (2, 3) and all(_HEX4.fullmatch(p) for p in parts[:2])


_HEX4 = re.compile("[0-9a-fA-F]{4}")


def waiting_hint(status: Any) -> list[Words]:
    """Advice shared by the plug-in scanners while the supervisor waits for one."""
    if getattr(status, "state", "") != "waiting":
        return []
    return [Words("device.plug_in")]


@dataclass(frozen=True)
class CaptureFormat:
    """How a kind's raw input is written to and read from a capture file."""

    items: Literal["events", "chunks"]
    """"events": one evdev event per line; "chunks": one read (bytes, in hex) per line."""
    settings: tuple[str, ...]
    """The options that change how the capture decodes; kept in its header."""


@dataclass(frozen=True)
class Discovery:
    """How to find a kind's devices on this machine."""

    listing: str
    """``"module:function"`` taking ``Roots`` and returning candidates (``discovery``)."""
    title: Words
    """The section heading in ``kiosk devices``: a catalogue sentence, like every word a
    reader sees (a plug-in kind adds its own to ``kiosk.messages.CATALOGUE``)."""
    subsystem: str
    """The kernel class under /sys/class (for udev advice and "not present" notes)."""
    nodes: tuple[str, ...]
    """Patterns of its /dev paths (``kiosk devices watch /dev/…`` tells the kind by them;
    where two kinds claim a node, the one registered later wins)."""
    where: str
    """The option a node path goes in (port, path, source)."""
    write: bool = False
    """Opening needs write access too (serial ports: the scanner may be configured)."""
    resolve: str = ""
    """``"module:function"`` taking a device's options and ``Roots``, returning the node its
    device opens today (a by-id link, a USB vendor:product, a name pattern followed), or
    raising ``DeviceMissing`` when it is not there: the function its device finds its node
    with at every connect, named here for ``kiosk doctor``, which must find the same node;
    it may return "" when the device opens no node (a camera's stream or video file).
    "": the kind finds no node by itself."""


@dataclass(frozen=True, kw_only=True)
class DeviceKind:
    """One kind of device, every part named (see the module's docstring); ``name`` is its
    ``type`` in config.toml and the ``source`` of its scans."""

    name: str
    options: type[DeviceOptions]
    device: str
    decoder: Callable[[Any], Any] | None
    capture: CaptureFormat | None
    watch: str | None
    discovery: Discovery | None
    advice: Callable[[Any, Any], list[Words]] | None
    window_fed: bool = False
    """Fed by the Qt window's key events rather than run by the supervisor (wedge)."""


_KINDS: dict[str, DeviceKind | str] = {}
"""The table ``kiosk.devices.registry`` fills with the built-in kinds, each as the module
that defines it until first asked for (a command whose config names no device imports
none), and ``register`` with any other; read it through ``kinds()`` / ``device_kind()``."""


def register_module(name: str, module: str) -> None:
    """Make the kind ``name``, defined as ``KIND`` in ``module``, known; it is imported
    (and checked by :func:`register`) when first asked for."""
    _KINDS[name] = module


def register(kind: DeviceKind) -> DeviceKind:
    """Make a kind known (replacing one of the same name); returns it.

    A kind whose parts do not fit together is refused here, when it is registered or first
    asked for (loading the config that names it), with every problem named — not at the
    first scan in the field."""
    problems = missing_parts(kind)
    if problems:
        raise ValueError(f"device kind {kind.name!r}: " + "; ".join(problems))
    _KINDS[kind.name] = kind
    return kind


def missing_parts(kind: DeviceKind) -> list[str]:
    """What is missing or inconsistent in a kind's description (imports nothing)."""
    problems = []
    if not kind.name.isidentifier():
        problems.append("its name must be a plain word (it is `type` in config.toml)")
    if not (isinstance(kind.options, type) and issubclass(kind.options, DeviceOptions)):
        return [*problems, "options must be a DeviceOptions dataclass"]
    schema = kind.options.schema()
    if kind.window_fed == bool(kind.device):
        problems.append("needs a device shell (\"module:Class\") unless the window feeds it")
    if (kind.decoder is None) != (kind.capture is None):
        problems.append("has a decoder but no capture format" if kind.capture is None
                        else "has a capture format but no decoder")
    if (kind.decoder is None) != (kind.watch is None):
        problems.append("has a decoder but no live view (watch)" if kind.watch is None
                        else "has a live view (watch) but no decoder")
    if kind.capture is not None:
        problems += [f"capture setting {key!r} is not one of its options"
                     for key in kind.capture.settings if key not in schema]
    if kind.discovery is not None:
        if kind.discovery.where not in schema:
            problems.append(f"discovery puts the node in {kind.discovery.where!r}, "
                            "not an option")
        title = kind.discovery.title
        if not (isinstance(title, Words) and title.code in CATALOGUE):
            problems.append(f"discovery's title {title!r} is not a sentence of "
                            "kiosk.messages.CATALOGUE")
    return problems


def kinds() -> dict[str, DeviceKind]:
    """Every known kind by name, in registration order."""
    return {name: _loaded(name) for name in list(_KINDS)}


def device_kind(name: Any) -> DeviceKind | None:
    return _loaded(name) if isinstance(name, str) and name in _KINDS else None


def _loaded(name: str) -> DeviceKind:
    kind = _KINDS[name]
    if isinstance(kind, str):
        kind = register(importlib.import_module(kind).KIND)
    return kind


def load(reference: str) -> Any:
    """``"module:attribute"`` → the attribute, importing the module now."""
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
