"""Responsiveness check (not a speed benchmark): the GUI thread never waits for the database,
the devices or the network.

200 codes arrive in 10 s from a replay device while the sync worker talks to a centre that
accepts connections and never answers. A 10 ms QTimer heartbeat on the GUI thread measures
the event loop's longest stall. The check tells two things apart by size, not by speed:

- a GUI thread that waits on HTTP stalls for the whole request timeout, made long here
  (REQUEST_TIMEOUT_SECONDS, 10 s): the first push to the silent centre alone would stop the
  heartbeat that long;
- a shared 2-core machine running other suites (load 10-18) delays a ready heartbeat by
  the scheduler's time slices: 0.65 s once seen at load 18.

MAX_STALL_SECONDS (3 s) sits between them: over four times the worst scheduler delay seen,
under a third of the stall a blocked loop would show. It asserts no speed (the project's
rule: speed is measured in benchmarks, not asserted in timed tests): commit→paint latency is
measured by scripts/bench_ui.py instead. (A nice 19 run beside nice 0 busy loops gets too
little processor for any such bound: 7 to 19 s gaps seen, and a control thread of the same
process ticked meanwhile, so it tells them from a wait no better. Run it at the priority of
the other suites.)
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
REQUEST_TIMEOUT_SECONDS = 10
"""The sync worker's wait for the silent centre's answer: what a GUI thread waiting on HTTP
would stall for."""
MAX_STALL_SECONDS = 3.0
"""Well under REQUEST_TIMEOUT_SECONDS, well over a loaded machine's scheduler delay."""


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
            f"timeout_seconds = {REQUEST_TIMEOUT_SECONDS}\ninterval_seconds = 1\n")
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
        # offline once the first push's request timed out (started at the 1 s interval)
        qtbot.waitUntil(lambda: "MẤT KẾT NỐI" in window.strip.sync.text(),
                        timeout=(REQUEST_TIMEOUT_SECONDS + 15) * 1000)
    finally:
        heartbeat.stop()
        centre.close()
    worst = max(b - a for a, b in itertools.pairwise(beats))
    print(f"\n{SCANS} scans in {elapsed:.1f} s; {len(beats)} heartbeats; "
          f"longest event-loop stall {worst * 1000:.0f} ms")
    assert worst < MAX_STALL_SECONDS
    assert len(stored_entries(load(path))) == SCANS
    assert window.officer.table.rowCount() == 20
    qtbot.waitUntil(lambda: f"{SCANS}\u00a0lượt chờ gửi" in window.strip.sync.text(),
                    timeout=10_000)
