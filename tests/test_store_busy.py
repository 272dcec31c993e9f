"""Another program holding the store's write lock (``sqlite3 kiosk.db`` with a ``BEGIN
IMMEDIATE`` left open, a backup tool) refuses every scan without the store refusing
anything of its own (:meth:`Store.refusal` stays None): each scan waits for the lock a few
seconds at most (:data:`kiosk.store.BUSY_TIMEOUT_MS`, not half a minute: a person at the
queue waits for the answer), is answered NOT RECORDED with the other program named in
words, and the store remembers it until a write commits again
(:meth:`Store.not_recording`), so a screen does not read READY between refused scans.

The lock is held by a real second process on the real store file.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk import upkeep
from kiosk.app import policy_from
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan
from kiosk.store import BUSY_TIMEOUT_MS, Store, StoreError, unindexed_names
from tests.conftest import make_config
from tests.ui_support import CCCD_AN, CCCD_BINH

_HOLD = """\
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
print("open", flush=True)
sys.stdin.readline()  # "take"
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()  # until the test closes it
conn.execute("COMMIT")
"""


@contextlib.contextmanager
def another_program(store: Path) -> Iterator[Callable[[], None]]:
    """Another process with the store open; what this yields makes it take the write lock
    at once (``BEGIN IMMEDIATE``, as a technician's ``sqlite3 kiosk.db`` would), held until
    the block ends, when it commits and exits."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(store)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdin is not None and holder.stdout is not None

    def take() -> None:
        holder.stdin.write("take\n")
        holder.stdin.flush()
        assert holder.stdout.readline() == "held\n"
    try:
        assert holder.stdout.readline() == "open\n"
        yield take
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0


@contextlib.contextmanager
def held_by_another_program(store: Path) -> Iterator[None]:
    """Another process holds the store's write lock until the block ends."""
    with another_program(store) as take:
        take()
        yield


def busy_words(store: Path, language: str) -> str:
    return {
        "vi": f"{store}: một chương trình khác đang giữ cơ sở dữ liệu (sqlite3 để mở, công cụ "
              "sao lưu…) nên lượt quét không được lưu; mỗi lượt quét sau vẫn được thử ghi lại. "
              "Đóng chương trình đó, hoặc gọi kỹ thuật viên",
        "en": f"{store}: another program holds the database (sqlite3 left open, a backup "
              "tool…), so scans are not saved; each next scan is tried again. Close that "
              "program, or call the technician",
    }[language]


def test_a_scan_waits_a_few_seconds_is_refused_in_words_and_the_store_says_why(tmp_path):
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
    try:
        first = pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1"))
        assert first.recorded
        # its name moved into the index first: else that move, waiting behind the refused
        # scan, commits as soon as the other program lets go (a write: nothing fails then)
        deadline = time.monotonic() + 10
        while unindexed(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        with held_by_another_program(path):
            started = time.monotonic()
            refused = pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
            waited = time.monotonic() - started

            assert BUSY_TIMEOUT_MS / 1000 - 0.1 <= waited < 8  # seconds, not half a minute
            assert not refused.recorded and refused.reason_code == "storage_error"
            assert refused.reason == ("Lỗi lưu trữ, lượt quét CHƯA được ghi: "
                                      + busy_words(path, "vi"))
            assert refused.reason_in("en") == ("Storage error, scan NOT recorded: "
                                               + busy_words(path, "en"))
            assert store.refusal() is None  # the store itself refuses nothing
            assert store.not_recording() is not None
            assert store.not_recording()("vi") == busy_words(path, "vi")
        # let go: said until a write commits (the next scan's, or the store's own upkeep)

        again = pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
        assert again.recorded
        assert store.not_recording() is None
    finally:
        store.close()
    reader = Store(path, create=False)
    try:  # on disk: the two answered as recorded, and nothing else
        assert {e["id"] for e in reader.entries()} == {first.entry_id, again.entry_id}
    finally:
        reader.close()


def test_the_stores_own_chore_does_not_make_a_scan_wait_twice(tmp_path, monkeypatch, caplog):
    """The upkeep thread moves the latest names into the search index once writes pause,
    holding the store's lock: waiting there for another program's lock, it held the next
    scan up for its whole wait before the scan's own began."""
    monkeypatch.setattr(upkeep, "CHECKPOINT_QUIET_SECONDS", 1.0)  # the lock taken before
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
    try:
        with another_program(path) as take:
            assert pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1")).recorded
            take()
            assert unindexed(store)  # the chore has not moved the name before it
            deadline = time.monotonic() + 30  # writes paused: the chore meets the lock
            while "names not moved" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
            assert "another connection holds the write lock" in caplog.text
            assert store.not_recording() is None  # the chore, not waiting long, says nothing
            started = time.monotonic()
            refused = pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
            waited = time.monotonic() - started
        assert not refused.recorded
        assert waited < BUSY_TIMEOUT_MS / 1000 + 1
        assert pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1")).recorded
        deadline = time.monotonic() + 10  # the chore tried again after that write
        while unindexed(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert unindexed(store) == []
    finally:
        store.close()


def test_the_stores_own_upkeep_meeting_the_lock_does_not_leave_the_card_not_recording(
        tmp_path):
    """The daily whole-file check's stamp and the hourly purge wait for another program's
    lock like a scan, in vain; remembered, the card read NOT RECORDED after it let go, until
    the next scan committed (hours at night, no scan refused)."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    try:
        with held_by_another_program(path):
            assert store.verify() is None  # sound; its stamp not written
            with pytest.raises(StoreError, match="another program holds the database"):
                store.purge(retention_days=21)
            assert store.not_recording() is None
        assert store.not_recording() is None
        assert not store.verified_recently()  # checked again at the next hour
    finally:
        store.close()


def unindexed(store: Store) -> list[tuple[int, str, str]]:
    with store.lock:
        return unindexed_names(store.conn)
