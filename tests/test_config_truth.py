"""`kiosk config check` refuses what would only fail later: ids the centre would never enrol,
a device id the kiosk reserves for itself, a server URL without a scheme, bytes or an
encoding a serial scanner's framer cannot use, a number that is not finite."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import config
from kiosk.config import ConfigError, Opt
from kiosk.devices.registry import kinds
from kiosk.devices.serial_framer import parse_bytes

ROOT = Path(__file__).resolve().parent.parent


def check(tmp_path: Path, kiosk_id: str = "k1", extra: str = "",
          language: str = "en") -> subprocess.CompletedProcess:
    path = tmp_path / "config.toml"
    path.write_text(f'[kiosk]\nid = """{kiosk_id}"""\ncheckpoint_id = "CP1"\n'
                    f'language = "{language}"\n{extra}', encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "config", "check", "--config",
                           str(path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kiosk_id, shown", [
    ("", "''"), ("two\nlines", "'two\\nlines'"), ("k" * 5000, "'" + "k" * 40 + "'… (5000 "
                                                                  "characters)")])
def test_a_kiosk_id_the_centre_would_never_enrol_is_refused_by_config_check(
        tmp_path: Path, kiosk_id: str, shown: str) -> None:
    proc = check(tmp_path, kiosk_id)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "config error: config.toml: kiosk.id: expected 1-64 letters, digits, "
        "'.', '_' or '-' starting with a letter or digit (as the centre enrols it), "
        f"got {shown}")


def test_the_reserved_device_id_manual_is_refused(tmp_path: Path) -> None:
    proc = check(tmp_path, extra='[[devices]]\nid = "manual"\ntype = "replay"\n'
                                 'path = "scans.txt"\n')
    assert proc.returncode == 2
    assert 'devices[0].id: "manual" is reserved' in proc.stderr


def test_a_server_url_without_a_scheme_is_refused_at_once_not_at_the_first_push(
        tmp_path: Path) -> None:
    proc = check(tmp_path, extra='[sync]\nserver_url = "central.example.org:8765"\n')
    assert proc.returncode == 2
    assert proc.stderr.strip() == ('config error: config.toml: sync.server_url: '
                                   'expected http://HOST:PORT or https://HOST:PORT, got '
                                   '"central.example.org:8765"')
    fine = check(tmp_path, extra='[sync]\nserver_url = "https://central.example.org"\n')
    assert fine.returncode == 0, fine.stderr


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999", "http://127.0.0.1:abc",
                                 "http://127.0.0.1:0"])
def test_a_server_url_python_cannot_split_or_whose_port_is_none_is_refused_naming_the_key(
        tmp_path: Path, url: str) -> None:
    """A bracket left open ended ``config check`` in a traceback; a port out of range or
    not a number passed it, each push then failing with a cause the kiosk cannot name."""
    proc = check(tmp_path, extra=f'[sync]\nserver_url = "{url}"\n')
    assert proc.returncode == 2
    assert proc.stderr.strip() == ('config error: config.toml: sync.server_url: '
                                   f'expected http://HOST:PORT or https://HOST:PORT, got "{url}"')
    fine = check(tmp_path, extra='[sync]\nserver_url = "http://[::1]:8765"\n')
    assert fine.returncode == 0, fine.stderr


def test_the_refusal_is_worded_in_the_language_the_file_states_else_in_both(
        tmp_path: Path) -> None:
    """The technician who set ``language = "vi"`` reads Vietnamese; a file whose language
    cannot be read (not TOML) gets both languages."""
    vietnamese = check(tmp_path, extra='[sync]\nserver_url = "central.example.org:8765"\n',
                       language="vi")
    assert vietnamese.returncode == 2
    assert vietnamese.stderr.strip() == (
        'lỗi cấu hình: config.toml: sync.server_url: cần http://MÁY:CỔNG hoặc '
        'https://MÁY:CỔNG, nhận được "central.example.org:8765"')
    (tmp_path / "config.toml").write_text("[kiosk\n", encoding="utf-8")
    broken = subprocess.run([sys.executable, "-m", "kiosk.cli", "config", "check", "--config",
                             str(tmp_path / "config.toml")], capture_output=True, text=True,
                            timeout=60)
    assert broken.returncode == 2
    assert broken.stderr.startswith("lỗi cấu hình: ")
    assert " / config error: " in broken.stderr
    assert "không phải TOML hợp lệ" in broken.stderr and "not valid TOML" in broken.stderr


@pytest.mark.parametrize("option, shown", [
    ('terminator = "\\\\x"', "devices[0].terminator: cannot read '\\\\x' as bytes"),
    ('encoding_fallback = "klingon"',
     "devices[0].encoding_fallback: unknown encoding 'klingon' (e.g. cp1258, cp1252, none)"),
    ('encoding_fallback = "base64"',  # a codec, but not one that turns bytes into text
     "devices[0].encoding_fallback: unknown encoding 'base64' (e.g. cp1258, cp1252, none)")])
def test_a_serial_scanners_bytes_and_encoding_are_checked_before_it_starts(
        tmp_path: Path, option: str, shown: str) -> None:
    proc = check(tmp_path, extra=f'[[devices]]\nid = "s1"\ntype = "serial"\n'
                                 f'port = "/dev/ttyACM0"\n{option}\n')
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"config error: {SERIAL_AT}: {shown}")


PCCOVID = "******012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|<1<00<0912345678"
CCCD = ("001090012345|123456789|Nguyễn Văn An|01011990|Nam|Số 12 đường Lê Lợi, phường Bến "
        "Nghé, quận 1, Thành phố Hồ Chí Minh|01012021")
CCCD_200 = CCCD + "|" + "0" * (199 - len(CCCD))


def serial_port(port: str, enabled: bool = True) -> str:
    """A serial device table; the port written as a TOML basic string (JSON's escapes)."""
    return (f'[[devices]]\nid = "s1"\ntype = "serial"\nenabled = {str(enabled).lower()}\n'
            f"port = {json.dumps(port, ensure_ascii=False)}\n")


SERIAL_AT = 'config.toml, line 9 ([[devices]] table 1 of 1, id "s1")'
"""Where :func:`check` with :func:`serial_port` (or a serial table's fifth line) is wrong."""
SCANNED = ", which no device path holds (a scanned code?)"
BLANK = ", a blank no device's name holds (udev writes \"_\" for one in /dev/serial/by-id/)"
EXPECTED = '; expected a device path such as "/dev/ttyACM0" or "/dev/serial/by-id/…"'


@pytest.mark.parametrize("port, problem", [
    (PCCOVID, "character 13 of 75 is '|'" + SCANNED),
    (CCCD_200, "character 13 of 200 is '|'" + SCANNED),
    ("\x1d0109501101530003\x1d17261231", "character 1 of 26 is '\\x1d'" + SCANNED),
    ("/dev/ttyACM0\x00", "character 13 of 13 is '\\x00'" + SCANNED),
    ("/dev/ttyACM0 ", "character 13 of 13 is ' '" + BLANK),
    ("/dev/ttyACM0\n", "character 13 of 13 is '\\n'" + BLANK),
    ("/dev/ttyACM0\u00a0", "character 13 of 13 is '\\xa0'" + BLANK),
    ("/dev/serial/by-id/usb-Honeywell Imaging & Mobility 1900-if00",
     "character 32 of 60 is ' '" + BLANK),
    ("COM3", 'it does not start with "/" (4 characters)'),
    ("rfc2217://10.0.0.5:2217", 'it does not start with "/" (23 characters)'),
    ("/dev/serial/by-id/" + "x" * 256, "a part of the path is 256 bytes long, past a file "
                                       "name's 255")])
def test_a_serial_port_that_cannot_be_a_device_path_is_refused_without_repeating_it(
        tmp_path: Path, port: str, problem: str) -> None:
    """A code scanned or typed into ``port`` passed ``config check`` and the scanner then
    read "not found" for ever: a PC-Covid or CCCD code's "|", a GS1 code's GS, a control
    character, a space (udev writes "_" for one in a by-id name: a space is a name typed
    from the scanner's label or ``lsusb``), a blank pasted at the end. The kiosk opens a
    Linux device path (no COM name, no pyserial URL). The refusal names the key and the
    fault, not the value: it may be a person's scanned code, and a refusal at start goes to
    the journal."""
    proc = check(tmp_path, extra=serial_port(port))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"config error: {SERIAL_AT}: devices[0].port: cannot be a serial port: {problem}"
        + EXPECTED)
    assert "NGUYEN" not in proc.stderr and "Nguyễn" not in proc.stderr


def test_the_port_refusal_is_worded_in_vietnamese_for_a_vietnamese_file(tmp_path: Path) -> None:
    proc = check(tmp_path, extra=serial_port(PCCOVID), language="vi")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        'lỗi cấu hình: config.toml, dòng 9 (bảng [[devices]] thứ 1/1, id "s1"): '
        "devices[0].port: không thể là cổng nối tiếp: ký tự thứ 13 trong 75 là '|', không "
        "đường dẫn thiết bị nào có (một mã đã quét?); cần đường dẫn thiết bị, ví dụ "
        '"/dev/ttyACM0" hoặc "/dev/serial/by-id/…"')


@pytest.mark.parametrize("port", [
    "/dev/ttyACM0", "/dev/ttyUSB1", "/dev/rfcomm0", "/dev/pts/3",
    "/dev/serial/by-id/usb-Honeywell_1900_21010B1234-if00",
    "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0",
    "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1.4:1.0-port0",
    "/home/trạm/máy-quét"])
def test_device_paths_and_their_by_id_and_by_path_links_pass(tmp_path: Path,
                                                              port: str) -> None:
    proc = check(tmp_path, extra=serial_port(port))
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("port", [
    "/dev/serial/by-id/usb-Zebra®_Symbol_DS2208™-if00",
    "/dev/serial/by-id/usb-Zebra_Technologies_Symbol®_Bar_Code_Scanner_S_N_21A5C9-if00",
    "/dev/serial/by-id/usb-Honeywell_Imaging___Mobility_1900-if00",
    "/dev/serial/by-id/usb-Datalogic_ADC__Inc._Handheld_Barcode_Scanner_G19K00123-if00",
    "/dev/serial/by-id/usb-Newland_Auto-ID_条码扫描器_NLS-HR32-if00",
    "/dev/serial/by-id/usb-Máy_quét_mã_Việt_Nam©_2024-if00-port0",
    "/dev/serial/by-id/usb-1a86_USB2.0-Serial-if00-port0",
    "/dev/scanner-(lane_1)[in]", "/dev/gate!&'~%1", "/run/kiosk/quét#2,=@+"])
def test_real_by_id_names_and_a_technicians_links_pass_as_they_are(tmp_path: Path,
                                                                  port: str) -> None:
    """udev keeps a USB product string's UTF-8 in /dev/serial/by-id/ names (®, ™, ©, CJK,
    Vietnamese) and writes "_" for spaces and other ASCII punctuation; a link a technician
    made by hand or with a udev rule may hold any punctuation. The rule allowed only
    letters, digits and ``/._-+:=@#,``, refused these, and a kiosk that had started with
    one no longer did."""
    proc = check(tmp_path, extra=serial_port(port))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_a_disabled_device_with_a_port_it_could_not_open_is_a_warning_not_a_refusal(
        tmp_path: Path) -> None:
    """The kiosk never opens a disabled device, so a rule added for ``port`` must not stop
    a config it started with from starting it: ``config check`` says OK, exit 0, and warns
    (as every start does) with the refusal enabling it would meet."""
    proc = check(tmp_path, extra=serial_port(PCCOVID, enabled=False))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == (
        f"WARNING: {SERIAL_AT}: devices[0].port: cannot be a serial port: character 13 of "
        f"75 is '|'{SCANNED}{EXPECTED} — the device is disabled (enabled = false), so the kiosk "
        "still starts; fix it before enabling it")
    assert "NGUYEN" not in proc.stderr
    assert "OK" in proc.stdout
    vietnamese = check(tmp_path, extra=serial_port("/dev/ttyACM0 ", enabled=False),
                       language="vi")
    assert vietnamese.returncode == 0, vietnamese.stderr
    assert vietnamese.stderr.strip() == (
        'CẢNH BÁO: config.toml, dòng 9 (bảng [[devices]] thứ 1/1, id "s1"): devices[0].port: '
        "không thể là cổng nối tiếp: ký tự thứ 13 trong 13 là ' ', một khoảng trắng mà tên "
        "thiết bị không có (udev ghi \"_\" thay cho nó trong /dev/serial/by-id/); cần đường "
        "dẫn thiết bị, ví dụ \"/dev/ttyACM0\" hoặc "
        "\"/dev/serial/by-id/…\" — thiết bị đang tắt (enabled = false) nên trạm vẫn chạy; "
        "hãy sửa trước khi bật nó")


def test_a_kiosk_with_such_a_disabled_device_starts_and_says_so_at_the_start(
        tmp_path: Path) -> None:
    """What ``config check`` warns of, every start says (the journal keeps it), and the
    kiosk runs its other devices."""
    scans = tmp_path / "scans.txt"
    scans.write_text(CCCD + "\n", encoding="utf-8")
    config_path = tmp_path / "config.toml"
    config_path.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                           f'[[devices]]\nid = "demo"\ntype = "replay"\npath = "{scans}"\n'
                           + serial_port(PCCOVID, enabled=False), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--headless",
                           "--until-done", "--config", str(config_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith('WARNING: config.toml, line 13 ([[devices]] table 2 of 2, '
                                  'id "s1"): devices[1].port: cannot be a serial port: '
                                  "character 13 of 75 is '|'")
    assert "ACCEPTED" in proc.stdout and "device=demo" in proc.stdout


def test_a_timeout_of_nan_is_refused_by_config_check_not_met_at_the_first_push(
        tmp_path: Path) -> None:
    """``nan`` passed every range check: ``config check`` said OK, then each push ended in
    a traceback and a ``max_backoff_seconds = nan`` left the sync thread dead."""
    proc = check(tmp_path, extra="[sync]\ntimeout_seconds = nan\n")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("config error: config.toml: sync.timeout_seconds: "
                                   "expected a number from 1 to 600, got nan")


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_no_float_option_takes_a_number_that_is_not_finite(number: float) -> None:
    """Every float option of every table and device kind, whatever its bounds: the file's
    ``nan``, ``inf`` and ``-inf`` are refused naming the key (the technician's forms save
    through the same check)."""
    schemas = [*config.sections().items(),
               *((f"devices[{kind}]", k.options) for kind, k in kinds().items())]
    options = [(f"{table}.{key}", rules) for table, section in schemas
               for key, rules in section.schema().items() if float in rules.kinds]
    assert "sync.max_backoff_seconds" in dict(options)
    for key, rules in [*options, ("unbounded", Opt(kind=float))]:
        with pytest.raises(ConfigError) as err:
            rules.check(key, number)
        assert err.value.text("en").startswith(f"{key}: expected ")
        assert err.value.text("en").endswith(f", got {number!r}")


@pytest.mark.parametrize("zone", ["Asia", "America/Argentina"])
def test_a_timezone_that_is_a_folder_of_zones_is_refused_naming_the_key(
        tmp_path: Path, zone: str) -> None:
    """A region's folder in tzdata is no zone: it was "the command did not finish: …/Asia:
    the path is a folder", naming neither the key nor what to write."""
    proc = check(tmp_path, extra=f'timezone = "{zone}"\n')
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f'config error: config.toml: kiosk.timezone: expected an IANA time zone such as '
        f'"Asia/Ho_Chi_Minh", got "{zone}"')


@pytest.mark.parametrize("table, key", [("store", "path"), ("sync", "token_file"),
                                        ("certificates", "trust_list")])
def test_a_path_in_the_home_of_an_account_this_machine_lacks_is_refused_naming_the_key(
        tmp_path: Path, table: str, key: str) -> None:
    """``~account/…`` for no such account ended ``config check``, ``sync status`` and the
    rest in Python's "Could not determine home directory" (the trust list's, where it is
    read), naming no key."""
    proc = check(tmp_path, extra=f'[{table}]\n{key} = "~no-such-kiosk-account/k"\n')
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"config error: config.toml: {table}.{key}: no home folder found for "
        '~no-such-kiosk-account, got "~no-such-kiosk-account/k"')


def test_a_whole_number_too_big_for_any_float_is_refused_naming_the_key() -> None:
    """TOML's integers have no limit: 10**400 seconds ended ``config check`` in Python's
    "int too large to convert to float"."""
    with pytest.raises(ConfigError) as err:
        config.from_dict({"kiosk": {"id": "k1", "checkpoint_id": "CP1"},
                          "sync": {"timeout_seconds": 10**400}})
    assert err.value.text("en") == (
        f"sync.timeout_seconds: expected a number from 1 to 600, got {10**400}")


def test_an_integer_of_more_digits_than_python_reads_is_refused_as_no_toml(
        tmp_path: Path) -> None:
    """``tomllib`` refuses an integer of over 4300 digits with a bare ValueError, not its
    TOMLDecodeError: ``config check`` ended in a traceback, and so did wording it."""
    proc = check(tmp_path, extra=f"[store]\nretention_days = 1{'0' * 4400}\n")
    assert proc.returncode == 2
    path = tmp_path / "config.toml"  # Python's refusal says not where: the number is found
    assert proc.stderr.strip() == (
        f"lỗi cấu hình: {path}: không phải TOML hợp lệ (dòng 6, cột 18, khoá "
        f"store.retention_days): một số có hơn 4300 chữ số / config error: {path}: not valid "
        "TOML (at line 6, column 18, key store.retention_days): a number of more than 4300 "
        "digits")


def run_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "config", "check", "--config",
                           str(path)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_control_byte_typed_with_one_backslash_is_refused_naming_the_key_and_the_fix(
        tmp_path: Path) -> None:
    """``prefix = "\\x02"`` typed as ``"\x02"`` (technician.md's STX/ETX framing): TOML
    has no ``\\x`` escape. The refusal was tomllib's English inside the Vietnamese line too
    ("Unescaped '\\' in a string (at line 9, column 13)"), naming neither the key nor the
    fix. Now: both languages, tomllib's line and column, the key, and the string written
    as TOML takes it — and either form given is read as the byte STX. The key's device
    is said counting from 1 too, as a valid file's refusals say it."""
    path = tmp_path / "config.toml"
    device = '[[devices]]\nid = "lane1"\ntype = "serial"\nport = "/dev/ttyACM0"\n'
    path.write_text(f'[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                    f'{device}{device.replace("lane1", "lane2")}prefix = "\\x02"\n',
                    encoding="utf-8")

    refused = run_check(path)

    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f'lỗi cấu hình: {path}: không phải TOML hợp lệ (dòng 13, cột 13, khoá '
        f'devices[1].prefix của bảng [[devices]] thứ 2/2): chuỗi trong nháy kép của TOML '
        f'không có cách viết \\x: viết "\\\\x02" (dấu \\ gấp đôi), hoặc \'\\x02\' (nháy đơn: '
        f'không có cách viết đặc biệt nào) / config error: {path}: not valid TOML (at line 13, '
        f'column 13, key devices[1].prefix of [[devices]] table 2 of 2): a TOML string in '
        f'double quotes has no escape \\x: write "\\\\x02" (the backslash doubled), or '
        f'\'\\x02\' (single quotes: no escapes at all)')
    for fixed in ('"\\\\x02"', "'\\x02'"):
        path.write_text(path.read_text(encoding="utf-8").replace('"\\x02"', fixed),
                        encoding="utf-8")
        assert run_check(path).returncode == 0
        assert parse_bytes(config.load(path).devices[1].prefix) == b"\x02"  # STX
        path.write_text(path.read_text(encoding="utf-8").replace(fixed, '"\\x02"'),
                        encoding="utf-8")


def test_kiosk_enrol_refuses_a_config_the_kiosk_could_not_read_before_the_code_is_spent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kiosk enrol` edits config.toml with tomlkit, to keep its comments, and tomlkit takes
    ``"\\x02"``: the code was exchanged, then the config written, which the kiosk refused at
    its next start. Now the file is refused first, worded as `config check` words it."""
    from central_support import central, database_url

    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    code = central("kiosks", "add", "--db", database_url("sqlite", tmp_path),
                   "--checkpoint", "CP-QR", "--name", "Làn 7", "--kiosk-id", "lane-7", "--qr",
                   str(tmp_path / "qr.png"), "--server-url", "http://127.0.0.1:9", "--json")
    path = tmp_path / "config.toml"
    path.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\n[[devices]]\nid = "lane1"\n'
                    'type = "serial"\nport = "/dev/ttyACM0"\nprefix = "\\x02"\n',
                    encoding="utf-8")
    before = path.read_bytes()
    refused = subprocess.run([sys.executable, "-m", "kiosk.cli", "enrol", "--code",
                              json.loads(code.stdout)["code"], "--tries", "1", "--config",
                              str(path)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2, refused.stderr
    assert ("config.toml: not valid TOML (at line 8, column 13, key devices[0].prefix of "
            "[[devices]] table 1 of 1): a TOML string in double quotes has no escape \\x: "
            'write "\\\\x02"') in refused.stderr
    assert "Cannot reach the centre" not in refused.stderr  # nothing asked of it
    assert path.read_bytes() == before


@pytest.mark.parametrize("line, vietnamese, english", [
    ("[store", "(dòng 5, cột 7): thiếu dấu ] đóng tên bảng",
     "(at line 5, column 7): the table name lacks its ]"),
    ('language = "vi"', "(dòng 5, cột 16, khoá kiosk.language): khoá này đã được đặt ở "
     "trên: mỗi khoá chỉ một lần", "(at line 5, column 16, key kiosk.language): this key is "
     "already set above: each key only once"),
    ("[kiosk]", "(dòng 5, cột 7): bảng [kiosk] đã có ở trên: mỗi bảng chỉ một lần",
     "(at line 5, column 7): the table [kiosk] is already there above: each table once"),
    ("operator = Hà", "(dòng 5, cột 12, khoá kiosk.operator): giá trị không hợp lệ: chữ "
     'cần đặt trong nháy ("…"), đúng/sai là true/false', "(at line 5, column 12, key "
     'kiosk.operator): not a valid value: text goes in quotes ("…"), yes/no is true/false'),
    ('operator = "Hà', "(dòng 5, cột 15, khoá kiosk.operator): chuỗi thiếu dấu nháy đóng",
     "(at line 5, column 15, key kiosk.operator): a string lacks its closing quote"),
    ('operator = "Hà" Lan', "(dòng 5, cột 17, khoá kiosk.operator): sau một giá trị chỉ "
     "được có chú thích (#) rồi xuống dòng", "(at line 5, column 17, key kiosk.operator): "
     "only a comment (#) may follow a value on its line"),
], ids=["table name open", "key twice", "table twice", "text unquoted", "quote open",
        "text after the value"])
def test_a_file_that_is_no_toml_is_refused_in_both_languages_where_tomllib_found_it(
        tmp_path: Path, line: str, vietnamese: str, english: str) -> None:
    """tomllib's reason is worded from the catalogue: the Vietnamese line carries no
    English; its position is kept, with the key set on that line."""
    path = tmp_path / "config.toml"
    path.write_text(f'[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n{line}\n',
                    encoding="utf-8")
    refused = run_check(path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"lỗi cấu hình: {path}: không phải TOML hợp lệ {vietnamese} / config error: {path}: "
        f"not valid TOML {english}")
