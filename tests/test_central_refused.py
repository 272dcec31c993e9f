"""A revoked kiosk's token still in use: counted for the administrator, written seldom.

Every request with a revoked token was an UPDATE of the kiosk's row and a commit (with its
fsync) before any per-kiosk limit: 16 threads knocking made 1,302 commits in 2.8 s and
doubled a live kiosk's batch time (review 43 F2). Now a kiosk's first attempt after a quiet
interval is written at once, the others added up in memory and written once an interval.
The app served by uvicorn on 127.0.0.1 with a short interval (serve's is a minute); a
trigger in the real database counts the writes to ``refused_attempts``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_support import ENGINES, database_url, serving
from devices_support import wait_until

from kiosk.central import reports
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.refused import RefusedAttempts
from kiosk.sync import protocol

TOKEN = "revoked-token-" + "x" * 30


def revoked_kiosk_counting_writes(storage: Any) -> None:
    """Kiosk ``k-rev`` holding TOKEN, revoked; each write of its refused attempts adds a row
    to ``refused_writes`` (a trigger)."""
    storage.add_checkpoint("CP-R", "Chốt R")
    storage.add_kiosk("k-rev", "CP-R", "Máy R", protocol.token_hash(TOKEN))
    storage.revoke_kiosk("k-rev")
    with storage._transaction() as tx:
        storage._execute(tx, "CREATE TABLE refused_writes (n INTEGER)")
        if storage.postgresql:
            storage._execute(tx, "CREATE FUNCTION count_write() RETURNS trigger AS $$ BEGIN "
                                 "INSERT INTO refused_writes VALUES (1); RETURN NULL; "
                                 "END $$ LANGUAGE plpgsql")
            storage._execute(tx, "CREATE TRIGGER count_write AFTER UPDATE OF refused_attempts "
                                 "ON kiosks FOR EACH ROW EXECUTE FUNCTION count_write()")
        else:
            storage._execute(tx, "CREATE TRIGGER count_write AFTER UPDATE OF refused_attempts "
                                 "ON kiosks BEGIN INSERT INTO refused_writes VALUES (1); END")


def writes(storage: Any) -> int:
    return storage._query("SELECT count(*) FROM refused_writes")[0][0]


def seen(storage: Any) -> int:
    """The count the administrator sees (the daily report's, from the database)."""
    wrong = reports.daily(storage, storage.today())["scanning_wrongly"]
    return sum(r["params"]["refused_attempts"] for r in wrong
               if r["problem"] == "revoked_still_trying")


def knock(url: str, seconds: float = 0, times: int = 0, threads: int = 8) -> int:
    """POST empty batches with TOKEN from ``threads`` threads, for ``seconds`` or ``times``
    requests each; how many were answered (all 401)."""
    answered, lock = [], threading.Lock()

    def one() -> None:
        deadline, done = time.monotonic() + seconds, 0
        with httpx.Client(timeout=30) as client:
            while (done < times) if times else (time.monotonic() < deadline):
                answer = client.post(url + protocol.BATCHES_PATH, content=b"{}", headers={
                    "Content-Type": "application/json", **protocol.bearer(TOKEN)})
                done += 1
                with lock:
                    answered.append(answer.status_code)

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert set(answered) == {401}
    return len(answered)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_revoked_tokens_flood_is_written_once_an_interval_and_counted_in_full_after_it(
        engine: str, tmp_path: Path) -> None:
    """The first attempt is in the database at once; during a flood one write an interval;
    an interval after the flood the count and the time of the last attempt are whole."""
    interval = 1.0
    with open_storage(database_url(engine, tmp_path)) as storage:
        revoked_kiosk_counting_writes(storage)
        app = create_app(storage, refused=RefusedAttempts(storage, interval=interval))
        with serving(app) as url:
            started = time.monotonic()
            assert knock(url, times=1, threads=1) == 1
            assert (writes(storage), seen(storage)) == (1, 1)  # the administrator sees it now
            flood_from = dt.datetime.now(dt.UTC)
            sent = 1 + knock(url, seconds=2.5)
            flood_over = time.monotonic()
            assert sent > 50
            wait_until(lambda: seen(storage) == sent, timeout=interval + 2,
                       what=f"{sent} attempts counted", found=lambda: str(seen(storage)))
            counted = time.monotonic()
            assert counted - flood_over <= interval + 1
            assert writes(storage) <= 2 + (counted - started) / interval  # not one a request
            last = protocol.parse_time(storage.kiosk("k-rev").last_refused_at)
            assert last >= flood_from + dt.timedelta(seconds=2)  # its last, not its first


@pytest.mark.parametrize("engine", ENGINES)
def test_attempts_not_yet_written_are_written_when_the_server_stops(
        engine: str, tmp_path: Path) -> None:
    with open_storage(database_url(engine, tmp_path)) as storage:
        revoked_kiosk_counting_writes(storage)
        app = create_app(storage, refused=RefusedAttempts(storage, interval=3600))
        with serving(app) as url:
            sent = knock(url, times=25, threads=4)
            assert (writes(storage), seen(storage)) == (1, 1)
        assert (writes(storage), seen(storage)) == (2, sent)
