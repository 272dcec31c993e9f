"""Days on the dashboard's pages as their reader writes them: day first in Vietnamese
(01/08/2021: 2021-08-01 reads as a foreign form there), ISO in English (unambiguous where
08/01 is not); a form's ``type=date`` or ``type=month`` input keeps its ISO value, which the
browser words itself. One helper (``Translator.date``) for every page; a real
``kiosk-central serve`` on SQLite with the sample registry, fetched over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from web_support import Centre, signed_in, start_centre

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the centre's default


@pytest.fixture(scope="module")
def first_day() -> dt.date:
    """The centre's local day when the module's centre was made."""
    return dt.datetime.now(ZONE).date()


@pytest.fixture(scope="module")
def centre(first_day: dt.date, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    running = start_centre(tmp_path_factory.mktemp("dates"))
    yield running
    running.server.stop()


def days_since(first: dt.date) -> list[dt.date]:
    """Each local day from ``first`` to today: those a page fetched now may name (a run may
    cross midnight, between making the centre or computing the day and fetching)."""
    today = dt.datetime.now(ZONE).date()
    return [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]


def fetch(centre: Centre, path: str, lang: str) -> str:
    with signed_in(centre.url, "admin1") as client:
        client.cookies.set("kc_lang", lang)
        answer = client.get(path)
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def shown(page: str) -> str:
    """The page's text as read: no tag, so no input's value (``value="2021-08-01"``)."""
    return re.sub(r"<[^>]*>", " ", page)


def test_a_checkpoints_set_up_day_and_chart_day_are_day_first_in_vietnamese(
        centre: Centre) -> None:
    """BP-DX-001 was set up on 2021-08-01 (the registry's 01/08/2021)."""
    vi = fetch(centre, "/checkpoints/BP-DX-001?day=2026-11-01", "vi")
    en = fetch(centre, "/checkpoints/BP-DX-001?day=2026-11-01", "en")
    assert "01/08/2021" in shown(vi) and "2021-08-01" not in shown(vi)
    assert "01/11/2026" in shown(vi) and "2026-11-01" not in shown(vi)
    assert '<input type="date" name="day" value="2026-11-01">' in vi  # the form: ISO
    assert "2021-08-01" in shown(en) and "2026-11-01" in shown(en)
    assert "01/08/2021" not in shown(en)
    listed = fetch(centre, "/checkpoints", "vi")
    assert "01/08/2021" in shown(listed) and "2021-08-01" not in shown(listed)


def test_a_reports_day_and_month_and_todays_title_are_worded_by_language(
        centre: Centre) -> None:
    vi = fetch(centre, "/reports?date=2026-11-01", "vi")
    assert re.search(r'id="report-title">[^<]*01/11/2026<', vi), vi[:2000]
    assert '<input type="date" name="date" value="2026-11-01">' in vi
    en = fetch(centre, "/reports?date=2026-11-01", "en")
    assert re.search(r'id="report-title">[^<]*2026-11-01<', en)
    month = fetch(centre, "/reports?monthly=true&month=2026-11", "vi")
    assert re.search(r'id="report-title">[^<]*11/2026<', month)
    assert '<input type="month" name="month" value="2026-11">' in month
    asked = dt.datetime.now(ZONE).date()
    page = shown(fetch(centre, "/today", "vi"))
    assert [d for d in days_since(asked) if d.strftime("%d/%m/%Y") in page
            and d.isoformat() not in page]
    english = shown(fetch(centre, "/today", "en"))
    assert [d for d in days_since(asked) if d.isoformat() in english]


def test_times_on_the_pages_put_the_day_first_in_vietnamese(
        centre: Centre, first_day: dt.date) -> None:
    """The Today page's "as of" time and the users' creation days: one helper for both."""
    for path in ("/today", "/users", "/kiosks"):
        page = shown(fetch(centre, path, "vi"))
        assert [d for d in days_since(first_day) if d.strftime("%d/%m/%Y") in page], path
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", page), (path, page)
