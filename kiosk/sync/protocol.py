"""The kiosk ↔ centre wire protocol, version 1: the one module both sides import.

Everything that crosses the wire is defined here — paths, the batch envelope, the entry
fields and their types, the answer, body encoding with a decompression guard, and token
derivations — so the sync client, the central server and the backlog-file importer cannot
drift apart. Bodies need ``orjson`` (the "sync" and "server" extras), imported by the
functions that encode and decode; ``zstandard`` is used when installed, never required.
The prose version with examples is ``docs/protocol.md``.
"""

from __future__ import annotations

import binascii
import datetime as dt
import gzip
import hashlib
import hmac
import io
import json
import operator
import re
import zlib
from collections.abc import Mapping
from typing import Any

PROTOCOL_VERSION = 1
BATCHES_PATH = "/api/v1/batches"
HEALTH_PATH = "/api/v1/health"
TRUST_LIST_PATH = "/api/v1/trust-list"
"""GET, token-authenticated: the certificate trust list the centre holds (see
kiosk.certificates.trustlist), with a strong ETag; If-None-Match gives 304 when unchanged."""

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
"""Per-entry answers. ``accepted`` and ``duplicate`` both mean "the centre holds it"."""

MAX_BATCH_ENTRIES = 10_000
MAX_BODY_BYTES = 16 * 1024 * 1024
"""Default limit on the body as sent (compressed)."""
MAX_DECODED_BYTES = 128 * 1024 * 1024
"""Default limit on the body after decompression (zip-bomb guard)."""
MAX_PAYLOAD_BYTES = 64 * 1024
"""Largest raw payload accepted; a QR code holds at most ~3 KB, a manual entry less."""
MAX_TEXT_CHARS = 4096
"""Largest text field (names, addresses, keys…)."""
MAX_EXTRA_CHARS = 64 * 1024
"""Largest ``extra`` object, measured as JSON text."""
MAX_INT = 2**63 - 1

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""The one timestamp format on the wire: UTC with microseconds, e.g. 2024-05-01T08:30:00.000000Z."""
_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID7_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

ENCODINGS = ("zstd", "gzip", "identity")
"""Content-Encoding values the server accepts, preferred first."""
BACKLOG_FILE_KEY_LABEL = b"kiosk-backlog-file-v1"

# Entry fields in wire order, with their type class:
#   id     canonical lowercase UUIDv7 text
#   text   non-empty string          str    string, may be empty
#   opt    string or null            time   UTC text in TIME_FORMAT
#   int    non-negative integer      obj    JSON object
#   b64    standard base64 text      in/out, accepted/duplicate: one of those strings
#   optobj JSON object or null; may be left out (an entry from before the field existed)
ENTRY_FIELDS: dict[str, str] = {
    "id": "id",
    "checkpoint_id": "text",
    "kiosk_id": "text",
    "device_id": "text",
    "lane": "opt",
    "direction": "direction",
    "status": "status",
    "duplicate_of": "opt",
    "source": "text",
    "symbology": "str",
    "scanned_at": "time",
    "monotonic_ns": "int",
    "boot_id": "text",
    "kind": "text",
    "subject_key": "text",
    "match_key": "opt",
    "document_number": "opt",
    "name": "opt",
    "birth_date": "opt",
    "gender": "opt",
    "address": "opt",
    "issue_date": "opt",
    "extra": "obj",
    "operator": "str",
    "payload_b64": "b64",
    "certificate": "optobj",
}
OPTIONAL_FIELDS = frozenset({"certificate"})
"""Fields added after version 1 was deployed: absent means null, so kiosks and backlog files
that predate them are still accepted. ``certificate`` is the HC1 certificate verdict
(kiosk.certificates.verdicts.Verdict.to_record)."""
_FIELD_SET = frozenset(ENTRY_FIELDS)
_REQUIRED_SET = _FIELD_SET - OPTIONAL_FIELDS
_CHOICES = {"direction": ("in", "out"), "status": (ACCEPTED, DUPLICATE)}
_STR_KINDS = {"text", "str", "opt"}
BATCH_FIELDS = ("protocol", "kiosk_id", "batch_id", "sent_at", "entries")


class ProtocolError(ValueError):
    """A request or answer that breaks the protocol; ``status`` is the HTTP status it maps to."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# -- times and ids -----------------------------------------------------------------------
def format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(TIME_FORMAT)


def parse_time(text: str) -> dt.datetime | None:
    """The aware UTC datetime of wire-format text, or None if it is not exactly that format."""
    if not isinstance(text, str) or not _TIME_RE.fullmatch(text):
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:  # well-formed but impossible, e.g. month 13
        return None


def is_uuid7(text: object) -> bool:
    return isinstance(text, str) and _UUID7_RE.fullmatch(text) is not None


# -- entries -----------------------------------------------------------------------------
_PLAIN_FIELDS = tuple(f for f in ENTRY_FIELDS if f not in ("extra", "payload_b64",
                                                             "certificate"))
ROW_COLUMNS = (*_PLAIN_FIELDS, "extra", "payload", "certificate")
"""An entry as stored on either side: the wire fields, ``extra`` as canonical JSON text
(``json.dumps(sort_keys=True, ensure_ascii=False)``, as the kiosk store writes it) and
``payload`` as the raw bytes."""
_get_plain = operator.itemgetter(*_PLAIN_FIELDS)
_get_text = operator.itemgetter(*(f for f, k in ENTRY_FIELDS.items() if k == "text"))
_get_str = operator.itemgetter(*(f for f, k in ENTRY_FIELDS.items() if k == "str"))
_get_opt = operator.itemgetter(*(f for f, k in ENTRY_FIELDS.items() if k == "opt"))
_MAX_B64 = (MAX_PAYLOAD_BYTES + 2) // 3 * 4
_canonical_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False).encode


def entry_to_wire(row: Mapping[str, Any]) -> dict[str, Any]:
    """A kiosk store row (``extra`` as JSON text, ``payload`` as bytes) → a wire entry.

    Columns that are not entry fields (``sync_state``, ``sync_error``, ``synced_at``) are
    left behind: they describe the kiosk's outbox, not the entry.
    """
    out = dict(zip(_PLAIN_FIELDS, _get_plain(row), strict=True))
    extra = row["extra"]
    out["extra"] = _orjson().loads(extra) if isinstance(extra, str | bytes) else \
        dict(extra or {})
    out["payload_b64"] = binascii.b2a_base64(bytes(row["payload"]), newline=False
                                             ).decode("ascii")
    certificate = row.get("certificate")
    if certificate is not None:  # left out when null: a centre that predates it accepts it
        out["certificate"] = (_orjson().loads(certificate)
                              if isinstance(certificate, str | bytes)
                              else dict(certificate))
    return out


def wire_to_row(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A wire entry → {ROW_COLUMNS: value}; raises ProtocolError(422) if it is not valid."""
    row, reason = entry_row(entry)
    if row is None:
        raise ProtocolError(422, reason or "entry: invalid")
    return dict(zip(ROW_COLUMNS, row, strict=True))


def entry_row(obj: object) -> tuple[tuple[Any, ...] | None, str | None]:
    """Validate and convert in one pass: (values in ROW_COLUMNS order, None) or (None, reason).

    The server's hot path: cheap checks first; only a failing entry pays for the detailed
    reason (:func:`validate_entry` gives the same verdict).
    """
    if type(obj) is not dict or (obj.keys() != _FIELD_SET and obj.keys() != _REQUIRED_SET):
        return None, _explain(obj)
    try:
        texts = _get_text(obj)
        strings = (*texts, *_get_str(obj), *[v for v in _get_opt(obj) if v is not None])
        joined = "".join(strings)  # TypeError if any is not a string
        if (not all(texts) or max(map(len, strings)) > MAX_TEXT_CHARS or "\x00" in joined
                or not (joined.isascii() or _utf8(joined))):
            return None, _explain(obj)
        value = obj["monotonic_ns"]
        if (type(value) is not int or not 0 <= value <= MAX_INT
                or obj["direction"] not in _CHOICES["direction"]
                or obj["status"] not in _CHOICES["status"]
                or not is_uuid7(obj["id"])
                or parse_time(obj["scanned_at"]) is None
                or not isinstance(obj["extra"], dict)):
            return None, _explain(obj)
        extra = _canonical_json(obj["extra"])
        if (len(extra) > MAX_EXTRA_CHARS or not (extra.isascii() or _utf8(extra))
                or ("\\u0000" in extra and _check_json_text("extra", obj["extra"]))):
            return None, _explain(obj)
        b64 = obj["payload_b64"]
        if not isinstance(b64, str) or len(b64) > _MAX_B64:
            return None, _explain(obj)
        payload = binascii.a2b_base64(b64, strict_mode=True)
        if not payload:
            return None, _explain(obj)
        certificate = obj.get("certificate")
        if certificate is not None:
            if not isinstance(certificate, dict):
                return None, _explain(obj)
            certificate = _canonical_json(certificate)
            if (len(certificate) > MAX_EXTRA_CHARS
                    or not (certificate.isascii() or _utf8(certificate))
                    or ("\\u0000" in certificate
                        and _check_json_text("certificate", obj["certificate"]))):
                return None, _explain(obj)
    except (TypeError, ValueError, binascii.Error):
        return None, _explain(obj)
    return (*_get_plain(obj), extra, payload, certificate), None


def _utf8(text: str) -> bool:
    """False for text holding a lone surrogate, which no database can store as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_entry(obj: object) -> str | None:
    """Why this wire entry cannot be stored, naming the field; None when it is valid.

    Deterministic: it looks at the entry alone, so the same entry always gets the same answer.
    """
    return entry_row(obj)[1]


def _explain(obj: object) -> str:
    """The detailed reason for an entry the fast checks refused."""
    return _reason(obj) or "entry: invalid"


def _reason(obj: object) -> str | None:
    """Field-by-field check in wire order: the first problem found, named."""
    if not isinstance(obj, dict):
        return f"entry: expected an object, got {_type_name(obj)}"
    if obj.keys() != _FIELD_SET and obj.keys() != _REQUIRED_SET:
        missing = sorted(_REQUIRED_SET - obj.keys())
        if missing:
            return f"{missing[0]}: missing field"
        return f"{sorted(obj.keys() - _FIELD_SET)[0]}: unknown field"
    for name, kind in ENTRY_FIELDS.items():
        if name not in obj:  # an optional field left out
            continue
        value = obj[name]
        if kind in _STR_KINDS:
            if value is None and kind == "opt":
                continue
            if not isinstance(value, str):
                expected = "a string or null" if kind == "opt" else "a string"
                return f"{name}: expected {expected}, got {_type_name(value)}"
            if kind == "text" and not value:
                return f"{name}: must not be empty"
            if len(value) > MAX_TEXT_CHARS:
                return f"{name}: longer than {MAX_TEXT_CHARS} characters"
            reason = _check_text(name, value)
            if reason:
                return reason
        elif kind == "id":
            if not is_uuid7(value):
                return f"id: expected a lowercase UUIDv7, got {_show(value)}"
        elif kind == "time":
            if parse_time(value) is None:
                return f"{name}: expected UTC time like 2024-05-01T08:30:00.000000Z, " \
                       f"got {_show(value)}"
        elif kind == "int":
            if type(value) is not int or not 0 <= value <= MAX_INT:
                return f"{name}: expected an integer from 0 to 2^63-1, got {_show(value)}"
        elif kind in ("obj", "optobj"):
            if value is None and kind == "optobj":
                continue
            if not isinstance(value, dict):
                return f"{name}: expected an object, got {_type_name(value)}"
            try:
                text = _canonical_json(value)
            except (TypeError, ValueError) as exc:
                return f"{name}: not representable as JSON ({exc})"
            if len(text) > MAX_EXTRA_CHARS:
                return f"{name}: larger than {MAX_EXTRA_CHARS} characters"
            reason = _check_json_text(name, value)
            if reason:
                return reason
        elif kind == "b64":
            reason = _check_b64(name, value)
            if reason:
                return reason
        elif value not in _CHOICES[kind]:
            choices = " or ".join(f'"{c}"' for c in _CHOICES[kind])
            return f"{name}: expected {choices}, got {_show(value)}"
    return None


def _check_text(name: str, value: str) -> str | None:
    """Text every database can hold: no NUL character, no lone UTF-16 surrogate."""
    if "\x00" in value:
        return f"{name}: contains a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{name}: not valid Unicode (lone surrogate)"
    return None


def _check_json_text(name: str, value: object) -> str | None:
    """_check_text over every key and string inside a JSON value."""
    if isinstance(value, str):
        return _check_text(name, value)
    if isinstance(value, dict):
        for key, item in value.items():
            reason = _check_text(name, key) or _check_json_text(name, item)
            if reason:
                return reason
    elif isinstance(value, list):
        for item in value:
            reason = _check_json_text(name, item)
            if reason:
                return reason
    return None


def _check_b64(name: str, value: object) -> str | None:
    if not isinstance(value, str):
        return f"{name}: expected base64 text, got {_type_name(value)}"
    if len(value) > _MAX_B64:
        return f"{name}: payload larger than {MAX_PAYLOAD_BYTES} bytes"
    try:
        raw = binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        return f"{name}: not valid base64"
    if not raw:
        return f"{name}: empty payload"
    return None


# -- batches -----------------------------------------------------------------------------
def make_batch(kiosk_id: str, batch_id: str, entries: list[dict[str, Any]],
               sent_at: dt.datetime | None = None) -> dict[str, Any]:
    """The envelope the client posts; ``sent_at`` defaults to now on the kiosk's clock."""
    return {
        "protocol": PROTOCOL_VERSION,
        "kiosk_id": kiosk_id,
        "batch_id": batch_id,
        "sent_at": format_time(sent_at or dt.datetime.now(dt.UTC)),
        "entries": entries,
    }


def validate_batch(obj: object, *, max_entries: int = MAX_BATCH_ENTRIES) -> dt.datetime:
    """Check the envelope; raises ProtocolError (422, or 413 for too many entries).

    Returns the parsed ``sent_at``. Entries are only checked for being objects with a string
    ``id`` (so each can get its own answer); their fields are judged one by one by
    :func:`validate_entry`, so one bad record never blocks a whole backlog.
    """
    if not isinstance(obj, dict):
        raise ProtocolError(422, f"body: expected a JSON object, got {_type_name(obj)}")
    for name in BATCH_FIELDS:
        if name not in obj:
            raise ProtocolError(422, f"{name}: missing field")
    unknown = sorted(obj.keys() - set(BATCH_FIELDS))
    if unknown:
        raise ProtocolError(422, f"{unknown[0]}: unknown field")
    if obj["protocol"] != PROTOCOL_VERSION or type(obj["protocol"]) is not int:
        raise ProtocolError(
            422, f"protocol: this server speaks protocol {PROTOCOL_VERSION}, "
                 f"got {_show(obj['protocol'])}")
    kiosk_id = obj["kiosk_id"]
    if not isinstance(kiosk_id, str) or not kiosk_id or len(kiosk_id) > MAX_TEXT_CHARS:
        raise ProtocolError(422, f"kiosk_id: expected a non-empty string, got {_show(kiosk_id)}")
    batch_id = obj["batch_id"]
    if not isinstance(batch_id, str) or not _UUID_RE.fullmatch(batch_id):
        raise ProtocolError(422, f"batch_id: expected a lowercase UUID, got {_show(batch_id)}")
    sent_at = parse_time(obj["sent_at"])
    if sent_at is None:
        raise ProtocolError(
            422, f"sent_at: expected UTC time like 2024-05-01T08:30:00.000000Z, "
                 f"got {_show(obj['sent_at'])}")
    entries = obj["entries"]
    if not isinstance(entries, list):
        raise ProtocolError(422, f"entries: expected an array, got {_type_name(entries)}")
    if len(entries) > max_entries:
        raise ProtocolError(413, f"entries: {len(entries)} entries, at most {max_entries} "
                                 f"per batch")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ProtocolError(
                422, f"entries[{index}]: expected an object, got {_type_name(entry)}")
        if not isinstance(entry.get("id"), str):
            raise ProtocolError(
                422, f"entries[{index}].id: expected a string, got {_show(entry.get('id'))}")
    return sent_at


def validate_response(obj: object, sent_ids: list[str]) -> tuple[list[str], dict[str, str]]:
    """The client's check of a 200 answer → (ids the centre holds, {id: rejection reason}).

    Raises ProtocolError(502) unless there is exactly one result per sent entry in the same
    order, so a confused answer can never acknowledge an entry the centre does not hold.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("results"), list):
        raise ProtocolError(502, "answer: no results array")
    results = obj["results"]
    if len(results) != len(sent_ids):
        raise ProtocolError(502, f"answer: {len(results)} results for {len(sent_ids)} entries")
    held: list[str] = []
    rejected: dict[str, str] = {}
    for sent, result in zip(sent_ids, results, strict=True):
        if not isinstance(result, dict) or result.get("id") != sent:
            raise ProtocolError(502, f"answer: result for {sent} missing or out of order")
        status = result.get("status")
        if status in (ACCEPTED, DUPLICATE):
            held.append(sent)
        elif status == REJECTED:
            rejected[sent] = str(result.get("reason") or "rejected without a reason")
        else:
            raise ProtocolError(502, f"answer: unknown status {_show(status)} for {sent}")
    return held, rejected


def clock_offset_seconds(received_at: dt.datetime, sent_at: dt.datetime) -> float:
    """Server receive time minus kiosk send time: ≈ the kiosk clock's error plus transit time."""
    return round((received_at - sent_at).total_seconds(), 6)


# -- bodies ------------------------------------------------------------------------------
def encode_body(obj: Any, encoding: str | None = None, *, level: int | None = None
                ) -> tuple[bytes, str]:
    """JSON (UTF-8, compact) compressed → (body, Content-Encoding value).

    ``encoding`` None picks zstd when the ``zstandard`` package is installed, else gzip.
    Integers must fit in 64 bits (no protocol field is larger); orjson raises TypeError else.
    """
    raw = _orjson().dumps(obj)  # compact UTF-8; 20× faster than json.dumps on a batch
    if encoding is None:
        encoding = "zstd" if _zstd() is not None else "gzip"
    if encoding == "zstd":
        zstd = _zstd()
        if zstd is None:
            raise ProtocolError(415, "zstd: the zstandard package is not installed")
        return zstd.ZstdCompressor(level=3 if level is None else level).compress(raw), "zstd"
    if encoding == "gzip":
        return gzip.compress(raw, compresslevel=1 if level is None else level, mtime=0), "gzip"
    if encoding == "identity":
        return raw, "identity"
    raise ProtocolError(415, f"Content-Encoding: unsupported {encoding!r} "
                             f"(supported: {', '.join(ENCODINGS)})")


def decode_body(data: bytes, content_encoding: str | None = None, *,
                max_decoded: int = MAX_DECODED_BYTES) -> Any:
    """Decompress (bounded) and parse JSON; raises ProtocolError 400, 413 or 415.

    Decompression stops as soon as the output passes ``max_decoded`` bytes, so a small
    compressed body that expands to gigabytes costs at most that much memory.
    """
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        if len(data) > max_decoded:
            raise _too_large(max_decoded)
        raw = data
    elif encoding in ("gzip", "x-gzip"):
        raw = _gunzip(data, max_decoded)
    elif encoding == "zstd":
        raw = _unzstd(data, max_decoded)
    else:
        raise ProtocolError(415, f"Content-Encoding: unsupported {content_encoding!r} "
                                 f"(supported: {', '.join(ENCODINGS)})")
    orjson = _orjson()
    try:
        return orjson.loads(raw)  # refuses NaN/Infinity and invalid UTF-8 itself
    except orjson.JSONDecodeError as exc:
        if "UTF-8" in exc.msg:
            raise ProtocolError(400, f"body: not UTF-8 text ({exc.msg})") from None
        if "depth limit" in exc.msg:
            raise ProtocolError(400, "body: JSON nested too deeply") from None
        raise ProtocolError(400, f"body: malformed JSON ({exc.msg} at line {exc.lineno} "
                                 f"column {exc.colno})") from None


def _gunzip(data: bytes, limit: int) -> bytes:
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise _too_large(limit)
            if not inflater.eof:
                raise ProtocolError(400, "body: truncated gzip data")
        except zlib.error as exc:
            raise ProtocolError(400, f"body: not valid gzip data ({exc})") from None
        data = inflater.unused_data  # another gzip member may follow
    return bytes(out)


def _unzstd(data: bytes, limit: int) -> bytes:
    zstd = _zstd()
    if zstd is None:
        raise ProtocolError(415, "Content-Encoding: zstd is not available on this server")
    out = bytearray()
    try:
        with zstd.ZstdDecompressor().stream_reader(io.BytesIO(data),
                                                   read_across_frames=True) as reader:
            while chunk := reader.read(1 << 20):
                out += chunk
                if len(out) > limit:
                    raise _too_large(limit)
    except zstd.ZstdError as exc:
        raise ProtocolError(400, f"body: not valid zstd data ({exc})") from None
    return bytes(out)


def _too_large(limit: int) -> ProtocolError:
    return ProtocolError(413, f"body: larger than {limit} bytes once decompressed")


def _orjson() -> Any:
    import orjson

    return orjson


def _zstd() -> Any:
    try:
        import zstandard
    except ImportError:
        return None
    return zstandard


# -- tokens ------------------------------------------------------------------------------
def token_hash(token: str) -> str:
    """What the centre stores instead of a kiosk's token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def backlog_file_key(token: str) -> bytes:
    """The key that signs a kiosk's backlog files: HMAC-SHA256(key=token, "kiosk-backlog-file-v1").

    Derived from the token, so a kiosk needs no second secret, and the centre (which keeps
    this key, never the token) can check a file's integrity without being able to submit
    batches as the kiosk.
    """
    return hmac.new(token.encode("utf-8"), BACKLOG_FILE_KEY_LABEL, hashlib.sha256).digest()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- schema for documentation ------------------------------------------------------------
def entry_json_schema() -> dict[str, Any]:
    """JSON Schema of one wire entry, generated from ENTRY_FIELDS (used for OpenAPI)."""
    text = {"type": "string", "maxLength": MAX_TEXT_CHARS}
    kinds: dict[str, dict[str, Any]] = {
        "id": {"type": "string", "format": "uuid", "pattern": _UUID7_RE.pattern},
        "text": {**text, "minLength": 1},
        "str": text,
        "opt": {"anyOf": [text, {"type": "null"}]},
        "time": {"type": "string", "pattern": _TIME_RE.pattern,
                 "example": "2024-05-01T08:30:00.000000Z"},
        "int": {"type": "integer", "minimum": 0},
        "obj": {"type": "object"},
        "optobj": {"anyOf": [{"type": "object"}, {"type": "null"}]},
        "b64": {"type": "string", "contentEncoding": "base64"},
        "direction": {"type": "string", "enum": list(_CHOICES["direction"])},
        "status": {"type": "string", "enum": list(_CHOICES["status"])},
    }
    return {
        "type": "object",
        "required": [f for f in ENTRY_FIELDS if f not in OPTIONAL_FIELDS],
        "additionalProperties": False,
        "properties": {name: kinds[kind] for name, kind in ENTRY_FIELDS.items()},
    }


def _type_name(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value),
                                                                          type(value).__name__)


def _show(value: object) -> str:
    """A short quotation of a bad value for an error message (containers only named)."""
    if isinstance(value, dict | list) or not _scalar(value):
        return _type_name(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
