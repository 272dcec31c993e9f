"""Entries to files a spreadsheet opens: CSV and XLSX, streamed row by row.

Both writers take an iterator of entry rows and never hold more than one row, so an export
of any period runs in constant memory. Cells that a spreadsheet would run as a formula are
defused the same way in both formats.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from kiosk.private_files import open_private
from kiosk.timestamps import LocalTimes

EXPORT_COLUMNS = ("id", "scanned_at", "local_time", "checkpoint_id", "kiosk_id", "device_id",
                  "direction", "status", "kind", "document_number", "name", "birth_date",
                  "gender", "address", "issue_date", "extra", "sync_state")
STORED_COLUMNS = tuple(c for c in EXPORT_COLUMNS if c != "local_time")
"""What an export reads from the store (``local_time`` is computed)."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters an XLSX cell cannot hold (a QR code can)."""

Progress = Callable[[int], None]


def neutralise(cell: Any) -> Any:
    """Defuse spreadsheet formulas (CSV injection): prefix risky cells with a quote."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def export_rows(entries: Iterable[dict[str, Any]], timezone: ZoneInfo,
                progress: Progress | None = None) -> Iterator[list[Any]]:
    """The export's cells, formula-safe, one list per entry; ``progress(n)`` every 1,000."""
    local = LocalTimes(timezone)
    count = 0
    for count, entry in enumerate(entries, start=1):
        entry["local_time"] = local(entry["scanned_at"])
        yield [neutralise(entry[c]) for c in EXPORT_COLUMNS]
        if progress is not None and count % 1000 == 0:
            progress(count)
    if progress is not None:
        progress(count)


def write_csv(rows: Iterable[list[Any]], out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def write_xlsx(rows: Iterable[list[Any]], path: str | Path) -> int:
    """openpyxl's write-only mode: rows go straight to the file's XML stream."""
    from openpyxl import Workbook  # the "export" extra; only this format needs it

    book = Workbook(write_only=True)
    sheet = book.create_sheet("entries")
    sheet.append(EXPORT_COLUMNS)
    count = 0
    for row in rows:
        sheet.append([_NOT_IN_XML.sub("\ufffd", c) if isinstance(c, str) else c for c in row])
        count += 1
    with open_private(path, "wb") as out:  # 0600: full identities
        book.save(out)
    return count
