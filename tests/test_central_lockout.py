"""Wrong passwords lock a name from the address they came from, and guessing spread over many
addresses is held to a cap, so that nobody who can reach the login page can lock the owner
out (kiosk.central.web.users). A real `kiosk-central serve`, clients connecting from
127.0.0.2 and 127.0.0.3 (Linux answers the whole of 127.0.0.0/8 on the loopback); the
module called with a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from central_support import (
    CROWD_WAIT,
    ENGINES,
    CentralServer,
    central,
    database_url,
    set_schema_version,
)
from test_central_users import PASSWORD, SETUP, audit_log, counted, users

from kiosk.central.backends import open_storage
from kiosk.central.web import users as accounts

ATTACKER, OWNER = "127.0.0.2", "127.0.0.3"
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0)
"""The start of the tests that set the time: now, so that a hold they set is in force."""


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


@contextmanager
def browser(server: CentralServer, address: str) -> Iterator[httpx.Client]:
    """A browser on a computer whose address is ``address``."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=server.url, transport=transport, timeout=60) as client:
        yield client


def log_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post("/login", data={"csrf_token": token, "name": name,
                                       "password": password, "next": "/today"})


def refusal(page: httpx.Response) -> str:
    """The reason the login page gives."""
    return page.text.split('role="alert">')[1].split("</p>")[0]


def test_a_strangers_wrong_passwords_lock_the_name_from_the_strangers_address_only(
        db: str) -> None:
    """Five wrong passwords for an.nguyen from the attacker's computer lock the name there —
    her right password from it is refused too, the page saying until when — and not at
    her own computer, where she signs in (before, the account was locked for everyone: five
    guesses a quarter-hour kept the province's administrator out for ever). A name nobody
    has is locked alike, in the same words: the lock does not tell which names exist."""
    users("add", "an.nguyen", "--role", "admin", db=db)
    server = CentralServer(db)
    try:
        with browser(server, ATTACKER) as attacker:
            for name in ("an.nguyen", "no.such.user"):
                assert [log_in(attacker, name, "wrong guess!").status_code
                        for _ in range(accounts.MAX_FAILURES)] == [401] * accounts.MAX_FAILURES
            locked = log_in(attacker, "an.nguyen")
            unknown = log_in(attacker, "no.such.user", "wrong guess!")
            with browser(server, OWNER) as owner:
                assert log_in(owner, "an.nguyen").status_code == 303
                assert owner.get("/today").status_code == 200
    finally:
        server.stop()
    assert (locked.status_code, unknown.status_code) == (401, 401)
    said = refusal(locked)
    assert said.startswith("Tên đăng nhập này tạm khoá từ địa chỉ này sau nhiều lần sai mật "
                           "khẩu, đến ")
    until = said.split(", đến ")[1].split(";")[0]  # local, 15 minutes on: "05/12/2026 15:15"
    assert len(until) == len("05/12/2026 15:15")
    # the same words, its own time (the two locks may fall either side of a minute)
    assert refusal(unknown).replace(refusal(unknown).split(", đến ")[1].split(";")[0],
                                    until) == said
    sign_ins = [(r["actor"], r["address"]) for r in audit_log(db) if r["kind"] == "sign-in"]
    assert sign_ins == [("an.nguyen", OWNER)]


class Counting:
    """A real argon2 hasher (cheap settings) that counts the passwords it verifies."""

    def __init__(self) -> None:
        from argon2 import PasswordHasher

        self.hasher, self.verified = PasswordHasher(time_cost=1, memory_cost=8192,
                                                    parallelism=1), 0

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        self.verified += 1
        return self.hasher.verify(stored, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> Counting:
    counting = Counting()
    monkeypatch.setattr(accounts, "_argon2", lambda: (counting, counting.hash("nobody's")))
    return counting


def attempt(storage: object, name: str, password: str, address: str,
            at: dt.datetime) -> str:
    """"signed in", or the refusal's code."""
    try:
        accounts.authenticate(storage, name, password, address=address, now=at)
    except accounts.UserError as exc:
        return exc.words.code
    return "signed in"


def test_guessing_spread_over_many_addresses_is_held_to_the_cap_and_the_owner_keeps_access(
        db: str, hasher: Counting) -> None:
    """An attacker with a new address for every guess: the ACCOUNT_FAILURESth wrong password
    within the hour holds the name for an hour against every address it has not signed in
    from. Held guesses are refused unverified; the owner signs in from the computer she used
    before, not from a new one; the hold ends after its hour. An unknown name is held alike."""
    cap = accounts.ACCOUNT_FAILURES
    with open_storage(db) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        assert attempt(storage, "an.nguyen", PASSWORD, "10.0.0.1",
                       T0 - dt.timedelta(days=29)) == "signed in"
        for name in ("an.nguyen", "no.such.user"):
            before = hasher.verified
            guesses = [attempt(storage, name, "wrong guess!", f"198.51.100.{i}",
                               T0 + dt.timedelta(seconds=i)) for i in range(2 * cap)]
            assert guesses == ["account.wrong"] * cap + ["account.locked"] * cap
            assert hasher.verified - before == cap
        later = T0 + dt.timedelta(minutes=5)
        assert attempt(storage, "an.nguyen", PASSWORD, "10.0.0.1", later) == "signed in"
        assert attempt(storage, "an.nguyen", PASSWORD, "10.0.0.2", later) == "account.locked"
        user = accounts.get(storage, "an.nguyen")
        assert user is not None and user.locked_until is not None
        after = T0 + dt.timedelta(seconds=cap - 1, minutes=accounts.HOLD_MINUTES + 1)
        assert attempt(storage, "an.nguyen", PASSWORD, "10.0.0.2", after) == "signed in"


def test_a_held_name_is_signed_in_from_a_new_address_by_a_browser_it_signed_in_on(
        db: str) -> None:
    """A steady 20 guesses an hour would keep the name held against every new address for as
    long as they last. A browser the owner signed in on keeps a device cookie, a signed
    random id (OWASP's device cookie): from a new address — a changed home connection, IPv6
    privacy addresses — it is let through the hold. A browser without one, or with a forged
    one, is still held."""
    users("add", "an.nguyen", "--role", "admin", db=db)
    server = CentralServer(db)
    try:
        with browser(server, OWNER) as laptop:
            assert log_in(laptop, "an.nguyen").status_code == 303
            cookies = httpx.Cookies(laptop.cookies)
        for i in range(accounts.ACCOUNT_FAILURES):
            with browser(server, f"127.0.1.{i + 1}") as attacker:
                assert log_in(attacker, "an.nguyen", "wrong guess!").status_code == 401
        with browser(server, "127.0.0.4") as stranger:
            held = log_in(stranger, "an.nguyen")
            stranger.cookies.set("kc_device", "an.nguyen.forged")
            forged = log_in(stranger, "an.nguyen")
        with browser(server, "127.0.0.4") as laptop:  # the owner's laptop, moved
            laptop.cookies.update(cookies)
            assert log_in(laptop, "an.nguyen").status_code == 303
    finally:
        server.stop()
    assert (held.status_code, forged.status_code) == (401, 401)
    assert refusal(held).startswith("Tên đăng nhập này tạm khoá") and refusal(forged) == refusal(
        held)


def device_cookie(client: httpx.Client) -> str:
    """The device cookie a browser was given at its last sign-in."""
    value = client.cookies.get("kc_device")
    assert value
    return value


def hold(server: CentralServer, name: str) -> None:
    """ACCOUNT_FAILURES wrong passwords for ``name``, each from a new address: it is held."""
    for i in range(accounts.ACCOUNT_FAILURES):
        with browser(server, f"127.0.1.{i + 1}") as attacker:
            assert log_in(attacker, name, "wrong guess!").status_code == 401


def test_a_stranger_at_the_owners_address_does_not_keep_her_own_browser_out(db: str) -> None:
    """A province office reaches the centre from one public address (its NAT). A stranger in
    the office locks an.nguyen from that address with 5 wrong passwords — a browser that
    never signed in as her is refused there, her right password too — but her own browser,
    showing the device cookie it was given, signs in from it (before, the lock of the name
    from the address refused it as well: 5 guesses every 15 minutes kept her out for good).
    Her sign-in vouches for her browser, not the address: the lock from there stands."""
    office = ATTACKER
    users("add", "an.nguyen", "--role", "admin", db=db)
    server = CentralServer(db)
    try:
        with browser(server, office) as laptop:
            assert log_in(laptop, "an.nguyen").status_code == 303
            with browser(server, office) as stranger:
                assert [log_in(stranger, "an.nguyen", "wrong guess!").status_code
                        for _ in range(accounts.MAX_FAILURES)] == [401] * accounts.MAX_FAILURES
                refused = log_in(stranger, "an.nguyen")
                assert log_in(laptop, "an.nguyen").status_code == 303
                still = log_in(stranger, "an.nguyen")
    finally:
        server.stop()
    assert (refused.status_code, still.status_code) == (401, 401)
    assert refusal(refused).startswith("Tên đăng nhập này tạm khoá từ địa chỉ này")


def test_a_copied_device_cookie_gives_a_guesser_five_passwords_not_an_uncapped_count(
        db: str) -> None:
    """The owner's device cookie copied from a shared office computer: with it a guesser
    passes the name's hold and its locks, but every password typed with it is counted in
    the cookie, and after DEVICE_FAILURES wrong ones it is trusted no more — the guesser's
    next attempts from new addresses are held like any browser's (before, the cookie was
    the name signed: every guess with it was checked, without end)."""
    users("add", "an.nguyen", "--role", "admin", db=db)
    server = CentralServer(db)
    try:
        with browser(server, OWNER) as office_pc:
            assert log_in(office_pc, "an.nguyen").status_code == 303
            copied = device_cookie(office_pc)
        hold(server, "an.nguyen")
        answers = []
        for i in range(accounts.DEVICE_FAILURES + 3):
            with browser(server, f"127.0.2.{i + 1}") as guesser:
                guesser.cookies.set("kc_device", copied)
                answers.append(refusal(log_in(guesser, "an.nguyen", f"guess {i} xxxxx")))
    finally:
        server.stop()
    assert ["held" if answer.startswith("Tên đăng nhập này tạm khoá") else answer
            for answer in answers] == (
        ["Sai tên hoặc mật khẩu."] * accounts.DEVICE_FAILURES + ["held"] * 3)


def test_every_sign_in_gives_a_new_device_cookie_and_the_one_it_replaces_is_not_trusted(
        db: str) -> None:
    """A device cookie is a random id signed with when it was given, new at every sign-in:
    two browsers get two, and a browser signing in again gets a new one. A copy of the one
    it replaced no longer passes a hold (before, every cookie of a name was the same value,
    for ever)."""
    users("add", "an.nguyen", "--role", "admin", db=db)
    server = CentralServer(db)
    try:
        with browser(server, OWNER) as laptop, browser(server, OWNER) as phone:
            assert log_in(laptop, "an.nguyen").status_code == 303
            assert log_in(phone, "an.nguyen").status_code == 303
            first, other = device_cookie(laptop), device_cookie(phone)
            assert log_in(laptop, "an.nguyen").status_code == 303
            second = device_cookie(laptop)
        hold(server, "an.nguyen")
        answers = {}
        for label, cookie in (("first", first), ("second", second)):
            with browser(server, "127.0.0.4") as moved:
                moved.cookies.set("kc_device", cookie)
                answers[label] = log_in(moved, "an.nguyen").status_code
    finally:
        server.stop()
    assert len({first, other, second}) == 3
    assert answers == {"first": 401, "second": 303}


def trust(storage: object, name: str, issued: dt.datetime = T0) -> str:
    """A device cookie's id given to a browser that signed in as ``name`` at ``issued``."""
    return accounts.remember_browser(storage, name, replacing=None, now=issued)


def held_from_new_address(storage: object, device: str, at: dt.datetime) -> str:
    """an.nguyen held by guesses from many addresses, then her right password from a new
    address in a browser showing ``device``."""
    for i in range(accounts.ACCOUNT_FAILURES):
        attempt(storage, "an.nguyen", "wrong guess!", f"198.51.100.{i}", at)
    try:
        accounts.authenticate(storage, "an.nguyen", PASSWORD, address="203.0.113.1",
                              device=device, now=at)
    except accounts.UserError as exc:
        return exc.words.code
    return "signed in"


@pytest.mark.parametrize("revoke", ["reset_password", "unlock", "disable"])
def test_a_new_password_an_unlock_or_a_disabling_revokes_every_device_cookie_of_the_name(
        db: str, hasher: Counting, revoke: str) -> None:
    """A stolen cookie must be revocable: a new password, an unlock and a disabling each
    forget every device cookie of the name, in every browser; another name's stay. A
    cookie over DEVICE_DAYS old is not trusted either."""
    with open_storage(db) as storage:
        for name in ("an.nguyen", "lan.pham"):
            accounts.add(storage, name, "admin", PASSWORD, by=SETUP)
        laptop, phone = trust(storage, "an.nguyen"), trust(storage, "an.nguyen")
        trust(storage, "lan.pham")
        if revoke == "reset_password":
            accounts.reset_password(storage, "an.nguyen", PASSWORD, by=SETUP)
        else:
            getattr(accounts, revoke)(storage, "an.nguyen", by=SETUP)
        kept = storage._query("SELECT name FROM login_devices")
        later = T0 + dt.timedelta(minutes=1)
        if revoke != "disable":  # a disabled name signs in with nothing
            assert held_from_new_address(storage, laptop, later) == "account.locked"
            assert held_from_new_address(storage, phone, later) == "account.locked"
    assert kept == [("lan.pham",)]


def test_guesses_at_once_with_one_copied_device_cookie_are_trusted_five_times_in_all(
        db: str) -> None:
    """40 guesses at once with the owner's copied cookie, each from a new address while the
    name is held, with the real argon2: DEVICE_FAILURES are checked, the rest refused
    unchecked. Each is counted in the cookie before its slow verify, by the statement that
    decides whether it is trusted: none read a count the others had not yet raised."""
    with open_storage(db, busy_timeout=CROWD_WAIT) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        copied = trust(storage, "an.nguyen", dt.datetime.now(dt.UTC))
        for i in range(accounts.ACCOUNT_FAILURES):
            attempt(storage, "an.nguyen", "wrong guess!", f"198.51.100.{i}",
                    dt.datetime.now(dt.UTC))

        def guess(i: int) -> str:
            try:
                accounts.authenticate(storage, "an.nguyen", f"guess {i:04d} xx",
                                      address=f"2001:db8:{i}::1", device=copied)
            except accounts.UserError as exc:
                return exc.words.code
            return "signed in"

        with ThreadPoolExecutor(40) as threads:
            answers = list(threads.map(guess, range(40)))
    assert (answers.count("account.wrong"), answers.count("account.locked")) == (
        accounts.DEVICE_FAILURES, 40 - accounts.DEVICE_FAILURES)


def test_a_device_cookie_is_trusted_for_a_year_not_for_ever(db: str, hasher: Counting) -> None:
    with open_storage(db) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        young = trust(storage, "an.nguyen", T0 - dt.timedelta(days=accounts.DEVICE_DAYS - 1))
        old = trust(storage, "an.nguyen", T0 - dt.timedelta(days=accounts.DEVICE_DAYS + 1))
        assert held_from_new_address(storage, old, T0) == "account.locked"
        assert held_from_new_address(storage, young, T0) == "signed in"


def test_an_ipv4_client_written_ipv4_mapped_is_counted_as_its_ipv4_address(
        db: str, hasher: Counting) -> None:
    """A server listening on IPv6 and IPv4 at once sees IPv4 clients as ``::ffff:a.b.c.d``;
    counted by their /64 they would all be one client, and one stranger's 5 guesses would
    lock the name from every IPv4 address."""
    with open_storage(db) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        for _ in range(accounts.MAX_FAILURES):
            attempt(storage, "an.nguyen", "wrong guess!", "::ffff:198.51.100.1", T0)
        assert attempt(storage, "an.nguyen", PASSWORD, "198.51.100.1", T0) == "account.locked"
        assert attempt(storage, "an.nguyen", PASSWORD, "::ffff:198.51.100.2", T0) == "signed in"


def test_an_ipv6_client_is_locked_by_its_64_network_not_its_address(
        db: str, hasher: Counting) -> None:
    """An IPv6 home or phone has a whole /64 and changes its address daily (privacy
    addresses); a guesser there could take a new one for every guess. Failures are counted
    per /64: 5 from five addresses of one lock the name from all of it, not from another."""
    with open_storage(db) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        guesses = [attempt(storage, "an.nguyen", "wrong guess!", f"2001:db8:1:2::{i}", T0)
                   for i in range(1, accounts.MAX_FAILURES + 1)]
        assert guesses == ["account.wrong"] * accounts.MAX_FAILURES
        assert attempt(storage, "an.nguyen", PASSWORD, "2001:db8:1:2:abcd::9", T0) == (
            "account.locked")
        assert attempt(storage, "an.nguyen", PASSWORD, "2001:db8:1:3::1", T0) == "signed in"


def test_the_cap_bounds_the_guesses_an_attacker_with_many_addresses_gets_in_any_hour(
        db: str, hasher: Counting) -> None:
    """Six hours of a guess every 20 seconds, each from a new address: at most
    ACCOUNT_FAILURES are verified an hour over the six, fewer than twice that in any hour;
    under the old lock of the whole account the same attacker kept the owner out all along.
    The owner, at a computer she signed in from, is never refused."""
    cap = accounts.ACCOUNT_FAILURES
    with open_storage(db) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        assert attempt(storage, "an.nguyen", PASSWORD, "10.0.0.1", T0) == "signed in"
        verified: list[dt.datetime] = []
        for step in range(6 * 180):
            at = T0 + dt.timedelta(seconds=20 * step)
            before = hasher.verified
            attempt(storage, "an.nguyen", "wrong guess!", f"198.51.{step // 250}.{step % 250}",
                    at)
            if hasher.verified > before:
                verified.append(at)
            if step % 90 == 0:
                assert attempt(storage, "an.nguyen", PASSWORD, "10.0.0.1", at) == "signed in"
        assert len(verified) <= 6 * cap
        assert max(sum(1 for t in verified if start <= t < start + dt.timedelta(hours=1))
                   for start in verified) < 2 * cap


def test_guesses_in_flight_when_the_cap_is_reached_are_refused_unverified(db: str) -> None:
    """100 guesses from 100 addresses, 40 at a time (a serve process's threads), with the
    real argon2: only ACCOUNT_FAILURES are verified. Each is counted before its slow verify,
    by a statement refusing it once the hold is in force (before, counted after it: the 39
    in flight when the cap was reached were all verified, 59 in all)."""
    with open_storage(db, busy_timeout=CROWD_WAIT) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)

        def guess(i: int) -> str:
            return attempt(storage, "an.nguyen", f"guess {i:04d} xx", f"2001:db8:{i}::1",
                           dt.datetime.now(dt.UTC))

        with ThreadPoolExecutor(40) as threads:
            answers = list(threads.map(guess, range(100)))
    assert (answers.count("account.wrong"), answers.count("account.locked")) == (
        accounts.ACCOUNT_FAILURES, 100 - accounts.ACCOUNT_FAILURES)


def test_unlocking_while_the_name_is_guessed_and_signed_in_never_deadlocks(
        tmp_path: Path, hasher: Counting) -> None:
    """PostgreSQL's row locks: an administrator unlocking a name (and resetting its password)
    while strangers guess it from many addresses and the owner signs in. Every transaction
    takes the name's rows in one order — the count from all addresses first — and the
    prune never waits on a row an unlock holds, so none is cancelled as a deadlock (before,
    an unlock's one UPDATE took the name's rows in the order it met them, while a wrong
    password held its address's row and then wanted the count from all addresses)."""
    db = database_url("postgresql", tmp_path)
    with open_storage(db, busy_timeout=CROWD_WAIT) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)

        def sign_in(i: int) -> str:
            if i % 10 == 0:
                accounts.unlock(storage, "an.nguyen", by=SETUP)
                return "unlocked"
            if i % 10 == 1:
                accounts.reset_password(storage, "an.nguyen", PASSWORD, by=SETUP)
                return "reset"
            return attempt(storage, "an.nguyen", PASSWORD if i % 10 == 2 else "wrong guess!",
                           f"198.51.100.{i % 7}", dt.datetime.now(dt.UTC))

        with ThreadPoolExecutor(16) as threads:
            answers = list(threads.map(sign_in, range(600)))
    assert set(answers) <= {"unlocked", "reset", "signed in", "account.wrong",
                            "account.locked"}


def test_an_administrator_unlocks_a_name_on_the_users_page_and_with_the_command(
        db: str) -> None:
    """The Users page shows a locked name with until when and an Unlock button; it, and
    `kiosk-central users unlock`, lift the locks from every address, each written to the
    audit log (`user-unlock`) with who did it."""
    users("add", "an.nguyen", "--role", "admin", db=db)
    users("add", "lan.pham", "--role", "tracer", db=db)
    server = CentralServer(db)

    def lock_out(client: httpx.Client) -> None:
        assert [log_in(client, "lan.pham", "wrong guess!").status_code
                for _ in range(accounts.MAX_FAILURES)] == [401] * accounts.MAX_FAILURES
        assert log_in(client, "lan.pham").status_code == 401

    try:
        with browser(server, ATTACKER) as tracer, browser(server, OWNER) as admin:
            lock_out(tracer)
            assert log_in(admin, "an.nguyen").status_code == 303
            page = admin.get("/users").text
            assert "Tạm khoá (sai mật khẩu) đến " in page
            assert 'action="/users/lan.pham/unlock"' in page
            assert 'action="/users/an.nguyen/unlock"' not in page
            token = page.split('name="csrf_token" value="')[1].split('"')[0]
            done = admin.post("/users/lan.pham/unlock", data={"csrf_token": token})
            assert done.status_code == 200, done.text
            assert "Đã gỡ tạm khoá lan.pham" in done.text
            assert "Tạm khoá (sai mật khẩu)" not in done.text
            assert log_in(tracer, "lan.pham").status_code == 303
            lock_out(tracer)
            listed = json.loads(central("users", "list", "--db", db, "--json").stdout)
            assert [u["locked_until"] is not None for u in listed] == [False, True]
            unlocked = users("unlock", "lan.pham", password=None, db=db)
            assert unlocked.returncode == 0
            assert "Unlocked lan.pham: its wrong passwords forgotten" in unlocked.stdout
            assert log_in(tracer, "lan.pham").status_code == 303
    finally:
        server.stop()
    again = users("unlock", "lan.pham", password=None, db=db)
    assert again.returncode == 0 and "lan.pham was not locked" in again.stdout
    unknown = users("unlock", "nobody", password=None, db=db)
    assert unknown.returncode == 1 and "unknown user 'nobody'" in unknown.stderr
    command = f"{getpass.getuser()}@{socket.gethostname()}"
    assert [(r["actor"], r["channel"], r["address"], r["subject"]) for r in audit_log(db)
            if r["kind"] == "user-unlock"] == [
        ("an.nguyen", "web", OWNER, "account lan.pham (tracer)"),
        (command, "cli", None, "account lan.pham (tracer)"),
        (command, "cli", None, "account lan.pham (tracer)")]


def test_an_address_is_kept_only_while_it_tells_something(tmp_path: Path,
                                                          hasher: Counting) -> None:
    """A stranger's failures are forgotten, address and all, once their hour is over and
    no lock stands; an address the owner signed in from is kept KNOWN_DAYS, then forgotten
    too (docs/privacy.md)."""
    with open_storage(f"sqlite:///{tmp_path}/central.db") as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)

        def kept() -> list[str]:
            return [row[0] for row in storage._query(
                "SELECT address FROM login_failures ORDER BY address")]

        attempt(storage, "an.nguyen", PASSWORD, "10.0.0.1", T0)
        attempt(storage, "an.nguyen", "wrong guess!", "198.51.100.1", T0)
        assert kept() == ["*", "10.0.0.1", "198.51.100.1"]
        hour = T0 + dt.timedelta(minutes=accounts.WINDOW_MINUTES, seconds=1)
        attempt(storage, "an.nguyen", "wrong guess!", "198.51.100.2", hour)
        assert kept() == ["*", "10.0.0.1", "198.51.100.2"]
        assert counted(storage, "an.nguyen", accounts.EVERYWHERE) == 1  # a new hour's count
        month = T0 + dt.timedelta(days=accounts.KNOWN_DAYS, hours=2)
        attempt(storage, "no.such.user", "wrong guess!", "198.51.100.3", month)
        assert [row[0] for row in storage._query(
            "SELECT name || ' ' || address FROM login_failures ORDER BY 1")] == [
            "no.such.user *", "no.such.user 198.51.100.3"]


def test_the_prune_at_every_attempt_reads_only_the_rows_whose_hour_is_over(
        tmp_path: Path) -> None:
    """Each attempt forgets the rows with nothing left to tell, holding SQLite's one write
    lock (the kiosks' uploads wait on it): it finds them by an index of the time of their
    failures, not by reading every row — a million made-up names cost 44-99 ms a guess."""
    with open_storage(f"sqlite:///{tmp_path}/central.db"):
        pass
    with sqlite3.connect(tmp_path / "central.db") as con:
        plan = " ".join(row[-1] for row in con.execute(
            "EXPLAIN QUERY PLAN " + accounts._PRUNE, ("", "", "")))
    assert "USING INDEX login_failures_stale" in plan


def test_a_v35_database_gets_the_failures_table_and_its_old_locks_no_longer_hold(
        db: str) -> None:
    """v36 on both engines: a database from before it counts failures per address once
    opened, and a lock of the whole account it held (users.locked_until) refuses no one."""
    with open_storage(db) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        with storage._transaction() as tx:  # as v35 left it, the account locked
            storage._execute(tx, "DROP TABLE login_failures")
            storage._execute(tx, "UPDATE users SET failed_logins = 0, locked_until = $1",
                             ("2999-01-01T00:00:00.000000Z",))
            set_schema_version(storage, tx, 35)
    with open_storage(db) as storage:
        assert accounts.authenticate(storage, "an.nguyen", PASSWORD, address=OWNER).active
        with pytest.raises(accounts.UserError):
            accounts.authenticate(storage, "an.nguyen", "wrong guess!", address=ATTACKER)
        assert counted(storage, "an.nguyen", ATTACKER) == 1



def test_a_v40_database_gets_the_device_table_and_the_old_device_cookies_are_not_trusted(
        db: str) -> None:
    """v41 on both engines: a database from before it keeps its browsers' ids once opened;
    a device cookie of before — the name signed, the same for ever — is no device id."""
    from itsdangerous import Signer

    from kiosk.central.web.sessions import Sessions, secret

    with open_storage(db) as storage:
        accounts.add(storage, "an.nguyen", "admin", PASSWORD, by=SETUP)
        with storage._transaction() as tx:  # as v40 left it
            storage._execute(tx, "DROP TABLE login_devices")
            set_schema_version(storage, tx, 40)
    with open_storage(db) as storage:
        device = accounts.remember_browser(storage, "an.nguyen", replacing=None)
        sessions = Sessions(storage)
        old = Signer(secret(storage), salt="kiosk-central device").sign("an.nguyen").decode()
        assert (sessions.device_id(sessions.device_cookie(device)), sessions.device_id(old)) == (
            device, None)
        assert storage._query("SELECT name FROM login_devices") == [("an.nguyen",)]
