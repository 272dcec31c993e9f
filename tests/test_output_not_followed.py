"""An export's output name in a folder others can write (a shared folder, a stick mounted
for everyone) is never a way for them to take the export or to damage the kiosk.

Run as root, as the technician runs ``sudo kiosk export``, with the real command on a real
store. Another account (``nobody``) has planted things in the shared folder:

- a symbolic link to a file of its own, readable by all: ``--force`` replaces the link with
  the export, 0600, and never writes the identities into that file (nor into any file a
  link leads to: ``/etc/passwd`` would be truncated the same way);
- an old export readable by all (0644): ``--force`` leaves the new export 0600;
- a named pipe of its own (or a link to one): the export is refused, never written into
  it for that account to read, with or without ``--force``;
- a link to a block device (a disk): refused, the disk never written;
- ``sync export --to`` a pipe or a device: refused (a backlog is a file, renamed into
  place: over /dev/null it made /dev/null a file).
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CCCD_AN
from tests.test_cli_store_words import kiosk, write_config

NOBODY = 65534
REFUSED = {
    "vi": "{path} là một thiết bị khối, một socket hoặc một ống có tên của người dùng khác: "
          "không ghi gì vào đó; hãy chọn một tên tệp khác",
    "en": "{path} is a block device, a socket or another user's named pipe: nothing written "
          "into it; choose another file name",
}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="plants another account's files")


def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "share"
    folder.mkdir()
    os.chmod(folder, 0o777)  # writable by all, not sticky (a Samba share, a stick)
    return folder


@pytest.mark.parametrize("language", ["vi", "en"])
def test_force_replaces_a_planted_link_never_writes_through_it(tmp_path: Path,
                                                               language: str) -> None:
    config = write_config(tmp_path, tmp_path / "kiosk.db", language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    share = shared(tmp_path)
    theirs = tmp_path / "theirs.txt"
    theirs.write_text("nobody's own\n")
    os.chown(theirs, NOBODY, NOBODY)
    os.chmod(theirs, 0o666)
    for command in (("export",), ("export", "--format", "xlsx")):
        target = share / "today.csv"
        target.symlink_to(theirs)
        os.lchown(target, NOBODY, NOBODY)
        proc = kiosk(config, *command, "-o", str(target), "--force")
        assert proc.returncode == 0, proc.stderr
        assert theirs.read_text() == "nobody's own\n", command  # never written through
        assert not target.is_symlink() and stat.S_IMODE(target.stat().st_mode) == 0o600
        assert target.stat().st_uid == os.geteuid()
        target.unlink()
    (share / "folder").symlink_to(tmp_path, target_is_directory=True)  # a folder: refused
    for force in ((), ("--force",)):                                   # before, naming it
        proc = kiosk(config, "export", "-o", str(share / "folder"), *force)
        assert proc.returncode == 2, proc.stderr  # a file name in it given instead
        assert str(share / "folder" / "entries.csv") in proc.stderr, proc.stderr
        assert (share / "folder").is_symlink()  # never removed for a file


def test_force_leaves_an_export_for_its_owner_only(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "kiosk.db", "en")
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    older = shared(tmp_path) / "older.csv"
    for command in (("export",), ("export", "--format", "xlsx")):
        older.write_text("an older export, readable by all\n")
        os.chmod(older, 0o644)
        proc = kiosk(config, *command, "-o", str(older), "--force")
        assert proc.returncode == 0, proc.stderr
        assert stat.S_IMODE(older.stat().st_mode) == 0o600, command
    assert older.read_bytes()[:2] == b"PK"


@contextlib.contextmanager
def reading(fifo: Path) -> Iterator[list[bytes]]:
    """A reader of ``fifo`` (the other account's), what it got once the block ends."""
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as pipe:
            got.append(pipe.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        if thread.is_alive():  # nothing opened it: let the reader go
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(timeout=30)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_another_accounts_pipe_never_gets_the_export(tmp_path: Path, language: str) -> None:
    config = write_config(tmp_path, tmp_path / "kiosk.db", language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    share = shared(tmp_path)
    fifo = tmp_path / "nobodys-pipe"
    os.mkfifo(fifo)
    os.chown(fifo, NOBODY, NOBODY)
    (share / "linked.csv").symlink_to(fifo)
    for name in (fifo, share / "linked.csv"):
        for force in ((), ("--force",)):
            for command in (("export", "-o"), ("export", "--format", "xlsx", "-o")):
                with reading(fifo) as got:
                    proc = kiosk(config, *command, str(name), *force)
                assert b"".join(got) == b"", (name, command)
                said = REFUSED[language].format(path=name)
                assert said in proc.stderr and proc.returncode == 2, proc.stderr
    assert fifo.exists() and (share / "linked.csv").is_symlink()


def test_a_link_to_a_disk_is_never_written(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path / "kiosk.db", "en")
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(1 << 20))
    made = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True,
                          text=True)
    if made.returncode != 0:
        pytest.skip(f"no loop device here: {made.stderr.strip()}")
    device = made.stdout.strip()
    try:
        target = shared(tmp_path) / "today.csv"
        target.symlink_to(device)
        for force in ((), ("--force",)):
            proc = kiosk(config, "export", "-o", str(target), *force)
            assert proc.returncode == 2, proc.stderr
            assert REFUSED["en"].format(path=target) in proc.stderr
    finally:
        subprocess.run(["losetup", "-d", device], check=True)
    assert image.read_bytes() == bytes(1 << 20)  # the disk as it was


def test_a_backlog_files_part_name_planted_as_a_link_is_never_written_through(
        tmp_path: Path) -> None:
    """``sync export --to share/today.backlog`` writes ``today.backlog.part`` first: a link
    of that name planted by another account is replaced, and what it leads to (here that
    account's file; as root, any file) is never truncated nor written."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.sync import backlog
    from tests.sync_support import backlog_rows

    share = shared(tmp_path)
    theirs = tmp_path / "theirs.txt"
    theirs.write_text("nobody's own\n")
    os.chown(theirs, NOBODY, NOBODY)
    path = share / "today.backlog"
    (share / "today.backlog.part").symlink_to(theirs)
    os.lchown(share / "today.backlog.part", NOBODY, NOBODY)
    backlog.write_backlog(path, backlog_rows(3, kiosk_id="kiosk-t"),
                          signing_key=Ed25519PrivateKey.generate(),
                          centre_key=X25519PrivateKey.generate().public_key(),
                          kiosk_id="kiosk-t", checkpoint_id="CP-SYNC", force=False)
    assert theirs.read_text() == "nobody's own\n"
    assert path.is_file() and not path.is_symlink()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not os.path.lexists(share / "today.backlog.part")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_backlog_never_replaces_a_device_or_a_pipe(tmp_path: Path, language: str) -> None:
    """``sync export --to /dev/null --force`` (as ``kiosk export -o /dev/null`` counts rows)
    renamed the backlog over the device: as root, /dev/null became a root-only regular file
    and every other program writing to it failed. A backlog is a file written whole, then
    read back and checked: a pipe or a device is refused, with or without --force, and left
    as it was. Here a device node of /dev/null's numbers, and a named pipe, in tmp."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.sync.backlog_keys import encode
    from kiosk.sync.kiosk_keys import KioskKeys

    config = write_config(tmp_path, tmp_path / "kiosk.db", language)
    KioskKeys(tmp_path).remember({"centre_key": encode(X25519PrivateKey.generate()
                                                       .public_key())})
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    said = {"vi": "không phải một tệp", "en": "is not a file"}[language]
    for target in (null, fifo):
        for force in ((), ("--force",)):
            proc = kiosk(config, "sync", "export", "--to", str(target), *force)
            assert proc.returncode == 1 and said in proc.stderr, proc.stderr
            assert not os.path.lexists(f"{target}.part")
    assert stat.S_ISCHR(null.stat().st_mode) and stat.S_ISFIFO(fifo.stat().st_mode)
