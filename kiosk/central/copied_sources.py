"""A copied token's entries set aside: out of everything counted and traced, kept as evidence.

Why: a kiosk's token copied to another machine (a stolen laptop, a restored backup) files
entries under the kiosk's id beside the genuine kiosk's (schema v49 lets the centre see it:
``token_copied``, ``kiosks sources``). Forged or duplicated entries counted as the point's
were in its counts, day sets, people, document matches, stays, traces and reports, and no
admin could take them out.

What a source is: a kiosk and the boot id its batches came from — what ``kiosks sources``
lists for each batch, the one thing that tells the copy's uploads from the genuine kiosk's
(an address changes with the network; a boot id is the machine's until it restarts).
:func:`set_aside` takes every entry the centre stored from that source's batches out of
``entries`` into ``entries_set_aside`` (schema v52), whole, with the boot it was set aside
under, never deleting one; in the same transaction it takes them out of what was counted or
derived from them: the scan counts of the upload path (the tally :func:`aggregates.tally_rows`
makes of them, subtracted), their days' sets and people (counted again from the entries
left: :func:`people.recount`), their document matches no other entry stands for, the stays
of their people at their points (dropped and derived again from the scans left), and the
monthly reports of their months kept or written before (made again:
:func:`kiosk.central.reports.changed_since`). Traces read entries and stays: they no longer
find them. :func:`bring_back` puts them back exactly as they were stored and adds their
counts again (one of a day whose daily report was made while it was aside: listed late,
received now, as that report never had it); their derived rows are derived again as any
entry's.

Why not the derivation's own set-aside: the scan counts are made as a batch is stored, not
derived, and ``kiosk-central derivation --retry`` queues every part it holds again. Entries
moved out of ``entries`` are found by no step and no reader, so a retry derives nothing of
them (a queued id whose entry is not held derives nothing).

A batch of a source set aside arriving later (the copy still running; its token should be
replaced: ``kiosks token``) is stored as any and its new entries set aside in the batch's
own transaction (:func:`kiosk.central.set_aside_rows.on_arrival`): answered ``accepted``, or
``duplicate`` for one set aside already, as if nothing had changed. The act and a batch of
the kiosk take turns on the kiosk's row (PostgreSQL: ``FOR UPDATE``; SQLite writes one at a
time), so a batch of the copy storing as its source is set aside is either among those moved
or set aside on arrival, never counted in between. Why not refuse it: a refusal tells the
copy's holder that it was found, and a kiosk retries a batch it was refused (or keeps the
entries pending and resends them for ever); its entries are evidence, and nobody reads them
but an admin. An entry set aside that reaches the centre from another source — the genuine
kiosk sending a scan the copy, restored from its backup, sent first — comes back: that
source's batch stores it as any other, and its set-aside copy goes. One that source sent
before the set-aside was answered ``duplicate`` then, acknowledged and never sent again:
each batch notes the entries it was answered duplicate for that a batch of another boot of
the kiosk stored (:func:`kiosk.central.set_aside_rows.note_sent_again`, schema v56), and
:func:`set_aside` keeps those in place (:attr:`Moved.kept`) — they are the other boot's
scans as well, unless it is set aside too.

Every act is in the audit log, with its reason (kinds ``kiosk-set-aside``,
``kiosk-bring-back``), in its own transaction. Retention covers the entries set aside as the
entries held: erased and purged by the same cutoffs (:func:`erase_before`, :func:`purge_before`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.central import aggregates, audit, derivation, document_matches, people, stays
from kiosk.central.placeholders import json_rows
from kiosk.central.set_aside_rows import (
    ASIDE,
    MOVED_AT,
    SENT_AGAIN,
    SOURCES,
    entry_columns,
    id_list,
    ids_given,
)

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

@dataclass(frozen=True)
class Moved:
    """What an act moved: how many entries, of which local days and points; ``kept``: how
    many of the source's entries a set-aside left in place, sent by another boot too."""

    entries: int
    days: tuple[str, ...]
    checkpoints: tuple[str, ...]
    kept: int = 0

    def answer(self) -> dict[str, Any]:
        return {"entries": self.entries, "days": list(self.days),
                "checkpoints": list(self.checkpoints), "kept": self.kept}


class UnknownSource(ValueError):
    """The kiosk sent no batch from that boot id (or sent none naming one)."""


def set_aside(storage: Storage, kiosk_id: str, boot_id: str, *, reason: str,
              by: audit.Actor) -> Moved:
    """Set aside the entries of ``kiosk_id``'s batches sent from boot ``boot_id`` (see the
    module doc), and those of its batches from that boot arriving later; idempotent: a source
    set aside again moves what arrived since (nothing). The act is audited in its own
    transaction (:func:`audit.check_reason`: a reason is required).
    Raises :class:`UnknownSource` when no batch of the kiosk came from that boot."""
    reason = audit.check_reason(reason)
    if not boot_id or not storage._query(
            "SELECT 1 FROM batches WHERE kiosk_id = $1 AND boot_id = $2 LIMIT 1",
            (kiosk_id, boot_id)):
        raise UnknownSource(boot_id)
    derivation.catch_up(storage)  # what was derived from them is what is taken out
    with storage._transaction() as tx:
        derivation.exclude(storage, tx)  # no step derives from an entry moving now
        storage._lock_kiosk(tx, kiosk_id)  # a batch of the kiosk storing now has ended
        storage._execute(
            tx, f"INSERT INTO {SOURCES} (kiosk_id, boot_id, set_at, set_by, reason) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kiosk_id, boot_id) DO NOTHING",
            (kiosk_id, boot_id, _now(), by.name, reason))
        # an entry another boot not set aside sent too stays: that boot's scan as well
        found = storage._execute(
            tx, "SELECT e.id, EXISTS (SELECT 1 FROM " + SENT_AGAIN + " a WHERE a.id = e.id "
                "AND NOT EXISTS (SELECT 1 FROM " + SOURCES + " s WHERE s.kiosk_id = "
                "e.kiosk_id AND s.boot_id = a.boot_id)) FROM entries e WHERE e.kiosk_id = $1 "
                "AND EXISTS (SELECT 1 FROM batches b WHERE b.kiosk_id = e.kiosk_id AND "
                "b.batch_id = e.batch_id AND b.received_at = e.received_at AND b.boot_id = $2)",
            (kiosk_id, boot_id)).fetchall()
        kept = sum(1 for _, other in found if other)
        moved = _take_out(storage, tx, [i for i, other in found if not other], boot_id)
        moved = Moved(moved.entries, moved.days, moved.checkpoints, kept)
        audit.append_action(storage, "kiosk-set-aside", actor=by.name, channel=by.channel,
                            address=by.address, reason=reason,
                            subject=f"{kiosk_id} boot {boot_id}: {moved.entries} entries"
                                    + (f", {kept} kept (sent by another boot too)"
                                       if kept else ""),
                            tx=tx)
    return moved


def bring_back(storage: Storage, kiosk_id: str, boot_id: str, *, reason: str,
               by: audit.Actor) -> Moved:
    """Undo :func:`set_aside`: the source's entries set aside back among those held as they
    were stored, counted again and queued to derive; its later batches stored as any.
    Idempotent (nothing set aside: nothing moves). Audited in its own transaction.
    Raises :class:`UnknownSource` when that source is not set aside and holds nothing."""
    reason = audit.check_reason(reason)
    with storage._transaction() as tx:
        derivation.exclude(storage, tx)
        storage._lock_kiosk(tx, kiosk_id)
        since = storage._execute(tx, f"SELECT set_at FROM {SOURCES} WHERE kiosk_id = $1 AND "
                                     "boot_id = $2", (kiosk_id, boot_id)).fetchone()
        dropped = storage._execute(tx, f"DELETE FROM {SOURCES} WHERE kiosk_id = $1 AND "
                                       "boot_id = $2", (kiosk_id, boot_id)).rowcount
        columns = ", ".join(entry_columns(storage, tx))
        back = [i for (i,) in storage._execute(
            tx, f"INSERT INTO entries ({columns}) SELECT {columns} FROM {ASIDE} WHERE "
                "kiosk_id = $1 AND set_aside_boot = $2 ORDER BY id ON CONFLICT (id) DO NOTHING "
                "RETURNING id", (kiosk_id, boot_id)).fetchall()]
        if not dropped and not back:
            raise UnknownSource(boot_id)
        storage._execute(tx, f"DELETE FROM {ASIDE} WHERE kiosk_id = $1 AND set_aside_boot = $2",
                         (kiosk_id, boot_id))
        moved = _counted(storage, tx, back, +1, aside_since=since[0] if since else None)
        derivation.queue(storage, tx, sorted(back), kiosk_id)
        audit.append_action(storage, "kiosk-bring-back", actor=by.name, channel=by.channel,
                            address=by.address, reason=reason,
                            subject=f"{kiosk_id} boot {boot_id}: {moved.entries} entries",
                            tx=tx)
    return moved


def _take_out(storage: Storage, tx: Any, ids: list[str], boot_id: str) -> Moved:
    """In ``tx`` (holding the derivation back): move the entries ``ids`` aside and take them
    out of everything counted or derived from them (the module doc)."""
    if not ids:
        return Moved(0, (), ())
    chosen = id_list(ids)
    groups = sorted({(k, c) for k, c in storage._execute(
        tx, f"SELECT match_key, checkpoint_id FROM entries WHERE {ids_given(storage)} AND "
            "match_key IS NOT NULL", (chosen,)).fetchall()})
    storage._execute(tx, document_matches.FORGET.format(
        entries="entries", where=ids_given(storage), kept=f"NOT {ids_given(storage, 'e.id')}"),
        (chosen,))
    moved = _counted(storage, tx, ids, -1)
    columns = ", ".join(entry_columns(storage, tx))
    storage._execute(tx, f"INSERT INTO {ASIDE} ({columns}, set_aside_boot) SELECT {columns}, "
                         f"$2 FROM entries WHERE {ids_given(storage)} ORDER BY id "
                         "ON CONFLICT (id) DO NOTHING", (chosen, boot_id))
    storage._execute(tx, f"DELETE FROM entries WHERE {ids_given(storage)}", (chosen,))
    people.recount(storage, tx, days=moved.days)
    for day in moved.days:  # a point only the copy scanned at has no row that day
        storage._execute(tx, "DELETE FROM checkpoint_days WHERE day = $1 AND scans <= 0 "
                             "AND people <= 0", (day,))
    stays.forget_groups(storage, tx, groups)
    if groups:  # their stays are derived again from the scans left
        left = [i for (i,) in storage._execute(
            tx, f"SELECT e.id FROM (SELECT p.value ->> 0 AS k, p.value ->> 1 AS c FROM "
                f"{storage._json_rows('$1', 'p')}) g JOIN entries e ON e.match_key = g.k "
                "AND e.checkpoint_id = g.c ORDER BY e.id", (json_rows(groups),)).fetchall()]
        derivation.queue(storage, tx, left, None)
    return moved


def _counted(storage: Storage, tx: Any, ids: list[str], sign: int, *,
             aside_since: str | None = None) -> Moved:
    """Add (``sign`` +1) or take away (-1) the scan counts of the held entries ``ids``, as a
    recount counts them (:func:`aggregates.tally_rows`), and note when (:data:`MOVED_AT`:
    the reports of their months made before are stale); what they are. ``aside_since``:
    brought back, set aside then (a stored UTC time): one of a day whose report was made
    since is in neither that report nor its late list, so it is late, received now — each
    entry of the day either in its report or listed late after it (:func:`reports.made_daily`)."""
    if not ids:
        return Moved(0, (), ())
    rows = storage._execute(
        tx, "SELECT e.checkpoint_id, e.direction, e.source, e.status, e.kind, "
            "e.scanned_at, e.clock_offset_seconds, e.received_at, b.seq FROM entries e "
            "LEFT JOIN (SELECT kiosk_id, batch_id, received_at, min(seq) AS seq FROM batches "
            "GROUP BY kiosk_id, batch_id, received_at) b ON b.kiosk_id = e.kiosk_id "
            "AND b.batch_id = e.batch_id AND b.received_at = e.received_at "
            f"WHERE {ids_given(storage, 'e.id')}", (id_list(ids),)).fetchall()
    made = {day: (made_at, seen) for day, made_at, seen in storage._execute(
        tx, "SELECT day, made_at, batches_seen FROM daily_reports").fetchall()}
    if aside_since is not None:
        now = _now()
        rows = [(*row[:7], now, None) if _missed(storage, row, made, aside_since) else row
                for row in rows]
    tally = aggregates.tally_rows(storage.calendar, rows, made)
    for counter in (tally.days, tally.hours, tally.late):
        for key in counter:
            counter[key] *= sign
    aggregates.write(storage, tx, tally)
    days = tuple(sorted({day for day, _, _ in tally.days}))
    checkpoints = tuple(sorted({checkpoint for _, checkpoint, _ in tally.days}))
    for day in days:
        storage._execute(tx, "DELETE FROM late_arrivals WHERE day = $1 AND entries <= 0", (day,))
        storage._execute(tx, "DELETE FROM checkpoint_hours WHERE day = $1 AND scans <= 0", (day,))
    storage._execute(tx, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) "
                         "DO UPDATE SET value = excluded.value", (MOVED_AT, _now()))
    return Moved(len(rows), days, checkpoints)


def _missed(storage: Storage, row: Any, made: dict[str, tuple[str, int | None]],
            aside_since: str) -> bool:
    """Whether the report that would hold the stored entry ``row`` (its day's, or the one
    listing it late: :func:`aggregates.tally_rows`) was made after ``aside_since``, while
    the entry was set aside: it is in neither."""
    tally = aggregates.tally_rows(storage.calendar, [row], made)
    holding = {on for on, _, _ in tally.late} or {day for day, _, _ in tally.days}
    return any(made.get(day, ("",))[0] > aside_since for day in holding)


def _now() -> str:
    from kiosk.sync import protocol

    return protocol.format_time(dt.datetime.now(dt.UTC))
