"""The checkpoint registry as central staff use it: import the province's list, add, edit,
close and list points — real `kiosk-central` processes on SQLite and a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from pathlib import Path

import pytest
from central_support import ENGINES, central, database_url
from openpyxl import Workbook

from kiosk.central import registry

SAMPLE = Path(__file__).resolve().parents[1] / "docs" / "checkpoints-sample.csv"


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return database_url(request.param, tmp_path)


def _listed(db: str, *extra: str) -> dict[str, dict]:
    return {p["id"]: p for p in json.loads(central("checkpoints", "list", "--db", db,
                                                   "--json", *extra).stdout)}


def test_the_sample_file_imports_and_a_second_import_changes_nothing(db: str) -> None:
    first = central("checkpoints", "import", str(SAMPLE), "--db", db).stdout
    assert ": 7 điểm thêm mới, 0 cập nhật, 0 không đổi / " in first
    assert ": 7 points added, 0 updated, 0 unchanged" in first
    points = _listed(db, "--all")
    assert points["BP-DX-001"] == {
        "id": "BP-DX-001", "name": "Chốt kiểm soát QL14 cầu Thác Mơ", "province": "Bình Phước",
        "district": "Đồng Xoài", "commune": "Tân Phú", "kind": "control_post",
        "address": "QL14 km 102", "latitude": 11.5349, "longitude": 106.8832,
        "set_up_on": "2021-08-01", "closed_on": None, "kiosks": 0}
    assert points["BP-BL-002"]["closed_on"] == "2021-10-01"
    assert points["BP-DX-003"]["latitude"] is None
    assert "BP-BL-002" not in _listed(db)  # closed points only with --all
    again = central("checkpoints", "import", str(SAMPLE), "--db", db).stdout
    assert ": 0 points added, 0 updated, 7 unchanged" in again
    assert _listed(db, "--all") == points


def test_an_xlsx_list_with_english_headers_updates_what_changed(db: str, tmp_path: Path
                                                                ) -> None:
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    book = Workbook()
    sheet = book.active
    sheet.append(["Checkpoint ID", "Name", "District", "Kind", "Set up on", "Latitude",
                  "Longitude"])
    sheet.append(["BP-DX-001", "Chốt QL14 (mới)", "Đồng Xoài", "control post",
                  dt.date(2021, 8, 1), 11.5, 106.9])
    sheet.append([1001, "Điểm số", "Phú Riềng", "school", dt.datetime(2021, 9, 2), None, None])
    path = tmp_path / "points.xlsx"
    book.save(path)
    out = central("checkpoints", "import", str(path), "--db", db).stdout
    assert ": 1 điểm thêm mới, 1 cập nhật, 0 không đổi / " in out
    points = _listed(db)
    assert points["BP-DX-001"]["name"] == "Chốt QL14 (mới)"
    assert points["BP-DX-001"]["latitude"] == 11.5
    assert points["1001"]["set_up_on"] == "2021-09-02" and points["1001"]["kind"] == "school"


def test_a_file_with_bad_rows_is_refused_whole_naming_row_column_and_reason(
        db: str, tmp_path: Path) -> None:
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    before = _listed(db, "--all")
    bad = tmp_path / "bad.csv"
    bad.write_text("Mã điểm;Tên điểm;Loại địa điểm;Vĩ độ;Kinh độ;Ngày triển khai\n"
                   "BP-DX-001;Tên mới;Chợ;11;106;2021-08-01\n"
                   ";Không mã;Chợ;;;\n"
                   "X-2;Sai loại;sân bóng;;;\n"
                   "X-3;Sai ngày;Chợ;;;31/02/2021\n"
                   "X-4;Sai toạ độ;Chợ;91;106;\n"
                   "X-3;Lặp mã;Chợ;;;\n", encoding="utf-8")
    result = central("checkpoints", "import", str(bad), "--db", db, check=False)
    assert result.returncode == 1
    err = result.stderr
    assert "5 dòng bị từ chối; chưa nhập gì / 5 row(s) refused; nothing was imported" in err
    assert "row 3, column 'Mã điểm': id ''" in err
    assert "row 4, column 'Loại địa điểm': kind 'sân bóng' unknown" in err
    assert "row 5, column 'Ngày triển khai': date '31/02/2021'" in err
    assert "dòng 6, cột 'Vĩ độ': 91.0 nằm ngoài khoảng -90…90 / " \
        "row 6, column 'Vĩ độ': 91.0 is outside -90…90" in err
    assert "row 7, column 'Mã điểm': id 'X-3' already on row 5" in err
    assert _listed(db, "--all") == before  # the good first row was not stored either


def _sheet(path: Path, rows: list[list]) -> Path:
    """``rows`` written as a real .xlsx file, the cells keeping their types."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _refused_sheet(db: str, path: Path, rows: list[list]) -> str:
    """The errors of importing ``rows`` as a real .xlsx file, which refuses 3 of them."""
    result = central("checkpoints", "import", str(_sheet(path, rows)), "--db", db, check=False)
    assert result.returncode == 1
    assert "3 row(s) refused; nothing was imported" in result.stderr
    return result.stderr


def test_yes_no_and_date_cells_in_a_coordinate_column_are_refused_not_read_as_numbers(
        db: str, tmp_path: Path) -> None:
    """Python takes a spreadsheet's TRUE as 1 and FALSE as 0: a point would land at 1°N 0°E
    without a word. Such cells, and dates or times, are refused like any other non-number."""
    err = _refused_sheet(db, tmp_path / "points.xlsx", [
        ["Mã điểm", "Tên điểm", "Vĩ độ", "Kinh độ"],
        ["CP-1", "Chốt đúng", 11.5, 106.9],
        ["CP-2", "Chốt đúng/sai", True, False],
        ["CP-3", "Chốt ngày", 11.5, dt.datetime(2021, 8, 1)],
        ["CP-4", "Chốt giờ", dt.time(10, 30), 106.9]])
    assert "dòng 3, cột 'Vĩ độ': 'TRUE' không phải là số / " \
        "row 3, column 'Vĩ độ': 'TRUE' is not a number" in err
    assert "row 3, column 'Kinh độ': 'FALSE' is not a number" in err
    assert "row 4, column 'Kinh độ': '2021-08-01 00:00:00' is not a number" in err
    assert "row 5, column 'Vĩ độ': '10:30:00' is not a number" in err
    assert _listed(db, "--all") == {}  # not even the good first row


def test_yes_no_and_date_cells_in_a_text_column_are_refused_not_stored_as_words(
        db: str, tmp_path: Path) -> None:
    """A TRUE/FALSE or a date/time cell where text belongs (id, name, address, district…) is
    a slip in the sheet: it is refused naming row and column, and nothing of the file is
    stored. Before, it was imported as "True" or "2021-08-01 00:00:00". A number-typed id
    is still read as its digits."""
    header = ["Mã điểm", "Tên điểm", "Quận/Huyện", "Địa chỉ"]
    good = [101, "Chốt số", "Quận 1", "1 Lê Lợi"]
    err = _refused_sheet(db, tmp_path / "points.xlsx", [
        header, good,
        ["CP-2", True, "Quận 1", "2 Lê Lợi"],
        ["CP-3", "Chốt ngày", dt.datetime(2021, 8, 1), "3 Lê Lợi"],
        [False, "Chốt giờ", "Quận 3", dt.time(10, 30)]])
    assert "dòng 3, cột 'Tên điểm': 'TRUE' không phải là chữ (ô đúng/sai hoặc ngày giờ) / " \
        "row 3, column 'Tên điểm': 'TRUE' is not text (a TRUE/FALSE or date/time cell)" in err
    for where, shown in (("row 4, column 'Quận/Huyện'", "2021-08-01 00:00:00"),
                         ("row 5, column 'Mã điểm'", "FALSE"),
                         ("row 5, column 'Địa chỉ'", "10:30:00")):
        assert f"{where}: {shown!r} is not text" in err
    assert _listed(db, "--all") == {}  # not even the good first row
    central("checkpoints", "import", str(_sheet(tmp_path / "points.xlsx", [header, good])),
            "--db", db)
    assert list(_listed(db, "--all")) == ["101"]


def test_unknown_headers_and_unreadable_files_are_refused(db: str, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("Mã điểm,Tên điểm,Màu sắc\nA,B,đỏ\n", encoding="utf-8")
    result = central("checkpoints", "import", str(odd), "--db", db, check=False)
    assert result.returncode == 1 and "'Màu sắc': unknown column" in result.stderr
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(unicodedata.normalize("NFD", "Mã điểm,Tên điểm\nA,Chợ\n").encode(
        "cp1258", errors="ignore"))  # a legacy Windows export
    result = central("checkpoints", "import", str(legacy), "--db", db, check=False)
    assert result.returncode == 1 and "save it as 'CSV UTF-8' or .xlsx" in result.stderr
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a workbook")
    result = central("checkpoints", "import", str(fake), "--db", db, check=False)
    assert result.returncode == 1 and "not a readable XLSX workbook" in result.stderr
    assert _listed(db, "--all") == {}


def test_add_edit_close_and_reopen_one_point(db: str) -> None:
    central("checkpoints", "add", "CP-9", "--name", "Chốt 9", "--district", "Lộc Ninh",
            "--kind", "chốt kiểm soát", "--set-up-on", "2026-11-01", "--db", db)
    twice = central("checkpoints", "add", "CP-9", "--name", "x", "--db", db, check=False)
    assert twice.returncode == 1 and "already exists" in twice.stderr
    central("checkpoints", "edit", "CP-9", "--address", "QL13", "--db", db)
    point = _listed(db)["CP-9"]
    assert (point["kind"], point["address"], point["name"]) == ("control_post", "QL13", "Chốt 9")
    central("checkpoints", "close", "CP-9", "--on", "2026-11-20", "--db", db)
    assert "CP-9" not in _listed(db)
    assert _listed(db, "--all")["CP-9"]["closed_on"] == "2026-11-20"
    early = central("checkpoints", "close", "CP-9", "--on", "2026-10-01", "--db", db,
                    check=False)
    assert early.returncode == 1 and "before it was set up" in early.stderr
    central("checkpoints", "edit", "CP-9", "--reopen", "--db", db)
    assert _listed(db)["CP-9"]["closed_on"] is None
    unknown = central("checkpoints", "edit", "CP-404", "--name", "x", "--db", db, check=False)
    assert unknown.returncode == 1 and "does not exist" in unknown.stderr


def test_set_up_counts_from_its_day_until_the_day_it_closed() -> None:
    point = registry.Checkpoint("A", "a", set_up_on="2026-11-03", closed_on="2026-11-10")
    assert [point.set_up(f"2026-11-{d:02d}") for d in (2, 3, 9, 10)] == [False, True, True,
                                                                         False]
    assert not registry.Checkpoint("B", "b").set_up("2026-11-03")
