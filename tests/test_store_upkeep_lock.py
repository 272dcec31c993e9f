"""The store's own upkeep (the hourly purge, the daily check's stamp, the names' move, at
open too) meeting another program's write lock: it holds :attr:`Store.lock` while it waits,
so a scan arriving then waits for it first and for the lock after. It gives up after
:data:`kiosk.store.CHORE_BUSY_MS`, says nothing to the card, and is tried again later: a
scan behind it waits its own few seconds, not twice that.

The lock is held by a real second process on the real store file (tests/test_store_busy).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from kiosk.app import policy_from
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan
from kiosk.store import BUSY_TIMEOUT_MS, PURGED_UNAUDITED, Store, StoreError, unindexed_names
from tests.conftest import make_config
from tests.test_store import clocks
from tests.test_store_busy import held_by_another_program
from tests.test_store_upkeep import killed_after_three_scans
from tests.ui_support import CCCD_AN, CCCD_BINH

SHORT = 1.5
"""Seconds: well above CHORE_BUSY_MS (and a loaded machine's slack), well below the scan's
own wait (BUSY_TIMEOUT_MS)."""


def test_the_purge_and_the_checks_stamp_give_up_on_another_programs_lock_quickly(tmp_path):
    path = tmp_path / "kiosk.db"
    store = Store(path)
    try:
        with held_by_another_program(path):
            started = time.monotonic()
            with pytest.raises(StoreError) as refused:
                store.purge(retention_days=21)
            purge_waited = time.monotonic() - started
            started = time.monotonic()
            assert store.verify() is None  # sound: the file reads beside the lock
            verify_waited = time.monotonic() - started
            assert refused.value.words.code == "store.busy"
            assert purge_waited < SHORT < BUSY_TIMEOUT_MS / 1000
            assert verify_waited < SHORT
            assert store.not_recording() is None  # nothing said to the card
            assert not store.verified_recently()  # the stamp not written: checked again
        store.purge(retention_days=21)  # the next hour's: the lock let go
        assert store.verify() is None and store.verified_recently()
    finally:
        store.close()


def test_a_scan_queued_behind_the_purge_waits_once_not_twice(tmp_path):
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
    try:
        assert pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1")).recorded
        with held_by_another_program(path):
            purge_said: list[str] = []

            def purge() -> None:
                try:
                    store.purge(retention_days=21)
                except StoreError as exc:
                    purge_said.append(exc.words.code)
            purging = threading.Thread(target=purge)
            waiting = threading.Event()  # the purge's BEGIN begun: it holds store.lock

            def traced(statement: str) -> None:
                if statement == "BEGIN IMMEDIATE" and threading.current_thread() is purging:
                    waiting.set()
            store.conn.set_trace_callback(traced)
            started = time.monotonic()
            purging.start()
            assert waiting.wait(timeout=30)
            refused = pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
            waited = time.monotonic() - started
            purging.join()
        assert purge_said == ["store.busy"]
        assert not refused.recorded
        assert waited < BUSY_TIMEOUT_MS / 1000 + SHORT  # before: the purge's 5 s, then its own
        assert pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1")).recorded
    finally:
        store.close()


def test_entries_a_purge_removed_before_it_was_refused_are_audited_by_the_next(tmp_path):
    """A purge refused half-way (the lock taken between two steps) has removed entries: the
    next purge's ``retention.purge`` row counts them too, so none leaves without a record."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    try:
        store.set_meta({PURGED_UNAUDITED: "7"})  # what a purge refused after its first steps leaves
        with held_by_another_program(path), pytest.raises(StoreError):
            store.purge(retention_days=21)
        assert store.audit_log() == []
        store.purge(retention_days=21)
        [row] = [r for r in store.audit_log() if r["action"] == "retention.purge"]
        assert json.loads(row["detail"])["removed"] == 7
    finally:
        store.close()


PURGE_KILLED_BETWEEN_STEPS = """
import sys
from kiosk.store import Store
from tests.test_store import clocks
store = Store(sys.argv[1])
quiet, steps = store._wait_for_quiet, []
def wait(stop):
    if steps:  # the first step committed: the process is killed here, before the next
        print("stepped", flush=True)
        sys.stdin.readline()
    steps.append(None)
    return quiet(stop)
store._wait_for_quiet = wait
store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"])
"""


def test_entries_a_killed_purge_removed_are_audited_by_the_next_purge(tmp_path):
    """The kiosk is killed (a power cut, ``kill -9``) between two purge steps: the first
    step's entries are gone, and so is the process that was to write their audit row. Their
    count was committed with them, so the next purge's ``retention.purge`` row counts every
    entry removed: none leaves without a record, whatever happens to the process."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    policy = policy_from(make_config(tmp_path, policy={"duplicate_policy": "allow"}))
    old = time.time() - 30 * 86400
    for number in range(100):
        assert Pipeline(store, policy).submit(
            Scan(payload=f"old-visitor-{number}".encode(), **clocks(old + number))).recorded
    store.mark_synced([row["id"] for row in store.entries()], {})
    store.close()
    child = subprocess.Popen([sys.executable, "-c", PURGE_KILLED_BETWEEN_STEPS, str(path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "stepped\n"
    finally:
        child.kill()
        child.wait(timeout=30)
    store = Store(path)
    try:
        assert 0 < len(store.entries()) < 100  # the first step's deletion committed
        store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"])
        assert store.entries() == []
        assert [json.loads(row["detail"])["removed"] for row in store.audit_log()
                if row["action"] == "retention.purge"] == [100]
        assert PURGED_UNAUDITED not in store.meta(PURGED_UNAUDITED)
    finally:
        store.close()


def test_names_left_unindexed_do_not_hold_up_opening_the_store_while_another_program_holds_it(
        tmp_path):
    """A kiosk killed before its names' move leaves them for the next open to move. With
    another program holding the write lock, every command (`kiosk stats`, `entries`…) waited
    the whole scan's wait at open for that move (5.1 s for `kiosk stats`): the move gives up
    after CHORE_BUSY_MS instead, the store opens, the names are still found (matched from
    the entries), and the move is made once the lock is let go."""
    path = tmp_path / "kiosk.db"
    killed_after_three_scans(path)
    with held_by_another_program(path):
        started = time.monotonic()
        store = Store(path)
        opened_in = time.monotonic() - started
        try:
            assert opened_in < SHORT < BUSY_TIMEOUT_MS / 1000
            assert len(unindexed_names(store.conn)) == 3  # not moved: the lock is held
            assert [e["name"] for e in store.entries(search="binh")] == ["Trần Thị Bình"]
            assert store.not_recording() is None  # the card is told nothing
        finally:
            store.close()
    store = Store(path)
    try:
        assert unindexed_names(store.conn) == []
    finally:
        store.close()
