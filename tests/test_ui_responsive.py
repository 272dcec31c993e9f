"""Responsiveness check (not a speed benchmark): the GUI thread never waits for the database,
the devices or the network.

200 codes arrive in 10 s from a replay device while the sync worker talks to a centre that
accepts connections and never answers. A 10 ms QTimer heartbeat on the GUI thread measures
the event loop's longest stall; a loop that blocked on SQLite or HTTP would stall for the
request timeout (2 s here). The bound is deliberately generous (a shared 2-core machine);
commit→paint latency is measured by scripts/bench_ui.py instead.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time

import pytest
from PySide6.QtCore import QTimer
from ui_support import (  # noqa: F401
    cccd_line,
    load,
    make_window_fixture,
    replay_device,
    stored_entries,
    translations_built_fixture,
    write_config,
)

SCANS = 200
MAX_STALL_SECONDS = 0.5


class SilentCentre:
    """A TCP listener on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.clients: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.clients.append(client)

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        for client in self.clients:
            client.close()


@pytest.mark.slow
def test_200_scans_in_10_s_with_the_centre_unreachable_never_stall_the_screen(
        make_window, qtbot, tmp_path):
    centre = SilentCentre()
    scans = tmp_path / "queue.txt"
    scans.write_text("".join(cccd_line(n) + "\n" for n in range(1, SCANS + 1)), encoding="utf-8")
    sync = (f'\n[sync]\nenabled = true\nserver_url = "{centre.url}"\ntoken = "t"\n'
            "timeout_seconds = 2\ninterval_seconds = 1\n")
    path = write_config(tmp_path, replay_device("lane1", scans, delay_ms=10_000 // SCANS),
                        extra=sync)
    window = make_window(path, start=False)
    assert window.kiosk.sync is not None
    shown = []
    window.bridge.result.connect(shown.append)
    beats: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: beats.append(time.monotonic()))
    heartbeat.start()
    started = time.monotonic()
    window.kiosk.start()
    try:
        qtbot.waitUntil(lambda: len(shown) == SCANS, timeout=60_000)
        elapsed = time.monotonic() - started
        qtbot.waitUntil(lambda: window.officer.tiles["in"].value.text() == str(SCANS),
                        timeout=10_000)
        qtbot.waitUntil(lambda: "MẤT KẾT NỐI" in window.strip.sync.text(), timeout=15_000)
    finally:
        heartbeat.stop()
        centre.close()
    stalls = [b - a for a, b in itertools.pairwise(beats)]
    worst = max(stalls)
    print(f"\n{SCANS} scans in {elapsed:.1f} s; {len(beats)} heartbeats; "
          f"longest event-loop stall {worst * 1000:.0f} ms")
    assert worst < MAX_STALL_SECONDS
    assert len(stored_entries(load(path))) == SCANS
    assert window.officer.table.rowCount() == 20
    qtbot.waitUntil(lambda: f"{SCANS} lượt chờ gửi" in window.strip.sync.text(), timeout=10_000)
