"""Kiosks: health for admins and district officers; enrolment (the token shown once) and
revocation for admins. The enrol form's point box offers the registry's points as the admin
types (:func:`points`, asked by ``static/points.js``: a province's 20,000 points in the page
were 909 KB of its 1.0 MB, on every view) and, as ``kiosk-central kiosks add
--new-checkpoint`` does, a box for a point the registry lacks: once it holds a point with a
district any other id is refused when the form is posted, as a likely typo."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from kiosk.central import registry
from kiosk.central.disclosure import not_personal
from kiosk.central.enrol import enrol_kiosk, revoke_kiosk
from kiosk.central.storage import EnrolmentError
from kiosk.central.web.health import kiosk_rows
from kiosk.central.web.site import (
    ROLES_OF,
    Site,
    admin_actor,
    district_of,
    flag_parameter,
    number_parameter,
    site_of,
)

router = APIRouter()
PAGE_SIZE = 100
HEALTH = "kiosks, their checkpoints and health"
SUGGESTED = 20
"""Points the enrol form's box offers at once: enough to pick from, few enough to read."""


async def _page(request: Request, site: Site, *, status: int = 200, problems: bool = False,
                q: str = "", page: int = 1, **context: object) -> Response:
    user = site.user(request, *ROLES_OF["/kiosks"])
    rows = await run_in_threadpool(kiosk_rows, site.storage, district=district_of(user))
    if problems:
        rows = [row for row in rows if row["problems"]]
    if q.strip():
        wanted = q.strip().lower()
        rows = [row for row in rows if wanted in f"{row['id']} {row['checkpoint_id']} "
                                                 f"{row['name']}".lower()]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return await site.render(request, "kiosks.html", status=status,
                       kiosks=rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], total=len(rows),
                       page=page, pages=pages, problems=problems, q=q,
                       can_manage=user.role == "admin", **context)


@router.get("/kiosks")
@not_personal(HEALTH)
async def kiosks(request: Request, problems: str = "", q: str = "", page: str = ""
                 ) -> Response:
    site = site_of(request)
    site.user(request, *ROLES_OF["/kiosks"])  # who asks, before what they asked is read
    return await _page(request, site, problems=flag_parameter("problems", problems), q=q,
                       page=number_parameter("page", page, 1))


@router.get("/kiosks/points")
@not_personal("the registry's points: id and name")
async def points(request: Request, q: str = "") -> JSONResponse:
    """The first :data:`SUGGESTED` points whose id or name holds ``q`` (any case, accents
    or not), of the user's district for a district officer: ``[{"id", "name"}]``."""
    site = site_of(request)
    user = site.user(request, *ROLES_OF["/kiosks"])
    found = await run_in_threadpool(registry.looked_up, site.storage, q,
                                    district=district_of(user), limit=SUGGESTED)
    return JSONResponse([{"id": p.id, "name": p.name} for p in found])


@router.post("/kiosks/enrol")
@not_personal(HEALTH + "; a new kiosk's token, once")
async def enrol(request: Request) -> Response:
    site = site_of(request)
    form, t = await site.admin_post(request)
    by = admin_actor(request, site)
    try:
        kiosk, token = await run_in_threadpool(
            lambda: enrol_kiosk(site.storage, checkpoint_id=str(form.get("checkpoint", "")),
                                name=str(form.get("name", "")), by=by,
                                kiosk_id=str(form.get("kiosk_id", "")).strip() or None,
                                new_checkpoint=form.get("new_checkpoint") == "true"))
    except EnrolmentError as exc:
        hint = (" " + t("kiosks.new_checkpoint_hint")
                if exc.words.code == "enrolment.unregistered_checkpoint" else "")
        return await _page(request, site, status=422,
                           error=t("kiosks.refused", reason=exc) + hint)
    return await _page(request, site, enrolled=kiosk, token=token)


@router.post("/kiosks/{kiosk_id}/revoke")
@not_personal(HEALTH)
async def revoke(request: Request, kiosk_id: str) -> Response:
    site = site_of(request)
    _, t = await site.admin_post(request)
    kiosk = await run_in_threadpool(site.storage.kiosk, kiosk_id)
    if kiosk is None:
        return await site.render(request, "notfound.html", status=404)
    await run_in_threadpool(revoke_kiosk, site.storage, kiosk, by=admin_actor(request, site))
    return await _page(request, site, notice=t("kiosks.revoked", id=kiosk_id))
