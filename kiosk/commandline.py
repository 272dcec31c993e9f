"""What the ``kiosk`` and ``kiosk-central`` commands share: loading the config, opening the
store, subcommand groups living beside their subsystem, help that ends with examples, a
progress line, durations, and one answer for an optional package that is not installed.

A group module defines ``register(subparsers, common_parent_parser)`` adding its parsers
with ``set_defaults(func=...)``, where ``func(args) -> int`` is the exit code. This module
imports only the standard library and :mod:`kiosk.messages` at load time (``kiosk --help``
stays instant); the config and the store are imported by the helpers that need them.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeVar

from kiosk import messages

if TYPE_CHECKING:
    from kiosk.central.storage import Storage
    from kiosk.config import Config, ConfigError
    from kiosk.store import Store

log = logging.getLogger(__name__)
NumberT = TypeVar("NumberT", int, float)

EXIT_FAILED = 1
EXIT_USAGE = 2
"""Wrong config file, wrong arguments, or a package the command needs is not installed."""
EXIT_STORE = 3
EXIT_BINDING = 4
"""``kiosk run``: a Qt binding that would abort the kiosk (:mod:`kiosk.ui.binding`); only
installing another version helps, so the kiosk's unit does not start it again."""
EXIT_TEMPFAIL = 75
"""``serve`` at a database it cannot reach yet (PostgreSQL still starting at boot): the one
storage failure systemd restarts it after (sysexits' EX_TEMPFAIL); its 2 and 3 (a wrong
address, no centre there, an upgrade it may not make) are not, or it restarted for ever."""
EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C (SIGINT): 128 + its number, as a shell reports it."""
EXIT_TERMINATED = 143
"""Stopped by SIGTERM (a service stop, ``timeout``): 128 + its number."""

EXTRAS: dict[str, tuple[str, str]] = {
    "requests": ("requests", "sync"),
    "zstandard": ("zstandard", "sync"),
    "orjson": ("orjson", "sync"),
    "evdev": ("evdev", "devices"),
    "serial": ("pyserial", "devices"),
    "cv2": ("opencv-python-headless", "camera"),
    "zxingcpp": ("zxing-cpp", "camera"),
    "pyzbar": ("pyzbar", "camera"),
    "numpy": ("numpy", "camera"),
    "PySide6": ("PySide6", "ui"),
    "tomlkit": ("tomlkit", "ui"),
    "fastapi": ("fastapi", "server"),
    "uvicorn": ("uvicorn", "server"),
    "psycopg": ("psycopg", "server"),
    "psycopg_pool": ("psycopg-pool", "server"),
    "openpyxl": ("openpyxl", "server"),
    "jinja2": ("jinja2", "server"),
    "argon2": ("argon2-cffi", "server"),
    "itsdangerous": ("itsdangerous", "server"),
    "segno": ("segno", "server"),
}
"""Importable name → (package on PyPI, extra of setup.cfg that installs it)."""


def missing_extra(exc: ImportError) -> str | None:
    """Both languages' "install X" advice when ``exc`` is an optional package missing."""
    name = (exc.name or "").partition(".")[0]
    if not isinstance(exc, ModuleNotFoundError) or name not in EXTRAS:
        return None
    package, extra = EXTRAS[name]
    return messages.both("cli.missing_extra", package=package, extra=extra)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is (:func:`stop_on_term`)."""


@contextlib.contextmanager
def stop_on_term() -> Iterator[None]:
    """While in it, SIGTERM raises :class:`Terminated`, as Ctrl-C raises KeyboardInterrupt:
    a command writing a file then deletes what it had half written, either way. Left to
    its default, SIGTERM ends the process where it stands and the part stays, full
    identities in it."""
    import signal

    def stop(*_: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def stops_held() -> Iterator[None]:
    """While in it, SIGTERM and Ctrl-C are let pass without effect: a step that must end
    whole — the audit row saying a file was written, which may wait up to the store's busy
    timeout for a running kiosk's lock — ends, and the command ends right after it anyway.
    Left to SIGTERM's default, a whole export file stayed with no record that it was made.
    A signal the process ignores (SIGINT in a background job) stays ignored."""
    import signal

    held = [signum for signum in (signal.SIGINT, signal.SIGTERM)
            if signal.getsignal(signum) is not signal.SIG_IGN]
    previous = {signum: signal.signal(signum, lambda *_: None) for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def fail(message: str, code: int) -> SystemExit:
    """Print ``message`` on stderr; the SystemExit to raise with ``code``."""
    print(message, file=sys.stderr)
    return SystemExit(code)


def load_config(path: str) -> Config:
    """The validated config, or exit 2 naming the key, the value and what was expected: in
    the language the file states, else in both."""
    from kiosk import config as config_mod

    try:
        config = config_mod.load(path)
    except config_mod.ConfigError as exc:
        raise fail(config_refusal(path, exc), EXIT_USAGE) from None
    _reader.language, _reader.store = config.kiosk.language, config.store_path
    return config


class _Reader:
    """Whom the running command speaks to, once it loaded its config (:func:`load_config`):
    the config's language and store. A failure in the middle of the command
    (:func:`run_command`) is worded for them."""

    language: str | None = None
    store: Path | None = None


_reader = _Reader()


def config_refusal(path: str | Path, exc: ConfigError) -> str:
    """``config error: …`` for ``exc`` (:func:`in_config_language`)."""
    return in_config_language(path, lambda language: refusal_in(language, exc))


def refusal_in(language: str, exc: ConfigError) -> str:
    """``config error: …`` in ``language``: a config loaded, then refused by what it names
    (a ``[store] path`` that loops), in the language it states, as :func:`config_refusal`
    words a file refused at loading."""
    return f"{messages.text('cli.config_error', language)}: {exc.text(language)}"


def in_config_language(path: str | Path, say: Callable[[str], str]) -> str:
    """What ``say`` words about the config at ``path``, in the language the file states,
    else in both, each a whole sentence (``lỗi cấu hình: … / config error: …``): a
    technician who chose English reads only English, also about a file refused."""
    from kiosk import config as config_mod

    language = config_mod.stated_language(path)
    return " / ".join(say(language)
                      for language in ((language,) if language else messages.LANGUAGES))


def open_store(config: Config, *, check: bool = False, reading: bool = False,
               read_when_full: bool = False) -> Store:
    """The kiosk's store, or exit 3 with the path, the reason and what to do
    (:func:`store_failure`). ``check``: refuse a
    damaged file, for commands that record (a scan must never be shown as accepted into a
    damaged database): the whole file is read once (``quick_check``) unless a check found
    it sound within the last day (``Store.verified_recently``: the running kiosk checks
    daily), so the command stays instant on a big store. ``reading``: the
    command only reads, so a store that cannot be written (read-only mount, file or folder
    without write permission) is opened read-only, saying so on stderr, instead of
    refused; so is one on a disk too full for SQLite to open it for writing
    (``kiosk.store.shm_not_grown``: read in exclusive locking mode, ``Store.exclusive``),
    saying so. ``read_when_full``: that last only (``kiosk sync export``: the backlog file
    is written all the same, its entries not marked exported)."""
    import sqlite3

    from kiosk.store import Store, StoreError, shm_not_grown, writable

    path = config.store_path
    read_only = reading and path.is_file() and not writable(path)
    language = config.kiosk.language
    try:
        try:
            store = Store(path, timezone=config.timezone, read_only=read_only)
        except StoreError as exc:
            if not (reading or read_when_full) or read_only or not shm_not_grown(exc):
                raise
            log_cause(exc)  # SQLite's English, for -v
            store = Store(path, timezone=config.timezone, read_only=True)
    except (StoreError, OSError, sqlite3.Error) as exc:
        raise fail(store_failure(path, exc, language), EXIT_STORE) from None
    if store.exclusive:
        print(messages.text("cli.store_disk_full_reading", language, path=path,
                            folder=path.parent), file=sys.stderr)
    elif read_only:
        print(messages.text("cli.store_read_only", language, path=path), file=sys.stderr)
    try:
        damage = store.verify() if check and not store.verified_recently() else None
    except StoreError as exc:  # another program holds the file: nothing known of it
        store.close()
        raise fail(store_failure(path, exc, language), EXIT_STORE) from None
    if damage:
        store.close()
        raise fail(store_failure(path, damage, language), EXIT_STORE)
    if config.sync.token or config.sync.token_file:  # every command's open: the id is real
        store.note_configured(config.kiosk.id)
    return store


_WAYS_OUT = {
    "sqlite.damaged": "cli.store_damaged", "sqlite.not_a_database": "cli.store_damaged",
    "sqlite.busy": "cli.store_busy",
    **dict.fromkeys(("os.denied", "os.not_permitted", "os.read_only", "sqlite.read_only",
                     "sqlite.cannot_open", "store.not_writable"), "cli.store_access"),
    **dict.fromkeys(("os.loop", "os.not_a_folder", "os.missing", "os.is_a_folder",
                     "os.not_a_file", "store.foreign"), "cli.store_path"),
    "store.log_wrong_kind": "cli.store_log_wrong_kind",
    **dict.fromkeys(("os.disk_full", "store.disk_full"), "cli.store_disk_full"),
    **dict.fromkeys(("os.io", "os.stale", "store.disk_error"), "cli.store_disk"),
}
"""Why the store could not be opened (a code of :func:`kiosk.store.failure_words`, or the
StoreError's own) → what the technician does about it."""


def store_failure(path: Path, problem: BaseException | str, language: str) -> str:
    """``store error: PATH: reason`` in ``language``, then what to do when the reason tells
    (damaged: ``kiosk store recover``; locked: close the other program; denied: the file's
    owner or mode; …). ``problem``: what opening, checking or recovering the store raised,
    or the damage a whole-file check found (``Store.verify``'s findings). The system's or
    SQLite's own words are English: never in the sentence, logged instead (``kiosk -v``)."""
    from kiosk.store import failure_words

    if isinstance(problem, str):
        system: object = problem
        words = messages.Words("sqlite.damaged")
    else:
        system = _system_error(problem)
        words = _reason(failure_words(problem, Path(path)), Path(path))
    if system is not None:
        log.info("%s: %s", path, system)
    label = messages.text("cli.store_error", language)
    reason = words(language)
    text = f"{label}: {reason}" if reason.startswith(f"{path}:") else \
        f"{label}: {path}: {reason}"
    detail = words.params.get("detail")
    way_out = _WAYS_OUT.get((detail if isinstance(detail, messages.Words) else words).code)
    if way_out:
        text += "\n" + messages.text(way_out, language, path=path, folder=Path(path).parent)
    return text


_WRITE_REFUSED = {"store.disk_full": "os.disk_full", "store.busy": "sqlite.busy",
                  "store.busy_kiosk": "sqlite.busy",
                  "store.disk_read_only": "sqlite.read_only", "store.disk_error": "os.io"}
"""A write the store refused (:func:`kiosk.store.write_failure`: the officer's sentence,
"scans are not saved; each next scan is tried again…") → the reason as a command's reader
reads it, before what to do (:data:`_WAYS_OUT`)."""


def _reason(words: messages.Words, path: Path | None) -> messages.Words:
    """``words`` as the reason of a command's failure: a write the store refused said as
    the disk's or the lock's reason; SQLite's refusal of anything else by its result code
    (``store.sqlite`` carries SQLite's English)."""
    from kiosk.store import failure_words

    if words.code in _WRITE_REFUSED:
        return messages.Words(_WRITE_REFUSED[words.code])
    detail = words.params.get("detail")
    if words.code == "store.sqlite" and isinstance(detail, BaseException):
        return failure_words(detail, path)
    return words


def log_cause(error: BaseException) -> None:
    """Log what the system, SQLite or PostgreSQL said under a worded failure, in their own
    (English) words: the reader is shown the words only; ``-v`` shows this too."""
    cause = _system_error(error)
    if cause is not None:
        log.info("%s: %s", type(cause).__name__, str(cause).strip())


def _system_error(error: BaseException) -> BaseException | None:
    """The error the system or SQLite raised under ``error``, in their own words."""
    while isinstance(error, messages.WordedError):
        if error.__cause__ is None:
            return None
        error = error.__cause__
    return error


def open_central(url: str, *, create: bool = False, busy_timeout: float = 10.0,
                 pool_size: int = 8, statement_timeout: float | None = None,
                 busy_exit: int = EXIT_STORE) -> Storage:
    """The centre's storage at ``url``, or exit 3 with the reason (``busy_exit`` when it is
    only busy or not reachable yet).

    Only ``create`` (``kiosk-central init``) makes a database that is not there, and says so
    on stderr; any other command given a wrong address answered from a new empty one ("0
    contacts", a report of zeros, exit 0), ``serve`` had kiosks upload to it, and ``kiosks
    add`` enrolled a kiosk (its token printed) into a centre no server read."""
    from kiosk.central.backends import database_place, open_storage
    from kiosk.central.storage import StorageBusy, StorageError

    try:
        storage = open_storage(url, busy_timeout=busy_timeout, pool_size=pool_size,
                               statement_timeout=statement_timeout, create=create)
    except (StorageError, OSError) as exc:
        log_cause(exc)
        raise fail(f"{messages.both('cli.storage_error')}: {exc}",
                   busy_exit if isinstance(exc, StorageBusy) else EXIT_STORE) from None
    if storage.created:
        print(messages.both("central.database_created", where=database_place(url)),
              file=sys.stderr, flush=True)
    return storage


def refuse_empty_centre(storage: Storage) -> None:
    """Exit 1 before a report or trace of a centre holding nothing (no checkpoint, no
    entry): its answer could only be 0, most likely from the wrong ``--db``, and a 06:00
    timer that wrote zeros and exited 0 would look done in ``systemctl status``."""
    from kiosk.central.backends import database_place

    if storage.holds_nothing():
        raise fail(messages.both("central.no_registry", where=database_place(storage.url)),
                   EXIT_FAILED)


def central_output(output: str | None, url: str, *, force: bool, example: str) -> None:
    """Exit 2, naming the file, when ``output`` (a command's ``-o FILE``) is the centre's
    SQLite database at ``url`` or one of its side files by any name
    (:func:`kiosk.private_files.output_over_store`: written, it would replace every entry
    the centre holds), a folder (with or without ``--force``: a trace would be run and
    recorded for an answer with nowhere to go; ``example``: a file name to give in it), in
    a folder that is not there, or, without ``--force``, a file already there
    (:func:`kiosk.private_files.existing_output`). Asked before the database is opened
    (opening it makes its log) and before the command does its work."""
    from kiosk.central.backends import sqlite_file
    from kiosk.private_files import existing_output, output_over_store

    if not output:
        return
    database = sqlite_file(url)
    over = output_over_store(output, database) if database is not None else None
    if refusal := over or existing_output(output, force=force, example=example):
        raise fail(messages.both(refusal.code, **refusal.params), EXIT_USAGE)


# -- parsers ------------------------------------------------------------------------------
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROLS |= {0x2028: "\\u2028", 0x2029: "\\u2029"}


def terminal_text(text: str) -> str:
    """Text a scanned code carried (a name, a document number), as a terminal line shows
    it: its control characters — an escape sequence that retitles or clears the terminal,
    a line break — written out as escapes, never obeyed. Whoever made the code chose them."""
    return text.translate(_CONTROLS)


class ArgumentRefused(messages.WordedError, argparse.ArgumentTypeError):
    """An argument's value refused by its type function: argparse shows it after the
    argument's name, which :class:`CommandParser` words in each language around it."""


_ARGPARSE_REFUSALS = tuple((re.compile(pattern, re.DOTALL), code) for pattern, code in (
    (r"unrecognized arguments: (?P<arguments>.*)", "cli.args.unrecognized"),
    (r"the following arguments are required: (?P<arguments>.*)", "cli.args.required"),
    (r"invalid choice: (?P<value>.*) \(choose from (?P<choices>.*)\)",
     "cli.args.invalid_choice"),
    (r"invalid (?P<type>\S+) value: (?P<value>.*)", "cli.args.invalid_value"),
    (r"expected one argument", "cli.args.expected_one"),
    (r"expected at most one argument", "cli.args.expected_at_most_one"),
    (r"expected at least one argument", "cli.args.expected_at_least_one"),
    (r"not allowed with argument (?P<argument>.*)", "cli.args.not_allowed_with"),
    (r"one of the arguments (?P<arguments>.*) is required", "cli.args.one_required"),
    (r"ignored explicit argument (?P<value>.*)", "cli.args.ignored_explicit"),
    (r"ambiguous option: (?P<option>.*?) could match (?P<matches>.*)", "cli.args.ambiguous"),
))
"""argparse's (Python 3.11) English refusals, as its templates write them → the catalogue's
wording, each blank a named group."""


def argparse_words(message: str) -> messages.Words | None:
    """argparse's English ``message`` as the catalogue words it; None for one not known
    (shown as argparse wrote it, not guessed)."""
    for pattern, code in _ARGPARSE_REFUSALS:
        if match := pattern.fullmatch(message):
            return messages.Words(code, match.groupdict())
    return None


def _argument_words(error: argparse.ArgumentError) -> messages.Words | None:
    """``argument --x: …`` worded: the reason our type function gave (:class:`ArgumentRefused`,
    what argparse made the message of), else argparse's own, matched. A reason that names
    the option itself (``--limit '٣': expected a whole number…``) is not named twice."""
    refused = error.__context__
    reason = refused.words if isinstance(refused, ArgumentRefused) and \
        str(refused) == error.message else argparse_words(error.message)
    name = error.argument_name
    if reason is None or name is None or reason.params.get("option") in name.split("/"):
        return reason
    return messages.Words("cli.args.argument", {"argument": error.argument_name,
                                                "message": reason})


class CommandParser(argparse.ArgumentParser):
    """argparse's parser refusing a command line in both languages, the technician's and
    the operator's: usage, then ``prog: lỗi / error: <vi> / <en>``, exit 2, as argparse
    does in English. Subcommands' parsers are of the same class (argparse makes them of
    their parent's), so are their refusals. An argparse message not known is shown as is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs, exit_on_error=False)  # its parts reach us

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        try:
            parsed, rest = super().parse_known_args(args, namespace)
        except argparse.ArgumentError as error:
            self.refuse(_argument_words(error) or str(error))
        self._refuse_undecodable(parsed)
        return parsed, rest

    def _refuse_undecodable(self, parsed: argparse.Namespace) -> None:
        """Refuse any text value (every option's, those added later too) holding bytes that
        are not UTF-8 (a Latin-1 terminal): Python keeps them as surrogates, which no file,
        database or terminal takes (a UnicodeEncodeError midway: the audit row of
        ``kiosk entries --operator``), shown around the first such byte. A payload is read as
        bytes (:func:`payload_argument`), whatever they are; a file to read by its name
        (:class:`FileName`) is opened as the system names it."""
        for action in self._actions:
            value = getattr(parsed, action.dest, None)
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str) and not isinstance(text, FileName) \
                        and not text.isascii():
                    try:
                        text.encode()
                    except UnicodeEncodeError as exc:
                        at = max(0, exc.start - 20)
                        excerpt = ("'…" if at else "'") + messages.shown_name(
                            text[at:exc.start + 20]) + ("…'" if exc.start + 20 < len(text)
                                                        else "'")
                        self.refuse(messages.Words("cli.not_utf8", {
                            "option": argparse._get_action_name(action), "value": excerpt}))

    def error(self, message: str) -> NoReturn:
        self.refuse(argparse_words(message) or message)

    def refuse(self, reason: messages.Words | str) -> NoReturn:
        self.print_usage(sys.stderr)
        said = reason if isinstance(reason, str) else messages.both(reason.code,
                                                                    **reason.params)
        self.exit(EXIT_USAGE, f"{self.prog}: {messages.both('cli.args.error')}: {said}\n")


class FileName(str):
    """A file to read, named on the command line as the system gives it: any bytes a file
    system holds (a FAT stick mounted as Latin-1, a name made on Windows), those that are not
    UTF-8 kept as Python's surrogates. Opened as it is (``kiosk-central import
    /media/usb/*.backlog`` must not refuse the good files for one odd name); shown, written or
    stored only through :func:`kiosk.messages.shown_name`."""


def payload_argument(text: str) -> bytes:
    """A payload as typed, or ``hex:…`` for raw bytes; checked by argparse, so a bad argument
    is refused before any file is touched."""
    if not text.startswith("hex:"):
        return text.encode("utf-8", "surrogateescape")
    try:
        return bytes.fromhex(text[4:])
    except ValueError as exc:
        raise ArgumentRefused("cli.bad_hex", value=repr(text[:40]), reason=exc) from None


def stdin_payload() -> bytes:
    """A code given as ``-`` (``trace --payload -``, ``audit list --code -``): read from
    standard input, all of it but a final line end (``hex:…`` as on the command line). A
    code in the command line — a CCCD's holds the name, birth date, address and issue date
    — is readable by every local user (/proc/PID/cmdline) and kept in the shell's history."""
    text = sys.stdin.buffer.read().removesuffix(b"\n").removesuffix(b"\r")
    return payload_argument(text.decode("utf-8", "surrogateescape"))


def output_path_argument(text: str) -> str:
    """The argparse type of every option naming a file or folder a command writes (``--to``,
    ``-o``, ``--out-dir``, ``--save``, ``--token-file``): refused when empty, as an unset
    shell variable gives it (``--to "$STICK"``), before anything is read or written; else a
    traceback, or the working folder taken for it."""
    if not text:
        raise ArgumentRefused("cli.empty_path")
    return text


FIRST_DAY = dt.date.min + dt.timedelta(days=1)
LAST_DAY = dt.date.max - dt.timedelta(days=1)
"""The days a command takes: a day's bounds need the next day's midnight, and a zone's offset
moves a time by up to a day, so on the calendar's first or last day either can fall outside
it (an OverflowError, a traceback)."""


def day_argument(text: str) -> dt.date:
    """A local day ``YYYY-MM-DD`` from :data:`FIRST_DAY` to :data:`LAST_DAY`."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentRefused("cli.bad_day", value=repr(text)) from None
    return _within_calendar(day, text)


def moment_argument(text: str) -> dt.date | dt.datetime:
    """A local day ``YYYY-MM-DD`` or a time ``YYYY-MM-DDTHH:MM`` (local unless it states
    its offset), from :data:`FIRST_DAY` to :data:`LAST_DAY`."""
    if len(text) == 10:
        return day_argument(text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentRefused("cli.bad_moment", value=repr(text)) from None
    _within_calendar(moment.date(), text)
    return moment


def _within_calendar(day: dt.date, text: str) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ArgumentRefused("cli.day_outside_calendar", value=repr(text), first=FIRST_DAY,
                              last=LAST_DAY)
    return day


def _number_argument(option: str, message: str,
                     read: Callable[[str], NumberT | None]) -> Callable[[str], NumberT]:
    """The argparse type of ``option``: ``read``'s number, else refused in both languages by
    ``message`` naming ``option`` and the value (not in argparse's own English)."""
    def parse(text: str) -> NumberT:
        number = read(text)
        if number is None:
            raise ArgumentRefused(message, option=option, value=repr(text[:40]))
        return number

    return parse


def _whole_number(text: str) -> int | None:
    """``text``'s ASCII digits as a number, else None (the protocol's reading, imported when
    an argument is read so that building the parsers stays instant)."""
    from kiosk.sync.protocol import whole_number

    return whole_number(text)


def whole_number_argument(option: str, least: int = 0,
                          most: int | None = None) -> Callable[[str], int]:
    """The argparse type of ``option``, a count or size: ASCII digits only, from ``least``
    to ``most`` (a port's 65535; 1 where 0 would run nothing and end in a traceback).
    ``int`` reads "٣" as 3 and takes "+5"; none of these options has a use for a minus
    sign."""
    if least == 0 and most is None:
        return _number_argument(option, "cli.bad_whole_number", _whole_number)

    def read(text: str) -> int:
        number = _number_argument(option, "cli.bad_whole_number", _whole_number)(text)
        if number < least or (most is not None and number > most):
            raise ArgumentRefused(
                "cli.whole_number_range", option=option, value=repr(text[:40]), least=least,
                most="…" if most is None else most)
        return number

    return read


def decimal_number_argument(option: str, *, zero: bool = False,
                            most: float | None = None) -> Callable[[str], float]:
    """The argparse type of ``option``, a number of seconds or hours: ASCII digits with at
    most one "." and digits after it (as many as ``str(1 / 3600)`` writes), above 0 unless
    ``zero`` (where 0 means "no limit" or "at once"), at most ``most`` (where a larger one
    overflows later: a lock wait the database cannot take, a date past the calendar).
    ``float`` takes "٣", "+5", "1e3", "1_0", "inf" and "nan"."""
    def read(text: str) -> float | None:
        whole, dot, fraction = text.partition(".")
        if _whole_number(whole) is None or (dot and not (fraction.isascii()
                                                          and fraction.isdigit())):
            return None
        number = float(text)
        return number if number > 0 or zero else None

    parse = _number_argument(
        option, "cli.bad_decimal_number" if zero else "cli.bad_positive_number", read)
    if most is None:
        return parse

    beyond = "cli.whole_number_range" if zero else "cli.positive_number_range"

    def bounded(text: str) -> float:
        number = parse(text)
        if number > most:
            raise ArgumentRefused(beyond, option=option, value=repr(text[:40]), least=0,
                                  most=most)
        return number

    return bounded


def examples(*lines: str) -> dict[str, Any]:
    """``add_parser`` keywords giving a help text that ends with runnable ``lines``."""
    return {"epilog": "Examples / Ví dụ:\n" + "\n".join(f"  {line}" for line in lines),
            "formatter_class": argparse.RawDescriptionHelpFormatter}


def command_parser(prog: str, description: str, example_lines: Sequence[str], *,
                   option: str, **option_keywords: Any
                   ) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser,
                              argparse._SubParsersAction]:
    """A command's parser (``-v``, help ending with ``example_lines``, refusals in both
    languages: :class:`CommandParser`), the parent parser
    that gives every subcommand ``option`` (``--config``, ``--db``), and its subcommands."""
    parser = CommandParser(prog=prog, description=description, **examples(*example_lines))
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(option, **option_keywords)
    return parser, common, parser.add_subparsers(dest="command", required=True)


def add_command_groups(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser,
                       modules: Iterable[str]) -> None:
    """Let each of ``modules`` that is installed register its subcommands; skip missing ones.

    Only the module itself being absent is skipped: an import error inside it is raised.
    """
    for module in modules:
        try:
            register = __import__(module, fromlist=["register"]).register
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        register(subparsers, common)


def run_command(parser: argparse.ArgumentParser, argv: Sequence[str] | None, *,
                failure: str, label: str, exit_code: int) -> int:
    """Parse ``argv`` and run the subcommand; ``-v`` logs details to stderr.

    A closed pipe (``| head``) ends quietly with 0; the exception named by ``failure``
    (``"module:Class"``, not imported for this: a command that never loaded the module
    cannot raise it) becomes one line ``label: reason`` on stderr (``label``: a catalogue
    code, worded in both languages: no config is read yet) and ``exit_code``; an
    optional package the command needs and does not find is named, with how to install
    it, and exits 2.
    """
    args = parser.parse_args(argv)
    _reader.language = _reader.store = None
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0
    except ModuleNotFoundError as exc:
        advice = missing_extra(exc)
        if advice is None:
            raise
        print(advice, file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        said = failed_midway(exc, label)
        if said is not None:
            print(said[0], file=sys.stderr)
            return said[1]
        for spec in failure.split(","):
            module, _, name = spec.partition(":")
            loaded = sys.modules.get(module)
            if loaded is not None and isinstance(exc, getattr(loaded, name)):
                break
        else:
            raise
        log_cause(exc)
        print(f"{messages.both(label)}: {exc}", file=sys.stderr)
        return exit_code


def failed_midway(exc: Exception, label: str = "cli.store_error") -> tuple[str, int] | None:
    """What the reader reads, and the exit code, when the store or the system failed a
    command after it started: SQLite's or the store's failure (the disk filled, a damaged
    page read, another program's lock) as opening the store says it (:func:`store_failure`,
    exit 3); the system refusing another file (the output on a full disk) as ``the command
    did not finish: FILE: reason`` (exit 1). In the config's language, once the command
    loaded it, else in both (``label``: what the failure is called then). The system's and
    SQLite's own English only in the log (``-v``). None for anything else."""
    import sqlite3

    store_module = sys.modules.get("kiosk.store")  # not imported: not raised
    failures = (sqlite3.Error, OSError, *((store_module.StoreError,) if store_module else ()))
    if not isinstance(exc, failures):
        return None
    languages = (_reader.language,) if _reader.language else messages.LANGUAGES
    if isinstance(exc, OSError) and not _of_store(exc.filename):
        log.info("%s", exc, exc_info=exc)  # where, for a report: -v
        words = messages.os_words(exc)
        return " / ".join(messages.text(
            "cli.failed", language, reason=f"{exc.filename}: {words(language)}"
            if exc.filename else words(language)) for language in languages), EXIT_FAILED
    words = exc.words if isinstance(exc, messages.WordedError) else None
    path = words.params.get("path") if words is not None else None
    path = path if isinstance(path, str | Path) else _reader.store
    if path is None:  # no config loaded: no store known
        log.info("%s", _system_error(exc))
        from kiosk.store import failure_words

        reason = _reason(failure_words(exc), None)
        return " / ".join(f"{messages.text(label, language)}: "
                          f"{reason(language)}" for language in languages), EXIT_STORE
    return "\n".join(store_failure(Path(path), exc, language)
                     for language in languages), EXIT_STORE


def _of_store(filename: object) -> bool:
    """Whether the system's error names the store of the config loaded, or a file SQLite
    keeps beside it."""
    if _reader.store is None or not isinstance(filename, str | bytes | Path):
        return False
    name = str(Path(os.fsdecode(filename)))
    return any(name == f"{_reader.store}{suffix}" for suffix in ("", "-wal", "-shm",
                                                                  "-journal"))


# -- output -------------------------------------------------------------------------------
def listed(items: Sequence[Any], *, as_json: bool, none: str) -> bool:
    """The start of every ``list`` command: with ``as_json``, print the items' fields as
    JSON for scripts; with no items, the catalogue's ``none`` sentence. True when the
    caller still has to show the items to a person."""
    if as_json:
        print(json.dumps([dataclasses.asdict(i) for i in items], ensure_ascii=False, indent=1))
        return False
    if not items:
        print(messages.both(none))
        return False
    return True


def print_table(columns: str, layout: str, rows: Iterable[Sequence[object]],
                languages: Sequence[str] = messages.LANGUAGES) -> None:
    """Rows laid out by ``layout`` (a format string) under their header, one header line per
    language (``columns``: a catalogue code, see :func:`messages.table_header`)."""
    for line in messages.table_header(columns, layout, languages):
        print(line)
    for row in rows:
        print(layout.format(*row).rstrip())


def format_duration(seconds: float | None) -> str:
    """``0:42``, ``3:28:21``, ``4 d 2 h``; ``?`` when unknown."""
    if seconds is None:
        return "?"
    whole = round(seconds)
    if whole >= 2 * 86400:
        return f"{whole // 86400} d {whole % 86400 // 3600} h"
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else \
        f"{rest // 60}:{rest % 60:02d}"


BAR_WIDTH = 24
TTY_REDRAW_SECONDS = 0.1
PLAIN_EVERY_SECONDS = 10.0


class ProgressBar:
    """A progress line for long transfers (``kiosk sync push``, ``kiosk-central import``).

    On a TTY: one line redrawn in place (bar, count, rate, ETA) at most ten times a second.
    Anywhere else (a log file, a pipe, a CI job): a plain line at every tenth of the way and
    at least every ten seconds, so logs stay readable and still show a stalled transfer.
    """

    def __init__(self, label: str, total: int = 0, *, unit: str = "entries",
                 stream: TextIO | None = None) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._drawn = 0.0
        self._tenth = -1
        self._last = (0, total)
        self._shown: tuple[int, int] | None = None

    def update(self, done: int, total: int, *, final: bool = False) -> None:
        now = time.monotonic()
        self._last = (done, total)
        if final and not self.tty and self._shown == self._last:
            return
        tenth = 10 * done // total if total else 10
        if not final:
            if self.tty and now - self._drawn < TTY_REDRAW_SECONDS:
                return
            if not self.tty and tenth == self._tenth and now - self._drawn < PLAIN_EVERY_SECONDS:
                return
        self._drawn, self._tenth, self._shown = now, tenth, (done, total)
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 and total >= done else None
        share = done / total if total else 1.0
        counts = f"{done:,}/{total:,} {self.unit}  {rate:,.0f}/s  ETA {format_duration(eta)}"
        if self.tty:
            filled = int(BAR_WIDTH * share)
            bar = "█" * filled + "░" * (BAR_WIDTH - filled)
            self.stream.write(f"\r{self.label} {share:4.0%} {bar} {counts}\x1b[K")
        else:
            self.stream.write(f"{self.label}: {share:.0%} {counts}\n")
        self.stream.flush()

    def finish(self) -> None:
        """Draw the final state and end the line."""
        self.update(*self._last, final=True)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def local_time(text: str, store: Store) -> str:
    from kiosk.timestamps import parse_utc

    return parse_utc(text).astimezone(store.timezone).strftime("%Y-%m-%d %H:%M:%S")


def audit_actor(args: argparse.Namespace, config: Config) -> str:
    """Who the audit log names: --operator, else the config's operator, else the account
    running the command (from the system's user database when $USER is unset, as under
    systemd or cron), never an anonymous "?"."""
    if args.operator or config.kiosk.operator:
        return str(args.operator or config.kiosk.operator)
    return running_account()


def running_account() -> str:
    """The account running the command, from the system's user database when $USER is
    unset (systemd, cron)."""
    import pwd

    try:
        account = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        account = f"uid {os.getuid()}"
    return os.environ.get("USER") or account
