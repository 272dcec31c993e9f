"""A kiosk whose uploads are paused for its store (its folder a link loop for a while: the
store takes no writes, so the centre's answers cannot be kept) is alive: it keeps
heartbeating, and tells the centre why it sends nothing, as a code the centre words in its
reader's language. The centre keeps showing it as heard from, lists it on the Kiosks page
and in the daily report's "not scanning" with that reason, and forgets the reason once
uploads go on. A kiosk whose uploads stopped for good (its store file deleted under it) is
alive too: it heartbeats on, saying why, and the centre asks for a technician at once.
Real parts: a kiosk with its store, ``kiosk-central serve`` on SQLite on 127.0.0.1, the
folder swapped as the kiosk's tests of an unreachable store do, the dashboard fetched as a
signed-in user."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk import config as config_mod
from kiosk import messages
from kiosk.app import Kiosk
from kiosk.central import kiosk_rules, reports
from kiosk.central.backends import open_storage
from kiosk.scan import Scan
from kiosk.store import CHECKED_AT, Store
from kiosk.sync import protocol
from kiosk.sync.worker import SyncWorker
from tests.devices_support import wait_until
from tests.store_support import loop_in_place_of, swap
from tests.sync_support import CentralServer, TakingEveryBatch, serving, syncing, write_config
from tests.test_store_damage import every_page_but_the_first, overwrite_pages
from tests.web_support import add_users, signed_in


def person(i: int) -> Scan:
    return Scan(payload=f"{i:012d}||Nguyễn Văn An|01021990|Nam|Huế|10102021".encode(),
                lane="in")


@contextmanager
def kiosk_syncing_to(tmp_path: Path, url: str, token: str) -> Iterator[Kiosk]:
    """A running kiosk ``k-paused`` whose store is ``data/kiosk.db`` (a folder that can be
    swapped), syncing every second to the centre at ``url``."""
    (tmp_path / "data").mkdir()
    path = write_config(tmp_path / "config.toml", kiosk_id="k-paused", server_url=url,
                        token=token, enabled=True, interval_seconds=1, max_backoff_seconds=1)
    path.write_text(path.read_text().replace('path = "kiosk.db"', 'path = "data/kiosk.db"'))
    kiosk = Kiosk(config_mod.load(path))
    with syncing(kiosk):
        yield kiosk


@contextmanager
def kiosk_at_centre(tmp_path: Path) -> Iterator[tuple[Kiosk, CentralServer]]:
    """The kiosk enrolled at a real centre, with an administrator ``admin1`` there."""
    central = CentralServer(tmp_path)
    try:
        token = central.enrol("k-paused", "CP-SYNC")
        add_users(central.db, {"admin1": ("admin", None)})
        with kiosk_syncing_to(tmp_path, central.url, token) as kiosk:
            yield kiosk, central
    finally:
        central.stop()


def kiosk_health(central: CentralServer) -> tuple[str | None, str | None, int | None]:
    """(the kiosk's last contact, its latest report's ``uploads_paused``, its pending) as
    the centre holds them."""
    conn = sqlite3.connect(central.db_path, timeout=30)
    try:
        row = conn.execute(
            "SELECT k.last_seen_at, h.uploads_paused, h.pending FROM kiosks k "
            "LEFT JOIN kiosk_health h ON h.kiosk_id = k.id WHERE k.id = 'k-paused'").fetchone()
    finally:
        conn.close()
    return row[0], row[1], row[2]


def heard_while_stopped(worker: SyncWorker, central: CentralServer, alert: str,
                        reason: str) -> None:
    """Wait for the worker's ``alert`` (uploads paused or stopped), then for the centre to
    hold a heartbeat saying ``reason``, and to hear from the kiosk again after that."""
    wait_until(lambda: worker.state().alert is not None
               and worker.state().alert.code == alert, what=alert)
    stopped_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    wait_until(lambda: kiosk_health(central)[1] == reason,
               what=f"a heartbeat saying {reason}")
    wait_until(lambda: (kiosk_health(central)[0] or "") > stopped_at
               and kiosk_health(central)[1] == reason, what="heartbeats going on")


def part_of_page(central: CentralServer, lang: str, path: str, start: str, end: str) -> str:
    """The page at ``path`` as an administrator reads it in ``lang``, from ``start`` to
    ``end``."""
    with signed_in(central.url, "admin1") as client:
        page = client.get(f"/lang/{lang}", params={"next": path}, follow_redirects=True).text
    at = page.index(start)
    return page[at:page.index(end, at)]


def kiosk_row(central: CentralServer, lang: str) -> str:
    """The kiosk's row of the Kiosks page."""
    return part_of_page(central, lang, "/kiosks", 'id="kiosk-k-paused"', "</tr>")


def today_problems(central: CentralServer, lang: str) -> str:
    """The problems table of the Today page."""
    return part_of_page(central, lang, "/today", 'id="problems"', "</table>")


def not_scanning(central: CentralServer) -> list[tuple[str | None, str]]:
    with open_storage(central.db) as storage:
        report = reports.daily(storage, storage.today())
    return [(row.get("kiosk_id"), row["problem"]) for row in report["not_scanning"]]


def test_a_kiosk_paused_for_its_store_keeps_heartbeating_and_the_centre_says_why(tmp_path):
    """The first scan reaches the centre. The store folder becomes a link loop: the worker
    pauses uploads and sends no batch, but its heartbeats go on (the kiosk's last contact
    moves on) and carry ``uploads_paused: store_unconfirmed``. The Kiosks page flags the
    kiosk with the reason in Vietnamese and in English, and the daily report lists it
    under "not scanning" with it — not as silent. The folder back, the kiosk records
    again, its batch's report clears the reason, and the flag is gone."""
    with kiosk_at_centre(tmp_path) as (kiosk, central):
        worker = kiosk.sync
        assert worker is not None
        first = kiosk.pipeline.submit(person(0))
        wait_until(lambda: worker.state().pending == 0, what="the first scan at the centre")
        assert central.stored_ids("k-paused") == [first.entry_id]
        assert kiosk_health(central)[1] is None

        kept = loop_in_place_of(kiosk.config.store_path.parent)
        heard_while_stopped(worker, central, "sync.store_paused", "store_unconfirmed")
        assert central.stored_ids("k-paused") == [first.entry_id]  # no batch meanwhile

        assert "Máy vẫn chạy nhưng tạm ngừng ghi và gửi: không xác nhận được tệp dữ liệu " \
               "của máy" in kiosk_row(central, "vi")
        english = kiosk_row(central, "en")
        assert "Kiosk alive but not recording or uploading: it cannot confirm its store " \
               "file" in english
        assert "Kiosk silent" not in english
        assert ("k-paused", "uploads_paused_store_unconfirmed") in not_scanning(central)
        assert ("k-paused", "kiosk_silent_24h") not in not_scanning(central)

        swap(kept, kiosk.config.store_path.parent)
        later = kiosk.pipeline.submit(person(1))
        assert later.recorded
        wait_until(lambda: kiosk_health(central)[1] is None
                   and later.entry_id in central.stored_ids("k-paused"),
                   timeout=60, what="uploads going on, the reason cleared")
        assert worker.state().alert is None
        assert "Kiosk alive" not in kiosk_row(central, "en")
        assert all(problem != "uploads_paused_store_unconfirmed"
                   for _, problem in not_scanning(central))


def test_a_kiosk_whose_store_file_is_deleted_keeps_heartbeating_and_the_centre_sends_a_technician(
        tmp_path):
    """The first scan reaches the centre; then the store file is deleted under the running
    kiosk. Uploads stop for good (``sync.store_refused``) and a scan is refused, but the
    heartbeats go on (the kiosk's last contact moves on) and carry ``uploads_paused:
    store_gone``. The Kiosks page flags the kiosk in Vietnamese and in English, saying to
    send a technician now as the kiosk records nothing; the Today page and the daily report
    list it under "not scanning" with that reason — not as silent."""
    with kiosk_at_centre(tmp_path) as (kiosk, central):
        worker = kiosk.sync
        assert worker is not None
        first = kiosk.pipeline.submit(person(0))
        wait_until(lambda: worker.state().pending == 0, what="the first scan at the centre")

        kiosk.config.store_path.unlink()
        heard_while_stopped(worker, central, "sync.store_refused", "store_gone")
        assert not kiosk.pipeline.submit(person(1)).recorded
        assert central.stored_ids("k-paused") == [first.entry_id]  # no batch meanwhile

        vietnamese = ("Máy vẫn chạy nhưng đã ngừng ghi và gửi: tệp dữ liệu của máy bị xoá "
                      "hoặc bị thay. Cử kỹ thuật viên đến ngay: máy không ghi lượt quét nào")
        english = ("Kiosk alive but stopped recording and uploading: its store file was "
                   "deleted or replaced. Send a technician now: the kiosk records no scan")
        assert vietnamese in kiosk_row(central, "vi")
        row = kiosk_row(central, "en")
        assert english in row and "Kiosk silent" not in row
        assert vietnamese in today_problems(central, "vi")
        assert english in today_problems(central, "en")
        assert ("k-paused", "uploads_paused_store_gone") in not_scanning(central)
        assert ("k-paused", "kiosk_silent_24h") not in not_scanning(central)


class TakingHealthOnly(TakingEveryBatch):
    """A centre from before ``uploads-paused``: it lists ``health`` alone, takes every batch
    and keeps each heartbeat's report in ``reports``."""

    reports: list[dict[str, object]]

    def do_GET(self) -> None:
        self._answer({"status": "ok", "protocol": protocol.PROTOCOL_VERSION,
                      "time": protocol.format_time(dt.datetime.now(dt.UTC)),
                      "features": ["health"]})

    def do_POST(self) -> None:
        if self.path != protocol.HEARTBEAT_PATH:
            super().do_POST()
            return
        body = protocol.decode_body(self.rfile.read(int(self.headers["Content-Length"])),
                                    self.headers.get("Content-Encoding"))
        self.reports.append(body["health"])
        self._answer({"received_at": protocol.format_time(dt.datetime.now(dt.UTC)),
                      "clock_offset_seconds": 0})


def test_a_centre_without_the_feature_still_hears_the_paused_kiosk_and_is_sent_no_code(
        tmp_path):
    """A centre listing ``health`` but not ``uploads-paused`` (it would refuse the member as
    unknown) goes on receiving the paused kiosk's heartbeats, the plain report, so it does
    not take the kiosk for silent either."""
    centre = TakingHealthOnly.anew()
    centre.reports = []
    with serving(centre) as url, kiosk_syncing_to(tmp_path, url, "t") as kiosk:
        worker = kiosk.sync
        assert worker is not None
        kiosk.pipeline.submit(person(0))
        wait_until(lambda: worker.state().pending == 0, what="the first scan at the centre")
        loop_in_place_of(kiosk.config.store_path.parent)
        wait_until(lambda: worker.state().alert is not None
                   and worker.state().alert.code == "sync.store_paused", what="uploads paused")
        heard = len(centre.reports)
        wait_until(lambda: len(centre.reports) >= heard + 2, what="heartbeats while paused")
        assert len(centre.batches) == 1
    assert all("uploads_paused" not in report for report in centre.reports), \
        json.dumps(centre.reports)[:300]


def test_each_reason_a_kiosk_gives_is_worded_by_the_centre_and_an_unknown_one_generally():
    """Every refusal of the store that stops uploads goes to the centre as a code, which the
    centre words in its own words in both languages: paused (goes on by itself), or stopped
    for good (gone, log gone, damaged, or a refusal not named yet), these last asking for a
    technician at once. A code the centre does not know (a later kiosk's) is worded
    generally."""
    sent = {refusal: protocol.uploads_paused_code(refusal) for refusal in (
        "store.unconfirmed", "store.gone", "store.log_gone", "store.damaged", "store.later")}
    assert sent == {"store.unconfirmed": "store_unconfirmed", "store.gone": "store_gone",
                    "store.log_gone": "store_log_gone", "store.damaged": "store_damaged",
                    "store.later": "store_refused"}
    for code in sent.values():
        protocol.validate_health({"software_version": "0.1.0", "pending": 0,
                                  "oldest_pending_seconds": None, "rejected": 0,
                                  "devices": [], "free_disk_bytes": None,
                                  "uploads_paused": code})
        problem = kiosk_rules.paused_problem(code)
        assert problem == f"uploads_paused_{code}"
        vi, en = (messages.text(f"web.problem.{problem}", lang) for lang in ("vi", "en"))
        assert vi.startswith("Máy vẫn chạy") and en.startswith("Kiosk alive")
        if code != "store_unconfirmed":
            assert "Cử kỹ thuật viên đến ngay" in vi and "Send a technician now" in en
    assert kiosk_rules.paused_problem("disk_gone") == "uploads_paused"


def test_a_kiosk_whose_store_is_found_damaged_keeps_heartbeating_without_reading_it(tmp_path):
    """Every page of the store file but the first overwritten as a failing disk does, then
    the kiosk's whole-file check (the daily one, in its hourly maintenance) finding it: the
    sync worker's own connection to the file refuses too, so uploads stop for good and the
    heartbeats go on, built from what the worker already knows (the damaged file is not
    read for them), saying ``store_damaged``; the centre asks for a technician with
    ``kiosk store recover``."""
    with kiosk_at_centre(tmp_path) as (kiosk, central):
        worker = kiosk.sync
        assert worker is not None
        kiosk.pipeline.submit(person(0))
        wait_until(lambda: worker.state().pending == 0, what="the first scan at the centre")
        kiosk.store.set_meta({CHECKED_AT: "2026-01-01T00:00:00.000000Z"})  # a day old
        with kiosk.store.lock:
            kiosk.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        overwrite_pages(kiosk.config.store_path, every_page_but_the_first)
        kiosk.maintain()  # the hourly maintenance, its daily check due
        assert kiosk.store.refusing is not None

        heard_while_stopped(worker, central, "sync.store_refused", "store_damaged")
        pushed = worker.push_now()  # the operator insists: said why, nothing read nor sent
        assert pushed.error is not None and pushed.error.code == "sync.store_refused"
        assert pushed.batches == 0
        assert "Cử kỹ thuật viên đến ngay (kiosk store recover): máy không ghi lượt quét " \
               "nào" in kiosk_row(central, "vi")
        assert "Send a technician now (kiosk store recover): the kiosk records no scan" \
               in kiosk_row(central, "en")
        assert ("k-paused", "uploads_paused_store_damaged") in not_scanning(central)


def pages_of(*names: str) -> Callable[[Path], list[int]]:
    """The root pages of the tables or indexes ``names`` in a store file."""
    def where(db: Path) -> list[int]:
        with sqlite3.connect(db) as conn:
            return [conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                 (name,)).fetchone()[0] for name in names]
    return where


def test_a_page_the_sync_worker_reads_found_damaged_between_checks_is_damage_found(tmp_path,
                                                                                   caplog):
    """The pages of the outbox's indexes (what the sync worker counts from each cycle)
    overwritten as a failing disk does, a day's check not due yet: the worker's read fails
    with SQLite's "damaged" result code, which is damage found as the check would find it.
    Its own connection and the kiosk's refuse from now on: the card says the store is
    damaged at once, uploads stop for good and the heartbeats go on saying
    ``store_damaged``. Before, each cycle failed on the same read ("sync worker cycle
    failed") after each backoff until the next daily check, the kiosk taking scans on. The
    worker's error line (shown without ``kiosk -v``) says so in the catalogue's words;
    SQLite's "database disk image is malformed" is on its INFO line (-v) only."""
    caplog.set_level("INFO", logger="kiosk.sync.worker")
    with kiosk_at_centre(tmp_path) as (kiosk, central):
        worker = kiosk.sync
        assert worker is not None
        kiosk.pipeline.submit(person(0))
        wait_until(lambda: worker.state().pending == 0, what="the first scan at the centre")
        wait_until(kiosk.store.verified_recently,  # the start's check done: the next in a day
                   what="the check the kiosk runs as it starts")
        with kiosk.store.lock:
            kiosk.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        overwrite_pages(kiosk.config.store_path, pages_of("entries_pending", "entries_rejected"))
        kiosk.store.set_meta({"touched": "1"})  # a commit: the worker reads the file anew

        heard_while_stopped(worker, central, "sync.store_refused", "store_damaged")
        refusal = kiosk.store.not_recording()
        assert refusal is not None and refusal.code == "store.damaged"
        assert ("k-paused", "uploads_paused_store_damaged") in not_scanning(central)
    said = [(r.levelname, r.getMessage()) for r in caplog.records
            if r.name == "kiosk.sync.worker" and "damaged" in r.getMessage()]
    assert said[0] == ("ERROR", "đồng bộ: tệp dữ liệu của máy bị hỏng, đọc thất bại: SQLite "
                       "thấy các trang của tệp bị hỏng / sync: the store file is damaged, "
                       "reading it failed: SQLite finds the file's pages damaged"), said
    assert said[1][0] == "INFO" and "malformed" in said[1][1], said


def checkpointed(store: Store) -> bool:
    """Whether the store's log went into its file whole (no other connection reading it)."""
    with store.lock:
        return store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0


@contextmanager
def kiosk_with_one_scan(tmp_path: Path) -> Iterator[Kiosk]:
    """A kiosk not started (no background cycle reads first) holding one scan, every page
    of it in the file once the store's own upkeep let go: its pages ready to be damaged."""
    path = write_config(tmp_path / "config.toml", kiosk_id="k-paused",
                        server_url="http://127.0.0.1:9", token="never-used", enabled=True)
    kiosk = Kiosk(config_mod.load(path))
    try:
        assert kiosk.pipeline.submit(person(0)).recorded
        wait_until(lambda: checkpointed(kiosk.store),
                   what="every page in the file, none left newer in the log")
        yield kiosk
    finally:
        kiosk.stop()


def test_a_push_whose_outbox_count_meets_damage_is_damage_found_not_a_read_error(tmp_path):
    """An operator's push (``kiosk sync push``, the sync screen's button, ``run
    --until-done``) counts the outbox first; its pages overwritten as a failing disk does,
    between two daily checks, that count failed with SQLite's "malformed" read error, raised
    to the operator, and the kiosk took scans on into the damaged file. Now it is damage
    found, the one way the background cycle finds it: the worker's connection and the
    kiosk's refuse from now on, and the push answers why it stopped, nothing sent."""
    with kiosk_with_one_scan(tmp_path) as kiosk:
        worker = kiosk.sync
        assert worker is not None
        overwrite_pages(kiosk.config.store_path, pages_of("entries_pending", "entries_rejected"))
        kiosk.store.set_meta({"touched": "1"})  # a commit: the worker reads the file anew

        pushed = worker.push_now()

        assert pushed.batches == 0 and pushed.error is not None
        assert pushed.error.code == "sync.store_refused"
        assert pushed.error.params["detail"].code == "store.damaged"
        assert worker.state().alert == pushed.error
        refusal = kiosk.store.not_recording()  # the card says so at once
        assert refusal is not None and refusal.code == "store.damaged"
        assert not kiosk.pipeline.submit(person(1)).recorded  # nothing into a damaged file
        again = worker.push_now()  # the operator insists: said why, nothing read
        assert again.error == pushed.error and again.batches == 0


def test_damage_a_scans_write_meets_stops_the_sync_workers_connection_at_once(tmp_path):
    """A scan's write reads a damaged page (the person's ``presence`` row) between two daily
    checks: the kiosk's Store refuses from then on, and so, by the same one path as damage
    the check or the worker's reads find (``Kiosk.found_damaged``), does the sync worker's
    own connection at once: it reads nothing more from the file, and uploads stop for the
    damaged store. Before, it learnt only at its own next read of a damaged page, or at the
    next day's check, sending on from the damaged file meanwhile."""
    with kiosk_with_one_scan(tmp_path) as kiosk:
        worker = kiosk.sync
        assert worker is not None
        overwrite_pages(kiosk.config.store_path, pages_of("presence"))
        worker.store.set_meta({"touched": "1"})  # a commit: the kiosk reads the file anew

        refused = kiosk.pipeline.submit(person(0))

        assert not refused.recorded and refused.reason_code == "storage_error"
        assert kiosk.store.refusal().code == "store.damaged"
        said = worker.store.refusal()  # the worker's connection, told at once
        assert said is not None and said.code == "store.damaged"
        pushed = worker.push_now()  # nothing read nor sent: stopped for the damaged store
        assert pushed.error is not None and pushed.error.code == "sync.store_refused"
        assert pushed.error.params["detail"].code == "store.damaged"
        assert pushed.batches == 0
