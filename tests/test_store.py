"""The local store: durable settings, versioned schema, time-ordered ids, retention, audit."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import pytest

from kiosk.ids import uuid7, uuid7_time_ms
from kiosk.scan import Scan
from kiosk.store import MIGRATIONS, Store, StoreError
from kiosk.timestamps import utc_iso
from tests.conftest import CCCD_AN, CCCD_BINH


def test_every_connection_is_wal_with_full_fsync(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_schema_is_versioned_and_reopening_does_not_migrate_again(tmp_path):
    first = Store(tmp_path / "k.db")
    assert first.schema_version == len(MIGRATIONS)
    first.close()
    again = Store(tmp_path / "k.db")
    assert again.schema_version == len(MIGRATIONS)
    assert {"entries", "refused_scans", "audit_log", "meta"} <= set(again.table_names())
    again.close()


def test_a_database_from_a_newer_program_is_refused_not_damaged(tmp_path):
    """A kiosk store a newer version left (the kiosk's tables, one of its own, a higher
    schema); another program's database with a high user_version is not one
    (test_store_wrong_kind)."""
    Store(tmp_path / "k.db").close()
    conn = sqlite3.connect(tmp_path / "k.db")
    conn.execute("PRAGMA user_version = 99")
    conn.execute("CREATE TABLE precious (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store(tmp_path / "k.db")
    conn = sqlite3.connect(tmp_path / "k.db")
    assert ("precious",) in conn.execute("SELECT name FROM sqlite_master").fetchall()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 99


def test_indexes_serve_today_pending_and_subject_queries(store):
    plans = {
        "today": "SELECT * FROM entries WHERE scanned_at >= '2026' AND scanned_at < '2027'",
        "pending": "SELECT * FROM entries WHERE sync_state IN ('pending', 'sent') AND id > '' "
                   "ORDER BY id LIMIT 10",
        "last movement": "SELECT id, scanned_at, direction FROM entries WHERE subject_key = "
                         "'doc:1' AND checkpoint_id = 'C' ORDER BY scanned_at DESC LIMIT 1",
    }
    for name, sql in plans.items():
        plan = " ".join(r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (name, plan)


def test_uuid7_ids_are_unique_time_ordered_and_carry_their_time():
    before = int(time.time() * 1000)
    ids = [uuid7() for _ in range(20000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(uuid.UUID(i).version == 7 for i in ids[:10])
    assert before <= uuid7_time_ms(ids[0]) <= int(time.time() * 1000) + 5


def test_a_forked_child_never_makes_its_parents_random_bits():
    """The random bits come from a buffer read 256 ids at a time: a child forked with
    unused bytes in it must not use them as well, or it and its parent make ids that
    differ only in their time and counter."""
    uuid7()  # the parent's buffer now holds bytes for 255 more ids
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's own process
        os.write(write, " ".join(uuid7() for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        theirs = pipe.read().split()
    ours = [uuid7() for _ in range(5)]
    assert len(theirs) == 5
    assert not {i[19:] for i in theirs} & {i[19:] for i in ours}  # variant and rand_b


BOOTED = time.time() - 60 * 86400


def clocks(at: float | None = None) -> dict[str, Any]:
    """A scan's two clocks at wall time ``at`` (now by default) on a kiosk that has run since
    it booted 60 days ago: the purge needs an entry of the running boot old by both."""
    at = time.time() if at is None else at
    return {"wall_time": at, "monotonic_ns": int((at - BOOTED) * 1e9)}


def test_retention_purges_only_acknowledged_entries(make_pipeline):
    pipeline = make_pipeline(duplicate_policy="allow")
    old = time.time() - 30 * 86400
    for payload, at in ((CCCD_AN, old), (CCCD_BINH, old), ("recent", time.time())):
        pipeline.submit(Scan(payload=payload.encode(), **clocks(at)))
    store = pipeline.store
    rows = store.entries()
    acknowledged = [r["id"] for r in rows if r["name"] == "Nguyễn Văn An"]
    store.mark_synced(acknowledged, {})
    assert store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"]) == 1
    left = {r["name"] or r["kind"] for r in store.entries()}
    assert left == {"Trần Thị Bình", "other"}  # pending old entry kept, recent kept
    assert store.audit_log()[-1]["action"] == "retention.purge"


def test_sync_answers_are_applied_atomically_and_rejections_are_retryable(make_pipeline):
    pipeline = make_pipeline()
    a = pipeline.submit(Scan(payload=CCCD_AN.encode()))
    b = pipeline.submit(Scan(payload=CCCD_BINH.encode()))
    store = pipeline.store
    store.mark_synced([a.entry_id], {b.entry_id: "checkpoint unknown"})
    assert store.sync_counts() == {"pending": 0, "sent": 0, "acknowledged": 1, "rejected": 1}
    rejected = store.entries(subject="079301004567")[0]
    assert rejected["sync_error"] == "checkpoint unknown"
    assert store.retry_rejected(actor="op") == 1
    assert [r["id"] for r in store.pending(10)] == [b.entry_id]
    assert store.audit_log()[-1]["action"] == "sync.retry_rejected"
    assert json.loads(store.audit_log()[-1]["detail"])["total"] == 1


def refused_by_the_centre(path: Any, count: int) -> None:
    """The store's one entry copied until it holds ``count``, every one rejected (a centre
    that refused this checkpoint for weeks), written by another connection."""
    conn = sqlite3.connect(path, isolation_level=None)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(entries)") if row[1] != "id"]
    listed = ", ".join(columns)
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO entries (id, {listed}) SELECT ?, {listed} FROM entries "
                     "LIMIT 1", [(f"00000000-0000-7000-8000-{k:012x}",) for k in range(count - 1)])
    conn.execute("UPDATE entries SET sync_state = 'rejected', sync_error = 'refused'")
    conn.execute("COMMIT")
    conn.close()


def test_retrying_many_refused_entries_lets_the_kiosks_scans_in_between_chunks(
        make_pipeline):
    """In one transaction, retrying 700,000 refused entries held the write lock 8–14 s, and
    the kiosk's scans (another connection than the sync worker's or the command's) were
    refused "another program holds the database" meanwhile. In chunks, each committed on its
    own, a scan waits for one chunk at most; the result and its one audit record are the
    same."""
    pipeline = make_pipeline()
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), **clocks())).recorded
    store = pipeline.store
    refused_by_the_centre(store.path, 30_000)
    worker = Store(store.path, create=False)  # the sync worker's own connection
    commits: list[str] = []
    worker.conn.set_trace_callback(lambda sql: sql == "COMMIT" and commits.append(sql))
    retried: list[int] = []
    retrying = threading.Thread(
        target=lambda: retried.append(worker.retry_rejected(actor="op", chunk_rows=5_000)))
    try:
        retrying.start()
        while not store.sync_counts()["pending"]:  # a first chunk committed
            time.sleep(0.001)
        scan = pipeline.submit(Scan(payload=CCCD_BINH.encode(), **clocks()))
        retrying.join(timeout=60)
    finally:
        worker.conn.set_trace_callback(None)
        worker.close()

    assert scan.recorded and store.not_recording() is None
    assert len(commits) == 7  # six chunks of 5,000, the last (none left) with the audit
    assert retried == [30_000]
    assert store.sync_counts() == {"pending": 30_001, "sent": 0, "acknowledged": 0,
                                   "rejected": 0}
    parts = retry_records(store)
    assert [(p["part"], p["count"]) for p in parts] == [
        (1, 5_000), (2, 5_000), (3, 5_000), (4, 5_000), (5, 5_000), (6, 5_000), (7, 0)]
    assert len({p["retry"] for p in parts}) == 1
    assert (parts[-1]["total"], parts[-1]["done"]) == (30_000, True)


def retry_records(store: Store) -> list[dict[str, Any]]:
    """The audit log's ``sync.retry_rejected`` records, oldest first, their details read."""
    return [json.loads(r["detail"]) for r in store.audit_log()
            if r["action"] == "sync.retry_rejected"]


def test_a_retry_killed_between_chunks_has_audited_every_entry_it_moved(make_pipeline):
    """``kiosk sync retry-rejected`` (here its Store call, in a process of its own with
    chunks of 100) killed with SIGKILL after a few chunks: every entry it put back in the
    queue is named by an audit record written in the same transaction (its part, its count
    and its first and last id), none says the retry was done, and the entries it did not
    reach are still rejected. Retrying again moves those and ends with the record saying
    done; the two retries' counts add up to every entry refused."""
    pipeline = make_pipeline()
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), **clocks())).recorded
    store = pipeline.store
    refused_by_the_centre(store.path, 3_000)
    retrying = subprocess.Popen(
        [sys.executable, "-c", "import sys; from kiosk.store import Store; "
         "Store(sys.argv[1], create=False).retry_rejected('op', chunk_rows=100)",
         str(store.path)], stdin=subprocess.DEVNULL)
    try:
        while store.sync_counts()["pending"] < 300:  # three chunks or more committed
            assert retrying.poll() is None, "the retry ended before it was killed"
            time.sleep(0.005)
        retrying.send_signal(signal.SIGKILL)
        assert retrying.wait(timeout=30) == -signal.SIGKILL
    finally:
        if retrying.poll() is None:
            retrying.kill()
            retrying.wait()

    counts = store.sync_counts()
    assert 300 <= counts["pending"] < 3_000
    assert counts["pending"] + counts["rejected"] == 3_000
    parts = retry_records(store)
    assert parts and all(not p.get("done") for p in parts)
    assert [p["part"] for p in parts] == list(range(1, len(parts) + 1))
    assert sum(p["count"] for p in parts) == counts["pending"]
    pending = [r["id"] for r in store.pending(5_000)]
    named = [i for i in pending if any(p["first_id"] <= i <= p["last_id"] for p in parts)]
    assert named == pending  # each entry back in the queue lies in a part's range
    assert not any(p["first_id"] <= r["id"] <= p["last_id"]
                   for r in store.rejected_entries(5_000) for p in parts)

    assert store.retry_rejected(actor="op") == counts["rejected"]
    after = retry_records(store)[len(parts):]
    assert (after[-1]["total"], after[-1]["done"]) == (counts["rejected"], True)
    assert sum(p["count"] for p in parts + after) == 3_000


def test_day_bounds_follow_the_checkpoint_time_zone(tmp_path):
    from zoneinfo import ZoneInfo
    store = Store(tmp_path / "k.db", timezone=ZoneInfo("Asia/Ho_Chi_Minh"))
    import datetime as dt
    since, until = store.day_bounds(dt.date(2026, 11, 22))
    assert (since, until) == ("2026-11-21T17:00:00.000000Z", "2026-11-22T17:00:00.000000Z")
    assert utc_iso(0) == "1970-01-01T00:00:00.000000Z"
    store.close()


def test_a_large_purge_runs_in_small_transactions_and_removes_every_expired_row(
        make_pipeline):
    pipeline = make_pipeline(duplicate_policy="allow")
    old = time.time() - 40 * 86400
    for i in range(7):
        pipeline.submit(Scan(payload=f"old-{i}".encode(), **clocks(old)))
        pipeline.submit(Scan(payload=b"", **clocks(old)))  # refused: logged, also expires
    store = pipeline.store
    store.mark_synced([r["id"] for r in store.entries()], {})
    assert store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"]) == 7
    assert store.entries() == []
    assert store.conn.execute("SELECT count(*) FROM refused_scans").fetchone()[0] == 0



@pytest.fixture
def id_clock(monkeypatch):
    """uuid7's memory of its last millisecond, none at first (the tests' times are before
    the real clock's), put back after the test."""
    from kiosk import ids

    monkeypatch.setattr(ids, "_last_ms", 0)
    monkeypatch.setattr(ids, "_counter", ids._counter)


DAY_MS = 86_400_000
NOW_MS = 1_790_000_000_000


def test_an_id_made_after_the_clock_is_set_back_from_far_ahead_carries_the_clocks_time(
        id_clock):
    """A clock 200 days ahead, then set right: the id is of the right time, not the old
    one's (the centre files, traces and erases by it), and ids increase again from there."""
    ahead = uuid7(NOW_MS + 200 * DAY_MS)
    right = [uuid7(NOW_MS), uuid7(NOW_MS), uuid7(NOW_MS + 1)]
    assert uuid7_time_ms(ahead) == NOW_MS + 200 * DAY_MS
    assert [uuid7_time_ms(i) for i in right] == [NOW_MS, NOW_MS, NOW_MS + 1]
    assert right == sorted(right) and len(set(right)) == 3


def test_a_clock_back_by_at_most_the_step_keeps_ids_increasing(id_clock):
    """Back by BACK_STEP_MS or less (an NTP correction, two threads a moment apart): RFC
    9562's monotonic counter goes on at the last millisecond; one millisecond more back
    and the id takes the clock's time."""
    from kiosk.ids import BACK_STEP_MS

    first = uuid7(NOW_MS)
    kept = uuid7(NOW_MS - BACK_STEP_MS)
    assert kept > first and uuid7_time_ms(kept) == NOW_MS
    stepped = uuid7(NOW_MS - BACK_STEP_MS - 1)
    assert uuid7_time_ms(stepped) == NOW_MS - BACK_STEP_MS - 1
