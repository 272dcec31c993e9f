"""What an EU DCC says, in the few facts an officer compares: who, and what it certifies.

Field names follow the DCC JSON schema (``nam``/``dob``; ``v`` vaccination with dose ``dn``
of ``sd`` on ``dt``; ``t`` test with result ``tr`` sampled at ``sc``; ``r`` recovery valid
``df``…``du``). Unknown or odd values are kept as text, never raised on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VACCINATION, TEST, RECOVERY = "vaccination", "test", "recovery"
KINDS = {"v": VACCINATION, "t": TEST, "r": RECOVERY}
NOT_DETECTED, DETECTED = "260415000", "260373001"
"""SNOMED CT codes of a test result (value set ``covid-19-lab-result``)."""


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
    names = certificate.get("nam")
    names = names if isinstance(names, Mapping) else {}
    name = " ".join(_text(names.get(k)) for k in ("gn", "fn") if names.get(k))
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
