"""A damaged, misplaced or full store: exit 3 with the reason, never a traceback, never a
scan shown as accepted; ``kiosk store recover`` saves what can be read and keeps the file.

Real store files damaged the way a failing disk does it (pages overwritten in the middle),
real `kiosk` processes.
"""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk import app as app_module
from kiosk.app import Kiosk, said_once
from kiosk.messages import Words, both
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan, Status
from kiosk.store import CHECKED_AT, RUNNING_SINCE, Store, StoreError
from tests.conftest import CCCD_AN, CCCD_BINH, make_config
from tests.devices_support import wait_until

ENTRIES = 3000
"""How the kiosk's hourly maintenance ends a line it says once while the store refuses."""


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def write_config(tmp_path: Path, store: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                    f'[store]\npath = "{store}"\n', encoding="utf-8")
    return path


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A store of 3,000 entries with 8 of the entries table's leaf pages (rows, not the
    b-tree's inner pages or the indexes) overwritten in the middle; the config path. Which
    pages hold what depends on the random entry ids, so the pages are looked up, not guessed:
    the indexes stay whole, so every lost entry is still known by its id and counted."""
    return store_with_damage(tmp_path, middle_leaves_of_entries)


def middle_leaves_of_entries(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        leaves = [n for (n,) in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'entries' AND pagetype = 'leaf' "
            "ORDER BY pageno")]
    middle = len(leaves) // 2
    return leaves[middle - 4:middle + 4]


@pytest.fixture
def wrecked(tmp_path: Path) -> Path:
    """The same store with every page but the first (the header and schema) overwritten, so
    whatever a command reads is damaged: which pages 8 damaged ones are depends on how the
    b-trees happened to be laid out, and a command that never reads them rightly succeeds."""
    return store_with_damage(tmp_path, every_page_but_the_first)


def every_page_but_the_first(db: Path) -> list[int]:
    return list(range(2, db.stat().st_size // page_size(db) + 1))


def page_size(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA page_size").fetchone()[0]


def store_with_damage(tmp_path: Path, where: Callable[[Path], list[int]]) -> Path:
    """A store of 3,000 entries whose pages ``where(file)`` (numbered from 1, SQLite's way)
    are overwritten as a failing disk does; the config path."""
    overwrite_pages(store_with_entries(tmp_path), where)
    return write_config(tmp_path, "kiosk.db")


def store_with_entries(tmp_path: Path) -> Path:
    """``kiosk.db`` in ``tmp_path`` with 3,000 entries, all in the main file (no log)."""
    db = tmp_path / "kiosk.db"
    store = Store(db)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1",
                                      duplicate_policy="allow"))
    for i in range(ENTRIES):
        pipeline.submit(Scan(payload=f"0010990{i:05d}|123456789|Nguyễn Văn An|01021990|Nam|"
                                     f"Số {i} Phố Huế, Hà Nội|10102021".encode(),
                             device_id="d1", lane="in"))
    with store.lock:  # the upkeep thread may be moving names on this connection: a
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # checkpoint inside it fails
    store.close()
    return db


def overwrite_pages(db: Path, where: Callable[[Path], list[int]]) -> None:
    """What a failing disk does: the pages ``where(db)`` (numbered from 1) overwritten."""
    size = page_size(db)
    with open(db, "r+b") as f:
        for number in where(db):
            f.seek(size * (number - 1))
            f.write(b"\xde\xad\xbe\xef" * (size // 4))


def test_reading_commands_on_a_damaged_store_exit_3_with_the_reason_not_a_traceback(
        wrecked: Path) -> None:
    for command in (["entries"], ["stats"], ["export", "-o", "/dev/null"], ["sync", "status"]):
        proc = kiosk(wrecked, *command)
        assert proc.returncode == 3, (command, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert "store error: " in proc.stderr


def test_a_scan_into_a_damaged_store_is_not_shown_accepted(damaged: Path) -> None:
    proc = kiosk(damaged, "scan", CCCD_BINH)
    assert proc.returncode == 3
    assert "ACCEPTED" not in proc.stdout
    assert "kiosk store recover" in proc.stderr
    headless = kiosk(damaged, "run", "--headless", "--until-done")
    assert headless.returncode == 3 and "kiosk store recover" in headless.stderr


def root_page_of(name: str) -> Callable[[Path], list[int]]:
    def where(db: Path) -> list[int]:
        with sqlite3.connect(db) as conn:
            return [conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                 (name,)).fetchone()[0]]
    return where


@pytest.mark.parametrize("btree", ["presence", "entries_person", "search_words"])
def test_damage_a_scan_meets_while_writing_refuses_it_and_every_scan_after_in_words(
        tmp_path: Path, btree: str) -> None:
    """The daily check has not run yet when a scan's write reads or writes a damaged page
    (the person's ``presence`` row, their entries, the names' index): SQLite says "database
    disk image is malformed", English an officer cannot act on. The scan is refused in the
    damage's own words, with what to do; and the store refuses every write from then on, as
    the daily check's finding does, so the strip does not read READY between refused scans
    (a scan of someone else, whose pages are whole, would be recorded in a damaged file)."""
    db = tmp_path / "kiosk.db"
    store = Store(db)
    policy = Policy(checkpoint_id="CP1", kiosk_id="k1", duplicate_policy="allow")
    pipeline = Pipeline(store, policy)
    for _ in range(3):
        assert pipeline.submit(Scan(payload=CCCD_AN.encode(), device_id="d1", lane="in")
                               ).recorded
    store.close()
    overwrite_pages(db, root_page_of(btree))
    store = Store(db)
    try:
        pipeline = Pipeline(store, policy)
        refused = pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1",
                                       lane="in"))
        assert not refused.recorded and refused.reason_code == "storage_error"
        damaged = both("store.damaged", path=db)
        assert refused.reason_in("en").endswith(damaged.split(" / ")[1])
        assert "malformed" not in refused.reason_in("vi")
        assert "kiosk store recover" in refused.reason_in("vi")
        assert store.not_recording() is not None
        assert store.not_recording().code == "store.damaged"
        later = pipeline.submit(Scan(payload=CCCD_AN.encode(), device_id="d1", lane="in"))
        assert not later.recorded and store.refusal().code == "store.damaged"
    finally:
        store.close()


def test_damage_found_is_said_in_vietnamese_without_sqlites_findings(damaged: Path,
                                                                      tmp_path: Path) -> None:
    """What ``PRAGMA quick_check`` found ("*** in database main *** Tree 5 page 9 …") is
    SQLite's English for a specialist: a Vietnamese kiosk's technician reads that the file
    is damaged and what to do; ``kiosk -v`` logs the findings."""
    damaged.write_text(damaged.read_text().replace('language = "en"', 'language = "vi"'))
    path = tmp_path / "kiosk.db"
    said = (f"lỗi kho dữ liệu: {path}: SQLite thấy các trang của tệp bị hỏng\nTệp dữ liệu "
            "bị hỏng. Dừng trạm, rồi chạy: kiosk store recover (giữ lại tệp hỏng)\n")
    for command in (["store", "check"], ["scan", CCCD_BINH]):
        proc = kiosk(damaged, *command)
        assert proc.returncode == 3 and proc.stderr == said, command
    logged = kiosk(damaged, "-v", "store", "check")
    assert "*** in database main ***" in logged.stderr and logged.stderr.endswith(said)
    # The running kiosk checks beside its scans, as daily: its last words are the refusal.
    running = kiosk(damaged, "run", "--headless", "--until-done")
    refusal = Words("store.damaged", {"path": path})("vi")
    assert running.returncode == 3
    assert running.stderr.endswith(f"lỗi kho dữ liệu: {refusal}\ntrạm đã dừng\n")


def test_store_check_reads_the_whole_file_and_names_the_damage(damaged: Path,
                                                                 tmp_path: Path) -> None:
    proc = kiosk(damaged, "store", "check")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"store error: {tmp_path / 'kiosk.db'}: ")
    assert "kiosk store recover" in proc.stderr
    sound = write_config(tmp_path, "sound.db")
    assert kiosk(sound, "scan", CCCD_BINH).returncode == 0
    proc = kiosk(sound, "store", "check")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"The store {tmp_path / 'sound.db'} is sound: all ")


def test_a_check_of_the_last_day_vouches_for_the_file_and_damage_found_withdraws_it(
        tmp_path: Path) -> None:
    """``kiosk scan`` reads the whole file only when no check found it sound within the
    last day (the running kiosk checks daily): a stamp in the future (the clock went
    back) or a day old vouches for nothing, and a check that finds damage removes it."""
    db = store_with_entries(tmp_path)
    store = Store(db)
    now = 1_800_000_000.0
    assert not store.verified_recently(now)  # never checked
    assert store.verify(now) is None
    assert store.verified_recently(now + 3600)
    assert not store.verified_recently(now + 24 * 3600)
    assert not store.verified_recently(now - 60)
    assert store.verify() is None  # sound now: `kiosk scan` would trust it for a day
    store.close()
    overwrite_pages(db, middle_leaves_of_entries)
    config = write_config(tmp_path, "kiosk.db")
    assert kiosk(config, "store", "check").returncode == 3
    reopened = Store(db, read_only=True)
    assert reopened.meta(CHECKED_AT) == {}
    reopened.close()
    proc = kiosk(config, "scan", CCCD_BINH)
    assert proc.returncode == 3 and "ACCEPTED" not in proc.stdout


def checked_at(db: Path) -> str | None:
    """The file's whole-file check stamp, read by a connection of its own."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (CHECKED_AT,)).fetchone()
    return row[0] if row else None


def test_a_start_after_a_clean_stop_within_a_day_of_a_check_reads_no_whole_file(
        tmp_path: Path) -> None:
    """After a clean stop, with a check less than a day old vouching for the file, the
    start reads none of it (no crash: the fast start is safe): its stamp stays as it was,
    and the daily check goes on from it."""
    store_with_entries(tmp_path)
    first = Kiosk(make_config(tmp_path))
    first.maintain()  # the check this first start owes (never checked): it stamps the file
    first.stop()  # cleanly
    stamp = checked_at(tmp_path / "kiosk.db")
    assert stamp is not None
    second = Kiosk(make_config(tmp_path))
    try:
        second.maintain()  # what its maintenance thread does first
        assert checked_at(tmp_path / "kiosk.db") == stamp
        assert second.start_checked.is_set()  # none was owed
    finally:
        second.stop()


def test_after_a_kill_the_start_checks_the_whole_file_before_the_first_scan(
        tmp_path: Path) -> None:
    """A power cut or a kill (the kiosk's clean stop never ran) is what damages pages, so
    the next start checks the whole file even with a stamp minutes old — inside ``Kiosk()``,
    before its first scan is written (beside scans is not safe then: a damaged free list
    lets scans commit over other rows, see the free-list test below)."""
    db = store_with_entries(tmp_path)
    config = write_config(tmp_path, "kiosk.db")
    killed = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--headless",
                               "--config", str(config)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: checked_at(db) is not None, timeout=60, what="its start's check")
    finally:
        killed.kill()  # SIGKILL: as a power cut, nothing of its stop runs
        killed.wait()
    stamp = checked_at(db)
    running = Kiosk(make_config(tmp_path))
    try:
        assert checked_at(db) != stamp  # checked inside the start, before it returned
        assert running.start_checked.is_set()  # nothing left owed for the background
        result = running.pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1",
                                              lane="in"))
        assert result.status is Status.ACCEPTED
    finally:
        running.stop()
    assert run_marks(db) == {}  # stopped cleanly
    again = Kiosk(make_config(tmp_path))  # stopped cleanly, its check done: nothing owed
    assert again.start_checked.is_set()
    again.stop()


def run_marks(db: Path) -> dict[str, str]:
    """The kiosk runs' marks left on the file, read by a connection of its own."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT key, value FROM meta WHERE key LIKE ?",
                                 (RUNNING_SINCE + "%",)).fetchall())


def killed_run(db: Path) -> dict[str, str]:
    """A kiosk run on ``db`` cut short (a power cut: its mark left set); the marks."""
    store = Store(db)
    store.begin_run()
    store.close()  # no end_run: as a kill
    return run_marks(db)


def test_after_a_kill_a_damaged_file_is_refused_at_start_as_before(tmp_path: Path) -> None:
    """Pages overwritten, the run before killed: ``Kiosk()`` checks before its first scan
    and does not start on the file (a StoreError in words: exit 3, or the screen's
    message), writing nothing to it — not even its own run's mark."""
    db = store_with_entries(tmp_path)
    marks = killed_run(db)
    overwrite_pages(db, middle_leaves_of_entries)
    with pytest.raises(StoreError) as refused:
        Kiosk(make_config(tmp_path))
    assert refused.value.words.code == "store.failed"
    assert refused.value.words.params["detail"] == Words("sqlite.damaged")
    assert run_marks(db) == marks


def free_list_naming_a_live_page(db: Path) -> None:
    """The damage a power cut most likely leaves: the free list's next page handed out is
    a live leaf of ``entries`` (a page freed, then reused, its free-list entry not yet
    written away). SQLite reads no damaged page to take it: a write goes through."""
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE spare (v TEXT)")  # pages to free: a free list
        conn.executemany("INSERT INTO spare VALUES (?)", [("y" * 200,)] * 2000)
        conn.commit()
        conn.execute("DROP TABLE spare")
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        [live, *_] = [n for (n,) in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'entries' AND pagetype = 'leaf' "
            "ORDER BY pageno LIMIT 6 OFFSET 5")]
    size = page_size(db)
    with open(db, "r+b") as f:
        f.seek(32)
        trunk = int.from_bytes(f.read(4), "big")
        f.seek((trunk - 1) * size + 4)
        leaves = int.from_bytes(f.read(4), "big")
        f.seek((trunk - 1) * size + 8 + 4 * (leaves - 1))  # the last is handed out first
        f.write(live.to_bytes(4, "big"))


def test_after_a_power_cut_a_free_list_naming_a_live_page_is_refused_before_any_scan(
        tmp_path: Path) -> None:
    """Why the check after an unclean stop cannot run beside scans: a free list naming a
    live page lets a scan's write commit over other rows (each shown "accepted"; the
    entries table then counts rows that were never scanned), and only a check before any
    write finds it whole. ``Kiosk()`` refuses the file, nothing written to it."""
    db = store_with_entries(tmp_path)
    marks = killed_run(db)
    free_list_naming_a_live_page(db)
    counts = "SELECT (SELECT count(*) FROM entries), (SELECT count(*) FROM meta)"
    with sqlite3.connect(db) as conn:
        before = conn.execute(counts).fetchone()
    with pytest.raises(StoreError) as refused:
        Kiosk(make_config(tmp_path))
    assert refused.value.words.code == "store.failed"
    assert refused.value.words.params["detail"] == Words("sqlite.damaged")
    assert run_marks(db) == marks
    with sqlite3.connect(db) as conn:
        assert conn.execute(counts).fetchone() == before


def test_a_second_run_stopping_cleanly_leaves_the_first_runs_mark(tmp_path: Path) -> None:
    """Each run marks the file with a token of its own: a second kiosk on the same file
    (a ``--until-done`` replay beside the screen's run) that stops cleanly clears only its
    own mark; the first run, then cut by a power cut, is seen as such by the next start."""
    db = tmp_path / "kiosk.db"
    first, second = Store(db), Store(db)
    try:
        assert first.begin_run()  # nothing before it
        assert not second.begin_run()  # the first's mark: not a clean stop to this one
        assert len(run_marks(db)) == 2
        second.end_run()
        assert list(run_marks(db)) == [first.run_token]
    finally:
        second.close()
        first.close()  # no end_run: a power cut
    after = Store(db)
    try:
        assert after.run_left_marked()
        assert not after.begin_run()
        after.end_run()
        assert list(run_marks(db)) == [first.run_token]  # the cut run's mark stays
    finally:
        after.close()


def test_the_start_checking_after_a_cut_clears_ended_runs_marks_not_a_going_ones(
        tmp_path: Path) -> None:
    """The start that checked the file sound after a cut clears the marks of runs that have
    ended (another boot's, a process gone); a run still going keeps its mark (its own stop
    clears it; cut, the next start checks)."""
    db = store_with_entries(tmp_path)
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    going = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        store = Store(db)
        try:
            store.set_meta({f"{RUNNING_SINCE}.going": f"2026-12-05T00:00:00Z boot {boot} "
                                                      f"pid {going.pid}",
                            f"{RUNNING_SINCE}.other-boot": "2026-12-04T00:00:00Z boot "
                                                           f"x{boot} pid {going.pid}",
                            RUNNING_SINCE: "2026-12-03T00:00:00.000000Z"})  # older kiosk's
        finally:
            store.close()
        running = Kiosk(make_config(tmp_path))
        try:
            assert running.start_checked.is_set()  # checked before it returned
            assert sorted(run_marks(db)) == sorted([f"{RUNNING_SINCE}.going",
                                                    running.store.run_token])
        finally:
            running.stop()
        assert list(run_marks(db)) == [f"{RUNNING_SINCE}.going"]
    finally:
        going.kill()
        going.wait()


def test_damage_the_start_check_finds_beside_scans_refuses_the_next_scan_in_words(
        tmp_path: Path) -> None:
    """A file never checked (or after a power cut) with pages a failing disk overwrote: the
    kiosk starts all the same (its window at once), the check at start finds the damage in
    the background, and from then on every scan is "cannot save" with the damaged store's
    words, as when the daily check finds it."""
    db = store_with_entries(tmp_path)
    overwrite_pages(db, middle_leaves_of_entries)
    running = Kiosk(make_config(tmp_path))
    try:
        running.start()
        wait_until(lambda: running.store.refusing is not None, timeout=60,
                   what="the start's check")
        result = running.pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1",
                                              lane="in"))
    finally:
        running.stop()
    assert result.status is Status.REJECTED and not result.recorded
    assert result.reason_in("en").endswith(Words("store.damaged", {"path": db})("en"))
    assert result.reason_in("vi").endswith(Words("store.damaged", {"path": db})("vi"))


def test_the_running_kiosk_checks_daily_and_damage_found_stops_it_recording(
        tmp_path: Path) -> None:
    """The kiosk found the file sound at start; when that check is a day old its maintenance
    reads the file again, finds the pages a failing disk overwrote meanwhile, and from then
    on every scan is "not recorded" (storage_error), none "accepted"."""
    db = store_with_entries(tmp_path)
    running = Kiosk(make_config(tmp_path))  # sound
    running.store.set_meta({CHECKED_AT: "2026-01-01T00:00:00.000000Z"})  # long ago
    overwrite_pages(db, middle_leaves_of_entries)
    running.start()
    try:
        wait_until(lambda: running.store.refusing is not None, what="the daily check")
        result = running.pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1",
                                              lane="in"))
        assert result.status is Status.REJECTED and result.reason_code == "storage_error"
    finally:
        running.stop()


def test_damage_the_daily_check_finds_is_worded_for_the_officer_and_detailed_in_the_log(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """What the status strip shows (the store's refusal) and every refused scan's card
    says: the store is damaged, nothing is recorded, what to do, in the screen's language;
    SQLite's own findings ("Page 471: btreeInitPage() returns error code 11") go to
    the log, for whoever mends the file."""
    db = store_with_entries(tmp_path)
    running = Kiosk(make_config(tmp_path))
    running.store.set_meta({CHECKED_AT: "2026-01-01T00:00:00.000000Z"})  # long ago
    overwrite_pages(db, middle_leaves_of_entries)
    caplog.set_level(logging.ERROR, logger="kiosk.app")
    running.start()
    try:
        wait_until(lambda: running.store.refusing is not None, what="the daily check")
        refusal = running.store.refusal()
        result = running.pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1",
                                              lane="in"))
    finally:
        running.stop()
    assert refusal is not None
    assert refusal("en") == (
        f"{db}: the store file is damaged (found by the whole-file check, or by a write); no "
        "scan is recorded. Call the technician: stop the kiosk, then run kiosk store recover "
        "(the damaged file is kept); use the paper list meanwhile")
    assert refusal("vi") == (
        f"{db}: tệp kho dữ liệu bị hỏng (thấy khi kiểm tra toàn bộ tệp, hoặc khi ghi); không "
        "ghi được lượt quét nào. Gọi kỹ thuật viên: dừng trạm, rồi chạy kiosk store recover "
        "(giữ lại tệp hỏng); trong lúc chờ hãy ghi vào sổ giấy")
    assert result.reason_in("en").endswith(refusal("en"))
    [logged, purge] = [r for r in caplog.records if r.name == "kiosk.app"]  # check first
    assert purge.getMessage() == said_once("app.log.purge_not_run",
                                           reason=Words("store.damaged", {"path": db}))
    assert logged.getMessage().startswith(
        "kho dữ liệu bị hỏng, không ghi được lượt quét nào nữa; dừng trạm rồi chạy kiosk "
        "store recover. SQLite thấy: ")
    assert " / store damaged, no scan is recorded any more; stop the kiosk and run kiosk " \
        "store recover. SQLite found: " in logged.getMessage()
    assert "btreeInitPage() returns error code 11" in logged.getMessage()
    assert "btreeInitPage" not in refusal("en") + refusal("vi")


def test_a_purge_and_check_of_a_store_deleted_under_the_kiosk_log_one_line_each(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``rm kiosk.db*`` under the running kiosk, its whole-file check a day old: the hourly
    purge and the check each log one line saying why they did not run (no traceback: a
    technician reading the journal sees the cause, not a crash), open nothing (no empty
    store made where the file was), and scans go on being refused in words. The check
    comes first: a long purge must not put off a check the start owes."""
    running = Kiosk(make_config(tmp_path))
    path = running.config.store_path
    running.store.set_meta({CHECKED_AT: "2026-01-01T00:00:00.000000Z"})  # long ago
    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
        path.with_name(name).unlink(missing_ok=True)
    caplog.set_level(logging.INFO, logger="kiosk.app")
    running.start()
    try:
        wait_until(lambda: len([r for r in caplog.records if r.name == "kiosk.app"]) >= 2,
                   what="the purge and the check")
        result = running.pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1",
                                              lane="in"))
    finally:
        running.stop()
    gone = Words("store.gone", {"path": path})
    assert [(r.levelno, r.getMessage(), r.exc_info) for r in caplog.records
            if r.name == "kiosk.app"] == [
        (logging.ERROR, said_once("app.log.check_not_run", reason=gone), None),
        (logging.ERROR, said_once("app.log.purge_not_run", reason=gone), None)]
    assert next(r for r in caplog.records if r.name == "kiosk.app").getMessage() == (
        f"không kiểm tra được toàn bộ tệp kho dữ liệu: {gone('vi')} (chạy lại mỗi giờ; "
        "không ghi lại vào nhật ký khi việc này còn nguyên) / store check not run: "
        f"{gone('en')} (run again every hour; not logged again while this stands)")
    assert result.reason_code == "storage_error" and not result.recorded
    assert not path.exists()


def test_damage_found_by_the_hourly_check_is_said_once_not_every_hour(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Damage stops the store for good, and the file is read again every hour (its check
    never vouches for it again): the damage, and the purge it refuses, are each said once,
    not in a line every hour over a weekend."""
    db = store_with_entries(tmp_path)
    running = Kiosk(make_config(tmp_path))
    running.store.set_meta({CHECKED_AT: "2026-01-01T00:00:00.000000Z"})  # long ago
    overwrite_pages(db, middle_leaves_of_entries)
    caplog.set_level(logging.INFO, logger="kiosk.app")
    try:
        for _ in range(3):
            running.maintain()
    finally:
        running.stop()
    errors = [r.getMessage() for r in caplog.records
              if r.name == "kiosk.app" and r.levelno >= logging.ERROR]
    assert len(errors) == 2, errors
    assert errors[0].startswith("kho dữ liệu bị hỏng, không ghi được lượt quét nào nữa")
    assert "btreeInitPage() returns error code 11" in errors[0]
    assert errors[0].endswith(" (run again every hour; not logged again while this stands)")
    assert errors[1] == said_once("app.log.purge_not_run",
                                  reason=Words("store.damaged", {"path": db}))


def test_a_store_file_gone_before_the_start_check_is_closed_not_left_open(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file deleted just after the kiosk opened it, before its check at start (an
    ``rm`` at that moment): the kiosk does not start, says why, and closes the store it
    opened (its connection held the deleted file, and its upkeep thread ran on)."""
    opened: list[Store] = []

    class DeletedOnceOpened(Store):
        """The kiosk's store, its files removed the moment it has opened them."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)
            for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
                (tmp_path / name).unlink(missing_ok=True)

    monkeypatch.setattr(app_module, "Store", DeletedOnceOpened)
    with pytest.raises(StoreError) as refused:
        Kiosk(make_config(tmp_path))
    assert refused.value.words.code == "store.gone"
    [store] = opened
    with pytest.raises(sqlite3.ProgrammingError, match="closed database"):
        store.conn.execute("SELECT 1")
    assert not (tmp_path / "kiosk.db").exists()


def test_recover_saves_what_can_be_read_keeps_the_damaged_file_and_reports(
        damaged: Path, tmp_path: Path) -> None:
    proc = kiosk(damaged, "store", "recover")
    assert proc.returncode == 0, proc.stderr
    (kept,) = tmp_path.glob("kiosk.db.damaged-*Z")
    assert kept.stat().st_size > 0
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        saved = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    assert 0 < saved < ENTRIES
    lost = ENTRIES - saved
    assert (f"Saved {saved:,} entries ({saved:,} not yet sent, still to be sent); "
            f"lost {lost:,}.") in proc.stdout
    assert f"Damaged file kept at {kept}" in proc.stdout
    # Every lost entry is listed by id; all were unsent, so none may be called "held by the
    # centre" (an id the damaged outbox index no longer holds is "unknown").
    (listing,) = tmp_path.glob("kiosk.db.lost-*Z.txt")
    lines = listing.read_text(encoding="utf-8").splitlines()[1:]
    states = [line.split("\t")[2] for line in lines]
    assert len(lines) == lost
    # None was ever sent, so none may be called "held by the centre". The outbox index is
    # whole, but reading it checks each entry's state in its row, and the lost rows are the
    # damaged ones: their state is unknown, and the officer is told to ask the centre.
    unknown = "unknown (the outbox index is damaged too)"
    assert set(states) <= {"NOT SENT", unknown}
    assert (f"{states.count('NOT SENT'):,} of the lost entries had not reached the centre"
            in proc.stdout)
    assert (f"{states.count(unknown):,} of the lost entries may not have reached the centre: "
            "their outbox record is damaged too" in proc.stdout) == (unknown in states)
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        saved_ids = {r[0] for r in conn.execute("SELECT id FROM entries")}
    assert not saved_ids & {line.split("\t")[0] for line in lines}
    # What derives from the entries is rebuilt from those saved: the name search finds them
    # all, "inside now" counts them (each entry is another person), nothing lost counted.
    found = kiosk(damaged, "entries", "--search", "nguyen van an", "--all")
    assert found.returncode == 0 and found.stderr == f"{saved} entries\n"
    stats = kiosk(damaged, "stats").stdout.splitlines()
    assert stats[0].split() == ["In", str(saved)]
    assert stats[2].split() == ["Inside", "now", str(saved)]
    after = kiosk(damaged, "scan", CCCD_BINH)
    assert after.returncode == 0 and "ACCEPTED" in after.stdout


def test_recover_of_a_store_in_a_folder_named_with_uri_characters(tmp_path: Path) -> None:
    """A site's folder may be named "Chốt #2" (or hold "?", "%"): SQLite reads a file name
    as a URI, where "#" starts a fragment, so the damaged file was opened at a shorter path
    (an empty database made beside it) and recovery ended in a traceback. It recovers, and
    creates nothing outside the store's folder."""
    folder = tmp_path / "Chốt #2 ?a=%41"
    folder.mkdir()
    overwrite_pages(store_with_entries(folder), middle_leaves_of_entries)
    config = write_config(tmp_path, f"{folder.name}/kiosk.db")
    proc = kiosk(config, "store", "recover")
    assert proc.returncode == 0, proc.stderr
    assert "Saved " in proc.stdout and "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["config.toml", folder.name])
    with sqlite3.connect(folder / "kiosk.db") as conn:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert 0 < conn.execute("SELECT count(*) FROM entries").fetchone()[0] < ENTRIES


def test_recover_of_a_store_too_damaged_to_count_says_so_instead_of_a_number(
        wrecked: Path, tmp_path: Path) -> None:
    proc = kiosk(wrecked, "store", "recover")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Saved 0 entries (0 not yet sent, still to be sent); lost an "
                                  "unknown number (the damaged file can no longer count its "
                                  "entries).")
    (kept,) = tmp_path.glob("kiosk.db.damaged-*Z")
    assert kept.stat().st_size > 0  # nothing thrown away: the wreck is kept for a specialist
    after = kiosk(wrecked, "scan", CCCD_BINH)
    assert after.returncode == 0 and "ACCEPTED" in after.stdout


@pytest.mark.parametrize(("where", "reason"), [
    ("a-folder", "the path is a folder, not a file"),
    ("/proc/kiosk.db", "no such file or folder"),  # nothing can be made there
])
def test_a_store_path_that_cannot_be_a_database_exits_3_with_the_reason(
        tmp_path: Path, where: str, reason: str) -> None:
    if where == "a-folder":
        (tmp_path / where).mkdir()
    config = write_config(tmp_path, where)
    path = tmp_path / where
    for command in (["scan", CCCD_BINH], ["stats"]):
        proc = kiosk(config, *command)
        assert proc.returncode == 3, proc.stderr
        assert proc.stderr == (
            f"store error: {path}: {reason}\nCheck [store] path in the config file and the "
            f"folders along it (see: namei -l {path})\n")


def test_a_full_disk_exits_3_cannot_be_written_not_1_refused(tmp_path: Path) -> None:
    """The file system refuses to grow the store (a size limit on the process, as a full
    disk would): the scan is not recorded and the exit code says "store", not "refused"."""
    import resource
    import signal

    config = write_config(tmp_path, "kiosk.db")
    assert kiosk(config, "scan", CCCD_BINH).returncode == 0

    def no_room() -> None:  # no file may grow past 2 KiB: the write-ahead log cannot
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    filler = "|".join(["079301004567", "", "Trần Thị Bình", "15071985", "Nữ", "x" * 3000,
                       "20052021"])
    held_open = Store(tmp_path / "kiosk.db")  # the running kiosk: its -shm already exists
    try:
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", filler, "--config",
                               str(config)], capture_output=True, text=True, timeout=120,
                              preexec_fn=no_room, stdin=subprocess.DEVNULL)
    finally:
        held_open.close()
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "ACCEPTED" not in proc.stdout
    assert "Storage error, scan NOT recorded" in proc.stdout


def test_a_check_that_cannot_run_to_the_end_is_no_verdict_and_stops_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check SQLite stops half-way (interrupted, or the file busy: another program holds
    it) says so, and neither calls the file damaged nor stops the kiosk recording; the
    last sound check still vouches for the file."""
    from kiosk import store as store_module

    real = store_module.quick_check

    def interrupted(conn: sqlite3.Connection, path: object = "") -> str | None:
        conn.set_progress_handler(lambda: 1, 100)  # SQLite stops the statement: SQLITE_INTERRUPT
        return real(conn, path)

    store = Store(tmp_path / "kiosk.db")
    assert store.verify() is None
    monkeypatch.setattr(store_module, "quick_check", interrupted)
    with pytest.raises(store_module.StoreError, match="could not run"):
        store.verify()
    assert store.refusing is None and store.verified_recently()
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    result = pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1", lane="in"))
    assert result.status is Status.ACCEPTED
    store.close()


def test_a_read_that_fails_once_in_the_check_is_no_damage_and_stops_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk I/O error while the hourly check reads (an SD card's or a network disk's
    hiccup) says nothing about the pages: once taken for damage, the kiosk refused every
    scan on a sound file until a technician ran ``kiosk store recover``. Only SQLite's own
    "damaged" codes are a verdict, as for a scan's write. The failing read is a real one:
    SQLite opening ``/proc/self/mem``, whose first page is never mapped (EIO)."""
    from kiosk import store as store_module

    store = Store(tmp_path / "kiosk.db")
    monkeypatch.setattr(store_module, "read_only_uri",
                        lambda path: "file:/proc/self/mem?mode=ro&immutable=1")

    with pytest.raises(StoreError, match="could not run") as said:
        store.verify()

    assert "the disk reports a read or write error" in str(said.value)
    assert store.refusing is None
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1")).recorded
    store.close()


@pytest.mark.parametrize("lost_at", ["open", "check"])
def test_a_folder_lost_in_the_instant_of_the_check_is_no_damage_and_recording_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lost_at: str) -> None:
    """The hourly check looks at the path, then opens the file (or reads its log): the
    folder replaced by a link loop in between (a network disk's hiccup does the same) made
    SQLite say "unable to open database file", once taken for damage — the kiosk then
    refused every scan until a technician ran ``kiosk store recover`` on a sound file. It
    is the path that cannot be looked at, said in the path's words; once the folder is
    back the next scan is recorded. The loop is put in place at that exact instant."""
    from kiosk import store as store_module
    from tests.store_support import loop_in_place_of, swap

    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1")).recorded
    kept: list[Path] = []
    if lost_at == "open":
        real_uri = store_module.read_only_uri

        def lost_before_open(path: Path) -> str:
            kept.append(loop_in_place_of(data))
            return real_uri(path)

        monkeypatch.setattr(store_module, "read_only_uri", lost_before_open)
    else:
        real_check = store_module.quick_check

        def lost_before_read(conn: sqlite3.Connection, path: object = "") -> str | None:
            kept.append(loop_in_place_of(data))
            return real_check(conn, path)

        monkeypatch.setattr(store_module, "quick_check", lost_before_read)

    with pytest.raises(StoreError) as said:
        store.verify()

    assert "links on the path loop back" in str(said.value)
    assert store.refusing is not None and store.refusing.code != "store.damaged"
    monkeypatch.undo()
    swap(kept[0], data)
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), device_id="d1")).recorded
    assert store.verify() is None
    store.close()


def test_damage_found_as_the_poll_sees_the_folder_back_stands(tmp_path: Path) -> None:
    """The folder is lost for a moment (a network disk's hiccup): the screens' poll says the
    path cannot be looked at. As the poll looks again, the folder back, the sync worker's
    read meets damaged pages and the kiosk's Store is found damaged. The poll then put back
    the refusal standing before the hiccup — none — over the verdict, and scans went into
    the damaged file. The verdict waits for the look (or is kept for the path's return)
    and stands: the next scan is refused. The poll is held as it is about to look (a trace
    of its thread) while the worker's read runs; it goes on once the verdict is in, or
    after 1 s if the verdict waits for it."""
    from kiosk.upkeep import file_identity
    from tests.store_support import loop_in_place_of, swap

    data = tmp_path / "data"
    data.mkdir()
    db = store_with_entries(data)
    kiosk_store = Store(db)
    worker_store = Store(db, create=False, same_as=kiosk_store.identity)
    pipeline = Pipeline(kiosk_store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    overwrite_pages(db, middle_leaves_of_entries)
    kept = loop_in_place_of(data)
    assert kiosk_store.refusal().code == "store.unconfirmed"
    swap(kept, data)  # back: the next poll takes scans again
    about_to_look, go_on = threading.Event(), threading.Event()

    def held_as_it_looks(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is file_identity.__code__ and not go_on.is_set():
            about_to_look.set()
            go_on.wait()

    def poll() -> None:
        sys.settrace(held_as_it_looks)
        kiosk_store.refusal()

    def worker_reads() -> None:  # what SyncWorker._found_damaged and Kiosk.found_damaged do
        with pytest.raises(sqlite3.DatabaseError):
            worker_store.entries()
        kiosk_store.found_damaged()
        worker_store.found_damaged()

    polling = threading.Thread(target=poll)
    polling.start()
    assert about_to_look.wait(timeout=30)
    reading = threading.Thread(target=worker_reads)
    reading.start()
    reading.join(timeout=1)
    go_on.set()
    polling.join()
    reading.join()
    assert kiosk_store.refusal().code == "store.damaged"
    refused = pipeline.submit(Scan(payload=CCCD_AN.encode(), device_id="d1"))
    assert (refused.status, refused.reason_code, refused.recorded) == (
        Status.REJECTED, "storage_error", False)
    worker_store.close()
    kiosk_store.close()


def test_damage_a_write_meets_while_the_path_cannot_be_looked_at_stands_once_it_is_back(
        tmp_path: Path) -> None:
    """A Store written without the kiosk's ``damage_met`` (the sync commands' own, the
    worker run alone) meets damage in a scan's write just as the screens' poll finds the
    path cannot be looked at (a network disk's hiccup): the poll's ``store.unconfirmed``
    stood, the damage was dropped behind it, and once the folder was back the refusal
    standing before the hiccup — none — was put back: READY, and scans whose pages are
    whole went into the damaged file. The damage stands. The write is held as it is about to
    read the person's ``presence`` row (a trace of its thread) while the poll looks."""
    from tests.store_support import loop_in_place_of, swap

    data = tmp_path / "data"
    data.mkdir()
    db = data / "kiosk.db"
    store = Store(db)
    policy = Policy(checkpoint_id="CP1", kiosk_id="k1", duplicate_policy="allow")
    assert Pipeline(store, policy).submit(Scan(payload=CCCD_AN.encode(), device_id="d1")
                                          ).recorded
    store.close()
    overwrite_pages(db, root_page_of("presence"))
    store = Store(db)
    pipeline = Pipeline(store, policy)
    about_to_read, go_on = threading.Event(), threading.Event()
    results: list[object] = []

    def held_as_it_reads(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is Store.last_movement.__code__:
            about_to_read.set()
            go_on.wait()

    def scan() -> None:
        sys.settrace(held_as_it_reads)
        results.append(pipeline.submit(Scan(payload=CCCD_BINH.encode(), device_id="d1")))

    scanning = threading.Thread(target=scan)
    scanning.start()
    assert about_to_read.wait(timeout=30)
    kept = loop_in_place_of(data)
    polling = threading.Thread(target=store.refusal)  # waits for the scan's lock once it
    polling.start()                                   # has said the path is unconfirmed
    wait_until(lambda: store.refusing is not None
               and store.refusing.code == "store.unconfirmed")
    go_on.set()
    scanning.join()
    polling.join()
    swap(kept, data)
    try:
        assert [(r.recorded, r.reason_code) for r in results] == [(False, "storage_error")]
        assert store.refusal() == Words("store.damaged", {"path": db})
        assert store.not_recording() == Words("store.damaged", {"path": db})
    finally:
        store.close()
