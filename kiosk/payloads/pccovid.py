"""PC-Covid personal QR codes (Decision 1405/QĐ-BTTTT v1.1).

    DOC_NUMBER|FULL NAME UPPER NO DIACRITICS|YYYY-MM-DD|DECLARANT_TYPE|QID|EXT

The document number's first characters and the birth day/month may be masked with ``*``.

A code with that head — a document number, a name, a whole birth date, then a declarant type
(``0`` or ``1``; or nothing, the code ending right after the date's separator) — but fewer
than 6 fields is a PC-Covid code cut off, refused "scan again" (:func:`not_whole`) rather
than recorded as ``other``. A head shorter than that is not recognisable and stays ``other``
(unless its 12-digit number makes it a CCCD's head: ``cccd.not_whole``).
"""

from __future__ import annotations

import re

from kiosk.payloads.identity import (
    Identity,
    Rejection,
    digits,
    document_key,
    make_match_key,
    payload_key,
)
from kiosk.payloads.names import garbled

_DOB = re.compile(r"\d{4}-[\d*]{2}-[\d*]{2}")
"""A birth date's shape in any script's digits: a code so laid out is a PC-Covid code, and one
not in ASCII digits (``_ASCII_DOB``) is refused rather than recorded as ``other``."""
_ASCII_DOB = re.compile(r"[0-9]{4}-[0-9*]{2}-[0-9*]{2}")
_DOC = re.compile(r"[0-9A-Z*]{6,20}")
_MASK = "******"
"""What PC-Covid puts for a document number's first 6 characters: a 12-digit CCCD shows 6
digits after it. A code with 6 digits alone (no card has so short a number) lost its mask
on the way — a keyboard layout without ``*``, a reader that drops it — and is read as the
masked number it was: read as a whole number it would name everyone whose card ends in
those digits as one person."""


def looks_like_pccovid(fields: list[str]) -> bool:
    return (
        len(fields) == 6
        and bool(_DOB.fullmatch(fields[2].strip()))
        and fields[3].strip() in ("0", "1")
    )


def not_whole(fields: list[str]) -> Rejection | None:
    """A PC-Covid code's head with its tail missing (4 or 5 fields): refused as cut off;
    None for any other code."""
    if len(fields) not in (4, 5) or not _DOC.fullmatch(fields[0].strip().upper()):
        return None
    declarant = fields[3].strip()  # empty: cut right after the date's separator
    if not _DOB.fullmatch(fields[2].strip()) or not (
            declarant in ("0", "1") or (not declarant and len(fields) == 4)):
        return None
    return Rejection("code_cut", "cut_pccovid", str(len(fields)))


def decode_pccovid(fields: list[str], raw: bytes) -> Identity | Rejection:
    doc, name, dob, declarant, qid, ext = (f.strip() for f in fields)
    doc = doc.upper()
    if len(doc) == len(_MASK) and digits(doc):
        doc = _MASK + doc
    if not _DOC.fullmatch(doc) or doc.strip("*") == "":
        return Rejection("pccovid_bad_field", "document_format", doc, "document_number")
    if not name:
        return Rejection("pccovid_bad_field", "missing", field="name")
    if garbled(name):
        return Rejection("scanner_code_page", "mis_decoded", name, "name")
    if not _ASCII_DOB.fullmatch(dob):
        return Rejection("pccovid_bad_field", "digits", dob, "birth_date")
    if qid and not digits(qid):
        return Rejection("pccovid_bad_field", "digits", qid, "qid")
    year = dob[:4]
    masked = "*" in doc
    match_key = make_match_key(doc, name, year)
    if masked:
        subject = payload_key(f"{doc}|{name}|{dob}".encode()) if match_key is None else match_key
    else:
        subject = document_key(doc)
    return Identity(
        kind="pccovid",
        subject_key=subject,
        raw=raw,
        document_number=doc,
        name=name,
        birth_date=dob,
        match_key=match_key,
        document_masked=masked,
        extra={"declarant_type": declarant, "qid": qid, "ext": ext},
    )
