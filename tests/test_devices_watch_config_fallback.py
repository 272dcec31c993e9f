"""`kiosk devices watch FILE|/dev/...` falls back to the default zone whenever it cannot use
the configuration, and says so every time: a card's dates may then be judged otherwise than
the kiosk judges them. It said so only for a config.toml it could open but not read; not
when the installed folder hides it (scripts/install-kiosk.sh: /etc/checkpoint-kiosk is 0750,
kiosk:kiosk, so a technician outside the group cannot even see the file), nor for a file it
reads but that is invalid. Real CLI in a subprocess; run as nobody (setpriv) under root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kiosk import config as config_mod
from tests.conftest import make_no_config, one_gigabyte

CAPTURE = Path(__file__).parent / "data" / "captures" / "zebra-serial-cccd.serial.log"
FALLBACK = "a CCCD's dates are checked in the Asia/Ho_Chi_Minh zone"


def watch_as(user: list[str], config: Path, cwd: str, timeout: float = 60
             ) -> subprocess.CompletedProcess[str]:
    code = ("import sys; from kiosk.cli import main; "
            f"sys.exit(main(['devices', 'watch', {str(CAPTURE)!r}, '--config', "
            f"{str(config)!r}]))")
    return subprocess.run([*user, sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, "HOME": cwd,
                               "PYTHONPATH": str(Path(__file__).parents[1])})


def test_a_config_in_the_installed_0750_folder_falls_back_with_the_message() -> None:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to be a technician outside the kiosk's group")
    nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    with tempfile.TemporaryDirectory() as home:
        os.chmod(home, 0o755)
        folder = Path(home) / "checkpoint-kiosk"
        folder.mkdir(mode=0o750)
        folder.chmod(0o750)
        config = folder / "config.toml"
        config.write_text('[kiosk]\nid = "k"\ncheckpoint_id = "CP"\ntimezone = "UTC"\n',
                          encoding="utf-8")
        config.chmod(0o640)
        ran = watch_as(nobody, config, home)
    assert ran.returncode == 0, ran.stderr
    assert "cccd: Nguyễn Văn An" in ran.stdout
    assert FALLBACK in ran.stderr, ran.stderr


def test_a_readable_but_invalid_config_falls_back_with_the_message(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k"\ncheckpoint_id = "CP"\ntimezone = "UTC"\n'
                      'language = "fr"\n', encoding="utf-8")
    with pytest.raises(config_mod.ConfigError):  # readable, and not a kiosk's config
        config_mod.load(config)
    ran = watch_as([], config, str(tmp_path))
    assert ran.returncode == 0, ran.stderr
    assert "cccd: Nguyễn Văn An" in ran.stdout
    assert FALLBACK in ran.stderr, ran.stderr


def test_the_fallback_is_worded_in_the_language_the_refused_config_states(
        tmp_path: Path) -> None:
    """The same ``kiosk devices watch`` words a refused config in the language the file
    states (``config_refusal``, for a configured device id); its fallback, for a file or
    /dev path, said it in both languages always. A technician who chose English reads
    English only, in both."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k"\ncheckpoint_id = "CP"\nlanguage = "en"\n'
                      'timezone = "Mars/Base"\n', encoding="utf-8")

    by_path = watch_as([], config, str(tmp_path))
    by_id = subprocess.run([sys.executable, "-m", "kiosk.cli", "devices", "watch", "lane1",
                            "--config", str(config)], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path)

    assert by_path.returncode == 0, by_path.stderr
    assert by_path.stderr == (
        'cannot use the config (config.toml: kiosk.timezone: expected an IANA time zone such '
        'as "Asia/Ho_Chi_Minh", got "Mars/Base"): ' + FALLBACK + "\n"), by_path.stderr
    assert by_id.stderr == (
        'config error: config.toml: kiosk.timezone: expected an IANA time zone such as '
        '"Asia/Ho_Chi_Minh", got "Mars/Base"\n'), by_id.stderr


def test_an_absent_config_falls_back_silently(tmp_path: Path) -> None:
    """No config.toml at all (a technician's laptop) is the one case not worth a word."""
    ran = watch_as([], tmp_path / "config.toml", str(tmp_path))
    assert ran.returncode == 0, ran.stderr
    assert "cccd: Nguyễn Văn An" in ran.stdout
    assert FALLBACK not in ran.stderr, ran.stderr


def test_a_config_that_is_a_fifo_falls_back_with_the_message_instead_of_hanging(
        tmp_path: Path) -> None:
    """A config.toml that is a named pipe (a damaged install, a wrong ``--config``, a
    prank) is no configuration: opening it for reading waits for a writer that never
    comes, so the live view of a capture file hung before showing anything. It must fall
    back to the default zone and say why, as for any other config it cannot use."""
    config = tmp_path / "config.toml"
    os.mkfifo(config)
    try:
        ran = watch_as([], config, str(tmp_path), timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("kiosk devices watch FILE hung opening a config.toml that is a FIFO")
    assert ran.returncode == 0, ran.stderr
    assert "cccd: Nguyễn Văn An" in ran.stdout
    assert FALLBACK in ran.stderr, ran.stderr


@pytest.mark.parametrize("config", ["a link to /dev/zero", "a 4 GB file"])
def test_a_config_too_big_to_be_one_falls_back_with_the_message(
        config: str, tmp_path: Path) -> None:
    """A config.toml is a few kilobytes. One that is a link to a device (``/dev/zero``) or
    a file gone huge (a damaged file system; here sparse, costing no disk) was read whole
    into memory before being judged: the live view died of MemoryError on a kiosk's
    memory (here 1 GB of address space) — or, without a limit, ate it all — instead of
    falling back to the default zone with the message."""
    path = tmp_path / "config.toml"
    make_no_config(path, config)
    code = ("import sys; from kiosk.cli import main; "
            f"sys.exit(main(['devices', 'watch', {str(CAPTURE)!r}, '--config', "
            f"{str(path)!r}]))")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path, preexec_fn=one_gigabyte,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert "MemoryError" not in ran.stderr, ran.stderr[-300:]
    assert ran.returncode == 0, ran.stderr[-300:]
    assert "cccd: Nguyễn Văn An" in ran.stdout
    assert FALLBACK in ran.stderr, ran.stderr
