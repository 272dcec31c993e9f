"""A store that cannot be written (read-only disk, file or folder without write permission)
can still be read: `entries`, `stats`, `export`, `sync status` and `doctor` show what it
holds and say it is read-only, while a scan is refused with exit 3, and nothing changes.

Real `kiosk` processes on a real store. As root, modes are ignored, so the file or folder is
made immutable (chattr +i), which refuses writes to root as a read-only mount would.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CCCD_AN, CCCD_BINH


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` (a file or a folder) refuses writes until the block ends."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("this file system cannot make a file immutable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode & 0o777
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A config whose store, in its own folder, holds two entries; the kiosk is stopped."""
    folder = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(f'[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      f'[store]\npath = "{folder / "kiosk.db"}"\n', encoding="utf-8")
    for payload in (CCCD_AN, CCCD_BINH):
        assert kiosk(config, "scan", payload).returncode == 0
    return config


@pytest.mark.parametrize("what", ["file", "folder", "both"])
def test_reading_commands_work_on_a_read_only_store_and_say_so(
        recorded: Path, tmp_path: Path, what: str) -> None:
    folder = tmp_path / "data"
    db = folder / "kiosk.db"
    before = digest(folder)
    with contextlib.ExitStack() as stack:
        if what in ("file", "both"):
            stack.enter_context(read_only(db))
        if what in ("folder", "both"):
            stack.enter_context(read_only(folder))
        entries = kiosk(recorded, "entries")
        stats = kiosk(recorded, "stats")
        export = kiosk(recorded, "export")
        search = kiosk(recorded, "entries", "--search", "nguyen")
        status = kiosk(recorded, "sync", "status", "--offline")
        doctor = kiosk(recorded, "doctor", "--json")
        scan = kiosk(recorded, "scan", CCCD_AN)
    for proc in (entries, stats, export, search, status):
        assert proc.returncode == 0, proc.stderr
        assert f"The store {db} is read-only" in proc.stderr
        assert "not even the audit log" in proc.stderr
    assert "Nguyễn Văn An" in entries.stdout and "Trần Thị Bình" in entries.stdout
    assert "Nguyễn Văn An" in search.stdout and "Trần Thị Bình" not in search.stdout
    assert stats.stdout.split("\n")[0].split() == ["In", "2"]
    assert export.stdout.count("\n") == 3  # the header and two entries
    assert "Pending" in status.stdout or "pending" in status.stdout
    assert '"store"' in doctor.stdout and "integrity check passed" in doctor.stdout
    assert scan.returncode == 3 and "ACCEPTED" not in scan.stdout
    assert "Traceback" not in scan.stderr
    assert digest(folder) == before  # not a byte written, not a file created


def test_a_scan_refused_by_a_read_only_store_is_not_recorded_and_the_store_is_intact(
        recorded: Path, tmp_path: Path) -> None:
    with read_only(tmp_path / "data" / "kiosk.db"):
        refused = kiosk(recorded, "scan", "001099099999|123456789|Lê Văn Cường|01021990|Nam|"
                                          "Số 2 Phố Huế, Hà Nội|10102021")
    assert refused.returncode == 3 and "store error" in (refused.stderr + refused.stdout)
    after = kiosk(recorded, "entries")
    assert after.returncode == 0 and "Lê Văn Cường" not in after.stdout
    assert "read-only" not in after.stderr  # writable again: opened normally
