"""The sync worker of a kiosk whose store path could not be looked at for a while (its folder
replaced by a link loop; a network disk's hiccup does the same) and then came back, the same
file with the same log. Meanwhile the store took no writes, so the worker's last pass ended
in a pause, the alert saying so and that it is not for good; once the kiosk records again,
uploads go on by themselves, without a restart, and what it records reaches the centre. A
path found naming another file when it comes back keeps uploads stopped, saying to restart.
Real parts: a kiosk with its store, a stand-in centre on 127.0.0.1, the folder swapped as
the kiosk's own tests of an unreachable store do."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk import config as config_mod
from kiosk.app import Kiosk
from kiosk.scan import Scan
from tests.devices_support import wait_until
from tests.store_support import loop_in_place_of, swap
from tests.sync_support import TakingEveryBatch, english, serving, syncing, write_config


@contextmanager
def kiosk_linked(tmp_path: Path) -> Iterator[tuple[Kiosk, type[TakingEveryBatch], Path]]:
    """A running kiosk whose store is ``data/kiosk.db`` (a folder that can be swapped),
    syncing every second to a stand-in centre: the kiosk, the centre, the config file."""
    (tmp_path / "data").mkdir()
    centre = TakingEveryBatch.anew()
    with serving(centre) as url:
        path = write_config(tmp_path / "config.toml", kiosk_id="k-back", server_url=url,
                            token="t", enabled=True, interval_seconds=1,
                            max_backoff_seconds=1)
        path.write_text(path.read_text().replace('path = "kiosk.db"', 'path = "data/kiosk.db"'))
        kiosk = Kiosk(config_mod.load(path))
        with syncing(kiosk):
            yield kiosk, centre, path


def person(i: int) -> Scan:
    return Scan(payload=f"{i:012d}||Nguyễn Văn An|01021990|Nam|Huế|10102021".encode(),
                lane="in")


def sync_status(config: Path) -> dict[str, object]:
    """``kiosk sync status --offline --json`` in another process, as an operator runs it."""
    return json.loads(subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "sync", "status", "--offline", "--json",
         "--config", str(config)], capture_output=True, text=True, timeout=60, check=True,
        stdin=subprocess.DEVNULL).stdout)


def test_uploads_go_on_by_themselves_once_the_store_path_is_back(tmp_path, caplog):
    """The folder is a link loop for a while: the worker's last pass finds nothing pending
    and pauses, saying so (not "restart": the path may come back), and sends nothing more
    meanwhile. The folder back, the kiosk records three scans: they reach the centre and are
    acknowledged, the alert is gone, and the status is saved again for ``kiosk sync status``
    in another process. The log says the pause and the return, each once, no traceback."""
    with kiosk_linked(tmp_path) as (kiosk, centre, config):
        worker = kiosk.sync
        assert worker is not None
        first = kiosk.pipeline.submit(person(0))
        wait_until(lambda: worker.state().pending == 0 and centre.batches == [[first.entry_id]],
                   what="the first scan at the centre")
        store_path = kiosk.config.store_path
        kept = loop_in_place_of(store_path.parent)

        wait_until(lambda: worker.state().alert is not None, what="uploads paused")
        alert = worker.state().alert
        assert alert("en") == (
            "Uploads paused after one last pass: the store takes no writes "
            f"({store_path}: cannot be looked at (the links on the path loop back on "
            "themselves), so whether it is still the store file the kiosk opened is unknown "
            "(its folder replaced, or a failing disk); no scan is recorded until it can be "
            "looked at again and is that same file, or the kiosk is restarted), so the "
            "centre's answers cannot be kept and the same entries would be sent again and "
            "again; uploads go on by themselves once the store takes writes again")
        assert alert("vi").startswith("Tạm ngừng gửi lên trung tâm sau một lượt gửi cuối")
        assert not kiosk.pipeline.submit(person(1)).recorded
        time.sleep(2)  # two cycles of the timer: looked at, nothing sent
        assert len(centre.batches) == 1

        swap(kept, store_path.parent)  # the folder back, in one step
        back = time.time()
        later = [kiosk.pipeline.submit(person(i)) for i in (2, 3, 4)]
        assert all(result.recorded for result in later)

        wait_until(lambda: worker.state().pending == 0, timeout=60,
                   what="the scans recorded since the return sent and acknowledged")
        # each once, in whatever order: a timer cycle between two of the scans puts two
        # batches on the wire at once, and either may reach the centre first
        assert sorted(entry for sent in centre.batches[1:] for entry in sent) == \
            sorted(result.entry_id for result in later)
        assert worker.state().alert is None
        status = sync_status(config)
        assert (status["pending"], status["alert"]) == (0, None)
        assert dt.datetime.fromisoformat(str(status["last_success"])).timestamp() >= back
    said = [english(r.getMessage()).split(" (")[0] for r in caplog.records
            if r.name.startswith("kiosk.sync") and r.levelno >= logging.WARNING]
    assert said == ["sync: uploads stopped, the store refuses writes",
                    "sync: the store takes writes again, uploads go on"]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def test_what_the_last_pass_sent_is_acknowledged_once_the_store_path_is_back(tmp_path):
    """Two scans wait, the centre down, when the folder becomes a link loop. The centre back,
    the last pass sends them, but its answer cannot be kept: they stay pending, uploads
    paused. The folder back, they are sent again, answered duplicate, and acknowledged:
    nothing waits for a restart of the kiosk."""
    with kiosk_linked(tmp_path) as (kiosk, centre, _config):
        worker = kiosk.sync
        assert worker is not None
        centre.down = True
        waiting = [kiosk.pipeline.submit(person(i)).entry_id for i in (0, 1)]
        wait_until(lambda: worker.state().last_error is not None, what="a batch refused")
        kept = loop_in_place_of(kiosk.config.store_path.parent)
        centre.down = False

        wait_until(lambda: worker.state().alert is not None, what="the last pass, paused")
        assert worker.state().alert.code == "sync.store_paused"
        assert [entry for sent in centre.batches for entry in sent] == waiting
        assert kiosk.store.outbox_summary().pending == 2  # its answer not kept

        swap(kept, kiosk.config.store_path.parent)

        wait_until(lambda: kiosk.store.outbox_summary().pending == 0, timeout=60,
                   what="the two sent again and acknowledged")
        assert [entry for sent in centre.batches for entry in sent] == waiting * 2
        assert worker.state().alert is None


def test_a_path_back_naming_another_file_keeps_uploads_stopped_and_says_restart(tmp_path):
    """While the folder is a link loop, a copy of the store is moved over the file in it:
    when the folder comes back, its path names another file. The store refuses for good,
    and so do uploads: the alert now says the file was replaced and that uploads go on once
    the kiosk restarts, and no more batches go out, scans recorded or not."""
    with kiosk_linked(tmp_path) as (kiosk, centre, _config):
        worker = kiosk.sync
        assert worker is not None
        kiosk.pipeline.submit(person(0))
        wait_until(lambda: worker.state().pending == 0 and len(centre.batches) == 1,
                   what="the first scan at the centre")
        store_path = kiosk.config.store_path
        kept = loop_in_place_of(store_path.parent)
        wait_until(lambda: worker.state().alert is not None, what="uploads paused")
        assert worker.state().alert.code == "sync.store_paused"
        shutil.copyfile(kept / "kiosk.db", kept / "copy.db")  # the folder, under its kept
        os.replace(kept / "copy.db", kept / "kiosk.db")         # name: a backup moved over

        swap(kept, store_path.parent)

        wait_until(lambda: worker.state().alert.code == "sync.store_refused",
                   what="uploads stopped for good")
        assert worker.state().alert("en").endswith("uploads go on once the kiosk restarts")
        assert not kiosk.pipeline.submit(person(1)).recorded
        time.sleep(2)  # two cycles of the timer
        assert len(centre.batches) == 1
