"""`kiosk run --headless --until-done` with sync on stops only when everything it recorded
reached the centre (exit 0), or says how many entries it could not send and why (exit 1):
a real centre on 127.0.0.1, a real kiosk process playing a replay file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.central_support import cccd
from tests.sync_support import BusyAtFirst, CentralServer, serving, sync_states, write_config

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


def run_until_done(config: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--headless",
                           "--until-done", *options, "--config", str(config)],
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


def test_it_says_each_wait_the_centre_asks_for_as_sync_push_does(tmp_path: Path) -> None:
    """A centre under load answers 503 with ``Retry-After: 3`` until the wait is said: the
    last push waited as asked in silence (up to six hours, four times over: an operator saw
    nothing for a day). It says each wait in ``kiosk sync push``'s words — how long, the
    minute it sends again, Ctrl-C, nothing lost — then sends everything, exit 0."""
    centre = BusyAtFirst.asking(3, busy=10**6)
    with serving(centre) as url:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--headless",
                                 "--until-done", "--config",
                                 str(replay_kiosk(tmp_path, url, "t0ken"))],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                cwd=tmp_path, env={**os.environ, "DISPLAY": ""},
                                stdin=subprocess.DEVNULL)
        said = []
        while not any("asks to wait" in line for line in said):
            line = proc.stderr.readline()
            assert line, "".join(said)
            said.append(line)
        centre.busy = 0  # the centre has room again
        rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 0, "".join(said) + rest
    assert said[-1].startswith("the centre asks to wait 3 s: sending again at "), said
    assert said[-1].endswith(" — Ctrl-C to stop; the entries stay pending\n")
    assert f"everything sent to the centre ({SCANS} entries)" in rest
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": SCANS}


@pytest.mark.parametrize(("retry_after", "options", "limit"), [
    (3600, (), "300"),             # an hour: past the default, kiosk sync push's
    (5, ("--max-wait", "2"), "2"),  # the operator's own bound
])
def test_a_longer_wait_than_max_wait_ends_the_run_at_once_saying_when_to_send_again(
        tmp_path: Path, retry_after: int, options: tuple[str, ...], limit: str) -> None:
    """A run meant to end (a demo, a batch of recorded scans) is not held for hours by a
    centre asking to wait: beyond ``--max-wait`` (300 s by default, as ``kiosk sync push``)
    it ends at once, exit 1, saying when to send again; the entries stay pending."""
    with serving(BusyAtFirst.asking(retry_after, busy=10**6)) as url:
        config = replay_kiosk(tmp_path, url, "t0ken")
        started = time.monotonic()
        proc = run_until_done(config, *options)
    assert proc.returncode == 1, proc.stderr
    assert time.monotonic() - started < 60
    assert f"Devices done, but {SCANS} entries could not be sent: the centre asks to wait " \
        f"{retry_after:,} s (until " in proc.stderr
    assert f"longer than a push waits ({limit} s): stopped, the entries stay pending — send " \
        "again after " in proc.stderr
    assert "asks to wait" not in proc.stderr.split("Devices done")[0]  # no wait was begun
    assert sync_states(tmp_path / "kiosk.db") == {"pending": SCANS}


def test_max_wait_goes_with_until_done(tmp_path: Path) -> None:
    """``--max-wait`` bounds the last push of a run meant to end; the background sync of a
    kiosk that runs on waits as long as the centre asks, so alone it is refused, exit 2."""
    config = replay_kiosk(tmp_path, "http://127.0.0.1:9", "t0ken")
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--headless",
                           "--max-wait", "60", "--config", str(config)], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert "--max-wait goes with --until-done" in proc.stderr
    assert not (tmp_path / "kiosk.db").exists()  # refused before the kiosk started
