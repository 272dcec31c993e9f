"""EU-DCC style vaccination certificates: ``HC1:`` + Base45(zlib(COSE_Sign1(CBOR))).

Here only the holder is read, so a certificate can be shown and matched; whether it is
genuine and current is the pipeline's certificate check (``kiosk.certificates``). A code
whose data ends too soon (``cose.cut_short``: a scanner that stopped at 256 characters, a
code read in part) is cut off, refused "scan again" as CCCD and PC-Covid cut codes are;
any other that does not unpack is still kept
raw as kind ``hc1`` (the certificate check says it is unreadable).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from kiosk.certificates import cose, facts
from kiosk.payloads.identity import Identity, Rejection, payload_key

PREFIX = cose.PREFIX


def decode_hc1(text: str, raw: bytes) -> Identity | Rejection:
    try:
        certificate = cose.claims(cose.unpack(text)).certificate
    except cose.UnpackError as exc:
        if cose.cut_short(text):
            return Rejection("code_cut", "cut_hc1")
        return Identity(kind="hc1", subject_key=payload_key(raw), raw=raw,
                        extra={"decode_error": exc.stage})
    read = facts.read(certificate)
    names = certificate.get("nam") if isinstance(certificate.get("nam"), Mapping) else {}
    standard = f"{names.get('fnt', '')}|{names.get('gnt', '')}|{read.birth_date}"
    digest = hashlib.sha256(standard.encode()).hexdigest()[:32]
    return Identity(
        kind="hc1",
        subject_key="hc1:" + digest,
        raw=raw,
        name=read.name or None,
        birth_date=read.birth_date or None,
        extra={"certificate": "eu-dcc"},
    )
