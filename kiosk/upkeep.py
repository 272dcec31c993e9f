"""What the store does off the scan path: keeping the write-ahead log short, and the
store's own chores (moving the latest names into the full-text index).

SQLite copies the WAL back into the database (a checkpoint) from the commit that takes the
log past ``wal_autocheckpoint`` pages: that scan waits for a thousand page writes and an
fsync of the database file. Here a thread of the store's own checkpoints the log with a
connection of its own, PASSIVE (it never waits for, nor blocks, the scans' writes and
reads), every ``CHECKPOINT_EVERY`` write transactions or once writes pause. The writer's own
automatic checkpoint stays as the bound (``WAL_LIMIT_PAGES``): if this thread falls behind
(a slow disk, a long reader), the log still cannot grow past it, and the writer's checkpoint
then finds most pages already copied. Before each checkpoint the thread runs the store's
chore, told whether writes have paused. A store that refuses every write (its file deleted
or replaced under the kiosk, damage found) refuses the chore and has no checkpoint made:
said in one line, once.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from kiosk.messages import WordedError, Words, both, failure_words

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 128
"""Write transactions between two background checkpoints (~1,400 WAL pages of scans, a
third of ``WAL_LIMIT_PAGES``). A checkpoint copies each page once however many scans
rewrote it and costs two fsyncs: every 128 rather than 32 write transactions, it writes
0.56 rather than 1.27 database pages a scan, and a quarter of the fsyncs, beside the
scans' own (``scripts/bench_scan_cost.py``)."""
CHECKPOINT_QUIET_SECONDS = 0.05
"""Writes paused this long: the log is checkpointed whatever its length, so the next write
starts it again from the beginning."""
WAL_LIMIT_PAGES = 4000
"""The writer connection's ``wal_autocheckpoint``: the longest the log gets (16 MiB of
4 KiB pages) when the background checkpoints cannot keep up (a reader holding a snapshot
through a burst lets it grow past that: no checkpoint may reset the log under it)."""
WAL_KEEP_BYTES = 2 * WAL_LIMIT_PAGES * 4096
"""The writer connection's ``journal_size_limit``: SQLite reuses the log's file from its
start once a checkpoint has copied it all and never shrinks it, so a log grown past
``WAL_LIMIT_PAGES`` under a long read (a 3,000-scan burst: 111 MiB) kept that size on disk
until the kiosk stopped. The first commit after the log is reset cuts a file longer than
this back to it. Twice the bound: a burst's log never reaches it, so no scan pays for
truncating the file and growing it again (a limit under the bound cost the scan that reset
the log ~7 ms each time in a burst, ``journal_size_limit`` being applied in its commit)."""


FileIdentity = tuple[int, int]
"""``(st_dev, st_ino)``: which file a path names, whatever its name."""


def file_identity(path: str | bytes | Path, dir_fd: int | None = None
                  ) -> FileIdentity | None:
    """The identity of the file at ``path`` now (``dir_fd``: in that open folder); None when
    there is none. One system call (~2 µs): cheap enough for every scan's commit, which
    looks at the store's file, ``-wal`` and ``-shm``. OSError when the path cannot be looked
    at (a folder on it replaced by a link loop or a file, a failing disk): whether it is
    still the same file is unknown, which each caller must refuse.

    Asked of the kernel without the file's times (``statx`` asking for the inode alone):
    since Linux 6.13 a ``stat`` marks the times it reads as seen, and the next write to the
    file is then dated anew, to the nanosecond, which also moves on the time every later
    write on the machine is dated with. Looked at by ``stat`` before every commit, the ``-wal`` had
    its inode's times rewritten at every scan, and so had any file written after it (once
    a clock tick otherwise, 4 ms here); on the benchmarks' ext4 without a journal each
    ``fdatasync`` then wrote an inode block as well: +60–100 µs on the fsync of the store's
    log and +50–70 µs on the next file's (docs/benchmarks.md, issue 9, nineteenth pass)."""
    name = path if type(path) is bytes else os.fsencode(path)  # the store's are made once
    # `0 in`, not `b"\0" in`: bytes.__contains__ tries its argument as an int first, and a
    # bytes one costs a TypeError made and dropped (~1.6k instructions a look)
    if _statx is not None and 0 not in name:  # inline: each scan looks three times
        buffer, ref = getattr(_buffers, "statx", None) or _thread_buffer()
        if _statx(_CWD if dir_fd is None else dir_fd, name, 0, _STATX_INO, ref) != 0:
            code = ctypes.get_errno()
            if code == errno.ENOENT:
                return None
            raise OSError(code, os.strerror(code), os.fsdecode(name))
        return os.makedev(buffer.dev_major, buffer.dev_minor), buffer.ino
    try:
        found = os.stat(path, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


class _Statx(ctypes.Structure):
    """``struct statx`` (linux/stat.h), 256 bytes."""

    _fields_ = [("mask", ctypes.c_uint32), ("blksize", ctypes.c_uint32),
                ("attributes", ctypes.c_uint64), ("nlink", ctypes.c_uint32),
                ("uid", ctypes.c_uint32), ("gid", ctypes.c_uint32), ("mode", ctypes.c_uint16),
                ("_spare0", ctypes.c_uint16), ("ino", ctypes.c_uint64),
                ("size", ctypes.c_uint64), ("blocks", ctypes.c_uint64),
                ("attributes_mask", ctypes.c_uint64),
                ("times", ctypes.c_uint64 * 8),  # atime, btime, ctime, mtime: never asked for
                ("rdev_major", ctypes.c_uint32), ("rdev_minor", ctypes.c_uint32),
                ("dev_major", ctypes.c_uint32), ("dev_minor", ctypes.c_uint32),
                ("_spare", ctypes.c_uint64 * 14)]


_STATX_INO = 0x100
"""The one field asked for; the device is always given."""
_AT_FDCWD = -100
_CWD = ctypes.c_int(_AT_FDCWD)
"""``AT_FDCWD`` as ctypes passes it as it is: a negative Python int is first tried as an
unsigned one, an OverflowError made and dropped at each look."""


def _libc_statx() -> Callable[..., int] | None:
    """glibc's ``statx`` (2.28 and later, Linux 4.11 and later), None where there is none
    or the kernel refuses it (a sandbox): ``os.stat`` then."""
    try:
        found = ctypes.CDLL(None, use_errno=True).statx
    except (OSError, AttributeError):
        return None
    # No argtypes: their conversions cost each look ~1.5 µs (of ~3 µs; docs/benchmarks.md,
    # twenty-first pass). Every call passes what ctypes passes unconverted as the right C
    # type: ints that fit an int (the folder's descriptor, 0, the mask; AT_FDCWD as a
    # c_int), bytes (char *) and a byref of the struct (a pointer); a str or Path would go
    # as wchar_t *, never passed.
    found.restype = ctypes.c_int
    if found(_CWD, b"/", 0, _STATX_INO, ctypes.byref(_Statx())) != 0:
        return None
    return found


_statx = _libc_statx()
_buffers = threading.local()
"""Each thread's ``struct statx`` and a reference to it, for :func:`file_identity` (a new
one each call costs ~0.7 µs more)."""


def _thread_buffer() -> tuple[_Statx, Any]:
    buffer = _Statx()
    _buffers.statx = buffer, ctypes.byref(buffer)
    return _buffers.statx


def rw_uri(path: Path) -> str:
    """Opens ``path`` only if it exists (``mode=rw``): where the store was deleted, SQLite
    would otherwise make an empty one, which a sync worker started later would send from."""
    return f"file:{urllib.parse.quote(str(path.absolute()))}?mode=rw"


class Checkpointer:
    """A connection of its own that checkpoints the WAL (PASSIVE); nothing for a database
    in memory. It opens only the file the store opened (``identity``): a file there no more
    (:func:`rw_uri`), or another one put in its place, is refused (sqlite3.Error) before
    anything is read — a connection to another file would share the store's ``-wal`` and
    ``-shm`` (named after the path) with the store's connection and corrupt both."""

    def __init__(self, path: Path, identity: FileIdentity | None) -> None:
        self._conn = None
        if str(path) == ":memory:":
            return
        conn = sqlite3.connect(rw_uri(path), uri=True, isolation_level=None,
                               check_same_thread=False, timeout=30)
        try:
            now = file_identity(path)
        except OSError as exc:  # its folder replaced by a link loop or a file, a failing disk
            conn.close()
            raise sqlite3.OperationalError(f"{path} cannot be looked at: {exc}") from exc
        if now != identity:  # opened, nothing read yet: the log untouched
            conn.close()
            raise sqlite3.OperationalError(f"{path} is no longer the file the store opened")
        self._conn = conn

    def run(self) -> tuple[int, int]:
        """Pages in the log, and how many of them are now in the database."""
        if self._conn is None:
            return 0, 0
        _, logged, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return logged, copied

    def empty(self, wait_ms: int) -> bool:
        """Copy the whole log into the database and truncate it to nothing (``TRUNCATE``):
        after a purge, the older images of the pages it overwrote (the deleted rows as they
        were) are gone from the ``-wal`` too. It holds the write lock while it waits for
        readers, so it waits ``wait_ms`` at most (a scan waits behind it); whether the log
        was emptied (a reader still open keeps it, until the next purge's)."""
        if self._conn is None:
            return True
        self._conn.execute(f"PRAGMA busy_timeout={wait_ms}")
        busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


class Upkeep:
    """Checkpoints (and ``chore(quiet)`` before each) on a thread started at the first
    write. ``wrote`` is called after each committed write transaction; ``close`` stops the
    thread.

    State shared with the thread (``_pending``, ``_last_write``, ``_closing``) is guarded by
    ``_changed``; the thread alone uses its connection."""

    def __init__(self, path: Path, identity: FileIdentity | None,
                 chore: Callable[[bool], None], refusal: Callable[[], Words | None],
                 may_checkpoint: Callable[[], AbstractContextManager[bool]]) -> None:
        self._path = path
        self._identity = identity
        self._chore = chore
        self._refusals = RefusalLog(refusal)
        """Why the store refuses every write now (:meth:`kiosk.store.Store.refusal`), said
        once while it stands."""
        self._may_checkpoint = may_checkpoint
        """Entered around each checkpoint: whether it may run; the store's emptying of a lost
        file's log waits meanwhile (:meth:`kiosk.store.Store._may_checkpoint`)."""
        self._lock = threading.Lock()
        """``_changed``'s: ``wrote`` takes it directly (each scan calls it; a Condition's own
        ``with`` is two Python calls more)."""
        self._changed = threading.Condition(self._lock)
        self._pending = 0
        """Write transactions since the thread's last checkpoint began."""
        self._last_write = 0.0
        self._closing = False
        self._thread: threading.Thread | None = None

    def wrote(self) -> None:
        with self._lock:
            self._pending += 1
            self._last_write = time.monotonic()
            if self._thread is None and not self._closing:
                self._thread = threading.Thread(target=self._run, name="store-upkeep",
                                                daemon=True)
                try:  # called after a scan's COMMIT: its failure must not look like the scan's
                    self._thread.start()
                except RuntimeError as exc:  # no thread to be had: the next write tries again
                    log.warning("%s", both("upkeep.log.not_started", path=self._path,
                                           reason=exc))
                    self._thread = None
            # woken at the first write and at a full batch only: never once per scan
            if self._pending == 1 or self._pending >= CHECKPOINT_EVERY:
                self._changed.notify()

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _due(self) -> bool | None:
        """Whether writes have paused (True) or a batch has been written (False); None:
        neither yet, having waited a little (called holding ``_changed``)."""
        quiet = time.monotonic() - self._last_write
        if quiet >= CHECKPOINT_QUIET_SECONDS:
            return True
        if self._closing or self._pending >= CHECKPOINT_EVERY:
            return False
        self._changed.wait(CHECKPOINT_QUIET_SECONDS - quiet)
        return None

    def _run(self) -> None:
        checkpointer: Checkpointer | None = None  # opened at the first checkpoint, until it can
        try:
            while True:
                with self._changed:
                    self._changed.wait_for(lambda: self._pending or self._closing)
                    while (quiet := self._due()) is None:
                        pass
                    if self._closing:
                        return
                    self._pending = 0
                failed = False
                try:  # a chore that failed is tried again after the next write
                    self._chore(quiet)
                except Exception as exc:
                    failed = True
                    if not (isinstance(exc, WordedError) and self._refused(exc.words)):
                        log.exception("%s", both("upkeep.log.failed", path=self._path))
                try:
                    with self._may_checkpoint() as may:
                        if may:
                            checkpointer = checkpointer or Checkpointer(self._path,
                                                                        self._identity)
                            checkpointer.run()
                    if not may:
                        failed = True
                        self._refused()
                except sqlite3.Error as exc:  # the writer's own checkpoint remains the bound
                    failed = True
                    if not self._refused():
                        log.warning("%s", both("upkeep.log.checkpoint_failed",
                                               path=self._path, reason=failure_words(exc)))
                        log.info("background checkpoint of %s: %s", self._path, exc)  # -v
                if not failed:
                    self._refusals.done()
        finally:
            if checkpointer is not None:
                checkpointer.close()

    def _refused(self, words: Words | None = None) -> bool:
        """Whether a job failed because the store refuses every write: ``words``, the
        chore's refusal, must be the store's own (``store.unconfirmed`` is, even with the
        path back by the time the store is asked again: :meth:`RefusalLog.standing`); None:
        the checkpoint's connection, which refuses a file lost from the path in SQLite's
        words (:class:`Checkpointer`). Logged in one line, without a trace (nothing went
        wrong here), once while the refusal stands: not at each cycle of writes committed
        before it was seen."""
        why = self._refusals.standing(words)
        if why is not None and self._refusals.first(why):
            log.warning("%s", both("upkeep.log.refused", path=self._path, reason=why))
        return why is not None


class RefusalLog:
    """A job the store refused, said once while the same refusal stands. A refused job is
    tried again at every cycle (each batch of writes for the upkeep, each hour for the
    retention purge and the whole-file check), and a journal read after a weekend must
    name the cause once, not in a line per cycle. Said again when the refusal changes, and
    after the job has succeeded (:meth:`done`)."""

    def __init__(self, refusal: Callable[[], Words | None]) -> None:
        self._refusal = refusal
        """Why the store refuses the job now, None while it takes it."""
        self._said: Words | None = None

    def standing(self, words: Words | None = None) -> Words | None:
        """The store's refusal when the job failed because of it, else None: ``words``, the
        job's failure in words, must be the refusal's; None: a failure in SQLite's words,
        taken for the refusal while one stands. A path that could not be looked at is the
        refusal even when it is back by the time the store is asked: a hiccup, not a
        failure to trace."""
        why = self._refusal()
        if why is None and words is not None and words.code == "store.unconfirmed":
            why = words
        return why if why is not None and words in (None, why) else None

    def first(self, why: Words) -> bool:
        """Whether ``why`` (:meth:`standing`) is to be said now: not said since it stood."""
        new, self._said = why != self._said, why
        return new

    def done(self) -> None:
        """The job succeeded: a refusal after this is said again."""
        self._said = None
