"""How the store looks at its files before each commit (:func:`kiosk.upkeep.file_identity`):
which file a path names, as ``os.stat`` would say, without reading the file's times — a
look that read them would have the next write to the log dated anew to the nanosecond and
its inode rewritten at every scan (since Linux 6.13), slowing every fsync (docs/benchmarks.md,
issue 9, nineteenth pass). Real files in a real folder."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk import upkeep
from kiosk.upkeep import file_identity


def test_the_identity_is_the_device_and_inode_that_stat_gives(tmp_path: Path) -> None:
    kept = tmp_path / "kiosk.db"
    kept.write_bytes(b"x")
    found = os.stat(kept)
    assert file_identity(kept) == (found.st_dev, found.st_ino)
    assert file_identity(str(kept)) == (found.st_dev, found.st_ino)
    folder = os.open(tmp_path, os.O_RDONLY)
    try:
        assert file_identity("kiosk.db", dir_fd=folder) == (found.st_dev, found.st_ino)
        assert file_identity("gone.db", dir_fd=folder) is None
    finally:
        os.close(folder)


def test_a_path_with_nothing_there_is_none_and_one_that_cannot_be_looked_at_raises(
        tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    os.symlink("loop", tmp_path / "loop")
    assert file_identity(tmp_path / "kiosk.db") is None
    with pytest.raises(NotADirectoryError):
        file_identity(tmp_path / "file" / "kiosk.db")
    with pytest.raises(OSError) as raised:
        file_identity(tmp_path / "loop" / "kiosk.db")
    assert raised.value.filename == str(tmp_path / "loop" / "kiosk.db")
    with pytest.raises(ValueError):  # as os.stat: not the path cut at its NUL byte
        file_identity(str(tmp_path / "file") + "\0x")


def test_without_statx_the_same_identity_comes_from_stat(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A system without ``statx`` (glibc before 2.28, a sandbox refusing it) looks by
    ``os.stat``: the same answers."""
    kept = tmp_path / "kiosk.db"
    kept.write_bytes(b"x")
    by_statx = file_identity(kept)
    monkeypatch.setattr(upkeep, "_statx", None)
    assert file_identity(kept) == by_statx
    assert file_identity(tmp_path / "gone.db") is None
    with pytest.raises(NotADirectoryError):
        file_identity(kept / "kiosk.db")


def now_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


def dated_anew_after(look: Callable[[Path], object], a: Path) -> bool:
    """Whether a write to ``a`` right after ``look(a)`` was dated anew, to the nanosecond,
    rather than with the kernel's coarse time (which lags the clock by up to a tick): the
    write before it was dated after its times were read, then the clock is read, then
    ``a`` looked at and written again. A coarse date is never later than the clock read;
    a new one is."""
    with open(a, "ab") as written:
        os.stat(a)
        written.write(b"x"), written.flush()
        before = now_ns()
        look(a)
        written.write(b"x"), written.flush()
    return os.stat(a).st_mtime_ns > before


def dates_anew_after_stat(folder: Path) -> bool:
    """Whether this kernel dates a write anew after ``os.stat`` (Linux 6.13 and later)."""
    return all(dated_anew_after(os.stat, folder / "probe") for _ in range(5))


def test_looking_at_a_file_does_not_have_its_next_write_dated_anew(tmp_path: Path) -> None:
    """``os.stat`` reads the times and, on a kernel dating writes by need, has the next
    write to the file dated anew: the inode rewritten. The store's look does not (it is
    the look before each commit at the file, its ``-wal`` and ``-shm``:
    :meth:`kiosk.store.Store._check_file`). Where ``os.stat`` does not have it either (an
    older kernel), nothing here can tell the two apart. Through a scan's commit the test
    could not fail: a write a scan's time after the last is dated anew whenever the coarse
    clock ticked or another program had a write dated meanwhile."""
    if not dates_anew_after_stat(tmp_path):
        pytest.skip("this kernel does not date a write anew after its times are read")
    assert not all(dated_anew_after(file_identity, tmp_path / "a") for _ in range(5))

