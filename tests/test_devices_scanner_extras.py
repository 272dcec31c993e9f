"""What scanners add around a code, on every path: an AIM symbology id before it (keyboard
mode as serial), and control bytes after its terminator (an LF after Enter, NUL padding
after CRLF) — the code is read, and the extra bytes are neither a code nor a "cut off"
refusal after every good scan. A real cut still is one."""

from __future__ import annotations

from evdev import ecodes as e

from kiosk.config import validate_device
from kiosk.devices.diagnostics import diagnostics_for
from kiosk.devices.hidreport import BootKeyboardDecoder
from kiosk.devices.keydecoder import KeyDecoder
from kiosk.devices.serial_framer import SerialFramer
from kiosk.devices.stream import Chunk, Decoded, InputEvent
from kiosk.devices.wedge import WedgeDetector
from kiosk.payloads import Identity, decode
from tests.devices_support import Keys, typed

CCCD = "045187002233|212345678|Lien|09091987|Nam|EaKar|15032022"  # no blanks: typed()
PCCOVID = "******654321|LIEN|1987-**-**|0|162979388586172200|"


def keyed(events: list[InputEvent], decoder: KeyDecoder | None = None) -> list[Decoded]:
    decoder = decoder or KeyDecoder()
    out = [d for event in events for d in decoder.feed(event)]
    out += decoder.idle(events[-1].t + 2.0)
    return out + decoder.finish()


def test_an_aim_id_typed_by_a_keyboard_mode_scanner_is_the_symbology_not_the_id() -> None:
    [scan] = keyed(typed("]Q1" + CCCD).events)
    assert (scan.symbology, scan.payload) == ("]Q1", CCCD.encode())
    identity = decode(scan.payload)
    assert isinstance(identity, Identity) and identity.document_number == "045187002233"


def test_the_wedge_path_takes_the_aim_id_off_as_well() -> None:
    wedge = WedgeDetector()
    out = [d for n, key in enumerate(["]", "E", "0", *"12345678", "Enter"])
           for d in wedge.feed(key, 1.0 + n * 0.005)]
    assert [(d.symbology, d.payload) for d in out] == [("]E0", b"12345678")]


def test_the_watch_shows_the_symbology_of_a_keyboard_scan_and_reads_the_code() -> None:
    diag = diagnostics_for(validate_device(0, {"id": "k", "type": "evdev", "path": "/dev/x"}))
    lines = [line for event in typed("]Q1" + PCCOVID).events for line in diag.observe(event)]
    lines += diag.finish()
    assert any("symbology ]Q1" in line for line in lines)
    assert any(line.strip().startswith("→ pccovid") for line in lines)


def with_ctrl_j(keys: Keys) -> Keys:
    """A CR+LF suffix in keyboard mode: Enter (already typed), then Ctrl+J."""
    return keys.tap(e.KEY_J, e.KEY_LEFTCTRL)


def test_a_keyboard_scanners_lf_after_enter_is_dropped_not_refused_as_cut() -> None:
    keys = with_ctrl_j(typed(PCCOVID)).pause(1.0)
    keys = with_ctrl_j(typed(CCCD, keys))
    scans = keyed(keys.events)
    assert [(s.payload, s.cut) for s in scans] == [(PCCOVID.encode(), ""), (CCCD.encode(), "")]
    boot = keyed(keys.events, BootKeyboardDecoder(KeyDecoder()).keys)
    assert [s.cut for s in boot] == ["", ""]


def test_the_watch_gives_no_terminator_advice_for_an_lf_after_enter() -> None:
    diag = diagnostics_for(validate_device(0, {"id": "k", "type": "evdev", "path": "/dev/x"}))
    events = with_ctrl_j(typed(PCCOVID)).pause(1.0).events
    for event in events:
        diag.observe(event)
    diag.idle(events[-1].t + 2.0)
    diag.finish()
    assert [s.payload for s in diag.scans] == [PCCOVID.encode()]
    assert not any("terminator" in s for s in diag.suggestions("en"))


def test_a_keyboard_scan_without_its_enter_is_still_cut() -> None:
    keys = typed(CCCD)
    scans = keyed(keys.events[:-2])  # Enter never came
    assert [s.cut for s in scans] == ["gap"]


def serial_scans(chunks: list[tuple[float, bytes]]) -> tuple[list[Decoded], SerialFramer]:
    framer = SerialFramer(b"\r\n")
    out: list[Decoded] = []
    for t, data in chunks:
        out += framer.idle(t - 0.001) + framer.feed(Chunk(t, data))
    out += framer.idle(chunks[-1][0] + 2.0)
    return out + framer.finish(), framer


def test_nul_padding_after_a_serial_scanners_crlf_is_dropped_not_refused_as_cut() -> None:
    scans, _ = serial_scans([(1.0, CCCD.encode() + b"\r\n\0\0\0\0"),
                             (2.0, PCCOVID.encode() + b"\r\n\0\0")])
    assert [(s.payload, s.cut) for s in scans] == [(CCCD.encode(), ""), (PCCOVID.encode(), "")]


def test_a_serial_scanners_nul_padding_gets_no_terminator_advice() -> None:
    options = validate_device(0, {"id": "s", "type": "serial", "port": "/dev/ttyACM0"})
    diag = diagnostics_for(options)
    for n, code in enumerate((CCCD, PCCOVID)):
        diag.observe(Chunk(1.0 + n, code.encode() + b"\r\n\0\0\0"))
        diag.idle(1.5 + n)
    diag.finish()
    assert diag.suggestions("en") == []


def test_a_serial_head_after_a_terminator_is_still_cut() -> None:
    scans, _ = serial_scans([(1.0, CCCD.encode() + b"\r\n045187")])
    assert [s.cut for s in scans] == ["", "gap"]


def test_a_serial_code_split_by_a_slow_read_gets_no_advice_to_set_the_terminator_it_has(
        ) -> None:
    """Of three codes, one in two reads 60 ms apart (the line quiet between), each ending
    CRLF: the configured terminator is right — the watch says nothing of it (before, it
    said to set terminator = "CRLF", as it was; the gap advice speaks of the pause)."""
    options = validate_device(0, {"id": "s", "type": "serial", "port": "/dev/ttyACM0",
                                  "idle_gap_ms": 200})
    diag = diagnostics_for(options)
    for n, code in enumerate((CCCD, PCCOVID, CCCD)):
        data = code.encode() + b"\r\n"
        if n == 1:
            diag.observe(Chunk(1.0 + n, data[:30]))
            diag.idle(1.06 + n)
            data = data[30:]
        diag.observe(Chunk(1.061 + n, data))
        diag.idle(1.5 + n)
    diag.finish()
    assert [s.payload for s in diag.scans] == [CCCD.encode(), PCCOVID.encode(), CCCD.encode()]
    assert not any("terminator" in s for s in diag.suggestions("en"))
