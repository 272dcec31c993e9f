"""A sync worker left behind by a re-link, whose request then ends in an acknowledgement.

An apply that re-links waits ``link_stop_seconds`` for the old sync worker; one still in a
request then is left behind (``StatusBoard.retire``) and a ``sync-left-behind`` thread
closes it once that request ends. These tests take the case where the centre's answer does
come, late: for the background loop's batch, and for an operator's push still running. The
answer still acknowledges its entries (nothing lost, each stored once at the centre), the
old worker saves none of its status over its successor's, and it closes its store
connection and threads. Real parts: a ``kiosk-central serve`` process, a proxy on
127.0.0.1 that holds the answer, and the kiosk's store file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.app import Kiosk
from kiosk.config import Config
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync.worker import PushSummary, SyncWorker
from tests.conftest import CCCD_AN, make_config
from tests.devices_support import wait_until
from tests.sync_support import FaultyProxy, fill_backlog, syncing
from tests.test_sync_past_retention import MONTH_AGO, purged_centre

OUT_OF_REACH = "http://127.0.0.1:9"
"""The new centre's address: nothing listens there (the new worker's requests fail)."""


def linked(tmp_path: Path, kiosk_id: str, url: str, token: str, **sync: object) -> Config:
    return make_config(tmp_path, kiosk={"id": kiosk_id, "checkpoint_id": "CP-SYNC"},
                       sync={"enabled": True, "server_url": url, "token": token, **sync})


def saved_status(store_path: Path) -> dict[str, str]:
    """The sync status saved in the store, as another process reads it."""
    with closing(sqlite3.connect(store_path)) as db:
        return dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'sync.%'"))


def sync_state_of(store_path: Path) -> dict[str, str]:
    """Entry id → its sync state in the store file."""
    with closing(sqlite3.connect(store_path)) as db:
        return dict(db.execute("SELECT id, sync_state FROM entries"))


def closed(store: Store) -> bool:
    try:
        with store.lock:
            store.conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


def sync_threads(before: set[threading.Thread]) -> list[str]:
    """Threads of a sync worker started since ``before`` and still alive."""
    return [t.name for t in set(threading.enumerate()) - before
            if t.name.startswith("sync")]


@dataclass
class HeldPush:
    """An operator's "sync now" of 3 entries, running on a kiosk's worker, its batch through
    to the centre and the centre's answer held by the proxy."""

    kiosk: Kiosk
    worker: SyncWorker
    """The worker pushing: the one to be left behind."""
    ids: list[str]
    """The entries it sends, oldest first."""
    thread: threading.Thread
    summaries: list[PushSummary]

    def summary(self) -> PushSummary:
        """What the push returned, once the proxy has released the centre's answer."""
        self.thread.join(30)
        (summary,) = self.summaries
        return summary


@contextmanager
def push_held(proxy: FaultyProxy, tmp_path: Path, kiosk_id: str, token: str,
              **backlog: Any) -> Iterator[HeldPush]:
    """A kiosk linked through ``proxy`` (its timer an hour away), started for the block: its
    first cycle done with nothing pending, then 3 entries (``backlog``: as for
    :func:`fill_backlog`) written to its store and pushed by the operator, the answer held."""
    kiosk = Kiosk(linked(tmp_path, kiosk_id, proxy.url, token, interval_seconds=3600))
    kiosk.link_stop_seconds = 0.2
    with syncing(kiosk) as worker:
        wait_until(lambda: worker.state().online, what="its first cycle: nothing pending")
        ids = fill_backlog(kiosk.config.store_path, 3, kiosk_id=kiosk_id, **backlog)
        proxy.add("hold")
        summaries: list[PushSummary] = []
        thread = threading.Thread(target=lambda: summaries.append(worker.push_now()))
        thread.start()
        wait_until(lambda: proxy.holds, what="the push's batch through, its answer held")
        yield HeldPush(kiosk, worker, ids, thread, summaries)


def test_a_late_acknowledgement_to_a_worker_left_behind_marks_its_entry_and_saves_nothing(
        central, kiosk_id, tmp_path):
    """The kiosk is re-linked to a centre out of reach while the old centre holds its answer
    to a batch: the old worker is left behind, the new one fails and saves that. The old
    centre's answer then comes: the entry is acknowledged in the store, stored once at the
    centre; the new worker's status stands (no last success, no clock offset saved over
    it); the old worker closes its connection while the kiosk runs, and no thread of it is
    left once the kiosk stops."""
    before = set(threading.enumerate())
    proxy = FaultyProxy(central.port)
    token = central.enrol(kiosk_id)
    try:
        kiosk = Kiosk(linked(tmp_path, kiosk_id, proxy.url, token))
        kiosk.link_stop_seconds = 0.2
        store_path = kiosk.config.store_path
        with syncing(kiosk) as old:
            assert old._thread is not None
            proxy.add("hold")
            entry = kiosk.pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in"))
            wait_until(lambda: proxy.holds, what="the batch stored, its answer held")

            kiosk.apply(linked(tmp_path, kiosk_id, OUT_OF_REACH, token))

            assert kiosk.sync is not old and old._thread.is_alive()
            wait_until(lambda: "sync.last_error" in saved_status(store_path),
                       what="the new worker's failure saved")
            proxy.release()
            wait_until(lambda: closed(old.store), timeout=30,
                       what="the old worker's connection closed once its answer came")
            assert not old._thread.is_alive()
            assert sync_state_of(store_path) == {entry.entry_id: "acknowledged"}
            saved = saved_status(store_path)
            assert "sync.last_success" not in saved
            assert "sync.clock_offset_seconds" not in saved
            assert old.state().pending == 0 and old.state().last_success is not None
        wait_until(lambda: not sync_threads(before), what="no sync thread left")
        assert central.stored_ids(kiosk_id) == [entry.entry_id]
        assert len(proxy.batch_events()) == 1
    finally:
        proxy.close()


def test_a_push_running_when_its_worker_is_left_behind_ends_acknowledged_and_closes_it(
        central, kiosk_id, tmp_path):
    """The operator's "sync now" is waiting for the centre's answer when the kiosk is
    re-linked to a centre out of reach: the worker is left behind with the push still
    running. The answer comes: the push ends with every entry acknowledged (each stored
    once at the centre) and tells the operator so; the old worker saves no status over the
    new one's, and closes its connection and threads once the push has returned."""
    before = set(threading.enumerate())
    proxy = FaultyProxy(central.port)
    token = central.enrol(kiosk_id)
    try:
        with push_held(proxy, tmp_path, kiosk_id, token) as push:
            kiosk, old, ids = push.kiosk, push.worker, push.ids
            store_path = kiosk.config.store_path

            kiosk.apply(linked(tmp_path, kiosk_id, OUT_OF_REACH, token))

            assert kiosk.sync is not old and push.thread.is_alive()
            wait_until(lambda: "sync.last_error" in saved_status(store_path),
                       what="the new worker's failure saved")
            proxy.release()
            summary = push.summary()
            assert (summary.accepted, summary.duplicate, summary.remaining) == (3, 0, 0)
            assert summary.error is None
            wait_until(lambda: closed(old.store), timeout=30,
                       what="the old worker's connection closed once the push returned")
            assert sync_state_of(store_path) == dict.fromkeys(ids, "acknowledged")
            saved = saved_status(store_path)
            assert "sync.last_success" not in saved
            assert "sync.clock_offset_seconds" not in saved
        wait_until(lambda: not sync_threads(before), what="no sync thread left")
        assert sorted(central.stored_ids(kiosk_id)) == ids
        assert len(proxy.batch_events()) == 1
    finally:
        proxy.close()


def test_entries_past_retention_answered_to_a_worker_left_behind_are_still_counted(
        tmp_path):
    """The same, the push sending month-old entries to a centre purged since: they are
    marked done, yet the centre holds none, so the left-behind worker still adds them to the
    saved past-retention total (an addition to what is on disk writes nothing over its
    successor's status), which ``kiosk sync status`` and the sync screen show."""
    kiosk_id = "k-behind"
    centre, token, cut = purged_centre(tmp_path, kiosk_id)
    proxy = FaultyProxy(centre.port)
    try:
        with push_held(proxy, tmp_path, kiosk_id, token, start=time.time() - MONTH_AGO) as push:
            kiosk, ids = push.kiosk, push.ids
            store_path = kiosk.config.store_path

            kiosk.apply(linked(tmp_path, kiosk_id, OUT_OF_REACH, token))

            wait_until(lambda: "sync.last_error" in saved_status(store_path),
                       what="the new worker's failure saved")
            proxy.release()
            summary = push.summary()
            assert (summary.past_retention, summary.retention_cut) == (3, cut)
            assert sync_state_of(store_path) == dict.fromkeys(ids, "acknowledged")
            saved = saved_status(store_path)
            assert "sync.last_success" not in saved
            assert json.loads(saved["sync.past_retention"])["params"]["count"] == 3
        assert centre.stored_ids(kiosk_id) == []
    finally:
        proxy.close()
        centre.stop()


def test_entries_past_retention_answered_to_a_worker_left_behind_and_its_successor_count_once(
        tmp_path):
    """The same, re-linked to the same centre (its address written differently): the worker
    left behind and its successor both send the 3 month-old entries and are both answered
    past retention; the saved total counts each entry once, added only by the answer that
    moved it out of pending (as for ``kiosk sync push`` sending beside the running worker)."""
    kiosk_id = "k-behind"
    centre, token, cut = purged_centre(tmp_path, kiosk_id)
    proxy = FaultyProxy(centre.port)
    try:
        with push_held(proxy, tmp_path, kiosk_id, token, start=time.time() - MONTH_AGO) as push:
            kiosk, old, ids = push.kiosk, push.worker, push.ids
            store_path = kiosk.config.store_path

            kiosk.apply(linked(tmp_path, kiosk_id, f"http://localhost:{centre.port}", token,
                               interval_seconds=3600))
            new = kiosk.sync
            assert new is not None and new is not old
            assert new.push_now().past_retention == 3
            proxy.release()
            summary = push.summary()
            assert summary.past_retention == 3  # what the centre answered it
            assert sync_state_of(store_path) == dict.fromkeys(ids, "acknowledged")
            saved = json.loads(saved_status(store_path)["sync.past_retention"])
            assert (saved["params"]["count"], saved["params"]["cutoff"]) == (3, cut)
            assert new.state().past_retention_count == 3
    finally:
        proxy.close()
        centre.stop()
