"""Benchmark: a large backlog file written on the kiosk and imported at the centre.

    .venv/bin/python scripts/bench_backlog.py [--entries 100000] [--repeat 3]

A kiosk store with ``--entries`` realistic pending entries (``tests.sync_support``: CCCD
scans with Vietnamese names, every tenth a certificate-sized code) is exported with the
kiosk's own ``SyncWorker.export`` (what ``kiosk sync export`` runs: read the pending set,
encode, compress, seal, fsync, read back from the disk, label ``sent``), then imported into
a fresh SQLite centre with ``kiosk.central.importer.import_file`` (open, check the whole
file, then store it in batches of 2,000). Each figure is the best of ``--repeat`` runs.

It runs against whichever code is on ``sys.path``: the format-2 code of this tree (signed
with Ed25519, sealed with X25519 + HKDF + ChaCha20-Poly1305), or, with
``PYTHONPATH=<a checkout of 4ae6c59>``, the format-1 code before it (a ZIP signed with
HMAC-SHA256), so before and after run back to back on the same machine.

``--primitives`` adds what the two AEADs of ``cryptography`` cost per 1 MiB part, the
choice the format makes (ChaCha20-Poly1305) beside the one a reader might expect (AES-GCM).
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

if not os.environ.get("PYTHONPATH"):  # else the tree PYTHONPATH names is the one measured
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import config as config_mod
from kiosk.central.backends import open_storage
from kiosk.central.enrol import enrol_kiosk
from kiosk.central.importer import import_file
from kiosk.sync import backlog
from kiosk.sync.worker import SyncWorker
from tests.sync_support import fill_backlog, write_config

FORMAT = getattr(backlog, "VERSION", 1)


def run(folder: Path, entries: int) -> dict[str, float]:
    """One export and one import of ``entries``; seconds and bytes."""
    db = f"sqlite:///{folder / 'central.db'}"
    storage = open_storage(db)
    by = {}
    if "by" in inspect.signature(enrol_kiosk).parameters:  # audited since revpriv F3 (an
        from kiosk.central.audit import Actor  # older tree, measured side by side, has none)

        by["by"] = Actor("bench@localhost", "cli")
    kiosk, token = enrol_kiosk(storage, checkpoint_id="CP-SYNC", name="bench",
                               kiosk_id="bench-01", **by)
    (folder / "kiosk").mkdir()
    config = config_mod.load(write_config(folder / "kiosk" / "config.toml", kiosk_id=kiosk.id,
                                          server_url="http://127.0.0.1:9", token=token))
    import_args: tuple = ()
    if FORMAT >= 2:
        from kiosk.central.backlog_key import open_key
        from kiosk.sync.backlog_keys import encode, raw
        from kiosk.sync.kiosk_keys import KioskKeys

        centre_key = open_key(storage, folder / "central-backlog.key", create=True)
        keys = KioskKeys(folder / "kiosk")
        keys.remember({"centre_key": encode(centre_key.public_key())})
        storage.register_signing_key(kiosk.id, raw(keys.signing_key().public_key()))
        import_args = (centre_key,)
    fill_backlog(folder / "kiosk" / "kiosk.db", entries, kiosk_id=kiosk.id)
    worker = SyncWorker.from_config(config)
    path = folder / "usb" / "bench.backlog"
    path.parent.mkdir()
    started = time.perf_counter()
    summary = worker.export(path)
    exported = time.perf_counter() - started
    worker.stop()
    assert summary.entries == entries == summary.marked_sent
    started = time.perf_counter()
    result = import_file(storage, path, *import_args)
    imported = time.perf_counter() - started
    assert result.error is None and result.accepted == entries, result
    storage.close()
    return {"export": exported, "import": imported, "bytes": path.stat().st_size}


def primitives() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

    part = os.urandom(1 << 20)
    for name, aead in (("ChaCha20-Poly1305", ChaCha20Poly1305(os.urandom(32))),
                       ("AES-256-GCM", AESGCM(os.urandom(32)))):
        best = min(_timed(lambda a=aead: a.encrypt(b"\0" * 12, part, b"h")) for _ in range(50))
        print(f"  {name:18} {best * 1000:.2f} ms per 1 MiB part "
              f"({1 / best:,.0f} MiB/s)", flush=True)


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--primitives", action="store_true")
    args = parser.parse_args()
    print(f"# backlog file format {FORMAT}, {args.entries:,} entries, best of {args.repeat}; "
          f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} "
          f"cores, load average {os.getloadavg()[0]:.2f}", flush=True)
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(run(Path(tmp), args.entries))
    export = min(r["export"] for r in runs)
    imported = min(r["import"] for r in runs)
    print(f"  export  {export:6.2f} s  {args.entries / export:9,.0f} entries/s  "
          f"({runs[0]['bytes'] / 1e6:.1f} MB file)")
    print(f"  import  {imported:6.2f} s  {args.entries / imported:9,.0f} entries/s")
    print(f"  load average after: {os.getloadavg()[0]:.2f}", flush=True)
    if args.primitives:
        primitives()
    return 0


if __name__ == "__main__":
    sys.exit(main())
