"""CCCD (chip-based citizen ID card) QR codes: pipe-separated fields without labels.

Layouts seen in the field::

    7 fields   ID12|OLD_ID|NAME|DDMMYYYY|GENDER|ADDRESS|DDMMYYYY
    11 fields  the 7 above + 4 (often empty) fields on cards issued from 2024
    6 fields   ID12|NAME|dd/MM/yyyy|GENDER|ADDRESS|dd/MM/yyyy   (some readers drop OLD_ID)

A code that starts as every layout does (12 digits, then ``|``) but has none of these field
counts is no other kind of code: it is a CCCD cut off (a scanner unplugged mid-code, a
misread tail; 2–5 or 8–10 fields) or mangled (12 or more), and is refused with that reason
(:func:`not_whole`), never recorded as ``other`` where tracing would not find the person.
"""

from __future__ import annotations

import datetime as dt
import re

from kiosk.payloads.identity import Identity, Rejection, document_key, make_match_key
from kiosk.payloads.names import eth_for_d, mis_decoded

GENDERS = {"Nam": "male", "Nữ": "female"}
# [0-9], never \d: \d (and int()) take any script's digits, e.g. Arabic-Indic or full-width,
# which no card prints: such a code is a forgery or garbage, refused like any bad field.
_ID12 = re.compile(r"[0-9]{12}")
_HEAD = re.compile(r"[0-9]{12}\|")
"""How every CCCD layout starts: the 12-digit id, then the first separator."""
LAYOUTS = (6, 7, 11)
_OLD_ID = re.compile(r"([0-9]{9}|[0-9]{12})?")
_EXTRA_NAMES = ("extra_1", "extra_2", "extra_3", "extra_4")
_DIGITS_DATE = re.compile(r"[0-9]{8}")
_SLASHED_DATE = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}")


def looks_like_cccd(fields: list[str]) -> bool:
    """A payload that claims to be a CCCD: right field count and a plausible id or gender.

    Such a payload is then validated strictly and refused with a reason when a field is
    wrong, rather than silently recorded as ``other``; so the id is any script's digits
    here (``isdigit``), and only ASCII ones pass the validation.
    """
    if len(fields) not in LAYOUTS:
        return False
    gender_index = 3 if len(fields) == 6 else 4
    first = fields[0].strip()
    return fields[gender_index].strip() in GENDERS or (first.isdigit() and 9 <= len(first) <= 13)


def not_whole(fields: list[str]) -> Rejection | None:
    """A code that starts as a CCCD (12 ASCII digits, then ``|``) without a CCCD's field
    count: refused "cut off — scan again" (fewer than 11 fields: the head of a code whose
    tail was not read) or "wrong field count" (more); None for any other code. ``fields``
    are what the pipe splits, the last one possibly ending mid-character (decoded with
    replacement: a code cut inside a UTF-8 letter is as cut as any)."""
    if len(fields) in LAYOUTS or not _HEAD.match("|".join(fields[:2])):
        return None
    if len(fields) < max(LAYOUTS):
        return Rejection("code_cut", "cut_cccd", str(len(fields)))
    return Rejection("cccd_bad_field", "field_count", str(len(fields)))


def parse_date(text: str, field_name: str, *, today: dt.date) -> dt.date | Rejection:
    text = text.strip()
    try:
        if _DIGITS_DATE.fullmatch(text):  # DDMMYYYY
            value = dt.date(int(text[4:]), int(text[2:4]), int(text[:2]))
        elif _SLASHED_DATE.fullmatch(text):  # DD/MM/YYYY
            value = dt.date(int(text[6:]), int(text[3:5]), int(text[:2]))
        else:
            return Rejection("cccd_bad_field", "date_format", text, field_name)
    except ValueError:
        return Rejection("cccd_bad_field", "no_such_date", text, field_name)
    if value > today:
        return Rejection("cccd_bad_field", "in_future", text, field_name)
    return value


def field_names(count: int) -> tuple[str, ...]:
    """The CCCD fields in the order a code of ``count`` fields holds them."""
    names = ("id", "old_id", "name", "birth_date", "gender", "address", "issue_date")
    return names[:1] + names[2:] if count == 6 else names + _EXTRA_NAMES[:count - 7]


def not_text(raw: bytes) -> Rejection | None:
    """A payload laid out as a CCCD whose bytes are not UTF-8 text (a scanner set to another
    code page, a misread byte): refused naming the field and the byte, since recording it
    as ``other`` would lose the person's name without saying why. None: not such a code."""
    parts = raw.split(b"|")
    if not looks_like_cccd([p.decode("utf-8", "replace") for p in parts]):
        return None
    names = field_names(len(parts))
    for index, part in enumerate(parts):
        try:
            part.decode("utf-8")
        except UnicodeDecodeError as exc:
            name = names[index] if index < len(names) else f"field {index + 1}"
            return Rejection("cccd_bad_field", "not_utf8",
                             f"0x{part[exc.start]:02X}", name)
    return None


def decode_cccd(fields: list[str], raw: bytes, *, today: dt.date) -> Identity | Rejection:
    if len(fields) == 6:
        number, old_id, name, dob, gender, address, issued = (
            fields[0], "", fields[1], fields[2], fields[3], fields[4], fields[5],
        )
        rest: list[str] = []
    else:
        number, old_id, name, dob, gender, address, issued = fields[:7]
        rest = fields[7:]
    number, old_number, full_name, sex = number.strip(), old_id.strip(), name.strip(), \
        gender.strip()
    if not _ID12.fullmatch(number):
        return Rejection("cccd_bad_field", "id_digits", number, "id")
    if not _OLD_ID.fullmatch(old_number):
        return Rejection("cccd_bad_field", "old_id_digits", old_id, "old_id")
    if not full_name:
        return Rejection("cccd_bad_field", "missing", field="name")
    if mis_decoded(full_name):
        return Rejection("scanner_code_page",
                         "eth_for_d" if eth_for_d(full_name) else "mis_decoded", full_name,
                         "name")
    if sex not in GENDERS and mis_decoded(sex):  # "Nữ" read in another code page
        return Rejection("scanner_code_page", "mis_decoded", sex, "gender")
    if sex not in GENDERS:
        return Rejection("cccd_bad_field", "gender", gender, "gender")
    birth = parse_date(dob, "birth_date", today=today)
    if isinstance(birth, Rejection):
        return birth
    issue = parse_date(issued, "issue_date", today=today) if issued.strip() else None
    if isinstance(issue, Rejection):
        return issue
    if issue is not None and issue < birth:
        return Rejection("cccd_bad_field", "issued_before_birth")
    extra = {"layout": f"{len(fields)}-field"}
    if old_number:
        extra["old_id"] = old_number
    if rest:
        extra.update(zip(_EXTRA_NAMES, rest, strict=False))
    return Identity(
        kind="cccd",
        subject_key=document_key(number),
        raw=raw,
        document_number=number,
        name=full_name,
        birth_date=birth.isoformat(),
        gender=sex,
        address=address.strip(),
        issue_date=issue.isoformat() if issue else None,
        match_key=make_match_key(number, name, str(birth.year)),
        extra=extra,
    )
