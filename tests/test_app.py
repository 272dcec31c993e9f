"""The wired kiosk: a config edit applies without a restart."""

from __future__ import annotations

from kiosk.app import Kiosk
from kiosk.scan import Scan, Status
from tests.conftest import CCCD_AN, make_config


def test_applying_an_edited_config_restarts_devices_and_changes_the_policy(tmp_path):
    replay = tmp_path / "codes.txt"
    replay.write_text("https://example.org/a\n", encoding="utf-8")
    device = {"id": "lane1", "type": "replay", "lane": "in", "path": str(replay)}
    kiosk = Kiosk(make_config(tmp_path, policy={"duplicate_policy": "allow"},
                              devices=[device]))
    kiosk.start()
    try:
        assert kiosk.supervisor.wait_finished(10)
        first = kiosk.supervisor
        replay.write_text("https://example.org/b\n", encoding="utf-8")
        seen = []
        edited = make_config(tmp_path, policy={"duplicate_policy": "block"},
                             devices=[{**device, "id": "lane2"}])
        new = kiosk.apply(edited, watch=lambda s: s.subscribe(seen.append))
        assert new is kiosk.supervisor is not first
        assert new.wait_finished(10)
        assert {s.device_id for s in seen} == {"lane2"}
        assert [r["device_id"] for r in kiosk.store.entries()] == ["lane1", "lane2"]
        results = [kiosk.pipeline.submit(Scan(payload=CCCD_AN.encode(), lane="in"))
                   for _ in range(2)]
        assert [r.status for r in results] == [Status.ACCEPTED, Status.DUPLICATE]
        assert not results[1].recorded  # "block" now applies
    finally:
        kiosk.stop()
