"""Today: the daily report of the local day so far — scans, points scanning today and set up,
the 7-day adoption ratio, per district, and the problem list — refreshed every minute."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kiosk.central.web.pages_reports import daily_report
from kiosk.central.web.site import ROLES_OF, Site, district_of

router = APIRouter()
PROBLEMS_SHOWN = 50


@router.get("/today")
async def today(request: Request) -> Response:
    site: Site = request.app.state.web
    user = site.user(request, *ROLES_OF["/today"])
    report = await run_in_threadpool(daily_report, site.storage, site.storage.today(),
                                     district_of(user))
    problems = report["not_scanning"] + report["scanning_wrongly"]
    return site.render(request, "today.html", report=report, summary=report["summary"],
                       problems=problems[:PROBLEMS_SHOWN],
                       more_problems=max(0, len(problems) - PROBLEMS_SHOWN))
