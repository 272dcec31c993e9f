"""Distinct people per local day, counted as entries are derived so that no report reads
raw entries.

Three tables hold it:

- ``day_subjects`` (day, subject_key): the set of people seen each local day. Written by
  each derivation step (:mod:`kiosk.central.derivation`) with one statement for all its
  batches (``INSERT … ON CONFLICT DO NOTHING RETURNING``: the pairs returned are exactly
  those new to the set). Subject keys are personal data, so the set follows the raw
  entries: erasure and retention delete a pair together with the entry that brought it,
  and :func:`freeze` drops whole days.
- ``checkpoint_days.people``: how many of a day's people were first counted from an entry
  of that checkpoint. Only the sum over a day means something (a day's distinct people);
  it is a count without personal data, kept when raw entries are purged.
- ``day_people`` (day, people, counted_at): the frozen count of each day whose set was
  dropped (:func:`freeze`). The figure of a frozen day never changes again: an entry of it
  arriving later still counts as a scan, but not as a person, since nobody can tell any
  more whether that person was already counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kiosk.sync import protocol

if TYPE_CHECKING:
    from kiosk.central.aggregates import Tally
    from kiosk.central.storage import Storage

ERASED = "erased"
"""The ``subject_key`` of an entry whose identity was erased (:mod:`kiosk.central.erasure`):
nobody a day set can hold."""
CHUNK = 10_000
"""Pairs per statement when a recount adds a whole database's pairs."""


def count_new(storage: Storage, tx: Any, tally: Tally,
              stored: Iterable[tuple[str, str, str]]) -> None:
    """Add the (day, subject_key, checkpoint_id) of entries a derivation step reads in
    ``tx`` to the days' sets, and count in ``tally`` one person for each pair new to its set
    (under the checkpoint of its first entry in the step). Frozen days take no pairs."""
    firsts: dict[tuple[str, str], str] = {}
    for day, subject, checkpoint in stored:
        if subject != ERASED:
            firsts.setdefault((day, subject), checkpoint)
    pairs = sorted(firsts)  # key order: the index is written in its order
    for start in range(0, len(pairs), CHUNK):
        for day, subject in storage._add_subjects(tx, pairs[start:start + CHUNK]):
            tally.days[day, firsts[day, subject], "people"] += 1


def per_day(storage: Storage, first: str, last: str) -> dict[str, int]:
    """{day: distinct people} for the days first..last that have any (frozen or counted)."""
    counted = dict(storage._query(
        "SELECT day, CAST(sum(people) AS BIGINT) FROM checkpoint_days WHERE day >= $1 "
        "AND day <= $2 GROUP BY day", (first, last)))
    counted.update(storage._query("SELECT day, people FROM day_people WHERE day >= $1 "
                                  "AND day <= $2", (first, last)))
    return counted


def freeze(storage: Storage, tx: Any, before: dt.date) -> None:
    """Keep the count of every day before ``before`` as it is now and drop its set: for
    retention and erasure, which take away the raw entries or identities of those days.
    An upload committing while this runs may still add a pair to such a day (and a person
    outside its frozen count); the next run drops it."""
    low = storage._execute(tx, "SELECT min(day) FROM day_subjects").fetchone()[0]
    if low is None or low >= before.isoformat():
        return  # the days before are frozen already (or counted nobody)
    storage._execute(
        tx, "INSERT INTO day_people (day, people, counted_at) SELECT day, "
            "CAST(sum(people) AS BIGINT), $1 FROM checkpoint_days WHERE day >= $2 AND day < $3 "
            "AND day NOT IN (SELECT day FROM day_people) GROUP BY day",
        (protocol.format_time(dt.datetime.now(dt.UTC)), low, before.isoformat()))
    storage._execute(tx, "DELETE FROM day_subjects WHERE day < $1", (before.isoformat(),))


FORGET = ("DELETE FROM day_subjects WHERE (day, subject_key) IN (SELECT local_day, subject_key "
          "FROM {entries} WHERE {where})")
"""Delete the pairs brought by the entries of ``{entries}`` chosen by ``{where}``, before
those entries are deleted or their identities erased (a person seen again that same day by
an entry still held may then be counted again: a rare overcount, preferred to keeping a
subject key longer than its entry)."""


def recount(storage: Storage, tx: Any, *, adopt_kept: bool = False) -> None:
    """Rebuild every day's set and people count from the raw entries held (set-based), in
    the caller's transaction ``tx``; frozen days keep their counts.

    For a zone change (the entries' local days are refiled first), a migration, and
    databases generated in bulk. ``adopt_kept``: the database comes from before the sets
    (schema v12), whose ``day_people`` cached counts that may have been made before some
    raw entries were purged or identities erased; such a day is frozen at the higher of
    its cached and its recounted figure, every other cached count is dropped.
    """
    # no parameters: PostgreSQL takes none in CREATE TABLE … AS
    storage._execute(tx, f"CREATE TEMP TABLE first_seen AS SELECT local_day AS day, subject_key, "
                         f"min(checkpoint_id) AS checkpoint_id FROM entries WHERE subject_key <> "
                         f"'{ERASED}' AND local_day IS NOT NULL GROUP BY local_day, subject_key")
    if adopt_kept:
        storage._execute(tx, "CREATE TEMP TABLE day_recount AS SELECT day, count(*) AS people "
                             "FROM first_seen GROUP BY day")
        erased_before = storage._execute(
            tx, "SELECT value FROM settings WHERE key = 'personal_erased_before'").fetchone()
        storage._execute(
            tx, "DELETE FROM day_people WHERE day >= $1 AND people <= coalesce((SELECT r.people "
                "FROM day_recount r WHERE r.day = day_people.day), 0) AND day NOT IN "
                "(SELECT local_day FROM entries WHERE subject_key = $2 AND local_day IS NOT NULL)",
            (erased_before[0] if erased_before else "", ERASED))
        storage._execute(tx, "UPDATE day_people SET people = (SELECT r.people FROM day_recount r "
                             "WHERE r.day = day_people.day) WHERE people < (SELECT r.people "
                             "FROM day_recount r WHERE r.day = day_people.day)")
        storage._execute(tx, "DROP TABLE day_recount")
    storage._execute(tx, "DELETE FROM day_subjects")
    storage._execute(tx, "UPDATE checkpoint_days SET people = 0 WHERE people <> 0")
    storage._execute(tx, "INSERT INTO day_subjects (day, subject_key) SELECT day, subject_key "
                         "FROM first_seen WHERE day NOT IN (SELECT day FROM day_people) "
                         "ORDER BY day, subject_key")  # the key's order: an append, not 10⁷ seeks
    storage._execute(
        tx, "INSERT INTO checkpoint_days (day, checkpoint_id, scans, ins, outs, manual, people) "
            "SELECT day, checkpoint_id, 0, 0, 0, 0, count(*) FROM first_seen "
            "WHERE day NOT IN (SELECT day FROM day_people) GROUP BY day, checkpoint_id "
            "ON CONFLICT (day, checkpoint_id) DO UPDATE SET people = excluded.people")
    storage._execute(tx, "DROP TABLE first_seen")
