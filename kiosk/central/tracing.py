"""Contact tracing, the pure part: scans → stays → visits of a person → contacts.

No SQL here: a :class:`Source` hands over stored scans (see
:mod:`kiosk.central.trace_queries` for the engines), and everything else is decided here, the
same way for SQLite and PostgreSQL.

The rules, in the order they apply:

- **Time**: a scan's time is its kiosk's ``scanned_at`` corrected by the clock offset measured
  on the batch that brought it, when that offset exceeds the centre's tolerance — the rule
  that files scans under local days (:mod:`kiosk.central.localdays`).
- **Person**: the kiosk's keys name a person. A CCCD and a (masked) PC-Covid code of one
  person share a ``match_key``; a row without one (a manual entry with a document number) is
  joined to the match key seen with its document elsewhere (:func:`canonical`). The person
  traced by a document number is theirs under every match key ever stored with it under
  their name (:func:`target_for_document`).
- **Repeats**: a scan the kiosk marked ``duplicate``, or one in the same direction as the
  person's previous scan at that checkpoint within ``repeat_window``, makes no new visit.
- **Stays**: an entry followed by an exit within ``max_stay`` is one stay; an entry with no
  such exit lasts ``default_stay`` (exit *estimated*); a lone exit likewise (entry
  *estimated*).
- **Contacts**: another person whose stay at the checkpoint of a visit overlaps it, widened
  by ``margin`` on both sides; overlap is the time actually shared (their stays' union
  intersected with the visit), so it may be 0 for someone only within the margin. It is
  *estimated* when their stays or the visit are: time shared with an assumed exit is assumed.
- **Uncertain times**: a scan of uncertain time (schema v35, ``entries_time_uncertain``: filed
  by its kiosk's monotonic clock, its kiosk clock saying it was made up to ``d`` seconds
  earlier — a sleep between scan and send) happened at its filed time or up to ``d`` earlier,
  never later. A stay with such a scan may lie anywhere from ``d`` before its start to its
  end: the person's own visit is kept when that reaches the period, and its contacts are
  sought only where it may have been *while in the period* (:func:`possible_in`; the time
  shared counted over all of that, at most the visit's length). Every (visit, contact)
  pair that has an uncertain scan on either side is *uncertain*; a contact whose every pair
  is uncertain is a *possible* contact, ranked after every sure one (so second degree traces
  the sure contacts first, possible ones only when fewer sure ones than asked). A
  contact's stay filed after a visit's window whose uncertain scan may have been made in it
  is found too, taken where it may have been (:func:`_late_exposures`): as the contact's
  trace finds the person, the person's finds the contact. A scan filed at its arrival (its
  clock dated it later) may have been made at any time since its kiosk's enrolment.

Every decision about a stay depends only on scans at most ``max_stay + repeat_window``
before it and ``max_stay`` after it, which is why a source only ever fetches bounded time
ranges (:func:`fetch_range`) and still gets the exact answer.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from kiosk.central.localdays import CLOCK_TOLERANCE_SECONDS, parse_utc
from kiosk.messages import WordedError
from kiosk.payloads.identity import digits, document_key, fold_name, foreign_document_key
from kiosk.payloads.manual import E164, e164, vietnamese_document
from kiosk.sync.protocol import whole_number

MINUTE = 60.0
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

ROW_COLUMNS = ("id", "checkpoint_id", "direction", "status", "scanned_at",
               "clock_offset_seconds", "subject_key", "match_key")
"""What a source returns per stored scan, in this order: enough to build stays."""
DETAIL_COLUMNS = ("kind", "name", "birth_date", "document_number", "extra")
"""What is shown about a person, read only for the scans of people in the answer (``extra``
only for manual entries, where the phone number is)."""


class TraceError(WordedError, ValueError):
    """A trace request that cannot be answered as asked (bad period, unknown person…)."""


@dataclass(frozen=True)
class Policy:
    """How stays and contacts are built; every duration in seconds."""

    margin: float = 15 * MINUTE
    default_stay: float = 120 * MINUTE
    max_stay: float = 12 * 60 * MINUTE
    repeat_window: float = 300.0
    """The kiosk's duplicate window (``duplicate_window_seconds``, default 300)."""
    second_degree: int = 0
    """How many of the top contacts (:meth:`Trace.contacts`: sure ones first) are traced in
    turn (0 = none)."""

    def __post_init__(self) -> None:
        if not 0 <= self.margin <= 24 * 3600:
            raise TraceError("trace.margin_range")
        if not 0 < self.default_stay <= self.max_stay <= 7 * 24 * 3600:
            raise TraceError("trace.default_stay_range")
        if not 0 <= self.repeat_window <= 24 * 3600:
            raise TraceError("trace.repeat_window_range")
        if not 0 <= self.second_degree <= MAX_SECOND_DEGREE:
            raise TraceError("trace.second_degree_range", max=MAX_SECOND_DEGREE)


MAX_SECOND_DEGREE = 20
"""Second degree is bounded: each traced contact costs as much as the first trace."""
KEPT = Policy()
"""The pairing the centre keeps stays under at ingest (:mod:`kiosk.central.stays`): a trace
with another longest stay or repeat window builds every stay from the scans."""


def kept_for(policy: Policy) -> bool:
    """Whether the stays kept at ingest are this policy's (the default stay is applied when
    reading, so it may differ)."""
    return (policy.max_stay, policy.repeat_window) == (KEPT.max_stay, KEPT.repeat_window)


class Scan(NamedTuple):
    """One stored scan as tracing sees it: who (canonical key), where, which way, when."""

    person: str
    checkpoint_id: str
    direction: str
    repeat_marked: bool
    at: float
    """Corrected UTC time, seconds since the epoch."""
    id: str
    subject: str
    """The key the kiosk stored (a person may have several: CCCD, masked PC-Covid…)."""


@dataclass(frozen=True)
class Stay:
    person: str
    checkpoint_id: str
    start: float
    end: float
    estimated: str | None = None
    """None, ``"exit"`` (no exit scanned) or ``"entry"`` (no entry scanned)."""
    ids: tuple[str, ...] = field(default=(), compare=False)
    """The scans it was built from (entry first): what it says about the person."""


class Window(NamedTuple):
    """Corrected times [lo, hi] at one checkpoint: its scans in one direction, or (None) both."""

    checkpoint_id: str
    lo: float
    hi: float
    direction: str | None = None


class Source(Protocol):
    """Stored scans, by person keys or by checkpoint windows, in corrected-time ranges.

    A trace asks for all its checkpoints' windows at once, so a source can answer each
    question with one set-based read however many places the person visited."""

    def person_rows(self, keys: Iterable[str], lo: dt.datetime, hi: dt.datetime
                    ) -> list[Sequence[Any]]:
        """Rows (ROW_COLUMNS) whose subject_key or match_key is one of ``keys`` and whose
        corrected time may be within [lo, hi] (more is fine: the range is applied here)."""

    def window_rows(self, windows: Sequence[Window]) -> list[Sequence[Any]]:
        """Rows at each window's checkpoint (in its direction, if it has one) whose corrected
        time may be within it, each row once (more is fine: windows are applied here)."""

    def people_rows(self, windows: Sequence[Window], people: Iterable[str]
                    ) -> list[Sequence[Any]]:
        """Rows at each window's checkpoint, whose corrected time may be within it, that may
        be of these people (canonical keys): those whose match key is one of them, and all
        without a match key; each row once."""

    def details(self, ids: Iterable[str]) -> dict[str, Sequence[Any]]:
        """{entry id: DETAIL_COLUMNS} of these scans, all of them returned by this source."""

    def aliases(self, document_keys: Iterable[str]) -> dict[str, str]:
        """{``doc:`` subject key: the smallest match key stored with it in the source's
        :func:`alias_window`}, where there is one."""

    def same_people(self, match_keys: Iterable[str]) -> dict[str, str]:
        """{match key: the key its person is known by} for every key of the people of
        ``match_keys`` known under several: the match keys stored with one ``doc:`` subject
        key under one folded name, on any day still held (a card and her PC-Covid code with
        her full number and another birth year), are one person's, known by the smallest."""

    def same_people_near(self, windows: Sequence[Window], default_stay: float
                         ) -> dict[str, str]:
        """:meth:`same_people` of the people of the kept stays overlapping ``windows``
        (``default_stay`` applied)."""

    def documents_for(self, match_keys: Iterable[str]) -> set[str]:
        """``doc:`` subject keys stored with any of ``match_keys``."""

    def document_codes(self, document_key: str) -> set[str]:
        """Every match key stored with this ``doc:`` subject key on any day still held: a
        traced number's codes, however long ago its card was scanned."""

    def masked_codes(self, last_digits: str, lo: dt.datetime, hi: dt.datetime) -> set[str]:
        """Match keys beginning ``m:<last_digits>|`` of scans in [lo, hi] (more is fine:
        filtered here): whose masked codes a number never scanned in full may be."""

    def card_codes(self, document_key: str) -> set[str]:
        """The match keys of the scans of this number's own card (kind ``cccd``) on any day
        still held: the name its holder is known by."""

    def documented(self, match_keys: Iterable[str]) -> set[str]:
        """Those of ``match_keys`` stored with any document number on any day still held."""

    def card_names(self, match_keys: Iterable[str]) -> dict[str, tuple[str, str]]:
        """{match key: (document number, name)} for those of ``match_keys`` stored with one
        document number alone on any day still held, whose own card (kind ``cccd``) was
        scanned under that key: the number and the name its latest such scan printed."""

    def rows_named(self, folded_name: str, birth_year: str, lo: dt.datetime,
                   hi: dt.datetime) -> list[Sequence[Any]]:
        """(subject_key, match_key, name, birth_date) of scans that may carry this name and
        birth year in [lo, hi] (a superset; filtered here)."""

    def rows_phoned(self, lo: dt.datetime, hi: dt.datetime) -> list[Sequence[Any]]:
        """(subject_key, match_key, extra) of the manual entries in [lo, hi], each once:
        those carrying a phone are filtered here (:func:`target_for_phone`)."""

    def kept_from(self) -> float | None:
        """From when (corrected UTC seconds) the stays kept at ingest are whole: a window
        whose scans reach before it is read raw (purged or erased scans); None: no stays
        are kept."""

    def uncertain(self, ids: Iterable[str]) -> dict[str, tuple[str, float]]:
        """{scan id: (its checkpoint, how many seconds earlier it may have been made at
        most)} of those of ``ids`` whose time is uncertain (none, most traces)."""

    def uncertain_of(self, keys: Iterable[str], lo: dt.datetime, hi: dt.datetime
                     ) -> list[tuple[str, float, float]]:
        """(id, corrected time, how many seconds earlier at most) of the scans of uncertain
        time whose subject_key or match_key is one of ``keys``, corrected from ``lo`` on,
        that may have been made by ``hi``: at least those (more is fine)."""

    def uncertain_at(self, checkpoints: Iterable[str], lo: dt.datetime, hi: dt.datetime
                     ) -> list[tuple[str, str, float, float]]:
        """(id, checkpoint, corrected time, how many seconds earlier at most) of the scans
        of uncertain time at ``checkpoints``, corrected from ``lo`` on, that may have been
        made by ``hi``: at least those (more is fine)."""

    def kept_stays(self, visits: Sequence[tuple[int, Window]], default_stay: float,
                   people: Collection[str] | None = None) -> list[Sequence[Any]]:
        """The kept stays (:data:`KEPT`'s pairing, ``default_stay`` applied) at each visit's
        checkpoint that overlap its window, as rows (visit, person, start, end, estimated,
        first scan id, last scan id), ordered by visit, person, start, end and first id;
        only those of ``people`` when given."""

    def kept_contacts(self, visits: Sequence[KeptVisit], default_stay: float,
                      apart: Collection[str]) -> KeptSums:
        """What :func:`_kept_exposures` would make of the kept stays near ``visits``, summed
        per contact and checkpoint without a row per stay (:class:`KeptSums`) — over the
        visits marked ``summed`` and the people neither ``apart`` nor with a scan of
        uncertain time among the stays near any of ``visits`` (those are named instead)."""


class KeptVisit(NamedTuple):
    """A visit whose contacts the kept stays give (:meth:`Source.kept_contacts`)."""

    index: int
    window: Window
    """The visit widened by the margin: the stays overlapping it are its contacts'."""
    visit: Stay
    summed: bool
    """Its exposures are summed (else only looked at for scans of uncertain time)."""


class KeptSums(NamedTuple):
    """The exposures of the kept stays of a trace's contacts, summed by the source: what
    ranks them (:meth:`Trace.contacts`) and names them (:func:`describe_stays`), without a
    row per exposure — a busy person's are hundreds of thousands."""

    contacts: list[tuple[str, str, int, float, float, float, bool]]
    """(person, checkpoint, exposures, seconds shared, their first start, their last end,
    any estimated) per contact and checkpoint."""
    per_visit: dict[int, int]
    """{visit index: exposures summed}."""
    said: list[tuple[str, str, float, int]]
    """(person, scan id, its stay's start, 0 for its first scan or 1): the latest scan of
    each identity a contact's stays hold, the source knowing what it says (:meth:`details`)
    — the person noted from these is the one noted from all (:meth:`Person.note` keeps
    the last of each kind of value)."""
    unsure: set[str]
    """People with a scan of uncertain time among the stays near the visits: not summed."""


# -- times and people ---------------------------------------------------------------------
_MINUTES: dict[str, float] = {}


def corrected(scanned_at: str, clock_offset: float | None) -> float:
    """Corrected UTC seconds of a stored scan (the rule of :mod:`kiosk.central.localdays`).

    Stored times are ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; minutes are parsed once and cached.
    """
    minute = scanned_at[:16]
    base = _MINUTES.get(minute)
    if base is None:
        if len(_MINUTES) > 200_000:
            _MINUTES.clear()
        base = _MINUTES[minute] = (parse_utc(minute + ":00") - EPOCH).total_seconds()
    at = base + float(scanned_at[17:-1])
    if clock_offset is not None and abs(clock_offset) > CLOCK_TOLERANCE_SECONDS:
        at += clock_offset
    return at


def instant(seconds: float) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=seconds)


def canonical(subject_key: str, match_key: str | None, aliases: Mapping[str, str]) -> str:
    """The one key a person is known by across kinds of code: ``aliases`` maps ``doc:``
    subject keys (:meth:`Source.aliases`) and match keys (:meth:`Source.same_people`)."""
    if match_key:
        return aliases.get(match_key, match_key)
    alias = aliases.get(subject_key, subject_key)
    return aliases.get(alias, alias)


def phone_of(kind: str, extra: Any) -> str | None:
    """The phone number a manual entry carries (its ``extra`` as stored), if any."""
    if kind != "manual" or extra is None:
        return None
    if isinstance(extra, str | bytes):
        try:
            extra = json.loads(extra)
        except ValueError:
            return None
    phone = extra.get("phone") if isinstance(extra, dict) else None
    return phone if isinstance(phone, str) and phone else None


def to_scans(rows: Iterable[Sequence[Any]], aliases: Mapping[str, str],
             lo: float, hi: float) -> list[Scan]:
    """Rows (ROW_COLUMNS) as Scans, keeping those whose corrected time is in [lo, hi]."""
    scans = []
    for entry_id, checkpoint, direction, status, scanned_at, offset, subject, match in rows:
        at = corrected(scanned_at, offset)
        if lo <= at <= hi:
            scans.append(Scan(canonical(subject, match, aliases), checkpoint, direction,
                              status == "duplicate", at, entry_id, subject))
    return scans


def unaliased(rows: Iterable[Sequence[Any]]) -> set[str]:
    """``doc:`` subject keys of rows without a match key: those that may need an alias."""
    return {r[6] for r in rows if not r[7] and r[6].startswith("doc:")}


# -- stays --------------------------------------------------------------------------------
def build_stays(scans: Sequence[Scan], policy: Policy) -> list[Stay]:
    """Stays of one person at one checkpoint from their scans in time order."""
    kept: list[Scan] = []
    previous: Scan | None = None
    for scan in scans:
        repeat = scan.repeat_marked or (
            previous is not None and previous.direction == scan.direction
            and scan.at - previous.at <= policy.repeat_window)
        if not repeat:
            kept.append(scan)
        previous = scan
    stays = []
    i = 0
    while i < len(kept):
        scan = kept[i]
        if scan.direction == "in":
            nxt = kept[i + 1] if i + 1 < len(kept) else None
            if (nxt is not None and nxt.direction == "out"
                    and nxt.at - scan.at <= policy.max_stay):
                stays.append(Stay(scan.person, scan.checkpoint_id, scan.at, nxt.at,
                                  ids=(scan.id, nxt.id)))
                i += 2
                continue
            stays.append(Stay(scan.person, scan.checkpoint_id, scan.at,
                              scan.at + policy.default_stay, "exit", (scan.id,)))
        else:
            stays.append(Stay(scan.person, scan.checkpoint_id, scan.at - policy.default_stay,
                              scan.at, "entry", (scan.id,)))
        i += 1
    return stays


def stays_of(scans: Iterable[Scan], policy: Policy) -> list[Stay]:
    """Stays of everyone in ``scans``, built per person and checkpoint."""
    groups: dict[tuple[str, str], list[Scan]] = defaultdict(list)
    for scan in sorted(scans, key=lambda s: (s.at, s.id)):
        groups[scan.person, scan.checkpoint_id].append(scan)
    return [stay for group in groups.values() for stay in build_stays(group, policy)]


def alias_window(start: float, end: float, policy: Policy) -> tuple[float, float]:
    """The scans that join a typed document number (a manual entry) to a match key for a
    trace of [start, end]: those around the period (every range a trace reads, plus a day
    each side). Bounded so a trace reads only the days concerned; the brute force applies
    the same window."""
    reach = policy.max_stay + policy.margin + policy.repeat_window + 86400
    return start - reach, end + reach


def fetch_range(start: float, end: float, policy: Policy, *, margin: float = 0.0
                ) -> tuple[float, float]:
    """Scans that decide every stay overlapping [start - margin, end + margin]."""
    return (start - margin - policy.max_stay - policy.repeat_window,
            end + margin + policy.max_stay)


def furthest_reads(start: float, end: float, policy: Policy) -> tuple[float, float]:
    """The furthest a trace of [start, end] reads either side: a visit's stay may begin a
    :func:`fetch_range` before the period and its contacts' window reaches one beyond that,
    with the margin; the document matches (:func:`alias_window`) a day further. A period
    whose reads leave the calendar is refused up front (``trace.period_calendar``)."""
    lo, hi = fetch_range(*fetch_range(start, end, policy), policy, margin=policy.margin)
    alias_lo, alias_hi = alias_window(start, end, policy)
    return min(lo, alias_lo), max(hi, alias_hi)


def merge_ranges(ranges: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def shared_seconds(start: float, end: float, stays: Iterable[Stay]) -> float:
    """Length of (the union of ``stays``) ∩ [start, end]."""
    total, reach = 0.0, start
    for stay in sorted(stays, key=lambda s: s.start):
        lo, hi = max(stay.start, reach), min(stay.end, end)
        if hi > lo:
            total += hi - lo
            reach = hi
    return total


# -- the trace ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """Whom to trace: canonical keys and how they were found."""

    keys: frozenset[str]
    query: dict[str, str]
    weak: str | None = None
    """Why they may be someone else: ``"name"`` (found by name and birth year only),
    ``"masked_code"`` (a number no scan links to a code: masked codes ending in its last
    digits) or ``"conflicting_holders"`` (codes carrying the number under another name
    were left out: :attr:`others`); None: an exact match."""
    codes: frozenset[str] = frozenset()
    """The other keys of the one person of ``keys`` (a document's ``doc:`` key and every
    match key stored with it: a card and a PC-Covid code with a mis-declared birth year have
    two): their scans are that person's, and none of them is a contact."""
    others: frozenset[str] = frozenset()
    """Match keys stored with the number under another name than its holder's (someone
    else's code declaring it): not the target's, whatever subject key their scans carry."""

    @property
    def everyone(self) -> frozenset[str]:
        """Every key the target's scans may carry."""
        return self.keys | self.codes


@dataclass
class Person:
    key: str
    kinds: set[str] = field(default_factory=set)
    name: str | None = None
    birth_year: str | None = None
    document_number: str | None = None
    phone: str | None = None

    def note(self, details: tuple[Any, ...]) -> None:
        """Add what one scan says; later scans win, a full document number beats a masked one,
        and a name as written on a card or a form beats a PC-Covid code's: folded, or read
        in another code page ("ÐANG THI TRAM", which is not its own fold since an eth folds
        as D)."""
        kind, name, birth, document, extra = details
        phone = phone_of(kind, extra)
        self.kinds.add(kind)
        if name and (self.name is None or fold_name(self.name) == self.name
                     or (fold_name(name) != name and kind != "pccovid")):
            self.name = name
        if birth and birth[:4].isdigit():
            self.birth_year = birth[:4]
        if document and ("*" not in document or not self.document_number
                         or "*" in self.document_number):
            self.document_number = document
        self.phone = phone or self.phone


@dataclass
class Trace:
    target: Target
    start: float
    end: float
    policy: Policy
    visits: list[Stay]
    exposures: list[dict[str, Any]]
    """One per (visit index, contact): shared seconds, the contact's stays' span, and
    ``uncertain`` (seconds, see :func:`mark_uncertain`) when a time it rests on is — every
    one, or (a trace listing the top contacts' only: :func:`trace`'s ``listed``) every one
    not in :attr:`summed`."""
    people: dict[str, Person]
    second_degree: dict[str, Trace] = field(default_factory=dict)
    uncertain: dict[int, float] = field(default_factory=dict)
    """{visit index: how many seconds earlier at most} of the visits with a scan of
    uncertain time."""
    summed: KeptSums | None = None
    """The other exposures, summed per contact by the source (none of them uncertain)."""
    shown: list[dict[str, Any]] = field(default_factory=list)
    """The exposures of :attr:`summed` of the top contacts, to list (already in its sums)."""
    _ranked: list[dict[str, Any]] | None = field(default=None, init=False, repr=False,
                                                 compare=False)

    def contacts(self) -> list[dict[str, Any]]:
        """One summary per contact, ranked: sure contacts before possible ones (a possible
        contact may never have met the person), then longest total overlap, most visits,
        earliest. Ranked once (the trace picks its top contacts by it, the answer shows
        it): the exposures and sums it folds are complete when :func:`trace` makes the
        trace."""
        if self._ranked is None:
            self._ranked = self._rank()
        return self._ranked

    def _rank(self) -> list[dict[str, Any]]:
        summary: dict[str, dict[str, Any]] = {}
        for person, checkpoint, count, seconds, first, last, estimated in (
                self.summed.contacts if self.summed else ()):
            row = summary.get(person)
            if row is None:
                summary[person] = {
                    "person": person, "visits": count, "seconds": seconds, "first": first,
                    "last": last, "checkpoints": {checkpoint}, "estimated": bool(estimated),
                    "uncertain": 0.0, "possible": False}
                continue
            row["visits"] += count
            row["seconds"] += seconds
            row["first"] = min(row["first"], first)
            row["last"] = max(row["last"], last)
            row["checkpoints"].add(checkpoint)
            row["estimated"] = row["estimated"] or bool(estimated)
        for exposure in self.exposures:
            visit = exposure["visit"]
            row = summary.get(exposure["person"])
            if row is None:  # (most contacts share one visit: nothing more to fold in)
                summary[exposure["person"]] = {
                    "person": exposure["person"], "visits": 1,
                    "seconds": exposure["seconds"], "first": exposure["start"],
                    "last": exposure["end"],
                    "checkpoints": {self.visits[visit].checkpoint_id},
                    "estimated": exposure["estimated"],
                    "uncertain": exposure.get("uncertain", 0.0),
                    "possible": "uncertain" in exposure}
                continue
            row["visits"] += 1  # (one exposure per visit and contact)
            row["seconds"] += exposure["seconds"]
            if exposure["start"] < row["first"]:
                row["first"] = exposure["start"]
            if exposure["end"] > row["last"]:
                row["last"] = exposure["end"]
            row["checkpoints"].add(self.visits[visit].checkpoint_id)
            row["estimated"] = row["estimated"] or exposure["estimated"]
            row["uncertain"] = max(row["uncertain"], exposure.get("uncertain", 0.0))
            row["possible"] = row["possible"] and "uncertain" in exposure
        return sorted(summary.values(),
                      key=lambda r: (r["possible"], -round(r["seconds"], 3),
                                     -r["visits"], r["first"], r["person"]))

    def per_visit(self) -> dict[int, int]:
        """{visit index: its exposures (contacts met there)}."""
        counts = dict(self.summed.per_visit) if self.summed else {}
        for exposure in self.exposures:
            counts[exposure["visit"]] = counts.get(exposure["visit"], 0) + 1
        return counts

    def listed(self) -> list[dict[str, Any]]:
        """The exposures held one by one (:attr:`exposures` and :attr:`shown`), unordered:
        the answer lists them visit by visit, each by rank
        (:func:`kiosk.central.trace_formats.to_dict`)."""
        return self.exposures + self.shown if self.shown else self.exposures


def describe(source: Source, scans: Sequence[Scan]) -> dict[str, Person]:
    """What the scans say about each person: the latest scan of each kind under each of
    their keys (a CCCD and a manual entry share a ``doc:`` key: both kinds are shown), read
    oldest first so the latest wins."""
    latest: dict[tuple[str, str, str], Scan] = {}
    details = source.details(scan.id for scan in scans)
    for scan in scans:
        which = (scan.person, scan.subject, details[scan.id][0])
        held = latest.get(which)
        if held is None or (held.at, held.id) < (scan.at, scan.id):
            latest[which] = scan
    ordered = sorted(latest.values(), key=lambda s: (s.at, s.id))
    people: dict[str, Person] = {}
    for scan in ordered:
        people.setdefault(scan.person, Person(scan.person)).note(details[scan.id])
    return people


def find_visits(source: Source, target: Target, start: float, end: float, policy: Policy
                ) -> tuple[list[Stay], dict[str, Person], dict[int, float]]:
    """The target's stays that overlap [start, end] or, with a scan of uncertain time, may
    have (:func:`uncertain_reach`); what their scans say about them; and {visit index: how
    many seconds earlier at most} of the latter."""
    lo, hi = fetch_range(start, end, policy)
    theirs = target.everyone
    keys = _lookup_keys(source, theirs)
    unsure = {i: (at, earlier) for i, at, earlier
              in source.uncertain_of(keys, instant(lo), instant(end))}
    late = [at for at, earlier in unsure.values() if at - earlier <= end]
    if late:  # filed after the period, maybe made in it: the scans deciding its stay too
        hi = max(hi, max(late) + policy.max_stay)
    rows = source.person_rows(keys, instant(lo), instant(hi))
    aliases = source.aliases(unaliased(rows))
    if target.codes:  # a manual entry typing the number is its holder's
        (key,) = target.keys
        aliases = {**aliases, **{k: key for k in target.codes if k.startswith("doc:")}}
    scans = sorted((s for s in to_scans(rows, aliases, lo, hi)
                    if (s.person in theirs or s.subject in theirs)
                    and s.person not in target.others), key=lambda s: (s.at, s.id))
    if target.codes:  # one person under several keys: one set of stays, one description
        scans = [s._replace(person=key) for s in scans]
    people = describe(source, scans)
    built = stays_of(scans, policy)
    reach = {id(s): uncertain_reach(s, unsure) for s in built}
    visits = [s for s in built if s.start - reach[id(s)] <= end and s.end >= start]
    visits.sort(key=lambda s: (s.start, s.checkpoint_id, s.person))
    return visits, people, {n: reach[id(v)] for n, v in enumerate(visits) if reach[id(v)]}


def uncertain_reach(stay: Stay, unsure: Mapping[str, tuple[float, float]]) -> float:
    """How many seconds before its start a stay may have begun: the most any of its scans of
    uncertain time may have been made earlier than filed (0: none). Its end may be as much
    earlier, never later, so [start − that, end] holds it wherever it truly was."""
    return max((unsure[i][1] for i in stay.ids if i in unsure), default=0.0)


def possible_in(visit: Stay, earlier: float, start: float, end: float) -> Stay:
    """Where a visit made up to ``earlier`` seconds before it is filed may truly have been
    if it was in [start, end]: filed, moved earlier by x from max(0, its start − end) to
    min(earlier, its end − start) — its contacts are sought there only, never among people
    who could have met the person only if the visit was outside the period traced."""
    least, most = max(0.0, visit.start - end), min(earlier, visit.end - start)
    return Stay(visit.person, visit.checkpoint_id, visit.start - most, visit.end - least,
                visit.estimated, visit.ids)


def _lookup_keys(source: Source, keys: Iterable[str]) -> set[str]:
    """Keys to look rows up by: the canonical keys and the documents aliased to them."""
    keys = set(keys)
    documents = source.documents_for(k for k in keys if k.startswith("m:"))
    aliases = source.aliases(documents)
    return keys | {d for d in documents if aliases.get(d) in keys}


def trace(source: Source, target: Target, start: float, end: float, policy: Policy,
          *, exclude: frozenset[str] = frozenset(), listed: int | None = None) -> Trace:
    """Visits of ``target`` in [start, end] and everyone who shared them (see module doc).

    ``listed``: how many of the highest ranked contacts' exposures are wanted one by one
    (:attr:`Trace.shown`); the source sums the others' from the stays kept at ingest
    (:meth:`Source.kept_contacts`), so that the trace does not go through a busy person's
    hundreds of thousands of stays shared in Python to rank them. None: every exposure
    made here, one by one (``--all-exposures``). The contacts, their order and figures are
    the same either way."""
    if end <= start:
        raise TraceError("trace.end_before_start")
    found, people, unsure = find_visits(source, target, start, end, policy)
    visits = [possible_in(v, unsure[n], start, end) if n in unsure else v
              for n, v in enumerate(found)]
    by_checkpoint: dict[str, list[int]] = defaultdict(list)
    for index, visit in enumerate(visits):
        by_checkpoint[visit.checkpoint_id].append(index)
    visits_at = {checkpoint: [visits[i] for i in indexes]
                 for checkpoint, indexes in by_checkpoint.items()}
    skip = target.everyone | exclude
    kept_from = source.kept_from() if kept_for(policy) else None
    kept = {checkpoint for checkpoint, theirs in visits_at.items() if kept_from is not None
            and all(fetch_range(v.start, v.end, policy, margin=policy.margin)[0] >= kept_from
                    for v in theirs)}
    merged = source.same_people_near(
        [Window(c, v.start - policy.margin, v.end + policy.margin)
         for c in sorted(kept) for v in visits_at[c]], policy.default_stay) if kept else {}
    stays, mixed = _kept_stays_near(source, {c: visits_at[c] for c in kept}, policy, skip,
                                    merged)
    near = _scans_near(source, {c: v for c, v in visits_at.items() if c not in kept}, policy,
                       merged)
    for checkpoint, scans in near.items():
        stays[checkpoint] = stays_of((s for s in scans if s.person not in skip), policy)
    shared: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    late = _late_pairs(source, visits, by_checkpoint, policy, skip)
    from_kept = [i for c in sorted(kept) for i in by_checkpoint[c]]
    summed = None
    if listed is None:
        exposures = _kept_exposures(source, visits, from_kept, policy, skip, mixed, shared)
    else:  # the sure contacts' sums from the source; the rest one by one, as below
        apart = skip | {person for person, _ in mixed} | {person for _, person in late}
        summed = source.kept_contacts(
            [KeptVisit(i, Window(visits[i].checkpoint_id, visits[i].start - policy.margin,
                                 visits[i].end + policy.margin), visits[i], i not in unsure)
             for i in from_kept], policy.default_stay, apart)
        for person, scan_id, began, n in summed.said:
            shared[person][scan_id] = (began, n)
        exposures = _kept_exposures(source, visits, [i for i in from_kept if i in unsure],
                                    policy, skip, mixed, shared)
        if alone := (apart - skip) | summed.unsure:
            exposures += _kept_exposures(source, visits, [i for i in from_kept
                                                          if i not in unsure],
                                         policy, skip, mixed, shared, only=alone)
    for checkpoint, indexes in sorted(by_checkpoint.items()):
        exposures.extend(_exposures(visits, indexes, stays.get(checkpoint, ()), policy, shared))
    exposures.extend(_late_exposures(visits, late, exposures, shared))
    exposures.sort(key=lambda e: (visits[e["visit"]].checkpoint_id, e["visit"], e["person"]))
    for exposure in exposures:  # a visit of uncertain time shares at most its own length
        if exposure["visit"] in unsure:
            visit = found[exposure["visit"]]
            exposure["seconds"] = min(exposure["seconds"], visit.end - visit.start)
    mark_uncertain(source, visits, unsure, exposures, shared)
    result = Trace(target, start, end, policy, found, exposures, people, uncertain=unsure,
                   summed=summed)
    if summed is not None and listed:  # the top contacts' summed exposures, one by one
        top = {row["person"] for row in result.contacts()[:listed]}
        if top := top & {person for person, *_ in summed.contacts}:
            result.shown = _kept_exposures(source, visits, [i for i in from_kept
                                                            if i not in unsure],
                                           policy, skip, mixed, shared, only=top)
    people.update(describe_stays(source, shared))
    name_by_cards(source, people)
    if policy.second_degree:
        for row in result.contacts()[:policy.second_degree]:
            key = row["person"]
            codes = frozenset(k for k, known_by in merged.items() if known_by == key)
            result.second_degree[key] = trace(
                source, Target(frozenset([key]), {"contact": key}, codes=codes), start, end,
                Policy(policy.margin, policy.default_stay, policy.max_stay,
                       policy.repeat_window), exclude=target.everyone,
                listed=None if listed is None else 0)
    return result


def mark_uncertain(source: Source, visits: Sequence[Stay], unsure: Mapping[int, float],
                   exposures: Iterable[dict[str, Any]],
                   shared: Mapping[str, Mapping[str, tuple[float, int]]]) -> None:
    """Give each exposure resting on a time that may be wrong ``uncertain``: the most seconds
    its visit, or a scan of the contact's stays that made it, may have been earlier than
    filed. The contact's scans are looked up by id among the few of uncertain time, one
    read for the whole trace (``shared``: {person: {scan id: (its stay's start, …)}})."""
    theirs: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for scan_id, (checkpoint, earlier) in source.uncertain(
            i for scans in shared.values() for i in scans).items():
        for person, scans in shared.items():
            if scan_id in scans:
                theirs[person, checkpoint].append((scans[scan_id][0], earlier))
    if not theirs and not unsure:
        return
    for exposure in exposures:
        index, person = exposure["visit"], exposure["person"]
        earlier = max([exposure.get("uncertain", 0.0), unsure.get(index, 0.0)] + [
            e for began, e in theirs.get((person, visits[index].checkpoint_id), ())
            if exposure["start"] <= began <= exposure["end"]])
        if earlier:
            exposure["uncertain"] = earlier


def _late_pairs(source: Source, visits: Sequence[Stay],
                by_checkpoint: Mapping[str, Sequence[int]], policy: Policy,
                skip: frozenset[str]) -> dict[tuple[int, str], list[tuple[Stay, Stay, float]]]:
    """The other side of :func:`find_visits`'s reach: (visit, contact) pairs whose contact's
    stay is filed after the visit's window (widened by the margin) but holds a scan of
    uncertain time that may have been made in it — as the contact's own trace finds this
    person, this trace finds the contact (:func:`_late_exposures`). {(visit index, contact):
    [(the stay, where it may have been while in the window (:func:`possible_in`), how many
    seconds earlier at most)]}; none, most traces."""
    margin = policy.margin
    spans = {n: (visits[n].start - margin, visits[n].end + margin)
             for indexes in by_checkpoint.values() for n in indexes}
    if not spans:
        return {}
    late = {scan_id: (checkpoint, at, earlier) for scan_id, checkpoint, at, earlier
            in source.uncertain_at(by_checkpoint, instant(min(lo for lo, _ in spans.values())),
                                   instant(max(hi for _, hi in spans.values())))
            if any(at > spans[n][1] >= at - earlier for n in by_checkpoint.get(checkpoint, ()))}
    if not late:
        return {}
    filed_at: dict[str, list[Stay]] = defaultdict(list)
    for checkpoint, at, _ in late.values():
        filed_at[checkpoint].append(Stay("", checkpoint, at, at))
    unsure = {scan_id: (at, earlier) for scan_id, (_, at, earlier) in late.items()}
    theirs: dict[tuple[int, str], list[tuple[Stay, Stay, float]]] = defaultdict(list)
    for checkpoint, scans in sorted(_scans_near(source, filed_at, policy).items()):
        for stay in stays_of((s for s in scans if s.person not in skip), policy):
            reach = uncertain_reach(stay, unsure)
            for n in by_checkpoint[checkpoint] if reach else ():
                lo, hi = spans[n]
                if stay.start > hi >= stay.start - reach:
                    theirs[n, stay.person].append((stay, possible_in(stay, reach, lo, hi), reach))
    return theirs


def _late_exposures(visits: Sequence[Stay],
                    theirs: Mapping[tuple[int, str], Sequence[tuple[Stay, Stay, float]]],
                    exposures: Iterable[dict[str, Any]],
                    shared: dict[str, dict[str, tuple[float, int]]]) -> list[dict[str, Any]]:
    """The exposures of :func:`_late_pairs`' pairs, *possible*, ``uncertain`` saying by how
    much: the stay taken where it may have been while in the window, sharing at most its
    own length; a pair already found by the times filed is left as found."""
    met = {(e["visit"], e["person"]) for e in exposures}
    out = []
    for (n, person), found in sorted(theirs.items()):
        if (n, person) in met:
            continue
        visit = visits[n]
        for stay, _, _ in found:
            for k, scan_id in enumerate(stay.ids):
                shared[person][scan_id] = (stay.start, k)
        moved = [m for _, m, _ in found]
        out.append({"visit": n, "person": person,
                    "seconds": min(shared_seconds(visit.start, visit.end, moved),
                                   sum(s.end - s.start for s, _, _ in found)),
                    "start": min(m.start for m in moved), "end": max(m.end for m in moved),
                    "estimated": visit.estimated is not None
                                 or any(s.estimated for s, _, _ in found),
                    "uncertain": max(r for _, _, r in found)})
    return out


def describe_stays(source: Source, shared: Mapping[str, Mapping[str, tuple[float, int]]]
                   ) -> dict[str, Person]:
    """What each contact's scans of the stays they shared say about them: ``shared`` is
    {person: {scan id: (its stay's start, 0 for its first scan or 1)}}, read oldest first so
    the latest wins (both scans of a stay: one may be a CCCD, the other a masked PC-Covid)."""
    ordered = {person: sorted(theirs.items(), key=_oldest_first) if len(theirs) > 1
               else list(theirs.items()) for person, theirs in shared.items()}
    details = source.details({i for theirs in ordered.values() for i, _ in theirs})
    people: dict[str, Person] = {}
    for person, theirs in sorted(ordered.items()):
        found = people[person] = Person(person)
        noted = None
        for scan_id, _ in theirs:
            if (said := tuple(details[scan_id])) != noted:  # noting it again changes nothing
                found.note(said)
                noted = said
    return people


def name_by_cards(source: Source, people: Mapping[str, Person]) -> None:
    """Name by her card a person shown only by codes without her full number (a masked
    PC-Covid code): the code is hers when its match key is stored with one number alone
    and that number's own card was scanned under it (its name is the holder's: the rule a
    trace of the number finds her codes by, :func:`target_for_document`) — her card's name
    and number, wherever and whenever the card was scanned. A key stored with several
    numbers (two people sharing the last 6 digits, the name and the birth year; or a code
    declaring another's number) may be any of theirs: shown as the code says."""
    masked = [key for key, person in people.items() if key.startswith("m:") and (
        person.document_number is None or "*" in person.document_number)]
    for key, (number, name) in source.card_names(masked).items():
        people[key].document_number, people[key].name = number, name


def _oldest_first(item: tuple[str, tuple[float, int]]) -> tuple[tuple[float, int], str]:
    """A scan of ``shared`` (id, (its stay's start, place in its stay)) in reading order."""
    return item[1], item[0]


def _kept_stays_near(source: Source, visits_at: Mapping[str, Sequence[Stay]], policy: Policy,
                     skip: frozenset[str], merged: Mapping[str, str]
                     ) -> tuple[dict[str, list[Stay]], set[tuple[str, str]]]:
    """What the stays kept at ingest cannot say near ``visits_at`` (checkpoint: its visits):
    {checkpoint: the stays there, built from raw scans, that may overlap one of its visits},
    and the (person, checkpoint) pairs whose kept stays there must not be read.

    Scans without a match key (manual entries, other codes) are read raw over each visit's
    :func:`fetch_range`: whose they are depends on this trace's aliases. A person found
    among them under an alias (a manual entry with the number of a card scanned elsewhere)
    may also have kept stays there, built without those scans: that person's scans at the
    checkpoint are read too and their stays built here instead — as are those of a person
    known under several match keys (``merged``: :meth:`Source.same_people`), whose kept
    stays are each key's alone (her card's entry, her code's exit)."""
    if not visits_at:
        return {}, set()
    margin = policy.margin
    reach = {checkpoint: _Ranges(fetch_range(v.start, v.end, policy, margin=margin)
                                 for v in visits)
             for checkpoint, visits in sorted(visits_at.items())}
    windows = [Window(checkpoint, lo, hi) for checkpoint, ranges in reach.items()
               for lo, hi in ranges.ranges]
    rows = [r for r in source.people_rows(windows, ()) if not r[7]]
    aliases = source.aliases(unaliased(rows))
    unmatched = [s for s in to_scans(rows, aliases, -math.inf, math.inf)
                 if s.person not in skip and s.at in reach[s.checkpoint_id]]
    mixed = {(s.person, s.checkpoint_id) for s in unmatched if s.person != s.subject}
    several = {key for pair in merged.items() for key in pair} - skip
    mixed |= {(person, checkpoint) for person in several for checkpoint in reach}
    if mixed:
        places = {checkpoint for _, checkpoint in mixed}
        rows = source.people_rows([w for w in windows if w.checkpoint_id in places],
                                  {person for person, _ in mixed})
        context = {**source.aliases(unaliased(rows)), **merged}
        unmatched = [s for s in unmatched if (s.person, s.checkpoint_id) not in mixed] + [
            s for s in to_scans(rows, context, -math.inf, math.inf)
            if (s.person, s.checkpoint_id) in mixed and s.at in reach[s.checkpoint_id]]
    stays: dict[str, list[Stay]] = defaultdict(list)
    for stay in stays_of(unmatched, policy):
        stays[stay.checkpoint_id].append(stay)
    return stays, mixed


def _kept_exposures(source: Source, visits: Sequence[Stay], indexes: Sequence[int],
                    policy: Policy, skip: frozenset[str], mixed: set[tuple[str, str]],
                    shared: dict[str, dict[str, tuple[float, int]]],
                    only: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The exposures of the visits at ``indexes`` from the stays kept at ingest (of the
    people ``only``, when given), in one pass over the source's rows (as :func:`_exposures`
    sums them, without a Stay per row): the union of each contact's stays, in order of
    start, intersected with the visit. (:meth:`Source.kept_contacts` sums the same in SQL.)"""
    if not indexes:
        return []
    margin = policy.margin
    out: list[dict[str, Any]] = []
    held: dict[str, Any] = {}
    reach = 0.0
    windows = [(i, Window(visits[i].checkpoint_id, visits[i].start - margin,
                          visits[i].end + margin)) for i in indexes]
    for index, person, start, end, estimated, first_id, last_id in (
            source.kept_stays(windows, policy.default_stay) if only is None
            else source.kept_stays(windows, policy.default_stay, people=only)):
        visit = visits[index]
        if person in skip or (person, visit.checkpoint_id) in mixed:
            continue
        if held.get("visit") != index or held["person"] != person:
            held = {"visit": index, "person": person, "seconds": 0.0, "start": start,
                    "end": end, "estimated": visit.estimated is not None}
            out.append(held)
            reach = visit.start
        lo = start if start > reach else reach
        hi = end if end < visit.end else visit.end
        if hi > lo:
            held["seconds"] += hi - lo
            reach = hi
        if end > held["end"]:
            held["end"] = end
        held["estimated"] = held["estimated"] or estimated is not None
        scans = shared[person]
        scans[first_id] = (start, 0)
        if estimated is None:
            scans[last_id] = (start, 1)
    return out


class _Ranges:
    """Time ranges, merged, and whether an instant is in one of them."""

    def __init__(self, ranges: Iterable[tuple[float, float]]) -> None:
        self.ranges = merge_ranges(ranges)
        self.starts = [lo for lo, _ in self.ranges]

    def __contains__(self, at: object) -> bool:
        i = bisect_right(self.starts, at) - 1  # type: ignore[arg-type]
        return i >= 0 and at <= self.ranges[i][1]  # type: ignore[operator]


def _scans_near(source: Source, visits_at: Mapping[str, Sequence[Stay]], policy: Policy,
                merged: dict[str, str] | None = None) -> dict[str, list[Scan]]:
    """{checkpoint: every scan there that decides a stay overlapping one of its ``visits_at``
    (widened by the margin)}, found without reading everything within ``max_stay`` of them,
    for all the checkpoints at once (two reads of windows, whatever their number).

    A stay overlapping window W is (i) an entry or exit within ``default_stay`` of W, or
    (ii) an entry before and an exit after that near range. So the people concerned are those
    scanned in the near range, plus those with an entry in the stretch before it and an exit
    in the stretch after it (a superset is harmless). Their scans over the whole
    :func:`fetch_range` are then read by their keys — which is what makes each stay exact.
    A person known under several match keys (:meth:`Source.same_people`) is one person:
    their scans are read under every key; ``merged``, given, gets those found.
    """
    margin, stay = policy.margin, policy.default_stay
    plans: dict[str, tuple[_Ranges, _Ranges, _Ranges]] = {}
    windows: list[Window] = []
    for checkpoint, visits in sorted(visits_at.items()):
        spans = [(v.start - margin, v.end + margin) for v in visits]
        before, after = [], []
        for lo, hi in spans:
            first, last = lo - stay, hi + stay
            if policy.max_stay > last - first:
                before.append((last - policy.max_stay, first))
                after.append((last, first + policy.max_stay))
        plan = (_Ranges((lo - stay, hi + stay) for lo, hi in spans), _Ranges(before),
                _Ranges(after))
        plans[checkpoint] = plan
        for ranges, direction in zip(plan, (None, "in", "out"), strict=True):
            windows += [Window(checkpoint, lo, hi, direction) for lo, hi in ranges.ranges]
    rows = source.window_rows(windows)
    known = source.same_people(r[7] for r in rows)
    if merged is not None:
        merged.update(known)
    aliases = {**source.aliases(unaliased(rows)), **known}
    found: dict[str, tuple[set[str], set[str], set[str]]] = {
        checkpoint: (set(), set(), set()) for checkpoint in plans}
    for scan in to_scans(rows, aliases, -math.inf, math.inf):
        near, before, after = plans[scan.checkpoint_id]
        here, entries, exits = found[scan.checkpoint_id]
        if scan.at in near:
            here.add(scan.person)
        if scan.direction == "in" and scan.at in before:
            entries.add(scan.person)
        elif scan.direction == "out" and scan.at in after:
            exits.add(scan.person)
    wanted = {checkpoint: here | (entries & exits)
              for checkpoint, (here, entries, exits) in found.items()}
    reach = {checkpoint: _Ranges(fetch_range(v.start, v.end, policy, margin=margin)
                                 for v in visits_at[checkpoint])
             for checkpoint, people in wanted.items() if people}
    if not reach:
        return {}
    people = set().union(*(wanted[checkpoint] for checkpoint in reach))
    rows = source.people_rows(
        [Window(checkpoint, lo, hi) for checkpoint, ranges in sorted(reach.items())
         for lo, hi in ranges.ranges],
        people | {key for key, known_by in known.items() if known_by in people})
    context = {**source.aliases(unaliased(rows)), **known}
    scans: dict[str, list[Scan]] = defaultdict(list)
    for scan in to_scans(rows, context, -math.inf, math.inf):
        ranges = reach.get(scan.checkpoint_id)
        if ranges is not None and scan.person in wanted[scan.checkpoint_id] \
                and scan.at in ranges:
            scans[scan.checkpoint_id].append(scan)
    return scans


def _exposures(visits: Sequence[Stay], indexes: Iterable[int], stays: Iterable[Stay],
               policy: Policy, shared: dict[str, dict[str, tuple[float, int]]]
               ) -> list[dict[str, Any]]:
    """(visit, contact) pairs at one checkpoint with the time they shared; the scans of each
    contact's stays that overlapped are added to ``shared`` (see :func:`describe_stays`)."""
    ordered = sorted(stays, key=lambda s: s.start)
    starts = [s.start for s in ordered]
    out = []
    for index in indexes:
        visit = visits[index]
        lo, hi = visit.start - policy.margin, visit.end + policy.margin
        near: dict[str, list[Stay]] = defaultdict(list)
        # a stay lasts at most max_stay, so one ending after lo starts after lo - max_stay
        for stay in ordered[bisect_left(starts, lo - policy.max_stay):
                            bisect_right(starts, hi)]:
            if stay.end >= lo:
                near[stay.person].append(stay)
        for person, theirs in sorted(near.items()):
            scans = shared[person]
            for stay in theirs:
                for n, scan_id in enumerate(stay.ids):
                    scans[scan_id] = (stay.start, n)
            if len(theirs) == 1:  # most contacts: shared_seconds' one step, inline
                lo, hi = max(theirs[0].start, visit.start), min(theirs[0].end, visit.end)
                seconds = hi - lo if hi > lo else 0.0
            else:
                seconds = shared_seconds(visit.start, visit.end, theirs)
            out.append({"visit": index, "person": person, "seconds": seconds,
                        "start": min(s.start for s in theirs),
                        "end": max(s.end for s in theirs),
                        "estimated": visit.estimated is not None
                                     or any(s.estimated for s in theirs)})
    return out


# -- finding the person -------------------------------------------------------------------
def name_part(match_key: str) -> str:
    """The folded name a match key holds (``m:<6 digits>|<name>|<birth year>``)."""
    first, last = match_key.find("|"), match_key.rfind("|")
    return match_key[first + 1:last] if 0 <= first < last else match_key


def holder(document: str, codes: set[str], names: set[str]) -> dict[str, Any]:
    """The Target fields of a number's holder among the match keys stored with it (``codes``,
    not empty): those holding one of ``names``; with none given, those of the name most
    keys hold (ties: the smallest). The others are someone else's codes declaring the
    number (a PC-Covid code's number is typed by its holder): left out, and the match
    weak."""
    if not names & {name_part(k) for k in codes}:
        counts: dict[str, int] = defaultdict(int)
        for code in codes:
            counts[name_part(code)] += 1
        names = {min(counts, key=lambda n: (-counts[n], n))}
    kept = {k for k in codes if name_part(k) in names}
    others = frozenset(codes - kept)
    return {"keys": frozenset([min(kept)]), "codes": frozenset(kept | {document}),
            "others": others, "weak": "conflicting_holders" if others else None}


def target_for_document(source: Source, number: str, lo: dt.datetime, hi: dt.datetime,
                        *, foreign: bool = False) -> Target:
    """A document number (CCCD, old ID, passport) as typed, for a trace of [lo, hi]: the
    holder under the number and every match key stored with it under the holder's name —
    their card's, else the name most of its codes hold — on any day held (a scan carrying
    the number is theirs whatever birth year it declares; one declaring another name is
    someone else's, left out, and the match is weak). A number no scan links to a code is
    weak: its masked PC-Covid codes, which show only the last digits, may be anyone's with
    those digits, so every such code scanned in the period that no scan ties to another
    number is a candidate.

    Another country's document typed by hand is keyed apart (``fdoc:``): ``foreign`` traces
    that one alone (a passport numbered as a CMND is not the CMND's holder), and a number
    no Vietnamese document has (``C01X00T47``) finds it without being told."""
    cleaned = number.replace(" ", "").upper()
    if not (cleaned.isascii() and cleaned.isalnum()) or not 6 <= len(cleaned) <= 20:
        raise TraceError("trace.bad_document", number=repr(number))
    if foreign and vietnamese_document(cleaned):
        return Target(frozenset({foreign_document_key(cleaned)}),
                      {"document": cleaned, "foreign": "yes"})
    key = document_key(cleaned)
    query = {"document": cleaned}
    typed = set() if vietnamese_document(cleaned) else {foreign_document_key(cleaned)}
    codes = source.document_codes(key)
    if codes:
        found = holder(key, codes, {name_part(k) for k in source.card_codes(key)})
        return Target(query=query, **{**found, "codes": found["codes"] | typed})
    masked = source.masked_codes(cleaned[-6:], lo, hi) if digits(cleaned[-6:]) else set()
    masked -= source.documented(masked)
    return Target(frozenset({key, *typed, *masked}), query,
                  weak="masked_code" if masked else None)


def target_for_payload(source: Source, raw: bytes, today: dt.date) -> Target:
    """Any scanned code: the same keys the kiosk computes (kiosk.payloads); a code carrying
    a full document number finds its holder as that number does, under the name it shows.
    The query names the code's kind, its full document number if it carries one, and the
    key it found — never the code itself (a card's address, issue date, …)."""
    from kiosk.payloads import Rejection, decode

    identity = decode(raw, today=today)
    if isinstance(identity, Rejection):
        raise TraceError("trace.payload_refused", detail=identity.detail)
    subject, match = identity.subject_key, identity.match_key
    query = {"payload_kind": identity.kind}
    if subject.startswith("doc:"):
        query["document"] = subject.removeprefix("doc:")
    if subject.startswith("doc:") and (codes := source.document_codes(subject)
                                       | ({match} if match else set())):
        names = {name_part(match)} if match else {name_part(k)
                                                  for k in source.card_codes(subject)}
        found = holder(subject, codes, names)
        (key,) = found["keys"]
        return Target(query={**query, "key": key}, **found)
    key = canonical(subject, match, source.aliases([subject]))
    return Target(frozenset([key]), {**query, "key": key})


def target_for_name(source: Source, name: str, birth_year: str, lo: dt.datetime,
                    hi: dt.datetime) -> Target:
    """Everyone stored under this name (folded) born that year, or with no birth date
    (manual entries carry none): a weaker match, possibly several people."""
    folded = fold_name(name)
    if len(folded) < 2 or len(birth_year) != 4 or whole_number(birth_year) is None:
        raise TraceError("trace.bad_name_year")
    found = [(subject, match) for subject, match, row_name, birth
             in source.rows_named(folded, birth_year, lo, hi)
             if row_name and fold_name(row_name) == folded
             and (not birth or birth[:4] == birth_year)]
    aliases = source.aliases(s for s, m in found if not m and s.startswith("doc:"))
    keys = {canonical(subject, match, aliases) for subject, match in found}
    return Target(frozenset(keys), {"name": folded, "birth_year": birth_year}, weak="name")


def target_for_phone(source: Source, phone: str, lo: dt.datetime, hi: dt.datetime) -> Target:
    """Everyone entered by hand with this phone in [lo, hi], however it was typed there
    (``0912…``, ``+84 912…``, another country's ``+1 202…``: compared in E.164): with a
    document, as that document's holder; without one, by name and phone. Several people
    (a family's phone, a shared one) make the match weak: each is a candidate."""
    number = e164(phone)
    if not E164.fullmatch(number):
        raise TraceError("trace.bad_phone", phone=repr(phone))
    found = {(subject, match) for subject, match, extra in source.rows_phoned(lo, hi)
             if (typed := phone_of("manual", extra)) and e164(typed) == number}
    aliases = source.aliases(s for s, m in found if not m and s.startswith("doc:"))
    keys = frozenset(canonical(subject, match, aliases) for subject, match in found)
    return Target(keys, {"phone": number}, weak="phone" if len(keys) > 1 else None)
