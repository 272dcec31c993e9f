"""The province's report of today, shared by every Today page: made with
:func:`kiosk.central.reports.daily` at most once a :data:`REFRESH_SECONDS` (on a province of
20,000 points it takes seconds, while the page must answer in milliseconds). Once the report
held is older than that, the next view starts a new one in the background and is answered with
the one held (its time is on the page); a report older than :data:`STALE_SECONDS`, or of
another day or zone (``kiosk-central timezone``), is remade before answering.

On the Reports page, a day whose report is not made yet (today, yesterday before 06:00, a day
the server was down at its 06:00) is kept (:class:`DaysNotMade`) while nothing its figures
count changed: built at every view, it cost ~3 s a view on a province. Not the Today page's
report, held a minute whatever arrives: a Reports page of today is built again once an entry
of it arrives.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from kiosk.central import derivation, reports
from kiosk.central.storage import Storage

REFRESH_SECONDS = 60.0
STALE_SECONDS = 300.0
KEPT_DAYS = 3
"""The most days not made kept at once (today, yesterday before 06:00, a day the server was
down at its 06:00): a province's report holds a row per point (2.5 MB of JSON, tens of MB in
memory); the one built longest ago goes first."""


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


class DaysNotMade:
    """The reports of days not made yet, as of when each was built (its ``made_at``,
    on the page), each kept while :func:`reports.day_state` of its day is as it was before
    it was built, nothing else it counts changed since (:func:`reports.changed_since`: a
    refusal count of its hours, a registry correction) and it is younger than
    :data:`STALE_SECONDS` (its kiosks' problems are as of then): an entry of the day
    arriving, or one derived, has the next view build it again."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, str], tuple[tuple[Any, ...], float, dict[str, Any]]] = {}

    def get(self, day: dt.date) -> dict[str, Any]:
        """The report of ``day``, kept or built now; its ``not_derived`` is as of now."""
        d = day.isoformat()
        key = (d, self.storage.calendar.name)
        # a kept view derives nothing (a reader's 3 s behind serve's deferred uploads): an
        # entry of the day stored or derived since changes its state
        state = reports.day_state(self.storage, day)
        with self._lock:
            held = self._kept.get(key)
        if held is not None and held[0] == state and time.monotonic() - held[1] < STALE_SECONDS \
                and not reports.changed_since(self.storage, day, day, held[2]["made_at"]):
            return {**held[2], "not_derived": derivation.backlog(self.storage, (d, d)).answer()}
        derivation.for_reader(self.storage, days=(d, d))  # derive first, as a reader
        # read before the build: an entry stored while it runs has the next view build again
        state, built = reports.day_state(self.storage, day), time.monotonic()
        report = reports.daily(self.storage, day)
        with self._lock:
            self._kept.pop(key, None)
            self._kept[key] = (state, built, report)
            while len(self._kept) > KEPT_DAYS:
                del self._kept[next(iter(self._kept))]
        return report
