"""What an administrator can get wrong with an account, and what the centre now says: a
district the registry does not have, a disabling at one tap, a weak password — with real
`kiosk-central users` commands and a real `kiosk-central serve` on SQLite, the sample
registry imported."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import CENTRAL, CentralServer, central
from markupsafe import escape
from web_support import SAMPLE, csrf

PASSWORD = "a long enough secret"


def users(db: str, *args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess:
    """`kiosk-central users …` with the password on standard input (as a script gives it)."""
    extra = ["--password-file", "-"] if password is not None else []
    return subprocess.run([*CENTRAL, "users", *args, *extra, "--db", db], input=(
        f"{password}\n" if password is not None else ""), capture_output=True, text=True,
        timeout=60)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A centre with the sample registry (districts Bình Long, Chơn Thành, Đồng Xoài) and
    one administrator, admin1."""
    db = f"sqlite:///{tmp_path}/central.db"
    central("init", "--db", db)
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    assert users(db, "add", "admin1", "--role", "admin", "--own-password").returncode == 0
    return db


@pytest.fixture
def server(db: str) -> Iterator[CentralServer]:
    server = CentralServer(db)
    yield server
    server.stop()


@pytest.fixture
def admin(server: CentralServer) -> Iterator[httpx.Client]:
    """admin1 signed in, in English."""
    with httpx.Client(base_url=server.url, timeout=30, cookies={"kc_lang": "en"}) as client:
        answer = client.post("/login", data={"csrf_token": csrf(client.get("/login").text),
                                             "name": "admin1", "password": PASSWORD})
        assert answer.status_code == 303, answer.text[:300]
        yield client


def post(client: httpx.Client, path: str, **form: str) -> httpx.Response:
    """A form of the Users page sent as the browser sends it (with its token)."""
    return client.post(path, data={"csrf_token": csrf(client.get("/users").text), **form})


def names(db: str) -> list[str]:
    listed = central("users", "list", "--json", "--db", db).stdout
    return [user["name"] for user in json.loads(listed)]


# -- a district the registry does not have ---------------------------------------------------
@pytest.mark.parametrize("typed", ["Dong Xoai", "Đồng  Xoài", "dong xoai"])
def test_a_mistyped_district_is_refused_naming_the_one_meant(db: str, typed: str) -> None:
    added = users(db, "add", "dx.officer", "--role", "district", "--district", typed)
    assert added.returncode == 1
    assert "Đồng Xoài" in added.stderr and "not in the checkpoint registry" in added.stderr
    assert "dx.officer" not in names(db)
    assert users(db, "add", "dx.officer", "--role", "viewer").returncode == 0
    moved = users(db, "set-role", "dx.officer", "--role", "district", "--district", typed,
                  password=None)
    assert moved.returncode == 1 and "Đồng Xoài" in moved.stderr
    assert users(db, "set-role", "dx.officer", "--role", "district", "--district", "Đồng Xoài",
                 password=None).returncode == 0


def test_the_users_page_offers_the_registrys_districts_and_refuses_another(
        admin: httpx.Client, db: str) -> None:
    page = admin.get("/users").text
    assert ('<datalist id="districts"><option value="Bình Long"><option value="Chơn Thành">'
            '<option value="Đồng Xoài"></datalist>') in page
    assert 'name="district" id="add-district" list="districts"' in page
    refused = post(admin, "/users/add", name="dx.officer", role="district",
                   district="Dong Xoai", password=PASSWORD)
    assert refused.status_code == 422
    assert escape("district 'Dong Xoai' is not in the checkpoint registry; nearest: "
                  "Đồng Xoài") in refused.text
    assert "dx.officer" not in names(db)
    added = post(admin, "/users/add", name="dx.officer", role="district",
                 district="Đồng Xoài", password=PASSWORD)
    assert added.status_code == 200 and "dx.officer added." in added.text


# -- disabling asks first, and can be undone ---------------------------------------------------
def log_in(server: CentralServer, name: str, password: str = PASSWORD) -> int:
    """The login's status in a fresh browser: 303 signed in, 401 refused."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        return client.post("/login", data={"csrf_token": csrf(client.get("/login").text),
                                           "name": name, "password": password}).status_code


def audit_kinds(db: str, name: str) -> list[str]:
    """The kinds of the audit records about account ``name``, oldest first."""
    records = json.loads(central("audit", "list", "--db", db, "--json").stdout)
    return [r["kind"] for r in reversed(records)
            if r["subject"].startswith(f"account {name} ")]


def test_disable_on_the_users_page_asks_first_and_an_enable_takes_it_back(
        admin: httpx.Client, server: CentralServer, db: str) -> None:
    assert users(db, "add", "tracer1", "--role", "tracer").returncode == 0
    page = admin.get("/users").text
    # the row's "Disable" opens a question; it is no form that disables at a tap
    assert '<a href="/users/tracer1/disable" class="danger" id="disable-tracer1">' in page
    assert 'action="/users/tracer1/disable"' not in page
    question = admin.get("/users/tracer1/disable")
    assert question.status_code == 200 and "Disable tracer1?" in question.text
    assert '<a href="/users/tracer1/disable"' not in question.text
    # a post without the question's answer only asks it
    asked = admin.post("/users/tracer1/disable", data={"csrf_token": csrf(question.text)})
    assert asked.status_code == 200 and "Disable tracer1?" in asked.text
    assert log_in(server, "tracer1") == 303
    done = admin.post("/users/tracer1/disable",
                      data={"csrf_token": csrf(question.text), "confirm": "yes"})
    assert "tracer1 disabled" in done.text
    assert log_in(server, "tracer1") == 401
    # the name is not free again: the refusal says how to take the account back
    again = post(admin, "/users/add", name="tracer1", role="tracer", password=PASSWORD)
    assert again.status_code == 422
    assert escape("user 'tracer1' already exists, disabled: enable it with the Users page's "
                  "“Enable” or kiosk-central users enable tracer1") in again.text
    assert 'action="/users/tracer1/enable"' in again.text
    enabled = post(admin, "/users/tracer1/enable")
    assert "tracer1 enabled: they sign in with their password again." in enabled.text
    assert log_in(server, "tracer1") == 303
    assert audit_kinds(db, "tracer1") == ["user-add", "sign-in", "user-disable",
                                          "user-enable", "sign-in"]


def test_a_password_reset_of_a_disabled_account_says_it_is_still_disabled(
        server: CentralServer, db: str) -> None:
    assert users(db, "add", "tracer1", "--role", "tracer").returncode == 0
    assert users(db, "disable", "tracer1", password=None).returncode == 0
    reset = users(db, "reset-password", "tracer1", password="another long secret")
    assert reset.returncode == 0
    assert ("tracer1 is still disabled: its logins are refused until it is enabled "
            "(kiosk-central users enable tracer1)") in reset.stdout
    assert log_in(server, "tracer1", "another long secret") == 401
    enabled = users(db, "enable", "tracer1", password=None)
    assert enabled.returncode == 0 and "Enabled tracer1" in enabled.stdout
    assert "was not disabled" in users(db, "enable", "tracer1", password=None).stdout
    assert log_in(server, "tracer1", "another long secret") == 303
    assert audit_kinds(db, "tracer1") == ["user-add", "user-disable", "user-password",
                                          "user-enable", "sign-in"]


# -- passwords: not easily guessed, and changed by their owner ---------------------------------
@pytest.mark.parametrize(("name", "password", "problem"), [
    ("tracer2", "1234567890", "password: too common or easy to guess"),
    ("tracer2", "abcdefghij", "password: too common or easy to guess"),
    ("tracer2", "Password123", "password: too common or easy to guess"),
    ("admin2", "aaaaaaaaaa", "password: repeats a character or a piece"),
    ("tracer2", "abcabcabca", "password: repeats a character or a piece"),
    ("weak2", "weak2weak2", "password: must not contain the login name"),
    ("tracer2", "my tracer2 pass", "password: must not contain the login name"),
])
def test_a_password_easily_guessed_is_refused_saying_why(db: str, name: str, password: str,
                                                         problem: str) -> None:
    added = users(db, "add", name, "--role", "tracer", password=password)
    assert added.returncode == 1 and problem in added.stderr
    assert "mật khẩu:" in added.stderr  # in Vietnamese too
    assert name not in names(db)


def change(client: httpx.Client, current: str, new: str, again: str | None = None,
           next: str = "/today") -> httpx.Response:
    page = client.get("/account/password").text
    return client.post("/account/password", data={
        "csrf_token": csrf(page), "current": current, "new": new,
        "again": new if again is None else again, "next": next})


def test_a_password_an_administrator_gave_out_is_changed_by_its_owner_before_any_page(
        admin: httpx.Client, server: CentralServer, db: str) -> None:
    given = "given out by admin1"
    assert post(admin, "/users/add", name="tracer1", role="tracer",
                password=given).status_code == 200
    with httpx.Client(base_url=server.url, timeout=30, cookies={"kc_lang": "en"}) as tracer:
        signed = tracer.post("/login", data={"csrf_token": csrf(tracer.get("/login").text),
                                             "name": "tracer1", "password": given,
                                             "next": "/tracing"})
        assert signed.headers["location"] == "/account/password?next=%2Ftracing"
        # no page but this one until it is changed; the trace API neither
        assert tracer.get("/tracing").headers["location"] == "/account/password?next=%2Ftracing"
        page = tracer.get("/account/password?next=/tracing").text
        assert "This password was set by an administrator" in page
        for current, new, again, problem in (
                ("not it at all", "my own long phrase", None, "the current password is wrong"),
                (given, "1234567890", None, "password: too common or easy to guess"),
                (given, "tracer1 is my name", None, "password: must not contain the login name"),
                (given, given, None, "the new password must differ from the current one"),
                (given, "my own long phrase", "my own long phrasf", "the two passwords differ")):
            refused = change(tracer, current, new, again, next="/tracing")
            assert refused.status_code == 422 and f"Not changed: {problem}" in refused.text
        done = change(tracer, given, "my own long phrase", next="/tracing")
        assert done.status_code == 303 and done.headers["location"] == "/tracing"
        assert tracer.get("/tracing").status_code == 200
    assert log_in(server, "tracer1", given) == 401
    assert log_in(server, "tracer1", "my own long phrase") == 303
    records = json.loads(central("audit", "list", "--kind", "user-password", "--db", db,
                                 "--json").stdout)
    assert [(r["actor"], r["subject"]) for r in records] == [
        ("tracer1", "account tracer1 (tracer)")]


def test_a_password_users_add_sets_on_the_server_is_changed_at_sign_in_unless_her_own(
        server: CentralServer, db: str) -> None:
    """`kiosk-central users add` sets a password for someone else, as the Users page does:
    its owner changes it before any page. `--own-password` is for one typing her own (the
    first administrator, admin1 here): she goes straight to her page. Before, every
    account the command made kept the password whoever ran it had typed."""
    given = users(db, "add", "tracer2", "--role", "tracer")
    assert given.returncode == 0
    assert "tracer2 changes this password at the first sign-in" in given.stdout
    assert "tracer2 sẽ phải đổi mật khẩu này" in given.stdout
    own = users(db, "add", "viewer2", "--role", "viewer", "--own-password")
    assert own.returncode == 0 and "first sign-in" not in own.stdout
    for name, page in (("tracer2", "/account/password?next=%2Ftoday"), ("admin1", "/today"),
                       ("viewer2", "/today")):
        with httpx.Client(base_url=server.url, timeout=30) as client:
            signed = client.post("/login", data={"csrf_token": csrf(client.get("/login").text),
                                                 "name": name, "password": PASSWORD})
            assert (signed.status_code, signed.headers["location"]) == (303, page), name


def test_every_signed_in_user_can_change_her_password_and_a_reset_asks_for_it_again(
        admin: httpx.Client, server: CentralServer, db: str) -> None:
    assert 'href="/account/password" id="change-password"' in admin.get("/today").text
    assert admin.get("/users").status_code == 200  # the server's own users add: kept
    done = change(admin, PASSWORD, "my own new phrase")
    assert done.status_code == 303
    assert log_in(server, "admin1", "my own new phrase") == 303
    reset = users(db, "reset-password", "admin1", password="reset on the server")
    assert reset.returncode == 0
    assert log_in(server, "admin1", "reset on the server") == 303
    with httpx.Client(base_url=server.url, timeout=30) as again:
        signed = again.post("/login", data={"csrf_token": csrf(again.get("/login").text),
                                            "name": "admin1",
                                            "password": "reset on the server"})
        assert signed.headers["location"] == "/account/password?next=%2Ftoday"
