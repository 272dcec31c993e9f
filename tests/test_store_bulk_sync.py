"""A kiosk holding a large backlog: the sync tools' bulk writes leave the scans room, and
the outbox's counts are read, not walked (review of a 1 M-entry store)."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any

from kiosk.scan import Scan
from kiosk.store import Answered, Store
from tests.conftest import CCCD_AN, CCCD_BINH
from tests.test_store import clocks, refused_by_the_centre


def copied(path: Any, count: int) -> None:
    """The store's one entry copied until it holds ``count``, every one pending (a kiosk
    offline for weeks), written by another connection."""
    conn = sqlite3.connect(path, isolation_level=None)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(entries)") if row[1] != "id"]
    listed = ", ".join(columns)
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO entries (id, {listed}) SELECT ?, {listed} FROM entries "
                     "LIMIT 1", [(f"00000000-0000-7000-8000-{k:012x}",) for k in range(count - 1)])
    conn.execute("COMMIT")
    conn.close()


def test_a_large_answer_is_loaded_in_parts_and_the_scans_between_them_are_recorded(
        make_pipeline):
    """``kiosk sync load-refusals`` of a 1 M-entry answer beside the running kiosk held the
    write lock 33–65 s in one transaction: 39 scans in a row were refused "another program
    holds the database". Applied in parts of ``chunk_rows`` ids, each its own transaction,
    the loader lets go between them (where it reports its progress): a scan made there is
    recorded; and only the entries the answer holds leave the pending set."""
    pipeline = make_pipeline()
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), **clocks())).recorded
    store = pipeline.store
    copied(store.path, 6_000)
    kiosk_id = store.entries()[0]["kiosk_id"]
    waiting = [row["id"] for row in store.pending(10_000)]
    held = [*waiting[:4_500], "00000000-0000-7000-8000-ffffffffffff"]  # the last: purged here
    loader = Store(store.path, create=False)  # the command's own connection
    commits: list[str] = []
    loader.conn.set_trace_callback(lambda sql: sql == "COMMIT" and commits.append(sql))
    seen: list[tuple[int, int]] = []
    scans = []

    def between(done: int, total: int) -> None:
        seen.append((done, total))
        scans.append(pipeline.submit(Scan(payload=CCCD_BINH.encode(), **clocks())))

    try:
        answered = loader.mark_answered(kiosk_id, {waiting[-1]: "refused"}, held,
                                        progress=between, chunk_rows=1_000)
    finally:
        loader.conn.set_trace_callback(None)
        loader.close()

    assert seen == [(1_000, 4_502), (2_000, 4_502), (3_000, 4_502), (4_000, 4_502),
                    (4_501, 4_502)]  # none after the last part
    assert all(scan.recorded for scan in scans) and len(scans) == 5
    assert store.not_recording() is None
    assert len(commits) == 7  # five parts held, one refused, the audit record
    assert answered == Answered(refused=1, acknowledged=4_500, already=0, unknown=1)
    states = dict(store.conn.execute("SELECT id, sync_state FROM entries").fetchall())
    assert {i for i, state in states.items() if state == "acknowledged"} == set(held[:4_500])
    assert states[waiting[-1]] == "rejected"
    assert store.sync_counts() == {"pending": 1_499 + 5, "sent": 0, "acknowledged": 4_500,
                                   "rejected": 1}


def test_an_answer_loaded_again_after_one_cut_short_changes_nothing_more(make_pipeline):
    """A load killed between two parts left those parts acknowledged and no audit record;
    loading the same answer again finishes it: the parts done count as already
    acknowledged, the rest are acknowledged now."""
    pipeline = make_pipeline()
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), **clocks())).recorded
    store = pipeline.store
    copied(store.path, 3_000)
    kiosk_id = store.entries()[0]["kiosk_id"]
    held = [row["id"] for row in store.pending(10_000)]

    class Cut(Exception):
        pass

    def cut(done: int, total: int) -> None:
        raise Cut  # as a kill after the first part

    with contextlib.suppress(Cut):
        store.mark_answered(kiosk_id, {}, held, progress=cut, chunk_rows=1_000)
    assert store.sync_counts()["acknowledged"] == 1_000
    assert not [r for r in store.audit_log() if r["action"] == "sync.load_refusals"]

    again = store.mark_answered(kiosk_id, {}, held, chunk_rows=1_000)
    assert again == Answered(refused=0, acknowledged=2_000, already=1_000, unknown=0)
    assert store.sync_counts() == {"pending": 0, "sent": 0, "acknowledged": 3_000,
                                   "rejected": 0}


def other_kiosks(path: Any, count: int, kiosk_id: str) -> list[str]:
    """``count`` copies of the store's first entry recorded under ``kiosk_id`` (an id the
    kiosk had before it was enrolled), pending; their ids."""
    made = [f"00000000-0000-7000-9000-{k:012x}" for k in range(count)]
    conn = sqlite3.connect(path, isolation_level=None)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(entries)")
               if row[1] not in ("id", "kiosk_id")]
    listed = ", ".join(columns)
    conn.executemany(f"INSERT INTO entries (id, kiosk_id, {listed}) SELECT ?, ?, {listed} "
                     "FROM entries LIMIT 1", [(i, kiosk_id) for i in made])
    conn.close()
    return made


def counted(store: Store) -> dict[str, int]:
    """The outbox's counts as kept, once shown to agree with a count of every entry."""
    assert store.check_counts() == {}
    return {state: n for state, n in store.sync_counts().items() if n}


def test_the_outbox_counts_stay_right_through_every_write_of_the_scans_and_the_sync_tools(
        make_pipeline):
    """The counts the screens poll are kept, not walked (a walk took 1.8–7.5 s at a million
    pending): each write that adds, removes or moves an entry between sync states keeps
    them, whoever makes it — a scan, an export's marks, an upload's answer, a retry, an
    answer loaded from a stick, the purge, a discard of an unenrolled id's entries — and a
    walk of every entry (``kiosk store check``'s) finds them right after each."""
    pipeline = make_pipeline(duplicate_policy="allow")
    store = pipeline.store
    old = clocks(time.time() - 40 * 86400)
    for i in range(6):
        assert pipeline.submit(Scan(payload=f"person-{i}".encode(), **old)).recorded
    mine = [row["id"] for row in store.pending(10)]
    kiosk_id = store.entries()[0]["kiosk_id"]
    assert counted(store) == {"pending": 6}
    assert store.outbox_summary().pending == 6 and store.pending_elsewhere(kiosk_id) == {}

    other_kiosks(store.path, 3, "kiosk-demo")
    assert counted(store) == {"pending": 9}
    assert store.pending_elsewhere(kiosk_id) == {"kiosk-demo": 3}

    assert store.mark_sent(mine[:4]) == 4
    assert counted(store) == {"pending": 5, "sent": 4}
    store.mark_synced(mine[:2], {mine[2]: "refused", mine[4]: "refused"})
    assert counted(store) == {"pending": 4, "sent": 1, "acknowledged": 2, "rejected": 2}
    assert (store.outbox_summary().pending, store.outbox_summary().rejected) == (5, 2)
    assert store.retry_rejected("op") == 2
    assert counted(store) == {"pending": 6, "sent": 1, "acknowledged": 2}
    store.mark_answered(kiosk_id, {mine[5]: "refused"}, [mine[3]])
    assert counted(store) == {"pending": 5, "acknowledged": 3, "rejected": 1}
    assert store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"]) == 3
    assert counted(store) == {"pending": 5, "rejected": 1}
    assert store.discard_unenrolled("kiosk-demo", "technician", "demo scans").count == 3
    assert counted(store) == {"pending": 2, "rejected": 1}
    assert store.pending_elsewhere(kiosk_id) == {}


def test_a_sync_tool_killed_between_its_transactions_leaves_the_counts_right(make_pipeline):
    """``kiosk sync retry-rejected`` (its Store call, in a process of its own, parts of 100)
    killed with SIGKILL part-way, as a power cut would: each part moved its entries and
    their counts in one transaction, so the counts still agree with the entries."""
    pipeline = make_pipeline()
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), **clocks())).recorded
    store = pipeline.store
    refused_by_the_centre(store.path, 3_000)
    retrying = subprocess.Popen(
        [sys.executable, "-c", "import sys; from kiosk.store import Store; "
         "Store(sys.argv[1], create=False).retry_rejected('op', chunk_rows=100)",
         str(store.path)], stdin=subprocess.DEVNULL)
    try:
        while store.sync_counts()["pending"] < 300:
            assert retrying.poll() is None, "the retry ended before it was killed"
            time.sleep(0.005)
        retrying.send_signal(signal.SIGKILL)
        assert retrying.wait(timeout=30) == -signal.SIGKILL
    finally:
        if retrying.poll() is None:
            retrying.kill()
            retrying.wait()

    counts = counted(store)
    assert 300 <= counts["pending"] < 3_000 and counts["pending"] + counts["rejected"] == 3_000


def test_an_older_store_is_counted_as_it_is_migrated(tmp_path, monkeypatch):
    """A v12 store (no kept counts) holding entries in several states: the migration counts
    them once, and the counts are kept from then on."""
    from kiosk import store as store_mod
    from kiosk.store import MIGRATIONS

    path = tmp_path / "kiosk.db"
    with monkeypatch.context() as patch:
        patch.setattr(store_mod, "MIGRATIONS", MIGRATIONS[:12])
        Store(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executemany("INSERT INTO entries (id, checkpoint_id, kiosk_id, device_id, direction, "
                     "status, source, scanned_at, monotonic_ns, boot_id, kind, subject_key, "
                     "payload, sync_state) VALUES (?, 'CP1', ?, 'd', 'in', 'accepted', 'serial', "
                     "'2026-11-01T00:00:00.000000Z', 0, 'b', 'cccd', ?, x'00', ?)",
                     [(f"e{i:03d}", "k1" if i % 5 else "k0", f"s{i}",
                       ("pending", "rejected", "acknowledged")[i % 3]) for i in range(30)])
    conn.close()

    store = Store(path)
    try:
        assert store.schema_version == len(MIGRATIONS)
        assert counted(store) == {"pending": 10, "acknowledged": 10, "rejected": 10}
        assert kept(store)[1] == "e029"  # v14: the counts hold every entry, the mark the last
        assert store.pending_elsewhere("k1") == {"k0": 2}
    finally:
        store.close()


def test_store_check_makes_counts_that_differ_from_the_entries_again(tmp_path):
    """Counts that no longer agree with the entries (a hand edit in sqlite3, a copy pieced
    together): ``kiosk store check`` says which, as kept and as counted, and makes them
    again from the entries; the entries are as they were, and a second check finds
    nothing."""
    from tests.test_cli import kiosk

    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[store]\npath = "kiosk.db"\n', encoding="utf-8")
    kiosk(config, "scan", CCCD_AN)
    kiosk(config, "scan", CCCD_BINH)
    Store(tmp_path / "kiosk.db").close()  # its open folds both scans into the kept counts
    conn = sqlite3.connect(tmp_path / "kiosk.db")
    with conn:
        conn.execute("UPDATE entry_counts SET entries = 12 WHERE sync_state = 'pending'")
        conn.execute("INSERT INTO entry_counts VALUES ('k0', 'rejected', 3)")
    conn.close()

    checked = kiosk(config, "store", "check")
    assert ("The outbox's kept counts differed from the entries in the store (kiosk, state, "
            "kept → counted): k0 rejected 3 → 0; k1 pending 12 → 2; made again from the "
            "entries, no entry changed") in checked.stderr
    assert "is sound" in checked.stdout
    again = kiosk(config, "store", "check")
    assert "kept counts" not in again.stderr
    store = Store(tmp_path / "kiosk.db")
    try:
        assert counted(store) == {"pending": 2}
    finally:
        store.close()


def test_a_recovered_store_counts_the_entries_it_saved(tmp_path):
    """``kiosk store recover`` copies the entries that can be read into a fresh store: the
    counts are made from those, never copied — the damaged file's count entries lost (here
    a kiosk id whose every entry is gone)."""
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.recovery import recover

    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    for i in range(5):
        assert pipeline.submit(Scan(payload=f"person-{i}".encode(), **clocks())).recorded
    store.mark_synced([row["id"] for row in store.pending(2)], {})
    with store.transaction() as conn:
        conn.execute("INSERT INTO entry_counts VALUES ('k0', 'pending', 4)")
    store.close()

    done = recover(path)
    recovered = Store(path)
    try:
        assert done.entries_saved == 5
        assert counted(recovered) == {"pending": 3, "acknowledged": 2}
    finally:
        recovered.close()


def kept(store: Store) -> tuple[dict[tuple[str, str], int], str]:
    """``entry_counts`` as stored, and its mark: the counts hold the entries at or under
    it."""
    rows = store.conn.execute("SELECT kiosk_id, sync_state, entries FROM entry_counts")
    (through,) = store.conn.execute("SELECT through FROM entry_counts_mark").fetchone()
    return {(k, s): n for k, s, n in rows if n}, through


def test_a_scan_writes_no_count_and_the_upkeep_folds_it_in(make_pipeline):
    """Each scan's commit wrote the counts' row too (an insert trigger: a page and a log
    frame a scan, and the person's presence row read twice, the trigger's write taken for
    another's). Now a scan writes no count: its entry, above the counts' mark, is counted
    when the counts are read, and the upkeep's short write (with the names' move into the
    index) adds it to the kept counts and moves the mark to it. The counts read the same
    before and after; the scan read the person's presence row once."""
    pipeline = make_pipeline()
    store = pipeline.store
    assert pipeline.submit(Scan(payload=CCCD_AN.encode(), **clocks())).recorded
    store.index_names()
    kiosk_id = store.entries()[0]["kiosk_id"]
    folded = kept(store)
    assert folded == ({(kiosk_id, "pending"): 1}, store.entries()[0]["id"])

    presence_reads: list[str] = []
    with store.lock:  # the upkeep thread waits: nothing folds meanwhile
        store.conn.set_trace_callback(
            lambda sql: "FROM presence" in sql and presence_reads.append(sql))
        try:
            assert pipeline.submit(Scan(payload=CCCD_BINH.encode(), **clocks())).recorded
        finally:
            store.conn.set_trace_callback(None)
        assert kept(store) == folded  # no count written by the scan
        assert store.outbox_summary().pending == 2
        assert store.sync_counts()["pending"] == 2
        assert counted(store) == {"pending": 2}
    assert len(presence_reads) == 1

    store.index_names()
    newest = max(row["id"] for row in store.entries())
    assert kept(store) == ({(kiosk_id, "pending"): 2}, newest)
    assert counted(store) == {"pending": 2}


def test_entries_on_either_side_of_the_mark_are_counted_through_every_write(make_pipeline):
    """The mark splits the entries: at or under it, kept by triggers in each write's own
    transaction; above it, counted when read. An entry written with an id under the mark (a
    clock set back more than a second, across a restart) is kept at once; entries above it
    acknowledged, refused, retried or purged before the fold change no kept count, and the
    fold then adds them as they are. A walk of every entry agrees after each write."""
    pipeline = make_pipeline(duplicate_policy="allow")
    store = pipeline.store
    old = clocks(time.time() - 40 * 86400)
    for i in range(4):
        assert pipeline.submit(Scan(payload=f"person-{i}".encode(), **old)).recorded
    store.index_names()
    through = kept(store)[1]
    under = other_kiosks(store.path, 2, "kiosk-demo")  # ids far under the mark
    assert all(i < through for i in under)
    assert kept(store)[0][("kiosk-demo", "pending")] == 2  # kept at once, by the trigger
    assert counted(store) == {"pending": 6}
    with store.lock:  # the upkeep thread waits: these stay above the mark
        for i in range(4, 8):
            assert pipeline.submit(Scan(payload=f"person-{i}".encode(), **old)).recorded
        above = [row["id"] for row in store.pending(20) if row["id"] > through]
        assert len(above) == 4 and kept(store)[1] == through
        store.mark_synced(above[:2], {above[2]: "refused"})
        assert counted(store) == {"pending": 7, "acknowledged": 2, "rejected": 1}
        assert store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"]) == 2
        assert counted(store) == {"pending": 7, "rejected": 1}
        assert store.retry_rejected("op") == 1
        assert counted(store) == {"pending": 8}
        assert store.discard_unenrolled("kiosk-demo", "technician", "demo scans").count == 2
        assert counted(store) == {"pending": 6}
    store.index_names()
    assert kept(store)[1] == above[-1]
    assert counted(store) == {"pending": 6}
    assert store.pending_elsewhere(store.entries()[0]["kiosk_id"]) == {}
