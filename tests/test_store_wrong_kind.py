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
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.store import MIGRATIONS, Store, StoreError
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


FOREIGN_VI = ("tệp có bảng của một chương trình khác, không phải kho dữ liệu của trạm; trạm "
              "không ghi gì vào tệp này")


def another_programs_database(folder: Path, *tables: str, user_version: int = 3
                              ) -> tuple[Path, str, str]:
    store = folder / "kiosk.db"
    with contextlib.closing(sqlite3.connect(store)) as conn, conn:
        for table in tables or ("CREATE TABLE notes (a)",):
            conn.execute(table)
        conn.execute(f"PRAGMA user_version = {user_version}")
    return store, FOREIGN_VI, "Kiểm tra [store] path trong tệp cấu hình"


def a_browsers_history(folder: Path) -> tuple[Path, str, str]:
    """Most programs set a user_version, often above the kiosk's schema count (Firefox's
    places.sqlite: 77): still another program's, not "a newer kiosk store"."""
    return another_programs_database(
        folder, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)", user_version=77)


def tables_named_entries_and_meta(folder: Path) -> tuple[Path, str, str]:
    """Generic table names are not enough: a kiosk store's tables have its columns."""
    return another_programs_database(folder, "CREATE TABLE entries (id, title)",
                                     "CREATE TABLE meta (name, data)", user_version=40)


def an_empty_database_of_another_version(folder: Path) -> tuple[Path, str, str]:
    """No table, yet a user_version: another program's, which a new store never is."""
    return another_programs_database(folder, "CREATE TABLE gone (a)", "DROP TABLE gone",
                                     user_version=77)


FOREIGN = [another_programs_database, a_browsers_history, tables_named_entries_and_meta,
           an_empty_database_of_another_version]


@pytest.mark.parametrize("make", [shm_is_a_folder, wal_is_a_folder, store_is_a_pipe, *FOREIGN],
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


@pytest.mark.parametrize("make", FOREIGN, ids=lambda f: f.__name__.replace("_", " "))
def test_another_programs_database_is_not_switched_to_wal_nor_copied_nor_written(
        tmp_path: Path, make: Callable[[Path], tuple[Path, str, str]]) -> None:
    """Whatever its user_version: the file's bytes are the same after the kiosk, the store
    commands and the doctor met it, and nothing was made beside it (no -wal, -shm, copy)."""
    store, _, _ = make(tmp_path)
    with sqlite3.connect(store) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    before = store.read_bytes()
    config = write_config(tmp_path, store, "en")
    for command in (("scan", CCCD_AN), ("stats",), ("doctor",)):
        assert kiosk(config, *command).returncode != 0, command
    with pytest.raises(StoreError) as refused:
        Store(store)
    assert refused.value.words.params["detail"].code == "store.foreign"
    assert store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config-en.toml", "kiosk.db"]
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version


def test_a_newer_kiosks_store_is_named_so_and_not_written(tmp_path: Path) -> None:
    """A kiosk store a newer version of the program left (the kiosk's tables, a higher
    schema): "upgrade the kiosk software", from the kiosk and the doctor, and the file is
    left as it was (its log folded in first, as a newer kiosk shut down leaves it)."""
    store = recorded_store(tmp_path)
    with contextlib.closing(sqlite3.connect(store)) as conn:
        conn.execute("PRAGMA user_version = 99")
        conn.execute("PRAGMA journal_mode = DELETE")  # one file: its bytes are the store
    before = store.read_bytes()
    config = write_config(tmp_path, store, "vi")
    stats = kiosk(config, "stats")
    assert stats.returncode == 3
    assert (f"lỗi kho dữ liệu: {store}: lược đồ cơ sở dữ liệu v99 mới hơn chương trình này "
            f"(v{len(MIGRATIONS)}); hãy cập nhật phần mềm trạm") in stats.stderr, stats.stderr
    doctor = kiosk(config, "doctor")
    assert (f"LỖI/FAIL  Không mở được kho {store}: kho của một phiên bản trạm mới hơn (lược đồ "
            f"v99, chương trình này v{len(MIGRATIONS)}); hãy cập nhật phần mềm trạm\n") \
        in doctor.stdout, \
        doctor.stdout
    assert "SQLITE" not in doctor.stdout
    assert store.read_bytes() == before
    assert not Path(f"{store}-wal").exists()


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
