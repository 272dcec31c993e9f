"""``kiosk-central import FILE...``: load backlog files that kiosks exported for sneakernet.

Each file is checked whole against its kiosk's key before anything is stored (see
:mod:`kiosk.sync.backlog`), then fed through the same ``Storage.ingest_batch`` as network
uploads: idempotent on entry id, so importing a file twice, or a file whose entries also
arrived over the network, stores each entry once (the rest come back ``duplicate``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.commandline import EXIT_STORE, ProgressBar, examples, open_central
from kiosk.messages import both

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

EXIT_REFUSED = 1
BATCH_SIZE = 2000
REASONS_SHOWN = 5
BUSY_ATTEMPTS = 5


@dataclass
class ImportResult:
    path: Path
    kiosk_id: str = ""
    entries: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    error: str | None = None


def import_file(storage: Storage, path: str | Path, *, batch_size: int = BATCH_SIZE,
                progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Verify one backlog file against its kiosk's key, then store its entries.

    A refused file (unknown kiosk, bad signature, truncated, altered) stores nothing and
    comes back with ``error`` set; a storage failure midway is raised (what was stored is
    kept and a re-import completes it).
    """
    from kiosk.sync import protocol
    from kiosk.sync.backlog import BacklogError, BacklogReader

    result = ImportResult(Path(path))
    try:
        with BacklogReader(path) as reader:
            manifest = reader.manifest
            result.kiosk_id = manifest.kiosk_id
            key = storage.file_key(manifest.kiosk_id)
            kiosk = storage.kiosk(manifest.kiosk_id)
            if key is None or kiosk is None:
                raise BacklogError(f"{path}: kiosk {manifest.kiosk_id!r} is not enrolled at "
                                   f"this centre; refused")
            if kiosk.revoked_at is not None:
                raise BacklogError(f"{path}: kiosk {kiosk.id!r} was revoked at "
                                   f"{kiosk.revoked_at}; its files are refused like its "
                                   f"uploads")
            reader.verify(key)
            result.entries = manifest.entries
            for batch in reader.batches(batch_size):
                answers = _ingest(storage, kiosk.id, kiosk.checkpoint_id, batch)
                for answer in answers:
                    if answer["status"] == protocol.ACCEPTED:
                        result.accepted += 1
                    elif answer["status"] == protocol.DUPLICATE:
                        result.duplicate += 1
                    else:
                        result.rejected += 1
                        result.reasons[answer.get("reason", "")] += 1
                if progress:
                    progress(result.accepted + result.duplicate + result.rejected,
                             manifest.entries)
    except BacklogError as exc:
        result.error = str(exc)
    return result


def _ingest(storage: Storage, kiosk_id: str, checkpoint_id: str,
            batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One transaction; waits out a busy database (the server writing) a few times."""
    from kiosk.central.storage import StorageBusy

    attempts = 0
    while True:
        received_at = dt.datetime.now(dt.UTC)
        try:
            return storage.ingest_batch(kiosk_id, batch, sent_at=None,  # clock unknown
                                        received_at=received_at, batch_id=str(uuid.uuid4()),
                                        checkpoint_id=checkpoint_id, time_window=True)
        except StorageBusy as exc:
            attempts += 1
            if attempts >= BUSY_ATTEMPTS:
                raise
            time.sleep(exc.retry_after)


def cmd_import(args: argparse.Namespace) -> int:
    from kiosk.central.storage import StorageError

    refused = 0
    with open_central(args.db) as storage:
        for name in args.files:
            bar = ProgressBar(f"import {Path(name).name}")
            try:
                result = import_file(storage, name, batch_size=args.batch_size,
                                     progress=bar.update)
            except StorageError as exc:
                print(file=sys.stderr)  # below the progress bar
                print(both("central.import.storage_error", name=name, error=exc),
                      file=sys.stderr)
                return EXIT_STORE
            if result.error:
                refused += 1
                stored = result.accepted + result.duplicate + result.rejected
                outcome = (both("central.import.nothing_stored") if not stored else
                           both("central.import.changed", stored=f"{stored:,}"))
                print(f"{both('central.refused')} {result.error} — {outcome}",
                      file=sys.stderr)
                continue
            bar.finish()
            print(both("central.import.done", name=name, kiosk=result.kiosk_id,
                       entries=f"{result.entries:,}", accepted=f"{result.accepted:,}",
                       duplicate=f"{result.duplicate:,}", rejected=f"{result.rejected:,}"))
            for reason, count in result.reasons.most_common(REASONS_SHOWN):
                print(f"  {both('central.import.rejected')} ×{count}: {reason}")
    return EXIT_REFUSED if refused else 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "import", parents=[common],
        help="load backlog files written by `kiosk sync export` (idempotent)",
        description="Check each backlog file whole against its kiosk's key, then store its "
                    "entries; a refused file stores nothing. Exit code 1 if any was refused.",
        **examples("kiosk-central import /media/usb/ql1a-01-backlog.zip",
                   "kiosk-central import --db sqlite:///data/central.db /media/usb/*.zip"))
    parser.add_argument("files", nargs="+", metavar="FILE", help="backlog file(s)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help="entries per transaction (default: %(default)s)")
    parser.set_defaults(func=cmd_import)
