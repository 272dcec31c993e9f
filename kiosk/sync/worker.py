"""The sync worker: drains the store's outbox to the centre in batches, in the background.

How it behaves
--------------
* Wakes when the pipeline records an entry (after a short linger, so a burst of scans
  travels as one batch, never one request per scan), on a timer (``interval_seconds``)
  and when asked (:meth:`SyncWorker.push_now`, :meth:`SyncWorker.retry_rejected`).
* Tells the centre how the kiosk is (:mod:`kiosk.sync.heartbeat`: pending, rejected,
  devices, free disk, refused scans per hour) with every batch, and in a heartbeat every
  ``interval_seconds`` when there is nothing to upload — only to a centre whose health
  answer lists the ``health`` feature. A centre without it gets a health check instead,
  so ``online`` stays true to fact either way.
* Sends pending entries oldest first, in batches bounded by ``batch_size`` entries and
  ``batch_max_bytes`` compressed bytes, with up to two batches on the wire while the next
  one is prepared. After each answer, one transaction marks the entries the centre holds
  ``acknowledged`` and quarantines the ones it rejected (``rejected`` + its reason:
  visible, retryable, never deleted); the rest of the backlog carries on.
* Nothing is marked before the answer arrived, and the centre is idempotent on entry ids,
  so a crash or kill at any moment costs at most the batches on the wire sent twice
  (answered ``duplicate``), never a loss.
* One sender per store across processes (:mod:`kiosk.sync.sending`): a background cycle
  finding a ``kiosk sync push`` sending leaves the backlog (its new scans too) to it and
  only heartbeats; a push finding another sender waits for it to end.
* Failures: timeouts, resets, truncated answers and 5xx are retried with exponential backoff
  (1 s doubling to ``max_backoff_seconds``, each wait randomised to 50–100 %); a connection
  that could not be opened at all (refused, no route, DNS) waits no longer than
  ``interval_seconds``, the centre's health asked first, so that a backlog goes within
  about one interval of the centre's return;
  ``Retry-After`` is waited out as the centre asks. 413 halves the batch (a single entry is
  quarantined only when the centre itself refuses it as too large; one refused by a proxy is
  held back as below, and when none gets through alone, ``alert`` says something on the way
  refuses every size: :class:`~kiosk.sync.uploader.EverySizeRefused`), and so do a 503
  saying the centre's database ran past its statement timeout storing it and no answer
  within ``timeout_seconds`` to a batch sent from a centre that answers its health check at
  once (not a connection that fails to open, nor a hung centre). A lone entry too slow so
  while the centre stores the batches after it is held back (``last_error`` says so, until
  it is stored: then it names another still held, if any) and sent again alone later, so it
  does not hold back the rest (no backoff for it; the heartbeat goes on while only held
  entries are pending); a centre slow for every entry backs off and holds none back
  (:data:`~kiosk.sync.uploader.SLOW_IN_A_ROW`). 401/403 in the centre's words stop all
  uploads and raise ``alert`` until the operator pushes again (after fixing the token) or the
  kiosk restarts; a proxy's or a captive portal's 401/403 page is backed off as a busy
  centre (:func:`~kiosk.sync.client.centre_said`).
* A store that refuses every write (its file deleted or replaced under the running kiosk)
  keeps no answer, so the same entries would be sent at every cycle: the upload under way
  (or the next one) goes on to the end, each entry of the file still open reaching the
  centre once (a scan recorded just before may be nowhere else; one cut short by a failure
  is tried again, as any), and then the worker sends no more batches, not even for a push,
  and ``alert`` says so (``sync.store_refused``) until the kiosk restarts; its heartbeat
  goes on (below), saying why, so that the centre knows the kiosk is alive but records
  nothing and needs a technician. A store whose path only cannot be looked at
  (``store.unconfirmed``: its folder replaced by a link loop, a network disk's hiccup) is
  looked at again every cycle (``sync.store_paused`` meanwhile): once it takes writes
  again, the same file with the same log, the alert is cleared, the status saved again and
  uploads go on (what the last pass sent is answered ``duplicate``); found gone for good
  instead (``store.gone``, ``store.log_gone``), they stop as above. While paused or
  stopped the heartbeat goes on every ``interval_seconds``, so that the centre does not
  take the kiosk for silent: to a centre listing ``uploads-paused`` it says why uploads
  wait or stopped (``uploads_paused``, a code the centre words for its reader:
  ``store_unconfirmed``; ``store_gone``, ``store_log_gone``, ``store_damaged`` for good:
  :func:`protocol.uploads_paused_code`), to one with ``health`` only it is the plain
  report.

Its parts, each with one job (docs/architecture.md, "The sync worker's parts"):
:class:`~kiosk.sync.scheduler.Scheduler` decides when (timer, linger, backoff, hand-over),
:class:`~kiosk.sync.uploader.Uploader` moves batches and writes answers,
:class:`~kiosk.sync.status.StatusBoard` holds the one published :class:`SyncState`. This
class wires them together and runs the background thread; its own mutable state is that
thread and the centre's features: ``_features_known`` (whether the centre was asked what it
takes), what its answer sets on the uploader (``health``, ``send_clock``,
``send_suspended``), ``_tells_paused`` (it takes ``uploads_paused``) and ``_beats_boot`` (a
heartbeat's ``boot_id``), all unset together by
``_forget_features`` (the uploader calls it on a refused member), and ``_store_refused``
(uploads stopped for a store that refuses writes: the alert saying so); owned like the
uploader's state by whoever holds the scheduler's turn.

API for front ends (the Qt sync screen, the ``kiosk sync`` commands)
--------------------------------------------------------------------
``worker = SyncWorker.from_config(config)``
    Builds a worker with its own store connection. ``Kiosk`` does this when
    ``[sync] enabled`` and exposes it as ``kiosk.sync`` (None when disabled).
``worker.state() -> SyncState``
    One immutable snapshot (kiosk/sync/status.py), cheap to call: ``online``, ``pending``,
    ``rejected``, ``oldest_pending`` / ``oldest_pending_age_seconds``, ``in_flight`` /
    ``uploading``, ``last_success`` / ``last_error_at`` (epoch seconds), ``last_error``,
    ``alert`` (``messages.Words`` for the operator: ``alert(language)`` words it),
    ``clock_offset_seconds``.
``worker.subscribe(callback) -> unsubscribe``
    ``callback(SyncState)`` with every new snapshot, in order, on the thread that made the
    change: a Qt screen must hand it to the GUI thread (emit a signal).
``worker.push_now(progress=None) -> PushSummary``
    Blocking: uploads everything pending now, retrying transient failures a few times;
    ``progress(Progress)`` is called after each batch. Run it in a worker thread (QThread
    / threading.Thread). It takes over from the background loop while it runs, clears an
    auth alert (the operator is retrying on purpose), sends entries held back alone once
    more (once per push, whatever its retries), and returns a summary (with ``error`` set
    if it had to give up, or naming the entries still held back).
``worker.export(path, progress=None) -> ExportSummary``
    Blocking: writes the pending backlog to a backlog file signed with the kiosk's key and
    sealed to the centre's (:mod:`kiosk.sync.backlog`; raises ``BacklogError``/``OSError``,
    and ``BacklogError`` ``no_centre_key`` when the centre's key was never learnt,
    ``centre_key_damaged`` when its kept file is unreadable or damaged,
    ``centre_key_changed`` when the server answers with another key than the one kept),
    reads it back from the disk to check it, and labels those entries ``sent``; they stay
    pending until the centre acknowledges them. ``keys_alert`` on the summary: the centre
    holds another signing key for this kiosk (the file waits for an administrator).
    ``progress(entries_written)`` is called every 1,000 entries.
``worker.retry_rejected(actor="operator") -> int``
    Puts quarantined entries back in the queue (audited under ``actor``), wakes the worker.
``worker.notify(result=None)``
    Pipeline listener (``Kiosk`` subscribes it): a recorded entry schedules an upload.
``worker.start()`` / ``worker.stop()``
    Background thread; ``stop`` waits a few seconds for an in-flight request, then leaves
    the worker behind, saving no status, to close itself once that request has ended.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kiosk import messages
from kiosk.config import Config, plain_http_refusal
from kiosk.scan import ScanResult
from kiosk.store import FILE_LOST, OutboxSummary, Store, StoreError, found_damage, utc_iso
from kiosk.sync import backlog, backlog_keys, heartbeat, protocol
from kiosk.sync.client import (
    AuthRefused,
    Refused,
    ServerBusy,
    SigningKeyHeld,
    SyncClient,
    SyncError,
    Unreachable,
)
from kiosk.sync.kiosk_keys import CentreKeyChanged, KioskKeys, resolve_token, token_setting
from kiosk.sync.scheduler import Scheduler
from kiosk.sync.sending import Sending
from kiosk.sync.status import FAILURE_KEYS, MetaKey, StatusBoard, SyncState, saved_keys_alert
from kiosk.sync.uploader import SEND_WINDOW, EverySizeRefused, Tally, Uploader, Yield, pending_rows

if TYPE_CHECKING:
    from kiosk.devices.supervisor import DeviceStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

BASE_BACKOFF_SECONDS = 1.0
PUSH_ATTEMPTS = 5
"""push_now gives up after this many consecutive failures without progress."""
SENDING_POLL_SECONDS = 0.5
"""A push waiting for another sender looks again this often."""
HELD_NAMED = 5
"""Entries held back a push's error names (then "…")."""
FAILURE_REPEAT_SECONDS = 300.0
"""The same failure again and again (a centre down for hours, looked for every interval) is
logged and saved once this often, not at every look: one line per look filled the journal
and wrote the store each interval. A different failure, or the first after a success, at
once."""


@dataclass(frozen=True)
class Progress:
    done: int
    """Entries answered so far in this push (accepted + duplicate + past retention +
    rejected)."""
    total: int
    """Entries pending when the push started, plus any recorded since."""
    accepted: int
    duplicate: int
    rejected: int
    elapsed_seconds: float
    rate: float
    """Entries per second so far."""
    eta_seconds: float | None


@dataclass(frozen=True)
class Wait:
    """A wait the centre asked an operator's push for (``Retry-After``) before trying again."""

    seconds: float
    """What the centre asked for (at most six hours: :meth:`Scheduler.asked_wait`)."""
    asked_at: dt.datetime
    """When it asked, in the kiosk's time zone."""
    delay: float
    """How long the push waits: ``seconds`` and up to 10 % more (:meth:`Scheduler.backoff_delay`:
    a fleet told the same does not come back in step), drawn before the wait is said."""

    def words(self) -> messages.Words:
        """How long the centre asked for and the minute the push sends again, its up to 10 %
        included: the one sentence ``kiosk sync push``, ``kiosk run --until-done`` and the
        sync screen say it with."""
        return messages.Words("sync.waiting", {"seconds": messages.Number(self.seconds),
                                               "at": self._shown(self._after(self.delay))})

    def ends(self) -> str:
        """The first minute the centre's wait is over (rounded up: "send again after" it
        is never too early)."""
        end = self._after(self.seconds)
        return self._shown(end + dt.timedelta(seconds=-end.second, microseconds=-end.microsecond)
                           % dt.timedelta(minutes=1))

    def _after(self, seconds: float) -> dt.datetime:
        """``seconds`` after the asking, counted in UTC (a zone's clock change between)."""
        return dt.datetime.fromtimestamp(self.asked_at.timestamp() + seconds,
                                         self.asked_at.tzinfo)

    def _shown(self, moment: dt.datetime) -> str:
        """HH:MM, or YYYY-MM-DD HH:MM when not the day it was asked (the kiosk's zone): six
        hours asked at 21:00 end tomorrow."""
        return f"{moment:%H:%M}" if moment.date() == self.asked_at.date() else \
            f"{moment:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class PushSummary:
    accepted: int
    duplicate: int
    rejected: int
    batches: int
    seconds: float
    remaining: int
    """Entries still pending afterwards."""
    error: messages.Words | None = None
    past_retention: int = 0
    """Marked done though the centre does not hold them: older than its retention cut,
    ``retention_cut`` (:attr:`uploader.Tally.past_retention`)."""
    retention_cut: str | None = None
    filed_at_arrival: int = 0
    """Of ``accepted``, filed at their arrival: dated after it, the kiosk's clock having run
    ahead (:attr:`uploader.Tally.filed_at_arrival`)."""

    @property
    def done(self) -> int:
        return self.accepted + self.duplicate + self.past_retention + self.rejected


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    entries: int
    bytes: int
    first_id: str | None
    last_id: str | None
    marked_sent: int
    signing_key_registered: bool
    """Whether the centre said it holds this kiosk's signing key (else its import of the
    file will be refused until the kiosk connects once or the key is registered by hand)."""
    keys_alert: messages.Words | None = None
    """The centre holds another signing key for this kiosk: why the file will be refused,
    and the administrator's step that lets it in."""
    note: messages.Words | None = None
    """Why the centre may refuse the file and what lets it in (the key conflict, else a
    signing key it has not confirmed; another kiosk id's file: that its key is not known
    here): one condition, said by ``kiosk sync export`` and the sync screen alike."""
    not_marked: messages.Words | None = None
    """The file is written and checked, but the store refused to mark its entries exported
    (replaced under the kiosk, a full disk): that the file is good to carry to the centre
    (maybe the only copy), why, and that the entries stay pending."""


class SyncWorker:
    def __init__(self, store: Store, *, server_url: str, token: str, kiosk_id: str,
                 checkpoint_id: str, batch_size: int = 2000, batch_max_bytes: int = 1_000_000,
                 interval_seconds: float = 30.0, timeout_seconds: float = 15.0,
                 max_backoff_seconds: float = 300.0, linger_seconds: float = 1.0,
                 base_backoff_seconds: float = BASE_BACKOFF_SECONDS,
                 language: str = "vi", encoding: str | None = None,
                 rng: random.Random | None = None,
                 devices: Callable[[], Iterable[DeviceStatus]] = tuple,
                 keys: KioskKeys | None = None, token_setting: str = "[sync] token",
                 owns_store: bool = True,
                 damage_found: Callable[[], None] | None = None,
                 allow_plain_http: bool = False) -> None:
        """``store`` should be this worker's own Store (connection); it is closed by stop(),
        unless ``owns_store`` is false (the kiosk's own, lent for one export: it records on).
        ``devices()`` gives the device statuses reported to the centre (``Kiosk`` passes its
        supervisor's). ``keys``: the backlog key files (by default beside the store).
        ``token_setting``: where the token came from, as a refused token's alert names it
        (the file of ``[sync] token_file``, not ``[sync] token``, when that is the one used).
        ``damage_found``: called (from the worker's thread) when a read of the store finds
        the file damaged, after this worker's Store is told (:meth:`Store.found_damaged`):
        ``Kiosk`` tells its own Store and every connection it lends, one path for damage
        found whichever connection finds it. ``allow_plain_http``: ``[sync]
        allow_plain_http``; without it a plain ``http://`` centre on another machine is never
        contacted (:func:`kiosk.config.plain_http_refusal`): uploads stop as without a token,
        the alert saying why, and the entries stay pending (an export still works)."""
        self.store = store
        self.owns_store = owns_store
        self.keys = keys or KioskKeys(Path(store.path).parent)
        self.sending = Sending(store.path)
        self.token = token
        self.token_setting = token_setting
        self.kiosk_id = kiosk_id
        self.checkpoint_id = checkpoint_id
        self.language = language
        self._unlinked = (plain_http_refusal(server_url, allow_plain_http) if token
                          else messages.Words("sync.no_token"))
        """Why nothing is sent (no token, a plain http:// centre not allowed); None: sent."""
        self.client = SyncClient(server_url, token, timeout=timeout_seconds,
                                 connections=SEND_WINDOW, allow_plain_http=allow_plain_http
                                 ) if self._unlinked is None else None
        self.scheduler = Scheduler(interval=interval_seconds, linger=linger_seconds,
                                   base_backoff=base_backoff_seconds,
                                   max_backoff=max_backoff_seconds, rng=rng,
                                   paused=self.client is None)
        self.board = StatusBoard(SyncState.restore(store, alert=self._unlinked))
        self.uploader = Uploader(
            store, self.client, self.board, kiosk_id=kiosk_id, batch_size=batch_size,
            batch_max_bytes=batch_max_bytes, encoding=encoding,
            paused=lambda: self.scheduler.paused, features_stale=self._forget_features,
        ) if self.client else None
        self.devices = devices
        self.damage_found = damage_found
        self._features_known = False
        self._tells_paused = False
        """The centre lists ``uploads-paused``: a heartbeat while paused says why."""
        self._beats_boot = False
        """The centre lists ``heartbeat-boot``: a heartbeat carries this boot's id."""
        self._keys_exchanged = False
        self._elsewhere_counted = False
        """The background's first cycle counted the other kiosk ids' pending entries: the
        health reports count this id's alone from its first batch on, not from the end of
        its first whole upload."""
        self._store_refused: messages.Words | None = None
        """Set once an upload ended with the store refusing writes: uploads stopped, the
        alert saying why (:meth:`_stop_for_store`); cleared if it takes writes again."""
        self._thread: threading.Thread | None = None
        self._said: tuple[str, float] = ("", -math.inf)
        """The failure last logged and saved, and when (monotonic): :meth:`_failed`."""

    @classmethod
    def from_config(cls, config: Config, store: Store | None = None,
                    **overrides: Any) -> SyncWorker:
        """The worker ``[sync]`` describes; ``overrides`` replace constructor arguments."""
        sync = config.sync
        arguments: dict[str, Any] = dict(
            keys=KioskKeys.for_config(config),
            server_url=sync.server_url,
            token=resolve_token(config), token_setting=token_setting(config),
            kiosk_id=config.kiosk.id, checkpoint_id=config.kiosk.checkpoint_id,
            batch_size=sync.batch_size, batch_max_bytes=sync.batch_max_bytes,
            interval_seconds=sync.interval_seconds, timeout_seconds=sync.timeout_seconds,
            max_backoff_seconds=sync.max_backoff_seconds, language=config.kiosk.language,
            allow_plain_http=sync.allow_plain_http)
        return cls(store or Store(config.store_path, timezone=config.timezone),
                   **{**arguments, **overrides})

    # -- state for front ends -------------------------------------------------------------
    def state(self) -> SyncState:
        return self.board.state

    def subscribe(self, callback: Callable[[SyncState], None]) -> Callable[[], None]:
        return self.board.subscribe(callback)

    def _recount(self) -> OutboxSummary:
        outbox = self.store.outbox_summary()
        self.board.update(lambda state: state.counted(outbox))
        return outbox

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop uploading and close the connections, waiting at most ``timeout`` seconds
        for a request in flight (the background thread's or a push's). Past that the worker
        is left behind: it saves no status from then on (it would overwrite its
        successor's), and closes its connections and threads itself once that request
        has ended; an unacknowledged batch simply stays pending."""
        deadline = time.monotonic() + timeout
        self.scheduler.stop()
        if self._thread is not None:
            self._thread.join(timeout)
        if (self._thread is not None and self._thread.is_alive()) or \
                not self.scheduler.wait_for_no_turn(max(0.0, deadline - time.monotonic())):
            log.warning("%s", messages.both("sync.log.left_behind"))
            self.board.retire()
            threading.Thread(target=self._close_when_done, name="sync-left-behind",
                             daemon=True).start()
            return
        self._close()

    def _close_when_done(self) -> None:
        """A worker left behind: close it once its request has ended and nobody uploads."""
        if self._thread is not None:
            self._thread.join()
        self.scheduler.wait_for_no_turn(None)
        self._close()

    def _close(self) -> None:
        if self.uploader is not None:
            self.uploader.close()
        if self.client is not None:
            self.client.close()
        if self.owns_store:
            self.store.close()

    def notify(self, result: ScanResult | None = None) -> None:
        """Pipeline listener: a recorded entry counts as pending at once, and schedules an
        upload after the linger.

        The upload is not scheduled while backing off after a failure (new scans must not
        hammer a centre that is down) nor while an auth alert stands.
        """
        if result is not None:
            if not result.recorded:
                return
            scanned_at = utc_iso(result.scan.wall_time)
            self.board.update(lambda state: state.recorded(scanned_at))
        self.scheduler.recorded()

    # -- the background loop --------------------------------------------------------------
    def _run(self) -> None:
        while self.scheduler.wait_for_turn():
            try:
                with self.scheduler.turn():
                    self._cycle_or_damage()
            except Exception:  # StoreError (disk full…) or a bug: log, back off, carry on
                log.exception("%s", messages.both("sync.log.cycle_failed"))
                self.scheduler.failed(None, progressed=False)
                self.scheduler.back_off(None)

    def _cycle_or_damage(self) -> None:
        """A cycle; damage its reads meet (:meth:`_meeting_damage`) stops uploads at once,
        the cycle run again heartbeating ``store_damaged`` without reading the file. Before,
        each cycle failed on the same read after each backoff until the next daily check."""
        self._meeting_damage(self._cycle, self._cycle_on_damage)

    def _cycle_on_damage(self) -> None:
        if self.uploader is None or self.scheduler.paused:
            self.scheduler.park()  # as a cycle would, reading nothing
        else:
            self._cycle()

    def _meeting_damage(self, work: Callable[[], T], again: Callable[[], T]) -> T:
        """``work()``; if a read of the store in it found the file damaged (a page
        overwritten since the last whole-file check: SQLITE_CORRUPT, SQLITE_NOTADB), that
        is damage found as the check finds it: this connection and the kiosk's refuse from
        now on (:meth:`_found_damaged`), and ``again()`` answers instead, reading nothing
        from the file. The one path for the background cycle and a push alike: a push whose
        outbox count met the damage raised SQLite's read error to the operator, the kiosk
        taking scans on into the damaged file."""
        try:
            return work()
        except Exception as exc:
            if not found_damage(exc) or self.store.refusing is not None:
                raise
            self._found_damaged(exc)
            return again()

    def _found_damaged(self, exc: BaseException) -> None:
        log.error("%s", messages.both("sync.log.found_damaged",
                                      reason=messages.failure_words(exc)))
        log.info("sync: the store file is damaged, reading it failed: %s", exc)  # -v
        self.store.found_damaged()
        if self.damage_found is not None:
            self.damage_found()

    def _cycle(self) -> None:
        if self.uploader is not None and not self.scheduler.paused and self._stopped_for_store():
            if self.scheduler.health_due():  # no recount: nothing is recorded meanwhile,
                self._check_in()  # and a damaged file may not read; alive, saying why
            return
        outbox = self._recount()
        if self.uploader is None or self.scheduler.paused:
            self.scheduler.park()
            return
        if not self._elsewhere_counted and outbox.pending:
            others = tuple(self.store.pending_elsewhere(self.kiosk_id).items())
            self.board.update(lambda state: replace(state, elsewhere=others))
        self._elsewhere_counted = True
        refusing = self._store_refuses()
        stranded = sum(count for _, count in self.board.state.elsewhere)
        if outbox.pending == stranded:  # none this token sends, as of the last whole upload
            # (fewer: some of them went by another path, so the count is stale: drain)
            if refusing is not None:  # nothing left to send once
                self._stop_for_store(refusing)
                return
            if self.scheduler.health_due():
                self._check_in()
            self.scheduler.idle()
            return
        if self.scheduler.unreached and not self._centre_answers():
            return
        if not self._features_known:
            self._ask_centre()  # so that the batches carry the health report if it takes it
        tally = Tally()
        with self.sending.hold() as holder:
            if holder is not None:  # a push sends the backlog, new scans too: alive meanwhile
                if self.scheduler.health_due():
                    self._check_in()
                self.scheduler.idle()
                return
            try:
                self.uploader.drain(tally, None,
                                    lambda: self.scheduler.must_yield(background=True))
            except Yield:
                return
            except SyncError as exc:
                self._failed(exc, progressed=tally.batches > 0)
                self.scheduler.back_off(exc)
                return
        if (refusing := self._store_refuses()) is not None:  # every entry went once:
            self._stop_for_store(refusing)  # the last pass
            return
        if tally.batches == 0 and self.scheduler.health_due():
            self._check_in()  # only entries held back pending: the centre still hears from it
        self.scheduler.succeeded()

    # -- the centre's health check and the kiosk's heartbeat ------------------------------
    def _health_report(self, sent_at: dt.datetime) -> dict[str, Any]:
        """This kiosk's health as of ``sent_at``, the moment the heartbeat or batch carrying
        it is stamped with; counts from the current snapshot (no recount per batch), this
        kiosk id's alone (another id's as the last whole upload or the push's start counted
        them), and nothing read from a store found damaged."""
        state = self.board.state
        paused = self._paused()
        return heartbeat.health_report(
            self.store, self.devices(), now=sent_at,
            outbox=OutboxSummary(state.pending, state.rejected, state.oldest_pending),
            uploads_paused=paused if self._tells_paused else None,
            read_store=paused != protocol.UPLOADS_STOPPED["store.damaged"],
            kiosk_id=self.kiosk_id, elsewhere=sum(count for _, count in state.elsewhere))

    def _paused(self) -> str | None:
        """Why uploads wait or stopped, as the centre is told it
        (:func:`protocol.uploads_paused_code` of the store's refusal: ``store_unconfirmed``
        while paused for a store path that cannot be looked at, ``store_gone``,
        ``store_log_gone``, ``store_damaged`` stopped for good: :meth:`_stop_for_store`);
        None while uploading."""
        stopped = self._store_refused
        if stopped is None:
            return None
        refusal = stopped.params["detail"]
        assert isinstance(refusal, messages.Words)
        return protocol.uploads_paused_code(refusal.code)

    def _centre_answers(self) -> bool:
        """After a connection that could not be opened: is the centre back? A GET of its
        health, failing at once while it is down, instead of a batch read and compressed
        each interval; still no connection, a failure as any (logged, saved), the next look
        an interval away."""
        assert self.client is not None
        try:
            self.client.health()
        except Unreachable as exc:
            if exc.not_connected:
                self._failed(exc, progressed=False)
                self.scheduler.back_off(exc)
                return False
        except SyncError:
            pass  # it answers, somehow: the drain meets the answer as it would have
        return True

    def _ask_centre(self) -> None:
        """GET the centre's health: reachable, and does it take health reports?"""
        assert self.client is not None and self.uploader is not None
        try:
            answer = self.client.health()
        except SyncError as exc:
            online = exc.reached_server
        else:
            online, self._features_known = True, True
            self.uploader.health = (self._health_report if heartbeat.centre_takes_health(answer)
                                    else None)
            self.uploader.send_clock = "send-clock" in (answer.get("features") or ())
            self.uploader.send_suspended = "send-suspended" in (answer.get("features") or ())
            self._tells_paused = "uploads-paused" in (answer.get("features") or ())
            self._beats_boot = "heartbeat-boot" in (answer.get("features") or ())
            if not self._keys_exchanged and "backlog-keys" in (answer.get("features") or ()):
                self._exchange_keys()
        self.board.update(lambda state: replace(state, online=online))

    def _store_refuses(self) -> messages.Words | None:
        """Why the store refuses every write (its file deleted or replaced under the running
        kiosk, its path not to be looked at: :meth:`Store.refusal`, one ``stat``), None if
        it takes them: refusing, no answer of the centre can be kept, nor any status (the
        board is suspended until it takes writes again), and uploads go on only until a
        drain has sent every entry pending once (:meth:`_stop_for_store`)."""
        refusal = self.store.refusal()
        if refusal is None:
            self.board.resume()
        else:
            self.board.suspend()
        return refusal

    def _stopped_for_store(self) -> bool:
        """Whether uploads stand stopped for the store (:meth:`_stop_for_store`; checked
        again: :meth:`_store_back`); damage found since stops them at once, with no last
        pass (:meth:`_store_damaged`)."""
        if self._store_refused is None and (damage := self._store_damaged()) is not None:
            self._stop_for_store(damage)
        return self._store_refused is not None and not self._store_back()

    def _store_damaged(self) -> messages.Words | None:
        """The store's refusal if it is damage the whole-file check found
        (``store.damaged``): nothing is read from such a file, not even the outbox's
        counts, which may fail on the pages a failing disk overwrote."""
        refusal = self._store_refuses()
        return refusal if refusal is not None and refusal.code == "store.damaged" else None

    def _stop_for_store(self, refusal: messages.Words) -> messages.Words:
        """A drain went through the backlog with the store refusing writes (``refusal``),
        so sending again would send the same entries at every cycle. Uploads stop, said in
        ``alert`` (not saved: the store took no status). A path that cannot be looked at
        (``store.unconfirmed``) may name the same file again: it is looked at again next
        cycle (:meth:`_store_back`); any other refusal stands until the kiosk restarts (a
        push sends nothing). Either way a cycle comes every interval, for the heartbeat
        saying why (:meth:`_paused`): the centre must hear that the kiosk is alive but
        records nothing."""
        passing = refusal.code == "store.unconfirmed"
        stopped = messages.Words("sync.store_paused" if passing else "sync.store_refused",
                                 {"detail": refusal})
        if stopped != self._store_refused:  # the first time, or found gone for good since
            self._store_refused = stopped
            log.error("%s", messages.both("sync.log.store_refuses", reason=refusal))
            self.board.update(lambda state: replace(state, alert=stopped))
        self.scheduler.idle()
        return stopped

    def _store_back(self) -> bool:
        """Uploads stopped for the store (:meth:`_stop_for_store`): whether it takes writes
        again (its path back, naming the same file with the same log), when the alert
        saying so is cleared and uploads go on; else the stop stands (said anew if the path
        was found gone for good meanwhile)."""
        refusal = self.store.refusal()
        if refusal is not None:
            self._stop_for_store(refusal)
            return False
        stopped, self._store_refused = self._store_refused, None
        log.warning("%s", messages.both("sync.log.store_back"))
        self.board.update(lambda state: replace(state, alert=None)
                          if state.alert == stopped else state)
        return True

    def _forget_features(self) -> None:
        """The centre refused what it had listed (rolled back): send none of its features
        (the health report, the send clock) until it is asked again, next cycle."""
        assert self.uploader is not None
        self.uploader.health, self.uploader.send_clock = None, False
        self.uploader.send_suspended = False
        self._features_known = self._tells_paused = self._beats_boot = False

    def _exchange_keys(self) -> messages.Words | None:
        """Register this kiosk's backlog signing key (made now if it has none) and learn the
        centre's encryption key, kept from the first one on (:mod:`kiosk.sync.kiosk_keys`).
        What the answer says stands in the way of backlog files is returned and saved
        (:attr:`MetaKey.KEYS_ALERT`; None clears it); a request that got no such answer is
        logged and changes nothing. Uploads go on regardless."""
        assert self.client is not None
        try:
            try:
                answer: dict[str, Any] | None = self.client.backlog_keys(
                    self.keys.public_signing_key())
                problem = None
            except SigningKeyHeld as exc:  # its centre key is still worth keeping
                log.error("%s", messages.both("sync.log.signing_key_held", reason=exc))
                problem = self._signing_key_held(exc)
                answer = ({"centre_key": exc.centre_key, "centre_id": exc.centre_id}
                          if exc.centre_key else None)
            if answer is not None:
                self.keys.remember(answer)
        except CentreKeyChanged as exc:
            log.error("%s", messages.both("sync.log.centre_key_changed",
                                          server=self.client.base, kept=exc.kept,
                                          offered=exc.offered))
            problem = messages.Words("backlog.centre_key_changed", {
                "server": self.client.base, "kept": exc.kept, "offered": exc.offered})
        except Refused as exc:  # not an answer about the keys: ask again later
            if exc.status == 404:  # a centre of a release before the key exchange
                problem = messages.Words("backlog.centre_too_old", {"server": self.client.base})
                log.warning("%s", messages.both(problem.code, **problem.params))
                self.board.save_meta(self.store, {MetaKey.KEYS_ALERT: problem.saved()})
                return problem
            log.warning("%s", messages.both("sync.log.keys_not_exchanged", reason=exc))
            return None
        except SyncError as exc:  # offline, as a site exporting a file often is
            log.info("%s", messages.both("sync.log.keys_not_exchanged", reason=exc))
            return None
        except (backlog_keys.BadKey, OSError) as exc:
            log.warning("%s", messages.both("sync.log.keys_not_exchanged", reason=exc if
                                            isinstance(exc, backlog_keys.BadKey)
                                            else messages.os_words(exc)))
            if isinstance(exc, OSError):  # the system's English: -v
                log.info("sync: backlog keys not exchanged: %s", exc)
            return None
        self._keys_exchanged = True
        self.board.save_meta(self.store, {MetaKey.KEYS_ALERT: problem.saved() if problem
                                          else None})
        return problem

    def _signing_key_held(self, exc: SigningKeyHeld) -> messages.Words:
        """The 409's words for the operator: the key the centre holds (as its answer names
        it) and this kiosk's, with the administrator's steps."""
        said = exc.words.params.get("error")
        held = (said.params.get("fingerprint") if isinstance(said, messages.Words)
                and said.code == "enrolment.signing_key_held" else None)
        own = self.keys.signing_key().public_key()
        return messages.Words("backlog.signing_key_conflict", {
            "kiosk": self.kiosk_id, "held": held or "?",
            "own": backlog_keys.fingerprint(own), "public": backlog_keys.encode(own)})

    def _auth_words(self, exc: AuthRefused) -> messages.Words:
        """A refused token or kiosk: the centre's words with the administrator's way back
        (``kiosks token`` for this same kiosk id)."""
        code = "auth_401" if exc.status == 401 else "auth_403"
        return messages.Words(f"sync.{code}", {"detail": exc.words, "kiosk": self.kiosk_id,
                                               "setting": self.token_setting})

    def _check_in(self) -> None:
        """An idle cycle: a heartbeat to a centre that takes it, else a health check."""
        assert self.client is not None and self.uploader is not None
        if self.uploader.health is None:
            self._ask_centre()
        if self.uploader.health is None:
            return
        sent_at = dt.datetime.now(dt.UTC)
        body, encoding = protocol.encode_body(
            protocol.make_heartbeat(self.kiosk_id, self._health_report(sent_at), sent_at,
                                    send_boot=self._beats_boot),
            self.uploader.encoding)
        try:
            self.client.post_heartbeat(body, encoding)
        except AuthRefused as exc:  # a revoked token shows while idle too
            self._failed(exc, progressed=False)
            return
        except SyncError as exc:
            log.warning("%s", messages.both("sync.log.heartbeat_failed", reason=exc))
            if isinstance(exc, Refused):  # the centre no longer takes it: ask again next time
                self._forget_features()
            online = exc.reached_server
        else:
            online = True
        self.board.update(lambda state: replace(state, online=online))

    def _failed(self, exc: SyncError, *, progressed: bool) -> None:
        """Count the failure, publish it, and log and save it for other processes — the same
        failure again within :data:`FAILURE_REPEAT_SECONDS` only published."""
        self.scheduler.failed(exc, progressed=progressed)  # 401/403 pause uploads
        alert = None
        if isinstance(exc, AuthRefused):
            alert = self._auth_words(exc)
        elif isinstance(exc, EverySizeRefused):  # a proxy, not the centre: its own words
            alert = exc.words
        elif isinstance(exc, Refused):
            alert = messages.Words("sync.refused", {"detail": exc.words})
        error, now = exc.words.saved(), time.monotonic()
        state = self.board.update(lambda state: state.failed(
            error, at=time.time(), reached_server=exc.reached_server, alert=alert))
        if (self.scheduler.failures > 1 and error == self._said[0]
                and now - self._said[1] < FAILURE_REPEAT_SECONDS):
            return  # the same failure as last said, lately: the screen shows it anyway
        self._said = (error, now)
        log.warning("%s", messages.both("sync.log.upload_failed", reason=exc))
        self.board.save(self.store, state, FAILURE_KEYS)

    # -- operator actions -----------------------------------------------------------------
    def push_now(self, progress: Callable[[Progress], None] | None = None, *,
                 elsewhere: Mapping[str, int] | None = None, max_wait: float | None = None,
                 waiting: Callable[[Wait], None] | None = None,
                 another: Callable[[int], None] | None = None) -> PushSummary:
        """Send everything pending now, retrying transient failures. Damage its reads meet
        is damage found (:meth:`_meeting_damage`): the push answers why it stopped.
        ``elsewhere``: the pending entries of other kiosk ids, when the caller has counted
        them (:meth:`Store.pending_elsewhere`): the progress's whole, and the health reports'
        count, are the rest.
        ``max_wait``: a wait the centre asks for that is longer ends the push at once
        (``sync.push_wait_too_long``, the background worker still waiting it out); None
        waits any. ``waiting(wait)`` is told each wait the centre asked for, before it;
        ``another(pid)`` that another process is sending this store's backlog (pid 0: not
        known yet), the push waiting for it to end — ``max_wait`` at most too
        (``sync.push_another_still_sending``)."""
        tally = Tally()
        with contextlib.ExitStack() as sending:
            error = self._wait_for_sending(sending, max_wait, another)
            if error is None:
                error = self._push_in_turn(tally, progress, elsewhere, max_wait, waiting)
        return PushSummary(tally.accepted, tally.duplicate, tally.rejected, tally.batches,
                           time.monotonic() - tally.started, self.board.state.pending, error,
                           tally.past_retention, tally.retention_cut,
                           tally.filed_at_arrival)

    def _push_in_turn(self, tally: Tally, progress: Callable[[Progress], None] | None,
                      elsewhere: Mapping[str, int] | None, max_wait: float | None,
                      waiting: Callable[[Wait], None] | None) -> messages.Words | None:
        """The push itself, holding the worker's turn; why it stopped, if it did."""
        with self.scheduler.turn(push=True):
            def push() -> SyncError | None:
                return self._push(tally, progress, elsewhere, max_wait, waiting)

            failure = self._meeting_damage(push, push)
            if failure is None and (refusing := self._store_refuses()) is not None:
                return self._stop_for_store(refusing)  # every entry pending went once
            if failure is None:
                self.scheduler.succeeded()
                return self._held_back()
            self.scheduler.back_off(failure)
            # a refused token: the way back too, as the screen's alert and the doctor say
            return (self._auth_words(failure) if isinstance(failure, AuthRefused)
                    else failure.words)

    def _wait_for_sending(self, sending: contextlib.ExitStack, max_wait: float | None,
                          another: Callable[[int], None] | None) -> messages.Words | None:
        """Take the store's sending lock (:mod:`kiosk.sync.sending`) into ``sending`` for the
        push. Another process sending this store's backlog is waited for, ``another(pid)``
        told: what it sends is not sent twice, and the push then sends what it left — an
        exit at once would fail every push made while ``kiosk run``'s worker uploads. The
        wait is outside the worker's turn, so that its background keeps checking in (a turn
        held, the centre saw the kiosk silent for as long as the other sent: an hour's
        Retry-After waited out, or for good behind a push stopped with Ctrl-Z), and lasts
        ``max_wait`` at most (None: any), the words then naming the holder. No token:
        nothing is sent, nothing waited for."""
        if self.uploader is None:
            return None
        deadline = math.inf if max_wait is None else time.monotonic() + max_wait
        told = None
        while True:
            with contextlib.ExitStack() as attempt:
                if (holder := attempt.enter_context(self.sending.hold())) is None:
                    sending.push(attempt.pop_all())  # held for the push
                    return None
            if another is not None and holder != told:
                another(holder)
            told = holder
            left = deadline - time.monotonic()
            if left <= 0:
                return messages.Words("sync.push_another_still_sending", {
                    "pid": holder or "?", "limit": messages.Number(max_wait)})
            if self.scheduler.sleep(min(SENDING_POLL_SECONDS, left)):
                return messages.Words("sync.stopped")

    def _held_back(self) -> messages.Words | None:
        """Why a push that ended normally did not send everything: entries held back, that
        the centre did not store in time even sent alone (no backoff: they do not hold the
        rest back)."""
        held = self.uploader.held_back() if self.uploader else []
        if not held:
            return None
        named = ", ".join(held[:HELD_NAMED]) + (" …" if len(held) > HELD_NAMED else "")
        return messages.Words("sync.push_held", {"count": len(held), "entries": named})

    def _push(self, tally: Tally, progress: Callable[[Progress], None] | None,
              elsewhere: Mapping[str, int] | None, max_wait: float | None,
              waiting: Callable[[Wait], None] | None) -> SyncError | None:
        """Drain everything, retrying transient failures; the failure that ended it, if any.
        The store's sending lock is held (:meth:`_wait_for_sending`)."""
        if self.uploader is not None and self._stopped_for_store():
            assert self._store_refused is not None
            return SyncError(self._store_refused.code, **self._store_refused.params)
        if (damage := self._store_damaged()) is not None:  # no token: nothing read either
            stopped = self._stop_for_store(damage)
            return SyncError(stopped.code, **stopped.params)
        if self.uploader is None:
            self._recount()
            assert self._unlinked is not None
            return SyncError(self._unlinked.code, **self._unlinked.params)
        total = self._recount().pending  # after a wait: what the other sender left
        if total:  # what this token sends: not another kiosk id's
            others = self.store.pending_elsewhere(self.kiosk_id) if elsewhere is None \
                else elsewhere
            total -= sum(others.values())
            self.board.update(lambda state: replace(state, elsewhere=tuple(others.items())))
        self._store_refuses()  # its status saved no more, or again
        self.scheduler.resume()  # the operator retries on purpose, e.g. after a new token
        if not self._features_known:
            self._ask_centre()
        report = _progress_reporter(progress, tally, total)
        attempts = 0
        while True:
            before = tally.done
            try:
                self.uploader.drain(tally, report,
                                    lambda: self.scheduler.must_yield(background=False),
                                    held_too=True)
                return None
            except Yield:  # the kiosk is shutting down
                return SyncError("sync.stopped")
            except SyncError as exc:
                progressed = tally.done > before
                self._failed(exc, progressed=progressed)
                if isinstance(exc, AuthRefused | Refused):
                    return exc
                attempts = 1 if progressed else attempts + 1
                if attempts >= PUSH_ATTEMPTS:
                    return exc
                delay = self.scheduler.backoff_delay(attempts, exc)
                if (asked := self.scheduler.asked_wait(exc)) is not None:
                    wait = Wait(asked, dt.datetime.now(self.store.timezone), delay)
                    if max_wait is not None and asked > max_wait:
                        return self._waits_too_long(exc, wait, max_wait)
                    if waiting is not None:
                        waiting(wait)
                if self.scheduler.sleep(delay):
                    return exc

    @staticmethod
    def _waits_too_long(exc: SyncError, wait: Wait, max_wait: float) -> ServerBusy:
        """The push's failure when the centre asks for a longer wait than ``max_wait``: its
        words say until when, and it carries the centre's ``Retry-After`` on, so that the
        background worker still waits it out (:meth:`Scheduler.back_off`)."""
        return ServerBusy("sync.push_wait_too_long", wait.seconds, reason=exc.words,
                          seconds=messages.Number(wait.seconds), until=wait.ends(),
                          limit=messages.Number(max_wait))

    def retry_rejected(self, actor: str = "operator") -> int:
        count = self.store.retry_rejected(actor)
        self._recount()
        self.notify()
        return count

    def learn_keys(self) -> messages.Words | None:
        """Ask the centre for the backlog keys when this kiosk lacks them (the centre's key,
        or the centre's word that it holds this kiosk's): a push with nothing to send
        still does, since "connect once" is how a kiosk bound for a site with no network
        gets them. Why the centre's key is still not known (the centre out of reach, an
        older centre, a key held by another), or None: known, or nothing to ask with (no
        token: the export says so)."""
        if self.client is None:
            return None
        known = self.keys.summary()
        if known["centre_key"] is not None and known["registered"]:
            return None
        try:
            self.client.health()
        except SyncError as exc:
            return exc.words
        problem = self._exchange_keys()
        if self.keys.centre() is not None:
            return None
        return problem or messages.Words("sync.keys_not_exchanged")

    def export(self, path: str | Path,
               progress: Callable[[int], None] | None = None, *,
               force: bool = True, kiosk_id: str | None = None) -> ExportSummary:
        """Write every pending entry to a backlog file signed by this kiosk and sealed to
        the centre, check the disk's copy, then label them ``sent``. ``force=False``: a
        file already at ``path`` is kept (:class:`kiosk.private_files.OutputExists`); the
        screen's file dialog has asked before replacing one. ``kiosk_id``: the entries
        recorded under that other id instead (:meth:`Store.pending_elsewhere`), in a file of
        that kiosk's, signed by this machine's key (the one it registered under that id, if
        the keys were kept)."""
        whose = kiosk_id or self.kiosk_id
        signing_key = self.keys.signing_key()
        found = None
        if self.client is not None:  # if the centre can be asked, the keys are checked now
            found = self._exchange_keys()  # (enrolled before format 2, or a key reset since)
        if found is not None and found.code == "backlog.centre_key_changed":
            raise backlog.BacklogError("centre_key_changed", **found.params)
        standing = saved_keys_alert(self.store)  # an enrolment since may have cleared it
        conflict = (standing if standing is not None
                    and standing.code == "backlog.signing_key_conflict" else None)
        centre = self.keys.centre()
        if centre is None:
            if conflict is not None:
                raise backlog.BacklogError("signing_key_conflict", **conflict.params)
            if standing is not None and standing.code == "backlog.centre_too_old":
                raise backlog.BacklogError("centre_too_old", **standing.params)
            if self.keys.centre_path.exists():  # kept but unusable (centre() logged why)
                raise backlog.BacklogError("centre_key_damaged", file=self.keys.centre_path)
            raise backlog.BacklogError("no_centre_key")
        written_ids = bytearray()  # 16 bytes an entry: a million ids take 16 MB

        def rows() -> Iterable[dict[str, Any]]:
            for row in pending_rows(self.store, whose):
                written_ids.extend(uuid.UUID(row["id"]).bytes)
                yield row

        unrecorded: list[messages.Words] = []  # why the export's record was not kept

        def record(written: backlog.Written) -> None:
            """The ``sync.export`` record (the entries' SHA-256, the receipt key the
            centre's answer is checked with), before the file takes its name. A store
            refusing it does not stop the file: it may be the only copy of the entries."""
            manifest = written.manifest
            if self.store.read_only:  # audit() keeps nothing then (a disk too full)
                unrecorded.append(self.store.refusing or messages.Words(
                    "store.not_writable", {"path": self.store.path}))
                return
            try:
                self.store.audit("operator", "sync.export", {
                    "file": str(path), "kiosk_id": whose, "entries": manifest.entries,
                    "first_id": manifest.first_id,
                    "last_id": manifest.last_id, "sha256": manifest.entries_sha256,
                    "signing_key": manifest.signing_key,
                    "centre_key": backlog_keys.fingerprint(centre.centre_key),
                    "receipt_key": written.receipt_key.hex()})
            except StoreError as exc:
                unrecorded.append(exc.words)

        first = self.store.pending(1, kiosk_id=whose)
        written = backlog.write_backlog(
            path, rows(), signing_key=signing_key, centre_key=centre.centre_key,
            kiosk_id=whose, progress=progress, force=force, recorded=record,
            checkpoint_id=first[0]["checkpoint_id"] if first and whose != self.kiosk_id else
            self.checkpoint_id)
        backlog.check_written(path, written)  # what is really on the stick
        manifest = written.manifest
        marked = 0
        not_marked = None
        try:
            marked = self.store.mark_sent(str(uuid.UUID(bytes=bytes(written_ids[i:i + 16])))
                                          for i in range(0, len(written_ids), 16))
            if not unrecorded:  # the export finished: its entries marked
                self.store.audit("operator", "sync.export_marked", {
                    "file": str(path), "sha256": manifest.entries_sha256, "marked": marked})
        except StoreError as exc:  # the file is good: "failed" would have it thrown away
            log.error("%s", messages.both("sync.log.export_not_marked", path=path,
                                          entries=manifest.entries, reason=exc))
            not_marked = messages.Words("sync.export_not_marked", {
                "entries": manifest.entries, "path": path, "why": exc.words})
            if exc.words.code in FILE_LOST:  # the record went with the file its path lost
                unrecorded.append(exc.words)
        if unrecorded:  # its answer cannot be loaded here: said, whatever was marked
            not_marked = messages.Words("sync.export_unrecorded", {
                "entries": manifest.entries, "path": path, "why": unrecorded[0]})
        self._recount()
        registered = whose == self.kiosk_id and \
            centre.registered_signing_key == manifest.signing_key
        key = {"key": self.keys.signing_key_path, "kiosk": whose,
               "public": self.keys.public_signing_key()}
        if whose != self.kiosk_id:  # the centre answered of this kiosk id's key, not that one's:
            conflict = None  # a refusal is not known (it always said so, wrongly when held)
            note = messages.Words("sync.export_key_unknown", {**key, "own": self.kiosk_id})
        elif conflict is not None:
            note = messages.Words("sync.export_refused_at_centre", {"problem": conflict})
        else:
            note = None if registered else messages.Words("sync.export_key_unconfirmed", key)
        return ExportSummary(Path(path), manifest.entries, written.size, manifest.first_id,
                             manifest.last_id, marked, registered, conflict, note, not_marked)


def _progress_reporter(progress: Callable[[Progress], None] | None, tally: Tally,
                       total: int) -> Callable[[], None] | None:
    if progress is None:
        return None

    def report() -> None:
        elapsed = time.monotonic() - tally.started
        done = tally.done
        rate = done / elapsed if elapsed > 0 else 0.0
        whole = max(total, done)
        eta = (whole - done) / rate if rate > 0 else None
        progress(Progress(done, whole, tally.accepted, tally.duplicate, tally.rejected,
                          elapsed, rate, eta))
    return report
