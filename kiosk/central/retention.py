"""``kiosk-central purge``, ``kiosk-central retention`` and ``kiosk-central timezone``: how
long raw entries and the identities in them stay, and the one zone whose local days every
report and trace uses.

Purge: raw entries older than ``retention_days`` leave the centre, and entries older than
``personal_retention_days`` lose every column that says who (:mod:`kiosk.central.erasure`).
Reports keep working (they read the per-checkpoint per-day aggregates and the distinct people
counted per day). PostgreSQL drops whole day partitions; SQLite deletes in small batches so
uploads keep flowing; erasure walks in small batches on both. The batch log's records of
batches whose entries are gone go too (:meth:`Storage.purge_batches`). So does a SQLite
centre's copy made before an upgrade, ``central.db.vN.bak``, in time
(:func:`drop_upgrade_copies`).

Every run, the daily one included, is written to the audit log before it acts (kind
``purge``: its periods, each beside the setting, and cutoffs; no record, no purge), and what
it removed and erased after (``purge-done``, naming the first record's number; written even
when a part fails, with what was done and the failure). A period given on the command line
that keeps less than a setting (0: for ever, the default included) destroys data the setting
says to keep: refused without ``--reason``. That covers the identities a raw ``--days``
removes with its entries: under a raw setting of 0 any ``--days`` needs a reason, and a
positive raw setting already removes them at it.

Retention: every change of a period is written to the audit log before it takes effect
(kind ``retention``: each setting's old and new value, who, the reason) and needs
``--reason``: a shorter one (by purge's rule above) lets the daily purge remove what the
setting keeps now, a longer one (or 0, for ever) keeps people's data longer than promised.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from typing import Any

from kiosk.central import erasure
from kiosk.commandline import EXIT_USAGE, examples, open_central, whole_number_argument
from kiosk.messages import Number, both

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
    from kiosk.central import audit

    with open_central(args.db) as storage:
        periods = []
        for option, setting, value in (("--days", RAW_SETTING, args.days),
                                       ("--personal-days", erasure.SETTING, args.personal_days)):
            now = _days(None, storage, setting)
            days = now if value is None else value
            if refused := _out_of_range(option, days):
                return refused
            # a period of the command's own that keeps less than its setting (0: for ever,
            # set or not) destroys data the setting says to keep. That covers the identities
            # a raw --days removes with its entries: under a raw setting of 0 any --days needs
            # a reason, and a positive raw setting already removes identities at it
            if value is not None and _longer(days, now) and args.reason is None:
                print(both("central.purge.shorter", option=option, days=days, now=now),
                      file=sys.stderr)
                return EXIT_USAGE
            periods.append((setting, days, now))
        today = dt.datetime.now(dt.UTC).date()
        raw_cut, personal_cut = (today - dt.timedelta(days=days) if days > 0 else None
                                 for _, days, _ in periods)
        try:  # recorded before it acts, as every act in the log; no record, no purge
            seq = audit.append_action(
                storage, "purge", actor=audit.command_actor(), channel="cli", address=None,
                reason=args.reason, subject="; ".join(
                    _period(setting, days, now, cutoff) for (setting, days, now), cutoff
                    in zip(periods, (raw_cut, personal_cut), strict=True)))
        except audit.AuditError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_USAGE
        done: list[str] = []
        try:
            with storage.overwriting():
                _purge(args, storage, raw_cut, personal_cut, done)
            drop_upgrade_copies(storage, min((days for _, days, _ in periods if days > 0),
                                             default=0), done)
            if not storage.empty_log():
                print(both("purge.log_kept", path=args.db), file=sys.stderr)
        except Exception as exc:
            done.append(f"failed: {exc}")
            raise
        finally:  # what it did, known only now (a failure too): a second record naming the first
            audit.append_action(storage, "purge-done", actor=audit.command_actor(),
                                channel="cli", address=None, reason=None,
                                subject=f"#{seq}: " + ("; ".join(done) or "nothing due"))
    return 0


def _purge(args: argparse.Namespace, storage: Any, raw_cut: dt.date | None,
           personal_cut: dt.date | None, done: list[str]) -> None:
    """Remove and erase what is before the cuts, adding each part to ``done`` once done."""
    if raw_cut is None:
        print(both("central.purge.raw_kept"))
    else:
        removed = storage.purge_entries(raw_cut)
        batches = storage.purge_batches(raw_cut)
        unit = "partitions" if args.db.startswith("postgres") else "entries"
        print(both(f"central.purge.{unit}", cutoff=raw_cut, count=Number(removed)))
        done.append(f"{RAW_SETTING}: {removed:,} {unit} before {raw_cut} removed, "
                    f"{batches:,} batch records")
    if personal_cut is None:
        print(both("central.purge.identities_kept"))
    else:
        erased = erasure.erase_personal(storage, personal_cut)
        print(both("central.purge.erased", cutoff=personal_cut, count=Number(erased)))
        done.append(f"{erasure.SETTING}: {erased:,} entries before {personal_cut} erased")


def drop_upgrade_copies(storage: Any, days: int, done: list[str]) -> None:
    """Delete the copies made before upgrades (SQLite's ``central.db.vN.bak``) once older
    than ``days`` (the shorter of the purge's periods: the copy holds entries with their
    identities; 0, both kept for ever: kept too) *and* once a whole-file check, run then,
    finds the upgraded database sound — the window to go back to the old release
    (docs/central.md, "Upgrading"), as a kiosk's purge deletes its store's
    (:meth:`kiosk.store.Store._drop_upgrade_copies`). Each copy kept is named with the day
    it goes, each deleted added to ``done``."""
    from kiosk.store import remove_copy

    due, now = [], time.time()
    for copy in storage.upgrade_copies():
        try:
            made = copy.stat().st_mtime
        except OSError:
            continue  # gone meanwhile
        if days and now - made >= days * 86400:
            due.append(copy)
        elif days:
            print(both("central.purge.upgrade_copy_waiting", path=copy,
                       made=dt.datetime.fromtimestamp(made).strftime("%Y-%m-%d %H:%M"),
                       day=dt.date.fromtimestamp(made + days * 86400).isoformat()))
    if due and not storage.found_sound():
        print(both("central.purge.upgrade_copy_unsound", path=due[0]), file=sys.stderr)
        done.append(f"{len(due)} upgrade copies kept: the database failed its check")
        return
    for copy in due:
        try:
            remove_copy(copy)
        except OSError:  # tried again at the next purge
            print(both("store.upgrade_copy_kept", path=copy), file=sys.stderr)
            continue
        print(both("store.upgrade_copy_deleted", path=copy, days=days))
        done.append(f"{copy.name} (copy before an upgrade) deleted")


def _period(setting: str, days: int, now: int, cutoff: dt.date | None) -> str:
    """One period of a purge as the audit log records it: ``personal_retention_days 14
    (setting 30): before 2026-11-19``."""
    said = f"{setting} {days}" + (" (setting)" if days == now else f" (setting {now})")
    return f"{said}: " + (f"before {cutoff}" if cutoff else "kept")


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
            # longer lifts the privacy safeguard; shorter (purge's rule for a one-off period)
            # makes the daily purge destroy what the setting keeps now: either way, say why
            if args.reason is None:
                code = "shorter" if _longer(value, now) else "longer"
                print(both(f"central.retention.{code}", option=option, days=value, now=now),
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
    print(both("central.timezone.set", zone=args.zone, count=Number(refiled)))
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    purge = subparsers.add_parser(
        "purge", parents=[common],
        help="remove raw entries, and erase identities, older than the retention periods "
             "(each run recorded in the audit log)",
        **examples("kiosk-central purge                # the retention settings (as daily)",
                   "kiosk-central purge --personal-days 21 --reason \"F0-9 request\""))
    purge.add_argument("--days", type=whole_number_argument("--days"),
                       help="keep raw entries this many days (default: the retention "
                            "setting; 0 keeps everything)")
    purge.add_argument("--personal-days", type=whole_number_argument("--personal-days"),
                       help="keep names, document numbers, phones and birth dates this many "
                            "days (default: the retention setting; 0 keeps them)")
    purge.add_argument("--reason",
                       help="why (written to the audit log with the run, before it acts; "
                            "required for a period keeping less than its setting, any "
                            "period where the setting is 0, for ever)")
    purge.set_defaults(func=cmd_purge)
    retention = subparsers.add_parser(
        "retention", parents=[common], help="show or set how long entries and identities stay",
        **examples("kiosk-central retention",
                   "kiosk-central retention --days 90 --personal-days 30 --reason \"decision 12\"",
                   "kiosk-central retention --personal-days 14 --reason \"…\"  # keep less: erases",
                   "kiosk-central retention --personal-days 0 --reason \"…\"   # keep identities"))
    retention.add_argument("--days", type=whole_number_argument("--days"),
                           help="raw entries (0: forever; 14 to 36525)")
    retention.add_argument("--personal-days", type=whole_number_argument("--personal-days"),
                           help="identities in entries (0: forever; 14 to 36525)")
    retention.add_argument("--reason",
                           help="why (written to the audit log with the change; required "
                                "for any change: a shorter period lets the daily purge erase "
                                "what the setting keeps now, a longer one or 0 keeps it "
                                "longer than promised)")
    retention.set_defaults(func=cmd_retention)
    zone = subparsers.add_parser(
        "timezone", parents=[common], help="show or set the centre's time zone",
        **examples("kiosk-central timezone", "kiosk-central timezone Asia/Ho_Chi_Minh"))
    zone.add_argument("zone", nargs="?", help="an IANA zone name (default: show the zone)")
    zone.set_defaults(func=cmd_timezone)
