"""The supervisor: states with reasons, backoff, the live registry, and scans never lost.

Recovery after a real unplug is in test_devices_serial_pty.py; here the devices are real
where the OS can provide the failure (a serial device on /dev/null, a replay file), and
small stand-ins only where a failure cannot be provoked for real (a driver bug).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from devices_support import wait_until

from kiosk.config import validate_device
from kiosk.devices.base import Emit
from kiosk.devices.supervisor import CONNECTED, ERROR, FINISHED, STOPPED, WAITING, Supervisor
from kiosk.scan import Scan


def replay_file(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "codes.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_a_port_that_is_not_a_serial_port_is_an_error_with_the_reason() -> None:
    """pyserial cannot configure /dev/null: state error, the OS's words, retried with backoff."""
    attempts: list[str] = []
    supervisor = Supervisor([validate_device(0, {"id": "bad", "type": "serial",
                                                 "port": "/dev/null"})],
                            lambda scan: None, backoff_initial=0.05, backoff_max=0.2)
    supervisor.subscribe(lambda s: attempts.append(s.state))
    supervisor.start()
    try:
        wait_until(lambda: attempts.count(ERROR) >= 3, what="three failed attempts")
        status = supervisor.status()[0]
        assert status.state == ERROR
        assert "/dev/null" in status.reason_in("en")
        assert "Inappropriate ioctl" in status.reason_in("en")
        assert supervisor.device("bad") is None
    finally:
        supervisor.stop()
    assert supervisor.status()[0].state == STOPPED


def test_backoff_grows_between_failures_up_to_the_maximum() -> None:
    times: list[float] = []
    planned: list[float | None] = []

    def on_status(status) -> None:
        if status.state == ERROR:
            times.append(time.monotonic())
            planned.append(status.retry_in)

    supervisor = Supervisor([validate_device(0, {"id": "bad", "type": "serial",
                                                 "port": "/dev/null"})],
                            lambda scan: None, backoff_initial=0.05, backoff_max=0.2)
    supervisor.subscribe(on_status)
    supervisor.start()
    try:
        wait_until(lambda: len(times) >= 5, what="five failures")  # four waits between
    finally:
        supervisor.stop()
    assert planned[:5] == [0.05, 0.1, 0.2, 0.2, 0.2]  # doubling, then capped
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # and a wait never ends early
    assert gaps[0] >= 0.045 and gaps[1] >= 0.095 and gaps[2] >= 0.19


def test_a_device_not_plugged_in_is_waiting_not_an_error(tmp_path: Path) -> None:
    supervisor = Supervisor([validate_device(0, {"id": "lane1", "type": "serial",
                                                 "port": str(tmp_path / "ttyACM0")})],
                            lambda scan: None, poll_missing=0.05)
    supervisor.start()
    try:
        wait_until(lambda: supervisor.status()[0].state == WAITING and
                   supervisor.status()[0].reason, what="waiting")
        assert "is the scanner plugged in" in supervisor.status()[0].reason_in("en")
    finally:
        supervisor.stop()


def test_replay_runs_to_the_end_and_every_scan_is_handed_over(tmp_path: Path) -> None:
    path = replay_file(tmp_path, [f"CODE-{i}" for i in range(50)])
    got: list[Scan] = []

    def slow_pipeline(scan: Scan) -> None:
        time.sleep(0.002)  # a commit with fsync
        got.append(scan)

    supervisor = Supervisor([validate_device(0, {"id": "r", "type": "replay", "path": path})],
                            slow_pipeline)
    supervisor.start()
    assert supervisor.wait_finished(30)
    assert [s.payload for s in got] == [f"CODE-{i}".encode() for i in range(50)]
    status = supervisor.status()[0]
    assert (status.state, status.scans) == (FINISHED, 50) and status.last_seen is not None
    supervisor.stop()
    assert supervisor.status()[0].state == FINISHED


def test_devices_keep_reading_while_the_pipeline_is_busy_and_stop_hands_over_the_rest(
        tmp_path: Path) -> None:
    """A slow database must not stall a scanner's reads (kernel buffers are small); the
    scans read meanwhile are queued, and stop() submits every one of them."""
    path = replay_file(tmp_path, [f"ID-{i}" for i in range(40)])
    release = threading.Event()
    got: list[Scan] = []

    def stuck_pipeline(scan: Scan) -> None:
        release.wait(10)
        got.append(scan)

    supervisor = Supervisor([validate_device(0, {"id": "r", "type": "replay", "path": path})],
                            stuck_pipeline)
    supervisor.start()
    wait_until(lambda: supervisor.status()[0].scans == 40, what="all 40 read")
    assert len(got) == 0  # every one read, none submitted yet
    assert not supervisor.wait_finished(0.1)
    threading.Timer(0.2, release.set).start()
    supervisor.stop(timeout=10)
    assert [s.payload for s in got] == [f"ID-{i}".encode() for i in range(40)]


class Crashing:
    """A driver with a bug: raises something that is not a device error."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.id = options["id"]

    def run(self, emit: Emit, stop: threading.Event) -> None:
        raise ZeroDivisionError("driver bug")


def test_a_driver_bug_is_an_error_and_does_not_stop_the_other_devices(tmp_path: Path) -> None:
    path = replay_file(tmp_path, ["A", "B"])
    devices = [validate_device(0, {"id": "buggy", "type": "replay", "path": path}),
               validate_device(1, {"id": "fine", "type": "replay", "path": path})]
    got: list[Scan] = []
    from kiosk.devices import build_device

    supervisor = Supervisor(devices, got.append, backoff_max=0.05,
                            factory=lambda o: Crashing(o) if o.id == "buggy" else
                            build_device(o))
    supervisor.start()
    try:
        wait_until(lambda: len(got) == 2, what="the healthy device's scans")
        wait_until(lambda: supervisor.status()[0].state == ERROR, what="bug reported")
        assert "internal error" in supervisor.status()[0].reason_in("en")
        assert supervisor.device("buggy") is None
    finally:
        supervisor.stop()


def test_connected_is_reported_only_once_the_device_opened(tmp_path: Path) -> None:
    """States seen for a device that opens: waiting → connected (never connected first)."""
    path = replay_file(tmp_path, ["X"])
    seen: list[str] = []
    supervisor = Supervisor([validate_device(0, {"id": "r", "type": "replay", "path": path,
                                                 "delay_ms": 50})], lambda s: None)
    supervisor.subscribe(lambda s: seen.append(s.state))
    assert supervisor.status()[0].state == WAITING
    supervisor.start()
    assert supervisor.wait_finished(10)
    supervisor.stop()
    assert seen[0] == CONNECTED and seen[-1] == FINISHED


def test_window_fed_and_disabled_devices_are_not_run() -> None:
    devices = [validate_device(0, {"id": "w", "type": "wedge"}),
               validate_device(1, {"id": "off", "type": "replay", "enabled": False})]
    supervisor = Supervisor(devices, lambda s: None)
    assert supervisor.status() == []


def test_the_failed_line_words_the_reason_in_each_of_its_languages(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A replay device whose file is not there: the WARNING line says why in Vietnamese in
    its Vietnamese half and in English in its English half. The reason was the device's
    error already worded in both, so each half carried both ("thiết bị r: r: không mở được
    … / r: cannot open … (thử lại sau …) / device r: r: không mở được … / …"); the status
    keeps the reason in both languages, for a reader whose language is not known."""
    caplog.set_level(logging.WARNING, logger="kiosk.devices")
    missing = tmp_path / "gone.txt"
    supervisor = Supervisor([validate_device(0, {"id": "r", "type": "replay",
                                                 "path": str(missing)})],
                            lambda scan: None, backoff_initial=0.05, backoff_max=0.05)
    supervisor.start()
    try:
        wait_until(lambda: caplog.records, what="a failed attempt logged")
        status = supervisor.status()[0]
    finally:
        supervisor.stop()
    assert caplog.records[0].getMessage() == (
        f"thiết bị r: r: không mở được {missing}: không có tệp hoặc thư mục đó "
        f"(thử lại sau 0.1 giây) / device r: r: cannot open {missing}: "
        f"no such file or folder (retry in 0.1 s)")
    assert status.reason_in(None) == (f"r: không mở được {missing}: không có tệp hoặc thư mục đó / "
                                      f"r: cannot open {missing}: no such file or folder")
    assert status.reason_in("en") == f"r: cannot open {missing}: no such file or folder"
