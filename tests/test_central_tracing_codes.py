"""Which scans are the traced person's when they carry more than one code: a PC-Covid code
with the full number but another birth year than the card's, a card scanned only long
before the period, a number never scanned in full — and what a contact's ``estimated``
says. Each trace runs as a tracer's does (:func:`kiosk.central.trace_service.run`), on
SQLite and PostgreSQL, from scans uploaded as kiosks send them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from central_support import ENGINES, database_url
from trace_support import number, payload_identity, wire_entry

from kiosk.central import derivation, trace_formats, trace_service, tracing
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.ids import uuid7
from kiosk.payloads import Identity, decode
from kiosk.sync import protocol

ZONE = dt.timezone(dt.timedelta(hours=7))
DAY = dt.datetime(2026, 11, 20, tzinfo=ZONE)


@pytest.fixture(params=ENGINES)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    with open_storage(database_url(request.param, tmp_path)) as opened:
        yield opened


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return DAY + dt.timedelta(days=day, hours=hour, minutes=minute)


def pccovid(shown: str, name: str, year: int) -> Identity:
    """A PC-Covid code as its holder declared it: ``shown`` may be masked (``******`` and
    the last 6 digits), the birth year may not be the card's."""
    identity = decode(f"{shown}|{name}|{year}-**-**|0|7654321|".encode())
    assert isinstance(identity, Identity), identity
    return identity


def send(storage: Storage, scans: list[tuple[Identity, str, str, dt.datetime]]) -> None:
    """(identity, checkpoint, direction, time) scanned by one kiosk with a right clock."""
    entries = [wire_entry(identity, checkpoint=checkpoint, kiosk="k1", direction=direction,
                          scanned_at=at) for identity, checkpoint, direction, at in scans]
    received = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    results = storage.ingest_batch("k1", entries, sent_at=protocol.format_time(received),
                                   received_at=received, batch_id=uuid7())
    assert all(r["status"] == protocol.ACCEPTED for r in results), results
    derivation.catch_up(storage)


def trace(storage: Storage, document: str, first: int, last: int) -> dict[str, Any]:
    """A tracer's trace of ``document`` over local days ``first`` to ``last``."""
    return trace_service.run(storage, trace_service.Request(
        document=document, start=(DAY + dt.timedelta(days=first)).date(),
        end=(DAY + dt.timedelta(days=last)).date()),
        actor="bs.lan", reason="F0-1", channel="cli", address=None)


def visits(report: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    return [(v["checkpoint_id"], v["entered_at"][11:16], v["left_at"][11:16], v["estimated"])
            for v in report["visits"]]


def contacts(report: dict[str, Any]) -> list[tuple[str, float, bool]]:
    return [(c["name"], c["overlap_minutes"], c["estimated"]) for c in report["contacts"]]


def test_a_code_with_the_full_number_is_the_holders_whatever_birth_year_it_declares(
        storage: Storage) -> None:
    """Person 1 (Trần Thị Bình, born 1961 on her CCCD) showed a PC-Covid code with her full
    number but 1962: its match key is not her card's. Before, a trace of her number kept
    only the card's key and dropped the visit made with that code — and with it Bùi Thị
    Lan, beside her for an hour — answering "exact". A stay begun with one code and ended
    with the other is one stay, and every kind she showed is said."""
    binh, lan = payload_identity(1, "cccd"), payload_identity(7, "cccd")
    code = pccovid(number(1), "TRAN THI BINH", 1962)
    typed = payload_identity(1, "manual_doc")
    assert code.match_key != binh.match_key and code.subject_key == binh.subject_key
    send(storage, [(binh, "CP-A", "in", local(13, 8)), (binh, "CP-A", "out", local(13, 9)),
                   (code, "CP-C", "in", local(13, 12)), (code, "CP-C", "out", local(13, 13)),
                   (lan, "CP-C", "in", local(13, 12)), (lan, "CP-C", "out", local(13, 13)),
                   (code, "CP-D", "in", local(13, 15)), (typed, "CP-D", "out", local(13, 16))])

    report = trace(storage, number(1), 13, 13)

    assert visits(report) == [("CP-A", "08:00", "09:00", None),
                              ("CP-C", "12:00", "13:00", None),
                              ("CP-D", "15:00", "16:00", None)]
    assert contacts(report) == [("Bùi Thị Lan", 60.0, False)]
    assert report["person"]["match"] == "exact"
    assert set(report["person"]["keys"]) == {binh.match_key}
    [found] = report["person"]["found_as"]
    assert found["kinds"] == ["cccd", "manual", "pccovid"]


def test_a_card_scanned_only_weeks_before_still_names_the_masked_code_it_showed(
        storage: Storage) -> None:
    """Person 20's CCCD was scanned on 20 Nov only; on 3 Dec she showed only her masked
    PC-Covid code, an hour beside Đặng Thị Giang. Before, a trace of 3 Dec linked her
    number to codes only in the days around it: no visit, no contact, "exact" — and a
    trace from 20 Nov "revealed" the 3 Dec visit."""
    send(storage, [(payload_identity(20, "cccd"), "CP-A", "in", local(0, 8)),
                   (payload_identity(20, "pccovid_masked"), "CP-B", "in", local(13, 10)),
                   (payload_identity(20, "pccovid_masked"), "CP-B", "out", local(13, 11)),
                   (payload_identity(5, "cccd"), "CP-B", "in", local(13, 10)),
                   (payload_identity(5, "cccd"), "CP-B", "out", local(13, 11))])

    narrow, wide = trace(storage, number(20), 13, 13), trace(storage, number(20), 0, 13)

    assert visits(narrow) == [("CP-B", "10:00", "11:00", None)]
    assert contacts(narrow) == [("Đặng Thị Giang", 60.0, False)]
    assert narrow["person"]["match"] == "exact"
    assert visits(wide)[1:] == visits(narrow) and contacts(wide) == contacts(narrow)


@pytest.mark.parametrize("namesake", [False, True])
def test_a_contact_shown_only_by_her_masked_code_is_named_by_her_card(
        storage: Storage, namesake: bool) -> None:
    """Person 20 was beside Đặng Thị Giang for an hour on 3 Dec, showing only her masked
    PC-Covid code; her card was scanned on 20 Nov elsewhere. Her code's match key is stored
    with her number alone, under which her own card was scanned: the code is hers, and
    Giang's trace names her by her card — before, it listed "HOANG VAN EM", "******000020",
    whom nobody could phone. A namesake born the same year whose number ends in the same 6
    digits (his card scanned too) makes the code either's: shown as the code says."""
    em = payload_identity(20, "pccovid_masked")
    scans = [(payload_identity(20, "cccd"), "CP-A", "in", local(0, 8)),
             (em, "CP-B", "in", local(13, 10)), (em, "CP-B", "out", local(13, 11)),
             (payload_identity(5, "cccd"), "CP-B", "in", local(13, 10)),
             (payload_identity(5, "cccd"), "CP-B", "out", local(13, 11))]
    if namesake:
        other = decode(f"001099{number(20)[-6:]}|123456789|Hoàng Văn Em|01021980|Nam|Huế|"
                       "10102021".encode(), today=dt.date(2026, 11, 30))
        assert isinstance(other, Identity) and other.match_key == em.match_key
        scans.append((other, "CP-E", "in", local(1, 9)))
    send(storage, scans)

    report = trace(storage, number(5), 13, 13)

    [contact] = report["contacts"]
    assert (contact["name"], contact["document_number"], contact["overlap_minutes"]) == (
        ("HOANG VAN EM", "******000020", 60.0) if namesake else
        ("Hoàng Văn Em", number(20), 60.0))


def test_a_masked_code_under_another_name_than_the_numbers_card_is_not_named_by_it(
        storage: Storage) -> None:
    """Lý Văn Tâm declared person 1's number on a PC-Covid code; his masked code (his name,
    its last 6 digits) beside Bùi Thị Lan is stored with her number alone, but her card was
    never scanned under his name: not hers (the holder's name is her card's), shown as his
    code says."""
    binh, lan = payload_identity(1, "cccd"), payload_identity(7, "cccd")
    masked = pccovid("******" + number(1)[-6:], "LY VAN TAM", 1975)
    send(storage, [(binh, "CP-A", "in", local(0, 8)),
                   (pccovid(number(1), "LY VAN TAM", 1975), "CP-E", "in", local(1, 14)),
                   (masked, "CP-B", "in", local(13, 10)), (masked, "CP-B", "out", local(13, 11)),
                   (lan, "CP-B", "in", local(13, 10)), (lan, "CP-B", "out", local(13, 11))])

    report = trace(storage, number(7), 13, 13)

    assert [(c["name"], c["document_number"]) for c in report["contacts"]] == [
        ("LY VAN TAM", "******" + number(1)[-6:])]


def test_a_number_never_scanned_in_full_is_traced_weakly_through_the_masked_codes(
        storage: Storage) -> None:
    """Person 21 only ever showed a masked PC-Covid code (the last 6 digits of the number),
    and so did a stranger whose number ends alike. No scan says which is person 21: both
    codes are candidates, and the answer says the match is weak and why. Before: no
    visit, "exact"."""
    mine = payload_identity(21, "pccovid_masked")
    stranger = pccovid("******" + number(21)[-6:], "LY VAN TAM", 1975)
    other = pccovid("******" + number(22)[-6:], "LY VAN TAM", 1975)  # other digits: not
    send(storage, [(mine, "CP-B", "in", local(13, 10)), (stranger, "CP-E", "in", local(13, 14)),
                   (other, "CP-E", "in", local(13, 16))])

    report = trace(storage, number(21), 13, 13)

    assert report["person"]["match"] == "weak"
    assert report["person"]["weak_by"] == "masked_code"
    [(_, _, summary)] = [t for t in trace_formats.tables(report) if t[0] == "Tóm tắt"]
    assert {"item": "Mức khớp / match", "value": "weak masked_code"} in summary
    assert set(report["person"]["keys"]) == {"doc:" + number(21), mine.match_key,
                                             stranger.match_key}
    assert visits(report) == [("CP-B", "10:00", "12:00", "exit"),
                              ("CP-E", "14:00", "16:00", "exit")]
    assert trace(storage, "001099000000", 13, 13)["person"]["weak_by"] is None


def test_each_visit_of_a_weak_trace_says_which_candidate_it_is_from(
        storage: Storage) -> None:
    """The masked-code trace above merges two people's codes: each visit names the
    candidate whose scans made it (``person``, a key of ``keys``), the export's visits sheet
    says it too, and a sheet lists the candidates, what each code said and its visits.
    Before, the tracer saw two visits and "may be another person", not whose each was."""
    mine = payload_identity(21, "pccovid_masked")
    stranger = pccovid("******" + number(21)[-6:], "LY VAN TAM", 1975)
    send(storage, [(mine, "CP-B", "in", local(13, 10)), (stranger, "CP-E", "in", local(13, 14)),
                   (stranger, "CP-E", "out", local(13, 15))])

    report = trace(storage, number(21), 13, 13)

    assert [(v["checkpoint_id"], v["person"]) for v in report["visits"]] == [
        ("CP-B", mine.match_key), ("CP-E", stranger.match_key)]
    sheets = {title: (columns, rows) for title, columns, rows in trace_formats.tables(report)}
    columns, rows = sheets["Lượt có mặt"]
    assert columns["person"] == "Mã nhận diện"
    assert [row["person"] for row in rows] == [mine.match_key, stranger.match_key]
    columns, rows = sheets["Ứng viên"]
    assert list(columns.values()) == ["Ứng viên", "Họ tên", "Năm sinh", "Số giấy tờ",
                                      "Điện thoại", "Loại mã đã quét", "Số lượt có mặt",
                                      "Mã nhận diện"]
    assert [(r["candidate"], r["name"], r["birth_year"], r["kinds"], r["visits"], r["person"])
            for r in rows] == [
        (1, "DANG THI GIANG", "1981", "pccovid", 1, mine.match_key),
        (2, "LY VAN TAM", "1975", "pccovid", 1, stranger.match_key)]
    exact = trace(storage, "001099000000", 13, 13)
    assert "Ứng viên" not in {title for title, _, _ in trace_formats.tables(exact)}


@pytest.mark.parametrize("policy", [tracing.Policy(), tracing.Policy(max_stay=600 * 60)],
                         ids=["kept stays", "stays built from scans"])
def test_time_shared_only_because_of_the_cases_assumed_stay_is_estimated(
        storage: Storage, policy: tracing.Policy) -> None:
    """The case (person 1) was scanned in at 14:00 and never out: her visit is assumed to
    last 2 hours. Phạm Thị Dung, in 15:30 – 17:00, shares 30 minutes with it that exist
    only by that assumption: her contact is estimated, though her own stay is not. Before,
    only the contact's stays were looked at: "estimated": false."""
    send(storage, [(payload_identity(1, "cccd"), "CP-A", "in", local(13, 14)),
                   (payload_identity(3, "cccd"), "CP-A", "in", local(13, 15, 30)),
                   (payload_identity(3, "cccd"), "CP-A", "out", local(13, 17))])

    report = trace_service.run(storage, trace_service.Request(
        document=number(1), start=local(13, 0).date(), end=local(13, 0).date(),
        policy=policy), actor="bs.lan", reason="F0-1", channel="cli", address=None)

    assert visits(report) == [("CP-A", "14:00", "16:00", "exit")]
    assert contacts(report) == [("Phạm Thị Dung", 30.0, True)]
    assert [e["estimated"] for e in report["exposures"]] == [True]


def test_a_masked_code_another_full_number_was_scanned_with_is_no_candidate(
        storage: Storage) -> None:
    """Person 21 only ever showed a masked code. Lý Văn Tâm's card carries another full
    number ending in the same 6 digits: a scan ties his code to that number, so it is not
    person 21's. Before: a candidate — his visit at CP-E handed to the tracer."""
    mine = payload_identity(21, "pccovid_masked")
    card = decode(f"001099{number(21)[-6:]}|123456789|Lý Văn Tâm|01021975|Nam|Huế|10102021"
                  .encode(), today=dt.date(2026, 11, 30))
    assert isinstance(card, Identity) and card.match_key.startswith(f"m:{number(21)[-6:]}|")
    send(storage, [(mine, "CP-B", "in", local(13, 10)), (card, "CP-E", "in", local(13, 14)),
                   (card, "CP-E", "out", local(13, 15))])

    report = trace(storage, number(21), 13, 13)

    assert report["person"]["weak_by"] == "masked_code"
    assert set(report["person"]["keys"]) == {"doc:" + number(21), mine.match_key}
    assert visits(report) == [("CP-B", "10:00", "12:00", "exit")]


def test_a_code_declaring_the_number_under_another_name_is_not_the_holders(
        storage: Storage) -> None:
    """Lý Văn Tâm's PC-Covid code declares person 1's number (a self-declared number may be
    anyone's). Before, a trace of her number merged it, "exact": his visit at CP-E and his
    neighbour Bùi Thị Lan were hers, and found_as mixed her name with his birth year. Now
    it is left out, and the answer says the match is weak and why."""
    binh, lan = payload_identity(1, "cccd"), payload_identity(7, "cccd")
    borrowed = pccovid(number(1), "LY VAN TAM", 1975)
    send(storage, [(binh, "CP-A", "in", local(13, 8)), (binh, "CP-A", "out", local(13, 9)),
                   (borrowed, "CP-E", "in", local(13, 14)),
                   (borrowed, "CP-E", "out", local(13, 15)),
                   (lan, "CP-E", "in", local(13, 14)), (lan, "CP-E", "out", local(13, 15))])

    report = trace(storage, number(1), 13, 13)

    assert visits(report) == [("CP-A", "08:00", "09:00", None)]
    assert contacts(report) == []
    assert report["person"]["keys"] == [binh.match_key]
    assert report["person"]["match"] == "weak"
    assert report["person"]["weak_by"] == "conflicting_holders"
    assert report["person"]["left_out_codes"] == 1
    [found] = report["person"]["found_as"]
    assert (found["name"], found["birth_year"], found["kinds"]) == (
        "Trần Thị Bình", "1961", ["cccd"])
    [(_, _, summary)] = [t for t in trace_formats.tables(report) if t[0] == "Tóm tắt"]
    assert {"item": "Mức khớp / match", "value": "weak conflicting_holders"} in summary


def test_without_a_card_the_name_most_codes_carry_is_the_holders(storage: Storage) -> None:
    """No card of person 1's number was scanned: her two PC-Covid codes (two birth years)
    outnumber the one code declaring it under another name."""
    mine = [pccovid(number(1), "TRAN THI BINH", year) for year in (1961, 1962)]
    borrowed = pccovid(number(1), "LY VAN TAM", 1975)
    send(storage, [(mine[0], "CP-A", "in", local(13, 8)), (mine[1], "CP-A", "out", local(13, 9)),
                   (borrowed, "CP-E", "in", local(13, 14))])

    report = trace(storage, number(1), 13, 13)

    assert visits(report) == [("CP-A", "08:00", "09:00", None)]
    assert report["person"]["weak_by"] == "conflicting_holders"
    assert report["person"]["left_out_codes"] == 1


def test_a_mis_declared_birth_year_under_the_holders_name_is_still_exact(
        storage: Storage) -> None:
    """The case's own code with her full number and name but 1962: merged, "exact"."""
    binh = payload_identity(1, "cccd")
    code = pccovid(number(1), "TRAN THI BINH", 1962)
    send(storage, [(binh, "CP-A", "in", local(13, 8)), (code, "CP-A", "out", local(13, 9))])

    report = trace(storage, number(1), 13, 13)

    assert visits(report) == [("CP-A", "08:00", "09:00", None)]
    assert (report["person"]["match"], report["person"]["weak_by"]) == ("exact", None)
    assert report["person"]["left_out_codes"] == 0


@pytest.mark.parametrize("typed", ["079000²²²²²²", "０７９０００００００２１"])
def test_a_number_of_other_scripts_digits_is_refused_in_words(
        storage: Storage, typed: str) -> None:
    """``str.isalnum`` takes superscript and full-width digits, and ``int`` then raised a
    ValueError: the Tracing page answered 500."""
    with pytest.raises(tracing.TraceError) as refused:
        trace(storage, typed, 13, 13)
    assert refused.value.words.code == "trace.bad_document"
