"""The audit log: every disclosure of personal data at the centre — who, when, from where,
what, and for a trace why and how many people it revealed.

Three kinds of record share one numbered log (the ``audit_log`` table, schema v9; a trace's
second degree since v29):

- ``trace``: a contact trace (CLI, dashboard, API, or its export), written by
  :func:`kiosk.central.trace_service.run` with its reason, counts and whom it disclosed (since
  v42: each person found and each contact by :func:`person_mark`); ``trace-count``: a
  common name's count of people answered, no one shown; ``trace-refused``: one refused
  because its user had reached the hourly limit, at most one a user a minute
  (:data:`REFUSAL_KINDS`);
- a view (:data:`VIEW_KINDS`): a page, download or listing that shows names or document
  numbers, written by the dashboard's :func:`kiosk.central.web.disclosure.shows_personal_data`
  marker and by ``kiosk-central audit list`` itself;
- an administrator's act that lifts a safeguard (:data:`ACTION_KINDS`), with its reason:
  importing a revoked kiosk's backlog file (or one signed with a retired key), replacing a
  kiosk's backlog signing key,
  giving a kiosk a new token (a revoked one restored), changing a retention period; and
  each retention purge run (``purge`` before it acts, ``purge-done`` with what it removed
  after);
- the dashboard's accounts (:data:`ACCOUNT_KINDS`): one added, disabled, given another
  role or district, a new password or unlocked (by whom, whose, its role and district —
  never the password), and every sign-in:
  an administrator who reset a tracer's password and traced as them shows as the reset, the
  sign-in from the administrator's address, then the trace;
- the kiosks (:data:`KIOSK_KINDS`): one enrolled or revoked (by whom: a dashboard
  administrator and their address, or the command's user@host), and a kiosk's first backlog
  signing key registered over its token (the kiosk and its address) — from then on the files
  that key signs are taken as the kiosk's;
- the registry's points (:data:`REGISTRY_KINDS`): one added, or moved to another district
  (which moves its numbers, from that day, to other district officers), given another kind,
  closed or reopened — by whom, what it was and became.

A record is written before the answer leaves (no record, no answer), and cannot be changed
afterwards: triggers refuse UPDATE and DELETE on both engines, and TRUNCATE on PostgreSQL.
Whoever can drop triggers (the database owner) can still erase it — on PostgreSQL give the
server a role that does not own the table (see docs/central.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import hashlib
import logging
import socket
import sys
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.central.placeholders import Params, slots
from kiosk.commandline import (
    ArgumentRefused,
    examples,
    listed,
    open_central,
    payload_argument,
    stdin_payload,
    terminal_text,
    whole_number_argument,
)
from kiosk.messages import WordedError, both

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

log = logging.getLogger("kiosk.central")

COLUMNS = ("seq", "at", "kind", "actor", "channel", "address", "subject", "reason",
           "period_from", "period_to", "visits", "contacts", "second_degree",
           "second_contacts", "disclosed")
TRACE = "trace"
NAME_COUNT = "trace-count"
OVER_LIMIT = "trace-refused"
REFUSAL_KINDS = {
    NAME_COUNT: "a name matched more people than are shown unconfirmed: their number was "
                "answered, no one shown (counted against the hourly trace limit); whom as "
                "asked, the reason",
    OVER_LIMIT: "a trace refused: its user had reached the hourly trace limit (kiosk-central "
                "trace-limit); whom as asked, the reason — at most one a user a minute, the "
                "others in the server's log (before v44 also a name's count of people)",
}
REFUSAL_EVERY = dt.timedelta(minutes=1)
"""A user's refusals over the hourly limit are recorded at most once in this time: a script
hammering the API cannot grow the append-only log without end (60 rows an hour a user at
most); the others are logged by the server (who, from where), not recorded."""
VIEW_KINDS = {
    "audit-log": "the audit log itself (it names whom each trace was about)",
}
ACTION_KINDS = {
    "revoked-import": "a revoked kiosk's backlog file imported (kiosk-central import "
                      "--allow-revoked)",
    "signing-key": "a kiosk's backlog signing key set or cleared by an administrator",
    "retired-key-import": "a backlog file signed with a kiosk's retired signing key imported "
                          "(kiosk-central import --allow-retired-key; its entries taken "
                          "outside the key's time refused)",
    "kiosk-token": "a kiosk given a new token or enrolment code under its own id, a revoked "
                   "one restored (kiosk-central kiosks token)",
    "kiosk-set-aside": "a kiosk's entries from one source (the boot id its batches came "
                       "from: a copied token) set aside, out of counts, reports and traces, "
                       "kept (kiosk-central kiosks set-aside)",
    "kiosk-bring-back": "a kiosk's entries set aside from one source brought back, counted "
                        "and traced again (kiosk-central kiosks bring-back)",
    "retention": "how long raw entries or identities are kept, changed (kiosk-central "
                 "retention; a longer period needs a reason)",
    "purge": "a retention purge about to run: its periods and cutoffs (kiosk-central purge; "
             "a period shorter than the setting needs a reason)",
    "purge-done": "what a retention purge removed and erased (after its purge record)",
    "trace-limit": "the hourly limit of traces per dashboard or API user changed "
                   "(kiosk-central trace-limit)",
    "restored-acknowledged": "an administrator acknowledged the dashboard's warning that "
                             "the database was restored from an older copy (the kiosks told "
                             "to send again: kiosk sync resend --since), or the centre did "
                             "once every kiosk that lost uploads had sent them again "
                             "(actor kiosk-central)",
}
ACCOUNT_KINDS = {
    "user-add": "a dashboard account added, with its role and district (kiosk-central users "
                "add, the Users page)",
    "user-disable": "a dashboard account disabled, its sessions ended",
    "user-enable": "a disabled dashboard account taken back into use (kiosk-central users "
                   "enable, the Users page)",
    "user-role": "a dashboard account given another role or district, its sessions ended: "
                 "what it was and became (kiosk-central users set-role, the Users page)",
    "user-password": "a dashboard account given a new password, its lock lifted and its "
                     "sessions ended (kiosk-central users reset-password, the Users page), "
                     "or by its owner (Change password: her other sessions ended)",
    "user-unlock": "a dashboard account's locks and hold on wrong passwords lifted, its "
                   "failures forgotten (kiosk-central users unlock, the Users page)",
    "sign-in": "a dashboard account signed in (its right password accepted), from where",
}
KIOSK_KINDS = {
    "kiosk-enrol": "a kiosk enrolled at a point, its token shown once or an enrolment code "
                   "written (kiosk-central kiosks add, the Kiosks page)",
    "kiosk-revoke": "a kiosk revoked: its token refused from now on (kiosk-central kiosks "
                    "revoke, the Kiosks page)",
    "kiosk-key": "a kiosk's first backlog signing key registered by the kiosk over its token: "
                 "the files it signs are taken as the kiosk's from then on",
}
REGISTRY_KINDS = {
    "checkpoint": "a point of the registry added, or its district, province, commune, kind or "
                  "dates changed: what it was and became (kiosk-central checkpoints add, edit, "
                  "close, import); its district decides which district officers see its "
                  "numbers",
}
KINDS = (TRACE, *REFUSAL_KINDS, *VIEW_KINDS, *ACTION_KINDS, *ACCOUNT_KINDS, *KIOSK_KINDS,
         *REGISTRY_KINDS)
MAX_REASON = 500
MIN_TRACE_REASON = 4
"""A trace's reason is at least this long and holds an ASCII digit: a case or ticket number
(``F0-1234``, ``ca bệnh 17``), which the log is later read by; "abc" or "test" is refused."""
MARK_CHARS = 16
MARK_SECRET = "audit_mark_secret"
"""The setting holding the key of the log's marks (:func:`person_mark`): in the database,
like the dashboard's signing secret; a reader of the log's pages or ``audit list`` output
does not see it."""
"""Hex digits of a :func:`person_mark`: 64 bits, no two of a province's people alike."""
MAX_SUBJECT = 1000


class AuditError(WordedError, ValueError):
    """A disclosure that may not happen: no usable reason or actor (``audit.*``)."""


@dataclass(frozen=True)
class Record:
    seq: int
    at: str
    kind: str
    """``trace`` or one of :data:`VIEW_KINDS`."""
    actor: str
    """The dashboard user, or ``user@host`` for a command."""
    channel: str
    """``cli``, ``web``, ``web-export`` or ``api``."""
    address: str | None
    """The client's address (web and API); None for a command on the server."""
    subject: str
    """A trace: the person as asked for (a scanned code: whom it resolved to, never the code:
    :func:`kiosk.central.trace_service.whom`); a view: the page or listing with its query;
    an account's change or sign-in: the account, its role and district."""
    reason: str | None
    period_from: str | None
    period_to: str | None
    visits: int | None
    contacts: int | None
    second_degree: int | None
    """A trace: how many of its top contacts were traced onward (None: recorded before v29)."""
    second_contacts: int | None
    """A trace: the people its second degree named beyond its contacts, each once
    (:func:`kiosk.central.trace_formats.second_degree_people`)."""
    disclosed: str | None = None
    """A trace: the :func:`person_mark` of everyone it showed — the people found, each
    contact, the second degree's — space-separated (None: recorded before v42)."""


@dataclass(frozen=True)
class Actor:
    """Who does an audited act, and through what: recorded with the act."""

    name: str
    """The dashboard user, or ``user@host`` for a command (:func:`command_actor`)."""
    channel: str
    address: str | None = None
    """The client's address (web); None for a command on the server."""


def command_actor() -> str:
    """Who runs a ``kiosk-central`` command: the operating-system user on this host (not an
    argument, so the log cannot be told someone else's name)."""
    return f"{getpass.getuser()}@{socket.gethostname()}"


def check_reason(reason: str | None) -> str:
    """The reason as recorded; a case number or similar is required."""
    text = " ".join((reason or "").split())
    if len(text) < 3:
        raise AuditError("audit.reason_required")
    if len(text) > MAX_REASON:
        raise AuditError("audit.reason_long", max=MAX_REASON)
    if "\x00" in text:  # PostgreSQL refuses it in text: the record failed as the database's
        raise AuditError("audit.reason_nul")  # fault, 503 to the tracer (review 43 F9)
    return text


def check_trace_reason(reason: str | None) -> str:
    """A trace's reason as recorded: :func:`check_reason`, and a case reference
    (:data:`MIN_TRACE_REASON`) — the one rule of the CLI, the API and the Tracing page."""
    text = check_reason(reason)
    if len(text) < MIN_TRACE_REASON or not any("0" <= c <= "9" for c in text):
        raise AuditError("audit.trace_reason", min=MIN_TRACE_REASON)
    return text


def person_mark(key: str, secret: bytes) -> str:
    """How the log names a person a trace showed: a hash of the key tracing knows them by
    (a match key ``m:<last 6 digits>|<folded name>|<birth year>``, a ``doc:`` number, …)
    keyed with the centre's :data:`MARK_SECRET`, not the key. The log is kept forever,
    past the data's retention. Unkeyed, a reader of the log knowing a name and birth year
    tried the million last-six-digits and had every contact's number back in a second;
    keyed, only the centre computes marks (:func:`marks_of_document`, ``audit list
    --disclosed``, itself recorded)."""
    return "p:" + hashlib.blake2b(key.encode(), key=secret,
                                  digest_size=MARK_CHARS // 2).hexdigest()


def marks_of_document(storage: Storage, document: str, name: str | None = None,
                      birth_year: str | None = None) -> set[str]:
    """The marks a holder of this document may have been shown under: its ``doc:`` key and,
    typed by hand as another country's, its ``fdoc:`` key (whose it is, the log cannot
    tell), every match key stored with it while its scans are held, and — with the name and
    birth year on the card — the match key its codes carry, which outlives the scans; each
    match key also as a trace before v57 may have shown it, with an eth for a D
    (:func:`kiosk.payloads.identity.eth_spellings`: the upgrade folded the keys held)."""
    from kiosk.central.trace_queries import StorageSource
    from kiosk.payloads.identity import (
        document_key,
        eth_spellings,
        foreign_document_key,
        make_match_key,
    )

    key = document_key(document)
    codes = StorageSource(storage, wait=0).document_codes(key)
    if name and birth_year:
        codes.add(make_match_key(key[4:], name, birth_year) or key)
    keys = {key, foreign_document_key(document),
            *(spelt for code in codes for spelt in eth_spellings(code))}
    secret = storage.secret(MARK_SECRET)
    return {person_mark(k, secret) for k in keys}


def marks_of_phone(storage: Storage, phone: str, name: str | None = None) -> set[str]:
    """The marks the holder of this phone, entered by hand without a document, may have been
    shown under: the phone alone (traces recorded since the phone was marked on its own:
    in E.164, and before v48 a Vietnamese one as ``tel:0…``) and — with the name as typed
    in the entry — the entry's key (every trace since v42): ``fold_name(name)|`` the phone
    in E.164 since v48, before it as typed, ``0…`` or ``+84…``."""
    from kiosk.payloads.identity import fold_name, payload_key
    from kiosk.payloads.manual import e164, normal_phone, phone_key

    number = e164(phone)
    local = "0" + number[3:] if number.startswith("+84") else number
    keys = {phone_key(phone), "tel:" + local}
    if name:
        keys |= {payload_key(f"{fold_name(name)}|{written}".encode())  # E.164: v48's
                 for written in {normal_phone(phone), local, number}}
    secret = storage.secret(MARK_SECRET)
    return {person_mark(k, secret) for k in keys}


def marks_of_code(storage: Storage, raw: bytes) -> set[str]:
    """The marks the holder of a scanned code may have been shown under: the keys the kiosk
    computes from it (:mod:`kiosk.payloads`: its subject and match key, the latter also with
    an eth for a D as before v57) and, for a code carrying a full document number, every
    mark of that document (:func:`marks_of_document`). AuditError for a code the kiosk
    would refuse."""
    from kiosk.payloads import Rejection, decode
    from kiosk.payloads.identity import eth_spellings

    identity = decode(raw)
    if isinstance(identity, Rejection):
        raise AuditError("trace.payload_refused", detail=identity.detail)
    secret = storage.secret(MARK_SECRET)
    match = eth_spellings(identity.match_key) if identity.match_key else set()
    marks = {person_mark(k, secret) for k in {identity.subject_key, *match}}
    if identity.subject_key.startswith("doc:"):
        marks |= marks_of_document(storage, identity.subject_key.removeprefix("doc:"))
    return marks


def append_trace(storage: Storage, *, actor: str, channel: str, address: str | None,
                 reason: str, subject: str, period_from: str, period_to: str, visits: int,
                 contacts: int, second_degree: int, second_contacts: int,
                 disclosed: Iterable[str], also: Callable[[Any], None] | None = None) -> int:
    """Record one trace and the keys of everyone it showed (as marks); its number. ``also``
    writes in the record's transaction (the trace's claim removed:
    :class:`kiosk.central.trace_service.Claim`)."""
    secret = storage.secret(MARK_SECRET)  # made on first use: in a transaction of its own
    marks = " ".join(sorted({person_mark(k, secret) for k in disclosed}))
    with storage._transaction() as tx:
        seq = _append(storage, TRACE, actor, channel, address, subject,
                      check_trace_reason(reason), period_from, period_to, visits, contacts,
                      second_degree, second_contacts, marks, tx=tx)
        if also is not None:
            also(tx)
    return seq


def append_name_count(storage: Storage, *, actor: str, channel: str, address: str | None,
                      reason: str, subject: str) -> int:
    """Record that a common name's count of people was answered (no one shown): an answer,
    counted against the hourly limit; its number."""
    return _append(storage, NAME_COUNT, actor, channel, address, subject[:MAX_SUBJECT],
                   check_trace_reason(reason), None, None, None, None, None, None, None)


def append_refused_trace(storage: Storage, *, actor: str, channel: str, address: str | None,
                         reason: str, subject: str, tx: Any) -> int | None:
    """Record, in ``tx`` (holding the user's lock: :func:`kiosk.central.trace_service.
    within_limit`), a trace refused by the hourly limit, so admins see who kept asking; its
    number — or None, logged only, when one of ``actor``'s was recorded within
    :data:`REFUSAL_EVERY`."""
    from kiosk.sync import protocol

    now = dt.datetime.now(dt.UTC)
    recent = storage._execute(
        tx, "SELECT 1 FROM audit_log WHERE actor = $1 AND kind = $2 AND at >= $3 LIMIT 1",
        (actor, OVER_LIMIT, protocol.format_time(now - REFUSAL_EVERY))).fetchone()
    if recent is None:
        return _append(storage, OVER_LIMIT, actor, channel, address, subject[:MAX_SUBJECT],
                       check_trace_reason(reason), None, None, None, None, None, None, None,
                       tx=tx)
    log.warning("%s", both("central.log.trace_refused_unrecorded", actor=actor,
                           channel=channel, address=address or "-"))
    return None


def traces_since(storage: Storage, actor: str, since: dt.datetime, *, tx: Any) -> int:
    """How many traces (exports included) ``actor`` was answered since ``since``, read in
    ``tx``: a common name's count of people is an answer too; a refusal over the limit,
    which showed nothing, is not (else a client retrying on 429 was refused for ever)."""
    from kiosk.sync import protocol

    return storage._execute(
        tx, "SELECT count(*) FROM audit_log WHERE actor = $1 AND kind IN ($2, $3) AND "
            "at >= $4", (actor, TRACE, NAME_COUNT, protocol.format_time(since))).fetchone()[0]


def append_view(storage: Storage, kind: str, *, actor: str, channel: str,
                address: str | None, subject: str) -> int:
    """Record that ``actor`` was shown personal data (``kind``, ``subject``); its number."""
    if kind not in VIEW_KINDS:
        raise AuditError("audit.bad_kind", kind=repr(kind), known=", ".join(VIEW_KINDS))
    return _append(storage, kind, actor, channel, address, subject[:MAX_SUBJECT], None, None,
                   None, None, None, None, None, None)


def append_action(storage: Storage, kind: str, *, actor: str, channel: str,
                  address: str | None, subject: str, reason: str | None, tx: Any = None
                  ) -> int:
    """Record an administrator's act (``kind`` of :data:`ACTION_KINDS`) and why, before it
    takes effect; its number. ``reason`` None only for an act that lifts no safeguard (a
    retention period shortened, a purge by the settings, what a purge did), recorded all
    the same. With ``tx``, in the act's own transaction: the record says what the act
    found, and is there if and only if the act is."""
    if kind not in ACTION_KINDS:
        raise AuditError("audit.bad_kind", kind=repr(kind), known=", ".join(ACTION_KINDS))
    return _append(storage, kind, actor, channel, address, subject[:MAX_SUBJECT],
                   None if reason is None else check_reason(reason), None, None, None, None,
                   None, None, None, tx=tx)


def append_account(storage: Storage, kind: str, *, by: Actor, subject: str, tx: Any) -> int:
    """Record an account's change or sign-in (``kind`` of :data:`ACCOUNT_KINDS`), or a
    kiosk's enrolment, revocation or key (:data:`KIOSK_KINDS`), in the act's own
    transaction ``tx``: there if and only if the act is; its number."""
    if kind not in ACCOUNT_KINDS and kind not in KIOSK_KINDS:
        raise AuditError("audit.bad_kind", kind=repr(kind),
                         known=", ".join((*ACCOUNT_KINDS, *KIOSK_KINDS)))
    return _append(storage, kind, by.name, by.channel, by.address, subject[:MAX_SUBJECT],
                   None, None, None, None, None, None, None, None, tx=tx)


def append_checkpoint(storage: Storage, *, by: Actor, subject: str, tx: Any) -> int:
    """Record a change of a point in the registry (``checkpoint``) in its own transaction
    ``tx``: there if and only if the change is; its number."""
    return _append(storage, "checkpoint", by.name, by.channel, by.address,
                   subject[:MAX_SUBJECT], None, None, None, None, None, None, None, None, tx=tx)


def _append(storage: Storage, *values: Any, tx: Any = None) -> int:
    from kiosk.sync import protocol

    if not str(values[1]).strip():
        raise AuditError("audit.no_actor")
    with nullcontext(tx) if tx is not None else storage._transaction() as into:
        return storage._execute(
            into, f"INSERT INTO audit_log ({', '.join(COLUMNS[1:])}) "
                  f"VALUES ({slots(len(COLUMNS) - 1)}) RETURNING seq",
            (protocol.format_time(dt.datetime.now(dt.UTC)), *values)).fetchone()[0]


def records(storage: Storage, *, limit: int = 100, actor: str | None = None,
            kind: str | None = None, marks: Iterable[str] = ()) -> list[Record]:
    """The latest records first, of one actor and/or one kind if given, and with ``marks``
    only the traces that showed one of them (:func:`person_mark`)."""
    params = Params()
    where = [f"{column} = {params.add(value)}"
             for column, value in (("actor", actor), ("kind", kind)) if value]
    shown = [f"' ' || disclosed || ' ' LIKE {params.add(f'% {mark} %')}" for mark in marks]
    if shown:
        where.append(f"({' OR '.join(shown)})")
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY seq DESC LIMIT {params.add(limit)}"
    return [Record(*row) for row in storage._query(sql, params)]


# -- kiosk-central audit list -------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    year_alone = bool(args.birth_year) and not (args.disclosed and args.name)
    name_alone = bool(args.name) and not (args.phone or (args.disclosed and args.birth_year))
    if year_alone or name_alone:
        # either alone matched no mark, and "nobody was shown your data" was answered
        print(both("central.audit.name_and_year"), file=sys.stderr)
        return 2
    with open_central(args.db) as storage:
        try:
            marks = _asked_marks(storage, args)
        except (AuditError, ArgumentRefused) as exc:
            print(f"{both('central.refused')}: {exc}", file=sys.stderr)
            return 2
        # the log names whom each trace was about: reading it is itself a disclosure
        append_view(storage, "audit-log", actor=command_actor(), channel="cli",
                    address=None, subject=_listing(args))
        found = records(storage, limit=args.limit, actor=args.actor, kind=args.kind,
                        marks=marks)
    if not listed(found, as_json=args.json, none="central.audit_empty"):
        return 0
    for r in found:
        where = f" {both('central.from')} {r.address}" if r.address else ""
        line = (f"#{r.seq} {r.at} {r.actor} ({r.channel}{where}) {r.kind} "
                f"({both('web.audit.kind.' + r.kind)}): {r.subject}")
        if r.kind == TRACE:
            line += (f" — {r.period_from} … {r.period_to}: {r.visits} {both('central.visits')}"
                     f", {r.contacts} {both('central.contacts')}{_second_degree(r)} — "
                     f"{both('central.reason')}: {r.reason}")
        elif r.reason:
            line += f" — {both('central.reason')}: {r.reason}"
        print(terminal_text(line))  # a traced code's text, a reason typed: shown, never obeyed
    return 0


def _asked_marks(storage: Storage, args: argparse.Namespace) -> Iterable[str]:
    """The marks of the person ``audit list`` is asked about (none asked: every record)."""
    if args.disclosed:
        return marks_of_document(storage, args.disclosed, args.name, args.birth_year)
    if args.phone:
        return marks_of_phone(storage, args.phone, args.name)
    if args.code is not None:
        return marks_of_code(storage, stdin_payload() if args.code == b"-" else args.code)
    return ()


def _second_degree(record: Record) -> str:
    """A trace's second degree as the Audit log page words it (one catalogue sentence for
    both); nothing for a trace that traced no one onward or was recorded before v29."""
    if not record.second_degree:
        return ""
    return ", " + both("web.audit.second_degree", people=record.second_contacts,
                           top=record.second_degree)


def _listing(args: argparse.Namespace) -> str:
    shown = " ".join(f"--{name} {value}" for name, value in
                     (("actor", args.actor), ("kind", args.kind), ("limit", args.limit),
                      ("disclosed", args.disclosed), ("phone", args.phone),
                      ("code", None if args.code is None else "-" if args.code == b"-" else "…"),
                      ("name", args.name), ("birth-year", args.birth_year))
                     if value)  # a code is never recorded: a card's holds its address
    return f"kiosk-central audit list {shown}".strip()


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser(
        "audit", help="the append-only log of traces and views of personal data",
        **examples("kiosk-central audit list", "kiosk-central audit list --kind trace --json"))
    sub = group.add_subparsers(dest="action", required=True)
    lst = sub.add_parser(
        "list", parents=[common],
        help="who was shown whose personal data, when, from where and why (latest first; "
             "the listing is recorded too)",
        **examples("kiosk-central audit list",
                   "kiosk-central audit list --kind trace --actor root@centre --json",
                   "kiosk-central audit list --kind audit-log --limit 20",
                   "kiosk-central audit list --kind purge-done   # what each purge removed",
                   "kiosk-central audit list --disclosed 079012345678 --name 'Nguyễn Văn An' "
                   "--birth-year 1990   # who was shown this person",
                   "kiosk-central audit list --phone 0900000003 --name 'Phạm Thị Dung'   # "
                   "entered by hand",
                   "kiosk-central audit list --code -   # the person's code on standard input"))
    lst.add_argument("--limit", type=whole_number_argument("--limit"),
                     default=100, help="records shown (default 100)")
    lst.add_argument("--actor", help="only this user's records (a dashboard user, or "
                                     "user@host for a command)")
    lst.add_argument("--kind", choices=KINDS,
                     help="only this kind: trace (a contact trace or its export), "
                          + ", ".join(f"{k} ({v})" for k, v in
                                      {**VIEW_KINDS, **ACTION_KINDS, **ACCOUNT_KINDS,
                                       **KIOSK_KINDS, **REGISTRY_KINDS}.items()))
    whom = lst.add_mutually_exclusive_group()
    whom.add_argument("--disclosed", metavar="DOCUMENT",
                      help="only the traces that showed this document's holder, found or as "
                           "a contact (a person's request: who was shown my data?)")
    whom.add_argument("--phone",
                      help="only the traces that showed this phone's holder (entered by hand "
                           "without a document); with --name as typed in the entry, those "
                           "recorded before the phone was marked on its own too")
    whom.add_argument("--code", type=payload_argument, metavar="CODE|-",
                      help="only the traces that showed this scanned code's holder (as "
                           "trace --payload takes it; - reads it from standard input)")
    lst.add_argument("--name", help="with --disclosed: the name on the card, so that traces "
                                    "are found after its scans were purged; with --phone: "
                                    "the name typed in the entry")
    lst.add_argument("--birth-year", help="with --disclosed and --name: the card's birth year")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)
