"""Her PC-Covid code read with an eth for Đ and her card are one person, at the centre too.

A scanner typing cp1258's Alt codes on a cp1252 kiosk sends the Đ of a PC-Covid code's
"ĐẶNG THỊ TRÂM" as Ð (U+00D0, the Icelandic eth: cp1252's byte 0xD0). The code is taken (a
PC-Covid name may hold another language's letters), and kiosks before store v15 folded her
name to "ÐANG THI TRAM" in its match key, apart from her card's "DANG THI TRAM": at the
market, in by her card and out by her code, she was two contacts of the person traced (each
with a 2-hour estimated stay) and two people in the day's count. No Vietnamese name holds an
eth, so it folds as D now (docs/domain.md, "What scanners really send"); a centre reaching
schema v57 folds the keys it holds again, and those older kiosks still send as they arrive.

Real centres (SQLite files and a real PostgreSQL) and the real ``kiosk-central`` CLI.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from central_support import central, database_url, set_schema_version
from trace_support import wire_entry

from kiosk.central import derivation, people
from kiosk.central.backends import open_storage
from kiosk.central.schema import ETH_KEYS_VERSION
from kiosk.ids import uuid7
from kiosk.payloads import Identity, decode
from kiosk.sync import protocol

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HCM = dt.timezone(dt.timedelta(hours=7))
NOON = dt.datetime.combine(NOW.astimezone(HCM).date() - dt.timedelta(days=1), dt.time(12),
                           tzinfo=HCM)
"""Yesterday's noon at the centre (Asia/Ho_Chi_Minh)."""
TODAY = NOW.astimezone(HCM).date()
BINH = decode("079000000001|123456789|Trần Thị Bình|01021961|Nữ|Số 1 Lê Lợi, Huế|10102021"
              .encode(), today=TODAY)
TRAM_CARD = decode("079000000005||Đặng Thị Trâm|01021965|Nữ|Số 5 Lê Lợi, Huế|10102021"
                   .encode(), today=TODAY)
OLD_KEY = "m:000005|ÐANG THI TRAM|1965"
"""Her PC-Covid code's match key as kiosks before store v15 made it: the eth kept."""


def tram_code(number: str) -> Identity:
    """Her PC-Covid code (``number`` in full or masked), its Đ read as cp1252's Ð."""
    code = decode(f"{number}|ÐANG THI TRAM|1965-**-**|0|1234567|".encode(), today=TODAY)
    assert isinstance(code, Identity) and code.name == "ÐANG THI TRAM"
    return code


def centre(tmp_path: Path, engine: str) -> str:
    db = database_url(engine, tmp_path)
    central("kiosks", "add", "--db", db, "--checkpoint", "CP-CHO", "--new-checkpoint",
            "--name", "Máy chợ", "--kiosk-id", "k1")
    return db


def store_market(db: str, number: str, *, old_key: str) -> None:
    """Bình at the market 12:00-13:00 by her card; Trâm in by her card at 12:10 and out by
    her PC-Covid code at 12:40. ``old_key``: where her code's entry holds the key older
    kiosks made — ``"held"``: a centre before v57 holds it, and what it derived from it
    (its schema version is set back); ``"sent"``: a kiosk before store v15 sends it."""
    scans = [(BINH, "in", 0), (TRAM_CARD, "in", 10), (tram_code(number), "out", 40),
             (BINH, "out", 60)]
    entries = [wire_entry(identity, checkpoint="CP-CHO", kiosk="k1", direction=direction,
                          scanned_at=NOON + dt.timedelta(minutes=minutes))
               for identity, direction, minutes in scans]
    if old_key == "sent":
        entries[2]["match_key"] = OLD_KEY
    with open_storage(db) as storage:
        results = storage.ingest_batch("k1", entries, sent_at=protocol.format_time(NOW),
                                       received_at=NOW, batch_id=uuid7())
        assert {r["status"] for r in results} == {"accepted"}
        if old_key == "held":  # before anything is derived from it
            with storage._transaction() as tx:
                storage._execute(tx, "UPDATE entries SET match_key = $1 WHERE kind = 'pccovid'",
                                 (OLD_KEY,))
        derivation.catch_up(storage)
        if old_key == "held":
            assert people_held(storage) == 3  # Bình, Trâm's card, Trâm's code
            with storage._transaction() as tx:
                set_schema_version(storage, tx, ETH_KEYS_VERSION - 1)


def people_held(storage) -> int:
    return sum(people.per_day(storage, "0001-01-01", "9999-12-31").values())


def trace(db: str, number: str) -> dict:
    return json.loads(central("trace", "--db", db, "--document", number, "--from",
                              NOON.date().isoformat(), "--to", NOON.date().isoformat(),
                              "--reason", "CASE-2026-001").stdout)


def assert_one_person(db: str) -> None:
    """Trâm is one contact of Bình's, there 12:10-12:40 (her card's entry and her code's
    exit one stay, nothing estimated), named as her card says; Bình's trace and Trâm's own
    find one another; the day holds two people."""
    contacts = trace(db, "079000000001")["contacts"]
    assert [(c["name"], c["document_number"], c["overlap_minutes"], c["estimated"])
            for c in contacts] == [("Đặng Thị Trâm", "079000000005", 30.0, False)]
    hers = trace(db, "079000000005")
    assert [(v["minutes"], v["estimated"]) for v in hers["visits"]] == [(30.0, None)]
    assert [c["name"] for c in hers["contacts"]] == ["Trần Thị Bình"]
    with open_storage(db) as storage:
        assert people_held(storage) == 2
        assert storage._query("SELECT DISTINCT match_key FROM entries WHERE match_key LIKE $1",
                              ("%000005%",)) == [("m:000005|DANG THI TRAM|1965",)]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("number", ["079000000005", "******000005"])
def test_a_centre_reaching_v57_folds_the_eth_her_code_and_card_one_contact(
        tmp_path: Path, engine: str, number: str) -> None:
    """A centre that held her code under the eth's key (its full number, or masked) upgraded:
    the keys, the document matches, the day's people and the stays are folded again."""
    db = centre(tmp_path, engine)
    store_market(db, number, old_key="held")
    with open_storage(db) as storage:  # the upgrade
        assert storage.upgraded_from == ETH_KEYS_VERSION - 1
        assert storage._query("SELECT DISTINCT match_key FROM document_matches ORDER BY 1") \
            == [("m:000001|TRAN THI BINH|1961",), ("m:000005|DANG THI TRAM|1965",)]
    assert_one_person(db)


@pytest.mark.parametrize("number", ["079000000005", "******000005"])
def test_an_older_kiosks_eth_key_is_folded_as_it_arrives(tmp_path: Path, number: str) -> None:
    """A kiosk not upgraded yet still sends the eth's key: the centre stores it folded, and
    its resend (the answer lost) is the entry held, a duplicate."""
    db = centre(tmp_path, "sqlite")
    store_market(db, number, old_key="sent")
    assert_one_person(db)
    entry = wire_entry(tram_code(number), checkpoint="CP-CHO", kiosk="k1", direction="out",
                       scanned_at=NOON + dt.timedelta(minutes=40))
    with open_storage(db) as storage:
        held = storage._query("SELECT id FROM entries WHERE kind = 'pccovid'")[0][0]
        again = {**entry, "id": held, "match_key": OLD_KEY}
        results = storage.ingest_batch("k1", [again], sent_at=protocol.format_time(NOW),
                                       received_at=NOW, batch_id=uuid7())
    assert [r["status"] for r in results] == ["duplicate"]


def test_who_was_shown_her_code_before_the_upgrade_is_still_found(tmp_path: Path) -> None:
    """Bình's trace, made before the upgrade, showed Trâm's PC-Covid code under its eth's key
    (its keys are kept as marks in the audit log, never rewritten). Trâm asks who was shown
    her data, by her number or by her code: that trace is found — the upgrade folded the
    keys held, and the marks are looked for under both spellings."""
    db = centre(tmp_path, "sqlite")
    code = tram_code("079000000005")
    entries = [wire_entry(identity, checkpoint="CP-CHO", kiosk="k1", direction=direction,
                          scanned_at=NOON + dt.timedelta(minutes=minutes))
               for identity, direction, minutes in ((BINH, "in", 0), (code, "in", 10),
                                                    (code, "out", 40), (BINH, "out", 60))]
    with open_storage(db) as storage:
        storage.ingest_batch("k1", entries, sent_at=protocol.format_time(NOW),
                             received_at=NOW, batch_id=uuid7())
        with storage._transaction() as tx:  # as a centre before v57 held it
            storage._execute(tx, "UPDATE entries SET match_key = $1 WHERE kind = 'pccovid'",
                             (OLD_KEY,))
    assert [c["person"] for c in trace(db, "079000000001")["contacts"]] == [OLD_KEY]
    with open_storage(db) as storage, storage._transaction() as tx:
        set_schema_version(storage, tx, ETH_KEYS_VERSION - 1)
    masked = "******000005|ÐANG THI TRAM|1965-**-**|0|1234567|"
    for asked in (("--disclosed", "079000000005"), ("--code", masked)):
        listed = central("audit", "list", *asked, "--json", "--db", db).stdout
        assert [r["subject"] for r in json.loads(listed)] == ["document 079000000001"], asked
