"""What ``kiosk export -o FILE`` (and ``kiosk sync export --to FILE``) does with the file it
is asked to write, run as the technician runs it (the real command, a real store).

- The store itself, its log or the log's index, by any name (a slip in the data folder,
  a hard link, a symbolic link), is never written over: the command refuses before opening
  anything for writing, and every entry stays.
- An export of identities leaves the kiosk only with its audit row: the row is written
  before the file; a final row the store refuses removes the file, and says so.
- A stick that fills as the file is finished (its last buffered bytes) leaves no file
  holding the first rows only.
- A pipe or a device (``-o /dev/null``, ``-o >(gzip > out.csv.gz)``, a named pipe) takes
  the export as a file does, with both audit rows: only a file on a disk is fsync'd.
- A file already there (an older export, a link, even one leading nowhere) is kept, with
  words naming it, unless ``--force``; nothing is read or recorded for a refused export.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from central_support import write_lock_held_by_another_process

from tests.conftest import CCCD_AN
from tests.test_cli_store_words import kiosk, write_config
from tests.test_store_disk_failing import small_disk
from tests.ui_support import cccd_line

REFUSED = {
    "vi": "{path} là một tệp của cơ sở dữ liệu đang dùng ({store}): không ghi đè lên tệp "
          "này, không ghi gì; hãy chọn một tên tệp khác",
    "en": "{path} is a file of the database in use ({store}): it is not written over, "
          "nothing written; choose another file name",
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_store_by_any_name_is_never_an_export_file(tmp_path: Path, language: str) -> None:
    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    (tmp_path / "linked.csv").hardlink_to(store)
    (tmp_path / "pointer.csv").symlink_to(store)
    reader = sqlite3.connect(store)  # the running kiosk: its log and index stay there
    try:
        reader.execute("SELECT count(*) FROM entries").fetchone()
        before = {name: digest(tmp_path / name) for name in ("kiosk.db", "kiosk.db-wal")}
        for name, side in (("kiosk.db", "kiosk.db"), ("kiosk.db-wal", "kiosk.db-wal"),
                           ("kiosk.db-shm", "kiosk.db-shm"), ("linked.csv", "kiosk.db"),
                           ("pointer.csv", "kiosk.db")):
            target = tmp_path / name
            said = REFUSED[language].format(path=target, store=tmp_path / side)
            for command in (("export", "-o", str(target)),
                            ("export", "--format", "xlsx", "-o", str(target))):
                proc = kiosk(config, *command)
                assert (proc.returncode, proc.stderr) == (2, said + "\n"), command
            proc = kiosk(config, "sync", "export", "--to", str(target), "--force")
            assert proc.returncode == 1
            assert proc.stderr == {"vi": "Không xuất được tệp: ", "en": "Export failed: "
                                   }[language] + said + "\n"
        assert {name: digest(tmp_path / name) for name in before} == before
    finally:
        reader.close()
    with sqlite3.connect(store) as conn:  # every entry, still pending
        assert conn.execute("SELECT count(*) FROM entries WHERE sync_state = 'pending'"
                            ).fetchone() == (1,)
    proc = kiosk(config, "export", "-o", str(tmp_path / "kiosk.csv"))  # another name: written
    assert proc.returncode == 0, proc.stderr
    assert "001099012345" in (tmp_path / "kiosk.csv").read_text(encoding="utf-8-sig")


KEPT = {
    "vi": "{path} là tệp {kept} mà trạm giữ (cấu hình, mã truy cập hoặc khoá): không ghi đè "
          "lên tệp này, kể cả với --force, không ghi gì; hãy chọn một tên tệp khác",
    "en": "{path} is {kept}, a file the kiosk keeps (its config, token or keys): it is not "
          "written over, not even with --force, nothing written; choose another file name",
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_kiosks_config_token_and_keys_are_never_an_export_file(tmp_path: Path,
                                                                  language: str) -> None:
    """``--force`` replaces an earlier export, never a file the kiosk keeps: ``sync export
    --to`` slipping onto the signing key destroyed it (the next export failed, the centre had
    to be told a new key), onto the centre's key the kiosk keeps lost it (the next server
    answering at the centre's address was believed, and sealed to). By name, made yet or
    not, and through a hard link."""
    config = write_config(tmp_path, tmp_path / "kiosk.db", language)
    config.write_text(config.read_text(encoding="utf-8") + '[sync]\ntoken_file = "token"\n',
                      encoding="utf-8")
    token, centre = tmp_path / "token", tmp_path / "centre-backlog.json"
    token.write_text("a-kiosk-token\n", encoding="utf-8")
    centre.write_text('{"kept": "the centre key"}\n', encoding="utf-8")
    (tmp_path / "token-link").hardlink_to(token)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    before = {path: digest(path) for path in (config, token, centre)}
    signing_key = tmp_path / "backlog-signing.key"
    for name, kept in ((config.name, config), ("token", token), ("token-link", token),
                       ("backlog-signing.key", signing_key), ("centre-backlog.json", centre)):
        target = tmp_path / name
        said = KEPT[language].format(path=target, kept=kept)
        proc = kiosk(config, "export", "-o", str(target), "--force")
        assert (proc.returncode, proc.stderr) == (2, said + "\n")
        proc = kiosk(config, "sync", "export", "--to", str(target), "--force")
        assert proc.returncode == 1 and proc.stderr.endswith(said + "\n")
    assert {path: digest(path) for path in before} == before and not signing_key.exists()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_stores_side_files_not_made_yet_are_never_an_export_file(
        tmp_path: Path, language: str) -> None:
    """The kiosk stopped (its store closed: no log, no index; a WAL store never has a
    rollback journal): the export opening the store would make the very file it was asked
    to write over, and write its rows into the live log. Refused by name before anything is
    opened; the store stays sound, every entry in it."""
    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    assert sorted(p.name for p in tmp_path.glob("kiosk.db*")) == ["kiosk.db"]
    for suffix in ("-wal", "-shm", "-journal"):
        target = tmp_path / f"kiosk.db{suffix}"
        said = REFUSED[language].format(path=target, store=target)
        proc = kiosk(config, "export", "-o", str(target))
        assert (proc.returncode, proc.stderr) == (2, said + "\n"), suffix
        proc = kiosk(config, "sync", "export", "--to", str(target), "--force")
        assert proc.returncode == 1 and said in proc.stderr, suffix
    assert kiosk(config, "store", "check").returncode == 0
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM entries").fetchone() == (1,)


@contextlib.contextmanager
def bind_mounted(folder: Path, at: Path) -> Iterator[Path]:
    """``folder`` seen at ``at`` too, by a bind mount (the data folder of a read-only system
    image): the same folder, not a link, until the block ends."""
    if os.geteuid() != 0:
        pytest.skip("a bind mount needs root")
    at.mkdir()
    mounted = subprocess.run(["mount", "--bind", str(folder), str(at)], capture_output=True,
                             text=True)
    if mounted.returncode:
        pytest.skip(f"a bind mount cannot be made here: {mounted.stderr.strip()}")
    try:
        yield at
    finally:
        subprocess.run(["umount", "--lazy", str(at)], check=True)


def test_the_stores_files_through_another_mount_of_its_folder_are_never_an_export_file(
        tmp_path: Path) -> None:
    """The kiosk stopped and its data folder reached by a second path that is no link (a
    bind mount): the side files not made yet are told by the folder's identity and their
    name, not by the path. Before, ``-o alias/kiosk.db-wal`` exported into the log the
    command made as it opened the store (the store damaged), and ``-shm`` ended in SIGBUS."""
    data = tmp_path / "data"
    data.mkdir()
    store = data / "kiosk.db"
    config = write_config(tmp_path, store, "en")
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    with bind_mounted(data, tmp_path / "alias") as alias:
        for suffix in ("", "-wal", "-shm", "-journal"):
            target = alias / f"kiosk.db{suffix}"
            said = REFUSED["en"].format(path=target, store=f"{store}{suffix}")
            proc = kiosk(config, "export", "-o", str(target))
            assert (proc.returncode, proc.stderr) == (2, said + "\n"), suffix
            proc = kiosk(config, "sync", "export", "--to", str(target), "--force")
            assert proc.returncode == 1 and said in proc.stderr, suffix
    assert sorted(p.name for p in data.glob("kiosk.db*")) == ["kiosk.db"]
    assert kiosk(config, "store", "check").returncode == 0
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT count(*) FROM entries WHERE sync_state = 'pending'"
                            ).fetchone() == (1,)


EXISTS = {
    "vi": "{path} đã có: không ghi đè lên tệp này, không ghi gì (thêm --force để thay tệp "
          "này)",
    "en": "{path} already exists: it is not written over, nothing written (add --force to "
          "replace it)",
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_export_file_already_there_is_kept_unless_forced(tmp_path: Path,
                                                              language: str) -> None:
    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    older = tmp_path / "older.csv"
    older.write_text("an older export\n")
    (tmp_path / "pointer.csv").symlink_to(older)
    (tmp_path / "nowhere.csv").symlink_to(tmp_path / "gone.csv")
    for name in ("older.csv", "pointer.csv", "nowhere.csv"):
        target = tmp_path / name
        for command in (("export", "-o", str(target)),
                        ("export", "--format", "xlsx", "-o", str(target))):
            proc = kiosk(config, *command)
            said = EXISTS[language].format(path=target)
            assert (proc.returncode, proc.stderr) == (2, said + "\n"), command
        proc = kiosk(config, "sync", "export", "--to", str(target))
        assert proc.returncode == 1 and said in proc.stderr
    assert older.read_text() == "an older export\n" and not (tmp_path / "gone.csv").exists()
    os.chmod(older, 0o644)
    assert export_rows(store) == []  # nothing read: no audit row
    assert kiosk(config, "export", "-o", str(older), "--force").returncode == 0
    assert "001099012345" in older.read_text(encoding="utf-8-sig")
    assert older.stat().st_mode & 0o777 == 0o600  # replaced: for its owner only
    proc = kiosk(config, "export", "--format", "xlsx", "-o", str(tmp_path / "nowhere.csv"),
                 "--force")
    assert proc.returncode == 0, proc.stderr
    # the link replaced by the export, never followed (tests/test_output_not_followed.py)
    assert (tmp_path / "nowhere.csv").read_bytes()[:2] == b"PK"
    assert not (tmp_path / "nowhere.csv").is_symlink() and not (tmp_path / "gone.csv").exists()


NO_FOLDER = {
    "vi": "không có thư mục {folder}, không ghi gì (thư mục không được tạo ra trên đĩa của máy "
          "này). Nếu đó là USB: hãy cắm USB và gắn (mount) nó, rồi chạy lại lệnh; nếu không, "
          "hãy kiểm tra lại đường dẫn {path}",
    "en": "there is no folder {folder}, nothing written (the folder is not made on this "
          "machine's own disk). If it is a USB stick: plug it in and mount it, then run the "
          "command again; if not, check the path {path}",
}
FOLDER = {
    "vi": "{path} là một thư mục: hãy cho tên một tệp trong thư mục đó, chẳng hạn {example}; "
          "không ghi gì",
    "en": "{path} is a folder: give the name of a file in it, e.g. {example}; nothing written",
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_export_into_a_folder_not_there_is_refused_and_the_folder_never_made(
        tmp_path: Path, language: str) -> None:
    """``-o /media/usb/ngay-5.csv`` with the stick not mounted: refused before a row is read
    (no audit row), naming the folder and what to do, exit 2. The folder is never made: on
    the kiosk's own disk it would take the identities the stick was meant to carry, and be
    hidden under the stick once mounted."""
    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    media = tmp_path / "media"
    media.mkdir()
    for fmt in ("csv", "xlsx"):
        target = media / "usb" / f"ngay-5.{fmt}"
        proc = kiosk(config, "export", "--format", fmt, "-o", str(target))
        assert (proc.returncode, proc.stdout) == (2, ""), fmt
        assert proc.stderr == NO_FOLDER[language].format(folder=media / "usb",
                                                         path=target) + "\n", fmt
    assert list(media.iterdir()) == []
    assert export_rows(store) == []  # nothing read: no audit row


NOT_MOUNTED = {
    "vi": "không có USB nào được gắn (mount) ở {folder}: đó là một thư mục trên đĩa của máy "
          "này, không ghi gì. Hãy cắm USB và gắn (mount) nó, rồi chạy lại lệnh; muốn ghi vào "
          "đĩa của máy này thì hãy cho một thư mục ngoài {roots}",
    "en": "no USB stick is mounted at {folder}: it is a folder on this machine's own disk, "
          "nothing written. Plug in the stick and mount it, then run the command again; to "
          "write to this machine's disk on purpose, give a folder outside {roots}",
}


@pytest.fixture
def media(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A media root of the test's own (``/media`` itself is the machine's), a folder on the
    disk of its parent as ``/media`` is on ``/``: the only one for this test's commands,
    which are therefore run in this process."""
    from kiosk import private_files

    root = tmp_path / "media"
    root.mkdir()
    monkeypatch.setattr(private_files, "MEDIA_ROOTS", (root,))
    return root


def run_kiosk(config: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The ``kiosk`` command run in this process (so that it sees :func:`media`): its exit
    code and what it wrote on stderr."""
    from kiosk import cli

    try:
        code = cli.main([*args, "--config", str(config)])
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_export_into_a_media_folder_with_no_stick_mounted_is_refused(
        tmp_path: Path, media: Path, language: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The folder is there but no stick is mounted on it: a ``/media/usb`` an earlier
    version made, usbmount's ``/media/usb0`` (always there), a udisks or fstab mount point
    left behind, or the media folder itself, by a link too. Refused as a folder not there
    is, with or without ``--force``: nothing read (no audit row), nothing written, exit 2
    (``sync export`` 1), naming the folder and both ways on. Before, the identities were
    written onto the kiosk's own disk, "done", and the operator left with an empty stick."""
    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    failed = {"vi": "Không xuất được tệp: ", "en": "Export failed: "}[language]
    for folder in (media / "usb", media / "usb0", media / "operator" / "KINGSTON", media):
        folder.mkdir(parents=True, exist_ok=True)
        said = NOT_MOUNTED[language].format(folder=folder, roots=media)
        for command in (("export", "-o", str(folder / "ngay-5.csv")),
                        ("export", "--format", "xlsx", "-o", str(folder / "ngay-5.xlsx")),
                        ("export", "-o", str(folder / "ngay-5.csv"), "--force")):
            assert run_kiosk(config, *command, capsys=capsys) == (2, said + "\n"), command
        for extra in ((), ("--force",)):
            assert run_kiosk(config, "sync", "export", "--to", str(folder / "k1.backlog"),
                             *extra, capsys=capsys) == (1, failed + said + "\n"), folder
    link = tmp_path / "stick"  # a link to it is the same folder
    link.symlink_to(media / "usb")
    said = NOT_MOUNTED[language].format(folder=link, roots=media)
    assert run_kiosk(config, "export", "-o", str(link / "ngay-5.csv"), capsys=capsys) == (
        2, said + "\n")
    assert sorted(str(p.relative_to(media)) for p in media.rglob("*")) == [
        "operator", "operator/KINGSTON", "usb", "usb0"]
    assert export_rows(store) == []  # nothing read: no audit row


def test_an_export_onto_a_stick_mounted_under_the_media_folder_is_written(
        tmp_path: Path, media: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A file system mounted at ``/media/usb`` (a real one: a small tmpfs standing for the
    stick, so root is needed), or at the media folder itself (``mount /dev/sdb1 /mnt``),
    takes the export, in a folder of its own too; a folder outside the media folders is
    this machine's disk on purpose, and takes it as well."""
    from kiosk import private_files

    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, "en")
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    local = tmp_path / "exports"
    local.mkdir()
    with small_disk(media / "usb") as stick, small_disk(tmp_path / "mnt") as mnt:
        (stick / "ngay-5").mkdir()
        targets = (stick / "ngay-5.csv", stick / "ngay-5" / "entries.csv", mnt / "ngay-5.csv",
                   local / "ngay-5.csv")
        monkeypatch.setattr(private_files, "MEDIA_ROOTS", (media, mnt))
        for target in targets:
            assert run_kiosk(config, "export", "-o", str(target), capsys=capsys) == (
                0, "exported 1 entries\n"), target
            assert "001099012345" in target.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_folder_given_as_the_export_file_is_refused_with_a_file_name_to_give(
        tmp_path: Path, language: str) -> None:
    """``-o /media/usb`` (the stick, not a file on it), with or without ``--force``: a
    folder, said so with a file name to give in it, never an "already exists … add --force"
    that would not help; nothing read, the folder as it was."""
    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    stick = tmp_path / "usb"
    stick.mkdir()
    for fmt in ("csv", "xlsx"):
        for extra in ((), ("--force",)):
            proc = kiosk(config, "export", "--format", fmt, "-o", str(stick), *extra)
            assert (proc.returncode, proc.stderr) == (2, FOLDER[language].format(
                path=stick, example=stick / f"entries.{fmt}") + "\n"), (fmt, extra)
    assert list(stick.iterdir()) == []
    assert export_rows(store) == []


BUSY = {
    "vi": "lỗi kho dữ liệu: {store}: một chương trình khác đang khoá kho dữ liệu\nĐóng chương "
          "trình kia (một lệnh kiosk khác, một trình xem cơ sở dữ liệu, một công cụ sao lưu) "
          "rồi chạy lại lệnh này\n",
    "en": "store error: {store}: another program holds the store locked\nClose the other "
          "program (another kiosk command, a database browser, a backup tool), then run this "
          "command again\n",
}


def export_rows(store: Path) -> list[tuple[str, dict]]:
    with sqlite3.connect(store) as conn:
        return [(action, json.loads(detail)) for action, detail in conn.execute(
            "SELECT action, detail FROM audit_log WHERE action LIKE 'export.%' ORDER BY id")]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_no_export_is_written_while_its_audit_row_cannot_be(tmp_path: Path,
                                                             language: str) -> None:
    """Another program holds the store's write lock (``sqlite3`` left in a transaction, a
    backup tool): the export's audit row cannot be written, so no file is, not even an
    empty one; the file that was there is left as it was."""
    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    (tmp_path / "kept.csv").write_text("an older export\n")
    with write_lock_held_by_another_process(store):
        for name, command in (("out.csv", ()), ("out.xlsx", ("--format", "xlsx")),
                              ("kept.csv", ("--force",))):  # an older file it may replace
            proc = kiosk(config, "export", *command, "-o", str(tmp_path / name))
            assert (proc.returncode, proc.stderr) == (3, BUSY[language].format(store=store))
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.xlsx").exists()
    assert (tmp_path / "kept.csv").read_text() == "an older export\n"
    assert export_rows(store) == []

    proc = kiosk(config, "export", "--from", "2020-01-01", "-o", str(tmp_path / "out.csv"))
    assert proc.returncode == 0, proc.stderr
    asked = {"since": "2020-01-01T00:00:00+07:00", "until": None,
             "file": str(tmp_path / "out.csv")}
    found = export_rows(store)
    assert [action for action, _ in found] == ["export.csv", "export.csv.done"]
    assert found[0][1].keys() == asked.keys() and found[1][1]["rows"] == 1


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_export_whose_count_cannot_be_recorded_is_deleted_and_said(
        tmp_path: Path, language: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The row saying who exports what is written first; another program takes the lock
    while the rows are written (a real second process, as soon as the file is complete),
    so the row with the count is refused: the file is deleted, and the command says so
    before the store's words."""
    from kiosk import cli, exports

    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    holding = contextlib.ExitStack()
    write_csv = exports.write_csv

    def then_locked(*args: object, **kwargs: object) -> int:
        count = write_csv(*args, **kwargs)
        holding.enter_context(write_lock_held_by_another_process(store))
        return count

    monkeypatch.setattr(exports, "write_csv", then_locked)
    target = tmp_path / "out.csv"
    with holding:
        assert cli.main(["export", "-o", str(target), "--config", str(config)]) == 3
    removed = {"vi": f"Đã xoá tệp xuất {target}: không ghi được số lượt đã xuất vào nhật ký, "
                     "nên tệp không được giữ\n",
               "en": f"The export file {target} was deleted: the count of entries exported "
                     "could not be written to the audit log, so the file is not kept\n"}
    assert capsys.readouterr().err == removed[language] + BUSY[language].format(store=store)
    assert not target.exists()
    assert [action for action, _ in export_rows(store)] == ["export.csv"]


def store_of(config: Path, entries: int) -> None:
    """``entries`` scans of distinct people, recorded as the kiosk records them."""
    from kiosk.app import policy_from
    from kiosk.config import load
    from kiosk.pipeline import Pipeline
    from kiosk.scan import Scan
    from kiosk.store import Store

    loaded = load(str(config))
    store = Store(loaded.store_path, timezone=loaded.timezone)
    try:
        pipeline = Pipeline(store, policy_from(loaded))
        for number in range(1, entries + 1):
            assert pipeline.submit(Scan(cccd_line(number).encode(), device_id="lane1")).recorded
    finally:
        store.close()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_stick_that_fills_as_the_export_is_finished_keeps_no_part_of_it(
        tmp_path: Path, language: str) -> None:
    """The stick has room for all but the export's last few KiB: those are still in the
    file's buffer when the rows are all formatted, and only the file's flush meets the full
    disk. That is part of the export: the part written is deleted, the file named."""
    config = write_config(tmp_path, tmp_path / "kiosk.db", language)
    store_of(config, 80)
    whole = tmp_path / "whole.csv"
    assert kiosk(config, "export", "-o", str(whole)).returncode == 0
    size = whole.stat().st_size
    assert size > 16384  # its rows are written past the 8 KiB buffer, all but the tail
    room = size // 4096 * 4096 if size % 4096 else size - 4096  # < 4 KiB short
    with small_disk(tmp_path / "stick", size_kib=128) as stick:
        (stick / "filler").write_bytes(bytes(128 * 1024 - room))
        free = os.statvfs(stick)
        assert free.f_bavail * free.f_frsize == room
        target = stick / "today.csv"
        proc = kiosk(config, "export", "-o", str(target))
        assert proc.returncode == 1
        assert proc.stderr == {
            "vi": f"Không ghi được tệp xuất {target}: ổ đĩa đã đầy; không xuất gì\n",
            "en": f"Cannot write the export file {target}: the disk is full; nothing "
                  "exported\n"}[language]
        assert sorted(p.name for p in stick.iterdir()) == ["filler"]
        (stick / "filler").unlink()  # room again: the whole export
        assert kiosk(config, "export", "-o", str(target)).returncode == 0
        assert target.read_bytes() == whole.read_bytes()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_an_export_into_a_pipe_or_a_device_is_an_export(tmp_path: Path, language: str) -> None:
    """Piping identities off the kiosk without a plain file (into gzip, ssh, an encrypting
    tool through a named pipe, or ``/dev/null`` to count them) exports every row and records
    both audit rows; the fsync that makes a file's last rows durable is for files on a disk
    (a pipe refuses it: the command said "nothing exported" after every row went out)."""
    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    proc = kiosk(config, "export", "-o", "/dev/null")
    assert proc.returncode == 0, proc.stderr
    fifo = tmp_path / "rows"
    os.mkfifo(fifo)
    reader = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdout.buffer.write("
                               "open(sys.argv[1], 'rb').read())", str(fifo)],
                              stdout=subprocess.PIPE)
    proc = kiosk(config, "export", "-o", str(fifo))
    piped = reader.communicate(timeout=60)[0].decode("utf-8-sig")
    assert proc.returncode == 0, proc.stderr
    assert "001099012345" in piped and len(piped.splitlines()) == 2  # the header, the row
    assert fifo.exists()  # a pipe is never deleted as a half-written export
    assert [action for action, _ in export_rows(store)] == [
        "export.csv", "export.csv.done"] * 2
