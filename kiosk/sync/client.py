"""HTTP transport to the centre: one keep-alive session, every outcome a type.

The worker decides what to do from the exception class alone: ``Unreachable`` and
``ServerBusy`` are retried with backoff (``ServerBusy.retry_after`` honoured), ``TooLarge``
shrinks the batch, ``AuthRefused`` stops uploading and alerts the operator, ``Refused`` means
the centre will never take this request as it is. A 200 answer is checked against the
entries sent (:func:`kiosk.sync.protocol.validate_response`) before anything is believed,
so a truncated or confused answer can never acknowledge an entry the centre does not hold.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import errno
import logging
import re
import socket
import ssl
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from kiosk import json_depth
from kiosk.certificates import trustlist
from kiosk.config import plain_http, plain_http_refusal
from kiosk.messages import WordedError, Words, answered_words, both
from kiosk.sync import protocol

log = logging.getLogger(__name__)

USER_AGENT = f"checkpoint-kiosk-sync (protocol {protocol.PROTOCOL_VERSION})"
ANSWER_MAX_BYTES = protocol.MAX_DECODED_BYTES
"""The most of an answer read (decompressed), as much as the centre reads of a request: the
largest, to a batch of 10,000 entries each refused with its reason, is far under it. An
answer had no bound: a 200 of 4 GiB from a broken proxy was read whole, by the process that
also runs the screen and the scanner, until MemoryError. The trust list has its own
(:data:`kiosk.certificates.trustlist.MAX_FILE_BYTES`)."""
SLOWEST_LINK = 2048
"""Bytes a second an answer must keep coming at, on average, past the first
``timeout_seconds`` (:func:`_body`): below a GPRS link's ~5 KB/s, far above a proxy
trickling bytes. A 16 MiB answer may take ~2 h 16 min at it: bounded, unlike before."""


class SyncError(WordedError):
    """An upload that did not get a usable answer; the entries stay pending (``sync.*``; the
    centre's own refusal, worded from its code when this kiosk knows it)."""

    reached_server = False
    """True when the centre itself answered (the network works), False for transport faults."""


class Unreachable(SyncError):
    """Connection refused or reset, timeout, DNS failure; an answer truncated, garbled, too
    large or too slow (:func:`_body`)."""

    unanswered = False
    """The request went out and no answer began within the read timeout: the centre is
    slow with it (it may still store it) or hung — the uploader asks its health check which
    — while a refused connection, a DNS failure or a connect timeout leave this False.
    (urllib3 reports a TLS handshake that stalls as a read timeout too: rare, and the
    batches halved then grow back.)"""

    not_connected = False
    """No connection could be opened at all (refused, no route, DNS): the centre or the
    network is down, not slow — the worker looks for it again every ``interval_seconds``
    instead of backing off up to ``max_backoff_seconds``
    (:meth:`Scheduler.backoff_delay <kiosk.sync.scheduler.Scheduler.backoff_delay>`). A
    connect that timed out is not: an overloaded centre (its accept queue full) or a
    firewall dropping the handshake looks just so, and a fleet must back off from it."""


class ServerBusy(SyncError):
    """5xx, or 429/503 with an optional ``Retry-After`` (seconds); or a 401/403 not in the
    centre's words (:func:`centre_said`): a proxy's, a firewall's or a captive portal's page,
    retried with backoff — taken for the token refused, it paused uploads until an
    operator's push or a restart, though the way was open again a second later."""

    canceled = False
    """The centre's database canceled storing the batch past its statement timeout
    (``storage.canceled``): the same batch would most likely run past it again."""

    def __init__(self, code: str, /, retry_after: float | None = None,
                 **params: object) -> None:
        super().__init__(code, **params)
        self.retry_after = retry_after


class PlainHttpRefused(SyncError):
    """The address is plain ``http://`` to another machine and that is not allowed
    (:func:`kiosk.config.plain_http_refusal`): nothing was sent, not even the token."""


class TooLarge(SyncError):
    """413: the body (or the number of entries) exceeds what the centre or a proxy takes."""

    reached_server = True


class AuthRefused(SyncError):
    """401 (token unknown or revoked) or 403 (entries of another kiosk), in the centre's own
    words (:func:`centre_said`): needs the operator."""

    reached_server = True

    def __init__(self, code: str, status: int, /, **params: object) -> None:
        super().__init__(code, **params)
        self.status = status


class Refused(SyncError):
    """400/415/422 and other 4xx: the centre will not take this request as it is."""

    reached_server = True

    def __init__(self, code: str, status: int, /, **params: object) -> None:
        super().__init__(code, **params)
        self.status = status


class SigningKeyHeld(Refused):
    """409 to the backlog-keys request: the centre holds another signing key for this
    kiosk. ``centre_key``: the centre's encryption key when its answer carries it, and
    ``centre_id`` its id."""

    def __init__(self, code: str, /, centre_key: str | None, centre_id: str | None = None,
                 **params: object) -> None:
        super().__init__(code, 409, **params)
        self.centre_key, self.centre_id = centre_key, centre_id


@dataclass(frozen=True)
class BatchAnswer:
    held: list[str]
    """Ids the centre holds (``accepted`` or ``duplicate``): acknowledge these."""
    rejected: dict[str, protocol.Refusal]
    """Id → why the centre refused it: quarantine these."""
    accepted: int
    duplicate: int
    """Held already (an earlier send, a backlog file)."""
    past_retention: list[str]
    """Ids (among ``held``) answered ``duplicate`` yet not held: filed before
    ``retention_cut``, the centre's latest purge's cutoff (:data:`protocol.PAST_RETENTION`):
    not stored, not counted. Ids, so that only those still pending here are counted as
    past retention (:meth:`kiosk.store.Store.mark_synced`): another sender's answer may
    have counted them already."""
    retention_cut: str | None
    """The latest cut answered (``YYYY-MM-DD``); None when none was a day a cut can be
    (:func:`retention_cut`)."""
    clock_offset_seconds: float | None
    """None when the answer holds none a centre can measure
    (:func:`protocol.answered_clock_offset`)."""
    filed_at_arrival: int = 0
    """Of ``accepted``, how many the centre filed at their arrival, their ``scanned_at``
    after it (:data:`protocol.FILED_AT_ARRIVAL`): the kiosk's clock ran ahead."""


def retention_cut(value: object, today: dt.date) -> str | None:
    """A ``past_retention`` member as shown to people: a UTC day of exactly ten characters
    (``YYYY-MM-DD``) no later than the day after ``today`` (the kiosk's UTC day), else None
    (a cut not known). The entry still counts as past retention: the centre said it does not
    hold it, and calling it "already at the centre" would hide that; but whatever else the
    member holds (markup, a huge string) is shown nowhere. A cut is a day the centre's purge
    has passed, so a later one (9999-12-31) is a broken or spoofing centre's: kept, it would
    stay the saved latest cut for good (:func:`kiosk.sync.status.past_retention_added`). The
    day after allows for a centre's clock a little ahead."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day.isoformat() if (day - today).days <= 1 else None


class SyncClient:
    """One ``requests.Session`` with up to ``connections`` keep-alive connections (one per
    concurrent caller) and no hidden retries."""

    def __init__(self, server_url: str, token: str, *, timeout: float = 15.0,
                 connections: int = 1, allow_plain_http: bool = False) -> None:
        """``allow_plain_http``: ``[sync] allow_plain_http`` (or ``kiosk enrol
        --allow-plain-http``); without it a plain ``http://`` address of another machine
        gets no request at all (:class:`PlainHttpRefused`), with it each client warns."""
        self.base = server_url.rstrip("/")
        self.refusal = plain_http_refusal(server_url, allow_plain_http)
        if allow_plain_http and plain_http(server_url):
            log.warning("%s", both("sync.plain_http_allowed", url=server_url,
                                   setting="[sync] allow_plain_http = true"))
        self.timeout = (min(timeout, 5.0), timeout)  # (connect, read)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=connections, pool_block=True,
                              max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": USER_AGENT, **protocol.bearer(token)})

    def close(self) -> None:
        self.session.close()

    def post_batch(self, body: bytes, encoding: str, sent_ids: list[str]) -> BatchAnswer:
        """POST one encoded batch; raises a :class:`SyncError` subclass unless answered 200."""
        response = self._request("POST", protocol.BATCHES_PATH, data=body, headers={
            "Content-Type": "application/json", "Content-Encoding": encoding})
        try:
            answer = _loaded(response)
            held, rejected = protocol.validate_response(answer, sent_ids)
        except (ValueError, protocol.ProtocolError) as exc:  # JSONDecodeError is a ValueError
            raise Unreachable("sync.unusable_answer", detail=_unusable(exc)) from None
        statuses = Counter(r["status"] for r in answer["results"])
        today = dt.datetime.now(dt.UTC).date()
        past = [r for r in answer["results"] if r["status"] == protocol.DUPLICATE
                and r.get(protocol.PAST_RETENTION) is not None]
        cuts = [retention_cut(r[protocol.PAST_RETENTION], today) for r in past]
        return BatchAnswer(held, rejected, statuses[protocol.ACCEPTED],
                           statuses[protocol.DUPLICATE] - len(past), [r["id"] for r in past],
                           max(filter(None, cuts), default=None),
                           protocol.answered_clock_offset(answer.get("clock_offset_seconds")),
                           sum(r["status"] == protocol.ACCEPTED
                               and r.get(protocol.FILED_AT_ARRIVAL) is True
                               for r in answer["results"]))

    def post_heartbeat(self, body: bytes, encoding: str) -> None:
        """POST an encoded heartbeat (:func:`protocol.make_heartbeat`); raises like
        :meth:`post_batch` unless answered 200."""
        self._request("POST", protocol.HEARTBEAT_PATH, data=body, headers={
            "Content-Type": "application/json", "Content-Encoding": encoding})

    def trust_list(self, etag: str | None) -> TrustListAnswer:
        """GET the centre's certificate trust list; its body None when it still is ``etag``
        (304, with the centre's Date all the same). A centre that holds none answers 404
        (:class:`Refused`)."""
        response = self._request("GET", protocol.TRUST_LIST_PATH, ok=(200, 304),
                                 max_bytes=trustlist.MAX_FILE_BYTES,
                                 headers={"If-None-Match": etag} if etag else {})
        centre_time = http_date(response.headers.get("Date"))
        if response.status_code == 304:
            return TrustListAnswer(None, centre_time)
        return TrustListAnswer(response.content, centre_time)

    def registration(self) -> dict:
        """GET what the centre registered this token's kiosk as: ``{kiosk_id,
        checkpoint_id}``. Changes nothing. Raises like :meth:`post_batch` (a centre before
        this call: :class:`Refused` 404)."""
        answer = _json_object(self._request("GET", protocol.KIOSK_PATH),
                              "sync.unusable_registration")
        fields = ("kiosk_id", "checkpoint_id")
        if not all(isinstance(answer.get(k), str) and answer[k] for k in fields):
            raise Unreachable("sync.unusable_registration", detail=Words(
                "sync.missing", {"fields": ", ".join(fields)}))
        return answer

    def backlog_keys(self, signing_key: str) -> dict:
        """POST this kiosk's public backlog signing key (base64); the centre's answer
        ``{centre_key, centre_id, signing_key, signing_key_registered_at}``. Raises like
        :meth:`post_batch` (another key registered: :class:`SigningKeyHeld`)."""
        response = self._request("POST", protocol.BACKLOG_KEYS_PATH, ok=(200, 409),
                                 json={"signing_key": signing_key})
        if response.status_code == 409:
            try:
                said = _loaded(response)
                held, centre_id = said.get("centre_key"), said.get("centre_id")
            except (ValueError, AttributeError):
                held = centre_id = None
            raise SigningKeyHeld("sync.http", held if isinstance(held, str) else None,
                                 centre_id if isinstance(centre_id, str) else None,
                                 status=409, error=_answered(response))
        answer = _json_object(response, "sync.unusable_keys")
        if not isinstance(answer.get("centre_key"), str):
            raise Unreachable("sync.unusable_keys", detail=Words("sync.missing",
                                                                {"fields": "centre_key"}))
        return answer

    def enrol(self, secret: str, signing_key: str | None = None) -> dict:
        """POST a one-time enrolment secret (no token needed) with the kiosk's public
        backlog signing key; the centre's answer ``{kiosk_id, checkpoint_id, token}`` (and
        ``backlog_key``, its encryption key, and ``centre_id``, from a centre that has
        one). Raises like :meth:`post_batch` (a used code is :class:`Refused` 409, an
        expired one 410, an unknown one :class:`AuthRefused`)."""
        from kiosk.enrolment import ENROL_PATH

        response = self._request("POST", ENROL_PATH, json={"secret": secret,
                                                           "signing_key": signing_key})
        answer = _json_object(response, "sync.unusable_enrolment")
        fields = ("kiosk_id", "checkpoint_id", "token")
        if not all(isinstance(answer.get(k), str) and answer[k] for k in fields):
            raise Unreachable("sync.unusable_enrolment", detail=Words(
                "sync.missing", {"fields": ", ".join(fields)}))
        return answer

    def health(self, timeout: float | None = None) -> dict:
        """GET the health endpoint (no token needed); raises like :meth:`post_batch`.
        ``timeout`` (seconds) bounds the connect and the answer alike, for a quick probe."""
        response = self._request("GET", protocol.HEALTH_PATH, timeout=timeout)
        try:
            return _loaded(response)
        except ValueError:
            raise Unreachable("sync.unusable_health") from None

    def _request(self, method: str, path: str, *, ok: tuple[int, ...] = (200,),
                 timeout: float | None = None, max_bytes: int = ANSWER_MAX_BYTES,
                 **kwargs: object) -> Answer:
        timeout = timeout or self.timeout
        if self.refusal is not None:  # before any connection: the token is in the headers
            raise PlainHttpRefused(self.refusal.code, **self.refusal.params)
        try:
            with self.session.request(method, self.base + path, timeout=timeout,
                                      allow_redirects=False, stream=True, **kwargs) as raw:
                response = Answer(raw.status_code, raw.headers, raw.reason, _body(
                    raw, max_bytes, timeout[1] if isinstance(timeout, tuple) else timeout))
        except requests.RequestException as exc:
            failure = Unreachable("sync.transport", what=Words(_failure_kind(exc)),
                                  cause=_cause(exc))
            failure.unanswered = isinstance(exc, requests.ReadTimeout)
            # refused, no route, name not found: urllib3's NewConnectionError (a subclass of
            # its ConnectTimeoutError) and NameResolutionError; a connect that timed out is not
            failure.not_connected = not isinstance(exc, requests.ConnectTimeout) and any(
                isinstance(cause, urllib3.exceptions.NewConnectionError)
                for cause in _chain(exc))
            raise failure from None
        status = response.status_code
        if status in ok:
            return response
        error = _answered(response)
        if status in (401, 403):
            if centre_said(error):
                raise AuthRefused("sync.http", status, status=status, error=error)
            raise ServerBusy("sync.http", status=status, error=error)
        if status == 413:
            raise TooLarge("sync.http", status=status, error=error)
        if status in (429, 503) or status >= 500:
            busy = ServerBusy("sync.http", parse_retry_after(
                response.headers.get("Retry-After"), http_date(response.headers.get("Date"))),
                status=status, error=error)
            busy.reached_server = status in (429, 503)
            busy.canceled = isinstance(error, Words) and error.code == "storage.canceled"
            raise busy
        raise Refused("sync.http", status, status=status, error=error)


@dataclass(frozen=True)
class Answer:
    """An answer read whole (:func:`_body`)."""

    status_code: int
    headers: Mapping[str, str]
    reason: str
    content: bytes


def _body(response: requests.Response, max_bytes: int, read_timeout: float) -> bytes:
    """The body, decompressed, read as it arrives. Unreachable (``sync.unusable_answer``)
    past ``max_bytes``, or when it is not whole within ``read_timeout`` plus a second for
    each :data:`SLOWEST_LINK` bytes come: requests' timeout is per read, so a proxy
    trickling a byte every half second held a push for ever; an honest slow link is not cut
    (a 1 MB trust list over 2G/EDGE at 30 KB/s takes 33 s, over the 15 s timeout, and was
    cut at 26 s when a MiB per timeout was asked for: downloaded again and thrown away every
    few minutes). Errors on the way are requests' own, as its reading of a body raises
    them."""
    began, body = time.monotonic(), bytearray()
    try:
        while chunk := response.raw.read1(1 << 16, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                raise Unreachable("sync.unusable_answer", detail=Words(
                    "sync.answer_too_large", {"limit": max_bytes >> 20}))
            allowed = read_timeout + len(body) / SLOWEST_LINK
            if time.monotonic() - began > allowed:
                raise Unreachable("sync.unusable_answer", detail=Words(
                    "sync.answer_too_slow", {"seconds": f"{allowed:.1f}".removesuffix(".0")
                                             if allowed < 10 else f"{allowed:.0f}"}))
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.ConnectionError(exc) from exc
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from exc
    return bytes(body)


@dataclass(frozen=True)
class TrustListAnswer:
    body: bytes | None
    """The list as sent; None when unchanged (304)."""
    centre_time: dt.datetime | None
    """The centre's clock when it answered (the answer's ``Date``), None without one."""


def http_date(value: str | None) -> dt.datetime | None:
    """An HTTP date header's moment (aware), None when there is none or it is no date."""
    try:
        when = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def parse_retry_after(value: str | None, answered: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date). A date
    is the answering clock's, so it is measured from when that clock says it answered (the
    answer's ``Date``, RFC 9110 §10.2.3), from the kiosk's own clock only without one: a
    kiosk 3 h behind (a Pi without RTC battery, NTP not yet through) waited 3 h and the
    minute asked, every scan of the morning unsent."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # isdigit alone takes "²", which float() refuses
        return float(value)
    when = http_date(value)
    if when is None:
        return None
    return max(0.0, (when - (answered or dt.datetime.now(dt.UTC))).total_seconds())


def _loaded(response: Answer) -> Any:
    """The answer's JSON. One nested deeper than any answer (``"[" * 100000`` from a broken
    centre or a proxy) is as unusable as one not JSON (a ValueError), worded as the centre
    words such a body (``wire.too_deep``), and not parsed (:mod:`kiosk.json_depth`)."""
    return json_depth.loads(response.content)


def _json_object(response: Answer, code: str) -> dict:
    """The answer's JSON object, or Unreachable(``code``) saying why it is not one."""
    try:
        answer = _loaded(response)
    except ValueError as exc:
        raise Unreachable(code, detail=_unusable(exc)) from None
    if not isinstance(answer, dict):
        raise Unreachable(code, detail=protocol.json_type_words(answer))
    return answer


def _unusable(exc: ValueError) -> Words | WordedError:
    """Why an answer is of no use, in the reader's language: a break of the protocol as it
    is worded; JSON's own English (not JSON, not UTF-8 text) in brackets behind words that
    say so, as a cause's (:func:`_cause`)."""
    return exc if isinstance(exc, WordedError) else Words("sync.cause.not_json",
                                                          {"tech": str(exc)})


class CentreText(str):
    """The centre's refusal in its own JSON shape (``error``, ``code``) with a code this
    kiosk does not know — an older centre's ``error`` alone, a newer one's new code: shown
    as sent, and the centre's word all the same (:func:`centre_said`)."""


def centre_said(error: object) -> bool:
    """Whether a 401/403 (:func:`_answered`) is in the centre's own words: its JSON refusal,
    worded here when the code is known. A web page or a plain text is something on the way
    (a proxy, a firewall, a captive portal), which says nothing of the token. Any JSON
    refusal counts: taken for a page, an older or newer centre's revocation was backed off
    for ever with no alert, where a pause tells the operator."""
    return isinstance(error, CentreText) or centre_coded(error)


def centre_coded(error: object) -> bool:
    """Whether a refusal is in words this kiosk knows (a code of its catalogue): a 413 so
    worded is the centre's own "too large" (the entry set aside as refused); any other
    (a proxy's page, or JSON — a proxy or gateway may answer so) holds the entry back, the
    safe side."""
    return isinstance(error, Words) and error.code != "sync.web_page"


def _answered(response: Answer) -> Words | str:
    """Why the centre refused: its code and parameters, to word in the reader's language,
    when this kiosk knows the code (:func:`kiosk.messages.answered_words`); else its
    ``error`` text (or ``code``) as sent (an older or newer centre: :class:`CentreText`),
    else the body's start."""
    try:
        body = _loaded(response)
    except ValueError:  # a hostile or broken answer says nothing usable
        body = None
    if isinstance(body, dict):
        words = answered_words(body)
        if words is not None:
            return words
        for key in ("error", "code"):
            if isinstance(body.get(key), str) and body[key]:
                return CentreText(body[key])
    if _WEB_PAGE.search(response.content[:1024]) or response.headers.get(
            "Content-Type", "").startswith("text/html"):
        title = _TITLE.search(response.content[:4096])
        return Words("sync.web_page", {"title": " ".join(
            title.group(1).decode("utf-8", "replace").split())[:80] if title else "-"})
    text = " ".join(response.content[:200].decode("utf-8", "replace").split())  # one line
    return text or response.reason or "-"


_WEB_PAGE = re.compile(rb"<(!doctype html|html|head|body)\b", re.IGNORECASE)
"""An answer that is a web page: a proxy's error page (nginx's 502 while the centre is
down), whose lines of HTML said nothing to an operator and ran across the status's lines."""
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _failure_kind(exc: requests.RequestException) -> str:
    """The catalogue code of what went wrong on the way (``sync.net.*``)."""
    kind = {
        requests.ConnectTimeout: "connect_timeout",
        requests.ReadTimeout: "read_timeout",
        requests.ConnectionError: "connection",
        requests.exceptions.ChunkedEncodingError: "cut_off",
    }
    for cls, code in kind.items():
        if isinstance(exc, cls):
            return f"sync.net.{code}"
    return "sync.net.failed"


_ERRNO_CAUSES = {
    errno.ECONNREFUSED: "sync.cause.refused",
    errno.ENETUNREACH: "sync.cause.no_route",
    errno.EHOSTUNREACH: "sync.cause.no_route",
    errno.ENETDOWN: "sync.cause.no_route",
    errno.ECONNRESET: "sync.cause.reset",
}


def _cause(exc: requests.RequestException) -> Words:
    """Why a request failed, worded with what to check when the cause is one an officer can
    act on (found by type and errno in the chain of causes, never in the system's English
    text, which is kept short in brackets for a technician); else words saying the kiosk
    cannot name it, with the innermost cause as the system words it in brackets
    (:func:`_root`)."""
    if isinstance(exc, requests.Timeout):
        kind = "connect_timeout" if isinstance(exc, requests.ConnectTimeout) else "read_timeout"
        return Words(f"sync.cause.{kind}", {"tech": type(exc).__name__})
    for cause in reversed(list(_chain(exc))):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return Words("sync.cause.certificate", {"tech": ": ".join(
                str(part) for part in (cause.reason, cause.verify_message) if part)})
        if isinstance(cause, socket.gaierror):
            return Words("sync.cause.name", {"tech": f"Errno {cause.errno}"})
        if isinstance(cause, OSError) and cause.errno in _ERRNO_CAUSES:
            return Words(_ERRNO_CAUSES[cause.errno], {"tech": f"Errno {cause.errno}"})
    return Words("sync.cause.other", {"tech": _root(exc)})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes, outermost first: each exception's context, then an exception
    the innermost one holds as an argument (urllib3's errors carry the socket's so)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if current.__context__ is not None:
            current = current.__context__
        else:
            current = next((arg for arg in getattr(current, "args", ())
                            if isinstance(arg, BaseException)), None)


def _root(exc: BaseException) -> str:
    """The innermost cause, which names the real problem (refused, reset, incomplete read)."""
    *_, root = _chain(exc)
    return f"{type(root).__name__}: {root}" if str(root) else type(root).__name__
