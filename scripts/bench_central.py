"""Server-side ingest benchmark: how fast does `kiosk-central serve` take a backlog in?

Starts a real `kiosk-central serve` process (SQLite by default, or --postgres URL), enrols a
kiosk with the real CLI, pre-encodes the whole backlog (so the figure is the server's, not the
client's encoding), then POSTs the batches over 127.0.0.1 and reports entries per second.
It also times, on the same data in this process, the per-entry decode+validate step against
the alternative most FastAPI users would write (pydantic models for the batch).

    .venv/bin/python scripts/bench_central.py --entries 1000000 --batch 5000
    .venv/bin/python scripts/bench_central.py --entries 200000 --postgres postgresql://…
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from kiosk.ids import uuid7
from kiosk.sync import protocol

CENTRAL = str(Path(sys.executable).with_name("kiosk-central"))


def make_entries(count: int, kiosk_id: str, first: int = 0) -> list[dict[str, Any]]:
    """Entries shaped like a kiosk's CCCD scans (Vietnamese text, 7-field payloads)."""
    boot = "b089d6f0-52a4-45b9-93bc-2a7f4c36b476"
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    out = []
    for i in range(first, first + count):
        number = f"0010990{i % 100000:05d}"
        name = f"Nguyễn Văn An {i % 977}"
        address = f"Số {i % 400} Phố Huế, Hà Nội"
        raw = f"{number}|123456789|{name}|01021990|Nam|{address}|10102021".encode()
        out.append({
            "id": uuid7(), "checkpoint_id": "CP-BENCH", "kiosk_id": kiosk_id,
            "device_id": "serial-1", "lane": "in", "direction": "in", "status": "accepted",
            "duplicate_of": None, "source": "serial", "symbology": "]Q1",
            "scanned_at": protocol.format_time(start + dt.timedelta(milliseconds=250 * i)),
            "monotonic_ns": 10**12 + i * 250_000_000, "boot_id": boot, "kind": "cccd",
            "subject_key": f"doc:{number}", "match_key": f"m:{number[-6:]}|NGUYEN VAN AN|1990",
            "document_number": number, "name": name, "birth_date": "1990-02-01",
            "gender": "Nam", "address": address, "issue_date": "2021-10-10",
            "extra": {"layout": "7-field", "old_id": "123456789"}, "operator": "",
            "payload_b64": base64.b64encode(raw).decode(),
        })
    return out


def start_server(db: str) -> tuple[subprocess.Popen[str], str, int]:
    subprocess.run([CENTRAL, "init", "--db", db], check=True, capture_output=True)
    # one kiosk's batches as fast as the centre takes them, not its hourly bound in service
    proc = subprocess.Popen([CENTRAL, "serve", "--db", db, "--port", "0", "--log-level",
                             "warning", "--kiosk-entries-per-hour", str(10**12)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    host, port = line.split("http://", 1)[1].split()[0].rsplit(":", 1)
    return proc, host, int(port)


def post_all(host: str, port: int, token: str, bodies: list[tuple[bytes, str]],
             senders: int) -> tuple[float, dict[str, int]]:
    counts: dict[str, int] = {}
    failed: list[str] = []  # a thread's SystemExit ends only that thread, silently
    lock = threading.Lock()
    queue = list(reversed(bodies))

    def sender() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=300)
        while True:
            with lock:
                if not queue:
                    break
                data, encoding = queue.pop()
            conn.request("POST", protocol.BATCHES_PATH, body=data, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                "Content-Encoding": encoding})
            response = conn.getresponse()
            answer = json.loads(response.read())
            if response.status != 200:
                with lock:
                    failed.append(f"HTTP {response.status}: {answer}")
                    queue.clear()
                break
            with lock:
                for result in answer["results"]:
                    counts[result["status"]] = counts.get(result["status"], 0) + 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise SystemExit(failed[0])
    return time.perf_counter() - started, counts


def validation_comparison(entries: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """µs per entry to turn one decoded-to-bytes batch into storable rows, two ways."""
    from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

    text = Annotated[str, Field(min_length=1, max_length=protocol.MAX_TEXT_CHARS)]
    opt = Annotated[str | None, Field(max_length=protocol.MAX_TEXT_CHARS)]

    class Entry(BaseModel):
        model_config = ConfigDict(extra="forbid")
        id: Annotated[str, Field(pattern=protocol._UUID7_RE.pattern)]
        checkpoint_id: text
        kiosk_id: text
        device_id: text
        lane: opt
        direction: Literal["in", "out"]
        status: Literal["accepted", "duplicate"]
        duplicate_of: opt
        source: text
        symbology: str
        scanned_at: Annotated[str, Field(pattern=protocol._TIME_RE.pattern)]
        monotonic_ns: Annotated[int, Field(ge=0, le=protocol.MAX_INT)]
        boot_id: text
        kind: text
        subject_key: text
        match_key: opt
        document_number: opt
        name: opt
        birth_date: opt
        gender: opt
        address: opt
        issue_date: opt
        extra: dict[str, Any]
        operator: str
        payload_b64: str
        certificate: dict[str, Any] | None = None

    class Batch(BaseModel):
        protocol: Literal[1]
        kiosk_id: str
        batch_id: str
        sent_at: str
        entries: list[Entry]

    plain = [c for c in protocol.ROW_COLUMNS if c not in ("extra", "payload", "certificate")]
    raw = json.dumps(protocol.make_batch("k", uuid7(), entries), ensure_ascii=False).encode()
    adapter = TypeAdapter(Batch)
    best: dict[str, float] = {}
    for _ in range(3):
        t = time.perf_counter()
        body = protocol.decode_body(raw)
        protocol.validate_batch(body, max_entries=len(entries))
        [protocol.entry_row(e) for e in body["entries"]]
        best["json.loads + protocol.entry_row (this server)"] = min(
            best.get("json.loads + protocol.entry_row (this server)", 1e9),
            time.perf_counter() - t)
        t = time.perf_counter()
        batch = adapter.validate_json(raw)
        [(*(getattr(e, c) for c in plain),
          json.dumps(e.extra, ensure_ascii=False, sort_keys=True),
          base64.b64decode(e.payload_b64, validate=True),
          None if e.certificate is None else
          json.dumps(e.certificate, ensure_ascii=False, sort_keys=True))
         for e in batch.entries]
        best["pydantic v2 models + row conversion"] = min(
            best.get("pydantic v2 models + row conversion", 1e9), time.perf_counter() - t)
    return [(name, seconds / len(entries) * 1e6) for name, seconds in best.items()]


def encoding_comparison(entries: list[dict[str, Any]]) -> list[tuple[str, float, float, float]]:
    """(encoding, bytes/entry, encode µs/entry, decode µs/entry) for one batch, best of 3."""
    batch = protocol.make_batch("k", uuid7(), entries)
    out = []
    for encoding in protocol.ENCODINGS:
        encode = decode = 1e9
        for _ in range(3):
            t = time.perf_counter()
            data, used = protocol.encode_body(batch, encoding)
            encode = min(encode, time.perf_counter() - t)
            t = time.perf_counter()
            protocol.decode_body(data, used)
            decode = min(decode, time.perf_counter() - t)
        n = len(entries)
        out.append((encoding, len(data) / n, encode / n * 1e6, decode / n * 1e6))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--encoding", choices=protocol.ENCODINGS, default="zstd")
    parser.add_argument("--senders", type=int, default=1, help="concurrent connections")
    parser.add_argument("--postgres", help="PostgreSQL URL (an empty database) instead of "
                                           "SQLite")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-central-"))
    db = args.postgres or f"sqlite:///{workdir}/central.db"
    subprocess.run([CENTRAL, "init", "--db", db], check=True, capture_output=True)
    enrolled = json.loads(subprocess.run(
        [CENTRAL, "kiosks", "add", "--db", db, "--checkpoint", "CP-BENCH", "--name", "bench",
         "--kiosk-id", f"bench-{uuid7()[-8:]}", "--json"],
        check=True, capture_output=True, text=True).stdout)
    kiosk_id, token = enrolled["kiosk_id"], enrolled["token"]

    t = time.perf_counter()
    bodies = [protocol.encode_body(protocol.make_batch(
        kiosk_id, uuid7(), make_entries(min(args.batch, args.entries - i), kiosk_id, i)),
        args.encoding) for i in range(0, args.entries, args.batch)]
    prepare = time.perf_counter() - t
    wire_bytes = sum(len(b) for b, _ in bodies)

    proc, host, port = start_server(db)
    try:
        seconds, counts = post_all(host, port, token, bodies, args.senders)
        again, again_counts = post_all(host, port, token, bodies[:20], args.senders)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert counts.get("accepted") == args.entries, counts

    print(f"# kiosk-central ingest, {'PostgreSQL' if args.postgres else 'SQLite'}, "
          f"{args.encoding}, batch {args.batch}, {args.senders} sender(s)")
    print(f"entries: {args.entries:,}  wire: {wire_bytes / 1e6:.1f} MB "
          f"({wire_bytes / args.entries:.0f} B/entry)  client-side encode (not timed): "
          f"{prepare:.1f} s")
    print(f"ingest: {seconds:.1f} s = {args.entries / seconds:,.0f} entries/s "
          f"({counts})")
    resent = sum(again_counts.values())
    print(f"resend of {resent:,} already-held entries: {again:.2f} s = "
          f"{resent / again:,.0f} entries/s ({again_counts})")
    print("decode + validate, µs per entry (same process, best of 3, one batch):")
    sample = make_entries(args.batch, kiosk_id)
    for name, micros in validation_comparison(sample):
        print(f"  {name}: {micros:.1f}")
    print(f"body encodings, one {args.batch}-entry batch (json included, best of 3):")
    for encoding, size, encode, decode in encoding_comparison(sample):
        print(f"  {encoding:8}: {size:5.0f} B/entry, encode {encode:4.1f} µs/entry, "
              f"decode {decode:4.1f} µs/entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
