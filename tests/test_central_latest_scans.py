"""A checkpoint page's "latest scans" cost the same however long a point's history is — run
on a real SQLite centre, counting the work SQLite does for the page's reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trace_support import payload_identity, wire_entry

from kiosk.central.backends import open_storage
from kiosk.central.web.pages_checkpoints import RECENT, latest_scans
from kiosk.ids import uuid7
from kiosk.sync import protocol

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
SLOW = dt.timedelta(minutes=3)
"""A kiosk clock 3 minutes slow: past the 2-minute tolerance, so its scans are skewed."""


def send_days(storage, checkpoint: str, days: int, per_day: int) -> None:
    """``per_day`` scans a day for ``days`` days up to now, from the point's one kiosk, whose
    clock runs :data:`SLOW`; each day's batch uploaded at once (offset measured: +180 s)."""
    kiosk = f"k-{checkpoint}"
    for back in range(days, 0, -1):
        received = NOW - dt.timedelta(days=back - 1)
        entries = [wire_entry(payload_identity(n, "cccd"), checkpoint=checkpoint, kiosk=kiosk,
                              direction="in", scanned_at=received - SLOW - dt.timedelta(
                                  seconds=20 * (per_day - n)))
                   for n in range(per_day)]
        results = storage.ingest_batch(kiosk, entries, sent_at=protocol.format_time(
            received - SLOW), received_at=received, batch_id=uuid7())
        assert {r["status"] for r in results} == {protocol.ACCEPTED}


def page_work(storage, checkpoint: str) -> int:
    """Thousands of SQLite VM steps spent listing the point's latest scans."""
    steps = [0]
    conn = storage._conn()  # the connection this thread's reads use

    def count() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(count, 1000)
    try:
        shown = latest_scans(storage, checkpoint)
    finally:
        conn.set_progress_handler(None, 0)
    assert len(shown) == RECENT
    return steps[0]


def test_the_latest_scans_of_a_point_whose_clock_is_slow_read_no_more_than_a_days_worth(
        tmp_path: Path) -> None:
    """Both points have one kiosk whose clock runs 3 minutes slow (a common drift), so
    every scan is filed by its corrected time. CP-NEW has had it a day, CP-OLD for 60 days.
    Staff open a point's page to see that its kiosks work. The page should read the same
    few rows for either point (it did before: 20 rows of the point's time index). The read
    of on-time scans walks the point's time index looking for 20 rows whose offset is
    within the tolerance. CP-OLD has none, so that read walks all of the point's history
    on every page view: 60 times the work here, a year's scans on a busy point."""
    with open_storage(f"sqlite:///{tmp_path}/central.db") as storage:
        send_days(storage, "CP-NEW", 1, 300)
        send_days(storage, "CP-OLD", 60, 300)
        new, old = page_work(storage, "CP-NEW"), page_work(storage, "CP-OLD")
        assert old <= 2 * new + 10, (new, old)
