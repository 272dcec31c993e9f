"""The store writes only to the file it opened (:meth:`kiosk.store.Store._check_file`): a
path that names another file, none, or cannot be looked at any more refuses every scan in
words, and the old file's log never ends up read into another file. Real files, a real
store and pipeline; a real process killed for the power cut."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from kiosk.app import Kiosk, said_once
from kiosk.messages import Words
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan, Status
from kiosk.store import CHECKED_AT, Store
from kiosk.upkeep import Checkpointer, file_identity
from tests.conftest import make_config
from tests.store_support import loop_in_place_of, swap, wal_index
from tests.test_store_damage import middle_leaves_of_entries, overwrite_pages, store_with_entries

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Đặng Ngọc Ánh"]


def person(i: int) -> Scan:
    payload = f"{i:012d}||{NAMES[i % len(NAMES)]}|01021990|Nam|Huế|10102021"
    return Scan(payload=payload.encode(), lane="in")


def checked(path: Path) -> tuple[list[str], int]:
    """SQLite's check of the file at ``path``, and how many entries it holds."""
    with closing(sqlite3.connect(path)) as db:
        return ([row[0] for row in db.execute("PRAGMA quick_check")],
                db.execute("SELECT count(*) FROM entries").fetchone()[0])


def folder_made_unreachable(data: Path, how: str) -> Path:
    """The store's folder moved away, and in its place a link to itself (stat: ELOOP) or a
    file (ENOTDIR): the store's path names nothing that can be looked at. Where the old
    folder went."""
    stand_in = data.with_name("data.new")
    if how == "a link loop":
        os.symlink(data.name, stand_in)
    else:
        stand_in.write_text("not a folder")
    swap(stand_in, data)
    old = data.with_name("data.old")
    os.rename(stand_in, old)
    return old


def folder_put_back(data: Path, old: Path) -> None:
    """The folder moved back, and the link or file in its place removed."""
    swap(old, data)
    old.unlink()


class _PutBack(logging.Handler):
    """Swaps the folder back at the first record it is given."""

    def __init__(self, data: Path, kept: Path) -> None:
        super().__init__()
        self.data, self.kept, self.done = data, kept, False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.done:
            swap(self.kept, self.data)
            self.done = True


@contextlib.contextmanager
def back_once_the_store_speaks(data: Path, kept: Path) -> Iterator[None]:
    """The store's folder ``data``, in ``kept`` (:func:`loop_in_place_of`), put back in one
    step the moment the store logs anything (that its path cannot be looked at, that its
    log could not be emptied): a network disk's hiccup, over by the time the store acts on
    what it saw — in that thread, whatever the machine's load."""
    put_back = _PutBack(data, kept)
    logger = logging.getLogger("kiosk.store")
    logger.addHandler(put_back)
    try:
        yield
    finally:
        logger.removeHandler(put_back)
    assert put_back.done, "the store said nothing"


READER = textwrap.dedent("""
    import sqlite3, sys
    db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, isolation_level=None)
    db.execute("BEGIN")
    db.execute("SELECT count(*) FROM entries").fetchone()
    print("reading", flush=True)
    sys.stdin.readline()
""")


def reading(path: Path) -> subprocess.Popen[str]:
    """Another program reading the store at ``path`` (an export, ``kiosk sync status``),
    its snapshot held until a line on its stdin, or its stdin closed (its parent killed):
    no checkpoint can empty the log of what is written after it."""
    reader = subprocess.Popen([sys.executable, "-c", READER, str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stdout.readline() == "reading\n"
    return reader


@pytest.mark.parametrize(("how", "reason", "ly_do"), [
    ("a link loop", "the links on the path loop back on themselves",
     "các liên kết trên đường dẫn tạo thành vòng lặp"),
    ("a file", "part of the path is not a folder",
     "một phần của đường dẫn không phải là thư mục"),
])
def test_a_store_whose_folder_cannot_be_looked_at_refuses_each_scan_in_words(
        tmp_path, caplog, how, reason, ly_do):
    """Whether the path still names the opened file is unknown: the scan is answered NOT
    recorded, saying why in the reader's language — the system's own English words
    ("Too many levels of symbolic links") go to the log, not into a Vietnamese sentence
    (not left without an answer, the card keeping the previous person's "accepted"); the
    screen's poll gets the same words, close() closes the connection, and the old file
    holds exactly what was accepted, its log emptied."""
    caplog.set_level(logging.INFO, logger="kiosk.store")
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(0)).recorded
    old = folder_made_unreachable(data, how)

    result = pipeline.submit(person(1))

    assert result.status is Status.REJECTED and not result.recorded
    assert result.reason_code == "storage_error"
    path = data / "kiosk.db"
    assert result.reason_in("en") == (
        f"Storage error, scan NOT recorded: {path}: cannot be looked at ({reason}), so "
        "whether it is still the store file the kiosk opened is unknown (its folder "
        "replaced, or a failing disk); no scan is recorded until it can be looked at again "
        "and is that same file, or the kiosk is restarted")
    assert result.reason_in("vi") == (
        f"Lỗi lưu trữ, lượt quét CHƯA được ghi: {path}: không truy cập được ({ly_do}), nên "
        "không biết còn là tệp kho dữ liệu trạm đã mở hay không (thư mục chứa nó bị thay, "
        "hoặc ổ đĩa lỗi); không ghi được lượt quét nào cho đến khi truy cập lại được và vẫn "
        "là đúng tệp đó, hoặc khởi động lại trạm")
    system_words = os.strerror(errno.ELOOP if how == "a link loop" else errno.ENOTDIR)
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "kiosk.store"
            and "looked at" in r.getMessage()]
    assert said[0] == ("ERROR", f"{result.reason_in('vi').split(': ', 1)[1]} / "
                                f"{result.reason_in('en').split(': ', 1)[1]}"), said
    assert said[1][0] == "INFO" and "cannot be looked at: [Errno" in said[1][1]  # kiosk -v
    assert system_words in said[1][1] and system_words not in said[0][1]
    refusal = store.refusal()
    assert refusal is not None and refusal.code == "store.unconfirmed"
    assert not pipeline.submit(person(2)).recorded
    store.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        store.conn.execute("SELECT 1")
    assert checked(old / "kiosk.db") == (["ok"], 1)
    log = old / "kiosk.db-wal"
    assert not log.exists() or log.stat().st_size == 0


@pytest.mark.parametrize("how", ["a link loop", "a file"])
def test_a_store_whose_folder_comes_back_whole_takes_scans_again(tmp_path, how):
    """A path that could not be looked at for a while (a network file system's hiccup, a
    folder moved away and back) refused scans only while it could not: once it names the
    file opened again, with its own log beside it, the screen's poll says the store takes
    writes and scans are recorded — with the one accepted before, nothing lost — in the
    same file, which opens whole after the kiosk."""
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(0)).recorded
    old = folder_made_unreachable(data, how)
    assert not pipeline.submit(person(1)).recorded
    assert store.refusal().code == "store.unconfirmed"

    folder_put_back(data, old)

    assert store.refusal() is None
    assert pipeline.submit(person(2)).recorded
    assert store.count_entries() == 2
    store.close()
    assert checked(data / "kiosk.db") == (["ok"], 2)


def test_a_store_folder_moved_away_and_back_takes_scans_again_with_nothing_lost(tmp_path):
    """``mv data data.away`` under the running kiosk, a scan, then ``mv data.away data``:
    the store's path names nothing, but its folder is gone too, so the file may come back
    with it — the same file did. Refused while the folder is away, saying the folder is
    missing (not that the file was deleted and the kiosk must be restarted), and taking
    scans again once it is back, the one accepted before and the one after in the file."""
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(0)).recorded
    away = data.rename(tmp_path / "data.away")

    refused = pipeline.submit(person(1))

    path = data / "kiosk.db"
    assert not refused.recorded and refused.reason_code == "storage_error"
    assert refused.reason_in("en").startswith(
        f"Storage error, scan NOT recorded: {path}: cannot be looked at (the store folder is "
        "missing), so whether it is still the store file the kiosk opened is unknown")
    assert refused.reason_in("vi").startswith(
        f"Lỗi lưu trữ, lượt quét CHƯA được ghi: {path}: không truy cập được (thư mục kho "
        "không còn), nên không biết còn là tệp kho dữ liệu trạm đã mở hay không")
    assert store.refusal() == Words("store.unconfirmed", {
        "path": path, "detail": Words("store.folder_missing")})

    away.rename(data)

    assert store.refusal() is None
    assert pipeline.submit(person(2)).recorded
    store.close()
    assert checked(path) == (["ok"], 2)


def test_a_store_file_missing_from_its_folder_is_refused_for_good(tmp_path):
    """The folder there but the file not (``rm kiosk.db*``, moved elsewhere): the store was
    deleted, not out of reach. Refused for good, as before: only a folder that went away is
    waited for, not a file put back in one that stayed."""
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(0)).recorded
    (tmp_path / "elsewhere").mkdir()
    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
        (data / name).rename(tmp_path / "elsewhere" / name)

    assert store.refusal() == Words("store.gone", {"path": data / "kiosk.db"})

    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
        (tmp_path / "elsewhere" / name).rename(data / name)
    assert store.refusal().code == "store.gone"
    assert not pipeline.submit(person(1)).recorded
    store.close()


def test_a_headless_kiosk_records_the_first_scan_once_the_folder_is_back(tmp_path):
    """No screen polls the store (``kiosk run --headless``, the sync worker's own
    connection): the first write after the path names the file again looks at it once more
    and is recorded, not refused with the words of a path that can be looked at by now."""
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    old = folder_made_unreachable(data, "a link loop")
    assert pipeline.submit(person(0)).reason_code == "storage_error"

    folder_put_back(data, old)

    assert pipeline.submit(person(1)).recorded
    assert store.count_entries() == 1
    store.close()


def test_a_folder_lost_while_several_look_at_once_takes_scans_again_once_back(tmp_path):
    """The screen's poll, a scan's commit and the upkeep thread look at the path at the same
    moment: one seeing the folder lost just as another said so kept "cannot be looked at"
    as the refusal to stand again once it was back, and the kiosk refused every scan until
    restarted. Eight looking at once, two hundred times (before, refused for good within 74
    at most in 30 tries): each time the folder is back, the store takes scans again."""
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(0)).recorded
    at_once = threading.Barrier(8)
    for _ in range(200):
        old = folder_made_unreachable(data, "a link loop")
        lookers = [threading.Thread(target=lambda: (at_once.wait(), store.refusal()))
                   for _ in range(8)]
        for looker in lookers:
            looker.start()
        for looker in lookers:
            looker.join()
        assert store.refusal().code == "store.unconfirmed"
        folder_put_back(data, old)
        assert store.refusal() is None
    assert pipeline.submit(person(1)).recorded
    store.close()
    assert checked(data / "kiosk.db") == (["ok"], 2)


def test_a_damaged_store_whose_folder_comes_back_still_refuses_for_its_damage(tmp_path):
    """Damage the whole-file check found refuses every scan; the folder then lost for a
    while and put back does not undo that: the store refuses for its damage again."""
    data = tmp_path / "data"
    data.mkdir()
    overwrite_pages(store_with_entries(data), middle_leaves_of_entries)
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert store.verify() is not None
    old = folder_made_unreachable(data, "a link loop")
    assert store.refusal().code == "store.unconfirmed"

    folder_put_back(data, old)

    assert store.refusal().code == "store.damaged"
    assert not pipeline.submit(person(0)).recorded
    store.close()


def test_a_store_whose_folder_comes_back_as_another_file_stays_refused(tmp_path):
    """Put back with a copy of the store (same entries, another file), the path names a
    file this connection did not open: refused for good, as a copy moved over it is."""
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(0)).recorded
    old = folder_made_unreachable(data, "a link loop")
    assert store.refusal().code == "store.unconfirmed"
    (tmp_path / "new").mkdir()
    with closing(sqlite3.connect(tmp_path / "new" / "kiosk.db")) as copy, \
            closing(sqlite3.connect(old / "kiosk.db")) as source:
        source.backup(copy)

    swap(tmp_path / "new", data)

    assert store.refusal().code == "store.gone"
    assert not pipeline.submit(person(1)).recorded
    store.close()
    assert checked(old / "kiosk.db") == (["ok"], 1)


def test_the_store_file_alone_put_back_without_its_log_stays_refused(tmp_path):
    """The same file put back at the path, but in a new folder without the ``-wal`` and
    ``-shm`` the connection writes to: its later commits would be logged where no start
    reads them, and lost at a power cut. Refused for good."""
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(0)).recorded
    old = folder_made_unreachable(data, "a link loop")
    assert store.refusal().code == "store.unconfirmed"

    (tmp_path / "new").mkdir()
    os.rename(old / "kiosk.db", tmp_path / "new" / "kiosk.db")
    swap(tmp_path / "new", data)

    assert store.refusal().code == "store.log_gone"
    assert not pipeline.submit(person(1)).recorded
    store.close()
    assert checked(data / "kiosk.db") == (["ok"], 1)


KIOSK = textwrap.dedent("""
    import os, sqlite3, sys, time
    from pathlib import Path
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.store import Store
    from tests.test_store_identity import person
    root, seen_by = Path(sys.argv[1]), sys.argv[2]
    store = Store(root / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    for i in range(20):
        assert pipeline.submit(person(i)).recorded
    with sqlite3.connect(root / "backup.db") as backup:
        store.conn.backup(backup)
    for i in range(20, 320):
        assert pipeline.submit(person(i)).recorded
    os.replace(root / "backup.db", root / "kiosk.db")  # mv backup.db kiosk.db
    if seen_by == "the next scan":
        assert not pipeline.submit(person(320)).recorded
    else:
        assert store.refusal().code == "store.gone"
    print("seen", flush=True)
    time.sleep(60)
""")


def killed_once_it_says(line: str, script: str, *args: object) -> None:
    """Run ``script`` (a kiosk's store at work) in its own process until it prints ``line``,
    then kill it with SIGKILL, as a power cut would: no close, no clean-up."""
    kiosk = subprocess.Popen([sys.executable, "-c", script, *map(str, args)],
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    try:
        assert kiosk.stdout is not None and kiosk.stdout.readline() == f"{line}\n"
    finally:
        kiosk.send_signal(signal.SIGKILL)
        kiosk.wait()
    assert kiosk.returncode == -signal.SIGKILL


@pytest.mark.parametrize("seen_by", ["the next scan", "the screen's poll"])
def test_a_backup_moved_over_the_store_is_whole_after_a_power_cut(tmp_path, seen_by):
    """``mv backup.db kiosk.db`` under the running kiosk, then the kiosk killed before it
    closes (a power cut, kill -9): the ``-wal`` beside the path held the old file's 300
    newer entries, which the next start read into the backup. The log is emptied into the
    old file as soon as the move is seen: the backup opens whole, with its own 20."""
    killed_once_it_says("seen", KIOSK, tmp_path, seen_by)

    store = Store(tmp_path / "kiosk.db")
    assert store.damage() is None and store.count_entries() == 20
    store.close()
    assert checked(tmp_path / "kiosk.db") == (["ok"], 20)


def test_a_reader_of_the_lost_file_holds_up_neither_scans_nor_the_stop(tmp_path):
    """Another program reading the old file (an export, a backup) keeps its log from being
    emptied. The loss is still answered at once — the screen's poll and the next scan do
    not wait for that reader (SQLite's busy wait is 30 s, the lock held all along) — and
    a stop waits for it only briefly, then closes anyway, saying the log was not emptied.
    The reader here never lets go until the test says so."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(1)).recorded
    reader = reading(path)
    try:
        assert pipeline.submit(person(2)).recorded  # in the log only
        for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
            (tmp_path / name).unlink()
        answers: list[object] = []
        poll = threading.Thread(target=lambda: answers.append(store.refusal()))
        poll.start()
        poll.join(timeout=15)
        assert not poll.is_alive(), "the screen's poll waited for another program's reader"
        assert answers[0].code == "store.gone"
        assert not pipeline.submit(person(3)).recorded
        stop = threading.Thread(target=store.close)
        stop.start()
        stop.join(timeout=15)
        assert not stop.is_alive(), "the stop waited for another program's reader"
    finally:
        reader.communicate("done\n", timeout=30)


def test_a_backup_moved_over_the_store_while_another_program_reads_it_opens_whole(
        tmp_path, caplog):
    """``mv backup.db kiosk.db`` under the running kiosk while another program reads the old
    file (an export, a backup tool, a sqlite3 shell): its log cannot be emptied, neither
    when the move is seen nor at the stop. It was left beside the path, and the restarted
    kiosk read the old file's newer entries into the backup ("database disk image is
    malformed"). It is set aside under a name saying what it is: the backup opens whole,
    takes scans, and stays whole once that reader ends. The journal says both, worded in
    Vietnamese and English."""
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    for i in range(20):
        assert pipeline.submit(person(i)).recorded
    with sqlite3.connect(tmp_path / "backup.db") as backup:
        store.conn.backup(backup)
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, sys
        db = sqlite3.connect("{path}", isolation_level=None)
        db.execute("BEGIN")
        db.execute("SELECT count(*) FROM entries").fetchone()
        print("reading", flush=True)
        sys.stdin.readline()
        db.execute("COMMIT")
        db.close()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline() == "reading\n"
        for i in range(20, 320):  # newer than the reader's view: the log cannot be emptied
            assert pipeline.submit(person(i)).recorded
        os.replace(tmp_path / "backup.db", path)  # mv backup.db kiosk.db
        assert store.refusal().code == "store.gone"
        store.close()
        set_aside = sorted(p.name for p in tmp_path.glob("kiosk.db-*.of-replaced-store-*"))
        assert [name.split(".of-")[0] for name in set_aside] == ["kiosk.db-shm", "kiosk.db-wal"]
        said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "kiosk.store"]
        assert (logging.ERROR, f"{path}: chưa dồn được nhật ký ghi của tệp kho dữ liệu đã mất "
                "khỏi đường dẫn đó (một chương trình khác đang đọc tệp) / "
                f"{path}: the log of the store file lost from there not emptied (a reader is "
                "busy)") in said
        assert sorted(message.split(" / ")[0] for _, message in said
                      if "được dời sang" in message) == [
            f"{path}{suffix} của tệp kho dữ liệu bị thay đã được dời sang {tmp_path / name}: "
            "tệp ở đó bây giờ mở mà không có nó"
            for suffix, name in zip(("-shm", "-wal"), set_aside, strict=True)]

        restarted = Store(path)  # the reader still reads the old file
        assert restarted.damage() is None and restarted.count_entries() == 20
        restarted_pipeline = Pipeline(restarted, Policy(checkpoint_id="CP1", kiosk_id="k1"))
        for i in range(400, 405):
            assert restarted_pipeline.submit(person(i)).recorded
    finally:
        reader.communicate("done\n", timeout=30)
    assert reader.returncode == 0
    assert restarted.damage() is None and restarted.count_entries() == 25
    restarted.close()
    assert checked(path) == (["ok"], 25)


LOG_LOST = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.store import Store
    from tests.store_support import swap
    from tests.test_store_identity import person
    root, how = Path(sys.argv[1]), sys.argv[2]
    data = root / "data"
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    for i in range(30):
        assert pipeline.submit(person(i)).recorded
    if how == "the folder swapped for a hard link to the file alone":
        (root / "new").mkdir()
        os.link(data / "kiosk.db", root / "new" / "kiosk.db")
        swap(root / "new", data)
    else:
        os.unlink(data / "kiosk.db-wal")  # a cleanup: rm *-wal
    scan = pipeline.submit(person(30))
    assert not scan.recorded
    assert store.not_recording().code == "store.log_gone"
    print("refused", flush=True)
    time.sleep(60)
""")


@pytest.mark.parametrize("how", ["the folder swapped for a hard link to the file alone",
                                 "the -wal deleted"])
def test_a_store_whose_log_is_lost_refuses_and_keeps_every_accepted_scan_at_a_power_cut(
        tmp_path, how):
    """The file still at the path, but not the ``-wal`` the connection writes to: scans
    went on "accepted" into a log no later start reads, and a power cut lost them all. The
    next scan is refused (restart the kiosk), the log written so far emptied into the file
    through the connection's own: the kiosk killed, the next start holds all 30."""
    (tmp_path / "data").mkdir()
    killed_once_it_says("refused", LOG_LOST, tmp_path, how)
    assert checked(tmp_path / "data" / "kiosk.db") == (["ok"], 30)


def copying(path: Path) -> bool | None:
    """Whether a checkpoint copies the log of the store at ``path`` into it now: the
    wal-index's ``nBackfillAttempted`` (byte 128) is set before the copy, ``nBackfill``
    after the file's fsync (https://sqlite.org/walformat.html); None once all is copied."""
    logged, copied = wal_index(path)
    if copied == logged:
        return None
    attempted = struct.unpack_from("=I", path.with_name(path.name + "-shm").read_bytes(), 128)
    return attempted[0] > copied


def log_deleted_while_the_upkeep_copies_it(folder: Path) -> Store | None:
    """A store in ``folder`` with 30 scans and 8 MB more in its log, which an export held up
    from being copied; its ``-wal`` deleted once the export ends, while the upkeep thread's
    checkpoint copies it. None when that checkpoint ended unseen (a busy machine)."""
    folder.mkdir()
    path = folder / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    with closing(sqlite3.connect(path)) as export:
        export.execute("BEGIN")
        export.execute("SELECT count(*) FROM entries").fetchone()
        for i in range(30):
            assert pipeline.submit(person(i)).recorded
        store.set_meta({f"test.k{k}": "v" * 4000 for k in range(2000)})
    deadline = time.monotonic() + 30
    while not (now := copying(path)):
        if now is None:
            store.close()
            return None
        assert time.monotonic() < deadline, "the upkeep thread made no checkpoint"
    os.unlink(folder / "kiosk.db-wal")
    return store


def test_a_log_deleted_while_the_upkeep_copies_it_is_emptied_into_the_file(tmp_path, caplog):
    """``rm kiosk.db-wal`` while the kiosk's own upkeep thread copies the log into the file:
    the store found the log busy, left it and refused, and the scans only in the deleted log
    were lost at a power cut before that checkpoint's end (killed then, 13 kiosks of 100
    held fewer than their 30 scans, one file malformed). The store waits for that
    checkpoint, then empties the rest: the file alone, as a power cut leaves it, holds all."""
    for attempt in range(10):  # the checkpoint seen under way
        store = log_deleted_while_the_upkeep_copies_it(tmp_path / str(attempt))
        if store is not None:
            break
    else:
        pytest.fail("the upkeep thread's checkpoint was never seen under way")

    assert store.refusal().code == "store.log_gone"

    shutil.copy(store.path, tmp_path / "left.db")  # the file alone, as a power cut leaves it
    assert "not emptied" not in caplog.text
    assert checked(tmp_path / "left.db") == (["ok"], 30)
    store.close()


def test_a_store_whose_shm_is_deleted_refuses_before_another_program_corrupts_it(tmp_path):
    """``rm kiosk.db-shm``, then another program opening the store (``kiosk sync push``)
    makes a second index of the same log: each program's writes then go unseen by the
    other's, and the file ends malformed. The kiosk refuses from its next scan on, in words
    saying to restart it, and leaves the log to the other program: the file stays whole."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    for i in range(5):
        assert pipeline.submit(person(i)).recorded
    os.unlink(tmp_path / "kiosk.db-shm")
    other = Store(path, create=False)
    scan = pipeline.submit(person(5))
    assert not scan.recorded
    why = store.not_recording()
    assert why.code == "store.log_gone"
    assert why("en") == (f"{path}: the store's write-ahead log (-wal) or its index (-shm) "
                         "beside it was deleted or replaced while the kiosk runs; no scan is "
                         "recorded until the kiosk is restarted. Call the technician to "
                         "restart the kiosk")
    for k in range(100):
        other.set_meta({f"test.k{k}": "v" * 500})
    store.close()
    other.close()
    assert checked(path) == (["ok"], 5)


def test_the_log_truncated_and_checkpointed_by_sqlite_is_never_taken_for_a_lost_one(tmp_path):
    """SQLite empties the ``-wal`` in place (checkpoints, ``journal_size_limit``,
    ``wal_checkpoint(TRUNCATE)``; another connection's too, the upkeep's) and deletes it
    only at the last close: none of this is refused."""
    path = tmp_path / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    other = Store(path, create=False)
    upkeep = Checkpointer(path, store.identity)  # the background upkeep's connection
    for i in range(600):
        assert pipeline.submit(person(i)).recorded
        if i % 100 == 0:
            upkeep.run()
        if i % 100 == 50:
            with store.lock:
                store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            other.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            assert store.not_recording() is None
    other.close()
    upkeep.close()
    assert pipeline.submit(person(600)).recorded
    assert store.not_recording() is None
    store.close()
    assert checked(path) == (["ok"], 601)


def test_the_hourly_purge_and_check_say_once_while_the_store_refuses_them(tmp_path, caplog):
    """The store's folder lost over a weekend, the kiosk's whole-file check a day old: the
    maintenance, every hour, says once why the purge and the check did not run, not in a
    line each hour for a technician to wade through on Monday. Said again when the same
    refusal comes back after it cleared, and when it changes (another file at the path)."""
    data = tmp_path / "data"
    data.mkdir()
    running = Kiosk(make_config(tmp_path, store={"path": str(data / "kiosk.db")}))
    running.store.set_meta({CHECKED_AT: "2026-01-01T00:00:00.000000Z"})  # long ago
    caplog.set_level(logging.INFO, logger="kiosk.app")

    def said_in(hours: int) -> list[tuple[int, str, object]]:
        caplog.clear()
        for _ in range(hours):
            running.maintain()
        return [(r.levelno, r.getMessage(), r.exc_info) for r in caplog.records
                if r.name == "kiosk.app"]

    try:
        old = folder_made_unreachable(data, "a link loop")
        lost = running.store.refusal()
        assert lost is not None and lost.code == "store.unconfirmed"
        assert said_in(3) == [  # the check first: a long purge must not put it off
            (logging.ERROR, said_once("app.log.check_not_run", reason=lost), None),
            (logging.ERROR, said_once("app.log.purge_not_run", reason=lost), None)]

        folder_put_back(data, old)
        assert said_in(1) == []  # both ran: the file checked sound
        assert running.store.verified_recently()

        old = folder_made_unreachable(data, "a link loop")  # the check is not due again
        assert said_in(2) == [
            (logging.ERROR, said_once("app.log.purge_not_run", reason=lost), None)]

        data.unlink()
        data.mkdir()
        (data / "kiosk.db").write_bytes(b"")  # another file where the store was
        gone = Words("store.gone", {"path": data / "kiosk.db"})
        assert said_in(2) == [(logging.ERROR, said_once("app.log.purge_not_run", reason=gone),
                               None)]
    finally:
        running.stop()


HICCUP = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from kiosk.pipeline import Pipeline, Policy
    from kiosk.store import Store
    from tests.test_store_identity import (back_once_the_store_speaks, loop_in_place_of,
                                           person, reading)
    data = Path(sys.argv[1])
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    for i in range(5):
        assert pipeline.submit(person(i)).recorded
    reader = reading(data / "kiosk.db")  # ends when this process is killed
    for i in range(5, 15):  # newer than the reader's view: the log cannot be emptied
        assert pipeline.submit(person(i)).recorded
    with back_once_the_store_speaks(data, loop_in_place_of(data)):
        store.refusal()  # the screens' poll sees it
    why = store.refusal()
    recorded = sum(pipeline.submit(person(i)).recorded for i in range(15, 25))
    print(f"then {why and why.code}, {recorded} of 10 recorded", flush=True)
    time.sleep(60)
""")


def test_a_replaced_stores_log_that_cannot_be_moved_aside_is_said_in_words(tmp_path, caplog):
    """A backup moved over the store while another program reads it, its folder made
    immutable (a read-only remount, chattr +i): the old file's log can neither be emptied
    nor moved aside. The journal says so in Vietnamese and English, the system's reason
    worded ("Operation not permitted" only on the INFO line, ``kiosk -v``)."""
    if os.geteuid() != 0:
        pytest.skip("making a folder immutable needs root")
    caplog.set_level(logging.INFO, logger="kiosk.store")
    data = tmp_path / "data"
    data.mkdir()
    path = data / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(0)).recorded
    with sqlite3.connect(tmp_path / "backup.db") as backup:
        store.conn.backup(backup)
    reader = reading(path)
    try:
        for i in range(1, 50):  # newer than the reader's view: the log cannot be emptied
            assert pipeline.submit(person(i)).recorded
        os.replace(tmp_path / "backup.db", path)  # mv backup.db kiosk.db
        if subprocess.run(["chattr", "+i", str(data)], capture_output=True).returncode:
            store.close()
            pytest.skip("this file system cannot make a folder immutable")
        try:
            assert store.refusal().code == "store.gone"
        finally:
            subprocess.run(["chattr", "-i", str(data)], check=True)
        store.close()
    finally:
        reader.communicate("done\n", timeout=30)
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "kiosk.store"]
    refused = [message for level, message in said
               if level == logging.ERROR and "not moved aside" in message]
    assert refused == [
        f"{path}{suffix} của tệp kho dữ liệu bị thay chưa được dời sang chỗ khác: hệ điều "
        f"hành không cho phép thao tác này / {path}{suffix}, the replaced store file's, not "
        "moved aside: the operating system does not permit this" for suffix in ("-wal", "-shm")]
    system = os.strerror(errno.EPERM)
    assert all(system not in message for level, message in said if level >= logging.WARNING)
    assert any(system in message for level, message in said if level == logging.INFO)


def test_a_store_folder_back_from_a_hiccup_keeps_its_log_and_every_scan_at_a_power_cut(
        tmp_path):
    """The store's folder cannot be looked at for a moment (a network disk's hiccup), while
    another program reads the store: the log cannot be emptied, and was then moved aside as
    a replaced file's — the folder being back by then, the kiosk's own live log. The store
    refused every scan for good (restart the kiosk), and the scans accepted since the
    reader began were lost at the power cut that followed. The log beside the file opened
    is its own: left there, scans taken again, all 25 in the store after the kill."""
    data = tmp_path / "data"
    data.mkdir()
    killed_once_it_says("then None, 10 of 10 recorded", HICCUP, data)
    assert checked(data / "kiosk.db") == (["ok"], 25)
    assert not list(data.glob("*.of-replaced-store-*"))


def test_a_stop_while_the_store_folder_cannot_be_looked_at_keeps_the_log_of_every_scan(
        tmp_path):
    """The kiosk stopped while its store's folder cannot be looked at, another program
    reading the store: the stop waits for that reader to let the log be emptied, and the
    folder is back meanwhile. The log, found beside the file it was opened with, is that
    file's own: left there (it was moved aside, and the 10 scans accepted since the reader
    began were not in the store at the next start)."""
    data = tmp_path / "data"
    data.mkdir()
    path = data / "kiosk.db"
    store = Store(path)
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    for i in range(5):
        assert pipeline.submit(person(i)).recorded
    reader = reading(path)
    try:
        for i in range(5, 15):
            assert pipeline.submit(person(i)).recorded
        kept = loop_in_place_of(data)
        assert store.refusal().code == "store.unconfirmed"  # its log not emptied: the reader

        with back_once_the_store_speaks(data, kept):
            store.close()  # says the log is not emptied once it has waited for the reader

        assert sorted(p.name for p in data.iterdir()) == [
            "kiosk.db", "kiosk.db-shm", "kiosk.db-wal"]
    finally:
        reader.communicate("done\n", timeout=30)
    assert checked(path) == (["ok"], 15)


def test_a_scan_and_the_screens_poll_finding_the_folder_lost_at_once_take_scans_once_back(
        tmp_path):
    """A scan's commit and the screens' poll (which takes no store lock) look at the path as
    its folder is lost. The one looking second took the first one's "cannot be looked at"
    for the refusal that stood before it, which the folder's return puts back: refused
    until a restart, saying the path cannot be looked at while it can. The scan here is
    held as it is about to look (a trace of its thread) while the poll runs; it goes on
    once the poll has answered, or after 1 s if the poll waits for it."""
    data = tmp_path / "data"
    data.mkdir()
    store = Store(data / "kiosk.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP1", kiosk_id="k1"))
    assert pipeline.submit(person(0)).recorded
    about_to_look, go_on = threading.Event(), threading.Event()

    def held_as_it_looks(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is file_identity.__code__ and not go_on.is_set():
            about_to_look.set()
            go_on.wait()

    scans: list[object] = []

    def scan() -> None:
        sys.settrace(held_as_it_looks)
        scans.append(pipeline.submit(person(1)))

    scanning = threading.Thread(target=scan)
    scanning.start()
    assert about_to_look.wait(timeout=30)
    kept = loop_in_place_of(data)
    answers: list[object] = []
    poll = threading.Thread(target=lambda: answers.append(store.refusal()))
    poll.start()
    poll.join(timeout=1)
    go_on.set()
    scanning.join()
    poll.join()
    assert not scans[0].recorded
    assert answers[0].code == "store.unconfirmed"

    swap(kept, data)  # the folder back

    assert store.refusal() is None
    assert pipeline.submit(person(2)).recorded
    store.close()
    assert checked(data / "kiosk.db") == (["ok"], 2)
