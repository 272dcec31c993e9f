"""Report files in a folder (the 06:00 timer's ``--out-dir``), one a format, named by their
day or month (:func:`kiosk.central.report_formats.file_name`): each replaced whole, so the
folder always holds whole files and a rerun replaces the same ones.

A file counts what was derived when it was made. Entries set aside then (a derivation error,
:mod:`kiosk.central.derivation`) are counted once retried: :func:`rewrite` makes again the
files already written for the days (and months) they are filed under, a day's as the 06:00
run makes it (:func:`reports.made_daily`): its making recorded if none was, else the entries
that making counted (those since are listed late) and its people as derived now; a
month's as ``report monthly --if-due`` makes it again, counting every entry held, the
earlier files kept under names saying when they were made and named in ``replaces``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kiosk.central import report_formats, reports, sheets
from kiosk.central.localdays import parse_utc
from kiosk.private_files import replace_file
from kiosk.sync import protocol

if TYPE_CHECKING:
    from kiosk.central.storage import Storage


def write(report: dict[str, Any], folder: Path, formats: Sequence[str]) -> list[Path]:
    """Write ``report`` into ``folder`` in each of ``formats``; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / report_formats.file_name(report, fmt) for fmt in formats]
    for path, fmt in zip(paths, formats, strict=True):
        write_file(path, report_formats.render(report, fmt))
    return paths


def day_written(folder: Path, day: dt.date, formats: Sequence[str]) -> bool:
    """Whether ``day``'s report is in ``folder`` in each of ``formats``."""
    return all((folder / report_formats.file_name({"report": "daily", "day": day.isoformat()},
                                                  fmt)).exists() for fmt in formats)


def write_file(path: Path, data: bytes, *, force: bool = True) -> None:
    """Replace ``path`` whole (``force=False``: never a file already there, ``report -o``
    without ``--force``). Reports hold counts only (no person), and are read by the
    province's staff from the reports folder: 0644."""
    replace_file(path, data, mode=0o644, force=force, output=True)


@dataclass(frozen=True)
class Held:
    """A month's report files already in a folder, and when that report was made."""

    files: list[Path]
    made_at: str
    """A stored UTC time: the JSON file's ``made_at``, else (no JSON asked for, or not
    readable) the files' earliest modification, a little after the report was made."""
    report: dict[str, Any] | None = None
    """The JSON file's report, what it counted (:func:`reports.stale`); None without one."""

    def keep(self, zone: ZoneInfo) -> list[Path]:
        """Link each file also under a name saying when, in ``zone``, it was made
        (``bao-cao-thang-2026-11-lap-luc-20261201-060012.json``), so that the version an
        official may have forwarded stays in the folder when the report is made again; the
        names linked."""
        stamp = parse_utc(self.made_at).astimezone(zone).strftime("%Y%m%d-%H%M%S")
        kept = []
        for path in self.files:
            stem, fmt = path.name.rsplit(".", 1)
            name = path.with_name(f"{stem}-lap-luc-{stamp}.{fmt}")
            with contextlib.suppress(FileExistsError):  # kept by a run stopped half-way
                os.link(path, name)
            kept.append(name)
        return kept


def held(folder: Path, month: str, formats: Sequence[str]) -> Held | None:
    """``month``'s files in ``folder`` in every one of ``formats``, or None if one is
    missing: ``--if-due`` writes them on any day they are missing, so that a centre down
    all day on the 1st writes last month's report at its next run."""
    stub = {"report": "monthly", "month": month}
    files = [folder / report_formats.file_name(stub, fmt) for fmt in formats]
    if not all(path.exists() for path in files):
        return None
    for path in files:
        if path.suffix == ".json":
            with contextlib.suppress(OSError, ValueError, TypeError, KeyError, AttributeError):
                report = json.loads(path.read_bytes())
                made_at = report["made_at"]
                parse_utc(made_at)  # one this program wrote
                return Held(files, made_at, report)
    earliest = min(path.stat().st_mtime for path in files)
    return Held(files, protocol.format_time(dt.datetime.fromtimestamp(earliest, dt.UTC)))


def rewrite(storage: Storage, folder: Path, days: Iterable[str]) -> list[Path]:
    """Make again, as :func:`write` made them, the daily files in ``folder`` of the local
    ``days`` and the monthly files of their months, in the formats already there (a day
    with no file yet gets none: its report is still to come); the files written, and the
    names the earlier monthly files are kept under. A month's report counts every entry
    held (its late list says which a report made on the 1st lacked): made again it is
    another report, as ``report monthly --if-due`` makes it — before, the retry replaced
    the files an official may have forwarded, and the new one named none it replaced."""
    days = sorted(set(days))
    written: list[Path] = []
    for kind, names in (("daily", days), ("monthly", sorted({d[:7] for d in days}))):
        for name in names:
            stub = {"report": kind, "day": name, "month": name}
            formats = [f for f in sheets.FORMATS
                       if (folder / report_formats.file_name(stub, f)).exists()]
            if not formats:
                continue
            if kind == "daily":
                report = reports.made_daily(storage, dt.date.fromisoformat(name))
            else:
                report = reports.monthly(storage, name, wait=None)
                earlier = held(folder, name, formats)
                if earlier is not None:  # it is: every format asked is there
                    report["replaces"] = earlier.made_at
                    written += earlier.keep(storage.calendar.zone)
            written += write(report, folder, formats)
    return written
