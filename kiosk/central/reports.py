"""The daily report (seed 002: every day at 06:00) and the monthly report (seed 004).

Both are plain dicts (the JSON the API serves; :mod:`kiosk.central.report_formats` turns
them into CSV and XLSX), computed from the registry, the kiosks' last contact and health, and
the per-checkpoint per-day aggregates — so they keep working after raw entries are purged,
and read no raw entries but those of a made day counted again (:func:`_as_made`). Distinct
people are counted at ingest (:mod:`kiosk.central.people`); a day whose raw entries or
identities are gone shows the count frozen when they went.

Rules (the same on every engine, and checked in tests against a brute-force computation):

- A point is *set up* on day D when ``set_up_on <= D`` and it had not closed by D, in the
  registry as it was on D: its district, province, commune and kind then, its periods set
  up (a point closed and reopened is not set up on the days between). A month puts each
  day's scans, manual entries and refusals of a point that changed district in the
  district of their day, and lists the point once per district, with its days there: a
  district's summary is its row, and its points' rows add up to it.
- A scan belongs to the local day of its (clock-corrected) time, see
  :mod:`kiosk.central.localdays`. Scans at points not in the registry count in the totals
  and are listed per point, never as points set up.
- A scan its kiosk marked *duplicate* (the same person again within its duplicate window)
  counts as ``kiosk stats`` counts it: among the scans and the duplicates, never as an
  entry or an exit (scans = ins + outs + duplicates).
- A code that names nobody (kind ``other``: a web address, a product or venue code) counts
  as ``kiosk stats`` counts it: among the scans and ``nobody`` (its repeat scans among the
  duplicates too), never as an entry, an exit nor a person (scans = ins + outs + duplicates
  + the codes naming nobody that are not repeats). A point with such scans has scans.
- *Active in 7 days*: at least one scan on D-6..D; the adoption ratio is active / set up.
- *Set up in a month*: set up on at least one of its days (so far, for the month under
  way); *scanning in the month*: those of them with a scan on one of its days. The month's
  *scanning ratio* is the one over the other, in its summary and per district; its series
  per day carries each day's adoption ratio (the 7-day measure), a different figure.
- *Scans wrongly*: only one direction all day (with at least :data:`ONE_WAY_MIN_SCANS` entries and
  exits: repeat scans are neither); a refusal or manual share far above the province's
  (:func:`far_above`), or a refusal share of at least :data:`REFUSED_SHARE_BOUND` (both with at
  least :data:`SHARE_MIN_ATTEMPTS` attempts); a kiosk clock off by more than 2 minutes; a backlog
  older than 24 h; a revoked kiosk that tried to upload on or after D; a kiosk whose replaced token
  (re-issued, or replaced by an enrolment code) was used on or after D; a point closed before D that
  still has scans on D (its kiosk not revoked: the scans are real and counted, but a point that no
  longer exists should not be scanning). A kiosk's own problems (silent, uploads paused, clock off,
  old backlog) are the dashboard's, by one rule (:mod:`kiosk.central.kiosk_rules`), listed for the
  active kiosks enrolled before D ended at points set up on D (as *completeness* lists them): a
  closed point's kiosk left enrolled, unplugged, is no kiosk to chase (it is
  ``closed_still_scanning`` if it scans) — unless its latest health report says it still
  holds entries or its uploads are paused: then it is chased as any kiosk until they are in
  (they are nowhere else); a kiosk whose latest health report says its uploads are paused
  (alive, heartbeating, its store path not to be confirmed or its store refused for good: it
  records nothing) is listed under *not scanning* with that reason, as a silent one is.
- *Late arrivals*: entries of earlier days that reached the centre after their day's report
  was made, and before D's: from 06:00 on D to 06:00 on D+1
  (:data:`~kiosk.central.localdays.REPORT_TIME`), so that each is listed once and none is
  also counted in the 06:00 report of its own day. The report that goes into the files
  (:func:`made_daily`) is the making: an entry stored after it is late, listed by the next
  report not made yet (:func:`aggregates.received_on`). A month's: entries of its days that
  reached the centre after its report was due (06:00 on the 1st after), per daily report
  that listed them; they are counted in its figures too, as every entry held.
- *Backlogs of unknown age*: kiosks whose latest health report has entries pending with a
  null age (its clock reads earlier than the oldest): no problem (a clock behind is
  ``clock_off`` already), but some may be of D, so they are listed, their age worded as on
  the dashboard's kiosk list (:func:`kiosk.central.kiosk_rules.unknown_backlog_age`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from kiosk.central import aggregates, derivation, people, registry, set_aside_rows
from kiosk.central.kiosk_rules import (
    backlog_age,
    has_entries_to_bring,
    kiosk_problems,
    not_heard_since,
    unknown_backlog_age,
)
from kiosk.central.localdays import parse_utc
from kiosk.central.placeholders import Params
from kiosk.central.registry import Checkpoint
from kiosk.central.storage import TIME_UNCERTAIN, Kiosk, Storage
from kiosk.sync import protocol

ONE_WAY_MIN_SCANS = 10
SHARE_MIN_ATTEMPTS = 20
REFUSED_SHARE_BOUND = 0.5
"""A point refusing at least this share of its reads is listed whatever the province's share:
refusing half its reads is a problem anywhere. Refusals are counts kiosks report, and one
kiosk's (a stuck scanner, a stolen token's lie, cut to what a lane can read) can raise the
province's share so far that no point is twice it; this bound still lists the worst."""
UNKNOWN = "(không rõ / unknown)"
MEASURES = ("scans", "ins", "outs", "duplicates", "manual", "nobody")
RATIOS = frozenset({"adoption_ratio", "scanning_ratio", "manual_share", "refused_share"})
"""The reports' keys whose values are fractions (None when there is nothing to divide by)."""
VERSION = 5
"""The reports' JSON version (``"version"``; a report without one is version 1). Version 2:
a problem carries its ``params`` (numbers, ratios, UTC times: :data:`PROBLEM_PARAMS`),
worded where it is shown, in its reader's language (:meth:`kiosk.central.web.i18n.Translator.
detail`), instead of version 1's ``detail``, a sentence in English. Version 3: repeat scans
(``duplicates``) are counted apart, no longer among ``ins`` and ``outs``; the monthly
report's share of its points that scanned is ``scanning_ratio`` (version 2's monthly
``adoption_ratio`` mixed two sets of points). Version 4: a late entry is one that reached
the centre after its day's 06:00 report (``late_entries``, before from local midnight); the
monthly report lists its own (``late_entries``) and may name the report it ``replaces``.
Version 5: codes that name nobody (``nobody``: a web address, a product or venue code) are
counted apart in the summary, the rows per district, kind, point and day, no longer among
``ins``, ``outs`` nor ``people``. A reader of an older version's key finds none rather
than a figure that means something else."""
PROBLEM_PARAMS = {
    "no_scan_7_days": ("set_up_on",),
    "kiosk_silent_24h": ("last_seen_at", "pending"),
    "uploads_paused": ("reason", "pending", "reported_at"),
    "clock_off": ("clock_offset_seconds",),
    "old_backlog": ("oldest_pending_seconds",),
    "token_copied": ("sources", "set_aside"),
    "one_direction": ("ins", "outs"),
    "refused_share": ("share", "province_share", "bound"),
    "manual_share": ("share", "province_share"),
    "revoked_still_trying": ("refused_attempts", "last_refused_at"),
    "replaced_token_in_use": ("attempts", "last_attempt_at"),
    "closed_still_scanning": ("closed_on", "scans"),
    "time_uncertain": ("scans", "earlier_seconds"),
    "time_after_arrival": ("scans", "later_seconds"),
}
"""Each problem's ``params`` (``uploads_paused_*`` as ``uploads_paused``): a day
``YYYY-MM-DD`` (``set_up_on``, ``closed_on``); UTC times as the protocol writes them, or null
for never (``last_seen_at``, ``reported_at``, ``last_refused_at``, ``last_attempt_at``);
seconds (``clock_offset_seconds``: the centre's time minus the kiosk's, positive when the
kiosk's clock is behind; ``oldest_pending_seconds``, by the kiosk's clock when it last
reported and the centre's since: :func:`backlog_age`); counts (``pending`` of a
silent kiosk: what it last said it held, null if it never said); shares as
fractions, ``bound`` the share at or above which a point is listed whatever the province's
(null when listed as far above the province's); ``earlier_seconds``, how much earlier than
filed one of a kiosk's uncertain scans may have been made, at most; ``later_seconds``, how
much later than it reached the centre its kiosk's clock dated one of its scans filed at
arrival (:class:`protocol.Timing`), at most."""


def far_above(share: float, province_share: float) -> bool:
    """A point's share is far above the province's: twice it, and at least 20 points more."""
    return share > max(2 * province_share, province_share + 0.2)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Snapshot:
    """What every report reads first: the registry as it was on the report's day, kiosks and
    their latest health."""

    points: dict[str, Checkpoint]
    """Each point as it was on the day read: place and kind then, and its period set up
    then (or its next one)."""
    kiosks: list[Kiosk]
    health: dict[str, dict[str, Any]]
    periods: list[tuple[str, str, str | None]]
    """Every point's periods set up: (id, set up on, closed on or None)."""
    set_aside: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Each kiosk's sources whose entries are set aside (:func:`set_aside_rows.held`)."""
    moved: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """The points whose district changed in the days read: (from day, district) in order,
    the first the one in force on the first day."""
    _described: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def read(cls, storage: Storage, day: str, since: str | None = None) -> Snapshot:
        """The registry as it was on local ``day`` (and the districts points had from
        ``since`` to ``day``, for a month: :attr:`moved`)."""
        health = {row[0]: {"received_at": row[1], "oldest_pending_seconds": row[2],
                           "pending": row[3], "uploads_paused": row[4],
                           "sources": (json.loads(row[5]) if isinstance(row[5], str)
                                       else row[5]) or []}
                  for row in storage._query("SELECT kiosk_id, received_at, "
                                            "oldest_pending_seconds, pending, uploads_paused, "
                                            "sources FROM kiosk_health")}
        points = {p.id: p for p in registry.checkpoints(storage)}
        versions: dict[str, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        for checkpoint, from_day, *where in storage._query(
                "SELECT checkpoint_id, from_day, province, district, commune, kind FROM "
                "checkpoint_versions WHERE from_day <= $1 ORDER BY checkpoint_id, from_day",
                (day,)):
            versions[checkpoint].append((from_day, tuple(where)))
        periods: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
        for checkpoint, set_up_on, closed_on in storage._query(
                "SELECT checkpoint_id, set_up_on, closed_on FROM checkpoint_periods "
                "ORDER BY checkpoint_id, set_up_on"):
            periods[checkpoint].append((set_up_on, closed_on))
        moved: dict[str, list[tuple[str, str]]] = {}
        for checkpoint, point in points.items():
            if point.id not in periods and point.set_up_on is not None:
                periods[point.id].append((point.set_up_on, point.closed_on))  # no history yet
            held = periods.get(checkpoint)
            then = (max((p for p in held if p[0] <= day), default=held[0]) if held
                    else (point.set_up_on, point.closed_on))
            history = versions.get(checkpoint)
            current = (point.province, point.district, point.commune, point.kind)
            if (history and history[-1][1] != current) or then != (point.set_up_on,
                                                                  point.closed_on):
                where = dict(zip(registry.REPORTED, history[-1][1] if history else current,
                                 strict=True))
                points[checkpoint] = replace(point, **where, set_up_on=then[0],
                                             closed_on=then[1])
            if since is not None and history:
                month = [(f, w[1]) for f, w in history if f > since]
                earlier = [(since, w[1]) for f, w in history if f <= since][-1:]
                if len({d for _, d in earlier + month}) > 1:
                    moved[checkpoint] = earlier + month
        return cls(points, storage.kiosks(), health,
                   [(c, s, e) for c, held in periods.items() for s, e in held],
                   set_aside_rows.held(storage), moved)

    def describe(self, checkpoint_id: str) -> dict[str, Any]:
        """Id, name, district and kind of a point (the same dict each time: copy it to add
        to it; a report asks tens of thousands of times)."""
        described = self._described.get(checkpoint_id)
        if described is None:
            point = self.points.get(checkpoint_id)
            described = self._described[checkpoint_id] = (
                {"checkpoint_id": checkpoint_id, "name": UNKNOWN, "district": UNKNOWN,
                 "kind": "other"} if point is None else
                {"checkpoint_id": point.id, "name": point.name,
                 "district": point.district or UNKNOWN, "kind": point.kind})
        return described

    def district_on(self, checkpoint_id: str, day: str) -> str:
        """The district of a point of :attr:`moved` on ``day``."""
        district = [d for f, d in self.moved[checkpoint_id] if f <= day][-1]
        return district or UNKNOWN

    def order(self, checkpoint_id: str, district: str) -> tuple[str, str]:
        """A point's place in a list by id, a point of :attr:`moved` with a row a district
        in the order it was in them: by the first day read it was in ``district``."""
        return checkpoint_id, min((f for f, d in self.moved.get(checkpoint_id, ())
                                   if (d or UNKNOWN) == district), default="")

    def set_up(self, day: str) -> set[str]:
        """The points set up on ``day`` (Checkpoint.set_up over their periods, inlined:
        called per day of a month over tens of thousands of points)."""
        return {c for c, start, end in self.periods
                if start <= day and (end is None or end > day)}


# -- reading the aggregates -------------------------------------------------------------------
Counts = dict[str, int]
"""One checkpoint-day's measures (MEASURES → count), a plain dict: a month holds ~10⁵ of them."""
ZERO: Counts = dict.fromkeys(MEASURES, 0)


def day_counts(storage: Storage, first: str, last: str) -> dict[str, dict[str, Counts]]:
    """{day: {checkpoint: counts}} for days first..last."""
    out: dict[str, dict[str, Counts]] = defaultdict(dict)
    for day, checkpoint, *values in storage._query(
            f"SELECT day, checkpoint_id, {', '.join(MEASURES)} "
            "FROM checkpoint_days WHERE day >= $1 AND day <= $2", (first, last)):
        out[day][checkpoint] = dict(zip(MEASURES, values, strict=True))
    return out


def scanning(storage: Storage, first: str, last: str) -> set[str]:
    """The checkpoints with at least one scan on a day first..last."""
    return {c for (c,) in storage._query(
        "SELECT DISTINCT checkpoint_id FROM checkpoint_days WHERE day >= $1 AND day <= $2 "
        "AND scans > 0", (first, last))}


def total(rows: Iterable[Counts]) -> Counts:
    out = dict(ZERO)
    for row in rows:
        for measure in MEASURES:
            out[measure] += row[measure]
    return out


def refused_counts(storage: Storage, kiosks: Iterable[Kiosk], first: dt.date, last: dt.date
                   ) -> dict[str, Counter[str]]:
    """{day: Counter(checkpoint → refused scans)}, from the kiosks' hourly counts (UTC
    hours, each filed under the local day its start falls on)."""
    calendar = storage.calendar
    home = {k.id: k.checkpoint_id for k in kiosks}
    out: dict[str, Counter[str]] = defaultdict(Counter)
    # the hours starting in the days: in a zone not a whole hour off UTC, the hour holding a
    # day's start began the day before, and is filed there
    start = _hour_from(calendar.start(first)).strftime("%Y-%m-%dT%H")
    end = _hour_from(calendar.end(last)).strftime("%Y-%m-%dT%H")
    for kiosk_id, hour, refused in storage._query(
            "SELECT kiosk_id, hour, refused FROM refused_hours WHERE hour >= $1 AND hour < $2",
            (start, end)):
        day = calendar.local(dt.datetime.strptime(hour, "%Y-%m-%dT%H").replace(
            tzinfo=dt.UTC))[0]
        out[day][home.get(kiosk_id, UNKNOWN)] += refused
    return out


def _hour_from(moment: dt.datetime) -> dt.datetime:
    """The first UTC hour starting at ``moment`` or after."""
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + dt.timedelta(hours=1)


# -- daily --------------------------------------------------------------------------------------
CATCH_UP_DAYS = 31
"""How far back the 06:00 run makes the days whose report was not made (the server down
across their 06:00: the timer's catch-up runs once): a month, the monthly report's; an
older day is made by ``--date``."""


def days_due(storage: Storage, written: Callable[[dt.date], bool]) -> list[dt.date]:
    """The days the 06:00 run makes, oldest first: the last day whose report is due
    (yesterday from 06:00 on, else the day before), made again if it was made, and the
    days before it within :data:`CATCH_UP_DAYS` whose report was not made or not
    ``written`` (its files not in the folder: a run stopped between a day's making and its
    files — made again, it is that making's report), from the first report made on (a new
    centre makes only the last)."""
    calendar = storage.calendar
    now = dt.datetime.now(dt.UTC)
    today = calendar.day_of(now)
    due = today - dt.timedelta(days=1 if now >= calendar.report_time(today) else 2)
    first = (due - dt.timedelta(days=CATCH_UP_DAYS - 1)).isoformat()
    made = {d for (d,) in storage._query("SELECT day FROM daily_reports WHERE day >= $1",
                                         (first,))}
    (earliest,), = storage._query("SELECT min(day) FROM daily_reports")
    days = [due]
    while earliest is not None and (days[0] - dt.timedelta(days=1)).isoformat() >= max(
            first, earliest):
        days.insert(0, days[0] - dt.timedelta(days=1))
    return [d for d in days if d == due or d.isoformat() not in made or not written(d)]


def made_daily(storage: Storage, day: dt.date | None = None) -> dict[str, Any]:
    """The daily report for local ``day`` (default: yesterday) that goes into the report
    files, its making recorded (:func:`aggregates.report_made`) and then the report itself:
    the making takes ``made_at`` and its snapshot once every batch stored before is in it,
    so that each entry of the day is either in it or listed late after it, never both nor
    neither, and every figure is read in that snapshot (:meth:`Storage._report_making`)
    while batches are stored (those see the day made: late). Made again after its making (a
    rerun, a retry), it is that report (:func:`_as_made`). Entries acknowledged before are
    derived first, those of the day only (:func:`derivation.catch_up_day`: serve derives the
    others); those acknowledged meanwhile are said not derived."""
    derivation.catch_up_day(storage, (day or storage.calendar.day_of(
        dt.datetime.now(dt.UTC)) - dt.timedelta(days=1)).isoformat())

    def record(tx: Any) -> tuple[dt.date, dt.datetime, int | None]:
        now = dt.datetime.now(dt.UTC)
        chosen = day or storage.calendar.day_of(now) - dt.timedelta(days=1)
        return chosen, now, aggregates.report_made(storage, tx, chosen, now)

    with storage._report_making(record) as ((made, now, seen), tx):
        if seen is None:  # made before; or before its 06:00: not the report
            return _as_made(storage, tx, made) or daily(storage, made, now=now, derive=False)
        d = made.isoformat()
        report = daily(storage, made, now=now, derive=False, listed_late=aggregates.stored_after(
            storage, tx, d, protocol.format_time(now), seen))
    with storage._transaction() as tx:
        storage._execute(tx, "UPDATE daily_reports SET report = $1 WHERE day = $2",
                         (aggregates.pack_report(report), d))
    return report


def made(storage: Storage, day: dt.date) -> bool:
    """Whether the making of local ``day``'s report is recorded: its figures are then its
    06:00 file's, else as of a time the page says."""
    return bool(storage._query("SELECT 1 FROM daily_reports WHERE day = $1",
                               (day.isoformat(),)))


def day_state(storage: Storage, day: dt.date) -> tuple[Any, ...]:
    """What entries arriving change in the report of local ``day`` as of now, read in a few
    milliseconds: the day's points and their scans (every entry stored counts at once, a
    late one too) and people (each entry derived adds its person; a frozen day's count),
    the late entries received on it, the points with a row in its week (its 7-day
    activity), and the kiosks enrolled and not revoked (the kiosks it lists). A report of a
    day not made, kept, is the day's report while this is as it was
    (:class:`kiosk.central.web.today_report.DaysNotMade`); not the kiosks' health reports,
    which a province's kiosks send every few minutes: their problems are as of its time."""
    d, week = day.isoformat(), (day - dt.timedelta(days=6)).isoformat()
    return tuple(storage._query(
        "SELECT count(*), coalesce(sum(scans), 0), coalesce(sum(people), 0), "
        "(SELECT coalesce(max(people), -1) FROM day_people WHERE day = $1), "
        "(SELECT coalesce(sum(entries), 0) FROM late_arrivals WHERE received_on = $1), "
        "(SELECT count(*) FROM checkpoint_days WHERE day >= $2 AND day <= $1), "
        "(SELECT count(*) FROM kiosks), (SELECT count(*) FROM kiosks WHERE revoked_at IS NULL) "
        "FROM checkpoint_days WHERE day = $1", (d, week))[0])


def made_report(storage: Storage, day: dt.date) -> dict[str, Any] | None:
    """The report of ``day`` its making made (:func:`made_daily`), None if none was
    recorded: what the dashboard shows of a day made, so that its figures are its 06:00
    file's, without recording a making. Read in one snapshot (:meth:`Storage._reading`),
    taking no lock an upload waits for: a making from before schema v46 kept no report,
    and counting it again took 1.5–4 s on a province."""
    with storage._reading() as tx:
        return _as_made(storage, tx, day)


def _as_made(storage: Storage, tx: Any, day: dt.date) -> dict[str, Any] | None:
    """The report of ``day`` as its making made it, read in ``tx``; None if no making is
    recorded. Kept whole since schema v46 (counts only, no person): its activity, the
    points not scanning and the kiosks' problems as they were then, which nothing held
    lets one compute again (a kiosk's health then); its people and ``not_derived``
    counted again when the making had entries not derived (:func:`_counted_again`: a
    retry derives them). A making from before v46, which kept none: its entries (those
    listed late left out: :func:`aggregates.stored_after`) and their people, the rest as
    now."""
    d = day.isoformat()
    making = storage._execute(tx, "SELECT made_at, batches_seen, report FROM daily_reports "
                                  "WHERE day = $1", (d,)).fetchall()
    if not making:
        return None
    (made_at, seen, kept), = making
    if kept is None:
        report = daily(storage, day, now=parse_utc(made_at), derive=False,
                       listed_late=aggregates.stored_after(storage, tx, d, made_at, seen))
    else:
        report = aggregates.unpack_report(kept)
        if not any(report["not_derived"].values()):
            return report
    return _counted_again(storage, tx, report, made_at, seen)


def _counted_again(storage: Storage, tx: Any, report: dict[str, Any], made_at: str,
                   seen: int | None) -> dict[str, Any]:
    """``report``'s people and ``not_derived`` as derived now, among the entries its making
    counted only, as its scans (those listed late left out:
    :func:`aggregates.listed_late_ids`): a late entry's person is not its, nor ever more
    people than scans, and the figures change only as its own entries are derived."""
    d = report["day"]
    late = aggregates.listed_late_ids(storage, tx, d, made_at, seen)
    queued, set_aside = (ids - late for ids in derivation.not_derived_of(storage, d))
    report["not_derived"] = derivation.Backlog(len(queued), len(set_aside)).answer()
    report["summary"]["people"] = people.among(storage, d, late, queued | set_aside)
    return report


def daily(storage: Storage, day: dt.date | None = None, *, now: dt.datetime | None = None,
          wait: float | None = derivation.READER_SECONDS, derive: bool = True,
          listed_late: aggregates.Tally | None = None) -> dict[str, Any]:
    """The daily report for local ``day`` (default: yesterday) as of ``now``. Its people
    count every entry acknowledged until now that is derived after ``wait`` seconds at most
    (None: all but those set aside; ``derive=False``: none derived now, as in
    :func:`made_daily`'s transaction); ``not_derived`` says how many are not (of those set
    aside, the day's own; with ``derive=False``, of those queued too: a making's file says
    what its day lacks, not the new day's entries still queued at 06:00). Its scans leave
    out ``listed_late``, the day's entries listed late (:func:`aggregates.stored_after`)."""
    calendar = storage.calendar
    now = now or dt.datetime.now(dt.UTC)
    day = day or calendar.day_of(now) - dt.timedelta(days=1)
    d = day.isoformat()
    left = (_derived(storage, wait, (d, d)) if derive
            else derivation.Backlog(*map(len, derivation.not_derived_of(storage, d))))
    week = (day - dt.timedelta(days=6)).isoformat()
    snap = Snapshot.read(storage, d)
    today = day_counts(storage, d, d).get(d, {})
    hours = Counter(dict(storage._query(
        "SELECT hour, CAST(sum(scans) AS BIGINT) FROM checkpoint_hours WHERE day = $1 "
        "GROUP BY hour", (d,))))
    if listed_late is not None:
        for (_, checkpoint, measure), count in listed_late.days.items():
            today[checkpoint][measure] -= count
        for (_, _, hour), count in listed_late.hours.items():
            hours[hour] -= count
        today = {c: values for c, values in today.items() if any(values.values())}
    refused = refused_counts(storage, snap.kiosks, day, day).get(d, Counter())  # by point
    set_up_ids = snap.set_up(d)
    set_up = [snap.points[c] for c in sorted(set_up_ids)]
    scanned = {c for c, v in today.items() if v["scans"] > 0}
    active = scanning(storage, week, d)
    totals = total(today.values())
    total_refused = sum(refused.values())
    manual_share = ratio(totals["manual"], totals["scans"])
    refused_share = ratio(total_refused, totals["scans"] + total_refused)
    late = dict(storage._query("SELECT day, CAST(sum(entries) AS BIGINT) FROM late_arrivals "
                               "WHERE received_on = $1 GROUP BY day", (d,)))
    people_today = people.per_day(storage, d, d).get(d, 0)

    def group(key: str) -> list[dict[str, Any]]:
        # tens of thousands of points: plain counters, each point's group looked up once
        rows: dict[str, Counter[str]] = defaultdict(Counter)
        for point in set_up:
            g = rows[getattr(point, key) or UNKNOWN]
            g["points_set_up"] += 1
            g["points_scanned"] += point.id in scanned
            g["points_active_7d"] += point.id in active
        for checkpoint, values in today.items():
            g = rows[snap.describe(checkpoint)[key]]
            for measure in MEASURES:
                g[measure] += values[measure]
        for checkpoint, n in refused.items():
            rows[snap.describe(checkpoint)[key]]["refused"] += n
        return [{key: name, **{f: g[f] for f in ("points_set_up", "points_scanned",
                                                 "points_active_7d")},
                 "adoption_ratio": ratio(g["points_active_7d"], g["points_set_up"]),
                 **{m: g[m] for m in (*MEASURES, "refused")}}
                for name, g in sorted(rows.items())]

    by_point = []
    for checkpoint in sorted(set(today) | set(refused)):
        values = today.get(checkpoint, ZERO)
        by_point.append({**snap.describe(checkpoint), "set_up": checkpoint in set_up_ids,
                         **{m: values[m] for m in MEASURES}, "refused": refused[checkpoint]})

    day_end = calendar.end(day)
    # the day's kiosks: a past day's report lists none enrolled after it ended, nor one
    # where no point is set up that day (closed, its kiosk unplugged but kept) that has
    # nothing to bring: no place that does not scan, no clock to chase; one still holding
    # entries is chased for them as any kiosk (nothing lost), the Kiosks page shows both
    bringing = {k for k, h in snap.health.items()
                if has_entries_to_bring(h.get("pending"), h.get("uploads_paused"))}
    kiosks = [k for k in snap.kiosks if k.active and parse_utc(k.created_at) < day_end
              and (k.checkpoint_id in set_up_ids or k.id in bringing)]
    silent, kiosks_wrong, unknown_age = _kiosk_problems(snap, kiosks, now)
    not_scanning = [{**snap.describe(p.id), "problem": "no_scan_7_days",
                     "params": {"set_up_on": p.set_up_on}}
                    for p in set_up if p.id not in active]
    not_scanning += silent
    wrong = _scanning_wrongly(snap, today, refused, set_up_ids, manual_share, refused_share)
    wrong += kiosks_wrong + _revoked_still_trying(snap, calendar.start(day))
    wrong += _replaced_token_in_use(storage, snap, calendar.start(day))
    wrong += _closed_still_scanning(snap, today, d)
    wrong += _time_uncertain(storage, snap, d)
    return {
        "report": "daily", "version": VERSION, "day": d, "timezone": calendar.name,
        "made_at": protocol.format_time(now),
        "summary": {
            "points_set_up": len(set_up), "points_scanned": len(scanned & set_up_ids),
            "points_active_7d": len(active & set_up_ids),
            "adoption_ratio": ratio(len(active & set_up_ids), len(set_up)),
            **{m: totals[m] for m in MEASURES}, "manual_share": manual_share,
            "refused": total_refused, "refused_share": refused_share, "people": people_today,
            "late_entries": sum(late.values()),
        },
        "not_derived": left.answer(),
        "by_district": group("district"),
        "by_kind": group("kind"),
        "by_hour": [{"hour": h, "scans": hours[h]} for h in range(24)],
        "by_point": by_point,
        "not_scanning": not_scanning,
        "scanning_wrongly": sorted(wrong, key=lambda r: (r["checkpoint_id"], r["problem"],
                                                         r.get("kiosk_id", ""))),
        "completeness": {
            "kiosks_not_heard_since_day_end": [
                {**snap.describe(k.checkpoint_id), "kiosk_id": k.id,
                 "last_seen_at": k.last_seen_at}
                for k in kiosks if not_heard_since(k.last_seen_at, day_end)],
            "late_entries": [{"day": x, "entries": n} for x, n in sorted(late.items())],
            "kiosks_backlog_age_unknown": unknown_age,
        },
    }


def _derived(storage: Storage, wait: float | None, days: tuple[str, str]
             ) -> derivation.Backlog:
    """Derive first (the people of a day), for at most ``wait`` seconds; what is left (set
    aside: of the local ``days`` (first, last) only)."""
    if wait is None:
        derivation.catch_up(storage)
        return derivation.backlog(storage, days)
    return derivation.for_reader(storage, wait, days)


def _scanning_wrongly(snap: Snapshot, today: dict[str, Counts], refused: Counter[str],
                      set_up: set[str], manual_share: float | None,
                      refused_share: float | None) -> list[dict[str, Any]]:
    out = []
    for checkpoint in sorted(set_up & (set(today) | set(refused))):
        values = today.get(checkpoint, ZERO)
        scans = values["scans"]
        problems = []
        if values["ins"] + values["outs"] >= ONE_WAY_MIN_SCANS and \
                (values["ins"] == 0 or values["outs"] == 0):
            problems.append(("one_direction", {"ins": values["ins"], "outs": values["outs"]}))
        attempts = scans + refused[checkpoint]
        if attempts >= SHARE_MIN_ATTEMPTS and refused_share is not None:
            share = refused[checkpoint] / attempts
            if far_above(share, refused_share):
                problems.append(("refused_share", {"share": share,
                                                   "province_share": refused_share,
                                                   "bound": None}))
            elif share >= REFUSED_SHARE_BOUND:
                problems.append(("refused_share", {"share": share,
                                                   "province_share": refused_share,
                                                   "bound": REFUSED_SHARE_BOUND}))
        if scans >= SHARE_MIN_ATTEMPTS and manual_share is not None:
            share = values["manual"] / scans
            if far_above(share, manual_share):
                problems.append(("manual_share", {"share": share,
                                                  "province_share": manual_share}))
        out += [{**snap.describe(checkpoint), "problem": p, "params": params}
                for p, params in problems]
    return out


def _kiosk_problems(snap: Snapshot, active: list[Kiosk], now: dt.datetime
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The active kiosks' problems as of ``now`` (the dashboard's rule), each with its params:
    (the silent ones and those alive whose uploads are paused, for "not scanning"; clock off
    and old backlogs, for "scanning wrongly"; the backlogs of unknown age, for
    "completeness", with the key of their words: no problem, but entries of the day may be
    among them)."""
    silent, wrong, unknown_age = [], [], []
    for kiosk in active:
        where = snap.describe(kiosk.checkpoint_id)
        offset = kiosk.last_clock_offset
        health = snap.health.get(kiosk.id, {})
        backlog = backlog_age(health.get("oldest_pending_seconds"), health.get("received_at"),
                              now)
        paused = health.get("uploads_paused")
        sources = health.get("sources", [])
        problems = kiosk_problems(kiosk.last_seen_at, offset, backlog, now, paused,
                                  len(sources))
        age = unknown_backlog_age(health.get("pending"), backlog, problems)
        if age is not None:
            unknown_age.append({"kiosk_id": kiosk.id, **where, "pending": health["pending"],
                                "oldest_pending": age})
        for problem in problems:
            if problem == "kiosk_silent_24h":
                silent.append({**where, "problem": problem, "kiosk_id": kiosk.id,
                               "params": {"last_seen_at": kiosk.last_seen_at,
                                          "pending": health.get("pending")}})
            elif problem.startswith("uploads_paused"):  # alive, but recording nothing
                silent.append({**where, "problem": problem, "kiosk_id": kiosk.id,
                               "params": {"reason": paused, "pending": health.get("pending"),
                                          "reported_at": health.get("received_at")}})
            elif problem == "token_copied":
                wrong.append({**where, "kiosk_id": kiosk.id, "problem": problem,
                              "params": {"sources": sources, "set_aside": [
                                  {"boot_id": s["boot_id"], "entries": s["entries"]}
                                  for s in snap.set_aside.get(kiosk.id, [])]}})
            else:
                wrong.append({**where, "kiosk_id": kiosk.id, "problem": problem,
                              "params": {"clock_offset_seconds": offset}
                              if problem == "clock_off" else
                              {"oldest_pending_seconds": backlog}})
    return silent, wrong, unknown_age


def _revoked_still_trying(snap: Snapshot, day_start: dt.datetime) -> list[dict[str, Any]]:
    """Revoked kiosks that tried to upload on or after the report's day (the report's own:
    the dashboard shows kiosks as they are now)."""
    out = []
    for kiosk in snap.kiosks:
        if (not kiosk.active and kiosk.last_refused_at is not None
                and parse_utc(kiosk.last_refused_at) >= day_start):
            out.append({**snap.describe(kiosk.checkpoint_id), "kiosk_id": kiosk.id,
                        "problem": "revoked_still_trying",
                        "params": {"refused_attempts": kiosk.refused_attempts,
                                   "last_refused_at": kiosk.last_refused_at}})
    return out


def _replaced_token_in_use(storage: Storage, snap: Snapshot, day_start: dt.datetime
                           ) -> list[dict[str, Any]]:
    """Kiosks whose replaced tokens (``retired_tokens``) were used on or after the report's
    day, with the attempts made with them since each was replaced, added up."""
    kiosks = {k.id: k for k in snap.kiosks}
    return [{**snap.describe(kiosks[kiosk_id].checkpoint_id), "kiosk_id": kiosk_id,
             "problem": "replaced_token_in_use",
             "params": {"attempts": attempts, "last_attempt_at": last}}
            for kiosk_id, attempts, last in storage._query(
                "SELECT kiosk_id, CAST(sum(attempts) AS BIGINT), max(last_attempt_at) "
                "FROM retired_tokens WHERE last_attempt_at >= $1 GROUP BY kiosk_id",
                (protocol.format_time(day_start),))
            if kiosk_id in kiosks]  # one added since the snapshot was read: the next report


def _closed_still_scanning(snap: Snapshot, today: dict[str, Counts], day: str
                           ) -> list[dict[str, Any]]:
    """Points closed before ``day`` with scans on it, from the day's aggregates (their
    scans are accepted and counted: nothing recorded is lost, but staff should see that
    the kiosk of a closed point is still in use). The closing day itself is not listed:
    its scans may be the point's last before it closed."""
    out = []
    for checkpoint, values in sorted(today.items()):
        point = snap.points.get(checkpoint)
        if (point is not None and point.closed_on is not None and point.closed_on < day
                and values["scans"] > 0):
            out.append({**snap.describe(checkpoint), "problem": "closed_still_scanning",
                        "params": {"closed_on": point.closed_on, "scans": values["scans"]}})
    return out


def _time_uncertain(storage: Storage, snap: Snapshot, day: str) -> list[dict[str, Any]]:
    """Kiosks with scans filed on ``day`` whose time is uncertain (:data:`TIME_UNCERTAIN`):
    ``time_uncertain``, filed by the kiosk's monotonic clock, as a kiosk whose clock was set
    forward between scan and send made them, though its clock says they were made up to
    ``earlier_seconds`` earlier, as a kiosk that slept between them made them; the centre
    cannot tell which (:class:`protocol.Timing`), so they are counted on ``day`` and listed.
    ``time_after_arrival``, filed at their arrival though its clock dated them up to
    ``later_seconds`` later (it ran ahead in an earlier boot, and was set right before the
    send): made before they arrived, when is not known."""
    return [{**snap.describe(checkpoint), "kiosk_id": kiosk_id,
             "problem": "time_after_arrival" if after else "time_uncertain",
             "params": {"scans": scans, ("later_seconds" if after else "earlier_seconds"):
                        bound}}
            for kiosk_id, checkpoint, after, scans, bound in storage._query(
                "SELECT kiosk_id, checkpoint_id, after, count(*), max(abs(earlier)) FROM "
                "(SELECT e.kiosk_id, e.checkpoint_id, coalesce(e.clock_offset_seconds, 0) "
                "- u.kiosk_clock_offset_seconds AS earlier, CASE WHEN coalesce("
                "e.clock_offset_seconds, 0) < u.kiosk_clock_offset_seconds THEN 1 ELSE 0 END "
                f"AS after FROM {TIME_UNCERTAIN} u JOIN entries e ON e.id = u.id "
                "WHERE e.local_day = $1) AS unsure "
                "GROUP BY kiosk_id, checkpoint_id, after ORDER BY kiosk_id, checkpoint_id, after",
                (day,))]


# -- monthly ------------------------------------------------------------------------------------
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(9998, 12, 31)
"""The days a report is made for: no scan is dated before 1970 (a UUIDv7 id counts from
it), and a day at the calendar's edge (or the week before it) reaches outside it in UTC."""


def report_day(text: str) -> dt.date:
    """``YYYY-MM-DD`` as a day a report is made for; ValueError if it is not one."""
    day = dt.date.fromisoformat(text)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{text}: not between {FIRST_DAY} and {LAST_DAY}")
    return day


def month_days(month: str) -> list[dt.date]:
    """The days of ``YYYY-MM``; ValueError if it is not a month a report is made for."""
    first = report_day(f"{month}-01")
    days = []
    while first.month == (first + dt.timedelta(days=len(days))).month:
        days.append(first + dt.timedelta(days=len(days)))
    return days


def monthly(storage: Storage, month: str, *, now: dt.datetime | None = None,
            wait: float | None = derivation.READER_SECONDS, derive: bool = True
            ) -> dict[str, Any]:
    """The month ``YYYY-MM``: a series per day and the month's totals, by district and
    point; ``wait``, ``derive`` and ``not_derived`` as for :func:`daily` (the month's own)."""
    calendar = storage.calendar
    now = now or dt.datetime.now(dt.UTC)
    days = month_days(month)
    first, last = days[0].isoformat(), days[-1].isoformat()
    left = (_derived(storage, wait, (first, last)) if derive
            else derivation.backlog(storage, (first, last)))
    so_far = min(last, calendar.day_of(now).isoformat())  # a month under way: up to today
    snap = Snapshot.read(storage, max(first, so_far), since=first)
    refused = refused_counts(storage, snap.kiosks, days[0], days[-1])
    people_by_day = people.per_day(storage, first, last)
    # a month of a province is ~10⁵-10⁶ checkpoint-days: sums in SQL, sets in Python
    scanned_on: dict[str, list[str]] = defaultdict(list)
    for d, checkpoint in storage._query(
            "SELECT day, checkpoint_id FROM checkpoint_days WHERE day >= $1 AND day <= $2 "
            "AND scans > 0", ((days[0] - dt.timedelta(days=6)).isoformat(), last)):
        scanned_on[d].append(checkpoint)
    sums = ", ".join(f"CAST(sum({m}) AS BIGINT)" for m in MEASURES)
    day_totals = {d: dict(zip(MEASURES, values, strict=True)) for d, *values in storage._query(
        f"SELECT day, {sums} FROM checkpoint_days WHERE day >= $1 AND day <= $2 GROUP BY day",
        (first, last))}
    # checkpoint → its latest day with scans so far (dict updates run in C: a province
    # month is ~10⁶ checkpoint-days, a window counted per checkpoint took seconds)
    last_scan: dict[str, str] = {}
    for i in range(6, 0, -1):
        earlier = (days[0] - dt.timedelta(days=i)).isoformat()
        last_scan.update(dict.fromkeys(scanned_on.get(earlier, ()), earlier))
    series = []
    month_set_up: set[str] = set()  # open on a day of the month (so far)
    moved_set_up: dict[str, set[str]] = defaultdict(set)  # moved point → its districts then
    for day in days:
        d = day.isoformat()
        set_up = snap.set_up(d)
        if d <= so_far:
            month_set_up |= set_up
            for checkpoint in set_up.intersection(snap.moved):
                moved_set_up[checkpoint].add(snap.district_on(checkpoint, d))
        last_scan.update(dict.fromkeys(scanned_on.get(d, ()), d))
        week_start = (day - dt.timedelta(days=6)).isoformat()
        week = sum(last_scan.get(c, "") >= week_start for c in set_up)
        series.append({"day": d, "points_set_up": len(set_up),
                       "points_scanned": len(set_up.intersection(scanned_on.get(d, ()))),
                       "points_active_7d": week, "adoption_ratio": ratio(week, len(set_up)),
                       **day_totals.get(d, ZERO),
                       "refused": sum(refused.get(d, Counter()).values()),
                       "people": people_by_day.get(d, 0)})
    late = _late_in(storage, first, last)
    per_point = {checkpoint: {**dict(zip(MEASURES, values, strict=True)), "refused": 0,
                              "days_scanned": scanned}
                 for checkpoint, *values, scanned in storage._query(
                     f"SELECT checkpoint_id, {sums}, CAST(sum(CASE WHEN scans > 0 THEN 1 "
                     f"ELSE 0 END) AS BIGINT) FROM checkpoint_days WHERE day >= $1 AND day <= $2 "
                     f"GROUP BY checkpoint_id", (first, last))}
    for by_checkpoint in refused.values():
        for checkpoint, n in by_checkpoint.items():
            per_point.setdefault(checkpoint, {**ZERO, "refused": 0, "days_scanned": 0})
            per_point[checkpoint]["refused"] += n
    month_scanned = {c for c, v in per_point.items() if v["scans"] > 0} & month_set_up
    measures = (*MEASURES, "refused")
    # a point that changed district is one row a district, of its days there
    points = {(c, snap.describe(c)["district"]): (v, c in month_set_up)
              for c, v in per_point.items() if c not in snap.moved}
    points.update({(c, district): (v, district in moved_set_up[c])
                   for (c, district), v in _moved_points(storage, snap, refused,
                                                         (first, last)).items()})
    districts: dict[str, Counter[str]] = defaultdict(Counter)
    for checkpoint in month_set_up.difference(snap.moved):
        g = districts[snap.describe(checkpoint)["district"]]
        g["points_set_up"] += 1
        g["points_scanned"] += checkpoint in month_scanned
    for checkpoint, set_up_in in moved_set_up.items():  # set up, and scanning, in each
        for district in set_up_in:
            values, _ = points.get((checkpoint, district), (ZERO, True))
            g = districts[district]
            g["points_set_up"] += 1
            g["points_scanned"] += values["scans"] > 0
    for (_, district), (values, _) in points.items():
        districts[district].update({m: values[m] for m in measures})
    return {
        "report": "monthly", "version": VERSION, "month": month, "timezone": calendar.name,
        "made_at": protocol.format_time(now),
        "summary": {"points_set_up": len(month_set_up), "points_scanned": len(month_scanned),
                    "scanning_ratio": ratio(len(month_scanned), len(month_set_up)),
                    **{m: sum(row[m] for row in series) for m in measures},
                    "late_entries": sum(row["entries"] for row in late)},
        "not_derived": left.answer(),
        "by_day": series,
        "by_district": [{"district": name, "points_set_up": g["points_set_up"],
                         "points_scanned": g["points_scanned"],
                         "scanning_ratio": ratio(g["points_scanned"], g["points_set_up"]),
                         **{m: g[m] for m in measures}}
                        for name, g in sorted(districts.items())],
        "by_point": [{**snap.describe(c), "district": district, "set_up": set_up,
                      "days_scanned": v["days_scanned"], **{m: v[m] for m in measures}}
                     for (c, district), (v, set_up) in sorted(points.items(),
                                                              key=lambda i: snap.order(*i[0]))],
        "late_entries": late,
    }


def _late_in(storage: Storage, first: str, last: str) -> list[dict[str, Any]]:
    """The late list of the month of days ``first``..``last``: its entries that reached
    the centre after its report was due, per daily report that listed them."""
    return [{"received_on": received_on, "day": d, "entries": n}
            for received_on, d, n in storage._query(
                "SELECT received_on, day, CAST(sum(entries) AS BIGINT) FROM late_arrivals "
                "WHERE day >= $1 AND day <= $2 AND received_on > $2 "
                "GROUP BY received_on, day ORDER BY received_on, day", (first, last))]


def stale(storage: Storage, report: dict[str, Any]) -> bool:
    """Whether a month's report, once due, counts less than the centre does now: what it
    counts changed since its ``made_at`` (:func:`changed_since`: entries of the month
    arrived late, refusal counts of its days stored late, a registry correction, a copy's
    entries set aside or brought back), or an entry derived since (queued or set aside
    then) added a person (its people per day differ), or its late list differs. Derive
    first. A report without those lists (not one this program made) is stale."""
    try:
        days = [row["day"] for row in report["by_day"]]
        counted = [row["people"] for row in report["by_day"]]
        late, made_at = report["late_entries"], report["made_at"]
    except (KeyError, TypeError):
        return True
    if not days:
        return True
    if changed_since(storage, dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1]),
                     made_at):
        return True
    people_by_day = people.per_day(storage, days[0], days[-1])
    return (late != _late_in(storage, days[0], days[-1])
            or counted != [people_by_day.get(d, 0) for d in days])


def kept_monthly(storage: Storage, month: str) -> dict[str, Any]:
    """The month ``YYYY-MM`` as the dashboard shows it. Under way (before 06:00 on the 1st
    after, when its report is due), built at each view. Once due, built once in one
    snapshot (:meth:`Storage._reading`) and kept (``monthly_reports``, schema v50) while
    nothing it counts changed since (:func:`changed_since`: entries of the month arriving
    late, refusal counts of its days stored late, a registry correction) and its people per
    day are those kept (one derived since, queued or set aside then, adds its person);
    else it is built again. Its ``not_derived`` is the backlog now. Before, each view built
    it: 8-11 s on a province, every viewer's page, download and JSON."""
    calendar = storage.calendar
    now = dt.datetime.now(dt.UTC)
    days = month_days(month)
    first, last = days[0].isoformat(), days[-1].isoformat()
    if now < calendar.report_time(days[-1] + dt.timedelta(days=1)):
        return monthly(storage, month, now=now)
    left = _derived(storage, derivation.READER_SECONDS, (first, last))
    kept = storage._query("SELECT report FROM monthly_reports WHERE month = $1 "
                          "AND timezone = $2", (month, calendar.name))
    if kept:
        report = aggregates.unpack_report(kept[0][0])
        if not stale(storage, report):
            report["not_derived"] = left.answer()
            return report
    with storage._reading():
        report = monthly(storage, month, now=now, derive=False)
    with storage._transaction() as tx:
        storage._execute(tx, "INSERT INTO monthly_reports (month, timezone, made_at, report) "
                             "VALUES ($1, $2, $3, $4) ON CONFLICT (month, timezone) DO UPDATE "
                             "SET made_at = excluded.made_at, report = excluded.report",
                         (month, calendar.name, report["made_at"],
                          aggregates.pack_report(report)))
    return report


def changed_since(storage: Storage, first: dt.date, last: dt.date, made_at: str) -> bool:
    """Whether a report of local days ``first``..``last`` made at ``made_at`` (a stored UTC
    time) is stale: the one rule for a report kept or written, whose copy is built again
    when true. Since then, entries of those days arrived late (``late_arrivals``), a
    kiosk's refusal count of their hours was stored or changed (``refused_changes``, v55:
    a kiosk offline at a month's end reports the last evening's when it is back), the
    registry was corrected (:data:`registry.CHANGED_AT`: reports read past days as the
    registry has them now), or a copy's entries were set aside or brought back
    (:data:`set_aside_rows.MOVED_AT`: their scans change, their people need not). A few
    index lookups."""
    calendar = storage.calendar
    return bool(storage._query(
        "SELECT 1 FROM late_arrivals WHERE day >= $1 AND day <= $2 AND last_received_at > $3 "
        "UNION ALL SELECT 1 FROM refused_changes WHERE hour >= $4 AND hour < $5 "
        "AND changed_at > $3 UNION ALL SELECT 1 FROM settings WHERE key IN ($6, $7) "
        "AND value > $3 "
        "LIMIT 1",
        (first.isoformat(), last.isoformat(), made_at,
         _hour_from(calendar.start(first)).strftime("%Y-%m-%dT%H"),
         _hour_from(calendar.end(last)).strftime("%Y-%m-%dT%H"), registry.CHANGED_AT,
         set_aside_rows.MOVED_AT)))


def _moved_points(storage: Storage, snap: Snapshot, refused: dict[str, Counter[str]],
                  days: tuple[str, str]) -> dict[tuple[str, str], dict[str, int]]:
    """The month's points that changed district (:attr:`Snapshot.moved`, a few), cut by the
    district of each day: (point, district) → its measures, refusals and days scanned on
    its days there, for each district it has any on. A district officer's report is then
    the point's days in their district, as the district's row counts them."""
    cut: dict[tuple[str, str], dict[str, int]] = {}
    if not snap.moved:
        return cut

    def there(checkpoint: str, day: str) -> dict[str, int]:
        return cut.setdefault((checkpoint, snap.district_on(checkpoint, day)),
                              {**ZERO, "refused": 0, "days_scanned": 0})

    params = Params(days)
    for day, checkpoint, *values in storage._query(
            f"SELECT day, checkpoint_id, {', '.join(MEASURES)} FROM "
            "checkpoint_days WHERE day >= $1 AND day <= $2 AND checkpoint_id IN ("
            + ", ".join(params.add(c) for c in snap.moved) + ")", params):
        row = there(checkpoint, day)
        for measure, value in zip(MEASURES, values, strict=True):
            row[measure] += value
        row["days_scanned"] += values[0] > 0
    for day, by_point in refused.items():
        for checkpoint in by_point.keys() & snap.moved.keys():
            there(checkpoint, day)["refused"] += by_point[checkpoint]
    return cut
