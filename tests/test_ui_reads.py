"""The screens' database reads coalesce and never hold up closing (real Qt, offscreen).

A burst of scans causes one refresh of counts and list; while a read runs, a newer request
replaces the one waiting; closing the window interrupts a running read instead of waiting.
"""

from __future__ import annotations

import threading
import time

from ui_support import (  # noqa: F401
    CCCD_AN,
    cccd_line,
    make_window_fixture,
    translations_built_fixture,
)

from kiosk.app import Kiosk
from kiosk.scan import Scan
from kiosk.store import StoreError
from kiosk.ui.background import Background
from kiosk.ui.bridge import KioskBridge
from tests.conftest import make_config

ENDLESS = ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
           "SELECT count(*) FROM n")
"""A query that only ends when interrupted."""


def test_a_newer_request_replaces_the_one_waiting(qtbot):
    """While the first read runs, five more arrive for the same key: only the newest runs."""
    lane = Background("db-test")
    started, release = threading.Event(), threading.Event()
    ran: list[int] = []
    delivered: list[int] = []

    def read(number: int) -> int:
        if number == 0:
            started.set()
            release.wait(10)
        ran.append(number)
        return number

    lane.submit_latest("screen", lambda: read(0), done=delivered.append)
    assert started.wait(10)
    for number in range(1, 6):
        lane.submit_latest("screen", lambda n=number: read(n), done=delivered.append)
    release.set()
    qtbot.waitUntil(lambda: delivered == [0, 5])
    assert ran == [0, 5]
    lane.shutdown()


def test_different_keys_do_not_replace_each_other(qtbot):
    lane = Background("db-test")
    delivered: list[str] = []
    for key in ("counts", "rejected", "counts"):
        lane.submit_latest(key, lambda k=key: k, done=delivered.append)
    qtbot.waitUntil(lambda: sorted(delivered) in (["counts", "rejected"],
                                                  ["counts", "counts", "rejected"]))
    assert "rejected" in delivered
    lane.shutdown()


def test_refreshes_requested_during_a_slow_read_collapse_into_one(make_window, qtbot):
    """Forty people scan in four waves while the screen's previous read is still running:
    each wave asks for a refresh, but only the newest request runs when the read ends — one
    read of the counts, showing all forty."""
    window = make_window()
    officer = window.officer
    pipeline = window.kiosk.pipeline
    reader = window.bridge._store()
    # The window's own first read must be over before counting: on a busy machine it can
    # still be running here, and its queries are not the ones this test is about.
    qtbot.waitUntil(lambda: officer.stats is not None, timeout=10000)
    officer._clock.stop()  # its once-a-minute refresh would be one more read, at any moment
    drained(window)
    stats_reads: list[str] = []
    reader.conn.set_trace_callback(
        lambda sql: stats_reads.append(sql) if "FROM presence" in sql else None)
    busy, release = threading.Event(), threading.Event()
    window.bridge.read(lambda store: (busy.set(), release.wait(20)), key="officer")
    assert busy.wait(10)
    for wave in range(4):
        for i in range(10):
            pipeline.submit(Scan(payload=cccd_line(10 * wave + i).encode(), device_id="cli",
                                 lane="in"))
        # the wave's refresh timer has fired: its request is in (not a guess at how long
        # a busy machine takes to get there)
        qtbot.waitUntil(lambda: not officer._refresh_timer.isActive(), timeout=10000)
    assert stats_reads == []
    release.set()
    qtbot.waitUntil(lambda: officer.tiles["in"].value.text() == "40", timeout=10000)
    drained(window)  # anything still queued behind that read has run too
    assert len(stats_reads) == 1


def drained(window) -> None:
    """Wait until the window's read lane has run everything queued so far (one thread: a
    marker submitted now runs after them)."""
    idle = threading.Event()
    window.bridge.db.submit(idle.set)
    assert idle.wait(10)


def test_closing_interrupts_a_running_read_instead_of_waiting(make_window, qtbot):
    """A read that would never end is running when the window closes: closing returns at
    once, and the read is interrupted rather than left running."""
    window = make_window()
    bridge = window.bridge
    outcome: list[object] = []
    started = threading.Event()

    def endless(store):
        started.set()
        try:
            with store.lock:  # as every Store method does (the locking rule)
                return store.conn.execute(ENDLESS).fetchone()
        except Exception as exc:
            outcome.append(exc)
            raise

    bridge.read(endless)
    assert started.wait(10)
    before = time.monotonic()
    window.close()
    assert time.monotonic() - before < 5  # it could only end this early by not waiting
    qtbot.waitUntil(lambda: bool(outcome), timeout=10000)
    assert "interrupted" in str(outcome[0])
    window.kiosk.pipeline.submit(Scan(payload=CCCD_AN.encode(), device_id="cli"))  # still records


def test_the_screens_first_read_makes_no_empty_store_where_the_store_was_deleted(
        qtbot, tmp_path):
    """The screens open their own connection to the store at their first read. Where the
    store file was deleted under the running kiosk (its own connection goes on with the
    deleted file), that read fails naming the missing file: no empty store is made in its
    place, whose counts and list would show the officer no scan at all."""
    config = make_config(tmp_path)
    kiosk = Kiosk(config)
    bridge = KioskBridge(kiosk)
    try:
        config.store_path.unlink()
        outcome: list[object] = []

        bridge.read(lambda store: store.outbox_summary(), done=outcome.append,
                    failed=outcome.append)

        qtbot.waitUntil(lambda: bool(outcome), timeout=10000)
        [failure] = outcome
        assert isinstance(failure, StoreError), failure
        assert failure.text("en").startswith(f"{config.store_path}: the store file is missing")
        assert not config.store_path.exists()
    finally:
        bridge.close()
        kiosk.stop()
