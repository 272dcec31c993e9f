"""Stays kept at ingest: each person's stays at each checkpoint, built as a trace builds them.

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

- **Late and out-of-order scans.** A stay depends only on the scans within
  :data:`REACH` of it, so the batch that stores a scan rebuilds, in its own transaction, that
  person's stays at that checkpoint within REACH of it (:func:`_regions`) from their scans
  (whatever order they arrived in); on PostgreSQL under a transaction lock per person and
  checkpoint, so two batches racing on one person rebuild one after the other, the second
  seeing the first's scans.
- **Clock offsets** are the ones stored with each entry (measured on its batch), so a stay's
  times are the corrected times a trace computes.
- **Purge and erasure** delete the stays of the scans they remove and move
  :data:`SETTING` forward: a trace reads raw scans for any visit whose scans reach back to
  within the id slack of it (a stay there may have lost a scan it paired with).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kiosk.central import partitions, tracing
from kiosk.central.placeholders import Params, slots

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

REACH = tracing.KEPT.max_stay + tracing.KEPT.repeat_window
"""How far (seconds) the scans that decide a stay may lie from it (tracing's module doc)."""
SETTING = "stays_begin"
"""The UTC day (of entry ids) before which scans may have been purged or erased."""
ID_SLACK = dt.timedelta(days=1)
"""An id's time is within a day of its scan's ``scanned_at`` (trace_queries.ID_SLACK)."""
COLUMNS = ("person", "checkpoint_id", "first_at", "last_at", "estimated", "first_id",
           "last_id", "oldest_id")
CHUNK = 500
"""Rows per multi-row statement (SQLite's parameter limit)."""
_BATCH = 5000
"""Stays deleted per transaction by a purge: an upload waits for one batch at most."""
_SCAN = ("e.match_key, e.checkpoint_id, e.id, e.direction, e.status, e.scanned_at, "
         "e.clock_offset_seconds")


def row_of(stay: tracing.Stay) -> tuple[Any, ...]:
    """A stay as stored: a lone scan's time in both ``first_at`` and ``last_at``."""
    first_at = stay.end if stay.estimated == "entry" else stay.start
    last_at = stay.start if stay.estimated == "exit" else stay.end
    return (stay.person, stay.checkpoint_id, first_at, last_at, stay.estimated,
            stay.ids[0], stay.ids[1] if len(stay.ids) > 1 else None, min(stay.ids))


def stay_of(row: Sequence[Any], default_stay: float) -> tracing.Stay:
    """A stored stay (the first seven COLUMNS) with ``default_stay`` applied."""
    person, checkpoint, first_at, last_at, estimated, first_id, last_id = row[:7]
    if estimated == "exit":
        return tracing.Stay(person, checkpoint, first_at, first_at + default_stay, "exit",
                            (first_id,))
    if estimated == "entry":
        return tracing.Stay(person, checkpoint, last_at - default_stay, last_at, "entry",
                            (first_id,))
    return tracing.Stay(person, checkpoint, first_at, last_at, None, (first_id, last_id))


def build(scans: Iterable[tracing.Scan]) -> list[tuple[Any, ...]]:
    """Stored rows of the stays of these scans (one person and checkpoint or many)."""
    return [row_of(s) for s in tracing.stays_of(scans, tracing.KEPT)]


def scans_of(rows: Iterable[Sequence[Any]]) -> list[tracing.Scan]:
    """Rows read with ``_SCAN`` as scans of their match key."""
    return [tracing.Scan(key, checkpoint, direction, status == "duplicate",
                         tracing.corrected(scanned_at, offset), entry_id, key)
            for key, checkpoint, entry_id, direction, status, scanned_at, offset in rows]


# -- ingest -------------------------------------------------------------------------------
def keep(storage: Storage, tx: Any, scans: Iterable[tuple[str, str, float]]) -> None:
    """Inside the transaction that stored them: rebuild the stays around these new scans
    ((match key, checkpoint, corrected time); scans without a match key are not given)."""
    spans: dict[tuple[str, str], list[float]] = {}
    for key, checkpoint, at in scans:
        span = spans.get((key, checkpoint))
        if span is None:
            spans[key, checkpoint] = [at, at]
        else:
            span[0], span[1] = min(span[0], at), max(span[1], at)
    if not spans:
        return
    postgresql = _postgresql(storage)
    if postgresql:  # a racing batch about the same person and place waits for this one
        _execute(storage, tx, "SELECT pg_advisory_xact_lock(h) FROM unnest($1::bigint[]) h "
                              "ORDER BY h", (sorted({_lock(*g) for g in spans}),))
    slack = ID_SLACK + dt.timedelta(seconds=_execute(
        storage, tx, "SELECT max(abs(clock_offset_seconds)) FROM batches").fetchone()[0] or 0)
    groups = sorted((key, checkpoint, lo, hi) for (key, checkpoint), (lo, hi) in spans.items())
    scans_read = []
    for chunk in _chunks(groups):
        params = Params()
        sql = _values(storage, [(k, c, *_regions(lo, hi)[1]) for k, c, lo, hi in chunk],
                      slack, postgresql, params)
        scans_read += _execute(storage, tx, (
            f"WITH w (k, c, day_lo, day_hi{', id_lo, id_hi' if postgresql else ''}) "
            f"AS NOT MATERIALIZED (VALUES {sql}) SELECT {_SCAN} FROM w CROSS JOIN entries e "
            f"WHERE e.match_key = w.k AND e.checkpoint_id = w.c "
            f"AND e.local_day BETWEEN w.day_lo AND w.day_hi"
            f"{' AND e.id >= w.id_lo AND e.id < w.id_hi' if postgresql else ''}"), params
        ).fetchall()
    inner = {(k, c): _regions(lo, hi)[0] for k, c, lo, hi in groups}
    outer = {(k, c): _regions(lo, hi)[1] for k, c, lo, hi in groups}
    fresh = set()
    for row in build(s for s in scans_of(scans_read)
                     if outer[s.person, s.checkpoint_id][0] <= s.at
                     <= outer[s.person, s.checkpoint_id][1]):
        lo, hi = inner[row[0], row[1]]
        if row[2] <= hi and row[3] >= lo:
            fresh.add(row)
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
    for chunk in _chunks(gone):
        _execute(storage, tx, f"DELETE FROM stays WHERE seq IN ({slots(len(chunk))})",
                 chunk)
    write(storage, tx, [row for row in fresh if row not in held])


def write(storage: Storage, tx: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert stored stays (COLUMNS order)."""
    if _postgresql(storage) and len(rows) > CHUNK:
        with tx.cursor() as cursor, cursor.copy(
                f"COPY stays ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    for chunk in _chunks(rows):
        params = Params()
        values = ", ".join(f"({', '.join(params.add(v) for v in row)})" for row in chunk)
        _execute(storage, tx, f"INSERT INTO stays ({', '.join(COLUMNS)}) VALUES {values}",
                 params)


def rebuild_all(storage: Storage, tx: Any) -> int:
    """Every stay from every stored scan with a match key (a migration, a bulk load), in
    ``tx``; the number of stays kept."""
    _execute(storage, tx, "DELETE FROM stays")
    sql = (f"SELECT {_SCAN} FROM entries e WHERE e.match_key IS NOT NULL "
           f"ORDER BY e.match_key, e.checkpoint_id")
    if _postgresql(storage):  # a server-side cursor: the rows do not all fit in memory
        cursor = tx.cursor(name="stays_rebuild")
        cursor.execute(sql)
    else:
        cursor = _execute(storage, tx, sql)
    kept, group, built = 0, [], []
    while rows := cursor.fetchmany(50_000):
        for row in rows:
            if group and (row[0], row[1]) != (group[0][0], group[0][1]):
                built += build(scans_of(group))
                group = []
            group.append(row)
        write(storage, tx, built)
        kept, built = kept + len(built), []
    built = build(scans_of(group))
    write(storage, tx, built)
    cursor.close()
    return kept + len(built)


# -- purge and erasure --------------------------------------------------------------------
def forget_before(storage: Storage, before: dt.date) -> int:
    """Delete the stays of scans of UTC days before ``before`` (by their ids, as purge and
    erasure choose entries) and note that traces read raw scans near that day; how many
    stays were deleted."""
    held = storage.optional_setting(SETTING)
    if held is None or held < before.isoformat():
        storage.set_setting(SETTING, before.isoformat())
    cutoff, deleted = partitions.bounds(before)[0], 0
    while True:
        with storage._transaction() as tx:
            done = storage._execute(tx, "DELETE FROM stays WHERE seq IN (SELECT seq FROM stays "
                                        "WHERE oldest_id < $1 LIMIT $2)", (cutoff, _BATCH)
                                    ).rowcount
        deleted += done
        if done < _BATCH:
            return deleted


def kept_from(storage: Storage, id_slack: dt.timedelta) -> float:
    """From when (corrected UTC seconds) no scan has been purged or erased, as far as the
    stays are concerned: -inf if never."""
    held = storage.optional_setting(SETTING)
    if held is None:
        return float("-inf")
    start = dt.datetime.combine(dt.date.fromisoformat(held), dt.time(), dt.UTC)
    return (start + id_slack).timestamp()


# -- helpers ------------------------------------------------------------------------------
def _postgresql(storage: Storage) -> bool:
    return storage.url.startswith(("postgresql:", "postgres:"))


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


def _lock(key: str, checkpoint: str) -> int:
    """A 64-bit transaction lock key for one person at one checkpoint."""
    digest = hashlib.blake2b(f"stays|{key}|{checkpoint}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _values(storage: Storage, groups: Sequence[tuple[str, str, float, float]],
            slack: dt.timedelta, postgresql: bool, params: Params) -> str:
    """VALUES rows (key, checkpoint, first local day, last local day[, id bounds]) of
    corrected-time ranges; their values go to ``params``."""
    day = storage.calendar.day_of
    rows = []
    for key, checkpoint, lo, hi in groups:
        low, high = tracing.instant(lo), tracing.instant(hi)
        values = [key, checkpoint, day(low).isoformat(), day(high).isoformat()]
        if postgresql:
            values += [partitions.id_prefix(low - slack), partitions.id_prefix(high + slack)]
        rows.append(f"({', '.join(params.add(v) for v in values)})")
    return ", ".join(rows)


