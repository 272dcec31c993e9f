"""The store's upkeep off the scan path (:mod:`kiosk.upkeep`): the write-ahead log is copied
into the database by a thread of its own, never by a scan's commit, yet cannot grow without
bound; the latest names are searchable the moment their scan is accepted, join the
full-text index in the background, and a crash before they do loses nothing."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk import store as store_module
from kiosk import upkeep
from kiosk.messages import Words, text
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store, StoreError, unindexed_names
from tests.store_support import wal_index
from tests.sync_support import fill_backlog
from tests.test_store_identity import back_once_the_store_speaks, loop_in_place_of

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Đặng Ngọc Ánh"]


def scan(pipeline: Pipeline, i: int) -> str:
    payload = f"{i:012d}||{NAMES[i % len(NAMES)]}|01021990|Nam|Huế|10102021"
    result = pipeline.submit(Scan(payload=payload.encode(), lane="in"))
    assert result.recorded and result.entry_id
    return result.entry_id


def unindexed(store: Store) -> list[tuple[int, str, str]]:
    with store.lock:  # the connection is shared with the upkeep thread: the locking rule
        return unindexed_names(store.conn)


def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the upkeep thread did not get there"
        time.sleep(0.01)


def without_background_moves(monkeypatch) -> None:
    """The upkeep thread neither checkpoints nor moves names during the test."""
    monkeypatch.setattr(upkeep, "CHECKPOINT_EVERY", 10**9)
    monkeypatch.setattr(upkeep, "CHECKPOINT_QUIET_SECONDS", 3600)


def test_the_log_is_copied_into_the_database_once_scans_pause(tmp_path, monkeypatch):
    """The writer's own automatic checkpoint is out of reach here, so only the upkeep thread
    can copy the log: once the scans pause it has copied every frame, with the latest names
    moved into the index, and the next scan starts the log again from its beginning."""
    monkeypatch.setattr(store_module, "WAL_LIMIT_PAGES", 10**6)
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    for i in range(100):
        scan(pipeline, i)
    logged, _ = wal_index(path)
    assert logged > 500  # a hundred scans' pages
    wait_for(lambda: wal_index(path)[1] == wal_index(path)[0] and not unindexed(store))
    with store.lock:
        assert store.conn.execute("SELECT count(*) FROM entries_search").fetchone() == (100,)
    scan(pipeline, 100)
    assert wal_index(path)[0] < 50  # one scan's pages, written from the log's beginning
    store.close()


def test_the_log_cannot_grow_past_its_bound_when_the_upkeep_falls_behind(tmp_path,
                                                                         monkeypatch):
    """With the thread stopped (a slow disk, a long reader), the writer's own checkpoint at
    ``WAL_LIMIT_PAGES`` still bounds the log: it never holds much more than that."""
    without_background_moves(monkeypatch)
    monkeypatch.setattr(store_module, "WAL_LIMIT_PAGES", 200)
    path = tmp_path / "kiosk.db"
    store = Store(path)
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (200,)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    lengths = []
    for i in range(300):
        scan(pipeline, i)
        lengths.append(wal_index(path)[0])
    assert max(lengths) < 200 + 50  # the bound and one scan's pages
    assert min(lengths[100:]) < 50  # and it started again from its beginning
    assert store.conn.execute("SELECT count(*) FROM entries").fetchone() == (300,)
    store.close()


def test_a_log_grown_under_a_long_read_is_cut_back_when_it_starts_again(tmp_path,
                                                                        monkeypatch):
    """A reader holding its snapshot through a burst keeps every checkpoint from starting the
    log again, so the log grows past its bound; SQLite then reuses the file from its start
    and never shrinks it: the -wal stayed that size on disk until the kiosk stopped. Once
    the log is copied, the scan that starts it again cuts the file to ``WAL_KEEP_BYTES``."""
    without_background_moves(monkeypatch)
    keep = 64 * 4096
    monkeypatch.setattr(store_module, "WAL_KEEP_BYTES", keep)
    path = tmp_path / "kiosk.db"
    wal = path.with_name(path.name + "-wal")
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    reader = sqlite3.connect(path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM entries").fetchone()
    for i in range(100):
        scan(pipeline, i)
    reader.rollback()
    reader.close()
    grown = wal.stat().st_size
    assert grown > 4 * keep
    upkeep.Checkpointer(path, store.identity).run()  # what the upkeep thread does once scans pause
    assert wal_index(path)[1] == wal_index(path)[0] and wal.stat().st_size == grown
    scan(pipeline, 100)
    assert wal_index(path)[0] < 50 and wal.stat().st_size == keep
    store.close()

def test_a_name_is_found_the_moment_its_scan_is_accepted_and_once_after_the_move(
        tmp_path, monkeypatch):
    without_background_moves(monkeypatch)
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    entry = scan(pipeline, 0)
    assert [e["id"] for e in store.entries(search="nguyen an")] == [entry]  # not indexed yet
    assert store.conn.execute("SELECT count(*) FROM entries_search").fetchone() == (0,)
    assert store.index_names() == 1
    assert [e["id"] for e in store.entries(search="nguyen an")] == [entry]
    assert unindexed(store) == []
    store.close()


def killed_after_three_scans(path) -> None:
    """A kiosk on ``path`` killed right after three accepted scans, before any names' move
    or checkpoint."""
    child = f"""
import os
from kiosk import upkeep
upkeep.CHECKPOINT_EVERY, upkeep.CHECKPOINT_QUIET_SECONDS = 10**9, 3600
from kiosk.pipeline import Pipeline, Policy
from kiosk.store import Store
from tests.test_store_upkeep import scan
pipeline = Pipeline(Store({str(path)!r}), Policy(checkpoint_id="CP1", kiosk_id="k1"))
for i in range(3):
    scan(pipeline, i)
os._exit(0)
"""
    subprocess.run([sys.executable, "-c", child], check=True, timeout=60)


def test_names_a_crash_left_unindexed_are_indexed_when_the_store_opens(tmp_path):
    """The kiosk is killed right after three accepted scans, before any move: the scans are
    on disk, their names searchable, and opening the store indexes them."""
    path = tmp_path / "kiosk.db"
    killed_after_three_scans(path)
    store = Store(path)
    assert store.conn.execute("SELECT count(*) FROM entries_search").fetchone() == (3,)
    assert unindexed(store) == []
    assert [e["name"] for e in store.entries(search="binh")] == ["Trần Thị Bình"]
    store.close()


def test_an_entry_written_behind_the_indexed_mark_is_indexed_at_once(tmp_path, monkeypatch):
    """An id older than the mark (the clock set back across a restart) would be neither in
    the index nor after the mark: its scan writes it into the index itself."""
    without_background_moves(monkeypatch)
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    scan(pipeline, 0)
    assert store.index_names() == 1
    row = store.entries()[0]
    older = "01800000-0000-7000-8000-000000000000"  # 2022: before every id of this process
    assert older < row["id"]
    with store.transaction() as conn:
        store.insert_entry(conn, {**row, "id": older, "subject_key": "doc:1",
                                  "name": "Lê Văn Tú"})
    assert [e["id"] for e in store.entries(search="tu")] == [older]
    assert unindexed(store) == []
    assert store.conn.execute("SELECT count(*) FROM entries_search").fetchone() == (2,)
    store.close()


def test_a_search_running_while_the_names_move_shows_each_entry_once(tmp_path, monkeypatch):
    """The names a search found after the mark are moved into the index between two of its
    pages (the upkeep thread takes the lock between them): each page reads the index and
    the entries after the mark in one statement, so an entry comes from one or the other,
    never from both."""
    without_background_moves(monkeypatch)
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    ids = [scan(pipeline, i) for i in (0, 3, 6, 9)]  # four Nguyễn Văn An
    pages = store.entry_pages(search="nguyen", columns=("id",), page_rows=2)
    found = [row[0] for row in next(pages)]
    assert store.index_names() == 4
    found += [row[0] for page in pages for row in page]
    assert found == ids
    store.close()


def test_the_upkeep_outlives_a_checkpoint_connection_that_cannot_be_opened(tmp_path,
                                                                           monkeypatch):
    """Its own connection failing to open (no file descriptor left, say) costs one
    checkpoint, not the thread: the names still move, and the next checkpoint opens it."""
    opened = []

    class FailsFirst(upkeep.Checkpointer):
        def __init__(self, path: Path, identity: upkeep.FileIdentity | None) -> None:
            opened.append(path)
            if len(opened) == 1:
                raise sqlite3.OperationalError("unable to open database file")
            super().__init__(path, identity)

    monkeypatch.setattr(upkeep, "Checkpointer", FailsFirst)
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    scan(pipeline, 0)
    wait_for(lambda: not unindexed(store), seconds=5)
    scan(pipeline, 1)
    wait_for(lambda: not unindexed(store) and wal_index(path)[1] == wal_index(path)[0],
             seconds=5)
    assert len(opened) == 2
    store.close()


def test_the_checkpoints_connection_opens_only_the_file_the_store_opened(tmp_path):
    """The store file deleted under a running kiosk, or a copy moved over it: the upkeep
    thread's own connection opens neither. It makes no empty store where the file was
    (SQLite would, and a sync worker started later would send from it), and does not open
    the copy, which would share the store's -wal and -shm (named after the path) and corrupt
    both files. Nothing is read from either: the copy's pages are as they were."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    scan(pipeline, 0)
    opened = store.identity
    copy = tmp_path / "copy.db"
    with sqlite3.connect(copy) as db, sqlite3.connect(path) as source:
        source.backup(db)
    copy_bytes = copy.read_bytes()
    path.unlink()

    with pytest.raises(sqlite3.OperationalError, match="unable to open database file"):
        upkeep.Checkpointer(path, opened)
    assert not path.exists()

    copy.replace(path)
    with pytest.raises(sqlite3.OperationalError, match="no longer the file the store opened"):
        upkeep.Checkpointer(path, opened)
    assert path.read_bytes() == copy_bytes
    store.close()


def test_a_failed_move_leaves_the_scans_connection_syncing_in_full(tmp_path, monkeypatch):
    """The move commits without an fsync (synchronous=NORMAL, on the connection the scans
    share): a move that fails puts FULL back, so the next scan's "accepted" still means on
    disk."""
    without_background_moves(monkeypatch)
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    scan(pipeline, 0)
    with store.lock:
        for event in ("INSERT", "UPDATE"):  # the mark cannot be written
            store.conn.execute(f"CREATE TRIGGER no_{event} BEFORE {event} ON meta "
                               "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    try:
        store.index_names()
    except store_module.StoreError as exc:
        assert "disk full" in str(exc)
    else:
        raise AssertionError("the move did not fail")
    with store.lock:
        assert store.conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert store.conn.execute("SELECT count(*) FROM entries_search").fetchone() == (0,)
    assert len(unindexed(store)) == 1
    store.close()


def test_a_scan_is_accepted_when_no_thread_can_be_started_for_the_upkeep(tmp_path,
                                                                         monkeypatch):
    """The upkeep thread starts after the first write's COMMIT: a process at its thread
    limit ("can't start new thread") still has that scan accepted, not an error for a scan
    that is on disk; the next write starts the thread."""
    starts = []

    class FailsFirst(threading.Thread):
        def start(self) -> None:
            starts.append(self)
            if len(starts) == 1:
                raise RuntimeError("can't start new thread")
            super().start()

    Store(tmp_path / "kiosk.db").close()  # made: opened again, it writes nothing
    monkeypatch.setattr(upkeep.threading, "Thread", FailsFirst)
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    entry = scan(pipeline, 0)  # the thread fails to start after its COMMIT
    assert len(starts) == 1
    assert scan(pipeline, 1) and len(starts) == 2 and starts[1].is_alive()
    assert entry in [e["id"] for e in store.entries()]
    wait_for(lambda: not unindexed(store), seconds=5)
    store.close()


def test_a_purge_of_a_store_moved_away_keeps_the_log_bound(tmp_path):
    """The purge turns the writer's automatic checkpoint off while it runs. The store moved
    away under the kiosk: the purge is refused in words before it turns it off, and opens
    nothing there (no empty store made); the writer's bound is the store's own, not 0 (the
    log would grow without bound until restart)."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    path.rename(tmp_path / "moved.db")
    with pytest.raises(StoreError) as refused:
        store.purge(retention_days=21)
    assert refused.value.words.code == "store.gone"
    assert not path.exists()
    with store.lock:
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (
            upkeep.WAL_LIMIT_PAGES,)
    store.close()


def lose_the_file(path: Path, how: str) -> None:
    """``rm kiosk.db*``, or ``mv backup.db kiosk.db`` (a copy of it, made now)."""
    if how == "deleted":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink()
    else:
        backup = path.with_name("backup.db")
        with sqlite3.connect(backup) as db, sqlite3.connect(path) as source:
            source.backup(db)
        backup.replace(path)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_upkeep_refused_by_a_store_whose_file_is_lost_says_so_once_without_a_trace(
        tmp_path, caplog, how):
    """The store file deleted, or a backup moved over it, after scans the upkeep has still to
    do: each of its cycles is refused, the store refusing every write. Nothing failed in the
    upkeep: one warning naming the refusal, not a trace per cycle. Two cycles here: the
    first takes the first scan and waits for the store's lock, held here meanwhile; the
    second takes the scan written then."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    with store.lock:  # the upkeep's move of the names waits for it
        scan(pipeline, 0)
        wait_for(lambda: store._upkeep._pending == 0)  # taken by the first cycle
        scan(pipeline, 1)  # for the second
        lose_the_file(path, how)
    wait_for(lambda: store._upkeep._pending == 0)  # the second cycle runs: close waits
    store.close()

    assert store.refusal() == Words("store.gone", {"path": path})

    said = [r for r in caplog.records if r.name == "kiosk.upkeep"]
    assert [(r.levelno, r.getMessage(), r.exc_info) for r in said] == [
        (logging.WARNING, f"chưa bảo trì kho dữ liệu {path}, kho không nhận ghi "
                          f"({text('store.gone', 'vi', path=path)}) / store upkeep of {path} "
                          "not done, the store refuses writes "
                          f"({text('store.gone', 'en', path=path)})", None)]
    assert not [r for r in caplog.records if r.exc_info]


def test_upkeep_that_fails_while_the_store_takes_writes_logs_its_trace(tmp_path, caplog):
    """Any other failure of the upkeep (here the index mark cannot be written: a full disk)
    is logged with its trace, for a technician to find."""
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    with store.lock:
        for event in ("INSERT", "UPDATE"):
            store.conn.execute(f"CREATE TRIGGER no_{event} BEFORE {event} ON meta "
                               "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        scan(pipeline, 0)
    wait_for(lambda: any(r.name == "kiosk.upkeep" for r in caplog.records))
    store.close()

    failed = next(r for r in caplog.records if r.name == "kiosk.upkeep")
    assert failed.levelno == logging.ERROR
    assert failed.getMessage() == (
        f"bảo trì kho dữ liệu {store.path} bị lỗi (chi tiết bên dưới); thử lại sau lần ghi "
        f"tiếp theo / store upkeep of {store.path} failed (details below); tried again after "
        "the next write")
    assert failed.exc_info and "disk full" in str(failed.exc_info[1])
    assert store.refusal() is None


def test_upkeep_refused_as_its_store_folder_flickers_says_so_once_without_a_trace(
        tmp_path, caplog):
    """The upkeep's own write finds the store's folder lost for a moment (a network disk's
    hiccup) and is refused; by the time the upkeep asks the store why, the folder is back
    and the store takes writes again. A refusal all the same, not a failure of the upkeep:
    one warning naming it, no trace; and the store goes on taking scans."""
    data = tmp_path / "data"
    data.mkdir()
    path = data / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    with contextlib.ExitStack() as hiccup:
        with store.lock:  # the upkeep's move of the names waits for it
            scan(pipeline, 0)
            wait_for(lambda: store._upkeep._pending == 0)  # taken by its cycle
            hiccup.enter_context(back_once_the_store_speaks(data, loop_in_place_of(data)))
        wait_for(lambda: any(r.name == "kiosk.upkeep" for r in caplog.records))
    assert store.refusal() is None
    scan(pipeline, 1)
    store.close()

    said = [r for r in caplog.records if r.name == "kiosk.upkeep"]
    assert [(r.levelno, r.exc_info) for r in said] == [(logging.WARNING, None)]
    assert said[0].getMessage().startswith(
        f"chưa bảo trì kho dữ liệu {path}, kho không nhận ghi ({path}: không truy cập "
        "được (các liên kết trên đường dẫn tạo thành vòng lặp)")
    assert f" / store upkeep of {path} not done, the store refuses writes ({path}: cannot " \
        "be looked at (the links on the path loop back on themselves)" in said[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info]


def test_marking_the_names_indexed_reads_the_newest_id_not_every_entry(tmp_path, monkeypatch):
    """The upkeep marks the names indexed after nearly every scan (when writes pause), under
    the store's lock: it must read the newest id alone, whatever the store holds. Reading
    the whole time index for ``max(id)`` held a busy checkpoint's next scans ~100 ms at 10⁶
    entries, 1.5 s after a reboot. Counted in SQLite's own steps (a progress handler
    every 100 virtual-machine instructions), not timed: a store ten times larger must cost
    the mark no more steps."""
    without_background_moves(monkeypatch)

    def steps_to_mark(entries: int) -> int:
        fill_backlog(tmp_path / "kiosk.db", entries, kiosk_id="k1")
        store = Store(tmp_path / "kiosk.db")
        calls = 0

        def count() -> int:
            nonlocal calls
            calls += 1
            return 0

        try:
            with store.transaction() as conn:
                conn.set_progress_handler(count, 100)
                store_module.mark_indexed(conn)
                conn.set_progress_handler(None, 100)
            newest = store.conn.execute("SELECT max(id) FROM entries").fetchone()[0]
            assert store.meta(store_module.INDEXED_THROUGH) == {
                store_module.INDEXED_THROUGH: newest}
        finally:
            store.close()
        return calls

    few = steps_to_mark(1_000)
    many = steps_to_mark(9_000)  # 10,000 held now
    assert many <= few + 1
