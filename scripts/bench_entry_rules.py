"""What the centre's entry rules cost a kiosk scan: warm, as ``timeit`` sees them, and cold,
as each scan pays them.

The pipeline checks every entry with the centre's own rules (``Pipeline._checked_row``:
``protocol.entry_row`` and the row it gives) before it writes. Each call here is timed in
thread CPU time beside an old-style row (the time as text and the extras as JSON, what the
kiosk built before it checked the rules), in turn, fresh people each call, in three places:

- ``warm``: one call after another, as a ``timeit`` loop runs them;
- ``after 4 MiB touched``: after the processor's caches were filled with other data;
- ``after a scan``: after a whole scan of another person (``Pipeline.submit``), which is
  where every scan's rules run.

The garbage collections of the scans are counted: a collection between two calls would
show here as a cost. Median microseconds a call; the rules' own cost is the difference.
``synchronous=OFF``, the store's upkeep held off, as ``bench_scan_cost.py``:

    PYTHONPATH=<tree> .venv/bin/python scripts/bench_entry_rules.py [--calls 2000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_scan_cost import cccd, hold_off_upkeep  # this folder: the script's own

from kiosk.payloads import Identity, decode
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.timestamps import utc_iso

BLOCK = 100
"""Calls of one way in a row, so that warm calls follow warm calls."""


def old_style_row(pipeline: Pipeline, scan: Scan, identity: Identity) -> dict[str, object]:
    """The row as the kiosk built it before it checked the centre's rules (``ba4326c``)."""
    policy = pipeline.policy
    return {
        "id": "", "checkpoint_id": policy.checkpoint_id, "kiosk_id": policy.kiosk_id,
        "device_id": scan.device_id, "lane": scan.lane, "direction": "in",
        "status": "accepted", "duplicate_of": None, "source": scan.source,
        "symbology": scan.symbology, "scanned_at": utc_iso(scan.wall_time),
        "monotonic_ns": scan.monotonic_ns, "boot_id": pipeline.boot_id,
        "kind": identity.kind, "subject_key": identity.subject_key,
        "match_key": identity.match_key, "document_number": identity.document_number,
        "name": identity.name, "birth_date": identity.birth_date, "gender": identity.gender,
        "address": identity.address, "issue_date": identity.issue_date,
        "extra": json.dumps(identity.extra, ensure_ascii=False, sort_keys=True),
        "operator": policy.operator, "payload": identity.raw}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls of each, each way")
    parser.add_argument("--dir", default=".", help="folder for the store (default: .)")
    args = parser.parse_args()
    hold_off_upkeep()
    people = itertools.count(10**6)

    def scan() -> Scan:
        return Scan(payload=cccd(next(people)), device_id="bench", lane="in")

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-entry-rules-") as tmp:
        store = Store(Path(tmp) / "kiosk.db")
        store.conn.execute("PRAGMA synchronous=OFF")
        store.conn.execute("PRAGMA wal_autocheckpoint=0")
        pipeline = Pipeline(store, Policy(checkpoint_id="CP-BENCH", kiosk_id="k-bench"))
        for _ in range(500):
            pipeline.submit(scan())
        junk = bytearray(4 << 20)
        zeros = bytes(len(junk) // 64)

        def touch() -> None:
            junk[::64] = zeros

        ways: dict[str, Callable[[], object]] = {
            "warm": lambda: None, "after 4 MiB touched": touch,
            "after a scan": lambda: pipeline.submit(scan())}
        made: dict[str, Callable[[Scan, Identity], object]] = {
            "entry rules": lambda s, i: pipeline._checked_row(s, i, None),
            "old-style row": lambda s, i: old_style_row(pipeline, s, i)}
        times: dict[tuple[str, str], list[int]] = {(w, m): [] for w in ways for m in made}
        collections = sum(s["collections"] for s in gc.get_stats())
        for _ in range(args.calls // BLOCK):  # the ways in turn, BLOCK calls each
            for way, before in ways.items():
                for _ in range(BLOCK):
                    for name, make in made.items():
                        before()
                        next_scan = scan()
                        identity = decode(next_scan.payload)
                        assert isinstance(identity, Identity)
                        started = time.thread_time_ns()
                        make(next_scan, identity)
                        times[way, name].append(time.thread_time_ns() - started)
        collections = sum(s["collections"] for s in gc.get_stats()) - collections
        store.close()
    print(f"{len(times['warm', 'entry rules'])} calls each, load avg {os.getloadavg()[0]:.2f}, "
          f"{collections} garbage collections during the {args.calls * 2} scans: "
          "median µs a call (thread CPU)")
    for way in ways:
        rules, old = (statistics.median(times[way, m]) / 1000 for m in made)
        print(f"  {way:20s} entry rules {rules:5.1f}  old-style row {old:5.1f}  "
              f"rules' own cost {rules - old:5.1f}")


if __name__ == "__main__":
    main()
