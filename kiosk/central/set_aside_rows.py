"""The rows of a copied token's entries set aside, as the storage layer writes and reads them.

The act itself — setting a source's entries aside, bringing them back, and all that is
counted again — is :mod:`kiosk.central.copied_sources`, which audits each act; what a batch
does as it is stored (:func:`on_arrival`, :func:`note_sent_again`), what the purge and
erasure cover (:data:`ASIDE`, :data:`SENT_AGAIN`), what reports and pages show
(:func:`held`, :data:`MOVED_AT`) are here, apart from it: the storage layer imports no
audit, trace or erasure module through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.central.placeholders import json_rows

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

ASIDE = "entries_set_aside"
"""The entries set aside (schema v52): the columns of ``entries``, then ``set_aside_boot``."""
SOURCES = "set_aside_sources"
"""The sources set aside now: (kiosk, boot id), who, when and why."""
MOVED_AT = "entries_moved_at"
"""The setting holding when a set-aside or bring-back last moved entries (a stored UTC
time): a month's report kept or written before counts what they changed, and is made again
(:func:`kiosk.central.reports.changed_since`)."""
SENT_AGAIN = "entries_sent_again"
"""(id, boot id): an entry held that a batch of another boot of its kiosk sent too (schema
v56; boot '' for a batch naming none)."""


def entry_columns(storage: Storage, tx: Any) -> list[str]:
    """The columns of ``entries`` as the database holds them now (the copy has the same)."""
    cursor = storage._execute(tx, "SELECT * FROM entries WHERE false")
    return [column[0] for column in cursor.description]


def ids_given(storage: Storage, column: str = "id") -> str:
    """``column`` among the ids given in ``$1`` (:func:`id_list`)."""
    return f"{column} IN (SELECT p.value ->> 0 FROM {storage._json_rows('$1', 'p')})"


def id_list(ids: list[str]) -> str:
    return json_rows([[i] for i in sorted(ids)])


def on_arrival(storage: Storage, tx: Any, kiosk_id: str, boot_id: str | None,
               inserted: set[str]) -> tuple[set[str], set[str]]:
    """In a batch's transaction ``tx``, its entries ``inserted`` just stored: from a source
    set aside, move them aside (before anything is counted or queued) and return (the ids
    new to it, the ids it held already: a resend, a duplicate); from another source of a
    kiosk with one set aside, drop the set-aside copy of any of them (the entry came
    from a source not set aside). ``(set(), set())`` when nothing was set aside."""
    # the kiosk's row first (PostgreSQL: locked, as the batch log's update would), then
    # its sources in a statement of its own: a set-aside committing meanwhile is seen
    storage._lock_kiosk(tx, kiosk_id)
    sources = [b for (b,) in storage._execute(
        tx, f"SELECT boot_id FROM {SOURCES} WHERE kiosk_id = $1", (kiosk_id,)).fetchall()]
    if not sources or not inserted:
        return set(), set()
    chosen = id_list(list(inserted))
    if boot_id not in sources:
        storage._execute(tx, f"DELETE FROM {ASIDE} WHERE {ids_given(storage)}", (chosen,))
        return set(), set()
    columns = ", ".join(entry_columns(storage, tx))
    new = {i for (i,) in storage._execute(
        tx, f"INSERT INTO {ASIDE} ({columns}, set_aside_boot) SELECT {columns}, $2 FROM entries "
            f"WHERE {ids_given(storage)} ORDER BY id ON CONFLICT (id) DO NOTHING RETURNING id",
        (chosen, boot_id)).fetchall()}
    storage._execute(tx, f"DELETE FROM entries WHERE {ids_given(storage)}", (chosen,))
    return new, inserted - new


def note_sent_again(storage: Storage, tx: Any, boot_id: str | None, ids: list[str]) -> None:
    """In a batch's transaction ``tx``, from boot ``boot_id``: note which of ``ids``, the
    entries it was answered duplicate for, a batch of another boot stored (:data:`SENT_AGAIN`)
    — the scans of a backup restored elsewhere were sent first by the copy, yet are this
    boot's too (:func:`kiosk.central.copied_sources.set_aside` keeps them). A resend from
    the boot that stored them (a lost acknowledgement) notes nothing."""
    if ids:
        storage._execute(
            tx, f"INSERT INTO {SENT_AGAIN} (id, boot_id) SELECT e.id, $2 FROM entries e "
                "JOIN batches b ON b.kiosk_id = e.kiosk_id AND b.batch_id = e.batch_id AND "
                f"b.received_at = e.received_at WHERE {ids_given(storage, 'e.id')} AND "
                "COALESCE(b.boot_id, '') <> $2 ON CONFLICT DO NOTHING",
            (id_list(ids), boot_id or ""))


def held(storage: Storage) -> dict[str, list[dict[str, Any]]]:
    """Each kiosk's sources set aside now, oldest first: boot id, when, by whom, why, and
    how many of its entries are set aside."""
    found: dict[str, list[dict[str, Any]]] = {}
    for kiosk, boot, at, by, reason, entries in storage._query(
            f"SELECT s.kiosk_id, s.boot_id, s.set_at, s.set_by, s.reason, (SELECT count(*) "
            f"FROM {ASIDE} a WHERE a.kiosk_id = s.kiosk_id AND a.set_aside_boot = s.boot_id) "
            f"FROM {SOURCES} s ORDER BY s.kiosk_id, s.set_at, s.boot_id"):
        found.setdefault(kiosk, []).append({"boot_id": boot, "set_at": at, "set_by": by,
                                            "reason": reason, "entries": int(entries)})
    return found
