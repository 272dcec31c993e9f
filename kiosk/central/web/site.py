"""What every dashboard page shares: who is asking, what their role lets them see, the CSRF
check on forms, the language, rendering, and the refusals (login needed, 403, a query
parameter it cannot read: 400).

Pages never read cookies or roles themselves: they call :meth:`Site.user` with the roles
allowed, :meth:`Site.form` for a POST (which refuses a missing or wrong CSRF token, a POST
from another site and one whose dashboard cookie came twice, before the page sees anything)
or :meth:`Site.admin_post` for an administrator's, and
:meth:`Site.render`, which draws the page's HTML in a worker thread: never on the server's one
request loop, where a province's large page would hold up every kiosk's upload and health
check while it is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.routing import Match

from kiosk.central import received_mark
from kiosk.central.audit import Actor
from kiosk.central.disclosure import client_address
from kiosk.central.storage import Storage
from kiosk.central.web import i18n
from kiosk.central.web.login_throttle import LoginThrottle
from kiosk.central.web.sessions import (
    AUTOMATIC,
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    Session,
    Sessions,
    new_csrf_cookie,
)
from kiosk.central.web.shared_builds import SharedBuilds
from kiosk.central.web.today_report import DaysNotMade, TodayReport
from kiosk.central.web.users import User
from kiosk.sync.protocol import whole_number

HERE = Path(__file__).parent
LANG_COOKIE = "kc_lang"
NAV = (  # (path, text key, roles allowed)
    ("/today", "nav.today", ("admin", "district", "tracer", "viewer")),
    ("/reports", "nav.reports", ("admin", "district", "tracer", "viewer")),
    ("/checkpoints", "nav.checkpoints", ("admin", "district", "tracer", "viewer")),
    ("/kiosks", "nav.kiosks", ("admin", "district")),
    ("/batches", "nav.batches", ("admin", "district")),
    ("/tracing", "nav.tracing", ("admin", "tracer")),
    ("/audit", "nav.audit", ("admin",)),
    ("/users", "nav.users", ("admin",)),
)
ROLES_OF = {path: roles for path, _, roles in NAV}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
FORM_MAX_BYTES = 64 * 1024
"""The most a dashboard form may send. The largest any form here needs is well under it (the
Tracing form's 500-character reason, a user's 1024-character password, each at 12 bytes a
character percent-encoded); Starlette alone would hold 1000 fields of 1 MiB each."""


PASSWORD_PAGE = "/account/password"
"""Where a user changes her own password: the one page open to her while an administrator's
password is still hers."""


class PasswordChangeRequired(Exception):
    """A live session whose password an administrator set (``users.must_change``): sent to
    :data:`PASSWORD_PAGE` first, back to the page asked for once it is changed."""


class LoginRequired(Exception):
    """No live session: the visitor is sent to the login page."""


class Forbidden(Exception):
    """A live session whose role does not allow this, or a form without its CSRF token (HTTP
    403). Another district's things are not forbidden but unknown: a page of one point or
    kiosk answers a district officer 404 for another district's, as for an unknown id, so
    that they cannot tell which ids exist elsewhere."""

    status, title = 403, "forbidden.title"

    def __init__(self, reason_key: str, **params: Any) -> None:
        super().__init__(reason_key)
        self.reason_key, self.params = reason_key, params


class FormTooLarge(Forbidden):
    """A form body over :data:`FORM_MAX_BYTES` (HTTP 413), refused before it is parsed."""

    status, title = 413, "too_large.title"

    def __init__(self) -> None:
        super().__init__("too_large.form", limit=FORM_MAX_BYTES)


class BadParameter(Exception):
    """A query parameter the page cannot read (HTTP 400, naming it and what it must be).
    Pages take their parameters as text and read them with :func:`number_parameter`,
    :func:`flag_parameter` or :func:`choice_parameter` after :meth:`Site.user`: a typed
    parameter would be judged by FastAPI before the role check, in its own English JSON, to
    anyone (a visitor not signed in too)."""

    def __init__(self, reason_key: str, name: str, got: str, **params: Any) -> None:
        super().__init__(reason_key)
        self.reason_key = reason_key
        self.params = {"name": name, "got": repr(got[:40]), **params}


FLAGS = {"": False, "false": False, "0": False, "true": True, "1": True, "on": True}
"""A yes/no parameter: what the pages' links and check boxes send ("true"), and the plain
spellings of a hand-typed address."""


def number_parameter(name: str, text: str, default: int) -> int:
    """A whole number in digits 0-9 (``default`` when empty); BadParameter otherwise."""
    if not text:
        return default
    number = whole_number(text)
    if number is None:  # a hand-edited or mangled link: said, not a 500
        raise BadParameter("bad_request.number", name, text)
    return number


def flag_parameter(name: str, text: str) -> bool:
    """Yes or no (:data:`FLAGS`); BadParameter otherwise."""
    if text.lower() not in FLAGS:
        raise BadParameter("bad_request.flag", name, text)
    return FLAGS[text.lower()]


def choice_parameter(name: str, text: str, choices: Iterable[str]) -> str:
    """One of ``choices``; BadParameter naming them otherwise (a missing one too)."""
    if text not in choices:
        raise BadParameter("bad_request.choice", name, text, choices=", ".join(choices))
    return text


class Site:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.sessions = Sessions(storage)
        self.throttle = LoginThrottle(storage)
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.today = TodayReport(storage)
        self.days_not_made = DaysNotMade(storage)
        self.report_builds = SharedBuilds()

    # -- who is asking --------------------------------------------------------------------
    def session(self, request: Request) -> Session | None:
        """The live session of the request, or None; Forbidden when a dashboard cookie came
        twice (see :func:`cookie_sent_twice`): which one the visitor's is cannot be told."""
        if not hasattr(request.state, "session"):
            if cookie_sent_twice(request):
                request.state.session = None  # the refusal page is drawn as a visitor's
                raise Forbidden("forbidden.cookie_twice")
            request.state.session = self.sessions.find(
                request.cookies.get(cookie_name(request, SESSION_COOKIE)),
                activity=AUTOMATIC not in request.query_params)
        return request.state.session

    def user(self, request: Request, *roles: str) -> User:
        """The logged-in user if their role is one of ``roles``; LoginRequired / Forbidden.
        BadParameter if the page's address holds a NUL character (%00) in a parameter."""
        session = self.session(request)
        if session is None:
            raise LoginRequired()
        if session.user.must_change and request.url.path != PASSWORD_PAGE:
            raise PasswordChangeRequired()
        if session.user.role not in roles:
            raise Forbidden("forbidden.role")
        for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
            if "\x00" in str(value):  # no id or name holds one; PostgreSQL refuses it in text
                raise BadParameter("bad_request.nul", name, str(value))
        return session.user

    def tracer_of(self, request: Request) -> str | None:
        """Who traces over ``POST /api/v1/trace``: the signed-in user if their role may
        trace and the request carries the CSRF token of a dashboard form in an
        ``X-CSRF-Token`` header (a cookie alone is not enough: a page of another site on the
        same domain could make the browser send it), from no other site, with no dashboard
        cookie sent twice."""
        if cookie_sent_twice(request) or not same_origin(request):
            return None
        session = self.session(request)
        if (session is None or session.user.must_change
                or session.user.role not in ROLES_OF["/tracing"]):
            return None
        if not self.sessions.csrf_valid(session, None, request.headers.get("x-csrf-token")):
            return None
        return session.user.name

    async def form(self, request: Request, *, login: bool = False) -> FormData:
        """The POSTed form of a signed-in user (LoginRequired without a session) once it is
        known to come from this site's own page (:func:`same_origin`) and to carry the
        session's CSRF token; Forbidden otherwise. The login form (``login``) may carry the
        token bound to the ``kc_csrf`` cookie instead. FormTooLarge as soon as its body is
        known to pass :data:`FORM_MAX_BYTES`."""
        if not same_origin(request):
            raise Forbidden("forbidden.cross_site")
        session = self.session(request)
        if session is None and not login:
            raise LoginRequired()
        request._body = await _bounded_body(request, FORM_MAX_BYTES)  # what form() parses
        form = await request.form()
        if not self.sessions.csrf_valid(session, request.cookies.get(cookie_name(
                request, CSRF_COOKIE)), form.get(CSRF_FIELD), login=login):
            raise Forbidden("forbidden.csrf")
        return form

    async def admin_post(self, request: Request) -> tuple[FormData, i18n.Translator]:
        """An administrator's POST: its form and the words to answer in. The role is checked
        before the form is read, then its CSRF token (LoginRequired / Forbidden)."""
        self.user(request, "admin")
        return await self.form(request), i18n.translator(self.lang(request))

    # -- answering ------------------------------------------------------------------------
    def lang(self, request: Request) -> str:
        lang = request.cookies.get(LANG_COOKIE, i18n.DEFAULT)
        return lang if lang in i18n.LANGUAGES else i18n.DEFAULT

    async def render(self, request: Request, template: str, *, status: int = 200,
                     **context: Any) -> HTMLResponse:
        """The page ``template`` drawn with ``context`` (and what every page has: the user,
        the language, the CSRF token, the menu) — drawn in a worker thread, so that the
        request loop answers kiosks and other pages meanwhile. Every page is drawn here."""
        session = await run_in_threadpool(self.session, request)  # found once, then kept
        return await run_in_threadpool(self._render, request, template, status, session,
                                       context)

    def _render(self, request: Request, template: str, status: int, session: Session | None,
                context: dict[str, Any]) -> HTMLResponse:
        csrf_name = cookie_name(request, CSRF_COOKIE)
        csrf_cookie = request.cookies.get(csrf_name) or new_csrf_cookie()
        user = session.user if session else None
        lang = self.lang(request)
        t = i18n.translator(lang)
        response = self.templates.TemplateResponse(request, template, {
            "user": user, "lang": lang, "t": t,
            "csrf_field": CSRF_FIELD,
            "csrf": (self.sessions.csrf_token(session) if session
                     else self.sessions.login_token(csrf_cookie)),
            "local": lambda stored, clock=True: t.time(stored, self.storage.calendar.zone,
                                                       clock=clock),
            "nav": [(path, key) for path, key, roles in NAV if user and user.role in roles],
            "path": request.url.path, "here": quote(address(request)),
            "restored": received_mark.warning(self.storage)
            if user and user.role == "admin" else None,
            **context}, status_code=status)
        if session is None and request.cookies.get(csrf_name) != csrf_cookie:
            set_cookie(request, response, csrf_name, csrf_cookie)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def refuse(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, LoginRequired):
            return RedirectResponse(f"/login?next={quote(page_of(request), safe='')}",
                                    status_code=303)
        if isinstance(exc, PasswordChangeRequired):
            return RedirectResponse(f"{PASSWORD_PAGE}?next={quote(page_of(request), safe='')}",
                                    status_code=303)
        if isinstance(exc, BadParameter):
            return await self.render(request, "bad_request.html", status=400,
                               reason=exc.reason_key, params=exc.params)
        assert isinstance(exc, Forbidden)
        return await self.render(request, "forbidden.html", status=exc.status, code=exc.status,
                           title=exc.title, reason=exc.reason_key, params=exc.params)


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The request's body, refused (FormTooLarge) as soon as it passes ``limit``: by its
    declared Content-Length before a byte is read, else as it is read."""
    declared = request.headers.get("content-length")
    if declared is not None and (whole_number(declared) or 0) > limit:
        raise FormTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise FormTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def address(request: Request) -> str:
    """The page's path and query as the user would ask for it again — after signing in, in
    the other language — without the mark of an automatic reload (:data:`AUTOMATIC`), which
    would keep their own visits from counting as activity."""
    query = urlencode([(name, value) for name, value in request.query_params.multi_items()
                       if name != AUTOMATIC])
    return request.url.path + (f"?{query}" if query else "")


def page_of(request: Request) -> str:
    """Where to come back to after signing in: the page asked for (:func:`address`) — for a
    form sent (a POST: an export, a change), the page it was sent from, the nearest address
    above it that a GET serves. A sign-in then asked the browser to GET an address only a
    POST is for: ``/tracing/export`` answered ``{"detail":"Method Not Allowed"}``."""
    if request.method in ("GET", "HEAD"):
        return address(request)
    path = request.url.path.rstrip("/")
    while path:
        scope = {"type": "http", "path": path, "method": "GET"}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.routes):
            return path
        path = path.rpartition("/")[0]
    return "/today"


def site_of(request: Request) -> Site:
    """The dashboard's :class:`Site`, as :func:`kiosk.central.web.mount.mount` left it on the
    app: how every page reaches it."""
    return request.app.state.web


def admin_actor(request: Request, site: Site) -> Actor:
    """The signed-in administrator acting, as the audit log records them."""
    return Actor(site.user(request, "admin").name, "web", client_address(request))


def district_of(user: User) -> str | None:
    """The one district a district user is limited to; None for roles that see all."""
    return user.district if user.role == "district" else None


def cookie_name(request: Request, name: str) -> str:
    """The session's or CSRF cookie's name: over HTTPS with the ``__Host-`` prefix, which a
    browser takes only from this very host over HTTPS, Secure, for path / and without a
    Domain — so that neither a sibling subdomain nor a man in the middle on plain HTTP can
    set it. Over plain HTTP (127.0.0.1, a test) the name alone."""
    return f"__Host-{name}" if request.url.scheme == "https" else name


def cookie_sent_twice(request: Request) -> bool:
    """Whether the session's or CSRF cookie came more than once: two cookies of one name,
    one of them set by a page of another port or a sibling domain (Starlette would read the
    last)."""
    names = [part.split("=", 1)[0].strip() for header in request.headers.getlist("cookie")
             for part in header.split(";")]
    return any(names.count(cookie_name(request, name)) > 1
               for name in (SESSION_COOKIE, CSRF_COOKIE))


def same_origin(request: Request) -> bool:
    """Whether a POST may have come from this site's own page. The browser's
    ``Sec-Fetch-Site`` decides when sent (``same-origin``, or ``none``: the user's own
    doing); else an ``Origin`` must be this site's scheme, host and port as the request
    names them. A request with neither (curl, a script, an old browser) is let through to
    the CSRF token, which another site cannot have."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin.lower() == f"{request.url.scheme}://{request.url.netloc}".lower()


def set_cookie(request: Request, response: Response, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


def delete_cookie(request: Request, response: Response, name: str) -> None:
    """Ends a cookie :func:`set_cookie` set (a ``__Host-`` one must be ended Secure too)."""
    response.delete_cookie(name, httponly=True, samesite="strict",
                           secure=request.url.scheme == "https", path="/")


def safe_next(target: str | None) -> str:
    """A redirect target inside this site only (never ``//elsewhere`` or a full URL)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/today"
    return target
