"""Generated provinces for the report tests: kiosks with right and wrong clocks, entries as a
kiosk sends them, and loading them into a real centre through ``ingest_batch``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.central import registry
from kiosk.central.audit import Actor
from kiosk.central.registry import Checkpoint
from kiosk.central.storage import PURGED_BEFORE, Storage
from kiosk.sync import protocol

DAY = dt.date(2026, 11, 15)
TESTS = Actor("tests@localhost", "cli")
"""Who changes the registry in a test that stores points itself (the audit log records it)."""
TABLES = ("entries", "batches", "kiosks", "checkpoint_versions", "checkpoint_periods",
          "checkpoints", "checkpoint_days", "checkpoint_hours", "late_arrivals", "refused_hours",
          "refused_changes", "day_people", "day_subjects", "kiosk_health",
          "kiosk_health_history", "derive_queue", "daily_reports", "monthly_reports")


@dataclass
class GenKiosk:
    id: str
    checkpoint_id: str
    clock_error: float
    """Kiosk clock minus true time, seconds."""
    created_at: dt.datetime
    revoked_tried_at: dt.datetime | None
    """Set for a revoked kiosk: when it last tried to upload."""
    one_way: bool = False
    """Records only entries (a kiosk on an entrance lane)."""


@dataclass
class GenBatch:
    kiosk: GenKiosk
    entries: list[dict[str, Any]]
    arrival: dt.datetime

    @property
    def sent_at(self) -> dt.datetime:
        return self.arrival - dt.timedelta(seconds=0.5) + dt.timedelta(
            seconds=self.kiosk.clock_error)

    @property
    def offset(self) -> float:
        return protocol.clock_offset_seconds(self.arrival, self.sent_at)


@dataclass
class World:
    zone: str
    points: list[Checkpoint]
    kiosks: list[GenKiosk]
    batches: list[GenBatch] = field(default_factory=list)
    now: dt.datetime = DAY

    def local_midnight(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), ZoneInfo(self.zone)).astimezone(dt.UTC)


def uuid7_at(moment: dt.datetime) -> str:
    """A UUIDv7 made at ``moment`` by that kiosk's clock (kiosk.ids.uuid7 goes back in time
    within one process only with a clock set back more than a second; generated kiosks'
    clocks go anywhere)."""
    ms = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    rand = uuid.uuid4().int
    return str(uuid.UUID(int=ms << 80 | 0x7 << 76 | (rand >> 64 & 0xFFF) << 64
                         | 0b10 << 62 | rand & ((1 << 62) - 1)))


def wire_entry(kiosk: GenKiosk, checkpoint: str, scanned_at: dt.datetime, direction: str,
           manual: bool, subject: int) -> dict[str, Any]:
    return {
        "id": uuid7_at(scanned_at), "checkpoint_id": checkpoint,
        "kiosk_id": kiosk.id, "device_id": "manual" if manual else "serial-1", "lane": None,
        "direction": direction, "status": "accepted", "duplicate_of": None,
        "source": "manual" if manual else "serial", "symbology": "]Q1",
        "scanned_at": protocol.format_time(scanned_at), "monotonic_ns": 1, "boot_id": "boot",
        "kind": "cccd", "subject_key": f"doc:00109900{subject:04d}", "match_key": None,
        "document_number": None, "name": None, "birth_date": None, "gender": None,
        "address": None, "issue_date": None, "extra": {}, "operator": "",
        "payload_b64": "MDAx"}


def load(storage: Storage, world: World, *, zone_first: str | None = None) -> None:
    """Wipe ``storage`` and store ``world`` through the same calls the API and CLI use;
    with ``zone_first``, under that zone, and then change the centre's to the world's."""
    with storage._transaction() as tx:
        for table in TABLES:
            storage._execute(tx, f"DELETE FROM {table}")
        storage._execute(tx, "DELETE FROM settings WHERE key = $1", (PURGED_BEFORE,))
    storage.set_timezone(zone_first or world.zone)
    registry.upsert(storage, world.points, today=DAY.isoformat(), by=TESTS)
    for kiosk in world.kiosks:
        storage.add_kiosk(kiosk.id, kiosk.checkpoint_id, kiosk.id, uuid.uuid4().hex)
        with storage._transaction() as tx:
            storage._execute(tx, "UPDATE kiosks SET created_at = $1 WHERE id = $2",
                             (protocol.format_time(kiosk.created_at), kiosk.id))
    for batch in world.batches:
        storage.ingest_batch(batch.kiosk.id, batch.entries,
                             sent_at=protocol.format_time(batch.sent_at),
                             received_at=batch.arrival, batch_id=str(uuid.uuid4()))
    if zone_first:
        storage.set_timezone(world.zone)
    for kiosk in world.kiosks:
        if kiosk.revoked_tried_at:
            storage.revoke_kiosk(kiosk.id)
            storage.note_refused_attempt(kiosk.id, kiosk.revoked_tried_at)


def csv_table(text: str, title: str) -> list[dict[str, str]]:
    """The rows of the section ``title`` of a report's CSV, by their Vietnamese headers."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    start = rows.index([f"# {title}"])
    headers = rows[start + 1]
    table = []
    for row in rows[start + 2:]:
        if not row:
            break
        table.append(dict(zip(headers, row, strict=True)))
    return table
