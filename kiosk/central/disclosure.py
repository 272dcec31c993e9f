"""Which of the centre's routes disclose personal data, and the audit record each leaves.

Every route of the centre's web app carries one of three marks, and
``tests/test_central_disclosure.py`` walks all registered routes and fails on one without,
then fetches each as every role and fails if one marked :func:`not_personal` shows a name
or document number — so a new page cannot skip the audit log silently:

- :func:`audited` ``(kind)``: the route shows names or document numbers. Each answer it gives
  (2xx) is written to the audit log — the signed-in user, the client's address, the path
  with its query — before it leaves; if the record cannot be written, nothing is shown.
- :func:`audited_as_trace`: the route discloses through
  :func:`kiosk.central.trace_service.run`, which writes the trace's own record (reason,
  period, counts) before it answers.
- :func:`not_personal` ``(why)``: the route shows no personal data; ``why`` says what it
  shows instead.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from kiosk.central import audit

MARK = "__disclosure__"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


@dataclass(frozen=True)
class Disclosure:
    personal: bool
    kind: str | None
    """The audit record's kind (see :data:`kiosk.central.audit.KINDS`); None if not personal."""
    note: str


def disclosure_of(endpoint: Callable[..., Any]) -> Disclosure | None:
    """The mark an endpoint carries, or None if it has none."""
    return getattr(endpoint, MARK, None)


def audited(kind: str) -> Callable[[Callable[..., Awaitable[Response]]],
                                   Callable[..., Awaitable[Response]]]:
    """Mark a page or download showing personal data; its answers are recorded (see above).

    The endpoint takes a ``request: Request`` argument and returns a Response."""
    if kind not in audit.VIEW_KINDS:
        raise ValueError(f"audit kind {kind!r} is not one of {sorted(audit.VIEW_KINDS)}")

    def mark(endpoint: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def recorded(*args: Any, **kwargs: Any) -> Response:
            request: Request = kwargs["request"]
            response = await endpoint(*args, **kwargs)
            if 200 <= response.status_code < 300:
                await run_in_threadpool(record_view, request, kind)
            return response

        setattr(recorded, MARK, Disclosure(True, kind, "each answer recorded"))
        return recorded

    return mark


def audited_as_trace(endpoint: Endpoint) -> Endpoint:
    """Mark a route that answers with a trace made by ``trace_service.run`` (which records it)."""
    setattr(endpoint, MARK, Disclosure(True, audit.TRACE, "recorded by trace_service.run"))
    return endpoint


def not_personal(why: str) -> Callable[[Endpoint], Endpoint]:
    """Mark a route that shows no name, document number, phone or birth date."""
    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, MARK, Disclosure(False, None, why))
        return endpoint

    return mark


def client_address(request: Request) -> str | None:
    """The client's address as the server sees it (behind a proxy on the same host, the
    address it forwards: believed from 127.0.0.1 and `serve --forwarded-allow-ips` only);
    None when there is none or what was forwarded is no IP address (``*``, a name): such
    text is neither counted as an address nor written to the audit log as one."""
    host = request.client.host if request.client else None
    try:
        ipaddress.ip_address(host or "")
    except ValueError:
        return None
    return host


def record_view(request: Request, kind: str) -> int:
    """Write the audit record of a page view; AuditError if nobody is signed in (a page
    showing personal data to an anonymous visitor is a bug, and is not shown)."""
    session = getattr(request.state, "session", None)
    if session is None:
        raise audit.AuditError("audit.nobody_signed_in", path=request.url.path)
    subject = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return audit.append_view(request.app.state.storage, kind, actor=session.user.name,
                             channel="web", address=client_address(request), subject=subject)
