"""Kiosk mode fills the screen on a real X server with no window manager (the xinit-style
kiosk), where nobody honours a full-screen request and the window used to keep its size
hint (910×563 on a 1366×768 screen), and everything on it fits there too.

The test starts Xvfb itself at each kiosk display size, runs the kiosk's window in a child
process on it (this process's Qt is bound to the offscreen platform), shows a refused scan,
compares the window's frame with the screen's geometry as the X server reports it, runs the
fit checker (tests/ui_fit.py) on the window as X laid it out, and grabs the X screen.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from ui_support import CCCD_BAD_DATE, ROOT, compile_translations, write_config

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None,
                                reason="Xvfb is not installed (scripts/bootstrap.sh installs it)")

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

app = create_application()
translations = Translations(app)
translations.set_language("vi")
kiosk = Kiosk(config.load(sys.argv[1]))
window = MainWindow(kiosk, translations, kiosk_mode=True)
window.show_for_mode()
window.submit_scan(Scan(sys.argv[4].encode(), device_id="lane1"))

def report():
    frame = window.frameGeometry()
    screen = window.screen().geometry()
    window.screen().grabWindow(0).save(sys.argv[2])  # the X server's own picture
    print(json.dumps({"window": [frame.x(), frame.y(), frame.width(), frame.height()],
                      "screen": [screen.x(), screen.y(), screen.width(), screen.height()],
                      "full_screen": window.isFullScreen(), "card": window.officer.card.state,
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


@pytest.mark.slow
@pytest.mark.parametrize("x_server", [(1366, 768), (800, 480), (480, 800), (1024, 600),
                                      (1920, 1080), (1080, 1920)], indirect=True)
def test_kiosk_mode_fills_an_x_screen_without_a_window_manager(x_server, tmp_path):
    display, (width, height) = x_server
    compile_translations()
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "PYTHONPATH": str(ROOT)}
    env.pop("WAYLAND_DISPLAY", None)
    picture = tmp_path / "x-screen.png"
    child = subprocess.run([sys.executable, "-c", CHILD, str(write_config(tmp_path)),
                            str(picture), str(ROOT / "tests"), CCCD_BAD_DATE],
                           env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr[-2000:]
    shown = json.loads(child.stdout.strip().splitlines()[-1])
    assert shown["screen"] == [0, 0, width, height]
    assert shown["window"] == shown["screen"]
    assert shown["card"] == "rejected"
    assert shown["problems"] == []
    assert QImage(str(picture)).size() == QSize(width, height)


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
