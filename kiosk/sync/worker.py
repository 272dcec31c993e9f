"""The sync worker: drains the store's outbox to the centre in batches, in the background.

How it behaves
--------------
* Wakes when the pipeline records an entry (after a short linger, so a burst of scans
  travels as one batch, never one request per scan), on a timer (``interval_seconds``;
  when nothing is pending the timer sends a health check so ``online`` stays true to fact)
  and when asked (:meth:`SyncWorker.push_now`, :meth:`SyncWorker.retry_rejected`).
* Sends pending entries oldest first, in batches bounded by ``batch_size`` entries and
  ``batch_max_bytes`` compressed bytes, with up to two batches on the wire while the next
  one is prepared. After each answer, one transaction marks the entries the centre holds
  ``acknowledged`` and quarantines the ones it rejected (``rejected`` + its reason:
  visible, retryable, never deleted); the rest of the backlog carries on.
* Nothing is marked before the answer arrived, and the centre is idempotent on entry ids,
  so a crash or kill at any moment costs at most the batches on the wire sent twice
  (answered ``duplicate``), never a loss.
* Failures: timeouts, resets, truncated answers and 5xx are retried with exponential
  backoff (1 s doubling to ``max_backoff_seconds``, each wait randomised to 50–100 %);
  ``Retry-After`` is waited out as the centre asks. 413 halves the batch (a single entry
  refused as too large is quarantined). 401/403 stop all uploads and raise ``alert`` until
  the operator pushes again (after fixing the token) or the kiosk restarts.

API for front ends (the Qt sync screen, the ``kiosk sync`` commands)
--------------------------------------------------------------------
``worker = SyncWorker.from_config(config)``
    Builds a worker with its own store connection. ``Kiosk`` does this when
    ``[sync] enabled`` and exposes it as ``kiosk.sync`` (None when disabled).
``worker.state() -> SyncState``
    A consistent snapshot, cheap to call: ``online`` (True: the centre answered the last
    request; False: it could not be reached or failed with 5xx; None: nothing tried yet),
    ``pending``, ``rejected``, ``oldest_pending_age_seconds``, ``last_success`` /
    ``last_error_at`` (epoch seconds), ``last_error`` (text), ``alert`` (text for the
    operator in the kiosk's language: token refused 401, another kiosk's entries 403, no
    token, the centre refusing our requests as malformed; else None), ``uploading``,
    ``clock_offset_seconds`` (centre receive time − kiosk send time of the last batch).
    Counts are refreshed from the store at most once a second while uploading.
``worker.subscribe(callback) -> unsubscribe``
    ``callback(SyncState)`` runs on one of the worker's threads (or the thread calling
    push_now) whenever the state changes, at most a few times per second: a Qt screen
    must hand it to the GUI thread (emit a signal), never touch widgets from it.
``worker.push_now(progress=None) -> PushSummary``
    Blocking: uploads everything pending now, retrying transient failures a few times;
    ``progress(Progress)`` is called after each batch. Run it in a worker thread (QThread
    / threading.Thread). It takes over from the background loop while it runs, clears an
    auth alert (the operator is retrying on purpose) and returns a summary (with ``error``
    set if it had to give up).
``worker.export(path, progress=None) -> ExportSummary``
    Blocking: writes the pending backlog to a signed backlog file (:mod:`kiosk.sync.backlog`,
    raises ``BacklogError``/``OSError``), reads it back to check it, and labels those
    entries ``sent``; they stay pending until the centre acknowledges them.
    ``progress(entries_written)`` is called every 1,000 entries.
``worker.retry_rejected(actor="operator") -> int``
    Puts quarantined entries back in the queue (audited under ``actor``), wakes the worker.
``worker.notify(result=None)``
    Pipeline listener (``Kiosk`` subscribes it): a recorded entry schedules an upload.
``worker.start()`` / ``worker.stop()``
    Background thread; ``stop`` waits a few seconds for an in-flight request, then leaves.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.ids import uuid7
from kiosk.scan import ScanResult
from kiosk.store import Store, parse_utc, utc_iso
from kiosk.sync import backlog, protocol, texts
from kiosk.sync.client import (
    AuthRefused,
    BatchAnswer,
    Refused,
    ServerBusy,
    SyncClient,
    SyncError,
    TooLarge,
)

log = logging.getLogger(__name__)

META_PREFIX = "sync."
BASE_BACKOFF_SECONDS = 1.0
RETRY_AFTER_LIMIT_SECONDS = 6 * 3600.0
"""A ``Retry-After`` longer than this is treated as this (a misconfigured centre)."""
PUSH_ATTEMPTS = 5
"""push_now gives up after this many consecutive failures without progress."""
STATE_REFRESH_SECONDS = 1.0
SEND_WINDOW = 2
"""Batches on the wire at once."""


@dataclass(frozen=True)
class SyncState:
    online: bool | None
    pending: int
    rejected: int
    oldest_pending_age_seconds: float | None
    last_success: float | None
    last_error: str | None
    alert: str | None
    uploading: bool
    last_error_at: float | None = None
    clock_offset_seconds: float | None = None


@dataclass(frozen=True)
class Progress:
    done: int
    """Entries answered so far in this push (accepted + duplicate + rejected)."""
    total: int
    """Entries pending when the push started, plus any recorded since."""
    accepted: int
    duplicate: int
    rejected: int
    elapsed_seconds: float
    rate: float
    """Entries per second so far."""
    eta_seconds: float | None


@dataclass(frozen=True)
class PushSummary:
    accepted: int
    duplicate: int
    rejected: int
    batches: int
    seconds: float
    remaining: int
    """Entries still pending afterwards."""
    error: str | None = None

    @property
    def done(self) -> int:
        return self.accepted + self.duplicate + self.rejected


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    entries: int
    bytes: int
    first_id: str | None
    last_id: str | None
    marked_sent: int


@dataclass
class _Batch:
    after: str
    """The id this batch was read after (to rebuild it smaller)."""
    ids: list[str]
    body: bytes
    encoding: str


@dataclass
class _Tally:
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    batches: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> int:
        return self.accepted + self.duplicate + self.rejected


class _Yield(Exception):
    """The background drain steps aside for push_now or stop."""


def resolve_token(sync: dict[str, Any], base: Path | None) -> str:
    """``[sync] token``, else the first line of ``token_file`` (relative to the config)."""
    if sync["token"]:
        return sync["token"].strip()
    if sync["token_file"]:
        path = Path(sync["token_file"]).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            log.error("sync token file %s unreadable: %s", path, exc)
    return ""


class SyncWorker:
    def __init__(self, store: Store, *, server_url: str, token: str, kiosk_id: str,
                 checkpoint_id: str, batch_size: int = 2000, batch_max_bytes: int = 1_000_000,
                 interval_seconds: float = 30.0, timeout_seconds: float = 15.0,
                 max_backoff_seconds: float = 300.0, linger_seconds: float = 1.0,
                 base_backoff_seconds: float = BASE_BACKOFF_SECONDS,
                 language: str = "vi", encoding: str | None = None,
                 rng: random.Random | None = None) -> None:
        """``store`` should be this worker's own Store (connection); it is closed by stop()."""
        self.store = store
        self.token = token
        self.kiosk_id = kiosk_id
        self.checkpoint_id = checkpoint_id
        self.client = SyncClient(server_url, token, timeout=timeout_seconds,
                                 connections=SEND_WINDOW) if token else None
        self.batch_size = batch_size
        self.batch_max_bytes = batch_max_bytes
        self.interval = interval_seconds
        self.max_backoff = max_backoff_seconds
        self.base_backoff = base_backoff_seconds
        self.linger = linger_seconds
        self.language = language
        self.encoding = encoding
        self.rng = rng or random.Random()
        # Learned from 413 answers; kept for the life of the worker.
        self._max_entries = batch_size
        self._max_bytes = batch_max_bytes

        self._cond = threading.Condition()
        self._upload_lock = threading.Lock()
        self._stopping = False
        self._push_waiting = 0
        self._due = 0.0
        self._poked = False
        """An entry was recorded since the current cycle began (it may have missed it)."""
        self._backoff_until = 0.0
        self._failures = 0
        self._thread: threading.Thread | None = None
        self._pools: tuple[ThreadPoolExecutor, ThreadPoolExecutor,
                           ThreadPoolExecutor] | None = None
        self._acknowledging: Future[None] | None = None
        self._subscribers: list[Callable[[SyncState], None]] = []
        self._last_health = 0.0

        meta = store.meta(META_PREFIX)
        self._online: bool | None = None
        self._uploading = False
        self._last_success = _epoch(meta.get("sync.last_success"))
        self._last_error = meta.get("sync.last_error")
        self._last_error_at = _epoch(meta.get("sync.last_error_at"))
        self._alert = None if token else texts.text("no_token", language)
        self._paused = not token
        """Uploads stopped for the operator (no token, 401/403): only push_now resumes."""
        offset = meta.get("sync.clock_offset_seconds")
        self._clock_offset = float(offset) if offset else None
        self._outbox = store.outbox_summary()
        self._outbox_at = time.monotonic()
        self._published: SyncState | None = None
        self._publish_lock = threading.RLock()

    @classmethod
    def from_config(cls, config: Config, store: Store | None = None,
                    **overrides: Any) -> SyncWorker:
        """The worker ``[sync]`` describes; ``overrides`` replace constructor arguments."""
        sync = config.sync
        arguments: dict[str, Any] = dict(
            server_url=sync["server_url"],
            token=resolve_token(sync, config.source.parent if config.source else None),
            kiosk_id=config.kiosk["id"], checkpoint_id=config.kiosk["checkpoint_id"],
            batch_size=sync["batch_size"], batch_max_bytes=sync["batch_max_bytes"],
            interval_seconds=sync["interval_seconds"], timeout_seconds=sync["timeout_seconds"],
            max_backoff_seconds=sync["max_backoff_seconds"], language=config.kiosk["language"])
        return cls(store or Store(config.store_path, timezone=config.timezone),
                   **{**arguments, **overrides})

    # -- state for front ends -------------------------------------------------------------
    def state(self) -> SyncState:
        outbox = self._outbox
        age = None
        if outbox.oldest_pending:
            age = max(0.0, time.time() - parse_utc(outbox.oldest_pending).timestamp())
        return SyncState(
            online=self._online, pending=outbox.pending, rejected=outbox.rejected,
            oldest_pending_age_seconds=age, last_success=self._last_success,
            last_error=self._last_error, alert=self._alert, uploading=self._uploading,
            last_error_at=self._last_error_at, clock_offset_seconds=self._clock_offset)

    def subscribe(self, callback: Callable[[SyncState], None]) -> Callable[[], None]:
        with self._cond:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._cond:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)
        return unsubscribe

    def _publish(self, *, refresh: bool = True, force: bool = False) -> None:
        now = time.monotonic()
        if refresh and (force or now - self._outbox_at >= STATE_REFRESH_SECONDS):
            self._outbox = self.store.outbox_summary()
            self._outbox_at = now
        with self._publish_lock:
            current = self.state()
            previous = self._published
            if previous is not None and replace(
                    current, oldest_pending_age_seconds=previous.oldest_pending_age_seconds
            ) == previous:
                return
            self._published = current
            with self._cond:
                subscribers = list(self._subscribers)
            for callback in subscribers:
                try:
                    callback(current)
                except Exception:  # a broken screen must not stop the uploads
                    log.exception("sync state subscriber %r failed", callback)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        if (self._thread is not None and self._thread.is_alive()) or \
                not self._upload_lock.acquire(timeout=timeout):  # a push_now in progress
            log.warning("sync worker still waiting for the centre; leaving it behind")
            return  # daemon threads; an unacknowledged batch simply stays pending
        self._upload_lock.release()
        for pool in self._pools or ():
            pool.shutdown(wait=True)
        if self.client is not None:
            self.client.close()
        self.store.close()

    def notify(self, result: ScanResult | None = None) -> None:
        """Pipeline listener: a recorded entry schedules an upload after the linger.

        Ignored while backing off after a failure (new scans must not hammer a centre that
        is down) and while an auth alert stands.
        """
        if result is not None and not result.recorded:
            return
        with self._cond:
            now = time.monotonic()
            if not self._paused and now >= self._backoff_until:
                self._due = min(self._due, now + self.linger)
                self._poked = True
                self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (
                        self._push_waiting or time.monotonic() < self._due):
                    wait = self._due - time.monotonic()
                    self._cond.wait(None if self._push_waiting or math.isinf(wait) else wait)
                if self._stopping:
                    return
            try:
                self._cycle()
            except Exception:  # StoreError (disk full…) or a bug: log, back off, carry on
                log.exception("sync worker cycle failed")
                self._failures += 1
                self._schedule_failure(None)

    def _cycle(self) -> None:
        with self._cond:
            self._poked = False
        with self._upload_lock:
            self._publish(force=True)
            if self.client is None or self._paused:
                self._set_due(math.inf)
                return
            if self._outbox.pending == 0:
                self._health_check()
                self._set_due(time.monotonic() + self.interval)
                return
            try:
                self._drain(_Tally(), None, background=True)
            except _Yield:
                return
            except SyncError as exc:
                self._fail(exc)
                self._after_failure(exc)
                return
            # An entry recorded while the drain was finishing may have been read too late
            # for it: send it after the linger, not a whole interval later.
            self._set_due(time.monotonic() + (self.linger if self._poked else self.interval))

    def _health_check(self) -> None:
        assert self.client is not None
        if time.monotonic() - self._last_health < self.interval / 2:
            return
        self._last_health = time.monotonic()
        try:
            self.client.health()
        except SyncError as exc:
            self._online = exc.reached_server
        else:
            self._online = True
        self._publish(refresh=False)

    def _set_due(self, due: float) -> None:
        with self._cond:
            self._due = due
            if math.isfinite(due):
                self._backoff_until = 0.0

    def _after_failure(self, exc: SyncError) -> None:
        if self._paused:
            self._set_due(math.inf)
        else:
            self._schedule_failure(exc)

    def _schedule_failure(self, exc: SyncError | None) -> None:
        delay = self.backoff_delay(self._failures, exc)
        with self._cond:
            self._due = self._backoff_until = time.monotonic() + delay
        log.info("sync: next attempt in %.1f s", delay)

    def backoff_delay(self, failures: int, exc: SyncError | None) -> float:
        """Retry-After if the centre gave one, else base · 2^(n-1) capped, randomised 50–100 %."""
        retry_after = exc.retry_after if isinstance(exc, ServerBusy) else None
        if retry_after is not None:
            return min(retry_after, RETRY_AFTER_LIMIT_SECONDS) * (1 + 0.1 * self.rng.random())
        if isinstance(exc, Refused):
            return self.max_backoff
        ceiling = min(self.max_backoff, self.base_backoff * 2 ** max(0, failures - 1))
        return ceiling * (0.5 + 0.5 * self.rng.random())

    # -- operator actions -----------------------------------------------------------------
    def push_now(self, progress: Callable[[Progress], None] | None = None) -> PushSummary:
        tally = _Tally()
        with self._cond:
            self._push_waiting += 1  # the background drain steps aside between batches
            self._cond.notify_all()
        with self._upload_lock:
            with self._cond:
                self._push_waiting -= 1
            failure = self._push(tally, progress)
            if failure is None:
                self._set_due(time.monotonic() + self.interval)
            else:
                self._after_failure(failure)
            self._publish(force=True)  # before stop() may close the store
        return PushSummary(tally.accepted, tally.duplicate, tally.rejected, tally.batches,
                           time.monotonic() - tally.started, self._outbox.pending,
                           str(failure) if failure else None)

    def _push(self, tally: _Tally, progress: Callable[[Progress], None] | None
              ) -> SyncError | None:
        """Drain everything, retrying transient failures; the failure that ended it, if any."""
        if self.client is None:
            return SyncError(texts.text("no_token", self.language))
        self._paused = False  # the operator retries on purpose, e.g. after a new token
        total = self.store.outbox_summary().pending
        report = _progress_reporter(progress, tally, total)
        failures = 0
        while True:
            before = tally.done
            try:
                self._drain(tally, report, background=False)
                return None
            except (AuthRefused, Refused) as exc:
                self._fail(exc)
                return exc
            except _Yield:  # the kiosk is shutting down
                return SyncError(texts.text("stopped", self.language))
            except SyncError as exc:
                self._fail(exc)
                failures = 1 if tally.done > before else failures + 1
                if failures >= PUSH_ATTEMPTS:
                    return exc
                with self._cond:
                    if self._cond.wait_for(lambda: self._stopping,
                                           self.backoff_delay(failures, exc)):
                        return exc

    def retry_rejected(self, actor: str = "operator") -> int:
        count = self.store.retry_rejected(actor)
        self._publish(force=True)
        self.notify()
        return count

    def export(self, path: str | Path,
               progress: Callable[[int], None] | None = None) -> ExportSummary:
        """Write every pending entry to a signed backlog file, then label them ``sent``."""
        if not self.token:
            raise backlog.BacklogError(texts.text("no_token", self.language))
        key = protocol.backlog_file_key(self.token)
        manifest = backlog.write_backlog(path, self._pending_rows(), key=key,
                                         kiosk_id=self.kiosk_id,
                                         checkpoint_id=self.checkpoint_id, progress=progress)
        marked = 0
        with backlog.BacklogReader(path) as reader:  # read back what is really on the stick
            reader.verify(key)
            for batch in reader.batches(5000):
                marked += self.store.mark_sent([e["id"] for e in batch])
        self.store.audit("operator", "sync.export", {
            "file": str(path), "entries": manifest.entries, "first_id": manifest.first_id,
            "last_id": manifest.last_id, "sha256": manifest.entries_sha256})
        self._publish(force=True)
        return ExportSummary(Path(path), manifest.entries, Path(path).stat().st_size,
                             manifest.first_id, manifest.last_id, marked)

    def _pending_rows(self, chunk: int = 1000) -> Any:
        after = ""
        while rows := self._read_pending(chunk, after):
            yield from rows
            after = rows[-1]["id"]

    def _read_pending(self, limit: int, after: str) -> list[dict[str, Any]]:
        with self.store.lock:  # never read another thread's uncommitted insert
            return self.store.pending(limit, after)

    # -- the upload loop ------------------------------------------------------------------
    def _drain(self, tally: _Tally, progress: Callable[[], None] | None, *,
               background: bool) -> None:
        """Send batches until nothing is pending; raises SyncError on the first failure.

        Four stages overlap: the next batch is read and encoded (thread "sync-prepare"),
        up to SEND_WINDOW batches are on the wire (threads "sync-send", one connection
        each, so the centre parses one while it commits another), and answers are written
        to the store (thread "sync-acknowledge").
        """
        if self._pools is None:
            self._pools = (ThreadPoolExecutor(1, thread_name_prefix="sync-prepare"),
                           ThreadPoolExecutor(SEND_WINDOW, thread_name_prefix="sync-send"),
                           ThreadPoolExecutor(1, thread_name_prefix="sync-acknowledge"))
        self._uploading = True
        self._publish()
        after: str | None = ""
        try:
            while after is not None:
                after = self._pump(after, tally, progress, background)
        finally:
            try:
                self._flush_acknowledgements()
            finally:
                self._uploading = False
                self._publish(force=True)

    def _pump(self, after: str, tally: _Tally, progress: Callable[[], None] | None,
              background: bool) -> str | None:
        """Stream batches from ``after``; None when drained, or the id to restart after
        (the batch was refused as too large, or in an encoding the centre lacks)."""
        assert self._pools is not None
        prepare, send, _ = self._pools
        upcoming: Future[_Batch | None] = prepare.submit(self._build, after)
        flying: deque[tuple[_Batch, Future[BatchAnswer]]] = deque()
        failure: BaseException | None = None
        failed: _Batch | None = None
        try:
            while True:
                while failure is None and len(flying) < SEND_WINDOW:
                    batch = upcoming.result()
                    if batch is None:
                        break
                    if self._stopping or (background and self._push_waiting):
                        failure = _Yield()
                        break
                    upcoming = prepare.submit(self._build, batch.ids[-1])
                    flying.append((batch, send.submit(self._send, batch)))
                if not flying:
                    break
                batch, sending = flying.popleft()
                try:
                    answer = sending.result()
                except SyncError as exc:  # later batches may still succeed: record them
                    if failure is None:
                        failure, failed = exc, batch
                    continue
                self._account(answer, tally)
                self._queue_acknowledgement(answer)
                if progress:
                    progress()
        finally:
            upcoming.cancel()
        if failure is None:
            return None
        if isinstance(failure, TooLarge) and failed is not None:
            self._flush_acknowledgements()
            self._shrink(failed, failure, tally)
            return failed.after
        if isinstance(failure, Refused) and failure.status == 415 and self.encoding != "gzip" \
                and failed is not None:
            self._flush_acknowledgements()
            self.encoding = "gzip"  # an older centre without zstd
            return failed.after
        raise failure

    def _queue_acknowledgement(self, answer: BatchAnswer) -> None:
        assert self._pools is not None
        if self._acknowledging is not None and self._acknowledging.done():
            self._acknowledging.result()  # a store failure stops the drain here
        self._acknowledging = self._pools[2].submit(self._acknowledge, answer)

    def _flush_acknowledgements(self) -> None:
        if self._acknowledging is not None:
            acknowledging, self._acknowledging = self._acknowledging, None
            acknowledging.result()

    def _build(self, after: str) -> _Batch | None:
        """Read the next pending rows after ``after`` and encode them within the limits."""
        while True:
            rows = self._read_pending(self._max_entries, after)
            if not rows:
                return None
            wire, broken = [], {}
            for row in rows:
                try:
                    wire.append(protocol.entry_to_wire(row))
                except (ValueError, TypeError, KeyError) as exc:
                    broken[row["id"]] = texts.text("unencodable", self.language,
                                                   detail=f"{type(exc).__name__}: {exc}")
            if broken:
                log.error("sync: %d entries cannot be encoded; quarantined", len(broken))
                self.store.mark_synced([], broken)
            if wire:
                break
            after = rows[-1]["id"]
        while True:
            body, encoding = protocol.encode_body(
                protocol.make_batch(self.kiosk_id, uuid7(), wire), self.encoding)
            if len(body) <= self._max_bytes or len(wire) == 1:
                return _Batch(after, [e["id"] for e in wire], body, encoding)
            keep = max(1, min(len(wire) // 2, int(len(wire) * self._max_bytes / len(body))))
            wire = wire[:keep]

    def _send(self, batch: _Batch) -> BatchAnswer:
        assert self.client is not None
        answer = self.client.post_batch(batch.body, batch.encoding, batch.ids)
        self._online = True
        return answer

    def _shrink(self, batch: _Batch, exc: TooLarge, tally: _Tally) -> None:
        """413: halve the limits; a lone entry the centre will not take is quarantined."""
        if len(batch.ids) == 1:
            reason = texts.text("too_large", self.language,
                                detail=f"{len(batch.body)} bytes: {exc}")
            self.store.mark_synced([], {batch.ids[0]: reason})
            tally.rejected += 1
            return
        self._max_entries = max(1, len(batch.ids) // 2)
        self._max_bytes = max(1, len(batch.body) // 2)
        log.warning("sync: centre said 413; batches now ≤ %d entries, ≤ %d bytes",
                    self._max_entries, self._max_bytes)

    def _account(self, answer: BatchAnswer, tally: _Tally) -> None:
        self._failures = 0
        self._last_success = time.time()
        if not self._paused:
            self._alert = None  # the centre takes our batches again
        if answer.clock_offset_seconds is not None:
            self._clock_offset = answer.clock_offset_seconds
        tally.accepted += answer.accepted
        tally.duplicate += answer.duplicate
        tally.rejected += len(answer.rejected)
        tally.batches += 1
        if answer.rejected:
            log.warning("sync: centre rejected %d entries, e.g. %s", len(answer.rejected),
                        next(iter(answer.rejected.values())))

    def _acknowledge(self, answer: BatchAnswer) -> None:
        """One transaction: the answer, and the status other processes show."""
        meta: dict[str, str | None] = {
            "sync.last_success": utc_iso(self._last_success or time.time()),
            "sync.online": "1", "sync.alert": self._alert}
        if self._clock_offset is not None:
            meta["sync.clock_offset_seconds"] = repr(self._clock_offset)
        self.store.mark_synced(answer.held, answer.rejected, meta=meta)
        # Counting a million pending entries takes ~0.1 s: during an upload the counts are
        # carried forward from each answer, and recounted when the upload ends.
        outbox = self._outbox
        self._outbox = replace(
            outbox, pending=max(0, outbox.pending - len(answer.held) - len(answer.rejected)),
            rejected=outbox.rejected + len(answer.rejected),
            oldest_pending=self.store.oldest_pending())
        self._publish(refresh=False)

    def _fail(self, exc: SyncError) -> None:
        now = time.time()
        self._failures += 1
        self._online = exc.reached_server
        self._last_error, self._last_error_at = str(exc), now
        if isinstance(exc, AuthRefused):
            code = "auth_401" if exc.status == 401 else "auth_403"
            self._alert = texts.text(code, self.language, detail=str(exc))
            self._paused = True
        elif isinstance(exc, Refused):
            self._alert = texts.text("refused", self.language, detail=str(exc))
        log.warning("sync: upload failed (%s)", exc)
        self.store.set_meta({
            "sync.last_error": str(exc), "sync.last_error_at": utc_iso(now),
            "sync.online": "1" if exc.reached_server else "0", "sync.alert": self._alert})
        self._publish(refresh=False)


def _progress_reporter(progress: Callable[[Progress], None] | None, tally: _Tally,
                       total: int) -> Callable[[], None] | None:
    if progress is None:
        return None

    def report() -> None:
        elapsed = time.monotonic() - tally.started
        done = tally.done
        rate = done / elapsed if elapsed > 0 else 0.0
        whole = max(total, done)
        eta = (whole - done) / rate if rate > 0 else None
        progress(Progress(done, whole, tally.accepted, tally.duplicate, tally.rejected,
                          elapsed, rate, eta))
    return report


def _epoch(text: str | None) -> float | None:
    return parse_utc(text).timestamp() if text else None

