"""Checkpoints: the registry with filters, and one point's page (kiosks, heartbeat, the
scans of a chosen day per hour, the latest scans; another district's point answers a district
officer as an unknown one: 404, so an officer cannot tell which point ids exist elsewhere)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kiosk.central import registry, reports
from kiosk.central.disclosure import not_personal
from kiosk.central.schema import ON_TIME, SKEWED
from kiosk.central.storage import Storage
from kiosk.central.web import charts, i18n
from kiosk.central.web.health import kiosk_rows
from kiosk.central.web.site import (
    ROLES_OF,
    district_of,
    number_parameter,
    site_of,
)
from kiosk.sync import protocol

router = APIRouter()
PAGE_SIZE = 100
RECENT = 20
STATES = ("active7", "inactive7", "closed")


@router.get("/checkpoints")
@not_personal("the registry with counts per point")
async def checkpoint_list(request: Request, district: str = "", kind: str = "",
                          state: str = "", q: str = "", page: str = "") -> Response:
    site = site_of(request)
    user = site.user(request, *ROLES_OF["/checkpoints"])
    district = district_of(user) or district
    data = await run_in_threadpool(_list, site.storage, district, kind, state, q.strip(),
                                   max(number_parameter("page", page, 1), 1))
    return await site.render(request, "checkpoints.html", district=district, kind=kind, state=state,
                       q=q, kinds=registry.KINDS, states=STATES,
                       fixed_district=district_of(user) is not None, **data)


def _list(storage: Storage, district: str, kind: str, state: str, q: str, page: int
          ) -> dict[str, Any]:
    today = storage.today()
    week = (today - dt.timedelta(days=6)).isoformat()
    scans_7d = Counter(dict(storage._query(
        "SELECT checkpoint_id, CAST(sum(scans) AS BIGINT) FROM checkpoint_days WHERE day >= $1 "
        "GROUP BY checkpoint_id", (week,))))
    scans_today = Counter(dict(storage._query(
        "SELECT checkpoint_id, scans FROM checkpoint_days WHERE day = $1", (today.isoformat(),))))
    kiosks = Counter(dict(storage._query(
        "SELECT checkpoint_id, count(*) FROM kiosks WHERE revoked_at IS NULL "
        "GROUP BY checkpoint_id")))
    points = registry.checkpoints(storage)
    # the one filtered on is offered even with no point yet (a district officer's own)
    districts = sorted({p.district for p in points if p.district} | ({district} - {""}))
    folded = registry.fold(q) if q else ""
    day = today.isoformat()

    def keep(p: registry.Checkpoint) -> bool:
        closed = p.closed_on is not None and p.closed_on <= day
        if (district and p.district != district) or (kind and p.kind != kind):
            return False
        if state and (state == "closed") != closed:
            return False
        if state == "active7" and not scans_7d[p.id]:
            return False
        if state == "inactive7" and scans_7d[p.id]:
            return False
        return not folded or registry.named(p, folded)

    chosen = [p for p in points if keep(p)]
    shown = chosen[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    return {"rows": [{"point": p, "kiosks": kiosks[p.id], "today": scans_today[p.id],
                      "week": scans_7d[p.id],
                      "closed": p.closed_on is not None and p.closed_on <= day}
                     for p in shown],
            "total": len(chosen), "page": page, "pages": max(1, -(-len(chosen) // PAGE_SIZE)),
            "districts": districts}


@router.get("/checkpoints/{checkpoint_id}")
@not_personal("a point, its kiosks, scans per hour, the latest scans' time, direction "
              "and kind (no name, no document)")
async def checkpoint_page(request: Request, checkpoint_id: str, day: str = "",
                          month: str = "") -> Response:
    """The point's page of ``day`` (default: today), or of ``month``'s last day the user
    sees it on (a monthly report's link: :func:`_last_day_seen`)."""
    site = site_of(request)
    user = site.user(request, *ROLES_OF["/checkpoints"])
    point = await run_in_threadpool(registry.checkpoint, site.storage, checkpoint_id)
    if point is None:
        return await site.render(request, "notfound.html", status=404)
    chosen: dt.date | None
    try:
        if day:
            chosen = reports.report_day(day)
        elif month:
            chosen = await run_in_threadpool(_last_day_seen, site.storage, point.id,
                                             district_of(user), month)
        else:
            chosen = site.storage.today()
    except ValueError:
        chosen = site.storage.today()
    if chosen is None:  # another district's point all that month
        return await site.render(request, "notfound.html", status=404)
    days = await run_in_threadpool(_days_seen, site.storage, point.id, district_of(user),
                                   chosen)
    if days is None:  # another district's point that day is as one never set up
        return await site.render(request, "notfound.html", status=404)
    data = await run_in_threadpool(_detail, site.storage, point.id, chosen, days)
    t = i18n.translator(site.lang(request))
    chart = charts.bars(data["hours"], [f"{h}" for h in range(24)],
                        t("checkpoint.chart", day=t.date(chosen)))
    return await site.render(request, "checkpoint.html", point=point, day=chosen.isoformat(),
                       chart=chart,
                       **data)


Days = tuple[str, str | None]
"""Local days [first, until) a page shows a point's scans of (until None: to this day)."""
EVERY_DAY: Days = ("", None)


def _days_seen(storage: Storage, checkpoint_id: str, district: str | None, day: dt.date
               ) -> Days | None:
    """The days of the point a user limited to ``district`` sees beside ``day``: the
    stretch the point was in their district that ``day`` is in (as the reports count it,
    by the registry's history), None if it was in another district that day. Every day
    for the roles that see all districts."""
    if district is None:
        return EVERY_DAY
    chosen = day.isoformat()
    return next(((first, until) for first, until
                 in registry.district_days(storage, checkpoint_id, district)
                 if first <= chosen and (until is None or chosen < until)), None)


def _last_day_seen(storage: Storage, checkpoint_id: str, district: str | None, month: str
                   ) -> dt.date | None:
    """The last day of ``month`` (``YYYY-MM``; ValueError if it is not one), up to today,
    that a user limited to ``district`` sees the point on (:func:`_days_seen`), None if
    none: a monthly report's row of a point moved away mid-month opens on its last day in
    the officer's district, not on today's page, another district's."""
    today = storage.today()
    days = [d for d in reports.month_days(month) if d <= today] or [today]
    if district is None:
        return days[-1]
    stretches = registry.district_days(storage, checkpoint_id, district)
    return next((d for d in reversed(days) for first, until in stretches
                 if first <= d.isoformat() and (until is None or d.isoformat() < until)), None)


def _detail(storage: Storage, checkpoint_id: str, day: dt.date, days: Days) -> dict[str, Any]:
    hours = dict(storage._query("SELECT hour, scans FROM checkpoint_hours WHERE day = $1 AND "
                                "checkpoint_id = $2", (day.isoformat(), checkpoint_id)))
    return {"hours": [hours.get(h, 0) for h in range(24)],
            "kiosks": kiosk_rows(storage, checkpoint_id=checkpoint_id),
            "recent": latest_scans(storage, checkpoint_id, days)}


# Scans are filed by their kiosk's time when its clock was right (within the tolerance:
# in time order in entries_checkpoint_time), else by that time corrected by the batch's
# clock offset (on their corrected local day in the partial index entries_skewed).
_ON_TIME = ("SELECT scanned_at, direction, kind, kiosk_id FROM entries WHERE checkpoint_id = $1 "
            f"AND scanned_at >= $2 AND scanned_at <= $3 AND {ON_TIME} "
            f"ORDER BY scanned_at DESC LIMIT {RECENT}")
_SKEWED = f"FROM entries WHERE checkpoint_id = $1 AND {SKEWED} AND local_day <= $2"
_FILED = {True: "scanned_at::timestamptz + clock_offset_seconds * interval '1 second'",
          False: "julianday(scanned_at) + clock_offset_seconds / 86400.0"}
"""A skewed scan's corrected time, as each engine orders it."""


def latest_scans(storage: Storage, checkpoint_id: str, days: Days = EVERY_DAY
                 ) -> list[dict[str, Any]]:
    """The :data:`RECENT` scans of a point filed last on ``days`` (a district officer's: those
    the point was in their district), each at the time it is filed: a lane
    whose clock ran ahead neither stays on top nor shows a date to come. No names, no
    documents: they show that the kiosks work, not who came, so this page is the same for
    every role and needs no audit record.

    Three index reads, each of a day's scans at most however long the point's history: the
    local day of the 20th latest skewed scan; the skewed scans from that day, the latest 20
    by corrected time; then the latest 20 on-time scans, only back to the 20th of those
    (earlier ones cannot be among the latest). The time index holds skewed scans too, which
    the on-time read passes over: bounded so, it passes over no more than the 20 skewed
    scans read and those of a clock ahead by less than a day (further ahead, their time is
    past the read's upper end), instead of a whole history at a point whose kiosks all run
    a few minutes off. With fewer than 20 skewed scans it has no lower end, and passes over
    those few."""
    first, until = days
    now = dt.datetime.now(dt.UTC)
    last = storage.today()
    if until is not None:
        last = min(last, dt.date.fromisoformat(until) - dt.timedelta(days=1))
    today = last.isoformat()
    skewed_from = storage._query(
        f"SELECT local_day {_SKEWED} AND local_day >= $3 ORDER BY local_day DESC "
        f"LIMIT 1 OFFSET {RECENT - 1}", (checkpoint_id, today, first))
    skewed = [(_corrected(at, offset), *rest) for at, offset, *rest in storage._query(
        f"SELECT scanned_at, clock_offset_seconds, direction, kind, kiosk_id {_SKEWED} "
        f"AND local_day >= $3 ORDER BY {_FILED[storage.postgresql]} DESC LIMIT {RECENT}",
        (checkpoint_id, today, skewed_from[0][0] if skewed_from else first))]
    since = skewed[-1][0] if len(skewed) == RECENT else ""
    if first > registry.SINCE_EVER:  # filed by their own time: the first day's scans on
        since = max(since, protocol.format_time(storage.calendar.start(
            dt.date.fromisoformat(first))))
    # an unmeasured clock (backlog file) may be a day ahead of its receipt, no more
    latest = now + protocol.ENTRY_MAX_AHEAD
    if until is not None:  # ... and before the day the point left the district
        latest = min(latest, storage.calendar.end(last) - dt.timedelta(microseconds=1))
    on_time = [tuple(row) for row in storage._query(_ON_TIME, (
        checkpoint_id, since, protocol.format_time(latest)))]
    columns = ("filed_at", "direction", "kind", "kiosk_id")
    return [dict(zip(columns, row, strict=True))
            for row in sorted(on_time + skewed, reverse=True)[:RECENT]]


def _corrected(scanned_at: str, offset: float) -> str:
    return protocol.format_time(protocol.parse_time(scanned_at) + dt.timedelta(seconds=offset))
