"""Upgrading in place: a kiosk started by newer software copies its database, as it was, to
``kiosk.db.vN.bak`` before migrating it forward; a kiosk already up to date copies nothing;
a copy that cannot be written stops the start before anything is changed."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk import store as store_mod
from kiosk.store import MIGRATIONS, Store, StoreError


def old_database(path, monkeypatch, version: int = 2) -> None:
    """A store written by an older program (schema v``version``) holding a row of its own."""
    with monkeypatch.context() as patch:
        patch.setattr(store_mod, "MIGRATIONS", MIGRATIONS[:version])
        Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE marker (note TEXT)")
        conn.execute("INSERT INTO marker VALUES ('written by the old program')")


def user_version(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def test_an_older_database_is_backed_up_then_migrated_forward(tmp_path, monkeypatch):
    path = tmp_path / "kiosk.db"
    old_database(path, monkeypatch)
    Store(path).close()
    backup = tmp_path / "kiosk.db.v2.bak"
    assert user_version(path) == len(MIGRATIONS)
    assert user_version(backup) == 2
    assert backup.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT note FROM marker").fetchall() == [
            ("written by the old program",)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_up_to_date_or_new_database_is_not_copied(tmp_path):
    path = tmp_path / "kiosk.db"
    Store(path).close()
    Store(path).close()
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == []


def test_no_room_for_the_copy_means_no_migration(tmp_path, monkeypatch):
    path = tmp_path / "kiosk.db"
    old_database(path, monkeypatch)
    (tmp_path / "kiosk.db.v2.bak").mkdir()  # the copy's name is taken: it cannot be written
    with pytest.raises(StoreError, match="no backup before migrating from schema v2"):
        Store(path)
    assert user_version(path) == 2


def test_a_disk_that_fills_during_the_migration_leaves_the_store_as_it_was_and_says_so(
        tmp_path, monkeypatch):
    """The backup takes the last free room, then v9 cannot rewrite ``presence``: the start
    stops with a message naming the step, the cause and the backup; the file stays at v8
    with every row; once there is room the next start migrates it. The file system's limit
    is a real one: the process may grow no file past 64 KiB once the backup is written."""
    import subprocess
    import sys

    path = tmp_path / "kiosk.db"
    old_database(path, monkeypatch, version=8)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO presence (checkpoint_id, subject_key, entry_id, scanned_at, direction, "
            "boot_id) VALUES ('CP', ?, ?, '2026-11-30T01:02:03.000000Z', 'in', 'b')",
            [(f"cccd:{i:012d}", f"id-{i}") for i in range(3000)])
    script = (
        "import resource, signal, sys\n"
        "from kiosk import store\n"
        "backup = store.backup_before_migrating\n"
        "def then_full(*args):\n"
        "    copy = backup(*args)\n"
        "    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "    resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))\n"
        "    return copy\n"
        "store.backup_before_migrating = then_full\n"
        "try:\n"
        "    store.Store(sys.argv[1])\n"
        "except store.StoreError as exc:\n"
        "    print(exc.text('en'))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.startswith(
        f"{path}: could not migrate from schema v8 to v9 ("), (proc.stdout, proc.stderr)
    assert f"the file stays at v8: the migration changed nothing in it (backup: {path}.v8.bak)" \
        in proc.stdout
    assert user_version(path) == 8
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM presence").fetchone() == (3000,)
    Store(path).close()  # room again
    assert user_version(path) == len(MIGRATIONS)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM presence").fetchone() == (3000,)
