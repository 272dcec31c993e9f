"""One hostile kiosk against 20 honest ones: what does it cost the honest kiosks?

Starts a real `kiosk-central serve` (SQLite), enrols 21 kiosks with the real CLI, and for
``--seconds`` lets 20 kiosks upload a 100-entry batch each about once a second (bodies
encoded beforehand, so the figure is the server's) while, in the second run, the 21st kiosk
sends the worst bodies it can, back to back from 4 connections: a 120 KB gzip body of 120 MiB
of ``[],`` inside a valid batch, one string as long as the decoded-size limit allows (16 MiB),
just under a million JSON values, and 10,000 minimal entries. Reports the honest batches'
p50/p99 latency and the server's peak memory (VmHWM) for the run without and with the hostile
kiosk.

    .venv/bin/python scripts/bench_abuse.py --seconds 30
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_central import CENTRAL, make_entries, start_server

from kiosk.ids import uuid7
from kiosk.sync import protocol

HONEST, BATCH = 20, 100


def enrol(db: str, kiosk_id: str) -> str:
    out = subprocess.run([CENTRAL, "kiosks", "add", "--db", db, "--checkpoint", "CP-BENCH",
                          "--name", kiosk_id, "--kiosk-id", kiosk_id, "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["token"]


def hostile_bodies(kiosk_id: str) -> list[tuple[str, bytes, str]]:
    """The worst bodies one kiosk holding a valid token can send (name, body, encoding)."""
    entry = make_entries(1, kiosk_id)[0]

    def around(hole: bytes, parts: int, block: bytes, end: bytes) -> bytes:
        entry["id"] = uuid7()
        head, tail = json.dumps(protocol.make_batch(kiosk_id, uuid7(), [
            {**entry, "extra": {"x": "HOLE"}}])).encode().split(b'"HOLE"')
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        out = [packer.compress(head + hole)]
        out += [packer.compress(block) for _ in range(parts)]
        return b"".join([*out, packer.compress(end + tail), packer.flush()])

    mib = 1 << 20
    limit = protocol.MAX_DECODED_BYTES // mib
    arrays = around(b"[", 120, b"[]," * (mib // 3), b"[]]")
    string = around(b'"', limit - 1, b"A" * mib, b'"')
    values = around(b"[", 1, b"[]," * 330_000, b"[]]")
    stubs, _ = protocol.encode_body(protocol.make_batch(kiosk_id, uuid7(), [
        {"id": uuid7()} for _ in range(protocol.MAX_BATCH_ENTRIES)]), "gzip")
    return [("120 MiB of [], (gzip)", arrays, "gzip"), (f"{limit} MiB string", string, "gzip"),
            ("990,000 values", values, "gzip"), ("10,000 stub entries", stubs, "gzip")]


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(seconds: float, hostile: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/central.db"
        subprocess.run([CENTRAL, "init", "--db", db], check=True, capture_output=True)
        tokens = {f"honest-{i:02d}": enrol(db, f"honest-{i:02d}") for i in range(HONEST)}
        bad_token = enrol(db, "hostile")
        rounds = int(seconds) + 1
        bodies = {k: [protocol.encode_body(protocol.make_batch(
            k, uuid7(), make_entries(BATCH, k, first=r * BATCH)), "gzip")
            for r in range(rounds)] for k in tokens}
        worst = hostile_bodies("hostile") if hostile else []
        proc, host, port = start_server(db)
        latencies: list[float] = []
        honest_status: dict[int, int] = {}
        bad: dict[str, list[tuple[int, float]]] = {name: [] for name, _, _ in worst}
        lock = threading.Lock()
        stop = time.perf_counter() + seconds

        def post(conn: http.client.HTTPConnection, token: str, data: bytes, encoding: str
                 ) -> int:
            conn.request("POST", protocol.BATCHES_PATH, body=data, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                "Content-Encoding": encoding})
            response = conn.getresponse()
            response.read()
            return response.status

        def honest(kiosk_id: str) -> None:
            conn = http.client.HTTPConnection(host, port, timeout=120)
            for data, encoding in bodies[kiosk_id]:
                if time.perf_counter() > stop:
                    break
                started = time.perf_counter()
                status = post(conn, tokens[kiosk_id], data, encoding)
                took = time.perf_counter() - started
                with lock:
                    honest_status[status] = honest_status.get(status, 0) + 1
                    if status == 200:
                        latencies.append(took)
                time.sleep(max(0.0, 1.0 - took))

        def attacker(offset: int) -> None:
            conn = http.client.HTTPConnection(host, port, timeout=120)
            i = offset
            while time.perf_counter() < stop:
                name, data, encoding = worst[i % len(worst)]
                started = time.perf_counter()
                try:
                    status = post(conn, bad_token, data, encoding)
                except (ConnectionError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=120)
                    status = 0
                with lock:
                    bad[name].append((status, time.perf_counter() - started))
                i += 1

        threads = [threading.Thread(target=honest, args=(k,)) for k in tokens]
        threads += [threading.Thread(target=attacker, args=(n,)) for n in range(4 * hostile)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = peak_mib(proc.pid)
        proc.terminate()
        proc.wait(timeout=30)
        latencies.sort()
        return {"batches": len(latencies), "statuses": honest_status,
                "p50_ms": statistics.median(latencies) * 1000,
                "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
                "peak_mib": peak,
                "hostile": {name: {"sent": len(v),
                                   "statuses": sorted({s for s, _ in v}),
                                   "max_ms": max((t for _, t in v), default=0) * 1000}
                            for name, v in bad.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; {HONEST} kiosks × {BATCH}-entry batch ≈1/s, "
          f"{args.seconds:.0f} s per run")
    for hostile in (False, True):
        result = run(args.seconds, hostile)
        print(json.dumps({"hostile kiosk": hostile, **result}, ensure_ascii=False))


if __name__ == "__main__":
    main()
