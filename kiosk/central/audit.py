"""The trace audit log: who traced whom, when, why, and how many people it revealed.

A trace discloses where many people were, so every one is recorded before its answer is
shown, and the record cannot be changed afterwards: the ``trace_audit`` table (schema v4)
refuses UPDATE and DELETE by trigger on both engines, and TRUNCATE on PostgreSQL. Whoever
can drop triggers (the database owner) can still erase it — on PostgreSQL give the server
a role that does not own the table (see docs/central.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from kiosk.commandline import examples, open_central

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

COLUMNS = ("seq", "at", "tracer", "channel", "reason", "whom", "period_from", "period_to",
           "visits", "contacts")
MAX_REASON = 500


class AuditError(ValueError):
    """A trace that may not run: no usable reason or tracer."""


@dataclass(frozen=True)
class Record:
    seq: int
    at: str
    tracer: str
    channel: str
    """``cli`` or ``api``."""
    reason: str
    whom: str
    """The person as asked for (document number, payload's key, or name and birth year)."""
    period_from: str
    period_to: str
    visits: int
    contacts: int


def check_reason(reason: str | None) -> str:
    """The reason as recorded; a case number or similar is required."""
    text = " ".join((reason or "").split())
    if len(text) < 3:
        raise AuditError("reason: required, e.g. the case number 'ca bệnh F0-1234' / "
                         "a case number is required")
    if len(text) > MAX_REASON:
        raise AuditError(f"reason: at most {MAX_REASON} characters")
    return text


def append(storage: Storage, *, tracer: str, channel: str, reason: str, whom: str,
           period_from: str, period_to: str, visits: int, contacts: int) -> int:
    """Record one trace; its sequence number."""
    from kiosk.sync import protocol

    if not tracer.strip():
        raise AuditError("tracer: who is tracing must be known")
    with storage._transaction() as tx:
        return storage._execute(
            tx, "INSERT INTO trace_audit (at, tracer, channel, reason, whom, period_from, "
                "period_to, visits, contacts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            (protocol.format_time(dt.datetime.now(dt.UTC)), tracer, channel,
             check_reason(reason), whom, period_from, period_to, visits, contacts)
        ).fetchone()[0]


def records(storage: Storage, *, limit: int = 100, tracer: str | None = None
            ) -> list[Record]:
    """The latest records first."""
    sql = f"SELECT {', '.join(COLUMNS)} FROM trace_audit"
    params: list[Any] = []
    if tracer:
        sql += " WHERE tracer = ?"
        params.append(tracer)
    params.append(limit)
    return [Record(*row) for row in storage._query(sql + " ORDER BY seq DESC LIMIT ?", params)]


# -- kiosk-central audit list -------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        found = records(storage, limit=args.limit, tracer=args.tracer)
    if args.json:
        print(json.dumps([asdict(r) for r in found], ensure_ascii=False, indent=1))
        return 0
    if not found:
        print("Chưa có lần truy vết nào / No traces recorded")
        return 0
    for r in found:
        print(f"#{r.seq} {r.at} {r.tracer} ({r.channel}) — {r.whom} — "
              f"{r.period_from} … {r.period_to}: {r.visits} lượt / visits, {r.contacts} "
              f"người tiếp xúc / contacts — lý do / reason: {r.reason}")
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser(
        "audit", help="the append-only log of contact traces",
        **examples("kiosk-central audit list", "kiosk-central audit list --limit 20 --json"))
    sub = group.add_subparsers(dest="action", required=True)
    lst = sub.add_parser(
        "list", parents=[common], help="who traced whom, when and why (latest first)",
        **examples("kiosk-central audit list",
                   "kiosk-central audit list --tracer root@centre --json"))
    lst.add_argument("--limit", type=int, default=100, help="records shown (default 100)")
    lst.add_argument("--tracer", help="only this tracer's records")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)
