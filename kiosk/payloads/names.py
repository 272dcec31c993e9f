"""Whether a name read from a code is text a card can hold, or text a scanner mis-decoded.

A scanner that reads a QR code's UTF-8 bytes in another code page and sends them on re-encoded
(Latin-1/cp1252 read as UTF-8: "Phạm" becomes "PhẠ¡m"; cp1258 Alt codes typed on a cp1252
kiosk: "Đức" becomes "Ðýìc") still sends a code laid out as a CCCD, with a name no card
prints. Recorded, such a name is a person tracing never finds; so the name is checked
against what Vietnamese names are written with (:func:`mis_decoded`), and the code refused
naming the scanner's code page — the card is not at fault, scanning it again on a scanner
set right reads it.

What passes: printable ASCII (names of ethnic minorities use f, j, w, z and apostrophes:
"H'Hen Niê"), every Vietnamese letter with or without its tone mark, precomposed (NFC) or as
base letter and combining marks (NFD, or a precomposed base with a combining tone as cp1258
writes it), and a typographic apostrophe. What does not: control characters (C0, C1: an
Alt or Ctrl+Shift+U code the kiosk's keyboard did not take), U+FFFD (a byte no code page
had), and any other letter or sign (Ð, Þ, Ä, º, ¡, …): every character a double encoding of
Vietnamese makes holds one of these.
"""

from __future__ import annotations

import unicodedata

_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
"""No tone, huyền, sắc, ngã, hỏi, nặng."""
LETTERS = frozenset(
    unicodedata.normalize("NFC", base + tone).swapcase() if upper else
    unicodedata.normalize("NFC", base + tone)
    for base in _VOWELS for tone in _TONES for upper in (False, True)
) | frozenset("đĐ")
"""The Vietnamese letters outside ASCII, lower and upper case, in NFC: each one character."""
_ALSO = frozenset("\u2019\u02bc")
"""A typographic or modifier apostrophe, as some minority names are written ("H’Hen")."""


def mis_decoded(name: str) -> bool:
    """Whether ``name``, a Vietnamese citizen's (a CCCD's), holds what no Vietnamese name is
    written with: :func:`garbled`, or a non-ASCII character that is no Vietnamese letter
    (after NFC)."""
    return garbled(name) or any(
        not (" " <= char <= "~" or char in LETTERS or char in _ALSO)
        for char in unicodedata.normalize("NFC", name))


def garbled(name: str) -> bool:
    """Whether ``name``, anyone's (a PC-Covid code's: a foreigner's too, "MÜLLER", "NUÑEZ"),
    holds what no name is written with: a control character, U+FFFD, or UTF-8 read as
    Latin-1/cp1252 (:func:`double_encoded`: "Ã’" for "Ò"). Another code page's letters
    alone (cp1258 Alt codes on a cp1252 kiosk) are another language's letters here: the
    devices watch names that setting."""
    return double_encoded(name) or any(
        unicodedata.category(char) == "Cc" or char == "\ufffd" for char in name)


def double_encoded(text: str) -> bool:
    """Whether ``text`` is UTF-8 bytes a scanner read as Latin-1 or cp1252 and sent on as
    UTF-8: written back in those code pages (a character neither has — U+FFFD, for a byte
    cp1252 leaves undefined — as a UTF-8 continuation byte), the bytes are UTF-8 with
    letters outside ASCII. No Vietnamese text is: it has letters neither code page holds, or
    only ones that are bytes 0xC0–0xFD there, which UTF-8 never has after a lead byte."""
    try:
        raw = bytes(_byte(char) for char in text)
    except ValueError:  # a character neither code page has: not such text
        return False
    if raw.isascii():
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _byte(char: str) -> int:
    if char == "\ufffd":
        return 0x90
    try:
        return char.encode("cp1252")[0]
    except UnicodeEncodeError:
        return char.encode("latin-1")[0]  # a C1 control (UnicodeEncodeError: a ValueError)
