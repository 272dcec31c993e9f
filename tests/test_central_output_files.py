"""What ``kiosk-central trace -o FILE`` and ``kiosk-central report daily|monthly -o FILE`` do
with the file they are asked to write, run as the centre's staff run them (the real command,
a real SQLite centre).

- The centre's own database, its log, the log's index or a rollback journal, by any name (a
  slip in the data folder, a hard link, a symbolic link, a side file SQLite has not made
  yet), is never written over: the command refuses, naming the file, before the database
  is opened, and the database keeps every byte.
- A file already there (an older trace or report, a link, even one leading nowhere) is kept,
  with words naming it, unless ``--force``; a trace refused so is not run, so not recorded
  in the audit log. Forced, the file is replaced whole. A device (``-o /dev/null``) is
  written into, never replaced by a file. A folder is refused before anything is run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from central_support import central
from trace_support import Visit, number, store_scans

from kiosk.central.backends import open_storage

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOUR = dt.timedelta(hours=1)

FOLDER = ("{path} là một thư mục: hãy cho tên một tệp trong thư mục đó, chẳng hạn {example}; "
          "không ghi gì / {path} is a folder: give the name of a file in it, e.g. {example}; "
          "nothing written\n")
NO_FOLDER = ("không có thư mục {folder}, không ghi gì (thư mục không được tạo ra trên đĩa của "
             "máy này). Nếu đó là USB: hãy cắm USB và gắn (mount) nó, rồi chạy lại lệnh; nếu "
             "không, hãy kiểm tra lại đường dẫn {path} / there is no folder {folder}, nothing "
             "written (the folder is not made on this machine's own disk). If it is a USB "
             "stick: plug it in and mount it, then run the command again; if not, check the "
             "path {path}\n")
REFUSED = ("{path} là một tệp của cơ sở dữ liệu đang dùng ({store}): không ghi đè lên tệp "
           "này, không ghi gì; hãy chọn một tên tệp khác / {path} is a file of the database "
           "in use ({store}): it is not written over, nothing written; choose another file "
           "name\n")


def make_centre(folder: Path) -> str:
    """A SQLite centre holding person 1 at a market 3 days ago with person 3."""
    url = f"sqlite:///{folder / 'central.db'}"
    seen = NOW - dt.timedelta(days=3)
    with open_storage(url) as storage:
        store_scans(storage, [
            Visit(1, "cccd", "CP-CHO", "in", seen), Visit(1, "cccd", "CP-CHO", "out", seen + HOUR),
            Visit(3, "manual_phone", "CP-CHO", "in", seen - HOUR),
            Visit(3, "manual_phone", "CP-CHO", "out", seen + HOUR * 2),
        ], {})
    return url


def writing(db: str, target: Path, *extra: str) -> Iterator[tuple[str, ...]]:
    """Every command of the centre that writes ``-o target``."""
    for fmt in ("json", "xlsx"):
        yield ("trace", "--db", db, "--document", number(1), "--reason", "F0-1234",
               "--format", fmt, "-o", str(target), *extra)
        yield ("report", "daily", "--db", db, "--date", "today", "--format", fmt,
               "-o", str(target), *extra)
        yield ("report", "monthly", "--db", db, "--format", fmt, "-o", str(target), *extra)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("central.db*"))}


@contextlib.contextmanager
def centre_running(database: Path) -> Iterator[None]:
    """A reader holding the database open, as the running server does: its log and the
    log's index stay beside it."""
    reader = sqlite3.connect(database)
    try:
        reader.execute("SELECT count(*) FROM entries").fetchone()
        yield
    finally:
        reader.close()


def test_the_centres_database_by_any_name_is_never_an_output_file(tmp_path: Path) -> None:
    db = make_centre(tmp_path)
    database = tmp_path / "central.db"
    (tmp_path / "linked.xlsx").hardlink_to(database)
    (tmp_path / "pointer.json").symlink_to(database)
    with centre_running(database):
        assert {"central.db-wal", "central.db-shm"} <= set(digests(tmp_path))
        before = digests(tmp_path)
        for name, side in (("central.db", "central.db"), ("central.db-wal", "central.db-wal"),
                           ("central.db-shm", "central.db-shm"),
                           ("linked.xlsx", "central.db"), ("pointer.json", "central.db")):
            target = tmp_path / name
            for command in writing(db, target, "--force"):  # even forced
                proc = central(*command, check=False)
                said = REFUSED.format(path=target, store=tmp_path / side)
                assert (proc.returncode, proc.stderr, proc.stdout) == (2, said, ""), command
        assert digests(tmp_path) == before
    assert central("trace", "--db", db, "--document", number(1), "--reason", "F0-1234",
                   "--format", "json", "-o", str(tmp_path / "F0-1234.json")).returncode == 0
    assert "Phạm Thị Dung" in (tmp_path / "F0-1234.json").read_text(encoding="utf-8")


def test_the_side_files_not_made_yet_are_never_an_output_file(tmp_path: Path) -> None:
    """The centre stopped (its database closed: no log, no index; a WAL database never
    has a rollback journal): the command opening the database would make the very file
    it was asked to write over, and its writes go into the live log. Refused by name
    before the database is opened; it stays sound, every entry in it."""
    db = make_centre(tmp_path)
    assert list(digests(tmp_path)) == ["central.db"]
    before = digests(tmp_path)
    for suffix in ("-wal", "-shm", "-journal"):
        target = tmp_path / f"central.db{suffix}"
        for command in writing(db, target):
            proc = central(*command, check=False)
            said = REFUSED.format(path=target, store=target)
            assert (proc.returncode, proc.stderr) == (2, said), command
            assert not target.exists(), command
    assert digests(tmp_path) == before
    with contextlib.closing(sqlite3.connect(tmp_path / "central.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM entries").fetchone() == (4,)


EXISTS = ("{path} đã có: không ghi đè lên tệp này, không ghi gì (thêm --force để thay tệp "
          "này) / {path} already exists: it is not written over, nothing written (add "
          "--force to replace it)\n")


def test_an_output_file_already_there_is_kept_unless_forced(tmp_path: Path) -> None:
    db = make_centre(tmp_path)
    older = tmp_path / "F0-1234.json"
    older.write_text("an older trace\n")
    (tmp_path / "pointer.json").symlink_to(older)
    (tmp_path / "nowhere.json").symlink_to(tmp_path / "gone.json")
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    for name in ("F0-1234.json", "pointer.json", "nowhere.json", "loop.json"):
        target = tmp_path / name
        for command in writing(db, target):
            proc = central(*command, check=False)
            assert (proc.returncode, proc.stderr, proc.stdout) == (
                2, EXISTS.format(path=target), ""), command
    assert older.read_text() == "an older trace\n" and not (tmp_path / "gone.json").exists()
    assert loop.is_symlink()
    audit = central("audit", "list", "--db", db, "--kind", "trace", "--json").stdout
    assert audit.strip() == "[]"  # refused before the trace: none run, none recorded

    for command in writing(db, older, "--force"):
        assert central(*command).returncode == 0, command
        assert older.read_bytes()[:2] in (b"PK", b"{\n", b'{"'), command
    assert [p.name for p in tmp_path.glob(".*")] == []  # no temporary left
    assert central("trace", "--db", db, "--document", number(1), "--reason", "F0-1234",
                   "-o", str(tmp_path / "pointer.json"), "--force").returncode == 0
    assert not (tmp_path / "pointer.json").is_symlink()  # the link replaced, not followed
    assert older.read_bytes()[:2] == b"PK"  # the monthly xlsx, last written above


def test_a_folder_is_refused_as_output_before_the_trace_is_run(tmp_path: Path) -> None:
    """``-o`` naming a folder (a slip: the reports folder for a file in it), with or without
    --force: refused before the database is opened, naming it, so no trace is run nor
    recorded and the folder is left as it was. Before, the trace ran and was recorded in the
    audit log, then the write refused the folder as a file 'already there' (exit 2) or, with
    --force, failed ('did not finish', exit 1): a trace on record whose answer went nowhere."""
    db = make_centre(tmp_path)
    folder = tmp_path / "traces"
    folder.mkdir()
    (folder / "older.json").write_text("kept\n")
    for extra in ((), ("--force",)):
        for command in writing(db, folder, *extra):
            proc = central(*command, check=False)
            fmt = command[command.index("--format") + 1]
            name = {"trace": "trace", "daily": "bao-cao-ngay", "monthly": "bao-cao-thang"}[
                command[0] if command[0] == "trace" else command[1]]
            assert (proc.returncode, proc.stderr, proc.stdout) == (
                2, FOLDER.format(path=folder, example=folder / f"{name}.{fmt}"), ""), command
    assert [p.name for p in folder.iterdir()] == ["older.json"]
    assert [p.name for p in tmp_path.glob(".*")] == []  # no temporary left
    audit = central("audit", "list", "--db", db, "--kind", "trace", "--json").stdout
    assert audit.strip() == "[]"  # refused before the trace: none run, none recorded


def test_an_output_into_a_folder_not_there_is_refused_before_the_trace_is_run(
        tmp_path: Path) -> None:
    """``-o /media/usb/trace.json`` with the stick not mounted, with or without --force:
    refused before the database is opened, naming the folder and what to do; the folder is
    never made (it would be on the server's own disk, the file hidden once a stick is
    mounted over it), no trace run nor recorded."""
    db = make_centre(tmp_path)
    media = tmp_path / "media"
    media.mkdir()
    target = media / "usb" / "answer.json"
    for extra in ((), ("--force",)):
        for command in writing(db, target, *extra):
            proc = central(*command, check=False)
            assert (proc.returncode, proc.stderr, proc.stdout) == (
                2, NO_FOLDER.format(folder=media / "usb", path=target), ""), command
    assert list(media.iterdir()) == []
    audit = central("audit", "list", "--db", db, "--kind", "trace", "--json").stdout
    assert audit.strip() == "[]"


def test_a_device_takes_the_output_and_is_never_replaced(tmp_path: Path) -> None:
    """``-o /dev/null`` (checking a trace runs, as root on the server): written into, with
    or without --force; replaced by a file (as it was), every program's /dev/null would be
    a file. A node of that very device in the test's folder stands for it, so a failing
    test leaves the system's /dev/null alone."""
    db = make_centre(tmp_path)
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    for command in (*writing(db, null), *writing(db, null, "--force")):
        assert central(*command).returncode == 0, command
        assert null.is_char_device(), command
