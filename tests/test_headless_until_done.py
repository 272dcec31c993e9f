"""`kiosk run --headless --until-done` with sync on stops only when everything it recorded
reached the centre (exit 0), or says how many entries it could not send and why (exit 1):
a real centre on 127.0.0.1, a real kiosk process playing a replay file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.central_support import cccd
from tests.sync_support import CentralServer, sync_states, write_config

SCANS = 40


def replay_kiosk(tmp_path: Path, server_url: str, token: str) -> Path:
    config = write_config(tmp_path / "config.toml", kiosk_id="k-until", server_url=server_url,
                          token=token, enabled=True, max_backoff_seconds=1)
    scans = tmp_path / "scans.txt"
    scans.write_bytes(b"\n".join(cccd(i) for i in range(SCANS)) + b"\n")
    with config.open("a", encoding="utf-8") as f:
        f.write(f'[policy]\nduplicate_policy = "allow"\n[[devices]]\nid = "lane1"\n'
                f'type = "replay"\nlane = "in"\npath = "{scans}"\n')
    return config


def run_until_done(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--headless",
                           "--until-done", "--config", str(config)],
                          capture_output=True, text=True, timeout=180, cwd=config.parent,
                          env={**os.environ, "DISPLAY": ""}, stdin=subprocess.DEVNULL)


def test_it_stops_once_the_centre_holds_every_entry(tmp_path: Path) -> None:
    centre = CentralServer(tmp_path)
    try:
        config = replay_kiosk(tmp_path, centre.url, centre.enrol("k-until"))
        proc = run_until_done(config)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.count("ACCEPTED") == SCANS
        assert f"everything sent to the centre ({SCANS} entries)" in proc.stderr
        assert len(centre.stored_ids("k-until")) == SCANS
    finally:
        centre.stop()
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": SCANS}


def test_a_centre_out_of_reach_gives_exit_1_naming_what_is_left_and_why(
        tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    config = replay_kiosk(tmp_path, url, "some-token")
    proc = run_until_done(config)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.count("ACCEPTED") == SCANS
    assert f"Devices done, but {SCANS} entries could not be sent: " in proc.stderr
    assert "They stay in the store" in proc.stderr
    assert sync_states(tmp_path / "kiosk.db") == {"pending": SCANS}
