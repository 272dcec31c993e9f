"""An entry a kiosk wrote with its clock far behind (a flat RTC battery boots at 1970, a
technician sets the clock back) carries ``extra.clock_behind.not_before``: the earliest the
scan can really have happened (kiosk.store.clock_behind). Uploaded once the clock is right,
the centre judges and files it by that time, on SQLite and a real PostgreSQL: it is not
refused as years old, it counts on the day and hour it happened, a trace finds it then —
and the entry is stored as sent, so a resend is a duplicate. A flag that is not a valid
time after ``scanned_at`` changes nothing; a forged one in the future is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from central_support import ENGINES, database_url
from trace_support import number, payload_identity, wire_entry

from kiosk.central import derivation, tracing
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.central.trace_queries import StorageSource
from kiosk.ids import uuid7
from kiosk.sync import protocol

UTC = dt.UTC
RECEIVED = dt.datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # 13:00 in Asia/Ho_Chi_Minh
BOOTED_AT_1970 = dt.datetime(1970, 1, 1, 0, 3, tzinfo=UTC)
NOT_BEFORE = dt.datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 1 December 03:00 local


@pytest.fixture(params=ENGINES)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    with open_storage(database_url(request.param, tmp_path)) as opened:
        yield opened


def scan(person: int, direction: str, at: dt.datetime, flag: Any = None) -> dict[str, Any]:
    """A wire entry of ``person``'s CCCD scanned at ``at`` by the kiosk's clock, its
    ``extra.clock_behind`` set to ``flag`` (none if None)."""
    entry = wire_entry(payload_identity(person, "cccd"), checkpoint="CP-GA", kiosk="k1",
                       direction=direction, scanned_at=at)
    if flag is not None:
        entry["extra"] = {**entry["extra"], "clock_behind": flag}
    return entry


def behind(not_before: dt.datetime, at: dt.datetime = BOOTED_AT_1970) -> dict[str, Any]:
    """The flag the kiosk's store writes (kiosk.store.clock_behind)."""
    return {"seconds": round((not_before - at).total_seconds(), 3),
            "not_before": protocol.format_time(not_before)}


def send(storage: Storage, entries: list[dict[str, Any]], clock_behind_by: float = 0.0
         ) -> list[tuple[str, str | None]]:
    """Upload as the API does (time window on), from a kiosk whose clock is now
    ``clock_behind_by`` seconds behind; (status, reason) of each entry."""
    sent = protocol.format_time(RECEIVED - dt.timedelta(seconds=clock_behind_by))
    results = storage.ingest_batch("k1", entries, sent_at=sent, received_at=RECEIVED,
                                   batch_id=uuid7(), time_window=True)
    return [(r["status"], r.get("reason")) for r in results]


def filed(storage: Storage) -> list[tuple[str, str, float | None]]:
    return [tuple(row) for row in storage._query(
        "SELECT scanned_at, local_day, clock_offset_seconds FROM entries ORDER BY id")]


def hours(storage: Storage) -> list[tuple[str, int, int]]:
    return [tuple(row) for row in storage._query(
        "SELECT day, hour, scans FROM checkpoint_hours ORDER BY day, hour")]


def test_a_scan_stamped_1970_is_stored_as_sent_and_filed_at_its_not_before(
        storage: Storage) -> None:
    """Before: ``rejected``, "scanned_at: 1970-01-01T00:03:00.000000Z is more than 400 days
    before it reached the centre" — the person missing from the day's reports."""
    entry = scan(1, "in", BOOTED_AT_1970, behind(NOT_BEFORE))
    assert send(storage, [entry]) == [("accepted", None)]

    (stored,) = storage.entries()
    assert {name: stored[name] for name in entry if name != "payload_b64"} == {
        name: value for name, value in entry.items() if name != "payload_b64"}
    assert stored["scanned_at"] == "1970-01-01T00:03:00.000000Z"
    assert filed(storage) == [("1970-01-01T00:03:00.000000Z", "2026-12-01",
                               (NOT_BEFORE - BOOTED_AT_1970).total_seconds())]
    assert hours(storage) == [("2026-12-01", 3, 1)]
    assert send(storage, [entry]) == [("duplicate", None)]

    storage.set_timezone("UTC")  # refiled by the same time: 20:00 on 30 November in UTC
    assert filed(storage)[0][1] == "2026-11-30"
    assert hours(storage) == [("2026-11-30", 20, 1)]


def test_not_before_is_corrected_by_the_batchs_clock_offset_like_any_time(
        storage: Storage) -> None:
    """The kiosk's clock is still 3 hours behind when it sends: not_before, read off the
    same clock, happened 3 hours later on the centre's."""
    assert send(storage, [scan(1, "in", BOOTED_AT_1970, behind(NOT_BEFORE))],
                clock_behind_by=3 * 3600.0) == [("accepted", None)]
    assert hours(storage) == [("2026-12-01", 6, 1)]


def test_a_trace_finds_the_visit_at_its_not_before_with_its_contacts(storage: Storage
                                                                     ) -> None:
    """Person 1 came in and out through a kiosk booted at 1970 (both scans flagged, read
    off its monotonic clock); person 2 was there meanwhile, scanned by a kiosk with a good
    clock."""
    inside = NOT_BEFORE + dt.timedelta(hours=1)
    assert send(storage, [
        scan(1, "in", BOOTED_AT_1970, behind(NOT_BEFORE)),
        scan(1, "out", BOOTED_AT_1970 + dt.timedelta(hours=1), behind(inside)),
        scan(2, "in", NOT_BEFORE + dt.timedelta(minutes=30)),
        scan(2, "out", NOT_BEFORE + dt.timedelta(hours=2)),
    ]) == [("accepted", None)] * 4
    derivation.catch_up(storage)
    start, end = NOT_BEFORE - dt.timedelta(hours=3), NOT_BEFORE + dt.timedelta(hours=3)
    policy = tracing.Policy()
    source = StorageSource(storage, tracing.alias_window(start.timestamp(), end.timestamp(),
                                                         policy))
    result = tracing.trace(source, tracing.target_for_document(source, number(1)),
                           start.timestamp(), end.timestamp(), policy)
    assert [(v.start, v.end) for v in result.visits] == [
        (NOT_BEFORE.timestamp(), inside.timestamp())]
    assert [(c["person"], c["seconds"]) for c in result.contacts()] == [
        (payload_identity(2, "cccd").match_key, 1800.0)]


RECENT = RECEIVED - dt.timedelta(hours=2)
_TOO_OLD = "scanned_at: 1970-01-01T00:03:00.000000Z is more than 400 days before it reached " \
           "the centre"


@pytest.mark.parametrize("flag", [
    "2026-11-30T20:00:00.000000Z",                            # not an object
    {"seconds": 1.0},                                         # no not_before
    {"not_before": 1_796_068_800},                            # a number
    {"not_before": "2026-11-30T20:00:00Z"},                   # not the wire's form
    {"not_before": "2026-13-30T20:00:00.000000Z"},            # month 13
    {"not_before": "1969-12-31T23:59:59.000000Z"},            # before scanned_at
], ids=["text", "missing", "number", "short-form", "month-13", "before-scanned_at"])
def test_a_flag_that_is_not_a_valid_later_time_is_judged_as_before(storage: Storage,
                                                                   flag: Any) -> None:
    """By ``scanned_at``, as if there were no flag: the 1970 scan refused as too old, the
    recent one accepted and filed at its own time."""
    assert send(storage, [scan(1, "in", BOOTED_AT_1970, flag),
                          scan(2, "in", RECENT, flag)]) == [("rejected", _TOO_OLD),
                                                            ("accepted", None)]
    assert filed(storage) == [(protocol.format_time(RECENT), "2026-12-01", 0.0)]


def test_a_not_before_outside_the_window_is_refused_naming_it(storage: Storage) -> None:
    """A forged not_before in the future does not smuggle in a scan, however sane its
    ``scanned_at``; one over 400 days old is as old as a ``scanned_at`` would be."""
    future = dt.datetime(2999, 1, 1, tzinfo=UTC)
    long_ago = dt.datetime(1971, 1, 1, tzinfo=UTC)
    assert send(storage, [scan(1, "in", RECENT, behind(future, RECENT)),
                          scan(2, "in", BOOTED_AT_1970, behind(long_ago))]) == [
        ("rejected", "extra.clock_behind.not_before: 2999-01-01T00:00:00.000000Z is later "
                     "than it reached the centre"),
        ("rejected", "extra.clock_behind.not_before: 1971-01-01T00:00:00.000000Z is more "
                     "than 400 days before it reached the centre")]
    assert filed(storage) == []
    assert storage.batches()[0]["rejected"] == 2
