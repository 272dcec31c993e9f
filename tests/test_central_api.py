"""The central server over real HTTP: a `kiosk-central serve` process on 127.0.0.1.

Every test runs twice, against the embedded SQLite storage and against a real PostgreSQL
server started for the session, with the same test body. Entries come from a real kiosk
pipeline and store, converted by the shared protocol module, exactly as the sync client does.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_support import (
    ENGINES,
    CentralServer,
    Enrolled,
    batch,
    central,
    database_url,
    derivation_held,
    enrol,
    kiosk_entries,
    write_lock_held,
    write_lock_held_by_another_process,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import messages
from kiosk.central.backends import open_storage
from kiosk.sync import protocol

MAX_BODY = 2_000_000
MAX_DECODED = 8_000_000


@pytest.fixture(scope="module", params=ENGINES)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[CentralServer]:
    db = database_url(request.param, tmp_path_factory.mktemp('central'))
    srv = CentralServer(db, "--max-body", str(MAX_BODY), "--max-decoded", str(MAX_DECODED),
                        "--busy-timeout", "1")
    yield srv
    stderr = srv.stop()
    assert "Traceback" not in stderr, stderr


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def kiosk(server: CentralServer) -> Enrolled:
    """A freshly enrolled kiosk (its own id, so tests sharing a server never mix)."""
    return enrol(server.db, f"kiosk-{next(_counter):03d}-{uuid.uuid4().hex[:4]}")


def stored(server: CentralServer, kiosk_id: str) -> list[dict[str, Any]]:
    with open_storage(server.db) as storage:
        return storage.entries(kiosk_id=kiosk_id)


def statuses(response: httpx.Response) -> list[str]:
    return statuses_of(response.json())


def statuses_of(answer: dict[str, Any]) -> list[str]:
    return [r["status"] for r in answer["results"]]


# -- health and contract --------------------------------------------------------------------
def test_health_reports_protocol_and_server_clock(server: CentralServer) -> None:
    """A kiosk can check reachability and its clock before uploading anything."""
    answer = httpx.get(server.url + protocol.HEALTH_PATH).json()
    assert answer["status"] == "ok"
    assert answer["protocol"] == protocol.PROTOCOL_VERSION
    server_time = protocol.parse_time(answer["time"])
    assert server_time is not None
    assert abs((dt.datetime.now(dt.UTC) - server_time).total_seconds()) < 60


def test_openapi_documents_the_batch_endpoint_from_the_protocol_module(
        server: CentralServer) -> None:
    """The body is parsed by hand, yet the OpenAPI document describes it in full."""
    spec = httpx.get(server.url + "/openapi.json").json()
    post = spec["paths"][protocol.BATCHES_PATH]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    entry = body["properties"]["entries"]["items"]
    assert set(entry["required"]) == set(protocol.ENTRY_FIELDS) - protocol.OPTIONAL_FIELDS
    assert set(entry["properties"]) == set(protocol.ENTRY_FIELDS)
    assert entry["properties"]["direction"]["enum"] == ["in", "out"]
    assert {"sent_monotonic_ns", "boot_id"} <= set(body["properties"]) - set(body["required"])
    assert {"200", "400", "401", "403", "413", "422", "503"} <= set(post["responses"])
    assert protocol.HEALTH_PATH in spec["paths"]


# -- accepted, stored faithfully, clock offset recorded ---------------------------------------
def test_batch_is_stored_exactly_as_the_kiosk_holds_it(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """Raw payload bytes, Vietnamese text, extras: what arrives is what the kiosk recorded."""
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 25, kiosk.checkpoint_id)
    response = server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token)
    assert response.status_code == 200, response.text
    assert statuses(response) == ["accepted"] * 25
    assert [r["id"] for r in response.json()["results"]] == [e["id"] for e in entries]
    rows = {row["id"]: row for row in stored(server, kiosk.kiosk_id)}
    assert len(rows) == 25
    for entry in entries:
        row = rows[entry["id"]]
        assert row["payload"] == protocol.wire_to_row(entry)["payload"]
        assert row["payload"].decode().split("|")[2] == "Nguyễn Văn An"
        assert row["name"] == entry["name"] == "Nguyễn Văn An"
        assert row["extra"] == entry["extra"]
        assert {k: row[k] for k in entry if k not in ("extra", "payload_b64")
                } == {k: v for k, v in entry.items() if k not in ("extra", "payload_b64")}
        assert row["certificate"] is None  # not an HC1 code


def test_a_certificate_verdict_travels_with_its_entry(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """The kiosk's verdict on an HC1 code is stored at the centre; sending it again is a
    duplicate, and an entry from a kiosk that predates the field is stored without one."""
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.scan import Scan
    from kiosk.store import Store
    from tests.certificate_support import make_issuer, vaccination

    store = Store(tmp_path / "hc1-kiosk.db")
    try:
        pipeline = Pipeline(store, Policy(checkpoint_id=kiosk.checkpoint_id,
                                          kiosk_id=kiosk.kiosk_id))
        code = make_issuer().sign(vaccination(), issued=time.time() - 60,
                                  expires=time.time() + 86400)
        pipeline.submit(Scan(payload=code.encode(), device_id="cam", source="camera"))
        entries = [protocol.entry_to_wire(row) for row in store.pending(1)]
    finally:
        store.close()
    old = kiosk_entries(tmp_path, kiosk.kiosk_id, 1, kiosk.checkpoint_id)
    assert "certificate" in entries[0] and "certificate" not in old[0]
    response = server.post(batch(kiosk.kiosk_id, entries + old), token=kiosk.token)
    assert statuses(response) == ["accepted", "accepted"]
    again = server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token)
    assert statuses(again) == ["duplicate"]
    rows = {row["id"]: row for row in stored(server, kiosk.kiosk_id)}
    held = rows[entries[0]["id"]]["certificate"]
    assert held == entries[0]["certificate"]
    assert held["status"] == "no_trust_list" and held["facts"]["dose"] == 2
    assert rows[old[0]["id"]]["certificate"] is None


def test_clock_offset_of_a_kiosk_with_a_wrong_clock_is_recorded_with_each_entry(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """A kiosk whose clock runs an hour behind is recognisable on every entry it sent. A
    kiosk that sends no monotonic clock with its batches (older than the ``send-clock``
    feature) has every entry corrected by the batch's offset, as before."""
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 3, kiosk.checkpoint_id)
    for entry in entries:  # dated by that clock too: after the send, filed at their arrival
        scanned = protocol.parse_time(entry["scanned_at"])
        assert scanned is not None
        entry["scanned_at"] = protocol.format_time(scanned - dt.timedelta(hours=1))
    sent_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    old_kiosk = {name: value for name, value in batch(
        kiosk.kiosk_id, entries, sent_at=protocol.format_time(sent_at)).items()
        if name not in ("sent_monotonic_ns", "boot_id")}
    response = server.post(old_kiosk, token=kiosk.token)
    answer = response.json()
    assert 3600 <= answer["clock_offset_seconds"] < 3600 + 30
    received = protocol.parse_time(answer["received_at"])
    assert received is not None
    for row in stored(server, kiosk.kiosk_id):
        assert row["clock_offset_seconds"] == answer["clock_offset_seconds"]
        assert row["received_at"] == answer["received_at"]
    listing = central("kiosks", "list", "--db", server.db).stdout
    line = next(line for line in listing.splitlines() if line.startswith(kiosk.kiosk_id + " "))
    assert re.search(r"\+36\d\d\.\d s !", line), line


def test_a_scan_made_before_the_kiosk_clock_jumped_a_year_ahead_is_not_filed_a_year_back(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """Two scans a millisecond apart on one boot, with a right clock. The first is uploaded
    at once (offset about 0). Then someone sets the kiosk's clock a year ahead, for example
    by typing the wrong year, and the second scan is uploaded with that ``sent_at``.
    The centre already knows this boot's clock was right: it holds a scan of the same boot
    that arrived with offset 0, and the wall and monotonic clocks of the two scans agree.
    Correcting the second scan by the new batch's offset (−365 days) files a scan made
    today under a day a year ago, so it is missing from today's report and from traces.
    The scan may be accepted and filed today, or refused and kept on the kiosk until its
    clock is set. It must never be counted a year back."""
    from kiosk.central import reports
    first, second = kiosk_entries(tmp_path, kiosk.kiosk_id, 2, kiosk.checkpoint_id)
    assert first["boot_id"] == second["boot_id"]
    with open_storage(server.db) as storage:  # the module's other tests scanned today too
        today = storage.calendar.day_of(dt.datetime.now(dt.UTC))
        counted_before = reports.daily(storage, today)["summary"]["scans"]
    assert server.post(batch(kiosk.kiosk_id, [first]), token=kiosk.token).json()[
        "results"] == [{"id": first["id"], "status": "accepted"}]
    a_year_ahead = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    response = server.post(batch(kiosk.kiosk_id, [second],
                                 sent_at=protocol.format_time(a_year_ahead)), token=kiosk.token)
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["status"] in ("accepted", "rejected")
    with open_storage(server.db) as storage:
        filed = {e["id"]: e["local_day"] for e in storage.entries(kiosk_id=kiosk.kiosk_id)}
        scan_day = dt.date.fromisoformat(filed[first["id"]])
        a_year_back = reports.daily(storage, scan_day - dt.timedelta(days=365))
        on_the_day = reports.daily(storage, scan_day)
    assert a_year_back["summary"]["scans"] == 0
    if result["status"] == "accepted":
        assert filed[second["id"]] == scan_day.isoformat()
        assert scan_day == today
        assert on_the_day["summary"]["scans"] == counted_before + 2


def test_scans_a_kiosk_recorded_at_1970_and_sent_in_the_same_boot_are_filed_when_made(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """A kiosk without a clock battery starts at 1970 and scans before the network sets its
    clock; the scans go once it is set, in the same boot. Their ``scanned_at`` and ids say
    1970, their monotonic times say a moment ago: the centre files them today, by their
    age, where a trace of the last days finds them. The batch log keeps their offset, so
    tracing widens its reads that far (on PostgreSQL their ids lie in the default
    partition, 56 years from the time they are filed at)."""
    from kiosk.central.schema import LARGEST_CLOCK_OFFSET
    from kiosk.central.trace_queries import StorageSource
    from kiosk.ids import id_prefix

    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 2, kiosk.checkpoint_id, start=300)
    for n, entry in enumerate(entries):  # as that kiosk wrote them: id and scanned_at by its
        at = dt.datetime(1970, 1, 1, 0, 0, 40 + n, tzinfo=dt.UTC)  # clock, 40 s after boot
        entry["scanned_at"], entry["id"] = protocol.format_time(at), id_prefix(at) + entry[
            "id"][13:]
    answer = server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token).json()
    assert statuses_of(answer) == ["accepted"] * 2
    assert abs(answer["clock_offset_seconds"]) < 60  # the clock is right by now
    now = dt.datetime.now(dt.UTC)
    with open_storage(server.db) as storage:
        rows = {row["id"]: row for row in storage.entries(kiosk_id=kiosk.kiosk_id)}
        today = storage.calendar.day_of(now).isoformat()
        largest = storage._query(LARGEST_CLOCK_OFFSET)[0][0]
        found = StorageSource(storage).person_rows(
            [entries[0]["subject_key"]], now - dt.timedelta(days=14), now)
    for entry in entries:
        row = rows[entry["id"]]
        filed = (protocol.parse_time(row["scanned_at"])
                 + dt.timedelta(seconds=row["clock_offset_seconds"]))
        assert abs((filed - now).total_seconds()) < 60, filed
        assert row["local_day"] == today
    assert largest >= max(abs(r["clock_offset_seconds"]) for r in rows.values())
    assert entries[0]["id"] in {row[0] for row in found}


def test_entries_of_another_boot_in_the_same_batch_keep_the_batch_offset(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """A batch sent with the clock a year ahead holds a scan of this boot, made before the
    clock jumped, and one of an earlier boot made with the clock already a year ahead.
    Monotonic times say nothing across boots: the earlier boot's scan is corrected by the
    batch's offset, as every scan was before; this boot's is timed by its age. Both are
    filed today."""
    this_boot, earlier = kiosk_entries(tmp_path, kiosk.kiosk_id, 2, kiosk.checkpoint_id,
                                       start=400)
    ahead = dt.timedelta(days=365)
    earlier["boot_id"] = "an-earlier-boot"
    earlier["scanned_at"] = protocol.format_time(protocol.parse_time(earlier["scanned_at"])
                                                 + ahead)
    sent = protocol.format_time(dt.datetime.now(dt.UTC) + ahead)
    answer = server.post(batch(kiosk.kiosk_id, [this_boot, earlier], sent_at=sent),
                         token=kiosk.token).json()
    assert statuses_of(answer) == ["accepted"] * 2
    rows = {row["id"]: row for row in stored(server, kiosk.kiosk_id)}
    assert rows[earlier["id"]]["clock_offset_seconds"] == answer["clock_offset_seconds"]
    assert answer["clock_offset_seconds"] < -364 * 86400
    assert abs(rows[this_boot["id"]]["clock_offset_seconds"]) < 60
    assert rows[this_boot["id"]]["local_day"] == rows[earlier["id"]]["local_day"]


def test_a_monotonic_time_after_the_send_or_an_age_past_the_window_files_nothing_anywhere(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """A lying (or broken) kiosk's monotonic clock buys nothing the batch's own clock would
    not: an entry whose ``monotonic_ns`` is after the send's (an age below zero, which no
    monotonic clock gives within a boot) is corrected by the batch's offset as an older
    kiosk's is, never filed in the future; an age over 400 days is refused like a
    ``scanned_at`` that old; and one of the pair without the other refuses the batch."""
    later, aged = kiosk_entries(tmp_path, kiosk.kiosk_id, 2, kiosk.checkpoint_id, start=500)
    body = batch(kiosk.kiosk_id, [later, aged])
    body["sent_monotonic_ns"] = 401 * 86400 * 10**9
    aged["monotonic_ns"] = 0  # "scanned 401 days ago"
    later["monotonic_ns"] = body["sent_monotonic_ns"] + 3 * 86400 * 10**9  # "3 days ahead"
    answer = server.post(body, token=kiosk.token).json()
    assert statuses_of(answer) == ["accepted", "rejected"]
    assert answer["results"][1]["code"] == "too_old"
    assert answer["results"][1]["params"]["field"] == "monotonic_ns"
    [row] = stored(server, kiosk.kiosk_id)
    assert row["clock_offset_seconds"] == answer["clock_offset_seconds"]
    assert row["scanned_at"] == later["scanned_at"]

    for missing in ("sent_monotonic_ns", "boot_id"):
        half = batch(kiosk.kiosk_id, [aged])
        del half[missing]
        response = server.post(half, token=kiosk.token)
        assert response.status_code == 422
        assert response.json()["error"] == f"{missing}: missing field"


def test_scans_filed_by_their_age_and_resent_after_a_lost_acknowledgement_are_duplicates(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """A kiosk with a flat clock battery scans at 1970, its clock is set, and the batch is
    filed today by the scans' age. The acknowledgement is lost (the power goes), so the
    kiosk sends the same scans again: after the reboot (its clock again at 1970, then set:
    a new boot, whose monotonic clock says nothing of the scans' age), or without its
    monotonic clock at all (a centre that stopped listing ``send-clock`` in between, a
    kiosk release rolled back). The centre holds those scans, unchanged: each resend is
    answered ``duplicate`` (docs/protocol.md: resending is always safe), never ``rejected``
    as more than 400 days old — the kiosk would set aside, as refused, scans the centre
    counts."""
    from kiosk.ids import id_prefix

    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 2, kiosk.checkpoint_id, start=600)
    for n, entry in enumerate(entries):
        at = dt.datetime(1970, 1, 1, 0, 0, 40 + n, tzinfo=dt.UTC)
        entry["scanned_at"], entry["id"] = protocol.format_time(at), id_prefix(at) + entry[
            "id"][13:]
    assert statuses_of(server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token).json()
                       ) == ["accepted"] * 2
    held = {row["id"]: row for row in stored(server, kiosk.kiosk_id)}

    after_reboot = batch(kiosk.kiosk_id, entries, boot_id="the-boot-after-the-power-cut",
                         sent_monotonic_ns=95 * 10**9)
    without_clock = {name: value for name, value in batch(kiosk.kiosk_id, entries).items()
                     if name not in ("sent_monotonic_ns", "boot_id")}
    for resend in (after_reboot, without_clock):
        answer = server.post(resend, token=kiosk.token).json()
        assert answer["results"] == [{"id": e["id"], "status": "duplicate"} for e in entries]
    assert {row["id"]: row for row in stored(server, kiosk.kiosk_id)} == held

    changed = {**entries[0], "lane": "another lane"}  # the same id, other content
    answer = server.post(batch(kiosk.kiosk_id, [changed], boot_id="the-boot-after"),
                         token=kiosk.token).json()
    assert [(r["status"], r["code"]) for r in answer["results"]] == [
        ("rejected", "too_old")]  # refused for its time, as before


@pytest.mark.parametrize("encoding", ["zstd", "gzip", "identity"])
def test_every_supported_content_encoding_is_accepted(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path, encoding: str) -> None:
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 4, kiosk.checkpoint_id)
    response = server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token, encoding=encoding)
    assert response.status_code == 200, response.text
    assert statuses(response) == ["accepted"] * 4


def test_large_answers_are_gzipped_for_clients_that_accept_it(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 200, kiosk.checkpoint_id)
    response = server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token,
                           headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert statuses(response) == ["accepted"] * 200


# -- idempotency ------------------------------------------------------------------------------
def test_the_same_batch_twice_is_all_duplicate_and_stores_nothing_new(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """A lost answer makes the kiosk resend; the resend must change nothing."""
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 10, kiosk.checkpoint_id)
    body = batch(kiosk.kiosk_id, entries)
    first = server.post(body, token=kiosk.token)
    before = stored(server, kiosk.kiosk_id)
    second = server.post(body, token=kiosk.token)
    assert statuses(first) == ["accepted"] * 10
    assert statuses(second) == ["duplicate"] * 10
    assert stored(server, kiosk.kiosk_id) == before
    listing = json.loads(central("kiosks", "list", "--db", server.db, "--json").stdout)
    assert next(k for k in listing if k["id"] == kiosk.kiosk_id)["entries"] == 10


def test_overlapping_batches_store_each_entry_once(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 12, kiosk.checkpoint_id)
    first = server.post(batch(kiosk.kiosk_id, entries[:8]), token=kiosk.token)
    second = server.post(batch(kiosk.kiosk_id, entries[4:]), token=kiosk.token)
    assert statuses(first) == ["accepted"] * 8
    assert statuses(second) == ["duplicate"] * 4 + ["accepted"] * 4
    assert sorted(r["id"] for r in stored(server, kiosk.kiosk_id)) == sorted(
        e["id"] for e in entries)


def test_concurrent_overlapping_uploads_accept_each_entry_exactly_once(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """Two connections racing with the same entries: one answer says accepted, the other
    duplicate, for every entry — never both accepted, never lost."""
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 300, kiosk.checkpoint_id)
    answers: list[httpx.Response] = []

    def upload(part: list[dict[str, Any]]) -> None:
        answers.append(server.post(batch(kiosk.kiosk_id, part), token=kiosk.token))

    threads = [threading.Thread(target=upload, args=(entries,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200] * 4
    for index in range(len(entries)):
        outcome = sorted(a.json()["results"][index]["status"] for a in answers)
        assert outcome == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert len(stored(server, kiosk.kiosk_id)) == 300


def test_the_same_id_twice_in_one_batch_is_stored_once(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 2, kiosk.checkpoint_id)
    response = server.post(batch(kiosk.kiosk_id, [entries[0], entries[1], entries[0]]),
                           token=kiosk.token)
    assert statuses(response) == ["accepted", "accepted", "duplicate"]
    assert len(stored(server, kiosk.kiosk_id)) == 2


# -- per-entry rejection ----------------------------------------------------------------------
def test_a_bad_entry_is_rejected_alone_with_a_reason_and_not_stored(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """One broken record never blocks the rest of a backlog, and gets the same answer again."""
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 3, kiosk.checkpoint_id)
    entries[1] = {**entries[1], "direction": "sideways"}
    body = batch(kiosk.kiosk_id, entries)
    first = server.post(body, token=kiosk.token).json()["results"]
    assert [r["status"] for r in first] == ["accepted", "rejected", "accepted"]
    assert first[1]["reason"] == 'direction: expected "in" or "out", got "sideways"'
    assert entries[1]["id"] not in {r["id"] for r in stored(server, kiosk.kiosk_id)}
    again = server.post(body, token=kiosk.token).json()["results"]
    assert again[1] == first[1]
    assert [r["status"] for r in again] == ["duplicate", "rejected", "duplicate"]


def test_an_id_already_stored_with_different_content_is_rejected_not_merged(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 1, kiosk.checkpoint_id)
    server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token)
    tampered = {**entries[0], "name": "Someone Else"}
    result = server.post(batch(kiosk.kiosk_id, [tampered]), token=kiosk.token).json()
    assert result["results"][0] == {"id": tampered["id"], "status": "rejected",
                                    "reason": "id: already stored with different content",
                                    "code": "id_conflict", "params": {"field": "id"}}
    assert stored(server, kiosk.kiosk_id)[0]["name"] == "Nguyễn Văn An"


def test_another_kiosks_token_filing_an_entrys_id_first_does_not_keep_the_entry_out(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """Kiosk B's pending entry ids can be known (a ``.refused`` answer lists them); whoever
    holds kiosk A's token files one of them first, as A's entry. B's own entry is still
    stored, under an id of its own of the same time, answered by the id B sent: accepted,
    then duplicate when B sends it again (its answer lost), never rejected for good. The
    other stays A's; and one filed under A after B's is stored, leaving B's as it was."""
    other = enrol(server.db, f"{kiosk.kiosk_id}-b", "CP-B")
    genuine = kiosk_entries(tmp_path, other.kiosk_id, 3, other.checkpoint_id)

    def as_a(entry: dict[str, Any]) -> dict[str, Any]:
        return {**entry, "kiosk_id": kiosk.kiosk_id, "checkpoint_id": kiosk.checkpoint_id,
                "name": "Thief Name"}

    squat = server.post(batch(kiosk.kiosk_id, [as_a(genuine[0])]), token=kiosk.token)
    assert statuses(squat) == ["accepted"]

    sent = server.post(batch(other.kiosk_id, genuine), token=other.token).json()
    again = server.post(batch(other.kiosk_id, genuine), token=other.token).json()
    assert [(r["id"], r["status"]) for r in sent["results"]] == [
        (e["id"], "accepted") for e in genuine]
    assert [(r["id"], r["status"]) for r in again["results"]] == [
        (e["id"], "duplicate") for e in genuine]
    protocol.validate_response(again, [e["id"] for e in genuine])  # the kiosk's own check
    theirs = stored(server, other.kiosk_id)
    assert sorted(e["name"] for e in theirs) == ["Nguyễn Văn An"] * 3
    own = next(e["id"] for e in theirs if e["id"] not in {g["id"] for g in genuine})
    assert own[:14] == genuine[0]["id"][:14] and uuid.UUID(own).version == 7
    assert [(e["id"], e["name"]) for e in stored(server, kiosk.kiosk_id)] == [
        (genuine[0]["id"], "Thief Name")]

    late = server.post(batch(kiosk.kiosk_id, [as_a(genuine[1])]), token=kiosk.token)
    assert statuses(late) == ["accepted"]
    assert stored(server, other.kiosk_id) == theirs


def test_an_entry_an_older_centre_stored_with_a_key_over_todays_bound_is_a_duplicate_when_resent(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """A centre older than the key bound (protocol.MAX_KEY_CHARS) stored entries with a
    longer match or subject key; their acknowledgement was lost, so the kiosk sends them
    again after the upgrade. They are held, unchanged: duplicate, acknowledged — refused,
    they would sit in the kiosk's refused list although the centre holds them. A key over
    the bound is still refused on an entry not held, and on one held with other content."""
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 4, kiosk.checkpoint_id)
    too_long = protocol.MAX_KEY_CHARS + 1
    long_match = "m:123456|" + "Ữ" * too_long + "|1990"
    long_subject = "doc:" + "9" * too_long
    server.post(batch(kiosk.kiosk_id, entries[:3]), token=kiosk.token)
    with open_storage(server.db) as storage, storage._transaction() as tx:  # the older centre
        for key, value, entry in (("match_key", long_match, entries[0]),
                                  ("subject_key", long_subject, entries[1]),
                                  ("match_key", long_match, entries[2])):
            storage._execute(tx, f"UPDATE entries SET {key} = $1 WHERE id = $2",
                             (value, entry["id"]))
            entry[key] = value
    entries[3]["match_key"] = long_match
    changed = {**entries[2], "name": "Someone Else"}
    results = server.post(batch(kiosk.kiosk_id, [entries[0], entries[1], changed, entries[3]]),
                          token=kiosk.token).json()["results"]
    assert [r["status"] for r in results] == ["duplicate", "duplicate", "rejected", "rejected"]
    limit = f"longer than {protocol.MAX_KEY_CHARS} characters"
    assert results[2]["reason"] == results[3]["reason"] == f"match_key: {limit}"
    held = {e["id"]: e for e in stored(server, kiosk.kiosk_id)}
    assert sorted(held) == sorted(e["id"] for e in entries[:3])
    assert held[entries[2]["id"]]["name"] == entries[2]["name"]


# -- authentication and authorisation ---------------------------------------------------------
def test_missing_wrong_and_unknown_tokens_get_401_with_a_reason(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    body = batch(kiosk.kiosk_id, kiosk_entries(tmp_path, kiosk.kiosk_id, 1))
    cases = {
        None: "Authorization: missing",
        "": "Authorization: missing",
        "Basic dXNlcjpwYXNz": "Authorization: expected 'Bearer <token>'",
        "Bearer " + kiosk.token[:-2] + "xx": "Authorization: unknown token",
    }
    for header, reason in cases.items():
        headers = {} if header is None else {"Authorization": header}
        response = server.post(body, headers=headers)
        assert response.status_code == 401, header
        assert response.json()["error"].startswith(reason)
        assert response.headers["www-authenticate"] == "Bearer"
    assert stored(server, kiosk.kiosk_id) == []


def test_a_revoked_kiosk_is_refused_from_then_on(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 2, kiosk.checkpoint_id)
    assert server.post(batch(kiosk.kiosk_id, entries[:1]), token=kiosk.token).status_code == 200
    out = central("kiosks", "revoke", kiosk.kiosk_id, "--db", server.db).stdout
    assert "Revoked" in out
    response = server.post(batch(kiosk.kiosk_id, entries[1:]), token=kiosk.token)
    assert response.status_code == 401
    assert f"kiosk {kiosk.kiosk_id} was revoked" in response.json()["error"]
    assert len(stored(server, kiosk.kiosk_id)) == 1


def test_a_kiosk_cannot_submit_for_another_kiosk(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """403 both for a batch in another kiosk's name and for a foreign entry in one's own."""
    other = enrol(server.db, f"{kiosk.kiosk_id}-b")
    theirs = kiosk_entries(tmp_path, other.kiosk_id, 2, other.checkpoint_id)
    mine = kiosk_entries(tmp_path, kiosk.kiosk_id, 2, kiosk.checkpoint_id)

    response = server.post(batch(other.kiosk_id, theirs), token=kiosk.token)
    assert response.status_code == 403
    assert response.json()["error"] == (f"kiosk_id: the token belongs to kiosk "
                                        f"{kiosk.kiosk_id!r}, not {other.kiosk_id!r}")
    response = server.post(batch(kiosk.kiosk_id, [*mine, theirs[0]]), token=kiosk.token)
    assert response.status_code == 403
    assert response.json()["error"].startswith("entries[2].kiosk_id:")
    assert stored(server, kiosk.kiosk_id) == [] and stored(server, other.kiosk_id) == []


# -- malformed and oversize requests: 400 / 413 / 415 / 422, never 500 -----------------------
def test_malformed_bodies_get_400_naming_the_problem(
        server: CentralServer, kiosk: Enrolled) -> None:
    cases = [
        (b'{"protocol": 1, "kiosk_id": ', "identity", "body: malformed JSON"),
        (gzip.compress(b'{"a": NaN}'), "gzip", "body: malformed JSON"),
        (b"\xff\xfe\x00garbage", "identity", "body: "),
        (b"this is not gzip", "gzip", "body: not valid gzip data"),
        (gzip.compress(b'{"protocol": 1}')[:-6], "gzip", "body: truncated gzip data"),
        (b"this is not zstd", "zstd", "body: not valid zstd data"),
    ]
    for data, encoding, reason in cases:
        response = server.post(data, token=kiosk.token, encoding=encoding)
        assert response.status_code == 400, (data, response.text)
        assert response.json()["error"].startswith(reason)


def test_an_unknown_content_encoding_gets_415(server: CentralServer, kiosk: Enrolled) -> None:
    response = server.post(b"{}", token=kiosk.token, encoding="br")
    assert response.status_code == 415
    assert "Content-Encoding: unsupported 'br'" in response.json()["error"]


@pytest.mark.parametrize(("change", "reason"), [
    (lambda b: b.pop("entries"), "entries: missing field"),
    (lambda b: b.update(protocol=2), "protocol: this server speaks protocol 1, got 2"),
    (lambda b: b.update(protocol="1"), 'protocol: this server speaks protocol 1, got "1"'),
    (lambda b: b.update(batch_id="batch-1"), 'batch_id: expected a lowercase UUID, got "batch-1"'),
    (lambda b: b.update(sent_at="2024-05-01 08:30"), "sent_at: expected UTC time like"),
    (lambda b: b.update(entries={"id": "x"}), "entries: expected an array, got an object"),
    (lambda b: b.update(entries=[["not", "an", "object"]]),
     "entries[0]: expected an object, got an array"),
    (lambda b: b.update(entries=[{"name": "no id"}]), "entries[0].id: expected a string"),
    (lambda b: b.update(extra_field=1), "extra_field: unknown field"),
])
def test_an_envelope_that_breaks_the_schema_gets_422_naming_the_field(
        server: CentralServer, kiosk: Enrolled, change: Any, reason: str) -> None:
    body = batch(kiosk.kiosk_id, [])
    change(body)
    response = server.post(body, token=kiosk.token)
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith(reason)


def test_a_body_that_is_not_an_object_gets_422(server: CentralServer, kiosk: Enrolled) -> None:
    response = server.post([1, 2, 3], token=kiosk.token)
    assert response.status_code == 422
    assert response.json()["error"] == "body: expected a JSON object, got an array"


def test_oversize_bodies_get_413_before_and_after_decompression(
        server: CentralServer, kiosk: Enrolled) -> None:
    """Too big as sent (the limit is checked while reading) and a zip bomb (checked while
    inflating, so the server never holds more than the limit)."""
    big = server.post(b"x" * (MAX_BODY + 1), token=kiosk.token, encoding="identity")
    assert big.status_code == 413
    assert big.json()["error"] == f"body: larger than {MAX_BODY} bytes as sent; send smaller " \
                                  f"batches"
    bomb = gzip.compress(b'{"entries": "' + b"A" * (MAX_DECODED * 4) + b'"}')
    assert len(bomb) < MAX_BODY
    response = server.post(bomb, token=kiosk.token, encoding="gzip")
    assert response.status_code == 413
    assert response.json()["error"] == f"body: larger than {MAX_DECODED} bytes once decompressed"


def test_an_enrolment_body_over_its_bound_gets_413_without_being_read_whole(
        server: CentralServer) -> None:
    """``POST /api/v1/enrol`` is answered before any code is checked, to anyone: a body over
    ENROL_MAX_BYTES (declared, or streamed without a length) is refused 413 as soon as the
    bound is passed, naming it, in the catalogue's words — not read whole first (before:
    ``await request.body()`` held all of it, however large, then answered 400)."""
    from kiosk.central.app import ENROL_MAX_BYTES
    from kiosk.enrolment import ENROL_PATH

    said = messages.text("api.enrol_too_large", "en", limit=ENROL_MAX_BYTES)
    padded = b'{"secret": "made-up", "pad": "' + b"x" * ENROL_MAX_BYTES + b'"}'
    declared = httpx.post(server.url + ENROL_PATH, content=padded, timeout=30,
                          headers={"Content-Type": "application/json"})

    def streamed() -> Iterator[bytes]:  # chunked: no Content-Length to refuse it by
        yield b'{"secret": "made-up", "pad": "'
        for _ in range(16):
            yield b"x" * 4096
        yield b'"}'

    chunked = httpx.post(server.url + ENROL_PATH, content=streamed(), timeout=30,
                         headers={"Content-Type": "application/json"})
    for answer in (declared, chunked):
        assert answer.status_code == 413, answer.text
        assert answer.json() == {"error": said, "code": "api.enrol_too_large",
                                 "params": {"limit": ENROL_MAX_BYTES}}
    small = httpx.post(server.url + ENROL_PATH, content=b"[1, 2]", timeout=30,
                       headers={"Content-Type": "application/json"})
    assert small.status_code == 400 and small.json()["code"] == "api.enrol_body"


def test_an_enrolment_body_nested_without_end_gets_400_not_a_fault(
        server: CentralServer) -> None:
    """Within ENROL_MAX_BYTES, ``[`` 2,000 deep is answered as any body that is no
    ``{"secret": …}``: 400 ``api.enrol_body`` (before: Python's parser ran out of stack,
    a RecursionError, and the centre answered 500) — so too when a string of ``]`` comes
    first (a review's way past the first measure)."""
    from kiosk.enrolment import ENROL_PATH

    for body in (b"[" * 2000 + b"]" * 2000, b'["' + b"]" * 2000 + b'",' + b"[" * 2060):
        answer = httpx.post(server.url + ENROL_PATH, content=body, timeout=30,
                            headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "api.enrol_body"


def test_more_entries_than_a_batch_may_hold_gets_413(
        server: CentralServer, kiosk: Enrolled) -> None:
    stub = {"id": "x"}
    body = batch(kiosk.kiosk_id, [stub] * (protocol.MAX_BATCH_ENTRIES + 1))
    response = server.post(body, token=kiosk.token)
    assert response.status_code == 413
    assert response.json()["error"].startswith(
        f"entries: {protocol.MAX_BATCH_ENTRIES + 1} entries, at most")


# -- storage busy -----------------------------------------------------------------------------
def test_a_locked_database_gets_503_with_retry_after_then_the_retry_succeeds(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """While another writer (an import, a long report) holds the lock past --busy-timeout,
    the kiosk is told to come back later; nothing is half-stored."""
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 5, kiosk.checkpoint_id)
    body = batch(kiosk.kiosk_id, entries)
    with write_lock_held(server.db):
        started = time.monotonic()
        response = server.post(body, token=kiosk.token)
        assert time.monotonic() - started < 10
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    assert "busy" in response.json()["error"]
    assert stored(server, kiosk.kiosk_id) == []
    retry = server.post(body, token=kiosk.token)
    assert statuses(retry) == ["accepted"] * 5


def test_a_busy_answer_gives_the_kiosk_a_code_and_words_not_the_databases_english(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """The 503 a kiosk gets while another program holds the write lock (SQLite: another
    process's transaction on the file; PostgreSQL: another session's lock on entries, met
    past lock_timeout) names why by codes the kiosk words in its reader's language
    (storage.busy, and sqlite.busy or postgres.lock_timeout), with Retry-After. The
    database's own English ("database is locked", "canceling statement due to lock
    timeout") is not in the answer: the kiosk showed 'bộ lưu trữ đang bận: database is
    locked'."""
    body = batch(kiosk.kiosk_id, kiosk_entries(tmp_path, kiosk.kiosk_id, 3,
                                               kiosk.checkpoint_id))
    if server.db.startswith("sqlite:///"):
        path = server.db.removeprefix("sqlite:///")
        held, why = write_lock_held_by_another_process(path), "sqlite.busy"
    else:
        held, why = write_lock_held(server.db), "postgres.lock_timeout"
    with held:
        response = server.post(body, token=kiosk.token)
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    answer = response.json()
    assert answer["code"] == "storage.busy"
    assert answer["params"] == {"detail": {"code": why, "params": {}}}
    assert "database is locked" not in response.text
    assert "canceling statement" not in response.text
    words = messages.answered_words(answer)
    assert words is not None
    assert words("vi").startswith("bộ lưu trữ đang bận: ")
    assert words("vi") != words("en")
    assert statuses(server.post(body, token=kiosk.token)) == ["accepted"] * 3


def test_a_background_step_finding_storage_busy_says_so_in_one_line_and_goes_on_after(
        server: CentralServer) -> None:
    """Another writer holds what a derivation step needs past --busy-timeout: serve's
    background step finds storage busy, an expected condition. It says so in one line
    without a traceback (it logged a traceback, which this module's fixture caught once
    when a step met the lock another test held), tries again, and says when it goes on."""
    before = len(server.stderr())  # other tests' writers may have met a step already
    with derivation_held(server.db):
        server.wait_for_stderr("derivation put off", since=before)
    said = server.wait_for_stderr("derivation going on again", since=before)
    assert "Traceback" not in said
    put_off = [line for line in said.splitlines() if "derivation put off" in line]
    assert len(put_off) == 1 and "busy" in put_off[0], said


def test_response_results_pass_the_clients_own_check(
        server: CentralServer, kiosk: Enrolled, tmp_path: Path) -> None:
    """What the server answers is what protocol.validate_response (the client) expects."""
    entries = kiosk_entries(tmp_path, kiosk.kiosk_id, 3, kiosk.checkpoint_id)
    entries[2] = {**entries[2], "scanned_at": "yesterday"}
    answer = server.post(batch(kiosk.kiosk_id, entries), token=kiosk.token).json()
    held, rejected = protocol.validate_response(answer, [e["id"] for e in entries])
    assert held == [entries[0]["id"], entries[1]["id"]]
    assert list(rejected) == [entries[2]["id"]]
    assert rejected[entries[2]["id"]].startswith("scanned_at: expected UTC time")
    assert json.loads(json.dumps(answer)) == answer


# -- fuzzing: whatever arrives, the answer is a reasoned 4xx or a full 200, never a 500 -------
@pytest.fixture(scope="module")
def fuzz_kiosk(server: CentralServer, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Enrolled, list[dict[str, Any]]]:
    kiosk = enrol(server.db, f"fuzz-{uuid.uuid4().hex[:6]}")
    return kiosk, kiosk_entries(tmp_path_factory.mktemp("fuzz"), kiosk.kiosk_id, 3,
                                kiosk.checkpoint_id)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=6)


@settings(max_examples=60,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from([*protocol.BATCH_FIELDS, *protocol.ENTRY_FIELDS, "raw"]),
       value=_JSON, raw=st.binary(max_size=64))
def test_no_request_makes_the_server_fail(
        server: CentralServer, fuzz_kiosk: tuple[Enrolled, list[dict[str, Any]]],
        where: str, value: Any, raw: bytes) -> None:
    kiosk, entries = fuzz_kiosk
    body: Any = batch(kiosk.kiosk_id, [dict(e) for e in entries])
    if where in protocol.BATCH_FIELDS:
        body[where] = value
    elif where in protocol.ENTRY_FIELDS:
        body["entries"][1][where] = value
    # Encoded with the standard library, as a client in any language might: the kiosk's own
    # encoder refuses integers beyond 64 bits, which the protocol never needs.
    data = raw if where == "raw" else gzip.compress(json.dumps(body).encode())
    response = server.post(data, token=kiosk.token,
                           encoding="identity" if where == "raw" else "gzip")
    assert response.status_code in (200, 400, 403, 413, 415, 422), response.text
    answer = response.json()
    if response.status_code == 200:
        assert len(answer["results"]) == len(body["entries"])
        assert all(r["status"] != "rejected" or r["reason"] for r in answer["results"])
    else:
        assert answer["error"]


@pytest.mark.parametrize("engine", ENGINES)
def test_what_serve_acknowledged_is_derived_in_the_background_or_by_the_first_reader(
        engine: str, tmp_path: Path) -> None:
    """A batch is acknowledged once its entries are stored; the day sets and stays derived
    from them follow, made by ``serve`` in the background with nobody reading. Told
    ``--no-derive``, serve leaves them queued, and the first reader (here a report) derives
    them before it reads: its people are all there."""
    from kiosk.central import reports

    for derive in (True, False):
        db = database_url(engine, tmp_path / f"derive-{derive}")
        kiosk = enrol(db, "k1", "CP-1")
        server = CentralServer(db, *(() if derive else ("--no-derive",)))
        try:
            entries = kiosk_entries(tmp_path, "k1", 20, "CP-1")
            answer = server.post(batch("k1", entries), token=kiosk.token)
            assert statuses(answer) == ["accepted"] * 20
            with open_storage(db) as storage:
                queued = "SELECT count(*) FROM derive_queue"
                deadline = time.monotonic() + (30 if derive else 3)
                while storage._query(queued)[0][0] and time.monotonic() < deadline:
                    time.sleep(0.1)
                people = storage._query("SELECT count(*) FROM day_subjects")[0][0]
                tails = storage._query("SELECT count(*) FROM stay_tails")[0][0]
                assert (storage._query(queued)[0][0], people > 0, tails > 0) == (
                    (0, True, True) if derive else (1, False, False))
                report = reports.daily(storage, storage.today())
                assert report["summary"]["people"] == 20 == len(
                    {e["subject_key"] for e in entries})
                assert storage._query(queued)[0][0] == 0
        finally:
            assert "Traceback" not in server.stop()


def test_a_batch_sent_again_leaves_no_error_in_postgresqls_log(tmp_path: Path) -> None:
    """A kiosk whose answer was lost sends its pending entries again, oldest first, under
    a new batch id, with newer ones after them: those held are answered duplicate and the
    new ones stored, and PostgreSQL's own log holds no ERROR for it. (The straight COPY
    into ``entries`` failed on the held ids before the fallback ran: a ``duplicate key``
    ERROR line at every resend, for an operator or a log alert to chase.)"""
    from central_support import shared_postgres

    from kiosk.ids import uuid7

    url = database_url("postgresql", tmp_path)
    server_log = shared_postgres().dir / "log"
    received = dt.datetime.now(dt.UTC)
    entries = kiosk_entries(tmp_path, "k1", 15, "CP-T")
    with open_storage(url) as storage:
        first = storage.ingest_batch("k1", entries[:10], sent_at=None, received_at=received,
                                     batch_id=uuid7())
        logged = server_log.stat().st_size
        again = storage.ingest_batch("k1", entries, sent_at=None, received_at=received,
                                     batch_id=uuid7())
        written = server_log.read_bytes()[logged:].decode()
    assert [r["status"] for r in first] == ["accepted"] * 10
    assert [r["status"] for r in again] == ["duplicate"] * 10 + ["accepted"] * 5
    assert "ERROR" not in written, written
