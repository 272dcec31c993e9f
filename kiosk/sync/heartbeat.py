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
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.clock import age_of
from kiosk.ids import boot_id
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

    ``oldest_pending_seconds``: see :func:`_pending_age`; None when nothing is pending.

    ``outbox``: the counts as the caller already knows them (the sync worker's snapshot,
    carried forward during an upload: a report goes with every batch, and counting a
    million pending entries takes ~0.1 s); else they are counted in the store.
    """
    now = now or dt.datetime.now(dt.UTC)
    outbox = outbox or store.outbox_summary()
    age = _pending_age(store, outbox.oldest_pending, now)
    first, last = protocol.refused_hours(now)
    refused = store.refused_by_hour(protocol.format_time(first),
                                    protocol.format_time(last + dt.timedelta(hours=1)))
    return {
        "software_version": software_version(),
        "pending": outbox.pending,
        "oldest_pending_seconds": age,
        "rejected": outbox.rejected,
        "devices": [{"id": d.device_id, "kind": d.kind, "state": d.state,
                     "detail": protocol.storable_text(d.reason)[:protocol.MAX_TEXT_CHARS]}
                    for d in list(devices)[:protocol.MAX_DEVICES]],
        "free_disk_bytes": free_disk_bytes(Path(store.path).parent),
        "refused_by_hour": refused,
    }


def _pending_age(store: Store, oldest_pending: str | None, now: dt.datetime) -> float | None:
    """The age in seconds at ``now`` of the oldest pending entry, recorded at
    ``oldest_pending``; None when nothing is pending or its age is unknown.

    By the wall clock when it reads later than the entry: the monotonic clock stops while
    the kiosk is suspended, and would understate it. An entry recorded later than ``now``
    (:func:`kiosk.clock.age_of`: the clock ahead then and set right since, or gone back), or
    at a time that does not read, has no age on that clock, and a clamped 0 would tell the
    centre the backlog is fresh; the latest batch's offset, right again, raises no clock
    alert there either, so a backlog stuck for days would go unflagged until the clock
    passed it. If it was recorded in the running boot, the monotonic clock
    (``time.monotonic_ns``, :class:`kiosk.scan.Scan`) still tells its age; one of an earlier
    boot has none. Its row is read only then (one index step): a report goes with every
    batch.
    """
    if oldest_pending is None:
        return None
    recorded = protocol.parse_time(oldest_pending)  # None: not a time (a hand edit)
    age = age_of(recorded, now) if recorded is not None else None
    if age is not None:
        return age.total_seconds()
    moment = store.oldest_pending_moment()
    if moment is None or moment[0] != boot_id():
        return None
    elapsed = time.monotonic_ns() - moment[1]
    return elapsed / 1e9 if elapsed >= 0 else None


def free_disk_bytes(folder: Path) -> int | None:
    try:
        stat = os.statvfs(folder)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize
