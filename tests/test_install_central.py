"""Setting up the centre: scripts/install-central.sh lays out what the systemd units read
(/var/lib/kiosk-central 0700 with its reports folder, the three units), and brings an
existing centre's database and backlog key there together, only when asked, never over a
centre already there.

The script runs with DESTDIR (a staging root): creating users and starting units on the
machine running the tests is not the test's business; everything else is the real script,
and the centres it copies are made and read by the real `kiosk-central`.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from kiosk.central import backlog_key
from kiosk.central.backends import open_storage

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "install-central.sh"
UNITS = ("kiosk-central.service", "kiosk-central-report.service", "kiosk-central-report.timer")
STATE = "var/lib/kiosk-central"


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], env={**os.environ, "DESTDIR": str(root)},
                          capture_output=True, text=True, timeout=60)


def central(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.central.cli", *args],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(root)): (p.stat().st_mode, p.read_bytes() if p.is_file() else b"")
            for p in sorted(root.rglob("*"))}


def a_centre(folder: Path, *, with_key: bool = True) -> str:
    """A centre as `make install` and the README left it in the checkout's data/: a
    registered checkpoint, and the backlog key `serve` made beside the database."""
    db = f"sqlite:///{folder}/central.db"
    assert central("init", "--db", db).returncode == 0
    added = central("checkpoints", "add", "CP-QL1A", "--name", "Chốt QL1A", "--db", db)
    assert added.returncode == 0, added.stderr
    if with_key:
        with open_storage(db) as storage:
            backlog_key.open_key(storage, folder / backlog_key.FILE_NAME, create=True)
    return db


def test_the_units_read_what_the_script_lays_out():
    for name in UNITS[:2]:
        text = (ROOT / "scripts" / "systemd" / name).read_text(encoding="utf-8")
        assert "User=kiosk-central" in text
        assert "StateDirectory=kiosk-central\nStateDirectoryMode=0700" in text
        url = re.search(r"^Environment=KIOSK_CENTRAL_DB=(\S+)$", text, re.M)[1]
        assert url == f"sqlite:////{STATE}/central.db"
        # where `serve` and `import` look for the key the copy puts beside the database
        assert backlog_key.default_path(url) == Path(f"/{STATE}/central-backlog.key")
    assert "/var/lib/kiosk-central/reports" in (
        ROOT / "scripts/systemd/kiosk-central-report.service").read_text(encoding="utf-8")


def test_install_lays_out_a_centre_and_a_second_run_changes_nothing(tmp_path):
    done = run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Database: sqlite:////var/lib/kiosk-central/central.db" in done.stdout
    state = tmp_path / STATE
    assert state.stat().st_mode & 0o777 == 0o700
    assert (state / "reports").stat().st_mode & 0o777 == 0o700
    assert list(state.glob("central*")) == []  # DESTDIR: init (run as the user) skipped
    for name in UNITS:
        installed = tmp_path / "etc/systemd/system" / name
        assert installed.read_bytes() == (ROOT / "scripts/systemd" / name).read_bytes()
        assert installed.stat().st_mode & 0o777 == 0o644

    before = snapshot(tmp_path)
    assert run(tmp_path).returncode == 0
    assert snapshot(tmp_path) == before


def test_copy_from_brings_the_database_and_its_key_together(tmp_path):
    old = tmp_path / "checkout" / "data"
    db = a_centre(old)
    root = tmp_path / "root"
    with open_storage(db) as serving:  # a server still running: what it wrote is in -wal
        serving.add_checkpoint("CP-CHO", "Chợ Đồng Xoài")
        assert (old / "central.db-wal").stat().st_size > 0
        done = run(root, "--copy-from", str(old))
    assert done.returncode == 0, done.stderr
    assert f"copied {old}/central.db and central-backlog.key into /{STATE}" in done.stdout
    state = root / STATE
    assert sorted(p.name for p in state.iterdir()) == ["central-backlog.key", "central.db",
                                                       "reports"]
    for name in ("central.db", "central-backlog.key"):
        assert (state / name).stat().st_mode & 0o777 == 0o600
    key = state / "central-backlog.key"
    assert key.read_bytes() == (old / "central-backlog.key").read_bytes()
    listed = central("checkpoints", "list", "--db", f"sqlite:///{state}/central.db")
    assert listed.returncode == 0, listed.stderr
    assert "CP-QL1A" in listed.stdout and "CP-CHO" in listed.stdout
    with open_storage(f"sqlite:///{state}/central.db") as storage:  # the key kiosks were given
        backlog_key.open_key(storage, key, create=False)

    before = snapshot(root)
    again = run(root, "--copy-from", str(old))
    assert again.returncode == 1
    assert "central.db is already there: not replaced, nothing copied" in again.stderr
    assert snapshot(root) == before


def test_a_database_whose_key_is_left_behind_is_not_copied(tmp_path):
    """Without its key the server would make a new one: every kiosk's backlog file, sealed
    to the old one, could no longer be opened."""
    old = tmp_path / "data"
    a_centre(old)
    (old / "central-backlog.key").unlink()
    done = run(tmp_path / "root", "--copy-from", str(old))
    assert done.returncode == 1
    assert f"{old}/central-backlog.key is not there: bring it with the database" in done.stderr
    assert not (tmp_path / "root").exists()


def test_a_centre_that_never_served_is_copied_without_a_key(tmp_path):
    old = tmp_path / "data"
    a_centre(old, with_key=False)
    done = run(tmp_path / "root", "--copy-from", str(old))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "root" / STATE).iterdir()) == ["central.db",
                                                                             "reports"]


def test_a_folder_without_a_database_is_refused_before_anything_is_written(tmp_path):
    done = run(tmp_path / "root", "--copy-from", str(tmp_path))
    assert done.returncode == 1
    assert f"no central.db in {tmp_path}: nothing copied" in done.stderr
    assert not (tmp_path / "root").exists()


def test_the_server_is_restarted_while_its_database_is_unreachable_not_at_a_wrong_one(
        tmp_path):
    """`Restart=on-failure` restarted a serve refused a database that is not there every 2 s
    for ever (its 0.6 s refusals never reached the start limit); a PostgreSQL still starting
    at boot must still be waited for."""
    unit = (ROOT / "scripts/systemd/kiosk-central.service").read_text(encoding="utf-8")
    assert re.search(r"^Restart=on-failure$", unit, re.M)
    prevented = {int(code) for code in re.search(
        r"^RestartPreventExitStatus=(.+)$", unit, re.M)[1].split()}
    missing = central("serve", "--port", "0", "--db", f"sqlite:///{tmp_path}/central.db")
    assert missing.returncode in prevented, missing.stderr
    bad_key = tmp_path / "key"
    bad_key.write_text("not a key", encoding="utf-8")
    assert central("init", "--db", f"sqlite:///{tmp_path}/central.db").returncode == 0
    wrong_key = central("serve", "--port", "0", "--db", f"sqlite:///{tmp_path}/central.db",
                        "--backlog-key", str(bad_key))
    assert wrong_key.returncode in prevented, wrong_key.stderr
    with socket.socket() as nobody:
        nobody.bind(("127.0.0.1", 0))  # bound, never listening: every connection refused
        port = nobody.getsockname()[1]
        unreachable = central("serve", "--port", "0", "--db",
                              f"postgresql://kiosk@127.0.0.1:{port}/central")
    assert unreachable.returncode == 75, unreachable.stderr
    assert unreachable.returncode not in prevented
    assert "cannot connect to postgresql://kiosk@127.0.0.1" in unreachable.stderr
