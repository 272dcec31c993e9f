"""``HC1:`` text → COSE_Sign1 message → CWT claims, every layer bounded in size.

A QR code holds at most 4,296 alphanumeric characters, so the Base45 text is refused beyond
that before any decoding; the zlib stream is inflated only up to ``MAX_SIGNED_BYTES`` (real
certificates inflate to under 3 KB, a zlib bomb would reach megabytes from the same QR).
cbor2 refuses nesting deeper than 400 and lengths longer than the data; it is imported by
the functions that read or write CBOR, so a kiosk that never meets an ``HC1:`` code (and
every ``kiosk scan`` of a CCCD) does not load it.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.certificates import base45
from kiosk.messages import WordedError, Words

PREFIX = "HC1:"
MAX_QR_CHARS = 4296
"""Largest alphanumeric payload of a QR code (version 40-L)."""
MAX_SIGNED_BYTES = 64 * 1024
"""Largest inflated COSE message accepted."""

_COSE_SIGN1_TAG, _CWT_TAG = 18, 61
_ALG, _KID = 1, 4
_ISS, _EXP, _NBF, _IAT, _HCERT = 1, 4, 5, 6, -260


class UnpackError(WordedError, ValueError):
    """A certificate that does not unpack; ``stage`` names the layer (for logs and tests),
    ``code`` (``hc1.*``) and ``params`` what is wrong with it."""

    def __init__(self, code: str, /, *, stage: str, **params: object) -> None:
        super().__init__("hc1.at_stage", stage=stage, problem=Words(code, params))
        self.stage = stage


@dataclass(frozen=True)
class Sign1:
    """A COSE_Sign1 message (RFC 9052 §4.2) as found in the code; nothing checked yet."""

    protected: bytes
    """The protected header exactly as signed."""
    protected_header: dict[Any, Any]
    unprotected_header: dict[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> Any:
        return self.protected_header.get(_ALG, self.unprotected_header.get(_ALG))

    @property
    def kid(self) -> bytes | None:
        """The key id: the protected header's when present (it is covered by the signature),
        else the unprotected one's."""
        kid = self.protected_header.get(_KID, self.unprotected_header.get(_KID))
        return kid if isinstance(kid, bytes) else None

    def to_be_signed(self) -> bytes:
        """The Sig_structure the signer signed (RFC 9052 §4.4), with no external data."""
        import cbor2

        return cbor2.dumps(["Signature1", self.protected, b"", self.payload])


@dataclass(frozen=True)
class Claims:
    """The CWT claims a verifier needs (RFC 8392), times in seconds since the epoch."""

    issuer: str | None
    issued_at: float | None
    expires_at: float | None
    not_before: float | None
    certificate: dict[Any, Any]
    """The EU DCC payload (hcert claim, key 1): ``nam``, ``dob``, ``v``/``t``/``r``…"""


def unpack(text: str) -> Sign1:
    """``HC1:…`` → Sign1; raises UnpackError naming the layer that failed."""
    if not text.startswith(PREFIX):
        raise UnpackError("hc1.prefix", stage="prefix", prefix=repr(PREFIX))
    try:
        compressed = base45.decode(text[len(PREFIX):], max_chars=MAX_QR_CHARS - len(PREFIX))
    except base45.Base45Error as exc:
        raise UnpackError(exc.words.code, stage="base45", **exc.words.params) from None
    message = inflate(compressed) if compressed[:1] == b"\x78" else compressed
    return parse_sign1(message)


def cut_short(text: str) -> bool:
    """Whether ``HC1:…`` text that does not unpack is a certificate whose end is missing (a
    scanner that stopped at 256 characters, a code read in part): Base45 characters only,
    and up to its last whole group of three, the start of a zlib stream that has not ended
    (or not begun).
    A cut may leave one or two characters of a group, or end a stream mid-block (a
    garbled last byte): not a damaged code, one read in part."""
    body = text[len(PREFIX):]
    if not text.startswith(PREFIX) or not set(body) <= set(base45.ALPHABET):
        return False
    try:
        data = base45.decode(body[:len(body) - len(body) % 3],
                             max_chars=MAX_QR_CHARS - len(PREFIX))
    except base45.Base45Error:
        return False
    inflater = zlib.decompressobj()
    try:
        inflater.decompress(data, MAX_SIGNED_BYTES + 1)
    except zlib.error:
        return False
    return data[:1] in (b"", b"\x78") and not inflater.eof


def inflate(data: bytes, limit: int = MAX_SIGNED_BYTES) -> bytes:
    """zlib → bytes, stopping as soon as the output would pass ``limit``."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise UnpackError("hc1.library", stage="zlib", detail=exc) from None
    if len(out) > limit:
        raise UnpackError("hc1.inflates_over", stage="zlib", limit=limit)
    if not inflater.eof:
        raise UnpackError("hc1.truncated", stage="zlib")
    return out


def parse_sign1(message: bytes) -> Sign1:
    if len(message) > MAX_SIGNED_BYTES:
        raise UnpackError("hc1.too_large", stage="cose", limit=MAX_SIGNED_BYTES)
    import cbor2

    obj = _cbor(message, "cose")
    for _ in range(2):  # a CWT tag around the COSE_Sign1 tag is allowed (hcert §3.3)
        if isinstance(obj, cbor2.CBORTag) and obj.tag in (_COSE_SIGN1_TAG, _CWT_TAG):
            obj = obj.value
    if not (isinstance(obj, list | tuple) and len(obj) == 4):
        raise UnpackError("hc1.not_sign1", stage="cose")
    protected, unprotected, payload, signature = obj
    if not (isinstance(protected, bytes) and isinstance(unprotected, Mapping)
            and isinstance(payload, bytes) and isinstance(signature, bytes)):
        raise UnpackError("hc1.wrong_types", stage="cose")
    header = _cbor(protected, "cose") if protected else {}
    if not isinstance(header, Mapping):
        raise UnpackError("hc1.header_not_map", stage="cose")
    return Sign1(protected, dict(header), dict(unprotected), payload, signature)


def claims(message: Sign1) -> Claims:
    """The CWT claims of a message's payload; raises UnpackError (stage "cwt")."""
    cwt = _cbor(message.payload, "cwt")
    if not isinstance(cwt, Mapping):
        raise UnpackError("hc1.claims_not_map", stage="cwt")
    hcert = cwt.get(_HCERT)
    certificate = hcert.get(1) if isinstance(hcert, Mapping) else None
    if not isinstance(certificate, Mapping):
        raise UnpackError("hc1.no_dcc", stage="cwt")
    issuer = cwt.get(_ISS)
    return Claims(
        issuer=issuer if isinstance(issuer, str) else None,
        issued_at=_time(cwt, _IAT, "iat"),
        expires_at=_time(cwt, _EXP, "exp"),
        not_before=_time(cwt, _NBF, "nbf"),
        certificate=dict(certificate),
    )


def _time(cwt: Mapping[Any, Any], key: int, name: str) -> float | None:
    value = cwt.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise UnpackError("hc1.bad_time", stage="cwt", name=name)
    return float(value)


def _cbor(data: bytes, stage: str) -> Any:
    import cbor2

    try:
        return cbor2.loads(data)
    except (cbor2.CBORDecodeError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        raise UnpackError("hc1.not_cbor", stage=stage, detail=exc) from None
