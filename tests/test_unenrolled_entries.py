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
  the kiosk knows was enrolled. Nothing real is deleted unsent: every id a store is opened
  under with a token is recorded, so a kiosk enrolled before its store existed keeps its
  backlog when it is enrolled again under a new id; only pending entries are ever deleted,
  and an id with anything exported or answered by the centre is refused.
* The deleted people are gone from the file even while the running kiosk holds it open.

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
from kiosk.ids import boot_id
from kiosk.store import Store, StoreError, fill_movements, fill_presence
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
    assert ("This kiosk still holds 1 unsent entries of kiosk id kiosk-01 (1): not this "
            "kiosk's configured id, and no record shows it enrolled here. If they are test "
            "scans, delete them first") in refused.stderr
    assert "`kiosk sync discard-unenrolled --kiosk-id kiosk-01 --reason …`" in refused.stderr
    assert "kiosks token kiosk-01" not in refused.stderr  # the centre never had it
    assert config.read_bytes() == before  # the code is still unused

    counted = kiosk("sync", "discard-unenrolled", "--kiosk-id", "kiosk-01", "--reason",
                    "first look before enrolment", "--config", str(config))

    assert counted.returncode == 1, counted.stderr  # nothing deleted without --yes
    assert counted.stdout.startswith("1 entries of kiosk id kiosk-01 were never sent nor "
                                     "exported (CP-DEMO-01: 1; from 20")
    assert ("check at the centre (`kiosk-central kiosks list`) that no kiosk has the id "
            "kiosk-01") in counted.stdout
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
    """Anything that shows the id enrolled, and its unsent entries are real: refused,
    nothing deleted, the way to send them named. An enrolment or a use with a token in the
    audit log; an entry exported to a stick (that needs the centre's key) or an export of
    it audited; an entry the centre acknowledged or refused, or a refusals file of it
    loaded (the centre knew the id)."""
    path = tmp_path / "kiosk.db"
    backlogs = {kiosk_id: fill_backlog(path, 3, kiosk_id=kiosk_id, checkpoint_id="CP-QL1A")
                for kiosk_id in ("enrolled", "configured", "exported", "export-audited",
                                 "acknowledged", "refused", "refusals-loaded")}
    store = Store(path)
    try:
        store.audit("technician", "kiosk.enrol", {"kiosk": "enrolled", "checkpoint": "CP-QL1A"})
        store.note_configured("configured")
        store.mark_sent(backlogs["exported"][:1])
        store.audit("operator", "sync.export", {"file": "/media/usb/x.backlog",
                                                "kiosk_id": "export-audited", "entries": 3})
        store.mark_synced(backlogs["acknowledged"][:1], {})
        store.mark_synced([], {backlogs["refused"][0]: "unknown kiosk"})
        store.audit("operator", "sync.load_refusals", {"kiosk": "refusals-loaded", "count": 0})

        for kiosk_id, evidence in (("enrolled", "audited"), ("configured", "audited"),
                                   ("exported", "exported"), ("export-audited", "exported"),
                                   ("acknowledged", "answered"), ("refused", "answered"),
                                   ("refusals-loaded", "answered")):
            with pytest.raises(StoreError) as refused:
                store.discard_unenrolled(kiosk_id, "technician", "tidy up")
            assert refused.value.words.code == "store.discard_enrolled"
            assert refused.value.words.params["evidence"].code == f"store.enrolment_{evidence}"
        assert store.outbox_summary().pending == 7 * 3 - 2
    finally:
        store.close()
    config = write_config(tmp_path / "config.toml", kiosk_id="lane-9",
                          server_url="http://127.0.0.1:9", token="")

    cli = kiosk("sync", "discard-unenrolled", "--kiosk-id", "exported", "--reason", "tidy up",
                "--yes", "--config", str(config))

    assert cli.returncode == 1
    assert ("Not deleted: kiosk id exported was enrolled at a centre (entries of it were "
            "exported to a file for the centre): its entries are real") in cli.stderr
    assert "`kiosk sync export --kiosk-id exported --to FILE`" in cli.stderr
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone() == (7 * 3,)


def test_a_kiosk_enrolled_before_its_store_existed_keeps_its_backlog_when_enrolled_anew(
        centre, tmp_path):
    """A fresh install: `kiosk enrol` runs before any store exists, so no enrolment is
    written there. Its scans wait (the centre unreachable), then it is enrolled again under
    a new id, leaving them pending: they are the old id's real backlog, which the store's
    first open with the token recorded (``kiosk.configured``); status names the way to send
    them, never calls them test scans, and the discard is refused."""
    config = write_config(tmp_path / "config.toml", kiosk_id="setup", server_url=centre.url,
                          token="", checkpoint_id="CP-QL1A")
    first = kiosk("enrol", "--code", qr_code(centre, "ql1a-07", "CP-QL1A", tmp_path / "a.png"),
                  "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert not (tmp_path / "kiosk.db").exists()
    settings = config_mod.load(config)
    settings_text = config.read_text(encoding="utf-8")
    config.write_text(settings_text.replace(centre.url, "http://127.0.0.1:9"),
                      encoding="utf-8")  # the centre unreachable: the scans wait
    for scan in (CCCD, BINH):
        assert kiosk("scan", scan, "--config", str(config)).returncode == 0
    config.write_text(settings_text, encoding="utf-8")
    assert settings.kiosk.id == "ql1a-07"

    again = kiosk("enrol", "--code", qr_code(centre, "ql1a-08", "CP-QL1A", tmp_path / "b.png"),
                  "--leave-pending", "--config", str(config))

    assert again.returncode == 0, again.stderr
    status = kiosk("sync", "status", "--offline", "--config", str(config))
    assert "ql1a-07 (2)" in status.stdout
    assert "test" not in status.stdout and "discard-unenrolled" not in status.stdout
    assert "`kiosk sync push --kiosk-id ql1a-07 --token-file FILE`" in status.stdout
    assert json.loads(kiosk("sync", "status", "--offline", "--json", "--config",
                            str(config)).stdout)["pending_unenrolled"] == {}
    discard = kiosk("sync", "discard-unenrolled", "--kiosk-id", "ql1a-07", "--reason",
                    "test scans", "--yes", "--config", str(config))
    assert discard.returncode == 1
    assert ("Not deleted: kiosk id ql1a-07 was enrolled at a centre (the audit log holds its "
            "enrolment, or its use with a token)") in discard.stderr
    with closing(sqlite3.connect(tmp_path / "kiosk.db")) as db:
        assert db.execute("SELECT count(*) FROM entries WHERE kiosk_id = 'ql1a-07' AND "
                          "sync_state = 'pending'").fetchone() == (2,)
        configured = [json.loads(d)["kiosk"] for (d,) in db.execute(
            "SELECT detail FROM audit_log WHERE action = 'kiosk.configured'")]
    assert configured.count("ql1a-07") == 1  # once, not at each of the scans' opens


def test_discarded_people_are_gone_from_the_file_while_the_kiosk_holds_it_open(tmp_path):
    """The running kiosk keeps a connection open: the discard empties the log into the file
    as the purge does, so neither kiosk.db nor its -wal still holds the name or the number."""
    config = write_config(tmp_path / "config.toml", kiosk_id="kiosk-01",
                          server_url="http://127.0.0.1:9", token="")
    assert kiosk("scan", CCCD, "--config", str(config)).returncode == 0
    number, name = CCCD.split("|")[0], CCCD.split("|")[2]
    with closing(sqlite3.connect(tmp_path / "kiosk.db")) as running:
        assert running.execute("SELECT count(*) FROM entries").fetchone() == (1,)

        deleted = kiosk("sync", "discard-unenrolled", "--kiosk-id", "kiosk-01", "--reason",
                        "test scan", "--yes", "--config", str(config))

        assert deleted.returncode == 0, deleted.stderr
        for file in tmp_path.glob("kiosk.db*"):
            held = file.read_bytes()
            assert name.encode() not in held and number.encode() not in held, file.name


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
    assert ("ALERT: of these, the entries of kiosk-01 (6) are under a kiosk id that is not "
            "this kiosk's configured id and no record shows enrolled here. If these are test "
            "scans: `kiosk sync discard-unenrolled --kiosk-id kiosk-01 --reason …`") \
        in status.stdout
    assert ("If kiosk-01 is a real kiosk id: send them with its token (`kiosk sync push "
            "--kiosk-id kiosk-01 --token-file FILE`) or export them") in status.stdout
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
    assert ("7 waiting entries are recorded under a kiosk id that is not this kiosk's "
            "configured id and no record shows enrolled here: kiosk-01 (7). If these are test "
            "scans") in pending["en"]
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


def test_a_long_run_of_test_scans_is_deleted_in_parts_each_audited(tmp_path):
    """A month of test scans at a busy gate, deleted on a kiosk at work: in one transaction
    the write lock was held for seconds and the officer's scans meanwhile were refused. They
    go in parts with a pause between (as a retry of refused entries does); each part's audit
    record says which entries it deleted, the first also what was counted (per checkpoint,
    from when to when), the last the total — so a discard cut short says how far it got.
    The people's presence is rebuilt from what is left."""
    path = tmp_path / "kiosk.db"
    kept = fill_backlog(path, 2, kiosk_id="dx3-01", checkpoint_id="CP-QL1A",
                        start=time.time() - 86400)  # the same people, yesterday, for real
    doomed = fill_backlog(path, 12, kiosk_id="kiosk-01", checkpoint_id="CP-QL1A")
    with closing(sqlite3.connect(path)) as db, db:  # as the kiosk's scans leave it
        fill_presence(db)
        fill_movements(db, boot_id())
        assert db.execute("SELECT count(*) FROM presence").fetchone() == (12,)
    store = Store(path)
    try:
        done = store.discard_unenrolled("kiosk-01", "Trần Văn Bảo", "test scans", chunk_rows=5)
        assert done.count == 12 and done.checkpoints == {"CP-QL1A": 12}
        assert store.outbox_summary().pending == 2
    finally:
        store.close()
    with closing(sqlite3.connect(path)) as db:
        assert [row[0] for row in db.execute("SELECT id FROM entries ORDER BY id")] == kept
        parts = [json.loads(d) for (d,) in db.execute(
            "SELECT detail FROM audit_log WHERE action = 'sync.discard_unenrolled' ORDER BY id")]
        people = db.execute("SELECT checkpoint_id, subject_key, scanned_at FROM presence "
                            "ORDER BY 2").fetchall()
        last_real = db.execute("SELECT checkpoint_id, subject_key, max(scanned_at) FROM entries "
                               "GROUP BY 1, 2 ORDER BY 2").fetchall()
        test_people = db.execute("SELECT count(DISTINCT subject_key) FROM entries").fetchone()
        gone_moves = db.execute("SELECT count(*) FROM presence WHERE last_id NOT IN "
                                "(SELECT id FROM entries)").fetchone()
    assert [(p["part"], p["count"], p["first_id"], p["last_id"]) for p in parts] == [
        (1, 5, doomed[0], doomed[4]), (2, 5, doomed[5], doomed[9]), (3, 2, doomed[10], doomed[11])]
    assert {p["kiosk"] for p in parts} == {"kiosk-01"} and len({p["retry"] for p in parts}) == 1
    assert (parts[0]["checkpoints"], parts[0]["reason"]) == ({"CP-QL1A": 12}, "test scans")
    assert "checkpoints" not in parts[1]
    assert (parts[-1]["total"], parts[-1]["done"]) == (12, True)
    assert "done" not in parts[0] and "done" not in parts[1]
    assert len(people) == 2 and people == last_real  # each last real movement, no other
    assert test_people == (2,) and gone_moves == (0,)
