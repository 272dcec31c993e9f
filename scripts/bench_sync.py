"""Benchmark: a large kiosk backlog synced to a local central server, batched vs one-by-one.

    .venv/bin/python scripts/bench_sync.py [--entries 1000000] [--naive-sample 5000]
                                           [--storage sqlite postgresql] [--batch-size 2000]

For each storage engine: a backlog of ``--entries`` realistic entries is written straight
into a kiosk store file; ``kiosk-central serve`` runs on 127.0.0.1; the real ``kiosk sync
push`` command uploads it (wall time and the push process's peak RSS from wait4; the
server's peak RSS from /proc). Afterwards the centre must hold exactly ``--entries`` rows
and the kiosk none pending. The processor time of each side is printed per entry (the push
process's rusage, the server's /proc stat): the centre's once the last batch is acknowledged
(what the push waits for), and again once it has also derived what it acknowledged
(:mod:`kiosk.central.derivation`: serve's background steps give way while uploads arrive,
so the share of the backlog derived during the push is printed too). At a shared machine's
load the wall time moves with the other work, the processor time much less. The alternative —
one HTTP request per entry over a keep-alive session, marking each entry after its answer
(what pretixSCAN does per check-in) — runs on a ``--naive-sample`` of the same kind of
entries against the same server; its rate is extrapolated to the full backlog.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.config import SyncSettings  # noqa: E402
from kiosk.ids import uuid7  # noqa: E402
from kiosk.store import Store  # noqa: E402
from kiosk.sync import protocol  # noqa: E402
from kiosk.sync.client import SyncClient  # noqa: E402
from tests import central_support  # noqa: E402
from tests.sync_support import (  # noqa: E402
    CentralServer,
    fill_backlog,
    peak_rss,
    sync_states,
    write_config,
)

UNBOUNDED = ("--kiosk-entries-per-hour", str(10**12))
"""One kiosk's whole backlog as fast as the centre takes it: what is measured here, not the
hourly bound a kiosk is held to in service."""


def push(config: Path) -> tuple[float, int, str]:
    """Run ``kiosk sync push``; (wall seconds, its peak RSS in bytes, its output).

    The peak is polled from /proc (VmHWM, which only grows): wait4's ru_maxrss would also
    count this benchmark's own memory, which a vforked child inherits until exec.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "push",
                                 "--config", str(config)], stdout=out, stderr=subprocess.STDOUT)
        peak = 0
        while proc.poll() is None:
            with contextlib.suppress(OSError, RuntimeError):
                peak = max(peak, peak_rss(proc.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"kiosk sync push failed:\n{output}")
    return seconds, peak, output


def naive(store_path: Path, url: str, token: str, kiosk_id: str) -> float:
    """One request per entry (keep-alive), each entry marked after its answer; entries/s."""
    store = Store(store_path)
    client = SyncClient(url, token, timeout=30)
    rows = store.pending(10**9)
    started = time.perf_counter()
    for row in rows:
        body, encoding = protocol.encode_body(
            protocol.make_batch(kiosk_id, uuid7(), [protocol.entry_to_wire(row)]))
        answer = client.post_batch(body, encoding, [row["id"]])
        store.mark_synced(answer.held, answer.rejected)
    seconds = time.perf_counter() - started
    client.close()
    store.close()
    return len(rows) / seconds


def cpu_seconds(pid: int) -> float:
    """User + system processor seconds a running process has used (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(engine: str, directory: Path, kiosk_db: Path, args: argparse.Namespace) -> dict:
    if engine == "sqlite":
        server = CentralServer(directory, *UNBOUNDED)
    else:
        postgres = central_support.shared_postgres()
        if postgres is None:
            raise SystemExit("PostgreSQL binaries not found (initdb/pg_ctl)")
        server = central_support.CentralServer(postgres.create_database(), "--log-level",
                                               "warning", *UNBOUNDED)
    try:
        kiosk_id, sample_id = "bench-kiosk", "bench-naive"
        token = central_support.enrol(server.db, kiosk_id, "CP-BENCH").token
        naive_token = central_support.enrol(server.db, sample_id, "CP-BENCH").token
        config = write_config(directory / "config.toml", kiosk_id=kiosk_id,
                              checkpoint_id="CP-BENCH", server_url=server.url, token=token,
                              batch_size=args.batch_size, batch_max_bytes=args.batch_max_bytes)
        (directory / "kiosk.db").unlink(missing_ok=True)
        os.symlink(kiosk_db, directory / "kiosk.db")
        centre_cpu, push_cpu = cpu_seconds(server.process.pid), _children_cpu()
        started = time.perf_counter()
        seconds, kiosk_rss, out = push(config)
        push_cpu = _children_cpu() - push_cpu
        acknowledged_cpu = cpu_seconds(server.process.pid) - centre_cpu
        states = sync_states(kiosk_db)
        from kiosk.central.backends import open_storage
        with open_storage(server.db) as storage:
            # how much of the backlog serve's background steps had derived by the last
            # acknowledgement (they give way while uploads arrive: derivation.YIELD_SECONDS)
            pending = storage._query("SELECT coalesce(sum(entries), 0) FROM derive_queue")[0][0]
            # the centre's processor time includes deriving what it acknowledged (serve
            # does it in the background, kiosk.central.derivation): counted once it is done
            while storage._query("SELECT count(*) FROM derive_queue")[0][0]:
                time.sleep(0.05)
            derived = time.perf_counter() - started
            centre_cpu = cpu_seconds(server.process.pid) - centre_cpu
            stored = storage.entry_count(kiosk_id)
        if stored != args.entries or states != {"acknowledged": args.entries}:
            raise SystemExit(f"incomplete: centre holds {stored}, kiosk {states}\n{out}")
        server_rss = peak_rss(server.process.pid)

        sample_db = directory / "naive.db"
        fill_backlog(sample_db, args.naive_sample, kiosk_id=sample_id, checkpoint_id="CP-BENCH",
                     seed=2)
        naive_rate = naive(sample_db, server.url, naive_token, sample_id)
    finally:
        server.stop()
    return {"engine": engine, "seconds": seconds, "rate": args.entries / seconds,
            "derived_seconds": derived, "derived_during_push": 1 - pending / args.entries,
            "acknowledged_cpu": acknowledged_cpu / args.entries,
            "centre_cpu": centre_cpu / args.entries, "push_cpu": push_cpu / args.entries,
            "kiosk_rss": kiosk_rss, "server_rss": server_rss, "naive_rate": naive_rate}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--naive-sample", type=int, default=5000)
    parser.add_argument("--storage", nargs="+", default=["sqlite"],
                        choices=("sqlite", "postgresql"))
    parser.add_argument("--batch-size", type=int, default=SyncSettings().batch_size,
                        help="entries per upload (default: the config default)")
    parser.add_argument("--batch-max-bytes", type=int, default=SyncSettings().batch_max_bytes)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        kiosk_db = Path(tmp) / "backlog.db"
        started = time.perf_counter()
        fill_backlog(kiosk_db, args.entries, kiosk_id="bench-kiosk", checkpoint_id="CP-BENCH")
        os.sync()  # written without fsync: let the disk settle before timing anything
        print(f"backlog: {args.entries:,} entries, {kiosk_db.stat().st_size / 1e6:,.0f} MB "
              f"store file, written in {time.perf_counter() - started:.1f} s", flush=True)
        results = []
        for engine in args.storage:
            directory = Path(tmp) / engine
            directory.mkdir()
            store = Store(kiosk_db)  # the same backlog, pending again, for each engine
            with store.transaction() as conn:
                conn.execute("UPDATE entries SET sync_state = 'pending', sync_error = NULL, "
                             "synced_at = NULL WHERE sync_state != 'pending'")
            store.close()
            os.sync()
            results.append(run(engine, directory, kiosk_db, args))
            print(f"{engine}: done", flush=True)

    print(f"\nMachine: {os.cpu_count()} cores, {platform.platform()}, Python "
          f"{platform.python_version()}; batch_size {args.batch_size}, batch_max_bytes "
          f"{args.batch_max_bytes}")
    print("| storage | entries | batched push | entries/s | all derived after "
          "| derived during the push | push / centre CPU per entry, acknowledged "
          "| centre CPU per entry, all derived "
          "| push peak RSS | server peak RSS | one request per entry (sample) | speed-up "
          "| 1M one-by-one (extrapolated) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['engine']} | {args.entries:,} | {r['seconds']:.1f} s | {r['rate']:,.0f} | "
              f"{r['derived_seconds']:.1f} s | {r['derived_during_push']:.0%} | "
              f"{r['push_cpu'] * 1e6:.1f} / {r['acknowledged_cpu'] * 1e6:.1f} µs | "
              f"{r['centre_cpu'] * 1e6:.1f} µs | "
              f"{r['kiosk_rss'] / 2**20:.0f} MiB | {r['server_rss'] / 2**20:.0f} MiB | "
              f"{r['naive_rate']:,.0f}/s on {args.naive_sample:,} | "
              f"{r['rate'] / r['naive_rate']:.0f}× | "
              f"{1_000_000 / r['naive_rate'] / 60:.0f} min |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
