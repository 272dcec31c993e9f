"""Which document numbers went with which match keys, per local day, kept at ingest.

Why: a manual entry carries a typed document number (``doc:`` subject key) and no match
key; tracing joins it to the person whose card (CCCD) or unmasked PC-Covid code was scanned
with that number — the smallest match key stored with it in the days around the trace
(:func:`kiosk.central.tracing.alias_window`) — and a trace by number finds its holder under
every match key ever stored with it. Asked of ``entries``, that question probes
every day partition for every number (50 ms to 2 s for the manual entries near one visit at
10 M entries); asked here it is one index range per number.

``document_matches`` holds one row per (``doc:`` subject key, local day, match key) seen
together in an entry held. Exact, as the hypothesis tests check against the entries:

- **A derivation step** (:mod:`kiosk.central.derivation`) adds the rows of its batches'
  new entries in its transaction (``ON CONFLICT DO NOTHING``).
- **Retention and erasure** take entries (or their keys) away: before they do, the rows
  that no other entry held stands for go (:data:`FORGET`), in the same transaction.
  Erasure holds steps back meanwhile (:func:`kiosk.central.derivation.exclude`);
  PostgreSQL's purge, whose deletions take seconds a day, instead adds back afterwards the
  rows that a step open meanwhile stands for (:data:`RESTORE`), kept until then in
  :data:`FORGOTTEN` by the transaction that deletes them.
- **A zone change** refiles entries under other local days: every row is rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kiosk.central.placeholders import json_rows

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

_PAIRED = "subject_key LIKE 'doc:%' AND match_key IS NOT NULL AND local_day IS NOT NULL"
"""The entries that say which match key goes with a document number."""


def keep(storage: Storage, tx: Any, rows: Iterable[tuple[str, str, str | None]]) -> None:
    """In a derivation step: add the (subject key, local day, match key) of new entries
    (those that are not a document with a match key are skipped)."""
    triples = sorted({(subject, day, match) for subject, day, match in rows
                      if match and subject.startswith("doc:")})
    if not triples:  # sorted: the index is written in its order
        return
    storage._execute(
        tx, "INSERT INTO document_matches (subject_key, day, match_key) SELECT p.value ->> 0, "
            f"p.value ->> 1, p.value ->> 2 FROM {storage._json_rows('$1', 'p')} WHERE true "
            "ON CONFLICT DO NOTHING", (json_rows(triples),))


def rebuild(storage: Storage, tx: Any) -> int:
    """Make every row that of the entries held, in ``tx`` (a migration, a zone change);
    how many rows there are."""
    storage._execute(tx, "DELETE FROM document_matches")
    return storage._execute(
        tx, "INSERT INTO document_matches (subject_key, day, match_key) SELECT DISTINCT "
            f"subject_key, local_day, match_key FROM entries WHERE {_PAIRED} ORDER BY 1, 2, 3"
    ).rowcount


FORGET = ("DELETE FROM document_matches WHERE (subject_key, day, match_key) IN (SELECT "
          f"subject_key, local_day, match_key FROM {{entries}} WHERE {{where}} AND {_PAIRED}) "
          "AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.local_day = document_matches.day "
          "AND e.subject_key = document_matches.subject_key "
          "AND e.match_key = document_matches.match_key AND {kept} "
          "AND e.local_day IN (SELECT local_day FROM {entries} WHERE {where}))")
"""Delete the rows of the entries of ``{entries}`` chosen by ``{where}`` that no other entry
stands for, before those entries are deleted or their keys erased; ``{kept}`` says, of an
entry ``e``, that it is not one of them. (The last condition says nothing new: it lets
PostgreSQL read only the other entries of those entries' days, by ``entries_day_subject``,
not all of them — 5.5 s instead of 18.5 s for one day's partition at 10 M entries.)"""

FORGOTTEN = "forgotten_matches"
"""PostgreSQL (v23): the rows a purge deleted, until it has added back those an entry held
stands for (:data:`RESTORE`)."""


def noting(forget: str) -> str:
    """PostgreSQL: ``forget`` (a :data:`FORGET`) also keeping the rows it deletes in
    :data:`FORGOTTEN`, in its statement: a purge that dies before :data:`RESTORE` leaves
    them for the storage opened next, not lost with its memory."""
    return (f"WITH gone AS ({forget} RETURNING subject_key, day, match_key) INSERT INTO "
            f"{FORGOTTEN} (subject_key, day, match_key) SELECT subject_key, day, match_key "
            "FROM gone ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING")


RESTORE = (f"WITH settled AS (DELETE FROM {FORGOTTEN} WHERE (subject_key, day, match_key) IN "
           "(SELECT * FROM unnest($1::text[], $2::text[], $3::text[])) RETURNING subject_key, "
           "day, match_key) INSERT INTO document_matches (subject_key, day, match_key) SELECT "
           "f.subject_key, f.day, f.match_key FROM settled f WHERE EXISTS (SELECT 1 FROM "
           "entries e WHERE e.local_day = f.day AND e.subject_key = f.subject_key "
           "AND e.match_key = f.match_key) ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING")
"""PostgreSQL: take the rows given (as three arrays of their columns) out of
:data:`FORGOTTEN` and add back those an entry held stands for — rows :data:`FORGET` deleted
while a step deriving such an entry was still open
(:meth:`kiosk.central.partitions.Partitions.drop_before`)."""
