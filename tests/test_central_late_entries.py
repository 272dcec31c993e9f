"""Entries that reach the centre late, as the province office meets them in its report files:
each listed once, after the 06:00 report of its day was made and never also counted in it;
and last month's report made again, the earlier one kept, when some of its entries arrive
after it was written (`kiosk-central report … --out-dir` run by the real command at the
times the 06:00 timer runs it, on a real SQLite centre)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from central_support import (
    CENTRAL,
    CentralServer,
    database_url,
    serving,
    set_schema_version,
    write_lock_held,
)
from openpyxl import load_workbook
from report_support import GenKiosk, World, load, wire_entry
from web_support import add_users, signed_in

from kiosk.central import cli, derivation, people, registry, report_formats, reports
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.localdays import parse_utc
from kiosk.central.registry import Checkpoint
from kiosk.central.schema import REPORT_PACKED_VERSION
from kiosk.central.storage import Storage
from kiosk.sync import protocol

ZONE = "Asia/Ho_Chi_Minh"
KIOSK = GenKiosk("k1", "P1", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)


def _utc(local: str) -> dt.datetime:
    """A local time in the centre's zone (``2026-11-20 23:59:59``) as UTC."""
    return dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(ZONE)).astimezone(dt.UTC)


def _centre(tmp_path: Path, engine: str = "sqlite") -> str:
    """A centre whose registry (P1, kiosk k1) was entered on 1 November: the timer's runs
    below are at times of their own, and a registry changed after a report was made would
    have it made again (:func:`reports.changed_since`)."""
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        load(storage, World(ZONE, [Checkpoint("P1", "Chợ Đồng Xoài", district="Đồng Xoài",
                                              kind="market", set_up_on="2026-11-01")],
                            [KIOSK]))
        storage.set_setting(registry.CHANGED_AT, protocol.format_time(_utc("2026-11-01 08:00")))
    return db


def _arrives(db: str, scanned: str | dt.datetime, received: str | dt.datetime,
             person: int, *, busy_timeout: float = 10.0) -> str:
    """A scan made at local ``scanned`` reaches the centre at local ``received`` (or at
    those UTC times), its upload waiting ``busy_timeout`` seconds at most for a lock
    (refused "storage busy" after); its id."""
    scanned, received = (_utc(t) if isinstance(t, str) else t for t in (scanned, received))
    with open_storage(db, busy_timeout=busy_timeout) as storage:
        (stored,) = storage.ingest_batch(
            KIOSK.id, [wire_entry(KIOSK, "P1", scanned, "in", False, person)],
            sent_at=protocol.format_time(received), received_at=received,
            batch_id=str(uuid.uuid4()))
    return stored["id"]


def _refuse_person(db: str, person: int | None) -> None:
    """Deriving ``person``'s scans fails from now on (a trigger refusing their day's
    subject, on either engine): they are set aside; None: mended."""
    with open_storage(db) as storage, storage._transaction() as tx:
        if person is None:
            storage._execute(tx, "DROP TRIGGER refuse_person" + " ON day_subjects" * (
                storage.postgresql))
        elif storage.postgresql:
            storage._execute(tx, f"CREATE FUNCTION refuse_person() RETURNS trigger AS $$ "
                                 f"BEGIN IF NEW.subject_key = 'doc:00109900{person:04d}' THEN "
                                 f"RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; "
                                 f"END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
            storage._execute(tx, "CREATE TRIGGER refuse_person BEFORE INSERT ON day_subjects "
                                 "FOR EACH ROW EXECUTE FUNCTION refuse_person()")
        else:
            storage._execute(tx, f"CREATE TRIGGER refuse_person BEFORE INSERT ON day_subjects "
                                 f"WHEN NEW.subject_key = 'doc:00109900{person:04d}' "
                                 f"BEGIN SELECT RAISE(ABORT, 'refused'); END")


def _run_at(local: str, libfaketime: Path, db: str, *args: str) -> str:
    """``kiosk-central ARGS`` run at local time ``local`` (the timer's runs); its output."""
    env = {**os.environ, "TZ": "UTC", "LD_PRELOAD": str(libfaketime),
           "FAKETIME": "@" + _utc(local).strftime("%Y-%m-%d %H:%M:%S")}
    result = subprocess.run([*CENTRAL, *args, "--db", db], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_an_entry_is_late_once_its_days_0600_report_was_made_and_listed_once(
        tmp_path: Path, libfaketime: Path) -> None:
    """The 20th's report is made at 06:00 on the 21st. An entry of the 20th received before
    (at 00:00:01, two seconds after it was scanned, or at 05:59) is in it, so it is not
    late; one received at 06:00 or after is listed late in the next report made, the 21st's
    (made at 06:00 on the 22nd), or the 22nd's if it came after that. An official adding
    each late list to the 20th's file, made again or not, counts every entry of the 20th
    once."""
    db = _centre(tmp_path)
    out = tmp_path / "reports"

    def daily(day: str) -> dict:
        next_morning = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
        _run_at(f"{next_morning} 06:00:00", libfaketime, db, "report", "daily",
                "--out-dir", str(out))
        return json.loads((out / f"bao-cao-ngay-{day}.json").read_text())

    _arrives(db, "2026-11-20 23:59:59", "2026-11-21 00:00:01", 1)
    _arrives(db, "2026-11-20 10:00:00", "2026-11-21 05:59:00", 2)
    made_20 = daily("2026-11-20")["summary"]["scans"]
    _arrives(db, "2026-11-20 11:00:00", "2026-11-21 06:00:00", 3)
    _arrives(db, "2026-11-20 12:00:00", "2026-11-22 05:59:59", 4)
    late_21 = daily("2026-11-21")["completeness"]["late_entries"]
    _arrives(db, "2026-11-20 13:00:00", "2026-11-22 06:00:00", 5)
    late_22 = daily("2026-11-22")["completeness"]["late_entries"]
    assert made_20 == 2
    assert late_21 == [{"day": "2026-11-20", "entries": 2}]
    assert late_22 == [{"day": "2026-11-20", "entries": 1}]
    again = daily("2026-11-20")["summary"]["scans"]  # made again: what its making counted
    assert again + late_21[0]["entries"] + late_22[0]["entries"] == 5


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("made", ["2026-11-21 06:00:45", "2026-11-21 09:30:00"])
def test_an_entry_received_before_its_days_report_ran_late_is_in_it_not_late(
        tmp_path: Path, libfaketime: Path, engine: str, made: str) -> None:
    """The timer runs the 20th's report a little after 06:00 (up to a minute's random
    delay) or hours after (catching up after the server was down). An entry of the 20th
    that arrived before it ran is in the 20th's file, so the 21st's late list leaves it
    out; one that arrived after it ran is listed there. Each entry counted once, also when
    the counts are made again from the raw entries (a zone change)."""
    db = _centre(tmp_path, engine)
    out = tmp_path / "reports"
    _arrives(db, "2026-11-20 10:00:00", "2026-11-20 10:00:01", 1)
    _arrives(db, "2026-11-20 23:50:00", "2026-11-21 06:00:20", 2)   # before the run
    _run_at(made, libfaketime, db, "report", "daily", "--out-dir", str(out))
    _arrives(db, "2026-11-20 23:55:00", "2026-11-21 09:40:00", 3)   # after it
    _run_at("2026-11-22 06:00:00", libfaketime, db, "report", "daily", "--out-dir", str(out))
    d20 = json.loads((out / "bao-cao-ngay-2026-11-20.json").read_text())
    d21 = json.loads((out / "bao-cao-ngay-2026-11-21.json").read_text())
    assert d20["summary"]["scans"] == 2
    assert d21["completeness"]["late_entries"] == [{"day": "2026-11-20", "entries": 1}]
    for zone in ("Asia/Bangkok", ZONE):  # recounted from the raw entries, by the same rule
        _run_at("2026-11-22 09:00:00", libfaketime, db, "timezone", zone)
    with open_storage(db) as storage:
        assert storage._query("SELECT received_on, day, entries FROM late_arrivals") == [
            ("2026-11-21", "2026-11-20", 1)]


RACES = {
    # the report has taken its making time and begins to read: a batch received now is
    # stored before it reads the day's counts (counted there, and listed late as received
    # after the making time: twice)
    "received_after_the_making_time_stored_before_the_counts": (reports, "day_counts", 0),
    # a batch received before the making time (between 06:00 and it) is stored after the
    # day's counts were read (not counted there, and taken off the late lists as received
    # before the making time: neither)
    "received_before_the_making_time_stored_after_the_counts": (reports, "day_counts", 1),
    # an earlier day's entry received at 05:59:59 is stored after the report read its late
    # list (listed by the day it was received on, whose report it missed: nowhere)
    "an_earlier_days_entry_stored_after_the_late_list": (people, "per_day", 1),
}


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("race", RACES)
def test_a_batch_stored_while_the_report_reads_is_in_it_or_listed_late_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, race: str) -> None:
    """The 06:00 run of `report daily --out-dir` reads its figures while kiosks upload. A
    batch stored at any moment of its reading is either in the day's file or listed late
    after it, never both nor neither: the report reads every figure in one snapshot, no
    batch stored meanwhile, and one stored after sees the report made (its entries late,
    listed by the next report not made yet). Here the batch is sent at the worst moment of
    each race and waits (up to a second) to be stored."""
    db = _centre(tmp_path, engine)
    out = tmp_path / "reports"
    with open_storage(db) as storage:
        day = storage.today() - dt.timedelta(days=2)  # its report due in the past
        due = storage.calendar.report_time(day + dt.timedelta(days=1))
        start = storage.calendar.start(day)
    _arrives(db, start + dt.timedelta(hours=10), start + dt.timedelta(hours=10, seconds=1), 1)
    module, name, after = RACES[race]
    earlier = race.startswith("an_earlier")
    scanned = start + dt.timedelta(hours=-4 if earlier else 20)  # 20:00 the day before or on it
    received: dt.datetime | None = None  # when sent
    if earlier:
        received = due - dt.timedelta(seconds=1)
    elif after:
        received = due + dt.timedelta(minutes=1)
    real = getattr(module, name)
    sent: list[threading.Thread] = []

    def reads(*args: object, **kwargs: object) -> object:
        if sent:
            return real(*args, **kwargs)
        answer = real(*args, **kwargs) if after else None
        sent.append(threading.Thread(target=_arrives, args=(
            db, scanned, received or dt.datetime.now(dt.UTC), 2)))
        sent[0].start()
        sent[0].join(timeout=1.0)  # stored at once, unless the report holds it back
        return answer if after else real(*args, **kwargs)

    monkeypatch.setattr(module, name, reads)
    assert cli.main(["report", "daily", "--date", day.isoformat(), "--out-dir", str(out),
                     "--format", "json", "--db", db]) == 0
    sent[0].join()
    filed = json.loads((out / f"bao-cao-ngay-{day}.json").read_text())
    of_day = (day - dt.timedelta(days=1) if earlier else day).isoformat()
    in_file = (sum(row["entries"] for row in filed["completeness"]["late_entries"]
                   if row["day"] == of_day) if earlier else filed["summary"]["scans"])
    with open_storage(db) as storage:
        (listed_after,), = storage._query(
            "SELECT CAST(coalesce(sum(entries), 0) AS BIGINT) FROM late_arrivals WHERE day = $1 "
            "AND received_on > $2", (of_day, day.isoformat()))
    assert in_file + listed_after == (1 if earlier else 2)
    assert listed_after == 1  # stored after the report was made: late


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_an_upload_while_the_0600_report_is_computed_is_stored_at_once_and_listed_late(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    """On a province the 06:00 making computes for half a minute while every kiosk
    uploads. Only its recording (its snapshot and the batches it saw) waits for the
    batches being stored; its figures are computed after, in that snapshot, so an upload
    meanwhile is stored at once — here with a wait for locks of a second, which it ran out
    of before (every kiosk was answered "storage busy" at 06:00) — and, stored after the
    making, is listed late, not counted in the day's file. The making is held at its
    reading of the day's counts until the upload is answered."""
    db = _centre(tmp_path, engine)
    with open_storage(db) as storage:
        day = storage.today() - dt.timedelta(days=2)  # its report due in the past
        start = storage.calendar.start(day)
    _arrives(db, start + dt.timedelta(hours=10), start + dt.timedelta(hours=10, seconds=1), 1)
    computing, answered = threading.Event(), threading.Event()
    real = reports.day_counts

    def held(*args: Any, **kwargs: Any) -> Any:
        computing.set()
        answered.wait(timeout=120)
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "day_counts", held)
    made: list[dict[str, Any]] = []
    with open_storage(db) as storage:
        making = threading.Thread(target=lambda: made.append(reports.made_daily(storage, day)))
        making.start()
        try:
            assert computing.wait(timeout=120)
            _arrives(db, start + dt.timedelta(hours=20), dt.datetime.now(dt.UTC), 2,
                     busy_timeout=1.0)
        finally:
            answered.set()
            making.join()
        (listed_late,), = storage._query(
            "SELECT CAST(coalesce(sum(entries), 0) AS BIGINT) FROM late_arrivals WHERE day = $1 "
            "AND received_on > $1", (day.isoformat(),))
        assert made[0]["summary"]["scans"] == 1
        assert listed_late == 1
        assert reports.made_report(storage, day) == made[0]  # the making kept what it made


def test_a_days_file_made_again_by_a_retry_is_its_making(
        tmp_path: Path, libfaketime: Path) -> None:
    """The 20th's file was made by hand before its 06:00 (at 05:00 on the 21st: not the
    report, its making not recorded), one of its entries set aside (a derivation error);
    the timer's run did not come. Mended at 09:00, ``derivation --retry --out-dir`` makes
    the file again, counting the entry received at 08:00 too: that making is recorded as
    the 06:00 run's is, so the 21st's late list does not list that entry again."""
    db = _centre(tmp_path)
    out = tmp_path / "reports"
    _arrives(db, "2026-11-20 10:00:00", "2026-11-20 10:00:01", 1)
    refused = _arrives(db, "2026-11-20 11:00:00", "2026-11-20 11:00:01", 2)
    with open_storage(db) as storage, storage._transaction() as tx:
        storage._execute(tx, f"CREATE TRIGGER refuse_person BEFORE INSERT ON day_subjects "
                             f"WHEN NEW.subject_key = (SELECT subject_key FROM entries WHERE "
                             f"id = '{refused}') BEGIN SELECT RAISE(ABORT, 'refused'); END")
    _run_at("2026-11-21 05:00:00", libfaketime, db, "report", "daily", "--date",
            "2026-11-20", "--out-dir", str(out), "--format", "json")
    _arrives(db, "2026-11-20 12:00:00", "2026-11-21 08:00:00", 3)
    with open_storage(db) as storage, storage._transaction() as tx:
        storage._execute(tx, "DROP TRIGGER refuse_person")
    _run_at("2026-11-21 09:00:00", libfaketime, db, "derivation", "--retry", "--out-dir",
            str(out))
    _run_at("2026-11-22 06:00:00", libfaketime, db, "report", "daily", "--out-dir", str(out),
            "--format", "json")
    d20 = json.loads((out / "bao-cao-ngay-2026-11-20.json").read_text())
    d21 = json.loads((out / "bao-cao-ngay-2026-11-21.json").read_text())
    assert (d20["summary"]["scans"], d20["summary"]["people"]) == (3, 3)
    assert d21["completeness"]["late_entries"] == []


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_days_file_made_again_after_its_making_counts_what_the_making_counted(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """The timer makes the 20th's file at 06:00 on the 21st; an entry of the 20th arrives
    at 08:00, late, listed by the 21st's report. Made again at 09:00 (a rerun of `report
    daily --out-dir`), the 20th's file counts the entries its making counted, as then: the
    late one is in the 21st's list only, so adding the lists to the file counts it once."""
    db = _centre(tmp_path, engine)
    out = tmp_path / "reports"
    _arrives(db, "2026-11-20 10:00:00", "2026-11-20 10:00:01", 1)
    daily = ("report", "daily", "--out-dir", str(out), "--format", "json")
    _run_at("2026-11-21 06:00:00", libfaketime, db, *daily)
    made = json.loads((out / "bao-cao-ngay-2026-11-20.json").read_text())
    _arrives(db, "2026-11-20 12:00:00", "2026-11-21 08:00:00", 2)
    _run_at("2026-11-21 09:00:00", libfaketime, db, *daily, "--date", "2026-11-20")
    _run_at("2026-11-22 06:00:00", libfaketime, db, *daily)
    d20 = json.loads((out / "bao-cao-ngay-2026-11-20.json").read_text())
    d21 = json.loads((out / "bao-cao-ngay-2026-11-21.json").read_text())
    assert d20["made_at"] == made["made_at"] and d20["summary"]["scans"] == 1
    assert d20["by_hour"] == made["by_hour"] and d20["by_point"] == made["by_point"]
    assert d21["completeness"]["late_entries"] == [{"day": "2026-11-20", "entries": 1}]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_days_file_made_again_is_its_making_activity_and_kiosks_as_they_were(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """At 06:00 on the 21st the 20th's file says P1 has not scanned for 7 days and its
    kiosk is silent: its kiosk was offline. It comes back at 10:00 with a scan of the 20th,
    late (the 21st's report lists it). Made again at 11:00, the 20th's file is the one
    made at 06:00, every figure and list: not P1 active in 7 days, nor its kiosk heard
    from — what an official forwarded at 06:00 does not change under them."""
    db = _centre(tmp_path, engine)
    out = tmp_path / "reports"
    daily = ("report", "daily", "--out-dir", str(out), "--format", "json")
    _run_at("2026-11-21 06:00:10", libfaketime, db, *daily)
    made = json.loads((out / "bao-cao-ngay-2026-11-20.json").read_text())
    assert made["summary"]["points_active_7d"] == 0
    assert {p["problem"] for p in made["not_scanning"]} == {"no_scan_7_days",
                                                             "kiosk_silent_24h"}
    _arrives(db, "2026-11-20 15:00:00", "2026-11-21 10:00:00", 1)
    _run_at("2026-11-21 11:00:00", libfaketime, db, *daily, "--date", "2026-11-20")
    assert json.loads((out / "bao-cao-ngay-2026-11-20.json").read_text()) == made


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_dashboards_report_of_a_day_made_is_its_0600_file(
        tmp_path: Path, engine: str) -> None:
    """The day before yesterday's report was made; an entry of that day arrives after,
    late, listed by the next report. The Reports page's JSON and its CSV download of the
    day are the file the making wrote: the late entry is not also counted there."""
    db = _centre(tmp_path, engine)
    add_users(db, {"viewer1": ("viewer", None)})
    with open_storage(db) as storage:
        day = storage.today() - dt.timedelta(days=2)  # its report due in the past
        start = storage.calendar.start(day)
    _arrives(db, start + dt.timedelta(hours=10), start + dt.timedelta(hours=10, seconds=1), 1)
    with open_storage(db) as storage:
        made = reports.made_daily(storage, day)
    _arrives(db, start + dt.timedelta(hours=12), dt.datetime.now(dt.UTC), 2)
    with open_storage(db) as storage, serving(create_app(storage)) as url, \
            signed_in(url, "viewer1") as client:
        shown = client.get(f"/api/v1/reports/daily?date={day}").json()
        csv = client.get(f"/reports/download?format=csv&date={day}").content
    assert made["summary"]["scans"] == 1
    assert shown == json.loads(json.dumps(made))
    assert csv == report_formats.render(made, "csv")


def _last_due_months_end(storage: Storage) -> dt.date:
    """The last day of the last month whose report is due: last month's from 06:00 on the
    1st, before then the month before's (one not due yet is built at each view, not kept)."""
    day = dt.date.fromisoformat(storage.calendar.report_day_of(dt.datetime.now(dt.UTC)))
    return day.replace(day=1) - dt.timedelta(days=1)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_last_months_report_on_the_dashboard_is_built_once_and_again_when_an_entry_arrives(
        tmp_path: Path, engine: str) -> None:
    """Last month's report (the Reports page, its downloads, its JSON) was built again at
    every view: 8–11 s each on a province. Once it was due (06:00 on the 1st), it is built
    once and kept: a second view is the same build, as a fresh build of that moment makes
    it. An entry of the month arriving late makes it stale: the next view is built again
    and counts it, in the month's figures and its late list."""
    db = _centre(tmp_path, engine)
    add_users(db, {"viewer1": ("viewer", None)})
    with open_storage(db) as storage:
        last_day = _last_due_months_end(storage)
        start = storage.calendar.start(last_day)
    month = last_day.strftime("%Y-%m")
    path = f"/api/v1/reports/monthly?month={month}"
    _arrives(db, start + dt.timedelta(hours=10), start + dt.timedelta(hours=10, seconds=1), 1)
    with open_storage(db) as storage, serving(create_app(storage)) as url, \
            signed_in(url, "viewer1") as client:
        first, again = client.get(path).json(), client.get(path).json()
        fresh = reports.monthly(storage, month, now=parse_utc(first["made_at"]))
        _arrives(db, start + dt.timedelta(hours=12), dt.datetime.now(dt.UTC), 2)
        after = client.get(path).json()
        fresh_after = reports.monthly(storage, month, now=parse_utc(after["made_at"]))
    assert again == first  # kept: the same build, made_at too
    assert first == json.loads(json.dumps(fresh))
    assert (first["summary"]["scans"], after["summary"]["scans"]) == (1, 2)
    assert after["summary"]["late_entries"] == 1
    assert after == json.loads(json.dumps(fresh_after))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_last_months_kept_report_counts_a_person_once_their_scan_set_aside_is_retried(
        tmp_path: Path, engine: str) -> None:
    """Last month's only scan could not be derived (set aside) when its report was first
    viewed and kept: 1 scan, no person on its day, 1 entry set aside. Retried, its person
    is counted: the next view is built again, as a fresh build makes it — the kept one is
    not shown with a person short."""
    db = _centre(tmp_path, engine)
    add_users(db, {"viewer1": ("viewer", None)})
    with open_storage(db) as storage:
        last_day = _last_due_months_end(storage)
        start = storage.calendar.start(last_day)
    path = f"/api/v1/reports/monthly?month={last_day:%Y-%m}"
    _refuse_person(db, 1)
    _arrives(db, start + dt.timedelta(hours=10), start + dt.timedelta(hours=10, seconds=1), 1)
    with open_storage(db) as storage, serving(create_app(storage)) as url, \
            signed_in(url, "viewer1") as client:
        derivation.catch_up(storage)
        before = client.get(path).json()
        _refuse_person(db, None)
        derivation.retry(storage)
        after = client.get(path).json()
        fresh = reports.monthly(storage, f"{last_day:%Y-%m}", now=parse_utc(after["made_at"]))
    def scans_and_people(report: dict[str, Any]) -> tuple[int, int]:
        return report["summary"]["scans"], sum(row["people"] for row in report["by_day"])

    assert scans_and_people(before) == (1, 0)
    assert before["not_derived"] == {"pending_entries": 0, "set_aside_entries": 1}
    assert scans_and_people(after) == (1, 1)
    assert after == json.loads(json.dumps(fresh))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_kept_report_is_stored_compressed_and_a_v46_centres_are_compressed_on_upgrade(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """The 20th's and the 21st's reports are made at 06:00; each is kept as the making made
    it, and kept for good: as JSON text it took ~370 KB a day at 2,000 points on SQLite.
    Kept now in a third of its text or less (a twentieth on a province: docs/benchmarks.md);
    a centre left at v46, its reports kept as text, has them compressed when it upgrades.
    Either way the Reports page's JSON and the day's file made again are the report made
    at 06:00."""
    db = _centre(tmp_path, engine)
    add_users(db, {"viewer1": ("viewer", None)})
    out = tmp_path / "reports"
    daily = ("report", "daily", "--out-dir", str(out), "--format", "json")
    _arrives(db, "2026-11-20 10:00:00", "2026-11-20 10:00:01", 1)
    _run_at("2026-11-21 06:00:10", libfaketime, db, *daily)
    _arrives(db, "2026-11-21 10:00:00", "2026-11-21 10:00:01", 2)
    _run_at("2026-11-22 06:00:10", libfaketime, db, *daily)
    made = {d: (out / f"bao-cao-ngay-{d}.json").read_text() for d in ("2026-11-20", "2026-11-21")}
    as_text = {d: len(json.dumps(json.loads(text), ensure_ascii=False).encode())
               for d, text in made.items()}  # as v46 kept it

    def kept(storage: Storage, tx: Any) -> dict[str, int]:
        return dict(storage._execute(tx, (
            "SELECT day, octet_length(report) FROM daily_reports" if storage.postgresql
            else "SELECT day, length(CAST(report AS BLOB)) FROM daily_reports")).fetchall())

    def shown() -> dict[str, dict]:
        with open_storage(db) as storage, serving(create_app(storage)) as url, \
                signed_in(url, "viewer1") as client:
            return {d: client.get(f"/api/v1/reports/daily?date={d}").json() for d in made}

    assert shown() == {d: json.loads(text) for d, text in made.items()}
    with open_storage(db) as storage, storage._transaction() as tx:
        compressed = kept(storage, tx)
        set_schema_version(storage, tx, REPORT_PACKED_VERSION - 1)  # v46's: JSON text
        assert kept(storage, tx) == as_text
    assert all(compressed[d] * 3 <= as_text[d] for d in made), (compressed, as_text)
    with open_storage(db) as storage, storage._transaction() as tx:  # upgraded
        assert kept(storage, tx) == compressed
    assert shown() == {d: json.loads(text) for d, text in made.items()}
    _run_at("2026-11-22 11:00:00", libfaketime, db, *daily, "--date", "2026-11-20")
    assert (out / "bao-cao-ngay-2026-11-20.json").read_text() == made["2026-11-20"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_days_file_made_again_by_a_retry_after_its_making_counts_a_late_entry_once(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """The timer makes the 20th's file at 06:00 on the 21st, one of its two people's scans
    set aside (a derivation error). A third person's scan of the 20th arrives at 08:00,
    late. Mended at 09:00, ``derivation --retry --out-dir`` makes the file again with the
    person it set aside, among the scans its making counted: 2 scans, 2 people — the late
    scan and its person are the 21st's list's, not also the 20th's file's, which never
    counts more people than scans. The Reports page's JSON of the 20th is that file."""
    db = _centre(tmp_path, engine)
    add_users(db, {"viewer1": ("viewer", None)})
    out = tmp_path / "reports"
    _arrives(db, "2026-11-20 10:00:00", "2026-11-20 10:00:01", 1)
    _refuse_person(db, 2)
    _arrives(db, "2026-11-20 11:00:00", "2026-11-20 11:00:01", 2)
    _run_at("2026-11-21 06:00:00", libfaketime, db, "report", "daily", "--out-dir", str(out),
            "--format", "json")
    made = json.loads((out / "bao-cao-ngay-2026-11-20.json").read_text())
    assert (made["summary"]["people"], made["not_derived"]["set_aside_entries"]) == (1, 1)
    _arrives(db, "2026-11-20 12:00:00", "2026-11-21 08:00:00", 3)
    _refuse_person(db, None)
    _run_at("2026-11-21 09:00:00", libfaketime, db, "derivation", "--retry", "--out-dir",
            str(out))
    _run_at("2026-11-22 06:00:00", libfaketime, db, "report", "daily", "--out-dir", str(out),
            "--format", "json")
    d20 = json.loads((out / "bao-cao-ngay-2026-11-20.json").read_text())
    d21 = json.loads((out / "bao-cao-ngay-2026-11-21.json").read_text())
    assert (d20["summary"]["scans"], d20["summary"]["people"]) == (2, 2)
    assert d20["not_derived"] == {"pending_entries": 0, "set_aside_entries": 0}
    assert d21["completeness"]["late_entries"] == [{"day": "2026-11-20", "entries": 1}]
    with open_storage(db) as storage, serving(create_app(storage)) as url, \
            signed_in(url, "viewer1") as client:
        assert client.get("/api/v1/reports/daily?date=2026-11-20").json() == d20


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_made_days_people_are_those_of_its_scans_not_of_a_late_one(
        tmp_path: Path, engine: str) -> None:
    """The report of the day before yesterday was made with its one scan set aside (a
    derivation error): 1 scan, nobody, 1 entry not derived. Someone else's scan of that
    day arrives after, late (the next report lists it), and is derived. The Reports page
    still counts nobody that day, whenever it is viewed: the late scan's person is not
    this report's. Once the scan set aside is retried, its one person, as the day's file
    made again says."""
    db = _centre(tmp_path, engine)
    add_users(db, {"viewer1": ("viewer", None)})
    with open_storage(db) as storage:
        day = storage.today() - dt.timedelta(days=2)
        start = storage.calendar.start(day)
    _refuse_person(db, 1)
    _arrives(db, start + dt.timedelta(hours=10), start + dt.timedelta(hours=10, seconds=1), 1)
    with open_storage(db) as storage:
        made = reports.made_daily(storage, day)
    _refuse_person(db, None)
    _arrives(db, start + dt.timedelta(hours=12), dt.datetime.now(dt.UTC), 2)
    api = f"/api/v1/reports/daily?date={day}"
    with open_storage(db) as storage, serving(create_app(storage)) as url, \
            signed_in(url, "viewer1") as client:
        derivation.catch_up(storage)
        before = client.get(api).json()
        derivation.retry(storage)
        after = client.get(api).json()
        again = reports.made_daily(storage, day)
    assert (made["summary"]["scans"], made["summary"]["people"]) == (1, 0)
    assert before == json.loads(json.dumps(made))
    assert (after["summary"]["scans"], after["summary"]["people"]) == (1, 1)
    assert after["not_derived"] == {"pending_entries": 0, "set_aside_entries": 0}
    assert after == json.loads(json.dumps(again))


def _made_before_reports_were_kept(tmp_path: Path, engine: str) -> tuple[str, dt.date]:
    """A centre at schema v45, which kept no report of a making: the day before
    yesterday's report made (1 scan), then a scan of that day arriving late. Opened next,
    it is migrated to this version (the making's ``report`` NULL)."""
    db = _centre(tmp_path, engine)
    add_users(db, {"viewer1": ("viewer", None)})
    with open_storage(db) as storage:
        day = storage.today() - dt.timedelta(days=2)
        start = storage.calendar.start(day)
    _arrives(db, start + dt.timedelta(hours=10), start + dt.timedelta(hours=10, seconds=1), 1)
    with open_storage(db) as storage:
        reports.made_daily(storage, day)
        with storage._transaction() as tx:
            set_schema_version(storage, tx, 45)
    _arrives(db, start + dt.timedelta(hours=12), dt.datetime.now(dt.UTC), 2)
    return db, day


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_day_made_before_reports_were_kept_is_shown_as_its_file_made_again(
        tmp_path: Path, engine: str) -> None:
    """A day made by a centre from before schema v46, a scan of it arriving late: its page
    (JSON and CSV) is its file made again, the scan its making counted and its person
    only; the late scan is the next report's late list's — counted once."""
    db, day = _made_before_reports_were_kept(tmp_path, engine)
    with open_storage(db) as storage:
        assert storage._query("SELECT report FROM daily_reports") == [(None,)]
        file = reports.made_daily(storage, day)
        # the next report made: before 06:00, the day before today's
        next_report = dt.date.fromisoformat(storage.calendar.report_day_of(dt.datetime.now(dt.UTC)))
        listed = reports.daily(storage, next_report)["completeness"]["late_entries"]
    with open_storage(db) as storage, serving(create_app(storage)) as url, \
            signed_in(url, "viewer1") as client:
        shown = client.get(f"/api/v1/reports/daily?date={day}").json()
        csv = client.get(f"/reports/download?format=csv&date={day}").content
    assert (file["summary"]["scans"], file["summary"]["people"]) == (1, 1)
    assert shown == json.loads(json.dumps(file))
    assert csv == report_formats.render(file, "csv")
    assert listed == [{"day": day.isoformat(), "entries": 1}]


@contextlib.contextmanager
def _making_held(db: str) -> Iterator[None]:
    """Another connection holds the lock a daily report's making takes (SQLite's write
    lock; PostgreSQL's on ``daily_reports``), as a making under way does."""
    if db.startswith("sqlite:///"):
        with write_lock_held(db):
            yield
        return
    with psycopg.connect(db) as conn:
        conn.execute("LOCK TABLE daily_reports IN EXCLUSIVE MODE")
        yield
        conn.rollback()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_page_of_a_day_made_before_reports_were_kept_waits_for_no_making(
        tmp_path: Path, engine: str) -> None:
    """Viewed while a report is being made, a day made before schema v46 is shown at once
    as its file: counted in a read snapshot, not under the making's lock, which every
    kiosk's upload waits for too."""
    db, day = _made_before_reports_were_kept(tmp_path, engine)
    with open_storage(db) as storage:
        file = reports.made_daily(storage, day)
    with open_storage(db) as storage, serving(create_app(storage)) as url, \
            signed_in(url, "viewer1") as client, _making_held(db):
        shown = client.get(f"/api/v1/reports/daily?date={day}", timeout=10)
    assert shown.status_code == 200 and shown.json() == json.loads(json.dumps(file))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_after_a_zone_change_an_entry_that_arrived_after_its_days_report_stays_late(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """The 20th's report is made at 06:00 on the 21st (Asia/Ho_Chi_Minh: 23:00 UTC on the
    20th). An entry of the 20th (noon) arrives at 06:20, after it: late, listed by the
    21st's report. The centre's zone is then set to Asia/Yangon, half an hour behind,
    where the entry is still of the 20th but arrived at 05:50, before that zone's 06:00: it
    is in no file of the 20th all the same, so recounted it stays late — a report of the
    20th was made before it arrived, as a batch stored now is judged."""
    db = _centre(tmp_path, engine)
    out = tmp_path / "reports"
    _arrives(db, "2026-11-20 10:00:00", "2026-11-20 10:00:01", 1)
    _run_at("2026-11-21 06:00:00", libfaketime, db, "report", "daily", "--out-dir", str(out),
            "--format", "json")
    _arrives(db, "2026-11-20 12:00:00", "2026-11-21 06:20:00", 2)
    _run_at("2026-11-21 09:00:00", libfaketime, db, "timezone", "Asia/Yangon")
    with open_storage(db) as storage:
        assert storage._query("SELECT received_on, day, entries FROM late_arrivals") == [
            ("2026-11-21", "2026-11-20", 1)]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_after_a_zone_change_a_batch_that_waited_for_the_making_stays_late(
        tmp_path: Path, engine: str) -> None:
    """A batch takes its receive time as it reaches the centre, then waits while a report
    is being made: received a second before the making time, it is stored after it, in no
    file of its day, and listed late by the next report. The centre's zone is then set to
    Asia/Bangkok (the same offset: no entry changes day) and every count recounted: the
    entry stays late, a recount going by the batches the making saw, not by receive time."""
    db = _centre(tmp_path, engine)
    with open_storage(db) as storage:
        day = storage.today() - dt.timedelta(days=2)  # its report due in the past
        start = storage.calendar.start(day)
    _arrives(db, start + dt.timedelta(hours=10), start + dt.timedelta(hours=10, seconds=1), 1)
    with open_storage(db) as storage:
        made = reports.made_daily(storage, day)
    _arrives(db, start + dt.timedelta(hours=12),
             parse_utc(made["made_at"]) - dt.timedelta(seconds=1), 2)
    with open_storage(db) as storage:
        assert made["summary"]["scans"] == 1
        late = storage._query("SELECT received_on, day, entries FROM late_arrivals")
        ((listed_on, of_day, entries),) = late
        assert (of_day, entries) == (day.isoformat(), 1) and listed_on > of_day
        storage.set_timezone("Asia/Bangkok")
        assert storage._query("SELECT received_on, day, entries FROM late_arrivals") == late


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_batch_after_the_batch_log_is_past_retention_is_numbered_after_the_making(
        tmp_path: Path, engine: str) -> None:
    """A quiet centre: its one batch arrived 40 days ago when the report of the day before
    yesterday is made. A 30-day purge takes that batch's entries but keeps its log record,
    the latest, so that SQLite numbers the next batch after it: one of the reported day
    arriving now is numbered after every batch the making saw, and stays late when a zone
    change recounts it (numbered 1 again, it was taken for one the report had counted)."""
    db = _centre(tmp_path, engine)
    now = dt.datetime.now(dt.UTC)
    _arrives(db, now - dt.timedelta(days=40, hours=1), now - dt.timedelta(days=40), 1)
    with open_storage(db) as storage:
        day = storage.today() - dt.timedelta(days=2)
        reports.made_daily(storage, day)
        cutoff = now.date() - dt.timedelta(days=30)
        assert (storage.purge_entries(cutoff), storage.purge_batches(cutoff)) == (1, 0)
        start = storage.calendar.start(day)
    _arrives(db, start + dt.timedelta(hours=12), dt.datetime.now(dt.UTC), 2)
    with open_storage(db) as storage:
        storage.set_timezone("Asia/Bangkok")
        ((listed_on, of_day, entries),) = storage._query(
            "SELECT received_on, day, entries FROM late_arrivals")
    assert (of_day, entries) == (day.isoformat(), 1) and listed_on > of_day


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_database_from_before_counts_its_late_entries_again_by_the_new_rule(
        tmp_path: Path, engine: str) -> None:
    """Opened by this version, a v37 database has the late entries of the days whose raw
    entries it holds counted again (an entry received at 00:05 is no longer late), with the
    time the latest arrived; a day purged before keeps its row as counted then."""
    db = _centre(tmp_path, engine)
    _arrives(db, "2026-11-20 23:00:00", "2026-11-21 00:05:00", 1)
    _arrives(db, "2026-11-20 22:00:00", "2026-11-21 09:00:00", 2)
    with open_storage(db) as storage, storage._transaction() as tx:
        storage._execute(tx, "DELETE FROM late_arrivals")
        set_schema_version(storage, tx, 37)
        for row in (("2026-11-21", "2026-11-20", "P1", 2),  # as v37 counted them
                    ("2026-10-02", "2026-10-01", "P1", 3)):  # a day purged since
            storage._execute(tx, "INSERT INTO late_arrivals VALUES ($1, $2, $3, $4)", row)
    with open_storage(db) as storage:
        assert sorted(storage._query("SELECT * FROM late_arrivals")) == [
            ("2026-10-02", "2026-10-01", "P1", 3, None),
            ("2026-11-21", "2026-11-20", "P1", 1,
             protocol.format_time(_utc("2026-11-21 09:00:00")))]


def test_last_months_report_is_made_again_when_its_entries_arrive_late_the_first_kept(
        tmp_path: Path, libfaketime: Path) -> None:
    """November's report, written at 06:00 on 1 December, counts 2 scans. A kiosk's backlog
    with a scan of 30 November, 23:00, is imported on 4 December: the next daily run of
    ``report monthly --if-due`` (5 December, 06:00) makes November's report again — 3
    scans, the late one listed by the daily report that listed it, when it was made and
    which report it replaces — and keeps the first, which an official may have forwarded,
    under a name saying when it was made. With nothing new it is left as it is."""
    db = _centre(tmp_path)
    out = tmp_path / "reports"
    _arrives(db, "2026-11-10 08:00:00", "2026-11-10 08:01:00", 1)
    _arrives(db, "2026-11-30 21:00:00", "2026-11-30 21:01:00", 2)
    monthly = ("report", "monthly", "--if-due", "--out-dir", str(out))
    _run_at("2026-12-01 06:00:00", libfaketime, db, *monthly)
    first = json.loads((out / "bao-cao-thang-2026-11.json").read_text())
    assert first["summary"]["scans"] == 2 and first["late_entries"] == []
    held = _run_at("2026-12-02 06:00:00", libfaketime, db, *monthly)
    assert "lập lúc 2026-12-01 06:00:0" in held and "not made again" in held

    _arrives(db, "2026-11-30 23:00:00", "2026-12-04 09:00:00", 3)  # from a USB stick
    remade = _run_at("2026-12-05 06:00:00", libfaketime, db, *monthly)
    assert "made at 2026-12-01 06:00:0" in remade and "may lack entries" in remade
    report = json.loads((out / "bao-cao-thang-2026-11.json").read_text())
    assert report["summary"]["scans"] == 3 and report["summary"]["late_entries"] == 1
    assert report["late_entries"] == [{"received_on": "2026-12-04", "day": "2026-11-30",
                                       "entries": 1}]
    assert report["replaces"] == first["made_at"]
    assert report["made_at"].startswith("2026-12-04T23:00:")  # 5 December, 06:00 local
    kept = sorted(p.name for p in out.iterdir() if "-lap-luc-" in p.name)
    stamp = protocol.parse_time(first["made_at"]).astimezone(ZoneInfo(ZONE))
    assert kept == [f"bao-cao-thang-2026-11-lap-luc-{stamp:%Y%m%d-%H%M%S}.{f}"
                    for f in ("csv", "json", "xlsx")] and stamp.hour == 6 and stamp.minute == 0
    assert json.loads((out / kept[1]).read_text()) == first
    book = load_workbook(out / "bao-cao-thang-2026-11.xlsx")
    summary = {row[0]: row[1] for row in book["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Bản ghi đến muộn"] == 1
    assert summary["Số liệu tính đến"].strftime("%Y-%m-%d %H:%M") == "2026-12-05 06:00"
    assert summary["Thay cho báo cáo lập lúc"].strftime("%Y-%m-%d %H:%M") == "2026-12-01 06:00"
    late = list(book["Bản ghi đến muộn"].iter_rows(values_only=True))
    assert late == [("Báo cáo ngày liệt kê", "Ngày", "Số bản ghi"),
                    (dt.datetime(2026, 12, 4), dt.datetime(2026, 11, 30), 1)]

    again = _run_at("2026-12-06 06:00:00", libfaketime, db, *monthly)
    assert "not made again" in again
    assert json.loads((out / "bao-cao-thang-2026-11.json").read_text()) == report


TOKEN = "k1-token-" + "x" * 30


@contextlib.contextmanager
def _served_at(local: str, libfaketime: Path, db: str, tmp: Path
               ) -> Iterator[tuple[str, httpx.Client, Callable[[], dt.datetime]]]:
    """``kiosk-central serve`` started at local time ``local``, its clock running on from
    there: its URL, a viewer signed in, and the server's time now. Kiosk k1 uploads with
    :data:`TOKEN`."""
    with open_storage(db) as storage, storage._transaction() as tx:
        storage._execute(tx, "UPDATE kiosks SET token_hash = $1 WHERE id = 'k1'",
                         (protocol.token_hash(TOKEN),))
    add_users(db, {"viewer1": ("viewer", None)})
    started, monotonic = _utc(local), time.monotonic()
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"TZ": "UTC", "LD_PRELOAD": str(libfaketime),
                            "FAKETIME": "@" + started.strftime("%Y-%m-%d %H:%M:%S")}.items():
            env.setenv(name, value)
        server = CentralServer(db)
    try:
        with signed_in(server.url, "viewer1") as client:
            yield server.url, client, lambda: started + dt.timedelta(
                seconds=time.monotonic() - monotonic)
    finally:
        server.stop()


def _month_refused(report: dict[str, Any]) -> tuple[int, int]:
    """A monthly report's refusals: the month's and its 31 December's."""
    return report["summary"]["refused"], next(
        row["refused"] for row in report["by_day"] if row["day"] == "2026-12-31")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_refusals_of_a_months_last_evening_reported_after_it_was_due_are_in_its_report(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """Kiosk k1 went offline on 31 December at 20:00 and came back at 06:50 on 1 January,
    after December's report was due (06:00) and written; its heartbeat reports 120 scans
    refused from 20:00 to midnight. They are December's: the dashboard's kept copy is built
    again and counts them, and the next morning's ``report monthly --if-due`` makes the
    file again, naming the one it replaces (before, both kept 0 refused while
    ``report monthly --month 2026-12`` by hand said 120)."""
    db = _centre(tmp_path, engine)
    out = tmp_path / "reports"
    monthly = ("report", "monthly", "--if-due", "--out-dir", str(out), "--format", "json")
    _arrives(db, "2026-12-31 19:00:00", "2026-12-31 19:00:05", 1)
    _run_at("2027-01-01 06:00:30", libfaketime, db, *monthly)
    first = json.loads((out / "bao-cao-thang-2026-12.json").read_text())
    with _served_at("2027-01-01 06:50:00", libfaketime, db, tmp_path) as (url, viewer, now):
        path = "/api/v1/reports/monthly?month=2026-12"
        before = viewer.get(path).json()
        evening = {f"2026-12-31T{hour}": 30 for hour in range(13, 17)}  # 20:00-23:59 local
        answer = httpx.post(url + protocol.HEARTBEAT_PATH, headers=protocol.bearer(TOKEN),
                            json={"protocol": 1, "kiosk_id": "k1",
                                  "sent_at": protocol.format_time(now()),
                                  "health": {"software_version": "0.1.0", "pending": 0,
                                             "oldest_pending_seconds": None, "rejected": 0,
                                             "devices": [], "free_disk_bytes": 10**10,
                                             "refused_by_hour": evening}}, timeout=30)
        assert answer.status_code in (200, 204), answer.text
        after = viewer.get(path).json()
    with open_storage(db) as storage:
        fresh = reports.monthly(storage, "2026-12", now=parse_utc(after["made_at"]))
    assert _month_refused(first) == _month_refused(before) == (0, 0)
    assert _month_refused(after) == (120, 120)
    assert after == json.loads(json.dumps(fresh))
    remade = _run_at("2027-01-02 06:00:30", libfaketime, db, *monthly)
    assert "made at 2027-01-01 06:00:3" in remade and "made again" in remade
    report = json.loads((out / "bao-cao-thang-2026-12.json").read_text())
    assert _month_refused(report) == (120, 120) and report["replaces"] == first["made_at"]
    assert "not made again" in _run_at("2027-01-03 06:00:30", libfaketime, db, *monthly)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_registry_correction_after_a_months_report_was_due_is_in_its_report(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """November's report is written at 06:00 on 1 December and viewed on the dashboard
    (kept): 1 point set up, scanning. At 07:00 the province registers P9, set up since
    3 November in Huyện B but entered late: docs/central.md says a correction applies to
    past reports, so the dashboard's copy is built again (2 points set up, 1 scanning,
    Huyện B's row) and the next morning's ``report monthly --if-due`` makes the file again
    (before, both kept 1 point while ``report monthly`` by hand said 2)."""
    db = _centre(tmp_path, engine)
    out = tmp_path / "reports"
    monthly = ("report", "monthly", "--if-due", "--out-dir", str(out), "--format", "json")
    _arrives(db, "2026-11-20 10:00:00", "2026-11-20 10:00:05", 1)
    _run_at("2026-12-01 06:00:30", libfaketime, db, *monthly)
    first = json.loads((out / "bao-cao-thang-2026-11.json").read_text())

    def set_up(report: dict[str, Any]) -> tuple[int, int, list[str]]:
        summary = report["summary"]
        return (summary["points_set_up"], summary["points_scanned"],
                [row["district"] for row in report["by_district"]])

    with _served_at("2026-12-01 06:50:00", libfaketime, db, tmp_path) as (_, viewer, _):
        path = "/api/v1/reports/monthly?month=2026-11"
        before = viewer.get(path).json()
        _run_at("2026-12-01 07:00:00", libfaketime, db, "checkpoints", "add", "P9", "--name",
                "Trạm 9", "--district", "Huyện B", "--kind", "office", "--set-up-on",
                "2026-11-03")
        after = viewer.get(path).json()
    with open_storage(db) as storage:
        fresh = reports.monthly(storage, "2026-11", now=parse_utc(after["made_at"]))
    assert set_up(first) == set_up(before) == (1, 1, ["Đồng Xoài"])
    assert set_up(after) == (2, 1, ["Huyện B", "Đồng Xoài"])
    assert after == json.loads(json.dumps(fresh))
    remade = _run_at("2026-12-02 06:00:30", libfaketime, db, *monthly)
    assert "made again" in remade
    report = json.loads((out / "bao-cao-thang-2026-11.json").read_text())
    assert set_up(report) == set_up(after) and report["replaces"] == first["made_at"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_months_file_made_again_by_a_retry_is_a_new_report_the_first_kept(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """November's report, written at 06:00 on 1 December, lacks the person of a scan of
    the 30th whose derivation failed (set aside: a provisional count). A scan of the 29th
    arrives on 3 December, late. Mended on the 4th, ``derivation --retry --out-dir`` makes
    November's files again as ``report monthly --if-due`` makes a month's report again: it
    counts every entry held — the late one too, listed as late — names the report it
    replaces, and keeps the first, which an official may have forwarded, under a name
    saying when it was made (before, the retry overwrote it, and the new one named none)."""
    db = _centre(tmp_path, engine)
    out = tmp_path / "reports"
    _arrives(db, "2026-11-10 08:00:00", "2026-11-10 08:01:00", 1)
    _refuse_person(db, 2)
    _arrives(db, "2026-11-30 21:00:00", "2026-11-30 21:01:00", 2)
    monthly = ("report", "monthly", "--if-due", "--out-dir", str(out), "--format", "json")
    _run_at("2026-12-01 06:00:00", libfaketime, db, *monthly)
    first = json.loads((out / "bao-cao-thang-2026-11.json").read_text())
    assert first["not_derived"]["set_aside_entries"] == 1
    assert sum(day["people"] for day in first["by_day"]) == 1
    _arrives(db, "2026-11-29 09:00:00", "2026-12-03 09:00:00", 3)
    _refuse_person(db, None)
    _run_at("2026-12-04 09:00:00", libfaketime, db, "derivation", "--retry", "--out-dir",
            str(out))
    report = json.loads((out / "bao-cao-thang-2026-11.json").read_text())
    assert report["not_derived"]["set_aside_entries"] == 0
    assert (report["summary"]["scans"], sum(day["people"] for day in report["by_day"])) == (3, 3)
    assert report["late_entries"] == [{"received_on": "2026-12-03", "day": "2026-11-29",
                                       "entries": 1}]
    assert report["replaces"] == first["made_at"]
    stamp = protocol.parse_time(first["made_at"]).astimezone(ZoneInfo(ZONE))
    kept = out / f"bao-cao-thang-2026-11-lap-luc-{stamp:%Y%m%d-%H%M%S}.json"
    assert json.loads(kept.read_text()) == first


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_last_months_files_are_made_again_once_a_person_set_aside_is_counted(
        tmp_path: Path, libfaketime: Path, engine: str) -> None:
    """November's files, written at 06:00 on 1 December, lack the person of a scan of the
    30th whose derivation failed (set aside). Mended on the 3rd and retried without
    ``--out-dir`` (``kiosk-central derivation --retry``), the person is counted: the next
    run of ``report monthly --if-due`` makes November's report again, as the dashboard's
    kept month is (a person derived since makes it stale). Before, it judged by receive
    time alone — no entry arrived late — and left the files a person short for good."""
    db = _centre(tmp_path, engine)
    out = tmp_path / "reports"
    _arrives(db, "2026-11-10 08:00:00", "2026-11-10 08:01:00", 1)
    _refuse_person(db, 2)
    _arrives(db, "2026-11-30 21:00:00", "2026-11-30 21:01:00", 2)
    monthly = ("report", "monthly", "--if-due", "--out-dir", str(out))
    _run_at("2026-12-01 06:00:00", libfaketime, db, *monthly)
    first = json.loads((out / "bao-cao-thang-2026-11.json").read_text())
    assert sum(day["people"] for day in first["by_day"]) == 1
    _refuse_person(db, None)
    _run_at("2026-12-03 09:00:00", libfaketime, db, "derivation", "--retry")
    remade = _run_at("2026-12-04 06:00:00", libfaketime, db, *monthly)
    assert "may lack entries" in remade
    report = json.loads((out / "bao-cao-thang-2026-11.json").read_text())
    assert (report["summary"]["scans"], sum(day["people"] for day in report["by_day"])) == (2, 2)
    assert report["not_derived"]["set_aside_entries"] == 0
    assert report["replaces"] == first["made_at"]
    again = _run_at("2026-12-05 06:00:00", libfaketime, db, *monthly)
    assert "not made again" in again


def test_a_months_report_made_before_it_was_due_is_made_again(
        tmp_path: Path, libfaketime: Path) -> None:
    """Made by hand into the reports folder on 30 November, before the month ended, and the
    server down all day on the 1st: the run of the 2nd makes it again (entries of the 30th
    arriving that night are not late, and that report lacks them)."""
    db = _centre(tmp_path)
    out = tmp_path / "reports"
    _run_at("2026-11-30 20:00:00", libfaketime, db, "report", "monthly", "--month",
            "2026-11", "--out-dir", str(out))
    _arrives(db, "2026-11-30 22:00:00", "2026-12-01 01:00:00", 1)
    _run_at("2026-12-02 06:00:00", libfaketime, db, "report", "monthly", "--if-due",
            "--out-dir", str(out))
    assert json.loads((out / "bao-cao-thang-2026-11.json").read_text())["summary"][
        "scans"] == 1


def test_a_zone_change_keeps_the_late_entries_of_days_already_purged(
        tmp_path: Path, libfaketime: Path) -> None:
    """A late entry of 10 November (received on the 12th, listed in the 12th's report)
    stays counted for November's report after retention purged its raw entry and the
    centre's zone then changed: the zone change recounts only the days whose entries are
    still held."""
    db = _centre(tmp_path)
    _arrives(db, "2026-11-10 08:00:00", "2026-11-12 09:00:00", 1)
    _arrives(db, "2026-12-04 08:00:00", "2026-12-04 08:01:00", 2)

    def late() -> list[tuple]:
        with open_storage(db) as storage:
            return storage._query("SELECT received_on, day, entries FROM late_arrivals")

    _run_at("2026-12-05 06:00:00", libfaketime, db, "purge", "--days", "14",
            "--reason", "retention")
    assert late() == [("2026-11-12", "2026-11-10", 1)]
    _run_at("2026-12-05 09:00:00", libfaketime, db, "timezone", "Asia/Bangkok")
    assert late() == [("2026-11-12", "2026-11-10", 1)]


def test_last_months_report_is_not_written_before_it_is_due_at_0600_on_the_1st(
        tmp_path: Path, libfaketime: Path) -> None:
    """A server back from a reboot at 01:00 on 1 December: the timer's catch-up run of
    ``report monthly --if-due`` does not write November's report, which is due at 06:00 —
    a scan of the 30th at 23:50 reaching the centre at 03:00 is not late, and a report
    written at 01:00 would lack it. It says when November's is due and looks after
    October's, the last month due; the 06:00 run writes November's, counting that scan."""
    db = _centre(tmp_path)
    out = tmp_path / "reports"
    monthly = ("report", "monthly", "--if-due", "--out-dir", str(out), "--format", "json")
    _arrives(db, "2026-11-30 21:00:00", "2026-11-30 21:01:00", 1)
    said = _run_at("2026-12-01 01:00:00", libfaketime, db, *monthly)
    assert "2026-11" in said and "due at 2026-12-01 06:00" in said and "đến hạn lúc" in said
    assert not (out / "bao-cao-thang-2026-11.json").exists()
    assert (out / "bao-cao-thang-2026-10.json").exists()  # the last month due: files missing

    _arrives(db, "2026-11-30 23:50:00", "2026-12-01 03:00:00", 2)
    _run_at("2026-12-01 06:00:00", libfaketime, db, *monthly)
    report = json.loads((out / "bao-cao-thang-2026-11.json").read_text())
    assert report["summary"]["scans"] == 2 and report["late_entries"] == []
    assert "replaces" not in report
