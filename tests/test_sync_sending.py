"""One sender of a store's backlog at a time (:mod:`kiosk.sync.sending`), as a push meets it.

A push finding another process sending the backlog waits for it without silencing its own
worker's check-ins, and for ``max_wait`` at most, naming who holds it; a disk too full to
take the holder's pid still lets the push send; two workers in one process (one left
behind by a re-link) do not wait for each other. Real parts: a ``kiosk-central serve``
process on 127.0.0.1, another process holding the lock (``flock``), the kiosk's store file,
a small file system filled to its last byte (root).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kiosk.config import load as load_config
from kiosk.store import Store
from kiosk.sync.worker import PushSummary, SyncWorker
from tests.sync_support import FaultyProxy, fill_backlog, sync_states, wait_until, write_config
from tests.test_store_disk_failing import fill, small_disk
from tests.test_sync_left_behind import linked, push_held

HOLDING = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.pwrite(fd, str(os.getpid()).encode(), 0)
print("held", flush=True)
time.sleep(120)
"""
"""Another sender, as a ``kiosk sync push`` waiting out a centre's Retry-After holds it."""


@contextlib.contextmanager
def another_sender(store_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the store's sending lock, its pid written, for the block."""
    other = subprocess.Popen([sys.executable, "-c", HOLDING, f"{store_path}.sending"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        yield other
    finally:
        other.kill()
        other.wait()


def last_seen(central: object, kiosk_id: str) -> str | None:
    (row,) = central._query(  # type: ignore[attr-defined]
        "SELECT last_seen_at FROM kiosks WHERE id = ?", (kiosk_id,))
    return row[0]


def test_sync_now_waiting_for_another_sender_lets_the_kiosk_check_in_and_ends_at_max_wait(
        central, kiosk_id, tmp_path):
    """"Sync now" while a ``kiosk sync push`` sends (or waits out an hour's Retry-After, or
    was stopped with Ctrl-Z) held the worker's turn for the whole wait: no heartbeat, the
    kiosk seen as silent at the centre, and the button busy for as long as the other held
    on, whatever ``max_wait``. The push now waits beside the background, which keeps
    checking in, and stops at ``max_wait`` naming who sends; the entries stay pending, and
    the next push once the other has ended sends them."""
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=central.enrol(kiosk_id))
    ids = fill_backlog(tmp_path / "kiosk.db", 5, kiosk_id=kiosk_id)
    worker = SyncWorker.from_config(load_config(config), interval_seconds=0.4)
    with another_sender(tmp_path / "kiosk.db") as other:
        worker.start()
        try:
            wait_until(lambda: last_seen(central, kiosk_id) is not None, timeout=30)
            told: list[int] = []
            pushed: list[PushSummary] = []
            started = time.monotonic()
            pusher = threading.Thread(target=lambda: pushed.append(
                worker.push_now(max_wait=4, another=told.append)))
            pusher.start()
            seen = set()
            while pusher.is_alive() and time.monotonic() - started < 15:
                seen.add(last_seen(central, kiosk_id))
                time.sleep(0.2)
            pusher.join(15)
            took = time.monotonic() - started
            assert not pusher.is_alive(), "the push still waits past max_wait"
            assert len(seen) >= 4, f"check-ins while Sync now waited: {sorted(seen)}"
            assert told == [other.pid]
            assert 4 <= took < 8, took
            (summary,) = pushed
            assert summary.error is not None
            assert summary.error("en") == (
                f"another process (pid {other.pid}: another `kiosk sync push`, or the running "
                "kiosk) is still sending this kiosk's pending entries after 4 s of waiting: "
                "this push stopped, the entries stay pending — send again once it has ended "
                "(stop it if it hangs or was suspended with Ctrl-Z)")
            assert summary.error("vi").startswith(f"một tiến trình khác (pid {other.pid}: ")
            assert (summary.batches, summary.remaining) == (0, 5)
            assert central.stored_ids(kiosk_id) == []
        finally:
            worker.stop(timeout=10)
    worker = SyncWorker.from_config(load_config(config))  # the other ended: sent now
    try:
        summary = worker.push_now(max_wait=4)
    finally:
        worker.stop()
    assert (summary.error, summary.accepted, summary.remaining) == (None, 5, 0)
    assert sorted(central.stored_ids(kiosk_id)) == ids


def test_a_disk_too_full_to_take_the_senders_pid_still_lets_the_push_send(
        central, kiosk_id, tmp_path):
    """The lock file beside the store takes the holder's pid for others to name; on a disk
    full to its last byte that write fails. The push failed with it ("No space left on
    device"), though the store had room left in its log to mark what the centre stored.
    The lock is held all the same: the push sends, and another sender meanwhile is told
    the holder's pid is not known ("?") instead of sending the same entries."""
    with small_disk(tmp_path / "disk", size_kib=8192) as disk:
        config = write_config(disk / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                              token=central.enrol(kiosk_id))
        ids = fill_backlog(disk / "kiosk.db", 3, kiosk_id=kiosk_id)
        store = Store(disk / "kiosk.db")  # open throughout: its log stays, with room in it
        with contextlib.closing(sqlite3.connect(disk / "kiosk.db")) as db:  # log grown, freed
            db.execute("CREATE TABLE room (b BLOB)")
            db.execute("INSERT INTO room VALUES (zeroblob(2000000))")
            db.commit()
            db.execute("DROP TABLE room")
            db.commit()
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
        filler = fill(disk)
        proxy = FaultyProxy(central.port)
        proxy.add("hold")
        worker = SyncWorker.from_config(load_config(config), store, server_url=proxy.url)
        pushed: list[PushSummary] = []
        pusher = threading.Thread(target=lambda: pushed.append(worker.push_now(max_wait=30)))
        try:
            pusher.start()
            wait_until(lambda: proxy.holds)  # the batch through, its answer held
            assert (disk / "kiosk.db.sending").read_bytes() == b""  # no room for the pid
            said = subprocess.run(  # another push meanwhile
                [sys.executable, "-m", "kiosk.cli", "sync", "push", "--max-wait", "1",
                 "--config", str(config)], capture_output=True, text=True, timeout=60,
                env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
            assert said.returncode == 1, said.stderr
            assert ("another process (pid ?: another `kiosk sync push`, or the running kiosk) "
                    "is still sending this kiosk's pending entries after 1 s of waiting"
                    in said.stderr), said.stderr
            proxy.release()
            pusher.join(30)
            (summary,) = pushed
            assert (summary.error, summary.accepted, summary.remaining) == (None, 3, 0)
        finally:
            proxy.release()
            pusher.join(30)
            worker.stop()
            proxy.close()
            filler.unlink()
    assert sorted(central.stored_ids(kiosk_id)) == ids
    assert len(proxy.batch_events()) == 1  # the other push sent nothing


def test_a_worker_left_behind_by_a_re_link_does_not_hold_back_its_successors_push(
        central, kiosk_id, tmp_path):
    """A re-link leaves the old worker behind while its push waits for an answer, holding
    the store's sending lock. The new worker is in the same process: it used to find the
    lock held (by its own pid) and wait for the old centre's answer, which may never come.
    The lock is the process's: the successor's push sends at once."""
    proxy = FaultyProxy(central.port)
    token = central.enrol(kiosk_id)
    try:
        with push_held(proxy, tmp_path, kiosk_id, token) as push:
            successor = SyncWorker.from_config(linked(tmp_path, kiosk_id, central.url, token))
            told: list[int] = []
            try:
                summary = successor.push_now(max_wait=3, another=told.append)
            finally:
                successor.stop()
            assert told == []
            assert (summary.error, summary.remaining) == (None, 0)
            assert sorted(central.stored_ids(kiosk_id)) == push.ids
            proxy.release()
            assert push.summary().error is None
        assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 3}
    finally:
        proxy.close()
