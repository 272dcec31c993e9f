"""The centre's dashboard as staff use it: a real headless Chromium against a real
`kiosk-central serve`, with the sample registry, two kiosks' uploads and a user per role."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import batch, central, enrol, kiosk_entries
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from web_support import (
    PASSWORD,
    Centre,
    browser,
    chromium_binaries,
    click_and_wait,
    fill_login,
    log_in,
    log_out,
    page_text,
    start_centre,
)

pytestmark = pytest.mark.skipif(chromium_binaries() is None,
                                reason="chromium + chromium-driver not installed")


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    running = start_centre(tmp_path_factory.mktemp("web"))
    yield running
    running.server.stop()


@pytest.fixture(scope="module")
def shared_browser() -> Iterator:
    with browser() as driver:
        yield driver


@pytest.fixture
def chrome(shared_browser, centre: Centre):
    """The module's browser with no cookies: each test starts as a new visitor."""
    shared_browser.get(centre.url + "/login")
    shared_browser.delete_all_cookies()
    return shared_browser


def day_in_title(chrome) -> str:
    """The day the Today page's title names (day first, as the Vietnamese page writes it:
    ``03/12/2026``; a district officer's ends with their district), as the API and the
    report files name it (``2026-12-03``)."""
    shown = re.search(r"\d\d/\d\d/\d{4}", chrome.find_element(By.TAG_NAME, "h1").text)
    assert shown, chrome.find_element(By.TAG_NAME, "h1").text
    return dt.datetime.strptime(shown.group(), "%d/%m/%Y").date().isoformat()


def test_log_in_then_out_and_pages_need_a_session_again(centre: Centre, chrome) -> None:
    chrome.get(centre.url + "/kiosks")
    assert "/login" in chrome.current_url
    log_in(chrome, centre.url, "admin1", "not the password")
    assert "Sai tên hoặc mật khẩu" in page_text(chrome)
    chrome.get(centre.url + "/login?next=/kiosks")
    fill_login(chrome, "admin1")
    assert chrome.current_url.endswith("/kiosks")
    assert "kiosk-dx1" in page_text(chrome) and "admin1" in page_text(chrome)
    log_out(chrome)
    assert "/login" in chrome.current_url
    chrome.get(centre.url + "/kiosks")
    assert "/login" in chrome.current_url
    assert "kiosk-dx1" not in page_text(chrome)


def test_the_today_page_shows_the_numbers_of_the_report_api(centre: Centre, chrome) -> None:
    log_in(chrome, centre.url, "admin1")
    assert chrome.current_url.endswith("/today")
    shown = {key: chrome.find_element(By.ID, key).text
             for key in ("scans", "points-scanned", "points-set-up", "adoption", "refused")}
    cookies = {c["name"]: c["value"] for c in chrome.get_cookies()}
    api = httpx.get(centre.url + "/api/v1/reports/daily", params={"date": day_in_title(chrome)},
                    cookies=cookies).json()["summary"]
    assert shown == {"scans": str(api["scans"]), "points-scanned": str(api["points_scanned"]),
                     "points-set-up": str(api["points_set_up"]),
                     "adoption": f"{100 * api['adoption_ratio']:.1f} %".replace(".", ","),
                     "refused": str(api["refused"])}
    uploads = httpx.get(centre.url + "/api/v1/reports/daily", params={"date": centre.day},
                        cookies=cookies).json()["summary"]  # the page's day, unless it turned
    uploaded = sum(len(entries) for entries in centre.entries.values())
    assert uploads["scans"] == uploaded == 19
    assert (uploads["points_scanned"], uploads["points_set_up"]) == (2, 6)
    signed_out = httpx.get(centre.url + "/api/v1/reports/daily")
    assert signed_out.status_code == 401 and signed_out.json() == {
        "error": "sign in to the dashboard first", "code": "api.sign_in", "params": {}}


def test_a_report_downloaded_from_the_page_is_the_clis_report(centre: Centre, chrome,
                                                              tmp_path: Path) -> None:
    log_in(chrome, centre.url, "viewer1")
    today = centre.day
    chrome.get(f"{centre.url}/reports?date={today}")
    link = chrome.find_element(By.ID, "csv").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in chrome.get_cookies()}
    downloaded = httpx.get(link, cookies=cookies)
    assert downloaded.status_code == 200
    assert f"bao-cao-ngay-{today}.csv" in downloaded.headers["content-disposition"]
    central("report", "daily", "--date", today, "--format", "csv", "-o",
            str(tmp_path / "cli.csv"), "--db", centre.db)
    assert downloaded.content == (tmp_path / "cli.csv").read_bytes()
    assert "19" in chrome.find_element(By.ID, "summary").text


def test_a_district_officer_sees_only_their_district(centre: Centre, chrome) -> None:
    log_in(chrome, centre.url, "dx.officer")
    chrome.get(centre.url + "/checkpoints/BP-DX-001")
    assert "Chốt kiểm soát QL14" in page_text(chrome)
    assert "kiosk-dx1" in page_text(chrome)
    chrome.get(centre.url + "/checkpoints/BP-BL-001")  # another district's: as unknown
    assert "404" in chrome.title + page_text(chrome)
    assert "Bệnh viện" not in page_text(chrome)
    chrome.get(centre.url + "/checkpoints?district=Bình+Long")
    listed = chrome.find_element(By.ID, "checkpoints").text
    assert "BP-DX-001" in listed and "BP-BL-001" not in listed
    chrome.get(centre.url + "/kiosks")
    assert "kiosk-dx1" in page_text(chrome) and "kiosk-bl1" not in page_text(chrome)
    chrome.get(centre.url + "/today")
    cookies = {c["name"]: c["value"] for c in chrome.get_cookies()}
    scans = {day: httpx.get(centre.url + "/api/v1/reports/daily", params={"date": day},
                            cookies=cookies).json()["summary"]["scans"]
             for day in (day_in_title(chrome), centre.day)}
    assert chrome.find_element(By.ID, "scans").text == str(scans[day_in_title(chrome)])
    assert scans[centre.day] == 12  # Đồng Xoài's scans only
    assert "Bình Long" not in page_text(chrome)
    # the answer is a real 404, not a page that merely says so
    assert httpx.get(centre.url + "/checkpoints/BP-BL-001", cookies=cookies).status_code == 404
    assert httpx.get(centre.url + "/checkpoints/BP-DX-001", cookies=cookies).status_code == 200


def test_a_viewer_sees_no_name_or_document_number_anywhere(centre: Centre, chrome) -> None:
    personal = centre.personal_values()
    log_in(chrome, centre.url, "tracer1")
    trace(chrome, centre.url, "001099000003", "ca bệnh F0-0001")
    assert any(value in page_text(chrome) for value in personal), "a trace shows them"
    log_out(chrome)

    log_in(chrome, centre.url, "viewer1")
    chrome.get(centre.url + "/checkpoints")
    pages = [a.get_attribute("href") for a in chrome.find_elements(By.CSS_SELECTOR, "nav a")]
    pages += [centre.url + f"/checkpoints/{c}" for c in ("BP-DX-001", "BP-BL-001")]
    seen = 0
    for url in pages:
        for lang in ("vi", "en"):
            chrome.get(f"{centre.url}/lang/{lang}?next={url.removeprefix(centre.url)}")
            text = page_text(chrome) + chrome.page_source
            leaked = {value for value in personal if value in text}
            assert not leaked, f"{url} ({lang}) shows {sorted(leaked)[:3]}"
            seen += 1
    assert seen >= 8


def trace(chrome, base: str, document: str, reason: str) -> None:
    chrome.get(base + "/tracing")
    chrome.find_element(By.ID, "document").send_keys(document)
    chrome.find_element(By.ID, "reason").send_keys(reason)
    click_and_wait(chrome, chrome.find_element(By.ID, "trace"))


def traces(db: str) -> list[dict]:
    return json.loads(central("audit", "list", "--db", db, "--kind", "trace", "--json").stdout)


def test_a_tracers_trace_is_in_the_audit_log(centre: Centre, chrome) -> None:
    log_in(chrome, centre.url, "tracer1")
    trace(chrome, centre.url, "001099000101", "ca bệnh F0-4242")
    visits = chrome.find_element(By.ID, "visits").text
    assert "BP-BL-001" in visits
    contacts = chrome.find_element(By.ID, "contacts").text
    assert "001099000102" in contacts  # scanned at the same point within minutes
    chrome.get(centre.url + "/audit")
    assert "403" in page_text(chrome)  # the log is for admins
    log_out(chrome)

    log_in(chrome, centre.url, "admin1")
    chrome.get(centre.url + "/audit")
    rows = [row.text for row in chrome.find_elements(By.CSS_SELECTOR, "#audit tr")]
    mine = [row for row in rows if "F0-4242" in row]
    assert len(mine) == 1 and "tracer1" in mine[0] and "001099000101" in mine[0]
    listed = central("audit", "list", "--db", centre.db, "--kind", "trace", "--json").stdout
    assert '"actor": "tracer1"' in listed and "F0-4242" in listed


def test_viewing_the_audit_log_is_itself_in_the_audit_log(centre: Centre, chrome) -> None:
    def viewed() -> list[dict]:
        return json.loads(central("audit", "list", "--db", centre.db, "--kind", "audit-log",
                                  "--json").stdout)

    log_in(chrome, centre.url, "tracer1")
    before = len(viewed())
    chrome.get(centre.url + "/audit")  # refused: nothing shown, nothing recorded
    assert "403" in page_text(chrome)
    log_out(chrome)
    log_in(chrome, centre.url, "admin1")
    chrome.get(centre.url + "/audit?actor=tracer1&kind=trace")
    assert "tracer1" in chrome.find_element(By.ID, "audit").text
    records = viewed()
    assert len(records) == before + 2  # the admin's page view and the listing just made
    page_view = records[1]
    assert (page_view["actor"], page_view["channel"], page_view["address"],
            page_view["subject"]) == ("admin1", "web", "127.0.0.1",
                                      "/audit?actor=tracer1&kind=trace")
    chrome.get(centre.url + "/audit?kind=audit-log")
    shown = [row.text for row in chrome.find_elements(By.CSS_SELECTOR,
                                                      "#audit tr.kind-audit-log")]
    assert shown and all("Xem nhật ký" in row for row in shown)
    assert any("admin1" in row and "127.0.0.1" in row and "/audit?actor=tracer1&kind=trace"
               in row for row in shown)


def test_a_trace_by_name_and_birth_year_is_shown_as_a_weaker_match(centre: Centre,
                                                                   chrome) -> None:
    log_in(chrome, centre.url, "tracer1")
    chrome.get(centre.url + "/tracing")
    chrome.find_element(By.ID, "person-name").send_keys("Nguyễn Văn An")
    chrome.find_element(By.ID, "birth-year").send_keys("1990")
    chrome.find_element(By.ID, "reason").send_keys("ca bệnh F0-0002")
    click_and_wait(chrome, chrome.find_element(By.ID, "trace"))
    # the sample's people all share the name: their number first, nobody shown
    assert "người (quá 5): chưa ai được hiện" in chrome.find_element(By.CSS_SELECTOR,
                                                                    ".error").text
    assert not chrome.find_elements(By.ID, "weak-match")
    chrome.find_element(By.ID, "all-named").click()  # the tracer confirms: all of them
    click_and_wait(chrome, chrome.find_element(By.ID, "trace"))
    assert "có thể nhầm người" in chrome.find_element(By.ID, "weak-match").text
    assert "#" in chrome.find_element(By.ID, "logged").text  # audited like any trace


def test_a_trace_without_a_reason_is_refused_and_not_logged(centre: Centre, chrome) -> None:
    logged = len(traces(centre.db))
    log_in(chrome, centre.url, "tracer1")
    chrome.get(centre.url + "/tracing")
    chrome.find_element(By.ID, "document").send_keys("001099000101")
    chrome.execute_script("document.getElementById('reason').removeAttribute('required');"
                          "document.getElementById('reason').removeAttribute('minlength')")
    click_and_wait(chrome, chrome.find_element(By.ID, "trace"))
    # in the page's language (Vietnamese by default), not the English of the refusal
    assert chrome.find_element(By.CSS_SELECTOR, ".error").text.startswith("lý do: bắt buộc")
    assert not chrome.find_elements(By.ID, "contacts")
    assert len(traces(centre.db)) == logged


def test_a_form_posted_without_its_csrf_token_is_refused(centre: Centre, chrome) -> None:
    log_in(chrome, centre.url, "admin1")
    chrome.get(centre.url + "/kiosks")
    form = chrome.find_element(By.ID, "enrol")
    form.find_element(By.NAME, "checkpoint").send_keys("BP-DX-002")
    form.find_element(By.NAME, "name").send_keys("Máy giả mạo")
    form.find_element(By.NAME, "kiosk_id").send_keys("kiosk-forged")
    chrome.execute_script(
        "arguments[0].querySelector('input[name=csrf_token]').remove()", form)
    click_and_wait(chrome, form.find_element(By.CSS_SELECTOR, "button"))
    assert "403" in page_text(chrome) and "mã bảo vệ" in page_text(chrome)
    kiosks = central("kiosks", "list", "--db", centre.db, "--json").stdout
    assert "kiosk-forged" not in kiosks

    chrome.get(centre.url + "/kiosks")  # the same form with its token goes through
    form = chrome.find_element(By.ID, "enrol")
    form.find_element(By.NAME, "checkpoint").send_keys("BP-DX-002")
    form.find_element(By.NAME, "name").send_keys("Máy 2")
    form.find_element(By.NAME, "kiosk_id").send_keys("kiosk-dx2")
    click_and_wait(chrome, form.find_element(By.CSS_SELECTOR, "button"))
    token = chrome.find_element(By.ID, "token").text
    assert len(token) >= 40
    assert "kiosk-dx2" in central("kiosks", "list", "--db", centre.db, "--json").stdout
    chrome.get(centre.url + "/kiosks")
    assert token not in chrome.page_source, "the token is shown once only"
    chrome.get(centre.url + "/kiosks?problems=true")  # never heard from: a problem
    listed = chrome.find_element(By.CSS_SELECTOR, "table.kiosks").text
    assert "kiosk-dx2" in listed and "kiosk-dx1" not in listed

    row = chrome.find_element(By.ID, "kiosk-kiosk-dx2")
    click_and_wait(chrome, row.find_element(By.CSS_SELECTOR, "button"))
    assert "kiosk-dx2" in chrome.find_element(By.CSS_SELECTOR, "[role=status]").text
    revoked = json.loads(central("kiosks", "list", "--db", centre.db, "--json").stdout)
    assert [k["revoked_at"] is not None for k in revoked if k["id"] == "kiosk-dx2"] == [True]


def test_an_admin_enrols_a_kiosk_at_a_point_the_registry_lacks_only_when_ticked_new(
        centre: Centre, chrome) -> None:
    """The registry holds points with districts, so an id it lacks is refused as a likely
    typo (a point of no district: its scans outside every district's report) — unless the
    admin ticks "new point", as ``kiosks add --new-checkpoint`` does; the form offers the
    registry's ids to pick from as the admin types."""
    log_in(chrome, centre.url, "admin1")
    chrome.get(centre.url + "/kiosks")
    form = chrome.find_element(By.ID, "enrol")
    assert form.find_element(By.NAME, "checkpoint").get_attribute("list") == "points"
    form.find_element(By.NAME, "checkpoint").send_keys("BP-")
    offered = WebDriverWait(chrome, 30).until(lambda c: [
        option.get_attribute("value")
        for option in c.find_elements(By.CSS_SELECTOR, "datalist#points option")])
    assert {"BP-DX-001", "BP-BL-001"} <= set(offered)
    form.find_element(By.NAME, "checkpoint").clear()

    def enrol_at(checkpoint: str, new: bool) -> None:
        form = chrome.find_element(By.ID, "enrol")
        form.find_element(By.NAME, "checkpoint").send_keys(checkpoint)
        form.find_element(By.NAME, "name").send_keys("Máy điểm mới")
        form.find_element(By.NAME, "kiosk_id").send_keys("kiosk-new1")
        if new:
            form.find_element(By.NAME, "new_checkpoint").click()
        click_and_wait(chrome, form.find_element(By.CSS_SELECTOR, "button"))

    enrol_at("BP-DX-NEW", new=False)
    refused = chrome.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert "BP-DX-NEW" in refused and "Điểm mới" in refused
    assert "kiosk-new1" not in central("kiosks", "list", "--db", centre.db, "--json").stdout
    enrol_at("BP-DX-NEW", new=True)
    assert len(chrome.find_element(By.ID, "token").text) >= 40
    enrolled = json.loads(central("kiosks", "list", "--db", centre.db, "--json").stdout)
    assert [k["checkpoint_id"] for k in enrolled if k["id"] == "kiosk-new1"] == ["BP-DX-NEW"]


def test_repeated_wrong_passwords_lock_the_name_from_their_address_until_reset(
        centre: Centre, tmp_path: Path) -> None:
    """Five wrong passwords from this browser's address lock the name from it, its right
    password refused too, until a new password lifts the lock (the name from other
    addresses: tests/test_central_lockout.py)."""
    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD + "\n")
    central("users", "add", "lock.me", "--role", "viewer", "--password-file",
            str(password_file), "--db", centre.db)
    with httpx.Client(base_url=centre.url) as client:
        def attempt(password: str) -> httpx.Response:
            token = client.get("/login").text.split('name="csrf_token" value="')[1][:64]
            return client.post("/login", data={"csrf_token": token, "name": "lock.me",
                                               "password": password, "next": "/today"})

        assert [attempt("wrong guess!").status_code for _ in range(5)] == [401] * 5
        locked = attempt(PASSWORD)
        assert locked.status_code == 401 and "tạm khoá từ địa chỉ này" in locked.text
        central("users", "reset-password", "lock.me", "--password-file", str(password_file),
                "--db", centre.db)
        assert attempt(PASSWORD).status_code == 303


def test_entries_set_aside_are_stated_on_the_report_and_tracing_pages(
        tmp_path: Path, shared_browser) -> None:
    """Deriving one of a new kiosk's entries fails every time (a constraint refuses its
    stay): the Today page, the daily report page and a trace say, in Vietnamese and in
    English, that an entry is not counted, rather than showing a short count as whole; the
    report's JSON says it too."""
    running = start_centre(tmp_path)
    chrome = shared_browser
    try:
        token = enrol(running.db, "kiosk-dx9", "BP-DX-001").token
        entries = kiosk_entries(tmp_path, "kiosk-dx9", 3, "BP-DX-001", start=900)
        with sqlite3.connect(running.db.removeprefix("sqlite:///")) as conn:
            conn.execute(f"CREATE TRIGGER refuse_stay BEFORE INSERT ON stays WHEN "
                         f"NEW.first_id = '{entries[1]['id']}' "
                         f"BEGIN SELECT RAISE(ABORT, 'stay refused'); END")
        answer = running.server.post(batch("kiosk-dx9", entries), token=token)
        assert answer.status_code == 200, answer.text
        chrome.get(running.url + "/login")
        chrome.delete_all_cookies()
        log_in(chrome, running.url, "admin1")
        assert "1 bản ghi bị để riêng" in chrome.find_element(By.ID, "not-derived").text
        today = day_in_title(chrome)
        chrome.get(f"{running.url}/reports?date={today}")
        said = chrome.find_element(By.ID, "not-derived").text
        assert "Chưa tính hết" in said and "1 bản ghi bị để riêng vì lỗi" in said
        chrome.get(f"{running.url}/lang/en?next=/reports?date={today}")
        assert "1 set aside after an error" in chrome.find_element(By.ID, "not-derived").text
        cookies = {c["name"]: c["value"] for c in chrome.get_cookies()}
        api = httpx.get(running.url + "/api/v1/reports/daily", params={"date": today},
                        cookies=cookies).json()
        assert api["not_derived"] == {"pending_entries": 0, "set_aside_entries": 1}
        trace(chrome, running.url, "001099000900", "ca bệnh F0-0009")
        assert "1 set aside after an error" in chrome.find_element(By.ID, "not-derived").text
    finally:
        running.server.stop()


def test_a_points_latest_scans_are_those_made_last_whatever_a_kiosk_clock_said(
        centre: Centre, chrome, tmp_path: Path) -> None:
    """Lane 1 of BP-CT-002 ran with its clock a year ahead (the wrong year typed) and
    uploaded 20 scans. The centre measured the offset and filed them today. Then lane 2,
    whose clock is right, scanned one person. The point's page lists "the latest scans" so
    that staff see the kiosks work. That list must show lane 2's scan, made last, and no
    time a year from now. Sorted and shown by the raw kiosk time, lane 1's 20 scans stay
    on top, dated next year, for as long as they are held (up to 400 days). Lane 2's scan
    never appears."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from kiosk.ids import id_prefix
    from kiosk.sync import protocol

    ahead = dt.timedelta(days=365)
    fast = enrol(centre.db, "kiosk-ct2-lane1", "BP-CT-002")
    right = enrol(centre.db, "kiosk-ct2-lane2", "BP-CT-002")
    scans = kiosk_entries(tmp_path, fast.kiosk_id, 20, "BP-CT-002", start=700)
    for entry in scans:  # as that kiosk wrote them: id and scanned_at by its clock
        at = protocol.parse_time(entry["scanned_at"]) + ahead
        entry["scanned_at"] = protocol.format_time(at)
        entry["id"] = id_prefix(at) + entry["id"][13:]
    sent = protocol.format_time(dt.datetime.now(dt.UTC) + ahead)
    answer = centre.server.post(batch(fast.kiosk_id, scans, sent_at=sent), token=fast.token)
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"] * 20
    last = kiosk_entries(tmp_path, right.kiosk_id, 1, "BP-CT-002", start=800)
    answer = centre.server.post(batch(right.kiosk_id, last), token=right.token)
    assert [r["status"] for r in answer.json()["results"]] == ["accepted"]

    log_in(chrome, centre.url, "admin1")
    chrome.get(centre.url + "/checkpoints/BP-CT-002")
    recent = chrome.find_element(By.ID, "recent").text
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    assert str(today.year + 1) not in recent
    assert right.kiosk_id in recent


def report_health(centre: Centre, tmp_path: Path, kiosk_id: str, *, scans: int,
                  clock_set_back: float) -> None:
    """A kiosk at BP-BL-001 (open: a closed point's kiosk is none to chase) scans ``scans``
    people into a real store, then is restarted (the entries' age is not told by the
    monotonic clock of a boot since), its clock is set back ``clock_set_back`` seconds and
    it sends its health report, timed by that clock."""
    import datetime as dt

    from central_support import cccd

    from kiosk.pipeline import Pipeline, Policy
    from kiosk.scan import Scan
    from kiosk.store import Store
    from kiosk.sync import protocol
    from kiosk.sync.heartbeat import health_report

    kiosk = enrol(centre.db, kiosk_id, "BP-BL-001")
    store = Store(tmp_path / f"{kiosk_id}.db")
    try:
        pipeline = Pipeline(store, Policy(checkpoint_id="BP-BL-001", kiosk_id=kiosk_id,
                                          duplicate_policy="allow"))
        pipeline.boot_id = "before-the-restart"
        for i in range(scans):
            pipeline.submit(Scan(payload=cccd(900 + i), device_id="serial-1", lane="in",
                                 source="serial"))
        clock = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=clock_set_back)
        report = health_report(store, now=clock)
    finally:
        store.close()
    answer = httpx.post(centre.url + protocol.HEARTBEAT_PATH,
                        json=protocol.make_heartbeat(kiosk_id, report, sent_at=clock),
                        headers=kiosk.auth, timeout=30)
    assert answer.status_code == 200, answer.text


def test_a_backlog_of_unknown_age_reads_as_unknown_not_as_an_empty_outbox(
        centre: Centre, chrome, tmp_path: Path) -> None:
    """A kiosk whose clock now reads earlier than its waiting entries cannot tell their age
    and reports it as null. That is not "nothing waiting" (–): the dashboard says the age is
    unknown and why, and names the clock alert when the centre, measuring that clock at the
    report, raised one, rather than raising a second."""
    report_health(centre, tmp_path, "kiosk-bl2-hour", scans=2, clock_set_back=3600)
    report_health(centre, tmp_path, "kiosk-bl2-minute", scans=1, clock_set_back=60)
    report_health(centre, tmp_path, "kiosk-bl2-empty", scans=0, clock_set_back=0)

    log_in(chrome, centre.url, "admin1")
    oldest = {}
    for lang in ("vi", "en"):
        chrome.get(f"{centre.url}/lang/{lang}?next=/checkpoints/BP-BL-001")
        oldest[lang] = {kiosk: chrome.find_element(By.ID, f"kiosk-{kiosk}").find_elements(
            By.TAG_NAME, "td")[7].text for kiosk in
            ("kiosk-bl2-hour", "kiosk-bl2-minute", "kiosk-bl2-empty")}
    assert oldest["vi"] == {
        "kiosk-bl2-hour": "không rõ (đồng hồ máy đang hoặc đã từng sai: "
                          "xem “Đồng hồ máy lệch quá 2 phút”)",
        "kiosk-bl2-minute": "không rõ (đồng hồ máy đang hoặc đã từng sai)",
        "kiosk-bl2-empty": "–"}
    assert oldest["en"] == {
        "kiosk-bl2-hour": "unknown (the kiosk's clock is or was wrong: see “Kiosk clock "
                          "off by over 2 minutes”)",
        "kiosk-bl2-minute": "unknown (the kiosk's clock is or was wrong)",
        "kiosk-bl2-empty": "–"}
    hour = chrome.find_element(By.ID, "kiosk-kiosk-bl2-hour").text
    assert hour.count("Kiosk clock off") == 2 and "Backlog older" not in hour  # one alert


def test_the_daily_report_names_a_backlog_of_unknown_age_in_the_kiosks_pages_words(
        centre: Centre, chrome, tmp_path: Path) -> None:
    """Two kiosks' clocks read earlier than their waiting entries, one an hour behind (the
    centre flags its clock), one a minute. Staff reading the daily report learn of both
    backlogs, which no other line of it shows: its page (in both languages, as the Kiosks
    page words that age), its CSV and XLSX downloads and the CLI's file (in Vietnamese,
    naming the clock alert as the report's sheet of problems words it) and its JSON (the
    code of those words) list each with its entries waiting. A kiosk with nothing waiting,
    or whose backlog has an age, is not listed; a district officer sees their district's
    only."""
    report_health(centre, tmp_path, "kiosk-dr-hour", scans=2, clock_set_back=3600)
    report_health(centre, tmp_path, "kiosk-dr-minute", scans=1, clock_set_back=60)
    report_health(centre, tmp_path, "kiosk-dr-empty", scans=0, clock_set_back=0)
    report_health(centre, tmp_path, "kiosk-dr-aged", scans=1, clock_set_back=0)
    mine = ("kiosk-dr-hour", "kiosk-dr-minute", "kiosk-dr-empty", "kiosk-dr-aged")

    log_in(chrome, centre.url, "admin1")
    today = day_in_title(chrome)
    listed, kiosks_page = {}, {}
    for lang, title in (("vi", "Máy chờ gửi không rõ bao lâu"),
                        ("en", "Kiosks with a backlog of unknown age")):
        chrome.get(f"{centre.url}/lang/{lang}?next=/reports?date={today}")
        rows = chrome.find_elements(By.XPATH, f"//h2[.='{title}']/following-sibling::div[1]"
                                              f"//tr[td]")
        cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
        listed[lang] = {c[0]: (c[1], c[5], c[6]) for c in cells if c[0] in mine}
        chrome.get(f"{centre.url}/checkpoints/BP-BL-001")
        kiosks_page[lang] = {kiosk: chrome.find_element(By.ID, f"kiosk-{kiosk}").find_elements(
            By.TAG_NAME, "td")[7].text for kiosk in mine}
    assert listed["vi"] == {
        "kiosk-dr-hour": ("BP-BL-001", "2", "không rõ (đồng hồ máy đang hoặc đã từng sai: "
                                            "xem “Đồng hồ máy lệch quá 2 phút”)"),
        "kiosk-dr-minute": ("BP-BL-001", "1", "không rõ (đồng hồ máy đang hoặc đã từng "
                                              "sai)")}
    assert listed["en"] == {
        "kiosk-dr-hour": ("BP-BL-001", "2", "unknown (the kiosk's clock is or was wrong: "
                                            "see “Kiosk clock off by over 2 minutes”)"),
        "kiosk-dr-minute": ("BP-BL-001", "1", "unknown (the kiosk's clock is or was "
                                              "wrong)")}
    for lang in ("vi", "en"):
        assert {k: age for k, (_, _, age) in listed[lang].items()} == {
            k: kiosks_page[lang][k] for k in ("kiosk-dr-hour", "kiosk-dr-minute")}

    cookies = {c["name"]: c["value"] for c in chrome.get_cookies()}
    api = httpx.get(centre.url + "/api/v1/reports/daily", params={"date": today},
                    cookies=cookies).json()
    assert [(r["kiosk_id"], r["pending"], r["oldest_pending"])
            for r in api["completeness"]["kiosks_backlog_age_unknown"] if r["kiosk_id"] in mine
            ] == [("kiosk-dr-hour", 2, "unknown_clock_off"), ("kiosk-dr-minute", 1, "unknown")]
    assert [r["problem"] for r in api["scanning_wrongly"] if r.get("kiosk_id") in mine] == [
        "clock_off"]  # the alert the hour's words name, and no second one

    sheet_words = [
        ["kiosk-dr-hour", "BP-BL-001", "2", "không rõ (đồng hồ máy đang hoặc đã từng sai: "
                                            "xem “Đồng hồ máy lệch quá 2 phút”)"],
        ["kiosk-dr-minute", "BP-BL-001", "1", "không rõ (đồng hồ máy đang hoặc đã từng "
                                              "sai)"]]
    chrome.get(f"{centre.url}/reports?date={today}")
    downloaded = httpx.get(chrome.find_element(By.ID, "csv").get_attribute("href"),
                           cookies=cookies)
    central("report", "daily", "--date", today, "--format", "csv", "-o",
            str(tmp_path / "cli.csv"), "--db", centre.db)
    assert downloaded.content == (tmp_path / "cli.csv").read_bytes()
    section = downloaded.content.decode("utf-8-sig").split(
        "# Máy chờ gửi không rõ bao lâu\r\n")[1].split("\r\n\r\n")[0]
    table = list(csv.reader(io.StringIO(section)))
    assert table[0] == ["Mã máy", "Mã điểm", "Tên điểm", "Huyện", "Loại địa điểm", "Chờ gửi",
                        "Chờ lâu nhất"]
    assert [[r[0], r[1], r[5], r[6]] for r in table[1:] if r[0] in mine] == sheet_words
    book = load_workbook(io.BytesIO(httpx.get(
        chrome.find_element(By.ID, "xlsx").get_attribute("href"), cookies=cookies).content))
    sheet = [[cell.value for cell in row] for row in book["Máy chờ gửi không rõ bao lâu"]]
    assert sheet[0] == table[0]
    assert [[r[0], r[1], str(r[5]), r[6]] for r in sheet[1:] if r[0] in mine] == sheet_words

    chrome.delete_all_cookies()  # Đồng Xoài's officer: Bình Long's kiosks are not theirs
    log_in(chrome, centre.url, "dx.officer")
    cookies = {c["name"]: c["value"] for c in chrome.get_cookies()}
    assert httpx.get(f"{centre.url}/reports?date={today}", cookies=cookies).status_code == 200
    api = httpx.get(centre.url + "/api/v1/reports/daily", params={"date": today},
                    cookies=cookies).json()
    assert api["completeness"]["kiosks_backlog_age_unknown"] == []
