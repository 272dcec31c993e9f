"""What the scans of the stays kept say about their people, each distinct saying stored once.

Why: a trace names every contact from both scans of each stay it shared (the latest wins:
:func:`kiosk.central.tracing.describe_stays`). Read from ``entries`` that is one row per scan,
tens of thousands for a trace at busy places, scattered over every day partition; a person's
scans mostly say the same thing, so each stay keeps the identity of its first and last scan
(schema v18) and a trace reads the few thousand distinct identities instead, from one small
table.

An identity is the details a trace shows (:data:`DETAILS`: kind of code, name, birth date,
document number, a manual entry's phone), keyed by a 64-bit hash of them computed where the
scan is read (:func:`key_of`): a derivation step writes it without asking the database for
an id.
Two different details sharing a key would take about 4·10⁹ distinct identities for an even
chance (birthday bound): a province holds a few million.

Personal data follows the entries' retention: each identity holds the day by which the newest
scan that says it goes (``last_day``, moved forward as scans are derived: once a day for
someone scanned daily, the row is rewritten no more often), and purge and erasure delete
those whose newest scan is before their cutoff (:func:`forget_before`), with the stays of
those scans. They take a scan when the UTC day of its id or the local day it is filed on is
before the cutoff (a kiosk clock ahead makes ids past the day it is filed on:
:meth:`Storage.filed_before`), so that day is the earlier of the two (:func:`day_of`): a name
said by a fast clock's scan and a right clock's does not outlive both.
A stay's identities are written in the transaction that writes it, so an identity a stay
needs exists as long as the stay (its scans are at least as old as the identity's newest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kiosk.central.id_days import day_of_id
from kiosk.central.placeholders import Params, json_rows
from kiosk.central.tracing import phone_of

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

TABLE = "identities"
DETAILS = ("kind", "name", "birth_date", "document_number", "phone")
COLUMNS = ("id", *DETAILS, "last_day")
SCANNED = ("e.kind, e.name, e.birth_date, e.document_number, "
           "CASE WHEN e.kind = 'manual' THEN e.extra END")
"""A scan's columns that its identity is made of (``extra`` only of manual entries, where
the phone is), as :func:`of_scan` takes them."""
_UPSERT = (" ON CONFLICT (id) DO UPDATE SET last_day = excluded.last_day "
           "WHERE identities.last_day < excluded.last_day")


def key_of(details: tuple[Any, ...]) -> int:
    """The identity key of these details (:data:`DETAILS` order, texts or None): a signed
    64-bit hash of their ``repr``, which tells every text and None apart."""
    digest = hashlib.blake2b(repr(details).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def of_scan(kind: str, name: str | None, birth_date: str | None,
            document_number: str | None, extra: Any) -> tuple[Any, ...]:
    """The details of a scan's columns (:data:`SCANNED`) as an identity holds them."""
    return (kind, name, birth_date, document_number, phone_of(kind, extra))


def keep(storage: Storage, tx: Any, said: Iterable[tuple[int, tuple[Any, ...], str]]) -> None:
    """Store identities (key, details, :func:`day_of` a scan saying them) not held yet, and
    move the newest day of those held forward."""
    newest: dict[int, tuple[tuple[Any, ...], str]] = {}
    for key, details, day in said:
        held = newest.get(key)
        if held is None or held[1] < day:
            newest[key] = (details, day)
    if not newest:
        return
    rows = [(key, *details, day) for key, (details, day) in sorted(newest.items())]
    columns = ", ".join(f"r.value ->> {i}" for i in range(1, len(COLUMNS)))
    storage._execute(tx, (  # one parameter, not 7 a row (WHERE: SQLite's upsert after a SELECT)
        f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) SELECT CAST(r.value ->> 0 AS BIGINT), "
        f"{columns} FROM {storage._json_rows('$1', 'r')} WHERE true{_UPSERT}"),
        (json_rows(rows),))


def day_of(entry_id: str, local_day: str) -> str:
    """The day by which a scan goes (ISO text): the UTC day of its id or the local day it is
    filed on, whichever is earlier."""
    return min(_utc_day(entry_id), local_day)


_DAYS: dict[int, str] = {}


def _utc_day(entry_id: str) -> str:
    """The UTC day of a UUIDv7's time as ISO text (:func:`id_days.day_of_id`), each day
    computed once: ~0.3 µs instead of ~3."""
    number = int(entry_id[:8] + entry_id[9:13], 16) // 86_400_000
    day = _DAYS.get(number)
    if day is None:
        if len(_DAYS) > 10_000:  # (ids of any time a kiosk may send: kept bounded)
            _DAYS.clear()
        day = _DAYS[number] = day_of_id(entry_id).isoformat()
    return day


def details(storage: Storage, keys: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """{key: what a trace shows (tracing.DETAIL_COLUMNS: ``extra`` holds the phone)}."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    params = Params()
    if storage.postgresql:  # one index probe a key: the list comes from a sub-select, or
        # the planner weighs its thousands of keys and scans the whole table instead
        # (113 ms against 24 ms for 4,054 keys of 823,286)
        condition = f"id = ANY(ARRAY(SELECT unnest({params.add(wanted)}::bigint[])))"
    else:
        condition = f"id IN (SELECT value FROM json_each({params.add(json_rows(wanted))}))"
    return {key: (kind, name, birth, document, {"phone": phone} if phone else None)
            for key, kind, name, birth, document, phone in storage._query(
                f"SELECT {', '.join(COLUMNS[:-1])} FROM {TABLE} WHERE {condition}", params)}


def forget_before(storage: Storage, tx: Any, before: dt.date) -> None:
    """Delete the identities no scan kept past ``before`` says (by :func:`day_of`)."""
    storage._execute(tx, f"DELETE FROM {TABLE} WHERE last_day < $1", (before.isoformat(),))

