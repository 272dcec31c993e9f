"""``kiosk doctor``: every check a technician needs, each saying what to do, vi + en.

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
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk.commandline import EXIT_FAILED, examples

CLOCK_TOLERANCE_SECONDS = 60.0
PENDING_TOO_OLD = dt.timedelta(days=1)
DEVICE_PATH_KEYS = ("path", "port", "source")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    vi: str
    en: str


def _check(name: str, ok: bool, vi: str, en: str) -> Check:
    return Check(name, ok, vi, en)


def run_checks(config_path: Path) -> list[Check]:
    from kiosk import config as config_mod

    try:
        config = config_mod.load(config_path)
    except (config_mod.ConfigError, OSError) as exc:
        return [_check("config", False, f"Cấu hình sai: {exc}", f"Config invalid: {exc}")]
    checks = [_check("config", True, f"Cấu hình hợp lệ ({config_path})",
                     f"Config valid ({config_path})")]
    checks += store_checks(config.store_path)
    checks += device_checks(config.devices)
    checks += centre_checks(config)
    checks += display_checks()
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
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
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
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def device_checks(devices: Any) -> list[Check]:
    from kiosk.devices.access import access_problem

    checks = []
    for device in devices:
        path = next((str(getattr(device, key)) for key in DEVICE_PATH_KEYS
                     if str(getattr(device, key, "")).startswith("/dev/")), None)
        if path is None:
            continue
        problem = access_problem(path)
        checks.append(_check(f"device:{device.id}", problem is None,
                             f"Thiết bị {device.id} ({path}): "
                             + ("sẵn sàng" if problem is None else problem),
                             f"Device {device.id} ({path}): "
                             + ("ready" if problem is None else problem)))
    return checks


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
    qt = importlib.util.find_spec("PySide6") is not None
    checks = [_check("qt", qt, "Có PySide6 (giao diện Qt)" if qt else
                     "Thiếu PySide6: cài gói phụ [ui]",
                     "PySide6 (Qt) installed" if qt else
                     "PySide6 missing: install the [ui] extra")]
    fonts = _vietnamese_fonts()
    checks.append(_check("fonts", bool(fonts),
                         f"Phông chữ tiếng Việt: {fonts[0]}" if fonts else
                         "Không có phông chữ tiếng Việt: cài fonts-noto-core",
                         f"Font with Vietnamese glyphs: {fonts[0]}" if fonts else
                         "No font with Vietnamese glyphs: install fonts-noto-core"))
    return checks


def _vietnamese_fonts() -> list[str]:
    try:
        out = subprocess.run(["fc-list", ":lang=vi", "family"], capture_output=True,
                             text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(",")[0].strip() for line in out.splitlines() if line.strip()})


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = run_checks(Path(args.config))
    failed = [c for c in checks if not c.ok]
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]},
                         ensure_ascii=False, indent=1))
    else:
        for c in checks:
            mark = "OK" if c.ok else "LỖI/FAIL"
            print(f"{mark:<10}{c.vi}\n{'':<10}{c.en}")
        print(f"{len(checks) - len(failed)}/{len(checks)} đạt / passed")
    sys.stdout.flush()
    return EXIT_FAILED if failed else 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    doctor = subparsers.add_parser(
        "doctor", parents=[common], help="check everything and say what to do",
        description="Config, store (integrity, writable, disk), devices, the centre (reachable, "
                    "token, clock), oldest pending entry, Qt and Vietnamese fonts. Exit code 1 "
                    "when any check fails.",
        **examples("kiosk doctor", "kiosk doctor --json --config /etc/checkpoint-kiosk/"
                   "config.toml"))
    doctor.add_argument("--json", action="store_true", help="the checks as JSON")
    doctor.set_defaults(func=cmd_doctor)
