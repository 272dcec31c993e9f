"""Every problem of the daily report carries its parameters (numbers, shares, UTC times), and
is worded where it is read, in the reader's language: the Today and Reports pages in
Vietnamese and in English (times local to the centre, numbers as each language writes them),
the report files in Vietnamese. No English sentence on a Vietnamese page. A real
`kiosk-central serve` on SQLite and on a real PostgreSQL, fetched over HTTP; the province
built through the calls the API uses (batches ingested, health reports recorded)."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from central_support import ENGINES, CentralServer, database_url
from report_support import TESTS, GenKiosk, wire_entry
from web_support import add_users, signed_in

from kiosk.central import heartbeat, registry, reports
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.central.storage import Storage
from kiosk.messages import CATALOGUE
from kiosk.sync import protocol

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the centre's default
PLAIN = {"software_version": "0.1.0", "pending": 0, "oldest_pending_seconds": None,
         "rejected": 0, "devices": [], "free_disk_bytes": None}


def local(moment: dt.datetime, lang: str = "en") -> str:
    """A time as the pages word it: day first in Vietnamese (DD/MM/YYYY), ISO in English."""
    return moment.astimezone(ZONE).strftime("%d/%m/%Y %H:%M" if lang == "vi"
                                            else "%Y-%m-%d %H:%M")


def build_province(storage: Storage, now: dt.datetime) -> dict[tuple[str, str], tuple[str, str]]:
    """A province with every problem the daily report lists, as of ``now``; what each must
    read ({(problem, kiosk or point): (Vietnamese, English)})."""
    today = now.astimezone(ZONE).date()
    midnight = dt.datetime.combine(today, dt.time(), ZONE).astimezone(dt.UTC)
    set_up = (today - dt.timedelta(days=30)).isoformat()
    closed = (today - dt.timedelta(days=3)).isoformat()
    registry.upsert(storage, [Checkpoint(p, f"Điểm {p}", district="Đồng Xoài", set_up_on=set_up)
                              for p in ("P-IDLE", "P-ONEWAY", "P-MANUAL", "P-REFUSE")]
                    + [Checkpoint("P-NOWHERE", "Chợ", set_up_on=set_up),  # no district
                       Checkpoint("P-CLOSED", "Điểm P-CLOSED", district="Đồng Xoài",
                                  set_up_on=set_up, closed_on=closed)],
                    today=today.isoformat(), by=TESTS)
    for kiosk, point in (("k-oneway", "P-ONEWAY"), ("k-manual", "P-MANUAL"),
                         ("k-refuse", "P-REFUSE"), ("k-closed", "P-CLOSED")):
        storage.add_kiosk(kiosk, point, kiosk, uuid.uuid4().hex)
    for kiosk in ("k-never", "k-silent", "k-paused", "k-odd", "k-behind", "k-ahead",
                  "k-backlog", "k-revoked", "k-replaced", "k-copied"):
        storage.add_kiosk(kiosk, "P-IDLE", kiosk, uuid.uuid4().hex)

    def scans(kiosk: str, point: str, count: int, *, one_way: bool = False,
              manual: int = 0) -> None:
        """``count`` scans made today (between local midnight and now), received now."""
        gen = GenKiosk(kiosk, point, 0.0, midnight, None)
        entries = [wire_entry(gen, point, midnight + (now - midnight) * (i + 1) / (count + 1),
                              "in" if one_way or i % 2 else "out", i < manual, i)
                   for i in range(count)]
        storage.ingest_batch(kiosk, entries, sent_at=protocol.format_time(now),
                             received_at=now, batch_id=str(uuid.uuid4()))

    def health(kiosk: str, at: dt.datetime, offset: float = 0.0, boot: str | None = None,
               address: str | None = None, **values: object) -> None:
        heartbeat.record(storage, kiosk, protocol.validate_health({**PLAIN, **values}), at,
                         offset, boot_id=boot, address=address, beat=True)

    scans("k-oneway", "P-ONEWAY", 11, one_way=True)
    # its twelfth sent an hour after it was made, by a kiosk of an earlier version (no
    # sent_suspended_ns) awake 55 min since: filed by its monotonic age, of uncertain time
    slept = wire_entry(GenKiosk("k-oneway", "P-ONEWAY", 0.0, midnight, None), "P-ONEWAY",
                       midnight + (now - midnight) / 2, "in", False, 11)
    slept.update(monotonic_ns=5 * 60 * 10**9, boot_id="boot-slept")
    sent = protocol.parse_time(slept["scanned_at"]) + dt.timedelta(hours=1)
    storage.ingest_batch("k-oneway", [slept], sent_at=protocol.format_time(sent),
                         received_at=sent, batch_id=str(uuid.uuid4()),
                         sent_monotonic_ns=60 * 60 * 10**9, boot_id="boot-slept")
    scans("k-manual", "P-MANUAL", 20, manual=16)  # 16 of the province's 55 scans typed
    scans("k-refuse", "P-REFUSE", 20)
    scans("k-closed", "P-CLOSED", 2)  # its kiosk not revoked when it closed
    # its third dated 3 days after it arrived (its clock ran ahead in an earlier boot, set
    # right since): filed at its arrival, when it was made unknown
    ahead = wire_entry(GenKiosk("k-closed", "P-CLOSED", 0.0, midnight, None), "P-CLOSED",
                       now + dt.timedelta(days=3), "in", False, 2)
    storage.ingest_batch("k-closed", [ahead], sent_at=protocol.format_time(now),
                         received_at=now, batch_id=str(uuid.uuid4()))
    health("k-refuse", now, refused_by_hour={now.strftime("%Y-%m-%dT%H"): 30})
    health("k-silent", now - dt.timedelta(days=3))
    health("k-paused", now, pending=4, uploads_paused="store_unconfirmed")
    health("k-odd", now, pending=1234, uploads_paused="disk_gone")
    health("k-behind", now, 300.0)
    health("k-ahead", now, -7300.0)
    health("k-backlog", now, pending=5, oldest_pending_seconds=90000.0)
    storage.revoke_kiosk("k-revoked")
    for _ in range(2):
        storage.note_refused_attempt("k-revoked", now)
    # its token re-issued (the machine heard from since), the old one used 3 times
    old = storage._query("SELECT token_hash FROM kiosks WHERE id = 'k-replaced'")[0][0]
    storage.reissue_token("k-replaced", uuid.uuid4().hex)
    health("k-replaced", now)
    storage.note_replaced_token_attempt(old, now, count=3)
    # its token heard from a second machine between two reports of the first
    two_min, one_min = now - dt.timedelta(minutes=2), now - dt.timedelta(minutes=1)
    health("k-copied", two_min, boot="boot-a", address="10.0.0.1", pending=7)
    health("k-copied", one_min, boot="boot-b", address="10.0.0.2")
    health("k-copied", now, boot="boot-a", address="10.0.0.1", pending=7)
    at, seen = local(now), local(now - dt.timedelta(days=3))
    at_vi, seen_vi = local(now, "vi"), local(now - dt.timedelta(days=3), "vi")
    set_up_vi = dt.date.fromisoformat(set_up).strftime("%d/%m/%Y")
    closed_vi = dt.date.fromisoformat(closed).strftime("%d/%m/%Y")
    return {
        ("no_scan_7_days", "P-IDLE"): (f"triển khai từ {set_up_vi}", f"set up on {set_up}"),
        ("no_scan_7_days", "P-NOWHERE"): (f"triển khai từ {set_up_vi}", f"set up on {set_up}"),
        ("kiosk_silent_24h", "k-never"): ("chưa liên lạc lần nào", "never heard from"),
        ("kiosk_silent_24h", "k-silent"): (f"liên lạc lần cuối lúc {seen_vi}",
                                           f"last heard from at {seen}"),
        ("uploads_paused_store_unconfirmed", "k-paused"): (
            f"4 bản ghi chờ gửi; máy báo lúc {at_vi}", f"4 entries waiting; reported at {at}"),
        ("uploads_paused", "k-odd"): (
            f"mã lý do disk_gone; 1.234 bản ghi chờ gửi; máy báo lúc {at_vi}",
            f"reason code disk_gone; 1,234 entries waiting; reported at {at}"),
        ("clock_off", "k-behind"): ("đồng hồ máy chậm 5 phút 0 giây so với trung tâm",
                                    "the kiosk's clock is 5 min 0 s behind the centre's"),
        ("clock_off", "k-ahead"): ("đồng hồ máy nhanh 2 giờ 1 phút so với trung tâm",
                                   "the kiosk's clock is 2 h 1 min ahead of the centre's"),
        ("old_backlog", "k-backlog"): (
            "bản ghi cũ nhất đã chờ gửi 1 ngày 1 giờ (theo đồng hồ máy lúc máy báo lần cuối, "
            "cộng thời gian từ đó)",
            "the oldest entry has waited 1 d 1 h (by the kiosk's clock when it last reported, "
            "and the time since)"),
        ("one_direction", "P-ONEWAY"): ("12 lượt vào, 0 lượt ra", "12 in, 0 out"),
        ("time_uncertain", "k-oneway"): (
            "1 lượt quét tính theo thời gian máy chạy (hoặc theo độ lệch đồng hồ trung tâm đo "
            "lần cuối: tệp tồn đọng); theo đồng hồ máy thì có thể đã quét sớm hơn tới 5 phút 0 "
            "giây",
            "scans filed by the kiosk's running time (or by the clock offset the centre last "
            "measured: a backlog file): 1; by its clock they may have been made up to 5 min 0 s "
            "earlier"),
        ("time_after_arrival", "k-closed"): (
            "1 lượt quét được ghi vào lúc tới trung tâm; đồng hồ máy ghi giờ muộn hơn tới "
            "3 ngày 0 giờ, nên không biết đã quét lúc nào trước đó",
            "scans filed when they arrived: 1; the kiosk's clock dated them up to 3 d 0 h "
            "later, so when before that they were made is unknown"),
        ("manual_share", "P-MANUAL"): ("80,0 % so với 29,1 % của cả tỉnh",
                                       "80.0 % against 29.1 % province-wide"),
        # 30 refused of 50 reads, the province 30 of 85: not twice it, but half or more
        ("refused_share", "P-REFUSE"): ("60,0 %, từ 50,0 % trở lên (cả tỉnh 35,3 %)",
                                        "60.0 %, 50.0 % or more (province-wide 35.3 %)"),
        ("revoked_still_trying", "k-revoked"): (
            f"2 lần gửi bị từ chối, lần cuối lúc {at_vi}",
            f"2 refused attempts, the last at {at}"),
        ("replaced_token_in_use", "k-replaced"): (
            f"3 lần gửi bằng mã cũ bị từ chối, lần cuối lúc {at_vi}",
            f"3 refused attempts with the old token, the last at {at}"),
        ("token_copied", "k-copied"): (
            f"2 máy: mã khởi động boot-a từ 10.0.0.1, {local(two_min, 'vi')} đến {at_vi}, "
            f"7 bản ghi chờ gửi; mã khởi động boot-b từ 10.0.0.2, {local(one_min, 'vi')} đến "
            f"{local(one_min, 'vi')}, 0 bản ghi chờ gửi",
            f"2 machines: boot id boot-a from 10.0.0.1, {local(two_min)} to {at}, 7 entries "
            f"pending; boot id boot-b from 10.0.0.2, {local(one_min)} to {local(one_min)}, "
            "0 entries pending"),
        ("closed_still_scanning", "P-CLOSED"): (
            f"3 lượt quét, điểm đã đóng từ {closed_vi}",
            f"3 scans, the point closed on {closed}"),
    }


def problems_shown(page: str) -> dict[tuple[str, str], tuple[str, str]]:
    """The Today page's problem rows: {(problem's words, kiosk or point): detail}."""
    table = page.split('id="problems"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><td>(.*?)</td><td><a [^>]*href="/checkpoints/([^"]+)">.*?</td>\s*'
                      r'<td>.*?</td><td>(.*?)</td><td class="detail">(.*?)</td></tr>',
                      table, re.S)
    return {(html.unescape(words), kiosk or point): html.unescape(detail)
            for words, point, kiosk, detail in rows}


def kind(problem: str) -> str:
    """A problem's kind in :data:`reports.PROBLEM_PARAMS` (``uploads_paused_*`` is one)."""
    return "uploads_paused" if problem.startswith("uploads_paused") else problem


def words_of(problem: str, lang: str) -> str:
    return CATALOGUE[f"web.problem.{problem}"][0 if lang == "vi" else 1]


@pytest.mark.parametrize("engine", ENGINES)
def test_every_problem_reads_in_the_readers_language_on_the_pages_and_in_the_files(
        engine: str, tmp_path: Path) -> None:
    db = database_url(engine, tmp_path)
    now = dt.datetime.now(dt.UTC)
    with open_storage(db) as storage:
        expected = build_province(storage, now)
        today = storage.today().isoformat()
        report = reports.daily(storage, storage.today(), now=now)
    listed = {(r["problem"], r.get("kiosk_id") or r["checkpoint_id"])
              for r in report["not_scanning"] + report["scanning_wrongly"]}
    assert listed == set(expected)  # every kind of problem, and nothing else
    assert {kind(p) for p, _ in listed} == set(reports.PROBLEM_PARAMS)
    add_users(db, {"viewer1": ("viewer", None)})
    server = CentralServer(db)
    try:
        with signed_in(server.url, "viewer1") as client:
            for lang, index in (("vi", 0), ("en", 1)):
                client.get(f"/lang/{lang}")
                page = client.get("/today")
                assert page.status_code == 200, page.text[:300]
                assert problems_shown(page.text) == {
                    (words_of(problem, lang), where): words[index]
                    for (problem, where), words in expected.items()}
                # P-NOWHERE's district, in this language only
                assert reports.UNKNOWN not in page.text
                assert ("(không rõ)", "(unknown)")[index] in page.text
                day = html.unescape(client.get("/reports", params={"date": today}).text)
                for words in expected.values():
                    assert words[index] in day and words[1 - index] not in day
                assert reports.UNKNOWN not in day
            api = client.get("/api/v1/reports/daily",
                             params={"date": today}).json()
            csv = client.get("/reports/download", params={
                "format": "csv", "date": today}).content.decode("utf-8")
    finally:
        server.stop()
    assert api["version"] == reports.VERSION == 5
    rows = api["not_scanning"] + api["scanning_wrongly"]
    assert all("detail" not in row for row in rows)
    assert {(r["problem"], tuple(r["params"])) for r in rows} == {  # as documented
        (p, reports.PROBLEM_PARAMS[kind(p)]) for p, _ in expected}
    assert {(r["problem"], r.get("kiosk_id")): r["params"] for r in rows
            if r["problem"] in ("kiosk_silent_24h", "revoked_still_trying",
                                "replaced_token_in_use")} == {
        ("kiosk_silent_24h", "k-never"): {"last_seen_at": None, "pending": None},
        ("kiosk_silent_24h", "k-silent"): {
            "last_seen_at": protocol.format_time(now - dt.timedelta(days=3)), "pending": 0},
        ("revoked_still_trying", "k-revoked"): {
            "refused_attempts": 2, "last_refused_at": protocol.format_time(now)},
        ("replaced_token_in_use", "k-replaced"): {
            "attempts": 3, "last_attempt_at": protocol.format_time(now)}}
    for vietnamese, english in expected.values():  # the files are read in Vietnamese
        assert f",{vietnamese}\r\n" in csv.replace('"', "")
        assert english not in csv


def test_a_version_1_report_shows_no_detail_rather_than_failing() -> None:
    """A row without params (a report made before version 2, kept as JSON) has a blank
    detail, not an error on the page that words it."""
    from kiosk.central.web.i18n import translator

    row = {"problem": "clock_off", "detail": "+300 s"}
    assert [translator(lang).detail(row, "UTC") for lang in ("vi", "en")] == ["", ""]
