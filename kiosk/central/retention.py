"""``kiosk-central purge`` and ``kiosk-central timezone``: how long raw entries stay, and
the one zone whose local days every report and trace uses.

Purge: raw entries older than the retention period leave the centre.

Reports keep working (they read the per-checkpoint per-day aggregates). PostgreSQL drops
whole day partitions; SQLite deletes in small batches so uploads keep flowing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from kiosk.commandline import EXIT_USAGE, examples, open_central


def cmd_purge(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        days = args.days if args.days is not None else int(storage.setting("retention_days"))
        if days <= 0:
            print("Không xoá gì: chưa đặt thời hạn lưu / nothing purged: no retention period "
                  "(use --days N)")
            return 0
        if days < 14:
            print(f"--days {days}: keep at least 14 days (late uploads, tracing)",
                  file=sys.stderr)
            return EXIT_USAGE
        cutoff = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)
        removed = storage.purge_entries(cutoff)
    print(f"Đã xoá dữ liệu trước / Purged raw entries before {cutoff} ({removed:,} "
          f"{'partitions' if args.db.startswith('postgres') else 'entries'}); reports keep "
          f"their counts")
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
    print(f"Múi giờ / Time zone: {args.zone}; {refiled:,} entries refiled under their local "
          f"days (restart `kiosk-central serve` processes)")
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    purge = subparsers.add_parser(
        "purge", parents=[common], help="remove raw entries older than the retention period",
        **examples("kiosk-central purge --days 30"))
    purge.add_argument("--days", type=int,
                       help="keep this many days (default: the database's retention_days "
                            "setting; 0 keeps everything)")
    purge.set_defaults(func=cmd_purge)
    zone = subparsers.add_parser(
        "timezone", parents=[common], help="show or set the centre's time zone",
        **examples("kiosk-central timezone", "kiosk-central timezone Asia/Ho_Chi_Minh"))
    zone.add_argument("zone", nargs="?", help="an IANA zone name (default: show the zone)")
    zone.set_defaults(func=cmd_timezone)
