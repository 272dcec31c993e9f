"""Codes that name nobody: a web address, a product or venue code (kind ``other``) scanned at a
kiosk is recorded and uploaded, and the centre counts it as the kiosk's own ``kiosk stats``
counts it since the kiosk's store v16 — a scan, and a code naming nobody (Mã không phải giấy
tờ), but neither an entry, an exit nor a person — so that a point whose officers scan a
product code and then, asked by the amber card, the man's ID, counts one man, not two, in
the province's reports. A database counted before schema v58 is corrected from the raw
entries it still holds; a day whose entries were purged keeps its figures."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from central_support import (
    ENGINES,
    cccd,
    database_url,
    enrol,
    send,
    serving,
    set_schema_version,
)
from report_support import csv_table
from web_support import add_users, signed_in

from kiosk.central import reports
from kiosk.central.aggregates import pack_report
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.schema import NOBODY_VERSION
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import protocol

PRODUCT_CODE = b"https://example.vn/menu"
"""A venue's menu: a code that names nobody."""


def product_code_then_card(tmp_path: Path) -> tuple[list[dict[str, Any]], Any]:
    """At point A1 the officer scans a product code (the amber card: ask for the ID), then
    the man's ID card, both on the way in: the wire entries its kiosk sends, and what its
    own screen counts."""
    store = Store(tmp_path / "kiosk.db")
    try:
        pipeline = Pipeline(store, Policy(checkpoint_id="A1", kiosk_id="k-a1"))
        for payload in (PRODUCT_CODE, cccd(1)):
            pipeline.submit(Scan(payload=payload, device_id="serial-1", lane="in",
                                 symbology="]Q1", source="serial"))
        on_screen = store.stats("A1")
        entries = [protocol.entry_to_wire(row) for row in store.pending(10)]
    finally:
        store.close()
    return entries, on_screen


@pytest.mark.parametrize("engine", ENGINES)
def test_a_product_code_then_the_card_is_one_person_entering_in_the_centres_reports(
        engine: str, tmp_path: Path) -> None:
    """The kiosk's screen says In 1, Codes naming nobody 1. Uploaded over HTTP, the centre's
    daily report of that day says the same of A1 — 2 scans, 1 entry, 1 code naming nobody,
    1 person — in its JSON, its CSV and on the Today page, and so does the month's report,
    where v57 said 2 entries and 2 people."""
    db = database_url(engine, tmp_path)
    kiosk = enrol(db, "k-a1", "A1")
    add_users(db, {"viewer1": ("viewer", None)})
    entries, on_screen = product_code_then_card(tmp_path)
    assert (on_screen.entries_in, on_screen.not_id) == (1, 1)
    assert [e["kind"] for e in entries] == ["other", "cccd"]

    with open_storage(db) as storage, serving(create_app(storage)) as url:
        assert send(url, kiosk, entries) == [protocol.ACCEPTED] * 2
        day = storage.today().isoformat()
        with signed_in(url, "viewer1") as client:
            report = client.get(f"/api/v1/reports/daily?date={day}").json()
            table = client.get(f"/reports/download?format=csv&date={day}").text
            today = client.get("/today").text
            month = client.get(f"/api/v1/reports/monthly?month={day[:7]}").json()
    counts = ("scans", "ins", "outs", "duplicates", "nobody")
    assert report["version"] == 5
    assert {m: report["summary"][m] for m in (*counts, "people")} == {
        "scans": 2, "ins": 1, "outs": 0, "duplicates": 0, "nobody": 1, "people": 1}
    [point] = report["by_point"]
    assert {m: point[m] for m in counts} == {
        "scans": 2, "ins": 1, "outs": 0, "duplicates": 0, "nobody": 1}
    [district] = report["by_district"]
    assert (district["ins"], district["nobody"]) == (1, 1)
    assert report["not_scanning"] == []  # a place with scans is scanning
    [row] = csv_table(table, "Theo điểm")
    assert {k: row[k] for k in ("Mã điểm", "Lượt quét", "Lượt vào", "Mã không phải giấy tờ")
            } == {"Mã điểm": "A1", "Lượt quét": "2", "Lượt vào": "1",
                  "Mã không phải giấy tờ": "1"}
    summary = {r["Chỉ tiêu"]: r["Giá trị"] for r in csv_table(table, "Tổng hợp")}
    assert (summary["Lượt vào"], summary["Mã không phải giấy tờ"], summary["Số người"]) == (
        "1", "1", "1")
    assert 'Mã không phải giấy tờ <span id="nobody">1</span>' in today
    assert {m: month["summary"][m] for m in counts} == {
        "scans": 2, "ins": 1, "outs": 0, "duplicates": 0, "nobody": 1}
    [of_day] = [r for r in month["by_day"] if r["day"] == day]
    assert (of_day["ins"], of_day["nobody"], of_day["people"]) == (1, 1, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_counted_before_codes_naming_nobody_is_corrected_from_the_entries_held(
        engine: str, tmp_path: Path) -> None:
    """v57 counted a code naming nobody as an entry and a person. Migrated, a day whose raw
    entries are held has such codes counted and taken out of its entries and its people (its
    scans unchanged); a day whose raw entries were purged keeps its figures, its codes
    naming nobody unknown (0), its people as frozen. A month kept for the dashboard, counted
    by the old days, is built again."""
    db = database_url(engine, tmp_path)
    enrol(db, "k-a1", "A1")
    entries, _ = product_code_then_card(tmp_path)
    with open_storage(db) as storage:
        day = storage.today()
        purged = day - dt.timedelta(days=40)
        now = dt.datetime.now(dt.UTC)
        storage.ingest_batch("k-a1", entries, sent_at=protocol.format_time(now),
                             received_at=now, batch_id=str(uuid.uuid4()))

        def counts(of: dt.date) -> dict[str, int]:
            summary = reports.daily(storage, of, now=now + dt.timedelta(days=2))["summary"]
            return {m: summary[m] for m in ("scans", "ins", "nobody", "people")}

        assert counts(day) == {"scans": 2, "ins": 1, "nobody": 1, "people": 1}
        with storage._transaction() as tx:  # as v57 counted and left it
            storage._execute(tx, "UPDATE checkpoint_days SET ins = 2, people = 2 "
                                 "WHERE day = $1", (day.isoformat(),))
            set_schema_version(storage, tx, NOBODY_VERSION - 1)
            storage._execute(tx, "INSERT INTO checkpoint_days (day, checkpoint_id, scans, ins, "
                                 "outs, manual, people) VALUES ($1, 'A1', 5, 3, 2, 0, 4)",
                             (purged.isoformat(),))
            storage._execute(tx, "INSERT INTO monthly_reports (month, timezone, made_at, "
                                 "report) VALUES ($1, $2, $3, $4)",
                             (purged.isoformat()[:7], storage.calendar.name,
                              protocol.format_time(now), pack_report({"version": 4})))
            storage._execute(tx, "INSERT INTO day_people (day, people, counted_at) "
                                 "VALUES ($1, 4, $2)", (purged.isoformat(),
                                                        protocol.format_time(now)))

    with open_storage(db) as storage:
        assert storage.upgraded_from == NOBODY_VERSION - 1
        assert counts(day) == {"scans": 2, "ins": 1, "nobody": 1, "people": 1}
        assert counts(purged) == {"scans": 5, "ins": 3, "nobody": 0, "people": 4}
        assert storage._query("SELECT month FROM monthly_reports") == []  # built again
        if storage.postgresql:  # the reports still read the day's counts from its key alone
            [(key,)] = storage._query("SELECT indexdef FROM pg_indexes "
                                      "WHERE indexname = 'checkpoint_days_pkey'")
            assert key.endswith("INCLUDE (scans, ins, outs, manual, people, duplicates, nobody)")
