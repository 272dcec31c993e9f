"""Logging in and out, changing one's own password, and choosing the language."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from kiosk.central.audit import Actor
from kiosk.central.disclosure import client_address, not_personal
from kiosk.central.web import i18n, users
from kiosk.central.web.sessions import CSRF_COOKIE, DEVICE_COOKIE, SESSION_COOKIE
from kiosk.central.web.site import (
    LANG_COOKIE,
    cookie_name,
    delete_cookie,
    safe_next,
    set_cookie,
    site_of,
)
from kiosk.central.web.users import UserError

router = APIRouter()


@router.get("/login")
@not_personal("the login form")
async def login_page(request: Request, next: str = "/today") -> Response:
    return await site_of(request).render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
@not_personal("a redirect, or the login form with the reason it was refused")
async def login(request: Request) -> Response:
    site = site_of(request)
    form = await site.form(request, login=True)
    target = safe_next(str(form.get("next", "")))
    t = i18n.translator(site.lang(request))
    # counted as its failures are: an IPv6 client by its /64, a non-address as one unknown
    if not await run_in_threadpool(site.throttle.allow, users.counted_as(client_address(request))):
        return await site.render(request, "login.html", status=429, next=target,
                           error=t("login.throttled"))
    name = str(form.get("name", "")).strip().lower()
    device = cookie_name(request, DEVICE_COOKIE)
    shown = site.sessions.device_id(request.cookies.get(device))
    try:
        user = await run_in_threadpool(lambda: users.authenticate(
            site.storage, name, str(form.get("password", "")), address=client_address(request),
            device=shown))
    except UserError as exc:
        error = (t("login.locked", until=t.time(exc.words.params["until"],
                                                 site.storage.calendar.zone))
                 if exc.words.code == "account.locked" else t("login.wrong"))
        return await site.render(request, "login.html", status=401, next=target, error=error)
    cookie = await run_in_threadpool(site.sessions.start, user)
    browser = await run_in_threadpool(lambda: users.remember_browser(
        site.storage, user.name, replacing=shown))
    if user.must_change:  # a password an administrator set: changed before any page
        target = f"/account/password?next={quote(target, safe='')}"
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, cookie_name(request, SESSION_COOKIE), cookie)
    set_cookie(request, response, device, site.sessions.device_cookie(browser),
               max_age=users.DEVICE_DAYS * 24 * 3600)
    # signed in, forms carry the session's token: the login form's cookie is done with
    delete_cookie(request, response, cookie_name(request, CSRF_COOKIE))
    return response


@router.get("/account/password")
@not_personal("the signed-in user's own password form")
async def password_page(request: Request, next: str = "/today") -> Response:
    site = site_of(request)
    site.user(request, *users.ROLES)
    return await site.render(request, "account_password.html", next=safe_next(next),
                             min=users.MIN_PASSWORD)


@router.post("/account/password")
@not_personal("the signed-in user's own password form, or a redirect once changed")
async def change_password(request: Request) -> Response:
    """Every signed-in user's own new password, given the current one: before, only an
    administrator could set one, and knew it for good."""
    site = site_of(request)
    user = site.user(request, *users.ROLES)
    form = await site.form(request)
    t = i18n.translator(site.lang(request))
    target = safe_next(str(form.get("next", "")))
    session = site.session(request)
    assert session is not None  # site.user found it
    try:
        if form.get("new") != form.get("again"):
            raise UserError("account.passwords_differ")
        await run_in_threadpool(lambda: users.change_password(
            site.storage, user.name, str(form.get("current", "")), str(form.get("new", "")),
            by=Actor(user.name, "web", client_address(request)),
            session_hash=session.id_hash))
    except UserError as exc:
        return await site.render(request, "account_password.html", status=422,
                                 next=target, min=users.MIN_PASSWORD,
                                 error=t("password.refused", reason=exc))
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
@not_personal("a redirect to the login form")
async def logout(request: Request) -> Response:
    site = site_of(request)
    session = site.session(request)
    if session is not None:  # without one there is nothing to end
        await site.form(request)
        await run_in_threadpool(site.sessions.end_hash, session.id_hash)
    response = RedirectResponse("/login", status_code=303)
    delete_cookie(request, response, cookie_name(request, SESSION_COOKIE))
    return response


@router.get("/lang/{lang}")
@not_personal("a redirect setting the language")
async def choose_language(request: Request, lang: str, next: str = "/today") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in i18n.LANGUAGES:
        set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response
