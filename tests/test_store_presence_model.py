"""``presence`` against the entries it is derived from, under a hostile sequence of events.

Two stores on one file (the officer's lane and ``kiosk scan`` from a terminal) write in
turn; the wall clock jumps back and forward across the inside window and midnight; the
kiosk reboots (a new boot id, the monotonic clock restarting); the purge runs with the
clock ahead or right; the store is recovered. After every step "inside now" (for several
times asked) and each person's last movement, as either store answers them, equal the
definitions computed from the entries alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import recovery
from kiosk import store as store_module
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import INSIDE_WINDOW, Store
from kiosk.timestamps import utc_iso
from tests.conftest import CCCD_AN, CCCD_BINH

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOON = dt.datetime(2026, 11, 20, 12, tzinfo=ZONE).timestamp()
PEOPLE = [CCCD_AN, CCCD_BINH, "038085001234||Lê Văn Tú|02031985|Nam|Thanh Hóa|01012022"]
CHECKPOINTS = ("CP-A", "CP-B")
HOUR = 3600.0

scan = st.tuples(st.just("scan"), st.integers(0, 1), st.integers(0, len(PEOPLE) - 1),
                 st.sampled_from(["in", "out", "auto"]), st.sampled_from(CHECKPOINTS),
                 st.integers(1, 10**12) | st.sampled_from([int(h * HOUR) * 10**9 for h in (
                     5, 25)]))                     # store, who, lane, where, monotonic step
clock = st.tuples(st.just("clock"), st.sampled_from(
    [-30 * HOUR, -25 * HOUR, -13 * HOUR, -1.0, 0.5, 1.0, 3.0, 11 * HOUR, 23.9 * HOUR,
     24 * HOUR, 49 * HOUR]))                       # the wall clock steps by this much
events = st.lists(st.one_of(
    scan, scan, scan, scan, clock, clock,
    st.tuples(st.just("reboot")),
    st.tuples(st.just("purge"), st.integers(0, 1)),
    st.tuples(st.just("recover")),
), max_size=40)


def inside_by_definition(store: Store, checkpoint: str, now: float, boot: str,
                         now_monotonic_ns: int) -> int:
    """People whose latest movement here (by its time, the clock-corrected one when the
    clock was behind; the later written on a tie) within the window was "in", and whose
    latest movement here in the running boot ``boot``, if any, is within the window by the
    monotonic clock too."""
    last: dict[str, tuple[str, str]] = {}
    moved: dict[str, int] = {}
    for subject, direction, at, not_before, boot_id, monotonic_ns in store.conn.execute(
            "SELECT subject_key, direction, scanned_at, json_extract(extra, "
            "'$.clock_behind.not_before'), boot_id, monotonic_ns FROM entries "
            "WHERE checkpoint_id = ? ORDER BY id", (checkpoint,)):
        at = not_before or at
        if subject not in last or at >= last[subject][0]:
            last[subject] = (at, direction)
        if boot_id == boot:
            moved[subject] = max(moved.get(subject, monotonic_ns), monotonic_ns)
    since = utc_iso(now - INSIDE_WINDOW.total_seconds())
    recent = now_monotonic_ns - int(INSIDE_WINDOW.total_seconds()) * 10**9
    return sum(direction == "in" and at >= since and moved.get(subject, recent) >= recent
               for subject, (at, direction) in last.items())


def last_movements_by_definition(store: Store, subject: str, checkpoint: str, boot: str
                                 ) -> set[str]:
    """The entry ids that may answer: the running boot's latest by the monotonic clock (the
    later written on a tie), else any of the newest by the wall clock."""
    rows = store.conn.execute(
        "SELECT id, scanned_at, boot_id, monotonic_ns FROM entries WHERE subject_key = ? "
        "AND checkpoint_id = ? ORDER BY id", (subject, checkpoint)).fetchall()
    ours = [r for r in rows if r[2] == boot]
    if ours:
        return {max(ours, key=lambda r: (r[3], r[0]))[0]}
    newest = max((r[1] for r in rows), default=None)
    return {r[0] for r in rows if r[1] == newest}


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(steps=events, policy=st.sampled_from(["warn", "allow", "block"]))
def test_presence_equals_the_entries_whatever_happens(steps, policy):
    boots = (f"boot-{n}" for n in itertools.count())
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        path = Path(folder) / "k.db"
        state = {"wall": NOON, "boot": next(boots), "mono": 10**9}
        patch.setattr(store_module.time, "time", lambda: state["wall"])
        patch.setattr(recovery, "boot_id", lambda: state["boot"])
        patch.setattr(store_module.ids, "boot_id", lambda: state["boot"])

        def open_stores() -> list[tuple[Store, dict[str, Pipeline]]]:
            opened = []
            for _ in range(2):
                store = Store(path, timezone=ZONE)
                pipelines = {cp: Pipeline(store, Policy(
                    checkpoint_id=cp, kiosk_id="k", duplicate_policy=policy,
                    duplicate_window_seconds=60)) for cp in CHECKPOINTS}
                opened.append((store, pipelines))
            return opened

        stores = open_stores()
        subjects: set[str] = set()
        for step in steps:
            if step[0] == "scan":
                _, which, who, lane, cp, tick = step
                state["mono"] += tick
                pipeline = stores[which][1][cp]
                pipeline.boot_id = state["boot"]
                result = pipeline.submit(Scan(payload=PEOPLE[who].encode(), lane=lane,
                                              wall_time=state["wall"],
                                              monotonic_ns=state["mono"]))
                assert result.identity is not None
                subjects.add(result.identity.subject_key)
            elif step[0] == "clock":
                state["wall"] += step[1]
            elif step[0] == "reboot":
                state["boot"], state["mono"] = next(boots), 10**9
            elif step[0] == "purge":
                stores[step[1]][0].purge(retention_days=3650)
            else:
                for store, _ in stores:
                    store.close()
                recovery.recover(path)
                stores = open_stores()
            for store, _ in stores:
                for cp in CHECKPOINTS:
                    for asked in (state["wall"], state["wall"] - 5 * HOUR,
                                  state["wall"] - 30 * HOUR, state["wall"] + 20 * HOUR):
                        mono = state["mono"] + int((asked - state["wall"]) * 1e9)
                        assert store.inside_count(cp, now=asked, now_monotonic_ns=mono) == \
                            inside_by_definition(store, cp, asked, state["boot"], mono), \
                            (step, cp, asked)
                    for subject in subjects:
                        found = store.last_movement(subject, cp, state["boot"])
                        expected = last_movements_by_definition(
                            store, subject, cp, state["boot"])
                        assert (found.entry_id if found else None) in (expected or {None}), \
                            (step, subject, cp)
        for store, _ in stores:
            store.close()


@pytest.mark.parametrize("out_at", [-13 * HOUR, 0.0], ids=["clock-put-back", "same-time"])
def test_a_recovered_store_counts_inside_as_the_store_did(tmp_path, out_at):
    """Recovery rebuilds ``presence`` from the entries by the rule the store keeps it by:
    an "out" written after the clock was put back 13 hours counts at when it can really
    have happened (``not_before``), and of two movements at the same time the later written
    wins. Rebuilt by the raw ``scanned_at`` (the row holding its maximum), the person who
    left was counted inside again."""
    path = tmp_path / "k.db"
    store = Store(path, timezone=ZONE)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
    now = NOON + 30 * 86400
    for who in (CCCD_AN, CCCD_BINH):
        assert pipeline.submit(Scan(payload=who.encode(), lane="in", wall_time=now)).recorded
        assert pipeline.submit(Scan(payload=who.encode(), lane="out",
                                    wall_time=now + out_at)).recorded
    asked = [now + 60, now - 11 * HOUR, now + 23 * HOUR]
    counted = [store.inside_count("CP", now=at) for at in asked]
    assert counted == [0, 0, 0]
    store.close()
    recovery.recover(path)
    store = Store(path, timezone=ZONE)
    assert [store.inside_count("CP", now=at) for at in asked] == counted
    store.close()


def test_a_code_naming_nobody_stays_out_of_presence_when_recovery_rebuilds_it(tmp_path):
    """A product code scanned in is recorded but puts no one inside, when scanned and after
    recovery rebuilt ``presence`` from the entries (which it did from every entry, so the
    code counted inside again); the person scanned in after it is inside."""
    path = tmp_path / "k.db"
    store = Store(path, timezone=ZONE)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k"))
    for payload in ("https://example.vn/menu?ban=12", CCCD_AN):
        assert pipeline.submit(Scan(payload=payload.encode(), lane="in",
                                    wall_time=NOON)).recorded
    assert store.inside_count("CP", now=NOON + 60) == 1
    store.close()
    recovery.recover(path)
    store = Store(path, timezone=ZONE)
    assert store.inside_count("CP", now=NOON + 60) == 1
    assert len(store.entries()) == 2  # both still recorded
    store.close()


def test_programs_starting_together_on_an_old_store_all_open_it(tmp_path):
    """The kiosk, its sync worker and a technician's ``kiosk status`` start at once on a
    store an earlier program wrote (v9): one migrates it, the others wait for it and open
    the upgraded store. Before, each read the version before taking the write lock, then
    ran the steps already done ("no such index: presence_inside", a backup written by two
    at once: "disk I/O error") and said, wrongly, the file was left at v9."""
    import subprocess
    import sys

    from tests.test_store_upgrade import recorded_store

    failures = []
    for attempt in range(3):
        path = tmp_path / f"{attempt}" / "kiosk.db"
        path.parent.mkdir()
        recorded_store(path, 9)
        go = tmp_path / f"go-{attempt}"
        opening = ("import pathlib, time\n"
                   f"go = pathlib.Path({str(go)!r})\n"
                   "while not go.exists(): time.sleep(0.001)\n"
                   "from kiosk.store import Store\n"
                   f"Store(pathlib.Path({str(path)!r})).close()\n")
        programs = [subprocess.Popen([sys.executable, "-c", opening], stderr=subprocess.PIPE,
                                     text=True) for _ in range(4)]
        time.sleep(1.0)  # all four imported and waiting
        go.touch()
        failures += [p.communicate()[1].strip().splitlines()[-1] for p in programs
                     if p.wait() != 0]
        store = Store(path)
        assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert store.schema_version == len(store_module.MIGRATIONS)
        assert path.with_name("kiosk.db.v9.bak").exists()
        store.close()
    assert failures == []
