"""The store's files as the tests look at them: its folder made unreachable under a running
kiosk and put back, each in one step (a link loop swapped in for it: the path cannot be
looked at, ELOOP; then the folder swapped back, as a network disk's hiccup would come and
go), and the log's index read without touching the log."""

from __future__ import annotations

import ctypes
import os
import struct
from pathlib import Path

import pytest

RENAME_EXCHANGE = 2
"""renameat2(2)'s flag: two names swap their files in one step."""


def swap(a: Path, b: Path) -> None:
    """``a`` and ``b`` swap what they name, atomically: the kiosk's upkeep (its first purge
    runs as the window opens) never sees the path between two steps (a folder missing, or
    one without the file), only what each test puts there."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), RENAME_EXCHANGE) != 0:
        pytest.skip(f"renameat2(RENAME_EXCHANGE) refused here: {os.strerror(ctypes.get_errno())}")


def loop_in_place_of(data: Path) -> Path:
    """The folder ``data`` replaced by a link to itself, in one step; the folder is kept
    under the name returned (:func:`swap` it back with ``data``)."""
    kept = data.with_name(data.name + ".kept")
    os.symlink(data.name, kept)  # kept -> data: named data once swapped, a loop
    swap(data, kept)
    return kept


def wal_index(path: Path) -> tuple[int, int]:
    """(frames in the log, frames already copied into the database), read from the
    wal-index header in the -shm file (https://sqlite.org/walformat.html) without touching
    the log: ``mxFrame`` at byte 16, ``nBackfill`` at byte 96, native byte order."""
    header = path.with_name(path.name + "-shm").read_bytes()[:100]
    return struct.unpack_from("=I", header, 16)[0], struct.unpack_from("=I", header, 96)[0]
