"""The 06:00 timer as installed: the unit files' commands run as written (with this checkout's
`kiosk-central`) and write the dated report files; the timer fires at 06:00 in the centre's
default zone."""

from __future__ import annotations

import configparser
import datetime as dt
import os
import shlex
import subprocess
from pathlib import Path

from central_support import CENTRAL, central, database_url

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
    db = database_url("sqlite", tmp_path)
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


def _monthly_at(utc: str, out: Path, db: str, libfaketime: Path, line: str
               ) -> subprocess.CompletedProcess[str]:
    """Run the service's monthly command line on a server kept in UTC, at ``utc``."""
    env = {**os.environ, "TZ": "UTC", "KIOSK_CENTRAL_DB": db,
           "KIOSK_CENTRAL_REPORTS": str(out), "LD_PRELOAD": str(libfaketime),
           "FAKETIME": f"@{utc}"}
    result = subprocess.run(_command(line, out), env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result


def _monthly_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


def _months(*months: str) -> list[str]:
    return sorted(f"bao-cao-thang-{m}.{f}" for m in months for f in ("csv", "json", "xlsx"))


def test_the_monthly_report_is_written_on_the_1st_of_the_centres_zone_on_a_utc_server(
        tmp_path: Path, libfaketime: Path) -> None:
    """At 06:00 in Vietnam on 1 December a server kept in UTC reads 30 November, 23:00: the
    service's monthly command still writes November's report, since the 1st is the centre's
    (its configured zone), not the machine's. On 30 November (23:00 in Vietnam) last month
    is October, whose report it writes if missing; once the folder holds it, and no entry of
    the month has arrived since (tests/test_central_late_entries.py), a run on any day but
    the 1st writes nothing and succeeds, saying so."""
    db = database_url("sqlite", tmp_path)
    subprocess.run(  # entered before the runs: a registry corrected since has a report remade
        [*CENTRAL, "checkpoints", "import", str(UNITS.parents[1] / "docs" /
                                                "checkpoints-sample.csv"), "--db", db],
        env={**os.environ, "TZ": "UTC", "LD_PRELOAD": str(libfaketime),
             "FAKETIME": "@2026-10-01 00:00:00"}, check=True, capture_output=True, timeout=60)
    monthly = _exec_lines((UNITS / "kiosk-central-report.service").read_text())[1]
    out = tmp_path / "reports"
    _monthly_at("2026-11-30 16:00:00", out, db, libfaketime, monthly)
    assert _monthly_files(out) == _months("2026-10")
    again = _monthly_at("2026-11-30 16:00:00", out, db, libfaketime, monthly)
    assert "2026-10" in again.stdout and "đã có" in again.stdout \
        and "already in" in again.stdout
    _monthly_at("2026-11-30 23:00:00", out, db, libfaketime, monthly)
    assert _monthly_files(out) == _months("2026-10", "2026-11")
    november = list(out.glob("bao-cao-thang-2026-11.*"))
    for path in november:
        path.write_bytes(b"")
    _monthly_at("2026-11-30 23:30:00", out, db, libfaketime, monthly)  # again on the 1st:
    assert all(p.stat().st_size > 0 for p in november)  # made again, as any rerun
    made = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC).timestamp()
    for path in november:
        path.write_bytes(b"")  # no made_at to read: made when last modified
        os.utime(path, (made, made))
    _monthly_at("2026-12-01 20:00:00", out, db, libfaketime, monthly)  # 2 December, 03:00
    assert all(p.stat().st_size == 0 for p in november)  # held: left as it is


def test_a_server_down_all_day_on_the_1st_writes_last_months_report_at_its_next_run(
        tmp_path: Path, libfaketime: Path) -> None:
    """The timer's next run after the 1st, on the 2nd or later, finds November's report
    missing from the folder and writes it, with the service's line as installed now and
    with ``--if-first-day``, the option's former name, in units installed before. Without a
    folder to look in, it is written on the 1st only, as before."""
    db = database_url("sqlite", tmp_path)
    central("checkpoints", "import", str(UNITS.parents[1] / "docs" / "checkpoints-sample.csv"),
            "--db", db)
    monthly = _exec_lines((UNITS / "kiosk-central-report.service").read_text())[1]
    former = monthly.replace("--if-due", "--if-first-day")
    assert "--if-first-day" in former
    for n, line in enumerate((monthly, former)):
        out = tmp_path / f"reports-{n}"
        out.mkdir()
        (out / "bao-cao-thang-2026-10.json").write_text("{}")  # October's, on 1 November
        _monthly_at("2026-12-02 23:00:00", out, db, libfaketime, line)  # 3 Dec in Vietnam
        assert _monthly_files(out) == ["bao-cao-thang-2026-10.json", *_months("2026-11")]
    printed = _monthly_at("2026-12-02 23:00:00", tmp_path, db, libfaketime,
                          monthly.replace("--out-dir ${KIOSK_CENTRAL_REPORTS}", "--format csv"))
    assert "không phải ngày 1" in printed.stdout and "is not the 1st" in printed.stdout
