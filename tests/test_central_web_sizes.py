"""The dashboard at the sizes it is opened at: a 7" 800×480 panel up to full HD, and portrait
(a tablet, a totem) — in a real headless Chromium against a real `kiosk-central serve`.

Each page staff use (the day's report, a trace, the kiosks page with its enrolment form,
the users page with a locked name and its Unlock button, the registry) must fit the
viewport's width: whatever is wider (a table's columns) scrolls inside its own box, never
the page sideways. And an identifier is read and typed whole: a point's id broken at its
hyphens ("BP-" over "DX-" over "001") is not one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from web_support import (
    Centre,
    browser,
    chromium_binaries,
    click_and_wait,
    csrf,
    log_in,
    log_out,
    start_centre,
)

pytestmark = pytest.mark.skipif(chromium_binaries() is None,
                                reason="chromium + chromium-driver not installed")

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080), (480, 800), (1080, 1920)]

OUT_OF_VIEW = """
const width = document.documentElement.clientWidth;
const scrolls = (element) => {
  for (let box = element.parentElement; box; box = box.parentElement) {
    const overflow = getComputedStyle(box).overflowX;
    if (overflow === 'auto' || overflow === 'scroll') return true;
  }
  return false;
};
const out = [];
if (document.documentElement.scrollWidth > width) {
  out.push(`the page is ${document.documentElement.scrollWidth} px wide in ${width}`);
}
for (const element of document.querySelectorAll('body *')) {
  const box = element.getBoundingClientRect();
  if (box.width && box.height && (box.left < 0 || box.right > width + 0.5) && !scrolls(element)) {
    out.push(`${element.tagName} ${(element.textContent || '').trim().slice(0, 30)}: ` +
             `${Math.round(box.left)}..${Math.round(box.right)} px`);
  }
}
return out;
"""

BROKEN_IDS = """
const broken = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  if (node.parentElement.closest('.detail')) continue;  // sentences: they wrap as words do
  for (const match of node.textContent.matchAll(/[A-Za-z0-9]+(-[A-Za-z0-9]+)+/g)) {
    const range = document.createRange();
    range.setStart(node, match.index);
    range.setEnd(node, match.index + match[0].length);
    const lines = new Set([...range.getClientRects()].map((box) => Math.round(box.top)));
    if (lines.size > 1) broken.push(match[0]);
  }
}
return broken;
"""


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    """The shared centre, the viewer's name locked by five wrong passwords (the users page
    shows its lock and the Unlock button)."""
    running = start_centre(tmp_path_factory.mktemp("web-sizes"))
    with httpx.Client(base_url=running.url, timeout=30) as client:
        for _ in range(5):
            client.post("/login", data={"csrf_token": csrf(client.get("/login").text),
                                        "name": "viewer1", "password": "wrong guess!",
                                        "next": "/today"})
    yield running
    running.server.stop()


def pages(centre: Centre) -> dict[str, str]:
    """Every page, the reports those of the uploads' day and month (full, whenever run)."""
    return {"today": "/today", "daily report": f"/reports?date={centre.day}",
            "monthly report": f"/reports?monthly=true&month={centre.day[:7]}",
            "registry": "/checkpoints",
            "a point": "/checkpoints/BP-DX-001", "kiosks": "/kiosks", "batches": "/batches",
            "a kiosk's batches": "/batches/kiosk-dx1", "audit": "/audit", "users": "/users"}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_page_fits_the_screens_width_and_no_id_breaks_across_lines(centre: Centre,
                                                                          size) -> None:
    failures = []
    with browser(*size) as chrome:
        def check(page: str) -> None:
            failures.extend(f"{page}: {problem}" for problem in
                            chrome.execute_script(OUT_OF_VIEW))
            failures.extend(f"{page}: {name!r} is broken across lines" for name in
                            chrome.execute_script(BROKEN_IDS))

        for language in ("vi", "en"):
            chrome.delete_all_cookies()
            chrome.get(f"{centre.url}/lang/{language}?next=/login")
            check(f"{language} login")
            log_in(chrome, centre.url, "tracer1")
            chrome.get(centre.url + "/tracing")
            chrome.find_element(By.ID, "document").send_keys("001099000101")
            chrome.find_element(By.ID, "reason").send_keys("ca bệnh F0-1234")
            click_and_wait(chrome, chrome.find_element(By.ID, "trace"))
            check(f"{language} trace")
            log_out(chrome)
            log_in(chrome, centre.url, "admin1")
            for name, path in pages(centre).items():
                chrome.get(centre.url + path)
                check(f"{language} {name}")
            assert chrome.find_elements(By.CSS_SELECTOR, "form[action='/users/viewer1/unlock']")
            log_out(chrome)
    assert not failures, "\n".join(failures[:30])



SQUEEZED = """
const out = [];
for (const box of document.querySelectorAll('.scroll')) {
  if (box.scrollWidth > box.clientWidth + 1) {
    out.push(`a box scrolls sideways: ${box.scrollWidth} px in ${box.clientWidth}`);
  }
}
for (const row of document.querySelectorAll('table tr')) {
  const first = row.querySelector('td');
  if (!first || first.colSpan > 1) continue;
  const tops = new Set();  // the lines the cell's words are set on
  const walker = document.createTreeWalker(first, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const box of range.getClientRects()) tops.add(Math.round(box.top / 4));
  }
  const lines = first.querySelectorAll('br').length + 1;  // the kiosk's id, then its name
  if (tops.size > lines) {
    out.push(`"${first.textContent.trim().slice(0, 40)}" is set on ${tops.size} lines`);
  }
}
return out;
"""


@pytest.fixture
def own_centre(tmp_path: Path) -> Iterator[Centre]:
    """A centre of the test's own: the shared one has met the login throttle's 30 sign-ins
    a minute from 127.0.0.1 by then on a fast machine (every size, both languages)."""
    running = start_centre(tmp_path)
    yield running
    running.server.stop()


def test_on_a_phone_held_upright_the_users_and_kiosks_pages_are_read_down_not_across(
        own_centre: Centre) -> None:
    """At 480×800 the Users and Kiosks tables kept their columns side by side: names
    squeezed to a word a line, and the actions (Unlock, Disable, a new password, Revoke)
    in a box scrolled sideways. On a phone each row is now a block, a cell a line under its
    column's name: nothing scrolls sideways and a name is a line, as the id is."""
    failures = []
    with browser(480, 800) as chrome:
        for language in ("vi", "en"):
            chrome.delete_all_cookies()
            chrome.get(f"{own_centre.url}/lang/{language}?next=/login")
            log_in(chrome, own_centre.url, "admin1")
            for path in ("/users", "/kiosks", "/checkpoints/BP-DX-001"):
                chrome.get(own_centre.url + path)
                failures.extend(f"{language} {path}: {problem}" for problem in
                                chrome.execute_script(SQUEEZED))
            log_out(chrome)
    assert not failures, "\n".join(failures[:30])
