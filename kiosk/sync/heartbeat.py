"""The kiosk's health report for the centre (:class:`kiosk.sync.protocol.Health`).

Built from the store (pending, oldest pending, rejected, refused scans per hour), the device
supervisor's statuses and the disk; sent alone to ``POST /api/v1/heartbeat`` when there is
nothing to upload, or as a batch's ``health`` member — in both cases only to a centre whose
health answer lists ``health`` in its ``features``. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.clock import age_of
from kiosk.sync import protocol

if TYPE_CHECKING:
    from kiosk.devices.supervisor import DeviceStatus
    from kiosk.store import OutboxSummary, Store


@functools.cache
def software_version() -> str:
    try:
        return metadata.version("checkpoint-kiosk")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def centre_takes_health(health_answer: object) -> bool:
    """Whether the centre's ``GET /api/v1/health`` answer says it understands reports."""
    return isinstance(health_answer, dict) and "health" in (health_answer.get("features") or ())


def health_report(store: Store, devices: Iterable[DeviceStatus] = (), *,
                  now: dt.datetime | None = None,
                  outbox: OutboxSummary | None = None) -> dict[str, Any]:
    """The report as a wire object (passes :func:`protocol.validate_health`), as of ``now``
    (else the time the clock reads now): the ``sent_at`` of the batch or heartbeat that
    carries it, which the centre takes the refused hours' window at.

    ``oldest_pending_seconds`` is None, as when nothing is pending, for an oldest entry
    recorded later than ``now`` (:func:`kiosk.clock.age_of`: a clock gone back since, or
    one ahead then): its age is unknown, and a clamped 0 would tell the centre the backlog
    is fresh.

    ``outbox``: the counts as the caller already knows them (the sync worker's snapshot,
    carried forward during an upload: a report goes with every batch, and counting a
    million pending entries takes ~0.1 s); else they are counted in the store.
    """
    now = now or dt.datetime.now(dt.UTC)
    outbox = outbox or store.outbox_summary()
    oldest = protocol.parse_time(outbox.oldest_pending) if outbox.oldest_pending else None
    age = age_of(oldest, now) if oldest is not None else None
    first, last = protocol.refused_hours(now)
    refused = store.refused_by_hour(protocol.format_time(first),
                                    protocol.format_time(last + dt.timedelta(hours=1)))
    return {
        "software_version": software_version(),
        "pending": outbox.pending,
        "oldest_pending_seconds": None if age is None else age.total_seconds(),
        "rejected": outbox.rejected,
        "devices": [{"id": d.device_id, "kind": d.kind, "state": d.state,
                     "detail": protocol.storable_text(d.reason)[:protocol.MAX_TEXT_CHARS]}
                    for d in list(devices)[:protocol.MAX_DEVICES]],
        "free_disk_bytes": free_disk_bytes(Path(store.path).parent),
        "refused_by_hour": refused,
    }


def free_disk_bytes(folder: Path) -> int | None:
    try:
        stat = os.statvfs(folder)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize
