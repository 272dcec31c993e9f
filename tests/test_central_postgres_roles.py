"""A centre on PostgreSQL set up as docs/central.md ("PostgreSQL") says, on PostgreSQL 15
(Debian 12's): the role `serve` runs as owns the database (`createdb -O`), so it owns every
table `kiosk-central init` makes, every table a later schema adds and every day partition,
and an upgrade (`init`, or the first command of the new version) runs as that role.

Before, the guide advised a role that does not own the tables and said no more: no open
worked without CREATE on schema public (PostgreSQL 15 grants it to the owner alone), the
upgrade of this release stopped at "must be owner of table audit_log", said only as "the
database account lacks this permission", and `init` on an older centre said "nothing made"
when it had upgraded it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from central_support import (
    CENTRAL,
    CentralServer,
    batch,
    database_url,
    enrol,
    kiosk_entries,
    set_schema_version,
    shared_postgres,
)
from web_support import add_users, csrf, signed_in

from kiosk.central.backends import open_storage
from kiosk.central.schema import MIGRATIONS
from kiosk.central.trace_api import TRACE_PATH

ROOT = Path(__file__).resolve().parents[1]
OLDER = 43
"""The schema of the release before this one's v44 (an index on audit_log), v45 (a new
table) and v46 (a column of daily_reports): the upgrade the review found stopped."""


def central(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CENTRAL, *args, "--db", url], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def as_postgres(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    """One of PostgreSQL's own tools, as `sudo -u postgres TOOL …` runs it on Debian."""
    postgres = shared_postgres()
    return subprocess.run([str(postgres.bin / tool), "-h", str(postgres.dir), "-p",
                           str(postgres.port), "-U", "postgres", *args],
                          capture_output=True, text=True, timeout=60)


def take_back_to_older_schema(url: str) -> None:
    """The centre as the release before v44 left it (its owner's connection)."""
    with open_storage(url) as storage, storage._transaction() as tx:
        storage._execute(tx, "DROP INDEX audit_log_actor")  # v44
        storage._execute(tx, "DROP TABLE trace_claims")  # v45
        set_schema_version(storage, tx, OLDER)  # v46 undone there


@pytest.fixture
def centre() -> tuple[str, str]:
    """The guide's recipe on a fresh database: the role named as the system user the units
    run as, the database owned by it, reached over PostgreSQL's socket. Returns its URL and
    the database's name."""
    if shared_postgres() is None:
        pytest.skip("PostgreSQL binaries not installed")
    made = as_postgres("createuser", "kiosk-central")
    assert made.returncode == 0 or "already exists" in made.stderr, made.stderr
    name = f"central_{uuid.uuid4().hex[:12]}"
    assert as_postgres("createdb", "-O", "kiosk-central", name).returncode == 0
    postgres = shared_postgres()
    return (f"postgresql://kiosk-central@/{name}?host={postgres.dir}&port={postgres.port}",
            name)


def test_the_guides_role_makes_upgrades_and_serves_its_centre(centre, tmp_path: Path) -> None:
    url, name = centre
    started = central(url, "init")
    assert started.returncode == 0, started.stderr
    assert "Started a new, empty centre database" in started.stderr
    assert central(url, "checkpoints", "add", "CP-1", "--name", "Chợ").returncode == 0
    add_users(url, {"tracer1": ("tracer", None)})
    take_back_to_older_schema(url)

    upgraded = central(url, "init")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.splitlines()[0].endswith(  # then its id
        f"Upgraded the centre database at {url} from schema v{OLDER} to v{len(MIGRATIONS)}")
    assert f"từ lược đồ v{OLDER} lên v{len(MIGRATIONS)}" in upgraded.stdout
    with psycopg.connect(shared_postgres().url(name)) as conn:
        owners = {owner for (owner,) in conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")}
    assert owners == {"kiosk-central"}  # the new table and every day partition too

    kiosk = enrol(url, "lane-1", "CP-1")
    server = CentralServer(url)
    try:
        sent = server.post(batch("lane-1", kiosk_entries(tmp_path, "lane-1", 3, "CP-1")),
                           token=kiosk.token)
        assert sent.status_code == 200, sent.text
        with signed_in(server.url, "tracer1") as tracer:
            answer = tracer.post(TRACE_PATH, headers={"X-CSRF-Token": csrf(
                tracer.get("/tracing").text)}, json={"document": "001099000001",
                                                      "reason": "ca bệnh F0-1"})
        assert answer.status_code == 200, answer.text  # its claim in v45's trace_claims
    finally:
        server.stop()
    report = central(url, "report", "daily", "--date", "today", "--out-dir",
                     str(tmp_path / "reports"))
    assert report.returncode == 0, report.stderr
    assert len(list((tmp_path / "reports").iterdir())) == 3


def _guides_dump_commands() -> tuple[list[str], list[str]]:
    """docs/central.md's PostgreSQL dump before an upgrade, as written: its ``sudo`` lines
    before the upgrade and after "# going back" (systemctl and git are not run here)."""
    guide = (ROOT / "docs" / "central.md").read_text(encoding="utf-8")
    block = guide.split("**PostgreSQL.** The upgrade keeps no copy")[1]
    block = block.split("```sh\n")[1].split("```")[0]
    before, back = block.split("# going back")
    pick = [line for line in before.splitlines()
            if line.startswith("sudo ") and "systemctl" not in line and "install-central" not
            in line]
    return pick, [line for line in back.splitlines() if line.startswith("sudo ")]


@pytest.mark.skipif(os.geteuid() != 0, reason="runs PostgreSQL's tools as the postgres user")
def test_the_guides_dump_before_an_upgrade_takes_the_centre_back(tmp_path: Path) -> None:
    """The guide's `pg_dump` before an upgrade and `pg_restore` to go back, run as written
    by root with `sudo -u postgres` (here `runuser`, on the test's cluster), into a folder
    like /var/backups (root's, 0755): the dump is made, readable by postgres alone, and
    restoring it takes the centre back to it (a kiosk enrolled after the dump is gone), its
    tables still owned by the centre's role. Before, the guide dumped `kiosk_central` (the
    setup makes `central`), into /var/backups itself, which `postgres` cannot write, and
    went back with a role `kiosk_central` nobody made."""
    postgres = shared_postgres()
    if postgres is None:
        pytest.skip("PostgreSQL binaries not installed")
    made = as_postgres("createuser", "kiosk-central")
    assert made.returncode == 0 or "already exists" in made.stderr, made.stderr
    as_postgres("dropdb", "--if-exists", "central")
    assert as_postgres("createdb", "-O", "kiosk-central", "central").returncode == 0
    url = f"postgresql://kiosk-central@/central?host={postgres.dir}&port={postgres.port}"
    backups = Path(tempfile.mkdtemp(prefix="kiosk-backups-"))  # stands for /var/backups:
    backups.chmod(0o755)  # root's, 0755, where postgres reaches (tmp_path is 0700)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "sudo").write_text(  # `sudo -u postgres TOOL …` / `sudo TOOL …`, as root
        "#!/bin/sh\n"
        f'if [ "$1" = -u ]; then user=$2; shift 2; exec runuser -u "$user" -- env '
        f'PGHOST={postgres.dir} PGPORT={postgres.port} PATH={postgres.bin}:/usr/bin:/bin '
        '"$@"; fi\nexec "$@"\n')
    (tools / "sudo").chmod(0o755)

    def run(lines: list[str]) -> None:
        for line in lines:
            done = subprocess.run(["sh", "-c", line.replace("/var/backups", str(backups))],
                                  capture_output=True, text=True, timeout=120,
                                  env={**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"})
            assert done.returncode == 0, (line, done.stderr)

    try:
        assert central(url, "init").returncode == 0
        assert central(url, "checkpoints", "add", "CP-1", "--name", "Chợ").returncode == 0
        assert enrol(url, "lane-1", "CP-1")
        dump, back = _guides_dump_commands()
        run(dump)
        assert [p.name for p in (backups / "kiosk-central").iterdir()] == ["before-upgrade.dump"]
        assert (backups / "kiosk-central").stat().st_mode & 0o777 == 0o700
        assert enrol(url, "lane-2", "CP-1")  # as the new release would write
        run(back)
        listed = central(url, "kiosks", "list", "--json")
        assert [k["id"] for k in json.loads(listed.stdout)] == ["lane-1"], listed.stderr
        with psycopg.connect(postgres.url("central")) as conn:
            owners = {owner for (owner,) in conn.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")}
        assert owners == {"kiosk-central"}
    finally:
        as_postgres("dropdb", "--if-exists", "central")
        shutil.rmtree(backups)


def test_an_upgrade_by_another_role_is_refused_naming_the_owner_and_the_step(
        centre, tmp_path: Path) -> None:
    """A role given DML on the tables (no owner, no CREATE on schema public, as PostgreSQL
    15 has it) opens a current centre, but cannot upgrade an older one: it is told what it
    lacks, in PostgreSQL's words, and who must run the upgrade, in both languages."""
    url, name = centre
    assert central(url, "init").returncode == 0
    postgres = shared_postgres()
    with psycopg.connect(postgres.url(name), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'kiosk-clerk'").fetchone():
            conn.execute('CREATE ROLE "kiosk-clerk" LOGIN')
        conn.execute('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public '
                     'TO "kiosk-clerk"')
        conn.execute('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "kiosk-clerk"')
        assert not conn.execute("SELECT has_schema_privilege('kiosk-clerk', 'public', "
                                "'CREATE')").fetchone()[0]
    clerk = url.replace("kiosk-central@", "kiosk-clerk@")
    listed = central(clerk, "checkpoints", "list")
    assert listed.returncode == 0, listed.stderr

    take_back_to_older_schema(url)
    refused = central(clerk, "init")
    assert refused.returncode == 3
    new = len(MIGRATIONS)
    assert (f"the schema upgrade v{OLDER}→v{new} needs the tables' owner, which the account "
            f"kiosk-clerk is not (the database account lacks this permission (PostgreSQL: "
            f"must be owner of table audit_log)): run kiosk-central init --db <owner URL> as "
            f"the tables' owner, then start again — nothing changed") in refused.stderr
    assert f"nâng cấp lược đồ v{OLDER}→v{new} cần chủ sở hữu các bảng" in refused.stderr
    with psycopg.connect(postgres.url(name)) as conn:
        assert conn.execute("SELECT value FROM central_meta WHERE key = 'schema_version'"
                            ).fetchone()[0] == str(OLDER)


def test_init_on_an_older_sqlite_centre_says_it_upgraded_it(tmp_path: Path) -> None:
    url = database_url("sqlite", tmp_path)
    with open_storage(url) as storage, storage._transaction() as tx:
        set_schema_version(storage, tx, OLDER)
    upgraded = central(url, "init")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.splitlines()[0] == (  # then its id (tests/test_sync_centre_id.py)
        f"Đã nâng cấp cơ sở dữ liệu trung tâm tại {tmp_path / 'central.db'} từ lược đồ "
        f"v{OLDER} lên v{len(MIGRATIONS)} / Upgraded the centre database at "
        f"{tmp_path / 'central.db'} from schema v{OLDER} to v{len(MIGRATIONS)}")
