"""The kiosk tells the centre how it is: with every batch, and every interval when idle.

Against a real ``kiosk-central serve`` that lists the ``health`` feature; what the centre
kept is read from its database.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from kiosk import config as config_mod
from kiosk import messages
from kiosk.app import Kiosk
from kiosk.central.kiosk_rules import kiosk_problems, unknown_backlog_age
from kiosk.clock import elapsed, suspended_seconds
from kiosk.ids import boot_id, uuid7
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan, Status
from kiosk.store import Store
from kiosk.sync import protocol
from kiosk.sync.heartbeat import health_report
from kiosk.sync.status import pending_age_seconds
from kiosk.sync.worker import SyncWorker
from tests.sync_support import (
    backlog_rows,
    fill_backlog,
    pending_entries,
    sync_states,
    utc_iso,
    wait_until,
    write_config,
)


def test_every_batch_carries_the_kiosks_health(central, kiosk_id, tmp_path):
    config = config_mod.load(write_config(
        tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
        token=central.enrol(kiosk_id), batch_size=100))
    fill_backlog(config.store_path, 250, kiosk_id=kiosk_id)
    worker = SyncWorker.from_config(config)
    try:
        summary = worker.push_now()
    finally:
        worker.stop()
    assert summary.error is None and summary.batches == 3
    reports = central.health_reports(kiosk_id)
    assert len(reports) == 3  # one per batch, none on their own
    assert reports[0]["pending"] == 250 and all(r["pending"] <= 250 for r in reports)
    assert {r["rejected"] for r in reports} == {0} and reports[0]["software_version"]


def test_an_idle_kiosk_sends_a_heartbeat_every_interval_with_its_devices(
        central, kiosk_id, tmp_path):
    path = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                        token=central.enrol(kiosk_id), enabled=True, interval_seconds=1)
    with path.open("a", encoding="utf-8") as config:
        config.write('[[devices]]\nid = "lane-1"\ntype = "replay"\n'
                     f'path = "{tmp_path / "none.txt"}"\n')
    kiosk = Kiosk(config_mod.load(path))
    kiosk.start()
    try:
        reports = wait_until(lambda: (r := central.health_reports(kiosk_id)) and len(r) >= 3
                             and r, timeout=20)
    finally:
        kiosk.stop()
    assert all(r["pending"] == 0 and r["oldest_pending_seconds"] is None for r in reports)
    assert [d["id"] for d in reports[-1]["devices"]] == ["lane-1"]
    assert reports[-1]["free_disk_bytes"] > 0


def test_a_device_detail_no_database_can_hold_does_not_hold_back_the_entries(
        central, kiosk_id, tmp_path):
    """A device's error detail read from hardware may carry a NUL (a NUL-padded name) or a
    lone surrogate (bytes decoded with ``surrogateescape``); the centre refuses a report
    holding one, with the whole batch. The kiosk sends such characters as U+FFFD, so its
    entries still reach the centre and the report still says what the device said."""
    from kiosk.devices.supervisor import DeviceStatus

    config = config_mod.load(write_config(
        tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
        token=central.enrol(kiosk_id), batch_size=100))
    fill_backlog(config.store_path, 20, kiosk_id=kiosk_id)
    worker = SyncWorker.from_config(config)
    worker.devices = lambda: [DeviceStatus("cam-1", "camera", "in", state="error",
                                           reason=messages.Words("device.not_found", {
                                               "what": "USB Camera\x00\x00 \udcff"}))]
    try:
        summary = worker.push_now()
    finally:
        worker.stop()
    assert summary.error is None and (summary.accepted, summary.remaining) == (20, 0)
    (report,) = central.health_reports(kiosk_id)
    assert report["devices"][0]["detail"] == messages.both("device.not_found",
                                                           what="USB Camera\ufffd\ufffd \ufffd")


def test_a_batchs_report_is_as_of_its_sent_at(central, kiosk_id, tmp_path):
    """The centre keeps the refused hours of a report's window taken at the batch's
    ``sent_at``; the kiosk counted them at the moment it built the report, a moment before it
    stamped the batch. Across an hour's end the two windows differ by an hour: the kiosk's
    oldest was ignored at the centre and logged as a lie. The report is built as of the
    ``sent_at`` itself: its backlog age, on the centre, is ``sent_at`` − the oldest entry to
    the microsecond."""
    from kiosk.store import Store
    from kiosk.sync import protocol

    config = config_mod.load(write_config(
        tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
        token=central.enrol(kiosk_id), batch_size=100))
    fill_backlog(config.store_path, 20, kiosk_id=kiosk_id)
    store = Store(config.store_path)
    oldest = protocol.parse_time(store.outbox_summary().oldest_pending)
    store.close()
    worker = SyncWorker.from_config(config)
    try:
        assert worker.push_now().error is None
    finally:
        worker.stop()
    ((received_at, report),) = central._query(
        "SELECT received_at, report FROM kiosk_health_history WHERE kiosk_id = ?", (kiosk_id,))
    report = json.loads(report)
    sent_at = protocol.parse_time(received_at) - dt.timedelta(
        seconds=report["clock_offset_seconds"])
    assert abs(report["oldest_pending_seconds"] - (sent_at - oldest).total_seconds()) < 2e-6


def _recorded_at(path: Path, wall_time: float, boot: str | None = None) -> tuple[Store, Scan]:
    """A real store holding one pending entry, recorded through the pipeline at ``wall_time``
    on the kiosk's clock, in ``boot`` (else the running boot)."""
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k1",
                                      duplicate_policy="allow"))
    if boot is not None:
        pipeline.boot_id = boot
    scan = Scan(payload="001099012345|123456789|Lê Thị Hoa|01021990|Nữ|Số 1 Phố Huế|"
                        "10102021".encode(), device_id="serial-1", lane="in", source="serial",
                wall_time=wall_time)
    assert pipeline.submit(scan).status is Status.ACCEPTED
    return store, scan


def test_a_backlog_recorded_while_the_clock_ran_ahead_is_aged_by_the_boots_monotonic_clock(
        tmp_path):
    """The kiosk's clock ran 3 h ahead while it recorded an entry it could not send, then the
    technician set it right. On the wall clock the entry is recorded later than now and has
    no age, and the latest batch's offset, right again, raises no clock alert at the centre:
    a stuck backlog went unflagged until the wall clock passed it. Recorded in the running
    boot, its age is told by the monotonic clock; an entry of an earlier boot has none."""
    ahead = time.time() + 3 * 3600
    store, scan = _recorded_at(tmp_path / "kiosk.db", ahead)
    time.sleep(0.2)
    before = time.monotonic_ns()
    report = protocol.validate_health(health_report(store, now=dt.datetime.now(dt.UTC)))
    after = time.monotonic_ns()
    store.close()
    assert report.pending == 1
    assert (before - scan.monotonic_ns) / 1e9 <= report.oldest_pending_seconds \
        <= (after - scan.monotonic_ns) / 1e9
    assert report.oldest_pending_seconds >= 0.2

    store, _ = _recorded_at(tmp_path / "earlier-boot.db", ahead, boot="an-earlier-boot")
    report = protocol.validate_health(health_report(store, now=dt.datetime.now(dt.UTC)))
    store.close()
    assert (report.pending, report.oldest_pending_seconds) == (1, None)


def test_a_backlog_recorded_at_1970_in_this_boot_is_aged_by_the_monotonic_clock(tmp_path):
    """A flat RTC battery: the kiosk recorded an entry while its clock read 1970, then NTP
    set the clock. By the wall clock the entry is 56 years old, and the centre flagged an
    old backlog; the monotonic clock of the boot says it is seconds old. More than the
    kiosk was suspended in this boot cannot have passed, so that is the age reported."""
    store, scan = _recorded_at(tmp_path / "kiosk.db", 300.0)  # 1970-01-01 00:05 UTC
    time.sleep(0.2)
    before = time.monotonic_ns()
    report = protocol.validate_health(health_report(store, now=dt.datetime.now(dt.UTC)))
    after, slept = time.monotonic_ns(), suspended_seconds()
    store.close()
    assert slept is not None  # Linux, as every kiosk
    assert (before - scan.monotonic_ns) / 1e9 <= report.oldest_pending_seconds \
        <= (after - scan.monotonic_ns) / 1e9 + slept
    assert report.oldest_pending_seconds < 3600


def test_a_1970_entry_of_this_boot_does_not_hide_the_backlog_an_earlier_boot_left(tmp_path):
    """A flat RTC battery: entries were left pending 2 days ago (the clock right then), the
    power failed, the kiosk booted at 1970 and recorded a scan before NTP set the clock. The
    1970 entry sorts first by id and is aged by the boot's monotonic clock: a minute, and the
    centre's old backlog alert stayed quiet. The earlier boot's entries behind it are aged
    by their wall time, and the older age is told: 2 days."""
    two_days_ago = time.time() - 2 * 86400
    store = pending_entries(tmp_path / "kiosk.db",
                     (two_days_ago, "an-earlier-boot", 123),
                     (300.0, boot_id(), time.monotonic_ns() - 60 * 10**9),  # 1970-01-01 00:05
                     (time.time() - 5, boot_id(), time.monotonic_ns() - 5 * 10**9))  # NTP set it
    now = dt.datetime.now(dt.UTC)
    report = protocol.validate_health(health_report(store, now=now))
    store.close()
    assert report.pending == 3
    assert abs(report.oldest_pending_seconds - (now.timestamp() - two_days_ago)) < 1e-3


def test_a_backlog_an_earlier_boot_recorded_at_1970_has_no_age(tmp_path):
    """A flat RTC battery is flat at every boot: the kiosk recorded scans at 1970 before NTP
    set the clock, could not send them, and rebooted. Of an earlier boot, they have no
    monotonic age, and their wall age, 56 years, told the centre of a backlog older than
    the kiosk. No scan this program stored was made before its first version: the age is
    unknown, as the centre is told and shows it."""
    store = pending_entries(tmp_path / "kiosk.db", *(
        (600.0 + i, "an-earlier-boot", 30 * 10**9 + i) for i in range(3)))
    report = protocol.validate_health(health_report(store, now=dt.datetime.now(dt.UTC)))
    store.close()
    assert (report.pending, report.oldest_pending_seconds) == (3, None)


def test_the_centre_shows_an_earlier_boots_1970_backlog_as_of_unknown_age(
        central, kiosk_id, tmp_path):
    """The same backlog sent to the centre with a batch: the centre keeps a null age for the
    kiosk, shows it as unknown on the dashboard and in the daily report, and raises no old
    backlog alert for it, instead of one for a 56-year-old backlog."""
    config = config_mod.load(write_config(
        tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
        token=central.enrol(kiosk_id), batch_size=100))
    pending_entries(config.store_path, *((600.0 + i, "an-earlier-boot", 30 * 10**9 + i)
                                         for i in range(3)), kiosk_id=kiosk_id).close()
    worker = SyncWorker.from_config(config)
    try:
        assert worker.push_now().error is None
    finally:
        worker.stop()
    ((pending, age, last_seen_at),) = central._query(
        "SELECT h.pending, h.oldest_pending_seconds, k.last_seen_at FROM kiosk_health h "
        "JOIN kiosks k ON k.id = h.kiosk_id WHERE h.kiosk_id = ?", (kiosk_id,))
    assert (pending, age) == (3, None)
    problems = kiosk_problems(last_seen_at, None, age, dt.datetime.now(dt.UTC))
    assert "old_backlog" not in problems
    assert unknown_backlog_age(pending, age, problems) == "unknown"


def test_a_1970_entry_of_this_boot_before_an_earlier_boots_1970_backlog_has_no_age(tmp_path):
    """The battery was flat at both boots: this boot's 1970 entry, aged by the monotonic
    clock, sorts before an earlier boot's 1970 backlog, which is older than this boot by
    an unknown time. The backlog's age is unknown, not the earlier boot's 56 years, nor the
    minute this boot's entry has waited."""
    store = pending_entries(tmp_path / "kiosk.db",
                     (600.0, "an-earlier-boot", 30 * 10**9),  # 1970-01-01 00:10
                     (300.0, boot_id(), time.monotonic_ns() - 60 * 10**9))  # 1970-01-01 00:05
    report = protocol.validate_health(health_report(store, now=dt.datetime.now(dt.UTC)))
    store.close()
    assert (report.pending, report.oldest_pending_seconds) == (2, None)


def test_an_earlier_boots_backlog_left_with_its_clock_ahead_is_of_unknown_age_not_minutes(
        tmp_path):
    """An earlier boot's clock ran 200 days ahead while it recorded scans it could not send;
    the technician set the clock right and the kiosk rebooted. This boot's scans, of the
    right time, sort before the earlier boot's by id: the first in id order, a minute old,
    was told to the centre and shown on the screens, and nobody chased a backlog older than
    this boot. The earlier boot's entries, recorded later than the clock reads now, have
    no age any clock tells: the report says unknown, and the screens and ``kiosk sync
    status`` name that entry as the oldest waiting, worded as a time the clock has not
    reached. Once it has reached the centre, this boot's own backlog is aged again."""
    now = time.time()
    ahead = now - 3600 + 200 * 86400
    store = pending_entries(tmp_path / "kiosk.db",
                            (now - 60, boot_id(), time.monotonic_ns() - 60 * 10**9),
                            (now - 5, boot_id(), time.monotonic_ns() - 5 * 10**9),
                            (ahead, "an-earlier-boot", 123), (ahead + 1, "an-earlier-boot", 124))
    earlier = [row[0] for row in store.conn.execute(
        "SELECT id FROM entries WHERE boot_id = 'an-earlier-boot'")]
    report = protocol.validate_health(health_report(store, now=dt.datetime.now(dt.UTC)))
    assert (report.pending, report.oldest_pending_seconds) == (4, None)
    oldest = store.outbox_summary().oldest_pending
    assert oldest == utc_iso(ahead + 1) and pending_age_seconds(oldest) is None

    store.mark_synced(earlier, {})
    report = protocol.validate_health(health_report(store, now=dt.datetime.now(dt.UTC)))
    store.close()
    assert report.pending == 2 and 60 <= report.oldest_pending_seconds < 120


def test_an_entry_of_this_boot_at_a_monotonic_time_below_zero_is_aged_by_the_wall_clock(
        tmp_path):
    """No clock of this boot read a monotonic time below zero (a hand edit, a bug): aged by
    it, an entry recorded 2 h ago would be older than the boot itself. Its wall age is told."""
    two_hours_ago = time.time() - 7200
    store = pending_entries(tmp_path / "kiosk.db", (two_hours_ago, boot_id(), -10**15))
    now = dt.datetime.now(dt.UTC)
    report = protocol.validate_health(health_report(store, now=now))
    store.close()
    assert abs(report.oldest_pending_seconds - (now.timestamp() - two_hours_ago)) < 1e-3


def test_scans_after_the_clock_was_set_back_do_not_hide_the_backlog_left_while_it_ran_ahead(
        tmp_path):
    """One boot: the clock ran 200 days ahead while An was scanned (by the monotonic clock,
    up to an hour ago), the technician set it right and Bình was scanned now; neither was
    sent. Bình's id, of the right time, sorts before An's: the health report aged the first
    in id order, a second, and the centre's old backlog alert came 200 days late. It ages
    An by the boot's monotonic clock, and the sync screen names An as the oldest waiting.
    Written through the store's own insert (which flags Bình as written with the clock
    behind), each id made at the time its clock read."""
    store = Store(tmp_path / "kiosk.db")
    now, monotonic_ns = time.time(), time.monotonic_ns()
    age = min(3600.0, monotonic_ns / 2e9)  # a monotonic time of this boot, above zero
    an, binh = backlog_rows(2, kiosk_id="k1")
    for row, wall, at in ((an, now - age + 200 * 86400, monotonic_ns - round(age * 1e9)),
                          (binh, now, monotonic_ns)):
        row.update(id=uuid7(int(wall * 1000)), scanned_at=utc_iso(wall), boot_id=boot_id(),
                   monotonic_ns=at)
        with store.transaction() as conn:
            store.insert_entry(conn, row)
    assert binh["id"] < an["id"]
    report = protocol.validate_health(health_report(store, now=dt.datetime.now(dt.UTC)))
    assert report.pending == 2
    assert age <= report.oldest_pending_seconds < age + 60
    assert store.outbox_summary().oldest_pending == an["scanned_at"]

    store.mark_synced([an["id"]], {})  # An reached the centre: Bình is the backlog
    report = protocol.validate_health(health_report(store, now=dt.datetime.now(dt.UTC)))
    store.close()
    assert (report.pending, report.oldest_pending_seconds < 60) == (1, True)


def test_a_backlog_the_kiosk_slept_on_keeps_its_wall_clock_age():
    """The monotonic clock stops while the kiosk is suspended: an entry recorded 2 h ago,
    5 s before the kiosk went to sleep for 3 h, is 2 h old, not the 5 s it was awake. Only
    a wall age beyond the time asleep is the clock's error."""
    assert elapsed(7200.0, 5.0, suspended=3 * 3600.0) == 7200.0
    assert elapsed(7200.0, 5.0, suspended=3600.0) == 3605.0  # at most an hour asleep
    assert elapsed(7200.0, 5.0, suspended=0.0) == 5.0  # never asleep: the clock was off
    assert elapsed(None, 5.0, suspended=0.0) == 5.0  # recorded "later than now"
    assert elapsed(100.0, 500.0, suspended=0.0) == 500.0  # the clock went back since
    assert elapsed(5.2, 5.0, suspended=0.0) == 5.2  # the two clocks read a moment apart
    assert elapsed(7200.0, 5.0, suspended=None) == 7200.0  # no CLOCK_BOOTTIME


def test_a_backlog_drained_after_a_set_back_is_walked_once_not_once_per_batch(tmp_path):
    """One boot: 3 scans while the clock ran 200 days ahead, then the clock set right and
    2,000 scans flagged behind them, sorting first; none sent. The uploader acknowledges
    them 100 at a time in id order and asks for the oldest after each answer. The walk
    over the flagged entries to the first unflagged one was done again after every
    batch (its cache was keyed on the first pending id), under the store lock while scans
    waited: ~9 s over a drain of 100,000 (review 41 K1). Now it is done once: the reads
    after each batch cost a handful of SQLite steps (counted on the store's connection)
    against the first read's walk, and the answer is each time the pending entry of this
    boot first by the monotonic clock."""
    store = Store(tmp_path / "kiosk.db")
    boot, now, mono_now = boot_id(), time.time(), time.monotonic_ns()
    age = min(3600.0, mono_now / 2e9)  # a monotonic time of this boot, above zero
    flagged = 2000
    rows = list(backlog_rows(3 + flagged, kiosk_id="k1", long_every=0))
    ahead_ns = mono_now - round(age * 1e9)
    for i, row in enumerate(rows):
        if i < 3:  # the clock 200 days ahead
            mono = ahead_ns + i * 1000
            wall = now - age + 200 * 86400 + i * 1e-6
        else:  # the clock set right, spread over the time since
            mono = ahead_ns + round((i - 2) * (mono_now - ahead_ns) / (flagged + 1))
            wall = now - (mono_now - mono) / 1e9
        row.update(id=uuid7(int(wall * 1000)), scanned_at=utc_iso(wall), boot_id=boot,
                   monotonic_ns=mono)
    with store.transaction() as conn:
        for row in rows:
            store.insert_entry(conn, row)
    conn = store.conn
    assert conn.execute("SELECT count(*) FROM entries WHERE json_extract(extra, "
                        "'$.clock_behind') IS NOT NULL").fetchone()[0] == flagged

    def truth() -> str | None:  # the brute force: this boot's pending, by monotonic time
        row = conn.execute("SELECT scanned_at FROM entries WHERE sync_state IN ('pending', "
                           "'sent') AND boot_id = ? ORDER BY monotonic_ns LIMIT 1",
                           (boot,)).fetchone()
        return row[0] if row else None

    def read() -> tuple[str | None, int]:  # the answer, and SQLite's steps (by 10s) for it
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0
        conn.set_progress_handler(count, 10)
        try:
            return store.oldest_pending(), steps[0]
        finally:
            conn.set_progress_handler(None, 0)

    answer, walk = read()
    assert answer == truth() == rows[0]["scanned_at"]
    after = []
    while batch := [row["id"] for row in store.pending(100)]:
        store.mark_synced(batch, {})
        answer, steps = read()
        assert answer == truth()
        after.append(steps)
    store.close()
    assert answer is None and len(after) == 21
    # before: each read after a batch walked those left (the first: 2,474 steps of 10 on
    # 13,067 for the first read), ~24,000 in all
    assert max(after) * 100 < walk and sum(after) < walk, (walk, after)


def test_the_report_counts_and_ages_only_the_entries_this_kiosk_id_sends(
        central, kiosk_id, tmp_path):
    """A store enrolled again under a new id keeps the old id's entries pending: this
    token cannot send them (``kiosk sync export --kiosk-id`` takes them to the centre). The
    new id's reports counted and aged them as its own — 8 pending, three days old, on its
    batch; and once its own entries had all arrived, 5 pending three days old for good:
    ``old_backlog`` on a kiosk whose every entry arrives. Its reports count and age its
    own alone, from its first batch."""
    path = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                        token=central.enrol(kiosk_id), enabled=True, interval_seconds=1)
    fill_backlog(tmp_path / "kiosk.db", 5, kiosk_id="k-before", start=time.time() - 3 * 86400)
    fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id=kiosk_id, start=time.time() - 60)
    kiosk = Kiosk(config_mod.load(path))
    kiosk.start()
    try:  # its batch's report, then an idle heartbeat's
        reports = wait_until(lambda: (r := central.health_reports(kiosk_id)) and len(r) >= 2
                             and r, timeout=20)
    finally:
        kiosk.stop()
    assert len(central.stored_ids(kiosk_id)) == 3
    assert reports[0]["pending"] == 3 and 60 <= reports[0]["oldest_pending_seconds"] < 600
    assert reports[-1]["pending"] == 0 and reports[-1]["oldest_pending_seconds"] is None
    assert "old_backlog" not in kiosk_problems(
        utc_iso(time.time()), 0.0, reports[-1]["oldest_pending_seconds"], dt.datetime.now(dt.UTC))
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 3, "pending": 5}


def test_a_push_reports_this_kiosk_ids_entries_alone_from_its_first_batch(
        central, kiosk_id, tmp_path):
    """``kiosk sync push`` (a process of its own, knowing nothing of an earlier upload)
    counts the other ids' entries before it sends: its batches' reports count this id's."""
    config = config_mod.load(write_config(
        tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
        token=central.enrol(kiosk_id), batch_size=2))
    fill_backlog(config.store_path, 5, kiosk_id="k-before", start=time.time() - 3 * 86400)
    fill_backlog(config.store_path, 4, kiosk_id=kiosk_id, start=time.time() - 60)
    worker = SyncWorker.from_config(config)
    try:
        summary = worker.push_now()
    finally:
        worker.stop()
    assert summary.error is None and summary.batches == 2
    reports = central.health_reports(kiosk_id)
    assert len(reports) == 2 and reports[0]["pending"] == 4  # not 9
    assert all(r["pending"] <= 4 for r in reports)
    assert all(r["oldest_pending_seconds"] < 600 for r in reports)


def test_the_health_report_seeks_this_ids_first_entry_behind_another_ids_backlog_once(
        tmp_path):
    """Re-enrolled under a new id with the old id's backlog still pending, the report ages
    this id's own first entry, which lies behind the backlog on the pending index. Every
    batch and heartbeat builds one, under the store's lock: walking a million of the old
    id's took ~1 s each time and stalled the scans (docs/benchmarks.md). The walk is made
    once; later reports seek from what it found, and stay right as entries are
    acknowledged, put back, or written with the clock set back before it."""
    path = tmp_path / "kiosk.db"
    fill_backlog(path, 20_000, kiosk_id="ql1a-old", long_every=0)
    own = fill_backlog(path, 3, kiosk_id="ql1a-new", long_every=0)
    store = Store(path)
    conn = store.conn

    def report() -> tuple[int | None, int]:  # this id's backlog age, and SQLite's steps
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0
        outbox = store.outbox_summary()  # counted by the caller, once per batch
        conn.set_progress_handler(count, 10)
        try:
            said = health_report(store, outbox=outbox, kiosk_id="ql1a-new", elsewhere=20_000)
        finally:
            conn.set_progress_handler(None, 0)
        return said["oldest_pending_seconds"], steps[0]

    def scanned(entry: str) -> dt.datetime:
        return dt.datetime.fromisoformat(conn.execute(
            "SELECT scanned_at FROM entries WHERE id = ?", (entry,)).fetchone()[0])

    def age_of(entry: str) -> int:
        return round((dt.datetime.now(dt.UTC) - scanned(entry)).total_seconds())

    age, walk = report()
    assert abs(age - age_of(own[0])) <= 1
    age, steps = report()
    assert abs(age - age_of(own[0])) <= 1
    # before: each report walked the 20,000 again (~16,000 steps of 10)
    assert steps * 100 < walk, (walk, steps)
    store.mark_synced(own[:1], {})
    age, steps = report()
    assert abs(age - age_of(own[1])) <= 1 and steps * 100 < walk
    store.mark_synced([], {own[1]: "refused"})  # refused, then put back: the first again
    store.retry_rejected()
    age, _ = report()
    assert abs(age - age_of(own[1])) <= 1
    store.mark_synced(own[1:2], {})
    earlier = next(backlog_rows(1, kiosk_id="ql1a-new", long_every=0))
    wall = scanned(own[0]).timestamp() - 60  # the clock set back before the first kept
    earlier.update(id=uuid7(int(wall * 1000)), scanned_at=utc_iso(wall))
    with store.transaction() as writing:
        store.insert_entry(writing, earlier)
    assert store.first_pending_of("ql1a-new")[0] == earlier["scanned_at"]
    store.close()
