"""`kiosk-central trace` and `audit list` as health staff use them, on SQLite and a real
PostgreSQL: JSON, CSV and XLSX answers, a reason required, every trace in an audit log that
refuses to be changed, and the API endpoint off until users with the tracer role exist."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import pty
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import CENTRAL, ENGINES, CentralServer, central, database_url, serving
from openpyxl import load_workbook
from trace_support import Visit, number, payload_identity, store_scans, wire_entry

from kiosk.central.backends import open_storage
from kiosk.central.storage import StorageError
from kiosk.central.trace_api import TRACE_PATH
from kiosk.ids import uuid7
from kiosk.payloads import decode

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A centre holding: person 1 at a market 3 days ago with persons 2 and 3."""
    url = database_url(request.param, tmp_path)
    seen = NOW - dt.timedelta(days=3)
    with open_storage(url) as storage:
        store_scans(storage, [
            Visit(1, "cccd", "CP-CHO", "in", seen), Visit(1, "cccd", "CP-CHO", "out", seen + HOUR),
            Visit(2, "pccovid_masked", "CP-CHO", "in", seen + HOUR / 2),
            Visit(3, "manual_phone", "CP-CHO", "in", seen - HOUR),
            Visit(3, "manual_phone", "CP-CHO", "out", seen + HOUR * 2),
        ], {})
    yield url


def trace(db: str, *args: str, check: bool = True):
    return central("trace", "--db", db, *args, check=check)


def test_a_trace_answers_in_json_and_is_in_the_audit_log(db: str) -> None:
    answer = json.loads(trace(db, "--document", number(1), "--reason", "ca bệnh F0-1234").stdout)
    assert [v["checkpoint_id"] for v in answer["visits"]] == ["CP-CHO"]
    assert [(c["rank"], c["name"], c["overlap_minutes"]) for c in answer["contacts"]] == [
        (1, "Phạm Thị Dung", 60.0), (2, "LE VAN CUONG", 30.0)]
    assert answer["contacts"][0]["phone"] == "0900000003"
    assert answer["contacts"][1]["document_number"] == "******000002"
    assert answer["period"]["timezone"] == "Asia/Ho_Chi_Minh"
    assert answer["data_begins"] <= answer["period"]["to"][:10]
    log = json.loads(central("audit", "list", "--db", db, "--kind", "trace",
                             "--json").stdout)
    assert len(log) == 1
    assert log[0]["reason"] == "ca bệnh F0-1234" and log[0]["contacts"] == 2
    assert log[0]["subject"] == f"document {number(1)}" and log[0]["channel"] == "cli"
    assert "@" in log[0]["actor"] and log[0]["seq"] == answer["audit"]
    assert log[0]["address"] is None  # on the server itself


def test_a_trace_by_scanned_code_records_whom_it_resolved_to_never_the_code(db: str) -> None:
    """The audit log is kept forever, personal data only until its retention: a trace by a
    scanned code records the identity the code resolved to, as a trace by document or by
    name records it — a card's full document number, a masked PC-Covid code's match key
    (last digits, name, birth year), only the kind of a code naming nobody — and never the
    code, whose text on a CCCD is its holder's name, birth date, address and issue date."""
    card = payload_identity(1, "cccd").raw
    masked = payload_identity(2, "pccovid_masked")
    ticket = b"VE-XE 42 Ben xe Dong Xoai"
    for code in (card, masked.raw, ticket):
        trace(db, "--payload", "hex:" + code.hex(), "--reason", "ca bệnh F0-1234")
    assert [r["subject"] for r in reversed(traces(db))] == [
        f"payload cccd: document {number(1)}",
        f"payload pccovid: match key {masked.match_key}",
        "payload other"]
    log = central("audit", "list", "--db", db, "--json").stdout
    for part in ("Trần Thị Bình", "123456789", "01021961", "Lê Lợi", "10102021",
                 "1234567", "Ben xe"):
        assert part not in log and json.dumps(part)[1:-1] not in log, part


def test_a_code_is_read_from_standard_input_never_put_in_the_command_line(db: str) -> None:
    """A CCCD's code holds its holder's name, birth date, address and issue date: typed after
    ``--payload`` it is in /proc/PID/cmdline for every local user and in the shell's history.
    ``--payload -`` reads it from standard input (as pasted: its line end dropped), and
    traces whom it names — not a code "-"."""
    card = payload_identity(1, "cccd").raw
    for given in (card + b"\n", b"hex:" + card.hex().encode() + b"\r\n"):
        answer = subprocess.run([*CENTRAL, "trace", "--db", db, "--payload", "-", "--reason",
                                 "ca bệnh F0-1234"], input=given, capture_output=True,
                                timeout=60)
        assert answer.returncode == 0, answer.stderr.decode()
        assert [v["checkpoint_id"] for v in json.loads(answer.stdout)["visits"]] == ["CP-CHO"]
    assert [r["subject"] for r in traces(db)] == [f"payload cccd: document {number(1)}"] * 2
    bad = subprocess.run([*CENTRAL, "trace", "--db", db, "--payload", "-", "--reason",
                          "ca bệnh F0-1234"], input=b"hex:zz", capture_output=True, timeout=60)
    assert bad.returncode == 2 and b"hex:zz" in bad.stderr and b"Traceback" not in bad.stderr
    assert len(traces(db)) == 2


def test_no_reason_no_trace_and_nothing_recorded(db: str) -> None:
    missing = trace(db, "--document", number(1), check=False)
    assert missing.returncode == 2 and "--reason" in missing.stderr
    blank = trace(db, "--document", number(1), "--reason", "  ", check=False)
    assert blank.returncode == 2 and "reason" in blank.stderr and blank.stdout == ""
    both = trace(db, "--document", number(1), "--birth-year", "1990", "--reason", "F0-1",
                 check=False)
    assert both.returncode == 2 and "exactly one" in both.stderr
    assert traces(db) == []


def traces(db: str) -> list[dict]:
    return json.loads(central("audit", "list", "--db", db, "--kind", "trace", "--json").stdout)


def test_xlsx_for_the_health_authority_keeps_numbers_as_text_and_runs_no_formula(
        db: str, tmp_path: Path) -> None:
    with open_storage(db) as storage:
        from trace_support import wire_entry

        from kiosk.payloads.manual import ManualEntry, decode_manual

        hostile = decode_manual(ManualEntry(name="=HYPERLINK(\"http://x\",\"y\")",
                                            phone="0912345678"))
        storage.ingest_batch("k1", [wire_entry(
            hostile, checkpoint="CP-CHO", kiosk="k1", direction="in",
            scanned_at=NOW - dt.timedelta(days=3, minutes=-10))], sent_at=None,
            received_at=NOW, batch_id="01900000-0000-7000-8000-000000000001")
    out = tmp_path / "F0-1234.xlsx"
    done = trace(db, "--document", number(1), "--reason", "F0-1234", "--format", "xlsx",
                 "-o", str(out))
    assert "3 người tiếp xúc / contacts" in done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # names, numbers, phones: owner only
    book = load_workbook(out)
    assert book.sheetnames == ["Người tiếp xúc", "Lượt có mặt", "Chi tiết tiếp xúc", "Tóm tắt"]
    contacts = list(book["Người tiếp xúc"].iter_rows(values_only=True))
    assert contacts[0][:5] == ("Thứ tự", "Họ tên", "Năm sinh", "Số giấy tờ", "Điện thoại")
    by_name = {row[1]: row for row in contacts[1:]}
    assert by_name["=HYPERLINK(\"http://x\",\"y\")"][4] == "0912345678"  # text, as it is
    cuong = by_name["LE VAN CUONG"]
    assert cuong[2] == "1962" and cuong[5] == 30 and isinstance(cuong[5], int | float)
    visits = list(book["Lượt có mặt"].iter_rows(values_only=True))
    assert isinstance(visits[1][5], dt.datetime) and visits[1][7] == 60.0
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def meet_a_contact_elsewhere(db: str) -> None:
    """Phạm Thị Dung, person 1's first contact, is at a bus station 2 days ago with person 4
    (Hoàng Văn Em, whom person 1 never met)."""
    seen = NOW - dt.timedelta(days=2)
    with open_storage(db) as storage:
        store_scans(storage, [Visit(3, "manual_phone", "CP-BEN", "in", seen),
                              Visit(4, "cccd", "CP-BEN", "in", seen + HOUR / 3)], {})


def test_a_second_degree_trace_file_names_the_contacts_of_the_contacts(
        db: str, tmp_path: Path) -> None:
    """``--second-degree N`` traces the top N contacts onward: its CSV or XLSX has their
    contacts on a sheet of their own, each under the contact they were found through, with
    the contacts sheet's columns, and the summary counts them. Before, only the JSON held
    them: the file's summary said second_degree 1, and no sheet named anyone it found."""
    meet_a_contact_elsewhere(db)
    out = tmp_path / "F0-1234.xlsx"
    asked = ("--document", number(1), "--second-degree", "1", "--reason", "F0-1234")
    trace(db, *asked, "--format", "xlsx", "-o", str(out))
    book = load_workbook(out)
    assert book.sheetnames == ["Người tiếp xúc", "Tiếp xúc bậc 2", "Lượt có mặt",
                               "Chi tiết tiếp xúc", "Tóm tắt"]
    rows = list(book["Tiếp xúc bậc 2"].iter_rows(values_only=True))
    assert rows[0][:7] == ("Qua người tiếp xúc số", "Qua người", "Thứ tự", "Họ tên",
                           "Năm sinh", "Số giấy tờ", "Điện thoại")
    assert [row[:6] + row[7:8] for row in rows[1:]] == [
        (1, "Phạm Thị Dung", 1, "Hoàng Văn Em", "1964", "079000000004", 100),
        (1, "Phạm Thị Dung", 2, "LE VAN CUONG", "1962", "******000002", 90)]
    summary = dict(book["Tóm tắt"].iter_rows(min_row=2, values_only=True))
    assert summary["Người tiếp xúc bậc 2 (chưa có ở trên) / second-degree contacts (new)"] == 1
    text = trace(db, *asked, "--format", "csv").stdout
    assert "\n# Tiếp xúc bậc 2" in text and "Hoàng Văn Em" in text and number(4) in text


def test_a_second_degree_trace_is_audited_with_the_people_it_named_beyond_the_contacts(
        db: str, tmp_path: Path) -> None:
    """A second-degree trace discloses the contacts of the contacts traced onward too: its
    audit record keeps how many were traced onward and how many people that named beyond
    the first-degree contacts (each once), and ``audit list`` and the dashboard's audit page
    say it in both languages. Before, the record counted the first-degree contacts only, and
    then the number asked for (20) rather than the contacts there were to trace onward."""
    from web_support import add_users, signed_in

    meet_a_contact_elsewhere(db)
    trace(db, "--document", number(1), "--second-degree", "1", "--reason", "F0-1234")
    trace(db, "--document", number(1), "--reason", "F0-1235")
    trace(db, "--document", number(1), "--second-degree", "20", "--reason", "F0-1236")
    assert [(r["reason"], r["contacts"], r["second_degree"], r["second_contacts"])
            for r in traces(db)] == [("F0-1236", 2, 2, 1), ("F0-1235", 2, 0, 0),
                                     ("F0-1234", 2, 1, 1)]  # 20 asked, the 2 there were traced
    listed = central("audit", "list", "--db", db, "--kind", "trace").stdout.splitlines()
    assert "(truy tiếp 2 người tiếp xúc đầu)" in listed[0] and "top 20" not in listed[0]
    assert listed[2].endswith(
        "2 người tiếp xúc / contacts, 1 người tiếp xúc bậc 2 ngoài danh sách tiếp xúc (truy "
        "tiếp 1 người tiếp xúc đầu) / 1 second-degree contacts beyond the contacts (the top 1 "
        "traced onward) — lý do / reason: F0-1234")
    assert "bậc 2" not in listed[1] and "second-degree" not in listed[1]
    add_users(db, {"admin1": ("admin", None)})
    server = CentralServer(db)
    try:
        with signed_in(server.url, "admin1") as admin:
            vietnamese = admin.get("/audit?kind=trace").text
            admin.cookies.set("kc_lang", "en")
            english = admin.get("/audit?kind=trace").text
    finally:
        server.stop()
    assert "<th>Tiếp xúc bậc 2</th>" in vietnamese
    assert vietnamese.count("1 người tiếp xúc bậc 2 ngoài danh sách tiếp xúc (truy tiếp 1 "
                            "người tiếp xúc đầu)") == 1
    assert "(truy tiếp 20 " not in vietnamese
    assert "<th>Second degree</th>" in english
    assert english.count("1 second-degree contacts beyond the contacts (the top 1 traced "
                         "onward)") == 1


def test_an_export_replacing_a_readable_file_is_made_private(db: str, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "F0-1234.csv"
    out.parent.mkdir()
    out.write_text("an older export")
    out.chmod(0o644)
    trace(db, "--document", number(1), "--reason", "F0-1234", "--format", "csv", "-o", str(out),
          "--force")  # without it, the older file is kept (test_central_output_files)
    assert "Phạm Thị Dung" in out.read_text(encoding="utf-8-sig")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == ["F0-1234.csv"]  # no temporary left


def test_csv_is_the_same_tables_one_after_another(db: str) -> None:
    text = trace(db, "--payload", "******000001|TRAN THI BINH|1961-**-**|0|1234567|",
                 "--reason", "F0-1234", "--format", "csv").stdout
    assert text.startswith("\ufeff# Người tiếp xúc")
    assert text.count("\n# ") == 3
    assert "Phạm Thị Dung" in text and "0900000003" in text


def test_a_trace_to_a_terminal_shows_a_names_control_characters_as_escapes(
        db: str, tmp_path: Path) -> None:
    """A contact's name is whatever the maker of their code wrote: one carrying an escape
    sequence that retitles the terminal, one that clears it, and a line break. Printed to a
    terminal (a real pty), each shows as escapes, never obeyed, in CSV and JSON; written to
    a file the name is the data as stored."""
    name = "Nguyễn \x1b]0;pwned\x07Văn\x1b[2J\nAn\x9b"
    code = f"079099999999|123456789|{name}|01021990|Nam|Huế|10102021"
    seen = NOW - dt.timedelta(days=3) + HOUR / 4
    with open_storage(db) as storage:
        # a kiosk refuses such a CCCD (no Vietnamese name has controls); the centre takes
        # what any kiosk version, or a forged upload, sends
        identity = dataclasses.replace(decode(code.replace(name, "An").encode(),
                                              today=dt.date(2026, 11, 30)), name=name)
        storage.ingest_batch("k1", [wire_entry(identity, checkpoint="CP-CHO", kiosk="k1",
                                               direction="in", scanned_at=seen)],
                             sent_at=None, received_at=NOW, batch_id=uuid7())
    asked = ("--document", number(1), "--reason", "F0-1234")
    for fmt in ("csv", "json"):
        text = on_terminal("trace", "--db", db, *asked, "--format", fmt)
        assert not {"\x1b", "\x07", "\x9b"} & set(text)
        names = ([c["name"] for c in json.loads(text)["contacts"]] if fmt == "json"
                 else text.splitlines())
        assert any(r"Nguyễn \x1b]0;pwned\x07Văn\x1b[2J\x0aAn\x9b" in n for n in names)
    out = tmp_path / "trace.csv"
    trace(db, *asked, "--format", "csv", "-o", str(out))
    assert name in out.read_text(encoding="utf-8-sig")


def test_an_xlsx_trace_holds_a_name_minus_the_characters_a_workbook_cannot(
        db: str, tmp_path: Path) -> None:
    """A kiosk may send a name holding a control character XML 1.0 cannot carry (here
    U+0001, as a code's maker wrote it). The XLSX of every trace touching that person
    failed whole (openpyxl's IllegalCharacterError; on the dashboard a bare HTTP 500)
    while CSV and JSON worked: the workbook now holds the name minus that character — the
    rule of the kiosk's own export (:func:`kiosk.xlsx.xml_text`) — and the CSV still
    the name as stored."""
    code = "079099999998|123456789|Nguyen Van A|01021990|Nam|Huế|10102021"
    with open_storage(db) as storage:  # a kiosk refuses such a CCCD: another version may not
        identity = dataclasses.replace(decode(code.encode(), today=dt.date(2026, 11, 30)),
                                       name="Nguyen\x01Van A")
        storage.ingest_batch("k1", [wire_entry(
            identity, checkpoint="CP-CHO", kiosk="k1", direction="in",
            scanned_at=NOW - dt.timedelta(days=3) + HOUR / 4)],
            sent_at=None, received_at=NOW, batch_id=uuid7())
    asked = ("--document", number(1), "--reason", "F0-1234")
    out = tmp_path / "F0-1234.xlsx"
    trace(db, *asked, "--format", "xlsx", "-o", str(out))
    book = load_workbook(out)
    contacts = [row[1] for row in book["Người tiếp xúc"].iter_rows(min_row=2,
                                                                   values_only=True)]
    exposures = [row[2] for row in book["Chi tiết tiếp xúc"].iter_rows(min_row=2,
                                                                     values_only=True)]
    assert "NguyenVan A" in contacts and "NguyenVan A" in exposures
    assert trace(db, *asked, "--format", "csv").stdout.count("Nguyen\x01Van A") == 2


def test_the_audit_list_shows_a_traced_names_control_characters_as_escapes(
        db: str) -> None:
    """A trace by name records the name as typed as whom it was about, and its reason as
    typed (by a tracer on the dashboard too): `kiosk-central audit list` printed both as
    they are, so a name carrying an escape sequence retitled and cleared the terminal of the
    admin reading the log. On a real pty each shows as escapes."""
    trace(db, "--name", "Nguyễn \x1b]0;pwned\x07Văn\x1b[2J", "--birth-year", "1990",
          "--reason", "F0 \x1b[31m\x9b2J")
    text = on_terminal("audit", "list", "--db", db)
    assert not {"\x1b", "\x07", "\x9b"} & set(text)
    assert r"Nguyễn \x1b]0;pwned\x07Văn\x1b[2J" in text and r"F0 \x1b[31m\x9b2J" in text


def on_terminal(*args: str) -> str:
    """What ``kiosk-central *args`` shows on a terminal (a real pty as its stdout)."""
    leader, follower = pty.openpty()
    proc = subprocess.run([*CENTRAL, *args], stdout=follower, stderr=subprocess.PIPE,
                          timeout=60)
    os.close(follower)
    shown = b""
    while chunk := _read(leader):
        shown += chunk
    os.close(leader)
    assert proc.returncode == 0, proc.stderr
    return shown.decode()


def _read(fd: int) -> bytes:
    """What a pty's other end has written (b"" once it is closed and drained)."""
    try:
        return os.read(fd, 65536)
    except OSError:  # Linux: EIO once the writer has gone
        return b""


def test_the_audit_log_cannot_be_changed_or_emptied(db: str) -> None:
    trace(db, "--document", number(1), "--reason", "F0-1234")
    with open_storage(db) as storage:
        for statement in ("UPDATE audit_log SET reason = 'nothing'",
                          "DELETE FROM audit_log",
                          *(["TRUNCATE audit_log"] if db.startswith("postgresql") else [])):
            with pytest.raises(StorageError) as refused, storage._transaction() as tx:
                storage._execute(tx, statement)
            assert "append-only" in str(refused.value.__cause__)  # the trigger's: the log
    assert [r["reason"] for r in traces(db)] == ["F0-1234"]


def test_the_api_endpoint_refuses_anyone_not_signed_in_as_a_tracer(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/central.db"
    server = CentralServer(db)
    try:
        answer = httpx.post(server.url + TRACE_PATH, json={"document": number(1),
                                                             "reason": "F0-1234"})
    finally:
        server.stop()
    assert answer.status_code == 403 and "tracer role" in answer.json()["error"]
    assert traces(db) == []


def test_with_a_tracer_the_api_traces_and_audits_under_that_user(tmp_path: Path) -> None:
    from kiosk.central.app import create_app

    db = f"sqlite:///{tmp_path}/central.db"
    with open_storage(db) as storage:
        store_scans(storage, [Visit(1, "cccd", "CP-A", "in", NOW - HOUR * 5),
                              Visit(2, "cccd", "CP-A", "in", NOW - HOUR * 4)], {})
        app = create_app(storage, tracer_of=lambda request: (
            "bs.lan" if request.headers.get("x-test-user") == "lan" else None))
        with serving(app) as base:
            url = base + TRACE_PATH
            stranger = httpx.post(url, json={"document": number(1), "reason": "F0-1"})
            bad = httpx.post(url, headers={"x-test-user": "lan"},
                             json={"document": number(1), "reason": "F0-1", "from": "yesterday"})
            good = httpx.post(url, headers={"x-test-user": "lan"},
                              json={"document": number(1), "reason": "F0-1",
                                    "margin_minutes": 60})
        from kiosk.central import audit
        log = audit.records(storage)
    assert stranger.status_code == 403
    assert bad.status_code == 422 and bad.json() == {  # English, and a code to word
        "error": "from: expected YYYY-MM-DD or an ISO time with its offset",
        "code": "trace.bad_time", "params": {"name": "from"}}
    assert good.status_code == 200
    assert [c["name"] for c in good.json()["contacts"]] == ["Lê Văn Cường"]
    assert [(r.actor, r.channel, r.address, r.contacts) for r in log] == [
        ("bs.lan", "api", "127.0.0.1", 1)]


def test_help_shows_runnable_examples() -> None:
    text = central("trace", "--help").stdout
    assert "Examples / Ví dụ:" in text and "--reason" in text
    assert io.StringIO(central("audit", "list", "--help").stdout).read().count(
        "kiosk-central audit list") >= 1


def test_a_period_past_the_calendar_is_refused_naming_it_and_nothing_is_traced(
        tmp_path: Path) -> None:
    """A day at the calendar's edge (0001-01-01 begins before year 1 in UTC, the day after
    9999-12-31 does not exist) is refused by the API with the period's words, and by the CLI
    as every command's day or time option refuses it, naming the days it takes: it was an
    OverflowError (a traceback; 500)."""
    from kiosk.central.app import create_app

    db = f"sqlite:///{tmp_path}/central.db"
    for option, day in (("--from", "0001-01-01"), ("--to", "9999-12-31")):
        refused = trace(db, "--document", number(1), option, day, "--reason", "F0-1",
                        check=False)
        assert refused.returncode == 2 and (f"argument {option}: '{day}': expected a date "
                                            "from 0001-01-02 to 9999-12-30") in refused.stderr
        assert "Traceback" not in refused.stderr
    with open_storage(db) as storage:
        app = create_app(storage, tracer_of=lambda request: "bs.lan")
        with serving(app) as base:
            answers = [httpx.post(base + TRACE_PATH, json={
                "document": number(1), "reason": "F0-1", name: value})
                for name, value in (("from", "0001-01-01"), ("to", "9999-12-31"),
                                    ("from", "0001-01-01T00:00:00+14:00"))]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (422, "trace.period_calendar")] * 3
    assert traces(db) == []


def test_a_period_whose_reads_would_pass_the_calendar_is_refused_up_front(
        tmp_path: Path) -> None:
    """A trace reads beyond its period (a stay begun before it, the contacts' margin, the
    document matches a day further): a period of instants inside the calendar but within
    that reach of year 1 or 9999 is refused with the period's words too, by the CLI and
    the API. It was an OverflowError once the reads were widened (a traceback; 500)."""
    from kiosk.central.app import create_app

    db = database_url("sqlite", tmp_path)
    central("checkpoints", "add", "CP-CHO", "--name", "Chợ", "--db", db)  # a centre to trace
    words = "period: must lie within the calendar (years 1 to 9999)"
    for start, end in (("0001-01-02T12:00", "0001-01-03T00:00"),  # local: UTC+7; the
                       ("9999-12-20T00:00", "9999-12-30T12:00")):  # CLI's first, last day
        refused = trace(db, "--document", number(1), "--from", start, "--to", end,
                        "--reason", "F0-1", check=False)
        assert (refused.returncode, "Traceback" in refused.stderr) == (2, False)
        assert words in refused.stderr
    with open_storage(db) as storage:
        app = create_app(storage, tracer_of=lambda request: "bs.lan")
        with serving(app) as base:
            answers = [httpx.post(base + TRACE_PATH, json={
                "document": number(1), "reason": "F0-1", "from": start, "to": end})
                for start, end in (("0001-01-01T00:00:00+00:00", "0001-01-02T00:00:00+00:00"),
                                   ("9999-12-20T00:00:00+00:00", "9999-12-31T23:59:00+00:00"))]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (422, "trace.period_calendar")] * 2
    assert traces(db) == []


def test_the_cli_takes_whole_minutes_so_its_settings_can_be_sent_to_the_api(
        tmp_path: Path) -> None:
    """The answer's settings give the margin and the stays in minutes, which the API and
    the Tracing page take whole: the CLI takes whole minutes too, so a trace's settings can
    be sent back as they are. Before, ``--margin 90s`` answered ``margin_minutes: 1.5``,
    which the API refused (``trace.whole_number``)."""
    from kiosk.central.app import create_app

    db = f"sqlite:///{tmp_path}/central.db"
    with open_storage(db) as storage:
        store_scans(storage, [Visit(1, "cccd", "CP-A", "in", NOW - HOUR * 5),
                              Visit(2, "cccd", "CP-A", "in", NOW - HOUR * 4)], {})
    for option, value in (("--margin", "90s"), ("--default-stay", "1h30s"),
                          ("--max-stay", "61s")):
        refused = trace(db, "--document", number(1), option, value, "--reason", "F0-1",
                        check=False)
        assert refused.returncode == 2, (option, value, refused.stdout[-300:])
        assert (f"'{value}': cần một số phút nguyên như 15m, 2h, 1h30m" in refused.stderr
                and f"'{value}': expected whole minutes like 15m, 2h, 1h30m" in refused.stderr)
    answer = json.loads(trace(db, "--document", number(1), "--margin", "1h30m",
                              "--default-stay", "45m", "--repeat-window", "90s",
                              "--reason", "F0-1").stdout)
    assert answer["settings"] == {"margin_minutes": 90, "default_stay_minutes": 45,
                                  "max_stay_minutes": 720, "repeat_window_seconds": 90,
                                  "second_degree": 0}
    with open_storage(db) as storage:
        app = create_app(storage, tracer_of=lambda request: "bs.lan")
        with serving(app) as base:
            again = httpx.post(base + TRACE_PATH, json={
                "document": number(1), "reason": "F0-1", **answer["settings"]})
    assert again.status_code == 200, again.text[:300]
    assert again.json()["settings"] == answer["settings"]
    assert len(traces(db)) == 2  # the refused ones ran no trace


def test_an_api_setting_that_is_not_a_json_integer_is_refused_naming_it(
        tmp_path: Path) -> None:
    """Every setting of ``POST /api/v1/trace`` is a JSON integer (minutes, seconds, or the
    number of contacts ``second_degree`` traces onward): ``true`` (which Python counts as 1),
    ``1.9`` (truncated to 1), ``15.0`` and ``"15"`` are refused 422 naming the key, and no
    trace is run or recorded. Before, ``margin_minutes: true`` traced with a 1-minute margin
    and ``second_degree: 1.9`` traced one contact onward. Likewise ``payload_b64`` is a text:
    ``true`` was read as the base64 "True"."""
    from kiosk.central.app import create_app

    db = f"sqlite:///{tmp_path}/central.db"
    with open_storage(db) as storage:
        store_scans(storage, [Visit(1, "cccd", "CP-A", "in", NOW - HOUR * 5),
                              Visit(2, "cccd", "CP-A", "in", NOW - HOUR * 4)], {})
        app = create_app(storage, tracer_of=lambda request: "bs.lan")
        with serving(app) as base:
            def ask(**settings: object) -> httpx.Response:
                return httpx.post(base + TRACE_PATH, json={
                    "document": number(1), "reason": "F0-1", **settings})

            for key in ("margin_minutes", "default_stay_minutes", "max_stay_minutes",
                        "repeat_window_seconds", "second_degree"):
                for value in (True, False, 1.9, 15.0, "15", [15], {"n": 15}):
                    answer = ask(**{key: value})
                    assert (answer.status_code, answer.json()) == (422, {
                        "error": f'{key}: expected a JSON integer, e.g. 15 (not true, 15.0 or '
                                 f'"15")', "code": "trace.whole_number",
                        "params": {"name": key}}), (key, value)
            for value in (True, 1234, ["AAAA"]):  # str() made "True" and "1234" base64
                answer = ask(document=None, payload_b64=value)
                assert (answer.status_code, answer.json()["code"]) == (422, "trace.not_base64")
            assert traces(db) == []
            wide = ask(margin_minutes=10**400, second_degree=-1)  # integers: their range
            taken = ask(margin_minutes=60, default_stay_minutes=90, max_stay_minutes=600,
                        repeat_window_seconds=120, second_degree=1)
    assert (wide.status_code, wide.json()["code"]) == (422, "trace.margin_range")
    assert taken.status_code == 200, taken.text[:300]
    assert taken.json()["settings"] == {"margin_minutes": 60, "default_stay_minutes": 90,
                                        "max_stay_minutes": 600, "repeat_window_seconds": 120,
                                        "second_degree": 1}
    assert len(taken.json()["second_degree"]) == 1
    assert len(traces(db)) == 1  # the one asked for, its contact traced onward in it


def test_the_cli_takes_whole_numbers_of_ascii_digits_worded_when_not(tmp_path: Path) -> None:
    """``--second-degree`` and a bare ``--margin`` take what the Tracing page takes: whole
    numbers written in ASCII digits, refused in the catalogue's words otherwise. Before,
    ``--second-degree 1.9`` was refused in argparse's English ("invalid int value"), and
    ``--second-degree ٣`` and ``--margin ١٥`` were read as 3 and 15 minutes."""
    db = f"sqlite:///{tmp_path}/central.db"
    for option, value, words in (
            ("--second-degree", "1.9", "expected a whole number, e.g. 5"),
            ("--second-degree", "٣", "expected a whole number, e.g. 5"),
            ("--second-degree", "+3", "expected a whole number, e.g. 5"),
            ("--margin", "١٥", "expected a duration like 15m, 2h, 1h30m"),
            ("--margin", "١h", "expected a duration like 15m, 2h, 1h30m"),
            ("--margin", "²", "expected a duration like 15m, 2h, 1h30m")):
        refused = trace(db, "--document", number(1), option, value, "--reason", "F0-1",
                        check=False)
        assert refused.returncode == 2, (option, value, refused.stderr[-300:])
        assert words in refused.stderr and "invalid" not in refused.stderr, (option, value)
    assert not (tmp_path / "central.db").exists()  # refused before the database is opened
