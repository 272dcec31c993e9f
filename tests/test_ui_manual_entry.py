"""Manual entry: a person without a code, typed in, checked, recorded like a scan."""

from __future__ import annotations

from PySide6.QtCore import Qt
from ui_support import (  # noqa: F401
    load,
    make_window_fixture,
    stored_entries,
    translations_built_fixture,
    write_config,
)


def fill(dialog, **values: str) -> None:
    for name, value in values.items():
        dialog.fields[name].setText(value)


def test_every_problem_is_shown_next_to_its_field_and_nothing_is_recorded(make_window, qtbot,
                                                                          tmp_path):
    """A one-letter name and a malformed phone are both pointed out at once, in the
    officer's language; the form stays open and the store stays empty."""
    path = write_config(tmp_path)
    window = make_window(path)
    qtbot.mouseClick(window.officer.manual_button, Qt.MouseButton.LeftButton)
    dialog = window.manual_dialog
    assert dialog is not None and dialog.isVisible()
    fill(dialog, name="A", phone="12345", document_number="12AB")
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    assert dialog.errors["name"].text() == "Nhập họ và tên đầy đủ (ít nhất 2 chữ cái)."
    assert dialog.errors["phone"].text().startswith("Số điện thoại bắt đầu bằng 0")
    assert dialog.errors["document_number"].text().startswith("Số giấy tờ gồm 9 hoặc 12")
    assert dialog.status.text() == "Vui lòng sửa các ô báo đỏ."
    assert dialog.isVisible()
    assert stored_entries(load(path)) == []


def test_name_alone_is_not_enough(make_window, qtbot, tmp_path):
    """Without a document number or a phone the person cannot be traced: both are marked."""
    window = make_window(write_config(tmp_path))
    dialog = window.open_manual_entry()
    fill(dialog, name="Lê Thị Hoa")
    assert not dialog.validate()
    assert dialog.errors["name"].text() == ""
    assert dialog.errors["document_number"].text() == "Nhập số giấy tờ hoặc số điện thoại."
    assert dialog.errors["phone"].text() == "Nhập số giấy tờ hoặc số điện thoại."


def test_valid_entry_is_recorded_as_manual_through_the_pipeline_and_shown(make_window, qtbot,
                                                                          tmp_path):
    """A complete form is stored with kind "manual", the officer's direction and what was
    typed, then shown on the card like a scan; the dialog closes."""
    path = write_config(tmp_path)
    window = make_window(path)
    window.officer.set_direction("out")
    dialog = window.open_manual_entry()
    fill(dialog, name="  Lê   Thị Hoa ", document_number="079301004567", phone="0912 345 678",
         address="12 Nguyễn Huệ, Quận 1")
    dialog.reason_box.setEditText("Không mang điện thoại")
    results = []
    dialog.recorded.connect(results.append)
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=5000)
    qtbot.waitUntil(lambda: window.manual_dialog is None)
    assert results[0].identity.kind == "manual"
    card = window.officer.card
    assert card.headline.text() == "RA — HỢP\u00a0LỆ"
    assert card.name.text() == "Lê Thị Hoa"
    assert "••••••••4567" in card.details.text() and "Khai báo thủ công" in card.details.text()
    [row] = stored_entries(load(path))
    assert (row["kind"], row["direction"], row["name"], row["document_number"],
            row["source"]) == ("manual", "out", "Lê Thị Hoa", "079301004567", "manual")
    assert '"reason": "Không mang điện thoại"' in row["payload"].decode()
    assert row["address"] == "12 Nguyễn Huệ, Quận 1"


def test_cancel_records_nothing_and_gives_the_keyboard_back(make_window, qtbot, tmp_path):
    path = write_config(tmp_path)
    window = make_window(path)
    dialog = window.open_manual_entry()
    fill(dialog, name="Lê Thị Hoa", phone="0912345678")
    qtbot.mouseClick(dialog.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.manual_dialog is None)
    assert stored_entries(load(path)) == []
    assert window.officer.card.state == "idle"


def test_a_foreigner_is_recorded_by_their_own_passport_and_phone(make_window, qtbot, tmp_path):
    """A border market's visitor: another country's passport (``C01X00T47``) and phone
    (``+1 202 555 0143``). Without "Foreign document" ticked the number is still checked as a
    Vietnamese one, and the line under it says what to do; ticked, it is recorded as typed."""
    path = write_config(tmp_path)
    window = make_window(path)
    dialog = window.open_manual_entry()
    fill(dialog, name="John Smith", document_number="C01X00T47", phone="+1 202 555 0143")
    assert not dialog.validate()
    assert dialog.errors["document_number"].text().endswith(
        "Giấy tờ của người nước ngoài: đánh dấu «Giấy tờ nước ngoài».")
    assert dialog.errors["phone"].text() == ""
    assert dialog.foreign.text().startswith("Giấy tờ nước ngoài")
    dialog.foreign.setChecked(True)
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.manual_dialog is None)
    [row] = stored_entries(load(path))
    assert (row["kind"], row["document_number"], row["subject_key"]) == (
        "manual", "C01X00T47", "fdoc:C01X00T47")
    assert '"phone": "+12025550143"' in row["extra"]
    assert '"foreign": true' in row["payload"].decode()


def test_a_cccd_typed_a_digit_short_is_refused_and_the_foreign_tick_does_not_let_it_in(
        make_window, qtbot, tmp_path):
    """``07930100456``: Bình's CCCD 079301004567 with its last digit lost. The line under it
    asks to read the number again and never points to "Giấy tờ nước ngoài" (it did, and
    ticked, the number was recorded as a foreign document, which a trace of her CCCD never
    finds); ticked anyway, it is still refused; typed right, she is recorded by her CCCD."""
    path = write_config(tmp_path)
    window = make_window(path)
    dialog = window.open_manual_entry()
    fill(dialog, name="Trần Thị Bình", document_number="07930100456")
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    read_again = ("Chỉ có chữ số mà không phải 9 hay 12 chữ số (CCCD có 12, CMND có 9): "
                  "thiếu hay thừa một chữ số? Đọc lại từng chữ số trên giấy tờ.")
    assert dialog.errors["document_number"].text() == read_again
    dialog.foreign.setChecked(True)
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    assert dialog.errors["document_number"].text() == read_again
    assert dialog.isVisible()
    assert stored_entries(load(path)) == []
    window.set_language("en")
    assert not dialog.validate()
    assert dialog.errors["document_number"].text().startswith(
        "Digits only, yet not 9 or 12 of them (a CCCD has 12, a CMND 9)")

    dialog.foreign.setChecked(False)
    fill(dialog, document_number="079301004567")
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.manual_dialog is None)
    [row] = stored_entries(load(path))
    assert row["subject_key"] == "doc:079301004567"


def test_a_number_typed_only_to_get_past_the_form_is_refused_in_words(make_window, qtbot,
                                                                       tmp_path):
    """``000000000`` and a phone ``0000000000`` were recorded as a person no one can trace
    (and every officer typing them, the same person): each is pointed out, nothing recorded."""
    path = write_config(tmp_path)
    window = make_window(path)
    dialog = window.open_manual_entry()
    fill(dialog, name="Lê Thị Hoa", document_number="000000000", phone="0000000000")
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    made_up = ("Đây không phải số thật (một chữ số lặp lại, hoặc dãy 1-2-3…). Hỏi số trên "
               "giấy tờ của người này.")
    assert dialog.errors["document_number"].text() == made_up
    assert dialog.errors["phone"].text() == made_up
    fill(dialog, document_number="123456789", phone="0912345678")
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    assert dialog.errors["document_number"].text() == made_up
    assert dialog.errors["phone"].text() == ""
    window.set_language("en")
    assert not dialog.validate()
    assert dialog.errors["document_number"].text().startswith("This is not a real number")
    assert dialog.isVisible()
    assert stored_entries(load(path)) == []


def test_the_form_shows_the_direction_it_records_and_the_officer_can_change_it(
        make_window, qtbot, tmp_path):
    """On a 7" screen the form covers the main screen's IN/OUT toggle: the form has its own,
    set as the main one, and its button says what it records ("Ghi RA"); a change here is
    the main screen's too, and the card answers "RA — HỢP LỆ"."""
    path = write_config(tmp_path)
    window = make_window(path)
    dialog = window.open_manual_entry()
    assert dialog.toggle.direction == "in" and dialog.submit.text() == "Ghi VÀO"
    assert dialog.direction_label.text() == "Chiều"
    qtbot.mouseClick(dialog.toggle.buttons["out"], Qt.MouseButton.LeftButton)
    assert dialog.submit.text() == "Ghi RA"
    assert window.officer.toggle.direction == "out"
    assert window.kiosk.pipeline.operator_direction == "out"
    fill(dialog, name="Lê Thị Hoa", phone="0912345678")
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=5000)
    assert window.officer.card.headline.text() == "RA — HỢP\u00a0LỆ"
    [row] = stored_entries(load(path))
    assert row["direction"] == "out"
    window.officer.set_direction("auto")
    assert window.open_manual_entry().submit.text() == "Ghi (VÀO/RA tự động)"
