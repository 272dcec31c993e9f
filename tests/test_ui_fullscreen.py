"""Kiosk mode fills the screen on a real X server with no window manager (the xinit-style
kiosk), where nobody honours a full-screen request and the window used to keep its size
hint (910×563 on a 1366×768 screen), and everything on it fits there too.

The test starts Xvfb itself at each kiosk display size, runs the kiosk's window in a child
process on it (this process's Qt is bound to the offscreen platform), shows a refused scan,
compares the window's frame with the screen's geometry as the X server reports it, runs the
fit checker (tests/ui_fit.py) on the window as X laid it out, and grabs the X screen. At a
7" panel's sizes it also measures, as X laid them out, the card's type under a long name and
the recent list's columns and notes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from ui_support import CCCD_BAD_DATE, ROOT, compile_translations, write_config

from kiosk import messages
from kiosk.certificates import trustlist, verdicts
from kiosk.ui.app import OWN_PIXELS_MARK
from tests.certificate_support import lab_test, make_issuer, trust_list_of, vaccination

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None,
                                reason="Xvfb is not installed (scripts/bootstrap.sh installs it)")

KIOSK_WINDOW = """
app = create_application()
translations = Translations(app)
translations.set_language("vi")
kiosk = Kiosk(config.load(sys.argv[1]))
window = MainWindow(kiosk, translations, kiosk_mode=True)
window.show_for_mode()
"""
"""The child's kiosk in kiosk mode on the X server, its screen in Vietnamese (argv[1]: config)."""

CHILD = """
import json, sys
sys.path.insert(0, sys.argv[3])
from PySide6.QtCore import QTimer
from kiosk import config
from kiosk.app import Kiosk
from kiosk.scan import Scan
from kiosk.ui.app import MainWindow, create_application
from kiosk.ui.i18n import Translations
from ui_fit import fit_problems
""" + KIOSK_WINDOW + """window.submit_scan(Scan(sys.argv[4].encode(), device_id="lane1"))

def report():
    frame = window.frameGeometry()
    screen = window.screen().geometry()
    window.screen().grabWindow(0).save(sys.argv[2])  # the X server's own picture
    print(json.dumps({"window": [frame.x(), frame.y(), frame.width(), frame.height()],
                      "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
                      "full_screen": window.isFullScreen(), "card": window.officer.card.state,
                      "headline": window.officer.card.headline.font().pixelSize(),
                      "problems": fit_problems(window)}))
    window.exit_now()
    app.quit()

QTimer.singleShot(1500, report)
app.exec()
kiosk.stop()
"""


@pytest.fixture(name="x_server")
def x_server_fixture(request):
    """Xvfb on a display it picks itself, no window manager; yields the DISPLAY value."""
    width, height = request.param
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0",
                               f"{width}x{height}x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        display = pipe.readline().strip()
    try:
        assert display, "Xvfb did not start"
        yield f":{display}", (width, height)
    finally:
        server.terminate()
        server.wait(timeout=10)


def window_on(display: str, tmp_path: Path, **desktop: str) -> dict:
    """The kiosk's window run by CHILD on ``display`` (a bad card scanned), with the desktop's
    settings ``desktop`` in its environment: what CHILD reports (its picture in
    ``tmp_path / "x-screen.png"``)."""
    compile_translations()
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "PYTHONPATH": str(ROOT), **desktop}
    env.pop("WAYLAND_DISPLAY", None)
    child = subprocess.run([sys.executable, "-c", CHILD, str(write_config(tmp_path)),
                            str(tmp_path / "x-screen.png"), str(ROOT / "tests"),
                            CCCD_BAD_DATE], env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-2000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("x_server", [(1366, 768), (800, 480), (480, 800), (1024, 600),
                                      (1920, 1080), (1080, 1920)], indirect=True)
def test_kiosk_mode_fills_an_x_screen_without_a_window_manager(x_server, tmp_path):
    display, (width, height) = x_server
    shown = window_on(display, tmp_path)
    assert shown["screen"] == [0, 0, width, height]
    assert shown["window"] == shown["screen"]
    assert shown["card"] == "rejected"
    assert shown["problems"] == []
    assert QImage(str(tmp_path / "x-screen.png")).size() == QSize(width, height)


@pytest.mark.slow
@pytest.mark.parametrize("x_server", [(800, 480)], indirect=True)
@pytest.mark.parametrize("desktop", [{"QT_FONT_DPI": "120"}, {"QT_FONT_DPI": "192"},
                                     {"QT_SCALE_FACTOR": "1.5"},
                                     {"QT_SCREEN_SCALE_FACTORS": "1.25"}])
def test_the_desktops_larger_text_leaves_a_7_inch_kiosk_laid_out_as_on_any_other(
        x_server, desktop, tmp_path):
    """The desktop's larger text (Xft.dpi 120 = "Large text", 192 = 200 %; QT_FONT_DPI is
    what Qt reads it from and what KDE exports; the scale factors KDE exports for a scaled
    screen) on a 7" panel: the window is still the screen, every word fits and the
    verdict keeps its 26 px. Qt scaled the whole window by it, so the kiosk was laid out
    on a 640×384 screen smaller than any it is made for: taller than the screen (the status
    strip under its bottom edge), the direction buttons' words cut, and at 192 a card whose
    verdict was 20 px high beside a recent list grown to twice its height."""
    display, (width, height) = x_server
    shown = window_on(display, tmp_path, **desktop)
    assert shown["screen"] == [0, 0, width, height]
    assert shown["window"] == shown["screen"]
    assert shown["problems"] == []
    assert shown["card"] == "rejected" and shown["headline"] >= 26, shown["headline"]


@pytest.mark.slow
@pytest.mark.parametrize("x_server", [(3840, 2160)], indirect=True)
def test_a_4k_kiosk_keeps_the_desktops_scale_that_makes_its_text_readable(x_server, tmp_path):
    """A 4K panel (15.6": 282 px to the inch) with its desktop at 200 %: a 1920×1080 screen,
    on which the kiosk lays out as on any other. Laid out in the panel's own pixels for every
    desktop (to keep the desktop's larger text from shrinking a 7" kiosk), its status line
    and recent list were 16 px — 1.4 mm high — and the clock 22 px, half what the desktop
    asked for. The scale is dropped only where it would shrink a screen below 800×480."""
    display, _ = x_server
    shown = window_on(display, tmp_path, QT_SCALE_FACTOR="2")
    assert shown["screen"] == [0, 0, 1920, 1080]
    assert shown["window"] == shown["screen"]
    assert shown["problems"] == []
    assert shown["card"] == "rejected" and shown["headline"] >= 26, shown["headline"]


QUEUE_CHILD = """
import json, sys
from PySide6.QtCore import QTimer
from kiosk import config
from kiosk.app import Kiosk
from kiosk.scan import Scan
from kiosk.ui.app import MainWindow, create_application
from kiosk.ui.i18n import Translations
from kiosk.ui.officer import DIRECTION, NAME, NOTE, TIME
""" + KIOSK_WINDOW + """for code in json.loads(sys.argv[2]):
    window.submit_scan(Scan(code.encode(), device_id="lane1", lane="in"))

def report():
    card, table = window.officer.card, window.officer.table
    header, room = table.horizontalHeader(), table.viewport().width()
    print(json.dumps({
        "card": card.state, "sizes": [card.headline.font().pixelSize(),
                                      card.name.font().pixelSize()],
        "name": card.name.text(), "name_tip": card.name.toolTip(),
        "seen": {table.horizontalHeaderItem(c).text(): not table.isColumnHidden(c)
                 and 0 <= header.sectionViewportPosition(c)
                 and header.sectionViewportPosition(c) + header.sectionSize(c) <= room
                 for c in (TIME, DIRECTION, NAME, NOTE)},
        "notes": [table.item(r, NOTE).text() for r in range(table.rowCount())],
        "cells": [[table.item(r, c).text(), table.item(r, c).toolTip()]
                  for r in range(table.rowCount()) for c in range(table.columnCount())]}))
    window.exit_now()
    app.quit()

QTimer.singleShot(2000, report)
app.exec()
kiosk.stop()
"""
CAPITAL_FAMILY, CAPITAL_GIVEN = "TÔN NỮ HOÀNG THỊ PHƯƠNG THẢO", "NGUYỄN NGỌC BẢO KHÁNH LINH ANH THƯ"


@pytest.mark.slow
@pytest.mark.parametrize("x_server", [(800, 480), (480, 800)], indirect=True)
def test_on_a_7_inch_x_screen_the_verdict_keeps_its_size_and_the_list_its_notes(x_server,
                                                                               tmp_path):
    """On a real X server at a 7" panel's size, kiosk mode: a positive test, then a forged
    certificate carrying a 63-character name in capitals. The card's headline and name keep
    26 / 20 px (the name ends in "…"); the list shows time, direction, name and note, both
    rows noted "KIỂM TRA", and no cell or tooltip words a verdict."""
    display, _size = x_server
    compile_translations()
    issuer, forger = make_issuer(), make_issuer()
    trustlist.save(trust_list_of(issuer.der), tmp_path / "trust.json")
    now, day = time.time(), 86400
    codes = [issuer.sign(lab_test(detected=True), issued=now - day, expires=now + day),
             forger.sign(vaccination(name=(CAPITAL_FAMILY, CAPITAL_GIVEN)), issued=now - day,
                         expires=now + day, kid=issuer.kid)]
    path = write_config(tmp_path, extra='\n[certificates]\ntrust_list = "trust.json"\n')
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(ROOT)}
    env.pop("WAYLAND_DISPLAY", None)
    child = subprocess.run([sys.executable, "-c", QUEUE_CHILD, str(path), json.dumps(codes)],
                           env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-2000:]
    shown = json.loads(child.stdout.strip().splitlines()[-1])
    assert shown["card"] == "certificate_invalid"
    assert shown["sizes"][0] >= 26 and shown["sizes"][1] >= 20, shown["sizes"]
    whole = f"{CAPITAL_FAMILY} {CAPITAL_GIVEN}"  # a Vietnamese certificate: family first
    assert shown["name"] == whole or (shown["name"].endswith("…")
                                      and shown["name_tip"] == whole), shown["name"]
    assert shown["seen"] == {"Giờ": True, "Chiều": True, "Họ tên": True, "Lưu ý": True}
    assert shown["notes"] == ["KIỂM TRA", "KIỂM TRA"]
    words = {messages.certificate_verdict(status, language) for status in verdicts.STATUSES
             for language in messages.LANGUAGES}
    assert [cell for cell in shown["cells"] for text in cell for word in words
            if word in text] == []


def cage_command() -> list[str] | None:
    """How this process starts cage (which refuses to run as root): as root, inside a user
    namespace where the test's account is uid 1000 (files stay root's outside); None when
    cage, Xwayland or user namespaces are missing."""
    if shutil.which("cage") is None or not os.path.exists("/usr/bin/Xwayland"):
        return None
    if os.geteuid() != 0:
        return ["cage", "-s", "--"]
    wrapper = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]
    if shutil.which("unshare") is None or subprocess.run(
            [*wrapper, "true"], capture_output=True).returncode != 0:
        return None
    return [*wrapper, "cage", "-s", "--"]


@pytest.mark.slow
def test_under_cage_the_kiosk_window_fills_the_output_as_the_boot_unit_runs_it(tmp_path):
    """What scripts/systemd/checkpoint-kiosk.service starts (`cage -s -- kiosk run`, Qt on
    Wayland), on wlroots' headless backend: 1280×720, no GPU, no input devices."""
    command = cage_command()
    if command is None:
        pytest.skip("cage, Xwayland or user namespaces unavailable (scripts/bootstrap.sh)")
    compile_translations()
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    report = tmp_path / "report.txt"
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    inner = (f"{sys.executable} {script} {write_config(tmp_path)} {tmp_path / 'unused.png'} "
             f"{ROOT / 'tests'} '{CCCD_BAD_DATE}' > {report} 2>&1")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "WLR_BACKENDS": "headless",
           "WLR_RENDERER": "pixman", "WLR_LIBINPUT_NO_DEVICES": "1",
           "QT_QPA_PLATFORM": "wayland", "PYTHONPATH": str(ROOT)}
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    cage = subprocess.run([*command, "/bin/sh", "-c", inner], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=90)
    assert cage.returncode == 0, cage.stderr[-2000:]
    lines = report.read_text(encoding="utf-8").strip().splitlines()
    shown = json.loads(lines[-1])
    assert shown["screen"] == [0, 0, 1280, 720]
    assert shown["window"] == shown["screen"]  # frameless: no client-side title bar either
    assert shown["card"] == "rejected"
    assert shown["problems"] == []


@pytest.mark.slow
@pytest.mark.parametrize("x_server", [(800, 480)], indirect=True)
def test_a_kiosk_started_again_in_its_own_pixels_says_the_configs_warnings_once(
        x_server, tmp_path):
    """`kiosk run` on a 7" panel whose desktop has larger text starts itself again in the
    screen's own pixels (see the test above); both processes wrote the config's warnings,
    so the journal held each twice, as if two things were wrong. The one that runs says
    them, once."""
    display, _ = x_server
    compile_translations()
    path = write_config(tmp_path, '\n[[devices]]\nid = "old"\ntype = "serial"\n'
                                  'enabled = false\nport = "/dev/ttyACM0 "\n')
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "PYTHONPATH": str(ROOT), "QT_FONT_DPI": "120"}
    env.pop("WAYLAND_DISPLAY", None)
    kiosk = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--config", str(path)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    environ = Path(f"/proc/{kiosk.pid}/environ")
    try:  # the same process, started again: its store opened once past its warnings
        deadline = time.monotonic() + 60
        while kiosk.poll() is None and time.monotonic() < deadline and not (
                OWN_PIXELS_MARK.encode() in environ.read_bytes()
                and (tmp_path / "kiosk.db").exists()):
            time.sleep(0.1)
        restarted = OWN_PIXELS_MARK.encode() in environ.read_bytes()
    finally:
        kiosk.terminate()
        _, stderr = kiosk.communicate(timeout=30)
    assert restarted, stderr[-2000:]
    assert stderr.count("devices[0].port") == 1, stderr
    assert stderr.startswith("CẢNH BÁO: config.toml, dòng ")  # the line of its port
    assert '(bảng [[devices]] thứ 1/1, id "old"): devices[0].port: ' in stderr.splitlines()[0]
