"""``kiosk doctor`` on a healthy kiosk and on kiosks broken the ways they break in the field:
a scanner unplugged (its node gone), a store folder that cannot be written, a token the
centre revoked, a kiosk clock ahead of the centre. Each situation is built for real: a pty as
the serial scanner, a real ``kiosk-central serve``, a folder made immutable (or read-only
when not run as root), libfaketime moving the kiosk's clock.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.doctor import device_checks
from kiosk.sync import protocol
from tests.camera_support import CCCD
from tests.central_support import CentralServer, central, enrol
from tests.conftest import make_config
from tests.sync_support import JsonAnswering, serving, write_config
from tests.test_devices_discovery import kiosk_pc, roots

ROOT = Path(__file__).resolve().parents[1]
TIMEDATECTL_SYNCHRONISED = "yes\n"
"""What `timedatectl show -p NTPSynchronized --value` prints on a synchronised machine."""
TIMEDATECTL_WITHOUT_SYSTEMD = (
    "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
    "Failed to connect to bus: Host is down\n")
"""What it prints (on stderr, exit 1) in a container: recorded in this project's CI."""
CHRONYC_TRACKING = """\
Reference ID    : A29FC87B (time.cloudflare.com)
Stratum         : 4
Ref time (UTC)  : Mon Nov 30 02:00:00 2026
System time     : 0.000123456 seconds fast of NTP time
Last offset     : +0.000012345 seconds
RMS offset      : 0.000045678 seconds
Frequency       : 12.345 ppm slow
Residual freq   : +0.001 ppm
Skew            : 0.012 ppm
Root delay      : 0.012345678 seconds
Root dispersion : 0.001234567 seconds
Update interval : 64.2 seconds
Leap status     : {leap}
"""


def clock_tools(folder: Path, *, timedatectl: tuple[int, str, str] | None = None,
                chronyc: tuple[int, str, str] | None = None) -> str:
    """A PATH whose `timedatectl` / `chronyc` answer with recorded (exit code, stdout,
    stderr), ahead of the system's tools; a tool not given answers as the shell does for a
    command that is not installed (127, "not found")."""
    folder.mkdir(exist_ok=True)
    for name, answer in (("timedatectl", timedatectl), ("chronyc", chronyc)):
        code, out, err = answer or (127, "", f"sh: 1: {name}: not found\n")
        (folder / f"{name}.out").write_text(out, encoding="utf-8")
        (folder / f"{name}.err").write_text(err, encoding="utf-8")
        script = folder / name
        script.write_text(f'#!/bin/sh\ncat "{folder}/{name}.out"\ncat "{folder}/{name}.err" >&2\n'
                          f"exit {code}\n", encoding="utf-8")
        script.chmod(0o755)
    return os.pathsep.join([str(folder), os.environ["PATH"]])


SYNCHRONISED: dict[str, str] = {}
"""The environment of a machine whose clock systemd-timesyncd keeps synchronised."""


@pytest.fixture(scope="module", autouse=True)
def synchronised_clock(tmp_path_factory):
    SYNCHRONISED["PATH"] = clock_tools(tmp_path_factory.mktemp("clock-tools"),
                                       timedatectl=(0, TIMEDATECTL_SYNCHRONISED, ""))


def doctor(config: Path, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    """`kiosk doctor` on a machine whose clock is synchronised (unless ``env`` says else)."""
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "doctor", "--config",
                           str(config), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **SYNCHRONISED, **(env or {})})


def checks(config: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, dict]]:
    result = doctor(config, "--json", env=env)
    report = json.loads(result.stdout)
    assert report["ok"] == (result.returncode == 0)
    return result.returncode, {c["name"]: c for c in report["checks"]}


@pytest.fixture
def centre(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('centre') / 'central.db'}"
    server = CentralServer(db)
    yield server
    server.stop()


@pytest.fixture
def scanner() -> Iterator[str]:
    """A serial scanner's node: the secondary side of a real pseudo-terminal."""
    primary, secondary = pty.openpty()
    yield os.ttyname(secondary)
    os.close(primary)
    os.close(secondary)


def enrolled_kiosk(folder: Path, centre: CentralServer, port: str, *,
                   configured_checkpoint: str = "CP-T") -> Path:
    """A kiosk enrolled at checkpoint CP-T with a scan recorded; its config says
    ``configured_checkpoint``."""
    kiosk_id = folder.name[-20:].replace("_", "-").strip("-") or "k"
    token = enrol(centre.db, kiosk_id, "CP-T").token
    config = write_config(folder / "config.toml", kiosk_id=kiosk_id, server_url=centre.url,
                          token=token, enabled=True, checkpoint_id=configured_checkpoint)
    with config.open("a", encoding="utf-8") as out:
        out.write(f'\n[[devices]]\nid = "lane1"\ntype = "serial"\nport = "{port}"\n')
    scanned = subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", CCCD, "--config",
                              str(config)], capture_output=True, text=True, timeout=60)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    return config


def test_a_healthy_kiosk_passes_every_check_and_says_so_in_both_languages(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)

    code, found = checks(config)

    assert code == 0, found
    assert {"config", "store", "store_writable", "disk", "pending", "refused", "device:lane1",
            "centre", "clock", "clock_sync", "token", "registration", "qt", "fonts",
            "audio"} <= set(found)
    assert found["registration"]["en"].endswith("registered at checkpoint CP-T, as configured")
    assert found["clock_sync"]["en"] == "System clock synchronised (timedatectl)"
    assert "days of scanning at 1 scans a day" in found["disk"]["en"]
    assert "Oldest entry waiting for the centre" in found["pending"]["en"]
    # an age as the device line words its own ("(2 min ago)"), not a bare "(0.0 h)"
    assert found["pending"]["en"].endswith(" h ago)"), found["pending"]["en"]
    assert found["pending"]["vi"].endswith(" giờ trước)"), found["pending"]["vi"]
    text = doctor(config)
    assert text.returncode == 0
    assert "OK        Mã đồng bộ được chấp nhận\n          Token accepted" in text.stdout


def test_an_unplugged_scanner_is_named_with_its_missing_node(centre, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, "/dev/ttyACM97")

    code, found = checks(config)

    assert code == 1
    assert not found["device:lane1"]["ok"]
    assert found["device:lane1"]["en"].startswith(
        "Device lane1: /dev/ttyACM97 not found — is the scanner plugged in?; ")
    assert found["device:lane1"]["vi"].startswith(  # each line in its own language
        "Thiết bị lane1: chưa thấy /dev/ttyACM97 — đã cắm máy quét chưa?; ")
    assert all(c["ok"] for name, c in found.items() if name != "device:lane1")


def test_a_scanner_set_by_usb_id_or_name_is_looked_for_as_the_kiosk_looks_for_it(tmp_path):
    """A scanner set by ``usb = "VID:PID"`` or ``name = "*Barcode*"`` was never looked for:
    the checks passed it ("ready") while it was unplugged and the device table said "not
    connected". Each is found as the running kiosk finds it (discovery's resolve functions,
    on a fake /sys and /dev tree here): the one plugged in by its node, the one not there
    failing in the words the kiosk uses for it."""
    config = make_config(tmp_path, devices=[
        {"id": "lane1", "type": "evdev", "name": "*bar code*"},
        {"id": "lane2", "type": "serial", "usb": "0c2e:0b61"},
        {"id": "lane3", "type": "hidraw", "usb": "0c2e:0b61:SN1", "mode": "pos"},
        {"id": "lane4", "type": "evdev", "name": "*Barcode*"},
        {"id": "lane5", "type": "serial", "usb": "1eab:1d06"}])
    tree = kiosk_pc(tmp_path / "pc")

    found = {check.name: check for check in device_checks(config, roots(tree))}

    for lane, node in (("lane1", "input/event4"), ("lane2", "ttyACM0"), ("lane3", "hidraw1")):
        assert found[f"device:{lane}"].ok
        assert found[f"device:{lane}"].en.startswith(f"Device {lane} ({tree.dev / node}): ready; ")
    assert not found["device:lane4"].ok and found["device:lane4"].en.startswith(
        'Device lane4: input device named "*Barcode*" not found — is the scanner plugged in?')
    assert found["device:lane4"].vi.startswith(  # what is missing, in the reader's words too
        'Thiết bị lane4: chưa thấy thiết bị nhập tên "*Barcode*" — đã cắm máy quét chưa?')
    assert not found["device:lane5"].ok and found["device:lane5"].en.startswith(
        "Device lane5: serial port usb 1eab:1d06 not found — is the scanner plugged in?")
    assert found["device:lane5"].vi.startswith(
        "Thiết bị lane5: chưa thấy cổng nối tiếp USB 1eab:1d06 — đã cắm máy quét chưa?")


def test_a_camera_set_by_its_index_is_looked_for_as_the_kiosk_opens_it(tmp_path):
    """A camera set by ``source = 0`` (the sample config's way) was never looked for: the
    doctor passed it with no camera plugged in. Its index is the node the kiosk opens,
    /dev/videoN: the webcam there passes by its node, an index with no node fails in the
    kiosk's own words, and a video file that is not there fails as the kiosk would."""
    config = make_config(tmp_path, devices=[
        {"id": "cam0", "type": "camera", "source": 0},
        {"id": "cam1", "type": "camera", "source": "1"},
        {"id": "cam7", "type": "camera", "source": 7},
        {"id": "film", "type": "camera", "source": str(tmp_path / "gone.mp4")}])
    tree = kiosk_pc(tmp_path / "pc")

    found = {check.name: check for check in device_checks(config, roots(tree))}

    for camera, node in (("cam0", "video0"), ("cam1", "video1")):
        assert found[f"device:{camera}"].ok
        assert found[f"device:{camera}"].en.startswith(
            f"Device {camera} ({tree.dev / node}): ready; ")
    assert not found["device:cam7"].ok
    assert found["device:cam7"].en.startswith(f"Device cam7: no camera at {tree.dev / 'video7'}")
    assert found["device:cam7"].vi.startswith(
        f"Thiết bị cam7: không tìm thấy camera tại {tree.dev / 'video7'}")
    assert not found["device:film"].ok
    assert found["device:film"].en.startswith(
        f"Device film: no video file at {tmp_path / 'gone.mp4'}")


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """Root ignores modes, so as root the folder is made immutable (chattr +i)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("this file system cannot make a folder immutable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)


def test_a_store_folder_that_cannot_be_written_fails_and_says_what_to_fix(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)

    with unwritable(tmp_path):
        code, found = checks(config)

    assert code == 1
    assert not found["store_writable"]["ok"]
    assert f"Cannot write in {tmp_path}" in found["store_writable"]["en"]
    assert "sửa quyền thư mục" in found["store_writable"]["vi"]


def test_a_revoked_token_fails_the_token_check_and_names_a_new_token_for_this_kiosk(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)
    kiosk_id = config.read_text(encoding="utf-8").split('id = "')[1].split('"')[0]
    central("kiosks", "revoke", "--db", centre.db, kiosk_id)

    code, found = checks(config)

    assert code == 1
    assert found["centre"]["ok"] and not found["token"]["ok"]
    assert "HTTP 401" in found["token"]["en"]
    assert f"`kiosk-central kiosks token {kiosk_id} --reason …`" in found["token"]["en"]
    assert f"`kiosk-central kiosks token {kiosk_id} --reason …`" in found["token"]["vi"]


def test_a_token_file_that_cannot_be_read_is_named_and_no_new_token_is_advised(
        centre, scanner, tmp_path):
    """A typo in ``[sync] token_file`` ("tokn"): the token on disk is right, and a new one
    from the centre would only replace it. The doctor names the file and what to check, and
    sends no empty token to read the centre's 401 as a verdict; `kiosk config check`, which
    knows the path too, says the same and fails."""
    config = enrolled_kiosk(tmp_path, centre, scanner)
    kiosk_id = config.read_text(encoding="utf-8").split('id = "')[1].split('"')[0]
    token = config.read_text(encoding="utf-8").split('token = "')[1].split('"')[0]
    (tmp_path / "token").write_text(token + "\n", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace(
        f'token = "{token}"', 'token_file = "tokn"'), encoding="utf-8")

    code, found = checks(config)

    assert code == 1 and found["centre"]["ok"] and not found["token"]["ok"]
    en, vi = found["token"]["en"], found["token"]["vi"]
    assert en.startswith(f"No sync token to send: sync token file {tmp_path / 'tokn'} "
                         "unreadable: ")
    assert f"Fix [sync] token_file in {config} to name the right file" in en
    assert "owner, mode" in en and "do not ask it for a new token" in en
    assert "kiosks token" not in en and "kiosks token" not in vi
    assert "đừng xin mã mới" in vi
    assert "registration" not in found  # nothing asked of the centre with no token

    checked = subprocess.run([sys.executable, "-m", "kiosk.cli", "config", "check", "--config",
                              str(config)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 2 and "OK" not in checked.stdout
    assert f"no sync token — sync token file {tmp_path / 'tokn'} unreadable" in checked.stderr
    assert kiosk_id  # the token file next to the config is untouched
    assert (tmp_path / "token").read_text(encoding="utf-8") == token + "\n"


class AnsweringHealthOnly(JsonAnswering):
    """A centre whose /health answers and whose token check fails with 503, as one whose
    database is down behind its web server."""

    def do_GET(self) -> None:
        if self.path == protocol.HEALTH_PATH:
            self._answer({"status": "ok"})
        else:
            self._answer({"detail": "database unavailable"}, 503)


def test_a_centre_failing_the_token_check_is_not_called_a_refusal_of_the_token(
        scanner, tmp_path):
    config = write_config(tmp_path / "config.toml", kiosk_id="ql1a-01",
                          server_url="http://127.0.0.1:9", token="t0ken", enabled=True)
    with config.open("a", encoding="utf-8") as out:
        out.write(f'\n[[devices]]\nid = "lane1"\ntype = "serial"\nport = "{scanner}"\n')
    with serving(AnsweringHealthOnly) as url:
        config.write_text(config.read_text(encoding="utf-8").replace(
            "http://127.0.0.1:9", url), encoding="utf-8")
        code, found = checks(config)

    assert code == 1 and found["centre"]["ok"] and not found["token"]["ok"]
    assert found["token"]["en"].startswith("The centre did not answer the token check (")
    assert "HTTP 503" in found["token"]["en"] and "kiosks token" not in found["token"]["en"]
    assert "không trả lời khi kiểm tra mã đồng bộ" in found["token"]["vi"]


class AnsweringAsAnOlderCentre(JsonAnswering):
    """A centre from before ``GET /api/v1/kiosk``: 404 there, the trust list's 404 (none
    held) behind an accepted token."""

    def do_GET(self) -> None:
        if self.path == protocol.HEALTH_PATH:
            self._answer({"status": "ok"})
        elif self.path == protocol.TRUST_LIST_PATH and self.headers.get(
                "authorization") == "Bearer t0ken":
            self._answer({"error": "no trust list held"}, 404)
        else:
            self._answer({"detail": "Not Found"}, 404)


def test_an_older_centre_that_cannot_say_the_checkpoint_gives_a_warning_not_a_failure(
        scanner, tmp_path):
    config = write_config(tmp_path / "config.toml", kiosk_id="ql1a-01",
                          server_url="http://127.0.0.1:9", token="t0ken", enabled=True,
                          checkpoint_id="CP-QL1A")
    with config.open("a", encoding="utf-8") as out:
        out.write(f'\n[[devices]]\nid = "lane1"\ntype = "serial"\nport = "{scanner}"\n')
    with serving(AnsweringAsAnOlderCentre) as url:
        config.write_text(config.read_text(encoding="utf-8").replace(
            "http://127.0.0.1:9", url), encoding="utf-8")
        _, found = checks(config)

    assert found["token"]["ok"]  # checked on the trust list, as before
    assert found["registration"]["ok"] and found["registration"]["warning"]
    assert found["registration"]["en"] == (
        "The centre does not say which checkpoint this kiosk is registered at (an older "
        "version): [kiosk] checkpoint_id = 'CP-QL1A' could not be checked")


def test_a_kiosk_clock_ten_minutes_ahead_of_the_centre_fails_the_clock_check(
        centre, scanner, tmp_path, libfaketime):
    config = enrolled_kiosk(tmp_path, centre, scanner)

    code, found = checks(config, {"LD_PRELOAD": str(libfaketime), "FAKETIME": "+10m"})

    assert code == 1
    assert not found["clock"]["ok"]
    offset = float(found["clock"]["en"].split("by ")[1].split(" s")[0])
    assert 590 <= offset <= 610
    assert all(c["ok"] for name, c in found.items() if name not in ("clock", "pending"))


def scanned_kiosk(folder: Path) -> Path:
    """A kiosk at a site without network (enrolled: its token kept, uploads off), with a
    device to read codes, that recorded one scan, now."""
    config = write_config(folder / "config.toml", kiosk_id="k-clock",
                          server_url="http://127.0.0.1:9", token="token-of-an-offline-site")
    with config.open("a", encoding="utf-8") as out:
        out.write('\n[[devices]]\nid = "counter"\ntype = "replay"\npath = "scans.txt"\n')
    scanned = subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", CCCD, "--config",
                              str(config)], capture_output=True, text=True, timeout=60)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    return config


def test_a_clock_before_the_release_fails_and_says_how_to_fix_it(tmp_path, libfaketime):
    """A flat RTC battery boots at 1970: surely wrong, whatever the store holds."""
    config = scanned_kiosk(tmp_path)
    code, found = checks(config)
    assert code == 0 and found["clock_released"]["ok"]
    assert found["clock_released"]["en"].startswith("The clock reads ")
    at_1970 = {"LD_PRELOAD": str(libfaketime), "FAKETIME": "@1970-01-01 00:00:00"}

    code, found = checks(config, at_1970)

    assert code == 1 and not found["clock_released"]["ok"]
    clock = found["clock_released"]
    assert clock["en"].startswith("CLOCK WRONG: it reads 1970-01-01 ")
    assert "before this version's release" in clock["en"]
    for fix in ("`sudo timedatectl set-ntp true`", "`sudo date -s", "RTC battery"):
        assert fix in clock["en"]
    assert clock["vi"].startswith("ĐỒNG HỒ SAI: máy chỉ 1970-01-01 ")
    text = doctor(config, env=at_1970)
    assert "LỖI/FAIL  ĐỒNG HỒ SAI" in text.stdout and "\n          CLOCK WRONG" in text.stdout


def test_at_1970_the_pending_entry_and_a_device_give_their_time_without_an_age(
        tmp_path, libfaketime):
    """The RTC battery went flat after a scan: its time is later than the clock reads. The
    pending and device lines give it as recorded and say so, not a negative age or "0 min
    ago" (the clock check fails and says why)."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-clock",
                          server_url="http://127.0.0.1:9", token="")
    with config.open("a", encoding="utf-8") as out:
        out.write('\n[[devices]]\nid = "counter"\ntype = "replay"\npath = "scans.txt"\n')
    scanned = subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", CCCD, "--device",
                              "counter", "--config", str(config)],
                             capture_output=True, text=True, timeout=60)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr

    code, found = checks(config, {"LD_PRELOAD": str(libfaketime),
                                  "FAKETIME": "@1970-01-01 00:00:00"})

    assert code == 1 and not found["clock_released"]["ok"]
    pending, counter = found["pending"], found["device:counter"]
    assert pending["ok"] and pending["en"].startswith("Oldest entry waiting for the centre: 20")
    assert counter["en"].startswith("Device counter: last sent Citizen ID, ")
    for check in (pending, counter):
        assert check["en"].endswith(" (later than the kiosk's clock reads now)"), check["en"]
        assert check["vi"].endswith(" (muộn hơn giờ đồng hồ trạm đang chỉ)"), check["vi"]


def test_a_backlog_recorded_at_1970_has_no_age_and_does_not_fail(tmp_path) -> None:
    """A flat RTC battery: scans recorded at 1970 wait to be sent, the clock right since
    (NTP). The pending check failed on a backlog "498941.5 h ago"; no scan this program
    stored was made before its first version, so its age is unknown, and it says why."""
    from tests.sync_support import fill_backlog

    config = write_config(tmp_path / "config.toml", kiosk_id="k-1970",
                          server_url="http://127.0.0.1:9", token="")
    fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id="k-1970", start=600.0)  # 1970-01-01 00:10

    _, found = checks(config)

    pending = found["pending"]
    assert pending["ok"], pending
    assert pending["en"] == ("Oldest entry waiting for the centre: 1970-01-01 08:10 (age "
                             "unknown: the kiosk's clock was wrong when it recorded this)")
    # in the kiosk's zone, as the device lines (Asia/Ho_Chi_Minh was UTC+8 in 1970)
    assert pending["vi"].endswith(" (không rõ đã bao lâu: đồng hồ trạm chỉ sai lúc ghi)")


def test_a_clock_set_right_behind_the_newest_entry_passes(tmp_path, libfaketime):
    """No false alarm: the scan was recorded while the clock ran an hour ahead, and the clock
    was then set right (here: the doctor runs an hour behind it). The kiosk cannot tell
    which time was wrong, and failing would leave a right clock failing, nothing to clear
    it, until the real time caught up."""
    config = scanned_kiosk(tmp_path)

    code, found = checks(config, {"LD_PRELOAD": str(libfaketime), "FAKETIME": "-1h"})

    assert found["clock_released"]["ok"], found["clock_released"]
    assert code == 0, [c for c in found.values() if not c["ok"]]


def test_an_unreachable_centre_and_a_broken_config_are_reported_not_crashed_on(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)
    config.write_text(config.read_text(encoding="utf-8").replace(
        centre.url, "http://127.0.0.1:9"), encoding="utf-8")
    code, found = checks(config)
    assert code == 1 and not found["centre"]["ok"]
    assert "Cannot reach the centre http://127.0.0.1:9" in found["centre"]["en"]
    assert "the port in [sync] server_url is wrong [Errno 111]" in found["centre"]["en"]
    assert "cổng trong server_url (mục [sync]) bị sai [Errno 111]" in found["centre"]["vi"]

    config.write_text("[kiosk]\nid = 5\n", encoding="utf-8")
    code, found = checks(config)
    assert code == 1 and list(found) == ["config"]
    assert "Config invalid" in found["config"]["en"]


# -- the system clock, as timesyncd or chrony say ---------------------------------------------
@pytest.mark.parametrize("tools, ok, warning, says", [
    ({"timedatectl": (0, "no\n", "")}, False, False,
     "System clock not synchronised (timedatectl): check the network and NTP"),
    ({"timedatectl": (1, "", TIMEDATECTL_WITHOUT_SYSTEMD),
      "chronyc": (0, CHRONYC_TRACKING.format(leap="Normal"), "")}, True, False,
     "System clock synchronised (chronyc)"),
    ({"chronyc": (0, CHRONYC_TRACKING.format(leap="Not synchronised"), "")}, False, False,
     "System clock not synchronised (chronyc)"),
    ({"chronyc": (1, "506 Cannot talk to daemon\n", "")}, True, True,
     "Cannot tell whether the system clock is synchronised (neither timedatectl nor chronyc "
     "answers)"),
    ({}, True, True, "Cannot tell whether the system clock is synchronised"),
], ids=["timesyncd-not-synchronised", "container-with-chrony", "chrony-not-synchronised",
        "chronyd-not-running", "neither-installed"])
def test_the_system_clock_check_asks_timesyncd_then_chrony_and_says_when_it_cannot_tell(
        tmp_path, monkeypatch, tools, ok, warning, says):
    from kiosk.doctor import clock_sync_check

    monkeypatch.setenv("PATH", clock_tools(tmp_path / "bin", **tools))

    check = clock_sync_check()

    assert (check.ok, check.warning) == (ok, warning)
    assert check.en.startswith(says)
    assert check.vi != check.en and check.vi


# -- each device: present, permitted, and what it last sent ----------------------------------
def test_each_device_says_what_it_last_sent_and_when_without_personal_data(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)
    with config.open("a", encoding="utf-8") as out:
        out.write('\n[[devices]]\nid = "lane2"\ntype = "serial"\nport = "/dev/ttyACM96"\n'
                  '\n[[devices]]\nid = "counter"\ntype = "replay"\npath = "scans.txt"\n')
    binh = "079301004567||Trần Thị Bình|15071985|Nữ|12 Nguyễn Huệ, TP Hồ Chí Minh|20052021"
    for payload, device in ((binh, "lane1"), ("", "counter")):
        subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", payload, "--device", device,
                        "--config", str(config)], capture_output=True, timeout=60)

    code, found = checks(config)

    assert code == 1  # lane2's node is missing
    lane1, lane2, counter = (found[f"device:{d}"] for d in ("lane1", "lane2", "counter"))
    assert lane1["ok"] and not lane1["warning"]
    assert lane1["en"].startswith(f"Device lane1 ({scanner}): ready; last sent Citizen ID, "
                                  "accepted at ")
    assert lane1["en"].endswith("(0 min ago)")
    assert "Bình" not in lane1["en"] + lane1["vi"]
    assert "lần cuối gửi CCCD, ghi nhận lúc" in lane1["vi"]
    assert not lane2["ok"] and "/dev/ttyACM96" in lane2["en"]
    assert lane2["en"].endswith("nothing received in the last 7 days: scan a test code")
    assert counter["ok"] and counter["en"].startswith(
        "Device counter: last sent a refused code (empty) at ")


def test_a_kiosk_with_no_device_enabled_fails_naming_how_to_enable_one(scanner, tmp_path):
    """A kiosk whose config enables no scanner or camera — no ``[[devices]]`` table at all,
    or every one ``enabled = false`` — cannot read a single code: only the officer's manual
    entry would record anyone. Before, the doctor passed every check, exit 0. It fails,
    saying why in both languages and the two ways to fix it; with one device enabled
    again the check is gone (that device has its line) and the doctor passes."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-none",  # an offline site's
                          server_url="http://127.0.0.1:9", token="token-of-an-offline-site")
    subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", CCCD, "--config", str(config)],
                   capture_output=True, timeout=60, check=True)  # the store exists, and a scan

    code, found = checks(config)

    assert code == 1
    assert [name for name, check in found.items() if not check["ok"]] == ["devices"]
    assert found["devices"]["en"] == (
        "No scanner or camera enabled (no [[devices]] table): the kiosk cannot read any "
        f"code, only manual entry. Set enabled = true on a [[devices]] table in {config}, "
        "or run `kiosk devices` to find a scanner plugged in (with a snippet to paste)")
    assert found["devices"]["vi"] == (
        "Không có máy quét hay camera nào được bật (không có bảng [[devices]] nào): trạm "
        "không đọc được mã nào, chỉ khai báo thủ công được. Đặt enabled = true ở một bảng "
        f"[[devices]] trong {config}, hoặc chạy `kiosk devices` để tìm máy quét đang cắm "
        "(kèm đoạn cấu hình để dán vào)")

    base = config.read_text(encoding="utf-8")
    devices = ('\n[[devices]]\nid = "lane1"\ntype = "serial"\nport = "/dev/ttyACM97"\n'
               'enabled = {on}\n'
               '\n[[devices]]\nid = "cam"\ntype = "camera"\nsource = 0\nenabled = false\n')
    config.write_text(base + devices.format(on="false"), encoding="utf-8")
    code, found = checks(config)
    assert code == 1 and not found["devices"]["ok"]
    assert found["devices"]["en"].startswith(
        "No scanner or camera enabled (every [[devices]] table (2) has enabled = false): ")
    assert found["devices"]["vi"].startswith(
        "Không có máy quét hay camera nào được bật (mọi bảng [[devices]] (2) đều "
        "enabled = false): ")
    text = doctor(config)
    assert "LỖI/FAIL  Không có máy quét hay camera nào được bật" in text.stdout
    assert "\n          No scanner or camera enabled" in text.stdout

    config.write_text(base + devices.format(on="true").replace("/dev/ttyACM97", scanner),
                      encoding="utf-8")
    code, found = checks(config)
    assert "devices" not in found and found["device:lane1"]["ok"]
    assert code == 0, [c for c in found.values() if not c["ok"]]


def test_a_kiosk_never_enrolled_fails_naming_how_to_enrol_it(scanner, tmp_path):
    """Installed as the docs say (install-kiosk.sh's config: the sample's kiosk-01, uploads
    off), a scanner set and a scan recorded, but the centre's QR never held up: its scans
    reach no centre. The doctor passed it, N/N and exit 0, and the technician left it so;
    the oldest-entry line failed only a day later. It fails now, naming `kiosk enrol`.
    Enrolled at a site without network (its token kept, uploads turned off) it warns."""
    installed = subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh"), "--display", "x11"],
                               env={**os.environ, "DESTDIR": str(tmp_path / "root")},
                               capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed.stderr
    config = tmp_path / "root/etc/checkpoint-kiosk/config.toml"
    text = config.read_text(encoding="utf-8").replace(
        "/var/lib/checkpoint-kiosk/kiosk.db", str(tmp_path / "kiosk.db"))
    text += f'\n[[devices]]\nid = "lane1"\ntype = "serial"\nport = "{scanner}"\n'
    config.write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", CCCD, "--config", str(config)],
                   capture_output=True, timeout=60, check=True)

    code, found = checks(config)

    assert code == 1
    assert [name for name, check in found.items() if not check["ok"]] == ["centre"]
    assert found["centre"]["en"] == (
        f"Kiosk kiosk-01 is not enrolled at any centre ([sync] enabled = false, no sync "
        f"token, in {config}): its scans stay on this machine and never reach a centre. "
        "Enrol it: the centre makes a QR (`kiosk-central kiosks add --checkpoint … "
        "--kiosk-id … --qr …`), then run `kiosk enrol --camera 0` here (or scan it on the "
        "Technician screen)")
    assert found["centre"]["vi"].startswith(
        "Trạm kiosk-01 chưa đăng ký với trung tâm nào ([sync] enabled = false, không có mã "
        "đồng bộ, trong ")

    token = tmp_path / "sync-token"
    token.write_text("token-of-an-offline-site\n", encoding="utf-8")
    token.chmod(0o600)
    config.write_text(text.replace('token_file = ""', f'token_file = "{token}"', 1),
                      encoding="utf-8")
    code, found = checks(config)
    assert code == 0, [c for c in found.values() if not c["ok"]]
    assert found["centre"]["ok"] and found["centre"]["warning"]
    assert found["centre"]["en"].startswith(
        f"Uploads are off ([sync] enabled = false in {config}): entries reach the centre "
        "only in backlog files (`kiosk sync export`)")


def test_the_samples_pin_or_none_is_a_warning_naming_the_setting(tmp_path):
    """The technician and sync screens (scanners turned off, the config changed, the backlog
    exported) open with ``[kiosk] pin``. install-kiosk.sh's config keeps the sample's 1234,
    printed in the docs, and nothing said to change it: the doctor passed it silently. It
    warns now (the kiosk works: no failure), naming the setting and the file; a PIN of
    one's own has no line."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-pin",
                          server_url="http://127.0.0.1:9", token="token-of-an-offline-site")
    base = config.read_text(encoding="utf-8")

    _, found = checks(config)  # no pin set: the sample's, the default

    assert found["pin"]["ok"] and found["pin"]["warning"]
    assert found["pin"]["en"].startswith(
        "The PIN is still the sample's 1234 (printed in the docs): anyone at the checkpoint "
        "can open the technician and sync screens")
    assert f"Set a new [kiosk] pin in {config}, then restart the kiosk" in found["pin"]["en"]
    assert found["pin"]["vi"].startswith("Mã PIN vẫn là 1234 của tệp mẫu")

    config.write_text(base.replace("[store]", 'pin = ""\n[store]', 1), encoding="utf-8")
    _, found = checks(config)
    assert found["pin"]["warning"] and found["pin"]["en"].startswith('No PIN ([kiosk] pin = "")')

    config.write_text(base.replace("[store]", 'pin = "804217"\n[store]', 1), encoding="utf-8")
    _, found = checks(config)
    assert "pin" not in found


def test_the_samples_demo_title_is_a_warning_naming_the_setting(tmp_path):
    """install-kiosk.sh's config keeps the sample's title "Chốt kiểm soát demo"; an
    enrolment writes the centre's kiosk name over it, but a centre of an earlier release
    sends none and the title stayed without a word: officers took the kiosk for a
    demonstration. The doctor warns (no failure), naming the setting and the file; a title
    of one's own, or none (the checkpoint's id is shown), has no line."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-title",
                          server_url="http://127.0.0.1:9", token="token-of-an-offline-site")
    base = config.read_text(encoding="utf-8")
    config.write_text(base.replace("[store]", 'checkpoint_name = "Chốt kiểm soát demo"\n'
                                   "[store]", 1), encoding="utf-8")

    _, found = checks(config)

    assert found["title"]["ok"] and found["title"]["warning"]
    assert found["title"]["en"] == (
        'The screen\'s title is still the sample\'s "Chốt kiểm soát demo": the officers and '
        "the people queuing take the kiosk for a demonstration. Set [kiosk] checkpoint_name "
        f'(the checkpoint\'s name, e.g. "Chốt QL1A - làn 1") in {config}, then restart the '
        "kiosk (sudo systemctl restart checkpoint-kiosk)")
    assert found["title"]["vi"].startswith(
        'Tiêu đề màn hình vẫn là "Chốt kiểm soát demo" của tệp mẫu')

    for own in ("", 'checkpoint_name = "Chốt QL1A - làn 1"\n'):
        config.write_text(base.replace("[store]", own + "[store]", 1), encoding="utf-8")
        _, found = checks(config)
        assert "title" not in found


# -- sound, Qt and fonts: the parts of a kiosk screen ----------------------------------------
def sound_tree(root: Path, cards: str, nodes: tuple[str, ...]) -> tuple[Path, Path]:
    """/proc/asound and /dev/snd as the kernel shows them, built under ``root``."""
    proc, dev = root / "proc-asound", root / "dev-snd"
    proc.mkdir()
    dev.mkdir()
    (proc / "cards").write_text(cards, encoding="utf-8")
    for node in nodes:
        (dev / node).touch(mode=0o660)
    return proc, dev


HDA_CARD = (" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n"
            "                      HDA Intel PCH at 0xf7f10000 irq 32\n")


def test_a_sound_card_with_a_playback_device_passes_and_none_is_a_warning(tmp_path):
    from kiosk.doctor import audio_check

    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    card = audio_check(*sound_tree(tmp_path / "with", HDA_CARD,
                                   ("controlC0", "pcmC0D0c", "pcmC0D0p", "timer")))
    none = audio_check(*sound_tree(tmp_path / "without", "--- no soundcards ---\n", ("timer",)))

    assert (card.ok, card.warning) == (True, False)
    assert card.en == f"Sound: HDA-Intel - HDA Intel PCH ({tmp_path}/with/dev-snd/pcmC0D0p)"
    assert (none.ok, none.warning) == (True, True)
    assert none.en.startswith("No sound device: the kiosk will not beep")
    assert audio_check(tmp_path / "absent", tmp_path / "absent").warning  # no /proc/asound


def edid_block(width_cm: int, height_cm: int) -> bytes:
    """An EDID 1.3 base block as a display sends it: the fixed header, the image size in
    bytes 21-22, and the checksum that makes the block sum to 0 modulo 256."""
    block = bytearray(128)
    block[:8] = bytes.fromhex("00ffffffffffff00")
    block[18:20] = b"\x01\x03"  # EDID version 1.3
    block[21], block[22] = width_cm, height_cm
    block[127] = -sum(block[:127]) % 256
    return bytes(block)


def drm_tree(root, ports: dict[str, tuple[str, bytes]]):
    """/sys/class/drm as the kernel lays it out: one folder per connector, with its
    ``status`` and ``edid`` (empty when the display sent none)."""
    for name, (status, edid) in ports.items():
        (root / name).mkdir(parents=True)
        (root / name / "status").write_text(status + "\n", encoding="ascii")
        (root / name / "edid").write_bytes(edid)
    return root


def test_a_panel_that_does_not_report_its_size_is_a_warning_naming_screen_dpi(tmp_path):
    """A 7-inch HDMI panel without EDID: the buttons would assume 96 dpi (8.4 mm on it), so
    the doctor says to set screen_dpi; a panel reporting its size, or the setting, passes."""
    from kiosk.doctor import screen_size_check

    reporting = drm_tree(tmp_path / "reporting", {
        "card0-HDMI-A-1": ("connected", edid_block(15, 9)),
        "card0-DP-1": ("disconnected", b"")})
    silent = drm_tree(tmp_path / "silent", {
        "card0-HDMI-A-1": ("connected", b""),
        "card0-DP-1": ("connected", edid_block(0, 0))})  # 0: "size unknown" in EDID
    headless = drm_tree(tmp_path / "headless", {"card0-HDMI-A-1": ("disconnected", b"")})

    ok = screen_size_check(0, reporting)
    warned = screen_size_check(0, silent)

    assert (ok.ok, ok.warning, ok.en) == (True, False, "Screen reports its size: HDMI-A-1 15×9 cm")
    assert (warned.ok, warned.warning) == (True, True)
    assert warned.en.startswith("Screen DP-1, HDMI-A-1 does not report its size")
    assert "screen_dpi" in warned.en and "screen_dpi" in warned.vi
    assert screen_size_check(133, silent).en == "Screen: 133 dots per inch from [kiosk] screen_dpi"
    assert screen_size_check(0, headless) is None
    assert screen_size_check(0, tmp_path / "no-drm") is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root may open any node")
def test_a_sound_device_the_kiosk_account_may_not_open_fails(tmp_path):
    from kiosk.doctor import audio_check

    proc, dev = sound_tree(tmp_path, HDA_CARD, ("pcmC0D0p",))
    (dev / "pcmC0D0p").chmod(0o600)
    os.chown(dev / "pcmC0D0p", os.getuid(), os.getgid())
    (dev / "pcmC0D0p").chmod(0o000)

    check = audio_check(proc, dev)

    assert not check.ok and "pcmC0D0p" in check.en


DOCTOR_WITHOUT = """
import importlib, sys

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "PySide6":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, Refuse())
from kiosk import cli
sys.exit(cli.main(["doctor", "--json", "--config", sys.argv[1]]))
"""


def test_without_qt_and_without_a_vietnamese_font_the_doctor_names_both_and_fails(
        centre, scanner, tmp_path):
    config = enrolled_kiosk(tmp_path, centre, scanner)
    (tmp_path / "no-fonts").mkdir()
    fonts_conf = tmp_path / "fonts.conf"
    fonts_conf.write_text(f"<?xml version='1.0'?><fontconfig><dir>{tmp_path}/no-fonts</dir>"
                          f"<cachedir>{tmp_path}/font-cache</cachedir></fontconfig>",
                          encoding="utf-8")

    done = subprocess.run([sys.executable, "-c", DOCTOR_WITHOUT, str(config)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "FONTCONFIG_FILE": str(fonts_conf)})

    assert done.returncode == 1, done.stderr
    found = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert not found["qt"]["ok"]
    assert found["qt"]["en"].startswith("PySide6 unusable (No module named 'PySide6")
    assert found["qt"]["en"].endswith("install the [ui] extra")
    assert not found["fonts"]["ok"]
    assert found["fonts"]["en"] == "No font with Vietnamese glyphs: install fonts-noto-core"
    assert found["token"]["ok"] and found["store"]["ok"]  # the rest is still checked


def test_without_fc_list_the_font_check_says_to_install_fontconfig(tmp_path, monkeypatch):
    from kiosk.doctor import display_checks

    monkeypatch.setenv("PATH", str(tmp_path))  # no fc-list here

    fonts = next(c for c in display_checks() if c.name == "fonts")

    assert not fonts.ok
    assert fonts.en == "Cannot list the fonts (no fc-list): install fontconfig"


def test_entries_refused_for_their_own_content_warn_and_do_not_fail_the_install_check():
    """Only a refusal this kiosk's configuration causes fails the doctor (a wrong checkpoint:
    test_wrong_checkpoint); one refused for what it holds may be beyond anyone's fixing, and
    a check failing for good is one nobody reads. Still named: how many, why, what to do."""
    from kiosk.doctor import refused_check

    found = refused_check(3, 2, "name: longer than 200 characters")  # as an older centre said
    assert found.ok and found.warning
    assert found.en.startswith("3 entries refused by the centre sit in the store")
    assert "kiosk sync retry-rejected" in found.en and "retry-rejected" in found.vi


def test_entries_refused_for_the_checkpoint_fail_the_doctor_among_more_refused_otherwise(
        tmp_path):
    """100 entries refused for this kiosk's checkpoint beside 101 refused for their content:
    the checkpoint is what the technician must fix (every new scan is refused too), so it is
    named with its own remedy and fails, a minority or not (it passed with a warning and the
    plain retry, which files them under the same checkpoint again)."""
    import sqlite3

    from kiosk.doctor import refused_check, refused_entries
    from kiosk.messages import Words
    from tests.sync_support import fill_backlog

    checkpoint = Words("refusal.other_checkpoint", {
        "field": "checkpoint_id", "kiosk": "ql1a-01", "enrolled": "CP-QL1A",
        "checkpoint": "CP-QL1B"}).saved()
    ids = fill_backlog(tmp_path / "kiosk.db", 201, kiosk_id="ql1a-01")
    with contextlib.closing(sqlite3.connect(tmp_path / "kiosk.db")) as conn:
        with conn:  # refused as the centre's answers leave them (the outbox counts them too)
            conn.executemany("UPDATE entries SET sync_state = 'rejected', sync_error = ? "
                             "WHERE id = ?", [(checkpoint, i) for i in ids[:100]]
                             + [("name: longer than 200 characters", i) for i in ids[100:]])
        found = refused_check(*refused_entries(conn))
    assert not found.ok
    assert found.en.startswith("201 entries refused by the centre sit in the store, not "
                               "delivered; 100 of them for: ")
    assert "`kiosk sync retry-rejected --checkpoint CP-QL1A`" in found.en


def test_the_doctor_counts_a_backlog_from_the_outbox_counters_not_entry_by_entry(tmp_path):
    """``kiosk doctor`` counted the pending entries of each kiosk id (and the refused ones)
    by walking them — seconds at a million, on a kiosk already behind — while the screens
    read the outbox's counters (``entry_counts``, store v13). It reads them too: the same
    answer for 20,000 test scans waiting under an id never enrolled, in a few hundred of
    SQLite's steps, not one walk of the backlog (counted with SQLite's progress handler,
    every 1,000 steps; no clock involved)."""
    from kiosk.config import load as load_config
    from kiosk.doctor import refused_entries, unenrolled_pending
    from kiosk.store import open_reading
    from tests.sync_support import fill_backlog

    config = load_config(write_config(tmp_path / "config.toml", kiosk_id="cp1-01",
                                      server_url="http://127.0.0.1:9", token="t0ken"))
    fill_backlog(tmp_path / "kiosk.db", 20_000, kiosk_id="test-01")
    conn, _ = open_reading(tmp_path / "kiosk.db", timeout=5)
    thousands: list[int] = []
    conn.set_progress_handler(lambda: thousands.append(1) or 0, 1000)
    try:
        assert unenrolled_pending(conn, config) == {"test-01": 20_000}
        assert refused_entries(conn) == (0, 0, None)
    finally:
        conn.close()
    assert len(thousands) < 3, f"{len(thousands)} thousand steps: the entries were walked"


def test_the_doctor_counts_the_scans_not_folded_into_the_counters_yet(tmp_path):
    """The counters hold the entries up to their mark (store v14); the scans after it are
    counted when read until the kiosk's upkeep folds them in. The doctor, reading beside a
    running kiosk, counts them too: reading the counters alone, it missed every scan since
    the last fold."""
    from kiosk.config import load as load_config
    from kiosk.doctor import unenrolled_pending
    from kiosk.store import open_reading
    from tests.sync_support import backlog_rows, fill_backlog

    config = load_config(write_config(tmp_path / "config.toml", kiosk_id="cp1-01",
                                      server_url="http://127.0.0.1:9", token="t0ken"))
    fill_backlog(tmp_path / "kiosk.db", 100, kiosk_id="test-01")
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:  # three scans since the fold
        for number, row in enumerate(backlog_rows(3, kiosk_id="test-01")):
            row["id"] = f"ffffffff-ffff-7fff-8fff-{number:012x}"  # above the mark
            conn.execute(f"INSERT INTO entries ({', '.join(row)}) "
                         f"VALUES ({', '.join('?' for _ in row)})", list(row.values()))
    conn, _ = open_reading(tmp_path / "kiosk.db", timeout=5)
    try:
        assert unenrolled_pending(conn, config) == {"test-01": 103}
    finally:
        conn.close()


@pytest.mark.parametrize("version", [12, 13])
def test_the_doctor_counts_a_store_the_kiosk_has_not_migrated_yet(tmp_path, monkeypatch, version):
    """Run after the software was upgraded and before the kiosk started again, the doctor
    reads a store of the release before (it migrates nothing): its pending entries are
    counted from what that store keeps — v13's counters, or the entries themselves before
    them — not refused as unreadable for a table it does not have yet."""
    from kiosk.config import load as load_config
    from kiosk.doctor import unenrolled_pending
    from kiosk.store import open_reading
    from tests.sync_support import backlog_rows
    from tests.test_store_upgrade import old_database

    config = load_config(write_config(tmp_path / "config.toml", kiosk_id="cp1-01",
                                      server_url="http://127.0.0.1:9", token="t0ken"))
    old_database(tmp_path / "kiosk.db", monkeypatch, version=version)
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:  # its scans
        for row in backlog_rows(40, kiosk_id="test-01"):
            conn.execute(f"INSERT INTO entries ({', '.join(row)}) "
                         f"VALUES ({', '.join('?' for _ in row)})", list(row.values()))
    conn, _ = open_reading(tmp_path / "kiosk.db", timeout=5)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        assert unenrolled_pending(conn, config) == {"test-01": 40}
    finally:
        conn.close()
