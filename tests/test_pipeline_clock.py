"""A wall clock that jumps: the order of a person's movements comes from the monotonic clock
within a boot, never from wall times alone. Real pipeline over a real store file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.scan import Scan
from kiosk.timestamps import utc_iso

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


def test_a_kiosk_scan_after_the_system_clock_steps_back_is_flagged(tmp_path):
    """Real processes, the second under libfaketime an hour behind (its monotonic clock
    left alone, as a clock step leaves it): flagged, and the person is not inside."""
    faketime = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
    if not faketime.exists():
        pytest.skip("libfaketime not installed (scripts/bootstrap.sh installs it)")
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
    scan("out", LD_PRELOAD=str(faketime), FAKETIME="-1h", DONT_FAKE_MONOTONIC="1")
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        extras = [json.loads(e) for (e,) in conn.execute(
            "SELECT extra FROM entries ORDER BY monotonic_ns")]
    assert "clock_behind" not in extras[0]
    assert 3590 < extras[1]["clock_behind"]["seconds"] < 3610
    stats = subprocess.run([sys.executable, "-m", "kiosk.cli", "stats", "--config", str(config)],
                           capture_output=True, text=True, timeout=60).stdout.splitlines()
    assert stats[2].split() == ["Inside", "now", "0"]
