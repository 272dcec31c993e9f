"""The ``kiosk`` command: run the kiosk, inject a test scan, read entries, stats, exports.

Every command takes ``--config`` (default: $KIOSK_CONFIG, else ./config.toml) and exits
non-zero with a one-line reason when the config is wrong, before touching anything.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from kiosk import config as config_mod
from kiosk import messages
from kiosk.app import Kiosk, certificate_checker, policy_from
from kiosk.commandline import add_command_groups, run_command
from kiosk.pipeline import Pipeline
from kiosk.scan import ScanResult, mask_document
from kiosk.store import Store, StoreError, parse_utc, utc_iso

EXIT_CONFIG = 2
EXIT_STORE = 3


def default_config_path() -> str:
    return os.environ.get("KIOSK_CONFIG", "config.toml")


def load_config(path: str) -> config_mod.Config:
    try:
        return config_mod.load(path)
    except config_mod.ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def open_store(config: config_mod.Config) -> Store:
    try:
        return Store(config.store_path, timezone=config.timezone)
    except (StoreError, OSError) as exc:
        print(f"store error: {config.store_path}: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_STORE) from None


# -- kiosk run ------------------------------------------------------------------------------
def format_result(result: ScanResult, language: str, timezone: Any) -> str:
    """One console line per result; the entry id last so scripts can pick it up."""
    when = dt.datetime.fromtimestamp(result.scan.wall_time, timezone).strftime("%H:%M:%S")
    identity = result.identity
    parts = [
        when,
        f"{result.status.value.upper():9}",
        f"{messages.text(result.direction.value, language) if result.direction else '-':4}",
        messages.kind_name(identity.kind, language) if identity else "-",
        (identity.name or "") if identity else "",
        result.display_document,
        messages.certificate_line(result.certificate.status, result.certificate.kind,
                                  result.certificate.facts, language)
        if result.certificate else "",
        result.reason if result.status.value != "accepted" else "",
        f"device={result.scan.device_id}",
        f"id={result.entry_id or '-'}",
    ]
    return "  ".join(p for p in parts if p)


def cmd_run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    wants_ui = not args.headless and bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if wants_ui:
        try:
            from kiosk.ui.app import run_ui
        except ImportError as exc:
            print(f"Qt interface unavailable ({exc}); running headless", file=sys.stderr)
        else:
            return run_ui(config)
    return run_headless(config, until_done=args.until_done)


def run_headless(config: config_mod.Config, *, until_done: bool = False,
                 out: TextIO | None = None) -> int:
    out = out or sys.stdout
    language = config.kiosk["language"]
    try:
        kiosk = Kiosk(config)
    except (StoreError, OSError) as exc:
        print(f"store error: {config.store_path}: {exc}", file=sys.stderr)
        return EXIT_STORE
    print_lock = threading.Lock()

    def show(result: ScanResult) -> None:
        with print_lock:
            print(format_result(result, language, config.timezone), file=out, flush=True)

    kiosk.pipeline.subscribe(show)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    kiosk.start()
    names = ", ".join(f"{d['id']} ({d['type']}, {d['lane']})" for d in config.devices) or "none"
    print(f"kiosk {config.kiosk['id']} at {config.kiosk['checkpoint_id']} running headless; "
          f"devices: {names}; store: {config.store_path}", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.2):
            if until_done and kiosk.supervisor.wait_finished(0):
                break
    finally:
        kiosk.stop()
        print("kiosk stopped", file=sys.stderr, flush=True)
    return 0


# -- kiosk scan -----------------------------------------------------------------------------
def cmd_scan(args: argparse.Namespace) -> int:
    from kiosk.scan import Scan

    config = load_config(args.config)
    store = open_store(config)
    pipeline = Pipeline(store, policy_from(config), certificate_checker(config))
    result = pipeline.submit(Scan(payload=args.payload, device_id=args.device,
                                  lane=args.direction, source="cli"))
    print(format_result(result, config.kiosk["language"], config.timezone))
    store.close()
    return 0 if result.status.value != "rejected" else 1


# -- kiosk entries / stats / export ---------------------------------------------------------
def time_bounds(args: argparse.Namespace, store: Store) -> tuple[str, str]:
    """--date, or --from/--to (dates are local days, --to inclusive), default today."""
    def point(text: str, *, end: bool) -> str:
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                return store.day_bounds(day)[1 if end else 0]
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise SystemExit(
                f"bad date {text!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=store.timezone)
        return utc_iso(moment.timestamp())

    if getattr(args, "date", None):
        return point(args.date, end=False), point(args.date, end=True)
    since = point(args.since, end=False) if args.since else store.day_bounds()[0]
    until = point(args.until, end=True) if args.until else (
        store.day_bounds()[1] if not args.since else "9999")
    return since, until


def local_time(text: str, store: Store) -> str:
    return parse_utc(text).astimezone(store.timezone).strftime("%Y-%m-%d %H:%M:%S")


def cmd_entries(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    since, until = time_bounds(args, store)
    rows = store.entries(since=since, until=until, direction=args.direction,
                         subject=args.subject, search=args.search, limit=args.limit)
    if args.reveal:
        store.audit(args.operator or config.kiosk["operator"] or os.environ.get("USER", "?"),
                    "entries.reveal", {"since": since, "until": until, "rows": len(rows)})
    language = config.kiosk["language"]
    for row in rows:
        document = row["document_number"] if args.reveal else mask_document(row["document_number"])
        status = "" if row["status"] == "accepted" else f" [{row['status']}]"
        print(f"{local_time(row['scanned_at'], store)}  "
              f"{messages.text(row['direction'], language):4} "
              f"{messages.kind_name(row['kind'], language):12} {row['name'] or '-'}  "
              f"{document or '-'}  {row['device_id']}{status}  {row['sync_state']}")
    print(f"{len(rows)} entries", file=sys.stderr)
    store.close()
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    stats = store.stats(config.kiosk["checkpoint_id"], args.date)
    vi = config.kiosk["language"] == "vi"
    labels = (("Vào", "Ra", "Đang ở trong", "Quét trùng", "Mã bị từ chối") if vi else
              ("In", "Out", "Inside now", "Duplicates", "Refused codes"))
    values = (stats.entries_in, stats.entries_out, stats.inside, stats.duplicates, stats.refused)
    for label, value in zip(labels, values, strict=False):
        print(f"{label:14} {value}")
    peak = max(stats.per_hour.values(), default=0)
    for hour in sorted(stats.per_hour):
        count = stats.per_hour[hour]
        print(f"{hour:02d}:00  {'█' * max(1, round(40 * count / peak))} {count}")
    store.close()
    return 0


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """Defuse spreadsheet formulas (CSV injection): prefix risky cells with a quote."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


EXPORT_COLUMNS = ("id", "scanned_at", "local_time", "checkpoint_id", "kiosk_id", "device_id",
                  "direction", "status", "kind", "document_number", "name", "birth_date",
                  "gender", "address", "issue_date", "extra", "sync_state")


def cmd_export(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config)
    since, until = time_bounds(args, store)
    rows = store.entries(since=since, until=until)
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(args.output, "w", newline="", encoding="utf-8-sig")) \
            if args.output else sys.stdout
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            row = {**row, "local_time": local_time(row["scanned_at"], store)}
            writer.writerow([neutralise(row[c]) for c in EXPORT_COLUMNS])
    store.audit(args.operator or config.kiosk["operator"] or os.environ.get("USER", "?"),
                "export.csv", {"since": since, "until": until, "rows": len(rows),
                               "file": args.output or "-"})
    print(f"exported {len(rows)} entries", file=sys.stderr)
    store.close()
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    print(f"{args.config}: OK — kiosk {config.kiosk['id']}, checkpoint "
          f"{config.kiosk['checkpoint_id']}, {len(config.devices)} device(s)")
    if args.json:
        print(json.dumps(config.to_toml_data(), ensure_ascii=False, indent=2))
    return 0


# -- argument parsing -----------------------------------------------------------------------
def payload_argument(text: str) -> bytes:
    """Checked by argparse, so a bad argument is refused before any file is touched."""
    if not text.startswith("hex:"):
        return text.encode("utf-8", "surrogateescape")
    try:
        return bytes.fromhex(text[4:])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text[:40]!r}: not hex bytes ({exc})") from None


def day_argument(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a date, YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Checkpoint QR kiosk")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=default_config_path(),
                        help="config file (default: $KIOSK_CONFIG or ./config.toml)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="run the kiosk (Qt if a display exists)")
    run.add_argument("--headless", action="store_true", help="no window: print each result")
    run.add_argument("--until-done", action="store_true",
                     help="exit when every device has finished (replay files)")
    run.set_defaults(func=cmd_run)

    scan = sub.add_parser("scan", parents=[common], help="record one payload as a scan")
    scan.add_argument("payload", type=payload_argument,
                      help="payload text, or hex:… for raw bytes")
    scan.add_argument("--device", default="cli", help="device id to record (default: cli)")
    scan.add_argument("--direction", choices=("in", "out", "auto"),
                      help="direction (default: the config's default_direction)")
    scan.set_defaults(func=cmd_scan)

    def period(p: argparse.ArgumentParser) -> None:
        p.add_argument("--date", help="one local day, YYYY-MM-DD (default: today)")
        p.add_argument("--from", dest="since", help="start, YYYY-MM-DD[THH:MM]")
        p.add_argument("--to", dest="until", help="end, YYYY-MM-DD (inclusive) or a time")
        p.add_argument("--operator", default="", help="who asks (written to the audit log)")

    entries = sub.add_parser("entries", parents=[common], help="list entries (today by default)")
    period(entries)
    entries.add_argument("--direction", choices=("in", "out"))
    entries.add_argument("--subject", help="document number or subject key")
    entries.add_argument("--search", help="part of a name or document number")
    entries.add_argument("--limit", type=int)
    entries.add_argument("--reveal", action="store_true",
                         help="show full document numbers (written to the audit log)")
    entries.set_defaults(func=cmd_entries)

    stats = sub.add_parser("stats", parents=[common], help="today's counts and scans per hour")
    stats.add_argument("--date", type=day_argument, help="another local day, YYYY-MM-DD")
    stats.set_defaults(func=cmd_stats)

    export = sub.add_parser("export", parents=[common], help="export entries for a period")
    period(export)
    export.add_argument("--format", choices=("csv",), default="csv")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(func=cmd_export)

    check = sub.add_parser("config", parents=[common], help="validate the config file")
    check.add_argument("action", choices=("check",))
    check.add_argument("--json", action="store_true", help="print the config with defaults")
    check.set_defaults(func=cmd_config_check)

    add_command_groups(sub, common, ("kiosk.devices.commands", "kiosk.sync.commands"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), argv, failure=StoreError, label="store error",
                       exit_code=EXIT_STORE)


if __name__ == "__main__":
    sys.exit(main())
