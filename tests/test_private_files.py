"""Personal data and secrets are readable by their owner only, whatever the umask: the
databases, exports and backlog files are created 0600 in folders created 0700; a store or
token file readable by others is reported; the token is never printed.

Real files, real `kiosk` processes; the umask is the usual 022, under which files were 0644.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.central.backends import open_storage
from kiosk.store import Store
from tests.conftest import CCCD_AN

TOKEN = "s3cr3t-token-that-must-never-be-printed"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    (tmp_path / "token").write_text(TOKEN)
    os.chmod(tmp_path / "token", 0o600)  # as the technician's guide says
    path = tmp_path / "config.toml"
    path.write_text(f"""
[kiosk]
id = "k1"
checkpoint_id = "CP1"
language = "en"
[store]
path = "data/kiosk.db"
[sync]
token = "{TOKEN}"
token_file = "token"
""", encoding="utf-8")
    os.chmod(path, 0o600)  # it holds the token too
    return path


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_the_kiosk_store_and_its_folder_are_created_for_the_owner_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "new" / "kiosk.db")
    try:
        assert mode(tmp_path / "new") == 0o700
        assert mode(tmp_path / "new" / "kiosk.db") == 0o600
        assert mode(tmp_path / "new" / "kiosk.db-wal") == 0o600
    finally:
        store.close()


def test_the_central_database_is_created_for_the_owner_only(tmp_path: Path) -> None:
    with open_storage(f"sqlite:///{tmp_path}/centre/central.db"):
        pass
    assert mode(tmp_path / "centre") == 0o700
    assert mode(tmp_path / "centre" / "central.db") == 0o600


def test_csv_and_xlsx_exports_are_created_for_the_owner_only(config_file: Path,
                                                            tmp_path: Path) -> None:
    """The folder is the technician's (a stick, a shared folder): there already, never made
    nor changed by the export (tests/test_cli_export_output.py: a folder not there)."""
    kiosk(config_file, "scan", CCCD_AN)
    (tmp_path / "exports").mkdir(mode=0o755)
    for fmt in ("csv", "xlsx"):
        out = tmp_path / "exports" / f"entries.{fmt}"
        kiosk(config_file, "export", "--format", fmt, "-o", str(out))
        assert out.stat().st_size > 0
        assert mode(out) == 0o600
    assert mode(tmp_path / "exports") == 0o755  # under the usual umask 022


def test_a_backlog_file_is_created_for_the_owner_only(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.sync import backlog
    from tests.sync_support import backlog_rows

    path = tmp_path / "usb" / "ql1a.backlog"
    path.parent.mkdir()  # the stick, mounted: the export never makes its folder
    backlog.write_backlog(path, backlog_rows(3, kiosk_id="kiosk-t"),
                          signing_key=Ed25519PrivateKey.generate(),
                          centre_key=X25519PrivateKey.generate().public_key(),
                          kiosk_id="kiosk-t", checkpoint_id="CP-SYNC")
    assert mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["ql1a.backlog"]  # no .part left


def test_config_check_warns_when_the_store_token_or_signing_key_is_readable_by_others(
        config_file: Path, tmp_path: Path) -> None:
    from kiosk.sync.kiosk_keys import KioskKeys

    kiosk(config_file, "scan", CCCD_AN)
    KioskKeys(tmp_path).signing_key()  # beside the token file
    quiet = kiosk(config_file, "config", "check")
    assert "can read" not in quiet.stderr
    for name in ("data/kiosk.db", "token", "backlog-signing.key"):
        os.chmod(tmp_path / name, 0o644)
    loud = kiosk(config_file, "config", "check")
    assert (f"WARNING: other users can read {tmp_path / 'data' / 'kiosk.db'} (mode 0644); "
            f"run: chmod 600 {tmp_path / 'data' / 'kiosk.db'}") in loud.stderr
    assert f"other users can read {tmp_path / 'token'} (mode 0644)" in loud.stderr
    assert f"other users can read {tmp_path / 'backlog-signing.key'} (mode 0644)" in loud.stderr


def test_config_check_json_prints_only_json_and_never_the_token(config_file: Path) -> None:
    proc = kiosk(config_file, "config", "check", "--json")
    data = json.loads(proc.stdout)
    assert data["sync"]["token"] == "(set, hidden)"
    assert data["kiosk"]["id"] == "k1"
    assert TOKEN not in proc.stdout + proc.stderr


def test_the_audit_log_names_the_account_when_user_is_unset(tmp_path: Path) -> None:
    """Under systemd or cron $USER is unset: the audit log names the account, not "?"."""
    import pwd

    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[store]\npath = "kiosk.db"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("USER", "LOGNAME")}
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "export", "-o",
                           str(tmp_path / "out.csv"), "--config", str(config)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    store = Store(tmp_path / "kiosk.db")
    try:
        rows = store.audit_log()
    finally:
        store.close()
    assert [row["action"] for row in rows] == ["export.csv", "export.csv.done"]
    assert {row["actor"] for row in rows} == {pwd.getpwuid(os.getuid()).pw_name}


def test_a_file_made_at_the_output_meanwhile_is_kept(tmp_path: Path) -> None:
    """The commands ask first (existing_output) and do their work; a file another program
    puts there meanwhile is refused when the output is made, never written over: the
    streamed export's O_EXCL, the whole file's hard link (real files on a real disk)."""
    from kiosk.private_files import OutputExists, open_output, place, replace_file

    target = tmp_path / "out.csv"
    target.write_text("another program's file")
    finished = tmp_path / ".out.csv.tmp"
    finished.write_text("the command's file")
    with pytest.raises(OutputExists) as said:
        place(finished, target, force=False)
    assert said.value.words.params == {"path": str(target)}
    assert finished.read_text() == "the command's file"  # for the caller to remove
    with pytest.raises(OutputExists):
        open_output(target, force=False)
    with pytest.raises(OutputExists):
        replace_file(target, b"the command's file", force=False)
    assert target.read_text() == "another program's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.csv.tmp", "out.csv"]
    place(finished, tmp_path / "new.csv", force=False)
    assert (tmp_path / "new.csv").read_text() == "the command's file"
    assert not finished.exists()


# -- files a technician or an administrator asks for: a capture, a snapshot, a QR ---------
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def this_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command run here (`kiosk`, `kiosk-central`, the camera check) is this tree's."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def test_a_capture_of_a_card_read_live_is_created_for_the_owner_only(tmp_path: Path) -> None:
    """`kiosk devices watch PORT --save FILE` while a real card is scanned: the capture holds
    the card's whole payload (number, name, birth date, address) as hex, so it is 0600 —
    and so is a capture saved over an earlier one that was readable by all."""
    from devices_support import Pty
    from test_devices_commands import decoded

    capture = tmp_path / "lane1.capture"
    capture.write_text("an earlier capture")
    os.chmod(capture, 0o644)
    with Pty() as pty:
        watching = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "devices", "watch", pty.path, "--count", "1",
             "--save", str(capture), "--config", str(tmp_path / "none.toml")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert watching.stdout is not None
        assert "watching" in watching.stdout.readline()  # the port is open
        pty.send(CCCD_AN.encode() + b"\r")
        out, err = watching.communicate(timeout=60)
    assert watching.returncode == 0, err
    assert f"capture saved: {capture}" in out
    assert decoded(capture) == [CCCD_AN.encode()]  # the whole identity, replayable
    assert mode(capture) == 0o600


@pytest.mark.parametrize("command", [
    ["kiosk.cli", "devices", "watch", "/dev/ttyNONE", "--save"],
    ["kiosk.devices.camera", "/dev/videoNONE", "--snapshot"]])
def test_a_capture_or_snapshot_into_a_folder_not_there_is_refused_before_the_device_is_opened(
        tmp_path: Path, command: list[str]) -> None:
    """The folder is the technician's (a stick): never made on the kiosk's own disk."""
    proc = subprocess.run([sys.executable, "-m", *command, str(tmp_path / "stick" / "x.jpg")],
                          capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert proc.returncode == 2
    assert f"there is no folder {tmp_path / 'stick'}, nothing written" in proc.stderr
    assert "NONE" not in proc.stderr + proc.stdout
    assert not (tmp_path / "stick").exists()


def test_a_camera_snapshot_is_created_for_the_owner_only(tmp_path: Path) -> None:
    """`python -m kiosk.devices.camera SOURCE --snapshot FILE`, as technician.md shows it:
    the picture is of what was held up to the camera, a citizen's card or QR code."""
    from camera_support import Shot, qr_image, write_video

    video = tmp_path / "card.avi"
    write_video(video, [Shot(3), Shot(5, qr_image(CCCD_AN, scale=4)), Shot(3)])
    snapshot = tmp_path / "cam.jpg"
    proc = subprocess.run([sys.executable, "-m", "kiosk.devices.camera", str(video),
                           "--seconds", "30", "--snapshot", str(snapshot)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert snapshot.read_bytes().startswith(b"\xff\xd8")  # a JPEG
    assert mode(snapshot) == 0o600


@pytest.mark.parametrize("name", ["ql1a-02.png", "ql1a-02.svg"])
def test_an_enrolment_qr_is_created_for_the_owner_only(tmp_path: Path, name: str) -> None:
    """`kiosk-central kiosks add --qr` and `kiosks token --qr`: the QR carries a one-time
    secret that enrols a kiosk for 24 hours — a credential, as a token file is."""
    from central_support import database_url

    central = str(Path(sys.executable).with_name("kiosk-central"))
    db = database_url("sqlite", tmp_path)
    qr = tmp_path / name
    for command in (["kiosks", "add", "--checkpoint", "CP-QL1A", "--name", "Làn 2",
                     "--kiosk-id", "ql1a-02"],
                    ["kiosks", "token", "ql1a-02", "--reason", "máy thay mới / new machine"]):
        qr.unlink(missing_ok=True)
        proc = subprocess.run([central, *command, "--db", db, "--qr", str(qr), "--server-url",
                               "https://central.example.vn"], capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert qr.stat().st_size > 0
        assert mode(qr) == 0o600, command


# -- a token inline in config.toml ----------------------------------------------------------
def test_a_token_inline_in_a_config_others_can_read_is_warned_and_its_bak_kept_private(
        tmp_path: Path) -> None:
    """The token as `kiosks add` printed it once, pasted into config.toml as [sync] token
    (the file 0644, as an editor leaves it): `config check` and `doctor` warn, naming the
    fix; `kiosks add` itself suggests a token_file. `kiosk enrol` then moves the token out
    of the config, and the config.toml.bak it keeps, which still holds it, is 0600; one
    left readable by an earlier version is warned about."""
    from central_support import CentralServer, database_url
    from test_enrolment import kiosk_config

    db = database_url("sqlite", tmp_path)
    central = str(Path(sys.executable).with_name("kiosk-central"))
    added = subprocess.run([central, "kiosks", "add", "--db", db, "--checkpoint", "CP-QL1A",
                            "--name", "Làn 1", "--kiosk-id", "ql1a-01"],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    token = added.stdout.split("ONCE:")[1].splitlines()[1].strip()
    assert '[sync]   enabled = true   token_file = "sync-token"' in added.stdout
    assert "the token above, alone, in the file sync-token beside config.toml (run: chmod " \
           "600 sync-token)" in added.stdout
    config = kiosk_config(tmp_path / "kiosk")
    config.write_text(config.read_text(encoding="utf-8").replace(
        'token = ""', f'token = "{token}"'), encoding="utf-8")
    assert mode(config) == 0o644

    checked = kiosk(config, "config", "check")
    fix = (f"other users can read {config} (mode 0644), which holds the kiosk's sync token "
           f"([sync] token); run: chmod 600 {config}, or move the token into a file of its "
           "own (readable by its owner only, chmod 600) named by [sync] token_file")
    assert (f"CẢNH BÁO: người dùng khác đọc được {config} (quyền 0644), tệp chứa mã đồng bộ "
            f"(token) của trạm ([sync] token); chạy: chmod 600 {config}, hoặc chuyển mã sang "
            "một tệp riêng") in checked.stderr  # the shipped config's language
    doctor = subprocess.run([sys.executable, "-m", "kiosk.cli", "doctor", "--json", "--config",
                             str(config)], capture_output=True, text=True, timeout=120)
    found = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert found[f"files:{config}"]["en"] == fix
    assert found[f"files:{config}"]["warning"] and found[f"files:{config}"]["ok"]
    assert token not in checked.stderr + doctor.stdout

    os.chmod(config, 0o600)
    assert "đọc được" not in kiosk(config, "config", "check").stderr
    os.chmod(config, 0o644)

    centre = CentralServer(db)
    try:
        given = subprocess.run([central, "kiosks", "token", "ql1a-01", "--db", db, "--reason",
                                "token ra tệp / token to a file", "--qr",
                                str(tmp_path / "code.png"), "--server-url", centre.url,
                                "--json"], capture_output=True, text=True, timeout=60)
        assert given.returncode == 0, given.stderr
        enrolled = kiosk(config, "enrol", "--code", json.loads(given.stdout)["code"])
    finally:
        centre.stop()
    assert enrolled.returncode == 0, enrolled.stderr
    assert token not in config.read_text(encoding="utf-8")
    assert "đọc được" not in kiosk(config, "config", "check").stderr  # a token no more
    backup = config.with_name("config.toml.bak")
    assert f'token = "{token}"' in backup.read_text(encoding="utf-8")
    assert mode(backup) == 0o600
    assert mode(config) == 0o644  # the config keeps its mode
    os.chmod(backup, 0o644)  # as versions before this one left it
    assert (f"CẢNH BÁO: người dùng khác đọc được {backup} (quyền 0644), bản config.toml cũ "
            f"còn chứa mã đồng bộ (token) của trạm; chạy: chmod 600 {backup}, hoặc xoá tệp "
            "đó") in kiosk(config, "config", "check").stderr


def test_an_enrolment_qr_into_a_folder_not_there_is_refused_before_the_kiosk_is_added(
        tmp_path: Path) -> None:
    """A QR for a stick not mounted: refused with nothing changed, not a kiosk added whose
    code could not be written."""
    central = str(Path(sys.executable).with_name("kiosk-central"))
    db = f"sqlite:///{tmp_path / 'central.db'}"
    refused = subprocess.run(
        [central, "kiosks", "add", "--db", db, "--checkpoint", "CP-QL1A", "--name", "Làn 2",
         "--kiosk-id", "ql1a-02", "--qr", str(tmp_path / "stick" / "ql1a-02.png"),
         "--server-url", "https://central.example.vn"], capture_output=True, text=True,
        timeout=60)
    assert refused.returncode == 2
    assert f"there is no folder {tmp_path / 'stick'}, nothing written" in refused.stderr
    assert not (tmp_path / "central.db").exists()  # asked before the database is opened
