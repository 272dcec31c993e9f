"""``kiosk doctor``: every check a technician needs, each saying what to do, vi + en.

A check passes, fails, or passes with a warning: something the kiosk runs without but a
technician should look at (no sound card, so no beep; a clock whose synchronisation nothing
can tell; a device that has sent nothing lately). Warnings do not change the exit code.

Read-only: the store is opened read-only (a doctor must not create or migrate it), the
folder's writability is tried with a temporary file that is removed at once, and the
centre is asked only things that change nothing (health, the trust list). Exit 0 when every
check passes, 1 otherwise; ``--json`` for scripts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import shutil
import sqlite3
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk.commandline import EXIT_FAILED, examples

CLOCK_TOLERANCE_SECONDS = 60.0
PENDING_TOO_OLD = dt.timedelta(days=1)
DEVICE_PATH_KEYS = ("path", "port", "source")
DEVICE_QUIET = dt.timedelta(days=7)
"""How far back a device's last input is looked for (a bounded read of the time index)."""
PROC_ASOUND = Path("/proc/asound")
DEV_SND = Path("/dev/snd")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    vi: str
    en: str
    warning: bool = False
    """Passes, but worth a look; never changes the exit code."""


def _check(name: str, ok: bool, vi: str, en: str, *, warning: bool = False) -> Check:
    return Check(name, ok, vi, en, warning and ok)


def run_checks(config_path: Path) -> list[Check]:
    from kiosk import config as config_mod

    try:
        config = config_mod.load(config_path)
    except (config_mod.ConfigError, OSError) as exc:
        return [_check("config", False, f"Cấu hình sai: {exc}", f"Config invalid: {exc}")]
    checks = [_check("config", True, f"Cấu hình hợp lệ ({config_path})",
                     f"Config valid ({config_path})")]
    checks += store_checks(config.store_path)
    checks += device_checks(config)
    checks.append(clock_sync_check())
    checks += centre_checks(config)
    checks += display_checks()
    checks.append(audio_check())
    return checks


def store_checks(path: Path) -> list[Check]:
    if not path.is_file():
        return [_check("store", False, f"Chưa có kho dữ liệu {path}: chạy `kiosk run` một lần",
                       f"No store at {path}: run `kiosk run` once")]
    problem = _unwritable(path.parent)
    checks = [_check("store_writable", problem is None,
                f"Thư mục kho ghi được ({path.parent})" if problem is None else
                f"Không ghi được vào {path.parent}: {problem}; sửa quyền thư mục",
                f"Store folder writable ({path.parent})" if problem is None else
                f"Cannot write in {path.parent}: {problem}; fix the folder's owner "
                f"or mode")]
    try:
        from kiosk.store import read_only_uri

        conn = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            entries = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
            since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H")
            last_day = conn.execute("SELECT count(*) FROM entries WHERE scanned_at >= ?",
                                    (since,)).fetchone()[0]
            oldest = conn.execute("SELECT min(scanned_at) FROM entries WHERE sync_state IN "
                                  "('pending', 'sent')").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [*checks, _check("store", False, f"Không mở được kho {path}: {exc}",
                       f"Cannot open the store {path}: {exc}")]
    checks.append(_check("store", verdict == "ok",
                         f"Kho {path}: kiểm tra toàn vẹn {verdict}",
                         f"Store {path}: integrity check {verdict}"))
    free = shutil.disk_usage(path.parent).free
    per_entry = path.stat().st_size / entries if entries else 0
    if last_day and per_entry:
        days = free / (last_day * per_entry)
        checks.append(_check("disk", days >= 30,
                             f"Còn trống {free / 1e9:.1f} GB: đủ {days:,.0f} ngày quét với "
                             f"{last_day:,} lượt/ngày",
                             f"{free / 1e9:.1f} GB free: {days:,.0f} days of scanning at "
                             f"{last_day:,} scans a day"))
    else:
        checks.append(_check("disk", free > 100e6, f"Còn trống {free / 1e9:.1f} GB "
                             f"(chưa có lượt quét trong 24 giờ qua)",
                             f"{free / 1e9:.1f} GB free (no scans in the last 24 hours)"))
    if oldest is None:
        checks.append(_check("pending", True, "Không còn lượt nào chờ gửi",
                             "No entry waiting for the centre"))
    else:
        age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(oldest)
        checks.append(_check("pending", age < PENDING_TOO_OLD,
                             f"Lượt chờ gửi cũ nhất: {oldest} ({_hours(age)} giờ)",
                             f"Oldest entry waiting for the centre: {oldest} "
                             f"({_hours(age)} h)"))
    return checks


def _hours(age: dt.timedelta) -> str:
    return f"{age.total_seconds() / 3600:.1f}"


def _unwritable(folder: Path) -> str | None:
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def device_checks(config: Any) -> list[Check]:
    """Each enabled device: its node present and permitted (when it has one), and what it
    last sent and when, from the store (entries and refused scans; no personal data)."""
    from kiosk.devices.access import access_problem

    checks = []
    for device in config.devices:
        if not device.enabled:
            continue
        path = next((str(getattr(device, key)) for key in DEVICE_PATH_KEYS
                     if str(getattr(device, key, "")).startswith("/dev/")), None)
        problem = access_problem(path) if path is not None else None
        where = f"{device.id} ({path})" if path else device.id
        last = last_input(config.store_path, device.id)
        if last is None:
            heard_vi = f"chưa nhận gì trong {DEVICE_QUIET.days} ngày qua: quét thử một mã"
            heard_en = f"nothing received in the last {DEVICE_QUIET.days} days: scan a test code"
        else:
            when = _local(last[0], config.timezone)
            ago = _ago(dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(last[0]))
            heard_vi = f"lần cuối gửi {last[1]('vi')} lúc {when} ({ago[0]} trước)"
            heard_en = f"last sent {last[1]('en')} at {when} ({ago[1]} ago)"
        state_vi, state_en = ("", "") if path is None else (
            ("sẵn sàng; ", "ready; ") if problem is None else (f"{problem}; ", f"{problem}; "))
        checks.append(_check(f"device:{device.id}", problem is None,
                             f"Thiết bị {where}: {state_vi}{heard_vi}",
                             f"Device {where}: {state_en}{heard_en}",
                             warning=last is None))
    return checks


def last_input(store_path: Path, device_id: str) -> tuple[str, Any] | None:
    """(UTC time, words in a language) of the newest scan from ``device_id`` in the last
    :data:`DEVICE_QUIET`, recorded or refused; None if none (or no readable store)."""
    from kiosk import messages

    since = (dt.datetime.now(dt.UTC) - DEVICE_QUIET).strftime("%Y-%m-%dT%H:%M:%S")
    try:
        from kiosk.store import read_only_uri

        conn = sqlite3.connect(read_only_uri(store_path), uri=True)
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
        return refused[0], lambda language: (
            ("một mã bị từ chối" if language == "vi" else "a refused code") + f" ({refused[1]})")
    if entry is not None:
        status = {"accepted": ("ghi nhận", "accepted"), "duplicate": ("trùng", "duplicate")}
        return entry[0], lambda language: (
            f"{messages.kind_name(entry[1], language)}, "
            f"{status[entry[2]][0 if language == 'vi' else 1]}")
    return None


def _local(utc: str, timezone: Any) -> str:
    return dt.datetime.fromisoformat(utc).astimezone(timezone).strftime("%Y-%m-%d %H:%M")


def _ago(age: dt.timedelta) -> tuple[str, str]:
    minutes = max(0, round(age.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} phút", f"{minutes} min"
    return f"{minutes / 60:.0f} giờ", f"{minutes / 60:.0f} h"


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
    return _check("clock_sync", True,
                  "Không biết đồng hồ hệ thống có đồng bộ không (không có timedatectl hay "
                  "chronyc trả lời): xem độ lệch với trung tâm",
                  "Cannot tell whether the system clock is synchronised (neither timedatectl "
                  "nor chronyc answers): see the offset to the centre", warning=True)


def _clock_sync(tool: str, synchronised: bool) -> Check:
    return _check("clock_sync", synchronised,
                  f"Đồng hồ hệ thống đã đồng bộ ({tool})" if synchronised else
                  f"Đồng hồ hệ thống chưa đồng bộ ({tool}): kiểm tra mạng và NTP "
                  f"(`timedatectl set-ntp true`)",
                  f"System clock synchronised ({tool})" if synchronised else
                  f"System clock not synchronised ({tool}): check the network and NTP "
                  f"(`timedatectl set-ntp true`)")


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
    from kiosk.devices.access import access_problem

    try:
        cards = [line.split("]:", 1)[1].strip() for line in
                 (proc / "cards").read_text(encoding="utf-8").splitlines() if "]:" in line]
    except OSError:
        cards = []
    outputs = sorted(dev.glob("pcmC*D*p")) if dev.is_dir() else []
    if not cards or not outputs:
        return _check("audio", True, "Không thấy thiết bị âm thanh: trạm sẽ không kêu bíp "
                      "(màn hình vẫn báo màu); cắm loa hoặc bật âm thanh HDMI",
                      "No sound device: the kiosk will not beep (the screen still shows "
                      "colours); plug in a speaker or enable HDMI audio", warning=True)
    problem = access_problem(str(outputs[0]), write=True)
    return _check("audio", problem is None,
                  f"Âm thanh: {cards[0]} ({outputs[0]})" if problem is None else
                  f"Âm thanh {cards[0]}: {problem}",
                  f"Sound: {cards[0]} ({outputs[0]})" if problem is None else
                  f"Sound {cards[0]}: {problem}")


def centre_checks(config: Any) -> list[Check]:
    if not config.sync.enabled:
        return []
    from kiosk.sync.client import Refused, SyncClient, SyncError
    from kiosk.sync.protocol import parse_time
    from kiosk.sync.worker import resolve_token

    url = config.sync.server_url
    client = SyncClient(url, resolve_token(config.sync, config.source and config.source.parent),
                        timeout=10)
    try:
        try:
            health = client.health()
        except SyncError as exc:
            return [_check("centre", False, f"Không kết nối được trung tâm {url}: {exc}",
                           f"Cannot reach the centre {url}: {exc}")]
        checks = [_check("centre", True, f"Trung tâm {url} trả lời", f"Centre {url} answers")]
        centre_time = parse_time(str(health.get("time", "")))
        if centre_time is not None:
            offset = (dt.datetime.now(dt.UTC) - centre_time).total_seconds()
            checks.append(_check("clock", abs(offset) <= CLOCK_TOLERANCE_SECONDS,
                                 f"Đồng hồ lệch trung tâm {offset:+.0f} giây",
                                 f"Clock differs from the centre by {offset:+.0f} s"))
        try:
            client.trust_list(None)
            accepted, detail = True, ""
        except Refused as exc:  # 404: the centre holds no trust list, the token was accepted
            accepted, detail = exc.status == 404, str(exc)
        except SyncError as exc:
            accepted, detail = False, str(exc)
        checks.append(_check("token", accepted,
                             "Mã đồng bộ được chấp nhận" if accepted else
                             f"Trung tâm từ chối mã đồng bộ ({detail}): đăng ký lại bằng "
                             f"`kiosk enrol`",
                             "Token accepted" if accepted else
                             f"The centre refuses the token ({detail}): enrol again with "
                             f"`kiosk enrol`"))
        return checks
    finally:
        client.close()


def display_checks() -> list[Check]:
    try:  # imported, not just found: an install missing a system library (libEGL) fails here
        importlib.import_module("PySide6.QtWidgets")
        qt_problem = None
    except ImportError as exc:
        qt_problem = str(exc)
    checks = [_check("qt", qt_problem is None, "Có PySide6 (giao diện Qt)" if qt_problem is None
                     else f"Không dùng được PySide6 ({qt_problem}): cài gói phụ [ui]",
                     "PySide6 (Qt) installed" if qt_problem is None else
                     f"PySide6 unusable ({qt_problem}): install the [ui] extra")]
    fonts = _vietnamese_fonts()
    if fonts is None:
        checks.append(_check("fonts", False,
                             "Không liệt kê được phông chữ (thiếu fc-list): cài fontconfig",
                             "Cannot list the fonts (no fc-list): install fontconfig"))
    else:
        checks.append(_check("fonts", bool(fonts),
                             f"Phông chữ tiếng Việt: {fonts[0]}" if fonts else
                             "Không có phông chữ tiếng Việt: cài fonts-noto-core",
                             f"Font with Vietnamese glyphs: {fonts[0]}" if fonts else
                             "No font with Vietnamese glyphs: install fonts-noto-core"))
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
        print(f"{len(checks) - len(failed)}/{len(checks)} đạt / passed"
              + (f" ({warned} cần xem / to look at)" if warned else ""))
    sys.stdout.flush()
    return EXIT_FAILED if failed else 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    doctor = subparsers.add_parser(
        "doctor", parents=[common], help="check everything and say what to do",
        description="Config, store (integrity, writable, disk), devices (present, permitted, "
                    "what each last sent), system clock synchronised, the centre (reachable, "
                    "token, clock offset), oldest pending entry, Qt, Vietnamese fonts and a "
                    "sound device. Exit code 1 when any check fails; warnings do not count.",
        **examples("kiosk doctor", "kiosk doctor --json --config /etc/checkpoint-kiosk/"
                   "config.toml"))
    doctor.add_argument("--json", action="store_true", help="the checks as JSON")
    doctor.set_defaults(func=cmd_doctor)
