"""`kiosk devices watch` names the code page a scanner gets wrong: UTF-8 read as Latin-1 or
cp1252 and re-sent (the scanner's QR code page), Alt codes typed in cp1258 on a kiosk set to
cp1252 (``ansi_codepage``), Ctrl+Shift+U Unicode entry; and says nothing of the kind when
the scanner is set right."""

from __future__ import annotations

import unicodedata
from typing import Any

from evdev import ecodes as e

from kiosk.config import validate_device
from kiosk.devices.diagnostics import Diagnostics, diagnostics_for
from kiosk.devices.stream import Chunk
from tests.devices_support import Keys, typing_table

CCCD = "037201009876|371234567|Đỗ Thị Ngọc Bích|23112001|Nữ|Xóm Đồng, Lương Sơn|01082021"
DIGIT_KEYS = {str(n): getattr(e, f"KEY_KP{n}") for n in range(10)}


def serial_watch(frames: list[bytes]) -> Diagnostics:
    options = validate_device(0, {"id": "s", "type": "serial", "port": "/dev/ttyACM0"})
    diag = diagnostics_for(options)
    for n, frame in enumerate(frames):
        diag.observe(Chunk(1.0 + n, frame))
        diag.idle(1.5 + n)
    diag.finish()
    return diag


def test_utf8_read_as_latin1_or_cp1252_and_re_sent_is_advised_as_the_scanners_code_page(
        ) -> None:
    for page in ("latin-1", "cp1252"):
        sent = CCCD.encode().decode(page, "replace").encode() + b"\r\n"
        advice = serial_watch([sent]).suggestions("en")
        assert any("encoded twice" in a and "QR code page / output to UTF-8" in a
                   for a in advice), page
        assert not any("No suggestions" in a for a in advice)


def test_a_scanner_sending_utf8_gets_no_code_page_advice() -> None:
    diag = serial_watch([CCCD.encode() + b"\r\n"])
    assert diag.suggestions("en") == []


def cp1258(text: str) -> bytes:
    """``text`` as a scanner set to Windows-1258 sends it: a base letter the page has, then
    the tone as a combining mark."""
    out = b""
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        for split in (char, unicodedata.normalize("NFC", parts[:2]) + parts[2:], parts):
            try:
                out += split.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
    return out


def ascii_typed(keys: Keys, text: str) -> Keys:
    table = typing_table("us") | {" ": (e.KEY_SPACE, False, False)}
    for char in text:
        code, shift, _ = table[char]
        keys.tap(code, *((e.KEY_LEFTSHIFT,) if shift else ()))
    return keys


def alt_typed(data: bytes) -> Keys:
    """A keyboard-mode scanner typing ``data``: ASCII as keys, other bytes as Alt+0nnn."""
    keys = Keys()
    for byte in data:
        if byte < 0x80:
            ascii_typed(keys, chr(byte))
            continue
        keys.ev(e.KEY_LEFTALT, 1)
        for digit in f"0{byte}":
            keys.tap(DIGIT_KEYS[digit])
        keys.ev(e.KEY_LEFTALT, 0)
    return keys.tap(e.KEY_ENTER)


def key_watch(keys: Keys, **options: Any) -> Diagnostics:
    diag = diagnostics_for(validate_device(0, {"id": "k", "type": "evdev", "path": "/dev/x",
                                               **options}))
    for event in keys.events:
        diag.observe(event)
    diag.finish()
    return diag


def test_cp1258_alt_codes_on_a_cp1252_kiosk_are_advised_as_ansi_codepage() -> None:
    keys = alt_typed(cp1258(CCCD))
    advice = key_watch(keys).suggestions("en")
    assert any('set ansi_codepage = "cp1258"' in a for a in advice)
    assert not any("cannot pass" in a for a in advice)
    right = key_watch(alt_typed(cp1258(CCCD)), ansi_codepage="cp1258")
    assert not any("ansi_codepage" in a for a in right.suggestions("en"))
    assert right.scans[0].payload.decode() == unicodedata.normalize("NFC", CCCD)


def test_ctrl_shift_u_unicode_entry_is_named() -> None:
    keys = ascii_typed(Keys(), "037201009876|371234567|")
    keys.tap(e.KEY_U, e.KEY_LEFTCTRL, e.KEY_LEFTSHIFT)
    ascii_typed(keys, "1ed7 ")
    advice = key_watch(keys.tap(e.KEY_ENTER)).suggestions("en")
    assert any("Ctrl+Shift+U" in a for a in advice)
