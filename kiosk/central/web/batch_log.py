"""The batch log as the dashboard shows it: each upload a kiosk sent (table ``batches``) with
what became of its entries — accepted, duplicate (already held), past retention (filed before
the latest purge's cut: answered duplicate, not held), refused. No entry, no person: counts,
times and ids only.

A province logs ~50,000 batches a day, millions in all, so nothing here reads the log beyond
the rows it shows: pages go by key (a kiosk's id, a batch's ``seq``), never by ``OFFSET``, and
nothing is counted. A kiosk's batches are read from the index ``batches_kiosk`` (kiosk_id,
seq), newest first, a page at a time; the list of kiosks reads each kiosk's latest few the
same way, one index read per kiosk shown (docs/benchmarks.md, "batch log")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from kiosk.central.placeholders import Params
from kiosk.central.storage import Storage
from kiosk.sync import protocol

KIOSKS_SHOWN = 20
"""Kiosks on a page of the list."""
RECENT = 5
"""Latest batches shown under each kiosk of the list."""
BATCHES_SHOWN = 50
"""Batches on a page of one kiosk's log."""
COLUMNS = ("seq", "batch_id", "kiosk_id", "sent_at", "received_at", "clock_offset_seconds",
           "entries", "accepted", "duplicate", "past_retention", "rejected")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM batches"
_OF_KIOSK = {True: "kiosk_id BETWEEN {kiosk} AND {kiosk}", False: "kiosk_id = {kiosk}"}
"""One kiosk's batches, said for each engine (``storage.postgresql``) so that it reads them
in order from ``batches_kiosk`` from the page's end, whatever the kiosk. Asked ``kiosk_id =
$1 … ORDER BY seq``, PostgreSQL may read the primary key backwards instead for a kiosk its
statistics hold as sending a large share of the log, skipping the others' batches — a busy
kiosk gone silent (revoked, broken) then has every batch sent since passed over (60-120 ms at
1,000,000 batches, 500,000 skipped; docs/benchmarks.md, "batch log"). A range of one key is
no equality, so ``ORDER BY kiosk_id, seq`` stays an order that only the index has, and the
page's bound on ``seq`` still starts the read. SQLite goes by average rows per key and takes
the index for an equality; given the range, it would not seek on ``seq`` after it, and a
deep page would pass over the kiosk's newer batches."""
_KIOSKS = ("SELECT k.id, k.checkpoint_id, k.name, k.revoked_at, k.last_seen_at, c.district "
           "FROM kiosks k LEFT JOIN checkpoints c ON c.id = k.checkpoint_id")
_KIOSK_FIELDS = ("id", "checkpoint_id", "name", "revoked_at", "last_seen_at", "district")


Received = tuple[str, str | None]
"""UTC times [from, until) a batch was received in (until None: to now)."""


def received_in(storage: Storage, kiosk_id: str, district: str | None
                ) -> list[Received] | None:
    """When ``kiosk_id``'s batches are shown to a user limited to ``district``: the local days
    its point was in their district (:func:`kiosk.central.registry.district_days`), as UTC
    times; ``[("", None)]`` (all) for the roles that see every district. None when it is
    not enrolled, or its point was never in their district."""
    from kiosk.central import registry

    rows = storage._query("SELECT checkpoint_id FROM kiosks WHERE id = $1", (kiosk_id,))
    if not rows:
        return None
    if district is None:
        return [("", None)]
    calendar = storage.calendar

    def utc(day: str) -> str:
        return protocol.format_time(calendar.start(dt.date.fromisoformat(day)))

    return [(utc(first) if first > registry.SINCE_EVER else "",
             None if until is None else utc(until))
            for first, until in registry.district_days(storage, rows[0][0], district)] or None


def kiosks_page(storage: Storage, *, district: str | None, after: str | None = None,
                before: str | None = None) -> dict[str, Any]:
    """A page of :data:`KIOSKS_SHOWN` kiosks (of ``district`` only, if given) in id order,
    after the id ``after`` or before the id ``before`` (the first page: neither), each with
    its :data:`RECENT` latest batches (``batches``, newest first). ``previous``/``next`` are
    the keys of the pages on either side (None at an end): ``{"before": id}``,
    ``{"after": id}``."""
    params = Params()
    where = []
    if district is not None:
        where.append(f"c.district = {params.add(district)}")
    if before is not None:
        where.append(f"k.id < {params.add(before)}")
    elif after is not None:
        where.append(f"k.id > {params.add(after)}")
    order = "DESC" if before is not None else ""
    sql = (_KIOSKS + (" WHERE " + " AND ".join(where) if where else "")
           + f" ORDER BY k.id {order} LIMIT {params.add(KIOSKS_SHOWN + 1)}")
    rows = [dict(zip(_KIOSK_FIELDS, row, strict=True)) for row in storage._query(sql, params)]
    more = len(rows) > KIOSKS_SHOWN
    rows = rows[:KIOSKS_SHOWN]
    if before is not None:
        rows.reverse()
    latest = _latest(storage, [row["id"] for row in rows])
    for row in rows:
        row["batches"] = latest.get(row["id"], [])
    first, last = (rows[0]["id"], rows[-1]["id"]) if rows else (None, None)
    previous = more if before is not None else after is not None
    following = more if before is None else True
    return {"kiosks": rows,
            "previous": {"before": first} if previous and first is not None else None,
            "next": {"after": last} if following and last is not None else None}


def _latest(storage: Storage, kiosk_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each kiosk's :data:`RECENT` latest batches, newest first: one statement, one index
    read of at most RECENT rows per kiosk."""
    if not kiosk_ids:
        return {}
    params = Params()
    of_kiosk = _OF_KIOSK[storage.postgresql]
    parts = [f"SELECT * FROM ({_SELECT} WHERE {of_kiosk.format(kiosk=params.add(kiosk_id))} "
             f"ORDER BY kiosk_id DESC, seq DESC LIMIT {RECENT}) AS b{n}"
             for n, kiosk_id in enumerate(kiosk_ids)]
    found: dict[str, list[dict[str, Any]]] = {}
    for values in storage._query(" UNION ALL ".join(parts), params):
        row = dict(zip(COLUMNS, values, strict=True))
        found.setdefault(row["kiosk_id"], []).append(row)
    for rows in found.values():
        rows.sort(key=lambda row: row["seq"], reverse=True)
    return found


def kiosk_batches(storage: Storage, kiosk_id: str, *, before: int | None = None,
                  after: int | None = None, received: Sequence[Received] = (("", None),)
                  ) -> dict[str, Any]:
    """A page of :data:`BATCHES_SHOWN` of ``kiosk_id``'s batches received in ``received``
    (:func:`received_in`), newest first: the latest,
    those older than the batch ``before`` or those newer than ``after`` (by ``seq``);
    ``newer``/``older`` as in :func:`kiosks_page` (``{"after": seq}``, ``{"before": seq}``)."""
    params = Params([kiosk_id])
    sql = f"{_SELECT} WHERE {_OF_KIOSK[storage.postgresql].format(kiosk='$1')}"
    if list(received) != [("", None)]:
        sql += " AND (" + " OR ".join(
            f"(received_at >= {params.add(lo)}"
            + ("" if hi is None else f" AND received_at < {params.add(hi)}") + ")"
            for lo, hi in received) + ")"
    if after is not None:
        sql += f" AND seq > {params.add(after)} ORDER BY kiosk_id, seq"
    else:
        if before is not None:
            sql += f" AND seq < {params.add(before)}"
        sql += " ORDER BY kiosk_id DESC, seq DESC"
    sql += f" LIMIT {params.add(BATCHES_SHOWN + 1)}"
    rows = [dict(zip(COLUMNS, values, strict=True)) for values in storage._query(sql, params)]
    more = len(rows) > BATCHES_SHOWN
    rows = rows[:BATCHES_SHOWN]
    if after is not None:
        rows.reverse()
    newer = more if after is not None else before is not None
    older = more if after is None else True
    return {"batches": rows,
            "newer": {"after": rows[0]["seq"]} if newer and rows else None,
            "older": {"before": rows[-1]["seq"]} if older and rows else None}
