"""A wall clock that jumps: the order of a person's movements comes from the monotonic clock
within a boot, never from wall times alone. Real pipeline over a real store file."""

from __future__ import annotations

from kiosk.scan import Scan

CCCD = "001099012345|123456789|{name}|01021990|Nam|{address}|10102021"


def test_auto_direction_follows_scan_order_when_the_wall_clock_steps_back_an_hour(
        make_pipeline):
    """NTP or an officer sets the clock back an hour between two scans of the same person:
    within the boot the monotonic clock orders them, so auto alternates in, out, in."""
    pipeline = make_pipeline(duplicate_window_seconds=0)
    payload = CCCD.format(name="Nguyễn Văn An", address="Số 1 Phố Huế").encode()
    now = 1_790_000_000.0
    directions = [pipeline.submit(Scan(payload=payload, device_id="d1", lane="auto",
                                       wall_time=at)).direction.value
                  for at in (now, now - 3600 + 60, now - 3600 + 120)]
    assert directions == ["in", "out", "in"]
