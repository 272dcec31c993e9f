"""A code cut off part-way (a cable pulled, a misread tail) with a recognisable CCCD or PC-Covid
head is refused "cut off — scan again", never recorded as ``other`` (review: "Mã khác" green
for the first 30 bytes of a CCCD, not found by tracing)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import messages
from kiosk.payloads import Identity, Rejection, decode
from kiosk.payloads.hc1 import PREFIX
from kiosk.store import Store
from tests.certificate_support import make_issuer, vaccination
from tests.conftest import CCCD_AN

TODAY = dt.date(2026, 11, 22)
PCCOVID = "012345678901|NGUYEN VAN AN|1990-02-01|0|0123456789|ext"
PCCOVID_MASKED = "******678901|NGUYEN VAN AN|1990-**-**|1|0123456789|"


def decoded(raw: bytes | str) -> Identity | Rejection:
    return decode(raw.encode() if isinstance(raw, str) else raw, today=TODAY)


@pytest.mark.parametrize("cut", [13, 20, 30, 45, len(CCCD_AN.encode()) - 30])
def test_every_head_of_a_cccd_cut_between_fields_is_refused_as_cut(cut: int) -> None:
    head = CCCD_AN.encode()[:cut]
    result = decoded(head)
    assert isinstance(result, Rejection), (head, result)
    assert result.code in ("code_cut", "cccd_bad_field"), result


def test_the_reviewers_truncated_cccd_names_the_cut_in_both_languages() -> None:
    result = decoded("001099012345|123456789|Nguyễn Văn An|010219")
    assert isinstance(result, Rejection)
    assert (result.code, result.problem, result.value) == ("code_cut", "cut_cccd", "4")
    assert result.describe("en") == ("it starts like a CCCD code but has only 4 fields "
                                     "(a CCCD has 6, 7 or 11)")
    assert "chỉ có 4 trường" in result.describe("vi")


def test_a_cccd_cut_inside_a_letter_is_refused_as_cut_not_kept_as_binary() -> None:
    """The cut falls inside "ễ" (three UTF-8 bytes): not text, yet a CCCD's head."""
    head = "001099012345|123456789|Nguyễn".encode()[:-2]
    result = decoded(head)
    assert isinstance(result, Rejection) and result.code == "code_cut", result


def test_twelve_or_more_fields_after_a_cccd_head_is_refused_naming_the_count() -> None:
    result = decoded(CCCD_AN + "|a|b|c|d|e")
    assert isinstance(result, Rejection)
    assert (result.code, result.problem, result.value) == ("cccd_bad_field", "field_count",
                                                           "12")


@pytest.mark.parametrize("code", [PCCOVID, PCCOVID_MASKED])
@pytest.mark.parametrize("fields", [4, 5])
def test_a_pccovid_code_missing_its_tail_is_refused_as_cut(code: str, fields: int) -> None:
    """(A 5-field head with its last ``|`` is a whole code: the extension may be empty.)"""
    head = "|".join(code.split("|")[:fields])
    for cut in (head, head + "|") if fields == 4 else (head,):
        result = decoded(cut)
        assert isinstance(result, Rejection), (cut, result)
        assert result.code == "code_cut" and result.value in ("4", "5", "6"), (cut, result)


def test_whole_codes_are_unchanged() -> None:
    assert decoded(CCCD_AN).kind == "cccd"
    assert decoded(PCCOVID).kind == "pccovid"
    assert decoded(PCCOVID_MASKED).kind == "pccovid"


@pytest.mark.parametrize("other", [
    "8938505974194",                      # a product barcode
    "SO-2024-001",
    "hello|world|again",
    "00109901234|short id|x",            # 11 digits: no CCCD head
    "0010990123456|13 digits|x",         # 13 digits
    "ABC123|NAME|1990",                  # a head too short to recognise
    "ABC123|NAME|1990-01-01|7|x",        # no declarant type
    "https://example.org/a|b",
])
def test_other_codes_are_still_other(other: str) -> None:
    result = decoded(other)
    assert isinstance(result, Identity) and result.kind == "other", (other, result)


def test_kiosk_scan_of_a_truncated_cccd_is_refused_with_its_reason(tmp_path: Path) -> None:
    """`kiosk scan` (a stopped kiosk) refuses it, exits 1 with the reason, records nothing."""
    config = tmp_path / "config.toml"
    config.write_text('[kiosk]\nid = "k1"\ncheckpoint_id = "CP1"\nlanguage = "en"\n'
                      '[store]\npath = "kiosk.db"\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "scan", "001099012345|123456789|Nguyễn Văn An|010219",
         "--direction", "in", "--config", str(config)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Code cut off, not read whole — scan again" in proc.stdout
    assert "only 4 fields" in proc.stdout
    assert "ACCEPTED" not in proc.stdout
    store = Store(tmp_path / "kiosk.db")
    try:
        assert store.conn.execute("SELECT count(*) FROM entries").fetchone()[0] == 0
        assert store.conn.execute("SELECT reason_code FROM refused_scans").fetchall() == [
            ("code_cut",)]
    finally:
        store.close()


def test_a_certificate_cut_off_anywhere_is_refused_scan_again_not_recorded_unreadable() -> None:
    """A scanner that stops at 256 characters, a code read in part: whatever length the
    ``HC1:`` text is cut to, the certificate's data ends too soon — refused "not read whole
    — scan again" as a cut CCCD is, never recorded as an unreadable certificate."""
    whole = make_issuer().sign(vaccination(name=("Trịnh", "Công Sơn")), issued=0,
                               expires=2**31)
    assert isinstance(decode(whole.encode()), Identity)
    for length in range(len(PREFIX) + 1, len(whole)):
        cut = decode(whole[:length].encode())
        assert isinstance(cut, Rejection), length
        assert (cut.code, cut.problem) == ("code_cut", "cut_hc1"), length
    assert "scan again" in messages.text("code_cut", "en", detail=cut.describe("en"))


def test_a_certificate_garbled_not_cut_is_still_kept_as_hc1() -> None:
    whole = make_issuer().sign(vaccination(), issued=0, expires=2**31)
    garbled = decode((whole[:40] + "~" + whole[41:]).encode())
    assert isinstance(garbled, Identity) and garbled.kind == "hc1"
