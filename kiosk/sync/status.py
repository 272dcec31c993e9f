"""The sync status: one immutable snapshot, replaced atomically, saved under named meta keys.

A front end reads :class:`SyncState` whole — never the worker's attributes one by one — so
what it shows is always one moment: a count and the flag next to it cannot come from two
different instants. Every change is a pure method of the snapshot (``answered``,
``failed``, …) applied by :meth:`StatusBoard.update` under the board's one lock, and
subscribers receive exactly the snapshots published, in order.

Entries on the wire are pending until the centre's answer is written (only an
acknowledgement takes an entry out of the pending set), so ``pending ≥ in_flight`` holds in
every snapshot — a carried-forward count below it is stale and is raised to it — and
``uploading`` (``in_flight > 0``) can never stand next to ``pending == 0``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum

from kiosk.clock import age_of
from kiosk.listeners import Listeners
from kiosk.messages import Number, Tallies, Words, both, saved_text, saved_words
from kiosk.store import OutboxSummary, Store, StoreError
from kiosk.sync import protocol
from kiosk.timestamps import parse_utc, utc_iso

log = logging.getLogger(__name__)
META_PREFIX = "sync."


def elsewhere_words(elsewhere: Iterable[tuple[str, int]] | Mapping[str, int]) -> Words | None:
    """``sync.pending_elsewhere``: how many pending entries are another kiosk id's, whose,
    and their way to the centre; None when there are none."""
    counts = dict(elsewhere)
    if not counts:
        return None
    first = next(iter(counts))
    return Words("sync.pending_elsewhere", {
        "count": Number(sum(counts.values())), "first": first,
        "kiosks": Tallies(counts.items())})


def error_current(last_error: str | None, over: bool) -> bool:
    """Whether the last error still stands, to show it as the last error: no answer came
    after it (``over``: :attr:`SyncState.last_error_over`), or it names an entry still held
    back (``sync.held_back``: it stands while the centre stores the rest, until
    :meth:`SyncState.resolved` clears it). An error followed by an answer is over: "Last
    error 401" stood after the operator's new token had sent everything, and a later failure
    took its place. Which came last is what was written last, never their clock times: a
    clock that ran ahead, then set right, made a new failure read as over."""
    if not last_error:
        return False
    if not over:
        return True
    words = saved_words(last_error)
    return words is not None and words.code == "sync.held_back"


def pending_age_seconds(oldest_pending: str | None) -> float | None:
    """The age of the oldest pending entry (store text, UTC) on the clock now; None when
    nothing is pending, or when it has no age (:func:`kiosk.clock.age_of`: later than the
    clock reads, or recorded at 1970 by a wrong clock; show ``oldest_pending`` instead). One
    rule for the worker's snapshot and the screens' view read from the store."""
    if oldest_pending is None:
        return None
    age = age_of(parse_utc(oldest_pending))
    return None if age is None else age.total_seconds()


class MetaKey(StrEnum):
    """Where the worker saves its status in the store's ``meta`` table, written in the same
    transaction as the answer (or the failure) it describes, so ``kiosk sync status`` in
    another process and the next start of the kiosk read what really happened."""

    ONLINE = "sync.online"
    LAST_SUCCESS = "sync.last_success"
    LAST_ERROR = "sync.last_error"
    LAST_ERROR_AT = "sync.last_error_at"
    LAST_ERROR_OVER = "sync.last_error_over"
    """"1": an answer came after the last error, written with that answer; "0" with each
    failure (:func:`error_current`)."""
    ALERT = "sync.alert"
    CLOCK_OFFSET = "sync.clock_offset_seconds"
    KEYS_ALERT = "sync.backlog_keys_alert"
    """What stands in the way of backlog files (saved ``backlog.*`` Words: the server offered
    another centre key than the one kept, or the centre holds another signing key for this
    kiosk), until a key exchange succeeds or an enrolment settles the keys
    (:func:`kiosk.sync.enrolling.install`). Kept only here, never in :class:`SyncState`:
    an enrolment, maybe from ``kiosk enrol`` in another process, clears it under a running
    worker, so the worker's export and the screens read the saved value
    (:func:`saved_keys_alert`), never a copy it would leave standing."""
    PAST_RETENTION = "sync.past_retention"


ANSWER_KEYS = (MetaKey.LAST_SUCCESS, MetaKey.ONLINE, MetaKey.ALERT, MetaKey.CLOCK_OFFSET,
               MetaKey.LAST_ERROR_OVER)
"""What an acknowledged answer changes."""
FAILURE_KEYS = (MetaKey.LAST_ERROR, MetaKey.LAST_ERROR_AT, MetaKey.ONLINE, MetaKey.ALERT,
                MetaKey.LAST_ERROR_OVER)
"""What a failed request changes."""


@dataclass(frozen=True, kw_only=True)
class SyncState:
    """What the sync worker knows, as of one moment."""

    online: bool | None = None
    """True: the centre answered the last request (or, for a batch it stored too slowly, its
    health check); False: it could not be reached or failed with 5xx; None: nothing tried
    yet."""
    pending: int = 0
    """Entries the centre has not acknowledged (``pending`` and ``sent``): recounted from the
    store at each cycle and when an upload ends, carried forward between (each recorded scan
    adds one, each answer takes its entries off)."""
    rejected: int = 0
    oldest_pending: str | None = None
    """``scanned_at`` (store text, UTC) of the oldest pending entry."""
    in_flight: int = 0
    """Entries in batches on the wire whose answer is not written yet."""
    last_success: float | None = None
    """Epoch seconds of the last acknowledged answer."""
    last_error: str | None = None
    """Saved Words (:meth:`kiosk.messages.Words.saved`): worded by whoever shows it."""
    last_error_at: float | None = None
    last_error_over: bool = False
    """An answer came after ``last_error``: set by each answer, unset by each failure, so
    the order they came in decides, not their times on a clock that may have been wrong
    (:func:`error_current`)."""
    alert: Words | None = None
    """For the operator (token refused, another kiosk's entries, no token, the centre
    refusing our requests as malformed), worded by whoever shows it; else None."""
    clock_offset_seconds: float | None = None
    """Centre receive time − kiosk send time of the last answered batch."""
    elsewhere: tuple[tuple[str, int], ...] = ()
    """Pending entries recorded under other kiosk ids (id, count), which this kiosk's token
    cannot send (:meth:`kiosk.store.Store.pending_elsewhere`), as the last whole upload
    left them; worded by :func:`elsewhere_words`."""
    past_retention: Words | None = None
    """``sync.past_retention_saved``: how many entries the centre answered past its retention
    cut (acknowledged, yet not held there), the latest cut and when the last was answered,
    as this worker knows it: what was saved when it started and what it was answered since.
    The store's total, which ``kiosk sync status`` and the sync screen show (a background
    sync says it nowhere else but a log line), holds other processes' additions too: each
    answer adds to it there (:func:`past_retention_added`), never saves this whole."""

    def __post_init__(self) -> None:
        if self.pending < self.in_flight:  # a carried-forward count that fell behind
            object.__setattr__(self, "pending", self.in_flight)

    @property
    def uploading(self) -> bool:
        return self.in_flight > 0

    @property
    def oldest_pending_age_seconds(self) -> float | None:
        return pending_age_seconds(self.oldest_pending)

    # -- transitions (pure: each returns the next snapshot) ---------------------------------
    def counted(self, outbox: OutboxSummary) -> SyncState:
        """Counts as the store holds them now (none pending: none is another kiosk's)."""
        return replace(self, pending=outbox.pending, rejected=outbox.rejected,
                       oldest_pending=outbox.oldest_pending,
                       elsewhere=self.elsewhere if outbox.pending else ())

    def settled(self, outbox: OutboxSummary,
                elsewhere: tuple[tuple[str, int], ...] | None = None) -> SyncState:
        """An upload ended: nothing on the wire, counts as the store holds them;
        ``elsewhere`` as a whole upload left them (None: not known, as before)."""
        return replace(self, pending=outbox.pending, rejected=outbox.rejected,
                       oldest_pending=outbox.oldest_pending, in_flight=0,
                       elsewhere=self.elsewhere if elsewhere is None else elsewhere)

    def recorded(self, scanned_at: str) -> SyncState:
        """The pipeline recorded an entry (``scanned_at`` as the store writes it)."""
        return replace(self, pending=self.pending + 1,
                       oldest_pending=self.oldest_pending or scanned_at)

    def sending(self, entries: int) -> SyncState:
        """A batch of ``entries`` went on the wire."""
        return replace(self, in_flight=self.in_flight + entries)

    def unsent(self, entries: int) -> SyncState:
        """A batch on the wire got no usable answer: its entries stay pending."""
        return replace(self, in_flight=max(0, self.in_flight - entries))

    def answered(self, *, held: int, rejected: int, at: float, clock_offset: float | None,
                 clear_alert: bool, oldest_pending: str | None) -> SyncState:
        """The centre's answer for a batch was written to the store."""
        done = held + rejected
        return replace(
            self, online=True, last_success=at, last_error_over=True,
            pending=max(0, self.pending - done), rejected=self.rejected + rejected,
            in_flight=max(0, self.in_flight - done), oldest_pending=oldest_pending,
            alert=None if clear_alert else self.alert,
            clock_offset_seconds=self.clock_offset_seconds if clock_offset is None
            else clock_offset)

    @property
    def past_retention_count(self) -> int:
        return _past_count(self.past_retention)

    @property
    def past_retention_cut(self) -> str:
        """The latest cut answered; "" when none was said (``text`` then words it without)."""
        return _past_cut(self.past_retention)

    def past_retention_answered(self, count: int, cut: str | None, at: float) -> SyncState:
        """``count`` more entries answered past the retention cut ``cut`` (None: not said)."""
        return replace(self, past_retention=_more_past(self.past_retention, count, cut, at))

    def resolved(self, stored: Collection[str], successor: tuple[str, float] | None
                 ) -> SyncState:
        """The entries ``stored`` are no longer pending: a last error saying one of them is
        held back (its parameters name it, so this needs no memory of the hold and holds
        after a restart) gives way to ``successor`` (saved Words and when it was said: why
        another entry is still held back), or to none."""
        words = saved_words(self.last_error) if self.last_error else None
        if words is None or words.code != "sync.held_back" \
                or words.params.get("entry") not in stored:
            return self
        error, at = successor or (None, None)
        return replace(self, last_error=error, last_error_at=at)

    def failed(self, error: str, *, at: float, reached_server: bool,
               alert: Words | None) -> SyncState:
        """A request failed; ``alert`` None keeps the standing one."""
        return replace(self, online=reached_server, last_error=error, last_error_at=at,
                       last_error_over=False, alert=self.alert if alert is None else alert)

    # -- saving -----------------------------------------------------------------------------
    def meta(self, keys: Iterable[MetaKey]) -> dict[str, str | None]:
        """These keys' values as the store saves them (None deletes a key)."""
        values: dict[MetaKey, str | None] = {
            MetaKey.ONLINE: None if self.online is None else "1" if self.online else "0",
            MetaKey.LAST_SUCCESS: _iso(self.last_success),
            MetaKey.LAST_ERROR: self.last_error,
            MetaKey.LAST_ERROR_AT: _iso(self.last_error_at),
            MetaKey.LAST_ERROR_OVER: "1" if self.last_error_over else "0",
            MetaKey.ALERT: self.alert.saved() if self.alert else None,
            MetaKey.CLOCK_OFFSET: None if self.clock_offset_seconds is None
            else repr(self.clock_offset_seconds),
        }
        return {str(key): values[key] for key in keys}

    @classmethod
    def restore(cls, store: Store, *, alert: Words | None = None) -> SyncState:
        """The state a (re)starting worker begins with: the store's counts and what was saved.

        Online and the alert are not restored: a restart tries again, the operator having
        maybe fixed the token in between.
        """
        meta = store.meta(META_PREFIX)
        return cls(last_success=saved_time(meta, MetaKey.LAST_SUCCESS),
                   last_error=meta.get(MetaKey.LAST_ERROR),
                   last_error_at=saved_time(meta, MetaKey.LAST_ERROR_AT),
                   last_error_over=meta.get(MetaKey.LAST_ERROR_OVER) == "1",
                   clock_offset_seconds=saved_clock_offset(meta),
                   past_retention=saved_words(meta[MetaKey.PAST_RETENTION])
                   if meta.get(MetaKey.PAST_RETENTION) else None,
                   alert=alert).counted(store.outbox_summary())


class StatusBoard:
    """Holds the current :class:`SyncState`; the only place it changes.

    ``state`` is one reference read (atomic). ``update`` applies a transition to the latest
    snapshot under ``_lock`` and hands the result to the subscribers before releasing it,
    so they see every snapshot in the order it was made. Callbacks run on whichever thread
    made the change (a sync thread, or the thread calling push_now): a Qt screen must hand
    it to the GUI thread (emit a signal), never touch widgets from it.
    """

    def __init__(self, initial: SyncState) -> None:
        self._lock = threading.RLock()  # a subscriber may read or update from its callback
        self._state = initial
        self._listeners: Listeners[SyncState] = Listeners("sync state")
        self._saving = threading.Lock()
        self._retired = False
        self._suspended = False

    @property
    def state(self) -> SyncState:
        return self._state

    def update(self, change: Callable[[SyncState], SyncState]) -> SyncState:
        with self._lock:
            before = self._state
            after = change(before)
            if after == before:
                return before
            self._state = after
            self._listeners.notify(after)
            return after

    def subscribe(self, callback: Callable[[SyncState], None]) -> Callable[[], None]:
        return self._listeners.subscribe(callback)

    def retire(self) -> None:
        """Its worker was left behind by a stop, a request still in flight: from now on it
        saves no status, which would overwrite what the worker after it saved (the
        past-retention total aside, added to: :func:`past_retention_added`). A save under
        way ends first."""
        with self._saving:
            self._retired = True

    def suspend(self) -> None:
        """Its store refuses every write (the status with it): no status is saved until
        :meth:`resume`, once the store takes writes again (a path that could not be looked
        at, back). A save under way ends first."""
        with self._saving:
            self._suspended = True

    def resume(self) -> None:
        """The store takes writes again: the status is saved again (unless retired)."""
        with self._saving:
            self._suspended = False

    @contextmanager
    def saving(self, state: SyncState,
               keys: Iterable[MetaKey]) -> Iterator[dict[str, str | None] | None]:
        """``state``'s ``keys`` to save in the store write made in this block; None once
        retired or while suspended (the write saves no status)."""
        with self._saving:
            yield None if self._retired or self._suspended else state.meta(keys)

    def save(self, store: Store, state: SyncState, keys: Iterable[MetaKey]) -> None:
        """Save ``state``'s ``keys`` in ``store``, unless retired."""
        self.save_meta(store, state.meta(keys))

    def save_meta(self, store: Store, values: dict[str, str | None]) -> None:
        """Save ``values`` (None deletes a key) in ``store``, unless retired or suspended:
        also what is saved and never held in the snapshot (:attr:`MetaKey.KEYS_ALERT`). A
        store that refuses every write (its file deleted or replaced under the kiosk, its
        path not to be looked at) suspends the board instead: no failure of the work being
        said, which goes on — its worker then makes its last pass and stops, saying why;
        any other refusal (a full disk) is raised."""
        with self._saving:
            if self._retired or self._suspended:
                return
            try:
                store.set_meta(values)
            except StoreError as exc:
                if store.refusal() is None:
                    raise
                self._suspended = True  # under _saving, as suspend() sets it
                log.warning("%s", both("sync.log.status_not_saved", reason=exc))


def saved_keys_alert(store: Store) -> Words | None:
    """The backlog keys alert as saved now (:attr:`MetaKey.KEYS_ALERT`); None when there is
    none. The worker's export and the sync screen read it here, so neither names a conflict
    an enrolment has settled since."""
    saved = store.meta(MetaKey.KEYS_ALERT).get(MetaKey.KEYS_ALERT)
    return saved_words(saved) if saved else None


def past_retention_added(cut: str | None, at: float) -> Callable[[int, str | None], str]:
    """How ``count`` more entries answered past the retention cut ``cut`` (None: not said) at
    ``at`` make the saved ``sync.past_retention`` from the one on disk, both read in the
    write's own transaction (:meth:`Store.mark_synced`'s ``added``): ``count`` only those
    that answer moves out of pending, so entries two senders sent count once; another
    process's addition since this one started is kept. The later cut day and the later time
    stay; an unreadable value (a hand edit) counts as none, as at a worker's start."""
    def added(count: int, saved: str | None) -> str:
        return _more_past(saved_words(saved) if saved else None, count, cut, at).saved()
    return added


def past_retention_text(saved: str, language: str, shown: Callable[[str], str]) -> str:
    """The saved ``sync.past_retention`` worded in ``language`` for people, its time of the
    last answer (kept as sortable UTC text to the microsecond, :func:`past_retention_added`)
    as ``shown`` words a saved time where it is shown: in the kiosk's zone, as the times
    beside it (``kiosk sync status``'s, the sync screen's). Text saved as such, or a time no
    one can read (a hand edit), is worded as saved."""
    words = saved_words(saved)
    at = _past_at(words)
    if words is None or not at:
        return saved_text(saved, language)
    return Words(words.code, {**words.params, "at": shown(at)})(language)


def _more_past(words: Words | None, count: int, cut: str | None, at: float) -> Words:
    return Words("sync.past_retention_saved", {
        "count": _past_count(words) + count, "cutoff": max(_past_cut(words), cut or ""),
        "at": max(_past_at(words), utc_iso(at))})


def _past_count(words: Words | None) -> int:
    count = words.params.get("count") if words else None
    return count if isinstance(count, int) else 0  # not a number: a hand edit, restart


def _past_cut(words: Words | None) -> str:
    cut = words.params.get("cutoff") if words else None
    return cut if isinstance(cut, str) else ""


def _past_at(words: Words | None) -> str:
    """The saved time of the last answer, when it is one as saved (sortable UTC text)."""
    at = words.params.get("at") if words else None
    if not isinstance(at, str):
        return ""
    try:
        return utc_iso(_epoch(at))
    except (ValueError, OverflowError):
        return ""


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else utc_iso(epoch)


def _epoch(text: str) -> float:
    moment = parse_utc(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def saved_number(meta: dict[str, str], key: MetaKey,
                 read: Callable[[str], float]) -> float | None:
    """A saved value as ``read`` makes it; None when absent, or unreadable (a damaged row, a
    hand edit): logged and taken as absent, so that it never stops a sync worker from being
    built (at a kiosk's start, or an enrolment's apply). The next answer (or failure) saves
    it anew. ``kiosk sync status`` reads them the same way."""
    text = meta.get(key)
    if not text:
        return None
    try:
        return read(text)
    except (ValueError, TypeError, OverflowError) as exc:
        log.warning("%s", both("sync.log.saved_unreadable", key=key, value=repr(text),
                               reason=exc))
        return None


def saved_clock_offset(meta: dict[str, str]) -> float | None:
    """The saved clock offset, read as :func:`saved_number` reads; one no centre can measure
    (``nan``, ``inf``, saved from an answer before :func:`protocol.answered_clock_offset`
    checked it) is unreadable, so that no view shows it."""
    return saved_number(meta, MetaKey.CLOCK_OFFSET, _clock_offset)


def _clock_offset(text: str) -> float:
    offset = protocol.answered_clock_offset(float(text))
    if offset is None:
        raise ValueError(f"not a clock offset: {text}")
    return offset


def saved_time(meta: dict[str, str], key: MetaKey) -> float | None:
    """A saved time, in seconds since the epoch, read as :func:`saved_number` reads (absent
    when unreadable, logged); one without an offset (a hand edit) is taken as UTC, as every
    saved time is written. The sync worker and ``kiosk sync status`` read them so."""
    return saved_number(meta, key, _epoch)
