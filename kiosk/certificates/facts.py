"""What an EU DCC says, in the few facts an officer compares: who, and what it certifies.

Field names follow the DCC JSON schema (``nam``/``dob``; ``v`` vaccination with dose ``dn``
of ``sd`` on ``dt``; ``t`` test with result ``tr`` sampled at ``sc``; ``r`` recovery valid
``df``…``du``). Unknown or odd values are kept as text, never raised on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VACCINATION, TEST, RECOVERY = "vaccination", "test", "recovery"
KINDS = {"v": VACCINATION, "t": TEST, "r": RECOVERY}
NOT_DETECTED, DETECTED = "260415000", "260373001"
"""SNOMED CT codes of a test result (value set ``covid-19-lab-result``)."""
FAMILY_FIRST = frozenset({"VN", "CN", "HK", "MO", "TW", "JP", "KR", "KP", "KH", "HU"})
"""Issuing countries whose people write the family name first ("Nguyễn Văn An")."""
_UVCI_COUNTRY = re.compile(r"(?:urn:uvci:|dgci:)?(?:0\d|v\d)[: ]?([a-z]{2})", re.IGNORECASE)
"""The issuing country in a UVCI as issuers write it: ``URN:UVCI:01:VN:…``, ``01BEVL…``,
``URN:UVCI:01DE/…``, ``dgci:V1:CY:…``, ``01 IS/…``."""


@dataclass(frozen=True)
class Facts:
    kind: str | None
    """vaccination, test or recovery; None when the certificate holds no entry."""
    name: str = ""
    name_standard: str = ""
    """ICAO 9303 transliteration (``fnt<gnt``): the same for every script a name is written in."""
    birth_date: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    """Kind-specific: dose/doses/date; result/sampled_at/test_type; valid_from/valid_until."""
    kinds: tuple[str, ...] = ()
    """Every kind present (more than one only in early, non-conforming certificates)."""

    @property
    def positive_test(self) -> bool:
        return self.kind == TEST and self.details.get("result") == "detected"


def read(certificate: Mapping[Any, Any]) -> Facts:
    """The facts, the name in the order its issuing country writes it (``issuing_country``)."""
    names = certificate.get("nam")
    names = names if isinstance(names, Mapping) else {}
    order = ("fn", "gn") if issuing_country(certificate) in FAMILY_FIRST else ("gn", "fn")
    name = " ".join(_text(names.get(k)) for k in order if names.get(k))
    standard = "<".join(_text(names.get(k)) for k in ("fnt", "gnt") if names.get(k))
    kinds = tuple(KINDS[k] for k in ("v", "t", "r")
                  if isinstance(certificate.get(k), list | tuple) and certificate[k])
    kind = kinds[0] if kinds else None
    details: dict[str, Any] = {}
    if kind == VACCINATION:
        details = _vaccination(certificate["v"])
    elif kind == TEST:
        details = _test(certificate["t"][0])
    elif kind == RECOVERY:
        details = _recovery(certificate["r"][0])
    return Facts(kind=kind, name=name, name_standard=standard,
                 birth_date=_text(certificate.get("dob")), details=details, kinds=kinds)


def issuing_country(certificate: Mapping[Any, Any]) -> str:
    """The country that issued the certificate: its UVCI's (``ci``), else where the dose,
    test or recovery was (``co``); "" when neither says.

    It decides the name's order (``read``): a Vietnamese certificate carries fn="Nguyễn",
    gn="Văn An", and "Văn An Nguyễn" is not the name on the same person's CCCD that the
    officer compares it with, nor how they read it. Names from ``FAMILY_FIRST`` countries are
    shown family name first, as written there; others given name first, the DCC's own way."""
    entries = [e for k in ("v", "t", "r") if isinstance(certificate.get(k), list | tuple)
               for e in certificate[k] if isinstance(e, Mapping)]
    for entry in entries:
        uvci = entry.get("ci")
        if isinstance(uvci, str) and (match := _UVCI_COUNTRY.match(uvci.strip())):
            return match.group(1).upper()
    for entry in entries:
        country = entry.get("co")
        if isinstance(country, str) and country.strip():
            return country.strip().upper()
    return ""


def _vaccination(entries: list[Any]) -> dict[str, Any]:
    """The latest dose when several entries are listed (schema 1.0 allowed it)."""
    doses = [e for e in entries if isinstance(e, Mapping)]
    if not doses:
        return {}
    last = max(doses, key=lambda e: (_int(e.get("dn")) or 0, _text(e.get("dt"))))
    return {"dose": _int(last.get("dn")), "doses": _int(last.get("sd")),
            "date": _text(last.get("dt")), "product": _text(last.get("mp")),
            "country": _text(last.get("co"))}


def _test(entry: Any) -> dict[str, Any]:
    entry = entry if isinstance(entry, Mapping) else {}
    code = _text(entry.get("tr"))
    result = {NOT_DETECTED: "not_detected", DETECTED: "detected"}.get(code, code)
    return {"result": result, "sampled_at": _text(entry.get("sc")),
            "test_type": _text(entry.get("tt")), "country": _text(entry.get("co"))}


def _recovery(entry: Any) -> dict[str, Any]:
    entry = entry if isinstance(entry, Mapping) else {}
    return {"first_positive": _text(entry.get("fr")), "valid_from": _text(entry.get("df")),
            "valid_until": _text(entry.get("du")), "country": _text(entry.get("co"))}


def json_value(value: Any) -> Any:
    """A CBOR value JSON cannot hold, as the DCC JSON writes it: a tagged date-time (tag 0,
    decoded by cbor2 to a datetime) as RFC 3339 text, a date as ISO text, bytes as hex."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() == dt.timedelta(0):
            return value.strftime("%Y-%m-%dT%H:%M:%S") + (
                f".{value.microsecond:06d}" if value.microsecond else "") + "Z"
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else str(json_value(value))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
