"""The kiosk ↔ centre wire protocol, version 1: the one module both sides import.

Everything that crosses the wire is defined here — paths, the batch envelope, the entry
fields and their types, the answer, body encoding with a decompression guard, and token
derivations — so the sync client, the central server and the backlog-file importer cannot
drift apart. Bodies need ``orjson`` (the "sync" and "server" extras), imported by the
functions that encode and decode; ``zstandard`` is used when installed, never required.
The prose version with examples is ``docs/protocol.md``.

The entry and the envelope are each described once, as a msgspec ``Struct`` whose annotated
field types carry every rule (:class:`Entry`, :class:`Batch`). From that one description come
the fast check (``msgspec.convert``, in C), the field-by-field explanation of a refusal
(worded from the same constraints, and checked against msgspec field by field so the two
always agree), the JSON Schema and the centre's OpenAPI document. The few rules a type
cannot say (text every database can hold, a real calendar date, the size of ``extra`` as
JSON) are written once each and used by both the check and the explanation.
docs/benchmarks.md ("The wire entry: one description, three ways to check it") has the
measurement that chose msgspec over pydantic and the former hand-written check.
"""

from __future__ import annotations

import binascii
import datetime as dt
import gzip
import hashlib
import io
import json
import operator
import re
import typing
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any, Literal

import msgspec
import msgspec.inspect as mi
from msgspec import Meta

from kiosk import clock, ids, messages
from kiosk.json_depth import nested_too_deep

PROTOCOL_VERSION = 1
BATCHES_PATH = "/api/v1/batches"
HEALTH_PATH = "/api/v1/health"
HEARTBEAT_PATH = "/api/v1/heartbeat"
"""POST, token-authenticated: a kiosk's health (:class:`Heartbeat`) when it has nothing to
upload; a batch may carry the same report in its optional ``health`` member."""
BACKLOG_KEYS_PATH = "/api/v1/backlog-keys"
"""POST, token-authenticated: ``{"signing_key": base64}`` registers the kiosk's backlog
signing key (409 if another one is registered) and answers the centre's encryption key
(see kiosk.sync.backlog_keys); an empty object only asks for the centre's key."""
TRUST_LIST_PATH = "/api/v1/trust-list"
"""GET, token-authenticated: the certificate trust list the centre holds (see
kiosk.certificates.trustlist), with a strong ETag; If-None-Match gives 304 when unchanged."""
KIOSK_PATH = "/api/v1/kiosk"
"""GET, token-authenticated, changes nothing: ``{"kiosk_id": …, "checkpoint_id": …}``, what
the centre registered the token's kiosk as, so that ``kiosk doctor`` can compare it with the
kiosk's config before a single entry is refused for another checkpoint. A centre before it
answers 404."""

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
"""Per-entry answers. ``accepted`` and ``duplicate`` both mean "the centre holds it"."""
FILED_AT_ARRIVAL = "filed_at_arrival"
"""Optional member (``true``) of an ``accepted`` answer (docs/protocol.md): the entry's
``scanned_at`` was after it reached the centre (its kiosk's clock ran ahead in an earlier
boot), so the centre filed it at its arrival, of uncertain time (:class:`Timing`): held as
any accepted entry, and the kiosk tells its operator so."""
PAST_RETENTION = "past_retention"
"""Optional member of a ``duplicate`` answer (docs/protocol.md): the entry was filed before
the cutoff of the centre's latest purge (its value, a UTC day), is not held and was neither
stored nor counted — purged, or never received, which the centre cannot tell apart. Still
``duplicate``, so that a kiosk older than the member marks it done as before: an unknown
status would fail the whole answer (``wire.unknown_status``) and be sent again for ever."""

MAX_BATCH_ENTRIES = 10_000
MAX_BODY_BYTES = 16 * 1024 * 1024
"""Default limit on the body as sent (compressed)."""
MAX_DECODED_BYTES = 16 * 1024 * 1024
"""Default limit on the body after decompression (zip-bomb guard). Parsing holds about
twice the body, so this bounds a batch's memory too: a kiosk's default batch is 1 MB, a
full one of 10,000 entries ~10 MB; a larger one gets 413 and the kiosk halves it."""
MAX_JSON_VALUES = 1_000_000
"""Default limit on the JSON values a body may hold, counted on its bytes as they are
decompressed, before anything is parsed. Bytes alone do not bound the work: ``[],`` is three
bytes on the wire and ~60 once parsed, so 120 MiB of them cost gigabytes and a minute of CPU.
A full batch of 10,000 entries holds ~350,000."""
MAX_PAYLOAD_BYTES = 64 * 1024
"""Largest raw payload accepted; a QR code holds at most ~3 KB, a manual entry less."""
MAX_TEXT_CHARS = 4096
"""Largest text field (names, addresses…)."""
MAX_KEY_CHARS = 256
"""Largest ``subject_key`` and ``match_key`` (``doc:<number>``, ``raw:<hash>``,
``m:<digits>|<name>|<year>``: a few dozen characters). The centre indexes them, a document
match by both together: 4 bytes a character at most, both fit PostgreSQL's b-tree row limit
(2,704 bytes), which refused a key of MAX_TEXT_CHARS at ingest every time (the kiosk's
queue stuck at 503); on either engine such an entry is now refused alone, naming the
field."""
MAX_EXTRA_CHARS = 64 * 1024
"""Largest ``extra`` object, measured as JSON text."""
MAX_INT = 2**63 - 1

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
"""The one timestamp format on the wire: UTC with microseconds, e.g. 2024-05-01T08:30:00.000000Z."""
_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID7_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_HOUR_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}")


def _whole(regex: re.Pattern[str]) -> str:
    """The pattern a field's whole text must match. msgspec searches it with Python's ``re``,
    whose ``$`` also matches before a final newline (an id sent as ``uuid + "\\n"`` passed):
    ``(?!\\n)`` refuses that, and means nothing more to JSON Schema's ``$``."""
    return f"^{regex.pattern}$(?!\\n)"

ENCODINGS = ("zstd", "gzip", "identity")
"""Content-Encoding values the server accepts, preferred first."""


class ProtocolError(messages.WordedError, ValueError):
    """A request or answer that breaks the protocol (``wire.*``, or a ``refusal.*`` naming
    the field); ``status`` is the HTTP status it maps to, ``reason`` the English the answer's
    ``error`` has always said (:func:`refusal_body`)."""

    def __init__(self, status: int, code: str, /, **params: object) -> None:
        super().__init__(code, **params)
        self.status = status

    @property
    def reason(self) -> str:
        return self.words("en")

    @classmethod
    def refusing(cls, status: int, refusal: Refusal) -> ProtocolError:
        """The error for a refused field, worded like an entry's refusal."""
        words = refusal.words()
        if isinstance(words, messages.Words):
            return cls(status, words.code, **words.params)
        return cls(status, "wire.invalid", detail=words)


def refusal_body(error: messages.WordedError) -> dict[str, Any]:
    """An error answer's body: ``error``, the English reason protocol 1 has always sent
    (what older clients show), beside its stable ``code`` and ``params`` for a client to
    word in its reader's language (:func:`kiosk.messages.answered_words`)."""
    return {"error": error.words("en"), **error.words.plain()}


NO_REASON = "rejected without a reason"
"""What an answer with no reason (an older centre's) reads as."""
_QUOTING_NOTHING = frozenset({"reserved", "id_past_calendar"})
"""Refusal codes whose ``got`` is no value only the entry holds (:meth:`Refusal.unquoted`)."""


class Refusal(str):
    """Why one entry is refused. It reads as the English reason protocol 1 has always sent
    (``reason`` in the answer: what older kiosks show), and carries a stable ``code`` and its
    ``params`` (also in the answer) for a kiosk to word in its reader's language
    (:func:`kiosk.messages.refusal`). The codes and their parameters are listed in
    docs/protocol.md; the English wording is the catalogue's, so it is written once."""

    code: str | None
    params: dict[str, Any]

    def __new__(cls, code: str, /, **params: Any) -> Refusal:
        words = messages.refusal(code, params)
        if words is None:
            raise ValueError(f"refusal {code!r}: not in the catalogue, or parameters missing")
        return cls._of(words("en"), code, params)

    @classmethod
    def _of(cls, reason: str, code: str | None, params: dict[str, Any]) -> Refusal:
        refusal = str.__new__(cls, reason)
        refusal.code, refusal.params = code, params
        return refusal

    @classmethod
    def from_answer(cls, result: Mapping[str, Any]) -> Refusal:
        """A rejected entry's result as the centre sent it (an older centre sends no code)."""
        reason = str(result.get("reason") or NO_REASON)
        code, params = result.get("code"), result.get("params")
        if isinstance(code, str) and isinstance(params, dict):
            return cls._of(reason, code, params)
        return cls._of(reason, None, {})

    def answer(self) -> dict[str, Any]:
        """The members a rejected result carries: ``reason``, ``code``, ``params``."""
        return {"reason": str(self), "code": self.code, "params": self.params}

    def words(self) -> messages.Words | str:
        """To word in the reader's language; the English reason itself when no code came
        (an older centre) or this kiosk does not know it (a newer one)."""
        words = messages.refusal(self.code, self.params) if self.code else None
        return words if words is not None else str(self)

    def unquoted(self) -> Refusal:
        """This refusal with no value of the refused entry in it, for an answer that leaves
        the centre in clear (``FILE.refused`` on a stick, :mod:`kiosk.sync.refusals`): a
        ``got`` quoting the value (:func:`_got`) becomes its JSON type's name ("got a
        string"), a ``detail`` (an exception's words, which may quote it) "…". Field names,
        limits, times, kiosk and checkpoint ids stay (the kiosk words the reason from them,
        and ``retry-rejected --checkpoint`` needs them); so do the ``got`` of ``reserved``
        (the centre's constant) and ``id_past_calendar`` (the entry's id, which the answer
        names anyway). No code (never the centre's own): no reason either."""
        if self.code is None:
            return Refusal._of(NO_REASON, None, {})
        params = dict(self.params)
        got = params.get("got")
        if isinstance(got, str) and got not in messages.JSON_TYPES \
                and self.code not in _QUOTING_NOTHING:
            params["got"] = _quoted_type(got)
        if "detail" in params:
            params["detail"] = "…"
        return Refusal(self.code, **params)


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


def whole_number(text: str, most_digits: int = 18) -> int | None:
    """``text`` as a whole number when it is 1 to ``most_digits`` ASCII digits, else None:
    what a request says in text (a page link's key, a header's length). ``str.isdigit``
    alone takes "²", which ``int`` refuses, and "٣", which it reads as 3."""
    if 0 < len(text) <= most_digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def is_uuid7(text: object) -> bool:
    return isinstance(text, str) and _UUID7_RE.fullmatch(text) is not None


# -- entries -----------------------------------------------------------------------------
def _real_time(text: str) -> bool:
    """Whether text the time pattern matched is a real time (not month 13): the pattern is
    checked first (by msgspec, or :func:`_problem`), so it is not matched again here."""
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


Text = Annotated[str, Meta(min_length=1, max_length=MAX_TEXT_CHARS)]
"""Non-empty text."""
Str = Annotated[str, Meta(max_length=MAX_TEXT_CHARS)]
"""Text, may be empty."""
SubjectKey = Annotated[str, Meta(min_length=1, max_length=MAX_KEY_CHARS)]
MatchKey = Annotated[str, Meta(max_length=MAX_KEY_CHARS)]
"""Keys the centre indexes (see :data:`MAX_KEY_CHARS`); the match key may be empty, as
any text field may, and means no match key then: the centre stores it as null."""
Uuid7 = Annotated[str, Meta(pattern=_whole(_UUID7_RE), description="a lowercase UUIDv7",
                            extra={"code": "not_uuid7"})]
UtcTime = Annotated[str, Meta(
    pattern=_whole(_TIME_RE), examples=["2024-05-01T08:30:00.000000Z"],
    description="UTC time like 2024-05-01T08:30:00.000000Z",
    extra={"check": _real_time, "code": "not_utc_time"})]
"""``extra["check"]``: a rule the pattern cannot say (month 13 matches it); ``extra["code"]``:
the refusal code of a value that breaks the pattern or the check (see :class:`Refusal`)."""
Count = Annotated[int, Meta(ge=0, le=MAX_INT)]
Extras = Annotated[dict[str, Any], Meta(
    description=f"kind-specific extras, at most {MAX_EXTRA_CHARS} characters as JSON")]
Verdict = Annotated[dict[str, Any], Meta(
    description="the kiosk's verdict on an HC1 certificate "
                "(kiosk.certificates.verdicts.Verdict.to_record); null or left out otherwise")]
Payload = Annotated[bytes, Meta(
    min_length=1, max_length=MAX_PAYLOAD_BYTES,
    description="standard base64 of the raw payload bytes exactly as scanned")]


class Entry(msgspec.Struct, forbid_unknown_fields=True):
    """One entry as it crosses the wire: the columns of the kiosk store's ``entries`` table
    minus the outbox bookkeeping, in wire order, with the raw payload in base64."""

    id: Uuid7
    checkpoint_id: Text
    kiosk_id: Text
    device_id: Text
    lane: Str | None
    direction: Literal["in", "out"]
    status: Literal["accepted", "duplicate"]
    duplicate_of: Str | None
    source: Text
    symbology: Str
    scanned_at: UtcTime
    monotonic_ns: Count
    boot_id: Text
    kind: Text
    subject_key: SubjectKey
    match_key: MatchKey | None
    document_number: Str | None
    name: Str | None
    birth_date: Str | None
    gender: Str | None
    address: Str | None
    issue_date: Str | None
    extra: Extras
    operator: Str
    payload_b64: Payload
    certificate: Verdict | None = None
    """Added after version 1 was deployed: kiosks and backlog files that predate it leave it
    out (it means null), and kiosks leave it out when null so an older centre takes it."""


ENTRY_FIELDS: tuple[str, ...] = Entry.__struct_fields__
"""The entry's fields in wire order."""
OPTIONAL_FIELDS = frozenset(f.name for f in msgspec.structs.fields(Entry) if not f.required)
"""Fields an entry may leave out (added after version 1 was deployed; absent means null)."""
_PLAIN_FIELDS = tuple(f for f in ENTRY_FIELDS if f not in ("extra", "payload_b64",
                                                             "certificate"))
ROW_COLUMNS = (*_PLAIN_FIELDS, "extra", "payload", "certificate")
"""An entry as stored on either side: the wire fields, ``extra`` and ``certificate`` as
canonical JSON text (``json.dumps(sort_keys=True, ensure_ascii=False)``, as the kiosk store
writes them; ``certificate`` may be None) and ``payload`` as the raw bytes."""
_canonical_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False).encode
_json_string = json.encoder.encode_basestring  # how that encoder writes each text (C)
_FLAT_MEMBERS = 16
"""Extras of at most this many members, all texts, are written without the encoder."""


def _fields(struct: type[msgspec.Struct]) -> dict[str, tuple[Any, mi.Type, bool]]:
    """Each field's annotated type (for msgspec), type info (for wording) and whether it
    is required."""
    hints = typing.get_type_hints(struct, include_extras=True)
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, mi.StructType)
    return {f.name: (hints[f.name], f.type, f.required) for f in info.fields}


def _strings(fields: dict[str, tuple[Any, mi.Type, bool]]) -> tuple[str, ...]:
    """The fields that hold text (text, or text or null)."""
    def text(t: mi.Type) -> bool:
        t = t.type if isinstance(t, mi.Metadata) else t
        return isinstance(t, mi.StrType) or (
            isinstance(t, mi.UnionType) and any(isinstance(u, mi.StrType) for u in t.types))
    return tuple(name for name, (_, t, _) in fields.items() if text(t))


def _checks(fields: dict[str, tuple[Any, mi.Type, bool]]
            ) -> tuple[tuple[str, Callable[[Any], bool]], ...]:
    """The fields with a rule their type cannot say (``Meta(extra={"check": …})``)."""
    return tuple((name, t.extra["check"]) for name, (_, t, _) in fields.items()
                 if isinstance(t, mi.Metadata) and t.extra and "check" in t.extra)


_ENTRY = _fields(Entry)
_get_plain = operator.attrgetter(*_PLAIN_FIELDS)
_get_row_plain = operator.itemgetter(*_PLAIN_FIELDS)
_get_strings = operator.attrgetter(*_strings(_ENTRY))
_ENTRY_CHECKS = _checks(_ENTRY)


def entry_to_wire(row: Mapping[str, Any]) -> dict[str, Any]:
    """A kiosk store row (``extra`` as JSON text, ``payload`` as bytes) → a wire entry.

    Columns that are not entry fields (``sync_state``, ``sync_error``, ``synced_at``) are
    left behind: they describe the kiosk's outbox, not the entry.
    """
    out = dict(zip(_PLAIN_FIELDS, _get_row_plain(row), strict=True))
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
    row, refusal = entry_row(entry)
    if row is None:
        raise ProtocolError.refusing(422, refusal or Refusal("invalid", field="entry",
                                                             detail=""))
    return dict(zip(ROW_COLUMNS, row, strict=True))


def entry_row(obj: object, kind: type[Entry] = Entry
              ) -> tuple[tuple[Any, ...] | None, Refusal | None]:
    """Validate and convert in one pass: (values in ROW_COLUMNS order, None) or (None, why).
    ``obj`` is a decoded JSON value (the kiosk's own entries carry the payload as raw bytes,
    which msgspec takes as they are), or an :class:`Entry` parsed as one (:func:`decode_batch`).
    ``kind``: what ``obj`` is converted to; :class:`KioskEntry` for an entry whose id and time
    the kiosk made itself (every other rule checked as an :class:`Entry`'s).

    The server's hot path: msgspec checks every typed rule at once; the rules a type cannot
    say follow; only a failing entry pays for the detailed reason (:func:`validate_entry`
    gives the same verdict).
    """
    if type(obj) is _Wire:  # its texts and times were judged with its batch's
        entry, judged = obj, True
    else:
        try:
            entry = msgspec.convert(obj, kind)
        except (msgspec.ValidationError, ValueError):  # UnicodeEncodeError: a lone surrogate
            return None, _explain(obj)
        judged = False
    extra, problem = _json_text(entry.extra)
    certificate, unfit = (None, None) if entry.certificate is None else \
        _json_text(entry.certificate)
    if problem or unfit:
        return None, _explain(obj)
    if not judged:
        if text_problem("".join(filter(None, _get_strings(entry)))):
            return None, _explain(obj)
        for name, check in _ENTRY_CHECKS:
            if not check(getattr(entry, name)):
                return None, _explain(obj)
    return (*_get_plain(entry), extra, entry.payload_b64, certificate), None


_KEYS = ("subject_key", "match_key")


def row_over_key_bound(obj: object, refusal: Refusal) -> tuple[Any, ...] | None:
    """The row of an entry refused only for a key over :data:`MAX_KEY_CHARS`, as a centre
    older than that bound stored it (keys of up to MAX_TEXT_CHARS); None for any other.

    Not to store (the bound holds for what is new), only to compare with what is held
    under its id: a kiosk resends what an older centre stored when the acknowledgement was
    lost, and that must be a duplicate, not a refusal the kiosk holds for ever.
    """
    if not (type(obj) is dict and refusal.code == "too_long"
            and refusal.params.get("field") in _KEYS):
        return None
    keys = {name: obj.get(name) for name in _KEYS}
    if not all(value is None or (type(value) is str and len(value) <= MAX_TEXT_CHARS
                                 and text_problem(value) is None) for value in keys.values()):
        return None
    row, _ = entry_row({**obj, **{name: "k" for name, v in keys.items() if v is not None}})
    if row is None:
        return None
    values = list(row)
    for name, value in keys.items():
        values[ROW_COLUMNS.index(name)] = value
    return tuple(values)


def validate_entry(obj: object) -> Refusal | None:
    """Why this wire entry cannot be stored, naming the field; None when it is valid.

    Deterministic: it looks at the entry alone, so the same entry always gets the same answer.
    """
    return entry_row(obj)[1]


def _explain(obj: object) -> Refusal:
    """The detailed reason for an entry the fast check refused (one parsed as an
    :class:`Entry` is worded from its JSON members)."""
    if isinstance(obj, Entry):
        obj = msgspec.to_builtins(obj)
    if not isinstance(obj, dict):
        return Refusal("not_object", field="entry", got=_json_type(obj))
    return _first_problem(obj, _ENTRY) or Refusal("invalid", field="entry", detail="")


# -- explanations, worded from the descriptions ------------------------------------------
def _first_problem(obj: dict[Any, Any], fields: dict[str, tuple[Any, mi.Type, bool]],
                   skip: tuple[str, ...] = ()) -> Refusal | None:
    """Field by field in wire order: the first problem found, naming the field."""
    missing = [name for name, (_, _, required) in fields.items()
               if required and name not in obj]
    if missing:
        return Refusal("missing_field", field=missing[0])
    unknown = sorted(str(k) for k in obj.keys() - fields.keys())
    if unknown:
        return Refusal("unknown_field", field=unknown[0])
    for name, (annotation, info, _) in fields.items():
        if name not in skip and name in obj:
            problem = _problem(annotation, info, obj[name])
            if problem:
                code, params = problem
                return Refusal(code, field=name, **params)
    return None


Problem = tuple[str, dict[str, Any]]
"""A refusal code and its parameters, the field aside."""


def _problem(annotation: Any, info: mi.Type, value: object) -> Problem | None:
    """Why ``value`` breaks its field's type, from the type's own constraints; the verdict
    is msgspec's, so the fast check and this explanation cannot disagree."""
    if isinstance(info, mi.UnionType):  # "… or null": the fields' only unions
        if value is None:
            return None
        (info,) = [u for u in info.types if not isinstance(u, mi.NoneType)]
        if isinstance(info, mi.StrType) and not isinstance(value, str):
            return "not_string_or_null", {"got": _json_type(value)}
    meta = info if isinstance(info, mi.Metadata) else None
    t = meta.type if meta else info
    extra = (meta.extra or {}) if meta else {}
    if isinstance(t, mi.StrType):
        if not isinstance(value, str):
            return "not_string", {"got": _json_type(value)}
        if t.min_length and len(value) < t.min_length:
            return "empty", {}
        if t.max_length is not None and len(value) > t.max_length:
            return "too_long", {"limit": t.max_length}
        check = extra.get("check")
        if extra.get("code") and ((t.pattern and not re.search(t.pattern, value))
                                  or (check and not check(value))):
            return extra["code"], {"got": _got(value)}
        problem = text_problem(value)
        if problem:
            return problem, {}
    elif isinstance(t, mi.IntType):
        if type(value) is not int or not _in_range(value, t):
            return "not_integer", {"min": t.ge, "max": "2^63-1" if t.le == MAX_INT else t.le,
                                   "got": _got(value)}
    elif isinstance(t, mi.LiteralType):
        if value not in t.values or type(value) is not type(t.values[0]):
            return extra.get("code", "not_allowed"), {"allowed": list(t.values),
                                                      "got": _got(value)}
    elif isinstance(t, mi.DictType):
        if not isinstance(value, dict):
            return "not_object", {"got": _json_type(value)}
        problem = _json_text(value)[1]
        if problem:
            return problem
    elif isinstance(t, mi.BytesType):
        return _payload_problem(t, value, annotation)
    try:  # anything the wording above does not cover is still msgspec's verdict
        msgspec.convert(value, annotation)
    except (msgspec.ValidationError, ValueError) as exc:
        return "invalid", {"detail": str(exc)}
    return None


def _in_range(value: int, t: mi.IntType) -> bool:
    return (t.ge is None or value >= t.ge) and (t.le is None or value <= t.le)


def _payload_problem(t: mi.BytesType, value: object, annotation: Any) -> Problem | None:
    if isinstance(value, bytes):  # raw bytes, taken as they are (the kiosk's own entries)
        value = binascii.b2a_base64(value, newline=False).decode("ascii")
    if not isinstance(value, str):
        return "not_base64_text", {"got": _json_type(value)}
    limit = t.max_length or MAX_PAYLOAD_BYTES
    too_large: Problem = ("payload_too_large", {"limit": limit})
    if len(value) > (limit + 2) // 3 * 4:
        return too_large
    try:
        msgspec.convert(value, annotation)
    except (msgspec.ValidationError, ValueError):
        try:
            raw = binascii.a2b_base64(value, strict_mode=True)
        except (binascii.Error, ValueError):
            return "not_base64", {}
        if not raw:
            return "empty_payload", {}
        return too_large if len(raw) > limit else ("not_base64", {})
    return None


def text_problem(value: str) -> str | None:
    """Text every database can hold: no NUL character, no lone UTF-16 surrogate; the
    refusal code of what is wrong (a NUL first, when both are there).

    A text that is not ASCII (a Vietnamese name: each scan's texts joined) is encoded once
    and its NUL looked for in the bytes: UTF-8 writes a zero byte for U+0000 alone, and
    ``0 in`` bytes is one ``memchr``, where ``"\x00" in`` a two-byte-wide text tests every
    character (~1k instructions a scan of ~6.5k; docs/benchmarks.md, "perf10")."""
    if value.isascii():
        return "nul_character" if "\x00" in value else None
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: said unless there is a NUL too
        return "nul_character" if "\x00" in value else "lone_surrogate"
    return "nul_character" if 0 in encoded else None


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """``value`` with each character no database holds (:func:`text_problem`: NUL, a lone
    surrogate — in a Python text every surrogate is lone) written as U+FFFD: for text read
    from hardware or file names that goes into a report."""
    return _UNSTORABLE.sub("\ufffd", value)


def _json_text(value: dict[str, Any]) -> tuple[str, Problem | None]:
    """``extra`` as the canonical JSON text both sides store, and what is wrong with it."""
    if not value:  # most scans have no extras
        return "{}", None
    text = _flat_json(value) if len(value) <= _FLAT_MEMBERS else None
    if text is None:
        if _longer_than(value, MAX_EXTRA_CHARS):  # refused without writing out a huge object
            return "", ("json_too_long", {"limit": MAX_EXTRA_CHARS})
        try:
            text = _canonical_json(value)
        except (TypeError, ValueError) as exc:
            return "", ("not_json", {"detail": str(exc)})
    if len(text) > MAX_EXTRA_CHARS:
        return text, ("json_too_long", {"limit": MAX_EXTRA_CHARS})
    if not text.isascii() or "\\u0000" in text:  # cheap checks first: almost always ASCII
        problem = _json_strings_problem(value)
        return text, (problem, {}) if problem else None
    return text, None


def _flat_json(value: dict[Any, Any]) -> str | None:
    """The usual extras (a few short texts) as the encoder writes them, 5× faster; None when
    a member is not text (or the keys do not sort), for the encoder."""
    try:
        return "{" + ", ".join([f"{_json_string(k)}: {_json_string(v)}"
                                for k, v in sorted(value.items())]) + "}"
    except TypeError:
        return None


def _longer_than(value: object, limit: int) -> bool:
    """Whether ``value`` as JSON text surely has more than ``limit`` characters: counts a
    lower bound (a string's length, a character per member of a container) and stops as
    soon as it passes, so a huge object is refused after ``limit`` steps at most."""
    size, todo = 0, [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            size += len(item) + 2
        elif isinstance(item, list):  # brackets and commas: one more than its members
            size += 1 + len(item)
            if size <= limit:
                todo += item
        elif isinstance(item, dict):  # and a colon per member
            size += 1 + 2 * len(item)
            if size <= limit:
                todo += item.keys()
                todo += item.values()
        else:
            size += 1
        if size > limit:
            return True
    return False


def _json_strings_problem(value: object) -> str | None:
    """text_problem over every key and string inside a JSON value."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key) or _json_strings_problem(item)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = _json_strings_problem(item)
            if problem:
                return problem
    return None


# -- kiosk health --------------------------------------------------------------------------
UtcHour = Annotated[str, Meta(pattern=_whole(_HOUR_RE),
                              description="a UTC hour like 2026-11-28T13")]
MAX_DEVICES = 64
MAX_REFUSED_HOURS = 72
REFUSED_WINDOW = dt.timedelta(hours=48)
"""How far back a health report's refused scans reach on the kiosk's clock; see
:func:`refused_hours`."""


def refused_hours(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The first and last UTC hour (their starts) whose refused scans a report sent at
    ``now`` (the kiosk's clock: the report's ``sent_at``, so that both ends take the same
    window) carries: :data:`MAX_REFUSED_HOURS` hours from the one holding
    ``now - REFUSED_WINDOW``, whole (a count from mid-hour would replace the hour's full one
    at the centre, and no later report carries the hour to set it right). The last is the
    one holding ``now + ENTRY_MAX_AHEAD - 1 h``: an hour a day ahead comes only from a clock
    once wrong, and hours further ahead (a year, from such a clock) would crowd today's out
    of the report; the oldest is final and is the one kept. The kiosk counts these hours and
    the centre keeps no other: an older one would rewrite the counts of a report already
    made."""
    first = (now - REFUSED_WINDOW).replace(minute=0, second=0, microsecond=0)
    return first, first + dt.timedelta(hours=MAX_REFUSED_HOURS - 1)


class Device(msgspec.Struct, forbid_unknown_fields=True):
    """One configured device as the kiosk's supervisor sees it."""

    id: Text
    kind: Str
    state: Annotated[str, Meta(min_length=1, max_length=64,
                               description="e.g. running, restarting, failed, stopped")]
    detail: Str = ""


UPLOADS_PAUSED_STORE = "store_unconfirmed"
"""``uploads_paused``: the kiosk's store path cannot be looked at (``store.unconfirmed``:
its folder replaced by a link loop, a network disk's hiccup), so no answer of the centre can
be kept and uploads wait until it takes writes again; the kiosk is alive and keeps its
scans' backlog."""
UPLOADS_STOPPED = {"store.gone": "store_gone", "store.log_gone": "store_log_gone",
                   "store.damaged": "store_damaged"}
"""``uploads_paused`` for uploads stopped for good, by the store's refusal: its file deleted
or replaced under the running kiosk (``store_gone``), its ``-wal``/``-shm`` so
(``store_log_gone``), damage found by the whole-file check (``store_damaged``). The kiosk is
alive but records no scan until a technician restarts it (or recovers the file); any other
refusal of the store goes as :data:`UPLOADS_STOPPED_OTHER`."""
UPLOADS_STOPPED_OTHER = "store_refused"
"""``uploads_paused`` for uploads stopped for a refusal of the store not named in
:data:`UPLOADS_STOPPED` (none today: a later kiosk's, which a centre words generically)."""


def uploads_paused_code(refusal_code: str) -> str:
    """The ``uploads_paused`` code saying why uploads stop for the store's refusal
    ``refusal_code`` (a :mod:`kiosk.messages` code such as ``store.gone``)."""
    if refusal_code == "store.unconfirmed":
        return UPLOADS_PAUSED_STORE
    return UPLOADS_STOPPED.get(refusal_code, UPLOADS_STOPPED_OTHER)


PausedReason = Annotated[str, Meta(
    pattern=r"^[a-z][a-z0-9_]{0,63}$",
    description="why uploads are paused or stopped, as a code (the centre words it in its "
                "reader's language; a code it does not know, generically): store_unconfirmed "
                "(goes on by itself); store_gone, store_log_gone, store_damaged, store_refused "
                "(stopped for good: the kiosk records nothing until a technician sees to it)")]


class Health(msgspec.Struct, forbid_unknown_fields=True):
    """What a kiosk says about itself, for the centre's "places that scan wrongly" and
    "kiosks not heard from". Added to protocol 1 after it was deployed: an older kiosk simply
    does not send it, and a kiosk sends it to a centre only when the centre's health answer
    lists ``health`` among its ``features`` (an older centre would refuse the member)."""

    software_version: Annotated[str, Meta(min_length=1, max_length=64)]
    pending: Count
    """Entries the centre has not acknowledged yet."""
    oldest_pending_seconds: Annotated[float, Meta(ge=0)] | None
    """Age of the oldest of them on the kiosk's clock; null when none is pending, or when it
    is later than the kiosk's clock reads (:func:`kiosk.clock.age_of`: its age is unknown,
    never sent as 0, which would call a backlog stuck since a clock went back fresh) and was
    recorded before the machine last started (in the running boot its monotonic clock tells
    it: :func:`kiosk.sync.heartbeat.health_report`)."""
    rejected: Count
    """Entries the centre rejected, held in the kiosk's quarantine."""
    devices: Annotated[list[Device], Meta(max_length=MAX_DEVICES)]
    free_disk_bytes: Count | None
    """Free space on the store's file system; null if unknown."""
    refused_by_hour: Annotated[dict[UtcHour, Count], Meta(
        max_length=MAX_REFUSED_HOURS,
        description="refused (unreadable or invalid) scans per UTC hour of the kiosk's clock, "
                    "72 hours from the one holding 48 hours before sent_at; each count is "
                    "the hour's whole count so far")
    ] = msgspec.field(default_factory=dict)
    uploads_paused: PausedReason | None = None
    """Why the kiosk, alive and heartbeating, sends no batches now (:data:`PausedReason`;
    :data:`UPLOADS_PAUSED_STORE`, :data:`UPLOADS_STOPPED`); absent or null while it
    uploads. Sent only to a centre listing ``uploads-paused`` among its ``features`` (an
    older one would refuse it)."""


class Heartbeat(msgspec.Struct, forbid_unknown_fields=True):
    """The body of ``POST /api/v1/heartbeat``."""

    protocol: Literal[1]
    kiosk_id: Text
    sent_at: UtcTime
    health: Health
    boot_id: Text | None = None
    """Feature ``heartbeat-boot``: the kiosk's boot id (:func:`kiosk.ids.boot_id`), as a
    batch sends it, so that the centre tells two machines using one token apart."""


FEATURES = ("health", "backlog-keys", "send-clock", "uploads-paused", "send-suspended",
            "heartbeat-boot")
"""What this centre understands beyond the first release of protocol 1 (in the health
answer): ``health`` — the heartbeat endpoint and a batch's ``health`` member;
``backlog-keys`` — the backlog-keys endpoint (backlog file format 2); ``send-clock`` — a
batch's ``sent_monotonic_ns`` and ``boot_id`` (:class:`Timing`); ``uploads-paused`` — a
health report's ``uploads_paused``; ``send-suspended`` — a batch's ``sent_suspended_ns``;
``heartbeat-boot`` — a heartbeat's ``boot_id``."""


def validate_health(obj: object) -> Health:
    """A heartbeat's or batch's ``health`` member; ProtocolError 422 naming the field."""
    try:
        health = msgspec.convert(obj, Health)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ProtocolError(422, "wire.health", detail=exc) from None
    refusal = _health_problem(health)
    if refusal:
        raise ProtocolError.refusing(422, refusal)
    return health


def validate_heartbeat(obj: object) -> Heartbeat:
    """A heartbeat body; ProtocolError 422 naming the field."""
    try:
        beat = msgspec.convert(obj, Heartbeat)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ProtocolError(422, "wire.heartbeat", detail=exc) from None
    refusal = _health_problem(beat.health)
    if refusal:
        raise ProtocolError.refusing(422, refusal)
    return beat


def _health_problem(health: Health) -> Refusal | None:
    """What a health report's types cannot say is wrong, named by its path: a text that no
    database can hold (:func:`text_problem`: a device's error detail read from hardware
    may carry a NUL; the report is stored as text and JSON), an hour of ``refused_by_hour``
    that is no real hour, or one a clock offset would move out of the calendar."""
    for hour in health.refused_by_hour:
        try:
            at = dt.datetime.strptime(hour, "%Y-%m-%dT%H")
        except ValueError:
            at = dt.datetime.min
        if not dt.datetime.min + MAX_CLOCK_ERROR <= at <= dt.datetime.max - MAX_CLOCK_ERROR:
            return Refusal("invalid", field="health.refused_by_hour", detail=_got(hour))

    def walk(value: object, path: str) -> Refusal | None:
        if isinstance(value, str):
            code = text_problem(value)
            return Refusal(code, field=path) if code else None
        items = (value.items() if isinstance(value, dict)
                 else enumerate(value) if isinstance(value, list) else ())
        for key, item in items:
            found = (walk(key, f"{path} key") if isinstance(key, str) else None) or walk(
                item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}")
            if found:
                return found
        return None
    return walk(msgspec.to_builtins(health), "health")


def make_heartbeat(kiosk_id: str, health: dict[str, Any],
                   sent_at: dt.datetime | None = None, *, send_boot: bool = False
                   ) -> dict[str, Any]:
    """A heartbeat's body; ``send_boot`` (a centre listing ``heartbeat-boot``): with this
    boot's id."""
    beat = {"protocol": PROTOCOL_VERSION, "kiosk_id": kiosk_id,
            "sent_at": format_time(sent_at or dt.datetime.now(dt.UTC)), "health": health}
    if send_boot:
        beat["boot_id"] = ids.boot_id()
    return beat


# -- batches -----------------------------------------------------------------------------
class Batch(msgspec.Struct, forbid_unknown_fields=True):
    """A batch of entries from one kiosk: the body of ``POST /api/v1/batches``, as JSON,
    optionally compressed. Each entry is judged on its own (one bad record never blocks a
    backlog); only a broken envelope refuses the whole batch."""

    protocol: Annotated[Literal[1], Meta(
        description="the protocol version; a newer protocol gets a new number",
        extra={"code": "protocol_version"})]
    kiosk_id: Text
    batch_id: Annotated[str, Meta(pattern=_whole(_UUID_RE),
                                  description="a lowercase UUID", extra={"code": "not_uuid"})]
    sent_at: UtcTime
    entries: Annotated[list[Entry], Meta(max_length=MAX_BATCH_ENTRIES)]
    health: Health | None = None
    """Optional (see :class:`Health`): the kiosk's health as it sends the batch."""
    sent_monotonic_ns: Count | None = None
    """Optional, with ``boot_id`` (feature ``send-clock``): the kiosk's monotonic clock as it
    sent the batch, the clock of its entries' ``monotonic_ns``. An entry of that boot is
    timed by its age on it, whatever the wall clock said then or says now
    (:class:`Timing`); a kiosk sends the pair only to a centre that lists the feature."""
    boot_id: Text | None = None
    """The boot ``sent_monotonic_ns`` was read in; one of the two without the other is
    refused (``missing_field``)."""
    sent_suspended_ns: Count | None = None
    """Optional, only with ``sent_monotonic_ns`` (feature ``send-suspended``): how long the
    boot had been suspended by then, ``CLOCK_BOOTTIME − CLOCK_MONOTONIC``
    (:func:`kiosk.clock.suspended_now`). The monotonic clock stops in a suspend, so an
    entry's age on it is too young by the time the kiosk slept since the scan, which is at
    most this (:class:`Timing`)."""


BATCH_FIELDS: tuple[str, ...] = Batch.__struct_fields__
SEND_CLOCK_FIELDS = ("sent_monotonic_ns", "boot_id", "sent_suspended_ns")
"""The members of a batch the ``send-clock`` and ``send-suspended`` features add."""
_BATCH = _fields(Batch)


class _Wire(Entry, gc=False):
    """An entry of a batch :func:`decode_batch` parsed straight into entries: an
    :class:`Entry` whose id and scanned_at patterns, real times and storable texts were
    judged for the whole batch at once (:func:`_judged`) — a pattern per entry cost msgspec
    more than parsing the rest of it. Made only there; holds no cycles (not tracked by the
    garbage collector: 1,000 fewer objects a batch for it to walk)."""

    id: str
    scanned_at: str


class KioskEntry(Entry):
    """An entry the kiosk is about to record (``Pipeline._checked_row``): an :class:`Entry`
    whose ``id`` and ``scanned_at`` patterns are not matched. Its id is a placeholder of a
    valid UUIDv7 (the real one, :func:`kiosk.ids.uuid7`'s, is chosen under the write lock)
    and its time :func:`kiosk.timestamps.utc_iso`'s text, which has the wire pattern
    whatever the time (``tests/test_pipeline_centre_rules.py``); the time is still checked
    to be real (:func:`_real_time`). The two patterns cost msgspec ~1.7 µs of a scan's
    ~3.4 µs conversion (docs/benchmarks.md, twenty-third pass)."""

    id: str
    scanned_at: str


class _WireBatch(Batch):
    entries: Annotated[list[_Wire], Meta(max_length=MAX_BATCH_ENTRIES)]


_IDS = re.compile(f"(?:{_UUID7_RE.pattern}\n)*")
_TIMES = re.compile(r"(?:[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
                    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z\n)*")
"""Wire times whose every part is in range (ASCII digits: a digit class takes any script's);
whether the day exists in its month is asked of each distinct date."""


def _judged(entries: list[_Wire]) -> bool:
    """Whether every id is a UUIDv7 and every scanned_at a real wire time, each checked in
    one pass over the batch: the texts joined, a newline after each. Both have a fixed
    length (36 and 27), so a joined text of that length times the entries that matches
    holds exactly one value per entry (an id with a newline inside cannot pass for two).
    False only means "ask each entry" (:func:`entry_row` words the refusal)."""
    ids = "".join([e.id + "\n" for e in entries])
    times = "".join([e.scanned_at + "\n" for e in entries])
    return (len(ids) == 37 * len(entries) and len(times) == 28 * len(entries)
            and _IDS.fullmatch(ids) is not None and _TIMES.fullmatch(times) is not None
            and all(map(_real_date, {t[:10] for t in times.split()})))


_WIRE_ENTRY = msgspec.json.Decoder(_Wire)


def typed_entries(lines: list[bytes]) -> list[Entry] | None:
    """JSON lines of one wire entry each (a backlog file's) parsed as :func:`batch_of` parses
    a batch's entries: straight into :class:`Entry`, their ids and times judged at once, when
    every one of them is valid; None when any is not: the caller then parses them as plain
    JSON, for :func:`entry_row` to judge and word each, as a batch's are. A line at a time,
    so that no line's text can run into the next."""
    try:
        entries = [_WIRE_ENTRY.decode(line) for line in lines if b"\\u0000" not in line]
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError):
        return None
    return entries if len(entries) == len(lines) and _judged(entries) else None


def _real_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def make_batch(kiosk_id: str, batch_id: str, entries: list[dict[str, Any]],
               sent_at: dt.datetime | None = None, *,
               health: dict[str, Any] | None = None,
               send_clock: bool = False, send_suspended: bool = False) -> dict[str, Any]:
    """The envelope the client posts; ``sent_at`` defaults to now on the kiosk's clock;
    ``health`` (:class:`Health`) only for a centre that lists the feature, and so
    ``send_clock``: this boot's monotonic clock now (``time.monotonic_ns``, the clock
    :class:`kiosk.scan.Scan` stamps each entry with) and ``boot_id``, and with it
    ``send_suspended``: how long the boot has been suspended by then, where the kiosk can
    tell (:func:`kiosk.clock.suspended_now`)."""
    batch = {
        "protocol": PROTOCOL_VERSION,
        "kiosk_id": kiosk_id,
        "batch_id": batch_id,
        "sent_at": format_time(sent_at or dt.datetime.now(dt.UTC)),
        "entries": entries,
    }
    if health is not None:
        batch["health"] = health
    if send_clock:
        monotonic, suspended = clock.suspended_now()
        batch["sent_monotonic_ns"], batch["boot_id"] = monotonic, ids.boot_id()
        if send_suspended and suspended is not None:
            batch["sent_suspended_ns"] = suspended
    return batch


def _send_clock_problem(sent_monotonic_ns: object, boot_id: object,
                        sent_suspended_ns: object) -> Refusal | None:
    """``sent_monotonic_ns`` and ``boot_id`` come together or not at all, and
    ``sent_suspended_ns`` only with them: one alone times nothing, and is a kiosk's mistake
    to show rather than to pass over."""
    if (sent_monotonic_ns is None) != (boot_id is None):
        return Refusal("missing_field",
                       field="boot_id" if boot_id is None else "sent_monotonic_ns")
    if sent_suspended_ns is not None and sent_monotonic_ns is None:
        return Refusal("missing_field", field="sent_monotonic_ns")
    return None


def validate_batch(obj: object, *, max_entries: int = MAX_BATCH_ENTRIES) -> dt.datetime:
    """Check the envelope; raises ProtocolError (422, or 413 for too many entries).

    Returns the parsed ``sent_at``. Entries are only checked for being objects with a string
    ``id`` (so each can get its own answer); their fields are judged one by one by
    :func:`validate_entry`, so one bad record never blocks a whole backlog.
    """
    if not isinstance(obj, dict):
        raise ProtocolError(422, "wire.not_object", got=json_type_words(obj))
    problem = (_first_problem(obj, _BATCH, skip=("entries",))
               or _send_clock_problem(obj.get("sent_monotonic_ns"), obj.get("boot_id"),
                                      obj.get("sent_suspended_ns")))
    if problem:
        raise ProtocolError.refusing(422, problem)
    if obj.get("health") is not None:
        validate_health(obj["health"])  # the texts its type cannot judge
    entries = obj["entries"]
    if not isinstance(entries, list):
        raise ProtocolError(422, "wire.entries_not_array", got=json_type_words(entries))
    if len(entries) > max_entries:
        raise ProtocolError(413, "wire.too_many_entries", count=len(entries), max=max_entries)
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ProtocolError(422, "wire.entry_not_object", index=index,
                                got=json_type_words(entry))
        if not isinstance(entry.get("id"), str):
            raise ProtocolError(422, "wire.entry_id", index=index, got=_show(entry.get("id")))
    sent_at = parse_time(obj["sent_at"])
    assert sent_at is not None  # checked with the envelope
    return sent_at


def validate_response(obj: object, sent_ids: list[str]
                      ) -> tuple[list[str], dict[str, Refusal]]:
    """The client's check of a 200 answer → (ids the centre holds, {id: why rejected}).

    Raises ProtocolError(502) unless there is exactly one result per sent entry in the same
    order, so a confused answer can never acknowledge an entry the centre does not hold.
    """
    if not isinstance(obj, dict) or not isinstance(obj.get("results"), list):
        raise ProtocolError(502, "wire.no_results")
    results = obj["results"]
    if len(results) != len(sent_ids):
        raise ProtocolError(502, "wire.result_count", results=len(results),
                            entries=len(sent_ids))
    held: list[str] = []
    rejected: dict[str, Refusal] = {}
    for sent, result in zip(sent_ids, results, strict=True):
        if not isinstance(result, dict) or result.get("id") != sent:
            raise ProtocolError(502, "wire.result_order", id=sent)
        status = result.get("status")
        if status in (ACCEPTED, DUPLICATE):
            held.append(sent)
        elif status == REJECTED:
            rejected[sent] = Refusal.from_answer(result)
        else:
            raise ProtocolError(502, "wire.unknown_status", status=_show(status), id=sent)
    return held, rejected


MAX_CLOCK_ERROR = dt.timedelta(days=400)
"""How far a batch's ``sent_at`` may be from the centre's clock: beyond it the whole batch
gets 422 (the kiosk keeps its entries pending until its clock is set), since every entry's
time is corrected by that offset."""
ENTRY_MAX_AGE = dt.timedelta(days=400)
CLOCK_TOLERANCE_SECONDS = 120.0
"""A kiosk clock further off the centre's than this is corrected, and flagged in the daily
report (:mod:`kiosk.central.localdays`); within it the batch's offset is mostly transit
time, and the kiosk's clock is taken as right (:class:`Timing`)."""
ARRIVAL_TOLERANCE = dt.timedelta(seconds=CLOCK_TOLERANCE_SECONDS)
"""An entry's ``scanned_at`` on the centre's clock (corrected by the batch's clock offset
when it is known) must lie within [receive time − ENTRY_MAX_AGE, receive time +
ARRIVAL_TOLERANCE] to be filed by it: year 1 is a broken clock or a forgery, never a scan.
Corrected by a batch's offset, a scan made before the send is never after its arrival,
whatever the transit (the offset holds it), unless the kiosk's clock went back between the
two; a backlog file's time is its kiosk's clock against the centre's. So past its arrival
by more than two clocks taken as right may differ, it was read off a clock that ran ahead
and has been set right since (RTC in local time read as UTC: 7 h at UTC+7; a day typed
wrong, 2030, offline): filed by its age where that is known, else at its arrival, of
uncertain time (:class:`Timing`), up to :data:`ENTRY_FAR_AHEAD` — one rule however far."""
ENTRY_MAX_AHEAD = dt.timedelta(days=1)
"""Room readers leave past an entry's receipt for its ids and times filed by its own clock
(at most :data:`ARRIVAL_TOLERANCE` after it; an id a day from its ``scanned_at`` is listed
apart): the batch log's purge margin, the checkpoint page's latest scans, the identities'
days."""
ENTRY_FAR_AHEAD = dt.timedelta(days=36525)
"""How far past its arrival an entry's ``scanned_at`` may be and the entry still be filed
(by its age, or at its arrival): a century. A wrong year typed, a clock a few years ahead
(2030 set by hand) are within it; year 9999 is a forgery, refused (``too_new``), and no
offset a tracing read widens by passes the calendar's end."""


def sent_at_problem(sent_at: dt.datetime, received_at: dt.datetime) -> ProtocolError | None:
    """Why a batch's ``sent_at`` is not a clock the centre can correct by (the error to
    raise); None if sane."""
    off = abs(received_at - sent_at)
    if off > MAX_CLOCK_ERROR:
        return ProtocolError(422, "wire.clock_off", days=off.days, max=MAX_CLOCK_ERROR.days)
    return None


def scanned_at_window(received_at: dt.datetime, offset_seconds: float | None
                      ) -> tuple[str, str]:
    """The earliest and latest ``scanned_at`` a batch received at ``received_at`` from a
    kiosk whose clock is ``offset_seconds`` behind may carry, as wire times: these compare
    as text (fixed width, UTC), so a batch's entries are checked against two strings."""
    kiosk_now = received_at - dt.timedelta(seconds=offset_seconds or 0.0)  # its clock
    return format_time(kiosk_now - ENTRY_MAX_AGE), format_time(kiosk_now + ARRIVAL_TOLERANCE)


def scanned_at_problem(scanned_at: str, window: tuple[str, str]) -> Refusal | None:
    """Why an entry's (valid) ``scanned_at`` is outside the :func:`scanned_at_window`."""
    if scanned_at < window[0]:
        return Refusal("too_old", field="scanned_at", time=scanned_at,
                       days=ENTRY_MAX_AGE.days)
    if scanned_at > window[1]:
        return Refusal("too_new", field="scanned_at", time=scanned_at)
    return None


UNIX_EPOCH = "1970-01-01T00:00:00.000000Z"
"""The earliest ``scanned_at`` an entry timed by its age may carry (:class:`Timing`)."""
_MICROSECOND = dt.timedelta(microseconds=1)
_MAX_AGE_US = ENTRY_MAX_AGE // _MICROSECOND
_FIRST_SCANS = format_time(clock.FIRST_SCANS)
"""A ``scanned_at`` before it was read off a wrong clock and tells no age
(:func:`kiosk.clock.clock_wrong_then`)."""


class Timing:
    """How the centre times each entry of one batch: the clock offset it files the entry
    by (centre time − kiosk ``scanned_at``, see :mod:`kiosk.central.localdays`) and whether
    that time is one to take.

    An entry of the boot the batch was sent in (its ``boot_id`` is the batch's) is timed
    by its age, measured by the kiosk's two clocks as the kiosk measures the time since a
    person's last movement (:func:`kiosk.clock.elapsed`): on the monotonic clock,
    ``sent_monotonic_ns − monotonic_ns``, and on the wall clock, ``sent_at − scanned_at``.
    The monotonic clock stops in a suspend, so the true age lies between the first and the
    first plus ``sent_suspended_ns`` (the boot's suspended time by the send, sent by a
    kiosk of the ``send-suspended`` feature): the wall's age is taken when it lies there —
    the scan is filed at its ``scanned_at`` corrected by the batch's offset, as a lid shut
    overnight between scan and send must not file an evening's scan the next morning —
    else the nearer bound, never the wall clock's step: a scan made before the kiosk's
    clock jumped (a wrong year typed), or at 1970 before the clock was set, is filed when it
    happened, at ``received_at`` minus that age. The transit time is not subtracted (the
    centre cannot know it): the scan is filed that much late, as the batch offset files
    every other entry.

    A kiosk that does not send ``sent_suspended_ns`` (older, or without ``CLOCK_BOOTTIME``)
    leaves the centre unable to tell a suspend from a wall clock set forward between scan
    and send (NTP putting right a clock that was behind: a Raspberry Pi without a real-time
    clock boots at its last saved time and scans before NTP answers). Its entries are filed
    by the monotonic age, as before ``send-suspended`` (a centre upgraded must not move the
    scans of the kiosks it already had); one whose wall age — its clock right at sending,
    the batch's offset within :data:`CLOCK_TOLERANCE_SECONDS`, and its ``scanned_at`` from
    :data:`kiosk.clock.FIRST_SCANS` on (a flat RTC battery's 1970 tells no age) — is larger
    by more than :data:`kiosk.clock.TWO_CLOCKS_TOLERANCE` is uncertain (:attr:`uncertain`):
    made by the kiosk's clock that much earlier, and listed as such.

    Its age is judged by the centre's window: more than ENTRY_MAX_AGE is ``too_old``, as a
    lying kiosk's age would be. Its ``scanned_at`` may be later than the kiosk's clock at
    sending — the clock ran ahead when it was made (a day typed wrong, offline) and was set
    right before the send: the entry is filed by its age all the same, its claimed
    ``scanned_at`` kept and its own offset saying the correction. It is filed before it
    arrived, so the purge that removes it by its receipt comes before its batch log
    record's (:data:`kiosk.central.storage.BATCH_LOG_MARGIN`), whose least offset finds its
    id past its filed day until then. Its ``scanned_at`` may not be before
    :data:`UNIX_EPOCH`, where an unset clock starts (year 1 is a forgery), nor more than
    :data:`ENTRY_FAR_AHEAD` past its arrival (year 9999): the offset it is filed by bounds
    how far tracing widens its reads, on a calendar that ends at year 1 and 9999. An entry
    filed by its kiosk clock is judged by :func:`scanned_at_window`, as every other entry is.

    Every other entry is corrected by the batch's clock offset ``offset_seconds`` (None: a
    backlog file, clock unknown) and judged by :func:`scanned_at_window`: an entry of
    another boot, a batch without ``sent_monotonic_ns`` (an older kiosk), and an entry whose
    ``monotonic_ns`` is after the send's — a monotonic clock never goes back within a boot,
    so that pair is broken or a lie, and buys nothing the batch's offset would not give.
    One whose corrected time is after its arrival by more than :data:`ARRIVAL_TOLERANCE`
    (hours or years, up to :data:`ENTRY_FAR_AHEAD`: its boot's clock ran ahead, and was set
    right before this send) cannot have been made then: it is filed at its arrival, the
    latest it can have been made, and its time is uncertain (:attr:`uncertain`: its kiosk
    clock's offset, which files it later than that).

    A backlog file tells no offset (its age says nothing of the kiosk's clock), but the
    centre may have measured its kiosk's clock over the network (``measured_seconds``, the
    kiosk's last offset; given for files that say their writing clock). Off by more than
    :data:`CLOCK_TOLERANCE_SECONDS`, the clock may still have been that far off at the scan,
    or set right since: the real time is the ``scanned_at`` or that corrected by the offset,
    which is not known, so each entry is filed at the later of the two and its time is
    uncertain by the difference (:attr:`uncertain`), "never later" as every uncertain time;
    one that corrected would be after its arrival was made at its ``scanned_at`` (the clock
    was set right by then): filed so, sure.
    """

    __slots__ = ("boot_id", "far", "largest", "least", "measured", "offset", "received_at",
                 "sent_ns", "suspended", "uncertain", "window")

    def __init__(self, received_at: dt.datetime, offset_seconds: float | None,
                 sent_monotonic_ns: int | None = None, boot_id: str | None = None,
                 sent_suspended_ns: int | None = None, *,
                 measured_seconds: float | None = None) -> None:
        self.received_at, self.offset = received_at, offset_seconds
        self.measured = (measured_seconds if offset_seconds is None and measured_seconds
                         is not None and abs(measured_seconds) > CLOCK_TOLERANCE_SECONDS
                         else None)
        self.sent_ns, self.boot_id = sent_monotonic_ns, boot_id
        self.suspended = None if sent_suspended_ns is None else sent_suspended_ns / 1e9
        self.window = scanned_at_window(received_at, offset_seconds)
        self.far = format_time(received_at + ENTRY_FAR_AHEAD)
        self.largest: float | None = None
        """The entry offset of largest size of the entries timed by their age, for the
        batch log (the largest offset tracing widens its reads by)."""
        self.least = offset_seconds
        """The least offset (most negative: the clock furthest ahead) of the batch and of its
        entries timed by their age, for the batch log (how far past their filed day purge
        and erasure look for ids)."""
        self.uncertain: float | None = None
        """Of the entry :meth:`entry` timed last: the offset its kiosk clock would file it
        by (the batch's), when it was filed by its monotonic age though that clock says it
        was scanned earlier, and the kiosk did not say how long it had slept (see above),
        or filed at its arrival though that clock says later (0.0 for a backlog file);
        None otherwise."""

    def entry(self, scanned_at: str, monotonic_ns: int, boot_id: str
              ) -> tuple[float | None, Refusal | None]:
        """An entry's (valid) time → (its clock offset, why it is refused or None)."""
        self.uncertain = None
        if (boot_id != self.boot_id or self.sent_ns is None or monotonic_ns > self.sent_ns
                or self.offset is None):
            problem = scanned_at_problem(scanned_at, self.window)
            if problem is None and self.measured is not None:
                return self._doubted(scanned_at), None
            if problem is None or problem.code != "too_new" or scanned_at > self.far:
                return self.offset, problem
            self.uncertain = self.offset or 0.0  # its clock ran ahead: at arrival at latest
            return self._filed((self.received_at - dt.datetime.fromisoformat(scanned_at))
                               // _MICROSECOND), None
        if not UNIX_EPOCH <= scanned_at <= self.far:
            return self.offset, scanned_at_problem(scanned_at, (UNIX_EPOCH, self.far))
        # whole microseconds, as ints: a timedelta made of the age and round() cost 2.5 % of
        # the centre's ingest (docs/benchmarks.md, "Centre CPU per entry"); the offset is the
        # same float, n µs / 10**6 correctly rounded, as round(total_seconds(), 6) gave
        awake = (self.sent_ns - monotonic_ns) // 1000
        before = (self.received_at - dt.datetime.fromisoformat(scanned_at)) // _MICROSECOND
        wall = before / 1e6 - self.offset  # sent_at − scanned_at, on the kiosk's clock
        measured = None if wall < 0 or scanned_at < _FIRST_SCANS else wall
        if self.suspended is None:  # an older kiosk: its monotonic age, as before
            if (measured is not None and abs(self.offset) <= CLOCK_TOLERANCE_SECONDS
                    and measured > awake / 1e6 + clock.TWO_CLOCKS_TOLERANCE):
                self.uncertain = self.offset
            measured = None
        age = clock.elapsed(measured, awake / 1e6, self.suspended)
        if age == measured:
            return self.offset, scanned_at_problem(scanned_at, self.window)
        age_us = round(age * 1e6)
        if age_us > _MAX_AGE_US:
            return self.offset, Refusal(
                "too_old", field="monotonic_ns", days=ENTRY_MAX_AGE.days,
                time=format_time(self.received_at - dt.timedelta(microseconds=age_us)))
        return self._filed(before - age_us), None

    def _doubted(self, scanned_at: str) -> float | None:
        """A file's entry whose kiosk clock was last measured ``measured`` off: filed at the
        later of its ``scanned_at`` and that corrected, and uncertain by as much as the
        earlier of the two is before it (class docstring). Corrected, after its arrival by
        more than :data:`ARRIVAL_TOLERANCE`, it cannot have been made then: the clock was set
        right before it, and it is filed at its ``scanned_at``, sure (within it: at arrival)."""
        assert self.measured is not None
        before = (self.received_at - dt.datetime.fromisoformat(scanned_at)) // _MICROSECOND
        measured = round(self.measured * 1e6)
        if measured - before > ARRIVAL_TOLERANCE // _MICROSECOND:
            return self.offset
        self.uncertain = min(self.measured, 0.0)  # its kiosk clock's: ahead, it files earlier
        return self._filed(max(0, min(measured, before)))

    def _filed(self, offset_us: int) -> float:
        """An entry filed by its own offset (not the batch's), given in whole microseconds;
        in seconds: the batch log's largest and least offsets take it in."""
        seconds = offset_us / 1_000_000
        if self.largest is None or abs(seconds) > abs(self.largest):
            self.largest = seconds
        if self.least is None or seconds < self.least:
            self.least = seconds
        return seconds


def clock_offset_seconds(received_at: dt.datetime, sent_at: dt.datetime) -> float:
    """Server receive time minus kiosk send time: ≈ the kiosk clock's error plus transit time."""
    return round((received_at - sent_at).total_seconds(), 6)


def answered_clock_offset(value: object) -> float | None:
    """An answered (or saved) ``clock_offset_seconds`` in seconds; None when it is no offset
    a centre can measure: not a number, not finite (Python's json reads ``NaN`` and
    ``1e999``: saved, ``kiosk sync status --json`` printed ``NaN``, which is no JSON), or
    beyond :data:`MAX_CLOCK_ERROR` (a centre refuses a batch sent further off; ``10**400``
    overflowed ``float()`` in the send thread). The answer is used all the same: its results
    were checked against the entries sent, and the offset is only shown."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not abs(value) <= MAX_CLOCK_ERROR.total_seconds():  # NaN compares false
        return None
    return float(value)


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
            raise ProtocolError(415, "wire.no_zstandard")
        return zstd.ZstdCompressor(level=3 if level is None else level).compress(raw), "zstd"
    if encoding == "gzip":
        return gzip.compress(raw, compresslevel=1 if level is None else level, mtime=0), "gzip"
    if encoding == "identity":
        return raw, "identity"
    raise ProtocolError(415, "wire.unsupported_encoding", encoding=repr(encoding),
                        supported=", ".join(ENCODINGS))


def decode_body(data: bytes, content_encoding: str | None = None, *,
                max_decoded: int = MAX_DECODED_BYTES,
                max_values: int = MAX_JSON_VALUES) -> Any:
    """Decompress (bounded) and parse JSON; raises ProtocolError 400, 413 or 415.

    Decompression goes 1 MiB at a time and stops as soon as the output passes
    ``max_decoded`` bytes or holds more than ``max_values`` JSON values (counted by their
    separators, see :func:`json_values_at_most`), so neither a zip bomb nor a body of tiny
    values costs more than those limits before it is refused; only then is it parsed.
    """
    return parse_json(inflate(data, content_encoding, max_decoded=max_decoded,
                              max_values=max_values))


def decode_batch(data: bytes, content_encoding: str | None = None, *,
                 max_decoded: int = MAX_DECODED_BYTES) -> dict[str, Any]:
    """A batch body decoded (:func:`decode_body`, its limits and errors) and its envelope
    checked (:func:`validate_batch`, its errors): the envelope's members by name.

    A valid batch of valid entries (the centre's hot path) is parsed straight into
    :class:`Entry` and :class:`Health` (one typed pass: 3 µs an entry less than parsing
    then converting); anything wrong anywhere and the body is parsed again as plain JSON,
    so that the envelope is refused and each entry judged and worded (:func:`entry_row`)
    exactly as before. :func:`entry_row` and :func:`validate_health` take either form.
    """
    return batch_of(inflate(data, content_encoding, max_decoded=max_decoded))


def batch_of(raw: bytes | bytearray) -> dict[str, Any]:
    """:func:`decode_batch` of a body already decompressed by :func:`inflate` (the centre
    counts its size against the kiosk's hourly allowance)."""
    typed = None
    # JSON text holds a NUL only as this escape (and a lone surrogate not at all: msgspec
    # refuses it): without it, every text of the body is one a database can hold
    if b"\\u0000" not in raw:
        try:  # unmeasured depth: measuring would cost 0.85-4 x the parse (benchmarks.md);
            # only the extras and the verdict nest at will, and parse_json refuses them
            typed = msgspec.json.decode(raw, type=_WireBatch)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, ValueError):
            typed = None
    # the rules a type cannot say: validate_batch's (a real time, text a database holds)
    if (typed is not None and parse_time(typed.sent_at) is not None
            and text_problem(typed.kiosk_id) is None
            and _send_clock_problem(typed.sent_monotonic_ns, typed.boot_id,
                                    typed.sent_suspended_ns) is None
            and (typed.boot_id is None or text_problem(typed.boot_id) is None)
            and (typed.health is None or _health_problem(typed.health) is None)
            and _judged(typed.entries)):
        return {name: getattr(typed, name) for name in BATCH_FIELDS}
    batch = parse_json(raw)
    validate_batch(batch)
    return batch


def inflate(data: bytes, content_encoding: str | None = None, *,
            max_decoded: int = MAX_DECODED_BYTES, max_values: int = MAX_JSON_VALUES
            ) -> bytearray:
    """The body decompressed, within the limits of :func:`decode_body` (its errors)."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        chunks: Iterator[bytes] = iter((data,))
    elif encoding in ("gzip", "x-gzip"):
        chunks = _gunzip(data)
    elif encoding == "zstd":
        chunks = _unzstd(data)
    else:
        raise ProtocolError(415, "wire.unsupported_encoding", encoding=repr(content_encoding),
                            supported=", ".join(ENCODINGS))
    raw, values, uncounted = bytearray(), 0, 0
    for chunk in chunks:
        raw += chunk
        if len(raw) > max_decoded:
            raise _too_large(max_decoded)
        # a byte adds a value at most: the values are counted once they could be too many
        # (a body of at most max_values bytes, as the kiosk's batches are, is never counted)
        uncounted += len(chunk)
        if values + uncounted > max_values:
            values += json_values_at_most(raw, len(raw) - uncounted)
            uncounted = 0
        if values > max_values:
            raise ProtocolError(413, "wire.too_many_values", max=max_values)
    return raw


def parse_json(raw: bytes | bytearray) -> Any:
    """JSON text → Python objects; ProtocolError 400 for what is not JSON."""
    # msgspec, not orjson: the same speed on a full batch, but it holds about 3× the body
    # while parsing where orjson holds about 13× (a 16 MiB body: 16 MiB, not 208 MiB).
    if nested_too_deep(raw):
        raise ProtocolError(400, "wire.too_deep")
    try:
        return msgspec.json.decode(raw)  # refuses NaN/Infinity and invalid UTF-8 itself
    except msgspec.DecodeError as exc:
        problem = str(exc)
        if "UTF-8" in problem:
            raise ProtocolError(400, "wire.not_utf8", detail=problem) from None
        raise ProtocolError(400, "wire.malformed", detail=problem.removeprefix(
            "JSON is malformed: ")) from None
    except msgspec.ValidationError as exc:  # a number no float can hold (1e999)
        raise ProtocolError(400, "wire.malformed", detail=exc) from None


def json_values_at_most(text: bytes | bytearray, start: int = 0) -> int:
    """An upper bound on the values parsing this JSON text (from byte ``start``) adds beyond
    the first: every further array item or object member follows a ``,`` or opens with
    ``[``/``{`` (the separators inside strings only make the bound looser). A few memchr
    passes, ~GB/s."""
    return text.count(b",", start) + text.count(b"[", start) + text.count(b"{", start)


_CHUNK = 1 << 20


def _gunzip(data: bytes) -> Iterator[bytes]:
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            while not inflater.eof:
                chunk = inflater.decompress(data, _CHUNK)
                data = inflater.unconsumed_tail
                if not chunk and not data:
                    raise ProtocolError(400, "wire.truncated_gzip")
                yield chunk
        except zlib.error as exc:
            raise ProtocolError(400, "wire.bad_gzip", detail=exc) from None
        data = inflater.unused_data  # another gzip member may follow


def _unzstd(data: bytes) -> Iterator[bytes]:
    zstd = _zstd()
    if zstd is None:
        raise ProtocolError(415, "wire.no_zstd_here")
    try:
        with zstd.ZstdDecompressor().stream_reader(io.BytesIO(data),
                                                   read_across_frames=True) as reader:
            while chunk := reader.read(_CHUNK):
                yield chunk
    except zstd.ZstdError as exc:
        raise ProtocolError(400, "wire.bad_zstd", detail=exc) from None


def _too_large(limit: int) -> ProtocolError:
    return ProtocolError(413, "wire.too_large_decoded", limit=limit)


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


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- schema for documentation (OpenAPI) ---------------------------------------------------
def entry_json_schema() -> dict[str, Any]:
    """JSON Schema of one wire entry, from :class:`Entry`."""
    return _inline(msgspec.json.schema(Entry))


def batch_json_schema() -> dict[str, Any]:
    """JSON Schema of a batch body (entries included), from :class:`Batch`: the centre's
    OpenAPI request body."""
    return _inline(msgspec.json.schema(Batch))


def heartbeat_json_schema() -> dict[str, Any]:
    """JSON Schema of a heartbeat body, from :class:`Heartbeat`."""
    return _inline(msgspec.json.schema(Heartbeat))


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its ``$ref``s replaced by the definitions (OpenAPI has no ``$defs``)."""
    definitions = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node
    return resolve(schema)


def _type_name(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value),
                                                                          type(value).__name__)


def json_type_words(value: object) -> messages.Words:
    """A JSON value's type, to be worded ("an object" / "một đối tượng")."""
    return messages.Words(f"json.{_json_type(value)}")


def _json_type(value: object) -> str:
    """A refusal's ``got`` for a value of the wrong type: its JSON type's name."""
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def _got(value: object) -> str:
    """A refusal's ``got`` for a bad value: a short JSON quotation, or its type's name."""
    return _show(value) if _scalar(value) else _json_type(value)


def _show(value: object) -> str:
    """A short quotation of a bad value for an error message (containers only named)."""
    if isinstance(value, dict | list) or not _scalar(value):
        return _type_name(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _quoted_type(quotation: str) -> str:
    """The JSON type's name of the value :func:`_show` quoted (a JSON text, maybe cut short
    with "...")."""
    if quotation.startswith('"'):
        return "string"
    return {"true": "boolean", "false": "boolean", "null": "null"}.get(quotation, "number")


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
