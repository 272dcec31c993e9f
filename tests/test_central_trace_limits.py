"""What keeps tracing from becoming a lookup service, on a real HTTP server and the real
commands: a reason that is a case reference (the CLI, the API and the Tracing page alike), an
hourly limit of traces per user (refusals recorded for the admins), a name matching more than
a few people answered with their number until narrowed or confirmed, and an audit record
naming everyone a trace showed — by a mark, not their data — so that a person's "who was
shown my data?" has an answer (``kiosk-central audit list --disclosed``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from central_support import CENTRAL, ENGINES, CentralServer, central, database_url, serving
from trace_support import NAMES, Visit, number, payload_identity, store_scans
from web_support import Centre, add_users, csrf, signed_in, start_centre

from kiosk.central import audit
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.central.trace_api import TRACE_PATH
from kiosk.payloads.identity import payload_key
from kiosk.sync import protocol

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOUR = dt.timedelta(hours=1)
SEEN = NOW - dt.timedelta(days=3)
NAMESAKES = [40 * n for n in range(1, 7)]
"""Six people with one name and birth year (trace_support: Nguyễn Văn An, born 1960)."""


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    """Person 1 at a market with persons 2 (a masked PC-Covid code) and 3 (a phone only);
    the six namesakes at a bus station."""
    url = f"sqlite:///{tmp_path}/central.db"
    with open_storage(url) as storage:
        store_scans(storage, [
            Visit(1, "cccd", "CP-CHO", "in", SEEN), Visit(1, "cccd", "CP-CHO", "out", SEEN + HOUR),
            Visit(2, "pccovid_masked", "CP-CHO", "in", SEEN + HOUR / 2),
            Visit(3, "manual_phone", "CP-CHO", "in", SEEN - HOUR),
            *(Visit(p, "cccd", "CP-BX", "in", SEEN + n * HOUR)
              for n, p in enumerate(NAMESAKES))], {})
    yield url


def api(storage: Storage, *bodies: dict, user: str = "bs.lan") -> list[httpx.Response]:
    """Each body posted to the trace API by ``user`` (a tracer), in turn."""
    app = create_app(storage, tracer_of=lambda request: request.headers.get("x-test-user"))
    with serving(app) as base:
        return [httpx.post(base + TRACE_PATH, json=body, headers={"x-test-user": user},
                           timeout=60) for body in bodies]


def log(db: str, *args: str) -> list[dict]:
    return json.loads(central("audit", "list", "--db", db, "--json", *args).stdout)


def test_a_trace_reason_must_be_a_case_reference_on_every_channel(db: str) -> None:
    """"abc", "test" or "xxxx" says nothing the log can later be checked against: a reason
    is at least 4 characters with a digit (``F0-1234``, ``ca bệnh 17``), refused otherwise by
    the API and the CLI in the same words, and nothing is traced or recorded."""
    with open_storage(db) as storage:
        answers = api(storage, *({"document": number(1), "reason": r}
                                 for r in ("abc", "test", "xxxx", "F0-1", "ca bệnh 17")))
    assert [a.status_code for a in answers] == [422, 422, 422, 200, 200]
    assert answers[0].json() == {
        "error": "trace reason: the case or ticket number, at least 4 characters with a "
                 "digit, e.g. 'ca bệnh F0-1234'", "code": "audit.trace_reason",
        "params": {"min": 4}}
    cli = central("trace", "--db", db, "--document", number(1), "--reason", "abc", check=False)
    assert cli.returncode == 2 and "ít nhất 4 ký tự và có chữ số" in cli.stderr
    assert [r["reason"] for r in log(db, "--kind", "trace")] == ["ca bệnh 17", "F0-1"]


def test_a_user_is_answered_the_hourly_limit_of_traces_then_refused_and_recorded(
        db: str) -> None:
    """A sweep of document numbers stops at the limit (``kiosk-central trace-limit``,
    default 30 an hour): the next trace is refused (429, worded) and recorded as
    ``trace-refused`` for the admins, with whom it asked about (once a minute: the next
    refusals are only logged by the server); another user still traces,
    and the command on the server, whose account reads the database anyway, is not
    limited. Setting the limit is itself recorded, with its reason."""
    assert "30" in central("trace-limit", "--db", db).stdout
    refused = central("trace-limit", "3", "--db", db, check=False)
    assert refused.returncode == 2 and "reason" in refused.stderr  # a safeguard: say why
    central("trace-limit", "3", "--db", db, "--reason", "test F0-1")
    sweep = [{"document": number(100 + n), "reason": "F0-1234"} for n in range(5)]
    with open_storage(db) as storage:
        answers = api(storage, *sweep)
        other = api(storage, sweep[0], user="bs.minh")
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[3].json()["code"] == "trace.too_many"
    assert "trace limit reached (3 an hour)" in answers[3].json()["error"]
    assert other[0].status_code == 200
    central("trace", "--db", db, "--document", number(1), "--reason", "F0-1234")
    assert [(r["actor"], r["subject"]) for r in log(db, "--kind", "trace-refused")] == [
        ("bs.lan", f"document {number(103)}")]
    assert [r["subject"] for r in log(db, "--kind", "trace-limit")] == ["traces_per_hour 30 → 3"]
    assert len(log(db, "--kind", "trace")) == 5  # 3 + the other user's + the command's


def test_traces_sent_at_once_do_not_all_pass_the_limit(db: str) -> None:
    """A sweep sent in parallel is held to the limit too: the traces being answered count
    with those recorded, so of 12 sent at once with a limit of 3, 3 are answered."""
    central("trace-limit", "3", "--db", db, "--reason", "test F0-1")
    with open_storage(db) as storage:
        app = create_app(storage, tracer_of=lambda request: "bs.lan")
        with serving(app) as base, ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda n: httpx.post(
                base + TRACE_PATH, json={"document": number(n), "reason": "F0-1234"},
                timeout=60), range(1, 13)))
    assert sorted(a.status_code for a in answers) == [200] * 3 + [429] * 9
    assert len(log(db, "--kind", "trace")) == 3


def test_a_claim_that_cannot_be_removed_leaves_the_answer_standing_and_expires(
        db: str, caplog: pytest.LogCaptureFixture) -> None:
    """The trace is answered and recorded; removing its claim then meets the database busy
    (another program's write lock): the tracer still gets the answer, not a 503 for a trace
    the log says she was shown, and the claim counts until it expires, said in the log."""
    import sqlite3

    from kiosk.central import trace_service

    request = trace_service.Request(document=number(1))
    with open_storage(db, busy_timeout=0.2) as storage:
        with trace_service.within_limit(storage, request, actor="bs.lan", reason="F0-1234",
                                        channel="api", address="127.0.0.1"):
            other = sqlite3.connect(db.removeprefix("sqlite:///"))
            other.execute("BEGIN IMMEDIATE")  # held past the claim's removal
        other.rollback()
        claims = storage._query("SELECT actor FROM trace_claims", ())
    other.close()
    assert claims == [("bs.lan",)]
    assert "its claim could not be removed" in caplog.text


def test_a_trace_being_recorded_counts_once_not_as_answered_and_as_running(
        tmp_path: Path) -> None:
    """With a limit of 2, a tracer's first trace is answered and its audit record written;
    at that moment its claim was still held (removed in a transaction after), so it counted
    twice — answered and being answered — and her second trace, asked just then, was
    refused (429, a ``trace-refused`` record) with one trace answered. The record and the
    claim's removal are now one transaction. The moment is held open on a real PostgreSQL:
    a trigger makes the claim's removal wait for a lock the test holds."""
    import psycopg

    from kiosk.central import trace_service

    db = database_url("postgresql", tmp_path)
    with open_storage(db) as storage:
        store_scans(storage, [Visit(n, "cccd", "CP-CHO", "in", SEEN + n * HOUR)
                              for n in (1, 2)], {})
        with storage._transaction() as tx:
            storage._execute(tx, "CREATE FUNCTION gate() RETURNS trigger AS $$ BEGIN "
                                 "PERFORM pg_advisory_lock(4242); "
                                 "PERFORM pg_advisory_unlock(4242); RETURN OLD; END $$ "
                                 "LANGUAGE plpgsql")
            storage._execute(tx, "CREATE TRIGGER gate BEFORE DELETE ON trace_claims "
                                 "FOR EACH ROW EXECUTE FUNCTION gate()")
    central("trace-limit", "2", "--db", db, "--reason", "test F0-1")

    def trace(person: int) -> str:
        with open_storage(db) as storage:
            try:
                trace_service.run(storage, trace_service.Request(document=number(person)),
                                  actor="bs.lan", reason="F0-1234", channel="api",
                                  address="127.0.0.1")
            except trace_service.tracing.TraceError as exc:
                return exc.words.code
            return "answered"

    def waiting(gate: psycopg.Connection) -> int:
        return gate.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                            "AND NOT granted").fetchone()[0]

    with psycopg.connect(db, autocommit=True) as gate, ThreadPoolExecutor(2) as pool:
        gate.execute("SELECT pg_advisory_lock(4242)")
        first = pool.submit(trace, 1)
        while not waiting(gate):  # the first trace is removing its claim
            assert not first.done(), first.result()
            time.sleep(0.01)
        second = pool.submit(trace, 2)
        while not second.done() and waiting(gate) < 2:  # refused, or removing its claim
            time.sleep(0.01)
        gate.execute("SELECT pg_advisory_unlock(4242)")
        answers = [first.result(), second.result()]
    assert answers == ["answered", "answered"]
    assert len(log(db, "--kind", "trace")) == 2
    assert log(db, "--kind", "trace-refused") == []


@pytest.mark.parametrize("engine", ENGINES)
def test_traces_sent_at_once_to_several_serve_processes_do_not_all_pass_the_limit(
        engine: str, tmp_path: Path) -> None:
    """With ``serve --workers 4`` the requests of one burst reach different processes: each
    trace being answered is claimed in the database, counted and claimed under the user's
    lock, so the limit holds across them — of 16 sent at once with a limit of 3, 3 are
    answered (before, each process counted only the traces it was answering)."""
    db = database_url(engine, tmp_path)
    add_users(db, {"tracer1": ("tracer", None)})
    central("trace-limit", "3", "--db", db, "--reason", "test F0-1")
    server = CentralServer(db, "--workers", "4")
    try:
        with signed_in(server.url, "tracer1") as tracer:
            token, cookies = csrf(tracer.get("/tracing").text), tracer.cookies

        def trace(n: int) -> int:
            with httpx.Client(base_url=server.url, cookies=cookies, timeout=60) as client:
                return client.post(TRACE_PATH, headers={"X-CSRF-Token": token}, json={
                    "document": number(n), "reason": "F0-1234"}).status_code

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(trace, range(1, 17)))
    finally:
        server.stop()
    assert sorted(answers) == [200] * 3 + [429] * 13
    assert len(log(db, "--kind", "trace")) == 3


def test_a_name_matching_more_than_five_people_is_answered_with_their_number_only(
        db: str) -> None:
    """A name and birth year shared by six people names none of them: the answer says how
    many and asks to narrow or confirm (``all_named``). The count is an answer too: it is
    recorded (``trace-count``) and counted against the hourly limit, so that asking it
    again and again over moving periods is neither free nor unseen; confirmed, all six are
    traced and the record names each."""
    name = {"name": NAMES[0], "birth_year": "1960", "reason": "F0-1234"}
    with open_storage(db) as storage:
        unconfirmed, confirmed = api(storage, name, {**name, "all_named": True})
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["code"] == "trace.name_many"
    assert unconfirmed.json()["params"] == {"people": 6, "max": 5}
    assert number(40) not in unconfirmed.text
    assert confirmed.status_code == 200
    assert len(confirmed.json()["person"]["found_as"]) == 6
    [record] = log(db, "--kind", "trace")
    assert len(record["disclosed"].split()) == 6  # the six found (each other's contacts)
    [counted] = log(db, "--kind", "trace-count")
    assert counted["subject"].endswith(": 6 people, none shown")
    assert (counted["actor"], counted["reason"]) == ("bs.lan", "F0-1234")


def test_asking_a_common_names_count_again_and_again_meets_the_hourly_limit(db: str) -> None:
    central("trace-limit", "3", "--db", db, "--reason", "test F0-1")
    name = {"name": NAMES[0], "birth_year": "1960", "reason": "F0-1234"}
    with open_storage(db) as storage:
        answers = api(storage, *[name] * 5)
    assert [a.status_code for a in answers] == [422, 422, 422, 429, 429]
    assert len(log(db, "--kind", "trace-count")) == 3  # each answer seen by the admins
    assert len(log(db, "--kind", "trace-refused")) == 1  # and the first refusal


def test_a_tracer_retrying_on_429_is_answered_once_her_hour_of_answers_has_passed(
        db: str) -> None:
    """Only what was answered counts against the limit: traces and a common name's count,
    not the refusals over it, which showed nothing. A tracer (or her script) answered 3
    traces 61 minutes ago and retrying every few minutes since, refused each time, is
    answered again now — before, her refusals of the last hour kept her refused for ever."""
    central("trace-limit", "3", "--db", db, "--reason", "test F0-1")
    with open_storage(db) as storage, storage._transaction() as tx:
        answered = [(61, "trace")] * 3  # refused every 5 minutes since:
        for minutes, kind in answered + [(m, "trace-refused") for m in range(55, 0, -5)]:
            storage._execute(
                tx, "INSERT INTO audit_log (at, kind, actor, channel, subject, reason) "
                    "VALUES ($1, $2, 'bs.lan', 'api', $3, 'F0-1234')",
                (protocol.format_time(NOW - dt.timedelta(minutes=minutes)),
                 kind, f"document {number(200 + minutes)}"))
    with open_storage(db) as storage:
        answers = api(storage, *({"document": number(n), "reason": "F0-1234"}
                                 for n in (1, 2, 3, 4)))
    assert [a.status_code for a in answers] == [200, 200, 200, 429]


def test_a_script_hammering_over_the_limit_adds_one_record_a_minute(
        db: str, caplog: pytest.LogCaptureFixture) -> None:
    """The log is append-only: a client sending hundreds of traces over the limit must not
    grow it without end. The first refusal of a minute is recorded (who, whom as asked, the
    reason); the others are in the server's log, who and from where, in both languages."""
    central("trace-limit", "1", "--db", db, "--reason", "test F0-1")
    with open_storage(db) as storage, caplog.at_level("WARNING", logger="kiosk.central"):
        answers = api(storage, *({"document": number(n), "reason": "F0-1234"}
                                 for n in range(100, 141)))
    assert [a.status_code for a in answers] == [200] + [429] * 40
    [recorded] = log(db, "--kind", "trace-refused")
    assert recorded["subject"] == f"document {number(101)}"
    logged = [r.getMessage() for r in caplog.records if "hourly limit" in r.getMessage()]
    assert len(logged) == 39
    assert logged[0] == (
        "truy vết của bs.lan (api, từ 127.0.0.1) bị từ chối vì quá giới hạn mỗi giờ; không ghi "
        "thêm vào nhật ký kiểm tra (đã ghi một lần trong phút này) / a trace by bs.lan (api, "
        "from 127.0.0.1) refused over the hourly limit; not recorded in the audit log again "
        "(one was this minute)")


def test_the_log_names_whom_a_trace_showed_so_a_person_can_ask_who_saw_them(
        db: str) -> None:
    """Each trace's record holds a mark of everyone it showed (the person found, each
    contact), never their name or number: ``audit list --disclosed`` finds the traces that
    showed a document's holder — by the codes stored with it while its scans are held, and
    with the card's name and birth year by its masked code's key too, which outlives them."""
    with open_storage(db) as storage:
        [first] = api(storage, {"document": number(1), "reason": "F0-1234"})
        [other] = api(storage, {"document": number(40), "reason": "F0-5678"})
    assert first.status_code == other.status_code == 200
    assert [c["name"] for c in first.json()["contacts"]] == ["Phạm Thị Dung", "LE VAN CUONG"]
    [record, _] = log(db, "--kind", "trace")[::-1]
    for shown in (NAMES[1], number(1), "000002", "LE VAN CUONG", "0900000003"):
        assert shown not in record["disclosed"]
    assert [r["seq"] for r in log(db, "--disclosed", number(1))] == [first.json()["audit"]]
    assert log(db, "--disclosed", number(2)) == []  # only a masked code of 2 was scanned
    assert [r["seq"] for r in log(db, "--disclosed", number(2), "--name", NAMES[2],
                                  "--birth-year", "1962")] == [first.json()["audit"]]
    assert [r["seq"] for r in log(db, "--disclosed", number(40))] == [other.json()["audit"]]
    assert log(db, "--disclosed", number(7)) == []
    asked = [r["subject"] for r in log(db, "--kind", "audit-log")]  # the asking recorded too
    assert f"kiosk-central audit list --limit 100 --disclosed {number(7)}" in asked
    refused = central("audit", "list", "--db", db, "--disclosed", number(2), "--name",
                      NAMES[2], check=False)  # the card's birth year forgotten
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "--name và --birth-year phải đi cùng nhau, với --disclosed (tên và năm sinh trên thẻ: "
        "thiếu một trong hai thì không tìm được ai); với --phone chỉ cần --name / --name and "
        "--birth-year go together, with --disclosed (the card's name and birth year: one "
        "without the other finds no one); with --phone, --name alone")


def test_a_person_entered_by_hand_or_known_by_a_code_can_ask_who_was_shown_their_data(
        db: str) -> None:
    """Phạm Thị Dung was entered by hand with a phone only, and a trace showed her name and
    phone: she asks by her phone (marked on its own in every trace since), and a trace
    recorded before that by her phone with her name as typed (the entry's key,
    ``fold_name(name)|phone``). Lê Văn Cường, known by his masked PC-Covid code only, asks
    with the code itself, on standard input: the asking is recorded, never the code."""
    with open_storage(db) as storage:
        [first] = api(storage, {"document": number(1), "reason": "F0-1234"})
        old = audit.append_trace(  # as a trace recorded her before her phone had a mark
            storage, actor="bs.lan", channel="api", address=None, reason="F0-0001",
            subject=f"document {number(1)}", period_from="", period_to="", visits=1,
            contacts=1, second_degree=0, second_contacts=0,
            disclosed={payload_key(b"PHAM THI DUNG|0900000003")})
    shown = first.json()
    dung = shown["contacts"][0]
    assert (dung["name"], dung["phone"]) == ("Phạm Thị Dung", "0900000003")
    assert "0900000003" not in json.dumps(log(db, "--kind", "trace"))
    assert [r["seq"] for r in log(db, "--phone", "0900000003")] == [shown["audit"]]
    for written in ("0900000003", "+84 900 000 003", "090.000.0003"):
        assert [r["seq"] for r in log(db, "--phone", written, "--name", "Phạm Thị Dung")] == [
            old, shown["audit"]], written
    assert log(db, "--phone", "0900000099", "--name", "Phạm Thị Dung") == []
    masked = payload_identity(2, "pccovid_masked").raw
    card = payload_identity(1, "cccd").raw
    for code in (masked, card):
        asked = subprocess.run([*CENTRAL, "audit", "list", "--db", db, "--json", "--code", "-"],
                               input=code + b"\n", capture_output=True, timeout=60)
        assert [r["seq"] for r in json.loads(asked.stdout)] == [shown["audit"]], code
    asking = [r["subject"] for r in log(db, "--kind", "audit-log")]
    assert "kiosk-central audit list --limit 100 --phone 0900000003" in asking
    assert "kiosk-central audit list --limit 100 --code -" in asking
    assert not any(b"LE VAN CUONG" in s.encode() or "Lê Lợi" in s for s in asking)


def test_a_reader_of_the_log_cannot_turn_its_marks_back_into_numbers(db: str) -> None:
    """The marks are keyed with a secret only the centre holds: knowing a contact's name
    and birth year, a reader of the log who hashes the million last-six-digits (a second's
    work) finds none of the numbers a trace showed; the centre still answers
    ``--disclosed``."""
    with open_storage(db) as storage:
        [first] = api(storage, {"document": number(40), "reason": "F0-1234"})
    [record] = log(db, "--kind", "trace")
    marks = {bytes.fromhex(mark[2:]) for mark in record["disclosed"].split()}
    assert len(marks) == 3  # the person and the two namesakes met at the bus station
    tried = (f"m:{n:06d}|NGUYEN VAN AN|1960".encode() for n in range(10**6))
    assert not any(hashlib.blake2b(key, digest_size=8).digest() in marks for key in tried)
    assert not any(hashlib.blake2b(f"doc:{number(p)}".encode(), digest_size=8).digest()
                   in marks for p in NAMESAKES)
    assert [r["seq"] for r in log(db, "--disclosed", number(80))] == [first.json()["audit"]]


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    running = start_centre(tmp_path_factory.mktemp("trace-limits"))
    try:
        yield running
    finally:
        running.server.stop()


def test_the_tracing_page_keeps_the_same_rules_and_admins_see_its_refusals(
        centre: Centre) -> None:
    """The Tracing page refuses "abc" as the API does, in the reader's language, and runs
    nothing; over the hourly limit it refuses (429) and the admins' Audit log page lists
    the refusal under the tracer's name."""
    central("trace-limit", "1", "--db", centre.db, "--reason", "test F0-1")
    form = {"document": "001099000101"}
    with signed_in(centre.url, "tracer1") as tracer:
        tracer.get("/lang/en")
        said = [tracer.post("/tracing", data={**form, "reason": reason,
                                              "csrf_token": csrf(tracer.get("/tracing").text)})
                for reason in ("abc", "ca bệnh F0-9001", "ca bệnh F0-9001")]
    assert [a.status_code for a in said] == [422, 200, 429]
    assert "trace reason: the case or ticket number" in said[0].text
    assert "trace limit reached (1 an hour)" in said[2].text
    with signed_in(centre.url, "admin1") as admin:
        admin.get("/lang/en")
        page = admin.get("/audit?kind=trace-refused").text
    assert '<tr class="kind-trace-refused">' in page and "<td>tracer1</td>" in page
