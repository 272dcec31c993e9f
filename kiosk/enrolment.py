"""The enrolment code: what the centre's QR holds and a kiosk reads to join the centre.

It carries the centre's address, the kiosk id, the checkpoint and a one-time secret that
the centre exchanges (once, before it expires) for the kiosk's long-lived token, so a photo
of the code is worthless once used or late. The text starts with ``ckenrol:`` so that no
scanner, pipeline or person mistakes it for an identity document (see
:func:`is_enrolment_code`; the kiosk refuses it as an entry wherever it is scanned or typed).
Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from kiosk.messages import WordedError, Words

PREFIX = "ckenrol:1?"
_PREFIX_BYTES = PREFIX.encode()
ENROL_PATH = "/api/v1/enrol"
MAX_CODE_CHARS = 1024
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{32,128}")


class EnrolmentCodeError(WordedError, ValueError):
    """Text that is not a well-formed enrolment code; ``enrolment.*`` names what is wrong."""


@dataclass(frozen=True)
class EnrolmentCode:
    server_url: str
    kiosk_id: str
    checkpoint_id: str
    secret: str
    expires_at: str
    """UTC, ISO 8601: shown to the technician; the centre's own record is what counts."""

    def text(self) -> str:
        return PREFIX + urlencode({"u": self.server_url, "k": self.kiosk_id,
                                   "c": self.checkpoint_id, "s": self.secret,
                                   "e": self.expires_at})


def is_enrolment_code(payload: bytes | str) -> bool:
    """Whether ``payload`` holds an enrolment code anywhere, in any case: a scanner set to add
    a prefix (an AIM id, a lane tag), to type in capitals or to lead with a newline must
    not turn the code into a person's entry carrying the secret."""
    if isinstance(payload, bytes):  # `find`: bytes' `in` tries the prefix as an int first, a
        return payload.lower().find(_PREFIX_BYTES) >= 0  # TypeError made and dropped a scan
    return PREFIX in payload.lower()


def masked(payload: bytes) -> bytes:
    """``payload`` as a screen, a terminal or a capture file may show it: from an enrolment
    code, only what comes before and with its prefix, then ``…`` (the one-time secret
    and the rest stay hidden); anything else as it is."""
    start = payload.lower().find(_PREFIX_BYTES)
    return payload if start < 0 else payload[:start + len(PREFIX)] + "…".encode()


def parse(text: str) -> EnrolmentCode:
    """The code in ``text`` (what a scanner adds before it and whitespace around it
    ignored); EnrolmentCodeError if not one."""
    text = text.strip()
    if len(text) > MAX_CODE_CHARS:
        raise EnrolmentCodeError("enrolment.too_long", length=len(text))
    start = text.find(PREFIX)
    if start < 0:
        raise EnrolmentCodeError("enrolment.not_code", prefix=repr(PREFIX))
    text = text[start:]
    fields = parse_qs(text[len(PREFIX):], keep_blank_values=True)
    values = {}
    for key in ("u", "k", "c", "s", "e"):
        got = fields.get(key, [])
        if len(got) != 1 or not got[0]:
            raise EnrolmentCodeError("enrolment.missing", part=Words(f"enrolment.part.{key}"))
        values[key] = got[0]
    try:  # ValueError: a bracket left open ("http://[::1"), a port out of range or no number
        url = urlsplit(values["u"])
        usable = url.scheme in ("http", "https") and bool(url.netloc) and url.port != 0
    except ValueError:
        usable = False
    if not usable:
        raise EnrolmentCodeError("enrolment.bad_url", url=repr(values["u"]))
    if not _SECRET_RE.fullmatch(values["s"]):
        raise EnrolmentCodeError("enrolment.bad_secret")
    return EnrolmentCode(values["u"], values["k"], values["c"], values["s"], values["e"])
