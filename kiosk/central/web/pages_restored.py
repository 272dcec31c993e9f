"""The warning that the centre's database was restored from an older copy
(:mod:`kiosk.central.received_mark`), drawn on every page for administrators
(``base.html``), and its acknowledgement: an administrator's, once the kiosks have sent again
what the copy lacked, recorded in the audit log — the warning is shown no more."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from kiosk.central import received_mark
from kiosk.central.disclosure import not_personal
from kiosk.central.web.site import admin_actor, safe_next, site_of

router = APIRouter()


@router.post("/restored/acknowledge")
@not_personal("the restored database's warning: two times, a file's path, a command")
async def acknowledge(request: Request) -> Response:
    site = site_of(request)
    form, _ = await site.admin_post(request)
    await run_in_threadpool(received_mark.acknowledge, site.storage,
                            admin_actor(request, site))
    return RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
