"""The audit log (admins): every trace and export, and every view of a page that shows
personal data — who, when, from where, what, and for traces why and how many. The log names
whom each trace was about, so reading it is recorded too."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kiosk.central import audit
from kiosk.central.disclosure import audited
from kiosk.central.web import audit_words
from kiosk.central.web.site import ROLES_OF, site_of

router = APIRouter()
SHOWN = 200


@router.get("/audit")
@audited("audit-log")
async def audit_log(request: Request, actor: str = "", kind: str = "") -> Response:
    site = site_of(request)
    site.user(request, *ROLES_OF["/audit"])
    kind = kind if kind in audit.KINDS else ""
    records = await run_in_threadpool(audit.records, site.storage, limit=SHOWN,
                                      actor=actor.strip() or None, kind=kind or None)
    return await site.render(request, "audit.html", records=records, actor=actor, kind=kind,
                             kinds=audit.KINDS, subject=audit_words.subject)
