"""Days whose 06:00 report the server missed (down across 06:00: the timer's Persistent=true
catches up with one run), as the province office meets them in its report folder: the
catch-up run makes every such day, oldest first, and each entry is counted exactly once
across the files and their late lists, however late a day is made (`kiosk-central report
daily --out-dir` run by the real command at the times the timer runs it, on SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kiosk.central.backends import open_storage
from tests.test_central_late_entries import _arrives, _centre, _run_at


def _files(out: Path) -> dict[str, dict[str, Any]]:
    return {p.name[len("bao-cao-ngay-"):-len(".json")]: json.loads(p.read_text())
            for p in sorted(out.glob("bao-cao-ngay-*.json"))}


def _counted(files: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Each day's entries as an official counts them: its file's scans plus every late
    list's entries of it."""
    counted = {day: f["summary"]["scans"] for day, f in files.items()}
    for f in files.values():
        for late in f["completeness"]["late_entries"]:
            counted[late["day"]] = counted.get(late["day"], 0) + late["entries"]
    return counted


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_back_before_0600_the_catch_up_run_makes_the_day_whose_0600_was_missed(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """Down from 05:00 on the 21st to 01:00 on the 22nd: the 20th's 06:00 was missed, and
    the catch-up run at 01:00 comes before the 21st's is due. It makes the 20th (the 21st
    is still to come: made at 06:00), so no day is left without a file."""
    db, out = _centre(tmp_path, engine), tmp_path / "reports"
    _arrives(db, "2026-11-19 09:00:00", "2026-11-19 09:00:05", 1)
    _run_at("2026-11-20 06:00:10", libfaketime, db, "report", "daily", "--out-dir", str(out))
    _arrives(db, "2026-11-20 09:00:00", "2026-11-20 09:00:05", 2)
    _run_at("2026-11-22 01:00:30", libfaketime, db, "report", "daily", "--out-dir", str(out))
    assert list(_files(out)) == ["2026-11-19", "2026-11-20"]
    _arrives(db, "2026-11-21 09:00:00", "2026-11-22 01:05:00", 3)
    _run_at("2026-11-22 06:00:10", libfaketime, db, "report", "daily", "--out-dir", str(out))
    files = _files(out)
    assert list(files) == ["2026-11-19", "2026-11-20", "2026-11-21"]
    assert _counted(files) == {"2026-11-19": 1, "2026-11-20": 1, "2026-11-21": 1}


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_down_across_two_0600s_each_missed_day_is_made_and_each_entry_counted_once(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """Down from 05:00 on the 21st to 07:00 on the 23rd: the 21st's and 22nd's 06:00 runs
    missed, the timer catches up once. That run makes both, oldest first; the entries the
    kiosks held arrive after it and are listed late by the 23rd's report. Each file plus
    the late lists counts every entry exactly once, and running the timer's command again
    (or a day by hand) changes no file."""
    db, out = _centre(tmp_path, engine), tmp_path / "reports"
    _arrives(db, "2026-11-20 09:00:00", "2026-11-20 09:00:05", 1)
    _run_at("2026-11-21 06:00:10", libfaketime, db, "report", "daily", "--out-dir", str(out))
    _arrives(db, "2026-11-21 04:00:00", "2026-11-21 04:00:05", 2)
    _run_at("2026-11-23 07:00:30", libfaketime, db, "report", "daily", "--out-dir", str(out))
    assert list(_files(out)) == ["2026-11-20", "2026-11-21", "2026-11-22"]
    for person in range(10, 13):
        _arrives(db, "2026-11-21 10:00:00", "2026-11-23 07:05:00", person)
    _arrives(db, "2026-11-22 10:00:00", "2026-11-23 07:05:00", 20)
    _arrives(db, "2026-11-23 10:00:00", "2026-11-23 10:00:05", 30)
    _run_at("2026-11-24 06:00:10", libfaketime, db, "report", "daily", "--out-dir", str(out))
    files = _files(out)
    assert files["2026-11-23"]["completeness"]["late_entries"] == [
        {"day": "2026-11-21", "entries": 3}, {"day": "2026-11-22", "entries": 1}]
    assert _counted(files) == {"2026-11-20": 1, "2026-11-21": 4, "2026-11-22": 1,
                               "2026-11-23": 1}
    _run_at("2026-11-24 09:00:00", libfaketime, db, "report", "daily", "--out-dir", str(out))
    for day in files:
        _run_at("2026-11-24 09:01:00", libfaketime, db, "report", "daily", "--date", day,
                "--out-dir", str(out))
    assert _files(out) == files


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_day_made_after_a_later_days_report_listed_its_entries_leaves_them_there(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """The 21st has no file (the centre's first report made was the 23rd's, by hand, so
    no run makes the days before it); its entries that arrived on the 23rd are listed late
    by the 23rd's report. Made by hand on the 24th, the 21st's file leaves them out — they
    are in the 23rd's list, which never changes — and counts those its own report would
    have: each entry counted once, also after every count is made again (a zone change)."""
    db, out = _centre(tmp_path, engine), tmp_path / "reports"
    _arrives(db, "2026-11-21 09:00:00", "2026-11-21 09:00:05", 1)
    _arrives(db, "2026-11-21 10:00:00", "2026-11-22 06:30:00", 2)  # late for the 21st
    for person in range(10, 13):
        _arrives(db, "2026-11-21 11:00:00", "2026-11-23 07:05:00", person)
    _run_at("2026-11-24 06:00:10", libfaketime, db, "report", "daily", "--date",
            "2026-11-23", "--out-dir", str(out))
    made_23 = _files(out)["2026-11-23"]
    assert made_23["completeness"]["late_entries"] == [{"day": "2026-11-21", "entries": 3}]
    _run_at("2026-11-24 09:00:00", libfaketime, db, "report", "daily", "--date",
            "2026-11-21", "--out-dir", str(out))
    _run_at("2026-11-24 09:01:00", libfaketime, db, "report", "daily", "--date",
            "2026-11-23", "--out-dir", str(out))
    files = _files(out)
    assert files["2026-11-21"]["summary"]["scans"] == 2
    assert files["2026-11-23"] == made_23
    assert _counted(files)["2026-11-21"] == 5
    with open_storage(db) as storage:
        late = storage._query("SELECT received_on, day, entries FROM late_arrivals")
        assert late == [("2026-11-23", "2026-11-21", 3)]
        storage.set_timezone("Asia/Bangkok")  # the same offset: every count made again
        assert storage._query("SELECT received_on, day, entries FROM late_arrivals") == late


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_day_made_by_a_run_stopped_before_its_files_gets_them_at_the_next_run(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """A catch-up run stopped between a day's making and its files (a reboot, the folder
    full): the 21st's making is recorded, its files are not in the folder. Judged by its
    making alone it was never due again, a day with no file and nothing said. The next run
    writes it — the making's report, made again — beside the day due."""
    db, out, lost = _centre(tmp_path, engine), tmp_path / "reports", tmp_path / "lost"
    _arrives(db, "2026-11-20 09:00:00", "2026-11-20 09:00:05", 1)
    _run_at("2026-11-21 06:00:10", libfaketime, db, "report", "daily", "--out-dir", str(out))
    _arrives(db, "2026-11-21 09:00:00", "2026-11-21 09:00:05", 2)
    _run_at("2026-11-22 06:00:10", libfaketime, db, "report", "daily", "--date",  # made,
            "2026-11-21", "--out-dir", str(lost))  # its files not in the reports folder
    made = _files(lost)["2026-11-21"]
    assert list(_files(out)) == ["2026-11-20"]

    _run_at("2026-11-23 06:00:10", libfaketime, db, "report", "daily", "--out-dir", str(out))

    files = _files(out)
    assert list(files) == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert files["2026-11-21"]["made_at"] == made["made_at"]
    assert _counted(files) == {"2026-11-20": 1, "2026-11-21": 1, "2026-11-22": 0}
