"""The first local day held (every trace's "data begins") comes from the end of one index on
both engines, and SQLite's entries carry no index keyed by day and person (schema v21): its
keys put a batch's people all over each day's range, a page written a person and batch.
Forgetting a document match (purge, erasure) still finds the person's other scans that day
by their own keys, never by reading the whole day."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from kiosk.central import document_matches
from kiosk.central.backends import open_storage
from kiosk.central.schema import MIGRATIONS
from kiosk.central.trace_queries import StorageSource
from kiosk.sync import protocol
from tests.central_support import ENGINES, database_url, kiosk_entries

RECEIVED = dt.datetime(2026, 11, 20, 5, 0, tzinfo=dt.UTC)  # noon in Asia/Ho_Chi_Minh


def _store(storage, tmp_path: Path, days_back: list[int]) -> None:
    """One scan a person, each ``days_back[i]`` days before RECEIVED (noon local time)."""
    entries = kiosk_entries(tmp_path, "k1", len(days_back))
    for entry, back in zip(entries, days_back, strict=True):
        entry["scanned_at"] = protocol.format_time(RECEIVED - dt.timedelta(days=back))
    results = storage.ingest_batch("k1", entries, sent_at=None, received_at=RECEIVED,
                                   batch_id="b-1")
    assert {r["status"] for r in results} == {"accepted"}


def _plan(storage, sql: str, params: tuple[str, ...] = ()) -> str:
    return "\n".join(row[-1] for row in storage._query("EXPLAIN QUERY PLAN " + sql, params))


@pytest.mark.parametrize("engine", ENGINES)
def test_data_begins_is_the_first_local_day_held(engine: str, tmp_path: Path) -> None:
    with open_storage(database_url(engine, tmp_path)) as storage:
        assert StorageSource(storage).data_begins() is None  # nothing held yet
        _store(storage, tmp_path, [3, 12, 0, 7])
        assert StorageSource(storage).data_begins() == "2026-11-08"  # 12 days before the 20th


def test_sqlite_reads_the_first_day_from_one_index_end(tmp_path: Path) -> None:
    with open_storage(database_url("sqlite", tmp_path)) as storage:
        indexes = {row[0] for row in storage._query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'")}
        assert "entries_day_subject" not in indexes and "entries_first_day" in indexes
        plan = _plan(storage, "SELECT min(local_day || '') FROM entries")
        assert "USING INDEX entries_first_day" in plan and "SCAN" not in plan, plan


def test_sqlite_forgets_a_document_match_by_the_persons_scans_not_the_days(
        tmp_path: Path) -> None:
    with open_storage(database_url("sqlite", tmp_path)) as storage:
        for where, kept in (("id < $1", "e.id >= $1"),  # the purge's and erasure's shapes
                            ("id >= $1 AND id <= $2", "NOT (e.id >= $1 AND e.id <= $2)")):
            plan = _plan(storage, document_matches.FORGET.format(
                entries="entries", where=where, kept=kept), ("0", "f")[:where.count("$")])
            person = [line for line in plan.splitlines() if "SEARCH e " in line]
            assert person and all("entries_subject_time" in line or "entries_match_place" in line
                                  for line in person), plan
            assert "SCAN e" not in plan and "entries_first_day" not in plan, plan


def test_a_v20_sqlite_database_loses_the_day_and_person_index(tmp_path: Path) -> None:
    url = database_url("sqlite", tmp_path)
    with open_storage(url) as storage:
        _store(storage, tmp_path, [5, 1])
        stored = storage.entries()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:  # as v20 left it
        conn.execute("ALTER TABLE checkpoint_days DROP COLUMN nobody")  # v58
        conn.execute("ALTER TABLE users DROP COLUMN must_change_password")  # v54
        conn.execute("DROP TABLE kiosk_sources")  # v49
        for table, column in (("batches", "boot_id"), ("batches", "address"),
                              ("kiosk_health", "sources")):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("ALTER TABLE daily_reports DROP COLUMN report")  # v46
        conn.execute("ALTER TABLE daily_reports DROP COLUMN batches_seen")  # v43
        conn.execute("ALTER TABLE late_arrivals DROP COLUMN last_received_at")  # v38
        conn.execute("ALTER TABLE checkpoint_days DROP COLUMN duplicates")  # v31
        conn.execute("ALTER TABLE audit_log DROP COLUMN second_degree")  # v29
        conn.execute("ALTER TABLE audit_log DROP COLUMN disclosed")  # v42
        conn.execute("ALTER TABLE audit_log DROP COLUMN second_contacts")
        conn.execute("ALTER TABLE kiosk_health DROP COLUMN uploads_paused")  # v27
        conn.execute("ALTER TABLE batches DROP COLUMN past_retention")  # v26 undone
        conn.execute("DROP INDEX batches_least_offset")  # v25 undone
        conn.execute("ALTER TABLE batches DROP COLUMN least_offset_seconds")
        conn.execute("DROP INDEX batches_entry_offset")  # v24 undone
        conn.execute("ALTER TABLE batches DROP COLUMN entry_offset_seconds")
        conn.execute("DROP TABLE derive_set_aside")  # v22 undone
        conn.execute("ALTER TABLE derive_queue DROP COLUMN kiosk_id")
        conn.execute("DROP INDEX entries_first_day")  # v21 undone
        conn.execute("CREATE INDEX entries_day_subject ON entries (local_day, subject_key)")
        conn.execute("PRAGMA user_version = 20")
    conn.close()

    with open_storage(url) as storage:
        indexes = {row[0] for row in storage._query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'")}
        assert "entries_day_subject" not in indexes and "entries_first_day" in indexes
        assert storage._query("PRAGMA user_version")[0][0] == len(MIGRATIONS)
        assert storage.entries() == stored
        assert StorageSource(storage).data_begins() == "2026-11-15"
