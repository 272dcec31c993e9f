"""Contact tracing and scans of uncertain time.

A kiosk of an earlier version that slept between a scan and its upload does not say how long:
the centre files the scan by its monotonic clock, which stopped in the sleep, so up to that
sleep *later* than it was made (never earlier), and keeps what the kiosk's clock says
(schema v35, ``entries_time_uncertain``). A trace must neither drop such a visit nor count
a contact resting on it as sure: each visit and each (visit, contact) pair says that its
time is uncertain and by how much at most, and a contact known only through such times is a
*possible* contact. Scans reach a real SQLite file and a real PostgreSQL through
``Storage.ingest_batch``, as the API stores them; the JSON, CSV and XLSX a tracer gets are
read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from central_support import ENGINES, central, database_url
from openpyxl import load_workbook
from trace_support import NAMES, RECEIVED, Visit, after_a_sleep, number, store_scans

from kiosk.central import trace_formats, tracing
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.central.trace_queries import StorageSource

ZONE = dt.timezone(dt.timedelta(hours=7))  # Asia/Ho_Chi_Minh, the centre's default zone
HOUR = 3600.0


def at(hour: int, minute: int = 0, *, day: int = 30) -> dt.datetime:
    """A local time in November 2026 (day 31: 1 December)."""
    return dt.datetime(2026, 11, 30, hour, minute, tzinfo=ZONE) + dt.timedelta(days=day - 30)


@pytest.fixture(params=ENGINES)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    with open_storage(database_url(request.param, tmp_path)) as opened:
        yield opened


def trace(storage: Storage, start: dt.datetime, end: dt.datetime,
          policy: tracing.Policy = tracing.KEPT, *, person: int = 1) -> tracing.Trace:
    source = StorageSource(storage, tracing.alias_window(start.timestamp(), end.timestamp(),
                                                         policy))
    target = tracing.target_for_document(source, number(person), start, end)
    return tracing.trace(source, target, start.timestamp(), end.timestamp(), policy)


def report(result: tracing.Trace) -> dict[str, Any]:
    """The trace as the API, ``kiosk-central trace`` and the Tracing page get it."""
    return trace_formats.to_dict(result, zone=ZoneInfo("Asia/Ho_Chi_Minh"), checkpoints={},
                                 data_begins=None)


def market_and_station(storage: Storage) -> None:
    """Person 1 entered the market (CP-CHO) at 17:00 on an old kiosk that then slept 8 h:
    filed at 01:00 the next night. Person 2 was at the market 17:05-17:50 (a kiosk that
    did not sleep); person 3 at 01:10-01:40, when person 1's scan was filed. At the station
    (CP-GA) person 1 was 18:00-18:30, with person 4 (18:10-18:40, sure) and person 5, whose
    entry at 17:50 an old kiosk filed at 18:20 after half an hour's sleep."""
    after_a_sleep(storage, "k-old", [Visit(1, "cccd", "CP-CHO", "in", at(17))], 8 * HOUR)
    after_a_sleep(storage, "k-old-ga", [Visit(5, "cccd", "CP-GA", "in", at(17, 50))],
                  HOUR / 2)
    store_scans(storage, [
        Visit(2, "cccd", "CP-CHO", "in", at(17, 5)), Visit(2, "cccd", "CP-CHO", "out", at(17, 50)),
        Visit(3, "cccd", "CP-CHO", "in", at(1, 10, day=31)),
        Visit(3, "cccd", "CP-CHO", "out", at(1, 40, day=31)),
        Visit(1, "cccd", "CP-GA", "in", at(18)), Visit(1, "cccd", "CP-GA", "out", at(18, 30)),
        Visit(4, "cccd", "CP-GA", "in", at(18, 10)), Visit(4, "cccd", "CP-GA", "out", at(18, 40)),
    ], {"k1": 0.0})


def clock_ahead_at_the_market(storage: Storage) -> None:
    """Kiosk k-ahead, enrolled at the market (CP-CHO) on 1 September 2026, its clock three
    days ahead in an earlier boot: person 1's entry, dated 4 December, reached the centre on
    1 December 07:00 (in a backlog file: no age tells when it was made) and is filed then, of
    uncertain time — made at any time since the kiosk's enrolment, 91 days. Person 2 was at
    the market on 15 October 10:00-11:00, person 3 on 15 August (another kiosk, before
    k-ahead was enrolled)."""
    storage.add_checkpoint("CP-CHO", "Chợ")
    storage.add_kiosk("k-ahead", "CP-CHO", "Chợ 1", "token-hash-of-k-ahead")
    with storage._transaction() as tx:  # as `kiosk-central kiosks add` on 1 September
        storage._execute(tx, "UPDATE kiosks SET created_at = $1 WHERE id = $2",
                         ("2026-09-01T00:00:00.000000Z", "k-ahead"))
    store_scans(storage, [
        Visit(1, "cccd", "CP-CHO", "in", dt.datetime(2026, 12, 4, 10, tzinfo=ZONE),
              kiosk="k-ahead"),
        Visit(2, "cccd", "CP-CHO", "in", dt.datetime(2026, 10, 15, 10, tzinfo=ZONE)),
        Visit(2, "cccd", "CP-CHO", "out", dt.datetime(2026, 10, 15, 11, tzinfo=ZONE)),
        Visit(3, "cccd", "CP-CHO", "in", dt.datetime(2026, 8, 15, 10, tzinfo=ZONE)),
        Visit(3, "cccd", "CP-CHO", "out", dt.datetime(2026, 8, 15, 11, tzinfo=ZONE)),
    ], {"k1": 0.0, "k-ahead": None}, received=RECEIVED)  # k-ahead's entry: before its date


def on(month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=ZONE)


SINCE_ENROLMENT = 91 * 24 * 60.0
"""How many minutes before it arrived person 1's market scan may have been made: back to
its kiosk's enrolment, 1 September 00:00 UTC to 1 December 00:00 UTC."""


def test_a_scan_filed_at_arrival_reaches_back_to_its_kiosks_enrolment_not_400_days(
        storage: Storage) -> None:
    """Its kiosk was enrolled on 1 September, so person 1's scan filed on 1 December was
    made since then: traced on 15 October, the visit is kept (it may have been then), the
    time uncertain by 91 days, and person 2, there that morning, a possible contact. Traced
    on 15 August, before the kiosk existed, person 1 has no visit and no contact."""
    clock_ahead_at_the_market(storage)
    october = report(trace(storage, on(10, 15, 9), on(10, 15, 12)))
    assert [(v["checkpoint_id"], v["entered_at"][:16], v["time_uncertain_minutes"])
            for v in october["visits"]] == [("CP-CHO", "2026-12-01T07:00", SINCE_ENROLMENT)]
    assert [(c["name"], c["overlap_minutes"], c["possible"], c["time_uncertain_minutes"])
            for c in october["contacts"]] == [(NAMES[2], 60.0, True, SINCE_ENROLMENT)]
    august = report(trace(storage, on(8, 15, 9), on(8, 15, 12)))
    assert (august["visits"], august["contacts"]) == ([], [])


def test_a_contact_filed_later_at_an_uncertain_time_is_found_from_either_side(
        storage: Storage) -> None:
    """Traced, person 2 finds person 1 as person 1's trace finds person 2: at the market on
    30 November 17:05-17:50, person 1's entry filed at 01:00 the next night (a kiosk that
    slept up to 8 hours) may have been made at 17:00 — a possible contact, 45 minutes at
    most; and on 15 October, person 1's scan filed at its arrival on 1 December may have
    been made then — a possible contact. Person 3, there on 15 August before person 1's
    kiosk was enrolled, has none."""
    market_and_station(storage)
    evening = report(trace(storage, at(16), at(20), person=2))
    assert [(c["name"], c["overlap_minutes"], c["possible"], c["time_uncertain_minutes"])
            for c in evening["contacts"]] == [(NAMES[1], 45.0, True, 480.0)]
    clock_ahead_at_the_market(storage)
    october = report(trace(storage, on(10, 15, 9), on(10, 15, 12), person=2))
    assert [(c["name"], c["overlap_minutes"], c["possible"], c["time_uncertain_minutes"])
            for c in october["contacts"]] == [(NAMES[1], 60.0, True, SINCE_ENROLMENT)]
    august = report(trace(storage, on(8, 15, 9), on(8, 15, 12), person=3))
    assert august["contacts"] == []


def test_a_visit_filed_after_the_period_that_may_have_been_in_it_is_kept_and_says_by_how_much(
        storage: Storage) -> None:
    """Traced from 16:00 to 20:00, person 1's market visit is filed at 01:00 the next night,
    outside the period — but its scan may have been made up to 8 h earlier, at 17:00: it is
    kept, at the time it is filed, saying its time may be up to 480 minutes earlier. The
    station visit is certain."""
    market_and_station(storage)
    visits = report(trace(storage, at(16), at(20)))["visits"]
    assert [(v["checkpoint_id"], v["entered_at"][:16], v["estimated"],
             v["time_uncertain_minutes"]) for v in visits] == [
        ("CP-GA", "2026-11-30T18:00", None, None),
        ("CP-CHO", "2026-12-01T01:00", "exit", 480.0)]


def test_a_visit_whose_earliest_possible_time_is_after_the_period_is_still_left_out(
        storage: Storage) -> None:
    """Traced from 15:00 to 16:30: the market scan was made at 17:00 at the earliest (its
    time may be earlier than filed, never later), so it is not a visit of the period."""
    market_and_station(storage)
    assert report(trace(storage, at(15), at(16, 30)))["visits"] == []


def test_contacts_resting_on_an_uncertain_time_are_possible_contacts(storage: Storage) -> None:
    """At the market, person 1's visit (filed 01:00 to its estimated exit at 03:00) was in
    the period only if made 5 to 8 hours earlier: from 17:00 to 22:00. Person 2 (17:05-17:50,
    who met them if the kiosk slept) is a *possible* contact, the time shared counted at most.
    At the station, person 4 is a sure contact — listed first; person 5, whose own entry is of
    uncertain time (half an hour), is a possible one."""
    market_and_station(storage)
    result = report(trace(storage, at(16), at(20)))
    contacts = [(c["name"], c["overlap_minutes"], c["possible"], c["time_uncertain_minutes"])
                for c in result["contacts"]]
    assert contacts == [(NAMES[4], 20.0, False, None), (NAMES[2], 45.0, True, 480.0),
                        (NAMES[5], 10.0, True, 30.0)]
    assert sorted((e["visit"], e["overlap_minutes"], e["time_uncertain_minutes"])
                  for e in result["exposures"]) == [
        (1, 10.0, 30.0), (1, 20.0, None), (2, 45.0, 480.0)]


def test_who_could_have_met_the_person_only_outside_the_period_is_not_shown(
        storage: Storage) -> None:
    """Person 3 was at the market 01:10-01:40, when person 1's scan is filed: they met only
    if the kiosk's clock was right and the visit was at 01:00 — after the period 16:00-20:00.
    Traced over that evening they are neither a contact nor described (name, document,
    phone). Traced over 00:00-02:00, where the visit is filed, they are the possible contact,
    and person 2, there at 17:05, is not."""
    market_and_station(storage)
    evening = trace(storage, at(16), at(20))
    assert NAMES[3] not in {c["name"] for c in report(evening)["contacts"]}
    assert NAMES[3] not in {p.name for p in evening.people.values()}
    night = report(trace(storage, at(0, day=31), at(2, day=31)))["contacts"]
    assert [(c["name"], c["overlap_minutes"], c["possible"]) for c in night] == [
        (NAMES[3], 30.0, True)]


def test_a_possible_contact_shares_at_most_the_visits_own_length(storage: Storage) -> None:
    """Person 6 was at the market 17:00-21:30, the whole time person 1's visit (two hours, an
    estimated exit) may have been in the period: they shared two hours at most, not 4½."""
    market_and_station(storage)
    store_scans(storage, [Visit(6, "cccd", "CP-CHO", "in", at(17)),
                          Visit(6, "cccd", "CP-CHO", "out", at(21, 30))], {"k1": 0.0})
    [six] = [c for c in report(trace(storage, at(16), at(20)))["contacts"]
             if c["name"] == NAMES[6]]
    assert (six["overlap_minutes"], six["possible"]) == (120.0, True)


def test_second_degree_traces_the_sure_contacts_first(storage: Storage) -> None:
    """Asked for one contact's contacts, the trace follows person 4, met for sure, not
    person 2, a possible contact for longer who may never have met person 1; asked for two,
    the possible contact fills the count."""
    market_and_station(storage)
    for count, expected in ((1, [NAMES[4]]), (2, [NAMES[4], NAMES[2]])):
        result = trace(storage, at(16), at(20), tracing.Policy(second_degree=count))
        assert [result.people[key].name for key in result.second_degree] == expected


def test_a_contact_met_once_surely_and_once_at_an_uncertain_time_is_a_contact(
        storage: Storage) -> None:
    """Person 2 also shared the certain station visit: a contact, not only a possible one,
    still saying that part of the time shared rests on a time up to 8 h off."""
    market_and_station(storage)
    store_scans(storage, [Visit(2, "cccd", "CP-GA", "in", at(18, 20)),
                          Visit(2, "cccd", "CP-GA", "out", at(18, 25))], {"k1": 0.0})
    [two] = [c for c in report(trace(storage, at(16), at(20)))["contacts"]
             if c["name"] == NAMES[2]]
    assert (two["visits_shared"], two["possible"], two["time_uncertain_minutes"]) == (
        2, False, 480.0)


UNCERTAIN_8_HOURS = (
    "máy quét có thể đã ngủ trước khi gửi, đồng hồ máy chạy nhanh (lượt được ghi theo lúc đến "
    "trung tâm), hoặc đồng hồ máy lệch khi trung tâm đo lần cuối (tệp tồn đọng): giờ thật có "
    "thể sớm hơn tới 8 giờ 0 phút, không muộn hơn / the kiosk may have slept before sending, "
    "its clock ran ahead (the scan filed at its arrival), or its clock was off when the centre "
    "last measured it (a backlog file): the real time may be up to 8 h 0 min earlier, never "
    "later")
"""A time of uncertain scans in a tracer's file, naming either cause (a visit's time may rest
on scans of both): "may have slept" alone was wrong for a scan filed at its arrival, its
kiosk's clock having run ahead."""


def test_the_files_a_tracer_gets_say_it_in_vietnamese_and_english(storage: Storage) -> None:
    """The CSV (and XLSX, the same tables) says which times are uncertain, by how much, and
    which contacts are only possible, in words."""
    market_and_station(storage)
    text = trace_formats.render(report(trace(storage, at(16), at(20))), "csv").decode()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    words = UNCERTAIN_8_HOURS
    header = next(r for r in rows if "Giờ quét không chắc chắn" in r and "Lượt" in r)
    market = next(r for r in rows if "CP-CHO" in r and len(r) == len(header))
    assert market[header.index("Giờ quét không chắc chắn")] == words
    contact_header = next(r for r in rows if "Có thể tiếp xúc" in r)
    two = next(r for r in rows if NAMES[2] in r and len(r) == len(contact_header))
    assert two[contact_header.index("Có thể tiếp xúc")] == (
        "có thể tiếp xúc — giờ không chắc chắn / possible contact — time uncertain")
    assert two[contact_header.index("Giờ quét không chắc chắn")] == words


@pytest.mark.parametrize("engine", ENGINES)
def test_kiosk_central_trace_writes_it_into_the_health_authoritys_xlsx(
        engine: str, tmp_path: Path) -> None:
    """`kiosk-central trace --format xlsx`: the visits sheet says the market visit's time may
    be 8 hours earlier, the contacts sheet which contacts are only possible."""
    url = database_url(engine, tmp_path)
    with open_storage(url) as opened:
        market_and_station(opened)
    out = tmp_path / "F0-1234.xlsx"
    central("trace", "--db", url, "--document", number(1), "--from", "2026-11-30T16:00",
            "--to", "2026-11-30T20:00", "--reason", "F0-1234", "--format", "xlsx",
            "-o", str(out))
    book = load_workbook(out)
    visits = list(book["Lượt có mặt"].iter_rows(values_only=True))
    column = visits[0].index("Giờ quét không chắc chắn")
    assert [(v[1], v[column]) for v in visits[1:]] == [
        ("CP-GA", None),
        ("CP-CHO", UNCERTAIN_8_HOURS)]
    contacts = list(book["Người tiếp xúc"].iter_rows(values_only=True))
    possible = contacts[0].index("Có thể tiếp xúc")
    assert [(c[1], bool(c[possible])) for c in contacts[1:]] == [
        (NAMES[4], False), (NAMES[2], True), (NAMES[5], True)]
