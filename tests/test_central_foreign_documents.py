"""A foreigner entered by hand with a passport numbered like a Vietnamese CMND is someone else.

At a border market the officer ticks «Giấy tờ nước ngoài» / *Foreign document* and types a
passport's number as printed: ``272845913``, nine digits, as a CMND has. Before, the centre
keyed it ``doc:272845913``, as the CMND of that number: a trace of the CMND's holder found
the foreigner's visits as theirs (and the foreigner's contacts as their contacts), and the
two were one person in the day's count. Now a foreign document is keyed ``fdoc:`` — by the
kiosk, again by the centre for the entries of kiosks from before (their form, kept as the raw
payload, says it was ticked) and for those it held when it reached schema v53 — and traced
with ``--foreign`` (a number no Vietnamese document has is found without it).

Real centres (SQLite files and a real PostgreSQL) and the real ``kiosk-central`` CLI.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from central_support import central, database_url, set_schema_version
from trace_support import payload_identity, wire_entry

from kiosk.central import derivation, people
from kiosk.central.backends import open_storage
from kiosk.central.schema import FOREIGN_DOCUMENT_KEYS_VERSION
from kiosk.central.trace_api import request_from
from kiosk.central.tracing import TraceError
from kiosk.ids import uuid7
from kiosk.payloads.manual import ManualEntry, decode_manual
from kiosk.sync import protocol

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HCM = dt.timezone(dt.timedelta(hours=7))
NOON = dt.datetime.combine(NOW.astimezone(HCM).date() - dt.timedelta(days=1), dt.time(12),
                           tzinfo=HCM)
"""Yesterday's noon at the centre (Asia/Ho_Chi_Minh): both visits on one local day."""
NUMBER = "272845913"
"""A CMND's number, and a foreign passport's."""
BINH = ManualEntry("Trần Văn Bình", document_number=NUMBER)
SMITH = ManualEntry("John Smith", document_number=NUMBER, foreign=True)
CONTACT_AT = {"CP-A": 7, "CP-B": 8}
"""Who scanned their card two minutes after each of them (trace_support's people)."""


def centre(tmp_path: Path, engine: str = "sqlite") -> str:
    db = database_url(engine, tmp_path)
    for n, point in enumerate(CONTACT_AT, start=1):
        central("kiosks", "add", "--db", db, "--checkpoint", point, "--new-checkpoint",
                "--name", f"Máy {n}", "--kiosk-id", f"k{n}")
    return db


def store_visits(db: str, *, before_v53: bool, days_apart: int = 0) -> None:
    """Bình (CMND) at CP-A at noon (``days_apart`` days earlier) and Smith (passport,
    ticked) at CP-B at one, a card holder right after each; ``before_v53``: Smith's kiosk
    keyed him ``doc:``."""
    with open_storage(db) as storage:
        for n, (point, form) in enumerate(zip(CONTACT_AT, (BINH, SMITH), strict=True)):
            kiosk, at = f"k{n + 1}", NOON + dt.timedelta(hours=n, days=(n - 1) * days_apart)
            entry = wire_entry(decode_manual(form), checkpoint=point, kiosk=kiosk,
                               direction="in", scanned_at=at)
            if before_v53:
                entry["subject_key"] = f"doc:{NUMBER}"
            card = wire_entry(payload_identity(CONTACT_AT[point], "cccd"), checkpoint=point,
                              kiosk=kiosk, direction="in",
                              scanned_at=at + dt.timedelta(minutes=2))
            results = storage.ingest_batch(kiosk, [entry, card],
                                           sent_at=protocol.format_time(NOW),
                                           received_at=NOW, batch_id=uuid7())
            assert [r["status"] for r in results] == ["accepted", "accepted"]
        derivation.catch_up(storage)


def trace(db: str, *args: str) -> dict:
    return json.loads(central("trace", "--db", db, *args, "--reason", "CASE-2026-001").stdout)


def people_held(db: str) -> int:
    with open_storage(db) as storage:
        return sum(people.per_day(storage, "0001-01-01", "9999-12-31").values())


def assert_apart(db: str) -> None:
    """A trace of the CMND finds Bình alone, one of the passport Smith alone; four people."""
    cmnd = trace(db, "--document", NUMBER)
    assert cmnd["person"]["keys"] == [f"doc:{NUMBER}"]
    assert [v["checkpoint_id"] for v in cmnd["visits"]] == ["CP-A"]
    assert [c["name"] for c in cmnd["contacts"]] == [payload_identity(7, "cccd").name]
    passport = trace(db, "--document", NUMBER, "--foreign")
    assert passport["person"]["query"] == {"document": NUMBER, "foreign": "yes"}
    assert passport["person"]["keys"] == [f"fdoc:{NUMBER}"]
    assert [v["checkpoint_id"] for v in passport["visits"]] == ["CP-B"]
    assert [c["name"] for c in passport["contacts"]] == [payload_identity(8, "cccd").name]
    assert people_held(db) == 4  # Bình, Smith and the two card holders


@pytest.mark.parametrize("kiosks", ["before v53", "now"])
def test_a_passport_numbered_like_a_cmnd_is_traced_apart_from_the_cmnds_holder(
        tmp_path: Path, kiosks: str) -> None:
    """Kiosks of today key the passport ``fdoc:``; the centre keys again, as they arrive,
    the entries of kiosks from before, whose form says the box was ticked."""
    db = centre(tmp_path)
    store_visits(db, before_v53=kiosks == "before v53")
    assert_apart(db)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("binh", ["the same day", "another day"])
def test_a_centre_reaching_v53_keys_the_foreign_documents_it_holds_and_counts_again(
        tmp_path: Path, engine: str, binh: str) -> None:
    """A centre that held Smith under the CMND's key (on the same day as Bình: one person,
    three in all; on another day, his own key's name changes, not the count) upgraded:
    two people, each traced alone."""
    db = centre(tmp_path, engine)
    store_visits(db, before_v53=False, days_apart=int(binh == "another day"))
    with open_storage(db) as storage, storage._transaction() as tx:  # as v51 held them
        storage._execute(tx, "UPDATE entries SET subject_key = $1 WHERE subject_key = $2",
                         (f"doc:{NUMBER}", f"fdoc:{NUMBER}"))
        if binh == "the same day":  # one person, counted at CP-A
            storage._execute(tx, "DELETE FROM day_subjects WHERE subject_key = $1",
                             (f"fdoc:{NUMBER}",))
            storage._execute(tx, "UPDATE checkpoint_days SET people = people - 1 "
                                 "WHERE checkpoint_id = 'CP-B'")
        else:  # the number's only holder that day: a lone document number
            storage._execute(tx, "UPDATE day_subjects SET subject_key = $1, lone_checkpoint "
                                 "= 'CP-B' WHERE subject_key = $2",
                             (f"doc:{NUMBER}", f"fdoc:{NUMBER}"))
        set_schema_version(storage, tx, FOREIGN_DOCUMENT_KEYS_VERSION - 1)
    with open_storage(db) as storage:  # the upgrade
        keys = storage._query("SELECT name, subject_key FROM entries WHERE kind = 'manual' "
                              "ORDER BY name")
    assert keys == [("John Smith", f"fdoc:{NUMBER}"), ("Trần Văn Bình", f"doc:{NUMBER}")]
    with open_storage(db) as storage:
        held = storage._query("SELECT subject_key, lone_checkpoint FROM day_subjects WHERE "
                              "subject_key LIKE '%' || $1 ORDER BY 1", (NUMBER,))
    assert held == [(f"doc:{NUMBER}", "CP-A"), (f"fdoc:{NUMBER}", None)]
    assert_apart(db)


def test_a_number_no_vietnamese_document_has_is_found_without_the_tick(
        tmp_path: Path) -> None:
    """A Chinese ID card's 18 digits: taken ticked, and traced by them as typed."""
    db = centre(tmp_path)
    visitor = decode_manual(ManualEntry("Li Wei", document_number="110105194912310021",
                                        foreign=True))
    with open_storage(db) as storage:
        entry = wire_entry(visitor, checkpoint="CP-A", kiosk="k1", direction="in",
                           scanned_at=NOW - dt.timedelta(hours=2))
        storage.ingest_batch("k1", [entry], sent_at=protocol.format_time(NOW),
                             received_at=NOW, batch_id=uuid7())
    for asked in ((), ("--foreign",)):
        answer = trace(db, "--document", "110105 19491231 0021", *asked)
        assert [v["checkpoint_id"] for v in answer["visits"]] == ["CP-A"]


def test_the_foreign_flag_goes_with_a_document_only(tmp_path: Path) -> None:
    db = centre(tmp_path)
    refused = central("trace", "--db", db, "--phone", "0912345678", "--foreign",
                      "--reason", "CASE-2026-001", check=False)
    assert refused.returncode == 2
    assert "foreign document: only with a document number" in refused.stderr
    assert request_from({"document": NUMBER, "foreign": True}).foreign is True
    with pytest.raises(TraceError) as error:
        request_from({"document": NUMBER, "foreign": "yes"})
    assert error.value.words.code == "trace.foreign_bool"
