"""Every screen and command on a store of a million entries, beside a 10,000-entry store.

The stores are built by a documented generator through the project's own code: each scan is
a real CCCD payload handed to ``Pipeline.submit`` (decoding, duplicate policy, direction,
``Store`` insert) with the scan's own wall time. Only two things differ from a live kiosk,
both to build a million entries in minutes: the store's connection runs with
``synchronous=OFF`` while building (durability is not what is measured), and entry ids are
UUIDv7 made from the scan's time rather than the build's (as a live kiosk makes them).

The generator (``--seed`` fixed, so every run builds the same store):

- 30,000 people with Vietnamese names drawn by surname frequency (Nguyễn ≈ 38 %, Trần,
  Lê, …), 12-digit CCCD numbers with province codes, birth dates, addresses; how often a
  person comes follows a heavy-tailed (Zipf) law: staff daily, most visitors rarely.
- Each visit is an "in" at the entrance lane and an "out" at the exit lane after a dwell
  time (median 1 h 40; 4 % stay overnight, so days cross midnight); arrivals follow a
  hospital gate's day in Asia/Ho_Chi_Minh (rush at 6–8, 11–13 and 16–18, quiet at night).
- 2 % of arrivals scan twice within two minutes (recorded as duplicates, policy "warn"),
  1 % of reads are unreadable (logged as refused scans).
- Everything older than two hours is acknowledged by the centre; the rest is pending.

Built stores are cached under /tmp (``--cache``) by their parameters, so re-runs measure
without rebuilding; the purge is measured on a copy.

    .venv/bin/python scripts/bench_store_scale.py                 # 1,000,000 and 10,000
    .venv/bin/python scripts/bench_store_scale.py --entries 200000 --quick
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import heapq
import itertools
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import kiosk.pipeline as pipeline_module
import kiosk.store as store_module
from kiosk.exports import EXPORT_COLUMNS
from kiosk.ids import uuid7
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.timestamps import day_bounds
from kiosk.ui.officer import read_screen

GENERATOR_VERSION = 1
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
CHECKPOINT = "CP-GATE-1"
ROOT = Path(__file__).resolve().parent.parent

SURNAMES = [("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 5.1),
            ("Huỳnh", 4), ("Phan", 4.5), ("Vũ", 3.9), ("Võ", 3), ("Đặng", 2.1),
            ("Bùi", 2), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1), ("Lý", 0.5)]
MIDDLE = {"Nam": ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Công", "Xuân", "Anh"],
          "Nữ": ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Phương", "Bích", "Mai"]}
GIVEN = {"Nam": ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc",
                 "Quân", "Sơn", "Tâm", "Thắng", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Hiếu"],
         "Nữ": ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh",
                "Loan", "Mai", "Nga", "Ngọc", "Nhung", "Oanh", "Phương", "Thảo", "Trang", "Yến"]}
STREETS = ["Phố Huế", "Nguyễn Huệ", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt",
           "Điện Biên Phủ", "Cách Mạng Tháng Tám", "Võ Văn Tần", "Pasteur"]
CITIES = [("001", "Hà Nội"), ("079", "TP Hồ Chí Minh"), ("048", "Đà Nẵng"), ("031", "Hải Phòng"),
          ("092", "Cần Thơ"), ("075", "Đồng Nai"), ("074", "Bình Dương"), ("038", "Thanh Hóa")]
ARRIVALS_BY_HOUR = [1, 0.5, 0.3, 0.3, 0.6, 2, 7, 10, 8, 6, 6, 7, 7, 6, 6, 6, 7, 8, 6, 4, 3, 2,
                    1.5, 1.2]


# -- the generator --------------------------------------------------------------------------
def make_people(count: int, rng: random.Random) -> list[bytes]:
    """CCCD payloads (the 7-field form printed on the card's QR code)."""
    surnames, weights = zip(*SURNAMES, strict=True)
    people, seen = [], set()
    while len(people) < count:
        gender = rng.choice(("Nam", "Nữ"))
        name = (f"{rng.choices(surnames, weights)[0]} {rng.choice(MIDDLE[gender])} "
                f"{rng.choice(GIVEN[gender])}")
        province, city = rng.choice(CITIES)
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 65))
        century = (0 if birth.year < 2000 else 2) + (gender == "Nữ")
        number = f"{province}{century}{birth.year % 100:02d}{rng.randrange(10**6):06d}"
        if number in seen:
            continue
        seen.add(number)
        issued = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365))
        old_id = f"{rng.randrange(10**9):09d}" if rng.random() < 0.6 else ""
        address = f"Số {rng.randrange(1, 300)} {rng.choice(STREETS)}, {city}"
        people.append(f"{number}|{old_id}|{name}|{birth:%d%m%Y}|{gender}|{address}|"
                      f"{issued:%d%m%Y}".encode())
    return people


def scan_events(entries: int, days: int, people: int, end: float,
                rng: random.Random) -> Iterator[tuple[float, int, str]]:
    """(wall time, person, lane) in time order: about ``entries`` scans in the ``days`` × 24
    hours before ``end``."""
    visits_per_day = entries / days / 2.03
    weights = [1 / (rank + 20) ** 0.9 for rank in range(people)]
    cumulative = list(itertools.accumulate(weights))
    start = end - days * 86400
    start_day = dt.datetime.fromtimestamp(start, TIMEZONE).date()
    hours = list(range(24))
    pending: list[tuple[float, int, str]] = []
    for day_number in range(days + 1):  # the window's first and last days are partial
        midnight = dt.datetime.combine(start_day + dt.timedelta(days=day_number), dt.time(),
                                       TIMEZONE).timestamp()
        for _ in range(int(rng.gauss(visits_per_day, visits_per_day ** 0.5))):
            person = bisect.bisect(cumulative, rng.random() * cumulative[-1])
            hour = rng.choices(hours, ARRIVALS_BY_HOUR)[0]
            arrive = midnight + hour * 3600 + rng.random() * 3600
            dwell = (rng.uniform(10, 20) * 3600 if rng.random() < 0.04
                     else min(12 * 3600, rng.lognormvariate(8.7, 0.8)))
            heapq.heappush(pending, (arrive, person, "in"))
            if rng.random() < 0.02:
                heapq.heappush(pending, (arrive + rng.uniform(5, 120), person, "in"))
            heapq.heappush(pending, (arrive + dwell, person, "out"))
        day_end = midnight + 86400
        while pending and pending[0][0] < day_end:
            event = heapq.heappop(pending)
            if start <= event[0] <= end:
                yield event


def build_store(path: Path, entries: int, days: int, people: int, seed: int,
                end: float) -> None:
    rng = random.Random(seed)
    payloads = make_people(people, rng)
    store = Store(path, timezone=TIMEZONE)
    store.conn.execute("PRAGMA synchronous=OFF")
    pipeline = Pipeline(store, Policy(checkpoint_id=CHECKPOINT, kiosk_id="kiosk-gate-1"))
    scan_ms = [0]
    pipeline_module.uuid7 = lambda: uuid7(scan_ms[0])  # ids carry the scan's time
    started, count = time.perf_counter(), 0
    for wall, person, lane in scan_events(entries, days, people, end, rng):
        scan_ms[0] = int(wall * 1000)
        payload = payloads[person] if rng.random() > 0.01 else b"\x00garbled"[:rng.randrange(9)]
        pipeline.submit(Scan(payload=payload, device_id=f"gate-{lane}", lane=lane,
                             symbology="QRCode", source="serial", wall_time=wall,
                             monotonic_ns=int(wall * 1e9)))
        count += 1
        if count % 100_000 == 0:
            print(f"  … {count:,} scans, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    pipeline_module.uuid7 = uuid7
    acked = dt.datetime.fromtimestamp(end - 7200, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with store.transaction() as conn:  # what mark_synced writes, for the whole history at once
        conn.execute("UPDATE entries SET sync_state = 'acknowledged', synced_at = scanned_at "
                     "WHERE scanned_at < ?", (acked,))
    with store.lock:  # not beside the upkeep thread's move of names into the index
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    print(f"  built {count:,} scans in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def cached_store(cache: Path, entries: int, days: int, people: int, seed: int) -> Path:
    path = cache / f"kiosk-scale-g{GENERATOR_VERSION}-{entries}-{days}d-{people}p-s{seed}.db"
    if not path.exists():
        print(f"building {path} …", file=sys.stderr)
        partial = path.with_suffix(".building")
        for leftover in cache.glob(partial.name + "*"):
            leftover.unlink()
        build_store(partial, entries, days, people, seed, end=time.time())
        partial.rename(path)
    return path


# -- measuring ------------------------------------------------------------------------------
def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(call: Callable[[], Any], repeat: int, budget: float = 20.0) -> list[float]:
    """Milliseconds per call; stops early when ``budget`` seconds are spent."""
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        if time.perf_counter() > deadline:
            break
    return samples


def summary(samples: list[float]) -> str:
    return (f"p50 {percentile(samples, .5):.1f} ms, p99 {percentile(samples, .99):.1f} ms "
            f"(n={len(samples)})")


def store_facts(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    first, last, count = conn.execute(
        "SELECT min(scanned_at), max(scanned_at), count(*) FROM entries").fetchone()
    people = conn.execute("SELECT count(DISTINCT subject_key) FROM entries").fetchone()[0]
    conn.close()
    return {"first": first, "last": last, "entries": count, "people": people,
            "size_mb": path.stat().st_size / 2**20}


def write_config(folder: Path, store_path: Path) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f'[kiosk]\nid = "kiosk-gate-1"\ncheckpoint_id = "{CHECKPOINT}"\n'
        f'timezone = "Asia/Ho_Chi_Minh"\n\n[store]\npath = "{store_path}"\n', encoding="utf-8")
    return config


def run_measured(argv: list[str]) -> tuple[float, float, str, float]:
    """(wall seconds, peak memory MiB, stderr, CPU seconds) of one child process and every
    process it starts: the memory is the peak of the tree's summed proportional set size
    (PSS: a page shared by n processes counts 1/n), sampled every 20 ms; the largest single
    process's RSS would hide an export's worker processes."""
    started = time.perf_counter()
    path = os.environ.get("PYTHONPATH", str(ROOT))
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": path})
    assert child.stderr is not None
    peak = [0]
    sampler = threading.Thread(target=_sample_tree_memory, args=(child, peak), daemon=True)
    sampler.start()
    err = child.stderr.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    sampler.join()
    assert child.returncode == 0, err
    return seconds, peak[0] / 1024, err, usage.ru_utime + usage.ru_stime


def _sample_tree_memory(child: subprocess.Popen[bytes], peak: list[int]) -> None:
    """Keeps ``peak[0]`` at the largest sum of PSS (KiB) over ``child`` and its descendants
    until it exits."""
    while child.returncode is None and os.path.exists(f"/proc/{child.pid}"):
        total = 0
        for pid in _process_tree(child.pid):
            try:
                with open(f"/proc/{pid}/smaps_rollup") as rollup:
                    total += sum(int(line.split()[1]) for line in rollup
                                 if line.startswith("Pss:"))
            except OSError:
                pass  # gone meanwhile
        peak[0] = max(peak[0], total)
        time.sleep(0.02)


def _process_tree(pid: int) -> list[int]:
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for other in children.read().split():
                    found += _process_tree(int(other))
    except OSError:
        pass
    return found


class Figures(dict):
    """Results printed as they are measured (a long run still leaves its figures)."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key, value)
        print(f"[{self.label}] {key}: {value}", file=sys.stderr, flush=True)


PARTS = ("screens", "subject", "export", "purge")


def timed_migration(path: Path) -> tuple[Store, str | None]:
    """Open the store; when that migrates it, how long the copy before migrating and the
    migration itself took."""
    conn = sqlite3.connect(path)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    copying: list[float] = []
    backup = store_module.backup_before_migrating

    def timed_backup(*args: Any) -> Path:
        started = time.perf_counter()
        try:
            return backup(*args)
        finally:
            copying.append(time.perf_counter() - started)

    store_module.backup_before_migrating = timed_backup
    started = time.perf_counter()
    try:
        store = Store(path, timezone=TIMEZONE)
    finally:
        store_module.backup_before_migrating = backup
    took = time.perf_counter() - started
    if version >= store.schema_version:
        return store, None
    return store, (f"v{version} → v{store.schema_version} in {took:.1f} s (copy to "
                   f"{path.name}.v{version}.bak {sum(copying):.1f} s, migration "
                   f"{took - sum(copying):.1f} s)")


def measure(path: Path, label: str, quick: bool, forms: tuple[str, ...],
            parts: tuple[str, ...] = PARTS, purge_window: float = 180.0) -> dict[str, str]:
    facts = store_facts(path)
    end = dt.datetime.fromisoformat(facts["last"]).timestamp()
    day = dt.datetime.fromtimestamp(end, TIMEZONE).date()
    repeat = 10 if quick else 200
    results = Figures(label)
    results["store"] = (f"{facts['entries']:,} entries, {facts['people']:,} people, "
                        f"{facts['first'][:10]} → {facts['last'][:10]}, "
                        f"{facts['size_mb']:.0f} MiB")
    store, migration = timed_migration(path)
    if migration:
        results["open + migrate (once)"] = migration
    if "screens" in parts:
        full_day = day - dt.timedelta(days=1)  # the store ends early in its last day
        # The officer's `kiosk stats` is today's: the last full day asked a second before it
        # ends gives today's cost at a full day's volume ("inside" from presence); asked
        # afterwards (`--date`), "inside at the day's end" reads that day's last 24 hours.
        full_day_ends = dt.datetime.combine(full_day + dt.timedelta(days=1), dt.time(),
                                            TIMEZONE).timestamp()
        results["stats (kiosk stats, today: the last full day before it ends)"] = summary(
            timed(lambda: store.stats(CHECKPOINT, full_day, now=full_day_ends - 1), repeat))
        results["stats (kiosk stats --date, last full day)"] = summary(timed(
            lambda: store.stats(CHECKPOINT, full_day, now=end), repeat))
        results["officer refresh (counts + 20 recent)"] = summary(timed(
            lambda: read_screen(store, CHECKPOINT, None, now=end), repeat))
        for term in ("zzqx", "nguyen", "Nguyễn Thị", "bich yen", "an"):
            results[f"officer search {term!r} (7 days)"] = summary(timed(
                lambda t=term: read_screen(store, CHECKPOINT, t, now=end), repeat))
    if "subject" in parts:
        for key, value in subject_listing(store, day, repeat).items():
            results[key] = value
    store.close()

    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir="/tmp") as tmp:
        config = write_config(Path(tmp), path)
        since = (day - dt.timedelta(days=29)).isoformat()
        for form in forms if "export" in parts else ():
            seconds, rss, err, cpu = run_measured(
                [sys.executable, "-m", "kiosk.cli", "export", "--config", str(config),
                 "--from", since, "--to", day.isoformat(), "--format", form,
                 "-o", str(Path(tmp) / f"out.{form}")])
            rows = int(re.findall(r"\d[\d,]*", err.strip().splitlines()[-1])[0].replace(",", ""))
            results[f"export 30 days ({form.upper()})"] = rate(rows, seconds, rss, cpu)
            if form == "csv":
                for key, value in export_alternatives(path, Path(tmp), since, day,
                                                      rows).items():
                    results[key] = value  # printed as measured
        if "purge" in parts:
            results["purge during scans"] = purge_during_scans(path, Path(tmp), end, quick,
                                                               purge_window)
    return results


def rate(rows: int, seconds: float, rss: float, cpu: float) -> str:
    return (f"{rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
            f"({rows / cpu:,.0f} rows per CPU second, every process), peak memory {rss:.0f} MiB "
            f"(PSS, every process)")


ONE_PROCESS = """
import sys
from zoneinfo import ZoneInfo
from kiosk import exports
from kiosk.store import Store
store = Store(sys.argv[1], timezone=ZoneInfo(sys.argv[2]), read_only=True)
with open(sys.argv[5], "wb") as out:
    count = exports.write_csv(store, sys.argv[3], sys.argv[4], out, workers=1)
print(f"exported {count}", file=sys.stderr)
"""


def export_alternatives(path: Path, tmp: Path, since: str, day: dt.date,
                        rows: int) -> dict[str, str]:
    """Beside ``kiosk export``, the same CSV formatted in one process (what the export was
    before it used every processor), and the same rows and columns written by the
    ``sqlite3`` program (what a technician would type: no local time, no formula defusing,
    no BOM)."""
    low = day_bounds(dt.date.fromisoformat(since), TIMEZONE)[0]
    high = day_bounds(day, TIMEZONE)[1]
    results = {}
    if hasattr(Store, "time_after"):  # a tree that formats in processes
        seconds, rss, _, cpu = run_measured(
            [sys.executable, "-c", ONE_PROCESS, str(path), TIMEZONE.key, low, high,
             str(tmp / "one.csv")])
        results["export 30 days (CSV, one process)"] = rate(rows, seconds, rss, cpu)
    columns = ", ".join(c for c in EXPORT_COLUMNS if c != "local_time")
    seconds, rss, _, cpu = run_measured(
        ["sqlite3", "-csv", "-header", "-cmd", f".output {tmp / 'sqlite3.csv'}",
         f"file:{path}?mode=ro",
         f"SELECT {columns} FROM entries WHERE scanned_at >= '{low}' AND scanned_at < "
         f"'{high}' ORDER BY scanned_at, id"])
    results["export 30 days (sqlite3 -csv, same rows)"] = rate(rows, seconds, rss, cpu)
    return results


def subject_listing(store: Store, day: dt.date, repeat: int) -> dict[str, str]:
    """``kiosk entries --subject`` over the whole store, reading what that command reads in
    the tree measured: people drawn from the last day's visitors (as an officer would look
    up someone just seen: frequent visitors weigh more), then the busiest person alone."""
    columns = getattr(store_module, "LISTING_COLUMNS", None)  # before: every column
    with store.lock:
        subjects = [r[0] for r in store.conn.execute(
            "SELECT subject_key FROM entries WHERE scanned_at >= ? ORDER BY scanned_at "
            "LIMIT 200", (store.day_bounds(day)[0],))]
        busiest, most = store.conn.execute(
            "SELECT subject_key, count(*) FROM entries GROUP BY subject_key "
            "ORDER BY 2 DESC LIMIT 1").fetchone()
    rng = random.Random(7)
    sizes: list[int] = []

    def listing(subject: str) -> None:
        sizes.append(len(store.entries(subject=subject, columns=columns)))

    drawn = summary(timed(lambda: listing(rng.choice(subjects)), repeat))
    results = {"--subject (all days)": f"{drawn}, median {statistics.median(sizes):.0f} rows, "
                                       f"at most {max(sizes):,}"}
    results["--subject, the busiest person"] = (
        f"{summary(timed(lambda: listing(busiest), max(10, repeat // 10)))}, {most:,} rows")
    return results


def purge_during_scans(path: Path, tmp: Path, end: float, quick: bool,
                       window: float = 180.0) -> str:
    """Scan latency (durable, synchronous=FULL) while the 21-day retention purge runs on the
    pipeline's own Store (as in ``Kiosk``), and for the same arrivals after it: a rush of
    one scan every 0.3 s on average (exponential gaps)."""
    copy = tmp / "purge.db"
    shutil.copy(path, copy)
    store = Store(copy, timezone=TIMEZONE)
    pipeline = Pipeline(store, Policy(checkpoint_id=CHECKPOINT, kiosk_id="kiosk-gate-1"))
    payloads = make_people(500, random.Random(99))
    arrivals = random.Random(5)
    removed: list[int] = []
    stop = threading.Event()
    started = time.perf_counter()
    thread = threading.Thread(target=lambda: removed.append(store.purge(  # build_store's clocks
        21, now=end, stop=stop, now_monotonic_ns=int(end * 1e9))))
    thread.start()

    def scans(limit: int | None) -> list[float]:
        samples: list[float] = []
        while (thread.is_alive() and time.perf_counter() - started < window if limit is None
               else len(samples) < limit):
            scan = Scan(payload=payloads[len(samples) % len(payloads)], device_id="gate-in",
                        lane="auto")
            t0 = time.perf_counter()
            pipeline.submit(scan)
            samples.append((time.perf_counter() - t0) * 1000)
            time.sleep(arrivals.expovariate(1 / 0.3))
        return samples

    during = scans(None)  # at most ``window`` seconds, then the purge is told to stop
    purge_seconds = time.perf_counter() - started
    stop.set()
    thread.join()
    after = scans(100 if quick else 300)
    store.close()
    if not removed[0]:
        return f"nothing to purge; scans: {summary(after)}"
    return (f"purged {removed[0]:,} rows in {purge_seconds:.0f} s "
            f"({removed[0] / purge_seconds:,.0f}/s); scans during: "
            f"{summary(during)}; after: {summary(after)}; p99 ratio "
            f"{percentile(during, .99) / percentile(after, .99):.2f}×")


def cold_help() -> str:
    samples = []
    for _ in range(5):
        seconds, _, _, _ = run_measured([sys.executable, "-m", "kiosk.cli", "--help"])
        samples.append(seconds * 1000)
    return f"median {statistics.median(samples):.0f} ms, min {min(samples):.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--small", type=int, default=10_000,
                        help="entries of the comparison store (one busy day)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cache", default="/tmp", help="folder for the built stores")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--formats", default="csv,xlsx", help="export formats to time")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"parts to measure, of {', '.join(PARTS)}")
    parser.add_argument("--purge-window", type=float, default=180.0,
                        help="seconds of scanning measured while the purge runs")
    parser.add_argument("--no-small", action="store_true",
                        help="measure the large store alone")
    parser.add_argument("--copy", action="store_true",
                        help="measure a copy of each store (the cached one stays as built: "
                             "its schema version included, for another tree to measure)")
    args = parser.parse_args()
    cache = Path(args.cache)
    large = cached_store(cache, args.entries, args.days, args.people, args.seed)
    small = None if args.no_small else cached_store(cache, args.small, 1, args.people,
                                                        args.seed)
    print(f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}, load avg {os.getloadavg()[0]:.2f}, kiosk from "
          f"{Path(store_module.__file__).parent.parent}")
    if "screens" in args.only:
        print(f"cold `kiosk --help`: {cold_help()}")
    parts = tuple(args.only.split(","))
    stores = [(f"{args.entries:,}", large)] if args.no_small else \
        [(f"{args.small:,}", small), (f"{args.entries:,}", large)]
    figures = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-copy-", dir=cache) as copies:
        for name, path in stores:
            if args.copy:
                path = Path(shutil.copy(path, Path(copies) / path.name))
            figures[name] = measure(path, name, args.quick, tuple(args.formats.split(",")),
                                    parts, args.purge_window)
            if args.copy:
                path.unlink()
    print(f"\n| operation | {' | '.join(figures)} |\n|---|{'---|' * len(figures)}")
    for key in dict.fromkeys(k for f in figures.values() for k in f):
        print(f"| {key} | {' | '.join(f.get(key, '—') for f in figures.values())} |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process {rss:.0f} MiB; load avg at the end "
          f"{os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
