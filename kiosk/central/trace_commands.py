"""``kiosk-central trace``: where a person was and with whom, for the health authority.

Runs on the centre's server, beside the dashboard's Tracing page and the API (all three
through :func:`kiosk.central.trace_service.run`). Every trace needs a reason and is written
to the audit log before it is shown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from typing import Any

from kiosk.central.derivation_commands import deriving_first, not_derived
from kiosk.central.sheets import FORMATS
from kiosk.central.trace_formats import EXPOSED_CONTACTS
from kiosk.central.trace_service import MAX_NAMED, TRACES_PER_HOUR
from kiosk.commandline import (
    EXIT_USAGE,
    ArgumentRefused,
    central_output,
    examples,
    moment_argument,
    open_central,
    output_path_argument,
    payload_argument,
    refuse_empty_centre,
    stdin_payload,
    terminal_text,
    whole_number_argument,
)
from kiosk.messages import both
from kiosk.private_files import OutputExists, replace_file
from kiosk.sync.protocol import whole_number

_DURATION = re.compile(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
"""ASCII digits only: ``\\d`` and ``str.isdigit`` take "٣" (read as 3) and "²" (which ``int``
refuses, answered in argparse's English)."""


def duration_argument(text: str) -> float:
    """``15m``, ``2h``, ``1h30m``, ``90s`` (a bare whole number is minutes, as on the
    Tracing page) → seconds."""
    text = text.strip().lower()
    minutes = whole_number(text)
    if minutes is not None:
        return minutes * 60.0
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise ArgumentRefused("cli.bad_duration", value=repr(text))
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600.0 + minutes * 60.0 + seconds


def minutes_argument(text: str) -> float:
    """A duration in whole minutes (``90s`` refused): the answer's settings give it in
    minutes, which the API and the Tracing page take whole, so it can be sent back."""
    seconds = duration_argument(text)
    if seconds % 60:
        raise ArgumentRefused("cli.whole_minutes", value=repr(text))
    return seconds


def count_argument(text: str) -> int:
    """A whole number of people, as the API's ``second_degree`` (not ``1.9``, ``+5``, "٣")."""
    count = whole_number(text.strip())
    if count is None:
        raise ArgumentRefused("cli.bad_count", value=repr(text))
    return count


def cmd_trace(args: argparse.Namespace) -> int:
    from kiosk.central import audit, trace_formats, trace_service, tracing

    central_output(args.output, args.db, force=args.force,  # before the database is opened
                   example=f"trace.{args.format}")
    try:
        policy = tracing.Policy(margin=args.margin, default_stay=args.default_stay,
                                max_stay=args.max_stay, repeat_window=args.repeat_window,
                                second_degree=args.second_degree)
        if args.format == "xlsx" and not args.output:
            raise tracing.TraceError("trace.xlsx_needs_file")
        payload = stdin_payload() if args.payload == b"-" else args.payload
        with open_central(args.db) as storage:
            refuse_empty_centre(storage)
            calendar = storage.calendar
            request = trace_service.Request(
                document=args.document, payload=payload, phone=args.phone, name=args.name,
                birth_year=args.birth_year, start=_local(args.start, calendar.zone),
                end=_local(args.end, calendar.zone), policy=policy,
                all_named=args.all_named, foreign=args.foreign,
                all_exposures=args.all_exposures)
            deriving_first(storage)  # a file handed on: every entry it can count
            report = trace_service.run(storage, request, actor=audit.command_actor(),
                                       reason=args.reason, channel="cli", address=None,
                                       wait=None)
    except (tracing.TraceError, audit.AuditError, ArgumentRefused) as exc:
        print(f"{both('central.refused')}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    not_derived(report)
    on_terminal = not args.output and sys.stdout.isatty()
    body = trace_formats.render(_shown(report) if on_terminal else report, args.format)
    if args.output:
        try:  # 0600: names, document numbers, phones
            replace_file(args.output, body, force=args.force, output=True)
        except OutputExists as exc:  # made meanwhile: kept; the trace is in the audit log
            print(exc, file=sys.stderr)
            return EXIT_USAGE
        print(f"{args.output}: {len(report['visits'])} {both('central.visits')}, "
              f"{len(report['contacts'])} {both('central.contacts')} "
              f"({both('central.audit')} #{report['audit']})", file=sys.stderr)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    return 0


def _shown(value: Any) -> Any:
    """The trace as a terminal shows it: every text in it (names, addresses from scanned
    codes, whose makers chose them) with its control characters as escapes, never obeyed.
    Files and pipes get the data as stored."""
    if isinstance(value, str):
        return terminal_text(value)
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def _local(value: dt.date | dt.datetime | None, zone: Any) -> dt.date | dt.datetime | None:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    trace = subparsers.add_parser(
        "trace", parents=[common],
        help="contact tracing: a person's visits and everyone who shared them",
        description="Visits of one person (by document number, any scanned code, or name + "
                    "birth year for manual entries) over a period (default: the last 14 "
                    "local days), and every other person whose stay overlapped one of them, "
                    "ranked by time shared. Each trace needs a reason and is recorded in the "
                    "audit log (kiosk-central audit list).",
        **examples(
            "kiosk-central trace --document 079012345678 --reason 'ca bệnh F0-1234'",
            "kiosk-central trace --payload - --reason 'case F0-1234' --format xlsx "
            "-o F0-1234.xlsx   # the scanned code on standard input (paste, Enter, Ctrl-D)",
            "kiosk-central trace --name 'Nguyễn Văn An' --birth-year 1990 --from 2026-11-16 "
            "--to 2026-11-29 --margin 30m --reason 'case F0-1234' --format csv -o F0-1234.csv",
            "kiosk-central trace --document 079012345678 --second-degree 5 --reason 'F0-1234'",
            "kiosk-central trace --phone '0912 345 678' --reason 'F0-1234'",
            "kiosk-central trace --document 079012345678 --reason 'F0-1234' --format xlsx "
            "-o F0-1234.xlsx --force   # replace an older file"))
    whom = trace.add_mutually_exclusive_group(required=True)
    whom.add_argument("--document", help="số giấy tờ / document number (CCCD, CMND, passport)")
    trace.add_argument("--foreign", action="store_true",
                       help="with --document: giấy tờ nước ngoài / another country's document, "
                            "entered by hand with that box ticked (a passport numbered like a "
                            "CMND is not the CMND's holder)")
    whom.add_argument("--payload", type=payload_argument,
                      help="a scanned code as text, or hex:… (CCCD, PC-Covid, HC1, …); - "
                           "reads it from standard input, which other local users cannot "
                           "see (a command line they can, and the shell's history keeps it)")
    whom.add_argument("--phone", help="số điện thoại / phone number of a person entered by "
                                      "hand (0912 345 678, +84 912 345 678, +1 202 555 0143: "
                                      "the same person however typed)")
    whom.add_argument("--name", help="họ tên / name, with --birth-year (weaker match: manual "
                                     "entries carry no birth date)")
    trace.add_argument("--birth-year", help="năm sinh / birth year, with --name")
    trace.add_argument("--all-named", action="store_true",
                       help="with --name: trace everyone it matches even when more than "
                            f"{MAX_NAMED} people (otherwise only their number is said)")
    trace.add_argument("--all-exposures", action="store_true",
                       help="list every (visit, contact) exposure, not only those of the "
                            f"top {EXPOSED_CONTACTS} contacts (each contact's row sums "
                            "them; a busy person's are tens of MB)")
    trace.add_argument("--from", dest="start", type=moment_argument, metavar="DAY|TIME",
                       help="first local day (YYYY-MM-DD) or time (default: 14 days back)")
    trace.add_argument("--to", dest="end", type=moment_argument, metavar="DAY|TIME",
                       help="last local day, included, or time (default: now)")
    trace.add_argument("--margin", type=minutes_argument, default=15 * 60.0,
                       help="stays this close count as contact, in whole minutes (default 15m)")
    trace.add_argument("--default-stay", type=minutes_argument, default=2 * 3600.0,
                       help="stay assumed when the exit (or entry) was not scanned "
                            "(default 2h)")
    trace.add_argument("--max-stay", type=minutes_argument, default=12 * 3600.0,
                       help="an exit later than this after the entry is another visit "
                            "(default 12h)")
    trace.add_argument("--repeat-window", type=duration_argument, default=300.0,
                       help="a scan in the same direction this soon is a repeat (default 5m, "
                            "the kiosk's duplicate window)")
    trace.add_argument("--second-degree", type=count_argument, default=0, metavar="N",
                       help="also trace the top N contacts (at most 20; default 0)")
    trace.add_argument("--format", choices=FORMATS, default="json")
    trace.add_argument("-o", "--output", metavar="FILE", type=output_path_argument,
                       help="write to FILE (default: stdout)")
    trace.add_argument("--force", action="store_true", help="replace an existing -o file")
    trace.add_argument("--reason", required=True,
                       help="lý do / reason: the case or ticket number, at least 4 characters "
                            "with a digit (recorded in the audit log)")
    trace.set_defaults(func=cmd_trace)
    limit = subparsers.add_parser(
        "trace-limit", parents=[common],
        help="show or set how many traces a dashboard or API user is answered an hour",
        **examples("kiosk-central trace-limit",
                   "kiosk-central trace-limit 60 --reason \"outbreak F0-1234\"",
                   "kiosk-central trace-limit 0 --reason \"…\"   # no limit"))
    limit.add_argument("per_hour", nargs="?", type=whole_number_argument("per_hour"),
                       help=f"traces (exports included) per user in any hour (default "
                            f"{TRACES_PER_HOUR}; 0: no limit)")
    limit.add_argument("--reason", help="why (required for a change; written to the audit "
                                        "log before it takes effect)")
    limit.set_defaults(func=cmd_trace_limit)


def cmd_trace_limit(args: argparse.Namespace) -> int:
    """Show the limit, or change it: a safeguard, so the change says why in the log first."""
    from kiosk.central import audit, trace_service

    with open_central(args.db) as storage:
        now = trace_service.traces_per_hour(storage)
        if args.per_hour is not None and args.per_hour != now:
            try:
                audit.append_action(storage, "trace-limit", actor=audit.command_actor(),
                                    channel="cli", address=None, reason=args.reason or "",
                                    subject=f"{trace_service.LIMIT_SETTING} {now} → "
                                            f"{args.per_hour}")
            except audit.AuditError as exc:
                print(f"{both('central.refused')}: {exc}", file=sys.stderr)
                return EXIT_USAGE
            storage.set_setting(trace_service.LIMIT_SETTING, str(args.per_hour))
            now = args.per_hour
    print(both("central.trace_limit", limit=now) if now else both("central.trace_unlimited"))
    return 0
