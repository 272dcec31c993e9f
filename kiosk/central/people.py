"""Distinct people per local day, counted as entries are derived so that no report reads
raw entries.

A person is who tracing says (:func:`kiosk.central.tracing.canonical`), within the day: the
entry's match key (a CCCD and a masked PC-Covid code share it: the document's last 6
digits, the folded name, the birth year); else, for a typed document number, the match key
a card of that number brought that day; else its subject key. So a day's people are its
distinct match keys, its other keys without one, and its document numbers that no match
key came with — however its entries arrive: a typed number counted as a person of its own
stops being one when the card comes, even after the same person's masked code was counted
(:func:`count_new`: the count :func:`recount` makes from the entries at once, the property
tests/test_central_people_identity.py checks). Two people sharing the match key count once
(as tracing joins them); two codes of one person count twice only when nothing links them
that day (a masked code and a typed number, no card), or when their number came with two
match keys (its name spelled two ways: two people to tracing too).

Three tables hold it:

- ``day_subjects`` (day, subject_key, lone_checkpoint): the keys seen each local day (both
  kinds in the one column), and, for a document number no match key came with, the
  checkpoint it was counted under (schema v37; a partial index holds those rows).
  Written by each derivation step (:mod:`kiosk.central.derivation`) with one
  statement for all its batches (``INSERT … ON CONFLICT DO NOTHING RETURNING``: the pairs
  returned are exactly those new to the set), and one ``DELETE … RETURNING`` of the lone
  numbers its cards link. Keys are personal data, so the set follows
  the raw entries: erasure and retention delete an entry's pairs together with the entry
  that brought them (:data:`FORGET`), and :func:`freeze` drops whole days.
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
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kiosk.central.placeholders import json_rows
from kiosk.sync import protocol

if TYPE_CHECKING:
    from kiosk.central.aggregates import Tally
    from kiosk.central.storage import Storage

ERASED = "erased"
"""The ``subject_key`` of an entry whose identity was erased (:mod:`kiosk.central.erasure`):
nobody a day set can hold."""
CHUNK = 10_000
"""Pairs per statement when a recount adds a whole database's pairs."""


Pair = tuple[str, str]
"""(day, key) in a day's set."""


def _keys(stored: Iterable[tuple[str, str, str | None, str]]
          ) -> tuple[dict[Pair, str], set[Pair], set[Pair]]:
    """The keys a step's (day, subject_key, match_key, checkpoint_id) entries bring to their
    days' sets, as :func:`recount` counts them: {key that is a person once new to its day:
    the checkpoint of its first entry}, those of them that are lone document numbers (with
    no match key in the step), and the document numbers seen with a match key (a person's
    card: never a person of their own). A non-document subject key with a match key of its
    own is no key (tracing knows that entry by its match key only). Written out, without a
    list or set made for each entry: it runs for every entry derived."""
    counted: dict[Pair, str] = {}
    lone: set[Pair] = set()
    linked: set[Pair] = set()
    for day, subject, match, checkpoint in stored:
        if subject == ERASED:
            continue
        if match is not None:
            if (day, match) not in counted:
                counted[day, match] = checkpoint
            if subject.startswith("doc:"):
                linked.add((day, subject))
        elif (day, subject) not in counted:
            counted[day, subject] = checkpoint
            if subject.startswith("doc:"):
                lone.add((day, subject))
    for pair in lone & linked:
        del counted[pair]
    return counted, lone - linked, linked


NAMES_NOBODY = "other"
"""The kind of a code that names nobody (a web address, a product or venue code:
:mod:`kiosk.payloads`): a scan (:meth:`kiosk.central.aggregates.Tally.add`), no person."""


def of(rows: Iterable[Sequence[Any]], day: int, subject: int, match: int, checkpoint: int,
       kind: int) -> Iterable[tuple[str, str, str | None, str]]:
    """The (day, subject_key, match_key, checkpoint_id) of those entries ``rows`` (those
    columns at those places) that may be a person: a code that names nobody is none."""
    return ((r[day], r[subject], r[match], r[checkpoint]) for r in rows
            if r[kind] != NAMES_NOBODY)


def count_new(storage: Storage, tx: Any, tally: Tally,
              stored: Iterable[tuple[str, str, str | None, str]]) -> None:
    """Add the keys of the (day, subject_key, match_key, checkpoint_id) entries a derivation
    step reads in ``tx`` to the days' sets, and count in ``tally`` what changes in their
    people, so that a day's sum is always :func:`recount`'s, whatever order its entries
    came in: one person for each match key or other key new to its day (under the
    checkpoint of its first entry in the step), one for a document number new to its day
    with no match key seen with it (kept in its row's ``lone_checkpoint``), and one less,
    under that checkpoint, for such a number once a match key comes with it (the typed
    number is then that card's holder, counted by the match key). Frozen days take no
    pairs and lose no person."""
    counted, lone, linked = _keys(stored)
    if linked:
        # SQLite's planner took the primary key (each number's row read: 1.7 µs a number
        # against 0.6 in the small partial index, docs/benchmarks.md)
        hint = "" if storage.postgresql else " INDEXED BY day_subjects_lone"
        for day, checkpoint in storage._execute(
                tx, f"DELETE FROM day_subjects{hint} WHERE lone_checkpoint IS NOT NULL AND (day, "
                    f"subject_key) IN (SELECT p.value ->> 0, p.value ->> 1 FROM "
                    f"{storage._json_rows('$1', 'p')}) RETURNING day, lone_checkpoint",
                (json_rows(sorted(linked)),)):
            tally.days[day, checkpoint, "people"] -= 1  # its row comes back below: no person
    rows = sorted([(day, key, counted[day, key] if (day, key) in lone else None)
                   for day, key in counted] + [(day, key, None) for day, key in linked])
    for start in range(0, len(rows), CHUNK):
        for pair in storage._add_subjects(tx, rows[start:start + CHUNK]):
            checkpoint = counted.get(pair)
            if checkpoint is not None:
                tally.days[pair[0], checkpoint, "people"] += 1


def per_day(storage: Storage, first: str, last: str) -> dict[str, int]:
    """{day: distinct people} for the days first..last that have any (frozen or counted)."""
    counted = dict(storage._query(
        "SELECT day, CAST(sum(people) AS BIGINT) FROM checkpoint_days WHERE day >= $1 "
        "AND day <= $2 GROUP BY day", (first, last)))
    counted.update(storage._query("SELECT day, people FROM day_people WHERE day >= $1 "
                                  "AND day <= $2", (first, last)))
    return counted


def among(storage: Storage, day: str, late: set[str], not_derived: set[str]) -> int:
    """The distinct people of local ``day`` in its entries derived but those ``late`` (a
    made report's people: those of the entries it counted), a person as :func:`recount`
    says. The day set's count (:func:`per_day`) less the people only the late entries
    bring: a late entry's subject's entries of the day are read again with and without it
    (by key, never the whole day: 5 M entries on a province), and a person of theirs is
    still counted if another subject's entry of the day is them (their match key, or a
    masked code's, whose subject key is its match key). A frozen day's count as frozen
    (its set gone, its entries perhaps too)."""
    counted = per_day(storage, day, day).get(day, 0)
    left = sorted(late - not_derived)
    if not left or storage._query("SELECT 1 FROM day_people WHERE day = $1", (day,)):
        return counted
    keys = {key for (key,) in storage._query(
        f"SELECT DISTINCT subject_key FROM entries WHERE id {_among(storage, 1)} AND "
        f"subject_key <> '{ERASED}' AND kind <> '{NAMES_NOBODY}'", (_param(storage, left),))}
    theirs = [row for row in storage._query(  # every entry of the day of those subjects
        f"SELECT id, subject_key, match_key FROM entries WHERE subject_key "
        f"{_among(storage, 1)} AND local_day = $2 AND kind <> '{NAMES_NOBODY}'",
        (_param(storage, sorted(keys)), day)) if row[0] not in not_derived]
    before = _people(theirs)
    after = _people([row for row in theirs if row[0] not in late])
    elsewhere = {person for person in before | after if any(  # another entry's person too
        subject not in keys and subject != ERASED and i not in not_derived
        for i, subject in storage._query(
            "SELECT id, subject_key FROM entries WHERE match_key = $1 AND local_day = $2 "
            "UNION ALL SELECT id, subject_key FROM entries WHERE subject_key = $1 AND "
            f"match_key IS NULL AND local_day = $2 AND kind <> '{NAMES_NOBODY}'",
            (person, day)))}
    return counted - len(before - elsewhere) + len(after - elsewhere)


def _people(rows: Iterable[Sequence[Any]]) -> set[str]:
    """The people of the (id, subject_key, match_key) entries of one day, as
    :func:`recount` says: a match key, else the smallest a document number came with,
    else the subject key."""
    rows = list(rows)
    linked: dict[str, str] = {}
    for _, subject, match in rows:
        if match is not None and subject.startswith("doc:"):
            linked[subject] = min(match, linked.get(subject, match))
    return {match or linked.get(subject, subject) for _, subject, match in rows}


def _among(storage: Storage, slot: int) -> str:
    """``{column} IN`` the list of parameter ``$slot`` (:func:`_param`)."""
    if storage.postgresql:
        return f"= ANY(${slot}::text[])"
    return f"IN (SELECT value FROM json_each(${slot}))"


def _param(storage: Storage, values: Sequence[str]) -> str | list[str]:
    """``values`` as :func:`_among`'s parameter (a few: no need of derivation's text)."""
    return list(values) if storage.postgresql else json_rows(values)


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
          "FROM {entries} WHERE {where} UNION ALL SELECT local_day, match_key FROM {entries} "
          "WHERE ({where}) AND match_key IS NOT NULL)")
"""Delete the pairs brought by the entries of ``{entries}`` chosen by ``{where}`` (both
their keys), before those entries are deleted or their identities erased (a person seen
again that same day by an entry still held may then be counted again: a rare overcount,
preferred to keeping a key longer than its entry)."""


def recount(storage: Storage, tx: Any, *, adopt_kept: bool = False,
            days: Sequence[str] | None = None) -> None:
    """Rebuild every day's set and people count from the raw entries held (set-based), in
    the caller's transaction ``tx``; frozen days keep their counts. ``days``: only those
    local days (``YYYY-MM-DD``), e.g. those a copied token's entries set aside leave
    (:mod:`kiosk.central.copied_sources`).

    For a zone change (the entries' local days are refiled first), a migration, and
    databases generated in bulk. ``adopt_kept``: the database comes from before the sets
    (schema v12), whose ``day_people`` cached counts that may have been made before some
    raw entries were purged or identities erased; such a day is frozen at the higher of
    its cached and its recounted figure, every other cached count is dropped.
    """
    # no parameters: PostgreSQL takes none in CREATE TABLE … AS. The entries are read once,
    # into their days' distinct keys; a person is then who tracing says, within the day: the
    # match key, else the one a typed document number was scanned with that day (the
    # smallest), else the subject key
    if days is not None and not days:
        return
    among = "" if days is None else " AND day IN ({})".format(  # dates: no parameters here
        ", ".join(f"'{dt.date.fromisoformat(d).isoformat()}'" for d in days))
    storage._execute(tx, f"CREATE TEMP TABLE held_keys AS SELECT local_day AS day, subject_key, "
                         f"match_key, min(checkpoint_id) AS checkpoint_id FROM entries WHERE "
                         f"subject_key <> '{ERASED}' AND kind <> '{NAMES_NOBODY}' "
                         f"AND local_day IS NOT NULL "
                         f"{among.replace(' day ', ' local_day ')} "
                         f"GROUP BY local_day, subject_key, match_key")
    person = "coalesce(h.match_key, a.match_key, h.subject_key)"
    storage._execute(tx, f"CREATE TEMP TABLE first_seen AS SELECT h.day, {person} AS person, "
                         f"min(h.checkpoint_id) AS checkpoint_id FROM held_keys h LEFT JOIN "
                         f"(SELECT day, subject_key, min(match_key) AS match_key FROM held_keys "
                         f"WHERE subject_key LIKE 'doc:%' AND match_key IS NOT NULL "
                         f"GROUP BY day, subject_key) a "
                         f"ON a.day = h.day AND a.subject_key = h.subject_key "
                         f"GROUP BY h.day, {person}")
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
    storage._execute(tx, f"DELETE FROM day_subjects WHERE true{among}")
    storage._execute(tx, f"UPDATE checkpoint_days SET people = 0 WHERE people <> 0{among}")
    # the keys count_new adds: match keys, document numbers (lone: with no match key that
    # day, under the checkpoint first_seen counts them at), other subject keys without one
    storage._execute(tx, "INSERT INTO day_subjects (day, subject_key, lone_checkpoint) "
                         "SELECT day, match_key, CAST(NULL AS TEXT) FROM held_keys "
                         "WHERE match_key IS NOT NULL AND day NOT IN (SELECT day FROM "
                         "day_people) UNION SELECT day, subject_key, NULL FROM held_keys WHERE "
                         "match_key IS NULL AND subject_key NOT LIKE 'doc:%' AND day NOT IN "
                         "(SELECT day FROM day_people) UNION SELECT day, subject_key, CASE WHEN "
                         "max(match_key) IS NULL THEN min(checkpoint_id) END FROM held_keys "
                         "WHERE subject_key LIKE 'doc:%' AND day NOT IN (SELECT day FROM "
                         "day_people) GROUP BY day, subject_key "
                         "ORDER BY 1, 2")  # the key's order: an append, not 10⁷ seeks
    storage._execute(
        tx, "INSERT INTO checkpoint_days (day, checkpoint_id, scans, ins, outs, manual, people) "
            "SELECT day, checkpoint_id, 0, 0, 0, 0, count(*) FROM first_seen "
            "WHERE day NOT IN (SELECT day FROM day_people) GROUP BY day, checkpoint_id "
            "ON CONFLICT (day, checkpoint_id) DO UPDATE SET people = excluded.people")
    storage._execute(tx, "DROP TABLE first_seen")
    storage._execute(tx, "DROP TABLE held_keys")
