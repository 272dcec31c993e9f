"""The centre's dashboard as staff use it: a real headless Chromium against a real
`kiosk-central serve`, with the sample registry, two kiosks' uploads and a user per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import central
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait
from web_support import (
    PASSWORD,
    Centre,
    browser,
    chromium_binaries,
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
    driver = browser()
    yield driver
    driver.quit()


@pytest.fixture
def chrome(shared_browser, centre: Centre):
    """The module's browser with no cookies: each test starts as a new visitor."""
    shared_browser.get(centre.url + "/login")
    shared_browser.delete_all_cookies()
    return shared_browser


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


def test_a_district_officer_sees_only_their_district(centre: Centre, chrome) -> None:
    log_in(chrome, centre.url, "dx.officer")
    chrome.get(centre.url + "/checkpoints/BP-DX-001")
    assert "Chốt kiểm soát QL14" in page_text(chrome)
    assert "kiosk-dx1" in page_text(chrome)
    chrome.get(centre.url + "/checkpoints/BP-BL-001")
    assert "403" in chrome.title + page_text(chrome)
    assert "huyện khác" in page_text(chrome)
    assert "Bệnh viện" not in page_text(chrome)
    chrome.get(centre.url + "/checkpoints?district=Bình+Long")
    listed = chrome.find_element(By.ID, "checkpoints").text
    assert "BP-DX-001" in listed and "BP-BL-001" not in listed
    chrome.get(centre.url + "/kiosks")
    assert "kiosk-dx1" in page_text(chrome) and "kiosk-bl1" not in page_text(chrome)
    # the answer is a real 403, not a page that merely says so
    cookies = {c["name"]: c["value"] for c in chrome.get_cookies()}
    assert httpx.get(centre.url + "/checkpoints/BP-BL-001", cookies=cookies).status_code == 403
    assert httpx.get(centre.url + "/checkpoints/BP-DX-001", cookies=cookies).status_code == 200


def test_a_viewer_sees_no_name_or_document_number_anywhere(centre: Centre, chrome) -> None:
    personal = centre.personal_values()
    assert {"Nguyễn Văn An", "001099000000"} <= personal
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


def test_a_form_posted_without_its_csrf_token_is_refused(centre: Centre, chrome) -> None:
    log_in(chrome, centre.url, "admin1")
    chrome.get(centre.url + "/kiosks")
    form = chrome.find_element(By.ID, "enrol")
    form.find_element(By.NAME, "checkpoint").send_keys("BP-DX-002")
    form.find_element(By.NAME, "name").send_keys("Máy giả mạo")
    form.find_element(By.NAME, "kiosk_id").send_keys("kiosk-forged")
    chrome.execute_script(
        "arguments[0].querySelector('input[name=csrf_token]').remove()", form)
    button = form.find_element(By.CSS_SELECTOR, "button")
    button.click()
    WebDriverWait(chrome, 20).until(staleness_of(button))
    assert "403" in page_text(chrome) and "mã bảo vệ" in page_text(chrome)
    kiosks = central("kiosks", "list", "--db", centre.db, "--json").stdout
    assert "kiosk-forged" not in kiosks

    chrome.get(centre.url + "/kiosks")  # the same form with its token goes through
    form = chrome.find_element(By.ID, "enrol")
    form.find_element(By.NAME, "checkpoint").send_keys("BP-DX-002")
    form.find_element(By.NAME, "name").send_keys("Máy 2")
    form.find_element(By.NAME, "kiosk_id").send_keys("kiosk-dx2")
    button = form.find_element(By.CSS_SELECTOR, "button")
    button.click()
    WebDriverWait(chrome, 20).until(staleness_of(button))
    token = chrome.find_element(By.ID, "token").text
    assert len(token) >= 40
    assert "kiosk-dx2" in central("kiosks", "list", "--db", centre.db, "--json").stdout
    chrome.get(centre.url + "/kiosks")
    assert token not in chrome.page_source, "the token is shown once only"


def test_repeated_wrong_passwords_lock_the_account_until_reset(centre: Centre,
                                                               tmp_path: Path) -> None:
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
        assert locked.status_code == 401 and "khoá" in locked.text
        central("users", "reset-password", "lock.me", "--password-file", str(password_file),
                "--db", centre.db)
        assert attempt(PASSWORD).status_code == 303
