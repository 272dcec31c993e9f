"""Where tracing reads stored scans: the SQL behind :class:`kiosk.central.tracing.Source`.

One set of statements serves both engines (``?`` placeholders, turned into ``%s`` for
PostgreSQL by the storage). Every read is an index range (schema v1 and v3):

- a person: ``subject_key`` / ``match_key`` + time;
- a checkpoint: ``(checkpoint_id, scanned_at)`` for scans whose time needs no correction,
  and the partial index of scans from kiosks whose clock was off, by their corrected local
  day (:mod:`kiosk.central.localdays` files every scan under its corrected day, so a
  corrected time in [lo, hi] is always on a day between those of lo and hi);
- the people near a visit at a checkpoint: ``match_key`` + time, and the partial index of
  scans without a match key (manual entries, other codes) by checkpoint and time (v5).

The redundant ``local_day`` bounds let PostgreSQL skip whole day partitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from kiosk.central.erasure import identities_begin
from kiosk.central.localdays import CLOCK_TOLERANCE_SECONDS
from kiosk.central.partitions import id_prefix
from kiosk.central.storage import ERASED, Storage
from kiosk.central.tracing import DETAIL_COLUMNS, ROW_COLUMNS, instant
from kiosk.sync.protocol import format_time

_SKEWED = "(clock_offset_seconds > 120 OR clock_offset_seconds < -120)"
"""Written exactly as the partial index ``entries_skewed`` (schema v3) says it, so both
engines use that index; the figure is the centre's clock tolerance."""
assert CLOCK_TOLERANCE_SECONDS == 120, "entries_skewed's predicate must follow the tolerance"
_ON_TIME = "(clock_offset_seconds IS NULL OR clock_offset_seconds BETWEEN -120 AND 120)"

_SELECT = f"SELECT {', '.join(ROW_COLUMNS)} FROM entries"
_DETAILS = ("SELECT id, kind, name, birth_date, document_number, "
            "CASE WHEN kind = 'manual' THEN extra END FROM entries")
assert _DETAILS.count(",") == len(DETAIL_COLUMNS)

_AT_CHECKPOINT = (
    f"{_SELECT} WHERE checkpoint_id = ? AND scanned_at BETWEEN ? AND ? "
    f"AND {{span}} AND {_ON_TIME}{{only}} "
    f"UNION ALL {_SELECT} WHERE checkpoint_id = ? AND {{span}} AND {_SKEWED}{{only}}")
_OF_PEOPLE = (
    # ``checkpoint_id || ''`` keeps the planner on the match_key index: each person has a
    # few scans in the range, the checkpoint may have thousands.
    f"{_SELECT} WHERE match_key IN ({{marks}}) AND checkpoint_id || '' = ? "
    f"AND scanned_at BETWEEN ? AND ? AND {{span}} AND {_ON_TIME}")
_UNMATCHED = (  # the partial index entries_unmatched (schema v5)
    f"{_SELECT} WHERE checkpoint_id = ? AND scanned_at BETWEEN ? AND ? "
    f"AND match_key IS NULL AND {{span}} AND {_ON_TIME} "
    f"UNION ALL {_SELECT} WHERE checkpoint_id = ? AND {{span}} AND {_SKEWED}")
ID_SLACK = dt.timedelta(days=1)
_SUBJECT = ROW_COLUMNS.index("subject_key")
_BATCH = 500
"""Keys per ``IN (…)`` list: well under SQLite's 32,766 bound parameters."""


class StorageSource:
    """Tracing's reads on a central :class:`~kiosk.central.storage.Storage` (either engine)."""

    def __init__(self, storage: Storage, around: tuple[float, float] | None = None) -> None:
        """``around``: the time range whose scans say which document goes with which match
        key (:func:`kiosk.central.tracing.alias_window`); None: all scans held."""
        self.storage = storage
        self.around = around
        self.calendar = storage.calendar
        self._aliases: dict[str, str | None] = {}
        self._id_slack: dt.timedelta | None = None
        self.partitioned = storage.url.startswith(("postgresql:", "postgres:"))

    def _span(self, lo: dt.datetime, hi: dt.datetime) -> tuple[str, tuple[str, ...]]:
        """SQL and parameters bounding a corrected-time range [lo, hi] on indexed columns:
        its local days and, where entries are partitioned by id (PostgreSQL), its ids.

        An id is a UUIDv7 the kiosk made when it recorded the scan, by the same clock as
        ``scanned_at``; so its time is within a day of ``scanned_at`` and within the largest
        clock offset ever measured of the corrected time (:data:`ID_SLACK` + the batch log's
        largest offset), which lets PostgreSQL read only those days' partitions.
        """
        days = (self.calendar.day_of(lo).isoformat(), self.calendar.day_of(hi).isoformat())
        if not self.partitioned:
            return "local_day BETWEEN ? AND ?", days
        slack = self.id_slack()
        return ("local_day BETWEEN ? AND ? AND id >= ? AND id < ?",
                (*days, id_prefix(lo - slack), id_prefix(hi + slack)))

    def _around(self) -> tuple[str, tuple[str, ...]]:
        if self.around is None:
            return "1 = 1", ()
        lo, hi = self.around
        return self._span(instant(lo), instant(hi))

    def id_slack(self) -> dt.timedelta:
        if self._id_slack is None:
            largest = self.storage._query(
                "SELECT max(abs(clock_offset_seconds)) FROM batches")[0][0] or 0.0
            self._id_slack = ID_SLACK + dt.timedelta(seconds=largest)
        return self._id_slack

    def person_rows(self, keys: Iterable[str], lo: dt.datetime, hi: dt.datetime
                    ) -> list[Sequence[Any]]:
        span, bounds = self._span(lo, hi)
        rows: dict[str, Sequence[Any]] = {}
        for chunk in _chunks(sorted(keys)):
            marks = ", ".join("?" for _ in chunk)
            for column in ("subject_key", "match_key"):
                for row in self.storage._query(
                        f"{_SELECT} WHERE {column} IN ({marks}) AND {span}",
                        (*chunk, *bounds)):
                    rows[row[0]] = row
        return list(rows.values())

    def checkpoint_rows(self, checkpoint_id: str, lo: dt.datetime, hi: dt.datetime,
                        direction: str | None = None) -> list[Sequence[Any]]:
        span, bounds = self._span(lo, hi)
        only = "" if direction is None else " AND direction = ?"
        extra = () if direction is None else (direction,)
        return _identified(self.storage._query(_AT_CHECKPOINT.format(only=only, span=span), (
            checkpoint_id, format_time(lo), format_time(hi), *bounds, *extra,
            checkpoint_id, *bounds, *extra)))

    def context_rows(self, checkpoint_id: str, people: Iterable[str], lo: dt.datetime,
                     hi: dt.datetime) -> list[Sequence[Any]]:
        span, bounds = self._span(lo, hi)
        times = (format_time(lo), format_time(hi))
        rows = self.storage._query(_UNMATCHED.format(span=span), (
            checkpoint_id, *times, *bounds, checkpoint_id, *bounds))
        for chunk in _chunks(sorted(set(people))):
            marks = ", ".join("?" for _ in chunk)
            rows += self.storage._query(_OF_PEOPLE.format(marks=marks, span=span),
                                        (*chunk, checkpoint_id, *times, *bounds))
        return _identified(rows)

    def details(self, ids: Iterable[str]) -> dict[str, Sequence[Any]]:
        out: dict[str, Sequence[Any]] = {}
        for chunk in _chunks(sorted(set(ids))):
            marks = ", ".join("?" for _ in chunk)
            out.update((r[0], r[1:]) for r in self.storage._query(
                f"{_DETAILS} WHERE id IN ({marks})", chunk))
        return out

    def aliases(self, document_keys: Iterable[str]) -> dict[str, str]:
        """(Remembered for the life of this source: one trace.)"""
        wanted = set(document_keys)
        span, bounds = self._around()
        for chunk in _chunks(sorted(wanted - self._aliases.keys())):
            marks = ", ".join("?" for _ in chunk)
            self._aliases.update(dict.fromkeys(chunk))
            self._aliases.update(self.storage._query(
                f"SELECT subject_key, min(match_key) FROM entries WHERE subject_key IN "
                f"({marks}) AND match_key IS NOT NULL AND {span} GROUP BY subject_key",
                (*chunk, *bounds)))
        return {k: v for k in wanted if (v := self._aliases[k]) is not None}

    def documents_for(self, match_keys: Iterable[str]) -> set[str]:
        out: set[str] = set()
        span, bounds = self._around()
        for chunk in _chunks(sorted(set(match_keys))):
            marks = ", ".join("?" for _ in chunk)
            out.update(r[0] for r in self.storage._query(
                f"SELECT DISTINCT subject_key FROM entries WHERE match_key IN ({marks}) "
                f"AND subject_key LIKE 'doc:%' AND {span}", (*chunk, *bounds)))
        return out

    def rows_named(self, folded_name: str, birth_year: str, lo: dt.datetime,
                   hi: dt.datetime) -> list[Sequence[Any]]:
        """Scans of the period that may carry this name: codes whose match key ends with
        the folded name and year, and every manual entry (typed names keep diacritics and
        carry no birth date, so they are compared in Python). A scan of the period."""
        span, bounds = self._span(lo, hi)
        return self.storage._query(
            f"SELECT subject_key, match_key, name, birth_date FROM entries WHERE {span} "
            f"AND name IS NOT NULL AND (match_key LIKE ? OR kind = 'manual' "
            f"OR match_key IS NULL)", (*bounds, f"%|{folded_name}|{birth_year}"))

    def data_begins(self) -> str | None:
        """The first local day of the scans held that still say who (older ones are purged,
        or their identities erased)."""
        first = self.storage._query("SELECT min(local_day) FROM entries")[0][0]
        erased_before = identities_begin(self.storage)
        return max(first, erased_before) if first and erased_before else first

    def checkpoint_names(self, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """{id: (name, district, address)} of the registry's checkpoints."""
        out: dict[str, tuple[str, str, str]] = {}
        for chunk in _chunks(sorted(set(ids))):
            marks = ", ".join("?" for _ in chunk)
            out.update((r[0], tuple(r[1:])) for r in self.storage._query(
                f"SELECT id, name, district, address FROM checkpoints WHERE id IN ({marks})",
                chunk))
        return out


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _BATCH):
        yield items[start:start + _BATCH]


def _identified(rows: list[Sequence[Any]]) -> list[Sequence[Any]]:
    """The rows that still say who (an erased entry is nobody's scan to a trace)."""
    return [row for row in rows if row[_SUBJECT] != ERASED]
