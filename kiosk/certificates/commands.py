"""``kiosk certificates import | status | list | refresh``: the technician's trust-list tools.

``import`` reads a trust list in any format ``trustlist`` knows (EU gateway JSON, national
DSC list, PEM file or folder) and writes it, atomically, to the file named by
``[certificates] trust_list``; a running kiosk uses it from its next HC1 scan. ``status``
says how old the list is and what it holds, ``list`` names every signer; ``refresh``
fetches the centre's copy now.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kiosk.clock import age_words, clock_wrong_then
from kiosk.commandline import examples, load_config, print_table
from kiosk.messages import Words, os_words, text

if TYPE_CHECKING:
    from kiosk.certificates.trustlist import TrustList
    from kiosk.config import Config

Say = Callable[..., str]
"""How a command words a catalogue code: ``messages.both`` or ``text`` in one language."""

EXIT_FAILED = 1
# kiosk.certificates.trustlist (cryptography, asn1crypto) is imported by the commands that
# use it: ``kiosk --help`` and every other command stay fast.


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser(
        "certificates", help="the trust list that vaccination certificates are checked with",
        **examples("kiosk certificates import dsc-trust-list.json",
                   "kiosk certificates status"))
    sub = group.add_subparsers(dest="certificates_command", required=True)
    add_import(sub, common, cmd_import, "kiosk certificates import dsc-trust-list.json",
               "kiosk certificates import /media/usb/dsc-pem/")
    status = sub.add_parser("status", parents=[common],
                            help="age of the trust list, signers per country",
                            **examples("kiosk certificates status",
                                       "kiosk certificates status --json"))
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)
    listing = sub.add_parser("list", parents=[common],
                             help="every signer: key id, country, valid until, kinds",
                             **examples("kiosk certificates list"))
    listing.set_defaults(func=cmd_list)
    refresh = sub.add_parser("refresh", parents=[common],
                             help="fetch the centre's trust list now ([sync] server and token)",
                             **examples("kiosk certificates refresh"))
    refresh.set_defaults(func=cmd_refresh)


def add_import(sub: Any, common: argparse.ArgumentParser, command: Callable[..., int],
               *example_lines: str) -> None:
    """The ``import`` subcommand, the same for the kiosk's and the centre's trust list."""
    imp = sub.add_parser(
        "import", parents=[common],
        help="load a trust list (gateway JSON, DSC list, PEM file or folder)",
        **examples(*example_lines))
    imp.add_argument("source", help="trust list file, or a folder of .pem/.crt/.cer files")
    imp.set_defaults(func=command)


def read_source(source: str, say: Say) -> TrustList | None:
    """The trust list in ``source`` (any format trustlist reads), its skipped items named;
    None after saying why nothing can be imported from it."""
    from kiosk.certificates import trustlist

    try:
        loaded = trustlist.load(source)
    except trustlist.TrustListError as exc:
        print(say("certificates.not_imported", error=exc), file=sys.stderr)
        return None
    for skipped in loaded.skipped:
        print(say("certificates.skipped", reason=skipped), file=sys.stderr)
    return loaded


def cmd_import(args: argparse.Namespace) -> int:
    from kiosk.certificates import trustlist

    config = load_config(args.config)

    def say(code: str, **params: object) -> str:
        return text(code, config.kiosk.language, **params)

    loaded = read_source(args.source, say)
    if loaded is None:
        return EXIT_FAILED
    try:  # imported here: not as another kiosk's copy from the centre arrived there
        trustlist.save(replace(loaded, fetched=None), config.trust_list_path)
    except OSError as exc:
        print(say("certificates.not_imported", error=Words(
            "file.unwritable", {"path": config.trust_list_path, "reason": os_words(exc)})),
            file=sys.stderr)
        return EXIT_FAILED
    countries = ", ".join(f"{c or '?'} {n}" for c, n in loaded.countries().items())
    print(say("certificates.imported", signers=len(loaded), countries=countries,
              path=config.trust_list_path))
    return 0


def _held(config: Config) -> TrustList | None:
    """The kiosk's trust list, or None after saying why there is none."""
    from kiosk.certificates import trustlist

    try:
        return trustlist.load(config.trust_list_path)
    except trustlist.TrustListError as exc:
        print(text("certificates.none_here", config.kiosk.language, error=exc),
              file=sys.stderr)
        return None


def cmd_status(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    path = config.trust_list_path
    held = _held(config)
    if held is None:
        return EXIT_FAILED
    age = held.age()
    max_age = dt.timedelta(days=config.certificates.max_age_days)
    # imported later than the clock reads while it reads 1970 now: how old is unknown,
    # neither "current" nor "too old", the checks still use the list; its age begun on a
    # clock that was wrong then (before clock_wrong_then's bound, or ahead of the clock now
    # while it reads right; for a list from the centre, the centre's at its import): too
    # old, until imported again (TrustList.too_old)
    counted_from = held.counted_from()
    too_old = held.too_old(max_age)
    report = {
        "path": str(path), "imported_at": held.imported_at.isoformat(),
        "fetched_at": None if held.fetched is None else held.fetched.at.isoformat(),
        "age_days": None if age is None else _days(age),
        "later_than_clock": age is None and not clock_wrong_then(counted_from),
        "max_age_days": max_age.days,
        "too_old": too_old, "wrong_clock": held.wrong_clock() if too_old else None,
        "signers": len(held),
        "countries": held.countries(), "policy": config.certificates.policy,
        "source": held.source,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    again = {"import": "certificates.import_again",
             "centre": "certificates.import_again_at_centre"}
    print(text("certificates.status", config.kiosk.language, path=path,
               at=report["imported_at"], most=max_age.days,
               # an age known (by the boot's clock too, whatever the wall clock reads now)
               age=Words("sync.ago", {"ago": _day_words(age)}) if age is not None
               else age_words(counted_from, _day_words),
               state=Words(again[report["wrong_clock"]] if report["wrong_clock"] else
                           "certificates.age_unknown" if age is None else
                           "certificates.too_old" if too_old else
                           "certificates.current"),
               signers=len(held), countries=len(report["countries"]),
               per_country=", ".join(f"{c or '?'} {n}" for c, n in report["countries"].items()),
               policy=report["policy"]))
    return 0


def _day_words(age: dt.timedelta) -> Words:
    return Words("certificates.days", {"days": _days(age)})


def _days(age: dt.timedelta) -> float:
    return round(age.total_seconds() / 86400, 1)


def cmd_list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    held = _held(config)
    if held is None:
        return EXIT_FAILED
    from kiosk.certificates.trustlist import TrustListError

    language = config.kiosk.language

    def row(signer: Any) -> tuple[object, ...]:
        try:
            cert = signer.certificate
        except TrustListError as exc:
            return (signer.kid_b64, signer.country or "?",
                    text("certificates.unusable", language, error=exc), "", "")
        until = cert.not_after.date().isoformat() if cert.not_after else "?"
        kinds = (",".join(sorted(cert.usages)) if cert.usages
                 else text("certificates.every_kind", language))
        return signer.kid_b64, signer.country or "?", until, kinds, cert.subject

    print_table("certificates.columns", "{:13} {:8} {:12} {:12} {}",
                (row(s) for signers in held.signers.values() for s in signers), [language])
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from kiosk.certificates import trustlist
    from kiosk.certificates.refresh import refresh
    from kiosk.sync.client import SyncClient, SyncError
    from kiosk.sync.kiosk_keys import resolve_token

    config = load_config(args.config)
    client = SyncClient(config.sync.server_url, resolve_token(config),
                        timeout=config.sync.timeout_seconds,
                        allow_plain_http=config.sync.allow_plain_http)
    try:
        result = refresh(client, config.trust_list_path)
    except (SyncError, trustlist.TrustListError) as exc:
        print(text("certificates.not_refreshed", config.kiosk.language, error=exc),
              file=sys.stderr)
        return EXIT_FAILED
    finally:
        client.close()
    print(text("certificates.refreshed", config.kiosk.language, signers=result.signers)
          if result.changed else text("certificates.already_current", config.kiosk.language))
    return 0
