"""Base45 (RFC 9285) decoding with a size bound, for QR codes in alphanumeric mode."""

from __future__ import annotations

from kiosk.messages import WordedError

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}


class Base45Error(WordedError, ValueError):
    """Text that is not Base45, or longer than a QR code can hold."""


def decode(text: str, *, max_chars: int) -> bytes:
    """Base45 text → bytes; refuses more than ``max_chars`` characters before decoding any."""
    if len(text) > max_chars:
        raise Base45Error("base45.too_long", count=len(text), max=max_chars)
    if len(text) % 3 == 1:
        raise Base45Error("base45.dangling")
    out = bytearray()
    try:
        for start in range(0, len(text) - 2, 3):
            value = (_VALUES[text[start]] + _VALUES[text[start + 1]] * 45
                     + _VALUES[text[start + 2]] * 2025)
            if value > 0xFFFF:
                raise Base45Error("base45.out_of_range", group=repr(text[start:start + 3]))
            out += value.to_bytes(2, "big")
        if len(text) % 3 == 2:
            value = _VALUES[text[-2]] + _VALUES[text[-1]] * 45
            if value > 0xFF:
                raise Base45Error("base45.out_of_range", group=repr(text[-2:]))
            out.append(value)
    except KeyError as exc:
        raise Base45Error("base45.bad_char", char=repr(exc.args[0])) from None
    return bytes(out)
