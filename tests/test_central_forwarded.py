"""A centre behind a load balancer on another host: `serve --forwarded-allow-ips` names the
balancer, whose `X-Forwarded-For` then says who the client is — for the login limit (30 an
address a minute) and the audit log — and whose `X-Forwarded-Proto` says HTTPS. Anyone else
sending those headers is not believed. A real `kiosk-central serve`; the balancer is a client
connecting from 127.0.0.2, a stranger one from 127.0.0.3 (Linux answers the whole of
127.0.0.0/8 on the loopback)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from central_support import CentralServer, database_url
from web_support import PASSWORD, add_users, csrf

from kiosk.central.web.login_throttle import LIMIT

BALANCER, STRANGER = "127.0.0.2", "127.0.0.3"


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(url, database file) of a centre trusting the balancer only, with admin1."""
    tmp = tmp_path_factory.mktemp("forwarded")
    db = database_url("sqlite", tmp)
    add_users(db, {"admin1": ("admin", None)})
    server = CentralServer(db, "--forwarded-allow-ips", BALANCER)
    yield server.url, tmp / "central.db"
    server.stop()


@contextmanager
def client_from(address: str, url: str, **headers: str) -> Iterator[httpx.Client]:
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=url, transport=transport, headers=headers, timeout=30) as client:
        yield client


def wrong_logins(client: httpx.Client, count: int, **headers: str) -> list[int]:
    """The answers to ``count`` logins of nobody (wrong names lock no account)."""
    token = csrf(client.get("/login", headers=headers).text)
    return [client.post("/login", headers=headers, data={
        "csrf_token": token, "name": f"nobody{i}", "password": "wrong guess!"}).status_code
        for i in range(count)]


def attempts_by_address(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as con:
        return dict(con.execute("SELECT address, count(*) FROM login_attempts GROUP BY address"))


def test_through_the_balancer_each_client_has_its_own_login_allowance(
        centre: tuple[str, Path]) -> None:
    """One client behind the balancer using up its allowance does not lock out the others
    (before, every client was the balancer: one allowance for the province)."""
    url, db = centre
    with client_from(BALANCER, url) as balancer:
        assert wrong_logins(balancer, LIMIT + 1, **{"X-Forwarded-For": "203.0.113.7"}) == [
            401] * LIMIT + [429]
        assert wrong_logins(balancer, 1, **{"X-Forwarded-For": "203.0.113.8"}) == [401]
    counted = attempts_by_address(db)
    assert (counted.get("203.0.113.7"), counted.get("203.0.113.8"), BALANCER in counted) == (
        LIMIT, 1, False)


def test_a_client_not_named_cannot_choose_its_address_by_a_header(
        centre: tuple[str, Path]) -> None:
    url, db = centre
    with client_from(STRANGER, url) as stranger:
        answers = [wrong_logins(stranger, 1, **{"X-Forwarded-For": f"198.51.100.{i}"})[0]
                   for i in range(LIMIT + 1)]
    assert answers == [401] * LIMIT + [429]
    counted = attempts_by_address(db)
    assert counted[STRANGER] == LIMIT and not any(a.startswith("198.51.100.") for a in counted)


def test_the_audit_log_names_the_client_the_balancer_forwarded(
        centre: tuple[str, Path]) -> None:
    url, db = centre
    with client_from(BALANCER, url, **{"X-Forwarded-For": "192.0.2.44"}) as admin:
        answer = admin.post("/login", data={"csrf_token": csrf(admin.get("/login").text),
                                            "name": "admin1", "password": PASSWORD})
        assert answer.status_code == 303
        assert admin.get("/audit").status_code == 200
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT actor, address FROM audit_log ORDER BY seq DESC "
                           "LIMIT 1").fetchone() == ("admin1", "192.0.2.44")


def test_an_ipv6_client_has_one_login_allowance_for_its_64_network(
        centre: tuple[str, Path]) -> None:
    """An IPv6 home or phone has a whole /64 and may write any address of it: its login
    attempts are counted by the /64, as its wrong passwords are. 30 from as many addresses
    of one /64 use up its minute (before, each address had 30: one /64 tried names without
    limit); another /64 has its own."""
    url, db = centre
    with client_from(BALANCER, url) as balancer:
        answers = [wrong_logins(balancer, 1, **{"X-Forwarded-For": f"2001:db8:1:2::{i + 1:x}"})[0]
                   for i in range(LIMIT + 1)]
        other = wrong_logins(balancer, 1, **{"X-Forwarded-For": "2001:db8:1:3::1"})
    assert (answers, other) == ([401] * LIMIT + [429], [401])
    counted = attempts_by_address(db)
    assert (counted.get("2001:db8:1:2::/64"), counted.get("2001:db8:1:3::/64")) == (LIMIT, 1)


def test_a_forwarded_client_that_is_no_address_is_counted_apart_not_as_every_address(
        centre: tuple[str, Path]) -> None:
    """``X-Forwarded-For: *`` is no client's address. Its wrong passwords are counted under
    one unknown address, "?", never under "*" — a name's count from every address, where 3
    such guesses held admin1 against every new address (before). The owner then signs in
    from a new address; a sign-in with it is in the audit log with no address, not "*"."""
    url, db = centre
    with client_from(BALANCER, url, **{"X-Forwarded-For": "*"}) as stranger:
        token = csrf(stranger.get("/login").text)
        assert [stranger.post("/login", data={
            "csrf_token": token, "name": "admin1", "password": "wrong guess!"}).status_code
            for _ in range(3)] == [401] * 3
    with client_from(BALANCER, url, **{"X-Forwarded-For": "192.0.2.33"}) as owner:
        assert owner.post("/login", data={"csrf_token": csrf(owner.get("/login").text),
                                          "name": "admin1",
                                          "password": PASSWORD}).status_code == 303
    with client_from(BALANCER, url, **{"X-Forwarded-For": "*"}) as unknown:
        assert unknown.post("/login", data={"csrf_token": csrf(unknown.get("/login").text),
                                            "name": "admin1",
                                            "password": PASSWORD}).status_code == 303
    with sqlite3.connect(db) as con:
        counted = dict(con.execute("SELECT address, failures FROM login_failures "
                                   "WHERE name = 'admin1' AND address IN ('?', '*')"))
        signed_in = con.execute("SELECT kind, address FROM audit_log ORDER BY seq DESC "
                                "LIMIT 1").fetchone()
    assert counted == {"?": 0, "*": 3} and signed_in == ("sign-in", None)


@pytest.mark.parametrize(("address", "https"), [(BALANCER, True), (STRANGER, False)])
def test_https_the_balancer_forwards_gives_host_only_secure_cookies(
        centre: tuple[str, Path], address: str, https: bool) -> None:
    """The balancer ending TLS says so in X-Forwarded-Proto: the dashboard's cookies are
    then ``__Host-`` ones, Secure. A stranger saying it is not believed."""
    url, _ = centre
    with client_from(address, url, **{"X-Forwarded-Proto": "https"}) as client:
        cookie = client.get("/login").headers["set-cookie"]
    assert (cookie.startswith("__Host-kc_csrf="), "secure" in cookie.lower()) == (https, https)


def test_a_balancer_address_that_is_not_one_is_refused_before_serving(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"'10\.0\.0\.300': expected IP addresses or networks"):
        CentralServer(f"sqlite:///{tmp_path}/central.db", "--forwarded-allow-ips",
                      "10.0.0.5,10.0.0.300")


def test_under_star_the_client_is_the_address_the_balancer_appended(tmp_path: Path) -> None:
    """``--forwarded-allow-ips '*'`` behind a balancer appending the client's address to the
    X-Forwarded-For it was sent (nginx's ``$proxy_add_x_forwarded_for``): a stranger writing
    the owner's address into its own header is counted under its own address, the one the
    balancer appended — its 5 wrong passwords do not lock the owner out of her computer
    (before, '*' believed the first address, the one the stranger wrote)."""
    owner, stranger = "192.0.2.44", "198.51.100.66"
    db = database_url("sqlite", tmp_path)
    add_users(db, {"admin1": ("admin", None)})
    server = CentralServer(db, "--forwarded-allow-ips", "*")
    try:
        with client_from(BALANCER, server.url,
                         **{"X-Forwarded-For": f"{owner}, {stranger}"}) as attacker:
            token = csrf(attacker.get("/login").text)
            assert [attacker.post("/login", data={
                "csrf_token": token, "name": "admin1", "password": "wrong guess!"}).status_code
                for _ in range(5)] == [401] * 5
        with client_from(BALANCER, server.url, **{"X-Forwarded-For": owner}) as admin:
            assert admin.post("/login", data={"csrf_token": csrf(admin.get("/login").text),
                                              "name": "admin1",
                                              "password": PASSWORD}).status_code == 303
    finally:
        server.stop()
    assert attempts_by_address(tmp_path / "central.db") == {stranger: 5, owner: 1}
