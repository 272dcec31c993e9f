"""People, codes and scans for the tracing tests, stored the way the centre stores them.

Identities come from real payloads decoded by ``kiosk.payloads`` (a CCCD, the same person's
PC-Covid code with the number masked, a manual entry), and scans reach the database through
``Storage.ingest_batch`` with a ``sent_at`` that makes the centre measure the kiosk's clock
offset — so correction is the centre's own. ``brute_force`` answers a trace the slow, obvious
way from every stored row, to check the indexed one against.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from kiosk.central import derivation
from kiosk.central.id_days import id_prefix
from kiosk.central.storage import Storage
from kiosk.ids import uuid7
from kiosk.payloads import Identity, decode
from kiosk.payloads.manual import ManualEntry, decode_manual
from kiosk.sync import protocol

NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em",
         "Đặng Thị Giang", "Vũ Văn Hải", "Bùi Thị Lan")
FORMS = ("cccd", "pccovid", "pccovid_masked", "manual_doc", "manual_phone")


def number(person: int) -> str:
    return f"0790{person:08d}"


def payload_identity(person: int, form: str) -> Identity:
    """What a kiosk reads from person ``person`` showing a code of the given form."""
    name = NAMES[person % len(NAMES)]
    year = 1960 + person % 40
    doc = number(person)
    if form == "cccd":
        raw = f"{doc}|123456789|{name}|0102{year}|Nam|Số {person} Lê Lợi, Huế|10102021"
        identity = decode(raw.encode(), today=dt.date(2026, 11, 30))
    elif form in ("pccovid", "pccovid_masked"):
        from kiosk.payloads.identity import fold_name
        shown = "******" + doc[-6:] if form == "pccovid_masked" else doc
        raw = f"{shown}|{fold_name(name)}|{year}-**-**|0|1234567|"
        identity = decode(raw.encode())
    else:
        phone = f"09{person:08d}"
        identity = decode_manual(ManualEntry(name=name, phone=phone, document_number=(
            doc if form == "manual_doc" else "")))
    assert isinstance(identity, Identity), identity
    return identity


_SERIAL = itertools.count(1)


def scan_id(scanned_at: dt.datetime) -> str:
    """A UUIDv7 as the kiosk makes it when it records a scan: by the clock of scanned_at."""
    tail = f"{next(_SERIAL):018x}"  # in the order made, like the kiosk's counter
    return f"{id_prefix(scanned_at)}-7{tail[:3]}-8{tail[3:6]}-{tail[6:]}"


def wire_entry(identity: Identity, *, checkpoint: str, kiosk: str, direction: str,
               scanned_at: dt.datetime, repeat: bool = False) -> dict[str, Any]:
    """A wire entry as the kiosk would send it for this scan."""
    return protocol.entry_to_wire({
        "id": scan_id(scanned_at), "checkpoint_id": checkpoint, "kiosk_id": kiosk,
        "device_id": "serial-1",
        "lane": None, "direction": direction, "status": "duplicate" if repeat else "accepted",
        "duplicate_of": None, "source": "manual" if identity.kind == "manual" else "serial",
        "symbology": "]Q1", "scanned_at": protocol.format_time(scanned_at),
        "monotonic_ns": 1, "boot_id": "boot-1", "kind": identity.kind,
        "subject_key": identity.subject_key, "match_key": identity.match_key,
        "document_number": identity.document_number, "name": identity.name,
        "birth_date": identity.birth_date, "gender": identity.gender,
        "address": identity.address, "issue_date": identity.issue_date,
        "extra": json.dumps(identity.extra, sort_keys=True), "operator": "",
        "payload": identity.raw,
    })


RECEIVED = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
"""When :func:`store_scans` and :func:`after_a_sleep` have batches reach the centre."""


@dataclass(frozen=True)
class Visit:
    """One scan to make: who, with which code, where, which way, at what true time."""

    person: int
    form: str
    checkpoint: str
    direction: str
    at: dt.datetime
    kiosk: str = "k1"
    repeat: bool = False


def store_scans(storage: Storage, scans: list[Visit], offsets: dict[str, float | None],
                parts: int = 1, *, runs: bool = False, derive_every: int = 1,
                received: dt.datetime | None = None) -> None:
    """Send each kiosk's scans in ``parts`` batches (every ``parts``-th scan of the list in
    each, in list order: a scan may arrive before an earlier one; ``runs``: consecutive runs
    of the list instead, as a kiosk sends what it scanned); a kiosk's clock is
    ``offsets[kiosk]`` seconds behind the centre (None: the batch came in a backlog file,
    offset unknown). What is derived from them (stays, document matches) is derived after
    every ``derive_every``-th batch, several batches in one step (0: only by a reader,
    :func:`kiosk.central.derivation.catch_up`). Each batch reaches the centre at
    ``received``, by default at :data:`RECEIVED` or a minute after its last scan if later."""
    by_kiosk: dict[tuple[int, str], list[Visit]] = defaultdict(list)
    for n, scan in enumerate(scans):
        by_kiosk[n * parts // len(scans) if runs else n % parts, scan.kiosk].append(scan)
    for n, ((_, kiosk), mine) in enumerate(sorted(by_kiosk.items()), start=1):
        # a batch never reaches the centre before its scans were made (one dated after its
        # arrival is filed at it, of uncertain time: docs/protocol.md, "Times")
        arrived = received or max(RECEIVED, max(s.at for s in mine) + dt.timedelta(minutes=1))
        offset = offsets.get(kiosk, 0.0)
        skew = dt.timedelta(seconds=offset or 0.0)
        entries = [wire_entry(payload_identity(s.person, s.form), checkpoint=s.checkpoint,
                              kiosk=kiosk, direction=s.direction, scanned_at=s.at - skew,
                              repeat=s.repeat) for s in mine]
        sent = None if offset is None else protocol.format_time(arrived - skew)
        results = storage.ingest_batch(kiosk, entries, sent_at=sent, received_at=arrived,
                                       batch_id=uuid7())
        assert all(r["status"] == protocol.ACCEPTED for r in results), results
        if derive_every and n % derive_every == 0:
            derivation.catch_up(storage)


def after_a_sleep(storage: Storage, kiosk: str, visits: list[Visit], slept: float) -> None:
    """An older kiosk (no ``sent_suspended_ns``), its clock right, sends ``visits`` in the
    boot they were made in, at 1 December 2026 00:00 UTC (as :func:`store_scans`), having
    slept ``slept`` seconds since: each is filed ``slept`` later than made, of uncertain
    time (schema v35)."""
    received = RECEIVED  # as store_scans
    sent_ns = 10**15
    entries = []
    for v in visits:
        entry = wire_entry(payload_identity(v.person, v.form), checkpoint=v.checkpoint,
                           kiosk=kiosk, direction=v.direction, scanned_at=v.at)
        awake = (received - v.at).total_seconds() - slept
        entry["monotonic_ns"] = sent_ns - int(awake * 10**9)
        entries.append(entry)
    results = storage.ingest_batch(kiosk, entries, sent_at=protocol.format_time(received),
                                   received_at=received, batch_id=uuid7(),
                                   sent_monotonic_ns=sent_ns, boot_id="boot-1")
    assert all(r["status"] == protocol.ACCEPTED for r in results), results
    derivation.catch_up(storage)


# -- the brute force ----------------------------------------------------------------------
def _seconds(scanned_at: str, offset: float | None) -> float:
    moment = dt.datetime.strptime(scanned_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    if offset is not None and (offset > 120 or offset < -120):
        moment = moment + dt.timedelta(seconds=offset)
    return moment.timestamp()


def brute_target(entries: list[dict[str, Any]], document: str) -> str:
    """The key a document's holder is known by: the smallest match key ever stored with
    it (``entries``: all those held)."""
    keys = [e["match_key"] for e in entries
            if e["subject_key"] == "doc:" + document and e["match_key"]]
    return min(keys) if keys else "doc:" + document


def brute_force(entries: list[dict[str, Any]], target: set[str], start: float, end: float, *,
                margin: float, default_stay: float, max_stay: float, window: float,
                linking: list[dict[str, Any]]) -> dict[str, Any]:
    """Every stay of everyone from every row, then every pair: no index, no bound.
    ``linking``: the rows whose document and match key join one person's codes."""
    alias: dict[str, str] = {}
    for e in linking:
        if e["match_key"] and e["subject_key"].startswith("doc:"):
            held = alias.get(e["subject_key"])
            alias[e["subject_key"]] = min(held, e["match_key"]) if held else e["match_key"]
    events: dict[tuple[str, str], list[tuple[float, str, str, bool]]] = defaultdict(list)
    for e in entries:
        who = e["match_key"] or alias.get(e["subject_key"], e["subject_key"])
        events[who, e["checkpoint_id"]].append((
            _seconds(e["scanned_at"], e["clock_offset_seconds"]), e["id"], e["direction"],
            e["status"] == "duplicate"))
    stays: list[tuple[str, str, float, float, str | None]] = []
    for (who, checkpoint), scans in events.items():
        scans.sort()
        kept = [s for n, s in enumerate(scans) if not s[3] and not (
            n > 0 and scans[n - 1][2] == s[2] and s[0] - scans[n - 1][0] <= window)]
        used = set()
        for n, (at, _, direction, _) in enumerate(kept):
            if n in used:
                continue
            if direction == "out":
                stays.append((who, checkpoint, at - default_stay, at, "entry"))
            elif (n + 1 < len(kept) and kept[n + 1][2] == "out"
                  and kept[n + 1][0] - at <= max_stay):
                stays.append((who, checkpoint, at, kept[n + 1][0], None))
                used.add(n + 1)
            else:
                stays.append((who, checkpoint, at, at + default_stay, "exit"))
    visits = sorted((s for s in stays if s[0] in target and s[2] <= end and s[3] >= start),
                    key=lambda s: (s[2], s[1], s[0]))
    exposures = {}
    for index, (_, checkpoint, vs, ve, _) in enumerate(visits):
        theirs: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for who, where, s, e, _ in stays:
            if where == checkpoint and who not in target and s <= ve + margin \
                    and e >= vs - margin:
                theirs[who].append((s, e))
        for who, spans in theirs.items():
            clipped = sorted((max(s, vs), min(e, ve)) for s, e in spans if min(e, ve) > max(s, vs))
            total, reach = 0.0, -float("inf")
            for s, e in clipped:
                if e > reach:
                    total += e - max(s, reach)
                    reach = e
            exposures[index, who] = round(total, 3)
    return {"visits": [(s[1], round(s[2], 3), round(s[3], 3), s[4]) for s in visits],
            "exposures": exposures}
