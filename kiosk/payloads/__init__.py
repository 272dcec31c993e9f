"""Payload bytes → Identity (CCCD, PC-Covid, HC1, other) or Rejection.

``decode`` never raises: whatever a stranger's code holds, the answer is an Identity (kept
raw as ``other`` when nothing better fits) or a Rejection with a reason. A code with a
recognisable CCCD or PC-Covid head and its tail missing is no ``other`` code but one cut off
(``code_cut``: scan again), so a person is never recorded where tracing cannot find them.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kiosk.enrolment import is_enrolment_code
from kiosk.payloads import cccd, pccovid
from kiosk.payloads.cccd import decode_cccd, looks_like_cccd, not_text
from kiosk.payloads.hc1 import PREFIX as HC1_PREFIX
from kiosk.payloads.hc1 import decode_hc1
from kiosk.payloads.identity import Identity, Rejection, payload_key
from kiosk.payloads.pccovid import decode_pccovid, looks_like_pccovid
from kiosk.scan import QR_MAX_BYTES, QR_MAX_CHARS
from kiosk.timestamps import DEFAULT_TIMEZONE, local_today

__all__ = ["Identity", "Rejection", "clean", "decode"]

_BOM = "\ufeff"


def clean(raw: bytes) -> bytes:
    """Strip what scanners add around a payload: a byte-order mark, trailing CR/LF, NULs."""
    data = raw
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.rstrip(b"\r\n\x00")


def decode(raw: bytes, *, today: dt.date | None = None) -> Identity | Rejection:
    """``today``: the local date the scan was made on, in the kiosk's configured zone, which
    a CCCD's dates must not be after (the pipeline gives it); without it, the date now in
    the default zone (a device's diagnostics, which know no configuration)."""
    data = clean(raw)
    if not data.strip():
        return Rejection("empty")
    if len(data) > QR_MAX_CHARS * 4:
        return Rejection("too_large", "size_bytes", str(len(data)))
    if is_enrolment_code(data):  # a kiosk's enrolment QR held up to the scanner: never a person
        return Rejection("enrolment_code")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if len(data) > QR_MAX_BYTES:
            return Rejection("too_large", "size_bytes", str(len(data)))
        damaged = not_text(data) or _not_whole(data.decode("utf-8", "replace").split("|"))
        if damaged is not None:
            return damaged
        return Identity(kind="other", subject_key=payload_key(data), raw=data,
                        extra={"encoding": "binary"})
    text = text.lstrip(_BOM)
    if len(text) > QR_MAX_CHARS:
        return Rejection("too_large", "size_chars", str(len(text)))
    if text.startswith(HC1_PREFIX):
        return decode_hc1(text, data)
    fields = text.split("|")
    if looks_like_pccovid(fields):
        return decode_pccovid(fields, data)
    if looks_like_cccd(fields):
        return decode_cccd(fields, data, today=today or local_today(ZoneInfo(DEFAULT_TIMEZONE)))
    cut = _not_whole(fields)
    if cut is not None:
        return cut
    return Identity(kind="other", subject_key=payload_key(data), raw=data)


def _not_whole(fields: list[str]) -> Rejection | None:
    """A recognisable CCCD or PC-Covid head whose tail is missing (a code cut off), or a
    CCCD head with too many fields: refused with the reason; None for any other code."""
    return pccovid.not_whole(fields) or cccd.not_whole(fields)
