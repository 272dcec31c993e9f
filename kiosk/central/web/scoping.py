"""A report cut down to one district, for district officers: the rows of their district's
points, and the summary of their district's row. Sections that only exist for the whole
province (per kind, per hour, per day, late arrivals, distinct people) are emptied rather
than shown with other districts' numbers in them."""

from __future__ import annotations

from typing import Any

from kiosk.central.reports import ratio

_PROVINCE_ONLY = ("by_kind", "by_hour", "by_day")


def for_district(report: dict[str, Any], district: str | None) -> dict[str, Any]:
    """``report`` as a user limited to ``district`` may see it (unchanged for None)."""
    if district is None:
        return report
    scoped: dict[str, Any] = {k: [] if k in _PROVINCE_ONLY else v for k, v in report.items()}
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
    points = scoped["by_point"]
    summary = {key: row.get(key, 0) for key in report["summary"]
               if key in row or key in ("manual", "refused")}
    summary["manual"] = sum(p.get("manual", 0) for p in points)
    summary["refused"] = sum(p.get("refused", 0) for p in points)
    if "points_active_7d" in summary:
        summary["adoption_ratio"] = ratio(summary["points_active_7d"],
                                          summary.get("points_set_up", 0))
    elif "adoption_ratio" in report["summary"]:
        summary["adoption_ratio"] = ratio(summary.get("points_scanned", 0),
                                          summary.get("points_set_up", 0))
    scoped["summary"] = summary
    return scoped
