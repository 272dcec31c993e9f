"""``kiosk sync status | push | retry-rejected | export`` as a sync operator runs them.

Real processes: the ``kiosk`` command against a real ``kiosk-central serve``; the progress
bar is checked both on a pseudo-terminal and in a log (pipe).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from zoneinfo import ZoneInfo

import pytest

from kiosk import messages
from kiosk.clock import released_moment
from kiosk.config import load as load_config
from kiosk.ids import boot_id
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync.worker import SyncWorker, Wait
from kiosk.timestamps import utc_iso
from tests import central_support
from tests.conftest import CCCD_AN as CCCD
from tests.conftest import ctrl_c_as_at_a_terminal
from tests.sync_support import (
    BusyAtFirst,
    SlowCentre,
    fill_backlog,
    pending_entries,
    serving,
    sync_states,
    wait_until,
    write_config,
)


@pytest.fixture
def site(central, tmp_path):
    """An enrolled kiosk's config (English) with 1,000 pending entries; (config, ids, id)."""
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=central.enrol(kiosk_id), batch_size=100)
    return config, fill_backlog(tmp_path / "kiosk.db", 1000, kiosk_id=kiosk_id), kiosk_id


def sync(config, *args: str, ok: bool = True, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", *args, "--config",
                           str(config)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_status_shows_the_backlog_and_that_the_server_answers(site, central):
    config, _, _ = site
    out = sync(config, "status").stdout
    assert "Pending                  1,000" in out
    assert "Rejected                 0" in out
    assert "Last success             never" in out
    assert f"Server                   {central.url} — reachable" in out
    assert "background sync is off" in out
    assert "Backlog file keys        this kiosk – (not confirmed by the centre), centre –" in out


def test_status_says_when_the_clock_reads_before_the_release(tmp_path, libfaketime):
    """A flat RTC battery (1970): the status names the wrong clock and the fix, and gives
    both times to scripts. A clock an hour behind a scan it recorded while ahead, then set
    right, is no alarm: the kiosk cannot tell which time was wrong."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-clock",
                          server_url="http://127.0.0.1:9", token="")
    store = Store(tmp_path / "kiosk.db", timezone=ZoneInfo("Asia/Ho_Chi_Minh"))
    pipeline = Pipeline(store, Policy(checkpoint_id="CP-SYNC", kiosk_id="k-clock"))
    assert pipeline.submit(Scan(CCCD.encode(), device_id="d1",
                                wall_time=time.time() + 3600)).recorded
    store.close()
    assert json.loads(sync(config, "status", "--offline", "--json").stdout)[
        "clock_wrong"] is None

    at_1970 = {"LD_PRELOAD": str(libfaketime), "FAKETIME": "@1970-01-01 00:00:00"}
    report = json.loads(sync(config, "status", "--offline", "--json", env=at_1970).stdout)
    assert report["clock_wrong"]["now"].startswith("1970-01-01T00:0")
    assert report["clock_wrong"]["released"] == utc_iso(
        released_moment(ZoneInfo("Asia/Ho_Chi_Minh")))
    out = sync(config, "status", "--offline", env=at_1970).stdout
    assert "ALERT: CLOCK WRONG: it reads 1970-01-01 " in out
    assert "`sudo timedatectl set-ntp true`" in out


def test_status_at_1970_gives_the_times_the_clock_has_not_reached_without_an_age(
        central, tmp_path, libfaketime):
    """The RTC battery went flat after a push: the last success and the entry scanned since
    are later than the clock reads. The status gives them as recorded, says so instead of a
    negative age, and leaves them as recorded UTC times in the JSON (no age: a script that
    works one out checks ``clock_wrong`` first)."""
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=central.enrol(kiosk_id))
    in_vietnamese = write_config(tmp_path / "vi.toml", kiosk_id=kiosk_id, language="vi",
                                 server_url=central.url, token="")

    def scan() -> None:
        store = Store(tmp_path / "kiosk.db", timezone=ZoneInfo("Asia/Ho_Chi_Minh"))
        try:
            assert Pipeline(store, Policy(checkpoint_id="CP-SYNC", kiosk_id=kiosk_id)).submit(
                Scan(CCCD.encode(), device_id="d1")).recorded
        finally:
            store.close()

    scan()
    sync(config, "push")
    scan()
    at_1970 = {"LD_PRELOAD": str(libfaketime), "FAKETIME": "@1970-01-01 00:00:00"}

    out = sync(config, "status", "--offline", env=at_1970).stdout
    for name in ("Oldest pending          ", "Last success            "):
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert line.startswith(f"{name} 20")
        assert line.endswith("(later than the kiosk's clock reads now)"), line
    assert " ago)" not in out
    assert "ALERT: CLOCK WRONG: it reads 1970-01-01 " in out
    vi = sync(in_vietnamese, "status", "--offline", env=at_1970).stdout
    assert vi.count("(muộn hơn giờ đồng hồ trạm đang chỉ)") == 2 and " trước)" not in vi

    report = json.loads(sync(config, "status", "--offline", "--json", env=at_1970).stdout)
    assert report["oldest_pending"] > report["last_success"] > "20"
    assert report["clock_wrong"]["now"].startswith("1970-01-01T00:0")


def test_push_prints_plain_progress_lines_in_a_log_then_a_summary(site, central):
    config, ids, kiosk_id = site
    out = sync(config, "push").stdout
    lines = out.splitlines()
    progress = [line for line in lines if line.startswith("push: ")]
    assert progress[-1].startswith("push: 100% 1,000/1,000 entries")
    assert "/s  ETA 0:00" in progress[-1] and "\r" not in out
    assert 2 <= len(progress) <= 12  # every tenth of the way, not every batch
    assert lines[-1].startswith("Sent 1,000 entries in ")
    assert lines[-1].endswith(": 1,000 new, 0 already at the centre, 0 rejected; "
                              "0 still pending")
    assert sorted(central.stored_ids(kiosk_id)) == ids

    status = sync(config, "status").stdout
    assert "Pending                  0" in status and "Oldest pending           none" in status
    assert "Last success             20" in status and " ago)" in status
    keys = json.loads(sync(config, "status", "--json").stdout)["backlog_keys"]
    assert keys["registered"] and len(keys["signing_key"]) == len(keys["centre_key"]) == 16
    assert f"this kiosk {keys['signing_key']} (held by the centre)" in status


def test_push_on_a_terminal_redraws_one_line_with_a_bar(site):
    config, _, _ = site
    leader, follower = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "push", "--config",
                             str(config)], stdout=follower, stderr=follower,
                            stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(60) == 0
    out = b"".join(chunks).decode()
    assert "\rpush 100% ████████████████████████ 1,000/1,000 entries" in out
    assert "\x1b[K" in out and "ETA" in out


def damaged_meta(path, key: str, value_sql: str) -> None:
    """Write a saved sync value as damage or a hand edit leaves it, past the Store."""
    with sqlite3.connect(path) as db:
        db.execute(f"INSERT INTO meta (key, value) VALUES (?, {value_sql})", (key,))
    db.close()


def test_status_takes_a_damaged_saved_clock_offset_as_unknown(tmp_path):
    """The saved clock offset is no number: the status still answers, the offset unknown
    (no line; null for scripts), as the sync worker takes it."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-offset",
                          server_url="http://127.0.0.1:9", token="")
    Store(tmp_path / "kiosk.db").close()
    damaged_meta(tmp_path / "kiosk.db", "sync.clock_offset_seconds", "'not a number'")

    assert json.loads(sync(config, "status", "--offline", "--json").stdout)[
        "clock_offset_seconds"] is None
    out = sync(config, "status", "--offline").stdout
    assert "Pending                  0" in out and "Kiosk clock offset" not in out


@pytest.fixture
def process_zone_not_utc(monkeypatch):
    """The process's own zone is Asia/Ho_Chi_Minh (restored afterwards): a time read without
    an offset cannot pass for UTC by chance (the zone file of the ``tzdata`` package)."""
    path = importlib.resources.files("tzdata.zoneinfo").joinpath("Asia/Ho_Chi_Minh")
    monkeypatch.setenv("TZ", f":{path}")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_status_reads_damaged_saved_times_as_the_sync_worker_does(tmp_path,
                                                                 process_zone_not_utc):
    """A saved time that is no time (a damaged row) is taken as absent, and logged; one
    saved without an offset (a hand edit) is taken as UTC, as every saved time is. The
    status still answers, worded, with the times the sync worker starts from."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-times",
                          server_url="http://127.0.0.1:9", token="t")
    Store(tmp_path / "kiosk.db").close()
    damaged_meta(tmp_path / "kiosk.db", "sync.last_error", "'centre unreachable'")
    for key in ("sync.last_success", "sync.last_error_at"):
        damaged_meta(tmp_path / "kiosk.db", key, "'not a date'")
    naive = "'2026-12-01T00:00:00'"  # 07:00 in Asia/Ho_Chi_Minh, the kiosk's zone

    for damaged, hand_edited in (("sync.last_success", "sync.last_error_at"),
                                 ("sync.last_error_at", "sync.last_success")):
        with sqlite3.connect(tmp_path / "kiosk.db") as db:
            db.execute(f"UPDATE meta SET value = 'not a date' WHERE key = '{damaged}'")
            db.execute(f"UPDATE meta SET value = {naive} WHERE key = '{hand_edited}'")
        db.close()
        proc = sync(config, "status", "--offline")
        lines = {line[:25].strip(): line[25:] for line in proc.stdout.splitlines()}
        as_utc = "2026-12-01 07:00:00 ("
        if damaged == "sync.last_success":
            assert lines["Last success"] == "never"
            assert lines["Last error"].startswith(as_utc)
            assert lines["Last error"].endswith(" ago): centre unreachable")
        else:
            assert lines["Last success"].startswith(as_utc)
            assert lines["Last success"].endswith(" ago)")
            assert lines["Last error"] == "never: centre unreachable"
        assert (f"đồng bộ: {damaged} đã lưu không đọc được ('not a date': Invalid isoformat "
                "string: 'not a date'), coi như không có / ") in proc.stderr
        assert (f"sync: saved {damaged} unreadable ('not a date': Invalid isoformat string: "
                "'not a date'), taken as absent") in proc.stderr
        report = json.loads(sync(config, "status", "--offline", "--json").stdout)
        assert report[damaged.removeprefix("sync.")] is None
        assert report[hand_edited.removeprefix("sync.")] == "2026-12-01T00:00:00.000000Z"

        worker = SyncWorker.from_config(load_config(config))
        try:
            state = worker.state()
        finally:
            worker.stop()
        assert getattr(state, damaged.removeprefix("sync.")) is None
        assert getattr(state, hand_edited.removeprefix("sync.")) == 1796083200.0


def test_a_pending_entry_timed_by_hand_without_a_zone_is_read_as_utc(tmp_path,
                                                                     process_zone_not_utc):
    """A pending entry's time edited by hand without a zone, as docs/sync-operator.md's
    rejected entry ("2024-05-01 08:00") was written: the status and the doctor answer (they
    ended in a traceback, a time with no zone compared with an aware one), the time read as
    UTC as every stored time is, and aged."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-hand",
                          server_url="http://127.0.0.1:9", token="t")
    store = Store(tmp_path / "kiosk.db")
    Pipeline(store, Policy(checkpoint_id="CP-T", kiosk_id="k-hand")).submit(
        Scan(payload=CCCD.encode(), lane="in"))
    store.close()
    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        db.execute("UPDATE entries SET scanned_at = '2026-11-30 08:00'")
    db.close()
    out = sync(config, "status", "--offline").stdout
    oldest = next(line for line in out.splitlines() if line.startswith("Oldest pending"))
    assert oldest[25:].startswith("2026-11-30 15:00:00 (") and oldest.endswith(" ago)")
    doctor = subprocess.run([sys.executable, "-m", "kiosk.cli", "doctor", "--config",
                             str(config)], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in doctor.stderr
    # in the kiosk's time zone, as `sync status` and the doctor's device lines say it (it
    # was the stored UTC stamp, "2026-11-30T08:00…Z", beside them)
    assert "Oldest entry waiting for the centre: 2026-11-30 15:00 (" in doctor.stdout


def test_a_saved_last_error_that_is_no_utf8_is_read_with_replacement(tmp_path):
    """The saved last error's bytes are no UTF-8 (a damaged row): the sync worker is still
    built from the config, and the status still answers, each reading it with the bytes
    replaced (U+FFFD) rather than failing on it."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-bytes",
                          server_url="http://127.0.0.1:9", token="t")
    Store(tmp_path / "kiosk.db").close()
    damaged_meta(tmp_path / "kiosk.db", "sync.last_error", "CAST(x'ff' AS TEXT)")

    worker = SyncWorker.from_config(load_config(config))
    try:
        assert worker.state().last_error == "\ufffd"
    finally:
        worker.stop()
    assert json.loads(sync(config, "status", "--offline", "--json").stdout)[
        "last_error"] == "\ufffd"


def test_push_without_a_reachable_centre_fails_and_status_shows_why(site, tmp_path):
    _, _, kiosk_id = site
    down = write_config(tmp_path / "down.toml", kiosk_id=kiosk_id,
                        server_url="http://127.0.0.1:9", token="t", timeout_seconds=1)
    proc = sync(down, "push", ok=False)
    assert proc.returncode == 1
    assert "Not everything was sent: connection failed" in proc.stderr
    assert "0 new, 0 already at the centre, 0 rejected; 1,000 still pending" in proc.stdout
    status = sync(down, "status").stdout
    # the saved last error, worded again: what to check, the system's name for it last
    assert "Last error" in status and "connection failed: nothing accepts connections at " \
        "that address and port — the centre's server is down, or the port in [sync] " \
        "server_url is wrong [Errno 111]" in status
    assert "http://127.0.0.1:9 — unreachable (connection failed: nothing accepts" in status


def test_a_revoked_token_read_from_a_file_is_named_as_that_file_with_both_ways_to_send_again(
        central, tmp_path):
    """The 401 alert said "update [sync] token" to a kiosk whose token is in the file
    ``token_file`` names (it has no ``token`` line), and "press Sync" in Vietnamese where the
    English said "push again", on a terminal too. It names the file, and both languages give
    both ways to send again: the sync screen's button and the command."""
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    token = tmp_path / "sync-token"
    token.write_text(central.enrol(kiosk_id) + "\n", encoding="utf-8")
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token="", token_file="sync-token")
    fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id=kiosk_id)
    central.revoke(kiosk_id)
    english = sync(config, "push", ok=False).stderr
    assert english.rstrip().endswith(
        f"The centre issues this same kiosk a new one with `kiosk-central kiosks token "
        f"{kiosk_id} --reason …` (or --qr, for `kiosk enrol` here); put it in {token} "
        "([sync] token_file), then send again (Sync now on the sync screen, or `kiosk sync "
        "push`)")
    config.write_text(config.read_text(encoding="utf-8").replace(
        'language = "en"', 'language = "vi"'), encoding="utf-8")
    vietnamese = sync(config, "status").stdout
    assert (f"ghi mã mới vào {token} ([sync] token_file) rồi gửi lại (nút Đồng bộ trên màn "
            "hình đồng bộ, hoặc `kiosk sync push`)") in vietnamese
    assert "[sync] token " not in english + vietnamese

def test_status_lists_rejected_entries_and_retry_rejected_queues_them_again(site):
    config, ids, _ = site
    store = Store(config.parent / "kiosk.db")
    with store.transaction() as conn:
        conn.execute("UPDATE entries SET scanned_at = 'yesterday' WHERE id = ?", (ids[7],))
    store.close()
    pushed = sync(config, "push", ok=False)  # a refused entry is not at the centre: exit 1
    assert pushed.returncode == 1
    assert "1 entries the centre refused sit in the store" in pushed.stderr
    report = json.loads(sync(config, "status", "--json").stdout)
    assert report["rejected"] == 1 and report["pending"] == 0
    (rejected,) = report["rejected_entries"]
    assert rejected["id"] == ids[7] and rejected["sync_error"].startswith(
        "scanned_at: expected UTC time like ")
    assert rejected["sync_error_code"] == "refusal.not_utc_time"  # the centre's code, for scripts
    assert rejected["sync_error_params"]["field"] == "scanned_at"
    assert rejected["sync_error_params"]["got"] == '"yesterday"'
    assert report["server_reachable"] is True and report["last_success"]
    assert report["alert"] is report["alert_code"] is report["alert_params"] is None
    text = sync(config, "status").stdout
    assert f"✗ {ids[7]}" in text and "scanned_at: expected UTC time" in text

    out = sync(config, "retry-rejected", "--operator", "sync-op").stdout
    assert out.strip() == "1 rejected entries are pending again"
    assert sync_states(config.parent / "kiosk.db") == {"pending": 1, "acknowledged": 999}
    assert Store(config.parent / "kiosk.db").audit_log()[-1]["actor"] == "sync-op"


def test_a_last_error_an_upload_after_it_ended_is_shown_as_resolved_in_both_languages(
        site, central, tmp_path):
    """A sync operator fixing a refused token read "Last error … HTTP 401" in `kiosk sync
    status` long after the right token had sent everything, as if it were still refused.
    Once an upload after it succeeded the error is said to be over, with its time, in the
    kiosk's language; `--json` says whether it stands (`last_error_current`)."""
    config, _, kiosk_id = site
    wrong = write_config(tmp_path / "wrong.toml", kiosk_id=kiosk_id, language="vi",
                         server_url=central.url, token="not-a-token-it-issued")
    sync(wrong, "push", ok=False)
    standing = json.loads(sync(wrong, "status", "--json").stdout)
    assert standing["last_error_current"] is True
    assert next(line for line in sync(wrong, "status").stdout.splitlines()
                if line.startswith("Lỗi gần nhất")).endswith(
        " trước): HTTP 401: Authorization: mã đồng bộ không rõ")

    sync(config, "push")  # the operator pushes with the right token

    report = json.loads(sync(config, "status", "--json").stdout)
    assert report["last_error_current"] is False and report["pending"] == 0
    assert report["last_error_code"] == "sync.http"  # what it was, for scripts
    for words, language, said in (
            (config, "en", "resolved since (a later upload succeeded): HTTP 401: Authorization: "
                           "unknown token"),
            (wrong, "vi", "đã hết (một lần gửi sau đó đã thành công): HTTP 401: Authorization: "
                          "mã đồng bộ không rõ")):
        label = "Last error" if language == "en" else "Lỗi gần nhất"
        line = next(line for line in sync(words, "status").stdout.splitlines()
                    if line.startswith(label))
        assert line.startswith(f"{label:24} {report['last_error_at'][:4]}-")
        assert line.endswith(f"), {said}"), line


def test_status_json_gives_a_refused_tokens_alert_as_words_and_as_its_code(
        site, central, tmp_path):
    """The centre refuses a token it never issued: the alert a person reads is worded in the
    kiosk's language, and a script gets the code and parameters it was worded from."""
    _, _, kiosk_id = site
    wrong = write_config(tmp_path / "wrong.toml", kiosk_id=kiosk_id, language="vi",
                         server_url=central.url, token="not-a-token-it-issued")
    pushed = sync(wrong, "push", ok=False)
    assert pushed.returncode == 1
    # the push says the way back too, as the doctor and the screen do
    assert (f"`kiosk-central kiosks token {kiosk_id} --reason …` (hoặc --qr để trạm chạy "
            "`kiosk enrol`)") in pushed.stderr
    report = json.loads(sync(wrong, "status", "--json").stdout)
    assert report["alert_code"] == "sync.auth_401"
    # the centre's reason came as a code too: worded here, not shown in the centre's English
    assert report["alert_params"]["detail"] == {"code": "sync.http", "params": {
        "status": 401, "error": {"code": "api.unknown_token", "params": {}}}}
    assert report["alert"] == messages.saved_text(json.dumps(
        {"code": report["alert_code"], "params": report["alert_params"]}), "vi")
    assert report["alert"].startswith("Máy chủ trung tâm từ chối mã đồng bộ của trạm (HTTP 401: "
                                      "Authorization: mã đồng bộ không rõ)")
    assert report["last_error"] == "HTTP 401: Authorization: mã đồng bộ không rõ"
    assert report["last_error_code"] == "sync.http"
    assert report["pending"] == 1000 and report["rejected_entries"] == []


def test_a_push_with_nothing_pending_still_learns_the_centres_key_for_files(central, tmp_path):
    """A kiosk set up at the office with a token (`kiosk-central kiosks add`), nothing
    scanned yet, before it goes to a site with no network. The export's own advice, "connect
    to the centre once (`kiosk sync push`)", did nothing: with nothing pending the push said
    so and never reached the centre, so the kiosk left without the centre's key and, at the
    site, every export was refused. The push now asks for the keys when it lacks them."""
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=central.enrol(kiosk_id))
    assert "Nothing pending" in sync(config, "push").stdout
    keys = json.loads(sync(config, "status", "--json").stdout)["backlog_keys"]
    assert keys["centre_key"] is not None and keys["registered"], keys

    offline = write_config(tmp_path / "site.toml", kiosk_id=kiosk_id,
                           server_url="http://127.0.0.1:9", token="unused-offline")
    ids = fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id=kiosk_id)
    (tmp_path / "usb").mkdir()
    sync(offline, "export", "--to", str(tmp_path / "usb" / "site.backlog"))
    central_support.central("import", str(tmp_path / "usb" / "site.backlog"),
                            "--db", central.db)
    assert sorted(central.stored_ids(kiosk_id)) == sorted(ids)


def test_a_push_with_nothing_pending_that_cannot_learn_the_key_says_so(tmp_path):
    """The same push with the centre out of reach: nothing pending is still true (exit 0),
    but the operator leaving for a site with no network is told that no file can be
    exported yet, and why."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-away", language="vi",
                          server_url="http://127.0.0.1:9", token="t")
    proc = sync(config, "push")
    assert "Không có bản ghi nào chờ gửi" in proc.stdout
    assert proc.stderr.startswith(
        "Chưa biết khoá mã hoá của trung tâm, nên `kiosk sync export` chưa xuất được tệp "
        "nào: không hỏi được trung tâm (không kết nối được: "), proc.stderr
    assert "có mạng tới trung tâm thì chạy lại `kiosk sync push`" in proc.stderr


def test_export_writes_the_backlog_once_and_refuses_to_overwrite_it(site, tmp_path):
    """A kiosk enrolled before backlog keys existed (token in its config, never told the
    centre's key) registers its signing key and learns the centre's over the link."""
    config, _, _ = site
    target = tmp_path / "stick" / "cp-sync.backlog"
    target.parent.mkdir()
    assert not (config.parent / "backlog-signing.key").exists()
    exported = sync(config, "export", "--to", str(target))
    assert f"Exported 1,000 entries to {target}" in exported.stdout
    assert ("they stay pending until the centre's answer to the file is loaded here "
            "(`kiosk sync load-refusals`)") in exported.stdout
    assert "has not confirmed this kiosk's signing key" not in exported.stderr
    assert (config.parent / "backlog-signing.key").stat().st_mode & 0o777 == 0o600
    assert json.loads((config.parent / "centre-backlog.json").read_text())["centre_key"]
    assert sync_states(config.parent / "kiosk.db") == {"sent": 1000}
    status = sync(config, "status", "--offline").stdout
    assert "Pending                  1,000" in status
    assert "of which exported to a file 1,000" in status

    refused = sync(config, "export", "--to", str(target), ok=False)
    assert refused.returncode == 1
    assert refused.stderr == (f"Export failed: {target} already exists: it is not written over, "
                              "nothing written (add --force to replace it)\n")
    assert "Exported 1,000" in sync(config, "export", "--to", str(target), "--force").stdout


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_export_stopped_half_way_leaves_no_part_and_marks_nothing(central, tmp_path,
                                                                      signum, code):
    """A service stop or a timeout (SIGTERM), or Ctrl-C, while the backlog is written: its
    ``.part`` is deleted, one line says so (no traceback), every entry stays pending — the
    file never reached the stick, so nothing may pass for exported. Before, SIGTERM ended
    the process where it stood and the ``.part`` stayed on the stick."""
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=central.enrol(kiosk_id), batch_size=100)
    fill_backlog(tmp_path / "kiosk.db", 60_000, kiosk_id=kiosk_id)
    target = tmp_path / "stick" / "cp.backlog"
    target.parent.mkdir()
    part = target.with_name("cp.backlog.part")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "export", "--to",
                             str(target), "--force", "--config", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True,
                            preexec_fn=ctrl_c_as_at_a_terminal)
    deadline = time.monotonic() + 60
    while not part.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGSTOP)  # held half-way: the signal lands mid-export
    assert proc.poll() is None and part.exists()
    proc.send_signal(signum)
    proc.send_signal(signal.SIGCONT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == code
    assert err.splitlines()[-1] == f"Export stopped; the unfinished file {part} was deleted"
    assert "Traceback" not in err
    assert list(target.parent.iterdir()) == []
    assert sync_states(tmp_path / "kiosk.db") == {"pending": 60_000}


def test_an_export_to_a_stick_not_mounted_is_refused_and_no_folder_is_made(site, tmp_path):
    """``--to /media/usb/ql1a-01.backlog`` with no stick mounted: /media/usb is not there.
    The export refuses, naming the folder and what to do; it makes no folder (made, it would
    be on the kiosk's own disk, hidden later under the stick mounted over it), writes
    nothing and marks no entry exported: the operator is not sent off with an empty stick.
    Before, the folder was made, the file written there, "Exported 1,000 entries", exit 0."""
    config, ids, _ = site
    media = tmp_path / "media"  # the stick mounts at media/usb: not plugged in
    media.mkdir()
    target = media / "usb" / "ql1a-01.backlog"
    refused = sync(config, "export", "--to", str(target), ok=False)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"Export failed: there is no folder {media / 'usb'}, nothing written (the folder is "
        "not made on this machine's own disk). If it is a USB stick: plug it in and mount "
        f"it, then run the command again; if not, check the path {target}\n")
    assert list(media.iterdir()) == []
    assert sync_states(config.parent / "kiosk.db") == {"pending": len(ids)}
    assert "of which exported to a file" not in sync(config, "status", "--offline").stdout

    (media / "usb").mkdir()  # the stick mounted: the same command exports
    assert "Exported 1,000 entries" in sync(config, "export", "--to", str(target)).stdout
    assert sync_states(config.parent / "kiosk.db") == {"sent": len(ids)}


def test_an_export_to_a_media_folder_with_no_stick_mounted_is_refused_until_one_is(
        site, tmp_path, monkeypatch, capsys):
    """``--to /media/usb/ql1a-01.backlog`` where /media/usb is there but nothing is mounted
    on it (a folder an earlier version made, usbmount's ``/media/usb0``): it is the kiosk's
    own disk, so the export refuses, with ``--force`` too, naming the folder and both ways
    on; nothing written, no entry marked exported. A real file system mounted there (a small
    tmpfs standing for the stick: root is needed) takes the same command. The media root is
    the test's own, so the command runs in this process. Before, the file went onto the
    kiosk's disk, "Exported 1,000 entries", and the stick stayed empty."""
    from kiosk import cli, private_files
    from tests.test_store_disk_failing import small_disk

    config, ids, _ = site
    media = tmp_path / "media"
    (media / "usb").mkdir(parents=True)
    monkeypatch.setattr(private_files, "MEDIA_ROOTS", (media,))
    target = media / "usb" / "ql1a-01.backlog"
    for extra in ((), ("--force",)):
        code = cli.main(["sync", "export", "--to", str(target), *extra, "--config",
                         str(config)])
        said = capsys.readouterr()
        assert (code, said.out) == (1, ""), extra
        assert said.err == (
            f"Export failed: no USB stick is mounted at {media / 'usb'}: it is a folder on "
            "this machine's own disk, nothing written. Plug in the stick and mount it, then "
            "run the command again; to write to this machine's disk on purpose, give a "
            f"folder outside {media}\n"), extra
    assert list(media.rglob("*")) == [media / "usb"]
    assert sync_states(config.parent / "kiosk.db") == {"pending": len(ids)}

    with small_disk(media / "usb", size_kib=8192):  # the stick mounted over the folder
        assert cli.main(["sync", "export", "--to", str(target), "--config", str(config)]) == 0
        assert "Exported 1,000 entries" in capsys.readouterr().out
        assert target.stat().st_size > 0
    assert sync_states(config.parent / "kiosk.db") == {"sent": len(ids)}


def test_a_folder_given_as_the_export_file_is_refused_with_a_file_name_to_give(site, tmp_path):
    """``--to /media/usb`` (the stick, not a file on it), with or without ``--force``: the
    words say it is a folder and give a file name in it; no ``--force`` hint (it would not
    help), no ``….part`` named (a name the operator never typed), the stick left as it was,
    nothing marked exported."""
    config, ids, kiosk_id = site
    stick = tmp_path / "usb"
    stick.mkdir()
    (stick / "photos.jpg").write_bytes(b"kept")
    for extra in ((), ("--force",)):
        refused = sync(config, "export", "--to", str(stick), *extra, ok=False)
        assert (refused.returncode, refused.stdout) == (1, ""), extra
        assert refused.stderr == (
            f"Export failed: {stick} is a folder: give the name of a file in it, e.g. "
            f"{stick / (kiosk_id + '.backlog')}; nothing written\n"), extra
    assert [p.name for p in stick.iterdir()] == ["photos.jpg"]
    assert sync_states(config.parent / "kiosk.db") == {"pending": len(ids)}


def test_status_and_export_name_the_entries_of_an_earlier_kiosk_id_and_their_way(
        site, central, tmp_path):
    """Entries left pending under the id this kiosk had before ([kiosk] id changed, or an
    enrolment under a new id): the push sends this kiosk's own and leaves them; status says
    how many, whose, and their two ways to the centre: a file, or a push as that kiosk with
    its token, which the centre acknowledges, so they leave the pending set."""
    config, ids, _ = site
    earlier = fill_backlog(tmp_path / "kiosk.db", 30, kiosk_id="ql1a-old")
    pushed = sync(config, "push")
    assert "Sent 1,000" in pushed.stdout  # not refused whole for theirs (403)
    assert "30 pending entries were recorded under another kiosk id" in pushed.stderr
    assert "100% 1,000/1,000" in pushed.stdout + pushed.stderr
    report = json.loads(sync(config, "status", "--offline", "--json").stdout)
    assert (report["pending"], report["pending_elsewhere"]) == (30, {"ql1a-old": 30})
    status = sync(config, "status", "--offline").stdout
    assert ("ALERT: 30 pending entries were recorded under another kiosk id: ql1a-old (30). "
            "This kiosk's token cannot send them") in status
    assert "here: `kiosk sync push --kiosk-id ql1a-old --token-file FILE`" in status
    assert "`kiosk sync export --kiosk-id ql1a-old --to FILE`, then `kiosk-central import " \
        "FILE`" in status

    nothing = sync(config, "export", "--to", str(tmp_path / "ours.backlog"))
    assert nothing.stdout == "Nothing pending\n"
    assert "30 pending entries were recorded under another kiosk id" in nothing.stderr
    theirs = sync(config, "export", "--kiosk-id", "ql1a-old", "--to", str(tmp_path / "old.backlog"))
    assert f"Exported 30 entries to {tmp_path / 'old.backlog'}" in theirs.stdout
    assert "kiosk-central kiosks signing-key ql1a-old --set=" in theirs.stderr  # not its key yet
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": len(ids), "sent": len(earlier)}
    assert sync(config, "export", "--kiosk-id", "nobody", "--to", str(tmp_path / "n.backlog")
                ).stdout == "Nothing of kiosk nobody pending\n"

    alone = sync(config, "push", "--kiosk-id", "ql1a-old", ok=False)
    assert (alone.returncode, alone.stderr) == (2, "--kiosk-id và --token-file đi cùng nhau: "
                                                "mã trạm kia và mã đồng bộ của nó / --kiosk-id "
                                                "and --token-file go together: the other kiosk "
                                                "id and its token\n")
    token = tmp_path / "ql1a-old.token"
    token.write_text(central.enrol("ql1a-old") + "\n", encoding="utf-8")
    as_old = sync(config, "push", "--kiosk-id", "ql1a-old", "--token-file", str(token))
    assert "Sent 30 entries" in as_old.stdout
    assert sorted(central.stored_ids("ql1a-old")) == earlier
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": len(ids) + len(earlier)}
    assert "ALERT" not in sync(config, "status", "--offline").stdout


def test_the_commands_speak_vietnamese_when_the_kiosk_does(central, tmp_path):
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, language="vi",
                          server_url=central.url, token=central.enrol(kiosk_id))
    fill_backlog(tmp_path / "kiosk.db", 5, kiosk_id=kiosk_id)
    assert "Chờ gửi                  5" in sync(config, "status").stdout
    assert "Đã gửi 5 bản ghi" in sync(config, "push").stdout
    assert "Không có bản ghi nào chờ gửi" in sync(config, "push").stdout


def test_push_that_leaves_an_entry_the_centre_never_stores_in_time_exits_1_naming_it(
        tmp_path):
    """An entry the centre does not store in time, even alone, is held back (the rest go):
    the push is not done, and says so — exit 1, the entry named on stderr."""
    centre = SlowCentre(tmp_path / "centre")
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=centre.url,
                          token=centre.enrol(kiosk_id), batch_size=1)
    slow = fill_backlog(tmp_path / "kiosk.db", 4, kiosk_id=kiosk_id)[0]
    centre.slow_down(slow)
    try:
        proc = sync(config, "push", ok=False)
        assert proc.returncode == 1
        assert ("Not everything was sent: entries the centre did not store, even "
                f"sent alone (1): {slow}") in proc.stderr
        assert "3 new, 0 already at the centre, 0 rejected; 1 still pending" in proc.stdout
        assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 3, "pending": 1}
    finally:
        centre.stop()


def test_status_gives_a_backlog_recorded_at_1970_as_of_unknown_age(tmp_path):
    """A flat RTC battery: the kiosk recorded scans at 1970, and NTP set its clock since. The
    oldest pending entry was "20789 d 5 h ago": no scan this program stored was made before
    its first version, so its age is unknown, and the operator is told why."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-1970",
                          server_url="http://127.0.0.1:9", token="")
    in_vietnamese = write_config(tmp_path / "vi.toml", kiosk_id="k-1970", language="vi",
                                 server_url="http://127.0.0.1:9", token="")
    fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id="k-1970", start=600.0)  # 1970-01-01 00:10

    out = sync(config, "status", "--offline").stdout
    assert ("Oldest pending           1970-01-01 08:10:00 "  # Saigon: UTC+8 then
            "(age unknown: the kiosk's clock was wrong when it recorded this)\n") in out, out
    assert " ago)" not in out
    vi = sync(in_vietnamese, "status", "--offline").stdout
    assert "(không rõ đã bao lâu: đồng hồ trạm chỉ sai lúc ghi)" in vi and " trước)" not in vi


def test_status_names_an_earlier_boots_backlog_left_with_its_clock_ahead_as_of_unknown_age(
        tmp_path):
    """An earlier boot recorded a scan while its clock ran 200 days ahead, and the clock was
    set right before this boot recorded one a minute ago. This boot's scan sorts first by
    id, and "Oldest pending" gave it, "1 min ago", while the earlier boot's, older than
    this boot, waited. The earlier boot's is given, at the time it was recorded, and said
    to be later than the clock reads now: how long it has waited, no clock tells."""
    config = write_config(tmp_path / "config.toml", kiosk_id="k-ahead",
                          server_url="http://127.0.0.1:9", token="")
    in_vietnamese = write_config(tmp_path / "vi.toml", kiosk_id="k-ahead", language="vi",
                                 server_url="http://127.0.0.1:9", token="")
    now = float(int(time.time()))
    ahead = now + 200 * 86400
    pending_entries(tmp_path / "kiosk.db",
                    (now - 60, boot_id(), time.monotonic_ns() - 60 * 10**9),
                    (ahead, "an-earlier-boot", 123), kiosk_id="k-ahead").close()
    shown = dt.datetime.fromtimestamp(ahead, load_config(config).timezone)

    out = sync(config, "status", "--offline").stdout
    assert (f"Oldest pending           {shown:%Y-%m-%d %H:%M:%S} "
            "(later than the kiosk's clock reads now)\n") in out, out
    assert " ago)" not in out
    vi = sync(in_vietnamese, "status", "--offline").stdout
    assert f"{shown:%Y-%m-%d %H:%M:%S} (muộn hơn giờ đồng hồ trạm đang chỉ)" in vi, vi
    assert " trước)" not in vi


def kiosk_at(url: str, tmp_path, entries: int = 20):
    """A kiosk's config sending to ``url``, with ``entries`` pending; (config, zone)."""
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=url,
                          token="t")
    fill_backlog(tmp_path / "kiosk.db", entries, kiosk_id=kiosk_id)
    return config, load_config(config).timezone


def minutes_around(zone: ZoneInfo, seconds: float, during: float) -> set[str]:
    """The minutes a wait of ``seconds`` asked for within the next ``during`` seconds may
    be said to end at: HH:MM, or YYYY-MM-DD HH:MM past midnight (the kiosk's zone)."""
    now = dt.datetime.now(zone)
    ends = (now + dt.timedelta(seconds=seconds + s) for s in range(int(during) + 1))
    return {f"{end:%H:%M}" if end.date() == now.date() else f"{end:%Y-%m-%d %H:%M}"
            for end in ends}


def test_a_wait_says_the_minute_the_push_really_sends_again_and_its_day_when_not_today():
    """Six hours asked at 21:00 (Hanoi): "until 03:00" read as this morning, and the push
    sends again up to 10 % later than asked (a fleet told the same does not come back in
    step: the delay is drawn before the wait is said). The words give the minute it sends
    again, that delay included, with the date when it is not today; a push that stops for
    a longer wait says the first minute the centre's wait is over, rounded up."""
    asked = dt.datetime(2026, 12, 5, 21, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    night = Wait(21600, asked, 21600 * 1.07)  # 6 h 25 min 12 s: 03:25:12 tomorrow
    assert night.words()("en") == \
        "the centre asks to wait 21,600 s: sending again at 2026-12-06 03:25"
    assert night.words()("vi") == "trung tâm yêu cầu chờ 21.600 giây: gửi lại lúc 2026-12-06 03:25"
    assert night.ends() == "2026-12-06 03:00"
    soon = Wait(30.5, asked, 33.0)
    assert soon.words()("en") == "the centre asks to wait 30 s: sending again at 21:00"
    assert soon.ends() == "21:01"  # over at 21:00:30.5: "send again after 21:00" is early


def test_push_says_the_wait_the_centre_asks_for_and_when_it_sends_again_then_sends(tmp_path):
    """A centre answering 503 with ``Retry-After: 2``: the push waits as asked, and says so
    on stderr — how long, the minute it sends again, that Ctrl-C stops it and nothing is
    lost — instead of sitting silent after a WARNING line; then it sends everything."""
    with serving(BusyAtFirst.asking(2)) as url:
        config, zone = kiosk_at(url, tmp_path)
        again = minutes_around(zone, 2, 30)
        proc = sync(config, "push")
    said = [line for line in proc.stderr.splitlines() if "asks to wait" in line]
    assert len(said) == 1, proc.stderr
    head, tail = "the centre asks to wait 2 s: sending again at ", \
        " — Ctrl-C to stop; the entries stay pending"
    assert said[0].startswith(head) and said[0].endswith(tail), said
    assert said[0][len(head):-len(tail)] in again
    assert "20 new, 0 already at the centre, 0 rejected; 0 still pending" in proc.stdout
    assert sync_states(tmp_path / "kiosk.db") == {"acknowledged": 20}


@pytest.mark.parametrize(("retry_after", "options", "limit"), [
    (3600, (), "300"),             # an hour: past the default
    (5, ("--max-wait", "2"), "2"),  # the operator's own bound
])
def test_push_stops_at_once_when_the_centre_asks_for_a_longer_wait(
        tmp_path, retry_after, options, limit):
    """A centre answering 503 with a long ``Retry-After`` (up to six hours honoured): the
    operator's push sat through it silently, four times over, before giving up. It now
    stops at once, beyond ``--max-wait`` (300 s by default), exit 1, saying until when the
    centre asked to wait — the time to try again — and that the entries stay pending. (The
    running kiosk's own sync still waits it out: that is the centre's protection.)"""
    with serving(BusyAtFirst.asking(retry_after, busy=10)) as url:
        config, zone = kiosk_at(url, tmp_path)
        ends = minutes_around(zone, retry_after, 90)  # rounded up: "after" is never early
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "push", *options,
                               "--config", str(config)], capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert time.monotonic() - started < 25
    head = (f"Not everything was sent: the centre asks to wait {retry_after:,} s (until ")
    said = next(line for line in proc.stderr.splitlines() if line.startswith(head))
    until = said[len(head):].split(")")[0]
    assert until in ends
    assert (f"(until {until}), longer than a push waits ({limit} s): stopped, the entries "
            f"stay pending — send again after {until} (") in said
    assert "asks to wait" not in proc.stderr.replace(said, "")  # no wait was begun
    assert "0 new, 0 already at the centre, 0 rejected; 20 still pending" in proc.stdout
    assert sync_states(tmp_path / "kiosk.db") == {"pending": 20}


def test_ctrl_c_during_a_wait_stops_the_push_in_words_with_the_entries_pending(tmp_path):
    """The wait's words offer Ctrl-C: it stops the push with no traceback, exit 130,
    saying how many entries stay pending — none is lost."""
    with serving(BusyAtFirst.asking(120, busy=10)) as url:
        config, _ = kiosk_at(url, tmp_path)
        proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "push",
                                 "--config", str(config)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                preexec_fn=ctrl_c_as_at_a_terminal)
        said = []
        while not any("asks to wait 120 s" in line for line in said):
            line = proc.stderr.readline()
            assert line, "".join(said)
            said.append(line)
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[1]
    assert proc.returncode == 130, rest
    assert "Push stopped; 20 entries stay pending" in rest
    assert "Traceback" not in rest
    assert sync_states(tmp_path / "kiosk.db") == {"pending": 20}


def test_a_second_push_waits_for_the_first_and_no_entry_reaches_the_centre_twice(central,
                                                                                 tmp_path):
    """Two pushes at once used to read the same pending entries and send both copies: the
    centre answered ``duplicate`` but counted each against the kiosk's hourly allowance, so
    a big backlog crawled on 429s. One sender at a time: the second push says who sends and
    waits for it, then finds nothing left; every entry crosses the wire once."""
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=central.enrol(kiosk_id), batch_size=100)
    ids = fill_backlog(tmp_path / "kiosk.db", 20_000, kiosk_id=kiosk_id)

    def push() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "push",
                                 "--config", str(config)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)

    first = push()
    assert first.stdout.readline().startswith("push: ")  # it is sending
    second = push()
    second_out, second_err = second.communicate(timeout=120)
    first_out, first_err = first.communicate(timeout=120)
    assert first.returncode == second.returncode == 0, first_err + second_err
    assert (f"another process (pid {first.pid}: another `kiosk sync push`, or the running "
            "kiosk) is sending this kiosk's pending entries: waiting for it to end, then "
            "sending what it left, nothing twice") in second_err
    assert first_out.splitlines()[-1].endswith(": 20,000 new, 0 already at the centre, "
                                               "0 rejected; 0 still pending")
    said = second_out.splitlines()[-1]  # all sent by the first while it waited
    assert said.startswith("Sent 0 entries in ") and said.endswith(
        ": 0 new, 0 already at the centre, 0 rejected; 0 still pending")
    batches = central.batches(kiosk_id)
    assert sum(b["entries"] for b in batches) == 20_000  # none sent twice
    assert sum(b["duplicate"] for b in batches) == 0
    assert sorted(central.stored_ids(kiosk_id)) == ids


def test_the_running_kiosks_worker_leaves_the_backlog_to_a_push_and_sends_none_twice(
        central, tmp_path):
    """A push while ``kiosk run`` uploads was "safe" only in that nothing was lost: both sent
    the same entries. The kiosk's worker finding a push sending leaves the backlog to it
    (checking in meanwhile), then sends what is recorded after it."""
    kiosk_id = f"k-{uuid.uuid4().hex[:10]}"
    config = write_config(tmp_path / "config.toml", kiosk_id=kiosk_id, server_url=central.url,
                          token=central.enrol(kiosk_id), batch_size=100)
    ids = fill_backlog(tmp_path / "kiosk.db", 20_000, kiosk_id=kiosk_id)
    push = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "push", "--config",
                             str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    assert push.stdout.readline().startswith("push: ")  # it is sending
    worker = SyncWorker.from_config(load_config(config), interval_seconds=0.2)
    worker.start()
    try:
        out, err = push.communicate(timeout=120)
        assert push.returncode == 0, err
        assert out.splitlines()[-1].endswith(": 20,000 new, 0 already at the centre, "
                                             "0 rejected; 0 still pending")
        later = fill_backlog(tmp_path / "kiosk.db", 10, kiosk_id=kiosk_id, seed=2)
        wait_until(lambda: len(central.stored_ids(kiosk_id)) == 20_010, timeout=30)
    finally:
        worker.stop()
    batches = central.batches(kiosk_id)
    assert sum(b["entries"] for b in batches) == 20_010  # none sent twice
    assert sum(b["duplicate"] for b in batches) == 0
    assert sorted(central.stored_ids(kiosk_id)) == sorted(ids + later)
