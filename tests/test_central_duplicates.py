"""Repeat scans: a scan its kiosk marked ``duplicate`` (the same person scanned again within
the kiosk's duplicate window) is counted at the centre as the kiosk's own ``kiosk stats``
counts it — a scan, and a repeat scan (Quét trùng), but neither an entry nor an exit — so
that the officer's screen and the province's report agree about a point. A database counted
before schema v31 (every repeat scan an entry or exit) is corrected from the raw entries it
still holds; a day whose entries were purged keeps its figures."""

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
    undo_duplicates,
)
from report_support import DAY, GenBatch, GenKiosk, World, csv_table, load, wire_entry
from web_support import add_users, signed_in

from kiosk.central import reports
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import protocol


@pytest.mark.parametrize("engine", ENGINES)
def test_a_person_scanned_twice_at_the_gate_is_one_entry_and_one_repeat_scan(
        engine: str, tmp_path: Path) -> None:
    """At point A1 a kiosk scans the same card twice within its window: its screen says
    In 1, Duplicates 1. Uploaded over HTTP, the centre's daily report of that day says the
    same of A1 — 2 scans, 1 entry, no exit, 1 repeat scan — in its JSON, its CSV and on the
    Today page, where v30 said 2 entries."""
    db = database_url(engine, tmp_path)
    kiosk = enrol(db, "k-a1", "A1")
    add_users(db, {"viewer1": ("viewer", None)})
    store = Store(tmp_path / "kiosk.db")
    try:
        pipeline = Pipeline(store, Policy(checkpoint_id="A1", kiosk_id="k-a1"))
        for _ in range(2):
            pipeline.submit(Scan(payload=cccd(1), device_id="serial-1", lane="in",
                                 symbology="]Q1", source="serial"))
        on_screen = store.stats("A1")
        entries = [protocol.entry_to_wire(row) for row in store.pending(10)]
    finally:
        store.close()
    assert (on_screen.entries_in, on_screen.entries_out, on_screen.duplicates) == (1, 0, 1)
    assert [e["status"] for e in entries] == ["accepted", "duplicate"]

    with open_storage(db) as storage, serving(create_app(storage)) as url:
        assert send(url, kiosk, entries) == [protocol.ACCEPTED] * 2
        day = storage.today().isoformat()
        with signed_in(url, "viewer1") as client:
            report = client.get(f"/api/v1/reports/daily?date={day}").json()
            table = client.get(f"/reports/download?format=csv&date={day}").text
            today = client.get("/today").text
    counts = ("scans", "ins", "outs", "duplicates")
    assert {m: report["summary"][m] for m in counts} == {
        "scans": 2, "ins": 1, "outs": 0, "duplicates": 1}
    [point] = report["by_point"]
    assert {m: point[m] for m in counts} == {"scans": 2, "ins": 1, "outs": 0, "duplicates": 1}
    [district] = report["by_district"]
    assert (district["ins"], district["duplicates"]) == (1, 1)
    [row] = csv_table(table, "Theo điểm")
    assert {k: row[k] for k in ("Mã điểm", "Lượt quét", "Lượt vào", "Lượt ra", "Quét trùng")
            } == {"Mã điểm": "A1", "Lượt quét": "2", "Lượt vào": "1", "Lượt ra": "0",
                  "Quét trùng": "1"}
    summary = {r["Chỉ tiêu"]: r["Giá trị"] for r in csv_table(table, "Tổng hợp")}
    assert (summary["Lượt vào"], summary["Quét trùng"]) == ("1", "1")
    assert 'Vào 1 · Ra 0 · Quét trùng <span id="duplicates">1</span>' in today


@pytest.mark.parametrize("engine", ENGINES)
def test_a_database_counted_before_repeat_scans_is_corrected_from_the_entries_held(
        engine: str, tmp_path: Path) -> None:
    """v30 counted a repeat scan as an entry or an exit. Migrated, a day whose raw entries
    are held has its repeat scans counted and taken out of its entries and exits (its scans
    unchanged); a day whose raw entries were purged keeps its figures, its repeat scans
    unknown (0); no count goes below 0. A repeat scan arriving late afterwards is counted on
    its own day, and among the late arrivals of the day it arrived, like any entry."""
    kiosk = GenKiosk("k-a1", "A1", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
    world = World("Asia/Ho_Chi_Minh", [Checkpoint("A1", "Cổng A1", set_up_on="2026-11-01")],
                  [kiosk])
    noon = world.local_midnight(DAY) + dt.timedelta(hours=12)
    scans: list[dict[str, Any]] = []
    for minute, direction, person, status in ((0, "in", 1, "accepted"),
                                              (1, "in", 1, "duplicate"),
                                              (5, "out", 2, "accepted"),
                                              (6, "out", 2, "duplicate")):
        entry = wire_entry(kiosk, "A1", noon + dt.timedelta(minutes=minute), direction, False,
                           person)
        scans.append({**entry, "status": status,
                      "duplicate_of": scans[-1]["id"] if status == "duplicate" else None})
    world.batches.append(GenBatch(kiosk, scans, noon + dt.timedelta(minutes=10)))
    odd = DAY + dt.timedelta(days=1)
    world.batches.append(GenBatch(kiosk, [{**wire_entry(
        kiosk, "A1", world.local_midnight(odd) + dt.timedelta(hours=9), "in", False, 3),
        "status": "duplicate"}], world.local_midnight(odd) + dt.timedelta(hours=10)))
    purged = DAY - dt.timedelta(days=40)
    arrival = world.local_midnight(DAY + dt.timedelta(days=2)) + dt.timedelta(hours=8)
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        load(storage, world)
        with storage._transaction() as tx:  # as v30 counted and left it
            storage._execute(tx, "UPDATE checkpoint_days SET ins = 2, outs = 2 WHERE day = $1",
                             (DAY.isoformat(),))  # both repeat scans an entry or an exit
            storage._execute(tx, "UPDATE checkpoint_days SET ins = 0 WHERE day = $1",
                             (odd.isoformat(),))  # edited below its entries held
            undo_duplicates(storage, tx)
            storage._execute(tx, "INSERT INTO checkpoint_days (day, checkpoint_id, scans, ins, "
                                 "outs, manual, people) VALUES ($1, 'A1', 5, 3, 2, 0, 2)",
                             (purged.isoformat(),))
            set_schema_version(storage, tx, 30)

    with open_storage(db) as storage:
        def counts(day: dt.date) -> dict[str, int]:
            summary = reports.daily(storage, day, now=arrival)["summary"]
            return {m: summary[m] for m in ("scans", "ins", "outs", "duplicates")}

        assert counts(DAY) == {"scans": 4, "ins": 1, "outs": 1, "duplicates": 2}
        assert counts(purged) == {"scans": 5, "ins": 3, "outs": 2, "duplicates": 0}
        assert counts(odd) == {"scans": 1, "ins": 0, "outs": 0, "duplicates": 1}
        if storage.postgresql:  # the reports still read the day's counts from its key alone
            [(key,)] = storage._query("SELECT indexdef FROM pg_indexes "
                                      "WHERE indexname = 'checkpoint_days_pkey'")
            assert key.endswith(
                "INCLUDE (scans, ins, outs, manual, people, duplicates, nobody)")

        late = wire_entry(kiosk, "A1", noon + dt.timedelta(minutes=2), "in", False, 1)
        storage.ingest_batch("k-a1", [{**late, "status": "duplicate",
                                       "duplicate_of": scans[0]["id"]}],
                             sent_at=protocol.format_time(arrival), received_at=arrival,
                             batch_id=str(uuid.uuid4()))
        assert counts(DAY) == {"scans": 5, "ins": 1, "outs": 1, "duplicates": 3}
        arrived = reports.daily(storage, DAY + dt.timedelta(days=2), now=arrival)
        assert arrived["completeness"]["late_entries"] == [
            {"day": DAY.isoformat(), "entries": 1}]
