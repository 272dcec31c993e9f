"""The one place where the running ``Kiosk`` meets Qt.

Pipeline results, device status and sync state arrive on device/sync threads; the bridge
re-emits them as Qt signals, which Qt queues to the GUI thread. Reads of the database go
through the ``db`` lane on a ``Store`` of its own (the pipeline's connection stays the
pipeline's: see the locking rule in kiosk/store.py), other slow calls through the ``io``
lane. Screens never write SQL: they call ``Store`` methods.

A screen's refresh is a *keyed* read: while one runs, only the newest request for the same
key waits, so a burst of scans costs one refresh, and closing interrupts a running read
instead of waiting for it.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.devices.supervisor import Supervisor
from kiosk.messages import Words, both, failure_words
from kiosk.scan import ScanResult
from kiosk.store import Store
from kiosk.sync.status import MetaKey, error_current, pending_age_seconds, saved_keys_alert
from kiosk.ui.background import Background, Done, Failed

log = logging.getLogger(__name__)

CLOSE_WAIT_SECONDS = 5.0
"""How long a close waits for each lane's calls (the scans, queued ones too, then the slow
actions running): a scan is answered only once committed, so one not awaited was never
answered as recorded."""
SYNC_POLL_MS = 3000
"""The status strip's sync line: pending/rejected from the partial indexes (no full count)."""
WORKER_FIELDS = ("online", "last_success", "last_error", "last_error_at", "last_error_over",
                 "alert", "uploading", "elsewhere")
"""What only the sync worker knows; counts are read from the store."""


@dataclass(frozen=True)
class SyncView:
    """What the screens show about sync, from the sync worker when there is one, else the store."""

    enabled: bool
    pending: int
    rejected: int
    acknowledged: int | None
    """Counted only when a screen asks for totals (a full count), else None."""
    oldest_pending_age_seconds: float | None
    """None when nothing is pending, or when the oldest has no age (:func:`kiosk.clock.age_of`:
    later than the clock reads, or recorded by a wrong clock): ``oldest_pending`` is shown."""
    oldest_pending: str | None = None
    """``scanned_at`` (store text, UTC) of the oldest pending entry."""
    online: bool | None = None
    last_success: Any = None
    last_error: str = ""
    last_error_at: float | None = None
    last_error_over: bool = False

    @property
    def error_current(self) -> bool:
        """The last error still stands (:func:`kiosk.sync.status.error_current`)."""
        return error_current(self.last_error, self.last_error_over)
    alert: Words | None = None
    """Worded by the screen that shows it, in its language."""
    uploading: bool = False
    past_retention: str = ""
    """Saved Words (``sync.past_retention_saved``), read from the store whoever saved it (the
    background sync, a push, ``kiosk sync push``): entries marked done, the centre holding
    none of them. Worded by :func:`kiosk.sync.status.past_retention_text`."""
    elsewhere: tuple[tuple[str, int], ...] = ()
    """Pending entries of other kiosk ids, which this token cannot send
    (:attr:`kiosk.sync.status.SyncState.elsewhere`)."""
    store_refusing: Words | None = None
    """Why the kiosk's store records no scan (:meth:`kiosk.store.Store.not_recording`:
    damaged, deleted or replaced, or the last write failed: its disk full or read-only,
    another program holding its write lock): the strip says so before the next scan's card
    does, and the card between scans."""


class KioskBridge(QObject):
    result = Signal(object)
    """A ScanResult, emitted only after the pipeline committed (or refused) it."""
    scan_begun = Signal(object)
    """A Scan the pipeline took up: its result follows (the card says it is being saved
    when that is slow)."""
    device_status = Signal(object)
    """A DeviceStatus of the current supervisor."""
    sync_changed = Signal(object)
    """A SyncView."""
    supervisor_replaced = Signal(object)
    _sync_poked = Signal()

    def __init__(self, kiosk: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.kiosk = kiosk
        self.db = Background("db", self)
        self.scans = Background("scan", self, finish_queued=True)
        self.io = Background("io", self, workers=2)
        self._reader: Store | None = None
        self._reader_lock = threading.Lock()
        self._unsubscribe = kiosk.pipeline.subscribe(self.result.emit)
        self._unsubscribe_begun = kiosk.pipeline.subscribe_begun(self.scan_begun.emit)
        self._watch_supervisor(kiosk.supervisor)
        self._sync_poked.connect(self.refresh_sync)
        self.result.connect(self._count_recorded)
        self._watch_sync()
        self._sync_timer = QTimer(self)
        self._sync_timer.setInterval(SYNC_POLL_MS)
        self._sync_timer.timeout.connect(self.refresh_sync)
        self._sync_timer.start()

    # -- the parts of the kiosk that may or may not exist ---------------------------------
    @property
    def config(self) -> Any:
        return self.kiosk.config

    @property
    def sync(self) -> Any:
        """The sync worker, or None when sync is disabled or not installed."""
        return getattr(self.kiosk, "sync", None)

    # -- database reads, off the GUI thread -----------------------------------------------
    def _store(self) -> Store:
        """The screens' own connection, opened on first use, to the store the kiosk opened
        (made) at its start: never an empty one made where that file was deleted since
        (StoreError store.missing), whose counts and list would show no scan at all, nor
        another file moved over it (store.replaced: it would share the store's log)."""
        with self._reader_lock:
            if self._reader is None:
                self._reader = Store(self.config.store_path, timezone=self.config.timezone,
                                     create=False, same_as=self.kiosk.store.identity)
            return self._reader

    def read(self, query: Callable[[Store], Any], done: Done | None = None,
             failed: Failed | None = None, *, key: str | None = None) -> None:
        """Run ``query(store)`` in the db lane; with ``key``, coalesced with other reads of
        that key (only the newest waiting one runs)."""
        read = Words("ui.job.read")
        if key is None:
            self.db.submit(lambda: query(self._store()), what=read, done=done, failed=failed)
        else:
            self.db.submit_latest(key, lambda: query(self._store()), what=read, done=done,
                                  failed=failed)

    def record(self, call: Callable[[], Any], done: Done | None = None,
               failed: Failed | None = None, *, job: str) -> None:
        """A pipeline submission (manual entry, wedge scan): one lane, in arrival order.
        ``job``: the catalogue's words for it (``ui.job.…``), for the log."""
        self.scans.submit(call, what=Words(job), done=done, failed=failed)

    def run(self, call: Callable[[], Any], done: Done | None = None,
            failed: Failed | None = None, *, job: str) -> None:
        """A slow non-database call (sync push, export, device restart, preview). ``job``:
        the catalogue's words for it (``ui.job.…``), for the log."""
        self.io.submit(call, what=Words(job), done=done, failed=failed)

    def audit(self, action: str, detail: dict[str, Any]) -> None:
        """Written in the scans lane: waited for at shutdown, never dropped like a read."""
        actor = self.config.kiosk.operator or "officer"
        self.record(lambda: self._store().audit(actor, action, detail), job="ui.job.audit")

    # -- sync -----------------------------------------------------------------------------
    def refresh_sync(self, *, totals: bool = False) -> None:
        """Publish a SyncView; ``totals`` adds the acknowledged count (a full count: only
        for the sync screen, on demand)."""
        self.read(lambda store: self._sync_view(store, totals), done=self.sync_changed.emit,
                  failed=self._sync_unread, key="sync-totals" if totals else "sync")

    def _count_recorded(self, result: ScanResult) -> None:
        """An entry recorded is one more to send: the strip counts it now, not at the next
        poll (it read one scan behind for up to :data:`SYNC_POLL_MS`)."""
        if result.recorded:
            self.refresh_sync()

    def _sync_unread(self, error: BaseException) -> None:
        """The screens' connection could not read the store. When the kiosk's own store
        records no scan (its file deleted or replaced: the screens' connection is refused
        too; a failing disk), the strip says why instead of counts of a file no longer
        there; anything else is logged."""
        refusing = self.kiosk.store.not_recording()
        if refusing is None:
            log.error("%s", both("ui.log.sync_status_not_read", reason=failure_words(error)
                                 if isinstance(error, sqlite3.Error | OSError) else error))
            log.info("sync status not read: %r", error)  # its own English: -v
            return
        self.sync_changed.emit(self._with_worker(SyncView(
            enabled=self.sync is not None, pending=0, rejected=0, acknowledged=None,
            oldest_pending_age_seconds=None, store_refusing=refusing)))

    def _with_worker(self, view: SyncView) -> SyncView:
        """``view`` with the sync worker's own state (its alert, online, last upload): held
        in memory, so shown even when the screens' connection cannot read the store (a
        store folder out of reach before that connection was first opened: the sync
        screen never said uploads were paused)."""
        sync = self.sync
        if sync is None or not hasattr(sync, "state"):
            return view
        state = sync.state()  # counts stay the store's own: always fresh, same source
        return dataclasses.replace(view, **{k: getattr(state, k) for k in WORKER_FIELDS
                                            if getattr(state, k, None) is not None})

    def _sync_view(self, store: Store, totals: bool) -> SyncView:
        outbox = store.outbox_summary()
        oldest = outbox.oldest_pending
        view = SyncView(
            enabled=self.sync is not None,
            pending=outbox.pending,
            rejected=outbox.rejected,
            acknowledged=store.sync_counts()["acknowledged"] if totals else None,
            oldest_pending_age_seconds=pending_age_seconds(oldest),
            oldest_pending=oldest,
            past_retention=store.meta(MetaKey.PAST_RETENTION).get(MetaKey.PAST_RETENTION, ""),
            # look: has another program holding the write lock let go? (tried here, in
            # the db lane: never on the GUI thread)
            store_refusing=self.kiosk.store.not_recording(look=True),
        )
        if view.store_refusing is not None and self.kiosk.store.room_again():
            self.scans.submit_latest("room", self.kiosk.store.write_on_room,
                                     what=Words("ui.job.room_again"), done=self._room_written)
        view = self._with_worker(view)
        if self.sync is None or not hasattr(self.sync, "state") or view.alert is not None:
            return view
        keys_alert = saved_keys_alert(store)  # as saved: an enrolment may have cleared it
        return view if keys_alert is None else dataclasses.replace(view, alert=keys_alert)

    def _room_written(self, written: bool) -> None:
        """The disk that was full took a write again (:meth:`kiosk.store.Store.write_on_room`,
        run in the scans lane, in order with the scans and under the store's lock, as a scan
        is): the strip and the card say so now, not at the next poll."""
        if written:
            self.refresh_sync()

    def _watch_sync(self) -> None:
        sync = self.sync
        if sync is not None and hasattr(sync, "subscribe"):
            sync.subscribe(lambda _state: self._sync_poked.emit())

    # -- devices --------------------------------------------------------------------------
    def _watch_supervisor(self, supervisor: Supervisor) -> None:
        def relay(status: Any) -> None:
            if supervisor is self.kiosk.supervisor:  # a replaced supervisor's last words
                self.device_status.emit(status)
        supervisor.subscribe(relay)

    def apply_config(self, config: Any, done: Done | None = None,
                     failed: Failed | None = None) -> None:
        """Restart the devices (and the sync worker, when the link to the centre changed)
        with a saved config, off the GUI thread, without an app restart."""
        before = self.sync

        def swap() -> Supervisor:
            return self.kiosk.apply(config, watch=self._watch_supervisor)

        def announced(new: Supervisor) -> None:
            if self.sync is not before:
                self._watch_sync()
                self.refresh_sync()
            self.supervisor_replaced.emit(new)
            if done is not None:
                done(new)
        self.run(swap, done=announced, failed=failed, job="ui.job.apply_config")

    # -- shutdown -------------------------------------------------------------------------
    def close(self) -> None:
        """Scans (those queued too, in order) and running slow actions are waited for, each
        lane up to ``CLOSE_WAIT_SECONDS`` (a scan not begun by then is logged as not
        recorded; what still runs is logged: the process ends when it does); a running read is
        interrupted, not awaited (a helper thread interrupts it until it lets go, then
        closes the connection)."""
        self._sync_timer.stop()
        self._unsubscribe()
        self._unsubscribe_begun()
        self.scans.shutdown(wait=CLOSE_WAIT_SECONDS)
        self.db.shutdown()
        self.io.shutdown(wait=CLOSE_WAIT_SECONDS)
        with self._reader_lock:
            reader, self._reader = self._reader, None
        if reader is not None:
            threading.Thread(target=reader.interrupt_and_close, name="ui-db-close",
                             daemon=True).start()
