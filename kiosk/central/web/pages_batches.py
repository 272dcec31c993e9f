"""The batch log (administrators and district officers, as Kiosks: an officer sees their
district's kiosks only): the kiosks with their latest batches, and one kiosk's batches page by
page, newest first (another district's kiosk answers as an unknown one: 404, so an officer
cannot tell which kiosk ids exist elsewhere) — the counts of
:mod:`kiosk.central.web.batch_log`, no entry and no person."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kiosk.central.disclosure import not_personal
from kiosk.central.web import batch_log
from kiosk.central.web.site import (
    ROLES_OF,
    district_of,
    number_parameter,
    site_of,
)

router = APIRouter()
ROLES = ROLES_OF["/batches"]
LOG = ("the batch log: kiosks' uploads, when, and how many of their entries were new, already "
       "held, past retention or refused (counts, no person)")


@router.get("/batches")
@not_personal(LOG)
async def batch_kiosks(request: Request, after: str = "", before: str = "") -> Response:
    site = site_of(request)
    user = site.user(request, *ROLES)
    page = await run_in_threadpool(batch_log.kiosks_page, site.storage,
                                   district=district_of(user), after=after or None,
                                   before=before or None)
    return await site.render(request, "batches.html", kiosk=None, moved=bool(after or before),
                       **page)


@router.get("/batches/{kiosk_id}")
@not_personal(LOG)
async def kiosk_batches(request: Request, kiosk_id: str, before: str = "", after: str = ""
                        ) -> Response:
    site = site_of(request)
    user = site.user(request, *ROLES)
    received = await run_in_threadpool(batch_log.received_in, site.storage, kiosk_id,
                                       district_of(user))
    if received is None:  # a kiosk never in the officer's district is as one never enrolled
        return await site.render(request, "notfound.html", status=404)
    keys = {name: number_parameter(name, text, 0) if text else None
            for name, text in (("before", before), ("after", after))}
    page = await run_in_threadpool(batch_log.kiosk_batches, site.storage, kiosk_id,
                                   received=received, **keys)
    return await site.render(request, "batches.html", kiosk=kiosk_id,
                       moved=any(key is not None for key in keys.values()), **page)
