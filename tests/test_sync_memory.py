"""A 100,000-entry backlog goes up completely without the kiosk's memory growing with it.

The upload runs in its own process, which reports its peak resident memory (VmHWM) before
and after the push. Holding the backlog in memory would take several hundred MiB (rows and
wire dicts for 100,000 entries with ~300-byte payloads); streaming batches must stay far
below that.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from tests.sync_support import CentralServer, fill_backlog, sync_states, write_config

PUSH_AND_MEASURE = """
import json, sys
from kiosk import config
from kiosk.sync.worker import SyncWorker
from tests.sync_support import peak_rss
worker = SyncWorker.from_config(config.load(sys.argv[1]))
before = peak_rss()
summary = worker.push_now()
print(json.dumps({"growth": peak_rss() - before, "accepted": summary.accepted,
                  "error": summary.error}))
"""
GROWTH_LIMIT = 64 * 2**20


@pytest.mark.slow
def test_a_100k_backlog_uploads_completely_in_bounded_memory(tmp_path):
    central = CentralServer(tmp_path)
    try:
        kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
        config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id,
                              server_url=central.url, token=central.enrol(kiosk_id))
        ids = fill_backlog(tmp_path / "kiosk.db", 100_000, kiosk_id=kiosk_id)
        proc = subprocess.run([sys.executable, "-c", PUSH_AND_MEASURE, str(config)],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout)
        stored = central.stored_ids(kiosk_id)
    finally:
        central.stop()
    assert report["error"] is None and report["accepted"] == 100_000
    assert len(stored) == 100_000 and sorted(stored) == ids
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 100_000}
    print(f"peak RSS growth {report['growth'] / 2**20:.1f} MiB")
    assert report["growth"] < GROWTH_LIMIT, f"peak RSS grew {report['growth'] / 2**20:.0f} MiB"
