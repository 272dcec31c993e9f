"""A trace that lists the top contacts' exposures only has the stays kept at ingest summed per
contact by the database (one grouped statement) instead of going through every stay shared in
Python: the same contacts, in the same order, with the same figures, names and per-visit
counts as the trace that makes every exposure one by one (``--all-exposures``) — on a messy
generated centre, on SQLite and PostgreSQL.

The centre: 40 people around one person's visits at four checkpoints over three days —
overlapping and nested stays, exits missing, lone exits, repeats, people scanned at exactly
the same times (ties in the ranking), stays across midnight, a kiosk whose clock is off, the
same people under CCCD, PC-Covid and manual entries (a typed number joins its holder: read
from the scans), foreigners' passports typed by hand, scans of uncertain time (a kiosk that
slept, one of the person's own visits among them: *possible* contacts) and a copied token's
entries set aside."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from central_support import ENGINES, central, database_url
from trace_support import Visit, after_a_sleep, number, store_scans, wire_entry

from kiosk.central import copied_sources, trace_formats, tracing
from kiosk.central.audit import Actor
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.central.trace_queries import StorageSource
from kiosk.ids import uuid7
from kiosk.payloads import decode
from kiosk.payloads.manual import ManualEntry, decode_manual
from kiosk.sync import protocol

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # the centre's default zone
DAY = dt.datetime(2026, 11, 20, tzinfo=HCM)
PLACES = ("CP-0", "CP-1", "CP-2", "CP-3")
FORMS = ("cccd", "cccd", "cccd", "pccovid", "pccovid_masked", "manual_doc", "manual_phone")
START, END = DAY, DAY + dt.timedelta(days=3)


def at(day: int, hour: float) -> dt.datetime:
    return DAY + dt.timedelta(days=day, hours=hour)


def person_ones_visits() -> list[tuple[str, dt.datetime, dt.datetime | None]]:
    """Person 1's stays (place, in, out or None: no exit scanned), one across midnight."""
    return [("CP-0", at(0, 8), at(0, 10)), ("CP-1", at(0, 23), at(1, 1.5)),
            ("CP-0", at(1, 8), at(1, 9)), ("CP-2", at(1, 12), None),
            ("CP-3", at(2, 7), at(2, 8.5)), ("CP-0", at(2, 17), at(2, 18))]


def messy(seed: int = 3) -> list[Visit]:
    rng = random.Random(seed)
    scans = []
    for place, entered, left in person_ones_visits():
        scans.append(Visit(1, "cccd", place, "in", entered, kiosk=f"k{place[-1]}"))
        if left:
            scans.append(Visit(1, "pccovid_masked", place, "out", left, kiosk=f"k{place[-1]}"))
    visits = person_ones_visits()
    for person in range(2, 42):
        form = rng.choice(FORMS)
        if person % 7 == 0:  # at the same times as each other: tied in the ranking
            scans += [Visit(person, "cccd", "CP-0", way, at(0, hour), kiosk="k0")
                      for way, hour in (("in", 7.75), ("out", 8.5))]
            continue
        for place, entered, _ in rng.sample(visits, rng.randint(1, 3)):
            start = entered + dt.timedelta(minutes=rng.randint(-150, 100),
                                           seconds=rng.randint(0, 59))
            minutes = rng.randint(1, 200)
            kiosk = f"k{place[-1]}" if rng.random() < 0.8 else "koff"
            kind = rng.random()
            if kind < 0.7:  # entry and exit
                scans += [Visit(person, form, place, "in", start, kiosk=kiosk),
                          Visit(person, form, place, "out",
                                start + dt.timedelta(minutes=minutes), kiosk=kiosk)]
            elif kind < 0.85:  # no exit scanned
                scans.append(Visit(person, form, place, "in", start, kiosk=kiosk))
            else:  # a lone exit, and a repeat of it
                scans += [Visit(person, form, place, "out", start, kiosk=kiosk),
                          Visit(person, form, place, "out", start + dt.timedelta(seconds=40),
                                kiosk=kiosk, repeat=rng.random() < 0.5)]
            if rng.random() < 0.3:  # the same person again there, nested in that stay
                scans += [Visit(person, "cccd", place, "in",
                                start + dt.timedelta(minutes=5), kiosk=kiosk),
                          Visit(person, "cccd", place, "out",
                                start + dt.timedelta(minutes=25), kiosk=kiosk)]
    return scans


def _foreigners(storage: Storage) -> None:
    """Two foreigners' passports typed by hand beside person 1 at CP-0 on day 0 (``fdoc:``
    keys, no match key: read raw), one numbered as person 5's card."""
    for n, (name, passport) in enumerate((("John Smith", number(5)),
                                          ("Anna Berg", "C01X00T47"))):
        identity = decode_manual(ManualEntry(name, document_number=passport, foreign=True))
        entries = [wire_entry(identity, checkpoint="CP-0", kiosk="k0", direction=way,
                              scanned_at=at(0, hour + n / 4))
                   for way, hour in (("in", 8.25), ("out", 9.25))]
        storage.ingest_batch("k0", entries, sent_at=protocol.format_time(at(0, 12)),
                             received_at=at(0, 12), batch_id=uuid7())


def _renamed(storage: Storage) -> None:
    """Person 60's card read with the name's tones one way on days 0 and 2 and another on
    day 1 (one match key: the same folded name): the latest scan's name is shown."""
    for day, hour, name in ((0, 8.5, "Lê Văn Cường"), (1, 8.5, "Lễ Văn Cướng"),
                            (2, 17.5, "Lê Văn Cường")):
        identity = decode(f"{number(60)}|123456789|{name}|01021990|Nam|Huế|10102021"
                          .encode(), today=dt.date(2026, 11, 30))
        entries = [wire_entry(identity, checkpoint="CP-0", kiosk="k0", direction=way,
                              scanned_at=at(day, hour + later))
                   for way, later in (("in", 0.0), ("out", 0.25))]
        storage.ingest_batch("k0", entries, sent_at=protocol.format_time(at(day, 20)),
                             received_at=at(day, 20), batch_id=uuid7())


def _set_aside(storage: Storage) -> None:
    """A copied token of k0 (boot ``boot-copy``) scanned people 2–6 beside person 1; an
    admin set its entries aside: no trace sees them."""
    from trace_support import payload_identity

    entries = [wire_entry(payload_identity(p, "cccd"), checkpoint="CP-0", kiosk="k0",
                          direction="in", scanned_at=at(0, 8.5) + dt.timedelta(minutes=p))
               for p in range(2, 7)]
    storage.ingest_batch("k0", entries, sent_at=protocol.format_time(at(0, 12)),
                         received_at=at(0, 12), batch_id=uuid7(), boot_id="boot-copy")
    copied_sources.set_aside(storage, "k0", "boot-copy", reason="token copied: case 17",
                             by=Actor("admin@centre", "cli"))


@pytest.fixture(scope="module", params=ENGINES)
def centre(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Storage]:
    url = database_url(request.param, tmp_path_factory.mktemp("summed"))
    central("kiosks", "add", "--db", url, "--checkpoint", "CP-0", "--new-checkpoint",
            "--name", "Máy 0", "--kiosk-id", "k0")  # (whose copied token's entries go)
    with open_storage(url) as storage:
        store_scans(storage, messy(), {"koff": 600.0}, parts=2)
        _foreigners(storage)
        _renamed(storage)
        _set_aside(storage)
        slept = [Visit(1, "cccd", "CP-3", "in", at(2, 7.5)),  # person 1's own, uncertain
                 Visit(1, "cccd", "CP-3", "out", at(2, 8.25)),
                 Visit(50, "cccd", "CP-0", "in", at(1, 7.75)),  # a contact's, uncertain
                 Visit(50, "cccd", "CP-0", "out", at(1, 8.5)),
                 Visit(51, "cccd", "CP-0", "in", at(2, 18.3))]  # filed after, may be in
        after_a_sleep(storage, "ksleep", slept, 1800.0)
        yield storage


def traced(storage: Storage, listed: int | None, policy: tracing.Policy) -> tracing.Trace:
    source = StorageSource(storage, tracing.alias_window(START.timestamp(), END.timestamp(),
                                                         policy))
    target = tracing.target_for_document(source, number(1), START, END)
    return tracing.trace(source, target, START.timestamp(), END.timestamp(), policy,
                         listed=listed)


def shown(result: tracing.Trace) -> dict[str, Any]:
    """What an answer says about the contacts: their rows ranked, with the people's
    details, each visit's count of contacts, and the second degree's rows."""
    return {"contacts": [{**row, "said": vars(result.people[row["person"]])}
                         for row in result.contacts()],
            "per_visit": result.per_visit(),
            "onward": {key: shown(onward) for key, onward in result.second_degree.items()}}


@pytest.mark.parametrize("policy", [tracing.Policy(), tracing.Policy(
    margin=5 * 60, default_stay=45 * 60, second_degree=3)], ids=["default", "onward"])
def test_the_contacts_summed_by_the_database_are_those_made_one_by_one(
        centre: Storage, policy: tracing.Policy) -> None:
    every = traced(centre, None, policy)
    contacts = every.contacts()
    # the centre is as messy as said: ties, possible contacts, set-aside entries left out
    assert len(contacts) > 25 and any(c["possible"] for c in contacts)
    assert any(c["uncertain"] and not c["possible"] for c in contacts)
    assert len({(c["seconds"], c["visits"], c["first"]) for c in contacts}) < len(contacts)
    assert any(p.startswith("fdoc:") for p in every.people)
    assert {p.name for p in every.people.values() if p.document_number == number(60)} == {
        "Lê Văn Cường"}
    for listed in (0, 3, trace_formats.EXPOSED_CONTACTS):
        summed = traced(centre, listed, policy)
        assert summed.summed and summed.summed.contacts  # most of them summed by SQL
        assert len(summed.exposures) < len(every.exposures)
        assert shown(summed) == shown(every)
        for exposed in {listed, 0}:
            assert trace_formats.to_dict(summed, zone=HCM, checkpoints={},
                                         data_begins=None, exposed=exposed) == \
                trace_formats.to_dict(every, zone=HCM, checkpoints={}, data_begins=None,
                                      exposed=exposed)



def test_a_trace_ranks_its_contacts_once_for_its_top_contacts_and_its_answer(
        centre: Storage) -> None:
    """The trace picks the contacts whose exposures it lists from its ranking, and the
    answer numbers them by it: one ranking, made once (it was made again for the answer,
    0.1–0.3 s at a busy person's 11,480 contacts: docs/benchmarks.md)."""
    result = traced(centre, trace_formats.EXPOSED_CONTACTS, tracing.Policy())
    ranked = result.contacts()
    assert result.contacts() is ranked
    answer = trace_formats.to_dict(result, zone=HCM, checkpoints={}, data_begins=None)
    assert [c["person"] for c in answer["contacts"]] == [row["person"] for row in ranked]

def test_a_contact_with_a_scan_of_uncertain_time_is_made_one_by_one_not_summed(
        centre: Storage) -> None:
    """Person 50's stay at CP-0 on day 1 has scans filed 30 min after they were made: their
    exposures say by how much (the database does not sum such a contact), as in full."""
    summed = traced(centre, 0, tracing.Policy())
    contact = next(c for c in summed.contacts()
                   if summed.people[c["person"]].document_number == number(50))
    assert contact["uncertain"] == 1800.0
    assert contact["person"] in summed.summed.unsure
    assert contact["person"] not in {person for person, *_ in summed.summed.contacts}



def _same_people_work(folder: Path, days: int) -> tuple[int, dict[str, str]]:
    """The SQLite instructions :meth:`StorageSource.same_people` runs for a person whose card
    was scanned on ``days`` days (a row of ``document_matches`` each), and its answer."""
    with open_storage(f"sqlite:///{folder}/central.db") as storage:
        store_scans(storage, [Visit(5, "cccd", "CP-0", way, at(day, hour))
                              for day in range(days) for way, hour in (("in", 8), ("out", 9))],
                    {})
        source = StorageSource(storage)
        (card,) = source.document_codes(f"doc:{number(5)}")
        steps = 0

        def step() -> int:
            nonlocal steps
            steps += 1
            return 0

        conn = storage._conn()
        conn.set_progress_handler(step, 1)
        try:
            known = source.same_people([card])
        finally:
            conn.set_progress_handler(None, 0)
        return steps, known


def test_who_has_several_codes_is_found_in_work_growing_with_the_days_not_their_square(
        tmp_path: Path) -> None:
    """A number's codes are read once per code, then the number's rows once: each code's
    rows were joined to the number's day by day, days × days rows a person (1.9 M for a busy
    trace's 10,000 people met over 14 days, 3–5 s of PostgreSQL: docs/benchmarks.md). The
    work for 4 days and for 16 is measured in SQLite's instructions, not in time."""
    (tmp_path / "4").mkdir()
    (tmp_path / "16").mkdir()
    few, known_few = _same_people_work(tmp_path / "4", 4)
    many, known_many = _same_people_work(tmp_path / "16", 16)
    assert known_few == known_many == {}  # one code: nobody to merge
    assert many < 6 * few  # 4 × the days; the join day by day was ~16 ×
