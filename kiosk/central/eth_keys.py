"""Match keys with an eth folded as D, as kiosks fold them now.

A scanner typing cp1258's Alt codes on a cp1252 kiosk sends Đ as Ð (U+00D0, the Icelandic
eth). A CCCD with it is refused (:func:`kiosk.payloads.names.eth_for_d`); a PC-Covid code is
taken (foreigners' names hold other letters), and :func:`kiosk.payloads.identity.fold_name`
kept the eth in its match key before kiosk stores v15: "m:000005|ÐANG THI TRAM|1965" beside
her card's "m:000005|DANG THI TRAM|1965" — two people to a trace, to the day's people count
and to the number's holder (docs/central.md, "this code is hers"). No Vietnamese name holds
an eth, so it now folds as D.

The centre folds again the keys of entries from older kiosks as they arrive
(:func:`kiosk.payloads.identity.refolded`, at ingest: their resends then match what is held)
and, once, those it holds when it reaches v57 (:func:`refold_held`): the entries' and set-aside
entries' keys, the document matches, the day sets of those days, and the stays, tails and
identities of the people at the places where those entries were scanned (derived again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.central import derivation, people, stays
from kiosk.central.placeholders import json_rows
from kiosk.payloads.identity import ETH, refolded

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

_HELD = "SELECT DISTINCT match_key FROM {table} WHERE match_key LIKE $1"
"""The keys holding an eth (a LIKE over the table: once, at the migration)."""
_MATCHES = ("document_matches", "forgotten_matches")
"""The tables of (document, day, match key) (the second: PostgreSQL's, v23)."""


def refold_held(storage: Storage, tx: Any) -> int:
    """In a migration to v57, in ``tx``: every key held that holds an eth folded as D, and
    what is derived from it — the document matches (both keys' rows become one), the day
    sets of the days of those entries (counted again: her code and her card were two people
    there), and the stays of the people at the places those entries were scanned at (forgotten
    and queued to derive again: a card's entry and a code's exit are one stay now). Returns
    the keys changed: 0 for nearly every centre, which then writes nothing."""
    like = (f"%{ETH}%",)
    tables = ["entries", "entries_set_aside"]
    keys = {old for table in tables
            for (old,) in storage._execute(tx, _HELD.format(table=table), like).fetchall()}
    if not keys:
        return 0
    storage._execute(tx, "CREATE TEMP TABLE refolded (old TEXT PRIMARY KEY, new TEXT NOT NULL)")
    storage._execute(tx, f"INSERT INTO refolded (old, new) SELECT p.value ->> 0, p.value ->> 1 "
                         f"FROM {storage._json_rows('$1', 'p')}",
                     (json_rows(sorted((old, refolded(old)) for old in keys)),))
    held = storage._execute(tx, "SELECT DISTINCT e.local_day, r.old, r.new, e.checkpoint_id "
                                "FROM entries e JOIN refolded r ON r.old = e.match_key"
                            ).fetchall()
    for table in tables:
        storage._execute(tx, f"UPDATE {table} SET match_key = (SELECT r.new FROM refolded r "
                             f"WHERE r.old = {table}.match_key) WHERE match_key IN "
                             f"(SELECT old FROM refolded)")
    for table in _MATCHES[:2 if storage.postgresql else 1]:
        storage._execute(tx, f"INSERT INTO {table} (subject_key, day, match_key) SELECT "
                             f"d.subject_key, d.day, r.new FROM {table} d JOIN refolded r ON "
                             f"r.old = d.match_key WHERE true ON CONFLICT DO NOTHING")
        storage._execute(tx, f"DELETE FROM {table} WHERE match_key IN (SELECT old FROM refolded)")
    people.recount(storage, tx, days=sorted({day for day, *_ in held if day is not None}))
    groups = sorted({(key, checkpoint) for _, old, new, checkpoint in held
                     for key in (old, new)})
    derivation.exclude(storage, tx)
    stays.forget_groups(storage, tx, groups)
    again = [i for (i,) in storage._execute(
        tx, f"SELECT e.id FROM (SELECT p.value ->> 0 AS k, p.value ->> 1 AS c FROM "
            f"{storage._json_rows('$1', 'p')}) g JOIN entries e ON e.match_key = g.k "
            "AND e.checkpoint_id = g.c ORDER BY e.id", (json_rows(groups),)).fetchall()]
    derivation.queue(storage, tx, again, None)
    storage._execute(tx, "DROP TABLE refolded")
    return len(keys)
