#!/usr/bin/env python3
"""Commit → painted latency of the officer screen, against a polling screen in the same run.

The pipeline calls its listeners right after COMMIT; a probe subscribed first stamps that
moment. The result card stamps its first paint of each result (``ResultCard.painted``) and
the sound board the moment it asked for the cue. The alternative many simple kiosk screens
use — a timer that polls the database for the newest entry every 250 ms — runs in the same
window and is stamped the same way. Scans are submitted from a device-like thread, paced
like a queue, and then as a burst while the sync worker waits on a centre that never answers.

Offscreen (QT_QPA_PLATFORM=offscreen): "painted" is the widget's paintEvent finishing, not
the monitor showing it; a real display adds up to one frame (≈17 ms at 60 Hz).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/bench_ui.py [--scans 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

from kiosk import config as config_mod  # noqa: E402
from kiosk.app import Kiosk  # noqa: E402
from kiosk.scan import Scan  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.ui.app import MainWindow, create_application  # noqa: E402
from kiosk.ui.cues import SoundBoard  # noqa: E402
from kiosk.ui.i18n import Translations  # noqa: E402

POLL_MS = 250


class PollingLabel(QLabel):
    """The alternative: ask the database every POLL_MS for the newest entry, on the GUI
    thread, and paint it."""

    def __init__(self, config: config_mod.Config) -> None:
        super().__init__()
        self.store = Store(config.store_path, timezone=config.timezone)
        self.shown_id: str | None = None
        self.painted: dict[str, int] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def poll(self) -> None:
        rows = self.store.entries(limit=1, newest_first=True)
        if rows and rows[0]["id"] != self.shown_id:
            self.shown_id = rows[0]["id"]
            self.setText(f"{rows[0]['name']} {rows[0]['direction']}")
            self.repaint()

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if self.shown_id and self.shown_id not in self.painted:
            self.painted[self.shown_id] = time.monotonic_ns()


def silent_centre() -> tuple[socket.socket, str]:
    listener = socket.create_server(("127.0.0.1", 0))
    clients: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                clients.append(listener.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


def payload(number: int) -> bytes:
    return (f"{number:012d}|123456789|Người Thử {number}|01021990|Nam|Hà Nội|10102021"
            .encode())


def run_events(milliseconds: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def describe(name: str, latencies_ms: list[float], submitted: int) -> str:
    if not latencies_ms:
        return f"| {name} | 0 / {submitted} | – | – | – | – |"
    return (f"| {name} | {len(latencies_ms)} / {submitted} | "
            f"{statistics.median(latencies_ms):.1f} | {percentile(latencies_ms, 0.95):.1f} | "
            f"{max(latencies_ms):.1f} | "
            f"{sum(v <= 100 for v in latencies_ms) / len(latencies_ms) * 100:.0f} % |")


def scenario(name: str, scans: int, gap: float, offset: int) -> list[str]:
    app = create_application()
    translations = Translations(app)
    translations.set_language("vi")
    listener, url = silent_centre()
    with tempfile.TemporaryDirectory() as temporary:
        path = Path(temporary) / "config.toml"
        path.write_text(f"""
[kiosk]
id = "bench"
checkpoint_id = "CP-BENCH"
[store]
path = "kiosk.db"
[sync]
enabled = true
server_url = "{url}"
token = "t"
timeout_seconds = 2
interval_seconds = 1
""", encoding="utf-8")
        config = config_mod.load(path)
        kiosk = Kiosk(config)
        committed: dict[str, int] = {}
        kiosk.pipeline.subscribe(
            lambda r: committed.__setitem__(r.entry_id or "", time.monotonic_ns()))
        window = MainWindow(kiosk, translations, sounds=SoundBoard(), kiosk_mode=False)
        window.resize(1280, 800)
        window.show()
        painted: dict[str, int] = {}
        window.officer.card.painted.connect(
            lambda r: painted.__setitem__(r.entry_id or "", window.officer.card.painted_at))
        cues: dict[str, int] = {}
        card = window.officer.card  # shows the result before its cue is played
        window.sounds.played.connect(
            lambda _cue: cues.__setitem__(card.result.entry_id or "", time.monotonic_ns()))
        polling = PollingLabel(config)
        polling.resize(300, 40)
        polling.show()
        kiosk.start()
        run_events(300)

        def feed() -> None:
            for number in range(offset, offset + scans):
                kiosk.pipeline.submit(Scan(payload(number), device_id="lane1", lane="in"))
                time.sleep(gap)
        feeder = threading.Thread(target=feed)
        feeder.start()
        while feeder.is_alive():
            run_events(50)
        run_events(POLL_MS * 3)
        window.exit_now()
        polling.timer.stop()
        polling.store.close()
        kiosk.stop()
        listener.close()

    def latencies(stamps: dict[str, int]) -> list[float]:
        return [(stamps[k] - committed[k]) / 1e6 for k in stamps if k in committed]

    return [describe(f"{name}: officer card, commit → painted", latencies(painted), scans),
            describe(f"{name}: officer sound requested", latencies(cues), scans),
            describe(f"{name}: polling screen ({POLL_MS} ms), commit → painted",
                     latencies(polling.painted), scans)]


SCENARIOS = (("queue, 1 scan / 0.3 s", 0.3, 1), ("burst, back to back", 0.0, 100_000))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=200)
    args = parser.parse_args()
    print("| scenario / screen | results painted | median ms | p95 ms | max ms | ≤ 100 ms |")
    print("|---|---|---|---|---|---|")
    for name, gap, offset in SCENARIOS:
        print("\n".join(scenario(name, args.scans, gap, offset)), flush=True)
    print(f"\n{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
