"""Real OS objects for the device tests: pseudo-terminal "scanners" and a fake /sys + /dev tree.

``Pty`` is a serial scanner on the far end of a real pseudo-terminal: the device under test
opens the slave path with pyserial; the test writes what the scanner would send on the
master. ``unplug()`` closes both ends, so the slave node vanishes and a reader gets EIO —
what a USB-serial unplug looks like to the kiosk.
"""

from __future__ import annotations

import contextlib
import os
import time
import tty
from collections.abc import Callable
from pathlib import Path

from kiosk.devices import keycodes
from kiosk.devices.keymaps import LAYOUTS, ROWS
from kiosk.devices.stream import InputEvent


class Pty:
    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.master, view)
            view = view[written:]

    def unplug(self) -> None:
        """Both ends closed, once: closed again (the ``with`` block's end after an unplug),
        their numbers, taken meanwhile by whatever the process opened next (the kiosk's
        store files), were closed under their new owner: its next write failed "disk I/O
        error" — in this test or, through that owner's own close later, in another."""
        for fd in (self.master, self.slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self.slave = -1  # writes fail as on a closed end: EBADF

    def __enter__(self) -> Pty:
        return self

    def __exit__(self, *_: object) -> None:
        self.unplug()


def wait_until(condition: Callable[[], object], timeout: float = 60.0,
               what: str = "condition", found: Callable[[], str] | None = None) -> None:
    """Poll ``condition``; on time-out say what was awaited and, from ``found``, what there
    was instead (e.g. how many scans arrived and the last ones). The wait ends as soon as
    it holds: the long default costs nothing when it does, and is room for a loaded 2-core
    machine — never a way to say that something does not happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            seen = f"; found {found()}" if found else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{seen}")
        time.sleep(0.01)


def symlink(link: Path, target: str | Path) -> Path:
    """Create or re-point a symlink atomically (how udev updates /dev/serial/by-id)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(link.name + ".new")
    if tmp.is_symlink():
        tmp.unlink()
    tmp.symlink_to(target)
    tmp.replace(link)
    return link


class FakeTree:
    """A /dev and /sys tree in a temporary directory, laid out as Linux lays it out."""

    def __init__(self, root: Path) -> None:
        self.dev = root / "dev"
        self.sys = root / "sys"
        self.dev.mkdir(parents=True, exist_ok=True)
        self.sys.mkdir(parents=True, exist_ok=True)
        (self.sys / "bus" / "usb").mkdir(parents=True, exist_ok=True)
        (self.sys / "bus" / "usb-serial").mkdir(parents=True, exist_ok=True)

    def usb_device(self, port: str, vid: str, pid: str, serial: str = "",
                   manufacturer: str = "", product: str = "") -> Path:
        path = self.sys / "devices" / "pci0000:00" / "0000:00:14.0" / "usb1" / port
        path.mkdir(parents=True, exist_ok=True)
        for name, value in (("idVendor", vid), ("idProduct", pid), ("serial", serial),
                            ("manufacturer", manufacturer), ("product", product)):
            if value:
                (path / name).write_text(value + "\n")
        return path

    def interface(self, usb: Path, number: int) -> Path:
        path = usb / f"{usb.name}:1.{number}"
        path.mkdir(exist_ok=True)
        (path / "bInterfaceNumber").write_text(f"{number:02d}\n")
        _link(path / "subsystem", self.sys / "bus" / "usb")
        return path

    def tty_acm(self, name: str, interface: Path, node_target: str | None = None) -> Path:
        """/sys/class/tty/ttyACMn (device = the USB interface) and /dev/ttyACMn."""
        tty_dir = interface / "tty" / name
        tty_dir.mkdir(parents=True, exist_ok=True)
        _link(tty_dir / "device", interface)
        _link(self.sys / "class" / "tty" / name, tty_dir)
        return self.node(name, node_target)

    def node(self, name: str, target: str | None = None, mode: int = 0o660) -> Path:
        """A /dev node: a symlink to a real device (a pty) or a plain file with ``mode``."""
        path = self.dev / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if target:
            symlink(path, target)
        else:
            path.write_bytes(b"")
            path.chmod(mode)
        return path

    def remove_tty(self, name: str) -> None:
        (self.sys / "class" / "tty" / name).unlink()
        (self.dev / name).unlink()


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        link.unlink()
    link.symlink_to(os.path.relpath(target, link.parent))


# -- key streams -------------------------------------------------------------------------
class Keys:
    """Builds an event stream key by key, 3 ms apart, like a scanner types."""

    def __init__(self, t: float = 100.0) -> None:
        self.t = t
        self.events: list[InputEvent] = []

    def ev(self, code: int, value: int, type_: int = keycodes.EV_KEY) -> Keys:
        self.events.append(InputEvent.at(self.t, type_, code, value))
        self.t += 0.003
        return self

    def tap(self, code: int, *mods: int) -> Keys:
        for mod in mods:
            self.ev(mod, 1)
        self.ev(code, 1).ev(code, 0)
        for mod in reversed(mods):
            self.ev(mod, 0)
        return self

    def pause(self, seconds: float) -> Keys:
        self.t += seconds
        return self


def typing_table(name: str) -> dict[str, tuple[int, bool, bool]]:
    """Character → (key, shift, altgr) for the non-dead keys of one layout."""
    lay = LAYOUTS[name]
    table: dict[str, tuple[int, bool, bool]] = {}
    for code in (c for row in ROWS for c in row):
        for shift, altgr in ((False, False), (True, False), (False, True)):
            char, dead = lay.char(code, shift, altgr)
            if char and not dead:
                table.setdefault(char, (code, shift, altgr))
    return table


def typed(text: str, keys: Keys | None = None, layout_name: str = "us") -> Keys:
    """``keys`` (a new stream by default) typing ``text`` on ``layout_name``, then Enter."""
    keys = keys or Keys()
    table = typing_table(layout_name)
    for char in text:
        code, shift, altgr = table[char]
        mods = ((keycodes.KEY_LEFTSHIFT,) if shift else ()) + (
            (keycodes.KEY_RIGHTALT,) if altgr else ())
        keys.tap(code, *mods)
    return keys.tap(keycodes.KEY_ENTER)
