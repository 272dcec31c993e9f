"""``kiosk-central certificates import | status``: the trust list the centre serves to its
kiosks (``GET /api/v1/trust-list``), imported from the national backend's or the EU
gateway's file, or a folder of PEM certificates. Kiosks fetch it within the hour."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from kiosk.commandline import examples, open_central

EXIT_FAILED = 1


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser(
        "certificates", help="the certificate trust list served to kiosks",
        **examples("kiosk-central certificates import dsc-trust-list.json",
                   "kiosk-central certificates status"))
    sub = group.add_subparsers(dest="certificates_command", required=True)
    imp = sub.add_parser(
        "import", parents=[common],
        help="load a trust list (gateway JSON, DSC list, PEM file or folder)",
        **examples("kiosk-central certificates import dsc-trust-list.json"))
    imp.add_argument("source", help="trust list file, or a folder of .pem/.crt/.cer files")
    imp.set_defaults(func=cmd_import)
    status = sub.add_parser("status", parents=[common], help="age and size of the served list",
                            **examples("kiosk-central certificates status"))
    status.set_defaults(func=cmd_status)


def cmd_import(args: argparse.Namespace) -> int:
    from kiosk.central import trust_lists
    from kiosk.certificates import trustlist  # cryptography: loaded by the commands using it

    try:
        loaded = trustlist.load(args.source)
    except trustlist.TrustListError as exc:
        print(f"not imported: {exc}", file=sys.stderr)
        return EXIT_FAILED
    with open_central(args.db) as storage:
        trust_lists.store(storage, loaded.to_json())
    print(f"imported {len(loaded)} signers from {len(loaded.countries())} countries; "
          f"kiosks fetch it at their next refresh")
    for reason in loaded.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from kiosk.central import trust_lists
    from kiosk.certificates import trustlist

    with open_central(args.db) as storage:
        data = trust_lists.held(storage)
    if data is None:
        print("no trust list: kiosk-central certificates import FILE", file=sys.stderr)
        return EXIT_FAILED
    held = trustlist.parse(data, source="centre")
    age = held.age(dt.datetime.now(dt.UTC))
    print(f"imported {held.imported_at.isoformat()} ({age.days} days ago), {len(held)} "
          f"signers, ETag {trustlist.etag(data)}")
    return 0
