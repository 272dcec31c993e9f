"""``kiosk-central purge``, ``kiosk-central retention`` and ``kiosk-central timezone``: how
long raw entries and the identities in them stay, and the one zone whose local days every
report and trace uses.

Purge: raw entries older than ``retention_days`` leave the centre, and entries older than
``personal_retention_days`` lose every column that says who (:mod:`kiosk.central.erasure`).
Reports keep working (they read the per-checkpoint per-day aggregates and the distinct people
counted per day). PostgreSQL drops whole day partitions; SQLite deletes in small batches so
uploads keep flowing; erasure walks in small batches on both. The batch log's records of
batches whose entries are gone go too (:meth:`Storage.purge_batches`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from kiosk.central import erasure
from kiosk.commandline import EXIT_USAGE, examples, open_central
from kiosk.messages import both

RAW_SETTING = "retention_days"
MAX_DAYS = 36_525
"""A century: longer reaches back past the calendar's first day (and 0 keeps everything)."""


def _days(value: int | None, storage: Any, setting: str) -> int:
    return value if value is not None else int(storage.optional_setting(setting) or 0)


def _out_of_range(option: str, days: int) -> int | None:
    if 0 < days < erasure.MIN_DAYS:
        print(both("central.purge.too_short", option=option, days=days, least=erasure.MIN_DAYS),
              file=sys.stderr)
        return EXIT_USAGE
    if days < 0:
        print(both("central.purge.negative", option=option, days=days), file=sys.stderr)
        return EXIT_USAGE
    if days > MAX_DAYS:
        print(both("central.purge.too_long", option=option, days=days, most=MAX_DAYS),
              file=sys.stderr)
        return EXIT_USAGE
    return None


def cmd_purge(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        days = _days(args.days, storage, RAW_SETTING)
        personal = _days(args.personal_days, storage, erasure.SETTING)
        refused = _out_of_range("--days", days) or _out_of_range("--personal-days", personal)
        if refused:
            return refused
        today = dt.datetime.now(dt.UTC).date()
        if days <= 0:
            print(both("central.purge.raw_kept"))
        else:
            cutoff = today - dt.timedelta(days=days)
            removed = storage.purge_entries(cutoff)
            storage.purge_batches(cutoff)
            unit = "partitions" if args.db.startswith("postgres") else "entries"
            print(both(f"central.purge.{unit}", cutoff=cutoff, count=f"{removed:,}"))
        if personal <= 0:
            print(both("central.purge.identities_kept"))
        else:
            cutoff = today - dt.timedelta(days=personal)
            erased = erasure.erase_personal(storage, cutoff)
            print(both("central.purge.erased", cutoff=cutoff, count=f"{erased:,}"))
    return 0


def _longer(now: int, days: int) -> bool:
    """Whether ``days`` keeps data longer than ``now`` (0: for ever)."""
    return now != 0 and (days == 0 or days > now)


def cmd_retention(args: argparse.Namespace) -> int:
    from kiosk.central import audit

    with open_central(args.db) as storage:
        changes = []
        for option, setting, value in (("--days", RAW_SETTING, args.days),
                                       ("--personal-days", erasure.SETTING, args.personal_days)):
            if value is None:
                continue
            if refused := _out_of_range(option, value):
                return refused
            now = _days(None, storage, setting)
            if value == now:
                continue
            if _longer(now, value) and args.reason is None:  # lifts the safeguard: say why
                print(both("central.retention.longer", option=option, days=value, now=now),
                      file=sys.stderr)
                return EXIT_USAGE
            changes.append((setting, now, value))
        if changes:  # recorded before it takes effect, as every act in the log
            try:
                audit.append_action(
                    storage, "retention", actor=audit.command_actor(), channel="cli",
                    address=None, reason=args.reason, subject="; ".join(
                        f"{setting} {now} → {value}" for setting, now, value in changes))
            except audit.AuditError as exc:
                print(str(exc), file=sys.stderr)
                return EXIT_USAGE
        for setting, _, value in changes:
            storage.set_setting(setting, str(value))
        days = _days(None, storage, RAW_SETTING)
        personal = _days(None, storage, erasure.SETTING)

    def said(n: int) -> str:
        return both("central.retention.days", days=n) if n else both("central.retention.forever")

    print(f"{both('central.retention.raw')}: {said(days)}")
    print(f"{both('central.retention.identities')}: {said(personal)}")
    print(both("central.retention.applied"))
    return 0


def cmd_timezone(args: argparse.Namespace) -> int:
    from kiosk.central.localdays import CalendarError

    with open_central(args.db) as storage:
        if args.zone is None:
            print(storage.calendar.name)
            return 0
        try:
            refiled = storage.set_timezone(args.zone)
        except CalendarError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_USAGE
    print(both("central.timezone.set", zone=args.zone, count=f"{refiled:,}"))
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    purge = subparsers.add_parser(
        "purge", parents=[common],
        help="remove raw entries, and erase identities, older than the retention periods",
        **examples("kiosk-central purge",
                   "kiosk-central purge --days 90 --personal-days 30"))
    purge.add_argument("--days", type=int,
                       help="keep raw entries this many days (default: the retention "
                            "setting; 0 keeps everything)")
    purge.add_argument("--personal-days", type=int,
                       help="keep names, document numbers, phones and birth dates this many "
                            "days (default: the retention setting; 0 keeps them)")
    purge.set_defaults(func=cmd_purge)
    retention = subparsers.add_parser(
        "retention", parents=[common], help="show or set how long entries and identities stay",
        **examples("kiosk-central retention",
                   "kiosk-central retention --days 90 --personal-days 30",
                   "kiosk-central retention --personal-days 0 --reason \"…\"   # keep identities"))
    retention.add_argument("--days", type=int, help="raw entries (0: forever; 14 to 36525)")
    retention.add_argument("--personal-days", type=int,
                           help="identities in entries (0: forever; 14 to 36525)")
    retention.add_argument("--reason",
                           help="why (written to the audit log with the change; required "
                                "for a longer period or 0)")
    retention.set_defaults(func=cmd_retention)
    zone = subparsers.add_parser(
        "timezone", parents=[common], help="show or set the centre's time zone",
        **examples("kiosk-central timezone", "kiosk-central timezone Asia/Ho_Chi_Minh"))
    zone.add_argument("zone", nargs="?", help="an IANA zone name (default: show the zone)")
    zone.set_defaults(func=cmd_timezone)
