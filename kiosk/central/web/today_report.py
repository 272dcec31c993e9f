"""The province's report of today, shared by every Today page: made with
:func:`kiosk.central.reports.daily` at most once a :data:`REFRESH_SECONDS` (on a province of
20,000 points it takes seconds, while the page must answer in milliseconds). Once the report
held is older than that, the next view starts a new one in the background and is answered with
the one held (its time is on the page); a report older than :data:`STALE_SECONDS`, or of
another day or zone (``kiosk-central timezone``), is remade before answering.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from kiosk.central import reports
from kiosk.central.storage import Storage

REFRESH_SECONDS = 60.0
STALE_SECONDS = 300.0


class TodayReport:
    """The province's report of today, remade at most once a minute (see the module doc)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = threading.Lock()
        self._report: dict[str, Any] | None = None
        self._made = 0.0
        self._refreshing = False

    def get(self) -> dict[str, Any]:
        today = self.storage.today().isoformat()
        with self._lock:
            report, age = self._report, time.monotonic() - self._made
            usable = (report is not None and report["day"] == today and age < STALE_SECONDS
                      and report["timezone"] == self.storage.calendar.name)
            if usable and age >= REFRESH_SECONDS and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="today-report", daemon=True).start()
        if usable:
            assert report is not None
            return report
        return self._refresh()

    def _refresh(self) -> dict[str, Any]:
        try:
            report = reports.daily(self.storage, self.storage.today())
            with self._lock:
                self._report, self._made = report, time.monotonic()
            return report
        finally:
            with self._lock:
                self._refreshing = False
