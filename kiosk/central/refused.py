"""Refused attempts with a revoked kiosk's token or a replaced one: counted in memory,
written at most once an interval.

Each request bearing a revoked token used to be a write transaction (``refused_attempts``
+1, a commit with its fsync) taken before any per-kiosk limit: 16 threads knocking with one
revoked token made 1,302 commits in 2.8 s and doubled a live kiosk's batch time (review 43
F2). The administrator needs to know that a revoked token is in use, and about how often, not
each knock as it happens: a kiosk's first attempt after a quiet interval is written at once,
the ones after it are added up here and written together once that interval has passed
(:meth:`RefusedAttempts.flush_due`, run in the background by the app, and
:meth:`RefusedAttempts.flush` at shutdown). So the database's count and last attempt time
are at most one interval behind, and a flood costs one write an interval per kiosk.

A replaced token (re-issued, or an enrolment code redeemed: ``retired_tokens``) still used is
counted the same way, on its own row: keyed ``(REPLACED, its hash)`` where a revoked kiosk's
attempts are ``(REVOKED, kiosk id)``, so that a kiosk restored under its id has its old
token's knocks reported apart from those of any later revocation.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time

from kiosk.central.storage import Storage, StorageError

WRITE_INTERVAL = 60.0
"""Seconds between two writes of one revoked kiosk's (or replaced token's) attempts."""
REVOKED, REPLACED = "revoked", "replaced"
Key = tuple[str, str]
"""``(REVOKED, kiosk id)`` or ``(REPLACED, token hash)``: what the attempts are written to."""


class RefusedAttempts:
    def __init__(self, storage: Storage, interval: float = WRITE_INTERVAL) -> None:
        self.storage, self.interval = storage, interval
        self._pending: dict[Key, tuple[int, dt.datetime]] = {}
        """key → (attempts not yet written, time of the latest)."""
        self._written: dict[Key, float] = {}
        """key → monotonic time of its last write, while less than an interval old."""
        self._lock = threading.Lock()  # noted from worker threads, flushed from another

    def note(self, kiosk_id: str, at: dt.datetime, now: float | None = None) -> None:
        """Count one refused attempt of a revoked kiosk at ``at``; written (with those
        pending) at once unless its last write is less than an interval old. Raises the
        storage's error, the attempts kept for the next write."""
        self._note((REVOKED, kiosk_id), at, now)

    def note_replaced(self, token_hash: str, at: dt.datetime, now: float | None = None) -> None:
        """Count one attempt at ``at`` with a replaced token, as :meth:`note` does."""
        self._note((REPLACED, token_hash), at, now)

    def _note(self, key: Key, at: dt.datetime, now: float | None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._add(key, 1, at)
            if now - self._written.get(key, -math.inf) < self.interval:
                return
            self._written[key] = now
            count, latest = self._pending.pop(key)
        self._write(key, count, latest)

    def flush_due(self, now: float | None = None) -> float:
        """Write the attempts of every key whose last write is an interval old; the seconds
        until the next is due (an interval when none is pending)."""
        now = time.monotonic() if now is None else now
        due, wait = [], self.interval
        with self._lock:
            for key, written in list(self._written.items()):
                left = written + self.interval - now
                if left > 0:
                    if key in self._pending:
                        wait = min(wait, left)
                elif key in self._pending:
                    self._written[key] = now
                    due.append((key, *self._pending.pop(key)))
                else:  # quiet for an interval: its next attempt is written at once
                    del self._written[key]
        self._write_all(due)
        return wait

    def flush(self) -> None:
        """Write every pending attempt now (at shutdown)."""
        with self._lock:
            due = [(key, *pending) for key, pending in self._pending.items()]
            self._pending.clear()
        self._write_all(due)

    def _write_all(self, due: list[tuple[Key, int, dt.datetime]]) -> None:
        """Write each; the first failure is raised once all were tried."""
        failure: StorageError | None = None
        for key, count, latest in due:
            try:
                self._write(key, count, latest)
            except StorageError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    def _write(self, key: Key, count: int, latest: dt.datetime) -> None:
        kind, name = key
        write = (self.storage.note_refused_attempt if kind == REVOKED
                 else self.storage.note_replaced_token_attempt)
        try:
            write(name, latest, count=count)
        except StorageError:
            with self._lock:  # not lost: written with the next
                self._add(key, count, latest)
            raise

    def _add(self, key: Key, count: int, at: dt.datetime) -> None:
        held, latest = self._pending.get(key, (0, at))
        self._pending[key] = (held + count, max(latest, at))
