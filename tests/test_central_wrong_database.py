"""A wrong database address is said, never answered from a new empty centre.

Staff following the guide ran `kiosk-central trace` with `KIOSK_CENTRAL_DB=sqlite:///data/
central.db` from another folder: a new empty database was made there, and the trace
answered "0 visits, 0 contacts", exit 0; the 06:00 report of a mistyped path wrote three
files of zeros, exit 0; `serve` at a mistyped path took the kiosks' uploads into a new
empty centre; `kiosks add` enrolled a kiosk, its token printed, into a centre no server
read. Now only `kiosk-central init` makes a database, and says so; every other command,
`serve`, `checkpoints import|add`, `kiosks add` and `users add` too, refuses one that is not
there (or has none of the centre's tables), naming the absolute path, making nothing. A
report or trace of a centre that holds nothing at all (no checkpoint, no entry) fails too:
a timer exiting 0 with zeros looks done in `systemctl status`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from central_support import CENTRAL, database_url

NOTHING_THERE = "no centre database at {}: check --db / KIOSK_CENTRAL_DB"
READERS = [
    ("trace", "--document", "079000000001", "--reason", "ca bệnh F0-1234", "--format", "csv",
     "-o", "F0.csv"),
    ("report", "daily", "--out-dir", "reports"),
    ("report", "monthly", "--if-due", "--out-dir", "reports"),
    ("audit", "list"),
    ("kiosks", "list"),
    ("checkpoints", "list"),
    ("checkpoints", "import", "--dry-run", "points.csv"),
    ("checkpoints", "import", "points.csv"),
    ("checkpoints", "add", "CP-CHO", "--name", "Chợ Đồng Xoài"),
    ("kiosks", "add", "--checkpoint", "CP-CHO", "--name", "Làn 1"),
    ("users", "add", "an.nguyen", "--role", "admin", "--password-file", "password.txt"),
    ("users", "list"),
    ("import", "ql1a-01.backlog"),
    ("purge",),
    ("derivation",),
    ("retention",),
    ("timezone",),
    ("certificates", "status"),
    ("serve", "--port", "0"),
]


def run(folder: Path, *args: str, db: str | None = None) -> subprocess.CompletedProcess[str]:
    """`kiosk-central` run in ``folder`` as staff run it: the database from the
    environment (``db``: given with --db instead)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "KIOSK_CENTRAL_DB": "sqlite:///data/central.db"}
    return subprocess.run([*CENTRAL, *args, *(("--db", db) if db else ())], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_command_reading_a_centre_refuses_a_database_that_is_not_there(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "points.csv").write_text("id,name\nCP-1,Chợ\n", encoding="utf-8")
    (tmp_path / "ql1a-01.backlog").write_bytes(b"not opened")
    (tmp_path / "password.txt").write_text("một mật khẩu dài đủ\n", encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    refused = run(tmp_path, *command)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert NOTHING_THERE.format(tmp_path / "data" / "central.db") in refused.stderr
    assert "không có cơ sở dữ liệu trung tâm tại" in refused.stderr
    assert sorted(tmp_path.iterdir()) == before  # no data/, no F0.csv, no reports/


def test_the_06_00_report_of_a_mistyped_absolute_path_writes_no_zeros(tmp_path: Path) -> None:
    missing = tmp_path / "empty" / "central.db"
    refused = run(tmp_path, "report", "daily", "--out-dir", str(tmp_path / "reports"),
                  db=f"sqlite:///{missing}")
    assert refused.returncode == 3
    assert NOTHING_THERE.format(missing) in refused.stderr
    assert sorted(tmp_path.iterdir()) == []


def test_a_file_without_the_centres_tables_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "central.db").touch()
    refused = run(tmp_path, "trace", "--document", "079000000001", "--reason", "F0-1")
    assert refused.returncode == 3
    assert (f"{tmp_path / 'data' / 'central.db'} holds no centre database (no tables yet): "
            f"check --db / KIOSK_CENTRAL_DB") in refused.stderr
    assert (tmp_path / "data" / "central.db").stat().st_size == 0


def test_a_postgresql_database_without_the_centres_tables_is_refused_and_left_empty(
        tmp_path: Path) -> None:
    import psycopg
    from central_support import shared_postgres

    postgres = shared_postgres()
    if postgres is None:
        pytest.skip("PostgreSQL binaries not installed")
    url = postgres.create_database()
    refused = run(tmp_path, "report", "daily", "--out-dir", "reports", db=url)
    assert refused.returncode == 3
    assert "holds no centre database (no tables yet)" in refused.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                            ).fetchone()[0] == 0
    assert sorted(tmp_path.iterdir()) == []


def test_init_starts_a_centre_once_and_serve_then_opens_it(tmp_path: Path) -> None:
    """``serve`` refuses a database that is not there and names the command that starts
    one; ``init`` makes it (saying so), and run again leaves it as it is."""
    refused = run(tmp_path, "serve", "--port", "0")
    made = tmp_path / "data" / "central.db"
    assert refused.returncode == 3 and "only kiosk-central init starts" in refused.stderr
    assert "chỉ kiosk-central init mới tạo" in refused.stderr and not made.exists()
    started = run(tmp_path, "init")
    assert started.returncode == 0
    assert f"Started a new, empty centre database at {made}" in started.stderr
    again = run(tmp_path, "init")
    assert again.returncode == 0 and "Started a new" not in again.stderr
    assert again.stdout.splitlines()[0] == (  # then its id (tests/test_sync_centre_id.py)
        f"Đã có cơ sở dữ liệu trung tâm tại {made}: không tạo gì / A centre database is "
        f"already at {made}: nothing made")


def test_init_says_it_started_a_centre_in_both_languages_and_the_registry_goes_there(
        tmp_path: Path) -> None:
    started = run(tmp_path, "init")
    assert started.returncode == 0, started.stderr
    made = tmp_path / "data" / "central.db"
    assert f"Started a new, empty centre database at {made}" in started.stderr
    assert "Đã tạo cơ sở dữ liệu trung tâm mới" in started.stderr
    added = run(tmp_path, "checkpoints", "add", "CP-QL1A", "--name", "Chốt QL1A")
    assert added.returncode == 0 and "Started a new" not in added.stderr
    assert "CP-QL1A" in run(tmp_path, "checkpoints", "list").stdout


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_report_or_trace_of_a_centre_holding_nothing_fails_saying_so(
        tmp_path: Path, engine: str) -> None:
    """A 06:00 timer on such a centre fails visibly (`systemctl status`), writing no files:
    most likely the unit reads another database than the one the staff filled."""
    db = database_url(engine, tmp_path)
    for command in (("report", "daily", "--out-dir", "reports"),
                    ("report", "monthly", "--month", "2026-11", "--out-dir", "reports"),
                    ("trace", "--document", "079000000001", "--reason", "ca bệnh F0-1234")):
        refused = run(tmp_path, *command, db=db)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "holds no checkpoint, kiosk or entry: a report or trace here could only say " \
               "0, so none is made" in refused.stderr
        assert not (tmp_path / "reports").exists()
    assert run(tmp_path, "audit", "list", "--kind", "trace", db=db).stdout.count("trace") == 0

    assert run(tmp_path, "checkpoints", "add", "CP-CHO", "--name", "Chợ", db=db).returncode == 0
    written = run(tmp_path, "report", "daily", "--out-dir", "reports", db=db)
    assert written.returncode == 0, written.stderr
    assert len(list((tmp_path / "reports").iterdir())) == 3
