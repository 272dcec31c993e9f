"""Benchmark: checking the wire entry — msgspec (shipped), pydantic, the former hand-written check.

    .venv/bin/python scripts/bench_protocol.py [--entries 2000] [--rounds 30]

What the centre does with each batch body, per entry: parse the JSON, check the envelope,
then check every entry and turn it into a storable row (``extra`` as canonical JSON text,
the payload as bytes), refusing a bad entry on its own with a reason. The batch is
realistic (tests/sync_support.backlog_rows: CCCD scans with Vietnamese names and addresses,
every tenth a ~600-byte vaccination-certificate code). Each way must give the very rows the
shipped check gives. Rounds are interleaved (A B C A B C …) so other load on the machine
hits every way alike; the figure is process CPU time per entry, best and median of the
rounds.

Ways measured:
* ``msgspec`` — what ships: ``orjson.loads`` + ``protocol.entry_row`` (``msgspec.convert``
  into the :class:`kiosk.sync.protocol.Entry` Struct, then the rules a type cannot say).
* ``hand-written`` — the check it replaced (kept here, verbatim in behaviour, as the
  baseline): cheap Python checks on the dict, explanation only for a failing entry.
* ``pydantic`` — the same rules as a pydantic v2 model (strict), ``validate_python`` per
  entry, then the same extra rules and conversion.
* whole-batch rows (``msgspec typed decode``, ``pydantic validate_json``) — the whole body
  decoded straight into typed entries in one call. Not usable as is (one bad entry fails the
  whole batch), shown as the ceiling a per-entry check could approach.
"""

from __future__ import annotations

import argparse
import binascii
import json
import operator
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402
import orjson  # noqa: E402
import pydantic  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter  # noqa: E402

from kiosk.sync import protocol as P  # noqa: E402
from tests.sync_support import backlog_rows  # noqa: E402

BATCH_ID = "01a200b3-6972-7184-a3c6-0b3ee4f5d2af"


# -- the former hand-written check (kiosk/sync/protocol.py before the Struct) --------------
_KINDS = {"id": "id", "checkpoint_id": "text", "kiosk_id": "text", "device_id": "text",
          "lane": "opt", "direction": "direction", "status": "status", "duplicate_of": "opt",
          "source": "text", "symbology": "str", "scanned_at": "time", "monotonic_ns": "int",
          "boot_id": "text", "kind": "text", "subject_key": "text", "match_key": "opt",
          "document_number": "opt", "name": "opt", "birth_date": "opt", "gender": "opt",
          "address": "opt", "issue_date": "opt", "extra": "obj", "operator": "str",
          "payload_b64": "b64", "certificate": "optobj"}
_FIELD_SET = frozenset(_KINDS)
_REQUIRED_SET = _FIELD_SET - {"certificate"}
_PLAIN = tuple(f for f in _KINDS if f not in ("extra", "payload_b64", "certificate"))
_get_plain = operator.itemgetter(*_PLAIN)
_get_text = operator.itemgetter(*(f for f, k in _KINDS.items() if k == "text"))
_get_str = operator.itemgetter(*(f for f, k in _KINDS.items() if k == "str"))
_get_opt = operator.itemgetter(*(f for f, k in _KINDS.items() if k == "opt"))
_MAX_B64 = (P.MAX_PAYLOAD_BYTES + 2) // 3 * 4


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def hand_written_entry_row(obj: Any) -> tuple[tuple[Any, ...] | None, str | None]:
    """The former fast path; a refusal is explained by the shipped explanation (the former
    one gave the same reasons, and only refused entries pay for it)."""
    if type(obj) is not dict or (obj.keys() != _FIELD_SET and obj.keys() != _REQUIRED_SET):
        return None, P.validate_entry(obj)
    try:
        texts = _get_text(obj)
        strings = (*texts, *_get_str(obj), *[v for v in _get_opt(obj) if v is not None])
        joined = "".join(strings)
        if (not all(texts) or max(map(len, strings)) > P.MAX_TEXT_CHARS or "\x00" in joined
                or not (joined.isascii() or _utf8(joined))):
            return None, P.validate_entry(obj)
        value = obj["monotonic_ns"]
        if (type(value) is not int or not 0 <= value <= P.MAX_INT
                or obj["direction"] not in ("in", "out")
                or obj["status"] not in ("accepted", "duplicate")
                or not P.is_uuid7(obj["id"])
                or P.parse_time(obj["scanned_at"]) is None
                or not isinstance(obj["extra"], dict)):
            return None, P.validate_entry(obj)
        extra, problem = P._json_text(obj["extra"])
        if problem:
            return None, P.validate_entry(obj)
        b64 = obj["payload_b64"]
        if not isinstance(b64, str) or len(b64) > _MAX_B64:
            return None, P.validate_entry(obj)
        payload = binascii.a2b_base64(b64, strict_mode=True)
        if not payload:
            return None, P.validate_entry(obj)
        certificate = obj.get("certificate")
        if certificate is not None:
            if not isinstance(certificate, dict):
                return None, P.validate_entry(obj)
            certificate, problem = P._json_text(certificate)
            if problem:
                return None, P.validate_entry(obj)
    except (TypeError, ValueError, binascii.Error):
        return None, P.validate_entry(obj)
    return (*_get_plain(obj), extra, payload, certificate), None


# -- pydantic: the same rules as a strict v2 model -----------------------------------------
PText = Annotated[str, StringConstraints(min_length=1, max_length=P.MAX_TEXT_CHARS)]
PStr = Annotated[str, StringConstraints(max_length=P.MAX_TEXT_CHARS)]


class PydanticEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: Annotated[str, StringConstraints(pattern=f"^{P._UUID7_RE.pattern}$")]
    checkpoint_id: PText
    kiosk_id: PText
    device_id: PText
    lane: PStr | None
    direction: Literal["in", "out"]
    status: Literal["accepted", "duplicate"]
    duplicate_of: PStr | None
    source: PText
    symbology: PStr
    scanned_at: Annotated[str, StringConstraints(pattern=f"^{P._TIME_RE.pattern}$")]
    monotonic_ns: Annotated[int, Field(ge=0, le=P.MAX_INT)]
    boot_id: PText
    kind: PText
    subject_key: PText
    match_key: PStr | None
    document_number: PStr | None
    name: PStr | None
    birth_date: PStr | None
    gender: PStr | None
    address: PStr | None
    issue_date: PStr | None
    extra: dict[str, Any]
    operator: PStr
    payload_b64: Annotated[str, StringConstraints(max_length=_MAX_B64)]
    certificate: dict[str, Any] | None = None


class PydanticBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    protocol: Literal[1]
    kiosk_id: PText
    batch_id: str
    sent_at: str
    entries: list[PydanticEntry]


_pydantic_entry = TypeAdapter(PydanticEntry).validate_python
_pydantic_batch = TypeAdapter(PydanticBatch).validate_json
_get_model_plain = operator.attrgetter(*_PLAIN)
_STRING_FIELDS = tuple(f for f, k in _KINDS.items() if k in ("text", "str", "opt"))
_get_model_strings = operator.attrgetter(*_STRING_FIELDS)


def _model_row(entry: Any) -> tuple[tuple[Any, ...] | None, str | None]:
    """The rules a type cannot say, as the shipped check applies them, then the row."""
    extra, problem = P._json_text(entry.extra)
    certificate, unfit = (None, None) if entry.certificate is None else \
        P._json_text(entry.certificate)
    try:
        payload = binascii.a2b_base64(entry.payload_b64, strict_mode=True)
    except (binascii.Error, ValueError):
        payload = b""
    if (problem or unfit or not payload or P.parse_time(entry.scanned_at) is None
            or P._text_problem("".join(filter(None, _get_model_strings(entry))))):
        return None, "refused"
    return (*_get_model_plain(entry), extra, payload, certificate), None


def pydantic_entry_row(obj: Any) -> tuple[tuple[Any, ...] | None, str | None]:
    try:
        entry = _pydantic_entry(obj)
    except pydantic.ValidationError:
        return None, P.validate_entry(obj)
    row = _model_row(entry)[0]
    return (row, None) if row is not None else (None, P.validate_entry(obj))


# -- the ways, body → rows ------------------------------------------------------------------
def per_entry(check: Callable[[Any], tuple[Any, Any]]) -> Callable[[bytes], list[Any]]:
    def run(body: bytes) -> list[Any]:
        batch = orjson.loads(body)
        P.validate_batch(batch)
        return [check(entry)[0] for entry in batch["entries"]]
    return run


_msgspec_batch = msgspec.json.Decoder(P.Batch).decode
_get_struct_plain = operator.attrgetter(*_PLAIN)


def msgspec_whole(body: bytes) -> list[Any]:
    batch = _msgspec_batch(body)
    out = []
    for entry in batch.entries:
        extra, problem = P._json_text(entry.extra)
        certificate, unfit = (None, None) if entry.certificate is None else \
            P._json_text(entry.certificate)
        if problem or unfit or P.parse_time(entry.scanned_at) is None or P._text_problem(
                "".join(filter(None, P._get_strings(entry)))):
            raise ValueError("refused")
        out.append((*_get_struct_plain(entry), extra, entry.payload_b64, certificate))
    return out


def pydantic_whole(body: bytes) -> list[Any]:
    return [_model_row(entry)[0] for entry in _pydantic_batch(body).entries]


WAYS: dict[str, Callable[[bytes], list[Any]]] = {
    "msgspec: orjson.loads + protocol.entry_row (shipped)": per_entry(P.entry_row),
    "hand-written: orjson.loads + the former entry_row": per_entry(hand_written_entry_row),
    "pydantic v2: orjson.loads + validate_python per entry": per_entry(pydantic_entry_row),
    "whole batch: msgspec typed decode": msgspec_whole,
    "whole batch: pydantic validate_json": pydantic_whole,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    rows = list(backlog_rows(args.entries, kiosk_id="kiosk-bench"))
    body = orjson.dumps(P.make_batch("kiosk-bench", BATCH_ID,
                                     [P.entry_to_wire(r) for r in rows]))
    expected = per_entry(P.entry_row)(body)
    assert all(row is not None for row in expected)
    for name, way in WAYS.items():
        assert way(body) == expected, f"{name} gives other rows"

    times: dict[str, list[float]] = {name: [] for name in WAYS}
    for _ in range(args.rounds):
        for name, way in WAYS.items():
            started = time.process_time()
            way(body)
            times[name].append((time.process_time() - started) / args.entries * 1e6)
    print(f"{args.entries:,} entries, {len(body) / args.entries:.0f} bytes of JSON each; "
          f"{args.rounds} interleaved rounds; load average {os.getloadavg()[0]:.1f}; "
          f"Python {platform.python_version()}, msgspec {msgspec.__version__}, "
          f"pydantic {pydantic.VERSION}, orjson {orjson.__version__}")
    shipped = min(next(iter(times.values())))
    print("| way | best µs/entry | median µs/entry | best vs shipped |\n|---|---:|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {min(values):.2f} | {statistics.median(values):.2f} | "
              f"{min(values) / shipped:.2f}× |")

    bad = [dict(e) for e in orjson.loads(body)["entries"]]
    for entry in bad[::20]:
        entry["scanned_at"] = "2024-05-01 08:00"  # what a buggy older kiosk could send
    started = time.process_time()
    reasons = [P.entry_row(entry)[1] for entry in bad]
    spent = (time.process_time() - started) / len(bad) * 1e6
    refused = sum(r is not None for r in reasons)
    print(f"\nshipped check with {refused} of {len(bad):,} entries refused (each explained): "
          f"{spent:.2f} µs/entry")
    print(json.dumps(next(r for r in reasons if r), ensure_ascii=False))


if __name__ == "__main__":
    main()
