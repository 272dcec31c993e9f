"""The 06:00 making of yesterday's report derives yesterday's entries only. Under uploads
serve gives way to them for up to two minutes (derivation.YIELD_SECONDS), so at 06:00 the
queue holds the new day's entries: deriving them all took the making 38-45 s on a province,
every kiosk's upload slowed meanwhile, and the file said the new day's entries arriving
meanwhile were "not counted yet" in a day they are not of. A real centre on either engine,
nothing running serve's background: what the making leaves stays queued."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from central_support import ENGINES, database_url
from report_support import GenKiosk, World, load, wire_entry

from kiosk.central import derivation, reports
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.central.storage import Storage
from kiosk.sync import protocol

KIOSK = GenKiosk("k1", "P1", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)


def _batch(storage: Storage, scans: list[tuple[dt.datetime, int]]) -> None:
    """One upload, now, of scans (when, person): queued for derivation, not derived."""
    now = dt.datetime.now(dt.UTC)
    storage.ingest_batch(KIOSK.id, [wire_entry(KIOSK, "P1", at, "in", False, person)
                                    for at, person in scans],
                         sent_at=protocol.format_time(now), received_at=now,
                         batch_id=str(uuid.uuid4()))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_making_derives_its_days_batches_and_leaves_the_new_days_to_serve(
        tmp_path: Path, engine: str) -> None:
    """Three uploads queued at the making: one of yesterday, one holding entries of both
    days (derived whole), one of today. Yesterday's file counts its three people with
    nothing said not counted; today's upload is still queued, for serve's background."""
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        load(storage, World("Asia/Ho_Chi_Minh", [Checkpoint(
            "P1", "Chợ Đồng Xoài", district="Đồng Xoài", kind="market",
            set_up_on="2026-10-01")], [KIOSK]))
        today = storage.today()
        day = today - dt.timedelta(days=1)
        noon = storage.calendar.start(day) + dt.timedelta(hours=12)
        this_morning = max(storage.calendar.start(today),
                           dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        _batch(storage, [(noon, 1), (noon + dt.timedelta(hours=1), 2)])
        _batch(storage, [(noon + dt.timedelta(hours=2), 3), (this_morning, 4)])
        _batch(storage, [(this_morning, 5), (this_morning, 6)])
        assert derivation.backlog(storage).pending == 6

        report = reports.made_daily(storage, day)

        assert report["summary"]["scans"] == 3
        assert report["summary"]["people"] == 3
        assert report["not_derived"] == {"pending_entries": 0, "set_aside_entries": 0}
        assert derivation.backlog(storage).pending == 2
        assert derivation.not_derived_of(storage, today.isoformat())[0] and not any(
            derivation.not_derived_of(storage, day.isoformat()))


@pytest.mark.parametrize("engine", ENGINES)
def test_the_making_derives_its_days_batch_queued_after_the_new_days(
        tmp_path: Path, engine: str) -> None:
    """Yesterday's entry reaches the centre after today's (a kiosk back online at 06:00):
    the making derives its batch, not the older one of today before it in the queue."""
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        load(storage, World("Asia/Ho_Chi_Minh", [Checkpoint(
            "P1", "Chợ Đồng Xoài", district="Đồng Xoài", kind="market",
            set_up_on="2026-10-01")], [KIOSK]))
        today = storage.today()
        day = today - dt.timedelta(days=1)
        noon = storage.calendar.start(day) + dt.timedelta(hours=12)
        this_morning = max(storage.calendar.start(today),
                           dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        _batch(storage, [(this_morning, 5), (this_morning, 6), (this_morning, 7)])
        _batch(storage, [(noon, 1)])

        report = reports.made_daily(storage, day)

        assert report["summary"]["people"] == 1
        assert report["not_derived"] == {"pending_entries": 0, "set_aside_entries": 0}
        assert derivation.backlog(storage).pending == 3
