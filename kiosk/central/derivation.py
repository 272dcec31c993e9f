"""What the centre derives from entries, computed after the acknowledgement in set-based steps.

Why: a batch is acknowledged once its entries, its counts and its batch log record are
committed. The tables derived from the entries' identities — the day sets and each day's
distinct people (:mod:`kiosk.central.people`), the document matches
(:mod:`kiosk.central.document_matches`), the stays, their tails and identities
(:mod:`kiosk.central.stays`) — cost as much again as the entries themselves when written one
batch at a time (docs/benchmarks.md, ingest). Here they are computed by :func:`catch_up`
for many batches at once: one statement for all their day-set pairs, tails read once for
people seen in several batches.

Which entries are still to derive: the ingest transaction adds one row to
``derive_queue`` holding the ids of the entries it stored (ids only: no personal data, and
nothing that outlives an entry — a queued id whose entry was purged or erased derives
nothing). A step removes rows with ``DELETE … RETURNING`` in the transaction that writes
what they derive, so a row is derived once, exactly when its step commits, whatever order
batches committed in (a sequence number or time watermark would skip a batch that took its
number first and committed last).

Who runs it: every reader of derived tables first (:func:`catch_up`: reports, tracing,
purge, erasure, a zone change), and ``kiosk-central serve`` in the background
(:class:`Background`), so that they stay fresh when nobody reads. One step at a time: an
advisory lock on PostgreSQL (several ``serve`` processes), the write lock on SQLite, and a
process's threads take turns before either (:func:`_turn`: waiting, they hold no connection
an upload needs). The steps that forget derived rows of entries going away (erasure's walk,
the purge of the default partition, freezing days) take the same lock (:func:`exclude`), so
no step derives from an entry read just before it went.

When a step fails: a failure that says the storage is busy or away
(:meth:`Storage._transient`) leaves the step to be tried again whole. Any other (a damaged
row, a constraint, a bug) would fail every time, and every reader derives first: the step
tries smaller parts, each in a savepoint, down to the entries that fail, derives the rest,
and moves those to ``derive_set_aside`` with the error (:func:`_derive_parts`). They stay
stored; ``kiosk-central derivation`` lists them and retries them (:func:`retry`), and every
report and trace says how many entries it could not count (:func:`for_reader`, which also
bounds a reader's wait behind a backlog to :data:`READER_SECONDS`, and leaves a failing step
it has no time left to isolate queued whole, for serve's background or a command).

What stays on the acknowledgement path: the per-checkpoint scan counts (``checkpoint_days``
but its ``people``, ``checkpoint_hours``, ``late_arrivals``). They are counts over entries
stored now, not idempotent, and must count a scan even when its entry is purged before a
step runs; a few rows a batch.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from kiosk.central import aggregates, document_matches, people, stays
from kiosk.central.placeholders import json_rows
from kiosk.central.storage_errors import StorageBusy
from kiosk.messages import WordedError, Words, both, failure_words

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

log = logging.getLogger("kiosk.central")
TABLE = "derive_queue"
SET_ASIDE = "derive_set_aside"
STEP_ENTRIES = 20_000
"""Entries one step derives at most (a batch larger is queued in parts, :func:`queue`): a
reader waits for a few steps, each a short transaction, never one unbounded transaction."""
LOCK_KEY = 0x6B696F736B + 3
"""PostgreSQL advisory lock: one step at a time (and none while :func:`exclude` holds it)."""
BACKGROUND_SECONDS = 1.0
"""How often ``serve`` runs a step when it found nothing to do."""
YIELD_SECONDS = 120.0
"""How long ``serve``'s background steps give way to uploads still arriving: while the
queue grows, a step waits until its oldest batch is this old. A burst of backlogs (the
network back at many kiosks, one kiosk's week offline) is then acknowledged at the rate of
the entries alone and derived after it; a reader never waits for this, it derives first.
Twice the 60 s a 1,000,000-entry backlog may take to push: with 30 s, the steps took the
SQLite centre's one writer from such a push after its 30th second and it took 1.4-1.7x as
long (docs/benchmarks.md, sync, fifth pass)."""
YIELD_ENTRIES = 2_000_000
"""Nor while more than this many entries wait: what a report, a purge or an erasure must
derive before it answers is bounded too (about 30 s of 50 kiosks on PostgreSQL at
60,000 entries/s, the bound that :data:`YIELD_SECONDS` set before; 25-30 s of catch-up)."""
READER_SECONDS = 3.0
"""How long a reader (a report, a trace) derives before it answers with what is derived,
saying how many entries it could not count yet: a daily report behind 300,000 pending
entries took 13.9 s (docs/benchmarks.md)."""
ISOLATE_SECONDS = 10.0
"""How long one step may spend retrying smaller parts of a failing step: parts still failing
then are set aside whole (a bug failing every entry would otherwise take two tries an entry,
the derivation lock held throughout); :func:`retry` splits them further another time."""
_READ = f"SELECT e.subject_key, {stays.SCAN} FROM entries e WHERE e.id {{among}} ORDER BY e.id"
"""The entries of a step, as :func:`derive` takes them: subject key, then the scan as
:mod:`kiosk.central.stays` reads it (match key, checkpoint, id, …, local day, …)."""
_SUBJECT, _MATCH, _CHECKPOINT = 0, 1, 2
_DAY, _KIND = (1 + [c.strip() for c in stays.SCAN.split(",")].index(column)
               for column in ("e.local_day", "e.kind"))
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'" r'|"(?:[^"\\]|\\.)*"')
"""A quoted value in an error's text: Python's repr (double quotes when the text holds an
apostrophe), PostgreSQL's literals and the values its messages quote."""
_NO_LIMIT = 2 ** 62
_TURNS: weakref.WeakKeyDictionary[Storage, threading.Lock] = weakref.WeakKeyDictionary()
_TURNS_GUARD = threading.Lock()
_CHARGES: weakref.WeakKeyDictionary[Storage, Callable[[str, float], None]] = (
    weakref.WeakKeyDictionary())


@dataclass(frozen=True)
class Backlog:
    """What a reader's answer does not count yet: entries acknowledged but not derived."""

    pending: int
    """Queued, still to derive (the reader stopped waiting after :data:`READER_SECONDS`)."""
    set_aside: int
    """Whose derivation failed: kept, listed and retried by ``kiosk-central derivation``."""

    def answer(self) -> dict[str, int]:
        """As reports and traces carry it (``not_derived``)."""
        return {"pending_entries": self.pending, "set_aside_entries": self.set_aside}


def queue(storage: Storage, tx: Any, ids: Sequence[str], kiosk_id: str | None) -> None:
    """In the ingest transaction ``tx``: note that the entries ``ids`` (stored now, from
    ``kiosk_id``) are to derive, a row per :data:`STEP_ENTRIES` of them, so that no step
    takes more (a backlog file imported with a large ``--batch-size`` is one batch: 200,000
    entries were one 23-second step, every reader waiting behind it)."""
    for start in range(0, len(ids), STEP_ENTRIES):
        chunk = ids[start:start + STEP_ENTRIES]
        storage._execute(tx, f"INSERT INTO {TABLE} (entries, entry_ids, kiosk_id) "
                             "VALUES ($1, $2, $3)", (len(chunk), json_rows(chunk), kiosk_id))


def exclude(storage: Storage, tx: Any) -> None:
    """In ``tx``, which forgets derived rows of entries going away: wait for a step running
    now and hold the next back until ``tx`` ends (SQLite: its write lock does)."""
    if storage.postgresql:
        storage._execute(tx, "SELECT pg_advisory_xact_lock($1)", (LOCK_KEY,))


def catch_up(storage: Storage, seconds: float | None = None) -> int:
    """Derive every entry acknowledged before this call (and perhaps some after), in steps
    of at most :data:`STEP_ENTRIES`, but none that failed (:func:`_derive_parts`); the
    number of entries read. ``seconds``: start no step after that long."""
    target = storage._query(f"SELECT max(seq) FROM {TABLE}")[0][0]
    deadline = None if seconds is None else time.monotonic() + seconds
    done = 0
    while target is not None:
        read = step(storage, target, deadline=deadline)
        if read is None:
            break
        done += read
        if deadline is not None and time.monotonic() >= deadline:
            break
    return done


def catch_up_day(storage: Storage, day: str) -> int:
    """Derive the batches queued before this call that hold entries filed under local
    ``day`` (their other entries too), in steps of at most :data:`STEP_ENTRIES`; the
    number of entries read. What a day's making needs (:func:`kiosk.central.reports
    .made_daily`): its people are its own entries'. At 06:00 under uploads the queue holds
    up to :data:`YIELD_SECONDS` of them (serve gives way meanwhile), nearly all of the new
    day: deriving them all took the making's catch-up 24-38 s on a province, its process
    taking the processor from serve's uploads meanwhile (docs/benchmarks.md), and those
    arriving meanwhile were said "not counted yet" in a file they are not of. Finding the
    day's costs a look-up a queued entry (0.9 s for 62,700)."""
    queued = {i: seq for seq, held in storage._query(f"SELECT seq, entry_ids FROM {TABLE}")
              for i in msgspec.json.decode(held)}
    if not queued:
        return 0
    among, param = _among(storage, list(queued))
    rows = sorted({queued[i] for (i,) in storage._query(
        f"SELECT id FROM entries WHERE id {among} AND local_day = $2", (param, day))})
    done = 0
    while rows and (read := step(storage, only=rows)) is not None:
        done += read
    return done


def for_reader(storage: Storage, seconds: float | None = READER_SECONDS,
               days: tuple[str, str] | None = None) -> Backlog:
    """Derive first, as a reader of derived tables must, for at most about ``seconds`` (a
    step started then ends; None: until all is derived); what is left, for the answer to
    say (``days``: as :func:`backlog`)."""
    catch_up(storage, seconds)
    return backlog(storage, days)


def backlog(storage: Storage, days: tuple[str, str] | None = None) -> Backlog:
    """Entries acknowledged and not derived: still queued (of any day: finding their days
    would cost a reader a look-up an entry), and set aside — filed under the local days
    ``days`` (first, last) only, if given: a report's own, which another day's entries do
    not make short."""
    pending, held = (storage._query(f"SELECT coalesce(sum(entries), 0) FROM {table}")[0][0]
                     for table in (TABLE, SET_ASIDE))
    if days is not None and held:
        held = sum(n for day, n in set_aside_days(storage).items() if days[0] <= day <= days[1])
    return Backlog(pending, held)


def set_aside_days(storage: Storage) -> Counter[str]:
    """The entries set aside that are still held, by the local day they are filed under:
    the days whose reports count fewer people than they will once they are retried."""
    ids = [i for (held,) in storage._query(f"SELECT entry_ids FROM {SET_ASIDE}")
           for i in msgspec.json.decode(held)]
    if not ids:
        return Counter()
    among, param = _among(storage, ids)
    return Counter(dict(storage._query(
        f"SELECT local_day, count(*) FROM entries WHERE id {among} GROUP BY local_day",
        (param,))))


def not_derived_of(storage: Storage, day: str) -> tuple[set[str], set[str]]:
    """The ids of the entries filed under local ``day`` acknowledged and not derived:
    (queued, set aside). For a made report counting again among the entries its making
    counted only (:func:`kiosk.central.reports.made_report`), those stored after it left
    out: :func:`backlog`'s queued entries of any day would count another day's."""
    held = []
    for table in (TABLE, SET_ASIDE):
        ids = [i for (part,) in storage._query(f"SELECT entry_ids FROM {table}")
               for i in msgspec.json.decode(part)]
        among, param = _among(storage, ids)
        held.append({i for (i,) in storage._query(
            f"SELECT id FROM entries WHERE id {among} AND local_day = $2", (param, day))}
            if ids else set())
    return held[0], held[1]


def set_aside(storage: Storage) -> list[dict[str, Any]]:
    """The parts set aside, oldest first: their kiosk, entries, first entry, error, when."""
    return [{"seq": seq, "kiosk_id": kiosk, "entries": entries,
             "first_entry": msgspec.json.decode(ids)[0], "error": error, "set_aside_at": at}
            for seq, kiosk, entries, ids, error, at in storage._query(
                f"SELECT seq, kiosk_id, entries, entry_ids, error, set_aside_at "
                f"FROM {SET_ASIDE} ORDER BY seq")]


def retry(storage: Storage) -> Backlog:
    """Queue every part set aside again (once the cause is mended: a bug fixed, a row
    repaired), derive, and say what is left (parts failing again are set aside again)."""
    with storage._transaction() as tx:
        exclude(storage, tx)
        storage._execute(tx, f"INSERT INTO {TABLE} (entries, entry_ids, kiosk_id) "
                             f"SELECT entries, entry_ids, kiosk_id FROM {SET_ASIDE} "
                             f"ORDER BY seq")
        storage._execute(tx, f"DELETE FROM {SET_ASIDE}")
    catch_up(storage)
    return backlog(storage)


def count_set_aside_people(storage: Storage, tx: Any, before: dt.date) -> None:
    """In ``tx``, just before :func:`people.freeze` freezes the days before ``before``:
    add the people of the entries set aside on those days to their day sets. A frozen day
    takes no pair, so a retry after could never count them, and once they were retried (or
    purged) nothing would say the day is short by them. Their stays and matches still wait
    for the retry. If counting them fails too, the day freezes without them (logged)."""
    ids = [i for (held,) in storage._execute(tx, f"SELECT entry_ids FROM {SET_ASIDE}")
           for i in msgspec.json.decode(held)]
    if not ids:
        return
    last = before.isoformat()
    rows = [r for r in _read(storage, tx, ids) if r[_DAY] is not None and r[_DAY] < last]
    storage._execute(tx, "SAVEPOINT set_aside_people")
    try:
        tally = aggregates.Tally()
        people.count_new(storage, tx, tally,
                         people.of(rows, _DAY, _SUBJECT, _MATCH, _CHECKPOINT, _KIND))
        aggregates.write(storage, tx, tally)
    except Exception as exc:
        if storage._transient(exc):
            raise
        storage._execute(tx, "ROLLBACK TO SAVEPOINT set_aside_people")
        log.error("%s", both("central.log.people_not_counted", entries=len(rows),
                             reason=_reason(exc)))
        log.debug("derivation: people not counted: %s", _described(exc))
    storage._execute(tx, "RELEASE SAVEPOINT set_aside_people")


def _turn(storage: Storage) -> threading.Lock:
    """This process's turn to step on ``storage``. Its threads wait for a step here, holding
    no connection: readers waiting on the advisory lock each held one of the pool's, so a
    few readers behind a backlog left uploads none (503) until they were all done."""
    with _TURNS_GUARD:
        turn = _TURNS.get(storage)
        if turn is None:
            turn = _TURNS[storage] = threading.Lock()
        return turn


def charge_to(storage: Storage, charge: Callable[[str, float], None]) -> None:
    """Charge the processor time of each step this process runs on ``storage`` to the
    kiosks whose entries it derived, in proportion to their entries, but the tries that
    failed, which go to the kiosks whose entries failed (``charge``:
    :meth:`kiosk.central.shares.CpuShares.charge`). Derivation is about half the work an
    entry costs; uncharged, a kiosk's batches cost the centre twice what its share counted.
    Within a step, entries are charged alike: one kiosk's costlier entries (old scans that
    rebuild stays) are shared with the others' in that step."""
    _CHARGES[storage] = charge


def step(storage: Storage, through: int | None = None, *, wait: bool = True,
         deadline: float | None = None, only: Sequence[int] | None = None) -> int | None:
    """One step: derive the oldest queued batches (those numbered ``through`` or less; or
    among the rows numbered ``only``, those still queued),
    together at most :data:`STEP_ENTRIES` entries, at least one queued row; the number of entries
    read, None if there was nothing to do (or, without ``wait``, another process's step was
    running, or this process's still was after :data:`BACKGROUND_SECONDS`; or, until
    ``deadline`` on the monotonic clock, another step still was)."""
    turn = _turn(storage)
    if wait:
        timeout = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
    else:
        # serve's background takes its turn among this process's readers (waiting, it holds
        # no connection): asked without waiting, the turn was never free behind readers
        # one after another, each leaving a failing step queued whole once out of time, so
        # nothing isolated that step and every reader answered "not counted yet" for ever
        timeout = BACKGROUND_SECONDS
    if not turn.acquire(timeout=timeout):
        return None
    started = time.thread_time()
    try:
        done = _step(storage, through, wait=wait, deadline=deadline, only=only)
    except _OutOfTime:  # rolled back: the step stays queued, whole, for one with time
        done = None
    finally:
        turn.release()
    if done is None:
        return None
    kiosks, spent = done
    read = sum(kiosks.values())
    charge = _CHARGES.get(storage)
    if charge is not None and read:
        rest = max(0.0, time.thread_time() - started - sum(spent.values()))
        for kiosk, entries in kiosks.items():
            if kiosk is not None:  # queued before schema v22 named kiosks
                charge(kiosk, spent[kiosk] + rest * entries / read)
    return read


def _step(storage: Storage, through: int | None, *, wait: bool, deadline: float | None,
          only: Sequence[int] | None = None
          ) -> tuple[Counter[str | None], Counter[str | None]] | None:
    """:func:`step`, this process's turn taken; the entries read of each kiosk, and the
    processor time its parts took (:func:`_derive_parts`)."""
    with storage._transaction() as tx:
        if storage.postgresql and (not wait or deadline is not None):
            # a reader with a deadline waits for another process's step until then only
            # (the lock's wait ended at lock_timeout, 10 s, in an error: a 503 for a page)
            while not storage._execute(tx, "SELECT pg_try_advisory_xact_lock($1)",
                                       (LOCK_KEY,)).fetchone()[0]:
                if deadline is None or time.monotonic() >= deadline:
                    return None
                time.sleep(0.05)
        elif storage.postgresql:
            # without a deadline, for as long as it takes: the lock_timeout error left no
            # 06:00 report behind a step isolating failing entries for ISOLATE_SECONDS
            storage._execute(tx, "SET LOCAL lock_timeout = 0")
            exclude(storage, tx)
            storage._execute(tx, "SELECT set_config('lock_timeout', $1, true)",
                             (f"{int(storage.busy_timeout * 1000)}ms",))
        else:
            exclude(storage, tx)
        storage.zone_in(tx)  # derived by the zone the entries are filed in now
        if only is None:
            which, param = "seq <= $1", through if through is not None else _NO_LIMIT
        else:
            which, param = _rows(storage, only)
        taken: list[int] = []
        total = 0
        for seq, entries in storage._execute(
                tx, f"SELECT seq, entries FROM {TABLE} WHERE {which} ORDER BY seq LIMIT 1000",
                (param,)):
            if taken and total + entries > STEP_ENTRIES:
                break
            taken.append(seq)
            total += entries
        if not taken:
            return None
        # every row numbered up to the last one taken: one that took its number earlier and
        # committed since is visible now, and so are its entries (of rows ``only``: those)
        which, param = ("seq <= $1", taken[-1]) if only is None else _rows(storage, taken)
        ids = [(i, kiosk) for held, kiosk in storage._execute(
            tx, f"DELETE FROM {TABLE} WHERE {which} RETURNING entry_ids, kiosk_id", (param,))
            for i in msgspec.json.decode(held)]
        spent: Counter[str | None] = Counter()
        failed = _derive_parts(storage, tx, ids, time.monotonic() + ISOLATE_SECONDS, spent,
                               deadline)
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for part, error in failed:
            for kiosk in dict.fromkeys(k for _, k in part):
                mine, described = [i for i, k in part if k == kiosk], _described(error)
                log.error("%s", both("central.log.set_aside", entries=len(mine), kiosk=kiosk,
                                     first=mine[0], reason=_reason(error)))
                log.debug("derivation: set aside: %s", described)
                storage._execute(tx, f"INSERT INTO {SET_ASIDE} (kiosk_id, entries, entry_ids, "
                                     "error, set_aside_at) VALUES ($1, $2, $3, $4, $5)",
                                 (kiosk, len(mine), json_rows(mine), described, at))
        return Counter(kiosk for _, kiosk in ids), spent


class _OutOfTime(Exception):
    """A reader's deadline passed while its step was isolating failing entries."""


def _derive_parts(storage: Storage, tx: Any, ids: list[tuple[str, str | None]],
                  deadline: float, spent: Counter[str | None], answer_by: float | None = None
                  ) -> list[tuple[list[tuple[str, str | None]], Exception]]:
    """Derive the entries ``ids`` ((id, kiosk) in id order) in a savepoint; if that fails
    for a reason other than busy or absent storage, the entries of each half of its kiosks
    the same way, down to one kiosk's, then each half, down to single entries (until
    ``deadline``: then the part whole, never with another kiosk's entries: a kiosk sending
    many failing entries runs it out). The parts that failed, each with its error;
    everything else is derived. ``spent``: each kiosk's processor time, the time of a
    failed try going to the kiosks whose entries failed in it (a kiosk sending entries that
    fail pays for finding them, not the kiosks that shared its step). ``answer_by``: a
    reader's deadline, past which isolating stops with :class:`_OutOfTime` (the step rolled
    back and left queued for serve's background or a command, which wait): a dashboard
    page waited ISOLATE_SECONDS behind it, and cutting the isolation short instead would
    set good entries aside with the failing ones."""
    started = time.thread_time()
    storage._execute(tx, "SAVEPOINT derive_part")
    try:
        derive(storage, tx, _read(storage, tx, [i for i, _ in ids]))
    except Exception as exc:
        if storage._transient(exc):
            raise
        storage._execute(tx, "ROLLBACK TO SAVEPOINT derive_part")
        storage._execute(tx, "RELEASE SAVEPOINT derive_part")
        if answer_by is not None and time.monotonic() >= answer_by:
            raise _OutOfTime from exc
        tried = time.thread_time() - started
        kiosks = list(dict.fromkeys(kiosk for _, kiosk in ids))
        if len(kiosks) > 1:  # whatever the time: one kiosk's entries never set another's aside
            first = set(kiosks[:len(kiosks) // 2])
            parts = [[x for x in ids if x[1] in first], [x for x in ids if x[1] not in first]]
        elif len(ids) == 1 or time.monotonic() >= deadline:
            parts = []
        else:
            parts = [ids[:len(ids) // 2], ids[len(ids) // 2:]]
        failed = [f for part in parts
                  for f in _derive_parts(storage, tx, part, deadline, spent, answer_by)]
        failed = failed if parts else [(ids, exc)]
        _share(spent, tried, [x for part, _ in failed for x in part] or ids)
        return failed
    storage._execute(tx, "RELEASE SAVEPOINT derive_part")
    _share(spent, time.thread_time() - started, ids)
    return []


def _share(spent: Counter[str | None], seconds: float, ids: list[tuple[str, str | None]]
           ) -> None:
    """Add ``seconds`` to ``spent``, shared among the kiosks of ``ids`` by their entries."""
    for kiosk, entries in Counter(kiosk for _, kiosk in ids).items():
        spent[kiosk] += seconds * entries / len(ids)


def _reason(exc: Exception) -> Words | str:
    """Why a part was set aside, for a log line shown without ``-v``: the database's or the
    system's failure in words of the catalogue (:func:`kiosk.messages.failure_words`); any
    other exception is a fault of the program, said by :func:`_described`."""
    if isinstance(exc, WordedError | OSError | sqlite3.Error) or (
            type(exc).__module__.split(".")[0] == "psycopg"):
        return failure_words(exc)
    return _described(exc)


def _described(exc: Exception) -> str:
    """The error as kept with a part set aside and logged: its kind and first line, every
    quoted value in it replaced by ``'…'``. The row's text it may quote (a name, an
    address; PostgreSQL's next lines quote the row a COPY was writing) would outlive the
    erasure of that entry's identity there, and reach whoever reads the server's log."""
    line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {_QUOTED.sub(lambda m: m[0][0] + '…' + m[0][0], line)}"[:500]


def _read(storage: Storage, tx: Any, ids: list[str]) -> list[Sequence[Any]]:
    """The entries held of ``ids``, as :func:`derive` takes them (purged ones are no longer
    there: they derive nothing)."""
    among, param = _among(storage, ids)
    return storage._execute(tx, _READ.format(among=among), (param,)).fetchall()


def _among(storage: Storage, ids: list[str]) -> tuple[str, str]:
    """``id {among}`` over the entries ``ids``, and its parameter ``$1``: on PostgreSQL the
    partitions of the ids' days only (pruned by the array's ids)."""
    if storage.postgresql:
        return "= ANY($1::text[])", "{" + ",".join(ids) + "}"
    return "IN (SELECT value FROM json_each($1))", json_rows(ids)


def _rows(storage: Storage, seqs: Sequence[int]) -> tuple[str, str]:
    """``{which}`` over the queue's rows numbered ``seqs``, and its parameter ``$1``."""
    if storage.postgresql:
        return "seq = ANY($1::bigint[])", "{" + ",".join(map(str, seqs)) + "}"
    return "seq IN (SELECT value FROM json_each($1))", json_rows(list(seqs))


def derive(storage: Storage, tx: Any, rows: Sequence[Sequence[Any]]) -> None:
    """In ``tx``: add entries held (read as :data:`_READ` reads them, in id order) to every
    derived table. The aggregates' people go last: their rows are the ones uploads also
    write, so the step holds them only for its commit."""
    document_matches.keep(storage, tx, ((r[_SUBJECT], r[_DAY], r[_MATCH]) for r in rows))
    stays.keep(storage, tx, (r[1:] for r in rows if r[_MATCH]))
    tally = aggregates.Tally()
    people.count_new(storage, tx, tally,
                     people.of(rows, _DAY, _SUBJECT, _MATCH, _CHECKPOINT, _KIND))
    aggregates.write(storage, tx, tally)


class Background(threading.Thread):
    """``serve``'s own steps, so that derived tables stay fresh when nobody reads them: a
    step whenever the last one found work, else one a :data:`BACKGROUND_SECONDS`, except
    while uploads arrive, the oldest queued batch is younger than :data:`YIELD_SECONDS` and
    no more than :data:`YIELD_ENTRIES` wait (a bounded deferral: a steady stream of uploads
    is derived at most that far behind). A step another process is running is skipped, not
    waited for; one that finds storage busy (a writer holding it past ``busy_timeout``) is
    put off, said in one log line."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(name="derivation", daemon=True)
        self.storage = storage
        self.stopping = threading.Event()
        self._seen: deque[tuple[int, float]] = deque()
        """(the queue's newest row, when it was first seen) at each look that found it
        grown: when the oldest row still queued was first seen, without a clock column."""
        self._batch: int | None = None
        """The batch log's newest row at the last look."""

    def giving_way(self) -> bool:
        """Whether uploads are arriving (the queue or the batch log grew since the last
        look: a batch answered all ``duplicate``, a kiosk resending what it was not
        acknowledged, queues nothing) while the queue's oldest row has been queued for less
        than :data:`YIELD_SECONDS` and it holds no more than :data:`YIELD_ENTRIES` entries.
        Without the batch log, steps took the SQLite centre's one writer between a resend's
        batches: one right after a push was answered 3-5x slower (docs/benchmarks.md)."""
        oldest, newest, entries, batch = self.storage._query(
            f"SELECT min(seq), max(seq), sum(entries), (SELECT max(seq) FROM batches) "
            f"FROM {TABLE}")[0]
        now, seen = time.monotonic(), self._seen
        sent, self._batch = batch != self._batch, batch
        if newest is None:
            seen.clear()
            return False
        grew = not seen or newest > seen[-1][0]
        if grew:
            seen.append((newest, now))
        while seen[0][0] < oldest:
            seen.popleft()
        return ((grew or sent) and now - seen[0][1] < YIELD_SECONDS
                and entries <= YIELD_ENTRIES)

    def run(self) -> None:
        busy_since: float | None = None
        while not self.stopping.is_set():
            try:
                found = None if self.giving_way() else step(self.storage, wait=False)
            except StorageBusy as exc:
                # expected (an import, a purge or a long report writing past busy_timeout):
                # one line when it starts, none while it lasts, no traceback
                if busy_since is None:
                    busy_since = time.monotonic()
                    log.warning("%s", both("central.log.derivation_put_off", reason=exc.words,
                                           seconds=BACKGROUND_SECONDS))
                    if exc.__cause__ is not None:  # its own English: --log-level debug
                        cause = (str(exc.__cause__).strip().splitlines() or [""])[0]
                        log.debug("derivation put off: %s", cause)
                found = None
            except Exception:  # a bug, a damaged file: with its traceback, tried again later
                log.exception("%s", both("central.log.derivation_failed",
                                         seconds=BACKGROUND_SECONDS))
                found = None
            else:
                if busy_since is not None:
                    log.warning("%s", both("central.log.derivation_resumed",
                                           seconds=f"{time.monotonic() - busy_since:.0f}"))
                    busy_since = None
            if found is None:
                self.stopping.wait(BACKGROUND_SECONDS)

    def stop(self) -> None:
        self.stopping.set()
        self.join()
