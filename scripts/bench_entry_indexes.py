"""What each index on ``entries`` costs a bare COPY: the floor of PostgreSQL ingest.

For each variant a fresh database is made at the current schema, one index is dropped (or
none, or all but the primary key), and ``--entries`` rows like the kiosks' (CCCD scans with
their match keys, 50 points, each person in then out) are COPYed from pre-made COPY text
over one connection. Prints rows per second and the database connection's processor time
per row (PostgreSQL on this machine), the variants interleaved ``--rounds`` times.

    .venv/bin/python scripts/bench_entry_indexes.py --server postgresql://postgres@HOST:PORT
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts"), str(ROOT / "tests")]

from bench_reports import copy_text, cpu_seconds, floor_rows, kiosk_entries  # noqa: E402

from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.central.storage import STORED_COLUMNS  # noqa: E402

INDEXES = ("entries_checkpoint_time", "entries_subject_time", "entries_day_subject",
           "entries_match_place", "entries_skewed", "entries_unmatched")
"""Every index on entries but the primary key (the idempotency and the partition key)."""


def copy_into_fresh(server: str, dropped: tuple[str, ...], entries: list[dict[str, object]]
                    ) -> tuple[float, float]:
    """(rows/s, database µs per row) of a bare COPY into a fresh database without
    ``dropped``."""
    import psycopg

    name = f"bench_indexes_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = f"{server}/{name}"
    try:
        open_storage(url).close()  # the current schema, with today's partitions
        lines = copy_text(url, floor_rows([entries]))
        with psycopg.connect(url, autocommit=True) as conn:
            for index in dropped:
                conn.execute(f"DROP INDEX {index}")
            backend = conn.info.backend_pid
            started_cpu = cpu_seconds(backend) or 0.0
            started = time.perf_counter()
            with conn.cursor() as cur, cur.copy(
                    f"COPY entries ({', '.join(STORED_COLUMNS)}) FROM STDIN") as copy:
                for n in range(0, len(lines), 2000):
                    copy.write(b"".join(lines[n:n + 2000]))
            seconds = time.perf_counter() - started
            database = (cpu_seconds(backend) or 0.0) - started_cpu
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name}")
    return len(lines) / seconds, database / len(lines) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True,
                        help="postgresql://user@host:port (databases are made and dropped)")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    entries = [e for i in range(50)
               for e in kiosk_entries(f"KI-{i:03d}", f"CP-{i:05d}", args.entries // 50)]
    variants = {"all indexes": (), **{f"without {i}": (i,) for i in INDEXES},
                "primary key only": INDEXES}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, dropped in variants.items():
            rate, database = copy_into_fresh(args.server.rstrip("/"), dropped, entries)
            results[name].append({"rows_per_s": round(rate),
                                  "database_us_per_row": round(database, 1),
                                  "load": round(os.getloadavg()[0], 1)})
            print(name, results[name][-1], file=sys.stderr, flush=True)
    json.dump(results, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
