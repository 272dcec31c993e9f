"""Vaccination certificates on the officer's card, through a real replay device, pipeline,
store and trust-list file: the verdict in words and colour, the name and birth date, and
whether the entry was recorded."""

from __future__ import annotations

import time

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

from kiosk.certificates import trustlist
from kiosk.ui.result_card import COLOURS
from tests.certificate_support import make_issuer, trust_list_of, vaccination

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


def test_a_valid_certificate_is_green_with_doses_name_and_birth_date(make_window, qtbot,
                                                                     tmp_path):
    issuer = make_issuer()
    code = issuer.sign(vaccination(2, 2), issued=NOW - DAY, expires=NOW + DAY)
    window = make_window(kiosk_with(tmp_path, [code], signers=[issuer]))
    scan_from_file(window, qtbot, "certificate_valid")
    card = window.officer.card
    assert card.headline.text() == "CHỨNG NHẬN HỢP LỆ — 2/2 mũi"
    assert card.name.text() == "Văn An Nguyễn"
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
    scan_from_file(window, qtbot, "certificate_invalid")
    card = window.officer.card
    assert card.headline.text() == "CHỮ KÝ KHÔNG HỢP LỆ"  # the forger's "2/2" is not repeated
    assert card.name.text() == "Văn An Nguyễn"
    assert "Ngày sinh 1990-02-01" in card.details.text()
    assert "2022-03-01" not in card.details.text()
    assert card.reason.text() == "KHÔNG GHI — trạm chỉ nhận chứng nhận hợp lệ"
    assert colour(window) == QColor(COLOURS["rejected"][0]).name()
    assert stored_entries(load(path)) == []
