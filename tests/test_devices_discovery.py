"""Discovery on a fake /sys + /dev tree (real files, symlinks and permission bits), and
permission advice for accounts other than the one running the tests."""

from __future__ import annotations

import grp
import io
import os
import re
import shutil
import struct
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from devices_support import FakeTree
from evdev import ecodes as e

from kiosk.config import validate_device
from kiosk.devices import access
from kiosk.devices.access import access_problem
from kiosk.devices.base import DeviceError, DeviceMissing
from kiosk.devices.discovery import (
    cameras,
    discover,
    hidraw_nodes,
    input_devices,
    resolve_hidraw,
    resolve_input,
    resolve_serial,
    serial_ports,
    snippet,
)
from kiosk.devices.listing import list_candidates
from kiosk.devices.sysfs import Roots, bitmap, descriptor_usages

RULES = Path(__file__).resolve().parents[1] / "scripts" / "udev" / "70-checkpoint-kiosk.rules"
POS_DESCRIPTOR = bytes.fromhex("068c000902a101850209120a1a01150026ff007508953f8102c0")
KEYBOARD_DESCRIPTOR = bytes.fromhex("05010906a101050719e029e71500250175019508810295017508"
                                    "8101c0")
SCANNER_KEYS = [e.KEY_ENTER, *range(e.KEY_1, e.KEY_0 + 1), e.KEY_A, e.KEY_LEFTSHIFT,
                e.KEY_KP0, e.KEY_KP5, e.KEY_KP9]


def key_bitmap(codes: list[int]) -> str:
    """A capabilities/key file as the kernel prints it: long words, most significant first."""
    bits = 0
    for code in codes:
        bits |= 1 << code
    word = struct.calcsize("l") * 8
    words = []
    while bits:
        words.append(f"{bits & ((1 << word) - 1):x}")
        bits >>= word
    return " ".join(reversed(words)) or "0"


def add_input(tree: FakeTree, event: str, name: str, usb: Path | None, keys: list[int],
              vid: str = "0c2e", pid: str = "0b61", by_id: str = "") -> None:
    parent = usb / f"{usb.name}:1.0" if usb else tree.sys / "devices" / "platform" / "i8042"
    info = parent / "input" / f"input{event[5:]}"
    (info / "id").mkdir(parents=True, exist_ok=True)
    (info / "capabilities").mkdir(exist_ok=True)
    (info / "name").write_text(name + "\n")
    (info / "phys").write_text(f"usb-0000:00:14.0-2/input0 {event}\n")
    (info / "uniq").write_text("\n")
    (info / "id" / "vendor").write_text(vid + "\n")
    (info / "id" / "product").write_text(pid + "\n")
    (info / "capabilities" / "key").write_text(key_bitmap(keys) + "\n")
    node_dir = info / event
    node_dir.mkdir()
    os.symlink(os.path.relpath(info, node_dir), node_dir / "device")
    (tree.sys / "class" / "input").mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(node_dir, tree.sys / "class" / "input"),
               tree.sys / "class" / "input" / event)
    tree.node(f"input/{event}", mode=0o660)
    if by_id:
        (tree.dev / "input" / "by-id").mkdir(parents=True, exist_ok=True)
        os.symlink(f"../{event}", tree.dev / "input" / "by-id" / by_id)


def add_hidraw(tree: FakeTree, name: str, usb: Path, interface: int, descriptor: bytes,
               hid_name: str = "Honeywell 1900") -> None:
    iface = tree.interface(usb, interface)
    hid = iface / f"0003:0C2E:0B61.000{interface + 1}"
    (hid / "hidraw" / name).mkdir(parents=True)
    (hid / "uevent").write_text(f"HID_ID=0003:00000C2E:00000B61\nHID_NAME={hid_name}\n"
                                f"HID_PHYS=usb-0000:00:14.0-2/input{interface}\nHID_UNIQ=SN1\n")
    (hid / "report_descriptor").write_bytes(descriptor)
    os.symlink(os.path.relpath(hid, hid / "hidraw" / name), hid / "hidraw" / name / "device")
    (tree.sys / "class" / "hidraw").mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(hid / "hidraw" / name, tree.sys / "class" / "hidraw"),
               tree.sys / "class" / "hidraw" / name)
    tree.node(name, mode=0o600)


@pytest.fixture
def tree(tmp_path: Path) -> FakeTree:
    return kiosk_pc(tmp_path)


def kiosk_pc(root: Path) -> FakeTree:
    """A kiosk PC's /sys and /dev under ``root``: a Honeywell on USB-COM and HID, a Zebra in
    keyboard mode, an FTDI cable, a built-in UART, a UART nothing drives, a laptop keyboard,
    a mouse, a webcam."""
    t = FakeTree(root)
    honeywell = t.usb_device("1-2", "0c2e", "0b61", "SN1", "Honeywell", "1900 Scanner")
    t.tty_acm("ttyACM0", t.interface(honeywell, 0))
    (t.dev / "serial" / "by-id").mkdir(parents=True)
    os.symlink("../../ttyACM0", t.dev / "serial" / "by-id" / "usb-Honeywell_1900_SN1-if00")
    ftdi = t.usb_device("1-4", "0403", "6001", "FT123", "FTDI", "FT232R USB UART")
    port = t.interface(ftdi, 0) / "ttyUSB0"
    port.mkdir()
    os.symlink(os.path.relpath(t.sys / "bus" / "usb-serial", port), port / "subsystem")
    tty_dir = port / "tty" / "ttyUSB0"
    tty_dir.mkdir(parents=True)
    os.symlink(os.path.relpath(port, tty_dir), tty_dir / "device")
    os.symlink(os.path.relpath(tty_dir, t.sys / "class" / "tty"), t.sys / "class" / "tty" /
               "ttyUSB0")
    t.node("ttyUSB0")
    for name, uart_type in (("ttyS0", "4"), ("ttyS1", "0")):
        uart = t.sys / "devices" / "pnp0" / f"00:0{name[-1]}"
        uart.mkdir(parents=True)
        (t.sys / "bus" / "pnp").mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(t.sys / "bus" / "pnp", uart), uart / "subsystem")
        tty_dir = uart / "tty" / name
        tty_dir.mkdir(parents=True)
        (tty_dir / "type").write_text(uart_type + "\n")
        os.symlink(os.path.relpath(uart, tty_dir), tty_dir / "device")
        os.symlink(os.path.relpath(tty_dir, t.sys / "class" / "tty"), t.sys / "class" / "tty" /
                   name)
        t.node(name)
    virtual = t.sys / "devices" / "virtual" / "tty" / "tty1"  # a console: no device link
    virtual.mkdir(parents=True)
    os.symlink(os.path.relpath(virtual, t.sys / "class" / "tty"), t.sys / "class" / "tty" / "tty1")
    t.node("tty1")
    zebra = t.usb_device("1-3", "05e0", "1200", "", "Symbol", "Bar Code Scanner")
    add_input(t, "event4", "Symbol Bar Code Scanner", zebra, SCANNER_KEYS, "05e0", "1200",
              by_id="usb-Symbol_Bar_Code_Scanner-event-kbd")
    add_input(t, "event2", "AT Translated Set 2 keyboard", None, SCANNER_KEYS[:-3], "0001",
              "0001")
    add_input(t, "event5", "Logitech USB Optical Mouse", t.usb_device("1-5", "046d", "c077"),
              [e.BTN_LEFT, e.BTN_RIGHT], "046d", "c077")
    add_hidraw(t, "hidraw0", honeywell, 1, KEYBOARD_DESCRIPTOR)
    add_hidraw(t, "hidraw1", honeywell, 2, POS_DESCRIPTOR)
    for index, name in enumerate(("video0", "video1")):
        video = t.sys / "class" / "video4linux" / name
        video.mkdir(parents=True)
        (video / "name").write_text("HD Webcam C270\n")
        (video / "index").write_text(f"{index}\n")
        t.node(name)
    return t


def roots(tree: FakeTree) -> Roots:
    return Roots(tree.dev, tree.sys)


def test_serial_ports_with_usb_ids_by_id_links_and_real_uarts_only(tree: FakeTree) -> None:
    ports = {p.path.rsplit("/", 1)[1]: p for p in serial_ports(roots(tree))}
    assert sorted(ports) == ["ttyACM0", "ttyS0", "ttyUSB0"]  # not ttyS1 (no UART), not tty1
    acm = ports["ttyACM0"]
    assert acm.usb and (acm.usb.vid, acm.usb.pid, acm.usb.serial) == ("0c2e", "0b61", "SN1")
    assert acm.by_id.endswith("usb-Honeywell_1900_SN1-if00") and acm.kind == "usb"
    assert acm.label == "Honeywell 1900 Scanner"
    usb_serial = ports["ttyUSB0"]
    assert usb_serial.kind == "usb-serial" and usb_serial.usb.spec == "0403:6001:FT123"
    assert ports["ttyS0"].usb is None


def test_input_devices_that_can_type_with_what_they_can_type(tree: FakeTree) -> None:
    nodes = {Path(n.path).name: n for n in input_devices(roots(tree))}
    assert sorted(nodes) == ["event2", "event4"]  # the mouse cannot type a code
    scanner = nodes["event4"]
    assert scanner.looks_like_scanner and scanner.has_keypad and scanner.has_enter
    assert (scanner.vid, scanner.pid) == ("05e0", "1200")
    assert scanner.by_id.endswith("usb-Symbol_Bar_Code_Scanner-event-kbd")
    assert not nodes["event2"].looks_like_scanner and nodes["event2"].usb is None


def test_hidraw_nodes_know_pos_from_keyboard_interfaces(tree: FakeTree) -> None:
    nodes = {Path(n.path).name: n for n in hidraw_nodes(roots(tree))}
    assert nodes["hidraw1"].pos and not nodes["hidraw1"].keyboard
    assert nodes["hidraw0"].keyboard and not nodes["hidraw0"].pos
    assert (nodes["hidraw1"].vid, nodes["hidraw1"].uniq) == ("0c2e", "SN1")


def test_only_the_capture_node_of_each_camera_is_listed(tree: FakeTree) -> None:
    assert [Path(c.path).name for c in cameras(roots(tree))] == ["video0"]


def test_every_snippet_is_valid_config_that_names_the_device_stably(tree: FakeTree) -> None:
    """Pasted into config.toml, each snippet validates, and prefers by-id / usb over numbers."""
    found = discover(roots(tree))
    devices = [tomllib.loads(snippet(c.device))["devices"][0] for c in found]
    for i, device in enumerate(devices):
        validate_device(i, device)
    ids = [d["id"] for d in devices]
    assert len(set(ids)) == len(ids)
    by_kind = {(d["type"], d.get("port") or d.get("path") or d.get("usb") or d.get("source"))
               for d in devices}
    assert ("serial", str(tree.dev / "serial/by-id/usb-Honeywell_1900_SN1-if00")) in by_kind
    assert ("serial", "0403:6001:FT123") in by_kind
    assert ("evdev", str(tree.dev / "input/by-id/usb-Symbol_Bar_Code_Scanner-event-kbd")) in by_kind
    assert ("hidraw", "0c2e:0b61:SN1") in by_kind


def serial(**where: str) -> Any:
    return validate_device(0, {"id": "s", "type": "serial", **where})


def evdev(**where: str) -> Any:
    return validate_device(0, {"id": "k", "type": "evdev", **where})


def hidraw(**where: str) -> Any:
    return validate_device(0, {"id": "h", "type": "hidraw", **where})


def test_resolving_by_usb_and_by_name(tree: FakeTree) -> None:
    r = roots(tree)
    assert resolve_serial(serial(usb="0C2E:0B61"), r) == str(tree.dev / "ttyACM0")
    assert resolve_input(evdev(usb="05e0:1200"), r) == str(tree.dev / "input" / "event4")
    assert resolve_input(evdev(name="*bar code*"), r) == str(tree.dev / "input" / "event4")
    assert resolve_hidraw(hidraw(usb="0c2e:0b61:SN1", mode="pos"), r) == str(
        tree.dev / "hidraw1")
    assert resolve_hidraw(hidraw(usb="0c2e:0b61", mode="keyboard"), r) == str(
        tree.dev / "hidraw0")


def test_a_configured_port_that_is_gone_falls_back_to_its_usb_id(tree: FakeTree) -> None:
    options = serial(port=str(tree.dev / "ttyACM3"), usb="0c2e:0b61:SN1")
    assert resolve_serial(options, roots(tree)) == str(tree.dev / "ttyACM0")


def test_nothing_matching_means_waiting_and_two_matches_mean_be_more_precise(tree: FakeTree
                                                                            ) -> None:
    r = roots(tree)
    with pytest.raises(DeviceMissing, match="usb 0c2e:0b61:OTHER not found"):
        resolve_serial(serial(usb="0c2e:0b61:OTHER"), r)
    twin = tree.usb_device("1-6", "05e0", "1200", "", "Symbol", "Bar Code Scanner")
    add_input(tree, "event9", "Symbol Bar Code Scanner", twin, SCANNER_KEYS, "05e0", "1200")
    with pytest.raises(DeviceError, match=r"2 devices match .*add the serial number"):
        resolve_input(evdev(usb="05e0:1200"), r)


def test_key_bitmaps_and_report_descriptors_are_read_like_the_kernel_writes_them() -> None:
    assert bitmap(key_bitmap([e.KEY_ENTER, e.KEY_KP9])) == (1 << e.KEY_ENTER) | (1 << e.KEY_KP9)
    assert descriptor_usages(POS_DESCRIPTOR) == (frozenset({0x8C}), False)
    pages, keyboard = descriptor_usages(KEYBOARD_DESCRIPTOR)
    assert keyboard and pages == {1, 7}


def other_group(node: Path) -> int:
    """Give the node a non-root group (dialout when we may chown), return its gid."""
    if os.geteuid() == 0:
        gid = grp.getgrnam("dialout").gr_gid
        os.chown(node, 0, gid)
    return node.stat().st_gid


def test_permission_advice_for_a_user_outside_the_nodes_group(tree: FakeTree) -> None:
    node = tree.dev / "ttyACM0"
    node.unlink()
    tree.node("ttyACM0", mode=0o660)
    gid = other_group(node)
    group = grp.getgrgid(gid).gr_name
    advice = access_problem(str(node), write=True, uid=54321, gids=[54321])
    assert advice is not None
    assert f"sudo usermod -aG {group} 54321" in advice
    # a running service keeps the groups it started with: logging out and in reached only the
    # technician's own session, and the kiosk's lane stayed "permission denied"
    assert "then restart the kiosk: sudo systemctl restart checkpoint-kiosk" in advice
    assert "rồi khởi động lại trạm: sudo systemctl restart checkpoint-kiosk" in advice
    assert "-rw-rw----" in advice
    assert access_problem(str(node), write=True, uid=54321, gids=[gid]) is None


def test_permission_advice_for_a_root_only_node_is_the_udev_rule(
        tree: FakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "INSTALLED_RULES", tmp_path / "rules.d" / RULES.name)  # none
    node = tree.dev / "hidraw1"  # 0600 like a fresh hidraw node
    if os.geteuid() == 0:
        os.chown(node, 0, 0)
    advice = access_problem(str(node), uid=54321, gids=[], vid="0c2e", pid="0b61",
                            subsystem="hidraw")
    assert advice is not None
    # the rule by its whole path: the command runs in whatever folder `kiosk` was typed in
    assert f"sudo install -m 0644 {RULES} {tmp_path / 'rules.d'}/ && " in advice
    assert 'ATTRS{idVendor}=="0c2e", ATTRS{idProduct}=="0b61"' in advice
    node.chmod(0o604)
    assert access_problem(str(node), uid=54321, gids=[]) is None  # world-readable now
    assert access_problem(str(node), write=True, uid=54321, gids=[]) is not None


def test_a_scanner_of_another_make_on_an_installed_kiosk_gets_one_command_that_runs_anywhere(
        tree: FakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """install-kiosk.sh put the rule in /etc/udev/rules.d, and `kiosk devices` runs in any
    folder. A HID POS scanner of a make the rule does not list was told `sudo install …
    scripts/udev/…` (no such file there: the `&&` chain stopped at once; the rule was there
    anyway) and given a line "to add" to no file named. Now: one command appending that line
    to a file of its own beside the installed rule, then reloading udev. Run as printed,
    from /, with sudo and udevadm standing in, it writes a rule for exactly that scanner;
    run a second time (the advice pasted again), it does not write the line twice."""
    rules = tmp_path / "rules.d"
    rules.mkdir()
    shutil.copy(RULES, rules / RULES.name)
    monkeypatch.setattr(access, "INSTALLED_RULES", rules / RULES.name)
    node = tree.dev / "hidraw1"
    if os.geteuid() == 0:
        os.chown(node, 0, 0)

    advice = access_problem(str(node), uid=54321, gids=[], vid="1a86", pid="e026",
                            subsystem="hidraw")

    assert advice is not None and "scripts/udev" not in advice
    assert f"máy quét chưa có trong luật udev {rules / RULES.name}, thêm nó: grep " in advice
    english = advice[advice.index(" / permission denied on "):]
    command = english.partition(", add it: ")[2].removesuffix(
        ", then unplug and re-plug the scanner")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    (tools / "udevadm").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "udevadm.log"}\n')
    for tool in tools.iterdir():
        tool.chmod(0o755)
    for _ in range(2):
        subprocess.run(["sh", "-c", command], cwd="/", check=True, capture_output=True,
                       env={**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"})
    assert (rules / "71-checkpoint-kiosk-local.rules").read_text().splitlines() == [
        'SUBSYSTEM=="hidraw", ATTRS{idVendor}=="1a86", ATTRS{idProduct}=="e026", '
        'GROUP="kiosk", MODE="0660", TAG+="uaccess"']
    assert (tmp_path / "udevadm.log").read_text().splitlines() == [
        "control --reload-rules", "trigger"] * 2


@pytest.mark.parametrize("installed", [False, True], ids=["rule not installed", "installed"])
def test_the_machines_own_keyboard_is_offered_a_rule_only_if_it_is_the_scanner(
        tree: FakeTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        installed: bool) -> None:
    """`kiosk devices` lists every node that can type. Now that the kiosk's account is not
    in group input, each one it may not open gets the command adding it to the udev rule:
    the laptop's own keyboard got it as a scanner does, and pasted, gave the kiosk every key
    typed on it again. A node whose name does not say scanner gets the command only "if
    this is the scanner", saying what a keyboard added so gives away; a scanner's as before."""
    if os.geteuid() != 0:
        pytest.skip("giving a node to root (as udev does) needs root")
    rules = tmp_path / "rules.d" / RULES.name
    if installed:
        rules.parent.mkdir()
        shutil.copy(RULES, rules)
    monkeypatch.setattr(access, "INSTALLED_RULES", rules)
    keyboard = tree.usb_device("1-6", "413c", "2113", "", "Dell", "KB216 Wired Keyboard")
    add_hidraw(tree, "hidraw2", keyboard, 0, KEYBOARD_DESCRIPTOR,
               hid_name="Dell KB216 Wired Keyboard")
    for name in ("input/event2", "input/event4", "hidraw0", "hidraw1", "hidraw2"):
        os.chown(tree.dev / name, 0, 0)
    out = io.StringIO()

    list_candidates(roots(tree), out, uid=54321, gids=[54321])

    lines = out.getvalue().splitlines()

    def advice(node: str) -> str:
        at = next(n for n, line in enumerate(lines) if line.startswith(f"  {tree.dev / node} "))
        assert lines[at + 1].startswith("    ! "), lines[at + 1]
        return lines[at + 1]

    unsure = ("only if this is the scanner (its name does not say so; a keyboard added so is "
              "read by the kiosk, every key typed on it, passwords too), add it")
    laptop, scanner = advice("input/event2"), advice("input/event4")
    assert unsure in laptop and 'ATTRS{idVendor}=="0001"' in laptop
    assert "chỉ khi đây đúng là máy quét" in laptop
    assert unsure not in scanner and 'ATTRS{idVendor}=="05e0"' in scanner
    assert unsure in advice("hidraw2")  # a USB keyboard read raw
    assert unsure not in advice("hidraw0")  # the Honeywell's keyboard interface: its name
    assert unsure not in advice("hidraw1")  # its HID POS interface: a scanner's own protocol


def test_root_and_the_nodes_owner_may_open_it(tree: FakeTree) -> None:
    node = tree.dev / "hidraw1"
    assert access_problem(str(node), uid=0, gids=[]) is None
    assert access_problem(str(node), uid=node.stat().st_uid, gids=[]) is None


def test_the_udev_rule_file_is_well_formed() -> None:
    """Every rule line is comma-separated KEY[{attr}] OP "value" pairs udev accepts."""
    rules = RULES
    pair = re.compile(r'^[A-Z_]+(\{[A-Za-z_]+\})?(==|!=|=|\+=|:=)"[^"]*"$')
    lines = [ln for ln in rules.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines, "no rules"
    for line in lines:
        assert all(pair.match(p.strip()) for p in line.split(",")), line
    labels = {m for ln in lines for m in re.findall(r'LABEL="([^"]+)"', ln)}
    gotos = {m for ln in lines for m in re.findall(r'GOTO="([^"]+)"', ln)}
    assert gotos <= labels
