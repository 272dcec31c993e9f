"""``kiosk doctor``: every check a technician needs, each saying what to do, vi + en.

A check passes, fails, or passes with a warning: something the kiosk runs without but a
technician should look at (no sound card, so no beep; a clock whose synchronisation nothing
can tell; a device that has sent nothing lately). Warnings do not change the exit code.

Read-only: the store is opened read-only (a doctor must not create or migrate it), the
folder's writability is tried with a temporary file that is removed at once, and the
centre is asked only things that change nothing (health, what it registered this kiosk as,
the trust list of a centre too old to say). Exit 0 when every
check passes, 1 otherwise; ``--json`` for scripts.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import importlib.util
import json
import logging
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk.clock import age_of, age_words
from kiosk.commandline import EXIT_FAILED, examples
from kiosk.devices.sysfs import SYSTEM, Roots
from kiosk.messages import CATALOGUE, Number, Tallies, Words, both, os_words, text
from kiosk.timestamps import parse_utc

log = logging.getLogger(__name__)

CLOCK_TOLERANCE_SECONDS = 60.0
PENDING_TOO_OLD = dt.timedelta(days=1)
DEVICE_PATH_KEYS = ("path", "port", "source")
DEVICE_QUIET = dt.timedelta(days=7)
"""How far back a device's last input is looked for (a bounded read of the time index)."""
PROC_ASOUND = Path("/proc/asound")
DEV_SND = Path("/dev/snd")
SYS_DRM = Path("/sys/class/drm")
EDID_HEADER = bytes.fromhex("00ffffffffffff00")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    vi: str
    en: str
    warning: bool = False
    """Passes, but worth a look; never changes the exit code."""


READ_BUSY_SECONDS = 5.0
"""How long a read of the store waits for another program holding it (SQLite's default)."""


def _check(name: str, ok: bool, code: str, *, warning: bool = False, **params: object
           ) -> Check:
    """A check worded from the catalogue's ``code`` (kiosk/messages.py) in both languages."""
    return Check(name, ok, text(code, "vi", **params), text(code, "en", **params),
                 warning and ok)


def run_checks(config_path: Path) -> list[Check]:
    from kiosk import config as config_mod

    try:
        config = config_mod.load(config_path)
    except config_mod.ConfigError as exc:
        return [_check("config", False, "doctor.config_bad", detail=exc)]
    checks = [_check("config", True, "doctor.config_ok", path=config_path)]
    for check in (pin_check(config), title_check(config)):
        if check is not None:
            checks.append(check)
    checks += file_checks(config)
    checks += store_checks(config.store_path, config)
    reader = reader_check(config, config_path)
    if reader is not None:
        checks.append(reader)
    checks += device_checks(config)
    checks.append(clock_sync_check())
    checks.append(wall_clock_check(config.timezone))
    checks += centre_checks(config)
    checks += display_checks()
    screen = screen_size_check(config.kiosk.screen_dpi)
    if screen is not None:
        checks.append(screen)
    checks.append(audio_check())
    return checks


SAMPLE_PIN = "1234"
"""The PIN of the sample config.toml, printed in the docs (and the default)."""


def pin_check(config: Any) -> Check | None:
    """A warning when the screens behind the PIN (technician, sync: scanners turned off,
    the config changed, the backlog exported) open with the sample's PIN, which the docs
    print, or with none: install-kiosk.sh's config keeps it, and nothing said to change
    it. None once it is changed."""
    pin = config.kiosk.pin
    if pin not in (SAMPLE_PIN, ""):
        return None
    return _check("pin", True, "doctor.pin_sample" if pin else "doctor.pin_none",
                  warning=True, pin=pin, config=config.source or "config.toml")


def title_check(config: Any) -> Check | None:
    """A warning while the screen's title is still the sample's "Chốt kiểm soát demo": the
    officers and the people queuing take the kiosk for a demonstration. An enrolment writes
    the centre's kiosk name over it, but a centre of an earlier release sends none, and a
    kiosk never enrolled or set up by hand keeps it without a word. None otherwise."""
    from kiosk.config import SAMPLE_TITLE

    if config.kiosk.checkpoint_name.strip() != SAMPLE_TITLE:
        return None
    return _check("title", True, "doctor.title_sample", warning=True, title=SAMPLE_TITLE,
                  config=config.source or "config.toml")


def file_checks(config: Any) -> list[Check]:
    """A warning for each file holding identities or the kiosk's credentials that group or
    others may read (:func:`kiosk.sync.kiosk_keys.exposures`), as ``kiosk run`` and
    ``config check`` give; one passing check when there is none."""
    from kiosk.sync.kiosk_keys import exposures

    found = exposures(config)
    return [_check(f"files:{words.params['path']}", True, words.code, warning=True,
                   **words.params) for words in found] or [
        _check("files", True, "doctor.files_private")]


def store_checks(path: Path, config: Any) -> list[Check]:
    import shutil
    import sqlite3  # here, not at the top: `kiosk --help` imports this module

    from kiosk.store import wrong_kind

    kind = wrong_kind(path)  # a folder or a pipe there, or as its -wal/-shm: not "no store"
    if kind is not None:
        return [_check("store", False, "doctor.store_unreadable", path=path, detail=kind)]
    if not path.is_file():
        try:
            path.stat()
        except OSError as exc:  # a link loop, a folder that cannot be looked in
            if exc.errno != errno.ENOENT:
                return [_check("store", False, "doctor.store_unreadable", path=path,
                               detail=os_words(exc))]
        return [_check("store", False, "doctor.no_store", path=path)]
    problem = _unwritable(path.parent)
    checks = [_check("store_writable", problem is None,
                     "doctor.writable" if problem is None else "doctor.unwritable",
                     folder=path.parent, problem=problem)]
    try:
        from kiosk.store import (
            MIGRATIONS,
            StoreError,
            failure_words,
            foreign,
            oldest_pending,
            open_reading,
            outbox_counts,
            quick_check,
        )

        conn, full = open_reading(path, timeout=READ_BUSY_SECONDS)
        if full:  # read all the same, alone: the kiosk cannot open it to record
            checks.append(_check("store_opens", False, "doctor.store_disk_full", path=path,
                                 folder=path.parent))
        try:  # the check the kiosk runs at start (integrity_check: 10 times as long)
            other = foreign(conn)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if other is None and version > len(MIGRATIONS):  # a newer kiosk's store
                other = Words("store.schema_newer_here", {"version": version,
                                                           "ours": len(MIGRATIONS)})
            if other is not None:  # another program's database: no "SQLite error"
                return [*checks, _check("store", False, "doctor.store_unreadable", path=path,
                                        detail=other)]
            damage = quick_check(conn, path)
            entries = conn.execute(  # counted, not walked: a page at a million
                f"SELECT coalesce(sum(entries), 0) FROM {outbox_counts(conn)}").fetchone()[0]
            since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H")
            last_day = conn.execute("SELECT count(*) FROM entries WHERE scanned_at >= ?",
                                    (since,)).fetchone()[0]
            oldest = oldest_pending(conn)
            age = age_of(parse_utc(oldest)) if oldest is not None else None
            late = age is not None and age >= PENDING_TOO_OLD
            # named only when late: a test kiosk's fresh scans are no failure to explain
            tests = unenrolled_pending(conn, config) if late else {}
            refused = refused_entries(conn)
        finally:
            conn.close()
    except (sqlite3.Error, StoreError) as exc:
        log.info("%s: %s", path, exc)  # SQLite's English, for -v
        return [*checks, _check("store", False, "doctor.store_unreadable", path=path,
                                detail=failure_words(exc, path))]
    if damage is not None:
        log.info("%s: %s", path, damage)  # SQLite's English findings, for -v
    checks.append(_check("store", damage is None, "doctor.integrity" if damage is None else
                         "doctor.integrity_damaged", path=path))
    free = shutil.disk_usage(path.parent).free
    per_entry = path.stat().st_size / entries if entries else 0
    if last_day and per_entry:
        days = free / (last_day * per_entry)
        checks.append(_check("disk", days >= 30, "doctor.disk_days", gb=Number(free / 1e9, 1),
                             days=Number(days), per_day=Number(last_day)))
    else:
        checks.append(_check("disk", free > 100e6, "doctor.disk_idle", gb=Number(free / 1e9, 1)))
    if oldest is None:
        checks.append(_check("pending", True, "doctor.nothing_pending"))
    else:
        unsendable = {"count": Number(sum(tests.values())), "first": next(iter(tests)),
                      "kiosks": Tallies(tests.items())} if tests else {}
        checks.append(_check("pending", not late, "doctor.oldest_pending_unenrolled"
                             if tests else "doctor.oldest_pending",
                             oldest=_local(oldest, config.timezone),  # as the device lines
                             age=age_words(parse_utc(oldest), _hours), **unsendable))
    checks.append(refused_check(*refused))
    checks += upgrade_copy_checks(path, config.store.retention_days)
    return checks


def upgrade_copy_checks(path: Path, retention_days: int) -> list[Check]:
    """A note for each copy made before an upgrade (``kiosk.db.vN.bak``): it holds the
    personal data of every entry as it was then, outside the store's purge, until the purge
    deletes it (:meth:`kiosk.store.Store._drop_upgrade_copies`); kept meanwhile only to go
    back (``kiosk store restore``)."""
    from kiosk.store import upgrade_copies

    notes = []
    for copy in upgrade_copies(path):
        with contextlib.suppress(OSError):
            made = dt.datetime.fromtimestamp(copy.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            notes.append(_check("upgrade_copy", True, "doctor.upgrade_copy", warning=True,
                                path=copy, made=made, days=retention_days))
    return notes


def unenrolled_pending(conn: Any, config: Any) -> dict[str, int]:
    """Pending entries by kiosk id, of the ids nothing here shows enrolled
    (:func:`kiosk.store.never_enrolled`'s rule, on the doctor's own connection):
    test scans, which only ``kiosk sync discard-unenrolled`` takes out of the queue, or a
    real id whose records are gone (a store older than ``kiosk.configured``), which its
    token sends: the doctor names both ways. Counted by the outbox's counts
    (:func:`kiosk.store.outbox_counts`), as the screens count: walking a backlog of a
    million took seconds."""
    from kiosk.store import enrolment_evidence, outbox_counts

    sync = config.sync
    configured = config.kiosk.id if sync.enabled or sync.token or sync.token_file else None
    waiting = conn.execute(
        f"SELECT kiosk_id, sum(entries) FROM {outbox_counts(conn)} WHERE sync_state IN "
        "('pending', 'sent') GROUP BY kiosk_id HAVING sum(entries) > 0 ORDER BY kiosk_id")
    return {kiosk: count for kiosk, count in waiting.fetchall()
            if kiosk != configured and enrolment_evidence(conn, kiosk) is None}


def refused_entries(conn: Any) -> tuple[int, int, str | None]:
    """How many entries the centre refused sit in the store, and the reason to name with how
    many share it (one as saved, ``sync_error``): a checkpoint the centre did not register
    this kiosk at whenever any was refused for it (:func:`refused_check` fails on it, a
    minority among others too), else the most common; read from the rejected entries' index
    alone."""
    from kiosk.store import outbox_counts

    count = conn.execute(f"SELECT coalesce(sum(entries), 0) FROM {outbox_counts(conn)} "
                         "WHERE sync_state = 'rejected'").fetchone()[0]
    if not count:
        return 0, 0, None
    checkpoint, reason = conn.execute(
        "SELECT count(*), min(sync_error) FROM entries INDEXED BY entries_rejected "
        "WHERE sync_state = 'rejected' AND json_valid(sync_error) AND "
        "json_extract(sync_error, '$.code') = 'refusal.other_checkpoint'").fetchone()
    if checkpoint:
        return count, checkpoint, reason
    most, reason = conn.execute(
        "SELECT count(*), min(sync_error) FROM entries INDEXED BY entries_rejected "
        "WHERE sync_state = 'rejected' GROUP BY CASE WHEN json_valid(sync_error) THEN "
        "json_extract(sync_error, '$.code') ELSE sync_error END ORDER BY 1 DESC LIMIT 1"
    ).fetchone()
    return count, most, reason


def refused_check(count: int, most: int, saved: str | None) -> Check:
    """Entries the centre refused sitting in the store: each is a scan the centre does not
    hold and never will by itself (nothing retries a refused entry). Named: how many, the
    most common reason and the way out. A failure when the reason is this kiosk's
    configuration (a checkpoint the centre did not register it at: every scan is refused,
    and ``retry-rejected --checkpoint`` delivers them once the config is right); a warning
    otherwise — an entry refused for its own content may be one nobody can fix, and must not
    fail the install check for good."""
    from kiosk.messages import saved_words

    if not count:
        return _check("refused", True, "doctor.nothing_refused")
    words = saved_words(saved) if saved else None
    reason: object = (words if words is not None else saved
                      or Words("doctor.unusable_reason"))
    if words is not None and words.code == "refusal.other_checkpoint":
        return _check("refused", False, "doctor.refused_entries", count=Number(count),
                      most=Number(most), reason=reason, fix=Words(
                          "doctor.refused_fix_checkpoint", {"enrolled": words.params["enrolled"]}))
    return _check("refused", True, "doctor.refused_entries", warning=True, count=Number(count),
                  most=Number(most), reason=reason, fix=Words("doctor.refused_fix"))


def _hours(age: dt.timedelta) -> Words:
    return Words("doctor.hours", {"n": f"{age.total_seconds() / 3600:.1f}"})


def _unwritable(folder: Path) -> Words | None:
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return os_words(exc)


def reader_check(config: Any, config_path: Path) -> Check | None:
    """A failure when no ``[[devices]]`` table is enabled (none at all, or every one with
    ``enabled = false``): such a kiosk cannot read a single code. None otherwise: each
    enabled device has its own line (:func:`device_checks`).

    A failure, not a warning, because the doctor's exit code is the technician's "ready
    for the checkpoint": the kiosk is a code reader, and manual entry is the officer's way
    to record a person *without* a code (docs/officer.md), not a way to run a checkpoint —
    neither docs/technician.md nor the sample config.toml describes a kiosk without a
    device, and the officer's screen itself says "No scanner configured". Before, such a
    kiosk passed every check, exit 0. Any enabled kind counts: which one a lane needs is
    the technician's choice, and each is checked on its own line."""
    if any(device.enabled for device in config.devices):
        return None
    why = (Words("doctor.devices_all_off", {"n": len(config.devices)}) if config.devices
           else Words("doctor.no_devices_table"))
    return _check("devices", False, "doctor.no_reader", why=why, config=config_path)


def device_node(device: Any, roots: Roots = SYSTEM) -> tuple[str | None, Words | None]:
    """The node ``device`` opens today and why it cannot be: (path, None) found and
    permitted; (path, why) found, not permitted; (None, why) not found. Found as the running
    kiosk finds it (its kind's ``resolve``): a scanner set by ``usb = "VID:PID"`` or
    ``name = "*Barcode*"``, or a camera set by its index (``source = 0``), was never looked
    for, and passed while unplugged. A kind that finds no node by itself (a replay): its
    ``/dev/`` path as configured, if any."""
    from kiosk.devices.access import access_words
    from kiosk.devices.base import DeviceError
    from kiosk.devices.registry import device_kind, load

    kind = device_kind(device.type)
    discovery = kind.discovery if kind is not None else None
    if discovery is not None and discovery.resolve:
        try:
            path = load(discovery.resolve)(device, roots)
        except DeviceError as exc:  # not there (DeviceMissing), or several match
            return None, exc.words
        if not path:  # a camera's stream or video file: no node to open
            return None, None
        return path, access_words(path, write=discovery.write)
    path = next((str(getattr(device, key)) for key in DEVICE_PATH_KEYS
                 if str(getattr(device, key, "")).startswith("/dev/")), None)
    return path, access_words(path) if path is not None else None


def device_checks(config: Any, roots: Roots = SYSTEM) -> list[Check]:
    """Each enabled device: its node found and permitted (:func:`device_node`), and what it
    last sent and when, from the store (entries and refused scans; no personal data)."""
    checks = []
    for device in config.devices:
        if not device.enabled:
            continue
        path, problem = device_node(device, roots)
        where = f"{device.id} ({path})" if path else device.id
        last = last_input(config.store_path, device.id)
        if last is None and device.type == "replay":  # no test code would help
            heard = Words("doctor.heard_nothing_replay", {
                "days": DEVICE_QUIET.days, "config": config.source or "config.toml"})
        elif last is None:
            heard = Words("doctor.heard_nothing", {"days": DEVICE_QUIET.days})
        else:
            sent = {"what": last[1], "when": _local(last[0], config.timezone)}
            heard = Words("doctor.heard", {**sent, "age": age_words(
                parse_utc(last[0]), _ago)})
        state = Words("doctor.ready") if problem is None else problem
        checks.append(_check(f"device:{device.id}", problem is None,
                             "doctor.device" if path is None and problem is None
                             else "doctor.device_node",
                             warning=last is None, where=where, state=state, heard=heard))
    return checks


def last_input(store_path: Path, device_id: str) -> tuple[str, Words] | None:
    """(UTC time, what it was) of the newest scan from ``device_id`` in the last
    :data:`DEVICE_QUIET`, recorded or refused; None if none (or no readable store)."""
    import sqlite3

    since = (dt.datetime.now(dt.UTC) - DEVICE_QUIET).strftime("%Y-%m-%dT%H:%M:%S")
    try:
        from kiosk.store import open_reading

        conn, _ = open_reading(store_path, timeout=READ_BUSY_SECONDS)
        try:
            entry = conn.execute(
                "SELECT scanned_at, kind, status FROM entries WHERE device_id = ? AND "
                "scanned_at >= ? ORDER BY scanned_at DESC LIMIT 1", (device_id, since)
            ).fetchone()
            refused = conn.execute(
                "SELECT scanned_at, reason_code FROM refused_scans WHERE device_id = ? AND "
                "scanned_at >= ? ORDER BY scanned_at DESC LIMIT 1", (device_id, since)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if refused is not None and (entry is None or refused[0] > entry[0]):
        return refused[0], Words("doctor.sent_refused", {"reason": refused[1]})
    if entry is not None:
        kind = f"kind.{entry[1]}" if f"kind.{entry[1]}" in CATALOGUE else "kind.other"
        return entry[0], Words("doctor.sent_entry", {"kind": Words(kind),
                                                     "status": Words(f"doctor.{entry[2]}")})
    return None


def _local(utc: str, timezone: Any) -> str:
    return parse_utc(utc).astimezone(timezone).strftime("%Y-%m-%d %H:%M")


def _ago(age: dt.timedelta) -> Words:
    minutes = round(age.total_seconds() / 60)
    if minutes < 120:
        return Words("doctor.minutes", {"n": minutes})
    return Words("doctor.hours", {"n": f"{minutes / 60:.0f}"})


def clock_sync_check() -> Check:
    """Whether the system clock is synchronised, as systemd-timesyncd (``timedatectl``) or
    chrony (``chronyc``) says; a warning when neither is installed or answers."""
    answer = _ask(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if answer in ("yes", "no"):
        return _clock_sync("timedatectl", answer == "yes")
    tracking = _ask(["chronyc", "-n", "tracking"])
    if tracking is not None:
        leap = next((line.split(":", 1)[1].strip() for line in tracking.splitlines()
                     if line.startswith("Leap status")), None)
        if leap is not None:
            return _clock_sync("chronyc", leap != "Not synchronised")
    return _check("clock_sync", True, "doctor.clock_unknown", warning=True)


def wall_clock_check(timezone: Any) -> Check:
    """The clock surely wrong (:mod:`kiosk.clock`): before this version's release (a flat
    RTC battery). Fails: every scan recorded meanwhile is filed on the wrong day, or refused.
    Not the newest entry: one written by a clock since set right would fail a right clock."""
    import time

    from kiosk.clock import clock_wrong_now, local_minute

    now = time.time()
    wrong = clock_wrong_now(timezone, now)
    if wrong is None:
        return _check("clock_released", True, "doctor.clock_right",
                      now=local_minute(now, timezone))
    return _check("clock_released", False, "clock.wrong", **wrong.times(timezone))


def _clock_sync(tool: str, synchronised: bool) -> Check:
    return _check("clock_sync", synchronised,
                  "doctor.clock_synced" if synchronised else "doctor.clock_not_synced",
                  tool=tool)


def _ask(command: list[str], timeout: float = 10.0) -> str | None:
    """The command's output, or None when it is missing, fails or hangs."""
    import subprocess

    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def audio_check(proc: Path = PROC_ASOUND, dev: Path = DEV_SND) -> Check:
    """A sound card with a playback device this account may open (for the beeps). None at
    all is a warning: the kiosk works, the officer only sees the answer."""
    from kiosk.devices.access import access_words

    try:
        cards = [line.split("]:", 1)[1].strip() for line in
                 (proc / "cards").read_text(encoding="utf-8").splitlines() if "]:" in line]
    except OSError:
        cards = []
    outputs = sorted(dev.glob("pcmC*D*p")) if dev.is_dir() else []
    if not cards or not outputs:
        return _check("audio", True, "doctor.no_sound", warning=True)
    problem = access_words(str(outputs[0]), write=True)
    return _check("audio", problem is None,
                  "doctor.sound_ok" if problem is None else "doctor.sound_denied",
                  card=cards[0], device=outputs[0], problem=problem)


def screen_size_check(configured_dpi: int, drm: Path = SYS_DRM) -> Check | None:
    """Touch targets are 9 mm only where the kiosk knows the panel's size: ``[kiosk]
    screen_dpi``, else what each connected display reports in its EDID. A panel that
    reports none (many 7" HDMI touch panels) makes the screen assume 96 DPI, too small a
    target there: a warning naming the setting. No display connected (a headless kiosk):
    nothing to say."""
    if configured_dpi:
        return _check("screen", True, "doctor.screen_dpi_set", dpi=configured_dpi)
    connected = [port for port in sorted(drm.glob("card*-*"))
                 if _read_text(port / "status") == "connected"]
    if not connected:
        return None
    sizes = {port.name.partition("-")[2]: _edid_size_cm(port / "edid") for port in connected}
    unknown = [name for name, size in sizes.items() if size is None]
    if unknown:
        return _check("screen", True, "doctor.screen_size_unknown", warning=True,
                      outputs=", ".join(unknown))
    return _check("screen", True, "doctor.screen_size_ok",
                  sizes=", ".join(f"{name} {w}×{h} cm" for name, (w, h) in sizes.items()))


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


def _edid_size_cm(path: Path) -> tuple[int, int] | None:
    """The image size an EDID base block declares (bytes 21-22, whole centimetres); None
    when there is no EDID or it declares none (0 means "unknown or variable")."""
    try:
        block = path.read_bytes()[:128]
    except OSError:
        return None
    if len(block) < 128 or not block.startswith(EDID_HEADER) or not (block[21] and block[22]):
        return None
    return block[21], block[22]


def centre_checks(config: Any) -> list[Check]:
    """A plain ``http://`` centre on another machine refused (never contacted) unless
    allowed, then warned; the centre reachable, its clock, this kiosk's token, and what
    the centre registered the token's kiosk as compared with the config (its id and
    checkpoint: an entry filed under another checkpoint is refused for good). A token that
    cannot be read is named with its file and never sent: the centre's 401 to an empty
    token would read as a verdict on the token on disk, and a new one would be asked for
    in vain."""
    from kiosk.config import plain_http, plain_http_refusal

    url = config.sync.server_url
    refusal = plain_http_refusal(url, config.sync.allow_plain_http)
    if refusal is not None:  # never contacted (the token goes with the first request);
        # said with sync off too: `kiosk sync push` uses the address all the same
        return [_check("centre", False, "doctor.centre_address", detail=refusal)]
    if not config.sync.enabled:
        return [uploads_off_check(config)]
    from kiosk.sync.client import SyncClient, SyncError
    from kiosk.sync.kiosk_keys import read_token
    from kiosk.sync.protocol import parse_time

    allowed = ([_check("centre_address", True, "doctor.centre_address", warning=True,
                       detail=Words("sync.plain_http_allowed", {
                           "url": url, "setting": "[sync] allow_plain_http = true"}))]
               if plain_http(url) else [])
    token, problem = read_token(config)
    client = SyncClient(url, token, timeout=10, allow_plain_http=config.sync.allow_plain_http)
    try:
        try:
            health = client.health()
        except SyncError as exc:
            return [*allowed, _check("centre", False, "doctor.centre_unreachable", url=url,
                                     detail=exc)]
        checks = [*allowed, _check("centre", True, "doctor.centre_ok", url=url)]
        centre_time = parse_time(str(health.get("time", "")))
        if centre_time is not None:
            offset = (dt.datetime.now(dt.UTC) - centre_time).total_seconds()
            checks.append(_check("clock", abs(offset) <= CLOCK_TOLERANCE_SECONDS,
                                 "doctor.clock_offset", offset=f"{offset:+.0f}"))
        if problem is not None:
            checks.append(_check("token", False, "doctor.token_unavailable", problem=problem,
                                 config=config.source or "config.toml"))
            return checks
        return checks + _registration_checks(client, config)
    finally:
        client.close()


def uploads_off_check(config: Any) -> Check:
    """With ``[sync] enabled = false``: a failure when this kiosk was never enrolled (no
    token, and nothing in the store shows its id enrolled: the sample's ``kiosk-01``
    installed and never given the centre's QR), since its scans then reach no centre at
    all — the doctor passed such a kiosk, and the technician left it so; a warning when it
    was (a site without network, whose entries travel in backlog files)."""
    from kiosk.store import never_enrolled

    sync, where = config.sync, config.source or "config.toml"
    if sync.token or sync.token_file or (config.store_path.is_file()
                                         and not never_enrolled(config, [config.kiosk.id])):
        return _check("centre", True, "doctor.uploads_off", warning=True, config=where)
    return _check("centre", False, "doctor.not_enrolled", kiosk=config.kiosk.id, config=where)


def _registration_checks(client: Any, config: Any) -> list[Check]:
    """The token check, and what the centre registered its kiosk as (a centre before
    ``GET /api/v1/kiosk`` answers 404: the token is then checked on the trust list, and
    the checkpoint cannot be, a warning)."""
    from kiosk.sync.client import AuthRefused, Refused, SyncError

    kiosk, checkpoint = config.kiosk.id, config.kiosk.checkpoint_id
    where = config.source or "config.toml"
    code = "doctor.token_refused"
    registered = None
    try:
        registered = client.registration()
        accepted, detail = True, ""
    except Refused as exc:
        accepted, detail = False, exc.words
        if exc.status == 404:  # an older centre: the trust list tells the token's fate
            try:
                client.trust_list(None)
                accepted, detail = True, ""
            except Refused as old:  # 404: the centre holds no trust list, token accepted
                accepted, detail = old.status == 404, old.words
            except AuthRefused as old:
                accepted, detail = False, old.words
            except SyncError as old:
                accepted, detail, code = False, old.words, "doctor.token_unchecked"
    except AuthRefused as exc:
        accepted, detail = False, exc.words
    except SyncError as exc:  # timed out or failed after /health answered: not a verdict
        accepted, detail, code = False, exc.words, "doctor.token_unchecked"
    checks = [_check("token", accepted, "doctor.token_ok" if accepted else code,
                     detail=detail, kiosk=kiosk)]
    if not accepted:
        return checks
    if registered is None:
        return [*checks, _check("registration", True, "doctor.registration_unknown",
                                warning=True, configured=checkpoint)]
    if registered["kiosk_id"] != kiosk:
        return [*checks, _check("registration", False, "doctor.kiosk_other",
                                registered=registered["kiosk_id"], configured=kiosk,
                                config=where)]
    if registered["checkpoint_id"] != checkpoint:
        return [*checks, _check("registration", False, "doctor.checkpoint_other", kiosk=kiosk,
                                registered=registered["checkpoint_id"],
                                configured=checkpoint, config=where)]
    return [*checks, _check("registration", True, "doctor.registered", kiosk=kiosk,
                            checkpoint=checkpoint)]


def display_checks() -> list[Check]:
    try:  # imported, not just found: an install missing a system library (libEGL) fails here
        importlib.import_module("PySide6.QtWidgets")
        qt_problem = None
    except ImportError as exc:
        qt_problem = str(exc)
    checks = [_check("qt", qt_problem is None,
                     "doctor.qt_ok" if qt_problem is None else "doctor.qt_unusable",
                     detail=qt_problem)]
    fonts = _vietnamese_fonts()
    if fonts is None:
        checks.append(_check("fonts", False, "doctor.no_fc_list"))
    else:
        checks.append(_check("fonts", bool(fonts),
                             "doctor.font_ok" if fonts else "doctor.no_font",
                             family=fonts[0] if fonts else ""))
    return checks


def _vietnamese_fonts() -> list[str] | None:
    """Families fontconfig says cover Vietnamese; None when fc-list cannot be run."""
    out = _ask(["fc-list", ":lang=vi", "family"], timeout=30)  # a first run builds a cache
    if out is None:
        return None
    return sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = run_checks(Path(args.config))
    failed = [c for c in checks if not c.ok]
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]},
                         ensure_ascii=False, indent=1))
    else:
        for c in checks:
            mark = "LỖI/FAIL" if not c.ok else "XEM/WARN" if c.warning else "OK"
            print(f"{mark:<10}{c.vi}\n{'':<10}{c.en}")
        warned = sum(c.warning for c in checks)
        print(both("doctor.tally_warned" if warned else "doctor.tally",
                   passed=len(checks) - len(failed), total=len(checks), warned=warned))
    sys.stdout.flush()
    return EXIT_FAILED if failed else 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    doctor = subparsers.add_parser(
        "doctor", parents=[common], help="check everything and say what to do",
        description="Config, store (integrity, writable, disk), devices (at least one "
                    "enabled; each present, permitted, what it last sent), system clock "
                    "synchronised and not before this release, the centre (reachable, "
                    "token, clock offset, the kiosk id and checkpoint it registered), oldest "
                    "pending entry, entries the centre refused, Qt, Vietnamese fonts and a "
                    "sound device. Exit code 1 when any check fails; warnings do not count.",
        **examples("kiosk doctor", "kiosk doctor --json --config /etc/checkpoint-kiosk/"
                   "config.toml"))
    doctor.add_argument("--json", action="store_true", help="the checks as JSON")
    doctor.set_defaults(func=cmd_doctor)
