"""The wired kiosk: a config edit applies without a restart."""

from __future__ import annotations

import sqlite3
import threading

from kiosk.app import Kiosk
from kiosk.scan import Scan, Status
from tests.conftest import CCCD_AN, make_config
from tests.devices_support import wait_until


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
