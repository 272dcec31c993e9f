"""COSE_Sign1 signature check with ``cryptography``: ES256 and PS256, the two EU DCC allows.

ES256 is ECDSA with SHA-256 (RFC 9053 §2.1); the signature is r‖s, each as long as the
signer's curve order, so a P-384 document signer using ES256 is checked as such rather than
refused. PS256 is RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 8230).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from kiosk.certificates.cose import Sign1

ES256, PS256 = -7, -37
ALGORITHMS = {ES256: "ES256", PS256: "PS256"}
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def problem(message: Sign1, key: PublicKey) -> str | None:
    """None when ``key`` signed ``message``; else why not, in a few words."""
    alg = message.alg
    data = message.to_be_signed()
    try:
        if alg == ES256 and isinstance(key, ec.EllipticCurvePublicKey):
            size = (key.curve.key_size + 7) // 8
            if len(message.signature) != 2 * size:
                return f"ES256 signature of {len(message.signature)} bytes, expected {2 * size}"
            r = int.from_bytes(message.signature[:size], "big")
            s = int.from_bytes(message.signature[size:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        elif alg == PS256 and isinstance(key, rsa.RSAPublicKey):
            key.verify(message.signature, data, _PSS, hashes.SHA256())
        elif alg in ALGORITHMS:
            return f"{ALGORITHMS[alg]} signature but the signer holds a {_key_name(key)} key"
        else:
            return f"algorithm {alg!r} is not ES256 or PS256"
    except InvalidSignature:
        return "signature does not match"
    return None


def _key_name(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    return type(key).__name__
