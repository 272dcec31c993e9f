"""Who sends a store's backlog: one process at a time.

Two ``kiosk sync push`` at once, or a push while ``kiosk run``'s worker uploads, each read
the same pending entries and sent them: the centre answered the second copy ``duplicate``
but counted it against the kiosk's hourly allowance, so a big backlog crawled on 429s
(200,000 entries: 322,000 sent for 184,000 stored in 11 minutes; one push alone, 22 s).
Whoever drains the backlog holds an advisory lock (``flock``) on a file beside the store,
``STORE.sending``, its pid written in it for the others to name. The kernel drops the lock
with its holder's last descriptor, so a sender killed (kill -9, power cut) holds nothing.

Within one process the lock is shared: a worker's background and its pushes take turns
already (:class:`~kiosk.sync.scheduler.Scheduler`), and a worker left behind by a re-link
to another centre must not hold its successor back (it sends to the new centre).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from kiosk.private_files import hand_over

SUFFIX = ".sending"

_held: dict[Path, tuple[int, int]] = {}
"""The locks this process holds: path -> (descriptor, holders)."""
_held_lock = threading.Lock()


class Sending:
    """The lock of the store at ``store_path``; :meth:`hold` takes it."""

    def __init__(self, store_path: str | Path) -> None:
        self.path = Path(f"{store_path}{SUFFIX}")

    @contextlib.contextmanager
    def hold(self) -> Iterator[int | None]:
        """Try to take the lock: yields None once held (released when the block ends, on
        any exit), else the pid of the other process holding it (0 when it has not written
        it yet). A lock file that cannot be opened (a folder not writable: the store beside
        it could not take answers either) does not stop the sending: it yields None."""
        with _held_lock:
            holder = self._take()
            held = holder is None and self.path in _held  # not when it could not be opened
        try:
            yield holder
        finally:
            if held:
                with _held_lock:
                    self._release()

    def _take(self) -> int | None:
        if self.path in _held:
            fd, holders = _held[self.path]
            _held[self.path] = (fd, holders + 1)
            return None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o600)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            said = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            return int(said) if said.isdigit() else 0
        with contextlib.suppress(OSError):  # a full disk: held all the same, pid unsaid
            hand_over(self.path)  # sudo's push: the kiosk account takes it afterwards
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        _held[self.path] = (fd, 1)
        return None

    def _release(self) -> None:
        fd, holders = _held[self.path]
        if holders > 1:
            _held[self.path] = (fd, holders - 1)
        else:
            del _held[self.path]
            os.close(fd)  # the lock goes with it
