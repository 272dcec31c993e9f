"""Manual entries: a person without a code, typed in by the officer.

Recorded through the same pipeline as scans, with kind ``manual`` and the form as JSON bytes
for the raw payload, so the centre sees exactly what was typed.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from kiosk.enrolment import is_enrolment_code
from kiosk.payloads.identity import (
    Identity,
    Rejection,
    document_key,
    fold_name,
    foreign_document_key,
    payload_key,
)

_DOCUMENT = re.compile(r"[0-9]{9}|[0-9]{12}|[A-Z][0-9]{7,8}")
"""A Vietnamese document: CCCD (12 digits), old CMND (9 or 12), passport (a letter, 7–8 digits).
Digits alone of another length, unticked, are refused in words that send the officer back to
the document (a digit lost or doubled), never to the foreign tick."""
_FOREIGN_DOCUMENT = re.compile(r"(?=[A-Z]*[0-9])[A-Z0-9]{6,20}")
"""Another country's passport or ID (``AB1234567``, ``C01X00T47``): 6 to 20 letters and digits,
at least one digit, digits alone too but for :data:`_NEAR_VIETNAMESE` (a Chinese ID
card's 18) — what the centre's trace takes as a document number
(:func:`kiosk.central.tracing.target_for_document`), so the person is found by it. Keyed
``fdoc:`` (:func:`foreign_document_key`), never as the Vietnamese document of that number."""
_NEAR_VIETNAMESE = range(8, 14)
"""How many digits a number of digits alone has when it may be a Vietnamese one with a digit
lost or doubled (CCCD 12, CMND 9): 8 to 13 — refused with the foreign tick too unless 9 or
12. ``07930100456`` recorded as another country's document (``fdoc:07930100456``) is a
person a trace of the real CCCD never finds, and the officer who ticked it is not asked to
read the card again; a visitor whose own ID card has such a length (a Thai card's 13) is
recorded by their passport or phone."""
_PHONE = re.compile(r"(\+84|0)[0-9]{9,10}")
"""[0-9], never \\d (any script's digits): a number is recorded as the centre matches it."""
_FOREIGN_PHONE = re.compile(r"\+(?!84)[1-9][0-9]{6,14}")
"""Another country's number in E.164 (``+1 202 555 0143``, ``+86 …``): a country code and at
most 15 digits in all; a ``+84`` number keeps the Vietnamese rule."""
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
"""A phone in E.164 (:func:`e164`): a country code and at most 15 digits in all."""
_RUNS = "01234567890123456789", "98765432109876543210"


@dataclass(frozen=True)
class ManualEntry:
    name: str
    document_number: str = ""
    phone: str = ""
    address: str = ""
    reason: str = ""
    foreign: bool = False
    """The document is another country's (a passport, an ID card): its number is checked as
    one (:data:`_FOREIGN_DOCUMENT`), not as a Vietnamese document's."""

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode()


def normal_phone(phone: str) -> str:
    """A phone as a manual entry keeps it: without spaces, dots or dashes."""
    return re.sub(r"[\s.-]", "", phone)


def e164(phone: str) -> str:
    """A phone in E.164 (``+84912345678``, ``+12025550143``), however written: a number
    the form takes starts with ``+`` and its country code, or ``0`` for a Vietnamese one
    (:data:`_PHONE`), so only that ``0`` becomes ``+84``; any other country's is kept."""
    number = normal_phone(phone)
    return "+84" + number[1:] if number.startswith("0") else number


def phone_key(phone: str) -> str:
    """The key a phone number is known by, however written (``+84 90…`` or ``090…``,
    ``+1 202…``): the audit log's mark of the phone alone
    (:func:`kiosk.central.trace_service.disclosed`)."""
    return "tel:" + e164(phone)


def phone_subject(name: str, phone: str) -> str:
    """The subject key of a person entered by hand with a phone and no document: their name
    folded and the phone in E.164. Before, the phone as typed: ``0912345678`` at one point
    and ``+84 912 345 678`` at another were two people to a trace; the centre keys the
    entries of kiosks from before again (:mod:`kiosk.central.manual_keys`)."""
    return payload_key(f"{fold_name(name)}|{e164(phone)}".encode())


def vietnamese_document(number: str) -> bool:
    """Whether a document number as a manual entry keeps it (no spaces, upper case) may be a
    Vietnamese document's (:data:`_DOCUMENT`); one that may not was typed as another
    country's, whatever the entry says (the centre keys it so: :mod:`kiosk.central.manual_keys`)."""
    return _DOCUMENT.fullmatch(number) is not None


def made_up(number: str, *, phone: bool = False) -> bool:
    """A number typed only to get past the form. A document: its digits one digit repeated
    (``000000000``, ``111111111111``, ``C0000000``) or, digits alone, a run (``123456789``,
    ``987654321``) — no province code or passport series is so. A phone (as kept:
    :func:`normal_phone`): zeros after its ``0`` or ``+84`` (``0000000000``), the run
    ``0123456789``, or another country's of one digit repeated (``+1 111 111 1111``); not
    a Vietnamese mobile of one digit or a run (``0999999999``, ``0987654321``): carriers
    sell such numbers. Recorded, it would be a person no one can trace — and everyone
    entered with it, the same person."""
    digits = "".join(c for c in number if "0" <= c <= "9")
    if phone and number.startswith("+") and not number.startswith("+84"):
        return len(set(digits)) == 1
    if phone:
        subscriber = digits[2:] if number.startswith("+84") else digits[1:]
        return set(subscriber) <= {"0"} or subscriber == "123456789"
    run = number.isdigit() and any(digits in run for run in _RUNS)
    return len(digits) >= 6 and (len(set(digits)) == 1 or run)


def decode_manual(entry: ManualEntry) -> Identity | Rejection:
    if any(isinstance(value, str) and is_enrolment_code(value)
           for value in asdict(entry).values()):
        return Rejection("enrolment_code")  # a wedge scanner typed the QR into the form
    name = " ".join(entry.name.split())
    document = entry.document_number.replace(" ", "").upper()
    phone = normal_phone(entry.phone)
    if len(name) < 2:
        return Rejection("manual_bad_field", "missing", field="name")
    if document.isdigit() and not _DOCUMENT.fullmatch(document) \
            and (len(document) in _NEAR_VIETNAMESE or not entry.foreign):
        return Rejection("manual_bad_field", "document_digits", document, "document_number")
    if entry.foreign and document and not _FOREIGN_DOCUMENT.fullmatch(document):
        return Rejection("manual_bad_field", "foreign_document_format", document,
                         "document_number")
    if not entry.foreign and document and not _DOCUMENT.fullmatch(document):
        return Rejection("manual_bad_field", "document_format", document, "document_number")
    if document and made_up(document):
        return Rejection("manual_bad_field", "made_up", document, "document_number")
    if phone and not (_PHONE.fullmatch(phone) or _FOREIGN_PHONE.fullmatch(phone)):
        return Rejection("manual_bad_field", "phone_format", entry.phone, "phone")
    if phone and made_up(phone, phone=True):
        return Rejection("manual_bad_field", "made_up", entry.phone, "phone")
    if not document and not phone:
        return Rejection("manual_bad_field", "document_or_phone")
    raw = entry.to_bytes()
    if document:
        subject = (foreign_document_key if entry.foreign else document_key)(document)
    else:
        subject = phone_subject(name, phone)
    extra = {k: v for k, v in (("phone", phone), ("reason", entry.reason.strip())) if v}
    return Identity(
        kind="manual",
        subject_key=subject,
        raw=raw,
        document_number=document or None,
        name=name,
        address=entry.address.strip() or None,
        extra=extra,
    )
