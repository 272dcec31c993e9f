"""``kiosk doctor`` on a healthy kiosk and on kiosks broken the ways they break in the field:
a scanner unplugged (its node gone), a store folder that cannot be written, a token the
centre revoked, a kiosk clock ahead of the centre. Each situation is built for real: a pty as
the serial scanner, a real ``kiosk-central serve``, a folder made immutable (or read-only
when not run as root), libfaketime moving the kiosk's clock.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.camera_support import CCCD
from tests.central_support import CentralServer, central, enrol
from tests.sync_support import write_config

FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def doctor(config: Path, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "doctor", "--config",
                           str(config), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def checks(config: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict]]:
    result = doctor(config, "--json", env=env)
    report = json.loads(result.stdout)
    assert report["ok"] == (result.returncode == 0)
    return result.returncode, {c["name"]: c for c in report["checks"]}


@pytest.fixture
def centre(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('centre') / 'central.db'}"
    server = CentralServer(db)
    yield server
    server.stop()


@pytest.fixture
def scanner() -> Iterator[str]:
    """A serial scanner's node: the secondary side of a real pseudo-terminal."""
    primary, secondary = pty.openpty()
    yield os.ttyname(secondary)
    os.close(primary)
    os.close(secondary)


def enrolled_kiosk(folder: Path, centre: CentralServer, port: str) -> Path:
    kiosk_id = folder.name[-20:].replace("_", "-").strip("-") or "k"
    token = enrol(centre.db, kiosk_id).token
    config = write_config(folder / "config.toml", kiosk_id=kiosk_id, server_url=centre.url,
                          token=token, enabled=True)
    with config.open("a", encoding="utf-8") as out:
        out.write(f'\n[[devices]]\nid = "lane1"\ntype = "serial"\nport = "{port}"\n')
    scanned = subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", CCCD, "--config",
                              str(config)], capture_output=True, text=True, timeout=60)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    return config


def test_a_healthy_kiosk_passes_every_check_and_says_so_in_both_languages(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)

    code, found = checks(config)

    assert code == 0, found
    assert {"config", "store", "store_writable", "disk", "pending", "device:lane1", "centre",
            "clock", "token", "qt", "fonts"} <= set(found)
    assert "days of scanning at 1 scans a day" in found["disk"]["en"]
    assert "Oldest entry waiting for the centre" in found["pending"]["en"]
    text = doctor(config)
    assert text.returncode == 0
    assert "OK        Mã đồng bộ được chấp nhận\n          Token accepted" in text.stdout


def test_an_unplugged_scanner_is_named_with_its_missing_node(centre, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, "/dev/ttyACM97")

    code, found = checks(config)

    assert code == 1
    assert not found["device:lane1"]["ok"]
    assert "/dev/ttyACM97" in found["device:lane1"]["en"]
    assert all(c["ok"] for name, c in found.items() if name != "device:lane1")


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """Root ignores modes, so as root the folder is made immutable (chattr +i)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("this file system cannot make a folder immutable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)


def test_a_store_folder_that_cannot_be_written_fails_and_says_what_to_fix(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)

    with unwritable(tmp_path):
        code, found = checks(config)

    assert code == 1
    assert not found["store_writable"]["ok"]
    assert f"Cannot write in {tmp_path}" in found["store_writable"]["en"]
    assert "sửa quyền thư mục" in found["store_writable"]["vi"]


def test_a_revoked_token_fails_the_token_check_and_points_to_enrolment(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)
    kiosk_id = config.read_text(encoding="utf-8").split('id = "')[1].split('"')[0]
    central("kiosks", "revoke", "--db", centre.db, kiosk_id)

    code, found = checks(config)

    assert code == 1
    assert found["centre"]["ok"] and not found["token"]["ok"]
    assert "HTTP 401" in found["token"]["en"] and "`kiosk enrol`" in found["token"]["en"]


def test_a_kiosk_clock_ten_minutes_ahead_of_the_centre_fails_the_clock_check(
        centre, scanner, tmp_path):
    if not FAKETIME.exists():
        pytest.skip("libfaketime not installed (scripts/bootstrap.sh installs it)")
    config = enrolled_kiosk(tmp_path, centre, scanner)

    code, found = checks(config, {"LD_PRELOAD": str(FAKETIME), "FAKETIME": "+10m"})

    assert code == 1
    assert not found["clock"]["ok"]
    offset = float(found["clock"]["en"].split("by ")[1].split(" s")[0])
    assert 590 <= offset <= 610
    assert all(c["ok"] for name, c in found.items() if name not in ("clock", "pending"))


def test_an_unreachable_centre_and_a_broken_config_are_reported_not_crashed_on(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)
    config.write_text(config.read_text(encoding="utf-8").replace(
        centre.url, "http://127.0.0.1:9"), encoding="utf-8")
    code, found = checks(config)
    assert code == 1 and not found["centre"]["ok"]
    assert "Cannot reach the centre http://127.0.0.1:9" in found["centre"]["en"]

    config.write_text("[kiosk]\nid = 5\n", encoding="utf-8")
    code, found = checks(config)
    assert code == 1 and list(found) == ["config"]
    assert "Config invalid" in found["config"]["en"]
