"""A centre restored from a backup, and the kiosks sending again what it lost
(docs/central.md, "Restoring the centre from a backup"; docs/sync-operator.md).

The centre's database put back from last night's copy no longer holds what the kiosks
uploaded since — and those entries were acknowledged, so they had left each kiosk's pending
set: no push would ever send them again, and nothing said so. Now ``serve`` notes the newest
upload it stored in a file beside its backlog key, outside the database, and a database
older than that note is named at the start with the kiosks' command; ``kiosk sync resend
--since`` puts what the centre acknowledged since a time back in the pending set, and the
centre answers what it still holds ``duplicate`` and stores what it lost.

Real parts: ``kiosk-central serve`` on 127.0.0.1 over a SQLite file, its backup taken with
SQLite's backup API (what ``sqlite3 central.db ".backup …"`` does) and copied back over it
with the server stopped, the ``kiosk`` command, real kiosk stores.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from kiosk.config import load as load_config
from kiosk.store import Store
from kiosk.timestamps import utc_iso
from tests.central_support import copy_database
from tests.sync_support import CentralServer, fill_backlog, sync_states, write_config


def kiosk_sync(config: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """``kiosk sync ARGS`` run to completion with exit code 0 (``env`` added to this
    process's: a kiosk clock moved by libfaketime); what it printed."""
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", *args, "--config",
                           str(config)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_centre_restored_from_last_nights_backup_says_so_and_gets_back_what_it_lost(
        tmp_path: Path) -> None:
    """The restored centre's start names the loss and the kiosks' command (from the mark it
    keeps beside its backlog key, outside the database); the command run on the kiosk, the
    lost entries are stored again and the held ones answered duplicate."""
    centre_dir = tmp_path / "centre"
    centre_dir.mkdir()
    centre = CentralServer(centre_dir)
    try:
        config = write_config(tmp_path / "config.toml", kiosk_id="k-restored",
                              server_url=centre.url, token=centre.enrol("k-restored"))
        store = tmp_path / "kiosk.db"
        before = fill_backlog(store, 300, kiosk_id="k-restored")
        kiosk_sync(config, "push")
        copy_database(centre.db_path, tmp_path / "central-backup.db")  # last night's
        after = fill_backlog(store, 200, kiosk_id="k-restored", seed=2)
        kiosk_sync(config, "push")
        assert sync_states(store) == {"acknowledged": 500}
    finally:
        centre.stop()
    assert "restored from an older copy" not in centre.stderr()

    # the centre's disk fails; the operator puts last night's copy back, as the docs say
    for log in centre_dir.glob("central.db-*"):
        log.unlink()
    copy_database(tmp_path / "central-backup.db", centre.db_path)
    restored = CentralServer(centre_dir)
    try:
        write_config(config, kiosk_id="k-restored", server_url=restored.url,
                     token=_token(config))
        assert set(restored.stored_ids("k-restored")) == set(before)  # the day's 200 lost
        kiosk_sync(config, "push")  # nothing pending: a push alone never sends them again
        assert set(restored.stored_ids("k-restored")) == set(before)

        warning = restored.wait_for_stderr("then `kiosk sync push`").splitlines()[-1]
        assert "WARNING: this database holds uploads received until " in warning
        assert f"(noted in {centre_dir / 'central-received.mark'}): was it restored from an " \
               "older copy?" in warning
        since = re.search(r"run `kiosk sync resend --since (\S+)`", warning)[1]
        said = kiosk_sync(config, "resend", "--since", since, "--operator", "Trần Văn Bảo")
        assert said.startswith("500 entries the centre acknowledged since ")  # the hour before
        assert said.strip().endswith(
            " are pending again: the next push (`kiosk sync push`) sends them again; those "
            "the centre still holds come back \"already at the centre\", those it lost are "
            "stored again")
        assert sync_states(store) == {"pending": 500}
        pushed = kiosk_sync(config, "push")
        assert "200 new, 300 already at the centre, 0 rejected; 0 still pending" in pushed
        assert sorted(restored.stored_ids("k-restored")) == sorted(before + after)
        assert sync_states(store) == {"acknowledged": 500}
    finally:
        restored.stop()


def test_a_kiosk_3_hours_slow_gets_back_what_it_lost_from_the_time_the_warning_gives(
        tmp_path: Path, libfaketime: Path) -> None:
    """The warning's ``--since`` is the centre's time, an hour before its newest upload; a
    kiosk whose clock runs 3 h slow stamped its acknowledgements 3 h earlier than that, so
    an hour's margin missed every one (revown F1: 0 of 40 put back, all 40 lost for good).
    The kiosk moves the time back by the offset the centre last measured it by, and says so."""
    centre_dir = tmp_path / "centre"
    centre_dir.mkdir()
    slow = {"LD_PRELOAD": str(libfaketime), "FAKETIME": "-3h", "DONT_FAKE_MONOTONIC": "1"}
    centre = CentralServer(centre_dir)
    try:
        config = write_config(tmp_path / "config.toml", kiosk_id="k-slow",
                              server_url=centre.url, token=centre.enrol("k-slow"))
        store = tmp_path / "kiosk.db"
        before = fill_backlog(store, 60, kiosk_id="k-slow")
        kiosk_sync(config, "push", env=slow)
        copy_database(centre.db_path, tmp_path / "central-backup.db")
        after = fill_backlog(store, 40, kiosk_id="k-slow", seed=2)
        kiosk_sync(config, "push", env=slow)
        assert sync_states(store) == {"acknowledged": 100}
    finally:
        centre.stop()
    for log in centre_dir.glob("central.db-*"):
        log.unlink()
    copy_database(tmp_path / "central-backup.db", centre.db_path)
    restored = CentralServer(centre_dir)
    try:
        write_config(config, kiosk_id="k-slow", server_url=restored.url, token=_token(config))
        warning = restored.wait_for_stderr("then `kiosk sync push`").splitlines()[-1]
        since = re.search(r"run `kiosk sync resend --since (\S+)`", warning)[1]
        said = kiosk_sync(config, "resend", "--since", since, env=slow)
        assert sync_states(store) == {"pending": 100}
        assert said.startswith("This kiosk's clock was 10,8")  # 10,800 s, give or take transit
        assert " s behind the centre's at the last upload: the acknowledgements carry this " \
               "kiosk's time, so --since is moved back as much, to miss none" in said
        pushed = kiosk_sync(config, "push", env=slow)
        assert "40 new, 60 already at the centre, 0 rejected; 0 still pending" in pushed
        assert sorted(restored.stored_ids("k-slow")) == sorted(before + after)
    finally:
        restored.stop()


def test_a_resend_since_a_time_given_with_its_offset_says_it_in_the_kiosks_zone(
        tmp_path: Path) -> None:
    """``--since`` as the centre's warning gives it (its zone's offset) or in the kiosk's
    own local time: said back in the kiosk's zone; nothing acknowledged since, none put
    back."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k1",
                          server_url="http://127.0.0.1:9", token="t")
    fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id="k1")
    moment = dt.datetime(2026, 12, 5, 15, 0, tzinfo=dt.UTC)
    shown = moment.astimezone(load_config(config).timezone).strftime("%Y-%m-%d %H:%M")
    said = kiosk_sync(config, "resend", "--since", moment.isoformat(timespec="minutes"))
    assert said.startswith(f"0 entries the centre acknowledged since {shown} are pending")
    assert sync_states(tmp_path / "kiosk.db") == {"pending": 3}


def _token(config: Path) -> str:
    (line,) = [line for line in config.read_text(encoding="utf-8").splitlines()
               if line.startswith("token = ")]
    return json.loads(line.removeprefix("token = "))


def test_a_resend_puts_back_only_what_was_acknowledged_since_in_audited_parts(
        tmp_path: Path) -> None:
    """Entries still pending or refused, and those acknowledged before the time, stay as
    they are; the outbox's counts follow; each part is in the audit log, the last saying
    it is done (an interrupted resend says what it put back)."""
    path = tmp_path / "kiosk.db"
    ids = fill_backlog(path, 12, kiosk_id="k1")
    last_night, this_morning = utc_iso(1_800_000_000), utc_iso(1_800_030_000)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE entries SET sync_state = 'acknowledged', synced_at = ? "
                     "WHERE id IN (?, ?, ?)", (last_night, *ids[:3]))
        conn.execute("UPDATE entries SET sync_state = 'acknowledged', synced_at = ? "
                     "WHERE id IN (?, ?, ?, ?, ?)", (this_morning, *ids[3:8]))
        conn.execute("UPDATE entries SET sync_state = 'rejected', sync_error = 'refused', "
                     "synced_at = ? WHERE id = ?", (this_morning, ids[8]))
    conn.close()
    store = Store(path)
    try:
        assert store.resend_acknowledged(utc_iso(1_800_010_000), "op", chunk_rows=2) == 5
        assert [row["id"] for row in store.pending(100)] == [*ids[3:8], *ids[9:]]
        assert store.sync_counts() == {"pending": 8, "sent": 0, "acknowledged": 3,
                                       "rejected": 1}
        assert store.check_counts() == {}
        parts = [json.loads(row["detail"]) for row in store.audit_log()
                 if row["action"] == "sync.resend"]
        assert [(p["part"], p["count"], p["first_id"], p["last_id"]) for p in parts] == [
            (1, 2, ids[3], ids[4]), (2, 2, ids[5], ids[6]), (3, 1, ids[7], ids[7])]
        assert parts[-1]["total"] == 5 and parts[-1]["done"] is True
        assert {p["since"] for p in parts} == {utc_iso(1_800_010_000)}
        assert store.resend_acknowledged(utc_iso(1_800_010_000), "op") == 0  # nothing left
    finally:
        store.close()
