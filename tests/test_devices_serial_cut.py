"""A serial code that did not end with its configured terminator is no whole code (review:
a cable pulled mid-code and a 300 ms stall mid-code were each recorded green as "Mã khác").

Real pseudo-terminals, the supervisor and a real pipeline over a store file, as in the field:
a fragment is refused "not read whole — scan again" and logged with the refused scans, never
an entry; a stall shorter than the wait for the terminator is joined into its one code; a
scanner sending only CR (or only LF) to the default CRLF still has every scan accepted.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from devices_support import Pty, wait_until

from kiosk.config import validate_device
from kiosk.devices.supervisor import CONNECTED, Supervisor
from kiosk.scan import ScanResult, Status

CCCD_AN = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"
CCCD_BINH = "079301004567||Trần Thị Bình|15071985|Nữ|12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh|20052021"


class Lane:
    """One serial scanner on a pty, supervised, its scans submitted to a real pipeline."""

    def __init__(self, make_pipeline: Any, **settings: Any) -> None:
        self.pipeline = make_pipeline(duplicate_policy="allow")
        self.results: list[ScanResult] = []
        self.pipeline.subscribe(self.results.append)
        self.pty = Pty()
        options = validate_device(0, {"id": "lane1", "type": "serial", "port": self.pty.path,
                                      "lane": "in", **settings})
        self.supervisor = Supervisor([options], self.pipeline.submit, poll_missing=0.05,
                                     backoff_initial=0.05)
        self.supervisor.start()
        wait_until(lambda: self.supervisor.status()[0].state == CONNECTED, what="connected")

    def wait_for(self, count: int) -> list[ScanResult]:
        wait_until(lambda: len(self.results) >= count, what=f"{count} results",
                   found=lambda: repr([(r.status, r.scan.payload) for r in self.results]))
        return self.results

    def stored(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(entries as (status, kind), refused scans' reason codes)."""
        conn = self.pipeline.store.conn
        entries = [tuple(row) for row in conn.execute(
            "SELECT status, kind FROM entries ORDER BY id")]
        refused = [row[0] for row in conn.execute(
            "SELECT reason_code FROM refused_scans ORDER BY id")]
        return entries, refused

    def close(self) -> None:
        self.supervisor.stop()
        self.pty.unplug()


@pytest.fixture
def lane(make_pipeline):
    made: list[Lane] = []

    def build(**settings: Any) -> Lane:
        made.append(Lane(make_pipeline, **settings))
        return made[-1]

    yield build
    for one in made:
        one.close()


@pytest.mark.parametrize("fragment", [
    CCCD_AN.encode()[:30],        # the reviewer's: half a person's CCCD
    b"89385059",                  # half a product barcode: no payload rule would see it
])
def test_a_cable_pulled_mid_code_records_nothing_and_says_scan_again(lane, fragment: bytes
                                                                     ) -> None:
    one = lane()  # terminator CRLF, the default
    one.pty.send(CCCD_AN.encode() + b"\r\n")
    one.wait_for(1)
    one.pty.send(fragment)
    time.sleep(0.1)
    one.pty.unplug()
    whole, cut = one.wait_for(2)
    assert whole.status is Status.ACCEPTED and whole.identity.kind == "cccd"
    assert cut.status is Status.REJECTED and not cut.recorded
    assert cut.reason_code == "code_cut"
    assert "scan again" in cut.reason_in("en") and "quét lại" in cut.reason_in("vi")
    if fragment == b"89385059":
        assert cut.reason_in("en") == ("Code cut off, not read whole — scan again (the "
                                       "scanner was disconnected while sending the code)")
    assert one.stored() == ([("accepted", "cccd")], ["code_cut"])


def test_a_300_ms_stall_mid_code_is_joined_into_the_one_person(lane) -> None:
    one = lane()
    data = CCCD_AN.encode() + b"\r\n"
    one.pty.send(data[:40])
    time.sleep(0.3)
    one.pty.send(data[40:])
    [result] = one.wait_for(1)
    time.sleep(0.6)  # nothing else comes of it
    assert len(one.results) == 1
    assert result.status is Status.ACCEPTED and result.identity.name == "Nguyễn Văn An"
    assert one.stored() == ([("accepted", "cccd")], [])


def test_a_longer_stall_refuses_head_and_tail_both_scan_again(lane) -> None:
    """Past the wait for the terminator (0.45 s) the head is cut; the tail arriving right
    after is the rest of that code, not a person: both refused, nothing recorded."""
    one = lane()
    data = b"]Q1SO-2024-001-ABCDEFGH\r\n"
    one.pty.send(data[:10])
    head = one.wait_for(1)[0]
    assert head.status is Status.REJECTED and head.reason_code == "code_cut"
    assert "terminator" in head.reason_in("en") and 'terminator = "none"' in head.reason_in("en")
    one.pty.send(data[10:])
    tail = one.wait_for(2)[1]
    assert tail.status is Status.REJECTED and tail.reason_code == "code_cut"
    assert "the rest of a code" in tail.reason_in("en")
    assert one.stored() == ([], ["code_cut", "code_cut"])


@pytest.mark.parametrize("ending", [b"\r", b"\n"], ids=["CR-only", "LF-only"])
def test_a_scanner_sending_part_of_the_crlf_configured_still_has_every_scan_accepted(
        lane, ending: bytes) -> None:
    one = lane()  # CRLF configured
    codes = [CCCD_AN, "8938505974194", CCCD_BINH]
    for n, code in enumerate(codes, 1):
        one.pty.send(code.encode() + ending)
        one.wait_for(n)
        time.sleep(0.2)
    assert [r.status for r in one.results] == [Status.ACCEPTED] * 3
    assert [r.scan.payload for r in one.results] == [c.encode() for c in codes]
    assert [r.identity.kind for r in one.results] == ["cccd", "other", "cccd"]


def test_a_scanner_sending_no_terminator_is_refused_naming_the_setting(lane) -> None:
    one = lane()  # CRLF configured, the scanner sends none
    one.pty.send(b"8938505974194")
    [result] = one.wait_for(1)
    assert result.status is Status.REJECTED and result.reason_code == "code_cut"
    assert 'set terminator = "none"' in result.reason_in("en")
    assert 'đặt terminator = "none"' in result.reason_in("vi")
    assert one.stored() == ([], ["code_cut"])


def test_terminator_none_is_still_framed_by_the_idle_gap_alone(lane) -> None:
    one = lane(terminator="none")
    one.pty.send(b"8938505974194")
    [result] = one.wait_for(1)
    assert result.status is Status.ACCEPTED and result.scan.payload == b"8938505974194"
