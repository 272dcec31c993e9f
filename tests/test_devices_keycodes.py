"""Key codes without python-evdev: the decoders' own table is the kernel's, and a kiosk
without evdev still validates keyboard devices, decodes and replays key captures, and
lists and watches devices; only opening /dev/input needs evdev, and says so."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.devices import keycodes

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT / "tests" / "data" / "captures"


def test_every_code_and_name_is_the_kernels() -> None:
    ecodes = pytest.importorskip("evdev.ecodes")
    for name, code in keycodes.CODES.items():
        assert getattr(ecodes, name) == code, name
    for type_, names in keycodes.BY_TYPE.items():
        for code, name in names.items():
            theirs = ecodes.bytype[type_][code]
            assert name in (theirs if isinstance(theirs, list | tuple) else [theirs])


WITHOUT_EVDEV = textwrap.dedent("""
    import contextlib, io, json, sys, threading

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] == "evdev":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, Refuse())
    from kiosk import cli, config
    from kiosk.devices import build_device
    from kiosk.devices.base import DeviceError
    from kiosk.devices.replay import ReplayDevice

    capture = sys.argv[1]
    cfg = config.from_dict({"kiosk": {"id": "k", "checkpoint_id": "CP"}, "devices": [
        {"id": "kb", "type": "evdev", "path": "/dev/input/event3", "layout": "fr"},
        {"id": "r", "type": "replay", "format": "evdev", "path": capture}]})
    scans = []
    ReplayDevice(cfg.devices[1]).run(scans.append, threading.Event())
    try:
        build_device(cfg.devices[0])
        opening = "opened"
    except DeviceError as exc:
        opening = str(exc)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        watched = cli.main(["devices", "watch", capture])
        listed = cli.main(["devices", "--dev-root", "/nonexistent", "--sys-root", "/nonexistent"])
    print(json.dumps({"scans": [s.payload.decode() for s in scans], "opening": opening,
                      "watched": watched, "listed": listed, "watch_out": out.getvalue(),
                      "evdev_loaded": any(m.partition(".")[0] == "evdev" for m in sys.modules)}))
""")


def test_a_kiosk_without_evdev_decodes_replays_and_watches_key_captures() -> None:
    capture = CAPTURES / "azerty-pccovid.evdev.log"
    expected = json.loads((CAPTURES / "expected.json").read_text(encoding="utf-8"))
    proc = subprocess.run([sys.executable, "-c", WITHOUT_EVDEV, str(capture)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["scans"] == expected[capture.name]
    assert result["opening"] == ("kb: loại evdev cần evdev; cài bằng: make install / "
                                 "kb: evdev support needs evdev; install it with: make install")
    assert result["watched"] == 0 and result["listed"] == 0
    assert "== scan/quét 1:" in result["watch_out"]
    assert result["evdev_loaded"] is False
