"""Time from the process's start to the officer's window shown and to the first scan
accepted, as ``run_ui`` starts the kiosk (Qt offscreen), and when the start's whole-file
check ends in the background. The kiosk measured is the one on ``PYTHONPATH``: a tree from
before the check left the start (no ``Kiosk.start_checked``) checks inside ``Kiosk()``.

    QT_QPA_PLATFORM=offscreen PYTHONPATH=TREE .venv/bin/python scripts/bench_start.py \\
        CONFIG LABEL

Drop the page cache just before for a start after a reboot
(``sync; echo 3 > /proc/sys/vm/drop_caches``); docs/benchmarks.md has the runs.
"""

from __future__ import annotations

import argparse
import threading
import time

STARTED = time.perf_counter()

from pathlib import Path  # noqa: E402  (imports are part of the start measured)

from kiosk import config as kiosk_config  # noqa: E402
from kiosk.app import Kiosk  # noqa: E402
from kiosk.scan import Scan  # noqa: E402
from kiosk.ui.app import MainWindow, Translations, create_application  # noqa: E402

PERSON = b"001099012345|123456789|Nguyen Van An|01021990|Nam|So 1 Pho Hue, Ha Noi|10102021"


def since() -> float:
    return time.perf_counter() - STARTED


def main(config_path: str, label: str) -> None:
    config = kiosk_config.load(Path(config_path))
    app = create_application()
    translations = Translations(app)
    translations.set_language(config.kiosk.language)
    kiosk = Kiosk(config)
    built = since()
    window = MainWindow(kiosk, translations)
    kiosk.start()
    window.show_for_mode()
    app.processEvents()
    shown = since()
    result = kiosk.pipeline.submit(Scan(payload=PERSON, device_id="gate-in", lane="in"))
    scanned = since()
    checked: threading.Event | None = getattr(kiosk, "start_checked", None)
    if checked is None:
        check = "inside Kiosk()"
    elif checked.is_set():
        check = "none owed"
    else:
        while not checked.wait(0.05):
            app.processEvents()
        check = f"{since():.2f} s"
    print(f"{label}: Kiosk() {built:.2f} s, window shown {shown:.2f} s, first scan "
          f"{result.status.name} {scanned:.2f} s, start's check done {check}")
    kiosk.stop()
    window.close()


if __name__ == "__main__":
    # after the imports: argparse is among the kiosk's own (its start costs the same), and
    # --help names the arguments (without them the script died on an IndexError)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="the kiosk's config.toml")
    parser.add_argument("label", help="what the printed line begins with (e.g. before, after)")
    args = parser.parse_args()
    main(args.config, args.label)
