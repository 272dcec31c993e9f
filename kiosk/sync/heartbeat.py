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
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.clock import age_of, elapsed, suspended_seconds
from kiosk.ids import boot_id, id_prefix
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
                  outbox: OutboxSummary | None = None,
                  uploads_paused: str | None = None,
                  read_store: bool = True, kiosk_id: str = "",
                  elsewhere: int = 0) -> dict[str, Any]:
    """The report as a wire object (passes :func:`protocol.validate_health`), as of ``now``
    (else the time the clock reads now): the ``sent_at`` of the batch or heartbeat that
    carries it, which the centre takes the refused hours' window at.

    ``oldest_pending_seconds``: see :func:`_pending_age`; None when nothing is pending.

    ``outbox``: the counts as the caller already knows them (the sync worker's snapshot,
    carried forward during an upload: a report goes with every batch, and counting a
    million pending entries takes ~0.1 s); else they are counted in the store.

    ``uploads_paused``: why the kiosk sends no batches now, a code
    (:data:`protocol.UPLOADS_PAUSED_STORE`), for a centre listing ``uploads-paused`` only:
    the member is left out when None, so that a centre without the feature never sees it.

    ``read_store``: False for a store found damaged, whose pages may not read: the report
    is made from ``outbox`` alone (required then), the backlog's age unknown (null) and no
    refused hour told (the centre keeps those it holds: it only adds hours it is told).

    ``elsewhere``: how many of ``outbox``'s pending entries are recorded under another kiosk
    id than ``kiosk_id``, as the caller counted them (:meth:`Store.pending_elsewhere`: left
    by an enrolment under a new id, or sent by ``kiosk sync push --kiosk-id``). The report
    is this id's, so it counts and ages only the rest, what this id sends: a store enrolled
    again under a new id told the centre the new id held the old one's backlog, days old,
    for good (``old_backlog`` on a kiosk whose own entries all arrive).
    """
    now = now or dt.datetime.now(dt.UTC)
    if not read_store:
        assert outbox is not None
        age, refused = None, {}
    else:
        outbox = outbox or store.outbox_summary()
        if not elsewhere:
            age = _pending_age(store, outbox.oldest_pending, now, store.oldest_pending_moment)
        else:  # the first in id order may be another id's: this id's own first
            first = store.first_pending_of(kiosk_id) if outbox.pending > elsewhere else None
            age = None if first is None else _pending_age(store, first[0], now,
                                                          lambda: (first[1], first[2]))
        first, last = protocol.refused_hours(now)
        refused = store.refused_by_hour(protocol.format_time(first),
                                        protocol.format_time(last + dt.timedelta(hours=1)))
    report: dict[str, Any] = {
        "software_version": software_version(),
        "pending": max(0, outbox.pending - elsewhere),
        "oldest_pending_seconds": age,
        "rejected": outbox.rejected,
        "devices": [{"id": d.device_id, "kind": d.kind, "state": d.state,
                     "detail": protocol.storable_text(d.reason_in(None))[:protocol.MAX_TEXT_CHARS]}
                    for d in list(devices)[:protocol.MAX_DEVICES]],
        "free_disk_bytes": free_disk_bytes(Path(store.path).parent),
        "refused_by_hour": refused,
    }
    if uploads_paused is not None:
        report["uploads_paused"] = uploads_paused
    return report


def _pending_age(store: Store, oldest_pending: str | None, now: dt.datetime,
                 moment: Callable[[], tuple[str, int] | None]) -> float | None:
    """The age in seconds at ``now`` of the oldest pending entry, recorded at
    ``oldest_pending``, its ``boot_id`` and ``monotonic_ns`` read by ``moment`` (only when
    there is one); None when nothing is pending or its age is unknown.

    An entry of the running boot is aged by both clocks (:func:`kiosk.clock.elapsed`); its row is
    read for that (one index step on the pending index). One of an earlier boot has only
    the wall clock, and none (:func:`_wall_age`) when recorded later than ``now`` (the clock
    ahead then and set right since, or gone back), before :data:`FIRST_SCANS` (a flat RTC
    battery's 1970, flat at every boot: not 56 years old) or at a time that does not read (a
    hand edit): a clamped 0 would tell the centre the backlog is fresh, a bound such as the
    time since this boot began could as well.

    The oldest is the first in id order, or an earlier boot's recorded later than ``now``
    (its clock ran ahead: of no age), or within the running boot after its clock was set
    back, the first written before the set-back (:func:`kiosk.store.oldest_pending_entry`):
    one of the running boot whose wall age is set aside was misdated (a flat RTC battery's
    1970 sorts before everything), so the first pending of an earlier boot is aged too, by its wall
    time, and the larger age told: a backlog left 2 days ago is not a minute old; when that
    one has no age, the backlog's age is unknown. Sought among ids from before this boot
    began (:data:`_SINCE_BOOT` back from ``now``): the boot's rightly dated entries lie
    after them and are not walked.
    """
    if oldest_pending is None:
        return None
    wall = _wall_age(oldest_pending, now)
    boot = moment()
    if boot is None or boot[0] != boot_id():
        return wall
    since = time.monotonic_ns() - boot[1]
    if boot[1] < 0 or since < 0:  # not this boot's monotonic clock after all (a hand edit)
        return wall
    age = elapsed(wall, since / 1e9, suspended_seconds())
    if age == wall:
        return age
    earlier = store.oldest_pending_of_earlier_boot(boot_id(), id_prefix(
        now - dt.timedelta(seconds=time.clock_gettime(_SINCE_BOOT))))
    if earlier is None:
        return age
    earlier_age = _wall_age(earlier, now)
    return None if earlier_age is None else max(age, earlier_age)


_SINCE_BOOT = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
"""The clock that has run since boot, suspends included where Linux counts them."""


def _wall_age(recorded_at: str | None, now: dt.datetime) -> float | None:
    """Seconds from ``recorded_at`` to ``now`` by the wall clock (:func:`age_of`); None when
    that clock tells none: later than ``now``, before :data:`FIRST_SCANS`, not a time."""
    recorded = protocol.parse_time(recorded_at) if recorded_at is not None else None
    if recorded is None:  # a hand edit
        return None
    age = age_of(recorded, now)
    return age.total_seconds() if age is not None else None


def free_disk_bytes(folder: Path) -> int | None:
    try:
        stat = os.statvfs(folder)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize
