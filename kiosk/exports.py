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
PAGE_ROWS = 5000
"""Rows an export reads per query: a few MB, and few enough queries not to count."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters an XLSX cell cannot hold (a QR code can)."""

Progress = Callable[[int], None]


def neutralise(cell: Any) -> Any:
    """Defuse spreadsheet formulas (CSV injection): prefix risky cells with a quote."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


_SCHEMA_BOUND = frozenset({"local_time", "direction", "status", "sync_state"})
"""Cells that cannot start a formula: computed here, or held to a few words by the store's
CHECK constraints. Every other text cell is checked, the kiosk's own ids included."""
_CHECKED = tuple(i for i, c in enumerate(EXPORT_COLUMNS) if c not in _SCHEMA_BOUND)


def export_rows(pages: Iterable[list[tuple[Any, ...]]], timezone: ZoneInfo,
                progress: Progress | None = None) -> Iterator[list[Any]]:
    """The export's cells, formula-safe, one list per entry of ``pages`` (tuples of
    ``STORED_COLUMNS``, as ``Store.entry_pages`` gives them); ``progress(n)`` per page.

    The hot loop of an export: one list per row, the local time from a per-minute cache,
    and a formula check only on the cells that could hold one (:data:`_CHECKED`)."""
    local = LocalTimes(timezone)
    risky, checked = FORMULA_START, _CHECKED
    count = 0
    for page in pages:
        for stored in page:
            row = [stored[0], stored[1], local(stored[1]), *stored[2:]]
            for i in checked:
                cell = row[i]
                if cell.__class__ is str and cell.startswith(risky):
                    row[i] = "'" + cell
            yield row
        count += len(page)
        if progress is not None:
            progress(count)
    if progress is not None and not count:
        progress(0)


def write_csv(rows: Iterable[list[Any]], out: TextIO) -> int:
    """CSV with a header; the count of rows written."""
    count = 0

    def counted() -> Iterator[list[Any]]:
        nonlocal count
        for count, row in enumerate(rows, start=1):  # noqa: B007 (counted as they pass)
            yield row

    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(counted())
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
