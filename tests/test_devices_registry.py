"""Device kinds are one registered description each: the walk-through "Adding a device kind"
in docs/architecture.md, done for real with a Bluetooth scanner, and every kind checked for
every part.

A Bluetooth scanner paired in SPP mode is a serial port named /dev/rfcomm0: its kind reuses
the serial shell and decoder, and adds its own options, discovery and advice. Registered,
it must appear everywhere a kind appears — config validation, the technician's form, live
scanning, captures and replay, `kiosk devices` and its watch view, the technician's advice —
without touching any of those modules.
"""

from __future__ import annotations

import dataclasses
import io
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from devices_support import FakeTree, Pty, wait_until

from kiosk import config as config_mod
from kiosk import messages
from kiosk.devices import build_device
from kiosk.devices import kind as kind_module
from kiosk.devices.captures import CaptureWriter, capture_kinds, read_capture
from kiosk.devices.diagnostics import Diagnostics, suggestions
from kiosk.devices.discovery import discover, snippet
from kiosk.devices.kind import (
    CaptureFormat,
    DeviceKind,
    DeviceOptions,
    Discovery,
    missing_parts,
    waiting_hint,
)
from kiosk.devices.kinds import serial
from kiosk.devices.listing import list_candidates
from kiosk.devices.registry import kinds, load, register
from kiosk.devices.replay import ReplayDevice
from kiosk.devices.stream import Chunk
from kiosk.devices.supervisor import CONNECTED, DeviceStatus, Supervisor
from kiosk.devices.sysfs import Roots
from kiosk.devices.watching import kind_of_path
from kiosk.schema import opt

CCCD = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"


# -- step 1: the module (here in the test; in the tree, kiosk/devices/kinds/bluetooth.py) --
@dataclass(frozen=True, kw_only=True)
class BluetoothOptions(serial.SerialOptions):
    port: str = opt("/dev/rfcomm0", expected="config.expect.rfcomm_port")
    address: str = opt("", expected="config.expect.bluetooth_address")


@dataclass(frozen=True)
class RfcommNode:
    path: str

    @property
    def label(self) -> str:
        return f"RFCOMM {Path(self.path).name}"  # a name of its own: nobody's words

    @property
    def details(self) -> list[str]:
        return [self.label]

    @property
    def device(self) -> dict[str, Any]:
        return {"id": "bt-1", "type": "bluetooth", "lane": "toggle", "port": self.path}


def rfcomm_nodes(roots: Roots) -> list[RfcommNode]:
    return [RfcommNode(str(p)) for p in sorted(roots.dev.glob("rfcomm*"))]


PAIR_WORDS = ("Ghép đôi máy quét rồi gắn nó: sudo rfcomm bind 0 {address}",
              "Pair the scanner and bind it: sudo rfcomm bind 0 {address}")
SECTION_WORDS = ("Máy quét Bluetooth (RFCOMM)", "Bluetooth scanners (RFCOMM)")
PORT_WORDS = ("một nút RFCOMM, ví dụ /dev/rfcomm0", "an RFCOMM node such as /dev/rfcomm0")
ADDRESS_WORDS = ("địa chỉ Bluetooth của máy quét, cho lời khuyên",
                 "the scanner's Bluetooth address, for the advice")
"""Its advice's, its section's and its options' words: a built-in kind adds them to
kiosk/messages.py's catalogue."""


def advice(options: BluetoothOptions, status: Any) -> list[messages.Words]:
    if getattr(status, "state", "") != "waiting":
        return []
    return [*waiting_hint(status),
            messages.Words("device.bluetooth_pair", {"address": options.address or "ADDRESS"})]


KIND = DeviceKind(
    name="bluetooth",
    options=BluetoothOptions,
    device="kiosk.devices.serial_port:SerialDevice",
    decoder=serial.decoder,
    capture=CaptureFormat("chunks", serial.KIND.capture.settings),  # type: ignore[union-attr]
    watch="kiosk.devices.diagnostics:SerialDiagnostics",
    discovery=Discovery(f"{__name__}:rfcomm_nodes",
                        messages.Words("device.section.bluetooth"), "tty",
                        ("/dev/rfcomm*",), "port", write=True),
    advice=advice,
)


def walk_through_blocks() -> list[str]:
    """The code blocks of "Adding a device kind" in docs/architecture.md, in order."""
    doc = (Path(__file__).parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc.split("\n## Adding a device kind\n", 1)[1].split("\n## ", 1)[0]
    blocks: list[list[str]] = []
    previous = ""
    for line in section.splitlines():
        if line.startswith(" " * 7) and line.strip():
            if not previous.startswith(" " * 7):
                blocks.append([])
            blocks[-1].append(line)
        previous = line if line.strip() else previous
    return [textwrap.dedent("\n".join(block)) for block in blocks]


def test_the_walk_through_in_the_architecture_doc_is_this_tests_code(bluetooth_words) -> None:
    """What a reader copies from the walk-through is what the tests below register: its
    blocks, run, give the same options and the same kind (its discovery function lives in
    the module the walk-through names, here in this test)."""
    blocks = walk_through_blocks()
    assert len(blocks) == 2
    names: dict[str, Any] = {"dataclass": dataclass, "opt": opt, "serial": serial,
                             "DeviceKind": DeviceKind, "CaptureFormat": CaptureFormat,
                             "Discovery": Discovery, "Words": messages.Words,
                             "advice": advice}
    for block in blocks:
        exec(block, names)  # the documentation's own code, checked
    options = names["BluetoothOptions"]
    assert [(f.name, f.default, f.metadata) for f in dataclasses.fields(options)] == [
        (f.name, f.default, f.metadata) for f in dataclasses.fields(BluetoothOptions)]
    # what its options take is the catalogue's, as the project's words rule asks of every
    # option (tests/test_messages.py): a reader copying it adds sentences, not English
    assert [rules.expected for rules in options.own_schema().values()
            if rules.expected and rules.expected not in messages.CATALOGUE] == []
    documented = names["KIND"]
    assert documented.discovery.listing == "kiosk.devices.kinds.bluetooth:rfcomm_nodes"
    assert dataclasses.replace(documented, options=BluetoothOptions, discovery=dataclasses.replace(
        documented.discovery, listing=KIND.discovery.listing)) == KIND  # type: ignore[union-attr]
    assert missing_parts(documented) == []


# -- step 2: one registration ------------------------------------------------------------
@pytest.fixture
def bluetooth_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(messages.CATALOGUE, "device.bluetooth_pair", PAIR_WORDS)
    monkeypatch.setitem(messages.CATALOGUE, "device.section.bluetooth", SECTION_WORDS)
    monkeypatch.setitem(messages.CATALOGUE, "config.expect.rfcomm_port", PORT_WORDS)
    monkeypatch.setitem(messages.CATALOGUE, "config.expect.bluetooth_address", ADDRESS_WORDS)


@pytest.fixture
def registry_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry as it was after the test: a reader who has added the walk-through's
    kind to the tree finds it still registered (the test's own replaces it meanwhile)."""
    monkeypatch.setattr(kind_module, "_KINDS", dict(kind_module._KINDS))


@pytest.fixture
def bluetooth(bluetooth_words: None, registry_kept: None) -> Iterator[DeviceKind]:
    register(KIND)
    yield KIND


# -- step 3: it is everywhere -----------------------------------------------------------
def test_config_validates_the_new_kind_into_its_typed_options(bluetooth) -> None:
    config = config_mod.from_dict({"kiosk": {"id": "k", "checkpoint_id": "CP"}, "devices": [
        {"id": "bt", "type": "bluetooth", "lane": "in", "address": "00:11:22:33:44:55"}]})
    [device] = config.devices
    assert isinstance(device, BluetoothOptions)
    assert (device.port, device.baudrate, device.terminator) == ("/dev/rfcomm0", 9600, "CRLF")
    with pytest.raises(config_mod.ConfigError,
                       match=r'devices\[0\]\.baudrate: expected one of 1200…921600, got 7'):
        config_mod.validate_device(0, {"id": "bt", "type": "bluetooth", "baudrate": 7})
    with pytest.raises(config_mod.ConfigError, match=r"expected one of .*bluetooth, got \"x\""):
        config_mod.validate_device(0, {"id": "bt", "type": "x"})


def test_the_technicians_form_offers_the_new_kind_and_its_options(bluetooth, qtbot) -> None:
    from kiosk.ui.device_form import DeviceForm

    form = DeviceForm()
    qtbot.addWidget(form)
    assert "bluetooth" in [form.type_box.itemData(i) for i in range(form.type_box.count())]
    form.set_device({"id": "bt", "type": "bluetooth", "address": "00:11:22:33:44:55"})
    assert {"port", "address", "baudrate", "terminator"} <= set(form.fields)
    assert form.device() == config_mod.validate_device(
        0, {"id": "bt", "type": "bluetooth", "address": "00:11:22:33:44:55"})


def test_the_supervisor_runs_it_and_its_scans_name_their_kind(bluetooth) -> None:
    got = []
    with Pty() as link:
        options = config_mod.validate_device(0, {"id": "bt", "type": "bluetooth",
                                                 "port": link.path, "lane": "in"})
        supervisor = Supervisor([options], got.append)
        supervisor.start()
        try:
            wait_until(lambda: supervisor.status()[0].state == CONNECTED, what="connected")
            link.send(b"]Q1" + CCCD.encode() + b"\r\n")
            wait_until(lambda: got, what="the scan")
        finally:
            supervisor.stop()
    assert [(s.payload.decode(), s.source, s.lane, s.symbology) for s in got] == [
        (CCCD, "bluetooth", "in", "]Q1")]


def test_its_input_is_captured_and_replayed_through_its_decoder(bluetooth, tmp_path) -> None:
    options = config_mod.validate_device(0, {"id": "bt", "type": "bluetooth", "terminator": "CR"})
    out = io.StringIO()
    writer = CaptureWriter(out, options)
    writer.write(Chunk(1.0, b"]Q1" + CCCD.encode()[:20]))
    writer.write(Chunk(1.01, CCCD.encode()[20:] + b"\r"))
    capture = read_capture(out.getvalue().splitlines())
    assert capture.format == "bluetooth" and capture.settings["terminator"] == "CR"
    assert "bluetooth" in capture_kinds()
    path = tmp_path / "bt.capture"
    path.write_text(out.getvalue(), encoding="utf-8")
    replay = config_mod.validate_device(0, {"id": "r", "type": "replay", "format": "bluetooth",
                                            "path": str(path)})
    scans = []
    ReplayDevice(replay).run(scans.append, threading.Event())
    assert [s.payload.decode() for s in scans] == [CCCD]


def test_kiosk_devices_lists_it_and_watch_knows_its_nodes(bluetooth, tmp_path) -> None:
    tree = FakeTree(tmp_path)
    tree.node("rfcomm0")
    roots = Roots(tree.dev, tree.sys)
    out = io.StringIO()
    assert list_candidates(roots, out) == 1
    text = out.getvalue()
    assert "Máy quét Bluetooth (RFCOMM) / Bluetooth scanners (RFCOMM)" in text
    assert snippet(RfcommNode(str(tree.dev / "rfcomm0")).device) in "\n".join(
        line[4:] for line in text.splitlines())
    assert [c.path for c in discover(roots)] == [str(tree.dev / "rfcomm0")]
    assert kind_of_path("/dev/rfcomm3") is bluetooth  # before the serial kind's own claim


def test_the_technicians_advice_comes_from_the_kind(bluetooth) -> None:
    options = config_mod.validate_device(0, {"id": "bt", "type": "bluetooth",
                                             "address": "00:11:22:33:44:55"})
    waiting = DeviceStatus("bt", "bluetooth", "toggle", state="waiting",
                           reason=messages.Words("device.plug_in"))
    assert "Pair the scanner and bind it: sudo rfcomm bind 0 00:11:22:33:44:55" in suggestions(
        options, waiting, "en")
    assert "Ghép đôi máy quét rồi gắn nó: sudo rfcomm bind 0 00:11:22:33:44:55" in suggestions(
        options, waiting, "vi")


# -- a kind that lacks a part is refused --------------------------------------------------
@pytest.mark.parametrize(("change", "problem"), [
    ({"capture": None}, "has a decoder but no capture format"),
    ({"decoder": None}, "has a capture format but no decoder"),
    ({"watch": None}, "has a decoder but no live view (watch)"),
    ({"device": ""}, "needs a device shell"),
    ({"capture": CaptureFormat("chunks", ("terminator", "volume"))},
     "capture setting 'volume' is not one of its options"),
    ({"discovery": dataclasses.replace(KIND.discovery, where="mac")},  # type: ignore[type-var]
     "discovery puts the node in 'mac', not an option"),
    ({"discovery": dataclasses.replace(  # type: ignore[type-var]
        KIND.discovery, title="Bluetooth scanners / Máy quét Bluetooth")},
     "discovery's title 'Bluetooth scanners / Máy quét Bluetooth' is not a sentence of "
     "kiosk.messages.CATALOGUE"),
    ({"discovery": dataclasses.replace(  # type: ignore[type-var]
        KIND.discovery, title=messages.Words("device.section.laser"))},
     "discovery's title Words(code='device.section.laser', params={}) is not a sentence"),
    ({"options": dict}, "options must be a DeviceOptions dataclass"),
])
def test_a_kind_missing_a_part_is_refused_at_registration(change, problem,
                                                          bluetooth_words) -> None:
    before = kinds()
    broken = dataclasses.replace(KIND, **change)
    with pytest.raises(ValueError, match=rf"device kind 'bluetooth': .*{re.escape(problem)}"):
        register(broken)
    assert kinds() == before


def test_a_kind_must_name_every_part_even_to_say_it_has_none() -> None:
    with pytest.raises(TypeError, match=r"missing .* keyword-only argument"):
        DeviceKind(name="laser", options=DeviceOptions, device="x:Y")  # type: ignore[call-arg]


# -- every built-in kind: complete, and every part it names loads and works ----------------
@pytest.mark.parametrize("name", list(kinds()))
def test_every_kind_has_every_part_and_each_one_loads(name: str) -> None:
    kind = kinds()[name]
    assert missing_parts(kind) == []
    documented = (Path(__file__).parents[1] / "config.toml").read_text(encoding="utf-8")
    assert f'type = "{name}"' in documented, f"config.toml has no example of {name}"
    if kind.device:
        assert callable(load(kind.device))
    if kind.watch is not None:
        assert issubclass(load(kind.watch), Diagnostics)
    if kind.discovery is not None:
        assert load(kind.discovery.listing)(Roots(Path("/nonexistent"), Path("/nonexistent"))
                                            ) == []
    if kind.decoder is not None:
        options = kind.options(id="x", type=name)
        decoder = kind.decoder(options)
        assert decoder.finish() == [] and decoder.pending() == b""
        assert set(kind.capture.settings) <= set(options.as_dict())  # type: ignore[union-attr]


def test_a_configured_device_gets_the_shell_its_kind_names(tmp_path) -> None:
    options = config_mod.validate_device(0, {"id": "r", "type": "replay",
                                             "path": str(tmp_path / "none.txt")})
    assert type(build_device(options)) is load(kinds()["replay"].device)


def test_describing_every_kind_loads_no_hardware_library_and_no_device_shell() -> None:
    """Validating a config with a device of every kind imports only descriptions: the
    shells and their libraries wait until a device of that kind is really built."""
    code = textwrap.dedent("""
        import sys
        from kiosk import config
        config.from_dict({"kiosk": {"id": "k", "checkpoint_id": "CP"}, "devices": [
            {"id": "r", "type": "replay"}, {"id": "s", "type": "serial", "port": "/dev/x"},
            {"id": "e", "type": "evdev", "path": "/dev/y"},
            {"id": "h", "type": "hidraw", "path": "/dev/z"},
            {"id": "c", "type": "camera"}, {"id": "w", "type": "wedge"}]})
        shells = ("serial_port", "evdev_input", "hidraw", "camera", "replay")
        print(sorted(m for m in sys.modules
                     if m.partition(".")[0] in {"evdev", "serial", "cv2", "numpy", "zxingcpp",
                                                "pyzbar", "PySide6"}
                     or m in {f"kiosk.devices.{shell}" for shell in shells}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[1],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
