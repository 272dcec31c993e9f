"""config.toml is validated before anything starts, and every refusal names key, value and need."""

from __future__ import annotations

import dataclasses
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import config as config_mod
from kiosk.config import ConfigError
from kiosk.devices.registry import kinds
from tests.conftest import make_no_config, one_gigabyte

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """
[kiosk]
id = "k1"
checkpoint_id = "CP1"
"""


def test_the_shipped_sample_is_valid_and_documents_every_option():
    config = config_mod.load(ROOT / "config.toml")
    assert config.kiosk.language == "vi"
    sample = (ROOT / "config.toml").read_text(encoding="utf-8")
    schemas = [*config_mod.sections().values(), *(k.options for k in kinds().values())]
    for schema in schemas:
        for key in schema.schema():
            assert f"{key} =" in sample, f"config.toml does not document {key}"


def test_defaults_fill_every_section(tmp_path):
    config = config_mod.load(write(tmp_path, BASE))
    assert config.policy == config_mod.PolicySettings(
        duplicate_window_seconds=300, duplicate_policy="warn", default_direction="in")
    assert config.store_path == tmp_path / "data" / "kiosk.db"
    assert config.devices == ()


THREE_SCANNERS = """
[[devices]]
id = "lane1"
type = "replay"

[[devices]]  # the exit lane
id = "lane2"
type = "serial"
port = "/dev/ttyACM1"

[[devices]]
id = "lane3"
type = "serial"
port = "/dev/ttyACM2"
baudrate = "fast"
"""


def test_a_devices_refusal_says_its_line_and_which_table_counting_from_1(tmp_path):
    """A technician editing config.toml by hand looks for "the third scanner": the refusal
    named ``devices[2]`` (counted from 0, as tomllib does) and no line. It now starts with
    the line of the wrong value, which [[devices]] table that is counting from 1, of how
    many, and its id; the key stays as the refusals of the technician's screen name it.
    The sample's commented-out [[devices]] examples do not count."""
    sample = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = BASE + sample[sample.index("# Replay:"):] + THREE_SCANNERS
    path = write(tmp_path, text)
    assert text.count("[[devices]]") > 4  # the sample's examples, commented out
    line = text.split("\n").index('baudrate = "fast"') + 1
    with pytest.raises(ConfigError) as err:
        config_mod.load(path)
    assert err.value.text("en") == (
        f'config.toml, line {line} ([[devices]] table 4 of 4, id "lane3"): '
        'devices[3].baudrate: expected one of 1200…921600, got "fast"')
    assert err.value.text("vi") == (
        f'config.toml, dòng {line} (bảng [[devices]] thứ 4/4, id "lane3"): '
        'devices[3].baudrate: cần một trong 1200…921600, nhận được "fast"')
    assert str(err.value) == f"{err.value.text('vi')} / {err.value.text('en')}"


@pytest.mark.parametrize(("edit", "said"), [
    # a key missing: the line of its table's [[devices]]
    (lambda t: t.replace('port = "/dev/ttyACM1"\n', ""),
     '{file}, line {header2} ([[devices]] table 2 of 3, id "lane2"): devices[1]: a serial '
     "device needs one of port/path, usb or name"),
    # an id used twice: the second's line
    (lambda t: t.replace('id = "lane3"', 'id = "lane1"').replace('"fast"', "9600"),
     '{file}, line {id3} ([[devices]] table 3 of 3, id "lane1"): devices[2].id: "lane1" is '
     "used twice"),
    # an id that is no name (a code scanned into it) is not repeated in the place
    (lambda t: t.replace('id = "lane3"', 'id = "001099012345|Nguyễn Văn An"'),
     '{file}, line {baud} ([[devices]] table 3 of 3): devices[2].baudrate: expected'),
    # devices written as one array: no [[devices]] line to give, the line of the array
    (lambda t: 'devices = [{id = "a", type = "replay"}, {id = "b", type = "laser"}]\n' + BASE,
     '{file}, line {array} ([[devices]] table 2 of 2, id "b"): devices[1].type: expected one of'),
], ids=["missing key", "id twice", "id not shown", "inline array"])
def test_a_devices_place_in_a_hand_edited_file(tmp_path, edit, said):
    text = edit(BASE + THREE_SCANNERS)
    lines = text.split("\n")
    def line(start: str, last: bool = False) -> int:
        found = [n for n, line in enumerate(lines, 1) if line.startswith(start)]
        return found[-1 if last else 0] if found else 0

    where = {"file": "config.toml", "header2": line("[[devices]]  # the exit lane"),
             "id3": line('id = "lane1"', last=True), "baud": line('baudrate = "fast"'),
             "array": line("devices = [")}
    with pytest.raises(ConfigError) as err:
        config_mod.load(write(tmp_path, text))
    assert err.value.text("en").startswith(said.format(**where)), err.value.text("en")
    assert "Nguyễn" not in str(err.value)


@pytest.mark.parametrize(("snippet", "message"), [
    ('[kiosk]\nid = "k"\n', "kiosk.checkpoint_id: missing, expected a string"),
    (BASE + "colour = 1\n", "kiosk.colour: unknown option"),
    (BASE + '[policy]\nduplicate_policy = "shout"\n',
     'policy.duplicate_policy: expected one of "warn", "block", "allow", got "shout"'),
    (BASE + "[store]\nretention_days = 0\n",
     "store.retention_days: expected an integer from 1 to 3650, got 0"),
    (BASE + '[store]\nretention_days = "21"\n',
     'store.retention_days: expected an integer from 1 to 3650, got "21"'),
    (BASE + "[sync]\nenabled = 1\n", "sync.enabled: expected true or false, got 1"),
    (BASE + '[[devices]]\nid = "x"\ntype = "laser"\n',
     # every registered kind, in order: replay, serial, evdev, hidraw, camera, wedge…
     f'devices[0].type: expected one of {", ".join(kinds())}, got "laser"'),
    (BASE + '[[devices]]\nid = "x"\ntype = "serial"\n',
     "devices[0]: a serial device needs one of port/path, usb or name"),
    (BASE + '[[devices]]\nid = "x"\ntype = "serial"\nusb = "zebra"\n',
     'devices[0].usb: expected "VID:PID[:SERIAL]" in hex, got "zebra"'),
    # int(text, 16) takes these, and no device's id reads so: the scanner is never found
    *((BASE + f'[[devices]]\nid = "x"\ntype = "serial"\nusb = "{usb}"\n',
       f'devices[0].usb: expected "VID:PID[:SERIAL]" in hex, got "{usb}"')
      for usb in ("+c2e:0b61", " c2e:0b61", "0_2e:0b61", "\u0660c2e:0b61", "0c2e:\uff10b61")),
    (BASE + '[[devices]]\nid = "x"\ntype = "replay"\n[[devices]]\nid = "x"\ntype = "replay"\n',
     'devices[1].id: "x" is used twice'),
    (BASE.replace('"k1"', '"k1"\ntimezone = "Mars/Base"'),
     'kiosk.timezone: expected an IANA time zone such as "Asia/Ho_Chi_Minh", got "Mars/Base"'),
    (BASE + '[[devices]]\nid = "x"\ntype = "replay"\npath = "a"\ndelay_ms = -1\n',
     "devices[0].delay_ms: expected an integer from 0 to 3600000, got -1"),  # not 3.6e+06
    # the likeliest slip, named as such rather than as a Python dict
    (BASE + '[devices]\nid = "x"\ntype = "serial"\nport = "/dev/ttyUSB0"\n',
     "devices: each device is a [[devices]] table (double square brackets), not [devices]"),
    # what the terminator may be, not Python's "invalid \\x escape at position 0"
    (BASE + '[[devices]]\nid = "x"\ntype = "serial"\nport = "/dev/ttyUSB0"\n'
            'terminator = "\\\\xZZ"\n',
     'devices[0].terminator: cannot read \'\\\\xZZ\' as bytes: expected "CR", "LF", "CRLF", '
     '"none" or \\x-escaped bytes'),
    ("[kiosk\n", "not valid TOML"),
    (BASE + "[printer]\n", "printer: unknown section"),
])
def test_bad_files_are_refused_with_a_message_naming_the_problem(tmp_path, snippet, message):
    with pytest.raises(ConfigError) as err:
        config_mod.load(write(tmp_path, snippet))
    assert message in str(err.value)


def test_missing_and_non_utf8_files_are_named(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        config_mod.load(tmp_path / "nope.toml")
    (tmp_path / "latin.toml").write_bytes(b'[kiosk]\nid = "caf\xe9"\n')
    with pytest.raises(ConfigError) as err:
        config_mod.load(tmp_path / "latin.toml")
    # the byte and where it is, in each language (not Python's "invalid continuation byte")
    assert err.value.text("vi").endswith(
        "không phải văn bản UTF-8 (byte 0xE9 ở vị trí 17); hãy lưu tệp dạng UTF-8")
    assert err.value.text("en").endswith(
        "not UTF-8 text (byte 0xE9 at offset 17); save the file as UTF-8")



def test_what_is_no_regular_file_or_too_big_for_a_config_is_named(tmp_path):
    """A folder, or a file bigger than any config (sparse here: no disk), is refused by
    what it is, not read as TOML; a real config is a few kilobytes, far under the cap."""
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="not a regular file \\(a directory\\)"):
        config_mod.load(folder)
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as out:
        out.truncate(config_mod.MAX_CONFIG_BYTES + 1)
    with pytest.raises(ConfigError, match=f"too big \\({config_mod.MAX_CONFIG_BYTES + 1:,} "
                                          f"bytes; a config is at most "
                                          f"{config_mod.MAX_CONFIG_BYTES:,} bytes\\)"):
        config_mod.load(huge)
    assert (ROOT / "config.toml").stat().st_size < config_mod.MAX_CONFIG_BYTES // 20


@pytest.mark.parametrize(("made", "english", "vietnamese"), [
    ("a named pipe", "not a regular file (a named pipe, FIFO)",
     "không phải tệp thông thường (một ống có tên, FIFO)"),
    ("a link to /dev/zero", "not a regular file (a device)",
     "không phải tệp thông thường (một thiết bị)"),
    ("a 4 GB file", "too big (4,294,967,296 bytes; a config is at most 1,048,576 bytes)",
     "quá lớn (4.294.967.296 byte; tệp cấu hình tối đa 1.048.576 byte)"),
])
def test_config_check_refuses_a_config_toml_that_is_no_config_at_once(
        tmp_path, made, english, vietnamese):
    """Every command loads config.toml the same way, and it was read whole with no look at
    what it is: a named pipe (a wrong ``--config``, a damaged install) waited for a writer
    that never came, so ``kiosk config check``, ``run``, ``doctor`` and ``sync`` hung; a link
    to a device or a file gone huge was read into memory until the kiosk had none left
    (here 1 GB of address space). Each is refused at once, named, exit 2; the file states
    no language, so in both."""
    path = tmp_path / "config.toml"
    make_no_config(path, made)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "config", "check", "--config", str(path)],
            capture_output=True, text=True, timeout=30, cwd=tmp_path,
            stdin=subprocess.DEVNULL, preexec_fn=one_gigabyte)
    except subprocess.TimeoutExpired:
        pytest.fail(f"kiosk config check hung on a config.toml that is {made}")
    assert proc.returncode == 2, proc.stderr[-300:]
    assert f"lỗi cấu hình: {path}: {vietnamese} / config error: {path}: {english}" \
        in proc.stderr, proc.stderr[-300:]

@pytest.mark.parametrize("saved", ["with a byte-order mark", "with old Mac line ends"])
def test_a_config_toml_saved_by_another_editor_is_read(tmp_path, saved):
    """A technician may edit config.toml on a laptop: Windows Notepad (before 2019) saves
    UTF-8 with a byte-order mark, which nothing shows, and the kiosk refused the file as
    "not valid TOML: Invalid statement (at line 1, column 1)"; a file with lone CR line
    ends was read in text mode (universal newlines) before ``read_text`` and is refused
    since."""
    raw = BASE.encode("utf-8")
    raw = b"\xef\xbb\xbf" + raw if saved == "with a byte-order mark" else \
        raw.replace(b"\n", b"\r")
    path = tmp_path / "config.toml"
    path.write_bytes(raw)
    assert config_mod.load(path).kiosk.id == "k1"


def unreadable_config(tmp_path: Path, made: str) -> Path:
    """A config.toml the command cannot open: one nobody may read, or a socket where the
    file should be."""
    import socket

    path = tmp_path / "config.toml"
    if made == "a file it may not read":
        write(tmp_path, BASE).chmod(0)
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    return path


@pytest.mark.parametrize("made", ["a file it may not read", "a socket"])
def test_a_config_toml_that_cannot_be_opened_is_named_not_a_traceback(tmp_path, made):
    """``sudo nano config.toml`` leaves it root's, 0600: every command of the kiosk's
    account (``kiosk config check``, ``run``, ``doctor``, ``sync``) then died of a
    PermissionError traceback (exit 1) — and of ENXIO for a socket — instead of the config
    error naming the file and why (exit 2) that a missing or non-regular file gets:
    ``read_text`` lets every OSError but a missing file through."""
    path = unreadable_config(tmp_path, made)

    import ctypes

    def not_above_permissions() -> None:  # as root: without the power to read any file
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if os.geteuid() == 0 and libc.prctl(24, capability, 0, 0, 0):  # CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl")

    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "config", "check", "--config", str(path)],
        capture_output=True, text=True, timeout=30, cwd=tmp_path, stdin=subprocess.DEVNULL,
        preexec_fn=not_above_permissions)
    assert "Traceback" not in proc.stderr, proc.stderr[-200:]
    assert proc.returncode == 2, proc.stderr[-300:]
    assert f"lỗi cấu hình: {path}: " in proc.stderr, proc.stderr[-300:]
    assert f"config error: {path}: " in proc.stderr, proc.stderr[-300:]


def test_a_device_given_as_the_config_is_refused_without_being_opened(tmp_path):
    """``--config /dev/ttyUSB0`` (a slip of the technician's, or a config.toml linked to a
    device) is refused as "not a regular file (a device)" — but only after opening it, twice
    (``load``, then ``stated_language`` for the refusal's language). Opening a serial port
    raises DTR and RTS and the last close drops them: an Arduino-class gate controller or
    a scanner on it resets; opening ``/dev/watchdog`` arms the watchdog. ``os.stat`` tells
    a device without opening it. Here a terminal (a pty, like a serial port) is watched
    for opens with inotify."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    master, slave = os.openpty()
    device = os.ttyname(slave)
    os.close(slave)
    watch = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    in_open, in_close_nowrite = 0x20, 0x10  # watched both: two opens in a row are one event
    assert watch >= 0 and libc.inotify_add_watch(
        watch, device.encode(), in_open | in_close_nowrite) >= 0
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "config", "check", "--config", device],
            capture_output=True, text=True, timeout=30, cwd=tmp_path,
            stdin=subprocess.DEVNULL)
        assert proc.returncode == 2, proc.stderr[-300:]
        assert "not a regular file (a device)" in proc.stderr, proc.stderr[-300:]
        try:
            events = os.read(watch, 4096)  # each 16 bytes (no name): wd, mask, cookie, len
        except BlockingIOError:
            events = b""
        opens = sum(1 for (_, mask, _, _) in struct.iter_unpack("iIII", events)
                    if mask & in_open)
        assert opens == 0, f"{device} opened {opens} times to be told it is a device"
    finally:
        os.close(watch)
        os.close(master)


def test_kiosk_refuses_to_start_on_a_bad_config_and_touches_nothing(tmp_path):
    path = write(tmp_path, BASE + '[store]\npath = "db/kiosk.db"\nretention_days = -3\n')
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "run", "--headless", "--config", str(path)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    # the file states no language: the kiosk's own, Vietnamese
    assert "store.retention_days: cần một số nguyên từ 1 đến 3650, nhận được -3" in proc.stderr
    assert not (tmp_path / "db").exists()


def test_kiosk_refuses_to_start_on_a_store_path_that_loops_as_a_config_error(tmp_path):
    """A [store] path that is a link naming itself is a valid path in the file, but the
    kiosk cannot follow it to a store: the start is refused as any other config error,
    exit 2 with `lỗi cấu hình: …` naming the path in the file's language, no traceback."""
    loop = tmp_path / "loop.db"
    loop.symlink_to(loop.name)
    path = write(tmp_path, BASE + '[store]\npath = "loop.db"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "run", "--headless", "--config", str(path)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr[-600:]
    assert proc.stderr == (f"lỗi cấu hình: {loop}: đường dẫn đi qua một liên kết vòng "
                           "(trỏ ngược về chính nó)\n")


def test_the_file_becomes_frozen_typed_values_with_every_default_filled(tmp_path):
    config = config_mod.load(write(tmp_path, BASE + """
[sync]
interval_seconds = 5

[[devices]]
id = "lane1"
type = "serial"
port = "/dev/ttyACM0"
"""))
    assert config.sync.interval_seconds == 5.0 and isinstance(config.sync.interval_seconds, float)
    assert config.kiosk.language == "vi" and config.store.retention_days == 21
    [serial] = config.devices
    assert (serial.baudrate, serial.terminator, serial.idle_gap_ms) == (9600, "CRLF", 80)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.kiosk.pin = "0000"  # type: ignore[misc]
    assert config_mod.from_dict(config.to_toml_data()) == dataclasses.replace(config, source=None)
