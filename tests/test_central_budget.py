"""What one kiosk may make the centre store in an hour: bounded, on a real server.

A stolen token (a copied config.toml) could otherwise upload valid entries at its own point
as fast as the centre stores them — 45 MB a second with padded entries (review 43 F1) — and
fill the disk every kiosk of the province depends on. `kiosk-central serve` on 127.0.0.1
with a small `--kiosk-entries-per-hour`; real entries from a real kiosk pipeline.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import CentralServer, Enrolled, batch, cccd, central, enrol, kiosk_entries
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.central.backlog_key import FILE_NAME, load_centre_key
from kiosk.messages import text
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import backlog, protocol
from kiosk.sync.backlog_keys import encode

PER_HOUR = 30


@pytest.fixture
def server(tmp_path: Path) -> Iterator[CentralServer]:
    srv = CentralServer(f"sqlite:///{tmp_path}/central.db", "--kiosk-entries-per-hour",
                        str(PER_HOUR))
    yield srv
    stderr = srv.stop()
    assert "Traceback" not in stderr, stderr


def stored(server: CentralServer, kiosk: Enrolled) -> int:
    with sqlite3.connect(server.db.removeprefix("sqlite:///")) as db:
        return db.execute("SELECT count(*) FROM entries WHERE kiosk_id = ?",
                          (kiosk.kiosk_id,)).fetchone()[0]


def send(server: CentralServer, kiosk: Enrolled, tmp_path: Path, count: int, start: int
         ) -> httpx.Response:
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, count, checkpoint=kiosk.checkpoint_id,
                            start=start)
    return server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token)


def heartbeat(server: CentralServer, kiosk: Enrolled) -> httpx.Response:
    health = {"software_version": "1", "pending": 0, "oldest_pending_seconds": None,
              "rejected": 0, "free_disk_bytes": 1 << 30, "devices": []}
    data, used = protocol.encode_body(protocol.make_heartbeat(kiosk.kiosk_id, health), "gzip")
    return httpx.post(server.url + protocol.HEARTBEAT_PATH, content=data, timeout=60, headers={
        "Content-Type": "application/json", "Content-Encoding": used, **kiosk.auth})


def test_a_kiosk_past_an_hours_worth_waits_with_nothing_stored_while_others_are_served(
        server: CentralServer, tmp_path: Path) -> None:
    """The batch that passes the hour's worth is still stored whole (an honest kiosk's
    batches are never cut); after it, the kiosk's batches and heartbeats get 429 with the
    seconds until it is back under, worded in both languages, and nothing of them is
    stored; another kiosk is served as before."""
    hostile = enrol(server.db, f"hostile-{uuid.uuid4().hex[:6]}")
    honest = enrol(server.db, f"honest-{uuid.uuid4().hex[:6]}")
    for start in (0, 20):
        answer = send(server, hostile, tmp_path, 20, start)
        assert answer.status_code == 200
        assert {r["status"] for r in answer.json()["results"]} == {protocol.ACCEPTED}

    refused = send(server, hostile, tmp_path, 5, 40)
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "api.over_budget"
    assert body["params"] == {"kiosk": hostile.kiosk_id, "per_hour": PER_HOUR,
                              "seconds": int(refused.headers["Retry-After"])}
    # 40 held against 30 an hour: back to 30 once 10 entries' worth have drained, 120 s each
    assert 1100 < int(refused.headers["Retry-After"]) <= 1200
    assert body["error"] == text("api.over_budget", "en", **body["params"])
    assert stored(server, hostile) == 40
    assert heartbeat(server, hostile).status_code == 429

    answer = send(server, honest, tmp_path, 5, 100)
    assert answer.status_code == 200
    assert {r["status"] for r in answer.json()["results"]} == {protocol.ACCEPTED}
    assert heartbeat(server, honest).status_code == 200


def test_a_batch_counts_as_its_size_in_2_kib_when_that_is_more_than_its_entries(
        server: CentralServer, tmp_path: Path) -> None:
    """One entry padded to 63,000 characters is more than 30 entries' worth (2 KiB each):
    the kiosk's next batch, of one plain entry, waits."""
    kiosk = enrol(server.db, f"padded-{uuid.uuid4().hex[:6]}")
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 1, checkpoint=kiosk.checkpoint_id)
    entries[0]["extra"] = {"pad": "x" * 63_000}
    answer = server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token)
    assert answer.status_code == 200
    assert answer.json()["results"][0]["status"] == protocol.ACCEPTED

    assert send(server, kiosk, tmp_path, 1, 10).status_code == 429
    assert stored(server, kiosk) == 1


def test_a_push_after_the_stick_route_is_answered_and_costs_only_its_bytes(
        server: CentralServer, tmp_path: Path) -> None:
    """The documented stick route: the kiosk exports 40 entries, the centre imports them,
    and the kiosk's next push sends them again to have them acknowledged. "Already at the
    centre" stores nothing but the batch's row, so it costs the batch's bytes (one entry's
    worth a 2 KiB), not 40 entries: charged as stored, they had the kiosk wait (429) for its
    acknowledgements — 29 minutes for 274,000 after a real stick, against 200,000 an hour.
    A hostile kiosk resending them for ever is still bounded, by those bytes."""
    kiosk = enrol(server.db, f"stick-{uuid.uuid4().hex[:6]}")
    store = Store(tmp_path / "kiosk.db")
    try:
        pipeline = Pipeline(store, Policy(checkpoint_id=kiosk.checkpoint_id,
                                          kiosk_id=kiosk.kiosk_id, duplicate_policy="allow"))
        for i in range(40):
            pipeline.submit(Scan(payload=cccd(i), device_id="serial-1", lane="in",
                                 symbology="]Q1", source="serial"))
        rows = store.pending(40)
    finally:
        store.close()
    signing = Ed25519PrivateKey.generate()
    central("kiosks", "signing-key", kiosk.kiosk_id, f"--set={encode(signing.public_key())}",
            "--reason", "site without network", "--db", server.db)
    stick = tmp_path / f"{kiosk.kiosk_id}.backlog"
    centre_key = load_centre_key(Path(server.db.removeprefix("sqlite:///")).with_name(FILE_NAME))
    backlog.write_backlog(stick, rows, signing_key=signing, centre_key=centre_key.public_key(),
                          kiosk_id=kiosk.kiosk_id, checkpoint_id=kiosk.checkpoint_id)
    assert "40 accepted" in central("import", str(stick), "--db", server.db).stdout

    entries = [protocol.entry_to_wire(row) for row in rows]
    answer = server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token)
    assert answer.status_code == 200, answer.text
    assert {r["status"] for r in answer.json()["results"]} == {protocol.DUPLICATE}
    assert send(server, kiosk, tmp_path, 5, 100).status_code == 200  # its new scans go on
    assert stored(server, kiosk) == 45

    resent = 1
    while (answer := server.post(batch(kiosk.kiosk_id, entries),
                                 token=kiosk.token)).status_code == 200:
        resent += 1
    assert answer.status_code == 429
    assert resent < PER_HOUR  # each resend costs its bytes: some, never nothing
