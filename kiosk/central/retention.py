"""``kiosk-central purge``: raw entries older than the retention period leave the centre.

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


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    purge = subparsers.add_parser(
        "purge", parents=[common], help="remove raw entries older than the retention period",
        **examples("kiosk-central purge --days 30"))
    purge.add_argument("--days", type=int,
                       help="keep this many days (default: the database's retention_days "
                            "setting; 0 keeps everything)")
    purge.set_defaults(func=cmd_purge)
