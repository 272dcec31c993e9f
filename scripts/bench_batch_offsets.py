"""The largest clock offset of any batch (schema.LARGEST_CLOCK_OFFSET, read by every trace
and every late batch's stays rebuild) over a batch log of a province's month, with and
without schema v17's index ``batches_offset``.

The log is filled with ``--batches`` rows like the centre's (5,000 kiosks, offsets mostly
within a few seconds, one in 20 without one, one in 2,000 hours off either way) in a fresh
SQLite file and, with ``--server``, a fresh PostgreSQL database (dropped at the end). Each
round drops the index, times ``--reads`` reads, builds it again (timed: what the upgrade to
v17 costs) and times ``--reads`` reads: without and with, interleaved. Prints the median
milliseconds a read and the build's seconds, per engine.

    .venv/bin/python scripts/bench_batch_offsets.py --server postgresql://postgres@HOST:PORT
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.central.schema import LARGEST_CLOCK_OFFSET, MIGRATIONS  # noqa: E402
from kiosk.central.storage import BATCH_COLUMNS, Storage  # noqa: E402

CREATE_INDEX = MIGRATIONS[16][0]
"""v17's statement, as the migration runs it."""


def log_rows(count: int, seed: int = 17) -> Iterator[tuple[object, ...]]:
    """A batch log's rows: ids, kiosks, times and offsets shaped like a province's."""
    rng = random.Random(seed)
    for n in range(count):
        draw = rng.random()
        if draw < 0.05:
            offset = None
        elif draw < 0.0505:
            offset = rng.choice((-1, 1)) * rng.uniform(600, 4 * 3600)
        else:
            offset = rng.gauss(0, 2)
        day, second = divmod(n * 86_400 * 30 // max(count, 1), 86_400)
        at = f"2026-10-{day + 1:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:00Z"
        yield (uuid.UUID(int=rng.getrandbits(128)).hex, f"k-{n % 5000:04d}", at, at, offset,
               20, 20, 0, 0, offset, offset, 0, None, None)  # (v24, v25) timed by age: same


def fill(storage: Storage, count: int) -> None:
    if storage.url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(storage.url) as conn, conn.cursor() as cur:
            with cur.copy(f"COPY batches ({', '.join(BATCH_COLUMNS)}) FROM STDIN") as copy:
                for row in log_rows(count):
                    copy.write_row(row)
            conn.execute("ANALYZE batches")  # as autovacuum would after such a load
        return
    with storage._transaction() as tx:
        storage._insert_rows(tx, "batches", BATCH_COLUMNS, list(log_rows(count)))


def read_ms(storage: Storage, reads: int) -> tuple[float, object]:
    """Median milliseconds of ``reads`` reads of the largest offset, and its answer."""
    times, answer = [], None
    for _ in range(reads):
        started = time.perf_counter()
        answer = storage._query(LARGEST_CLOCK_OFFSET)[0][0]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def statement_seconds(storage: Storage, sql: str) -> float:
    started = time.perf_counter()
    with storage._transaction() as tx:
        storage._execute(tx, sql)
    return time.perf_counter() - started


def measure(storage: Storage, batches: int, rounds: int, reads: int) -> dict[str, object]:
    started = time.perf_counter()
    fill(storage, batches)
    result: dict[str, object] = {"fill_s": round(time.perf_counter() - started, 1),
                                 "without_ms": [], "with_ms": [], "build_s": []}
    for _ in range(rounds):
        statement_seconds(storage, "DROP INDEX batches_offset")
        without, full = read_ms(storage, reads)
        result["build_s"].append(round(statement_seconds(storage, CREATE_INDEX), 2))
        indexed, answer = read_ms(storage, reads)
        if answer != full:
            raise SystemExit(f"the index answers {answer}, the full read {full}")
        result["without_ms"].append(round(without, 3))
        result["with_ms"].append(round(indexed, 3))
    result["largest_offset_s"] = answer
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", help="a PostgreSQL server's URL without the database "
                                         "(a fresh database is made there and dropped)")
    parser.add_argument("--batches", type=int, default=1_500_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reads", type=int, default=20)
    args = parser.parse_args()
    figures: dict[str, object] = {"batches": args.batches}
    with (tempfile.TemporaryDirectory(prefix="bench-offsets-") as folder,
          open_storage(f"sqlite:///{folder}/central.db") as storage):
        figures["sqlite"] = measure(storage, args.batches, args.rounds, args.reads)
    if args.server:
        import psycopg

        name = f"bench_offsets_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        try:
            with open_storage(f"{args.server}/{name}") as storage:
                figures["postgresql"] = measure(storage, args.batches, args.rounds, args.reads)
        finally:
            with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE {name}")
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
