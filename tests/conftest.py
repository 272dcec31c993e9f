"""Fixtures shared by the core tests: a real store file and a pipeline over it."""

from __future__ import annotations

import os
import resource
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

# Bytecode written and reused, whatever PYTHONDONTWRITEBYTECODE says (set on the development
# machine and in CI's shell): the suite starts a few thousand `kiosk` / `kiosk-central`
# processes, and without the .pyc files each compiled the kiosk's sources afresh (a third of
# a command's CPU), as this process compiled every test module at collection (15 s of CPU).
# Set before the kiosk and the test modules are imported; the processes the tests start
# inherit it. The .pyc files go where Python puts them (`__pycache__/`, ignored by git).
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
    sys.dont_write_bytecode = False

import pytest
from hypothesis import settings

from kiosk import config as config_mod
from kiosk.app import policy_from
from kiosk.pipeline import Pipeline
from kiosk.store import Store

# Every property test, without a deadline per example: they check behaviour, not speed, and
# the whole suite on a loaded 2-core machine runs examples past Hypothesis's default 200 ms,
# failing at random. Example counts stay each test's own (``@settings(max_examples=…)``
# inherits this profile, loaded here before any test module is imported).
settings.register_profile("kiosk", deadline=None)
settings.load_profile("kiosk")

CCCD_AN = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
CCCD_BINH = "079301004567||Trần Thị Bình|15071985|Nữ|12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh|20052021"


def make_config(tmp_path: Path, **sections: dict[str, Any]) -> config_mod.Config:
    """A validated config whose store lives in tmp_path; sections override the defaults."""
    data: dict[str, Any] = {
        "kiosk": {"id": "kiosk-t", "checkpoint_id": "CP-T", "timezone": "Asia/Ho_Chi_Minh"},
        "store": {"path": str(tmp_path / "kiosk.db")},
        "certificates": {"trust_list": str(tmp_path / "trust-list.json")},
    }
    for name, values in sections.items():
        if name == "devices":
            data["devices"] = values
        else:
            data[name] = {**data.get(name, {}), **values}
    return config_mod.from_dict(data)


def make_no_config(path: Path, made: str) -> None:
    """Leave at ``path`` a config.toml that is no config, as a damaged install or a wrong
    ``--config`` does: "a named pipe", "a link to /dev/zero" (a device) or "a 4 GB file"
    (sparse here: no disk)."""
    if made == "a named pipe":
        os.mkfifo(path)
    elif made == "a link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif made == "a 4 GB file":
        with path.open("wb") as huge:
            huge.truncate(4 << 30)
    else:
        raise ValueError(made)


def one_gigabyte() -> None:
    """A child process's ``preexec_fn``: 1 GB of address space, a kiosk's memory, so that
    reading a huge file whole fails there as on a kiosk, not after eating this machine's."""
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "kiosk.db")
    yield s
    s.close()


@pytest.fixture
def make_pipeline(tmp_path: Path):
    """Build a pipeline with policy overrides over a real store file; closes it afterwards."""
    opened: list[Store] = []

    def build(**policy: Any) -> Pipeline:
        config = make_config(tmp_path, policy=policy)
        s = Store(config.store_path, timezone=config.timezone)
        opened.append(s)
        return Pipeline(s, policy_from(config))

    yield build
    for s in opened:
        s.close()


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    """A real ``kiosk-central serve`` process on 127.0.0.1, one per test module that asks."""
    from tests.sync_support import CentralServer

    server = CentralServer(tmp_path_factory.mktemp("central"))
    yield server
    server.stop()


@pytest.fixture
def libfaketime() -> Path:
    """libfaketime's preload library, for the tests that move a process's wall clock;
    skipped where it is not installed."""
    path = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
    if not path.exists():
        pytest.skip("libfaketime not installed (scripts/bootstrap.sh installs it)")
    return path


@pytest.fixture
def kiosk_id() -> str:
    """A fresh kiosk id, so tests sharing one centre never see each other's entries."""
    return f"k-{uuid.uuid4().hex[:10]}"


def ctrl_c_as_at_a_terminal() -> None:
    """For ``preexec_fn``: the child takes Ctrl-C (SIGINT) as at a terminal. A test run in
    the background (a CI job, ``… &``) starts with SIGINT ignored, and every child inherits
    that: the command would never see the Ctrl-C the test sends it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
