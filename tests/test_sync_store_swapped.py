"""The sync worker of a kiosk whose store file was swapped under it (a backup moved over it).

The worker's connection still reads the old file, but the store refuses every write to it
(``store.gone``): no acknowledgement can be kept, so whatever it sent it would send again at
every cycle. Instead, the upload under way goes on to its end — each entry of the old file
reaches the centre once, since one recorded after the backup is nowhere else — and then the
worker sends no batch more, its status saying why; only its heartbeat goes on, telling the
centre why (tests/test_sync_paused_heartbeat.py). Real parts: a
``kiosk-central serve`` process, a proxy on 127.0.0.1 counting the batches it forwards, and
the kiosk's store file swapped as a technician would.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from kiosk.app import Kiosk
from kiosk.config import Config
from kiosk.scan import Scan
from kiosk.sync import protocol
from tests.conftest import CCCD_AN, make_config
from tests.devices_support import wait_until
from tests.sync_support import FaultyProxy, english, fill_backlog, syncing

HEARTBEAT = protocol.HEARTBEAT_PATH


def linked(tmp_path: Path, kiosk_id: str, url: str, token: str, **sync: object) -> Config:
    return make_config(tmp_path, kiosk={"id": kiosk_id, "checkpoint_id": "CP-SYNC"},
                       sync={"enabled": True, "server_url": url, "token": token,
                             "interval_seconds": 1, **sync})


def move_a_copy_over(path: Path) -> None:
    """A copy of the store file moved over it, as a backup put back while the kiosk runs."""
    copy = path.with_name("copy.db")
    with closing(sqlite3.connect(copy)) as db, closing(sqlite3.connect(path)) as source:
        source.backup(db)
    os.replace(copy, path)


def test_a_worker_whose_store_file_was_swapped_stops_sending_and_says_why(
        central, kiosk_id, tmp_path):
    """A backup is moved over the store while a batch is at the centre, its answer not back.
    The answer cannot be kept (the store refuses writes): the worker sends no batch more —
    not that entry again and again, nor for the operator's push; only heartbeats, saying
    why — and its alert says why, in both languages. The entry is still pending in the
    file now in place: once the kiosk restarts it is sent again, answered duplicate, and
    acknowledged."""
    proxy = FaultyProxy(central.port)
    token = central.enrol(kiosk_id)
    try:
        config = linked(tmp_path, kiosk_id, proxy.url, token)
        kiosk = Kiosk(config)
        with syncing(kiosk) as worker:
            proxy.add("hold")
            entry = kiosk.pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in"))
            wait_until(lambda: proxy.holds, what="the batch stored, its answer held")
            move_a_copy_over(config.store_path)
            forwarded = len(proxy.events)
            proxy.release()

            time.sleep(4)  # a timer of 1 s, and the backoff of a failed cycle from 0.5 s
            assert len(proxy.batch_events()) == 1  # the entry not sent again
            assert {e.path for e in proxy.events[forwarded:]} <= {HEARTBEAT}  # nor any other
            assert len(central.batches(kiosk_id)) == 1
            alert = worker.state().alert
            assert alert is not None and alert.code == "sync.store_refused"
            assert alert("en") == (
                "Uploads stopped after one last pass: the store takes no writes "
                f"({config.store_path}: the store file was deleted or replaced while the kiosk "
                "runs; no scan is recorded until the kiosk is restarted), so the centre's "
                "answers cannot be kept and the same entries would be sent again and again; "
                "uploads go on once the kiosk restarts")
            assert alert("vi").startswith("Đã ngừng gửi lên trung tâm sau một lượt gửi cuối")

            summary = worker.push_now()

            assert summary.error == alert and summary.batches == 0
            assert len(proxy.batch_events()) == 1

        with syncing(Kiosk(config)) as restarted:
            wait_until(lambda: restarted.state().pending == 0 and
                       restarted.state().alert is None, timeout=30,
                       what="the entry sent again from the file now in place")
        assert [(b["entries"], b["duplicate"]) for b in central.batches(kiosk_id)] == [
            (1, 0), (1, 1)]
        assert central.stored_ids(kiosk_id) == [entry.entry_id]
    finally:
        proxy.close()


def test_a_swap_in_the_middle_of_a_backlog_sends_each_entry_once_then_nothing(
        central, kiosk_id, tmp_path):
    """A backlog of 300 going in batches of 100, two on the wire at once; a backup is moved
    over the store while both batches' answers are held (both: which of the two reaches the
    proxy first, and takes a single hold, is the threads' race, and the other's answer would
    be kept before the swap). The answers cannot be kept, yet the upload goes on to its end:
    the third batch is sent, each entry reaching the centre once, and then no batch at all,
    the worker's alert saying why."""
    proxy = FaultyProxy(central.port)
    token = central.enrol(kiosk_id)
    try:
        config = linked(tmp_path, kiosk_id, proxy.url, token, batch_size=100)
        ids = fill_backlog(config.store_path, 300, kiosk_id=kiosk_id)
        proxy.add("hold", "hold")
        with syncing(Kiosk(config)) as worker:
            wait_until(lambda: proxy.holds == 2 and len(central.stored_ids(kiosk_id)) == 200,
                       what="two batches stored at the centre, both answers held")
            move_a_copy_over(config.store_path)
            proxy.release()

            wait_until(lambda: len(central.stored_ids(kiosk_id)) == 300,
                       what="the third batch stored")
            time.sleep(3)  # a timer of 1 s, and the backoff of a failed cycle from 0.5 s
            assert [(b["entries"], b["duplicate"]) for b in central.batches(kiosk_id)] == [
                (100, 0)] * 3
            assert len(proxy.batch_events()) == 3
            assert worker.state().alert.code == "sync.store_refused"
            assert worker.state().pending == 300  # not one answer kept in the old file
        assert sorted(central.stored_ids(kiosk_id)) == ids
    finally:
        proxy.close()


def test_a_cycle_cut_short_by_the_swap_is_one_line_in_the_log(
        central, kiosk_id, tmp_path, caplog):
    """A backup is moved over the store while a batch is at the centre, and its answer never
    comes (the kiosk gives up waiting): saving that failure is refused, which cuts the
    cycle short. That is the store's refusal, not a bug: one line says so, no traceback,
    and the last pass then ends uploads with the alert saying why."""
    proxy = FaultyProxy(central.port)
    token = central.enrol(kiosk_id)
    try:
        config = linked(tmp_path, kiosk_id, proxy.url, token, timeout_seconds=3)
        kiosk = Kiosk(config)
        with syncing(kiosk) as worker:
            proxy.add("too_late")
            entry = kiosk.pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in"))
            wait_until(lambda: central.stored_ids(kiosk_id) == [entry.entry_id],
                       what="the batch stored, its answer held")
            move_a_copy_over(config.store_path)

            wait_until(lambda: worker.state().alert is not None, timeout=30,
                       what="uploads stopped")
            assert worker.state().alert.code == "sync.store_refused"
        assert [r.getMessage() for r in caplog.records if r.exc_info] == []
        said = [english(r.getMessage()).split(" (")[0] for r in caplog.records
                if r.name.startswith("kiosk.sync") and r.levelno >= logging.WARNING]
        assert not any(line.startswith("sync worker cycle failed") for line in said)
        assert said.count("sync: status not saved, the store refuses writes") == 1
        assert said[-1] == "sync: uploads stopped, the store refuses writes"
    finally:
        proxy.close()
