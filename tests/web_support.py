"""Real parts for the dashboard tests and screenshots: a headless Chromium driven by Selenium,
and a centre filled the way it is in use — the sample registry imported, kiosks enrolled,
entries uploaded by real kiosk pipelines, and one user of each role made with the CLI."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from central_support import CentralServer, batch, by_command, central, enrol, kiosk_entries
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from kiosk.central.backends import open_storage
from kiosk.central.web import users as accounts
from kiosk.sync import protocol

SAMPLE = Path(__file__).resolve().parents[1] / "docs" / "checkpoints-sample.csv"
PASSWORD = "correct horse battery"
USERS = {  # name: (role, district)
    "admin1": ("admin", None),
    "dx.officer": ("district", "Đồng Xoài"),
    "viewer1": ("viewer", None),
    "tracer1": ("tracer", None),
}
KIOSKS = {"kiosk-dx1": "BP-DX-001", "kiosk-bl1": "BP-BL-001"}
ENTRIES_PER_KIOSK = {"kiosk-dx1": 12, "kiosk-bl1": 7}


def chromium_binaries() -> tuple[str, str] | None:
    """(browser, driver) from Debian's chromium and chromium-driver, or None."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def browser(width: int = 1366, height: int = 768) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium with a profile directory of its own, nothing shared between
    runs; quit and its profile removed on leaving (each holds ~3 MB)."""
    found = chromium_binaries()
    assert found, "chromium and chromium-driver are not installed (scripts/bootstrap.sh)"
    with tempfile.TemporaryDirectory(prefix="kiosk-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = found[0]
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     "--lang=vi", f"--window-size={width},{height}",
                     f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(executable_path=found[1]))
        try:
            # The viewport exactly width × height (a window's includes its frame, and
            # Chromium's smallest window is wider than a phone).
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": 1,
                "mobile": width < 500})
            driver.set_page_load_timeout(30)
            yield driver
        finally:
            driver.quit()


def click_and_wait(driver: webdriver.Chrome, element: WebElement, timeout: float = 30) -> None:
    """Click ``element`` (a submit button) and return once the page it was on is replaced."""
    element.click()

    def replaced(_: object) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:  # stale, or already detached from the new document
            return True
        return False

    WebDriverWait(driver, timeout).until(replaced)


def download_into(driver: webdriver.Chrome, folder: Path) -> None:
    """Files the page downloads (an export's button) are saved in ``folder``, unasked."""
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(folder)})


def downloaded(folder: Path, timeout: float = 60) -> Path:
    """The one file in ``folder`` once Chromium has finished writing it."""
    def done(_: object) -> list[Path]:
        files = list(folder.iterdir())
        return files if files and not any(f.suffix == ".crdownload" for f in files) else []

    (file,) = WebDriverWait(None, timeout).until(done)
    return file


def log_in(driver: webdriver.Chrome, base: str, name: str, password: str = PASSWORD) -> None:
    driver.get(base + "/login")
    fill_login(driver, name, password)


def fill_login(driver: webdriver.Chrome, name: str, password: str = PASSWORD) -> None:
    """Submit the login form already open; return once the answer's page has loaded."""
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    click_and_wait(driver, driver.find_element(By.ID, "login"))


def log_out(driver: webdriver.Chrome) -> None:
    click_and_wait(driver, driver.find_element(By.ID, "logout"))


def page_text(driver: webdriver.Chrome) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


@dataclass
class Centre:
    """A running centre with the sample registry, two kiosks' uploads and four users."""

    db: str
    server: CentralServer
    entries: dict[str, list[dict]] = field(default_factory=dict)
    day: str = ""
    """The centre's local day of the uploads (ISO): the day a test asks about, named — a
    run of a module may cross midnight, and "today" then is a day with no entries."""

    @property
    def url(self) -> str:
        return self.server.url

    def personal_values(self) -> set[str]:
        """Every name and document number uploaded: what a viewer must never see."""
        return {value for entries in self.entries.values() for e in entries
                for value in (e["name"], e["document_number"]) if value}


def start_centre(tmp: Path, db: str | None = None) -> Centre:
    """The centre on ``db`` (default: a new SQLite file in ``tmp``)."""
    db = db or f"sqlite:///{tmp}/central.db"
    open_storage(db).close()  # as `kiosk-central init` makes it (test_central_cli's is tested)
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    tokens = {kiosk_id: enrol(db, kiosk_id, checkpoint).token
              for kiosk_id, checkpoint in KIOSKS.items()}
    add_users(db, USERS)
    server = CentralServer(db)
    centre = Centre(db, server)
    with open_storage(db) as storage:
        while True:  # made again, all after it, when midnight passed while they were made
            made = {kiosk_id: kiosk_entries(tmp, kiosk_id, ENTRIES_PER_KIOSK[kiosk_id],
                                            checkpoint, start=100 * n)
                    for n, (kiosk_id, checkpoint) in enumerate(KIOSKS.items())}
            days = {storage.calendar.day_of(protocol.parse_time(e["scanned_at"])).isoformat()
                    for entries in made.values() for e in entries}
            if len(days) == 1:
                break
    centre.day = days.pop()
    for kiosk_id, entries in made.items():
        answer = server.post(batch(kiosk_id, entries), token=tokens[kiosk_id])
        assert answer.status_code == 200, answer.text
        centre.entries[kiosk_id] = entries
        health = {"software_version": "0.1.0", "pending": 3 * len(centre.entries),
                  "oldest_pending_seconds": 40.0 * len(centre.entries), "rejected": 0,
                  "devices": [{"id": "serial-1", "kind": "serial", "state": "running",
                               "detail": ""},
                              {"id": "camera-1", "kind": "camera", "state": "running",
                               "detail": ""}],
                  "free_disk_bytes": 12_500_000_000, "refused_by_hour": {}}
        answer = httpx.post(server.url + protocol.HEARTBEAT_PATH,
                            json=protocol.make_heartbeat(kiosk_id, health),
                            headers=protocol.bearer(tokens[kiosk_id]), timeout=30)
        assert answer.status_code == 200, answer.text
    return centre


def add_users(db: str, users: dict[str, tuple[str, str | None]]) -> None:
    """``users`` (name: (role, district)) made as `kiosk-central users add --own-password`
    makes them (the same call, recorded as by this user@host), each with :data:`PASSWORD`
    (kept: no change asked at sign-in), in this process: a command's process each cost a
    second of CPU. The command itself is test_central_users'."""
    with open_storage(db, create=False) as storage:
        for name, (role, district) in users.items():
            accounts.add(storage, name, role, PASSWORD, by=by_command(), district=district)


# -- every page, as a signed-in user fetches it ----------------------------------------------
SAMPLES = {"checkpoint_id": "BP-DX-001", "kiosk_id": "kiosk-dx1", "lang": "en",
           "name": "viewer1", "format": "csv"}
"""A value for every path parameter and required query parameter of the GET routes (a new
route with a new parameter fails :func:`get_routes` until it is given one), and for the
optional ones a page would be useless without (a download's ``format``)."""


def routes(app: FastAPI) -> Iterator[tuple[str, object]]:
    """(path, route) for every route registered, those of included routers too."""
    for context in iter_route_contexts(app.routes):
        yield context.path or "", context.original_route


@contextmanager
def signed_in(base: str, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as client:
        token = csrf(client.get("/login").text)
        answer = client.post("/login", data={"csrf_token": token, "name": name,
                                             "password": PASSWORD, "next": "/today"})
        assert answer.status_code == 303, answer.text[:300]
        yield client


def today_page_day(page: str) -> str:
    """The day (ISO) a Today page's title names, day first (Vietnamese) or ISO (English)."""
    title = re.search(r"<h1>([^<]*)</h1>", page).group(1)
    if found := re.search(r"(\d\d)/(\d\d)/(\d{4})", title):
        return f"{found[3]}-{found[2]}-{found[1]}"
    return re.search(r"\d{4}-\d\d-\d\d", title).group()


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def get_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """Every GET route as a URL to fetch (its parameters filled from SAMPLES)."""
    urls = []
    for template, route in routes(app):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        path = template
        for name in re.findall(r"{(\w+)}", path):
            assert name in SAMPLES, f"{path}: give SAMPLES a value for {name!r}"
            path = path.replace(f"{{{name}}}", SAMPLES[name])
        required = [p.name for p in route.dependant.query_params if p.field_info.is_required()]
        for name in required:
            assert name in SAMPLES, f"{route.path}: give SAMPLES a value for {name!r}"
        # and the optional ones SAMPLES names (a download's format, read as text)
        given = [p.name for p in route.dependant.query_params if p.name in SAMPLES]
        if given:
            path += "?" + "&".join(f"{name}={SAMPLES[name]}" for name in given)
        urls.append((path, route))
    return urls
