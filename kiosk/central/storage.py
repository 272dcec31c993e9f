"""The central server's storage: one interface, two engines chosen by a database URL.

``sqlite:///path/central.db`` (embedded default, WAL) or ``postgresql://user@host/db``
(psycopg 3). Both share the ingest rules here — validation, idempotency on entry id,
accepted/duplicate/rejected per entry, the receive time and clock offset recorded with every
entry — and the SQL for kiosks, checkpoints, the batch log and reading back (the schema is
:mod:`kiosk.central.schema`). They differ only in connections and in how a batch's rows
reach the disk.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import operator
import secrets
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, TypeVar

from kiosk.central import (
    aggregates,
    derivation,
    document_matches,
    eth_keys,
    id_days,
    manual_keys,
    people,
    set_aside_rows,
    stays,
)
from kiosk.central.localdays import CLOCK_TOLERANCE_SECONDS, Calendar, parse_utc
from kiosk.central.people import ERASED
from kiosk.central.placeholders import Params, json_rows, slots
from kiosk.central.schema import (
    DAY_SUBJECTS_VERSION,
    DOCUMENT_MATCHES_VERSION,
    ETH_KEYS_VERSION,
    FOREIGN_DOCUMENT_KEYS_VERSION,
    FORGOTTEN_MATCHES_VERSION,
    IDENTITIES_VERSION,
    IDENTITY_DAYS_VERSION,
    LATE_AFTER_REPORT_VERSION,
    LEAST_CLOCK_OFFSET,
    MANUAL_PHONE_KEYS_VERSION,
    MIGRATIONS,
    NOBODY_VERSION,
    REPORT_KEPT_VERSION,
    REPORT_PACKED_VERSION,
    SKEWED,
)

# re-exported (``as``): callers name them from here; derivation, below storage, from there
from kiosk.central.storage_errors import StorageBusy as StorageBusy
from kiosk.central.storage_errors import StorageError as StorageError
from kiosk.ids import ENROLMENT_ID_RE, id_prefix
from kiosk.messages import WordedError, both
from kiosk.payloads.identity import ETH, refolded
from kiosk.sync import protocol

_log = logging.getLogger(__name__)

ENTRY_ID_SECRET = "entry_id_secret"
"""The setting keying the ids of entries whose own id another kiosk's entry holds
(:meth:`Storage._own_id`)."""

T = TypeVar("T")
ENTRY_COLUMNS = protocol.ROW_COLUMNS
"""An entry as stored: the wire fields, with ``extra`` as JSON and ``payload`` as bytes."""
RECEIPT_COLUMNS = ("received_at", "clock_offset_seconds", "batch_id", "local_day")
"""What the centre adds: when it got the entry, the sending kiosk's clock offset, the batch,
and the local day the scan is filed under (see :mod:`kiosk.central.localdays`)."""
STORED_COLUMNS = (*ENTRY_COLUMNS, *RECEIPT_COLUMNS)
_JSON_COLUMNS = ("extra", "certificate")
ERASED_VALUES: dict[str, Any] = {
    **dict.fromkeys(("document_number", "name", "birth_date", "gender", "address",
                     "issue_date", "match_key", "certificate")),
    "payload": b"", "extra": "{}", "subject_key": ERASED}
"""What erasure leaves in each column that says who an entry is about: the one description
the erasure's UPDATE (:func:`kiosk.central.erasure.erasing`) and an entry of an erased
period arriving later (:func:`_without_identity`) are both made from."""
PERSONAL_COLUMNS = tuple(ERASED_VALUES)
"""Every column that says who an entry is about."""
BATCH_COLUMNS = ("batch_id", "kiosk_id", "sent_at", "received_at", "clock_offset_seconds",
                 "entries", "accepted", "duplicate", "rejected", "entry_offset_seconds",
                 "least_offset_seconds", "past_retention", "boot_id", "address")
"""A batch log record: who sent it when (``boot_id``, v49: the kiosk's boot as it sent it,
None if it sends none; ``address``, the client's address, None for a backlog file or one
the server cannot tell: a copied token used beside its kiosk is told apart by these), the
clock offset then, and what became of it
(``past_retention``, v26: answered ``duplicate`` yet not held, filed before the latest
purge's cut; ``duplicate``, held; the four add up to ``entries``, but in a record from
before v26 ``duplicate`` may include the former);
``entry_offset_seconds``, the largest either way of the offsets its entries timed by their
age on the kiosk's monotonic clock were filed by (:class:`protocol.Timing`; None if none
was), or if larger, of an entry whose id is more than a day from its ``scanned_at``, the
time it is filed by less its id's (:func:`_id_skew`), which the largest offset tracing reads
(:data:`schema.LARGEST_CLOCK_OFFSET`) covers too; ``least_offset_seconds``, the least of the
batch's offset and those (how far its kiosk's clock ran ahead:
:data:`schema.LEAST_CLOCK_OFFSET`)."""

(_KIOSK, _CHECKPOINT, _DIRECTION, _STATUS, _SOURCE, _SCANNED_AT, _MONOTONIC, _BOOT, _DAY,
 _SUBJECT, _MATCH) = (STORED_COLUMNS.index(name) for name in (
    "kiosk_id", "checkpoint_id", "direction", "status", "source", "scanned_at",
    "monotonic_ns", "boot_id", "local_day", "subject_key", "match_key"))
_KIND, _DOCUMENT, _NAME, _EXTRA, _PAYLOAD = (STORED_COLUMNS.index(name) for name in (
    "kind", "document_number", "name", "extra", "payload"))
_COUNTED = operator.itemgetter(_CHECKPOINT, _DAY, _DIRECTION, _SOURCE, _STATUS, _KIND)
"""What the per-checkpoint counts take of a stored row (:meth:`aggregates.Tally.add`)."""
_INSERT_BATCH = (f"INSERT INTO batches ({', '.join(BATCH_COLUMNS)}) "
                 f"VALUES ({slots(len(BATCH_COLUMNS))})")
BATCH_LOG_MARGIN = protocol.ENTRY_MAX_AHEAD + stays.ID_SLACK + dt.timedelta(days=1)
"""How long before a purge's cutoff a batch must have been sent (by its kiosk's clock) for
its log record to go: its entries' ids are at most ENTRY_MAX_AHEAD + ID_SLACK after its
``sent_at``; a day more for rounding."""
_PURGE_BATCHES_AT_ONCE = 5000
_PURGE_BATCHES = (
    "DELETE FROM batches WHERE seq IN (SELECT seq FROM batches WHERE received_at < $1 "
    "AND (sent_at IS NULL OR sent_at < $2) AND seq < (SELECT max(seq) FROM batches) "
    "ORDER BY seq LIMIT $3)")
"""The latest record is kept: SQLite numbers the next one after it, so a batch's number is
never below one a report's making saw (``daily_reports.batches_seen``)."""
_FILED_BEFORE = (
    f"SELECT id, match_key, checkpoint_id FROM entries WHERE {SKEWED} "
    "AND local_day >= {first_day} AND local_day < {before} AND {id} >= {low} AND {id} < {high}")
"""The skewed predicate as the partial index ``entries_skewed`` says it, so that the engines
may read that index. It leads with the checkpoint, which is not asked, so its days are no
seek: SQLite reads the whole index (``SCAN entries USING INDEX entries_skewed``: every skewed
scan held, filtered by days and ids), told not to read the ids' index instead (``+id``: after
a clock a year ahead, their range is every entry since the cutoff). PostgreSQL reads only
the partitions of the ids bounded, each by ``entries_day_subject``'s range of the days
bounded or by the whole of its ``entries_skewed``, as it estimates cheaper."""
ID_OFF = "entries_id_off"
"""The ids of entries whose id is more than a day from their ``scanned_at`` (schema v28):
see :func:`_id_skew`."""
_ID_OFF_BEFORE = (
    f"SELECT e.id, e.match_key, e.checkpoint_id FROM {ID_OFF} o JOIN entries e ON e.id = o.id "
    "WHERE o.id >= {low} AND e.local_day < {before}")
"""The entries of :data:`ID_OFF` filed before a day whose ids are of that day or later."""
TIME_UNCERTAIN = "entries_time_uncertain"
"""The entries filed by their monotonic age though their kiosk clock says earlier, with the
offset that clock gives (schema v35, :attr:`protocol.Timing.uncertain`)."""
ERASED_BEFORE = "personal_erased_before"
"""The cut day (UTC) of the latest erasure of identities (:mod:`kiosk.central.erasure`): an
entry it would have erased, arriving later, is stored without its identity if it is also
filed on a local day before the cut (:meth:`Storage.ingest_batch`). One filed on the cut's
day or later whose id is before the cut (a kiosk clock behind: a scan timed at 1970, filed
now by its age) keeps it, is counted and traced as one that arrived before that erasure,
and goes by its id's day at the next run, as that one did at this run."""
PURGED_BEFORE = "entries_purged_before"
"""The latest cutoff :meth:`Storage.purge_entries` removed raw entries before (a UTC day):
what was scanned before it is past retention, answered ``duplicate`` if sent again."""
SCANS_AT_ONCE = 1000
"""Entries removed or erased per transaction by :meth:`Storage._by_ids`: an upload waits for
one such transaction at most."""
ID_PAST_CALENDAR = id_prefix(dt.datetime(9999, 12, 31, tzinfo=dt.UTC))
"""Entry ids from here on are refused (``id_past_calendar``): a UUIDv7's 48-bit time runs to
the year 10889, which no clock gives (its ``scanned_at`` is judged apart), and the day of
such an id (:func:`kiosk.central.id_days.day_of_id`) is not a date: on PostgreSQL the
batch's partitions could not be made (every send of it failed), on SQLite every derivation
step set it aside and no purge or erasure, which go by id day, ever reached it."""
RETIRED_TOKENS_KEPT = 10
"""The hashes of replaced tokens kept per kiosk (``retired_tokens``), the newest: a bound by
count, not by age, for a stolen machine may be switched on months later and its knocks are
the ones to see. Tokens are replaced only by an administrator's act (``kiosks token``, each
audited; with ``--qr`` it retires the old token, and the code redeemed the one nobody held
meanwhile), a handful over a kiosk's life, so ten keeps them all but for a kiosk re-issued
over and over, whose oldest then go; the table stays at most ten rows a kiosk."""
_KIOSK_SELECT = (
    "SELECT k.id, k.checkpoint_id, k.name, k.created_at, k.revoked_at, k.last_seen_at, "
    "k.last_clock_offset, k.entries, k.refused_attempts, k.last_refused_at FROM kiosks k")

ID_RE = ENROLMENT_ID_RE


class EnrolmentRefused(WordedError):
    """An enrolment code the centre will not exchange (``enrolment.*``); ``status`` is the
    HTTP answer."""

    def __init__(self, status: int, code: str, /, **params: object) -> None:
        super().__init__(code, **params)
        self.status = status


class EnrolmentError(WordedError, ValueError):
    """An enrolment request that cannot be carried out (unknown or duplicate id…)."""


class SigningKeyConflict(WordedError):
    """A kiosk offered a signing key while another one is registered for it (HTTP 409)."""

    def __init__(self, kiosk_id: str, held: bytes, registered_at: str) -> None:
        from kiosk.sync.backlog_keys import fingerprint

        super().__init__("enrolment.signing_key_held", kiosk=kiosk_id,
                         fingerprint=fingerprint(held), at=registered_at)
        self.kiosk_id, self.held = kiosk_id, held


@dataclass(frozen=True)
class Kiosk:
    id: str
    checkpoint_id: str
    name: str
    created_at: str
    revoked_at: str | None = None
    last_seen_at: str | None = None
    last_clock_offset: float | None = None
    """Server receive time − kiosk send time of its latest batch, seconds."""
    entries: int = 0
    """Entries stored from this kiosk (uploads and imports; duplicates not counted)."""
    refused_attempts: int = 0
    """Requests refused because the kiosk was revoked (a revoked kiosk still trying)."""
    last_refused_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class RetiredSigningKey:
    """A backlog signing key its kiosk no longer holds (``retired_signing_keys``): files it
    signed before ``retired_at`` still import (:mod:`kiosk.central.importer`)."""
    key: bytes
    fingerprint: str
    registered_at: str | None
    retired_at: str
    reason: str


class Candidate(NamedTuple):
    """A valid entry about to be written: its position in the batch and its stored values
    (a tuple: made once an entry, 3× faster than a frozen dataclass)."""

    index: int
    row: tuple[Any, ...]
    hour: int
    """The local hour the scan is filed under (its day is the row's ``local_day``)."""

    @property
    def id(self) -> str:
        return self.row[0]


ZONE_LOCK_KEY = 0x6B696F736B + 5
"""PostgreSQL advisory lock: batches filed (shared) against the zone changed (exclusive)."""


class _ZoneChanged(Exception):
    """A batch's entries were placed by a zone changed since (:meth:`Storage.ingest_batch`)."""


class Storage(ABC):
    """What the API, the CLI and the backlog importer use; engines fill in the abstract part."""

    url: str
    calendar: Calendar
    created: bool
    """Whether opening it made the schema: a new, empty centre (said, in case the address
    was mistyped)."""
    upgraded_from: int | None
    """The schema version opening it upgraded from (None: made, or already current), which
    ``kiosk-central init`` says: "nothing made" hid an upgrade done."""
    upgrade_backup: Path | None = None
    """Where opening it copied an older schema's database before upgrading it (SQLite:
    ``central.db.vN.bak``; PostgreSQL keeps none: ``pg_dump`` first, docs/central.md)."""
    postgresql: ClassVar[bool]
    """Whether the engine is PostgreSQL: the few statements written differently ask this."""
    _entry_id_key: bytes | None = None
    """The centre's secret behind :meth:`_own_id`, read once."""
    _JSON_ROWS: str
    """The engine's FROM item of one JSON array parameter (:func:`placeholders.json_rows`):
    ``{slot}`` the parameter, ``{alias}`` the name whose ``value`` is each element."""

    def _migrated(self, tx: Any, previous_version: int) -> None:
        """Inside the migration's transaction: load the configured zone and count what an
        older schema held (v1 had no aggregates, before v14 no day sets, before v15 no
        document matches; before v23 a PostgreSQL purge could lose some; before v24 a clock
        ahead dated identities a year on; before v32 the day sets lacked the match keys;
        before v37 what people are counted by; before v38 an entry was late from
        midnight; before v47 the kept reports were text; before v51 a manual entry was keyed
        by its phone as typed; before v53 a foreign document as a Vietnamese one; before v57
        a match key kept an eth; before v58 a code naming nobody was a person), so that a
        database is never left at the new schema with its counts missing — a failed recount
        undoes the migration too."""
        self.created = previous_version == 0
        self.upgraded_from = previous_version if 0 < previous_version < len(MIGRATIONS) else None
        self.calendar = Calendar(self._execute(
            tx, "SELECT value FROM settings WHERE key = 'timezone'").fetchone()[0])
        if 0 < previous_version < 2:
            aggregates.rebuild(self, tx, self.calendar)
        elif 0 < previous_version < DAY_SUBJECTS_VERSION:
            people.recount(self, tx, adopt_kept=True)
        elif 0 < previous_version < NOBODY_VERSION:  # before v37 and v58: who counts
            people.recount(self, tx)
        if 0 < previous_version < IDENTITIES_VERSION:
            stays.rebuild_all(self, tx)
        elif 0 < previous_version < IDENTITY_DAYS_VERSION:
            stays.redate_identities_ahead(self, tx, dt.datetime.now(dt.UTC))
        if 0 < previous_version < (FORGOTTEN_MATCHES_VERSION if self.postgresql
                                   else DOCUMENT_MATCHES_VERSION):
            document_matches.rebuild(self, tx)
        if 2 <= previous_version < LATE_AFTER_REPORT_VERSION:  # before 2: rebuilt above
            aggregates.recount_late(self, tx, self.calendar)
        if REPORT_KEPT_VERSION <= previous_version < REPORT_PACKED_VERSION:
            aggregates.pack_kept(self, tx)
        if 0 < previous_version < MANUAL_PHONE_KEYS_VERSION:
            manual_keys.rekey_held(self, tx)
        if 0 < previous_version < FOREIGN_DOCUMENT_KEYS_VERSION:
            manual_keys.rekey_foreign_held(self, tx)
        if 0 < previous_version < ETH_KEYS_VERSION:
            eth_keys.refold_held(self, tx)

    def secret(self, name: str) -> bytes:
        """The centre's secret called ``name`` (settings), made on first use and shared by
        every process: what signs the dashboard's cookies, what keys the audit log's marks."""
        query = "SELECT value FROM settings WHERE key = $1"
        rows = self._query(query, (name,))
        if not rows:
            with self._transaction() as tx:
                self._execute(tx, "INSERT INTO settings (key, value) VALUES ($1, $2) "
                                  "ON CONFLICT (key) DO NOTHING", (name, secrets.token_hex(32)))
            rows = self._query(query, (name,))
        return bytes.fromhex(rows[0][0])

    def today(self) -> dt.date:
        """The local date now, in the centre's zone."""
        return self.calendar.day_of(dt.datetime.now(dt.UTC))

    def zone_in(self, tx: Any) -> Calendar:
        """The centre's zone as ``tx`` holds it, taken as this process's :attr:`calendar`: a
        ``serve`` running while ``kiosk-central timezone`` changed it (another process) files
        and derives by the new zone from its next transaction on, and its pages and reports
        follow within a second (its background's derivation step). PostgreSQL: a shared lock
        that :meth:`set_timezone` takes exclusively, so that no batch filed by the old zone
        commits after the refiling has read the entries."""
        if self.postgresql:
            self._execute(tx, "SELECT pg_advisory_xact_lock_shared($1)", (ZONE_LOCK_KEY,))
        name = self._execute(tx, "SELECT value FROM settings WHERE key = 'timezone'"
                             ).fetchone()[0]
        if name != self.calendar.name:
            self.calendar = Calendar(name)
        return self.calendar

    def set_timezone(self, name: str) -> int:
        """Make ``name`` the centre's zone and refile every raw entry held under its local
        day there; the number of entries refiled. CalendarError for an unknown zone."""
        calendar = Calendar(name)
        derivation.catch_up(self)  # derived under the zone they were filed in
        with self._transaction() as tx:
            derivation.exclude(self, tx)
            if self.postgresql:  # batches being filed by the old zone commit first
                self._execute(tx, "SELECT pg_advisory_xact_lock($1)", (ZONE_LOCK_KEY,))
            self._execute(tx, "UPDATE settings SET value = $1 WHERE key = 'timezone'", (name,))
            refiled = aggregates.rebuild(self, tx, calendar)
            self._execute(tx, "DELETE FROM monthly_reports")  # counted by the old days
            document_matches.rebuild(self, tx)
        self.calendar = calendar
        return refiled

    def setting(self, key: str) -> str:
        value = self.optional_setting(key)
        if value is None:
            raise StorageError("storage.no_setting", key=repr(key))
        return value

    def optional_setting(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM settings WHERE key = $1", (key,))
        return rows[0][0] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        with self._transaction() as tx:
            self._execute(tx, "INSERT INTO settings (key, value) VALUES ($1, $2) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          (key, value))

    # -- ingest ---------------------------------------------------------------------------
    def ingest_batch(self, kiosk_id: str, entries: Sequence[Any], **batch: Any
                     ) -> list[dict[str, Any]]:
        """:meth:`_ingest` (arguments and answer), again if the zone it filed the entries by
        was no longer the centre's when its transaction began (:meth:`zone_in`)."""
        while True:
            try:
                return self._ingest(kiosk_id, entries, **batch)
            except _ZoneChanged:  # rolled back; self.calendar is now the new zone
                continue

    def _ingest(self, kiosk_id: str, entries: Sequence[Any], *, sent_at: str | None,
                received_at: dt.datetime, batch_id: str,
                checkpoint_id: str | None = None,
                time_window: bool = False, sent_monotonic_ns: int | None = None,
                boot_id: str | None = None, sent_suspended_ns: int | None = None,
                address: str | None = None, measured_offset: float | None = None
                ) -> list[dict[str, Any]]:
        """Store a batch of wire entries from ``kiosk_id``; one result per entry, in order.

        ``sent_at`` is the kiosk's clock when it sent the batch; None for entries that came
        in a backlog file, whose age says nothing about the kiosk's clock: their clock offset
        stays unknown and the kiosk's last contact and offset are left as they were.
        ``sent_monotonic_ns`` and ``boot_id``, the kiosk's monotonic clock then (None: a
        kiosk that does not send it), and ``sent_suspended_ns``, how long that boot had
        slept by then (None: not sent): the entries of that boot are timed by their age,
        the others corrected by the batch's offset (:class:`protocol.Timing`). ``address``:
        the client's, logged with the batch and ``boot_id`` (:data:`BATCH_COLUMNS`).
        ``measured_offset``: for a backlog file that says its writing clock, the offset the
        centre last measured its kiosk's clock by over the network: off by more than the
        tolerance, its entries are filed at the later time and uncertain
        (:class:`protocol.Timing`).

        ``checkpoint_id`` is the kiosk's checkpoint from its enrolment (the API and the
        file importer always give it): an entry filed under another checkpoint is rejected,
        so a kiosk cannot put entries at a place it does not stand. None skips that check
        (only for callers that hold no enrolment, such as test fixtures).
        ``time_window``: refuse a ``sent_at`` or an entry's time outside the window around
        ``received_at`` (:func:`protocol.sent_at_problem`, :class:`protocol.Timing`);
        the API and the importer set it, fixtures loading history at odd dates do not.

        ``accepted``: stored now. ``duplicate``: the id was already held (same content;
        also an entry whose key is over today's bound, as a centre older than it stored it,
        and one whose time is refused, filed by a time an earlier send gave: a resend in
        another boot or a file; looked up with the others, in the same query), or the entry
        is past retention: not held, filed before a purge's cutoff (:meth:`_purged_through`),
        neither stored nor counted, so that one purged and sent again is not counted twice;
        such a result also carries ``past_retention``, that cutoff (a UTC day), for it may
        never have reached the centre (:data:`protocol.PAST_RETENTION`), and the batch log
        counts it apart from the duplicates held.
        ``rejected`` + ``reason``, ``code``, ``params`` (:class:`protocol.Refusal`): not
        stored — invalid, another kiosk's entry, another checkpoint's, or an id already held
        with different content. All or nothing: on StorageError nothing of the batch is
        stored. Safe to call again with the same entries any number of times.

        In the batch's transaction: the entries, their scan counts (:mod:`aggregates`), the
        batch log record, and the ids of the entries stored, queued for what is derived from
        them (:func:`derivation.queue`): nothing else is waited for.
        """
        offset = None
        if sent_at is not None:
            sent = protocol.parse_time(sent_at)
            if sent is None:
                raise protocol.ProtocolError(422, "wire.bad_sent_at", got=repr(sent_at))
            problem = protocol.sent_at_problem(sent, received_at) if time_window else None
            if problem:
                raise problem
            offset = protocol.clock_offset_seconds(received_at, sent)
        received = protocol.format_time(received_at)
        calendar = self.calendar
        timing = protocol.Timing(received_at, offset, sent_monotonic_ns, boot_id,
                                 sent_suspended_ns, measured_seconds=measured_offset)
        place = calendar.place
        cutoff = self.optional_setting(PURGED_BEFORE)
        erased_before = self.optional_setting(ERASED_BEFORE)  # an erasure's last cut
        erased_ids = "" if erased_before is None else id_prefix(
            dt.datetime.combine(dt.date.fromisoformat(erased_before), dt.time(), dt.UTC))
        purged_through = self._purged_through(cutoff, calendar)
        purged_before = "" if cutoff is None else f"{cutoff}T00:00:00.000000Z"
        results: list[dict[str, Any] | None] = [None] * len(entries)
        fresh: dict[str, Candidate] = {}
        repeats: list[Candidate] = []
        past: list[Candidate] = []  # filed before the purge's cutoff: duplicate unless held
        if_held: list[tuple[Candidate, protocol.Refusal]] = []
        id_skew = 0.0  # the farthest an id's time is from when its entry is filed, past a day
        ids_near = _IDS_NEAR
        ids_off: list[str] = []  # ids more than a day from their scanned_at
        uncertain: dict[str, float] = {}  # id → the offset its kiosk clock files it by
        at_arrival: set[str] = set()  # of those, the ones its kiosk clock dates later
        entry_row = protocol.entry_row
        for index, entry in enumerate(entries):
            row, refusal = entry_row(entry)
            over_bound = None  # a key over today's bound: a duplicate if held, else refused
            if row is None and refusal is not None:
                row = protocol.row_over_key_bound(entry, refusal)
                over_bound = refusal if row is not None else None
            late = None  # a time refused; yet a duplicate if the id is held with this content
            if row is not None and row[_KIOSK] != kiosk_id:
                row, refusal = None, protocol.Refusal(
                    "other_kiosk", field="kiosk_id", entry_kiosk=row[_KIOSK], kiosk=kiosk_id)
            elif row is not None and checkpoint_id not in (None, row[_CHECKPOINT]):
                row, refusal = None, protocol.Refusal(
                    "other_checkpoint", field="checkpoint_id", kiosk=kiosk_id,
                    enrolled=checkpoint_id, checkpoint=row[_CHECKPOINT])
            elif row is not None and row[_SUBJECT] == ERASED:  # erasure would skip it
                row, refusal = None, protocol.Refusal("reserved", field="subject_key",
                                                      got=json.dumps(ERASED))
            elif row is not None and row[0] >= ID_PAST_CALENDAR:  # its day has no date
                row, refusal = None, protocol.Refusal("id_past_calendar", field="id",
                                                      got=json.dumps(row[0]))
            elif row is not None:
                if row[_MATCH] == "":  # no match key, as null says: where every reader looks
                    row = (*row[:_MATCH], None, *row[_MATCH + 1:])
                if row[_MATCH] and ETH in row[_MATCH]:  # a kiosk before v15's fold: as now
                    row = (*row[:_MATCH], refolded(row[_MATCH]), *row[_MATCH + 1:])
                if row[_KIND] == manual_keys.MANUAL:  # a kiosk before v51/v53's keys: as now
                    row = manual_keys.keyed_again(row, _KIND, _SUBJECT, _DOCUMENT, _NAME,
                                                  _EXTRA, _PAYLOAD)
                entry_offset, problem = timing.entry(row[_SCANNED_AT], row[_MONOTONIC],
                                                     row[_BOOT])
                late = problem if time_window else None
                if timing.uncertain is not None:
                    uncertain[row[0]] = timing.uncertain
                    if entry_offset is not None and entry_offset < timing.uncertain:
                        at_arrival.add(row[0])  # its clock dates it after: filed at arrival
            if row is None:
                refusal = over_bound or refusal
                assert refusal is not None
                entry_id = (entry.get("id") if isinstance(entry, dict)
                            else entry.id if isinstance(entry, protocol.Entry) else None)
                results[index] = {"id": entry_id, "status": protocol.REJECTED,
                                  **refusal.answer()}
                continue
            if late is not None:  # never stored: its content is all it is compared by
                if_held.append((Candidate(index, row, 0), over_bound or late))
                continue
            day, hour = place(row[_SCANNED_AT], entry_offset)
            near = ids_near.get(row[_SCANNED_AT][:16]) or _ids_near(row[_SCANNED_AT])
            off = not near[0] <= row[0][:8] <= near[1]  # the same clock made both: a day
            if off:
                ids_off.append(row[0])
                skew = _id_skew(row[0], row[_SCANNED_AT]) - (entry_offset or 0.0)
                if abs(skew) > abs(id_skew):  # from its filed time, as a trace bounds it
                    id_skew = skew
            # what the erasure took of its period: filed in it, and taken by its walk (by
            # id day; past the cut, an id off or a clock AHEAD, as filed_before reads them);
            # one filed after the cut, an id before it (a clock behind), goes by its id day
            # at the next run, as one sent before the erasure went at that run
            if erased_before is not None and day < erased_before and (
                    row[0] < erased_ids or off
                    or (entry_offset or 0.0) < -CLOCK_TOLERANCE_SECONDS):
                row = _without_identity(row)
            candidate, entry_id = Candidate(
                index, (*row, received, entry_offset, batch_id, day), hour), row[0]
            if over_bound is not None:
                if_held.append((candidate, over_bound))
            elif (purged_through is not None and (day, hour) <= purged_through
                  and _filed_at(row[_SCANNED_AT], entry_offset) < purged_before):
                past.append(candidate)
            elif entry_id in fresh:
                repeats.append(candidate)
            else:
                fresh[entry_id] = candidate
        rows = [c.row for c in fresh.values()]
        self._prepare(rows)
        if self._entry_id_key is None:  # made outside a write transaction (SQLite: one)
            self._entry_id_key = self.secret(ENTRY_ID_SECRET)
        with self._transaction() as tx:
            if self.zone_in(tx).name != calendar.name:
                raise _ZoneChanged
            inserted = self._insert(tx, rows)
            held = self._fetch(tx, [i for i in fresh if i not in inserted]
                               + [c.id for c, _ in if_held] + [c.id for c in past])
            if elsewhere := {i: self._own_id(kiosk_id, i) for i, stored in held.items()
                             if stored["kiosk_id"] != kiosk_id}:
                # another kiosk's entry holds this one's id: filed first by a token used
                # elsewhere (random UUIDv7s do not meet by chance). This kiosk's entry is
                # kept under an id of its own, as are its resends; the other stays its own.
                _log.warning("%s", both("central.log.id_held_elsewhere", kiosk=kiosk_id,
                                        count=len(elsewhere), first=min(elsewhere),
                                        other=held[min(elsewhere)]["kiosk_id"]))
                wire = {alt: i for i, alt in elsewhere.items()}

                def moved(candidate: Candidate) -> Candidate:
                    alt = elsewhere.get(candidate.id)
                    return candidate if alt is None else candidate._replace(
                        row=(alt, *candidate.row[1:]))

                fresh = {c.id: c for c in map(moved, fresh.values())}
                repeats, past = [moved(c) for c in repeats], [moved(c) for c in past]
                if_held = [(moved(c), refusal) for c, refusal in if_held]
                ids_off = [elsewhere.get(i, i) for i in ids_off]
                uncertain = {elsewhere.get(i, i): o for i, o in uncertain.items()}
                inserted |= self._insert(tx, [fresh[alt].row for alt in wire if alt in fresh])
                held.update(self._fetch(tx, [alt for alt in wire if alt not in inserted]))
            # a source set aside (a copied token): its entries go aside, neither counted nor
            # queued, answered as any; a resend of one set aside is a duplicate
            aside, again = set_aside_rows.on_arrival(self, tx, kiosk_id, boot_id, inserted)
            if again:
                inserted -= again
                held.update(self._fetch(tx, sorted(again), set_aside_rows.ASIDE))
            tally = aggregates.Tally()
            new = [c for c in fresh.values() if c.id in inserted and c.id not in aside]
            # a batch's scans fall in a few (checkpoint, day, hour, direction, source,
            # status, kind): each counted once, not each scan one by one (1 µs an entry)
            counted = Counter((_COUNTED(c.row), c.hour) for c in new)
            days = {key[1] for key, _ in counted}
            # before the batch log record is numbered (_log_batch): every batch numbered
            # after a making's snapshot is stored after it (daily_reports.batches_seen)
            made = self.reports_made_in(tx, min(days)) if days else set()
            listed_on = {day: aggregates.received_on(calendar, received_at, day, made)
                         for day in days}
            for ((checkpoint, day, direction, source, status, kind), hour), count in (
                    counted.items()):
                tally.add(checkpoint, day, hour, direction, source, status, kind,
                          listed_on[day], received, count)
            aggregates.write(self, tx, tally)
            if ids_off and (off := [[i] for i in ids_off if i in inserted]):
                self._execute(tx, f"INSERT INTO {ID_OFF} (id) SELECT p.value ->> 0 FROM "
                                  f"{self._json_rows('$1', 'p')} WHERE true ON CONFLICT DO "
                                  f"NOTHING", (json_rows(off),))
            if uncertain and (unsure := [[i, o] for i, o in uncertain.items() if i in inserted]):
                self._execute(tx, f"INSERT INTO {TIME_UNCERTAIN} (id, kiosk_clock_offset_seconds) "
                                  f"SELECT p.value ->> 0, CAST(p.value ->> 1 AS DOUBLE "
                                  f"PRECISION) FROM {self._json_rows('$1', 'p')} WHERE true "
                                  f"ON CONFLICT DO NOTHING", (json_rows(unsure),))
            for entry_id, candidate in fresh.items():
                if entry_id in inserted:
                    results[candidate.index] = {"id": entry_id, "status": protocol.ACCEPTED}
                    if entry_id in at_arrival:
                        results[candidate.index][protocol.FILED_AT_ARRIVAL] = True
                else:
                    results[candidate.index] = _compare(candidate, held.get(entry_id))
            for candidate in repeats:
                first = fresh[candidate.id]
                stored = (dict(zip(ENTRY_COLUMNS, first.row, strict=False))
                          if candidate.id in inserted else held.get(candidate.id))
                results[candidate.index] = _compare(candidate, stored)
            for candidate in past:  # held: compared as any; else purged, or never kept
                stored = held.get(candidate.id)
                results[candidate.index] = (
                    _compare(candidate, stored) if stored is not None
                    else {"id": candidate.id, "status": protocol.DUPLICATE,
                          protocol.PAST_RETENTION: cutoff})
            # stored by a centre older than the bound, or sent again after it was filed by
            # a time this send does not give (another boot: a lost acknowledgement)
            for candidate, refusal in if_held:
                stored = held.get(candidate.id)
                results[candidate.index] = (
                    {"id": candidate.id, "status": protocol.DUPLICATE}
                    if stored is not None and _same(candidate.row, stored)
                    else {"id": candidate.id, "status": protocol.REJECTED, **refusal.answer()})
            # held, stored by another boot's batch? (a restored copy sent it first)
            set_aside_rows.note_sent_again(self, tx, boot_id, [
                r["id"] for r in results  # type: ignore[index]
                if r["status"] == protocol.DUPLICATE  # type: ignore[index]
                and held.get(r["id"], {}).get("kiosk_id") == kiosk_id])  # type: ignore[index]
            if elsewhere:  # answered by the ids the kiosk sent
                for result in results:
                    result["id"] = wire.get(result["id"], result["id"])  # type: ignore[index]
            largest = timing.largest  # tracing's id bounds widen by the farthest of both
            if id_skew and (largest is None or abs(id_skew) > abs(largest)):
                largest = -id_skew
            counts = Counter(r["status"] for r in results)  # type: ignore[index]
            # answered duplicate, yet not held: logged apart from the duplicates held
            gone = sum(protocol.PAST_RETENTION in r for r in results)  # type: ignore[operator]
            self._log_batch(tx, {
                "batch_id": batch_id, "kiosk_id": kiosk_id, "sent_at": sent_at,
                "received_at": received, "clock_offset_seconds": offset,
                "entry_offset_seconds": largest, "least_offset_seconds": timing.least,
                "entries": len(entries), "accepted": counts[protocol.ACCEPTED],
                "duplicate": counts[protocol.DUPLICATE] - gone, "past_retention": gone,
                "rejected": counts[protocol.REJECTED], "boot_id": boot_id,
                "address": address,
            })
            derivation.queue(self, tx, [c.id for c in new], kiosk_id)
        return results  # type: ignore[return-value]

    def _own_id(self, kiosk_id: str, entry_id: str) -> str:
        """The id ``kiosk_id``'s entry ``entry_id`` is kept under when another kiosk's entry
        holds that id: a UUIDv7 of the same time (so it is filed, partitioned and traced
        as the id says), the rest from an HMAC keyed with the centre's secret, so no token
        holder can compute it to take it first too. The same for every resend."""
        assert self._entry_id_key is not None  # read before the batch's transaction
        mac = hmac.digest(self._entry_id_key, f"{kiosk_id}\0{entry_id}".encode(), "sha256")
        millis = int(entry_id[:8] + entry_id[9:13], 16)
        rand_a = int.from_bytes(mac[:2]) & 0xFFF
        rand_b = int.from_bytes(mac[2:10]) & ((1 << 62) - 1)
        return str(uuid.UUID(int=(millis << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62)
                             | rand_b))

    def _purged_through(self, cutoff: str | None, calendar: Calendar
                        ) -> tuple[str, int] | None:
        """The last local (day, hour) before ``cutoff``, that of the latest purge of raw
        entries (:data:`PURGED_BEFORE`; None: never purged): an entry filed then or earlier
        may be past retention — it is if the time it is filed by (:func:`_filed_at`) is before
        the cutoff's first instant. The hour alone is not enough in a zone half an hour off
        UTC (Asia/Kolkata: the hour holding the cutoff's UTC midnight, 05:00-05:59, is half
        before it, half after: a scan of 05:40 there, id of the cutoff day and so never
        purged, was answered past retention and never stored). The purge removes entries
        by their id day and their receive time, which a kiosk sending one again does not
        tell; but an entry received before the cutoff
        was scanned before it, and the time it is filed by (its scan corrected by its clock
        offset) says when, for a clock far behind too. So every entry a purge removed is
        answered ``duplicate`` when sent again, and so is one sent for the first time after
        it was past retention (a kiosk offline longer): not stored, not counted."""
        if cutoff is None:
            return None
        start = dt.datetime.combine(dt.date.fromisoformat(cutoff), dt.time(), dt.UTC)
        return calendar.local(start - dt.timedelta(microseconds=1))

    # -- what an engine provides ----------------------------------------------------------
    # Statements are written once for both engines with numbered placeholders ``$1, $2, …``
    # (see :func:`slots`, :class:`Params`) and given to each driver as they are: PostgreSQL
    # takes them natively, SQLite as parameters named "1", "2"… (docs/architecture.md).
    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Any]:
        """One write transaction; raises StorageBusy when storage is locked or unreachable."""

    @abstractmethod
    def _execute(self, tx: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement in ``tx``; the cursor (``rowcount``, ``fetchone``)."""

    @abstractmethod
    def _insert_rows(self, tx: Any, table: str, columns: Sequence[str],
                     rows: Sequence[Sequence[Any]], conflict: str = "") -> None:
        """Insert ``rows`` (``columns`` order) into ``table``, then ``conflict`` (an ``ON
        CONFLICT`` clause) for each, the engine's fastest way (docs/benchmarks.md, stays)."""

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        """The rows of one read outside any write transaction (inside :meth:`_report_making`
        or :meth:`_reading`, in its snapshot)."""

    @abstractmethod
    def _report_making(self, record: Callable[[Any], T]
                       ) -> AbstractContextManager[tuple[T, Any]]:
        """A daily report's making: ``record(tx)`` run in a write transaction that no batch
        is stored beside, committed, and then a read-only snapshot of the database as
        ``record`` found it (before its own writes), in which this thread's :meth:`_query`
        reads until the block ends; yields ``record``'s result and that snapshot's
        transaction. A batch is either in the snapshot or stored after the making was
        recorded, seeing it made (:meth:`reports_made_in`); the report's figures, computed
        in the snapshot (half a minute on a province), hold back no batch: only the
        recording did, and every kiosk's upload waited for the whole computation before."""

    @abstractmethod
    def _reading(self) -> AbstractContextManager[Any]:
        """One read-only snapshot, this thread's :meth:`_query` reading in it too, taking no
        lock a writer waits for: a made report read whole (:func:`kiosk.central.reports.
        made_report`) while batches are stored and reports made. Yields it."""

    def reports_made_in(self, tx: Any, since: str) -> set[str]:
        """The days from ``since`` on whose daily report was made (``daily_reports``), read in
        the batch's transaction ``tx`` after any report being made has committed
        (PostgreSQL: a lock :meth:`_report_making` takes exclusively while it records;
        SQLite: one writer at a time)."""
        if self.postgresql:
            self._execute(tx, "LOCK TABLE daily_reports IN ROW SHARE MODE")
        return {day for (day,) in self._execute(
            tx, "SELECT day FROM daily_reports WHERE day >= $1", (since,)).fetchall()}

    @abstractmethod
    def _transient(self, exc: Exception) -> bool:
        """Whether ``exc``, raised in a transaction, says storage is busy or away (try the
        same again later) rather than that the statement cannot succeed (a constraint, a
        damaged row): :func:`derivation._derive_parts` sets aside only the latter."""

    @abstractmethod
    def _prepare(self, rows: list[tuple[Any, ...]]) -> None:
        """Anything the engine must do before a batch's transaction (PostgreSQL: create the
        day partitions it needs)."""

    def purge_entries(self, cutoff: dt.date) -> int:
        """Remove raw entries of UTC days (by their UUIDv7 ids: the kiosk's clock at the
        scan) before ``cutoff`` that were also received before it, and those of a clock
        ahead filed before it (:meth:`_purge_filed_before`); aggregates stay. The days
        such entries fall on (through ``cutoff``: a local day can end after its UTC day)
        are frozen first (:func:`people.freeze`), and again after: a batch adding a pair to
        one of them as it froze has ended by then (the engine's purge waits for it). The
        stays of the scans removed go last (:func:`stays.forget_before`). The number of
        entries removed on SQLite; on PostgreSQL, of day partitions dropped, without the
        entries deleted one by one (the default partition's, and those of a clock ahead):
        counting a partition's rows would read the whole partition the drop avoids.

        The cutoff is recorded first (:data:`PURGED_BEFORE`): from then on an entry filed
        before it is not stored again, nor counted again (:meth:`_purged_through`)."""
        held = self.optional_setting(PURGED_BEFORE)
        if held is None or held < cutoff.isoformat():
            self.set_setting(PURGED_BEFORE, cutoff.isoformat())
        unfrozen = cutoff + dt.timedelta(days=1)
        derivation.catch_up(self)  # every day counted as it stands before it freezes
        stays.read_raw_before(self, cutoff)
        with self._transaction() as tx:
            derivation.exclude(self, tx)
            derivation.count_set_aside_people(self, tx, unfrozen)
            people.freeze(self, tx, unfrozen)
        removed = self._purge(cutoff, unfrozen.isoformat())
        filed = self._purge_filed_before(cutoff)
        if not self.postgresql:  # PostgreSQL counts the partitions dropped
            removed += filed
        with self._transaction() as tx:
            derivation.exclude(self, tx)
            people.freeze(self, tx, unfrozen)
        stays.forget_before(self, cutoff, derivation.exclude)
        with self._transaction() as tx:  # the ids listed of entries gone (a few)
            # a copied token's entries set aside go by the same rule (no index of them: few)
            self._execute(tx, f"DELETE FROM {set_aside_rows.ASIDE} WHERE id < $1 AND "
                              "received_at < $2", (id_days.bounds(cutoff)[0],
                                                   f"{cutoff.isoformat()}T00:00:00.000000Z"))
            for listed in (ID_OFF, TIME_UNCERTAIN, set_aside_rows.SENT_AGAIN):
                self._execute(tx, f"DELETE FROM {listed} WHERE NOT EXISTS (SELECT 1 FROM "
                                  f"entries e WHERE e.id = {listed}.id) AND NOT EXISTS "
                                  f"(SELECT 1 FROM {set_aside_rows.ASIDE} a "
                                  f"WHERE a.id = {listed}.id)")
        return removed

    def filed_before(self, before: dt.date, *, purge: bool = False) -> list[Sequence[str]]:
        """(id, match key, checkpoint) of the entries filed on local days before ``before``
        (the scan's time corrected by its clock offset) whose ids, made by a kiosk clock
        ahead, are of UTC day ``before`` or later: entries chosen by id day miss them (and
        those whose ids are ahead of their own scans' times, :data:`ID_OFF`). Those
        not erased yet; ``purge``: those also received before ``before``, erased or not. An id is
        within a day of its scan, a local day ends up to a day after its UTC day, and no
        kiosk clock ran further ahead than the least offset logged
        (:data:`schema.LEAST_CLOCK_OFFSET`): that bounds the days and ids read. A clock
        behind (a scan timed at 1970) files scans after their ids' days, never before: it
        widens nothing here."""
        read = self._filed_before_read(before, purge=purge)
        found = {row[0]: row for row in self._query(*read)} if read is not None else {}
        params = Params()  # and the entries whose ids are off their scans' times
        low, _ = id_days.bounds(before)
        sql = _ID_OFF_BEFORE.format(low=params.add(low), before=params.add(before.isoformat()))
        start = dt.datetime.combine(before, dt.time(), dt.UTC)
        sql += (f" AND e.received_at < {params.add(protocol.format_time(start))}" if purge
                else f" AND e.subject_key <> '{ERASED}'")
        found.update((row[0], row) for row in self._query(sql, params))
        return list(found.values())

    def _filed_before_read(self, before: dt.date, *, purge: bool) -> tuple[str, Params] | None:
        """The statement :meth:`filed_before` runs and its parameters; None when no kiosk
        clock ran ahead by more than the tolerance (nothing to read)."""
        ahead = -(self._query(LEAST_CLOCK_OFFSET)[0][0] or 0.0)
        if ahead <= CLOCK_TOLERANCE_SECONDS:
            return None
        start = dt.datetime.combine(before, dt.time(), dt.UTC)
        reach = dt.timedelta(seconds=ahead) + 2 * stays.ID_SLACK
        params = Params()
        sql = _FILED_BEFORE.format(
            id="id" if self.postgresql else "+id",
            first_day=params.add(self.calendar.day_of(start - reach).isoformat()),
            before=params.add(before.isoformat()), low=params.add(id_prefix(start)),
            high=params.add(id_prefix(start + reach)))
        sql += (f" AND received_at < {params.add(protocol.format_time(start))}" if purge
                else f" AND subject_key <> '{ERASED}'")
        return sql, params

    def _purge_filed_before(self, cutoff: dt.date) -> int:
        """Remove the entries :meth:`filed_before` ``cutoff`` and received before it, after
        :meth:`_purge` (the days they are filed on are frozen: their pairs stay counted),
        with their document matches (PostgreSQL: added back once the batches storing an
        entry that stands for one have ended, as a partition's) and their stays. How many
        entries were removed."""
        scans = self.filed_before(cutoff, purge=True)
        removed = self._by_ids(scans, lambda chosen: f"DELETE FROM entries WHERE {chosen}",
                               noting=self.postgresql)
        if scans:
            self._settle()
        return removed

    def _by_ids(self, scans: list[Sequence[str]], act: Callable[[str], str], *given: Any,
                noting: bool = False) -> int:
        """Delete or erase ``scans`` (id, match key, checkpoint: :meth:`filed_before`) by
        their ids, whatever day those say, :data:`SCANS_AT_ONCE` a transaction holding
        derivation steps back: forget the document matches no other entry stands for
        (``noting``: kept for :meth:`_settle` too, :func:`document_matches.noting`), run the
        statement ``act`` makes of the condition choosing them ($1; ``given`` follow), then
        forget their stays and what only those said (:func:`stays.forget_scans`: those go
        by ids, past the cutoff). Their pairs in the day sets are left to the caller's
        freeze: their days are before its cutoff. The number of rows the statement changed."""
        chosen = f"id IN (SELECT p.value ->> 0 FROM {self._json_rows('$1', 'p')})"
        forget = document_matches.FORGET.format(entries="entries", where=chosen,
                                                kept=f"NOT (e.{chosen})")
        if noting:
            forget = document_matches.noting(forget)
        changed = 0
        for start in range(0, len(scans), SCANS_AT_ONCE):
            part = scans[start:start + SCANS_AT_ONCE]
            ids = json_rows([[row[0]] for row in part])
            with self._transaction() as tx:
                derivation.exclude(self, tx)  # no step derives from an entry changed here
                self._execute(tx, forget, (ids,))
                changed += self._execute(tx, act(chosen), (ids, *given)).rowcount
                stays.forget_scans(self, tx, [row for row in part if row[1] is not None])
        return changed

    @abstractmethod
    def _settle(self) -> None:
        """Add back the document matches a purge forgot that an entry held stands for, once
        the batches storing such entries have ended (:data:`document_matches.RESTORE`)."""

    def purge_batches(self, cutoff: dt.date) -> int:
        """Remove the batch log's records of batches whose entries :meth:`purge_entries`
        has removed: received before ``cutoff`` and sent by a kiosk clock more than
        :data:`BATCH_LOG_MARGIN` before it (an entry's id, made by that clock, is within a
        day of its ``scanned_at``, at most a day ahead of sending). The largest clock offset
        (:data:`schema.LARGEST_CLOCK_OFFSET`) still covers every entry held, and the
        latest record stays (:data:`_PURGE_BATCHES`). Small batches, so that uploads
        writing the log keep flowing. The number of records removed."""
        start = dt.datetime.combine(cutoff, dt.time(), dt.UTC)
        params = (protocol.format_time(start), protocol.format_time(start - BATCH_LOG_MARGIN),
                  _PURGE_BATCHES_AT_ONCE)
        removed = 0
        while True:
            with self._transaction() as tx:
                count = self._execute(tx, _PURGE_BATCHES, params).rowcount
            removed += count
            if count < _PURGE_BATCHES_AT_ONCE:
                return removed

    @abstractmethod
    def _purge(self, cutoff: dt.date, unfrozen: str) -> int:
        """:meth:`purge_entries` once the days are frozen: each entry removed takes its pairs
        out of the day set of its day, if that is ``unfrozen`` or later (a kiosk clock
        days off), and its document match if no entry held stands for it. Returns once the
        batches that were writing day sets then have ended (:meth:`_wait_for_writers`)."""

    def overwriting(self) -> AbstractContextManager[None]:
        """Around a purge and an erasure (``kiosk-central purge``): what they delete or
        overwrite leaves no copy the engine's files would give back, where the engine can
        promise it. Nothing on PostgreSQL: its dead row versions stay in the table's pages
        until ``VACUUM`` reuses them, and in its WAL (docs/privacy.md)."""
        return nullcontext()

    def empty_log(self) -> bool:
        """After :meth:`overwriting`: the engine's log of pages emptied of the deleted rows'
        older images; whether it was (always, on PostgreSQL: nothing of the kind here)."""
        return True

    def upgrade_copies(self) -> list[Path]:
        """The copies of the database made before upgrades (:attr:`upgrade_backup`), which
        the purge deletes in time (:func:`kiosk.central.retention.drop_upgrade_copies`):
        none on PostgreSQL, which keeps none (``pg_dump`` first, docs/central.md)."""
        return []

    def found_sound(self) -> bool:
        """Whether a whole-file check finds the database sound, before a copy made ahead of
        its upgrade goes: true where the engine keeps no such copy."""
        return True

    @abstractmethod
    def _wait_for_writers(self, *tables: str) -> None:
        """Return once every transaction writing ``tables`` when called has ended."""

    @abstractmethod
    def _insert(self, tx: Any, rows: list[tuple[Any, ...]]) -> set[str]:
        """Insert rows (STORED_COLUMNS order, unique ids) whose id is new; the ids inserted."""

    def _json_rows(self, slot: str, alias: str) -> str:
        """A FROM item with one row per element of the JSON array parameter ``slot``
        (:func:`placeholders.json_rows`), the element as ``{alias}.value``."""
        return self._JSON_ROWS.format(slot=slot, alias=alias)

    def _add_subjects(self, tx: Any, rows: list[tuple[str, str, str | None]]
                      ) -> list[tuple[str, str]]:
        """Add the (day, key, lone_checkpoint) ``rows`` (sorted, one a key;
        :mod:`kiosk.central.people`) to the day sets, except for frozen days, in one
        statement; the (day, key) pairs that were new to their set."""
        if not rows:
            return []
        return [tuple(row) for row in self._execute(
            tx, "INSERT INTO day_subjects (day, subject_key, lone_checkpoint) SELECT "
                f"p.value ->> 0, p.value ->> 1, p.value ->> 2 FROM {self._json_rows('$1', 'p')} "
                "WHERE NOT EXISTS (SELECT 1 FROM day_people f WHERE f.day = p.value ->> 0) "
                "ORDER BY 1, 2 ON CONFLICT DO NOTHING RETURNING day, subject_key",
            (json_rows(rows),))]

    @abstractmethod
    def _fetch(self, tx: Any, ids: list[str], table: str = "entries"
               ) -> dict[str, dict[str, Any]]:
        """{id: ENTRY_COLUMNS as stored} for those of ``ids`` that are stored (in ``table``:
        ``entries``, or those set aside, :data:`set_aside_rows.ASIDE`)."""

    @abstractmethod
    def close(self) -> None: ...

    def _log_batch(self, tx: Any, record: dict[str, Any]) -> None:
        """Append to the batch log; note the kiosk's last contact and clock offset."""
        self._execute(tx, _INSERT_BATCH, [record[name] for name in BATCH_COLUMNS])
        if record["sent_at"] is None:  # from a file: the kiosk itself was not heard from
            self._execute(tx, "UPDATE kiosks SET entries = entries + $1 WHERE id = $2",
                          (record["accepted"], record["kiosk_id"]))
            return
        self._execute(tx, "UPDATE kiosks SET last_seen_at = $1, last_clock_offset = $2, "
                          "entries = entries + $3 WHERE id = $4",
                      (record["received_at"], record["clock_offset_seconds"],
                       record["accepted"], record["kiosk_id"]))

    # -- kiosks and checkpoints -----------------------------------------------------------
    def add_checkpoint(self, checkpoint_id: str, name: str) -> bool:
        """Create the checkpoint unless it exists; True if created."""
        with self._transaction() as tx:
            return self._execute(
                tx, "INSERT INTO checkpoints (id, name, created_at, set_up_on) VALUES "
                    "($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                (checkpoint_id, name, _now(), self.today().isoformat())).rowcount == 1

    def add_kiosk(self, kiosk_id: str, checkpoint_id: str, name: str, token_hash: str, *,
                  record: Callable[[Any], object] | None = None) -> Kiosk:
        """Raises EnrolmentError if the id is taken (even by a revoked kiosk). ``record(tx)``
        writes the audit record in the enrolment's transaction, standing or falling with it."""
        with self._transaction() as tx:
            if self._execute(tx, "SELECT 1 FROM kiosks WHERE id = $1", (kiosk_id,)).fetchone():
                raise EnrolmentError("enrolment.kiosk_exists", kiosk=repr(kiosk_id))
            if not self._execute(tx, "SELECT 1 FROM checkpoints WHERE id = $1",
                                 (checkpoint_id,)).fetchone():
                raise EnrolmentError("enrolment.no_checkpoint", checkpoint=repr(checkpoint_id))
            self._execute(tx, "INSERT INTO kiosks (id, checkpoint_id, name, token_hash, "
                              "created_at) VALUES ($1, $2, $3, $4, $5)",
                          (kiosk_id, checkpoint_id, name, token_hash, _now()))
            if record is not None:
                record(tx)
        kiosk = self.kiosk(kiosk_id)
        assert kiosk is not None
        return kiosk

    def holds_nothing(self) -> bool:
        """Whether no checkpoint is registered (then no kiosk either: each is enrolled at
        one) and no entry received: whatever a report or trace answers here is 0, most
        likely from a wrong ``--db``."""
        return not (self._query("SELECT 1 FROM checkpoints LIMIT 1")
                    or self._query("SELECT 1 FROM entries LIMIT 1"))

    def kiosks(self) -> list[Kiosk]:
        return [Kiosk(*row) for row in self._query(_KIOSK_SELECT + " ORDER BY k.id")]

    def kiosk(self, kiosk_id: str) -> Kiosk | None:
        rows = self._query(_KIOSK_SELECT + " WHERE k.id = $1", (kiosk_id,))
        return Kiosk(*rows[0]) if rows else None

    def kiosk_for_token(self, token_hash: str) -> Kiosk | None:
        """The kiosk holding this token hash, revoked or not (the caller decides)."""
        rows = self._query(_KIOSK_SELECT + " WHERE k.token_hash = $1", (token_hash,))
        return Kiosk(*rows[0]) if rows else None

    def note_refused_attempt(self, kiosk_id: str, at: dt.datetime, *, count: int = 1) -> None:
        """A revoked kiosk tried to upload ``count`` times, the latest ``at``: counted for the
        daily report (the server adds them up first: :mod:`kiosk.central.refused`)."""
        with self._transaction() as tx:
            self._execute(tx, "UPDATE kiosks SET refused_attempts = refused_attempts + $1, "
                              "last_refused_at = $2 WHERE id = $3",
                          (count, protocol.format_time(at), kiosk_id))

    def token_retired(self, token_hash: str) -> bool:
        """Whether this hash is of a token its kiosk no longer holds (:meth:`_retire_token`)."""
        return bool(self._query("SELECT 1 FROM retired_tokens WHERE token_hash = $1",
                                (token_hash,)))

    def note_replaced_token_attempt(self, token_hash: str, at: dt.datetime, *,
                                    count: int = 1) -> None:
        """A replaced token was used ``count`` times, the latest ``at``: counted for the daily
        report as :meth:`note_refused_attempt` counts a revoked kiosk's."""
        with self._transaction() as tx:
            self._execute(tx, "UPDATE retired_tokens SET attempts = attempts + $1, "
                              "last_attempt_at = $2 WHERE token_hash = $3",
                          (count, protocol.format_time(at), token_hash))

    def _retire_token(self, tx: Any, kiosk_id: str, now: str) -> None:
        """Keep the kiosk's token hash before it is replaced, so that it is known when still
        used; the kiosk's oldest beyond :data:`RETIRED_TOKENS_KEPT` go."""
        self._execute(tx, "INSERT INTO retired_tokens (token_hash, kiosk_id, retired_at) "
                          "SELECT token_hash, id, $1 FROM kiosks WHERE id = $2", (now, kiosk_id))
        self._execute(tx, "DELETE FROM retired_tokens WHERE kiosk_id = $1 AND token_hash NOT IN "
                          "(SELECT token_hash FROM retired_tokens WHERE kiosk_id = $1 "
                          "ORDER BY retired_at DESC, token_hash LIMIT $2)",
                      (kiosk_id, RETIRED_TOKENS_KEPT))

    def revoke_kiosk(self, kiosk_id: str, *, record: Callable[[Any], object] | None = None
                     ) -> bool:
        """Refuse this kiosk's token from now on; False if unknown or already revoked. The
        refused attempts counted start again: the report's are this revocation's.
        ``record(tx)`` writes the audit record in the revocation's transaction (only when it
        revokes)."""
        with self._transaction() as tx:
            if self._execute(tx, "UPDATE kiosks SET revoked_at = $1, refused_attempts = 0, "
                                 "last_refused_at = NULL WHERE id = $2 AND revoked_at IS NULL",
                             (_now(), kiosk_id)).rowcount != 1:
                return False
            if record is not None:
                record(tx)
            return True

    def _lock_kiosk(self, tx: Any, kiosk_id: str) -> Sequence[Any] | None:
        """The kiosk's ``(revoked_at,)``, its row locked until ``tx`` ends (None: unknown), so
        that the acts giving it a token (a re-issue, a code redeemed) take turns: under
        PostgreSQL's READ COMMITTED one would otherwise write over what the other had just
        changed after reading before it (SQLite's write lock already serialises them)."""
        return self._execute(tx, "SELECT revoked_at FROM kiosks WHERE id = $1"
                                 + (" FOR UPDATE" if self.postgresql else ""),
                             (kiosk_id,)).fetchone()

    def reissue_token(self, kiosk_id: str, token_hash: str,
                      code: tuple[str, str] | None = None, *,
                      record: Callable[[Any, str | None], object] | None = None
                      ) -> str | None:
        """An administrator's act (``kiosk-central kiosks token``), in one transaction: the
        kiosk's token becomes ``token_hash`` (the old one is refused from now on, and kept to
        be counted when still used: :meth:`_retire_token`), a revoked kiosk is restored,
        every enrolment code of it still unused expires now (a code handed out earlier, a
        revoked kiosk's above all, cannot be redeemed afterwards) and, with ``code`` (its
        secret's hash, its expiry), a new one is stored for it. Its backlog signing key is
        left as is. ``record(tx, revoked_at)``, called in the transaction once the kiosk is
        locked and before anything changes, writes the audit record from what the
        transaction itself found, standing or falling with it. When it had been revoked;
        None if it was not. EnrolmentError if the kiosk is unknown
        (nothing changed)."""
        now = _now()
        with self._transaction() as tx:
            row = self._lock_kiosk(tx, kiosk_id)
            if row is None:
                raise EnrolmentError("enrolment.unknown_kiosk", kiosk=repr(kiosk_id))
            if record is not None:
                record(tx, row[0])
            self._retire_token(tx, kiosk_id, now)
            self._execute(tx, "UPDATE kiosks SET token_hash = $1, revoked_at = NULL "
                              "WHERE id = $2", (token_hash, kiosk_id))
            self._execute(tx, "UPDATE enrolment_codes SET expires_at = $1 WHERE kiosk_id = $2 "
                              "AND used_at IS NULL AND expires_at > $1", (now, kiosk_id))
            if code is not None:
                self._execute(tx, "INSERT INTO enrolment_codes (secret_hash, kiosk_id, "
                                  "created_at, expires_at) VALUES ($1, $2, $3, $4)",
                              (code[0], kiosk_id, now, code[1]))
        return row[0]

    def add_enrolment_code(self, kiosk_id: str, secret_hash: str, expires_at: str) -> None:
        with self._transaction() as tx:
            self._execute(tx, "INSERT INTO enrolment_codes (secret_hash, kiosk_id, created_at, "
                              "expires_at) VALUES ($1, $2, $3, $4)",
                          (secret_hash, kiosk_id, _now(), expires_at))

    def redeem_enrolment_code(self, secret_hash: str, now: str, token_hash: str,
                              signing_key: bytes | None = None) -> tuple[Kiosk, bytes | None]:
        """Use the code once: its kiosk's token becomes ``token_hash`` (the old one is refused
        from now on, and kept as a re-issue keeps it) and, when given, its backlog signing key
        ``signing_key`` — the code is the administrator's word that this machine is that
        kiosk. Returns the kiosk and the signing key it replaced (None if none or the same).
        EnrolmentRefused (unknown, used, expired, kiosk revoked) otherwise."""
        with self._transaction() as tx:
            found = self._execute(tx, "SELECT kiosk_id FROM enrolment_codes "
                                      "WHERE secret_hash = $1", (secret_hash,)).fetchone()
            locked = self._lock_kiosk(tx, found[0]) if found else None
            # the code read again and the clock too, the kiosk locked: a re-issue that
            # committed since the look-up above expired it at a moment after the ``now``
            # asked, and one not yet begun waits for this one
            now = max(now, _now())
            code = self._execute(tx, "SELECT expires_at, used_at FROM enrolment_codes "
                                     "WHERE secret_hash = $1", (secret_hash,)).fetchone() \
                if locked else None
            if found is None or locked is None or code is None:
                raise EnrolmentRefused(403, "enrolment.unknown_code")
            kiosk_id, (expires_at, used_at), revoked_at = found[0], code, locked[0]
            if used_at is not None:
                raise EnrolmentRefused(409, "enrolment.used_at", at=used_at)
            if expires_at <= now:
                raise EnrolmentRefused(410, "enrolment.expired", at=expires_at)
            if revoked_at is not None:
                raise EnrolmentRefused(403, "enrolment.revoked", kiosk=kiosk_id)
            # the guard on used_at makes two racing exchanges give one token, not two
            if self._execute(tx, "UPDATE enrolment_codes SET used_at = $1 WHERE secret_hash = $2 "
                                 "AND used_at IS NULL", (now, secret_hash)).rowcount != 1:
                raise EnrolmentRefused(409, "enrolment.used")
            self._retire_token(tx, kiosk_id, now)
            self._execute(tx, "UPDATE kiosks SET token_hash = $1 WHERE id = $2",
                          (token_hash, kiosk_id))
            replaced = None
            if signing_key is not None:
                replaced = self._retire_signing_key(tx, kiosk_id, signing_key, now,
                                                    "enrolment code redeemed")
                self._execute(tx, "UPDATE kiosks SET signing_key = $1, signing_key_at = $2 "
                                  "WHERE id = $3", (signing_key, now, kiosk_id))
        kiosk = self.kiosk(kiosk_id)
        assert kiosk is not None
        return kiosk, replaced

    # -- backlog signing keys (kiosk.sync.backlog_keys) -----------------------------------
    def signing_key(self, kiosk_id: str) -> tuple[bytes, str] | None:
        """The kiosk's registered public signing key (raw) and when it was registered."""
        rows = self._query("SELECT signing_key, signing_key_at FROM kiosks WHERE id = $1 "
                           "AND signing_key IS NOT NULL", (kiosk_id,))
        return (bytes(rows[0][0]), rows[0][1]) if rows else None

    def register_signing_key(self, kiosk_id: str, key: bytes, *,
                             record: Callable[[Any], object] | None = None) -> bool:
        """Register the kiosk's first signing key: True if registered now, False if this
        very key already was. SigningKeyConflict if another key is registered: a key is
        never replaced silently (see :meth:`replace_signing_key`). ``record(tx)`` writes the
        audit record in the registration's transaction (only when it registers)."""
        with self._transaction() as tx:
            held = self._execute(tx, "SELECT signing_key, signing_key_at FROM kiosks "
                                     "WHERE id = $1", (kiosk_id,)).fetchone()
            if held is None:
                raise EnrolmentError("enrolment.unknown_kiosk", kiosk=repr(kiosk_id))
            if held[0] is not None:
                if bytes(held[0]) == key:
                    return False
                raise SigningKeyConflict(kiosk_id, bytes(held[0]), held[1])
            self._execute(tx, "UPDATE kiosks SET signing_key = $1, signing_key_at = $2 "
                              "WHERE id = $3 AND signing_key IS NULL", (key, _now(), kiosk_id))
            if record is not None:
                record(tx)
            return True

    def replace_signing_key(self, kiosk_id: str, key: bytes | None, reason: str, *,
                            compromised: bool = False) -> bytes | None:
        """An administrator's act: set (or with None, clear, so that the kiosk registers
        its key at its next contact) the kiosk's signing key; the key it replaced, kept as
        retired for ``reason`` (:meth:`retired_signing_key`). ``compromised`` (the machine
        stolen): neither it nor any key the kiosk had before is kept, so that no file signed
        with one is imported again; None is returned."""
        now = _now()
        with self._transaction() as tx:
            if self._lock_kiosk(tx, kiosk_id) is None:
                raise EnrolmentError("enrolment.unknown_kiosk", kiosk=repr(kiosk_id))
            if compromised:
                self._execute(tx, "DELETE FROM retired_signing_keys WHERE kiosk_id = $1",
                              (kiosk_id,))
                replaced = None
            else:
                replaced = self._retire_signing_key(tx, kiosk_id, key, now, reason)
            self._execute(tx, "UPDATE kiosks SET signing_key = $1, signing_key_at = $2 "
                              "WHERE id = $3", (key, now if key else None, kiosk_id))
        return replaced

    def _retire_signing_key(self, tx: Any, kiosk_id: str, key: bytes | None, now: str,
                            reason: str) -> bytes | None:
        """Keep the kiosk's signing key, about to be replaced by ``key`` (None: cleared), as
        retired ``now`` for ``reason``: the files it signed until now are still the kiosk's.
        The key retired; None if none was held or it is ``key`` itself."""
        from kiosk.sync.backlog_keys import fingerprint

        held, registered_at = self._execute(tx, "SELECT signing_key, signing_key_at FROM "
                                                "kiosks WHERE id = $1", (kiosk_id,)).fetchone()
        if held is None or bytes(held) == key:
            return None
        self._execute(tx, "INSERT INTO retired_signing_keys (kiosk_id, fingerprint, "
                          "signing_key, registered_at, retired_at, reason) "
                          "VALUES ($1, $2, $3, $4, $5, $6)",
                      (kiosk_id, fingerprint(bytes(held)), bytes(held), registered_at, now,
                       reason))
        return bytes(held)

    def retired_signing_key(self, kiosk_id: str, fingerprint: str) -> RetiredSigningKey | None:
        """The kiosk's retired signing key of this fingerprint, by its latest retirement
        (a key set back and retired again signed until then); None if it had none such."""
        rows = self._query("SELECT signing_key, fingerprint, registered_at, retired_at, reason "
                           "FROM retired_signing_keys WHERE kiosk_id = $1 AND fingerprint = $2 "
                           "ORDER BY retired_at DESC LIMIT 1", (kiosk_id, fingerprint))
        return RetiredSigningKey(bytes(rows[0][0]), *rows[0][1:]) if rows else None

    def retired_signing_keys(self, kiosk_id: str) -> list[RetiredSigningKey]:
        """The kiosk's retired signing keys, the latest retired first."""
        return [RetiredSigningKey(bytes(row[0]), *row[1:]) for row in self._query(
            "SELECT signing_key, fingerprint, registered_at, retired_at, reason FROM "
            "retired_signing_keys WHERE kiosk_id = $1 ORDER BY retired_at DESC, seq DESC",
            (kiosk_id,))]

    # -- reading back ---------------------------------------------------------------------
    def entries(self, *, kiosk_id: str | None = None, limit: int | None = None
                ) -> list[dict[str, Any]]:
        """Stored entries (STORED_COLUMNS, ``extra`` as dict, ``payload`` bytes) by id."""
        sql = f"SELECT {', '.join(STORED_COLUMNS)} FROM entries"
        params = Params()
        if kiosk_id is not None:
            sql += f" WHERE kiosk_id = {params.add(kiosk_id)}"
        sql += " ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {params.add(limit)}"
        out = []
        for row in self._query(sql, params):
            entry = dict(zip(STORED_COLUMNS, row, strict=True))
            for name in _JSON_COLUMNS:  # SQLite keeps JSON text, PostgreSQL JSONB
                if isinstance(entry[name], str):
                    entry[name] = json.loads(entry[name])
            out.append(entry)
        return out

    def entry_count(self, kiosk_id: str | None = None) -> int:
        if kiosk_id is None:
            return self._query("SELECT count(*) FROM entries")[0][0]
        return self._query("SELECT count(*) FROM entries WHERE kiosk_id = $1", (kiosk_id,))[0][0]

    def newest_batch_received(self) -> str | None:
        """When the batch log's last upload was received (:mod:`received_mark`)."""
        rows = self._query("SELECT received_at FROM batches ORDER BY seq DESC LIMIT 1", ())
        return rows[0][0] if rows else None

    def newest_batch_received_by_kiosk(self) -> dict[str, str]:
        """When each kiosk's last upload was received, for those that sent one
        (:mod:`received_mark`: whose uploads a restored copy lacks). One look-up a kiosk in
        the batch log's ``(kiosk_id, seq)`` index."""
        rows = self._query("SELECT id, (SELECT received_at FROM batches WHERE batches.kiosk_id "
                           "= kiosks.id ORDER BY seq DESC LIMIT 1) FROM kiosks", ())
        return {kiosk: at for kiosk, at in rows if at is not None}

    def sent_again(self, kiosk_id: str, scanned_after: str, scanned_until: str,
                   received_after: str) -> bool:
        """Whether the kiosk sent, received after ``received_after``, an entry it scanned
        after ``scanned_after`` and by ``scanned_until`` (:mod:`received_mark`: scanned
        before the centre last heard it before a restore, so sent again). Read in the
        ``(checkpoint_id, scanned_at)`` index over those few hours at the kiosk's point, and
        on PostgreSQL only in the day partitions of ids made a day around them (an id is its
        scan's time on the same clock)."""
        day = dt.timedelta(days=1)
        return bool(self._query(
            "SELECT 1 FROM entries WHERE checkpoint_id = (SELECT checkpoint_id FROM kiosks "
            "WHERE id = $1) AND scanned_at > $2 AND scanned_at <= $3 AND kiosk_id = $1 "
            "AND received_at > $4 AND id >= $5 AND id < $6 LIMIT 1",
            (kiosk_id, scanned_after, scanned_until, received_after,
             id_prefix(max(parse_utc(scanned_after) - day, dt.datetime.fromtimestamp(0, dt.UTC))),
             id_prefix(parse_utc(scanned_until) + day))))

    def batches(self, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        """The batch log, oldest first: who sent what when, with the clock offset and counts."""
        sql = f"SELECT {', '.join(BATCH_COLUMNS)} FROM batches"
        params: tuple[Any, ...] = ()
        if kiosk_id is not None:
            sql += " WHERE kiosk_id = $1"
            params = (kiosk_id,)
        return [dict(zip(BATCH_COLUMNS, r, strict=True))
                for r in self._query(sql + " ORDER BY seq", params)]

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _compare(candidate: Candidate, stored: dict[str, Any] | None) -> dict[str, Any]:
    """duplicate if what is stored under this id is this entry, else a rejection."""
    if stored is not None and _same(candidate.row, stored):
        return {"id": candidate.id, "status": protocol.DUPLICATE}
    return {"id": candidate.id, "status": protocol.REJECTED,
            **protocol.Refusal("id_conflict", field="id").answer()}


def _same(row: tuple[Any, ...], stored: dict[str, Any]) -> bool:
    """Whether ``row`` is the entry stored (all but the identity, once that is erased, or
    once ``row``'s is: an entry of an erased period sent again, :func:`_without_identity`)."""
    erased = stored["subject_key"] == ERASED or row[_SUBJECT] == ERASED
    for name, value in zip(ENTRY_COLUMNS, row, strict=False):
        if erased and name in PERSONAL_COLUMNS:
            continue
        held = stored[name]
        if name == "match_key" and held == "":  # as a centre before "" became NULL held it
            held = None
        if name in _JSON_COLUMNS:
            value = json.loads(value) if value is not None else None
            held = json.loads(held) if isinstance(held, str | bytes) else held
        elif name == "payload":
            held = bytes(held)
        if value != held:
            return False
    return True


_ID_SKEW_NOTED = stays.ID_SLACK.total_seconds()
"""How far (seconds) an entry id's time may be from its ``scanned_at`` before the batch log
notes it (:func:`_id_skew`): within a day, tracing's id bounds cover it anyway."""
_IDS_NEAR: dict[str, tuple[str, str]] = {}


def _ids_near(scanned_at: str) -> tuple[str, str]:
    """The first 8 characters (65.536 s) of the lowest and highest ids within
    :data:`_ID_SKEW_NOTED` of the minute of ``scanned_at``: one comparison an entry, each
    minute's bounds computed once (~0.2 µs an entry, against ~0.9 for :func:`_id_skew`)."""
    minute = scanned_at[:16]
    if len(_IDS_NEAR) > 100_000:
        _IDS_NEAR.clear()
    at = dt.datetime.fromisoformat(minute).replace(tzinfo=dt.UTC).timestamp()
    low, high = (max(0, int(t * 1000)) >> 16 for t in (at - _ID_SKEW_NOTED,
                                                        at + 60 + _ID_SKEW_NOTED))
    near = _IDS_NEAR[minute] = (f"{low:08x}", f"{high:08x}")
    return near


def _id_skew(entry_id: str, scanned_at: str) -> float:
    """How far (seconds) the time in an entry's id is after its ``scanned_at`` (negative:
    before). Made by the same kiosk clock at the scan, the two are within a day
    (stays.ID_SLACK) — except that the ``uuid7`` of a kiosk older than
    ``kiosk.ids.BACK_STEP_MS`` kept making ids at the time its clock last read when the clock
    was set back while it ran (a clock that ran ahead, set right): those ids stay ahead until
    it restarts, while the scans' times and the batch's offset
    are right. PostgreSQL's traces bound their reads by ids, widened by the largest offset of
    the batch log: the batch records how far such ids are from the time they are filed by
    (``entry_offset_seconds``), or a trace missed every such scan."""
    at = protocol.parse_time(scanned_at)
    assert at is not None  # (a wire time, checked)
    return int(entry_id[:8] + entry_id[9:13], 16) / 1000 - at.timestamp()


_ERASED_AT = tuple((ENTRY_COLUMNS.index(name), value) for name, value in ERASED_VALUES.items())


def _without_identity(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """An entry row (ENTRY_COLUMNS) as the erasure leaves it (:data:`ERASED_VALUES`):
    when, where, which kiosk and way, the kind of code; nothing that says who."""
    values = list(row)
    for index, value in _ERASED_AT:
        values[index] = value
    return tuple(values)


def _filed_at(scanned_at: str, clock_offset: float | None) -> str:
    """The wire time a scan is filed by, as :meth:`Calendar.place` files it: ``scanned_at``
    corrected by the batch's clock offset only when that exceeds the tolerance."""
    if clock_offset is None or abs(clock_offset) <= CLOCK_TOLERANCE_SECONDS:
        return scanned_at
    return protocol.format_time(parse_utc(scanned_at) + dt.timedelta(seconds=clock_offset))


def _now() -> str:
    return protocol.format_time(dt.datetime.now(dt.UTC))
