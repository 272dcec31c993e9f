"""The sync worker's parts on their own: the status snapshot and the scheduler's turns.

The worker's behaviour end to end is in test_sync_worker.py (against a real centre); these
pin the rules the parts guarantee by construction, with real threads.
"""

from __future__ import annotations

import threading
import time
from itertools import pairwise

from kiosk.sync.client import AuthRefused
from kiosk.sync.scheduler import Scheduler
from kiosk.sync.status import StatusBoard, SyncState


def test_the_last_answer_of_an_upload_ends_it_in_the_same_snapshot():
    state = SyncState(pending=3).sending(2).sending(1)
    assert (state.pending, state.in_flight, state.uploading) == (3, 3, True)
    state = state.answered(held=2, rejected=0, at=1.0, clock_offset=None, clear_alert=True,
                           oldest_pending="2024-05-01T08:30:00.000000Z")
    assert (state.pending, state.uploading) == (1, True)
    state = state.answered(held=0, rejected=1, at=2.0, clock_offset=0.5, clear_alert=True,
                           oldest_pending=None)
    assert (state.pending, state.rejected, state.uploading) == (0, 1, False)
    assert (state.online, state.last_success, state.clock_offset_seconds) == (True, 2.0, 0.5)


def test_a_stale_count_never_shows_fewer_pending_than_are_on_the_wire():
    """Entries recorded after the last count and already sent are pending all the same."""
    assert SyncState(pending=0).sending(40).pending == 40


def test_every_subscriber_sees_every_snapshot_in_order_while_threads_race():
    board = StatusBoard(SyncState(pending=4000))
    seen: list[SyncState] = []
    board.subscribe(seen.append)

    def upload(batches: int) -> None:
        for _ in range(batches):
            board.update(lambda s: s.sending(10))
            board.update(lambda s: s.answered(held=10, rejected=0, at=time.time(),
                                              clock_offset=None, clear_alert=True,
                                              oldest_pending=None))
    threads = [threading.Thread(target=upload, args=(100,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen[-1] == board.state and board.state.pending == 0
    assert len(seen) == 800  # nothing lost, nothing merged
    assert all(not (s.uploading and s.pending == 0) for s in seen)
    steps = {(b.pending - a.pending, b.in_flight - a.in_flight) for a, b in pairwise(seen)}
    assert steps == {(0, 10), (-10, -10)}  # in the order applied, one change at a time


def test_a_push_takes_the_upload_over_from_the_background_between_batches():
    scheduler = Scheduler(interval=30, linger=1, base_backoff=1, max_backoff=60)
    order: list[str] = []
    background_holds = threading.Event()

    def background() -> None:
        with scheduler.turn():
            background_holds.set()
            while not scheduler.must_yield(background=True):  # one batch after another
                time.sleep(0.001)
            order.append("background yields")

    thread = threading.Thread(target=background)
    thread.start()
    background_holds.wait()
    with scheduler.turn(push=True):
        order.append("push runs")
        assert not scheduler.must_yield(background=False)
    thread.join()
    assert order == ["background yields", "push runs"]


def test_a_refused_token_parks_the_background_until_the_operator_pushes():
    scheduler = Scheduler(interval=30, linger=0.01, base_backoff=1, max_backoff=60)
    refused = AuthRefused("sync.http", 401, status=401, error="Authorization: unknown token")
    scheduler.failed(refused, progressed=False)
    assert scheduler.paused
    assert scheduler.back_off(refused) == float("inf")
    scheduler.resume()
    assert not scheduler.paused
    scheduler.recorded()  # a scan wakes it again after the linger
    started = time.monotonic()
    assert scheduler.wait_for_turn()
    assert time.monotonic() - started < 5


def test_a_scan_recorded_while_an_idle_cycle_runs_is_sent_after_the_linger_not_an_hour_later():
    """The idle cycle (health check, heartbeat) can take seconds on a slow link; a scan
    recorded meanwhile must not wait for the next interval."""
    scheduler = Scheduler(interval=3600, linger=0.01, base_backoff=1, max_backoff=60)
    assert scheduler.wait_for_turn()  # the first cycle runs at once
    scheduler.recorded()  # … a scan while it talks to the centre
    scheduler.idle()  # nothing was pending when it counted
    woke = threading.Event()
    waiter = threading.Thread(target=lambda: scheduler.wait_for_turn() and woke.set())
    waiter.start()
    woke.wait(5)
    scheduler.stop()
    waiter.join()
    assert woke.is_set()
