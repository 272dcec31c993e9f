"""``kiosk devices``: find scanners, and watch what one really sends.

    kiosk devices                          # what is plugged in, with [[devices]] snippets
    kiosk devices watch lane1              # a configured device, live: bytes/keys → scans
    kiosk devices watch /dev/ttyACM0 --baud 115200 --save lane1.capture
    kiosk devices watch lane1.capture      # a capture sent in from the field, replayed
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from kiosk.commandline import (
    EXIT_USAGE,
    config_refusal,
    decimal_number_argument,
    examples,
    missing_extra,
    output_path_argument,
    whole_number_argument,
)
from kiosk.devices.base import DeviceError
from kiosk.messages import both

EXIT_DEVICE = 1


def cmd_list(args: argparse.Namespace) -> int:
    from kiosk import config as config_mod

    try:
        from kiosk.devices.listing import list_candidates
        from kiosk.devices.sysfs import Roots
    except ImportError as exc:
        return _missing_library(exc)
    config = None
    with contextlib.suppress(config_mod.ConfigError):
        config = config_mod.load(args.config) if os.path.exists(args.config) else None
    list_candidates(Roots(Path(args.dev_root), Path(args.sys_root)), sys.stdout, config)
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from kiosk import config as config_mod

    try:
        from kiosk.devices.watching import watch, watch_options
    except ImportError as exc:
        return _missing_library(exc)
    from kiosk.private_files import OutputExists, existing_output

    if args.save and (refusal := existing_output(args.save, force=True,
                                                 example="lane1.capture")) is not None:
        print(refusal.worded(None), file=sys.stderr)  # before the device is opened
        return EXIT_USAGE
    try:
        options = watch_options(args)
        watch(options, sys.stdout, count=args.count, seconds=args.seconds, save=args.save or "")
    except OutputExists as exc:  # its folder removed meanwhile, say
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except ImportError as exc:  # e.g. pyserial missing for a serial device
        return _missing_library(exc)
    except config_mod.ConfigError as exc:
        print(config_refusal(args.config, exc), file=sys.stderr)
        return EXIT_USAGE
    except (DeviceError, OSError) as exc:
        print(f"{both('device.error')}: {exc}", file=sys.stderr)
        return EXIT_DEVICE
    return 0


def _missing_library(exc: ImportError) -> int:
    """The devices extra is optional: say what to install, keep the rest of `kiosk` working."""
    print(missing_extra(exc) or both("device.missing_library", name=exc.name or exc),
          file=sys.stderr)
    return EXIT_USAGE


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    devices = subparsers.add_parser(
        "devices", parents=[common], help="find scanners and cameras; watch what one sends",
        description="List scanners, serial ports, hidraw nodes and cameras with ready "
                    "[[devices]] snippets; or watch one device live.",
        **examples("kiosk devices", "kiosk devices watch lane1 --count 3"))
    devices.add_argument("--dev-root", default="/dev", help=argparse.SUPPRESS)
    devices.add_argument("--sys-root", default="/sys", help=argparse.SUPPRESS)
    devices.set_defaults(func=cmd_list)
    actions = devices.add_subparsers(dest="devices_command")
    actions.add_parser("list", parents=[common], help="what is plugged in (the default)",
                       **examples("kiosk devices list"))
    watch_parser = actions.add_parser(
        "watch", parents=[common], help="live view of one device: raw input, scans, advice",
        description="Show what one device really sends (bytes or keys with timings), the "
                    "scans the kiosk would record, and what to change in the config. Stop "
                    "the kiosk first: the watch needs the device to itself.",
        **examples("kiosk devices watch lane1                       # a device of config.toml",
                   "kiosk devices watch /dev/ttyACM0 --baud 115200  # before configuring it",
                   "kiosk devices watch lane1 --save lane1.capture  # keep it, to send in",
                   "kiosk devices watch lane1.capture               # a capture, replayed"))
    watch_parser.add_argument("device", help="a configured device id, a /dev path, or a capture")
    watch_parser.add_argument("--save", metavar="FILE", type=output_path_argument,
                              help="save what arrives as a capture (replayable, sendable)")
    watch_parser.add_argument("--count", type=whole_number_argument("--count"),
                              default=0, help="stop after N scans")
    watch_parser.add_argument("--seconds", type=decimal_number_argument("--seconds", zero=True),
                              default=0.0, help="stop after S seconds (0: no limit)")
    watch_parser.add_argument("--baud", type=whole_number_argument("--baud"),
                              help="serial: baud rate")
    watch_parser.add_argument("--terminator", help="CR, LF, CRLF, none (serial); enter, tab, "
                                                    "none (keyboard)")
    watch_parser.add_argument("--layout", help="keyboard layout: us, uk, fr, de")
    watch_parser.add_argument("--mode", choices=("pos", "keyboard"), help="hidraw mode")
    watch_parser.add_argument("--idle-gap-ms", type=whole_number_argument("--idle-gap-ms"),
                              help="gap that ends a scan")
    watch_parser.add_argument("--hex", action="store_true", default=None,
                              help="keyboard: the scanner types hex digits")
    watch_parser.set_defaults(func=cmd_watch)
