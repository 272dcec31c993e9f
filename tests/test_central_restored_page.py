"""A centre restored from an older copy tells its administrators on the dashboard, not only
in the log at `serve`'s start (docs/central.md, "Restoring the centre from a backup").

The kiosks count every entry the centre acknowledged as delivered: a database put back from
last night's copy silently lacks the day's, until every kiosk runs `kiosk sync resend
--since …`. `serve` said so once, in its log at the start, which the administrators using the
dashboard never read. Now every page an administrator opens says it too, in their language,
with the kiosks' commands and the time to give them, until an administrator acknowledges it
— recorded in the audit log. Other roles are not shown it (they cannot act on it). It
names the kiosks whose uploads the copy lacks, and clears itself once each has sent again.

Real parts: `kiosk-central serve` over a SQLite file, its copy taken with SQLite's backup API
(what ``sqlite3 central.db ".backup …"`` does) and put back with the server stopped, uploads
of a real kiosk pipeline, and the dashboard in headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from central_support import (
    ENGINES,
    CentralServer,
    batch,
    central,
    copy_database,
    database_url,
    enrol,
    kiosk_entries,
    shared_postgres,
)
from report_support import GenKiosk, wire_entry
from selenium.webdriver.common.by import By
from web_support import SAMPLE, add_users, browser, chromium_binaries, click_and_wait, log_in

from kiosk.central import audit, received_mark
from kiosk.central.audit import Actor
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.sync import protocol

needs_chromium = pytest.mark.skipif(chromium_binaries() is None,
                                    reason="chromium + chromium-driver not installed")

TITLE = {"vi": "Cơ sở dữ liệu được khôi phục từ một bản sao cũ hơn?",
         "en": "Was the database restored from an older copy?"}
SAID = {"vi": "Cơ sở dữ liệu này chỉ có các lần gửi nhận đến {newest}, nhưng trung tâm đã "
              "nhận các lần gửi đến {marked} (ghi trong {path}).",
        "en": "This database holds uploads received until {newest}, but this centre had "
              "received uploads until {marked} (noted in {path})."}


def upload(db: str, tmp: Path, token: str, start: int) -> None:
    """Five scans of kiosk-dx1 at BP-DX-001, uploaded to a centre serving ``db``."""
    server = CentralServer(db)
    try:
        entries = kiosk_entries(tmp, "kiosk-dx1", 5, "BP-DX-001", start=start)
        assert server.post(batch("kiosk-dx1", entries), token=token).status_code == 200
    finally:
        server.stop()  # notes its newest upload beside the backlog key


@needs_chromium
def test_a_restored_centre_tells_its_administrators_on_every_page_until_one_acknowledges(
        tmp_path: Path) -> None:
    path = tmp_path / "central.db"
    db = f"sqlite:///{path}"
    central("init", "--db", db)
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    token = enrol(db, "kiosk-dx1", "BP-DX-001").token
    add_users(db, {"admin1": ("admin", None), "admin2": ("admin", None),
                             "tracer1": ("tracer", None)})
    upload(db, tmp_path, token, 0)
    copy_database(path, tmp_path / "backup.db")  # last night's copy
    upload(db, tmp_path, token, 5)  # the day's uploads, acknowledged to the kiosk
    for log in tmp_path.glob("central.db-*"):  # the disk fails; the copy is put back
        log.unlink()
    copy_database(tmp_path / "backup.db", path)

    server = CentralServer(db)
    try:
        (logged,) = [line for line in server.wait_for_stderr(
            "then `kiosk sync push`").splitlines() if "then `kiosk sync push`" in line]
        newest, marked = re.search(r"received until (\S+ \S+), but this centre had received "
                                   r"uploads until (\S+ \S+) ", logged).groups()
        since = re.search(r"run `kiosk sync resend --since (\S+)`", logged)[1]
        assert logged.endswith("The kiosks whose uploads are not here: kiosk-dx1"), logged
        mark = str(tmp_path / "central-received.mark")
        seen = {}
        for lang in ("vi", "en"):
            with browser() as chrome:
                chrome.get(f"{server.url}/lang/{lang}?next=/login")
                log_in(chrome, server.url, "admin1")
                for page in ("/today", "/kiosks", "/users"):  # every page, whichever first
                    chrome.get(server.url + page)
                    (warning,) = chrome.find_elements(By.ID, "restored")
                    seen[lang, page] = warning.text
                commands = chrome.find_element(By.ID, "restored-commands").text
                seen[lang, "waiting"] = chrome.find_element(By.ID, "restored-waiting").text
        assert seen["vi", "waiting"].startswith(  # the kiosk whose uploads are not here
            "Các trạm có lần gửi không còn ở đây và chưa gửi lại: kiosk-dx1.")
        assert seen["en", "waiting"].startswith(
            "The kiosks whose uploads are not here and have not sent them again: kiosk-dx1.")
        for (lang, page), text in seen.items():
            if page == "waiting":
                continue
            assert text.startswith(TITLE[lang]), text
            assert SAID[lang].format(newest=newest, marked=marked, path=mark) in text, text
        assert commands == f"kiosk sync resend --since {since}\nkiosk sync push"

        with browser() as chrome:  # a tracer cannot act on it: not shown
            log_in(chrome, server.url, "tracer1")
            chrome.get(server.url + "/tracing")
            assert chrome.find_elements(By.ID, "restored") == []

        with browser() as chrome:  # every kiosk has sent again: an administrator says so
            log_in(chrome, server.url, "admin2")
            chrome.get(server.url + "/kiosks")
            click_and_wait(chrome, chrome.find_element(By.ID, "restored-acknowledge"))
            assert chrome.current_url == server.url + "/kiosks"  # back where she was
            assert chrome.find_elements(By.ID, "restored") == []
        with browser() as chrome:  # and for every administrator
            log_in(chrome, server.url, "admin1")
            assert chrome.find_elements(By.ID, "restored") == []
    finally:
        server.stop()

    records = json.loads(central("audit", "list", "--db", db, "--kind",
                                 "restored-acknowledged", "--json").stdout)
    assert [(r["actor"], r["channel"], r["subject"]) for r in records] == [
        ("admin2", "web", f"uploads received until {newest}, noted until {marked}: kiosk sync "
                          f"resend --since {since}")]

    again = CentralServer(db)  # the same restored database, no upload since: still logged,
    try:                       # but acknowledged on the dashboard
        again.wait_for_stderr("then `kiosk sync push`")
        with browser() as chrome:
            log_in(chrome, again.url, "admin1")
            assert chrome.find_elements(By.ID, "restored") == []
    finally:
        again.stop()


FACTS = {"newest": "2026-12-05 23:00", "marked": "2026-12-06 16:41",
         "path": "/var/lib/kiosk-central/central-received.mark",
         "since": "2026-12-05T22:00+07:00"}


@pytest.mark.parametrize("engine", ENGINES)
def test_the_warning_is_acknowledged_once_and_only_a_new_restore_shows_it_again(
        tmp_path: Path, engine: str) -> None:
    """What `serve` keeps and the dashboard reads, on both engines: one acknowledgement
    (a second administrator's at the same moment finds nothing to acknowledge and records
    nothing); the same restore kept again at a later start stays acknowledged; another
    restore (other times) is shown again."""
    admin = Actor("admin1", "web", "192.0.2.7")
    with open_storage(database_url(engine, tmp_path)) as storage:
        assert received_mark.warning(storage) is None
        received_mark.keep_warning(storage, FACTS)
        assert {k: received_mark.warning(storage)[k] for k in FACTS} == FACTS
        seq = received_mark.acknowledge(storage, admin)
        assert received_mark.acknowledge(storage, Actor("admin2", "web", None)) is None
        assert received_mark.warning(storage) is None
        received_mark.keep_warning(storage, FACTS)  # serve started again, nothing uploaded
        assert received_mark.warning(storage) is None
        later = {**FACTS, "newest": "2026-12-07 08:00", "marked": "2026-12-07 09:30"}
        received_mark.keep_warning(storage, later)  # restored from a copy again
        assert received_mark.warning(storage)["marked"] == "2026-12-07 09:30"
        logged = audit.records(storage, limit=10, kind=received_mark.ACKNOWLEDGED)
    assert [(r.seq, r.actor, r.address) for r in logged] == [(seq, "admin1", "192.0.2.7")]


def scans(kiosk: str, at: dt.datetime, people: range) -> list[dict[str, Any]]:
    """A scan of each of ``people`` by ``kiosk`` at its point, a second apart from ``at``."""
    gen = GenKiosk(kiosk, "CP-" + kiosk, 0.0, at, None)
    return [wire_entry(gen, gen.checkpoint_id, at + dt.timedelta(seconds=n), "in", False, p)
            for n, p in enumerate(people)]


def store(storage: Storage, kiosk: str, entries: list[dict[str, Any]],
          received: dt.datetime) -> list[str]:
    return [r["status"] for r in storage.ingest_batch(
        kiosk, entries, sent_at=protocol.format_time(received), received_at=received,
        batch_id=str(uuid.uuid4()), checkpoint_id="CP-" + kiosk)]


def backup_of(url: str, tmp: Path) -> str:
    """A copy of the (closed) centre database at ``url``: ``.backup`` or ``CREATE DATABASE
    … TEMPLATE`` (what pg_dump and a restore give)."""
    if url.startswith("sqlite:///"):
        copy_database(Path(url.removeprefix("sqlite:///")), tmp / "backup.db")
        return f"sqlite:///{tmp / 'backup.db'}"
    return shared_postgres().create_database(template=url.rsplit("/", 1)[1])


@pytest.mark.parametrize("engine", ENGINES)
def test_the_warning_names_the_kiosks_to_send_again_and_clears_itself_once_each_has(
        tmp_path: Path, engine: str) -> None:
    """Which kiosks lost uploads, and whether each has sent them again, the centre can tell
    from the mark (each kiosk's newest upload noted) and what it receives: the warning
    lists those yet to, and once each has sent again a scan from before the failure, it
    clears itself, recorded in the audit log as the centre's. A kiosk's new scans are not
    that; a kiosk that lost nothing is not waited for."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    night, day = now - dt.timedelta(hours=8), now - dt.timedelta(hours=3)
    key = tmp_path / "central-backlog.key"  # the mark is beside it
    url = database_url(engine, tmp_path)
    kiosks = ("kiosk-a", "kiosk-b", "kiosk-c")
    with open_storage(url) as storage:
        for kiosk in kiosks:
            storage.add_checkpoint("CP-" + kiosk, "CP-" + kiosk)
            storage.add_kiosk(kiosk, "CP-" + kiosk, kiosk, uuid.uuid4().hex)
            store(storage, kiosk, scans(kiosk, night, range(3)), night)
    backup = backup_of(url, tmp_path)  # last night's copy
    lost = {k: scans(k, day - dt.timedelta(minutes=5), range(10, 13)) for k in kiosks[:2]}
    with open_storage(url) as storage:  # the day: kiosk-c was switched off
        for kiosk, entries in lost.items():
            store(storage, kiosk, entries, day)
        received_mark.note_newest(storage, key)  # serve notes it, then the disk fails

    with open_storage(backup) as storage:  # the copy put back, serve started on it
        facts = received_mark.restored_database(storage, key)
        assert sorted(facts["kiosks"]) == ["kiosk-a", "kiosk-b"]
        received_mark.keep_warning(storage, facts)
        received_mark.follow(storage)  # serve, every minute
        assert received_mark.warning(storage)["waiting"] == ["kiosk-a", "kiosk-b"]

        later = dt.datetime.now(dt.UTC)
        store(storage, "kiosk-a", scans("kiosk-a", later, range(20, 22)), later)  # new scans
        store(storage, "kiosk-c", scans("kiosk-c", later, range(20, 22)), later)
        received_mark.follow(storage)
        assert received_mark.warning(storage)["waiting"] == ["kiosk-a", "kiosk-b"]

        resent = dt.datetime.now(dt.UTC)  # kiosk sync resend --since …, kiosk sync push
        assert store(storage, "kiosk-a", lost["kiosk-a"], resent) == ["accepted"] * 3
        received_mark.follow(storage)
        assert received_mark.warning(storage)["waiting"] == ["kiosk-b"]
        assert audit.records(storage, limit=10, kind=received_mark.ACKNOWLEDGED) == []

        store(storage, "kiosk-b", lost["kiosk-b"], resent)
        assert received_mark.warning(storage)["waiting"] == ["kiosk-b"]  # till serve looks
        received_mark.follow(storage)
        assert received_mark.warning(storage) is None
        received_mark.follow(storage)  # once: nothing more to acknowledge
        (logged,) = audit.records(storage, limit=10, kind=received_mark.ACKNOWLEDGED)
        assert (logged.actor, logged.channel) == (received_mark.CENTRE, "serve")
        assert logged.subject.startswith(f"uploads received until {facts['newest']}, ")


def test_a_mark_noted_before_the_kiosks_times_leaves_the_warning_to_an_administrator(
        tmp_path: Path) -> None:
    """A mark from before each kiosk's time was noted names no kiosk: the warning stays,
    as before, until an administrator acknowledges it."""
    with open_storage(database_url("sqlite", tmp_path)) as storage:
        received_mark.keep_warning(storage, FACTS)  # serve of an older version kept it
        received_mark.follow(storage)
        assert received_mark.warning(storage)["waiting"] == []
        assert received_mark.acknowledge(storage, Actor("admin1", "web", None)) is not None
        assert received_mark.warning(storage) is None
