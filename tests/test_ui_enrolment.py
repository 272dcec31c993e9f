"""Enrolment on the technician screen: the centre's QR code scanned with whatever scanner the
kiosk has, while the screen is open, links the kiosk to the centre and starts syncing; the
code is never recorded as anyone's entry; an offline kiosk says so and tries again.

Real parts: `kiosk-central serve` on 127.0.0.1, a serial scanner on a pseudo-terminal, the
main window offscreen, config.toml and the SQLite store on disk.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from devices_support import Pty
from ui_support import (  # noqa: F401
    CCCD_AN,
    load,
    make_window_fixture,
    replay_device,
    stored_entries,
    translations_built_fixture,
    write_config,
)

from kiosk.enrolment import parse
from kiosk.scan import Scan
from kiosk.sync.protocol import TRUST_LIST_PATH
from tests.central_support import CentralServer, central, database_url, free_port
from tests.sync_support import FaultyProxy


def add_kiosk(db: str, kiosk_id: str, server_url: str, folder: Path, *extra: str) -> str:
    """`kiosk-central kiosks add --qr`: the enrolment code's text (the QR's content)."""
    out = central("kiosks", "add", "--db", db, "--checkpoint", "CP-QR", "--name",
                  f"Máy {kiosk_id}", "--kiosk-id", kiosk_id, "--qr", str(folder / "qr.png"),
                  "--server-url", server_url, "--json", *extra)
    return json.loads(out.stdout)["code"]


def serial_scanner(pty: Pty) -> str:
    return (f'\n[[devices]]\nid = "lane1"\ntype = "serial"\nport = "{pty.path}"\n'
            'lane = "in"\n')


def open_technician(window, qtbot):
    window.open_technician()
    qtbot.keyClicks(window.gate.dialog.field, "2468")
    window.gate.dialog.ok.click()
    return window.technician


def centre_entries(db: str) -> list[tuple[str, ...]]:
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT kiosk_id, checkpoint_id, name FROM entries").fetchall()


@pytest.fixture
def centre(tmp_path):
    server = CentralServer(f"sqlite:///{tmp_path / 'central.db'}")
    yield server
    server.stop()


def test_a_qr_scanned_on_a_serial_scanner_enrols_the_kiosk_and_its_next_scan_reaches_the_centre(
        make_window, qtbot, tmp_path, centre):
    code = add_kiosk(centre.db, "lane-7", centre.url, tmp_path)
    with Pty() as pty:
        config_path = write_config(tmp_path, serial_scanner(pty))
        window = make_window(config_path, language="en")
        screen = open_technician(window, qtbot)
        assert screen.enrol.link.text() == "Not linked to a centre"
        qtbot.waitUntil(lambda: window.kiosk.supervisor.status()[0].state == "connected",
                        timeout=10000)

        pty.send(code.encode() + b"\r\n")

        qtbot.waitUntil(lambda: "token accepted" in screen.enrol.status.text(), timeout=20000)
        assert screen.tabs.currentWidget() is screen.enrol_tab  # shown where it happens
        assert screen.enrol.status.text() == (
            f"Kiosk lane-7 enrolled at checkpoint CP-QR; config: {config_path}\n"
            "Link to the centre works, token accepted")
        assert screen.enrol.link.text() == (
            f"Kiosk lane-7 · checkpoint CP-QR · centre {centre.url}")
        config = load(config_path)
        assert (config.kiosk.id, config.kiosk.checkpoint_id) == ("lane-7", "CP-QR")
        assert config.sync.enabled and config.sync.server_url == centre.url
        token = Path(config.sync.token_file)
        assert stat.S_IMODE(token.stat().st_mode) == 0o600
        assert "# technician PIN" in config_path.read_text(encoding="utf-8")  # comments kept
        assert window.kiosk.sync is not None  # syncing started, no restart
        watched = screen.watch.output.toPlainText()  # the Watch tab follows lane1
        assert "ckenrol:1?…" in watched
        assert parse(code).secret not in watched  # the secret is never shown

        pty.send(CCCD_AN.encode() + b"\r\n")  # the next person at the same scanner
        qtbot.waitUntil(lambda: centre_entries(centre.db) != [], timeout=30000)

    assert centre_entries(centre.db) == [("lane-7", "CP-QR", "Nguyễn Văn An")]
    entries = stored_entries(config)
    assert [e["name"] for e in entries] == ["Nguyễn Văn An"]  # the code is nobody's entry
    with sqlite3.connect(config.store_path) as db:
        assert db.execute("SELECT reason_code, payload FROM refused_scans").fetchall() == [
            ("enrolment_code", b"")]  # its secret is not kept on the kiosk



def enrolled_by_scanner(make_window, qtbot, tmp_path: Path, code: str, devices: str = ""
                        ) -> tuple[object, object, Path]:
    """A kiosk with a serial scanner (and ``devices``) whose technician scans the enrolment
    ``code`` on the Centre tab, until the tab says the token is accepted: the window, the
    technician screen and the config's path."""
    with Pty() as pty:
        config_path = write_config(tmp_path, serial_scanner(pty) + devices)
        window = make_window(config_path, language="en")
        screen = open_technician(window, qtbot)
        qtbot.waitUntil(lambda: window.kiosk.supervisor.status()[0].state == "connected",
                        timeout=10000)

        pty.send(code.encode() + b"\r\n")

        qtbot.waitUntil(lambda: "token accepted" in screen.enrol.status.text(), timeout=20000)
    return window, screen, config_path


def test_an_enrolment_on_screen_turns_the_demo_replay_off_and_says_so(
        make_window, qtbot, tmp_path, centre):
    """The sample's demo device plays made-up people: enrolled at a real checkpoint, it
    would record and send them as people there. The enrolment turns it off, in the file
    and in the running kiosk, and the screen says which."""
    code = add_kiosk(centre.db, "lane-15", centre.url, tmp_path)
    demo = tmp_path / "demo-payloads.txt"
    demo.write_text("", encoding="utf-8")
    window, screen, config_path = enrolled_by_scanner(make_window, qtbot, tmp_path, code,
                                                      replay_device("demo", demo))
    assert screen.enrol.status.text() == (
        f"Kiosk lane-15 enrolled at checkpoint CP-QR; config: {config_path}\n"
        "Replay devices turned off (they play codes from a file, not people at the "
        "checkpoint): demo\n"
        "Link to the centre works, token accepted")
    assert [(d.id, d.enabled) for d in load(config_path).devices] == [("lane1", True),
                                                                      ("demo", False)]
    assert [d.id for d in window.kiosk.config.devices if d.enabled] == ["lane1"]


def test_a_kiosk_name_too_long_for_the_title_is_cut_short_and_the_screen_says_so(
        make_window, qtbot, tmp_path, centre):
    """A centre's kiosk name over 200 characters was dropped whole, the demo title kept
    without a word; the screen's title now keeps its first 200 and the Centre tab says so."""
    name = "Chốt kiểm soát liên ngành Quốc lộ 1A, km 947+300, làn 1, hướng Bắc–Nam " * 3
    code = add_kiosk(centre.db, "lane-16", centre.url, tmp_path, "--name", name)
    _, screen, config_path = enrolled_by_scanner(make_window, qtbot, tmp_path, code)
    title = " ".join(name.split())[:199].rstrip() + "…"
    assert (f"The kiosk's name at the centre is {len(name.strip())} characters long: the "
            f'screen\'s title keeps its first 200 ("{title}")') in screen.enrol.status.text()
    assert load(config_path).kiosk.checkpoint_name == title


def conflicted_window(make_window, qtbot, tmp_path, centre) -> tuple[object, list, Path]:
    """Someone redeemed kiosk lane-9's first code with their own signing key: its window
    (the worker never started) once its worker talked to the centre, showing the conflict
    the centre named; the views the bridge published, and the config's path."""
    import httpx
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.enrolment import ENROL_PATH
    from kiosk.sync.backlog_keys import encode

    first = parse(add_kiosk(centre.db, "lane-9", centre.url, tmp_path))
    usurped = httpx.post(centre.url + ENROL_PATH, json={
        "secret": first.secret, "signing_key": encode(Ed25519PrivateKey.generate().public_key())})
    token = usurped.json()["token"]
    config_path = write_config(tmp_path, extra=(
        f'\n[sync]\nenabled = true\nserver_url = "{centre.url}"\ntoken = "{token}"\n'))
    config_path.write_text(config_path.read_text(encoding="utf-8").replace(
        'id = "kiosk-ui"', 'id = "lane-9"', 1), encoding="utf-8")
    window = make_window(config_path, language="en", start=False)
    views: list = []
    window.bridge.sync_changed.connect(views.append)
    assert window.kiosk.sync.push_now().error is None  # nothing pending: keys exchanged
    window.bridge.refresh_sync()
    qtbot.waitUntil(lambda: bool(views) and views[-1].alert is not None, timeout=10000)
    assert views[-1].alert.code == "backlog.signing_key_conflict"
    return window, views, config_path


def second_code(centre) -> str:
    """A new enrolment code for lane-9 (a re-enrolment): its text."""
    from kiosk.central.backends import open_storage
    from kiosk.central.enrol import enrolment_code

    with open_storage(centre.db) as storage:
        return enrolment_code(storage, storage.kiosk("lane-9"), centre.url).text()


def test_a_re_enrolment_on_screen_clears_the_signing_key_alert_the_sync_screen_showed(
        make_window, qtbot, tmp_path, centre):
    """The centre named a conflict and the sync screen showed it. A new code scanned on the
    technician screen registers this kiosk's key in its place: the alert is gone from the
    sync screen at once, before the kiosk's worker has talked to the centre again (here it
    never starts)."""
    window, views, _config = conflicted_window(make_window, qtbot, tmp_path, centre)
    screen = open_technician(window, qtbot)

    screen.enrol.take(second_code(centre))

    qtbot.waitUntil(lambda: "token accepted" in screen.enrol.status.text(), timeout=20000)
    window.bridge.refresh_sync()
    qtbot.waitUntil(lambda: views[-1].alert is None, timeout=10000)  # what the screens show


def test_kiosk_enrol_beside_the_running_kiosk_clears_the_alert_its_sync_screen_showed(
        make_window, qtbot, tmp_path, centre):
    """The same re-enrolment made with ``kiosk enrol`` from a shell while the kiosk runs:
    the running kiosk keeps its worker (nothing tells it to apply the new config until a
    restart), yet its sync screen stops naming the conflict the code settled, since it
    shows the alert as saved in the store, which the enrolment cleared."""
    import subprocess
    import sys

    window, views, config_path = conflicted_window(make_window, qtbot, tmp_path, centre)
    worker = window.kiosk.sync

    enrolled = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "enrol", "--code", second_code(centre), "--config",
         str(config_path)], capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL)

    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    window.bridge.refresh_sync()
    qtbot.waitUntil(lambda: views[-1].alert is None, timeout=10000)
    assert window.kiosk.sync is worker


def test_a_link_test_cut_off_says_why_and_promises_no_retry_in_both_languages(
        make_window, qtbot, tmp_path):
    """The centre takes the code, then the link test's one request is reset on the way: the
    screen says the test failed and what to check. Nothing tries that test again, so its
    words do not say the kiosk sends again (that is the sync screen's to say)."""
    centre = CentralServer(f"sqlite:///{tmp_path / 'central.db'}")
    proxy = FaultyProxy(int(centre.url.rsplit(":", 1)[1]))
    proxy.spoiled[TRUST_LIST_PATH] = "reset_request"
    try:
        code = add_kiosk(centre.db, "lane-6", proxy.url, tmp_path)
        config_path = write_config(tmp_path)
        window = make_window(config_path, language="en")
        screen = open_technician(window, qtbot)

        screen.enrol.take(code)

        qtbot.waitUntil(lambda: "link test" in screen.enrol.status.text(), timeout=20000)
        assert screen.enrol.status.text() == (
            f"Kiosk lane-6 enrolled at checkpoint CP-QR; config: {config_path}\n"
            "The link test to the centre failed: connection failed: the connection was cut "
            "midway, by the centre or by network equipment on the way — if it keeps "
            "happening, check the network [Errno 104]")
        window.set_language("vi", remember=False)
        qtbot.waitUntil(lambda: "Đã đăng ký" in screen.enrol.status.text())
        assert screen.enrol.status.text() == (
            f"Đã đăng ký trạm lane-6 tại điểm CP-QR; cấu hình: {config_path}\n"
            "Kiểm tra kết nối tới trung tâm không thành công: không kết nối được: kết nối bị "
            "ngắt giữa chừng, do trung tâm hoặc thiết bị mạng trên đường đi — nếu lặp lại "
            "nhiều lần, kiểm tra mạng [Errno 104]")
        assert "color: #c62828" in screen.enrol.status.styleSheet()
        assert load(config_path).kiosk.id == "lane-6"  # enrolled all the same
    finally:
        proxy.close()
        centre.stop()


def test_an_offline_kiosk_says_so_in_both_languages_and_enrols_once_the_centre_answers(
        make_window, qtbot, tmp_path):
    port = free_port()
    db = database_url("sqlite", tmp_path)
    code = add_kiosk(db, "lane-8", f"http://127.0.0.1:{port}", tmp_path)
    window = make_window(write_config(tmp_path), language="vi")
    screen = open_technician(window, qtbot)
    screen.enrol.retry_seconds = 0.5
    screen.add_device()  # an edit not saved yet, made while waiting

    window.submit_scan(Scan(payload=code.encode(), device_id="cam1", source="camera"))

    qtbot.waitUntil(lambda: "Chưa kết nối được trung tâm" in screen.enrol.status.text(),
                    timeout=10000)
    assert "thử lại sau 0.5 giây" in screen.enrol.status.text()
    window.set_language("en", remember=False)
    qtbot.waitUntil(lambda: "Cannot reach the centre yet" in screen.enrol.status.text())
    assert "retrying in 0.5 s" in screen.enrol.status.text()
    window.submit_scan(Scan(payload=code.encode(), device_id="cam1", source="camera"))
    assert screen.enrol.tries <= 2  # the camera seeing the code again does not start over

    server = CentralServer(db, "--port", str(port))
    try:
        qtbot.waitUntil(lambda: "token accepted" in screen.enrol.status.text(), timeout=30000)
    finally:
        server.stop()
    assert load(window.kiosk.config.source).kiosk.id == "lane-8"
    assert stored_entries(window.kiosk.config) == []
    assert screen.dirty and [d.values.id for d in screen.drafts] == ["serial-1"]  # kept


def test_a_used_code_is_refused_on_screen_and_changes_nothing(make_window, qtbot, tmp_path,
                                                              centre):
    code = add_kiosk(centre.db, "lane-9", centre.url, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    first = make_window(write_config(other), language="en")
    open_technician(first, qtbot).enrol.take(code)
    qtbot.waitUntil(lambda: "token accepted" in first.technician.enrol.status.text(),
                    timeout=20000)
    config_path = write_config(tmp_path)
    before = config_path.read_bytes()
    window = make_window(config_path, language="en")
    screen = open_technician(window, qtbot)

    window.submit_scan(Scan(payload=code.encode(), device_id="lane1"))

    qtbot.waitUntil(lambda: "refused" in screen.enrol.status.text(), timeout=20000)
    assert "already used" in screen.enrol.status.text()
    assert "color: #c62828" in screen.enrol.status.styleSheet()
    assert config_path.read_bytes() == before
    assert window.kiosk.sync is None


def test_on_the_officer_screen_the_code_is_refused_and_does_not_enrol(make_window, qtbot,
                                                                      tmp_path, centre):
    code = add_kiosk(centre.db, "lane-10", centre.url, tmp_path)
    config_path = write_config(tmp_path)
    before = config_path.read_bytes()
    window = make_window(config_path, language="en")

    window.submit_scan(Scan(payload=b"]Q1" + code.upper().encode(), device_id="lane1"))

    qtbot.waitUntil(lambda: window.officer.card.state == "rejected", timeout=10000)
    assert "Open the Technician screen and scan it there" in window.officer.card.reason.text()
    assert config_path.read_bytes() == before
    assert stored_entries(window.kiosk.config) == []


def test_a_pasted_code_that_is_not_whole_is_named_and_nothing_is_sent(make_window, qtbot,
                                                                      tmp_path):
    window = make_window(write_config(tmp_path), language="en")
    screen = open_technician(window, qtbot)
    screen.tabs.setCurrentWidget(screen.enrol_tab)
    assert window.focusWidget() is screen.enrol.code_box  # where a wedge scanner types
    qtbot.keyClicks(screen.enrol.code_box, "ckenrol:1?u=http%3A%2F%2Fx&k=a&c=b&s=short&e=1")

    screen.enrol.enrol_button.click()

    assert screen.enrol.status.text() == (
        "Not a valid enrolment code: the enrolment secret is malformed")
    assert screen.enrol.code_box.text() == ""  # nothing of the code stays on screen
    assert screen.enrol.code is None


def test_a_code_for_another_centre_waits_for_the_technician_to_confirm(make_window, qtbot,
                                                                       tmp_path, centre):
    """A kiosk already sending to a centre does not follow a QR anyone holds up to another
    one: its unsent entries would go to whoever made the code."""
    first = add_kiosk(centre.db, "lane-11", centre.url, tmp_path)
    elsewhere = centre.url.replace("127.0.0.1", "localhost")  # another address, same server
    second = add_kiosk(centre.db, "lane-12", elsewhere, tmp_path)
    config_path = write_config(tmp_path)
    window = make_window(config_path, language="en")
    screen = open_technician(window, qtbot)
    screen.enrol.take(first)
    qtbot.waitUntil(lambda: "token accepted" in screen.enrol.status.text(), timeout=20000)
    linked = config_path.read_bytes()

    window.submit_scan(Scan(payload=second.encode(), device_id="lane1"))

    qtbot.waitUntil(lambda: "another centre" in screen.enrol.status.text(), timeout=10000)
    assert screen.enrol.status.text() == (
        f"This code points at another centre ({elsewhere}); the kiosk sends to {centre.url}. "
        "Switch only if the centre made it for this kiosk: unsent entries will go to the new "
        "centre")
    assert screen.enrol.switch_button.isVisible()
    assert config_path.read_bytes() == linked  # nothing exchanged, nothing written

    screen.enrol.switch_button.click()

    qtbot.waitUntil(lambda: "Kiosk lane-12 enrolled" in screen.enrol.status.text(),
                    timeout=20000)
    qtbot.waitUntil(lambda: "token accepted" in screen.enrol.status.text(), timeout=20000)
    assert load(config_path).sync.server_url == elsewhere
    assert not screen.enrol.switch_button.isVisible()


def test_a_code_for_another_kiosk_id_waits_for_a_yes_while_this_ids_entries_wait(
        make_window, qtbot, tmp_path, centre):
    """The kiosk was revoked with entries still unsent, and a QR for a new kiosk id is held
    up: its token could not send them. The screen says so and what is better (a new token
    for the same id), and enrols only when the technician insists."""
    from tests.sync_support import fill_backlog

    first = add_kiosk(centre.db, "lane-13", centre.url, tmp_path)
    second = add_kiosk(centre.db, "lane-14", centre.url, tmp_path)
    config_path = write_config(tmp_path)
    window = make_window(config_path, language="en")
    screen = open_technician(window, qtbot)
    screen.enrol.take(first)
    qtbot.waitUntil(lambda: "token accepted" in screen.enrol.status.text(), timeout=20000)
    central("kiosks", "revoke", "lane-13", "--db", centre.db)
    fill_backlog(window.kiosk.store.path, 5, kiosk_id="lane-13", checkpoint_id="CP-QR")
    linked = config_path.read_bytes()

    window.submit_scan(Scan(payload=second.encode(), device_id="lane1"))

    qtbot.waitUntil(lambda: "unsent entries" in screen.enrol.status.text(), timeout=10000)
    assert screen.enrol.status.text().startswith(
        "This kiosk still holds 5 unsent entries of kiosk lane-13 (5); the code is for kiosk "
        "lane-14, whose token cannot send them. Better: ask the centre for a new token for "
        "this same kiosk lane-13: `kiosk-central kiosks token lane-13 --reason … --qr …`")
    assert screen.enrol.switch_button.text() == "Enrol as kiosk lane-14 anyway"
    assert screen.enrol.switch_button.isVisible()
    assert config_path.read_bytes() == linked  # nothing exchanged, nothing written

    screen.enrol.switch_button.click()

    qtbot.waitUntil(lambda: "Kiosk lane-14 enrolled" in screen.enrol.status.text(),
                    timeout=20000)
    assert load(config_path).kiosk.id == "lane-14"
    assert not screen.enrol.switch_button.isVisible()


def test_a_config_the_enrolment_would_refuse_is_named_on_screen_and_the_code_still_works(
        make_window, qtbot, tmp_path, centre):
    """The file on disk is what the enrolment rewrites and validates, and it may differ from
    the running config (edited by hand since the start). Found only when saving, its fault
    would come after the centre has spent the one-time code; it is named first, in the
    refusal's own sentence, and the same code enrols once the file is mended."""
    code = add_kiosk(centre.db, "lane-13", centre.url, tmp_path)
    config_path = write_config(tmp_path)
    window = make_window(config_path, language="en")
    screen = open_technician(window, qtbot)
    mended = config_path.read_bytes()
    config_path.write_text(mended.decode("utf-8").replace('"Asia/Ho_Chi_Minh"', '"Mars/Base"'),
                           encoding="utf-8")

    screen.enrol.take(code)

    qtbot.waitUntil(lambda: not screen.enrol.busy, timeout=20000)
    assert screen.enrol.status.text() == (
        'config.toml: kiosk.timezone: expected an IANA time zone such as '
        '"Asia/Ho_Chi_Minh", got "Mars/Base"')
    assert "color: #c62828" in screen.enrol.status.styleSheet()
    assert not (tmp_path / "sync-token").exists()
    assert window.kiosk.sync is None

    config_path.write_bytes(mended)
    screen.enrol.take(code)

    qtbot.waitUntil(lambda: "token accepted" in screen.enrol.status.text(), timeout=20000)
    assert load(config_path).kiosk.id == "lane-13"


def test_a_saved_enrolment_the_running_kiosk_cannot_take_says_so_and_scans_go_on(
        make_window, qtbot, tmp_path, centre):
    """The enrolment is saved to the file on disk, which may differ from the running config
    (edited by hand since the start): here its [store] path names another store, which a
    running kiosk cannot take (its new sync worker would send from a file no scan goes to).
    The screen says the enrolment is saved, why it is not in use and what to do with the
    old store's backlog before the restart, not that nothing was saved; meanwhile the
    officer's scanner goes on taking scans into the old store, and no new store is made."""
    code = add_kiosk(centre.db, "lane-14", centre.url, tmp_path)
    with Pty() as pty:
        config_path = write_config(tmp_path, serial_scanner(pty))
        window = make_window(config_path, language="en")
        running = window.kiosk.config
        supervisor = window.kiosk.supervisor
        screen = open_technician(window, qtbot)
        qtbot.waitUntil(lambda: supervisor.status()[0].state == "connected", timeout=10000)
        config_path.write_text(config_path.read_text(encoding="utf-8").replace(
            'path = "kiosk.db"', 'path = "data/kiosk.db"'), encoding="utf-8")

        screen.enrol.take(code)

        qtbot.waitUntil(lambda: not screen.enrol.busy, timeout=20000)
        assert screen.enrol.status.text() == (
            f"Kiosk lane-14 enrolled at checkpoint CP-QR; config: {config_path}\n"
            f"The enrolment is saved, but the running kiosk could not switch to it (the store "
            f"changes from {running.store_path.resolve()} to "
            f"{(tmp_path / 'data' / 'kiosk.db').resolve()} only at a restart: first send the "
            "entries still waiting in the old store from the sync screen, or stop the kiosk "
            "and move that file there; see docs/technician.md, “Moving the store”): it goes on "
            "taking scans with its previous settings; fix that, then restart the kiosk")
        assert "color: #c62828" in screen.enrol.status.styleSheet()
        window.set_language("vi", remember=False)
        qtbot.waitUntil(lambda: "Đã lưu việc đăng ký, nhưng" in screen.enrol.status.text())
        assert " / " not in screen.enrol.status.text()  # the cause worded in one language too
        config = load(config_path)
        assert (config.kiosk.id, config.sync.server_url) == ("lane-14", centre.url)  # saved
        assert window.kiosk.config is running and window.kiosk.sync is None  # still the old
        assert window.kiosk.supervisor is supervisor

        pty.send(CCCD_AN.encode() + b"\r\n")  # the next person at the same scanner
        qtbot.waitUntil(lambda: stored_entries(running) != [], timeout=10000)
    assert [e["name"] for e in stored_entries(running)] == ["Nguyễn Văn An"]
    assert not (tmp_path / "data").exists()


def test_a_token_path_the_kiosk_cannot_follow_is_a_local_problem_not_the_centres(
        make_window, qtbot, tmp_path, centre):
    """The token's path checked before the exchange fails here (a link that names itself:
    Python's ``resolve`` raises RuntimeError). That is the kiosk's own config folder, and the
    centre was never asked: the screen names the path, not a refusal by the centre, and the
    same code enrols once the link is gone."""
    code = add_kiosk(centre.db, "lane-15", centre.url, tmp_path)
    config_path = write_config(tmp_path)
    window = make_window(config_path, language="en")
    screen = open_technician(window, qtbot)
    token = tmp_path / "sync-token"
    token.symlink_to(token.name)  # a loop

    screen.enrol.take(code)

    qtbot.waitUntil(lambda: not screen.enrol.busy, timeout=20000)
    assert screen.enrol.status.text() == (
        f"{token}: the path leads through a link that loops back on itself")
    assert window.kiosk.sync is None

    token.unlink()
    screen.enrol.take(code)

    qtbot.waitUntil(lambda: "token accepted" in screen.enrol.status.text(), timeout=20000)
    assert load(config_path).kiosk.id == "lane-15"


def test_a_code_for_a_plain_http_centre_names_the_command_that_enrols_there(
        make_window, qtbot, tmp_path):
    """The screen has no tick for a plain http:// centre of another machine (a lab, a VPN):
    it says why not, that nothing was sent, and the exact command — with this kiosk's
    config — that enrols there and sets [sync] allow_plain_http, in the screen's language.
    Before, it read "... set `kiosk enrol --allow-plain-http`", a command without its
    config, and the technician's guide alone said a terminal was needed."""
    db = database_url("sqlite", tmp_path)
    code = add_kiosk(db, "lab-01", "http://10.8.0.1:8765", tmp_path, "--allow-plain-http")
    path = write_config(tmp_path)
    window = make_window(path, language="en")
    screen = open_technician(window, qtbot)
    screen.tabs.setCurrentWidget(screen.enrol_tab)
    qtbot.keyClicks(screen.enrol.code_box, code)

    screen.enrol.enrol_button.click()

    qtbot.waitUntil(lambda: screen.enrol.status.text() != "", timeout=10000)
    said = screen.enrol.status.text()
    assert said.startswith("http://10.8.0.1:8765 is a plain http:// address of another "
                           "machine")
    assert "nothing was sent, the code still works" in said
    assert said.endswith(f"run kiosk enrol --allow-plain-http --config {path} --code - and "
                         "scan or paste the code into it")
    assert screen.enrol.code is None and not screen.enrol.busy
    assert "[sync]" not in path.read_text(encoding="utf-8")  # nothing enrolled
    window.set_language("vi")
    qtbot.waitUntil(lambda: screen.enrol.status.text().endswith(
        f"chạy kiosk enrol --allow-plain-http --config {path} --code - rồi quét hoặc dán mã "
        "vào đó"), timeout=5000)
