"""The largest clock offset of any batch, which tracing and the stays' rebuild read on every
trace and every late batch, comes from the end of one index (schema v17's batches_offset) on
both engines, never a read of the whole batch log, and is the answer a full read gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.central.backends import open_storage
from kiosk.central.schema import LARGEST_CLOCK_OFFSET, LEAST_CLOCK_OFFSET, MIGRATIONS
from kiosk.central.storage import BATCH_COLUMNS
from tests.central_support import ENGINES, database_url


@pytest.fixture(params=ENGINES)
def storage(request, tmp_path: Path):
    with open_storage(database_url(request.param, tmp_path)) as opened:
        yield opened


def _log(storage, offsets: list[float | None], entry_offsets: list[float | None] | None = None
         ) -> None:
    """Batch log records with these offsets and, for batches whose entries were timed by
    their age on the kiosk's monotonic clock, the largest of theirs (None: none was), and the
    least of the two."""
    rows = [(f"b-{n}", f"k-{n % 7}", None, "2026-11-30T08:00:00Z", offset, 1, 1, 0, 0, by_age,
             min((o for o in (offset, by_age) if o is not None), default=None), 0, None, None)
            for n, (offset, by_age) in enumerate(zip(
                offsets, entry_offsets or [None] * len(offsets), strict=True))]
    with storage._transaction() as tx:
        storage._insert_rows(tx, "batches", BATCH_COLUMNS, rows)


def _plan(storage) -> str:
    explain = "EXPLAIN " if storage.url.startswith("postgresql") else "EXPLAIN QUERY PLAN "
    return "\n".join(str(row[-1]) for row in storage._query(explain + LARGEST_CLOCK_OFFSET))


def _full_read(storage) -> float | None:
    offsets = [abs(value) for row in storage._query(
        "SELECT clock_offset_seconds, entry_offset_seconds FROM batches")
        for value in row if value is not None]
    return max(offsets, default=None)


def test_an_empty_log_and_one_without_offsets_have_no_largest_offset(storage) -> None:
    assert storage._query(LARGEST_CLOCK_OFFSET)[0][0] is None
    _log(storage, [None, None])  # batches from kiosks that sent no clock
    assert storage._query(LARGEST_CLOCK_OFFSET)[0][0] is None


def test_the_largest_offset_either_way_is_read_from_the_index(storage) -> None:
    # a province's log: mostly small offsets, some kiosks without a clock, one far behind
    offsets: list[float | None] = [None if n % 9 == 0 else (n % 240) - 120.5
                                   for n in range(3000)]
    offsets[1234] = -7200.25  # a kiosk two hours behind: larger than any ahead
    offsets[2345] = 3600.0
    _log(storage, offsets)

    assert storage._query(LARGEST_CLOCK_OFFSET)[0][0] == 7200.25 == _full_read(storage)
    plan = _plan(storage)
    assert "batches_offset" in plan, plan
    assert "Seq Scan" not in plan and "SCAN batches" not in plan, plan

    _log(storage, [9000.5, None])  # a later batch further off still is seen at once
    assert storage._query(LARGEST_CLOCK_OFFSET)[0][0] == 9000.5 == _full_read(storage)


def test_an_entry_timed_by_its_age_widens_the_largest_offset(storage) -> None:
    """Scans made at 1970 and sent in the same boot once the clock was set: the batch's
    offset is small, its entries' are 56 years (kiosk.sync.protocol.Timing). Tracing must
    widen its reads by those too, read from the end of v24's index as fast."""
    offsets: list[float | None] = [(n % 240) - 120.5 for n in range(3000)]
    by_age: list[float | None] = [None if n % 2 else 0.25 for n in range(3000)]
    by_age[777] = 1_764_547_200.5  # 1970 → 2025-12-01
    _log(storage, offsets, by_age)

    assert storage._query(LARGEST_CLOCK_OFFSET)[0][0] == 1_764_547_200.5 == _full_read(storage)
    plan = _plan(storage)
    assert "batches_offset" in plan and "batches_entry_offset" in plan, plan
    assert "Seq Scan" not in plan and "SCAN batches" not in plan, plan


def test_how_far_a_clock_ran_ahead_is_read_from_its_index_alone(storage) -> None:
    """Purge and erasure look past their cutoff as far as the clock furthest ahead ran: the
    least offset (schema.LEAST_CLOCK_OFFSET), the start of v25's index, with no row of the
    log read. A scan timed at 1970 (+56 years, a clock behind) does not count."""
    offsets: list[float | None] = [None if n % 9 == 0 else (n % 240) - 120.5
                                   for n in range(3000)]
    offsets[1234] = -7200.25  # a kiosk two hours ahead
    by_age: list[float | None] = [None] * 3000
    by_age[777] = 1_764_547_200.5  # 1970 → 2025-12-01
    _log(storage, offsets, by_age)

    assert storage._query(LEAST_CLOCK_OFFSET)[0][0] == -7200.25
    explain = "EXPLAIN " if storage.url.startswith("postgresql") else "EXPLAIN QUERY PLAN "
    plan = "\n".join(str(row[-1]) for row in storage._query(explain + LEAST_CLOCK_OFFSET))
    assert ("Index Only Scan using batches_least_offset" in plan
            or "COVERING INDEX batches_least_offset" in plan), plan


def test_reaching_v25_reads_the_entries_once_not_once_per_batch(storage) -> None:
    """v25 finds the entries ahead hidden behind a v24 batch's entry offset. entries has no
    index by batch, and every v24 batch from a kiosk 2+ minutes behind has such an offset:
    a read of the entries per batch would keep a province's centre down for days while it
    migrates. The statement reads the skewed entries once, grouped by batch, and joins
    them to the batches: no subquery run for each batch on either engine."""
    [reading] = [s for s in MIGRATIONS[24] if isinstance(s, str) and "entries" in s]
    explain = "EXPLAIN " if storage.url.startswith("postgresql") else "EXPLAIN QUERY PLAN "
    plan = "\n".join(str(row[-1]) for row in storage._query(explain + reading))
    assert "SubPlan" not in plan and "CORRELATED" not in plan, plan
    if storage.url.startswith("postgresql"):  # each partition scanned once, then grouped
        assert plan.count("entries_default") == 1 and "Aggregate" in plan, plan
    else:  # through the skewed scans' partial index, once
        read = [line for line in plan.splitlines() if "entries" in line]
        assert read == ["SCAN entries USING INDEX entries_skewed"], plan
