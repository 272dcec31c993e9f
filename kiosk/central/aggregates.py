"""Per-checkpoint per-day counts kept beside the raw entries, without personal data.

Written in the same transaction as the entries they count (only entries stored now, so a
batch sent twice is counted once), read by the reports, and kept when retention purges raw
entries. Rows are upserted in key order so two batches touching the same checkpoints never
deadlock on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk.central import people
from kiosk.central.localdays import parse_utc
from kiosk.central.placeholders import json_rows
from kiosk.sync import protocol

if TYPE_CHECKING:
    from kiosk.central.localdays import Calendar
    from kiosk.central.storage import Storage

MANUAL_SOURCE = "manual"
DUPLICATE = "duplicate"
"""An entry's status when its kiosk saw the same person scanned again within its duplicate
window (``duplicate_of`` the first scan): a scan, but no entry or exit."""


@dataclass
class Tally:
    """What a set of newly stored entries adds to the aggregate tables."""

    days: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(day, checkpoint, measure) → count; measure is scans, ins, outs, duplicates, manual,
    nobody or people (:mod:`kiosk.central.people`)."""
    hours: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    late: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(received_on, day, checkpoint) → entries of ``day`` that reached the centre after
    its daily report was made, received_on the day whose report is the first made after
    they arrived (:meth:`~kiosk.central.localdays.Calendar.report_day_of`)."""
    late_received: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """The same keys → the latest UTC time one of them was received (stored times compare
    as text): a monthly report made before it is out of date."""

    def add(self, checkpoint: str, day: str, hour: int, direction: str, source: str,
            status: str, kind: str, received_on: str, received_at: str, count: int = 1
            ) -> None:
        """``count`` scans alike, received at ``received_at`` (a stored UTC time), the
        report of ``received_on`` the first made after. Counted as ``kiosk stats`` counts
        them, so that the officer's screen and the reports agree: a duplicate is a scan (of
        its hour too) but neither an entry nor an exit; a code that names nobody
        (:data:`people.NAMES_NOBODY`) is a scan and counted in ``nobody`` (its repeats too), but
        neither an entry nor an exit — the officer asks for the ID and scans it, and that
        scan is the person's."""
        self.days[day, checkpoint, "scans"] += count
        if kind == people.NAMES_NOBODY:
            self.days[day, checkpoint, "nobody"] += count
        if status == DUPLICATE:
            self.days[day, checkpoint, "duplicates"] += count
        elif kind != people.NAMES_NOBODY:
            self.days[day, checkpoint, "ins" if direction == "in" else "outs"] += count
        if source == MANUAL_SOURCE:
            self.days[day, checkpoint, "manual"] += count
        self.hours[day, checkpoint, hour] += count
        if day < received_on:
            self.add_late(received_on, day, checkpoint, received_at, count)

    def add_late(self, received_on: str, day: str, checkpoint: str, received_at: str,
                 count: int) -> None:
        key = received_on, day, checkpoint
        self.late[key] += count
        self.late_received[key] = max(self.late_received.get(key, ""), received_at)


DAY_MEASURES = ("scans", "ins", "outs", "duplicates", "manual", "nobody", "people")
_UPSERT_DAY = (
    "INSERT INTO checkpoint_days (day, checkpoint_id, scans, ins, outs, duplicates, manual, "
    "nobody, people) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (day, "
    "checkpoint_id) DO UPDATE "
    "SET scans = checkpoint_days.scans + excluded.scans, "
    "ins = checkpoint_days.ins + excluded.ins, outs = checkpoint_days.outs + excluded.outs, "
    "duplicates = checkpoint_days.duplicates + excluded.duplicates, "
    "manual = checkpoint_days.manual + excluded.manual, "
    "nobody = checkpoint_days.nobody + excluded.nobody, "
    "people = checkpoint_days.people + excluded.people")
_UPSERT_HOUR = (
    "INSERT INTO checkpoint_hours (day, checkpoint_id, hour, scans) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (day, checkpoint_id, hour) DO UPDATE SET "
    "scans = checkpoint_hours.scans + excluded.scans")
_UPSERT_LATE = (
    "INSERT INTO late_arrivals (received_on, day, checkpoint_id, entries, last_received_at) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (received_on, day, checkpoint_id) DO UPDATE SET "
    "entries = late_arrivals.entries + excluded.entries, last_received_at = CASE "
    "WHEN late_arrivals.last_received_at >= excluded.last_received_at "
    "THEN late_arrivals.last_received_at ELSE excluded.last_received_at END")


def write(storage: Storage, tx: Any, tally: Tally) -> None:
    """Add ``tally`` to the aggregate tables inside the ingest transaction ``tx``."""
    keys = sorted({(day, checkpoint) for day, checkpoint, _ in tally.days})
    for day, checkpoint in keys:
        storage._execute(tx, _UPSERT_DAY, (day, checkpoint, *(
            tally.days[day, checkpoint, m] for m in DAY_MEASURES)))
    for (day, checkpoint, hour), count in sorted(tally.hours.items()):
        storage._execute(tx, _UPSERT_HOUR, (day, checkpoint, hour, count))
    for key, count in sorted(tally.late.items()):
        storage._execute(tx, _UPSERT_LATE, (*key, count, tally.late_received[key]))


def tally_rows(calendar: Calendar, rows: Iterable[Sequence[Any]],
               made: dict[str, tuple[str, int | None]]) -> Tally:
    """Tally stored rows of (checkpoint_id, direction, source, status, kind, scanned_at,
    clock_offset_seconds, received_at, batch_seq), placing each on its local day in
    ``calendar``; ``made``: day → when its daily report was made and the highest batch
    number its snapshot saw (:func:`report_made`). An entry is in that report when its
    batch's number (``batch_seq``) is at most that, whenever it was received: a batch
    takes its receive time before it waits for a report being made. A making recorded
    before schema v43, or a batch whose log record is gone, is judged by the making time.
    One not in it is late, as a batch stored then found it (:func:`received_on`), also
    when ``calendar``'s 06:00 comes later (a report made in a zone ahead of it: its making
    times are kept by day name), and so is one a later day's report made before listed
    late (:func:`listed_by_made`)."""
    tally = Tally()
    for (checkpoint, direction, source, status, kind, scanned_at, offset, received_at,
         seq) in rows:
        day, hour = calendar.place(scanned_at, offset)
        made_at, seen = made.get(day, (None, None))
        received_on = calendar.report_day_of(parse_utc(received_at))
        listed = received_on > day and received_on in made and (
            made_at is not None and made[received_on][0] < made_at)
        if made_at is not None and not listed and (
                seq <= seen if seen is not None and seq is not None
                else received_at < made_at):
            received_on = day
        elif made_at is not None:
            received_on = max(received_on, (dt.date.fromisoformat(day)
                                            + dt.timedelta(days=1)).isoformat())
        tally.add(checkpoint, day, hour, direction, source, status, kind, received_on,
                  received_at)
    return tally


def listed_by_made(storage: Storage, tx: Any, day: str, made_at: str) -> list[str]:
    """The days after ``day`` whose report was made before ``day``'s was (at ``made_at``,
    a stored UTC time), read in ``tx``: the entries of ``day`` each listed late (received
    from its 06:00 on: :meth:`~kiosk.central.localdays.Calendar.report_day_of`) stay on
    that list and out of ``day``'s report, made after the server missed its 06:00: each
    entry counted once, and a file made before never changes."""
    return [d for (d,) in storage._execute(
        tx, "SELECT day FROM daily_reports WHERE day > $1 AND made_at < $2 ORDER BY day",
        (day, made_at)).fetchall()]


def received_on(calendar: Calendar, received_at: dt.datetime, day: str, made: set[str]
                ) -> str:
    """The day whose daily report is the first made after an entry of ``day`` received at
    ``received_at`` is stored, ``made`` the days whose report was made before (read in the
    entry's transaction: :meth:`~kiosk.central.storage.Storage.reports_made_in`): the one
    due next (:meth:`~kiosk.central.localdays.Calendar.report_day_of`), or the first after
    it not made yet. The entry is late when that is after ``day``: also when ``day``'s own
    report was made, in the moment before its 06:00, while the entry was being stored."""
    on = calendar.report_day_of(received_at)
    if day in made:
        on = max(on, day)
    while on in made:
        on = (dt.date.fromisoformat(on) + dt.timedelta(days=1)).isoformat()
    return on


def pack_report(report: dict[str, Any]) -> bytes:
    """A daily report as its making keeps it (``daily_reports.report``, schema v47): its
    JSON without spaces, zlib-compressed — a twentieth of the text on a province
    (docs/benchmarks.md)."""
    text = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode(), 6)


def unpack_report(kept: bytes) -> dict[str, Any]:
    """The report :func:`pack_report` kept."""
    report: dict[str, Any] = json.loads(zlib.decompress(kept))
    return report


def pack_kept(storage: Storage, tx: Any) -> None:
    """Compress in ``tx`` the reports kept as JSON text before schema v47 (by then bytes of
    that text: the migration's own statement), one at a time: a year of a province's is a
    gigabyte."""
    for (day,) in storage._execute(tx, "SELECT day FROM daily_reports WHERE report IS NOT "
                                       "NULL ORDER BY day").fetchall():
        (text,), = storage._execute(tx, "SELECT report FROM daily_reports WHERE day = $1",
                                    (day,)).fetchall()
        storage._execute(tx, "UPDATE daily_reports SET report = $1 WHERE day = $2",
                         (pack_report(json.loads(text)), day))


def report_made(storage: Storage, tx: Any, day: dt.date, made_at: dt.datetime
                ) -> int | None:
    """Record in ``tx`` that ``day``'s daily report was made at ``made_at``, at or after its
    06:00 (the timer starts up to a minute late, hours when catching up), its figures read
    in the snapshot ``tx`` took (:meth:`~kiosk.central.storage.Storage._report_making`),
    with the highest batch number it saw (what a recount goes by: :func:`tally_rows`). The
    entries of ``day`` received from 06:00 on that it read are in it, so they come off the
    late lists that counted them by the 06:00 rule when they were stored; those stored
    after see it made (:func:`received_on`): each entry is counted once. Only the first
    making is recorded; one made before 06:00 is not the report. That highest batch number
    if this making was recorded, else None."""
    calendar = storage.calendar
    due = calendar.report_time(day + dt.timedelta(days=1))
    if made_at < due:
        return None
    d, made = day.isoformat(), protocol.format_time(made_at)
    recorded = storage._execute(
        tx, "INSERT INTO daily_reports (day, made_at, batches_seen) SELECT $1, $2, "
            "coalesce(max(seq), 0) FROM batches WHERE true ON CONFLICT (day) DO NOTHING "
            "RETURNING batches_seen", (d, made)).fetchall()
    if not recorded:
        return None
    listed = set(listed_by_made(storage, tx, d, made))
    counted: Counter[tuple[str, str]] = Counter()
    for checkpoint, minute, count in storage._execute(  # by minute: a zone's offset is whole
            tx, "SELECT checkpoint_id, substr(received_at, 1, 16), count(*) FROM entries "
                "WHERE local_day = $1 AND received_at >= $2 GROUP BY checkpoint_id, "
                "substr(received_at, 1, 16)", (d, protocol.format_time(due))).fetchall():
        counted[calendar.report_day_of(dt.datetime.fromisoformat(minute).replace(
            tzinfo=dt.UTC)), checkpoint] += count
    taken = [[listed_on, checkpoint, count] for (listed_on, checkpoint), count
             in sorted(counted.items()) if listed_on not in listed]  # a made list never changes
    if taken:  # one statement: a statement a point held every upload back for seconds
        storage._execute(tx, "UPDATE late_arrivals SET entries = entries - CAST(p.value ->> 2 "
                             f"AS BIGINT) FROM {storage._json_rows('$1', 'p')} WHERE received_on "
                             "= p.value ->> 0 AND day = $2 AND checkpoint_id = p.value ->> 1",
                         (json_rows(taken), d))
    storage._execute(tx, "DELETE FROM late_arrivals WHERE day = $1 AND entries <= 0", (d,))
    seen: int = recorded[0][0]
    return seen


def stored_after(storage: Storage, tx: Any, day: str, made_at: str, seen: int | None
                 ) -> Tally:
    """What the entries of ``day`` listed late by another report add to its counts, read
    in ``tx``: those stored after its report was made (at ``made_at``, its snapshot seeing
    the batches numbered up to ``seen``: :func:`report_made`), and those a later day's
    report made before it listed (:func:`listed_by_made`). Its making and a file of the day
    made again leave them out. A batch is known by its log record (kiosk, batch id, receive
    time); a making recorded before schema v42 (``seen`` None) by receive time, as
    :func:`tally_rows`."""
    calendar = storage.calendar
    tally = Tally()
    for _, checkpoint, direction, source, status, kind, scanned_at, offset, received_at in (
            _listed_late(storage, tx, day, made_at, seen).values()):
        tally.add(checkpoint, day, calendar.place(scanned_at, offset)[1], direction,
                  source, status, kind, day, received_at)
    return tally


def listed_late_ids(storage: Storage, tx: Any, day: str, made_at: str, seen: int | None
                    ) -> set[str]:
    """The ids of the entries :func:`stored_after` counts: those of ``day`` its making did
    not count, whose people are not its either."""
    return set(_listed_late(storage, tx, day, made_at, seen))


def _listed_late(storage: Storage, tx: Any, day: str, made_at: str, seen: int | None
                 ) -> dict[str, Sequence[Any]]:
    """{id: entry} of :func:`stored_after`'s entries, each once."""
    columns = ("e.id, e.checkpoint_id, e.direction, e.source, e.status, e.kind, "
               "e.scanned_at, e.clock_offset_seconds, e.received_at")
    rows = list(storage._execute(tx, (
        f"SELECT {columns} FROM entries e WHERE e.local_day = $1 AND e.received_at >= $2"
        if seen is None else
        f"SELECT {columns} FROM entries e JOIN (SELECT kiosk_id, batch_id, received_at "
        "FROM batches WHERE seq > $2 GROUP BY kiosk_id, batch_id, received_at) b "
        "ON b.kiosk_id = e.kiosk_id AND b.batch_id = e.batch_id "
        "AND b.received_at = e.received_at WHERE e.local_day = $1"),
        (day, made_at if seen is None else seen)).fetchall())
    calendar = storage.calendar
    for listed_on in listed_by_made(storage, tx, day, made_at):
        on = dt.date.fromisoformat(listed_on)
        rows += storage._execute(
            tx, f"SELECT {columns} FROM entries e WHERE e.local_day = $1 "
                "AND e.received_at >= $2 AND e.received_at < $3",
            (day, *(protocol.format_time(calendar.report_time(d))
                    for d in (on, on + dt.timedelta(days=1))))).fetchall()
    return {row[0]: row for row in rows}


def rebuild(storage: Storage, tx: Any, calendar: Calendar) -> int:
    """Recount every aggregate (and each entry's local day in ``calendar``) from the raw
    entries held, read and written in the caller's transaction ``tx``.

    For a database migrated from before aggregates existed, or after the zone changed.
    Days whose raw entries were already purged keep their old counts (late entries too),
    and frozen days their people (:func:`people.recount`). Returns entries seen.
    """
    rows = storage._execute(
        tx, "SELECT e.id, e.checkpoint_id, e.direction, e.source, e.status, e.kind, "
            "e.scanned_at, e.clock_offset_seconds, e.received_at, b.seq, e.local_day "
            "FROM entries e "
            "LEFT JOIN (SELECT kiosk_id, batch_id, received_at, min(seq) AS seq FROM batches "
            "GROUP BY kiosk_id, batch_id, received_at) b ON b.kiosk_id = e.kiosk_id "
            "AND b.batch_id = e.batch_id AND b.received_at = e.received_at").fetchall()
    placed = []
    for row in rows:
        try:
            placed.append(calendar.place(row[6], row[7])[0])
        except ValueError as exc:
            raise ValueError(f"entry {row[0]}: scanned_at {row[6]!r} is not a stored UTC time "
                             f"(YYYY-MM-DDTHH:MM:SS.ffffffZ); nothing was changed") from exc
    days = sorted(set(placed) | {r[10] for r in rows if r[10] is not None})
    for table in ("checkpoint_days", "checkpoint_hours", "late_arrivals"):
        for day in days:
            storage._execute(tx, f"DELETE FROM {table} WHERE day = $1", (day,))
    for row, day in zip(rows, placed, strict=True):
        if row[10] != day:
            storage._execute(tx, "UPDATE entries SET local_day = $1 WHERE id = $2",
                             (day, row[0]))
    made = {day: (made_at, seen) for day, made_at, seen in storage._execute(
        tx, "SELECT day, made_at, batches_seen FROM daily_reports").fetchall()}
    write(storage, tx, tally_rows(calendar, (r[1:10] for r in rows), made))
    people.recount(storage, tx)
    return len(rows)


def recount_late(storage: Storage, tx: Any, calendar: Calendar) -> None:
    """Recount ``late_arrivals`` from the raw entries held, in ``tx``: for a database from
    before an entry was late only once its day's report was made (schema v38). Only the
    entries received after their day's 06:00 can be late, so each held day's are read from
    then (the day's index), grouped by minute of receipt (a zone's offset is whole
    minutes): a live-synced province's months are a few late rows, not one group an entry;
    a day purged before keeps its rows as counted."""
    days = [day for (day,) in storage._execute(
        tx, "SELECT DISTINCT local_day FROM entries WHERE local_day IS NOT NULL").fetchall()]
    storage._execute(tx, "DELETE FROM late_arrivals WHERE day IN "
                         "(SELECT DISTINCT local_day FROM entries)")
    tally = Tally()
    for day in days:
        due = calendar.report_time(dt.date.fromisoformat(day) + dt.timedelta(days=1))
        for checkpoint, minute, count, last in storage._execute(
                tx, "SELECT checkpoint_id, substr(received_at, 1, 16), count(*), "
                    "max(received_at) FROM entries WHERE local_day = $1 AND received_at >= $2 "
                    "GROUP BY checkpoint_id, substr(received_at, 1, 16)",
                (day, protocol.format_time(due))).fetchall():
            tally.add_late(calendar.report_day_of(
                dt.datetime.fromisoformat(minute).replace(tzinfo=dt.UTC)), day, checkpoint,
                last, count)
    write(storage, tx, tally)
