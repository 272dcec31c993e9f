"""Listings, searches and exports over many entries: streamed page by page, found through
indexes, written to CSV or XLSX safely; and the retention purge that steps aside for scans.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import pty
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from kiosk import store as store_module
from kiosk import upkeep
from kiosk.payloads.identity import fold_name
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store, unindexed_names
from kiosk.timestamps import today, utc_iso
from kiosk.upkeep import WAL_LIMIT_PAGES
from tests.certificate_support import make_issuer, vaccination
from tests.conftest import CCCD_AN, CCCD_BINH
from tests.sync_support import backlog_rows


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                    'timezone = "Asia/Ho_Chi_Minh"\n[store]\npath = "kiosk.db"\n',
                    encoding="utf-8")
    return path


def kiosk(config: Path, *args: str, **run: object) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", *args, "--config", str(config)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          **run)
    assert proc.returncode == 0, proc.stderr
    return proc


def recorded(tmp_path: Path, scans: list[tuple[str, float]]) -> None:
    """Scans recorded by the real pipeline at the given wall times (days ago, say)."""
    tmp_path.mkdir(exist_ok=True)
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1",
                                      duplicate_policy="allow"))
    for payload, at in scans:
        pipeline.submit(Scan(payload=payload.encode(), lane="in", wall_time=at))
    store.close()


def as_version(version: int, source: Path, target: Path) -> None:
    """``source``'s entries in a store as a program of schema ``version`` left it: the
    tables of the first two migrations, the entries, then the later migrations' own
    backfills up to ``version``."""
    with sqlite3.connect(source) as conn:
        rows = conn.execute(f"SELECT {', '.join(store_module.ENTRY_COLUMNS)} FROM entries"
                            ).fetchall()
    conn = sqlite3.connect(target, isolation_level=None)
    for number, step in enumerate(store_module.MIGRATIONS[:version], start=1):
        step(conn)
        if number == 2:
            conn.executemany(f"INSERT INTO entries ({', '.join(store_module.ENTRY_COLUMNS)}) "
                             f"VALUES ({', '.join('?' * len(store_module.ENTRY_COLUMNS))})",
                             rows)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()


def test_pages_never_lose_or_repeat_rows_that_share_a_time(tmp_path, monkeypatch):
    """2,345 entries where hundreds share each timestamp, read 100 per page: every entry
    comes exactly once, in time order, forwards, backwards and with a limit."""
    monkeypatch.setattr(store_module, "PAGE_ROWS", 100)
    store = Store(tmp_path / "kiosk.db")
    start = time.time() - 3600
    with store.transaction() as conn:
        for i, row in enumerate(backlog_rows(2345, kiosk_id="k1", checkpoint_id="CP1")):
            store.insert_entry(conn, {**row, "scanned_at": utc_iso(start + i // 300)})
    forwards = [(r["scanned_at"], r["id"]) for r in store.iter_entries()]
    assert len(forwards) == len(set(forwards)) == 2345
    assert forwards == sorted(forwards)
    backwards = [(r["scanned_at"], r["id"]) for r in store.iter_entries(newest_first=True)]
    assert backwards == forwards[::-1]
    assert [r["id"] for r in store.iter_entries(limit=250)] == [i for _, i in forwards[:250]]
    assert store.count_entries() == 2345
    store.close()


def test_search_folds_diacritics_and_is_bounded_to_today_unless_asked(config_file, tmp_path):
    """"nguyen" finds "Nguyễn"; someone seen three days ago is found by --all or by a
    period, not by the default (today); --subject finds them over the whole store. The
    command reads "today" by its own clock: a run across the local midnight (17:00 UTC)
    records again on the new day, where An is today's."""
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    for _ in range(2):
        day, now = today(zone), time.time()
        recorded(tmp_path, [(CCCD_AN, now), (CCCD_BINH, now - 3 * 86400)])
        found = kiosk(config_file, "entries", "--search", "nguyen van").stdout
        if today(zone) == day:
            break
    assert "Nguyễn Văn An" in found
    assert kiosk(config_file, "entries", "--search", "tran").stdout == ""
    assert "Trần Thị Bình" in kiosk(config_file, "entries", "--search", "tran", "--all").stdout
    assert "Trần Thị Bình" in kiosk(config_file, "entries", "--subject", "079301004567").stdout


def test_a_person_seen_on_many_days_is_listed_from_one_index_range(tmp_path, monkeypatch):
    """--subject over the whole store: a person seen today, last week and two months ago
    comes in time order, page after page, read from the covering index ``entries_person``
    (no sort), with each entry's sync state as the outbox holds it (acknowledged, rejected,
    sent, pending), the same on a store migrated from v4 as on a new one."""
    monkeypatch.setattr(store_module, "PAGE_ROWS", 3)
    now = time.time()
    visits = [(CCCD_BINH if i % 3 else CCCD_AN, now - i * 5 * 3600) for i in range(30)]
    recorded(tmp_path / "new", visits)
    as_version(4, tmp_path / "new" / "kiosk.db", tmp_path / "kiosk.db")
    store = Store(tmp_path / "kiosk.db")  # migrates v4 → current
    ids = [i for (i,) in store.conn.execute("SELECT id FROM entries ORDER BY scanned_at")]
    store.mark_synced(ids[:20], {ids[20]: "checkpoint unknown", ids[21]: "no"})
    store.mark_sent(ids[22:25])
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    rows = store.entries(subject="079301004567", columns=store_module.LISTING_COLUMNS)
    store.conn.set_trace_callback(None)
    expected = sorted(utc_iso(at) for payload, at in visits if payload == CCCD_BINH)
    assert [r["scanned_at"] for r in rows] == expected  # 20 entries over six days
    assert {r["name"] for r in rows} == {"Trần Thị Bình"}
    assert set(rows[0]) == set(store_module.LISTING_COLUMNS)
    held = dict(store.conn.execute("SELECT scanned_at, sync_state FROM entries "
                                   "WHERE subject_key = 'doc:079301004567'"))
    assert {r["scanned_at"]: r["sync_state"] for r in rows} == held
    assert set(held.values()) == {"acknowledged", "rejected", "sent", "pending"}
    pages = [s for s in statements if s.startswith("SELECT")]
    assert len(pages) == 7
    for sql in pages:
        plan = [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]
        assert "TEMP B-TREE" not in " ".join(plan), plan
        assert plan[0].startswith("SEARCH e USING COVERING INDEX entries_person"), plan
    store.close()


def test_part_of_a_document_number_finds_nothing_and_reveals_nothing(config_file, tmp_path):
    """Searching digits is a lookup of a whole number (as --subject), so probing the hidden
    digits of a masked number one prefix at a time learns nothing; the whole number finds
    the person and still shows it masked."""
    recorded(tmp_path, [(CCCD_AN, time.time())])
    assert kiosk(config_file, "entries", "--search", "0010990").stdout == ""
    whole = kiosk(config_file, "entries", "--search", "001099012345").stdout
    assert "Nguyễn Văn An" in whole and "••••••••2345" in whole
    assert "001099012345" not in whole


def test_xlsx_export_holds_a_formula_as_text_and_survives_control_characters(config_file,
                                                                             tmp_path):
    """Every XLSX text cell is an inline string, never a formula, so shown as it is — no
    apostrophe in front (test_cli.py reads its data type)."""
    evil = "001099012345|123456789|=HYPERLINK(\"http://x\")|01021990|Nam|@SUM(A1)|10102021"
    odd = make_issuer().sign(vaccination(name=("Trần\x01", "Thị Bình")), issued=0,
                             expires=2**31)  # a certificate's name: any country's, any text
    recorded(tmp_path, [(evil, time.time()), (odd, time.time())])
    target = tmp_path / "out.xlsx"
    err = kiosk(config_file, "export", "--format", "xlsx", "-o", str(target)).stderr
    assert "exported 2 entries" in err
    sheet = load_workbook(target, read_only=True)["entries"]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    entries = [dict(zip(header, row, strict=True)) for row in rows]
    assert entries[0]["name"] == "=HYPERLINK(\"http://x\")"
    assert entries[0]["address"] == "@SUM(A1)"
    assert entries[1]["name"] == "Trần Thị Bình"  # minus what XML cannot carry (xlsx.xml_text)
    local = dt.datetime.fromisoformat(entries[1]["scanned_at"]).astimezone(
        ZoneInfo("Asia/Ho_Chi_Minh"))
    assert entries[1]["local_time"] == local.strftime("%Y-%m-%d %H:%M:%S")


def test_every_cell_that_could_start_a_formula_is_defused(config_file, tmp_path):
    """The export checks only the cells that could hold a formula, so each of them is tried
    with one: every free-text column of a stored row starting with = + - @ tab or CR comes
    out with a leading apostrophe; the columns it skips are ones the store refuses such a
    value in at all (CHECK constraints) or that the export computes. (``scanned_at`` is
    checked too, but a period selects stored times, so it is a time here.)"""
    from kiosk.exports import EXPORT_COLUMNS, FORMULA_START, STORED_COLUMNS

    store = Store(tmp_path / "kiosk.db")
    row = next(backlog_rows(1, kiosk_id="k1", checkpoint_id="CP1", long_every=0))
    bound = {"direction", "status", "sync_state"}
    evil = {c: FORMULA_START[i % len(FORMULA_START)] + "cmd|' /C calc'!A0"
            for i, c in enumerate(STORED_COLUMNS) if c not in bound | {"scanned_at"}}
    with store.transaction() as conn:
        store.insert_entry(conn, {**row, **evil, "scanned_at": utc_iso(time.time())})
    for column in bound:
        with pytest.raises(store_module.StoreError, match="CHECK constraint"), \
                store.transaction() as conn:
            conn.execute(f"UPDATE entries SET {column} = '=1+1'")
    store.close()
    target = tmp_path / "out.csv"
    kiosk(config_file, "export", "-o", str(target))
    assert target.read_bytes().startswith(b"\xef\xbb\xbfid,")  # the BOM Excel needs
    with target.open(newline="", encoding="utf-8-sig") as written:
        header, cells = csv.reader(written)
    exported = dict(zip(header, cells, strict=True))
    assert header == list(EXPORT_COLUMNS)
    assert {c: exported[c] for c in evil} == {c: "'" + v for c, v in evil.items()}
    assert not any(v.startswith(FORMULA_START) for v in exported.values())


def test_export_draws_a_progress_bar_only_on_a_terminal(config_file, tmp_path):
    recorded(tmp_path, [(CCCD_AN, time.time()), (CCCD_BINH, time.time())])
    leader, follower = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "export", "--config",
                           str(config_file), "-o", str(tmp_path / "a.csv")],
                          stdout=subprocess.DEVNULL, stderr=follower, timeout=60)
    os.close(follower)
    shown = os.read(leader, 4096).decode()
    os.close(leader)
    assert proc.returncode == 0
    assert "export 100%" in shown and "2/2 entries" in shown
    piped = kiosk(config_file, "export", "-o", str(tmp_path / "b.csv")).stderr
    assert piped == "exported 2 entries\n"


def expired_store(tmp_path: Path, count: int) -> Store:
    """``count`` acknowledged entries from 40 days ago (an earlier boot), ready to purge."""
    store = Store(tmp_path / "kiosk.db")
    start = time.time() - 40 * 86400
    with store.transaction() as conn:
        for i, row in enumerate(backlog_rows(count, kiosk_id="k1", checkpoint_id="CP1")):
            store.insert_entry(conn, {**row, "scanned_at": utc_iso(start + i),
                                      "boot_id": "an-earlier-boot"})
    store.mark_synced([r["id"] for r in store.iter_entries()], {})
    store.index_names()  # their names in the index already: no move left for the upkeep
    store.last_scan = 0.0  # thread to make on the connection while a test traces it
    return store


def test_the_purge_deletes_in_small_transactions_that_grow_with_measured_speed(tmp_path):
    store = expired_store(tmp_path, 3000)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    assert store.purge(retention_days=21) == 3000
    store.conn.set_trace_callback(None)
    steps = [s for s in statements if s == "BEGIN IMMEDIATE"]
    assert len(steps) > 3  # never one long transaction
    # the purge's own connection checkpoints its pages; a scan's commit never starts one
    # while it runs, and afterwards the connection checkpoints as before
    assert "PRAGMA wal_autocheckpoint=0" in statements
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (WAL_LIMIT_PAGES,)
    assert store.count_entries() == 0
    assert store.conn.execute("SELECT count(*) FROM entries_search").fetchone()[0] == 0
    assert store.audit_log()[-1]["action"] == "retention.purge"
    store.close()


def test_the_purge_steps_aside_while_scans_arrive(tmp_path, monkeypatch):
    """A scan was just recorded, so the purge waits for a quiet gap and deletes nothing;
    once the gap has passed, it finishes. (The gap is widened so that a slow machine cannot
    make it pass by accident; it is read afresh at every wait.)"""
    monkeypatch.setattr(store_module, "PURGE_QUIET_SECONDS", 3600)
    monkeypatch.setattr(store_module, "PURGE_MAX_PAUSE_SECONDS", 3600)
    store = expired_store(tmp_path, 500)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in")).recorded
    removed: list[int] = []
    purger = threading.Thread(target=lambda: removed.append(store.purge(retention_days=21)))
    purger.start()
    purger.join(timeout=0.5)
    assert purger.is_alive() and removed == []
    assert store.count_entries(until=utc_iso(time.time() - 21 * 86400)) == 500
    monkeypatch.setattr(store_module, "PURGE_QUIET_SECONDS", 0.01)
    purger.join(timeout=30)
    assert removed == [500]
    store.close()


def test_a_clock_far_off_still_records_finds_and_purges_the_scan(tmp_path):
    """A kiosk clock set to 1960 or 2300 (a flat battery, a typo) must not lose a scan: it is
    recorded, found by name, kept while the running boot's monotonic clock says it is fresh
    (whatever the wall clock says), and purged like any other once acknowledged and old."""
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    past = dt.datetime(1960, 1, 1, tzinfo=dt.UTC).timestamp()
    future = dt.datetime(2300, 1, 1, tzinfo=dt.UTC).timestamp()
    # a card dated after the clock's day is refused as "in the future" (the check goes by
    # the scan's date): An's card, read in 1960, is one issued before then
    an_in_1960 = CCCD_AN.replace("01021990", "01021930").replace("10102021", "01011959")
    results = [pipeline.submit(Scan(payload=payload.encode(), lane="in", wall_time=at))
               for payload, at in ((an_in_1960, past), (CCCD_BINH, future))]
    assert all(r.recorded for r in results)
    assert [r["name"] for r in store.entries(search="an")] == ["Nguyễn Văn An"]
    assert [r["name"] for r in store.entries(search="binh")] == ["Trần Thị Bình"]
    store.mark_synced([r.entry_id for r in results], {})
    assert store.purge(retention_days=21, now=future + 30 * 86400) == 0
    assert store.purge(retention_days=21, now=future + 30 * 86400,
                       now_monotonic_ns=time.monotonic_ns() + 30 * 86400 * 10**9) == 2
    assert store.conn.execute("SELECT count(*) FROM entries_search").fetchone()[0] == 0
    store.close()


def test_names_are_found_whether_still_among_the_latest_or_already_in_the_index(
        tmp_path, monkeypatch):
    """The latest scans' names are read from the entries until the upkeep moves them into
    the full-text index a batch at a time: a search finds the same entries either way, in
    time order both ways, paged and limited, with the names on both sides of the move
    (against the plain definition: every typed word begins a word of the name, diacritics
    aside)."""
    monkeypatch.setattr(store_module, "SEARCH_BATCH_ROWS", 10**6)  # moved here, not in the
    monkeypatch.setattr(upkeep, "CHECKPOINT_QUIET_SECONDS", 3600)  # background meanwhile
    monkeypatch.setattr(store_module, "PAGE_ROWS", 3)
    names = ["Nguyễn Văn An", "Nguyễn Thị Bình", "Trần Văn Nguyên", "Lê Ngọc Ánh",
             "Đặng An Khang", "O'Neil Trần"]
    store = Store(tmp_path / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1",
                                      duplicate_policy="allow"))
    start = time.time() - 3600
    for i in range(23):
        payload = f"{i:012d}||{names[i % len(names)]}|01021990|Nam|Huế|10102021"
        at = start + (i * 7919 % 23) * 60  # written out of time order
        assert pipeline.submit(Scan(payload=payload.encode(), lane="in", wall_time=at)).recorded
        if i == 19:
            assert store.index_names() == 20
    assert store.conn.execute("SELECT count(*) FROM entries_search").fetchone() == (20,)
    assert len(unindexed_names(store.conn)) == 3
    every = store.entries(columns=("id", "name", "scanned_at"))
    for typed in ("nguyen", "ngu", "an", "tran van", "dang", "o neil", "neil", "x"):
        words = re.findall(r"[^\W_]+", fold_name(typed).lower())
        found = [e["id"] for e in sorted(every, key=lambda e: (e["scanned_at"], e["id"]))
                 if all(any(w.startswith(t) for w in re.findall(
                     r"[^\W_]+", fold_name(e["name"]).lower())) for t in words)]
        for newest_first in (False, True):
            expected = found[::-1] if newest_first else found
            for limit in (None, 4):
                got = [e["id"] for e in store.entries(search=typed, newest_first=newest_first,
                                                      limit=limit, columns=("id",))]
                assert got == expected[:limit], (typed, newest_first, limit)
    store.close()


def test_a_long_csv_export_is_cut_into_chunks_for_processes_and_writes_the_same_bytes(
        tmp_path, monkeypatch, caplog):
    """An export longer than a chunk is formatted by worker processes in chunks of
    consecutive times and written in order: byte for byte the file the plain rule gives —
    rows in time order, every cell but the computed local time and the schema-bound words
    defused, quoted where a comma, quote or line break needs it, empty for a missing value,
    local times across a daylight-saving change in a zone 3½ hours off UTC. Entries share
    instants across the chunk boundaries (7 per instant, chunks of 50).

    The worker processes come from a fork server, not forks of the process that exports:
    a fork copies only the forking thread, and a lock another thread held at that moment
    stays held in the child for good (a whole test run once hung on such a child)."""
    from kiosk import exports

    zone = ZoneInfo("America/St_Johns")  # NDT −2:30 → NST −3:30 at 04:30 UTC on 1 Nov 2026
    start = dt.datetime(2026, 11, 1, 4, 0, tzinfo=dt.UTC).timestamp()
    hostile = ["=cmd|' /C calc'!A0", 'Lê "Tý", Hà Nội', "line\nbreak", "\rCR", "\ttab",
               "+1", "-1", "@SUM(A1)", "Nguyễn Thị Ánh 😀", "", "a,b"]
    store = Store(tmp_path / "kiosk.db", timezone=zone)
    with store.transaction() as conn:
        for i, row in enumerate(backlog_rows(700, kiosk_id="k1", checkpoint_id="CP1")):
            if i % 5 == 0:
                row.update(name=hostile[i % len(hostile)],
                           address=hostile[(i + 3) % len(hostile)],
                           device_id=hostile[(i + 5) % len(hostile)])
            store.insert_entry(conn, {**row, "scanned_at": utc_iso(start + (i // 7) * 37.5)})
    bound = {"direction", "status", "sync_state"}
    expected = [",".join(exports.EXPORT_COLUMNS) + "\r\n"]
    for row in store.iter_entries(columns=exports.STORED_COLUMNS, since=utc_iso(start)):
        local = dt.datetime.fromisoformat(row["scanned_at"]).astimezone(zone)
        cells = {**{c: v if c in bound else exports.neutralise(v) for c, v in row.items()},
                 "local_time": local.strftime("%Y-%m-%d %H:%M:%S")}
        line = io.StringIO(newline="")
        csv.writer(line).writerow([cells[c] for c in exports.EXPORT_COLUMNS])
        expected.append(line.getvalue())
    monkeypatch.setattr(exports, "CHUNK_ROWS", 50)
    for workers in (1, 2):
        done: list[int] = []
        out = io.BytesIO()
        with caplog.at_level(logging.WARNING, logger="kiosk.exports"):
            assert exports.write_csv(store, utc_iso(start), None, out, progress=done.append,
                                     workers=workers) == 700
        assert out.getvalue().decode() == "".join(expected)
        assert done[-1] == 700 and len(done) > 700 // 50 - 1  # a chunk at a time
        assert not caplog.records  # the workers did the work: nothing fell back
    # The workers killed after the first chunk (as the kernel kills a process that runs
    # out of memory): the chunks not written yet are formatted by the command itself, and
    # the file is the same.
    # The two exports above ended their pools; a worker of theirs may still be exiting, and
    # would be listed with this export's (or gone when killed: one run failed so).
    deadline = time.monotonic() + 30
    while export_workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    killed: list[int] = []

    def kill_the_workers(count: int) -> None:
        if not killed:
            killed.extend(export_workers())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    out = io.BytesIO()
    with caplog.at_level(logging.WARNING, logger="kiosk.exports"):
        assert exports.write_csv(store, utc_iso(start), None, out, progress=kill_the_workers,
                                 workers=2) == 700
    assert len(killed) == 2
    assert out.getvalue().decode() == "".join(expected)
    assert "formatting the rest here" in caplog.text
    store.close()


def export_workers() -> list[int]:
    """The export's worker processes: the children of this process's multiprocessing fork
    server (the export does not fork this process; a test run has other children, such as
    a PostgreSQL server, that must not be touched)."""
    servers = [pid for pid in children(os.getpid())
               if b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return [pid for server in servers for pid in children(server)]


def children(parent: int) -> list[int]:
    """The processes whose parent is ``parent``, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == parent and fields[0] != "Z":  # not one dead, not yet reaped
            found.append(int(stat.parent.name))
    return found
