"""Adding the dashboard to the collection API's FastAPI app (see the package docstring)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from kiosk.central.disclosure import not_personal
from kiosk.central.storage import Storage, StorageBusy, StorageError
from kiosk.central.web.site import (
    HERE,
    BadParameter,
    Forbidden,
    LoginRequired,
    PasswordChangeRequired,
    Site,
)
from kiosk.messages import WordedError, both
from kiosk.sync.protocol import refusal_body

log = logging.getLogger(__name__)


PASSING = frozenset({"storage.busy", "storage.writing", "storage.pool_full"})
"""The storage failures that pass by themselves (a lock another program or write holds, every
connection in use): a page they fail says "nothing is lost, reload in a few minutes". A full
or failing disk, a damaged file, a database server away do not: "tell the administrator"."""


def mount(app: FastAPI, storage: Storage) -> Site:
    from kiosk.central.web import (
        pages_audit,
        pages_auth,
        pages_batches,
        pages_checkpoints,
        pages_kiosks,
        pages_reports,
        pages_restored,
        pages_today,
        pages_tracing,
        pages_users,
    )

    site = Site(storage)
    app.state.web = site
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (pages_auth, pages_today, pages_reports, pages_checkpoints, pages_kiosks,
                   pages_batches, pages_tracing, pages_audit, pages_users, pages_restored):
        app.include_router(module.router, include_in_schema=False)
    app.include_router(pages_reports.api)

    async def refused(request: Request, exc: Exception) -> Response:
        return await site.refuse(request, exc)

    app.add_exception_handler(LoginRequired, refused)
    app.add_exception_handler(PasswordChangeRequired, refused)
    app.add_exception_handler(Forbidden, refused)
    app.add_exception_handler(BadParameter, refused)

    async def storage_failed(request: Request, exc: Exception) -> Response:
        """A page the database failed: 503 (``Retry-After``), not a bare 500. Why (the words
        :func:`kiosk.messages.failure_words` chose, which may name the database's file and
        its disk) is said to a signed-in administrator only; anyone else, a visitor not
        signed in too, reads that the centre cannot answer now. "Nothing is lost, reload in a
        few minutes" only for what passes by itself (:data:`PASSING`); else "tell the
        administrator" (to the administrator: "deal with the cause"). The database's own
        English goes to the log."""
        assert isinstance(exc, StorageError)
        log.warning("%s", both("central.log.page_not_served", reason=exc.words))
        if exc.__cause__ is not None:  # the database's own English: --log-level debug only
            log.debug("a page was not served: %s", str(exc.__cause__).strip())
        headers = {"Retry-After": str(exc.retry_after if isinstance(exc, StorageBusy) else 30)}
        passing = exc.words.code in PASSING
        administrator = _administrator(site, request)
        if request.url.path.startswith("/api/"):
            told = (exc if administrator else WordedError("web.unavailable.retry") if passing
                    else WordedError("web.unavailable.ask_admin"))
            return JSONResponse(refusal_body(told), status_code=503, headers=headers)
        response: Response = await site.render(
            request, "unavailable.html", status=503, passing=passing,
            reason=exc.text(site.lang(request)) if administrator else None)
        response.headers.update(headers)
        return response

    app.add_exception_handler(StorageError, storage_failed)

    async def http_error(request: Request, exc: Exception) -> Response:
        """An unknown address (404) or a method it does not take (405): a page in the
        reader's language for a browser — it showed ``{"detail":"Not Found"}`` in English
        JSON — and the JSON as before for the API and any client not asking for HTML."""
        assert isinstance(exc, StarletteHTTPException)
        if (request.url.path.startswith("/api/")
                or "text/html" not in request.headers.get("accept", "")
                or exc.status_code not in (404, 405)):
            return await http_exception_handler(request, exc)
        response = await site.render(request, "notfound.html", status=exc.status_code,
                                     code=exc.status_code)
        response.headers.update(exc.headers or {})
        return response

    app.add_exception_handler(StarletteHTTPException, http_error)

    @app.get("/", include_in_schema=False)
    @not_personal("a redirect to /today")
    async def home() -> Response:
        return RedirectResponse("/today", status_code=303)

    return site


def _administrator(site: Site, request: Request) -> bool:
    """Whether a signed-in administrator asks; a session the failing database cannot read is
    nobody's: its page is rendered as a visitor's."""
    try:
        session = site.session(request)
    except StorageError:
        session = request.state.session = None
    return session is not None and session.user.role == "admin"
