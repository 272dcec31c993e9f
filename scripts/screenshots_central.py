#!/usr/bin/env python3
"""Screenshots of every dashboard page in Vietnamese and English, at 1366×768 and at a phone's
width (390×844), taken with the headless Chromium the tests use, against a real
`kiosk-central serve` filled by tests/web_support.py (sample registry, two kiosks' uploads,
one user per role, one trace).

    .venv/bin/python scripts/screenshots_central.py [--out docs/screenshots]

Writes ``central-<page>-<vi|en>.png`` and ``central-<page>-<vi|en>-narrow.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from selenium.webdriver.common.by import By  # noqa: E402
from web_support import browser, click_and_wait, log_in, log_out, start_centre  # noqa: E402

from kiosk.commandline import examples  # noqa: E402

SIZES = {"": (1366, 768), "-narrow": (390, 844)}


def trace(driver, base: str) -> None:
    driver.get(base + "/tracing")
    driver.find_element(By.ID, "document").send_keys("001099000101")
    driver.find_element(By.ID, "reason").send_keys("ca bệnh F0-1234")
    click_and_wait(driver, driver.find_element(By.ID, "trace"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], **examples(
        ".venv/bin/python scripts/screenshots_central.py   # into docs/screenshots",
        ".venv/bin/python scripts/screenshots_central.py --out /tmp/shots"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    centre = start_centre(Path(tempfile.mkdtemp(prefix="kiosk-shots-")))
    base = centre.url
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    pages = {  # name: path, as the admin sees it
        "today": "/today", "reports": f"/reports?date={today}",
        "reports-monthly": "/reports?monthly=true",
        "checkpoints": "/checkpoints", "checkpoint": "/checkpoints/BP-DX-001",
        "kiosks": "/kiosks", "batches": "/batches", "batches-kiosk": "/batches/kiosk-dx1",
        "audit": "/audit", "users": "/users",
    }
    taken = 0
    try:
        for suffix, (width, height) in SIZES.items():
            with browser(width, height) as driver:
                for lang in ("vi", "en"):
                    driver.delete_all_cookies()
                    driver.get(f"{base}/lang/{lang}?next=/login")
                    driver.save_screenshot(str(args.out / f"central-login-{lang}{suffix}.png"))
                    log_in(driver, base, "tracer1")
                    trace(driver, base)
                    driver.save_screenshot(str(args.out / f"central-tracing-{lang}{suffix}.png"))
                    log_out(driver)
                    log_in(driver, base, "admin1")
                    for name, path in pages.items():
                        driver.get(base + path)
                        driver.save_screenshot(str(args.out / f"central-{name}-{lang}{suffix}.png"))
                    log_out(driver)
                    log_in(driver, base, "dx.officer")
                    driver.get(f"{base}/checkpoints/BP-BL-001")
                    driver.save_screenshot(str(args.out / f"central-forbidden-{lang}{suffix}.png"))
                    log_out(driver)
                    taken += len(pages) + 3
    finally:
        centre.server.stop()
    print(f"{taken} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
