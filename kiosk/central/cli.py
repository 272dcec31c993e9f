"""The ``kiosk-central`` command: run the collection server and manage enrolled kiosks.

Every command takes ``--db`` (default: $KIOSK_CENTRAL_DB, else sqlite:///central.db).
Subcommand groups living beside their subsystem (``kiosk/central/importer.py``) are picked up
automatically: such a module defines ``register(subparsers, common_parent_parser)``. The
server's packages (FastAPI, uvicorn, psycopg) are imported by the commands that use them.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import ipaddress
import json
import logging
import math
import os
import shlex
import signal
import socket
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.central.shares import CPU_BURST_SECONDS, ENTRIES_PER_HOUR, CpuShares, EntryBudget
from kiosk.commandline import (
    EXIT_STORE,
    EXIT_TEMPFAIL,
    EXIT_USAGE,
    ArgumentRefused,
    add_command_groups,
    command_parser,
    decimal_number_argument,
    examples,
    listed,
    missing_extra,
    open_central,
    print_table,
    run_command,
    whole_number_argument,
)
from kiosk.config import names_this_machine, plain_http
from kiosk.messages import both
from kiosk.sync import protocol

if TYPE_CHECKING:
    from kiosk.central.storage import Kiosk, Storage
    from kiosk.enrolment import EnrolmentCode

EXIT_STORAGE = EXIT_STORE
CLOCK_WARNING_SECONDS = 120
"""A kiosk whose last batch arrived with a larger clock offset is flagged in ``kiosks list``."""
MAX_POOL = 100
"""The most PostgreSQL connections one ``serve`` may hold (the server's default
max_connections)."""
MAX_WORKERS = 64
"""The most processes one ``serve --workers`` starts."""
_PR_SET_PDEATHSIG = 1
"""prctl option: a signal the kernel sends when the parent process ends."""


def default_db() -> str:
    return os.environ.get("KIOSK_CENTRAL_DB", "sqlite:///central.db")


# -- serve --------------------------------------------------------------------------------
LARGE_BLOCK_BYTES = 1 << 20


def return_large_blocks() -> None:
    """Have glibc give every block of 1 MiB or more back to the system when it is freed.

    By default glibc raises that threshold to the largest block freed so far (up to
    32 MiB), after which such blocks are carved from per-thread arenas that keep up to
    64 MiB each once freed: a few large bodies parsed on the request threads left the
    server holding hundreds of MiB (docs/benchmarks.md, the abuse benchmark). A fixed
    threshold turns that adjustment off. Elsewhere than glibc, nothing to do."""
    import ctypes
    import ctypes.util

    m_trim_threshold, m_mmap_threshold = -1, -3  # malloc.h
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(m_mmap_threshold, LARGE_BLOCK_BYTES)
    mallopt(m_trim_threshold, 2 * LARGE_BLOCK_BYTES)


def _pool_size(text: str) -> int:
    """A number of database connections (more than PostgreSQL's usual max_connections
    makes no sense)."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_POOL:
        raise ArgumentRefused("cli.bad_pool", value=repr(text), most=MAX_POOL)
    return int(text)


MAX_STATEMENT_SECONDS = 86400
MAX_BUSY_SECONDS = 86400
"""The longest ``--busy-timeout``, a day as a statement's: PostgreSQL's ``lock_timeout``
takes at most 2**31 - 1 ms (24.8 days), SQLite's ``busy_timeout`` an int of ms."""
MAX_CODE_HOURS = 720
"""The longest ``--valid-hours`` (30 days, for a kiosk shipped far): an enrolment code is a
secret on paper or a screen until it is used, and 1e12 hours is past the calendar."""


def _statement_timeout(text: str) -> float:
    """Seconds one PostgreSQL statement may run: at least a millisecond (0 ms is "no limit"
    to PostgreSQL, a negative one fails every connection), finite, at most a day."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0.001 <= seconds <= MAX_STATEMENT_SECONDS:  # false for nan
        raise ArgumentRefused("cli.bad_statement_timeout", value=repr(text),
                              most=MAX_STATEMENT_SECONDS)
    return seconds


def _workers(text: str) -> int:
    """A number of serving processes (1 to MAX_WORKERS)."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise ArgumentRefused("cli.bad_workers", value=repr(text), most=MAX_WORKERS)
    return int(text)


def _trusted_proxies(text: str) -> str:
    """Addresses and networks (``10.0.0.5,10.0.1.0/24``) whose ``X-Forwarded-For`` and
    ``X-Forwarded-Proto`` are believed, or ``*`` (everyone: only when no client can reach the
    port but through the proxy; the client is then the last address it forwards). Checked
    here: uvicorn would take a mistyped one as a name that never matches, and every client
    would then count as the balancer."""
    items = [item.strip() for item in text.split(",")]
    if items != ["*"]:
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ArgumentRefused("cli.bad_proxies", value=repr(item)) from None
    return ",".join(items)


def cmd_serve(args: argparse.Namespace) -> int:
    # The server's packages first: a missing one is told before the database is opened or
    # migrated, and the forked workers inherit them.
    import uvicorn  # noqa: F401

    import kiosk.central.app  # noqa: F401
    from kiosk.central import received_mark

    logging.getLogger("kiosk.central").setLevel(args.log_level.upper())
    return_large_blocks()
    opened = _open_for_serving(args)  # migrates the database and makes the key, once
    if opened is None:
        return EXIT_USAGE
    storage, backlog_key = opened
    if backlog_key is None:
        print(both("central.backlog_key_unset"), file=sys.stderr, flush=True)
    elif restored := _restored_database(args, storage):
        print(received_mark.words(restored), file=sys.stderr, flush=True)
        received_mark.keep_warning(storage, restored)  # on the dashboard till acknowledged
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it every answer waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        sock.listen(2048)  # connections queue from now on, before uvicorn is up
    except OSError as exc:
        storage.close()
        print(both("central.cannot_listen", address=f"{args.host}:{args.port}", error=exc),
              file=sys.stderr)
        return EXIT_USAGE
    port = sock.getsockname()[1]
    # The one line scripts and tests wait for (--port 0 picks a free port).
    print(both("central.listening", url=f"http://{args.host}:{port}", db=args.db), flush=True)
    if args.workers == 1:
        return _serve(args, sock, storage, backlog_key)
    storage.close()  # database connections and the pool's threads do not survive a fork
    return _supervise(args, sock)


def _open_for_serving(args: argparse.Namespace) -> tuple[Storage, Any] | None:
    """The storage (migrated) and the centre's backlog key (None if unset); None after
    saying why the key cannot be opened."""
    from kiosk.central.backlog_key import CentreKeyError, open_key

    # never a new centre: a mistyped --db had kiosks upload to an empty one, and reports
    # miss every earlier entry (kiosk-central init starts one)
    storage = open_central(args.db, busy_timeout=args.busy_timeout,
                           pool_size=args.db_pool, statement_timeout=args.statement_timeout,
                           busy_exit=EXIT_TEMPFAIL)
    path = _key_file(args)
    try:
        return storage, open_key(storage, path, create=True) if path is not None else None
    except CentreKeyError as exc:
        storage.close()
        print(f"{both('central.no_backlog_key')}: {exc}", file=sys.stderr)
        return None


def _key_file(args: argparse.Namespace) -> Path | None:
    """Where ``serve``'s backlog key is (None: not said, PostgreSQL with no option)."""
    from kiosk.central.backlog_key import default_path

    return Path(args.backlog_key) if args.backlog_key else default_path(args.db)


def _restored_database(args: argparse.Namespace, storage: Storage) -> dict[str, str] | None:
    """The facts of the warning that ``storage`` lacks uploads this centre had stored (a
    backup put back), from the mark beside its key file
    (:mod:`kiosk.central.received_mark`)."""
    from kiosk.central import received_mark

    key = _key_file(args)
    return None if key is None else received_mark.restored_database(storage, key)


def cmd_init(args: argparse.Namespace) -> int:
    """Start a new, empty centre at ``--db`` (saying so), upgrade an older one's schema (as
    its tables' owner, before the servers start on new software), or say one is there; and
    its id, which tells it apart from another database given the same backlog key."""
    from kiosk.central.backends import database_place
    from kiosk.central.backlog_key import centre_id
    from kiosk.central.schema import MIGRATIONS

    with open_central(args.db, create=True) as storage:
        if storage.upgraded_from is not None:
            print(both("central.init_upgraded", where=database_place(args.db),
                       old=storage.upgraded_from, new=len(MIGRATIONS)))
            if storage.upgrade_backup is not None:
                print(both("central.init_upgrade_backup", path=storage.upgrade_backup,
                           old=storage.upgraded_from))
        elif not storage.created:
            print(both("central.init_already", where=database_place(args.db)))
        print(both("central.init_centre_id", id=centre_id(storage)))
    return 0


class _LastForwarded:
    """Under ``--forwarded-allow-ips '*'``, the client is the last ``X-Forwarded-For`` entry,
    the one the proxy in front appended. uvicorn's ``*`` believes the first, which the client
    wrote itself (nginx's ``$proxy_add_x_forwarded_for`` appends to what it sent): a stranger
    could then be counted under the owner's address and lock her out from her own computer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            said = [value for key, value in scope["headers"] if key == b"x-forwarded-for"]
            headers = [(key, value) for key, value in scope["headers"]
                       if key != b"x-forwarded-for"]
            if said:
                headers.append((b"x-forwarded-for", b",".join(said).rsplit(b",", 1)[-1].strip()))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def _serve(args: argparse.Namespace, sock: socket.socket, storage: Storage,
           backlog_key: Any) -> int:
    """Answer on ``sock`` until told to stop (SIGTERM, SIGINT)."""
    import uvicorn
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from kiosk.central.app import create_app
    from kiosk.central.derivation import Background

    app = create_app(storage, max_body=args.max_body, max_decoded=args.max_decoded,
                     backlog_key=backlog_key, shares=CpuShares(burst=args.kiosk_cpu_burst),
                     budget=EntryBudget(args.kiosk_entries_per_hour),
                     received_mark=_key_file(args) if backlog_key is not None else None)
    everyone = args.forwarded_allow_ips == "*"
    served = _LastForwarded(ProxyHeadersMiddleware(app, trusted_hosts="*")) if everyone else app
    gc.freeze()  # what start-up built lives for good: full collections skip it
    server = uvicorn.Server(uvicorn.Config(served, log_level=args.log_level, access_log=False,
                                           proxy_headers=not everyone,
                                           forwarded_allow_ips=args.forwarded_allow_ips))
    # uvicorn puts back the handlers it found and raises the signal again once it has shut
    # down: with the default ones the process died there (SIGTERM: exit 143, SIGINT: a
    # traceback), before the derivation step stopped and the store closed (a SQLite centre's
    # -wal left unmerged). Its own handler, found there, only notes the stop; one arriving
    # before uvicorn is up stops it as soon as it is, and one during the cleanup waits for it.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, server.handle_exit)
    derive = Background(storage) if args.derive else None
    try:
        if derive:
            derive.start()
        server.run(sockets=[sock])
    finally:
        if derive:
            derive.stop()
        storage.close()
    return 0


def _supervise(args: argparse.Namespace, sock: socket.socket) -> int:
    """``--workers`` processes answering on the one listening ``sock`` (the kernel hands
    each connection to one of them), each with its own database connections: Python runs
    one request's work at a time per process, so one process uses one core at most.

    SIGTERM or SIGINT stops them all. A worker that ends by itself takes the others down
    with it and the command fails, so that the init system restarts a whole server rather
    than leaving one serving at a fraction of its capacity."""
    workers: set[int] = set()
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stops = {signal.SIGTERM, signal.SIGINT}
    parent = os.getpid()
    for _ in range(args.workers):
        if stopping:  # told to stop while starting: start no more
            break
        # held back over the fork: a stop arriving then reaches the parent's handler once
        # the worker is known, never the copy of that handler in the new worker
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        pid = os.fork()
        if pid == 0:  # the worker: its own storage, app and event loop
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _end_with(parent)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
                opened = _open_for_serving(args)
                code = _serve(args, sock, *opened) if opened else EXIT_USAGE
            except BaseException:  # said here: os._exit below leaves no traceback
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        workers.add(pid)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
    code = 0
    try:
        while workers:
            pid, status = os.wait()
            workers.discard(pid)
            if not stopping:
                code = os.waitstatus_to_exitcode(status) or 1
                print(both("central.worker_ended", pid=pid, status=code), file=sys.stderr,
                      flush=True)
                stop(signal.SIGTERM, None)
    finally:  # whatever happens here, no worker is left behind
        stop(signal.SIGTERM, None)
    return code


def _end_with(parent: int) -> None:
    """In a worker: be sent SIGTERM when the server process ends, however it ends (SIGKILL,
    the OOM killer), so that no worker is left answering on the port a restarted server must
    listen on (Linux's PR_SET_PDEATHSIG); if it already ended, end now."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:
        os._exit(1)


# -- kiosks -------------------------------------------------------------------------------
def cmd_kiosks_add(args: argparse.Namespace) -> int:
    from kiosk.central import registry
    from kiosk.central.audit import Actor, command_actor
    from kiosk.central.enrol import enrol_kiosk, registry_in_use
    from kiosk.central.storage import EnrolmentError

    if args.qr:  # before the kiosk is added: a refused command changes nothing
        problem = _qr_problem(args.qr, args.server_url, args.allow_plain_http)
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_USAGE
        _qr_address_warnings(args.server_url)
    with open_central(args.db) as storage:
        point = registry.checkpoint(storage, args.checkpoint)
        try:
            kiosk, token = enrol_kiosk(storage, checkpoint_id=args.checkpoint, name=args.name,
                                       by=Actor(command_actor(), "cli"),
                                       kiosk_id=args.kiosk_id,
                                       checkpoint_name=args.checkpoint_name,
                                       new_checkpoint=args.new_checkpoint)
        except EnrolmentError as exc:
            print(both("central.cannot_enrol", error=exc), file=sys.stderr)
            if exc.words.code == "enrolment.unregistered_checkpoint":
                print(both("central.new_checkpoint_hint"), file=sys.stderr)
            return EXIT_USAGE
        if point is None:
            print(both("central.checkpoint_created", checkpoint=kiosk.checkpoint_id),
                  file=sys.stderr)
        elif not point.district and registry_in_use(storage):  # made before the import
            print(both("central.checkpoint_no_district", checkpoint=kiosk.checkpoint_id),
                  file=sys.stderr)
        if args.qr:
            return _enrolment_code(args, storage, kiosk)
    if args.json:
        print(json.dumps({"kiosk_id": kiosk.id, "checkpoint_id": kiosk.checkpoint_id,
                          "name": kiosk.name, "token": token}))
        return 0
    _enrolled(kiosk)
    print(f"{both('central.token_once')}:")
    print(f"  {token}")
    _kiosk_config(kiosk)
    return 0


KIOSK_CONFIG = ('  [kiosk]  id = "{kiosk}"   checkpoint_id = "{checkpoint}"\n'
                '  [sync]   enabled = true   token_file = "sync-token"')
"""What goes into the kiosk's config.toml (TOML: the same in every language): the token in
a file of its own, 0600, where ``kiosk enrol`` puts it — not inline, in a config.toml often
readable by all (``kiosk config check`` warns then)."""


def _kiosk_config(kiosk: Kiosk) -> None:
    print(f"{both('central.on_the_kiosk')}:")
    print(KIOSK_CONFIG.format(kiosk=kiosk.id, checkpoint=kiosk.checkpoint_id))
    print(both("central.token_file_hint"))


def _enrolled(kiosk: Kiosk) -> None:
    print(f"{both('central.enrolled')}: {kiosk.id} ({kiosk.name}) "
          f"{both('central.at_checkpoint')} {kiosk.checkpoint_id}")


QR_KINDS = (".png", ".svg")
"""What ``--qr`` writes, told by the file's suffix (segno's other kinds take no scale)."""


def _qr_problem(path: str, url: str | None, allow_plain_http: bool) -> str | None:
    """Why ``--qr path`` with ``--server-url url`` cannot be written (None: it can), asked
    before anything changes: a file of another kind, or in a folder that is not there (a
    stick not mounted), would fail only once the kiosk is added or its token replaced; a
    plain ``http://`` address of another machine without ``--allow-plain-http``; segno,
    which draws it, not installed (said with how to install it, not as a traceback once
    the kiosk is added)."""
    from kiosk.private_files import existing_output

    try:
        import segno  # noqa: F401  (drawn later, once the kiosk is added)
    except ModuleNotFoundError as exc:
        return missing_extra(exc)
    if Path(path).suffix.lower() not in QR_KINDS:
        return both("central.qr_bad_suffix", path=path)
    if (refusal := existing_output(path, force=True, example="kiosk.png")) is not None:
        return refusal.worded(None)
    return _server_url_problem(url, allow_plain_http)


def _server_url_problem(url: str | None, allow_plain_http: bool) -> str | None:
    """Why ``url`` cannot go into an enrolment QR (None: it can). There is no default: a
    kiosk given the centre's own 127.0.0.1 would only ever reach itself."""
    from urllib.parse import urlsplit

    if not url:
        return both("central.qr_needs_url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return both("central.qr_bad_url", url=url)
    if plain_http(url) and not allow_plain_http:
        return both("central.qr_plain_http", url=url)
    return None


def _qr_address_warnings(url: str) -> None:
    """Said as the QR is made: an address only this machine reaches, or a plain
    ``http://`` one of another machine allowed (``--allow-plain-http``), loudly."""
    if names_this_machine(url):
        print(both("central.qr_loopback", url=url), file=sys.stderr)
    elif plain_http(url):
        print(both("central.qr_plain_http_allowed", url=url), file=sys.stderr)


def _enrolment_code(args: argparse.Namespace, storage: Storage, kiosk: Kiosk) -> int:
    """Write the QR of a one-time enrolment code instead of showing the token (which is
    made anew when the kiosk exchanges the code)."""
    import datetime as dt

    from kiosk.central.enrol import enrolment_code

    code = enrolment_code(storage, kiosk, args.server_url,
                          valid_for=dt.timedelta(hours=args.valid_hours))
    qr = _write_qr(args.qr, code)
    if not args.json:
        _enrolled(kiosk)
    return _show_code(args, kiosk, code, qr)


def _write_qr(path: str, code: EnrolmentCode) -> Any:
    """The QR written 0600: it carries a one-time secret that enrols a kiosk until it
    expires, as a token file does."""
    import io

    import segno

    from kiosk.private_files import replace_file

    qr = segno.make_qr(code.text(), error="m")
    picture = io.BytesIO()
    qr.save(picture, kind=Path(path).suffix.lower()[1:], scale=8, border=4)
    replace_file(path, picture.getvalue(), output=True)
    return qr


def _show_code(args: argparse.Namespace, kiosk: Kiosk, code: EnrolmentCode, qr: Any,
               **more: Any) -> int:
    """The code written to ``args.qr`` (QR, drawn too, and its text), or as JSON."""
    if args.json:
        print(json.dumps({"kiosk_id": kiosk.id, "checkpoint_id": kiosk.checkpoint_id,
                          "name": kiosk.name, "qr": args.qr, "expires_at": code.expires_at,
                          "code": code.text(), **more}))
        return 0
    print(f"{both('central.qr_written', expires=code.expires_at)}: {args.qr}")
    qr.terminal(compact=True)
    print(f"{both('central.or_type')}:")
    print("  " + shlex.join(["kiosk", "enrol", "--code", code.text()]))
    return 0


def cmd_kiosks_list(args: argparse.Namespace) -> int:
    from kiosk.central import heartbeat, set_aside_rows

    with open_central(args.db) as storage:
        kiosks = storage.kiosks()
        copied = heartbeat.copied(storage)
        set_aside = set_aside_rows.held(storage)
    if not listed(kiosks, as_json=args.json, none="central.no_kiosks"):
        return 0
    print_table("central.columns.kiosks", "{:20} {:16} {:24} {:>9}  {:27} {:>14}  {}", (
        (k.id, k.checkpoint_id, both(f"central.state.{'active' if k.active else 'revoked'}"),
         k.entries, k.last_seen_at or "-", _offset(k.last_clock_offset), k.name)
        for k in kiosks))
    if any(k.last_clock_offset is not None and abs(k.last_clock_offset) > CLOCK_WARNING_SECONDS
           for k in kiosks):
        print(f"! {both('central.clock_warning', seconds=CLOCK_WARNING_SECONDS)}")
    for kiosk in kiosks:
        if kiosk.active and kiosk.id in copied:
            print(f"! {kiosk.id}: {both('web.problem.token_copied')}")
            for s in copied[kiosk.id]:
                print("    " + both("web.detail.token_source", boot=s["boot_id"] or "-",
                                    address=s["address"] or "-", first=s["first_seen_at"],
                                    last=s["last_seen_at"],
                                    pending="-" if s["pending"] is None else s["pending"]))
        for s in set_aside.get(kiosk.id, []):
            print(f"- {kiosk.id}: " + both("web.detail.set_aside", boot=s["boot_id"],
                                           entries=s["entries"]))
    return 0


def cmd_kiosks_sources(args: argparse.Namespace) -> int:
    """Where a kiosk's calls came from: its machines (boot id, address, first and last
    heard, backlog) and its batches by boot id and address — a copied token's included."""
    from kiosk.central import heartbeat

    with open_central(args.db) as storage:
        if storage.kiosk(args.kiosk_id) is None:
            print(both("central.unknown_kiosk", kiosk=args.kiosk_id), file=sys.stderr)
            return EXIT_USAGE
        found = heartbeat.calls(storage, args.kiosk_id)
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=1))
        return 0
    print_table("central.columns.sources", "{:1} {:38} {:39} {:27} {:27} {:>9}", (
        ("*" if s["current"] else "", s["boot_id"] or "-", s["address"] or "-",
         s["first_seen_at"], s["last_seen_at"], "-" if s["pending"] is None else s["pending"])
        for s in found["sources"]))
    print()
    print_table("central.columns.source_batches", "{:38} {:39} {:>8} {:>9} {:27} {:27}", (
        (b["boot_id"] or "-", b["address"] or "-", b["batches"], b["accepted"],
         b["first_received_at"], b["last_received_at"]) for b in found["batches"]))
    return 0


def cmd_kiosks_set_aside(args: argparse.Namespace) -> int:
    """Set aside (``--undo``: bring back) the entries of a kiosk's batches sent from one
    boot id — a copied token's — out of counts, reports and traces, kept; audited. Refused
    (exit 2, nothing changed): an unknown kiosk or source, no reason."""
    from kiosk.central import audit, copied_sources

    undo = args.undo
    act = copied_sources.bring_back if undo else copied_sources.set_aside
    with open_central(args.db) as storage:
        if storage.kiosk(args.kiosk_id) is None:
            print(both("central.unknown_kiosk", kiosk=args.kiosk_id), file=sys.stderr)
            return EXIT_USAGE
        try:
            moved = act(storage, args.kiosk_id, args.source, reason=args.reason,
                        by=audit.Actor(audit.command_actor(), "cli"))
        except audit.AuditError as exc:
            print(both("central.set_aside_refused", detail=exc), file=sys.stderr)
            return EXIT_USAGE
        except copied_sources.UnknownSource:
            print(both("central.not_set_aside" if undo else "central.unknown_source",
                       kiosk=args.kiosk_id, boot=args.source), file=sys.stderr)
            return EXIT_USAGE
    if args.json:
        print(json.dumps({"kiosk_id": args.kiosk_id, "boot_id": args.source,
                          "set_aside": not undo, **moved.answer()}))
        return 0
    print(both("central.brought_back" if undo else "central.set_aside", kiosk=args.kiosk_id,
               boot=args.source, entries=moved.entries, days=", ".join(moved.days) or "-"))
    if moved.kept:
        print(both("central.set_aside_kept", kiosk=args.kiosk_id, kept=moved.kept))
    if not undo:
        print(f"! {both('central.set_aside_revoke', kiosk=args.kiosk_id, boot=args.source)}")
    return 0


def _offset(seconds: float | None) -> str:
    """A kiosk's last clock offset, flagged with ``!`` beyond the warning."""
    if seconds is None:
        return "-"
    return f"{seconds:+.1f} s" + (" !" if abs(seconds) > CLOCK_WARNING_SECONDS else "")


def cmd_kiosks_revoke(args: argparse.Namespace) -> int:
    from kiosk.central.audit import Actor, command_actor
    from kiosk.central.enrol import revoke_kiosk

    with open_central(args.db) as storage:
        kiosk = storage.kiosk(args.kiosk_id)
        if kiosk is None:
            print(both("central.unknown_kiosk", kiosk=args.kiosk_id), file=sys.stderr)
            return EXIT_USAGE
        if not revoke_kiosk(storage, kiosk, by=Actor(command_actor(), "cli")):
            print(both("central.already_revoked", kiosk=args.kiosk_id))
            return 0
    print(f"{both('central.revoked')}: {args.kiosk_id} — "
          f"{both('central.token_refused_from_now')}")
    return 0


def cmd_kiosks_signing_key(args: argparse.Namespace) -> int:
    """Show a kiosk's backlog signing key, or (an audited administrator's act) set or clear
    it: the centre never replaces a registered key on a kiosk's own word."""
    from kiosk.central import audit
    from kiosk.sync import backlog_keys

    with open_central(args.db) as storage:
        if storage.kiosk(args.kiosk_id) is None:
            print(both("central.unknown_kiosk", kiosk=args.kiosk_id), file=sys.stderr)
            return EXIT_USAGE
        if args.set is None and not args.reset:
            if args.compromised:
                print(both("central.compromised_alone"), file=sys.stderr)
                return EXIT_USAGE
            held = storage.signing_key(args.kiosk_id)
            print(both("central.signing_key", kiosk=args.kiosk_id,
                       fingerprint=backlog_keys.fingerprint(held[0]), at=held[1],
                       key=backlog_keys.encode(held[0])) if held else
                  both("central.no_signing_key", kiosk=args.kiosk_id))
            for retired in storage.retired_signing_keys(args.kiosk_id):
                print("  " + both("central.signing_key_retired", fingerprint=retired.fingerprint,
                                  at=retired.retired_at, reason=retired.reason))
            return 0
        try:
            reason = audit.check_reason(args.reason)
            key = backlog_keys.signing_public(args.set) if args.set is not None else None
        except (audit.AuditError, backlog_keys.BadKey) as exc:
            print(both("central.signing_key_refused", detail=exc), file=sys.stderr)
            return EXIT_USAGE
        new = backlog_keys.raw(key) if key is not None else None
        previous = storage.signing_key(args.kiosk_id)
        change = (f"{backlog_keys.fingerprint(previous[0]) if previous else '—'} → "
                  f"{backlog_keys.fingerprint(new) if new else '—'}")
        audit.append_action(storage, "signing-key", actor=audit.command_actor(),
                            channel="cli", address=None, reason=reason,
                            subject=f"kiosk {args.kiosk_id} backlog signing key {change}"
                                    + (", compromised: old keys forgotten"
                                       if args.compromised else ""))
        forgotten = len(storage.retired_signing_keys(args.kiosk_id)) + (
            previous is not None and previous[0] != new) if args.compromised else 0
        retired = storage.replace_signing_key(args.kiosk_id, new, reason,
                                              compromised=args.compromised)
    print(both("central.signing_key_changed", kiosk=args.kiosk_id, change=change))
    if args.compromised:
        print(both("central.signing_key_forgotten", kiosk=args.kiosk_id, count=forgotten))
    elif retired is not None:
        print(both("central.signing_key_still_importable", kiosk=args.kiosk_id,
                   fingerprint=backlog_keys.fingerprint(retired)))
    return 0


def cmd_kiosks_token(args: argparse.Namespace) -> int:
    """Give an enrolled kiosk a new token, or a one-time code for one, under its own id
    (an audited administrator's act): its old token is refused from now on and a revoked
    kiosk is restored. Refused (exit 2, nothing changed): an unknown kiosk, no reason, a
    QR file neither .png nor .svg or without a usable --server-url."""
    import datetime as dt

    from kiosk.central import audit
    from kiosk.central.enrol import prepare_reissue, reissue

    if args.qr:
        problem = _qr_problem(args.qr, args.server_url, args.allow_plain_http)
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_USAGE
    with open_central(args.db) as storage:
        kiosk = storage.kiosk(args.kiosk_id)
        if kiosk is None:  # the kiosk's 401 sends its technician here
            print(both("central.token_unknown_kiosk", kiosk=args.kiosk_id), file=sys.stderr)
            return EXIT_USAGE
        try:
            reason = audit.check_reason(args.reason)
        except audit.AuditError as exc:
            print(both("central.token_not_issued", detail=exc), file=sys.stderr)
            return EXIT_USAGE
        if args.qr:
            _qr_address_warnings(args.server_url)
        prepared = prepare_reissue(kiosk, args.server_url if args.qr else None,
                                   valid_for=dt.timedelta(hours=args.valid_hours))
        code = prepared.code
        qr = _write_qr(args.qr, code) if code is not None else None  # a path it cannot
        # write refuses the command before anything changes
        given = (f"one-time enrolment code until {code.expires_at}" if code is not None
                 else "new token")

        def record(tx: Any, revoked_at: str | None) -> None:
            """The act as its transaction found the kiosk, not as read before it."""
            state = f"revoked {revoked_at}, restored" if revoked_at else "active"
            audit.append_action(storage, "kiosk-token", actor=audit.command_actor(),
                                channel="cli", address=None, reason=reason, tx=tx,
                                subject=f"kiosk {kiosk.id} ({state}): {given}; old token "
                                        f"refused")

        try:
            was_revoked_at = reissue(storage, prepared, record=record)
        except BaseException:
            if args.qr and code is not None:  # its code was never stored: not to be handed out
                with contextlib.suppress(OSError):
                    Path(args.qr).unlink()
            raise
    restored = ({"was_revoked_at": was_revoked_at} if args.json else {})
    if code is not None:
        if not args.json:
            print(both("central.token_by_code", kiosk=kiosk.id))
            _restored(kiosk, was_revoked_at)
        return _show_code(args, kiosk, code, qr, **restored)
    if args.json:
        print(json.dumps({"kiosk_id": kiosk.id, "checkpoint_id": kiosk.checkpoint_id,
                          "name": kiosk.name, "token": prepared.token, **restored}))
        return 0
    print(both("central.token_reissued", kiosk=kiosk.id))
    _restored(kiosk, was_revoked_at)
    print(f"{both('central.token_once')}:")
    print(f"  {prepared.token}")
    _kiosk_config(kiosk)
    return 0


def _restored(kiosk: Kiosk, revoked_at: str | None) -> None:
    if revoked_at:
        print(both("central.revocation_lifted", kiosk=kiosk.id, at=revoked_at))


# -- parser -------------------------------------------------------------------------------
def _token_output_arguments(parser: argparse.ArgumentParser) -> None:
    """How ``kiosks add`` and ``kiosks token`` hand over what they made: the token printed,
    as JSON, or a one-time enrolment QR."""
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--qr", metavar="FILE.png|FILE.svg",
                        help="write a one-time enrolment QR there instead of printing the "
                             "token")
    parser.add_argument("--server-url",
                        help="the centre's address as the kiosk reaches it, put in the QR "
                             "(required with --qr)")
    parser.add_argument("--allow-plain-http", action="store_true",
                        help="allow a plain http:// --server-url of another machine (a lab, a "
                             "VPN): the code's secret, the token and people's data then cross "
                             "the network unencrypted (the kiosk must enrol with `kiosk enrol "
                             "--allow-plain-http`)")
    parser.add_argument("--valid-hours", default=24.0,
                        type=decimal_number_argument("--valid-hours", most=MAX_CODE_HOURS),
                        help=f"hours the enrolment code may be used (at most "
                             f"{MAX_CODE_HOURS}; default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser, common, sub = command_parser(
        "kiosk-central", "Central collection server for checkpoint kiosks",
        ("kiosk-central init --db sqlite:////var/lib/kiosk-central/central.db   # once",
         "kiosk-central serve --db sqlite:////var/lib/kiosk-central/central.db",
         'kiosk-central kiosks add --checkpoint CP-QL1A --name "Chốt QL1A - làn 1"   '
         "# a point of the registry (checkpoints import)",
         "kiosk-central serve --help   # each command's help ends with examples"),
        option="--db", default=default_db(),
        help="database URL: sqlite:////absolute/path.db, sqlite:///path/from/here.db or "
             "postgresql://user@host/db (default: $KIOSK_CENTRAL_DB or sqlite:///central.db); "
             "only init makes one that is not there")

    init = sub.add_parser(
        "init", parents=[common],
        help="start a new, empty centre: its database (tables), once, before the first serve",
        description="Make the centre's database at --db (a SQLite file, or the tables in an "
                    "empty PostgreSQL database). serve never makes one: given a database "
                    "that is not there it refuses. A centre already there is upgraded to "
                    "this version's schema (run it as the tables' owner), else left as it is.",
        **examples("kiosk-central init --db sqlite:////var/lib/kiosk-central/central.db",
                   "kiosk-central init --db postgresql://kiosk@db-host/central"))
    init.set_defaults(func=cmd_init)

    serve = sub.add_parser(
        "serve", parents=[common], help="run the HTTP collection server",
        description="Run the HTTP server kiosks upload to; prints one line with the address "
                    "once it listens. The centre's database must be there (kiosk-central "
                    "init starts a new one).",
        **examples("kiosk-central serve --db sqlite:////var/lib/kiosk-central/central.db",
                   "kiosk-central serve --host 0.0.0.0 --port 8765 "
                   "--db postgresql://kiosk@db-host/central",
                   "kiosk-central serve --port 0   # any free port; the line says which",
                   "kiosk-central serve --host 0.0.0.0 --forwarded-allow-ips 10.0.0.5   "
                   "# behind a load balancer at 10.0.0.5"))
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=whole_number_argument("--port", most=65535),
                       default=8765, help="port (0 = any free port)")
    serve.add_argument("--max-body", type=whole_number_argument("--max-body"),
                       default=protocol.MAX_BODY_BYTES,
                       help="largest request body as sent, bytes (default: %(default)s)")
    serve.add_argument("--max-decoded", type=whole_number_argument("--max-decoded"),
                       default=protocol.MAX_DECODED_BYTES,
                       help="largest body once decompressed, bytes (default: %(default)s)")
    serve.add_argument("--kiosk-cpu-burst",
                       type=decimal_number_argument("--kiosk-cpu-burst"), default=CPU_BURST_SECONDS,
                       metavar="SECONDS",
                       help="processor seconds one kiosk's batches may have used lately "
                            "before its batches wait (forgotten by half every 4 s; "
                            "default: %(default)s)")
    serve.add_argument("--kiosk-entries-per-hour",
                       type=whole_number_argument("--kiosk-entries-per-hour", least=1),
                       default=ENTRIES_PER_HOUR, metavar="N",
                       help="entries one kiosk may have stored in an hour (a batch or health "
                            "report counts its 2 KiB too if that is more); past it its "
                            "uploads get 429 until it is back under (default: %(default)s)")
    serve.add_argument("--busy-timeout", default=10.0,
                       type=decimal_number_argument("--busy-timeout", most=MAX_BUSY_SECONDS),
                       help="seconds a batch waits for a database lock before the kiosk is "
                            f"told 503 + Retry-After (at most {MAX_BUSY_SECONDS}; default: "
                            "%(default)s)")
    serve.add_argument("--statement-timeout", type=_statement_timeout, metavar="SECONDS",
                       help="PostgreSQL: seconds one statement may run before it is canceled "
                            "and the kiosk told 503 + Retry-After, naming the limit (it then "
                            "sends smaller batches; default: 120)")
    serve.add_argument("--db-pool", type=_pool_size, default=8, metavar="N",
                       help="PostgreSQL connections this process holds at most: N × the "
                            "serve processes must stay below the server's max_connections "
                            "(default: %(default)s; SQLite: one per thread)")
    serve.add_argument("--backlog-key", metavar="FILE",
                       help="the centre's backlog encryption key, made there (0600) the "
                            "first time (default: $KIOSK_CENTRAL_BACKLOG_KEY, else "
                            "central-backlog.key beside the SQLite file; with PostgreSQL "
                            "none unless given)")
    serve.add_argument("--workers", type=_workers, default=1, metavar="N",
                       help="processes answering on the one port, each holding its own "
                            "--db-pool connections: one uses one processor core at most "
                            "(default: %(default)s)")
    serve.add_argument("--no-derive", dest="derive", action="store_false",
                       help="do not derive stays, day sets and document matches in the "
                            "background: readers (reports, traces, purge) still do it first, "
                            "and so does any serve process without this option")
    serve.add_argument("--forwarded-allow-ips", type=_trusted_proxies, metavar="ADDRESSES",
                       default=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
                       help="proxies and load balancers (addresses or networks, comma-"
                            "separated) whose X-Forwarded-For and X-Forwarded-Proto are "
                            "believed: the login limit, the audit log and the HTTPS cookies "
                            "then see the client's (default: $FORWARDED_ALLOW_IPS, else "
                            "127.0.0.1,::1)")
    serve.add_argument("--log-level", default="info",
                       choices=("critical", "error", "warning", "info", "debug"))
    serve.set_defaults(func=cmd_serve)

    kiosks = sub.add_parser(
        "kiosks", help="enrol, list and revoke kiosks, give one a new token",
        **examples('kiosk-central kiosks add --checkpoint CP-QL1A --name "Chốt QL1A - làn 1"',
                   "kiosk-central kiosks list", "kiosk-central kiosks revoke ql1a-01",
                   "kiosk-central kiosks token ql1a-01 --reason 'ticket 42'"))
    ksub = kiosks.add_subparsers(dest="action", required=True)
    add = ksub.add_parser(
        "add", parents=[common], help="enrol a kiosk, print its token once",
        **examples('kiosk-central kiosks add --checkpoint CP-QL1A --name "Chốt QL1A - làn 1" '
                   "--kiosk-id ql1a-01",
                   "kiosk-central kiosks add --checkpoint CP-QL1A --name lane2 --json",
                   "kiosk-central kiosks add --checkpoint CP-QL1A --name lane3 --qr lane3.png "
                   "--server-url https://central.example.vn",
                   "kiosk-central kiosks add --checkpoint CP-QL9 --name lane1 --new-checkpoint"
                   "   # a point the registry lacks yet"))
    add.add_argument("--checkpoint", required=True,
                     help="checkpoint id, one of the registry's (created if the registry "
                          "holds no district yet)")
    add.add_argument("--new-checkpoint", action="store_true",
                     help="create the checkpoint though the registry lacks it (a new point; "
                          "give it a district with `checkpoints edit`)")
    add.add_argument("--name", required=True, help="human name, e.g. 'Chốt QL1A - làn 1'")
    add.add_argument("--kiosk-id", help="kiosk id (default: a random kiosk-xxxxxxxx)")
    add.add_argument("--checkpoint-name", help="name for a new checkpoint (default: its id)")
    _token_output_arguments(add)
    add.set_defaults(func=cmd_kiosks_add)
    lst = ksub.add_parser(
        "list", parents=[common], help="kiosks, last contact, clock offset",
        **examples("kiosk-central kiosks list", "kiosk-central kiosks list --json"))
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_kiosks_list)
    sources = ksub.add_parser(
        "sources", parents=[common],
        help="where a kiosk's calls came from: boot ids, addresses, batches",
        description="For a kiosk flagged as used from several machines (a copied token): "
                    "each machine its token was heard from in the last 30 days (boot id, "
                    "address, first and last heard, entries pending; * = its token now) and "
                    "its batches by boot id and address (as long as the batch log keeps "
                    "them), to tell the copy's entries from the kiosk's.",
        **examples("kiosk-central kiosks sources ql1a-01",
                   "kiosk-central kiosks sources ql1a-01 --json"))
    sources.add_argument("kiosk_id")
    sources.add_argument("--json", action="store_true")
    sources.set_defaults(func=cmd_kiosks_sources)
    for name in ("set-aside", "bring-back"):
        back = name == "bring-back"
        aside = ksub.add_parser(
            name, parents=[common],
            help=("bring back a copied token's entries set aside (audited)" if back else
                  "set aside a copied token's entries: out of counts, reports and traces, "
                  "kept (audited)"),
            description=(
                "Undo `kiosks set-aside`: the source's entries set aside come back as they "
                "were stored, counted and traced again; its later batches are stored as any."
                if back else
                "For a kiosk whose token was copied (flagged token_copied): every entry the "
                "centre stored from the kiosk's batches sent from boot id SOURCE (the copy's, "
                "as `kiosks sources` lists them) is taken out of the counts, day sets, "
                "people, document matches, stays, traces and reports, and kept (never "
                "deleted); a kept monthly report of their months is built again. Batches "
                "from that boot arriving later are set aside as they are stored, answered "
                "as any. Give the genuine kiosk a new token too (`kiosks token`). Needs "
                "--reason; written to the audit log. Idempotent; undone by `kiosks "
                "bring-back` (or --undo)."),
            **examples(*((f"kiosk-central kiosks {name} ql1a-01 --source 3f0c9d2e-… "
                          "--reason 'mã bị sao chép, biên bản 12/2026'",
                          f"kiosk-central kiosks {name} ql1a-01 --source 3f0c9d2e-… "
                          "--reason '…' --json")
                         + (() if back else ("kiosk-central kiosks set-aside ql1a-01 --source "
                                             "3f0c9d2e-… --undo --reason 'nhầm máy'",)))))
        aside.add_argument("kiosk_id")
        aside.add_argument("--source", required=True, metavar="BOOT_ID",
                           help="the boot id the copy's batches came from (kiosks sources)")
        aside.add_argument("--reason", required=True,
                           help="why (a case number or similar), for the audit log")
        aside.add_argument("--json", action="store_true")
        if not back:
            aside.add_argument("--undo", action="store_true", help="as `kiosks bring-back`")
        aside.set_defaults(func=cmd_kiosks_set_aside, undo=back)
    revoke = ksub.add_parser(
        "revoke", parents=[common], help="refuse a kiosk's token",
        **examples("kiosk-central kiosks revoke ql1a-01"))
    revoke.add_argument("kiosk_id")
    revoke.set_defaults(func=cmd_kiosks_revoke)

    token = ksub.add_parser(
        "token", parents=[common],
        help="give an enrolled kiosk a new token, or a one-time code, under its own id "
             "(audited)",
        description="For a kiosk whose token is lost (reinstalled, config reset) or that "
                    "was revoked and is back in safe hands: it keeps its id, so its unsent "
                    "entries are still accepted. The old token is refused from now on — "
                    "with --qr too, until the kiosk has used the code (`kiosk enrol`) — a "
                    "revoked kiosk is no longer revoked, and any earlier enrolment code of it "
                    "not yet used can no longer be. Its backlog signing key is left as is "
                    "(see `kiosks signing-key`). Needs --reason; written to the audit log. "
                    "A machine that is really gone (stolen) stays revoked: enrol its "
                    "replacement under a new id.",
        **examples("kiosk-central kiosks token ql1a-01 --reason 'mất mã sau khi cài lại / "
                   "token lost on reinstall, ticket 42'",
                   "kiosk-central kiosks token ql1a-01 --reason 'ticket 42' --json",
                   "kiosk-central kiosks token ql1a-01 --reason 'máy tìm lại được / found, "
                   "ticket 43' --qr ql1a-01.png --server-url https://central.example.vn"))
    token.add_argument("kiosk_id")
    token.add_argument("--reason", help="why (required: a ticket or case number)")
    _token_output_arguments(token)
    token.set_defaults(func=cmd_kiosks_token)

    signing = ksub.add_parser(
        "signing-key", parents=[common],
        help="show, set or clear a kiosk's backlog signing key (audited)",
        description="A kiosk registers its backlog signing key itself, at enrolment or its "
                    "first contact; the centre then refuses any other key on the kiosk's "
                    "word. When a kiosk really lost its key (reinstalled), clear it "
                    "(--reset: the kiosk registers its new one when it next starts or "
                    "exports) or set the new one read off the kiosk (--set); both need "
                    "--reason and are written to the audit log. The key replaced is kept as "
                    "retired: files the kiosk signed with it stay importable with `import "
                    "--allow-retired-key`, only their entries taken while it was held. If "
                    "the machine was stolen, add --compromised: no old key is kept, and "
                    "revoke the kiosk.",
        **examples("kiosk-central kiosks signing-key ql1a-01",
                   "kiosk-central kiosks signing-key ql1a-01 --reset --reason 'cài lại máy / "
                   "reinstalled, ticket 42'",
                   "kiosk-central kiosks signing-key ql1a-01 --set='-Jq3…=' --reason "
                   "'site without network, key read off the kiosk'",
                   "kiosk-central kiosks signing-key ql1a-01 --reset --compromised --reason "
                   "'máy bị trộm / kiosk stolen, ticket 9'"))
    signing.add_argument("kiosk_id")
    change = signing.add_mutually_exclusive_group()
    change.add_argument("--set", metavar="PUBLIC_KEY",
                        help="the kiosk's public signing key (as `kiosk sync export` prints)")
    change.add_argument("--reset", action="store_true",
                        help="forget the key: the kiosk registers its key at next contact")
    signing.add_argument("--compromised", action="store_true",
                         help="with --reset or --set: the machine was stolen; keep no old "
                              "key, so that no file signed with one is imported again")
    signing.add_argument("--reason", help="why (required to set or reset)")
    signing.set_defaults(func=cmd_kiosks_signing_key)

    add_command_groups(sub, common, ("kiosk.central.importer", "kiosk.central.registry_commands",
                                     "kiosk.central.derivation_commands",
                                     "kiosk.central.report_commands", "kiosk.central.retention",
                                     "kiosk.certificates.centre_commands",
                                     "kiosk.central.trace_commands", "kiosk.central.audit",
                                     "kiosk.central.web.commands"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(build_parser(), argv, failure="kiosk.central.storage:StorageError",
                       label="cli.storage_error", exit_code=EXIT_STORAGE)


if __name__ == "__main__":
    sys.exit(main())
