"""Reading what Linux says about devices: /sys attributes and /dev symlinks.

Every function takes ``Roots`` (where /dev and /sys are), so tests build a fake tree of
real files and symlinks in a temporary directory, and the kiosk reads the real one.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Roots:
    dev: Path = Path("/dev")
    sys: Path = Path("/sys")


SYSTEM = Roots()


def read_attr(directory: Path | str, name: str) -> str:
    """One sysfs attribute, stripped; "" when absent or unreadable."""
    try:
        return Path(directory, name).read_text(errors="replace").strip()
    except OSError:
        return ""


def entries(directory: Path, pattern: str) -> list[Path]:
    """Sorted matches, numbers in natural order (event2 before event10)."""
    def natural(path: Path) -> tuple[str, int]:
        stem = path.name.rstrip("0123456789")
        digits = path.name[len(stem):]
        return stem, int(digits) if digits else -1

    return sorted(directory.glob(pattern), key=natural)


@dataclass(frozen=True)
class UsbInfo:
    vid: str
    pid: str
    serial: str = ""
    manufacturer: str = ""
    product: str = ""
    path: str = ""
    """The USB device's sysfs directory: nodes sharing it are one physical device."""

    @property
    def spec(self) -> str:
        """The ``usb = "…"`` value that finds this device again after a re-plug."""
        base = f"{self.vid}:{self.pid}"
        return f"{base}:{self.serial}" if self.serial and ":" not in self.serial else base

    def matches(self, spec: str) -> bool:
        parts = spec.lower().split(":", 2)
        if len(parts) < 2 or (parts[0], parts[1]) != (self.vid, self.pid):
            return False
        return len(parts) == 2 or parts[2] == self.serial.lower()


def usb_ancestor(start: Path, roots: Roots) -> UsbInfo | None:
    """The USB device above a sysfs node (the first directory with idVendor), if any."""
    here = Path(os.path.realpath(start))
    top = Path(os.path.realpath(roots.sys))
    while here != top and here != here.parent:
        vid = read_attr(here, "idVendor")
        if vid:
            return UsbInfo(vid=vid.lower(), pid=read_attr(here, "idProduct").lower(),
                           serial=read_attr(here, "serial"),
                           manufacturer=read_attr(here, "manufacturer"),
                           product=read_attr(here, "product"), path=str(here))
        here = here.parent
    return None


def links_to(directory: Path) -> dict[str, str]:
    """Symlinks in a /dev/…/by-id style directory: target node name → link path."""
    out: dict[str, str] = {}
    for link in entries(directory, "*"):
        if link.is_symlink():
            out.setdefault(Path(os.path.realpath(link)).name, str(link))
    return out


def subsystem(device_dir: Path) -> str:
    link = device_dir / "subsystem"
    return Path(os.path.realpath(link)).name if os.path.lexists(link) else ""


def bitmap(text: str) -> int:
    """A sysfs capability bitmap ("120013 0 ffefffff…", most significant word first)."""
    word_bits = struct.calcsize("l") * 8
    value = 0
    for word in text.split():
        value = (value << word_bits) | int(word, 16)
    return value


def descriptor_usages(descriptor: bytes) -> tuple[frozenset[int], bool]:
    """Usage pages named in a HID report descriptor, and whether it declares a keyboard.

    Usage page 0x8C is "bar code scanner" (HID POS); page 1 usage 6 is a keyboard.
    """
    pages: set[int] = set()
    page = 0
    keyboard = False
    i = 0
    while i < len(descriptor):
        prefix = descriptor[i]
        if prefix == 0xFE:  # long item: data size in the next byte
            i += 3 + (descriptor[i + 1] if i + 1 < len(descriptor) else 0)
            continue
        size = (0, 1, 2, 4)[prefix & 3]
        kind, tag = (prefix >> 2) & 3, prefix >> 4
        data = int.from_bytes(descriptor[i + 1:i + 1 + size], "little")
        if kind == 1 and tag == 0:  # global: Usage Page
            page = data
            pages.add(page)
        elif kind == 2 and tag == 0:  # local: Usage (4 bytes = page in the high half)
            usage_page, usage = (data >> 16, data & 0xFFFF) if size == 4 else (page, data)
            pages.add(usage_page)
            keyboard = keyboard or (usage_page, usage) == (1, 6)
        i += 1 + size
    return frozenset(pages), keyboard
