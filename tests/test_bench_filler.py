"""The dashboard benchmark's filler counts a province's days as the centre's ingest does.

``scripts/bench_dashboard.py`` (and ``bench_province.py``, which reuses it) bulk loads raw
entries and then counts the per-point day aggregates with one GROUP BY instead of ingesting:
its figures are only worth what those counts are. It counted the scans a kiosk marked as
repeats as entries and left the repeat column at 0 (one day: 119,996 entries in the report
for 118,260 accepted scans). Here a small province is loaded the benchmark's way into a real
SQLite centre, filled, and its counts compared with the centre's own recount from the same
raw entries (:func:`kiosk.central.aggregates.rebuild`, what an upgrade or zone change runs)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts")]

from bench_dashboard import fill_centre  # noqa: E402
from bench_trace import load  # noqa: E402
from benchsupport import province  # noqa: E402

from kiosk.central import aggregates  # noqa: E402
from kiosk.central.backends import open_storage  # noqa: E402

DAYS = "SELECT day, checkpoint_id, scans, ins, outs, duplicates, manual FROM checkpoint_days"
HOURS = "SELECT day, checkpoint_id, hour, scans FROM checkpoint_hours"


def test_the_fillers_day_counts_are_the_centres_repeats_counted_apart(tmp_path: Path) -> None:
    now = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)
    with open_storage(f"sqlite:///{tmp_path}/centre.db") as storage:
        load(storage, province(entries=4000, checkpoints=20, days=3, end=now), "sqlite")
        fill_centre(storage, 20, "sqlite", now)
        filled = sorted(storage._query(DAYS))
        filled_hours = sorted(storage._query(HOURS))
        with storage._transaction() as tx:
            aggregates.rebuild(storage, tx, storage.calendar)
        recounted = sorted(storage._query(DAYS))
        recounted_hours = sorted(storage._query(HOURS))
        accepted_in = storage._query("SELECT count(*) FROM entries WHERE status = 'accepted' "
                                     "AND direction = 'in'")[0][0]
    assert sum(row[5] for row in filled) > 0, "the province has repeat scans to count"
    assert sum(row[3] for row in filled) == accepted_in
    assert filled == recounted
    assert filled_hours == recounted_hours
