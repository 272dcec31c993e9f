"""A headless kiosk killed mid-stream loses nothing it reported as accepted."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import CCCD_AN

CONFIG = """
[kiosk]
id = "k1"
checkpoint_id = "CP1"
language = "en"
[store]
path = "kiosk.db"
[policy]
duplicate_policy = "allow"
[[devices]]
id = "lane1"
type = "replay"
lane = "in"
path = "-"
"""


def start_kiosk(tmp_path: Path, *extra: str) -> subprocess.Popen:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "run", "--headless", "--config", str(config),
         *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
        env={**os.environ, "DISPLAY": ""},
    )


def feed_forever(proc: subprocess.Popen, prefix: str) -> threading.Thread:
    """Stream unique payloads into the replay device until the process dies."""
    def run() -> None:
        n = 0
        try:
            while True:
                proc.stdin.write(f"{prefix}-{n:06d}\n".encode())
                proc.stdin.flush()
                n += 1
        except (BrokenPipeError, OSError, ValueError):
            pass
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def accepted_ids(proc: subprocess.Popen, count: int) -> list[str]:
    ids = []
    for line in proc.stdout:
        text = line.decode()
        if text.split()[1] == "ACCEPTED":
            ids.append(text.rsplit("id=", 1)[1].strip())
            if len(ids) >= count:
                break
    return ids


def stored_ids(tmp_path: Path) -> set[str]:
    conn = sqlite3.connect(tmp_path / "kiosk.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {row[0] for row in conn.execute("SELECT id FROM entries")}
    conn.close()
    return ids


@pytest.mark.parametrize("after", [1, 150, 700])
def test_sigkill_mid_stream_keeps_every_scan_reported_accepted(tmp_path, after):
    proc = start_kiosk(tmp_path)
    feed_forever(proc, "burst1")
    reported = accepted_ids(proc, after)
    proc.kill()  # SIGKILL: no clean-up, no flush, no goodbye
    proc.wait(timeout=30)
    assert len(reported) == after
    assert set(reported) <= stored_ids(tmp_path)

    # The kiosk restarts on the same file and keeps recording; nothing earlier is harmed.
    again = start_kiosk(tmp_path)
    feed_forever(again, "burst2")
    more = accepted_ids(again, 50)
    again.kill()
    again.wait(timeout=30)
    assert set(reported) | set(more) <= stored_ids(tmp_path)


def test_sigterm_stops_cleanly_after_the_last_committed_scan(tmp_path):
    proc = start_kiosk(tmp_path)
    proc.stdin.write((CCCD_AN + "\n").encode())
    proc.stdin.flush()
    reported = accepted_ids(proc, 1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert "kiosk stopped" in proc.stderr.read().decode()
    assert set(reported) == stored_ids(tmp_path)


def test_headless_run_prints_each_result_as_it_happens(tmp_path):
    proc = start_kiosk(tmp_path, "--until-done")
    out, _ = proc.communicate(
        (CCCD_AN + "\nhttps://example.org\n001099012345||An|31021990|Nam|HN|10102021\n").encode(),
        timeout=60)
    lines = out.decode().splitlines()
    assert [line.split()[1] for line in lines] == ["ACCEPTED", "ACCEPTED", "REJECTED"]
    assert "Nguyễn Văn An" in lines[0] and "IN" in lines[0] and "Citizen ID" in lines[0]
    assert "no such date" in lines[2]


def test_a_kiosk_started_with_stderr_closed_still_records(tmp_path):
    """A service manager may start the kiosk with stderr closed (`2>&-`): the stack dump on
    SIGUSR1 then has nowhere to write, and the kiosk runs without it rather than exit 1."""
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    proc = subprocess.run(
        ["sh", "-c", 'exec "$0" -m kiosk.cli run --headless --until-done --config "$1" 2>&-',
         sys.executable, str(config)],
        input=(CCCD_AN + "\n").encode(), stdout=subprocess.PIPE, cwd=tmp_path,
        env={**os.environ, "DISPLAY": ""}, timeout=60)
    assert proc.returncode == 0
    assert " ACCEPTED " in proc.stdout.decode()
    assert len(stored_ids(tmp_path)) == 1


def test_a_headless_kiosk_whose_full_disk_is_freed_says_it_records_again_with_no_scan(
        tmp_path):
    """A headless kiosk's last line read NOT RECORDED (the disk full) until somebody scanned
    again, though the line tells the officer to use the paper list, so nobody does: as the
    screens' poll does, it looks at the free space, and with room a small real write lifts
    the failure, and a line says scans are recorded again (the store's own upkeep may have
    written first: the line comes once a write went in); the next scan is recorded."""
    import queue

    from tests.test_store_disk_failing import fill, small_disk

    with small_disk(tmp_path / "disk") as disk:
        config = tmp_path / "config.toml"
        config.write_text(CONFIG.replace('path = "kiosk.db"', f'path = "{disk / "kiosk.db"}"'),
                          encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "run", "--headless", "--config", str(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=tmp_path, env={**os.environ, "DISPLAY": ""}, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],
                         daemon=True).start()

        def scan(number: int) -> str:
            proc.stdin.write(f"CODE-{number:05d}\n")
            proc.stdin.flush()
            return lines.get(timeout=60)

        reader = sqlite3.connect(disk / "kiosk.db")  # an export reading: the log cannot
        try:                                         # start again from its beginning
            assert " ACCEPTED " in scan(0)
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM entries").fetchone()
            filler = fill(disk)
            refused = next(line for line in map(scan, range(1, 3000))  # the log has room
                           if " ACCEPTED " not in line)                 # for a few more
            assert "Storage error, scan NOT recorded" in refused
            assert "the disk is full" in refused

            filler.unlink()  # the technician frees space; nobody scans

            said = lines.get(timeout=60)
            assert said.split("  ", 1)[1] == (
                "RECORDING  the store takes writes again: scans are recorded again\n")
            assert " ACCEPTED " in scan(5000)
        finally:
            reader.close()
            proc.terminate()
            proc.wait(timeout=60)
    assert proc.returncode == 0
