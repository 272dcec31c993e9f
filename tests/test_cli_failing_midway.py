"""A store or disk that fails a ``kiosk`` command after it started, said in the reader's
language, as a store that cannot be opened is (tests/test_cli_store_words.py).

The store opened, then: a page read half-way is damaged (``kiosk entries``, ``kiosk
export``), the disk fills as the command writes (the audit line of ``kiosk entries
--search``, the backlog file of ``kiosk sync export``), another program holds the write lock
(``kiosk sync retry-rejected``, ``kiosk store recover``). Each exits non-zero with the file,
why and what to do, in the config's language only: SQLite's and the system's English
("database disk image is malformed", "database or disk is full", "[Errno 28] No space left
on device", "database is locked") only in ``kiosk -v``'s log. What was recorded stays.
Each failure is real: pages overwritten, a small file system filled to its last byte, a
second process holding the lock.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from central_support import write_lock_held_by_another_process

from tests.conftest import CCCD_AN
from tests.test_cli_store_words import kiosk, write_config
from tests.test_store_damage import middle_leaves_of_entries, store_with_damage
from tests.test_store_disk_failing import fill, small_disk

DAMAGED = {
    "vi": "SQLite thấy các trang của tệp bị hỏng\nTệp dữ liệu bị hỏng. Dừng trạm, rồi chạy: "
          "kiosk store recover (giữ lại tệp hỏng)",
    "en": "SQLite finds the file's pages damaged\nThe store file is damaged. Stop the kiosk, "
          "then run: kiosk store recover (the damaged file is kept)",
}
LABEL = {"vi": "lỗi kho dữ liệu", "en": "store error"}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_page_found_damaged_half_way_through_a_listing_or_an_export_is_worded(
        tmp_path: Path, language: str) -> None:
    """The file opens (its first page is sound); the rows read in the middle of the
    entries table are not. Every entry its indexes still count is counted after."""
    config = store_with_damage(tmp_path, middle_leaves_of_entries)
    config.write_text(config.read_text().replace('language = "en"',
                                                 f'language = "{language}"'))
    store = tmp_path / "kiosk.db"
    said = f"{LABEL[language]}: {store}: {DAMAGED[language]}\n"
    for command in (("entries", "--all", "--limit", "5000"),
                    ("entries", "--search", "nguyen van an", "--all"),
                    ("export", "--from", "2020-01-01", "-o", str(tmp_path / "out.csv")),
                    ("export", "--from", "2020-01-01", "--format", "xlsx", "-o",
                     str(tmp_path / "out.xlsx"))):
        proc = kiosk(config, *command)
        assert proc.returncode == 3, (command, proc.stderr)
        assert proc.stderr == said, command
    # no file holding the first rows only, to pass for the whole period's
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.xlsx").exists()
    logged = kiosk(config, "-v", "entries", "--all", "--limit", "5000")
    assert "database disk image is malformed" in logged.stderr
    assert logged.stderr.endswith(said)
    with sqlite3.connect(store) as conn:  # counted from an index: its pages are sound
        assert conn.execute("SELECT count(*) FROM entries").fetchone() == (3000,)


@pytest.fixture
def full_disk_store(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A store holding one scan on a small file system filled to its last byte; the store
    and the filler (delete it to free the disk). A reader stays open, as the running kiosk
    would: the store's index of its log (``-shm``) stays there, so the store still opens;
    its log emptied first, so the next write must grow it."""
    with small_disk(tmp_path / "disk") as disk:
        store = disk / "kiosk.db"
        assert kiosk(write_config(tmp_path, store, "en"), "scan", CCCD_AN).returncode == 0
        reader = sqlite3.connect(store)
        try:
            reader.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            yield store, fill(disk)
        finally:
            reader.close()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_disk_that_fills_as_a_command_writes_its_audit_line_is_worded(
        full_disk_store: tuple[Path, Path], tmp_path: Path, language: str) -> None:
    """``kiosk entries --search`` reads the store, then must write who looked whom up
    before showing a row: the full disk refuses that line, so nothing is shown."""
    store, filler = full_disk_store
    config = write_config(tmp_path, store, language)
    proc = kiosk(config, "entries", "--search", "nguyen van an", "--all")
    assert proc.returncode == 3, proc.stderr
    way_out = {"vi": f"Giải phóng chỗ trống trên ổ đĩa chứa {store.parent} (xem: df -h "
                     f"{store.parent}) rồi chạy lại lệnh này",
               "en": f"Free some space on the disk holding {store.parent} (see: df -h "
                     f"{store.parent}), then run this command again"}[language]
    reason = {"vi": "ổ đĩa đã đầy", "en": "the disk is full"}[language]
    assert proc.stderr == f"{LABEL[language]}: {store}: {reason}\n{way_out}\n"
    logged = kiosk(config, "-v", "entries", "--search", "nguyen van an", "--all")
    assert "database or disk is full" in logged.stderr
    assert logged.stderr.endswith(proc.stderr)
    assert "Nguyễn" not in proc.stdout  # not shown without its audit line

    with open(store.parent / "listing.txt", "w") as listing:  # the output on that disk
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "entries", "--all",
                               "--config", str(config)], stdout=listing, stderr=subprocess.PIPE,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert proc.stderr == {"vi": "lệnh không làm xong: ổ đĩa đã đầy\n",
                           "en": "the command did not finish: the disk is full\n"}[language]

    filler.unlink()  # space again: what was recorded is there, and the command works
    proc = kiosk(config, "entries", "--search", "nguyen van an", "--all")
    assert proc.returncode == 0, proc.stderr
    assert "Nguyễn Văn An" in proc.stdout


@pytest.fixture
def held_store(tmp_path: Path) -> Iterator[Path]:
    """A store holding one scan, whose write lock a second process holds (``sqlite3`` left
    inside a transaction, a backup tool); the store stays in its write-ahead-log mode, so
    it still opens and can be read."""
    store = tmp_path / "kiosk.db"
    assert kiosk(write_config(tmp_path, store, "en"), "scan", CCCD_AN).returncode == 0
    with sqlite3.connect(store) as conn:  # a refused entry, for retry-rejected to queue
        conn.execute("UPDATE entries SET sync_state = 'rejected'")
    with write_lock_held_by_another_process(store):
        yield store
    with sqlite3.connect(store) as conn:  # nothing lost
        assert conn.execute("SELECT count(*) FROM entries").fetchone() == (1,)


BUSY = {
    "vi": "một chương trình khác đang khoá kho dữ liệu\nĐóng chương trình kia (một lệnh kiosk "
          "khác, một trình xem cơ sở dữ liệu, một công cụ sao lưu) rồi chạy lại lệnh này",
    "en": "another program holds the store locked\nClose the other program (another kiosk "
          "command, a database browser, a backup tool), then run this command again",
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_lock_another_program_holds_when_a_command_writes_is_worded(
        held_store: Path, tmp_path: Path, language: str) -> None:
    config = write_config(tmp_path, held_store, language)
    proc = kiosk(config, "sync", "retry-rejected", "--operator", "Trần Văn Bảo")
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == f"{LABEL[language]}: {held_store}: {BUSY[language]}\n"
    with sqlite3.connect(held_store) as conn:
        assert conn.execute("SELECT sync_state FROM entries").fetchall() == [("rejected",)]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_backlog_file_on_a_disk_that_fills_is_worded_and_its_entries_stay_pending(
        tmp_path: Path, language: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.sync.backlog_keys import encode
    from kiosk.sync.kiosk_keys import KioskKeys

    config = write_config(tmp_path, tmp_path / "kiosk.db", language)
    KioskKeys(tmp_path).remember({"centre_key": encode(X25519PrivateKey.generate()
                                                       .public_key())})
    for number in range(20):  # more than a 16 KiB stick holds, compressed and sealed
        noise = base64.b64encode(os.urandom(1500)).decode()
        payload = CCCD_AN.replace("Số 1 Phố Huế", f"Số {number} {noise}")
        assert kiosk(config, "scan", payload.replace("001099012345",
                                                     f"0010990{number:05d}")).returncode == 0
    with small_disk(tmp_path / "stick", size_kib=16) as stick:
        fill(stick).unlink()  # proves the disk is that small
        target = stick / "k1.backlog"
        proc = kiosk(config, "sync", "export", "--to", str(target))
        assert proc.returncode == 1, proc.stderr
        said = {"vi": f"Không xuất được tệp: {target}: ổ đĩa đã đầy\n",
                "en": f"Export failed: {target}: the disk is full\n"}[language]
        assert proc.stderr == said
        assert not list(stick.iterdir())  # no half file left to be carried to the centre
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        assert conn.execute("SELECT count(*) FROM entries WHERE sync_state = 'pending'"
                            ).fetchone() == (20,)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_store_recover_waits_for_no_other_program_and_moves_nothing_while_one_holds_it(
        held_store: Path, tmp_path: Path, language: str) -> None:
    """Recovery copies the rows, then sets the file aside: a write the other program
    committed in between would be only in the file set aside. So it takes the write lock
    first, and while another program holds it nothing is copied, moved or made."""
    config = write_config(tmp_path, held_store, language)
    before = digest(held_store)
    proc = kiosk(config, "store", "recover")
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == f"{LABEL[language]}: {held_store}: {BUSY[language]}\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("kiosk.db")) == [
        "kiosk.db", "kiosk.db-shm", "kiosk.db-wal"]
    assert digest(held_store) == before


def test_kiosk_doctor_says_whether_the_integrity_check_passed_in_words(tmp_path: Path) -> None:
    """Not "ok", nor SQLite's findings ("*** in database main *** Tree 4 page 12 …"):
    those only in ``kiosk -v``'s log. (The check's lines are in both languages.)"""
    config = store_with_damage(tmp_path, middle_leaves_of_entries)
    store = tmp_path / "kiosk.db"
    proc = kiosk(config, "-v", "doctor", "--json")
    found = {check["name"]: check for check in json.loads(proc.stdout)["checks"]}
    assert not found["store"]["ok"]
    assert found["store"]["vi"] == (
        f"Kho {store}: kiểm tra toàn vẹn thấy các trang của tệp bị hỏng. Dừng trạm, rồi "
        "chạy: kiosk store recover (giữ lại tệp hỏng)")
    assert found["store"]["en"] == (
        f"Store {store}: the integrity check finds the file's pages damaged. Stop the "
        "kiosk, then run: kiosk store recover (the damaged file is kept)")
    assert "***" not in proc.stdout and "*** in database main ***" in proc.stderr

    sound = tmp_path / "sound"
    sound.mkdir()
    config = write_config(sound, sound / "kiosk.db", "vi")
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    proc = kiosk(config, "doctor", "--json")
    found = {check["name"]: check for check in json.loads(proc.stdout)["checks"]}
    assert found["store"]["ok"]
    assert found["store"]["vi"] == f"Kho {sound / 'kiosk.db'}: kiểm tra toàn vẹn đạt"
    assert found["store"]["en"] == f"Store {sound / 'kiosk.db'}: integrity check passed"
    human = kiosk(config, "doctor").stdout
    assert f"Kho {sound / 'kiosk.db'}: kiểm tra toàn vẹn đạt\n" in human
