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

import codecs
import re
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


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufffd]")
"""A control character (C0, DEL, C1: Unicode's ``Cc``) or U+FFFD."""
_WRITTEN = re.compile("[ -~" + "".join(sorted(LETTERS | _ALSO)) + "]*")
"""What Vietnamese names are written with: printable ASCII, :data:`LETTERS`, :data:`_ALSO`
(one match in C: a character at a time in Python cost each scan ~5 µs)."""


_AS_PRINTED = re.compile("[ -~" + "".join(sorted(LETTERS)) + "]*")
"""A name as a card prints it: printable ASCII and :data:`LETTERS` (NFC) alone. Such a name
is none of what :func:`mis_decoded` looks for, so one match answers for it: no control
character or U+FFFD; NFC already; and no double encoding — every letter here outside ASCII
is one cp1252 lacks (``ă ơ ư đ``, most toned letters) or a byte 0xC0–0xFD in it, which
UTF-8 never has after a lead byte. The typographic apostrophe is left to the whole check:
it is 0x92 in cp1252, a continuation byte ("Ã’" is "Ò" read as cp1252)."""


def mis_decoded(name: str) -> bool:
    """Whether ``name``, a Vietnamese citizen's (a CCCD's), holds what no Vietnamese name is
    written with: :func:`garbled`, or a non-ASCII character that is no Vietnamese letter
    (after NFC). A name as printed (:data:`_AS_PRINTED`, nearly every scan) is answered by
    one match: the double encoding's trial raised and caught an exception for each
    Vietnamese name (3 µs of a CCCD's decode)."""
    if _AS_PRINTED.fullmatch(name) is not None:
        return False
    return garbled(name) or _WRITTEN.fullmatch(unicodedata.normalize("NFC", name)) is None


_ETH_FOR_D = str.maketrans("Ðð", "Đđ")
"""cp1252's 0xD0 and 0xF0, Ð and ð (Icelandic eth), where cp1258's are Đ and đ."""


def eth_for_d(name: str) -> bool:
    """Whether ``name``, :func:`mis_decoded`, is so only for an eth (``Ð``, ``ð``) where a
    Vietnamese name has ``Đ``, ``đ``: cp1258's bytes 0xD0, 0xF0 read as cp1252 (its other
    letters then Vietnamese ones, right or not: "Ðôò" for "Đỗ"). The two look alike, so the
    refusal names the letter: "'Ðặng Thùy Trâm' holds characters no Vietnamese text has"
    showed a reader nothing wrong."""
    return ("Ð" in name or "ð" in name) and not mis_decoded(name.translate(_ETH_FOR_D))


def garbled(name: str) -> bool:
    """Whether ``name``, anyone's (a PC-Covid code's: a foreigner's too, "MÜLLER", "NUÑEZ"),
    holds what no name is written with: a control character, U+FFFD, or UTF-8 read as
    Latin-1/cp1252 (:func:`double_encoded`: "Ã’" for "Ò"). Another code page's letters
    alone (cp1258 Alt codes on a cp1252 kiosk) are another language's letters here: the
    devices watch names that setting. A name as printed (:data:`_AS_PRINTED`) is none."""
    if _AS_PRINTED.fullmatch(name) is not None:
        return False
    return double_encoded(name) or _CONTROL.search(name) is not None


def double_encoded(text: str) -> bool:
    """Whether ``text`` is UTF-8 bytes a scanner read as Latin-1 or cp1252 and sent on as
    UTF-8: written back in those code pages (a character neither has — U+FFFD, for a byte
    cp1252 leaves undefined — as a UTF-8 continuation byte), the bytes are UTF-8 with
    letters outside ASCII. No Vietnamese text is: it has letters neither code page holds, or
    only ones that are bytes 0xC0–0xFD there, which UTF-8 never has after a lead byte.
    One encoding of the whole text, not a character at a time with an exception for each
    it refused."""
    if text.isascii():
        return False
    try:
        raw = text.encode("cp1252", _LATIN1_LEFT)
    except UnicodeEncodeError:  # a character neither code page has: not such text
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _latin1_left(error: UnicodeError) -> tuple[bytes, int]:
    """The bytes cp1252 has no character for, as a Latin-1 read made them (C1 controls) or
    U+FFFD stood for them (0x90); anything else: not such text."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = bytearray()
    for char in error.object[error.start:error.end]:
        if char == "\ufffd":
            out.append(0x90)
        elif "\x80" <= char <= "\x9f":
            out.append(ord(char))
        else:
            raise error
    return bytes(out), error.end


_LATIN1_LEFT = "kiosk.latin1_left"
codecs.register_error(_LATIN1_LEFT, _latin1_left)
