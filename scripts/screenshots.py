#!/usr/bin/env python3
"""Render every screen, in Vietnamese and in English, to PNG under docs/screenshots/.

A throw-away kiosk (temporary config.toml and SQLite store) is filled through the real
pipeline with a morning of synthetic scans, then each screen is shown offscreen at
1280×800 and grabbed. The sync worker points at a closed port, so the screens show the
offline state an officer actually meets. Run:

    .venv/bin/python scripts/screenshots.py            # both languages
    .venv/bin/python scripts/screenshots.py --lang en  # one

``--size WxH`` (repeatable) renders every screen at that size instead, named
``NAME-WxH-LANG.png``; on a real X server rather than offscreen, one server per size:

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 800x480x24" \
        .venv/bin/python scripts/screenshots.py --size 800x480 --out /tmp/shots

``--kiosk-mode`` renders them as a kiosk shows them (``[kiosk] fullscreen``: no frame, the
header's Close button), named ``NAME-kiosk-LANG.png``; on a real X server the window takes
the whole screen as ``kiosk run`` does (its size is the server's):

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 800x480x24" \
        .venv/bin/python scripts/screenshots.py --kiosk-mode --size 800x480 --out /tmp/shots

The documentation's set has the officer's screen in kiosk mode at SIZE and at SMALL too.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import io
import os
import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, QEventLoop, QSize, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from kiosk import config as config_mod  # noqa: E402
from kiosk import messages  # noqa: E402
from kiosk.app import Kiosk  # noqa: E402
from kiosk.certificates import trustlist  # noqa: E402
from kiosk.commandline import examples  # noqa: E402
from kiosk.enrolment import EnrolmentCode  # noqa: E402
from kiosk.scan import Scan  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.sync.worker import Progress  # noqa: E402
from kiosk.ui.app import MainWindow, create_application  # noqa: E402
from kiosk.ui.i18n import Translations, catalog  # noqa: E402

SIZE = (1280, 800)
DISPLAYS = [(800, 480), (480, 800), (1024, 600), (1366, 768), (1920, 1080), (1080, 1920)]
"""The other sizes kiosks come in: 7" touch panel … full HD, and a portrait totem."""
SMALL = DISPLAYS[0]
PEOPLE = [
    ("001099012345", "Nguyễn Văn An", "01021990", "Nam"),
    ("079301004567", "Trần Thị Bình", "15071985", "Nữ"),
    ("048205000123", "Lê Văn Tú", "30121999", "Nam"),
    ("001188004321", "Phạm Thị Hồng Nhung", "12081988", "Nữ"),
    ("036095007788", "Đỗ Quang Huy", "03031995", "Nam"),
    ("025302009911", "Vũ Thị Thuỷ", "21112002", "Nữ"),
    ("031090002468", "Hoàng Đức Mạnh", "09091990", "Nam"),
]
BAD_CODE = "001099012345|123456789|Nguyễn Văn An|31021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"


def cccd(number: str, name: str, born: str, gender: str) -> bytes:
    return f"{number}|123456789|{name}|{born}|{gender}|Số 1 Phố Huế, Hà Nội|10102021".encode()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_header(language: str) -> str:
    """The kiosk and store sections every screenshot's config starts with."""
    return f"""\
# Checkpoint kiosk / Trạm quét — demo for screenshots
[kiosk]
id = "kiosk-07"
checkpoint_id = "CP-HN-CG-07"
checkpoint_name = "Chốt kiểm soát Cầu Giấy — làn 2"
language = "{language}"
pin = "1234"

[store]
path = "kiosk.db"
"""


def display_size(text: str) -> tuple[int, int]:
    """``WxH`` (e.g. 800x480, 1080x1920) as (width, height)."""
    width, _, height = text.lower().partition("x")
    try:
        size = int(width), int(height)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT, e.g. 800x480") \
            from None
    if min(size) < 320 or max(size) > 7680:
        raise argparse.ArgumentTypeError(f"{text!r}: a kiosk screen is 320 to 7680 px a side")
    return size


def write_config(directory: Path, language: str) -> Path:
    path = directory / "config.toml"
    path.write_text(demo_header(language) + f"""
[sync]
enabled = true
server_url = "http://127.0.0.1:{closed_port()}"
token = "demo-token"
interval_seconds = 1
timeout_seconds = 1

[certificates]
trust_list = "trust-list.json"

[[devices]]
id = "lan-vao"                # a scanner waiting for the next person (a FIFO: no data yet)
type = "replay"
lane = "in"
path = "{directory / 'queue.fifo'}"

[[devices]]
id = "quay-ban"               # keyboard-wedge scanner on the desk
type = "wedge"
lane = "toggle"
""", encoding="utf-8")
    return path


def camera_video(path: Path) -> Path:
    """A short video of a citizen ID card held up to a webcam, written with OpenCV (a real
    file for the real camera device; segno draws the QR code)."""
    import cv2
    import numpy as np
    import segno

    buffer = io.BytesIO()
    number, name, born, gender = PEOPLE[4]
    segno.make_qr(cccd(number, name, born, gender).decode(), encoding="utf-8",
                  error="m").save(buffer, kind="png", scale=4, border=4)
    code = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    scene = np.full((480, 640, 3), (96, 120, 140), np.uint8)
    cv2.putText(scene, "Cong vao / Gate 2", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0,
                (235, 235, 235), 2)
    top, left = (480 - code.shape[0]) // 2, (640 - code.shape[1]) // 2
    scene[top:top + code.shape[0], left:left + code.shape[1]] = code
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 480))
    for _ in range(20):
        writer.write(scene)
    writer.release()
    return path


def render_camera(language: str, out: Path, translations: Translations, size: tuple[int, int],
                  tag: str, kiosk_mode: bool = False) -> list[Path]:
    """The officer screen with a webcam lane, and the technician's camera tab."""
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        video = camera_video(directory / "gate.avi")
        path = directory / "config.toml"
        path.write_text(demo_header(language) + f"""
[[devices]]
id = "webcam"
type = "camera"
lane = "in"
source = "{video}"
loop = true
""", encoding="utf-8")
        kiosk = Kiosk(config_mod.load(path))
        window = MainWindow(kiosk, translations, kiosk_mode=False)
        if kiosk_mode:
            show_kiosk_mode(window, size)
        else:
            window.fit_to(QSize(*size))
            window.show()
        kiosk.start()
        settle(2500)
        shots = [save(window, out, f"officer-camera{tag}", language)]
        window._show_technician()
        technician = window.technician
        assert technician is not None
        technician.tabs.setCurrentWidget(technician.camera)
        settle(1500)
        shots.append(save(window, out, f"technician-camera{tag}", language))
        window.exit_now()
        kiosk.stop()
        window.deleteLater()
        settle(100)
    return shots


def fill_morning(kiosk: Kiosk) -> None:
    """A morning of traffic: entries then some exits, spread over the past hours."""
    now = time.time()
    local = dt.datetime.now(kiosk.config.timezone)
    hours = min(local.hour, 6)
    pipeline = kiosk.pipeline
    for index in range(38):
        person = index if index < 26 else index - 26  # the last twelve leave again
        number, name, born, gender = PEOPLE[person % len(PEOPLE)]
        when = now - (hours * 3600) * (1 - index / 38) - 600
        lane = "in" if index < 26 else "out"
        pipeline.submit(Scan(cccd(f"{int(number) + person:012d}", name, born, gender),
                             device_id="lan-vao", lane=lane, wall_time=when))
    store = Store(kiosk.config.store_path, timezone=kiosk.config.timezone)
    refused = store.pending(3)
    too_old = messages.refusal("too_old", {"field": "scanned_at", "days": 30,
                                           "time": "2026-10-01T07:12:09Z"})
    other = messages.refusal("other_checkpoint", {
        "field": "checkpoint_id", "kiosk": "kiosk-07", "enrolled": "CP-HN-CG-05",
        "checkpoint": "CP-HN-CG-07"})
    assert too_old is not None and other is not None
    store.mark_synced([], {refused[0]["id"]: too_old, refused[1]["id"]: other})
    store.close()


def certificates(config: config_mod.Config) -> list[tuple[str, str, str]]:
    """(code, shot, certificate policy): vaccination certificates signed by a document signer
    made here (its certificate put in the kiosk's trust list), one expired, and two signed by
    a forger under its key id: recorded (the default policy), and refused ("require-valid")."""
    from tests.certificate_support import make_issuer, trust_list_of, vaccination

    issuer, forger = make_issuer(), make_issuer()
    trustlist.save(trust_list_of(issuer.der), config.trust_list_path)
    now, day = time.time(), 86400
    return [
        (issuer.sign(vaccination(2, 2, name=("Trần", "Thị Mai"), birth="1987-04-12"),
                     issued=now - 40 * day, expires=now + 320 * day),
         "officer-certificate-valid", "record"),
        (issuer.sign(vaccination(1, 2, name=("Lê", "Quang Minh"), birth="1979-11-03"),
                     issued=now - 400 * day, expires=now - 35 * day),
         "officer-certificate-expired", "record"),
        (forger.sign(vaccination(2, 2, name=("Phạm", "Văn Long"), birth="1992-08-30"),
                     issued=now - day, expires=now + 300 * day, kid=issuer.kid),
         "officer-certificate-forged", "record"),
        (forger.sign(vaccination(2, 2, name=("Đặng", "Thu Hà"), birth="1995-05-21"),
                     issued=now - day, expires=now + 300 * day, kid=issuer.kid),
         "officer-certificate-refused", "require-valid"),
    ]


@contextlib.contextmanager
def held_by_another_program(store: Path) -> Iterator[None]:
    """Another program holds the store's write lock (``sqlite3 kiosk.db`` left inside a
    ``BEGIN IMMEDIATE``) until the block ends."""
    other = sqlite3.connect(store, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def settle(milliseconds: int = 400) -> None:
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def save(widget: QWidget, out: Path, name: str, language: str) -> Path:
    settle()
    path = out / f"{name}-{language}.png"
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return path


def refused_tab(window: MainWindow, out: Path, name: str, language: str) -> Path:
    """The sync screen's refused list: its own tab on a short or narrow screen, else the
    screen as it stands (the list at its foot)."""
    tabs = window.sync_screen.tabs
    tabs.setCurrentIndex(tabs.count() - 1)
    shot = save(window, out, name, language)
    tabs.setCurrentIndex(0)
    return shot


def show_kiosk_mode(window: MainWindow, size: tuple[int, int]) -> None:
    """The window as ``kiosk run`` shows it full screen: on a real X server over the whole
    screen (``show_for_mode``); offscreen, frameless at ``size`` (no screen to fill)."""
    window.set_kiosk_mode(True)
    if QGuiApplication.platformName() == "xcb":
        window.show_for_mode()
    else:
        window.fit_to(QSize(*size))
        window.show()


def render(language: str, out: Path, translations: Translations,
           size: tuple[int, int] | None = None, kiosk_mode: bool = False) -> list[Path]:
    """Every screen at ``size`` (named NAME-WxH-LANG, NAME-kiosk-WxH-LANG in kiosk mode);
    without one, the documentation's set: every screen at SIZE, the refused card at each
    of DISPLAYS, the technician and sync screens at SMALL and the officer's screen in kiosk
    mode at SIZE and SMALL too."""
    translations.set_language(language)
    tag = ("-kiosk" if kiosk_mode else "") + ("-{}x{}".format(*size) if size else "")
    size = size or SIZE
    shots: list[Path] = []
    with tempfile.TemporaryDirectory() as temporary:
        fifo = Path(temporary) / "queue.fifo"
        os.mkfifo(fifo)
        writer = os.open(fifo, os.O_RDWR)  # keeps the reader waiting without blocking us
        config = config_mod.load(write_config(Path(temporary), language))
        kiosk = Kiosk(config)
        fill_morning(kiosk)
        window = MainWindow(kiosk, translations, kiosk_mode=False)
        if kiosk_mode:
            show_kiosk_mode(window, size)
        else:
            window.fit_to(QSize(*size))
            window.show()
        kiosk.start()
        settle(2500)  # the sync worker has tried the centre and failed: offline

        def officer(payload: bytes, name: str, **scan: object) -> None:
            window.show_screen(window.officer)
            kiosk.pipeline.submit(Scan(payload, device_id="lan-vao", **scan))  # type: ignore[arg-type]
            shots.append(save(window, out, name + tag, language))

        _, name, born, gender = PEOPLE[3]
        officer(cccd("001188999321", name, born, gender), "officer-accepted", lane="in")
        _, name, born, gender = PEOPLE[6]
        officer(cccd("031090999468", name, born, gender), "officer-exit", lane="out")
        _, name, born, gender = PEOPLE[1]
        earlier = cccd("079301999567", name, born, gender)
        kiosk.pipeline.submit(Scan(earlier, device_id="lan-vao", lane="in",
                                   wall_time=time.time() - 180))
        officer(earlier, "officer-duplicate", lane="in")
        officer(BAD_CODE.encode(), "officer-refused", lane="in")
        recording = kiosk.pipeline.policy
        for code, name, policy in certificates(config):
            kiosk.pipeline.policy = dataclasses.replace(recording, certificate_policy=policy)
            officer(code.encode(), name, lane="in")
        kiosk.pipeline.policy = recording
        _, name, born, gender = PEOPLE[5]
        with held_by_another_program(config.store_path):  # the scan waits 5 s, then refused
            officer(cccd("025302999911", name, born, gender), "officer-not-recorded", lane="in")
            if not tag:
                window.fit_to(QSize(*SMALL))
                shots.append(save(window, out, "officer-not-recorded-{}x{}".format(*SMALL),
                                  language))
                card = window.officer.card  # its answer's hold over: between scans, the
                card.show_result(card.result, hold_seconds=0)  # store's words cut short
                settle()
                shots.append(save(window, out, "officer-not-recorded-between-{}x{}".format(
                    *SMALL), language))
                QTest.mouseClick(card.reason, Qt.MouseButton.LeftButton,  # a tap: all of them
                                 pos=card.reason.rect().center())
                shots.append(save(window, out, "officer-not-recorded-tapped-{}x{}".format(
                    *SMALL), language))
                window.fit_to(QSize(*size))
        # recorded again: the card and the strip give up NOT RECORDED for the shots after
        kiosk.pipeline.submit(Scan(cccd("025302999911", name, born, gender),
                                   device_id="lan-vao", lane="in"))
        if not tag:
            kiosk.pipeline.submit(Scan(BAD_CODE.encode(), device_id="lan-vao", lane="in"))
            for width, height in DISPLAYS:
                window.fit_to(QSize(width, height))
                shots.append(save(window, out, f"officer-refused-{width}x{height}", language))
            for width, height in (SIZE, SMALL):  # what a kiosk shows: Close in the header
                show_kiosk_mode(window, (width, height))
                shots.append(save(window, out, f"officer-refused-kiosk-{width}x{height}",
                                  language))
            window.set_kiosk_mode(False)
            window.fit_to(QSize(*size))
            window.show()

        dialog = window.open_manual_entry()
        dialog.fields["name"].setText("Ngô Thị Lan")
        dialog.fields["document_number"].setText("07930100456")
        dialog.fields["phone"].setText("0912 345 678")
        dialog.fields["address"].setText("Ngõ 12 Trần Quốc Hoàn, Cầu Giấy, Hà Nội")
        dialog.reason_box.setEditText(QCoreApplication.translate(
            "ManualEntryDialog", "No phone with them"))
        dialog.record()
        shots.append(save(dialog, out, "manual-entry" + tag, language))
        dialog.reject()

        pin = window.gate.request(QCoreApplication.translate(
            "MainWindow", "Enter the PIN to open the technician screen"), lambda: None)
        assert pin is not None
        pin.field.setText("12")
        shots.append(save(pin, out, "pin" + tag, language))
        pin.reject()

        window._show_technician()
        shots.append(save(window, out, "technician" + tag, language))
        technician = window.technician
        assert technician is not None
        technician.table.selectRow(1)
        technician.tabs.setCurrentIndex(1)
        shots.append(save(window, out, "technician-watch" + tag, language))
        technician.tabs.setCurrentWidget(technician.checks_tab)  # runs `kiosk doctor`
        for _ in range(100):
            if technician.checks.lines.count():
                break
            settle(100)
        shots.append(save(window, out, "technician-checks" + tag, language))
        # an enrolment QR scanned while the centre is unreachable (the demo's closed port)
        code = EnrolmentCode(config.sync.server_url, "ql1a-02", config.kiosk.checkpoint_id,
                             "A" * 43, "2026-12-01T00:00:00Z")
        kiosk.pipeline.submit(Scan(code.text().encode(), device_id="lan-vao"))
        for _ in range(100):
            if technician.enrol.tries and not technician.enrol.status.text().endswith("…"):
                break
            settle(100)
        shots.append(save(window, out, "technician-enrol" + tag, language))
        technician.tabs.setCurrentIndex(0)
        if not tag:
            window.fit_to(QSize(*SMALL))
            shots.append(save(window, out, "technician-{}x{}".format(*SMALL), language))

        window._show_sync()
        sync_screen = window.sync_screen
        assert sync_screen is not None
        if not tag:
            window.fit_to(QSize(*SMALL))  # the technician's shot left it so: the tabs again
            shots.append(save(window, out, "sync-{}x{}".format(*SMALL), language))
            shots.append(refused_tab(window, out, "sync-refused-{}x{}".format(*SMALL),
                                     language))
            window.fit_to(QSize(*size))
        shots.append(save(window, out, "sync" + tag, language))
        if tag:
            shots.append(refused_tab(window, out, "sync-refused" + tag, language))
        # a push under way: the frame the worker's progress callback draws mid-push
        sync_screen._start(QCoreApplication.translate("SyncScreen", "Sending to the centre…"))
        sync_screen.progress.show()
        sync_screen._show_progress(Progress(done=1500, total=4200, accepted=1498, duplicate=0,
                                            rejected=2, elapsed_seconds=3.2, rate=469.0,
                                            eta_seconds=5.8))
        shots.append(save(window, out, "sync-progress" + tag, language))
        window.exit_now()
        os.close(writer)  # end of the queue: the replay device finishes
        kiosk.stop()
        window.deleteLater()
        settle(100)
    return shots + render_camera(language, out, translations, size, tag, kiosk_mode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], **examples(
        ".venv/bin/python scripts/screenshots.py   # both languages, into docs/screenshots",
        ".venv/bin/python scripts/screenshots.py --lang en --size 800x480 --out /tmp/shots"))
    parser.add_argument("--lang", choices=("vi", "en"), action="append")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/screenshots")
    parser.add_argument("--size", type=display_size, action="append", metavar="WxH",
                        help="render every screen at this size (repeatable), e.g. 800x480 "
                             "or portrait 480x800; default: the documentation's set")
    parser.add_argument("--kiosk-mode", action="store_true",
                        help="render every screen as kiosk mode shows it (frameless, with "
                             "Close; full screen on a real X server)")
    args = parser.parse_args()
    if not catalog("vi").exists():
        print("build the translations first: scripts/build_translations.sh", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    languages = args.lang or ["vi", "en"]
    translations = Translations(create_application())  # one translator, switched per language
    sizes = args.size or [None]
    shots = [shot for language in languages for size in sizes
             for shot in render(language, args.out, translations, size, args.kiosk_mode)]
    # the documentation's set adds, at SMALL, the not-recorded card (alone, between two
    # scans, tapped open), the technician and sync screens and the sync screen's refused
    # list, and kiosk mode at SIZE and SMALL
    per_size = 20 if args.size or args.kiosk_mode else 20 + len(DISPLAYS) + 5 + 2
    return 0 if len(shots) == per_size * len(sizes) * len(languages) else 1


if __name__ == "__main__":
    sys.exit(main())
