"""EU DCC test vectors from the shared test data, and certificates signed here for the cases
the vectors do not hold (bad signature, unknown signer, expired…). Signing uses
``cryptography`` with real keys: the kiosk verifies exactly what an issuer would produce."""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from kiosk.certificates import base45, trustlist

DGC = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "dgc"
USAGE_OID = {"test": "1.3.6.1.4.1.1847.2021.1.1", "vaccination": "1.3.6.1.4.1.1847.2021.1.2",
             "recovery": "1.3.6.1.4.1.1847.2021.1.3"}


@dataclass(frozen=True)
class Vector:
    path: Path
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.path.relative_to(DGC))

    @property
    def country(self) -> str:
        return self.path.relative_to(DGC).parts[0]

    @property
    def expected(self) -> dict[str, Any]:
        return self.data.get("EXPECTEDRESULTS", {})

    @property
    def clock(self) -> float:
        """TESTCTX.VALIDATIONCLOCK as Unix time; a clock without a zone is read as UTC."""
        moment = dt.datetime.fromisoformat(self.data["TESTCTX"]["VALIDATIONCLOCK"])
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()

    @property
    def signer_der(self) -> bytes:
        return base64.b64decode(self.data["TESTCTX"]["CERTIFICATE"])


@cache
def vectors() -> tuple[Vector, ...]:
    """Every raw vector of every country (folder spelling varies: raw/Raw)."""
    paths = sorted(p for p in DGC.glob("*/2DCode/*/*.json") if p.parent.name.lower() == "raw")
    return tuple(Vector(p, json.loads(p.read_text(encoding="utf-8-sig"))) for p in paths)


def trust_list_of(*ders: bytes, imported_at: dt.datetime | None = None
                  ) -> trustlist.TrustList:
    return trustlist.build([trustlist.signer_from_der(d) for d in ders],
                           imported_at=imported_at or dt.datetime.now(dt.UTC))


def came_from_the_centre(path: Path, body: bytes) -> bool:
    """Whether the kiosk's trust list at ``path`` is the one the centre sent as ``body``
    (the kiosk keeps it with its record of the fetch, under the centre's ETag)."""
    try:
        held = trustlist.load(path)
    except trustlist.TrustListError:
        return False
    return held.fetched is not None and held.fetched.etag == trustlist.etag(body)


# -- issuing certificates of our own ---------------------------------------------------------
@dataclass(frozen=True)
class Issuer:
    """A document signer made here: its key and its DER certificate."""

    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    der: bytes

    @property
    def kid(self) -> bytes:
        return trustlist.signer_from_der(self.der).kid

    @property
    def pem(self) -> bytes:
        cert = x509.load_der_x509_certificate(self.der)
        return cert.public_bytes(serialization.Encoding.PEM)

    def sign(self, certificate: dict[str, Any], *, issued: float, expires: float,
             kid: bytes | None = None, alg: int | None = None, country: str = "VN") -> str:
        """A complete ``HC1:`` payload as an issuer's app would produce it."""
        is_ec = isinstance(self.key, ec.EllipticCurvePrivateKey)
        alg = alg if alg is not None else (-7 if is_ec else -37)
        protected = cbor2.dumps({1: alg, 4: kid if kid is not None else self.kid})
        claims = cbor2.dumps({1: country, 6: int(issued), 4: int(expires),
                              -260: {1: certificate}})
        to_sign = cbor2.dumps(["Signature1", protected, b"", claims])
        if is_ec:
            r, s = decode_dss_signature(self.key.sign(to_sign, ec.ECDSA(hashes.SHA256())))
            size = (self.key.curve.key_size + 7) // 8
            signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
        else:
            signature = self.key.sign(to_sign, padding.PSS(
                mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
        message = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, claims, signature]))
        return "HC1:" + encode_base45(zlib.compress(message, 9))


def make_issuer(*, rsa_key: bool = False, usages: tuple[str, ...] = (),
                country: str = "VN") -> Issuer:
    key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if rsa_key
           else ec.generate_private_key(ec.SECP256R1()))
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"DSC test {country}")])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=365)))
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [x509.ObjectIdentifier(USAGE_OID[u]) for u in usages]), critical=False)
    cert = builder.sign(key, hashes.SHA256())
    return Issuer(key, cert.public_bytes(serialization.Encoding.DER))


def vaccination(dose: int = 2, doses: int = 2, *, name: tuple[str, str] = ("Nguyễn", "Văn An"),
                birth: str = "1990-02-01") -> dict[str, Any]:
    return {"ver": "1.3.0", "dob": birth,
            "nam": {"fn": name[0], "gn": name[1], "fnt": "NGUYEN", "gnt": "VAN<AN"},
            "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528",
                   "ma": "ORG-100030215", "dn": dose, "sd": doses, "dt": "2022-03-01",
                   "co": "VN", "is": "Ministry of Health", "ci": "URN:UVCI:01:VN:TEST"}]}


def lab_test(detected: bool = False) -> dict[str, Any]:
    return {"ver": "1.3.0", "dob": "1985-07-15",
            "nam": {"fn": "Trần", "gn": "Thị Bình", "fnt": "TRAN", "gnt": "THI<BINH"},
            "t": [{"tg": "840539006", "tt": "LP6464-4", "sc": "2022-03-01T08:00:00Z",
                   "tr": "260373001" if detected else "260415000", "tc": "Bệnh viện",
                   "co": "VN", "is": "Ministry of Health", "ci": "URN:UVCI:01:VN:T1"}]}


def encode_base45(data: bytes) -> str:
    """RFC 9285 encoding (the kiosk only decodes; tests need to build codes)."""
    alphabet = base45.ALPHABET
    out = []
    for i in range(0, len(data) - 1, 2):
        value = data[i] * 256 + data[i + 1]
        value, c0 = divmod(value, 45)
        c2, c1 = divmod(value, 45)
        out += [alphabet[c0], alphabet[c1], alphabet[c2]]
    if len(data) % 2:
        c1, c0 = divmod(data[-1], 45)
        out += [alphabet[c0], alphabet[c1]]
    return "".join(out)
