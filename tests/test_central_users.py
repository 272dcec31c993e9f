"""The dashboard's people as an administrator manages them with `kiosk-central users`, and
what a session is worth afterwards — real commands and a real `kiosk-central serve`, on
SQLite and a real PostgreSQL."""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import getpass
import json
import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_support import (
    CENTRAL,
    CROWD_WAIT,
    ENGINES,
    CentralServer,
    central,
    database_url,
    enrol,
)
from markupsafe import escape

from kiosk.central.audit import Actor
from kiosk.central.backends import open_storage
from kiosk.sync import protocol

PASSWORD = "a long enough secret"
SETUP = Actor("root@centre", "cli")
"""Who sets up the accounts a test calls the module with (a command's user@host)."""


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def users(*args: str, password: str | None = PASSWORD, db: str) -> subprocess.CompletedProcess:
    """`kiosk-central users …` with the password on standard input (as a script gives it);
    an account added here keeps it (``--own-password``: these tests sign in with it at once;
    the change at first sign-in is test_central_user_accounts.py's)."""
    extra = ["--password-file", "-"] if password is not None else []
    if args[:1] == ("add",):
        extra.append("--own-password")
    return subprocess.run([*CENTRAL, "users", *args, *extra, "--db", db], input=(
        f"{password}\n" if password is not None else ""), capture_output=True, text=True,
        timeout=60)


def listed(db: str) -> dict[str, dict]:
    return {u["name"]: u for u in json.loads(central("users", "list", "--db", db,
                                                     "--json").stdout)}


def test_there_is_no_user_until_one_is_added_and_no_password_is_stored(db: str) -> None:
    assert listed(db) == {}
    assert users("add", "an.nguyen", "--role", "admin", db=db).returncode == 0
    assert users("add", "binh.tran", "--role", "district", "--district", "Đồng Xoài",
                 db=db).returncode == 0
    people = listed(db)
    assert {n: (u["role"], u["district"]) for n, u in people.items()} == {
        "an.nguyen": ("admin", None), "binh.tran": ("district", "Đồng Xoài")}
    assert PASSWORD not in json.dumps(people)
    with open_storage(db) as storage:
        hashes = [row[0] for row in storage._query("SELECT password_hash FROM users")]
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


@pytest.mark.parametrize(("args", "password", "problem"), [
    (("x", "--role", "admin"), PASSWORD, "name"),
    (("an", "--role", "admin"), "short", "at least 10"),
    (("an", "--role", "district"), PASSWORD, "--district"),
    (("an", "--role", "viewer", "--district", "Đồng Xoài"), PASSWORD, "--district"),
    (("an", "--role", "admin"), "", "at least 10"),
])
def test_bad_users_are_refused_with_the_reason(args: tuple[str, ...], password: str,
                                              problem: str, tmp_path: Path) -> None:
    db = database_url("sqlite", tmp_path)
    result = users("add", *args, password=password, db=db)
    assert result.returncode == 1 and problem in result.stderr
    assert listed(db) == {}


def test_without_a_terminal_the_password_must_come_from_a_file(tmp_path: Path) -> None:
    db = database_url("sqlite", tmp_path)
    result = users("add", "an.nguyen", "--role", "admin", password=None, db=db)
    assert result.returncode == 1 and "--password-file" in result.stderr
    assert listed(db) == {}


def csrf(client: httpx.Client, path: str) -> str:
    """The token of the forms on the page at ``path``."""
    return client.get(path).text.split('name="csrf_token" value="')[1].split('"')[0]


def log_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": name,
                                       "password": password, "next": "/checkpoints"})


@contextlib.contextmanager
def serving(db: str, *extra: str) -> Iterator[CentralServer]:
    """A real `kiosk-central serve` on ``db`` (with ``extra`` options) for the time of the
    block."""
    server = CentralServer(db, *extra)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def signed_in(server: CentralServer, name: str) -> Iterator[httpx.Client]:
    """A browser in which ``name`` has signed in (the login page answered 303)."""
    with httpx.Client(base_url=server.url) as client:
        assert log_in(client, name).status_code == 303
        yield client


def test_disabling_a_user_ends_their_session_and_refuses_their_logins(db: str) -> None:
    users("add", "an.nguyen", "--role", "admin", db=db)
    users("add", "viewer1", "--role", "viewer", db=db)
    with serving(db) as server:
        with signed_in(server, "viewer1") as viewer:
            assert viewer.get("/checkpoints").status_code == 200
            assert viewer.get("/users").status_code == 403  # admins only
            assert central("users", "disable", "viewer1", "--db", db).returncode == 0
            assert viewer.get("/checkpoints").status_code == 303  # back to the login page
            assert log_in(viewer, "viewer1").status_code == 401
        with signed_in(server, "an.nguyen") as other:
            assert users("reset-password", "an.nguyen", password="another secret!",
                         db=db).returncode == 0
            assert other.get("/checkpoints").status_code == 303  # sessions ended
            assert log_in(other, "an.nguyen").status_code == 401
            assert log_in(other, "an.nguyen", "another secret!").status_code == 303


def test_the_centre_always_keeps_an_active_administrator(db: str) -> None:
    """An administrator cannot disable their own account from the web, and nobody — on the
    web or with `kiosk-central users` — can disable the last active administrator: the
    centre would have no one left to enrol or revoke a kiosk or reset a password."""
    users("add", "an.nguyen", "--role", "admin", db=db)
    users("add", "binh.tran", "--role", "admin", db=db)
    with serving(db) as server, signed_in(server, "an.nguyen") as admin:
        token = csrf(admin, "/users")
        refused = admin.post("/users/an.nguyen/disable",
                             data={"csrf_token": token, "confirm": "yes"})
        assert refused.status_code == 422
        assert "không thể tự khoá tài khoản của chính mình" in refused.text
        assert listed(db)["an.nguyen"]["disabled_at"] is None
        assert admin.get("/users").status_code == 200  # still signed in
        assert admin.post("/users/binh.tran/disable",
                          data={"csrf_token": token, "confirm": "yes"}).status_code == 200
        assert listed(db)["binh.tran"]["disabled_at"] is not None
    last = users("disable", "an.nguyen", password=None, db=db)
    assert last.returncode != 0
    assert "an.nguyen" in last.stderr and "last active administrator" in last.stderr
    assert listed(db)["an.nguyen"]["disabled_at"] is None
    users("add", "chi.le", "--role", "admin", db=db)
    assert users("disable", "an.nguyen", password=None, db=db).returncode == 0


def audit_log(db: str) -> list[dict]:
    """`kiosk-central audit list` as JSON, oldest first, without its own listings."""
    return [r for r in reversed(json.loads(central("audit", "list", "--db", db,
                                                   "--json").stdout))
            if r["kind"] != "audit-log"]


def test_every_change_to_an_account_and_every_sign_in_is_in_the_audit_log(db: str) -> None:
    """An administrator who resets a tracer's password, signs in as the tracer and traces
    would have the log blame the tracer: each account added, disabled or given a new
    password is recorded with who did it (a dashboard user and their address, or the
    command's user@host), whose account and its role and district, in the change's own
    transaction; and each sign-in with its address. Never the password."""
    admin_password, tracer_password, officer_password = (
        "the admin's choice!", "the cli's choice!!", "an officer's secret")
    users("add", "an.nguyen", "--role", "admin", db=db)
    with serving(db) as server, signed_in(server, "an.nguyen") as admin:
        token = csrf(admin, "/users")
        for name, role, district in (("tracer1", "tracer", ""),
                                     ("binh.tran", "district", "Lộc Ninh")):
            assert admin.post("/users/add", data={
                "csrf_token": token, "name": name, "role": role, "district": district,
                "password": PASSWORD}).status_code == 200
        assert admin.post("/users/tracer1/reset-password", data={
            "csrf_token": token, "password": admin_password}).status_code == 200
        with httpx.Client(base_url=server.url) as impostor:
            assert log_in(impostor, "tracer1", admin_password).status_code == 303
        assert admin.post("/users/binh.tran/disable",
                          data={"csrf_token": token, "confirm": "yes"}).status_code == 200
        page = admin.get("/audit?kind=user-password").text
    assert users("reset-password", "tracer1", password=tracer_password, db=db).returncode == 0
    assert users("add", "chi.le", "--role", "district", "--district", "Đồng Xoài",
                 password=officer_password, db=db).returncode == 0
    assert users("disable", "chi.le", password=None, db=db).returncode == 0
    command = f"{getpass.getuser()}@{socket.gethostname()}"
    web = ("web", "127.0.0.1")
    log = audit_log(db)
    assert [(r["kind"], r["actor"], (r["channel"], r["address"]), r["subject"])
            for r in log] == [
        ("user-add", command, ("cli", None), "account an.nguyen (admin)"),
        ("sign-in", "an.nguyen", web, "account an.nguyen (admin)"),
        ("user-add", "an.nguyen", web, "account tracer1 (tracer)"),
        ("user-add", "an.nguyen", web, "account binh.tran (district, district Lộc Ninh)"),
        ("user-password", "an.nguyen", web, "account tracer1 (tracer)"),
        ("sign-in", "tracer1", web, "account tracer1 (tracer)"),
        ("user-disable", "an.nguyen", web, "account binh.tran (district, district Lộc Ninh)"),
        ("user-password", command, ("cli", None), "account tracer1 (tracer)"),
        ("user-add", command, ("cli", None), "account chi.le (district, district Đồng Xoài)"),
        ("user-disable", command, ("cli", None),
         "account chi.le (district, district Đồng Xoài)")]
    assert not any(secret in json.dumps(log) for secret in (
        PASSWORD, admin_password, tracer_password, officer_password))
    assert "Đặt lại mật khẩu tài khoản" in page and "tài khoản tracer1 (Truy vết)" in page
    listed = central("audit", "list", "--kind", "user-password", "--db", db).stdout
    assert (f"{command} (cli) user-password (Đặt lại mật khẩu tài khoản / Account password "
            f"reset): account tracer1 (tracer)") in listed


def test_an_officer_moved_to_another_district_is_given_it_and_her_open_sessions_end(
        db: str) -> None:
    """A district officer moved to another district, or a tracer who is one no longer: a
    disabled name could never be added again, so the account is given its new role and
    district — with the command or on the Users page — and its open sessions end, so that
    no page stays open under the old one. Each change is audited with what it was and
    became; the last active administrator keeps her role."""
    users("add", "an.nguyen", "--role", "admin", db=db)
    users("add", "binh.tran", "--role", "district", "--district", "Lộc Ninh", db=db)
    with serving(db) as server, signed_in(server, "binh.tran") as officer:
        assert officer.get("/checkpoints").status_code == 200
        moved = users("set-role", "binh.tran", "--role", "district", "--district", "Bù Đăng",
                      password=None, db=db)
        assert moved.returncode == 0, moved.stderr
        assert "binh.tran is now district, Bù Đăng; their sessions ended" in moved.stdout
        assert officer.get("/checkpoints").status_code == 303  # to the login page
        assert listed(db)["binh.tran"]["district"] == "Bù Đăng"
        again = users("set-role", "binh.tran", "--role", "district", "--district", "Bù Đăng",
                      password=None, db=db)
        assert again.returncode == 0 and "nothing changed" in again.stdout
        with signed_in(server, "an.nguyen") as admin:
            token = csrf(admin, "/users")
            assert 'action="/users/binh.tran/role"' in admin.get("/users").text
            assert admin.post("/users/binh.tran/role", data={
                "csrf_token": token, "role": "viewer", "district": ""}).status_code == 200
            refused = admin.post("/users/binh.tran/role", data={
                "csrf_token": token, "role": "district", "district": ""})
            assert refused.status_code == 422
    assert (listed(db)["binh.tran"]["role"], listed(db)["binh.tran"]["district"]) == (
        "viewer", None)
    last = users("set-role", "an.nguyen", "--role", "viewer", password=None, db=db)
    assert last.returncode != 0 and "last active administrator" in last.stderr
    assert listed(db)["an.nguyen"]["role"] == "admin"
    command = f"{getpass.getuser()}@{socket.gethostname()}"
    assert [(r["actor"], r["channel"], r["subject"]) for r in audit_log(db)
            if r["kind"] == "user-role"] == [
        (command, "cli", "account binh.tran (district, district Lộc Ninh) → "
                         "account binh.tran (district, district Bù Đăng)"),
        ("an.nguyen", "web", "account binh.tran (district, district Bù Đăng) → "
                             "account binh.tran (viewer)")]


def test_an_account_change_or_sign_in_whose_record_cannot_be_written_does_not_happen(
        db: str) -> None:
    """No record, no change: the record is written in the change's transaction, so a log
    that refuses it (here a trigger standing in for a full disk) leaves the account as it
    was, and refuses the sign-in."""
    users("add", "an.nguyen", "--role", "admin", db=db)
    users("add", "tracer1", "--role", "tracer", db=db)
    with open_storage(db) as storage:
        hashes = storage._query("SELECT name, password_hash FROM users ORDER BY name")
        with storage._transaction() as tx:
            if storage.postgresql:
                storage._execute(tx, "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                                     "RAISE EXCEPTION 'no room'; END $$ LANGUAGE plpgsql")
                storage._execute(tx, "CREATE TRIGGER log_full BEFORE INSERT ON audit_log "
                                     "FOR EACH ROW EXECUTE FUNCTION refuse()")
            else:
                storage._execute(tx, "CREATE TRIGGER log_full BEFORE INSERT ON audit_log "
                                     "BEGIN SELECT RAISE(ABORT, 'no room'); END")
    assert users("add", "chi.le", "--role", "admin", db=db).returncode != 0
    assert users("reset-password", "tracer1", password="another secret!", db=db
                 ).returncode != 0
    assert users("disable", "tracer1", password=None, db=db).returncode != 0
    assert set(listed(db)) == {"an.nguyen", "tracer1"}
    assert listed(db)["tracer1"]["disabled_at"] is None
    with open_storage(db) as storage:
        assert storage._query("SELECT name, password_hash FROM users ORDER BY name") == hashes
    with serving(db) as server, httpx.Client(base_url=server.url) as client:
        assert log_in(client, "an.nguyen").status_code >= 500
        assert client.get("/checkpoints").status_code == 303  # to the login page


def test_a_screen_left_on_today_is_signed_out_after_the_idle_hour_its_reloads_do_not_count(
        tmp_path: Path) -> None:
    """Today reloads itself every minute, and everyone lands there: were its reloads the
    user's activity, a tracer's browser left on it would stay signed in for 12 hours. The
    reload asks for a marked address, answered without counting; the user's own visits
    count; an hour after the last of them the reload lands on the login page, and signing
    in there leads to Today as the user would ask for it."""
    db = database_url("sqlite", tmp_path)
    users("add", "tracer1", "--role", "tracer", db=db)

    def last_seen(minutes_ago: float | None = None) -> dt.timedelta:
        """How long ago the session was last active (first set to ``minutes_ago``)."""
        with open_storage(db) as storage:
            if minutes_ago is not None:
                then = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
                with storage._transaction() as tx:
                    storage._execute(tx, "UPDATE web_sessions SET last_seen_at = $1",
                                     (protocol.format_time(then),))
            (seen,), = storage._query("SELECT last_seen_at FROM web_sessions")
        return dt.datetime.now(dt.UTC) - protocol.parse_time(seen)

    with serving(db) as server, signed_in(server, "tracer1") as browser:
        today = browser.get("/today")
        seconds, reload = re.search(r'<meta http-equiv="refresh" content="(\d+); url=([^"]+)"',
                                    today.text).groups()
        assert (seconds, reload) == ("60", "/today?auto=1")
        for minutes in (59, 59.5):
            last_seen(minutes)
            assert browser.get(reload).status_code == 200
            assert last_seen() > dt.timedelta(minutes=58)  # the reload is not activity
        assert browser.get("/today").status_code == 200  # the user's own visit is
        assert last_seen() < dt.timedelta(minutes=1)
        last_seen(61)
        ended = browser.get(reload)
        assert (ended.status_code, ended.headers["location"]) == (303, "/login?next=%2Ftoday")
        assert browser.get("/tracing").status_code == 303
        assert log_in(browser, "tracer1").status_code == 303


def test_a_forged_or_foreign_session_cookie_is_not_a_session(tmp_path: Path) -> None:
    db = database_url("sqlite", tmp_path)
    users("add", "an.nguyen", "--role", "admin", db=db)
    with serving(db) as server:
        with signed_in(server, "an.nguyen") as client:
            real = client.cookies["kc_session"]
        session_id, _, signature = real.rpartition(".")
        # Each forgery differs from the real cookie whatever characters it drew.
        other_first = "y" if session_id[0] == "x" else "x"
        other_signature = ("B" if signature[0] == "A" else "A") * len(signature)
        for forged in (session_id, f"{session_id}.{other_signature}",
                       f"{other_first}{session_id[1:]}.{signature}", "garbage"):
            answer = httpx.get(server.url + "/users", cookies={"kc_session": forged})
            assert answer.status_code == 303, forged
        assert httpx.get(server.url + "/users", cookies={"kc_session": real}).status_code == 200


def test_every_page_answers_on_both_engines(db: str, tmp_path: Path) -> None:
    central("checkpoints", "add", "CP-1", "--name", "Chốt 1", "--district", "Đồng Xoài",
            "--db", db)
    central("kiosks", "add", "--checkpoint", "CP-1", "--name", "Máy 1", "--kiosk-id", "k-1",
            "--db", db)
    users("add", "an.nguyen", "--role", "admin", db=db)
    with serving(db) as server, signed_in(server, "an.nguyen") as admin:
        for path in ("/today", "/reports", "/reports?monthly=true", "/checkpoints",
                     "/checkpoints?state=inactive7&kind=other&q=chot",
                     "/checkpoints/CP-1", "/kiosks", "/kiosks?problems=true", "/tracing",
                     "/audit", "/users", "/api/v1/reports/daily",
                     "/api/v1/reports/monthly", "/reports/download?format=xlsx",
                     "/reports/download?format=csv&monthly=true"):
            answer = admin.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
        assert "CP-1" in admin.get("/checkpoints?state=inactive7&kind=other&q=chot").text
        assert admin.get("/reports?date=2026-13-01").status_code == 422
        # days whose report would reach outside the calendar: refused, not a 500
        for path in ("/reports?date=9999-12-31", "/reports?monthly=true&month=9999-12",
                     "/api/v1/reports/daily?date=0001-01-01",
                     "/api/v1/reports/monthly?month=0001-01"):
            assert admin.get(path).status_code == 422, path
        assert admin.get("/checkpoints/CP-1?day=9999-12-31").status_code == 200
        paths = admin.get("/openapi.json").json()["paths"]
        assert {"/api/v1/reports/daily", "/api/v1/reports/monthly"} <= set(paths)
        assert "/today" not in paths and "/login" not in paths


def test_the_forms_that_change_users_and_kiosks_are_refused_to_anyone_but_an_admin(
        tmp_path: Path) -> None:
    """A district officer (who sees the kiosks page) and a viewer, each signed in and holding
    the form's CSRF token, post every administrator's form: add, disable or reset a user,
    enrol or revoke a kiosk. Each is refused 403 and nothing changes."""
    db = database_url("sqlite", tmp_path)
    users("add", "an.nguyen", "--role", "admin", db=db)
    users("add", "binh.tran", "--role", "district", "--district", "Đồng Xoài", db=db)
    users("add", "viewer1", "--role", "viewer", db=db)
    enrol(db, "k-1")
    people, kiosks = listed(db), central("kiosks", "list", "--db", db, "--json").stdout
    with serving(db) as server:
        for name in ("binh.tran", "viewer1"):
            with signed_in(server, name) as client:
                form = {"csrf_token": csrf(client, "/checkpoints"), "name": "mallory",
                        "role": "admin", "password": PASSWORD, "checkpoint": "CP-T",
                        "kiosk_id": "k-forged"}
                for path in ("/users/add", "/users/an.nguyen/disable",
                             "/users/an.nguyen/enable", "/users/an.nguyen/reset-password",
                             "/kiosks/enrol", "/kiosks/k-1/revoke"):
                    assert client.post(path, data=form).status_code == 403, (name, path)
    assert listed(db) == people
    assert central("kiosks", "list", "--db", db, "--json").stdout == kiosks


def test_a_page_asks_who_is_asking_before_it_reads_its_address(tmp_path: Path) -> None:
    """A page's query parameters are read after the role check: someone not signed in is sent
    to the login, a role the page is not for gets 403, whatever the address says. Before,
    FastAPI judged the typed ones (``page``, ``problems``, ``monthly``, a missing ``format``)
    first and answered anyone, a visitor not signed in too, 422 in its own English JSON. A
    user the page is for is told which parameter is wrong and what it must be (400)."""
    db = database_url("sqlite", tmp_path)
    users("add", "an.nguyen", "--role", "admin", db=db)
    users("add", "viewer1", "--role", "viewer", db=db)
    enrol(db, "k-1")
    said = {"number": "{name} must be a whole number (digits 0-9), got {got}.",
            "flag": "{name} must be true or false, got {got}.",
            "choice": "{name} must be one of csv, xlsx, got {got}."}
    asked = [  # (path, parameter, what it must be, what it got, a viewer may see the page)
        ("/kiosks?page=abc", "page", "number", "'abc'", False),
        ("/kiosks?problems=maybe", "problems", "flag", "'maybe'", False),
        ("/checkpoints?page=1.5", "page", "number", "'1.5'", True),
        ("/reports?monthly=maybe", "monthly", "flag", "'maybe'", True),
        ("/reports/download", "format", "choice", "''", True),
        ("/reports/download?format=pdf", "format", "choice", "'pdf'", True),
        ("/reports/download?format=csv&monthly=2", "monthly", "flag", "'2'", True),
        ("/batches/k-1?before=x", "before", "number", "'x'", False)]
    with serving(db) as server:
        for path, *_ in asked:
            answer = httpx.get(server.url + path)
            assert (answer.status_code, answer.headers.get("location", "")[:7]) == (
                303, "/login?"), path
        with signed_in(server, "viewer1") as viewer:
            for path, *_, may in asked:
                assert viewer.get(path).status_code == (400 if may else 403), path
        with signed_in(server, "an.nguyen") as admin:
            admin.get("/lang/en")
            for path, name, rule, got, _ in asked:
                answer = admin.get(path)
                words = "The page's address cannot be used: " + said[rule].format(
                    name=name, got=got)
                assert answer.status_code == 400, path
                assert f'<p id="bad-request">{escape(words)}</p>' in answer.text, path
            for path in ("/kiosks?problems=true&page=1", "/checkpoints?page=2",
                         "/reports?monthly=false", "/reports/download?format=csv&monthly=1"):
                assert admin.get(path).status_code == 200, path


def test_a_download_link_with_an_unreadable_date_names_it_in_the_readers_language(
        tmp_path: Path) -> None:
    """``/reports/download`` with a date or month that is not one (a hand-edited link) answers
    400 naming the parameter and what it must be, in the reader's language, as the pages do
    for their other parameters; before, it answered a bare 404 "not found" in English."""
    db = database_url("sqlite", tmp_path)
    users("add", "viewer1", "--role", "viewer", db=db)
    day = {"vi": "{name} phải là một ngày có thật dạng YYYY-MM-DD, nhận được {got}.",
           "en": "{name} must be a real day written YYYY-MM-DD, got {got}."}
    month = {"vi": "{name} phải là một tháng dạng YYYY-MM, nhận được {got}.",
             "en": "{name} must be a month written YYYY-MM, got {got}."}
    asked = [  # (query, parameter, what it must be, what it got)
        ("format=csv&date=2026-13-45", "date", day, "'2026-13-45'"),
        ("format=xlsx&date=abc", "date", day, "'abc'"),
        ("format=csv&monthly=true&month=2026-13", "month", month, "'2026-13'"),
        ("format=csv&monthly=true&month=tháng5", "month", month, "'tháng5'")]
    with serving(db) as server, signed_in(server, "viewer1") as viewer:
        for lang in ("vi", "en"):
            viewer.get(f"/lang/{lang}")
            for query, name, said, got in asked:
                answer = viewer.get(f"/reports/download?{query}")
                assert answer.status_code == 400, (lang, query)
                assert escape(said[lang].format(name=name, got=got)) in answer.text, (
                    lang, query)
        assert viewer.get("/reports/download?format=csv&date=2026-01-31").status_code == 200


def test_the_trace_api_takes_a_signed_in_tracer_with_the_forms_token(tmp_path: Path) -> None:
    db = database_url("sqlite", tmp_path)
    users("add", "lan.pham", "--role", "tracer", db=db)
    users("add", "viewer1", "--role", "viewer", db=db)
    body = {"document": "001099000001", "reason": "ca bệnh F0-77"}
    with serving(db) as server:
        with signed_in(server, "viewer1") as viewer:
            assert viewer.post("/api/v1/trace", json=body, headers={
                "X-CSRF-Token": csrf(viewer, "/today")}).status_code == 403
        with signed_in(server, "lan.pham") as tracer:
            assert tracer.post("/api/v1/trace", json=body).status_code == 403  # cookie alone
            answer = tracer.post("/api/v1/trace", json=body,
                                 headers={"X-CSRF-Token": csrf(tracer, "/tracing")})
            assert answer.status_code == 200, answer.text
    logged = json.loads(central("audit", "list", "--db", db, "--kind", "trace",
                                "--json").stdout)
    assert [(r["actor"], r["channel"], r["address"], r["reason"]) for r in logged] == [
        ("lan.pham", "api", "127.0.0.1", "ca bệnh F0-77")]


def test_the_login_throttle_is_shared_by_servers_and_outlives_a_restart(db: str) -> None:
    """30 attempts a minute per address, counted in the database: attempts made at one
    `serve` process count at another, and at the same one once restarted."""
    from kiosk.central.web.login_throttle import LIMIT

    first = CentralServer(db)
    with httpx.Client(base_url=first.url) as client:
        assert [log_in(client, "nobody", "wrong guess!").status_code
                for _ in range(LIMIT - 10)] == [401] * (LIMIT - 10)
    first.stop()
    second, third = CentralServer(db), CentralServer(db)  # a restart, and a second worker
    try:
        with httpx.Client(base_url=second.url) as client:
            assert [log_in(client, "nobody", "wrong guess!").status_code
                    for _ in range(10)] == [401] * 10
            refused = log_in(client, "nobody", "wrong guess!")
            assert refused.status_code == 429 and "đợi một phút" in refused.text
        with httpx.Client(base_url=third.url) as client:
            assert log_in(client, "nobody", "wrong guess!").status_code == 429
    finally:
        second.stop()
        third.stop()


def test_the_throttle_counts_a_sliding_minute_per_address_and_survives_a_clock_step(
        db: str) -> None:
    from kiosk.central.web.login_throttle import LoginThrottle

    with open_storage(db) as storage, open_storage(db) as other_process:
        here, there = LoginThrottle(storage, limit=3), LoginThrottle(other_process, limit=3)
        assert [here.allow("10.0.0.1", now=1000.0 + i) for i in range(2)] == [True, True]
        assert there.allow("10.0.0.1", now=1002.0)
        assert not here.allow("10.0.0.1", now=1003.0)  # the third in a minute was the last
        assert not there.allow("10.0.0.1", now=1059.0)
        assert here.allow("10.0.0.2", now=1003.0)  # another address has its own allowance
        assert here.allow("10.0.0.1", now=1060.5)  # the first attempt is a minute old
        assert not here.allow("10.0.0.1", now=1060.6)
        # the wall clock steps back an hour: attempts "in the future" neither count nor stay
        assert [here.allow("10.0.0.1", now=-2600.0 + i) for i in range(4)] == [
            True, True, True, False]
        rows = storage._query("SELECT count(*) FROM login_attempts")[0][0]
        assert rows == 3


def test_an_attempt_that_read_the_clock_before_waiting_for_the_lock_forgets_no_attempt(
        db: str) -> None:
    """An attempt whose time is a moment before those already stored (it waited behind them
    for the write lock) must neither delete them nor pass the limit: pruning rows "after now"
    deleted every address's attempts, and under 80 logins at once from one address 31-49
    passwords were checked where the limit is 30 a minute."""
    from kiosk.central.web.login_throttle import LIMIT, LoginThrottle

    with open_storage(db) as storage:
        throttle = LoginThrottle(storage)
        assert all(throttle.allow("10.0.0.1", now=1000.5 + i / 100) for i in range(LIMIT))
        assert throttle.allow("10.0.0.2", now=1000.6)
        assert not throttle.allow("10.0.0.1", now=1000.0)  # the 31st within the minute
        assert storage._query("SELECT address, count(*) FROM login_attempts "
                              "GROUP BY address ORDER BY address") == [
            ("10.0.0.1", LIMIT), ("10.0.0.2", 1)]
        assert not throttle.allow("10.0.0.1", now=1060.0)  # still a minute of 30 attempts
        assert throttle.allow("10.0.0.1", now=1060.6)  # the first is over a minute old


def test_attempts_from_one_address_at_the_same_instant_never_pass_the_limit(db: str) -> None:
    """40 attempts from one address at once, from as many threads and pooled connections
    (a `serve` process's request threads): exactly the limit is allowed. On PostgreSQL each
    counted the rows committed before it began, and several passed on the same count."""
    from kiosk.central.web.login_throttle import LoginThrottle

    with open_storage(db) as storage:
        throttle = LoginThrottle(storage, limit=30)
        start = threading.Barrier(40)

        def attempt(_: int) -> bool:
            start.wait()
            return throttle.allow("10.0.0.9", now=1000.0)

        with concurrent.futures.ThreadPoolExecutor(40) as pool:
            allowed = list(pool.map(attempt, range(40)))
        assert allowed.count(True) == 30
        assert storage._query("SELECT count(*) FROM login_attempts")[0][0] == 30


def test_a_refused_login_pays_one_password_verify_whether_or_not_the_name_exists(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """How long a refused login takes must not tell a guesser which names exist: an unknown
    name, a known one with a wrong or over-long password, and a disabled account each pay
    exactly one argon2 verify (the unknown name against a fixed hash nobody's password
    matches), so each costs what a known name's wrong password costs. An unknown name's
    failures are counted and lock it as a known name's do (before, only a real name could be
    locked, so a lock told a guesser the name existed); a locked name is refused without a
    verify, known or not. The count, not a time, is checked (speed is measured in
    scripts/bench_login.py)."""
    from argon2 import PasswordHasher

    from kiosk.central.web import users as accounts

    class CountingHasher(PasswordHasher):
        verified = 0

        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            CountingHasher.verified += 1
            return super().verify(hash, password)

    hasher = CountingHasher()
    monkeypatch.setattr(accounts, "_argon2", lambda: (hasher, hasher.hash("nobody's")))
    with open_storage(f"sqlite:///{tmp_path}/central.db") as storage:
        for name in ("an.nguyen", "binh.tran"):
            accounts.add(storage, name, "admin", PASSWORD, by=SETUP)
        accounts.disable(storage, "binh.tran", by=SETUP)

        def refusal(name: str, password: str) -> tuple[str, int]:
            before = CountingHasher.verified
            with pytest.raises(accounts.UserError) as refused:
                accounts.authenticate(storage, name, password, address=None)
            return refused.value.words.code, CountingHasher.verified - before

        assert refusal("no.such.user", "wrong guess!") == ("account.wrong", 1)
        assert refusal("an.nguyen", "wrong guess!") == ("account.wrong", 1)
        assert refusal("no.such.user", "x" * 5000) == ("account.wrong", 1)
        assert refusal("an.nguyen", "x" * 5000) == ("account.wrong", 1)
        assert refusal("binh.tran", PASSWORD) == ("account.wrong", 1)
        for name in ("an.nguyen", "no.such.user"):  # two failures each so far
            assert [refusal(name, "wrong guess!") for _ in range(accounts.MAX_FAILURES - 1)
                    ] == [("account.wrong", 1)] * 3 + [("account.locked", 0)]
        assert refusal("an.nguyen", PASSWORD) == ("account.locked", 0)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=accounts.LOCK_MINUTES + 1)
        assert accounts.authenticate(storage, "an.nguyen", PASSWORD, address=None,
                                     now=later).active


def counted(storage: Any, name: str, address: str = "?") -> int:
    """The wrong passwords counted towards a lock of ``name`` from ``address`` ("?": a
    client without one; "*": from all addresses)."""
    rows = storage._query("SELECT failures FROM login_failures WHERE name = $1 AND "
                          "address = $2", (name, address))
    return rows[0][0] if rows else 0


def test_wrong_passwords_given_at_once_each_count_towards_the_lock(db: str) -> None:
    """Seven wrong passwords at once, each verified while the others are: every one is
    counted, so the fifth locks the account and the two after it start the next count. The
    count was read before the verify and written back plus one, so a burst of any size
    counted as one failure and the lock never came."""
    import threading

    from kiosk.central.web import users as accounts

    burst = accounts.MAX_FAILURES + 2
    with open_storage(db, busy_timeout=CROWD_WAIT) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        start = threading.Barrier(burst)
        refusals: list[str] = []

        def guess() -> None:
            start.wait()
            try:
                accounts.authenticate(storage, "an.nguyen", "wrong guess!", address=None)
            except accounts.UserError as exc:
                refusals.append(exc.words.code)

        guessers = [threading.Thread(target=guess) for _ in range(burst)]
        for thread in guessers:
            thread.start()
        for thread in guessers:
            thread.join()
        assert refusals == ["account.wrong"] * burst
        user = accounts.get(storage, "an.nguyen")
        assert user is not None and user.locked_until is not None
        assert counted(storage, "an.nguyen") == burst - accounts.MAX_FAILURES
        assert counted(storage, "an.nguyen", accounts.EVERYWHERE) == burst
        with pytest.raises(accounts.UserError) as refused:
            accounts.authenticate(storage, "an.nguyen", PASSWORD, address=None)
        assert refused.value.words.code == "account.locked"


class GuessedMeanwhile:
    """A real argon2 hasher (cheap settings) that, while it verifies the owner's right
    password, lets ``guesses`` wrong ones for the same name be refused first: the order of
    a burst of guesses overlapping the owner's sign-in, made certain."""

    def __init__(self, storage: object, name: str) -> None:
        from argon2 import PasswordHasher

        self.hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
        self.storage, self.name, self.guesses = storage, name, 0

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        from kiosk.central.web import users as accounts

        if password == PASSWORD:
            guesses, self.guesses = self.guesses, 0
            for _ in range(guesses):
                with pytest.raises(accounts.UserError):
                    accounts.authenticate(self.storage, self.name, "wrong guess!",
                                          address=None)
        return self.hasher.verify(stored, password)


def test_a_right_password_is_refused_when_guesses_lock_the_account_during_its_check(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock is looked at again once the password is verified: five guesses counted
    while the owner's right password was being checked lock the account, and the sign-in
    is refused with them (it was let in, and its reset lifted the lock)."""
    from kiosk.central.web import users as accounts

    with open_storage(db) as storage:
        hasher = GuessedMeanwhile(storage, "an.nguyen")
        monkeypatch.setattr(accounts, "_argon2", lambda: (hasher, hasher.hash("nobody's")))
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        hasher.guesses = accounts.MAX_FAILURES
        with pytest.raises(accounts.UserError) as refused:
            accounts.authenticate(storage, "an.nguyen", PASSWORD, address=None)
        assert refused.value.words.code == "account.locked"
        user = accounts.get(storage, "an.nguyen")
        assert user is not None and user.locked_until is not None


def test_a_right_password_forgives_the_failures_before_it_not_those_during_its_check(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner's sign-in forgives the two failures counted before it was read; the two
    guesses counted while it was being verified stay counted, so three more make the five
    that lock the account. Resetting to 0 wiped them: guesses overlapping the owner's
    sign-ins never reached the lock."""
    from kiosk.central.web import users as accounts

    with open_storage(db) as storage:
        hasher = GuessedMeanwhile(storage, "an.nguyen")
        monkeypatch.setattr(accounts, "_argon2", lambda: (hasher, hasher.hash("nobody's")))
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)

        def guess() -> str:
            with pytest.raises(accounts.UserError) as refused:
                accounts.authenticate(storage, "an.nguyen", "wrong guess!", address=None)
            return refused.value.words.code

        assert [guess() for _ in range(2)] == ["account.wrong"] * 2
        hasher.guesses = 2
        assert accounts.authenticate(storage, "an.nguyen", PASSWORD,
                                     address=None).name == "an.nguyen"
        user = accounts.get(storage, "an.nguyen")
        assert user is not None and user.locked_until is None
        assert counted(storage, "an.nguyen") == 2
        assert [guess() for _ in range(3)] == ["account.wrong"] * 3
        assert guess() == "account.locked"


def test_a_form_over_its_bound_is_refused_413_before_it_is_parsed(tmp_path: Path) -> None:
    """Anyone may POST /login: a form body over FORM_MAX_BYTES, declared or streamed without
    a length, is answered 413 in the catalogue's words as soon as the bound is passed (before:
    Starlette's parser held up to 1000 fields of 1 MiB each, then the CSRF check refused it
    403). The largest form here still fits: a password one character too long, each character
    four bytes of UTF-8 (12 percent-encoded), reaches the sign-in and is refused as wrong."""
    from kiosk import messages
    from kiosk.central.web.site import FORM_MAX_BYTES
    from kiosk.central.web.users import MAX_PASSWORD

    db = database_url("sqlite", tmp_path)
    users("add", "an.nguyen", "--role", "admin", db=db)
    said = messages.text("web.too_large.form", "vi", limit=FORM_MAX_BYTES)
    with serving(db) as server, httpx.Client(base_url=server.url) as client:
        token = csrf(client, "/login")
        padded = {"csrf_token": token, "name": "an.nguyen", "pad": "x" * FORM_MAX_BYTES}
        declared = client.post("/login", data=padded)

        def streamed() -> Iterator[bytes]:  # chunked: no Content-Length to refuse it by
            yield f"csrf_token={token}&name=an.nguyen&pad=".encode()
            for _ in range(FORM_MAX_BYTES // 4096 + 1):
                yield b"x" * 4096

        chunked = client.post("/login", content=streamed(), headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        for answer in (declared, chunked):
            assert answer.status_code == 413, answer.text
            assert said in answer.text and "413" in answer.text
        longest = log_in(client, "an.nguyen", "\U0001d11e" * (MAX_PASSWORD + 1))
        assert longest.status_code == 401, longest.text
        assert log_in(client, "an.nguyen").status_code == 303
