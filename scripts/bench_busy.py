#!/usr/bin/env python3
"""What the officer sees while another program holds the store's write lock.

A real kiosk and main window (offscreen), its real SQLite store, and a real second process
that takes the write lock (``BEGIN IMMEDIATE``, as ``sqlite3 kiosk.db`` left open would) and
keeps it. Two people step up 0.5 s apart; their scans go through one queue to the pipeline,
as a device's do. The card is sampled every 10 ms on the GUI thread. Measured:

- the first visible change on the card after the first scan (headline or state);
- each scan's answer, from the moment it was read;
- whether anything read as recorded (a green or amber card) before an answer came;
- after the other program lets go, without any scan: how long until the card reads READY.

Runs against any tree of the kiosk (no new API used), so the same script measures before and
after a change:

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/bench_busy.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402

from kiosk import config as config_mod  # noqa: E402
from kiosk.app import Kiosk  # noqa: E402
from kiosk.scan import Scan, ScanResult  # noqa: E402
from kiosk.ui.app import MainWindow, create_application  # noqa: E402
from kiosk.ui.cues import SoundBoard  # noqa: E402
from kiosk.ui.i18n import Translations  # noqa: E402
from scripts.bench_ui import payload, run_events  # noqa: E402

HOLD = """\
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
conn.execute("COMMIT")
"""
SECOND_AFTER = 0.5
"""The second person's scan is read this long after the first's."""
READY_CAP = 15.0
"""How long to wait for READY after the lock is let go before saying "not by itself"."""


def one_round(app: object, translations: Translations, number: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as temporary:
        path = Path(temporary) / "config.toml"
        path.write_text('[kiosk]\nid = "bench"\ncheckpoint_id = "CP-BENCH"\n'
                        '[store]\npath = "kiosk.db"\n', encoding="utf-8")
        config = config_mod.load(path)
        kiosk = Kiosk(config)
        window = MainWindow(kiosk, translations, sounds=SoundBoard(muted=True),
                            kiosk_mode=False)
        window.resize(1280, 800)
        window.show()
        kiosk.start()
        card = window.officer.card
        answers: dict[bytes, tuple[float, ScanResult]] = {}
        kiosk.pipeline.subscribe(
            lambda r: answers.__setitem__(r.scan.payload, (time.monotonic(), r)))
        assert kiosk.pipeline.submit(Scan(payload(number), device_id="lane1")).recorded
        run_events(1500)  # its name into the index, the card READY again after the hold?
        while card.state != "idle" or card.result is not None:
            card._hold.stop()  # the first answer's hold (15 s) is not what is measured
            card._held()
            run_events(50)
        samples: list[tuple[float, str, str]] = []
        sampler = QTimer()
        sampler.timeout.connect(lambda: samples.append(
            (time.monotonic(), card.state, card.headline.text())))
        sampler.start(10)
        run_events(100)
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(config.store_path)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline() == "held\n"

        scans: queue.SimpleQueue[Scan | None] = queue.SimpleQueue()

        def submitter() -> None:  # one queue to the pipeline, as the device supervisor's
            while (scan := scans.get()) is not None:
                kiosk.pipeline.submit(scan)
        thread = threading.Thread(target=submitter)
        thread.start()
        first, second = payload(number + 1), payload(number + 2)
        read_first = time.monotonic()
        scans.put(Scan(first, device_id="lane1", lane="in"))
        run_events(round(SECOND_AFTER * 1000))
        read_second = time.monotonic()
        scans.put(Scan(second, device_id="lane1", lane="in"))
        while len(answers) < 3:
            run_events(20)
        scans.put(None)
        thread.join()
        answered_first, first_result = answers[first]
        answered_second, second_result = answers[second]
        assert not first_result.recorded and not second_result.recorded
        before = [(at, state, headline) for at, state, headline in samples if at >= read_first]
        change = next(at for at, state, headline in before
                      if (state, headline) != (before[0][1], before[0][2]))
        green = [state for at, state, _ in samples
                 if read_first <= at < answered_second and state not in ("idle", "rejected",
                                                                         "saving")]
        run_events(200)
        while card.result is not None:  # the second answer's hold
            card._hold.stop()
            card._held()
            run_events(20)
        run_events(3500)  # the strip's poll: NOT RECORDED between scans
        between = card.headline.text()
        holder.stdin.close()  # the other program lets go
        assert holder.wait(timeout=10) == 0
        let_go = time.monotonic()
        while card.state != "idle" and time.monotonic() - let_go < READY_CAP:
            run_events(20)
        ready = time.monotonic() - let_go if card.state == "idle" else float("inf")
        sampler.stop()
        window.exit_now()
        kiosk.stop()
        print(f"  round {number}: first change {change - read_first:.3f} s "
              f"({next(s for a, s, _ in before if a >= change)}), first answered "
              f"{answered_first - read_first:.3f} s, second answered "
              f"{answered_second - read_second:.3f} s after read "
              f"({answered_second - answered_first:.3f} s after the first), between scans "
              f"{between!r}, READY {ready:.2f} s after let go, shown green/amber before "
              f"the answer: {len(green)} samples", flush=True)
        return {"change": change - read_first, "first": answered_first - read_first,
                "second": answered_second - read_second,
                "second_after_first": answered_second - answered_first, "ready": ready,
                "green": len(green)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    app = create_application()
    translations = Translations(app)
    translations.set_language("vi")
    rounds = [one_round(app, translations, 1000 * n) for n in range(1, args.rounds + 1)]
    print("| measure | median s | max s |")
    print("|---|---|---|")
    for key, name in (("change", "first scan read → first visible change on the card"),
                      ("first", "first scan read → its answer (NOT RECORDED)"),
                      ("second", "second scan read (0.5 s later) → its answer"),
                      ("second_after_first", "first answer → second answer"),
                      ("ready", "other program lets go → card READY, no scan")):
        values = [r[key] for r in rounds]
        print(f"| {name} | {statistics.median(values):.2f} | {max(values):.2f} |")
    print(f"| samples green/amber before an answer | {sum(r['green'] for r in rounds)} | |")
    print(f"\n{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
