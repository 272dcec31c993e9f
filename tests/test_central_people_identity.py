"""A day's people (Số người) are counted by the identity tracing uses: a person scanned by
their CCCD at one point and by their PC-Covid code, whose number is masked, at another is one
person in the daily report, as `kiosk-central trace --document` finds both visits. Two
people are still two. A database counted before schema v32 (one person per code) is
recounted from the entries it holds; a frozen day keeps its figure."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from central_support import (
    ENGINES,
    Enrolled,
    cccd,
    database_url,
    engine_storages,
    enrol,
    send,
    serving,
)
from central_support import set_schema_version as at_version
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trace_support import FORMS, NAMES, number, payload_identity, wire_entry

from kiosk.central import derivation, people, reports, trace_service, tracing
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.payloads import Identity, decode
from kiosk.payloads.identity import fold_name
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import protocol

MASKED_AN = b"******000001|NGUYEN VAN AN|1990-**-**|0|162979388586171100|"
"""The PC-Covid code of the holder of ``cccd(1)`` (001099000001, Nguyễn Văn An, born 1990):
the first six digits of the number masked, the birth day and month too."""
MASKED_BINH = b"******000002|TRAN THI BINH|1990-**-**|0|162979388586171101|"
"""Another person's: Trần Thị Bình, 001099000002."""


def scanned(tmp: Path, kiosk: Enrolled, payload: bytes) -> list[dict]:
    """The wire entries of one scan of ``payload`` by a real kiosk pipeline and store."""
    store = Store(tmp / f"{kiosk.kiosk_id}.db")
    try:
        pipeline = Pipeline(store, Policy(checkpoint_id=kiosk.checkpoint_id,
                                          kiosk_id=kiosk.kiosk_id))
        pipeline.submit(Scan(payload=payload, device_id="serial-1", lane="in", symbology="]Q1",
                             source="serial"))
        return [protocol.entry_to_wire(row) for row in store.pending(10)]
    finally:
        store.close()


def upload(url: str, kiosk: Enrolled, entries: list[dict]) -> None:
    assert send(url, kiosk, entries) == [protocol.ACCEPTED]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("masked", "people"), [(MASKED_AN, 1), (MASKED_BINH, 2)],
                         ids=["the same person", "another person"])
def test_a_card_at_one_point_and_a_masked_pccovid_code_at_another_are_one_person(
        engine: str, tmp_path: Path, masked: bytes, people: int) -> None:
    """Kiosk k-a1 at A1 scans Nguyễn Văn An's CCCD; kiosk k-b1 at B1 scans a PC-Covid code
    whose number is masked, both uploading over HTTP that day. An's own PC-Covid code: the
    day has 1 person (v31 said 2), as tracing An's number finds both visits. Bình's: 2."""
    db = database_url(engine, tmp_path)
    a1, b1 = enrol(db, "k-a1", "A1"), enrol(db, "k-b1", "B1")
    with open_storage(db) as storage, serving(create_app(storage)) as url:
        upload(url, a1, scanned(tmp_path, a1, cccd(1)))
        upload(url, b1, scanned(tmp_path, b1, masked))
        day = storage.today()
        summary = reports.daily(storage, day)["summary"]
        traced = trace_service.run(
            storage, trace_service.Request(document="001099000001", start=day, end=day),
            actor="test@centre", reason="ca bệnh F0-1", channel="cli", address=None)
    assert (summary["scans"], summary["people"]) == (2, people)
    assert sorted(v["checkpoint_id"] for v in traced["visits"]) == (
        ["A1", "B1"] if people == 1 else ["A1"])


def people_of(storage: Storage, day: dt.date) -> int:
    return reports.daily(storage, day)["summary"]["people"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_counted_before_v32_is_recounted_and_its_frozen_days_kept(
        engine: str, tmp_path: Path) -> None:
    """v31 counted each code as a person: An's CCCD at A1 and masked PC-Covid code at B1
    made 2 people, and its day set held no match key (Bình's CCCD at A1: only his number).
    Migrated, the day held has 2 people, An and Bình, and holds their match keys: Bình's
    masked code at B1 afterwards is no new person. A frozen day keeps its figure."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    frozen = dt.date(2026, 11, 1)
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        for kiosk, checkpoint, person, form in (("k-a1", "A1", 1, "cccd"),
                                                ("k-b1", "B1", 1, "pccovid_masked"),
                                                ("k-a1", "A1", 2, "cccd")):
            entry = wire_entry(payload_identity(person, form), checkpoint=checkpoint,
                               kiosk=kiosk, direction="in", scanned_at=now)
            [result] = storage.ingest_batch(kiosk, [entry], sent_at=protocol.format_time(now),
                                            received_at=now, batch_id=str(uuid.uuid4()))
            assert result["status"] == protocol.ACCEPTED
        day = storage.calendar.day_of(now)
        assert people_of(storage, day) == 2
        with storage._transaction() as tx:  # as v31 counted and left it
            storage._execute(tx, "DELETE FROM day_subjects WHERE subject_key NOT IN "
                                 "(SELECT subject_key FROM entries)")
            storage._execute(tx, "UPDATE checkpoint_days SET people = CASE checkpoint_id "
                                 "WHEN 'A1' THEN 2 ELSE 1 END WHERE day = $1", (day.isoformat(),))
            storage._execute(tx, "INSERT INTO checkpoint_days (day, checkpoint_id, scans, ins, "
                                 "outs, manual, people) VALUES ($1, 'A1', 9, 9, 0, 0, 8)",
                             (frozen.isoformat(),))
            storage._execute(tx, "INSERT INTO day_people (day, people, counted_at) "
                                 "VALUES ($1, 7, '2026-11-02T06:00:00.000000Z')",
                             (frozen.isoformat(),))
        assert people_of(storage, day) == 3  # read before the schema goes back: today's
        with storage._transaction() as tx:  # reports read columns v31 did not have
            at_version(storage, tx, 31)

    with open_storage(db) as storage:
        assert (people_of(storage, day), people_of(storage, frozen)) == (2, 7)
        later = wire_entry(payload_identity(2, "pccovid_masked"), checkpoint="B1",
                           kiosk="k-b1", direction="in", scanned_at=now)
        [result] = storage.ingest_batch("k-b1", [later], sent_at=protocol.format_time(now),
                                        received_at=now, batch_id=str(uuid.uuid4()))
        assert result["status"] == protocol.ACCEPTED
        assert people_of(storage, day) == 2


CODES = {"card": ("A1", "cccd"), "masked": ("B1", "pccovid_masked"), "typed": ("C1", "manual_doc")}
"""One person's codes, each at its point: the CCCD, the masked PC-Covid code, and the
number typed into a manual entry."""


@pytest.mark.parametrize(("arrivals", "people"), [
    ([["masked"], ["card"]], 1),
    ([["card"], ["masked"], ["typed"]], 1),
    ([["typed"], ["card"], ["masked"]], 1),
    ([["masked"], ["card"], ["typed"]], 1),
    ([["typed"], ["masked"], ["card"]], 1),
    ([["typed", "masked"], ["card"]], 1),
    ([["masked", "typed", "card"]], 1),
    ([["typed", "masked", "card"]], 1),
    ([["masked"], ["typed"]], 2),
], ids=lambda value: repr(value) if isinstance(value, list) else str(value))
def test_a_persons_codes_count_once_in_whichever_order_they_are_counted(
        tmp_path: Path, arrivals: list[list[str]], people: int) -> None:
    """Each inner list is one upload, counted before the next arrives. A person's codes are
    one person once any code of theirs was counted, whatever the order, the card linking the
    masked code (by the match key) and the typed number (the card's) — also within one
    upload, after either was counted a person of its own, and after both were (2 people
    until the card came, then 1: the typed number counted at C1 is taken out there). A
    masked code and a typed number alone say nothing of each other: two people, as tracing
    would say too."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    with open_storage(database_url("sqlite", tmp_path)) as storage:
        for upload_ in arrivals:
            entries = [wire_entry(payload_identity(1, CODES[code][1]), checkpoint=CODES[code][0],
                                  kiosk="k1", direction="in", scanned_at=now)
                       for code in upload_]
            results = storage.ingest_batch("k1", entries, sent_at=protocol.format_time(now),
                                           received_at=now, batch_id=str(uuid.uuid4()))
            assert {r["status"] for r in results} == {protocol.ACCEPTED}
            derivation.catch_up(storage)
        day = storage.calendar.day_of(now)
        assert people_of(storage, day) == people
        assert {n for (n,) in storage._query("SELECT people FROM checkpoint_days WHERE day = $1",
                                             (day.isoformat(),))} <= {0, 1}


def identity_of(person: int, form: str) -> Identity:
    """Person ``person``'s code of a form of :data:`trace_support.FORMS`, or ``renamed``: an
    unmasked PC-Covid code of their number whose name was typed otherwise (another match key
    for one number: tracing's two people, each scan under its own), or ``other``: a code that
    names nobody (a bus ticket), no person (schema v58)."""
    if form == "renamed":
        name, year = fold_name(NAMES[person % len(NAMES)]) + " A", 1960 + person % 40
        identity = decode(f"{number(person)}|{name}|{year}-**-**|0|1|".encode())
    elif form == "other":
        identity = decode(f"VE-XE-{person}".encode())
    else:
        return payload_identity(person, form)
    assert isinstance(identity, Identity), identity
    return identity


def traced_people(identities: list[Identity]) -> int:
    """A day's people as tracing tells them apart (:func:`tracing.canonical`): a typed
    number is the person of the smallest match key stored with it that day; a code that
    names nobody is no one."""
    identities = [i for i in identities if i.kind != "other"]
    aliases: dict[str, str] = {}
    for i in identities:
        if i.match_key and i.subject_key.startswith("doc:"):
            aliases[i.subject_key] = min(aliases.get(i.subject_key, i.match_key), i.match_key)
    return len({tracing.canonical(i.subject_key, i.match_key, aliases) for i in identities})


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Storage]]:
    with engine_storages(tmp_path_factory.mktemp("people")) as opened:
        yield opened


DAYS = itertools.count()
"""Each example's own day, in the module's databases."""


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(scans=st.lists(st.tuples(st.integers(1, 3), st.sampled_from((*FORMS, "renamed", "other")),
                                st.sampled_from(("A1", "B1", "C1"))), min_size=1, max_size=9),
       order=st.randoms(use_true_random=False), cuts=st.lists(st.booleans(), min_size=9,
                                                               max_size=9),
       derive_every=st.integers(1, 3))
def test_a_days_people_are_the_recounts_whatever_order_and_batches_its_scans_came_in(
        both_engines: list[Storage], scans: list[tuple[int, str, str]], order: random.Random,
        cuts: list[bool], derive_every: int) -> None:
    """A day's scans of up to three people — CCCD, PC-Covid unmasked, masked or under
    another spelling of the name, a typed number, a phone-only manual entry, a code naming
    nobody — at three points arrive in any order, cut into uploads anywhere, derived after
    each upload or every few: the day's people are those tracing tells apart, and what
    `kiosk-central timezone` recounting from the entries says (the figure a published
    report gave does not change); no point's count is ever below nought."""
    day_start = dt.datetime(2026, 6, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=next(DAYS))
    shuffled = list(scans)
    order.shuffle(shuffled)
    uploads: list[list[tuple[int, str, str]]] = [[]]
    for scan, cut in zip(shuffled, cuts, strict=False):
        if cut and uploads[-1]:
            uploads.append([])
        uploads[-1].append(scan)
    expected = traced_people([identity_of(p, form) for p, form, _ in scans])
    for storage in both_engines:
        for n, upload_ in enumerate(uploads):
            at = day_start + dt.timedelta(hours=n)
            entries = [wire_entry(identity_of(p, form), checkpoint=checkpoint, kiosk="k1",
                                  direction="in", scanned_at=at + dt.timedelta(seconds=i))
                       for i, (p, form, checkpoint) in enumerate(upload_)]
            received = at + dt.timedelta(minutes=1)
            results = storage.ingest_batch("k1", entries, sent_at=protocol.format_time(received),
                                           received_at=received, batch_id=str(uuid.uuid4()))
            assert {r["status"] for r in results} == {protocol.ACCEPTED}
            if (n + 1) % derive_every == 0:
                derivation.catch_up(storage)
        day = storage.calendar.day_of(day_start)
        counted = people_of(storage, day)
        assert min(n for (n,) in storage._query(
            "SELECT people FROM checkpoint_days WHERE day = $1", (day.isoformat(),))) >= 0
        with storage._transaction() as tx:
            people.recount(storage, tx)
        assert (counted, people_of(storage, day)) == (expected, expected)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(scans=st.lists(st.tuples(st.integers(1, 3), st.sampled_from((*FORMS, "renamed", "other")),
                                st.booleans()), min_size=1, max_size=9))
def test_a_made_days_people_are_those_tracing_tells_apart_in_the_scans_it_counted(
        both_engines: list[Storage], scans: list[tuple[int, str, bool]]) -> None:
    """A day's scans of up to three people in every form, some of them late (stored after
    the day's report was made: the next report's). Counted again (a retry), the made
    report's people are those tracing tells apart in the others: a late scan's person only
    if a scan it counted is theirs, or is linked to theirs (a typed number and the card)."""
    day_start = dt.datetime(2026, 6, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=next(DAYS))
    expected = traced_people([identity_of(p, form) for p, form, late in scans if not late])
    for storage in both_engines:
        entries = [wire_entry(identity_of(p, form), checkpoint="A1", kiosk="k1",
                              direction="in", scanned_at=day_start + dt.timedelta(seconds=i))
                   for i, (p, form, _) in enumerate(scans)]
        received = day_start + dt.timedelta(minutes=1)
        results = storage.ingest_batch("k1", entries, sent_at=protocol.format_time(received),
                                       received_at=received, batch_id=str(uuid.uuid4()))
        derivation.catch_up(storage)
        late = {r["id"] for r, (_, _, is_late) in zip(results, scans, strict=True) if is_late}
        day = storage.calendar.day_of(day_start).isoformat()
        assert people.among(storage, day, late, set()) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_a_typed_number_counted_before_v35_is_taken_out_when_the_card_comes_after(
        engine: str, tmp_path: Path) -> None:
    """Before v37 a day's set did not say which typed numbers were people of their
    own. Migrated, the day held is recounted and says it: An's number typed at C1 and his
    masked code at B1 are 2 people, and his card at A1 after the upgrade makes them 1."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    db = database_url(engine, tmp_path)

    def scan(storage: Storage, code: str) -> None:
        checkpoint, form = CODES[code]
        entry = wire_entry(payload_identity(1, form), checkpoint=checkpoint, kiosk="k1",
                           direction="in", scanned_at=now)
        [result] = storage.ingest_batch("k1", [entry], sent_at=protocol.format_time(now),
                                        received_at=now, batch_id=str(uuid.uuid4()))
        assert result["status"] == protocol.ACCEPTED
        derivation.catch_up(storage)

    with open_storage(db) as storage:
        scan(storage, "typed")
        scan(storage, "masked")
        day = storage.calendar.day_of(now)
        with storage._transaction() as tx:  # as v34 left it: keys only
            storage._execute(tx, "DROP TABLE day_subjects")
            storage._execute(tx, "CREATE TABLE day_subjects (day TEXT NOT NULL, subject_key "
                                 "TEXT NOT NULL, PRIMARY KEY (day, subject_key))")
            storage._execute(tx, "INSERT INTO day_subjects SELECT local_day, subject_key FROM "
                                 "entries UNION SELECT local_day, match_key FROM entries "
                                 "WHERE match_key IS NOT NULL")
            at_version(storage, tx, 34)
    with open_storage(db) as storage:
        assert people_of(storage, day) == 2
        scan(storage, "card")
        assert people_of(storage, day) == 1
