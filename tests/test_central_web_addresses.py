"""Addresses a browser is sent to that a page does not serve: the form an expired session
was sending (the Tracing page's XLSX export, a POST) is not asked for again as a GET after
the sign-in — it answered ``{"detail":"Method Not Allowed"}`` — but its page is; and an
unknown address, or one opened the wrong way, is a page in the reader's language for a
browser while the API keeps its JSON. A real `kiosk-central serve` on SQLite, over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from central_support import CentralServer, central
from web_support import PASSWORD, add_users, csrf

from kiosk.central.backends import open_storage
from kiosk.sync import protocol

BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
"""What a browser asks for when it opens an address."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CentralServer]:
    tmp = tmp_path_factory.mktemp("addresses")
    db = f"sqlite:///{tmp}/central.db"
    central("init", "--db", db)
    add_users(db, {"tracer1": ("tracer", None)})
    server = CentralServer(db)
    yield server
    server.stop()


def sign_in(client: httpx.Client, next: str = "/today") -> httpx.Response:
    return client.post("/login", data={"csrf_token": csrf(client.get("/login").text),
                                       "name": "tracer1", "password": PASSWORD,
                                       "next": next})


def test_an_export_sent_after_the_session_timed_out_comes_back_to_the_tracing_page(
        server: CentralServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30, headers=BROWSER) as tracer:
        assert sign_in(tracer).status_code == 303
        form = csrf(tracer.get("/tracing").text)
        with open_storage(server.db) as storage, storage._transaction() as tx:
            idle = protocol.format_time(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61))
            storage._execute(tx, "UPDATE web_sessions SET last_seen_at = $1", (idle,))
        export = tracer.post("/tracing/export?format=xlsx", data={
            "csrf_token": form, "document": "001099000001", "reason": "ca bệnh F0-1234"})
        assert export.status_code == 303
        assert export.headers["location"] == "/login?next=%2Ftracing"
        signed = sign_in(tracer, next="/tracing")
        assert signed.headers["location"] == "/tracing"
        again = tracer.get("/tracing")
        assert again.status_code == 200 and 'id="trace-form"' in again.text


@pytest.mark.parametrize(("path", "code", "words"), [
    ("/report", 404, ("404 · Không có trang này", "Không tìm thấy.")),
    ("/tracing/export?format=xlsx", 405, (
        "405 · Trang này không mở được theo cách này",
        "Địa chỉ này chỉ dùng cho một nút trên trang (như nút tải tệp)")),
])
def test_an_address_a_browser_cannot_open_is_a_page_in_its_readers_language(
        server: CentralServer, path: str, code: int, words: tuple[str, ...]) -> None:
    with httpx.Client(base_url=server.url, timeout=30, headers=BROWSER) as tracer:
        assert sign_in(tracer).status_code == 303
        answer = tracer.get(path)
        assert answer.status_code == code
        assert answer.headers["content-type"].startswith("text/html")
        assert all(w in answer.text for w in words) and "detail" not in answer.text
        tracer.cookies.set("kc_lang", "en")
        assert ("No such page" if code == 404 else "cannot be opened this way") in \
            tracer.get(path).text


def test_the_api_and_clients_not_asking_for_html_keep_the_json(server: CentralServer) -> None:
    for path, headers in (("/api/v1/nothing", BROWSER), ("/report", {"accept": "*/*"})):
        answer = httpx.get(server.url + path, headers=headers, timeout=30)
        assert answer.status_code == 404 and answer.json() == {"detail": "Not Found"}
