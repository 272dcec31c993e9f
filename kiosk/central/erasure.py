"""Erasing the personal columns of old entries, keeping the movement without the identity.

After ``personal_retention_days`` an entry keeps when, where, which kiosk and device, in or
out, the kind of code and its status — what reports, the Checkpoints pages and the counts
need — and loses everything that says who: document number, name, birth date, gender,
address, issue date, the raw payload, the extra fields (a manual entry's phone), the
certificate verdict (it names the holder), and both keys derived from the identity
(``subject_key`` becomes ``erased``, ``match_key`` NULL) — and the entry's pairs (both
keys) in the day sets of :mod:`kiosk.central.people` and its row in
:mod:`kiosk.central.document_matches`, in the same transaction. The days the erased entries
fall on are frozen first, so the reports' distinct people do not change. A trace can no
longer find anyone in an erased period: its answer's ``data_begins`` moves to the first
day still holding identities.

The period counts from when the scan was made as the centre files it (its ``local_day``,
corrected by the batch's clock offset), or earlier. Entries are chosen by the UTC day of their
UUIDv7 id (the kiosk's clock at the scan), and the whole range before the cutoff is walked in
id order on every run, in short transactions, so that uploads keep flowing meanwhile; an
entry that arrives later (a backlog file weeks later), that this run would have erased and
that is filed on a local day before the cut, is stored without its identity
(:data:`ERASED_BEFORE`, :meth:`Storage.ingest_batch`), and one arriving during the walk
behind it is erased at the next run. One filed on the cut's day or later whose id is before
the cut (a kiosk clock behind, a scan timed at 1970 filed by its age) keeps its identity at
arrival, is counted in its day's people and traced, and is erased by its id day at the next
run — as one that arrived before this run was by this run: traces, and the people of the
days after the cut's day, do not depend on which came first (review40 G2; the cut's day's
count was frozen by this run: one arriving after it there is not counted, review41 C1).
What an entry keeps is :data:`ERASED_VALUES`, for both.
A kiosk whose clock ran ahead (its offset corrected, so in the partial index
``entries_skewed``) made ids past the cutoff for scans filed before it: those are read as far
past it as the clock furthest ahead ran (:meth:`Storage.filed_before`, as the raw purge reads
them) and erased by id with their stays and identities. A kiosk sending an erased entry
again is told ``duplicate``, as for any entry already held.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from kiosk.central import derivation, document_matches, id_days, people, set_aside_rows, stays
from kiosk.central.storage import ERASED, ERASED_BEFORE, ERASED_VALUES

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

SETTING = "personal_retention_days"
BATCH = 1000
"""Entries erased per transaction: an upload waits for one batch at most (see
docs/benchmarks.md, retention)."""
MIN_DAYS = 14
"""Tracing looks back 14 days by default, and late uploads arrive within days."""

GIVEN = tuple(value for value in ERASED_VALUES.values() if isinstance(value, bytes))
"""The parameters of :func:`erasing`'s statement, in its slots' order: the bytes it writes
(no literal of bytes is common to both engines)."""


def erasing(where: str, first: int, table: str = "entries") -> str:
    """The UPDATE leaving the entries ``where`` chooses (those not erased yet) as
    :data:`ERASED_VALUES` says, its :data:`GIVEN` in the slots from ``$first`` on (of
    ``table``: a copied token's entries set aside too, :mod:`kiosk.central.copied_sources`)."""
    values, slot = [], first
    for column, value in ERASED_VALUES.items():
        if isinstance(value, bytes):
            written, slot = f"${slot}", slot + 1
        else:
            written = "NULL" if value is None else "'" + value.replace("'", "''") + "'"
        values.append(f"{column} = {written}")
    return (f"UPDATE {table} SET {', '.join(values)} "
            f"WHERE {where} AND subject_key <> '{ERASED}'")


_FORGET = people.FORGET.format(entries="entries", where="id >= $1 AND id <= $2")
_FORGET_MATCHES = document_matches.FORGET.format(entries="entries", where="id >= $1 AND id <= $2",
                                                 kept="NOT (e.id >= $1 AND e.id <= $2)")


def erase_personal(storage: Storage, before: dt.date) -> int:
    """Erase the identities of entries of UTC days before ``before``, and of those filed on
    local days before it whose ids a kiosk clock ahead put past it
    (:meth:`Storage.filed_before`); how many were erased by this run (entries erased earlier
    are skipped)."""
    cutoff = id_days.bounds(before)[0]
    with storage._transaction() as tx:  # a copied token's entries set aside: by id day
        aside = storage._execute(tx, erasing("id < $1", 2, set_aside_rows.ASIDE),
                                 (cutoff, *GIVEN)).rowcount
    ahead = storage.filed_before(before)
    if not ahead and not storage._query("SELECT 1 FROM entries WHERE id < $1 LIMIT 1",
                                        (cutoff,)):
        return aside
    derivation.catch_up(storage)  # every day counted as it stands before it freezes
    stays.read_raw_before(storage, before)  # traces read those days raw from now on
    frozen = before + dt.timedelta(days=1)  # a local day can end after its UTC day
    with storage._transaction() as tx:
        derivation.exclude(storage, tx)
        derivation.count_set_aside_people(storage, tx, frozen)
        people.freeze(storage, tx, frozen)
    erased, after, erase = aside, "", erasing("id >= $1 AND id <= $2", 3)
    while True:
        ids = [row[0] for row in storage._query(
            "SELECT id FROM entries WHERE id > $1 AND id < $2 ORDER BY id LIMIT $3",
            (after, cutoff, BATCH))]
        if not ids:
            break
        with storage._transaction() as tx:  # no step derives from an entry it erases
            derivation.exclude(storage, tx)
            storage._execute(tx, _FORGET, (ids[0], ids[-1]))
            storage._execute(tx, _FORGET_MATCHES, (ids[0], ids[-1]))
            erased += storage._execute(tx, erase, (ids[0], ids[-1], *GIVEN)).rowcount
        after = ids[-1]
    # their pairs: in days frozen above, and again below
    erased += storage._by_ids(ahead, lambda chosen: erasing(chosen, 2), *GIVEN)
    # after the walk: a batch that was adding a pair to a day as it froze, or storing the
    # stays of a scan the walk erased, has ended, and what it added goes too
    storage._wait_for_writers("day_subjects")
    with storage._transaction() as tx:
        derivation.exclude(storage, tx)
        people.freeze(storage, tx, frozen)
    stays.forget_before(storage, before, derivation.exclude)
    held = storage.optional_setting(ERASED_BEFORE)
    if held is None or held < before.isoformat():
        storage.set_setting(ERASED_BEFORE, before.isoformat())
    return erased


def identities_begin(storage: Storage) -> str | None:
    """The first local day whose entries may still name people (None: never erased)."""
    return storage.optional_setting(ERASED_BEFORE)
