"""A kiosk whose wall clock ran ahead while its network was down: a day typed wrong (+3 days),
or 2030. The officer saw every scan ACCEPTED; the clock is set right, the network comes
back, and ``kiosk sync push`` sends them. The centre used to refuse each one for good
(``scanned_at … is later than it reached the centre``; ``retry-rejected`` changed nothing):
scans never in the reports nor in a trace. Now each is filed when it can have been made:

- a scan of the boot that sends it is timed by its age on the monotonic clock, which no step
  of the wall clock moves: filed at arrival less that age, its claimed ``scanned_at`` kept
  and its own clock offset (days back) saying the correction;
- a scan of an earlier boot (the kiosk restarted since: its monotonic clock tells nothing)
  cannot have been made after it arrived: filed at its arrival, of uncertain time
  (``entries_time_uncertain``), and the daily report lists its kiosk;
- a clock still at 2030 while sending gets the whole batch refused (422), every entry kept
  pending; pushed again once the clock is right, they go as above.

The real ``kiosk`` pipeline and store writing the scans, the real ``kiosk sync push``
sending them to a real ``kiosk-central serve`` on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.central import reports
from kiosk.central.backends import open_storage
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import protocol
from tests.central_support import central as central_cli
from tests.conftest import CCCD_AN, CCCD_BINH
from tests.sync_support import write_config
from tests.test_sync_commands import sync

DAY = 86400.0
CHECKPOINT = "CP-SYNC"
CCCD_CUONG = "001088009999||Lê Văn Cường|02031988|Nam|Hà Nội|01012021"
CCCD_DUNG = "079185001234||Phạm Thị Dung|11111985|Nữ|TP Hồ Chí Minh|01012021"
CCCD_EM = "001090005555||Hoàng Văn Em|05051990|Nam|Hà Nội|01012021"
"""People each scanned by one test only: the tests of this module share one centre, and a
trace of a person scanned by two would find both tests' visits."""


def kiosk_site(central: Any, tmp_path: Path) -> tuple[Path, str]:
    """An enrolled kiosk's config (English) and its id."""
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=central.enrol(kiosk_id))
    return config, kiosk_id


def scan_ahead(tmp_path: Path, kiosk_id: str, payload: str, ahead: float, *,
               boot: str | None = None) -> str:
    """One scan recorded by the kiosk's pipeline while its wall clock runs ``ahead`` seconds
    ahead (its monotonic clock right, as a clock step leaves it); ``boot``: recorded in an
    earlier boot of that name. Its entry id."""
    store = Store(tmp_path / "kiosk.db", timezone=ZoneInfo("Asia/Ho_Chi_Minh"))
    try:
        pipeline = Pipeline(store, Policy(checkpoint_id=CHECKPOINT, kiosk_id=kiosk_id))
        if boot is not None:
            pipeline.boot_id = boot
        result = pipeline.submit(Scan(payload.encode(), device_id="d1",
                                      wall_time=time.time() + ahead))
        assert result.recorded and result.entry_id is not None
        return result.entry_id
    finally:
        store.close()


def filed(central: Any, entry_id: str) -> tuple[dt.datetime, dict[str, Any]]:
    """When the centre files an entry (its claimed time corrected by its own offset), and
    its row."""
    row = central.stored_entry(entry_id)
    at = dt.datetime.fromisoformat(row["scanned_at"]) + dt.timedelta(
        seconds=row["clock_offset_seconds"])
    return at, row


def uncertain(central: Any, entry_id: str) -> list[Any]:
    return [tuple(r) for r in central._query(
        "SELECT id FROM entries_time_uncertain WHERE id = ?", (entry_id,))]


def test_a_scan_made_while_the_clock_ran_three_days_ahead_is_filed_when_it_was_made(
        central, tmp_path):
    """Same boot: the scan's age on the monotonic clock is a minute or so, so the centre
    files it now, on today's report, not three days on nor never. Its claimed time is kept
    as the kiosk recorded it; its offset (three days back) says it was corrected. Nothing
    is left rejected on the kiosk."""
    config, kiosk_id = kiosk_site(central, tmp_path)
    entry_id = scan_ahead(tmp_path, kiosk_id, CCCD_AN, 3 * DAY)
    out = sync(config, "push").stdout
    assert out.splitlines()[-1].endswith(": 1 new, 0 already at the centre, 0 rejected; "
                                         "0 still pending"), out
    now = dt.datetime.now(dt.UTC)
    at, row = filed(central, entry_id)
    assert abs((at - now).total_seconds()) < 120
    assert row["scanned_at"] > (now + dt.timedelta(days=2, hours=23)).isoformat()
    assert -3 * DAY - 120 < row["clock_offset_seconds"] < -3 * DAY + 120
    assert uncertain(central, entry_id) == []  # its age is known: not uncertain
    with open_storage(central.db) as storage:
        today = storage.calendar.day_of(now)
        assert row["local_day"] == today.isoformat()
        assert reports.daily(storage, today)["summary"]["scans"] >= 1
    assert "Rejected                 0" in sync(config, "status").stdout


def test_a_scan_of_an_earlier_boot_dated_after_it_arrived_is_kept_at_arrival_as_uncertain(
        central, tmp_path):
    """The kiosk restarted between the scan and the send: its monotonic clock tells nothing
    of the scan's age. Dated three days after it arrived, the scan cannot have been made
    then: it is filed at its arrival (the latest it can have been made), listed as of
    uncertain time on the day's report, and acknowledged: it leaves the kiosk's backlog,
    the push telling the operator so."""
    config, kiosk_id = kiosk_site(central, tmp_path)
    entry_id = scan_ahead(tmp_path, kiosk_id, CCCD_BINH, 3 * DAY, boot="an-earlier-boot")
    summary, said = sync(config, "push").stdout.splitlines()[-2:]
    assert summary.endswith(": 1 new, 0 already at the centre, 0 rejected; 0 still pending")
    assert said == ("1 entries dated after they reached the centre (the kiosk's clock ran "
                    "ahead): the centre holds them, filed when they arrived, their scan time "
                    "uncertain — set the kiosk's clock to follow NTP (`sudo timedatectl "
                    "set-ntp true`)")
    at, row = filed(central, entry_id)
    assert at == dt.datetime.fromisoformat(row["received_at"])
    assert uncertain(central, entry_id) == [(entry_id,)]
    with open_storage(central.db) as storage:
        today = storage.calendar.day_of(at)
        report = reports.daily(storage, today)
    [listed] = [p for p in report["scanning_wrongly"]
                 if p.get("kiosk_id") == kiosk_id]
    assert listed["problem"] == "time_after_arrival"
    assert listed["params"]["scans"] == 1
    assert 3 * DAY - 300 < listed["params"]["later_seconds"] < 3 * DAY + 60


def test_a_scan_of_an_earlier_boot_hours_ahead_is_filed_at_arrival_as_one_days_ahead_is(
        central, tmp_path):
    """Seven hours ahead (the hardware clock kept in local time and read as UTC, as happens
    at UTC+7), the kiosk restarted before the send: the scan is no more filed seven hours
    after it reached the centre, on tomorrow's page and out of a trace run "up to now", than
    one three days ahead is — one rule: past its arrival, filed at its arrival, of uncertain
    time, the push saying so. A trace of the last days finds the visit."""
    config, kiosk_id = kiosk_site(central, tmp_path)
    enrolled_days_ago(central, kiosk_id, 30)
    entry_id = scan_ahead(tmp_path, kiosk_id, CCCD_EM, 7 * 3600.0, boot="an-earlier-boot")
    said = sync(config, "push").stdout.splitlines()[-1]
    assert said.startswith("1 entries dated after they reached the centre"), said
    at, row = filed(central, entry_id)
    assert at == dt.datetime.fromisoformat(row["received_at"])
    assert uncertain(central, entry_id) == [(entry_id,)]
    with open_storage(central.db) as storage:
        assert row["local_day"] == storage.calendar.day_of(at).isoformat()
    answer = json.loads(central_cli(
        "trace", "--db", central.db, "--document", "001090005555", "--reason", "ca bệnh F0-1",
        "--format", "json").stdout)
    [visit] = answer["visits"]  # at its arrival, made then or since its kiosk's enrolment
    assert dt.datetime.fromisoformat(visit["entered_at"]) == at.replace(microsecond=0)
    assert abs(visit["time_uncertain_minutes"] - 30 * 24 * 60) < 10


def test_a_scan_within_two_minutes_of_its_arrival_is_filed_by_its_own_time(central, tmp_path):
    """A clock a minute ahead of the centre's is one taken as right (within the two minutes
    a batch's offset is mostly transit time): its scan of an earlier boot is filed at the
    time it says, not at its arrival, and its time is not called uncertain."""
    config, kiosk_id = kiosk_site(central, tmp_path)
    entry_id = scan_ahead(tmp_path, kiosk_id, CCCD_BINH, 60.0, boot="an-earlier-boot")
    sync(config, "push")
    at, row = filed(central, entry_id)
    after_arrival = at - dt.datetime.fromisoformat(row["received_at"])
    assert dt.timedelta(0) < after_arrival <= dt.timedelta(minutes=1)
    assert uncertain(central, entry_id) == []


def enrolled_days_ago(central: Any, kiosk_id: str, days: int) -> None:
    """The kiosk as if `kiosk-central kiosks add` had enrolled it ``days`` days ago."""
    with sqlite3.connect(central.db_path) as conn:
        conn.execute("UPDATE kiosks SET created_at = ? WHERE id = ?", (protocol.format_time(
            dt.datetime.now(dt.UTC) - dt.timedelta(days=days)), kiosk_id))
    conn.close()


def trace_days(central: Any, document: str, days_ago_from: int, days_ago_to: int
               ) -> dict[str, Any]:
    """``kiosk-central trace`` of a document over those local days, as JSON."""
    today = dt.date.today()
    return json.loads(central_cli(
        "trace", "--db", central.db, "--document", document, "--reason", "ca bệnh F0-1234",
        "--from", (today - dt.timedelta(days=days_ago_from)).isoformat(),
        "--to", (today - dt.timedelta(days=days_ago_to)).isoformat(),
        "--format", "json").stdout)




def test_a_trace_finds_a_scan_filed_at_arrival_as_far_back_as_its_kiosks_enrolment(
        central, tmp_path):
    """Dung's scan, filed at its arrival today (dated three days on), was made at some time
    since her kiosk was enrolled, 100 days ago — not at any time in the 400 days the centre
    keeps. Traced two months ago, when Cường was scanned there, she has a visit of uncertain
    time (by 100 days) and Cường is a possible contact; Cường's own trace finds her the
    same way. Traced seven months ago, before the kiosk was enrolled, she has neither."""
    config, kiosk_id = kiosk_site(central, tmp_path)
    enrolled_days_ago(central, kiosk_id, 100)
    scan_ahead(tmp_path, kiosk_id, CCCD_CUONG, -60 * DAY, boot="boot-60-days-ago")
    scan_ahead(tmp_path, kiosk_id, CCCD_DUNG, 3 * DAY, boot="an-earlier-boot")
    sync(config, "push")
    dung = trace_days(central, "079185001234", 61, 59)
    [visit] = dung["visits"]
    assert visit["checkpoint_id"] == CHECKPOINT
    assert abs(visit["time_uncertain_minutes"] - 100 * 24 * 60) < 10
    assert [(c["name"], c["possible"]) for c in dung["contacts"]] == [("Lê Văn Cường", True)]
    cuong = trace_days(central, "001088009999", 61, 59)
    assert [(c["name"], c["possible"]) for c in cuong["contacts"]] == [("Phạm Thị Dung", True)]
    assert abs(cuong["contacts"][0]["time_uncertain_minutes"] - 100 * 24 * 60) < 10
    before = trace_days(central, "079185001234", 210, 190)
    assert (before["visits"], before["contacts"]) == ([], [])


def test_scans_made_at_2030_go_once_the_clock_is_right_after_a_batch_refused_whole(
        central, tmp_path, libfaketime):
    """2030 while sending too: the centre refuses the batch whole (its ``sent_at`` is years
    off), and the kiosk keeps the scan pending. The clock set right (same boot), the next
    push delivers it, filed now by its age."""
    config, kiosk_id = kiosk_site(central, tmp_path)
    year_2030 = dt.datetime(2030, 6, 1, tzinfo=dt.UTC).timestamp()
    entry_id = scan_ahead(tmp_path, kiosk_id, CCCD_AN, year_2030 - time.time())
    wrong = sync(config, "push", ok=False, env={
        "LD_PRELOAD": str(libfaketime), "FAKETIME": "@2030-06-01 00:05:00",
        "DONT_FAKE_MONOTONIC": "1"})
    assert wrong.returncode != 0
    assert central.stored_ids(kiosk_id) == []
    out = sync(config, "push").stdout
    assert out.splitlines()[-1].endswith(": 1 new, 0 already at the centre, 0 rejected; "
                                         "0 still pending"), out
    at, row = filed(central, entry_id)
    assert abs((at - dt.datetime.now(dt.UTC)).total_seconds()) < 120
    assert row["scanned_at"].startswith("2030-06-01")


def test_a_failure_after_the_clock_was_set_back_is_shown_as_the_last_error(
        central, tmp_path, libfaketime):
    """The kiosk uploaded fine while its clock ran 3 days ahead; the clock is set right,
    and the centre cannot be reached. That failure is the last error and stands: it was
    read as "resolved since (a later upload succeeded)" for 3 days, the success's time on
    the wrong clock being later than the failure's on the right one. Which came last is
    what was written last."""
    config, kiosk_id = kiosk_site(central, tmp_path)
    scan_ahead(tmp_path, kiosk_id, CCCD_AN, 3 * DAY)
    ahead = {"LD_PRELOAD": str(libfaketime), "FAKETIME": "+3d", "DONT_FAKE_MONOTONIC": "1"}
    sync(config, "push", env=ahead)
    sent = json.loads(sync(config, "status", "--offline", "--json").stdout)
    assert sent["pending"] == 0 and sent["last_error"] is None
    write_config(config, kiosk_id=kiosk_id, server_url="http://127.0.0.1:9",
                 token=central_token(config))
    scan_ahead(tmp_path, kiosk_id, CCCD_BINH, -5.0)  # the clock right now

    assert sync(config, "push", ok=False).returncode != 0  # nothing accepts at port 9

    report = json.loads(sync(config, "status", "--offline", "--json").stdout)
    assert report["last_error_current"] is True
    assert report["last_error_code"] == "sync.transport"
    line = next(line for line in sync(config, "status", "--offline").stdout.splitlines()
                if line.startswith("Last error"))
    assert "resolved since" not in line and "connection failed" in line


def central_token(config: Path) -> str:
    """The ``[sync] token`` written in ``config``."""
    from kiosk import config as config_mod

    return config_mod.load(config).sync.token
