"""The wired kiosk: a config edit applies without a restart."""

from __future__ import annotations

import gc
import http.server
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk.app import Kiosk, KioskStopping
from kiosk.config import Config, ConfigError
from kiosk.scan import Scan, ScanResult, Status
from kiosk.store import Store, StoreError
from kiosk.sync import protocol
from tests.certificate_support import came_from_the_centre, make_issuer, trust_list_of
from tests.conftest import CCCD_AN, make_config
from tests.devices_support import Pty, wait_until
from tests.sync_support import CentralServer, FaultyProxy, fill_backlog, syncing


def test_applying_an_edited_config_restarts_devices_and_changes_the_policy(tmp_path):
    replay = tmp_path / "codes.txt"
    replay.write_text("https://example.org/a\n", encoding="utf-8")
    device = {"id": "lane1", "type": "replay", "lane": "in", "path": str(replay)}
    kiosk = Kiosk(make_config(tmp_path, policy={"duplicate_policy": "allow"},
                              devices=[device]))
    kiosk.start()
    try:
        assert kiosk.supervisor.wait_finished(10)
        first = kiosk.supervisor
        replay.write_text("https://example.org/b\n", encoding="utf-8")
        seen = []
        edited = make_config(tmp_path, policy={"duplicate_policy": "block"},
                             devices=[{**device, "id": "lane2"}])
        new = kiosk.apply(edited, watch=lambda s: s.subscribe(seen.append))
        assert new is kiosk.supervisor is not first
        assert new.wait_finished(10)
        assert {s.device_id for s in seen} == {"lane2"}
        assert [r["device_id"] for r in kiosk.store.entries()] == ["lane1", "lane2"]
        results = [kiosk.pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in"))
                   for _ in range(2)]
        assert [r.status for r in results] == [Status.ACCEPTED, Status.DUPLICATE]
        assert not results[1].recorded  # "block" now applies
    finally:
        kiosk.stop()


def test_stopping_hands_every_scan_already_read_to_the_store(tmp_path):
    """Scans read from a device but still queued when the kiosk stops are recorded, however
    slow the database is: nothing read from a scanner is dropped at shutdown.

    Another connection holds SQLite's write lock, so no scan can commit: the device reads
    all 300 into the queue first, and the kiosk is stopped with every one still queued.
    """
    replay = tmp_path / "queue.txt"
    replay.write_text("".join(f"person-{i:05d}\n" for i in range(300)), encoding="utf-8")
    device = {"id": "lane1", "type": "replay", "lane": "in", "path": str(replay)}
    config = make_config(tmp_path, devices=[device])
    kiosk = Kiosk(config)
    busy = sqlite3.connect(config.store_path, isolation_level=None)
    busy.execute("BEGIN IMMEDIATE")  # a long write elsewhere: every commit waits for it
    kiosk.start()
    try:
        wait_until(lambda: kiosk.supervisor.status()[0].scans == 300, what="all 300 read")
        assert busy.execute("SELECT count(*) FROM entries").fetchone()[0] == 0
        stopping = threading.Thread(target=kiosk.supervisor.stop, kwargs={"timeout": 0.01})
        stopping.start()
        wait_until(kiosk.supervisor.stop_event.is_set, what="the stop to begin")
        busy.execute("COMMIT")  # the database is free again while the kiosk is stopping
        stopping.join(60)
        assert not stopping.is_alive()
    finally:
        kiosk.stop()
    assert busy.execute("SELECT count(*) FROM entries").fetchone()[0] == 300
    busy.close()


def serial_scanner(pty: Pty) -> dict[str, str]:
    """The officer's scanner: lane1, reading people in, on the serial port ``pty``."""
    return {"id": "lane1", "type": "serial", "port": pty.path, "lane": "in"}


def linked(tmp_path: Path, pty: Pty, centre: CentralServer, kiosk_id: str,
           **store: Any) -> Config:
    """A kiosk enrolled at ``centre`` as ``kiosk_id``, its serial scanner on ``pty``."""
    return make_config(
        tmp_path, kiosk={"id": kiosk_id, "checkpoint_id": "CP-SYNC"},
        sync={"enabled": True, "server_url": centre.url, "token": centre.enrol(kiosk_id)},
        devices=[serial_scanner(pty)], **({"store": store} if store else {}))


@contextmanager
def running_kiosk_with_a_pty_scanner(
        tmp_path: Path, configure: Callable[[Pty], Config] | None = None,
) -> Iterator[tuple[Kiosk, Pty]]:
    """A started kiosk whose serial scanner on a pty has connected: (kiosk, pty). Its config
    is ``configure(pty)``, by default the scanner alone; the kiosk is stopped on the way out."""
    with Pty() as pty:
        kiosk = Kiosk(configure(pty) if configure
                      else make_config(tmp_path, devices=[serial_scanner(pty)]))
        kiosk.start()
        try:
            wait_until(lambda: kiosk.supervisor.status()[0].state == "connected",
                       what="scanner")
            yield kiosk, pty
        finally:
            kiosk.stop()


@contextmanager
def running_kiosk_linked_to_a_centre(
        tmp_path: Path) -> Iterator[tuple[Kiosk, Pty, CentralServer]]:
    """A started kiosk enrolled at a real centre as lane-1, its serial scanner on a pty
    connected: (kiosk, pty, centre). Both are stopped on the way out."""
    centre = CentralServer(tmp_path)
    try:
        with running_kiosk_with_a_pty_scanner(
                tmp_path, lambda pty: linked(tmp_path, pty, centre, "lane-1")) as (kiosk, pty):
            yield kiosk, pty, centre
    finally:
        centre.stop()


def recorded_by(config: Config) -> list[str]:
    """The kiosk ids of the entries really on disk, read through the test's own connection."""
    with sqlite3.connect(config.store_path) as db:
        return [row[0] for row in db.execute("SELECT kiosk_id FROM entries ORDER BY scanned_at")]


def results_of_a_scan(kiosk: Kiosk, pty: Pty, payload: str = CCCD_AN) -> list[ScanResult]:
    """What the kiosk shows for one person scanned at the pty's scanner."""
    results: list[ScanResult] = []
    unsubscribe = kiosk.pipeline.subscribe(results.append)
    try:
        pty.send(payload.encode() + b"\r\n")
        wait_until(lambda: results, what="the scan's result")
    finally:
        unsubscribe()
    return results


def gone(config: Config) -> str:
    """Why each scan is refused once the store's path no longer names the file it opened."""
    return (f"Storage error, scan NOT recorded: {config.store_path}: the store file was "
            "deleted or replaced while the kiosk runs; no scan is recorded until the kiosk "
            "is restarted")


def checked(path: Path) -> tuple[list[str], int]:
    """SQLite's check of the file at ``path``, and how many entries it holds."""
    with closing(sqlite3.connect(path)) as db:
        return ([row[0] for row in db.execute("PRAGMA quick_check")],
                db.execute("SELECT count(*) FROM entries").fetchone()[0])


def test_a_scan_after_the_store_file_was_deleted_is_not_recorded_and_says_why(tmp_path):
    """``rm kiosk.db*`` under a running kiosk: its connection could go on writing into the
    deleted file, and a scan shown "accepted" would be nowhere on disk once the kiosk
    stops. Each scan from then on is shown as not recorded, in words naming the store, and
    no new file is made in its place."""
    with running_kiosk_with_a_pty_scanner(tmp_path) as (kiosk, pty):
        path = kiosk.config.store_path
        [before] = results_of_a_scan(kiosk, pty)
        assert before.status is Status.ACCEPTED and before.recorded
        for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
            path.with_name(name).unlink()

        [after] = results_of_a_scan(kiosk, pty, "https://example.org/next-person")

        assert after.status is Status.REJECTED and not after.recorded
        assert after.reason_code == "storage_error"
        assert after.reason_in("en") == gone(kiosk.config)
        assert after.reason_in("vi") == (
            f"Lỗi lưu trữ, lượt quét CHƯA được ghi: {path}: tệp kho dữ liệu đã bị xoá hoặc "
            "thay bằng tệp khác trong khi trạm chạy; không ghi được lượt quét nào cho đến "
            "khi khởi động lại trạm")
    assert not path.exists()


def test_a_copy_moved_over_the_running_store_is_never_opened_beside_it(tmp_path):
    """A backup put back over the running store (``mv backup.db kiosk.db``): the path now
    names another file, but the -wal and -shm beside it are still the running store's. A
    connection to the copy would share them with the kiosk's own connection to the old
    file, and both files were found corrupt. A new link's sync worker is refused in words
    (the old link goes on), the retention purge opens nothing, the next scan is not
    recorded, in words; both files pass SQLite's check, each with its own entries."""
    with running_kiosk_linked_to_a_centre(tmp_path) as (kiosk, pty, centre):
        config, sync = kiosk.config, kiosk.sync
        path = config.store_path
        for i in range(20):
            assert results_of_a_scan(kiosk, pty, f"https://example.org/p{i}")[0].recorded
        backup = tmp_path / "backup.db"
        with closing(sqlite3.connect(backup)) as copy, closing(sqlite3.connect(path)) as source:
            source.backup(copy)
        for i in range(20, 30):
            assert results_of_a_scan(kiosk, pty, f"https://example.org/p{i}")[0].recorded
        old = tmp_path / "old.db"
        os.link(path, old)  # the running store's file, kept to be checked afterwards
        os.replace(backup, path)

        with pytest.raises(StoreError) as refused:
            kiosk.apply(linked(tmp_path, pty, centre, "lane-2"))
        assert refused.value.text("en") == (
            f"{path}: no longer the store file the kiosk opened (another file was put in its "
            "place while the kiosk runs); it is not opened beside the store")
        assert kiosk.config is config and kiosk.sync is sync

        with pytest.raises(StoreError) as purge_refused:
            kiosk.store.purge(config.store.retention_days)
        assert purge_refused.value.text("en") == gone(config).split(": ", 1)[1]

        [after] = results_of_a_scan(kiosk, pty, "https://example.org/after")
        assert not after.recorded and after.reason_in("en") == gone(config)
    assert checked(old) == (["ok"], 30) and checked(path) == (["ok"], 20)


def test_a_config_naming_another_store_is_refused_and_scans_go_on_to_the_old_one(tmp_path):
    """A running kiosk writes every scan to the store it opened at the start. A config
    edited since (by hand, then saved by the technician's screen) naming another [store]
    path cannot be taken: apply refuses it before it stops or opens anything, saying the
    store moves only at a restart and what to do first with the backlog; the next scan is
    recorded in the old store and no file is made at the new path. The same file named
    another way (through a link) is no move."""
    with running_kiosk_with_a_pty_scanner(tmp_path) as (kiosk, pty):
        config, supervisor, scanner = kiosk.config, kiosk.supervisor, serial_scanner(pty)
        elsewhere = tmp_path / "data" / "kiosk.db"
        moved = make_config(tmp_path, store={"path": str(elsewhere)}, devices=[scanner])

        with pytest.raises(ConfigError) as refused:
            kiosk.apply(moved)

        assert refused.value.text("en") == (
            f"the store changes from {config.store_path.resolve()} to "
            f"{elsewhere.resolve()} only at a restart: first send the entries still "
            "waiting in the old store from the sync screen, or stop the kiosk and move "
            "that file there; see docs/technician.md, “Moving the store”")
        assert refused.value.text("vi").startswith("kho dữ liệu chỉ đổi từ ")
        assert kiosk.config is config
        assert kiosk.supervisor is supervisor and not supervisor.stop_event.is_set()
        pty.send(CCCD_AN.encode() + b"\r\n")  # the next person at the same scanner
        wait_until(lambda: len(recorded_by(config)) == 1, what="the scan in the old store")
        assert not elsewhere.parent.exists()

        (tmp_path / "same.db").symlink_to(config.store_path)
        same = make_config(tmp_path, store={"path": str(tmp_path / "same.db")},
                           devices=[scanner])
        assert kiosk.apply(same) is kiosk.supervisor and kiosk.config is same
    assert not elsewhere.parent.exists()


def test_a_new_link_with_another_store_is_refused_and_the_old_link_sends_on(tmp_path):
    """An enrolment saved to a file whose [store] path was edited since the start: the new
    sync worker would open the new file and send from it, while scans go on to the old one
    (sent by nobody, and orphaned after a restart on the new path). apply refuses it before
    anything is built or stopped: the officer's scanner, the link to the centre and the
    running config stay as they were, and the next scan reaches the centre through the old
    link."""
    with running_kiosk_linked_to_a_centre(tmp_path) as (kiosk, pty, centre):
        config, sync, supervisor = kiosk.config, kiosk.sync, kiosk.supervisor
        elsewhere = tmp_path / "data" / "kiosk.db"
        moved = linked(tmp_path, pty, centre, "lane-2", path=str(elsewhere))

        with pytest.raises(ConfigError, match="only at a restart"):
            kiosk.apply(moved)

        assert kiosk.config is config and kiosk.sync is sync
        assert kiosk.supervisor is supervisor and not supervisor.stop_event.is_set()
        pty.send(CCCD_AN.encode() + b"\r\n")  # the next person at the same scanner
        wait_until(lambda: len(centre.stored_ids("lane-1")) == 1, timeout=30,
                   what="the scan at the centre, sent by the old sync worker")
    assert recorded_by(config) == ["lane-1"]
    assert not elsewhere.parent.exists()


def test_a_new_link_whose_worker_cannot_open_the_store_leaves_the_old_link_running(tmp_path):
    """What apply builds can still fail with the same [store] path: the new sync worker
    opens its own connection to the file that path names now. Here the store was moved
    away under the running kiosk, a folder left in its place (a mistake, but the only
    failure found with an unchanged path): building the worker raises before anything is
    stopped, and the scanner and the old link go on. The next scan is not recorded, in
    words naming the store: the path no longer names the file the kiosk writes to."""
    with running_kiosk_linked_to_a_centre(tmp_path) as (kiosk, pty, centre):
        config, sync, supervisor = kiosk.config, kiosk.sync, kiosk.supervisor
        config.store_path.rename(tmp_path / "moved.db")
        config.store_path.mkdir()

        with pytest.raises(StoreError) as refused:
            kiosk.apply(linked(tmp_path, pty, centre, "lane-2"))
        assert refused.value.text("en") == (
            f"{config.store_path}: the path is a folder, not a file")
        assert refused.value.text("vi") == (
            f"{config.store_path}: đường dẫn là một thư mục, không phải tệp")

        assert kiosk.config is config and kiosk.sync is sync
        assert kiosk.supervisor is supervisor and not supervisor.stop_event.is_set()
        [result] = results_of_a_scan(kiosk, pty)
        assert not result.recorded and result.reason_in("en") == gone(config)


def test_a_store_path_that_loops_is_refused_in_words_and_the_kiosk_goes_on(tmp_path):
    """A [store] path edited to a link that names itself (Python's ``resolve`` raises
    RuntimeError on it, no OSError): apply refuses the config in the words the enrolment's
    check uses for the same loop, naming the path, before anything stops; the next scan is
    recorded in the old store."""
    with running_kiosk_with_a_pty_scanner(tmp_path) as (kiosk, pty):
        config, supervisor = kiosk.config, kiosk.supervisor
        loop = tmp_path / "loop.db"
        loop.symlink_to(loop.name)
        looped = make_config(tmp_path, store={"path": str(loop)}, devices=[serial_scanner(pty)])

        with pytest.raises(ConfigError) as refused:
            kiosk.apply(looped)

        assert refused.value.text("en") == (
            f"{loop}: the path leads through a link that loops back on itself")
        assert refused.value.text("vi") == (
            f"{loop}: đường dẫn đi qua một liên kết vòng (trỏ ngược về chính nó)")
        assert kiosk.config is config
        assert kiosk.supervisor is supervisor and not supervisor.stop_event.is_set()
        pty.send(CCCD_AN.encode() + b"\r\n")  # the next person at the same scanner
        wait_until(lambda: len(recorded_by(config)) == 1, what="the scan in the old store")


def test_a_new_link_makes_no_empty_store_where_the_store_was_deleted(tmp_path):
    """The store file deleted under the running kiosk (not replaced): a new sync worker
    opening the path would have SQLite make a new, empty store there and send from it,
    never the scans the kiosk records. apply refuses, naming the missing file, and makes
    none; the scanner and the old link go on, the scan taken before the deletion is sent,
    and the next one is not recorded, in words saying why."""
    with running_kiosk_linked_to_a_centre(tmp_path) as (kiosk, pty, centre):
        config, sync, supervisor = kiosk.config, kiosk.sync, kiosk.supervisor
        [before] = results_of_a_scan(kiosk, pty)
        assert before.recorded
        config.store_path.unlink()

        with pytest.raises(StoreError) as refused:
            kiosk.apply(linked(tmp_path, pty, centre, "lane-2"))

        assert refused.value.text("en") == (
            f"{config.store_path}: the store file is missing (deleted or moved away while "
            "the kiosk runs); no empty one is made in its place")
        assert refused.value.text("vi").startswith(f"{config.store_path}: không còn tệp kho")
        assert not config.store_path.exists()
        assert kiosk.config is config and kiosk.sync is sync
        assert kiosk.supervisor is supervisor and not supervisor.stop_event.is_set()
        wait_until(lambda: centre.stored_ids("lane-1") == [before.entry_id], timeout=30,
                   what="the scan at the centre, sent by the old sync worker")
        [after] = results_of_a_scan(kiosk, pty)  # the next person at the same scanner
        assert not after.recorded and after.reason_in("en") == gone(config)
    assert not config.store_path.exists()


class SilentCentre:
    """A centre on 127.0.0.1 that takes connections and reads requests but never answers:
    a kiosk's requests to it stay in flight until :meth:`cut` closes every connection."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests: list[bytes] = []
        """The first line of each request received."""
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # cut
                return
            self._connections.append(connection)
            self.requests.append(connection.recv(65536).split(b"\r\n", 1)[0])

    def cut(self) -> None:
        """Close the listener and every connection: requests in flight fail at once. Once
        cut, nothing more to do."""
        if self.listener.fileno() == -1:
            return
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self._thread.join(5)
        for connection in self._connections:
            connection.shutdown(socket.SHUT_RDWR)
            connection.close()


def linked_to(silent: SilentCentre, tmp_path: Path, pty: Pty, kiosk_id: str = "lane-1") -> Config:
    """A kiosk linked as ``kiosk_id`` to a centre that never answers, its scanner on ``pty``."""
    return make_config(
        tmp_path, kiosk={"id": kiosk_id, "checkpoint_id": "CP-SYNC"},
        sync={"enabled": True, "server_url": silent.url, "token": "old-token",
              "timeout_seconds": 120}, devices=[serial_scanner(pty)])


@dataclass
class Relink:
    """An enrolment applied while the old centre answers nothing (:func:`linked_to`)."""

    pty: Pty
    silent: SilentCentre
    centre: CentralServer
    old_sync: Any
    old_supervisor: Any
    enrolled: Config
    applying: threading.Thread


@contextmanager
def an_enrolment_waiting_for_a_silent_centre(
        tmp_path: Path, silent_too: SilentCentre | None = None,
) -> Iterator[tuple[Kiosk, Relink]]:
    """A kiosk linked to a centre that never answers, both its requests (the health check,
    the trust list) in flight, and an apply of a link to a real centre (or to ``silent_too``,
    another that never answers) started in a thread: it waits for the old link to stop
    until the test cuts the silent centre (however long the test takes: the kiosk's wait
    for each thread of a link is raised from 5 s to 120 s)."""
    silent, centre = SilentCentre(), CentralServer(tmp_path)
    try:
        with running_kiosk_with_a_pty_scanner(
                tmp_path, lambda pty: linked_to(silent, tmp_path, pty)) as (kiosk, pty):
            try:
                wait_until(lambda: len(silent.requests) == 2,
                           what="the health check and the trust list, both in flight")
                enrolled = linked(tmp_path, pty, centre, "lane-2") if silent_too is None \
                    else linked_to(silent_too, tmp_path, pty, "lane-2")
                kiosk.link_stop_seconds = 120
                applying = threading.Thread(target=kiosk.apply, args=(enrolled,))
                relink = Relink(pty, silent, centre, kiosk.sync, kiosk.supervisor,
                                enrolled, applying)
                applying.start()
                yield kiosk, relink
            finally:
                silent.cut()  # before the kiosk stops, which would wait for it
    finally:
        centre.stop()
        silent.cut()


def test_a_new_link_restarts_the_scanner_before_the_old_link_has_stopped(tmp_path):
    """An enrolment while the old centre does not answer: the old sync worker and the
    trust-list thread are each in a request to it, and stopping them waits for those (here
    until the centre is cut). The officer's scanner does not wait with them: the
    new reader takes the scanner as soon as the old one lets go, and a scan is recorded as
    the new kiosk while the old link is still stopping. The new link starts only once the
    old one has stopped (one sync worker sends from the store at a time), then sends it."""
    with an_enrolment_waiting_for_a_silent_centre(tmp_path) as (kiosk, relink):
        old_sync, applying = relink.old_sync, relink.applying
        assert old_sync is not None
        wait_until(lambda: kiosk.supervisor is not relink.old_supervisor
                   and kiosk.supervisor.status()[0].state == "connected",
                   what="the new reader on the scanner")
        relink.pty.send(CCCD_AN.encode() + b"\r\n")
        wait_until(lambda: recorded_by(relink.enrolled) == ["lane-2"], what="the scan recorded")

        assert applying.is_alive() and kiosk.sync is old_sync  # the old link is stopping
        assert old_sync._thread is not None and old_sync._thread.is_alive()
        relink.silent.cut()  # the old centre's requests fail: the old link stops
        applying.join(30)
        assert not applying.is_alive()
        assert kiosk.sync is not old_sync and not old_sync._thread.is_alive()
        wait_until(lambda: len(relink.centre.stored_ids("lane-2")) == 1, timeout=30,
                   what="the scan at the centre, sent by the new sync worker")


def test_a_config_with_a_new_link_switches_the_sync_worker_and_the_scanner(tmp_path):
    """A config that can be taken still switches: the old scanner reader and sync worker
    stop (one reader per serial port, one worker sending), the new ones take over, and the
    next scan is recorded and sent as the new kiosk."""
    with running_kiosk_linked_to_a_centre(tmp_path) as (kiosk, pty, centre):
        sync, supervisor = kiosk.sync, kiosk.supervisor
        enrolled = linked(tmp_path, pty, centre, "lane-2")

        new = kiosk.apply(enrolled)

        assert kiosk.config is enrolled and new is kiosk.supervisor is not supervisor
        assert supervisor.stop_event.is_set()
        assert kiosk.sync is not sync and not sync._thread.is_alive()
        wait_until(lambda: new.status()[0].state == "connected", what="scanner again")
        pty.send(CCCD_AN.encode() + b"\r\n")
        wait_until(lambda: len(centre.stored_ids("lane-2")) == 1, timeout=30,
                   what="the scan at the centre, sent by the new sync worker")
    assert recorded_by(enrolled) == ["lane-2"]
    assert centre.stored_ids("lane-1") == []


def test_two_applies_at_once_leave_one_supervisor_reading_the_scanner(tmp_path):
    """The screen applies configs on a pool of two threads (devices saved while an
    enrolment applies its config): the second apply waits for the first, then applies on
    top of it. Exactly one supervisor is left running, the kiosk's own, and the scanner's
    next scan is recorded once."""
    with running_kiosk_with_a_pty_scanner(tmp_path) as (kiosk, pty):
        config, scanner = kiosk.config, serial_scanner(pty)
        together = threading.Barrier(2)
        applied: list[Any] = []

        def apply(name: str) -> None:
            edited = make_config(tmp_path, devices=[{**scanner, "id": name}])
            together.wait(timeout=10)
            applied.append(kiosk.apply(edited))

        threads = [threading.Thread(target=apply, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert len(applied) == 2
        running = [s for s in applied if not s.stop_event.is_set()]
        assert running == [kiosk.supervisor]
        assert all(s.wait_finished(10) for s in applied if s is not kiosk.supervisor)
        wait_until(lambda: kiosk.supervisor.status()[0].state == "connected",
                   what="scanner")
        pty.send(CCCD_AN.encode() + b"\r\n")
        wait_until(lambda: len(recorded_by(config)) == 1, what="the scan")
        assert [r["device_id"] for r in kiosk.store.entries()] == [
            kiosk.config.devices[0].id]


def test_a_stop_during_an_apply_waits_for_it_and_starts_no_new_link(tmp_path):
    """The kiosk is stopped (the window closed) while an enrolment applies and waits for
    the old link to stop, its centre not answering. The stop waits for that apply, which
    then starts no new link: the new sync worker and trust-list thread are built but never
    started (nor hear of scans) on a kiosk that is stopping, and the new centre hears
    nothing from it (a link started then would only hold the stop up in its requests); the
    stop closes the new worker's connection to the store with the rest."""
    new_centre = SilentCentre()
    with an_enrolment_waiting_for_a_silent_centre(tmp_path, new_centre) as (kiosk, relink):
        try:
            old_sync, applying = relink.old_sync, relink.applying
            wait_until(lambda: kiosk.supervisor is not relink.old_supervisor,
                       what="the apply, waiting for the old link to stop")
            stopping = threading.Thread(target=kiosk.stop)
            stopping.start()
            wait_until(kiosk._stopping.is_set, what="the stop to begin")
            assert applying.is_alive() and stopping.is_alive()
            assert not kiosk.supervisor.stop_event.is_set()  # the stop waits for the apply

            relink.silent.cut()  # the old centre's requests fail: the old link stops
            applying.join(30)
            stopping.join(30)

            assert not applying.is_alive() and not stopping.is_alive()
            new_sync, trust_list = kiosk.sync, kiosk._link.trust_list
            assert new_sync is not None and new_sync is not old_sync  # the apply went through
            assert new_centre.requests == []
            assert new_sync.notify not in kiosk.pipeline._listeners._callbacks
            assert new_sync._thread is None
            assert trust_list is not None and trust_list.ident is None  # never started
            assert connected_to(relink.enrolled.store_path.resolve()) == []
            assert kiosk.supervisor.stop_event.is_set()
        finally:
            new_centre.cut()


class ListCentre:
    """A centre on 127.0.0.1 that serves a trust list (``body``) and answers 404 to anything
    else; ``held``: its answer waits until :meth:`release`."""

    def __init__(self, body: bytes, *, held: bool = False) -> None:
        self.asked = threading.Event()
        """The list was asked for."""
        self.released = threading.Event()
        if not held:
            self.released.set()
        centre = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != protocol.TRUST_LIST_PATH:
                    self.send_error(404)
                    return
                centre.asked.set()
                centre.released.wait(60)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def listing(tmp_path: Path, centre: ListCentre) -> Config:
    """A kiosk linked to ``centre``, which it waits for as long as it takes (120 s)."""
    return make_config(tmp_path, sync={"enabled": True, "server_url": centre.url,
                                       "token": "t", "timeout_seconds": 120})


def test_the_old_centres_late_trust_list_never_replaces_the_new_centres(tmp_path):
    """An enrolment while the old centre is slow to send its trust list: the apply stops
    waiting for the old link's trust-list thread and the new link fetches the new centre's
    list. When the old list arrives later, it is not written: certificates are checked
    with the new centre's signers, not the old one's until the next hourly refresh."""
    old_list, new_list = (trust_list_of(make_issuer().der).to_json() for _ in range(2))
    old, new = ListCentre(old_list, held=True), ListCentre(new_list)
    kiosk = Kiosk(listing(tmp_path, old))
    kiosk.link_stop_seconds = 0.5
    kiosk.start()
    try:
        wait_until(old.asked.is_set, what="the old centre asked for its list")
        left_behind = kiosk._link.trust_list
        assert left_behind is not None

        kiosk.apply(listing(tmp_path, new))

        held = kiosk.config.trust_list_path
        wait_until(lambda: came_from_the_centre(held, new_list), what="the new centre's list")
        assert left_behind.is_alive()  # still waiting for the old centre's answer
        old.released.set()
        left_behind.join(30)
        assert not left_behind.is_alive()
        assert came_from_the_centre(held, new_list)
    finally:
        kiosk.stop()
        old.stop()
        new.stop()


def test_a_sync_worker_left_behind_by_an_apply_closes_itself_and_saves_no_status(tmp_path):
    """A [sync] batch_size edit while a batch is on the wire and the centre's answer comes
    too late: the apply stops waiting for the old sync worker and starts a new one, which
    sends the entry again and is answered. The old worker, left behind, fails when its
    request times out; it saves nothing of it (the new worker's status stands: online, no
    error), and once its request has ended it closes its connection to the store and its
    threads, even though the kiosk stopped long before."""
    before = set(threading.enumerate())
    centre = CentralServer(tmp_path)
    proxy = FaultyProxy(centre.port)
    try:
        sync = {"enabled": True, "server_url": proxy.url, "token": centre.enrol("lane-1"),
                "timeout_seconds": 6}
        config = make_config(tmp_path, kiosk={"id": "lane-1", "checkpoint_id": "CP-SYNC"},
                             sync=sync)
        kiosk = Kiosk(config)
        kiosk.link_stop_seconds = 0.2
        with syncing(kiosk) as old_sync:
            proxy.add("too_late")
            entry = kiosk.pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in"))
            wait_until(proxy.batch_events, what="the batch on the wire")

            kiosk.apply(make_config(tmp_path, kiosk={"id": "lane-1", "checkpoint_id": "CP-SYNC"},
                                    sync={**sync, "batch_size": 500}))

            assert kiosk.sync is not old_sync and old_sync._thread.is_alive()
            wait_until(lambda: kiosk.sync.state().pending == 0, timeout=30,
                       what="the entry acknowledged through the new worker")
        store_file = config.store_path.resolve()
        wait_until(lambda: connected_to(store_file) == [], timeout=30,
                   what="the old worker's connection closed once its request ended")
        wait_until(lambda: not [t for t in set(threading.enumerate()) - before
                                if t.name.startswith(("sync", "store-upkeep"))],
                   what="the old worker's threads gone")
        assert len(proxy.batch_events()) == 2
        assert centre.stored_ids("lane-1") == [entry.entry_id]
        with sqlite3.connect(store_file) as db:
            saved = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'sync.%'"))
        db.close()
        assert saved["sync.online"] == "1" and "sync.last_error" not in saved
    finally:
        proxy.close()
        centre.stop()


def connected_to(path: Path) -> list[Store]:
    """The Store objects in this process still connected to the file at ``path``: each is
    one SQLite connection holding the file (and its -wal and -shm) open."""
    def connected(store: Store) -> bool:
        try:
            with store.lock:
                store.conn.execute("SELECT 1")
        except sqlite3.ProgrammingError:  # closed
            return False
        return True
    return [o for o in gc.get_objects()
            if isinstance(o, Store) and o.path.resolve() == path and connected(o)]


def drop_the_pending_index(path: Path) -> None:
    """Damage the store at ``path`` past what opening it checks: its index of pending entries
    gone (a hand repair, a partial restore), which the sync worker's count of its backlog
    names, so building the worker fails on reading its state after its Store opened."""
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX entries_pending")
    db.close()


def test_a_new_link_that_cannot_be_built_leaves_no_connection_to_the_store(tmp_path):
    """The new sync worker opens its own connection to the store, then reads its saved
    state from it. When that fails (here the store's pending index gone), apply refuses
    and the kiosk goes on as it was; the worker's connection is closed, not left open on
    the store file for as long as anything holds the failure (or for good, in a cycle),
    one more for each apply tried. Only the kiosk's own connection is left."""
    with running_kiosk_with_a_pty_scanner(tmp_path) as (kiosk, pty):
        config, supervisor = kiosk.config, kiosk.supervisor
        store_file = config.store_path.resolve()
        drop_the_pending_index(store_file)
        enrolled = make_config(
            tmp_path, kiosk={"id": "lane-2", "checkpoint_id": "CP-SYNC"},
            sync={"enabled": True, "server_url": "http://127.0.0.1:9", "token": "t"},
            devices=[serial_scanner(pty)])

        with pytest.raises(sqlite3.OperationalError, match="entries_pending") as refused:
            kiosk.apply(enrolled)

        assert refused.value.__traceback__ is not None  # held here, with its frames' locals
        assert connected_to(store_file) == [kiosk.store]
        assert kiosk.config is config and kiosk.sync is None
        assert kiosk.supervisor is supervisor and not supervisor.stop_event.is_set()


def test_a_kiosk_whose_link_cannot_be_built_at_its_start_leaves_the_store_closed(tmp_path):
    """Building the sync worker fails while the kiosk starts (its backlog unreadable):
    the kiosk is not made, and the store it had opened is closed with its upkeep thread,
    not left connected to the file by an object nobody holds."""
    config = make_config(tmp_path, sync={"enabled": True, "server_url": "http://127.0.0.1:9",
                                         "token": "t"})
    Store(config.store_path).close()  # a store this kiosk used before
    store_file = config.store_path.resolve()
    drop_the_pending_index(store_file)
    before = set(threading.enumerate())  # an earlier test's thread may still be ending

    with pytest.raises(sqlite3.OperationalError, match="entries_pending"):
        Kiosk(config)

    assert connected_to(store_file) == []
    assert not [t for t in set(threading.enumerate()) - before if t.name == "store-upkeep"]


def test_a_kiosk_whose_token_file_is_no_utf8_starts_saying_it_has_no_token(tmp_path):
    """The token file holds bytes that are no text (a damaged copy): the kiosk starts, its
    link paused with the operator's alert that there is no token, as for a file not there."""
    token = tmp_path / "token"
    token.write_bytes(b"\xff\xfe")
    kiosk = Kiosk(make_config(tmp_path, sync={
        "enabled": True, "server_url": "http://127.0.0.1:9", "token_file": str(token)}))
    try:
        assert kiosk.sync is not None and kiosk.sync.token == ""
        assert kiosk.sync.state().alert.code == "sync.no_token"
    finally:
        kiosk.stop()


def test_an_apply_after_the_kiosk_has_stopped_is_refused_and_starts_nothing(tmp_path):
    """An apply queued on the screen's pool while the window closes runs after stop() has
    returned: it is refused in words (the config is saved; the next start takes it), and
    no scanner reader or sync worker is started on the stopped kiosk, its store closed."""
    centre = CentralServer(tmp_path)
    try:
        with running_kiosk_with_a_pty_scanner(tmp_path) as (kiosk, pty):
            supervisor = kiosk.supervisor
        enrolled = linked(tmp_path, pty, centre, "lane-2")

        with pytest.raises(KioskStopping) as refused:
            kiosk.apply(enrolled)

        assert refused.value.text("en") == (
            "the kiosk is stopping: the saved config is used from its next start")
        assert refused.value.text("vi") == (
            "trạm đang dừng: cấu hình đã lưu được dùng từ lần khởi động sau")
        assert kiosk.supervisor is supervisor and supervisor.stop_event.is_set()
        assert kiosk.sync is None and kiosk.config is not enrolled
        assert not [t for t in threading.enumerate() if t.name in ("sync", "trust-list")]
    finally:
        centre.stop()


def test_a_damaged_saved_clock_offset_is_taken_as_absent_at_start_and_at_an_apply(tmp_path):
    """The sync worker's saved clock offset is no number (a damaged row, a hand edit): the
    kiosk still starts with its link, and an enrolment still applies, each worker taking
    the offset as unknown; the next answer of the centre saves a number again."""
    centre = CentralServer(tmp_path)
    try:
        with Pty() as pty:
            config = linked(tmp_path, pty, centre, "lane-1")
            Store(config.store_path).close()  # a store this kiosk used before
            with sqlite3.connect(config.store_path) as db:
                db.execute("INSERT INTO meta (key, value) VALUES "
                           "('sync.clock_offset_seconds', 'not a number')")
            db.close()
            kiosk = Kiosk(config)
            kiosk.start()
            try:
                assert kiosk.sync is not None
                assert kiosk.sync.state().clock_offset_seconds is None
                enrolled = linked(tmp_path, pty, centre, "lane-2")

                kiosk.apply(enrolled)

                assert kiosk.config is enrolled and kiosk.sync is not None
                assert kiosk.sync.state().clock_offset_seconds is None
                wait_until(lambda: kiosk.supervisor.status()[0].state == "connected",
                           what="scanner")
                pty.send(CCCD_AN.encode() + b"\r\n")
                wait_until(lambda: len(centre.stored_ids("lane-2")) == 1, timeout=30,
                           what="the scan at the centre, sent by the new sync worker")
                wait_until(lambda: kiosk.sync.state().clock_offset_seconds is not None,
                           what="the centre's clock offset")
            finally:
                kiosk.stop()
        with sqlite3.connect(config.store_path) as db:
            saved = db.execute("SELECT value FROM meta "
                               "WHERE key = 'sync.clock_offset_seconds'").fetchone()[0]
        db.close()
        float(saved)  # a number again
    finally:
        centre.stop()


def test_a_maintenance_pass_begun_as_the_kiosk_stops_purges_nothing_more(tmp_path):
    """A stop waits a few seconds for the maintenance thread, then closes the store: a purge
    still running then (a long backlog acknowledged after a week offline) failed under the
    closed store as "a software fault", with its trace. The purge is handed the kiosk's
    stop, and ends between steps: here, set before the pass, it removes nothing; without a
    stop the same store is purged."""
    ids = fill_backlog(tmp_path / "kiosk.db", 40, kiosk_id="kiosk-t", checkpoint_id="CP-T",
                       start=time.time() - 60 * 86400)
    with closing(Store(tmp_path / "kiosk.db")) as store:
        store.mark_synced(ids, {})
    stopping = Kiosk(make_config(tmp_path))
    try:
        stopping._stopping.set()  # what stop() sets first
        stopping.maintain()
        assert stopping.store.sync_counts()["acknowledged"] == 40
    finally:
        stopping.stop()
    running = Kiosk(make_config(tmp_path))
    try:
        running.maintain()
        assert running.store.sync_counts()["acknowledged"] == 0
    finally:
        running.stop()
