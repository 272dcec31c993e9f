"""Odd answers from a centre (or a proxy in front of it) that the kiosk must not believe
blindly: a Retry-After that asks for no wait, a clock offset no clock can have, an answer
that never ends or only trickles in. Each is served by a real HTTP stand-in on 127.0.0.1
to a real worker over a real store."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest

from kiosk import config as config_mod
from kiosk.store import Store
from kiosk.sync import protocol
from kiosk.sync.status import MetaKey
from kiosk.sync.worker import SyncWorker
from tests.sync_support import (
    TakingEveryBatch,
    fill_backlog,
    serving,
    sync_states,
    wait_until,
    write_config,
)

KIOSK = "k-odd"


def load(tmp_path: Path, url: str, **sync: object) -> config_mod.Config:
    return config_mod.load(write_config(tmp_path / "config.toml", kiosk_id=KIOSK,
                                        server_url=url, token="t", **sync))


class BusyNoWait(TakingEveryBatch):
    """Answers every batch 503 with a ``Retry-After`` (``header``) that asks for no wait;
    ``posts`` holds when each came (``time.monotonic()``)."""

    header = "0"
    posts: list[float]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.posts.append(time.monotonic())
        data = b'{"error": "busy"}'
        self.send_response(503)
        self.send_header("Retry-After", self.header)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in pairwise(times)]


@pytest.mark.parametrize("header", ["0", "Wed, 01 May 2024 07:00:00 GMT"])
def test_a_retry_after_of_no_wait_is_backed_off_like_any_failure(tmp_path, header):
    """``Retry-After: 0`` or a date already past, on a 503: the background worker once sent
    ~300 batches a second to a centre saying it is overloaded. Now it waits as after any
    failure, base · 2^(n-1) randomised to 50–100 %: each gap at least half of that."""
    centre = type("Centre", (BusyNoWait,), {"posts": [], "header": header})
    base = 0.2
    with serving(centre) as url:
        config = load(tmp_path, url, enabled=True, interval_seconds=3600)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config, base_backoff_seconds=base)
        worker.start()
        try:
            wait_until(lambda: len(centre.posts) >= 4)
        finally:
            worker.stop()
    assert all(gap >= base * 2 ** n / 2 for n, gap in enumerate(gaps(centre.posts[:4])))
    assert sync_states(config.store_path) == {"pending": 1}


def test_a_push_told_no_wait_still_waits_between_its_attempts(tmp_path):
    """``kiosk sync push`` retries a busy centre a few times: with ``Retry-After: 0`` those
    attempts came back to back; now they are spread as its backoff says."""
    centre = type("Centre", (BusyNoWait,), {"posts": []})
    base = 0.05
    with serving(centre) as url:
        config = load(tmp_path, url)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config, base_backoff_seconds=base)
        try:
            summary = worker.push_now()
        finally:
            worker.stop()
    assert summary.error("en").startswith("HTTP 503") and summary.remaining == 1
    assert len(centre.posts) >= 2
    assert all(gap >= base * 2 ** n / 2 for n, gap in enumerate(gaps(centre.posts)))


class OddOffset(TakingEveryBatch):
    """Takes every batch, answering ``offset`` as its ``clock_offset_seconds``, written into
    the JSON text as is (``NaN``, ``1e999`` and ``10**400`` are what Python's json reads)."""

    offset = "NaN"

    def do_POST(self) -> None:
        batch = protocol.decode_body(self.rfile.read(int(self.headers["Content-Length"])),
                                     self.headers.get("Content-Encoding"))
        results = json.dumps([{"id": e["id"], "status": "accepted"} for e in batch["entries"]])
        data = f'{{"results": {results}, "clock_offset_seconds": {self.offset}}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def status(config: config_mod.Config, *args: str) -> str:
    """``kiosk sync status`` (offline) as a technician runs it; its output."""
    path = config.store_path.parent / "config.toml"  # beside it (write_config)
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "status", "--offline",
                           *args, "--config", str(path)], capture_output=True, text=True,
                          timeout=120, check=True).stdout


def strict_json(text: str) -> dict:
    """JSON as jq or JSON.parse read it: ``NaN`` and ``Infinity`` are none."""
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is no JSON")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("offset", ["1" + "0" * 400, "NaN", "1e999", "-Infinity",
                                    str(400 * 86400 + 1)])
def test_an_offset_no_clock_can_have_is_ignored_and_the_entries_acknowledged(tmp_path, offset):
    """The results of such an answer were checked against the entries sent: they are
    acknowledged. The offset is not believed: ``10**400`` raised OverflowError in the send
    thread (the push a traceback, the entries pending for good although stored), ``NaN`` or
    ``1e999`` was saved and ``kiosk sync status --json`` printed ``NaN``, which is no JSON.
    Over 400 days is more than a centre lets a batch's clock be off."""
    centre = type("Centre", (OddOffset,), {"offset": offset})
    with serving(centre) as url:
        config = load(tmp_path, url)
        fill_backlog(config.store_path, 3, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config)
        try:
            summary = worker.push_now()
        finally:
            worker.stop()
    assert summary.error is None and summary.accepted == 3
    assert sync_states(config.store_path) == {"acknowledged": 3}
    assert strict_json(status(config, "--json"))["clock_offset_seconds"] is None
    assert "Kiosk clock offset" not in status(config)


def test_a_background_upload_acknowledges_an_answer_with_a_huge_offset(tmp_path):
    """The background worker met the OverflowError too: it logged "sync worker cycle failed"
    over and over, the status said no error, and the entries never left."""
    centre = type("Centre", (OddOffset,), {"offset": "1" + "0" * 400})
    with serving(centre) as url:
        config = load(tmp_path, url, enabled=True, interval_seconds=3600)
        fill_backlog(config.store_path, 3, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config)
        worker.start()
        try:
            wait_until(lambda: sync_states(config.store_path) == {"acknowledged": 3})
            assert worker.state().last_error is None
        finally:
            worker.stop()


def test_a_sane_offset_is_still_saved_and_shown(tmp_path):
    centre = type("Centre", (OddOffset,), {"offset": "-12.5"})
    with serving(centre) as url:
        config = load(tmp_path, url)
        fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
        worker = SyncWorker.from_config(config)
        try:
            worker.push_now()
        finally:
            worker.stop()
    assert strict_json(status(config, "--json"))["clock_offset_seconds"] == -12.5
    assert "-12.5 s" in status(config)


@pytest.mark.parametrize("saved", ["nan", "inf"])
def test_an_offset_saved_before_it_was_checked_is_shown_as_none(tmp_path, saved):
    """A kiosk updated from a version that saved ``nan`` shows no offset, not ``NaN``
    (and the worker starts with none), until the next answer saves one."""
    config = load(tmp_path, "http://127.0.0.1:9")
    fill_backlog(config.store_path, 1, kiosk_id=KIOSK)
    store = Store(config.store_path)
    try:
        store.set_meta({MetaKey.CLOCK_OFFSET: saved})
    finally:
        store.close()
    assert strict_json(status(config, "--json"))["clock_offset_seconds"] is None
    worker = SyncWorker.from_config(config)
    try:
        assert worker.state().clock_offset_seconds is None
    finally:
        worker.stop()
