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


def test_a_v9_store_counts_the_same_people_inside_once_its_index_holds_only_them(
        tmp_path, monkeypatch):
    """Schema v10 keeps only the people inside (last movement "in") in ``presence_inside``.
    A store the v9 program recorded — twenty people in at two checkpoints, a third of them
    out again — counts the same people inside after the upgrade, now and a day later, its
    index holds exactly their rows, the count still reads the index alone, and scans after
    the upgrade move people in and out of it."""
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.scan import Scan

    path, start = tmp_path / "kiosk.db", 1_790_000_000.0
    people = [f"0010990123{i:02d}|123456789|Người {i}|01021990|Nam|Huế|10102021".encode()
              for i in range(20)]

    def scan(store: Store, checkpoint: str, person: int, lane: str, at: float) -> None:
        result = Pipeline(store, Policy(checkpoint_id=checkpoint, kiosk_id="k")).submit(
            Scan(payload=people[person], lane=lane, wall_time=at))
        assert result.recorded

    def counts(store: Store) -> list[int]:
        return [store.inside_count(checkpoint, now=now) for checkpoint in ("CP", "CP2")
                for now in (start + 7200, start + 86400 + 600)]

    with monkeypatch.context() as patch:
        patch.setattr(store_mod, "MIGRATIONS", MIGRATIONS[:9])
        v9 = Store(path)
        for i in range(20):
            scan(v9, "CP" if i < 14 else "CP2", i, "in", start + 60 * i)
        for i in range(0, 20, 3):
            scan(v9, "CP" if i < 14 else "CP2", i, "out", start + 3600 + i)
        before = counts(v9)
        assert v9.schema_version == 9
        v9.close()
    assert before == [9, 3, 4, 4]  # a day on, the ins of the first ten minutes are over

    store = Store(path)
    assert store.schema_version == len(MIGRATIONS) == 10
    assert (tmp_path / "kiosk.db.v9.bak").exists()
    assert counts(store) == before
    indexed = ("SELECT checkpoint_id, count(*) FROM presence INDEXED BY presence_inside "
               "WHERE direction = 'in' GROUP BY 1 ORDER BY 1")
    assert store.conn.execute(indexed).fetchall() == store.conn.execute(
        indexed.replace("INDEXED BY presence_inside", "NOT INDEXED")).fetchall() == [
        ("CP", 9), ("CP2", 4)]
    plan = store.conn.execute("EXPLAIN QUERY PLAN SELECT count(*) FROM presence WHERE "
                              "checkpoint_id = 'CP' AND direction = 'in' AND scanned_at >= ''"
                              ).fetchall()
    assert "USING COVERING INDEX presence_inside" in plan[0][3], plan
    scan(store, "CP", 1, "out", start + 5000)  # one inside leaves
    scan(store, "CP", 3, "in", start + 5001)  # one who had left comes back
    scan(store, "CP", 5, "out", start + 5002)
    assert store.inside_count("CP", now=start + 7200) == 8
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store.close()
