"""The audit log (admins): every trace and export — who, when, whom, why, how many."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kiosk.central import audit
from kiosk.central.web.site import ROLES_OF, Site

router = APIRouter()
SHOWN = 200


@router.get("/audit")
async def audit_log(request: Request, tracer: str = "") -> Response:
    site: Site = request.app.state.web
    site.user(request, *ROLES_OF["/audit"])
    records = await run_in_threadpool(audit.records, site.storage, limit=SHOWN,
                                      tracer=tracer.strip() or None)
    return site.render(request, "audit.html", records=records, tracer=tracer)
