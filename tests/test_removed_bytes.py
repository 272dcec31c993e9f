"""What the kiosk and the centre remove is gone from the files too: a copy of the store, or of
the centre's SQLite file, taken after a purge or an erasure (a stolen kiosk laptop, a copied
``central.db``) gives back none of it — not from the cells deleted, not from freed pages, not
from the older page images in its ``-wal`` — while everything kept is still there and
readable. (Copies that page splits left when the rows were stored stay: ``VACUUM``.)"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from central_support import central, database_url
from report_support import uuid7_at
from trace_support import number as document_number
from trace_support import payload_identity, wire_entry

from kiosk.central import derivation
from kiosk.central.backends import open_storage
from kiosk.ids import uuid7
from kiosk.scan import Scan
from kiosk.store import Store, StoreError
from kiosk.sync import protocol
from tests.test_store import clocks

GONE = "038123987654|123456789|Phạm Xuyếnthị Quỳnh|01021990|Nữ|Số 9 Ngõ Zetaxa, Hà Nội|10102021"
"""A person scanned long ago, by an earlier boot of the kiosk: every trace of them is due."""
TRACES = (b"038123987654", "Xuyếnthị".encode(), b"xuyenthi", b"XUYENTHI", b"Zetaxa")
"""Their document number, their name as read and as folded for the search, their address."""


def readable(path: Path, traces: tuple[bytes, ...]) -> dict[str, list[bytes]]:
    """Which of ``traces`` the raw bytes of the database file and of its ``-wal`` hold,
    as ``strings`` would show them — but for the unallocated middle of the pages in use
    (:func:`without_page_gaps`), which the purge cannot reach."""
    found = {}
    for suffix in ("", "-wal"):
        log = Path(f"{path}{suffix}")
        data = log.read_bytes() if log.exists() else b""
        if not suffix and data:
            data = without_page_gaps(data)
        found[suffix or "db"] = [t for t in traces if t in data]
    return found


def without_page_gaps(data: bytes) -> bytes:
    """The file with each b-tree page's gap between its cell pointers and its cells blanked:
    when a page is rebuilt (a split as rows are stored), SQLite leaves the bytes of cells
    moved away there; no later delete touches them, so ``secure_delete`` cannot either
    (only ``VACUUM`` rewrites them; docs/privacy.md). Deleted cells, freelist pages and the
    log are all still read."""
    size = int.from_bytes(data[16:18]) or 65536
    pages = bytearray(data)
    for start in range(0, len(data), size):
        header = start + (100 if start == 0 else 0)
        kind = data[header]
        if kind not in (2, 5, 10, 13):
            continue  # a freelist, overflow or other page: read whole
        cells = int.from_bytes(data[header + 3:header + 5])
        content = int.from_bytes(data[header + 5:header + 7]) or 65536
        gap = header + (12 if kind in (2, 5) else 8) + 2 * cells
        pages[gap:start + content] = bytes(max(0, start + content - gap))
    return bytes(pages)


def test_a_kiosk_purge_leaves_no_readable_copy_of_a_removed_person(make_pipeline):
    pipeline = make_pipeline(duplicate_policy="allow")
    store = pipeline.store
    old = time.time() - 30 * 86400
    running, pipeline.boot_id = pipeline.boot_id, "an-earlier-boot"
    pipeline.submit(Scan(payload=GONE.encode(), **clocks(old)))
    pipeline.boot_id = running
    kept = {f"0790{i:08d}": f"Nguyễn Văn Kept{i}" for i in range(200)}
    for number, name in kept.items():  # a day of others, still to be kept
        pipeline.submit(Scan(payload=f"{number}|123456789|{name}|01021990|Nam|Huế|10102021"
                             .encode(), **clocks()))
    store.index_names()
    store.mark_synced([r["id"] for r in store.entries()], {})
    assert readable(store.path, TRACES)["db"] or readable(store.path, TRACES)["-wal"]

    assert store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"]) == 1

    assert readable(store.path, TRACES) == {"db": [], "-wal": []}
    assert {r["document_number"]: r["name"] for r in store.entries()} == kept
    assert [r["name"] for r in store.entries(search="kept150")] == ["Nguyễn Văn Kept150"]
    assert store.entries(search="xuyenthi") == []
    assert store.conn.execute("PRAGMA secure_delete").fetchone()[0] == 0  # scans: off again


def test_a_purge_stopped_before_its_end_leaves_the_removed_names_words_to_the_next(
        make_pipeline, monkeypatch):
    """The words of a removed name leave the search index at the purge's end; a purge that
    does not get there (refused as another program writes just then, a stop, a power cut)
    has them kept in the store, and the next purge takes them out — though it finds no
    entry of that person any more."""
    pipeline = make_pipeline(duplicate_policy="allow")
    store = pipeline.store
    running, pipeline.boot_id = pipeline.boot_id, "an-earlier-boot"
    pipeline.submit(Scan(payload=GONE.encode(), **clocks(time.time() - 30 * 86400)))
    pipeline.boot_id = running
    pipeline.submit(Scan(payload=b"079000000001|123456789|Nguyen Van Kept|01021990|Nam|Hue|"
                                 b"10102021", **clocks()))
    store.index_names()
    store.mark_synced([r["id"] for r in store.entries()], {})
    forget = Store._forget_words

    def as_another_program_writes(self: Store) -> None:
        other = sqlite3.connect(self.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            forget(self)
        finally:
            other.execute("ROLLBACK")
            other.close()

    monkeypatch.setattr(Store, "_forget_words", as_another_program_writes)
    with pytest.raises(StoreError, match="another program"):
        store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"])
    assert [r["name"] for r in store.entries()] == ["Nguyen Van Kept"]  # removed already
    monkeypatch.setattr(Store, "_forget_words", forget)

    assert store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"]) == 0

    words = {w for (w,) in store.conn.execute("SELECT word FROM search_words")}
    assert words == {"nguyen", "van", "kept"}
    assert readable(store.path, TRACES) == {"db": [], "-wal": []}
    assert [r["name"] for r in store.entries(search="kept")] == ["Nguyen Van Kept"]


def person_traces(person: int) -> tuple[bytes, ...]:
    """Where the centre's file holds ``person`` (:func:`payload_identity`): their document
    number (also in the subject key and the raw payload), their match key, the address of
    the payload. Each in its context: the bare number, six digits, also turns up by chance
    in the file's ids and times (`…T21:25:06.424220Z`, a UUID's `…1ee1424220…`), a copy of
    nobody, which failed a whole-suite run (4 Dec)."""
    return (document_number(person).encode(), f"m:{person}|".encode(), f"Số {person} ".encode())


def test_the_centres_purge_and_erasure_leave_no_readable_copy_on_sqlite(tmp_path: Path):
    db = database_url("sqlite", tmp_path)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    removed = range(424200, 424300)  # scanned 100 days ago: their entries go
    erased = range(535300, 535400)  # 40 days ago: their identities go
    with open_storage(db) as storage:
        for people, at in ((removed, now - dt.timedelta(days=100)),
                           (erased, now - dt.timedelta(days=40)),
                           (range(1, 60), now - dt.timedelta(hours=2))):
            entries = [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-CHO",
                                  kiosk="k1", direction="in", scanned_at=at)
                       for person in people]
            for entry in entries:
                entry["id"] = uuid7_at(at)
            storage.ingest_batch("k1", entries, sent_at=protocol.format_time(at),
                                 received_at=at, batch_id=uuid7())
        derivation.catch_up(storage)
    traces = tuple(trace for p in (*removed, *erased) for trace in person_traces(p))
    central("retention", "--days", "90", "--personal-days", "30", "--reason", "decision 12",
            "--db", db)
    path = Path(db.removeprefix("sqlite:///"))
    assert readable(path, traces)["db"] or readable(path, traces)["-wal"]

    with open_storage(db) as serving:  # as `serve` would: its -wal outlives the command
        serving._query("SELECT count(*) FROM entries")
        central("purge", "--db", db)

        assert readable(path, traces) == {"db": [], "-wal": []}
        held = serving._query("SELECT document_number FROM entries ORDER BY document_number")
    assert [row[0] for row in held] == [None] * 100 + [f"0790{p:08d}" for p in range(1, 60)]


def test_a_kiosk_purge_whose_log_a_reader_keeps_says_so_in_both_languages(
        make_pipeline, caplog):
    """Another program reading the store (an export, a backup) keeps the purge from
    emptying the ``-wal``, where the removed entries' older copies then stay: the purge
    logs it, as ``kiosk-central purge`` says it. Before, it said nothing."""
    pipeline = make_pipeline(duplicate_policy="allow")
    store = pipeline.store
    running, pipeline.boot_id = pipeline.boot_id, "an-earlier-boot"
    pipeline.submit(Scan(payload=GONE.encode(), **clocks(time.time() - 30 * 86400)))
    pipeline.boot_id = running
    store.mark_synced([r["id"] for r in store.entries()], {})
    reader = sqlite3.connect(store.path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM entries").fetchone() == (1,)
        with caplog.at_level("WARNING", logger="kiosk.store"):
            assert store.purge(retention_days=21,
                               now_monotonic_ns=clocks()["monotonic_ns"]) == 1
    finally:
        reader.close()
    said = [r.getMessage() for r in caplog.records if "-wal" in r.getMessage()]
    assert said == [f"Nhật ký -wal của {store.path} chưa được làm trống vì đang có phần khác "
                    "(của chương trình này hoặc chương trình khác) đọc nó: bản cũ của các lượt "
                    "vừa xoá còn trong đó tới lần ghi sổ (checkpoint) sau / The -wal log of "
                    f"{store.path} was not emptied, a reader (another part of this program or "
                    "another program) is still in it: the old copies of the entries just "
                    "removed stay in it until the next checkpoint"]


def test_whom_the_audit_log_says_was_looked_up_goes_with_the_retention(make_pipeline, tmp_path):
    """``kiosk entries --search``/``--subject`` are audited with what was asked, a name or a
    document number. Such a row is kept as long as the entries (``store.retention_days``),
    then keeps who looked, when and how many rows they found, not whom: the purge nulls the
    values asked, and leaves them in neither the store file nor its ``-wal``. Before, the
    person outlived their entries in the audit log for ever."""
    pipeline = make_pipeline(duplicate_policy="allow")
    store = pipeline.store
    running, pipeline.boot_id = pipeline.boot_id, "an-earlier-boot"
    pipeline.submit(Scan(payload=GONE.encode(), **clocks(time.time() - 30 * 86400)))
    pipeline.boot_id = running
    store.mark_synced([r["id"] for r in store.entries(since="1970-01-01T00:00:00Z")], {})
    config = tmp_path / "looking.toml"
    config.write_text(f'[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      f'[store]\npath = "{store.path}"\n', encoding="utf-8")
    asked = (("--search", "Phạm Xuyếnthị Quỳnh"), ("--search", "038123987654"),
             ("--subject", "038123987654"))
    for option, value in asked:
        looked = subprocess.run([sys.executable, "-m", "kiosk.cli", "entries", option, value,
                                 "--all", "--operator", "inspector", "--config", str(config)],
                                capture_output=True, text=True, timeout=60,
                                stdin=subprocess.DEVNULL)
        assert "Phạm Xuyếnthị Quỳnh" in looked.stdout, looked.stderr

    def searches() -> list[tuple[str, dict[str, object]]]:
        return [(row["actor"], json.loads(row["detail"])) for row in store.audit_log()
                if row["action"] == "entries.search"]

    # within the retention (this boot's purge, today): the entry's purge due, not the audit's
    assert store.purge(retention_days=21, now_monotonic_ns=clocks()["monotonic_ns"]) == 1
    assert [(d.get("search"), d.get("subject")) for _, d in searches()] == [
        ("Phạm Xuyếnthị Quỳnh", None), ("038123987654", None), (None, "038123987654")]

    later = time.time() + 30 * 86400  # the searches 30 days old
    assert store.purge(retention_days=21, now=later,
                       now_monotonic_ns=clocks(later)["monotonic_ns"]) == 0

    assert [(actor, d["rows"], d[option.removeprefix("--")]) for (actor, d), (option, _)
            in zip(searches(), asked, strict=True)] == [("inspector", 1, None)] * 3
    assert readable(store.path, TRACES) == {"db": [], "-wal": []}
