"""Entries the centre refused and will never take (a test code, a garbled scan, a clock
years behind) can be let go: ``kiosk sync discard-rejected``.

The retention purge removes only entries the centre acknowledged, so a refused entry kept
its name on the kiosk for ever; ``retry-rejected`` only sends it again, to be refused
again. The sync operator now:

* sees first, without ``--yes``, how many would go, per the centre's reason code (as
  ``kiosk sync status --json`` gives it) and from when to when — nothing deleted, exit 1;
* deletes them with ``--yes`` and a ``--reason``: all refused entries, or those of one
  ``--code``, or those scanned ``--before`` a day; written to the audit log in parts
  (``sync.discard_rejected``), the people's presence rebuilt from what is left;
* never deletes an entry that is not refused: pending, exported (sent) and acknowledged
  ones stay as they were;
* leaves no name in the file, even while the running kiosk holds it open.

Real parts: the ``kiosk`` command as a subprocess on real SQLite stores.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from kiosk.ids import boot_id
from kiosk.messages import Words
from kiosk.store import Store, fill_movements, fill_presence
from tests.camera_support import CCCD
from tests.sync_support import fill_backlog, write_config

ROOT = Path(__file__).resolve().parents[1]
INVALID = Words("refusal.invalid", {"field": "payload", "detail": "not a code we know"})
TOO_OLD = Words("refusal.too_old", {"field": "scanned_at", "time": "2019-01-01T00:00:00Z",
                                    "days": 400})


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def states(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT id, sync_state FROM entries"))


def a_kiosk_with_every_state(tmp_path: Path) -> tuple[Path, dict[str, list[str]]]:
    """A kiosk's config and store: 2 entries pending, 2 exported (sent), 2 acknowledged,
    and 5 refused — 3 for a code the centre cannot read, 1 as too old, 1 with a reason a
    newer centre sent without a code this kiosk knows."""
    config = write_config(tmp_path / "config.toml", kiosk_id="dx3-01",
                          server_url="http://127.0.0.1:9", token="")
    ids = fill_backlog(tmp_path / "kiosk.db", 11, kiosk_id="dx3-01")
    chosen = {"pending": ids[0:2], "sent": ids[2:4], "acknowledged": ids[4:6],
              "invalid": ids[6:9], "too_old": ids[9:10], "plain": ids[10:11]}
    store = Store(tmp_path / "kiosk.db")
    try:
        store.mark_sent(chosen["sent"])
        store.mark_synced(chosen["acknowledged"], {
            **{i: INVALID for i in chosen["invalid"]}, **{i: TOO_OLD for i in chosen["too_old"]},
            **{i: "refused by a newer centre" for i in chosen["plain"]}})
    finally:
        store.close()
    return config, chosen


def test_without_yes_it_counts_per_reason_code_and_deletes_nothing(tmp_path):
    config, _ = a_kiosk_with_every_state(tmp_path)
    before = states(tmp_path / "kiosk.db")

    counted = kiosk("sync", "discard-rejected", "--reason", "test codes", "--config",
                    str(config))

    assert counted.returncode == 1, counted.stderr
    assert ("5 entries the centre refused (no code (1), refusal.invalid (3), "
            "refusal.too_old (1); scanned from ") in counted.stdout
    assert "run again with --yes" in counted.stdout
    assert states(tmp_path / "kiosk.db") == before
    one_code = kiosk("sync", "discard-rejected", "--reason", "test codes", "--code",
                     "refusal.too_old", "--config", str(config))
    assert "1 entries the centre refused (refusal.too_old (1);" in one_code.stdout


def test_with_yes_every_refused_entry_goes_and_no_other(tmp_path):
    """Pending, exported and acknowledged entries are the centre's or on their way to it:
    untouched, whatever the choice."""
    config, chosen = a_kiosk_with_every_state(tmp_path)

    deleted = kiosk("sync", "discard-rejected", "--reason", "test codes", "--yes",
                    "--operator", "Trần Văn Bảo", "--config", str(config))

    assert deleted.returncode == 0, deleted.stderr
    assert "Deleted 5 refused entries (audit log: sync.discard_rejected)" in deleted.stdout
    left = states(tmp_path / "kiosk.db")
    assert left == {**{i: "pending" for i in chosen["pending"]},
                    **{i: "sent" for i in chosen["sent"]},
                    **{i: "acknowledged" for i in chosen["acknowledged"]}}
    status = json.loads(kiosk("sync", "status", "--offline", "--json", "--config",
                              str(config)).stdout)
    assert (status["pending"], status["rejected"]) == (4, 0)
    again = kiosk("sync", "discard-rejected", "--reason", "test codes", "--yes", "--config",
                  str(config))
    assert again.returncode == 1
    assert "No such refused entries: nothing to delete" in again.stdout


def test_a_code_or_a_day_chooses_which_refused_entries_go(tmp_path):
    """--code takes only the entries refused for that reason; --before only those scanned
    before that local day."""
    config, chosen = a_kiosk_with_every_state(tmp_path)
    old = fill_backlog(tmp_path / "kiosk.db", 2, kiosk_id="dx3-01",
                       start=time.time() - 10 * 86400)  # ten days ago
    store = Store(tmp_path / "kiosk.db")
    try:
        store.mark_synced([], {i: TOO_OLD for i in old})
    finally:
        store.close()
    three_days_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 3 * 86400))

    by_code = kiosk("sync", "discard-rejected", "--reason", "test codes", "--code",
                    "refusal.invalid", "--yes", "--config", str(config))

    assert by_code.returncode == 0, by_code.stderr
    left = states(tmp_path / "kiosk.db")
    assert not set(chosen["invalid"]) & left.keys()
    assert {i: left[i] for i in chosen["too_old"] + chosen["plain"] + old} == dict.fromkeys(
        chosen["too_old"] + chosen["plain"] + old, "rejected")

    by_day = kiosk("sync", "discard-rejected", "--reason", "clock years behind", "--before",
                   three_days_ago, "--yes", "--config", str(config))

    assert by_day.returncode == 0, by_day.stderr
    left = states(tmp_path / "kiosk.db")
    assert not set(old) & left.keys()
    assert {i: left[i] for i in chosen["too_old"] + chosen["plain"]} == dict.fromkeys(
        chosen["too_old"] + chosen["plain"], "rejected")
    assert len(left) == 6 + 2  # the six not refused, the two refused today


def test_a_reason_is_needed_to_delete(tmp_path):
    config, _ = a_kiosk_with_every_state(tmp_path)
    before = states(tmp_path / "kiosk.db")

    refused = kiosk("sync", "discard-rejected", "--reason", " ", "--yes", "--config",
                    str(config))

    assert refused.returncode == 2
    assert "--reason is needed" in refused.stderr
    assert states(tmp_path / "kiosk.db") == before


def test_a_long_run_of_refused_entries_is_deleted_in_parts_each_audited(tmp_path):
    """As discard-unenrolled's: each part's audit record says which entries it deleted, the
    first also who, why and what was counted (per reason code, from when to when), the last
    the total — a discard cut short says how far it got. The people's presence is rebuilt
    from what is left: the entries still waiting to be sent stay their last movement."""
    path = tmp_path / "kiosk.db"
    kept = fill_backlog(path, 2, kiosk_id="dx3-01", checkpoint_id="CP-QL1A",
                        start=time.time() - 86400)  # the same people, yesterday, for real
    doomed = fill_backlog(path, 12, kiosk_id="dx3-01", checkpoint_id="CP-QL1A")
    with closing(sqlite3.connect(path)) as db, db:  # as the kiosk's scans leave it
        fill_presence(db)
        fill_movements(db, boot_id())
    store = Store(path)
    try:
        store.mark_synced([], {i: INVALID if n % 3 else TOO_OLD for n, i in enumerate(doomed)})
        done = store.discard_rejected("Trần Văn Bảo", "test codes", chunk_rows=5)
        assert done.count == 12
        assert done.codes == {"refusal.invalid": 8, "refusal.too_old": 4}
        assert store.outbox_summary().pending == 2
    finally:
        store.close()
    with closing(sqlite3.connect(path)) as db:
        assert [row[0] for row in db.execute("SELECT id FROM entries ORDER BY id")] == kept
        parts = [(actor, json.loads(d)) for actor, d in db.execute(
            "SELECT actor, detail FROM audit_log WHERE action = 'sync.discard_rejected' "
            "ORDER BY id")]
        people = db.execute("SELECT checkpoint_id, subject_key, scanned_at FROM presence "
                            "ORDER BY 2").fetchall()
        last_real = db.execute("SELECT checkpoint_id, subject_key, max(scanned_at) FROM entries "
                               "GROUP BY 1, 2 ORDER BY 2").fetchall()
    assert {actor for actor, _ in parts} == {"Trần Văn Bảo"}
    parts_said = [said for _, said in parts]
    assert [(p["part"], p["count"], p["first_id"], p["last_id"]) for p in parts_said] == [
        (1, 5, doomed[0], doomed[4]), (2, 5, doomed[5], doomed[9]), (3, 2, doomed[10], doomed[11])]
    assert {p["reason"] for p in parts_said} == {"test codes"}
    assert parts_said[0]["codes"] == {"refusal.invalid": 8, "refusal.too_old": 4}
    assert "codes" not in parts_said[1] and "done" not in parts_said[0]
    assert (parts_said[-1]["total"], parts_said[-1]["done"]) == (12, True)
    assert len(people) == 2 and people == last_real


def test_discarded_people_are_gone_from_the_file_while_the_kiosk_holds_it_open(tmp_path):
    """The running kiosk keeps a connection open: the discard empties the log into the file
    as the purge does, so neither kiosk.db nor its -wal still holds the name or the number."""
    config = write_config(tmp_path / "config.toml", kiosk_id="dx3-01",
                          server_url="http://127.0.0.1:9", token="")
    assert kiosk("scan", CCCD, "--config", str(config)).returncode == 0
    number, name = CCCD.split("|")[0], CCCD.split("|")[2]
    store = Store(tmp_path / "kiosk.db")
    try:
        store.mark_synced([], {i: INVALID for i in states(tmp_path / "kiosk.db")})
    finally:
        store.close()
    with closing(sqlite3.connect(tmp_path / "kiosk.db")) as running:
        assert running.execute("SELECT count(*) FROM entries").fetchone() == (1,)

        deleted = kiosk("sync", "discard-rejected", "--reason", "test scan", "--yes",
                        "--config", str(config))

        assert deleted.returncode == 0, deleted.stderr
        for file in tmp_path.glob("kiosk.db*"):
            held = file.read_bytes()
            assert name.encode() not in held and number.encode() not in held, file.name
