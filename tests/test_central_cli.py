"""`kiosk-central` as central staff use it: enrol, list, revoke, serve — run as real processes.

Enrolment runs against SQLite and a real PostgreSQL server with the same test body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from central_support import CENTRAL, ENGINES, central, database_url, enrol

from kiosk.central.backends import open_storage
from kiosk.central.storage import StorageError
from kiosk.sync import protocol


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def _everything_stored(db: str) -> bytes:
    """Every byte the database holds about kiosks, for looking for a leaked token."""
    if db.startswith("sqlite:///"):
        path = Path(db.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    import psycopg

    with psycopg.connect(db) as conn:
        rows = conn.execute("SELECT k::text FROM kiosks k").fetchall()
    return "\n".join(r[0] for r in rows).encode()


def test_enrolment_prints_the_token_once_and_stores_only_its_derivations(db: str) -> None:
    """The centre keeps sha256(token), never the token itself, nor anything derived from it
    that could sign a backlog file (the kiosk's signing key never leaves the kiosk)."""
    out = central("kiosks", "add", "--db", db, "--checkpoint", "CP-QL1A", "--name",
                  "Chốt QL1A làn 1", "--kiosk-id", "ql1a-01").stdout
    token = out.split("ONCE:\n", 1)[1].split()[0]
    assert len(token) >= 40
    assert "Token, shown only ONCE" in out and "chỉ hiển thị MỘT lần" in out
    assert 'id = "ql1a-01"' in out
    with open_storage(db) as storage:
        kiosk = storage.kiosk_for_token(hashlib.sha256(token.encode()).hexdigest())
        assert kiosk is not None and kiosk.id == "ql1a-01" and kiosk.checkpoint_id == "CP-QL1A"
        assert storage.signing_key("ql1a-01") is None  # until the kiosk registers its own
    assert token.encode() not in _everything_stored(db)
    assert protocol.token_hash(token).encode() in _everything_stored(db)


def test_kiosks_list_shows_state_and_checkpoints_list_counts_kiosks(db: str) -> None:
    enrol(db, "k-a", "CP-1")
    enrol(db, "k-b", "CP-1")
    central("kiosks", "revoke", "k-b", "--db", db)
    listing = json.loads(central("kiosks", "list", "--db", db, "--json").stdout)
    assert [(k["id"], k["revoked_at"] is None) for k in listing] == [("k-a", True),
                                                                       ("k-b", False)]
    table = central("kiosks", "list", "--db", db).stdout
    assert "k-a" in table and "active" in table and "revoked" in table
    checkpoints = json.loads(central("checkpoints", "list", "--db", db, "--json").stdout)
    assert [(c["id"], c["kiosks"]) for c in checkpoints] == [("CP-1", 2)]


def test_enrolment_mistakes_are_refused_with_a_reason(db: str) -> None:
    enrol(db, "k-1")
    again = central("kiosks", "add", "--db", db, "--checkpoint", "CP", "--name", "x",
                    "--kiosk-id", "k-1", check=False)
    assert again.returncode == 2
    assert "kiosk 'k-1' already exists" in again.stderr
    bad = central("kiosks", "add", "--db", db, "--checkpoint", "CP 1/2", "--name", "x",
                  check=False)
    assert bad.returncode == 2
    assert "checkpoint id 'CP 1/2'" in bad.stderr
    unknown = central("kiosks", "revoke", "nobody", "--db", db, check=False)
    assert unknown.returncode == 2 and "unknown kiosk 'nobody'" in unknown.stderr
    central("kiosks", "revoke", "k-1", "--db", db)
    twice = central("kiosks", "revoke", "k-1", "--db", db)
    assert "already revoked" in twice.stdout


SAMPLE = Path(__file__).resolve().parents[1] / "docs" / "checkpoints-sample.csv"


def test_a_mistyped_checkpoint_is_refused_once_the_registry_holds_the_province(db: str) -> None:
    """A typo made a new point of no district: the kiosk's scans fell outside every
    district's report. With the province's list imported, the id must be one of it."""
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    typo = central("kiosks", "add", "--db", db, "--checkpoint", "BP-DX-0003", "--name",
                   "Chợ Đồng Xoài làn 2", "--kiosk-id", "dx3-02", check=False)
    assert typo.returncode == 2
    assert ("checkpoint 'BP-DX-0003' is not in the registry (nearest: BP-DX-003"
            in typo.stderr)
    assert "điểm 'BP-DX-0003' không có trong danh sách điểm" in typo.stderr
    assert "add --new-checkpoint" in typo.stderr
    with open_storage(db) as storage:
        assert storage.kiosk("dx3-02") is None
    points = json.loads(central("checkpoints", "list", "--db", db, "--json").stdout)
    assert "BP-DX-0003" not in {p["id"] for p in points}

    central("kiosks", "add", "--db", db, "--checkpoint", "BP-DX-003", "--name", "làn 2",
            "--kiosk-id", "dx3-02")
    new = central("kiosks", "add", "--db", db, "--checkpoint", "BP-DX-009", "--name",
                  "Chốt mới", "--kiosk-id", "dx9-01", "--new-checkpoint")
    assert "New checkpoint BP-DX-009 created with no district" in new.stderr
    assert "checkpoints edit BP-DX-009 --district" in new.stderr


def test_a_new_checkpoint_on_a_centre_without_a_registry_is_created_and_said(db: str) -> None:
    added = central("kiosks", "add", "--db", db, "--checkpoint", "CP-QL1A", "--name", "làn 1",
                    "--kiosk-id", "ql1a-01")
    assert "Đã tạo điểm mới CP-QL1A, chưa có huyện" in added.stderr
    again = central("kiosks", "add", "--db", db, "--checkpoint", "CP-QL1A", "--name", "làn 2",
                    "--kiosk-id", "ql1a-02")
    assert "CP-QL1A" not in again.stderr  # an existing point: nothing to say


def test_enrolling_at_a_point_made_before_the_registry_import_warns_it_has_no_district(
        db: str) -> None:
    """A point created by an enrolment before the province's list was imported has no
    district, and the import (other ids) left it so: its kiosks' scans fall outside every
    district's report until someone gives it one."""
    central("kiosks", "add", "--db", db, "--checkpoint", "CP-QL1A", "--name", "làn 1",
            "--kiosk-id", "ql1a-01")
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    again = central("kiosks", "add", "--db", db, "--checkpoint", "CP-QL1A", "--name",
                    "làn 2", "--kiosk-id", "ql1a-02")
    assert "Checkpoint CP-QL1A has no district though the registry has them" in again.stderr
    assert "Điểm CP-QL1A chưa có huyện" in again.stderr
    assert "checkpoints edit CP-QL1A --district" in again.stderr
    registered = central("kiosks", "add", "--db", db, "--checkpoint", "BP-DX-001", "--name",
                         "làn 1", "--kiosk-id", "dx1-09")
    assert "BP-DX-001" not in registered.stderr  # a point with its district: nothing to say


def test_a_generated_kiosk_id_is_used_when_none_is_given(db: str) -> None:
    data = json.loads(central("kiosks", "add", "--db", db, "--checkpoint", "CP", "--name",
                              "Cổng B", "--json").stdout)
    assert data["kiosk_id"].startswith("kiosk-")
    with open_storage(db) as storage:
        assert storage.kiosk(data["kiosk_id"]).name == "Cổng B"


def test_the_database_comes_from_the_environment_when_not_given(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/from-env.db"
    central("init", "--db", url)
    env = {**os.environ, "KIOSK_CENTRAL_DB": url}
    subprocess.run([*CENTRAL, "kiosks", "add", "--checkpoint", "CP", "--name", "x",
                    "--kiosk-id", "env-1"], env=env, check=True, capture_output=True)
    with open_storage(url) as storage:
        assert storage.kiosk("env-1") is not None


def test_serve_refuses_a_bad_database_url_and_a_busy_port(tmp_path: Path) -> None:
    bad = central("serve", "--db", "mysql://x", "--port", "0", check=False)
    assert bad.returncode == 3
    assert "expected sqlite:///path/central.db or postgresql://" in bad.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        central("init", "--db", f"sqlite:///{tmp_path}/c.db")
        busy = central("serve", "--db", f"sqlite:///{tmp_path}/c.db", "--port", str(port),
                       check=False)
    assert busy.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in busy.stderr


@pytest.mark.parametrize("url", [
    "postgresq://centre:s3cret-pw@127.0.0.1/kiosk",  # the scheme mistyped
    "postgresql+psycopg://centre:s3cret-pw@127.0.0.1:5432/kiosk",  # a SQLAlchemy URL
    "centre:s3cret-pw@127.0.0.1/kiosk",  # no scheme at all
    "mysql://127.0.0.1/kiosk?user=centre&password=s3cret-pw",
    "host=127.0.0.1 dbname=kiosk password=s3cret-pw",  # libpq's keywords, not a URL
])
def test_a_mistyped_database_url_is_named_without_its_password(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """storage.bad_url names the URL no backend takes, in both languages, with its password
    shown as *** however it was given (before: the URL whole, password included, on serve's
    and every command's stderr) — with PostgreSQL's driver installed or not."""
    for command in (("serve", "--port", "0"), ("kiosks", "list")):
        bad = central(*command, "--db", url, check=False)
        assert bad.returncode == 3, bad.stderr
        assert "s3cret-pw" not in bad.stderr and "***" in bad.stderr, bad.stderr
        assert "expected sqlite:///path/central.db or postgresql://" in bad.stderr
        assert "cần sqlite:///đường/dẫn/central.db" in bad.stderr
    monkeypatch.setitem(sys.modules, "psycopg", None)  # a SQLite-only centre: no driver
    with pytest.raises(StorageError) as refused:
        open_storage(url)
    assert refused.value.words.code == "storage.bad_url"
    assert "s3cret-pw" not in str(refused.value) and "***" in str(refused.value)


def test_serve_refuses_a_pool_of_no_connections_in_both_languages(tmp_path: Path) -> None:
    for value in ("0", "-3", "many", "101"):
        bad = central("serve", "--db", f"sqlite:///{tmp_path}/c.db", "--port", "0",
                      "--db-pool", value, check=False)
        assert bad.returncode == 2
        assert "expected a number of connections from 1 to 100" in bad.stderr
        assert "cần số kết nối từ 1 đến 100" in bad.stderr
    assert not (tmp_path / "c.db").exists()  # refused before anything was opened


@pytest.mark.parametrize("value", ["٣", "+5", "5x"])
def test_a_whole_number_option_takes_ascii_digits_only_and_names_itself_when_not(
        tmp_path: Path, value: str) -> None:
    """``audit list --limit`` and ``retention --days`` (as every whole-number option of both
    commands) take digits 0-9 and nothing else, refused in both languages naming the option
    and what it got, before the database is opened. Before, int() read "٣" as 3 and "+5" as
    5, and argparse refused "5x" in its own English ("invalid int value")."""
    db = f"sqlite:///{tmp_path}/c.db"
    for option, command in (("--limit", ("audit", "list")), ("--days", ("retention",))):
        refused = central(*command, option, value, "--db", db, check=False)
        assert refused.returncode == 2 and "invalid int value" not in refused.stderr
        assert (f"{option} {value!r}: cần một số nguyên viết bằng chữ số 0-9 / {option} "
                f"{value!r}: expected a whole number in digits 0-9") in refused.stderr, option
    assert not (tmp_path / "c.db").exists()
    central("init", "--db", db)
    central("checkpoints", "add", "CP-1", "--name", "Chợ", "--db", db)  # a centre to read
    assert central("audit", "list", "--limit", "5", "--db", db, "--json").returncode == 0


def test_a_port_past_65535_and_an_import_of_no_rows_a_batch_are_refused_in_words(
        tmp_path: Path) -> None:
    """``serve --port 99999`` ended in bind()'s OverflowError and ``import --batch-size 0``
    would write nothing: each refused before the database is opened, naming the option and
    the numbers it takes."""
    db = f"sqlite:///{tmp_path}/c.db"
    port = central("serve", "--port", "99999", "--db", db, check=False)
    assert port.returncode == 2 and "Traceback" not in port.stderr
    assert ("--port '99999': cần một số từ 0 đến 65535 / --port '99999': expected a number "
            "from 0 to 65535") in port.stderr
    batch = central("import", str(tmp_path / "x.backlog"), "--batch-size", "0", "--db", db,
                    check=False)
    assert batch.returncode == 2
    assert "--batch-size '0': expected a number from 1 to …" in batch.stderr
    assert not (tmp_path / "c.db").exists()


@pytest.mark.parametrize("value", ["٣", "+5", "1e3", "inf", "nan", "1_0", "5.", "0", "0.0"])
def test_a_seconds_or_hours_option_takes_a_decimal_above_zero_and_names_itself_when_not(
        tmp_path: Path, value: str) -> None:
    """``serve --busy-timeout`` and ``--kiosk-cpu-burst`` and ``kiosks add --valid-hours``
    take digits 0-9 with one optional "." fraction, above 0 (a code valid 0 hours, or no
    wait for a lock, is no use), refused in both languages naming the option and what it
    got, before the database is opened. Before, float() read "٣" as 3 and took "1e3", "inf",
    "nan" and "1_0", and argparse refused the rest in its own English."""
    db = f"sqlite:///{tmp_path}/c.db"
    add = ("kiosks", "add", "--checkpoint", "CP", "--name", "x")
    for option, command in (("--busy-timeout", ("serve",)), ("--kiosk-cpu-burst", ("serve",)),
                            ("--valid-hours", add)):
        refused = central(*command, option, value, "--db", db, check=False)
        assert refused.returncode == 2 and "invalid float value" not in refused.stderr
        assert (f"{option} {value!r}: cần một số lớn hơn 0 viết bằng chữ số 0-9, phần lẻ (nếu "
                f"có) sau một dấu '.' / {option} {value!r}: expected a number above 0 in digits "
                "0-9, any fraction after one '.'") in refused.stderr, option
    assert not (tmp_path / "c.db").exists()
    central("init", "--db", db)
    added = central(*add, "--valid-hours", str(1 / 3600), "--db", db, "--json")  # 0.000277…
    assert added.returncode == 0, added.stderr


def test_a_busy_timeout_or_a_codes_hours_past_their_limit_are_refused_naming_it(
        tmp_path: Path) -> None:
    """``serve --busy-timeout`` takes at most a day of seconds (PostgreSQL's lock_timeout
    stops at 24.8 days), an enrolment code's ``--valid-hours`` at most 720 (30 days):
    more is refused in both languages naming the range, before anything is opened. Before,
    1e12 of either ended in a traceback (OverflowError: the lock's wait, the code's date)."""
    db = f"sqlite:///{tmp_path}/c.db"
    add = ("kiosks", "add", "--checkpoint", "CP", "--name", "x", "--server-url",
           "https://centre.test:8765", "--qr", str(tmp_path / "code.svg"))
    for option, command, value, most in (
            ("--busy-timeout", ("serve", "--port", "0"), "1000000000000", 86400),
            ("--valid-hours", add, "1000000000000", 720),
            ("--valid-hours", add, "720.5", 720)):
        refused = central(*command, option, value, "--db", db, check=False)
        assert refused.returncode == 2, (option, value, refused.stderr[-300:])
        assert (f"{option} '{value}': cần một số lớn hơn 0, tối đa {most} / {option} "
                f"'{value}': expected a number above 0, at most {most}") in refused.stderr
    assert not (tmp_path / "c.db").exists()
    central("init", "--db", db)
    assert central(*add, "--valid-hours", "720", "--db", db).returncode == 0


def test_serve_refuses_a_statement_timeout_that_would_not_limit_anything(tmp_path: Path) -> None:
    """PostgreSQL reads a statement_timeout of 0 ms as "no limit" (and 0.0001 s rounds to
    it), a negative one fails every connection's SET, and nan or inf crashed the rounding:
    each is refused before anything is opened, in both languages."""
    for value in ("0", "0.0001", "-1", "nan", "inf", "soon", "86401"):
        bad = central("serve", "--db", f"sqlite:///{tmp_path}/c.db", "--port", "0",
                      "--statement-timeout", value, check=False)
        assert bad.returncode == 2, value
        assert "expected seconds from 0.001 to 86400" in bad.stderr, bad.stderr
        assert "cần số giây từ 0.001 đến 86400" in bad.stderr
    assert not (tmp_path / "c.db").exists()


def test_an_unreachable_postgresql_is_reported_not_crashed(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = central("kiosks", "list", "--db", f"postgresql://nobody@127.0.0.1:{port}/x",
                     check=False)
    assert result.returncode == 3
    assert "database unavailable" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_upgrading_a_sqlite_centre_keeps_the_database_as_it_was_and_says_where(
        tmp_path: Path) -> None:
    """``kiosk-central init`` on a centre of an older release (schema v8, a trace logged)
    copies the file, as it was, to ``central.db.v8.bak`` (0600: identities) before the
    upgrade and says where: going back is putting it back under the old release."""
    import sqlite3
    from contextlib import closing

    from kiosk.central.schema import MIGRATIONS, statements
    from kiosk.central.sqlite_storage import _TYPES

    path = tmp_path / "central.db"
    with closing(sqlite3.connect(path)) as conn:
        for migration in MIGRATIONS[:8]:
            for statement in statements(migration, _TYPES):
                conn.execute(statement)
        conn.execute("INSERT INTO trace_audit (seq, at, tracer, channel, reason, whom, "
                     "period_from, period_to, visits, contacts) VALUES (1, "
                     "'2026-11-01T00:00:00Z', 'an', 'cli', 'F0', 'cccd:001090012345', "
                     "'2026-10-20', '2026-11-01', 3, 2)")
        conn.execute("PRAGMA user_version=8")
        conn.commit()

    done = central("init", "--db", f"sqlite:///{path}")

    backup = tmp_path / "central.db.v8.bak"
    assert f"Upgraded the centre database at {path} from schema v8 to v{len(MIGRATIONS)}" \
        in done.stdout
    assert f"The database as it was before the upgrade is kept at {backup} (schema v8): to " \
        "go back to the old release, stop the server and put it back" in done.stdout
    assert "được giữ tại" in done.stdout
    assert backup.stat().st_mode & 0o777 == 0o600
    with closing(sqlite3.connect(f"file:{backup}?mode=ro&immutable=1", uri=True)) as copy:
        assert copy.execute("PRAGMA user_version").fetchone() == (8,)
        assert copy.execute("SELECT whom FROM trace_audit").fetchall() == [
            ("cccd:001090012345",)]
    again = central("init", "--db", f"sqlite:///{path}")  # up to date: no copy made
    assert "kept at" not in again.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == [backup.name]


def test_the_copy_an_upgrade_made_is_deleted_by_the_purge_once_past_the_retention(
        tmp_path: Path) -> None:
    """``central.db.vN.bak`` holds every identity the centre held at the upgrade, out of
    the purge's reach: the daily purge (``kiosk-central purge``) names it with the day it
    goes, and deletes it once older than the retention (here the identities' 30 days, the
    shorter period) and the upgraded database is checked sound — as a kiosk's purge deletes
    its ``kiosk.db.vN.bak``. Before, it stayed for good. Kept for ever when nothing is
    purged (both periods 0)."""
    import sqlite3
    from contextlib import closing

    from kiosk.central.schema import MIGRATIONS, statements
    from kiosk.central.sqlite_storage import _TYPES

    path, backup = tmp_path / "central.db", tmp_path / "central.db.v8.bak"
    with closing(sqlite3.connect(path)) as conn:
        for migration in MIGRATIONS[:8]:
            for statement in statements(migration, _TYPES):
                conn.execute(statement)
        conn.execute("PRAGMA user_version=8")
        conn.commit()
    db = f"sqlite:///{path}"
    central("init", "--db", db)
    assert backup.exists()
    central("purge", "--db", db)  # no retention set: everything kept, the copy too
    assert backup.exists()
    central("retention", "--days", "90", "--personal-days", "30", "--reason", "test", "--db", db)
    waiting = central("purge", "--db", db).stdout
    assert backup.exists()
    made = dt.datetime.fromtimestamp(backup.stat().st_mtime)
    assert f"{backup}: a copy of the database made before an upgrade " \
        f"({made:%Y-%m-%d %H:%M}), holding the identities of every entry then; kept only " \
        f"to go back to the old release. Deleted by the purge from " \
        f"{(made + dt.timedelta(days=30)).date()}" in waiting
    assert "chứa danh tính mọi lượt lúc đó" in waiting
    month_ago = backup.stat().st_mtime - 30 * 86400 - 60
    os.utime(backup, (month_ago, month_ago))
    deleted = central("purge", "--db", db).stdout
    assert not backup.exists() and path.exists()
    assert f"{backup}: the copy made before the upgrade was deleted — older than the 30-day " \
        "retention, and the upgraded store was checked sound since" in deleted
    records = json.loads(central("audit", "list", "--kind", "purge-done", "--db", db,
                                 "--json").stdout)
    assert [r["subject"].endswith("central.db.v8.bak (copy before an upgrade) deleted")
            for r in records] == [True, False, False]  # newest first
