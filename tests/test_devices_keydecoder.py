"""Keyboard-mode scanners: key events → text, for the kinds of scanner found in the field.

The capture streams in tests/data/captures/ are synthesized, not recorded: generate.py there
writes them from what such scanners are documented to send, with key tables of its own (so a
mistake in kiosk/devices/keymaps.py is not repeated in the expectation). The short
hand-written sequences below pin one behaviour each.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from evdev import ecodes as e
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.captures import load_capture
from kiosk.devices.keydecoder import KeyDecoder
from kiosk.devices.keymaps import LAYOUTS, layout
from kiosk.devices.stream import Decoded, InputEvent, pump, split_aim
from kiosk.payloads import Identity, decode
from tests.devices_support import Keys, typing_table

CAPTURES = Path(__file__).parent / "data" / "captures"
EXPECTED = json.loads((CAPTURES / "expected.json").read_text(encoding="utf-8"))


def texts(decoder: KeyDecoder, events: list[InputEvent]) -> list[str]:
    out: list[Decoded] = []
    for event in events:
        out += decoder.feed(event)
    out += decoder.finish()
    return [d.payload.decode("utf-8") for d in out]


def decode_capture(name: str) -> list[Decoded]:
    capture = load_capture(CAPTURES / name)
    decoder = capture.decoder()
    found: list[Decoded] = []
    pump(capture.items, decoder, found.append, threading.Event())
    return found


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.endswith(".evdev.log")))
def test_synthesized_key_streams_decode_to_the_scanned_text(name: str) -> None:
    """Every keyboard-mode capture gives back exactly the payloads it was generated from."""
    found = decode_capture(name)
    assert [d.payload.decode("utf-8") for d in found] == EXPECTED[name]


def test_cp1258_alt_codes_carry_vietnamese_and_decode_as_a_cccd() -> None:
    """Alt+0nnn in cp1258 (base letter + tone mark) comes out as composed Vietnamese text."""
    [scan] = decode_capture("datalogic-cp1258-altcodes-cccd.evdev.log")
    identity = decode(scan.payload)
    assert isinstance(identity, Identity) and identity.kind == "cccd"
    assert identity.name == "Nguyễn Văn An"
    assert {"alt_codes", "keypad_digits"} <= scan.flags
    assert scan.ended_by == "terminator"


def test_cp1252_keyboard_mode_loses_vietnamese_letters_visibly() -> None:
    """What cp1252 cannot carry arrives as '?', and the scan says it used Alt codes."""
    first, second = decode_capture("datalogic-cp1252-lossy-cccd.evdev.log")
    assert "Nguy?n" in first.payload.decode()
    assert "alt_codes" in first.flags
    assert second.payload == "44é".encode()


def test_alt_keypad_without_leading_zero_is_the_oem_code_page() -> None:
    """The Gryphon capture in the field notes: NumLock, Alt↓ KP0 KP5 KP2 Alt↑ = '4'."""
    keys = Keys().tap(e.KEY_NUMLOCK).ev(e.KEY_LEFTALT, 1)
    for digit in (e.KEY_KP0, e.KEY_KP5, e.KEY_KP2):
        keys.tap(digit)
    keys.ev(e.KEY_LEFTALT, 0)
    keys.ev(e.KEY_LEFTALT, 1).tap(e.KEY_KP1).tap(e.KEY_KP5).tap(e.KEY_KP6).ev(e.KEY_LEFTALT, 0)
    keys.tap(e.KEY_ENTER)
    assert texts(KeyDecoder(), keys.events) == ["4£"]  # cp437 156 = £


def test_ansi_code_page_is_chosen_per_device() -> None:
    """Alt+0222 is Þ in cp1252 but a combining tilde in cp1258 (ê + ̃ = ễ)."""
    keys = Keys()
    for digits in ("0234", "0222"):
        keys.ev(e.KEY_LEFTALT, 1)
        for d in digits:
            keys.tap(getattr(e, f"KEY_KP{d}"))
        keys.ev(e.KEY_LEFTALT, 0)
    keys.tap(e.KEY_ENTER)
    assert texts(KeyDecoder(ansi_codepage="cp1252"), keys.events) == ["êÞ"]
    assert texts(KeyDecoder(ansi_codepage="cp1258"), keys.events) == ["ễ"]


def test_alt_codes_above_255_with_leading_zero_are_unicode_code_points() -> None:
    keys = Keys().ev(e.KEY_LEFTALT, 1)
    for d in "07877":  # U+1EC5 ễ
        keys.tap(getattr(e, f"KEY_KP{d}"))
    keys.ev(e.KEY_LEFTALT, 0).tap(e.KEY_ENTER)
    assert texts(KeyDecoder(), keys.events) == ["ễ"]


def test_shift_and_keypad_digits_and_shifted_symbols() -> None:
    keys = Keys().tap(e.KEY_H, e.KEY_LEFTSHIFT).tap(e.KEY_KP4).tap(e.KEY_KP2)
    keys.tap(e.KEY_1, e.KEY_RIGHTSHIFT).tap(e.KEY_BACKSLASH, e.KEY_LEFTSHIFT).tap(e.KEY_KPDOT)
    keys.tap(e.KEY_SEMICOLON, e.KEY_LEFTSHIFT).tap(e.KEY_ENTER)
    assert texts(KeyDecoder("us"), keys.events) == ["H42!|.:"]


def test_key_repeat_events_are_ignored() -> None:
    keys = Keys().ev(e.KEY_A, 1).ev(e.KEY_A, 2).ev(e.KEY_A, 2).ev(e.KEY_A, 0).tap(e.KEY_B)
    keys.tap(e.KEY_ENTER)
    decoder = KeyDecoder()
    found = [d for ev in keys.events for d in decoder.feed(ev)]
    assert [d.payload for d in found] == [b"ab"]
    assert "repeat" in found[0].flags


def test_capslock_inverts_letters_only_and_shift_undoes_it() -> None:
    keys = Keys().tap(e.KEY_CAPSLOCK).tap(e.KEY_A).tap(e.KEY_B, e.KEY_LEFTSHIFT).tap(e.KEY_1)
    keys.tap(e.KEY_ENTER)
    assert texts(KeyDecoder(), keys.events) == ["Ab1"]


def test_capslock_state_follows_the_led_the_kernel_reports() -> None:
    keys = Keys().ev(e.LED_CAPSL, 1, e.EV_LED).tap(e.KEY_Q).tap(e.KEY_ENTER)
    assert texts(KeyDecoder(), keys.events) == ["Q"]


def test_ctrl_letters_become_control_characters() -> None:
    """GS1 group separator is Ctrl+]; Ctrl+letter is the letter's control code."""
    keys = Keys().tap(e.KEY_0).tap(e.KEY_RIGHTBRACE, e.KEY_LEFTCTRL).tap(e.KEY_D, e.KEY_RIGHTCTRL)
    keys.tap(e.KEY_ENTER)
    assert texts(KeyDecoder(), keys.events) == ["0\x1d\x04"]


def test_tab_terminator_keeps_enter_inside_the_payload() -> None:
    keys = Keys().tap(e.KEY_A).tap(e.KEY_ENTER).tap(e.KEY_B).tap(e.KEY_TAB).tap(e.KEY_C)
    keys.tap(e.KEY_TAB)
    assert texts(KeyDecoder(terminator="tab"), keys.events) == ["a\rb", "c"]


def test_inter_key_gap_ends_a_scan_even_with_a_terminator_configured() -> None:
    """A scan cut off (no Enter) is still delivered, marked as ended by the gap."""
    keys = Keys().tap(e.KEY_A).tap(e.KEY_B).pause(0.5).tap(e.KEY_C).tap(e.KEY_ENTER)
    decoder = KeyDecoder(idle_gap_ms=100)
    found = [d for ev in keys.events for d in decoder.feed(ev)]
    assert [(d.payload, d.ended_by) for d in found] == [(b"ab", "gap"), (b"c", "terminator")]


def test_idle_tick_ends_a_terminatorless_scan_without_waiting_for_the_next_key() -> None:
    keys = Keys().tap(e.KEY_X).tap(e.KEY_Y)
    decoder = KeyDecoder(terminator="none", idle_gap_ms=50)
    assert [d for ev in keys.events for d in decoder.feed(ev)] == []
    assert decoder.idle(keys.t + 0.01) == []
    [scan] = decoder.idle(keys.t + 0.2)
    assert scan.payload == b"xy" and scan.ended_by == "gap"


def test_hex_mode_restores_exact_bytes() -> None:
    """Hex digits (spaces allowed) → the bytes, e.g. UTF-8 a keyboard could not type."""
    keys = Keys()
    for char in "C3 A9 0A":
        code = e.KEY_SPACE if char == " " else getattr(e, f"KEY_{char}")
        keys.tap(code, *(() if char.isdigit() or char == " " else (e.KEY_LEFTSHIFT,)))
    keys.tap(e.KEY_ENTER)
    decoder = KeyDecoder(hex_mode=True)
    [scan] = [d for ev in keys.events for d in decoder.feed(ev)]
    assert scan.payload == "é\n".encode() and "hex" in scan.flags


def test_hex_mode_on_non_hex_input_keeps_the_text_and_says_so() -> None:
    keys = Keys().tap(e.KEY_Z).tap(e.KEY_ENTER)
    decoder = KeyDecoder(hex_mode=True)
    [scan] = [d for ev in keys.events for d in decoder.feed(ev)]
    assert scan.payload == b"z" and "bad_hex" in scan.flags


def test_two_scanners_never_share_modifier_state() -> None:
    """Scanner A holds Shift while scanner B types: B's letters stay lower case."""
    a, b = KeyDecoder(), KeyDecoder()
    t = 10.0
    stream = [("a", e.KEY_LEFTSHIFT, 1), ("b", e.KEY_Q, 1), ("b", e.KEY_Q, 0),
              ("a", e.KEY_W, 1), ("a", e.KEY_W, 0), ("b", e.KEY_LEFTALT, 1),
              ("a", e.KEY_E, 1), ("a", e.KEY_E, 0), ("a", e.KEY_LEFTSHIFT, 0),
              ("b", e.KEY_LEFTALT, 0), ("b", e.KEY_R, 1), ("b", e.KEY_R, 0),
              ("a", e.KEY_ENTER, 1), ("b", e.KEY_ENTER, 1)]
    out: dict[str, list[bytes]] = {"a": [], "b": []}
    for who, code, value in stream:
        t += 0.002
        decoder = a if who == "a" else b
        out[who] += [d.payload for d in decoder.feed(InputEvent.at(t, e.EV_KEY, code, value))]
    assert out == {"a": [b"WE"], "b": [b"qr"]}


def test_syn_dropped_is_flagged_and_forgets_held_modifiers() -> None:
    keys = Keys().ev(e.KEY_LEFTSHIFT, 1).tap(e.KEY_A).ev(e.SYN_DROPPED, 0, e.EV_SYN)
    keys.tap(e.KEY_B).tap(e.KEY_ENTER)
    decoder = KeyDecoder()
    [scan] = [d for ev in keys.events for d in decoder.feed(ev)]
    assert scan.payload == b"Ab" and "events_dropped" in scan.flags


def test_unknown_keys_type_nothing_but_are_noted() -> None:
    keys = Keys().tap(e.KEY_F5).tap(e.KEY_A).tap(e.KEY_ENTER)
    decoder = KeyDecoder()
    [scan] = [d for ev in keys.events for d in decoder.feed(ev)]
    assert scan.payload == b"a" and "unmapped_keys" in scan.flags


def test_layout_aliases_and_unknown_layouts() -> None:
    assert layout("fr-azerty") is LAYOUTS["fr"] and layout("de-qwertz") is LAYOUTS["de"]
    with pytest.raises(ValueError, match="unknown keyboard layout"):
        layout("dvorak")


def test_german_keypad_decimal_is_a_comma() -> None:
    keys = Keys().tap(e.KEY_KP1).tap(e.KEY_KPDOT).tap(e.KEY_KP5).tap(e.KEY_KPENTER)
    assert texts(KeyDecoder("de"), keys.events) == ["1,5"]


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@given(data=st.data())
def test_any_text_typed_on_a_layout_reads_back_with_that_layout(name: str, data: st.DataObject
                                                                ) -> None:
    """Property: whatever a layout can type (every level, every key) decodes back to itself
    (an AIM id it starts with, "]A0", as the scan's symbology; an AIM id alone is no scan,
    as on serial)."""
    table = typing_table(name)
    text = data.draw(st.text(alphabet=sorted(table), min_size=1, max_size=40))
    keys = Keys()
    for char in text:
        code, shift, altgr = table[char]
        mods = ((e.KEY_LEFTSHIFT,) if shift else ()) + ((e.KEY_RIGHTALT,) if altgr else ())
        keys.tap(code, *mods)
    keys.tap(e.KEY_ENTER)
    decoder = KeyDecoder(name)
    scans = [d for event in keys.events for d in decoder.feed(event)] + decoder.finish()
    whole = [] if split_aim(text.encode())[1] == b"" else [text]
    assert [d.symbology + d.payload.decode("utf-8") for d in scans] == whole
