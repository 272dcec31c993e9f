"""Every route of the centre says whether it shows personal data, and every answer that does
is in the audit log — walked over all registered routes, fetched from a real
`kiosk-central serve` as each role, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from central_support import CentralServer, central, shared_postgres, write_lock_held
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.routing import Mount
from web_support import USERS, Centre, csrf, get_routes, routes, signed_in, start_centre

from kiosk.central import audit
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.disclosure import disclosure_of
from kiosk.central.storage import StorageError
from kiosk.sync import protocol


def unmarked(app: FastAPI) -> list[str]:
    """The routes of ``app`` that carry no disclosure mark."""
    schema_pages = {app.openapi_url, app.docs_url, app.redoc_url,
                    app.swagger_ui_oauth2_redirect_url}
    missing = []
    for path, route in routes(app):
        if isinstance(route, Mount):
            assert path == "/static", f"{path}: an unexpected mount"
            continue
        if path in schema_pages:  # FastAPI's own description of the API
            continue
        if disclosure_of(route.endpoint) is None:
            missing.append(f"{sorted(route.methods)} {path}")
    return missing


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with open_storage(f"sqlite:///{tmp_path_factory.mktemp('app')}/central.db") as storage:
        yield create_app(storage)


def test_every_route_says_whether_it_shows_personal_data(app: FastAPI) -> None:
    assert unmarked(app) == []
    marks = {(method, path): disclosure_of(route.endpoint) for path, route in routes(app)
             if isinstance(route, APIRoute) for method in route.methods}
    assert {key: mark.kind for key, mark in marks.items() if mark.personal} == {
        ("GET", "/audit"): "audit-log", ("POST", "/tracing"): "trace",
        ("POST", "/tracing/export"): "trace", ("POST", "/api/v1/trace"): "trace"}
    assert all(mark.note for mark in marks.values())


def test_a_new_route_without_a_mark_is_caught(tmp_path: Path) -> None:
    with open_storage(f"sqlite:///{tmp_path}/central.db") as storage:
        app = create_app(storage)

        @app.get("/people")
        async def people(request: Request) -> dict[str, str]:
            return {}

        assert unmarked(app) == ["['GET'] /people"]


def test_the_static_folder_holds_only_styles_pictures_and_the_point_boxs_script() -> None:
    """Served to anyone, signed in or not: nothing in it is data. The one script asks the
    signed-in centre for the points matching what an admin types in the enrol form."""
    from kiosk.central.web.site import HERE

    files = [p for p in (HERE / "static").rglob("*") if p.is_file()]
    assert files and {p.suffix for p in files} <= {".css", ".svg", ".png", ".js"}
    assert [p.name for p in files if p.suffix == ".js"] == ["points.js"]


# -- as each role, against a running centre ----------------------------------------------
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def centre(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Centre]:
    db = None
    if request.param == "postgresql":
        postgres = shared_postgres()
        if postgres is None:
            pytest.skip("PostgreSQL binaries not installed")
        db = postgres.create_database()
    running = start_centre(tmp_path_factory.mktemp("centre"), db)
    yield running
    running.server.stop()


def test_no_page_runs_a_script_of_another_site_on_the_dashboards_origin(centre: Centre
                                                                        ) -> None:
    """The dashboard's origin holds the staff's sessions: a script loaded from elsewhere —
    FastAPI's Swagger UI and ReDoc pages took theirs from a CDN, a floating major version
    with no integrity check and no Content-Security-Policy — could read every page a
    signed-in tracer may (names, document numbers) and act as an administrator. The centre
    serves no such page; the API's contract stays at /openapi.json for any viewer."""
    for path in ("/docs", "/docs/oauth2-redirect", "/redoc"):
        page = httpx.get(centre.url + path, timeout=30)
        assert page.status_code == 404, path
        assert "<script" not in page.text
    contract = httpx.get(centre.url + "/openapi.json", timeout=30)
    assert contract.status_code == 200
    assert protocol.BATCHES_PATH in contract.json()["paths"]


def views(db: str, actor: str) -> list[dict]:
    """The pages ``actor`` was shown, latest first (not their traces or sign-ins)."""
    records = json.loads(central("audit", "list", "--db", db, "--actor", actor,
                                 "--limit", "1000", "--json").stdout)
    return [r for r in records if r["kind"] in audit.VIEW_KINDS]


def test_only_marked_routes_show_personal_data_and_each_view_is_recorded(
        app: FastAPI, centre: Centre) -> None:
    personal = centre.personal_values()
    with signed_in(centre.url, "tracer1") as tracer:  # the audit log now names a person
        page = tracer.get("/tracing").text
        answer = tracer.post("/tracing", data={"csrf_token": csrf(page),
                                               "document": "001099000101",
                                               "reason": "ca bệnh F0-9001"})
        assert answer.status_code == 200 and "001099000102" in answer.text
    shown_personal = set()
    for name, (role, _) in USERS.items():
        before = len(views(centre.db, name))
        with signed_in(centre.url, name) as client:
            fetched = 0
            for url, route in get_routes(app):
                mark = disclosure_of(route.endpoint)
                answer = client.get(url)
                assert answer.status_code < 500, (url, answer.text[:300])
                text = answer.text
                leaked = {value for value in personal if value in text}
                if leaked:
                    shown_personal.add(route.path_format)
                    assert mark.personal, f"{url} shows {sorted(leaked)[:2]} but is marked " \
                                          f"not personal ({mark.note})"
                    assert role in ("admin", "tracer"), f"{url} shows {role} personal data"
                if mark.personal and mark.kind != "trace" and answer.status_code == 200:
                    recorded = views(centre.db, name)[0]
                    assert (recorded["kind"], recorded["subject"], recorded["address"],
                            recorded["channel"]) == (mark.kind, url, "127.0.0.1", "web")
                    fetched += 1
            after = len(views(centre.db, name))
            assert after - before == fetched, f"{name}: {after - before} records, " \
                                              f"{fetched} personal pages shown"
    assert shown_personal == {"/audit"}  # the walk saw personal data where it is


def test_no_record_no_page(centre: Centre) -> None:
    """When the audit record cannot be written, the audit page is not shown either."""
    if not centre.db.startswith("sqlite"):
        pytest.skip("the write lock is held the SQLite way")
    server = CentralServer(centre.db, "--busy-timeout", "1")
    try:
        with signed_in(server.url, "admin1") as admin:
            before = len(views(centre.db, "admin1"))
            with write_lock_held(centre.db):
                refused = admin.get("/audit?kind=trace")
            assert refused.status_code == 503  # why, in words: the database is locked
            assert "một chương trình khác đang khoá kho dữ liệu" in refused.text
            assert "001099000101" not in refused.text and "F0-" not in refused.text
            assert len(views(centre.db, "admin1")) == before
            assert admin.get("/audit?kind=trace").status_code == 200
            assert views(centre.db, "admin1")[0]["subject"] == "/audit?kind=trace"
    finally:
        server.stop()


def test_the_audit_log_lists_views_by_kind_and_records_its_own_reading(tmp_path: Path
                                                                       ) -> None:
    db = f"sqlite:///{tmp_path}/central.db"
    with open_storage(db) as storage:
        audit.append_view(storage, "audit-log", actor="an.nguyen", channel="web",
                          address="10.0.0.7", subject="/audit")
    first = json.loads(central("audit", "list", "--db", db, "--json").stdout)
    assert [(r["kind"], r["actor"], r["address"]) for r in first] == [
        ("audit-log", first[0]["actor"], None), ("audit-log", "an.nguyen", "10.0.0.7")]
    assert first[0]["actor"].count("@") == 1  # the command's user@host
    assert first[0]["subject"] == "kiosk-central audit list --limit 100"
    text = central("audit", "list", "--db", db, "--kind", "audit-log", "--actor",
                   "an.nguyen").stdout
    assert ("an.nguyen (web từ / from 10.0.0.7) audit-log (Xem nhật ký / Audit log viewed): "
            "/audit") in text
    assert central("audit", "list", "--db", db, "--kind", "trace").stdout.startswith(
        "Nhật ký trống / Nothing recorded")
    refused = central("audit", "list", "--db", db, "--kind", "everything", check=False)
    assert refused.returncode == 2 and "invalid choice" in refused.stderr


# -- the trace log of schema v8 becomes the audit log of v9 -------------------------------
OLD_TRACES = [(1, "2026-11-01T01:00:00.000000Z", "lan.pham", "web", "ca bệnh F0-1",
               "document 001099000001", "2026-10-20T00:00:00+07:00",
               "2026-11-01T08:00:00+07:00", 3, 2),
              (2, "2026-11-02T01:00:00.000000Z", "root@centre", "cli", "ca bệnh F0-2",
               "name Nguyễn Văn An born 1990", "2026-10-21T00:00:00+07:00",
               "2026-11-02T08:00:00+07:00", 1, 0)]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_v8_trace_log_is_carried_into_the_audit_log(engine: str, tmp_path: Path) -> None:
    from kiosk.central.schema import MIGRATIONS, statements

    insert = ("INSERT INTO trace_audit (seq, at, tracer, channel, reason, whom, period_from, "
              "period_to, visits, contacts) VALUES ({})")
    if engine == "sqlite":
        from kiosk.central.sqlite_storage import _TYPES
        db = f"sqlite:///{tmp_path}/central.db"
        conn = sqlite3.connect(tmp_path / "central.db")
        for migration in MIGRATIONS[:8]:
            for statement in statements(migration, _TYPES):
                conn.execute(statement)
        conn.executemany(insert.format(", ".join("?" * 10)), OLD_TRACES)
        conn.execute("PRAGMA user_version=8")
        conn.commit()
        conn.close()
    else:
        from kiosk.central.postgres_storage import _TYPES
        postgres = shared_postgres()
        if postgres is None:
            pytest.skip("PostgreSQL binaries not installed")
        db = postgres.create_database()
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute("CREATE TABLE central_meta (key TEXT PRIMARY KEY, "
                         "value TEXT NOT NULL)")
            for migration in MIGRATIONS[:8]:
                for statement in statements(migration, _TYPES):
                    conn.execute(statement)
            for row in OLD_TRACES:
                conn.execute(insert.format(", ".join(["%s"] * 10)), row)
            conn.execute("SELECT setval(pg_get_serial_sequence('trace_audit', 'seq'), 2)")
            conn.execute("INSERT INTO central_meta VALUES ('schema_version', '8')")
    with open_storage(db) as storage:
        carried = audit.records(storage, kind="trace")
        assert [(r.seq, r.actor, r.subject, r.reason, r.visits, r.contacts, r.address)
                for r in reversed(carried)] == [
            (row[0], row[2], row[5], row[4], row[8], row[9], None) for row in OLD_TRACES]
        assert audit.append_view(storage, "audit-log", actor="an", channel="web",
                                 address="10.0.0.1", subject="/audit") == 3
        tables = {row[0] for row in storage._query(
            "SELECT name FROM sqlite_master WHERE type = 'table'" if engine == "sqlite" else
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert "trace_audit" not in tables and "audit_log" in tables
        for statement in ("UPDATE audit_log SET actor = 'someone else'",
                          "DELETE FROM audit_log WHERE seq = 1",
                          *(["TRUNCATE audit_log"] if engine == "postgresql" else [])):
            with pytest.raises(StorageError) as refused, storage._transaction() as tx:
                storage._execute(tx, statement)
            assert "append-only" in str(refused.value.__cause__)  # the trigger's: the log
        assert len(audit.records(storage)) == 3


def test_every_kind_of_record_has_its_words_on_the_audit_page() -> None:
    from kiosk.messages import CATALOGUE

    missing = [kind for kind in audit.KINDS if f"web.audit.kind.{kind}" not in CATALOGUE]
    assert missing == [], "add audit.kind.<kind> to the dashboard's words in kiosk/messages.py"
