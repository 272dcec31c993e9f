"""A disk that fails a write (full, read-only, an I/O error) refuses every scan without the
store refusing anything of its own (:meth:`Store.refusal` stays None): the store remembers
why the last write failed, in words, until a write commits again
(:meth:`Store.not_recording`), so a screen does not read READY between refused scans.

Real stores on a real small file system (tmpfs, mounted by the test as root) filled to its
last byte, and on a file made immutable (chattr +i), as a read-only mount refuses writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import io
import logging
import os
import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.app import Kiosk, policy_from, said_once
from kiosk.ids import uuid7
from kiosk.messages import Words, both
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan
from kiosk.store import ROOM_BACK_AT, Store, StoreError, unindexed_names
from tests.conftest import make_config
from tests.test_store_identity import folder_made_unreachable, folder_put_back
from tests.ui_support import cccd_line


@contextlib.contextmanager
def small_disk(where: Path, size_kib: int = 1024) -> Iterator[Path]:
    """A file system of its own, ``size_kib`` large, mounted at ``where`` (a folder made, or
    one already there: a stick plugged in) until the block ends (a lazy unmount: a store
    still open there does not hold it up)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    where.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs",
                              str(where)], capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"a small file system cannot be mounted here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "--lazy", str(where)], check=True)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to its last byte; returns the file that does (delete it to free it)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out, pytest.raises(OSError) as full:
        while True:
            out.write(bytes(4096))
    assert full.value.errno == errno.ENOSPC
    return filler


@contextlib.contextmanager
def refused_by_a_full_disk(pipeline: Pipeline, disk: Path
                           ) -> Iterator[tuple[sqlite3.Connection, Path]]:
    """A scan recorded, another program reading (an export: the log cannot start again from
    its beginning under it), the disk filled to its last byte and scans until one is refused
    (the log may have room for a few more): the reader and the file filling the disk."""
    reader = sqlite3.connect(disk / "kiosk.db")
    try:
        assert pipeline.submit(Scan(cccd_line(0).encode(), device_id="lane1")).recorded
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM entries").fetchone()
        filler = fill(disk)
        for number in range(1, 2000):
            if not pipeline.submit(Scan(cccd_line(number).encode(), device_id="lane1")).recorded:
                break
        yield reader, filler
    finally:
        reader.close()


def write_until_refused(store: Store, limit: int = 5000) -> StoreError:
    """Writes (a kilobyte each) until the disk refuses one: the log may have room left
    (SQLite reuses it after a checkpoint), so the first few may still go in."""
    for number in range(limit):
        try:
            store.set_meta({f"test.filler.{number}": "x" * 1024})
        except StoreError as exc:
            return exc
    raise AssertionError(f"{limit} writes went in on a full disk")


def test_a_full_disk_is_said_until_a_write_goes_in_again(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        store = Store(disk / "kiosk.db")
        try:
            store.set_meta({"test.first": "1"})
            assert store.not_recording() is None
            filler = fill(disk)

            write_until_refused(store)
            assert store.refusal() is None  # the store itself refuses nothing
            why = store.not_recording()
            assert why is not None and why.code == "store.disk_full"
            assert why("en") == (f"{disk / 'kiosk.db'}: the disk is full, so scans are not "
                                 "saved; each next scan is tried again. Call the technician "
                                 "to free some space")
            assert why("vi").startswith(f"{disk / 'kiosk.db'}: ổ đĩa đầy nên lượt quét "
                                        "không được lưu")

            filler.unlink()
            store.set_meta({"test.after": "1"})
            assert store.not_recording() is None
        finally:
            store.close()


def test_a_full_disk_freed_is_found_by_its_free_space_and_lifted_by_a_small_write(
        tmp_path, caplog):
    """What the screens' poll does between scans (nobody scans while the card says to use
    the paper list): while the disk is full there is no room to try a write in, and nothing
    is written; once space is freed there is, and a small write (the time it went in)
    commits and lifts the failure, saying so in the journal in both languages."""
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    with small_disk(tmp_path / "disk") as disk:
        store = Store(disk / "kiosk.db")
        try:
            assert not store.room_again()  # nothing failed
            filler = fill(disk)
            write_until_refused(store)
            assert not store.room_again()
            assert not store.write_on_room()
            assert store.not_recording().code == "store.disk_full"

            filler.unlink()

            assert store.room_again()
            assert store.write_on_room()
            assert store.not_recording() is None and not store.room_again()
            assert list(store.meta(ROOM_BACK_AT)) == [ROOM_BACK_AT]
            assert [r.getMessage() for r in caplog.records if "room" in r.getMessage()] == [
                both("store.log.room_back", path=disk / "kiosk.db")]
        finally:
            store.close()


def test_the_stores_own_upkeep_fitting_in_the_room_a_refused_scan_left_does_not_lift_a_full_disk(
        tmp_path):
    """The card read READY on a disk still full: after the refused scan the upkeep moved the
    latest names into the index, a few pages that fit in the log's room the refused scan
    had taken and given back (or in a few kilobytes freed), and its commit lifted the
    failure. The store's own upkeep says nothing of the room a scan needs; the poll lifts
    it once the disk has room (:meth:`Store.room_again`), by its small write."""
    with small_disk(tmp_path / "disk", size_kib=2048) as disk:
        store = Store(disk / "kiosk.db")
        pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
        try:
            with refused_by_a_full_disk(pipeline, disk) as (_, filler):
                assert store.not_recording().code == "store.disk_full"
                os.truncate(filler, filler.stat().st_size - 32 * 1024)  # under ROOM_AGAIN_BYTES

                store._chore(quiet=True)  # the upkeep thread's turn, run here to be sure of it
                assert unindexed_names(store.conn) == []  # the upkeep's names went in

                assert store.not_recording().code == "store.disk_full"
                assert not store.room_again()
                filler.unlink()
                assert store.room_again() and store.write_on_room()
                assert store.not_recording() is None
        finally:
            store.close()


def test_a_headless_console_lifts_a_freed_full_disk_by_the_small_write_and_says_so(tmp_path):
    """``kiosk run --headless``'s console (:class:`kiosk.cli.ResultLines`): its poll
    writes nothing while the disk is full and says nothing; once space is freed the small
    write goes in (:data:`ROOM_BACK_AT`) and one line says scans are recorded again, in the
    kiosk's language. tests/test_headless_run.py runs the whole kiosk the same way."""
    from kiosk.cli import ResultLines

    with small_disk(tmp_path / "disk", size_kib=2048) as disk:
        store = Store(disk / "kiosk.db")
        pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
        console = io.StringIO()
        lines = ResultLines(store, "vi", dt.UTC, console)
        pipeline.subscribe(lines.show)
        try:
            with refused_by_a_full_disk(pipeline, disk) as (reader, filler):
                reader.rollback()
                shown = console.getvalue()
                assert "ổ đĩa đầy" in shown.splitlines()[-1]

                lines.look()  # the disk still full
                assert console.getvalue() == shown
                assert list(store.meta(ROOM_BACK_AT)) == []

                filler.unlink()
                lines.look()
                lines.look()  # said once

                assert console.getvalue()[len(shown):].split("  ", 1)[1] == (
                    "GHI ĐƯỢC LẠI  kho dữ liệu đã ghi được trở lại: lượt quét được ghi như "
                    "thường\n")
                assert list(store.meta(ROOM_BACK_AT)) == [ROOM_BACK_AT]
        finally:
            store.close()


def test_a_scan_refused_by_a_full_disk_says_so_in_the_officers_language(tmp_path, caplog):
    """The scan's own answer (the card's reason line, ``kiosk scan``'s output) names the full
    disk in words, not in SQLite's English inside a Vietnamese sentence; SQLite's own text
    stays in the log for the technician: worded in both languages on the line shown, its
    English on the line ``kiosk -v`` shows."""
    with small_disk(tmp_path / "disk", size_kib=2048) as disk:
        store = Store(disk / "kiosk.db")
        pipeline = Pipeline(store, policy_from(make_config(tmp_path)))
        reader = sqlite3.connect(disk / "kiosk.db")  # an export reading: the log cannot
        try:                                         # start again from its beginning
            assert pipeline.submit(Scan(cccd_line(0).encode(), device_id="lane1")).recorded
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM entries").fetchone()
            fill(disk)
            with caplog.at_level(logging.INFO, logger="kiosk.pipeline"):
                for number in range(1, 2000):  # the log may have room for a few more
                    result = pipeline.submit(Scan(cccd_line(number).encode(),
                                                  device_id="lane1"))
                    if not result.recorded:
                        break
        finally:
            reader.close()
            store.close()

    assert result.reason_code == "storage_error"
    assert result.reason_in("vi") == (
        f"Lỗi lưu trữ, lượt quét CHƯA được ghi: {disk / 'kiosk.db'}: ổ đĩa đầy nên lượt quét "
        "không được lưu; mỗi lượt quét sau vẫn được thử ghi lại. Gọi kỹ thuật viên để giải "
        "phóng chỗ trống")
    # the folder is named "disk"
    words = result.reason_in("vi").replace(str(disk / "kiosk.db"), "")
    assert not re.search(r"\b(database|disk|full|error)\b", words)
    assert result.reason_in("en") == (
        f"Storage error, scan NOT recorded: {disk / 'kiosk.db'}: the disk is full, so scans "
        "are not saved; each next scan is tried again. Call the technician to free some space")
    shown, verbose = caplog.records[-2:]
    assert (shown.levelname, shown.getMessage()) == ("ERROR", (
        f"lượt quét từ lane1 CHƯA được ghi: {disk / 'kiosk.db'}: ổ đĩa đầy nên lượt quét không "
        "được lưu; mỗi lượt quét sau vẫn được thử ghi lại. Gọi kỹ thuật viên để giải phóng chỗ "
        f"trống / scan from lane1 NOT recorded: {disk / 'kiosk.db'}: the disk is full, so "
        "scans are not saved; each next scan is tried again. Call the technician to free some "
        "space"))
    assert verbose.levelname == "INFO" and "database or disk is full" in verbose.getMessage()


def test_a_write_that_changes_nothing_does_not_say_the_disk_takes_writes_again(tmp_path):
    """A transaction that wrote nothing (a duplicate blocked, a deletion of nothing) commits
    on a full disk too: it proves nothing about the next scan's write."""
    with small_disk(tmp_path / "disk") as disk:
        store = Store(disk / "kiosk.db")
        try:
            fill(disk)
            write_until_refused(store)
            store.set_meta({"test.never_there": None})
            assert store.not_recording().code == "store.disk_full"
        finally:
            store.close()


def test_a_file_made_unwritable_is_said_to_refuse_writes_not_to_have_failed(tmp_path):
    """SQLite says only "disk I/O error" when the file refuses writes (a read-only mount, a
    file made immutable): the store asks the file, and says the disk refuses writes."""
    if os.geteuid() != 0:
        pytest.skip("making a file immutable needs root")
    path = tmp_path / "kiosk.db"
    store = Store(path)
    store.set_meta({"test.first": "1"})  # the log exists
    files = [str(path), str(path) + "-wal"]
    if subprocess.run(["chattr", "+i", *files], capture_output=True).returncode:
        subprocess.run(["chattr", "-i", *files], capture_output=True)
        store.close()
        pytest.skip("this file system cannot make a file immutable")
    try:
        with pytest.raises(StoreError):
            store.set_meta({"test.second": "1"})
        assert store.refusal() is None
        assert store.not_recording().code == "store.disk_read_only"
        assert store.not_recording()("en") == (
            f"{path}: the disk refuses writes (read-only, or the file locked against "
            "changes), so scans are not saved; each next scan is tried again. Call the "
            "technician")
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
    store.set_meta({"test.second": "1"})
    assert store.not_recording() is None
    store.close()


def test_a_full_disk_is_still_said_once_a_folder_lost_for_a_moment_comes_back(tmp_path):
    """The store's folder replaced by a link loop for a moment (refused: unconfirmed), then
    put back, on a disk still full: the store takes writes again, but the disk does not,
    and the screen must not read READY."""
    with small_disk(tmp_path / "disk") as disk:
        (disk / "data").mkdir()
        store = Store(disk / "data" / "kiosk.db")
        try:
            store.set_meta({"test.first": "1"})
            fill(disk)
            write_until_refused(store)
            assert store.not_recording().code == "store.disk_full"
            old = folder_made_unreachable(disk / "data", "a link loop")
            assert store.not_recording().code == "store.unconfirmed"
            folder_put_back(disk / "data", old)
            assert store.refusal() is None
            assert store.not_recording().code == "store.disk_full"
        finally:
            store.close()


def test_the_hourly_purge_refused_by_the_disk_says_so_once_until_it_purges_again(
        tmp_path, caplog):
    """The store's files made immutable (as a disk remounted read-only) over a weekend,
    with an acknowledged entry past retention: the purge, every hour, says once that the
    disk refuses it, and purges once the disk takes writes again. Another failure (the
    store closed under it) keeps its trace, every hour."""
    if os.geteuid() != 0:
        pytest.skip("making a file immutable needs root")
    running = Kiosk(make_config(tmp_path))
    store, path = running.store, running.config.store_path
    old = time.time() - 40 * 86400
    pipeline = Pipeline(store, policy_from(running.config))
    pipeline.submit(Scan(cccd_line(0).encode(), device_id="lane1", wall_time=old))
    [kept] = store.entries()  # of the running boot: minutes old by its monotonic clock
    past = {**kept, "id": uuid7(), "boot_id": "an-earlier-boot"}  # only its wall time counts
    with store.transaction() as conn:
        store.insert_entry(conn, past)
    store.mark_synced([kept["id"], past["id"]], {})
    files = [str(path), str(path) + "-wal"]
    if subprocess.run(["chattr", "+i", *files], capture_output=True).returncode:
        subprocess.run(["chattr", "-i", *files], capture_output=True)
        running.stop()
        pytest.skip("this file system cannot make a file immutable")
    caplog.set_level(logging.INFO, logger="kiosk.app")

    def said_in(hours: int) -> list[tuple[int, str, bool]]:
        caplog.clear()
        for _ in range(hours):
            running.maintain()
        return [(r.levelno, r.getMessage(), r.exc_info is not None) for r in caplog.records
                if r.name == "kiosk.app"]

    try:
        refused = said_in(3)
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
    try:
        read_only = Words("store.disk_read_only", {"path": path})
        assert refused == [(logging.ERROR, said_once("app.log.purge_not_run",
                                                     reason=read_only), False)]
        assert refused[0][1].startswith("không dọn được các lượt quá hạn lưu giữ: ")
        assert said_in(1) == [(logging.INFO, "retention: removed 1 acknowledged entries", False)]
        assert [r["id"] for r in store.entries()] == [kept["id"]]
    finally:
        running.stop()
    assert said_in(2) == [(logging.ERROR, both("app.log.purge_failed"), True)] * 2
