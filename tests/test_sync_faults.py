"""Exactly-once delivery over a network that fails in every way a checkpoint's network does.

A fault-injecting proxy (tests/sync_support.py) sits between the kiosk and a real
``kiosk-central serve``. Whatever it does — drop, reset, delay, truncate, 5xx, 413 — every
entry must end up stored once at the centre (its database is read directly) and
acknowledged on the kiosk, and nothing may be acknowledged that the centre does not hold.
"""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from kiosk import config as config_mod
from kiosk.central.backends import open_storage
from kiosk.messages import saved_text
from kiosk.store import Store
from kiosk.sync.worker import SyncWorker
from tests.sync_support import (
    FaultyProxy,
    fill_backlog,
    sync_states,
    wait_until,
    write_config,
)


@pytest.fixture
def proxy(central):
    p = FaultyProxy(central.port)
    yield p
    p.close()


def worker_for(tmp_path, kiosk_id, url, token, **sync) -> SyncWorker:
    config = config_mod.load(write_config(tmp_path / "config.toml", kiosk_id=kiosk_id,
                                          server_url=url, token=token, **sync))
    return SyncWorker.from_config(config, base_backoff_seconds=0.02)


NETWORK_FAULTS = [
    "drop_request",       # connection closed before anything reached the centre
    "drop_response",      # centre committed, answer lost
    "status:500",
    "truncate_response",  # centre committed, half an answer arrived
    "status:503:1",
    "delay:2.5",          # client gives up after 1 s; the request still reaches the centre
    "reset_request",      # TCP reset before forwarding
    "reset_response",     # centre committed, then TCP reset
    "status:502",
]


def test_every_entry_arrives_exactly_once_whatever_the_network_does(
        central, proxy, kiosk_id, tmp_path):
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id),
                        batch_size=50, timeout_seconds=1)
    ids = fill_backlog(worker.store.path, 1000, kiosk_id=kiosk_id)
    for fault in NETWORK_FAULTS:
        proxy.add(fault, "pass")

    summary = worker.push_now()
    worker.stop()

    assert summary.error is None and summary.remaining == 0
    assert [e.fault for e in proxy.batch_events() if e.fault != "pass"] == NETWORK_FAULTS
    stored = central.stored_ids(kiosk_id)
    assert len(stored) == len(set(stored)) == 1000 and sorted(stored) == ids
    assert sync_states(worker.store.path) == {"acknowledged": 1000}
    # Each entry was acknowledged once on the kiosk and inserted once at the centre; the
    # three requests whose answer was lost after the commit were re-sent and the centre
    # answered those entries "duplicate".
    assert summary.accepted + summary.duplicate == 1000 and summary.duplicate >= 50
    logged = central.batches(kiosk_id)
    assert sum(b["accepted"] for b in logged) == 1000
    assert sum(b["duplicate"] for b in logged) >= 150


def test_retry_after_from_the_centre_is_waited_out(central, proxy, kiosk_id, tmp_path):
    """Exponential backoff would retry after ~20 ms here; the 503 asked for 2 s."""
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id))
    fill_backlog(worker.store.path, 10, kiosk_id=kiosk_id)
    proxy.add("status:503:2")
    summary = worker.push_now()
    worker.stop()
    first, second = proxy.batch_events()
    assert first.fault == "status:503:2" and second.fault == "pass"
    assert second.at - first.at >= 2.0
    assert summary.accepted == 10


def test_413_halves_batches_until_they_fit_and_a_lone_giant_is_quarantined(
        central, proxy, kiosk_id, tmp_path):
    """A reverse proxy in front of the centre allows 12 kB bodies (nginx client_max_body_size)."""
    proxy.max_body = 12_000
    worker = worker_for(tmp_path, kiosk_id, proxy.url, central.enrol(kiosk_id), batch_size=500)
    ids = fill_backlog(worker.store.path, 600, kiosk_id=kiosk_id)
    giant = ids[300]
    with worker.store.transaction() as conn:  # 40 kB of noise: no compression saves it
        conn.execute("UPDATE entries SET payload = ? WHERE id = ?",
                     (random.Random(3).randbytes(40_000), giant))

    summary = worker.push_now()
    worker.stop()

    assert summary.error is None
    assert (summary.accepted, summary.rejected) == (599, 1)
    events = proxy.batch_events()
    assert any(e.fault == "status:413" for e in events)
    assert all(e.body_bytes <= 12_000 for e in events if e.fault == "pass")
    assert sorted(central.stored_ids(kiosk_id)) == sorted(set(ids) - {giant})
    (quarantined,) = Store(worker.store.path).rejected_entries()
    assert quarantined["id"] == giant
    reason = saved_text(quarantined["sync_error"], "en")
    assert "too large" in reason and "413" in reason


def test_a_kiosk_killed_while_its_batch_is_in_flight_loses_and_duplicates_nothing(
        central, proxy, kiosk_id, tmp_path):
    """SIGKILL after the centre committed batches 3 and 4 (both on the wire) but before
    their answers reached the kiosk."""
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=proxy.url,
                          token=central.enrol(kiosk_id), batch_size=100)
    ids = fill_backlog(tmp_path / "kiosk.db", 500, kiosk_id=kiosk_id)
    proxy.add("pass", "pass", "hold_response:60", "hold_response:60")
    push = [sys.executable, "-m", "kiosk.cli", "sync", "push", "--config", str(config)]
    proc = subprocess.Popen(push, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: proxy.holds == 2, timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert len(central.stored_ids(kiosk_id)) == 400
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 200, "pending": 300}

    again = subprocess.run(push, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "100 new, 200 already at the centre" in again.stdout
    stored = central.stored_ids(kiosk_id)
    assert len(stored) == 500 and sorted(stored) == ids
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 500}


def test_a_batch_past_the_centres_statement_timeout_is_said_so_and_sent_again_smaller(
        kiosk_id, tmp_path):
    """PostgreSQL cancels a batch's storing past the centre's statement timeout (here 0.5 s,
    and a real lock held by another connection, as a long import holds it, keeps every
    batch waiting past it). The kiosk is told 503 naming the timeout, not "storage busy",
    and sends smaller batches from then on — halved on each such answer, since the same
    batch would run past it again — which go through once the database keeps up, and
    grow back to the configured size as they do: the lock passed, and a backlog sent a few
    entries at a time for the rest of the worker's life would take thousands of requests."""
    from kiosk.sync.client import ServerBusy, SyncClient
    from kiosk.sync.status import StatusBoard, SyncState
    from kiosk.sync.uploader import Tally, Uploader
    from tests.central_support import CentralServer, database_url, enrol, write_lock_held

    db = database_url("postgresql", tmp_path / "centre")
    server = CentralServer(db, "--statement-timeout", "0.5")
    store = Store(tmp_path / "kiosk.db")
    uploader = Uploader(store, SyncClient(server.url, enrol(db, kiosk_id, "CP-SYNC").token),
                        StatusBoard(SyncState()), kiosk_id=kiosk_id, batch_size=100,
                        batch_max_bytes=10_000_000, encoding=None, paused=lambda: False)
    try:
        ids = fill_backlog(store.path, 400, kiosk_id=kiosk_id)
        with write_lock_held(db):
            for halved in (50, 25):
                with pytest.raises(ServerBusy) as canceled:
                    uploader.drain(Tally(), None, lambda: False)
                assert uploader.limits.entries == halved
        reason = canceled.value.text("en")
        assert "HTTP 503" in reason and "ran past 500ms" in reason, reason
        assert "statement timeout" in reason and "busy" not in reason, reason
        tally = Tally()
        uploader.drain(tally, None, lambda: False)
        assert tally.accepted == 400 and tally.batches < 400 // 25, tally.batches
        assert uploader.limits.entries == 100
        assert sync_states(store.path) == {"acknowledged": 400}
        with open_storage(db) as storage:
            assert sorted(e["id"] for e in storage.entries(kiosk_id=kiosk_id)) == ids
    finally:
        uploader.close()
        store.close()
        log = server.stop()
    assert "Traceback" not in log
    # whoever runs the centre sees it too, in serve's log
    assert "a kiosk's request was not stored" in log, log
    assert "the database canceled a statement (it ran past 500ms" in log, log
