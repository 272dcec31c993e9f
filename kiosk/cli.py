"""The ``kiosk`` command: run the kiosk, inject a test scan, read entries, stats, exports.

Every command takes ``--config`` (default: $KIOSK_CONFIG, else ./config.toml) and exits
non-zero with a one-line reason when the config is wrong, before touching anything. Each
command imports what it uses when it runs, so ``kiosk --help`` and ``kiosk scan`` stay
instant and a kiosk without an optional package still runs every command that does not
need it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import faulthandler
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from kiosk import messages
from kiosk.commandline import (
    EXIT_BINDING,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_STORE,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Terminated,
    add_command_groups,
    audit_actor,
    command_parser,
    day_argument,
    examples,
    fail,
    load_config,
    local_time,
    moment_argument,
    open_store,
    output_path_argument,
    payload_argument,
    refusal_in,
    run_command,
    stop_on_term,
    stops_held,
    store_failure,
    terminal_text,
    whole_number_argument,
)

if TYPE_CHECKING:
    import threading

    from kiosk.config import Config
    from kiosk.messages import Words
    from kiosk.scan import ScanResult
    from kiosk.store import Store
    from kiosk.sync.worker import PushSummary, SyncWorker

EXIT_CONFIG = EXIT_USAGE
ROOM_POLL_SECONDS = 3.0
"""How often a headless kiosk whose last scan was not recorded looks whether the store takes
writes again, as the screens' poll does (``kiosk.ui.bridge.SYNC_POLL_MS``)."""
CCCD_EXAMPLE = "001099012345|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế, Hà Nội|10102021"


def default_config_path() -> str:
    return os.environ.get("KIOSK_CONFIG", "config.toml")


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
        terminal_text(identity.name or "") if identity else "",
        terminal_text(result.display_document),
        certificate_words(result, language),
        result.reason_in(language) if result.status.value != "accepted" else "",
        not_id_words(result, language),
        f"device={result.scan.device_id}",
        f"id={result.entry_id or '-'}",
    ]
    return "  ".join(p for p in parts if p)


def not_id_words(result: ScanResult, language: str) -> str:
    """What the officer's amber card says of a code that names nobody (a URL, a product
    code): recorded, but ask for an ID — a console line saying ACCEPTED alone waved it on."""
    if not result.names_nobody:
        return ""
    direction = messages.text(result.direction.value, language) if result.direction else ""
    return (messages.text("card.not_id", language, direction=direction) + ": "
            + messages.text("card.not_id_ask", language))


def certificate_words(result: ScanResult, language: str) -> str:
    """The certificate's answer as the officer's card words it: "CHỨNG NHẬN KHÔNG HỢP LỆ —
    KIỂM TRA GIẤY TỜ (CHỮ KÝ KHÔNG HỢP LỆ)" for a forged one that was recorded."""
    if result.certificate is None:
        return ""
    headline, underneath = messages.certificate_answer(
        result.certificate, language, recorded=result.status.value != "rejected")
    return f"{headline} ({underneath})" if underneath else headline


def register_stack_dump() -> None:
    """A kiosk that does not stop or answer: `kill -USR1 PID` writes every thread's Python
    stack to stderr (the journal), and the kiosk runs on (docs/technician.md). Only where
    stderr is a real file: a kiosk started with stderr closed (`2>&-`) or replaced (no
    fileno) has nowhere to write the stacks, and a debugging aid must never stop it."""
    # no usable stderr (None, closed, or no fileno): the kiosk runs without the dump
    with contextlib.suppress(RuntimeError, ValueError, OSError, AttributeError):
        faulthandler.register(signal.SIGUSR1, all_threads=True)


def cmd_run(args: argparse.Namespace) -> int:
    if args.max_wait is not None and not args.until_done:  # the background sync waits any
        print(messages.both("cli.max_wait_needs_until_done"), file=sys.stderr)
        return EXIT_USAGE
    config = load_config(args.config)
    if args.check_config:  # the kiosk's unit, before each start: refused above, exit 2
        return 0 if args.headless else check_binding(config.kiosk.language)
    warnings = config_warnings(config, args.config)
    register_stack_dump()
    wants_ui = not args.headless and bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if wants_ui:
        try:
            from kiosk.ui.app import run_ui
        except ImportError as exc:
            print(messages.text("cli.no_display", config.kiosk.language, error=exc),
                  file=sys.stderr)
        else:  # says them itself: it may start this process again first (its own pixels)
            return run_ui(config, warnings)
    for warning in warnings:
        print(warning, file=sys.stderr)
    return run_headless(config, until_done=args.until_done, max_wait=args.max_wait)


class ResultLines:
    """A headless kiosk's console: one line per result, and one when the store takes writes
    again after a scan it did not record. The last line read NOT RECORDED (a full disk, a
    store folder away, another program's lock) and told the officer to use the paper list,
    so nobody scans: :meth:`look`, every :data:`ROOM_POLL_SECONDS`, does what the screens'
    poll does — looks whether the lock was let go, and on a disk full at the last write that
    has room again has a small real write lift the failure
    (:meth:`kiosk.store.Store.write_on_room`) — and says so once writes go in."""

    def __init__(self, store: Store, language: str, timezone: Any, out: TextIO) -> None:
        import threading

        self.store, self.language, self.timezone, self.out = store, language, timezone, out
        self.lock = threading.Lock()
        self.not_recorded: Words | None = None
        """Why the last line said a scan would not be recorded; None: it did not."""

    def show(self, result: ScanResult) -> None:
        with self.lock:
            print(format_result(result, self.language, self.timezone), file=self.out,
                  flush=True)
            self.not_recorded = self.store.not_recording()

    def look(self) -> None:
        store = self.store
        if store.not_recording(look=True) is not None and store.room_again():
            store.write_on_room()
        with self.lock:
            if self.not_recorded is None or store.not_recording() is not None:
                return
            self.not_recorded = None
            when = dt.datetime.now(self.timezone).strftime("%H:%M:%S")
            print(messages.text("cli.recording_again", self.language, time=when),
                  file=self.out, flush=True)


def check_binding(language: str) -> int:
    """``kiosk run --check-config`` (the unit's ``ExecCondition=``, before cage or xinit
    gives it a display): the Qt binding the window would refuse, exit 4, said in the
    journal; run under cage or xinit, which exit 0 whatever the kiosk's code, the refusal
    was started again every 2 s for ever though only installing another PySide6 helps. 0
    without Qt: ``kiosk run`` then runs without its window."""
    try:
        from kiosk.ui.binding import binding_refusal
    except ImportError:
        return 0
    refused = binding_refusal(language)
    if refused is None:
        return 0
    print(refused, file=sys.stderr)
    return EXIT_BINDING


def run_headless(config: Config, *, until_done: bool = False, max_wait: int | None = None,
                 out: TextIO | None = None) -> int:
    """``max_wait``: ``--until-done``'s, as ``kiosk sync push --max-wait`` (None: its
    default)."""
    import threading

    from kiosk.app import Kiosk
    from kiosk.config import ConfigError
    from kiosk.store import StoreError

    out = out or sys.stdout
    language = config.kiosk.language
    try:
        kiosk = Kiosk(config)
    except ConfigError as exc:  # a [store] path that loops
        print(refusal_in(language, exc), file=sys.stderr)
        return EXIT_CONFIG
    except (StoreError, OSError) as exc:
        print(store_failure(config.store_path, exc, config.kiosk.language), file=sys.stderr)
        return EXIT_STORE
    lines = ResultLines(kiosk.store, language, config.timezone, out)
    kiosk.pipeline.subscribe(lines.show)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # the background sync may send entries past the centre's retention before the last push
    past_retention = kiosk.sync.state().past_retention_count if kiosk.sync else 0
    kiosk.start()
    names = ", ".join(f"{d.id} ({d.type}, {d.lane})" for d in config.devices) or \
        messages.text("cli.no_devices", language)
    print(messages.text("cli.running_headless", language, kiosk=config.kiosk.id,
                        checkpoint=config.kiosk.checkpoint_id, devices=names,
                        store=config.store_path), file=sys.stderr, flush=True)
    code = 0
    looked_at = time.monotonic()
    try:
        while not stop.wait(0.2):  # done: the replay played and the start's check run
            if time.monotonic() - looked_at >= ROOM_POLL_SECONDS:
                looked_at = time.monotonic()
                lines.look()
            if until_done and kiosk.supervisor.wait_finished(0) and \
                    kiosk.start_checked.is_set():
                if kiosk.sync is not None:
                    code = send_the_rest(kiosk.sync, stop, language, past_retention,
                                         max_wait)
                refusal = kiosk.store.refusal()
                if refusal is not None:  # e.g. damage the start's check found
                    print(store_failure(config.store_path,
                                        StoreError(refusal.code, **refusal.params), language),
                          file=sys.stderr)
                    code = EXIT_STORE
                break
    finally:
        kiosk.stop()
        print(messages.text("cli.stopped", language), file=sys.stderr, flush=True)
    return code


def send_the_rest(sync: SyncWorker, stop: threading.Event, language: str,
                  past_retention: int, max_wait: int | None = None) -> int:
    """``run --until-done`` with sync on: the devices are done, so push what is pending
    (retrying as ``kiosk sync push`` does, saying each wait the centre asks for, and
    stopping at once for one longer than ``max_wait``, None: push's default — a run meant
    to end is not held for hours) before stopping. 0 only when nothing is left to send;
    else 1, saying how many entries are left and why. Ctrl-C stops waiting. Entries the
    centre answered past its retention cut since the count ``past_retention`` (by the
    background sync or this push) are said apart: marked done, yet not held there."""
    import threading

    from kiosk.sync.commands import PUSH_MAX_WAIT_SECONDS, say_another_sending, say_wait

    outcome: list[PushSummary] = []
    pusher = threading.Thread(target=lambda: outcome.append(sync.push_now(
        max_wait=PUSH_MAX_WAIT_SECONDS if max_wait is None else max_wait,
        waiting=lambda wait: say_wait(wait, language),
        another=lambda pid: say_another_sending(pid, language))),
        daemon=True, name="push-before-stop")
    pusher.start()
    while pusher.is_alive() and not stop.wait(0.2):
        pass
    pending = sync.state().pending
    if outcome and not outcome[0].error and pending == 0:
        said = messages.text("sync.until_done_sent", language, count=outcome[0].done)
        state = sync.state()
        if state.past_retention_count > past_retention:  # done, the centre holding none
            said += "; " + messages.text(
                "sync.past_retention", language, cutoff=state.past_retention_cut,
                count=messages.Number(state.past_retention_count - past_retention))
        print(said, file=sys.stderr, flush=True)
        return 0
    error = outcome[0].error if outcome and outcome[0].error else \
        messages.text("sync.stopped", language)
    print(messages.text("sync.until_done_unsent", language, count=pending, error=error),
          file=sys.stderr, flush=True)
    return EXIT_FAILED


# -- kiosk scan -----------------------------------------------------------------------------
def cmd_scan(args: argparse.Namespace) -> int:
    from kiosk.app import certificate_checker, policy_from
    from kiosk.pipeline import Pipeline
    from kiosk.scan import Scan

    config = load_config(args.config)
    store = open_store(config, check=True)
    pipeline = Pipeline(store, policy_from(config), certificate_checker(config))
    result = pipeline.submit(Scan(payload=args.payload, device_id=args.device,
                                  lane=args.direction, source="cli"))
    print(format_result(result, config.kiosk.language, config.timezone))
    store.close()
    if result.reason_code == "storage_error":  # disk full, damaged, read-only: not refused
        return EXIT_STORE
    return 0 if result.status.value != "rejected" else 1


# -- kiosk entries / stats / export ---------------------------------------------------------
def time_bounds(args: argparse.Namespace, store: Store) -> tuple[str | None, str | None]:
    """--date, or --from/--to (dates are local days, --to inclusive), default today; None
    where the period is open (``--all``, ``--subject`` alone, ``--from`` alone)."""
    from kiosk.timestamps import utc_iso

    def point(value: dt.date | dt.datetime, *, end: bool) -> str:
        if not isinstance(value, dt.datetime):
            return store.day_bounds(value)[1 if end else 0]
        if value.tzinfo is None:
            value = value.replace(tzinfo=store.timezone)
        return utc_iso(value.timestamp())

    if getattr(args, "date", None):
        return point(args.date, end=False), point(args.date, end=True)
    if not (args.since or args.until) and (
            getattr(args, "all", False) or getattr(args, "subject", None)):
        return None, None  # a person is looked for over the whole store
    today = store.day_bounds()  # once: a command run at midnight lists one day, not two
    since = point(args.since, end=False) if args.since else today[0]
    until = point(args.until, end=True) if args.until else (today[1] if not args.since else None)
    return since, until


def cmd_entries(args: argparse.Namespace) -> int:
    from kiosk.scan import mask_document
    from kiosk.store import LISTING_COLUMNS

    config = load_config(args.config)
    store = open_store(config, reading=True)
    since, until = time_bounds(args, store)
    query = {"since": since, "until": until, "direction": args.direction,
             "subject": args.subject, "search": args.search, "limit": args.limit,
             "columns": LISTING_COLUMNS}
    # Looking a person up (by name, whole document number or subject key) or showing full
    # numbers is audited before a single row is shown, with what was asked.
    looked_up = {key: value for key, value in (("search", args.search),
                                               ("subject", args.subject)) if value}
    if args.reveal or looked_up:
        rows = sum(1 for _ in store.iter_entries(**query))
        store.audit(audit_actor(args, config),
                    "entries.reveal" if args.reveal else "entries.search",
                    {"since": since, "until": until, "rows": rows, **looked_up})
    language = config.kiosk.language
    shown = 0
    for row in store.iter_entries(**query):  # streamed: constant memory for any period
        shown += 1
        document = row["document_number"] if args.reveal else mask_document(row["document_number"])
        status = "" if row["status"] == "accepted" else f" [{row['status']}]"
        print(f"{local_time(row['scanned_at'], store)}  "
              f"{messages.text(row['direction'], language):4} "
              f"{messages.kind_name(row['kind'], language):12} "
              f"{terminal_text(row['name'] or '-')}  {terminal_text(document or '-')}  "
              f"{row['device_id']}{status}  {row['sync_state']}")
    print(messages.text("cli.entries", language, count=shown), file=sys.stderr)
    store.close()
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = open_store(config, reading=True)
    stats = store.stats(config.kiosk.checkpoint_id, args.date)
    language = config.kiosk.language
    for code, value in (("in", stats.entries_in), ("out", stats.entries_out),
                        ("inside_at_end" if stats.day_over else "inside", stats.inside),
                        ("duplicates", stats.duplicates),
                        ("refused", stats.refused), ("not_id", stats.not_id)):
        print(f"{messages.text(f'cli.stats.{code}', language):14} {value}")
    peak = max(stats.per_hour.values(), default=0)
    for hour in sorted(stats.per_hour):
        count = stats.per_hour[hour]
        print(f"{hour:02d}:00  {'█' * max(1, round(40 * count / peak))} {count}")
    store.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Streams: constant memory whatever the period; a progress bar when stderr is a terminal."""
    import contextlib

    from kiosk import exports, xlsx

    config = load_config(args.config)
    if args.format == "xlsx" and not args.output:
        raise fail(messages.text("cli.xlsx_needs_output", config.kiosk.language), EXIT_USAGE)
    from kiosk.private_files import (
        OutputExists,
        existing_output,
        open_output,
        output_over_kept,
        output_over_store,
    )
    from kiosk.sync.kiosk_keys import kept_files

    if args.output and (refusal := output_over_store(args.output, config.store_path)
                        or output_over_kept(args.output, kept_files(config))
                        or existing_output(args.output, force=args.force,
                                           example=f"entries.{args.format}")):
        raise fail(refusal(config.kiosk.language), EXIT_USAGE)
    store = open_store(config, reading=True)
    since, until = time_bounds(args, store)
    bar = None
    if sys.stderr.isatty():
        from kiosk.commandline import ProgressBar

        total = store.count_entries(since, until)
        bar = ProgressBar("export", total, stream=sys.stderr)
    progress = (lambda done: bar.update(done, total)) if bar else None
    actor, action = audit_actor(args, config), f"export.{args.format}"
    asked = {"since": since, "until": until, "file": args.output or "-"}
    store.audit(actor, action, asked)  # before a row leaves: refused, nothing is written
    sheets: list[xlsx.SheetWritten] = []
    try:
        try:  # a service stop or a timeout: the half-written file deleted, as on Ctrl-C
            with stop_on_term(), contextlib.ExitStack() as stack:
                out, encoding = sys.stdout.buffer, sys.stdout.encoding
                if args.output:
                    out = open_output(args.output, force=args.force)
                    # before the file's close: a close failing deletes the file too
                    stack.push(half_written(args.output))
                    stack.enter_context(out)
                    encoding = "utf-8"
                else:
                    sys.stdout.flush()
                if args.format == "xlsx":
                    sheets = exports.write_xlsx(store, since, until, out, progress)
                    count = sum(sheet.rows for sheet in sheets)
                else:
                    if args.output:  # UTF-8 with a BOM: Excel then reads it as UTF-8
                        out.write("\ufeff".encode())
                    count = exports.write_csv(store, since, until, out, encoding, progress)
                if args.output:  # the last bytes, still buffered, onto the disk: checked
                    out.flush()
                    if on_disk(out.fileno()):  # a pipe or a device refuses an fsync
                        os.fsync(out.fileno())
        except OSError as exc:  # a write's error does not name the file it was to
            if args.output and exc.filename is None:
                exc.filename = args.output
            raise
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (stop_on_term): no traceback
        if bar is not None:
            bar.finish()
        deleted = args.output and not os.path.lexists(args.output)  # not /dev/null
        print(messages.text("cli.export_stopped_file" if deleted else "cli.export_stopped",
                            config.kiosk.language, path=args.output), file=sys.stderr)
        store.close()
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except OutputExists as exc:  # made meanwhile by another program: kept as it is
        store.close()
        raise fail(exc.text(config.kiosk.language), EXIT_USAGE) from None
    except OSError as exc:
        if exc.filename is None:  # the terminal or pipe, not the file asked for
            raise
        store.close()
        raise fail(messages.text("cli.export_unwritable", config.kiosk.language,
                                 path=exc.filename, reason=messages.os_words(exc)),
                   EXIT_FAILED) from None
    if bar is not None:
        bar.finish()
    try:
        with stops_held():  # the file is whole: it is not left without its record
            store.audit(actor, f"{action}.done", {**asked, "rows": count})
    except BaseException:  # the count is not recorded: no file without its whole record
        if args.output and remove_export(args.output):
            print(messages.text("cli.export_removed", config.kiosk.language,
                                path=args.output), file=sys.stderr)
        raise
    print(messages.text("cli.exported", config.kiosk.language, count=count), file=sys.stderr)
    if len(sheets) > 1:
        print(messages.text("cli.exported_sheets", config.kiosk.language, sheets=len(sheets),
                            names=", ".join(sheet.title for sheet in sheets),
                            rows=messages.Number(xlsx.SHEET_ROWS)), file=sys.stderr)
    store.close()
    return 0


def half_written(path: str) -> Callable[..., bool]:
    """An exit callback deleting the export file ``path`` when the export failed half-way
    (a damaged page read, a full disk): a file holding the first rows only would pass for
    the whole period's. Not a device or a pipe (``-o /dev/null``), only a file."""
    def delete(kind: type[BaseException] | None, *_: object) -> bool:
        if kind is not None:
            remove_export(path)
        return False
    return delete


def remove_export(path: str) -> bool:
    """Delete the export file ``path`` if it is a file (not ``/dev/null``, not a pipe);
    whether it was."""
    try:
        if on_disk(path):
            os.unlink(path)
            return True
    except OSError:
        pass
    return False


def on_disk(file: str | int) -> bool:
    """Whether ``file`` (a path or an open descriptor) is a file on a disk, not a pipe, a
    terminal or ``/dev/null``: only such an export is fsync'd (the others refuse it, EINVAL,
    after every row went out) or deleted when it failed half-way."""
    import stat

    return stat.S_ISREG(os.stat(file).st_mode)


def cmd_store(args: argparse.Namespace) -> int:
    if (args.action == "restore") != (args.backup is not None):
        language = load_config(args.config).kiosk.language
        raise fail(messages.text("cli.store_backup_argument", language, action=args.action,
                                 backup=args.backup or "—"), EXIT_USAGE)
    return {"check": cmd_store_check, "recover": cmd_store_recover,
            "restore": cmd_store_restore}[args.action](args)


def cmd_store_check(args: argparse.Namespace) -> int:
    """Read the whole file now (the check the kiosk runs at start and daily); a sound file
    is stamped, so ``kiosk scan`` trusts it for a day. Exit 3 on damage, with the way out.
    The outbox's kept counts are compared with a count of the entries and, if they differ,
    made again (:meth:`kiosk.store.Store.check_counts`), saying so."""
    import time

    config = load_config(args.config)
    store = open_store(config, reading=True)
    started = time.perf_counter()
    damage = store.verify()
    try:
        wrong = {} if damage else store.check_counts(repair=not store.read_only)
    finally:
        store.close()
    if damage:
        print(store_failure(config.store_path, damage, config.kiosk.language), file=sys.stderr)
        return EXIT_STORE
    if wrong:  # the outbox's counts (never the entries) made again from the entries
        print(messages.text("cli.store_counts_wrong" if store.read_only else
                            "cli.store_counts_repaired", config.kiosk.language,
                            counts="; ".join(f"{kiosk} {state} {kept} → {counted}"
                                             for (kiosk, state), (kept, counted)
                                             in sorted(wrong.items()))), file=sys.stderr)
    size = config.store_path.stat().st_size
    print(messages.text("cli.store_sound", config.kiosk.language, path=config.store_path,
                        size=messages.Number(size / 2**20),
                        seconds=f"{time.perf_counter() - started:.1f}"))
    return 0


def cmd_store_recover(args: argparse.Namespace) -> int:
    from kiosk.recovery import RecoveryError, recover

    config = load_config(args.config)
    try:
        done = recover(config.store_path)
    except RecoveryError as exc:
        print(store_failure(config.store_path, exc, config.kiosk.language), file=sys.stderr)
        return EXIT_STORE
    lost = messages.text("cli.recovered_uncounted", config.kiosk.language) \
        if done.entries_lost is None else messages.Number(done.entries_lost)
    print(messages.text("cli.recovered", config.kiosk.language,
                        saved=messages.Number(done.entries_saved),
                        pending=messages.Number(done.pending_saved), lost=lost,
                        damaged=done.damaged_copy))
    if done.lost_list is not None:
        print(messages.text("cli.recovered_lost", config.kiosk.language,
                            unsent=messages.Number(done.lost_unsent), listing=done.lost_list))
    if done.lost_unknown:
        print(messages.text("cli.recovered_lost_unknown", config.kiosk.language,
                            unknown=messages.Number(done.lost_unknown)))
    return 0


def cmd_store_restore(args: argparse.Namespace) -> int:
    """Put a backup (``kiosk.db.vN.bak``: going back after an upgrade) in the store's place,
    the replaced file and its log kept aside (:func:`kiosk.recovery.restore`)."""
    from pathlib import Path

    from kiosk.recovery import RecoveryError, restore
    from kiosk.store import MIGRATIONS

    config = load_config(args.config)
    language = config.kiosk.language
    try:
        done = restore(config.store_path, Path(args.backup))
    except RecoveryError as exc:
        print(store_failure(config.store_path, exc, language), file=sys.stderr)
        return EXIT_STORE
    print(messages.text("cli.restored", language, path=config.store_path, backup=args.backup,
                        version=done.version, entries=messages.Number(done.entries),
                        kept=done.kept or "-"))
    if done.version < len(MIGRATIONS):
        print(messages.text("cli.restored_older", language, version=done.version,
                            ours=len(MIGRATIONS)))
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    import json

    from kiosk.config import ConfigError, plain_http_refusal
    from kiosk.sync.kiosk_keys import read_token

    config = load_config(args.config)
    for warning in config_warnings(config, args.config):
        print(warning, file=sys.stderr)
    _, no_token = read_token(config)
    if no_token is not None and (config.sync.enabled or no_token.code != "sync.no_token"):
        # the path is known here: a typo in token_file is named before anything is uploaded
        print(messages.text("cli.config_token_problem", config.kiosk.language,
                            problem=no_token, path=args.config), file=sys.stderr)
    failed = EXIT_CONFIG if no_token is not None and config.sync.enabled else 0
    plain = plain_http_refusal(config.sync.server_url, config.sync.allow_plain_http)
    if plain is not None:  # nothing would be sent: said before a centre is trusted with it
        print(refusal_in(config.kiosk.language, ConfigError(
            "config.in_key", key="sync.server_url", problem=plain)), file=sys.stderr)
        failed = EXIT_CONFIG
    if args.json:  # only JSON on stdout, so it can be piped; the token never shown
        data = config.to_toml_data()
        if data["sync"].get("token"):
            data["sync"]["token"] = HIDDEN
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return failed
    if failed:
        return failed
    print(messages.text("cli.config_ok", config.kiosk.language, path=args.config,
                        kiosk=config.kiosk.id, checkpoint=config.kiosk.checkpoint_id,
                        devices=len(config.devices)))
    return 0


HIDDEN = "(set, hidden)"


def config_warnings(config: Config, path: str) -> list[str]:
    """:func:`kiosk.sync.kiosk_keys.exposures`, :func:`kiosk.config.device_warnings` (of
    the file at ``path``, named as a refusal names it) and a plain ``http://`` centre allowed
    (:func:`kiosk.config.plain_http`), in the config's language: said by ``kiosk config
    check`` and at every start."""
    from kiosk import config as config_mod
    from kiosk.sync.kiosk_keys import exposures

    name = os.path.basename(path)
    warnings = config_mod.device_warnings(config)
    text = ""
    if warnings:
        with contextlib.suppress(config_mod.ConfigError):  # gone since: named, not placed
            text = config_mod.read_text(path)
    found = exposures(config) + [config_mod.in_file(name, warning, text)
                                 for warning in warnings]
    if config.sync.allow_plain_http and config_mod.plain_http(config.sync.server_url):
        found.append(messages.Words("sync.plain_http_allowed", {
            "url": config.sync.server_url, "setting": "[sync] allow_plain_http = true"}))
    return [messages.text("cli.warning", config.kiosk.language, warning=warning)
            for warning in found]


OWN_COMMANDS = ("run", "scan", "entries", "stats", "export", "config", "store")
"""The commands this module defines; the rest come from the subsystems' command groups."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; given the ``command`` about to run and it is one of
    :data:`OWN_COMMANDS`, without the other groups (their modules are not even imported:
    ``kiosk scan`` starts that much sooner)."""
    parser, common, sub = command_parser(
        "kiosk", "Checkpoint QR kiosk: records who enters and leaves.",
        ("kiosk run                  # the kiosk, with ./config.toml",
         "kiosk config check         # check the config file before deploying it",
         "kiosk scan --help          # each command's help ends with examples"),
        option="--config", default=default_config_path(),
        help="config file (default: $KIOSK_CONFIG or ./config.toml)")

    run = sub.add_parser(
        "run", parents=[common], help="run the kiosk (Qt if a display exists)",
        description="Run the kiosk: the Qt window when a display exists, else one console "
                    "line per scan.",
        **examples("kiosk run",
                   "kiosk run --headless --config /etc/checkpoint-kiosk/config.toml",
                   "kiosk run --headless --until-done   # play the replay devices, then stop"))
    run.add_argument("--headless", action="store_true", help="no window: print each result")
    run.add_argument("--check-config", action="store_true",
                     help="read the config as a start does and exit, starting nothing: exit 2 "
                          "and the refusal when it cannot be read, exit 4 when the window "
                          "would refuse the Qt binding (not with --headless), else 0 and no "
                          "output (the kiosk's systemd unit runs this first: cage and xinit "
                          "exit 0 whatever the kiosk's exit code, so a refused start would "
                          "be started again every 2 s for ever)")
    run.add_argument("--until-done", action="store_true",
                     help="exit when every device has finished (replay files)")
    run.add_argument("--max-wait", metavar="SECONDS", type=whole_number_argument("--max-wait"),
                     help="with --until-done: the longest wait the centre may ask for "
                          "(Retry-After) that its last push sits through, saying until when; "
                          "a longer one ends the run at once, exit 1, saying when to send "
                          "again (default: as `kiosk sync push`, 300)")
    run.set_defaults(func=cmd_run)

    scan = sub.add_parser(
        "scan", parents=[common], help="record one payload as a scan",
        description="Record one payload exactly as a scanner would, whether or not the kiosk "
                    "is running. Exit code 1 when the code is refused.",
        **examples(f'kiosk scan "{CCCD_EXAMPLE}"',
                   'kiosk scan "hex:48656c6c6f" --direction out --device lane2'))
    scan.add_argument("payload", type=payload_argument,
                      help="payload text, or hex:… for raw bytes")
    scan.add_argument("--device", default="cli", help="device id to record (default: cli)")
    scan.add_argument("--direction", choices=("in", "out", "auto"),
                      help="direction (default: the config's default_direction)")
    scan.set_defaults(func=cmd_scan)

    def period(p: argparse.ArgumentParser) -> None:
        p.add_argument("--date", type=day_argument,
                       help="one local day, YYYY-MM-DD (default: today)")
        p.add_argument("--from", dest="since", type=moment_argument,
                       help="start, YYYY-MM-DD[THH:MM]")
        p.add_argument("--to", dest="until", type=moment_argument,
                       help="end, YYYY-MM-DD (inclusive) or a time")
        p.add_argument("--operator", default="", help="who asks (written to the audit log)")

    entries = sub.add_parser(
        "entries", parents=[common], help="list entries (today by default)",
        description="List recorded entries, document numbers masked unless --reveal.",
        **examples("kiosk entries",
                   "kiosk entries --date 2026-11-21 --direction out",
                   'kiosk entries --search "Bình"',
                   'kiosk entries --search "nguyen van an" --all',
                   'kiosk entries --subject 001099012345 --reveal --operator "Nguyễn Thị Hà"'))
    period(entries)
    entries.add_argument("--direction", choices=("in", "out"))
    entries.add_argument("--subject", help="document number or subject key (whole store "
                         "unless a period is given; written to the audit log)")
    entries.add_argument("--search", help="words beginning a name (without diacritics is "
                         "fine: nguyen finds Nguyễn) or a whole document number (written to "
                         "the audit log)")
    entries.add_argument("--all", action="store_true",
                         help="look over the whole store, not only today (with --search)")
    entries.add_argument("--limit", type=whole_number_argument("--limit"))
    entries.add_argument("--reveal", action="store_true",
                         help="show full document numbers (written to the audit log)")
    entries.set_defaults(func=cmd_entries)

    stats = sub.add_parser(
        "stats", parents=[common], help="today's counts and scans per hour",
        description="In, out, inside now (for a past day: inside at its end), duplicates, "
                    "refused codes, and scans per hour.",
        **examples("kiosk stats", "kiosk stats --date 2026-11-21"))
    stats.add_argument("--date", type=day_argument, help="another local day, YYYY-MM-DD")
    stats.set_defaults(func=cmd_stats)

    export = sub.add_parser(
        "export", parents=[common], help="export entries for a period",
        description="Write entries with full document numbers as UTF-8 CSV or XLSX "
                    "(audited), streamed row by row; cells that a spreadsheet would run as a "
                    "formula are defused.",
        **examples("kiosk export -o today.csv",
                   "kiosk export --from 2026-11-01 --to 2026-11-21 --format csv "
                   "-o november.csv --operator \"Trần Văn Bảo\"",
                   "kiosk export --from 2026-11-01 --format xlsx -o november.xlsx",
                   "kiosk export -o today.csv --force   # replace an older file"))
    period(export)
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv",
                        help="csv (default) or xlsx")
    export.add_argument("-o", "--output", type=output_path_argument,
                        help="file to write (default: standard output)")
    export.add_argument("--force", action="store_true", help="replace an existing file")
    export.set_defaults(func=cmd_export)

    check = sub.add_parser(
        "config", parents=[common], help="validate the config file",
        description="Check a config file: any wrong key or value is named, with what was "
                    "expected. Exit code 2 when it is wrong.",
        **examples("kiosk config check",
                   "kiosk config check --config /etc/checkpoint-kiosk/config.toml --json"))
    check.add_argument("action", choices=("check",))
    check.add_argument("--json", action="store_true", help="print the config with defaults")
    check.set_defaults(func=cmd_config_check)

    store = sub.add_parser(
        "store", parents=[common],
        help="check the store file, recover a damaged one, or restore a backup",
        description="check: read the whole file now and say whether it is sound (the kiosk "
                    "does this when it starts and daily; `kiosk scan` trusts a check of the "
                    "last day); exit code 3 when it is damaged. recover: rebuild a damaged "
                    "store from the rows SQLite can still read, table by table. The damaged "
                    "file is kept beside it; the report says how many entries were saved "
                    "and lost. restore BACKUP: put a backup (kiosk.db.vN.bak: going back "
                    "after an upgrade) in the store's place, checked first; the replaced "
                    "file and its -wal/-shm are kept beside it. Stop the kiosk first. Exit "
                    "code 3 when recovery or restore cannot run.",
        **examples("kiosk store check",
                   "kiosk store recover --config /etc/checkpoint-kiosk/config.toml",
                   "kiosk store restore /var/lib/checkpoint-kiosk/kiosk.db.v5.bak"))
    store.add_argument("action", choices=("check", "recover", "restore"))
    store.add_argument("backup", nargs="?", help="restore: the backup file to put back")
    store.set_defaults(func=cmd_store)

    if command not in OWN_COMMANDS:
        add_command_groups(sub, common, ("kiosk.devices.commands", "kiosk.sync.commands",
                                         "kiosk.sync.enrol_commands", "kiosk.doctor",
                                         "kiosk.certificates.commands"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = next((w for w in words if not w.startswith("-")), None)
    return run_command(build_parser(command), words,
                       failure="kiosk.store:StoreError,sqlite3:DatabaseError",
                       label="cli.store_error", exit_code=EXIT_STORE)


if __name__ == "__main__":
    sys.exit(main())
