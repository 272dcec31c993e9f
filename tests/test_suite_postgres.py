"""The suite's throw-away PostgreSQL cluster (central_support.PostgresServer) and its empty
centres end with the test process that made them, however that process ends. Before, they
were removed only at a normal exit (atexit): a pytest killed by a CI timeout's SIGTERM, or a
developer's second Ctrl-C, left its cluster running and its /tmp/kiosk-pg-* and
/tmp/kiosk-empty-centre-* folders behind, more each time. A real pytest starting a real
cluster, killed by a real signal."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from central_support import postgres_bin

pytestmark = pytest.mark.skipif(postgres_bin() is None,
                                reason="PostgreSQL binaries not installed")

HOLDS_A_CLUSTER = """
import sys, time
from pathlib import Path
from central_support import _EMPTY_CENTRES, database_url, shared_postgres

def test_holds_the_sessions_cluster_and_an_empty_centre(tmp_path):
    server = shared_postgres()
    database_url("sqlite", tmp_path)
    empty_centre = Path(_EMPTY_CENTRES["sqlite"][1]).parent
    postmaster = (server.dir / "data" / "postmaster.pid").read_text().split()[0]
    print(server.dir, postmaster, empty_centre, file=sys.__stdout__, flush=True)
    time.sleep(3600)  # until the signal
"""


def running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("stopped_by", [signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGTERM", "SIGKILL"])
def test_a_pytest_killed_by_a_signal_leaves_no_postgres_running_and_no_folder(
        tmp_path: Path, stopped_by: signal.Signals) -> None:
    (tmp_path / "test_holds.py").write_text(HOLDS_A_CLUSTER)
    tests = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [tests, *filter(None, [os.environ.get("PYTHONPATH")])])}
    pytest_run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
         "test_holds.py"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    assert pytest_run.stdout is not None
    folder_name, pid, empty_centre_name = pytest_run.stdout.readline().split()
    folder, postmaster, empty_centre = Path(folder_name), int(pid), Path(empty_centre_name)
    try:
        assert running(postmaster) and folder.is_dir() and empty_centre.is_dir()
        ended = os.pidfd_open(postmaster)  # readable once the postmaster has ended
        pytest_run.send_signal(stopped_by)
        pytest_run.wait(timeout=60)
        assert select.select([ended], [], [], 120)[0], (
            f"PostgreSQL (pid {postmaster}) still runs after pytest was killed by "
            f"{stopped_by.name}")
        os.close(ended)
        deadline = time.monotonic() + 60  # the folders are removed just after
        while (folder.exists() or empty_centre.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [left for left in (folder, empty_centre) if left.exists()] == []
    finally:
        if pytest_run.poll() is None:
            pytest_run.kill()
        if running(postmaster):  # what the test found left: stopped, not left on the machine
            as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            subprocess.run([*as_postgres, str(postgres_bin() / "pg_ctl"), "-D",
                            str(folder / "data"), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=120)
        for left in (folder, empty_centre):
            shutil.rmtree(left, ignore_errors=True)
