"""A kiosk holding a large backlog: the sync tools' bulk writes leave the scans room
(review of a 1 M-entry store)."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from kiosk.scan import Scan
from kiosk.store import Answered, Store
from tests.conftest import CCCD_AN, CCCD_BINH
from tests.test_store import clocks


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

