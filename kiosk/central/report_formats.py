"""A report (the dict of :mod:`kiosk.central.reports`) as JSON, CSV or XLSX.

Each section is a table with Vietnamese headers. In XLSX every section is its own sheet with
a frozen header row and fitted column widths; numbers are numbers, days are dates, times are
local date-times, and every text cell is text — a checkpoint named ``=HYPERLINK(…)`` in an
imported list is shown as such, never a live formula in the province office. CSV carries the
same tables one after another, each under its title, a text a spreadsheet could take for a
formula (``= + - @``, tab, carriage return) neutralised with a leading apostrophe
(:mod:`kiosk.central.sheets`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.central import sheets
from kiosk.central.localdays import parse_utc
from kiosk.central.registry import KIND_LABELS
from kiosk.central.reports import RATIOS
from kiosk.central.web.i18n import Translator
from kiosk.messages import text

LABELS = {
    "checkpoint_id": "Mã điểm", "name": "Tên điểm", "district": "Huyện",
    "kind": "Loại địa điểm", "set_up": "Đã triển khai", "points_set_up": "Số điểm triển khai",
    "points_scanned": "Số điểm có quét", "points_active_7d": "Số điểm hoạt động 7 ngày",
    "adoption_ratio": "Tỷ lệ hoạt động",
    "scanning_ratio": "Tỷ lệ điểm có quét trong tháng", "scans": "Lượt quét", "ins": "Lượt vào",
    "outs": "Lượt ra", "duplicates": text("cli.stats.duplicates"), "manual": "Nhập tay",
    "nobody": text("cli.stats.not_id"),
    "manual_share": "Tỷ lệ nhập tay",
    "refused": "Quét lỗi", "refused_share": "Tỷ lệ quét lỗi", "people": "Số người",
    "late_entries": "Bản ghi đến muộn", "hour": "Giờ", "problem": "Vấn đề",
    "kiosk_id": "Mã máy", "detail": "Chi tiết", "last_seen_at": "Liên lạc lần cuối",
    "day": "Ngày", "entries": "Số bản ghi", "days_scanned": "Số ngày có quét",
    "metric": "Chỉ tiêu", "value": "Giá trị", "pending": text("web.col.pending"),
    "oldest_pending": text("web.col.oldest"),
    **{key: text(f"web.column.{key}") for key in ("received_on", "made_at", "replaces")},
}
NOT_DERIVED = {
    "pending_entries": "Bản ghi chưa tính vào số người (đang xử lý)",
    "set_aside_entries": "Bản ghi của ngày/tháng này chưa tính vào số người do lỗi (số liệu "
                         "tạm: sửa xong thì kiosk-central derivation --retry --out-dir <thư mục "
                         "báo cáo> lập lại tệp này)",
}
"""The report's ``not_derived``, shown under its summary when not nought: the people it
counts are short by those entries' people."""
VIETNAMESE = Translator("vi")
"""The files' words: a problem's ``detail`` column is its ``params`` worded
(:meth:`Translator.detail`), as the Today page words them for a Vietnamese reader."""
DATES = {"day", "received_on"}
TIMES = {"last_seen_at", "made_at", "replaces"}
_PLACE = ("checkpoint_id", "name", "district", "kind")
_GROUP = ("points_set_up", "points_scanned", "points_active_7d", "adoption_ratio", "scans",
          "ins", "outs", "duplicates", "manual", "nobody", "refused")
"""A daily report's columns per district and per kind: every figure its JSON rows carry,
as its summary and its points' rows have them."""


@dataclass(frozen=True)
class Table:
    title: str
    """Sheet name (≤ 31 characters, Vietnamese)."""
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]


def tables(report: dict[str, Any]) -> list[Table]:
    """The report's sections as tables, in reading order."""
    summary = [{"metric": LABELS.get(k, k), "value": v} for k, v in report["summary"].items()]
    summary += [{"metric": NOT_DERIVED[k], "value": v}
                for k, v in report.get("not_derived", {}).items() if v]
    if report["report"] == "daily":
        done = report["completeness"]
        return [
            Table("Tổng hợp", ("metric", "value"), summary),
            Table("Theo huyện", ("district", *_GROUP), report["by_district"]),
            Table("Theo loại địa điểm", ("kind", *_GROUP), report["by_kind"]),
            Table("Theo giờ", ("hour", "scans"), report["by_hour"]),
            Table("Theo điểm", (*_PLACE, "set_up", "scans", "ins", "outs", "duplicates",
                                "manual", "nobody", "refused"), report["by_point"]),
            Table("Nơi không quét", (*_PLACE, "problem", "kiosk_id", "detail"),
                  report["not_scanning"]),
            Table("Nơi quét sai", (*_PLACE, "problem", "kiosk_id", "detail"),
                  report["scanning_wrongly"]),
            Table("Máy chưa gửi đủ", ("kiosk_id", *_PLACE, "last_seen_at"),
                  done["kiosks_not_heard_since_day_end"]),
            Table("Bản ghi đến muộn", ("day", "entries"), done["late_entries"]),
            Table("Máy chờ gửi không rõ bao lâu", ("kiosk_id", *_PLACE, "pending",
                                                    "oldest_pending"),
                  done["kiosks_backlog_age_unknown"]),
        ]
    measures = ("scans", "ins", "outs", "duplicates", "manual", "nobody", "refused")
    zone = ZoneInfo(report["timezone"])
    summary += [{"metric": LABELS[key], "value": _cell(key, report[key], zone)}
                for key in ("made_at", "replaces") if report.get(key)]
    return [
        Table("Tổng hợp", ("metric", "value"), summary),
        Table("Theo ngày", ("day", "points_set_up", "points_scanned", "points_active_7d",
                            "adoption_ratio", *measures, "people"), report["by_day"]),
        Table("Theo huyện", ("district", "points_set_up", "points_scanned", "scanning_ratio",
                             *measures),
              report["by_district"]),
        Table("Theo điểm", (*_PLACE, "set_up", "days_scanned", *measures), report["by_point"]),
        Table("Bản ghi đến muộn", ("received_on", "day", "entries"), report["late_entries"]),
    ]


def file_name(report: dict[str, Any], fmt: str) -> str:
    """``bao-cao-ngay-2026-11-28.xlsx`` / ``bao-cao-thang-2026-11.csv``: by date, so a rerun
    replaces the same file."""
    if report["report"] == "daily":
        return f"bao-cao-ngay-{report['day']}.{fmt}"
    return f"bao-cao-thang-{report['month']}.{fmt}"


def render(report: dict[str, Any], fmt: str) -> bytes:
    return sheets.render(report, fmt, _sheets)


def _sheets(report: dict[str, Any]) -> list[sheets.Sheet]:
    zone = ZoneInfo(report["timezone"])
    return [sheets.Sheet(
        table.title, [LABELS[c] for c in table.columns],
        [[_cell(c, row.get(c), zone) if c != "detail"
          else VIETNAMESE.detail(row, report["timezone"]) for c in table.columns]
         for row in table.rows],
        frozenset(i for i, c in enumerate(table.columns) if c in RATIOS or c == "value"))
        for table in tables(report)]


def _cell(key: str, value: Any, zone: ZoneInfo) -> Any:
    """A value as a spreadsheet cell: numbers stay numbers, days become dates, UTC times
    local date-times, codes their Vietnamese label (an unknown backlog age the dashboard's
    words, naming the clock alert as the problems column does), other text as it is."""
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
        value = text(f"web.problem.{value}")
    elif key == "oldest_pending":
        value = text(f"web.kiosks.oldest_{value}", alert=text("web.problem.clock_off"))
    if isinstance(value, bool | str):
        return str(value)  # neutralised in CSV only (kiosk.central.sheets)
    return value
