"""A NUL character (%00) typed into a login name or a page's address is bad input, not a
database failure: PostgreSQL refuses NUL in text, and the centre answered 503 "cannot answer
now, tell the administrator", logging "a fault of the program" — for anyone on the network at
the login form (review 43 F9). A real `kiosk-central serve` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from central_support import ENGINES, central, database_url
from web_support import PASSWORD, Centre, csrf, signed_in, start_centre

from kiosk.messages import text


@pytest.fixture(scope="module", params=ENGINES)
def centre(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Centre]:
    """The web tests' centre: the sample registry, two kiosks' uploads, one user a role."""
    tmp = tmp_path_factory.mktemp("nul")
    running = start_centre(tmp, database_url(request.param, tmp))
    yield running
    running.server.stop()


NOT_SERVED = text("central.log.page_not_served", "en", reason="").rstrip(": ")


def not_served(centre: Centre) -> int:
    """How many times the server logged that a page was not served."""
    return centre.server.stderr().count(NOT_SERVED)


def test_a_login_name_holding_nul_is_a_wrong_name_not_a_database_failure(
        centre: Centre) -> None:
    before = not_served(centre)
    with httpx.Client(base_url=centre.url, timeout=30) as client:
        answer = client.post("/login", data={"csrf_token": csrf(client.get("/login").text),
                                             "name": "admin1\x00", "password": PASSWORD})
    assert answer.status_code == 401
    assert text("web.login.wrong", "vi") in answer.text
    assert not_served(centre) == before


@pytest.mark.parametrize(("user", "path", "name"), [
    ("dx.officer", "/checkpoints/BP-DX-001%00", "checkpoint_id"),
    ("dx.officer", "/batches/kiosk-dx1%00", "kiosk_id"),
    ("dx.officer", "/batches?after=%00", "after"),
    ("admin1", "/batches?before=kiosk%00", "before"),
    ("admin1", "/audit?actor=%00", "actor"),
])
def test_a_page_address_holding_nul_is_refused_naming_the_parameter(
        centre: Centre, user: str, path: str, name: str) -> None:
    before = not_served(centre)
    with signed_in(centre.url, user) as client:
        answer = client.get(path)
    assert answer.status_code == 400
    said = re.search(r'<p id="bad-request">(.*?)</p>', answer.text, re.S).group(1)
    assert said.startswith(f"Địa chỉ trang không dùng được: {name} chứa ký tự NUL")
    assert not_served(centre) == before


def test_a_trace_reason_holding_nul_is_refused_in_words_before_anything_is_recorded(
        centre: Centre) -> None:
    """The reason goes into the audit log before the trace runs: with a NUL in it the page
    says so (422), as for a reason too short, and no trace runs."""
    before = not_served(centre)
    with signed_in(centre.url, "tracer1") as client:
        answer = client.post("/tracing", data={
            "csrf_token": csrf(client.get("/tracing").text), "document": "001099000100",
            "reason": "ca bệnh F0-1234\x00", "margin": "15"})
    assert answer.status_code == 422
    assert text("audit.reason_nul", "vi") in answer.text
    assert not_served(centre) == before
    recorded = json.loads(central("audit", "list", "--db", centre.db, "--json").stdout)
    assert [r for r in recorded if r["kind"] == "trace"] == []
