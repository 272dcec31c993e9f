"""A store closed cleanly (its ``-wal`` and ``-shm`` deleted by the last close) on a disk
filled since: SQLite cannot make the log's shared-memory index (SQLITE_IOERR_SHMSIZE, "disk
I/O error"), so no connection, reader or writer, could open it. Every entry point says the
disk is full and where to free space, in the reader's language; the commands that read
(listings, exports, ``kiosk sync export``, ``kiosk store check``, ``kiosk doctor``) read it
all the same, in SQLite's exclusive locking mode (no ``-shm``: the log's index in the
reader's memory), alone: no other connection opens the file meanwhile. Once space is freed
the kiosk records again, nothing lost.

Real stores on a real small file system (tmpfs, mounted by the test as root) filled to its
last byte; the real ``kiosk`` command.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import exports
from kiosk.cli import run_headless
from kiosk.config import load
from kiosk.messages import text
from kiosk.store import OPEN_BUSY_MS, Store, StoreError
from tests.test_cli_store_words import kiosk, write_config
from tests.test_store_disk_failing import fill, small_disk
from tests.ui_support import cccd_line

LABEL = {"vi": "lỗi kho dữ liệu", "en": "store error"}
FULL = {"vi": "ổ đĩa đã đầy", "en": "the disk is full"}


def way_out(folder: Path, language: str) -> str:
    return {"vi": f"Giải phóng chỗ trống trên ổ đĩa chứa {folder} (xem: df -h {folder}) rồi "
                  "chạy lại lệnh này",
            "en": f"Free some space on the disk holding {folder} (see: df -h {folder}), then "
                  "run this command again"}[language]


def reading_note(store: Path, language: str) -> str:
    return text("cli.store_disk_full_reading", language, path=store, folder=store.parent)


@contextlib.contextmanager
def closed_store_on_a_full_disk(tmp_path: Path, scans: int = 3, size_kib: int = 1024
                                ) -> Iterator[tuple[Path, Path]]:
    """A store holding ``scans`` scans, recorded by the kiosk and closed (no ``-wal`` or
    ``-shm`` left), on a small disk then filled; the store and the filler (delete it to
    free the disk)."""
    with small_disk(tmp_path / "disk", size_kib=size_kib) as disk:
        store = disk / "kiosk.db"
        config = write_config(tmp_path, store, "en")
        for number in range(scans):
            assert kiosk(config, "scan", cccd_line(number)).returncode == 0
        assert sorted(p.name for p in disk.iterdir()) == ["kiosk.db"]
        yield store, fill(disk)


def entry_count(store: Path) -> int:
    with contextlib.closing(sqlite3.connect(store)) as conn:
        return conn.execute("SELECT count(*) FROM entries").fetchone()[0]


def test_the_store_cannot_be_opened_to_record_and_says_the_disk_is_full(tmp_path):
    """Before: "disk I/O error", worded "the disk reports a read or write error" (check
    the disk's cable): the technician was not told to free space."""
    with closed_store_on_a_full_disk(tmp_path) as (store, filler):
        with pytest.raises(StoreError) as refused:
            Store(store)
        assert refused.value.words("en") == f"{store}: the disk is full"
        assert refused.value.words("vi") == f"{store}: ổ đĩa đã đầy"
        for language in ("vi", "en"):
            config = write_config(tmp_path, store, language)
            proc = kiosk(config, "scan", cccd_line(9))
            assert proc.returncode == 3, proc.stderr
            assert proc.stderr == (f"{LABEL[language]}: {store}: {FULL[language]}\n"
                                   f"{way_out(store.parent, language)}\n")
            proc = kiosk(config, "store", "recover")  # no room for a copy: nothing moved
            assert proc.returncode == 3, proc.stderr
            assert proc.stderr == (f"{LABEL[language]}: {store}: {FULL[language]}\n"
                                   f"{way_out(store.parent, language)}\n")
            assert not list(store.parent.glob("kiosk.db.*"))
        logged = kiosk(config, "-v", "scan", cccd_line(9))
        assert "disk I/O error" in logged.stderr  # SQLite's English for -v only

        filler.unlink()
        assert kiosk(config, "scan", cccd_line(9)).returncode == 0
        assert entry_count(store) == 4


@pytest.mark.parametrize("language", ["vi", "en"])
def test_kiosk_run_says_the_disk_is_full(tmp_path, capsys, language):
    """``kiosk run`` (headless here; the window shows the same words in its message box)."""
    with closed_store_on_a_full_disk(tmp_path) as (store, _):
        config = load(write_config(tmp_path, store, language))
        assert run_headless(config) == 3
        assert capsys.readouterr().err == (f"{LABEL[language]}: {store}: {FULL[language]}\n"
                                           f"{way_out(store.parent, language)}\n")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_commands_that_read_read_it_saying_the_disk_is_full(tmp_path, language):
    """Before: each exited 3 with "the disk reports a read or write error"."""
    with closed_store_on_a_full_disk(tmp_path) as (store, filler):
        config = write_config(tmp_path, store, language)
        note = reading_note(store, language) + "\n"
        out = tmp_path / "entries.csv"  # on another disk, as a USB stick
        proc = kiosk(config, "export", "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.startswith(note)
        with open(out, encoding="utf-8-sig", newline="") as exported:
            rows = list(csv.DictReader(exported))
        assert sorted(row["name"] for row in rows) == [f"Nguyễn Văn Khách {n}" for n in range(3)]
        proc = kiosk(config, "entries", "--all")
        assert proc.returncode == 0 and proc.stderr.startswith(note), proc.stderr
        assert proc.stdout.count("Nguyễn Văn Khách") == 3
        for command in (("stats",), ("sync", "status", "--offline"), ("store", "check")):
            proc = kiosk(config, *command)
            assert proc.returncode == 0, (command, proc.stderr)
            assert proc.stderr.startswith(note), command
        assert sorted(p.name for p in store.parent.iterdir()) <= [
            "filler", "kiosk.db", "kiosk.db-shm", "kiosk.db-wal"]

        filler.unlink()  # space again: the kiosk records, and the export is audited again
        assert kiosk(config, "scan", cccd_line(3)).returncode == 0
        proc = kiosk(config, "export", "-o", str(out), "--force")  # over the first
        assert proc.returncode == 0 and not proc.stderr.startswith(note), proc.stderr
        with sqlite3.connect(store) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("SELECT count(*) FROM entries").fetchone() == (4,)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_sync_export_writes_the_backlog_file_on_a_full_disk(tmp_path, language):
    """The backlog for a site without network: the file is written and checked; its entries
    are not marked exported (they stay pending), said as such, not "failed". Before: exit 3,
    "the disk reports a read or write error", no file."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.sync.backlog_keys import encode
    from kiosk.sync.kiosk_keys import KioskKeys

    with small_disk(tmp_path / "disk", size_kib=1024) as disk:
        store = disk / "kiosk.db"
        config = write_config(tmp_path, store, language)
        KioskKeys(tmp_path).remember({"centre_key": encode(X25519PrivateKey.generate()
                                                           .public_key())})  # beside the config
        for number in range(3):
            assert kiosk(config, "scan", cccd_line(number)).returncode == 0
        filler = fill(disk)
        target = tmp_path / "k1.backlog"
        proc = kiosk(config, "sync", "export", "--to", str(target))
        assert proc.returncode == 0, proc.stderr
        assert target.stat().st_size > 0
        assert proc.stderr.startswith(reading_note(store, language) + "\n")
        why = text("store.full_read_only", language, path=store, folder=store.parent)
        assert text("sync.export_unrecorded", language, entries=3, path=target,
                    why=why) in proc.stderr  # its answer could not be loaded: said

        filler.unlink()
        with sqlite3.connect(store) as conn:
            assert conn.execute("SELECT sync_state, count(*) FROM entries GROUP BY 1"
                                ).fetchall() == [("pending", 3)]
        proc = kiosk(config, "sync", "export", "--to", str(target), "--force")
        assert proc.returncode == 0, proc.stderr
        with sqlite3.connect(store) as conn:
            assert conn.execute("SELECT sync_state, count(*) FROM entries GROUP BY 1"
                                ).fetchall() == [("sent", 3)]


def test_kiosk_doctor_says_the_disk_is_full_and_still_checks_the_store(tmp_path):
    with closed_store_on_a_full_disk(tmp_path) as (store, _):
        proc = kiosk(write_config(tmp_path, store, "vi"), "doctor", "--json")
        found = {check["name"]: check for check in json.loads(proc.stdout)["checks"]}
        assert not found["store_opens"]["ok"]
        assert found["store_opens"]["en"] == (
            f"The disk holding {store.parent} is full: the kiosk cannot open the store {store} "
            f"to record scans (it can still be read and exported). Free some space on that "
            f"disk (see: df -h {store.parent})")
        assert found["store_opens"]["vi"].startswith(f"Ổ đĩa chứa {store.parent} đã đầy")
        assert found["store"]["ok"], found["store"]  # the integrity check ran
        assert not found["disk"]["ok"]


def test_a_reader_on_a_full_disk_has_the_store_alone_and_harms_nothing(tmp_path):
    """The store read in exclusive locking mode holds the file's lock from its first read
    to its close: another process, the kiosk starting (space freed meanwhile) or a second
    reader, is refused as busy, never reads it half-changed nor makes a second index of its
    log. Writes through the reader are refused in words."""
    with closed_store_on_a_full_disk(tmp_path) as (store, filler):
        reader = Store(store, read_only=True)
        try:
            assert reader.exclusive
            assert len(reader.entries()) == 3
            assert reader.damage() is None
            with pytest.raises(StoreError) as refused:
                reader.set_meta({"test.written": "1"})
            assert refused.value.words.code == "store.full_read_only"
            filler.unlink()
            other = subprocess.run(
                [sys.executable, "-c", "import sqlite3, sys\n"
                 f"c = sqlite3.connect({str(store)!r}, timeout=0.2)\n"
                 "try:\n"
                 "    c.execute('INSERT INTO meta VALUES (1, 1)')\n"
                 "except sqlite3.OperationalError as e:\n"
                 "    sys.exit(e.sqlite_errorname)\n"],
                capture_output=True, text=True, timeout=60)
            assert other.stderr.strip() == "SQLITE_BUSY"
        finally:
            reader.close()
        with contextlib.closing(Store(store)) as writer:
            writer.set_meta({"test.written": "1"})
            assert len(writer.entries()) == 3
            assert writer.damage() is None


def test_a_log_left_by_a_crash_is_read_and_kept_on_a_full_disk(tmp_path):
    """The kiosk killed (its ``-wal`` holding scans not yet in the file), its ``-shm``
    gone, the disk full: the reader reads the log's scans too, and its close, unable to copy
    them into the file on a full disk, leaves the log whole for the next start."""
    with small_disk(tmp_path / "disk", size_kib=1024) as disk:
        made = tmp_path / "made"
        made.mkdir()
        store = made / "kiosk.db"
        config = write_config(tmp_path, store, "en")
        assert kiosk(config, "scan", cccd_line(0)).returncode == 0
        killed = sqlite3.connect(store, isolation_level=None)
        killed.execute("PRAGMA wal_autocheckpoint=0")
        killed.execute("INSERT INTO meta VALUES ('test.in_the_log', ?)", ("x" * 20000,))
        for name in ("kiosk.db", "kiosk.db-wal"):  # as the power cut left them
            shutil.copyfile(made / name, disk / name)
        killed.close()
        assert (disk / "kiosk.db-wal").stat().st_size > 20000
        filler = fill(disk)
        reader = Store(disk / "kiosk.db", read_only=True)
        try:
            assert reader.exclusive
            assert reader.meta("test.")["test.in_the_log"] == "x" * 20000
            assert len(reader.entries()) == 1
        finally:
            reader.close()
        filler.unlink()
        with contextlib.closing(Store(disk / "kiosk.db")) as writer:
            assert writer.meta("test.")["test.in_the_log"] == "x" * 20000
            assert writer.damage() is None


def test_a_long_export_on_a_full_disk_is_formatted_in_one_process(tmp_path, monkeypatch):
    """The export's worker processes could not open the store the export holds alone: each
    waited for it the whole open timeout (30 s), then the export went on without them."""
    monkeypatch.setattr(exports, "CHUNK_ROWS", 1)  # three chunks: processes otherwise
    with closed_store_on_a_full_disk(tmp_path) as (store, _):
        reader = Store(store, read_only=True)
        try:
            started = time.monotonic()
            out = io.BytesIO()
            assert exports.write_csv(reader, None, None, out, workers=2) == 3
            assert time.monotonic() - started < OPEN_BUSY_MS / 1000 / 2
        finally:
            reader.close()
    assert len(out.getvalue().decode().splitlines()) == 4
