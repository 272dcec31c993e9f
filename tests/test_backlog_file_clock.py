"""A backlog file from a kiosk whose clock the centre measured wrong over the network.

A file's age says nothing of the kiosk's clock, so the centre measures no offset on it. But
when the centre last heard the kiosk over the network its clock was off (``kiosks list``
flagged it): the file's scans were made at their ``scanned_at`` if the clock was set right
since, or that corrected by the offset if it was not. A file that says the kiosk's clock as
it was written (``clock`` in its manifest: kiosks of this version) has each scan filed at
the later of the two and marked uncertain by the difference — never filed as sure at a time
3 hours off, which a trace would take at its word. A file of an older kiosk is imported as
before (docs/central.md, "A kiosk's clock in a backlog file")."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.central.backends import open_storage
from kiosk.central.storage import TIME_UNCERTAIN
from kiosk.sync import backlog, protocol
from tests import central_support
from tests.central_support import ENGINES, database_url
from tests.sync_support import backlog_rows, fill_backlog
from tests.test_sync_backlog import centre_key, kiosk_worker

BEHIND = 3 * 3600  # the kiosk's clock, as the centre measured it: 3 hours behind its own


def measured_behind(central, tmp_path: Path, kiosk_id: str) -> Path:
    """An enrolled kiosk (its folder) that reached the centre over the network, its clock
    3 hours behind as its last batch showed (``kiosks list`` flags it), then lost the
    network."""
    token = central.enrol(kiosk_id)
    online = kiosk_worker(tmp_path / "kiosk", kiosk_id, token, central.url)
    assert online.push_now().error is None  # its signing key registered, the centre's learnt
    online.stop()
    entries = central_support.kiosk_entries(tmp_path, kiosk_id, 1, "CP-SYNC")
    slow = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=BEHIND)
    body = central_support.batch(kiosk_id, entries, sent_at=protocol.format_time(slow))
    assert central.post(body, token=token).status_code == 200
    listed = central_support.central("kiosks", "list", "--db", central.db).stdout
    assert any(kiosk_id in line and "!" in line for line in listed.splitlines()), listed
    return tmp_path / "kiosk"


def kiosk_cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args, "--config",
                           str(folder / "config.toml")], capture_output=True, text=True,
                          timeout=120)


def test_a_file_of_a_kiosk_measured_3_hours_behind_is_traced_at_the_later_time_as_uncertain(
        central, kiosk_id, tmp_path):
    folder = measured_behind(central, tmp_path, kiosk_id)
    # offline, an hour ago, a scan stamped by the same slow clock: 3 hours early
    really = time.time() - 3600
    ids = fill_backlog(folder / "kiosk.db", 1, kiosk_id=kiosk_id, start=really - BEHIND)
    stick = tmp_path / "usb"
    stick.mkdir()
    exported = kiosk_cli(folder, "sync", "export", "--to", str(stick / "slow.backlog"))
    assert exported.returncode == 0, exported.stdout + exported.stderr

    central_support.central("import", str(stick / "slow.backlog"), "--db", central.db)

    row = central.stored_entry(ids[0])
    # filed at the later of the two times it may have been made: its clock's, corrected
    assert row["clock_offset_seconds"] == pytest.approx(BEHIND, abs=60)
    unsure = dict(central._query(f"SELECT id, kiosk_clock_offset_seconds FROM {TIME_UNCERTAIN}"))
    assert unsure[ids[0]] == 0.0  # the kiosk's clock as it stamped it: 3 hours earlier
    trace = json.loads(central_support.central(
        "trace", "--document", row["document_number"], "--reason", "F0-1234 file clock",
        "--db", central.db).stdout)
    (visit,) = trace["visits"]
    scan = visit["entered_at" if row["direction"] == "in" else "left_at"]  # the other estimated
    assert dt.datetime.fromisoformat(scan).timestamp() == pytest.approx(really, abs=60)
    assert visit["time_uncertain_minutes"] == pytest.approx(BEHIND / 60, abs=1)


def test_a_file_of_an_older_kiosk_is_filed_at_its_clock_as_before(
        central, kiosk_id, tmp_path, monkeypatch):
    """An older kiosk wrote no ``clock`` in its manifest: its scans are filed at their
    ``scanned_at``, sure, however the centre last measured its clock, as before this rule."""
    folder = measured_behind(central, tmp_path, kiosk_id)
    ids = fill_backlog(folder / "kiosk.db", 1, kiosk_id=kiosk_id,
                       start=time.time() - 3600 - BEHIND)
    monkeypatch.setattr(backlog, "writing_clock", lambda: None)  # the manifest it wrote
    worker = kiosk_worker(folder, kiosk_id, "")
    (tmp_path / "usb").mkdir()
    path = tmp_path / "usb" / "old.backlog"
    assert worker.export(path).entries == 1
    worker.stop()
    with backlog.BacklogReader(path, centre_key(central)) as reader:
        assert reader.manifest.clock is None and b'"clock"' not in reader.manifest.to_json()

    central_support.central("import", str(path), "--db", central.db)

    assert central.stored_entry(ids[0])["clock_offset_seconds"] is None
    assert not central._query(f"SELECT 1 FROM {TIME_UNCERTAIN} WHERE id = ?", (ids[0],))


@pytest.fixture(params=ENGINES)
def storage(request, tmp_path: Path):
    with open_storage(database_url(request.param, tmp_path)) as opened:
        opened.add_checkpoint("CP-T", "Chốt T")
        opened.add_kiosk("k1", "CP-T", "Máy 1", protocol.token_hash("token-of-k1"))
        yield opened


@pytest.mark.parametrize(("measured", "filed", "kiosk_clock"), [
    (BEHIND, BEHIND, 0.0),  # behind: filed 3 h after its stamp, maybe 3 h earlier
    (-BEHIND, 0.0, -BEHIND),  # ahead: filed at its stamp, maybe 3 h earlier
    (60.0, None, None),  # within the tolerance: its clock is taken, as always
])
def test_a_files_scans_are_filed_at_the_later_time_and_uncertain_by_the_offset_measured(
        storage, measured, filed, kiosk_clock):
    stamped = time.time() - 4 * 3600
    (row,) = list(backlog_rows(1, kiosk_id="k1", checkpoint_id="CP-T", start=stamped))
    wire = protocol.entry_to_wire(row)
    storage.ingest_batch("k1", [wire], sent_at=None, received_at=dt.datetime.now(dt.UTC),
                         batch_id="file-1", checkpoint_id="CP-T", time_window=True,
                         measured_offset=measured)
    (offset,) = storage._query("SELECT clock_offset_seconds FROM entries WHERE id = $1",
                               (row["id"],))[0]
    unsure = storage._query(f"SELECT kiosk_clock_offset_seconds FROM {TIME_UNCERTAIN} "
                            "WHERE id = $1", (row["id"],))
    assert (offset, unsure[0][0] if unsure else None) == (filed, kiosk_clock)


def test_a_scan_its_measured_offset_would_put_after_its_arrival_is_filed_at_its_clock_as_sure(
        storage):
    """Measured 3 hours behind, then set right: a scan of 10 minutes ago, corrected, would be
    2 h 50 min from now, which no scan is — so its clock was right when it was made."""
    received = dt.datetime.now(dt.UTC)
    (row,) = list(backlog_rows(1, kiosk_id="k1", checkpoint_id="CP-T",
                               start=received.timestamp() - 600))
    storage.ingest_batch("k1", [protocol.entry_to_wire(row)], sent_at=None,
                         received_at=received, batch_id="file-2", checkpoint_id="CP-T",
                         time_window=True, measured_offset=BEHIND)
    (offset,) = storage._query("SELECT clock_offset_seconds FROM entries WHERE id = $1",
                               (row["id"],))[0]
    unsure = storage._query(f"SELECT 1 FROM {TIME_UNCERTAIN} WHERE id = $1", (row["id"],))
    assert (offset, unsure) == (None, [])
