"""Every page of the dashboard answers every role on a centre with nothing in it yet, and on
one whose districts are at different stages (scanning; checkpoints but no scan today; no
checkpoint at all): a page, a redirect or a deliberate refusal (403, 404), never a server
error; and the empty pages say why they are empty, in Vietnamese and in English. A real
`kiosk-central serve` on SQLite and on a real PostgreSQL, fetched over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import ENGINES, CentralServer, database_url
from fastapi import FastAPI
from web_support import USERS, add_users, get_routes, signed_in, start_centre, today_page_day

from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.web.site import ROLES_OF

OFFICERS = {"ct.officer": ("district", "Chơn Thành"),  # two checkpoints, no scan
            "bd.officer": ("district", "Bù Đăng")}  # no checkpoint in the registry
VARIANTS = {"/reports": ("?monthly=true", "?date=2021-08-01"),
            "/reports/download": ("?format=xlsx", "?format=csv&monthly=true"),
            "/checkpoints": ("?state=active7", "?district=Bù+Đăng"),
            "/kiosks": ("?problems=true",),
            "/batches": ("?after=kiosk-bl1", "?before=kiosk-zz")}
NO_SCANS_TODAY = "Chưa có lượt quét nào hôm nay. | No scans yet today."
"""Other ways into the same pages (another report, another file, a filter), fetched too:
the query replaces the one the route is walked with."""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The centre's app, for the list of its routes."""
    with open_storage(f"sqlite:///{tmp_path_factory.mktemp('app')}/central.db") as storage:
        yield create_app(storage)


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def expected(route: str, role: str, district: str | None, registered: bool) -> int:
    """The status a ``role`` user (limited to ``district``) must get from the GET ``route``:
    the page if the role may see it (site.ROLES_OF), else 403; a redirect where the route is
    one; 401 from the kiosks' own GETs (trust list, registration); 404 for the sample point
    BP-DX-001 and kiosk kiosk-dx1 before they are registered, and for an officer of another
    district than their Đồng Xoài (the point's page and the kiosk's batch log answer as for
    an unknown id)."""
    if route in ("/", "/lang/{lang}"):
        return 303
    if route in ("/api/v1/trust-list", "/api/v1/kiosk"):  # a kiosk's, asked with its token
        return 401
    page = "/reports" if route.startswith("/api/v1/reports/") else "/" + route.split("/")[1]
    if page in ROLES_OF and role not in ROLES_OF[page]:
        return 403
    per_id = route in ("/checkpoints/{checkpoint_id}", "/batches/{kiosk_id}")  # Đồng Xoài's
    return 404 if per_id and (not registered or district not in (None, "Đồng Xoài")) else 200


def walk(app: FastAPI, server: CentralServer, users: dict[str, tuple[str, str | None]], *,
         registered: bool) -> None:
    """Every GET route (and its VARIANTS) as each of ``users``, in both languages: the
    status of :func:`expected`, and the server's traceback when it is not."""
    wrong = []
    for name, (role, district) in users.items():
        with signed_in(server.url, name) as client:
            for lang in ("vi", "en"):
                client.get(f"/lang/{lang}")
                assert f'<html lang="{lang}">' in client.get("/login").text
                for url, route in get_routes(app):
                    want = expected(route.path_format, role, district, registered)
                    variants = [route.path_format + query
                                for query in VARIANTS.get(route.path_format, ())]
                    for fetched in (url, *variants):
                        # a connection of its own: uvicorn drops the one of a server error
                        got = client.get(fetched, headers={"Connection": "close"}).status_code
                        if got != want:
                            wrong.append(f"{name} ({role}, {lang}) {fetched}: {got}, "
                                         f"not {want}")
    assert wrong == [], "\n".join(wrong) + "\n" + server.stderr()[-3000:]


def shown(client: httpx.Client, url: str, lang: str) -> str:
    """The page at ``url`` in ``lang``."""
    client.get(f"/lang/{lang}")
    answer = client.get(url)
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def value(page: str, element: str) -> str:
    """The text of the element with id ``element`` (the first, without markup inside)."""
    found = re.search(rf'id="{element}"[^>]*>([^<]*)<', page)
    assert found, f"no #{element} on the page"
    return found.group(1).strip()


def today_says(client: httpx.Client) -> tuple[str, str, str, str]:
    """The Today page's scans, points scanning and set up, and its sentence on why it is
    empty (blank when it is not), in Vietnamese then English (the words of both joined)."""
    return today_of(client)[1]


def today_of(client: httpx.Client) -> tuple[str, tuple[str, str, str, str]]:
    """The day the Today page is of (ISO) and what it says (:func:`today_says`)."""
    vi, en = (shown(client, "/today", lang) for lang in ("vi", "en"))
    empty = " | ".join(value(page, "empty") for page in (vi, en)) if 'id="empty"' in vi else ""
    return today_page_day(vi), (
        value(vi, "scans"), value(vi, "points-scanned"), value(vi, "points-set-up"), empty)


def reports_say(client: httpx.Client, query: str = "") -> str:
    """The Reports page's sentence on why its report is empty (blank when it is not), in
    Vietnamese then English, for the report of ``query`` (default: yesterday's)."""
    pages = [shown(client, "/reports" + query, lang) for lang in ("vi", "en")]
    return " | ".join(value(page, "empty") for page in pages) if 'id="empty"' in pages[0] else ""


def no_checkpoint_in(district: str) -> str:
    """What a district officer's Today page says when their district has no checkpoint."""
    return (f"Huyện {district} chưa có điểm quét nào đã triển khai (chưa đăng ký, hoặc chưa "
            f"đến ngày triển khai). | District {district} has no checkpoint set up yet (none "
            f"registered, or none past its set-up day).")


def test_every_page_answers_every_role_on_an_empty_centre(app: FastAPI, db: str,
                                                          tmp_path: Path) -> None:
    add_users(db, USERS)
    server = CentralServer(db)
    try:
        walk(app, server, USERS, registered=False)
        for name in ("admin1", "viewer1", "tracer1"):
            with signed_in(server.url, name) as client:
                assert today_says(client) == (
                    "0", "0", "0",
                    "Chưa có điểm quét nào đã triển khai (chưa nhập danh sách điểm, hoặc "
                    "chưa đến ngày triển khai). | No checkpoint is set up yet (none "
                    "registered, or none past its set-up day).")
                for query in ("", "?monthly=true"):
                    assert reports_say(client, query) == (
                        "Chưa có điểm quét nào đã triển khai (chưa nhập danh sách điểm, hoặc "
                        "chưa đến ngày triển khai). | No checkpoint is set up yet (none "
                        "registered, or none past its set-up day).")
                for lang, none in (("vi", "Không có điểm quét nào để hiển thị."),
                                   ("en", "No checkpoints to show.")):
                    assert none in shown(client, "/checkpoints", lang)
        with signed_in(server.url, "dx.officer") as officer:
            assert today_says(officer) == ("0", "0", "0", no_checkpoint_in("Đồng Xoài"))
            assert reports_say(officer) == no_checkpoint_in("Đồng Xoài")
            assert "<option selected>Đồng Xoài</option>" in shown(officer, "/checkpoints", "vi")
            assert "Chưa có máy nào." in shown(officer, "/kiosks", "vi")
            assert "No kiosks enrolled." in shown(officer, "/kiosks", "en")
            assert "Không có máy nào để hiển thị." in shown(officer, "/batches", "vi")
            assert "No kiosks to show." in shown(officer, "/batches", "en")
    finally:
        server.stop()


def test_every_page_answers_every_role_where_a_district_has_no_checkpoint(
        app: FastAPI, db: str, tmp_path: Path) -> None:
    # made before the registry is imported: once it is, a district none of its points is in
    # is refused (test_central_user_accounts)
    add_users(db, OFFICERS)
    centre = start_centre(tmp_path, db)
    try:
        walk(app, centre.server, {**USERS, **OFFICERS}, registered=True)
        with signed_in(centre.url, "bd.officer") as officer:
            assert today_says(officer) == ("0", "0", "0", no_checkpoint_in("Bù Đăng"))
            report = officer.get("/api/v1/reports/daily").json()  # of yesterday
            assert report["summary"] == {
                "points_set_up": 0, "points_scanned": 0, "points_active_7d": 0,
                "adoption_ratio": None, "scans": 0, "ins": 0, "outs": 0, "duplicates": 0,
                "manual": 0, "nobody": 0, "refused": 0}
            assert (report["by_district"], report["by_point"]) == ([], [])
            for query in ("", "?monthly=true", "?date=2021-08-01"):
                assert reports_say(officer, query) == no_checkpoint_in("Bù Đăng")
            month = officer.get("/api/v1/reports/monthly").json()
            assert month["summary"] == {
                "points_set_up": 0, "points_scanned": 0, "scanning_ratio": None, "scans": 0,
                "ins": 0, "outs": 0, "duplicates": 0, "manual": 0, "nobody": 0, "refused": 0}
        with signed_in(centre.url, "ct.officer") as officer:
            assert today_says(officer) == ("0", "0", "2", NO_SCANS_TODAY)
            day = officer.get("/api/v1/reports/daily").json()["day"]
            month = officer.get("/api/v1/reports/monthly").json()["month"]
            day_vi = dt.date.fromisoformat(day).strftime("%d/%m/%Y")  # day first in vi
            month_vi = f"{month[5:]}/{month[:4]}"
            assert reports_say(officer) == (f"Không có lượt quét nào ngày {day_vi}. | "
                                            f"No scans on {day}.")
            assert reports_say(officer, "?monthly=true") == (
                f"Không có lượt quét nào trong tháng {month_vi}. | No scans in {month}.")
        # the uploads' day, or (midnight passed during the walk) a day with no scan yet
        with signed_in(centre.url, "dx.officer") as officer:
            day, said = today_of(officer)
            assert said == (("12", "1", "3", "") if day == centre.day
                            else ("0", "0", "3", NO_SCANS_TODAY))
            assert reports_say(officer, f"?monthly=true&month={centre.day[:7]}") == ""
        with signed_in(centre.url, "viewer1") as viewer:
            day, said = today_of(viewer)
            assert said == (("19", "2", "6", "") if day == centre.day
                            else ("0", "0", "6", NO_SCANS_TODAY))
    finally:
        centre.server.stop()
