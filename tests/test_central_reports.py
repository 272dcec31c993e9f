"""The daily and monthly reports, checked against a brute-force computation.

Hypothesis builds a province — a registry (some points not yet set up, some closed), kiosks
with right and wrong clocks (some revoked and still trying), entries near local midnight,
arriving minutes to days late, some sent twice, some marked duplicate by their kiosk (the
same person again within its window) — and feeds it through ``ingest_batch`` into
real SQLite and real PostgreSQL databases. The brute force below recomputes every figure
from the generated entries with plain Python, by the rules written in
:mod:`kiosk.central.reports`; both engines must agree with it, and with each other.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import random
import sqlite3
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from central_support import engine_storages, set_schema_version, undo_covering_keys
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from report_support import DAY, GenBatch, GenKiosk, World, load, wire_entry

from kiosk.central import derivation, registry, reports
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.central.schema import DAY_SUBJECTS_VERSION
from kiosk.central.storage import Storage
from kiosk.central.web.scoping import for_district
from kiosk.sync import protocol

ZONES = ("Asia/Ho_Chi_Minh", "Asia/Kolkata", "America/Sao_Paulo")
CLOCK_ERRORS = (0.0, 45.0, -200.0, 3 * 3600.0, -86400.0)
@st.composite
def worlds(draw: st.DrawFn) -> World:
    zone = draw(st.sampled_from(ZONES))
    points = []
    for i in range(draw(st.integers(1, 6))):
        set_up = draw(st.integers(-12, 2))  # some points are only set up after D
        closed = draw(st.integers(0, 10)) if draw(st.integers(0, 3)) == 3 else None
        points.append(Checkpoint(
            f"P{i}", f"Điểm {i}", district=draw(st.sampled_from(["Đồng Xoài", "Bình Long", ""])),
            kind=draw(st.sampled_from(list(registry.KINDS))),
            set_up_on=(DAY + dt.timedelta(days=set_up)).isoformat(),
            closed_on=None if closed is None else (
                DAY + dt.timedelta(days=set_up + closed)).isoformat()))
    world = World(zone, points, [])
    start = world.local_midnight(DAY)
    for i in range(draw(st.integers(1, 4))):
        revoked = draw(st.booleans()) and draw(st.booleans())
        world.kiosks.append(GenKiosk(
            f"k{i}", draw(st.sampled_from([p.id for p in points])),
            draw(st.sampled_from(CLOCK_ERRORS)),
            start + dt.timedelta(hours=draw(st.sampled_from([-24 * 30, 30]))),
            start + dt.timedelta(minutes=draw(st.integers(-1440, 2880))) if revoked else None,
            draw(st.booleans())))
    for _ in range(draw(st.integers(0, 40))):
        kiosk = draw(st.sampled_from(world.kiosks))
        day_shift = draw(st.integers(-8, 1))
        minutes = draw(st.integers(-90, 90) | st.integers(0, 1439))
        true_time = world.local_midnight(DAY + dt.timedelta(days=day_shift)) + dt.timedelta(
            minutes=minutes, seconds=draw(st.integers(0, 59)))
        checkpoint = "X-UNREG" if draw(st.integers(0, 9)) == 0 else kiosk.checkpoint_id
        entry = wire_entry(kiosk, checkpoint, true_time + dt.timedelta(seconds=kiosk.clock_error),
                       "in" if kiosk.one_way else draw(st.sampled_from(["in", "out"])),
                       draw(st.booleans()),
                       draw(st.integers(0, 7)))
        if draw(st.integers(0, 4)) == 0:  # the same person again within the kiosk's window
            entry["status"] = "duplicate"
        if draw(st.integers(0, 5)) == 0:  # a product or venue code: a code naming nobody
            entry.update(kind="other", subject_key=f"raw:{entry['subject_key'][-4:]:0>32}")
        arrival = true_time + dt.timedelta(minutes=draw(st.sampled_from(
            [1, 30, 600, 1500, 3000])))
        world.batches.append(GenBatch(kiosk, [entry], arrival))
        if draw(st.booleans()):  # sent again later: must not count twice
            world.batches.append(GenBatch(kiosk, [entry], arrival + dt.timedelta(hours=2)))
    for kiosk in world.kiosks:  # a busy day at some points: one-way lanes, manual typing
        burst = draw(st.sampled_from(["manual", "normal", "none"]))
        if burst == "none":
            continue
        burst_day = world.local_midnight(DAY + dt.timedelta(days=draw(st.sampled_from(
            [0, -1, 1]))))
        entries = [wire_entry(kiosk, kiosk.checkpoint_id, burst_day + dt.timedelta(
            hours=8, minutes=i, seconds=kiosk.clock_error),
            "in" if kiosk.one_way or i % 2 else "out", burst == "manual" and i % 4 != 0,
            i % 13) for i in range(draw(st.integers(8, 30)))]
        world.batches.append(GenBatch(kiosk, entries, burst_day + dt.timedelta(hours=20)))
    world.batches.sort(key=lambda b: b.arrival)
    latest = max([b.arrival for b in world.batches] + [
        k.revoked_tried_at for k in world.kiosks if k.revoked_tried_at] + [start])
    world.now = max(latest, start + dt.timedelta(hours=30)) + dt.timedelta(
        minutes=draw(st.integers(0, 3000)))
    return world


# -- the brute force --------------------------------------------------------------------------
@dataclass
class Stored:
    entry: dict[str, Any]
    day: dt.date
    hour: int
    arrival_day: dt.date
    """The day whose report is the first made (06:00 the next morning) after it arrived."""


def stored_entries(world: World) -> list[Stored]:
    zone = ZoneInfo(world.zone)
    first: dict[str, Stored] = {}
    for batch in world.batches:
        for entry in batch.entries:
            if entry["id"] in first:
                continue
            moment = dt.datetime.fromisoformat(entry["scanned_at"])
            if abs(batch.offset) > 120:
                moment += dt.timedelta(seconds=batch.offset)
            local = moment.astimezone(zone)
            first[entry["id"]] = Stored(entry, local.date(), local.hour,
                                        (batch.arrival.astimezone(zone)
                                         - dt.timedelta(hours=6)).date())
    return list(first.values())


def brute_daily(world: World, day: dt.date) -> dict[str, Any]:
    entries = stored_entries(world)
    d = day.isoformat()
    set_up = {p.id: p for p in world.points if p.set_up_on and p.set_up_on <= d
              and (p.closed_on is None or p.closed_on > d)}
    on_day = [s for s in entries if s.day == day]
    week = {s.entry["checkpoint_id"] for s in entries if day - dt.timedelta(days=6) <= s.day <= day}
    scanned = {s.entry["checkpoint_id"] for s in on_day}
    per_point: dict[str, Counter[str]] = defaultdict(Counter)
    for s in on_day:
        c = per_point[s.entry["checkpoint_id"]]
        c["scans"] += 1
        nobody = s.entry["kind"] == "other"  # a scan and a code naming nobody, its repeats too
        c["nobody"] += nobody
        if s.entry["status"] == "duplicate":
            c["duplicates"] += 1
        elif not nobody:
            c["ins" if s.entry["direction"] == "in" else "outs"] += 1
        c["manual"] += s.entry["source"] == "manual"
    scans = len(on_day)
    manual = sum(s.entry["source"] == "manual" for s in on_day)
    summary = {
        "points_set_up": len(set_up), "points_scanned": len(scanned & set(set_up)),
        "points_active_7d": len(week & set(set_up)),
        "adoption_ratio": len(week & set(set_up)) / len(set_up) if set_up else None,
        "scans": scans, **{m: sum(c[m] for c in per_point.values())
                           for m in ("ins", "outs", "duplicates")}, "manual": manual,
        "nobody": sum(c["nobody"] for c in per_point.values()),
        "manual_share": manual / scans if scans else None, "refused": 0,
        "refused_share": 0.0 if scans else None,
        "people": len({s.entry["subject_key"] for s in on_day if s.entry["kind"] != "other"}),
        "late_entries": sum(s.arrival_day == day and s.day < day for s in entries),
    }
    by_hour = Counter(s.hour for s in on_day)
    last = {}
    for batch in world.batches:
        last[batch.kiosk.id] = batch
    day_start = world.local_midnight(day)
    day_end = world.local_midnight(day + dt.timedelta(days=1))
    # the kiosks to chase: active, enrolled before D ended, at a point set up on D
    active = [k for k in world.kiosks if k.revoked_tried_at is None and k.created_at < day_end
              and k.checkpoint_id in set_up]
    not_scanning = {(p, "no_scan_7_days", None) for p in set_up if p not in week}
    not_scanning |= {(k.checkpoint_id, "kiosk_silent_24h", k.id) for k in active
                     if k.id not in last
                     or last[k.id].arrival < world.now - dt.timedelta(hours=24)}
    wrong = {(p, "one_direction", None) for p, c in per_point.items()
             if p in set_up and c["ins"] + c["outs"] >= 10 and (c["ins"] == 0 or c["outs"] == 0)}
    share = manual / scans if scans else 0.0
    wrong |= {(p, "manual_share", None) for p, c in per_point.items()
              if p in set_up and c["scans"] >= 20
              and c["manual"] / c["scans"] > max(2 * share, share + 0.2)}
    wrong |= {(k.checkpoint_id, "clock_off", k.id) for k in active
              if k.id in last and abs(last[k.id].offset) > 120}
    wrong |= {(k.checkpoint_id, "revoked_still_trying", k.id) for k in world.kiosks
              if k.revoked_tried_at is not None and k.revoked_tried_at >= day_start}
    closed = {p.id for p in world.points if p.closed_on is not None and p.closed_on < d}
    wrong |= {(p, "closed_still_scanning", None) for p in per_point if p in closed}
    late = Counter(s.day.isoformat() for s in entries if s.arrival_day == day and s.day < day)
    return {
        "summary": summary,
        "by_hour": [by_hour[h] for h in range(24)],
        "by_point": {p: (c["scans"], c["ins"], c["outs"], c["duplicates"], c["manual"],
                         c["nobody"], p in set_up) for p, c in per_point.items()},
        "by_district": _groups(world, set_up, scanned, week, per_point, "district"),
        "by_kind": _groups(world, set_up, scanned, week, per_point, "kind"),
        "not_scanning": not_scanning,
        "scanning_wrongly": wrong,
        "silent_since_day_end": {k.id for k in active
                                 if k.id not in last or last[k.id].arrival < day_end},
        "late": dict(late),
    }


def _groups(world: World, set_up: dict[str, Checkpoint], scanned: set[str], week: set[str],
            per_point: dict[str, Counter[str]], key: str) -> dict[str, tuple[int, ...]]:
    known = {p.id: p for p in world.points}
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for p in set_up.values():
        g = groups[getattr(p, key) or reports.UNKNOWN]
        g["set_up"] += 1
        g["scanned"] += p.id in scanned
        g["week"] += p.id in week
    for p, c in per_point.items():
        point = known.get(p)
        name = (getattr(point, key) or reports.UNKNOWN) if point else (
            reports.UNKNOWN if key == "district" else "other")
        groups[name].update({m: c[m] for m in ("scans", "ins", "outs", "duplicates",
                                               "nobody")})
    return {name: (g["set_up"], g["scanned"], g["week"], g["scans"], g["ins"], g["outs"],
                   g["duplicates"], g["nobody"]) for name, g in groups.items()}


def brute_month(world: World, days: list[dt.date]) -> dict[str, Any]:
    """A month's points set up (open on one of its days, up to today), those of them
    scanning (a scan on one of its days) and their ratio: in the summary and per district."""
    today = world.now.astimezone(ZoneInfo(world.zone)).date()
    open_days = [d.isoformat() for d in days if d <= today]
    set_up = {p.id: p for p in world.points for d in open_days if p.set_up_on
              and p.set_up_on <= d and (p.closed_on is None or p.closed_on > d)}
    scanned = {s.entry["checkpoint_id"] for s in stored_entries(world)
               if days[0] <= s.day <= days[-1]} & set(set_up)
    districts: dict[str, Counter[str]] = defaultdict(Counter)
    for p in set_up.values():
        districts[p.district or reports.UNKNOWN]["set_up"] += 1
        districts[p.district or reports.UNKNOWN]["scanned"] += p.id in scanned
    return {"summary": (len(set_up), len(scanned),
                        len(scanned) / len(set_up) if set_up else None),
            "by_district": {name: (g["set_up"], g["scanned"], g["scanned"] / g["set_up"])
                            for name, g in districts.items()},
            "set_up": set(set_up)}


def as_brute(report: dict[str, Any]) -> dict[str, Any]:
    """The figures of a report in the brute force's shape."""
    def groups(rows: list[dict[str, Any]], key: str) -> dict[str, tuple[int, ...]]:
        return {r[key]: (r["points_set_up"], r["points_scanned"], r["points_active_7d"],
                         r["scans"], r["ins"], r["outs"], r["duplicates"], r["nobody"])
                for r in rows}

    return {
        "summary": report["summary"],
        "by_hour": [r["scans"] for r in report["by_hour"]],
        "by_point": {r["checkpoint_id"]: (r["scans"], r["ins"], r["outs"], r["duplicates"],
                                          r["manual"], r["nobody"], r["set_up"])
                     for r in report["by_point"]},
        "by_district": groups(report["by_district"], "district"),
        "by_kind": groups(report["by_kind"], "kind"),
        "not_scanning": {(r["checkpoint_id"], r["problem"], r.get("kiosk_id"))
                         for r in report["not_scanning"]},
        "scanning_wrongly": {(r["checkpoint_id"], r["problem"], r.get("kiosk_id"))
                             for r in report["scanning_wrongly"]},
        "silent_since_day_end": {r["kiosk_id"] for r in
                                 report["completeness"]["kiosks_not_heard_since_day_end"]},
        "late": {r["day"]: r["entries"] for r in report["completeness"]["late_entries"]},
    }


# -- the engines ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Storage]]:
    with engine_storages(tmp_path_factory.mktemp("reports")) as opened:
        yield opened


def _engines_present(engines: list[Storage]) -> None:
    if len(engines) < 2:
        pytest.skip("PostgreSQL binaries not installed: only SQLite could be checked")


@settings(max_examples=60, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds(), shift=st.sampled_from([0, -1, 1, -2]),
       zone_first=st.sampled_from([None, *ZONES]))
def test_daily_report_matches_brute_force_on_both_engines(
        engines: list[Storage], world: World, shift: int, zone_first: str | None) -> None:
    """``zone_first``: the entries were stored under another zone, then the centre's zone
    changed to the world's (every aggregate and day set counted again)."""
    _engines_present(engines)
    day = DAY + dt.timedelta(days=shift)
    expected = brute_daily(world, day)
    for problem in {p for _, p, _ in expected["scanning_wrongly"] | expected["not_scanning"]}:
        event(problem)  # --hypothesis-show-statistics: which rules the examples exercised
    made = []
    for storage in engines:
        load(storage, world, zone_first=zone_first)
        report = reports.daily(storage, day, now=world.now)
        assert as_brute(report) == expected, storage.url
        made.append(report)
    assert made[0] == made[1]  # every field, ordering included, on both engines


@settings(max_examples=15, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds())
def test_monthly_series_is_the_daily_figures_of_each_day(engines: list[Storage],
                                                         world: World) -> None:
    _engines_present(engines)
    made = []
    for storage in engines:
        load(storage, world)
        month = reports.monthly(storage, "2026-11", now=world.now)
        assert [r["day"] for r in month["by_day"]] == [
            f"2026-11-{d:02d}" for d in range(1, 31)]
        for row in month["by_day"]:
            day = dt.date.fromisoformat(row["day"])
            if not DAY - dt.timedelta(days=9) <= day <= DAY + dt.timedelta(days=2):
                assert row["scans"] == 0
                continue
            summary = brute_daily(world, day)["summary"]
            assert {k: row[k] for k in ("points_set_up", "points_scanned", "points_active_7d",
                                        "adoption_ratio", "scans", "ins", "outs", "duplicates",
                                        "manual", "nobody", "people")} == {
                k: summary[k] for k in ("points_set_up", "points_scanned", "points_active_7d",
                                        "adoption_ratio", "scans", "ins", "outs", "duplicates",
                                        "manual", "nobody", "people")}, (storage.url, row["day"])
        for measure in ("scans", "ins", "outs", "duplicates", "nobody"):
            assert month["summary"][measure] == sum(r[measure] for r in month["by_day"])
            assert sum(r[measure] for r in month["by_point"]) == month["summary"][measure]
        expected = brute_month(world, reports.month_days("2026-11"))
        summary = month["summary"]
        assert (summary["points_set_up"], summary["points_scanned"],
                summary["scanning_ratio"]) == expected["summary"], storage.url
        assert {r["district"]: (r["points_set_up"], r["points_scanned"], r["scanning_ratio"])
                for r in month["by_district"] if r["points_set_up"]} == expected["by_district"]
        assert {r["checkpoint_id"] for r in month["by_point"] if r["set_up"]} == (
            expected["set_up"] & {r["checkpoint_id"] for r in month["by_point"]})
        made.append(month)
    assert made[0] == made[1]


def test_a_months_points_scanning_are_counted_among_its_points_set_up(
        engines: list[Storage]) -> None:
    """A month's points set up are those open on any of its days — closed during it, set up
    during it, open throughout — and its points scanning are those of them with a scan in
    it: never more than those set up, and one ratio of the two, the same in the summary,
    in the district's row and in the district officer's view. A point set up later in a
    month under way is not counted yet."""
    kiosk = GenKiosk("k1", "B4", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
    world = World("Asia/Ho_Chi_Minh", [
        Checkpoint("A1", "Chợ", district="Đồng Xoài", set_up_on="2026-10-01"),
        Checkpoint("B3", "Bến xe", district="Bình Long", set_up_on="2026-10-01",
                   closed_on="2026-11-03"),  # closed during November, scanned before
        Checkpoint("B4", "Trạm y tế", district="Bình Long", set_up_on="2026-10-01"),
        Checkpoint("B5", "Trường", district="Bình Long", set_up_on="2026-11-20"),  # no scan
        Checkpoint("B8", "Chốt", district="Bình Long", set_up_on="2026-11-01",
                   closed_on="2026-11-20"),  # open half of November, scanned
        Checkpoint("B9", "Chợ mới", district="Bình Long", set_up_on="2026-12-10"),
    ], [kiosk])
    for point, day in (("B3", "2026-11-02"), ("B4", "2026-11-10"), ("B8", "2026-11-05"),
                       ("B4", "2026-12-02")):
        at = world.local_midnight(dt.date.fromisoformat(day)) + dt.timedelta(hours=9)
        world.batches.append(GenBatch(kiosk, [wire_entry(kiosk, point, at, "in", False, 1)],
                                      at + dt.timedelta(minutes=1)))
    now = dt.datetime(2026, 12, 5, 1, tzinfo=dt.UTC)
    for storage in engines:
        load(storage, world)
        november = reports.monthly(storage, "2026-11", now=now)
        assert {k: november["summary"][k] for k in (
            "points_set_up", "points_scanned", "scanning_ratio")} == {
            "points_set_up": 5, "points_scanned": 3, "scanning_ratio": 3 / 5}, storage.url
        district = next(r for r in november["by_district"] if r["district"] == "Bình Long")
        assert (district["points_set_up"], district["points_scanned"],
                district["scanning_ratio"]) == (4, 3, 3 / 4)
        officer = for_district(november, "Bình Long")["summary"]
        assert (officer["points_set_up"], officer["points_scanned"],
                officer["scanning_ratio"]) == (4, 3, 3 / 4)
        assert {r["checkpoint_id"]: r["set_up"] for r in november["by_point"]} == {
            "B3": True, "B4": True, "B8": True}
        december = reports.monthly(storage, "2026-12", now=now)  # under way: B9 not yet
        assert (december["summary"]["points_set_up"], december["summary"]["points_scanned"],
                december["summary"]["scanning_ratio"]) == (3, 1, 1 / 3)


def test_a_past_days_report_lists_no_kiosk_enrolled_after_it(engines: list[Storage]) -> None:
    """A kiosk enrolled on 2 December and silent since is listed as silent in the report of
    its day, not in the report of 30 November made later: it did not exist then (as "kiosks
    not heard from" leaves it out)."""
    point = Checkpoint("B5", "Trường", district="Bình Long", set_up_on="2026-11-01")
    enrolled = dt.datetime(2026, 12, 2, 3, tzinfo=dt.UTC)
    world = World("Asia/Ho_Chi_Minh", [point], [GenKiosk("k5", "B5", 0.0, enrolled, None)])
    now = dt.datetime(2026, 12, 5, 1, tzinfo=dt.UTC)
    for storage in engines:
        load(storage, world)
        for day, listed in ((dt.date(2026, 11, 30), False), (dt.date(2026, 12, 2), True)):
            report = reports.daily(storage, day, now=now)
            silent = [r["kiosk_id"] for r in report["not_scanning"]
                      if r["problem"] == "kiosk_silent_24h"]
            assert silent == (["k5"] if listed else []), (storage.url, day)
            assert [r["kiosk_id"] for r in report["completeness"][
                "kiosks_not_heard_since_day_end"]] == silent


def test_reports_survive_the_purge_of_raw_entries(engines: list[Storage]) -> None:
    """Counts come from the aggregates; distinct people from the count frozen by the purge,
    which takes the day's set of people with the entries. A scan of that day arriving
    afterwards is past retention: answered duplicate, neither stored nor counted (nobody
    can tell any more whether it was counted already: the kiosk may be sending it again)."""
    kiosk = GenKiosk("k0", "P0", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
    world = World("Asia/Ho_Chi_Minh", [Checkpoint("P0", "Chợ", set_up_on="2026-11-01")],
                  [kiosk])
    noon = world.local_midnight(DAY) + dt.timedelta(hours=12)
    for i in range(30):
        entry = wire_entry(kiosk, "P0", noon + dt.timedelta(minutes=i), "in" if i % 3 else "out",
                       i % 5 == 0, i % 11)
        world.batches.append(GenBatch(kiosk, [entry], noon + dt.timedelta(minutes=i, seconds=5)))
    later = noon + dt.timedelta(days=3)
    for storage in engines:
        load(storage, world)
        before = reports.daily(storage, DAY, now=later)
        storage.purge_entries(DAY + dt.timedelta(days=2))
        assert storage.entry_count() == 0 and day_set(storage) == set()
        after = reports.daily(storage, DAY, now=later)
        assert after == before
        assert after["summary"]["scans"] == 30 and after["summary"]["people"] == 11
        newcomer = wire_entry(kiosk, "P0", noon + dt.timedelta(hours=1), "in", False, 50)
        assert [r["status"] for r in storage.ingest_batch(
            "k0", [newcomer], sent_at=protocol.format_time(later), received_at=later,
            batch_id=str(uuid.uuid4()))] == [protocol.DUPLICATE]
        summary = reports.daily(storage, DAY, now=later)["summary"]
        assert (summary["scans"], summary["people"]) == (30, 11)
        assert storage.entry_count() == 0 and day_set(storage) == set()


def day_set(storage: Storage, day: dt.date = DAY) -> set[str]:
    """The subject keys in ``day``'s set of people (every entry acknowledged derived)."""
    derivation.catch_up(storage)
    return {s for (s,) in storage._query("SELECT subject_key FROM day_subjects WHERE day = $1",
                                         (day.isoformat(),))}


def v1_database(path: Path) -> sqlite3.Connection:
    """A centre database at schema v1 (before the day counts) with one checkpoint, CP; the
    caller adds entries, commits and closes."""
    from kiosk.central.schema import MIGRATIONS, statements
    from kiosk.central.sqlite_storage import _TYPES

    conn = sqlite3.connect(path)
    for statement in statements(MIGRATIONS[0], _TYPES):
        conn.execute(statement)
    conn.execute("PRAGMA user_version=1")
    conn.execute("INSERT INTO checkpoints VALUES ('CP', 'Chốt', '2026-11-01T00:00:00.000000Z')")
    return conn


def test_a_database_from_before_the_reports_is_migrated_and_counted(tmp_path: Path) -> None:
    """Schema v1 (the centre before this release) with entries in it opens as v2, and its
    entries are filed under their local days."""
    path = tmp_path / "v1.db"
    conn = v1_database(path)
    kiosk = GenKiosk("k0", "CP", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
    late_evening = dt.datetime(2026, 11, 15, 16, 59, tzinfo=dt.UTC)  # 23:59 in Hà Nội
    for minute, direction in ((0, "in"), (2, "out")):  # the second is on the 16th locally
        entry = protocol.wire_to_row(wire_entry(kiosk, "CP", late_evening + dt.timedelta(
            minutes=minute), direction, False, minute))
        entry.pop("certificate", None)  # a later protocol field, not in schema v1
        values = {**entry, "extra": "{}", "received_at": "2026-11-16T01:00:00.000000Z",
                  "clock_offset_seconds": 0.5, "batch_id": "b"}
        conn.execute(f"INSERT INTO entries ({', '.join(values)}) VALUES "
                     f"({', '.join('?' for _ in values)})", list(values.values()))
    conn.commit()
    conn.close()
    with open_storage(f"sqlite:///{path}") as storage:
        assert storage.setting("timezone") == "Asia/Ho_Chi_Minh"
        report = reports.daily(storage, DAY, now=dt.datetime(2026, 11, 16, tzinfo=dt.UTC))
        assert (report["summary"]["scans"], report["summary"]["ins"]) == (1, 1)
        assert report["summary"]["points_set_up"] == 1
        assert registry.checkpoint(storage, "CP").set_up_on == "2026-11-01"
        assert reports.daily(storage, DAY + dt.timedelta(days=1))["summary"]["outs"] == 1


def test_a_recount_that_fails_leaves_the_old_database_as_it_was(tmp_path: Path) -> None:
    """The v1 → v2 recount runs in the migration's own transaction: an entry it cannot place
    stops the opening with the entry named, and the database is still v1 (not a new schema
    with its counts missing, which no later opening would recount)."""
    path = tmp_path / "v1.db"
    conn = v1_database(path)
    kiosk = GenKiosk("k0", "CP", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
    entry = protocol.wire_to_row(wire_entry(kiosk, "CP", dt.datetime(
        2026, 11, 15, 3, tzinfo=dt.UTC), "in", False, 0))
    entry.pop("certificate", None)
    values = {**entry, "extra": "{}", "scanned_at": "15/11/2026 10:00",
              "received_at": "2026-11-16T01:00:00.000000Z", "clock_offset_seconds": 0.5,
              "batch_id": "b"}
    conn.execute(f"INSERT INTO entries ({', '.join(values)}) VALUES "
                 f"({', '.join('?' for _ in values)})", list(values.values()))
    conn.commit()

    with pytest.raises(ValueError, match=f"entry {entry['id']}: scanned_at '15/11/2026"):
        open_storage(f"sqlite:///{path}")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'checkpoint_days'"
                            ).fetchall()

    conn.execute("UPDATE entries SET scanned_at = '2026-11-15T03:00:00.000000Z'")
    conn.commit()
    conn.close()
    with open_storage(f"sqlite:///{path}") as storage:
        assert reports.daily(storage, DAY, now=dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
                             )["summary"]["scans"] == 1


def test_each_scanning_wrongly_rule_at_its_threshold(engines: list[Storage]) -> None:
    """Hand-built day: P1 records 10 entries and no exit (flagged), P2 9 and 3 repeat scans
    (too few to judge: a repeat scan is neither an entry nor an exit),
    P3 types 15 of 20 by hand while the province types 15 of 69 (far above), P4's kiosk
    clock is 200 s behind, P5's revoked kiosk still tries."""
    points = [Checkpoint(f"P{i}", f"Điểm {i}", district="Đồng Xoài", set_up_on="2026-11-01")
              for i in range(1, 7)]
    day_start = dt.datetime(2026, 11, 14, 17, tzinfo=dt.UTC)  # 00:00 on DAY in Hà Nội
    kiosks = [GenKiosk(f"k{i}", f"P{i}", -200.0 if i == 4 else 0.0,
                       dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
                       day_start + dt.timedelta(hours=3) if i == 5 else None)
              for i in range(1, 7)]
    world = World("Asia/Ho_Chi_Minh", points, kiosks)
    plan = {1: (10, "in", 0), 2: (9, "in", 0), 3: (20, "both", 15), 4: (10, "both", 0),
            6: (20, "both", 0)}
    for i, (count, lanes, typed) in plan.items():
        kiosk = kiosks[i - 1]
        entries = [wire_entry(kiosk, kiosk.checkpoint_id, day_start + dt.timedelta(
            hours=9, minutes=n, seconds=kiosk.clock_error),
            "in" if lanes == "in" or n % 2 else "out", n < typed, n) for n in range(count)]
        if i == 2:  # the same three people scanned again within the kiosk's window
            entries += [{**wire_entry(kiosk, kiosk.checkpoint_id, day_start + dt.timedelta(
                hours=10, minutes=n), "in", False, n), "status": "duplicate",
                "duplicate_of": entries[n]["id"]} for n in range(3)]
        world.batches.append(GenBatch(kiosk, entries, day_start + dt.timedelta(hours=12)))
    world.now = day_start + dt.timedelta(hours=30)
    expected = {("P1", "one_direction", None), ("P3", "manual_share", None),
                ("P4", "clock_off", "k4"), ("P5", "revoked_still_trying", "k5")}
    assert brute_daily(world, DAY)["scanning_wrongly"] == expected
    for storage in engines:
        load(storage, world)
        report = reports.daily(storage, DAY, now=world.now)
        assert as_brute(report)["scanning_wrongly"] == expected
        params = {(r["checkpoint_id"], r["problem"]): r["params"]
                  for r in report["scanning_wrongly"]}
        assert params == {  # 15 typed of 20 scans at P3, of 72 in the province
            ("P1", "one_direction"): {"ins": 10, "outs": 0},
            ("P3", "manual_share"): {"share": 15 / 20, "province_share": 15 / 72},
            ("P4", "clock_off"): {"clock_offset_seconds": pytest.approx(200.0, abs=1)},
            ("P5", "revoked_still_trying"): {
                "refused_attempts": 1,
                "last_refused_at": protocol.format_time(day_start + dt.timedelta(hours=3))}}
        assert report["summary"]["manual"] == 15 and report["summary"]["scans"] == 72


def test_distinct_people_are_counted_at_ingest_once_per_day(engines: list[Storage]) -> None:
    """Each day's set of people grows with the entries stored: a person seen again or a batch
    sent again counts nobody twice, a late entry of someone new counts one more, and the
    reports read the counts, never the raw entries."""
    kiosk = GenKiosk("k0", "P0", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
    world = World("Asia/Ho_Chi_Minh", [Checkpoint("P0", "Chợ", set_up_on="2026-11-01")],
                  [kiosk])
    noon = world.local_midnight(DAY) + dt.timedelta(hours=12)
    world.batches = [GenBatch(kiosk, [wire_entry(kiosk, "P0", noon, "in", False, i)],
                              noon + dt.timedelta(minutes=1)) for i in (0, 1, 2, 0)]
    for storage in engines:
        load(storage, world)
        assert reports.daily(storage, DAY)["summary"]["people"] == 3
        with storage._transaction() as tx:  # were raw entries read, this would show
            storage._execute(tx, "UPDATE entries SET subject_key = 'doc:same'")
        assert reports.monthly(storage, "2026-11")["by_day"][DAY.day - 1]["people"] == 3
        late = [wire_entry(kiosk, "P0", noon, "out", False, 99),
                wire_entry(kiosk, "P0", noon + dt.timedelta(hours=2), "out", False, 1)]
        for _ in range(2):  # the second time: both held already
            storage.ingest_batch("k0", late, sent_at=protocol.format_time(dt.datetime.now(
                dt.UTC)), received_at=dt.datetime.now(dt.UTC), batch_id=str(uuid.uuid4()))
        assert reports.daily(storage, DAY)["summary"]["people"] == 4
        assert day_set(storage) == {f"doc:00109900{i:04d}" for i in (0, 1, 2, 99)}


def test_batches_racing_on_the_same_people_count_each_of_them_once(
        engines: list[Storage]) -> None:
    """Kiosks at four points upload at once, their batches sharing their people in a
    different order each: every person is counted once (the set decides, not the order),
    and the batches never wait on each other in a cycle (pairs are added in key order)."""
    kiosks = [GenKiosk(f"k{i}", f"P{i}", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
              for i in range(4)]
    world = World("Asia/Ho_Chi_Minh", [Checkpoint(f"P{i}", f"Điểm {i}", set_up_on="2026-11-01")
                                       for i in range(4)], kiosks)
    noon = world.local_midnight(DAY) + dt.timedelta(hours=12)
    rounds = [[[wire_entry(k, k.checkpoint_id, noon + dt.timedelta(minutes=r), "in", False,
                           p) for p in random.Random(f"{r}{k.id}").sample(range(200), 150)]
               for k in kiosks] for r in range(3)]
    for storage in engines:
        load(storage, world)
        with concurrent.futures.ThreadPoolExecutor(len(kiosks)) as pool:
            for batches in rounds:
                for sent in [pool.submit(storage.ingest_batch, k.id, b,
                                         sent_at=protocol.format_time(noon), received_at=noon,
                                         batch_id=str(uuid.uuid4()))
                             for k, b in zip(kiosks, batches, strict=True)]:
                    sent.result()
        expected = {e["subject_key"] for batches in rounds for b in batches for e in b}
        assert day_set(storage) == expected
        assert reports.daily(storage, DAY, now=noon)["summary"]["people"] == len(expected)


def as_before_day_sets(storage: Storage) -> None:
    """Make ``storage`` the schema before the day sets, holding the same entries, as an
    older centre left it (its reports counted people from raw entries)."""
    version = DAY_SUBJECTS_VERSION - 1
    with storage._transaction() as tx:
        undo_covering_keys(storage, tx)  # v20 and v19, after the day sets
        storage._execute(tx, "DROP TABLE identities")  # v18
        storage._execute(tx, "DROP INDEX stays_place")
        storage._execute(tx, "ALTER TABLE stays DROP COLUMN first_identity")
        storage._execute(tx, "ALTER TABLE stays DROP COLUMN last_identity")
        storage._execute(tx, "CREATE INDEX stays_place ON stays (checkpoint_id, first_at)")
        storage._execute(tx, "DROP INDEX batches_offset")  # v17
        storage._execute(tx, "DROP TABLE stay_tails")  # v16, after the day sets
        storage._execute(tx, "DROP TABLE document_matches")  # v15, after the day sets
        storage._execute(tx, "DROP TABLE day_subjects")
        storage._execute(tx, "ALTER TABLE checkpoint_days DROP COLUMN people")
        set_schema_version(storage, tx, version)


@settings(max_examples=10, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds())
def test_a_database_from_before_the_day_sets_is_counted_into_them(
        engines: list[Storage], world: World) -> None:
    """Migrated, every day has the people the brute force counts from its entries. Of the
    counts the old reports cached, one made before the day ended is recounted (and a new
    person arriving later counts), and one of a day whose raw entries are gone (higher than
    what is left) is kept, frozen (a new person arriving later does not count)."""
    _engines_present(engines)
    purged = dt.date(2026, 11, 1)  # no generated entry is that early
    made = []
    for storage in engines:
        load(storage, world)
        with storage._transaction() as tx:
            for day, cached in ((purged, 7), (DAY, 0)):
                storage._execute(tx, "INSERT INTO day_people (day, people, counted_at) "
                                     "VALUES ($1, $2, $3)", (day.isoformat(), cached,
                                                          "2026-11-15T12:00:00.000000Z"))
        as_before_day_sets(storage)
        with open_storage(storage.url) as migrated:
            kiosk = world.kiosks[0]
            for day in (DAY, purged):
                noon = world.local_midnight(day) + dt.timedelta(hours=12)
                migrated.ingest_batch(kiosk.id, [wire_entry(
                    kiosk, kiosk.checkpoint_id, noon, "in", False, 9999)], sent_at=None,
                    received_at=world.now, batch_id=str(uuid.uuid4()))
            month = reports.monthly(migrated, "2026-11", now=world.now)
        for row in month["by_day"]:
            day = dt.date.fromisoformat(row["day"])
            expected = 7 if day == purged else brute_daily(world, day)["summary"]["people"]
            assert row["people"] == expected + (day == DAY), (storage.url, row["day"])
        made.append(month["by_day"])
    assert made[0] == made[1]
