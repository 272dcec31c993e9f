"""scripts/install-central.sh as it runs on a centre whose systemd runs it, with its paths
moved into a temporary folder and the system's commands stood in for (systemctl answers
from files and records what it was asked; runuser, useradd, chown do nothing but run or
record), the pip of the venv recording its call: what the script does with the database
the units read, the 06:00 report around an upgrade, and a unit changed by hand.

The `kiosk-central` it runs is this checkout's, on a real SQLite file or PostgreSQL
database.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from central_support import free_port, shared_postgres

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "install-central.sh"
SYSTEMCTL = """#!/bin/sh
echo "systemctl $*" >> "$LOG"
case "$1" in
  is-active) shift; quiet=; [ "$1" = --quiet ] && quiet=1 && shift
             state=$(cat "$STATES/$1" 2>/dev/null || echo inactive)
             [ -n "$quiet" ] || echo "$state"
             [ "$state" = active ] ;;
  show) cat "$STATES/environment" 2>/dev/null; echo ;;
esac
exit $?
"""
RECORD = '#!/bin/sh\necho "$(basename "$0") $*" >> "$LOG"\n'


@dataclass
class Centre:
    """The machine the script installs: its folders under ``root``."""
    root: Path

    @property
    def state(self) -> Path:
        return self.root / "var/lib/kiosk-central"

    @property
    def units(self) -> Path:
        return self.root / "etc/systemd/system"

    def unit_state(self, unit: str, state: str) -> None:
        (self.root / "states" / unit).write_text(state, encoding="utf-8")

    def unit_environment(self, *settings: str) -> None:
        """What `systemctl show -p Environment --value kiosk-central.service` prints."""
        (self.root / "states" / "environment").write_text(" ".join(settings), encoding="utf-8")

    def calls(self) -> list[str]:
        return (self.root / "log").read_text(encoding="utf-8").splitlines()

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        (self.root / "log").write_text("", encoding="utf-8")
        env = {**os.environ, "PATH": f"{self.root / 'stub'}:{os.environ['PATH']}",
               "LOG": str(self.root / "log"), "STATES": str(self.root / "states"),
               "PYTHONPATH": str(ROOT)}
        env.pop("DESTDIR", None)
        return subprocess.run(["bash", str(self.root / "install-central.sh"), *args], env=env,
                              capture_output=True, text=True, timeout=180)


@pytest.fixture
def centre(tmp_path: Path) -> Centre:
    here = Centre(tmp_path)
    for folder in ("stub", "states", "prefix/.venv/bin", "run/systemd/system"):
        (tmp_path / folder).mkdir(parents=True)
    script = SCRIPT.read_text(encoding="utf-8")
    for line, moved in (('SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"', f"SRC={ROOT}"),
                        ("PREFIX=/opt/checkpoint-kiosk", f"PREFIX={tmp_path}/prefix"),
                        ("DATA_DIR=/var/lib/kiosk-central", f"DATA_DIR={here.state}"),
                        ("UNIT_DIR=/etc/systemd/system", f"UNIT_DIR={here.units}")):
        assert line in script
        script = script.replace(line, moved, 1)
    script = script.replace("/run/systemd/system", f"{tmp_path}/run/systemd/system")
    (tmp_path / "install-central.sh").write_text(script, encoding="utf-8")
    stubs = {"systemctl": SYSTEMCTL, "id": '#!/bin/sh\n[ "$1" = -u ] && echo 0\nexit 0\n',
             "runuser": RECORD + 'while [ "$1" != -- ]; do shift; done; shift; exec "$@"\n',
             **{name: RECORD for name in ("getent", "groupadd", "useradd", "chown")}}
    for name, text in stubs.items():
        (tmp_path / "stub" / name).write_text(text, encoding="utf-8")
        (tmp_path / "stub" / name).chmod(0o755)
    venv = tmp_path / "prefix/.venv/bin"
    (venv / "pip").write_text(RECORD, encoding="utf-8")
    (venv / "kiosk-central").write_text(
        f'#!/bin/sh\nexec {sys.executable} -m kiosk.central.cli "$@"\n', encoding="utf-8")
    for tool in ("pip", "kiosk-central"):
        (venv / tool).chmod(0o755)
    return here


def test_a_new_sqlite_centre_is_made_as_kiosk_central_where_the_units_read(centre) -> None:
    done = centre.run()
    assert done.returncode == 0, done.stdout + done.stderr
    made = centre.state / "central.db"
    assert made.is_file()
    assert f"runuser -u kiosk-central -- {centre.root}/prefix/.venv/bin/kiosk-central init " \
           f"--db sqlite:///{made}" in centre.calls()
    assert done.stdout.splitlines()[-1] == (
        f"install-central: xong. Cơ sở dữ liệu: sqlite:///{made}. Nhật ký: journalctl -u "
        f"kiosk-central / done. Database: sqlite:///{made}. Logs: journalctl -u kiosk-central")


def test_the_postgresql_database_a_drop_in_names_is_the_one_made_and_said(centre) -> None:
    """Before, a centre whose units read PostgreSQL (`systemctl edit`) had a stray empty
    SQLite centre made at every install, its real database never upgraded, and the end
    line named the SQLite file."""
    postgres = shared_postgres()
    if postgres is None:
        pytest.skip("PostgreSQL binaries not installed")
    url = postgres.create_database()
    centre.unit_environment(f"KIOSK_CENTRAL_DB={url}",
                            "KIOSK_CENTRAL_BACKLOG_KEY=/var/lib/kiosk-central/k.key")
    done = centre.run()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Started a new, empty centre database at {url}" in done.stderr
    assert not (centre.state / "central.db").exists()
    assert f"/ done. Database: {url}. Logs: journalctl -u kiosk-central" in done.stdout
    assert "systemctl enable --quiet --now kiosk-central.service kiosk-central-report.timer" \
        in centre.calls()


def test_a_database_init_cannot_upgrade_starts_nothing_and_says_who_must(centre) -> None:
    shown = f"postgresql://kiosk-central:***@127.0.0.1:{free_port()}/central?connect_timeout=1"
    centre.unit_environment(f"KIOSK_CENTRAL_DB={shown.replace('***', 's3cret')}")
    centre.unit_state("kiosk-central.service", "active")
    refused = centre.run()
    assert refused.returncode == 1
    assert "s3cret" not in refused.stdout + refused.stderr
    assert f"kiosk-central init --db {shown} failed (above); the server and the 06:00 report " \
           f"are not started again: run kiosk-central init --db <owner URL> as the tables' " \
           f"owner, then run this again" in refused.stderr
    assert "chạy kiosk-central init --db <URL của chủ sở hữu>" in refused.stderr
    assert not [call for call in centre.calls() if " enable " in call or " start " in call]


def test_an_upgrade_stops_the_0600_report_before_pip_and_starts_its_timer_again(
        centre) -> None:
    """A report running across the upgrade (a catch-up of 31 days) kept the old code under
    pip and the report-making lock the schema upgrade waits for."""
    centre.run()  # the centre as a first install left it
    for unit in ("kiosk-central.service", "kiosk-central-report.timer"):
        centre.unit_state(unit, "active")
    centre.unit_state("kiosk-central-report.service", "activating")  # a oneshot running
    for args, started in (((), "systemctl enable --quiet --now kiosk-central.service "
                                "kiosk-central-report.timer"),
                          (("--no-enable",), "systemctl start kiosk-central-report.timer")):
        done = centre.run(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        calls = centre.calls()
        pip = next(n for n, call in enumerate(calls) if call.startswith("pip install"))
        stop = calls.index("systemctl stop kiosk-central-report.timer "
                           "kiosk-central-report.service")
        assert stop < pip and calls.index("systemctl stop kiosk-central.service") < pip
        assert calls.index(started) > pip
        assert "stopped the 06:00 report (and its timer) for the upgrade" in done.stdout
        assert "đã dừng báo cáo 06:00" in done.stdout


def test_a_unit_changed_by_hand_is_kept_and_said_one_shipped_before_is_replaced(
        centre) -> None:
    centre.units.mkdir(parents=True)
    edited = centre.units / "kiosk-central.service"
    shipped = (ROOT / "scripts/systemd/kiosk-central.service").read_text(encoding="utf-8")
    mine = shipped.replace("Environment=KIOSK_CENTRAL_DB=sqlite:////var/lib/kiosk-central/"
                           "central.db", "Environment=KIOSK_CENTRAL_DB=postgresql://kiosk-"
                           "central@/central?host=/var/run/postgresql")
    edited.write_text(mine, encoding="utf-8")
    older = subprocess.run(["git", "-C", str(ROOT), "log", "--format=%H", "-n", "1", "--skip",
                            "1", "--", "scripts/systemd/kiosk-central-report.service"],
                           capture_output=True, text=True, check=True).stdout.strip()
    report = centre.units / "kiosk-central-report.service"
    report.write_bytes(subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{older}:scripts/systemd/kiosk-central-report.service"],
        capture_output=True, check=True).stdout)
    done = centre.run("--no-enable")
    assert done.returncode == 0, done.stdout + done.stderr
    assert edited.read_text(encoding="utf-8") == mine
    assert (f"kept {centre.units}/kiosk-central.service: changed here by hand (systemctl edit "
            f"--full); this version's is {ROOT}/scripts/systemd/kiosk-central.service") \
        in done.stdout
    assert f"giữ nguyên {centre.units}/kiosk-central.service" in done.stdout
    assert report.read_bytes() == (ROOT / "scripts/systemd/kiosk-central-report.service"
                                   ).read_bytes()
    assert "kiosk-central-report.service: changed" not in done.stdout
