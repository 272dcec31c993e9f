"""Capture files: the text format, and replaying captures through the real loops.

The captures in tests/data/captures/ are synthesized by generate.py there (in the format a
technician's `kiosk devices watch --save` writes), not recorded from scanners."""

from __future__ import annotations

import fcntl
import io
import json
import os
import termios
import threading
from pathlib import Path

import pytest
from devices_support import wait_until
from evdev import ecodes as e

from kiosk.config import validate_device
from kiosk.devices.base import DeviceError, DeviceMissing
from kiosk.devices.captures import CaptureWriter, load_capture, read_capture
from kiosk.devices.evdev_input import EvdevDevice
from kiosk.devices.hidraw import HidrawDevice
from kiosk.devices.replay import ReplayDevice
from kiosk.devices.stream import Chunk, InputEvent
from kiosk.devices.supervisor import FINISHED, Supervisor
from kiosk.scan import Scan

CAPTURES = Path(__file__).parent / "data" / "captures"
EXPECTED = json.loads((CAPTURES / "expected.json").read_text(encoding="utf-8"))


def test_written_capture_reads_back_item_for_item() -> None:
    out = io.StringIO()
    options = validate_device(0, {"id": "x", "type": "evdev", "path": "/dev/input/event3",
                                  "layout": "fr", "grab": True})
    writer = CaptureWriter(out, options, comment="lane 2")
    events = [InputEvent(1716200000, 1200, e.EV_KEY, e.KEY_Q, 1),
              InputEvent(1716200000, 1300, e.EV_SYN, e.SYN_REPORT, 0),
              InputEvent(1716200000, 2500, e.EV_KEY, e.KEY_Q, 0)]
    for event in events:
        writer.write(event)
    text = out.getvalue()
    assert "EV_KEY KEY_Q 1" in text and "SYN_REPORT" not in text
    capture = read_capture(text.splitlines())
    assert capture.format == "evdev"
    # only what changes decoding is kept (not the id, the node or the grab)
    assert capture.settings == {"layout": "fr", "terminator": "enter", "idle_gap_ms": 100,
                                "ansi_codepage": "cp1252", "hex_mode": False}
    assert capture.items == [events[0], events[2]]


def test_report_captures_round_trip_bytes_and_times() -> None:
    out = io.StringIO()
    writer = CaptureWriter(out, validate_device(0, {"id": "h", "type": "hidraw",
                                                    "path": "/dev/hidraw0", "mode": "pos"}))
    writer.write(Chunk(12.5, bytes(range(64))))
    capture = read_capture(out.getvalue().splitlines())
    assert capture.items == [Chunk(12.5, bytes(range(64)))]
    assert capture.settings["mode"] == "pos" and capture.settings["idle_gap_ms"] == 100


@pytest.mark.parametrize(("text", "message"), [
    ("hello\n", "c.log:1: not a kiosk capture"),
    ("# kiosk-capture v1 format=midi\n", "format must be one of serial, evdev, hidraw"),
    ("# kiosk-capture v1 format=evdev\n1.0 EV_KEY KEY_NOPE 1\n",
     "c.log:2: .* / unknown event code name 'KEY_NOPE'"),
    ("# kiosk-capture v1 format=evdev\n1.0 EV_KEY 30\n",
     "c.log:2: .* / expected: time type code value"),
    ("# kiosk-capture v1 format=hidraw\n1.0 zz\n", "c.log:2: non-hexadecimal"),
    ('# kiosk-capture v1 format=evdev\n# settings: {"layout": "dvorak"}\n',
     'c.log:2: layout: expected one of'),
    ('# kiosk-capture v1 format=evdev\n# settings: {"baudrate": 9600}\n',
     "unknown setting 'baudrate'"),
])
def test_broken_captures_name_the_line_and_the_problem(text: str, message: str) -> None:
    with pytest.raises(DeviceError, match=message):
        read_capture(text.splitlines(), "c.log")


def replay(tmp_path: Path, name: str, fmt: str, **extra: object) -> list[Scan]:
    options = validate_device(0, {"id": "field", "type": "replay", "lane": "out",
                                  "path": str(CAPTURES / name), "format": fmt, **extra})
    got: list[Scan] = []
    ReplayDevice(options).run(got.append, threading.Event())
    return got


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_replay_device_plays_every_capture_file(tmp_path: Path, name: str) -> None:
    """A capture file (as one sent in from the field would be) replays to the scans it
    was generated from."""
    fmt = name.rsplit(".", 2)[-2]
    got = replay(tmp_path, name, fmt)
    assert [s.payload.decode() for s in got] == EXPECTED[name]
    assert {(s.device_id, s.lane, s.source) for s in got} == {("field", "out", "replay")}


def test_a_capture_replays_with_the_quiet_the_recorder_saw(tmp_path: Path) -> None:
    """A scanner sending LF to a kiosk set to CR (a unit swapped, a factory reset): live,
    each code ends on the quiet line after it (the reader's empty reads), and the watch
    saved that. A capture holds what was read, not the empty reads: replayed, every chunk
    follows the quiet the recorder saw up to it, so the three people are three scans, as
    in the field, not one payload of all three codes."""
    codes = ["001099012345", "001099067890", "079203000111"]
    lines = ["# kiosk-capture v1 format=serial", '# settings: {"terminator": "CR"}']
    lines += [f"{10 + 0.4 * n:.6f} " + " ".join(f"{b:02x}" for b in f"{code}\n".encode())
              for n, code in enumerate(codes)]
    path = tmp_path / "lf-to-cr.serial.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    options = validate_device(0, {"id": "field", "type": "replay", "path": str(path),
                                  "format": "serial"})
    got: list[Scan] = []
    ReplayDevice(options).run(got.append, threading.Event())
    assert [s.payload.decode().strip() for s in got] == codes

def test_replay_refuses_a_capture_of_another_format(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="is a hidraw capture, but the device says"):
        replay(tmp_path, "honeywell-pos-cccd.hidraw.log", "evdev")


def test_supervisor_runs_a_capture_replay_to_the_end() -> None:
    options = validate_device(0, {"id": "rp", "type": "replay", "format": "serial",
                                  "path": str(CAPTURES / "zebra-serial-cccd.serial.log")})
    got: list[Scan] = []
    supervisor = Supervisor([options], got.append)
    supervisor.start()
    assert supervisor.wait_finished(10)
    assert supervisor.status()[0].state == FINISHED and len(got) == 2
    supervisor.stop()


def test_evdev_device_loop_on_a_recorded_stream() -> None:
    """The live evdev shell's loop (consume) fed the AZERTY recording: same as in the field."""
    capture = load_capture(CAPTURES / "azerty-pccovid.evdev.log")
    device = EvdevDevice(validate_device(0, {"id": "kb", "type": "evdev", "lane": "in",
                                             "path": "/dev/input/event7", "layout": "fr"}))
    got: list[Scan] = []
    device.consume(capture.items, got.append, threading.Event())
    assert [s.payload.decode() for s in got] == EXPECTED["azerty-pccovid.evdev.log"]
    assert {(s.source, s.lane) for s in got} == {("evdev", "in")}


def test_evdev_device_without_its_node_waits_for_it(tmp_path: Path) -> None:
    device = EvdevDevice(validate_device(0, {"id": "kb", "type": "evdev",
                                             "path": str(tmp_path / "event3")}))
    with pytest.raises(DeviceMissing, match="is the scanner plugged in"):
        device.open()


def test_hidraw_device_reads_reports_from_a_node_and_notices_it_going(tmp_path: Path) -> None:
    """A FIFO stands in for /dev/hidraw0: one report per read; its writer closing = unplug."""
    node = tmp_path / "hidraw0"
    os.mkfifo(node)
    capture = load_capture(CAPTURES / "honeywell-pos-cccd.hidraw.log")
    device = HidrawDevice(validate_device(0, {"id": "pos", "type": "hidraw",
                                              "path": str(node), "mode": "pos"}))
    device.open()
    writer = os.open(node, os.O_WRONLY)
    got: list[Scan] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            device.run(got.append, threading.Event())
        except DeviceMissing as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    for item in capture.items:
        assert isinstance(item, Chunk)
        os.write(writer, item.data)
        # let the reader take this report before the next: hidraw never merges reports
        wait_until(lambda: int.from_bytes(fcntl.ioctl(writer, termios.FIONREAD, b"\0" * 4),
                                          "little") == 0, what="report read")
    wait_until(lambda: len(got) == 2, what="two scans")
    os.close(writer)
    thread.join(5)
    assert [s.payload.decode() for s in got] == EXPECTED["honeywell-pos-cccd.hidraw.log"]
    assert [s.symbology for s in got] == ["]Q1", "]Q1"] and got[0].source == "hidraw"
    assert errors and "unplugged" in str(errors[0])


def test_a_bad_line_in_a_replay_file_is_skipped_not_replayed_from_the_start(
        tmp_path: Path) -> None:
    """A corrupt ``hex:`` line is logged and skipped; the rest of the file plays once."""
    path = tmp_path / "codes.txt"
    path.write_text("AAA\nBBB\nhex:zz\nCCC\n", encoding="utf-8")
    seen: list[Scan] = []
    supervisor = Supervisor([validate_device(0, {"id": "r", "type": "replay",
                                                 "path": str(path)})], seen.append)
    supervisor.start()
    assert supervisor.wait_finished(10)
    supervisor.stop()
    assert [s.payload for s in seen] == [b"AAA", b"BBB", b"CCC"]
    assert supervisor.status()[0].state == FINISHED
