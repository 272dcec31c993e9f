"""A wall clock that jumps: the order of a person's movements comes from the monotonic clock
within a boot, never from wall times alone. Real pipeline over a real store file."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kiosk.app import policy_from
from kiosk.ids import uuid7
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan, Status
from kiosk.store import Store
from kiosk.timestamps import utc_iso
from tests.conftest import make_config

CCCD = "001099012345|123456789|{name}|01021990|Nam|{address}|10102021"


def test_auto_direction_follows_scan_order_when_the_wall_clock_steps_back_an_hour(
        make_pipeline):
    """NTP or an officer sets the clock back an hour between two scans of the same person:
    within the boot the monotonic clock orders them, so auto alternates in, out, in."""
    pipeline = make_pipeline(duplicate_window_seconds=0)
    payload = CCCD.format(name="Nguyễn Văn An", address="Số 1 Phố Huế").encode()
    now = 1_790_000_000.0
    directions = [pipeline.submit(Scan(payload=payload, device_id="d1", lane="auto",
                                       wall_time=at)).direction.value
                  for at in (now, now - 3600 + 60, now - 3600 + 120)]
    assert directions == ["in", "out", "in"]


@pytest.mark.parametrize("step", [-3600.0, 2 * 86400.0])
def test_a_card_read_twice_seconds_apart_across_a_clock_step_is_a_double_scan(make_pipeline,
                                                                             step):
    """The wall clock stepped between two reads of one card 5 s apart (back an hour: NTP, an
    officer; ahead two days: a flat RTC battery's date put right): the second is the double
    scan it is, "5 s ago" in its words, and the person stays inside. Timed by the wall clock
    alone it was a new movement, auto's "out" for someone who never left."""
    pipeline = make_pipeline(duplicate_window_seconds=300, duplicate_policy="warn")
    pipeline.suspended = lambda: 0.0  # never suspended: only a step moves the wall clock
    payload = CCCD.format(name="Nguyễn Văn An", address="Số 1 Phố Huế").encode()
    now = 1_790_000_000.0
    first = pipeline.submit(Scan(payload=payload, lane="auto", wall_time=now,
                                 monotonic_ns=10**12))
    again = pipeline.submit(Scan(payload=payload, lane="auto", wall_time=now + step + 5,
                                 monotonic_ns=10**12 + 5 * 10**9))
    assert (first.status, first.direction.value) == (Status.ACCEPTED, "in")
    assert (again.status, again.direction.value) == (Status.DUPLICATE, "in")
    assert again.reason_in("en") == "Already scanned 0 min ago"
    assert pipeline.store.inside_count("CP-T", now=now + step + 6) == 1


def test_a_person_back_after_a_night_the_kiosk_slept_through_is_a_new_movement(
        make_pipeline):
    """The monotonic clock stops while the kiosk is suspended (the laptop's lid shut for the
    night): the wall clock's 14 hours stand when the kiosk slept that long, and the morning's
    scan is the person's new entry, not a double scan of the evening's exit."""
    pipeline = make_pipeline(duplicate_window_seconds=300, duplicate_policy="block")
    pipeline.suspended = lambda: 14 * 3600.0 - 30
    payload = CCCD.format(name="Nguyễn Văn An", address="Số 1 Phố Huế").encode()
    evening = 1_790_000_000.0
    pipeline.submit(Scan(payload=payload, lane="out", wall_time=evening, monotonic_ns=10**12))
    morning = pipeline.submit(Scan(payload=payload, lane="in", wall_time=evening + 14 * 3600,
                                   monotonic_ns=10**12 + 60 * 10**9))
    assert (morning.status, morning.direction.value, morning.recorded) == (
        Status.ACCEPTED, "in", True)


def test_a_kiosk_scan_seconds_after_the_system_clock_steps_back_is_a_double_scan(
        tmp_path, libfaketime):
    """Real processes, the second under libfaketime an hour behind (its monotonic clock left
    alone, as a clock step leaves it): the same card read again is DUPLICATE, and the person
    is still inside."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[store]\npath = "kiosk.db"\n[policy]\ndefault_direction = "auto"\n'
                      'duplicate_window_seconds = 300\n', encoding="utf-8")
    payload = CCCD.format(name="Trần Thị Bình", address="Đà Nẵng")

    def scan(**env: str) -> list[str]:
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", payload,
                               "--config", str(config)], capture_output=True, text=True,
                              timeout=60, env={**os.environ, **env})
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()[1:3]  # after the time: the status and the direction

    assert scan() == ["ACCEPTED", "IN"]
    assert scan(LD_PRELOAD=str(libfaketime), FAKETIME="-1h",
                DONT_FAKE_MONOTONIC="1") == ["DUPLICATE", "IN"]
    stats = subprocess.run([sys.executable, "-m", "kiosk.cli", "stats", "--config", str(config)],
                           capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert stats[2].split() == ["Inside", "now", "1"]


def test_an_entry_written_while_the_clock_is_behind_is_flagged_and_inside_now_stays_right(
        make_pipeline):
    """In at 10:00; the clock is then set back an hour; out a minute later (09:01 on the
    clock). The "out" is flagged with how far behind the clock was and the earliest time it
    can have happened, which travels to the centre in ``extra``; "inside now" counts the
    person as gone (it kept them inside, since 09:01 is "before" 10:00)."""
    from kiosk.sync import protocol

    pipeline = make_pipeline(duplicate_window_seconds=0)
    store = pipeline.store
    payload = CCCD.format(name="Nguyễn Văn An", address="Số 1 Phố Huế").encode()
    ten = 1_790_000_000.0
    came = pipeline.submit(Scan(payload=payload, lane="in", wall_time=ten, monotonic_ns=10**12))
    assert store.inside_count("CP-T", now=ten + 1) == 1
    left = pipeline.submit(Scan(payload=payload, lane="out", wall_time=ten - 3600 + 60,
                                monotonic_ns=10**12 + 60 * 10**9))
    rows = {r["id"]: r for r in store.entries(subject="001099012345")}
    assert "clock_behind" not in json.loads(rows[came.entry_id]["extra"])
    flag = json.loads(rows[left.entry_id]["extra"])["clock_behind"]
    assert flag == {"seconds": 3600.0, "not_before": utc_iso(ten + 60)}
    assert protocol.entry_to_wire(rows[left.entry_id])["extra"]["clock_behind"] == flag
    assert store.inside_count("CP-T", now=ten - 3600 + 61) == 0  # the clock still behind
    assert store.inside_count("CP-T", now=ten + 61) == 0  # and once it is put right


def test_scans_a_second_out_of_order_across_devices_are_not_a_clock_step(make_pipeline):
    pipeline = make_pipeline(duplicate_window_seconds=0)
    for i, at in enumerate((100.0, 99.2)):
        pipeline.submit(Scan(payload=CCCD.format(name=f"Người {i}", address="Huế").encode(),
                             lane="in", wall_time=1_790_000_000.0 + at))
    assert all("clock_behind" not in json.loads(r["extra"])
               for r in pipeline.store.entries(since="2000", until="2100"))


def test_the_clock_check_sees_entries_another_writer_recorded_between_two_scans(
        make_pipeline):
    """The pipeline's Store remembers the newest entry its own scans wrote; an entry another
    program records meanwhile (``kiosk scan`` on a Store of its own), or a row written on
    the pipeline's own connection outside a scan, is newer than what it remembers: the
    next scan's clock check is made against it all the same."""
    from kiosk.pipeline import Pipeline
    from kiosk.store import Store

    pipeline = make_pipeline(duplicate_window_seconds=0)
    store = pipeline.store
    ten = 1_790_000_000.0

    def scan(on: Pipeline, i: int, at: float) -> dict:
        result = on.submit(Scan(payload=CCCD.format(name=f"Người {i}", address="Huế").encode(),
                                lane="in", wall_time=at, monotonic_ns=10**12 + i))
        rows = {r["id"]: r for r in store.entries(since="2000", until="2100")}
        return json.loads(rows[result.entry_id]["extra"])

    assert "clock_behind" not in scan(pipeline, 1, ten)
    other = Store(store.path)
    try:  # another program's pipeline
        assert "clock_behind" not in scan(Pipeline(other, pipeline.policy), 2, ten + 3600)
    finally:
        other.close()
    assert scan(pipeline, 3, ten + 60)["clock_behind"]["seconds"] == 3540.0
    store.conn.execute(  # the same connection, outside a scan (a repair, a test's data)
        "UPDATE entries SET scanned_at = ? WHERE scanned_at = ?",
        (utc_iso(ten + 7200), utc_iso(ten + 3600)))
    assert scan(pipeline, 4, ten + 120)["clock_behind"]["seconds"] == 7080.0


_AHEAD_THEN_FULL = """
import json, resource, signal, sys
from kiosk.pipeline import Pipeline, Policy
from kiosk.ids import uuid7
from kiosk.scan import Scan
from kiosk.store import Store

store = Store(sys.argv[1])
pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k", duplicate_window_seconds=0))
ten = 1_790_000_000.0

def scan(i, at):
    payload = f"0010990123{i:02d}|123456789|Người {i}|01021990|Nam|Huế|10102021".encode()
    return pipeline.submit(Scan(payload=payload, lane="in", wall_time=at,
                                monotonic_ns=10**12 + i))

assert scan(1, ten).recorded
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))  # no room for a page of the log
ahead = scan(2, ten + 3600)
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
later = scan(3, ten + 60)
rows = {r["id"]: r for r in store.entries(since="2000", until="2100")}
print(json.dumps([ahead.reason_code, later.recorded, json.loads(rows[later.entry_id]["extra"]),
                  len(rows)]))
store.close()
"""


def test_a_scan_whose_commit_failed_is_not_the_newest_the_clock_check_remembers(tmp_path):
    """The Store remembers the newest entry its own scans left, but only once their COMMIT
    returned. A real process, a file-size limit on it: a scan an hour ahead is written
    (its statements run) and its COMMIT cannot write the log (a full disk as SQLite meets
    it): refused, rolled back. Room again, the next scan a minute after the first is
    compared with the entry on disk, not with the one never saved: not flagged."""
    proc = subprocess.run([sys.executable, "-c", _AHEAD_THEN_FULL, str(tmp_path / "k.db")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    reason, recorded, extra, stored = json.loads(proc.stdout.splitlines()[-1])
    assert reason == "storage_error"
    assert recorded and "clock_behind" not in extra
    assert stored == 2


def test_a_kiosk_scan_after_the_system_clock_steps_back_is_flagged(tmp_path, libfaketime):
    """Real processes, the second under libfaketime an hour behind (its monotonic clock
    left alone, as a clock step leaves it): flagged, and the person is not inside."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[store]\npath = "kiosk.db"\n', encoding="utf-8")
    payload = CCCD.format(name="Trần Thị Bình", address="Đà Nẵng")

    def scan(direction: str, **env: str) -> None:
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", payload,
                               "--direction", direction, "--config", str(config)],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, **env})
        assert proc.returncode == 0, proc.stderr

    scan("in")
    scan("out", LD_PRELOAD=str(libfaketime), FAKETIME="-1h", DONT_FAKE_MONOTONIC="1")
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        extras = [json.loads(e) for (e,) in conn.execute(
            "SELECT extra FROM entries ORDER BY monotonic_ns")]
    assert "clock_behind" not in extras[0]
    assert 3590 < extras[1]["clock_behind"]["seconds"] < 3610
    stats = subprocess.run([sys.executable, "-m", "kiosk.cli", "stats", "--config", str(config)],
                           capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert stats[2].split() == ["Inside", "now", "0"]


# -- the last movement, against its definition --------------------------------------------
PEOPLE = [CCCD.format(name="Nguyễn Văn An", address="Huế"),
          "079301004567||Trần Thị Bình|15071985|Nữ|Quận 1|20052021"]


def definition(store, subject: str, checkpoint: str, boot: str) -> tuple | None:
    """The person's last movement here, row by row: their entry of the running boot with the
    highest monotonic time, else their entry with the latest wall time (the later written
    on a tie: ids grow in the order entries are written)."""
    rows = store.conn.execute(
        "SELECT id, scanned_at, direction, boot_id, monotonic_ns FROM entries "
        "WHERE subject_key = ? AND checkpoint_id = ?", (subject, checkpoint)).fetchall()
    in_boot = [r for r in rows if r[3] == boot]
    if in_boot:
        return max(in_boot, key=lambda r: (r[4], r[0]))[:3]
    return max(rows, key=lambda r: (r[1], r[0]))[:3] if rows else None


def fast(store, subject: str, checkpoint: str, boot: str) -> tuple | None:
    last = store.last_movement(subject, checkpoint, boot)
    return (last.entry_id, utc_iso(last.scanned_at.timestamp()), last.direction) if last else None


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(scans=st.lists(st.tuples(
    st.integers(0, len(PEOPLE) - 1),             # who
    st.sampled_from(["CP-A", "CP-B"]),           # which checkpoint's kiosk
    st.booleans(),                               # the machine restarts before this scan
    st.floats(-7200, 7200),                      # the wall clock jumps (or not)
    st.integers(-2_000, 60_000),                 # ms since the last scan: devices race a little
    st.sampled_from(["in", "out", "auto"]),
), max_size=25))
def test_the_last_movement_read_from_presence_is_its_definition(tmp_path_factory, scans):
    """Reboots (a boot's entries are written while it runs), wall clocks stepped back and
    forth, two devices' scans written a little out of monotonic order, two checkpoints:
    after every scan, the one-row answer equals the definition for every person."""
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.store import Store

    store = Store(tmp_path_factory.mktemp("last") / "kiosk.db")
    pipelines = {cp: Pipeline(store, Policy(checkpoint_id=cp, kiosk_id=f"k-{cp}",
                                            duplicate_window_seconds=0)) for cp in ("CP-A",
                                                                                    "CP-B")}
    boot, wall, monotonic = 0, 1_790_000_000.0, 10**12
    for who, cp, restart, jump, elapsed_ms, lane in scans:
        if restart:
            boot, monotonic = boot + 1, 10**9
        wall += jump + elapsed_ms / 1000
        monotonic = max(0, monotonic + elapsed_ms * 10**6)
        for pipeline in pipelines.values():
            pipeline.boot_id = f"boot-{boot}"
        pipelines[cp].submit(Scan(payload=PEOPLE[who].encode(), lane=lane, wall_time=wall,
                                  monotonic_ns=monotonic))
        for subject in {s for (s,) in store.conn.execute("SELECT subject_key FROM entries")}:
            for checkpoint in ("CP-A", "CP-B"):
                assert fast(store, subject, checkpoint, f"boot-{boot}") == \
                    definition(store, subject, checkpoint, f"boot-{boot}")
    store.close()


def test_a_store_upgraded_within_the_boot_knows_each_persons_last_movement(tmp_path):
    """Schema v6 keeps the last movement in ``presence``: a store the previous program wrote
    during this same boot (and an earlier one) answers by the definition right after the
    upgrade, before anyone scans again."""
    from kiosk.ids import boot_id
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.store import ENTRY_COLUMNS, MIGRATIONS, Store

    older = Store(tmp_path / "new.db")
    pipeline = Pipeline(older, Policy(checkpoint_id="CP", kiosk_id="k",
                                      duplicate_window_seconds=0))
    now = 1_790_000_000.0
    for i, (boot, at) in enumerate([("earlier", now), (boot_id(), now - 3600),
                                    (boot_id(), now - 7200), ("earlier", now + 60)]):
        pipeline.boot_id = boot
        pipeline.submit(Scan(payload=PEOPLE[i % 2].encode(), lane="auto", wall_time=at,
                             monotonic_ns=10**12 + i * 10**9))
    rows = older.conn.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries").fetchall()
    older.close()
    conn = sqlite3.connect(tmp_path / "kiosk.db", isolation_level=None)
    for number, step in enumerate(MIGRATIONS[:5], start=1):
        step(conn)
        if number == 2:  # the entries as the v5 program wrote them; v3 rebuilds presence
            conn.executemany(f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
                             f"VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})", rows)
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    store = Store(tmp_path / "kiosk.db")
    assert store.schema_version == len(MIGRATIONS)
    subjects = [s for (s,) in store.conn.execute("SELECT DISTINCT subject_key FROM entries")]
    for subject in subjects:
        for boot in (boot_id(), "earlier", "a later one"):
            assert fast(store, subject, "CP", boot) == definition(store, subject, "CP", boot)
    store.close()


def test_the_last_movement_of_a_frequent_visitor_costs_what_a_newcomers_does(tmp_path):
    """Read from one row whatever the history: the work SQLite does (its virtual machine's
    steps) for someone seen 400 times, in this boot or only in an earlier one, is the work
    for someone seen twice — it used to read every entry of the person."""
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.store import Store

    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k",
                                      duplicate_window_seconds=0))
    frequent, newcomer = (p.encode() for p in PEOPLE)
    now = 1_790_000_000.0
    for i in range(400):
        pipeline.submit(Scan(payload=frequent, lane="auto", wall_time=now + i * 60,
                             monotonic_ns=10**12 + i * 60 * 10**9))
    for i in range(2):
        pipeline.submit(Scan(payload=newcomer, lane="auto", wall_time=now + i * 60,
                             monotonic_ns=10**12 + i * 60 * 10**9))
    subjects = dict(store.conn.execute(
        "SELECT count(*), subject_key FROM entries GROUP BY subject_key").fetchall())

    def steps(subject: str, boot: str) -> int:
        counted = [0]

        def count() -> int:
            counted[0] += 1
            return 0
        with store.lock:  # the steps of this read only, not the upkeep thread's move of
            store.conn.set_progress_handler(count, 1)  # the 402 names on the same connection
            assert store.last_movement(subject, "CP", boot) is not None
            store.conn.set_progress_handler(None, 0)
        return counted[0]

    for boot in (pipeline.boot_id, "the next boot"):
        assert steps(subjects[400], boot) == steps(subjects[2], boot), boot
    store.close()


class _ReadingStore(Store):
    """A Store that reads the newest entry back on every scan: what the clock check did
    before the Store remembered what its own scans left (the oracle of the test below)."""

    def _newest_now(self, conn: sqlite3.Connection, version: int) -> Any:
        self._newest = None
        return super()._newest_now(conn, version)


WRITES = st.lists(st.tuples(
    st.sampled_from(["scan", "scan", "scan", "other kiosk", "repair", "delete newest",
                     "index names", "restart", "acknowledge"]),
    st.sampled_from([0, 1, 60, -60, 3600, -3600, 7200]),  # the wall clock's jump
    st.sampled_from([0, 1, 10**9, 60 * 10**9])),           # the monotonic clock's step
    min_size=1, max_size=40)


def _flags(tmp_path, make_store: type[Store], writes) -> list[str]:
    """Apply ``writes`` to a new store through two Stores (the scanning one, and another
    program's); each entry's clock flag, in the order written."""
    from kiosk.pipeline import Pipeline, Policy

    path = tmp_path / f"{make_store.__name__}-{os.urandom(4).hex()}.db"
    ours, theirs = make_store(path), Store(path)
    policy = Policy(checkpoint_id="CP", kiosk_id="k", duplicate_window_seconds=0)
    pipeline, other = Pipeline(ours, policy), Pipeline(theirs, policy)
    at, mono = 1_790_000_000.0, 10**12
    try:
        for step, (write, jump, tick) in enumerate(writes):
            at, mono = at + jump + 1, mono + tick
            payload = CCCD.format(name=f"Người {step}", address="Huế").encode()
            if write in ("scan", "other kiosk"):
                (pipeline if write == "scan" else other).submit(
                    Scan(payload=payload, lane="in", wall_time=at, monotonic_ns=mono))
            elif write == "repair":  # on the scanning connection, outside a scan
                with ours.lock:
                    ours.conn.execute("UPDATE entries SET scanned_at = ? WHERE id = "
                                      "(SELECT max(id) FROM entries)", (utc_iso(at + 5000),))
            elif write == "delete newest":
                with theirs.transaction() as conn:
                    conn.execute("DELETE FROM entries WHERE id = (SELECT id FROM entries "
                                 "ORDER BY scanned_at DESC LIMIT 1)")
            elif write == "index names":
                ours.index_names()
            elif write == "restart":
                pipeline.boot_id = f"boot-{step}"
            else:
                theirs.mark_synced([r["id"] for r in theirs.pending(3)], {})
        return [json.dumps(json.loads(r["extra"]).get("clock_behind"))
                for r in sorted(ours.entries(since="2000", until="2100"),
                                key=lambda r: r["id"])]
    finally:
        ours.close()
        theirs.close()


@settings(max_examples=40, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(writes=WRITES)
@example(writes=[("scan", 0, 0), ("other kiosk", 3600, 0), ("scan", -3600, 0)])
@example(writes=[("scan", 0, 0), ("repair", 0, 0), ("scan", 0, 0)])
def test_the_remembered_newest_entry_flags_exactly_what_reading_it_back_flags(
        tmp_path, monkeypatch, writes):
    """Whatever else writes between two scans — another program's kiosk, a repair on the
    scanning connection, the newest entry deleted, the names moved into the index, an
    acknowledgement — and however the clocks jump, every entry is flagged exactly as when
    the newest entry is read back for each scan. (The upkeep thread moves names only when
    told here: its move after a pause would, at the machine's pace, make the Store read the
    newest entry back anyway and hide a write it failed to notice.)"""
    from kiosk import upkeep

    monkeypatch.setattr(upkeep, "CHECKPOINT_QUIET_SECONDS", 3600.0)

    assert _flags(tmp_path, Store, writes) == _flags(tmp_path, _ReadingStore, writes)


# -- the retention purge, with a clock far off ----------------------------------------------
def test_a_scan_of_this_boot_is_not_purged_because_the_clock_was_far_behind(tmp_path,
                                                                             libfaketime):
    """A flat RTC battery: `kiosk scan` runs with the wall clock 60 days behind (its monotonic
    clock left alone), and the centre acknowledges the scan. The clock is put right: by the
    wall clock the scan is past the 21-day retention, but the running boot's monotonic clock
    says it is minutes old, so the purge keeps it — also with the clock 60 days ahead. The
    same entry from an earlier boot, where only the wall clock can tell, is purged; this
    one goes once the monotonic clock too says 21 days have passed. An entry the centre has
    not acknowledged stays whatever both clocks say."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[store]\npath = "kiosk.db"\n', encoding="utf-8")
    for payload in PEOPLE:
        proc = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "scan", payload,
             "--direction", "in", "--config", str(config)], capture_output=True, text=True,
            timeout=60, env={**os.environ, "LD_PRELOAD": str(libfaketime), "FAKETIME": "-60d",
                             "DONT_FAKE_MONOTONIC": "1"})
        assert proc.returncode == 0, proc.stderr
    store = Store(tmp_path / "kiosk.db")
    try:
        fresh, unsent = (store.entries(search=name)[0] for name in ("an", "binh"))
        assert fresh["scanned_at"] < utc_iso(time.time() - 59 * 86400)
        earlier_boot = {**fresh, "id": uuid7(), "boot_id": "an-earlier-boot"}
        with store.transaction() as conn:
            store.insert_entry(conn, earlier_boot)
        store.mark_synced([fresh["id"], earlier_boot["id"]], {})

        assert store.purge(retention_days=21) == 1
        assert store.purge(retention_days=21, now=time.time() + 60 * 86400) == 0
        assert {r["id"] for r in store.entries()} == {fresh["id"], unsent["id"]}

        weeks_later = time.monotonic_ns() + 22 * 86400 * 10**9
        assert store.purge(retention_days=21, now_monotonic_ns=weeks_later) == 1
        assert [r["id"] for r in store.entries()] == [unsent["id"]]
        assert store.purge(retention_days=21, now=time.time() + 400 * 86400,
                           now_monotonic_ns=weeks_later * 20) == 0
        assert store.sync_counts()["pending"] == 1
    finally:
        store.close()


def test_a_scan_flagged_as_written_with_the_clock_behind_is_kept_across_a_reboot(make_pipeline):
    """A flat RTC battery, the next morning: the kiosk boots 60 days in the past and records a
    scan before NTP puts the clock right. The store flags it (written behind yesterday's
    newest entry: it happened after that). After another reboot only the wall clock can tell
    its age, and its wall time says 60 days: it is kept until the time it really happened
    (``not_before``) is past retention, as "inside now" already counts it."""
    pipeline = make_pipeline(duplicate_policy="allow")
    store = pipeline.store
    yesterday = time.time() - 86400
    pipeline.boot_id = "yesterday"
    pipeline.submit(Scan(payload=b"yesterday's scan", wall_time=yesterday, monotonic_ns=10**12))
    pipeline.boot_id = "this morning, battery flat"
    flat = pipeline.submit(Scan(payload=b"before NTP", wall_time=time.time() - 60 * 86400,
                                monotonic_ns=10**9))
    flagged = store.entries(subject=flat.identity.subject_key)[0]
    assert json.loads(flagged["extra"])["clock_behind"]["not_before"] == utc_iso(yesterday)
    store.mark_synced([r["id"] for r in store.entries()], {})

    assert store.purge(retention_days=21) == 0  # a later boot: this process's
    assert len(store.entries()) == 2
    assert store.purge(retention_days=21, now=yesterday + 22 * 86400) == 2
    assert store.entries() == []


def restarted(pipeline: Pipeline) -> Pipeline:
    """The kiosk started again over the same store: a new boot, its own clock."""
    return Pipeline(pipeline.store, pipeline.policy)


def test_a_person_in_a_week_ago_is_going_in_again_after_a_restart_at_1970(make_pipeline):
    """An came in a week ago, Bình yesterday; the kiosk restarts at 1970 (a flat RTC battery)
    and An, on an "auto" lane, scans. A negative interval from an earlier boot counted as
    recent: An was recorded going OUT. How long it has been is unknown (the entry is
    flagged with the clock behind, at least yesterday's newest entry): not recent, An is
    going in."""
    before = make_pipeline(duplicate_window_seconds=300)
    before.boot_id = "last week's boot"
    now = time.time()
    an = CCCD.format(name="Nguyễn Văn An", address="Số 1 Phố Huế").encode()
    binh = ("079301004567||Trần Thị Bình|15071985|Nữ|12 Nguyễn Huệ|20052021").encode()
    before.submit(Scan(payload=an, lane="auto", wall_time=now - 7 * 86400))
    before.submit(Scan(payload=binh, lane="auto", wall_time=now - 86400))
    today = restarted(before).submit(Scan(payload=an, lane="auto", wall_time=3 * 86400.0))
    assert (today.status, today.direction.value) == (Status.ACCEPTED, "in")
    [row] = [r for r in before.store.entries() if r["id"] == today.entry_id]
    assert json.loads(row["extra"])["clock_behind"]["not_before"] == utc_iso(now - 86400)


def test_a_clock_set_back_across_a_restart_is_no_double_scan_of_a_movement_long_before(
        make_pipeline):
    """An goes in; the kiosk restarts with its clock set back, reading 3 min 20 s before
    An's entry, and An scans again (block: a double scan is refused, not recorded). The
    interval was taken as the clock's -200 s, within the 5 minutes of a double scan: An's
    scan was refused, a passage that may be hours later lost. How long it has been is
    unknown: neither a double scan nor recent — An's scan is recorded, going in, flagged
    with the clock behind."""
    before = make_pipeline(duplicate_window_seconds=300, duplicate_policy="block")
    before.boot_id = "the boot before"
    ten = time.time() - 3600
    an = CCCD.format(name="Nguyễn Văn An", address="Số 1 Phố Huế").encode()
    before.submit(Scan(payload=an, lane="auto", wall_time=ten))
    again = restarted(before).submit(Scan(payload=an, lane="auto", wall_time=ten - 200))
    assert (again.status, again.direction.value) == (Status.ACCEPTED, "in")
    [row] = [r for r in before.store.entries() if r["id"] == again.entry_id]
    assert "clock_behind" in json.loads(row["extra"])


@pytest.fixture
def system_zone_utc(monkeypatch):
    """The process's own zone is UTC, as on many Linux images (restored afterwards)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def issued_on(day: dt.date) -> bytes:
    return f"001099012345||Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế|{day:%d%m%Y}".encode()


def zoned_pipeline(tmp_path, zone: str) -> Pipeline:
    config = make_config(tmp_path, kiosk={"timezone": zone})
    return Pipeline(Store(config.store_path, timezone=config.timezone), policy_from(config))


def test_a_card_issued_today_in_the_configured_zone_is_taken_whatever_the_systems_zone(
        tmp_path, system_zone_utc):
    """01:00 on 15 June in Hồ Chí Minh City is still 14 June in UTC, the process's zone: a
    CCCD issued on the 15th is issued today at this checkpoint, and taken; one issued on the
    16th is still in the future, and refused. The date is the scan's own, in the configured
    zone (not the system's, nor the moment the check happens to run)."""
    pipeline = zoned_pipeline(tmp_path, "Asia/Ho_Chi_Minh")
    at = dt.datetime(2031, 6, 15, 1, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).timestamp()
    try:
        taken = pipeline.submit(Scan(payload=issued_on(dt.date(2031, 6, 15)), wall_time=at))
        refused = pipeline.submit(Scan(payload=issued_on(dt.date(2031, 6, 16)), wall_time=at))
    finally:
        pipeline.store.close()
    assert taken.status == Status.ACCEPTED
    assert (refused.status, refused.reason_code) == (Status.REJECTED, "cccd_bad_field")
    assert refused.reason_in("en") == "Invalid CCCD code: issue date '16062031': in the future"


def test_a_card_issued_tomorrow_in_a_zone_west_of_utc_is_refused_though_utc_is_there(
        tmp_path, system_zone_utc):
    """The other way round: 20:00 on 14 June 2031 in Los Angeles is already 15 June in
    UTC; a card issued on the 15th is in the future at that checkpoint, and refused (a year
    after the release: before it, the release floor decides, not the zone)."""
    pipeline = zoned_pipeline(tmp_path, "America/Los_Angeles")
    at = dt.datetime(2031, 6, 14, 20, 0, tzinfo=ZoneInfo("America/Los_Angeles")).timestamp()
    try:
        refused = pipeline.submit(Scan(payload=issued_on(dt.date(2031, 6, 15)), wall_time=at))
        taken = pipeline.submit(Scan(payload=issued_on(dt.date(2031, 6, 14)), wall_time=at))
    finally:
        pipeline.store.close()
    assert (refused.status, refused.reason_code) == (Status.REJECTED, "cccd_bad_field")
    assert taken.status == Status.ACCEPTED


def test_a_refused_scan_of_this_boot_outlives_a_clock_a_year_ahead(make_pipeline):
    """Refused scans are the evidence of "why was this card refused" for the technician and
    the officer: the kiosk's clock jumping a year ahead must not purge this boot's at once.
    The running boot's monotonic clock says they are a minute old, so they stay until it
    too says the retention has passed; the same refusal from an earlier boot, where only
    the wall clock can tell, goes."""
    pipeline = make_pipeline()
    store = pipeline.store
    now, monotonic = time.time(), time.monotonic_ns()
    pipeline.submit(Scan(payload=b"", device_id="this-boot", wall_time=now,
                         monotonic_ns=monotonic))
    pipeline.boot_id = "an-earlier-boot"
    pipeline.submit(Scan(payload=b"", device_id="earlier-boot", wall_time=now,
                         monotonic_ns=monotonic))

    def kept() -> list[str]:
        return [d for (d,) in store.conn.execute("SELECT device_id FROM refused_scans")]

    a_year_ahead = now + 366 * 86400
    assert store.purge(retention_days=21, now=a_year_ahead, now_monotonic_ns=monotonic + 60 * 10**9
                       ) == 1
    assert kept() == ["this-boot"]
    assert store.purge(retention_days=21, now=a_year_ahead,
                       now_monotonic_ns=monotonic + 22 * 86400 * 10**9) == 1
    assert kept() == []


# -- ids after the clock is set back from a time far ahead --------------------------------
_SCAN_ON_CUE = """
import json, sys, time
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store

store = Store(sys.argv[1])
pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k", duplicate_window_seconds=0))
for line in sys.stdin:
    name, number = line.split()
    payload = f"{number}|123456789|{name}|01021990|Nam|Huế|10102021".encode()
    result = pipeline.submit(Scan(payload=payload, lane="in"))
    if line.startswith("An "):
        store.index_names()  # the search index's mark now at the id made far ahead
    print(json.dumps([result.recorded, result.entry_id, time.time()]), flush=True)
store.close()
"""


def test_a_clock_set_right_from_far_ahead_gives_ids_of_the_right_time_and_loses_none(
        tmp_path, libfaketime):
    """A real kiosk process whose system clock runs 200 days ahead (libfaketime, its
    monotonic clock left alone) scans An, then the clock is set right while it runs and it
    scans Bình and Cúc. Their ids carry the clock's time again (they kept An's, 200 days
    ahead, until a restart: the centre files, traces, purges and erases by the id's day);
    nothing pending is lost for sync (read a row at a time through the sync's id cursor,
    all three, in id order) and the names below the search index's mark are found."""
    from kiosk.ids import uuid7_time_ms
    from kiosk.sync.uploader import pending_rows

    clock = tmp_path / "faketime"
    clock.write_text("+200d\n", encoding="ascii")
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCAN_ON_CUE, str(tmp_path / "k.db")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "LD_PRELOAD": str(libfaketime), "FAKETIME_TIMESTAMP_FILE": str(clock),
             "FAKETIME_NO_CACHE": "1", "DONT_FAKE_MONOTONIC": "1"})
    assert proc.stdin is not None and proc.stdout is not None

    def scan(name: str, number: str) -> tuple[str, float]:
        proc.stdin.write(f"{name} {number}\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        recorded, entry_id, clock_then = json.loads(line)
        assert recorded
        return entry_id, clock_then

    try:
        ahead, ahead_clock = scan("An", "001099012301")
        assert ahead_clock > time.time() + 199 * 86400
        clock.write_text("+0\n", encoding="ascii")  # set right while the kiosk runs
        later = [scan("Bình", "001099012302"), scan("Cúc", "001099012303")]
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert abs(uuid7_time_ms(ahead) - ahead_clock * 1000) < 5000
    for entry_id, clock_then in later:
        assert abs(uuid7_time_ms(entry_id) - clock_then * 1000) < 5000, entry_id
    (b, _), (c, _) = later
    assert b < c < ahead  # increasing again after the step
    store = Store(tmp_path / "k.db")
    try:
        assert [r["id"] for r in pending_rows(store, "k", chunk=1)] == [b, c, ahead]
        rows = {r["id"]: r for r in store.entries(since="2000", until="2100")}
        assert all("clock_behind" in json.loads(rows[i]["extra"]) for i in (b, c))
        for name, entry_id in (("binh", b), ("cuc", c), ("an", ahead)):
            found = store.entries(search=name, since="2000", until="2100")
            assert [r["id"] for r in found] == [entry_id], name
    finally:
        store.close()
