"""Tracing a person entered by hand by their phone number, however each officer typed it.

A person without a document is entered by hand with a name and a phone; the health tracer
has the case's phone. Before, ``kiosk-central trace --phone`` was refused (exit 2) and the
Tracing page had no phone field: such a person was found only by name, with any birth year
(at a province's size a common name shows only a count). And ``0912345678`` typed at one
point and ``+84 912 345 678`` at another made two subject keys, so a trace by name listed two
people. Now the phone is compared in E.164 (another country's number keeps its own code),
a manual entry's key is made from it — at the kiosk, and at the centre for the entries of
kiosks from before and those it held (schema v51) — and the trace marks the phone in the
audit log, so ``audit list --phone`` finds it.

Real centres (SQLite files and a real PostgreSQL), the real ``kiosk-central`` CLI, and
`kiosk-central serve` used in headless Chromium."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from central_support import (
    CentralServer,
    central,
    database_url,
    set_schema_version,
)
from selenium.webdriver.common.by import By
from trace_support import payload_identity, wire_entry
from web_support import add_users, browser, chromium_binaries, click_and_wait, log_in

from kiosk.central import derivation
from kiosk.central.backends import open_storage
from kiosk.central.schema import MANUAL_PHONE_KEYS_VERSION
from kiosk.ids import uuid7
from kiosk.payloads.identity import fold_name, payload_key
from kiosk.payloads.manual import ManualEntry, decode_manual, phone_subject
from kiosk.sync import protocol

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
MAI = "Lò Thị Mai"
AS_TYPED = {"CP-A": "0912345678", "CP-B": "+84 912 345 678"}
"""The phone Lò Thị Mai gave at each point, as each officer typed it."""
CONTACT_AT = {"CP-A": 7, "CP-B": 8}
"""Who scanned their card two minutes after her at each point (trace_support's people)."""


def store_visits(db: str, *, before_v51: bool) -> None:
    """Lò Thị Mai at CP-A 30 h ago (phone typed 0…) and at CP-B 5 h ago (+84 …), a card
    holder right after her each time; ``before_v51``: both kiosks key her as typed."""
    with open_storage(db) as storage:
        for n, (point, phone) in enumerate(AS_TYPED.items()):
            kiosk, at = f"k{n + 1}", NOW - dt.timedelta(hours=(30, 5)[n])
            entry = wire_entry(decode_manual(ManualEntry(name=MAI, phone=phone)),
                               checkpoint=point, kiosk=kiosk, direction="in", scanned_at=at)
            if before_v51:  # keyed by the phone as typed
                entry["subject_key"] = payload_key(
                    f"{fold_name(MAI)}|{phone.replace(' ', '')}".encode())
            card = wire_entry(payload_identity(CONTACT_AT[point], "cccd"), checkpoint=point,
                              kiosk=kiosk, direction="in", scanned_at=at + dt.timedelta(minutes=2))
            results = storage.ingest_batch(kiosk, [entry, card], sent_at=protocol.format_time(NOW),
                                           received_at=NOW, batch_id=uuid7())
            assert [r["status"] for r in results] == ["accepted", "accepted"]
        derivation.catch_up(storage)


def centre(tmp_path: Path, engine: str = "sqlite") -> str:
    db = database_url(engine, tmp_path)
    for n, point in enumerate(AS_TYPED, start=1):
        central("kiosks", "add", "--db", db, "--checkpoint", point, "--new-checkpoint",
                "--name", f"Máy {n}", "--kiosk-id", f"k{n}")
    return db


def trace(db: str, *args: str) -> dict:
    return json.loads(central("trace", "--db", db, *args, "--reason", "CASE-2026-001").stdout)


@pytest.mark.parametrize("kiosks", ["before v51", "now"])
def test_a_trace_by_phone_finds_both_visits_however_the_phone_was_typed(
        tmp_path: Path, kiosks: str) -> None:
    """Kiosks of today key her as one person; the centre keys again, as they arrive, the
    entries of kiosks from before, which keyed her by the phone as typed."""
    db = centre(tmp_path)
    store_visits(db, before_v51=kiosks == "before v51")
    for typed in ("0912 345 678", "+84912345678", "+84 91 234 5678"):
        answer = trace(db, "--phone", typed)
        assert answer["person"]["query"] == {"phone": "+84912345678"}
        assert answer["person"]["match"] == "exact"
        assert answer["person"]["keys"] == [phone_subject(MAI, "0912345678")]
        assert sorted(v["checkpoint_id"] for v in answer["visits"]) == ["CP-A", "CP-B"]
        assert sorted(c["name"] for c in answer["contacts"]) == sorted(
            payload_identity(p, "cccd").name for p in CONTACT_AT.values())
    named = trace(db, "--name", MAI, "--birth-year", "1990")
    assert len(named["person"]["found_as"]) == 1  # one person, not one per spelling


def test_a_phone_trace_is_audited_and_found_by_the_phone_however_written(
        tmp_path: Path) -> None:
    db = centre(tmp_path)
    store_visits(db, before_v51=False)
    seq = trace(db, "--phone", "0912345678")["audit"]
    for written in ("+84 912 345 678", "0912345678"):
        log = json.loads(central("audit", "list", "--db", db, "--phone", written,
                                 "--json").stdout)
        assert [(r["seq"], r["subject"]) for r in log] == [(seq, "phone +84912345678")]


def test_another_countrys_phone_is_traced_by_its_own_country_code(tmp_path: Path) -> None:
    db = centre(tmp_path)
    tourist = decode_manual(ManualEntry(name="John Smith", phone="+1 202 555 0143"))
    with open_storage(db) as storage:
        entry = wire_entry(tourist, checkpoint="CP-A", kiosk="k1", direction="in",
                           scanned_at=NOW - dt.timedelta(hours=2))
        storage.ingest_batch("k1", [entry], sent_at=protocol.format_time(NOW),
                             received_at=NOW, batch_id=uuid7())
    assert [v["checkpoint_id"] for v in trace(db, "--phone", "+12025550143")["visits"]] == [
        "CP-A"]
    refused = central("trace", "--db", db, "--phone", "202 555 0143",  # no country: whose?
                      "--reason", "CASE-2026-001", check=False)
    assert refused.returncode == 2
    assert ("phone number '202 555 0143': expected 0… (Vietnam) or + a country code"
            in refused.stderr)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_centre_reaching_v51_keys_its_manual_entries_by_the_phone_and_counts_one_person(
        tmp_path: Path, engine: str) -> None:
    """A centre that held her two spellings as two people (on one day: counted twice in
    the day's people) upgraded: one person, in a trace by name and in the count."""
    db = centre(tmp_path, engine)
    store_visits(db, before_v51=False)
    old = {phone: payload_key(f"{fold_name(MAI)}|{phone.replace(' ', '')}".encode())
           for phone in AS_TYPED.values()}
    with open_storage(db) as storage, storage._transaction() as tx:  # as v50 held them
        for phone, key in old.items():
            storage._execute(tx, "UPDATE entries SET subject_key = $1, local_day = $2 "
                                 "WHERE kind = 'manual' AND CAST(extra AS TEXT) LIKE $3",
                             (key, "2026-12-01", f'%"{phone.replace(" ", "")}"%'))
        storage._execute(tx, "DELETE FROM day_subjects")
        storage._execute(tx, "INSERT INTO day_subjects (day, subject_key) VALUES ($1, $2), "
                             "($1, $3)", ("2026-12-01", *old.values()))
        set_schema_version(storage, tx, MANUAL_PHONE_KEYS_VERSION - 1)
    with open_storage(db) as storage:  # the upgrade
        keys = storage._query("SELECT DISTINCT subject_key FROM entries WHERE kind = 'manual'")
        day = storage._query("SELECT subject_key FROM day_subjects WHERE day = '2026-12-01'")
    assert keys == [(phone_subject(MAI, "0912345678"),)]
    assert day == [(phone_subject(MAI, "0912345678"),)]
    named = trace(db, "--name", MAI, "--birth-year", "1990")
    assert len(named["person"]["found_as"]) == 1


@pytest.mark.skipif(chromium_binaries() is None, reason="chromium + chromium-driver not installed")
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_tracing_page_traces_by_phone(tmp_path: Path, lang: str) -> None:
    db = centre(tmp_path)
    store_visits(db, before_v51=True)
    with open_storage(db) as storage:  # her husband, entered with the same phone
        husband = decode_manual(ManualEntry(name="Vàng A Páo", phone="0912 345 678"))
        storage.ingest_batch("k1", [wire_entry(husband, checkpoint="CP-A", kiosk="k1",
                                               direction="in", scanned_at=NOW - dt.timedelta(
                                                   hours=29))],
                             sent_at=protocol.format_time(NOW), received_at=NOW,
                             batch_id=uuid7())
    add_users(db, {"tracer1": ("tracer", None)})
    server = CentralServer(db)
    try:
        with browser() as chrome:
            chrome.get(f"{server.url}/lang/{lang}?next=/login")
            log_in(chrome, server.url, "tracer1")
            chrome.get(server.url + "/tracing")
            chrome.find_element(By.ID, "phone").send_keys("+84 912 345 678")
            chrome.find_element(By.ID, "reason").send_keys("ca bệnh F0-1234")
            click_and_wait(chrome, chrome.find_element(By.ID, "trace"))
            weak = chrome.find_element(By.ID, "weak-match").text
            candidates = chrome.find_element(By.ID, "candidates").text
            visits = chrome.find_elements(By.CSS_SELECTOR, "#visits tr")
    finally:
        server.stop()
    assert weak == {"vi": "nhiều người được nhập tay với số điện thoại này (số của gia đình, "
                          "số dùng chung): mỗi người là một ứng viên",
                    "en": "several people were entered by hand with this phone number (a "
                          "family's, a shared one): each is a candidate"}[lang]
    assert MAI in candidates and "Vàng A Páo" in candidates
    assert len(visits) == 1 + 3  # a header; her two visits and his one
    log = json.loads(central("audit", "list", "--db", db, "--phone", "0912345678",
                             "--json").stdout)
    assert [(r["channel"], r["subject"]) for r in log] == [("web", "phone +84912345678")]
