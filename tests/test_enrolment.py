"""Enrolment by QR, as a technician does it: ``kiosk-central kiosks add --qr`` on the
centre, the QR filmed by the kiosk's camera (a real video file read by the kiosk's own
decoder), ``kiosk enrol``, a scan uploaded; the code refused once used or expired, and never
recorded as a person's entry.

Real processes throughout: ``kiosk-central serve`` on 127.0.0.1 and the ``kiosk`` command.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import cv2
import pytest
from central_support import ENGINES, CentralServer, central, database_url, free_port

from kiosk import config as config_mod
from kiosk.enrolment import EnrolmentCodeError, parse
from tests.camera_support import CCCD, CCCD_2024, Shot, write_video

SHIPPED_CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


def kiosk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, timeout=120, input=stdin)


def add_with_qr(db: str, kiosk_id: str, qr: Path, server_url: str, *extra: str) -> dict:
    out = central("kiosks", "add", "--db", db, "--checkpoint", "CP-QR", "--name",
                  f"Máy {kiosk_id}", "--kiosk-id", kiosk_id, "--qr", str(qr),
                  "--server-url", server_url, "--json", *extra)
    return json.loads(out.stdout)


def kiosk_config(folder: Path) -> Path:
    """The shipped config.toml (with its comments), its store inside ``folder`` (made if
    need be)."""
    folder.mkdir(exist_ok=True)
    path = folder / "config.toml"
    text = SHIPPED_CONFIG.read_text(encoding="utf-8")
    text = text.replace('path = "data/kiosk.db"', 'path = "kiosk.db"')
    path.write_text(text[:text.index("[[devices]]")], encoding="utf-8")
    return path


def enrol_with_a_folder_locked(folder: Path, mode: int, code: str, config: Path,
                               token: Path) -> subprocess.CompletedProcess[str]:
    """``kiosk enrol`` run while ``folder`` has the permissions ``mode``, which bind it even
    as root (its power to override them dropped); the folder is given back 0755 after."""
    from tests.test_config_read_review import without_read_override

    folder.chmod(mode)
    try:
        return subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "enrol", "--code", code, "--config",
             str(config), "--token-file", str(token)], capture_output=True, text=True,
            timeout=120, preexec_fn=without_read_override)
    finally:
        folder.chmod(0o755)


@pytest.fixture
def centre(tmp_path):
    db = f"sqlite:///{tmp_path / 'central.db'}"
    server = CentralServer(db)
    yield server
    server.stop()


def test_a_qr_filmed_by_the_camera_enrols_the_kiosk_once_and_its_scans_reach_the_centre(
        centre, tmp_path):
    added = add_with_qr(centre.db, "lane-1", tmp_path / "enrol.png", centre.url)
    assert "token" not in added  # the long-lived token is never printed, nor in the QR
    code = cv2.imread(str(tmp_path / "enrol.png"), cv2.IMREAD_GRAYSCALE)
    video = tmp_path / "technician-holds-up-the-qr.avi"
    write_video(video, [Shot(5), Shot(15, code, tilt_deg=8, perspective=0.1), Shot(5)])
    config = kiosk_config(tmp_path)

    enrolled = kiosk("enrol", "--camera", str(video), "--config", str(config))

    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    assert "Kiosk lane-1 enrolled at checkpoint CP-QR" in enrolled.stdout
    assert "Link to the centre works, token accepted" in enrolled.stdout
    settings = config_mod.load(config)
    assert (settings.kiosk.id, settings.kiosk.checkpoint_id) == ("lane-1", "CP-QR")
    assert settings.sync.enabled and settings.sync.server_url == centre.url
    token_file = Path(settings.sync.token_file)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert "# this kiosk, unique at the centre" in config.read_text(encoding="utf-8")

    assert kiosk("scan", CCCD, "--config", str(config)).returncode == 0
    pushed = kiosk("sync", "push", "--config", str(config))
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    with sqlite3.connect(centre.db.removeprefix("sqlite:///")) as db:
        held = db.execute("SELECT kiosk_id, checkpoint_id, name FROM entries").fetchall()
    assert held == [("lane-1", "CP-QR", "Nguyễn Văn An")]

    # the backlog keys came with the enrolment: the kiosk's signing key, made beside its
    # token, is the one the centre registered; the centre's key is kept beside it too
    signing, centre_said = (token_file.parent / "backlog-signing.key",
                            token_file.parent / "centre-backlog.json")
    for path in (signing, centre_said):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    from kiosk.sync.kiosk_keys import KioskKeys

    keys = KioskKeys(token_file.parent)
    from kiosk.sync.backlog_keys import fingerprint

    assert keys.centre().registered_signing_key == fingerprint(keys.signing_key().public_key())
    shown = central("kiosks", "signing-key", "lane-1", "--db", centre.db).stdout
    assert keys.public_signing_key() in shown
    assert kiosk("scan", CCCD_2024, "--config", str(config)).returncode == 0
    stick = tmp_path / "usb" / "lane-1.backlog"
    stick.parent.mkdir()  # the stick, mounted
    exported = kiosk("sync", "export", "--to", str(stick), "--config", str(config))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "has not confirmed" not in exported.stderr
    imported = central("import", str(stick), "--db", centre.db)
    assert "1 accepted" in imported.stdout

    again = kiosk("enrol", "--camera", str(video), "--config", str(tmp_path / "other.toml"))
    assert again.returncode == 1
    assert "already used" in again.stderr and "HTTP 409" in again.stderr
    assert not (tmp_path / "other.toml").exists()


def test_the_kiosks_name_at_the_centre_replaces_the_samples_demo_title(centre, tmp_path):
    """The screen's title is ``[kiosk] checkpoint_name``. A kiosk installed and enrolled as
    the docs say kept the sample's "Chốt kiểm soát demo" there (the enrolment set its id and
    checkpoint only): officers and the people in the queue read a demonstration. The centre
    now sends the kiosk's name (``kiosks add --name``) with the token, and the enrolment
    writes it, the file's comments kept."""
    added = add_with_qr(centre.db, "lane-12", tmp_path / "q.png", centre.url)
    config = kiosk_config(tmp_path)
    assert config_mod.load(config).kiosk.checkpoint_name == "Chốt kiểm soát demo"

    enrolled = kiosk("enrol", "--code", added["code"], "--config", str(config))

    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    assert config_mod.load(config).kiosk.checkpoint_name == "Máy lane-12"
    assert "# shown on screen and in reports" in config.read_text(encoding="utf-8")


LONG_NAME = ("Chốt kiểm soát liên ngành Quốc lộ 1A, km 947+300, xã Hòa Phước, huyện Hòa "
             "Vang, thành phố Đà Nẵng — làn 1, hướng Bắc–Nam, dành cho xe khách, xe tải và "
             "người đi bộ qua cầu Tuyên Sơn mới, cạnh trạm thu phí cũ")


def test_a_kiosk_name_too_long_for_the_title_is_cut_short_and_the_enrolment_says_so(
        centre, tmp_path):
    """The centre takes a kiosk name of any length; the enrolment dropped one over 200
    characters whole, and the sample's "Chốt kiểm soát demo" stayed on the screen without a
    word. The title now keeps its first 200 characters, the last "…", and `kiosk enrol`
    says so in both languages, naming the setting for another title."""
    assert len(LONG_NAME) > 200
    added = add_with_qr(centre.db, "lane-13", tmp_path / "q.png", centre.url,
                        "--name", LONG_NAME)  # the last --name is the one taken
    config = kiosk_config(tmp_path)

    enrolled = kiosk("enrol", "--code", added["code"], "--config", str(config))

    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    title = config_mod.load(config).kiosk.checkpoint_name
    assert len(title) == 200 and title == LONG_NAME[:199].rstrip() + "…"
    assert (f"The kiosk's name at the centre is {len(LONG_NAME)} characters long: the "
            f'screen\'s title keeps its first 200 ("{title}"); for another title, set [kiosk] '
            "checkpoint_name in the config") in enrolled.stdout
    assert (f"Tên trạm ở trung tâm dài {len(LONG_NAME)} ký tự: tiêu đề màn hình chỉ giữ 200 "
            "ký tự đầu") in enrolled.stdout


def test_a_kiosk_name_with_a_line_break_or_a_tab_is_the_title_with_spaces(centre, tmp_path):
    """A name pasted at the centre with a line break or a tab in it was no printable text:
    dropped, the demo title kept without a word. Its blanks are now one space each; a name
    that fits is not said to be cut."""
    added = add_with_qr(centre.db, "lane-14", tmp_path / "q.png", centre.url,
                        "--name", "Chốt QL1A\n— làn 1\t(vào)")
    config = kiosk_config(tmp_path)

    enrolled = kiosk("enrol", "--code", added["code"], "--config", str(config))

    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    assert config_mod.load(config).kiosk.checkpoint_name == "Chốt QL1A — làn 1 (vào)"
    assert "characters long" not in enrolled.stdout


def test_a_title_set_by_hand_stays_through_a_new_token_but_not_through_a_move(centre, tmp_path):
    """The technician may set the screen's title by hand ("Chốt kiểm soát Cầu Giấy — làn
    2"; the docs' own `kiosks add --name lane2` makes a name meant for the registry). A new
    token for the same kiosk (`kiosks token --qr`, a token lost on reinstall) replaced it with
    the centre's name: the title stays while the kiosk stays at its checkpoint. Moved to
    another checkpoint, the old title would be wrong: the centre's name is written."""
    added = add_with_qr(centre.db, "lane-2", tmp_path / "q.png", centre.url)
    config = kiosk_config(tmp_path)
    assert kiosk("enrol", "--code", added["code"], "--config", str(config)).returncode == 0
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('checkpoint_name = "Máy lane-2"',
                                   'checkpoint_name = "Chốt kiểm soát Cầu Giấy — làn 2"'),
                      encoding="utf-8")
    again = json.loads(central(
        "kiosks", "token", "lane-2", "--db", centre.db, "--reason", "reinstalled, ticket 42",
        "--qr", str(tmp_path / "again.png"), "--server-url", centre.url, "--json").stdout)

    assert kiosk("enrol", "--code", again["code"], "--config", str(config)).returncode == 0
    assert config_mod.load(config).kiosk.checkpoint_name == "Chốt kiểm soát Cầu Giấy — làn 2"

    moved = json.loads(central(
        "kiosks", "add", "--db", centre.db, "--checkpoint", "CP-OTHER", "--new-checkpoint",
        "--name", "Chốt QL1A - làn 1", "--kiosk-id", "ql1a-01", "--qr",
        str(tmp_path / "moved.png"), "--server-url", centre.url, "--json").stdout)
    assert kiosk("enrol", "--code", moved["code"], "--config", str(config)).returncode == 0
    settings = config_mod.load(config).kiosk
    assert (settings.checkpoint_id, settings.checkpoint_name) == ("CP-OTHER", "Chốt QL1A - làn 1")


def test_no_camera_at_the_source_is_said_as_such_not_as_a_bad_code(tmp_path):
    """`kiosk enrol --camera 0` on a kiosk whose camera is unplugged (or held by the running
    kiosk) said "Not a valid enrolment code: no camera at /dev/video0": the technician was
    sent back to the centre for a new QR. It says the camera could not be read, and the two
    other ways in."""
    config = kiosk_config(tmp_path)
    before = config.read_bytes()

    enrolled = kiosk("enrol", "--camera", "/dev/video97", "--seconds", "1",
                     "--config", str(config))

    assert enrolled.returncode == 2
    assert "Not a valid enrolment code" not in enrolled.stderr
    assert ("Cannot read the enrolment code from camera /dev/video97: no camera at "
            "/dev/video97. See the cameras with `kiosk devices`, or run `kiosk enrol --code -` "
            "and scan the code with a scanner (or paste it)") in enrolled.stderr
    assert "Không đọc được mã đăng ký từ camera /dev/video97: " in enrolled.stderr
    assert config.read_bytes() == before


def test_an_expired_code_is_refused_and_changes_nothing(centre, tmp_path):
    added = add_with_qr(centre.db, "lane-2", tmp_path / "enrol.svg", centre.url,
                        "--valid-hours", str(1 / 3600))
    assert (tmp_path / "enrol.svg").read_text().lstrip().startswith("<?xml")
    time.sleep(1.2)
    config = kiosk_config(tmp_path)
    before = config.read_bytes()

    late = kiosk("enrol", "--code", added["code"], "--config", str(config))

    assert late.returncode == 1
    assert "HTTP 410" in late.stderr and "expired" in late.stderr
    assert "Trung tâm từ chối mã đăng ký" in late.stderr
    assert config.read_bytes() == before
    said = centre.wait_for_stderr("enrolment refused: ")  # serve's journal, both languages
    line = next(line for line in said.splitlines() if "enrolment refused: " in line)
    assert "từ chối đăng ký trạm: " in line.split(" / ")[0]


def test_a_kiosk_offline_at_first_says_so_and_enrols_once_the_centre_answers(tmp_path):
    port = free_port()
    db = database_url("sqlite", tmp_path)
    added = add_with_qr(db, "lane-3", tmp_path / "enrol.png", f"http://127.0.0.1:{port}")
    config = kiosk_config(tmp_path)
    if os.geteuid() == 0:
        os.chown(tmp_path, 65534, 65534)  # the kiosk's folder belongs to its account
    waiting = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "enrol", "--code", "-", "--config", str(config),
         "--tries", "100", "--retry-seconds", "0.2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting.stdin.write(added["code"] + "\n")  # as a keyboard-wedge scanner types it
    waiting.stdin.close()
    first_line = waiting.stderr.readline()
    assert "Chưa kết nối được trung tâm" in first_line
    assert "Cannot reach the centre yet" in first_line
    server = CentralServer(db, "--port", str(port))
    try:
        waiting.wait(timeout=60)
    finally:
        server.stop()
    out, err = waiting.stdout.read(), waiting.stderr.read()
    assert waiting.returncode == 0, out + err
    assert config_mod.load(config).kiosk.id == "lane-3"
    if os.geteuid() == 0:  # `sudo kiosk enrol`: the files go to the kiosk account
        assert {(p.stat().st_uid, p.stat().st_gid) for p in (
            config, tmp_path / "sync-token", tmp_path / "backlog-signing.key",
            tmp_path / "centre-backlog.json")} == {(65534, 65534)}


def test_an_enrolment_code_held_up_to_the_scanner_is_not_recorded_as_a_person(
        centre, tmp_path):
    added = add_with_qr(centre.db, "lane-4", tmp_path / "enrol.png", centre.url)
    config = kiosk_config(tmp_path)

    scanned = kiosk("scan", added["code"], "--config", str(config))

    assert scanned.returncode == 1
    assert "Đây là mã đăng ký trạm, không phải giấy tờ: không ghi" in scanned.stdout
    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone() == (0,)
        refused = db.execute("SELECT reason_code, payload FROM refused_scans").fetchall()
    assert refused == [("enrolment_code", b"")]  # the secret is not kept on the kiosk


@pytest.mark.parametrize("text, problem", [
    ("001099012345|123456789|Nguyễn Văn An", "must start with"),
    ("ckenrol:1?u=http%3A%2F%2Fx&k=a&c=b&e=2026", "without its secret"),
    ("ckenrol:1?u=file%3A%2F%2F%2Fetc&k=a&c=b&s=" + "x" * 43 + "&e=1", "is not an http"),
    # Python cannot split these: a bare ValueError, a traceback in `kiosk enrol`
    *((f"ckenrol:1?u={url}&k=a&c=b&s=" + "x" * 43 + "&e=1", "is not an http")
      for url in ("http%3A%2F%2F%5B%3A%3A1", "http%3A%2F%2Fx%3A99999", "http%3A%2F%2Fx%3Aabc")),
    ("ckenrol:1?u=http%3A%2F%2Fx&k=a&c=b&s=short&e=1", "secret is malformed"),
    ("ckenrol:1?" + "k=a&" * 400, "too long"),
])
def test_text_that_is_not_a_whole_enrolment_code_is_refused_by_name(text, problem):
    with pytest.raises(EnrolmentCodeError, match=problem):
        parse(text)


def test_copying_the_shipped_config_keeps_a_valid_file(tmp_path):
    shutil.copy(SHIPPED_CONFIG, tmp_path / "shipped.toml")
    assert config_mod.load(kiosk_config(tmp_path)).kiosk.id == "kiosk-01"


@pytest.fixture(params=ENGINES)
def storage(request, tmp_path):
    from kiosk.central.backends import open_storage

    url = database_url(request.param, tmp_path)
    held = open_storage(url)
    yield held
    held.close()


def test_each_engine_exchanges_a_code_once_for_a_new_token_and_refuses_the_rest(storage):
    import datetime as dt

    from kiosk.central.audit import Actor
    from kiosk.central.enrol import enrol_kiosk, enrolment_code, redeem
    from kiosk.central.storage import EnrolmentRefused
    from kiosk.sync.protocol import token_hash

    kiosk, first_token = enrol_kiosk(storage, checkpoint_id="CP-E", name="lane", kiosk_id="e1",
                                     by=Actor("root@centre", "cli"))
    code = enrolment_code(storage, kiosk, "http://centre.example")
    short = enrolment_code(storage, kiosk, "http://centre.example",
                           valid_for=dt.timedelta(milliseconds=1))
    spare = enrolment_code(storage, kiosk, "http://centre.example")

    enrolled, token, replaced = redeem(storage, code.secret, b"K" * 32)

    assert enrolled.id == "e1" and token != first_token
    assert storage.signing_key("e1")[0] == b"K" * 32 and replaced is None
    assert storage.kiosk_for_token(token_hash(token)).id == "e1"
    assert storage.kiosk_for_token(token_hash(first_token)) is None  # replaced, not added
    refusals = {}
    storage.revoke_kiosk("e1")
    for name, secret in (("used", code.secret), ("expired", short.secret),
                         ("unknown", "x" * 43), ("revoked", spare.secret)):
        with pytest.raises(EnrolmentRefused) as caught:
            redeem(storage, secret, b"X" * 32)
        refusals[name] = (caught.value.status, caught.value.words.code)
    assert refusals == {"used": (409, "enrolment.used_at"),
                        "expired": (410, "enrolment.expired"),
                        "unknown": (403, "enrolment.unknown_code"),
                        "revoked": (403, "enrolment.revoked")}
    assert storage.signing_key("e1")[0] == b"K" * 32  # a refused code registers nothing


CODE = "ckenrol:1?u=http%3A%2F%2F127.0.0.1%3A8765&k=lane&c=CP&s=" + "A" * 43 + "&e=2026"


@pytest.mark.parametrize("payload", [
    CODE.encode(),
    b"]Q1" + CODE.encode(),                # a scanner adding its AIM symbology id
    b"\r\n  " + CODE.encode(),             # one leading with a newline
    CODE.upper().encode(),                 # a wedge typing with caps lock on
    b"LANE1:" + CODE.encode() + b"\xff",   # a prefix, and bytes that are not UTF-8
])
def test_an_enrolment_code_however_a_scanner_wraps_it_is_refused_not_a_person(payload):
    from kiosk.payloads import Rejection, decode

    assert decode(payload) == Rejection("enrolment_code")


def test_an_enrolment_code_typed_into_the_manual_form_is_refused_not_a_person():
    from kiosk.payloads import Rejection
    from kiosk.payloads.manual import ManualEntry, decode_manual

    typed = ManualEntry(name=CODE, phone="0912345678")
    assert decode_manual(typed) == Rejection("enrolment_code")


def test_the_code_is_read_after_whatever_the_scanner_put_before_it():
    assert parse("]Q1" + CODE + "\r\n").secret == "A" * 43


def test_a_qr_without_the_centres_address_is_refused_and_no_kiosk_is_added(tmp_path):
    db = f"sqlite:///{tmp_path / 'central.db'}"
    base = ("kiosks", "add", "--db", db, "--checkpoint", "CP-QR", "--name", "lane",
            "--kiosk-id", "lane-x", "--qr", str(tmp_path / "qr.png"))

    missing = central(*base, check=False)
    not_http = central(*base, "--server-url", "ftp://centre.example", check=False)

    assert missing.returncode == not_http.returncode == 2
    assert "--server-url is needed: the centre's address as the kiosk reaches it" in \
        missing.stderr
    assert "Cần --server-url" in missing.stderr
    assert "ftp://centre.example is not an http(s) address" in not_http.stderr
    assert not (tmp_path / "qr.png").exists()
    assert not (tmp_path / "central.db").exists()  # refused before the centre was opened


@pytest.mark.parametrize("name", ["qr.txt", "qr.eps", "qr"])
def test_a_qr_file_neither_png_nor_svg_is_refused_and_no_kiosk_is_added(tmp_path, name):
    db = f"sqlite:///{tmp_path / 'central.db'}"

    refused = central("kiosks", "add", "--db", db, "--checkpoint", "CP-QR", "--name", "lane",
                      "--kiosk-id", "lane-x", "--qr", str(tmp_path / name), "--server-url",
                      "https://central.example.vn", check=False)

    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "the QR file's name must end in .png or .svg" in refused.stderr
    assert "phải có đuôi .png hoặc .svg" in refused.stderr and refused.stdout == ""
    assert not (tmp_path / name).exists()
    assert not (tmp_path / "central.db").exists()  # refused before the centre was opened


def test_a_qr_pointing_at_this_machine_is_made_with_a_warning(tmp_path):
    added = central("kiosks", "add", "--db", database_url("sqlite", tmp_path),
                    "--checkpoint", "CP-QR", "--name", "lane", "--qr", str(tmp_path / "qr.svg"),
                    "--server-url", "http://127.0.0.1:8765")
    assert "only a kiosk on this very machine reaches it" in added.stderr
    assert parse(added.stdout.split("--code '")[1].split("'")[0]).server_url == \
        "http://127.0.0.1:8765"


def test_a_code_for_another_centre_is_followed_only_with_switch_centre(centre, tmp_path):
    first = add_with_qr(centre.db, "lane-5", tmp_path / "a.png", centre.url)["code"]
    elsewhere = centre.url.replace("127.0.0.1", "localhost")  # another address, same server
    second = add_with_qr(centre.db, "lane-6", tmp_path / "b.png", elsewhere)["code"]
    config = kiosk_config(tmp_path)
    assert kiosk("enrol", "--code", first, "--config", str(config)).returncode == 0
    linked = config.read_bytes()

    refused = kiosk("enrol", "--code", second, "--config", str(config))

    assert refused.returncode == 1
    assert f"This code points at another centre ({elsewhere})" in refused.stderr
    assert "If so, run again with --switch-centre" in refused.stderr
    assert config.read_bytes() == linked  # nothing exchanged: the code is still unused
    switched = kiosk("enrol", "--code", second, "--config", str(config), "--switch-centre")
    assert switched.returncode == 0, switched.stderr
    assert config_mod.load(config).sync.server_url == elsewhere


def test_a_config_folder_enrol_may_not_write_in_is_refused_before_the_code_is_spent(
        centre, tmp_path):
    """The config is written after the centre has spent the one-time code; a folder the
    account may not write in (root's /etc/checkpoint-kiosk) is refused first, exit 2."""
    code = add_with_qr(centre.db, "lane-7", tmp_path / "q.png", centre.url)["code"]
    config = kiosk_config(tmp_path / "etc")
    refused = enrol_with_a_folder_locked(config.parent, 0o555, code, config,
                                         tmp_path / "sync-token")

    assert refused.returncode == 2, refused.stderr[-400:]
    assert (f"lỗi cấu hình: {config}: không ghi được vào thư mục của tệp "
            "(không có quyền truy cập)"
            in refused.stderr), refused.stderr[-400:]
    assert not (tmp_path / "sync-token").exists()
    enrolled = kiosk("enrol", "--code", code, "--config", str(config))
    assert enrolled.returncode == 0, f"the refused run spent the code: {enrolled.stderr}"


def test_a_config_folder_enrol_may_not_enter_is_worded_not_a_traceback(centre, tmp_path):
    """The installed /etc/checkpoint-kiosk is 0750, another account's: ``kiosk enrol`` run
    without sudo cannot even look inside. That is said as for any config it cannot read
    (exit 2, what to do) before the centre is asked, not a PermissionError traceback
    (``Path.exists`` raises on EACCES), and the code still works."""
    code = add_with_qr(centre.db, "lane-16", tmp_path / "q.png", centre.url)["code"]
    config = kiosk_config(tmp_path / "etc")
    # listed, not entered (root owns it: without the override, root too)
    refused = enrol_with_a_folder_locked(config.parent, 0o600, code, config,
                                         tmp_path / "sync-token")

    assert refused.returncode == 2, refused.stderr[-400:]
    assert "Traceback" not in refused.stderr
    assert (f"{config}: không đọc được (không có quyền truy cập) — hãy chạy lệnh bằng "
            "tài khoản của kiosk" in refused.stderr), refused.stderr[-400:]
    assert not (tmp_path / "sync-token").exists()
    enrolled = kiosk("enrol", "--code", code, "--config", str(config))
    assert enrolled.returncode == 0, f"the refused run spent the code: {enrolled.stderr}"


@pytest.mark.parametrize("edit, named", [
    (lambda text: text + '\n[[devices]]\nid = "x"\ntype = "no-such-kind"\n',
     ', dòng {line} (bảng [[devices]] thứ 1/1, id "x"): devices[0].type'),  # its place too
    (lambda text: text.replace('"Asia/Ho_Chi_Minh"', '"Asia/Hanoi City"'), ": kiosk.timezone"),
], ids=["unknown device type", "unknown time zone"])
def test_a_config_the_enrolment_would_refuse_to_save_is_refused_before_the_code_is_spent(
        centre, tmp_path, edit, named):
    """Saving the enrolment validates the whole file it writes: a config refused then (a
    device of no known type, an unknown key) would fail after the centre has spent the
    one-time code. The same edit is checked first: the config error, exit 2, nothing
    written, and the code works once the file is mended."""
    code = add_with_qr(centre.db, "lane-8", tmp_path / "q.png", centre.url)["code"]
    config = kiosk_config(tmp_path)
    mended = config.read_bytes()
    config.write_text(edit(mended.decode("utf-8")), encoding="utf-8")
    before = config.read_bytes()
    assert before != mended

    refused = kiosk("enrol", "--code", code, "--config", str(config))

    assert "Traceback" not in refused.stderr, refused.stderr[-400:]
    assert refused.returncode == 2, refused.stderr[-400:]
    line = before.decode("utf-8").split("\n").index('type = "no-such-kind"') + 1 \
        if b"no-such-kind" in before else 0
    assert refused.stderr.startswith(f"lỗi cấu hình: {config.name}"
                                     f"{named.format(line=line)}: "), \
        refused.stderr  # the file's language
    assert config.read_bytes() == before
    assert not (tmp_path / "sync-token").exists()
    config.write_bytes(mended)
    enrolled = kiosk("enrol", "--code", code, "--config", str(config))
    assert enrolled.returncode == 0, f"the refused run spent the code: {enrolled.stderr}"
    assert config_mod.load(config).kiosk.id == "lane-8"


def test_a_token_folder_enrol_may_not_write_in_is_refused_before_the_code_is_spent(
        centre, tmp_path):
    """The token is written after the exchange, in its own folder (``--token-file``), where
    the kiosk's signing key may already be (made by an earlier export): a folder the
    account may not write in is refused first, exit 2, and the code still works."""
    from kiosk.sync.kiosk_keys import KioskKeys

    code = add_with_qr(centre.db, "lane-10", tmp_path / "q.png", centre.url)["code"]
    config = kiosk_config(tmp_path)
    keys = tmp_path / "keys"
    keys.mkdir()
    KioskKeys(keys).public_signing_key()
    token = keys / "sync-token"
    refused = enrol_with_a_folder_locked(keys, 0o555, code, config, token)

    assert refused.returncode == 2, refused.stderr[-400:]
    assert (f"lỗi cấu hình: {token}: không ghi được vào thư mục của tệp "
            "(không có quyền truy cập)"
            in refused.stderr), refused.stderr[-400:]
    assert not token.exists()
    enrolled = kiosk("enrol", "--code", code, "--config", str(config), "--token-file",
                     str(token))
    assert enrolled.returncode == 0, f"the refused run spent the code: {enrolled.stderr}"


@pytest.mark.parametrize("make, language, said", [
    (Path.mkdir, "en", "this is a directory, not a file: the token cannot be written there "
                       "(move it away, or choose another file with `kiosk enrol --token-file`)"),
    (os.mkfifo, "vi", "đây là một ống có tên, FIFO, không phải tệp: không ghi được mã đồng bộ "
                      "vào đó (dời nó đi, hoặc chọn tệp khác bằng `kiosk enrol --token-file`)"),
    (lambda path: path.symlink_to(path.name), "vi",
     "đường dẫn đi qua một liên kết vòng (trỏ ngược về chính nó)"),
], ids=["a directory", "a named pipe", "a link that loops"])
def test_a_token_path_that_is_no_file_is_refused_before_the_code_is_spent(
        centre, tmp_path, make, language, said):
    """The token is renamed onto its path after the exchange: onto a folder that fails once
    the code is spent; a named pipe (or, as root, a device node) would silently be replaced
    by it; a link that loops back on itself cannot be followed to a file at all. Each is
    named first, in the config's language, exit 2, and left as it is; the same code enrols
    once the path is free."""
    code = add_with_qr(centre.db, "lane-12", tmp_path / "q.png", centre.url)["code"]
    config = kiosk_config(tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace(
        'language = "vi"', f'language = "{language}"', 1), encoding="utf-8")
    token = tmp_path / "sync-token"
    make(token)

    refused = kiosk("enrol", "--code", code, "--config", str(config), "--token-file",
                    str(token))

    assert refused.returncode == 2, refused.stderr[-400:]
    assert refused.stderr.splitlines()[-1].split(": ", 1)[1] == f"{token}: {said}", \
        refused.stderr[-400:]
    assert not token.is_file()
    token.rmdir() if make is Path.mkdir else token.unlink()
    enrolled = kiosk("enrol", "--code", code, "--config", str(config), "--token-file",
                     str(token))
    assert enrolled.returncode == 0, f"the refused run spent the code: {enrolled.stderr}"
    assert config_mod.load(config).sync.token_file == str(token)
    assert stat.S_IMODE(token.stat().st_mode) == 0o600


def test_an_enrolment_code_replaces_the_centre_key_and_id_the_kiosk_kept(centre, tmp_path):
    """Over the sync link the kiosk keeps the first centre key and id it learnt (a server
    offering others is not believed: docs/sync-operator.md); an enrolment code is the centre
    administrator's word, so the key and id it brings replace kept ones (a centre whose key
    file was rebuilt, another centre), the kiosk's files open at the centre again, and its
    answers to them are the kiosk's centre's."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.central.backends import open_storage
    from kiosk.sync.backlog_keys import encode
    from kiosk.sync.kiosk_keys import KioskKeys

    folder = tmp_path / "kiosk"
    config = kiosk_config(folder)
    keys = KioskKeys(folder)  # beside the token enrol writes (sync-token beside config)
    keys.remember({"centre_key": encode(X25519PrivateKey.generate().public_key()),
                   "centre_id": "another centre's"})
    old = keys.centre().centre_key
    code = add_with_qr(centre.db, "lane-12", tmp_path / "q.png", centre.url)["code"]

    enrolled = kiosk("enrol", "--code", code, "--config", str(config))

    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    assert encode(keys.centre().centre_key) != encode(old)
    with open_storage(centre.db) as storage:
        assert keys.centre().centre_id == storage.setting("centre_id")
    assert kiosk("scan", CCCD, "--config", str(config)).returncode == 0
    stick = tmp_path / "usb" / "lane-12.backlog"
    stick.parent.mkdir()
    exported = kiosk("sync", "export", "--to", str(stick), "--config", str(config))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "1 accepted" in central("import", str(stick), "--db", centre.db).stdout


def test_an_enrolment_whose_centre_key_is_not_saved_fails_naming_the_kept_key_to_delete(
        centre, tmp_path):
    """The code's centre key cannot replace the kept one (here the file is immutable: a
    real EPERM, even as root). Left so, the kiosk would seal its files to the old key and
    take the centre's next answer for a changed key, while the enrolment said it was done:
    it fails instead, saying the token and config are saved but the centre's key is not,
    and which file to delete so that the kiosk learns the key at its next contact."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.sync.backlog_keys import encode
    from kiosk.sync.kiosk_keys import KioskKeys

    folder = tmp_path / "kiosk"
    config = kiosk_config(folder)
    config.write_text(config.read_text(encoding="utf-8").replace(
        'language = "vi"', 'language = "en"', 1), encoding="utf-8")
    keys = KioskKeys(folder)
    keys.remember({"centre_key": encode(X25519PrivateKey.generate().public_key())})
    old = encode(keys.centre().centre_key)
    code = add_with_qr(centre.db, "lane-19", tmp_path / "q.png", centre.url)["code"]
    if subprocess.run(["chattr", "+i", str(keys.centre_path)]).returncode != 0:
        pytest.skip("needs a file system with the immutable flag (chattr)")
    try:
        enrolled = kiosk("enrol", "--code", code, "--config", str(config))
    finally:
        subprocess.run(["chattr", "-i", str(keys.centre_path)], check=True)

    assert enrolled.returncode != 0, enrolled.stdout + enrolled.stderr
    assert (f"the centre's backlog key could not be saved in {keys.centre_path} "
            "(the operating system does not permit this)") in enrolled.stderr, enrolled.stderr
    assert f"Delete {keys.centre_path}" in enrolled.stderr, enrolled.stderr
    assert encode(keys.centre().centre_key) == old
    assert config_mod.load(config).kiosk.id == "lane-19"  # enrolled all the same

    keys.centre_path.unlink()  # the step it names: the next contact learns the key
    assert kiosk("scan", CCCD, "--config", str(config)).returncode == 0
    pushed = kiosk("sync", "push", "--config", str(config))
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert keys.centre() is not None and encode(keys.centre().centre_key) != old


def test_a_config_changed_after_the_check_says_where_the_token_is_and_what_to_set(
        centre, tmp_path):
    """What still fails after the exchange (the file edited meanwhile, a full disk) comes
    when the code is spent and the token saved: the technician is told where the token is
    and the settings to set by hand, in one sentence."""
    from kiosk.sync import enrolling

    code = parse(add_with_qr(centre.db, "lane-11", tmp_path / "q.png", centre.url)["code"])
    config = kiosk_config(tmp_path)
    enrolling.preflight(config, code)
    answer = enrolling.exchange(code, enrolling.keys_for(config))
    with config.open("a", encoding="utf-8") as out:
        out.write('\n[[devices]]\nid = "x"\ntype = "no-such-kind"\n')
    before = config.read_bytes()

    with pytest.raises(config_mod.ConfigError) as caught:
        enrolling.install(code, answer, config)

    token = tmp_path / "sync-token"
    said = caught.value.text("vi")
    assert said.startswith(f"Đã lưu mã đồng bộ vào {token} (mã đăng ký đã dùng), nhưng "
                           f"không ghi được {config}: devices[0].type: "), said
    assert (f'đặt bằng tay trong {config}: [kiosk] id = "lane-11", checkpoint_id = "CP-QR", '
            f'checkpoint_name = "Máy lane-11"; [sync] enabled = true, '
            f'server_url = "{centre.url}"') in said, said
    assert token.read_text(encoding="utf-8").strip() == answer["token"]
    assert config.read_bytes() == before


def test_a_token_not_written_after_the_exchange_says_the_code_is_spent(centre, tmp_path):
    """The preflight cannot foresee every failure (a full disk: its test file is empty):
    a token that cannot be written once the centre has spent the code and registered the
    kiosk is kept nowhere. The refusal says so and that only a new code helps, not a bare
    "cannot write" that invites running the spent code again. (Here its folder is replaced
    by a file after the preflight: a real OSError.)"""
    from kiosk.sync import enrolling

    code = parse(add_with_qr(centre.db, "lane-17", tmp_path / "q.png", centre.url)["code"])
    config = kiosk_config(tmp_path)
    token = tmp_path / "keys" / "sync-token"
    enrolling.preflight(config, code, token)
    answer = enrolling.exchange(code, enrolling.keys_for(config, token))
    shutil.rmtree(token.parent)
    token.parent.write_text("not a folder", encoding="utf-8")
    before = config.read_bytes()

    with pytest.raises(config_mod.ConfigError) as caught:
        enrolling.install(code, answer, config, token)

    assert caught.value.text("en") == (
        "The enrolment code is used up and the centre has registered this kiosk, but its "
        f"token could not be written to {token} (part of the path is not a folder): the "
        "token is kept nowhere. Fix that, then ask the centre for a new enrolment code (this "
        "one cannot be used again)")
    assert caught.value.text("vi").startswith("Mã đăng ký đã dùng và trung tâm đã ghi nhận")
    assert config.read_bytes() == before


def test_an_enrolment_in_a_running_kiosk_writes_only_to_its_own_store_file(centre, tmp_path):
    """The technician enrols on the running kiosk after a backup was moved over its store
    (the kiosk refuses every scan until restarted). Clearing the keys alert must not open
    the backup as a second writer: sharing the running store's log, its close would delete
    that log under the kiosk, and the screens' reading connection would find its file
    "malformed". Given the running store's file, the enrolment leaves the other alone (the
    alert there is decided at the next contact) and the screens read on."""
    from kiosk.store import Store
    from kiosk.sync import enrolling
    from kiosk.sync.status import MetaKey

    code = parse(add_with_qr(centre.db, "lane-31", tmp_path / "q.png", centre.url)["code"])
    config = kiosk_config(tmp_path)
    store_path = tmp_path / "kiosk.db"
    running = Store(store_path)
    running.set_meta({MetaKey.KEYS_ALERT: '{"code": "backlog.centre_key_changed"}',
                      "who": "running"})
    with closing(sqlite3.connect(tmp_path / "backup.db")) as backup:
        running.conn.backup(backup)
        backup.execute("UPDATE meta SET value = 'backup' WHERE key = 'who'")
        backup.commit()
    screens = Store(store_path, create=False, same_as=running.identity)
    for i in range(200):  # what the kiosk recorded after the backup, in its log
        running.set_meta({f"scan{i}": "x" * 500})
    os.replace(tmp_path / "backup.db", store_path)  # mv backup.db kiosk.db
    assert running.refusal().code == "store.gone"
    enrolling.preflight(config, code)
    answer = enrolling.exchange(code, enrolling.keys_for(config))

    enrolling.install(code, answer, config, same_as=running.identity)

    assert screens.meta("who") == {"who": "running"} and len(screens.meta("scan")) == 200
    running.close()
    screens.close()
    with closing(sqlite3.connect(store_path)) as db:
        assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
        assert dict(db.execute("SELECT key, value FROM meta WHERE key IN ('who', ?)",
                               (str(MetaKey.KEYS_ALERT),))) == {
            "who": "backup", str(MetaKey.KEYS_ALERT): '{"code": "backlog.centre_key_changed"}'}


def test_a_code_for_another_id_is_followed_only_with_leave_pending_while_entries_wait(
        centre, tmp_path):
    """Enrolling under a new id would leave the old id's unsent entries to a token that
    cannot send them. So it is refused before the code is spent, naming the better way: a
    new token for the same id (`kiosks token --qr`), after which they simply go."""
    from tests.sync_support import fill_backlog

    first = add_with_qr(centre.db, "lane-8", tmp_path / "a.png", centre.url)["code"]
    other = add_with_qr(centre.db, "lane-9", tmp_path / "b.png", centre.url)["code"]
    config = kiosk_config(tmp_path)
    assert kiosk("enrol", "--code", first, "--config", str(config)).returncode == 0
    waiting = fill_backlog(tmp_path / "kiosk.db", 12, kiosk_id="lane-8", checkpoint_id="CP-QR")
    linked = config.read_bytes()

    refused = kiosk("enrol", "--code", other, "--config", str(config))

    assert refused.returncode == 1
    assert ("This kiosk still holds 12 unsent entries of kiosk lane-8 (12); the code is for "
            "kiosk lane-9, whose token cannot send them") in refused.stderr
    assert "`kiosk-central kiosks token lane-8 --reason … --qr …`" in refused.stderr
    assert "Trạm còn 12 bản ghi chưa gửi của trạm lane-8 (12)" in refused.stderr
    assert "To change anyway, run again with --leave-pending" in refused.stderr
    assert config.read_bytes() == linked  # the code is still unused

    same_id = json.loads(central(
        "kiosks", "token", "lane-8", "--db", centre.db, "--reason", "token copied, ticket 7",
        "--qr", str(tmp_path / "c.png"), "--server-url", centre.url, "--json").stdout)["code"]
    assert kiosk("enrol", "--code", same_id, "--config", str(config)).returncode == 0
    pushed = kiosk("sync", "push", "--config", str(config))
    assert "Đã gửi 12 bản ghi" in pushed.stdout, pushed.stderr  # the shipped config: vi
    with closing(sqlite3.connect(tmp_path / "central.db")) as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM entries WHERE kiosk_id = "
                                               "'lane-8'")) == waiting

    fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id="lane-8", checkpoint_id="CP-QR")
    moved = kiosk("enrol", "--code", other, "--config", str(config), "--leave-pending")
    assert moved.returncode == 0, moved.stderr
    assert config_mod.load(config).kiosk.id == "lane-9"
    assert "`kiosk sync export --kiosk-id lane-8 --to FILE`" in moved.stderr
