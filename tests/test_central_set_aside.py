"""A copied token's entries set aside at the centre (``kiosk-central kiosks set-aside``): a
kiosk's token used from a second machine filed entries under the kiosk's id; an admin names
that machine's boot id (``kiosks sources``) and its entries leave the counts, the people,
the traces and the reports — kept, audited, and brought back exactly by ``kiosks
bring-back``. A batch of that boot arriving later is set aside as it is stored, and
answered as any. Both engines; a real ``kiosk-central serve`` on 127.0.0.1 and the real
command."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_support import (
    ENGINES,
    CentralServer,
    Enrolled,
    batch,
    central,
    database_url,
    enrol,
    kiosk_entries,
)
from trace_support import payload_identity, wire_entry
from web_support import signed_in

from kiosk.central import (
    aggregates,
    copied_sources,
    derivation,
    erasure,
    people,
    reports,
    set_aside_rows,
    stays,
)
from kiosk.central.audit import Actor
from kiosk.central.backends import open_storage
from kiosk.central.web.i18n import translator
from kiosk.ids import uuid7
from kiosk.messages import CATALOGUE, LANGUAGES
from kiosk.sync import protocol
from tests.test_central_token_copy import centre_fixture  # noqa: F401

REASON = "mã bị sao chép — biên bản 12/2026"


def _number(person: int) -> str:
    return f"0010990{person:05d}"  # central_support.cccd's document number


def _today(db: str) -> tuple[int, int, int, int]:
    """Today's scans, entries in, scans by hour and people as the daily report counts them."""
    with open_storage(db) as storage:
        report = reports.daily(storage, storage.today(), wait=None)
    summary = report["summary"]
    return (summary["scans"], summary["ins"], sum(h["scans"] for h in report["by_hour"]),
            summary["people"])


def _trace(db: str, person: int) -> tuple[list[str], list[str]]:
    """The points a trace of ``person`` finds them at, and their contacts' document numbers."""
    answer = json.loads(central("trace", "--db", db, "--document", _number(person),
                                "--reason", "ca bệnh F0-1234").stdout)
    return ([v["checkpoint_id"] for v in answer["visits"]],
            sorted(c["document_number"] for c in answer["contacts"]))


def _post(server: CentralServer, kiosk: Enrolled, entries: list[dict[str, Any]], boot: str
          ) -> list[str]:
    answer = server.post(batch("ka", entries, boot_id=boot), token=kiosk.token)
    assert answer.status_code == 200, answer.text
    return [r["status"] for r in answer.json()["results"]]


def test_a_copys_entries_leave_counts_and_traces_stay_out_when_it_sends_again_and_come_back(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    """The genuine kiosk (boot-genuine) scans people 0-2 at CP-A; a copy of its token
    (boot-copy) files people 10-11 there too. Before, they were the point's: counted,
    people of the day, contacts of person 0. Set aside, they are gone from the counts and
    the traces, kept; the copy sending again is answered as before (accepted, duplicate)
    and counts nothing; a derivation retry brings nothing back; setting aside again moves
    nothing. Brought back, everything is as before, the late batch's entry with it."""
    server, kiosk = centre
    db = server.db
    assert _post(server, kiosk, kiosk_entries(tmp_path, "ka", 3, "CP-A"), "boot-genuine") == [
        "accepted"] * 3
    assert _post(server, kiosk, kiosk_entries(tmp_path, "ka", 2, "CP-A", start=10),
                 "boot-copy") == ["accepted"] * 2
    assert _today(db) == (5, 5, 5, 5)
    assert _trace(db, 0) == (["CP-A"], sorted(map(_number, (1, 2, 10, 11))))

    done = central("kiosks", "set-aside", "ka", "--source", "boot-copy", "--reason", REASON,
                   "--db", db)
    vi, en = (CATALOGUE["central.set_aside"][n].split("{")[0] for n in (0, 1))
    assert vi in done.stdout and en in done.stdout and "2" in done.stdout
    assert "kiosk-central kiosks token ka" in done.stdout  # revoke the copy too

    assert _today(db) == (3, 3, 3, 3)
    assert _trace(db, 0) == (["CP-A"], sorted(map(_number, (1, 2))))
    assert _trace(db, 10) == ([], [])
    with open_storage(db) as storage:
        assert storage.entry_count("ka") == 3
        assert [s["entries"] for s in set_aside_rows.held(storage)["ka"]] == [2]
        kept = storage._query(f"SELECT count(*) FROM {set_aside_rows.ASIDE}")[0][0]
    assert kept == 2  # evidence, not deleted

    # the copy still running: a new scan and its first batch again, answered as any
    late = kiosk_entries(tmp_path, "ka", 1, "CP-A", start=12)
    assert _post(server, kiosk, late, "boot-copy") == ["accepted"]
    assert _post(server, kiosk, late, "boot-copy") == ["duplicate"]
    assert _today(db) == (3, 3, 3, 3)
    assert _trace(db, 12) == ([], [])
    central("derivation", "--retry", "--db", db)
    again = json.loads(central("kiosks", "set-aside", "ka", "--source", "boot-copy",
                               "--reason", REASON, "--json", "--db", db).stdout)
    assert again["entries"] == 0
    assert _today(db) == (3, 3, 3, 3)
    # the genuine kiosk heard again: flagged, and the flag names the source set aside
    body = protocol.make_heartbeat("ka", {
        "software_version": "0.1.0", "pending": 0, "oldest_pending_seconds": None,
        "rejected": 0, "devices": [], "free_disk_bytes": 10**10, "refused_by_hour": {}})
    beat = httpx.post(server.url + protocol.HEARTBEAT_PATH, timeout=30,
                      json={**body, "boot_id": "boot-genuine"},
                      headers=protocol.bearer(kiosk.token))
    assert beat.status_code == 200, beat.text
    with open_storage(db) as storage:
        assert [s["entries"] for s in set_aside_rows.held(storage)["ka"]] == [3]
        report = reports.daily(storage, storage.today())
    flagged, = (r for r in report["scanning_wrongly"] if r["problem"] == "token_copied")
    assert flagged["params"]["set_aside"] == [{"boot_id": "boot-copy", "entries": 3}]
    assert translator("vi").detail(flagged, "UTC").endswith(
        "đã để riêng 3 bản ghi từ mã khởi động boot-copy")
    assert translator("en").detail(flagged, "UTC").endswith(
        "3 entries from boot id boot-copy set aside")
    with signed_in(server.url, "admin1") as admin:
        for n, lang in enumerate(LANGUAGES):
            admin.get(f"/lang/{lang}")
            page = html.unescape(admin.get("/kiosks").text)
            assert CATALOGUE["web.kiosks.set_aside"][n].split("{")[0] in page
            assert "boot-copy" in page and REASON in page
    listed = central("kiosks", "list", "--db", db).stdout
    assert "- ka: đã để riêng 3 bản ghi từ mã khởi động boot-copy" in listed

    back = central("kiosks", "bring-back", "ka", "--source", "boot-copy", "--reason",
                   "nhầm máy", "--db", db)
    assert CATALOGUE["central.brought_back"][1].split("{")[0] in back.stdout
    assert _today(db) == (6, 6, 6, 6)
    assert _trace(db, 0) == (["CP-A"], sorted(map(_number, (1, 2, 10, 11, 12))))
    with open_storage(db) as storage:
        assert storage.entry_count("ka") == 6
        assert set_aside_rows.held(storage) == {}
    log = json.loads(central("audit", "list", "--db", db, "--json").stdout)
    acts = [(r["kind"], r["reason"]) for r in reversed(log)
            if r["kind"].startswith("kiosk-") and r["kind"] != "kiosk-enrol"]
    assert acts == [("kiosk-set-aside", REASON), ("kiosk-set-aside", REASON),
                    ("kiosk-bring-back", "nhầm máy")]


def test_the_genuine_kiosks_scans_its_restored_copy_sent_first_stay_when_the_copy_is_set_aside(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    """A backup of the kiosk's store restored on another machine (boot-copy) uploads the
    outbox it holds first: people 0-2, scanned by the genuine kiosk, accepted from the copy.
    The genuine kiosk (boot-genuine) sends the same entries, is answered duplicate and
    forgets them, acknowledged. Setting aside the copy keeps them counted and traced — they
    are the genuine kiosk's scans, sent by no one again — and says so, in the command's
    words and the audit log; the copy's own scan goes."""
    server, kiosk = centre
    db = server.db
    genuine = kiosk_entries(tmp_path, "ka", 3, "CP-A")
    assert _post(server, kiosk, genuine, "boot-copy") == ["accepted"] * 3
    assert _post(server, kiosk, genuine, "boot-genuine") == ["duplicate"] * 3
    assert _post(server, kiosk, genuine, "boot-copy") == ["duplicate"] * 3  # a resend: its own
    copys_own = kiosk_entries(tmp_path, "ka", 1, "CP-A", start=10)
    assert _post(server, kiosk, copys_own, "boot-copy") == ["accepted"]
    assert _today(db) == (4, 4, 4, 4)

    done = central("kiosks", "set-aside", "ka", "--source", "boot-copy", "--reason", REASON,
                   "--db", db)
    assert "Set aside 1 entries" in done.stdout
    assert "Kept 3 of this source's entries in place" in done.stdout
    assert "Giữ nguyên 3 bản ghi của nguồn này" in done.stdout
    assert _today(db) == (3, 3, 3, 3)
    assert _trace(db, 0) == (["CP-A"], sorted(map(_number, (1, 2))))
    assert _trace(db, 10) == ([], [])
    log = json.loads(central("audit", "list", "--db", db, "--json").stdout)
    act, = (r for r in log if r["kind"] == "kiosk-set-aside")
    assert act["subject"] == "ka boot boot-copy: 1 entries, 3 kept (sent by another boot too)"
    again = json.loads(central("kiosks", "set-aside", "ka", "--source", "boot-copy",
                               "--reason", REASON, "--json", "--db", db).stdout)
    assert (again["entries"], again["kept"]) == (0, 3)
    central("kiosks", "bring-back", "ka", "--source", "boot-copy", "--reason", "nhầm máy",
            "--db", db)
    assert _today(db) == (4, 4, 4, 4)


def test_a_source_unknown_or_no_reason_is_refused_and_changes_nothing(
        centre: tuple[CentralServer, Enrolled], tmp_path: Path) -> None:
    server, kiosk = centre
    _post(server, kiosk, kiosk_entries(tmp_path, "ka", 1, "CP-A"), "boot-copy")
    unknown = central("kiosks", "set-aside", "ka", "--source", "boot-nowhere", "--reason",
                      REASON, "--db", server.db, check=False)
    assert unknown.returncode == 2 and "boot-nowhere" in unknown.stderr
    assert "kiosks sources ka" in unknown.stderr
    short = central("kiosks", "set-aside", "ka", "--source", "boot-copy", "--reason", "x",
                    "--db", server.db, check=False)
    assert short.returncode == 2 and "Traceback" not in short.stderr
    nothing = central("kiosks", "bring-back", "ka", "--source", "boot-copy", "--reason",
                      REASON, "--db", server.db, check=False)
    assert nothing.returncode == 2 and "nothing of kiosk ka is set aside" in nothing.stderr
    assert _today(server.db)[0] == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_the_kept_monthly_report_of_a_month_with_entries_set_aside_is_built_again(
        engine: str, tmp_path: Path) -> None:
    """November's report, kept once due, counted the copy's scans (people 2 and 3 again: a
    restored backup's duplicates, the day's people the same); set aside, the report shown
    is November without them, and the stays, day sets and people are those the entries
    left make; brought back, all is as it was."""
    db = database_url(engine, tmp_path)
    enrol(db, "ka", "CP-A")
    at = dt.datetime(2026, 11, 10, 3, tzinfo=dt.UTC)
    with open_storage(db) as storage:
        for boot, persons, later in (("boot-genuine", (1, 2, 3), 0), ("boot-copy", (2, 3), 30)):
            entries = [wire_entry(payload_identity(p, "cccd"), checkpoint="CP-A", kiosk="ka",
                                  direction="in", scanned_at=at + dt.timedelta(minutes=p + later))
                       for p in persons]
            storage.ingest_batch("ka", entries, sent_at=protocol.format_time(at),
                                 received_at=at + dt.timedelta(hours=1), batch_id=uuid7(),
                                 boot_id=boot)
        assert _month(storage) == (5, 3)
        stays_before = _derived(storage)
        copied_sources.set_aside(storage, "ka", "boot-copy", reason=REASON,
                                 by=Actor("admin@centre", "cli"))
        assert _month(storage) == (3, 3)
        aside = _derived(storage)
        assert aside != stays_before  # the copy's scans gone from them
        with storage._transaction() as tx:  # as if the copy had never sent them
            stays.rebuild_all(storage, tx)
            people.recount(storage, tx)
        assert _derived(storage) == aside
        copied_sources.bring_back(storage, "ka", "boot-copy", reason=REASON,
                                  by=Actor("admin@centre", "cli"))
        assert _month(storage) == (5, 3)
        assert _derived(storage) == stays_before


@pytest.mark.parametrize("engine", ENGINES)
def test_entries_brought_back_after_their_days_report_was_made_are_listed_late(
        engine: str, tmp_path: Path) -> None:
    """Yesterday the genuine kiosk scanned people 1-3, the copy 4-5; the copy set aside
    before the 06:00 report, the report counts 3. Brought back after it, the copy's two are
    in neither that report nor the day's late list unless listed late, received now: each
    entry of the day either in its report or listed late after it, never neither."""
    db = database_url(engine, tmp_path)
    enrol(db, "ka", "CP-A")
    by = Actor("admin@centre", "cli")
    with open_storage(db) as storage:
        # the last day whose 06:00 report is due: yesterday, or before 06:00 the day before
        today = storage.calendar.report_day_of(dt.datetime.now(dt.UTC))
        yesterday = dt.date.fromisoformat(today) - dt.timedelta(days=1)
        at = storage.calendar.report_time(yesterday) + dt.timedelta(hours=4)  # 10:00
        for boot, persons in (("boot-genuine", (1, 2, 3)), ("boot-copy", (4, 5))):
            entries = [wire_entry(payload_identity(p, "cccd"), checkpoint="CP-A", kiosk="ka",
                                  direction="in", scanned_at=at + dt.timedelta(minutes=p))
                       for p in persons]
            storage.ingest_batch("ka", entries, sent_at=protocol.format_time(at),
                                 received_at=at + dt.timedelta(minutes=10), batch_id=uuid7(),
                                 boot_id=boot)
        copied_sources.set_aside(storage, "ka", "boot-copy", reason=REASON, by=by)
        made = reports.made_daily(storage, yesterday)  # the 06:00 run
        copied_sources.bring_back(storage, "ka", "boot-copy", reason=REASON, by=by)
        late = storage._query("SELECT day, received_on, entries FROM late_arrivals")
        month = reports.monthly(storage, yesterday.strftime("%Y-%m"), wait=None)
        day = next(d for d in month["by_day"] if d["day"] == yesterday.isoformat())
    assert made["summary"]["scans"] == 3
    assert [tuple(row) for row in late] == [(yesterday.isoformat(), today, 2)]
    assert day["scans"] == 5


def test_late_entries_brought_back_after_the_report_listing_them_was_made_are_listed_again(
        tmp_path: Path) -> None:
    """The copy's scans of day D reached the centre after D's report, on D+1: listed late
    by D+1's report. Set aside before that report was made, brought back after it: they are
    on no list unless listed again, received now — not on D+1's, made without them."""
    db = database_url("sqlite", tmp_path)
    enrol(db, "ka", "CP-A")
    by = Actor("admin@centre", "cli")
    with open_storage(db) as storage:
        calendar = storage.calendar
        day = storage.today() - dt.timedelta(days=3)
        next_day = day + dt.timedelta(days=1)
        at = calendar.report_time(day) + dt.timedelta(hours=4)  # 10:00 on D
        for boot, persons, received in (
                ("boot-genuine", (1, 2, 3), at + dt.timedelta(minutes=10)),
                ("boot-copy", (4, 5), at + dt.timedelta(days=1))):  # 10:00 on D+1
            if boot == "boot-copy":
                with storage._transaction() as tx:  # D's report, at 06:30 on D+1
                    aggregates.report_made(storage, tx, day, calendar.report_time(
                        next_day) + dt.timedelta(minutes=30))
            entries = [wire_entry(payload_identity(p, "cccd"), checkpoint="CP-A", kiosk="ka",
                                  direction="in", scanned_at=at + dt.timedelta(minutes=p))
                       for p in persons]
            storage.ingest_batch("ka", entries, sent_at=protocol.format_time(received),
                                 received_at=received, batch_id=uuid7(), boot_id=boot)
        listed = "SELECT day, received_on, entries FROM late_arrivals"
        assert [tuple(r) for r in storage._query(listed)] == [
            (day.isoformat(), next_day.isoformat(), 2)]
        copied_sources.set_aside(storage, "ka", "boot-copy", reason=REASON, by=by)
        with storage._transaction() as tx:  # D+1's report, made while they were aside
            aggregates.report_made(storage, tx, next_day,
                                   dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
        copied_sources.bring_back(storage, "ka", "boot-copy", reason=REASON, by=by)
        received_on = calendar.report_day_of(dt.datetime.now(dt.UTC))
        assert [tuple(r) for r in storage._query(listed)] == [
            (day.isoformat(), received_on, 2)]


def test_a_months_files_are_made_again_after_a_set_aside_and_a_bring_back(
        tmp_path: Path) -> None:
    """November's files made by the timer's 'report monthly --if-due --out-dir' count the
    copy's scans (people 2 and 3 again: the day's people the same). Set aside after, the
    next run makes them again without those, and again with them once brought back —
    it judged the files by their late list and people alone, and kept 5 scans for good."""
    db = database_url("sqlite", tmp_path)
    enrol(db, "ka", "CP-A")
    by = Actor("admin@centre", "cli")
    at = dt.datetime(2026, 11, 10, 3, tzinfo=dt.UTC)
    with open_storage(db) as storage:
        for boot, persons, later in (("boot-genuine", (1, 2, 3), 0), ("boot-copy", (2, 3), 30)):
            entries = [wire_entry(payload_identity(p, "cccd"), checkpoint="CP-A", kiosk="ka",
                                  direction="in", scanned_at=at + dt.timedelta(minutes=p + later))
                       for p in persons]
            storage.ingest_batch("ka", entries, sent_at=protocol.format_time(at),
                                 received_at=at + dt.timedelta(hours=1), batch_id=uuid7(),
                                 boot_id=boot)
    out = tmp_path / "reports"

    def filed() -> tuple[int, str]:
        """The scans of November's file, and what the timer's run said."""
        said = central("report", "monthly", "--month", "2026-11", "--if-due", "--out-dir",
                       str(out), "--db", db).stdout
        path = max(out.glob("*2026-11*.json"), key=lambda p: p.stat().st_mtime_ns)
        return json.loads(path.read_text(encoding="utf-8"))["summary"]["scans"], said

    assert filed()[0] == 5
    scans, said = filed()
    assert scans == 5 and "not made again" in said  # nothing changed since
    with open_storage(db) as storage:
        copied_sources.set_aside(storage, "ka", "boot-copy", reason=REASON, by=by)
    scans, said = filed()
    assert scans == 3 and "made again" in said
    with open_storage(db) as storage:
        copied_sources.bring_back(storage, "ka", "boot-copy", reason=REASON, by=by)
    assert filed()[0] == 5


def _derived(storage: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """Stays, day sets and people per point and day, once every entry held is derived."""
    derivation.catch_up(storage)
    return tuple(sorted(map(tuple, storage._query(sql))) for sql in (
        "SELECT person, checkpoint_id, first_at, last_at, first_id, last_id FROM stays",
        "SELECT day, subject_key FROM day_subjects",
        "SELECT day, checkpoint_id, scans, people FROM checkpoint_days"))


def _month(storage: Any) -> tuple[int, int]:
    """November's scans and its 10th's people, as its kept report shows them."""
    month = reports.kept_monthly(storage, "2026-11")
    day = next(d for d in month["by_day"] if d["day"] == "2026-11-10")
    return month["summary"]["scans"], day["people"]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_copy_of_entries_has_every_column_of_entries(engine: str, tmp_path: Path) -> None:
    """A migration adding a column to entries adds it to entries_set_aside too: an entry
    set aside comes back whole."""
    with open_storage(database_url(engine, tmp_path)) as storage, storage._transaction() as tx:
        entries = [c[0] for c in storage._execute(tx, "SELECT * FROM entries WHERE false"
                                                  ).description]
        aside = [c[0] for c in storage._execute(
            tx, f"SELECT * FROM {set_aside_rows.ASIDE} WHERE false").description]
    assert aside == [*entries, "set_aside_boot"]


@pytest.mark.parametrize("engine", ENGINES)
def test_entries_set_aside_are_erased_and_purged_as_the_entries_held(
        engine: str, tmp_path: Path) -> None:
    """Kept as evidence, not for ever: the identities of the copy's October entries go with
    the erasure of October, and the entries with its purge, as any entry's."""
    db = database_url(engine, tmp_path)
    enrol(db, "ka", "CP-A")
    at = dt.datetime(2026, 10, 5, 3, tzinfo=dt.UTC)
    with open_storage(db) as storage:
        entries = [wire_entry(payload_identity(p, "cccd"), checkpoint="CP-A", kiosk="ka",
                              direction="in", scanned_at=at + dt.timedelta(minutes=p))
                   for p in (7, 8)]
        storage.ingest_batch("ka", entries, sent_at=protocol.format_time(at),
                             received_at=at + dt.timedelta(hours=1), batch_id=uuid7(),
                             boot_id="boot-copy")
        copied_sources.set_aside(storage, "ka", "boot-copy", reason=REASON,
                                 by=Actor("admin@centre", "cli"))
        kept = f"SELECT subject_key, document_number FROM {set_aside_rows.ASIDE} ORDER BY id"
        assert [key for key, _ in storage._query(kept)] != ["erased", "erased"]
        erasure.erase_personal(storage, dt.date(2026, 11, 1))
        assert storage._query(kept) == [("erased", None), ("erased", None)]
        storage.purge_entries(dt.date(2026, 11, 1))
        assert storage._query(kept) == []
