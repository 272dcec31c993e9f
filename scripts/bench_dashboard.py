#!/usr/bin/env python3
"""Dashboard benchmark: how long the Today page takes on a province's database.

The province is the contact-tracing benchmark's (scripts/bench_trace.py: ``--checkpoints``
points with Zipf popularity, rush hours, commuters, ``--entries`` scans over ``--days``
days up to now), bulk loaded the same way. On top of it: the registry (every point in one of
ten districts, of a kind, set up before the period), one kiosk per point heard from at
various times, the per-checkpoint day/hour aggregates that ingest keeps (computed here with
one GROUP BY), and an admin user.

Then a real ``kiosk-central serve`` answers, over HTTP on 127.0.0.1 with the admin's session:
``GET /today`` (the page) and ``GET /api/v1/reports/daily`` (the same report as JSON),
``--requests`` times each after one warm-up; the figure is the time to the last byte, which
bounds the server's time from above. In the same run, the alternative a user would otherwise
pick: the Today numbers computed straight from the raw entries (scans today, points scanning
today, points active in 7 days), as an ad-hoc SQL dashboard would.

    .venv/bin/python scripts/bench_dashboard.py --engine sqlite --entries 1000000
    .venv/bin/python scripts/bench_dashboard.py --engine postgresql --entries 10000000
    .venv/bin/python scripts/bench_dashboard.py --engine sqlite --entries 1000000 --reports
    .venv/bin/python scripts/bench_dashboard.py --engine sqlite --checkpoints 2000 \
        --entries 200000 --days 8 --kept

``--kept``: yesterday's report is made as the 06:00 run makes it (kept in
``daily_reports.report``, schema v46), then its stored size, and the Reports page and
``GET /api/v1/reports/daily`` of that day (read from what is kept) are timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "scripts")]

from bench_trace import load, percentile  # noqa: E402
from benchsupport import PASSWORD, central_database, province, signed_in  # noqa: E402
from central_support import CentralServer  # noqa: E402

from kiosk.central import aggregates, audit, people, reports  # noqa: E402
from kiosk.central.backends import open_storage  # noqa: E402
from kiosk.central.storage import Storage  # noqa: E402
from kiosk.central.web import users  # noqa: E402
from kiosk.sync import protocol  # noqa: E402

BENCH = audit.Actor(audit.command_actor(), "cli")
"""Who adds the benchmark's users, as the audit log records it."""

DISTRICTS = ("Đồng Xoài", "Bình Long", "Phước Long", "Chơn Thành", "Đồng Phú", "Bù Đăng",
             "Bù Đốp", "Bù Gia Mập", "Hớn Quản", "Lộc Ninh")
KINDS = ("control_post", "office", "factory", "market", "school", "hospital", "station",
         "other")
HOUR_SQL = {"sqlite": "CAST(strftime('%H', scanned_at, '+7 hours') AS INTEGER)",
            "postgresql": "CAST(extract(hour FROM CAST(left(scanned_at, 19) AS timestamp) "
                          "+ interval '7 hours') AS INTEGER)"}
DAY_COUNTS = (
    "INSERT INTO checkpoint_days (day, checkpoint_id, scans, ins, outs, duplicates, manual) "
    "SELECT local_day, checkpoint_id, count(*), "
    f"sum(CASE WHEN status <> '{aggregates.DUPLICATE}' AND direction = 'in' THEN 1 ELSE 0 END), "
    f"sum(CASE WHEN status <> '{aggregates.DUPLICATE}' AND direction <> 'in' THEN 1 ELSE 0 END), "
    f"sum(CASE WHEN status = '{aggregates.DUPLICATE}' THEN 1 ELSE 0 END), "
    f"sum(CASE WHEN source = '{aggregates.MANUAL_SOURCE}' THEN 1 ELSE 0 END) "
    "FROM entries GROUP BY local_day, checkpoint_id")
"""Each (day, point)'s counts from the raw entries, as ingest counts them
(:meth:`kiosk.central.aggregates.Tally.add`): a repeat scan is a scan and a repeat, never an
entry or exit (the filler once counted it an entry: one day's report said 119,996 entries
where 118,260 were accepted)."""
RAW_TODAY = (  # the Today numbers straight from raw entries
    "SELECT count(*), count(DISTINCT checkpoint_id) FROM entries WHERE local_day = $1",
    "SELECT count(DISTINCT checkpoint_id) FROM entries WHERE local_day >= $1",
)


def fill_centre(storage: Storage, checkpoints: int, engine: str, now: dt.datetime) -> None:
    """Registry, kiosks, aggregates and day sets (from the raw entries) and an admin user."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    set_up = (now - dt.timedelta(days=90)).date().isoformat()
    with storage._transaction() as tx:
        if engine == "postgresql":  # 10 M entries counted: longer than a request may take
            storage._execute(tx, "SET LOCAL statement_timeout = 0")
        for i in range(checkpoints):
            add_checkpoint(storage, tx, i, stamp, set_up)
        for i in range(checkpoints):
            seen = now - dt.timedelta(minutes=(i * 37) % (3 * 24 * 60))
            storage._execute(
                tx, "INSERT INTO kiosks (id, checkpoint_id, name, token_hash, "
                    "created_at, last_seen_at, last_clock_offset, entries) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
                (f"K{i:05d}", f"CP{i:05d}", f"Máy {i}", f"hash-{i}", stamp,
                 seen.strftime("%Y-%m-%dT%H:%M:%S.000000Z"), 300.0 if i % 97 == 0 else 0.4))
        storage._execute(tx, DAY_COUNTS)
        storage._execute(
            tx, f"INSERT INTO checkpoint_hours (day, checkpoint_id, hour, scans) "
                f"SELECT local_day, checkpoint_id, {HOUR_SQL[engine]} AS h, count(*) "
                f"FROM entries GROUP BY local_day, checkpoint_id, h")
        people.recount(storage, tx)
    users.add(storage, "bench.admin", "admin", PASSWORD, by=BENCH)


def add_checkpoint(storage: Storage, tx: Any, i: int, stamp: str, set_up: str) -> None:
    """Checkpoint ``CP{i:05d}`` of the registry: in the i-th district and of the i-th kind
    (in turn), created at ``stamp``, set up on ``set_up``."""
    storage._execute(
        tx, "INSERT INTO checkpoints (id, name, created_at, province, district, kind, "
            "set_up_on) VALUES ($1, $2, $3, 'Bình Phước', $4, $5, $6)",
        (f"CP{i:05d}", f"Điểm {i}", stamp, DISTRICTS[i % len(DISTRICTS)],
         KINDS[i % len(KINDS)], set_up))


def timed(client: httpx.Client, path: str, count: int) -> list[float]:
    client.get(path).raise_for_status()  # warm-up
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return times


def report_pages(url: str, day: dt.date, count: int, viewers: int) -> dict[str, Any]:
    """The Reports page, daily (``day``) and monthly (``day``'s month): time to the last
    byte and size, ``count`` times each after one warm-up; then ``viewers`` signed-in
    viewers loading the daily page at once while a kiosk's health check
    (``/api/v1/health``) is asked every 50 ms: the slowest health answer, and each
    viewer's time."""
    figures: dict[str, Any] = {}
    with signed_in(url, "bench.admin") as client:
        for name, path in (("daily", f"/reports?date={day}"),
                           ("monthly", f"/reports?monthly=true&month={day:%Y-%m}")):
            size = len(client.get(path).content)
            figures[f"{name}_reports_page"] = {**summary(timed(client, path, count)),
                                               "bytes": size}
    seen: list[float] = []

    def viewer() -> None:
        with signed_in(url, "bench.admin") as client:
            started = time.perf_counter()
            client.get(f"/reports?date={day}").raise_for_status()
            seen.append(time.perf_counter() - started)

    threads = [threading.Thread(target=viewer) for _ in range(viewers)]
    for thread in threads:
        thread.start()
    worst = 0.0
    with httpx.Client(base_url=url, timeout=120) as probe:
        while any(thread.is_alive() for thread in threads):
            started = time.perf_counter()
            probe.get(protocol.HEALTH_PATH).raise_for_status()
            worst = max(worst, time.perf_counter() - started)
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    figures[f"{viewers}_viewers_daily"] = {
        "viewer_seconds": sorted(round(s, 1) for s in seen),
        "health_worst_ms": round(worst * 1000)}
    return figures


def keep_yesterday(storage: Storage, today: dt.date) -> dict[str, Any]:
    """Yesterday's report made and kept as the 06:00 run does; the kept report's size in
    the database (PostgreSQL: as stored, TOAST's compression included) beside its JSON's,
    reading it back in this process (:func:`reports.made_report`), median of 20, and the
    processor time of decoding it from v46's text and from v47's compressed form, side by
    side, with the load average."""
    yesterday = today - dt.timedelta(days=1)
    made = reports.made_daily(storage, yesterday)
    size = ("SELECT pg_column_size(report) FROM daily_reports WHERE day = $1"
            if storage.postgresql else
            "SELECT length(CAST(report AS BLOB)) FROM daily_reports WHERE day = $1")
    (stored,), = storage._query(size, (yesterday.isoformat(),))
    reads = []
    for _ in range(20):
        started = time.perf_counter()
        reports.made_report(storage, yesterday)
        reads.append((time.perf_counter() - started) * 1000)
    text = json.dumps(made, ensure_ascii=False)
    packed = aggregates.pack_report(made)
    decoded: dict[str, list[float]] = {"text": [], "packed": []}
    for _ in range(50):  # interleaved, processor time: a loaded machine blurs both less
        for form, decode in (("text", lambda: json.loads(text)),
                             ("packed", lambda: aggregates.unpack_report(packed))):
            started = time.process_time()
            decode()
            decoded[form].append((time.process_time() - started) * 1000)
    return {"kept_report": {"points_with_scans": len(made["by_point"]),
                            "json_bytes": len(text.encode()), "stored_bytes": stored,
                            "packed_bytes": len(packed)},
            "kept_read_in_process": summary(reads),
            "decode_as_v46_text": summary(decoded["text"]),
            "decode_packed": summary(decoded["packed"]), "load": os.getloadavg()[0]}


def raw_today(storage: Storage, today: dt.date, count: int) -> list[float]:
    week = (today - dt.timedelta(days=6)).isoformat()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        storage._query(RAW_TODAY[0], (today.isoformat(),))
        storage._query(RAW_TODAY[1], (week,))
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--checkpoints", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reports", action="store_true",
                        help="also the Reports page (yesterday's and this month's): time, "
                             "size, and a health check's worst wait while 4 viewers load it")
    parser.add_argument("--kept", action="store_true",
                        help="yesterday's report made and kept first: its stored size, and "
                             "its Reports page and JSON read from what is kept")
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    scans = province(entries=args.entries, checkpoints=args.checkpoints, days=args.days,
                     end=now, seed=args.seed)
    with central_database(args.engine) as url:
        with open_storage(url) as storage:
            total, load_seconds = load(storage, scans, args.engine)
            started = time.perf_counter()
            fill_centre(storage, args.checkpoints, args.engine, now)
            fill_seconds = time.perf_counter() - started
            today = storage.today()
            raw = raw_today(storage, today, args.requests)
            kept = keep_yesterday(storage, today) if args.kept else {}
        server = CentralServer(url)
        try:
            with signed_in(server.url, "bench.admin") as client:
                page = timed(client, "/today", args.requests)
                api = timed(client, f"/api/v1/reports/daily?date={today}",
                            max(3, args.requests // 4))
                checkpoints = timed(client, "/checkpoints", max(5, args.requests // 4))
            pages = (report_pages(server.url, today - dt.timedelta(days=1),
                                  max(3, args.requests // 4), 4) if args.reports else {})
            if args.kept:
                yesterday = today - dt.timedelta(days=1)
                with signed_in(server.url, "bench.admin") as client:
                    kept["kept_daily_api"] = summary(timed(
                        client, f"/api/v1/reports/daily?date={yesterday}", args.requests))
                    kept["kept_reports_page"] = summary(timed(
                        client, f"/reports?date={yesterday}", args.requests))
        finally:
            server.stop()
    print(json.dumps({"engine": args.engine, "entries": total, "checkpoints": args.checkpoints,
                      "kiosks": args.checkpoints, "load_seconds": round(load_seconds),
                      "aggregates_seconds": round(fill_seconds),
                      "today_page": summary(page), "daily_report_api": summary(api),
                      "checkpoints_page": summary(checkpoints),
                      "raw_sql_today_numbers": summary(raw), **pages, **kept}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
