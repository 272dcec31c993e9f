"""One build shared by everyone who asks for the same thing while it is being made: the
Reports page, its downloads and its JSON build a province's report (seconds on 20,000
points), and eight officials opening yesterday's report at nine o'clock made it eight times
over, each build slowing the others. Now the first request builds it and those asking for
the same (report, day or month, zone) meanwhile wait for that one and are answered with it;
a request after it is done builds afresh (nothing is kept, so nothing is ever older than the
build under way when it was asked for). A district officer's is the province's, cut
(:func:`kiosk.central.web.scoping.for_district`), so every viewer shares it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any


class SharedBuilds:
    """The builds under way, by key (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[Hashable, Future[Any]] = {}
        self._waiting: dict[Hashable, int] = {}

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()``'s result, or that of the same key's build under way (its failure
        too). Called from a worker thread: a waiter holds one until the build is done."""
        with self._lock:
            running = self._running.get(key)
            if running is None:
                mine: Future[Any] = Future()
                self._running[key] = mine
            else:
                self._waiting[key] = self._waiting.get(key, 0) + 1
        if running is not None:
            try:
                return running.result()
            finally:
                with self._lock:
                    self._waiting[key] -= 1
                    if not self._waiting[key]:
                        del self._waiting[key]
        try:
            result = build()
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        else:
            mine.set_result(result)
            return result
        finally:
            with self._lock:
                del self._running[key]

    def waiting(self, key: Hashable) -> int:
        """How many wait for the build of ``key`` under way (0 if none)."""
        with self._lock:
            return self._waiting.get(key, 0)
