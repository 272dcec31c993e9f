"""The newest upload a centre stored, noted in a small file beside its backlog key — outside
the database — so that a database put back from an older copy is told at ``serve``'s start.

Why: the kiosks count every entry the centre acknowledged as delivered and never send it
again by themselves, so a restored backup silently lacks what arrived after it was taken;
nothing inside the restored database can tell, the file outside it can. The warning gives
the kiosks' command with the time to send again from (docs/central.md, "Restoring the
centre from a backup"). The file holds the centre's id and a time: no personal data. A
database of another centre (another id) beside the file is not compared.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from pathlib import Path

from kiosk.central.backlog_key import centre_id
from kiosk.central.localdays import parse_utc
from kiosk.central.storage import Storage
from kiosk.central.storage_errors import StorageError
from kiosk.messages import both

FILE_NAME = "central-received.mark"
EVERYTHING = "1970-01-01"
"""``kiosk sync resend --since`` for a database that holds no upload at all: all kept."""
MARGIN = dt.timedelta(hours=1)
"""Taken off the newest upload's time for the kiosks' ``--since``: their clocks differ."""
NOTE_EVERY = 60.0
"""Seconds between two notes while ``serve`` runs: a backup older than that is told."""


def path_beside(key: Path) -> Path:
    return key.with_name(FILE_NAME)


def _read(path: Path) -> dict[str, str] | None:
    """The file's centre id and time; None when there is none, or none that reads right
    (cut short by a crash, edited by hand): nothing to compare."""
    try:
        held = json.loads(path.read_text(encoding="utf-8"))
        parse_utc(held["newest"])
        return {"centre": str(held["centre"]), "newest": held["newest"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def note(path: Path, centre: str, newest: str | None) -> None:
    """Note ``newest`` (an upload's ``received_at``) unless the file already holds a later
    one of this centre: a database restored keeps being told until uploads pass the mark."""
    held = _read(path)
    if newest is None or (held and held["centre"] == centre and held["newest"] >= newest):
        return
    part = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    try:
        part.write_text(json.dumps({"centre": centre, "newest": newest}), encoding="utf-8")
        part.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            part.unlink()  # a full disk: the mark stays as it was, uploads go on


def restored(path: Path, centre: str, newest: str | None, zone: dt.tzinfo) -> str | None:
    """The warning when the file holds a later upload of this centre than its database's
    newest (``newest``, None when it holds none); None otherwise."""
    held = _read(path)
    marked = held["newest"] if held and held["centre"] == centre else ""
    if not marked or (newest is not None and newest >= marked):
        return None
    since = EVERYTHING if newest is None else (
        (parse_utc(newest) - MARGIN).astimezone(zone).isoformat(timespec="minutes"))
    return both("central.restored_database", newest=_shown(newest, zone),
                marked=_shown(marked, zone), path=path, since=since)


def _shown(moment: str | None, zone: dt.tzinfo) -> str:
    return "–" if moment is None else parse_utc(moment).astimezone(zone).strftime(
        "%Y-%m-%d %H:%M")


def restored_database(storage: Storage, key: Path) -> str | None:
    """:func:`restored` for the database ``storage`` opens, its key file at ``key``."""
    return restored(path_beside(key), centre_id(storage), storage.newest_batch_received(),
                    storage.calendar.zone)


def note_newest(storage: Storage, key: Path) -> None:
    """:func:`note` of the newest upload the database holds (``serve``, every
    :data:`NOTE_EVERY` seconds and at its shutdown); one that cannot be read now is noted
    next time."""
    with contextlib.suppress(StorageError):
        note(path_beside(key), centre_id(storage), storage.newest_batch_received())
