"""Every EU DCC test vector in the shared test data, judged by the kiosk's own code.

Each vector's ``EXPECTEDRESULTS`` is checked with its ``TESTCTX`` (the signer's certificate
as the only entry of a trust list, ``VALIDATIONCLOCK`` as the kiosk's clock). The test ids
say per country how many vectors and expectations were checked. Expectations the kiosk has
no part in (it neither creates certificates nor holds the DCC JSON schema) are counted as
skipped; vectors whose fields contradict each other are listed in ``DISAGREEING`` with the
reason, and the test checks that they still disagree exactly as described.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2
import cv2
import numpy as np
import pytest

from kiosk.certificates import base45, cose, facts, verdicts
from kiosk.devices.qr_decoders import read_zxing
from tests.certificate_support import DGC, Vector, trust_list_of, vectors

pytestmark = pytest.mark.skipif(not DGC.exists(), reason="EU DCC test data not present")

NOT_APPLICABLE = {
    "EXPECTEDSCHEMAVALIDATION": "the kiosk does not hold the DCC JSON schema",
    "EXPECTEDVALIDOBJECT": "the kiosk does not hold the DCC JSON schema",
    "EXPECTEDENCODE": "the kiosk verifies certificates, it never encodes one",
}

DISAGREEING: dict[tuple[str, str], str] = {
    ("IS/2DCode/raw/3.json", "EXPECTEDKEYUSAGE"):
        "expects the key-usage check to fail, but its signer certificate carries no EU DCC "
        "key-usage OID (only ICAO 2.23.136.1.1.14.2), and a signer without one may sign "
        "every kind (hcert spec; BasicDgcTestsList CO15). Its own DESCRIPTION says 'valid, "
        "no key usage', and IS/4 and IS/5, the same case, expect the check to pass.",
    **{(f"BG/2DCode/raw/{n}.json", "EXPTECTEDEXPIRED"):
        "'EXPTECTEDEXPIRED' is not a key of the test-data format; read as 'expired: true' "
        "it contradicts the CWT, which is neither expired nor not yet valid at "
        "VALIDATIONCLOCK" for n in (1, 2, 3, 4)},
    **{(f"ES/2DCode/raw/{n}.json", "EXPTECTEDEXPIRED"):
        "'EXPTECTEDEXPIRED' is not a key of the test-data format; read as 'expired: true' "
        "it contradicts the CWT, which is neither expired nor not yet valid at "
        "VALIDATIONCLOCK" for n in (201, 202, 203)},
    **{("FR/2DCode/raw/test_pcr_ok.json", key):
        "its JSON's test times (sc 12:34:56Z, dr 12:45:01Z) are two hours off the signed "
        "CBOR's (14:34:56Z, 14:45:01Z): the JSON is not what was signed" for key in
        ("EXPECTEDDECODE", "EXPECTEDVALIDJSON")},
    **{(f"ES/2DCode/raw/{n}.json", "EXPECTEDRESULTS"):
        "'EXPECTEDRESULTS' nested inside EXPECTEDRESULTS names no check" for n in
        (1001, 1002, 1003)},
}


def _json_equal(decoded: Any, expected: Any) -> bool:
    """CBOR content vs the vector's JSON: compared as JSON values (maps are unordered; a
    CBOR date-time, tag 0, is its RFC 3339 text)."""
    return json.loads(json.dumps(decoded, default=facts.json_value)) == expected


def _judge(vector: Vector) -> verdicts.Verdict:
    message = cose.parse_sign1(bytes.fromhex(vector.data["COSE"]))
    return verdicts.judge(message, trust_list_of(vector.signer_der), now=vector.clock)


def _picture(vector: Vector) -> bytes | None:
    """What the kiosk's camera decoder reads from the vector's QR image: its 2DCODE, or, where
    a country keeps its images apart, the file of the same name in its png/ folder."""
    if "2DCODE" in vector.data:
        image = base64.b64decode(vector.data["2DCODE"])
    else:
        image = _png_file(vector).read_bytes()
    gray = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_GRAYSCALE)
    readings = read_zxing(gray).readings if gray is not None else []
    return readings[0].payload if readings else None


def _png_file(vector: Vector) -> Path:
    def key(name: str) -> str:  # "DGC_QrCode_00001_Raw" ~ "DGC_QrCode_00001", "1" ~ "1_qr"
        return re.sub(r"(raw|qr)$", "", re.sub(r"[^a-z0-9]", "", name.lower()))

    folder = DGC / vector.country / "png"
    found = [p for p in folder.glob("*.png") if key(p.stem) == key(vector.path.stem)]
    if len(found) != 1:
        raise KeyError("2DCODE")
    return found[0]


def _compressed(vector: Vector) -> bytes:
    """COMPRESSED, or where a vector leaves it out, what its BASE45 decodes to."""
    if "COMPRESSED" in vector.data:
        return bytes.fromhex(vector.data["COMPRESSED"])
    return base45.decode(vector.data["BASE45"], max_chars=cose.MAX_QR_CHARS)


def _b45(vector: Vector) -> bool:
    decoded = base45.decode(vector.data["BASE45"], max_chars=cose.MAX_QR_CHARS)
    if "COMPRESSED" in vector.data:
        return decoded == bytes.fromhex(vector.data["COMPRESSED"])
    return cose.inflate(decoded) == bytes.fromhex(vector.data["COSE"])


def _decode(vector: Vector) -> bool:
    """The COSE's payload and the CBOR field (the DCC alone, or in places the whole CWT) both
    hold the vector's JSON."""
    from_cose = cose.claims(cose.parse_sign1(bytes.fromhex(vector.data["COSE"]))).certificate
    cbor = cbor2.loads(bytes.fromhex(vector.data["CBOR"]))
    if -260 in cbor:
        cbor = cbor[-260][1]
    return _json_equal(from_cose, vector.data["JSON"]) and _json_equal(cbor, vector.data["JSON"])


CHECKS: dict[str, Callable[[Vector], bool]] = {
    "EXPECTEDUNPREFIX": lambda v: (v.data["PREFIX"].startswith(cose.PREFIX)
                                   and v.data["PREFIX"][len(cose.PREFIX):] == v.data["BASE45"]),
    "EXPECTEDB45DECODE": _b45,
    "EXPECTEDCOMPRESSION": lambda v: cose.inflate(_compressed(v)) == bytes.fromhex(v.data["COSE"]),
    "EXPECTEDDECODE": _decode,
    "EXPECTEDVALIDJSON": lambda v: _json_equal(
        cose.claims(cose.unpack(v.data["PREFIX"])).certificate, v.data["JSON"]),
    "EXPECTEDVERIFY": lambda v: _judge(v).signature_verified,
    "EXPECTEDEXPIRATIONCHECK": lambda v: _judge(v).status not in (verdicts.EXPIRED,
                                                                   verdicts.NOT_YET_VALID),
    "EXPECTEDKEYUSAGE": lambda v: _judge(v).status != verdicts.WRONG_KIND,
    "EXPECTEDPICTUREDECODE": lambda v: _picture(v) == v.data["PREFIX"].encode("ascii"),
    "EXPTECTEDEXPIRED": lambda v: _judge(v).status in (verdicts.EXPIRED,
                                                       verdicts.NOT_YET_VALID),
    "EXPECTEDRESULTS": lambda v: False,
}


def _by_country() -> dict[str, list[Vector]]:
    countries: dict[str, list[Vector]] = {}
    for vector in vectors():
        countries.setdefault(vector.country, []).append(vector)
    return countries


def _label(country: str, items: list[Vector]) -> str:
    """The test id: what passing it means for this country."""
    checked = [(v.name, k) for v in items for k in v.expected if k in CHECKS]
    listed = sum(1 for c in checked if c in DISAGREEING)
    skipped = sum(1 for v in items for k in v.expected if k in NOT_APPLICABLE)
    return (f"{country}: {len(items)} vectors, {len(checked) - listed} expectations met, "
            f"{listed} listed as disagreeing, {skipped} not applicable")


COUNTRIES = _by_country()


@pytest.mark.parametrize("country", sorted(COUNTRIES),
                         ids=[_label(c, COUNTRIES[c]) for c in sorted(COUNTRIES)])
def test_every_expectation_of_every_vector_is_met(country):
    failures = []
    for vector in COUNTRIES[country]:
        for key, expected in vector.expected.items():
            if key in NOT_APPLICABLE:
                continue
            assert key in CHECKS, f"{vector.name}: unknown expectation {key}"
            try:
                outcome = CHECKS[key](vector)
            except (cose.UnpackError, base45.Base45Error, ValueError) as exc:
                outcome = False
                detail = str(exc)
            except KeyError as exc:
                outcome = False
                detail = f"(the vector has no {exc.args[0]} to check)"
            else:
                detail = ""
            listed = (vector.name, key) in DISAGREEING
            if (outcome == expected) == listed:
                failures.append(f"{vector.name} {key}: expected {expected}, got {outcome} "
                                f"{detail}{' (listed as disagreeing)' if listed else ''}")
    assert not failures, "\n".join(failures)


def test_the_disagreeing_list_names_only_vectors_that_exist():
    names = {v.name for v in vectors()}
    for name, key in DISAGREEING:
        assert name in names
        assert key in next(v for v in vectors() if v.name == name).expected


def test_every_vector_that_verifies_gives_its_holders_name():
    for vector in vectors():
        verdict = _judge(vector)
        if verdict.signature_verified:
            assert verdict.kind in ("vaccination", "test", "recovery"), vector.name
            assert verdict.facts.get("birth_date"), vector.name
