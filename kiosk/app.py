"""Wiring: one configured kiosk = store + pipeline + device supervisor (+ sync when enabled).

Front ends (headless console, Qt) get a started ``Kiosk`` and only subscribe to it.
"""

from __future__ import annotations

import logging

from kiosk.config import Config
from kiosk.devices.supervisor import Supervisor
from kiosk.pipeline import Pipeline, Policy
from kiosk.store import Store

log = logging.getLogger(__name__)


def policy_from(config: Config) -> Policy:
    return Policy(
        checkpoint_id=config.kiosk["checkpoint_id"],
        kiosk_id=config.kiosk["id"],
        duplicate_window_seconds=config.policy["duplicate_window_seconds"],
        duplicate_policy=config.policy["duplicate_policy"],
        default_direction=config.policy["default_direction"],
        language=config.kiosk["language"],
        operator=config.kiosk["operator"],
    )


class Kiosk:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store(config.store_path, timezone=config.timezone)
        self.pipeline = Pipeline(self.store, policy_from(config))
        self.supervisor = Supervisor(config.devices, self.pipeline.submit)

    def start(self) -> None:
        removed = self.store.purge(self.config.store["retention_days"])
        if removed:
            log.info("retention: removed %d acknowledged entries", removed)
        self.supervisor.start()

    def stop(self) -> None:
        self.supervisor.stop()
        self.store.close()
