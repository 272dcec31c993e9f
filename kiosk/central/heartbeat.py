"""Kiosk health at the centre: the latest report per kiosk, and 30 days of history.

A report arrives alone (``POST /api/v1/heartbeat``, when the kiosk has nothing to upload) or
with a batch. Either way it counts as contact (``last_seen_at``) and measures the clock.
The kiosk's refused scans per hour go to ``refused_hours`` for the daily report; each count
is the hour's whole count so far, so a report sent twice, or late, changes nothing. Hours on
a kiosk clock further off than the tolerance are moved by the measured offset.
"""

from __future__ import annotations

import datetime as dt
import json

import msgspec

from kiosk.central.localdays import CLOCK_TOLERANCE_SECONDS
from kiosk.central.storage import Storage
from kiosk.sync import protocol

HISTORY_DAYS = 30
_HOUR = "%Y-%m-%dT%H"


def record(storage: Storage, kiosk_id: str, health: protocol.Health,
           received_at: dt.datetime, clock_offset: float) -> None:
    """Keep ``health`` as the kiosk's latest, in its history, and note the contact."""
    at = protocol.format_time(received_at)
    report = msgspec.to_builtins(health)
    devices = json.dumps(report["devices"], ensure_ascii=False, sort_keys=True)
    history = json.dumps({**report, "clock_offset_seconds": clock_offset},
                         ensure_ascii=False, sort_keys=True)
    shift = (dt.timedelta(hours=round(clock_offset / 3600))
             if abs(clock_offset) > CLOCK_TOLERANCE_SECONDS else dt.timedelta())
    refused = sorted(((dt.datetime.strptime(hour, _HOUR) + shift).strftime(_HOUR), count)
                     for hour, count in health.refused_by_hour.items())
    cutoff = protocol.format_time(received_at - dt.timedelta(days=HISTORY_DAYS))
    with storage._transaction() as tx:
        storage._execute(
            tx, "INSERT INTO kiosk_health (kiosk_id, received_at, clock_offset_seconds, "
                "software_version, pending, oldest_pending_seconds, rejected, "
                "free_disk_bytes, devices) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                "ON CONFLICT (kiosk_id) DO UPDATE SET received_at = excluded.received_at, "
                "clock_offset_seconds = excluded.clock_offset_seconds, "
                "software_version = excluded.software_version, pending = excluded.pending, "
                "oldest_pending_seconds = excluded.oldest_pending_seconds, "
                "rejected = excluded.rejected, free_disk_bytes = excluded.free_disk_bytes, "
                "devices = excluded.devices",
            (kiosk_id, at, clock_offset, health.software_version, health.pending,
             health.oldest_pending_seconds, health.rejected, health.free_disk_bytes, devices))
        storage._execute(tx, "INSERT INTO kiosk_health_history (kiosk_id, received_at, report) "
                             "VALUES ($1, $2, $3)", (kiosk_id, at, history))
        storage._execute(tx, "DELETE FROM kiosk_health_history WHERE kiosk_id = $1 AND "
                             "received_at < $2", (kiosk_id, cutoff))
        for hour, count in refused:
            storage._execute(tx, "INSERT INTO refused_hours (kiosk_id, hour, refused) "
                                 "VALUES ($1, $2, $3) ON CONFLICT (kiosk_id, hour) DO UPDATE "
                                 "SET refused = excluded.refused", (kiosk_id, hour, count))
        storage._execute(tx, "UPDATE kiosks SET last_seen_at = $1, last_clock_offset = $2 "
                             "WHERE id = $3", (at, clock_offset, kiosk_id))


def latest(storage: Storage, kiosk_id: str) -> dict | None:
    """The kiosk's latest report as stored (with when it came and the clock offset then)."""
    rows = storage._query(
        "SELECT received_at, clock_offset_seconds, software_version, pending, "
        "oldest_pending_seconds, rejected, free_disk_bytes, devices FROM kiosk_health "
        "WHERE kiosk_id = $1", (kiosk_id,))
    if not rows:
        return None
    names = ("received_at", "clock_offset_seconds", "software_version", "pending",
             "oldest_pending_seconds", "rejected", "free_disk_bytes", "devices")
    out = dict(zip(names, rows[0], strict=True))
    if isinstance(out["devices"], str):  # SQLite keeps JSON text, PostgreSQL JSONB
        out["devices"] = json.loads(out["devices"])
    return out


def history(storage: Storage, kiosk_id: str) -> list[dict]:
    """The kiosk's reports of the last 30 days, oldest first."""
    rows = storage._query("SELECT received_at, report FROM kiosk_health_history WHERE "
                          "kiosk_id = $1 ORDER BY received_at", (kiosk_id,))
    return [{"received_at": at, **(json.loads(r) if isinstance(r, str) else r)}
            for at, r in rows]
