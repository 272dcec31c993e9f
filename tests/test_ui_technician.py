"""The technician screen: a device form generated from the config schema, edits saved to a
valid config.toml (comments kept, atomic write) and applied without restarting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import secrets
import shutil
from zoneinfo import ZoneInfo

import pytest
from devices_support import typed
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox
from ui_support import (  # noqa: F401
    CCCD_AN,
    ROOT,
    load,
    make_window_fixture,
    read_toml,
    replay_device,
    settle,
    translations_built_fixture,
    write_config,
)

from kiosk import config as config_mod
from kiosk.config import validate_device
from kiosk.devices.captures import CaptureWriter
from kiosk.devices.discovery import InputNode, SerialPort
from kiosk.devices.registry import kinds
from kiosk.enrolment import EnrolmentCode
from kiosk.scan import Scan, Status
from kiosk.ui.config_writer import DeviceDraft, save_devices, save_setting
from kiosk.ui.device_form import DeviceForm
from kiosk.ui.technician import COLUMNS
from tests.certificate_support import make_issuer, vaccination


# -- writing config.toml --------------------------------------------------------------------
def shipped_config(tmp_path):
    path = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.toml", path)
    return path


def test_editing_a_device_changes_only_its_values_and_keeps_every_comment(tmp_path):
    path = shipped_config(tmp_path)
    before = path.read_text(encoding="utf-8")
    demo = dataclasses.replace(load(path).devices[0], lane="in", delay_ms=500)
    config = save_devices(path, [DeviceDraft("demo", demo)])
    after = path.read_text(encoding="utf-8")
    assert config.devices[0].lane == "in" and config.devices[0].delay_ms == 500
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True)
               if a != b]
    assert changed == [('lane = "toggle"', 'lane = "in"'), ("delay_ms = 2000", "delay_ms = 500")]


def test_replacing_the_only_device_keeps_the_commented_samples(tmp_path):
    """The shipped file's commented examples trail the demo device; removing the demo must
    not take them with it."""
    path = shipped_config(tmp_path)
    samples = [line for line in path.read_text(encoding="utf-8").splitlines()
               if line.startswith("# ")]
    serial = config_mod.validate_device(0, {"id": "lane1", "type": "serial",
                                            "port": "/dev/serial/by-id/usb-Honeywell-if00",
                                            "lane": "in", "baudrate": 115200})
    config = save_devices(path, [DeviceDraft(None, serial)])
    text = path.read_text(encoding="utf-8")
    assert [d.id for d in config.devices] == ["lane1"]
    assert all(line in text.splitlines() for line in samples)
    assert read_toml(path)["devices"][0]["baudrate"] == 115200


def test_a_refused_list_leaves_the_file_untouched_and_names_the_key(tmp_path):
    path = shipped_config(tmp_path)
    before = path.read_bytes()
    demo = load(path).devices[0]
    with pytest.raises(config_mod.ConfigError, match=r'devices\[1\]\.id: "demo" is used twice'):
        save_devices(path, [DeviceDraft("demo", demo), DeviceDraft(None, demo)])
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".config.toml.*"))


def test_the_previous_file_is_kept_as_bak_and_no_temporary_file_remains(tmp_path):
    path = shipped_config(tmp_path)
    before = path.read_bytes()
    save_devices(path, [])
    assert (tmp_path / "config.toml.bak").read_bytes() == before
    assert load(path).devices == ()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "config.toml.bak"]


@pytest.mark.parametrize("save", [lambda path: save_devices(path, []),
                                  lambda path: save_setting(path, "kiosk", "language", "en")],
                         ids=["devices", "language"])
def test_a_config_toml_too_big_to_be_one_is_refused_by_the_forms_and_left_alone(tmp_path,
                                                                                 save):
    """The forms read config.toml as every command does: a file gone huge (sparse here) is
    named as too big, not parsed whole, and neither rewritten nor copied to a .bak."""
    path = tmp_path / "config.toml"
    with path.open("wb") as huge:
        huge.truncate(16 << 20)
    with pytest.raises(config_mod.ConfigError, match="too big \\(16,777,216 bytes"):
        save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


EDITORS = {"Notepad": lambda raw: b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"),
           "old Mac": lambda raw: raw.replace(b"\n", b"\r")}
"""How another editor saves a config.toml: a byte-order mark and CRLF, or lone CR."""


@pytest.mark.parametrize("editor", sorted(EDITORS))
@pytest.mark.parametrize("save", [lambda path: save_devices(path, []),
                                  lambda path: save_setting(path, "kiosk", "language", "en")],
                         ids=["devices", "language"])
def test_a_config_toml_saved_by_another_editor_is_saved_by_the_forms(tmp_path, save, editor):
    """A config.toml a technician edited on a laptop (Windows Notepad: a byte-order mark
    and CRLF; an old Mac editor: lone CR) is rewritten by the forms with its comments and
    plain newlines, and loads as the saved change."""
    path = shipped_config(tmp_path)
    shipped = path.read_bytes()
    path.write_bytes(EDITORS[editor](shipped))
    config = save(path)
    after = path.read_bytes()
    assert not after.startswith(b"\xef\xbb\xbf") and b"\r" not in after
    assert config == load(path)
    comments = [line for line in shipped.splitlines() if line.startswith(b"#")]
    assert comments and all(line in after.splitlines() for line in comments)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand a file to another account")
def test_written_as_root_the_file_and_its_bak_stay_the_kiosk_accounts(tmp_path):
    """`sudo kiosk …` or a root shell saving the language or the devices must not leave a
    config.toml the kiosk account can no longer read or rewrite."""
    path = shipped_config(tmp_path)
    os.chown(tmp_path, 65534, 65534)  # the config folder belongs to the kiosk account
    save_setting(path, "kiosk", "language", "en")
    save_devices(path, [])
    owners = {(p.name, p.stat().st_uid, p.stat().st_gid) for p in tmp_path.iterdir()}
    assert owners == {("config.toml", 65534, 65534), ("config.toml.bak", 65534, 65534)}


# -- the generated form ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(kinds()))
def test_the_form_offers_exactly_the_options_of_each_type_with_their_limits(qtbot, kind):
    """One editor per config option, of the right kind, with the schema's choices and
    ranges: the form cannot drift from config.toml."""
    form = DeviceForm()
    qtbot.addWidget(form)
    where = {"serial": {"port": "/dev/ttyACM0"}, "evdev": {"path": "/dev/input/event3"},
             "hidraw": {"path": "/dev/hidraw0"}}.get(kind, {})
    form.set_device({"type": kind, "id": "x", **where})
    schema = kinds()[kind].options.own_schema()
    assert set(form.fields) == {"id", "lane", "enabled", *schema}
    for key, opt in schema.items():
        widget = form.fields[key].widget
        if opt.kind is bool:
            assert isinstance(widget, QCheckBox)
        elif opt.choices is not None:
            assert isinstance(widget, QComboBox)
            assert [widget.itemData(i) for i in range(widget.count())] == list(opt.choices)
        elif opt.kind is int:
            assert isinstance(widget, QSpinBox)
            assert widget.minimum() == opt.minimum and widget.maximum() == opt.maximum
        elif opt.kind is float:
            assert isinstance(widget, QDoubleSpinBox)
        else:
            assert isinstance(widget, QLineEdit)
        assert form.fields[key].get() == where.get(key, opt.default)
    assert form.device() == config_mod.validate_device(0, {"type": kind, "id": "x", **where})


def test_a_wrong_value_is_named_under_the_form(qtbot):
    """The config check's own message, naming the device, under the form (no translator
    installed here: the source language)."""
    form = DeviceForm()
    qtbot.addWidget(form)
    form.set_device({"type": "serial", "id": "lane1", "port": "/dev/ttyACM0"})
    assert form.device() is not None
    form.fields["port"].put("")
    assert form.device() is None
    assert form.error.text() == ("Not valid: devices[0]: a serial device needs one of "
                                 "port/path, usb or name")


def test_a_code_scanned_into_the_port_field_is_refused_as_config_check_refuses_it(qtbot):
    """One rule for the file and the form (``kinds.serial.port_problem``): a code typed or
    scanned into the port field is no device path, named without repeating the code."""
    form = DeviceForm()
    qtbot.addWidget(form)
    form.set_device({"type": "serial", "id": "lane1", "port": "/dev/ttyACM0"})
    form.fields["port"].put("001090012345|123456789|Nguyen Van An|01011990")
    assert form.device() is None
    assert form.error.text() == (
        "Not valid: devices[0].port: cannot be a serial port: character 13 of 45 is '|', "
        "which no device path holds (a scanned code?); expected a device path such as "
        '"/dev/ttyACM0" or "/dev/serial/by-id/…"')
    form.fields["port"].put("/dev/serial/by-id/usb-Honeywell_1900_21010B1234-if00")
    assert form.device() is not None and form.error.text() == ""


def test_a_disabled_device_keeps_its_port_with_the_warning_config_check_gives(qtbot):
    """A disabled device is never opened: the form takes it (a config the kiosk started
    with stays editable) and says under the form what enabling it would meet."""
    form = DeviceForm()
    qtbot.addWidget(form)
    form.set_device({"type": "serial", "id": "lane1", "enabled": False,
                     "port": "/dev/serial/by-id/usb-Honeywell Imaging 1900-if00"})
    assert form.device() is not None
    assert form.error.text() == (
        "devices[0].port: cannot be a serial port: character 32 of 49 is ' ', a blank no "
        'device\'s name holds (udev writes "_" for one in /dev/serial/by-id/); expected a '
        'device path such as "/dev/ttyACM0" or "/dev/serial/by-id/…" — the device is '
        "disabled (enabled = false), so the kiosk still starts; fix it before enabling it")
    form.fields["enabled"].put(True)
    assert form.device() is None and form.error.text().startswith("Not valid: devices[0].port")
    form.fields["port"].put("/dev/serial/by-id/usb-Zebra®_Symbol_DS2208™-if00")
    assert form.device() is not None and form.error.text() == ""


def test_a_camera_source_in_other_digits_is_a_path_not_an_index(qtbot):
    """ "²" is a digit to ``str.isdigit`` but no number to ``int``: the form raised in the
    middle of the technician's typing. Only ASCII digits make an index."""
    form = DeviceForm()
    qtbot.addWidget(form)
    form.set_device({"type": "camera", "id": "cam", "source": 0})
    form.fields["source"].put("²")
    assert form.device().source == "²"
    form.fields["source"].put("2")
    assert form.device().source == 2


# -- the screen -----------------------------------------------------------------------------
def open_technician(window, qtbot):
    window.open_technician()
    dialog = window.gate.dialog
    qtbot.keyClicks(dialog.field, "2468")
    dialog.ok.click()
    assert window.stack.currentWidget() is window.technician
    return window.technician


def test_technician_edits_are_saved_to_a_valid_config_and_applied_without_restart(
        make_window, qtbot, tmp_path):
    (tmp_path / "scans.txt").write_text(CCCD_AN + "\n", encoding="utf-8")
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path)
    old_supervisor = window.kiosk.supervisor
    screen = open_technician(window, qtbot)
    assert screen.table.item(0, 0).text() == "lane1"
    screen.table.selectRow(0)
    form = screen.form
    form.fields["lane"].put("in")
    form.fields["delay_ms"].put(250)
    assert screen.dirty
    screen.add_button.click()
    form.type_box.setCurrentIndex(form.type_box.findData("wedge"))
    form.fields["id"].put("wedge-desk")
    assert [d.values.id for d in screen.drafts] == ["lane1", "wedge-desk"]
    screen.save_button.click()
    qtbot.waitUntil(lambda: "áp dụng" in screen.message.text(), timeout=10000)

    saved = load(path)
    assert [(d.id, d.type, d.lane) for d in saved.devices] == [
        ("lane1", "replay", "in"), ("wedge-desk", "wedge", "toggle")]
    assert saved.devices[0].delay_ms == 250
    text = path.read_text(encoding="utf-8")
    assert "# Test kiosk / Trạm thử" in text and "delay_ms = 250  # pace like a queue" in text
    assert window.kiosk.supervisor is not old_supervisor
    assert window.kiosk.config.devices == saved.devices
    assert set(window.strip.badges) == {"lane1", "wedge-desk"}
    assert window.wedge is not None and window.wedge.device.id == "wedge-desk"
    assert not screen.dirty
    qtbot.waitUntil(lambda: window.strip.badges["lane1"].state == "finished", timeout=10000)
    assert "lane1 → VÀO" in window.officer.lanes.text()


def test_an_invalid_list_is_not_saved_and_the_running_kiosk_is_untouched(make_window, qtbot,
                                                                         tmp_path):
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    before = path.read_bytes()
    window = make_window(path)
    supervisor = window.kiosk.supervisor
    screen = open_technician(window, qtbot)
    screen.add_button.click()
    screen.form.type_box.setCurrentIndex(screen.form.type_box.findData("replay"))
    screen.form.fields["id"].put("lane1")  # the same id twice
    screen.save_button.click()
    qtbot.waitUntil(lambda: "Chưa lưu" in screen.message.text(), timeout=10000)
    assert "used twice" in screen.message.text()
    assert path.read_bytes() == before
    assert window.kiosk.supervisor is supervisor


def test_a_saved_list_the_running_kiosk_cannot_take_says_it_is_saved_and_scans_go_on(
        make_window, qtbot, tmp_path):
    """config.toml edited by hand since the start (a link to a centre, another [store]
    path) is saved with the devices; the running kiosk cannot switch to it (the store
    changes only at a restart). The screen says the list is saved but not in use and why,
    not "Not saved"; the kiosk goes on with its old config and devices, and no new store is
    made."""
    path = write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt"))
    window = make_window(path, language="en")
    running, supervisor = window.kiosk.config, window.kiosk.supervisor
    screen = open_technician(window, qtbot)
    path.write_text(path.read_text(encoding="utf-8").replace(
        'path = "kiosk.db"', 'path = "data/kiosk.db"') + '\n[sync]\nenabled = true\n'
        'server_url = "http://127.0.0.1:9"\ntoken = "t0ken"\n', encoding="utf-8")
    screen.table.selectRow(0)
    screen.form.fields["lane"].put("in")

    screen.save_button.click()

    qtbot.waitUntil(lambda: "could not switch" in screen.message.text(), timeout=10000)
    assert screen.message.text() == (
        f"Saved to {path}, but the running kiosk could not switch to it (the store changes "
        f"from {running.store_path.resolve()} to {(tmp_path / 'data' / 'kiosk.db').resolve()} "
        "only at a restart: first send the entries still waiting in the old store from the "
        "sync screen, or stop the kiosk and move that file there; see docs/technician.md, "
        "“Moving the store”): it goes on taking scans with its previous settings; fix that, "
        "then save again or restart the kiosk")
    assert "color: #c62828" in screen.message.styleSheet()
    assert load(path).devices[0].lane == "in"  # saved
    assert window.kiosk.config is running and window.kiosk.sync is None
    assert window.kiosk.supervisor is supervisor and not supervisor.stop_event.is_set()
    assert screen.save_button.isEnabled()
    assert not (tmp_path / "data").exists()


def test_watch_raw_input_lists_key_events_the_decoded_scan_and_the_summary(make_window, qtbot,
                                                                           tmp_path):
    """A capture (a replay device with format "evdev") watched from the screen goes
    through the devices' own `kiosk devices watch`: each key event with its timing, the
    scan it decodes to, the count at the end."""
    capture = ROOT / "tests/data/captures/datalogic-cp1258-altcodes-cccd.evdev.log"
    device = (f'\n[[devices]]\nid = "capture"\ntype = "replay"\nformat = "evdev"\n'
              f'path = "{capture}"\nenabled = false\n')
    window = make_window(write_config(tmp_path, device))
    screen = open_technician(window, qtbot)
    screen.tabs.setCurrentWidget(screen.watch_tab)
    panel = screen.watch
    assert panel.raw_button.isVisible() and panel.raw_button.text() == "Xem dữ liệu thô"
    panel.raw_button.click()
    assert panel.raw_button.text() == "Dừng theo dõi"
    qtbot.waitUntil(lambda: "scan(s)" in panel.output.toPlainText(), timeout=15000)
    text = panel.output.toPlainText()
    assert "KEY_NUMLOCK ↓" in text and "+" in text and " ms" in text
    assert "cccd: Nguyễn Văn An" in text
    assert "1 scan(s)" in text
    qtbot.waitUntil(lambda: panel.raw_button.text() == "Xem dữ liệu thô")


def test_watch_raw_input_hides_an_enrolment_codes_secret_like_the_command(make_window, qtbot,
                                                                          tmp_path):
    """A keyboard scanner's capture typing a kiosk enrolment code, watched from the screen:
    the code shows as ``ckenrol:1?…``, its keys are counted, not listed, and no part of its
    one-time secret reaches the screen (the rule of `kiosk devices watch`)."""
    code = EnrolmentCode("http://127.0.0.1:8765", "lane-7", "CP-QR", secrets.token_urlsafe(32),
                         "2026-12-01T00:00:00.000000Z")
    capture = tmp_path / "enrol.capture"
    with open(capture, "w", encoding="utf-8") as stream:
        writer = CaptureWriter(stream, validate_device(0, {"id": "k", "type": "evdev",
                                                           "path": "/dev/input/event7"}))
        for event in typed(code.text()).events:
            writer.write(event)
    device = (f'\n[[devices]]\nid = "capture"\ntype = "replay"\nformat = "evdev"\n'
              f'path = "{capture}"\nenabled = false\n')
    window = make_window(write_config(tmp_path, device))
    screen = open_technician(window, qtbot)
    screen.tabs.setCurrentWidget(screen.watch_tab)
    screen.watch.raw_button.click()
    qtbot.waitUntil(lambda: "scan(s)" in screen.watch.output.toPlainText(), timeout=15000)
    text = screen.watch.output.toPlainText()
    assert "   ckenrol:1?…" in text and "enrolment code hidden" in text
    assert code.secret not in text and "KEY_ENTER ↓" not in text


def test_the_raw_view_takes_a_card_dated_up_to_the_kiosks_newest_entry(make_window, qtbot,
                                                                        tmp_path):
    """A kiosk whose clock falls behind (a flat RTC battery boots at 1970) takes a card dated
    up to its newest entry's day, not only up to the release: the real date is at least that.
    The technician's raw view judges by the same day, the running kiosk's, so it does not call
    that card "in the future" while the kiosk takes it. Here the newest entry, of July 2027,
    makes a card issued in June 2027 acceptable now."""
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    card = CCCD_AN.replace("001099012345", "079199054321").replace(
        "Nguyễn Văn An", "Trần Thị Bình").replace("|10102021", "|01062027")
    capture = tmp_path / "card.capture"
    capture.write_text('# kiosk-capture v1 format=serial\n# settings: {"terminator": "CRLF"}\n'
                       f"1.000000 {(card + chr(13) + chr(10)).encode().hex(' ')}\n",
                       encoding="utf-8")
    device = (f'\n[[devices]]\nid = "capture"\ntype = "replay"\nformat = "serial"\n'
              f'path = "{capture}"\nenabled = false\n')
    window = make_window(write_config(tmp_path, device))
    pipeline = window.bridge.kiosk.pipeline
    newest = dt.datetime(2027, 7, 1, 9, tzinfo=hanoi).timestamp()
    assert pipeline.submit(Scan(CCCD_AN.encode(), wall_time=newest)).status is Status.ACCEPTED
    assert pipeline.submit(Scan(card.encode())).status is Status.ACCEPTED
    screen = open_technician(window, qtbot)
    screen.tabs.setCurrentWidget(screen.watch_tab)
    screen.watch.raw_button.click()
    qtbot.waitUntil(lambda: "scan(s)" in screen.watch.output.toPlainText(), timeout=15000)
    assert "→ cccd: Trần Thị Bình" in screen.watch.output.toPlainText()


def test_the_check_tab_runs_kiosk_doctor_and_shows_each_verdict_in_the_screens_language(
        make_window, qtbot, tmp_path):
    """Each device is looked for as the running kiosk looks for it: one set by a name
    pattern no input device here has (a scanner in keyboard mode, unplugged) fails too —
    it passed, "14/14 đạt", while the device list said it was not connected."""
    path = write_config(tmp_path, '\n[[devices]]\nid = "lane9"\ntype = "serial"\n'
                                  'port = "/dev/ttyACM95"\n'
                                  '\n[[devices]]\nid = "lane8"\ntype = "evdev"\n'
                                  'name = "*Barcode*"\n')
    window = make_window(path)
    screen = open_technician(window, qtbot)

    screen.tabs.setCurrentWidget(screen.checks_tab)  # the first look runs the checks

    qtbot.waitUntil(lambda: screen.checks.lines.count() > 0, timeout=30000)
    lines = [screen.checks.lines.item(i) for i in range(screen.checks.lines.count())]
    texts = [item.text() for item in lines]
    assert f"✓  Cấu hình hợp lệ ({path})" in texts
    device = next(item for item in lines if "lane9" in item.text())
    assert device.text().startswith("✗  Thiết bị lane9: chưa thấy /dev/ttyACM95 — đã cắm máy quét "
                                    "chưa?; ")
    assert device.foreground().color().name() == "#c62828"
    assert any(text.startswith('✗  Thiết bị lane8: chưa thấy thiết bị nhập tên "*Barcode*" — '
                               "đã cắm máy quét chưa?; ") for text in texts), texts
    failed = sum(text.startswith("✗") for text in texts)
    assert screen.checks.summary.text().startswith(f"{len(texts) - failed}/{len(texts)} đạt")

    window.set_language("en", remember=False)
    qtbot.waitUntil(lambda: screen.checks.lines.item(0).text() == f"✓  Config valid ({path})")


def test_the_watch_log_shows_a_name_with_line_breaks_as_one_line(make_window, qtbot, tmp_path):
    """A code's name is whatever its maker wrote: line breaks in it must not write lines of
    their own into the technician's log (a made-up "→ accepted" under a refusal, say)."""
    (tmp_path / "scans.txt").write_text("", encoding="utf-8")
    window = make_window(write_config(tmp_path, replay_device("lane1", tmp_path / "scans.txt")))
    screen = open_technician(window, qtbot)
    panel = screen.watch
    panel.watch(window.bridge.config.devices[0])
    name = "Nguyễn Văn An\n12:00:00    → accepted: CCCD · Trần Thị Bình"
    payload = make_issuer().sign(vaccination(name=(name, "")), issued=0,
                                 expires=2**31)  # a certificate's name: any text (a CCCD's
    window.submit_scan(Scan(payload.encode(), device_id="lane1"))  # is refused so named)
    qtbot.waitUntil(lambda: "→" in panel.output.toPlainText(), timeout=10000)
    decoded = [line for line in panel.output.toPlainText().splitlines()
               if line.split(maxsplit=1)[-1].startswith("→")]
    assert len(decoded) == 1 and decoded[0].endswith(
        "→ accepted: Chứng nhận tiêm chủng · Nguyễn Văn An 12:00:00 → accepted: CCCD · "
        "Trần Thị Bình")


def test_a_devices_reason_is_said_in_the_screens_language_and_follows_a_switch(
        make_window, qtbot, tmp_path):
    """The supervisor hands over why a device waits as words: the technician's table and the
    status strip's tooltip say it in the screen's language alone (not "vi / en", which a
    7" table cell cuts in the middle), and in the other language after a switch."""
    missing = tmp_path / "ttyNOPE"
    path = write_config(tmp_path, f'\n[[devices]]\nid = "lane1"\ntype = "serial"\n'
                                  f'lane = "in"\nport = "{missing}"\n')
    window = make_window(path)
    qtbot.waitUntil(lambda: window.kiosk.supervisor.status()[0].reason is not None,
                    timeout=10000)  # the device thread has looked for it
    [status] = window.kiosk.supervisor.status()
    assert status.state == "waiting"
    assert status.reason is not None and str(missing) in status.reason("en")
    screen = open_technician(window, qtbot)

    def detail() -> str:
        item = screen.table.item(0, COLUMNS.index("detail"))
        return item.text() if item is not None else ""

    qtbot.waitUntil(lambda: detail() == status.reason("vi"), timeout=10000)
    badge = window.strip.badges["lane1"]  # told by a signal from the device's thread
    qtbot.waitUntil(lambda: badge.toolTip() == status.reason("vi"), timeout=10000)
    window.set_language("en", remember=False)  # each widget hears it as an event
    qtbot.waitUntil(lambda: detail() == status.reason("en") != status.reason("vi"),
                    timeout=10000)
    assert badge.toolTip() == status.reason("en")


def test_found_devices_are_listed_in_the_screens_language_and_follow_a_switch(
        make_window, qtbot, tmp_path):
    """What discovery found is listed in the screen's language alone: a built-in serial port
    has no name of its own, so the list says what it is (not "vi / en"); a device's own name
    is never translated. Each item holds the device's ready table for "Add the selected
    one"."""
    window = make_window(write_config(tmp_path, ""))
    screen = open_technician(window, qtbot)
    qtbot.waitUntil(lambda: screen._found is not None, timeout=10000)  # this machine's
    builtin = SerialPort("/dev/ttyS0", kind="serial-base")
    scanner = InputNode("/dev/input/event4", "Symbol Bar Code Scanner", vid="05e0", pid="1200",
                        has_enter=True, has_digits=True)
    screen._show_candidates([builtin, scanner])  # as the discovery thread hands them over

    def listed() -> list[str]:
        return [screen.discovered.item(i).text() for i in range(screen.discovered.count())]

    assert listed() == ["serial: cổng COM trên máy — /dev/ttyS0",
                        "evdev: Symbol Bar Code Scanner ★ — /dev/input/event4"]
    window.set_language("en", remember=False)
    qtbot.waitUntil(lambda: listed()[0] == "serial: built-in serial port — /dev/ttyS0",
                    timeout=10000)
    assert listed()[1] == "evdev: Symbol Bar Code Scanner ★ — /dev/input/event4"
    assert screen.discovered.item(0).data(Qt.ItemDataRole.UserRole) == builtin.device


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_device_list_names_its_columns_in_the_screens_language_and_keeps_them_in_view(
        make_window, qtbot, tmp_path, language):
    """The list's first titles were config.toml's keys in English (id, type, lane, enabled)
    on a Vietnamese screen, and at 1024×600 its last column lay past the list's edge behind
    a sideways scroll bar. Now every title is in the screen's language, and at every size
    each column shown lies inside the list — the detail, a serial port's long "not found",
    ends in "…" with all of it in the tooltip; the id and the state are never hidden."""
    missing = tmp_path / "ttyUSB-may-quet-cua-vao-khu-cho-bien-gioi"
    path = write_config(tmp_path, f'\n[[devices]]\nid = "lan-vao"\ntype = "serial"\n'
                                  f'lane = "in"\nport = "{missing}"\n'
                                  '\n[[devices]]\nid = "quay-ban"\ntype = "wedge"\n'
                                  'lane = "toggle"\n')
    window = make_window(path, language=language)
    window.set_language(language, remember=False)
    window._show_technician()  # past the PIN (the wedge would take the PIN typed fast)
    screen = window.technician
    table, header = screen.table, screen.table.horizontalHeader()
    detail = COLUMNS.index("detail")
    qtbot.waitUntil(lambda: table.item(0, detail) is not None
                    and str(missing) in table.item(0, detail).text(), timeout=10000)
    titles = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert titles == {"vi": ["Thiết bị", "Loại", "Làn", "Bật", "Trạng thái", "Lượt quét",
                             "Chi tiết"],
                      "en": ["Device", "Type", "Lane", "Enabled", "State", "Scans",
                             "Detail"]}[language]
    failures = []
    for size in [(800, 480), (1024, 600), (1280, 800), (1920, 1080), (600, 1024)]:
        window.fit_to(QSize(*size))
        settle()
        room = table.viewport().width()
        for column in range(table.columnCount()):
            if table.isColumnHidden(column):
                if COLUMNS[column] in ("id", "state"):
                    failures.append(f"{size}: {titles[column]} is hidden")
                continue
            left, width = header.sectionViewportPosition(column), header.sectionSize(column)
            if left < 0 or left + width > room:
                failures.append(f"{size}: {titles[column]} lies at {left}..{left + width} "
                                f"of {room} px")
    assert not failures, "\n".join(failures)
    assert table.item(0, detail).toolTip() == table.item(0, detail).text()
