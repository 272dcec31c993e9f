"""Kiosks as the dashboard shows them: enrolment, last contact, clock offset, and the latest
heartbeat (version, pending backlog, free disk, devices), with what looks wrong flagged by
the same rule as the daily report (:mod:`kiosk.central.kiosk_rules`)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from kiosk.central import set_aside_rows
from kiosk.central.kiosk_rules import (
    backlog_age,
    has_entries_to_bring,
    kiosk_problems,
    unknown_backlog_age,
)
from kiosk.central.storage import Storage

_SELECT = (
    "SELECT k.id, k.checkpoint_id, k.name, k.created_at, k.revoked_at, k.last_seen_at, "
    "k.last_clock_offset, k.entries, c.district, c.name, h.software_version, h.pending, "
    "h.oldest_pending_seconds, h.free_disk_bytes, h.devices, h.received_at, h.uploads_paused, "
    "c.closed_on, h.sources "
    "FROM kiosks k LEFT JOIN checkpoints c ON c.id = k.checkpoint_id "
    "LEFT JOIN kiosk_health h ON h.kiosk_id = k.id")
_FIELDS = ("id", "checkpoint_id", "name", "created_at", "revoked_at", "last_seen_at",
           "clock_offset", "entries", "district", "checkpoint_name", "version", "pending",
           "oldest_pending_seconds", "free_disk_bytes", "devices", "heartbeat_at",
           "uploads_paused", "closed_on", "sources")


def kiosk_rows(storage: Storage, *, checkpoint_id: str | None = None,
               district: str | None = None, now: dt.datetime | None = None
               ) -> list[dict[str, Any]]:
    """Kiosks (of one checkpoint, or of one district), each with ``problems`` (keys of
    ``problem.*`` texts; none for a revoked kiosk, nor for one whose point is closed
    today, ``point_closed``, unless it ``holds_entries`` (its latest health report says
    entries pending or uploads paused): nothing else is expected of either, as the daily
    report chases neither), ``oldest_pending_seconds`` as of ``now`` (:func:`backlog_age`),
    ``oldest_pending`` (how a backlog of unknown age is worded, as
    in the daily report; else None), ``devices`` as a list of (name, state) and
    ``sources``: the machines its token was heard from at overlapping times
    (:func:`kiosk.central.heartbeat.machines`; empty: one); ``set_aside``: its sources
    whose entries are set aside (:func:`kiosk.central.set_aside_rows.held`)."""
    set_aside = set_aside_rows.held(storage)
    sql, params = _SELECT, []
    if checkpoint_id is not None:
        sql += " WHERE k.checkpoint_id = $1"
        params.append(checkpoint_id)
    elif district is not None:
        sql += " WHERE c.district = $1"
        params.append(district)
    now = now or dt.datetime.now(dt.UTC)
    today = storage.calendar.day_of(now).isoformat()
    rows = []
    for values in storage._query(sql + " ORDER BY k.checkpoint_id, k.id", params):
        row = dict(zip(_FIELDS, values, strict=True))
        devices = row["devices"]
        if isinstance(devices, str | bytes):
            devices = json.loads(devices)
        row["devices"] = _device_states(devices)
        if isinstance(row["sources"], str | bytes):
            row["sources"] = json.loads(row["sources"])
        row["sources"] = row["sources"] or []
        row["set_aside"] = set_aside.get(row["id"], [])
        row["point_closed"] = row["closed_on"] is not None and row["closed_on"] <= today
        row["holds_entries"] = has_entries_to_bring(row["pending"], row["uploads_paused"])
        chased = row["revoked_at"] is None and (not row["point_closed"]
                                                or row["holds_entries"])
        row["oldest_pending_seconds"] = backlog_age(row["oldest_pending_seconds"],
                                                    row["heartbeat_at"], now)
        row["problems"] = [] if not chased else kiosk_problems(
            row["last_seen_at"], row["clock_offset"], row["oldest_pending_seconds"], now,
            row["uploads_paused"], len(row["sources"]))
        row["oldest_pending"] = unknown_backlog_age(row["pending"],
                                                    row["oldest_pending_seconds"],
                                                    row["problems"])
        rows.append(row)
    return rows


def _device_states(devices: Any) -> list[tuple[str, str]]:
    """(device, state) pairs from a heartbeat's devices, as a list of objects or a mapping."""
    if isinstance(devices, dict):
        return [(str(k), str(v.get("state", v) if isinstance(v, dict) else v))
                for k, v in sorted(devices.items())]
    if isinstance(devices, list):
        return [(str(d.get("id", d.get("name", "?"))), str(d.get("state", "?")))
                for d in devices if isinstance(d, dict)]
    return []

