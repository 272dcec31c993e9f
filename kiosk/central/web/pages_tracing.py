"""Tracing (tracers and admins): the trace form, its result, and its CSV/XLSX export. Every
trace and every export runs through :func:`kiosk.central.trace_service.run`, which writes
the audit record (who, whom, why, how many) before any answer is shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import FormData

from kiosk.central import audit, trace_formats, trace_service, tracing
from kiosk.central.disclosure import audited_as_trace, client_address, not_personal
from kiosk.central.web.site import ROLES_OF, Site, choice_parameter, site_of
from kiosk.messages import WordedError
from kiosk.sync.protocol import whole_number

router = APIRouter()
ROLES = ROLES_OF["/tracing"]
FIELDS = ("document", "foreign", "payload", "phone", "name", "birth_year", "start", "end",
          "margin", "second_degree", "all_exposures", "reason", "all_named")
"""The form's fields, which the export buttons send again as they were."""
EXPOSURES_SHOWN = 1000
"""Exposures (visit × contact) the page draws; the export holds every one listed. Asked for
every exposure, a busy person's are 326,540 (docs/benchmarks.md): no browser draws them."""
DOWNLOADS = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def asked(form: FormData) -> trace_service.Request:
    """The form as a trace request; TraceError naming the field that is wrong."""
    values = {name: str(form.get(name, "")).strip() for name in FIELDS}
    days = {}
    for name in ("start", "end"):
        if values[name]:
            try:
                days[name] = dt.date.fromisoformat(values[name])
            except ValueError:
                raise tracing.TraceError("trace.bad_date", name=name) from None
    minutes = whole_number(values["margin"] or "15")  # not "7.5", "1e3", "inf", "٣"
    if minutes is None:
        raise tracing.TraceError("trace.margin_minutes")
    onward = whole_number(values["second_degree"] or "0")
    if onward is None:
        raise tracing.TraceError("trace.second_degree_count")
    return trace_service.Request(
        document=values["document"] or None, foreign=values["foreign"] == "yes",
        payload=values["payload"].encode() if values["payload"] else None,
        phone=values["phone"] or None,
        name=values["name"] or None, birth_year=values["birth_year"] or None,
        start=days.get("start"), end=days.get("end"),
        policy=tracing.Policy(margin=minutes * 60, second_degree=onward),
        all_named=values["all_named"] == "yes", all_exposures=values["all_exposures"] == "yes")


@router.get("/tracing")
@not_personal("the empty trace form")
async def tracing_form(request: Request) -> Response:
    site = site_of(request)
    site.user(request, *ROLES)
    return await _page(site, request, {}, None, None)


async def _run(site: Site, request: Request, channel: str
               ) -> tuple[dict[str, str], dict[str, Any] | None, WordedError | None]:
    user = site.user(request, *ROLES)
    form = await site.form(request)
    values = {name: str(form.get(name, "")) for name in FIELDS}
    try:
        result = await run_in_threadpool(trace_service.run, site.storage, asked(form),
                                         actor=user.name, reason=values["reason"],
                                         channel=channel, address=client_address(request))
    except (tracing.TraceError, audit.AuditError) as exc:
        return values, None, exc
    return values, result, None


async def _page(site: Site, request: Request, values: dict[str, str],
                result: dict[str, Any] | None, error: WordedError | None) -> Response:
    """The form with its answer or refusal; a name matching too many people asks for
    the confirmation (a box to tick) beside their number."""
    many = error.words.params["people"] if error and error.words.code == "trace.name_many" \
        else None
    status = trace_service.refusal_status(error) if error else 200
    return await site.render(request, "tracing.html", status=status,
                             values=values, result=result, named_many=many,
                             second_people=trace_formats.second_degree_people(result)
                             if result else 0,
                             error=error.text(site.lang(request)) if error else None,
                             min_reason=audit.MIN_TRACE_REASON, form_fields=FIELDS,
                             max_second_degree=tracing.MAX_SECOND_DEGREE,
                             exposures_shown=EXPOSURES_SHOWN,
                             top_contacts=trace_formats.EXPOSED_CONTACTS)


@router.post("/tracing")
@audited_as_trace
async def run_trace(request: Request) -> Response:
    site = site_of(request)
    values, result, error = await _run(site, request, "web")
    return await _page(site, request, values, result, error)


@router.post("/tracing/export")
@audited_as_trace
async def export(request: Request, format: str = "") -> Response:
    site = site_of(request)
    site.user(request, *ROLES)  # who asks first: one answer to the unsigned whatever the format
    choice_parameter("format", format, DOWNLOADS)
    values, result, error = await _run(site, request, "web-export")
    if result is None:
        return await _page(site, request, values, None, error)
    body = await run_in_threadpool(trace_formats.render, result, format)
    name = f"truy-vet-{result['audit']}.{format}"
    return Response(body, media_type=DOWNLOADS[format], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
