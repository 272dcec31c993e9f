"""Going back after an upgrade: ``kiosk store restore kiosk.db.vN.bak``.

A kiosk whose new release crashed (a power cut, a kill) leaves the upgraded store's log,
``kiosk.db-wal``, beside the file. Put back by hand (``mv kiosk.db.v5.bak kiosk.db``), the
pre-upgrade copy gets that log replayed onto it by the old release: a damaged file that
claims the newer schema, and the only pre-upgrade copy gone. The command copies the backup
(checked first, the backup kept), sets the store and its ``-wal``/``-shm`` aside (never
deleted: they hold the scans recorded since the upgrade), and refuses while a kiosk has the
store open or when the backup is no sound store. Real files, a real process killed with
SIGKILL, the real ``kiosk`` command."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from kiosk import store as store_mod
from kiosk.store import MIGRATIONS, Store
from tests.test_cli_store_words import kiosk, write_config
from tests.test_store_upgrade import old_database, user_version

OLD = 5
"""The schema of the old release going back to (eff4817's)."""

UPGRADED_DAY_THEN_CRASH = """
import os, signal, sys, time
from pathlib import Path
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
store = Store(Path(sys.argv[1]))  # the new release's start: kiosk.db.v5.bak, then v{latest}
store.conn.execute("PRAGMA wal_autocheckpoint=0")  # the last scans stay in the log
pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
for i in range(200):
    payload = f"0790990{i:05d}|12345{i:04d}|Phạm Thị {i}|01021990|Nữ|Số {i}|10102021".encode()
    pipeline.submit(Scan(payload=payload, device_id="gate", lane="in", symbology="QRCode",
                         source="serial", wall_time=time.time(),
                         monotonic_ns=time.monotonic_ns()))
os.kill(os.getpid(), signal.SIGKILL)  # a power cut with the store open
"""


def old_release_opens(path: Path, monkeypatch) -> list[tuple[str]]:
    """What the old release (schema v5) reads of its marker row, opening ``path`` as it
    does: StoreError ("schema … is newer") if the file is not its own any more."""
    with monkeypatch.context() as patch:
        patch.setattr(store_mod, "MIGRATIONS", MIGRATIONS[:OLD])
        store = Store(path)
        try:
            return store.conn.execute("SELECT note FROM marker").fetchall()
        finally:
            store.close()


def upgraded_then_crashed(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "kiosk.db"
    old_database(path, monkeypatch, version=OLD)
    proc = subprocess.run([sys.executable, "-c", UPGRADED_DAY_THEN_CRASH, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert (tmp_path / "kiosk.db-wal").stat().st_size > 0  # the newer store's log is there
    assert user_version(tmp_path / f"kiosk.db.v{OLD}.bak") == OLD
    return path


def entries(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return conn.execute("SELECT count(*) FROM entries").fetchone()[0]


def test_going_back_after_a_crash_of_the_new_release_gives_the_old_release_its_store(
        tmp_path, monkeypatch):
    path = upgraded_then_crashed(tmp_path, monkeypatch)
    config = write_config(tmp_path, path, "en")

    done = kiosk(config, "store", "restore", str(tmp_path / f"kiosk.db.v{OLD}.bak"))

    assert done.returncode == 0, done.stderr
    kept = next(tmp_path.glob("kiosk.db.before-restore-*Z"))
    assert f"Restored {path} from {tmp_path}/kiosk.db.v{OLD}.bak (schema v{OLD}, 0 entries)" \
        f"; the file it replaced (with its -wal/-shm if any) is kept as {kept}" in done.stdout
    assert f"reinstall the old release that wrote it before starting the kiosk — this " \
        f"release (v{len(MIGRATIONS)}) would upgrade it again" in done.stdout
    assert not (tmp_path / "kiosk.db-wal").exists()  # no newer log for the old release
    assert old_release_opens(path, monkeypatch) == [("written by the old program",)]
    assert user_version(path) == OLD
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    # the backup stays, and the scans since the upgrade are in the file set aside with its log
    assert user_version(tmp_path / f"kiosk.db.v{OLD}.bak") == OLD
    assert Path(f"{kept}-wal").stat().st_size > 0
    assert entries(kept) == 200


def test_a_restore_while_the_kiosk_runs_is_refused_and_changes_nothing(tmp_path, monkeypatch):
    path = upgraded_then_crashed(tmp_path, monkeypatch)
    config = write_config(tmp_path, path, "vi")
    running = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom kiosk.store import Store\n"
         "s = Store(sys.argv[1]); print('open', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert running.stdout.readline() == "open\n"
        refused = kiosk(config, "store", "restore", str(tmp_path / f"kiosk.db.v{OLD}.bak"))
    finally:
        running.communicate("", timeout=60)
    assert refused.returncode == 3
    assert f"{path} đang được mở (trạm đang chạy" in refused.stderr
    assert "Dừng trạm (sudo systemctl stop checkpoint-kiosk) rồi chạy lại" in refused.stderr
    assert sorted(p.name for p in tmp_path.glob("kiosk.db*")) == [
        "kiosk.db", "kiosk.db-shm", "kiosk.db-wal", f"kiosk.db.v{OLD}.bak"]
    assert user_version(path) == len(MIGRATIONS)
    assert entries(path) == 200


def test_a_backup_that_is_no_sound_store_is_refused_and_the_store_stays(tmp_path, monkeypatch):
    path = tmp_path / "kiosk.db"
    Store(path).close()
    config = write_config(tmp_path, path, "en")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(8192))
    with contextlib.closing(sqlite3.connect(tmp_path / "other.db")) as other:
        other.execute("CREATE TABLE t (a)")

    for backup, reason in (("photo.jpg", "the backup could not be copied"),
                           ("other.db", "is not a sound kiosk store backup"),
                           ("missing.bak", "no such backup file")):
        refused = kiosk(config, "store", "restore", str(tmp_path / backup))
        assert refused.returncode == 3
        assert reason in refused.stderr, refused.stderr
        assert "Restored" not in refused.stdout
    assert sorted(p.name for p in tmp_path.glob("kiosk.db*")) == ["kiosk.db"]
    assert user_version(path) == len(MIGRATIONS)
