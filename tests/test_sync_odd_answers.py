"""Odd answers from a centre (or a proxy in front of it) that the kiosk must not believe
blindly: a Retry-After that asks for no wait, a clock offset no clock can have, an answer
that never ends or only trickles in. Each is served by a real HTTP stand-in on 127.0.0.1
to a real worker over a real store."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import pytest

from kiosk import config as config_mod
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
