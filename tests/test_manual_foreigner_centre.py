"""A foreigner entered by hand at a border market — another country's passport, a phone
outside Vietnam — is accepted by the centre and traced there by that passport, their
contacts by name and phone: the form refused them before, and the officer had nowhere to
record them but paper.

Real parts: a kiosk store and its pipeline, its sync worker pushing over HTTP to a real
``kiosk-central serve`` on 127.0.0.1, and ``kiosk-central trace`` on the centre's database.
"""

from __future__ import annotations

import json
from pathlib import Path

from kiosk import config as config_mod
from kiosk.app import policy_from
from kiosk.payloads.manual import ManualEntry
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan, Status
from kiosk.store import Store
from kiosk.sync.worker import SyncWorker
from tests import central_support
from tests.conftest import CCCD_AN
from tests.sync_support import write_config


def test_a_foreign_passport_and_phone_reach_the_centre_and_are_traced_by_the_passport(
        central, kiosk_id: str, tmp_path: Path) -> None:
    folder = tmp_path / "kiosk"
    folder.mkdir()
    config = config_mod.load(write_config(folder / "config.toml", kiosk_id=kiosk_id,
                                          server_url=central.url,
                                          token=central.enrol(kiosk_id)))
    store = Store(config.store_path, timezone=config.timezone)
    pipeline = Pipeline(store, policy_from(config))
    results = [
        pipeline.submit_manual(ManualEntry("John Smith", document_number="C01X00T47",
                                           foreign=True)),
        pipeline.submit_manual(ManualEntry("Li Wei", phone="+86 138 0013 8000")),
        pipeline.submit(Scan(CCCD_AN.encode(), lane="in")),
    ]
    store.close()
    assert [r.status for r in results] == [Status.ACCEPTED] * 3
    worker = SyncWorker.from_config(config)
    try:
        assert worker.push_now().error is None
        assert worker.state().pending == 0  # each acknowledged by the centre
    finally:
        worker.stop()
    assert sorted(central.stored_ids(kiosk_id)) == sorted(r.entry_id for r in results)
    answer = json.loads(central_support.central(
        "trace", "--db", central.db, "--document", "c01x00t47", "--reason", "ca F0-nhập cảnh"
    ).stdout)
    assert answer["person"]["query"] == {"document": "C01X00T47"}  # as typed, any case
    assert answer["person"]["match"] == "exact"
    assert [v["checkpoint_id"] for v in answer["visits"]] == ["CP-SYNC"]
    contacts = {c["name"]: c for c in answer["contacts"]}
    assert set(contacts) == {"Li Wei", "Nguyễn Văn An"}
    assert contacts["Li Wei"]["phone"] == "+8613800138000"
