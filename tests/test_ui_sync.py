"""The sync screen against real parts: a `kiosk-central serve` process on 127.0.0.1, the
kiosk's SQLite outbox, backlog files written to disk."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QScrollArea
from pytestqt.qtbot import QtBot
from ui_support import (  # noqa: F401
    load,
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.ui.bridge import SyncView
from kiosk.ui.status_strip import local_time
from kiosk.ui.sync_screen import SyncScreen
from tests.certificate_support import make_issuer, vaccination
from tests.sync_support import BusyAtFirst, TakingEveryBatch, serving
from tests.test_sync_sending import another_sender


def sync_section(url: str, token: str, *, enabled: bool) -> str:
    return (f'\n[sync]\nenabled = {"true" if enabled else "false"}\nserver_url = "{url}"\n'
            f'token = "{token}"\ninterval_seconds = 600\n')


def record(window, count: int) -> None:
    for number in range(count):
        payload = (f"{number:012d}|123456789|Người Thử {number}|01021990|Nam|Hà Nội|10102021")
        result = window.kiosk.pipeline.submit(Scan(payload.encode(), device_id="lane1"))
        assert result.recorded


def window_with_one_entry_scanned_at(make_window, tmp_path, wall_time: float):
    """A kiosk window, not started, its sync off (to a centre at 127.0.0.1:9), with one entry
    recorded as scanned at ``wall_time``: (window, its config path)."""
    path = write_config(tmp_path, extra=sync_section("http://127.0.0.1:9", "t0ken-for-age",
                                                      enabled=False))
    window = make_window(path, start=False)
    payload = "001099012345|123456789|Người Thử|01021990|Nam|Hà Nội|10102021"
    assert window.kiosk.pipeline.submit(Scan(payload.encode(), device_id="lane1",
                                             wall_time=wall_time)).recorded
    return window, path


def open_sync(window, qtbot):
    window.open_sync()
    qtbot.keyClicks(window.gate.dialog.field, "2468")
    window.gate.dialog.ok.click()
    return window.sync_screen


def export_to_usb(screen: SyncScreen, qtbot: QtBot, tmp_path: Path) -> Path:
    """The screen's export of the backlog to a USB stick's file, run until the screen is no
    longer busy: the file's path (the file written or not)."""
    target = tmp_path / "usb" / "kiosk.backlog"
    target.parent.mkdir()
    screen.export_to(str(target))
    qtbot.waitUntil(lambda: not screen.busy, timeout=15000)
    return target


def sync_screen_counting_one_pending(window, qtbot):
    """The sync screen, opened with its PIN, once its pending tile counts the one entry."""
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "1", timeout=10000)
    return screen


def strip_showing_offline(window, view: SyncView) -> str:
    """The status strip's sync text once it shows ``view`` (sync on) as offline, and only
    that view: the window's own views no longer reach it. Its no-break spaces read as
    spaces."""
    window.bridge.sync_changed.disconnect(window.strip.set_sync)
    window.strip.set_sync(dataclasses.replace(view, enabled=True, online=False))
    return window.strip.sync.text().replace("\u00a0", " ")


def test_sync_now_sends_the_backlog_with_progress_until_the_centre_acknowledges_it(
        make_window, qtbot, tmp_path, central):
    token = central.enrol("kiosk-ui", "CP-UI")
    path = write_config(tmp_path, extra=sync_section(central.url, token, enabled=True))
    window = make_window(path, start=False)  # no background uploads: the button does it
    record(window, 30)
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "30", timeout=10000)
    assert screen.push_button.isEnabled()
    steps = []
    screen._progress.connect(lambda p: steps.append((p.done, p.total)))
    qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.text().startswith("Xong:"), timeout=30000)
    assert "30 lượt được nhận" in screen.message.text()
    assert steps and steps[-1] == (30, 30)
    assert screen.progress.value() == 30 or not screen.progress.isVisible()
    qtbot.waitUntil(lambda: screen.tiles["acknowledged"].value.text() == "30", timeout=10000)
    assert screen.tiles["pending"].value.text() == "0"
    assert len(central.stored_ids("kiosk-ui")) == 30
    assert "Gửi thành công lần cuối: " in screen.facts.text()
    assert "chưa lần nào" not in screen.facts.text()


def test_export_writes_a_sealed_backlog_file_and_keeps_the_entries_pending(make_window, qtbot,
                                                                           tmp_path):
    """With sync off (a site with no network) the backlog still goes to a file, signed with
    the kiosk's own key and sealed to the centre's key it learnt earlier; nothing leaves
    the pending set until the centre acknowledges it."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.sync.backlog import BacklogReader
    from kiosk.sync.backlog_keys import encode
    from kiosk.sync.kiosk_keys import KioskKeys

    path = write_config(tmp_path, extra=sync_section("http://127.0.0.1:9", "t0ken-for-signing",
                                                      enabled=False))
    centre = X25519PrivateKey.generate()
    keys = KioskKeys(path.parent)
    keys.remember({"centre_key": encode(centre.public_key())})  # said at enrolment
    window = make_window(path, start=False)
    record(window, 12)
    screen = open_sync(window, qtbot)
    assert not screen.push_button.isEnabled()
    target = export_to_usb(screen, qtbot, tmp_path)
    assert screen.message.text().startswith("Đã ghi 12 lượt vào"), screen.message.text()
    with BacklogReader(target, centre) as reader:
        reader.verify(keys.signing_key().public_key())
        assert sum(len(batch) for batch in reader.batches()) == 12
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "12", timeout=10000)


def export_after_a_backup_was_moved_over_the_store(make_window, qtbot, tmp_path, *,
                                                   enabled: bool, language: str = "vi"):
    """A kiosk (its centre at 127.0.0.1:9 out of reach) records 2 scans, is backed up,
    records 10 more, then has the backup put back (``mv``) under it: the 10 are only in the
    file it still holds. The sync screen then exports: (what it says, entries in the file,
    the window)."""
    import contextlib
    import os
    import sqlite3

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.sync.backlog import BacklogReader
    from kiosk.sync.backlog_keys import encode
    from kiosk.sync.kiosk_keys import KioskKeys

    path = write_config(tmp_path, extra=sync_section("http://127.0.0.1:9", "t0ken-for-swap",
                                                      enabled=enabled))
    centre = X25519PrivateKey.generate()
    keys = KioskKeys(path.parent)
    keys.remember({"centre_key": encode(centre.public_key())})
    window = make_window(path, language=language, start=False)
    store_path = load(path).store_path
    record(window, 2)
    backup = tmp_path / "backup.db"
    with contextlib.closing(sqlite3.connect(backup)) as copy, \
            contextlib.closing(sqlite3.connect(store_path)) as source:
        source.backup(copy)  # last night's backup: 2 entries
    record(window, 10)  # today's scans
    os.replace(backup, store_path)  # the backup put back under the running kiosk
    screen = open_sync(window, qtbot)
    target = export_to_usb(screen, qtbot, tmp_path)
    with BacklogReader(target, centre) as reader:
        reader.verify(keys.signing_key().public_key())
        return screen.message.text(), sum(len(batch) for batch in reader.batches()), window


def test_an_export_after_a_backup_was_moved_over_the_store_writes_the_kiosks_own_entries(
        make_window, qtbot, tmp_path):
    """Sync off (a site with no network): the export writes the entries of the file the
    kiosk records in, never the moved-in backup's, and says the store was replaced."""
    said, written, window = export_after_a_backup_was_moved_over_the_store(
        make_window, qtbot, tmp_path, enabled=False)
    assert written == 12
    assert said.startswith("Đã ghi 12 lượt vào"), said
    assert "đã bị xoá hoặc thay bằng tệp khác" in said, said
    assert window.kiosk.store.refusal().code == "store.gone"  # lent, not closed by the export


@pytest.mark.parametrize(("language", "good", "why", "other"), [
    ("vi", "Đã ghi 12 lượt vào {target}; tệp tốt: hãy mang tới trung tâm để nhập",
     "tệp này đã được xuất mà bản ghi việc xuất bị dở ({store}: tệp kho dữ liệu đã bị "
     "xoá hoặc thay bằng tệp khác trong khi trạm chạy", "Thất bại"),
    ("en", "12 entries written to {target}; the file is good: carry it to the centre to "
           "import", "this file was exported, its record was cut short ({store}: the store "
                     "file was deleted or replaced while the kiosk runs", "Failed"),
])
def test_an_export_the_store_cannot_mark_says_the_file_is_good_and_the_entries_stay_pending(
        make_window, qtbot, tmp_path, language, good, why, other):
    """Sync on, the centre out of reach, a backup put back under the kiosk: the file holds
    all 12 entries and may be their only copy once the kiosk restarts. The store refuses
    to mark them exported; the screen says the file is good, why they stay pending, never
    "failed" (the operator would throw the file away)."""
    said, written, window = export_after_a_backup_was_moved_over_the_store(
        make_window, qtbot, tmp_path, enabled=True, language=language)
    assert written == 12
    assert good.format(target=tmp_path / "usb" / "kiosk.backlog") in said, said
    assert why.format(store=window.kiosk.store.path) in said, said
    assert other not in said
    assert window.kiosk.sync.store.outbox_summary().pending == 12  # still to send


@pytest.mark.parametrize(("language", "note", "other"), [
    ("vi", "Chú ý: trung tâm chưa xác nhận khoá ký của trạm này, nên sẽ từ chối tệp",
     "has not confirmed"),
    ("en", "Note: the centre has not confirmed this kiosk's signing key, so it will refuse "
           "the file", "chưa xác nhận"),
])
def test_an_export_whose_signing_key_the_centre_has_not_confirmed_says_so_as_the_cli_does(
        make_window, qtbot, tmp_path, language, note, other):
    """A site that never reached the centre: its centre key was set by hand, so the centre
    has never confirmed this kiosk's signing key and will refuse the file until the kiosk
    connects once or an administrator registers the key. The screen says so under the count
    (the note ``kiosk sync export`` prints), in its own language only, with the key to set."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.sync.backlog_keys import encode
    from kiosk.sync.kiosk_keys import KioskKeys

    path = write_config(tmp_path, extra=sync_section("http://127.0.0.1:9", "t0ken-offline",
                                                      enabled=False))
    keys = KioskKeys(path.parent)
    keys.remember({"centre_key": encode(X25519PrivateKey.generate().public_key())})
    window = make_window(path, language=language, start=False)
    record(window, 2)
    screen = open_sync(window, qtbot)

    target = export_to_usb(screen, qtbot, tmp_path)

    said = screen.message.text()
    assert note in said, said
    assert f"signing-key kiosk-ui --set={keys.public_signing_key()} --reason" in said
    assert str(keys.signing_key_path) in said
    assert other not in said
    assert target.exists()



@pytest.mark.parametrize(("language", "written", "note"), [
    ("vi", "Đã ghi 4 lượt vào", "Chú ý: trung tâm giữ một khoá ký khác ({held}) cho trạm "
                               "{kiosk}, không phải khoá {own} của trạm này"),
    ("en", "4 entries written to", "Note: the centre holds another signing key ({held}) for "
                                   "kiosk {kiosk}, not this kiosk's {own}"),
])
def test_an_export_the_centre_will_refuse_says_why_as_kiosk_sync_export_does(
        make_window, qtbot, tmp_path, central, language, written, note):
    """Someone used the kiosk's token first and registered their own signing key: the file
    is written, but the centre will refuse it until an administrator acts. The screen says
    so under the count, in the catalogue's words ``kiosk sync export`` prints, in the
    screen's language, with the administrator's step."""
    import httpx
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.sync import protocol
    from kiosk.sync.backlog_keys import encode, fingerprint
    from kiosk.sync.kiosk_keys import KioskKeys

    kiosk_id = f"kiosk-ui-{language}"
    token = central.enrol(kiosk_id, "CP-UI")
    usurper = Ed25519PrivateKey.generate().public_key()
    assert httpx.post(central.url + protocol.BACKLOG_KEYS_PATH,
                      json={"signing_key": encode(usurper)},
                      headers=protocol.bearer(token)).status_code == 200
    path = write_config(tmp_path, extra=sync_section(central.url, token, enabled=True))
    path.write_text(path.read_text(encoding="utf-8").replace(
        'id = "kiosk-ui"', f'id = "{kiosk_id}"', 1), encoding="utf-8")
    window = make_window(path, language=language, start=False)
    record(window, 4)
    screen = open_sync(window, qtbot)

    target = export_to_usb(screen, qtbot, tmp_path)

    said = screen.message.text()
    own = KioskKeys(path.parent).signing_key().public_key()
    assert said.startswith(written), said
    assert note.format(held=fingerprint(usurper), kiosk=kiosk_id,
                       own=fingerprint(own)) in said, said
    assert f"signing-key {kiosk_id} --set={encode(own)} --reason" in said
    assert "#c62828" in screen.message.styleSheet()
    assert target.exists()


@pytest.mark.parametrize(("language", "refused", "other"), [
    ("vi", "Thất bại: trung tâm giữ một khoá ký khác ({held}) cho trạm {kiosk}, không phải "
           "khoá {own} của trạm này", "the centre holds"),
    ("en", "Failed: the centre holds another signing key ({held}) for kiosk {kiosk}, not "
           "this kiosk's {own}", "trung tâm giữ"),
])
def test_an_export_refused_for_a_signing_key_conflict_is_said_in_the_screens_language(
        make_window, qtbot, tmp_path, language, refused, other):
    """The centre holds another signing key for this kiosk and its answer gave no centre
    key: nothing can be sealed. The screen says why in its own language only (as ``kiosk
    sync export`` does in the kiosk's), with the administrator's step; no file is written
    and the entries still wait."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.sync.backlog_keys import encode, fingerprint
    from kiosk.sync.kiosk_keys import KioskKeys
    from tests.sync_support import centre_holding_another_signing_key

    usurper = Ed25519PrivateKey.generate().public_key()
    held = usurper.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with centre_holding_another_signing_key("kiosk-ui", held) as url:
        path = write_config(tmp_path, extra=sync_section(url, "t0ken", enabled=True))
        window = make_window(path, language=language, start=False)
        record(window, 3)
        screen = open_sync(window, qtbot)
        target = export_to_usb(screen, qtbot, tmp_path)

    own = KioskKeys(path.parent).signing_key().public_key()
    said = screen.message.text()
    assert said.startswith(refused.format(held=fingerprint(usurper), kiosk="kiosk-ui",
                                          own=fingerprint(own))), said
    assert f"signing-key kiosk-ui --set={encode(own)} --reason" in said
    assert other not in said
    assert not target.exists()
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "3", timeout=10000)

def test_refused_entries_are_listed_with_the_centres_reason_and_can_be_retried(
        make_window, qtbot, tmp_path):
    path = write_config(tmp_path)
    window = make_window(path, start=False)
    record(window, 3)
    config = load(path)
    store = Store(config.store_path, timezone=config.timezone)
    first = store.pending(10)[0]
    store.mark_synced([], {first["id"]: "document_number: expected 12 digits"})  # as kept
    # by a kiosk of an earlier version (plain text): shown as it is
    store.close()
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1, timeout=10000)
    assert screen.table.item(0, 1).text() == "Người Thử 0"
    assert screen.table.item(0, 2).text() == "••••••••0000"
    assert screen.table.item(0, 3).text() == "document_number: expected 12 digits"
    assert screen.tiles["rejected"].value.text() == "1"
    assert "1\u00a0lượt bị từ chối" in window.strip.sync.text()
    qtbot.mouseClick(screen.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 0, timeout=10000)
    assert screen.message.text() == "Đã đưa 1 lượt vào hàng chờ gửi lại."
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "3", timeout=10000)


def test_the_alert_is_worded_in_the_screens_language_and_again_after_a_switch(
        make_window, qtbot, tmp_path):
    """The worker hands the alert over as a code (no token here): the sync screen words it
    in Vietnamese, and in English once the officer switches, with no new alert needed."""
    path = write_config(tmp_path, extra=sync_section("http://127.0.0.1:9", "", enabled=True))
    window = make_window(path, start=False)
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: "Chưa có mã đồng bộ" in screen.facts.text(), timeout=10000)
    window.set_language("en")
    qtbot.waitUntil(lambda: "No sync token: set [sync] token" in screen.facts.text(),
                    timeout=10000)
    assert "Chưa có mã đồng bộ" not in screen.facts.text()


def test_a_centre_that_is_down_is_said_with_what_to_check_in_the_screens_language(
        make_window, qtbot, tmp_path):
    """The officer sends now and nothing listens at the centre's port: the sync screen's
    last error and the status strip's tooltip say what the officer can check (the centre
    down, or the port in the config), not Python's English, with the system's short name
    left for a technician — in Vietnamese, then in English after a switch."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    path = write_config(tmp_path, extra=sync_section(url, "token", enabled=True))
    window = make_window(path, start=False)
    record(window, 1)
    screen = open_sync(window, qtbot)
    vietnamese = ("Lỗi gần nhất: không kết nối được: không có máy chủ nào nhận kết nối ở địa "
                  "chỉ và cổng này — máy chủ trung tâm đang tắt, hoặc cổng trong server_url "
                  "(mục [sync]) bị sai [Errno 111]")
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "1", timeout=10000)
    qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: vietnamese in screen.facts.text(), timeout=30000)
    assert window.strip.sync.toolTip() == vietnamese.removeprefix("Lỗi gần nhất: ")
    window.set_language("en")
    english = ("Last error: connection failed: nothing accepts connections at that address "
               "and port — the centre's server is down, or the port in [sync] server_url is "
               "wrong [Errno 111]")
    qtbot.waitUntil(lambda: english in screen.facts.text(), timeout=10000)
    assert window.strip.sync.toolTip() == english.removeprefix("Last error: ")


def test_the_centres_refusal_is_shown_in_the_screens_language_not_the_centres_english(
        make_window, qtbot, tmp_path, central):
    """A real centre refuses the kiosk's entries (the kiosk was enrolled at another
    checkpoint than its config says): its answer carries a code and parameters beside the
    English reason, and the refused list words them in Vietnamese, then in English after a
    switch, with no new answer needed."""
    token = central.enrol("kiosk-ui-2", "CP-KHAC")
    path = write_config(tmp_path, extra=sync_section(central.url, token, enabled=True))
    path.write_text(path.read_text().replace('id = "kiosk-ui"', 'id = "kiosk-ui-2"'))
    window = make_window(path, start=False)
    record(window, 2)
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "2", timeout=10000)
    qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 2, timeout=30000)
    vietnamese = ("checkpoint_id: trạm 'kiosk-ui-2' được đăng ký tại điểm 'CP-KHAC', "
                  "không phải 'CP-UI'")
    assert [screen.table.item(row, 3).text() for row in range(2)] == [vietnamese] * 2
    assert screen.tiles["rejected"].value.text() == "2"
    assert central.stored_ids("kiosk-ui-2") == []
    window.set_language("en")
    english = "checkpoint_id: kiosk 'kiosk-ui-2' is enrolled at checkpoint 'CP-KHAC', not 'CP-UI'"
    qtbot.waitUntil(lambda: screen.table.item(0, 3).text() == english, timeout=10000)


def in_view(widget) -> bool:
    """Whether all of ``widget`` shows in its scroll area without scrolling."""
    area = widget.parentWidget()
    while not isinstance(area, QScrollArea):
        area = area.parentWidget()
    view = area.viewport()
    place = QRect(widget.mapTo(view, widget.rect().topLeft()), widget.size())
    return widget.isVisible() and view.rect().contains(place)


@pytest.mark.parametrize("size", [(800, 480), (480, 800)])
def test_on_a_7_inch_panel_the_push_shows_its_progress_and_outcome_without_scrolling(
        make_window, qtbot, tmp_path, size):
    """The operator taps Sync now on a 7" panel while the centre cannot be reached (when the
    screen's facts are longest: offline, the last error): the progress bar shows at once and
    the outcome after, both under the buttons where the operator is looking, not below the
    facts where the screen would have to be scrolled to."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = write_config(tmp_path, extra=sync_section(f"http://127.0.0.1:{port}", "t" * 32,
                                                     enabled=True))
    window = make_window(path, start=False)
    record(window, 3)
    window.fit_to(QSize(*size))
    screen = open_sync(window, qtbot)
    qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
    assert in_view(screen.progress) and in_view(screen.message)
    qtbot.waitUntil(lambda: screen.message.text().startswith("Đã dừng:"), timeout=30000)
    qtbot.waitUntil(lambda: "MẤT KẾT NỐI" in screen.facts.text(), timeout=10000)
    assert "còn 3 lượt chờ gửi" in screen.message.text()
    assert in_view(screen.message), (screen.message.text(), screen.message.geometry())
    assert in_view(screen.push_button)


def test_entries_scanned_while_the_clock_ran_ahead_show_their_time_with_no_wait(
        make_window, qtbot, tmp_path):
    """The clock ran three hours ahead when an entry was scanned, then was put right: how
    long it has waited is unknown. The sync screen shows its time, later than the clock
    reads now (it read "-180 phút": a negative age is "under an hour" in minutes; then
    "0 phút"), and the status strip, with no room for that, gives no age at all."""
    import time

    scanned = time.time() + 3 * 3600
    window, _ = window_with_one_entry_scanned_at(make_window, tmp_path, scanned)
    screen = sync_screen_counting_one_pending(window, qtbot)
    shown = local_time(scanned, window.kiosk.config.timezone)
    qtbot.waitUntil(lambda: f"Lượt chờ lâu nhất: {shown} (muộn hơn giờ đồng hồ trạm đang chỉ)"
                    in screen.facts.text(), timeout=10000)
    strip = strip_showing_offline(window, screen.view)
    assert strip.startswith("MẤT KẾT NỐI · 1 lượt chờ gửi") and "cũ nhất" not in strip, strip


def test_an_entry_later_than_the_clock_is_worded_on_the_screen_as_kiosk_sync_status_words_it(
        make_window, qtbot, tmp_path):
    """An entry stamped three days later than the clock now reads: the kiosk cannot tell a
    clock that ran ahead from one gone back (a flat RTC battery at 1970, NTP stepping it
    back), so nobody knows how long it has waited. ``kiosk sync status`` says so ("later than
    the kiosk's clock reads now", docs/technician.md); the technician's sync screen, reading
    the same store, must not claim it has waited "0 phút" (SyncView clamps its age to 0)."""
    import time

    window, path = window_with_one_entry_scanned_at(make_window, tmp_path,
                                                    time.time() + 3 * 86400)
    later = "muộn hơn giờ đồng hồ trạm đang chỉ"
    status = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "status", "--offline",
                             "--config", str(path)], capture_output=True, text=True, timeout=60)
    assert f"({later})" in status.stdout, status.stdout + status.stderr

    screen = sync_screen_counting_one_pending(window, qtbot)
    oldest = next(line for line in screen.facts.text().splitlines()
                  if line.startswith("Lượt chờ lâu nhất"))
    assert later in oldest, oldest


def test_an_entry_recorded_at_1970_has_no_age_on_the_screen_or_the_strip(
        make_window, qtbot, tmp_path):
    """A flat RTC battery: an entry recorded at 1970 waits, the clock right since (NTP). The
    sync screen said "20789 ngày trước" and the strip, offline, "cũ nhất 20789
    ngày": no scan this program stored was made before its first version, so its age is
    unknown. The screen gives its time and says why, as ``kiosk sync status`` does; the
    strip, with no room for that, gives no age."""
    window, _ = window_with_one_entry_scanned_at(make_window, tmp_path, 600.0)  # 00:10 UTC
    screen = sync_screen_counting_one_pending(window, qtbot)
    shown = local_time(600.0, window.kiosk.config.timezone)
    qtbot.waitUntil(lambda: f"Lượt chờ lâu nhất: {shown} (không rõ đã bao lâu: đồng hồ trạm "
                    "chỉ sai lúc ghi)" in screen.facts.text(), timeout=10000)
    assert screen.view.oldest_pending_age_seconds is None
    strip = strip_showing_offline(window, screen.view)
    assert strip.startswith("MẤT KẾT NỐI · 1 lượt chờ gửi") and "cũ nhất" not in strip, strip


def test_a_refused_entry_whose_name_has_line_breaks_is_one_line_in_the_list(
        make_window, qtbot, tmp_path):
    """A name is whatever a code's maker wrote: its line breaks read as spaces in the list's
    one-line row (as on the card and in the recent list), where it showed its first line."""
    path = write_config(tmp_path)
    window = make_window(path, start=False)
    payload = make_issuer().sign(vaccination(name=("Nguyễn\n\nVăn\u2028An\r\n", "")),
                                 issued=0, expires=2**31)  # a certificate's name: any text
    result = window.kiosk.pipeline.submit(Scan(payload.encode(), device_id="lane1"))
    assert result.recorded
    config = load(path)
    store = Store(config.store_path, timezone=config.timezone)
    store.mark_synced([], {result.entry_id: "checkpoint unknown"})
    store.close()
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: screen.table.rowCount() == 1, timeout=10000)
    assert screen.table.item(0, 1).text() == "Nguyễn Văn An"


def test_the_oldest_entry_waiting_shows_its_time_and_age_as_kiosk_sync_status_does(
        make_window, qtbot, tmp_path):
    """An entry scanned three hours ago and not sent: the sync screen gives its time and how
    long ago, as ``kiosk sync status`` does and as it gives a time the clock has not reached
    (its time, "later than …"): one line, the same in every case."""
    import time

    scanned = time.time() - 3 * 3600 - 60
    window, _ = window_with_one_entry_scanned_at(make_window, tmp_path, scanned)
    screen = sync_screen_counting_one_pending(window, qtbot)
    shown = local_time(scanned, window.kiosk.config.timezone)
    qtbot.waitUntil(lambda: f"Lượt chờ lâu nhất: {shown} (3 giờ 01 trước)"
                    in screen.facts.text(), timeout=10000)


def test_entries_past_the_centres_retention_are_not_called_already_there(
        make_window, qtbot, tmp_path):
    """Back online after longer than the centre keeps raw entries, the kiosk sends scans of a
    month ago to a centre purged since: done (not sent again), but the screen says they
    are older than its retention cut and neither stored nor counted, not "already there"."""
    import time

    from kiosk.central.backends import open_storage
    from tests import central_support
    from tests.sync_support import CentralServer, fill_backlog

    centre = CentralServer(tmp_path / "centre")  # its own: the purge cuts the whole centre
    try:
        token = centre.enrol("kiosk-ui", "CP-UI")
        central_support.central("purge", "--days", "14",
                                "--reason", "test: a backlog past retention", "--db", centre.db)
        with open_storage(centre.db) as storage:
            cut = storage.optional_setting("entries_purged_before")
        fill_backlog(tmp_path / "kiosk.db", 3, kiosk_id="kiosk-ui", checkpoint_id="CP-UI",
                     start=time.time() - 30 * 86400)
        path = write_config(tmp_path, extra=sync_section(centre.url, token, enabled=True))
        window = make_window(path, start=False)
        screen = open_sync(window, qtbot)
        qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "3", timeout=10000)
        qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: screen.message.text().startswith("Xong:"), timeout=30000)
        assert "0 lượt đã có sẵn" in screen.message.text()
        assert (f"3 lượt cũ hơn mốc lưu giữ của trung tâm ({cut}): không lưu, không tính."
                in screen.message.text())
        qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "0", timeout=10000)
        # kept, as a background sync's would be: said again however the screen is opened
        qtbot.waitUntil(lambda: "Quá mốc lưu giữ của trung tâm: 3 lượt đã gửi cũ hơn mốc lưu "
                        f"giữ của trung tâm ({cut}), trung tâm không lưu; lần gần nhất lúc "
                        in screen.facts.text(), timeout=10000)
    finally:
        centre.stop()


@pytest.mark.parametrize(("language", "fact"), [
    ("vi", "Quá mốc lưu giữ của trung tâm: 5 lượt đã gửi cũ hơn mốc lưu giữ của trung tâm "
           "(2026-11-18), trung tâm không lưu; lần gần nhất lúc {at}"),
    ("en", "Past the centre's retention: 5 entries sent older than the centre's retention "
           "cut (2026-11-18), not stored there; the last at {at}")])
def test_the_last_entry_past_the_centres_retention_is_timed_as_the_screens_other_times(
        make_window, qtbot, tmp_path, language, fact):
    """The saved fact keeps the time of the last such answer as sortable UTC text to the
    microsecond; the screen gives it as it gives the last success: the kiosk's zone, to the
    minute (and the day, when not today)."""
    import time

    from kiosk.messages import Words
    from kiosk.sync.status import MetaKey
    from kiosk.timestamps import utc_iso

    at = time.time() - 3 * 86400
    store = Store(tmp_path / "kiosk.db")
    try:
        store.set_meta({MetaKey.PAST_RETENTION: Words("sync.past_retention_saved", {
            "count": 5, "cutoff": "2026-11-18", "at": utc_iso(at)}).saved()})
    finally:
        store.close()
    path = write_config(tmp_path, extra=sync_section("http://127.0.0.1:9", "t0ken",
                                                      enabled=False))
    window = make_window(path, start=False, language=language)
    screen = open_sync(window, qtbot)
    shown = fact.format(at=local_time(at, window.kiosk.config.timezone))  # "29/11 12:14"
    qtbot.waitUntil(lambda: shown in screen.facts.text().splitlines(), timeout=10000)


def test_a_cut_the_centre_did_not_say_as_a_day_is_worded_without_one(make_window, qtbot,
                                                                     tmp_path):
    """The client keeps a cut only when it is a day (a spoofed centre's markup or huge string
    is dropped): entries past retention with no cut are said so, with no "(None)"."""
    from kiosk.sync.worker import PushSummary

    window, _ = window_with_one_entry_scanned_at(make_window, tmp_path, 1_764_000_000.0)
    screen = sync_screen_counting_one_pending(window, qtbot)
    screen._pushed(PushSummary(accepted=0, duplicate=1, rejected=0, batches=1, seconds=0.1,
                               remaining=0, past_retention=2, retention_cut=None))
    assert screen.message.text().endswith(
        "2 lượt cũ hơn mốc lưu giữ của trung tâm: không lưu, không tính.")
    assert "None" not in screen.message.text()


def test_what_a_centre_says_is_shown_as_plain_text_never_as_markup(make_window, qtbot,
                                                                   tmp_path):
    """The message and facts carry what a centre answered (a refusal's reason, a cut): never
    read as rich text, so markup from a spoofed centre shows as the characters it is."""
    window, _ = window_with_one_entry_scanned_at(make_window, tmp_path, 1_764_000_000.0)
    screen = sync_screen_counting_one_pending(window, qtbot)
    for label in (screen.message, screen.facts):
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_entries_of_an_earlier_kiosk_id_are_named_with_their_way_on_the_sync_screen(
        make_window, qtbot, tmp_path):
    """The kiosk enrolled again under a new id with the old id's entries still pending: this
    token cannot send them and the push leaves them, so the screen names whose they are
    and the file that takes them to the centre, in the screen's language."""
    from tests.sync_support import fill_backlog

    path = write_config(tmp_path, extra=sync_section("http://127.0.0.1:9", "t0ken-new-id",
                                                      enabled=True))
    window = make_window(path, start=False)  # no background uploads: the button does it
    fill_backlog(window.kiosk.store.path, 4, kiosk_id="ql1a-old", checkpoint_id="CP-UI")
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "4", timeout=10000)
    assert "mã trạm khác" not in screen.facts.text()  # not known before an upload looked
    qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.busy, timeout=30000)
    qtbot.waitUntil(lambda: "4 bản ghi chờ gửi được ghi dưới mã trạm khác: ql1a-old (4)"
                    in screen.facts.text(), timeout=30000)
    assert "`kiosk sync export --kiosk-id ql1a-old --to TỆP`" in screen.facts.text()
    assert screen.tiles["pending"].value.text() == "4"  # still here until the centre has them


def test_a_wait_the_centre_asks_for_is_shown_while_the_push_waits(make_window, qtbot, tmp_path):
    """A centre under load answers 503 with ``Retry-After: 2``: the screen said only
    "Sending to the centre…" and seemed to hang for as long as the centre asked (hours,
    for some centres); it now says how long and the minute it sends again, in the words
    ``kiosk sync push`` says it with, and that nothing is lost."""
    with serving(BusyAtFirst.asking(2)) as url:
        path = write_config(tmp_path, extra=sync_section(url, "t0ken", enabled=True))
        window = make_window(path, start=False)  # no background uploads: the button does it
        record(window, 3)
        screen = open_sync(window, qtbot)
        qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "3", timeout=10000)
        qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: screen.message.text().startswith(
            "Tạm dừng gửi — trung tâm yêu cầu chờ 2 giây: gửi lại lúc "), timeout=10000)
        assert screen.message.text().endswith("; các lượt vẫn chờ gửi.")
        assert screen.busy and not screen.push_button.isEnabled()
        qtbot.waitUntil(lambda: screen.message.text().startswith("Xong:"), timeout=30000)
    assert "3 lượt được nhận" in screen.message.text()


def test_another_process_sending_is_named_while_the_push_waits_for_it(make_window, qtbot,
                                                                   tmp_path):
    """A ``kiosk sync push`` sending this kiosk's entries when the officer presses Sync now:
    the screen said only "Sending to the centre…" for as long as it sent. It now names the
    other process and how long the push waits for it, then sends what it left."""
    centre = TakingEveryBatch.anew()
    with serving(centre) as url:
        path = write_config(tmp_path, extra=sync_section(url, "t0ken", enabled=True))
        window = make_window(path, start=False)  # no background uploads: the button does it
        record(window, 3)
        screen = open_sync(window, qtbot)
        qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "3", timeout=10000)
        with another_sender(window.kiosk.store.path) as other:
            qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: screen.message.text() == (
                f"Một tiến trình khác (pid {other.pid}) đang gửi các lượt chờ của trạm này: "
                "chờ nó xong (tối đa 300 giây) rồi gửi phần còn lại, không gửi trùng; các "
                "lượt vẫn chờ gửi."), timeout=10000)
            assert screen.busy and not screen.push_button.isEnabled()
        qtbot.waitUntil(lambda: screen.message.text().startswith("Xong:"), timeout=30000)
    assert "3 lượt được nhận" in screen.message.text()
    assert len(centre.batches) == 1


def test_a_wait_longer_than_a_push_sits_through_stops_it_saying_when_to_send_again(
        make_window, qtbot, tmp_path):
    """A centre asking for an hour (``Retry-After: 3600``) kept the Sync now button busy
    for that hour, four times over; the push now stops at once, saying until when the
    centre asked to wait and that the entries stay pending."""
    with serving(BusyAtFirst.asking(3600, busy=10)) as url:
        path = write_config(tmp_path, extra=sync_section(url, "t0ken", enabled=True))
        window = make_window(path, start=False)
        record(window, 2)
        screen = open_sync(window, qtbot)
        qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "2", timeout=10000)
        qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not screen.busy, timeout=20000)
    said = screen.message.text()
    assert said.startswith("Đã dừng: trung tâm yêu cầu chờ 3.600 giây (đến "), said
    assert "lâu hơn mức một lần gửi ngay chờ (300 giây): đã dừng, các lượt vẫn chờ gửi — " \
        "gửi lại sau " in said
    assert screen.tiles["pending"].value.text() == "2"


def test_a_401_an_upload_after_it_ended_is_shown_as_resolved_not_as_the_last_error(
        make_window, qtbot, tmp_path, central):
    """The sync operator mends a token the centre refused (HTTP 401) and pushes: everything
    is sent, yet the screen went on saying "Last error: HTTP 401 …" as if the token still
    were refused, and the strip's tooltip too. An error an upload after it ended is shown
    with its time as resolved since, in the screen's language (after a switch too); the
    strip's tooltip no longer gives it."""
    token = central.enrol("kiosk-ui-401", "CP-UI")
    path = write_config(tmp_path, extra=sync_section(central.url, "not-a-token-it-issued",
                                                      enabled=True))
    path.write_text(path.read_text().replace('id = "kiosk-ui"', 'id = "kiosk-ui-401"'))
    window = make_window(path, start=False)
    record(window, 2)
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "2", timeout=10000)
    qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
    refused = "Lỗi gần nhất: HTTP 401: Authorization: mã đồng bộ không rõ"
    qtbot.waitUntil(lambda: refused in screen.facts.text().splitlines(), timeout=30000)
    assert "HTTP 401" in window.strip.sync.toolTip()
    qtbot.waitUntil(lambda: bool(window.kiosk.store.meta("sync.last_error")),  # saved: the
                    timeout=10000)                                    # next worker reads it

    path.write_text(path.read_text().replace("not-a-token-it-issued", token))
    before = window.bridge.sync
    window.bridge.apply_config(load(path))
    qtbot.waitUntil(lambda: window.bridge.sync is not before, timeout=30000)
    qtbot.waitUntil(lambda: screen.push_button.isEnabled(), timeout=30000)
    qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.message.text().startswith("Xong:"), timeout=30000)
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "0", timeout=10000)
    assert len(central.stored_ids("kiosk-ui-401")) == 2

    said_at = local_time(window.bridge.sync.state().last_error_at, window.bridge.config.timezone)
    qtbot.waitUntil(lambda: f"Lỗi gần nhất: {said_at}, đã hết (một lần gửi sau đó đã thành "
                    "công): HTTP 401: Authorization: mã đồng bộ không rõ"
                    in screen.facts.text().splitlines(), timeout=10000)
    qtbot.waitUntil(lambda: "HTTP 401" not in window.strip.sync.toolTip(), timeout=10000)
    window.set_language("en")
    qtbot.waitUntil(lambda: f"Last error: {said_at}, resolved since (a later upload "
                    "succeeded): HTTP 401: Authorization: unknown token"
                    in screen.facts.text().splitlines(), timeout=10000)


def test_a_revoked_token_is_an_alert_on_the_strip_not_just_sync_online(
        make_window, qtbot, tmp_path, central):
    """The centre revoked the kiosk's token: uploads stopped, the sync screen says so, yet
    the strip at the foot of every screen read "Đồng bộ trực tuyến · 199943 lượt chờ gửi" —
    the centre answers, but nothing is sent until someone acts. It adds the alert, red, and
    its tooltip gives the alert's words (the way back)."""
    token = central.enrol("kiosk-ui-rev", "CP-UI")
    central.revoke("kiosk-ui-rev")
    path = write_config(tmp_path, extra=sync_section(central.url, token, enabled=True))
    path.write_text(path.read_text().replace('id = "kiosk-ui"', 'id = "kiosk-ui-rev"'))
    window = make_window(path, start=False)
    record(window, 2)
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "2", timeout=10000)
    qtbot.mouseClick(screen.push_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.facts.text().startswith("CẢNH BÁO: "), timeout=30000)

    qtbot.waitUntil(lambda: window.strip.sync.text().replace("\u00a0", " ").endswith(
        "2 lượt chờ gửi · CẢNH BÁO: xem màn hình đồng bộ"), timeout=10000)
    assert "#c62828" in window.strip.sync.styleSheet()
    assert window.strip.sync.toolTip().startswith(
        "Máy chủ trung tâm từ chối mã đồng bộ của trạm (HTTP 401: ")
    window.set_language("en")
    qtbot.waitUntil(lambda: window.strip.sync.text().replace("\u00a0", " ").endswith(
        "2 pending · ALERT: see the sync screen"), timeout=10000)


def test_a_backlog_of_a_million_reads_grouped_as_each_language_writes_numbers(
        make_window, qtbot, tmp_path):
    """A week offline at a busy post: 1234567 waiting reads 1.234.567 in Vietnamese (whose
    "1,234" is one and a bit) and 1,234,567 in English, on the sync screen's tiles and the
    status strip, and again after the officer switches language."""
    path = write_config(tmp_path, extra=sync_section("http://127.0.0.1:9", "t0ken", enabled=False))
    window = make_window(path, start=False)
    screen = open_sync(window, qtbot)
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "0", timeout=10000)
    window.bridge.sync_changed.disconnect(screen.show_view)
    view = SyncView(enabled=True, pending=1234567, rejected=2345, acknowledged=10000,
                    oldest_pending_age_seconds=None)
    screen.show_view(view)
    shown = {key: tile.value.text() for key, tile in screen.tiles.items()}
    assert shown == {"pending": "1.234.567", "rejected": "2.345", "acknowledged": "10.000"}
    assert "1.234.567 " in strip_showing_offline(window, view)
    window.set_language("en")
    qtbot.waitUntil(lambda: screen.tiles["pending"].value.text() == "1,234,567", timeout=10000)
    assert screen.tiles["rejected"].value.text() == "2,345"
    assert "OFFLINE · 1,234,567 waiting" in window.strip.sync.text().replace("\u00a0", " ")
