"""Test scans and the sample's demo device never become a real checkpoint's data, and never
wait for ever: the docs' first look (`kiosk scan` on the sample config) records under the
sample kiosk id ``kiosk-01``, which no centre enrolled, and the sample's ``demo`` replay
device plays made-up people.

* ``kiosk enrol`` turns every replay device off in the config it writes, and says so: a
  kiosk enrolled at a real checkpoint no longer records (and sends) Nguyễn Văn An from
  scripts/demo-payloads.txt as a person there.
* Entries of an id no centre ever enrolled are named as such (by ``kiosk enrol``, which no
  longer sends the technician to ask the centre for a token of a kiosk it never had, and by
  ``kiosk doctor``), and ``kiosk sync discard-unenrolled`` deletes them: counted first,
  deleted only with ``--yes`` and a reason, written to the audit log, and refused for any id
  the kiosk knows was enrolled. Nothing real is deleted unsent.

Real parts: the ``kiosk`` command as a subprocess on real SQLite stores, a real
``kiosk-central serve`` on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from kiosk import config as config_mod
from kiosk.store import Store, StoreError
from tests.camera_support import CCCD
from tests.central_support import CentralServer, central
from tests.sync_support import fill_backlog, write_config

ROOT = Path(__file__).resolve().parents[1]
BINH = "079301004567||Trần Thị Bình|15071985|Nữ|12 Nguyễn Huệ, TP Hồ Chí Minh|20052021"


def kiosk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def sample_checkout(folder: Path) -> Path:
    """The shipped config.toml as the README's first look uses it: its demo replay device
    on, its store in data/, in English so the test reads the words."""
    (folder / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "demo-payloads.txt", folder / "scripts")
    config = folder / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'language = "vi"', 'language = "en"'), encoding="utf-8")
    return config


def qr_code(centre: CentralServer, kiosk_id: str, checkpoint: str, qr: Path) -> str:
    added = central("kiosks", "add", "--db", centre.db, "--checkpoint", checkpoint, "--name",
                    f"Máy {kiosk_id}", "--kiosk-id", kiosk_id, "--qr", str(qr),
                    "--server-url", centre.url, "--json")
    return json.loads(added.stdout)["code"]


@pytest.fixture
def centre(tmp_path):
    server = CentralServer(f"sqlite:///{tmp_path / 'central.db'}")
    yield server
    server.stop()


def test_a_first_look_before_enrolment_is_named_deleted_on_request_and_the_demo_turned_off(
        centre, tmp_path):
    config = sample_checkout(tmp_path / "checkout")
    store = tmp_path / "checkout" / "data" / "kiosk.db"
    assert kiosk("scan", CCCD, "--config", str(config)).returncode == 0  # the first look
    code = qr_code(centre, "dx3-01", "BP-DX-003", tmp_path / "dx3.png")
    before = config.read_bytes()

    refused = kiosk("enrol", "--code", code, "--config", str(config))

    assert refused.returncode == 1
    assert ("This kiosk still holds 1 unsent entries of kiosk id kiosk-01 (1), which no "
            "centre ever enrolled (test or demo scans?)") in refused.stderr
    assert "`kiosk sync discard-unenrolled --kiosk-id kiosk-01 --reason …`" in refused.stderr
    assert "kiosks token kiosk-01" not in refused.stderr  # the centre never had it
    assert config.read_bytes() == before  # the code is still unused

    counted = kiosk("sync", "discard-unenrolled", "--kiosk-id", "kiosk-01", "--reason",
                    "first look before enrolment", "--config", str(config))

    assert counted.returncode == 1, counted.stderr  # nothing deleted without --yes
    assert counted.stdout.startswith("1 entries of kiosk id kiosk-01 never reached a centre "
                                     "(CP-DEMO-01: 1; from 20")
    assert "run again with --yes" in counted.stdout
    with closing(sqlite3.connect(store)) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone() == (1,)

    deleted = kiosk("sync", "discard-unenrolled", "--kiosk-id", "kiosk-01", "--reason",
                    "first look before enrolment", "--yes", "--operator", "Trần Văn Bảo",
                    "--config", str(config))

    assert deleted.returncode == 0, deleted.stderr
    assert "Deleted 1 entries of kiosk id kiosk-01" in deleted.stdout
    with closing(sqlite3.connect(store)) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone() == (0,)
        actor, detail = db.execute("SELECT actor, detail FROM audit_log WHERE action = "
                                   "'sync.discard_unenrolled'").fetchone()
    assert actor == "Trần Văn Bảo"
    said = json.loads(detail)
    assert {key: said[key] for key in ("kiosk", "reason", "count", "checkpoints")} == {
        "kiosk": "kiosk-01", "reason": "first look before enrolment", "count": 1,
        "checkpoints": {"CP-DEMO-01": 1}}
    assert said["first_id"] == said["last_id"] and said["first_at"] == said["last_at"]

    enrolled = kiosk("enrol", "--code", code, "--config", str(config))

    assert enrolled.returncode == 0, enrolled.stderr
    assert ("Replay devices turned off (they play codes from a file, not people at the "
            "checkpoint): demo") in enrolled.stdout
    settings = config_mod.load(config)
    assert [(d.id, d.enabled) for d in settings.devices] == [("demo", False)]
    assert "# Replay: payloads from a file" in config.read_text(encoding="utf-8")  # kept
    with closing(sqlite3.connect(store)) as db:
        audited = [json.loads(d) for (d,) in db.execute(
            "SELECT detail FROM audit_log WHERE action = ?", ("kiosk.enrol",))]
    assert [(a["kiosk"], a["checkpoint"]) for a in audited] == [("dx3-01", "BP-DX-003")]

    ran = kiosk("run", "--headless", "--until-done", "--config", str(config))  # the demo

    assert ran.returncode == 0, ran.stderr
    with closing(sqlite3.connect(tmp_path / "central.db")) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone() == (0,)  # no Nguyễn Văn An
    mine = kiosk("sync", "discard-unenrolled", "--kiosk-id", "dx3-01", "--reason", "x",
                 "--yes", "--config", str(config))
    assert mine.returncode == 1
    assert "Not deleted: dx3-01 is this kiosk's enrolled id" in mine.stderr


def test_an_id_the_store_knows_was_enrolled_is_never_discarded(tmp_path):
    """An enrolment in the audit log, or one entry the centre acknowledged, and the id's
    unsent entries are real: refused, nothing deleted, the way to send them named."""
    path = tmp_path / "kiosk.db"
    fill_backlog(path, 3, kiosk_id="lane-8", checkpoint_id="CP-QL1A")
    delivered = fill_backlog(path, 4, kiosk_id="lane-7", checkpoint_id="CP-QL1A")
    store = Store(path)
    try:
        store.audit("technician", "kiosk.enrol", {"kiosk": "lane-8", "checkpoint": "CP-QL1A"})
        store.mark_synced(delivered[:1], {})

        for kiosk_id, evidence in (("lane-8", "store.enrolment_audited"),
                                   ("lane-7", "store.enrolment_delivered")):
            with pytest.raises(StoreError) as refused:
                store.discard_unenrolled(kiosk_id, "technician", "tidy up")
            assert refused.value.words.code == "store.discard_enrolled"
            assert refused.value.words.params["evidence"].code == evidence
        assert store.outbox_summary().pending == 3 + 3
    finally:
        store.close()
    config = write_config(tmp_path / "config.toml", kiosk_id="lane-9",
                          server_url="http://127.0.0.1:9", token="")

    cli = kiosk("sync", "discard-unenrolled", "--kiosk-id", "lane-7", "--reason", "tidy up",
                "--yes", "--config", str(config))

    assert cli.returncode == 1
    assert ("Not deleted: kiosk id lane-7 was enrolled at a centre (the centre acknowledged "
            "entries of it): its entries are real") in cli.stderr
    assert "`kiosk sync export --kiosk-id lane-7 --to FILE`" in cli.stderr


def test_discarding_leaves_every_other_kiosk_ids_entries_counted_and_found(tmp_path):
    """The same checkpoint, a test scan under the sample id and a real one after: the test
    scan goes from the counts (inside now), the name search and the queue; the real one
    stays in all three."""
    config = write_config(tmp_path / "config.toml", kiosk_id="kiosk-01",
                          server_url="http://127.0.0.1:9", token="", checkpoint_id="BP-DX-003")
    assert kiosk("scan", CCCD, "--config", str(config)).returncode == 0
    config.write_text(config.read_text(encoding="utf-8").replace('"kiosk-01"', '"dx3-01"'),
                      encoding="utf-8")
    assert kiosk("scan", BINH, "--config", str(config)).returncode == 0

    deleted = kiosk("sync", "discard-unenrolled", "--kiosk-id", "kiosk-01", "--reason",
                    "test scan", "--yes", "--config", str(config))

    assert deleted.returncode == 0, deleted.stderr
    stats = kiosk("stats", "--config", str(config)).stdout
    assert [line.split()[-1] for line in stats.splitlines()[:3]] == ["1", "0", "1"]
    for name, found in (("nguyen van an", 0), ("binh", 1)):
        listed = kiosk("entries", "--search", name, "--all", "--config", str(config))
        assert len(listed.stdout.splitlines()) == found, listed.stdout
    status = json.loads(kiosk("sync", "status", "--offline", "--json", "--config",
                              str(config)).stdout)
    assert (status["pending"], status["pending_elsewhere"]) == (1, {})


def test_sync_status_names_test_entries_left_behind_by_an_enrolment(tmp_path):
    """Enrolled with --leave-pending, the first look's entries stay under kiosk-01: the
    status's alert no longer only says to send them with a token that cannot exist."""
    config = write_config(tmp_path / "config.toml", kiosk_id="dx3-01", enabled=True,
                          server_url="http://127.0.0.1:9", token="t0ken")
    fill_backlog(tmp_path / "kiosk.db", 6, kiosk_id="kiosk-01")
    fill_backlog(tmp_path / "kiosk.db", 2, kiosk_id="ql1a-old")
    store = Store(tmp_path / "kiosk.db")
    store.audit("technician", "kiosk.enrol", {"kiosk": "ql1a-old"})
    store.close()

    status = kiosk("sync", "status", "--offline", "--config", str(config))

    assert status.returncode == 0, status.stderr
    assert ("ALERT: of these, the entries of kiosk-01 (6) are under a kiosk id no centre "
            "ever enrolled (test or demo scans?)") in status.stdout
    assert "`kiosk sync discard-unenrolled --kiosk-id kiosk-01 --reason …`" in status.stdout
    said = json.loads(kiosk("sync", "status", "--offline", "--json", "--config",
                            str(config)).stdout)
    assert said["pending_elsewhere"] == {"kiosk-01": 6, "ql1a-old": 2}
    assert said["pending_unenrolled"] == {"kiosk-01": 6}


def test_the_doctor_names_old_test_entries_and_the_way_to_delete_them(tmp_path):
    """The sample's entries a day and more old: the pending check fails, as for any
    backlog, but says they are test scans no centre will take, and the command that
    deletes them; an enrolled kiosk's own backlog is worded as before."""
    config = write_config(tmp_path / "config.toml", kiosk_id="kiosk-01",
                          server_url="http://127.0.0.1:9", token="")
    fill_backlog(tmp_path / "kiosk.db", 7, kiosk_id="kiosk-01", start=time.time() - 2 * 86400)

    pending = doctor_checks(config)["pending"]

    assert not pending["ok"]
    assert pending["en"].startswith("Oldest entry waiting for the centre: ")
    assert ("7 waiting entries are recorded under a kiosk id no centre ever enrolled: "
            "kiosk-01 (7) (test or demo scans?)") in pending["en"]
    assert "`kiosk sync discard-unenrolled --kiosk-id kiosk-01 --reason …`" in pending["en"]
    assert "kiosk sync discard-unenrolled --kiosk-id kiosk-01" in pending["vi"]

    enrolled = write_config(tmp_path / "enrolled.toml", kiosk_id="kiosk-01",
                            server_url="http://127.0.0.1:9", token="t0ken")
    pending = doctor_checks(enrolled)["pending"]
    assert not pending["ok"] and "discard" not in pending["en"]


def test_the_doctor_tells_to_turn_a_silent_replay_device_off_not_to_scan_a_test_code(
        tmp_path):
    config = sample_checkout(tmp_path)

    demo = doctor_checks(config)["device:demo"]

    assert demo["ok"] and demo["warning"]
    assert "scan a test code" not in demo["en"]
    assert demo["en"] == (
        "Device demo: nothing received in the last 7 days; a replay device only plays codes "
        "from a file (demos, tests), not people at the checkpoint: if it is the sample "
        f"device, set enabled = false on it in {config}")


def doctor_checks(config: Path) -> dict[str, dict]:
    done = kiosk("doctor", "--json", "--config", str(config))
    return {c["name"]: c for c in json.loads(done.stdout)["checks"]}
