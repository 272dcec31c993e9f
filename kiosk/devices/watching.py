"""``kiosk devices watch``: the technician's live view of one device.

Opens the device's raw source (or a capture file), shows every read or key event through
``Diagnostics`` — raw input, decoded scans and their payload kind — optionally saves what
arrives as a capture, and ends with the suggested settings.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import fnmatch
import io
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from kiosk import RELEASED
from kiosk import config as config_mod
from kiosk.devices.base import DeviceError
from kiosk.devices.captures import CaptureWriter, capture_kinds, load_capture
from kiosk.devices.diagnostics import Diagnostics, diagnostics_for
from kiosk.devices.kind import DeviceKind, DeviceOptions
from kiosk.devices.registry import kinds
from kiosk.devices.stream import Idle, Item
from kiosk.messages import Words, both
from kiosk.private_files import open_output
from kiosk.timestamps import DEFAULT_TIMEZONE

OVERRIDES = {"baudrate": "baud", "terminator": "terminator", "layout": "layout",
             "mode": "mode", "idle_gap_ms": "idle_gap_ms", "hex_mode": "hex"}
"""Option → the ``kiosk devices watch`` argument that sets it."""


@dataclass(frozen=True)
class WatchTarget:
    """What to watch: a device's options, and the capture file to read instead of it."""

    options: DeviceOptions
    capture: str = ""
    timezone: ZoneInfo | None = None
    """The kiosk's configured zone, where a CCCD's dates are checked (None: the default)."""
    earliest_day: dt.date = RELEASED
    """The earliest the real date can be (the running kiosk's, on the technician screen),
    for a CCCD's dates when the clock is behind."""


def kind_of_path(path: str) -> DeviceKind:
    """The kind whose /dev nodes look like ``path`` (following by-id links); a kind
    registered later (a plug-in) claims a node before the built-ins do."""
    real = os.path.realpath(path)
    for kind in reversed(kinds().values()):
        patterns = kind.discovery.nodes if kind.discovery else ()
        if any(fnmatch.fnmatch(p, pattern) for p in (path, real) for pattern in patterns):
            return kind
    raise DeviceError("device.watch_unknown", path=path)


def _overrides(args: argparse.Namespace, kind: DeviceKind) -> dict[str, Any]:
    """The settings given on the command line that this kind has, each checked."""
    schema = kind.options.schema()
    return {key: schema[key].check(f"--{arg.replace('_', '-')}", getattr(args, arg))
            for key, arg in OVERRIDES.items()
            if key in schema and getattr(args, arg, None) is not None}


def capture_target(path: str, device_id: str, lane: str = "toggle",
                   args: argparse.Namespace | None = None) -> WatchTarget:
    """Watch a capture file as the device it was made with (command-line settings win)."""
    capture = load_capture(path)
    kind = capture_kinds()[capture.format]
    overrides = _overrides(args, kind) if args is not None else {}
    options = dataclasses.replace(capture.options(device_id), lane=lane, **overrides)
    return WatchTarget(options, capture=path)


def watch_options(args: argparse.Namespace) -> WatchTarget:
    """What to watch: a configured id, a capture file, or a path with command-line settings;
    with the configured zone (``--config``; for a file or path, when it loads), so a CCCD's
    dates are checked as the kiosk checks them."""
    target: str = args.device
    if os.path.exists(target) or target.startswith("/"):
        found = _target_at(args)
        config = _usable_config(args.config)
    else:
        config = config_mod.load(args.config)
        found = _configured_target(args, config)
    return found if config is None else dataclasses.replace(found, timezone=config.timezone)


def _usable_config(path: str) -> config_mod.Config | None:
    """The configuration, for its zone alone: a file or /dev path is watched without one.
    Absent, it means the default zone, silently. Any other failure — a config.toml the
    technician may not read (0600: it holds the kiosk's token), a folder on the way it may
    not enter (the installed 0750 /etc/checkpoint-kiosk), an invalid file — also means the
    default zone, but said on stderr, since a card's dates may then be judged otherwise."""
    from kiosk.commandline import in_config_language

    try:
        return config_mod.load(path)
    except config_mod.ConfigError as exc:
        if exc.words.code == "file.not_found":
            return None
        said = Words("device.watch_config_unreadable",  # the reason starts with the file
                     {"reason": exc, "zone": DEFAULT_TIMEZONE})
    print(in_config_language(path, said), file=sys.stderr)
    return None


def _target_at(args: argparse.Namespace) -> WatchTarget:
    """A capture file, or a /dev path with the command line's settings."""
    target: str = args.device
    if os.path.isfile(target):
        return capture_target(target, Path(target).stem, "toggle", args)
    kind = kind_of_path(target)
    where = kind.discovery.where if kind.discovery else "path"
    return _with_overrides(args, {"id": Path(target).name, "type": kind.name, where: target})


def _configured_target(args: argparse.Namespace, config: config_mod.Config) -> WatchTarget:
    devices = {d.id: d for d in config.devices}
    if args.device not in devices:
        raise DeviceError("device.watch_no_such_device", target=args.device,
                          config=args.config, devices=", ".join(devices))
    device = devices[args.device]
    if getattr(device, "format", "") in capture_kinds():
        return capture_target(device.path, args.device, device.lane, args)
    return _with_overrides(args, device.as_dict())


def _with_overrides(args: argparse.Namespace, data: dict[str, Any]) -> WatchTarget:
    kind = kinds()[data["type"]]
    if kind.capture is None:
        raise DeviceError("device.watch_cannot", kind=kind.name,
                          kinds=", ".join(capture_kinds()))
    data.update(_overrides(args, kind))
    data.pop("enabled", None)
    return WatchTarget(config_mod.validate_device(0, data))


def _live_items(target: WatchTarget, stop: threading.Event
                ) -> tuple[Iterator[Item], Any, list[str]]:
    """The items to watch, the device read (None: a capture), and what to say first."""
    from kiosk.devices import build_device

    if target.capture:
        capture = load_capture(target.capture)
        notes = [both("capture.quiet_guessed")] if capture.quiet_guessed else []
        return capture.played(), None, notes
    device = build_device(target.options)
    device.open()  # type: ignore[attr-defined]
    return device.items(stop), device, []  # type: ignore[attr-defined]


def watch(target: WatchTarget, out: TextIO, *, count: int = 0, seconds: float = 0.0,
          save: str = "", stop: threading.Event | None = None) -> Diagnostics:
    """The technician's live view; returns the diagnostics (scans and suggestions)."""
    stop = stop or threading.Event()
    options = target.options
    diagnostics = diagnostics_for(options, target.timezone, target.earliest_day)
    items, device, notes = _live_items(target, stop)
    where = target.capture or getattr(device, "path", "")
    print(both("device.watching", id=options.id, type=options.type, where=where), file=out,
          flush=True)
    for note in notes:
        print(f"* {note}", file=out, flush=True)
    deadline = time.monotonic() + seconds if seconds else None
    lost: DeviceError | None = None
    with contextlib.ExitStack() as stack:
        writer = None
        if save:
            # 0600: a capture of a real card holds that person's number, name and address
            stream = stack.enter_context(io.TextIOWrapper(open_output(save, force=True),
                                                          encoding="utf-8"))
            writer = CaptureWriter(stream, options, comment=f"device {options.id} {where}")
        if device is not None:
            stack.callback(device.close)
        try:
            for item in items:
                if isinstance(item, Idle):
                    lines = diagnostics.idle(item.t)
                    if writer:
                        writer.write(item)  # the quiet seen: a replay frames codes by it
                else:
                    lines = diagnostics.observe(item)
                    if writer:
                        writer.write(item, hidden=diagnostics.hid_last)
                for line in lines:
                    print(line, file=out, flush=True)
                if (count and len(diagnostics.scans) >= count) or stop.is_set() or (
                        deadline is not None and time.monotonic() > deadline):
                    break
        except KeyboardInterrupt:
            pass
        except DeviceError as exc:  # unplugged: what was seen is still summed up and saved
            lost = exc
        if writer:
            writer.finish()
        for line in diagnostics.finish():
            print(line, file=out, flush=True)
    advice = diagnostics.suggestions()
    print(both("device.scans_seen", count=len(diagnostics.scans)), file=out)
    for line in advice or [both("device.no_suggestions")]:
        print(f"* {line}", file=out)
    if save:
        print(both("device.capture_saved", path=save), file=out)
    if lost is not None:
        raise lost  # after the summary: the command still ends as a device error
    return diagnostics
