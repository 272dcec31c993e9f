"""Upgrading in place: a kiosk started by newer software copies its database, as it was, to
``kiosk.db.vN.bak`` before migrating it forward; a kiosk already up to date copies nothing;
a copy that cannot be written stops the start before anything is changed."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest

from kiosk import store as store_mod
from kiosk.store import MIGRATIONS, Store, StoreError

DATA = Path(__file__).parent / "data"


def old_database(path, monkeypatch, version: int = 2) -> None:
    """A store written by an older program (schema v``version``) holding a row of its own."""
    with monkeypatch.context() as patch:
        patch.setattr(store_mod, "MIGRATIONS", MIGRATIONS[:version])
        Store(path).close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE marker (note TEXT)")
        conn.execute("INSERT INTO marker VALUES ('written by the old program')")


def user_version(path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:  # closed: no lock left held
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


def with_presence(path, rows: int = 3000) -> None:
    """``rows`` people inside, in an old store's ``presence``: a migration step rewriting
    that table needs room."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(
            "INSERT INTO presence (checkpoint_id, subject_key, entry_id, scanned_at, direction) "
            "VALUES ('CP', ?, ?, '2026-11-30T01:02:03.000000Z', 'in')",
            [(f"cccd:{i:012d}", f"id-{i}") for i in range(rows)])


def test_a_migration_a_full_disk_stopped_half_way_goes_on_with_the_copy_it_made_first(
        tmp_path, monkeypatch):
    """v5 → v8 done, then v9 refused (from that step on the process may grow no file past
    64 KiB: a real limit of the file system's). The next start, with room, goes on from v8
    with ``kiosk.db.v5.bak`` — the copy the old release opens — and makes no second whole
    copy of the half-migrated file (on a kiosk that filled its disk, that second copy did
    not fit: the kiosk would not start however much room the migration itself had)."""
    import subprocess
    import sys

    path = tmp_path / "kiosk.db"
    old_database(path, monkeypatch, version=5)
    with_presence(path)
    script = (
        "import resource, signal, sys\n"
        "from kiosk import store\n"
        "v9 = store.MIGRATIONS[8]\n"
        "def full_from_v9(conn):\n"
        "    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "    resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))\n"
        "    v9(conn)\n"
        "store.MIGRATIONS[8] = full_from_v9\n"
        "try:\n"
        "    store.Store(sys.argv[1])\n"
        "except store.StoreError as exc:\n"
        "    print(exc.text('en'))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.startswith(
        f"{path}: could not migrate from schema v8 to v9 ("), (proc.stdout, proc.stderr)
    assert f"(backup: {path}.v5.bak)" in proc.stdout
    assert user_version(path) == 8

    Store(path).close()  # room again

    assert user_version(path) == len(MIGRATIONS)
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == ["kiosk.db.v5.bak"]
    assert user_version(tmp_path / "kiosk.db.v5.bak") == 5
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*) FROM presence").fetchone() == (3000,)
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'store.upgrade_backup'"
                            ).fetchone() == (0,)


def test_no_room_for_the_backup_says_how_much_it_needs_and_leaves_no_half_copy(
        tmp_path, monkeypatch):
    """A disk with room for the migration but not for the copy: the start is refused
    naming the room the copy needs and the room there is; the half-written copy and its
    journal are gone (they took the room the next try needs); the store stays at v5."""
    from tests.test_store_disk_failing import fill, small_disk

    with small_disk(tmp_path / "disk", size_kib=2048) as disk:
        path = disk / "kiosk.db"
        old_database(path, monkeypatch, version=5)
        with_presence(path, rows=6000)
        size = path.stat().st_size
        filler = fill(disk)
        os.truncate(filler, filler.stat().st_size - size // 2)  # half the copy's room

        with pytest.raises(StoreError) as refused:
            Store(path)

        said = re.fullmatch(
            f"{path}: no room for the backup before migrating from schema v5: it needs "
            f"{size // 1024:,} KiB free beside the store, ([0-9,]+) KiB is free; nothing was "
            "changed. Free some space and start again", refused.value.text("en"))
        assert said, refused.value.text("en")
        assert 0 < int(said[1].replace(",", "")) < size // 1024
        assert sorted(p.name for p in disk.iterdir() if ".bak" in p.name) == []
        assert user_version(path) == 5


def test_the_copy_made_before_the_upgrade_goes_once_past_the_retention_and_checked_sound(
        tmp_path, monkeypatch):
    """The copy holds every entry as it was (names, documents, addresses), which the purge
    removes from the store after ``retention_days``: it is deleted by the purge once older
    than the retention and once a whole-file check found the upgraded store sound after
    it was made — until then a technician can still go back with it. Other files beside
    the store that merely look like it stay."""
    path = tmp_path / "kiosk.db"
    old_database(path, monkeypatch, version=5)
    Store(path).close()
    copy = tmp_path / "kiosk.db.v5.bak"
    kept_by_hand = tmp_path / "kiosk.db.v5.bak.keep"
    kept_by_hand.write_bytes(copy.read_bytes())
    made = copy.stat().st_mtime
    store = Store(path)
    try:
        store.verify(now=made + 60)  # the upgraded store found sound
        store.purge(2, now=made + 86400)  # a day on: within the retention
        assert copy.exists()

        store.verify(now=made - 60)  # the last sound check before the copy was made
        store.purge(2, now=made + 3 * 86400)
        assert copy.exists()

        store.verify(now=made + 2 * 86400)
        store.purge(2, now=made + 3 * 86400)
        assert not copy.exists()
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == [
        "kiosk.db.v5.bak.keep"]


def test_the_doctor_names_the_copy_made_before_the_upgrade(tmp_path, monkeypatch):
    from kiosk.doctor import upgrade_copy_checks

    path = tmp_path / "kiosk.db"
    old_database(path, monkeypatch, version=5)
    assert upgrade_copy_checks(path, 21) == []
    Store(path).close()

    [note] = upgrade_copy_checks(path, 21)

    assert note.ok and note.warning
    assert note.en.startswith(f"{path}.v5.bak: a copy of the store made before an upgrade (")
    assert note.en.endswith("holding the personal data of every entry then; kept only to go "
                            "back (kiosk store restore). Deleted by the purge once older than "
                            "21 days (the retention) and the store checked sound")
    assert "chứa dữ liệu cá nhân của mọi lượt lúc đó" in note.vi


# -- stores recorded by earlier programs --------------------------------------------------
START = 1_790_000_000.0
PEOPLE = [f"0010990123{i:02d}|123456789|Người {i}|01021990|Nam|Huế|10102021".encode()
          for i in range(20)]
CHECKPOINTS = ("CP", "CP2")
BOOTS = ("boot-a", "boot-b")
TIMES = (START + 7200, START + 86400 + 600, START + 86400 + 7200)
"""When "inside now" is asked: the day of the scans, then a day on, when their first ins
are over and the others still count."""
REFUSALS = (("d1", START + 30, 10**12 + 30 * 10**9, "boot-a"),
            ("d2", START + 3700, 10**9 * 100, "boot-b"))
"""(device, wall time, monotonic ns, boot): refused scans (empty codes), from v11 on."""
TABLES = ("entries", "presence", "meta", "search_words", "refused_scans", "audit_log")


def scan_sequence() -> list[tuple[str, int, str, float, int, str]]:
    """(checkpoint, person, lane, wall time, monotonic ns, boot): twenty people in at two
    checkpoints, a third of them out again an hour later, a restart between, one out
    recorded while the clock was two hours behind, a duplicate and automatic lanes."""
    steps = []
    for i in range(20):
        steps.append(("CP" if i < 14 else "CP2", i, "in", START + 60 * i, 10**12 + i * 60 * 10**9,
                      "boot-a"))
    for i in range(0, 20, 3):
        steps.append(("CP" if i < 14 else "CP2", i, "out", START + 3600 + i,
                      10**9 * (1 + i), "boot-b"))
    steps += [("CP", 1, "out", START + 4000 - 7200, 10**9 * 40, "boot-b"),  # clock behind
              ("CP", 2, "auto", START + 86400 + 60, 10**9 * 50, "boot-b"),
              ("CP", 4, "auto", START + 86400 + 120, 10**9 * 60, "boot-b"),
              ("CP", 4, "auto", START + 86400 + 130, 10**9 * 70, "boot-b")]  # a duplicate
    return steps


def record(version: int) -> dict:
    """The program on PYTHONPATH, its store cut to schema v``version``, scanning
    :func:`scan_sequence`: every row it wrote, and what it answered."""
    import base64

    from kiosk.pipeline import Pipeline, Policy
    from kiosk.scan import Scan

    folder = __import__("tempfile").mkdtemp()
    store_mod.MIGRATIONS = MIGRATIONS[:version]
    store = Store(f"{folder}/kiosk.db")
    pipelines = {cp: Pipeline(store, Policy(checkpoint_id=cp, kiosk_id="k")) for cp in CHECKPOINTS}
    for checkpoint, person, lane, at, monotonic, boot in scan_sequence():
        pipelines[checkpoint].boot_id = boot
        assert pipelines[checkpoint].submit(Scan(payload=PEOPLE[person], lane=lane, wall_time=at,
                                                 monotonic_ns=monotonic)).recorded
    for device, at, monotonic, boot in REFUSALS:
        pipelines["CP"].boot_id = boot
        assert not pipelines["CP"].submit(Scan(payload=b"", device_id=device, wall_time=at,
                                               monotonic_ns=monotonic)).recorded
    store.index_names()
    recorded = {
        "version": store.schema_version,
        **answers(store),
        "search": sorted(store.conn.execute("SELECT rowid, name, entry_id FROM entries_search")),
        "tables": {}}
    for table in TABLES:
        cursor = store.conn.execute(f"SELECT * FROM {table}")
        recorded["tables"][table] = {
            "columns": [d[0] for d in cursor.description],
            "rows": [[base64.b64encode(v).decode() if isinstance(v, bytes) else v for v in row]
                     for row in cursor]}
    store.close()
    return recorded


def recorded_store(path, version: int) -> dict:
    """The store the v``version`` program wrote (``tests/data/store_vN.json``: its rows, and
    what it answered), laid down row for row under that version's schema."""
    import base64

    recorded = json.loads((DATA / f"store_v{version}.json").read_text(encoding="utf-8"))
    conn = sqlite3.connect(path, isolation_level=None)
    # in WAL mode, as every version's program left its store: a file in rollback mode had
    # programs starting at once each switch it to WAL, and two holding a shared lock while
    # asking for the exclusive one get "database is locked" at once (SQLite's deadlock
    # rule, no busy wait) — a race no kiosk's store can meet
    conn.execute("PRAGMA journal_mode=WAL")
    for step in MIGRATIONS[:version]:
        step(conn)
    conn.execute(f"PRAGMA user_version = {version}")
    for table, held in recorded["tables"].items():
        blobs = {"payload"} if table in ("entries", "refused_scans") else set()
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(held['columns'])}) "
            f"VALUES ({', '.join('?' * len(held['columns']))})",
            [[base64.b64decode(v) if c in blobs else v for c, v in zip(held["columns"], row,
                                                                      strict=True)]
             for row in held["rows"]])
    conn.executemany("INSERT INTO entries_search (rowid, name, entry_id) VALUES (?, ?, ?)",
                     recorded["search"])
    conn.close()
    return recorded


def answers(store: Store) -> dict:
    """What :func:`record` kept of the program's answers, asked of ``store``."""
    subjects = sorted({s for (s,) in store.conn.execute("SELECT subject_key FROM entries")})
    last = {f"{cp} {s} {boot}": store.last_movement(s, cp, boot) for cp in CHECKPOINTS
            for s in subjects for boot in (*BOOTS, "boot-c")}
    return {"inside": [store.inside_count(cp, now=at) for cp in CHECKPOINTS for at in TIMES],
            "last": {k: v and [v.entry_id, v.scanned_at.isoformat(), v.direction]
                     for k, v in last.items()}}


@pytest.mark.parametrize("version", [9, 10, 11])
def test_a_store_an_earlier_program_recorded_answers_the_same_once_upgraded(tmp_path, version):
    """Stores the v9, v10 and v11 programs wrote (twenty people in at two checkpoints, a third out
    again, a restart, a clock two hours behind, a duplicate) open under this program: backed
    up, migrated, and every answer the old program gave — "inside now" on the day and a day
    on, each person's last movement for each boot — is the same; ``presence`` holds the same
    movements, each person inside in the inside range."""
    path = tmp_path / "kiosk.db"
    recorded = recorded_store(path, version)
    assert recorded["version"] == version
    with sqlite3.connect(path) as conn:
        before = sorted(conn.execute("SELECT checkpoint_id, subject_key, scanned_at, direction, "
                                     "last_id, last_at, last_direction, boot_id, monotonic_ns "
                                     "FROM presence"))
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS)
    assert (tmp_path / f"kiosk.db.v{version}.bak").exists()
    assert answers(store) == {"inside": recorded["inside"], "last": recorded["last"]}
    assert recorded["inside"] == [6, 3, 0, 4, 4, 0]  # CP, then CP2, at each of TIMES
    after = store.conn.execute("SELECT checkpoint_id, subject_key, scanned_at, direction, "
                               "last_id, last_at, last_direction, boot_id, monotonic_ns, inside "
                               "FROM presence").fetchall()
    assert sorted(r[:-1] for r in after) == before
    assert all(r[-1] == (r[3] == "in") for r in after)
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store.close()


def test_scans_after_the_upgrade_move_people_between_the_inside_and_outside_ranges(tmp_path):
    """On the upgraded v10 store (six people inside at CP): one inside leaves, one who had
    left comes back, one leaves while the clock is a day behind (counted at when it can
    really have happened, the newest entry's time): "inside now" follows, and the inside
    range holds exactly the people whose latest movement is "in"."""
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.scan import Scan

    path = tmp_path / "kiosk.db"
    recorded_store(path, 10)
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
    for person, lane, at in ((5, "out", START + 5000), (3, "in", START + 5001),
                             (7, "out", START + 5002 - 86400)):
        assert pipeline.submit(Scan(payload=PEOPLE[person], lane=lane, wall_time=at)).recorded
    assert store.inside_count("CP", now=START + 7200) == 6 - 1 + 1 - 1
    ranges = store.conn.execute("SELECT inside, direction, count(*) FROM presence "
                                "WHERE checkpoint_id = 'CP' GROUP BY 1, 2").fetchall()
    assert ranges == [(0, "out", 14 - 5), (1, "in", 5)]
    store.close()


def test_refused_scans_of_a_v11_store_are_kept_and_go_by_the_wall_clock(tmp_path):
    """The v11 program's refused scans keep every column once upgraded; they knew no boot
    (``''``), so the purge goes by their wall time, as v11's did — the running boot's own
    refusals, recorded from v12 on, are kept by the monotonic clock as well."""
    import base64
    import time

    from kiosk.pipeline import Pipeline, Policy
    from kiosk.scan import Scan

    path = tmp_path / "kiosk.db"
    recorded = recorded_store(path, 11)["tables"]["refused_scans"]
    store = Store(path)
    held = store.conn.execute("SELECT * FROM refused_scans ORDER BY id")
    assert [d[0] for d in held.description] == [*recorded["columns"], "boot_id", "monotonic_ns"]
    payload = recorded["columns"].index("payload")
    assert [list(r) for r in held] == [
        [*row[:payload], base64.b64decode(row[payload]), *row[payload + 1:], "", None]
        for row in recorded["rows"]]
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
    at = START + 5 * 86400
    monotonic = time.monotonic_ns()
    pipeline.submit(Scan(payload=b"", device_id="d3", wall_time=at, monotonic_ns=monotonic))
    assert store.purge(retention_days=1, now=at + 2 * 86400, now_monotonic_ns=monotonic) == 2
    assert [d for (d,) in store.conn.execute("SELECT device_id FROM refused_scans")] == ["d3"]
    store.close()


def test_the_v12_migration_writes_a_few_pages_however_many_refused_scans(tmp_path):
    """v12 adds refused scans' boot columns without rewriting the table: on a store holding
    50 000 refused scans (over a thousand pages) the migration commits a handful of pages."""
    conn = sqlite3.connect(tmp_path / "kiosk.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    for step in MIGRATIONS[:11]:
        step(conn)
    conn.executemany("INSERT INTO refused_scans VALUES (?, ?, 'd1', 'empty', '', x'00')",
                     ((f"{i:08d}", f"2026-11-{1 + i % 30:02d}T00:00:00.000000Z")
                      for i in range(50_000)))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("BEGIN IMMEDIATE")
    MIGRATIONS[11](conn)
    conn.execute("COMMIT")
    written = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    assert pages > 1000 and written <= 4, (pages, written)
    assert conn.execute("SELECT count(*) FROM refused_scans WHERE boot_id = '' "
                        "AND monotonic_ns IS NULL").fetchone() == (50_000,)
    conn.close()


if __name__ == "__main__":  # recording: python tests/test_store_upgrade.py 10 > ….json
    import sys
    print(json.dumps(record(int(sys.argv[1])), ensure_ascii=False, indent=0))


def test_a_v14_stores_keys_with_an_eth_are_folded_as_d_once_upgraded(tmp_path, monkeypatch):
    """Kiosks before v15 kept an eth in a match key: Trâm's PC-Covid code, its Đ read as
    cp1252's Ð ("ÐANG THI TRAM"), was keyed apart from her card's "Đặng Thị Trâm", so the
    masked code found no number (:meth:`Store.subject_for_match`) and a search for "Đặng"
    missed it. Upgraded, both hold one key and the code's name is found by her surname."""
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.scan import Scan

    path = tmp_path / "kiosk.db"
    with monkeypatch.context() as patch:
        patch.setattr(store_mod, "MIGRATIONS", MIGRATIONS[:14])
        store = Store(path)
        pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
        for n, code in enumerate(("079000000005||Đặng Thị Trâm|01021965|Nữ|Huế|10102021",
                                  "******000005|ÐANG THI TRAM|1965-**-**|0|1234567|")):
            assert pipeline.submit(Scan(payload=code.encode(), lane="out" if n else "in",
                                        wall_time=START + 60 * n)).recorded
        store.index_names()
        with store.transaction() as conn:  # as the v14 program wrote the code's
            conn.execute("UPDATE entries SET match_key = 'm:000005|ÐANG THI TRAM|1965' "
                         "WHERE kind = 'pccovid'")
            conn.execute("UPDATE entries_search SET name = 'ÐANG THI TRAM' "
                         "WHERE name = 'DANG THI TRAM'")
        store.close()
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS) >= 15
    assert store.conn.execute("SELECT kind, match_key FROM entries ORDER BY kind").fetchall() \
        == [("cccd", "m:000005|DANG THI TRAM|1965"), ("pccovid", "m:000005|DANG THI TRAM|1965")]
    assert store.subject_for_match("m:000005|DANG THI TRAM|1965") == "doc:079000000005"
    assert sorted(e["name"] for e in store.entries(search="Đặng")) == [
        "ÐANG THI TRAM", "Đặng Thị Trâm"]
    store.close()
