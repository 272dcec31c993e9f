"""Callbacks told about each new value: scan results, device statuses, sync snapshots.

One mechanism for every "subscribe, get told, unsubscribe" in the kiosk. A listener that
raises is logged and the others still hear (a broken screen must not stop scanning or
uploading). Callbacks run on the thread that notifies: a Qt screen hands the value to the
GUI thread with a signal. Subscribing swaps an immutable tuple, so ``notify`` reads it
without a lock and a callback may subscribe or unsubscribe while being called.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from kiosk.messages import both

log = logging.getLogger(__name__)

T = TypeVar("T")


class Listeners(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what
        """What the listeners hear about, for the log line when one fails."""
        self._callbacks: tuple[Callable[[T], object], ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, callback: Callable[[T], object]) -> Callable[[], None]:
        """Add a listener; returns the function that removes it (safe to call twice)."""
        with self._lock:
            self._callbacks = (*self._callbacks, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._callbacks = tuple(c for c in self._callbacks if c is not callback)
        return unsubscribe

    def notify(self, value: T) -> None:
        for callback in self._callbacks:
            try:
                callback(value)
            except Exception:
                log.exception("%s", both("log.listener_failed", what=self.what,
                                         listener=repr(callback)))
