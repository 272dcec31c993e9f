"""Report files in a folder (the 06:00 timer's ``--out-dir``), one a format, named by their
day or month (:func:`kiosk.central.report_formats.file_name`): each replaced whole, so the
folder always holds whole files and a rerun replaces the same ones.

A file counts what was derived when it was made. Entries set aside then (a derivation error,
:mod:`kiosk.central.derivation`) are counted once retried: :func:`rewrite` makes again the
files already written for the days (and months) they are filed under, a day's as the 06:00
run makes it (:func:`reports.made_daily`): its making recorded if none was, else the entries
that making counted (those since are listed late) and its people as derived now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.central import report_formats, reports, sheets
from kiosk.private_files import replace_file

if TYPE_CHECKING:
    from kiosk.central.storage import Storage


def write(report: dict[str, Any], folder: Path, formats: Sequence[str]) -> list[Path]:
    """Write ``report`` into ``folder`` in each of ``formats``; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / report_formats.file_name(report, fmt) for fmt in formats]
    for path, fmt in zip(paths, formats, strict=True):
        write_file(path, report_formats.render(report, fmt))
    return paths


def write_file(path: Path, data: bytes, *, force: bool = True) -> None:
    """Replace ``path`` whole (``force=False``: never a file already there, ``report -o``
    without ``--force``). Reports hold counts only (no person), and are read by the
    province's staff from the reports folder: 0644."""
    replace_file(path, data, mode=0o644, force=force, output=True)


def rewrite(storage: Storage, folder: Path, days: Iterable[str]) -> list[Path]:
    """Make again, as :func:`write` made them, the daily files in ``folder`` of the local
    ``days`` and the monthly files of their months, in the formats already there (a day
    with no file yet gets none: its report is still to come); the files written."""
    days = sorted(set(days))
    written: list[Path] = []
    for kind, names in (("daily", days), ("monthly", sorted({d[:7] for d in days}))):
        for name in names:
            stub = {"report": kind, "day": name, "month": name}
            formats = [f for f in sheets.FORMATS
                       if (folder / report_formats.file_name(stub, f)).exists()]
            if formats:
                report = (reports.made_daily(storage, dt.date.fromisoformat(name))
                          if kind == "daily" else reports.monthly(storage, name, wait=None))
                written += write(report, folder, formats)
    return written
