"""Review of the one config.toml reader (``kiosk.config.read_text``) as the commands and
the technician's forms around it use it: real files, real ``kiosk`` subprocesses, a real
``kiosk-central serve`` on 127.0.0.1."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest
from central_support import CentralServer

from kiosk import config as config_mod
from kiosk.ui.config_writer import save_setting
from tests.test_enrolment import add_with_qr, kiosk_config

CAPTURE = Path(__file__).parent / "data" / "captures" / "zebra-serial-cccd.serial.log"


def without_read_override() -> None:
    """As root: lose the power to read any file, so a 0000 config.toml is unreadable."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if os.geteuid() == 0 and libc.prctl(24, capability, 0, 0, 0):  # CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl")


def test_a_technician_form_saving_a_linked_config_writes_through_the_link(tmp_path):
    """The installed config may be a link (/etc/checkpoint-kiosk/config.toml → a file on a
    persistent or managed partition). ``read_text`` follows it (``os.stat``), but the
    forms' write (``write_atomically``: ``os.replace`` onto the path) replaces the link by
    a regular file: the change lands beside the real file, which keeps the old value, and
    the link is gone — on a read-only or overlay /etc the change is refused or lost at
    reboot. The save must reach the file the link names and leave the link in place."""
    real = tmp_path / "persist" / "config.toml"
    real.parent.mkdir()
    real.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "vi"\n',
                    encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "etc" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(real)

    save_setting(link, "kiosk", "language", "en")

    assert link.is_symlink(), "the technician's save replaced the link by a copy"
    assert config_mod.load(real).kiosk.language == "en"
    assert oct(real.stat().st_mode & 0o777) == "0o600"


def test_devices_watch_names_an_unreadable_config_once_per_language(tmp_path):
    """``kiosk devices watch FILE`` with a config.toml it may not read falls back to the
    default zone and says why. The reason is now the ConfigError, which already starts with
    the path, inside a sentence that names the path too: "cannot use P (P: cannot be read
    …)" — each language says the path twice."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k"\ncheckpoint_id = "CP"\n', encoding="utf-8")
    config.chmod(0)
    ran = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "devices", "watch", str(CAPTURE), "--config",
         str(config)], capture_output=True, text=True, timeout=60, cwd=tmp_path,
        stdin=subprocess.DEVNULL, preexec_fn=without_read_override)
    assert ran.returncode == 0, ran.stderr[-300:]
    assert "cannot be read (permission denied)" in ran.stderr, ran.stderr[-300:]
    english = ran.stderr.split(" / ", 1)[1]
    assert english.count(str(config)) == 1, english


@pytest.fixture
def centre(tmp_path):
    server = CentralServer(f"sqlite:///{tmp_path / 'central.db'}")
    yield server
    server.stop()


def test_enrol_with_an_unreadable_config_refuses_before_spending_the_code(centre, tmp_path):
    """``sudo nano config.toml`` leaves it root's 0600; the technician then runs ``kiosk
    enrol`` as the kiosk's account. ``_linked_elsewhere`` swallows the ConfigError ("the
    enrolment's own write says what is wrong"), the centre exchanges the one-time code for a
    token, the token file is written, and only then ``save_settings`` reads the config:
    the ConfigError escapes ``cmd_enrol`` as a traceback (exit 1), the kiosk unlinked and the
    code spent. A config that cannot be read must be refused first (exit 2, config error
    named), the code left unused."""
    code = add_with_qr(centre.db, "lane-9", tmp_path / "q.png", centre.url)["code"]
    folder = tmp_path / "etc"
    folder.mkdir()
    config = kiosk_config(folder)
    config.chmod(0)

    ran = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "enrol", "--code", code, "--config", str(config)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        stdin=subprocess.DEVNULL, preexec_fn=without_read_override)

    assert "Traceback" not in ran.stderr, ran.stderr[-400:]
    assert ran.returncode == 2, ran.stderr[-400:]
    assert f"config error: {config}: cannot be read" in ran.stderr, ran.stderr[-400:]
    config.chmod(0o600)
    again = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "enrol", "--code", code, "--config", str(config)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert again.returncode == 0, f"the code was spent by the refused run: {again.stderr}"
