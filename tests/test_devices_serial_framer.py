"""Serial framing as pure logic: terminators, idle gap, affixes, AIM id, BOM, encodings."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.captures import load_capture
from kiosk.devices.serial_framer import SerialFramer, check_encoding, clean_frame, parse_bytes
from kiosk.devices.stream import Chunk, Decoded, pump

CAPTURES = Path(__file__).parent / "data" / "captures"
EXPECTED = json.loads((CAPTURES / "expected.json").read_text(encoding="utf-8"))
CCCD = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"


def feed_all(framer: SerialFramer, chunks: list[bytes], step: float = 0.001) -> list[Decoded]:
    out: list[Decoded] = []
    for i, data in enumerate(chunks):
        out += framer.feed(Chunk(i * step, data))
    return out + framer.finish()


def test_recorded_serial_capture_split_in_usb_packets() -> None:
    capture = load_capture(CAPTURES / "zebra-serial-cccd.serial.log")
    found: list[Decoded] = []
    pump(capture.items, capture.decoder(), found.append,
         threading.Event())
    assert [d.payload.decode() for d in found] == EXPECTED["zebra-serial-cccd.serial.log"]
    assert [d.symbology for d in found] == ["]Q1", "]Q1"]
    assert "fallback:cp1258" in found[1].flags and "fallback:cp1258" not in found[0].flags


@pytest.mark.parametrize(("name", "terminator"), [("CR", b"\r"), ("LF", b"\n"),
                                                  ("CRLF", b"\r\n"), ("\\x03", b"\x03"),
                                                  ("\x04", b"\x04"), ("none", b"")])
def test_terminator_names_and_escapes(name: str, terminator: bytes) -> None:
    assert parse_bytes(name) == terminator


@pytest.mark.parametrize("terminator", [b"\r", b"\n", b"\r\n", b"\x03"])
def test_each_terminator_splits_back_to_back_scans_in_one_read(terminator: bytes) -> None:
    framer = SerialFramer(terminator=terminator)
    out = feed_all(framer, [b"AAA" + terminator + b"BBB" + terminator + b"CC", b"C" + terminator])
    assert [d.payload for d in out] == [b"AAA", b"BBB", b"CCC"]
    assert all(d.ended_by == "terminator" for d in out)


def test_crlf_split_across_reads() -> None:
    out = feed_all(SerialFramer(terminator=b"\r\n"), [b"12345\r", b"\n67", b"89\r\n"])
    assert [d.payload for d in out] == [b"12345", b"6789"]


def test_cr_configured_but_scanner_sends_crlf_drops_the_stray_lf() -> None:
    out = feed_all(SerialFramer(terminator=b"\r"), [b"ONE\r\nTWO\r\n"])
    assert [d.payload for d in out] == [b"ONE", b"TWO"]


def test_crlf_framing_keeps_a_bare_lf_inside_the_payload() -> None:
    out = feed_all(SerialFramer(terminator=b"\r\n"), [b"line1\nline2\r\n"])
    assert [d.payload for d in out] == [b"line1\nline2"]


def test_idle_gap_ends_a_scan_without_terminator() -> None:
    framer = SerialFramer(terminator=b"", idle_gap_ms=80)
    assert framer.feed(Chunk(1.0, b"8938505")) == []
    assert framer.feed(Chunk(1.02, b"974194")) == []
    assert framer.idle(1.05) == []
    [scan] = framer.idle(1.2)
    assert scan.payload == b"8938505974194" and scan.ended_by == "gap"
    assert scan.max_gap == pytest.approx(0.02)


def test_gap_before_new_bytes_separates_two_terminatorless_scans() -> None:
    framer = SerialFramer(terminator=b"", idle_gap_ms=80)
    out = framer.feed(Chunk(1.0, b"first"))
    out += framer.feed(Chunk(1.5, b"second"))
    out += framer.finish()
    assert [(d.payload, d.ended_by) for d in out] == [(b"first", "gap"), (b"second", "end")]


def test_gap_also_ends_a_scan_whose_terminator_never_came() -> None:
    framer = SerialFramer(terminator=b"\r\n", idle_gap_ms=80)
    framer.feed(Chunk(1.0, b"partial"))
    [scan] = framer.idle(2.0)
    assert (scan.payload, scan.ended_by) == (b"partial", "gap")


def test_prefix_aim_bom_suffix_are_removed_in_order_and_aim_is_recorded() -> None:
    frame = b"STX>" + b"]Q1" + b"\xef\xbb\xbf" + CCCD.encode() + b"<END"
    payload, symbology, flags = clean_frame(frame, b"STX>", b"<END", strip_aim=True)
    assert payload == CCCD.encode()
    assert symbology == "]Q1"
    assert {"prefix", "suffix", "bom"} <= flags


def test_aim_is_kept_when_stripping_is_off_and_only_a_real_aim_shape_is_stripped() -> None:
    assert clean_frame(b"]Q3abc", strip_aim=False)[:2] == (b"]Q3abc", "")
    assert clean_frame(b"]d2010950", strip_aim=True)[:2] == (b"010950", "]d2")
    assert clean_frame(b"]!1abc", strip_aim=True)[:2] == (b"]!1abc", "")


def test_non_utf8_payload_read_with_the_fallback_and_stored_as_utf8() -> None:
    cp1258 = b"Tr" + "â".encode("cp1258") + "\u0300".encode("cp1258") + b"n"
    payload, _, flags = clean_frame(cp1258, fallback="cp1258")
    assert payload.decode("utf-8") == "Trần"
    assert "fallback:cp1258" in flags


def test_fallback_none_keeps_the_bytes_untouched() -> None:
    payload, _, flags = clean_frame(b"\xff\xfeabc", fallback="none")
    assert payload == b"\xff\xfeabc" and "not_utf8" in flags


def test_unknown_fallback_encoding_is_refused_with_a_readable_reason() -> None:
    with pytest.raises(ValueError, match="unknown encoding 'klingon'"):
        check_encoding("klingon")


def test_endless_bytes_without_terminator_are_cut_at_the_largest_qr_size() -> None:
    framer = SerialFramer(terminator=b"\r\n", idle_gap_ms=0)
    out = framer.feed(Chunk(1.0, b"x" * 30_000))
    assert len(out) == 1 and out[0].ended_by == "overflow"


@given(payloads=st.lists(st.text(min_size=1, max_size=60).filter(
    lambda s: "\r" not in s and "\n" not in s and not s.startswith("\ufeff")),
    min_size=1, max_size=8),
       cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=10))
def test_any_split_of_the_stream_gives_the_same_scans(payloads: list[str], cuts: list[int]
                                                      ) -> None:
    """Property: however reads split the bytes, the scans are exactly the payloads sent."""
    stream = b"".join(p.encode() + b"\r\n" for p in payloads)
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    chunks = [stream[a:b] for a, b in itertools.pairwise(points)]
    out = feed_all(SerialFramer(terminator=b"\r\n", idle_gap_ms=0, strip_aim=False), chunks)
    assert [d.payload for d in out] == [p.encode() for p in payloads]


@given(payloads=st.lists(st.text(min_size=1, max_size=60).filter(
    lambda s: "\r" not in s and "\n" not in s and not s.startswith("\ufeff")),
    min_size=1, max_size=8),
       cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=10),
       delays=st.lists(st.floats(min_value=0, max_value=2), min_size=10, max_size=10))
def test_reads_returning_late_never_split_a_terminated_scan(payloads: list[str],
                                                            cuts: list[int],
                                                            delays: list[float]) -> None:
    """Property: with a terminator, a read that returns long after the last (the reader held
    up while the bytes waited in the port) is not a quiet line: the scans are exactly the
    payloads sent, with the default 80 ms gap, however late each read comes back."""
    stream = b"".join(p.encode() + b"\r\n" for p in payloads)
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    framer = SerialFramer(terminator=b"\r\n", strip_aim=False)
    out: list[Decoded] = []
    t = 1.0
    for (a, b), delay in zip(itertools.pairwise(points), delays * 2, strict=False):
        t += delay
        out += framer.feed(Chunk(t, stream[a:b]))
    assert [d.payload for d in out + framer.finish()] == [p.encode() for p in payloads]
    assert all(d.ended_by == "terminator" for d in out)


def test_a_quiet_line_the_reader_saw_still_ends_a_scan_whose_terminator_never_came() -> None:
    """The other half of the rule: an Idle tick (a read that came back empty) is a quiet line
    seen, and after the wait for a terminator (stream.CUT_WAIT; idle_gap_ms when its tail is
    part of the terminator) it ends the unterminated bytes, marked cut, so they do not glue
    onto the next scan; the next scan, read however late, is whole."""
    framer = SerialFramer(terminator=b"\r\n", idle_gap_ms=80)
    out = framer.feed(Chunk(1.0, b"noise"))
    out += framer.idle(1.1)
    assert out == []  # 100 ms: a stall the terminator may still end
    out += framer.idle(1.8)
    out += framer.feed(Chunk(5.0, b"]Q1SO-2024"))
    out += framer.feed(Chunk(9.0, b"-001\r\n"))
    assert [(d.payload, d.ended_by, d.cut) for d in out] == [
        (b"noise", "gap", "gap"), (b"SO-2024-001", "terminator", "")]
