"""Are the contact traces true? A messy centre, built as kiosks build it, traced by the
command, the API and the Tracing page, against a brute force written from docs/central.md's
definitions alone ("Contact tracing": visits, contacts, scans of uncertain time) — not from
the tracing code.

Kiosks are enrolled with `kiosk-central kiosks add` and post their batches over HTTP to a
real `kiosk-central serve` on 127.0.0.1, the exit kiosks first (a trace runs in between, so
what was derived from half a stay must be derived again). The centre holds what a province
really sends: a point with two kiosks (in at one, out at the other) one of them 3 hours
slow; stays across local midnight and across the period's start; an entry without an exit
and an exit without an entry; a double scan at two kiosks of one point; an older kiosk that
slept 8 hours before sending (its scans filed later than made: uncertain), the traced
person's own such visit filed after the period; manual entries by phone written two ways,
and a CMND-like number typed in by a Vietnamese and by a foreigner (the "foreign" box); the
same person by CCCD, masked and full PC-Covid codes and a manual entry; a copied token's
entries set aside; a day whose identities were erased; a contact ending exactly at the
period's start and one exactly at the margin.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from central_support import ENGINES, CentralServer, batch, central, database_url
from trace_support import scan_id
from web_support import add_users, chromium_binaries, csrf, signed_in

from kiosk.payloads import Identity, decode
from kiosk.payloads.identity import fold_name
from kiosk.payloads.manual import ManualEntry, decode_manual
from kiosk.sync import protocol

LOCAL = dt.timezone(dt.timedelta(hours=7))  # Asia/Ho_Chi_Minh, the centre's zone
TODAY = dt.datetime.now(LOCAL).date()
D = TODAY - dt.timedelta(days=10)  # the period traced: D and the day after
ERASED_DAY = TODAY - dt.timedelta(days=17)  # before `purge --personal-days 14` cuts
SLOW = {"k-bx": 3 * 3600}  # the station's first kiosk: seconds behind the centre
SLEPT = 8 * 3600  # the older kiosks' sleep between a scan and its upload
MARGIN, DEFAULT_STAY, MAX_STAY, REPEAT = 15 * 60, 120 * 60, 720 * 60, 300  # the defaults
KIOSKS = {"k-cho-in": "CP-CHO", "k-cho-out": "CP-CHO", "k-bx": "CP-BX", "k-bx2": "CP-BX",
          "k-nm": "CP-NM", "k-nm-old": "CP-NM", "k-yt": "CP-YT", "k-yt-old": "CP-YT"}
CASE = "079000000001"


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local time ``days`` after D."""
    return dt.datetime.combine(D + dt.timedelta(days=days), dt.time(hour, minute), LOCAL)


def card(number: str, name: str, year: int) -> Identity:
    return decode(f"{number}|123456789|{name}|0102{year}|Nam|Số 1 Lê Lợi, Huế|10102021"
                  .encode(), today=TODAY)


def pc_covid(number: str, name: str, year: int) -> Identity:
    """A PC-Covid code: ``number`` in full or masked ("******…"), the name folded."""
    return decode(f"{number}|{fold_name(name)}|{year}-**-**|0|1234567|".encode())


def by_hand(name: str, *, phone: str = "", document: str = "",
            foreign: bool = False) -> Identity:
    return decode_manual(ManualEntry(name=name, phone=phone, document_number=document,
                                     foreign=foreign))


@dataclass(frozen=True)
class Scan:
    who: str  # the person, as the brute force knows them (the truth)
    identity: Identity
    kiosk: str
    direction: str
    at: dt.datetime  # when it really happened
    how: str = ""  # "slept": an older kiosk slept before sending; "copy": a copied token's;
    # "erased": on a day whose identities the purge erased


BINH = card(CASE, "Trần Thị Bình", 1961)
SCANS = [
    # the factory, across the period's start: Khoa leaves exactly at it, Jin exactly at the
    # margin before Bình came
    Scan("Trần Thị Bình", BINH, "k-nm", "in", at(-1, 23)),
    Scan("Trần Thị Bình", BINH, "k-nm", "out", at(0, 0, 30)),
    Scan("Nguyễn Văn Khoa", card("079000000008", "Nguyễn Văn Khoa", 1968), "k-nm", "in",
         at(-1, 23, 10)),
    Scan("Nguyễn Văn Khoa", card("079000000008", "Nguyễn Văn Khoa", 1968), "k-nm", "out",
         at(0, 0, 0)),
    Scan("Trịnh Văn Jin", card("079000000009", "Trịnh Văn Jin", 1969), "k-nm", "in",
         at(-1, 22)),
    Scan("Trịnh Văn Jin", card("079000000009", "Trịnh Văn Jin", 1969), "k-nm", "out",
         at(-1, 22, 45)),
    # the market: in at one kiosk, out at the other
    Scan("Trần Thị Bình", BINH, "k-cho-in", "in", at(0, 8)),
    Scan("Trần Thị Bình", BINH, "k-cho-out", "out", at(0, 9)),
    Scan("Lê Văn Cường", card("079000000002", "Lê Văn Cường", 1962), "k-cho-in", "in",
         at(0, 8, 30)),
    Scan("Lê Văn Cường", card("079000000002", "Lê Văn Cường", 1962), "k-cho-out", "out",
         at(0, 10)),
    Scan("Phạm Thị Dung", by_hand("Phạm Thị Dung", phone="0900 000 003"), "k-cho-in", "in",
         at(0, 8, 50)),
    Scan("Phạm Thị Dung", by_hand("Phạm Thị Dung", phone="0900.000.003"), "k-cho-out",
         "out", at(0, 9, 30)),
    Scan("Ngô Văn Tâm", by_hand("Ngô Văn Tâm", document="272845913"), "k-cho-in", "in",
         at(0, 8, 40)),
    Scan("Bùi Thị Lan", card("079000000007", "Bùi Thị Lan", 1967), "k-cho-in", "in",
         at(0, 8, 10), "copy"),
    Scan("Bùi Thị Lan", card("079000000007", "Bùi Thị Lan", 1967), "k-cho-in", "out",
         at(0, 8, 50), "copy"),
    # the clinic: in by her card, out typed in by hand with her number; Quang 20 min later
    Scan("Trần Thị Bình", BINH, "k-yt", "in", at(0, 14)),
    Scan("Trần Thị Bình", by_hand("Trần Thị Bình", document=CASE), "k-yt", "out",
         at(0, 15)),
    Scan("Lý Văn Quang", card("079000000011", "Lý Văn Quang", 1971), "k-yt", "in",
         at(0, 15, 20)),
    Scan("Lý Văn Quang", card("079000000011", "Lý Văn Quang", 1971), "k-yt", "out",
         at(0, 15, 40)),
    # the station, across midnight, its first kiosk 3 h slow; Bình by her masked PC-Covid
    # code, a foreigner's passport numbered like Tâm's CMND
    Scan("Trần Thị Bình", pc_covid("******000001", "Trần Thị Bình", 1961), "k-bx", "in",
         at(0, 23, 30)),
    Scan("Trần Thị Bình", pc_covid("******000001", "Trần Thị Bình", 1961), "k-bx", "out",
         at(1, 0, 30)),
    Scan("Đặng Thị Giang", card("079000000005", "Đặng Thị Giang", 1965), "k-bx", "in",
         at(0, 23)),
    Scan("Đặng Thị Giang", card("079000000005", "Đặng Thị Giang", 1965), "k-bx", "out",
         at(1, 1)),
    Scan("John Smith", by_hand("John Smith", document="272845913", foreign=True), "k-bx",
         "in", at(0, 23, 45)),
    Scan("John Smith", by_hand("John Smith", document="272845913", foreign=True), "k-bx",
         "out", at(1, 0, 15)),
    # the market again: a double scan in at its two kiosks; Sơn after the margin
    Scan("Trần Thị Bình", BINH, "k-cho-in", "in", at(1, 7)),
    Scan("Trần Thị Bình", BINH, "k-cho-out", "in", at(1, 7, 3)),
    Scan("Trần Thị Bình", BINH, "k-cho-out", "out", at(1, 7, 30)),
    Scan("Tạ Văn Sơn", card("079000000013", "Tạ Văn Sơn", 1973), "k-cho-in", "in",
         at(1, 7, 50)),
    Scan("Tạ Văn Sơn", card("079000000013", "Tạ Văn Sơn", 1973), "k-cho-out", "out",
         at(1, 8, 10)),
    # the factory: no exit; Cường by his PC-Covid code (full number); Dung by hand, her
    # phone written another way; Em through a kiosk that slept 8 h
    Scan("Trần Thị Bình", BINH, "k-nm", "in", at(1, 10)),
    Scan("Lê Văn Cường", pc_covid("079000000002", "Lê Văn Cường", 1962), "k-nm", "in",
         at(1, 11)),
    Scan("Lê Văn Cường", pc_covid("079000000002", "Lê Văn Cường", 1962), "k-nm", "out",
         at(1, 11, 30)),
    Scan("Phạm Thị Dung", by_hand("PHAM THI DUNG", phone="+84 900 000 003"), "k-nm", "in",
         at(1, 9)),
    Scan("Hoàng Văn Em", card("079000000004", "Hoàng Văn Em", 1964), "k-nm-old", "in",
         at(1, 10, 30), "slept"),
    # the market: in by her card, out by her PC-Covid code declaring another birth year;
    # Lộc in typed by hand with his number, out by his card; Zũng after the margin
    Scan("Trần Thị Bình", BINH, "k-cho-in", "in", at(1, 12)),
    Scan("Trần Thị Bình", pc_covid(CASE, "Trần Thị Bình", 1962), "k-cho-out", "out",
         at(1, 12, 40)),
    Scan("Phan Văn Lộc", by_hand("Phan Văn Lộc", document="079000000019"), "k-cho-in", "in",
         at(1, 12, 5)),
    Scan("Phan Văn Lộc", card("079000000019", "Phan Văn Lộc", 1979), "k-cho-out", "out",
         at(1, 12, 15)),
    Scan("Lưu Văn Zũng", card("079000000017", "Lưu Văn Zũng", 1977), "k-cho-in", "in",
         at(1, 13, 10)),
    Scan("Lưu Văn Zũng", card("079000000017", "Lưu Văn Zũng", 1977), "k-cho-out", "out",
         at(1, 13, 30)),
    # the clinic: an exit without entry, by her PC-Covid code with the full number
    Scan("Trần Thị Bình", pc_covid(CASE, "Trần Thị Bình", 1961), "k-yt", "out", at(1, 16)),
    Scan("Đỗ Văn Phúc", card("079000000010", "Đỗ Văn Phúc", 1970), "k-yt", "in",
         at(1, 15, 50)),
    Scan("Đỗ Văn Phúc", card("079000000010", "Đỗ Văn Phúc", 1970), "k-yt", "out",
         at(1, 16, 20)),
    # the station: in at the right kiosk, out at the slow one; Hoa the other way round
    Scan("Trần Thị Bình", BINH, "k-bx2", "in", at(1, 19)),
    Scan("Trần Thị Bình", BINH, "k-bx", "out", at(1, 19, 40)),
    Scan("Mai Thị Hoa", card("079000000012", "Mai Thị Hoa", 1972), "k-bx", "in",
         at(1, 19, 50)),
    Scan("Mai Thị Hoa", card("079000000012", "Mai Thị Hoa", 1972), "k-bx2", "out",
         at(1, 20, 30)),
    # the clinic: Bình through a kiosk that slept 8 h, filed at 04:00 after the period; Tú
    # and Vinh there while she may have been, Uyên only when her scan is filed
    Scan("Trần Thị Bình", BINH, "k-yt-old", "in", at(1, 20), "slept"),
    Scan("Lâm Văn Tú", card("079000000014", "Lâm Văn Tú", 1974), "k-yt", "in", at(1, 21)),
    Scan("Lâm Văn Tú", card("079000000014", "Lâm Văn Tú", 1974), "k-yt", "out",
         at(1, 21, 30)),
    Scan("Hà Văn Vinh", card("079000000016", "Hà Văn Vinh", 1976), "k-yt", "in", at(1, 23)),
    Scan("Hà Văn Vinh", card("079000000016", "Hà Văn Vinh", 1976), "k-yt", "out",
         at(1, 23, 40)),
    Scan("Kim Thị Uyên", card("079000000015", "Kim Thị Uyên", 1975), "k-yt", "in",
         at(2, 4, 30)),
    Scan("Kim Thị Uyên", card("079000000015", "Kim Thị Uyên", 1975), "k-yt", "out",
         at(2, 5)),
    # a day whose identities the purge erased: Bình and Hải at the market
    Scan("Trần Thị Bình", BINH, "k-cho-in", "in", at((ERASED_DAY - D).days, 8), "erased"),
    Scan("Trần Thị Bình", BINH, "k-cho-out", "out", at((ERASED_DAY - D).days, 9), "erased"),
    Scan("Vũ Văn Hải", card("079000000006", "Vũ Văn Hải", 1966), "k-cho-in", "in",
         at((ERASED_DAY - D).days, 8, 15), "erased"),
    Scan("Vũ Văn Hải", card("079000000006", "Vũ Văn Hải", 1966), "k-cho-out", "out",
         at((ERASED_DAY - D).days, 8, 45), "erased"),
]
TWO_CODES = Scan("Tôn Thị Yến", card("079000000018", "Tôn Thị Yến", 1978), "k-cho-in", "in",
                 at(1, 12, 10)), Scan(
    "Tôn Thị Yến", pc_covid("079000000018", "Tôn Thị Yến", 1979), "k-cho-out", "out",
    at(1, 12, 20))
"""A contact in by her card, out by her PC-Covid code with its full number and a
mis-declared birth year — as Bình's own scans at 12:00-12:40 (one person to the docs)."""
SCANS += TWO_CODES


# -- the truth, from docs/central.md ---------------------------------------------------------
@dataclass(frozen=True)
class Stay:
    who: str
    point: str
    start: float
    end: float
    estimated: bool
    earlier: float  # how much earlier it may really have been (a kiosk that slept)


def stays() -> list[Stay]:
    """"Visits": per person and point, in time order, a scan in the same direction as the
    previous one within 5 minutes is a repeat; an entry followed by an exit within 12 h is
    one stay, a lone entry lasts 2 h, a lone exit began 2 h before. Scans set aside are not
    held; erased ones name nobody; a slept kiosk's are filed 8 h late, "up to that much
    earlier — never later"."""
    people: dict[tuple[str, str], list[Scan]] = {}
    for scan in SCANS:
        if scan.how not in ("copy", "erased"):
            people.setdefault((scan.who, KIOSKS[scan.kiosk]), []).append(scan)
    found = []
    for (who, point), scans in people.items():
        scans.sort(key=lambda s: s.at)
        scans = [s for n, s in enumerate(scans) if not (
            n and scans[n - 1].direction == s.direction
            and (s.at - scans[n - 1].at).total_seconds() <= REPEAT)]
        n = 0
        while n < len(scans):
            scan, later = scans[n], scans[n + 1] if n + 1 < len(scans) else None
            earlier = SLEPT if scan.how == "slept" else 0
            filed = scan.at.timestamp() + earlier
            if scan.direction == "out":
                found.append(Stay(who, point, filed - DEFAULT_STAY, filed, True, earlier))
            elif later and later.direction == "out" and \
                    (later.at - scan.at).total_seconds() <= MAX_STAY:
                found.append(Stay(who, point, filed, later.at.timestamp(), False, earlier))
                n += 1
            else:
                found.append(Stay(who, point, filed, filed + DEFAULT_STAY, True, earlier))
            n += 1
    return found


def truth(start: dt.datetime, end: dt.datetime, person: str = "Trần Thị Bình"
          ) -> dict[str, Any]:
    """The person's visits of [start, end] and, per contact, (minutes shared, visits shared,
    estimated, possible). A visit is in the period if it may have been there; a stay is a
    contact's if it overlaps the visit widened by the margin, at any pair of times both may
    have had ("while in the period" for the visit); minutes: the most they may have
    shared; possible: every pair of theirs rests on an uncertain time."""
    lo, hi = start.timestamp(), end.timestamp()
    everyone = stays()
    visits = sorted((s for s in everyone if s.who == person
                     and s.start - s.earlier < hi and s.end > lo), key=lambda s: s.start)
    contacts: dict[str, list[Any]] = {}
    for visit in visits:
        back_least, back_most = max(0.0, visit.start - hi), min(visit.earlier, visit.end - lo)
        for stay in everyone:
            if stay.who == person or stay.point != visit.point:
                continue
            best = None
            shift = back_least - stay.earlier  # the stay moved later than the visit by this
            while shift <= back_most:
                if stay.start + shift <= visit.end + MARGIN and \
                        stay.end + shift >= visit.start - MARGIN:
                    shared = max(0.0, min(stay.end + shift, visit.end)
                                 - max(stay.start + shift, visit.start))
                    best = shared if best is None else max(best, shared)
                shift += 60
            if best is None:
                continue
            row = contacts.setdefault(stay.who, [0.0, 0, False, True])
            row[0] += best / 60
            row[1] += 1
            row[2] = row[2] or stay.estimated or visit.estimated
            row[3] = row[3] and bool(stay.earlier or visit.earlier)
    return {"visits": [(v.point, minute(v.start), minute(v.end), v.estimated)
                       for v in visits],
            "contacts": {folded(who): (round(row[0]), row[1], row[2], row[3])
                         for who, row in contacts.items()}}


def minute(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, LOCAL).strftime("%Y-%m-%d %H:%M")


def folded(name: str) -> str:
    """A name without diacritics, upper case: a PC-Covid code's name is so."""
    name = name.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", name)
                   if unicodedata.category(c) != "Mn").upper()


def shown(answer: dict[str, Any]) -> dict[str, Any]:
    """A trace's answer in the truth's terms; a person listed twice is listed twice."""
    contacts: dict[str, Any] = {}
    for c in answer["contacts"]:
        contacts.setdefault(folded(c["name"]), []).append(
            (round(c["overlap_minutes"]), c["visits_shared"], c["estimated"], c["possible"]))
    return {"visits": [(v["checkpoint_id"], local(v["entered_at"]), local(v["left_at"]),
                        v["estimated"] is not None) for v in answer["visits"]],
            "contacts": {who: rows[0] if len(rows) == 1 else rows
                         for who, rows in contacts.items()}}


def local(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


# -- the centre -------------------------------------------------------------------------------
def wire(scan: Scan, clock: dt.datetime) -> dict[str, Any]:
    """The wire entry the scan's kiosk sends, stamped ``clock`` by the kiosk's clock."""
    i = scan.identity
    return protocol.entry_to_wire({
        "id": scan_id(clock), "checkpoint_id": KIOSKS[scan.kiosk], "kiosk_id": scan.kiosk,
        "device_id": "serial-1", "lane": None, "direction": scan.direction,
        "status": "accepted", "duplicate_of": None,
        "source": "manual" if i.kind == "manual" else "serial", "symbology": "]Q1",
        "scanned_at": protocol.format_time(clock), "monotonic_ns": 1, "boot_id": "boot-1",
        "kind": i.kind, "subject_key": i.subject_key, "match_key": i.match_key,
        "document_number": i.document_number, "name": i.name, "birth_date": i.birth_date,
        "gender": i.gender, "address": i.address, "issue_date": i.issue_date,
        "extra": json.dumps(i.extra, sort_keys=True), "operator": "", "payload": i.raw})


def post(server: CentralServer, token: str, body: dict[str, Any]) -> None:
    answer = server.post(body, token=token)
    assert answer.status_code == 200, answer.text
    assert {r["status"] for r in answer.json()["results"]} == {"accepted"}, answer.text


def send(server: CentralServer, tokens: dict[str, str], kiosk: str) -> None:
    """What ``kiosk`` scanned, in one batch: by its (slow) clock, or after its sleep."""
    mine = [s for s in SCANS if s.kiosk == kiosk and s.how != "copy"]
    now = dt.datetime.now(dt.UTC)
    if kiosk.endswith("-old"):  # an older kiosk: no sent_suspended_ns; its monotonic clock
        sent_ns = 10**15  # stopped while it slept
        entries = []
        for scan in mine:
            entry = wire(scan, scan.at)
            awake = (now - scan.at).total_seconds() - SLEPT
            entry["monotonic_ns"] = sent_ns - int(awake * 10**9)
            entries.append(entry)
        post(server, tokens[kiosk], {
            **protocol.make_batch(kiosk, str(uuid.uuid4()), entries, sent_at=now),
            "sent_monotonic_ns": sent_ns, "boot_id": "boot-1"})
        return
    behind = dt.timedelta(seconds=SLOW.get(kiosk, 0))
    post(server, tokens[kiosk], batch(kiosk, [wire(s, s.at - behind) for s in mine],
                                      sent_at=protocol.format_time(now - behind)))


@dataclass
class Centre:
    url: str
    server: CentralServer
    folder: Path

    def trace(self, *args: str) -> dict[str, Any]:
        return json.loads(central("trace", "--db", self.url, "--reason", "ca bệnh F0-1234",
                                  *args).stdout)


PERIOD = ("--from", D.isoformat(), "--to", (D + dt.timedelta(days=1)).isoformat())
START, END = at(0, 0), at(2, 0)


@pytest.fixture(scope="module", params=ENGINES)
def centre(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Centre]:
    folder = tmp_path_factory.mktemp(f"truth-{request.param}")
    url = database_url(request.param, folder)
    tokens = {kiosk: json.loads(central(
        "kiosks", "add", "--db", url, "--checkpoint", point, "--checkpoint-name",
        f"Điểm {point}", "--name", f"Máy {kiosk}", "--kiosk-id", kiosk, "--json").stdout
    )["token"] for kiosk, point in KIOSKS.items()}
    add_users(url, {"tracer1": ("tracer", None), "admin1": ("admin", None),
                            "viewer1": ("viewer", None), "dist1": ("district", "Đồng Xoài")})
    server = CentralServer(url)
    centre = Centre(url, server, folder)
    try:
        entry_kiosks = ("k-cho-in", "k-bx2", "k-nm")
        for kiosk in KIOSKS:  # the exits first; half the stays derived and traced
            if kiosk not in entry_kiosks:
                send(server, tokens, kiosk)
        centre.trace("--document", CASE, *PERIOD)
        for kiosk in entry_kiosks:
            send(server, tokens, kiosk)
        # a copy of k-cho-in's token, on another machine (another boot id): set aside
        copy = str(uuid.uuid4())
        post(server, tokens["k-cho-in"], batch(
            "k-cho-in", [wire(s, s.at) for s in SCANS if s.how == "copy"], boot_id=copy))
        central("kiosks", "set-aside", "k-cho-in", "--source", copy, "--reason",
                "mã bị sao chép, biên bản 12/2026", "--db", url)
        central("purge", "--personal-days", "14", "--reason", "QĐ 15/2026", "--db", url)
        yield centre
    finally:
        server.stop()


@pytest.fixture(scope="module")
def answer(centre: Centre) -> dict[str, Any]:
    """`kiosk-central trace --document 079000000001` over D and the day after."""
    return centre.trace("--document", CASE, *PERIOD, "--all-exposures")


def api_trace(centre: Centre, user: str) -> tuple[int, Any]:
    with signed_in(centre.server.url, user) as client:
        page = client.get("/tracing")
        token = csrf(page.text if page.status_code == 200 else client.get("/today").text)
        answer = client.post("/api/v1/trace", headers={"X-CSRF-Token": token}, json={
            "document": CASE, "from": PERIOD[1], "to": PERIOD[3],
            "reason": "ca bệnh F0-1234", "all_exposures": True})
    return answer.status_code, answer.json()


# -- the tests -------------------------------------------------------------------------------
def test_the_scenario_is_the_one_described() -> None:
    """Every stay the docstring names is there, as the brute force builds it (its own check:
    a mistake in the table would make every comparison below meaningless)."""
    found = {(s.who, s.point, minute(s.start), minute(s.end)) for s in stays()}
    assert {("Trần Thị Bình", "CP-NM", minute(at(-1, 23).timestamp()),
             minute(at(0, 0, 30).timestamp())),  # across the period's start
            ("Trần Thị Bình", "CP-CHO", minute(at(1, 7).timestamp()),
             minute(at(1, 7, 30).timestamp())),  # the double scan: one stay
            ("Trần Thị Bình", "CP-BX", minute(at(1, 19).timestamp()),
             minute(at(1, 19, 40).timestamp())),  # in at the right kiosk, out at the slow
            ("Trần Thị Bình", "CP-YT", minute(at(2, 4).timestamp()),
             minute(at(2, 6).timestamp())),  # filed 8 h late, after the period
            } <= found
    assert not {s for s in found if s[0] in ("Bùi Thị Lan", "Vũ Văn Hải")}


def test_the_visits_are_the_truth(answer: dict[str, Any]) -> None:
    assert shown(answer)["visits"] == truth(START, END)["visits"]


def test_the_contacts_are_the_truth(answer: dict[str, Any]) -> None:
    """Everyone, with minutes and visits shared, estimated and possible as the docs define
    them (Tôn Thị Yến once: test_a_contact_under_two_codes_of_one_number_is_one_person)."""
    contacts, want = shown(answer)["contacts"], truth(START, END)["contacts"]
    assert contacts == want
    # who is not there, and why
    for nobody in ("Bùi Thị Lan", "Vũ Văn Hải", "Lý Văn Quang", "Tạ Văn Sơn", "Lưu Văn Zũng",
                   "Kim Thị Uyên"):  # set aside, erased, beyond the margin ×3, outside
        assert folded(nobody) not in contacts


def test_the_exposures_are_listed_visit_by_visit_each_by_rank(centre: Centre,
                                                             answer: dict[str, Any]) -> None:
    """The JSON's exposures and the CSV's *Chi tiết tiếp xúc* sheet, which a tracer reads
    beside the visits: visit 1's contacts by rank, then visit 2's… Before, they came in the
    order the trace found them, by point and person key (visits 4, 4, 9, 2, 2, 2, 7…)."""
    order = [(e["visit"], e["rank"]) for e in answer["exposures"]]
    assert order == sorted(order) and len(order) == answer["exposures_listed"]["exposures"]
    assert len({visit for visit, _ in order}) > 5  # enough visits for an order to show
    sheet = central("trace", "--document", CASE, *PERIOD, "--format", "csv", "--reason",
                    "ca bệnh F0-1234", "--db", centre.url).stdout
    # the sheet's rows under its header
    rows = sheet.split("# Chi tiết tiếp xúc")[1].split("\n\n")[0].strip().splitlines()[1:]
    assert [tuple(map(int, row.split(",")[:2])) for row in rows] == order


def test_a_contact_under_two_codes_of_one_number_is_one_person(centre: Centre,
                                                               answer: dict[str, Any]
                                                               ) -> None:
    """Tôn Thị Yến came in by her card (1978) and left by her PC-Covid code with her full
    number and 1979: one person, as Bình's own card and code are (docs/central.md: "a
    PC-Covid code with the full number and her name but another birth year … is hers"),
    there 12:10-12:20, 10 minutes with Bình, nothing estimated. Listed as two people, each
    with a 2-hour estimated stay (30 and 20 minutes), she was phoned twice and ranked high.
    So whether the trace reads the stays kept at ingest one by one (``--all-exposures``),
    sums them in the database, or builds every stay from the scans (another repeat
    window than the one stays are kept under)."""
    summed = centre.trace("--document", CASE, *PERIOD)
    raw = centre.trace("--document", CASE, *PERIOD, "--all-exposures",
                       "--repeat-window", "299s")
    for traced in (answer, summed, raw):
        rows = [c for c in traced["contacts"] if c["document_number"] == "079000000018"]
        assert [(c["overlap_minutes"], c["estimated"]) for c in rows] == [(10.0, False)]


def test_a_contact_under_two_codes_is_traced_in_turn_under_both(centre: Centre) -> None:
    """Traced in the second degree, Tôn Thị Yến's contacts are those of a trace of her own
    number but Bình (the person traced first): her visit is 12:10-12:20, not her card's
    entry alone with 2 hours estimated (which made Lưu Văn Zũng, at the market from 13:10,
    her contact)."""
    onward = centre.trace("--document", CASE, *PERIOD, "--second-degree", "20")
    yen = [via["contacts"] for via in onward["second_degree"]
           if via["via"].startswith("m:000018|")]
    own = centre.trace("--document", "079000000018", *PERIOD)["contacts"]
    assert yen == [[{**c, "rank": n} for n, c in enumerate(
        (c for c in own if c["document_number"] != CASE), 1)]]
    assert yen[0] and not any(c["estimated"] for c in yen[0])


def test_the_api_gives_a_tracer_and_an_admin_the_same_answer_and_nobody_else_any(
        centre: Centre, answer: dict[str, Any]) -> None:
    for user in ("tracer1", "admin1"):
        status, body = api_trace(centre, user)
        assert status == 200
        assert (body["visits"], body["contacts"], body["exposures"]) == (
            answer["visits"], answer["contacts"], answer["exposures"])
    for user in ("viewer1", "dist1"):
        status, body = api_trace(centre, user)
        assert (status, body["code"]) == (403, "trace.tracer_needed")


def test_the_erased_day_shows_nobody_and_the_answer_says_where_data_begins(
        centre: Centre, answer: dict[str, Any]) -> None:
    """Traced from the erased day on, the answer is the period's as before (Bình's market
    visit and Hải that day are gone with their names) and says that the data begins after
    the cut (07:00 local on the purge's UTC day: the next day is the first held whole)."""
    wider = centre.trace("--document", CASE, "--from", ERASED_DAY.isoformat(), "--to",
                         PERIOD[3], "--all-exposures")
    assert (wider["visits"], wider["contacts"]) == (answer["visits"], answer["contacts"])
    cut = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=14)
    assert (wider["data_begins"], wider["period_starts_before_data"]) == (
        (cut + dt.timedelta(days=1)).isoformat(), True)
    assert answer["period_starts_before_data"] is False


def test_a_cmnd_and_a_passport_of_one_number_are_two_people(centre: Centre) -> None:
    """Tâm's CMND 272845913 typed in at the market, a foreigner's passport of that number at
    the station: each found by its own trace, neither as the other."""
    cmnd = centre.trace("--document", "272845913", *PERIOD)
    passport = centre.trace("--document", "272845913", "--foreign", *PERIOD)
    assert [v["checkpoint_id"] for v in cmnd["visits"]] == ["CP-CHO"]
    assert [v["checkpoint_id"] for v in passport["visits"]] == ["CP-BX"]
    assert {c["name"] for c in passport["contacts"]} == {"Đặng Thị Giang", "Trần Thị Bình"}


def test_a_contact_shown_only_by_her_masked_code_is_named_by_her_card(centre: Centre) -> None:
    """At the station Bình showed only her masked PC-Covid code; her card was scanned at
    other visits, under her code's match key: the code is hers (docs/central.md, "A document
    number … stands for its holder"), so John Smith's trace lists her by her card's name and
    number — before, as "TRAN THI BINH", "******000001", nobody a tracer could call."""
    passport = centre.trace("--document", "272845913", "--foreign", *PERIOD)
    [binh] = [c for c in passport["contacts"] if c["birth_year"] == "1961"]
    assert (binh["name"], binh["document_number"]) == ("Trần Thị Bình", CASE)


def test_the_audit_log_names_each_trace_and_finds_whom_it_showed(centre: Centre,
                                                                  answer: dict[str, Any]
                                                                  ) -> None:
    """Lê Văn Cường asks who was shown his data: the traces of Bình (the command's, the
    API's of the tracer and of the admin), each with its channel; a refused API call is
    not one. Hải, erased, and Lan, set aside, were shown to nobody."""
    for user in ("tracer1", "admin1", "viewer1"):
        api_trace(centre, user)
    listed = central("audit", "list", "--disclosed", "079000000002", "--json", "--db",
                     centre.url).stdout
    shown_to = {(r["actor"], r["channel"]) for r in json.loads(listed)
                if r["subject"] == f"document {CASE}"}
    assert {("tracer1", "api"), ("admin1", "api")} <= shown_to
    assert "cli" in {channel for _, channel in shown_to}  # the command's: root@host
    assert "viewer1" not in {actor for actor, _ in shown_to}
    for number in ("079000000006", "079000000007"):
        nothing = central("audit", "list", "--disclosed", number, "--json", "--db",
                          centre.url).stdout
        assert json.loads(nothing) == []


@pytest.mark.skipif(chromium_binaries() is None,
                    reason="chromium + chromium-driver not installed")
def test_the_tracing_page_shows_the_truth(centre: Centre, answer: dict[str, Any]) -> None:
    """A tracer on the Tracing page, in headless Chromium, reads the command's contacts in
    its table: names, minutes and visits shared, estimated and possible."""
    from selenium.webdriver.common.by import By
    from web_support import browser, click_and_wait, log_in

    with browser() as chrome:
        chrome.get(f"{centre.server.url}/lang/en?next=/login")
        log_in(chrome, centre.server.url, "tracer1")
        chrome.get(centre.server.url + "/tracing")
        chrome.find_element(By.ID, "document").send_keys(CASE)
        for name, day in (("start", PERIOD[1]), ("end", PERIOD[3])):
            chrome.execute_script("arguments[0].value = arguments[1]",
                                  chrome.find_element(By.NAME, name), day)
        chrome.find_element(By.ID, "reason").send_keys("ca bệnh F0-1234")
        click_and_wait(chrome, chrome.find_element(By.ID, "trace"))
        table = [[cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")]
                 for row in chrome.find_element(By.ID, "contacts")
                 .find_elements(By.TAG_NAME, "tr")]
        visits = len(chrome.find_element(By.ID, "visits").find_elements(By.TAG_NAME, "tr"))
    rows = [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    assert [(r["Name"], float(r["Minutes shared"]), int(r["Visits shared"]),
             r["Estimated times"] == "yes", bool(r["Possible contact"])) for r in rows] == [
        (c["name"], c["overlap_minutes"], c["visits_shared"], c["estimated"], c["possible"])
        for c in answer["contacts"]]
    assert visits - 1 == len(answer["visits"])
