"""The 06:00 timer as installed: the unit files' commands run as written (with this checkout's
`kiosk-central`) and write the dated report files; the timer fires at 06:00 in the centre's
default zone."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
from pathlib import Path

from central_support import CENTRAL, central

from kiosk.central.localdays import DEFAULT_ZONE

UNITS = Path(__file__).resolve().parents[1] / "scripts" / "systemd"
INSTALLED = "/opt/checkpoint-kiosk/.venv/bin/kiosk-central"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((UNITS / name).read_text())
    return parser


def _exec_lines(service: str) -> list[str]:
    return [line.split("=", 1)[1] for line in service.splitlines()
            if line.startswith("ExecStart=")]


def _command(line: str, out: Path) -> list[str]:
    """A unit's command line as systemd runs it, with this checkout's `kiosk-central`."""
    words = shlex.split(line.replace("${KIOSK_CENTRAL_REPORTS}", str(out)))
    assert words[0] == INSTALLED
    return [*CENTRAL, *words[1:]]


def test_the_timer_fires_at_six_in_the_centres_zone() -> None:
    timer = _unit("kiosk-central-report.timer")
    assert timer["Timer"]["OnCalendar"] == f"*-*-* 06:00:00 {DEFAULT_ZONE}"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == "kiosk-central-report.service"


def test_the_service_commands_write_todays_files_and_can_run_again(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/central.db"
    central("checkpoints", "import", str(UNITS.parents[1] / "docs" / "checkpoints-sample.csv"),
            "--db", db)
    out = tmp_path / "reports"
    env = {**os.environ, "KIOSK_CENTRAL_DB": db, "KIOSK_CENTRAL_REPORTS": str(out)}
    daily, monthly, purge = _exec_lines((UNITS / "kiosk-central-report.service").read_text())
    command = _command(daily, out)
    for _ in range(2):
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=60)
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 3 and all(n.startswith("bao-cao-ngay-") for n in names)
    # the monthly line does nothing but on the 1st (below), and says so
    result = subprocess.run(_command(monthly, out), env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    # then the retention periods: nothing while unset, the configured ones once set
    retention = [*CENTRAL, *shlex.split(purge)[1:]]
    assert shlex.split(purge)[0] == INSTALLED
    kept = subprocess.run(retention, env=env, capture_output=True, text=True, timeout=60)
    assert kept.returncode == 0 and "identities kept" in kept.stdout
    central("retention", "--personal-days", "30", "--reason", "decision 12", "--db", db)
    applied = subprocess.run(retention, env=env, capture_output=True, text=True, timeout=60)
    assert applied.returncode == 0 and "Erased names, document numbers" in applied.stdout


def test_the_monthly_report_is_written_on_the_1st_of_the_centres_zone_on_a_utc_server(
        tmp_path: Path, libfaketime: Path) -> None:
    """At 06:00 in Vietnam on 1 December a server kept in UTC reads 30 November, 23:00: the
    service's monthly command still writes November's report, since the 1st is the centre's
    (its configured zone), not the machine's. At 23:00 in Vietnam on 30 November, and at
    03:00 on 2 December (1 December, 20:00 on the server), it writes nothing and succeeds."""
    db = f"sqlite:///{tmp_path}/central.db"
    central("checkpoints", "import", str(UNITS.parents[1] / "docs" / "checkpoints-sample.csv"),
            "--db", db)
    monthly = _exec_lines((UNITS / "kiosk-central-report.service").read_text())[1]
    for utc, written in (("2026-11-30 16:00:00", False), ("2026-11-30 23:00:00", True),
                         ("2026-12-01 20:00:00", False)):
        out = tmp_path / utc.replace(" ", "T").replace(":", "")
        out.mkdir()
        env = {**os.environ, "TZ": "UTC", "KIOSK_CENTRAL_DB": db,
               "KIOSK_CENTRAL_REPORTS": str(out), "LD_PRELOAD": str(libfaketime),
               "FAKETIME": f"@{utc}"}
        result = subprocess.run(_command(monthly, out), env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        names = sorted(p.name for p in out.iterdir())
        assert names == ([f"bao-cao-thang-2026-11.{f}" for f in ("csv", "json", "xlsx")]
                         if written else []), utc
        if not written:
            assert "không phải ngày 1" in result.stdout and "is not the 1st" in result.stdout
