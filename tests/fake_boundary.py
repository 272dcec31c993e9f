"""Run tests as if each started just before a chosen moment (a local midnight, 06:00):
``-p tests.fake_boundary`` under libfaketime (README, "Developing"). Not loaded by default.

Before each test the libfaketime offset file (``FAKETIME_TIMESTAMP_FILE``, read on every
clock call with ``FAKETIME_NO_CACHE=1``) is rewritten so that the wall clock reads
``FAKE_BOUNDARY_LEAD`` seconds (default 1.5) before ``FAKE_BOUNDARY``; child processes
inherit the file. A test that assumes "today" stays the same while it runs then fails.
libfaketime 0.9.10 shifts the monotonic clock too (``FAKETIME_DONT_FAKE_MONOTONIC=1``
makes ``time.sleep`` fail with EINVAL), so give a moment after now (a positive offset) and
expect session-wide fixtures to see the clock step between tests."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

_offset = 0.0


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    global _offset
    target = dt.datetime.fromisoformat(os.environ["FAKE_BOUNDARY"]).timestamp()
    real = time.time() - _offset
    _offset = target - float(os.environ.get("FAKE_BOUNDARY_LEAD", "1.5")) - real
    with open(os.environ["FAKETIME_TIMESTAMP_FILE"], "w", encoding="ascii") as offset:
        offset.write(f"{_offset:+.3f}\n")
