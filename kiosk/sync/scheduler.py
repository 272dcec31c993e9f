"""When the sync worker uploads: the timer, the linger after a scan, backoff, hand-over.

Pure timing and turn-taking, no I/O. All of its state (``_due``, ``_backoff_until``,
``_poked``, ``_push_waiting``, ``_stopping``, ``_paused``, ``_failures``,
``_unreached``, ``_last_health``) is guarded by one condition, ``_cond``; the upload
itself is guarded by ``_turn``, held by whoever is draining — the background thread or
an operator's push — so there is never more than one upload at a time.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kiosk.sync.client import AuthRefused, Refused, ServerBusy, SyncError, Unreachable

RETRY_AFTER_LIMIT_SECONDS = 6 * 3600.0
"""A ``Retry-After`` longer than this is treated as this (a misconfigured centre)."""


class Scheduler:
    """Decides when the next background cycle runs and who holds the upload.

    * A recorded entry wakes the worker after ``linger`` seconds, so a burst of scans travels
      as one batch — unless the worker is backing off (a centre that is down is not hammered
      by new scans) or paused.
    * Otherwise the worker wakes every ``interval`` seconds.
    * After a failure: ``Retry-After`` if the centre gave one no shorter than ``base_backoff``
      (capped at six hours, plus up to 10 %), else ``base_backoff · 2^(n-1)`` capped at
      ``max_backoff`` and randomised to 50–100 %, so a fleet of kiosks does not retry in
      step; a request the centre refuses as malformed waits ``max_backoff``. A connection
      that could not be opened at all (refused, no route, DNS) waits no longer than
      ``interval`` (randomised to 0–100 %), the next cycle asking the centre's health first
      (:attr:`unreached`): the centre back, the backlog goes within about one interval,
      not after up to ``max_backoff`` of scans left unsent.
    * Paused (no token, 401/403): no background upload at all until an operator's push.
    * An operator's push takes the upload over: the background drain yields at its next batch.
    """

    def __init__(self, *, interval: float, linger: float, base_backoff: float,
                 max_backoff: float, rng: random.Random | None = None,
                 paused: bool = False) -> None:
        self.interval = interval
        self.linger = linger
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.rng = rng or random.Random()
        self._cond = threading.Condition()
        self._turn = threading.Lock()
        self._due = 0.0
        self._backoff_until = 0.0
        self._poked = False
        """An entry was recorded since the current cycle began (it may have missed it)."""
        self._push_waiting = 0
        self._stopping = False
        self._paused = paused
        self._failures = 0
        self._unreached = False
        self._last_health = -math.inf

    # -- events ---------------------------------------------------------------------------
    def recorded(self) -> None:
        """The pipeline recorded an entry: upload it after the linger."""
        with self._cond:
            now = time.monotonic()
            if not self._paused and now >= self._backoff_until:
                self._due = min(self._due, now + self.linger)
                self._poked = True
                self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def parked(self) -> bool:
        """No background cycle is due at all: only an operator's push uploads now."""
        with self._cond:
            return math.isinf(self._due)

    @property
    def due_in(self) -> float:
        """Seconds until the next background cycle is due (≤ 0: due now, inf: parked): the
        schedule itself, where the time a look took shows only how busy the machine was."""
        with self._cond:
            return self._due - time.monotonic()

    @property
    def failures(self) -> int:
        """Failures in a row since the last success or progress (1: a new run of them)."""
        with self._cond:
            return self._failures

    @property
    def unreached(self) -> bool:
        """The last failure was a connection that could not be opened: the next cycle
        checks the centre's health (one GET failing at once while it is still down) before
        reading and compressing a batch."""
        return self._unreached

    def resume(self) -> None:
        """The operator retries on purpose (e.g. after fixing the token)."""
        with self._cond:
            self._paused = False

    # -- turns ----------------------------------------------------------------------------
    def wait_for_turn(self) -> bool:
        """Block the background thread until its next cycle is due; False once stopping."""
        with self._cond:
            while not self._stopping and (self._push_waiting or time.monotonic() < self._due):
                wait = self._due - time.monotonic()
                self._cond.wait(None if self._push_waiting or math.isinf(wait) else wait)
            self._poked = False
            return not self._stopping

    @contextmanager
    def turn(self, *, push: bool = False) -> Iterator[None]:
        """Hold the upload. A push announces itself first, so a background drain steps aside
        between batches instead of finishing a whole backlog."""
        if push:
            with self._cond:
                self._push_waiting += 1
                self._cond.notify_all()
        try:
            self._turn.acquire()
        finally:
            if push:
                with self._cond:
                    self._push_waiting -= 1
        try:
            yield
        finally:
            self._turn.release()

    def must_yield(self, *, background: bool) -> bool:
        """Checked before each batch: stop for shutdown, and (background) for a push."""
        return self._stopping or (background and self._push_waiting > 0)

    def wait_for_no_turn(self, timeout: float | None) -> bool:
        """Wait until nobody uploads (stop() before closing the store); False on timeout
        (None: no timeout)."""
        if not self._turn.acquire(timeout=-1 if timeout is None else timeout):
            return False
        self._turn.release()
        return True

    def sleep(self, seconds: float) -> bool:
        """Wait between a push's attempts; True if the worker is stopping."""
        with self._cond:
            return self._cond.wait_for(lambda: self._stopping, seconds)

    # -- outcomes of a cycle --------------------------------------------------------------
    def succeeded(self) -> None:
        """Everything pending was sent: the next cycle as after an idle one."""
        with self._cond:
            self._failures = 0
            self._unreached = False
            self._next_cycle()

    def idle(self) -> None:
        """Nothing was pending: next cycle after the interval — or after the linger when an
        entry was recorded during this cycle (it may have been read too late, or arrived
        while the centre was being told the kiosk is idle)."""
        with self._cond:
            self._next_cycle()

    def _next_cycle(self) -> None:
        self._set_due(time.monotonic() + (self.linger if self._poked else self.interval))

    def park(self) -> None:
        """No token, or paused: no background cycle until a push or a restart."""
        with self._cond:
            self._due = math.inf

    def failed(self, exc: SyncError | None, *, progressed: bool) -> None:
        """Count a failure (``progressed``: some batch got through first, so the count starts
        again) and pause for the operator on 401/403."""
        with self._cond:
            self._failures = 1 if progressed else self._failures + 1
            self._unreached = isinstance(exc, Unreachable) and exc.not_connected
            if isinstance(exc, AuthRefused):
                self._paused = True

    def back_off(self, exc: SyncError | None) -> float:
        """Schedule the next background attempt after a failure; the delay chosen."""
        with self._cond:
            if self._paused:
                self._due = math.inf
                return math.inf
            delay = self.backoff_delay(self._failures, exc)
            self._due = self._backoff_until = time.monotonic() + delay
            return delay

    def backoff_delay(self, failures: int, exc: SyncError | None) -> float:
        """Retry-After if the centre gave one, else base · 2^(n-1) capped, randomised 50–100 %;
        capped at ``interval`` too when no connection could be opened (nothing answered to
        ask for a slower pace: it is looked for again every interval, and found at once
        when it is back — capped at ``max_backoff`` alone, scans went up to 5 min late),
        and then randomised to 0–100 % (no less than ``base_backoff``), so that a fleet's
        looks are spread over the whole interval, not its second half.

        A Retry-After shorter than ``base_backoff`` (``0``, an HTTP date already past: a
        centre's clock behind, a proxy's fixed header) is no wait at all: honoured, the
        worker sent ~300 requests a second to a centre that had just said it is overloaded,
        logging and saving each failure. It is taken as no Retry-After, so the wait grows
        with the failures as for any other, while a real one (``1`` when a kiosk has too
        many batches in flight) is still waited exactly."""
        if (asked := self.asked_wait(exc)) is not None:
            return asked * (1 + 0.1 * self.rng.random())
        if isinstance(exc, Refused):
            return self.max_backoff
        # 2^64 is past any cap; 2^1024 overflowed a float after 1025 failures (days of a
        # centre down), the sync thread dying in its own handler's back_off
        doublings = min(max(0, failures - 1), 64)
        ceiling = min(self.max_backoff, self.base_backoff * 2 ** doublings)
        if isinstance(exc, Unreachable) and exc.not_connected:
            # full jitter: a fleet whose centre comes back knocks spread over the interval
            ceiling = min(ceiling, self.interval)
            return max(min(self.base_backoff, ceiling), ceiling * self.rng.random())
        return ceiling * (0.5 + 0.5 * self.rng.random())

    def asked_wait(self, exc: SyncError | None) -> float | None:
        """The wait the centre asked for with ``Retry-After`` and :meth:`backoff_delay`
        honours (capped at :data:`RETRY_AFTER_LIMIT_SECONDS`, before its up to 10 %); None
        when it asked for none, or for less than ``base_backoff``."""
        retry_after = exc.retry_after if isinstance(exc, ServerBusy) else None
        if retry_after is None or retry_after < self.base_backoff:
            return None
        return min(retry_after, RETRY_AFTER_LIMIT_SECONDS)

    def health_due(self) -> bool:
        """An idle cycle checks the centre's health at most every half interval."""
        with self._cond:
            now = time.monotonic()
            if now - self._last_health < self.interval / 2:
                return False
            self._last_health = now
            return True

    def _set_due(self, due: float) -> None:
        self._due = due
        self._backoff_until = 0.0
