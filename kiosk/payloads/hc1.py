"""EU-DCC style vaccination certificates: ``HC1:`` + Base45(zlib(COSE_Sign1(CBOR))).

The signature is not verified here (the kiosk holds no trust list); the holder's name and
birth date are read so a certificate can be shown and matched, and any certificate that does
not unpack is still kept raw as kind ``hc1``.
"""

from __future__ import annotations

import hashlib
import zlib

import cbor2

from kiosk.payloads.identity import Identity, payload_key

_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_VALUES = {c: i for i, c in enumerate(_B45)}
PREFIX = "HC1:"


def base45_decode(text: str) -> bytes:
    out = bytearray()
    for start in range(0, len(text), 3):
        chunk = [_B45_VALUES[c] for c in text[start : start + 3]]
        if len(chunk) == 3:
            value = chunk[0] + chunk[1] * 45 + chunk[2] * 45 * 45
            if value > 0xFFFF:
                raise ValueError("base45 group out of range")
            out += value.to_bytes(2, "big")
        elif len(chunk) == 2:
            value = chunk[0] + chunk[1] * 45
            if value > 0xFF:
                raise ValueError("base45 group out of range")
            out.append(value)
        else:
            raise ValueError("dangling base45 character")
    return bytes(out)


def _holder(text: str) -> dict:
    """The certificate's holder claims, or an error raised by any layer that does not unpack."""
    compressed = base45_decode(text[len(PREFIX) :])
    cose = cbor2.loads(zlib.decompress(compressed) if compressed[:1] == b"x" else compressed)
    if isinstance(cose, cbor2.CBORTag):
        cose = cose.value
    claims = cbor2.loads(cose[2])
    return claims[-260][1]


def decode_hc1(text: str, raw: bytes) -> Identity:
    try:
        holder = _holder(text)
        names = holder["nam"]
        name = " ".join(p for p in (names.get("gn"), names.get("fn")) if p)
        dob = str(holder.get("dob", ""))
        standard = f"{names.get('fnt', '')}|{names.get('gnt', '')}|{dob}"
    except Exception as exc:
        return Identity(kind="hc1", subject_key=payload_key(raw), raw=raw,
                        extra={"decode_error": type(exc).__name__})
    digest = hashlib.sha256(standard.encode()).hexdigest()[:32]
    return Identity(
        kind="hc1",
        subject_key="hc1:" + digest,
        raw=raw,
        name=name or None,
        birth_date=dob or None,
        extra={"certificate": "eu-dcc"},
    )
