"""The centre forgets who after `personal_retention_days` and keeps the counts — run with the
real `kiosk-central purge` and `retention` commands on SQLite and a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from central_support import (
    ENGINES,
    StartedAt,
    central,
    database_url,
    steps_held_at_stays,
    undo_after_v48,
    undo_batches_seen,
    undo_duplicates,
    undo_late,
    undo_report_kept,
)
from report_support import uuid7_at
from trace_support import number, payload_identity, wire_entry

from kiosk.central import audit, derivation, erasure, id_days, people, reports, trace_service
from kiosk.central.backends import open_storage
from kiosk.central.schema import LARGEST_CLOCK_OFFSET, LEAST_CLOCK_OFFSET
from kiosk.central.storage import PERSONAL_COLUMNS, STORED_COLUMNS
from kiosk.central.trace_queries import StorageSource
from kiosk.ids import id_prefix, uuid7
from kiosk.messages import CATALOGUE
from kiosk.sync import protocol


class Moments(StartedAt):
    @property
    def old(self) -> dt.datetime:
        """The old scans' time, 40 days ago."""
        return self.local_noon(40)


@pytest.fixture
def at() -> Moments:
    return Moments.starting()


KEPT = ("id", "checkpoint_id", "kiosk_id", "direction", "status", "scanned_at", "kind",
        "local_day", "received_at")


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def send(storage, scans: list[tuple[int, str, str, dt.datetime]], received: dt.datetime
         ) -> list[dict]:
    """(person, form, direction, when) scans from kiosk k1 at CP-CHO, as it sends them."""
    entries = [wire_entry(payload_identity(person, form), checkpoint="CP-CHO", kiosk="k1",
                          direction=direction, scanned_at=when)
               for person, form, direction, when in scans]
    results = storage.ingest_batch("k1", entries, sent_at=protocol.format_time(received),
                                   received_at=received, batch_id=uuid7())
    assert {r["status"] for r in results} == {protocol.ACCEPTED}, results
    derivation.catch_up(storage)  # as serve does in the background
    return entries


def trace(storage, at: Moments) -> dict:
    return trace_service.run(storage, trace_service.Request(
        document=number(1), start=at.old.date() - dt.timedelta(days=1),
        end=at.now.date() + dt.timedelta(days=1)),  # local today: UTC+7 is a day ahead after 17:00
        actor="test@centre", reason="ca bệnh F0-1", channel="cli", address=None)


def report(storage, day: dt.date, at: Moments) -> dict:
    made = reports.daily(storage, day, now=at.now)
    return {key: value for key, value in made.items() if key != "made_at"}


def rows(storage, where: str = "1 = 1", params: tuple = ()) -> list[dict]:
    return [dict(zip(STORED_COLUMNS, row, strict=True)) for row in storage._query(
        f"SELECT {', '.join(STORED_COLUMNS)} FROM entries WHERE {where} ORDER BY id", params)]


def personal_values(entries: list[dict]) -> set[str]:
    return {str(v) for e in entries for k in ("name", "document_number", "birth_date",
                                              "address") if (v := e.get(k))} | {
        (e["extra"] or {}).get("phone") for e in entries} - {None}


def test_identities_are_erased_after_the_period_and_the_counts_stay(db: str, at: Moments) -> None:
    with open_storage(db) as storage:
        old = send(storage, [(1, "cccd", "in", at.old), (2, "cccd", "in", at.old + dt.timedelta(
            minutes=5)), (2, "cccd", "out", at.old + dt.timedelta(hours=1)),
            (3, "manual_phone", "in", at.old + dt.timedelta(minutes=10))], at.old)
        recent = send(storage, [(1, "cccd", "in", at.now - dt.timedelta(hours=2))], at.now)
        old_day = storage.calendar.day_of(at.old)
        before = report(storage, old_day, at)
        assert before["summary"]["people"] == 3
        traced = trace(storage, at)  # before: the old visit, with persons 2 and 3 near it
        assert len(traced["visits"]) == 2 and len(traced["contacts"]) == 2
    secret = personal_values(old)
    assert number(1) in secret and "0900000003" in secret  # a CCCD and a manual phone

    out = central("purge", "--personal-days", "30",
                  "--reason", "test: a one-off period", "--db", db).stdout
    assert "(4 entries)" in out and "identities kept" not in out

    with open_storage(db) as storage:
        erased, kept = rows(storage, "id < $1", (recent[0]["id"],)), rows(
            storage, "id = $1", (recent[0]["id"],))
        assert len(erased) == 4
        for row, sent in zip(erased, sorted(old, key=lambda e: e["id"]), strict=True):
            assert all(row[k] in (None, b"", "{}", {}, "erased") for k in PERSONAL_COLUMNS)
            assert bytes(row["payload"]) == b"" and row["subject_key"] == "erased"
            assert {k: row[k] for k in KEPT if k in sent} == {k: sent[k] for k in KEPT
                                                              if k in sent}
        dump = json.dumps(erased, default=str, ensure_ascii=False)
        assert not {value for value in secret if value in dump}
        assert kept[0]["name"] == recent[0]["name"] and kept[0]["subject_key"] != "erased"
        assert report(storage, old_day, at) == before  # the same report, people included
        # the day's set of people went with the identities: only the recent scan's person
        assert {k for (k,) in storage._query("SELECT subject_key FROM day_subjects")} == {
            recent[0]["subject_key"], recent[0]["match_key"]}

        # a kiosk sending an erased entry again is told it is held
        again = storage.ingest_batch("k1", old[:1], sent_at=protocol.format_time(at.now),
                                     received_at=at.now, batch_id=uuid7())
        assert [r["status"] for r in again] == [protocol.DUPLICATE]

        # nobody is found where identities are gone, and the answer says where data begins
        answer = trace(storage, at)
        assert [v["entered_at"][:10] for v in answer["visits"]] == [
            storage.calendar.day_of(at.now - dt.timedelta(hours=2)).isoformat()]
        assert answer["contacts"] == []
        # the first whole day: the cut, UTC midnight, is 07:00 local on the day before
        assert answer["data_begins"] == (at.now.date() - dt.timedelta(days=29)).isoformat()

        # a late arrival from the erased period is stored as the erasure left its period
        # (before, with its identity until the next run: a trace found it meanwhile); its
        # day's people stay as frozen when the identities went (a scan more, nobody more)
        late = send(storage, [(4, "cccd", "in", at.old + dt.timedelta(minutes=20))], at.now)
        (row,) = rows(storage, "id = $1", (late[0]["id"],))
        assert all(row[k] in (None, b"", "{}", {}, "erased") for k in PERSONAL_COLUMNS)
        assert (row["kind"], row["direction"], row["local_day"]) == (
            "cccd", "in", old_day.isoformat())
        summary = report(storage, old_day, at)["summary"]
        assert (summary["scans"], summary["people"]) == (before["summary"]["scans"] + 1, 3)
        assert storage._query("SELECT count(*) FROM stays WHERE first_id = $1 OR last_id = $1",
                              (late[0]["id"],)) == [(0,)]
        # sent again, with its identity: held
        again = storage.ingest_batch("k1", late, sent_at=protocol.format_time(at.now),
                                     received_at=at.now, batch_id=uuid7())
        assert [r["status"] for r in again] == [protocol.DUPLICATE]
    assert "(0 entries)" in central("purge", "--personal-days", "30",
                                    "--reason", "test: a one-off period", "--db", db).stdout


def test_a_trace_of_the_day_the_erasure_cut_through_says_it_starts_before_the_data(
        db: str, at: Moments) -> None:
    """The erasure cuts at a UTC midnight, 07:00 in the centre's zone: the case's scan at
    03:00 local that day lost its identity, the rest of the day kept theirs. A trace of that
    day finds nobody in its first hours, and must say its period starts before the data
    (the first whole day is the next one). Before, it said the data began that very day."""
    cut = at.now.date() - dt.timedelta(days=30)
    night = dt.datetime.combine(cut, dt.time(), dt.UTC) - dt.timedelta(hours=4)
    with open_storage(db) as storage:
        send(storage, [(1, "cccd", "in", night)], night)
        assert storage.calendar.local(night) == (cut.isoformat(), 3)
    central("purge", "--personal-days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        answer = trace_service.run(storage, trace_service.Request(
            document=number(1), start=cut, end=cut), actor="test@centre", reason="F0-2",
            channel="cli", address=None)
    assert answer["visits"] == []
    assert answer["data_begins"] == (cut + dt.timedelta(days=1)).isoformat()
    assert answer["period_starts_before_data"] is True


def test_the_retention_setting_is_checked_kept_and_applied_by_purge(db: str, at: Moments) -> None:
    shown = central("retention", "--db", db).stdout
    assert "mãi mãi / forever" in shown and "Identities" in shown
    refused = central("retention", "--personal-days", "5", "--db", db, check=False)
    assert refused.returncode == 2 and "at least 14 days" in refused.stderr
    assert central("purge", "--personal-days", "-1", "--db", db, check=False).returncode == 2
    set_ = central("retention", "--days", "90", "--personal-days", "30", "--reason",
                   "decision 12", "--db", db).stdout
    assert "90 ngày / 90 days" in set_ and "30 ngày / 30 days" in set_
    with open_storage(db) as storage:
        send(storage, [(1, "cccd", "in", at.old)], at.old)
    out = central("purge", "--db", db).stdout
    assert "before" in out and "(1 entries)" in out  # identities: the setting's 30 days
    assert "Purged raw entries before" in out  # raw: the setting's 90 days (nothing that old)


def test_an_erased_scan_is_nobodys_contact_at_the_edge_of_the_period(db: str, at: Moments) -> None:
    edge = dt.datetime.combine(at.now.date() - dt.timedelta(days=30), dt.time(), dt.UTC)
    with open_storage(db) as storage:
        send(storage, [(2, "cccd", "in", edge - dt.timedelta(minutes=10)),
                       (5, "cccd", "in", edge - dt.timedelta(minutes=5)),
                       (1, "cccd", "in", edge + dt.timedelta(minutes=5))],
             edge + dt.timedelta(hours=1))  # received after its last scan
        assert len(trace(storage, at)["contacts"]) == 2
    central("purge", "--personal-days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        answer = trace(storage, at)
    assert len(answer["visits"]) == 1 and answer["contacts"] == []


def test_a_stay_whose_entry_was_erased_is_a_lone_exit_to_a_trace_and_is_no_longer_kept(
        db: str, at: Moments) -> None:
    """The stays kept at ingest go with the scans erased, and a trace near the cutoff reads
    the scans left: the exit after it, alone, is an estimated stay. Where a person's scans
    end (their tail) goes too when its scans are erased, and what their stays' scans said
    (their identities) when no scan left says it."""
    edge = dt.datetime.combine(at.now.date() - dt.timedelta(days=30), dt.time(), dt.UTC)
    with open_storage(db) as storage:
        send(storage, [(2, "cccd", "in", edge - dt.timedelta(minutes=10)),
                       (2, "cccd", "out", edge + dt.timedelta(minutes=30)),
                       (3, "cccd", "in", edge - dt.timedelta(hours=20)),
                       (1, "cccd", "in", edge + dt.timedelta(minutes=5))],
             edge + dt.timedelta(hours=1))  # received after its last scan
        (contact,) = trace(storage, at)["contacts"]  # estimated: the case's exit is assumed
        assert (contact["overlap_minutes"], contact["estimated"]) == (25, True)
        assert storage._query("SELECT count(*) FROM stays")[0][0] == 3
        assert storage._query("SELECT count(*) FROM stay_tails")[0][0] == 3
        said = storage._query("SELECT document_number FROM identities ORDER BY 1")
        assert said == [(number(p),) for p in (1, 2, 3)]
    central("purge", "--personal-days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        (contact,) = trace(storage, at)["contacts"]
        assert (contact["overlap_minutes"], contact["estimated"]) == (25, True)
        held = storage._query("SELECT person, estimated FROM stays ORDER BY first_at")
        tails = storage._query("SELECT person FROM stay_tails")
        said = storage._query("SELECT document_number FROM identities ORDER BY 1")
    # person 3's only scan was erased: what it said is gone; person 2's exit still says theirs
    assert said == [(number(1),), (number(2),)]
    assert [estimated for _, estimated in held] == ["exit"]  # person 1's; the pair is gone
    assert not any(number(2)[-6:] in person for person, _ in held)
    # person 3's only scan was erased; person 2's exit was not, and is where theirs ends
    assert sorted(person[:9] for (person,) in tails) == ["m:000001|", "m:000002|"]


def test_the_erasure_walks_in_batches_to_the_last_old_entry(
        db: str, monkeypatch: pytest.MonkeyPatch, at: Moments) -> None:
    from kiosk.central import erasure

    monkeypatch.setattr(erasure, "BATCH", 2)
    with open_storage(db) as storage:
        send(storage, [(p, "cccd", "in", at.old + dt.timedelta(minutes=p)) for p in range(1, 6)],
             at.old)
        send(storage, [(6, "cccd", "in", at.now - dt.timedelta(hours=1))], at.now)
        assert erasure.erase_personal(storage, at.now.date() - dt.timedelta(days=30)) == 5
        assert [r["subject_key"] == "erased" for r in rows(storage)] == [True] * 5 + [False]


def test_an_entry_erased_early_takes_its_person_out_of_its_days_set(db: str, at: Moments) -> None:
    """A kiosk whose clock is 40 days behind: its scan of a minute ago bears an id of 40 days
    ago, so erasure takes its identity at once — and its person out of today's set of
    people, a day that is not frozen: both keys the card brought (its number and its match
    key, by which a masked PC-Covid code of the person would be known); today's count and
    its other person stay."""
    from kiosk.central import erasure

    behind = dt.timedelta(days=40)
    minute_ago = at.now - dt.timedelta(minutes=1)
    with open_storage(db) as storage:
        (ontime,) = send(storage, [(1, "cccd", "in", minute_ago)], at.now)
        skewed = [wire_entry(payload_identity(2, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                             direction="in", scanned_at=minute_ago - behind)]
        results = storage.ingest_batch("k1", skewed, sent_at=protocol.format_time(at.now - behind),
                                       received_at=at.now, batch_id=uuid7())
        assert [r["status"] for r in results] == [protocol.ACCEPTED]
        derivation.catch_up(storage)  # as serve does in the background
        day = storage.calendar.day_of(minute_ago)
        held = "SELECT subject_key FROM day_subjects WHERE day = $1"
        assert {k for (k,) in storage._query(held, (day.isoformat(),))} == {
            ontime["subject_key"], ontime["match_key"],
            skewed[0]["subject_key"], skewed[0]["match_key"]}
        assert report(storage, day, at)["summary"]["people"] == 2

        assert erasure.erase_personal(storage, at.now.date() - dt.timedelta(days=30)) == 1
        assert {k for (k,) in storage._query(held, (day.isoformat(),))} == {
            ontime["subject_key"], ontime["match_key"]}
        assert report(storage, day, at)["summary"]["people"] == 2


@pytest.mark.parametrize("option", ["--personal-days", "--days"])
def test_a_document_is_joined_to_a_card_only_while_an_entry_held_says_so(
        db: str, option: str, at: Moments) -> None:
    """Tracing joins a manual entry's document number to the card scanned with it that day
    (``document_matches``, kept at ingest). Erasing identities or purging entries takes the
    join away with the last entry that made it, and not before: person 1's card was scanned
    on both sides of the cutoff on one local day, person 2's only before it."""
    edge = dt.datetime.combine(at.now.date() - dt.timedelta(days=30), dt.time(), dt.UTC)
    stored = ("SELECT subject_key, day, match_key FROM document_matches "
              "ORDER BY subject_key, day, match_key")
    held = ("SELECT DISTINCT subject_key, local_day, match_key FROM entries WHERE subject_key "
            "LIKE 'doc:%' AND match_key IS NOT NULL ORDER BY subject_key, local_day, match_key")
    with open_storage(db) as storage:
        before = send(storage, [(1, "cccd", "in", edge - dt.timedelta(minutes=10)),
                                (2, "cccd", "in", edge - dt.timedelta(minutes=20))],
                      edge - dt.timedelta(minutes=1))
        send(storage, [(1, "cccd", "out", edge + dt.timedelta(minutes=30)),
                       (2, "manual_doc", "in", edge + dt.timedelta(minutes=10))],
             edge + dt.timedelta(hours=1))
        day = storage.calendar.day_of(edge).isoformat()
        assert [tuple(r) for r in storage._query(stored)] == [
            (e["subject_key"], day, e["match_key"]) for e in before]
        source = StorageSource(storage)
        assert source.aliases(["doc:" + number(2)]) == {"doc:" + number(2):
                                                        before[1]["match_key"]}
    central("purge", option, "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        kept = [tuple(r) for r in storage._query(stored)]
        assert kept == [("doc:" + number(1), day, before[0]["match_key"])]
        assert kept == [tuple(r) for r in storage._query(held)]
        assert StorageSource(storage).aliases(["doc:" + number(2)]) == {}


def test_purge_takes_the_batch_log_of_purged_entries_and_keeps_every_held_entrys_offset(
        db: str, at: Moments) -> None:
    """The batch log (who sent what when, the clock offset then) grows with every upload;
    purge removes the records of batches whose entries it removed. A kiosk whose clock ran
    20 days ahead sent a scan 40 days ago: the centre filed it 40 days back, and the raw
    period counts from then, as the personal one does, so the scan goes with the others of
    its day although its id (that clock's) is of 20 days ago. Its batch's record stays:
    sent by that clock within the period, it may still be an entry's, and tracing and the
    stays widen their windows by its offset (the batch log's largest)."""
    ahead = dt.timedelta(days=20)
    recent = at.now - dt.timedelta(days=10)
    with open_storage(db) as storage:
        send(storage, [(1, "cccd", "in", at.old - dt.timedelta(hours=1))], at.old)
        fast = [wire_entry(payload_identity(2, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                           direction="in", scanned_at=at.old + ahead - dt.timedelta(hours=1))]
        storage.ingest_batch("k1", fast, sent_at=protocol.format_time(at.old + ahead),
                             received_at=at.old, batch_id=uuid7())
        send(storage, [(3, "cccd", "in", recent - dt.timedelta(hours=1))], recent)
        assert len(storage.batches()) == 3
    central("purge", "--days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        assert [(b["sent_at"], b["received_at"]) for b in storage.batches()] == [
            (protocol.format_time(at.old + ahead), protocol.format_time(at.old)),
            (protocol.format_time(recent), protocol.format_time(recent))]
        assert storage._query(LARGEST_CLOCK_OFFSET)[0][0] == ahead.total_seconds()
        assert rows(storage, "received_at < $1", (
            protocol.format_time(at.now - dt.timedelta(days=30)),)) == []
        assert storage._query("SELECT count(*) FROM stays WHERE first_id = $1 OR last_id = $1",
                              (fast[0]["id"],)) == [(0,)]


def test_a_retention_change_is_in_the_audit_log_and_a_longer_one_needs_a_reason(
        db: str) -> None:
    """Keeping identities longer (or for ever, 0) lifts the centre's main privacy safeguard:
    refused without --reason, nothing changed; with one, recorded before it takes effect.
    Before, no change of either period was in the audit log, and `--personal-days 0` needed
    no word of why."""
    central("retention", "--days", "90", "--personal-days", "30", "--reason", "decision 12",
            "--db", db)
    refused = central("retention", "--personal-days", "0", "--db", db, check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith(
        '--personal-days 0: keeps data longer than now (30; 0 is forever): add --reason "…" '
        "(written to the audit log); nothing changed")
    assert "30 ngày / 30 days" in central("retention", "--db", db).stdout
    central("retention", "--personal-days", "0", "--reason", "F0-9 điều tra kéo dài",
            "--db", db)
    central("retention", "--personal-days", "0", "--days", "90", "--db", db)  # as they are
    listed = central("audit", "list", "--kind", "retention", "--json", "--db", db).stdout
    assert [(r["subject"], r["reason"]) for r in json.loads(listed)] == [
        ("personal_retention_days 30 → 0", "F0-9 điều tra kéo dài"),
        ("retention_days 0 → 90; personal_retention_days 0 → 30", "decision 12")]
    # the Audit log page words each kind of record, this one too
    assert all(f"web.audit.kind.{kind}" in CATALOGUE for kind in audit.KINDS)


@pytest.mark.parametrize(("option", "now", "shorter"), [
    ("--personal-days", "30", "14"), ("--personal-days", "0", "30"),
    ("--days", "90", "60"), ("--days", "0", "90")])
def test_a_shorter_retention_needs_a_reason_and_is_recorded_before_it_takes_effect(
        db: str, option: str, now: str, shorter: str) -> None:
    """review41 P3: `retention --personal-days 14` under 30 (or any period under 0, for
    ever) needed no reason, and the next 06:00 purge erased identities still to be kept for
    16 more days, with no word of why. Now it is refused without --reason, by the rule a
    one-off `purge` period keeping less than its setting follows, nothing changed nor
    recorded; with one, the audit log holds the old and new value, the reason and who."""
    central("retention", option, now, "--reason", "decision 12", "--db", db)
    before = central("audit", "list", "--kind", "retention", "--json", "--db", db).stdout
    refused = central("retention", option, shorter, "--db", db, check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith(
        f"{option} {shorter}: keeps data less long than now ({now}; 0 is forever), and the "
        'daily purge then removes what is still kept: add --reason "…" (written to the audit '
        "log); nothing changed")
    assert f"{option} {shorter}: giữ dữ liệu ngắn hơn hiện nay ({now}; 0 là mãi mãi)" in (
        refused.stderr)
    shown = central("retention", "--db", db).stdout
    assert (f"{now} ngày / {now} days" if now != "0" else "mãi mãi / forever") in shown
    assert central("audit", "list", "--kind", "retention", "--json", "--db", db
                   ).stdout == before
    central("retention", option, shorter, "--reason", "Sở Y tế công văn 45", "--db", db)
    latest = json.loads(central("audit", "list", "--kind", "retention", "--json",
                                "--db", db).stdout)[0]
    setting = "personal_retention_days" if option == "--personal-days" else "retention_days"
    assert (latest["subject"], latest["reason"]) == (
        f"{setting} {now} → {shorter}", "Sở Y tế công văn 45")
    assert "@" in latest["actor"] and latest["channel"] == "cli"
    assert f"{shorter} ngày / {shorter} days" in central("retention", "--db", db).stdout


def on_engine(db: str, sqlite: str, function: str, trigger: str) -> None:
    """A trigger: ``sqlite`` on SQLite; on PostgreSQL the PL/pgSQL body ``function`` as
    ``probe()``, then ``trigger`` running it."""
    with open_storage(db) as storage, storage._transaction() as tx:
        if db.startswith("sqlite"):
            storage._execute(tx, sqlite)
        else:
            storage._execute(tx, "CREATE FUNCTION probe() RETURNS trigger LANGUAGE plpgsql "
                                 f"AS $$ BEGIN {function} END $$")
            storage._execute(tx, trigger)


def held(db: str) -> list[dict]:
    with open_storage(db) as storage:
        return rows(storage)


def named(db: str) -> list[str]:
    """The document numbers the entries still hold."""
    return [e["document_number"] for e in held(db) if e["document_number"]]


def purges(db: str) -> list[tuple[str, str, str | None]]:
    """The purge records, oldest first: (kind, subject, reason)."""
    with open_storage(db) as storage:
        return [(r.kind, r.subject, r.reason) for r in reversed(audit.records(storage))
                if r.kind in ("purge", "purge-done")]


def test_a_one_off_purge_shorter_than_the_setting_needs_a_reason_and_is_recorded_first(
        db: str, at: Moments) -> None:
    """`purge --personal-days 21` under a 30-day setting erases identities the setting says
    to keep: refused without --reason, nothing erased nor recorded; with one, written to
    the audit log (periods beside the settings, cutoffs, reason) before the first name goes
    — a trigger on the entries counts the purge records as each is erased — and what it
    erased after. Before, such a run needed no reason and left no trace at all."""
    central("retention", "--days", "90", "--personal-days", "30", "--reason", "decision 12",
            "--db", db)
    with open_storage(db) as storage:
        send(storage, [(1, "cccd", "in", at.now - dt.timedelta(days=25))], at.now)
        with storage._transaction() as tx:
            storage._execute(tx, "CREATE TABLE seen (purges INTEGER)")
    count = "INSERT INTO seen SELECT count(*) FROM audit_log WHERE kind = 'purge';"
    on_engine(db, f"CREATE TRIGGER probe AFTER UPDATE ON entries BEGIN {count} END",
              f"{count} RETURN NULL;",
              "CREATE TRIGGER probe AFTER UPDATE ON entries FOR EACH ROW "
              "EXECUTE FUNCTION probe()")
    refused = central("purge", "--personal-days", "21", "--db", db, check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith(
        "--personal-days 21: shorter than a retention setting (30; 0 is forever; removing an "
        'entry removes its identity too), it destroys data the setting keeps: add --reason "…" '
        "(written to the audit log); nothing removed")
    assert named(db) == [number(1)] and purges(db) == []
    central("purge", "--personal-days", "21", "--reason", "F0-9 yêu cầu", "--db", db)
    assert named(db) == []
    with open_storage(db) as storage:
        assert storage._query("SELECT DISTINCT purges FROM seen") == [(1,)]
        seq = audit.records(storage, kind="purge")[0].seq
    raw, personal = (at.now.date() - dt.timedelta(days=n) for n in (90, 21))
    unit = "entries" if db.startswith("sqlite") else "partitions"
    assert purges(db) == [
        ("purge", f"retention_days 90 (setting): before {raw}; personal_retention_days 21 "
                  f"(setting 30): before {personal}", "F0-9 yêu cầu"),
        ("purge-done", f"#{seq}: retention_days: 0 {unit} before {raw} removed, 0 batch "
                       f"records; personal_retention_days: 1 entries before {personal} "
                       "erased", None)]


@pytest.mark.parametrize(("settings", "options"), [
    (("--personal-days", "0"), ("--personal-days", "14")),
    (("--days", "0"), ("--days", "14"))], ids=["held-for-ever", "raw-under-personal"])
def test_a_one_off_purge_undercutting_for_ever_or_the_personal_period_needs_a_reason(
        db: str, settings: tuple[str, str], options: tuple[str, str], at: Moments) -> None:
    """review41 P1: identities held for ever (`retention --personal-days 0 --reason "legal
    hold"`) were read as "none set", and `purge --personal-days 14` erased them with no
    reason. P2: with the raw setting 0 and identities kept 30 days, `purge --days 14`
    removed 20-day-old entries, identities and all, with no reason (only the raw setting was
    compared). 0 is for ever, set or not, so both keep less than their setting and are now
    refused without a reason, nothing removed, erased or recorded; with one they act and the
    `purge` record holds it."""
    central("retention", "--personal-days", "30", "--reason", "decision 12", "--db", db)
    central("retention", *settings, "--reason", "legal hold case 17", "--db", db)
    with open_storage(db) as storage:
        scanned = at.now - dt.timedelta(days=20)
        send(storage, [(1, "cccd", "in", scanned)], scanned)
    before = held(db)
    refused = central("purge", *options, "--db", db, check=False)
    assert refused.returncode == 2, refused
    assert f"{' '.join(options)}: shorter than a retention setting (0; 0 is forever" in (
        refused.stderr)
    assert held(db) == before and named(db) == [number(1)] and purges(db) == []
    central("purge", *options, "--reason", "court order 5", "--db", db)
    assert named(db) == []
    (first, done) = purges(db)
    assert first[0] == "purge" and first[2] == "court order 5" and done[0] == "purge-done"


def test_a_purge_by_the_settings_is_recorded_with_what_it_erased(db: str, at: Moments) -> None:
    """The daily run (`purge`, no option) needs no reason and still works; its periods go
    to the audit log first and its counts after. A one-off period where the raw setting is
    0 (for ever, here the default) keeps less than it: it needs a reason, recorded the same
    with it."""
    with open_storage(db) as storage:
        send(storage, [(1, "cccd", "in", at.old), (2, "cccd", "in", at.old)], at.old)
    central("retention", "--personal-days", "30", "--reason", "decision 12", "--db", db)
    assert "(2 entries)" in central("purge", "--db", db).stdout
    assert held(db) and named(db) == []
    central("purge", "--days", "14", "--reason", "test: a one-off period", "--db", db)
    assert held(db) == []
    cut, raw = (at.now.date() - dt.timedelta(days=n) for n in (30, 14))
    (first, erased, second, removed) = purges(db)
    assert [first, erased, second] == [
        ("purge", "retention_days 0 (setting): kept; personal_retention_days 30 "
                  f"(setting): before {cut}", None),
        ("purge-done", f"#{first_seq(db)}: personal_retention_days: 2 entries before {cut} "
                       "erased", None),
        ("purge", f"retention_days 14 (setting 0): before {raw}; personal_retention_days 30 "
                  f"(setting): before {cut}", "test: a one-off period")]
    assert removed[0] == "purge-done" and f"before {raw} removed" in removed[1]
    assert f"personal_retention_days: 0 entries before {cut} erased" in removed[1]


def first_seq(db: str) -> int:
    with open_storage(db) as storage:
        return audit.records(storage, kind="purge")[-1].seq


def test_a_purge_whose_audit_record_cannot_be_written_does_nothing(db: str, at: Moments) -> None:
    """The audit log refuses every new record (a trigger raising, as a full disk or a
    revoked grant would): the purge stops before removing or erasing anything, the daily
    run as a one-off one. Before, neither wrote to the log, and both acted."""
    central("retention", "--days", "30", "--personal-days", "30", "--reason", "decision 12",
            "--db", db)
    with open_storage(db) as storage:
        send(storage, [(1, "cccd", "in", at.old)], at.old)
    before = held(db)
    on_engine(db, "CREATE TRIGGER probe BEFORE INSERT ON audit_log BEGIN "
                  "SELECT RAISE(ABORT, 'audit log unwritable'); END",
              "RAISE EXCEPTION 'audit log unwritable';",
              "CREATE TRIGGER probe BEFORE INSERT ON audit_log FOR EACH ROW "
              "EXECUTE FUNCTION probe()")
    for options in ((), ("--personal-days", "14", "--reason", "F0-9 yêu cầu")):
        failed = central("purge", *options, "--db", db, check=False)
        assert failed.returncode != 0 and "Traceback" not in failed.stderr, failed
        assert held(db) == before


def test_a_purge_whose_erasure_fails_still_records_what_it_removed(db: str, at: Moments) -> None:
    """review41 P4: the raw purge removed an entry, then the erasure failed (a trigger on
    the entries refusing every update, as a lost connection or a full disk would). No
    `purge-done` was written, and how much went was known only from stdout. Now it is
    written, with the removal and the failure."""
    central("retention", "--days", "30", "--personal-days", "30", "--reason", "decision 12",
            "--db", db)
    with open_storage(db) as storage:
        send(storage, [(1, "cccd", "in", at.old)], at.old)
        young = at.now - dt.timedelta(days=20)
        send(storage, [(2, "cccd", "in", young)], young)
    on_engine(db, "CREATE TRIGGER probe BEFORE UPDATE ON entries BEGIN "
                  "SELECT RAISE(ABORT, 'entries unwritable'); END",
              "RAISE EXCEPTION 'entries unwritable';",
              "CREATE TRIGGER probe BEFORE UPDATE ON entries FOR EACH ROW "
              "EXECUTE FUNCTION probe()")
    failed = central("purge", "--personal-days", "14", "--reason", "F0-9 yêu cầu", "--db", db,
                     check=False)
    assert failed.returncode != 0, failed
    assert named(db) == [number(2)]  # the old entry removed, the young one not erased
    (first, done) = purges(db)
    assert first[0] == "purge" and done[0] == "purge-done"
    assert "retention_days: 1 " in done[1] and "failed: " in done[1], done
    assert "personal_retention_days:" not in done[1] and "Traceback" not in failed.stderr


def test_a_kiosk_clock_a_year_ahead_keeps_no_name_past_the_personal_period(
        db: str, at: Moments) -> None:
    """Someone set the kiosk's clock a year ahead (the wrong year typed). Forty days ago it
    scanned person 1 and uploaded the scan at once. The centre measured the offset (−365
    days), filed the scan under its true day, 40 days back, and received it then. With a
    30-day personal period the scan's name and document number must go, as every other
    scan of that day loses them. Erasure picks entries by id, and the id comes from the
    kiosk's clock a year ahead. So the identity stays about eleven months past the period,
    for every person this kiosk scanned while its clock was wrong."""
    ahead = dt.timedelta(days=365)
    entry = wire_entry(payload_identity(1, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                       direction="in", scanned_at=at.old + ahead)
    with open_storage(db) as storage:
        results = storage.ingest_batch("k1", [entry], sent_at=protocol.format_time(at.old + ahead),
                                       received_at=at.old, batch_id=uuid7())
        assert [r["status"] for r in results] == [protocol.ACCEPTED]
        derivation.catch_up(storage)
        [held] = rows(storage)
        assert held["local_day"] == storage.calendar.day_of(at.old).isoformat()
    central("purge", "--personal-days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        [held] = rows(storage)
        assert (held["subject_key"], held["name"], held["document_number"]) == (
            "erased", None, None)


def test_a_kiosk_clock_ahead_leaves_no_stay_or_identity_past_the_personal_period(
        db: str, at: Moments) -> None:
    """What tracing keeps of a scan (its stay, and the name and document number the stay's
    scans said) goes with the scan's identity, by the day the scan is filed, whatever the
    id made by a clock a year ahead says; a scan of a right clock since stays whole."""
    ahead = dt.timedelta(days=365)
    entry = wire_entry(payload_identity(1, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                       direction="in", scanned_at=at.old + ahead)
    with open_storage(db) as storage:
        storage.ingest_batch("k1", [entry], sent_at=protocol.format_time(at.old + ahead),
                             received_at=at.old, batch_id=uuid7())
        send(storage, [(2, "cccd", "in", at.now - dt.timedelta(hours=1))], at.now)
        said = storage._query("SELECT document_number FROM identities ORDER BY 1")
        assert said == [(number(1),), (number(2),)]
    central("purge", "--personal-days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        assert storage._query("SELECT document_number FROM identities") == [(number(2),)]
        assert storage._query("SELECT count(*) FROM stays WHERE first_id = $1 OR last_id = $1",
                              (entry["id"],)) == [(0,)]
        assert [r["subject_key"] == "erased" for r in rows(storage)] == [False, True]  # by id


def test_a_kiosk_whose_clock_was_set_back_while_it_ran_keeps_no_name_past_the_periods(
        db: str, at: Moments) -> None:
    """Forty days ago a kiosk whose clock had run a year ahead was set right while `kiosk
    run` kept running: the uuid7 of kiosks older than kiosk.ids.BACK_STEP_MS kept making
    ids a year ahead, its scans' times and its batch's offset right (so not among the
    skewed). The 30-day personal period takes their names, stays and identities all the
    same, and the raw period the entries. Before, the erasure (by id day) left them for
    eleven more months, and so did SQLite's purge."""
    entries = [wire_entry(payload_identity(1, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                          direction=direction, scanned_at=at.old + dt.timedelta(hours=hour))
               for hour, direction in ((0, "in"), (1, "out"))]
    for hour, entry in enumerate(entries):  # made after the clock was set right
        entry["id"] = uuid7_at(at.old + dt.timedelta(days=365, hours=hour))  # a year ahead
    with open_storage(db) as storage:
        results = storage.ingest_batch("k1", entries, sent_at=protocol.format_time(at.old),
                                       received_at=at.old, batch_id=uuid7())
        assert [r["status"] for r in results] == [protocol.ACCEPTED] * 2
        derivation.catch_up(storage)
        assert storage._query("SELECT count(*) FROM stays") == [(1,)]
    central("purge", "--personal-days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        assert [(r["subject_key"], r["name"], r["document_number"]) for r in rows(storage)] == [
            ("erased", None, None)] * 2
        assert [storage._query(f"SELECT count(*) FROM {table}")[0][0] for table in (
            "stays", "stay_tails", "identities", "document_matches", "day_subjects")] == [0] * 5
    central("purge", "--days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        assert storage.entry_count() == 0
        assert storage._query("SELECT count(*) FROM entries_id_off") == [(0,)]


def test_a_trace_the_nightly_erasure_overtakes_is_made_again_and_names_nobody_erased(
        db: str, monkeypatch: pytest.MonkeyPatch, at: Moments) -> None:
    """A trace has read the stays kept near its visits when the 06:00 purge erases their
    scans, their stays and the identities those said. Before, reading what the scans said
    then raised KeyError (a 500 for the page, a traceback for the command); now the trace
    is made again as the erasure left the data: nobody erased is named."""
    with open_storage(db) as storage:
        send(storage, [(1, "cccd", "in", at.old),
                       (2, "cccd", "in", at.old + dt.timedelta(minutes=5)),
                       (1, "cccd", "out", at.old + dt.timedelta(hours=1)),
                       (2, "cccd", "out", at.old + dt.timedelta(hours=1, minutes=10))],
             at.old + dt.timedelta(hours=2))  # received after its last scan
        read = StorageSource.kept_stays
        overtaken = []

        def kept_stays_then_erased(source: StorageSource, *args, **kwargs):
            rows = read(source, *args, **kwargs)
            if not overtaken:  # the purge of that night, once
                overtaken.append(central("purge", "--personal-days", "30",
                                         "--reason", "test: a one-off period", "--db", db))
            return rows
        monkeypatch.setattr(StorageSource, "kept_stays", kept_stays_then_erased)
        answer = trace(storage, at)
        assert overtaken and rows(storage)[0]["subject_key"] == "erased"
        assert (answer["visits"], answer["contacts"]) == ([], [])
        assert answer["data_begins"] == (at.now.date() - dt.timedelta(days=29)).isoformat()


AHEAD = dt.timedelta(days=365)
"""How far k1's clock ran ahead in :func:`scanned_by_a_clock_ahead_and_by_one_right`."""


def scanned_by_a_clock_ahead_and_by_one_right(storage, at: Moments) -> None:
    """Person 1 scanned forty days ago at CP-CHO by k1, whose clock ran a year ahead (the
    batch sent by that clock, received at ``at.old``: offset measured, filed 40 days back), and at
    CP-B by k2, whose clock was right; both stored and derived."""
    fast = wire_entry(payload_identity(1, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                      direction="in", scanned_at=at.old + AHEAD)
    right = wire_entry(payload_identity(1, "cccd"), checkpoint="CP-B", kiosk="k2",
                       direction="in", scanned_at=at.old)
    storage.ingest_batch("k1", [fast], sent_at=protocol.format_time(at.old + AHEAD),
                         received_at=at.old, batch_id=uuid7())
    storage.ingest_batch("k2", [right], sent_at=protocol.format_time(at.old),
                         received_at=at.old, batch_id=uuid7())
    derivation.catch_up(storage)


@pytest.mark.parametrize("option", ["--personal-days", "--days"])
def test_a_name_said_also_by_a_kiosk_clock_ahead_goes_with_the_period(
        db: str, option: str, at: Moments) -> None:
    """Forty days ago person 1 was scanned at CP-CHO by k1, whose clock ran a year ahead
    (offset measured, filed 40 days back), and at CP-B by k2, whose clock was right. Both
    scans said the same name and number: one row of ``identities``, its ``last_day`` the
    day of k1's id, a year ahead. After the period both scans lose who they were, and so
    must that row. The purge forgets k1's scan first (``stays.forget_scans``): the row is
    kept, CP-B's stay still holds it. Then the stays of ids before the cutoff go
    (``stays.forget_before``), CP-B's with them, and the identities whose ``last_day`` is
    before the cutoff: not this one. The name and document number stay in ``identities``,
    held by no stay, for eleven months."""
    with open_storage(db) as storage:
        scanned_by_a_clock_ahead_and_by_one_right(storage, at)
        assert storage._query("SELECT count(*) FROM stays") == [(2,)]
        assert storage._query("SELECT document_number FROM identities") == [(number(1),)]
    central("purge", option, "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        assert storage._query("SELECT count(*) FROM stays") == [(0,)]
        assert storage._query("SELECT document_number FROM identities") == []


@pytest.mark.parametrize("option", ["--personal-days", "--days"])
def test_a_v23_database_lets_a_name_said_by_a_kiosk_clock_ahead_go_with_the_period(
        db: str, option: str, at: Moments) -> None:
    """The case above, stored by the release before identities went by the earlier of the
    id's day and the filed day (v23): that release wrote ``last_day`` as the UTC day of the
    newest scan's id, here k1's, a year ahead. Upgrading (to v24) must not keep that day:
    after the period the name and document number go, as for rows written since."""
    with open_storage(db) as storage:
        scanned_by_a_clock_ahead_and_by_one_right(storage, at)
        with storage._transaction() as tx:  # as v23 left it
            storage._execute(tx, "UPDATE identities SET last_day = $1",
                             ((at.old + AHEAD).date().isoformat(),))  # the fast id's UTC day
            undo_after_v48(storage, tx)  # v54, v49
            undo_report_kept(storage, tx)  # v46
            undo_batches_seen(storage, tx)  # v43
            undo_late(storage, tx)  # v38
            undo_duplicates(storage, tx)  # v31
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_degree")  # v29
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN disclosed")  # v42
            storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_contacts")
            storage._execute(tx, "ALTER TABLE kiosk_health DROP COLUMN uploads_paused")  # v27
            storage._execute(tx, "ALTER TABLE batches DROP COLUMN past_retention")  # v26
            storage._execute(tx, "DROP INDEX batches_least_offset")  # v25
            storage._execute(tx, "ALTER TABLE batches DROP COLUMN least_offset_seconds")
            storage._execute(tx, "DROP INDEX batches_entry_offset")
            storage._execute(tx, "ALTER TABLE batches DROP COLUMN entry_offset_seconds")
            if db.startswith("postgresql"):
                storage._execute(tx, "UPDATE central_meta SET value = '23' "
                                     "WHERE key = 'schema_version'")
            else:
                storage._execute(tx, "PRAGMA user_version = 23")
    with open_storage(db) as storage:  # migrated to v24
        assert storage._query("SELECT document_number FROM identities") == [(number(1),)]
    central("purge", option, "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        assert storage._query("SELECT count(*) FROM stays") == [(0,)]
        assert storage._query("SELECT document_number FROM identities") == []


EPOCH = dt.datetime(1970, 1, 1, 0, 5, tzinfo=dt.UTC)
"""Where a kiosk whose RTC lost power starts its clock."""


def scanned_at_1970_ahead_and_today(storage, at: Moments) -> dict[str, dict]:
    """Three kiosks at CP-CHO. k1 booted at 1970 and scanned person 1 an hour before it sent
    the scan, its clock set by then (same boot: filed now by its age, offset +56 years). k2,
    its clock 15 days ahead, scanned person 2 forty days ago and sent at once (offset −15
    days: filed 40 days back, id of 25 days ago). k3, 10 minutes ahead, scanned person 3 now
    (skewed, filed today)."""
    at_1970 = wire_entry(payload_identity(1, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                         direction="in", scanned_at=EPOCH)
    storage.ingest_batch("k1", [at_1970], sent_at=protocol.format_time(at.now), received_at=at.now,
                         batch_id=uuid7(), sent_monotonic_ns=1 + 3600 * 10**9, boot_id="boot-1")
    fast = wire_entry(payload_identity(2, "cccd"), checkpoint="CP-CHO", kiosk="k2",
                      direction="in", scanned_at=at.old + FIFTEEN_DAYS)
    storage.ingest_batch("k2", [fast], sent_at=protocol.format_time(at.old + FIFTEEN_DAYS),
                         received_at=at.old, batch_id=uuid7())
    today = wire_entry(payload_identity(3, "cccd"), checkpoint="CP-CHO", kiosk="k3",
                       direction="in", scanned_at=at.now)
    storage.ingest_batch("k3", [today], received_at=at.now, batch_id=uuid7(),
                         sent_at=protocol.format_time(at.now + dt.timedelta(minutes=10)))
    derivation.catch_up(storage)
    offsets = {row[0]: row[1] for row in storage._query(
        "SELECT id, clock_offset_seconds FROM entries")}
    assert offsets[at_1970["id"]] > 50 * 365 * 86400  # timed by its age
    assert offsets[fast["id"]] == -FIFTEEN_DAYS.total_seconds()
    return {"at_1970": at_1970, "fast": fast, "today": today}


FIFTEEN_DAYS = dt.timedelta(days=15)


@pytest.mark.parametrize("purge", [False, True])
def test_a_scan_timed_at_1970_does_not_widen_what_purge_and_erasure_read_past_the_cutoff(
        db: str, purge: bool, at: Moments) -> None:
    """Only a clock ahead files a scan on a day before its id's: purge and erasure look past
    their cutoff as far as the clock furthest ahead ran (k2, 15 days), and two days more
    (an id is within a day of its scan, a local day ends up to a day after its UTC day).
    The 1970 scan's +56 years, a clock behind, widened that read to every skewed scan held:
    ids up to 56 years past the cutoff, days back to 1970 — on PostgreSQL every partition
    since the cutoff, today's too."""
    with open_storage(db) as storage:
        scans = scanned_at_1970_ahead_and_today(storage, at)
        cutoff = at.now.date() - dt.timedelta(days=30)
        assert [row[0] for row in storage.filed_before(cutoff, purge=purge)] == [
            scans["fast"]["id"]]
        sql, params = storage._filed_before_read(cutoff, purge=purge)
        start = dt.datetime.combine(cutoff, dt.time(), dt.UTC)
        reach = FIFTEEN_DAYS + dt.timedelta(days=2)
        first_day, high = params[0], params[3]
        assert first_day == storage.calendar.day_of(start - reach).isoformat()
        assert high == id_prefix(start + reach) < scans["today"]["id"]
        if storage.postgresql:
            plan = "\n".join(row[0] for row in storage._query("EXPLAIN " + sql, params))
            fast_day = id_days.day_of_id(scans["fast"]["id"])
            assert f"entries_p{fast_day:%Y%m%d}" in plan, plan
            assert f"entries_p{at.now:%Y%m%d}" not in plan, plan
    central("purge", "--days" if purge else "--personal-days", "30",
            "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        held = {row["id"]: row["subject_key"] for row in rows(storage)}
        assert held.get(scans["fast"]["id"]) == (None if purge else "erased")
        assert held[scans["today"]["id"]] == payload_identity(3, "cccd").subject_key


@pytest.mark.parametrize("migrated", [False, True])
def test_a_scan_ahead_sent_with_one_timed_at_1970_still_goes_with_the_period(
        db: str, migrated: bool, at: Moments) -> None:
    """k1 booted at 1970 41 days ago and scanned person 1; then someone set its clock 15 days
    ahead and it scanned person 2 a day later; today, its clock right, it sent both in that
    boot. Both are timed by their age: person 2's scan is filed 40 days back (offset −15
    days), its id of 25 days ago. The batch log's entry offset is the largest either way,
    the 1970 scan's +56 years, which hides the −15 days; the least offset the log keeps
    (v25) says it, and a database that reaches v25 finds it in the batch's entries. With a
    30-day personal period person 2's name goes."""
    boot = dt.timedelta(days=41)
    at_1970 = wire_entry(payload_identity(1, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                         direction="in", scanned_at=EPOCH)
    fast = wire_entry(payload_identity(2, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                      direction="in",
                      scanned_at=at.now - boot + dt.timedelta(days=1) + FIFTEEN_DAYS)
    fast["monotonic_ns"] = 1 + 86400 * 10**9  # a day into the boot
    with open_storage(db) as storage:
        results = storage.ingest_batch(
            "k1", [at_1970, fast], sent_at=protocol.format_time(at.now), received_at=at.now,
            batch_id=uuid7(), sent_monotonic_ns=1 + int(boot.total_seconds()) * 10**9,
            boot_id="boot-1")
        assert [r["status"] for r in results] == [protocol.ACCEPTED] * 2
        derivation.catch_up(storage)
        [log] = storage.batches()
        assert log["entry_offset_seconds"] > 50 * 365 * 86400
        if migrated:  # as v24 left it
            with storage._transaction() as tx:
                undo_after_v48(storage, tx)  # v54, v49
                undo_report_kept(storage, tx)  # v46
                undo_batches_seen(storage, tx)  # v43
                undo_late(storage, tx)  # v38
                undo_duplicates(storage, tx)  # v31
                storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_degree")  # v29
                storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN disclosed")  # v42
                storage._execute(tx, "ALTER TABLE audit_log DROP COLUMN second_contacts")
                storage._execute(tx, "ALTER TABLE kiosk_health DROP COLUMN uploads_paused")  # v27
                storage._execute(tx, "ALTER TABLE batches DROP COLUMN past_retention")
                storage._execute(tx, "DROP INDEX batches_least_offset")
                storage._execute(tx, "ALTER TABLE batches DROP COLUMN least_offset_seconds")
                if storage.postgresql:
                    storage._execute(tx, "UPDATE central_meta SET value = '24' "
                                         "WHERE key = 'schema_version'")
                else:
                    storage._execute(tx, "PRAGMA user_version = 24")
    with open_storage(db) as storage:
        assert storage._query(LEAST_CLOCK_OFFSET)[0][0] == -FIFTEEN_DAYS.total_seconds()
    central("purge", "--personal-days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        held = {row["id"]: row["subject_key"] for row in rows(storage)}
        assert held[fast["id"]] == "erased"


def erase_with_a_batch_open(storage, other, scan: tuple[int, str, str, dt.datetime],
                            received: dt.datetime, before: dt.date) -> tuple[dict, int]:
    """Erase identities before ``before`` while the step deriving a batch storing ``scan``
    (received at ``received``; the batch acknowledged) is open — at its person's stays
    lock, held by ``other`` until erasure waits for the step; the batch's entry and how many
    erasure erased. Erasure runs as ``kiosk-central purge`` does, in a process of its own
    (its own storage: a process's threads take turns before the lock)."""
    import concurrent.futures
    import time

    from kiosk.central import erasure

    with steps_held_at_stays(other), open_storage(storage.url) as command, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:
        batch = pool.submit(send, storage, [scan], received)
        while not other.execute("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                                "AND NOT granted").fetchone():
            time.sleep(0.05)  # the batch's entry is stored, its step open
        erasing = pool.submit(erasure.erase_personal, command, before)
        # the event meant: erasure waiting on a lock (an erasure that does not wait ends,
        # and says so); the deadline only ends a hang, far beyond a start under load (10 s
        # was missed by 0.04 s at load 8 on 2 cores)
        deadline = time.monotonic() + 120
        while other.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[0] < 2:
            assert not erasing.done(), "erasure did not wait for the open step"
            assert time.monotonic() < deadline, "erasure never waited for the step"
            time.sleep(0.05)
        other.execute("SELECT pg_advisory_unlock_all()")
        (entry,) = batch.result(timeout=30)
        return entry, erasing.result(timeout=30)


def test_a_batch_storing_a_documents_scan_during_erasure_keeps_its_join(
        tmp_path: Path, at: Moments) -> None:
    """PostgreSQL, where batches are stored while erasure runs: a batch stores a scan of
    person 1's card the same local day as one being erased, and the step deriving it is
    still open (held where it keeps stays) when erasure starts. Erasure
    waits for it, so the document's join to the card stays while the batch's entry says
    so."""
    import psycopg

    db = database_url("postgresql", tmp_path)
    edge = dt.datetime.combine(at.now.date() - dt.timedelta(days=30), dt.time(), dt.UTC)
    with open_storage(db) as storage, psycopg.connect(db, autocommit=True) as other:
        send(storage, [(1, "cccd", "in", edge - dt.timedelta(minutes=10))],
             edge - dt.timedelta(minutes=1))
        kept, erased = erase_with_a_batch_open(
            storage, other, (1, "cccd", "out", edge + dt.timedelta(minutes=30)),
            edge + dt.timedelta(hours=1), edge.date())
        assert erased == 1
        assert [tuple(r) for r in storage._query(
            "SELECT subject_key, match_key FROM document_matches")] == [
            (kept["subject_key"], kept["match_key"])]
        assert [e["id"] for e in rows(storage, "match_key IS NOT NULL")] == [kept["id"]]


def test_a_late_scan_erased_while_it_was_being_stored_leaves_no_stay_or_pair(
        tmp_path: Path, at: Moments) -> None:
    """PostgreSQL: a batch stores person 2's card scanned before the cutoff (late) as
    erasure starts, and the step deriving it is still open (held where it keeps
    stays); erasure waits for it and erases the scan. Its stay, its tail and its pair
    in its day's set of people, written as the step ended, go too: nothing names it
    afterwards."""
    import psycopg

    from kiosk.central import stays

    db = database_url("postgresql", tmp_path)
    edge = dt.datetime.combine(at.now.date() - dt.timedelta(days=30), dt.time(), dt.UTC)
    with open_storage(db) as storage, psycopg.connect(db, autocommit=True) as other:
        send(storage, [(1, "cccd", "in", edge - dt.timedelta(minutes=20)),
                       (3, "cccd", "in", edge - dt.timedelta(minutes=5))],
             edge - dt.timedelta(minutes=1))
        _, erased = erase_with_a_batch_open(
            storage, other, (2, "cccd", "in", edge - dt.timedelta(minutes=10)), at.now,
            edge.date())
        assert erased == 3
        assert {e["subject_key"] for e in rows(storage)} == {"erased"}
        assert storage._query("SELECT person FROM stays UNION ALL "
                              f"SELECT person FROM {stays.TAILS}") == []
        assert storage._query("SELECT day, subject_key FROM day_subjects") == []


def test_an_entry_claiming_to_be_erased_already_is_refused(db: str, at: Moments) -> None:
    """``erased`` is the subject key the centre gives an entry whose identity it erased: an
    entry sent with it (a kiosk token in the wrong hands, or a broken kiosk) is refused
    naming the field, alone in its batch. Stored, it carried a name and a document number
    that erasure never erased (it skips what is erased already) and that its stay still
    named to traces."""
    with open_storage(db) as storage:
        entries = [wire_entry(payload_identity(person, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                              direction="in", scanned_at=at.old) for person in (1, 2)]
        entries[0] = {**entries[0], "subject_key": "erased"}
        results = storage.ingest_batch("k1", entries, sent_at=protocol.format_time(at.old),
                                       received_at=at.old, batch_id=uuid7())
        assert [r["status"] for r in results] == [protocol.REJECTED, protocol.ACCEPTED]
        assert (results[0]["code"], results[0]["reason"]) == (
            "reserved", 'subject_key: "erased" is the key of an entry whose identity the '
                        'centre erased, not one a kiosk sends')
        assert [e["id"] for e in storage.entries()] == [entries[1]["id"]]
    central("purge", "--personal-days", "30", "--reason", "test: a one-off period", "--db", db)
    with open_storage(db) as storage:
        assert storage._query("SELECT name, document_number FROM entries WHERE name IS NOT "
                              "NULL OR document_number IS NOT NULL") == []
        assert storage._query("SELECT count(*) FROM identities") == [(0,)]


def test_a_retention_longer_than_the_calendar_is_refused_not_kept_to_fail_every_purge(
        db: str) -> None:
    """A period with a few digits too many (99999999 days reaches back past year 1) is
    refused naming the option, as a too short one is: kept, it made every daily purge fail
    with a traceback, and nothing was purged or erased again until someone noticed."""
    for command in ("retention", "purge"):
        for option in ("--days", "--personal-days"):
            refused = central(command, option, "99999999", "--db", db, check=False)
            assert refused.returncode == 2, refused.stderr
            assert refused.stderr.strip().endswith(
                f"{option} 99999999: at most 36525 days (0 keeps everything)")
    assert "mãi mãi / forever" in central("retention", "--db", db).stdout
    assert central("retention", "--days", "36525", "--reason", "decision 12", "--db", db
                   ).returncode == 0
    assert central("purge", "--db", db).returncode == 0


def test_a_step_reading_a_tail_as_erasure_forgets_it_leaves_no_stay_of_an_erased_scan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: Moments) -> None:
    """PostgreSQL: person 1 came in 10 minutes before the erasure's cutoff and went out 20
    minutes after it; the exit arrives after erasure's walk, and serve's step deriving it
    has read person 1's tail (the erased entry) when erasure forgets the stays and tails of
    the erased days. Erasure waits for that step, so the stay it made of the erased entry
    and the exit goes too: no stay names person 1 before the cutoff. (Not waiting, the step
    committed after and the stay stayed, tying the person to the erased visit.)"""
    import concurrent.futures

    from kiosk.central import erasure, id_days, stays

    db = database_url("postgresql", tmp_path)
    edge = dt.datetime.combine(at.now.date() - dt.timedelta(days=30), dt.time(), dt.UTC)
    tails, forget = stays._tails, stays.forget_before
    read, release = threading.Event(), threading.Event()

    def tails_then_hold(storage, tx, groups):
        found = tails(storage, tx, groups)
        if not read.is_set():
            read.set()
            assert release.wait(30)
        return found

    with open_storage(db) as storage, open_storage(db) as serve, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:

        def exit_arrives_as_erasure_forgets(storage, before: dt.date, exclude) -> int:
            exit_ = wire_entry(payload_identity(1, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                               direction="out", scanned_at=edge + dt.timedelta(minutes=20))
            serve.ingest_batch("k1", [exit_], sent_at=protocol.format_time(at.now),
                               received_at=at.now, batch_id=uuid7())
            step = pool.submit(derivation.catch_up, serve)
            assert read.wait(30), "the step never read the tail"
            forgetting = pool.submit(forget, storage, before, exclude)
            concurrent.futures.wait([forgetting], timeout=1)  # it waits for the step
            release.set()
            assert step.result(timeout=30) == 1
            return forgetting.result(timeout=30)

        send(storage, [(1, "cccd", "in", edge - dt.timedelta(minutes=10))],
             edge - dt.timedelta(minutes=1))
        monkeypatch.setattr(stays, "_tails", tails_then_hold)
        monkeypatch.setattr(stays, "forget_before", exit_arrives_as_erasure_forgets)
        assert erasure.erase_personal(storage, edge.date()) == 1
        cutoff = id_days.bounds(edge.date())[0]
        assert storage._query("SELECT person, first_id FROM stays WHERE oldest_id < $1",
                              (cutoff,)) == []
        assert storage._query(f"SELECT person FROM {stays.TAILS} WHERE last_id < $1 "
                              "OR kept_id < $1", (cutoff,)) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_scan_timed_at_1970_filed_today_arriving_after_an_erasure_is_counted_and_traced(
        engine: str, tmp_path: Path, at: Moments) -> None:
    """k1 booted at 1970 (a flat RTC battery) and scanned person 1 an hour before it sent
    the scan, its clock set by then: filed now by its age, its id of 1970, before any
    erasure's cut. Arriving after a nightly erasure it is counted in today's people and a
    trace finds it, as when it arrived before that erasure (review40 G2: it was stored
    without its identity, counted as nobody, whatever day it is filed on). Only what is
    filed in the erased period loses its identity at arrival; this one goes by its id day
    at the next run, as one that arrived before the erasure (docs/architecture.md)."""
    counted = {}
    for order in ("erasure first", "scan first"):
        (tmp_path / order).mkdir()
        with open_storage(database_url(engine, tmp_path / order)) as storage:
            send(storage, [(2, "cccd", "in", at.old)], at.old)
            if order == "erasure first":
                erasure.erase_personal(storage, at.now.date() - dt.timedelta(days=30))
                assert storage.optional_setting("personal_erased_before") is not None
            at_1970 = wire_entry(payload_identity(1, "cccd"), checkpoint="CP-CHO",
                                 kiosk="k1", direction="in", scanned_at=EPOCH)
            results = storage.ingest_batch(
                "k1", [at_1970], sent_at=protocol.format_time(at.now), received_at=at.now,
                batch_id=uuid7(), sent_monotonic_ns=1 + 3600 * 10**9, boot_id="boot-1")
            assert [r["status"] for r in results] == [protocol.ACCEPTED]
            derivation.catch_up(storage)
            if order == "scan first":
                erasure.erase_personal(storage, at.now.date() - dt.timedelta(days=30))
            (row,) = rows(storage, "id = $1", (at_1970["id"],))
            filed = storage.calendar.day_of(at.now - dt.timedelta(hours=1)).isoformat()
            assert row["local_day"] == filed
            counted[order] = people.per_day(storage, filed, filed)
            if order == "erasure first":
                assert row["subject_key"] == payload_identity(1, "cccd").subject_key
                assert [v["entered_at"][:10] for v in trace(storage, at)["visits"]] == [filed]
                # the next run takes it by its id's day, as it took the one sent before it
                erasure.erase_personal(storage, at.now.date() - dt.timedelta(days=30))
                (row,) = rows(storage, "id = $1", (at_1970["id"],))
                assert row["subject_key"] == "erased"
                assert people.per_day(storage, filed, filed) == counted[order]
    assert counted == {"erasure first": {filed: 1}, "scan first": {filed: 1}}


def test_a_scan_filed_before_the_cut_by_a_clock_behind_is_kept_at_arrival_as_by_the_walk(
        db: str, at: Moments) -> None:
    """West of UTC (São Paulo, UTC−3) a local day ends after its UTC day: k1, its clock 10
    minutes behind, scanned person 1 at 00:30 UTC on the cut's day, 21:30 local the day
    before — filed before the cut, its id (00:20 by k1's clock) after it. The erasure's walk
    takes ids before the cut and, of those after it, the scans of a clock AHEAD filed
    before it (Storage.filed_before): it keeps this one, on time like its neighbours of
    that evening. Arriving after the erasure it is kept too — it was stored without its
    identity (its offset was taken either way), which the next run would not have done."""
    before = at.now.date() - dt.timedelta(days=30)
    stamped = dt.datetime.combine(before, dt.time(0, 20), dt.UTC)  # by k1's clock
    behind = dt.timedelta(minutes=10)
    with open_storage(db) as storage:
        storage.set_timezone("America/Sao_Paulo")
        send(storage, [(2, "cccd", "in", at.old)], at.old)
        erasure.erase_personal(storage, before)
        scan = wire_entry(payload_identity(1, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                          direction="in", scanned_at=stamped)
        results = storage.ingest_batch("k1", [scan], sent_at=protocol.format_time(at.now - behind),
                                       received_at=at.now, batch_id=uuid7())
        assert [r["status"] for r in results] == [protocol.ACCEPTED]
        derivation.catch_up(storage)
        (row,) = rows(storage, "id = $1", (scan["id"],))
        assert row["local_day"] == (before - dt.timedelta(days=1)).isoformat()
        assert row["clock_offset_seconds"] == behind.total_seconds()
        assert row["id"] >= id_prefix(dt.datetime.combine(before, dt.time(), dt.UTC))
        kept = payload_identity(1, "cccd").subject_key
        assert row["subject_key"] == kept
        erasure.erase_personal(storage, before)  # the walk of the same cut keeps it
        (row,) = rows(storage, "id = $1", (scan["id"],))
        assert row["subject_key"] == kept
