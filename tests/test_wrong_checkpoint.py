"""A typo in ``[kiosk] checkpoint_id`` (CP-QL1B for the enrolled CP-QL1A), as a reviewer met it:
`kiosk doctor` names it before a single scan is refused; the scans refused meanwhile fail the
doctor and the push; once the config is right, ``kiosk sync retry-rejected --checkpoint``
files them under the checkpoint the centre registered, keeps what each was recorded under in
the store's audit log, and the centre takes them. A real ``kiosk-central serve``, real stores.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.camera_support import CCCD
from tests.central_support import CentralServer, enrol
from tests.sync_support import write_config
from tests.test_doctor import SYNCHRONISED, synchronised_clock  # noqa: F401 (fixture)

ENROLLED, TYPO = "CP-QL1A", "CP-QL1B"


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **SYNCHRONISED})


def doctor_checks(config: Path) -> tuple[int, dict[str, dict]]:
    done = kiosk("doctor", "--json", "--config", str(config))
    return done.returncode, {c["name"]: c for c in json.loads(done.stdout)["checks"]}


@pytest.fixture
def centre(tmp_path_factory):
    server = CentralServer(f"sqlite:///{tmp_path_factory.mktemp('centre') / 'central.db'}")
    yield server
    server.stop()


@pytest.fixture
def typo_kiosk(centre, tmp_path) -> Path:
    """Kiosk ql1a-01, enrolled at CP-QL1A, its config saying CP-QL1B, one scan recorded."""
    token = enrol(centre.db, "ql1a-01", ENROLLED).token
    config = write_config(tmp_path / "config.toml", kiosk_id="ql1a-01", server_url=centre.url,
                          token=token, enabled=True, checkpoint_id=TYPO)
    scanned = kiosk("scan", CCCD, "--config", str(config))
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    return config


def set_checkpoint(config: Path, checkpoint: str) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(f'checkpoint_id = "{TYPO}"',
                                   f'checkpoint_id = "{checkpoint}"'), encoding="utf-8")


def centre_checkpoints(centre: CentralServer) -> list[str]:
    with sqlite3.connect(centre.db.removeprefix("sqlite:///")) as conn:
        return [row[0] for row in conn.execute("SELECT checkpoint_id FROM entries")]


def test_the_doctor_names_both_checkpoints_before_any_scan_is_refused(typo_kiosk):
    code, found = doctor_checks(typo_kiosk)

    assert code == 1
    assert found["token"]["ok"] and not found["registration"]["ok"]
    en, vi = found["registration"]["en"], found["registration"]["vi"]
    assert en.startswith(f"The config says checkpoint '{TYPO}' ([kiosk] checkpoint_id) but "
                         f"the centre has kiosk ql1a-01 registered at '{ENROLLED}'")
    assert f"Set checkpoint_id to '{ENROLLED}' in {typo_kiosk}" in en
    assert (f"have the centre enrol it there (`kiosk-central kiosks add --checkpoint {TYPO}`, "
            "then `kiosk enrol`)") in en
    assert f"trung tâm đăng ký trạm ql1a-01 tại điểm '{ENROLLED}'" in vi
    assert found["refused"]["ok"]  # nothing sent yet, so nothing refused


def test_refused_scans_fail_the_push_and_the_doctor_until_retried_under_the_right_checkpoint(
        centre, typo_kiosk):
    config = str(typo_kiosk)

    pushed = kiosk("sync", "push", "--config", config)
    assert pushed.returncode == 1, pushed.stdout + pushed.stderr
    assert "0 new, 0 already at the centre, 1 rejected; 0 still pending" in pushed.stdout
    assert "1 entries the centre refused sit in the store, not at the centre" in pushed.stderr
    again = kiosk("sync", "push", "--config", config)  # nothing left undone by this push:
    assert again.returncode == 0 and "1 entries the centre refused" in again.stderr  # said

    code, found = doctor_checks(typo_kiosk)
    assert code == 1 and not found["refused"]["ok"]
    en = found["refused"]["en"]
    assert en.startswith("1 entries refused by the centre sit in the store, not delivered; "
                         "1 of them for: checkpoint_id: kiosk 'ql1a-01' is "
                         f"enrolled at checkpoint '{ENROLLED}', not '{TYPO}'.")
    assert f"`kiosk sync retry-rejected --checkpoint {ENROLLED}`" in en
    assert f"`kiosk sync retry-rejected --checkpoint {ENROLLED}`" in found["refused"]["vi"]

    # the checkpoint named must be the configured one: with the typo still there, nothing moves
    early = kiosk("sync", "retry-rejected", "--checkpoint", ENROLLED, "--config", config)
    assert early.returncode == 2
    assert (f"Nothing changed: --checkpoint {ENROLLED} is not [kiosk] checkpoint_id = "
            f"'{TYPO}'") in early.stderr
    # the plain retry changes nothing either: the entry keeps its checkpoint, refused again
    assert kiosk("sync", "retry-rejected", "--config", config).returncode == 0
    assert kiosk("sync", "push", "--config", config).returncode == 1

    set_checkpoint(typo_kiosk, ENROLLED)
    retried = kiosk("sync", "retry-rejected", "--checkpoint", ENROLLED, "--operator",
                    "Trần Văn Bảo", "--config", config)
    assert retried.returncode == 0, retried.stderr
    assert (f"1 entries refused for another checkpoint are filed under {ENROLLED} and "
            "pending again") in retried.stdout
    pushed = kiosk("sync", "push", "--config", config)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "1 new" in pushed.stdout
    assert centre_checkpoints(centre) == [ENROLLED]

    with sqlite3.connect(typo_kiosk.parent / "kiosk.db") as conn:
        entry_id, checkpoint = conn.execute("SELECT id, checkpoint_id FROM entries").fetchone()
        audit = [(actor, json.loads(detail)) for actor, detail in conn.execute(
            "SELECT actor, detail FROM audit_log WHERE action = 'sync.retry_checkpoint'")]
    assert checkpoint == ENROLLED
    assert audit == [("Trần Văn Bảo", {
        "retry": audit[0][1]["retry"], "part": 1, "count": 1, "checkpoint": ENROLLED,
        "from": {TYPO: [entry_id]}, "total": 1, "done": True})]
    code, found = doctor_checks(typo_kiosk)
    assert found["refused"]["ok"] and found["registration"]["ok"], found


def test_a_retry_under_a_checkpoint_leaves_entries_refused_for_other_reasons_alone(
        centre, typo_kiosk):
    """Only entries the centre refused for a checkpoint it named as this one move."""
    config = str(typo_kiosk)
    assert kiosk("sync", "push", "--config", config).returncode == 1
    set_checkpoint(typo_kiosk, "CP-ELSEWHERE")

    moved = kiosk("sync", "retry-rejected", "--checkpoint", "CP-ELSEWHERE", "--config", config)

    assert moved.returncode == 0
    assert "0 entries refused for another checkpoint" in moved.stdout
    assert "1 entries are still refused" in moved.stdout
    with sqlite3.connect(typo_kiosk.parent / "kiosk.db") as conn:
        assert conn.execute("SELECT checkpoint_id, sync_state FROM entries").fetchall() == [
            (TYPO, "rejected")]
