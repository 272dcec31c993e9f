"""Serial scanners through real pseudo-terminals: framings, re-plugging, two lanes, full speed.

Every test opens a real pty pair; the SerialDevice under test opens the slave with pyserial,
exactly as it opens /dev/ttyACM0 in the field.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from devices_support import FakeTree, Pty, symlink, wait_until

from kiosk.config import ConfigError, validate_device
from kiosk.devices.base import DeviceError, DeviceMissing
from kiosk.devices.serial_framer import parse_bytes
from kiosk.devices.serial_port import SerialDevice
from kiosk.devices.supervisor import CONNECTED, WAITING, Supervisor
from kiosk.devices.sysfs import Roots
from kiosk.scan import Scan, ScanResult

CCCD_AN = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
CCCD_BINH = "079301004567||Trần Thị Bình|15071985|Nữ|12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh|20052021"


def serial(device_id: str = "s1", **options: Any) -> dict[str, Any]:
    return validate_device(0, {"id": device_id, "type": "serial", **options})


class Running:
    """A SerialDevice running in a thread, collecting what it emits."""

    def __init__(self, device: SerialDevice) -> None:
        self.device = device
        self.scans: list[Scan] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        device.open()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.device.run(self.scans.append, self.stop)
        except BaseException as exc:  # recorded for the test to inspect
            self.error = exc

    def wait_for(self, count: int) -> list[Scan]:
        wait_until(lambda: len(self.scans) >= count or self.error, what=f"{count} scans")
        return self.scans

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


FRAMINGS = [
    pytest.param({"baudrate": 9600, "terminator": "CR"}, b"\r", id="9600-8N1-CR"),
    pytest.param({"baudrate": 115200, "terminator": "LF"}, b"\n", id="115200-8N1-LF"),
    pytest.param({"baudrate": 14400, "terminator": "CRLF"}, b"\r\n", id="14400-CRLF"),
    pytest.param({"baudrate": 19200, "bytesize": 7, "parity": "E", "stopbits": 2.0,
                  "terminator": "\\x03"}, b"\x03", id="19200-7E2-ETX"),
    pytest.param({"baudrate": 38400, "flow_control": "rtscts", "terminator": "CRLF",
                  "prefix": "@@", "suffix": "##"}, b"\r\n", id="38400-rtscts-affixes"),
    pytest.param({"baudrate": 9600, "terminator": "CRLF", "prefix": "\\x02", "suffix": "\\x03"},
                 b"\r\n", id="9600-STX-ETX-affixes"),  # a common factory framing
]


@pytest.mark.parametrize(("settings", "terminator"), FRAMINGS)
def test_framings_over_a_real_pty(settings: dict[str, Any], terminator: bytes) -> None:
    """Each port setting opens the pty and splits scans on its terminator, split writes too."""
    prefix = parse_bytes(settings.get("prefix", ""))
    suffix = parse_bytes(settings.get("suffix", ""))
    payloads = [b"8938505974194", b"SO-2024-001", CCCD_AN.encode()]
    with Pty() as pty:
        run = Running(SerialDevice(serial(port=pty.path, **settings)))
        try:
            stream = b"".join(prefix + b"]Q1" + p + suffix + terminator for p in payloads)
            for i in range(0, len(stream), 7):  # the UART hands bytes over in small pieces
                pty.send(stream[i:i + 7])
            scans = run.wait_for(3)
        finally:
            run.close()
    assert run.error is None
    assert [s.payload for s in scans] == payloads
    assert {(s.symbology, s.source, s.device_id) for s in scans} == {("]Q1", "serial", "s1")}


def test_terminatorless_scanner_is_framed_by_the_idle_gap() -> None:
    with Pty() as pty:
        run = Running(SerialDevice(serial(port=pty.path, terminator="none", idle_gap_ms=60)))
        try:
            pty.send(b"FIRST-CODE")
            run.wait_for(1)
            pty.send(b"SECOND-CODE")
            scans = run.wait_for(2)
        finally:
            run.close()
    assert [s.payload for s in scans] == [b"FIRST-CODE", b"SECOND-CODE"]


def test_vietnamese_cccd_over_serial_is_recorded_with_every_diacritic(make_pipeline) -> None:
    """UTF-8 over USB-COM, with a BOM, an AIM id and CRLF, lands in SQLite intact."""
    pipeline = make_pipeline()
    with Pty() as pty:
        run = Running(SerialDevice(serial(port=pty.path, baudrate=115200, lane="in")))
        try:
            pty.send(b"]Q1\xef\xbb\xbf" + CCCD_BINH.encode() + b"\r\n")
            [scan] = run.wait_for(1)
        finally:
            run.close()
    result = pipeline.submit(scan)
    assert result.status.value == "accepted"
    row = pipeline.store.entries(since="2000", until="9999")[0]
    assert row["name"] == "Trần Thị Bình"
    assert row["address"] == "12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh"
    assert row["symbology"] == "]Q1" and row["source"] == "serial" and row["lane"] == "in"
    assert bytes(row["payload"]) == CCCD_BINH.encode()


def test_a_code_still_arriving_while_the_reader_is_held_up_is_read_whole() -> None:
    """The reading thread can be held up for longer than ``idle_gap_ms`` (a busy 2-core
    kiosk, a slow hand-off of the scan before) while a code is still coming in. The rest of
    the code waits in the port and is read late, all at once: that lateness is the reader's,
    not a quiet line, and with a terminator configured it must not end the scan — else one
    code becomes a truncated head and a tail, both recorded, the person's scan lost."""
    gap_ms = 50
    head, tail = CCCD_AN.encode()[:40], CCCD_AN.encode()[40:]
    scans: list[Scan] = []
    first_read = threading.Event()

    def emit(scan: Scan) -> None:  # the reader's own thread, as in the field
        scans.append(scan)
        if len(scans) == 1:
            first_read.set()
            time.sleep(4 * gap_ms / 1000)  # held up, as a descheduled thread is

    with Pty() as pty:
        device = SerialDevice(serial(port=pty.path, terminator="CRLF", idle_gap_ms=gap_ms))
        device.open()
        stop = threading.Event()
        reader = threading.Thread(target=device.run, args=(emit, stop), daemon=True)
        reader.start()
        try:
            pty.send(b"]Q1" + CCCD_BINH.encode() + b"\r\n]Q1" + head)  # one scan, half the next
            assert first_read.wait(10), "the first scan was never read"
            pty.send(tail + b"\r\n")  # arrives while the reader is held up
            wait_until(lambda: len(scans) >= 2, what="two scans",
                       found=lambda: f"{[s.payload for s in scans]}")
            time.sleep(4 * gap_ms / 1000)  # room for a wrongly split tail to show up too
        finally:
            stop.set()
            reader.join(5)
    assert [s.payload for s in scans] == [CCCD_BINH.encode(), CCCD_AN.encode()]
    assert [s.symbology for s in scans] == ["]Q1", "]Q1"]


def test_a_missing_port_is_reported_as_not_plugged_in(tmp_path: Path) -> None:
    device = SerialDevice(serial(port=str(tmp_path / "ttyACM9")))
    with pytest.raises(DeviceMissing, match="not found — is the scanner plugged in"):
        device.open()


def test_a_port_in_use_is_refused_with_the_reason() -> None:
    """The kiosk holds the port: a technician's second reader gets a clear message."""
    with Pty() as pty:
        first = SerialDevice(serial(port=pty.path))
        first.open()
        try:
            with pytest.raises(DeviceError, match="in use by another program"):
                SerialDevice(serial("s2", port=pty.path)).open()
        finally:
            first.close()


def test_bad_framing_settings_are_refused_with_the_config_not_when_the_device_starts(
        ) -> None:
    with pytest.raises(ConfigError, match="unknown encoding 'klingon'"):
        serial(port="/dev/null", encoding_fallback="klingon")


def collect_results(pipeline) -> list[ScanResult]:
    results: list[ScanResult] = []
    pipeline.subscribe(results.append)
    return results


def test_supervisor_recovers_after_unplug_through_a_by_id_link(tmp_path: Path, make_pipeline
                                                               ) -> None:
    """Unplug: status goes to waiting with the reason; re-plug (a new pty, the by-id link
    re-pointed as udev does): connected again and scans flow, with no restart."""
    pipeline = make_pipeline(duplicate_policy="allow")
    results = collect_results(pipeline)
    link = tmp_path / "serial" / "by-id" / "usb-Honeywell_Scanner_0001-if00"
    first = Pty()
    symlink(link, first.path)
    states: list[tuple[str, str]] = []
    supervisor = Supervisor([serial("lane1", port=str(link), lane="in")], pipeline.submit,
                            poll_missing=0.05, backoff_initial=0.05)
    supervisor.subscribe(lambda s: states.append((s.state, s.reason_in("en"))))
    supervisor.start()
    second = None
    try:
        wait_until(lambda: supervisor.status()[0].state == CONNECTED, what="connected")
        first.send(CCCD_AN.encode() + b"\r\n")
        wait_until(lambda: len(results) == 1, what="first scan")
        first.unplug()
        wait_until(lambda: supervisor.status()[0].state == WAITING, what="waiting")
        assert supervisor.device("lane1") is None  # a dead device is not offered as live
        second = Pty()
        symlink(link, second.path)
        wait_until(lambda: supervisor.status()[0].state == CONNECTED, what="reconnected")
        second.send(CCCD_BINH.encode() + b"\r\n")
        wait_until(lambda: len(results) == 2, what="scan after re-plug")
    finally:
        supervisor.stop()
        if second:
            second.unplug()
    assert [r.identity.name for r in results] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert all(r.recorded for r in results)
    reasons = [reason for state, reason in states if state == WAITING]
    assert any("unplugged" in r or "not found" in r for r in reasons)
    assert supervisor.status()[0].scans == 2


def test_usb_vid_pid_finds_the_port_again_after_it_is_renamed(tmp_path: Path) -> None:
    """ttyACM0 unplugged while open comes back as ttyACM1: `usb = "0c2e:0b61:SN1"` finds it."""
    tree = FakeTree(tmp_path)
    usb = tree.usb_device("1-2", "0c2e", "0b61", "SN1", "Honeywell", "1900 Scanner")
    other = tree.usb_device("1-3", "0c2e", "0b61", "SN2", "Honeywell", "1900 Scanner")
    first, bystander = Pty(), Pty()
    tree.tty_acm("ttyACM0", tree.interface(usb, 0), first.path)
    tree.tty_acm("ttyACM5", tree.interface(other, 0), bystander.path)
    roots = Roots(tree.dev, tree.sys)
    got: list[Scan] = []
    supervisor = Supervisor([serial("lane2", usb="0c2e:0b61:SN1")], got.append,
                            poll_missing=0.05, backoff_initial=0.05,
                            factory=lambda o: SerialDevice(o, roots=roots))
    supervisor.start()
    second = None
    try:
        wait_until(lambda: supervisor.status()[0].state == CONNECTED, what="connected")
        assert supervisor.status()[0].path == str(tree.dev / "ttyACM0")
        first.send(b"BEFORE\r\n")
        bystander.send(b"NOT-MINE\r\n")
        wait_until(lambda: len(got) == 1, what="first scan")
        first.unplug()
        tree.remove_tty("ttyACM0")
        wait_until(lambda: supervisor.status()[0].state == WAITING, what="waiting")
        second = Pty()
        tree.tty_acm("ttyACM1", tree.interface(usb, 0), second.path)
        wait_until(lambda: supervisor.status()[0].state == CONNECTED, what="reconnected")
        assert supervisor.status()[0].path == str(tree.dev / "ttyACM1")
        second.send(b"AFTER\r\n")
        wait_until(lambda: len(got) == 2, what="scan after rename")
    finally:
        supervisor.stop()
        bystander.unplug()
        if second:
            second.unplug()
    assert [s.payload for s in got] == [b"BEFORE", b"AFTER"]


def test_two_scanners_on_two_lanes_interleaved_do_not_cross_talk(make_pipeline) -> None:
    """Half a scan on one port, half on the other, and so on: each lane gets its own scans."""
    pipeline = make_pipeline(duplicate_policy="allow")
    results = collect_results(pipeline)
    with Pty() as entry, Pty() as exit_:
        supervisor = Supervisor([serial("entry", port=entry.path, lane="in"),
                                 serial("exit", port=exit_.path, lane="out")], pipeline.submit)
        supervisor.start()
        try:
            wait_until(lambda: all(s.state == CONNECTED for s in supervisor.status()),
                       what="both connected")
            a, b = CCCD_AN.encode() + b"\r\n", CCCD_BINH.encode() + b"\r\n"
            for i in range(0, max(len(a), len(b)), 9):
                entry.send(a[i:i + 9])
                exit_.send(b[i:i + 9])
            wait_until(lambda: len(results) == 2, what="two scans")
        finally:
            supervisor.stop()
    by_device = {r.scan.device_id: r for r in results}
    assert by_device["entry"].identity.name == "Nguyễn Văn An"
    assert by_device["entry"].direction.value == "in"
    assert by_device["exit"].identity.name == "Trần Thị Bình"
    assert by_device["exit"].direction.value == "out"


def payload_list(payloads: list[bytes], around: int = -1) -> str:
    """A few payloads for a failure message: the index they begin with, and their length
    (a code split in two shows as a short head and a tail without its index)."""
    shown = range(len(payloads) - 3, len(payloads)) if around < 0 else range(around - 1,
                                                                             around + 2)
    return "; ".join(f"[{i}] {payloads[i][:12].decode(errors='replace')}… {len(payloads[i])} B"
                     for i in shown if 0 <= i < len(payloads))


def first_difference(got: list[bytes], expected: list[bytes]) -> str:
    where = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
                 min(len(got), len(expected)))
    return (f"{len(got)} payloads for {len(expected)} sent, first differing at [{where}]: "
            f"got {payload_list(got, where)}; expected {payload_list(expected, where)}")


def test_a_thousand_back_to_back_scans_none_dropped_none_merged(tmp_path: Path,
                                                                make_pipeline) -> None:
    """1,000 scans written to the pty as fast as it takes them (faster than any 115200 line),
    through SerialDevice + Supervisor + Pipeline + Store: 1,000 rows, in order, byte-exact."""
    pipeline = make_pipeline(duplicate_policy="allow")
    payloads = [f"{i:012d}|{i % 997:09d}|Nguyễn Văn Số {i}|01021990|Nam|Số {i} Phố Huế, Hà Nội|"
                f"10102021".encode() for i in range(1000)]
    submitted: list[bytes] = []

    def submit(scan: Scan) -> ScanResult:
        submitted.append(scan.payload)
        return pipeline.submit(scan)

    with Pty() as pty:
        supervisor = Supervisor([serial("fast", port=pty.path, baudrate=115200, lane="in")],
                                submit)
        supervisor.start()
        try:
            wait_until(lambda: supervisor.status()[0].state == CONNECTED, what="connected")
            pty.send(b"".join(b"]Q1" + p + b"\r\n" for p in payloads))
            wait_until(lambda: supervisor.status()[0].scans >= 1000, timeout=120,
                       what="1000 scans read",
                       found=lambda: f"{supervisor.status()[0].scans} scans read, last "
                                     f"submitted {payload_list(list(submitted))}")
        finally:
            supervisor.stop(timeout=120)
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        rows = conn.execute("SELECT payload, status, symbology FROM entries "
                            "ORDER BY id").fetchall()
    recorded = [bytes(r[0]) for r in rows]
    assert recorded == payloads, first_difference(recorded, payloads)
    assert {(r[1], r[2]) for r in rows} == {("accepted", "]Q1")}


def test_a_pty_unplugged_then_left_closes_nothing_opened_since(tmp_path: Path) -> None:
    """A test unplugs its scanner (both ends of the pty closed), then its ``with`` block
    ends. The numbers of the two ends, taken meanwhile by a file the process opened (the
    kiosk's store, in a UI test), stay open: they were closed again under it, and the
    kiosk's retention purge failed "disk I/O error", its card reading NOT RECORDED
    (test_ui_scanner_away, in a loaded run)."""
    with open(tmp_path / "kiosk.db", "wb") as store, Pty() as pty:
        numbers = (pty.master, pty.slave)
        pty.unplug()
        for number in numbers:  # what the process opens next takes the lowest free
            os.dup2(store.fileno(), number)
    try:
        for number in numbers:
            assert os.fstat(number).st_ino == (tmp_path / "kiosk.db").stat().st_ino
    finally:
        for number in numbers:
            with contextlib.suppress(OSError):
                os.close(number)
