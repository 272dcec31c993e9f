"""The centre's zone changed by ``kiosk-central timezone`` while ``serve`` runs: the command
is another process, and the server's storage was opened (its zone read) before. The batches
the server files afterwards, what it derives and the reports it makes follow the new zone,
so that a point's scans a second apart are never filed on two local days."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from central_support import ENGINES, central, database_url
from trace_support import payload_identity, wire_entry

from kiosk.central import derivation, reports
from kiosk.central.backends import open_storage
from kiosk.ids import uuid7
from kiosk.sync import protocol

SCANNED = dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC)
"""03:00 on 1 December in Hà Nội, 09:00 on 30 November in Pago Pago (UTC−11)."""


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def upload(storage, person: int, at: dt.datetime) -> list[str]:
    """The statuses of one scan of ``person`` at ``at``, uploaded a minute later."""
    entry = wire_entry(payload_identity(person, "cccd"), checkpoint="CP-CHO", kiosk="k1",
                       direction="in", scanned_at=at)
    received = at + dt.timedelta(minutes=1)
    return [r["status"] for r in storage.ingest_batch(
        "k1", [entry], sent_at=protocol.format_time(received), received_at=received,
        batch_id=uuid7(), checkpoint_id="CP-CHO")]


def test_a_running_server_files_the_next_batch_by_the_zone_a_command_set(db: str) -> None:
    with open_storage(db) as serving:
        assert upload(serving, 1, SCANNED) == [protocol.ACCEPTED]

        central("timezone", "Pacific/Pago_Pago", "--db", db)
        assert upload(serving, 2, SCANNED + dt.timedelta(seconds=1)) == [protocol.ACCEPTED]

        days = [row[0] for row in serving._query("SELECT local_day FROM entries ORDER BY id")]
        assert days == ["2026-11-30", "2026-11-30"]
        report = reports.daily(serving, dt.date(2026, 11, 30))
        assert (report["timezone"], report["summary"]["scans"]) == ("Pacific/Pago_Pago", 2)
        assert reports.daily(serving, dt.date(2026, 12, 1))["summary"]["scans"] == 0


def test_a_running_server_takes_up_a_new_zone_without_a_batch_at_its_next_step(
        db: str) -> None:
    """``serve``'s background runs a derivation step a second when idle: its pages and
    reports (the Today page's "today" among them) follow the new zone that soon."""
    with open_storage(db) as serving:
        central("timezone", "Asia/Kolkata", "--db", db)
        assert serving.calendar.name == "Asia/Ho_Chi_Minh"

        derivation.step(serving, wait=False)

        assert serving.calendar.name == "Asia/Kolkata"
        assert serving.today() == dt.datetime.now(dt.UTC).astimezone(
            serving.calendar.zone).date()
