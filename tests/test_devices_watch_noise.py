"""`kiosk devices watch` on a serial port set to another baud rate than the scanner's (review:
it read the line noise as cp1258 text, "33 bytes" for 19 sent, "→ other", and advised "The
bytes are not UTF-8: set the scanner to UTF-8 output" — the wrong fix).

The real command in a subprocess on a real pseudo-terminal, sent the reviewer's reads: each
is shown as the bytes that arrived, refused, and the advice is the baud rate — the one set,
the usual ones, another to try — in both languages, never the encoding nor a terminator.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from devices_support import Pty

from kiosk.config import validate_device
from kiosk.devices.diagnostics import diagnostics_for

WRONG_BAUD = [  # the reviewer's three reads, each ended by the scanner's CR LF
    bytes.fromhex("80 f8 00 fe 78 80 00 f8 66 9e 06 e0 78 1e 80 e6 86 0d 0a"),
    bytes.fromhex("e6 18 9e 80 78 f8 06 00 86 fe 1e 80 60 e0 98 18 66 0d 0a"),
    bytes.fromhex("80 f8 00 fe 78 80 00 f8 66 06 e0 78 1e 80 e6 86 98 66 e0 0d 0a"),
]


def test_kiosk_devices_watch_says_the_baud_rate_may_be_wrong(tmp_path: Path) -> None:
    with Pty() as pty:
        command = [sys.executable, "-m", "kiosk.cli", "devices", "watch", pty.path, "--baud",
                   "9600", "--count", "3", "--config", str(tmp_path / "none.toml")]
        watch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, cwd=tmp_path, env={
                                     **os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
        try:
            assert watch.stdout is not None
            assert "watching" in watch.stdout.readline()  # the port is open
            for read in WRONG_BAUD:
                pty.send(read)
                time.sleep(0.2)
            out, err = watch.communicate(timeout=30)
        finally:
            if watch.poll() is None:
                watch.kill()
                watch.wait()
    assert watch.returncode == 0, err
    assert "== scan/quét 1: 17 bytes, ended by terminator" in out
    assert "== scan/quét 3: 19 bytes, ended by terminator" in out
    assert out.count("→ refused/từ chối: code_cut") == 3 and "→ other" not in out
    assert ("* Dữ liệu là nhiễu đường truyền (NUL, ký tự điều khiển, byte không có trong bảng "
            "mã), không phải mã: tốc độ baud có thể sai — đang đặt baudrate = 9600; ") in out
    assert ("The bytes are line noise (NUL, control bytes, bytes no code page has), not a "
            "code: the baud rate may be wrong — baudrate = 9600 is set; set the scanner's own "
            "rate (usually 9600 / 115200; see its manual), or try "
            "`kiosk devices watch … --baud 115200`") in out
    assert "not UTF-8" not in out


@pytest.mark.parametrize(("baud", "other"), [(115200, 9600), (14400, 9600)])
def test_the_rate_to_try_is_a_usual_one_other_than_the_rate_set(baud: int, other: int) -> None:
    diag = diagnostics_for(validate_device(0, {"id": "s", "type": "serial",
                                               "port": "/dev/ttyACM0", "baudrate": baud}))
    for n, read in enumerate(WRONG_BAUD):
        diag.observe_bytes(read, 1.0 + n)
    diag.finish()
    [advice] = diag.suggestions("en")
    assert f"baudrate = {baud} is set" in advice and f"--baud {other}`" in advice


def test_noise_with_its_line_ending_garbled_too_gets_no_terminator_advice() -> None:
    """At the wrong speed the CR LF is noise as well: the line's quiet ends each read, and
    "set terminator = none" would be a second wrong fix."""
    diag = diagnostics_for(validate_device(0, {"id": "s", "type": "serial",
                                               "port": "/dev/ttyACM0"}))
    for n, read in enumerate(WRONG_BAUD):
        diag.observe_bytes(read[:-2], 1.0 + n)
        diag.idle(1.6 + n)
    diag.finish()
    assert [scan.cut for scan in diag.scans] == ["noise"] * 3
    [advice] = diag.suggestions("en")
    assert "baud rate may be wrong" in advice and "terminator" not in advice
