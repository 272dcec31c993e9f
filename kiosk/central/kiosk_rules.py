"""What looks wrong with an active kiosk: one rule for the dashboard's kiosk list
(:mod:`kiosk.central.web.health`) and the daily report (:mod:`kiosk.central.reports`), so a
kiosk flagged on one is flagged on the other, by the same thresholds.

What they do with it differs, and legitimately: the dashboard shows each kiosk as it is now
(a revoked kiosk has none of these problems: nothing is expected of it) with the problems as
keys of ``problem.*`` texts; the report is about a day D, files a silent kiosk, and one
alive whose uploads are paused, under "not scanning" and the others under "scanning
wrongly", each with its parameters (worded where shown), and adds two problems of its
own: a revoked kiosk that tried to upload on or after D (``revoked_still_trying``), and a
kiosk's replaced token used on or after D (``replaced_token_in_use``). A backlog
whose age is unknown is no problem of either, but both name it in the same words
(:func:`unknown_backlog_age`).
"""

from __future__ import annotations

import datetime as dt

from kiosk.central.localdays import CLOCK_TOLERANCE_SECONDS, parse_utc
from kiosk.sync import protocol

SILENT_SECONDS = 24 * 3600
"""A kiosk not heard from (no batch, no health report) for longer is silent."""
BACKLOG_MAX_SECONDS = 24 * 3600
"""A kiosk whose oldest pending entry is older (by its own clock) is not getting through."""
PAUSED_REASONS = frozenset({protocol.UPLOADS_PAUSED_STORE, *protocol.UPLOADS_STOPPED.values(),
                            protocol.UPLOADS_STOPPED_OTHER})
"""The ``uploads_paused`` codes worded each in its own words (``problem.uploads_paused_*``):
paused until the store path can be confirmed, or stopped for good (the store file gone,
its log gone, damaged: a technician must come, the kiosk records nothing); any other a
later kiosk sends is worded ``problem.uploads_paused``."""


def paused_problem(uploads_paused: str | None) -> str | None:
    """The problem a kiosk's latest report saying its uploads are paused for
    ``uploads_paused`` (a code; None: it uploads) raises."""
    if uploads_paused is None:
        return None
    return (f"uploads_paused_{uploads_paused}" if uploads_paused in PAUSED_REASONS
            else "uploads_paused")


def not_heard_since(last_seen_at: str | None, since: dt.datetime) -> bool:
    """The kiosk last seen at ``last_seen_at`` (UTC text; None: never) was not heard from
    at or after ``since``."""
    return last_seen_at is None or parse_utc(last_seen_at) < since


def kiosk_problems(last_seen_at: str | None, clock_offset: float | None,
                   oldest_pending_seconds: float | None, now: dt.datetime,
                   uploads_paused: str | None = None, machines: int = 0) -> list[str]:
    """An active kiosk's problems as of ``now``, in this order: ``token_copied`` (its
    token heard from ``machines``, two or more, at overlapping times:
    :func:`kiosk.central.heartbeat.machines`), ``kiosk_silent_24h`` (not
    heard from in :data:`SILENT_SECONDS`), ``uploads_paused_*`` (its latest health report
    says it is alive but sends no batches, and why: :func:`paused_problem`), ``clock_off``
    (its latest batch's clock offset beyond the tolerance its scans are corrected from),
    ``old_backlog`` (its latest health report's oldest pending entry older than
    :data:`BACKLOG_MAX_SECONDS`). An unknown age (null with entries pending: recorded later
    than the kiosk's clock reads, or by a clock wrong then, such as a flat RTC battery's
    1970, in an earlier boot) raises none: a clock behind by more than the tolerance is
    ``clock_off`` already, which the dashboard names beside that age rather than flagging
    the kiosk twice."""
    problems = ["token_copied"] if machines > 1 else []
    if not_heard_since(last_seen_at, now - dt.timedelta(seconds=SILENT_SECONDS)):
        problems.append("kiosk_silent_24h")
    if (paused := paused_problem(uploads_paused)) is not None:
        problems.append(paused)
    if clock_offset is not None and abs(clock_offset) > CLOCK_TOLERANCE_SECONDS:
        problems.append("clock_off")
    if oldest_pending_seconds is not None and oldest_pending_seconds > BACKLOG_MAX_SECONDS:
        problems.append("old_backlog")
    return problems


def backlog_age(oldest_pending_seconds: float | None, reported_at: str | None,
                now: dt.datetime) -> float | None:
    """The age at ``now`` of the oldest entry a kiosk's latest health report (received at
    ``reported_at``, UTC text) said it held: its age then, by the kiosk's clock, and the time
    since on the centre's. A kiosk silent since holds it still (its next report would say),
    so its backlog is judged as it is now, not as when it was last heard: one that reported
    20 h on the 2nd is over 24 h by the 3rd. None stays None (none pending, or age unknown)."""
    if oldest_pending_seconds is None or reported_at is None:
        return oldest_pending_seconds
    return oldest_pending_seconds + max(0.0, (now - parse_utc(reported_at)).total_seconds())


def has_entries_to_bring(pending: int | None, uploads_paused: str | None) -> bool:
    """The kiosk's latest health report says it still holds entries not at the centre
    (``pending`` above 0) or cannot send what it holds (uploads paused or stopped: its
    count may not be all): a kiosk whose point is closed is chased for them until they
    are in — revoking it then would refuse them."""
    return bool(pending) or uploads_paused is not None


def unknown_backlog_age(pending: int | None, oldest_pending_seconds: float | None,
                        problems: list[str]) -> str | None:
    """How a kiosk's backlog of unknown age is worded, as the key of a ``kiosks.oldest_*``
    text: ``unknown_clock_off`` (entries pending, a null age, and its clock flagged among
    ``problems``: the words name that alert), ``unknown`` (its clock not flagged), or None
    (nothing pending, or an age known)."""
    if not pending or oldest_pending_seconds is not None:
        return None
    return "unknown_clock_off" if "clock_off" in problems else "unknown"
