"""A kiosk's token copied to a second machine (a stolen laptop's config, a backup) and used
beside the genuine kiosk: the centre records where each call came from (the kiosk's boot
id, the client's address), flags the kiosk seen from two machines at overlapping times on
the Kiosks page, in `kiosks list` and the daily report, and never lets the copy's health
report hide the genuine kiosk's backlog. A real `kiosk-central serve` on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import (
    ENGINES,
    CentralServer,
    Enrolled,
    batch,
    cccd,
    central,
    database_url,
    enrol,
    kiosk_entries,
)
from web_support import add_users, signed_in

from kiosk import config as config_mod
from kiosk.app import Kiosk
from kiosk.central import heartbeat, reports
from kiosk.central.backends import open_storage
from kiosk.central.web.health import kiosk_rows
from kiosk.central.web.i18n import translator
from kiosk.ids import boot_id
from kiosk.messages import CATALOGUE, LANGUAGES
from kiosk.scan import Scan
from kiosk.sync import protocol
from tests.devices_support import wait_until
from tests.sync_support import CentralServer as SyncCentre
from tests.sync_support import syncing, write_config

THREE_DAYS = 3 * 86400.0


@pytest.fixture(params=ENGINES, name="centre")
def centre_fixture(request: pytest.FixtureRequest, tmp_path: Path
                   ) -> Iterator[tuple[CentralServer, Enrolled]]:
    """A centre on each engine, served on 127.0.0.1, with kiosk ``ka`` enrolled at CP-A and
    an admin ``admin1``."""
    db = database_url(request.param, tmp_path)
    kiosk = enrol(db, "ka", "CP-A")
    add_users(db, {"admin1": ("admin", None)})
    server = CentralServer(db)
    try:
        yield server, kiosk
    finally:
        server.stop()


def _beat(server: CentralServer, token: str, boot: str | None, pending: int,
          oldest: float | None) -> None:
    """A heartbeat of kiosk ka from boot ``boot`` (None: a call sending none)."""
    health = {"software_version": "0.1.0", "pending": pending,
              "oldest_pending_seconds": oldest, "rejected": 0, "devices": [],
              "free_disk_bytes": 10**10, "refused_by_hour": {}}
    body = protocol.make_heartbeat("ka", health)
    if boot is not None:
        body["boot_id"] = boot
    answer = httpx.post(server.url + protocol.HEARTBEAT_PATH, json=body,
                        headers=protocol.bearer(token), timeout=30)
    assert answer.status_code == 200, answer.text


def _kiosk(db: str) -> dict:
    with open_storage(db) as storage:
        return kiosk_rows(storage)[0]


def test_a_copied_token_beside_the_kiosk_is_flagged_and_hides_none_of_its_backlog(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    """The genuine kiosk reports 500 entries pending, the oldest 3 days old; a copy of its
    token on another machine reports nothing pending and uploads a batch. Before, the
    copy's report replaced the genuine one (old_backlog gone) and nothing told them apart.
    Now both machines are kept with their own figures, the kiosk is flagged with what to
    do, its backlog stays the genuine one's, and each batch names its boot and address.
    (A new boot id alone is a reboot: two machines show once the first is heard again.)"""
    server, kiosk = centre
    assert "heartbeat-boot" in httpx.get(server.url + protocol.HEALTH_PATH).json()["features"]
    _beat(server, kiosk.token, "boot-genuine", 500, THREE_DAYS)
    assert _kiosk(server.db)["problems"] == ["old_backlog"]

    _beat(server, kiosk.token, "boot-copy", 0, None)  # alone, as a reboot would be
    _beat(server, kiosk.token, "boot-genuine", 500, THREE_DAYS)  # the first boot again
    forged = batch("ka", kiosk_entries(tmp_path, "ka", 2, "CP-A"), boot_id="boot-copy")
    assert server.post(forged, token=kiosk.token).status_code == 200
    _beat(server, kiosk.token, "boot-copy", 0, None)  # the copy's report last

    row = _kiosk(server.db)
    assert row["problems"] == ["token_copied", "old_backlog"]
    # the genuine kiosk's backlog as the page shows it (hours, aged since its report)
    assert (row["pending"], round(row["oldest_pending_seconds"] / 3600, 1)) == (500, 72.0)
    assert [(s["boot_id"], s["address"], s["pending"], s["oldest_pending_seconds"])
            for s in row["sources"]] == [("boot-genuine", "127.0.0.1", 500, THREE_DAYS),
                                         ("boot-copy", "127.0.0.1", 0, None)]
    with open_storage(server.db) as storage:
        logged = storage.batches("ka")
        report = reports.daily(storage, storage.today())
    assert [(b["boot_id"], b["address"], b["accepted"]) for b in logged] == [
        ("boot-copy", "127.0.0.1", 2)]
    flagged = [r for r in report["scanning_wrongly"] if r["problem"] == "token_copied"]
    assert [r["kiosk_id"] for r in flagged] == ["ka"]
    assert [translator(lang).detail(flagged[0], "UTC").split(":")[0] for lang in LANGUAGES] == [
        "2 máy", "2 machines"]
    assert "boot-copy" in translator("en").detail(flagged[0], "UTC")
    assert "boot-copy" in server.wait_for_stderr("may have been copied")

    listed = central("kiosks", "list", "--db", server.db).stdout
    vi, en = CATALOGUE["web.problem.token_copied"]
    assert f"! ka: {vi} / {en}" in listed
    assert "boot id boot-genuine from 127.0.0.1" in listed and "boot id boot-copy" in listed
    found = json.loads(central("kiosks", "sources", "ka", "--json", "--db", server.db).stdout)
    assert [(s["boot_id"], s["current"]) for s in found["sources"]] == [
        ("boot-genuine", True), ("boot-copy", True)]
    assert [(b["boot_id"], b["address"], b["batches"], b["accepted"])
            for b in found["batches"]] == [("boot-copy", "127.0.0.1", 1, 2)]
    shown = central("kiosks", "sources", "ka", "--db", server.db).stdout
    assert "mã khởi động" in shown and "boot id" in shown and "boot-copy" in shown

    with signed_in(server.url, "admin1") as admin:
        pages = {}
        for lang in LANGUAGES:
            admin.get(f"/lang/{lang}")
            pages[lang] = html.unescape(admin.get("/kiosks").text)
    for n, lang in enumerate(LANGUAGES):
        assert CATALOGUE["web.problem.token_copied"][n] in pages[lang]
        assert "boot-genuine" in pages[lang] and "boot-copy" in pages[lang]
    assert "kiosk-central kiosks token" in pages["en"]


def test_one_kiosk_rebooting_is_one_machine_and_its_latest_report_counts(
        centre: tuple[CentralServer, Enrolled]) -> None:
    """Boots follow one another: the backlog a boot reported is replaced by the next
    boot's, and nothing is flagged."""
    server, kiosk = centre
    _beat(server, kiosk.token, "boot-1", 500, THREE_DAYS)
    _beat(server, kiosk.token, "boot-2", 0, None)
    row = _kiosk(server.db)
    assert (row["problems"], row["pending"], row["sources"]) == ([], 0, [])


def test_an_older_kiosk_sending_no_boot_id_in_its_heartbeat_is_one_machine(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    """Kiosk software before ``heartbeat-boot`` sends its boot id with batches only: its
    heartbeats without one are not a second machine."""
    server, kiosk = centre
    _beat(server, kiosk.token, None, 3, 60.0)
    assert server.post(batch("ka", kiosk_entries(tmp_path, "ka", 1, "CP-A")),
                       token=kiosk.token).status_code == 200
    _beat(server, kiosk.token, None, 0, None)
    assert _kiosk(server.db)["problems"] == []


def test_a_call_without_a_boot_id_beside_a_kiosk_that_sends_one_is_a_second_machine(
        centre: tuple[CentralServer, Enrolled]) -> None:
    """A hand-made call with the copied token (no boot id at all) next to a kiosk whose
    heartbeats carry its boot id."""
    server, kiosk = centre
    _beat(server, kiosk.token, "boot-genuine", 500, THREE_DAYS)
    _beat(server, kiosk.token, None, 0, None)
    _beat(server, kiosk.token, "boot-genuine", 500, THREE_DAYS)
    _beat(server, kiosk.token, None, 0, None)
    row = _kiosk(server.db)
    assert row["problems"] == ["token_copied", "old_backlog"]
    assert [s["boot_id"] for s in row["sources"]] == ["boot-genuine", ""]


def test_a_new_token_starts_afresh_and_the_old_sources_stay_on_record(
        centre: tuple[CentralServer, Enrolled]) -> None:
    """After `kiosks token`, the genuine kiosk alone holds the new token: no flag, its own
    figures again; what the copy did is still in the sources kept (30 days)."""
    server, kiosk = centre
    for boot, pending, oldest in [("boot-genuine", 500, THREE_DAYS), ("boot-copy", 0, None)] * 2:
        _beat(server, kiosk.token, boot, pending, oldest)
    assert _kiosk(server.db)["problems"] == ["token_copied", "old_backlog"]
    out = central("kiosks", "token", "ka", "--reason", "token copied, ticket 7", "--json",
                  "--db", server.db).stdout
    token = json.loads(out)["token"]
    _beat(server, token, "boot-genuine", 499, THREE_DAYS - 60)
    row = _kiosk(server.db)
    assert (row["problems"], row["pending"], row["sources"]) == (["old_backlog"], 499, [])
    assert "! ka:" not in central("kiosks", "list", "--db", server.db).stdout
    with open_storage(server.db) as storage:
        kept = storage._query("SELECT boot_id FROM kiosk_sources ORDER BY first_seen_at")
    assert [b for (b,) in kept] == ["boot-genuine", "boot-copy", "boot-genuine"]
    found = json.loads(central("kiosks", "sources", "ka", "--json", "--db", server.db).stdout)
    assert [(s["boot_id"], s["current"]) for s in found["sources"]] == [
        ("boot-genuine", False), ("boot-copy", False), ("boot-genuine", True)]


@pytest.mark.parametrize("engine", ENGINES)
def test_two_machines_are_judged_by_their_times_heard(engine: str, tmp_path: Path) -> None:
    """Overlapping times make two machines; a machine unheard for 30 days is forgotten."""
    now = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    health = protocol.validate_health({
        "software_version": "0.1.0", "pending": 0, "oldest_pending_seconds": None,
        "rejected": 0, "devices": [], "free_disk_bytes": None})
    with open_storage(database_url(engine, tmp_path)) as storage:
        storage.add_checkpoint("CP", "Chợ")
        storage.add_kiosk("k1", "CP", "k1", "hash")

        def beat(boot: str, hours: float) -> None:
            heartbeat.record(storage, "k1", health, now + dt.timedelta(hours=hours), 0.0,
                             boot_id=boot, address="10.0.0.9", beat=True)

        beat("a", 0)
        beat("a", 5)
        beat("b", 6)  # after a's last: a reboot
        assert heartbeat.copied(storage) == {}
        beat("c", 7)
        beat("b", 8)  # b and c heard at overlapping times
        assert [s["boot_id"] for s in heartbeat.copied(storage)["k1"]] == ["b", "c"]
        beat("b", 31 * 24)  # c unheard for 30 days: forgotten, b alone
        assert heartbeat.copied(storage) == {}


def test_a_real_kiosk_sends_its_boot_id_with_heartbeats_and_batches_and_is_one_machine(
        tmp_path: Path) -> None:
    """A kiosk syncing to a centre listing ``heartbeat-boot``: its scan's batch and its
    idle heartbeats all carry this boot's id, from 127.0.0.1 — one machine, never flagged
    (before, the heartbeat had no boot id: a copy's hand-made calls looked the same)."""
    centre = SyncCentre(tmp_path)
    try:
        token = centre.enrol("k-real", "CP-SYNC")
        path = write_config(tmp_path / "config.toml", kiosk_id="k-real", server_url=centre.url,
                            token=token, enabled=True, interval_seconds=1,
                            max_backoff_seconds=1)
        kiosk = Kiosk(config_mod.load(path))
        with syncing(kiosk):
            assert kiosk.sync is not None
            kiosk.pipeline.submit(Scan(payload=cccd(1), lane="in"))
            wait_until(lambda: kiosk.sync.state().pending == 0, what="the scan at the centre")

            def sources() -> list[tuple[str, str, int]]:
                with open_storage(centre.db) as storage:
                    return storage._query("SELECT boot_id, address, heartbeats FROM "
                                          "kiosk_sources WHERE kiosk_id = 'k-real'")

            wait_until(lambda: [tuple(s)[:2] for s in sources()] == [(boot_id(), "127.0.0.1")]
                       and sources()[0][2] >= 1, timeout=30, what="a heartbeat with the boot id")
        with open_storage(centre.db) as storage:
            assert [b["boot_id"] for b in storage.batches("k-real")] == [boot_id()]
            assert heartbeat.copied(storage) == {}
    finally:
        centre.stop()
