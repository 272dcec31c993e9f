"""What keeps another page from using a signed-in user's dashboard: each form's token is bound
to the session (the one a visitor gets from the login page opens the login form only), a POST
another site's page made is refused, and so is one whose dashboard cookie came twice — with a
real `kiosk-central serve`, httpx as curl would send it, and a headless Chromium visiting an
attacker's page on another port of the same host (cookies are not kept apart by port)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import CentralServer, central, database_url
from selenium.webdriver.support.wait import WebDriverWait
from web_support import PASSWORD, add_users, browser, chromium_binaries, csrf, log_in, page_text

MALLORY = {"name": "mallory", "role": "admin", "password": "Attacker-pass-1"}


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(url, database) of a running centre with one administrator, admin1."""
    tmp = tmp_path_factory.mktemp("csrf")
    db = database_url("sqlite", tmp)
    add_users(db, {"admin1": ("admin", None)})
    server = CentralServer(db)
    yield server.url, db
    server.stop()


def user_names(db: str) -> set[str]:
    return {u["name"] for u in json.loads(central("users", "list", "--db", db, "--json").stdout)}


def admin_session(url: str) -> tuple[str, str]:
    """(session cookie, form token) of admin1 signed in."""
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = client.post("/login", data={"csrf_token": csrf(client.get("/login").text),
                                             "name": "admin1", "password": PASSWORD})
        assert answer.status_code == 303, answer.text[:300]
        return client.cookies["kc_session"], csrf(client.get("/users").text)


def attacker_pair(url: str) -> tuple[str, str]:
    """(kc_csrf cookie, token) anyone gets from the public login page."""
    page = httpx.get(url + "/login", timeout=30)
    return page.cookies["kc_csrf"], csrf(page.text)


def test_the_login_pages_token_does_not_open_a_signed_in_users_form(
        centre: tuple[str, str]) -> None:
    """The pair a stranger fetches from /login, its cookie planted beside an administrator's
    session (one cookie, or a second one read last), adds no user; the session's own token
    does."""
    url, db = centre
    session, token = admin_session(url)
    cookie, stranger_token = attacker_pair(url)
    for cookies in (f"kc_session={session}; kc_csrf={cookie}",
                    f"kc_session={session}; kc_csrf=theirs; kc_csrf={cookie}"):
        answer = httpx.post(url + "/users/add", headers={"Cookie": cookies}, timeout=30,
                            data={"csrf_token": stranger_token, **MALLORY})
        assert answer.status_code == 403, cookies
        assert "mallory" not in user_names(db)
    answer = httpx.post(url + "/users/add", headers={"Cookie": f"kc_session={session}"},
                        data={"csrf_token": token, **MALLORY, "name": "binh"}, timeout=30)
    assert answer.status_code == 200 and "binh" in user_names(db)


@pytest.mark.parametrize(("name", "headers", "allowed"), [
    ("sibling", {"Sec-Fetch-Site": "same-site"}, False),  # a sibling subdomain, another port
    ("elsewhere", {"Sec-Fetch-Site": "cross-site"}, False),
    ("old.browser", {"Origin": "http://127.0.0.1:1"}, False),  # its Origin: another port
    ("sandboxed", {"Origin": "null"}, False),
    ("own.page", {"Sec-Fetch-Site": "same-origin"}, True),
    ("curl", {}, True),  # curl, a script: the token alone decides
])
def test_a_post_another_sites_page_made_is_refused_even_with_the_right_token(
        centre: tuple[str, str], name: str, headers: dict[str, str], allowed: bool) -> None:
    url, db = centre
    session, token = admin_session(url)
    answer = httpx.post(url + "/users/add", headers={**headers, "Cookie": f"kc_session={session}"},
                        data={"csrf_token": token, **MALLORY, "name": name}, timeout=30)
    assert (answer.status_code, name in user_names(db)) == ((200, True) if allowed
                                                             else (403, False))
    if not allowed:
        assert "gửi từ một trang khác" in answer.text


def test_the_same_origin_named_in_origin_is_allowed(centre: tuple[str, str]) -> None:
    url, db = centre
    session, token = admin_session(url)
    answer = httpx.post(url + "/users/add", headers={"Origin": url,
                                                     "Cookie": f"kc_session={session}"},
                        data={"csrf_token": token, **MALLORY, "name": "origin.ok"}, timeout=30)
    assert answer.status_code == 200 and "origin.ok" in user_names(db)


def test_a_dashboard_cookie_sent_twice_is_refused_saying_to_clear_the_cookies(
        centre: tuple[str, str]) -> None:
    """Two session cookies (one planted by a page of another port or a sibling domain):
    which is the user's cannot be told, so nothing is done and every page says why."""
    url, db = centre
    session, token = admin_session(url)
    stranger, _ = admin_session(url)
    twice = {"Cookie": f"kc_session={stranger}; kc_session={session}"}
    answer = httpx.post(url + "/users/add", headers=twice, timeout=30,
                        data={"csrf_token": token, **MALLORY, "name": "twice"})
    assert answer.status_code == 403 and "twice" not in user_names(db)
    assert "xoá cookie" in answer.text
    page = httpx.get(url + "/users", headers=twice, timeout=30)
    assert page.status_code == 403 and "xoá cookie" in page.text


class _AttackerPage(http.server.BaseHTTPRequestHandler):
    """Another program on the centre's host (another port): it sets its own ``kc_csrf``
    cookie for the host and makes the visitor's browser post a form to the centre."""

    target, cookie, token = "", "", ""

    def do_GET(self) -> None:
        fields = "".join(f'<input name="{k}" value="{v}">'
                         for k, v in {"csrf_token": self.token, **MALLORY}.items())
        body = (f'<form id="f" method="post" action="{self.target}/users/add">{fields}</form>'
                '<script>document.getElementById("f").submit()</script>').encode()
        self.send_response(200)
        self.send_header("Set-Cookie", f"kc_csrf={self.cookie}; Path=/; HttpOnly")
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.mark.skipif(chromium_binaries() is None, reason="chromium + chromium-driver not installed")
def test_an_administrator_visiting_a_page_on_another_port_adds_no_user(
        centre: tuple[str, str], tmp_path: Path) -> None:
    """The attack the review made: an administrator signed in, sent to a page another port
    of the same host serves. Its form reaches the centre with the session cookie (the same
    site for SameSite) and a token the page got from /login; it is refused, in the page's
    words, and no user is added."""
    url, db = centre
    cookie, token = attacker_pair(url)
    handler = type("Page", (_AttackerPage,), {"target": url, "cookie": cookie, "token": token})
    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        with browser() as chrome:
            log_in(chrome, url, "admin1")
            chrome.get(f"http://127.0.0.1:{attacker.server_address[1]}/")
            WebDriverWait(chrome, 30).until(lambda c: c.current_url.endswith("/users/add"))
            assert "403" in page_text(chrome) and "trang khác" in page_text(chrome)
    finally:
        attacker.shutdown()
        attacker.server_close()
    assert "mallory" not in user_names(db)
