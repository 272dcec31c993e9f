"""Another program holding the store's write lock (``sqlite3 kiosk.db`` with a ``BEGIN
IMMEDIATE`` left open, a backup tool) refuses every scan without the store refusing
anything of its own (:meth:`Store.refusal` stays None): each scan waits for the lock a few
seconds at most (:data:`kiosk.store.BUSY_TIMEOUT_MS`, not half a minute: a person at the
queue waits for the answer), is answered NOT RECORDED with the other program named in
words, and the store remembers it until a write commits again
(:meth:`Store.not_recording`), so a screen does not read READY between refused scans.
While it stands, each next scan is still tried but waits :data:`kiosk.store.BUSY_AGAIN_MS`
at most, not 5 s a person of the queue; and the screens' poll (``look``) sees the lock let
go without any scan, never waiting for it.

The lock is held by a real second process on the real store file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk import store as store_module
from kiosk import upkeep
from kiosk.app import policy_from
from kiosk.messages import Words
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan
from kiosk.store import BUSY_AGAIN_MS, BUSY_TIMEOUT_MS, Store, StoreError, unindexed_names
from tests.conftest import make_config
from tests.ui_support import CCCD_AN, CCCD_BINH, cccd_line

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
def another_program(store: Path, argv: tuple[str, ...] = ()) -> Iterator[Callable[[], None]]:
    """Another process with the store open; what this yields makes it take the write lock
    at once (``BEGIN IMMEDIATE``, as a technician's ``sqlite3 kiosk.db`` would), held until
    the block ends, when it commits and exits. ``argv``: its program file and arguments as
    /proc shows them (the holder's script saved as that file), for a program named so."""
    command = [sys.executable, "-c", _HOLD, str(store)]
    if argv:
        script = store.parent / "bin" / argv[0]
        script.parent.mkdir(exist_ok=True)
        script.write_text(_HOLD.replace("sys.argv[1]", repr(str(store))), encoding="utf-8")
        command = [sys.executable, str(script), *argv[1:]]
    holder = subprocess.Popen(command, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
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


def test_a_scan_waits_a_few_seconds_is_refused_in_words_and_the_store_says_why(tmp_path,
                                                                             caplog):
    """… and the log line shown without ``kiosk -v`` (ERROR) says it in the catalogue's
    words, both languages; SQLite's "database is locked" is on the INFO line only (-v)."""
    caplog.set_level("INFO", logger="kiosk.pipeline")
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
            assert refused.reason_in("vi") == ("Lỗi lưu trữ, lượt quét CHƯA được ghi: "
                                               + busy_words(path, "vi"))
            assert refused.reason_in("en") == ("Storage error, scan NOT recorded: "
                                               + busy_words(path, "en"))
            assert store.refusal() is None  # the store itself refuses nothing
            assert store.not_recording() is not None
            assert store.not_recording()("vi") == busy_words(path, "vi")
            said = [(r.levelname, r.getMessage()) for r in caplog.records
                    if r.name == "kiosk.pipeline"]
            assert said[0] == ("ERROR", "lượt quét từ lane1 CHƯA được ghi: "
                               + busy_words(path, "vi") + " / scan from lane1 NOT recorded: "
                               + busy_words(path, "en")), said
            assert said[1][0] == "INFO" and "database is locked" in said[1][1], said
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


def test_a_scan_refused_while_a_kiosk_command_holds_the_store_names_that_command(tmp_path):
    """The technician's ``kiosk sync load-refusals`` holding the write lock read "another
    program (sqlite3 left open, a backup tool…)" on the officer's card: nothing to wait
    for, nothing to tell the technician. The command is named, with its pid and what to do,
    in both languages, and the store still knows it as a lock held (the queue behind it is
    answered at once). The holder is a process whose arguments read as that command's
    (``…/kiosk sync load-refusals --config …``), as /proc shows a real one."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
    command = ("kiosk", "sync", "load-refusals", "--config", str(tmp_path / "config.toml"),
               str(tmp_path / "answer.refused"))
    try:
        pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1"))
        wait_for_names_moved(store)
        with another_program(path, command) as take:
            take()
            refused = pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
            said = store.not_recording()
            started = time.monotonic()
            queued = pipeline.submit(Scan(cccd_line(1).encode(), device_id="lane1"))
            queue_waited = time.monotonic() - started
        assert not refused.recorded and said is not None and said.code == "store.busy_kiosk"
        pid = said.params["pid"]
        assert refused.reason_in("en") == (
            f"Storage error, scan NOT recorded: {path}: the kiosk's own command kiosk sync "
            f"load-refusals (pid {pid}) is using the database, so scans are not saved; each "
            f"next scan is tried again. Let it finish, or stop it (Ctrl+C in its terminal, or "
            f"kill {pid}); if unsure, call the technician")
        assert refused.reason_in("vi").endswith(
            f"lệnh kiosk sync load-refusals của chính trạm (pid {pid}) đang dùng cơ sở dữ liệu "
            f"nên lượt quét không được lưu; mỗi lượt quét sau vẫn được thử ghi lại. Chờ lệnh "
            f"đó chạy xong, hoặc dừng nó (Ctrl+C trong cửa sổ của nó, hoặc kill {pid}); không "
            f"rõ thì gọi kỹ thuật viên")
        assert not queued.recorded and queue_waited < BUSY_TIMEOUT_MS / 1000 - 1  # at once
        assert pipeline.submit(Scan(cccd_line(2).encode(), device_id="lane1")).recorded
    finally:
        store.close()


def test_a_kiosk_command_only_reading_the_store_is_not_named_for_another_programs_lock(
        tmp_path):
    """The technician's ``kiosk export`` has the store open, reading, while sqlite3 (or a
    backup tool) holds the write lock: the card named the export ("… (pid N) is using the
    database … kill N") — the first kiosk command with the store open, not the holder. The
    holder is read from the locks the kernel lists: another program's, so the card says so."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
    try:
        pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1"))
        wait_for_names_moved(store)
        with (another_program(path, ("kiosk", "export", "--from", "2026-12-01", "day.csv")),
              held_by_another_program(path)):
            refused = pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
            said = store.not_recording()
        assert not refused.recorded and said is not None
        assert said.code == "store.busy"
        assert refused.reason_in("en").endswith(busy_words(path, "en"))
    finally:
        store.close()


def test_the_kiosks_own_commands_are_told_from_other_programs_by_their_arguments():
    assert store_module._kiosk_command(
        ["/srv/kiosk/.venv/bin/python", "/srv/kiosk/.venv/bin/kiosk", "export", "--from",
         "2026-12-01", "day.csv"]) == "kiosk export"
    assert store_module._kiosk_command(
        ["python3", "-m", "kiosk.cli", "store", "check", "--config", "c.toml"]) == \
        "kiosk store check"
    assert store_module._kiosk_command(["/usr/bin/sqlite3", "kiosk.db"]) is None
    assert store_module._kiosk_command(
        ["/srv/kiosk/.venv/bin/python", "/srv/kiosk/.venv/bin/kiosk-central", "serve"]) is None


def test_once_a_scan_was_refused_the_next_in_the_queue_is_answered_at_once(tmp_path):
    """The second person of a queue waited 5 s more for the same refusal (10 s after the
    first stepped up), the fifth 25 s. Still tried, each is answered NOT RECORDED in a
    quarter of a second; the first once the program lets go is recorded."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
    try:
        first = pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1"))
        wait_for_names_moved(store)
        with held_by_another_program(path):
            started = time.monotonic()
            assert not pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1")).recorded
            assert time.monotonic() - started >= BUSY_TIMEOUT_MS / 1000 - 0.1
            for number in range(3):  # the queue behind it
                started = time.monotonic()
                queued = pipeline.submit(Scan(cccd_line(number).encode(), device_id="lane1"))
                waited = time.monotonic() - started
                assert BUSY_AGAIN_MS / 1000 - 0.05 <= waited < 1.5  # tried, briefly
                assert not queued.recorded and queued.reason_code == "storage_error"
                assert queued.reason_in("en") == ("Storage error, scan NOT recorded: "
                                                  + busy_words(path, "en"))
                assert store.not_recording() == Words("store.busy", {"path": path})
        # let go, and nothing has looked since: the next scan is still tried, and recorded
        started = time.monotonic()
        again = pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1"))
        assert again.recorded and time.monotonic() - started < 1
        assert store.not_recording() is None
        # the wait is the whole one again: a scan meeting the lock now waits 5 s first
        with held_by_another_program(path):
            started = time.monotonic()
            assert not pipeline.submit(Scan(cccd_line(9).encode(), device_id="lane1")).recorded
            assert time.monotonic() - started >= BUSY_TIMEOUT_MS / 1000 - 0.1
    finally:
        store.close()
    assert entry_ids(path) == {first.entry_id, again.entry_id}  # the refused: none


def test_a_scan_after_the_queue_has_gone_waits_the_whole_wait_again(tmp_path, monkeypatch):
    """The short wait is for the people queued behind a refused scan. A scan read later —
    the other program may have let go and taken the lock again between two of the screens'
    polls, as a backup tool copying file after file does — waits the whole wait again
    (the card reads SAVING… meanwhile): refused after a quarter of a second, it would have
    been recorded a moment later."""
    monkeypatch.setattr(store_module, "BUSY_QUEUE_SECONDS", 1.0)
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
    try:
        pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1"))
        wait_for_names_moved(store)
        with held_by_another_program(path):
            assert not pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1")).recorded
            started = time.monotonic()
            assert not pipeline.submit(Scan(cccd_line(1).encode(), device_id="lane1")).recorded
            assert time.monotonic() - started < 1.5  # queued: briefly
            time.sleep(1.2)  # the queue gone: nobody scanned for longer than that
            started = time.monotonic()
            assert not pipeline.submit(Scan(cccd_line(2).encode(), device_id="lane1")).recorded
            assert time.monotonic() - started >= BUSY_TIMEOUT_MS / 1000 - 0.1
    finally:
        store.close()


def test_the_screens_poll_sees_the_other_program_let_go_without_waiting_for_it(tmp_path):
    """The card read NOT RECORDED until a scan committed, long after the program was
    closed. The poll's look (``not_recording(look=True)``) tries the lock without waiting;
    it never waits for a scan that waits for the lock either (it would hold up the screens'
    reads 5 s)."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
    busy = Words("store.busy", {"path": path})
    try:
        first = pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1"))
        wait_for_names_moved(store)
        assert store.not_recording(look=True) is None  # nothing to look at: no statement
        with held_by_another_program(path):
            assert not pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1")).recorded
            assert store.not_recording() == busy
            started = time.monotonic()
            assert store.not_recording(look=True) == busy  # still held
            assert time.monotonic() - started < 0.2
            with store_in_use(store):  # a scan waiting for the lock: not waited for
                started = time.monotonic()
                assert store.not_recording(look=True) == busy
                assert time.monotonic() - started < 0.2
        assert store.not_recording() == busy  # let go, and no write committed since
        with store_in_use(store):
            assert store.not_recording(look=True) == busy  # not looked: the scan will say
        assert store.not_recording(look=True) is None
        assert store.not_recording() is None
    finally:
        store.close()
    assert entry_ids(path) == {first.entry_id}  # the look wrote nothing


@contextlib.contextmanager
def store_in_use(store: Store) -> Iterator[None]:
    """Another thread holds the store's lock (as a scan does while it waits for the write
    lock) until the block ends."""
    taken, done = threading.Event(), threading.Event()

    def use() -> None:
        with store.lock:
            taken.set()
            done.wait()
    user = threading.Thread(target=use)
    user.start()
    try:
        assert taken.wait(10)
        yield
    finally:
        done.set()
        user.join()


def wait_for_names_moved(store: Store) -> None:
    """The upkeep moved the names written so far into the index: else that move, waiting
    behind a refused scan, commits as soon as the other program lets go (a write: the store
    records again), and what the test looks at has happened already."""
    deadline = time.monotonic() + 10
    while unindexed(store) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not unindexed(store)


def entry_ids(path: Path) -> set[str]:
    reader = Store(path, create=False)
    try:
        return {e["id"] for e in reader.entries()}
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


def test_a_headless_console_says_scans_are_recorded_again_once_the_program_let_go(tmp_path):
    """``kiosk run --headless`` has no screen polling: its last line read NOT RECORDED
    (another program's lock) until a scan committed. Its console's poll
    (:meth:`kiosk.cli.ResultLines.look`) looks as the screens' does and, once the lock is
    let go, says in one line that scans are recorded again; nothing while it is held."""
    import io

    from kiosk.cli import ResultLines

    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
    console = io.StringIO()
    lines = ResultLines(store, "en", dt.UTC, console)
    pipeline.subscribe(lines.show)
    try:
        assert pipeline.submit(Scan(CCCD_BINH.encode(), device_id="lane1")).recorded
        wait_for_names_moved(store)
        with held_by_another_program(path):
            assert not pipeline.submit(Scan(CCCD_AN.encode(), device_id="lane1")).recorded
            shown = console.getvalue()
            assert busy_words(path, "en") in shown.splitlines()[-1]
            lines.look()
            assert console.getvalue() == shown  # still held: nothing said

        lines.look()

        assert console.getvalue()[len(shown):].split("  ", 1)[1] == (
            "RECORDING  the store takes writes again: scans are recorded again\n")
    finally:
        store.close()
