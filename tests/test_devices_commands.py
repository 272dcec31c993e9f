"""`kiosk devices` and `kiosk devices watch` as a technician runs them."""

from __future__ import annotations

import fnmatch
import io
import json
import re
import threading
import time
import tomllib
from pathlib import Path

import pytest
from devices_support import FakeTree, Pty, typed, wait_until

from kiosk import cli
from kiosk.config import from_dict, validate_device
from kiosk.devices.base import DeviceError
from kiosk.devices.captures import HIDDEN, CaptureWriter, load_capture
from kiosk.devices.diagnostics import Diagnostics
from kiosk.devices.kind import DeviceOptions
from kiosk.devices.listing import list_candidates
from kiosk.devices.registry import kinds
from kiosk.devices.replay import ReplayDevice
from kiosk.devices.stream import Decoded, pump
from kiosk.devices.sysfs import Roots
from kiosk.devices.watching import WatchTarget, kind_of_path, watch
from kiosk.enrolment import parse
from kiosk.scan import Scan
from tests.central_support import central, database_url

CCCD = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
CAPTURES = Path(__file__).parent / "data" / "captures"


def test_listing_on_a_machine_without_any_scanner_says_none_found(tmp_path: Path, capsys
                                                                  ) -> None:
    """Like this CI machine: no /dev/input at all; every section still printed."""
    (tmp_path / "dev").mkdir()
    (tmp_path / "sys").mkdir()
    code = cli.main(["devices", "--dev-root", str(tmp_path / "dev"),
                     "--sys-root", str(tmp_path / "sys"), "--config", str(tmp_path / "none")])
    out = capsys.readouterr().out
    assert code == 0
    for title in ("Serial ports", "Keyboard-mode scanners", "HID nodes", "Cameras"):
        assert title in out
    sections = sum(kind.discovery is not None for kind in kinds().values())  # a kind added too
    assert sections >= 4
    assert out.count("không tìm thấy") == sections and out.count("none found") == sections
    assert f"{tmp_path / 'dev' / 'input'}: không có / not present" in out


def test_listing_the_real_machine_runs(capsys) -> None:
    assert cli.main(["devices", "--config", "/nonexistent.toml"]) == 0
    assert "Keyboard-mode scanners" in capsys.readouterr().out


def test_listing_shows_ids_snippets_and_how_to_fix_permissions(tmp_path: Path) -> None:
    tree = FakeTree(tmp_path)
    usb = tree.usb_device("1-2", "0c2e", "0b61", "SN1", "Honeywell", "1900 Scanner")
    tree.tty_acm("ttyACM0", tree.interface(usb, 0))
    (tree.dev / "ttyACM0").chmod(0o600)
    out = io.StringIO()
    config = from_dict({"kiosk": {"id": "k", "checkpoint_id": "CP"}, "devices": [
        {"id": "lane1", "type": "serial", "usb": "0c2e:0b61:SN1"}]})
    found = list_candidates(Roots(tree.dev, tree.sys), out, config, uid=54321, gids=[54321])
    text = out.getvalue()
    assert found == 1
    assert "đã cấu hình: lane1 / configured as: lane1" in text
    assert "usb 0c2e:0b61 serial SN1" in text and "Honeywell 1900 Scanner" in text
    assert "! không có quyền mở" in text and "permission denied" in text
    assert re.search(r"sudo install -m 0644 /\S+/scripts/udev/70-checkpoint-kiosk.rules ", text)
    lines = text.splitlines()
    start = lines.index("    [[devices]]")
    snippet = "\n".join(line[4:] for line in lines[start:] if line.startswith("    "))
    device = tomllib.loads(snippet)["devices"][0]
    assert validate_device(0, device).usb == "0c2e:0b61:SN1"


class Lines(io.StringIO):
    """An output stream a test can wait on (the watch prints its header once the port is open)."""

    def __init__(self) -> None:
        super().__init__()
        self.opened = threading.Event()

    def write(self, text: str) -> int:
        if text.startswith("watching"):
            self.opened.set()
        return super().write(text)


def watch_serial(terminator: str, sends: list[bytes], capture: Path
                 ) -> tuple[DeviceOptions, Diagnostics, str]:
    """`kiosk devices watch` of a serial scanner on a real pty, set to ``terminator``, saving
    to ``capture``, while the scanner sends each of ``sends`` once the scan before it is
    shown: its options, the diagnostics and what the watch printed."""
    out = Lines()
    with Pty() as pty:
        options = validate_device(0, {"id": "lane1", "type": "serial", "port": pty.path,
                                      "terminator": terminator})

        def scanner() -> None:
            out.opened.wait(10)
            for number, data in enumerate(sends):
                shown = f"== scan/quét {number}:"
                if number:
                    wait_until(lambda shown=shown: shown in out.getvalue(), what=shown)
                pty.send(data)

        threading.Thread(target=scanner, daemon=True).start()
        diagnostics = watch(WatchTarget(options), out, count=len(sends), save=str(capture))
    return options, diagnostics, out.getvalue()


def test_watch_a_serial_port_saves_a_capture_that_replays_the_same(tmp_path: Path) -> None:
    """Live view: hex + text, the decoded CCCD, the terminator advice; the saved capture
    watched again gives the same scans."""
    capture = tmp_path / "lane1.capture"
    options, diagnostics, text = watch_serial(
        "CR", [b"]Q1" + CCCD.encode() + b"\r\n", b"8938505974194\r\n"], capture)
    assert "5d 51 31 30 30 31" in text
    assert "cccd: Nguyễn Văn An" in text
    assert 'Terminator looks like CRLF: set terminator = "CRLF"' in text
    assert [s.payload for s in diagnostics.scans] == [CCCD.encode(), b"8938505974194"]
    saved = load_capture(capture)
    assert saved.format == "serial" and saved.settings["terminator"] == "CR"
    again = watch(WatchTarget(options, capture=str(capture)), io.StringIO())
    assert [s.payload for s in again.scans] == [s.payload for s in diagnostics.scans]


def test_watch_a_scanner_framing_codes_with_stx_names_the_byte_and_the_setting(
        tmp_path: Path) -> None:
    """A scanner at its factory setting, STX (0x02) before each code, on a real pty: the
    watch shows the byte in the refusal in both languages, and instead of "the settings
    look right" the setting that removes it, as config.toml takes it."""
    stx_card = b"\x02001099012347|123456789|Nguyen Van C|01021990|Nam|Hue|10102021\r\n"
    _, _, text = watch_serial("CRLF", [stx_card], tmp_path / "lane1.capture")
    assert "02 30 30 31 30 39 39" in text
    assert ("→ refused/từ chối: cccd_bad_field (số CCCD '\\x02001099012347': phải có 12 chữ số"
            " / ID '\\x02001099012347': expected 12 digits)") in text
    assert ('set prefix = "\\\\x02" (or turn the scanner\'s prefix off)') in text
    assert "No suggestions" not in text


def test_watch_saves_the_quiet_it_saw_and_the_capture_replays_as_live(tmp_path: Path) -> None:
    """A scanner sending LF to a watch set to CR: live, each code ends on the quiet line
    after it (the reader's empty reads). The saved capture (v2) has that quiet in it, and
    replayed by a replay device it gives the same two scans."""
    capture = tmp_path / "lane1.capture"
    _, diagnostics, _ = watch_serial("CR", [b"001099012345\n", b"8938505974194\n"], capture)
    assert [(s.payload, s.ended_by) for s in diagnostics.scans] == [
        (b"001099012345", "gap"), (b"8938505974194", "gap")]
    text = capture.read_text(encoding="utf-8")
    assert text.startswith("# kiosk-capture v2 format=serial\n")
    assert sum(line.endswith(" idle") for line in text.splitlines()) >= 2, text
    got: list[Scan] = []
    ReplayDevice(validate_device(0, {"id": "r", "type": "replay", "format": "serial",
                                     "path": str(capture)})).run(got.append, threading.Event())
    assert [s.payload for s in got] == [b"001099012345", b"8938505974194"]


class HeldUp(Lines):
    """A terminal that stops taking the watch's output once a line holding ``trigger`` is
    printed, until ``release`` is set (a slow SSH session): the watch's reader is held up
    meanwhile, and finds what the scanner sent since waiting in the port."""

    def __init__(self, trigger: str) -> None:
        super().__init__()
        self.trigger = trigger
        self.holding, self.release = threading.Event(), threading.Event()

    def write(self, text: str) -> int:
        if self.trigger in text and not self.holding.is_set():
            self.holding.set()
            self.release.wait(10)
        return super().write(text)


def test_a_code_read_late_live_is_one_scan_in_the_saved_capture_too(tmp_path: Path,
                                                                     capsys) -> None:
    """`kiosk devices watch --save` of a serial scanner on a real pty, its reader held up
    200 ms by its terminal after reading the first bytes of a code: live, the rest read late
    is part of the code (no empty read came between: one scan, 3b48c17). The saved capture,
    replayed by a replay device and watched again with `kiosk devices watch FILE`, is one
    scan too, with no advice to set terminator = "none" (it was a head and a tail, two scans,
    and that advice, which would make the kiosk split codes: review 37 F2)."""
    code = b"001099012345|123456789|Nam"
    out, capture = HeldUp(code[:4].hex(" ")), tmp_path / "late.capture"
    with Pty() as pty:
        options = validate_device(0, {"id": "lane1", "type": "serial", "port": pty.path,
                                      "terminator": "CR"})

        def scanner() -> None:
            out.opened.wait(10)
            pty.send(code[:13])
            out.holding.wait(10)
            pty.send(code[13:] + b"\r")
            time.sleep(0.2)  # the hold-up itself: longer than idle_gap_ms (80)
            out.release.set()

        threading.Thread(target=scanner, daemon=True).start()
        live = watch(WatchTarget(options), out, count=1, save=str(capture))
    assert out.holding.is_set()
    assert [(s.payload, s.ended_by) for s in live.scans] == [(code, "terminator")]
    got: list[Scan] = []
    ReplayDevice(validate_device(0, {"id": "r", "type": "replay", "format": "serial",
                                     "path": str(capture)})).run(got.append, threading.Event())
    assert [s.payload for s in got] == [code]
    assert cli.main(["devices", "watch", str(capture), "--config", str(tmp_path / "no")]) == 0
    again = capsys.readouterr().out
    assert "1 scan(s)" in again and 'terminator = "none"' not in again, again


@pytest.fixture
def enrolment_code(tmp_path: Path) -> str:
    """A real enrolment code's text, as `kiosk-central kiosks add --qr` makes it."""
    out = central("kiosks", "add", "--db", database_url("sqlite", tmp_path),
                  "--checkpoint", "CP-QR", "--name", "Máy 7", "--kiosk-id", "lane-7", "--qr",
                  str(tmp_path / "qr.png"), "--server-url", "http://127.0.0.1:8765", "--json")
    return json.loads(out.stdout)["code"]


def shows_no_secret(text: str, code: str) -> bool:
    """Neither the code's one-time secret nor its bytes in hex appear in ``text``."""
    secret = parse(code).secret
    return secret not in text and secret[:6].encode().hex(" ") not in text


def test_watch_hides_an_enrolment_codes_secret_live_and_in_the_saved_capture(
        tmp_path: Path, enrolment_code: str) -> None:
    """A technician holds the kiosk's enrolment QR to a serial scanner while watching it:
    the scan is shown as a masked enrolment code, its raw reads are counted, not shown, and
    the capture keeps a comment in their place; the next person's scan is shown whole."""
    capture = tmp_path / "lane1.capture"
    options, diagnostics, text = watch_serial(
        "CRLF", [b"]Q1" + enrolment_code.encode() + b"\r\n", CCCD.encode() + b"\r\n"], capture)
    assert shows_no_secret(text, enrolment_code)
    assert "   ckenrol:1?…\n   → refused/từ chối: enrolment_code" in text
    assert "reads of a kiosk enrolment code hidden: its one-time secret is neither shown" in text
    assert "30 30 31 30 39 39 30 31 32 33 34 35" in text and "cccd: Nguyễn Văn An" in text
    assert diagnostics.scans[1].payload == CCCD.encode()
    saved = capture.read_text(encoding="utf-8")
    assert shows_no_secret(saved, enrolment_code) and HIDDEN in saved
    again = watch(WatchTarget(options, capture=str(capture)), io.StringIO())
    assert [s.payload for s in again.scans] == [CCCD.encode()]


def test_devices_watch_on_a_keyboard_capture_hides_the_code_key_by_key(
        tmp_path: Path, capsys, enrolment_code: str) -> None:
    """`kiosk devices watch FILE --save OTHER` on a keyboard scanner's capture: the keys that
    type the code's secret are neither printed nor saved again; the barcodes around it are."""
    options = validate_device(0, {"id": "kbd", "type": "evdev", "path": "/dev/input/event7"})
    keys = typed("8938505974194")
    typed(enrolment_code, keys.pause(1))
    typed("8938505974194", keys.pause(1))
    source, again = tmp_path / "kbd.capture", tmp_path / "again.capture"
    with open(source, "w", encoding="utf-8") as stream:
        writer = CaptureWriter(stream, options)
        for event in keys.events:
            writer.write(event)
    assert enrolment_code.encode() in decoded(source)  # the capture does type it

    assert cli.main(["devices", "watch", str(source), "--save", str(again)]) == 0
    out = capsys.readouterr().out
    assert shows_no_secret(out, enrolment_code) and "   ckenrol:1?…" in out
    hidden = int(out.split(" reads of a kiosk enrolment code hidden")[0].rsplit("(", 1)[1])
    assert hidden >= 2 * len(parse(enrolment_code).secret)  # each key: pressed and released
    assert out.count("   8938505974194\n") == 2 and "KEY_8 ↓" in out
    payloads = decoded(again)
    assert payloads[0] == payloads[-1] == b"8938505974194"
    assert not any(parse(enrolment_code).secret[:6].encode() in p for p in payloads)
    assert HIDDEN in again.read_text(encoding="utf-8")


def decoded(path: Path) -> list[bytes]:
    """The payloads a capture decodes to, read as the device did in the field."""
    capture = load_capture(path)
    scans: list[Decoded] = []
    pump(capture.played(), capture.decoder(), scans.append, threading.Event())
    return [scan.payload for scan in scans]


def test_watch_a_configured_device_by_id_from_the_command_line(tmp_path: Path, capsys) -> None:
    with Pty() as pty:
        config = tmp_path / "config.toml"
        config.write_text(f'[kiosk]\nid = "k"\ncheckpoint_id = "CP"\n\n[[devices]]\n'
                          f'id = "lane1"\ntype = "serial"\nlane = "in"\nport = "{pty.path}"\n'
                          f'baudrate = 115200\n', encoding="utf-8")
        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(cli.main(
            ["devices", "watch", "lane1", "--config", str(config), "--count", "1"])))
        thread.start()
        seen = ""

        def opened() -> bool:
            nonlocal seen
            seen += capsys.readouterr().out
            return "watching" in seen

        wait_until(opened, what="watch to open the port")
        pty.send(CCCD.encode() + b"\r\n")
        thread.join(10)
    seen += capsys.readouterr().out
    assert result == [0]
    assert "== scan/quét 1:" in seen and "cccd: Nguyễn Văn An" in seen
    assert "No suggestions: the settings look right" in seen


def test_a_scanner_unplugged_while_watched_still_gets_its_summary_and_saved_capture(
        tmp_path: Path, capsys) -> None:
    """The cable pulled half-way through a watch: the scans seen are summed up with their
    advice and the capture is saved whole, then the command ends as a device error, in
    words of the catalogue only (pyserial's English reason goes to the log's -v)."""
    capture = tmp_path / "lane.log"
    seen = ""

    def shown(text: str) -> bool:
        nonlocal seen
        seen += capsys.readouterr().out
        return text in seen

    with Pty() as pty:
        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(cli.main(
            ["devices", "watch", pty.path, "--count", "5", "--save", str(capture)])))
        thread.start()
        wait_until(lambda: shown("watching"), what="watch to open the port")
        pty.send(CCCD.encode() + b"\r\n")
        wait_until(lambda: shown("== scan/quét 1:"), what="the first scan")
        pty.unplug()
        thread.join(10)
    out, err = capsys.readouterr()
    seen += out
    assert result == [1]
    assert "1 lượt quét / 1 scan(s)" in seen  # the summary, after the loss
    assert f"capture saved: {capture}" in seen and len(decoded(capture)) == 1
    assert err.strip().endswith(f"lost {pty.path} (unplugged?)")
    assert "readiness" not in err and "returned no data" not in err


def test_watch_a_synthesized_capture_file_of_an_alt_code_scanner(capsys) -> None:
    code = cli.main(["devices", "watch", str(CAPTURES / "datalogic-cp1252-lossy-cccd.evdev.log")])
    out = capsys.readouterr().out
    assert code == 0
    assert "KEY_NUMLOCK ↓" in out and "2 scan(s)" in out
    assert "Alt+numpad mode detected" in out


@pytest.mark.parametrize(("args", "message"), [
    (["devices", "watch", "nobody"], "no device 'nobody'"),
    (["devices", "watch", "/dev/ttyACM77"], "/dev/ttyACM77 not found"),
])
def test_watch_errors_say_what_is_wrong(tmp_path: Path, capsys, args: list[str], message: str
                                        ) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k"\ncheckpoint_id = "CP"\n', encoding="utf-8")
    assert cli.main([*args, "--config", str(config)]) == 1
    assert message in capsys.readouterr().err


def test_watch_refuses_a_camera_with_a_pointer_elsewhere(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k"\ncheckpoint_id = "CP"\n\n[[devices]]\nid = "cam"\n'
                      'type = "camera"\n', encoding="utf-8")
    assert cli.main(["devices", "watch", "cam", "--config", str(config)]) == 1
    assert "technician screen" in capsys.readouterr().err


def test_every_commented_device_example_in_the_sample_config_is_valid() -> None:
    """The examples a technician uncomments in config.toml pass validation as they stand."""
    text = (Path(__file__).parents[1] / "config.toml").read_text(encoding="utf-8")
    blocks, current = [], None
    for line in text.splitlines():
        if line.startswith("# [[devices]]"):
            current = []
            blocks.append(current)
        elif current is not None and line.startswith("# "):
            current.append(line[2:])
        else:
            current = None
    assert len(blocks) >= 5
    for i, block in enumerate(blocks):
        device = tomllib.loads("[[devices]]\n" + "\n".join(block))["devices"][0]
        assert validate_device(i, device).id


@pytest.mark.parametrize(("path", "kind"), [
    ("/dev/ttyUSB3", "serial"), ("/dev/serial/by-id/usb-Zebra-if00", "serial"),
    ("/dev/input/by-id/usb-Datalogic-event-kbd", "evdev"),
    ("/dev/input/event7", "evdev"), ("/dev/hidraw2", "hidraw"), ("/dev/video0", "camera"),
])
def test_watch_tells_the_kind_of_a_device_node_by_its_name(path: str, kind: str) -> None:
    assert kind_of_path(path).name == kind


def test_an_rfcomm_node_is_a_serial_port_unless_a_kind_registered_later_claims_it() -> None:
    """A Bluetooth scanner in SPP mode is a serial port; a kind of its own (the walk-through
    in docs/architecture.md) claims the node before the serial kind does."""
    claiming = [kind.name for kind in kinds().values() if kind.discovery is not None
                and any(fnmatch.fnmatch("/dev/rfcomm0", nodes) for nodes in kind.discovery.nodes)]
    assert "serial" in claiming
    assert kind_of_path("/dev/rfcomm0").name == claiming[-1]


def test_watch_refuses_a_node_no_kind_claims() -> None:
    with pytest.raises(DeviceError, match="cannot tell what kind of device /dev/printer0 is"):
        kind_of_path("/dev/printer0")
