"""Blocking work off the GUI thread, answers back on it.

Every database read, device call, file write and network request the screens need goes
through a ``Background`` lane: the call runs in the lane's worker thread and its result (or
exception) is handed to a callback on the GUI thread by a queued Qt signal. The GUI thread
therefore never waits for SQLite, a device or the network.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from kiosk.messages import Words, both

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class Background(QObject):
    """One named lane of worker threads; ``workers=1`` keeps its calls in submission order.
    ``finish_queued``: its calls are work promised (a scan to record), run at a close even
    when they wait, not dropped like a read (:meth:`shutdown`)."""

    _answer = Signal(object, object)

    def __init__(self, name: str, parent: QObject | None = None, *, workers: int = 1,
                 finish_queued: bool = False) -> None:
        super().__init__(parent)
        self.name = name
        self.finish_queued = finish_queued
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"ui-{name}")
        self._closed = False
        self._latest: dict[Hashable, tuple[Callable[[], Any], Done | None, Failed | None]] = {}
        self._latest_lock = threading.RLock()  # a call done at once forgets itself in it
        self._queued: dict[Future[Any], Words] = {}
        """Each call submitted and not yet done, by what it is in words (named in the log
        when a close stops waiting for it); guarded by ``_latest_lock``."""
        # Emitted from a worker thread, received by this GUI-thread object: a queued call.
        self._answer.connect(self._deliver)

    def submit(self, fn: Callable[..., Any], *args: Any, what: Words, done: Done | None = None,
               failed: Failed | None = None) -> Future[Any] | None:
        """Run ``fn(*args)`` in the lane; ``what`` it is, in words, for the log (a function's
        own name is ``<lambda>`` at most call sites)."""
        with self._latest_lock:
            if self._closed:
                return None
            return self._queue(what, self._run, what, fn, args, done, failed)

    def submit_latest(self, key: Hashable, fn: Callable[[], Any], *, what: Words,
                      done: Done | None = None, failed: Failed | None = None) -> None:
        """Coalesce: at most one call per ``key`` waits behind the running one, and a newer
        request replaces the waiting one (a burst of refreshes → one read of the latest)."""
        with self._latest_lock:
            if self._closed:
                return
            queued = key in self._latest
            self._latest[key] = (fn, done, failed)
            if not queued:
                self._queue(what, self._run_latest, key, what)

    def _queue(self, what: Words, call: Callable[..., None], *args: Any) -> Future[Any]:
        """Submit ``call(*args)``, kept in ``_queued`` until done (``_latest_lock`` held)."""
        future = self._pool.submit(call, *args)
        self._queued[future] = what
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._latest_lock:
            self._queued.pop(future, None)

    def _run_latest(self, key: Hashable, what: Words) -> None:
        with self._latest_lock:
            waiting = self._latest.pop(key, None)
        if waiting is not None:  # None: shut down meanwhile
            fn, done, failed = waiting
            self._run(what, fn, (), done, failed)

    def _run(self, what: Words, fn: Callable[..., Any], args: tuple[Any, ...],
             done: Done | None, failed: Failed | None) -> None:
        try:
            value = fn(*args)
        except Exception as exc:
            if failed is None:
                log.exception("%s", both("ui.log.background_failed", name=self.name,
                                         job=what))
            self._answer.emit(failed, exc)
        else:
            self._answer.emit(done, value)

    @Slot(object, object)
    def _deliver(self, callback: Callable[[Any], None] | None, value: Any) -> None:
        if callback is not None and not self._closed:
            callback(value)

    def shutdown(self, *, wait: float = 0.0) -> list[Words]:
        """Refuse new work and drop what waits — unless the lane finishes its queued calls:
        they run then, in order (a wedge scan or a manual entry queued behind one waiting for
        the store's write lock was dropped, never recorded); wait up to ``wait`` seconds in
        all. A queued call not begun by then is dropped after all and logged by name: never
        answered, it was never shown as accepted. What still runs then is logged too, and
        all these are returned: the window closes and the store is closed without it (a
        close waited with no limit — a push to a centre that holds the connection open
        retries for minutes), but the process ends only when it does (the lane's threads are
        joined at exit: a file being written is finished or removed by its own code, never
        cut mid-way by the kiosk)."""
        with self._latest_lock:
            self._closed = True
            self._latest.clear()
        self._pool.shutdown(wait=False, cancel_futures=not self.finish_queued)
        with self._latest_lock:
            submitted = list(self._queued)
        concurrent.futures.wait(submitted, timeout=wait)
        with self._latest_lock:
            left = list(self._queued.items())
        dropped = [what for future, what in left if future.cancel()]  # not begun
        running = [what for future, what in left if not future.cancelled()]
        seconds = f"{wait:g}"
        for what in dropped:
            log.warning("%s", both("ui.log.lane_dropped", name=self.name, job=what,
                                   seconds=seconds))
        if wait > 0:
            for what in running:
                log.warning("%s", both("ui.log.lane_still_running", name=self.name, job=what,
                                       seconds=seconds))
        return running + dropped
