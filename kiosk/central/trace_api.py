"""``POST /api/v1/trace``: a trace over HTTP, for a signed-in user with the tracer role.

Who may trace is decided by ``tracer_of(request) -> identity | None`` — the dashboard's
(:meth:`kiosk.central.web.site.Site.tracer_of`: a signed-in tracer or admin with the CSRF
token of a dashboard form of the session) unless ``create_app`` is given another — and every
answered trace is audited under that identity with channel ``api``. A storage failure is answered
as on every dashboard route (:func:`kiosk.central.web.mount.mount`): why to an
administrator, the generic words to anyone else.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from kiosk.central import audit, trace_service, tracing
from kiosk.central.disclosure import audited_as_trace, client_address
from kiosk.central.storage import Storage
from kiosk.sync.protocol import refusal_body

TRACE_PATH = "/api/v1/trace"
TracerOf = Callable[[Request], str | None]
_SETTINGS = {"margin_minutes": ("margin", 60), "default_stay_minutes": ("default_stay", 60),
             "max_stay_minutes": ("max_stay", 60), "repeat_window_seconds": ("repeat_window", 1),
             "second_degree": ("second_degree", None)}
"""Each setting's JSON key → the :class:`tracing.Policy` field and its seconds per unit
(None: a count). Every one is a JSON integer: ``true`` (which Python counts as 1), ``1.9``
or ``15.0`` and ``"15"`` are refused naming the key, never truncated or converted."""


def request_from(body: Any) -> trace_service.Request:
    """The JSON body as a trace request; TraceError naming the field otherwise."""
    if not isinstance(body, dict):
        raise tracing.TraceError("trace.not_object")
    unknown = set(body) - {"document", "payload_b64", "phone", "name", "birth_year", "from", "to",
                           "reason", "all_named", "foreign", "all_exposures", *_SETTINGS}
    if unknown:
        raise tracing.TraceError("trace.unknown_field", field=sorted(unknown)[0])
    payload, encoded = None, body.get("payload_b64")
    if encoded is not None:
        if not isinstance(encoded, str):  # str() made base64 of true ("True") and of 1234
            raise tracing.TraceError("trace.not_base64", name="payload_b64")
        try:
            payload = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise tracing.TraceError("trace.not_base64", name="payload_b64") from None
    times = {}
    for name in ("from", "to"):
        value = body.get(name)
        if value is not None:
            try:
                times[name] = (dt.date.fromisoformat(value) if len(str(value)) == 10
                               else dt.datetime.fromisoformat(value))
            except (TypeError, ValueError):
                raise tracing.TraceError("trace.bad_time", name=name) from None
            if isinstance(times[name], dt.datetime) and times[name].tzinfo is None:
                raise tracing.TraceError("trace.time_offset", name=name)
    settings: dict[str, Any] = {}
    for key, (field, unit) in _SETTINGS.items():
        value = body.get(key)
        if value is None:
            continue
        if type(value) is not int:  # bool is an int to Python; 5.0 and "5" are not JSON's
            raise tracing.TraceError("trace.whole_number", name=key)
        settings[field] = value if unit is None else value * unit  # Policy judges the range
    texts = {k: body.get(k) for k in ("document", "phone", "name", "birth_year")}
    if any(v is not None and not isinstance(v, str)  # the reason too: audit reads a text
           for v in (*texts.values(), body.get("reason"))):
        raise tracing.TraceError("trace.strings")
    all_named = body.get("all_named", False)
    if type(all_named) is not bool:  # not 1, "yes" or "false": a confirmation is said plainly
        raise tracing.TraceError("trace.all_named_bool")
    foreign = body.get("foreign", False)
    if type(foreign) is not bool:
        raise tracing.TraceError("trace.foreign_bool")
    all_exposures = body.get("all_exposures", False)
    if type(all_exposures) is not bool:
        raise tracing.TraceError("trace.all_exposures_bool")
    return trace_service.Request(payload=payload, start=times.get("from"),
                                 end=times.get("to"), policy=tracing.Policy(**settings),
                                 all_named=all_named, foreign=foreign,
                                 all_exposures=all_exposures, **texts)


def add_trace_route(app: FastAPI, storage: Storage, tracer_of: TracerOf) -> None:
    @app.post(TRACE_PATH, summary="Contact trace of one person (tracer role; audited)")
    @audited_as_trace
    async def trace(request: Request) -> JSONResponse:
        tracer = tracer_of(request)
        if tracer is None:
            return JSONResponse(refusal_body(tracing.TraceError("trace.tracer_needed")),
                                status_code=403)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse(refusal_body(tracing.TraceError("trace.not_json")),
                                status_code=400)
        try:
            asked = request_from(body)
            answer = await run_in_threadpool(
                trace_service.run, storage, asked, actor=tracer,
                reason=body.get("reason") or "", channel="api",
                address=client_address(request))
        except (tracing.TraceError, audit.AuditError) as exc:
            return JSONResponse(refusal_body(exc), status_code=trace_service.refusal_status(exc))
        # a StorageError is answered by the dashboard's handler (kiosk.central.web.mount):
        # why to an administrator, to a tracer only the generic words (no file, no disk)
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})  # it names people
