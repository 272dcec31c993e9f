"""Tables as CSV and XLSX for people with a spreadsheet: the one writer behind the centre's
reports (:mod:`kiosk.central.report_formats`) and traces (:mod:`kiosk.central.trace_formats`).

A document is a list of :class:`Sheet` whose cells are already what a spreadsheet should
show: text, numbers, dates, local date-times or None. CSV carries the sheets one after
another, each under ``# title``, UTF-8 with a BOM so Excel reads it as such, fractions
rounded as XLSX shows them, and each text a spreadsheet could run as a formula neutralised
here (:func:`kiosk.exports.neutralise`; a phone in E.164 excepted). XLSX gives each its
own sheet with a bold frozen header and fitted column widths;
numbers stay numbers, dates and times get Vietnamese formats, and every text cell is
stored as text — never a formula, whatever it says, so shown as it is (no leading
quote: ``+12025550143``, ``-Nguyễn``) — minus the characters XML 1.0 cannot
carry (:func:`kiosk.xlsx.xml_text`, the one rule of every workbook written: a name a kiosk
sent with a control character in it would otherwise damage the whole workbook).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from kiosk import xlsx
from kiosk.exports import neutralise
from kiosk.xlsx import xml_text

FORMATS = ("json", "csv", "xlsx")


@dataclass(frozen=True)
class Sheet:
    title: str
    """Sheet name (cut to Excel's 31 characters)."""
    headers: list[str]
    rows: list[list[Any]]
    percent: frozenset[int] = frozenset()
    """Columns whose fractions (floats) show as percentages to 0.1 % in XLSX, and are
    written as fractions rounded to that (:data:`PERCENT_DIGITS`) in CSV."""


PERCENT_DIGITS = 3
"""A fraction's decimals in CSV: the 0.1 % the XLSX shows (``0.833``, not
``0.8333333333333334``), still a number a program reads."""


def render(document: dict[str, Any], fmt: str,
           sheets: Callable[[dict[str, Any]], list[Sheet]]) -> bytes:
    """The document as JSON, or its ``sheets`` as CSV or XLSX. The JSON by msgspec, as
    ``json.dumps(ensure_ascii=False, indent=1)`` wrote it (but a float's exponent, 1e-05
    written 0.00001): that, with its indent, was Python's own encoder, 16 s of a busy
    person's 91 MB trace on a province (326,540 exposures), msgspec's 1.4 s."""
    if fmt == "json":
        return msgspec.json.format(msgspec.json.encode(document), indent=1)
    if fmt == "csv":
        return to_csv(sheets(document))
    if fmt == "xlsx":
        return to_xlsx(sheets(document))
    raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")


def to_csv(sheets: list[Sheet]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for number, sheet in enumerate(sheets):
        if number:
            writer.writerow([])
        writer.writerow([f"# {sheet.title}"])
        writer.writerow(sheet.headers)
        for row in sheet.rows:
            writer.writerow([round(value, PERCENT_DIGITS)
                             if index in sheet.percent and isinstance(value, float)
                             else _csv_text(value) for index, value in enumerate(row)])
    return out.getvalue().encode("utf-8-sig")  # with BOM: Excel then reads it as UTF-8


def _csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_xlsx(sheets: list[Sheet]) -> bytes:
    """Through the project's streaming writer (:mod:`kiosk.xlsx`): no copy of the cells in
    the temp folder (a trace's are personal data), each column as wide as its longest cell
    (up to 60), the header bold and frozen."""
    out = io.BytesIO()
    xlsx.write(out, (_table(sheet) for sheet in sheets))
    return out.getvalue()


def _table(sheet: Sheet) -> xlsx.Table:
    rows = [[xml_text(value) for value in row] for row in sheet.rows]
    widths = [len(header) for header in sheet.headers]
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(str(value)) if value is not None else 0)
    return xlsx.Table(sheet.title, sheet.headers, rows, widths=[min(w + 2, 60) for w in widths],
                      percent=sheet.percent, banner=True)
