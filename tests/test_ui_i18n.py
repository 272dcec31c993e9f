"""Screen language: Vietnamese by default through Qt's translation machinery (.ts → .qm),
English on a button press, the whole window re-translated at once, and a catalog that
covers every screen string with well-formed Vietnamese."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import Qt
from ui_support import (  # noqa: F401
    CCCD_BAD_DATE,
    ROOT,
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.scan import Scan
from kiosk.ui.bridge import SyncView

CATALOG = ROOT / "kiosk/ui/i18n/kiosk_vi.ts"
VIETNAMESE_LETTERS = set("ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")


def messages(path: Path) -> list[tuple[str, str, ET.Element]]:
    root = ET.parse(path).getroot()
    return [(context.findtext("name"), message.findtext("source"), message)
            for context in root.iter("context") for message in context.iter("message")]


def visible_texts(window) -> dict[str, str]:
    officer = window.officer
    return {
        "manual": officer.manual_button.label.text(),
        "in": officer.toggle.buttons["in"].text(),
        "recent": officer.recent_title.text(),
        "inside": officer.tiles["inside"].caption.text(),
        "card": officer.card.headline.text(),
        "technician": window.technician_button.text(),
        "language": window.language_button.text(),
    }


def test_the_screen_starts_in_vietnamese_with_its_diacritics(make_window, tmp_path):
    window = make_window(write_config(tmp_path))
    assert visible_texts(window) == {
        "manual": "Khai báo thủ công (không có mã)", "in": "VÀO",
        "recent": "Lượt quét gần đây", "inside": "Đang ở trong", "card": "SẴN SÀNG",
        "technician": "Kỹ thuật", "language": "English",
    }


def test_the_language_button_retranslates_every_screen_at_once_and_back(make_window, qtbot,
                                                                        tmp_path):
    window = make_window(write_config(tmp_path))
    window._show_technician()
    window.show_screen(window.officer)
    qtbot.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    # Qt posts LanguageChange to every window: it is handled on the next event-loop turn.
    qtbot.waitUntil(lambda: window.officer.recent_title.text() == "Recent scans")
    assert visible_texts(window) == {
        "manual": "Manual entry (no code)", "in": "IN", "recent": "Recent scans",
        "inside": "Inside now", "card": "READY", "technician": "Technician",
        "language": "Tiếng Việt",
    }
    assert window.technician.save_button.text() == "Save and apply"
    assert window.officer.table.horizontalHeaderItem(0).text() == "Time"
    qtbot.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.technician.save_button.text() == "Lưu và áp dụng")
    assert visible_texts(window)["manual"] == "Khai báo thủ công (không có mã)"


def test_after_switching_the_refusal_reason_comes_in_the_new_language(make_window, qtbot,
                                                                      tmp_path):
    """The pipeline's own reason texts (kiosk/messages.py) follow the screen language."""
    window = make_window(write_config(tmp_path))
    window.set_language("en")
    window.kiosk.pipeline.submit(Scan(CCCD_BAD_DATE.encode(), device_id="t"))
    qtbot.waitUntil(lambda: window.officer.card.state == "rejected")
    card = window.officer.card
    assert card.headline.text() == "REFUSED"
    assert card.name.text().startswith("This citizen ID code is damaged or not genuine.")
    assert card.reason.text().startswith("Invalid CCCD code: birth date")


def test_a_name_the_scanner_misread_is_refused_saying_the_card_is_fine(make_window, qtbot,
                                                                        tmp_path):
    """A scanner on the wrong code page ("Ä" for "Đ"): the officer reads that the card is
    fine and to call the technician, not that the card is damaged or forged."""
    window = make_window(write_config(tmp_path))
    misread = "Đinh Thị Hà".encode().decode("cp1252", "replace")
    code = f"036190001122|036190001|{misread}|05061990|Nữ|Nam Định|01022022"
    card = window.officer.card
    for language, words in (("en", "The scanner misread this code's letters; the card is "
                                   "fine. Call the technician."),
                            ("vi", "Máy quét đọc sai chữ của mã này; thẻ không có lỗi. Gọi "
                                   "kỹ thuật viên.")):
        window.set_language(language)
        window.kiosk.pipeline.submit(Scan(code.encode(), device_id="t"))
        qtbot.waitUntil(lambda said=words: card.state == "rejected"
                        and card.name.text().startswith(said))
        assert "UTF-8" in card.reason.text()


def test_a_card_already_shown_is_reworded_when_the_language_switches(make_window, qtbot,
                                                                     tmp_path):
    """The result carries its reason as a code and parameters: the card words it in the
    screen's language, also for a refusal shown before the switch."""
    window = make_window(write_config(tmp_path))
    window.set_language("vi")
    window.kiosk.pipeline.submit(Scan(CCCD_BAD_DATE.encode(), device_id="t"))
    qtbot.waitUntil(lambda: window.officer.card.state == "rejected")
    card = window.officer.card
    assert card.reason.text().startswith("Mã CCCD sai: ngày sinh")
    window.set_language("en")
    assert card.reason.text().startswith("Invalid CCCD code: birth date")
    assert card.headline.text() == "REFUSED"


def test_the_catalog_translates_every_string_keeping_placeholders_in_nfc():
    """Every message has a finished Vietnamese translation that keeps the source's %1/%n
    placeholders, is composed (NFC: one code point per accented letter, as fonts expect)
    and, for real sentences, uses Vietnamese letters."""
    found = messages(CATALOG)
    assert len(found) > 100
    for context, source, message in found:
        translation = message.find("translation")
        assert translation.get("type") is None, f"{context}: {source!r} is unfinished"
        forms = ([f.text or "" for f in translation.findall("numerusform")]
                 if message.get("numerus") == "yes" else [translation.text or ""])
        for text in forms:
            assert text.strip(), f"{context}: {source!r} has an empty translation"
            assert unicodedata.is_normalized("NFC", text), f"{text!r} is not NFC"
            for placeholder in ("%1", "%2", "%3", "%4", "%n"):
                assert (placeholder in source) == (placeholder in text), (context, source)
    sentences = [m for _, s, m in found if len(s.split()) >= 3]
    with_letters = [m for m in sentences
                    if VIETNAMESE_LETTERS & set((m.findtext("translation") or "").lower()
                                                + "".join(f.text or "" for f in
                                                          m.iter("numerusform")).lower())]
    assert len(with_letters) == len(sentences)


def test_no_screen_string_is_missing_from_the_catalog(tmp_path):
    """lupdate over the current sources adds nothing untranslated: whoever adds a string
    to a screen adds its Vietnamese too."""
    copy = tmp_path / "kiosk/ui/i18n/kiosk_vi.ts"
    copy.parent.mkdir(parents=True)
    shutil.copy(CATALOG, copy)
    sources = sorted(str(p) for p in (ROOT / "kiosk/ui").glob("*.py"))
    lupdate = Path(sys.executable).parent / "pyside6-lupdate"
    subprocess.run([str(lupdate), *sources, "-no-obsolete", "-ts", str(copy)], check=True,
                   capture_output=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    unfinished = [s for _, s, m in messages(copy)
                  if m.find("translation").get("type") == "unfinished"]
    assert unfinished == []


def test_how_long_entries_have_waited_is_worded_in_the_screens_language(make_window):
    """The strip's "oldest waiting" says phút / giờ / ngày on a Vietnamese screen (it said
    "min", "h" and "d" in both languages), and min / h / d in English."""
    window = make_window(start=False)
    window.bridge.sync_changed.disconnect(window.strip.set_sync)  # these views, not the store's
    strip = window.strip
    ages = {12 * 60: ("12 phút", "12 min"), 5 * 3600 + 7 * 60: ("5 giờ 07", "5 h 07"),
            3.5 * 86400: ("3 ngày", "3 d")}
    for language, index in (("vi", 0), ("en", 1)):
        window.set_language(language, remember=False)
        for seconds, words in ages.items():
            strip.set_sync(SyncView(enabled=True, pending=4, rejected=0, acknowledged=None,
                                    oldest_pending_age_seconds=seconds, online=False))
            shown = strip.sync.text().replace("\u00a0", " ")  # an age is kept on one line
            assert shown.endswith(words[index]), (language, shown)
