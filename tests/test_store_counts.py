"""Today's counts and "inside now" come from indexes and the presence table, never from a
scan of history — and they always equal the plain definition computed row by row.

The brute force here is the definition itself: a day is a local calendar day at the
checkpoint, a scan on the day of its time, or of now when dated later than now (recorded while
the clock ran ahead: made by now, as the centre files it at its arrival); a person is inside
when their last movement here (latest ``scanned_at``, the later entry on a tie) within the last
24 hours was "in" — "inside now" while the day lasts, and for a day that is over, inside at its
end (its last movements before the next local midnight, within the 24 hours before it): a past
day shows what it ended with. A code that names nobody (kind ``other``: a URL, a product code)
is a scan of its hour but no one — neither "in", "out" nor inside — and counted apart.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import _DAY_RANGE, _NOT_ID_COUNTS, ENTRY_COLUMNS, INSIDE_WINDOW, MIGRATIONS, Store
from kiosk.timestamps import parse_utc, utc_iso
from tests.conftest import CCCD_AN, CCCD_BINH

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MIDNIGHT = dt.datetime(2026, 11, 20, tzinfo=ZONE).timestamp()
PEOPLE = [CCCD_AN, CCCD_BINH,
          "038085001234||Lê Văn Tú|02031985|Nam|Thanh Hóa|01012022",
          "PC-COVID-UNREADABLE"]  # an "other" code: keyed by its payload hash


def brute_force(store: Store, checkpoint: str, day: dt.date, now: float) -> dict:
    rows = store.conn.execute(
        "SELECT id, checkpoint_id, subject_key, direction, status, scanned_at, "
        "json_extract(extra, '$.clock_behind.not_before'), kind = 'other' FROM entries "
        "ORDER BY id").fetchall()
    local = [(r, parse_utc(r[5]).astimezone(ZONE)) for r in rows if r[1] == checkpoint]
    at_latest_now = dt.datetime.fromtimestamp(now, ZONE)
    today = [(r, min(when, at_latest_now)) for r, when in local
             if min(when, at_latest_now).date() == day]
    # Inside now while the day lasts, an entry written while the clock was behind counting
    # at the time it really happened (``not_before``); once the day is over, inside just
    # before its end, by the times as recorded.
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZONE).timestamp()
    day_over = end <= now
    moment = end if day_over else now
    before = [(r, when) for r, when in local if not day_over or when.timestamp() < end]
    last: dict[str, tuple] = {}
    for r, _ in before:  # by id = insertion order: on equal times the later entry wins
        if r[7]:
            continue  # a code that names nobody: no one to be inside
        at = r[5] if day_over else r[6] or r[5]
        if r[2] not in last or at >= last[r[2]][0]:
            last[r[2]] = (at, r)
    horizon = utc_iso(moment - INSIDE_WINDOW.total_seconds())
    refused = [t for (t,) in store.conn.execute("SELECT scanned_at FROM refused_scans")
               if min(parse_utc(t).astimezone(ZONE), at_latest_now).date() == day]
    return {
        "in": sum(r[4] == "accepted" and r[3] == "in" and not r[7] for r, _ in today),
        "out": sum(r[4] == "accepted" and r[3] == "out" and not r[7] for r, _ in today),
        "not_id": sum(r[7] for r, _ in today),
        "dup": sum(r[4] == "duplicate" for r, _ in today),
        "per_hour": dict(Counter(when.hour for _, when in today)),
        "inside": sum(r[3] == "in" and at >= horizon for at, r in last.values()),
        "refused": len(refused),
    }


def fast(store: Store, checkpoint: str, day: dt.date, now: float) -> dict:
    stats = store.stats(checkpoint, day, now=now)
    return {"in": stats.entries_in, "out": stats.entries_out, "not_id": stats.not_id,
            "dup": stats.duplicates,
            "per_hour": stats.per_hour, "inside": stats.inside, "refused": stats.refused}


scans = st.lists(st.tuples(
    st.integers(0, len(PEOPLE)),                   # who (the last index: an unreadable code)
    st.floats(-30 * 3600, 80 * 3600),              # when: around three local midnights
    st.sampled_from(["in", "out", "auto"]),        # the lane
    st.sampled_from(["CP-A", "CP-B"]),             # which checkpoint's kiosk
), max_size=30)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(scans=scans, policy=st.sampled_from(["warn", "allow", "block"]),
       day_offset=st.integers(-2, 3), now_offset=st.floats(-3600, 100 * 3600),
       purged=st.booleans())
def test_fast_counts_equal_the_definition(scans, policy, day_offset, now_offset, purged):
    """Scans in any order (clocks jump), on two checkpoints, around midnights and the 24-hour
    horizon, before or after the purge (which sets aside the ins older than a day before the
    real time, so here all of them): every count the screen and ``kiosk stats`` show equals
    the brute force."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "k.db", timezone=ZONE)
        pipelines = {cp: Pipeline(store, Policy(checkpoint_id=cp, kiosk_id=f"k-{cp}",
                                                duplicate_policy=policy,
                                                duplicate_window_seconds=600))
                     for cp in ("CP-A", "CP-B")}
        for who, offset, lane, cp in scans:
            payload = PEOPLE[who].encode() if who < len(PEOPLE) else b""  # "" is refused
            pipelines[cp].submit(Scan(payload=payload, lane=lane, wall_time=MIDNIGHT + offset))
        if purged:
            store.purge(retention_days=3650)
        day = dt.date(2026, 11, 20) + dt.timedelta(days=day_offset)
        now = MIDNIGHT + now_offset
        for cp in ("CP-A", "CP-B"):
            assert fast(store, cp, day, now) == brute_force(store, cp, day, now)
        store.close()


def test_a_day_crossing_midnight_counts_each_scan_on_its_own_local_day(tmp_path):
    """A night visitor comes in at 23:50 and leaves at 00:20 local time: the "in" belongs to
    the first day, the "out" to the second, and the person is inside in between only."""
    store = Store(tmp_path / "k.db", timezone=ZONE)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
    arrive, leave = MIDNIGHT - 600, MIDNIGHT + 1200
    pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in", wall_time=arrive,
                         monotonic_ns=int(arrive * 1e9)))  # both clocks run on together
    assert store.stats("CP", dt.date(2026, 11, 20), now=MIDNIGHT).inside == 1
    pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="auto", wall_time=leave,
                         monotonic_ns=int(leave * 1e9)))
    first, second = (store.stats("CP", dt.date(2026, 11, d), now=leave + 1) for d in (19, 20))
    assert (first.entries_in, first.entries_out, first.per_hour) == (1, 0, {23: 1})
    assert (second.entries_in, second.entries_out, second.per_hour) == (0, 1, {0: 1})
    assert (first.day_over, first.inside) == (True, 1)  # the 19th ended with them inside
    assert (second.day_over, second.inside) == (False, 0)  # and now they have left
    store.close()


def test_scans_dated_ahead_by_a_clock_set_right_since_count_today_in_the_current_hour(
        tmp_path):
    """The RTC kept local time read as UTC: 7 h ahead at UTC+7. The evening's scans, dated
    after midnight, were tomorrow's — today's counts (the tiles, the chart, ``kiosk stats``)
    missed what the officer saw, and tomorrow's had them. Once the clock is set right, a
    scan dated later than it reads was made by now: it counts today, in the current hour,
    as the centre files it at its arrival; tomorrow asked today has none of them."""
    store = Store(tmp_path / "k.db", timezone=ZONE)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
    evening = MIDNIGHT + 20 * 3600  # 20:00 on the 20th, read as 03:00 on the 21st
    pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in", wall_time=evening + 7 * 3600))
    pipeline.submit(Scan(payload=CCCD_BINH.encode(), lane="out",
                         wall_time=evening + 7 * 3600 + 60))
    pipeline.submit(Scan(payload=b"", wall_time=evening + 7 * 3600 + 90))  # refused: empty
    pipeline.submit(Scan(payload=CCCD_BINH.encode(), lane="in", wall_time=MIDNIGHT + 9 * 3600))
    now = evening + 1800  # 20:30, the clock set right
    today = store.stats("CP", now=now)
    assert (today.entries_in, today.entries_out, today.refused) == (2, 1, 1)
    assert today.per_hour == {9: 1, 20: 2}
    tomorrow = store.stats("CP", dt.date(2026, 11, 21), now=now)
    assert (tomorrow.entries_in, tomorrow.entries_out, tomorrow.per_hour) == (0, 0, {})
    store.close()


def test_inside_ends_at_the_auto_direction_horizon(tmp_path):
    """Someone who came in and never scanned out stops counting as inside 24 hours later —
    the same horizon after which an "auto" lane records their next scan as "in" again."""
    store = Store(tmp_path / "k.db", timezone=ZONE)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
    pipeline.submit(Scan(payload=CCCD_BINH.encode(), lane="in", wall_time=MIDNIGHT))
    horizon = MIDNIGHT + INSIDE_WINDOW.total_seconds()
    assert store.inside_count("CP", now=horizon - 1) == 1
    assert store.inside_count("CP", now=horizon + 1) == 0
    later = pipeline.submit(Scan(payload=CCCD_BINH.encode(), lane="auto", wall_time=horizon + 1))
    assert later.direction == "in"
    store.close()


def test_counts_read_only_the_days_index_range_and_the_presence_table(tmp_path):
    """The query plans: today's counts search a range of the covering time index (the codes
    that name nobody a range of their own partial one), "inside"
    the range of ``presence`` that holds the people inside (its primary key begins with the
    checkpoint and whether they are inside) — neither visits the entries table's rows."""
    store = Store(tmp_path / "k.db")
    day = " ".join(r[3] for r in store.conn.execute(
        f"EXPLAIN QUERY PLAN SELECT count(*) {_DAY_RANGE}", ("1", "2", "C")))
    assert "USING COVERING INDEX entries_time (" in day, day
    not_id = " ".join(r[3] for r in store.conn.execute(
        f"EXPLAIN QUERY PLAN {_NOT_ID_COUNTS}", ("1", "2", "C")))
    assert "USING COVERING INDEX entries_not_id (" in not_id, not_id  # those codes only
    traced: list[str] = []
    store.conn.set_trace_callback(traced.append)
    store.inside_count("C")
    store.conn.set_trace_callback(None)
    counted = [sql for sql in traced if sql.startswith("SELECT count(*) FROM presence")]
    inside = " ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + counted[-1]))
    assert inside == "SEARCH presence USING PRIMARY KEY (checkpoint_id=? AND inside=?)", inside
    store.close()


def test_the_purge_sets_aside_the_people_whose_in_is_over_and_inside_now_stays_the_same(
        tmp_path):
    """Someone who came in and never scanned out stops counting 24 hours later; the hourly
    purge then moves their row out of the inside range, so that range — what "inside now"
    reads — holds a day of people, not everyone who ever came in. Every count stays what it
    was, for any time asked: also for a clock put back past what the purge set aside, when
    the count reads every row instead."""
    store = Store(tmp_path / "k.db", timezone=ZONE)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
    now = time.time()
    for i, hours in enumerate((50, 30, 26, 20, 2)):  # people in that many hours ago
        payload = f"0010990123{i:02d}|123456789|Người {i}|01021990|Nam|Huế|10102021"
        assert pipeline.submit(Scan(payload=payload.encode(), lane="in",
                                    wall_time=now - hours * 3600)).recorded
    asked = [now, now - 5 * 3600, now - 24 * 3600, now - 40 * 3600]
    before = [store.inside_count("CP", now=at) for at in asked]
    assert before == [2, 3, 4, 5]
    store.purge(retention_days=30)
    ranges = store.conn.execute("SELECT inside, count(*) FROM presence GROUP BY 1").fetchall()
    assert ranges == [(0, 3), (1, 2)]  # the ins of 50, 30 and 26 hours ago set aside
    assert [store.inside_count("CP", now=at) for at in asked] == before
    store.close()


def make_v2_store(path: Path, rows: list[dict]) -> None:
    """A store as the previous release left it: schema v2, entries only."""
    conn = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:2]:
        step(conn)
    conn.execute("PRAGMA user_version = 2")
    conn.executemany(f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) VALUES "
                     f"({', '.join('?' * len(ENTRY_COLUMNS))})",
                     [[r[c] for c in ENTRY_COLUMNS] for r in rows])
    conn.close()


def test_an_existing_store_upgrades_and_its_history_is_counted_and_found(tmp_path):
    """Opening a v2 store migrates it forward: presence is rebuilt from its history, names
    become searchable, and what it held is counted exactly as if recorded today — a product
    code scanned in then (kind ``other``) no one inside, as v3's rebuild had it."""
    source = Store(tmp_path / "recorded.db", timezone=ZONE)
    pipeline = Pipeline(source, Policy(checkpoint_id="CP", kiosk_id="k"))
    for offset, payload, lane in ((0, CCCD_AN, "in"), (60, CCCD_BINH, "in"),
                                  (90, "https://example.vn/menu", "in"),
                                  (7200, CCCD_AN, "out")):
        pipeline.submit(Scan(payload=payload.encode(), lane=lane, wall_time=MIDNIGHT + offset))
    rows = source.entries()
    source.close()
    make_v2_store(tmp_path / "old.db", rows)

    store = Store(tmp_path / "old.db", timezone=ZONE)
    assert store.schema_version == len(MIGRATIONS)
    day, now = dt.date(2026, 11, 20), MIDNIGHT + 8000
    assert fast(store, "CP", day, now) == brute_force(store, "CP", day, now)
    counts = store.stats("CP", day, now=now)
    assert (counts.inside, counts.entries_in, counts.not_id) == (1, 2, 1)  # Bình is inside
    assert [r["name"] for r in store.entries(search="tran binh")] == ["Trần Thị Bình"]
    store.mark_synced([r["id"] for r in rows], {})
    assert store.purge(retention_days=1, now=MIDNIGHT + 3 * 86400,  # by both clocks
                       now_monotonic_ns=time.monotonic_ns() + 3 * 86400 * 10**9) == 4
    assert store.entries(search="nguyen") == []
    assert store.conn.execute("SELECT count(*) FROM entries_search").fetchone()[0] == 0
    store.close()


def test_a_purge_run_while_the_clock_was_ahead_is_undone_by_the_next_one(tmp_path, monkeypatch):
    """The purge ran while the clock was two days ahead: everyone's "in" looked over and
    was set aside, and "inside now" read every row (right, but slow). The next purge, the
    clock right again, puts back those still inside the window: the count reads the inside
    range alone again, and gives the same numbers throughout."""
    from kiosk import store as store_mod

    store = Store(tmp_path / "k.db", timezone=ZONE)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
    now = time.time()
    for i, hours in enumerate((30, 20, 2)):
        payload = f"0010990123{i:02d}|123456789|Người {i}|01021990|Nam|Huế|10102021"
        assert pipeline.submit(Scan(payload=payload.encode(), lane="in",
                                    wall_time=now - hours * 3600)).recorded
    traced: list[str] = []
    store.conn.set_trace_callback(traced.append)

    def counted() -> tuple[int, bool]:  # inside now, and whether it read every row
        count = store.inside_count("CP")
        return count, "inside IN (1, 0)" in [sql for sql in traced if "presence" in sql][-1]

    assert counted() == (2, False)
    with monkeypatch.context() as patch:
        patch.setattr(store_mod.time, "time", lambda: now + 2 * 86400)
        store.purge(retention_days=30)
    assert store.conn.execute("SELECT inside, count(*) FROM presence GROUP BY 1").fetchall() \
        == [(0, 3)]
    assert counted() == (2, True)
    store.purge(retention_days=30)
    assert store.conn.execute("SELECT inside, count(*) FROM presence GROUP BY 1").fetchall() \
        == [(0, 1), (1, 2)]
    assert counted() == (2, False)
    store.close()


def test_the_presence_row_read_for_a_scan_is_read_again_after_any_other_write(tmp_path):
    """A scan's write of ``presence`` reuses the row its last-movement read fetched only if
    nothing but the entry was written on the connection in between: a row removed meanwhile
    (a repair on the same connection, inside the scan's transaction) is not written back
    from the stale copy. Here the stale copy (in, a second later) would have kept the
    person inside."""
    store = Store(tmp_path / "k.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k",
                                      duplicate_window_seconds=0))
    at = MIDNIGHT + 3600
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in", wall_time=at)).recorded
    read = store.last_movement

    def then_repair(*args: object) -> object:
        found = read(*args)
        store.conn.execute("DELETE FROM presence")
        return found

    store.last_movement = then_repair  # type: ignore[method-assign]
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="out", wall_time=at - 1)
                           ).recorded  # a second before: two devices, not a clock step
    assert store.conn.execute("SELECT inside, direction, scanned_at FROM presence"
                              ).fetchall() == [(0, "out", utc_iso(at - 1))]
    store.close()
