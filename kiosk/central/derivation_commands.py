"""``kiosk-central derivation``: what the centre has not derived yet from the entries it
acknowledged, the parts set aside after an error, and a retry once the cause is mended.

A part is set aside when deriving it fails for another reason than busy or absent storage
(:mod:`kiosk.central.derivation`): its entries stay stored, and every report and trace says
how many it could not count (:func:`not_derived`) until a retry derives them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.commandline import (
    EXIT_USAGE,
    examples,
    open_central,
    output_path_argument,
    terminal_text,
)
from kiosk.messages import both


def not_derived(answer: dict[str, Any]) -> None:
    """Say on stderr what a report or trace could not count (its ``not_derived``), if any."""
    left = answer.get("not_derived", {})
    if any(left.values()):
        print(both("central.not_derived", pending=left["pending_entries"],
                   set_aside=left["set_aside_entries"]), file=sys.stderr)


def deriving_first(storage: Any) -> None:
    """Say on stderr how many entries a command derives before it answers, when any are
    waiting: it then waits for all of them (300,000 took 14 s, docs/benchmarks.md)."""
    from kiosk.central import derivation

    pending = derivation.backlog(storage).pending
    if pending:
        print(both("central.deriving_first", pending=pending), file=sys.stderr)


def cmd_derivation(args: argparse.Namespace) -> int:
    from kiosk.central import derivation, report_files

    if args.out_dir and not args.retry:
        print(both("central.derivation.out_dir_with_retry"), file=sys.stderr)
        return EXIT_USAGE
    if args.out_dir and not Path(args.out_dir).is_dir():
        # checked before the retry: a mistyped folder made no file again and named no day
        # to remake, and the retried entries no longer said which days those were
        print(both("central.derivation.no_out_dir", path=args.out_dir), file=sys.stderr)
        return EXIT_USAGE
    days: list[str] = []
    rewritten: list[Path] = []
    with open_central(args.db) as storage:
        if args.retry:
            days = sorted(derivation.set_aside_days(storage))  # their reports count them now
            left = derivation.retry(storage)
            if args.out_dir:
                rewritten = report_files.rewrite(storage, Path(args.out_dir), days)
        else:
            left = derivation.backlog(storage)
        parts = derivation.set_aside(storage)
    if args.json:
        print(json.dumps({**left.answer(), "set_aside": parts, "retried_days": days,
                          "reports_rewritten": [str(p) for p in rewritten]},
                         ensure_ascii=False, indent=1))
    else:
        print(both("central.derivation.status", pending=left.pending,
                   set_aside=left.set_aside))
        for part in parts:  # an error may quote a row's text: shown, never obeyed
            print(terminal_text(both("central.derivation.part", **part)))
        for path in rewritten:
            print(f"{both('central.wrote')} {path}")
    if days and not args.out_dir:
        print(both("central.derivation.reports_to_remake", days=", ".join(days)),
              file=sys.stderr)
    return 1 if left.set_aside else 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "derivation", parents=[common],
        help="entries not derived yet (people, stays, matches); retry those set aside",
        description="Entries are acknowledged first and derived after (day sets and people, "
                    "stays, document matches). A part whose derivation fails for another "
                    "reason than busy storage is set aside with its error; reports and "
                    "traces say how many entries they could not count. This lists them; "
                    "--retry derives them again once the cause is mended, and with "
                    "--out-dir makes again the report files of their days. Exit status 1 "
                    "while any are set aside.",
        **examples("kiosk-central derivation",
                   "kiosk-central derivation --retry --out-dir /var/lib/kiosk-central/reports",
                   "kiosk-central derivation --json"))
    parser.add_argument("--retry", action="store_true",
                        help="queue every part set aside again and derive it")
    parser.add_argument("--out-dir", metavar="DIR", type=output_path_argument,
                        help="with --retry: make again the report files in DIR (as "
                             "`report … --out-dir` wrote them) of the days and months the "
                             "retried entries are filed under")
    parser.add_argument("--json", action="store_true", help="machine-readable")
    parser.set_defaults(func=cmd_derivation)
