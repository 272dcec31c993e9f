"""One trace, start to finish: whom and when as asked → the answer, recorded in the audit log.

The CLI (``kiosk-central trace``), the dashboard's Tracing page and ``POST /api/v1/trace``
all call :func:`run`, with the identity of whoever asks: one place for the rules that keep
tracing from being a lookup service — a reason that is a case reference, an hourly limit per
dashboard or API user, a name matching more than :data:`MAX_NAMED` people confirmed first —
and for the record of everyone a trace showed.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kiosk.central import audit, derivation, trace_formats, tracing
from kiosk.central.storage import Storage
from kiosk.central.storage_errors import StorageError
from kiosk.central.trace_queries import IdentitiesGone, StorageSource
from kiosk.messages import WordedError, both
from kiosk.payloads.manual import phone_key
from kiosk.sync import protocol

DEFAULT_DAYS = 14
MAX_DAYS = 92
"""A longer period is refused: beyond any retention, and a trace that size is a survey."""
LIMIT_SETTING = "traces_per_hour"
TRACES_PER_HOUR = 30
"""Traces (exports included) a dashboard or API user is answered in any hour, unless
``kiosk-central trace-limit`` set another (0: no limit). A tracer phones each contact of a
case and traces the positive ones onward: a trace and its export every few minutes at most,
so 30 is a busy day's pace; a sweep of document numbers is not. The CLI, run on the server by
an account that can read the database, is not limited."""
MAX_NAMED = 5
"""A name and birth year matching more distinct people than this is answered with their
number only, until narrowed (a document number, a period) or confirmed (``all_named``):
each of them would be disclosed, with their document number and contacts."""


@dataclass(frozen=True)
class Request:
    """Exactly one of document, payload, phone, or name + birth_year; local days or
    instants."""

    document: str | None = None
    foreign: bool = False
    """The document is another country's (typed by hand with «Giấy tờ nước ngoài» ticked):
    traced apart from the Vietnamese document of that number
    (:func:`tracing.target_for_document`)."""
    payload: bytes | None = None
    phone: str | None = None
    """Of a person entered by hand, as any officer may have typed it (:func:`e164`)."""
    name: str | None = None
    birth_year: str | None = None
    start: dt.date | dt.datetime | None = None
    end: dt.date | dt.datetime | None = None
    """A date is the whole local day (the end day included); default: the last 14 days."""
    policy: tracing.Policy = field(default_factory=tracing.Policy)
    all_named: bool = False
    """Trace everyone a name matches even when more than :data:`MAX_NAMED` (the tracer
    confirmed it); the audit record names each of them."""
    all_exposures: bool = False
    """List every (visit, contact) exposure, not only those of the
    :data:`trace_formats.EXPOSED_CONTACTS` highest ranked contacts: a file for the health
    authority, not a page (a busy person's is tens of MB)."""


def whom(request: Request, found: tracing.Target) -> str:
    """Whom a trace was about, as the append-only audit log keeps it: the document, or the
    name and birth year, as asked; for a scanned code, whom it resolved to — its full
    document number, else its match key (last digits, folded name, birth year), else only
    its kind. Never the code itself: a CCCD's carries its holder's address, birth date and
    issue date, which the log would keep past any retention (docs/privacy.md)."""
    if request.document is not None:
        return f"{'foreign ' if request.foreign else ''}document {request.document}"
    if request.phone is not None:
        return f"phone {found.query.get('phone') or request.phone}"
    if request.payload is None:
        return f"name {request.name} born {request.birth_year}"
    kind = f"payload {found.query['payload_kind']}"
    if "document" in found.query:
        return f"{kind}: document {found.query['document']}"
    if found.query["key"].startswith("m:"):
        return f"{kind}: match key {found.query['key']}"
    return kind


def traces_per_hour(storage: Storage) -> int:
    """The hourly limit of traces per user (0: none)."""
    return int(storage.optional_setting(LIMIT_SETTING) or TRACES_PER_HOUR)


def asked_for(request: Request) -> str:
    """Whom a trace was asked about, before anything is looked up (never a code's text)."""
    if request.payload is not None:
        return "payload"
    return whom(request, tracing.Target(frozenset(), {}))


log = logging.getLogger(__name__)
CLAIM_LOCK = 0x6B696F74
"""PostgreSQL advisory lock class (with the actor's hash): one count and claim of a user's
traces at a time, whichever ``serve`` process answers them (SQLite: its write lock). Apart
from the login throttle's class (``0x6B696F73``): a user named like an address would share
its lock."""
CLAIM_EXPIRES = dt.timedelta(minutes=10)
"""A claim this old is a process's that ended mid-trace (killed, its machine down): no
longer counted, and removed. A trace takes seconds (its statements are cut at the server's
``--statement-timeout``, 120 s by default)."""


@dataclass
class Claim:
    """A trace being answered: its row of ``trace_claims`` (None: no limit, no row), removed
    in the transaction that records its answer (:meth:`release`), so that it counts as
    running or as answered, never both — the moment between, its second trace asked then
    was refused with one answered."""

    id: str | None
    released: bool = False
    """The transaction that removed it has committed."""

    def release(self, storage: Storage, tx: Any) -> None:
        if self.id is not None:
            storage._execute(tx, "DELETE FROM trace_claims WHERE id = $1", (self.id,))


@contextmanager
def within_limit(storage: Storage, request: Request, *, actor: str, reason: str,
                 channel: str, address: str | None) -> Iterator[Claim]:
    """Runs the trace once ``actor``'s traces answered in the last hour and being answered
    are fewer than the hourly limit; else TraceError, recorded as ``trace-refused`` (at most
    one a minute: :func:`kiosk.central.audit.append_refused_trace`). A trace being answered
    is a row of ``trace_claims`` (v45), counted and added in one transaction under a lock
    of the user's: requests sent at once to several ``serve --workers`` processes do not
    all pass the limit (before, each process counted its own)."""
    limit = traces_per_hour(storage)
    if not limit:
        yield Claim(None)
        return
    claim = Claim(uuid.uuid4().hex)
    now = dt.datetime.now(dt.UTC)
    with storage._transaction() as tx:
        if storage.postgresql:
            storage._execute(tx, "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                             (CLAIM_LOCK, actor))
        storage._execute(tx, "DELETE FROM trace_claims WHERE claimed_at < $1",
                         (protocol.format_time(now - CLAIM_EXPIRES),))
        running = storage._execute(tx, "SELECT count(*) FROM trace_claims WHERE actor = $1",
                                   (actor,)).fetchone()[0]
        answered = audit.traces_since(storage, actor, now - dt.timedelta(hours=1), tx=tx)
        over = answered + running >= limit
        if over:
            audit.append_refused_trace(storage, actor=actor, channel=channel,
                                       address=address, reason=reason,
                                       subject=asked_for(request), tx=tx)
        else:
            storage._execute(tx, "INSERT INTO trace_claims (id, actor, claimed_at) "
                                 "VALUES ($1, $2, $3)",
                                 (claim.id, actor, protocol.format_time(now)))
    if over:
        raise tracing.TraceError("trace.too_many", limit=limit)
    try:
        yield claim
    finally:  # not answered (refused, failed), or its removal with the record failed
        try:
            if not claim.released:
                with storage._transaction() as tx:
                    claim.release(storage, tx)
        except StorageError as exc:  # the answer stands (recorded): the claim expires
            log.warning("%s", both("central.log.trace_claim_kept", actor=actor,
                                   minutes=int(CLAIM_EXPIRES.total_seconds() // 60),
                                   reason=exc.words))


def refusal_status(error: WordedError) -> int:
    """The HTTP status of a refused trace: 429 over the hourly limit (ask again later),
    422 for the request itself."""
    return 429 if error.words.code == "trace.too_many" else 422


def period(storage: Storage, request: Request) -> tuple[dt.datetime, dt.datetime]:
    """The UTC bounds of the period asked, in the centre's zone; refused when a read of its
    trace, widened beyond it, would leave the calendar (years 1 to 9999)."""
    calendar = storage.calendar
    now = dt.datetime.now(dt.UTC)
    end = request.end
    try:  # a day at the calendar's edge may begin or end outside it in UTC
        if end is None:
            end_at = now
        elif isinstance(end, dt.datetime):
            end_at = end.astimezone(dt.UTC)
        else:
            end_at = min(calendar.end(end), now)
        start = request.start
        if start is None:
            start_at = calendar.start(calendar.day_of(end_at)
                                      - dt.timedelta(days=DEFAULT_DAYS - 1))
        elif isinstance(start, dt.datetime):
            start_at = start.astimezone(dt.UTC)
        else:
            start_at = calendar.start(start)
        for edge in tracing.furthest_reads(start_at.timestamp(), end_at.timestamp(),
                                           request.policy):  # widened, in local days
            calendar.day_of(tracing.instant(edge))
    except OverflowError:
        raise tracing.TraceError("trace.period_calendar") from None
    if end_at <= start_at:
        raise tracing.TraceError("trace.period_future")
    if end_at - start_at > dt.timedelta(days=MAX_DAYS):
        raise tracing.TraceError("trace.period_long", max=MAX_DAYS)
    return start_at, end_at


def target(source: StorageSource, request: Request, start: dt.datetime, end: dt.datetime
           ) -> tracing.Target:
    given = [request.document is not None, request.payload is not None,
             request.phone is not None,
             request.name is not None or request.birth_year is not None]
    if sum(given) != 1:
        raise tracing.TraceError("trace.whom")
    if request.foreign and request.document is None:
        raise tracing.TraceError("trace.foreign_needs_document")
    if request.document is not None:
        return tracing.target_for_document(source, request.document, start, end,
                                           foreign=request.foreign)
    if request.phone is not None:
        return tracing.target_for_phone(source, request.phone, start, end)
    if request.payload is not None:
        return tracing.target_for_payload(source, request.payload,
                                          source.calendar.day_of(end))
    return tracing.target_for_name(source, request.name or "", request.birth_year or "",
                                   start, end)


def disclosed(report: dict[str, Any]) -> set[str]:
    """The keys of everyone a trace shows: the people found, its contacts, its second
    degree's contacts — and each phone shown on its own (:func:`phone_key`: a contact's,
    and the one traced), so that a person entered by hand can ask who was shown their
    data by their phone, whatever name was typed with it."""
    contacts = [*report["contacts"], *(c for onward in report.get("second_degree", ())
                                       for c in onward["contacts"])]
    traced = report["person"]["query"].get("phone")
    return {*report["person"]["keys"], *(c["person"] for c in contacts),
            *(phone_key(c["phone"]) for c in contacts if c.get("phone")),
            *((phone_key(traced),) if traced else ())}


def run(storage: Storage, request: Request, *, actor: str, reason: str, channel: str,
        address: str | None, wait: float | None = derivation.READER_SECONDS
        ) -> dict[str, Any]:
    """The trace as JSON-ready data, once it is in the audit log (no record, no answer);
    what is not derived yet is derived first for ``wait`` seconds at most (None: all)."""
    reason = audit.check_trace_reason(reason)
    if channel == "cli":  # on the server, by an account that reads the database anyway
        return _answer(storage, request, actor=actor, reason=reason, channel=channel,
                       address=address, wait=wait)
    with within_limit(storage, request, actor=actor, reason=reason, channel=channel,
                      address=address) as claim:
        return _answer(storage, request, actor=actor, reason=reason, channel=channel,
                       address=address, wait=wait, claim=claim)


def _answer(storage: Storage, request: Request, *, actor: str, reason: str, channel: str,
            address: str | None, wait: float | None, claim: Claim | None = None
            ) -> dict[str, Any]:
    """:func:`run` once the trace may be run; its ``claim`` removed as it is recorded."""
    start, end = period(storage, request)
    for again in (False, True):
        source = StorageSource(storage, tracing.alias_window(
            start.timestamp(), end.timestamp(), request.policy), wait=wait)
        who = target(source, request, start, end)
        if who.weak == "name" and len(who.keys) > MAX_NAMED and not request.all_named:
            # the count is an answer: recorded, and counted against the hourly limit
            audit.append_name_count(
                storage, actor=actor, channel=channel, address=address, reason=reason,
                subject=f"{asked_for(request)}: {len(who.keys)} people, none shown")
            raise tracing.TraceError("trace.name_many", people=len(who.keys), max=MAX_NAMED)
        try:
            result = tracing.trace(source, who, start.timestamp(), end.timestamp(),
                                   request.policy, listed=None if request.all_exposures
                                   else trace_formats.EXPOSED_CONTACTS)
            break
        except IdentitiesGone:  # a purge or erasure ran meanwhile: read as it left them
            if again:
                raise
    visited = {v.checkpoint_id for v in result.visits}
    report = trace_formats.to_dict(result, zone=storage.calendar.zone,
                                   checkpoints=source.checkpoint_names(visited),
                                   data_begins=source.data_begins(),
                                   exposed=None if request.all_exposures
                                   else trace_formats.EXPOSED_CONTACTS)
    report["audit"] = audit.append_trace(
        storage, actor=actor, channel=channel, address=address, reason=reason,
        subject=whom(request, who), period_from=report["period"]["from"],
        period_to=report["period"]["to"], visits=len(report["visits"]),
        contacts=len(report["contacts"]),
        second_degree=len(report.get("second_degree", ())),  # traced onward, not asked for
        second_contacts=trace_formats.second_degree_people(report),
        disclosed=disclosed(report),  # answered from now on, no longer running: counted once
        also=None if claim is None else lambda tx: claim.release(storage, tx))
    if claim is not None:
        claim.released = True
    report["reason"] = reason
    report["not_derived"] = source.not_derived.answer()  # stays it may be missing
    return report
