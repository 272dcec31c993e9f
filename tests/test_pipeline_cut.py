"""A scan its device saw cut off (``Scan.cut``) is refused "not read whole — scan again"
before it is decoded, logged with the refused scans, never an entry — even when the
fragment would read as a valid code (a CCCD's 11-field layout cut after its 7th field)."""

from __future__ import annotations

import pytest

from kiosk.scan import Scan, Status
from tests.conftest import CCCD_AN


@pytest.mark.parametrize(("cut", "words"), [
    ("end", "the scanner was disconnected while sending the code"),
    ("gap", 'set terminator = "none"'),
    ("tail", "the rest of a code whose start was cut off"),
])
def test_a_cut_scan_is_refused_and_logged_never_an_entry(make_pipeline, cut: str,
                                                         words: str) -> None:
    pipeline = make_pipeline()
    result = pipeline.submit(Scan(payload=CCCD_AN.encode(), device_id="lane1", lane="in",
                                  source="serial", cut=cut))
    assert result.status is Status.REJECTED and not result.recorded
    assert result.reason_code == "code_cut"
    assert result.reason_in("en").startswith("Code cut off, not read whole — scan again (")
    assert words in result.reason_in("en")
    assert result.reason_in("vi").startswith("Mã bị cắt, đọc chưa hết — quét lại (")
    conn = pipeline.store.conn
    assert conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 0
    assert conn.execute("SELECT reason_code, payload FROM refused_scans").fetchall() == [
        ("code_cut", CCCD_AN.encode())]


def test_a_whole_scan_is_unchanged(make_pipeline) -> None:
    result = make_pipeline().submit(Scan(payload=CCCD_AN.encode(), lane="in"))
    assert result.status is Status.ACCEPTED and result.identity.kind == "cccd"


def test_a_cut_enrolment_code_keeps_its_secret_nowhere(make_pipeline) -> None:
    """A fragment holding an enrolment code's head is refused as an enrolment code, as whole:
    its one-time secret is not written into the refused scans' log."""
    pipeline = make_pipeline()
    result = pipeline.submit(Scan(payload=b"ckenrol:1?u=https%3A%2F%2Fcentre&k=k1&t=SECRE",
                                  cut="end"))
    assert result.status is Status.REJECTED and result.reason_code == "enrolment_code"
    assert pipeline.store.conn.execute("SELECT payload FROM refused_scans").fetchall() == [
        (b"",)]
