"""What is plugged in, and which node a configured device means today.

``serial_ports``, ``input_devices``, ``hidraw_nodes`` and ``cameras`` list candidates from
/sys and /dev (taking ``Roots`` so tests use a fake tree); each candidate can print a ready
``[[devices]]`` snippet that names it by something stable (a by-id link or USB
vendor:product[:serial]) rather than a number that changes on re-plug. The ``resolve_*``
functions find the node for a configured device at every (re)connect, raising
``DeviceMissing`` when it is not there.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from kiosk.devices import keycodes as e
from kiosk.devices.base import DeviceError, DeviceMissing
from kiosk.devices.kind import Discovery
from kiosk.devices.kinds.camera import CameraOptions
from kiosk.devices.kinds.evdev import EvdevOptions
from kiosk.devices.kinds.hidraw import HidrawOptions
from kiosk.devices.kinds.serial import SerialOptions
from kiosk.devices.registry import kinds, load
from kiosk.devices.sysfs import (
    SYSTEM,
    Roots,
    UsbInfo,
    bitmap,
    descriptor_usages,
    entries,
    links_to,
    read_attr,
    subsystem,
    usb_ancestor,
)
from kiosk.messages import Words, both, worded

SCANNER_WORDS = ("scan", "barcode", "bar code", "honeywell", "zebra", "symbol", "datalogic",
                 "newland", "metrologic", "hand held", "opticon", "netum", "zebex", "code reader")


@dataclass(frozen=True)
class SerialPort:
    path: str
    by_id: str = ""
    usb: UsbInfo | None = None
    kind: str = ""
    """Kernel subsystem: "usb" (ttyACM), "usb-serial" (ttyUSB), "serial-base"/"pnp" (ttyS)."""
    suggested_id: str = "serial-1"

    @property
    def label(self) -> Words | str:
        if self.usb:
            return " ".join(p for p in (self.usb.manufacturer, self.usb.product) if p) or (
                f"USB {self.usb.vid}:{self.usb.pid}")
        return Words("device.builtin_serial")

    @property
    def details(self) -> list[str]:
        """What identifies it, for the listing."""
        usb = self.usb
        parts = [f"usb {usb.vid}:{usb.pid}" + (f" serial {usb.serial}" if usb.serial else "")
                 if usb else self.kind, worded(self.label, None)]
        return parts + ([f"by-id {self.by_id}"] if self.by_id else [])

    @property
    def device(self) -> dict[str, Any]:
        where = ({"port": self.by_id} if self.by_id else
                 {"usb": self.usb.spec} if self.usb else {"port": self.path})
        return _device(self.suggested_id, "serial", where, baudrate=9600, terminator="CRLF")


@dataclass(frozen=True)
class InputNode:
    path: str
    name: str
    phys: str = ""
    uniq: str = ""
    by_id: str = ""
    usb: UsbInfo | None = None
    vid: str = ""
    pid: str = ""
    has_enter: bool = False
    has_digits: bool = False
    has_keypad: bool = False
    suggested_id: str = "scanner-1"

    @property
    def keyboard_like(self) -> bool:
        return self.has_enter and (self.has_digits or self.has_keypad)

    @property
    def looks_like_scanner(self) -> bool:
        return self.keyboard_like and any(w in self.name.lower() for w in SCANNER_WORDS)

    @property
    def label(self) -> str:
        return self.name or self.path

    @property
    def details(self) -> list[str]:
        keys = ", ".join(k for k, has in (("Enter", self.has_enter), ("digits", self.has_digits),
                                          ("keypad", self.has_keypad)) if has)
        parts = [f'"{self.name}"', f"usb {self.vid}:{self.pid}", f"phys {self.phys or '-'}",
                 f"keys: {keys}"]
        if self.looks_like_scanner:
            parts.append(both("device.looks_like_scanner"))
        return parts + ([f"by-id {self.by_id}"] if self.by_id else [])

    @property
    def device(self) -> dict[str, Any]:
        spec = self.usb.spec if self.usb else f"{self.vid}:{self.pid}" if self.vid else ""
        where = ({"path": self.by_id} if self.by_id else {"usb": spec} if spec else
                 {"name": self.name})
        return _device(self.suggested_id, "evdev", where, layout="us", grab=True,
                       terminator="enter")


@dataclass(frozen=True)
class HidrawNode:
    path: str
    name: str = ""
    vid: str = ""
    pid: str = ""
    uniq: str = ""
    usb: UsbInfo | None = None
    pos: bool = False
    keyboard: bool = False
    suggested_id: str = "hid-1"

    @property
    def looks_like_scanner(self) -> bool:
        """HID POS is a scanner's own protocol; a keyboard's interface is one by its name."""
        return self.pos or any(w in self.name.lower() for w in SCANNER_WORDS)

    @property
    def label(self) -> str:
        mode = "HID POS" if self.pos else "keyboard" if self.keyboard else "HID"
        return f"{self.name or self.path} ({mode})"

    @property
    def details(self) -> list[str]:
        return [self.label, f"usb {self.vid}:{self.pid}"] + (
            [f"serial {self.uniq}"] if self.uniq else [])

    @property
    def device(self) -> dict[str, Any]:
        spec = self.usb.spec if self.usb else f"{self.vid}:{self.pid}" if self.vid else ""
        where = {"usb": spec} if spec else {"path": self.path}
        mode = "keyboard" if self.keyboard and not self.pos else "pos"
        return _device(self.suggested_id, "hidraw", where, mode=mode)


@dataclass(frozen=True)
class Camera:
    path: str
    name: str = ""
    by_id: str = ""
    suggested_id: str = "camera-1"

    @property
    def label(self) -> str:
        return self.name or self.path

    @property
    def details(self) -> list[str]:
        return [self.label] + ([f"by-id {self.by_id}"] if self.by_id else [])

    @property
    def device(self) -> dict[str, Any]:
        return _device(self.suggested_id, "camera", {"source": self.by_id or self.path})


class Candidate(Protocol):
    """Something a kind's discovery found: where it is, what it is, a ready device table."""

    @property
    def path(self) -> str: ...

    @property
    def label(self) -> Words | str:
        """What it is, for a screen: its own name, or a sentence when it has none."""

    @property
    def details(self) -> list[str]:
        """What identifies it, for ``kiosk devices`` (whose reader's language is not known)."""

    @property
    def device(self) -> dict[str, Any]: ...


def _device(device_id: str, kind: str, where: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"id": device_id, "type": kind, "lane": "toggle", **where, **settings}


def snippet(device: dict[str, Any]) -> str:
    """A ``[[devices]]`` table to paste into config.toml."""
    def value(v: Any) -> str:
        return ("true" if v else "false") if isinstance(v, bool) else (
            str(v) if isinstance(v, int | float) else json.dumps(v, ensure_ascii=False))

    return "\n".join(["[[devices]]", *(f"{k} = {value(v)}" for k, v in device.items())])


# -- listing --------------------------------------------------------------------------------
def serial_ports(roots: Roots = SYSTEM) -> list[SerialPort]:
    by_id = links_to(roots.dev / "serial" / "by-id")
    ports = []
    for entry in entries(roots.sys / "class" / "tty", "*"):
        device = entry / "device"
        node = roots.dev / entry.name
        if not device.exists() or not node.exists():
            continue  # virtual terminals and ptys have no device
        kind = subsystem(device)
        if kind == "platform" or (kind not in ("usb", "usb-serial")
                                  and read_attr(entry, "type") in ("", "0")):
            continue  # a UART the firmware declares but nothing drives
        usb = usb_ancestor(device, roots) if kind in ("usb", "usb-serial") else None
        ports.append(SerialPort(str(node), by_id.get(entry.name, ""), usb, kind,
                                suggested_id=f"serial-{len(ports) + 1}"))
    return ports


def input_devices(roots: Roots = SYSTEM) -> list[InputNode]:
    """Input event nodes that can type text (Enter and digits): keyboards and scanners."""
    by_id = links_to(roots.dev / "input" / "by-id")
    nodes = []
    for entry in entries(roots.sys / "class" / "input", "event*"):
        node = roots.dev / "input" / entry.name
        if not node.exists():
            continue
        info = Path(os.path.realpath(entry / "device"))
        keys = bitmap(read_attr(info / "capabilities", "key") or "0")
        found = InputNode(
            path=str(node), name=read_attr(info, "name"), phys=read_attr(info, "phys"),
            uniq=read_attr(info, "uniq"), by_id=by_id.get(entry.name, ""),
            usb=usb_ancestor(info, roots),
            vid=read_attr(info / "id", "vendor").lower(),
            pid=read_attr(info / "id", "product").lower(),
            has_enter=bool(keys >> e.KEY_ENTER & 1),
            has_digits=all(keys >> code & 1 for code in range(e.KEY_1, e.KEY_0 + 1)),
            has_keypad=all(keys >> code & 1 for code in (e.KEY_KP0, e.KEY_KP5, e.KEY_KP9)),
        )
        if found.keyboard_like:
            nodes.append(dataclasses.replace(found, suggested_id=f"scanner-{len(nodes) + 1}"))
    return nodes


def hidraw_nodes(roots: Roots = SYSTEM) -> list[HidrawNode]:
    nodes = []
    for entry in entries(roots.sys / "class" / "hidraw", "hidraw*"):
        node = roots.dev / entry.name
        if not node.exists():
            continue
        hid = Path(os.path.realpath(entry / "device"))
        uevent = dict(line.split("=", 1) for line in read_attr(hid, "uevent").splitlines()
                      if "=" in line)
        ids = uevent.get("HID_ID", "").split(":")
        vid, pid = (ids[1][-4:].lower(), ids[2][-4:].lower()) if len(ids) == 3 else ("", "")
        try:
            pages, keyboard = descriptor_usages((hid / "report_descriptor").read_bytes())
        except OSError:
            pages, keyboard = frozenset(), False
        nodes.append(HidrawNode(str(node), uevent.get("HID_NAME", ""), vid, pid,
                                uevent.get("HID_UNIQ", ""), usb_ancestor(hid, roots),
                                pos=0x8C in pages, keyboard=keyboard,
                                suggested_id=f"hid-{len(nodes) + 1}"))
    return nodes


def discoveries() -> list[Discovery]:
    """How each discoverable kind is found, in the registry's order."""
    return [k.discovery for k in kinds().values() if k.discovery is not None]


def discover(roots: Roots = SYSTEM) -> list[Candidate]:
    """Everything that could be a scanner or camera, each with a ready device dict."""
    found: list[Candidate] = []
    for discovery in discoveries():
        found += load(discovery.listing)(roots)
    return found


def cameras(roots: Roots = SYSTEM) -> list[Camera]:
    """Video capture nodes (index 0 of each camera; the others carry metadata)."""
    by_id = links_to(roots.dev / "v4l" / "by-id")
    found = []
    for entry in entries(roots.sys / "class" / "video4linux", "video*"):
        node = roots.dev / entry.name
        if node.exists() and read_attr(entry, "index") in ("", "0"):
            found.append(Camera(str(node), read_attr(entry, "name"), by_id.get(entry.name, ""),
                                suggested_id=f"camera-{len(found) + 1}"))
    return found


# -- resolving a configured device ----------------------------------------------------------
Node = TypeVar("Node", SerialPort, InputNode, HidrawNode)


def _usb_of(node: SerialPort | InputNode | HidrawNode) -> UsbInfo | None:
    if node.usb or isinstance(node, SerialPort):
        return node.usb
    return UsbInfo(node.vid, node.pid, node.uniq) if node.vid else None


def _one(matches: Sequence[Node], what: Words, prefer: Callable[[Node], bool]) -> str:
    """The single node meant; several nodes of one physical USB device are one device.
    ``what`` is looked for in the reader's words, as the not-found line names it."""
    if not matches:
        raise DeviceMissing("device.not_found", what=what)
    physical = {(n.usb.path if n.usb else n.path) for n in matches}
    if len(physical) > 1:
        paths = ", ".join(n.path for n in matches)
        raise DeviceError("device.ambiguous", count=len(physical), what=what, paths=paths)
    return sorted(matches, key=lambda n: not prefer(n))[0].path


def _existing(path: str) -> str | None:
    if not path:
        return None
    if os.path.exists(path):
        return path
    raise DeviceMissing("device.not_found", what=path)


def camera_node(source: int | str, roots: Roots = SYSTEM) -> str | None:
    """The /dev node a camera's ``source`` opens: an index N (``0``, ``"0"``) is
    ``/dev/videoN``, a /dev path itself; None for a video file or a stream's URL."""
    if isinstance(source, str) and source.strip().isascii() and source.strip().isdigit():
        source = int(source)
    if isinstance(source, int):
        return str(roots.dev / f"video{source}")
    return source if source.startswith("/dev/") else None


def resolve_camera(options: CameraOptions, roots: Roots = SYSTEM) -> str:
    """The camera's node, as :func:`kiosk.devices.camera.open_capture` opens it; "" for a
    stream (nothing to look for before it answers) or a video file that is there."""
    node = camera_node(options.source, roots)
    if node is not None:
        if not os.path.exists(node):
            raise DeviceMissing("camera.not_found", source=node)
        return node
    source = str(options.source)
    if "://" not in source and not Path(source).is_file():
        raise DeviceMissing("camera.no_file", source=source)
    return ""


def resolve_serial(options: SerialOptions, roots: Roots = SYSTEM) -> str:
    try:
        found = _existing(options.port)
    except DeviceMissing:
        if not options.usb:
            raise
        found = None
    if found:
        return found
    spec = options.usb
    matches = [p for p in serial_ports(roots) if p.usb and p.usb.matches(spec)]
    return _one(matches, Words("device.what.serial_usb", {"spec": spec}), lambda p: True)


def resolve_input(options: EvdevOptions, roots: Roots = SYSTEM) -> str:
    found = _existing(options.path)
    if found:
        return found
    nodes = input_devices(roots)
    if options.usb:
        spec = options.usb
        matches = [n for n in nodes if (usb := _usb_of(n)) and usb.matches(spec)]
        return _one(matches, Words("device.what.input_usb", {"spec": spec}),
                    lambda n: n.looks_like_scanner)
    pattern = options.name
    matches = [n for n in nodes if fnmatch.fnmatch(n.name.lower(), pattern.lower())]
    return _one(matches, Words("device.what.input_name", {"pattern": pattern}),
                lambda n: n.looks_like_scanner)


def resolve_hidraw(options: HidrawOptions, roots: Roots = SYSTEM) -> str:
    found = _existing(options.path)
    if found:
        return found
    spec = options.usb
    if not spec:
        raise DeviceError("device.hidraw_needs_path")
    wanted_pos = options.mode == "pos"
    matches = [n for n in hidraw_nodes(roots) if (usb := _usb_of(n)) and usb.matches(spec)]
    return _one(matches, Words("device.what.hidraw_usb", {"spec": spec}),
                lambda n: n.pos if wanted_pos else n.keyboard)
