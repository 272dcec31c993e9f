"""``kiosk-central report daily|monthly``: print a report or write its files.

``--out-dir`` writes one file per format named by the day or month
(:mod:`kiosk.central.report_files`), replacing the file atomically, so the 06:00 timer can
run again after a failure and the folder always holds whole files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from kiosk.central import derivation, report_files, report_formats, reports, sheets
from kiosk.central.derivation_commands import deriving_first, not_derived
from kiosk.central.localdays import REPORT_TIME, parse_utc
from kiosk.central.storage import Storage
from kiosk.commandline import (
    EXIT_USAGE,
    ArgumentRefused,
    central_output,
    examples,
    open_central,
    output_path_argument,
    refuse_empty_centre,
)
from kiosk.messages import both
from kiosk.private_files import OutputExists


def _day(text: str) -> dt.date | None:
    if text in ("today", "hôm-nay"):
        return dt.date.min  # resolved against the centre's zone once storage is open
    if text in ("yesterday", "hôm-qua"):
        return None  # the report's own default
    try:
        return reports.report_day(text)
    except ValueError:
        raise ArgumentRefused("cli.bad_report_day", value=repr(text)) from None


def _month(text: str) -> str:
    try:
        reports.month_days(text)
    except ValueError:
        raise ArgumentRefused("cli.bad_month", value=repr(text)) from None
    return text


def _formats(text: str) -> list[str]:
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    bad = [f for f in chosen if f not in sheets.FORMATS]
    if bad or not chosen:
        raise ArgumentRefused("cli.bad_formats", value=repr(text),
                              formats=", ".join(sheets.FORMATS))
    return chosen


def cmd_daily(args: argparse.Namespace) -> int:
    central_output(args.output, args.db, force=args.force,  # before the database is opened
                   example=_example(args, "ngay"))
    with open_central(args.db) as storage:
        refuse_empty_centre(storage)
        deriving_first(storage)
        day = args.date
        if day == dt.date.min:
            day = storage.today()
        if not args.out_dir:  # every entry it can count
            return _emit(reports.daily(storage, day, wait=None), args)
        folder, formats = Path(args.out_dir), args.format or list(sheets.FORMATS)
        days = [day] if day is not None else reports.days_due(  # the timer's run
            storage, lambda d: report_files.day_written(folder, d, formats))
        # the files: their entries not listed late; each day's written once it is made, so
        # that a run stopped part-way leaves no day made without its files
        return max(_emit(reports.made_daily(storage, d), args) for d in days)


def cmd_monthly(args: argparse.Namespace) -> int:
    central_output(args.output, args.db, force=args.force,  # before the database is opened
                   example=_example(args, "thang"))
    earlier: report_files.Held | None = None
    with open_central(args.db) as storage:
        refuse_empty_centre(storage)
        today = storage.today()
        month = args.month or _month_before(today)
        first_day = today.day == 1
        if args.if_due and first_day and dt.datetime.now(dt.UTC) < storage.calendar.report_time(
                today):  # the timer's catch-up run of a server back at 01:00, say
            # before 06:00 on the 1st last month's report is not due (its last evening's
            # entries still arrive, not late): the month before is the last one due
            print(both("central.report.not_due_yet", month=_month_before(today),
                       due=f"{today} {REPORT_TIME:%H:%M}", zone=storage.calendar.name))
            first_day, month = False, args.month or _month_before(today - dt.timedelta(days=1))
        if args.if_due and not first_day:
            if not args.out_dir:
                if today.day != 1:
                    print(both("central.report.not_first_day", day=today.isoformat(),
                               zone=storage.calendar.name))
                return 0
            earlier = report_files.held(Path(args.out_dir), month,
                                        args.format or sheets.FORMATS)
            if earlier is not None:
                made = _local(storage, earlier.made_at)
                deriving_first(storage)  # the people of entries derived since: counted
                derivation.catch_up(storage)
                if not _short(storage, month, earlier):
                    print(both("central.report.month_held", month=month, path=args.out_dir,
                               made_at=made))
                    return 0
                print(both("central.report.month_remade", month=month, path=args.out_dir,
                           made_at=made))
        deriving_first(storage)
        report = reports.monthly(storage, month, wait=None)
    if earlier is not None:
        report["replaces"] = earlier.made_at
        for path in earlier.keep(storage.calendar.zone):
            print(f"{both('central.report.earlier_kept')} {path}")
    return _emit(report, args)


def _month_before(day: dt.date) -> str:
    """The month before ``day``'s (``YYYY-MM``)."""
    return (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def _short(storage: Storage, month: str, earlier: report_files.Held) -> bool:
    """Whether the report of ``month`` held in files may lack some of its entries: made
    before it was due (06:00 on the 1st after, when the entries that were not late had
    arrived), or, as the dashboard's kept month (:func:`reports.stale`), what it counts
    changed since (:func:`reports.changed_since`: late entries, refusal counts, a registry
    correction) or people were derived since (entries set aside then, retried without
    ``--out-dir``: before, such files stayed a person short). Without a JSON file, by what
    changed since alone."""
    days = reports.month_days(month)
    due = storage.calendar.report_time(days[-1] + dt.timedelta(days=1))
    if parse_utc(earlier.made_at) < due:
        return True
    if earlier.report is None:
        return reports.changed_since(storage, days[0], days[-1], earlier.made_at)
    return reports.stale(storage, earlier.report)


def _local(storage: Storage, made_at: str) -> str:
    """A stored UTC time as the centre's local time, to the second."""
    return parse_utc(made_at).astimezone(storage.calendar.zone).strftime("%Y-%m-%d %H:%M:%S")


def _example(args: argparse.Namespace, kind: str) -> str:
    """A file name to give in the folder ``-o`` named (:func:`central_output`)."""
    return f"bao-cao-{kind}.{(args.format or ['xlsx'])[0]}"


def _emit(report: dict[str, Any], args: argparse.Namespace) -> int:
    not_derived(report)
    if args.out_dir:
        for path in report_files.write(report, Path(args.out_dir),
                                       args.format or list(sheets.FORMATS)):
            print(f"{both('central.wrote')} {path}")
        return 0
    if args.output:
        fmt = (args.format or [Path(args.output).suffix.lstrip(".").lower()])[0]
        if fmt not in sheets.FORMATS:
            print(both("central.report.say_format", path=args.output,
                       formats="|".join(sheets.FORMATS)), file=sys.stderr)
            return EXIT_USAGE
        try:
            report_files.write_file(Path(args.output), report_formats.render(report, fmt),
                                    force=args.force)
        except OutputExists as exc:  # made meanwhile: kept as it is
            print(exc, file=sys.stderr)
            return EXIT_USAGE
        print(f"{both('central.wrote')} {args.output}")
        return 0
    fmt = (args.format or ["json"])[0]
    if fmt == "xlsx" and sys.stdout.isatty():
        print(both("central.report.xlsx_binary"), file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.buffer.write(report_formats.render(report, fmt))
    if fmt == "json":
        sys.stdout.buffer.write(b"\n")
    return 0


def _outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", type=_formats, metavar="json|csv|xlsx",
                        help="format(s), comma-separated (default: json to stdout, the -o "
                             "file's extension, or all three with --out-dir)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="FILE", type=output_path_argument,
                       help="write to FILE")
    parser.add_argument("--force", action="store_true", help="replace an existing -o file "
                        "(--out-dir always replaces its files: a rerun makes them again)")
    where.add_argument("--out-dir", metavar="DIR", type=output_path_argument,
                       help="write bao-cao-ngay-YYYY-MM-DD.<format> files into DIR")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser(
        "report", help="daily and monthly reports",
        **examples("kiosk-central report daily",
                   "kiosk-central report monthly --month 2026-11 -o thang-11.xlsx"))
    sub = group.add_subparsers(dest="kind", required=True)
    daily = sub.add_parser(
        "daily", parents=[common], help="the daily report (default: yesterday)",
        **examples("kiosk-central report daily",
                   "kiosk-central report daily --date today --format csv",
                   "kiosk-central report daily --date 2026-11-28 -o bao-cao.xlsx",
                   "kiosk-central report daily --date 2026-11-28 -o bao-cao.xlsx --force",
                   "kiosk-central report daily --out-dir /var/lib/kiosk-central/reports"))
    daily.add_argument("--date", type=_day, metavar="YYYY-MM-DD",
                       help="local day (default: yesterday; 'today' for today so far; "
                            "with --out-dir, also each earlier day of the last 31 whose "
                            "report was never made, and before 06:00 the day before "
                            "yesterday instead: the 06:00 timer's run)")
    _outputs(daily)
    daily.set_defaults(func=cmd_daily)
    monthly = sub.add_parser(
        "monthly", parents=[common], help="the monthly report (default: last month)",
        **examples("kiosk-central report monthly --month 2026-11 -o thang-11.xlsx",
                   "kiosk-central report monthly --if-due --out-dir "
                   "/var/lib/kiosk-central/reports"))
    monthly.add_argument("--month", type=_month, metavar="YYYY-MM")
    monthly.add_argument("--if-due", "--if-first-day", dest="if_due", action="store_true",
                         help="do nothing (exit 0) unless today is the 1st in the centre's "
                              "time zone, not the machine's, from 06:00 on (before, last "
                              "month's report is not due: the month before's is looked "
                              "after as on other days), or the month's files in "
                              "--out-dir are missing or may lack entries of the month that "
                              "arrived after they were made (the earlier files kept, named "
                              "by when they were made; the 06:00 timer runs it daily; "
                              "--if-first-day, its former name, does the same)")
    _outputs(monthly)
    monthly.set_defaults(func=cmd_monthly)
