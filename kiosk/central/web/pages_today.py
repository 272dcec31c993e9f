"""Today: the daily report of the local day so far — scans, points scanning today and set up,
the 7-day adoption ratio, per district, and the problem list — refreshed every minute (the
report is shared by every viewer, see :mod:`kiosk.central.web.today_report`), each viewer
seeing it cut to their district."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kiosk.central.disclosure import not_personal
from kiosk.central.web.scoping import for_district
from kiosk.central.web.site import ROLES_OF, district_of, site_of

router = APIRouter()
PROBLEMS_SHOWN = 50


@router.get("/today")
@not_personal("counts per district, problems by checkpoint and kiosk")
async def today(request: Request) -> Response:
    site = site_of(request)
    user = site.user(request, *ROLES_OF["/today"])
    report = for_district(await run_in_threadpool(site.today.get), district_of(user))
    problems = report["not_scanning"] + report["scanning_wrongly"]
    return await site.render(request, "today.html", report=report, summary=report["summary"],
                       problems=problems[:PROBLEMS_SHOWN],
                       more_problems=max(0, len(problems) - PROBLEMS_SHOWN))
