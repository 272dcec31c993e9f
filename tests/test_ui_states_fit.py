"""What the officer sees when the kiosk cannot do its job fits every display, in Vietnamese
and English: the store held by another program, deleted, its log deleted, its path not to
be looked at, damaged, its disk full (the card's NOT RECORDED between scans, a scan's own
answer, the status strip), a trust list of unknown age, the clock at 1970 — from a 7"
800×480 panel to full HD and the portrait totems, in kiosk mode (its Close button showing).

Each word of the state is measured with QFontMetrics against its label's rectangle
(tests/ui_fit.py): none cut off or ended in "…", nothing overlapping, nothing outside the
window; the card's headline stays at least 26 px and the officer's words 20 px. The store's
words used to fill the status strip too (up to 160 px of a 480 px screen), which took the
card's headline to 9 px; the strip now says NO SCAN IS RECORDED and the card says why. The
store's words on the card, between scans or as a scan's answer, stay at least 14 px (they
went to 10 px between scans on a 7" panel): too long, they end in "…", whole in the line's
tooltip and the strip's, and at a tap on the card (tests/test_ui_store_words_tap.py).
While the clock alert (1970) shows, the checkpoint's name shows whole (beside it, a 7"
panel's header read "C…").

Offscreen at every size; once more on a real X server (Xvfb, no window manager, the
window in kiosk mode filling the screen) at the 7" panel's sizes, where the type is
tightest; and the uploads paused for a store folder that cannot be looked at, made for
real, on the officer's and the sync screens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ui_states import PANEL_DPI, SIZES, kiosk_config, state_problems, states
from ui_support import (  # noqa: F401
    CCCD_AN,
    ROOT,
    compile_translations,
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.scan import Scan
from tests.store_support import loop_in_place_of
from tests.sync_support import TakingEveryBatch, serving
from tests.test_ui_fullscreen import x_server_fixture  # noqa: F401


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_state_the_kiosk_cannot_work_in_fits_the_screen(make_window, tmp_path, size,
                                                              language):
    path, certificate = kiosk_config(tmp_path, PANEL_DPI.get(size, 0))
    window = make_window(path, language=language, start=False, kiosk_mode=True)
    window.set_language(language, remember=False)
    person = window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="t", lane="in"))
    assert person.recorded
    failures, seen = [], []
    for state in states(window, language, person, certificate):
        seen.append(state)
        failures += [f"{state}: {problem}" for problem in state_problems(window, size)]
        strip, card = window.strip.sync, window.officer.card
        if "between scans" in state and strip.toolTip() != card.refusing(language):
            failures.append(f"{state}: the strip's tooltip is {strip.toolTip()!r}")
    assert len(seen) == 15, seen
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_uploads_paused_for_a_store_folder_out_of_reach_fit_every_screen(make_window, qtbot,
                                                                          tmp_path, language):
    """Made for real: the store's folder replaced by a link to itself under a kiosk whose
    sync worker talks to a centre on 127.0.0.1. The officer's screen (NOT RECORDED, the
    strip) and the sync screen (ALERT: uploads paused until the store takes writes again)
    fit every size."""
    data = tmp_path / "data"
    data.mkdir()
    with serving(TakingEveryBatch.anew()) as url:
        path = write_config(tmp_path, extra=f'\n[sync]\nenabled = true\nserver_url = "{url}"\n'
                                            'token = "t"\ninterval_seconds = 1\n')
        path.write_text(path.read_text(encoding="utf-8").replace(
            'path = "kiosk.db"', 'path = "data/kiosk.db"'), encoding="utf-8")
        window = make_window(path, language=language, kiosk_mode=True)
        window.set_language(language, remember=False)
        loop_in_place_of(data)
        card = window.officer.card
        qtbot.waitUntil(lambda: card.refusing is not None, timeout=10_000)
        assert card.refusing.code == "store.unconfirmed"
        failures = [f"{size} officer: {p}" for size in SIZES for p in state_problems(window, size)]
        window._show_sync()
        screen = window.sync_screen
        alert = {"vi": "CẢNH BÁO: Tạm ngừng gửi", "en": "ALERT: Uploads paused"}[language]
        qtbot.waitUntil(lambda: alert in screen.facts.text(), timeout=10_000)
        failures += [f"{size} sync screen: {p}" for size in SIZES
                     for p in state_problems(window, size, card_shown=False)]
    assert not failures, "\n".join(failures)


X_CHILD = """
import json, sys, traceback
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
from PySide6.QtCore import QTimer
from kiosk import config
from kiosk.app import Kiosk
from kiosk.scan import Scan
from kiosk.ui.app import MainWindow, create_application
from kiosk.ui.i18n import Translations
from ui_states import kiosk_config, state_problems, states
from pathlib import Path

app = create_application()
translations = Translations(app)
size = tuple(json.loads(sys.argv[3]))
path, certificate = kiosk_config(Path(sys.argv[2]), json.loads(sys.argv[4]))
kiosk = Kiosk(config.load(path))
window = MainWindow(kiosk, translations, kiosk_mode=True)
window.show_for_mode()
person = kiosk.pipeline.submit(Scan(sys.argv[5].encode(), device_id="t", lane="in"))
found = {}

def measure():
    try:
        screen = window.screen().geometry()
        found["screen"] = [screen.width(), screen.height()]
        for language in ("vi", "en"):
            window.set_language(language, remember=False)
            for state in states(window, language, person, certificate):
                problems = state_problems(window, size)
                found[f"{language} {state}"] = problems
                if problems:  # the X server's own picture, to look at
                    window.screen().grabWindow(0).save(f"{sys.argv[2]}/{len(found)}.png")
    except BaseException:
        found["the states could not be shown"] = [traceback.format_exc()]
    finally:
        window.exit_now()
        app.quit()

QTimer.singleShot(1000, measure)
app.exec()
kiosk.stop()
print(json.dumps(found))
"""


@pytest.mark.slow
@pytest.mark.parametrize("x_server", [(800, 480), (480, 800)], indirect=True,
                         ids=["800x480", "480x800"])
def test_on_a_real_x_server_every_such_state_fits_a_7_inch_panel(x_server, tmp_path):
    """The same states and measures, on Xvfb at a 7" panel's size either way up: the
    window in kiosk mode as the X server laid it out, its fonts as X renders them."""
    display, size = x_server
    compile_translations()
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "PYTHONPATH": str(ROOT)}
    env.pop("WAYLAND_DISPLAY", None)
    child = subprocess.run([sys.executable, "-c", X_CHILD, str(ROOT), str(tmp_path),
                            json.dumps(size), json.dumps(PANEL_DPI[size]), CCCD_AN],
                           env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr[-3000:]
    found = json.loads(child.stdout.strip().splitlines()[-1])
    assert found.pop("screen") == list(size)
    assert len(found) == 30, sorted(found)
    failures = {state: problems for state, problems in found.items() if problems}
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)

