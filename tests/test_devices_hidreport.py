"""hidraw: HID POS reports (Honeywell report id 2) and boot-keyboard reports → scans."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from evdev import ecodes as e

from kiosk.devices.captures import load_capture
from kiosk.devices.hidreport import BootKeyboardDecoder, PosDecoder, report_events
from kiosk.devices.keydecoder import KeyDecoder
from kiosk.devices.stream import Chunk, Decoded, pump
from kiosk.payloads import Identity, decode

CAPTURES = Path(__file__).parent / "data" / "captures"
EXPECTED = json.loads((CAPTURES / "expected.json").read_text(encoding="utf-8"))
CCCD = "079301004567||Trần Thị Bình|15071985|Nữ|12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh|20052021"


def pos_report(data: bytes, *, more: bool = False, aim: bytes = b"]Q1", size: int = 64) -> bytes:
    room = size - 8
    assert len(data) <= room
    return bytes([2, len(data)]) + aim + data.ljust(room, b"\0") + bytes([0x3F, 0, int(more)])


def decode_capture(name: str) -> list[Decoded]:
    capture = load_capture(CAPTURES / name)
    found: list[Decoded] = []
    pump(capture.items, capture.decoder(), found.append,
         threading.Event())
    return found


def test_recorded_honeywell_pos_capture_reassembles_multi_report_scans() -> None:
    found = decode_capture("honeywell-pos-cccd.hidraw.log")
    assert [d.payload.decode() for d in found] == EXPECTED["honeywell-pos-cccd.hidraw.log"]
    assert all(d.symbology == "]Q1" and d.ended_by == "report" for d in found)


def test_recorded_boot_keyboard_capture_with_alt_keypad() -> None:
    """The field-notes report 04 00 62 60 5b = LeftAlt + KP0 KP8 KP3 = 'S', then Shift etc."""
    [scan] = decode_capture("bootkbd-altnumpad.hidraw.log")
    assert scan.payload == b"SCAN-1"
    assert {"alt_codes", "keypad_digits"} <= scan.flags


def test_pos_payload_bytes_are_kept_raw_so_utf8_survives() -> None:
    raw = CCCD.encode("utf-8")
    decoder = PosDecoder()
    out = decoder.feed(Chunk(1.0, pos_report(raw[:56], more=True)))
    out += decoder.feed(Chunk(1.002, pos_report(raw[56:], more=True, aim=b"\0\0\0")))
    assert out == []
    out += decoder.feed(Chunk(1.004, pos_report(b"", more=False)))
    [scan] = out
    assert scan.payload == raw
    identity = decode(scan.payload)
    assert isinstance(identity, Identity) and identity.name == "Trần Thị Bình"


def test_pos_reports_of_other_ids_are_ignored_and_counted() -> None:
    decoder = PosDecoder()
    assert decoder.feed(Chunk(1.0, bytes([4, 1, 0, 0, 0, 0, 0, 0]))) == []
    assert decoder.feed(Chunk(1.1, b"\x02\x01")) == []
    assert decoder.ignored == 2


def test_pos_scan_whose_last_report_never_comes_is_delivered_as_incomplete() -> None:
    decoder = PosDecoder(idle_gap_ms=100)
    assert decoder.feed(Chunk(1.0, pos_report(b"0123456789", more=True))) == []
    assert decoder.idle(1.05) == []
    [scan] = decoder.idle(1.2)
    assert scan.payload == b"0123456789" and "incomplete" in scan.flags


def test_pos_length_byte_larger_than_the_report_is_flagged() -> None:
    report = bytearray(pos_report(b"ABC"))
    report[1] = 200
    [scan] = PosDecoder().feed(Chunk(1.0, bytes(report)))
    assert "bad_length" in scan.flags and scan.payload.startswith(b"ABC")


def test_report_diff_orders_releases_before_presses() -> None:
    """Shift released while the next key goes down: that key must not be shifted."""
    before = bytes([0x02, 0, 0x04, 0, 0, 0, 0, 0])   # Shift + a
    after = bytes([0x00, 0, 0x05, 0, 0, 0, 0, 0])    # b alone
    events = [(ev.code, ev.value) for ev in report_events(before, after, 1.0)]
    assert events == [(e.KEY_A, 0), (e.KEY_LEFTSHIFT, 0), (e.KEY_B, 1)]


def test_boot_keyboard_reports_with_a_report_id_byte_and_rollover() -> None:
    decoder = BootKeyboardDecoder(KeyDecoder())
    reports = ["01 02 00 0b 00 00 00 00 00", "01 00 00 00 00 00 00 00 00",
               "00 00 01 01 01 01 01 01",     # ErrorRollOver: says nothing about keys
               "00 00 0c 00 00 00 00 00", "00 00 00 00 00 00 00 00",
               "00 00 28 00 00 00 00 00", "00 00 00 00 00 00 00 00"]
    out = []
    for i, text in enumerate(reports):
        out += decoder.feed(Chunk(1 + i * 0.004, bytes.fromhex(text)))
    assert [d.payload for d in out] == [b"Hi"]
    assert decoder.ignored == 1


def test_two_hid_keyboards_keep_their_own_shift() -> None:
    a, b = BootKeyboardDecoder(KeyDecoder()), BootKeyboardDecoder(KeyDecoder())
    a.feed(Chunk(1.0, bytes.fromhex("0200000000000000")))  # a: Shift down
    out_b = b.feed(Chunk(1.001, bytes.fromhex("0000040000000000")))
    out_b += b.feed(Chunk(1.002, bytes.fromhex("0000280000000000")))
    assert [d.payload for d in out_b] == [b"a"]


def reports_of(payload: bytes, room: int = 56) -> list[bytes]:
    """One scan as a HID POS scanner sends it: ``room`` bytes a report, "more" on all but
    the last."""
    parts = [payload[i:i + room] for i in range(0, len(payload), room)] or [b""]
    return [pos_report(part, more=i < len(parts) - 1) for i, part in enumerate(parts)]


def test_pos_reports_read_late_by_a_held_up_reader_are_still_one_scan() -> None:
    """The reading thread can be held up past ``idle_gap_ms`` (a busy 2-core kiosk) while a
    long code's reports wait in the hidraw queue; it then reads them late, back to back. A
    report's time is when the read returned, not when it arrived, so that lateness is the
    reader's, not a quiet scanner: the "more follows" flag, not the late read, says where the
    code ends — else one CCCD becomes a truncated head and a tail, both recorded."""
    raw = CCCD.encode("utf-8")
    first, *rest = reports_of(raw)
    decoder = PosDecoder(idle_gap_ms=100)
    out = decoder.feed(Chunk(1.0, first))
    for i, report in enumerate(rest):  # read 0.5 s later, all at once
        out += decoder.feed(Chunk(1.5 + i * 0.0001, report))
    assert [(d.payload, d.ended_by, d.flags) for d in out] == [(raw, "report", frozenset())]


def test_a_quiet_line_the_reader_saw_still_ends_a_pos_scan_whose_last_report_never_came(
) -> None:
    """The other half of the rule: an Idle tick (a read that found nothing) is a quiet
    scanner seen, and after idle_gap_ms it ends the scan whose last report was lost, flagged
    incomplete, so it does not glue onto the next scan; the next scan, read however late, is
    whole."""
    decoder = PosDecoder(idle_gap_ms=100)
    out = decoder.feed(Chunk(1.0, pos_report(b"0123456789", more=True)))
    out += decoder.idle(1.2)
    first, *rest = reports_of(CCCD.encode())
    out += decoder.feed(Chunk(5.0, first))
    out += [d for report in rest for d in decoder.feed(Chunk(9.0, report))]
    assert [(d.payload, d.ended_by, "incomplete" in d.flags) for d in out] == [
        (b"0123456789", "gap", True), (CCCD.encode(), "report", False)]
