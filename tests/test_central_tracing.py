"""Contact tracing at the centre: visits built from in/out scans, contacts ranked by time
shared — answered from the indexes of SQLite and a real PostgreSQL, and checked against a
brute force over every stored row on generated scans."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from central_support import (
    ENGINES,
    database_url,
    engine_storages,
    set_schema_version,
    undo_covering_keys,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from report_support import uuid7_at
from trace_support import (
    FORMS,
    Visit,
    brute_force,
    brute_target,
    number,
    payload_identity,
    store_scans,
    wire_entry,
)

from kiosk.central import derivation, document_matches, identities, stays, tracing
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.central.trace_queries import StorageSource
from kiosk.ids import uuid7
from kiosk.payloads import Identity, decode
from kiosk.payloads.manual import ManualEntry, decode_manual
from kiosk.sync import protocol
from tests.certificate_support import make_issuer, vaccination

ZONE = dt.timezone(dt.timedelta(hours=7))  # Asia/Ho_Chi_Minh, the centre's default zone
DAY = dt.datetime(2026, 11, 20, tzinfo=ZONE)
MIN = 60.0


def local_day(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, ZONE).date().isoformat()


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return DAY + dt.timedelta(days=day, hours=hour, minutes=minute)


@pytest.fixture(params=ENGINES)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    url = database_url(request.param, tmp_path)
    with open_storage(url) as opened:
        yield opened


def run(storage: Storage, document: str, start: dt.datetime, end: dt.datetime,
        policy: tracing.Policy | None = None, listed: int | None = None) -> tracing.Trace:
    policy = policy or tracing.Policy()
    source = StorageSource(storage, tracing.alias_window(start.timestamp(), end.timestamp(),
                                                         policy))
    target = tracing.target_for_document(source, document, start, end)
    return tracing.trace(source, target, start.timestamp(), end.timestamp(), policy,
                         listed=listed)


def test_a_case_met_three_people_at_a_market_and_one_at_night(storage: Storage) -> None:
    """Person 1 (a CCCD at the market, a masked PC-Covid code at the station) is traced."""
    store_scans(storage, [
        # market, day 0: person 1 08:00-09:00; person 2 08:30-10:00 shares 30 min;
        # person 3 enters 09:10 with no exit (estimated 2 h): only within the 15 min margin.
        Visit(1, "cccd", "CP-CHO", "in", local(0, 8)),
        Visit(1, "cccd", "CP-CHO", "in", local(0, 8, 2)),   # scanned twice: not a new visit
        Visit(1, "cccd", "CP-CHO", "out", local(0, 9)),
        Visit(2, "pccovid", "CP-CHO", "in", local(0, 8, 30)),
        Visit(2, "pccovid", "CP-CHO", "out", local(0, 10)),
        Visit(3, "manual_phone", "CP-CHO", "in", local(0, 9, 10)),
        Visit(4, "cccd", "CP-CHO", "in", local(0, 11)),       # after: no contact
        Visit(4, "cccd", "CP-CHO", "out", local(0, 12)),
        # station, across midnight, masked PC-Covid, kiosk clock 3 h behind (corrected)
        Visit(1, "pccovid_masked", "CP-GA", "in", local(0, 23, 30), kiosk="ga"),
        Visit(1, "pccovid_masked", "CP-GA", "out", local(1, 0, 40), kiosk="ga"),
        Visit(5, "cccd", "CP-GA", "out", local(1, 0, 10), kiosk="ga"),  # lone exit
    ], {"ga": 3 * 3600.0})
    result = run(storage, number(1), local(0, 0), local(2, 0))

    assert [(v.checkpoint_id, v.start, v.end, v.estimated) for v in result.visits] == [
        ("CP-CHO", local(0, 8).timestamp(), local(0, 9).timestamp(), None),
        ("CP-GA", local(0, 23, 30).timestamp(), local(1, 0, 40).timestamp(), None)]
    ranked = [(result.people[c["person"]].name, c["visits"], c["seconds"] / MIN)
              for c in result.contacts()]
    assert ranked == [("Đặng Thị Giang", 1, 40.0),        # 22:10-00:10 ∩ 23:30-00:40
                      ("LE VAN CUONG", 1, 30.0),
                      ("Phạm Thị Dung", 1, 0.0)]          # within the margin only
    dung = result.people[result.contacts()[2]["person"]]
    assert dung.phone == "0900000003" and dung.kinds == {"manual"}
    assert result.contacts()[0]["estimated"] and not result.contacts()[1]["estimated"]


def test_a_kiosk_whose_clock_was_set_back_while_it_ran_is_traced_by_its_scans_times(
        storage: Storage) -> None:
    """A kiosk's clock ran a year ahead and was set right while `kiosk run` kept running:
    the uuid7 of kiosks older than kiosk.ids.BACK_STEP_MS kept making ids at the time the
    clock last read until the kiosk restarted, so its later scans carry right times (offset
    0) and ids a year ahead. Person 1 scanned there, person 2 at a right kiosk five minutes
    later: each is the other's contact, on both engines. Before, PostgreSQL's trace of
    person 1 found no visit (its reads bounded by ids a day around the visit)."""
    at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)
    sticky = uuid7_at(at + dt.timedelta(days=365))  # such a kiosk's id for a scan at `at`
    for person, kiosk, minutes in ((1, "k1", 0), (2, "k2", 5)):
        entry = wire_entry(payload_identity(person, "cccd"), checkpoint="CP-CHO", kiosk=kiosk,
                           direction="in", scanned_at=at + dt.timedelta(minutes=minutes))
        if person == 1:
            entry["id"] = sticky
        assert [r["status"] for r in storage.ingest_batch(
            kiosk, [entry], sent_at=protocol.format_time(at + dt.timedelta(hours=3)),
            received_at=at + dt.timedelta(hours=3), batch_id=uuid7())] == ["accepted"]
    derivation.catch_up(storage)
    for traced, contact in ((1, 2), (2, 1)):
        result = run(storage, number(traced), at - dt.timedelta(days=1),
                     at + dt.timedelta(days=1))
        assert len(result.visits) == 1, traced
        assert [result.people[c["person"]].document_number for c in result.contacts()] == [
            number(contact)]


def test_the_period_bounds_the_visits_and_a_shorter_stay_setting_changes_estimates(
        storage: Storage) -> None:
    store_scans(storage, [Visit(1, "cccd", "CP-A", "in", local(d, 7)) for d in range(5)]
                + [Visit(2, "cccd", "CP-A", "in", local(d, 8)) for d in range(5)], {})
    two_days = run(storage, number(1), local(1, 0), local(3, 0))
    assert [v.start for v in two_days.visits] == [local(1, 7).timestamp(),
                                                  local(2, 7).timestamp()]
    assert all(v.estimated == "exit" for v in two_days.visits)
    assert [c["visits"] for c in two_days.contacts()] == [2]
    assert two_days.contacts()[0]["seconds"] == 2 * 60 * MIN   # 08:00-09:00 each day
    short = run(storage, number(1), local(1, 0), local(3, 0),
                tracing.Policy(default_stay=30 * MIN, margin=0))
    assert short.contacts() == []           # 07:00-07:30 and 08:00-10:00 do not meet


def test_a_person_never_scanned_has_no_visits_and_garbage_is_refused(storage: Storage
                                                                     ) -> None:
    result = run(storage, "001099000000", local(0, 0), local(14, 0))
    assert result.visits == [] and result.contacts() == []
    with pytest.raises(tracing.TraceError, match="document number"):
        tracing.target_for_document(StorageSource(storage), "'; DROP TABLE entries; --",
                                    local(0, 0), local(1, 0))
    with pytest.raises(tracing.TraceError, match="period"):
        run(storage, number(1), local(2, 0), local(1, 0))


def test_a_payload_and_a_name_find_the_same_person(storage: Storage) -> None:
    from trace_support import payload_identity

    store_scans(storage, [Visit(1, "cccd", "CP-A", "in", local(0, 8)),
                          Visit(1, "pccovid_masked", "CP-B", "in", local(0, 12)),
                          Visit(2, "cccd", "CP-A", "in", local(0, 8, 30))], {})
    source = StorageSource(storage, tracing.alias_window(
        local(0, 0).timestamp(), local(1, 0).timestamp(), tracing.Policy()))
    masked = tracing.target_for_payload(source, payload_identity(1, "pccovid_masked").raw,
                                        dt.date(2026, 11, 30))
    by_document = tracing.target_for_document(source, number(1), local(0, 0), local(1, 0))
    assert masked.keys == by_document.keys
    named = tracing.target_for_name(source, "Trần thị  BÌNH", "1961", local(0, 0),
                                    local(1, 0))
    assert named.keys == by_document.keys and named.weak
    assert len(tracing.trace(source, masked, local(0, 0).timestamp(), local(1, 0).timestamp(),
                             tracing.Policy()).visits) == 2


def test_a_vietnamese_certificate_is_found_by_the_name_on_the_holders_cccd(
        storage: Storage) -> None:
    """A certificate carries no document number, so tracing finds its holder by name and
    birth year, compared folded. Vietnam's certificates put "Nguyễn" in fn and "Văn An" in
    gn: read given name first, "VAN AN NGUYEN" matched no one typed as on the CCCD."""
    code = make_issuer().sign(vaccination(), issued=local(0, 0).timestamp(),
                              expires=local(30, 0).timestamp())
    identity = decode(code.encode())
    assert isinstance(identity, Identity) and identity.name == "Nguyễn Văn An"
    entry = wire_entry(identity, checkpoint="CP-A", kiosk="k1", direction="in",
                       scanned_at=local(0, 8))
    storage.ingest_batch("k1", [entry], sent_at=None,
                         received_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), batch_id=uuid7())
    source = StorageSource(storage)
    named = tracing.target_for_name(source, "Nguyễn Văn An", "1990", local(0, 0), local(1, 0))
    assert named.keys == {identity.subject_key}


def _named_scans(storage: Storage) -> dict[str, Identity]:
    """Stores, on day 0: "Văn An" born 1990 by CCCD and by masked PC-Covid code, and typed in
    by hand with a phone (no birth date); "Nguyễn Văn An" born 1990, whose name ends the
    same, by CCCD and by hand; "Văn An" born 1991. Returns each one's identity."""
    def cccd(doc: str, name: str, year: int) -> Identity:
        raw = f"{doc}|123456789|{name}|0102{year}|Nam|Huế|10102021"
        return decode(raw.encode(), today=dt.date(2026, 11, 30))

    people = {
        "cccd": cccd("079090000101", "Văn An", 1990),
        "masked": decode(b"******000101|VAN AN|1990-**-**|0|1234567|"),
        "manual": decode_manual(ManualEntry(name="văn  an", phone="0900000101")),
        "longer": cccd("079090000202", "Nguyễn Văn An", 1990),
        "longer_manual": decode_manual(ManualEntry(name="Nguyễn Văn An", phone="0900000202")),
        "other_year": cccd("079091000303", "Văn An", 1991),
    }
    known = {key: i for key, i in people.items() if isinstance(i, Identity)}
    assert known.keys() == people.keys(), people
    entries = [wire_entry(identity, checkpoint="CP-A", kiosk="k1", direction="in",
                          scanned_at=local(0, 8, n)) for n, identity in enumerate(known.values())]
    storage.ingest_batch("k1", entries, sent_at=None,
                         received_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), batch_id=uuid7())
    derivation.catch_up(storage)
    return known


def test_a_name_finds_its_codes_and_typed_entries_not_a_longer_name_ending_the_same(
        storage: Storage) -> None:
    """The match key's name and year are compared whole (``substr(match_key, 10)``, v33):
    "VAN AN" finds the CCCD and masked code of Văn An born 1990 (one person: the code's
    match key) and the entry typed as "văn  an" (no birth date: a weaker match), not
    Nguyễn Văn An nor Văn An born 1991."""
    people = _named_scans(storage)
    source = StorageSource(storage, tracing.alias_window(
        local(0, 0).timestamp(), local(1, 0).timestamp(), tracing.Policy()))
    named = tracing.target_for_name(source, "Văn An", "1990", local(0, 0), local(1, 0))
    assert people["cccd"].match_key == people["masked"].match_key == "m:000101|VAN AN|1990"
    assert named.keys == {people["cccd"].match_key, people["manual"].subject_key}
    longer = tracing.target_for_name(source, "NGUYEN VAN AN", "1990", local(0, 0), local(1, 0))
    assert longer.keys == {people["longer"].match_key, people["longer_manual"].subject_key}
    outside = tracing.target_for_name(source, "Văn An", "1990", local(1, 0), local(2, 0))
    assert outside.keys == set()  # the period bounds both reads


def test_an_empty_match_key_is_stored_as_none_and_found_by_name(storage: Storage) -> None:
    """The wire allows ``match_key: ""`` (any text may be empty); no kiosk sends it, but a
    backlog file or another client may. It means what null means — no match key — so the
    centre stores it as NULL, where every reader looks for a scan without one: before, a
    trace by name read neither ``substr(match_key, 10)`` nor ``match_key IS NULL`` and
    missed it (and "" would have made one person of all such scans). Sent again as it came,
    it is the duplicate it is, also to a centre that stored it as "" before."""
    typed = decode_manual(ManualEntry(name="văn  an", phone="0900000101"))
    assert isinstance(typed, Identity) and typed.match_key is None
    entry = {**wire_entry(typed, checkpoint="CP-A", kiosk="k1", direction="in",
                          scanned_at=local(0, 8)), "match_key": ""}
    for expected in (protocol.ACCEPTED, protocol.DUPLICATE):
        [result] = storage.ingest_batch("k1", [entry], sent_at=None, batch_id=uuid7(),
                                        received_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
        assert result["status"] == expected, result
    assert storage._query("SELECT match_key FROM entries") == [(None,)]
    with storage._transaction() as tx:
        storage._execute(tx, "UPDATE entries SET match_key = ''")
    [result] = storage.ingest_batch("k1", [entry], sent_at=None, batch_id=uuid7(),
                                    received_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert result["status"] == protocol.DUPLICATE, result
    with storage._transaction() as tx:
        storage._execute(tx, "UPDATE entries SET match_key = NULL")
    named = tracing.target_for_name(StorageSource(storage), "Văn An", "1990", local(0, 0),
                                    local(1, 0))
    assert named.keys == {typed.subject_key}


def test_a_name_is_read_from_the_name_index_and_the_unmatched_scans_by_day(
        storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    """v33, on a database that reaches it holding scans: neither part of a trace by name
    reads every scan of the period. The match key's name and year are an equality on the
    expression index ``entries_named`` (written as the index says it, or neither planner
    uses it), the scans without a match key (here the two typed in) a range of the partial
    index ``entries_unmatched_day``. Before, a LIKE '%|NAME|YEAR' scanned the period's scans
    whole. (PostgreSQL: sequential scans off, as a province's size makes them: its planner
    reads a test's few rows whole.)"""
    _named_scans(storage)
    with storage._transaction() as tx:  # as v32 left it: v33 builds them over the scans held
        storage._execute(tx, "DROP INDEX entries_named")
        storage._execute(tx, "DROP INDEX entries_unmatched_day")
        set_schema_version(storage, tx, 32)
    with open_storage(storage.url) as reopened:
        source = StorageSource(reopened)
        asked: list[tuple[str, Any]] = []
        query = reopened._query
        monkeypatch.setattr(reopened, "_query", lambda sql, params=(): asked.append(
            (sql, params)) or query(sql, params))
        assert len(source.rows_named("VAN AN", "1990", local(0, 0), local(1, 0))) == 2 + 2
    [(sql, params)] = [(q, p) for q, p in asked if "FROM entries e" in q]
    if storage.postgresql:
        with storage._transaction() as tx:
            tx.execute("SET LOCAL enable_seqscan = off")
            plan = "\n".join(row[0] for row in tx.execute("EXPLAIN " + sql, params))
        # each day partition's copy of either index (named by PostgreSQL after its columns)
        read = [index.split("_", 2)[2] for index in re.findall(r"using (\S+) on entries_", plan)]
        half = len(read) // 2
        assert "Seq Scan" not in plan and half > 0, plan
        assert read == ["substr_local_day_idx"] * half + ["local_day_idx"] * half, plan
    else:
        plan = "\n".join(row[-1] for row in storage._query("EXPLAIN QUERY PLAN " + sql,
                                                             params))
        days = "local_day>? AND local_day<?"
        assert [line for line in plan.splitlines() if " e " in line] == [
            f"SEARCH e USING INDEX entries_named (<expr>=? AND {days})",
            f"SEARCH e USING COVERING INDEX entries_unmatched_day ({days})"], plan

# -- against the brute force, on both engines ---------------------------------------------
OFFSETS = (0.0, 30.0, None, 3 * 3600.0, -2 * 3600.0, 200.0)
"""Kiosk clock errors: fine, within tolerance, unknown (backlog file), hours off either way."""

scans_strategy = st.lists(st.tuples(
    st.sampled_from((1, 1, 2, 3, 4, 5)),    # person (1 is traced)
    st.sampled_from(FORMS),
    st.integers(0, 1),                      # checkpoint
    st.integers(0, 1),                      # kiosk at that checkpoint
    st.sampled_from(("in", "out")),
    st.integers(0, 2 * 24 * 60),            # true minute since day 0 00:00 local
    st.integers(0, 59),                     # second
    st.sampled_from((False, False, False, True)),  # marked duplicate by the kiosk
), min_size=12, max_size=60)
policy_strategy = st.builds(
    lambda margin, stay, longest, window: tracing.Policy(
        margin=margin * MIN, default_stay=stay * MIN, max_stay=max(stay, longest) * MIN,
        repeat_window=window),
    st.sampled_from((0, 15, 45)), st.sampled_from((30, 120)), st.sampled_from((60, 720)),
    st.sampled_from((0.0, 300.0)))


def _clear(storage: Storage) -> None:
    with storage._transaction() as tx:
        storage._execute(tx, "DELETE FROM entries")
        storage._execute(tx, "DELETE FROM stays")
        storage._execute(tx, "DELETE FROM document_matches")
        storage._execute(tx, f"DELETE FROM {stays.TAILS}")
        storage._execute(tx, "DELETE FROM identities")


def _shape(result: tracing.Trace) -> dict:
    return {"visits": [(v.checkpoint_id, round(v.start, 3), round(v.end, 3), v.estimated)
                       for v in result.visits],
            "exposures": {(e["visit"], e["person"]): round(e["seconds"], 3)
                          for e in result.exposures}}


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Storage]]:
    with engine_storages(tmp_path_factory.mktemp("tracing")) as opened:
        yield opened


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(scans=scans_strategy, policy=policy_strategy,
       period=st.tuples(st.integers(0, 2 * 24), st.integers(1, 2 * 24)),
       offsets=st.lists(st.sampled_from(OFFSETS), min_size=4, max_size=4))
def test_traces_equal_the_brute_force_on_sqlite_and_postgresql(
        both_engines: list[Storage], scans: list[tuple], policy: tracing.Policy,
        period: tuple[int, int], offsets: list[float | None]) -> None:
    """Overlapping and nested stays, missing exits, lone exits, repeats, midnight, clock
    offsets corrected or not, and one person under CCCD, PC-Covid (masked) and manual."""
    visits = [Visit(p, form, f"CP-{c}", direction,
                    local(0, 0) + dt.timedelta(minutes=minute, seconds=second),
                    kiosk=f"k{c}{k}", repeat=repeat)
              for p, form, c, k, direction, minute, second, repeat in scans]
    kiosk_offsets = {"k1": 0.0, **{f"k{c}{k}": offsets[c * 2 + k]
                                   for c in range(2) for k in range(2)}}
    start = local(0, 0) + dt.timedelta(hours=period[0])
    end = start + dt.timedelta(hours=period[1])
    visits.append(Visit(1, "cccd", "CP-0", "in", start + dt.timedelta(minutes=20)))
    answers = []
    for storage in both_engines:
        _clear(storage)
        store_scans(storage, visits, kiosk_offsets)
        result = run(storage, number(1), start, end, policy)
        window = tracing.alias_window(start.timestamp(), end.timestamp(), policy)
        entries = storage.entries()
        linking = [e for e in entries
                   if local_day(window[0]) <= e["local_day"] <= local_day(window[1])]
        expected = brute_force(
            entries, {brute_target(entries, number(1))}, start.timestamp(), end.timestamp(),
            margin=policy.margin, default_stay=policy.default_stay, max_stay=policy.max_stay,
            window=policy.repeat_window, linking=linking)
        assert _shape(result) == expected
        summed = run(storage, number(1), start, end, policy, listed=1)  # the rest by SQL
        assert (summed.contacts(), summed.per_visit()) == (result.contacts(),
                                                           result.per_visit())
        event(f"{min(len(result.visits), 2)}+ visits, {min(len(result.contacts()), 2)}+ "
              f"contacts, estimated: {any(v.estimated for v in result.visits)}")
        answers.append((_shape(result), [c["person"] for c in result.contacts()]))
    assert all(answer == answers[0] for answer in answers)


class _Counting(StorageSource):
    """Counts the stays a trace read from those kept at ingest."""

    read = 0

    def kept_stays(self, visits: list[tuple[int, tracing.Window]], default_stay: float
                   ) -> list[Any]:
        found = super().kept_stays(visits, default_stay)
        self.read += len(found)
        return found


def _kept(storage: Storage) -> tuple[list[tuple], list[tuple]]:
    """The stays kept, and where each person's scans at each checkpoint end."""
    derivation.catch_up(storage)
    return (sorted(storage._query(f"SELECT {', '.join(stays.COLUMNS)} FROM stays"), key=repr),
            sorted(storage._query(f"SELECT {', '.join(stays.TAIL_COLUMNS)} FROM {stays.TAILS}"),
                   key=repr))


def _identities_say_what_the_stays_scans_say(storage: Storage) -> None:
    """Each kept stay's identities are held, say what its first and last scan say, and
    last as long as a scan saying them (their ``last_day``, no older than the day either
    scan goes by: its id's UTC day or the local day it is filed on, the earlier)."""
    derivation.catch_up(storage)
    held = {row[0]: (tuple(row[1:-1]), row[-1]) for row in storage._query(
        f"SELECT {', '.join(identities.COLUMNS)} FROM identities")}
    scans = stays.said(storage._query(f"SELECT {stays.SCAN} FROM entries e "
                                      "WHERE e.match_key IS NOT NULL"))
    for first_id, last_id, first_identity, last_identity in storage._query(
            "SELECT first_id, last_id, first_identity, last_identity FROM stays"):
        for scan_id, key in ((first_id, first_identity), (last_id, last_identity)):
            if scan_id is not None:
                assert scans[scan_id][:2] == (key, held[key][0])
                assert held[key][1] >= scans[scan_id][2]


def _matches(storage: Storage) -> list[tuple]:
    derivation.catch_up(storage)
    return sorted(tuple(r) for r in storage._query(
        "SELECT subject_key, day, match_key FROM document_matches"))


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(scans=scans_strategy, order=st.randoms(use_true_random=False), parts=st.integers(1, 4),
       in_time=st.booleans(), derive_every=st.integers(0, 3),
       margin=st.sampled_from((0, 15, 45)), stay=st.sampled_from((30, 120, 720)),
       period=st.tuples(st.integers(0, 2 * 24), st.integers(1, 2 * 24)),
       offsets=st.lists(st.sampled_from(OFFSETS), min_size=4, max_size=4))
def test_stays_kept_at_ingest_whatever_the_arrival_order_equal_every_scan_and_brute_force(
        both_engines: list[Storage], scans: list[tuple], order: Any, parts: int, in_time: bool,
        derive_every: int, margin: int, stay: int, period: tuple[int, int],
        offsets: list[float | None]) -> None:
    """Scans reach the centre in up to four batches per kiosk in any order (an exit before
    its entry, a repeat before the scan it repeats, a kiosk's clock hours off), or each
    kiosk's in the order scanned (the batch mostly extends what its people's stays end
    with; another kiosk at the checkpoint may have sent later scans already), derived after
    each batch, after every few together, or only when read: the stays,
    their tails and the document matches kept are those built from every scan at once, and
    a trace reading them (any default stay and margin) equals the brute force."""
    visits = [Visit(p, form, f"CP-{c}", direction,
                    local(0, 0) + dt.timedelta(minutes=minute, seconds=second),
                    kiosk=f"k{c}{k}", repeat=repeat)
              for p, form, c, k, direction, minute, second, repeat in scans]
    if in_time:
        visits.sort(key=lambda v: v.at)
    else:
        order.shuffle(visits)
    kiosk_offsets = {"k1": 0.0, **{f"k{c}{k}": offsets[c * 2 + k]
                                   for c in range(2) for k in range(2)}}
    start = local(0, 0) + dt.timedelta(hours=period[0])
    end = start + dt.timedelta(hours=period[1])
    visits.append(Visit(1, "cccd", "CP-0", "in", start + dt.timedelta(minutes=20)))
    policy = tracing.Policy(margin=margin * MIN, default_stay=stay * MIN)
    for storage in both_engines:
        _clear(storage)
        store_scans(storage, visits, kiosk_offsets, parts=parts, runs=in_time,
                    derive_every=derive_every)
        kept, matches = _kept(storage), _matches(storage)
        _identities_say_what_the_stays_scans_say(storage)
        with storage._transaction() as tx:
            stays.rebuild_all(storage, tx)
            document_matches.rebuild(storage, tx)
        assert (kept, matches) == (_kept(storage), _matches(storage))
        source = _Counting(storage, tracing.alias_window(start.timestamp(), end.timestamp(),
                                                         policy))
        result = tracing.trace(source, tracing.target_for_document(source, number(1), start,
                                                                   end),
                               start.timestamp(), end.timestamp(), policy)
        window = tracing.alias_window(start.timestamp(), end.timestamp(), policy)
        entries = storage.entries()
        linking = [e for e in entries
                   if local_day(window[0]) <= e["local_day"] <= local_day(window[1])]
        assert _shape(result) == brute_force(
            entries, {brute_target(entries, number(1))}, start.timestamp(), end.timestamp(),
            margin=policy.margin, default_stay=policy.default_stay, max_stay=policy.max_stay,
            window=policy.repeat_window, linking=linking)
        event(f"kept stays read: {min(source.read, 2)}+, batches per kiosk: {parts}, "
              f"in time: {in_time}")


def test_a_late_repeat_that_unkeeps_the_latest_kept_scan_leaves_the_one_before_in_the_tail(
        storage: Storage) -> None:
    """The example hypothesis shrank to: a person enters at 00:00 (kiosk k00 sends 26 scans
    of that second), at 12:26, and leaves the next day at 22:12; then kiosk k01's exit at
    22:11, marked a repeat by that kiosk, arrives late and makes the 22:12 exit a repeat of
    it; then kiosk k1's entry at 00:20. The latest scan kept is now the 12:26 entry, more
    than the stays' reach before the late scan: the tail names it, as a rebuild from every
    scan does (the tail named no kept scan, then the 00:20 entry)."""
    scans = [Visit(1, "cccd", "CP-0", "in", local(0, 0), kiosk="k00")] * 26 + [
        Visit(1, "cccd", "CP-0", "in", local(0, 12, 26), kiosk="k00"),
        Visit(1, "cccd", "CP-0", "out", local(1, 22, 12), kiosk="k00"),
        Visit(1, "cccd", "CP-0", "out", local(1, 22, 11), kiosk="k01", repeat=True),
        Visit(1, "cccd", "CP-0", "in", local(0, 0, 20), kiosk="k1")]
    store_scans(storage, scans, {"k00": 0.0, "k01": 0.0})
    kept = _kept(storage)
    assert [(row[2], row[4]) for row in kept[0]] == [
        (local(0, 0).timestamp(), "exit"), (local(0, 0, 20).timestamp(), "exit"),
        (local(0, 12, 26).timestamp(), "exit")]
    assert [(row[2], row[4], row[5], row[7]) for row in kept[1]] == [
        (local(1, 22, 12).timestamp(), "out", local(0, 12, 26).timestamp(), "in")]
    with storage._transaction() as tx:
        stays.rebuild_all(storage, tx)
    assert kept == _kept(storage)


def test_a_step_deriving_stays_waits_for_the_one_running_and_uploads_wait_for_neither(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two kiosks at one checkpoint send a batch about the same people, the second with a
    scan before the first's latest (a rebuild), an exit closing the first's entry, and a
    first scan. While a step (``serve`` in the background) derives the first batch, the
    second is acknowledged at once, and a reader's step (another process: its own storage)
    waits on the derivation lock until the first commits, then sees its scans and tails, so
    the stays and tails kept are those a rebuild from every scan keeps. (Two steps at once
    would both start from no tail, and the second's stays would miss the first's scans.)"""
    holding, release = threading.Event(), threading.Event()
    keep = stays.keep

    def keep_and_hold(storage: Storage, tx: Any, rows: Any) -> None:
        keep(storage, tx, rows)
        if threading.current_thread().name == "first":
            holding.set()
            release.wait(30)

    monkeypatch.setattr(stays, "keep", keep_and_hold)
    received = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    def send(kiosk: str, scans: list[tuple[int, str, dt.datetime]]) -> None:
        entries = [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-A", kiosk=kiosk,
                              direction=direction, scanned_at=at)
                   for person, direction, at in scans]
        results = storage.ingest_batch(kiosk, entries, sent_at=protocol.format_time(received),
                                       received_at=received, batch_id=uuid7())
        assert all(r["status"] == protocol.ACCEPTED for r in results), results

    db = database_url("postgresql", tmp_path)
    with open_storage(db) as storage, open_storage(db) as reader, \
            ThreadPoolExecutor(2, thread_name_prefix="step") as pool:
        send("k1", [(1, "in", local(0, 8)), (1, "out", local(2, 9)), (2, "in", local(0, 23))])
        first = pool.submit(lambda: (threading.current_thread().__setattr__("name", "first"),
                                     derivation.catch_up(storage)))
        assert holding.wait(30)
        send("k2", [(1, "out", local(1, 7)), (1, "in", local(1, 8)), (2, "out", local(1, 1)),
                    (3, "in", local(1, 10))])  # acknowledged while the step holds its lock
        second = pool.submit(derivation.catch_up, reader)  # another process's
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        deadline = time.monotonic() + 30
        while storage._query(waiting)[0][0] == 0:
            assert time.monotonic() < deadline, "the second step never waited on the lock"
            time.sleep(0.02)
        assert not second.done()
        release.set()
        first.result()
        second.result()
        kept = _kept(storage)
        assert sorted((row[0][:9], row[4] or "") for row in kept[0]) == [
            ("m:000001|", "entry"), ("m:000001|", "entry"), ("m:000001|", "exit"),
            ("m:000001|", "exit"), ("m:000002|", ""), ("m:000003|", "exit")]
        with storage._transaction() as tx:
            stays.rebuild_all(storage, tx)
        assert kept == _kept(storage)


def test_an_exit_closing_a_stay_no_longer_held_reads_what_its_entry_said(
        storage: Storage) -> None:
    """A person's entry is where their scans end, but its stay is not held (deleted by hand,
    say): the exit that closes it still keeps the stay a rebuild keeps, with the entry's
    identity read from the entry itself, instead of failing the kiosk's batch."""
    store_scans(storage, [Visit(1, "cccd", "CP-A", "in", local(0, 8))], {})
    with storage._transaction() as tx:
        storage._execute(tx, "DELETE FROM stays")
    store_scans(storage, [Visit(1, "pccovid_masked", "CP-A", "out", local(0, 9))], {})
    kept = _kept(storage)
    _identities_say_what_the_stays_scans_say(storage)
    with storage._transaction() as tx:
        stays.rebuild_all(storage, tx)
    assert kept == _kept(storage) and [row[4] for row in kept[0]] == [None]


def test_a_database_from_v12_or_v15_keeps_the_stays_tails_identities_and_document_matches(
        storage: Storage) -> None:
    store_scans(storage, [Visit(1, "cccd", "CP-A", "in", local(0, 8)),
                          Visit(1, "pccovid_masked", "CP-A", "out", local(0, 9)),
                          Visit(2, "cccd", "CP-A", "in", local(0, 8, 30)),
                          Visit(3, "manual_phone", "CP-A", "in", local(0, 8, 40))], {})
    kept, matches = _kept(storage), _matches(storage)
    assert [(row[0][:9], row[4]) for row in kept[0]] == [("m:000001|", None),
                                                         ("m:000002|", "exit")]
    assert [(row[0][:9], row[4], row[7]) for row in kept[1]] == [("m:000001|", "out", "out"),
                                                                 ("m:000002|", "in", "in")]
    assert [(row[0], row[2][:9]) for row in matches] == [  # the CCCDs; no masked number
        ("doc:" + number(1), "m:000001|"), ("doc:" + number(2), "m:000002|")]

    with storage._transaction() as tx:  # the database as v12 left it (v13 to v20 undone)
        undo_covering_keys(storage, tx)
        storage._execute(tx, "DROP TABLE identities")
        storage._execute(tx, "DROP INDEX batches_offset")
        storage._execute(tx, "DROP TABLE document_matches")
        storage._execute(tx, "DROP TABLE stays")
        storage._execute(tx, "DROP TABLE stay_tails")
        storage._execute(tx, "DROP TABLE day_subjects")
        storage._execute(tx, "ALTER TABLE checkpoint_days DROP COLUMN people")
        set_schema_version(storage, tx, 12)
    with open_storage(storage.url) as reopened:
        assert (_kept(reopened), _matches(reopened)) == (kept, matches)
        _identities_say_what_the_stays_scans_say(reopened)
    with storage._transaction() as tx:  # as v15 left it: stays without identities, no tails
        undo_covering_keys(storage, tx)  # (v20's queue is empty: the reads above derived all)
        storage._execute(tx, "DROP TABLE identities")
        storage._execute(tx, "DROP INDEX stays_place")
        storage._execute(tx, "ALTER TABLE stays DROP COLUMN first_identity")
        storage._execute(tx, "ALTER TABLE stays DROP COLUMN last_identity")
        storage._execute(tx, "CREATE INDEX stays_place ON stays (checkpoint_id, first_at)")
        storage._execute(tx, "DROP INDEX batches_offset")
        storage._execute(tx, "DROP TABLE stay_tails")
        set_schema_version(storage, tx, 15)
    with open_storage(storage.url) as reopened:
        assert (_kept(reopened), _matches(reopened)) == (kept, matches)
        _identities_say_what_the_stays_scans_say(reopened)


def test_second_degree_traces_the_top_contacts_without_coming_back(storage: Storage) -> None:
    store_scans(storage, [
        Visit(1, "cccd", "CP-A", "in", local(0, 8)), Visit(1, "cccd", "CP-A", "out", local(0, 9)),
        Visit(2, "cccd", "CP-A", "in", local(0, 8)), Visit(2, "cccd", "CP-A", "out", local(0, 9)),
        Visit(2, "cccd", "CP-B", "in", local(0, 12)),        # the contact goes on to CP-B
        Visit(3, "cccd", "CP-B", "in", local(0, 12, 30)),     # and meets person 3 there
        Visit(4, "cccd", "CP-A", "in", local(0, 8, 50))], {})  # a lesser contact of person 1
    result = run(storage, number(1), local(0, 0), local(1, 0),
                 tracing.Policy(second_degree=1))
    top = result.contacts()[0]["person"]
    assert result.people[top].document_number == number(2)
    onward = result.second_degree[top]
    assert list(result.second_degree) == [top]              # only the top one, as asked
    assert {onward.people[c["person"]].document_number for c in onward.contacts()} == {
        number(3), number(4)}                               # never person 1 again
    with pytest.raises(tracing.TraceError, match="second degree"):
        tracing.Policy(second_degree=tracing.MAX_SECOND_DEGREE + 1)


def test_someone_in_all_day_is_a_contact_though_scanned_only_at_dawn_and_dusk(
        storage: Storage) -> None:
    """The long stay has no scan anywhere near the visit: found from its entry and exit."""
    store_scans(storage, [Visit(2, "cccd", "CP-A", "in", local(0, 6)),
                          Visit(2, "manual_doc", "CP-A", "out", local(0, 17)),
                          Visit(1, "cccd", "CP-A", "in", local(0, 12)),
                          Visit(1, "cccd", "CP-A", "out", local(0, 12, 30))], {})
    contacts = run(storage, number(1), local(0, 0), local(1, 0)).contacts()
    assert [(c["seconds"], c["estimated"]) for c in contacts] == [(30 * MIN, False)]
