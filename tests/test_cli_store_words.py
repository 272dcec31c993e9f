"""A store the ``kiosk`` command cannot open, said in the reader's language.

Every command that opens the store (``kiosk sync status``, ``kiosk stats``, ``kiosk scan``,
``kiosk store check`` …) exits 3 naming the file, why it cannot be opened and what to do
about it, in the config's language only. The system's and SQLite's own words ("[Errno 40]
Too many levels of symbolic links", "file is not a database", "database is locked") are
English: a Vietnamese technician never reads them in the sentence, ``kiosk -v`` logs them.
Each store is made to fail for real: a folder that is a link loop, a file of random bytes,
a second process holding the file's write lock, a file its reader may not open.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import CCCD_AN

NOISE = os.urandom(8192)


def write_config(folder: Path, store: Path, language: str) -> Path:
    path = folder / f"config-{language}.toml"
    path.write_text(f'[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "{language}"\n'
                    f'[store]\npath = "{store}"\n', encoding="utf-8")
    return path


def kiosk(config: Path, *args: str, before: tuple[str, ...] = (), verbose: bool = False
          ) -> subprocess.CompletedProcess:
    """The real ``kiosk`` command (``before``: what runs it, e.g. without root's powers)."""
    return subprocess.run([*before, sys.executable, "-m", "kiosk.cli",
                           *(["-v"] if verbose else []), *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def recorded_store(folder: Path) -> Path:
    """A store holding one scan, by the kiosk itself."""
    store = folder / "kiosk.db"
    assert kiosk(write_config(folder, store, "en"), "scan", CCCD_AN).returncode == 0
    return store


@dataclass
class Failure:
    store: Path
    vi: str
    """The reason and what to do, as the Vietnamese technician reads them."""
    en: str
    system: str
    """The system's or SQLite's own English, for ``-v`` only."""
    before: tuple[str, ...] = ()


def a_folder_that_is_a_link_loop(tmp_path: Path) -> Iterator[Failure]:
    data = tmp_path / "data"
    data.symlink_to(data.name)
    store = data / "kiosk.db"
    yield Failure(
        store,
        f"{store}: các liên kết trên đường dẫn tạo thành vòng lặp\nKiểm tra [store] path "
        f"trong tệp cấu hình và các thư mục trên đường dẫn đó (xem: namei -l {store})",
        f"{store}: the links on the path loop back on themselves\nCheck [store] path in the "
        f"config file and the folders along it (see: namei -l {store})",
        "Too many levels of symbolic links")
    assert data.readlink() == Path(data.name)


def a_file_of_random_bytes(tmp_path: Path) -> Iterator[Failure]:
    store = tmp_path / "kiosk.db"
    store.write_bytes(NOISE)
    yield Failure(
        store,
        f"{store}: tệp không phải cơ sở dữ liệu SQLite, hoặc phần đầu của tệp bị hỏng\nTệp "
        "dữ liệu bị hỏng. Dừng trạm, rồi chạy: kiosk store recover (giữ lại tệp hỏng)",
        f"{store}: the file is not an SQLite database, or its beginning is damaged\nThe "
        "store file is damaged. Stop the kiosk, then run: kiosk store recover (the damaged "
        "file is kept)",
        "file is not a database")
    assert store.read_bytes() == NOISE  # left as it was, for the technician


def a_store_another_program_holds_locked(tmp_path: Path) -> Iterator[Failure]:
    """A second process (a database browser, say) holds the write lock of the store, in
    SQLite's rollback-journal mode: no one else may open it until that program lets go."""
    store = recorded_store(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         f"c = sqlite3.connect({str(store)!r}, isolation_level=None)\n"
         "c.execute('PRAGMA journal_mode=DELETE')\n"
         "c.execute('BEGIN IMMEDIATE')\n"
         "print('held', flush=True)\n"
         "sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield Failure(
            store,
            f"{store}: một chương trình khác đang khoá kho dữ liệu\nĐóng chương trình kia "
            "(một lệnh kiosk khác, một trình xem cơ sở dữ liệu, một công cụ sao lưu) rồi "
            "chạy lại lệnh này",
            f"{store}: another program holds the store locked\nClose the other program "
            "(another kiosk command, a database browser, a backup tool), then run this "
            "command again",
            "database is locked")
    finally:
        holder.communicate("", timeout=10)
    with sqlite3.connect(store) as conn:  # nothing lost
        assert conn.execute("SELECT count(*) FROM entries").fetchone() == (1,)


def a_file_its_reader_may_not_open(tmp_path: Path) -> Iterator[Failure]:
    """Mode 000: as root, the command runs without root's power to pass over a file's mode
    (``setpriv`` drops CAP_DAC_OVERRIDE), as the kiosk's own account would."""
    store = recorded_store(tmp_path)
    store.chmod(0)
    before: tuple[str, ...] = ()
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        before = (setpriv or "setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")
        if setpriv is None or subprocess.run([*before, "head", "-c1", str(store)],
                                             capture_output=True).returncode == 0:
            pytest.skip("root here cannot give up its power over file modes (no setpriv)")
    folder = store.parent
    yield Failure(
        store,
        f"{store}: không có quyền truy cập\nSửa chủ sở hữu hoặc quyền của {store} và thư "
        "mục chứa nó, hoặc gắn lại ổ đĩa cho phép ghi (xem: ls -ld "
        f"{folder} {store}): tài khoản chạy trạm phải đọc và ghi được cả hai",
        f"{store}: permission denied\nFix the owner or mode of {store} and its folder, or "
        f"mount its disk read-write (see: ls -ld {folder} {store}): the account running "
        "the kiosk must read and write both",
        "unable to open database file", before)
    store.chmod(0o600)


FAILURES = [a_folder_that_is_a_link_loop, a_file_of_random_bytes,
            a_store_another_program_holds_locked, a_file_its_reader_may_not_open]


@pytest.fixture(params=FAILURES, ids=lambda f: f.__name__.replace("_", " "))
def failure(request, tmp_path: Path) -> Iterator[Failure]:
    yield from request.param(tmp_path)


def commands(tmp_path: Path) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Commands that only read the store (a file they may not write is opened read-only),
    and commands that write to it (``sync export`` notes what it exported)."""
    return ([("sync", "status", "--offline"), ("stats",), ("entries",), ("store", "check")],
            [("scan", CCCD_AN), ("sync", "push"),
             ("sync", "export", "--to", str(tmp_path / "out.jsonl"))])


def test_each_command_says_why_the_store_cannot_be_opened_in_vietnamese_only(
        failure: Failure, tmp_path: Path) -> None:
    config = write_config(tmp_path, failure.store, "vi")
    reading, writing = commands(tmp_path)
    for command in [*reading, *writing]:
        proc = kiosk(config, *command, before=failure.before)
        assert proc.returncode == 3, (command, proc.stderr)
        reason = failure.vi
        if command in writing and failure.before:  # refused before SQLite opens it
            reason = reason.replace("không có quyền truy cập", "không ghi được (ổ đĩa chỉ "
                                    "đọc, hoặc không có quyền ghi tệp hay thư mục chứa nó); "
                                    "chưa ghi gì")
        assert proc.stderr == f"lỗi kho dữ liệu: {reason}\n", command
        assert failure.system not in proc.stderr and "Errno" not in proc.stderr
        assert "ACCEPTED" not in proc.stdout and "CHẤP NHẬN" not in proc.stdout
    assert not (tmp_path / "out.jsonl").exists()


def test_an_english_kiosk_reads_the_same_in_english_and_v_logs_the_systems_words(
        failure: Failure, tmp_path: Path) -> None:
    config = write_config(tmp_path, failure.store, "en")
    proc = kiosk(config, "stats", before=failure.before)
    assert proc.returncode == 3
    assert proc.stderr == f"store error: {failure.en}\n"
    logged = kiosk(config, "stats", before=failure.before, verbose=True)
    assert logged.returncode == 3
    assert f"INFO kiosk.commandline: {failure.store}: " in logged.stderr
    assert failure.system in logged.stderr
    assert logged.stderr.endswith(f"store error: {failure.en}\n")


@pytest.mark.parametrize(("make", "vi", "en"), [
    (a_folder_that_is_a_link_loop, "các liên kết trên đường dẫn tạo thành vòng lặp",
     "the links on the path loop back on themselves"),
    (a_file_of_random_bytes, "tệp không phải cơ sở dữ liệu SQLite, hoặc phần đầu của tệp bị "
     "hỏng", "the file is not an SQLite database, or its beginning is damaged"),
], ids=["a link loop", "random bytes"])
def test_kiosk_doctor_says_why_it_cannot_open_the_store_without_the_systems_english(
        tmp_path: Path, make, vi: str, en: str) -> None:
    """A folder that loops is not "No store: run kiosk run once" (that would meet the same
    loop); a file that is no database is not "file is not a database"."""
    (failure,) = make(tmp_path)
    proc = kiosk(write_config(tmp_path, failure.store, "vi"), "doctor", "--json")
    found = {check["name"]: check for check in json.loads(proc.stdout)["checks"]}
    assert not found["store"]["ok"]
    assert found["store"]["vi"] == f"Không mở được kho {failure.store}: {vi}"
    assert found["store"]["en"] == f"Cannot open the store {failure.store}: {en}"
    assert failure.system not in proc.stdout


def test_store_recover_says_why_it_cannot_read_the_file_in_vietnamese_only(
        tmp_path: Path) -> None:
    for failure in a_file_its_reader_may_not_open(tmp_path):
        config = write_config(tmp_path, failure.store, "vi")
        proc = kiosk(config, "store", "recover", before=failure.before)
        assert proc.returncode == 3
        assert proc.stderr == f"lỗi kho dữ liệu: {failure.vi}\n"
        assert not list(tmp_path.glob("kiosk.db.*"))  # nothing moved, nothing made
