"""Entries to files a spreadsheet opens: CSV and XLSX, streamed.

Neither holds more than a bounded part of the export, so one of any period runs in
constant memory. A CSV cell that a spreadsheet would run as a formula is defused
(:func:`neutralise`, the centre's rule too); an XLSX text cell is text, shown as it is.
A long CSV export is cut into chunks of consecutive times, formatted by one process per
processor and written in order: the same bytes as one process writes, sooner (XLSX stays
in one process: its zip is one deflate stream).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import logging
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, BinaryIO
from zoneinfo import ZoneInfo

from kiosk import xlsx
from kiosk.messages import both, os_words
from kiosk.timestamps import LocalTimes
from kiosk.xlsx import SheetWritten, Table

if TYPE_CHECKING:
    from kiosk.store import Store

log = logging.getLogger(__name__)

EXPORT_COLUMNS = ("id", "scanned_at", "local_time", "checkpoint_id", "kiosk_id", "device_id",
                  "direction", "status", "kind", "document_number", "name", "birth_date",
                  "gender", "address", "issue_date", "extra", "sync_state")
STORED_COLUMNS = tuple(c for c in EXPORT_COLUMNS if c != "local_time")
"""What an export reads from the store (``local_time`` is computed)."""
PAGE_ROWS = 5000
"""Rows an export reads per query: a few MB, and few enough queries not to count."""
CHUNK_ROWS = 5_000
"""Rows a process formats at a time: ~1.5 MB of CSV; at most two per process are in flight
(20,000 made the export's processes together peak at 142 MiB PSS, 5,000 at 75, as fast)."""
MAX_WORKERS = 4
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int], None]


E164 = re.compile(r"\+[1-9][0-9]{6,14}")
"""A phone number in E.164 (``+12025550143``): a spreadsheet opening a CSV takes it for a
number at worst, never a formula that runs — left as it is, not shown as ``'+1202…``."""


def neutralise(cell: Any) -> Any:
    """Defuse spreadsheet formulas in a CSV cell (CSV injection): a text starting ``= + - @``,
    a tab or a carriage return gets a leading quote, a phone in E.164 (:data:`E164`) not.
    An XLSX text cell needs none: it is text, never a formula (kiosk.xlsx)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START) and not E164.fullmatch(cell):
        return "'" + cell
    return cell


_SCHEMA_BOUND = frozenset({"local_time", "direction", "status", "sync_state"})
"""Cells that cannot start a formula: computed here, or held to a few words by the store's
CHECK constraints. Every other text cell is checked, the kiosk's own ids included."""
_CHECKED = tuple(i for i, c in enumerate(EXPORT_COLUMNS) if c not in _SCHEMA_BOUND)
_EXTRA = EXPORT_COLUMNS.index("extra")
UNEXPORTED_EXTRA = ("sent_hex", "sent_as")
"""``extra``'s keys an export leaves out, as it leaves out the payload: a serial frame's
bytes in hex (the whole card code) and the code page they were read in
(docs/privacy.md)."""


def shareable_extra(extra: str) -> str | None:
    """``extra`` (the store's JSON) without :data:`UNEXPORTED_EXTRA`; None when nothing else
    is in it."""
    kept = {k: v for k, v in json.loads(extra).items() if k not in UNEXPORTED_EXTRA}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else None


def export_rows(pages: Iterable[list[tuple[Any, ...]]], timezone: ZoneInfo,
                progress: Progress | None = None, *, for_csv: bool = True
                ) -> Iterator[list[Any]]:
    """The export's cells, one list per entry of ``pages`` (tuples of ``STORED_COLUMNS``,
    as ``Store.entry_pages`` gives them); ``progress(n)`` per page. ``for_csv``: each cell
    a spreadsheet could run as a formula :func:`neutralise`-d; not for XLSX, whose text
    cells are text, never a formula, so shown as they are (``=HYPERLINK(…)``,
    ``+12025550143``), as the centre's workbooks show them.

    The hot loop of an export: one list per row, the local time from a per-minute cache,
    and a formula check only on the cells that could hold one (:data:`_CHECKED`)."""
    local = LocalTimes(timezone)
    risky, checked = FORMULA_START, _CHECKED if for_csv else ()
    count = 0
    for page in pages:
        for stored in page:
            row = [stored[0], stored[1], local(stored[1]), *stored[2:]]
            if row[_EXTRA] and '"sent_hex"' in row[_EXTRA]:  # few: serial fallback frames
                row[_EXTRA] = shareable_extra(row[_EXTRA])
            for i in checked:
                cell = row[i]
                if cell.__class__ is str and cell.startswith(risky):  # few: the rest
                    row[i] = neutralise(cell)
            yield row
        count += len(page)
        if progress is not None:
            progress(count)
    if progress is not None and not count:
        progress(0)


def write_csv(store: Store, since: str | None, until: str | None, out: BinaryIO,
              encoding: str = "utf-8", progress: Progress | None = None,
              workers: int | None = None) -> int:
    """The CSV export of ``[since, until)`` with its header, encoded, to ``out``; the count
    of rows written. Up to :data:`CHUNK_ROWS` rows it is formatted here; a longer one in
    chunks by ``workers`` processes (default: one per processor), each reading through a
    read-only store of its own (not for a store read on a full disk, ``Store.exclusive``:
    no other connection can open it, so it is all formatted here). ``progress(n)`` after
    each chunk. The workers import the caller's main module again, as multiprocessing's
    fork server does: a script calling this with more than one worker needs its
    ``if __name__ == "__main__":`` guard (the ``kiosk`` command has it), or its workers
    fail and the export runs in one process."""
    out.write((",".join(EXPORT_COLUMNS) + "\r\n").encode(encoding))
    bounds = chunk_bounds(store, since, until)
    first = next(bounds)
    workers = 1 if store.exclusive else min(workers or os.cpu_count() or 1, MAX_WORKERS)
    if first[1] == until or workers < 2:
        chunks: Iterator[tuple[int, bytes]] = (
            format_chunk(store, low, high, encoding)
            for low, high in itertools.chain([first], bounds))
    else:
        chunks = _in_processes(store, itertools.chain([first], bounds), encoding, workers)
    count = 0
    for rows, text in chunks:
        out.write(text)
        count += rows
        if progress is not None:
            progress(count)
    if progress is not None and not count:
        progress(0)
    return count


def chunk_bounds(store: Store, since: str | None, until: str | None
                 ) -> Iterator[tuple[str | None, str | None]]:
    """``[since, until)`` cut into consecutive periods of about :data:`CHUNK_ROWS` entries."""
    low = since
    while (high := store.time_after(low, until, CHUNK_ROWS)) is not None:
        yield low, high
        low = high
    yield low, until


def format_chunk(store: Store, since: str | None, until: str | None,
                 encoding: str) -> tuple[int, bytes]:
    """The CSV lines (no header) of ``[since, until)``, encoded, and how many."""
    count = 0

    def counted() -> Iterator[list[tuple[Any, ...]]]:
        nonlocal count
        for page in store.entry_pages(since=since, until=until, columns=STORED_COLUMNS,
                                      page_rows=PAGE_ROWS):
            count += len(page)
            yield page

    text = io.StringIO(newline="")
    csv.writer(text).writerows(export_rows(counted(), store.timezone))
    return count, text.getvalue().encode(encoding)


def _in_processes(store: Store, bounds: Iterator[tuple[str | None, str | None]],
                  encoding: str, workers: int) -> Iterator[tuple[int, bytes]]:
    """Chunks formatted by ``workers`` processes, yielded in order; at most two per worker
    are in flight, so memory stays bounded however long the export. When the workers fail
    (one killed for memory, none could start), the chunks not written yet are formatted
    here: the file is whole all the same.

    The workers start from a fork server, never as forks of this process: a fork copies
    only the forking thread, and a lock another thread held at that moment stays held in
    the child for good (a whole test run once hung on such a child)."""
    unwritten: deque[tuple[str | None, str | None]] = deque()
    """Chunks taken from ``bounds`` and not yet yielded, in order (a chunk is in it before
    it is handed to a worker, so a failing hand-over loses none)."""
    results: deque[Future[tuple[int, bytes]]] = deque()
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"),
                                 initializer=_open_worker_store,
                                 initargs=(str(store.path), store.timezone)) as pool:
            for chunk in bounds:
                unwritten.append(chunk)
                results.append(pool.submit(_format_in_worker, *chunk, encoding))
                while len(results) >= 2 * workers or (results and results[0].done()):
                    done = results[0].result()
                    results.popleft()
                    unwritten.popleft()
                    yield done
            while results:
                done = results[0].result()
                results.popleft()
                unwritten.popleft()
                yield done
    except (BrokenProcessPool, OSError) as exc:
        log.warning("%s", both("export.log.workers_failed", reason=os_words(exc) if
                               isinstance(exc, OSError) else exc))
        log.info("export: worker processes failed: %r", exc)  # their own English: -v
    for low, high in itertools.chain(unwritten, bounds):
        yield format_chunk(store, low, high, encoding)


_WORKER: dict[str, Store] = {}
"""A worker process's own read-only store."""


def _open_worker_store(path: str, timezone: ZoneInfo) -> None:
    from kiosk.store import Store

    _WORKER["store"] = Store(path, timezone=timezone, read_only=True)


def _format_in_worker(since: str | None, until: str | None,
                      encoding: str) -> tuple[int, bytes]:
    return format_chunk(_WORKER["store"], since, until, encoding)


def write_xlsx(store: Store, since: str | None, until: str | None, out: BinaryIO,
               progress: Progress | None = None) -> list[SheetWritten]:
    """The XLSX export of ``[since, until)`` into ``out``, streamed (:mod:`kiosk.xlsx`):
    nothing but ``out`` ever holds a row. Sheet ``entries``, then ``entries (2)``… past
    Excel's rows a sheet, each under the header; the sheets written."""
    pages = store.entry_pages(since=since, until=until, columns=STORED_COLUMNS,
                              page_rows=PAGE_ROWS)
    table = Table("entries", EXPORT_COLUMNS,
                  export_rows(pages, store.timezone, progress, for_csv=False))
    return xlsx.write(out, [table])
