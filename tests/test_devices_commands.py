"""`kiosk devices` and `kiosk devices watch` as a technician runs them."""

from __future__ import annotations

import io
import threading
import tomllib
from pathlib import Path

import pytest
from devices_support import FakeTree, Pty, wait_until

from kiosk import cli
from kiosk.config import from_dict, validate_device
from kiosk.devices.base import DeviceError
from kiosk.devices.captures import load_capture
from kiosk.devices.listing import list_candidates
from kiosk.devices.sysfs import Roots
from kiosk.devices.watching import WatchTarget, kind_of_path, watch

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
    assert out.count("không tìm thấy") == 4 and out.count("none found") == 4
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
    assert "sudo install -m 0644 scripts/udev/70-checkpoint-kiosk.rules" in text
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


def test_watch_a_serial_port_saves_a_capture_that_replays_the_same(tmp_path: Path) -> None:
    """Live view: hex + text, the decoded CCCD, the terminator advice; the saved capture
    watched again gives the same scans."""
    capture = tmp_path / "lane1.capture"
    out = Lines()
    with Pty() as pty:
        options = validate_device(0, {"id": "lane1", "type": "serial", "port": pty.path,
                                      "terminator": "CR"})

        def scanner() -> None:
            out.opened.wait(10)
            pty.send(b"]Q1" + CCCD.encode() + b"\r\n")
            pty.send(b"8938505974194\r\n")

        threading.Thread(target=scanner, daemon=True).start()
        diagnostics = watch(WatchTarget(options), out, count=2, save=str(capture))
    text = out.getvalue()
    assert "5d 51 31 30 30 31" in text
    assert "cccd: Nguyễn Văn An" in text
    assert 'Terminator looks like CRLF: set terminator = "CRLF"' in text
    assert [s.payload for s in diagnostics.scans] == [CCCD.encode(), b"8938505974194"]
    saved = load_capture(capture)
    assert saved.format == "serial" and saved.settings["terminator"] == "CR"
    again = watch(WatchTarget(options, capture=str(capture)), io.StringIO())
    assert [s.payload for s in again.scans] == [s.payload for s in diagnostics.scans]


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


def test_watch_a_field_capture_file(capsys) -> None:
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
    ("/dev/rfcomm0", "serial"), ("/dev/input/by-id/usb-Datalogic-event-kbd", "evdev"),
    ("/dev/input/event7", "evdev"), ("/dev/hidraw2", "hidraw"), ("/dev/video0", "camera"),
])
def test_watch_tells_the_kind_of_a_device_node_by_its_name(path: str, kind: str) -> None:
    assert kind_of_path(path).name == kind


def test_watch_refuses_a_node_no_kind_claims() -> None:
    with pytest.raises(DeviceError, match="cannot tell what kind of device /dev/printer0 is"):
        kind_of_path("/dev/printer0")
