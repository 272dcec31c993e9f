"""Kiosk health at the centre: the latest report per kiosk, and 30 days of history.

A report arrives alone (``POST /api/v1/heartbeat``, when the kiosk has nothing to upload) or
with a batch. Either way it counts as contact (``last_seen_at``) and measures the clock.
The kiosk's refused scans per hour go to ``refused_hours`` for the daily report; each count
is the hour's whole count so far, so a report sent twice, or late, changes nothing. Only the
hours protocol.md gives a report are kept (:func:`protocol.refused_hours`: 72 from the hour
holding 48 h before it was sent, on the kiosk's clock, to the one a day later); any
other (a stolen token, a broken counter) would rewrite a day whose report was made, or fill
one not yet come, and is ignored and logged, the rest of the report kept. The oldest hour
keeps the larger of the stored and reported counts: kiosks before that rule counted it from
mid-hour, and the last report reaching an hour would cut it to its last seconds. A count
above :data:`REFUSED_PER_KIOSK_HOUR` is cut to it and logged. Hours on a kiosk clock further
off than the tolerance are moved by the measured offset.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter

import msgspec

from kiosk.central.localdays import CLOCK_TOLERANCE_SECONDS
from kiosk.central.storage import Storage
from kiosk.messages import both
from kiosk.sync import protocol

HISTORY_DAYS = 30
REFUSED_PER_KIOSK_HOUR = 3600
"""The most refused scans a kiosk can have in an hour: one a second. A kiosk is one lane of a
checkpoint (enrolled as e.g. "Chốt QL1A - làn 1"), where people present their codes one after
another and a read takes about a second. A larger count is a broken counter or a lie (a
stolen token claiming 10⁹), and kept whole it would be the province's refused total and
share in every report; it is cut to this and logged."""
_HOUR = "%Y-%m-%dT%H"
log = logging.getLogger("kiosk.central")
_LARGER = ("CASE WHEN refused_hours.refused > excluded.refused THEN refused_hours.refused "
           "ELSE excluded.refused END")  # max() of two is SQLite's, greatest() PostgreSQL's


def record(storage: Storage, kiosk_id: str, health: protocol.Health,
           received_at: dt.datetime, clock_offset: float) -> None:
    """Keep ``health`` as the kiosk's latest, in its history, and note the contact."""
    at = protocol.format_time(received_at)
    report = msgspec.to_builtins(health)
    devices = json.dumps(report["devices"], ensure_ascii=False, sort_keys=True)
    history = json.dumps({**report, "clock_offset_seconds": clock_offset},
                         ensure_ascii=False, sort_keys=True)
    refused = _refused_hours(kiosk_id, health, received_at, clock_offset)
    cutoff = protocol.format_time(received_at - dt.timedelta(days=HISTORY_DAYS))
    with storage._transaction() as tx:
        storage._execute(
            tx, "INSERT INTO kiosk_health (kiosk_id, received_at, clock_offset_seconds, "
                "software_version, pending, oldest_pending_seconds, rejected, "
                "free_disk_bytes, devices, uploads_paused) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                "ON CONFLICT (kiosk_id) DO UPDATE SET received_at = excluded.received_at, "
                "clock_offset_seconds = excluded.clock_offset_seconds, "
                "software_version = excluded.software_version, pending = excluded.pending, "
                "oldest_pending_seconds = excluded.oldest_pending_seconds, "
                "rejected = excluded.rejected, free_disk_bytes = excluded.free_disk_bytes, "
                "devices = excluded.devices, uploads_paused = excluded.uploads_paused",
            (kiosk_id, at, clock_offset, health.software_version, health.pending,
             health.oldest_pending_seconds, health.rejected, health.free_disk_bytes, devices,
             health.uploads_paused))
        storage._execute(tx, "INSERT INTO kiosk_health_history (kiosk_id, received_at, report) "
                             "VALUES ($1, $2, $3)", (kiosk_id, at, history))
        storage._execute(tx, "DELETE FROM kiosk_health_history WHERE kiosk_id = $1 AND "
                             "received_at < $2", (kiosk_id, cutoff))
        for hour, count, oldest in refused:
            kept = _LARGER if oldest else "excluded.refused"
            storage._execute(tx, "INSERT INTO refused_hours (kiosk_id, hour, refused) "
                                 "VALUES ($1, $2, $3) ON CONFLICT (kiosk_id, hour) DO UPDATE "
                                 f"SET refused = {kept}", (kiosk_id, hour, count))
        storage._execute(tx, "UPDATE kiosks SET last_seen_at = $1, last_clock_offset = $2 "
                             "WHERE id = $3", (at, clock_offset, kiosk_id))


def _refused_hours(kiosk_id: str, health: protocol.Health, received_at: dt.datetime,
                   clock_offset: float) -> list[tuple[str, int, bool]]:
    """The report's refused hours to keep, on the centre's clock, each with its count (cut
    to :data:`REFUSED_PER_KIOSK_HOUR`) and whether it is the window's oldest: those of the
    window on the kiosk's clock when it sent the report (see the module doc). The others,
    and the counts cut, are logged."""
    first, last = protocol.refused_hours(received_at - dt.timedelta(seconds=clock_offset))
    shift = (dt.timedelta(hours=round(clock_offset / 3600))
             if abs(clock_offset) > CLOCK_TOLERANCE_SECONDS else dt.timedelta())
    kept, ignored, cut = [], Counter[str](), Counter[str]()
    for hour, count in health.refused_by_hour.items():
        start = dt.datetime.strptime(hour, _HOUR).replace(tzinfo=dt.UTC)
        if not first <= start <= last:
            ignored[hour] = count
            continue
        if count > REFUSED_PER_KIOSK_HOUR:
            cut[hour] = count
        kept.append(((start + shift).strftime(_HOUR), min(count, REFUSED_PER_KIOSK_HOUR),
                     start == first))
    if ignored:
        log.warning("%s", both("central.log.refused_hours_ignored", kiosk=kiosk_id,
                               hours=len(ignored), first=first.strftime(_HOUR),
                               last=last.strftime(_HOUR), count=ignored.total(),
                               earliest=min(ignored), latest=max(ignored)))
    if cut:
        log.warning("%s", both("central.log.refused_hours_cut", kiosk=kiosk_id, hours=len(cut),
                               most=REFUSED_PER_KIOSK_HOUR, count=cut.total(),
                               earliest=min(cut), latest=max(cut)))
    return sorted(kept)


def latest(storage: Storage, kiosk_id: str) -> dict | None:
    """The kiosk's latest report as stored (with when it came and the clock offset then;
    ``uploads_paused``: why it sends no batches, a code, None while it uploads)."""
    rows = storage._query(
        "SELECT received_at, clock_offset_seconds, software_version, pending, "
        "oldest_pending_seconds, rejected, free_disk_bytes, devices, uploads_paused "
        "FROM kiosk_health WHERE kiosk_id = $1", (kiosk_id,))
    if not rows:
        return None
    names = ("received_at", "clock_offset_seconds", "software_version", "pending",
             "oldest_pending_seconds", "rejected", "free_disk_bytes", "devices",
             "uploads_paused")
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
