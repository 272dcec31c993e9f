"""A report (the dict of :mod:`kiosk.central.reports`) as JSON, CSV or XLSX.

Each section is a table with Vietnamese headers. In XLSX every section is its own sheet with
a frozen header row and fitted column widths; numbers are numbers, days are dates, times are
local date-times, and every text cell that a spreadsheet could take for a formula
(``= + - @``, tab, carriage return) is neutralised with a leading apostrophe — a checkpoint
named ``=HYPERLINK(…)`` in an imported list must not become a live formula in the
province office. CSV carries the same tables one after another, each under its title.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.central.localdays import parse_utc
from kiosk.central.registry import KIND_LABELS

FORMATS = ("json", "csv", "xlsx")
LABELS = {
    "checkpoint_id": "Mã điểm", "name": "Tên điểm", "district": "Huyện",
    "kind": "Loại địa điểm", "set_up": "Đã triển khai", "points_set_up": "Số điểm triển khai",
    "points_scanned": "Số điểm có quét", "points_active_7d": "Số điểm hoạt động 7 ngày",
    "adoption_ratio": "Tỷ lệ hoạt động", "scans": "Lượt quét", "ins": "Lượt vào",
    "outs": "Lượt ra", "manual": "Nhập tay", "manual_share": "Tỷ lệ nhập tay",
    "refused": "Quét lỗi", "refused_share": "Tỷ lệ quét lỗi", "people": "Số người",
    "late_entries": "Bản ghi đến muộn", "hour": "Giờ", "problem": "Vấn đề",
    "kiosk_id": "Mã máy", "detail": "Chi tiết", "last_seen_at": "Liên lạc lần cuối",
    "day": "Ngày", "entries": "Số bản ghi", "days_scanned": "Số ngày có quét",
    "metric": "Chỉ tiêu", "value": "Giá trị",
}
PROBLEMS = {
    "no_scan_7_days": "Không quét trong 7 ngày", "kiosk_silent_24h": "Máy mất liên lạc 24 giờ",
    "one_direction": "Chỉ ghi một chiều", "refused_share": "Tỷ lệ quét lỗi cao",
    "manual_share": "Tỷ lệ nhập tay cao", "clock_off": "Đồng hồ máy lệch quá 2 phút",
    "old_backlog": "Dữ liệu tồn quá 24 giờ", "revoked_still_trying": "Máy đã thu hồi vẫn gửi",
}
RATIOS = {"adoption_ratio", "manual_share", "refused_share"}
DATES = {"day"}
TIMES = {"last_seen_at"}
_PLACE = ("checkpoint_id", "name", "district", "kind")
_GROUP = ("points_set_up", "points_scanned", "points_active_7d", "adoption_ratio", "scans",
          "ins", "outs")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    title: str
    """Sheet name (≤ 31 characters, Vietnamese)."""
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


def tables(report: dict[str, Any]) -> list[Table]:
    """The report's sections as tables, in reading order."""
    summary = [{"metric": LABELS.get(k, k), "value": v} for k, v in report["summary"].items()]
    if report["report"] == "daily":
        done = report["completeness"]
        return [
            Table("Tổng hợp", ("metric", "value"), summary),
            Table("Theo huyện", ("district", *_GROUP), report["by_district"]),
            Table("Theo loại địa điểm", ("kind", *_GROUP), report["by_kind"]),
            Table("Theo giờ", ("hour", "scans"), report["by_hour"]),
            Table("Theo điểm", (*_PLACE, "set_up", "scans", "ins", "outs", "manual", "refused"),
                  report["by_point"]),
            Table("Nơi không quét", (*_PLACE, "problem", "kiosk_id", "detail"),
                  report["not_scanning"]),
            Table("Nơi quét sai", (*_PLACE, "problem", "kiosk_id", "detail"),
                  report["scanning_wrongly"]),
            Table("Máy chưa gửi đủ", ("kiosk_id", *_PLACE, "last_seen_at"),
                  done["kiosks_not_heard_since_day_end"]),
            Table("Bản ghi đến muộn", ("day", "entries"), done["late_entries"]),
        ]
    measures = ("scans", "ins", "outs", "manual", "refused")
    return [
        Table("Tổng hợp", ("metric", "value"), summary),
        Table("Theo ngày", ("day", "points_set_up", "points_scanned", "points_active_7d",
                            "adoption_ratio", *measures, "people"), report["by_day"]),
        Table("Theo huyện", ("district", "points_set_up", "points_scanned", *measures),
              report["by_district"]),
        Table("Theo điểm", (*_PLACE, "set_up", "days_scanned", *measures), report["by_point"]),
    ]


def file_name(report: dict[str, Any], fmt: str) -> str:
    """``bao-cao-ngay-2026-11-28.xlsx`` / ``bao-cao-thang-2026-11.csv``: by date, so a rerun
    replaces the same file."""
    if report["report"] == "daily":
        return f"bao-cao-ngay-{report['day']}.{fmt}"
    return f"bao-cao-thang-{report['month']}.{fmt}"


def render(report: dict[str, Any], fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "csv":
        return to_csv(report)
    if fmt == "xlsx":
        return to_xlsx(report)
    raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")


def neutralise(text: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cell(key: str, value: Any, zone: ZoneInfo) -> Any:
    """A value as a spreadsheet cell: numbers stay numbers, days become dates, UTC times
    local date-times, codes their Vietnamese label, other text neutralised."""
    if value is None:
        return None
    if key == "set_up":
        return "có" if value else "không"
    if key in DATES:
        return dt.date.fromisoformat(value)
    if key in TIMES:
        return parse_utc(value).astimezone(zone).replace(tzinfo=None)
    if key == "kind":
        value = KIND_LABELS.get(value, value)
    elif key == "problem":
        value = PROBLEMS.get(value, value)
    if isinstance(value, bool | str):
        return neutralise(str(value))
    return value


def to_csv(report: dict[str, Any]) -> bytes:
    zone = ZoneInfo(report["timezone"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for number, table in enumerate(tables(report)):
        if number:
            writer.writerow([])
        writer.writerow([f"# {table.title}"])
        writer.writerow([LABELS[c] for c in table.columns])
        for row in table.rows:
            cells = [_cell(c, row.get(c), zone) for c in table.columns]
            writer.writerow([_csv_text(v) for v in cells])
    return out.getvalue().encode("utf-8-sig")  # with BOM: Excel then reads it as UTF-8


def _csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    zone = ZoneInfo(report["timezone"])
    book = Workbook()
    book.remove(book.active)
    for table in tables(report):
        sheet = book.create_sheet(table.title[:31])
        sheet.append([LABELS[c] for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(LABELS[c]) for c in table.columns]
        for row in table.rows:
            values = [_cell(c, row.get(c), zone) for c in table.columns]
            sheet.append(values)
            for index, (column, value) in enumerate(zip(table.columns, values, strict=True)):
                cell = sheet.cell(row=sheet.max_row, column=index + 1)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
                elif column in RATIOS or (column == "value" and isinstance(value, float)):
                    cell.number_format = "0.0%"
                elif isinstance(value, dt.datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
                elif isinstance(value, dt.date):
                    cell.number_format = "dd/mm/yyyy"
                widths[index] = max(widths[index], len(str(value)) if value is not None else 0)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 60)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
