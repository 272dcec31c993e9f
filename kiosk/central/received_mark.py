"""The newest upload a centre stored, noted in a small file beside its backlog key — outside
the database — so that a database put back from an older copy is told at ``serve``'s start,
in its log and on the dashboard's every page to administrators until one of them
acknowledges it (recorded in the audit log).

Why: the kiosks count every entry the centre acknowledged as delivered and never send it
again by themselves, so a restored backup silently lacks what arrived after it was taken;
nothing inside the restored database can tell, the file outside it can. The warning gives
the kiosks' command with the time to send again from (docs/central.md, "Restoring the
centre from a backup"). The file holds the centre's id and times — the newest upload, and
each kiosk's — no personal data. A database of another centre (another id) beside the file
is not compared.

Each kiosk's time names the kiosks whose uploads the copy lacks (their newest noted is later
than the database's): the warning lists those yet to send them again, and once each has —
the centre holds an entry it scanned between the ``--since`` and its newest upload noted,
received after the restore; ``serve`` looks once a minute (:func:`follow`) — it clears
itself, recorded in the audit log as the centre's acknowledgement. A
mark noted before the kiosks' times were (or without a kiosk's) leaves it to an
administrator, as before.
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
from kiosk.messages import both, text
from kiosk.sync import protocol

FILE_NAME = "central-received.mark"
EVERYTHING = "1970-01-01"
"""``kiosk sync resend --since`` for a database that holds no upload at all: all kept."""
MARGIN = dt.timedelta(hours=1)
"""Taken off the newest upload's time for the kiosks' ``--since``: their clocks differ."""
NOTE_EVERY = 60.0
"""Seconds between two notes while ``serve`` runs: a backup older than that is told."""


def path_beside(key: Path) -> Path:
    return key.with_name(FILE_NAME)


def _read(path: Path) -> dict[str, Any] | None:
    """The file's centre id, time and each kiosk's time (``{}`` in a file noted before
    them); None when there is none, or none that reads right (cut short by a crash, edited
    by hand): nothing to compare."""
    try:
        held = json.loads(path.read_text(encoding="utf-8"))
        parse_utc(held["newest"])
        kiosks = held.get("kiosks") or {}
        if not all(isinstance(k, str) and parse_utc(t) for k, t in kiosks.items()):
            kiosks = {}
        return {"centre": str(held["centre"]), "newest": held["newest"], "kiosks": kiosks}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def note(path: Path, centre: str, newest: str | None,
         kiosks: dict[str, str] | None = None) -> None:
    """Note ``newest`` (an upload's ``received_at``) and each kiosk's newest (``kiosks``)
    unless the file already holds a later one of this centre: a database restored keeps
    being told until uploads pass the mark. A kiosk's time noted later than ``kiosks``
    says is kept (it has not sent since a restore)."""
    held = _read(path)
    if newest is None or (held and held["centre"] == centre and held["newest"] >= newest):
        return
    kept = held["kiosks"] if held and held["centre"] == centre else {}
    kiosks = {k: max(t, kept.get(k, t)) for k, t in {**kept, **(kiosks or {})}.items()}
    part = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    try:
        part.write_text(json.dumps({"centre": centre, "newest": newest, "kiosks": kiosks}),
                        encoding="utf-8")
        part.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            part.unlink()  # a full disk: the mark stays as it was, uploads go on


def restored(path: Path, centre: str, newest: str | None, zone: dt.tzinfo,
             kiosks: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The warning's facts when the file holds a later upload of this centre than its
    database's newest (``newest``, None when it holds none): the two times as local
    minutes, the file, and the kiosks' ``--since``; and ``kiosks``, each kiosk whose newest
    upload noted is later than the database's (``kiosks``) with that time, and ``after``,
    the UTC ``--since``: the scans sent again that say a kiosk sent them. None otherwise."""
    held = _read(path)
    marked = held["newest"] if held and held["centre"] == centre else ""
    if not held or not marked or (newest is not None and newest >= marked):
        return None
    after = EVERYTHING if newest is None else protocol.format_time(parse_utc(newest) - MARGIN)
    since = EVERYTHING if newest is None else (
        parse_utc(after).astimezone(zone).isoformat(timespec="minutes"))
    now = kiosks or {}
    return {"newest": _shown(newest, zone), "marked": _shown(marked, zone), "path": str(path),
            "since": since, "after": after,
            "kiosks": {k: t for k, t in sorted(held["kiosks"].items()) if t > now.get(k, "")}}


def words(facts: dict[str, Any]) -> str:
    """The warning in both languages, as ``serve`` logs it at its start, with the kiosks
    whose uploads the copy lacks when the mark names them."""
    lost = facts.get("kiosks")
    if not lost:
        return both("central.restored_database", **facts)
    return " / ".join(f"{text('central.restored_database', lang, **facts)}. "
                      f"{text('central.restored_kiosks', lang, kiosks=', '.join(lost))}"
                      for lang in ("vi", "en"))


def _shown(moment: str | None, zone: dt.tzinfo) -> str:
    return "–" if moment is None else parse_utc(moment).astimezone(zone).strftime(
        "%Y-%m-%d %H:%M")


def restored_database(storage: Storage, key: Path) -> dict[str, str] | None:
    """:func:`restored` for the database ``storage`` opens, its key file at ``key``."""
    return restored(path_beside(key), centre_id(storage), storage.newest_batch_received(),
                    storage.calendar.zone, storage.newest_batch_received_by_kiosk())


def note_newest(storage: Storage, key: Path) -> None:
    """:func:`note` of the newest upload the database holds (``serve``, every
    :data:`NOTE_EVERY` seconds and at its shutdown); one that cannot be read now is noted
    next time."""
    with contextlib.suppress(StorageError):
        note(path_beside(key), centre_id(storage), storage.newest_batch_received(),
             storage.newest_batch_received_by_kiosk())


# -- on the dashboard, until acknowledged ----------------------------------------------------
SETTING = "restored_database"
"""The warning's facts (JSON), kept in the database by ``serve`` when it starts on a restored
one, and whether an administrator acknowledged them: the log's line at the start is read by
whoever reads the journal, the dashboard by the administrators who can act on it."""
ACKNOWLEDGED = "restored-acknowledged"
"""The audit log's kind of an administrator's acknowledgement (:data:`audit.ACTION_KINDS`)."""


def keep_warning(storage: Storage, facts: dict[str, Any]) -> None:
    """Keep ``facts`` for the dashboard to show, with when (``at``: the kiosks' uploads
    received since may be what they send again), unless they are those already kept: a
    start again on the same restored database (no upload since) leaves an acknowledgement
    standing. A database that fails now leaves the log's line alone to say it: ``serve``
    starts all the same."""
    with contextlib.suppress(StorageError):
        held = _kept(storage.optional_setting(SETTING))
        if held is None or {k: held.get(k) for k in facts} != facts:
            at = protocol.format_time(dt.datetime.now(dt.UTC))
            storage.set_setting(SETTING, json.dumps(
                {**facts, "at": at, "sent_again": [], "acknowledged": None}))


def warning(storage: Storage) -> dict[str, Any] | None:
    """The facts of a restore not acknowledged yet, with ``waiting``: the kiosks that lost
    uploads and have not sent them again (as :func:`follow` last found); None otherwise, or
    when the database cannot be read now (the page drawn says why, if it must)."""
    try:
        held = _kept(storage.optional_setting(SETTING))
    except StorageError:
        return None
    if held is None or held.get("acknowledged"):
        return None
    return {**held, "waiting": [k for k in held["kiosks"] if k not in held["sent_again"]]}


def follow(storage: Storage) -> None:
    """Note which kiosks that lost uploads have sent them again since (:func:`_sent_again`)
    and, once every one has, acknowledge the restore in the centre's name, recorded in the
    audit log (``serve``, every :data:`NOTE_EVERY` seconds: a page drawn reads what this
    found, never the entries). A database that fails now is followed next time."""
    with contextlib.suppress(StorageError):
        held = _kept(storage.optional_setting(SETTING))
        if held is None or held.get("acknowledged") or not held["kiosks"]:
            return
        waiting = [k for k in held["kiosks"] if k not in held["sent_again"]]
        sent = [k for k in waiting if _sent_again(storage, held, k)]
        if sent or not waiting:
            _settle(storage, None if len(sent) < len(waiting) else Actor(CENTRE, "serve"),
                    sent)


CENTRE = "kiosk-central"
"""The audit log's actor when every kiosk that lost uploads has sent them again."""


def _sent_again(storage: Storage, held: dict[str, Any], kiosk: str) -> bool:
    """Whether ``kiosk`` sent again what the copy lacks: received since the restore, an entry
    it scanned after the kiosks' ``--since`` and by its newest upload noted — a scan made
    after the restore is later, one the copy holds was received before it. (A kiosk's clock
    set back hours, or a backlog held at the kiosk through the restore, can look the same;
    the kiosk's own ``resend`` count is its word.)"""
    return storage.sent_again(kiosk, held["after"], held["kiosks"][kiosk], held["at"])


def acknowledge(storage: Storage, by: Actor) -> int | None:
    """Record that ``by`` (an administrator) has dealt with the restore — the kiosks told to
    send again — in the audit log, and show the warning no more: the log's record number;
    None when there was nothing to acknowledge (another administrator just did)."""
    return _settle(storage, by, [])


def _settle(storage: Storage, by: Actor | None, sent: list[str]) -> int | None:
    """Note the kiosks ``sent`` as having sent again and, if ``by``, acknowledge the
    restore in ``by``'s name (:func:`acknowledge`): its audit record's number; None when
    not acknowledged (``by`` None, or another did it just now)."""
    with storage._transaction() as tx:
        row = storage._execute(tx, "SELECT value FROM settings WHERE key = $1" + (
            " FOR UPDATE" if storage.postgresql else ""), (SETTING,)).fetchone()  # once
        held = _kept(row[0] if row else None)
        if held is None or held.get("acknowledged"):
            return None
        held["sent_again"] = sorted({*held["sent_again"], *sent})
        if by is None:
            storage._execute(tx, "UPDATE settings SET value = $1 WHERE key = $2",
                             (json.dumps(held), SETTING))
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
    if not isinstance(held, dict) or not keys <= held.keys():
        return None
    if not {"kiosks", "after", "at"} <= held.keys():  # kept before the kiosks' times were
        held["kiosks"] = {}
    held.setdefault("sent_again", [])
    return held
