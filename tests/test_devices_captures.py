"""Capture files: the text format, and replaying captures through the real loops.

The captures in tests/data/captures/ are synthesized by generate.py there (in the format a
technician's `kiosk devices watch --save` wrote before v2: no quiet recorded, guessed on
replay), not recorded from scanners."""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import termios
import threading
from pathlib import Path

import pytest
from devices_support import wait_until
from evdev import ecodes as e

from kiosk import cli
from kiosk.config import validate_device
from kiosk.devices.base import DeviceError, DeviceMissing
from kiosk.devices.captures import Capture, CaptureWriter, load_capture, read_capture
from kiosk.devices.evdev_input import EvdevDevice
from kiosk.devices.hidraw import HidrawDevice
from kiosk.devices.replay import ReplayDevice
from kiosk.devices.stream import Chunk, Decoded, Idle, InputEvent, pump
from kiosk.devices.supervisor import ERROR, FINISHED, Supervisor
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


BROKEN = [
    ("hello\n", "c.log:1: not a kiosk capture"),
    ("# kiosk-capture v1 format=midi\n", "format must be one of serial, evdev, hidraw"),
    ("# kiosk-capture v1 format=evdev\n1.0 EV_KEY KEY_NOPE 1\n",
     "c.log:2: .* / c.log:2: unknown event code name 'KEY_NOPE'"),
    ("# kiosk-capture v1 format=evdev\n1.0 EV_KEY KEY_A \u00b2\n",
     "c.log:2: .* / c.log:2: '\u00b2' is not a whole number written in at most 10 digits"),
    ("# kiosk-capture v1 format=evdev\n1.0 EV_KEY --5 1\n",
     "c.log:2: .* / c.log:2: unknown event code name '--5'"),
    ("# kiosk-capture v1 format=evdev\n1.0 EV_KEY 30\n",
     "c.log:2: .* / c.log:2: expected: time type code value"),
    ("# kiosk-capture v1 format=hidraw\n1.0 zz\n",
     "c.log:2: .* / c.log:2: 'zz' is not hex bytes: the character 'z' at position 1 is not a hex "
     "digit"),
    ("# kiosk-capture v3 format=serial\n",
     "c.log:1: .* / c.log:1: a capture of version 'v3'; this kiosk reads v1, v2"),
    ("# kiosk-capture vx format=serial\n", "a capture of version 'vx'"),
    ("# kiosk-capture v1 format=serial\n1.0 30\n1.2 idle\n",
     "c.log:3: .* / c.log:3: a 'idle' line \\(when the line was quiet\\) belongs in a v2 capture, "
     "this one is v1"),
    ("# kiosk-capture v2 format=serial\nsoon idle\n",
     "c.log:2: .* / c.log:2: the time 'soon' is not a number of seconds from 0 to 1000000000000"),
    ('# kiosk-capture v1 format=evdev\n# settings: {"layout": "dvorak"}\n',
     'c.log:2: layout: expected one of'),
    ('# kiosk-capture v1 format=evdev\n# settings: {"baudrate": 9600}\n',
     "unknown setting 'baudrate'"),
    ("# kiosk-capture v1 format=serial\n# settings: " + "[" * 5000 + "\n",
     "c.log:2: settings là JSON lồng nhau quá sâu / c.log:2: settings are JSON nested too "
     "deeply"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_broken_captures_name_the_line_and_the_problem(text: str, message: str) -> None:
    with pytest.raises(DeviceError, match=message):
        read_capture(text.splitlines(), "c.log")


BAD_TIMES = [
    ("# kiosk-capture v2 format=serial\n1.0 41 42\nnan idle\n", "c.log:3", "'nan'"),
    ("# kiosk-capture v2 format=serial\n1.0 41 42\ninf 43 0d\n", "c.log:3", "'inf'"),
    ("# kiosk-capture v1 format=hidraw\n-Infinity 02\n", "c.log:2", "'-Infinity'"),
    ("# kiosk-capture v2 format=serial\n1.0 41\n1e307 0d\n", "c.log:3", "'1e307'"),
    ("# kiosk-capture v2 format=serial\n1000000000000.5 0d\n", "c.log:2",
     "'1000000000000.5'"),
    ("# kiosk-capture v1 format=evdev\n1.0 EV_KEY KEY_A 1\n" + "9" * 400
     + ".0 EV_KEY KEY_A 0\n", "c.log:3", "'" + "9" * 40 + "'"),
    ("# kiosk-capture v1 format=evdev\n-5.5 EV_KEY KEY_A 1\n", "c.log:2", "'-5.5'"),
    ("# kiosk-capture v1 format=evdev\n5.-5 EV_KEY KEY_A 1\n", "c.log:2", "'5.-5'"),
    ("# kiosk-capture v1 format=evdev\n+5.5 EV_KEY KEY_A 1\n", "c.log:2", "'\\+5.5'"),
    ("# kiosk-capture v2 format=serial\n\u0661.5 41\n", "c.log:2", "'\u0661.5'"),
]
"""Times that are not seconds (review 38): each of these was read before, and a `nan`
merged two people's codes into one scan, an `inf` (or a finite 1e307) crashed
`kiosk devices watch` (OverflowError working out its advice), an evdev time of 400 digits
crashed the replay device too, and `-5.5` was read as -4.5."""


@pytest.mark.parametrize(("text", "where", "time"), BAD_TIMES)
def test_a_time_that_is_not_seconds_is_refused_naming_the_line(text: str, where: str,
                                                              time: str) -> None:
    with pytest.raises(DeviceError) as refused:
        read_capture(text.splitlines(), "c.log")
    assert refused.match(f"^{where}: thời gian {time} không phải một số giây từ 0 đến "
                         f"1000000000000 .* / {where}: the time {time} is not a number of seconds ")


REPORTS = "# kiosk-capture v2 format=hidraw\n1.0 02 00\n"
KEYS = "# kiosk-capture v2 format=evdev\n1.0 EV_KEY KEY_A 1\n"
BAD_ITEMS = [
    (REPORTS + "1.0 02 00 0g 00\n",
     "'02000g00' is not hex bytes: the character 'g' at position 6",
     "'02000g00' không phải các byte hex: ký tự 'g' ở vị trí 6 không phải chữ số hex"),
    (REPORTS + "1.0 02 000\n",
     "'02000' is not hex bytes: the hex digit at position 5 has no second",
     "'02000' không phải các byte hex: chữ số hex ở vị trí 5 thiếu chữ số thứ hai"),
    (KEYS + "0" * 4400 + "1.5 EV_KEY KEY_A 1\n",
     "the time '" + "0" * 40 + "' is not a number of seconds",
     "thời gian '" + "0" * 40 + "' không phải một số giây"),
    (KEYS + "1.5 EV_KEY KEY_A " + "1" * 4400 + "\n",
     "'" + "1" * 40 + "' is not a whole number written in at most 10 digits",
     "'" + "1" * 40 + "' không phải một số nguyên viết bằng tối đa 10"),
    (KEYS + "1.5 EV_KEY -" + "3" * 4400 + " 1\n",
     "'-" + "3" * 39 + "' is not a whole number", "'-" + "3" * 39 + "' không phải một số nguyên"),
    (KEYS + "1.5 " + "1" * 4400 + " 30 1\n",
     "'" + "1" * 40 + "' is not a whole number", "'" + "1" * 40 + "' không phải một số nguyên"),
    (KEYS + "1.5 EV_KEY KEY_" + "Z" * 4400 + " 1\n",
     "unknown event code name 'KEY_" + "Z" * 36 + "'",
     "không có mã sự kiện tên 'KEY_" + "Z" * 36 + "'"),
]
"""Lines Python itself refused, which reached the technician in its English alone: report
bytes that are not hex ("non-hexadecimal number found in fromhex() arg at position 5"), and
number fields past its 4,300 digits ("Exceeds the limit (4300 digits) for integer string
conversion"), now bad numbers like any other."""


@pytest.mark.parametrize(("text", "english", "vietnamese"), BAD_ITEMS)
def test_a_capture_file_with_a_bad_item_says_the_file_the_line_and_why_in_both_languages(
        tmp_path: Path, capsys, text: str, english: str, vietnamese: str) -> None:
    """The file as a technician sends it in, loaded, and watched with `kiosk devices watch`
    (which reads it the same way): its name, the line's number, and what is wrong."""
    path = tmp_path / "field.capture"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeviceError) as raised:
        load_capture(path)
    vi, en = str(raised.value).split(" / ")
    assert vi.startswith(f"{path}:3: {vietnamese}") and en.startswith(f"{path}:3: {english}")
    assert cli.main(["devices", "watch", str(path), "--config", str(tmp_path / "none")]) == 1
    shown = capsys.readouterr().err
    assert f"{path}:3: {vietnamese}" in shown and english in shown
    assert "fromhex" not in shown and "4300" not in shown


def test_a_capture_of_reads_whose_time_goes_back_is_refused_naming_both_lines() -> None:
    """Reads (serial, hidraw) and their quiet are timed by the monotonic clock: a time
    before the line above was written by no kiosk. Before, it was replayed, and the two
    people's codes of this file (no terminator: the quiet ends a code) became one scan."""
    text = ('# kiosk-capture v2 format=serial\n# settings: {"terminator": "none"}\n'
            "10.000000 41 42\n# a comment\n10.500000 idle\n2.000000 43 44\n2.500000 idle\n")
    with pytest.raises(DeviceError) as refused:
        read_capture(text.splitlines(), "c.log")
    assert refused.match(r"^c.log:6: thời gian 2.000000 lùi lại so với dòng 5 \(10.500000\)"
                         r".* / c.log:6: the time 2.000000 goes back from line 5 \(10.500000\): "
                         r"reads are timed by a clock that never goes back, so the file was "
                         r"altered or damaged$")
    same = text.replace("2.000000 43", "10.500000 43").replace("2.500000", "11.000000")
    assert len(read_capture(same.splitlines()).items) == 4  # the same time twice is fine


def test_a_key_capture_whose_wall_clock_went_back_replays_as_it_decoded_live(
        tmp_path: Path) -> None:
    """Key events carry the kernel's wall clock (and their quiet, time.time()): a clock set
    back while recording goes back in the file too. That is what the kiosk decoded live,
    so it is read, and replays to the same scans."""
    keys = [e.KEY_1, e.KEY_2, e.KEY_ENTER]
    items: list[InputEvent | Idle] = []
    for start in (1716200000.0, 1716190000.0):  # set back 10,000 s between two people
        for n, key in enumerate(keys):
            items += [InputEvent.at(start + 0.004 * n, e.EV_KEY, key, 1),
                      InputEvent.at(start + 0.004 * n + 0.001, e.EV_KEY, key, 0)]
        items.append(Idle(start + 0.5))
    live: list[Decoded] = []
    recorded = Capture("evdev", {"layout": "us"})
    pump(iter(items), recorded.decoder(), live.append, threading.Event())
    path = tmp_path / "set-back.evdev.log"
    with open(path, "w", encoding="utf-8") as stream:
        writer = CaptureWriter(stream, recorded.options("k"))
        for item in items:
            writer.write(item)
        writer.finish()
    assert load_capture(path).items == items
    got: list[Scan] = []
    ReplayDevice(validate_device(0, {"id": "k", "type": "replay", "format": "evdev",
                                     "path": str(path)})).run(got.append, threading.Event())
    assert [s.payload for s in got] == [d.payload for d in live] == [b"12", b"12"]


def test_a_damaged_capture_stops_its_replay_device_alone(tmp_path: Path) -> None:
    """Under the supervisor a refused capture is that device's error, its status naming the
    line; the other devices keep scanning."""
    damaged = tmp_path / "damaged.serial.log"
    damaged.write_text("# kiosk-capture v2 format=serial\nnan 41 0d\n", encoding="utf-8")
    codes = tmp_path / "codes.txt"
    codes.write_text("AAA\nBBB\n", encoding="utf-8")
    seen: list[Scan] = []
    supervisor = Supervisor([
        validate_device(0, {"id": "bad", "type": "replay", "format": "serial",
                            "path": str(damaged)}),
        validate_device(1, {"id": "good", "type": "replay", "path": str(codes)})], seen.append)
    supervisor.start()
    try:
        wait_until(lambda: [s.state for s in supervisor.status()] == [ERROR, FINISHED],
                   what="the damaged capture refused, the other replayed",
                   found=lambda: str(supervisor.status()))
    finally:
        supervisor.stop()
    assert [s.payload for s in seen] == [b"AAA", b"BBB"]
    assert f"{damaged}:2: thời gian 'nan'" in supervisor.status()[0].reason_in("vi")


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

CODE = b"001099012345|123456789|Nguyen Van An|01021990|Nam|So 1 Pho Hue, Ha Noi|10102021"


def pos_report(data: bytes, more: bool) -> bytes:
    """One 64-byte HID POS report (id 2, AIM ]Q1), as ``hidreport`` reads them."""
    return bytes([2, len(data)]) + b"]Q1" + data.ljust(56, b"\0") + bytes([0, 0, int(more)])


READ_LATE = {  # what a reader held up 150 ms in the middle of a code read, then the line quiet
    "serial": ({"terminator": "CR", "idle_gap_ms": 80},
               [Chunk(10.0, CODE[:13]), Chunk(10.15, CODE[13:] + b"\r"), Idle(10.17),
                Idle(10.19), Idle(10.55), Chunk(10.56, b"8938505974194\n"), Idle(10.58),
                Idle(10.70)]),
    "hidraw": ({"mode": "pos", "idle_gap_ms": 100},
               [Chunk(10.0, pos_report(CODE[:56], True)),
                Chunk(10.15, pos_report(CODE[56:], False)), Idle(10.17), Idle(10.55),
                Chunk(10.56, pos_report(b"8938505974194", True)), Idle(10.58), Idle(10.70)]),
}
"""Two people: a code whose second read came 150 ms late (no empty read between: one scan
live), then a code whose end never came (a serial scanner sending LF to a kiosk set to CR,
a HID POS scan whose last report was lost), ended live by the quiet line after it."""


@pytest.mark.parametrize("kind", sorted(READ_LATE))
def test_a_capture_replays_the_quiet_the_recorder_saw_and_no_other(tmp_path: Path,
                                                                    kind: str) -> None:
    """The watch's writer keeps the last empty read before each read and the one after the
    last; a replay device gives the decoder Idle ticks there only: as live, the late read is
    part of its code and the unfinished code ends on the quiet after it. (A capture kept no
    empty reads and the replay put one before every read: the late read split its code in
    a truncated head and a tail, two scans where the kiosk took one; review 37 F2.)"""
    settings, items = READ_LATE[kind]
    recorded = Capture(kind, settings)  # the device's options and decoder
    live: list[Decoded] = []
    pump(iter(items), recorded.decoder(), live.append, threading.Event())
    path = tmp_path / f"late.{kind}.log"
    with open(path, "w", encoding="utf-8") as stream:
        writer = CaptureWriter(stream, recorded.options("lane1"))
        for item in items:
            writer.write(item)
        writer.finish()
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# kiosk-capture v2 format={kind}\n")
    assert [line.split()[0] for line in text.splitlines() if line.endswith(" idle")] == [
        "10.550000", "10.700000"]
    assert load_capture(path).items == [item for item in items if item.t not in (
        10.17, 10.19, 10.58)]
    replayed = ReplayDevice(validate_device(0, {"id": "field", "type": "replay", "format": kind,
                                                "path": str(path)}))
    got: list[Scan] = []
    replayed.run(got.append, threading.Event())
    assert [s.payload for s in got] == [d.payload for d in live] == [CODE, b"8938505974194"]
    assert [d.ended_by for d in live] == ["terminator" if kind == "serial" else "report", "gap"]


def test_devices_watch_of_a_capture_read_late_shows_one_scan_and_no_wrong_advice(
        tmp_path: Path, capsys) -> None:
    """`kiosk devices watch FILE` of that serial capture: one scan of the late-read code, and
    no advice to set terminator = "none" (the burst cut by the late read was taken for a
    code sent without one: following it would have made the kiosk split codes)."""
    settings, items = READ_LATE["serial"]
    path = tmp_path / "late.capture"
    with open(path, "w", encoding="utf-8") as stream:
        writer = CaptureWriter(stream, Capture("serial", settings).options("s"))
        for item in items[:2]:  # the late read alone
            writer.write(item)
    assert cli.main(["devices", "watch", str(path), "--config", str(tmp_path / "none")]) == 0
    out = capsys.readouterr().out
    assert "== scan/quét 1: 79 bytes, ended by terminator" in out and "1 scan(s)" in out
    assert 'terminator = "none"' not in out and "v1 capture" not in out


def test_an_old_capture_replays_with_the_quiet_guessed_and_the_watch_says_so(
        tmp_path: Path, capsys) -> None:
    """A v1 capture (no quiet in it) replays as it always did: each read after a quiet line
    up to its own time; `kiosk devices watch` says the quiet is guessed, and how to be sure.
    The synthesized captures in tests/data are v1 and keep decoding as expected (above)."""
    lines = ["# kiosk-capture v1 format=serial", '# settings: {"terminator": "CR"}',
             "10.000000 " + CODE[:13].hex(" "), "10.150000 " + (CODE[13:] + b"\r").hex(" ")]
    path = tmp_path / "old.capture"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    capture = load_capture(path)
    assert capture.version == 1 and capture.quiet_guessed
    assert [type(item).__name__ for item in capture.played()] == ["Idle", "Chunk"] * 2
    assert cli.main(["devices", "watch", str(path), "--config", str(tmp_path / "none")]) == 0
    out = capsys.readouterr().out
    assert ("a v1 capture does not record when the line was quiet: a pause between two reads "
            "longer than idle_gap_ms is taken as quiet") in out
    # the guessed quiet (150 ms) is shorter than the wait for a terminator (stream.CUT_WAIT):
    # the late read joins its code (it split it into a cut head and a tail before)
    assert "1 scan(s)" in out
    assert not load_capture(CAPTURES / "azerty-pccovid.evdev.log").quiet_guessed  # key times


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
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A corrupt ``hex:`` line is logged and skipped; the rest of the file plays once. The
    warning names the file, the line and what is wrong, each half in its own language."""
    caplog.set_level(logging.WARNING, logger="kiosk.devices")
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
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}:3: bỏ qua dòng phát lại, 'zz' không phải các byte hex: ký tự 'z' ở vị trí 1 "
        f"không phải chữ số hex (0-9, a-f) / {path}:3: replay line skipped, 'zz' is not hex "
        f"bytes: the character 'z' at position 1 is not a hex digit (0-9, a-f)"]
