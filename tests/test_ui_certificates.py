"""Vaccination certificates on the officer's card, through a real replay device, pipeline,
store and trust-list file: the verdict in words and colour, the name and birth date, and
whether the entry was recorded.

Under the default policy ("record") a forged certificate is recorded — the directives ask
for everyone who enters — but the card must not read as the person being cleared: it is
headed by what the officer must do, in red with a warning triangle, with the verdict and
"recorded" under it. Under "require-valid" it is refused: red with a cross, "NOT RECORDED".
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtGui import QColor, QPalette
from ui_support import (  # noqa: F401
    load,
    make_window_fixture,
    replay_device,
    scan_from_file,
    stored_entries,
    translations_built_fixture,
    write_config,
)

from kiosk.certificates import trustlist, verdicts
from kiosk.ui.officer import CODE, DOCUMENT, NAME, NOTE, certificate_status
from kiosk.ui.result_card import COLOURS
from tests.certificate_support import DGC, make_issuer, trust_list_of, vaccination, vectors

NOW = time.time()
DAY = 86400


def kiosk_with(tmp_path, codes, *, policy="record", signers=()):
    (tmp_path / "scans.txt").write_text("".join(c + "\n" for c in codes), encoding="ascii")
    path = write_config(tmp_path, replay_device("cam", tmp_path / "scans.txt", lane="in"),
                        extra=f'\n[certificates]\npolicy = "{policy}"\n'
                              f'trust_list = "trust.json"\n')
    if signers:
        trustlist.save(trust_list_of(*(s.der for s in signers)), tmp_path / "trust.json")
    return path


def colour(window) -> str:
    return window.officer.card.palette().color(QPalette.ColorRole.Window).name()


def played(window) -> list[str]:
    cues: list[str] = []
    window.sounds.played.connect(cues.append)
    return cues


def forged() -> tuple[str, object]:
    """A certificate signed by a forger under a genuine signer's key id, and that signer."""
    issuer, forger = make_issuer(), make_issuer()
    return forger.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY,
                       kid=issuer.kid), issuer


def eu_vaccination() -> str:
    """Austria's genuine test vaccination certificate (shared test data), to a kiosk whose
    trust list does not hold its signer: what an officer meets when an issuer the kiosk
    does not know (or a made-up one) signed it."""
    return next(v.data["PREFIX"] for v in vectors() if v.name == "AT/2DCode/raw/1.json")


def test_a_valid_certificate_is_green_with_doses_name_and_birth_date(make_window, qtbot,
                                                                     tmp_path):
    issuer = make_issuer()
    code = issuer.sign(vaccination(2, 2), issued=NOW - DAY, expires=NOW + DAY)
    window = make_window(kiosk_with(tmp_path, [code], signers=[issuer]))
    scan_from_file(window, qtbot, "certificate_valid")
    card = window.officer.card
    assert card.headline.text() == "CHỨNG NHẬN HỢP LỆ — 2/2 mũi"
    assert card.name.text() == "Nguyễn Văn An"
    assert "Ngày sinh 1990-02-01" in card.details.text()
    assert card.reason.text() == "Đã ghi VÀO"
    assert colour(window) == QColor(COLOURS["accepted"][0]).name()


def test_an_expired_certificate_is_amber_and_still_recorded(make_window, qtbot, tmp_path):
    issuer = make_issuer()
    code = issuer.sign(vaccination(), issued=NOW - 30 * DAY, expires=NOW - DAY)
    path = kiosk_with(tmp_path, [code], signers=[issuer])
    window = make_window(path, language="en")
    window.officer.card.set_language("en")
    scan_from_file(window, qtbot, "certificate_warning")
    card = window.officer.card
    assert card.headline.text() == "EXPIRED — dose 2/2"
    assert "Born 1990-02-01" in card.details.text()
    assert colour(window) == QColor(COLOURS["duplicate"][0]).name()
    assert [r["status"] for r in stored_entries(load(path))] == ["accepted"]


def test_a_forged_signature_is_red_and_under_require_valid_not_recorded(make_window, qtbot,
                                                                        tmp_path):
    issuer = make_issuer()
    forger = make_issuer()
    code = forger.sign(vaccination(), issued=NOW - DAY, expires=NOW + DAY, kid=issuer.kid)
    path = kiosk_with(tmp_path, [code], policy="require-valid", signers=[issuer])
    window = make_window(path)
    scan_from_file(window, qtbot, "certificate_refused")
    card = window.officer.card
    assert card.headline.text() == "CHỮ KÝ KHÔNG HỢP LỆ"  # the forger's "2/2" is not repeated
    assert card.name.text() == "Nguyễn Văn An"
    assert "Ngày sinh 1990-02-01" in card.details.text()
    assert "2022-03-01" not in card.details.text()
    assert "·  ·" not in card.details.text()  # refused: no direction between birth and time
    assert card.reason.text() == ("KHÔNG GHI VÀO — chỉ chứng nhận hợp lệ được vào "
                                  "(lượt RA vẫn được ghi)")
    assert colour(window) == QColor(COLOURS["rejected"][0]).name()
    assert card.mark.shape == "cross"
    assert stored_entries(load(path)) == []


def test_a_forged_certificate_refused_for_another_reason_keeps_its_verdict(make_window, qtbot,
                                                                          tmp_path):
    """A forger's certificate the kiosk cannot record at all — a NUL in the name, which the
    centre always refuses — is refused, and the card must still say it is forged: "ask for
    another code, or use manual entry" alone sends the person through by hand as if the
    certificate were merely unreadable."""
    issuer, forger = make_issuer(), make_issuer()
    code = forger.sign(vaccination(name=("Nguyễn\x00", "Văn An")), issued=NOW - DAY,
                       expires=NOW + DAY, kid=issuer.kid)
    window = make_window(kiosk_with(tmp_path, [code], signers=[issuer]))
    scan_from_file(window, qtbot, "rejected")
    card = window.officer.card
    assert card.result.reason_code == "centre_rules" and card.mark.shape == "cross"
    assert card.headline.text() == "KHÔNG HỢP\u00a0LỆ"
    assert card.name.text().startswith("CHỮ KÝ KHÔNG HỢP LỆ — ")
    window.set_language("en", remember=False)
    assert card.name.text().startswith("SIGNATURE NOT VALID — ")


def test_a_forged_certificate_recorded_under_record_says_check_documents_not_cleared(
        make_window, qtbot, tmp_path):
    """Red says stop, the warning triangle and the headline say what to do; that the entry
    was recorded comes under the verdict, and the buzz is the one that makes an officer
    look. The entry is on disk with its verdict."""
    code, issuer = forged()
    path = kiosk_with(tmp_path, [code], signers=[issuer])
    window = make_window(path, start=False)
    cues = played(window)
    window.kiosk.start()
    scan_from_file(window, qtbot, "certificate_invalid")
    card = window.officer.card
    assert card.headline.text() == "CHỨNG NHẬN KHÔNG HỢP LỆ — KIỂM TRA GIẤY TỜ"
    assert card.name.text() == "Nguyễn Văn An"
    assert "Ngày sinh 1990-02-01" in card.details.text()
    assert card.reason.text() == "CHỮ KÝ KHÔNG HỢP LỆ · Đã ghi VÀO"
    assert "2/2" not in card.headline.text() + card.reason.text()
    assert colour(window) == QColor(COLOURS["rejected"][0]).name()
    assert card.mark.shape == "caution"
    qtbot.waitUntil(lambda: cues == ["error"])
    [entry] = stored_entries(load(path))
    assert entry["status"] == "accepted" and '"bad_signature"' in entry["certificate"]


def test_line_breaks_in_a_forged_certificates_name_cannot_shrink_the_warning(make_window, qtbot,
                                                                            tmp_path):
    """The name and birth date on the card come from the certificate, which whoever forged
    it wrote: one whose name holds a hundred line breaks (or Unicode line separators) and a
    birth date with more must not push "check documents" down to a few pixels to make room
    for them. The card's lines are paragraphs that only wrap: the breaks read as spaces."""
    issuer, forger = make_issuer(), make_issuer()
    certificate = vaccination(name=("Nguyễn" + "\n" * 60, "Văn\u2028\r\n" * 12 + "An"))
    certificate["dob"] = "1990-02-01" + "\n" * 40
    code = forger.sign(certificate, issued=NOW - DAY, expires=NOW + DAY, kid=issuer.kid)
    path = kiosk_with(tmp_path, [code], signers=[issuer])
    window = make_window(path)
    scan_from_file(window, qtbot, "certificate_invalid")
    card = window.officer.card
    assert card.headline.text() == "CHỨNG NHẬN KHÔNG HỢP LỆ — KIỂM TRA GIẤY TỜ"
    assert card.headline.font().pixelSize() >= 26, card.sizes
    assert card.name.text() == "Nguyễn " + "Văn " * 12 + "An"
    assert "Ngày sinh 1990-02-01 · VÀO" in card.details.text()
    assert card.geometry().contains(card.reason.geometry())  # nothing pushed off the card
    [entry] = stored_entries(load(path))
    assert entry["status"] == "accepted"


@pytest.mark.skipif(not DGC.exists(), reason="EU DCC test data not present")
def test_a_genuine_certificate_from_an_unknown_signer_reads_the_same_in_english(
        make_window, qtbot, tmp_path):
    path = kiosk_with(tmp_path, [eu_vaccination()], signers=[make_issuer()])
    window = make_window(path, language="en")
    window.officer.card.set_language("en")
    scan_from_file(window, qtbot, "certificate_invalid")
    card = window.officer.card
    assert card.headline.text() == "CERTIFICATE NOT VALID — CHECK DOCUMENTS"
    assert card.name.text() == "Gabriele Musterfrau-Gößinger"
    assert card.reason.text() == "ISSUER UNKNOWN · Recorded IN"
    assert card.mark.shape == "caution"
    assert [r["status"] for r in stored_entries(load(path))] == ["accepted"]


def test_a_forged_certificate_scanned_again_stays_red_with_already_scanned_under_it(
        make_window, qtbot, tmp_path):
    """Showing it twice must not turn the warning into an amber "already scanned"."""
    code, issuer = forged()
    path = kiosk_with(tmp_path, [code, code], signers=[issuer])
    window = make_window(path, start=False)
    cues = played(window)
    window.kiosk.start()
    card = window.officer.card
    qtbot.waitUntil(lambda: "ĐÃ QUÉT" in card.reason.text(), timeout=10000)
    assert card.state == "certificate_invalid" and card.mark.shape == "caution"
    assert card.headline.text() == "CHỨNG NHẬN KHÔNG HỢP LỆ — KIỂM TRA GIẤY TỜ"
    assert card.reason.text().startswith("CHỮ KÝ KHÔNG HỢP LỆ · ĐÃ QUÉT DƯỚI 1 PHÚT TRƯỚC")
    qtbot.waitUntil(lambda: cues == ["error", "error"])


def test_the_recent_list_notes_a_certificate_that_is_not_valid(make_window, qtbot, tmp_path):
    """Looking back, the officer sees which entries came with a forged certificate: the row
    in the card's red (pale) and noted "KIỂM TRA" (check) in a column of its own, with the
    kind of code as for any row; a 1280×800 list keeps its document and code columns."""
    issuer = make_issuer()
    forger = make_issuer()
    valid = issuer.sign(vaccination(name=("Trần", "Thị Mai")), issued=NOW - DAY,
                        expires=NOW + DAY)
    fake = forger.sign(vaccination(name=("Phạm", "Văn Long")), issued=NOW - DAY,
                       expires=NOW + DAY, kid=issuer.kid)
    window = make_window(kiosk_with(tmp_path, [valid, fake], signers=[issuer]))
    table = window.officer.table
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=10000)
    rows = {table.item(r, NAME).text(): r for r in range(2)}
    forged_row, valid_row = rows["Phạm Văn Long"], rows["Trần Thị Mai"]
    assert table.item(forged_row, NOTE).text() == "KIỂM TRA"
    assert table.item(valid_row, NOTE).text() == ""
    assert table.item(forged_row, CODE).text() == table.item(valid_row, CODE).text() \
        == "Chứng nhận tiêm chủng"
    pale = QColor("#ffd9d6")
    assert all(table.item(forged_row, c).background().color() == pale
               for c in range(table.columnCount()))
    assert table.item(valid_row, NAME).background().color() != pale
    assert table.item(forged_row, NAME).toolTip() == \
        "Cần kiểm tra: thẻ kết quả đã nói lý do lúc quét"
    assert not table.isColumnHidden(DOCUMENT) and not table.isColumnHidden(CODE)


def test_every_verdict_that_proves_nothing_is_bad():
    """Those headed "check documents" are a subset of the red ones."""
    red = {status for status, severity in verdicts.SEVERITY.items()
           if severity == verdicts.BAD}
    assert verdicts.PROVES_NOTHING.issubset(red)


def test_the_list_reads_a_damaged_verdict_as_no_verdict():
    """An entry's stored verdict that is not what the kiosk writes leaves the row plain
    rather than stopping the list from being drawn."""
    assert certificate_status({"certificate": '{"status": "bad_signature"}'}) == "bad_signature"
    for stored in (None, "", "{", "[]", '{"status": 3}', '"bad_signature"'):
        assert certificate_status({"certificate": stored}) == "", stored
