"""Stays kept: each person's stays at each checkpoint, built as a trace builds them.

Why: a trace at a busy place used to read every scan near each visit, then every scan of
the people found there, and build their stays (15,000–100,000 scans for a commuter at one of
the busiest points). With the stays kept, a visit reads the stays overlapping it: one index
range (docs/benchmarks.md, contact tracing).

What is kept: the stays of the scans that carry a match key, built per (match key,
checkpoint) by :func:`kiosk.central.tracing.build_stays` under :data:`tracing.KEPT`'s longest
stay and repeat window. A stay without its exit (or entry) keeps only its scan's time
(``first_at`` = ``last_at``), so a trace applies its own default stay when reading. Scans
without a match key are not kept: whose they are depends on the trace's aliases, so a trace
reads them raw (:func:`kiosk.central.tracing._kept_stays_near`).

Kept exact (the hypothesis tests compare with the brute force):

Built by the derivation steps (:mod:`kiosk.central.derivation`), after the acknowledgement,
from the scans of many batches at once, one step at a time; "new scans" below are a step's.

- **Scans in the order scanned** (most batches: a kiosk sends what it has just scanned).
  Whether a scan repeats depends only on the scan before it, and an exit closes the stay of
  the kept scan just before it, so scans that come after every scan held for that person at
  that checkpoint only extend their stays: the step reads where those end (one
  ``stay_tails`` row, :class:`Tail`: the latest scan and the latest kept one), closes the
  lone entry an exit pairs with, adds the new stays and moves the tail (:func:`_append`).
  A person's first scans at a checkpoint (no tail: no scan held) likewise make their stays
  and tail alone.
- **Late and out-of-order scans.** A stay depends only on the scans within :data:`REACH`
  of it, so a step with a scan before its person's tail rebuilds, in its own transaction,
  that person's stays at that checkpoint within REACH of it (:func:`_regions`) from their
  scans (whatever order they arrived in), and their tail (:func:`_rebuild`). Steps run one
  at a time (the derivation lock), so each sees the scans and tails of the one before.
- **Clock offsets** are the ones stored with each entry (measured on its batch), so a stay's
  times are the corrected times a trace computes.
- **What the scans say**: each stay holds the identity of its first and last scan
  (:mod:`kiosk.central.identities`), written with it, so a trace names its contacts without
  reading their scans.
- **Purge and erasure** delete the stays, tails and identities of the scans they remove and move
  :data:`SETTING` forward: a trace reads raw scans for any visit whose scans reach back to
  within the id slack of it (a stay there may have lost a scan it paired with). A tail
  goes when its latest or latest kept scan goes, and the person's next scans there start
  anew: scans of theirs left beside the removed ones lie within the cutoff's slack, where
  traces read raw scans anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from kiosk.central import id_days, identities, tracing
from kiosk.central.placeholders import Params, json_rows, slots
from kiosk.central.schema import LARGEST_CLOCK_OFFSET
from kiosk.ids import id_prefix
from kiosk.sync.protocol import ENTRY_MAX_AHEAD, format_time

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

REACH = tracing.KEPT.max_stay + tracing.KEPT.repeat_window
"""How far (seconds) the scans that decide a stay may lie from it (tracing's module doc)."""
SETTING = "stays_begin"
"""The UTC day (of entry ids) before which scans may have been purged or erased."""
ID_SLACK = dt.timedelta(days=1)
"""An id's time is within a day of its scan's ``scanned_at`` (trace_queries.ID_SLACK)."""
COLUMNS = ("person", "checkpoint_id", "first_at", "last_at", "estimated", "first_id",
           "last_id", "oldest_id", "first_identity", "last_identity")
"""A stay as stored; the identities are what its scans say (:mod:`kiosk.central.identities`)."""
TAILS = "stay_tails"
"""Per person and checkpoint, where their scans end (schema v15): see :class:`Tail`."""
TAIL_COLUMNS = ("person", "checkpoint_id", "last_at", "last_id", "last_direction", "kept_at",
                "kept_id", "kept_direction")
CHUNK = 500
"""Rows per multi-row statement (SQLite's parameter limit)."""
_BATCH = 5000
"""Stays deleted per transaction by a purge: an upload waits for one batch at most."""
SCAN = ("e.match_key, e.checkpoint_id, e.id, e.direction, e.status, e.scanned_at, "
         f"e.clock_offset_seconds, e.local_day, {identities.SCANNED}")
"""A scan as stays are built from it (:func:`scans_of`), then the day it is filed on and what
it says (:func:`said`)."""
_SAYS = len(SCAN.split(",")) - len(identities.SCANNED.split(","))


def row_of(stay: tracing.Stay, identity: dict[str, int]) -> tuple[Any, ...]:
    """A stay as stored (COLUMNS): a lone scan's time in both ``first_at`` and ``last_at``;
    ``identity``: {scan id: its identity key}."""
    first_at = stay.end if stay.estimated == "entry" else stay.start
    last_at = stay.start if stay.estimated == "exit" else stay.end
    last = stay.ids[1] if len(stay.ids) > 1 else None
    return (stay.person, stay.checkpoint_id, first_at, last_at, stay.estimated,
            stay.ids[0], last, min(stay.ids), identity[stay.ids[0]],
            None if last is None else identity[last])


def scans_of(rows: Iterable[Sequence[Any]]) -> list[tracing.Scan]:
    """Rows read with ``SCAN`` as scans of their match key."""
    return [tracing.Scan(key, checkpoint, direction, status == "duplicate",
                         tracing.corrected(scanned_at, offset), entry_id, key)
            for key, checkpoint, entry_id, direction, status, scanned_at, offset, *_ in rows]


def said(rows: Iterable[Sequence[Any]]) -> dict[str, tuple[int, tuple[Any, ...], str]]:
    """{scan id: (identity key, details, the day the scan goes by: :func:`identities.day_of`)}
    of rows read with ``SCAN``."""
    found = {}
    for row in rows:
        details = identities.of_scan(*row[_SAYS:])
        found[row[2]] = (identities.key_of(details), details,
                         identities.day_of(row[2], row[_SAYS - 1]))
    return found



def _with_identities(storage: Storage, tx: Any, rows: list[tuple[Any, ...]],
                     saying: dict[str, tuple[int, tuple[Any, ...], str]]) -> list[tuple[Any, ...]]:
    """Stored stays (COLUMNS), after writing what their scans say (``saying``: see
    :func:`said`; a scan not in it says what its stay held already says)."""
    identities.keep(storage, tx, (saying[i] for row in rows for i in (row[5], row[6])
                                  if i in saying))
    return rows

# -- derivation ---------------------------------------------------------------------------
class Tail(NamedTuple):
    """Where a person's scans at a checkpoint end (one ``stay_tails`` row): what the next
    scan needs to know to be added after them."""

    last: tracing.Scan
    """The latest scan: whether the next one repeats it."""
    kept: tracing.Scan | None
    """The latest scan that is not a repeat (the last stay's last scan; None: every scan so
    far was a repeat): whether the next exit closes its stay."""


def keep(storage: Storage, tx: Any, rows: Iterable[Sequence[Any]]) -> None:
    """In a derivation step: add these new scans (rows read as ``SCAN``
    reads them; none without a match key) to the stays and tails of their person and
    checkpoint."""
    rows = list(rows)
    saying = said(rows)
    new: dict[tuple[str, str], list[tracing.Scan]] = {}
    for scan in scans_of(rows):
        new.setdefault((scan.person, scan.checkpoint_id), []).append(scan)
    if not new:
        return
    for scans in new.values():
        scans.sort(key=_order)
    tails = _tails(storage, tx, sorted(new))
    later = {g: tails.get(g) for g, scans in new.items()
             if g not in tails or _order(scans[0]) > _order(tails[g].last)}
    closed: list[tuple[Any, ...]] = []
    appended: list[tracing.Stay] = []
    ends: dict[tuple[str, str], Tail] = {}
    for group, tail in later.items():
        stay, added, ends[group] = _append(tail, new[group])
        closed += [(*group, *stay)] if stay else []
        appended += added
    gone: list[Any] = []
    fresh: list[tuple[Any, ...]] = []
    rebuilt = {g: scans for g, scans in new.items() if g not in later}
    if rebuilt:
        gone, fresh, rebuilt_ends = _rebuild(storage, tx, rebuilt, tails, saying)
        ends.update(rebuilt_ends)
    for chunk in _chunks(gone):
        _execute(storage, tx, f"DELETE FROM stays WHERE seq IN ({slots(len(chunk))})",
                 chunk)
    held: dict[str, int] = {}  # the identity of each closed stay's entry, as it held it
    for chunk in _chunks(closed):
        params = Params()
        values = ", ".join(f"({', '.join(params.add(v) for v in row)})" for row in chunk)
        held.update(_execute(storage, tx, (
            f"WITH w (k, c, a, i) AS (VALUES {values}) DELETE FROM stays WHERE seq IN "
            f"(SELECT s.seq FROM w CROSS JOIN stays s WHERE s.person = w.k "
            f"AND s.checkpoint_id = w.c AND s.first_at = w.a AND s.first_id = w.i) "
            f"RETURNING first_id, first_identity"), params).fetchall())
    if unheld := sorted({row[3] for row in closed} - held.keys()):  # stays lost: their entries say
        saying.update(said(_execute(storage, tx, (
            f"SELECT {SCAN} FROM entries e WHERE e.id IN ({slots(len(unheld))})"), unheld)))
    identity = {**held, **{i: key for i, (key, *_) in saying.items()}}
    fresh += [row_of(stay, identity) for stay in appended]
    write(storage, tx, _with_identities(storage, tx, fresh, saying))
    write(storage, tx, [_tail_row(g, t) for g, t in sorted(ends.items())], TAILS,
          TAIL_COLUMNS, replace=True)


def _order(scan: tracing.Scan) -> tuple[float, str]:
    """Scans in the order stays are built from them (:func:`tracing.stays_of`)."""
    return scan.at, scan.id


def _append(tail: Tail | None, scans: Sequence[tracing.Scan]
            ) -> tuple[tuple[float, str] | None, list[tracing.Stay], Tail]:
    """New scans (in order) all after ``tail`` (None: the first of this person here): the
    held stay they change (a lone entry whose exit came: its (first_at, first_id)), the
    stays to write, and the new tail. Only the latest scan (a repeat?) and the latest kept
    one (its stay closed?) decide them."""
    before = [tail.kept] if tail and tail.kept else []
    if tail and (tail.kept is None or tail.last.id != tail.kept.id):
        before.append(tail.last._replace(repeat_marked=True))  # only the next scan's previous
    built = tracing.build_stays(before + list(scans), tracing.KEPT)
    closed = None
    if tail and tail.kept:
        if built[0].ids == (tail.kept.id,):  # its stay as held
            built = built[1:]
        else:
            closed = (tail.kept.at, tail.kept.id)
    kept = _end(built[-1]) if built else tail and tail.kept
    return closed, built, Tail(scans[-1], kept)


def _end(stay: tracing.Stay) -> tracing.Scan:
    """The last scan of a stay (the scan that ends it, or its lone scan)."""
    if stay.estimated == "exit":
        return tracing.Scan(stay.person, stay.checkpoint_id, "in", False, stay.start,
                            stay.ids[0], stay.person)
    return tracing.Scan(stay.person, stay.checkpoint_id, "out", False, stay.end,
                        stay.ids[-1], stay.person)


def _rebuild(storage: Storage, tx: Any, new: dict[tuple[str, str], list[tracing.Scan]],
             tails: dict[tuple[str, str], Tail], saying: dict[str, tuple[int, tuple[Any, ...], str]]
             ) -> tuple[list[Any], list[tuple[Any, ...]], dict[tuple[str, str], Tail]]:
    """New scans that do not all come after their ``tails`` (late or out of order): rebuild
    the stays within REACH of them from every scan that decides them (what the scans read
    say goes to ``saying``). The seqs of held stays that change, the stays to write, the
    new tails."""
    postgresql = storage.postgresql
    offset = dt.timedelta(seconds=_execute(
        storage, tx, LARGEST_CLOCK_OFFSET).fetchone()[0] or 0)
    groups = [(k, c, scans[0].at, scans[-1].at) for (k, c), scans in sorted(new.items())]
    scans_read = []
    for chunk in _chunks(groups):
        params = Params()
        sql = _values(storage, [(k, c, *_regions(lo, hi)[1]) for k, c, lo, hi in chunk],
                      offset, postgresql, params)
        scans_read += _execute(storage, tx, (
            f"WITH w (k, c, day_lo, day_hi, at_lo, at_hi"
            f"{', id_lo, id_hi' if postgresql else ''}) AS NOT MATERIALIZED (VALUES {sql}) "
            f"SELECT {SCAN} FROM w CROSS JOIN entries e "
            f"WHERE e.match_key = w.k AND e.checkpoint_id = w.c "
            f"AND e.scanned_at BETWEEN w.at_lo AND w.at_hi "
            f"AND e.local_day BETWEEN w.day_lo AND w.day_hi"
            f"{' AND e.id >= w.id_lo AND e.id < w.id_hi' if postgresql else ''}"), params
        ).fetchall()
    saying.update(said(scans_read))
    identity = {i: key for i, (key, *_) in saying.items()}
    inner = {(k, c): _regions(lo, hi)[0] for k, c, lo, hi in groups}
    outer = {(k, c): _regions(lo, hi)[1] for k, c, lo, hi in groups}
    # a scan after the tail that is not this step's is stored but not derived yet (queued for
    # a later step): left out, or that step, finding it after the tail, would add its stay
    # again; one before the tail may be in too (the rebuild its step makes is the same)
    stepping = {s.id for scans in new.values() for s in scans}
    region = [s for s in scans_of(scans_read)
              if outer[s.person, s.checkpoint_id][0] <= s.at <= outer[s.person, s.checkpoint_id][1]
              and (s.id in stepping
                   or _order(s) <= _order(tails[s.person, s.checkpoint_id].last))]
    fresh, ends = set(), {}
    for stay in tracing.stays_of(region, tracing.KEPT):
        lo, hi = inner[stay.person, stay.checkpoint_id]
        row = row_of(stay, identity)
        if row[2] <= hi and row[3] >= lo:
            fresh.add(row)
            ends.setdefault((stay.person, stay.checkpoint_id), []).append(_end(stay))
    tails_now = {}
    for group, (lo, hi) in inner.items():
        tail, kept = tails[group], ends.get(group, [])
        if tail.kept and not lo <= tail.kept.at <= hi:  # no new scan is within REACH of it:
            kept.append(tail.kept)                         # still kept, and the latest outside
        elif not kept:  # none kept near the new scans (its own now a repeat): the latest before
            kept = _kept_before(storage, tx, group, lo)
        tails_now[group] = Tail(max(tail.last, new[group][-1], key=_order),
                                max(kept, key=_order) if kept else None)
    held: dict[tuple[Any, ...], Any] = {}
    for chunk in _chunks(groups):
        params = Params()
        values = [f"({', '.join(params.add(v) for v in row)})" for row in (
            (k, c, *inner[k, c], inner[k, c][0] - tracing.KEPT.max_stay)
            for k, c, _, _ in chunk)]
        for seq, *row in _execute(storage, tx, (
                f"WITH w (k, c, lo, hi, first_lo) AS NOT MATERIALIZED (VALUES "
                f"{', '.join(values)}) "
                f"SELECT s.seq, {', '.join('s.' + c for c in COLUMNS)} FROM w CROSS JOIN "
                f"stays s WHERE s.person = w.k AND s.checkpoint_id = w.c "
                f"AND s.first_at BETWEEN w.first_lo AND w.hi AND s.last_at >= w.lo"), params):
            held[tuple(row)] = seq
    gone = [seq for row, seq in held.items() if row not in fresh]
    return gone, [row for row in fresh if row not in held], tails_now


def _kept_before(storage: Storage, tx: Any, group: tuple[str, str], before: float
                 ) -> list[tracing.Scan]:
    """The last scan of the latest held stay of ``group`` ending before ``before`` (none, or
    several of one time: the caller takes the latest by :func:`_order`). Stays of one person
    at one checkpoint follow each other, so it is also one with the latest ``first_at``:
    the end of the index range ``stays_person`` reads."""
    rows = _execute(storage, tx, (
        "SELECT s.last_at, s.estimated, s.first_id, s.last_id FROM stays s "
        "WHERE s.person = $1 AND s.checkpoint_id = $2 AND s.last_at < $3 AND s.first_at >= "
        "(SELECT max(l.first_at) FROM stays l WHERE l.person = $1 AND l.checkpoint_id = $2 "
        "AND l.first_at < $3 AND l.last_at < $3)"), (*group, before)).fetchall()
    return [tracing.Scan(*group, "in" if estimated == "exit" else "out", False, last_at,
                         last_id or first_id, group[0])
            for last_at, estimated, first_id, last_id in rows]


def write(storage: Storage, tx: Any, rows: Sequence[tuple[Any, ...]], table: str = "stays",
          columns: Sequence[str] = COLUMNS, *, replace: bool = False) -> None:
    """Insert stored stays (COLUMNS order) or tails (TAILS, TAIL_COLUMNS; ``replace``: a
    person's tail at a checkpoint replaces the one held)."""
    conflict = (" ON CONFLICT (person, checkpoint_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in columns[2:])) if replace else ""
    if rows:
        storage._insert_rows(tx, table, columns, rows, conflict)


def _tails(storage: Storage, tx: Any, groups: Sequence[tuple[str, str]]
           ) -> dict[tuple[str, str], Tail]:
    """The held tails of these (person, checkpoint) groups."""
    found = {}
    for chunk in _chunks(groups):
        params = Params()
        values = ", ".join(f"({params.add(k)}, {params.add(c)})" for k, c in chunk)
        for row in _execute(storage, tx, (
                f"WITH w (k, c) AS NOT MATERIALIZED (VALUES {values}) SELECT "
                f"{', '.join('t.' + c for c in TAIL_COLUMNS)} FROM w CROSS JOIN {TAILS} t "
                f"WHERE t.person = w.k AND t.checkpoint_id = w.c"), params):
            found[row[0], row[1]] = _tail_of(row)
    return found


def _tail_of(row: Sequence[Any]) -> Tail:
    person, checkpoint, last_at, last_id, last_direction, kept_at, kept_id, kept_direction = row
    last = tracing.Scan(person, checkpoint, last_direction, False, last_at, last_id, person)
    kept = None if kept_id is None else tracing.Scan(person, checkpoint, kept_direction, False,
                                                    kept_at, kept_id, person)
    return Tail(last, kept)


def _tail_row(group: tuple[str, str], tail: Tail) -> tuple[Any, ...]:
    kept = tail.kept
    return (*group, tail.last.at, tail.last.id, tail.last.direction,
            *((kept.at, kept.id, kept.direction) if kept else (None, None, None)))


def redate_identities_ahead(storage: Storage, tx: Any, now: dt.datetime) -> None:
    """In a migration from before :data:`schema.IDENTITY_DAYS_VERSION`, whose identities
    went by the UTC day of their newest scan's id: date again by :func:`identities.day_of`
    those dated after any day a right clock's id can have (now + ENTRY_MAX_AHEAD + the id
    slack), which only a kiosk clock ahead made — a year ahead, the name outlived both
    purges by ~11 months. Read from the stays saying them (one pass over ``stays``, only if
    there are any) and their scans' filed days; one no stay says any more goes, as a
    rebuild leaves it out."""
    after = (now + ENTRY_MAX_AHEAD + ID_SLACK).date().isoformat()
    ahead = {key for (key,) in storage._execute(
        tx, f"SELECT id FROM {identities.TABLE} WHERE last_day > $1", (after,)).fetchall()}
    if not ahead:
        return
    params = Params()
    wanted = params.add(sorted(ahead) if storage.postgresql else json_rows(sorted(ahead)))
    among = (f"= ANY({wanted}::bigint[])" if storage.postgresql
             else f"IN (SELECT value FROM json_each({wanted}))")
    saying = [(key, entry_id) for first_key, first_id, last_key, last_id in storage._execute(
        tx, f"SELECT first_identity, first_id, last_identity, last_id FROM stays "
            f"WHERE first_identity {among} OR last_identity {among}", params).fetchall()
        for key, entry_id in ((first_key, first_id), (last_key, last_id)) if key in ahead]
    filed = dict(storage._execute(
        tx, f"SELECT id, local_day FROM entries WHERE id IN "
            f"(SELECT p.value ->> 0 FROM {storage._json_rows('$1', 'p')})",
        (json_rows([[entry_id] for _, entry_id in saying]),)).fetchall())
    days: dict[int, str] = {}
    for key, entry_id in saying:
        if entry_id in filed:
            days[key] = max(days.get(key, ""), identities.day_of(entry_id, filed[entry_id]))
    for key in sorted(ahead):
        if key in days:
            storage._execute(tx, f"UPDATE {identities.TABLE} SET last_day = $1 WHERE id = $2",
                             (days[key], key))
        else:
            storage._execute(tx, f"DELETE FROM {identities.TABLE} WHERE id = $1", (key,))


def rebuild_all(storage: Storage, tx: Any) -> int:
    """Every stay, tail and identity from every stored scan with a match key (a migration, a
    bulk load), in ``tx``; the number of stays kept."""
    tables = ("stays", TAILS, identities.TABLE)
    if storage.postgresql:  # no dead rows left behind (millions, at a migration)
        _execute(storage, tx, f"TRUNCATE {', '.join(tables)}")
    else:
        for table in tables:
            _execute(storage, tx, f"DELETE FROM {table}")
    sql = (f"SELECT {SCAN} FROM entries e WHERE e.match_key IS NOT NULL "
           f"ORDER BY e.match_key, e.checkpoint_id")
    if storage.postgresql:  # a server-side cursor: the rows do not all fit in memory
        cursor = tx.cursor(name="stays_rebuild")
        cursor.execute(sql)
    else:
        cursor = _execute(storage, tx, sql)
    kept, group, built, tails = 0, [], [], []
    saying: dict[str, tuple[int, tuple[Any, ...], str]] = {}

    def add(group: list[Sequence[Any]]) -> None:
        scans = sorted(scans_of(group), key=_order)
        found = tracing.build_stays(scans, tracing.KEPT)
        theirs = said(group)
        saying.update(theirs)
        identity = {i: key for i, (key, *_) in theirs.items()}
        built.extend(row_of(s, identity) for s in found)
        tails.append(_tail_row((scans[0].person, scans[0].checkpoint_id),
                               Tail(scans[-1], _end(found[-1]) if found else None)))

    def flush() -> None:
        write(storage, tx, _with_identities(storage, tx, built, saying))
        write(storage, tx, tails, TAILS, TAIL_COLUMNS)
        built.clear()
        tails.clear()
        saying.clear()

    while rows := cursor.fetchmany(50_000):
        for row in rows:
            if group and (row[0], row[1]) != (group[0][0], group[0][1]):
                add(group)
                group = []
            group.append(row)
        kept += len(built)
        flush()
    if group:
        add(group)
    kept += len(built)
    flush()
    cursor.close()
    return kept


# -- purge and erasure --------------------------------------------------------------------
def read_raw_before(storage: Storage, before: dt.date) -> None:
    """Note that traces read raw scans near and before UTC day ``before`` (:func:`kept_from`):
    before its scans are purged or erased, so that no trace reads a stay of a scan gone."""
    held = storage.optional_setting(SETTING)
    if held is None or held < before.isoformat():
        storage.set_setting(SETTING, before.isoformat())


def forget_before(storage: Storage, before: dt.date,
                  exclude: Callable[[Storage, Any], None]) -> int:
    """Delete the stays of scans of UTC days before ``before`` (by their ids, as purge and
    erasure choose entries), then the identities only such scans said, once those scans are
    gone: a batch storing one meanwhile has ended, so its stays go too (a scan of those days
    arriving later is kept, and so are its stays and identities, until the next run). How
    many stays were deleted. Each transaction first holds derivation steps back
    (``exclude``: :func:`kiosk.central.derivation.exclude`, which imports this module): a
    step that read a tail going now would otherwise commit after, pairing a new exit with
    a scan gone in a stay of those days that nothing deletes."""
    read_raw_before(storage, before)
    cutoff, deleted = id_days.bounds(before)[0], 0
    with storage._transaction() as tx:  # the next scan of these is rebuilt from the scans
        exclude(storage, tx)
        storage._execute(tx, f"DELETE FROM {TAILS} WHERE last_id < $1 OR kept_id < $1",
                         (cutoff,))
    while True:
        with storage._transaction() as tx:
            exclude(storage, tx)
            done = storage._execute(tx, "DELETE FROM stays WHERE seq IN (SELECT seq FROM stays "
                                        "WHERE oldest_id < $1 LIMIT $2)", (cutoff, _BATCH)
                                    ).rowcount
        deleted += done
        if done < _BATCH:
            break
    with storage._transaction() as tx:  # what those stays' scans said, said by none after
        exclude(storage, tx)
        identities.forget_before(storage, tx, before)
    return deleted


def forget_scans(storage: Storage, tx: Any, scans: Sequence[Sequence[str]]) -> None:
    """In ``tx``, which has deleted or erased these scans (id, match key, checkpoint) whatever
    their ids say (PostgreSQL's default partition empties by when rows were received, and
    erasure takes scans by the day they are filed: a clock far ahead gives ids past any
    cutoff): delete the stays and tails holding them, and the identities of those stays
    that no stay left holds. The caller holds the derivation lock
    (:func:`kiosk.central.derivation.exclude`), so that no step is extending them. Written
    for both engines (no ``DELETE … USING`` in SQLite)."""
    if not scans:
        return
    gone = (f"(SELECT p.value ->> 0 AS i, p.value ->> 1 AS k, p.value ->> 2 AS c "
            f"FROM {storage._json_rows('$1', 'p')}) g")
    rows = (json_rows(sorted(map(list, scans))),)
    held = _execute(storage, tx, (
        f"DELETE FROM stays WHERE seq IN (SELECT s.seq FROM {gone} JOIN stays s ON "
        f"s.person = g.k AND s.checkpoint_id = g.c AND g.i IN (s.first_id, s.last_id)) "
        f"RETURNING first_identity, last_identity"), rows).fetchall()
    _execute(storage, tx, f"DELETE FROM {TAILS} WHERE (person, checkpoint_id) IN (SELECT "
                          f"t.person, t.checkpoint_id FROM {gone} JOIN {TAILS} t ON "
                          f"t.person = g.k AND t.checkpoint_id = g.c "
                          f"AND g.i IN (t.last_id, t.kept_id))", rows)
    _forget_identities(storage, tx, held)


def forget_groups(storage: Storage, tx: Any, groups: Sequence[tuple[str, str]]) -> None:
    """In ``tx``, holding the derivation lock: delete every stay and the tail of each
    (person, checkpoint) of ``groups``, and the identities no stay left holds — for scans
    taken out from among theirs (:mod:`kiosk.central.copied_sources`), whose stays the
    caller has derived again from the scans left (queued: with no tail, a step builds
    them from those alone)."""
    if not groups:
        return
    gone = (f"(SELECT p.value ->> 0 AS k, p.value ->> 1 AS c "
            f"FROM {storage._json_rows('$1', 'p')}) g")
    rows = (json_rows(sorted(map(list, groups))),)
    held = _execute(storage, tx, (
        f"DELETE FROM stays WHERE seq IN (SELECT s.seq FROM {gone} JOIN stays s ON "
        f"s.person = g.k AND s.checkpoint_id = g.c) RETURNING first_identity, last_identity"),
        rows).fetchall()
    _execute(storage, tx, f"DELETE FROM {TAILS} WHERE (person, checkpoint_id) IN (SELECT "
                          f"g.k, g.c FROM {gone})", rows)
    _forget_identities(storage, tx, held)


def _forget_identities(storage: Storage, tx: Any, held: Sequence[Sequence[Any]]) -> None:
    """Delete the identities of the stays deleted (``held``: their first and last
    identities) that no stay left holds."""
    keys = sorted({key for row in held for key in row if key is not None})
    if keys:  # (a scan of the stays: only after a clock far ahead)
        table = identities.TABLE
        _execute(storage, tx, (
            f"DELETE FROM {table} WHERE id IN (SELECT CAST(p.value AS BIGINT) FROM "
            f"{storage._json_rows('$1', 'p')}) AND NOT EXISTS (SELECT 1 FROM stays s "
            f"WHERE s.first_identity = {table}.id OR s.last_identity = {table}.id)"),
            (json_rows(keys),))


def kept_from(storage: Storage, id_slack: dt.timedelta) -> float:
    """From when (corrected UTC seconds) no scan has been purged or erased, as far as the
    stays are concerned: -inf if never."""
    held = storage.optional_setting(SETTING)
    if held is None:
        return float("-inf")
    start = dt.datetime.combine(dt.date.fromisoformat(held), dt.time(), dt.UTC)
    return shifted(start, id_slack).timestamp()


def shifted(at: dt.datetime, by: dt.timedelta) -> dt.datetime:
    """``at + by``, held within the calendar (years 1 to 9999): the largest offset of the
    batch log may be millennia (an entry id far from its scan's time, up to the ids'
    calendar, ``storage.ID_PAST_CALENDAR``), and a bound at the calendar's end covers every
    id and time held all the same (before, such an offset made every trace and every
    rebuild of late scans fail: OverflowError)."""
    try:
        return at + by
    except OverflowError:
        return (dt.datetime.max if by > dt.timedelta(0) else dt.datetime.min).replace(
            tzinfo=at.tzinfo)


# -- helpers ------------------------------------------------------------------------------

def _execute(storage: Storage, tx: Any, sql: str, params: Sequence[Any] = ()) -> Any:
    return storage._execute(tx, sql, params)


def _regions(lo: float, hi: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """For new scans of one person at one checkpoint at [lo, hi]: the stays they may change
    (any with a scan within REACH of them: the previous kept scan may pair with a new exit, the
    next scan may stop being a repeat and its neighbours pair anew), and the scans that decide
    every stay overlapping that range (a stay's first scan is at most the longest stay before
    its last, and is decided by the scans from the longest stay + repeat window before it to
    the longest stay after it)."""
    inner = (lo - REACH, hi + REACH)
    return inner, (inner[0] - tracing.KEPT.max_stay - REACH, inner[1] + tracing.KEPT.max_stay)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _values(storage: Storage, groups: Sequence[tuple[str, str, float, float]],
            offset: dt.timedelta, postgresql: bool, params: Params) -> str:
    """VALUES rows (key, checkpoint, first and last local day, first and last kiosk time
    [, id bounds]) of corrected-time ranges, ``offset`` the largest clock offset corrected
    (the kiosk times bound the index range entries_match_place reads); their values go to
    ``params``."""
    day = storage.calendar.day_of
    slack, second = ID_SLACK + offset, dt.timedelta(seconds=1)
    rows = []
    for key, checkpoint, lo, hi in groups:
        low, high = tracing.instant(lo), tracing.instant(hi)
        values = [key, checkpoint, day(low).isoformat(), day(high).isoformat(),
                  format_time(shifted(low, -offset - second)),
                  format_time(shifted(high, offset + second))]
        if postgresql:
            values += [id_prefix(shifted(low, -slack)), id_prefix(shifted(high, slack))]
        rows.append(f"({', '.join(params.add(v) for v in values)})")
    return ", ".join(rows)


