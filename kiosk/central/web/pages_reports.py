"""Reports: the daily and monthly reports of :mod:`kiosk.central.reports` (the numbers of
``kiosk-central report``), as pages with a date picker (each section's first
:data:`ROWS_SHOWN` rows, and how many more the download holds), as CSV/XLSX downloads, and as
JSON under ``/api/v1/reports/…`` for a signed-in user — each cut to their district if they
have one. A report asked for while the same one is being built is answered with that build
(:mod:`kiosk.central.web.shared_builds`)."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from kiosk.central import report_formats, reports
from kiosk.central.disclosure import not_personal
from kiosk.central.storage import Storage
from kiosk.central.web import i18n
from kiosk.central.web.scoping import for_district
from kiosk.central.web.site import (
    ROLES_OF,
    BadParameter,
    LoginRequired,
    Site,
    choice_parameter,
    district_of,
    flag_parameter,
    site_of,
)
from kiosk.messages import WordedError
from kiosk.sync.protocol import refusal_body

router = APIRouter()
api = APIRouter()
"""The JSON routes, listed in the OpenAPI document (the pages are not)."""
ROLES = ROLES_OF["/reports"]
COUNTS = "counts per checkpoint, district, kind, hour and day (no person)"
DOWNLOADS = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


ROWS_SHOWN = 100
"""The most rows of one section a Reports page shows, as Today shows 50 problems: a person
reads the first ones and a count of the rest, which the CSV/XLSX download holds in full. A
province's daily report has a row per point scanning (20,000) and per point not scanning: all
of them drawn, the page was 7.5 MB of HTML."""
MOST_SCANS_FIRST = ("Theo điểm",)
"""Sections whose shown rows are the points with the most scans (the busiest first, then by
id), when the section has more rows than are shown; the others keep the report's order (the
problem lists: as Today shows them)."""


@dataclass(frozen=True)
class Section:
    """A report section as the page shows it: its first :data:`ROWS_SHOWN` rows and how many
    more the download holds."""

    title: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    more: int
    total: int
    most_scans_first: bool


def shown(table: report_formats.Table, limit: int = ROWS_SHOWN) -> Section:
    rows, by_scans = table.rows, False
    if len(rows) > limit and table.title in MOST_SCANS_FIRST:
        rows, by_scans = heapq.nsmallest(limit, rows, key=lambda r: -r["scans"]), True
    return Section(table.title, table.columns, rows[:limit], max(0, len(table.rows) - limit),
                   len(table.rows), by_scans)


def daily_report(site: Site, day: dt.date, district: str | None) -> dict[str, Any]:
    """The province's report of ``day`` (shared with whoever asks for it while it is being
    built: :mod:`kiosk.central.web.shared_builds`), cut to ``district``: once made, the
    report its making made (:func:`reports.made_report`), the 06:00 file of the same name
    (its late entries listed by the next report only), else as of when it was built, kept
    until entries of the day arrive (:class:`kiosk.central.web.today_report.DaysNotMade`)."""
    storage = site.storage

    def build() -> dict[str, Any]:
        return reports.made_report(storage, day) or site.days_not_made.get(day)

    return for_district(site.report_builds.get(
        ("daily", day.isoformat(), storage.calendar.name), build), district)


def monthly_report(site: Site, month: str, district: str | None) -> dict[str, Any]:
    """The province's report of ``month`` (shared as :func:`daily_report`'s), cut to
    ``district``: once due, the one built and kept until entries of it arrive late
    (:func:`reports.kept_monthly`), else as of now."""
    storage = site.storage
    return for_district(site.report_builds.get(
        ("monthly", month, storage.calendar.name),
        lambda: reports.kept_monthly(storage, month)), district)


def _day(storage: Storage, text: str) -> dt.date | None:
    """``YYYY-MM-DD`` or blank (yesterday, as the CLI); None if unreadable."""
    if not text:
        return storage.today() - dt.timedelta(days=1)
    try:
        return reports.report_day(text)
    except ValueError:
        return None


def _month(storage: Storage, text: str) -> str | None:
    if not text:
        return storage.today().strftime("%Y-%m")
    try:
        reports.month_days(text)
    except ValueError:
        return None
    return text


@router.get("/reports")
@not_personal(COUNTS)
async def report_page(request: Request, date: str = "", month: str = "",
                      monthly: str = "") -> Response:
    site = site_of(request)
    user = site.user(request, *ROLES)
    is_monthly = flag_parameter("monthly", monthly)
    t = i18n.translator(site.lang(request))
    storage = site.storage
    day, chosen_month = _day(storage, date), _month(storage, month)
    if day is None or chosen_month is None:
        return await site.render(request, "reports.html", status=422, report=None, sections=[],
                           date=date, month=month, monthly=is_monthly,
                           error=t("reports.bad_date", value=date if day is None else month))
    if is_monthly:
        report = await run_in_threadpool(monthly_report, site, chosen_month,
                                         district_of(user))
    else:
        report = await run_in_threadpool(daily_report, site, day, district_of(user))
    sections = [shown(table) for table in report_formats.tables(report)[1:] if table.rows]
    as_of = not is_monthly and not await run_in_threadpool(reports.made, storage, day)
    return await site.render(request, "reports.html", report=report, sections=sections,
                       date=day.isoformat(), month=chosen_month, monthly=is_monthly, error=None,
                       as_of=as_of)


@router.get("/reports/download")
@not_personal(COUNTS)
async def download(request: Request, format: str = "", date: str = "", month: str = "",
                   monthly: str = "") -> Response:
    site = site_of(request)
    user = site.user(request, *ROLES)
    choice_parameter("format", format, DOWNLOADS)
    storage = site.storage
    day, chosen_month = _day(storage, date), _month(storage, month)
    if day is None:  # a hand-edited link: said in the reader's language, as /reports' others
        raise BadParameter("bad_request.date", "date", date)
    if chosen_month is None:
        raise BadParameter("bad_request.month", "month", month)
    if flag_parameter("monthly", monthly):
        report = await run_in_threadpool(monthly_report, site, chosen_month,
                                         district_of(user))
    else:
        report = await run_in_threadpool(daily_report, site, day, district_of(user))
    body = await run_in_threadpool(report_formats.render, report, format)
    name = report_formats.file_name(report, format)
    return Response(body, media_type=DOWNLOADS[format], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# -- JSON, for the same users -------------------------------------------------------------
def _api_user(site: Site, request: Request) -> Any:
    try:
        return site.user(request, *ROLES)
    except LoginRequired:
        return None


@api.get("/api/v1/reports/daily", summary="The daily report (signed-in dashboard user)")
@not_personal(COUNTS)
async def daily_json(request: Request, date: str = "") -> Response:
    return await _report_json(request, date, _day, daily_report, "date", "YYYY-MM-DD")


@api.get("/api/v1/reports/monthly", summary="The monthly report (signed-in dashboard user)")
@not_personal(COUNTS)
async def monthly_json(request: Request, month: str = "") -> Response:
    return await _report_json(request, month, _month, monthly_report, "month", "YYYY-MM")


async def _report_json(request: Request, value: str, choose: Callable[[Any, str], Any],
                       build: Callable[..., dict[str, Any]], name: str, shape: str
                       ) -> Response:
    """A report as JSON for a signed-in user (their district's only): 401 signed out, 422
    naming the parameter when ``choose`` cannot read ``value``."""
    site = site_of(request)
    user = _api_user(site, request)
    if user is None:
        return JSONResponse(refusal_body(WordedError("api.sign_in")), status_code=401)
    chosen = choose(site.storage, value)
    if chosen is None:
        return JSONResponse(refusal_body(WordedError(
            "api.bad_parameter", name=name, shape=shape, got=repr(value))), status_code=422)
    report = await run_in_threadpool(build, site, chosen, district_of(user))
    return JSONResponse(report, headers={"Cache-Control": "no-store"})
