"""The technician's diagnostics: raw lines, decoded scans with their kind, and advice."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from evdev import ecodes as e

from kiosk import RELEASED, messages
from kiosk.config import validate_device
from kiosk.devices.captures import load_capture
from kiosk.devices.diagnostics import (
    Diagnostics,
    describe_payload,
    diagnostics_for,
    suggestions,
)
from kiosk.devices.stream import InputEvent
from kiosk.devices.supervisor import DeviceStatus
from kiosk.devices.watching import capture_target, watch, watch_options
from kiosk.messages import Words
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan, Status
from kiosk.store import Store

CAPTURES = Path(__file__).parent / "data" / "captures"
CCCD = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"


def serial(**options: Any) -> Any:
    return validate_device(0, {"id": "s", "type": "serial", "port": "/dev/ttyACM0", **options})


def watch_capture(name: str, **overrides: Any) -> tuple[Diagnostics, list[str]]:
    capture = load_capture(CAPTURES / name)
    options = validate_device(0, {"id": "d", "type": capture.format, "path": "/dev/x",
                                  **capture.settings, **overrides})
    diag = diagnostics_for(options)
    lines = [line for item in capture.items for line in diag.observe(item)]
    return diag, lines + diag.finish()


def send(diag: Diagnostics, bursts: list[bytes], start: float = 1.0, every: float = 0.5
         ) -> list[str]:
    """Bursts ``every`` seconds apart on a line quiet in between, as a live watch sees it:
    the reader's empty reads (an ``idle`` tick just before each next burst) show the quiet
    (a late read alone is not a quiet line: see ``serial_framer``)."""
    lines = []
    for i, burst in enumerate(bursts):
        if i:
            lines += diag.idle(start + i * every - 0.02)
        lines += diag.observe_bytes(burst, start + i * every)
    return lines + diag.finish()


def test_serial_lines_show_hex_text_and_the_decoded_kind() -> None:
    diag = diagnostics_for(serial(terminator="CRLF"))
    lines = send(diag, [b"]Q1" + CCCD.encode() + b"\r\n"])
    assert lines[0].strip().startswith("5d 51 31 30 30")
    assert "|]Q1001099012345|123456789|Nguyễn" in lines[0]
    assert any("symbology ]Q1" in line for line in lines)
    assert any("cccd: Nguyễn Văn An ••••••••2345" in line for line in lines)
    assert diag.suggestions() == []


def test_crlf_sent_but_cr_configured_suggests_crlf() -> None:
    diag = diagnostics_for(serial(terminator="CR"))
    send(diag, [b"ABC123\r\n", b"DEF456\r\n"])
    assert diag.suggestions("en") == ['Terminator looks like CRLF: set terminator = "CRLF"']
    assert diag.suggestions("vi") == ['Ký tự kết thúc có vẻ là CRLF: đặt terminator = "CRLF"']


def test_lf_only_scanner_with_crlf_configured_suggests_lf() -> None:
    diag = diagnostics_for(serial(terminator="CRLF"))
    send(diag, [b"ABC123\n", b"DEF456\n"])
    assert any('set terminator = "LF"' in s for s in diag.suggestions("en"))


def test_scanner_without_terminator_gets_the_idle_gap_advice() -> None:
    diag = diagnostics_for(serial(terminator="CRLF"))
    send(diag, [b"8938505974194", b"8938505974195"])
    [advice] = diag.suggestions("en")
    assert 'sends no terminator: set terminator = "none"' in advice


def test_custom_terminator_is_not_mistaken_for_a_missing_one() -> None:
    diag = diagnostics_for(serial(terminator="\\x03"))
    send(diag, [b"ABC\x03", b"DEF\x03"])
    assert diag.suggestions() == []


def test_non_utf8_serial_bytes_are_read_with_the_fallback_and_flagged() -> None:
    diag = diagnostics_for(serial())
    send(diag, [b"Tr\xe2\xccn\r\n"])  # cp1258: â + combining grave
    assert diag.scans[0].payload.decode() == "Trần"
    assert any("not UTF-8" in s for s in diag.suggestions("en"))


def test_aim_ids_left_in_the_payload_suggest_stripping_them() -> None:
    diag = diagnostics_for(serial(strip_aim=False))
    send(diag, [b"]Q1ABCDEF\r\n"])
    assert any("strip_aim = true" in s for s in diag.suggestions("en"))


STX, ETX = b"\x02", b"\x03"
CCCD_PLAIN = "001099012347|123456789|Nguyen Van C|01021990|Nam|Hue|10102021"


def test_a_scanner_framing_codes_with_stx_gets_the_prefix_setting_and_a_reason_in_both() -> None:
    """Many serial scanners leave the factory sending STX (0x02) before each code. Without
    ``prefix`` in the config every CCCD is refused "must have 12 digits" next to what looks
    like 12 digits: the watch shows the invisible byte (``\\x02``), says the reason in both
    languages, and suggests the setting, written as config.toml takes it."""
    diag = diagnostics_for(serial())
    text = "\n".join(send(diag, [STX + CCCD_PLAIN.encode() + b"\r\n"] * 2))
    assert ("→ refused/từ chối: cccd_bad_field (số CCCD '\\x02001099012347': phải có 12 chữ số"
            " / ID '\\x02001099012347': expected 12 digits)") in text
    assert diag.suggestions("en") == [
        'Every scan starts with the control bytes STX (0x02), which no CCCD/PC-Covid/HC1 code '
        'has: the scanner adds them; set prefix = "\\\\x02" (or turn the scanner\'s prefix off)']
    assert diag.suggestions("vi")[0].endswith('đặt prefix = "\\\\x02" (hoặc tắt tiền tố trên '
                                              'máy quét)')


def test_the_suggested_prefix_and_suffix_pasted_into_the_config_read_the_card() -> None:
    """STX before and ETX after (then CRLF): both settings are suggested, and the lines as
    suggested, pasted into config.toml, make the same scans a CCCD with nothing left to
    suggest."""
    scans = [STX + CCCD_PLAIN.encode() + ETX + b"\r\n"] * 2
    diag = diagnostics_for(serial())
    send(diag, scans)
    settings = [advice.split("set ", 1)[1].split(" (or", 1)[0]
                for advice in diag.suggestions("en")]
    assert settings == ['prefix = "\\\\x02"', 'suffix = "\\\\x03"']
    configured = diagnostics_for(serial(**tomllib.loads("\n".join(settings))))
    text = "\n".join(send(configured, scans))
    assert text.count("→ cccd: Nguyen Van C ••••••••2347") == 2
    assert configured.suggestions() == []


def test_stx_etx_framing_without_a_line_ending_is_advised_as_terminator_and_prefix() -> None:
    """A scanner framing each code STX … ETX with no CR/LF, on a kiosk left on CRLF: every
    scan is cut (its terminator never came); the watch names the terminator and the prefix
    that read it — not "the scanner sends no terminator" — and, pasted in, they read the
    card with nothing left to suggest."""
    scans = [STX + CCCD_PLAIN.encode() + ETX] * 2
    diag = diagnostics_for(serial())
    send(diag, scans)
    [advice] = diag.suggestions("en")
    assert advice.startswith("Each code ends with ETX (0x03) and no CR/LF")
    assert "no terminator" not in advice
    settings = ["terminator = " + advice.split("terminator = ", 1)[1].split(" and ", 1)[0],
                "prefix = " + advice.split("prefix = ", 1)[1].split(" (", 1)[0]]
    configured = diagnostics_for(serial(**tomllib.loads("\n".join(settings))))
    text = "\n".join(send(configured, scans))
    assert text.count("→ cccd: Nguyen Van C ••••••••2347") == 2
    assert configured.suggestions() == []
    assert "và prefix" in diag.suggestions("vi")[0]


def test_a_scanner_ending_each_code_with_tab_is_told_the_terminator_not_that_it_sends_none(
        ) -> None:
    """A scanner whose suffix is set to Tab (a factory choice on some), on the default CRLF:
    every scan is cut. The watch said "the scanner sends no terminator: set terminator =
    "none"", which read the CCCD with its Tab then kept and a second piece of advice to
    follow. It names the byte and the terminator that reads it; pasted in, the card is read
    with nothing left to suggest."""
    scans = [CCCD_PLAIN.encode() + b"\t"] * 2
    diag = diagnostics_for(serial())
    send(diag, scans)
    [advice] = diag.suggestions("en")
    assert advice == ('Each code ends with HT (0x09) and no CR/LF: set terminator = "\\\\x09" '
                      "(or set the scanner's suffix to CR/LF)")
    assert diag.suggestions("vi")[0].startswith("Mỗi mã kết thúc bằng HT (0x09), không có CR/LF")
    setting = "terminator = " + advice.split("terminator = ", 1)[1].split(" (", 1)[0]
    configured = diagnostics_for(serial(**tomllib.loads(setting)))
    text = "\n".join(send(configured, scans))
    assert text.count("→ cccd: Nguyen Van C ••••••••2347") == 2
    assert configured.suggestions() == []


def test_a_configured_prefix_the_scanner_adds_stx_after_is_suggested_whole() -> None:
    diag = diagnostics_for(serial(prefix="L1:"))
    send(diag, [b"L1:" + STX + CCCD_PLAIN.encode() + b"\r\n"])
    assert diag.suggestions("en") == [
        'Every scan starts with the control bytes STX (0x02), which no CCCD/PC-Covid/HC1 code '
        'has: the scanner adds them; set prefix = "L1:\\\\x02" (or turn the scanner\'s prefix '
        'off)']


@pytest.mark.parametrize("scans", [
    pytest.param([STX + b"\x1e\x04binary badge" + ETX + b"\r\n"] * 2, id="no-known-code"),
    pytest.param([STX + CCCD_PLAIN.encode() + b"\r\n", CCCD_PLAIN.encode() + b"\r\n"],
                 id="not-every-scan"),
    pytest.param([ETX + CCCD_PLAIN.encode() + b"\r\n", STX + CCCD_PLAIN.encode() + b"\r\n"],
                 id="not-the-same-bytes"),
])
def test_control_bytes_not_framing_every_known_code_suggest_no_prefix(scans: list[bytes]
                                                                      ) -> None:
    """A code of another kind may hold any bytes, at its ends too (an ISO 15434 label ends
    RS EOT; a badge's binary code), and the kiosk records it as it is: only the same control
    bytes around every scan, around a code the kiosk knows once they are removed, are the
    scanner's framing. A later scan without them takes the advice back."""
    diag = diagnostics_for(serial())
    send(diag, scans)
    assert not any("prefix" in s or "suffix" in s for s in diag.suggestions("en"))


def test_alt_numpad_keyboard_mode_warns_that_vietnamese_cannot_pass() -> None:
    diag, lines = watch_capture("datalogic-cp1252-lossy-cccd.evdev.log")
    advice = diag.suggestions("en")
    assert any("Alt+numpad mode detected: Vietnamese letters cannot pass through keyboard "
               "mode — switch the scanner to USB-COM (serial) or HID POS" in a for a in advice)
    assert any("arrived as '?'" in a for a in advice)
    assert any("KEY_LEFTALT ↓" in line for line in lines)
    assert any(line.strip().startswith("+") and "ms  KEY_KP0 ↓" in line for line in lines)


def test_wrong_layout_is_detected_from_a_scan_another_layout_reads_as_a_known_code() -> None:
    """An AZERTY scanner configured as US: read as AZERTY it is a PC-Covid code."""
    diag, _ = watch_capture("azerty-pccovid.evdev.log", layout="us")
    assert 'The scanner seems set to the "fr" keyboard layout: set layout = "fr"' in (
        diag.suggestions("en"))


def test_right_layout_gets_no_layout_advice() -> None:
    diag, lines = watch_capture("azerty-pccovid.evdev.log")
    assert not any("layout" in s for s in diag.suggestions("en"))
    assert any("→ pccovid" in line for line in lines)


def test_hex_dump_output_without_hex_mode_is_recognised() -> None:
    diag, _ = watch_capture("hexdump-cccd.evdev.log", hex_mode=False)
    assert "The scan looks like hex-dump output: set hex_mode = true" in diag.suggestions("en")


def test_missing_enter_suffix_is_noticed() -> None:
    diag, _ = watch_capture("no-terminator-gap.evdev.log", terminator="enter")
    assert any('Scans end without Enter: set terminator = "none"' in s
               for s in diag.suggestions("en"))


def test_slow_keys_close_to_the_idle_gap_suggest_a_longer_gap() -> None:
    diag = diagnostics_for(validate_device(0, {"id": "k", "type": "evdev", "path": "/dev/x",
                                           "idle_gap_ms": 100}))
    t = 5.0
    for code in (e.KEY_A, e.KEY_B, e.KEY_C):
        diag.observe_key(InputEvent.at(t, e.EV_KEY, code, 1))
        diag.observe_key(InputEvent.at(t + 0.001, e.EV_KEY, code, 0))
        t += 0.085
    diag.observe_key(InputEvent.at(t, e.EV_KEY, e.KEY_ENTER, 1))
    assert any("raise idle_gap_ms to 170" in s for s in diag.suggestions("en"))


def test_boot_keyboard_reports_in_pos_mode_suggest_keyboard_mode() -> None:
    diag, _ = watch_capture("bootkbd-altnumpad.hidraw.log", mode="pos")
    assert any('set mode = "keyboard"' in s for s in diag.suggestions("en"))
    assert diag.scans == []


def test_suggestions_are_bilingual_by_default() -> None:
    diag = diagnostics_for(serial(terminator="CR"))
    send(diag, [b"ABC123\r\n"])
    [both] = diag.suggestions()
    assert both.startswith("Ký tự kết thúc") and " / Terminator looks like CRLF" in both


def test_status_advice_for_screens_without_a_raw_stream() -> None:
    device = serial(port="/dev/ttyACM0")
    waiting = DeviceStatus("s", "serial", "in", state="waiting",
                           reason=Words("device.not_found", {"what": "/dev/ttyACM0"}))
    advice = suggestions(device, waiting)  # for a reader whose language is not known
    assert any("Plug the scanner in" in a and " / " in a for a in advice)
    assert any("/dev/serial/by-id" in a for a in advice)
    english = suggestions(device, waiting, "en")
    assert any(a.startswith("Plug the scanner in") for a in english)
    assert not any(" / " in a for a in english)  # in the screen's language alone
    denied = Words("device.os_failed", {"path": "/dev/ttyACM0", "reason": "permission denied"})
    error = DeviceStatus("s", "serial", "in", state="error", reason=denied)
    assert suggestions(device, error, "vi")[0] == "/dev/ttyACM0: permission denied"
    assert suggestions(device, error)[0] == messages.both("device.os_failed",
                                                         **denied.params)


def test_a_correctly_configured_hid_pos_scanner_gets_no_advice() -> None:
    diag, lines = watch_capture("honeywell-pos-cccd.hidraw.log")
    assert diag.suggestions() == []
    assert len(diag.scans) == 2 and any("→ cccd: Nguyễn Văn An" in line for line in lines)


# -- captures whose header leaves settings out: the kind's own defaults, not made-up ones --
def watch_capture_text(tmp_path: Path, text: str) -> Diagnostics:
    path = tmp_path / "field.capture"
    path.write_text(text, encoding="utf-8")
    return watch(capture_target(str(path), "field"), io.StringIO())


def test_a_serial_capture_without_settings_is_judged_by_the_default_crlf(tmp_path) -> None:
    """The decoder read it with CRLF (the default); the advice must not say "set CRLF".
    (Diagnostics once read a missing terminator as "" while the decoder used CRLF.)"""
    diag = watch_capture_text(tmp_path, "# kiosk-capture v1 format=serial\n"
                              "1.000000 " + (CCCD.encode() + b"\r\n").hex(" ") + "\n")
    assert [s.payload.decode() for s in diag.scans] == [CCCD]
    assert diag.suggestions("en") == []


def test_a_key_capture_without_settings_uses_the_default_idle_gap(tmp_path) -> None:
    """Keys 85 ms apart are close to the default 100 ms gap: the advice says so. (Diagnostics
    once read a missing idle_gap_ms as 0 — no gap — and stayed silent.)"""
    lines, t = ["# kiosk-capture v1 format=evdev"], 5.0
    for key in ("KEY_A", "KEY_B", "KEY_C"):
        lines += [f"{t:.6f} EV_KEY {key} 1", f"{t + 0.001:.6f} EV_KEY {key} 0"]
        t += 0.085
    lines.append(f"{t:.6f} EV_KEY KEY_ENTER 1")
    diag = watch_capture_text(tmp_path, "\n".join(lines) + "\n")
    assert [s.payload for s in diag.scans] == [b"abc"]
    assert any("raise idle_gap_ms to 170" in s for s in diag.suggestions("en"))


def test_a_cccds_dates_are_checked_in_the_kiosks_configured_zone() -> None:
    """The view shows what the kiosk would record, and the kiosk checks a CCCD's dates in its
    ``[kiosk] timezone``: at 06:30 on 1 December in Vietnam (23:30 on 30 November in UTC) a
    card issued that day is accepted there, and refused by a kiosk set to UTC — not judged
    in the default zone whatever the configuration says."""
    now = dt.datetime(2026, 12, 1, 6, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).timestamp()
    card = CCCD.replace("|10102021", "|01122026").encode()
    assert describe_payload(card, ZoneInfo("Asia/Ho_Chi_Minh"), now) == \
        "cccd: Nguyễn Văn An ••••••••2345"
    assert describe_payload(card, ZoneInfo("UTC"), now) == \
        ("refused/từ chối: cccd_bad_field (ngày cấp '01122026': ở tương lai / issue date "
         "'01122026': in the future)")


def test_a_screen_describes_a_payload_in_its_readers_words_without_what_identifies() -> None:
    """On a screen (the technician's Camera tab) a payload is described in the screen's
    language: the kind's name, the name and the masked number; a refusal without the value
    it names (which may be the document number); an enrolment code without its secret."""
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    now = dt.datetime(2026, 12, 1, 6, 30, tzinfo=hanoi).timestamp()
    card = CCCD.encode()
    assert describe_payload(card, hanoi, now, language="vi") == "CCCD: Nguyễn Văn An ••••••••2345"
    assert describe_payload(card, hanoi, now, language="en") == \
        "Citizen ID: Nguyễn Văn An ••••••••2345"
    future = CCCD.replace("|10102021", "|01122099").encode()
    assert describe_payload(future, hanoi, now, language="vi") == "Không hợp lệ: Mã CCCD sai"
    assert describe_payload(future, hanoi, now, language="en") == "Refused: Invalid CCCD code"
    enrolment = ("ckenrol:1?u=http%3A%2F%2Fx&k=a&c=b&s=" + "S" * 43 + "&e=1").encode()
    assert describe_payload(enrolment, hanoi, now, language="vi") == "ckenrol:1?…"


def test_devices_watch_takes_the_zone_from_the_configuration(tmp_path: Path) -> None:
    """`kiosk devices watch FILE --config …` (or a configured id) watches in the kiosk's zone;
    without a configuration that loads, in the default one."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k"\ncheckpoint_id = "CP"\ntimezone = "UTC"\n',
                      encoding="utf-8")
    capture = str(CAPTURES / "zebra-serial-cccd.serial.log")
    target = watch_options(argparse.Namespace(device=capture, config=str(config)))
    assert target.timezone == ZoneInfo("UTC")
    assert watch(target, io.StringIO()).timezone == ZoneInfo("UTC")
    absent = watch_options(argparse.Namespace(device=capture, config=str(tmp_path / "none")))
    assert absent.timezone is None and watch(absent, io.StringIO()).scans


def test_the_view_at_1970_takes_a_card_the_kiosk_at_1970_takes(tmp_path: Path) -> None:
    """A flat RTC battery boots the kiosk at 1970 — exactly when a technician opens the live
    view to find out what is wrong. The kiosk checks a CCCD's dates against the earliest the
    real date can be (the release at least), so a card issued before the release is accepted;
    the view judged it against the clock alone and said "refused: in the future"."""
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    card = CCCD.replace("|10102021", f"|{RELEASED - dt.timedelta(days=1):%d%m%Y}").encode()
    store = Store(tmp_path / "kiosk.db", timezone=hanoi)
    try:
        kiosk = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k")).submit(
            Scan(payload=card, device_id="d1", lane="in", wall_time=0.0))
    finally:
        store.close()
    assert kiosk.status is Status.ACCEPTED
    assert describe_payload(card, hanoi, 0.0) == "cccd: Nguyễn Văn An ••••••••2345"


def test_watching_a_capture_does_not_need_a_readable_configuration() -> None:
    """`kiosk devices watch FILE` (or /dev/…) needs no configuration; since the zone is taken
    from --config "when it loads", a config.toml the technician may not read (0600, as the
    kiosk asks of a file holding its token) ended the watch with "device error: Permission
    denied" instead of watching in the default zone. Run as another user than the file's
    owner (nobody, through util-linux's setpriv, when the tests run as root)."""
    as_another_user: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: root reads any file")
        as_another_user = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    with tempfile.TemporaryDirectory() as directory:
        os.chmod(directory, 0o755)
        config = Path(directory) / "config.toml"
        config.write_text('[kiosk]\nid = "k"\ncheckpoint_id = "CP"\ntimezone = "UTC"\n',
                          encoding="utf-8")
        config.chmod(0o600 if as_another_user else 0o000)
        capture = CAPTURES / "zebra-serial-cccd.serial.log"
        code = ("import sys; from kiosk.cli import main; "
                f"sys.exit(main(['devices', 'watch', {str(capture)!r}, '--config', "
                f"{str(config)!r}]))")
        ran = subprocess.run([*as_another_user, sys.executable, "-c", code],
                             capture_output=True, text=True, timeout=60, cwd=directory,
                             env={**os.environ, "HOME": directory,
                                  "PYTHONPATH": str(Path(__file__).parents[1])})
    assert ran.returncode == 0, ran.stderr
    assert "cccd: Nguyễn Văn An" in ran.stdout
    assert (f"cannot use the config ({config}: cannot be read (permission denied) — run the "
            "command as the kiosk's account, or fix the owner of the file or of its folder): "
            "a CCCD's dates are checked in the Asia/Ho_Chi_Minh zone") in ran.stderr
