"""What the centre's benchmarks share: a throw-away database, the province, a signed-in client.

- ``central_database(engine)``: a fresh, empty centre database for one run — a SQLite file in
  a temporary folder, or a database in a private PostgreSQL cluster started for the run
  (tests/central_support.py's, on 127.0.0.1), removed when the run ends;
- ``province(...)``: the contact-tracing benchmark's province (scripts/bench_trace.py) with
  the settings the other benchmarks load it with;
- ``signed_in(base, name)``: an HTTP client signed in to a running ``kiosk-central serve``
  as a benchmark user (password ``PASSWORD``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from bench_trace import Province

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"


@contextlib.contextmanager
def central_database(engine: str, folder: str | None = None,
                     postgres_settings: Mapping[str, str] | None = None) -> Iterator[str]:
    """The URL of a fresh, empty centre database, gone (and its cluster stopped) after.

    SQLite: ``central.db`` in a temporary folder made inside ``folder`` (default: the
    system's). PostgreSQL: a new database in a cluster of its own, first set to
    ``postgres_settings`` (``ALTER SYSTEM``, then a restart) when given.
    """
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        if engine == "sqlite":
            yield f"sqlite:///{tmp}/central.db"
            return
        if str(ROOT / "tests") not in sys.path:
            sys.path.insert(0, str(ROOT / "tests"))
        from central_support import PostgresServer, postgres_bin

        server = PostgresServer(postgres_bin())
        try:
            url = server.create_database()
            if postgres_settings:
                import psycopg

                with psycopg.connect(server.url(), autocommit=True) as conn:
                    for setting, value in postgres_settings.items():
                        conn.execute(f"ALTER SYSTEM SET {setting} = '{value}'")
                server._run("pg_ctl", "-D", str(server.dir / "data"), "-l",
                            str(server.dir / "log"), "-w", "restart")
            yield url
        finally:
            server.stop()


def province(*, entries: int, checkpoints: int, days: int, end: dt.datetime,
             seed: int = 11) -> Province:
    """bench_trace's province of ``entries`` scans at ``checkpoints`` points over ``days`` days
    up to ``end``: as many people as make ~5 visits a fortnight each, 35 % of visits by
    commuters, Zipf popularity 0.8."""
    from bench_trace import Province

    return Province(argparse.Namespace(
        entries=entries, checkpoints=checkpoints, days=days, people=0, commuter_share=0.35,
        zipf=0.8, seed=seed), end)


@contextlib.contextmanager
def signed_in(base: str, name: str) -> Iterator[httpx.Client]:
    """A client of the centre at ``base`` holding ``name``'s session (password PASSWORD),
    closed after."""
    with httpx.Client(base_url=base, timeout=120) as client:
        form = client.get("/login").text
        token = form.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"csrf_token": token, "name": name, "password": PASSWORD,
                                    "next": "/today"})
        yield client
