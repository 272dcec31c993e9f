"""Pure framing of codes cut off part-way: a frame that did not end with its configured
terminator (CR/LF, Enter, HID POS's last report) is marked ``cut``; one whose tail is a part
of a line-ending terminator is whole; a short stall is joined (``stream.CUT_WAIT``)."""

from __future__ import annotations

import pytest
from evdev import ecodes as e

from kiosk.devices.hidreport import PosDecoder
from kiosk.devices.keydecoder import KeyDecoder
from kiosk.devices.serial_framer import SerialFramer
from kiosk.devices.stream import CUT_WAIT, Chunk, Decoded, to_scan
from tests.devices_support import Keys

CODE = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021".encode()


def cuts(out: list[Decoded]) -> list[tuple[bytes, str, str]]:
    return [(d.payload, d.ended_by, d.cut) for d in out]


class TestSerial:
    def test_the_device_going_away_mid_code_is_a_cut_frame(self) -> None:
        framer = SerialFramer(terminator=b"\r\n")
        out = framer.feed(Chunk(1.0, CODE[:30]))
        assert cuts(out + framer.finish()) == [(CODE[:30], "end", "end")]

    def test_a_stall_shorter_than_the_wait_is_joined(self) -> None:
        framer = SerialFramer(terminator=b"\r\n", idle_gap_ms=80)
        out = framer.feed(Chunk(1.0, CODE[:40]))
        out += framer.idle(1.0 + CUT_WAIT - 0.05)  # 0.4 s quiet: more than idle_gap_ms
        out += framer.feed(Chunk(1.3, CODE[40:] + b"\r\n"))
        assert cuts(out) == [(CODE, "terminator", "")]

    def test_a_stall_past_the_wait_cuts_the_head_and_its_tail(self) -> None:
        framer = SerialFramer(terminator=b"\r\n", idle_gap_ms=80)
        out = framer.feed(Chunk(1.0, CODE[:40]))
        out += framer.idle(1.0 + CUT_WAIT + 0.02)
        out += framer.feed(Chunk(1.0 + CUT_WAIT + 0.1, CODE[40:] + b"\r\n"))
        assert cuts(out) == [(CODE[:40], "gap", "gap"), (CODE[40:], "terminator", "tail")]
        out = framer.feed(Chunk(5.0, b"8938505974194\r\n"))  # later: a new scan, whole
        assert cuts(out) == [(b"8938505974194", "terminator", "")]

    @pytest.mark.parametrize("terminator", [b"\r\n", b"\r", b"\n"])
    @pytest.mark.parametrize("ending", [b"\r", b"\n", b"\r\n"])
    def test_a_line_ending_part_of_the_terminator_is_whole_after_the_idle_gap(
            self, terminator: bytes, ending: bytes) -> None:
        framer = SerialFramer(terminator=terminator, idle_gap_ms=80)
        out = framer.feed(Chunk(1.0, b"8938505974194" + ending))
        out += framer.idle(1.1)
        out += framer.finish()
        assert [(d.payload, d.cut) for d in out] == [(b"8938505974194", "")]

    def test_part_of_a_custom_terminator_is_whole_none_of_it_is_cut(self) -> None:
        framer = SerialFramer(terminator=b"\x03\r\n", idle_gap_ms=80)
        out = framer.feed(Chunk(1.0, b"ABC\x03"))
        out += framer.idle(1.1)
        out += framer.feed(Chunk(2.0, b"DEF"))
        out += framer.idle(3.0)
        assert cuts(out) == [(b"ABC", "gap", ""), (b"DEF", "gap", "gap")]

    def test_without_a_terminator_the_gap_is_the_frame_end_and_nothing_is_cut(self) -> None:
        framer = SerialFramer(terminator=b"", idle_gap_ms=80)
        out = framer.feed(Chunk(1.0, b"first"))
        out += framer.idle(1.1)
        out += framer.feed(Chunk(1.2, b"second"))
        assert cuts(out + framer.finish()) == [(b"first", "gap", ""), (b"second", "end", "")]


def test_to_scan_carries_the_cut() -> None:
    framer = SerialFramer()
    framer.feed(Chunk(1.0, b"half"))
    [decoded] = framer.finish()
    assert to_scan(decoded, "d", "in", "serial").cut == "end"


class TestKeys:
    def test_no_enter_before_the_device_goes_away_is_cut(self) -> None:
        keys = Keys().tap(e.KEY_A).tap(e.KEY_B)
        decoder = KeyDecoder()
        out = [d for ev in keys.events for d in decoder.feed(ev)] + decoder.finish()
        assert cuts(out) == [(b"ab", "end", "end")]

    def test_a_short_stall_is_joined_a_long_one_cuts_head_and_tail(self) -> None:
        keys = Keys().tap(e.KEY_A).pause(0.3).tap(e.KEY_B).tap(e.KEY_ENTER)
        keys.tap(e.KEY_C).pause(0.6).tap(e.KEY_D).tap(e.KEY_ENTER)
        keys.pause(3).tap(e.KEY_E).tap(e.KEY_ENTER)
        decoder = KeyDecoder(idle_gap_ms=100)
        out = [d for ev in keys.events for d in decoder.feed(ev)]
        assert cuts(out) == [(b"ab", "terminator", ""), (b"c", "gap", "gap"),
                             (b"d", "terminator", "tail"), (b"e", "terminator", "")]

    def test_the_rest_of_a_stalled_code_beginning_with_shift_is_a_tail_too(self) -> None:
        """Most of a CCCD's rest begins with a capital or a `|` (Shift first): a modifier
        opening the next scan decides that it is the stalled code's rest as any key does;
        its next key, with nothing typed yet, must not decide again (it made the rest a
        whole scan, recorded as "other")."""
        keys = Keys().tap(e.KEY_C).pause(0.6).tap(e.KEY_D, e.KEY_LEFTSHIFT).tap(e.KEY_ENTER)
        decoder = KeyDecoder(idle_gap_ms=100)
        out = [d for ev in keys.events for d in decoder.feed(ev)]
        assert cuts(out) == [(b"c", "gap", "gap"), (b"D", "terminator", "tail")]

    def test_terminator_none_ends_on_the_gap_whole(self) -> None:
        keys = Keys().tap(e.KEY_X).tap(e.KEY_Y)
        decoder = KeyDecoder(terminator="none", idle_gap_ms=50)
        assert [d for ev in keys.events for d in decoder.feed(ev)] == []
        assert cuts(decoder.idle(keys.t + 0.2)) == [(b"xy", "gap", "")]


def test_a_hid_pos_scan_whose_last_report_never_came_is_cut() -> None:
    report = bytes([2, 4]) + b"]Q1" + b"ABCD".ljust(56, b"\0") + bytes([0, 0, 1])
    decoder = PosDecoder(idle_gap_ms=100)
    assert decoder.feed(Chunk(1.0, report)) == []
    assert cuts(decoder.idle(1.2)) == [(b"ABCD", "gap", "gap")]
    decoder.feed(Chunk(2.0, report))
    assert cuts(decoder.finish()) == [(b"ABCD", "end", "end")]


def test_the_watch_shows_a_scanner_sending_no_terminator_refused_naming_the_setting() -> None:
    """`kiosk devices watch` at install: each scan of a scanner sending no terminator to the
    default CRLF reads as the pipeline would answer it — refused, cut, naming the setting —
    and the advice says to set terminator = "none" or the scanner's suffix."""
    from kiosk.config import validate_device
    from kiosk.devices.diagnostics import diagnostics_for
    from kiosk.devices.stream import Idle

    diag = diagnostics_for(validate_device(0, {"id": "s", "type": "serial",
                                               "port": "/dev/ttyACM0"}))
    lines = diag.observe(Chunk(1.0, b"8938505974194"))
    lines += diag.idle(Idle(2.0).t)
    lines += diag.observe(Chunk(3.0, b"8938505974195\r"))
    lines += diag.idle(Idle(3.2).t) + diag.finish()
    text = "\n".join(lines)
    assert "ended by gap" in text
    assert 'refused/từ chối: code_cut (máy quét ngừng gửi trước ký tự kết thúc' in text
    assert ' / the scanner stopped before the configured terminator' in text
    assert text.count("code_cut") == 1  # the CR-only scan after it is whole
    assert any('set terminator = "none"' in advice for advice in diag.suggestions("en"))
