"""The central collection API (FastAPI): kiosks post batches, the centre stores them.

The batch body is parsed by the protocol module (``protocol.inflate`` + ``protocol.batch_of``,
``protocol.parse_json`` + ``protocol.validate_*``), not through FastAPI's request models: one
bad entry must be refused on its own, and the protocol module is the one definition both sides
share. The OpenAPI
document is still complete — its request schema is generated from the same description.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gzip
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from kiosk.central import audit, derivation, enrol, heartbeat, trust_lists
from kiosk.central.backlog_key import centre_id as centre_id_of
from kiosk.central.disclosure import client_address, not_personal
from kiosk.central.received_mark import NOTE_EVERY, follow, note_newest
from kiosk.central.refused import RefusedAttempts
from kiosk.central.shares import CpuShares, EntryBudget, FairSlots
from kiosk.central.storage import (
    EnrolmentRefused,
    Kiosk,
    SigningKeyConflict,
    Storage,
    StorageBusy,
    StorageError,
)
from kiosk.central.trace_api import TracerOf, add_trace_route
from kiosk.enrolment import ENROL_PATH
from kiosk.messages import WordedError, both
from kiosk.sync import backlog_keys, protocol

log = logging.getLogger("kiosk.central")

MAX_INFLIGHT = 4
"""Batches decoded and written at once; more wait up to INFLIGHT_WAIT (the kiosks that used
the least processor time lately first), then get 503."""
MAX_INFLIGHT_PER_KIOSK = 2
"""Batches one kiosk may have in progress (its sync worker keeps up to two on the wire);
up to as many more wait (body unread) for INFLIGHT_WAIT, then get 429; beyond that 429 at
once. So one kiosk cannot take every slot, nor hold more than a few connections' memory."""
INFLIGHT_WAIT = 10.0
HEARTBEAT_MAX_BYTES = 64 * 1024
ENROL_MAX_BYTES = 4096
"""An enrolment body (a secret and a public key) is far smaller; anyone may post one, so a
larger body is refused as the bound is passed, never read whole."""
KIOSK_CALL = "a kiosk's own call: answers carry ids, counts and reasons, never an entry's fields"


class _Refusal(WordedError):
    """A kiosk request refused (``api.*``), with its HTTP status and headers."""

    def __init__(self, status: int, code: str, headers: dict[str, str] | None = None,
                 /, **params: object) -> None:
        super().__init__(code, **params)
        self.status, self.headers = status, headers or {}


class _Unidentified(_Refusal):
    """Storage failed before the caller was known to be a kiosk (its token, or its enrolment
    code, not yet checked): it is told the generic words a visitor to the dashboard reads —
    retry, or tell the administrator — not why (review 37 F3); the log has why, as for any
    storage failure. An authenticated kiosk is told why (it logs it for the technician)."""

    def __init__(self, failure: StorageError) -> None:
        from kiosk.central.web.mount import PASSING  # the dashboard's, imported when needed

        super().__init__(503, "web.unavailable.retry" if failure.words.code in PASSING
                         else "web.unavailable.ask_admin")
        self.failure = failure


def create_app(storage: Storage, *, max_body: int = protocol.MAX_BODY_BYTES,
               max_decoded: int = protocol.MAX_DECODED_BYTES,
               max_inflight: int = MAX_INFLIGHT, tracer_of: TracerOf | None = None,
               shares: CpuShares | None = None, budget: EntryBudget | None = None,
               backlog_key: X25519PrivateKey | None = None,
               refused: RefusedAttempts | None = None,
               received_mark: Path | None = None) -> FastAPI:
    """``tracer_of``: who may trace over the API (see :mod:`kiosk.central.trace_api`); by
    default a dashboard user signed in with the tracer (or admin) role. ``shares``: each
    kiosk's share of processor time (:mod:`kiosk.central.shares`). ``budget``: what each
    kiosk may have stored in an hour (:class:`EntryBudget`). ``backlog_key``: the
    centre's backlog encryption key (:mod:`kiosk.central.backlog_key`), whose public half
    kiosks are given; without it the centre offers no backlog keys. ``refused``: the refused
    attempts of revoked kiosks and replaced tokens, written at most once a minute each
    (:mod:`kiosk.central.refused`), in the background while the app runs and all at its
    shutdown. ``received_mark``: the backlog key's path, beside which the newest upload
    stored is noted likewise (:mod:`kiosk.central.received_mark`)."""
    refused = refused or RefusedAttempts(storage)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        writers = [asyncio.create_task(_write_refused(refused))]
        if received_mark is not None:
            writers.append(asyncio.create_task(_note_received(storage, received_mark)))
        try:
            yield
        finally:
            for writer in writers:
                writer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writer
            await run_in_threadpool(_write_logged, refused.flush)
            if received_mark is not None:
                await run_in_threadpool(note_newest, storage, received_mark)

    app = FastAPI(
        title="checkpoint-kiosk central server",
        version=f"protocol {protocol.PROTOCOL_VERSION}",
        description="Collects entries uploaded by checkpoint kiosks. See docs/protocol.md.",
        # no Swagger UI or ReDoc page: theirs load a CDN's scripts (a floating version, no
        # integrity check) on the dashboard's origin, where they could read what a signed-in
        # tracer may (review 43 F8); the contract stays at /openapi.json for any viewer
        docs_url=None, redoc_url=None, lifespan=lifespan,
    )
    app.state.storage = storage
    per_kiosk = app.state.kiosk_slots = _KioskSlots(MAX_INFLIGHT_PER_KIOSK)
    shares = shares or CpuShares()
    budget = budget or EntryBudget()
    derivation.charge_to(storage, shares.charge)  # derivation is half an entry's cost
    inflight = FairSlots(max_inflight, shares)
    centre_key = backlog_keys.encode(backlog_key.public_key()) if backlog_key else None
    centre_id = centre_id_of(storage) if backlog_key else None  # given with the key
    features = [f for f in protocol.FEATURES if centre_key or f != "backlog-keys"]

    @app.get(protocol.HEALTH_PATH, summary="Liveness and server clock",
             responses={200: {"content": {"application/json": {"schema": _HEALTH_SCHEMA}}}})
    @not_personal("liveness and the server's clock")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "protocol": protocol.PROTOCOL_VERSION,
                "time": protocol.format_time(dt.datetime.now(dt.UTC)),
                "features": features}

    @app.post(protocol.BATCHES_PATH, summary="Upload a batch of entries",
              openapi_extra={"requestBody": _REQUEST_BODY}, responses=_BATCH_RESPONSES)
    @not_personal(KIOSK_CALL)
    async def post_batch(request: Request) -> Response:
        received_at = dt.datetime.now(dt.UTC)
        try:
            kiosk = await run_in_threadpool(_authenticate, storage, refused,
                                            request.headers.get("authorization"))
            _require_json(request)
            _within_budget(budget, kiosk.id)
            await _wait_for_share(shares, kiosk.id)
            async with per_kiosk.slot(kiosk.id):
                body = await _read_body(request, max_body)
                if not await inflight.acquire(kiosk.id, INFLIGHT_WAIT):
                    raise _Refusal(503, "api.server_busy", {"Retry-After": "5"},
                                   batches=max_inflight)
                try:  # decoding and parsing run in a worker thread, bounded by the limits
                    answer = await run_in_threadpool(
                        _charged, shares, kiosk.id, lambda: _ingest(
                            storage, kiosk, body, request.headers.get("content-encoding"),
                            received_at, max_decoded, budget, client_address(request)))
                finally:
                    inflight.release()
        except (_Refusal, protocol.ProtocolError, StorageError) as exc:
            return _failure(exc)
        return _json(answer, request.headers.get("accept-encoding", ""))

    @app.post(ENROL_PATH, summary="Exchange a one-time enrolment code for the kiosk's token",
              responses={400: {"description": "not a JSON object with a 'secret'"},
                         403: {"description": "unknown code, or its kiosk is revoked"},
                         409: {"description": "code already used"},
                         410: {"description": "code expired"},
                         413: {"description": f"body over {ENROL_MAX_BYTES} bytes"}})
    @not_personal("a kiosk's own enrolment: its id, checkpoint and token")
    async def post_enrol(request: Request) -> Response:
        try:
            body = await _read_body(request, ENROL_MAX_BYTES, "api.enrol_too_large")
        except _Refusal as exc:
            return _failure(exc)
        try:
            asked = protocol.parse_json(body)
            secret = asked["secret"]
        except (ValueError, TypeError, KeyError):
            secret = None
        if not isinstance(secret, str) or not 0 < len(secret) <= 256:
            return _failure(_Refusal(400, "api.enrol_body"))
        try:
            signing_key = (backlog_keys.raw(backlog_keys.signing_public(asked["signing_key"]))
                           if asked.get("signing_key") is not None else None)
        except backlog_keys.BadKey as exc:
            return _error(400, exc)
        try:
            kiosk, token, replaced = await run_in_threadpool(enrol.redeem, storage, secret,
                                                             signing_key)
        except EnrolmentRefused as exc:
            log.warning("%s", both("central.log.enrolment_refused", reason=exc))
            return _error(exc.status, exc)
        except StorageError as exc:  # the code not yet known good: no why
            return _failure(_Unidentified(exc))
        log.info("kiosk %s enrolled by code", kiosk.id)
        if replaced is not None:  # the code is an administrator's word: recorded as such
            change = (f"kiosk {kiosk.id} backlog signing key {backlog_keys.fingerprint(replaced)}"
                      f" → {backlog_keys.fingerprint(signing_key or b'')}")
            old, new = (backlog_keys.fingerprint(replaced),
                        backlog_keys.fingerprint(signing_key or b""))
            log.warning("%s", both("central.log.signing_key_replaced", kiosk=kiosk.id, old=old,
                                   new=new))
            try:
                await run_in_threadpool(
                    audit.append_action, storage, "signing-key", actor=f"kiosk {kiosk.id}",
                    channel="api", address=request.client.host if request.client else None,
                    subject=change, reason="enrolment code redeemed")
            except StorageError as exc:  # the code is used: the kiosk must get its token
                log.error("%s", both("central.log.audit_not_written", kiosk=kiosk.id, old=old,
                                     new=new, reason=exc))
        answer = {"kiosk_id": kiosk.id, "checkpoint_id": kiosk.checkpoint_id, "token": token}
        if kiosk.name:  # the kiosk shows it on its screen ([kiosk] checkpoint_name)
            answer["name"] = kiosk.name
        if centre_key:
            answer.update(backlog_key=centre_key, centre_id=centre_id)
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    @app.post(protocol.BACKLOG_KEYS_PATH,
              summary="Register the kiosk's backlog signing key; the centre's encryption key",
              responses={400: {"description": "signing_key is not a base64 Ed25519 key"},
                         401: {"description": "missing, unknown or revoked token"},
                         404: {"description": "this centre offers no backlog keys"},
                         409: {"description": "another signing key is registered for this "
                                              "kiosk; the centre never replaces it on a "
                                              "kiosk's word"}})
    @not_personal("public keys: the kiosk's signing key and the centre's encryption key")
    async def post_backlog_keys(request: Request) -> Response:
        try:
            kiosk = await run_in_threadpool(_authenticate, storage, refused,
                                            request.headers.get("authorization"))
            _require_json(request)
            body = await _read_body(request, 4096)
        except (_Refusal, StorageError) as exc:
            return _failure(exc)
        if centre_key is None:
            return _failure(_Refusal(404, "api.no_backlog_keys"))
        try:
            asked = protocol.parse_json(body) if body else {}
            offered = asked.get("signing_key") if isinstance(asked, dict) else None
            key = backlog_keys.signing_public(offered) if offered is not None else None
        except ValueError as exc:  # JSON and BadKey
            return _failure(_Refusal(400, "api.keys_body", detail=exc))
        try:
            if key is not None:
                # the files this key signs are taken as the kiosk's from now on: recorded
                by = audit.Actor(f"kiosk {kiosk.id}", "api", client_address(request))
                subject = (f"kiosk {kiosk.id} backlog signing key "
                           f"{backlog_keys.fingerprint(key)}")
                registered = await run_in_threadpool(
                    lambda: storage.register_signing_key(
                        kiosk.id, backlog_keys.raw(key), record=lambda tx: audit.append_account(
                            storage, "kiosk-key", by=by, subject=subject, tx=tx)))
                if registered:
                    log.info("kiosk %s registered backlog signing key %s", kiosk.id,
                             backlog_keys.fingerprint(key))
            held = await run_in_threadpool(storage.signing_key, kiosk.id)
        except SigningKeyConflict as exc:  # the centre's key still goes with it: the
            log.warning("%s", exc)          # kiosk can export, and say why it is refused
            return JSONResponse({**protocol.refusal_body(exc), "centre_key": centre_key,
                                 "centre_id": centre_id},
                                status_code=409, headers={"Cache-Control": "no-store"})
        except StorageError as exc:
            return _failure(exc)
        return JSONResponse({
            "centre_key": centre_key, "centre_id": centre_id,
            "signing_key": backlog_keys.encode(held[0]) if held else None,
            "signing_key_registered_at": held[1] if held else None,
        }, headers={"Cache-Control": "no-store"})

    @app.get(protocol.TRUST_LIST_PATH, summary="The certificate trust list kiosks verify with",
             responses={304: {"description": "unchanged since the ETag in If-None-Match"},
                        401: {"description": "missing, unknown or revoked token"},
                        404: {"description": "this centre holds no trust list"}})
    @not_personal("certificate signers' public keys")
    async def get_trust_list(request: Request) -> Response:
        try:
            await run_in_threadpool(_authenticate, storage, refused,
                                    request.headers.get("authorization"))
            data = await run_in_threadpool(trust_lists.held, storage)
        except (_Refusal, StorageError) as exc:
            return _failure(exc)
        status, body, headers = trust_lists.answer(data, request.headers.get("if-none-match"))
        return Response(body, status_code=status, media_type="application/json",
                        headers=headers)

    @app.get(protocol.KIOSK_PATH, summary="What the centre registered this token's kiosk as",
             responses={401: {"description": "missing, unknown or revoked token"}})
    @not_personal("a kiosk's own registration: its id and checkpoint")
    async def get_kiosk(request: Request) -> Response:
        try:
            kiosk = await run_in_threadpool(_authenticate, storage, refused,
                                            request.headers.get("authorization"))
        except (_Refusal, StorageError) as exc:
            return _failure(exc)
        return JSONResponse({"kiosk_id": kiosk.id, "checkpoint_id": kiosk.checkpoint_id},
                            headers={"Cache-Control": "no-store"})

    @app.post(protocol.HEARTBEAT_PATH, summary="A kiosk's health when it has nothing to upload",
              openapi_extra={"requestBody": _HEARTBEAT_BODY}, responses=_HEARTBEAT_RESPONSES)
    @not_personal(KIOSK_CALL)
    async def post_heartbeat(request: Request) -> Response:
        received_at = dt.datetime.now(dt.UTC)
        try:
            kiosk = await run_in_threadpool(_authenticate, storage, refused,
                                            request.headers.get("authorization"))
            _require_json(request)
            _within_budget(budget, kiosk.id)
            body = await _read_body(request, HEARTBEAT_MAX_BYTES)
            answer = await run_in_threadpool(_heartbeat, storage, kiosk, body,
                                             request.headers.get("content-encoding"),
                                             received_at, budget, client_address(request))
        except (_Refusal, protocol.ProtocolError, StorageError) as exc:
            return _failure(exc)
        return _json(answer, "")


    from kiosk.central.web.mount import mount  # the staff's dashboard, beside the kiosks' API
    site = mount(app, storage)
    add_trace_route(app, storage, tracer_of or site.tracer_of)
    return app


class _KioskSlots:
    """Per kiosk: ``running`` requests at once, as many more waiting; beyond that 429."""

    def __init__(self, running: int) -> None:
        self.running = running
        self.held: dict[str, tuple[asyncio.Semaphore, int]] = {}

    def users(self, kiosk_id: str) -> int:
        """The kiosk's requests in progress or waiting for a slot."""
        return self.held.get(kiosk_id, (None, 0))[1]

    @contextlib.asynccontextmanager
    async def slot(self, kiosk_id: str) -> AsyncIterator[None]:
        busy = _Refusal(429, "api.kiosk_busy", {"Retry-After": "1"}, kiosk=kiosk_id,
                        batches=self.running)
        gate, users = self.held.get(kiosk_id) or (asyncio.Semaphore(self.running), 0)
        if users >= 2 * self.running:
            raise busy
        self.held[kiosk_id] = (gate, users + 1)
        try:
            try:
                await asyncio.wait_for(gate.acquire(), INFLIGHT_WAIT)
            except TimeoutError:
                raise busy from None
            try:
                yield
            finally:
                gate.release()
        finally:
            gate, users = self.held[kiosk_id]
            if users == 1:
                del self.held[kiosk_id]
            else:
                self.held[kiosk_id] = (gate, users - 1)


def _within_budget(budget: EntryBudget, kiosk_id: str) -> None:
    """A kiosk holding more than an hour's worth of stored entries is refused 429 before its
    body is read, told the seconds until it is back to it."""
    wait = budget.wait_seconds(kiosk_id)
    if wait:
        seconds = math.ceil(wait)
        raise _Refusal(429, "api.over_budget", {"Retry-After": str(seconds)}, kiosk=kiosk_id,
                       per_hour=budget.per_hour, seconds=seconds)


async def _wait_for_share(shares: CpuShares, kiosk_id: str) -> None:
    """A kiosk over its share of processor time waits (its body unread) until it is back
    under, at most INFLIGHT_WAIT, then gets 429: one that ignores Retry-After and asks
    again at once is slowed down all the same, without costing the centre anything."""
    wait = shares.wait_seconds(kiosk_id)
    if wait:
        await asyncio.sleep(min(wait, INFLIGHT_WAIT))
        wait = shares.wait_seconds(kiosk_id)
    if wait:
        raise _Refusal(429, "api.over_share", {"Retry-After": str(math.ceil(wait))},
                       kiosk=kiosk_id, seconds=math.ceil(wait))


def _charged(shares: CpuShares, kiosk_id: str, work: Callable[[], dict[str, Any]]
             ) -> dict[str, Any]:
    """``work()`` in this worker thread, its processor time charged to the kiosk (refused
    bodies too: refusing them costs the same)."""
    started = time.thread_time()
    try:
        return work()
    finally:
        shares.charge(kiosk_id, time.thread_time() - started)


def _heartbeat(storage: Storage, kiosk: Kiosk, body: bytes, encoding: str | None,
               received_at: dt.datetime, budget: EntryBudget, address: str | None
               ) -> dict[str, Any]:
    raw = protocol.inflate(body, encoding, max_decoded=HEARTBEAT_MAX_BYTES * 8)
    beat = protocol.validate_heartbeat(protocol.parse_json(raw))
    if beat.kiosk_id != kiosk.id:
        raise _Refusal(403, "api.other_kiosk", token=repr(kiosk.id), sent=repr(beat.kiosk_id))
    sent_at = protocol.parse_time(beat.sent_at)
    assert sent_at is not None  # checked with the heartbeat
    problem = protocol.sent_at_problem(sent_at, received_at)
    if problem:
        raise problem
    offset = protocol.clock_offset_seconds(received_at, sent_at)
    heartbeat.record(storage, kiosk.id, beat.health, received_at, offset,
                     boot_id=beat.boot_id, address=address, beat=True)
    budget.charge(kiosk.id, 0, len(raw))  # a history row, kept 30 days
    return {"received_at": protocol.format_time(received_at), "clock_offset_seconds": offset}


async def _write_refused(refused: RefusedAttempts) -> None:
    """Write refused attempts (revoked kiosks', replaced tokens') as each one's interval
    passes, until cancelled; after a storage failure (logged) they are written an interval
    later."""
    while True:
        wait = await run_in_threadpool(_write_logged, refused.flush_due)
        await asyncio.sleep(refused.interval if wait is None else wait)


async def _note_received(storage: Storage, key: Path) -> None:
    """Note the newest upload stored beside ``key`` every :data:`NOTE_EVERY` seconds, until
    cancelled, and follow a restore's kiosks sending again (:func:`follow`). The first a
    while after the start: the database's newest then was read by ``serve``'s check of the
    mark, and a serve touches its database at start no more than that (a database
    unreadable once started is told to the first caller as before)."""
    while True:
        await asyncio.sleep(NOTE_EVERY)
        await run_in_threadpool(note_newest, storage, key)
        await run_in_threadpool(follow, storage)


def _write_logged(write: Callable[[], float | None]) -> float | None:
    """``write()``; None if storage failed, said in the log (the attempts stay pending)."""
    try:
        return write()
    except StorageError as exc:
        log.error("%s", both("central.log.storage_failure", reason=exc.words))
        return None


def _authenticate(storage: Storage, refused: RefusedAttempts, header: str | None) -> Kiosk:
    challenge = {"WWW-Authenticate": "Bearer"}
    if not header:
        raise _Refusal(401, "api.no_authorization", challenge)
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _Refusal(401, "api.not_bearer", challenge)
    digest = protocol.token_hash(token)
    try:
        kiosk = storage.kiosk_for_token(digest)
        if kiosk is not None and not kiosk.active:
            refused.note(kiosk.id, dt.datetime.now(dt.UTC))
        elif kiosk is None and storage.token_retired(digest):
            # answered as any unknown token: who holds it learns neither that it was
            # replaced nor that its use is seen; the kiosk's own doctor names the remedy
            # for both (a new token for this kiosk)
            refused.note_replaced(digest, dt.datetime.now(dt.UTC))
    except StorageError as exc:
        raise _Unidentified(exc) from exc
    if kiosk is None:
        raise _Refusal(401, "api.unknown_token", challenge)
    if not kiosk.active:
        raise _Refusal(401, "api.revoked", challenge, kiosk=kiosk.id, at=kiosk.revoked_at)
    return kiosk


def _require_json(request: Request) -> None:
    """Bodies are JSON: a form or text body is refused before it is read (415)."""
    declared = request.headers.get("content-type", "")
    if declared.partition(";")[0].strip().lower() != "application/json":
        raise _Refusal(415, "api.not_json", got=repr(declared or "none"))


async def _read_body(request: Request, limit: int, code: str = "api.too_large") -> bytes:
    """The body, refused 413 (``code``) once it passes ``limit`` bytes: as declared, or as
    read (the rest is never read)."""
    declared = request.headers.get("content-length")
    too_large = _Refusal(413, code, limit=limit)
    length = protocol.whole_number(declared) if declared is not None else None
    if length is not None and length > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _ingest(storage: Storage, kiosk: Kiosk, body: bytes, encoding: str | None,
            received_at: dt.datetime, max_decoded: int, budget: EntryBudget,
            address: str | None) -> dict[str, Any]:
    started = time.perf_counter()
    raw = protocol.inflate(body, encoding, max_decoded=max_decoded)
    batch = protocol.batch_of(raw)
    if batch["kiosk_id"] != kiosk.id:
        raise _Refusal(403, "api.other_kiosk", token=repr(kiosk.id),
                       sent=repr(batch["kiosk_id"]))
    for index, entry in enumerate(batch["entries"]):
        owner = entry.kiosk_id if isinstance(entry, protocol.Entry) else entry.get("kiosk_id")
        if isinstance(owner, str) and owner != kiosk.id:
            raise _Refusal(403, "api.other_kiosk_entry", index=index, owner=repr(owner),
                           token=repr(kiosk.id))
    results = storage.ingest_batch(kiosk.id, batch["entries"], sent_at=batch["sent_at"],
                                   received_at=received_at, batch_id=batch["batch_id"],
                                   checkpoint_id=kiosk.checkpoint_id, time_window=True,
                                   sent_monotonic_ns=batch.get("sent_monotonic_ns"),
                                   boot_id=batch.get("boot_id"),
                                   sent_suspended_ns=batch.get("sent_suspended_ns"),
                                   address=address)
    # stored: the batch log's row at least, and the entries accepted; "already at the centre"
    # and rejected ones cost their bytes only (a push after the stick route is all duplicates)
    budget.charge(kiosk.id, sum(r["status"] == protocol.ACCEPTED for r in results), len(raw))
    offset = protocol.clock_offset_seconds(received_at, protocol.parse_time(batch["sent_at"]))
    if batch.get("health") is not None:
        heartbeat.record(storage, kiosk.id, protocol.validate_health(batch["health"]),
                         received_at, offset, boot_id=batch.get("boot_id"), address=address)
    else:
        heartbeat.seen(storage, kiosk.id, batch.get("boot_id"), address, received_at)
    past = sum(protocol.PAST_RETENTION in r for r in results)  # answered duplicate, not held
    log.info("kiosk %s batch %s: %d entries, %d rejected%s, offset %.3f s, %.0f ms", kiosk.id,
             batch["batch_id"], len(results),
             sum(r["status"] == protocol.REJECTED for r in results),
             f", {past} past retention (not stored, not counted)" if past else "", offset,
             (time.perf_counter() - started) * 1000)
    return {"batch_id": batch["batch_id"], "received_at": protocol.format_time(received_at),
            "clock_offset_seconds": offset, "results": results}


def _json(answer: dict[str, Any], accept_encoding: str) -> Response:
    body = msgspec.json.encode(answer)  # compact UTF-8, as json.dumps wrote it, 10× faster
    headers = {}
    if len(body) > 4096 and "gzip" in accept_encoding.lower():
        body = gzip.compress(body, compresslevel=1, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/json", headers=headers)


def _error(status: int, error: WordedError | str,
           headers: dict[str, str] | None = None) -> JSONResponse:
    """An error answer: the English ``error`` with its ``code`` and ``params`` (see
    :func:`protocol.refusal_body`); a storage failure's own text has no code."""
    body = protocol.refusal_body(error) if isinstance(error, WordedError) else {"error": error}
    return JSONResponse(body, status_code=status, headers=headers)


def _failure(exc: Exception) -> JSONResponse:
    """The answer to a kiosk request that failed: one mapping for every kiosk route."""
    if isinstance(exc, _Unidentified):  # logged as any storage failure, answered without why
        said = _failure(exc.failure)
        return _error(exc.status, exc, {"Retry-After": said.headers["retry-after"]})
    if isinstance(exc, _Refusal):
        return _error(exc.status, exc, exc.headers)
    if isinstance(exc, protocol.ProtocolError):
        return _error(exc.status, exc)
    if isinstance(exc, StorageBusy):
        if exc.words.code == "storage.canceled":  # not passing load: whoever runs the centre must
            # see a statement past the timeout (the kiosk halves its batches on it)
            log.warning("%s", both("central.log.request_not_stored", reason=exc.words))
        if exc.__cause__ is not None:  # the system's own English: --log-level debug only
            log.debug("storage busy: %s", str(exc.__cause__).strip())
        return _error(503, exc, {"Retry-After": str(exc.retry_after)})
    log.error("%s", both("central.log.storage_failure", reason=exc.words))
    if exc.__cause__ is not None:  # the database's own English: --log-level debug only
        log.debug("storage failure: %s", str(exc.__cause__).strip())
    # why, without where: the database file's path stays in the log
    why = exc.words.params["detail"] if exc.words.code == "storage.file_error" else exc
    return _error(503, _Refusal(503, "api.storage_unavailable", detail=why),
                  {"Retry-After": "30"})


# -- OpenAPI description (the batch body is parsed by the protocol module, not by FastAPI) -
_RESULT_SCHEMA = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string",
                   "enum": [protocol.ACCEPTED, protocol.DUPLICATE, protocol.REJECTED]},
        "reason": {"type": "string",
                   "description": "Present when rejected: why, in English, naming the field."},
        "code": {"type": "string",
                 "description": "Present when rejected: the stable code of the reason "
                                "(docs/protocol.md), for the kiosk to word in its language."},
        "params": {"type": "object",
                   "description": "Present when rejected: the code's parameters (field, got…)."},
        protocol.FILED_AT_ARRIVAL: {
            "type": "boolean",
            "description": "Optional, on an accepted entry: true when its scanned_at was after "
                           "it reached the centre (its kiosk's clock ran ahead): filed at its "
                           "arrival, of uncertain time."},
        protocol.PAST_RETENTION: {
            "type": "string",
            "description": "Optional, on a duplicate: the entry was filed before the cutoff of "
                           "the centre's latest purge (this UTC day): not held, neither stored "
                           "nor counted (purged, or never received). Done for the kiosk all "
                           "the same."},
    },
}
_BATCH_SCHEMA = protocol.batch_json_schema()
_REQUEST_BODY = {
    "required": True,
    "description": "UTF-8 JSON, optionally compressed (Content-Encoding: zstd, gzip).",
    "content": {"application/json": {"schema": _BATCH_SCHEMA}},
}
_ERROR = {"content": {"application/json": {"schema": {
    "type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}}}}
_BATCH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "One result per entry, in order. accepted and duplicate both mean "
                         "the centre holds the entry.",
          "content": {"application/json": {"schema": {
              "type": "object",
              "required": ["batch_id", "received_at", "clock_offset_seconds", "results"],
              "properties": {
                  "batch_id": {"type": "string"},
                  "received_at": {"type": "string"},
                  "clock_offset_seconds": {
                      "type": "number",
                      "description": "Server receive time minus the kiosk's sent_at."},
                  "results": {"type": "array", "items": _RESULT_SCHEMA},
              }}}}},
    400: {"description": "Body is not valid JSON, UTF-8, gzip or zstd.", **_ERROR},
    401: {"description": "Missing, unknown or revoked token.", **_ERROR},
    403: {"description": "Batch or entry kiosk_id is not the token's kiosk.", **_ERROR},
    413: {"description": "Body too large (as sent or decompressed), too many JSON values or "
                         "too many entries.", **_ERROR},
    415: {"description": "Content-Type is not application/json, or unsupported "
                         "Content-Encoding.", **_ERROR},
    422: {"description": "Batch envelope breaks the schema.", **_ERROR},
    429: {"description": "This kiosk already has batches in progress and waiting, used more "
                         "than its share of processor time lately, or had more than an hour's "
                         "worth of entries stored; retry after the Retry-After header's "
                         "seconds.", **_ERROR},
    503: {"description": "Storage busy; retry after the Retry-After header's seconds.",
          **_ERROR},
}
_HEALTH_SCHEMA = {
    "type": "object",
    "properties": {"status": {"type": "string"}, "protocol": {"type": "integer"},
                   "time": {"type": "string"},
                   "features": {"type": "array", "items": {"type": "string"},
                                "description": "what this centre understands beyond the "
                                               "first release of protocol 1: health"}},
}
_HEARTBEAT_BODY = {
    "required": True,
    "description": "UTF-8 JSON, optionally compressed (Content-Encoding: zstd, gzip).",
    "content": {"application/json": {"schema": protocol.heartbeat_json_schema()}},
}
_HEARTBEAT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Recorded: the kiosk's latest health, kept 30 days.",
          "content": {"application/json": {"schema": {
              "type": "object", "required": ["received_at", "clock_offset_seconds"],
              "properties": {"received_at": {"type": "string"},
                             "clock_offset_seconds": {"type": "number"}}}}}},
    401: {"description": "Missing, unknown or revoked token.", **_ERROR},
    403: {"description": "kiosk_id is not the token's kiosk.", **_ERROR},
    413: {"description": "Body too large.", **_ERROR},
    415: {"description": "Content-Type is not application/json, or unsupported "
                         "Content-Encoding.", **_ERROR},
    429: {"description": "This kiosk had more than an hour's worth of entries (and health "
                         "reports) stored; retry after the Retry-After header's seconds.",
          **_ERROR},
    422: {"description": "The body breaks the schema (the reason names the field), or "
                         "sent_at is over 400 days from the centre's clock.", **_ERROR},
    503: {"description": "Storage busy; retry after Retry-After seconds.", **_ERROR},
}
