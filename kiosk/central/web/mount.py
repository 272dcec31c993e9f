"""Adding the dashboard to the collection API's FastAPI app (see the package docstring)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from kiosk.central.disclosure import not_personal
from kiosk.central.storage import Storage
from kiosk.central.web.site import HERE, Forbidden, LoginRequired, Site


def mount(app: FastAPI, storage: Storage) -> Site:
    from kiosk.central.web import (
        pages_audit,
        pages_auth,
        pages_batches,
        pages_checkpoints,
        pages_kiosks,
        pages_reports,
        pages_today,
        pages_tracing,
        pages_users,
    )

    site = Site(storage)
    app.state.web = site
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (pages_auth, pages_today, pages_reports, pages_checkpoints, pages_kiosks,
                   pages_batches, pages_tracing, pages_audit, pages_users):
        app.include_router(module.router, include_in_schema=False)
    app.include_router(pages_reports.api)

    async def refused(request: Request, exc: Exception) -> Response:
        return site.refuse(request, exc)

    app.add_exception_handler(LoginRequired, refused)
    app.add_exception_handler(Forbidden, refused)

    @app.get("/", include_in_schema=False)
    @not_personal("a redirect to /today")
    async def home() -> Response:
        return RedirectResponse("/today", status_code=303)

    return site
