"""``kiosk-central certificates import | status``: the trust list the centre serves to its
kiosks (``GET /api/v1/trust-list``), imported from the national backend's or the EU
gateway's file, or a folder of PEM certificates. Kiosks fetch it within the hour."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from kiosk.certificates.commands import add_import, read_source
from kiosk.commandline import examples, open_central
from kiosk.messages import both

EXIT_FAILED = 1


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser(
        "certificates", help="the certificate trust list served to kiosks",
        **examples("kiosk-central certificates import dsc-trust-list.json",
                   "kiosk-central certificates status"))
    sub = group.add_subparsers(dest="certificates_command", required=True)
    add_import(sub, common, cmd_import, "kiosk-central certificates import dsc-trust-list.json")
    status = sub.add_parser("status", parents=[common], help="age and size of the served list",
                            **examples("kiosk-central certificates status"))
    status.set_defaults(func=cmd_status)


def cmd_import(args: argparse.Namespace) -> int:
    from kiosk.central import trust_lists

    loaded = read_source(args.source, both)
    if loaded is None:
        return EXIT_FAILED
    with open_central(args.db) as storage:
        # served as imported here, not with a kiosk's record of its own fetch
        trust_lists.store(storage, replace(loaded, fetched=None).to_json())
    print(both("certificates.imported_centre", signers=len(loaded),
               countries=len(loaded.countries())))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from kiosk.central import trust_lists
    from kiosk.certificates import trustlist

    with open_central(args.db) as storage:
        data = trust_lists.held(storage)
    if data is None:
        print(both("certificates.none_at_centre"), file=sys.stderr)
        return EXIT_FAILED
    held = trustlist.parse(data, source="centre")
    age = held.age()
    print(both("certificates.centre_status", at=held.imported_at.isoformat(),
               days="?" if age is None else age.days,
               signers=len(held), etag=trustlist.etag(data)))
    return 0
