"""A report cut down to one district, for district officers: the rows of their district's
points, and the summary of their district's row. Sections that only exist for the whole
province (per kind, per hour, per day, late arrivals, distinct people) are emptied rather
than shown with other districts' numbers in them, and ``not_derived`` (the province's entries
not yet counted in its people) is left out: a district's report has no people count for it to
qualify. A district with no row (no point set up and no scan: new, or not yet imported) has a
summary of noughts, never a partial one."""

from __future__ import annotations

from typing import Any

from kiosk.central.reports import RATIOS

_PROVINCE_ONLY = ("by_kind", "by_hour", "by_day", "late_entries")
_DISTRICT_SUMMARY = ("points_set_up", "points_scanned", "points_active_7d", "adoption_ratio",
                     "scanning_ratio", "scans", "ins", "outs", "duplicates", "manual",
                     "nobody", "refused")
"""The summary's numbers a district has of its own, read from its row (its ratios too: one
figure, computed once, in the report); the others (shares of the province, people, late
entries) are not shown cut to a district."""
_LEFT_OUT = ("not_derived",)
"""Left out, not cut: how many of the province's entries its people counts are short of.
Only people are short of them, and a district's report counts none: the district's own share
would warn of a gap in numbers it does not show."""


def for_district(report: dict[str, Any], district: str | None) -> dict[str, Any]:
    """``report`` as a user limited to ``district`` may see it (unchanged for None)."""
    if district is None:
        return report
    scoped: dict[str, Any] = {k: [] if k in _PROVINCE_ONLY else v for k, v in report.items()
                              if k not in _LEFT_OUT}
    scoped["district"] = district
    for key in ("by_district", "by_point", "not_scanning", "scanning_wrongly"):
        if key in report:
            scoped[key] = [row for row in report[key] if row.get("district") == district]
    if "completeness" in report:
        scoped["completeness"] = {
            "kiosks_not_heard_since_day_end": [
                row for row in report["completeness"]["kiosks_not_heard_since_day_end"]
                if row.get("district") == district],
            "late_entries": [],
            "kiosks_backlog_age_unknown": [
                row for row in report["completeness"]["kiosks_backlog_age_unknown"]
                if row.get("district") == district]}
    row = scoped["by_district"][0] if scoped["by_district"] else {}
    scoped["summary"] = {key: row.get(key, None if key in RATIOS else 0)
                         for key in report["summary"] if key in _DISTRICT_SUMMARY}
    return scoped
