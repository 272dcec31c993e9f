"""A wall clock that ran ahead, then was put right, within the running boot: the kiosk ages
that boot's entries and refused scans by the monotonic clock, so the jump neither keeps
names past ``store.retention_days`` (docs/privacy.md) nor keeps people "inside now". Real
store files; the clocks passed as values, or moved by libfaketime for real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest

from kiosk.scan import Scan
from tests.conftest import CCCD_AN, CCCD_BINH

DAY = 86400.0
AHEAD = 200 * DAY
NOW = time.time()
BOOTED = NOW - 60 * DAY
"""The kiosk has run since it booted 60 days ago: its monotonic clock reads 60 days now."""
CCCD_CUONG = "001099012399|123456781|Lê Văn Cường|01021991|Nam|Số 3, Hà Nội|10102021"


def clocks(at: float, ahead: float = 0.0) -> dict[str, Any]:
    """A scan's clocks at real time ``at``, the wall clock ``ahead`` of it."""
    return {"wall_time": at + ahead, "monotonic_ns": int((at - BOOTED) * 1e9)}


def mono(at: float) -> int:
    return int((at - BOOTED) * 1e9)


def count(store: Any, table: str) -> int:
    return store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_scans_of_a_boot_whose_clock_ran_ahead_leave_at_the_retention(tmp_path, libfaketime):
    """Three `kiosk scan` processes in one boot, the middle one while the wall clock ran
    200 days ahead (its monotonic clock left alone, as a clock step leaves it); the third,
    the clock put right, is flagged as written with the clock behind the second. Ten days
    on, no one is inside (the window is a day); thirty days on, all three acknowledged, a
    21-day purge removes all three. It kept the second (dated 200 days ahead) and the
    third (counted from the second's time), and kept both "inside", for 200 days."""
    from kiosk.store import Store

    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[store]\npath = "kiosk.db"\n', encoding="utf-8")

    def scan(payload: str, **env: str) -> None:
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", payload,
                               "--config", str(config)], capture_output=True, text=True,
                              timeout=60, env={**os.environ, **env})
        assert proc.returncode == 0, proc.stderr

    scan(CCCD_AN)
    scan(CCCD_BINH, LD_PRELOAD=str(libfaketime), FAKETIME="+200d", DONT_FAKE_MONOTONIC="1")
    scan(CCCD_CUONG)
    store = Store(tmp_path / "kiosk.db")
    try:
        assert store.inside_count("CP1") == 3
        assert store.inside_count("CP1", now=time.time() + 10 * DAY) == 0
        store.mark_synced([r["id"] for r in store.pending(10)], {})
        later = 30 * DAY
        assert store.purge(21, now=time.time() + later,
                           now_monotonic_ns=time.monotonic_ns() + int(later * 1e9)) == 3
        assert count(store, "entries") == 0
    finally:
        store.close()


@pytest.mark.parametrize("clock_now", [0.0, -10 * DAY], ids=["clock-right", "clock-behind"])
def test_a_purge_ages_the_running_boots_rows_by_the_monotonic_clock(make_pipeline, clock_now):
    """Thirty days ago: a scan, a scan and a refused scan while the wall clock ran 200 days
    ahead, then a scan with the clock put right. A day ago: a scan while the clock ran
    ahead again. The purge, now (the wall clock right, or ten days behind), removes what
    is 30 days old by the monotonic clock whatever the wall times say, and keeps the
    day-old scan dated 200 days ahead."""
    pipeline = make_pipeline(duplicate_policy="allow")
    old = NOW - 30 * DAY
    for payload, at, ahead in ((CCCD_AN, old, 0.0), (CCCD_BINH, old + 60, AHEAD),
                               (b"", old + 61, AHEAD), (CCCD_CUONG, old + 120, 0.0),
                               (CCCD_AN, NOW - DAY, AHEAD)):
        pipeline.submit(Scan(payload=payload if isinstance(payload, bytes)
                             else payload.encode(), **clocks(at, ahead)))
    store = pipeline.store
    assert count(store, "refused_scans") == 1
    store.mark_synced([r["id"] for r in store.pending(10)], {})
    store.purge(21, now=NOW + clock_now, now_monotonic_ns=mono(NOW))
    kept = store.conn.execute("SELECT monotonic_ns FROM entries").fetchall()
    assert kept == [(mono(NOW - DAY),)]
    assert count(store, "refused_scans") == 0


def test_inside_now_ends_a_day_after_the_scans_of_a_clock_that_ran_ahead(make_pipeline):
    """In, three people a minute apart; the second scanned while the wall clock ran 200
    days ahead, the third (the clock put right) counted from the second's time. A day and
    an hour later by both clocks, none is inside: it counted the second and third for 200
    days."""
    pipeline = make_pipeline()
    start = NOW - 2 * DAY
    for i, payload in enumerate((CCCD_AN, CCCD_BINH, CCCD_CUONG)):
        pipeline.submit(Scan(payload=payload.encode(), lane="in",
                             **clocks(start + 60 * i, AHEAD if i == 1 else 0.0)))
    store = pipeline.store
    checkpoint = pipeline.policy.checkpoint_id
    at = start + 3600
    assert store.inside_count(checkpoint, now=at, now_monotonic_ns=mono(at)) == 3
    at = start + DAY + 3600
    assert store.inside_count(checkpoint, now=at, now_monotonic_ns=mono(at)) == 0
