"""Kiosk health at the centre: the latest report per kiosk, and 30 days of history.

A report arrives alone (``POST /api/v1/heartbeat``, when the kiosk has nothing to upload) or
with a batch. Either way it counts as contact (``last_seen_at``) and measures the clock.
The kiosk's refused scans per hour go to ``refused_hours`` for the daily report; each count
is the hour's whole count so far, so a report sent twice, or late, changes nothing. Only the
hours protocol.md gives a report are kept (:func:`protocol.refused_hours`: 72 from the hour
holding 48 h before it was sent, on the kiosk's clock, to the one a day later); any
other (a stolen token, a broken counter) would rewrite a day whose report was made, or fill
one not yet come, and is ignored and logged, the rest of the report kept. The oldest hour
keeps the larger of the stored and reported counts: kiosks before that rule counted it from
mid-hour, and the last report reaching an hour would cut it to its last seconds. A count
above :data:`REFUSED_PER_KIOSK_HOUR` is cut to it and logged. Hours on a kiosk clock further
off than the tolerance are moved by the measured offset.

Where each call came from (:func:`record`, :func:`seen`): a kiosk's token copied to a second
machine (from a stolen laptop, a backup, a screenshot of its config) works beside the
genuine kiosk, and the copy's report (nothing pending) replaced the genuine kiosk's stuck
backlog. Each call's source — the token, the kiosk's boot id (a batch's, a heartbeat's:
feature ``heartbeat-boot``; none from older kiosks and hand-made calls) and the client's
address — is kept in ``kiosk_sources``, first and last heard, with that source's own
backlog. One machine's boots follow one another; two sources of the token heard at
overlapping times are two machines (:func:`machines`). The kiosk's health row then names
them (``kiosk_health.sources``: the Kiosks page's ``token_copied``) and its backlog is the
largest any of them last reported, so a copy saying nothing is pending hides nothing. A
source without a boot id is compared only once the kiosk has sent a heartbeat with one:
older kiosk software sends it in batches but not in heartbeats. ``kiosks token`` gives a
new token, whose sources start afresh; a source unheard for :data:`HISTORY_DAYS` is
forgotten (the batch log keeps each batch's boot id and address as long as the batch).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from typing import Any

import msgspec

from kiosk.central.localdays import CLOCK_TOLERANCE_SECONDS, parse_utc
from kiosk.central.storage import Storage
from kiosk.messages import both
from kiosk.sync import protocol

HISTORY_DAYS = 30
REFUSED_PER_KIOSK_HOUR = 3600
"""The most refused scans a kiosk can have in an hour: one a second. A kiosk is one lane of a
checkpoint (enrolled as e.g. "Chốt QL1A - làn 1"), where people present their codes one after
another and a read takes about a second. A larger count is a broken counter or a lie (a
stolen token claiming 10⁹), and kept whole it would be the province's refused total and
share in every report; it is cut to this and logged."""
_HOUR = "%Y-%m-%dT%H"
log = logging.getLogger("kiosk.central")
_LARGER = ("CASE WHEN refused_hours.refused > excluded.refused THEN refused_hours.refused "
           "ELSE excluded.refused END")  # max() of two is SQLite's, greatest() PostgreSQL's


def record(storage: Storage, kiosk_id: str, health: protocol.Health,
           received_at: dt.datetime, clock_offset: float, *, boot_id: str | None = None,
           address: str | None = None, beat: bool = False) -> None:
    """Keep ``health`` as the kiosk's latest, in its history, and note the contact from
    ``boot_id`` at ``address`` (``beat``: a heartbeat, not a batch's report)."""
    at = protocol.format_time(received_at)
    report = msgspec.to_builtins(health)
    devices = json.dumps(report["devices"], ensure_ascii=False, sort_keys=True)
    history = json.dumps({**report, "clock_offset_seconds": clock_offset},
                         ensure_ascii=False, sort_keys=True)
    refused = _refused_hours(kiosk_id, health, received_at, clock_offset)
    cutoff = protocol.format_time(received_at - dt.timedelta(days=HISTORY_DAYS))
    with storage._transaction() as tx:
        sources = _note_source(storage, tx, kiosk_id, boot_id, address, at, health, beat)
        pending, oldest = health.pending, health.oldest_pending_seconds
        for source in sources:  # two machines: the largest backlog either last reported
            pending = max(pending, source["pending"] or 0)
            if source["oldest_pending_seconds"] is not None:
                oldest = max(oldest or 0.0, source["oldest_pending_seconds"])
        storage._execute(
            tx, "INSERT INTO kiosk_health (kiosk_id, received_at, clock_offset_seconds, "
                "software_version, pending, oldest_pending_seconds, rejected, "
                "free_disk_bytes, devices, uploads_paused, sources) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                "ON CONFLICT (kiosk_id) DO UPDATE SET received_at = excluded.received_at, "
                "clock_offset_seconds = excluded.clock_offset_seconds, "
                "software_version = excluded.software_version, pending = excluded.pending, "
                "oldest_pending_seconds = excluded.oldest_pending_seconds, "
                "rejected = excluded.rejected, free_disk_bytes = excluded.free_disk_bytes, "
                "devices = excluded.devices, uploads_paused = excluded.uploads_paused, "
                "sources = excluded.sources",
            (kiosk_id, at, clock_offset, health.software_version, pending, oldest,
             health.rejected, health.free_disk_bytes, devices, health.uploads_paused,
             _sources_json(sources)))
        storage._execute(tx, "INSERT INTO kiosk_health_history (kiosk_id, received_at, report) "
                             "VALUES ($1, $2, $3)", (kiosk_id, at, history))
        storage._execute(tx, "DELETE FROM kiosk_health_history WHERE kiosk_id = $1 AND "
                             "received_at < $2", (kiosk_id, cutoff))
        for hour, count, oldest in refused:
            kept = _LARGER if oldest else "excluded.refused"
            changed = storage._execute(
                tx, "INSERT INTO refused_hours (kiosk_id, hour, refused) VALUES ($1, $2, $3) "
                    f"ON CONFLICT (kiosk_id, hour) DO UPDATE SET refused = {kept} "
                    f"WHERE refused_hours.refused <> {kept} RETURNING hour",
                (kiosk_id, hour, count)).fetchall()
            if changed:  # a report kept or written before, counting this hour, is stale
                storage._execute(tx, "INSERT INTO refused_changes (hour, changed_at) VALUES "
                                     "($1, $2) ON CONFLICT (hour) DO UPDATE SET changed_at = "
                                     "excluded.changed_at", (hour, at))
        storage._execute(tx, "UPDATE kiosks SET last_seen_at = $1, last_clock_offset = $2 "
                             "WHERE id = $3", (at, clock_offset, kiosk_id))


def seen(storage: Storage, kiosk_id: str, boot_id: str | None, address: str | None,
         received_at: dt.datetime) -> None:
    """Note a batch without a health report as a contact from ``boot_id`` at ``address``
    (the batch itself noted the kiosk's last contact)."""
    with storage._transaction() as tx:
        sources = _note_source(storage, tx, kiosk_id, boot_id, address,
                               protocol.format_time(received_at), None, False)
        storage._execute(tx, "UPDATE kiosk_health SET sources = $1 WHERE kiosk_id = $2",
                         (_sources_json(sources), kiosk_id))


_SOURCE = ("boot_id", "address", "first_seen_at", "last_seen_at", "heartbeats", "health_at",
           "pending", "oldest_pending_seconds")


def _note_source(storage: Storage, tx: Any, kiosk_id: str, boot_id: str | None,
                 address: str | None, at: str, health: protocol.Health | None,
                 beat: bool) -> list[dict[str, Any]]:
    """In ``tx``: note the call at ``at`` as the kiosk's source (its token, ``boot_id``,
    ``address``; with ``health``'s backlog), forget sources unheard for
    :data:`HISTORY_DAYS`, and return the token's sources heard at overlapping times
    (:func:`machines`; none when one machine), oldest first. Each newly among them is
    logged."""
    (token,), = storage._execute(tx, "SELECT token_hash FROM kiosks WHERE id = $1",
                                 (kiosk_id,)).fetchall()
    figures = ((at, health.pending, health.oldest_pending_seconds) if health is not None
               else (None, None, None))
    storage._execute(
        tx, "INSERT INTO kiosk_sources (kiosk_id, token_hash, boot_id, address, "
            "first_seen_at, last_seen_at, heartbeats, health_at, pending, "
            "oldest_pending_seconds) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9) "
            "ON CONFLICT (kiosk_id, token_hash, boot_id) DO UPDATE SET "
            "address = coalesce(excluded.address, kiosk_sources.address), "
            "last_seen_at = excluded.last_seen_at, "
            "heartbeats = kiosk_sources.heartbeats + excluded.heartbeats, "
            "health_at = coalesce(excluded.health_at, kiosk_sources.health_at), "
            "pending = CASE WHEN excluded.health_at IS NULL THEN kiosk_sources.pending "
            "ELSE excluded.pending END, "
            "oldest_pending_seconds = CASE WHEN excluded.health_at IS NULL "
            "THEN kiosk_sources.oldest_pending_seconds "
            "ELSE excluded.oldest_pending_seconds END",
        (kiosk_id, token, boot_id or "", address, at, int(beat), *figures))
    cutoff = protocol.format_time(parse_utc(at) - dt.timedelta(days=HISTORY_DAYS))
    storage._execute(tx, "DELETE FROM kiosk_sources WHERE kiosk_id = $1 AND last_seen_at < $2",
                     (kiosk_id, cutoff))
    rows = storage._execute(
        tx, f"SELECT {', '.join(_SOURCE)} FROM kiosk_sources WHERE kiosk_id = $1 AND "
            "token_hash = $2 ORDER BY first_seen_at, boot_id", (kiosk_id, token)).fetchall()
    sources = machines([dict(zip(_SOURCE, row, strict=True)) for row in rows])
    before = storage._execute(tx, "SELECT sources FROM kiosk_health WHERE kiosk_id = $1",
                              (kiosk_id,)).fetchall()
    shown = before[0][0] if before else None
    known = {s["boot_id"] for s in (json.loads(shown) if isinstance(shown, str) else shown)
             or ()}
    for source in sources:
        if source["boot_id"] not in known:
            log.warning("%s", both("central.log.token_copied", kiosk=kiosk_id,
                                   machines=len(sources), boot=source["boot_id"] or "-",
                                   address=source["address"] or "-"))
    return sources


def machines(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of one token's ``sources`` (``kiosk_sources`` rows), those heard at times
    overlapping another's, oldest first: two machines using the token (one machine's
    boots follow one another). A source without a boot id (``""``) counts only once one
    with a boot id sent a heartbeat (a kiosk new enough to send it there too)."""
    beats_boot = any(s["boot_id"] and s["heartbeats"] for s in sources)
    compared = [s for s in sources if s["boot_id"] or beats_boot]
    return [s for s in compared if any(
        o is not s and o["first_seen_at"] <= s["last_seen_at"]
        and s["first_seen_at"] <= o["last_seen_at"] for o in compared)]


def _sources_json(sources: list[dict[str, Any]]) -> str | None:
    """``kiosk_health.sources``: what is shown of the machines (None: one)."""
    if not sources:
        return None
    return json.dumps([{k: s[k] for k in _SOURCE if k != "heartbeats"} for s in sources],
                      ensure_ascii=False)


def _refused_hours(kiosk_id: str, health: protocol.Health, received_at: dt.datetime,
                   clock_offset: float) -> list[tuple[str, int, bool]]:
    """The report's refused hours to keep, on the centre's clock, each with its count (cut
    to :data:`REFUSED_PER_KIOSK_HOUR`) and whether it is the window's oldest: those of the
    window on the kiosk's clock when it sent the report (see the module doc). The others,
    and the counts cut, are logged."""
    first, last = protocol.refused_hours(received_at - dt.timedelta(seconds=clock_offset))
    shift = (dt.timedelta(hours=round(clock_offset / 3600))
             if abs(clock_offset) > CLOCK_TOLERANCE_SECONDS else dt.timedelta())
    kept, ignored, cut = [], Counter[str](), Counter[str]()
    for hour, count in health.refused_by_hour.items():
        start = dt.datetime.strptime(hour, _HOUR).replace(tzinfo=dt.UTC)
        if not first <= start <= last:
            ignored[hour] = count
            continue
        if count > REFUSED_PER_KIOSK_HOUR:
            cut[hour] = count
        kept.append(((start + shift).strftime(_HOUR), min(count, REFUSED_PER_KIOSK_HOUR),
                     start == first))
    if ignored:
        log.warning("%s", both("central.log.refused_hours_ignored", kiosk=kiosk_id,
                               hours=len(ignored), first=first.strftime(_HOUR),
                               last=last.strftime(_HOUR), count=ignored.total(),
                               earliest=min(ignored), latest=max(ignored)))
    if cut:
        log.warning("%s", both("central.log.refused_hours_cut", kiosk=kiosk_id, hours=len(cut),
                               most=REFUSED_PER_KIOSK_HOUR, count=cut.total(),
                               earliest=min(cut), latest=max(cut)))
    return sorted(kept)


def latest(storage: Storage, kiosk_id: str) -> dict | None:
    """The kiosk's latest report as stored (with when it came and the clock offset then;
    ``uploads_paused``: why it sends no batches, a code, None while it uploads)."""
    rows = storage._query(
        "SELECT received_at, clock_offset_seconds, software_version, pending, "
        "oldest_pending_seconds, rejected, free_disk_bytes, devices, uploads_paused "
        "FROM kiosk_health WHERE kiosk_id = $1", (kiosk_id,))
    if not rows:
        return None
    names = ("received_at", "clock_offset_seconds", "software_version", "pending",
             "oldest_pending_seconds", "rejected", "free_disk_bytes", "devices",
             "uploads_paused")
    out = dict(zip(names, rows[0], strict=True))
    if isinstance(out["devices"], str):  # SQLite keeps JSON text, PostgreSQL JSONB
        out["devices"] = json.loads(out["devices"])
    return out


def copied(storage: Storage) -> dict[str, list[dict[str, Any]]]:
    """The kiosks whose token was heard from two or more machines at overlapping times,
    each with them (``kiosk_health.sources``), oldest first."""
    return {kiosk: json.loads(s) if isinstance(s, str) else s for kiosk, s in storage._query(
        "SELECT kiosk_id, sources FROM kiosk_health WHERE sources IS NOT NULL "
        "ORDER BY kiosk_id")}


def calls(storage: Storage, kiosk_id: str) -> dict[str, list[dict[str, Any]]]:
    """Where the kiosk's calls came from, to find a copy's (``kiosks sources``): its
    ``sources`` kept (each with ``current``: of the token it holds now), oldest first, and
    its ``batches`` logged, grouped by boot id and address: how many, the entries accepted
    from them, first and last received."""
    names = ("current", *_SOURCE)
    sources = [dict(zip(names, row, strict=True)) for row in storage._query(
        "SELECT s.token_hash = k.token_hash, " + ", ".join(f"s.{c}" for c in _SOURCE)
        + " FROM kiosk_sources s JOIN kiosks k ON k.id = s.kiosk_id WHERE s.kiosk_id = $1 "
        "ORDER BY s.first_seen_at, s.boot_id", (kiosk_id,))]
    for source in sources:
        source["current"] = bool(source["current"])
    batches = [dict(zip(("boot_id", "address", "batches", "accepted", "first_received_at",
                         "last_received_at"), row, strict=True)) for row in storage._query(
        "SELECT boot_id, address, count(*), sum(accepted), min(received_at), max(received_at) "
        "FROM batches WHERE kiosk_id = $1 GROUP BY boot_id, address "
        "ORDER BY min(received_at)", (kiosk_id,))]
    for group in batches:
        group["accepted"] = int(group["accepted"] or 0)
    return {"sources": sources, "batches": batches}


def history(storage: Storage, kiosk_id: str) -> list[dict]:
    """The kiosk's reports of the last 30 days, oldest first."""
    rows = storage._query("SELECT received_at, report FROM kiosk_health_history WHERE "
                          "kiosk_id = $1 ORDER BY received_at", (kiosk_id,))
    return [{"received_at": at, **(json.loads(r) if isinstance(r, str) else r)}
            for at, r in rows]
