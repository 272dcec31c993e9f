"""Moves the store's pending entries to the centre: batches on the wire, answers into the store.

One :meth:`Uploader.drain` at a time (the caller holds the scheduler's turn). Three stages
overlap: the next batch is read and encoded (thread ``sync-prepare``), up to
:data:`SEND_WINDOW` batches are on the wire (threads ``sync-send``, one connection each, so
the centre parses one while it commits another), and each answer is written in one
transaction (thread ``sync-acknowledge``).

Ownership: the learned limits (:class:`Limits`), the encoding, the entries held back
(:class:`Hold`) and a drain's tentative holds (:class:`Run`), the pools and the pending
acknowledgement belong to the draining thread; the centre's features it sends
(:attr:`Uploader.health`, :attr:`Uploader.send_clock`) to its owner (the worker sets them,
and unsets them when told :attr:`Uploader.features_stale`), under the same turn. The pool
threads get what they need as arguments (a copy of the hold times, the Last error that
follows an answer clearing one said of a held entry) and share nothing else but the store
(its own lock), the status board (its own lock) and the device statuses (the supervisor's
lock). Nothing is marked before the answer arrived, and the centre is idempotent on entry
ids, so a crash at any moment costs at most the batches on the wire sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import methodcaller
from typing import Any

from kiosk import messages
from kiosk.ids import uuid7
from kiosk.store import Store, StoreError
from kiosk.sync import protocol
from kiosk.sync.client import (
    BatchAnswer,
    Refused,
    ServerBusy,
    SyncClient,
    SyncError,
    TooLarge,
    Unreachable,
    centre_coded,
)
from kiosk.sync.status import (
    ANSWER_KEYS,
    FAILURE_KEYS,
    MetaKey,
    StatusBoard,
    SyncState,
    past_retention_added,
)

log = logging.getLogger(__name__)

SEND_WINDOW = 2
"""Batches on the wire at once."""


class Yield(Exception):
    """The drain steps aside (for an operator's push, or because the kiosk stops)."""


class EverySizeRefused(Refused):
    """413 to single entries the protocol allows, and not the centre's own refusal (a
    proxy's page, an answer without the centre's code), :data:`SLOW_IN_A_ROW` in a row with
    nothing stored since: something between the kiosk and the centre refuses every request
    size. None is quarantined (the centre refused none); a Refused, so a push gives up at
    once and the worker retries rarely; its words are the operator's alert."""

    def __init__(self, size: int, reason: object) -> None:
        super().__init__("sync.every_size_refused", 413, size=size, reason=reason)


REGROW_AFTER = 4
"""Batches accepted in a row after which entries halved by a centre too slow double
again, up to what they were: the lock or load that caused it passes, and a backlog sent a
few entries at a time would take a request per entry; a centre still too slow costs one
more timeout per that many batches."""

HOLD_BACK_SECONDS = 60.0
"""How long a lone entry the centre did not store in time, or that a proxy refused as too
large (while the centre stored the batch beside it), waits before it is sent again, alone,
the rest of the backlog going on meanwhile; doubled each time it is not stored again, up to
:data:`HOLD_BACK_MAX_SECONDS`."""
HOLD_BACK_MAX_SECONDS = 3600.0
SLOW_IN_A_ROW = 3
"""Lone entries too slow in a row (or refused as too large, not by the centre), with no batch
stored since, that make the centre the slow one (or the way to it refuse every size): the
holds since the last batch stored are released and the drain raises the failure (the worker
backs off). Fewer (two slow entries side by side: one traveller scanned twice) are held
back while the backlog behind them goes on."""


@dataclass
class Hold:
    """An entry held back: left out of batches until ``until`` (:attr:`Uploader.clock`), then
    sent alone."""

    until: float
    times: int
    """How often it was held for a centre that stored other entries: held
    ``hold_back_seconds × 2 ** (times − 1)``."""
    said: tuple[str, float] | None = None
    """The Last error published for it (saved Words, epoch seconds), said again when the
    Last error about another held entry is cleared; None while the hold is tentative
    (nothing stored since it, in its drain)."""


@dataclass
class Run:
    """One drain's view of the holds (the draining thread's)."""

    stored: bool = False
    """Whether the centre stored a batch in this drain: then it is not slow for all."""
    tentative: dict[str, SyncError] = field(default_factory=dict)
    """Entries too slow alone (or refused as too large, not by the centre) since the last
    batch stored (why, in order): held back, said once a batch is stored after them (or
    before them, when the drain ends)."""
    reheld: dict[str, SyncError] = field(default_factory=dict)
    """Entries held before, too slow alone again in this drain (why): held as long as
    before; for twice as long once a batch is stored in this drain (the entry, not the
    centre, is slow), not when the drain ends with the centre slow for all."""
    smallest_refused: int | None = None
    """The bytes of the smallest request answered 413 in this drain."""


@dataclass(frozen=True)
class Limits:
    """How big a batch may be; halved on each 413 and kept, until no size gets through
    (:class:`EverySizeRefused`: the configured limits again, for the worker's next try). A
    statement timeout at the centre, or no answer within the read timeout from a centre
    that still answers its health check, sets the entries to half the batch it was too slow
    for (half the entries allowed, if the backlog ran out before a limit cut that batch),
    until batches go through again (:data:`REGROW_AFTER`)."""

    entries: int
    bytes: int


@dataclass(frozen=True)
class Batch:
    after: str
    """The id this batch was read after (to rebuild it smaller)."""
    ids: list[str]
    body: bytes
    encoding: str
    cut: bool
    """Whether a limit (its entries or its bytes) cut it, rather than the backlog running
    out: only then does its size say how much the centre can store in time."""


@dataclass
class Tally:
    """What one push (or background drain) achieved so far; touched by the draining thread."""

    accepted: int = 0
    duplicate: int = 0
    past_retention: int = 0
    """Done, yet not at the centre: older than its retention cut (:class:`BatchAnswer`)."""
    retention_cut: str | None = None
    rejected: int = 0
    filed_at_arrival: int = 0
    """Of ``accepted``, filed at their arrival (:attr:`BatchAnswer.filed_at_arrival`)."""
    batches: int = 0
    started: float = field(default_factory=time.monotonic)
    alone: set[str] = field(default_factory=set)
    """Entries held back that this push (or drain) sent alone and that were too slow: not
    sent again before it ends, whichever of its attempts."""
    due: set[str] = field(default_factory=set)
    """Entries held back that this push sends alone once more, their hold time not come
    (the operator retries on purpose): the push's, not the holds', so a push that fails
    before it stored them or held them again leaves their holds as they were."""

    @property
    def done(self) -> int:
        return self.accepted + self.duplicate + self.past_retention + self.rejected

    def add(self, answer: BatchAnswer) -> None:
        self.accepted += answer.accepted
        self.duplicate += answer.duplicate
        self.past_retention += len(answer.past_retention)
        self.retention_cut = max(filter(None, (self.retention_cut, answer.retention_cut)),
                                 default=None)
        self.rejected += len(answer.rejected)
        self.filed_at_arrival += answer.filed_at_arrival
        self.batches += 1


def read_pending(store: Store, limit: int, after: str, kiosk_id: str) -> list[dict[str, Any]]:
    """``kiosk_id``'s pending entries after ``after``: a batch holding another kiosk's is
    refused whole (403), so they would hold back every later one (:meth:`Store.pending`)."""
    with store.lock:  # never read another thread's uncommitted insert
        return store.pending(limit, after, kiosk_id)


def _sendable(rows: list[dict[str, Any]], held: dict[str, float],
              clock: Callable[[], float]) -> list[dict[str, Any]]:
    """``rows`` without the entries held back whose time has not come (on ``clock``); one
    whose time has come goes alone (the rows before it go first), or its slowness holds
    back a batch."""
    if not held:
        return rows
    now = clock()
    kept: list[dict[str, Any]] = []
    for row in rows:
        until = held.get(row["id"])
        if until is None:
            kept.append(row)
        elif until <= now:
            return kept or [row]
    return kept


def pending_rows(store: Store, kiosk_id: str, chunk: int = 1000) -> Iterator[dict[str, Any]]:
    """Every pending entry of ``kiosk_id``, oldest first, read ``chunk`` at a time."""
    after = ""
    while rows := read_pending(store, chunk, after, kiosk_id):
        yield from rows
        after = rows[-1]["id"]


def _refuses_send_clock(failure: BaseException) -> bool:
    """Whether ``failure`` is a 422 naming a member of the ``send-clock`` feature, as a
    centre without it refuses them (by code and field, or, from a centre that sends no
    code, in its text)."""
    if not isinstance(failure, Refused) or failure.status != 422:
        return False
    error = failure.words.params.get("error")
    if isinstance(error, messages.Words):
        return error.params.get("field") in protocol.SEND_CLOCK_FIELDS
    return isinstance(error, str) and any(name in error for name in protocol.SEND_CLOCK_FIELDS)


class Uploader:
    def __init__(self, store: Store, client: SyncClient, board: StatusBoard, *,
                 kiosk_id: str, batch_size: int, batch_max_bytes: int,
                 encoding: str | None, paused: Callable[[], bool],
                 hold_back_seconds: float = HOLD_BACK_SECONDS,
                 features_stale: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.client = client
        self.board = board
        self.kiosk_id = kiosk_id
        self.limits = self._configured = Limits(batch_size, batch_max_bytes)
        self.encoding = encoding
        self.paused = paused
        """Whether an auth alert stands (an answer then does not clear it)."""
        self.health: Callable[[dt.datetime], dict[str, Any]] | None = None
        """Builds the kiosk's health report that goes with every batch, as of the batch's
        ``sent_at`` (the moment the centre takes its refused hours' window at); None for a
        centre that does not list the feature (it would refuse the member)."""
        self.send_clock = False
        """Whether batches carry this boot's monotonic clock at sending (the centre lists
        the ``send-clock`` feature; an older one would refuse the members), so that the
        centre times this boot's entries by their age, not by the wall clock."""
        self.send_suspended = False
        """Whether they also carry how long the boot has been suspended (the centre lists
        the ``send-suspended`` feature), so that the centre can tell a night the kiosk slept
        through between a scan and its send from its wall clock set forward."""
        self.features_stale = features_stale
        """Called when the centre refused a member it had listed (``send-clock``: the
        centre was rolled back): its owner, who sets :attr:`health` and :attr:`send_clock`,
        unsets them and asks the centre again. None for an uploader whose owner sets
        neither (a refusal is then raised as any other)."""
        self._pools: tuple[ThreadPoolExecutor, ThreadPoolExecutor,
                           ThreadPoolExecutor] | None = None
        self._acknowledging: Future[None] | None = None
        self._regrow: tuple[int, int] | None = None
        """(entries before a centre too slow halved them, batches accepted since)."""
        self.hold_back_seconds = hold_back_seconds
        self.clock = clock
        """Seconds on a monotonic clock, which the holds' times are on (read by the
        draining and the preparing threads)."""
        self._held: dict[str, Hold] = {}
        """Entries the centre did not store in time alone. In memory only: after a restart
        such an entry is sent in its turn once more, and held back again."""

    def close(self) -> None:
        for pool in self._pools or ():
            pool.shutdown(wait=True)

    def held_back(self) -> list[str]:
        """The entries held back now, oldest first."""
        return sorted(self._held)

    def drain(self, tally: Tally, progress: Callable[[], None] | None,
              must_yield: Callable[[], bool], *, held_too: bool = False) -> None:
        """Send batches until nothing is pending but entries held back; raises the first
        SyncError, or Yield when ``must_yield()`` turns true before a batch. ``held_too``
        (a push: the operator retries on purpose): then each entry held back, and not tried
        in this push, is sent alone once more. The holds of entries stored by another path
        meanwhile are dropped as it starts and ends; it ends with the counts recounted."""
        if self._pools is None:
            self._pools = (ThreadPoolExecutor(1, thread_name_prefix="sync-prepare"),
                           ThreadPoolExecutor(SEND_WINDOW, thread_name_prefix="sync-send"),
                           ThreadPoolExecutor(1, thread_name_prefix="sync-acknowledge"))
        run = Run()
        self._forget_stored()
        whole = False
        try:
            try:
                self._stream(tally, progress, must_yield, run)
                if held_too:
                    tally.due = set(self._held) - tally.alone
                    if tally.due:
                        self._stream(tally, progress, must_yield, run)
            except BaseException:
                self._settle(run)
                raise
            if (slow := self._settle(run)) is not None:
                raise self._for_all(slow, run)
            whole = True
        finally:
            try:
                self._flush_acknowledgements()
            finally:
                self._forget_stored()
                outbox = self.store.outbox_summary()
                # what is still pending after a whole upload is held back, recorded since,
                # or another kiosk id's: counted only then, so ~never with nothing left
                elsewhere = None if not whole else tuple(
                    self.store.pending_elsewhere(self.kiosk_id).items()
                    if outbox.pending else ())
                self.board.update(lambda s: s.settled(outbox, elsewhere))

    def _stream(self, tally: Tally, progress: Callable[[], None] | None,
                must_yield: Callable[[], bool], run: Run) -> None:
        after: str | None = ""
        while after is not None:
            after = self._pump(after, tally, progress, must_yield, run)

    def _pump(self, after: str, tally: Tally, progress: Callable[[], None] | None,
              must_yield: Callable[[], bool], run: Run) -> str | None:
        """Stream batches from ``after``; None when drained, or the id to restart after
        (the batch was refused as too large, or in an encoding the centre lacks)."""
        assert self._pools is not None
        prepare, send, _ = self._pools
        encoding, health = self.encoding, self.health
        clock = self.send_clock, self.send_suspended
        upcoming: Future[Batch | None] = prepare.submit(self._build, after, self.limits,
                                                        encoding, health, clock,
                                                        self._holds(tally))
        flying: deque[tuple[Batch, Future[BatchAnswer]]] = deque()
        failure: BaseException | None = None
        failed: Batch | None = None
        try:
            while True:
                while failure is None and len(flying) < SEND_WINDOW:
                    batch = upcoming.result()
                    if batch is None:
                        break
                    if must_yield():
                        failure = Yield()
                        break
                    upcoming = prepare.submit(self._build, batch.ids[-1], self.limits,
                                              encoding, health, clock, self._holds(tally))
                    self.board.update(methodcaller("sending", len(batch.ids)))
                    flying.append((batch, send.submit(
                        self.client.post_batch, batch.body, batch.encoding, batch.ids)))
                if not flying:
                    break
                batch, sending = flying.popleft()
                try:
                    answer = sending.result()
                except SyncError as exc:  # later batches may still succeed: record them
                    self.board.update(methodcaller("unsent", len(batch.ids)))
                    if isinstance(exc, TooLarge):
                        run.smallest_refused = min(run.smallest_refused or len(batch.body),
                                                   len(batch.body))
                    if failure is None and len(batch.ids) == 1 and \
                            (why := self._not_stored_alone(exc, batch)) is not None:
                        failure = self._held_alone(batch.ids[0], why, run, tally)
                    elif failure is None:
                        failure, failed = exc, batch
                    continue
                tally.add(answer)
                run.stored = True
                self._confirm(run)
                for entry in batch.ids:
                    self._held.pop(entry, None)
                if answer.rejected:
                    example = next(iter(answer.rejected.values()))
                    log.warning("%s", messages.both(
                        "sync.log.rejected", count=len(answer.rejected),
                        example=(example.code and messages.refusal(example.code, example.params))
                        or example))
                if answer.past_retention:  # acknowledged, yet the centre holds none of them
                    log.warning("%s", messages.both(
                        "sync.log.past_retention", count=len(answer.past_retention),
                        cutoff=answer.retention_cut or messages.Words("sync.log.not_said")))
                self._queue_acknowledgement(answer, self._next_said())
                self._regrown()
                if progress:
                    progress()
        finally:
            upcoming.cancel()
        if failure is None:
            return None
        if isinstance(failure, TooLarge) and failed is not None:
            self._flush_acknowledgements()
            self._shrink(failed, failure, tally)
            return failed.after
        if isinstance(failure, Refused) and failure.status == 415 and encoding != "gzip" \
                and failed is not None:
            self._flush_acknowledgements()
            self.encoding = "gzip"  # an older centre without zstd
            return failed.after
        if clock[0] and failed is not None and self.features_stale is not None \
                and _refuses_send_clock(failure):
            # a centre rolled back to a release without the feature: the same batch at
            # once without the members its owner no longer lists, and the features asked
            # again
            log.warning("%s", messages.both("sync.log.send_clock_dropped", reason=failure))
            self._flush_acknowledgements()
            self.features_stale()
            return failed.after
        if isinstance(failure, ServerBusy) and failure.canceled and failed is not None:
            self._slower(failed, messages.Words("sync.log.statement_timeout"))
        if failed is not None and len(failed.ids) > 1 and (slow := self._too_slow(
                failure, "sync.too_slow", sent=len(failed.ids),
                entries=self._halved(failed))) is not None:
            self._slower(failed, messages.Words("sync.log.no_answer"))
            raise slow
        raise self._for_all(failure, run)

    def _build(self, after: str, limits: Limits, encoding: str | None,
               health: Callable[[dt.datetime], dict[str, Any]] | None,
               clock: tuple[bool, bool],
               held: dict[str, float]) -> Batch | None:
        """Read the next pending rows after ``after`` and encode them within the limits,
        with the kiosk's health report and monotonic clock (and suspended time: ``clock``,
        :attr:`send_clock` and :attr:`send_suspended`) when the centre takes them;
        entries ``held`` back (id → when they may go again) are left out until their time,
        then sent alone."""
        while True:
            read = read_pending(self.store, limits.entries, after, self.kiosk_id)
            if not read:
                return None
            rows = _sendable(read, held, self.clock)
            wire: list[dict[str, Any]] = []
            broken: dict[str, messages.Words | str] = {}
            for row in rows:
                try:
                    wire.append(protocol.entry_to_wire(row))
                except (ValueError, TypeError, KeyError) as exc:
                    broken[row["id"]] = messages.Words(
                        "sync.unencodable", {"detail": f"{type(exc).__name__}: {exc}"})
            if broken:
                log.error("%s", messages.both("sync.log.unencodable", count=len(broken)))
                self.store.mark_synced([], broken)
            if wire:
                break
            after = (rows or read)[-1]["id"]  # not past an entry held back whose time came
        sent_at = dt.datetime.now(dt.UTC)
        report = health(sent_at) if health is not None else None
        cut = len(rows) == limits.entries
        while True:
            body, used = protocol.encode_body(
                protocol.make_batch(self.kiosk_id, uuid7(), wire, sent_at, health=report,
                                    send_clock=clock[0], send_suspended=clock[1]),
                encoding)
            if len(body) <= limits.bytes or len(wire) == 1:
                return Batch(after, [e["id"] for e in wire], body, used, cut)
            keep = max(1, min(len(wire) // 2, int(len(wire) * limits.bytes / len(body))))
            wire = wire[:keep]
            cut = True

    def _shrink(self, batch: Batch, exc: TooLarge, tally: Tally) -> None:
        """413: halve the limits; a lone entry too large for the centre itself
        (:meth:`_too_large_for_centre`) is quarantined."""
        if len(batch.ids) == 1:
            reason = messages.Words("sync.too_large", {"detail": messages.Words(
                "sync.size_reason", {"size": len(batch.body), "reason": exc.words})})
            self.store.mark_synced([], {batch.ids[0]: reason})
            tally.rejected += 1
            return
        self.limits = Limits(max(1, len(batch.ids) // 2), max(1, len(batch.body) // 2))
        self._regrow = None  # what the centre refused as too large stays the limit
        log.warning("%s", messages.both("sync.log.too_large", entries=self.limits.entries,
                                        bytes=self.limits.bytes))

    def _slower(self, batch: Batch, why: messages.Words) -> None:
        """The centre was too slow storing ``batch``: a 503 saying its database ran past its
        statement timeout, or no answer within the kiosk's read timeout from a centre that
        answers its health check (it may store the batch all the same; its entries stay
        pending until an answer says so). Batches may then hold :meth:`_halved` entries, or
        the same batch is sent for ever (halving only the entry limit leaves a batch its
        bytes cut as it was); retried after the backoff as before (the load may also pass).
        A lone entry is not halved (:meth:`_held_alone`)."""
        if len(batch.ids) == 1:
            return
        before = self._regrow[0] if self._regrow else self.limits.entries
        self.limits = Limits(self._halved(batch), self.limits.bytes)
        self._regrow = (before, 0)
        log.warning("%s", messages.both("sync.log.slower", why=why, count=len(batch.ids),
                                        entries=self.limits.entries))

    def _halved(self, batch: Batch) -> int:
        """The entries allowed after the centre was too slow for ``batch``: half of it; half
        the entries allowed when the backlog ran out before a limit cut ``batch`` (small
        only because it was the last, it says nothing of what the centre stores in time)."""
        return max(1, (len(batch.ids) if batch.cut else self.limits.entries) // 2)

    def _too_slow(self, failure: BaseException, code: str,
                  **params: object) -> Unreachable | None:
        """``failure`` said as "too slow" (``code``, with ``params`` and the read timeout)
        if it is no answer in time from a centre that still answers its health check
        (then it reached the centre, keeping the board online); None for any other failure,
        a hung centre's included."""
        if not (isinstance(failure, Unreachable) and failure.unanswered) or not self._answers():
            return None
        slow = Unreachable(code, seconds=f"{self.client.timeout[1]:g}", **params)
        slow.unanswered = True
        slow.reached_server = True  # its health check answered: slow, not out of reach
        slow.__cause__ = failure
        return slow

    def _holds(self, tally: Tally) -> dict[str, float]:
        """What the preparing thread needs of the holds: entry → when it may go again (not
        in this push, once it sent the entry alone; at once, if the push sends it again)."""
        return {entry: math.inf if entry in tally.alone else -math.inf if entry in tally.due
                else hold.until for entry, hold in self._held.items()}

    def _forget_stored(self) -> None:
        """Drop the holds of entries no longer pending: stored by another path (a backlog
        file's acknowledgements imported, another process's push), they are neither named
        as held back nor said in the Last error (which gives way as when stored here)."""
        if not self._held:
            return
        gone = self._held.keys() - self.store.still_pending(list(self._held))
        if not gone:
            return
        for entry in gone:
            del self._held[entry]
        before = self.board.state
        after = self.board.update(lambda state: state.resolved(gone, self._next_said()))
        if after.last_error != before.last_error:
            self.board.save(self.store, after, (MetaKey.LAST_ERROR, MetaKey.LAST_ERROR_AT))

    def _next_said(self) -> tuple[str, float] | None:
        """The Last error of the held entry due soonest: what the operator is told once the
        Last error about another held entry is cleared (so a pending entry kept back never
        stands without a reason)."""
        said = [hold for hold in self._held.values() if hold.said is not None]
        return min(said, key=lambda hold: hold.until).said if said else None

    def _not_stored_alone(self, exc: SyncError, batch: Batch) -> SyncError | None:
        """``exc`` as said of the lone entry of ``batch`` if it is to be held back: the
        centre was too slow storing it (a 503 for its statement timeout, or
        :meth:`_too_slow`), or a 413 not the centre's own (:meth:`_too_large_for_centre`):
        quarantine must mean the centre refused it. None for any other failure."""
        if isinstance(exc, TooLarge):
            if self._too_large_for_centre(batch, exc):
                return None
            refused = TooLarge("sync.too_large_alone", size=len(batch.body), reason=exc.words)
            refused.__cause__ = exc
            return refused
        if isinstance(exc, ServerBusy) and exc.canceled:
            return exc
        return self._too_slow(exc, "sync.too_slow_alone")

    @staticmethod
    def _too_large_for_centre(batch: Batch, exc: TooLarge) -> bool:
        """Whether the 413 to ``batch`` (one entry) says the entry is too large for the
        centre: larger than the protocol lets a body be, or refused in the centre's own
        words (a code this kiosk knows). A proxy's page or an uncoded answer says only that
        something on the way refused that size (a body limit that may refuse every size)."""
        return len(batch.body) > protocol.MAX_BODY_BYTES or centre_coded(
            exc.words.params.get("error"))

    def _held_alone(self, entry: str, why: SyncError, run: Run,
                    tally: Tally) -> SyncError | None:
        """``entry`` was not stored alone (too slow, or refused as too large not by the
        centre: :meth:`_not_stored_alone`). Held back before: again, as
        long as before, twice as long once a batch is stored in this drain (a centre slow
        for all does not lengthen it). Otherwise held tentatively, the drain going on with
        the entries after it: the hold stands once a batch is stored (the entry, not the
        centre, is slow); :data:`SLOW_IN_A_ROW` such entries with none stored since release
        their holds, and the failure to raise (the centre is slow for all) is returned."""
        tally.alone.add(entry)
        hold = self._held.get(entry)
        if hold is not None:  # never a tentative one: left out of the rest of the drain
            self._hold_back(entry, why, hold.times + 1 if run.stored else hold.times)
            if not run.stored:
                run.reheld[entry] = why
            return None
        run.tentative[entry] = why
        self._held[entry] = Hold(math.inf, 1)  # left out of the batches prepared from now
        if len(run.tentative) < SLOW_IN_A_ROW:
            return None
        self._release(run)
        return why

    def _for_all(self, failure: BaseException, run: Run) -> BaseException:
        """The failure a drain raises: a lone entry's 413 (:meth:`_not_stored_alone`) raised
        because nothing was stored since (:meth:`_held_alone`, :meth:`_settle`) is
        :class:`EverySizeRefused`, naming the smallest request refused; the limits those
        413s halved are then forgotten, or the worker would send one entry per request for
        good once the proxy is fixed."""
        if not isinstance(failure, TooLarge) or run.smallest_refused is None:
            return failure
        self.limits, self._regrow = self._configured, None
        every = EverySizeRefused(run.smallest_refused, failure.words.params["reason"])
        every.__cause__ = failure
        return every

    def _confirm(self, run: Run) -> None:
        """A batch was stored after the entries held tentatively: their holds stand, and
        those held again in this drain are held twice as long."""
        for entry, why in run.tentative.items():
            self._hold_back(entry, why, 1)
        for entry, why in run.reheld.items():
            if (hold := self._held.get(entry)) is not None:
                self._hold_back(entry, why, hold.times + 1)
        run.tentative.clear()
        run.reheld.clear()

    def _release(self, run: Run) -> None:
        """The centre is slow for all: tentative holds go, entries held again keep the
        length they had."""
        for entry in run.tentative:
            self._held.pop(entry, None)
        run.tentative.clear()
        run.reheld.clear()

    def _settle(self, run: Run) -> SyncError | None:
        """The drain ends: holds left tentative stand (and those held again double) if the
        centre stored a batch in it; else they are released, and the failure of the first
        is returned (to raise: the centre stored nothing, it is the slow one)."""
        if run.stored:
            self._confirm(run)
            return None
        if not run.tentative:  # nothing but entries held again: their holds stand as they were
            run.reheld.clear()
            return None
        first = next(iter(run.tentative.values()))
        self._release(run)
        return first

    def _hold_back(self, entry: str, why: SyncError, times: int) -> None:
        """Hold ``entry`` back (``times``: :attr:`Hold.times`): retried as the head of
        every batch, it held the backlog behind it back; it is left out for a while instead,
        never marked, and said in the last error, the centre being reachable."""
        delay = min(HOLD_BACK_MAX_SECONDS, self.hold_back_seconds * 2 ** (times - 1))
        log.warning("%s", messages.both("sync.log.held_back", entry=entry, reason=why,
                                        seconds=f"{delay:g}"))
        said = messages.Words("sync.held_back", {"entry": entry, "why": why.words,
                                                 "seconds": f"{delay:g}"}).saved()
        at = time.time()
        self._held[entry] = Hold(self.clock() + delay, times, (said, at))
        state = self.board.update(lambda s: s.failed(said, at=at,
                                                     reached_server=True, alert=None))
        self.board.save(self.store, state, FAILURE_KEYS)

    def _answers(self) -> bool:
        """Whether the centre answers its health check within the connect timeout. Its
        health endpoint touches no database, so a centre slow only at storing answers it at
        once; a hung process (its connections still completed by the kernel) or a black
        hole does not: that is a centre out of reach, whose batches keep their size."""
        try:
            self.client.health(timeout=self.client.timeout[0])
        except SyncError:
            return False
        return True

    def _regrown(self) -> None:
        """A batch went through: after :data:`REGROW_AFTER` in a row, double the entries a
        centre too slow halved, up to what they were before it."""
        if self._regrow is None:
            return
        before, accepted = self._regrow[0], self._regrow[1] + 1
        if accepted < REGROW_AFTER:
            self._regrow = (before, accepted)
            return
        self.limits = Limits(min(before, 2 * self.limits.entries), self.limits.bytes)
        self._regrow = (before, 0) if self.limits.entries < before else None
        log.info("sync: batches now ≤ %d entries again", self.limits.entries)

    # -- acknowledgements -----------------------------------------------------------------
    def _queue_acknowledgement(self, answer: BatchAnswer,
                               successor: tuple[str, float] | None) -> None:
        assert self._pools is not None
        if self._acknowledging is not None and self._acknowledging.done():
            self._acknowledging.result()  # a store failure stops the drain here
        self._acknowledging = self._pools[2].submit(self._acknowledge, answer, successor)

    def _flush_acknowledgements(self) -> None:
        if self._acknowledging is not None:
            acknowledging, self._acknowledging = self._acknowledging, None
            acknowledging.result()

    def _acknowledge(self, answer: BatchAnswer, successor: tuple[str, float] | None) -> None:
        """One transaction: the answer, and the status other processes read; then the same
        status (with the counts carried forward) as one new snapshot. A Last error saying an
        entry of this answer is held back is untrue once it is stored (whether this run of
        the kiosk held it or one before a restart): it gives way to ``successor`` (the Last
        error of the entry still held that is due soonest, and when it was said), or none.

        Counting a million pending entries takes ~0.1 s: during an upload the counts are
        carried forward from each answer, and recounted when the upload ends. A store that
        refuses every write keeps neither: the board is suspended, the entries stay pending.
        """
        def answered(state: SyncState, oldest: str | None = None, past: int = 0) -> SyncState:
            state = state.answered(
                held=len(answer.held), rejected=len(answer.rejected), at=now,
                clock_offset=answer.clock_offset_seconds, clear_alert=not self.paused(),
                oldest_pending=oldest).resolved(stored, successor)
            if not past:
                return state
            return state.past_retention_answered(past, answer.retention_cut, now)

        now = time.time()
        stored = {*answer.held, *answer.rejected}
        before = self.board.state
        after = answered(before)
        keys = (*ANSWER_KEYS, MetaKey.LAST_ERROR, MetaKey.LAST_ERROR_AT) \
            if after.last_error != before.last_error else ANSWER_KEYS
        # added to what is on disk, whoever else added to it, even by a board not saving:
        # saving it writes nothing over, and the entries are marked done all the same; only
        # those this answer moves out of pending count (another sender of the same entries,
        # a worker left behind by a re-link or ``kiosk sync push``, may have counted them)
        added = {MetaKey.PAST_RETENTION: past_retention_added(answer.retention_cut, now)} \
            if answer.past_retention else None
        try:
            with self.board.saving(after, keys) as meta:
                past = self.store.mark_synced(
                    answer.held, {i: why.words() for i, why in answer.rejected.items()},
                    meta=meta, past_retention=answer.past_retention, added=added)
        except StoreError:
            if self.store.refusal() is None:  # e.g. a full disk: the drain stops here
                raise
            # the store refuses every write (its file deleted or replaced under the kiosk):
            # the answer cannot be kept, and the drain goes on, so that each entry of the
            # file still open reaches the centre once; its owner stops after this drain
            self.board.suspend()
            self.board.update(methodcaller("unsent", len(stored)))
            return
        oldest = self.store.oldest_pending()
        self.board.update(lambda state: answered(state, oldest, past))
