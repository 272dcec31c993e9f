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
    payload_key,
)

_DOCUMENT = re.compile(r"[0-9]{9}|[0-9]{12}|[A-Z][0-9]{7,8}")
_PHONE = re.compile(r"(\+84|0)[0-9]{9,10}")
"""[0-9], never \\d (any script's digits): a number is recorded as the centre matches it."""


@dataclass(frozen=True)
class ManualEntry:
    name: str
    document_number: str = ""
    phone: str = ""
    address: str = ""
    reason: str = ""

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode()


def normal_phone(phone: str) -> str:
    """A phone as a manual entry keeps it: without spaces, dots or dashes."""
    return re.sub(r"[\s.-]", "", phone)


def phone_key(phone: str) -> str:
    """The key a phone number is known by, however written (``+84 90…`` or ``090…``): the
    audit log's mark of the phone alone (:func:`kiosk.central.trace_service.disclosed`)."""
    number = normal_phone(phone)
    return "tel:" + ("0" + number[3:] if number.startswith("+84") else number)


def decode_manual(entry: ManualEntry) -> Identity | Rejection:
    if any(is_enrolment_code(value) for value in asdict(entry).values()):
        return Rejection("enrolment_code")  # a wedge scanner typed the QR into the form
    name = " ".join(entry.name.split())
    document = entry.document_number.replace(" ", "").upper()
    phone = normal_phone(entry.phone)
    if len(name) < 2:
        return Rejection("manual_bad_field", "missing", field="name")
    if document and not _DOCUMENT.fullmatch(document):
        return Rejection("manual_bad_field", "document_format", document, "document_number")
    if phone and not _PHONE.fullmatch(phone):
        return Rejection("manual_bad_field", "phone_format", entry.phone, "phone")
    if not document and not phone:
        return Rejection("manual_bad_field", "document_or_phone")
    raw = entry.to_bytes()
    subject = document_key(document) if document else payload_key(
        f"{fold_name(name)}|{phone}".encode())
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
