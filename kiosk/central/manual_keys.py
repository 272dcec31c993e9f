"""Manual entries keyed by the phone in E.164, however the officer typed it, and foreign
documents keyed apart from Vietnamese ones.

A person entered by hand with a phone and no document is known by their name and phone
(:func:`kiosk.payloads.manual.phone_subject`). Kiosks before schema v51 keyed them by the
phone as typed: ``0912345678`` at one point and ``+84 912 345 678`` at another were two
people, to a trace and to the day's people count. The centre keys such entries again as they
arrive from those kiosks (:func:`keyed_again`, at ingest: their resends then match what is
held) and, once, those it held when it reached v51 (:func:`rekey_held`).

A foreigner's document typed by hand («Giấy tờ nước ngoài» / *Foreign document* ticked) was
keyed ``doc:<number>`` before v53, as a Vietnamese document of that number is: a passport
numbered ``123456789`` was the holder of CMND ``123456789`` to a trace (each found the other)
and to the day's people count. Now it is ``fdoc:<number>``
(:func:`kiosk.payloads.identity.foreign_document_key`); the centre keys so, as they arrive
and once when it reaches v53 (:func:`rekey_foreign_held`), the entries of kiosks from before
whose form was ticked (its raw payload, the form as JSON, says ``"foreign": true``) or whose
number cannot be a Vietnamese document's. No nationality is recorded: the form has none.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kiosk.central import people
from kiosk.central.placeholders import json_rows
from kiosk.central.tracing import phone_of
from kiosk.payloads.identity import foreign_document_key
from kiosk.payloads.manual import phone_subject, vietnamese_document

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

MANUAL = "manual"
CHUNK = 10_000
"""Key pairs written to the migration's table in one statement."""
_HELD = ("SELECT DISTINCT subject_key, name, extra FROM entries WHERE kind = 'manual' "
         "AND subject_key LIKE 'raw:%' AND document_number IS NULL AND name IS NOT NULL")
"""The keys of the manual entries held without a document, each with what it is made of."""


def subject_of(name: str | None, extra: Any) -> str | None:
    """The subject key of a manual entry without a document, from its stored name and
    ``extra`` (a dict, or its JSON text); None when it carries no phone to key it by."""
    phone = phone_of(MANUAL, extra)
    return phone_subject(name, phone) if name and phone else None


def ticked_foreign(payload: bytes | memoryview | None) -> bool:
    """Whether a manual entry's raw payload (its form as JSON) says the document is another
    country's."""
    try:
        form = json.loads(bytes(payload or b""))
    except (ValueError, TypeError):
        return False
    return isinstance(form, dict) and form.get("foreign") is True


def foreign_key(subject: str, document: str | None, payload: bytes | memoryview | None
                ) -> str | None:
    """The ``fdoc:`` key of a manual entry that a kiosk before v53 keyed ``doc:`` though its
    document is another country's; None for any other."""
    if document is None or not subject.startswith("doc:"):
        return None
    if vietnamese_document(document) and not ticked_foreign(payload):
        return None
    return foreign_document_key(document)


def keyed_again(row: tuple[Any, ...], kind: int, subject: int, document: int, name: int,
                extra: int, payload: int) -> tuple[Any, ...]:
    """An entry row (its columns at these indexes) with a manual entry's subject key made
    from the phone in E.164, or its foreign document's (:func:`foreign_key`); any other row
    as it is."""
    if row[kind] != MANUAL:
        return row
    if row[document] is not None:
        key = foreign_key(row[subject], row[document], row[payload])
    elif row[subject].startswith("raw:"):
        key = subject_of(row[name], row[extra])
    else:
        key = None
    if key is None or key == row[subject]:
        return row
    return (*row[:subject], key, *row[subject + 1:])


def rekey_held(storage: Storage, tx: Any) -> int:
    """In a migration to v51, in ``tx``: every manual entry held without a document keyed by
    its phone in E.164, and the day sets with it. A day with one person under two keys
    (typed both ways) counted them twice: then every day's people are counted again
    (:func:`people.recount`); otherwise the keys are renamed where they stand. Returns the
    keys changed."""
    changed = {old: new for old, name, extra in storage._execute(tx, _HELD).fetchall()
               if (new := subject_of(name, extra)) is not None and new != old}
    if not changed:
        return 0
    storage._execute(tx, "CREATE TEMP TABLE rekeyed (old TEXT PRIMARY KEY, new TEXT NOT NULL)")
    pairs = sorted(changed.items())
    for start in range(0, len(pairs), CHUNK):
        storage._execute(tx, f"INSERT INTO rekeyed (old, new) SELECT p.value ->> 0, "
                             f"p.value ->> 1 FROM {storage._json_rows('$1', 'p')}",
                         (json_rows(pairs[start:start + CHUNK]),))
    storage._execute(tx, "UPDATE entries SET subject_key = (SELECT r.new FROM rekeyed r WHERE "
                         "r.old = entries.subject_key) WHERE kind = 'manual' AND subject_key "
                         "IN (SELECT old FROM rekeyed)")
    merged = storage._execute(
        tx, "SELECT 1 FROM day_subjects d JOIN rekeyed r ON r.old = d.subject_key "
            "WHERE EXISTS (SELECT 1 FROM day_subjects o WHERE o.day = d.day AND "
            "(o.subject_key = r.new OR o.subject_key IN (SELECT old FROM rekeyed x WHERE "
            "x.new = r.new AND x.old <> r.old))) LIMIT 1").fetchone()
    if merged:
        people.recount(storage, tx)
    else:
        storage._execute(tx, "UPDATE day_subjects SET subject_key = (SELECT r.new FROM rekeyed r "
                             "WHERE r.old = day_subjects.subject_key) WHERE subject_key IN "
                             "(SELECT old FROM rekeyed)")
    storage._execute(tx, "DROP TABLE rekeyed")
    return len(changed)


_FOREIGN_HELD = ("SELECT id, subject_key, document_number, payload FROM entries WHERE "
                 "kind = 'manual' AND subject_key LIKE 'doc:%' AND document_number IS NOT NULL")
"""The manual entries held with a document keyed as a Vietnamese one, and what tells."""


def rekey_foreign_held(storage: Storage, tx: Any) -> int:
    """In a migration to v53, in ``tx``: every manual entry held whose document is another
    country's (:func:`foreign_key`) keyed ``fdoc:``, and the day sets with it. A day on
    which another entry keeps the ``doc:`` key (the Vietnamese holder of the number, one
    person with the foreigner until now) or that already holds the ``fdoc:`` key (a kiosk
    of today's, counted twice) is counted wrong: then every day's people are counted again
    (:func:`people.recount`, minutes on a province); otherwise the keys are renamed where
    they stand. Returns the entries keyed again."""
    changed = [(entry, old, new) for entry, old, document, payload
               in storage._execute(tx, _FOREIGN_HELD).fetchall()
               if (new := foreign_key(old, document, payload)) is not None]
    if not changed:
        return 0
    storage._execute(tx, "CREATE TEMP TABLE rekeyed (id TEXT PRIMARY KEY, old TEXT NOT NULL, "
                         "new TEXT NOT NULL)")
    for start in range(0, len(changed), CHUNK):
        storage._execute(tx, f"INSERT INTO rekeyed (id, old, new) SELECT p.value ->> 0, "
                             f"p.value ->> 1, p.value ->> 2 FROM "
                             f"{storage._json_rows('$1', 'p')}",
                         (json_rows(changed[start:start + CHUNK]),))
    storage._execute(tx, "UPDATE entries SET subject_key = (SELECT r.new FROM rekeyed r WHERE "
                         "r.id = entries.id) WHERE kind = 'manual' AND id IN "
                         "(SELECT id FROM rekeyed)")
    miscounted = storage._execute(
        tx, "SELECT 1 FROM rekeyed r JOIN entries e ON e.id = r.id WHERE EXISTS (SELECT 1 "
            "FROM entries o WHERE o.local_day = e.local_day AND o.subject_key = r.old) OR "
            "EXISTS (SELECT 1 FROM day_subjects d WHERE d.day = e.local_day AND "
            "d.subject_key = r.new) LIMIT 1").fetchone()
    if miscounted:
        people.recount(storage, tx)
    else:  # on the foreigners' days, one person under another name: no count changes
        storage._execute(tx, "UPDATE day_subjects SET lone_checkpoint = NULL, subject_key = "
                             "(SELECT min(r.new) FROM rekeyed r WHERE r.old = "
                             "day_subjects.subject_key) WHERE (day, subject_key) IN "
                             "(SELECT e.local_day, r.old FROM rekeyed r JOIN entries e "
                             "ON e.id = r.id)")
    storage._execute(tx, "DROP TABLE rekeyed")
    return len(changed)
