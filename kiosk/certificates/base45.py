"""Base45 (RFC 9285) decoding with a size bound, for QR codes in alphanumeric mode."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}


class Base45Error(ValueError):
    """Text that is not Base45, or longer than a QR code can hold."""


def decode(text: str, *, max_chars: int) -> bytes:
    """Base45 text → bytes; refuses more than ``max_chars`` characters before decoding any."""
    if len(text) > max_chars:
        raise Base45Error(f"{len(text)} Base45 characters, at most {max_chars}")
    if len(text) % 3 == 1:
        raise Base45Error("dangling Base45 character at the end")
    out = bytearray()
    try:
        for start in range(0, len(text) - 2, 3):
            value = (_VALUES[text[start]] + _VALUES[text[start + 1]] * 45
                     + _VALUES[text[start + 2]] * 2025)
            if value > 0xFFFF:
                raise Base45Error(f"Base45 group {text[start:start + 3]!r} out of range")
            out += value.to_bytes(2, "big")
        if len(text) % 3 == 2:
            value = _VALUES[text[-2]] + _VALUES[text[-1]] * 45
            if value > 0xFF:
                raise Base45Error(f"Base45 group {text[-2:]!r} out of range")
            out.append(value)
    except KeyError as exc:
        raise Base45Error(f"{exc.args[0]!r} is not a Base45 character") from None
    return bytes(out)
