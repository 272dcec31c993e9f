"""The wrong kind of thing at the store's path, or beside it as its ``-wal`` or ``-shm``: a
folder, a pipe, another program's database. SQLite says "attempt to write a readonly
database", "disk I/O error" or "no such table", which named the disk (read-only, failing)
or permissions, or offered "disk full" advice; ``kiosk doctor`` said all was well, or that
there was no store. Each is named for what it is, in the config's language, by the kiosk,
the store commands and ``kiosk doctor``; another program's database is never written to.

Real stores made by the real ``kiosk scan``, then broken for real; the real ``kiosk``
command.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.store import Store, StoreError
from tests.conftest import CCCD_AN
from tests.test_cli_store_words import kiosk, recorded_store, write_config

FOLDER_VI = "đường dẫn là một thư mục, không phải tệp"
LOG_VI = ("bên cạnh nó: {kind}; tệp nhật ký ghi (-wal) và tệp chỉ mục (-shm) của kho phải là "
          "tệp thường, hoặc chưa có")
LOG_WAY_VI = "Dừng trạm, xem thứ gì nằm ở đó (ls -ld {store}-wal {store}-shm)"


def shm_is_a_folder(folder: Path) -> tuple[Path, str, str]:
    store = recorded_store(folder)
    os.mkdir(f"{store}-shm")
    return (store, f"{store}-shm " + LOG_VI.format(kind=FOLDER_VI),
            LOG_WAY_VI.format(store=store))


def wal_is_a_folder(folder: Path) -> tuple[Path, str, str]:
    store = recorded_store(folder)
    os.mkdir(f"{store}-wal")
    return (store, f"{store}-wal " + LOG_VI.format(kind=FOLDER_VI),
            LOG_WAY_VI.format(store=store))


def store_is_a_pipe(folder: Path) -> tuple[Path, str, str]:
    store = folder / "kiosk.db"
    os.mkfifo(store)
    return (store, "đường dẫn không phải tệp thường (là một ống dẫn, thiết bị hay socket)",
            "Kiểm tra [store] path trong tệp cấu hình")


def another_programs_database(folder: Path) -> tuple[Path, str, str]:
    store = folder / "kiosk.db"
    with sqlite3.connect(store) as conn:
        conn.execute("CREATE TABLE notes (a)")
        conn.execute("PRAGMA user_version = 3")
    return (store, "tệp có bảng của một chương trình khác, không phải kho dữ liệu của trạm; "
                   "trạm không ghi gì vào tệp này", "Kiểm tra [store] path trong tệp cấu hình")


@pytest.mark.parametrize("make", [shm_is_a_folder, wal_is_a_folder, store_is_a_pipe,
                                  another_programs_database],
                         ids=lambda f: f.__name__.replace("_", " "))
def test_the_wrong_kind_of_thing_is_named_by_the_kiosk_the_commands_and_the_doctor(
        tmp_path: Path, make: Callable[[Path], tuple[Path, str, str]]) -> None:
    store, why, way_out = make(tmp_path)
    config = write_config(tmp_path, store, "vi")
    for command in (("scan", CCCD_AN), ("stats",), ("store", "check"),
                    ("run", "--headless", "--until-done")):
        proc = kiosk(config, *command)
        assert proc.returncode == 3, (command, proc.stdout, proc.stderr)
        assert f"lỗi kho dữ liệu: {store}: {why}\n{way_out}" in proc.stderr, \
            (command, proc.stderr)
        said = proc.stderr[proc.stderr.index("lỗi kho dữ liệu"):]  # not a mode warning
        for wrong in ("ổ đĩa", "quyền", "readonly", "SQLITE", "no such table"):
            assert wrong not in said, (command, said)
    doctor = kiosk(config, "doctor")
    assert f"LỖI/FAIL  Không mở được kho {store}: {why}\n" in doctor.stdout, doctor.stdout
    assert "Chưa có kho dữ liệu" not in doctor.stdout
    assert "kiểm tra toàn vẹn đạt" not in doctor.stdout


def test_another_programs_database_is_not_switched_to_wal_nor_copied_nor_written(
        tmp_path: Path) -> None:
    store, _, _ = another_programs_database(tmp_path)
    before = hashlib.sha256(store.read_bytes()).hexdigest()
    config = write_config(tmp_path, store, "en")
    assert kiosk(config, "scan", CCCD_AN).returncode == 3
    with pytest.raises(StoreError) as refused:
        Store(store)
    assert refused.value.words.params["detail"].code == "store.foreign"
    assert hashlib.sha256(store.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config-en.toml", "kiosk.db"]
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3


def test_a_new_store_and_the_kiosks_own_still_open(tmp_path: Path) -> None:
    """The check looks for the kiosk's tables only in a file that has tables: a new (empty)
    file is made a store; the kiosk's own store, with its log beside it, opens."""
    store = recorded_store(tmp_path)
    Store(store).close()
    empty = tmp_path / "new.db"
    empty.touch()
    Store(empty).close()
    analyzed = tmp_path / "analyzed.db"  # SQLite's own table only: no other program's
    with contextlib.closing(sqlite3.connect(analyzed)) as db:
        db.execute("ANALYZE")  # makes sqlite_stat1, even with no table to analyze
        db.commit()
    Store(analyzed).close()
