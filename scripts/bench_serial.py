"""Serial scanner latency: bytes in on a pty → accepted result, beside the bare pipeline.

Three paths run interleaved in one process over one SQLite file (WAL, synchronous=FULL),
so disk and load are shared:

- bare pipeline: ``Pipeline.submit(Scan)`` called directly (no device at all);
- serial, CRLF terminator: a scan written to a real pty at once (all bytes there, as when
  the last byte of a 115200-baud frame arrives) → SerialDevice (pyserial) → Supervisor
  queue → Pipeline → Store → listener;
- serial, no terminator: the same, ended by the idle gap (idle_gap_ms, default 80) — what a
  scanner without a configured suffix costs.

Latency is measured from just before ``write()`` (or ``submit()``) to the listener seeing the
accepted result (committed). A burst then writes ``--burst`` scans back to back and
reports scans per second through each path. Unmeasured warm-up commits come first: while
the WAL file is still growing every fsync also writes file-size metadata, and the first
thousand commits of a fresh database are several times slower than the steady state.

    .venv/bin/python scripts/bench_serial.py [--scans 1000] [--gap-every 10] [--burst 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import tempfile
import threading
import time
import tty
from pathlib import Path

from bench_pipeline import cccd, percentile  # the same scans as the pipeline benchmark

from kiosk.config import validate_device
from kiosk.devices.supervisor import CONNECTED, Supervisor
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan, ScanResult, Status
from kiosk.store import Store

ROUNDS = 4


class Results:
    """When each payload's accepted result reached a listener."""

    def __init__(self) -> None:
        self.seen: dict[bytes, float] = {}
        self.cond = threading.Condition()

    def __call__(self, result: ScanResult) -> None:
        now = time.perf_counter()
        if result.status is not Status.ACCEPTED:
            raise SystemExit(f"not accepted: {result.reason_in('en')}")
        with self.cond:
            self.seen[result.scan.payload] = now
            self.cond.notify_all()

    def wait(self, payloads: list[bytes], timeout: float = 30.0) -> float:
        with self.cond:
            if not self.cond.wait_for(lambda: all(p in self.seen for p in payloads), timeout):
                raise SystemExit("timed out waiting for results")
            return max(self.seen[p] for p in payloads)


def pty() -> tuple[int, int, str]:
    master, slave = os.openpty()
    tty.setraw(master)
    return master, slave, os.ttyname(slave)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--gap-every", type=int, default=10,
                        help="measure the no-terminator path every Nth scan (it waits a gap)")
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--idle-gap-ms", type=int, default=80)
    parser.add_argument("--warmup", type=int, default=2000,
                        help="unmeasured commits first, so the WAL file has stopped growing")
    parser.add_argument("--dir", default=".", help="folder on the disk to measure (default: .)")
    args = parser.parse_args()
    crlf_master, crlf_slave, crlf_path = pty()
    gap_master, gap_slave, gap_path = pty()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-serial-") as tmp:
        store = Store(Path(tmp) / "kiosk.db")
        pipeline = Pipeline(store, Policy(checkpoint_id="CP-BENCH", kiosk_id="k-bench",
                                          duplicate_policy="allow"))
        results = Results()
        pipeline.subscribe(results)
        devices = [
            validate_device(0, {"id": "crlf", "type": "serial", "port": crlf_path,
                                "baudrate": 115200, "terminator": "CRLF", "lane": "in"}),
            validate_device(1, {"id": "gap", "type": "serial", "port": gap_path,
                                "baudrate": 115200, "terminator": "none", "lane": "in",
                                "idle_gap_ms": args.idle_gap_ms}),
        ]
        supervisor = Supervisor(devices, pipeline.submit)
        supervisor.start()
        deadline = time.monotonic() + 10
        while any(s.state != CONNECTED for s in supervisor.status()):
            if time.monotonic() > deadline:
                raise SystemExit(f"devices did not connect: {supervisor.status()}")
            time.sleep(0.01)

        n = 0
        for _ in range(args.warmup):  # until the WAL file stops growing: the steady state
            pipeline.submit(Scan(payload=cccd(n := n + 1), device_id="warmup", lane="in"))
        bare, crlf, gap = [], [], []
        for i in range(args.scans):
            payload = cccd(n := n + 1)
            started = time.perf_counter()
            pipeline.submit(Scan(payload=payload, device_id="bare", lane="in"))
            bare.append(results.wait([payload]) - started)

            payload = cccd(n := n + 1)
            started = time.perf_counter()
            os.write(crlf_master, payload + b"\r\n")
            crlf.append(results.wait([payload]) - started)

            if args.gap_every and i % args.gap_every == 0:
                payload = cccd(n := n + 1)
                started = time.perf_counter()
                os.write(gap_master, payload)
                gap.append(results.wait([payload]) - started)

        spent = {"bare": 0.0, "serial": 0.0}
        for round_ in range(ROUNDS):  # alternate which goes first: WAL state is shared
            for path in ("bare", "serial") if round_ % 2 == 0 else ("serial", "bare"):
                payloads = [cccd(n + k) for k in range(1, args.burst // ROUNDS + 1)]
                n += len(payloads)
                started = time.perf_counter()
                if path == "bare":
                    for payload in payloads:
                        pipeline.submit(Scan(payload=payload, device_id="bare", lane="in"))
                else:
                    os.write(crlf_master, b"".join(p + b"\r\n" for p in payloads))
                spent[path] += results.wait(payloads, timeout=120) - started
        burst = args.burst // ROUNDS * ROUNDS
        bare_rate, serial_rate = burst / spent["bare"], burst / spent["serial"]

        supervisor.stop()
        rows = store.conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        expected = args.warmup + args.scans * 2 + len(gap) + 2 * burst
        assert rows == expected, (rows, expected)
        store.close()
    for fd in (crlf_master, crlf_slave, gap_master, gap_slave):
        os.close(fd)

    ms = 1000
    print(f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}, load avg {os.getloadavg()[0]:.2f}; "
          f"{rows} rows committed")
    print("| path | scans | p50 ms | p99 ms | mean ms |\n|---|---|---|---|---|")
    for name, samples in (("bare pipeline: submit → accepted", bare),
                          ("serial CRLF: pty write → accepted", crlf),
                          (f"serial no terminator (idle gap {args.idle_gap_ms} ms)", gap)):
        print(f"| {name} | {len(samples)} | {percentile(samples, .5) * ms:.2f} | "
              f"{percentile(samples, .99) * ms:.2f} | {statistics.fmean(samples) * ms:.2f} |")
    p50 = percentile(crlf, .5) - percentile(bare, .5)
    print(f"serial CRLF adds {p50 * ms:.2f} ms at p50 over the bare pipeline")
    print(f"burst of {burst} back to back ({ROUNDS} rounds, alternating): "
          f"bare {bare_rate:.0f} scans/s, serial CRLF {serial_rate:.0f} scans/s "
          f"(a 115200-baud line carries ~{11520 / (len(cccd(1)) + 2):.0f} such scans/s)")


if __name__ == "__main__":
    main()
