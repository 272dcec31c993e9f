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
