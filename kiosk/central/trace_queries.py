"""Where tracing reads stored scans: the SQL behind :class:`kiosk.central.tracing.Source`.

One set of statements serves both engines (numbered placeholders, given to both drivers as
they are: :class:`~kiosk.central.placeholders.Params`); only a list of values is passed the
engine's way (a PostgreSQL array, SQLite JSON). A trace makes a handful of reads whatever
the number of places visited: the windows of every checkpoint travel in one ``VALUES`` list
joined to ``entries``. Every read is an index range (schema v1 and v3):

- a person: ``subject_key`` / ``match_key`` + time;
- a checkpoint window: ``(checkpoint_id, scanned_at)`` for scans whose time needs no
  correction, and the partial index of scans from kiosks whose clock was off, by their
  corrected local day (:mod:`kiosk.central.localdays` files every scan under its corrected
  day, so a corrected time in [lo, hi] is always on a day between those of lo and hi);
- the people near a visit at a checkpoint: ``(match_key, checkpoint_id, scanned_at)`` (v11:
  only their scans at that checkpoint are read, not their whole fortnight), and the partial
  index of scans without a match key (manual entries, other codes) by checkpoint and time
  (v6);
- a document number's match keys: ``document_matches`` (v15), kept at ingest, by number and
  local day (asked of ``entries``, every number was probed in every day partition);
- a contact shown by a masked code: the numbers stored with its match key
  (``document_matches_match``), then the card scans of a number alone
  (``entries_subject_time``) that name her;
- what the scans of kept stays say: their identities (v18), by key;
- a name and birth year: the match keys that hold them (``substr(match_key, 10)``) and the
  scans without a match key, both by day (v33);
- the scans of uncertain time (v35), only when ``entries_time_uncertain`` holds any (none
  where every kiosk says how long it slept): the person's scans by key, the ids of the
  stays found, each probing its primary key, and those at the checkpoints visited, driven
  from that table — never a join added to the reads above; with each, its kiosk's
  enrolment (``kiosks.created_at``), which bounds how early one filed at its arrival was made.

The redundant ``local_day`` bounds, and on PostgreSQL the id bounds (of the whole read, and
of each window for run-time pruning), let PostgreSQL skip whole day partitions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from kiosk.central import derivation, identities, stays
from kiosk.central.erasure import identities_begin
from kiosk.central.localdays import parse_utc
from kiosk.central.placeholders import Params
from kiosk.central.schema import LARGEST_CLOCK_OFFSET, ON_TIME, SKEWED
from kiosk.central.storage import ERASED, PURGED_BEFORE, TIME_UNCERTAIN, Storage
from kiosk.central.tracing import (
    DETAIL_COLUMNS,
    KEPT,
    ROW_COLUMNS,
    KeptSums,
    KeptVisit,
    Window,
    corrected,
    instant,
    name_part,
)
from kiosk.ids import id_prefix
from kiosk.sync.protocol import ENTRY_MAX_AGE, format_time

assert identities.SCANNED.count(",") + 1 == len(DETAIL_COLUMNS)
_COLUMNS = ", ".join([*(f"e.{name}" for name in ROW_COLUMNS), identities.SCANNED])
"""A scan's row and what it says about the person, read together: a trace names the people
it finds from the rows it read anyway, instead of looking thousands of them up again."""
# ``CROSS JOIN`` makes SQLite read the (few) windows first and look each up in the index;
# PostgreSQL plans it as any inner join. The windows are ``NOT MATERIALIZED``: a
# materialized list made SQLite build a Bloom filter over all of entries for the second
# part (0.4 s on a million entries instead of 0.2 ms).
_IN_WINDOWS = (
    "SELECT {columns} FROM w CROSS JOIN entries e WHERE e.checkpoint_id = w.cp "
    "AND (w.dir IS NULL OR e.direction = w.dir) AND e.local_day BETWEEN w.day_lo AND w.day_hi"
    "{ids} AND {span} AND ")
_WINDOW_ROWS = (  # on time by scanned_at, then skewed clocks by corrected day
    f"WITH {{windows}} {_IN_WINDOWS}e.scanned_at BETWEEN w.lo AND w.hi {{unmatched}}"
    f"AND {ON_TIME} UNION ALL {_IN_WINDOWS}{SKEWED}")
_OF_PEOPLE = (  # by the index entries_match_place (schema v11): person, checkpoint, time
    f" UNION ALL {_IN_WINDOWS}{{people}} AND e.scanned_at BETWEEN w.lo AND w.hi "
    f"AND {ON_TIME}")
_EARLIER = "coalesce(e.clock_offset_seconds, 0) - u.kiosk_clock_offset_seconds"
"""How many seconds earlier than filed a scan of uncertain time was made by its kiosk's clock
(what the daily report's ``time_uncertain`` says): the most it may be off, never later;
below zero for a scan filed at its arrival, its clock dating it later (:func:`earlier`)."""
UNKNOWN_EARLIER = ENTRY_MAX_AGE.total_seconds()
"""How many seconds earlier than filed a scan filed at its arrival may have been made at
most (its kiosk's clock ran ahead in an earlier boot, ``time_after_arrival``): as far back
as the centre takes a scan, when its kiosk's enrolment does not bound it closer."""
_UNSURE_COLUMNS = f"e.scanned_at, e.clock_offset_seconds, {_EARLIER}, k.created_at"
"""What :func:`earlier` takes of a scan of uncertain time, read with it."""
_ENROLMENT = "LEFT JOIN kiosks k ON k.id = e.kiosk_id"


def earlier(scanned_at: str, offset: float | None, before: float, enrolled: str | None
            ) -> float:
    """The most a scan of uncertain time (its :data:`_UNSURE_COLUMNS`) may have been made
    earlier than filed: :data:`_EARLIER`, or for a scan its clock dated after it arrived,
    back to its kiosk's enrolment — the scan carries the kiosk's id, which a kiosk takes at
    its enrolment and no other ever holds (a kiosk's id is never enrolled twice) — and at
    most :data:`UNKNOWN_EARLIER`. (Not to the kiosk's previous batch: it sends its pending
    by id, made by the clock that ran ahead, so later scans go first; nor to its point's
    set-up: a kiosk may scan before its point is set up.)"""
    if before >= 0:
        return before
    if enrolled is None:  # a kiosk the centre does not know (not through the API)
        return UNKNOWN_EARLIER
    since = corrected(scanned_at, offset) - parse_utc(enrolled).timestamp()
    return min(UNKNOWN_EARLIER, max(since, 0.0))
ID_SLACK = stays.ID_SLACK
_VISIT_MORE = ("v_start", "v_end", "v_est", "summed")
"""A visit's own times, whether it is estimated and whether its exposures are summed
(:meth:`StorageSource.kept_contacts`)."""
_CLIPPED = "CASE WHEN end_at < v_end THEN end_at ELSE v_end END"
"""A stay's end within its visit."""
_KEPT_CONTACTS = (  # kind, person, checkpoint (or visit), count, seconds, first, last, est, id, key
    "WITH {near}, met AS (SELECT * FROM near WHERE end_at >= lo AND start_at <= hi{apart}), "
    "{unsure}"
    f"ended AS (SELECT visit, cp, person, start_at, end_at, estimated, v_start, v_est, "
    f"{_CLIPPED} AS clipped, max({_CLIPPED}) OVER (PARTITION BY visit, person "
    "ORDER BY start_at, end_at, first_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) "
    "AS before FROM counted), "
    "reached AS (SELECT *, CASE WHEN before IS NULL OR before < v_start THEN v_start "
    "ELSE before END AS reach FROM ended), "
    "parts AS (SELECT *, CASE WHEN start_at > reach THEN start_at ELSE reach END AS began "
    "FROM reached), "
    "pairs AS (SELECT visit, cp, person, "
    "sum(CASE WHEN clipped > began THEN clipped - began ELSE 0.0 END) AS seconds, "
    "min(start_at) AS first_at, max(end_at) AS last_at, "
    "max(CASE WHEN v_est = 1 OR estimated IS NOT NULL THEN 1 ELSE 0 END) AS est "
    "FROM parts GROUP BY visit, cp, person), "
    "said AS (SELECT person, first_identity AS identity, start_at, 0 AS n, first_id AS id "
    "FROM counted UNION ALL SELECT person, last_identity, start_at, 1, last_id FROM counted "
    "WHERE estimated IS NULL), "
    "latest AS (SELECT person, identity, max(start_at) AS start_at FROM said "
    "GROUP BY person, identity) "
    "SELECT 'p', person, cp, count(*), sum(seconds), min(first_at), max(last_at), max(est), "
    "CAST(NULL AS TEXT), CAST(NULL AS BIGINT) FROM pairs GROUP BY person, cp "
    "UNION ALL SELECT 'v', NULL, CAST(visit AS TEXT), count(*), NULL, NULL, NULL, NULL, NULL, "
    "NULL FROM pairs GROUP BY visit "
    "UNION ALL SELECT 'i', s.person, NULL, s.n, NULL, s.start_at, NULL, NULL, s.id, "
    "s.identity FROM said s JOIN latest l ON l.person = s.person "
    "AND l.identity = s.identity AND l.start_at = s.start_at "
    "UNION ALL SELECT 'u', person, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM unsure")
"""The kept stays' exposures of :meth:`StorageSource.kept_contacts`, summed: rows ``p`` per
contact and checkpoint, ``v`` per visit (its index in the checkpoint's column), ``i`` the
scans of each identity in the latest stay holding it (their place in it in the count's, its
start in the first's: the latest of them is taken in Python, by id as Python orders ids),
``u`` the people not summed for a scan of uncertain time."""
_SUBJECT = ROW_COLUMNS.index("subject_key")


class IdentitiesGone(Exception):
    """What the scans of kept stays a trace read said is no longer held: a purge or an
    erasure took those stays and their identities while the trace ran (it read which stays
    to trust before the purge moved ``stays_begin``). The trace is made again
    (:func:`kiosk.central.trace_service.run`), reading those days' scans raw."""


class StorageSource:
    """Tracing's reads on a central :class:`~kiosk.central.storage.Storage` (either engine)."""

    def __init__(self, storage: Storage, around: tuple[float, float] | None = None, *,
                 wait: float | None = derivation.READER_SECONDS) -> None:
        """``around``: the time range whose scans say which document goes with which match
        key (:func:`kiosk.central.tracing.alias_window`); None: all scans held. The stays,
        identities and document matches of every entry acknowledged until now are derived
        first, for ``wait`` seconds at most (None: all; :func:`kiosk.central.derivation.
        for_reader`); ``not_derived`` says how many were not, for the trace to say."""
        self.not_derived = derivation.for_reader(storage, wait)
        self.storage = storage
        self.around = around
        self.calendar = storage.calendar
        self._aliases: dict[str, str | None] = {}
        self._details: dict[str, Sequence[Any]] = {}
        self._identity: dict[str, int] = {}
        """{scan id: its identity key} of the scans of the kept stays read."""
        self._id_slack: dt.timedelta | None = None
        self._uncertain_held: bool | None = None
        self.postgresql = storage.postgresql

    def _list(self, values: Iterable[str]) -> Any:
        """A list of values as one parameter, the engine's way (an array, JSON text)."""
        return list(values) if self.postgresql else json.dumps(list(values))

    def _in(self, column: str, placeholder: str) -> str:
        """``column`` is one of the list (:meth:`_list`) bound to ``placeholder``."""
        if self.postgresql:
            return f"{column} = ANY({placeholder})"
        return f"{column} IN (SELECT value FROM json_each({placeholder}))"

    @property
    def _window_ids(self) -> str:
        """Each window's id bounds, where entries are partitioned by id (PostgreSQL)."""
        return " AND e.id >= w.id_lo AND e.id < w.id_hi" if self.postgresql else ""

    def _bounds(self, lo: dt.datetime, hi: dt.datetime) -> tuple[str, ...]:
        """The local days of a corrected-time range [lo, hi] and, where entries are
        partitioned by id (PostgreSQL), the ids its scans may have.

        An id is a UUIDv7 the kiosk made when it recorded the scan, by the same clock as
        ``scanned_at``; so its time is within a day of ``scanned_at`` and within the largest
        clock offset ever measured of the corrected time (:data:`ID_SLACK` + the batch log's
        largest offset), which lets PostgreSQL read only those days' partitions.
        """
        days = (self.calendar.day_of(lo).isoformat(), self.calendar.day_of(hi).isoformat())
        if not self.postgresql:
            return days
        slack = self.id_slack()
        return (*days, id_prefix(stays.shifted(lo, -slack)), id_prefix(stays.shifted(hi, slack)))

    def _span(self, lo: dt.datetime, hi: dt.datetime, params: Params) -> str:
        """SQL bounding a corrected-time range [lo, hi] on indexed columns; its values go
        to ``params``."""
        bounds = [params.add(value) for value in self._bounds(lo, hi)]
        ids = f" AND e.id >= {bounds[2]} AND e.id < {bounds[3]}" if self.postgresql else ""
        return f"e.local_day BETWEEN {bounds[0]} AND {bounds[1]}{ids}"

    def id_slack(self) -> dt.timedelta:
        if self._id_slack is None:
            largest = self.storage._query(LARGEST_CLOCK_OFFSET)[0][0] or 0.0
            self._id_slack = ID_SLACK + dt.timedelta(seconds=largest)
        return self._id_slack

    def person_rows(self, keys: Iterable[str], lo: dt.datetime, hi: dt.datetime
                    ) -> list[Sequence[Any]]:
        params = Params()
        span = self._span(lo, hi, params)
        keys = params.add(self._list(sorted(keys)))
        return self._rows(self.storage._query(
            f"SELECT {_COLUMNS} FROM entries e WHERE ({self._in('e.subject_key', keys)} "
            f"OR {self._in('e.match_key', keys)}) AND {span}", params))

    def _windows(self, windows: Sequence[Window], params: Params, unmatched: bool = False
                 ) -> tuple[str, str]:
        """The windows read (its values go to ``params``), and the SQL bounding all of
        them (:meth:`_span`) that it uses."""
        names = "cp, lo, hi, dir, day_lo, day_hi" + (", id_lo, id_hi" if self.postgresql
                                                      else "")
        values = []
        for window in windows:
            lo, hi = instant(window.lo), instant(window.hi)
            row = (window.checkpoint_id, format_time(lo), format_time(hi), window.direction,
                   *self._bounds(lo, hi))
            values.append(f"({', '.join(params.add(value) for value in row)})")
        span = self._span(instant(min(w.lo for w in windows)),
                          instant(max(w.hi for w in windows)), params)
        sql = _WINDOW_ROWS.format(
            windows=f"w ({names}) AS NOT MATERIALIZED (VALUES {', '.join(values)})",
            columns=_COLUMNS, ids=self._window_ids, span=span,
            unmatched="AND e.match_key IS NULL " if unmatched else "")
        return sql, span

    def window_rows(self, windows: Sequence[Window]) -> list[Sequence[Any]]:
        if not windows:
            return []
        params = Params()
        sql, _ = self._windows(windows, params)
        return self._rows(self.storage._query(sql, params))

    def people_rows(self, windows: Sequence[Window], people: Iterable[str]
                    ) -> list[Sequence[Any]]:
        if not windows:
            return []
        params = Params()
        sql, span = self._windows(windows, params, unmatched=True)
        people = sorted(set(people))
        if people:  # (an empty list still costs the planning of every partition it spans)
            keys = self._in("e.match_key", params.add(self._list(people)))
            sql += _OF_PEOPLE.format(columns=_COLUMNS, people=keys, span=span,
                                     ids=self._window_ids)
        return self._rows(self.storage._query(sql, params))

    def _rows(self, rows: list[Sequence[Any]]) -> list[Sequence[Any]]:
        """Rows as read (ROW_COLUMNS, then DETAIL_COLUMNS), each once (a scan in two windows
        is read twice), as ROW_COLUMNS, without those that no longer say who (an erased entry
        is nobody's scan to a trace); their details are kept for :meth:`details`."""
        out: dict[str, Sequence[Any]] = {}
        split = len(ROW_COLUMNS)
        for row in rows:
            if row[_SUBJECT] == ERASED:
                continue
            out[row[0]] = row[:split]
            self._details[row[0]] = row[split:]
        return list(out.values())

    def details(self, ids: Iterable[str]) -> dict[str, Sequence[Any]]:
        """(Kept when the scans were read; those of kept stays come from the identities
        their stays hold, each read once: :mod:`kiosk.central.identities`.)"""
        wanted = set(ids)
        missing = {i: self._identity[i] for i in wanted - self._details.keys()}
        said = identities.details(self.storage, missing.values())
        for entry_id, key in missing.items():
            if key not in said:
                raise IdentitiesGone
            self._details[entry_id] = said[key]
        return {i: self._details[i] for i in wanted}

    def _any_uncertain(self) -> bool:
        """Whether any scan is of uncertain time, asked once a trace: none (every kiosk says
        how long it slept) and a trace makes no read for them, nor sends its contacts' ids."""
        if self._uncertain_held is None:
            self._uncertain_held = bool(self.storage._query(
                f"SELECT 1 FROM {TIME_UNCERTAIN} LIMIT 1"))
        return self._uncertain_held

    def uncertain(self, ids: Iterable[str]) -> dict[str, tuple[str, float]]:
        """(The ids probe :data:`TIME_UNCERTAIN`'s primary key, then only its hits — a few —
        are looked up in ``entries``: in one join, PostgreSQL may scan every partition for
        thousands of contacts' ids.)"""
        if not self._any_uncertain():
            return {}
        params = Params()
        wanted = params.add(self._list(sorted(set(ids))))
        hits = dict(self.storage._query(
            f"SELECT id, kiosk_clock_offset_seconds FROM {TIME_UNCERTAIN} "
            f"WHERE {self._in('id', wanted)}", params))
        return {entry_id: (checkpoint, before)
                for entry_id, checkpoint, _, before in self._looked_up(hits, "", Params())}

    def _looked_up(self, hits: dict[str, float], where: str, params: Params
                   ) -> list[tuple[str, str, float, float]]:
        """(id, checkpoint, corrected time, how many seconds earlier at most) of the scans
        of uncertain time ``hits`` ({id: its kiosk clock's offset}) that meet ``where`` (SQL
        on ``entries e`` after AND, its values in ``params``), each probing the primary key."""
        if not hits:
            return []
        found = params.add(self._list(sorted(hits)))
        return [(entry_id, checkpoint, corrected(scanned_at, offset),
                 earlier(scanned_at, offset, (offset or 0.0) - hits[entry_id], enrolled))
                for entry_id, checkpoint, scanned_at, offset, enrolled in self.storage._query(
                    "SELECT e.id, e.checkpoint_id, e.scanned_at, e.clock_offset_seconds, "
                    f"k.created_at FROM entries e {_ENROLMENT} "
                    f"WHERE {self._in('e.id', found)}{where}", params)]

    def uncertain_of(self, keys: Iterable[str], lo: dt.datetime, hi: dt.datetime
                     ) -> list[tuple[str, float, float]]:
        """(The person's scans by key, each looked up in :data:`TIME_UNCERTAIN` by id:
        driven from the uncertain, each would be looked up in every partition of
        ``entries``. ``CROSS JOIN`` keeps SQLite to that order. One made by ``hi`` is filed
        within the largest offset after it, as its id is: the days and ids of [lo, hi + that]
        bound the read, as :meth:`person_rows`'s.)"""
        if not self._any_uncertain():
            return []
        params = Params()
        span = self._span(lo, self._filed_by(hi), params)
        wanted = params.add(self._list(sorted(keys)))
        return [(entry_id, corrected(scanned_at, offset), earlier(scanned_at, offset, *rest))
                for entry_id, scanned_at, offset, *rest in self.storage._query(
                    f"SELECT e.id, {_UNSURE_COLUMNS} "
                    f"FROM entries e CROSS JOIN {TIME_UNCERTAIN} u {_ENROLMENT} WHERE u.id = e.id "
                    f"AND ({self._in('e.subject_key', wanted)} "
                    f"OR {self._in('e.match_key', wanted)}) AND {span}", params)]

    def uncertain_at(self, checkpoints: Iterable[str], lo: dt.datetime, hi: dt.datetime
                     ) -> list[tuple[str, str, float, float]]:
        """(The ids of :data:`TIME_UNCERTAIN` from ``lo`` less the id slack — a scan's id is
        within that of its ``scanned_at``, filed at or after it less its own offset, which
        the slack holds — then those hits looked up in ``entries`` by id, at the checkpoints
        and within the days and ids of [lo, :meth:`_filed_by` hi]. Read by checkpoint, it
        would be every scan there in those days; joined, SQLite filtered ``entries`` whole
        for the probes, 100 ms a trace: docs/benchmarks.md.)"""
        if not self._any_uncertain():
            return []
        hits = dict(self.storage._query(
            f"SELECT id, kiosk_clock_offset_seconds FROM {TIME_UNCERTAIN} WHERE id >= $1",
            (id_prefix(stays.shifted(lo, -self.id_slack())),)))
        params = Params()
        span = self._span(lo, self._filed_by(hi), params)
        places = params.add(self._list(sorted(set(checkpoints))))
        return self._looked_up(hits, f" AND {self._in('e.checkpoint_id', places)} AND {span}",
                               params)

    def _filed_by(self, hi: dt.datetime) -> dt.datetime:
        """The latest a scan of uncertain time made by ``hi`` may be filed: within the
        largest offset after it, as its id is (a sleep the monotonic clock missed), or at
        its arrival — up to :data:`UNKNOWN_EARLIER` later, and not after now — when its
        clock dated it after it arrived."""
        arrived = min(stays.shifted(hi, dt.timedelta(seconds=UNKNOWN_EARLIER)),
                      dt.datetime.now(dt.UTC))
        return stays.shifted(max(hi, arrived), self.id_slack())

    def kept_from(self) -> float | None:
        return stays.kept_from(self.storage, self.id_slack())

    def kept_stays(self, visits: Sequence[tuple[int, Window]], default_stay: float,
                   people: Collection[str] | None = None) -> list[Sequence[Any]]:
        """(Each window's range of ``first_at`` holds every stay that may overlap it: a
        stay lasts at most the longest stay, and a lone exit's time is its end; the range is
        read index-only, then each stay's times are compared with the window.)"""
        if not visits:
            return []
        params = Params()
        near = self._near_stays([(index, w, ()) for index, w in visits], default_stay, params)
        whose = "" if people is None else (
            f" AND {self._in('person', params.add(self._list(sorted(people))))}")
        rows = self.storage._query(
            f"WITH {near} SELECT visit, person, start_at, end_at, estimated, first_id, "
            f"last_id, first_identity, last_identity FROM near WHERE end_at >= lo "
            f"AND start_at <= hi{whose} ORDER BY visit, person, start_at, end_at, first_id",
            params)
        for row in rows:
            self._identity[row[5]] = row[7]
            if row[6] is not None:
                self._identity[row[6]] = row[8]
        return [row[:7] for row in rows]

    def _near_stays(self, visits: Sequence[tuple[int, Window, Sequence[Any]]],
                    default_stay: float, params: Params) -> str:
        """The CTEs ``w`` (each visit's index, window and range of ``first_at``, then as
        many of :data:`_VISIT_MORE` as its third item gives) and ``near`` (the kept stays
        there that may overlap it, ``default_stay`` applied, with ``w``'s columns)."""
        values = [f"({', '.join(params.add(v) for v in row)})" for row in (
            (index, w.checkpoint_id, w.lo, w.hi, w.lo - KEPT.max_stay - 1,
             w.hi + default_stay + 1, *more) for index, w, more in visits)]
        stay = params.add(default_stay)
        more = "".join(f", {name}" for name in _VISIT_MORE[:len(visits[0][2])])
        return (
            f"w (visit, cp, lo, hi, first_lo, first_hi{more}) AS NOT MATERIALIZED (VALUES "
            f"{', '.join(values)}), near AS (SELECT w.*, s.person, "
            f"CASE WHEN s.estimated = 'entry' THEN s.last_at - {stay} ELSE s.first_at END "
            f"AS start_at, CASE WHEN s.estimated = 'exit' THEN s.first_at + {stay} "
            f"ELSE s.last_at END AS end_at, s.estimated, s.first_id, s.last_id, "
            f"s.first_identity, s.last_identity "
            f"FROM w CROSS JOIN stays s WHERE s.checkpoint_id = w.cp "
            f"AND s.first_at BETWEEN w.first_lo AND w.first_hi)")

    def kept_contacts(self, visits: Sequence[KeptVisit], default_stay: float,
                      apart: Collection[str]) -> KeptSums:
        """(One statement: the stays near the visits, as :meth:`kept_stays` reads them; each
        one's share of its visit — its part after the ends of those before it, in the order
        :func:`tracing._kept_exposures` takes them, a window's running maximum; summed per
        visit and contact, then per contact and checkpoint and per visit; and the latest scan
        of each identity a contact's stays hold. A scan of uncertain time probes
        :data:`TIME_UNCERTAIN`'s primary key, only when that table holds any.)"""
        if not visits:
            return KeptSums([], {}, [], set())
        params = Params()
        near = self._near_stays([(v.index, v.window, (v.visit.start, v.visit.end,
                                                      int(v.visit.estimated is not None),
                                                      int(v.summed))) for v in visits],
                                default_stay, params)
        left = (f" AND NOT {self._in('person', params.add(self._list(sorted(apart))))}"
                if apart else "")
        unsure = (f"unsure AS (SELECT DISTINCT person FROM met WHERE EXISTS (SELECT 1 FROM "
                  f"{TIME_UNCERTAIN} u WHERE u.id = met.first_id OR u.id = met.last_id)), "
                  f"counted AS (SELECT * FROM met WHERE summed = 1 "
                  f"AND person NOT IN (SELECT person FROM unsure)), "
                  if self._any_uncertain() else  # (none held: met read once, not kept)
                  "unsure AS (SELECT person FROM stays WHERE 1 = 0), "
                  "counted AS (SELECT * FROM met WHERE summed = 1), ")
        rows = self.storage._query(_KEPT_CONTACTS.format(near=near, apart=left, unsure=unsure),
                                   params)
        found = KeptSums([], {}, [], set())
        latest: dict[tuple[str, int], tuple[float, int, str]] = {}
        for kind, person, checkpoint, count, seconds, first, last, est, scan_id, key in rows:
            if kind == "p":
                found.contacts.append((person, checkpoint, count, seconds, first, last,
                                       bool(est)))
            elif kind == "v":
                found.per_visit[int(checkpoint)] = count
            elif kind == "i":
                held = latest.get((person, key))
                if held is None or held < (first, count, scan_id):
                    latest[person, key] = (first, count, scan_id)
            else:
                found.unsure.add(person)
        for (person, key), (began, n, scan_id) in latest.items():
            self._identity[scan_id] = key
            found.said.append((person, scan_id, began, n))
        return found

    def _days_around(self, params: Params) -> str:
        """SQL bounding ``document_matches.day`` to the days of :attr:`around`."""
        if self.around is None:
            return "true"
        lo, hi = (params.add(self.calendar.day_of(instant(t)).isoformat()) for t in self.around)
        return f"day BETWEEN {lo} AND {hi}"

    def aliases(self, document_keys: Iterable[str]) -> dict[str, str]:
        """(Remembered for the life of this source: one trace. Read from the table kept at
        ingest, :mod:`kiosk.central.document_matches`: one index range per key.)"""
        wanted = set(document_keys)
        unknown = sorted(wanted - self._aliases.keys())
        if unknown:
            params = Params()
            condition = self._in("subject_key", params.add(self._list(unknown)))
            self._aliases.update(dict.fromkeys(unknown))
            self._aliases.update(self.storage._query(
                f"SELECT subject_key, min(match_key) FROM document_matches WHERE {condition} "
                f"AND {self._days_around(params)} GROUP BY subject_key", params))
        return {k: v for k in wanted if (v := self._aliases[k]) is not None}

    def same_people(self, match_keys: Iterable[str]) -> dict[str, str]:
        """(:meth:`_same_people` of the keys, one index range of ``document_matches_match``
        each.)"""
        keys = sorted({k for k in match_keys if k and k.startswith("m:")})
        if not keys:
            return {}
        params = Params()
        return self._same_people(self._in("d.match_key", params.add(self._list(keys))), params)

    def same_people_near(self, windows: Sequence[Window], default_stay: float
                         ) -> dict[str, str]:
        """(The stays as :meth:`kept_stays` reads them, and :meth:`_same_people` of the
        people met, in one statement: a busy trace's 10,000 people met are not sent back.)"""
        if not windows:
            return {}
        params = Params()
        near = self._near_stays([(i, w, ()) for i, w in enumerate(windows)], default_stay,
                                params)
        return self._same_people(
            "d.match_key IN (SELECT person FROM met)", params,
            f"{near}, met AS (SELECT DISTINCT person FROM near WHERE end_at >= lo "
            "AND start_at <= hi AND substr(person, 1, 2) = 'm:'), ")

    def _same_people(self, which: str, params: Params, ctes: str = "") -> dict[str, str]:
        """:meth:`same_people` of the match keys of ``document_matches d`` that meet
        ``which`` (SQL, after the common table expressions ``ctes``): each key's numbers
        once, then each number's keys (over every day held) by its primary key. Joined day
        by day, a person held 14 days made 14 × 14 rows (1.9 M for a busy trace's 10,000
        people met: 3–5 s on PostgreSQL, docs/benchmarks.md)."""
        classes: dict[str, set[str]] = {}
        for key, other in self.storage._query(
                f"WITH {ctes}a AS (SELECT DISTINCT d.match_key, d.subject_key FROM "
                f"document_matches d WHERE {which}) SELECT DISTINCT a.match_key, b.match_key "
                "FROM a JOIN document_matches b ON b.subject_key = a.subject_key", params):
            if name_part(other) == name_part(key):
                classes.setdefault(key, {key}).add(other)
        known = {}
        for codes in classes.values():
            first = min(codes)
            known.update((code, first) for code in codes if code != first)
        return known

    def documents_for(self, match_keys: Iterable[str]) -> set[str]:
        return self._matched("subject_key", match_keys, around=True)

    def document_codes(self, document_key: str) -> set[str]:
        """(One index range of ``document_matches``' primary key, over every day.)"""
        return {r[0] for r in self.storage._query(
            "SELECT DISTINCT match_key FROM document_matches WHERE subject_key = $1",
            (document_key,))}

    def card_codes(self, document_key: str) -> set[str]:
        """(An index range of ``entries_subject_time`` per day partition.)"""
        return {r[0] for r in self.storage._query(
            "SELECT DISTINCT match_key FROM entries WHERE subject_key = $1 "
            "AND kind = 'cccd' AND match_key IS NOT NULL", (document_key,))}

    def documented(self, match_keys: Iterable[str]) -> set[str]:
        """(One index range of ``document_matches_match`` per key, over every day.)"""
        return self._matched("match_key", match_keys, around=False)

    def card_names(self, match_keys: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(One index range of ``document_matches_match`` per key, over every day; then of
        ``entries_subject_time`` per number alone, in each day partition.)"""
        keys = sorted(set(match_keys))
        if not keys:
            return {}
        params = Params()
        condition = self._in("match_key", params.add(self._list(keys)))
        alone = {key: subject for key, subject in self.storage._query(
            f"SELECT match_key, min(subject_key) FROM document_matches WHERE {condition} "
            "GROUP BY match_key HAVING count(DISTINCT subject_key) = 1", params)}
        if not alone:
            return {}
        params = Params()
        subjects = self._in("subject_key", params.add(self._list(sorted(set(alone.values())))))
        latest: dict[str, tuple[str, str, str]] = {}
        for key, subject, document, name, at in self.storage._query(
                f"SELECT match_key, subject_key, document_number, name, scanned_at FROM entries "
                f"WHERE {subjects} AND kind = 'cccd' AND match_key IS NOT NULL", params):
            if alone.get(key) == subject and document and name and (
                    key not in latest or latest[key][0] < at):
                latest[key] = (at, document, name)
        return {key: (document, name) for key, (_, document, name) in latest.items()}

    def _matched(self, column: str, match_keys: Iterable[str], *, around: bool) -> set[str]:
        """``column`` of ``document_matches`` rows of these match keys, on the days around
        the period or on every day held."""
        keys = sorted(set(match_keys))
        if not keys:
            return set()
        params = Params()
        condition = self._in("match_key", params.add(self._list(keys)))
        days = f" AND {self._days_around(params)}" if around else ""
        return {r[0] for r in self.storage._query(
            f"SELECT DISTINCT {column} FROM document_matches WHERE {condition}{days}", params)}

    def masked_codes(self, last_digits: str, lo: dt.datetime, hi: dt.datetime) -> set[str]:
        """(An index range on ``match_key``: from ``m:<digits>`` to the next digits, which
        holds every key beginning ``m:<digits>|`` in any collation, punctuation ignored or
        not; filtered here.)"""
        params = Params()
        span = self._span(lo, hi, params)
        after = f"m:{int(last_digits) + 1:06d}" if last_digits != "999999" else "n"
        prefix = f"m:{last_digits}|"
        return {r[0] for r in self.storage._query(
            f"SELECT DISTINCT e.match_key FROM entries e WHERE e.match_key >= "
            f"{params.add(prefix[:-1])} AND e.match_key < {params.add(after)} AND {span}",
            params) if r[0].startswith(prefix)}

    def rows_named(self, folded_name: str, birth_year: str, lo: dt.datetime,
                   hi: dt.datetime) -> list[Sequence[Any]]:
        """Scans of the period that may carry this name: codes whose match key holds the
        folded name and year (``substr(match_key, 10)``, indexed as that expression: v33),
        and every scan without a match key (manual entries keep diacritics and carry no
        birth date, so they are compared in Python), by the partial index of those by day,
        each (person, name, birth date) once."""
        params = Params()
        span = self._span(lo, hi, params)
        named = params.add(f"{folded_name}|{birth_year}")
        columns = "e.subject_key, e.match_key, e.name, e.birth_date"
        # SQLite's statistics see a match key held by a few scans each, NULL too, and took
        # entries_match_place for IS NULL: every scan without one held, of any day
        unmatched = "" if self.postgresql else " INDEXED BY entries_unmatched_day"
        return self.storage._query(  # each person's typed name once, not once a scan
            f"SELECT {columns} FROM entries e WHERE substr(e.match_key, 10) = {named} "
            f"AND {span} AND e.name IS NOT NULL UNION ALL SELECT DISTINCT {columns} "
            f"FROM entries e{unmatched} WHERE e.match_key IS NULL AND {span} "
            f"AND e.name IS NOT NULL", params)

    def rows_phoned(self, lo: dt.datetime, hi: dt.datetime) -> list[Sequence[Any]]:
        """The manual entries of the period, each (person, extra) once: none carries a
        match key, so the partial index of those by day reads them, as :meth:`rows_named`
        reads the names typed."""
        params = Params()
        span = self._span(lo, hi, params)
        unmatched = "" if self.postgresql else " INDEXED BY entries_unmatched_day"
        return self.storage._query(
            f"SELECT DISTINCT e.subject_key, e.match_key, e.extra FROM entries e{unmatched} "
            f"WHERE e.match_key IS NULL AND {span} AND e.kind = 'manual'", params)

    def data_begins(self) -> str | None:
        """The first local day of the scans held that still say who (older ones are purged,
        or their identities erased), whole: purge and erasure cut at a UTC midnight, which
        in the centre's zone falls within a local day (07:00 in Asia/Ho_Chi_Minh), so that
        day's first hours are gone and it is not whole (a trace of it said it was held,
        finding nobody in those hours)."""
        # SQLite reads it from the end of entries_first_day, indexed as this expression (v21)
        day = "local_day" if self.postgresql else "local_day || ''"
        first = self.storage._query(f"SELECT min({day}) FROM entries")[0][0]
        if first is None:
            return None
        cuts = (identities_begin(self.storage), self.storage.optional_setting(PURGED_BEFORE))
        return max([first, *(self._whole_from(cut) for cut in cuts if cut)])

    def _whole_from(self, cut: str) -> str:
        """The first local day that begins at or after UTC day ``cut`` begins."""
        start = dt.datetime.combine(dt.date.fromisoformat(cut), dt.time(), dt.UTC)
        day = self.calendar.day_of(start)
        if self.calendar.start(day) < start:
            day += dt.timedelta(days=1)
        return day.isoformat()

    def checkpoint_names(self, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """{id: (name, district, address)} of the registry's checkpoints."""
        params = Params()
        condition = self._in("id", params.add(self._list(sorted(set(ids)))))
        return {r[0]: tuple(r[1:]) for r in self.storage._query(
            f"SELECT id, name, district, address FROM checkpoints WHERE {condition}", params)}
