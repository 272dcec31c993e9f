"""Contact-tracing benchmark: one person's 14 days with contacts, on a province's scans.

Generates a province (numpy, seeded): ``--checkpoints`` points whose popularity follows a
Zipf law (``--zipf``), people of whom ``--commuters`` go to the same workplace every
weekday (in around 07:45, out around 17:15), and errands whose start times follow rush
hours (07-09, 11-13, 16-19) with log-normal stays. Scans are what kiosks record: 3 % of
visits lack their entry scan, 20 % their exit, 3 % have a repeat scan a minute later (half of
them marked duplicate by the kiosk); card holders show their masked PC-Covid code in 15 % of
scans; 1 % of kiosks have a clock hours off (corrected by the centre). Rows are bulk loaded
(PostgreSQL ``COPY``, SQLite ``executemany``) with the schema's indexes dropped and then
rebuilt from their own definitions.

Then, for ``--traces`` people drawn at random among those seen in the last 14 days, it times
a trace by their document number (found, then visits + contacts ranked, exactly as
``kiosk-central trace --document`` does; a number only ever shown masked is traced weakly,
through every masked code ending in its last digits) and,
in the same run, the self-join most analysts would write (every scan at the same checkpoint
within default stay + margin of one of the person's scans); for ``--names`` of them, who a
trace by name and birth year finds (``kiosk-central trace --name … --birth-year …``:
``tracing.target_for_name``, every read of the 14 days it makes).

``--uncertain N`` lists N scans drawn at random as of uncertain time (schema v35: an older
kiosk that slept between scan and send), each possibly up to 1 min - 8 h earlier than filed:
what a trace pays to find them, keep their visits and seek their possible contacts. Without
it none is (as where every kiosk says how long it slept).

``--before FILE`` times, beside each trace and in turn with it (which first alternates), the
same trace by another version's ``kiosk/central/tracing.py`` (``git show
REV:kiosk/central/tracing.py > FILE``) on the same store and reads: a change's cost measured
on one load, under the same load from elsewhere, instead of two runs minutes apart.

    .venv/bin/python scripts/bench_trace.py --engine sqlite --entries 1000000
    .venv/bin/python scripts/bench_trace.py --engine postgresql --entries 10000000
    .venv/bin/python scripts/bench_trace.py --engine sqlite --entries 1000000 --uncertain 10000
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import importlib.util
import json
import os
import statistics
import sys
import time
from typing import Any

import numpy as np
from benchsupport import central_database

from kiosk.central import document_matches, stays, trace_service, tracing
from kiosk.central.backends import open_storage
from kiosk.central.storage import TIME_UNCERTAIN, Storage
from kiosk.central.trace_queries import StorageSource
from kiosk.payloads.identity import fold_name

COLUMNS = ("id", "checkpoint_id", "kiosk_id", "device_id", "direction", "status", "source",
           "symbology", "scanned_at", "monotonic_ns", "boot_id", "kind", "subject_key",
           "match_key", "document_number", "name", "birth_date", "extra", "operator",
           "payload", "received_at", "clock_offset_seconds", "batch_id", "local_day")
ZONE_OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh, no daylight saving
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
MIDDLES = ("Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Thu")
GIVENS = ("An", "Bình", "Cường", "Dung", "Em", "Giang", "Hải", "Lan", "Mai", "Nam", "Phúc",
          "Quân", "Sơn", "Tâm", "Uyên", "Vinh", "Xuân", "Yến")


TUNED = {"shared_buffers": "2GB", "work_mem": "64MB", "maintenance_work_mem": "1GB",
         "effective_cache_size": "8GB", "max_wal_size": "8GB"}  # a throw-away cluster's


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- the province ---------------------------------------------------------------------------
class Province:
    """People, checkpoints and visits as numpy arrays; rows produced in chunks."""

    def __init__(self, args: argparse.Namespace, end: dt.datetime) -> None:
        rng = np.random.default_rng(args.seed)
        self.rng = rng
        self.end = int(end.timestamp())
        self.days = args.days
        points = args.checkpoints
        weights = 1.0 / np.arange(1, points + 1) ** args.zipf
        self.popularity = rng.permutation(weights / weights.sum())
        scans_per_visit = 0.97 + 0.97 * 0.80 + 0.03 + 0.03
        visits = int(args.entries / scans_per_visit)
        people = args.people or visits * 14 // (args.days * 5)  # ~5 visits a fortnight each
        self.people = people
        self.year = rng.integers(1950, 2008, people)
        self.form = rng.choice(3, people, p=[0.75, 0.20, 0.05])  # cccd, pccovid, manual
        self.skew = np.where(rng.random(points) < 0.01,
                             rng.choice([-1, 1], points) * rng.integers(3600, 5 * 3600, points),
                             0)
        starts, where, who, stays = [], [], [], []
        first_day = self.end - self.days * 86400
        day_starts = first_day + 86400 * np.arange(self.days) - ZONE_OFFSET
        weekdays = [d for d, s in enumerate(day_starts)
                    if dt.datetime.fromtimestamp(s + ZONE_OFFSET, dt.UTC).weekday() < 5]
        commuters = min(int(visits * args.commuter_share / (len(weekdays) * 0.9)), people)
        self.commuters = commuters
        work = rng.choice(points, commuters, p=self.popularity)
        commuter_ids = rng.choice(people, commuters, replace=False)
        self.commuter_ids = set(commuter_ids.tolist())
        for day in weekdays:
            present = rng.random(commuters) < 0.9
            n = int(present.sum())
            arrive = rng.normal(7.75 * 3600, 0.6 * 3600, n)
            leave = rng.normal(17.25 * 3600, 0.7 * 3600, n)
            starts.append(day_starts[day] + arrive)
            stays.append(np.maximum(leave - arrive, 1800))
            where.append(work[present])
            who.append(commuter_ids[present])
        errands = max(visits - sum(len(s) for s in starts), 0)
        peak = rng.choice(4, errands, p=[0.25, 0.2, 0.3, 0.25])
        centre = np.array([8.0, 12.0, 17.5, 13.0])[peak] * 3600
        spread = np.array([0.7, 0.7, 1.0, 4.0])[peak] * 3600
        hour = np.clip(rng.normal(centre, spread), 5 * 3600, 22 * 3600)
        starts.append(day_starts[rng.integers(0, self.days, errands)] + hour)
        stays.append(np.minimum(rng.lognormal(np.log(45 * 60), 0.8, errands), 6 * 3600))
        where.append(rng.choice(points, errands, p=self.popularity))
        who.append(rng.integers(0, people, errands))
        self.start = np.concatenate(starts)
        self.stay = np.concatenate(stays)
        self.where = np.concatenate(where)
        self.who = np.concatenate(who)

    def scans(self) -> tuple[np.ndarray, ...]:
        """(time, checkpoint, person, direction 0/1, duplicate-marked) per scan, by time."""
        rng, n = self.rng, len(self.start)
        has_in = rng.random(n) >= 0.03
        has_out = np.where(has_in, rng.random(n) < 0.80, True)
        repeat = has_in & (rng.random(n) < 0.03)
        parts = [
            (self.start[has_in], 0, has_in, False),
            (self.start[has_out] + self.stay[has_out], 1, has_out, False),
            (self.start[repeat] + rng.uniform(20, 90, int(repeat.sum())), 0, repeat,
             rng.random(int(repeat.sum())) < 0.5),
        ]
        at = np.concatenate([p[0] for p in parts])
        direction = np.concatenate([np.full(len(p[0]), p[1], np.int8) for p in parts])
        mask = [p[2] for p in parts]
        where = np.concatenate([self.where[m] for m in mask])
        who = np.concatenate([self.who[m] for m in mask])
        marked = np.concatenate([np.broadcast_to(np.asarray(p[3]), len(p[0])) for p in parts])
        keep = at < self.end
        order = np.argsort(at[keep], kind="stable")
        return tuple(a[keep][order] for a in (at, where, who, direction, marked))

    @staticmethod
    def number(person: int) -> str:
        """The person's document number (CCCD): what a tracer types."""
        return f"0{person % 96 + 1:02d}{person:09d}"

    def identity(self, person: int, masked: bool) -> tuple[Any, ...]:
        """(kind, subject_key, match_key, document_number, name, birth_date, extra)."""
        name = (f"{SURNAMES[person % 10]} {MIDDLES[person // 10 % 8]} "
                f"{GIVENS[person // 80 % 18]}")
        number = self.number(person)
        year = str(self.year[person])
        match = f"m:{number[-6:]}|{fold_name(name)}|{year}"
        form = self.form[person]
        if form == 2:
            phone = f"09{person:08d}"
            return ("manual", f"doc:{number}", None, number, name, None,
                    json.dumps({"phone": phone}))
        if form == 1 or masked:
            shown = "******" + number[-6:] if masked or person % 2 else number
            subject = match if "*" in shown else f"doc:{number}"
            return ("pccovid", subject, match, shown, fold_name(name), f"{year}-**-**", "{}")
        return ("cccd", f"doc:{number}", match, number, name, f"{year}-02-01", "{}")

    def records(self):
        """(id, checkpoint, direction, status, scanned_at, n, identity, offset, local day)
        per scan in time order; ids are UUIDv7 made by the kiosk's clock, as kiosks do."""
        at, where, who, direction, marked = self.scans()
        masked = self.rng.random(len(at)) < 0.15
        skew = self.skew[where]
        wall = at - skew  # the kiosk's clock: corrected back by the centre
        stamps = np.datetime_as_string((wall * 1e6).astype("datetime64[us]"), unit="us")
        millis = (wall * 1000).astype(np.int64)
        local = ((at + ZONE_OFFSET) // 86400).astype(np.int64)
        days = {d: dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + int(d)).isoformat()
                for d in np.unique(local)}
        cache: dict[tuple[int, bool], tuple[Any, ...]] = {}
        for i in range(len(at)):
            person = int(who[i])
            key = (person, bool(masked[i]) and self.form[person] == 0)
            ident = cache.get(key)
            if ident is None:
                ident = cache[key] = self.identity(*key)
            hex_ms = f"{millis[i]:012x}"
            yield (f"{hex_ms[:8]}-{hex_ms[8:]}-7000-8000-{i:012x}", int(where[i]),
                   "out" if direction[i] else "in", "duplicate" if marked[i] else "accepted",
                   stamps[i] + "Z", i, ident, float(skew[i]), days[local[i]])

    def rows(self, chunk: int = 200_000):
        """Rows in COLUMNS order, ``chunk`` at a time."""
        received = self.received()
        out = []
        for entry_id, point, direction, status, stamp, n, ident, offset, day in self.records():
            out.append((entry_id, f"CP{point:05d}", f"K{point:05d}", "serial-1", direction,
                        status, "manual" if ident[0] == "manual" else "serial", "]Q1", stamp,
                        n, "boot", *ident, "", b"x", received, offset, "batch", day))
            if len(out) == chunk:
                yield out
                out = []
        if out:
            yield out

    def copy_text(self, chunk: int = 200_000):
        """The same rows as PostgreSQL COPY text, ``chunk`` rows at a time (no field holds a
        tab, newline or backslash)."""
        received = self.received()
        fragments: dict[int, str] = {}
        out = []
        for entry_id, point, direction, status, stamp, n, ident, offset, day in self.records():
            fragment = fragments.get(id(ident))
            if fragment is None:
                fragment = fragments[id(ident)] = "\t".join(
                    "\\N" if v is None else str(v) for v in ident)
            source = "manual" if ident[0] == "manual" else "serial"
            out.append(f"{entry_id}\tCP{point:05d}\tK{point:05d}\tserial-1\t{direction}\t"
                       f"{status}\t{source}\t]Q1\t{stamp}\t{n}\tboot\t{fragment}\t\t"
                       f"\\\\x78\t{received}\t{offset}\tbatch\t{day}\n")
            if len(out) == chunk:
                yield "".join(out), len(out)
                out = []
        if out:
            yield "".join(out), len(out)

    def received(self) -> str:
        return dt.datetime.fromtimestamp(self.end, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


# -- loading ----------------------------------------------------------------------------------
def load(storage: Storage, province: Province, engine: str) -> tuple[int, float]:
    started = time.perf_counter()
    total = 0
    if engine == "postgresql":
        with storage._connection() as conn:
            conn.execute("SET statement_timeout = 0")  # one COPY of millions of rows
            indexes = [r[0].replace(" ON ONLY ", " ON ") for r in conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'entries' "
                "AND indexname NOT LIKE '%pkey'")]  # ONLY: the parent alone, not partitions
            for name in [r[0] for r in conn.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'entries' "
                    "AND indexname NOT LIKE '%pkey'")]:
                conn.execute(f"DROP INDEX {name}")
            conn.execute("ALTER TABLE entries DROP CONSTRAINT entries_pkey")
            first = dt.datetime.fromtimestamp(province.end, dt.UTC).date()
            storage.partitions.ensure(conn, (first - dt.timedelta(days=d)
                                             for d in range(province.days + 2)))
            with conn.cursor() as cur, cur.copy(
                    f"COPY entries ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for text, count in province.copy_text():
                    copy.write(text)
                    total += count
                    _progress(total, started)
            loaded = time.perf_counter()
            print(f"\n  COPY {total:,} rows: {loaded - started:.0f} s", file=sys.stderr)
            conn.execute("ALTER TABLE entries ADD PRIMARY KEY (id)")
            for definition in indexes:
                conn.execute(definition)
            conn.execute("ANALYZE entries")
    else:
        conn = storage._conn()
        indexes = [r[0] for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' "
            "AND sql IS NOT NULL")]
        for name in [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' "
                "AND sql IS NOT NULL")]:
            conn.execute(f"DROP INDEX {name}")
        insert = (f"INSERT INTO entries ({', '.join(COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in COLUMNS)})")
        for rows in province.rows():
            conn.execute("BEGIN")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
            total += len(rows)
            _progress(total, started)
        print(file=sys.stderr)
        for definition in indexes:
            conn.execute(definition)
        conn.execute("ANALYZE")
    built = time.perf_counter()
    with storage._transaction() as tx:  # what ingest keeps, built as the migrations do
        if engine == "postgresql":
            tx.execute("SET LOCAL statement_timeout = 0")
        kept = stays.rebuild_all(storage, tx)
        matched = document_matches.rebuild(storage, tx)
    print(f"  {kept:,} stays and {matched:,} document matches kept: "
          f"{time.perf_counter() - built:.0f} s", file=sys.stderr)
    return total, time.perf_counter() - started


def _progress(done: int, started: float) -> None:
    print(f"\r  {done:,} rows, {done / (time.perf_counter() - started):,.0f}/s",
          end="", file=sys.stderr, flush=True)


# -- tracing --------------------------------------------------------------------------------
def naive_sql(engine: str) -> str:
    """The self-join an analyst writes: everyone scanned at the same checkpoint within
    default stay + margin of one of the person's scans (no stays, no corrections)."""
    if engine == "postgresql":
        near = ("b.scanned_at::timestamptz BETWEEN a.scanned_at::timestamptz - interval "
                "'135 minutes' AND a.scanned_at::timestamptz + interval '135 minutes'")
    else:
        near = ("julianday(b.scanned_at) BETWEEN julianday(a.scanned_at) - 135 / 1440.0 "
                "AND julianday(a.scanned_at) + 135 / 1440.0")
    return ("SELECT b.subject_key, count(*) FROM entries a JOIN entries b "
            f"ON b.checkpoint_id = a.checkpoint_id AND {near} "
            "WHERE a.subject_key = $1 AND a.scanned_at BETWEEN $2 AND $3 "
            "AND b.subject_key <> a.subject_key GROUP BY b.subject_key")


def mark_uncertain(storage: Storage, count: int, seed: int) -> None:
    """List ``count`` scans drawn at random as of uncertain time, each made by its kiosk's
    clock 1 min to 8 h before it is filed."""
    ids = [r[0] for r in storage._query(
        "SELECT id FROM entries ORDER BY random() LIMIT $1", (count,))]
    earlier = np.random.default_rng(seed).uniform(60, 8 * 3600, len(ids))
    with storage._transaction() as tx:
        for entry_id, seconds in zip(ids, earlier.tolist(), strict=True):
            storage._execute(tx, f"INSERT INTO {TIME_UNCERTAIN} (id, kiosk_clock_offset_seconds) "
                                 "SELECT id, coalesce(clock_offset_seconds, 0) - $2 FROM entries "
                                 "WHERE id = $1 ON CONFLICT DO NOTHING", (entry_id, seconds))


def earlier_version(path: str) -> Any:
    """Another version of :mod:`kiosk.central.tracing`, loaded from ``path`` beside it."""
    spec = importlib.util.spec_from_file_location("tracing_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def traced_in(module: Any, storage: Storage, province: Province, person: int, start: float,
              end: float) -> tuple[float, Any]:
    """One trace by ``person``'s number with that version of ``tracing``: (ms, result)."""
    policy = module.Policy()
    began = time.perf_counter()
    source = StorageSource(storage, module.alias_window(start, end, policy))
    lo, hi = module.instant(start), module.instant(end)
    target = module.target_for_document(source, province.number(person), lo, hi)
    result = module.trace(source, target, start, end, policy)
    result.contacts()
    return (time.perf_counter() - began) * 1000, result


def bench_traces(storage: Storage, province: Province, engine: str, count: int,
                 naive_count: int, name_count: int, before: Any = None) -> dict[str, Any]:
    end = float(province.end)
    start = end - 14 * 86400
    recent = np.unique(province.who[(province.start >= start) & (province.start < end)])
    people = province.rng.choice(recent, count, replace=False)
    policy = tracing.Policy()
    timings, contacts, visits, commuting = [], [], [], []
    unsure = possible = 0
    earlier: list[float] = []
    for n, person in enumerate(people):
        if before is not None and n % 2:
            earlier.append(traced_in(before, storage, province, int(person), start, end)[0])
        began = time.perf_counter()
        source = StorageSource(storage, tracing.alias_window(start, end, policy))
        target = trace_service.target(
            source, trace_service.Request(document=province.number(int(person))),
            tracing.instant(start), tracing.instant(end))
        result = tracing.trace(source, target, start, end, policy)
        ranked = result.contacts()
        timings.append((time.perf_counter() - began) * 1000)
        contacts.append(len(ranked))
        commuting.append(int(person) in province.commuter_ids)
        visits.append(len(result.visits))
        unsure += len(result.uncertain)
        possible += sum(row["possible"] for row in ranked)
        if before is not None and not n % 2:
            earlier.append(traced_in(before, storage, province, int(person), start, end)[0])
    naive = []
    fmt = "%Y-%m-%dT%H:%M:%S.000000Z"
    lo = dt.datetime.fromtimestamp(start, dt.UTC).strftime(fmt)
    hi = dt.datetime.fromtimestamp(end, dt.UTC).strftime(fmt)
    for person in people[:naive_count]:
        subject = province.identity(int(person), False)[1]
        began = time.perf_counter()
        storage._query(naive_sql(engine), (subject, lo, hi))
        naive.append((time.perf_counter() - began) * 1000)
    named, found = [], 0
    lo_at, hi_at = (dt.datetime.fromtimestamp(t, dt.UTC) for t in (start, end))
    for person in people[:name_count]:
        _, subject, match, _, name, *_ = province.identity(int(person), False)
        began = time.perf_counter()
        source = StorageSource(storage, tracing.alias_window(start, end, policy))
        keys = tracing.target_for_name(source, name, str(province.year[person]), lo_at,
                                       hi_at).keys
        named.append((time.perf_counter() - began) * 1000)
        found += (match or subject) in keys
    pairs = list(zip(timings, commuting, strict=True))
    return {"traces": count, "p50_ms": percentile(timings, 0.5),
            "p95_ms": percentile(timings, 0.95), "p99_ms": percentile(timings, 0.99),
            "max_ms": max(timings), "commuters_traced": sum(commuting),
            "p95_ms_commuters": percentile([t for t, c in pairs if c] or [0.0], 0.95),
            "p95_ms_others": percentile([t for t, c in pairs if not c] or [0.0], 0.95),
            "mean_visits": statistics.mean(visits), "mean_contacts": statistics.mean(contacts),
            "max_contacts": max(contacts), "uncertain_visits": unsure,
            "possible_contacts": possible, "naive_traces": len(naive),
            "naive_p50_ms": percentile(naive, 0.5) if naive else None,
            "naive_p95_ms": percentile(naive, 0.95) if naive else None,
            "name_traces": len(named), "name_found": found,
            "name_p50_ms": percentile(named, 0.5) if named else None,
            "name_p95_ms": percentile(named, 0.95) if named else None,
            **({f"before_{q}_ms": percentile(earlier, f) for q, f in (
                ("p50", 0.5), ("p95", 0.95), ("p99", 0.99))} if earlier else {})}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres", help="PostgreSQL URL of an empty database (default: a "
                                           "throw-away cluster started here)")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--checkpoints", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=0,
                        help="default: enough for ~5 visits a fortnight each")
    parser.add_argument("--commuter-share", type=float, default=0.35,
                        help="share of visits made by commuters (default 0.35)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--zipf", type=float, default=0.8, help="popularity exponent")
    parser.add_argument("--traces", type=int, default=200)
    parser.add_argument("--naive", type=int, default=20, help="self-joins timed")
    parser.add_argument("--names", type=int, default=20,
                        help="traces by name and birth year timed")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--before", help="another version's tracing.py to time beside")
    parser.add_argument("--uncertain", type=int, default=0,
                        help="scans listed as of uncertain time (default none)")
    parser.add_argument("--keep", help="directory for the SQLite file (default: temporary)")
    parser.add_argument("--end", help="UTC hour the month ends, YYYY-MM-DDTHH:00 (default: "
                                      "this hour); with --loaded, the one it was loaded with")
    parser.add_argument("--loaded", action="store_true",
                        help="--postgres already holds this province (same --seed, --end): "
                             "only trace")
    args = parser.parse_args()
    end = (dt.datetime.fromisoformat(args.end).replace(tzinfo=dt.UTC) if args.end else
           dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0))
    began = time.perf_counter()
    province = Province(args, end)
    print(f"province: {len(province.start):,} visits generated in "
          f"{time.perf_counter() - began:.0f} s", file=sys.stderr)
    database = (contextlib.nullcontext(args.postgres)
                if args.engine == "postgresql" and args.postgres else
                central_database(args.engine, folder=args.keep, postgres_settings=TUNED))
    with database as url, open_storage(url) as storage:
        if args.loaded:
            total, seconds = storage.entry_count(), 0.0
        else:
            total, seconds = load(storage, province, args.engine)
        print(f"loaded {total:,} entries in {seconds:.0f} s", file=sys.stderr)
        if args.uncertain:
            mark_uncertain(storage, args.uncertain, args.seed)
        gc.freeze()  # as `kiosk-central serve` does once started: full collections
        # during a trace skip what was built before it (30-40 ms a heavy trace)
        figures = bench_traces(storage, province, args.engine, args.traces,
                               args.naive, args.names, args.before and earlier_version(args.before))
        size = (os.path.getsize(url.removeprefix("sqlite:///"))
                if args.engine == "sqlite" else None)
    print(json.dumps({"engine": args.engine, "entries": total, "load_seconds": round(seconds),
                      "checkpoints": args.checkpoints, "people": province.people,
                      "uncertain": args.uncertain,
                      "commuters": province.commuters, "zipf": args.zipf, "db_bytes": size,
                      **{k: round(v, 1) if isinstance(v, float) else v
                         for k, v in figures.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
