"""``kiosk devices``: every candidate scanner, serial port, HID node and camera, each with
what identifies it, whether this account may open it (and the fix), and a ready
``[[devices]]`` snippet. Every section is printed, "none found" when empty.
"""

from __future__ import annotations

from typing import TextIO

from kiosk import config as config_mod
from kiosk.devices.access import access_problem
from kiosk.devices.discovery import Candidate, discoveries, snippet
from kiosk.devices.registry import load
from kiosk.devices.sysfs import Roots
from kiosk.messages import both


def _why_empty(roots: Roots, subsystem: str) -> str:
    """Say so when the kernel has no such class at all (e.g. a container with no /dev/input)."""
    where = roots.dev / "input" if subsystem == "input" else roots.sys / "class" / subsystem
    return "" if where.exists() else f" ({where}: {both('device.class_absent')})"


def configured_ids(config: config_mod.Config | None) -> dict[str, str]:
    """Where each configured device points (port/path/usb/source) → its id."""
    out: dict[str, str] = {}
    for device in config.devices if config else ():
        values = device.as_dict()
        for key in ("port", "path", "usb", "source"):
            if isinstance(values.get(key), str) and values[key]:
                out[values[key]] = device.id
    return out


def list_candidates(roots: Roots, out: TextIO, config: config_mod.Config | None = None,
                    uid: int | None = None, gids: list[int] | None = None) -> int:
    """Print every section (``none found`` when empty); returns how many were found."""
    known = configured_ids(config)
    total = 0
    for section in discoveries():
        print(section.title.worded(None), file=out)
        found: list[Candidate] = load(section.listing)(roots)
        if not found:
            print(f"  {both('device.none_found')}{_why_empty(roots, section.subsystem)}",
                  file=out)
        for candidate in found:
            total += 1
            print(f"  {candidate.path}  " + "  ".join(candidate.details), file=out)
            device = candidate.device
            where = next(device[k] for k in ("port", "path", "usb", "source") if k in device)
            if where in known or candidate.path in known:
                name = known.get(where) or known[candidate.path]
                print(f"    {both('device.configured_as', id=name)}", file=out)
            usb = getattr(candidate, "usb", None)
            vid, pid = (usb.vid, usb.pid) if usb else (getattr(candidate, "vid", ""),
                                                       getattr(candidate, "pid", ""))
            problem = access_problem(  # a keyboard of the machine is no scanner to add
                candidate.path, write=section.write, uid=uid, gids=gids, vid=vid, pid=pid,
                subsystem=section.subsystem,
                keyboard=not getattr(candidate, "looks_like_scanner", True))
            if problem:
                print(f"    ! {problem}", file=out)
            for line in snippet(device).splitlines():
                print(f"    {line}", file=out)
        print(file=out)
    if total:
        print(both("device.paste_snippet"), file=out)
    return total
