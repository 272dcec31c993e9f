"""A revoked kiosk's refused attempts: counted in memory, written at most once an interval.

Each request bearing a revoked token used to be a write transaction (``refused_attempts``
+1, a commit with its fsync) taken before any per-kiosk limit: 16 threads knocking with one
revoked token made 1,302 commits in 2.8 s and doubled a live kiosk's batch time (review 43
F2). The administrator needs to know that a revoked token is in use, and about how often, not
each knock as it happens: a kiosk's first attempt after a quiet interval is written at once,
the ones after it are added up here and written together once that interval has passed
(:meth:`RefusedAttempts.flush_due`, run in the background by the app, and
:meth:`RefusedAttempts.flush` at shutdown). So the database's count and last attempt time
are at most one interval behind, and a flood costs one write an interval per kiosk.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time

from kiosk.central.storage import Storage, StorageError

WRITE_INTERVAL = 60.0
"""Seconds between two writes of one revoked kiosk's refused attempts."""


class RefusedAttempts:
    def __init__(self, storage: Storage, interval: float = WRITE_INTERVAL) -> None:
        self.storage, self.interval = storage, interval
        self._pending: dict[str, tuple[int, dt.datetime]] = {}
        """kiosk id → (attempts not yet written, time of the latest)."""
        self._written: dict[str, float] = {}
        """kiosk id → monotonic time of its last write, while less than an interval old."""
        self._lock = threading.Lock()  # noted from worker threads, flushed from another

    def note(self, kiosk_id: str, at: dt.datetime, now: float | None = None) -> None:
        """Count one refused attempt at ``at``; written (with those pending) at once unless
        the kiosk's last write is less than an interval old. Raises the storage's error, the
        attempts kept for the next write."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._add(kiosk_id, 1, at)
            if now - self._written.get(kiosk_id, -math.inf) < self.interval:
                return
            self._written[kiosk_id] = now
            count, latest = self._pending.pop(kiosk_id)
        self._write(kiosk_id, count, latest)

    def flush_due(self, now: float | None = None) -> float:
        """Write the attempts of every kiosk whose last write is an interval old; the seconds
        until the next is due (an interval when none is pending)."""
        now = time.monotonic() if now is None else now
        due, wait = [], self.interval
        with self._lock:
            for kiosk_id, written in list(self._written.items()):
                left = written + self.interval - now
                if left > 0:
                    if kiosk_id in self._pending:
                        wait = min(wait, left)
                elif kiosk_id in self._pending:
                    self._written[kiosk_id] = now
                    due.append((kiosk_id, *self._pending.pop(kiosk_id)))
                else:  # quiet for an interval: its next attempt is written at once
                    del self._written[kiosk_id]
        self._write_all(due)
        return wait

    def flush(self) -> None:
        """Write every pending attempt now (at shutdown)."""
        with self._lock:
            due = [(kiosk_id, *pending) for kiosk_id, pending in self._pending.items()]
            self._pending.clear()
        self._write_all(due)

    def _write_all(self, due: list[tuple[str, int, dt.datetime]]) -> None:
        """Write each; the first failure is raised once all were tried."""
        failure: StorageError | None = None
        for kiosk_id, count, latest in due:
            try:
                self._write(kiosk_id, count, latest)
            except StorageError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    def _write(self, kiosk_id: str, count: int, latest: dt.datetime) -> None:
        try:
            self.storage.note_refused_attempt(kiosk_id, latest, count=count)
        except StorageError:
            with self._lock:  # not lost: written with the next
                self._add(kiosk_id, count, latest)
            raise

    def _add(self, kiosk_id: str, count: int, at: dt.datetime) -> None:
        held, latest = self._pending.get(kiosk_id, (0, at))
        self._pending[kiosk_id] = (held + count, max(latest, at))
