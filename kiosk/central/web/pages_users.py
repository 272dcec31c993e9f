"""Users (admins only): list, add, disable (after a question), enable, change a role or
district, reset a password, unlock — the same rules as ``kiosk-central users``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kiosk.central import registry
from kiosk.central.disclosure import not_personal
from kiosk.central.web import i18n, users
from kiosk.central.web.site import Site, admin_actor, site_of
from kiosk.central.web.users import UserError

router = APIRouter()
STAFF = "the staff's own accounts: login names, roles, districts (no scanned person)"


async def _page(request: Request, site: Site, *, status: int = 200, **context: object
                ) -> Response:
    site.user(request, "admin")
    people = await run_in_threadpool(users.all_users, site.storage)
    districts = await run_in_threadpool(registry.districts, site.storage)
    return await site.render(request, "users.html", status=status, people=people,
                             roles=users.ROLES, districts=districts, **context)


@router.get("/users")
@not_personal(STAFF)
async def user_list(request: Request) -> Response:
    return await _page(request, site_of(request))


@router.post("/users/add")
@not_personal(STAFF)
async def add(request: Request) -> Response:
    site = site_of(request)
    form, t = await site.admin_post(request)
    by = admin_actor(request, site)
    try:
        user = await run_in_threadpool(
            lambda: users.add(site.storage, str(form.get("name", "")).strip(),
                              str(form.get("role", "")), str(form.get("password", "")),
                              by=by, district=str(form.get("district", "")),
                              must_change=True))
    except UserError as exc:
        return await _page(request, site, status=422, error=t("users.refused", reason=exc))
    return await _page(request, site, notice=t("users.added", name=user.name))


@router.get("/users/{name}/disable")
@not_personal(STAFF)
async def disable_ask(request: Request, name: str) -> Response:
    """The question the Users page's "Disable" leads to: one tap next to the role box
    disabled an account at once, with nothing to take it back."""
    site = site_of(request)
    site.user(request, "admin")
    if await run_in_threadpool(users.get, site.storage, name) is None:
        t = i18n.translator(site.lang(request))
        return await _page(request, site, status=404, error=t(
            "users.refused", reason=UserError("account.unknown", name=repr(name))))
    return await site.render(request, "users_disable.html", name=name)


@router.post("/users/{name}/disable")
@not_personal(STAFF)
async def disable(request: Request, name: str) -> Response:
    site = site_of(request)
    form, t = await site.admin_post(request)
    if form.get("confirm") != "yes":  # not from the question's page: ask it
        return await site.render(request, "users_disable.html", name=name)
    by = admin_actor(request, site)
    try:
        await run_in_threadpool(lambda: users.disable(site.storage, name, by=by))
    except UserError as exc:
        return await _page(request, site, status=422, error=t("users.refused", reason=exc))
    return await _page(request, site, notice=t("users.disabled", name=name))


@router.post("/users/{name}/enable")
@not_personal(STAFF)
async def enable(request: Request, name: str) -> Response:
    site = site_of(request)
    _, t = await site.admin_post(request)
    by = admin_actor(request, site)
    try:
        enabled = await run_in_threadpool(lambda: users.enable(site.storage, name, by=by))
    except UserError as exc:
        return await _page(request, site, status=422, error=t("users.refused", reason=exc))
    return await _page(request, site, notice=t("users.enabled" if enabled else
                                               "users.not_disabled", name=name))


@router.post("/users/{name}/role")
@not_personal(STAFF)
async def set_role(request: Request, name: str) -> Response:
    site = site_of(request)
    form, t = await site.admin_post(request)
    by = admin_actor(request, site)
    try:
        await run_in_threadpool(lambda: users.set_role(
            site.storage, name, str(form.get("role", "")), str(form.get("district", "")),
            by=by))
    except UserError as exc:
        return await _page(request, site, status=422, error=t("users.refused", reason=exc))
    return await _page(request, site, notice=t("users.role_done", name=name))


@router.post("/users/{name}/reset-password")
@not_personal(STAFF)
async def reset_password(request: Request, name: str) -> Response:
    site = site_of(request)
    form, t = await site.admin_post(request)
    by = admin_actor(request, site)
    try:
        active = await run_in_threadpool(lambda: users.reset_password(
            site.storage, name, str(form.get("password", "")), by=by))
    except UserError as exc:
        return await _page(request, site, status=422, error=t("users.refused", reason=exc))
    return await _page(request, site, notice=t(
        "users.reset_done" if active else "users.reset_still_disabled", name=name))


@router.post("/users/{name}/unlock")
@not_personal(STAFF)
async def unlock(request: Request, name: str) -> Response:
    site = site_of(request)
    _, t = await site.admin_post(request)
    by = admin_actor(request, site)
    try:
        await run_in_threadpool(lambda: users.unlock(site.storage, name, by=by))
    except UserError as exc:
        return await _page(request, site, status=422, error=t("users.refused", reason=exc))
    return await _page(request, site, notice=t("users.unlocked", name=name))
