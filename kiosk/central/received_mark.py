"""The newest upload a centre stored, noted in a small file beside its backlog key — outside
the database — so that a database put back from an older copy is told at ``serve``'s start,
in its log and on the dashboard's every page to administrators until one of them
acknowledges it (recorded in the audit log).

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
from typing import Any

from kiosk.central import audit
from kiosk.central.audit import Actor
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


def restored(path: Path, centre: str, newest: str | None, zone: dt.tzinfo
             ) -> dict[str, str] | None:
    """The warning's facts when the file holds a later upload of this centre than its
    database's newest (``newest``, None when it holds none): the two times as local
    minutes, the file, and the kiosks' ``--since``; None otherwise."""
    held = _read(path)
    marked = held["newest"] if held and held["centre"] == centre else ""
    if not marked or (newest is not None and newest >= marked):
        return None
    since = EVERYTHING if newest is None else (
        (parse_utc(newest) - MARGIN).astimezone(zone).isoformat(timespec="minutes"))
    return {"newest": _shown(newest, zone), "marked": _shown(marked, zone), "path": str(path),
            "since": since}


def words(facts: dict[str, str]) -> str:
    """The warning in both languages, as ``serve`` logs it at its start."""
    return both("central.restored_database", **facts)


def _shown(moment: str | None, zone: dt.tzinfo) -> str:
    return "–" if moment is None else parse_utc(moment).astimezone(zone).strftime(
        "%Y-%m-%d %H:%M")


def restored_database(storage: Storage, key: Path) -> dict[str, str] | None:
    """:func:`restored` for the database ``storage`` opens, its key file at ``key``."""
    return restored(path_beside(key), centre_id(storage), storage.newest_batch_received(),
                    storage.calendar.zone)


def note_newest(storage: Storage, key: Path) -> None:
    """:func:`note` of the newest upload the database holds (``serve``, every
    :data:`NOTE_EVERY` seconds and at its shutdown); one that cannot be read now is noted
    next time."""
    with contextlib.suppress(StorageError):
        note(path_beside(key), centre_id(storage), storage.newest_batch_received())


# -- on the dashboard, until acknowledged ----------------------------------------------------
SETTING = "restored_database"
"""The warning's facts (JSON), kept in the database by ``serve`` when it starts on a restored
one, and whether an administrator acknowledged them: the log's line at the start is read by
whoever reads the journal, the dashboard by the administrators who can act on it."""
ACKNOWLEDGED = "restored-acknowledged"
"""The audit log's kind of an administrator's acknowledgement (:data:`audit.ACTION_KINDS`)."""


def keep_warning(storage: Storage, facts: dict[str, str]) -> None:
    """Keep ``facts`` for the dashboard to show, unless they are those already kept: a
    start again on the same restored database (no upload since) leaves an acknowledgement
    standing. A database that fails now leaves the log's line alone to say it: ``serve``
    starts all the same."""
    with contextlib.suppress(StorageError):
        held = _kept(storage.optional_setting(SETTING))
        if held is None or {k: held.get(k) for k in facts} != facts:
            storage.set_setting(SETTING, json.dumps({**facts, "acknowledged": None}))


def warning(storage: Storage) -> dict[str, str] | None:
    """The facts of a restore no administrator has acknowledged yet; None otherwise, or
    when the database cannot be read now (the page drawn says why, if it must)."""
    try:
        held = _kept(storage.optional_setting(SETTING))
    except StorageError:
        return None
    return None if held is None or held.get("acknowledged") else held


def acknowledge(storage: Storage, by: Actor) -> int | None:
    """Record that ``by`` (an administrator) has dealt with the restore — the kiosks told to
    send again — in the audit log, and show the warning no more: the log's record number;
    None when there was nothing to acknowledge (another administrator just did)."""
    with storage._transaction() as tx:
        row = storage._execute(tx, "SELECT value FROM settings WHERE key = $1" + (
            " FOR UPDATE" if storage.postgresql else ""), (SETTING,)).fetchone()  # once
        held = _kept(row[0] if row else None)
        if held is None or held.get("acknowledged"):
            return None
        seq = audit.append_action(
            storage, ACKNOWLEDGED, actor=by.name, channel=by.channel, address=by.address,
            reason=None, tx=tx, subject=f"uploads received until {held['newest']}, noted until "
                                        f"{held['marked']}: kiosk sync resend --since "
                                        f"{held['since']}")
        held["acknowledged"] = {"by": by.name, "seq": seq}
        storage._execute(tx, "UPDATE settings SET value = $1 WHERE key = $2",
                         (json.dumps(held), SETTING))
    return seq


def _kept(value: str | None) -> dict[str, Any] | None:
    """The kept facts, or None (none kept, or not readable: a hand-made setting)."""
    try:
        held = json.loads(value) if value else None
    except ValueError:
        return None
    keys = {"newest", "marked", "path", "since"}
    return held if isinstance(held, dict) and keys <= held.keys() else None
