"""A trace as JSON (the API's answer), CSV and XLSX (for the health authority).

The JSON document is the one shape; CSV and XLSX are its tables — contacts ranked, for a
second-degree trace their own contacts, the person's visits, the (visit, contact) exposures
of the top contacts (all, when asked: :data:`EXPOSED_CONTACTS`),
and a summary — with Vietnamese headers,
local times, numbers as numbers, document and phone numbers as text (leading zeros kept),
and every text cell text, never a formula (in CSV, one a spreadsheet could run neutralised).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from kiosk import messages
from kiosk.central import sheets, tracing
from kiosk.central.web.i18n import Translator


def _headers(keys: dict[str, str]) -> dict[str, str]:
    """Column → its Vietnamese header, from the catalogue the Tracing page words its tables
    with (:mod:`kiosk.messages`): the page and the files name a column alike."""
    return {column: messages.text(f"web.{key}", "vi") for column, key in keys.items()}


CONTACT_COLUMNS = _headers({
    "rank": "tracing.col.rank", "name": "col.person", "birth_year": "tracing.col.birth_year",
    "document_number": "col.document", "phone": "tracing.col.phone",
    "overlap_minutes": "tracing.col.overlap_minutes", "visits_shared": "tracing.col.visits_shared",
    "first_seen": "tracing.col.first_seen", "last_seen": "tracing.col.last_seen",
    "checkpoints": "tracing.col.checkpoints", "estimated": "tracing.col.contact_estimated",
    "possible": "tracing.col.possible", "time_uncertain": "tracing.col.time_uncertain",
    "person": "tracing.col.person"})
VISIT_COLUMNS = _headers({
    "visit": "tracing.col.visit", "checkpoint_id": "tracing.col.checkpoint_id",
    "checkpoint_name": "tracing.col.checkpoint_name", "district": "col.district",
    "address": "col.address", "entered_at": "tracing.col.entered_at",
    "left_at": "tracing.col.left_at", "minutes": "tracing.col.minutes",
    "estimated": "tracing.col.estimated", "time_uncertain": "tracing.col.time_uncertain",
    "contacts": "tracing.col.contacts", "person": "tracing.col.person"})
"""``person``: the key of the candidate whose scans made the visit (a weak trace's
candidates are the person's ``keys``; one key otherwise)."""
CANDIDATE_COLUMNS = _headers({
    "candidate": "tracing.col.candidate", "name": "col.person",
    "birth_year": "tracing.col.birth_year", "document_number": "col.document",
    "phone": "tracing.col.phone", "kinds": "tracing.col.kinds",
    "visits": "tracing.col.candidate_visits", "person": "tracing.col.person"})
"""A weak trace's candidates (the JSON's ``found_as``), numbered as the Tracing page numbers
them, with their visits counted: whose visit each is, when the match may be another person."""
SECOND_DEGREE_COLUMNS = {**_headers({"via_rank": "tracing.col.via_rank",
                                     "via_name": "tracing.col.via_name"}), **CONTACT_COLUMNS}
"""A second-degree contact: the first-degree contact traced onward (rank, name), then the
contacts sheet's columns as the JSON's ``second_degree`` gives them."""
EXPOSURE_COLUMNS = _headers({
    "visit": "tracing.col.visit", "rank": "tracing.col.contact_rank", "name": "col.person",
    "overlap_minutes": "tracing.col.overlap_minutes", "their_entry": "tracing.col.their_entry",
    "their_exit": "tracing.col.their_exit", "estimated": "tracing.col.estimated",
    "time_uncertain": "tracing.col.time_uncertain"})
"""A (visit, contact) exposure: *Chi tiết tiếp xúc*, on the Tracing page too."""
ESTIMATED = {None: "", "exit": "giờ ra ước tính", "entry": "giờ vào ước tính"}
NOT_DERIVED = {
    "pending_entries": "Bản ghi chưa xử lý: lượt có mặt, người tiếp xúc có thể thiếu / "
                       "entries not processed yet: visits and contacts may be missing",
    "set_aside_entries": "Bản ghi lỗi chưa xử lý (kiosk-central derivation): lượt có mặt, "
                         "người tiếp xúc có thể thiếu / entries set aside after an error: "
                         "visits and contacts may be missing"}
EXPOSED_CONTACTS = 50
"""Contacts whose (visit, contact) exposures a trace lists, the highest ranked, unless all are
asked for: the contacts' rows already sum them (places, first and last time, minutes). A
commuter's 14 days on a province's data shared 326,540 stays with 6,549 people: every one
listed made a 91 MB answer no browser draws, most of it formatted to be skipped
(docs/benchmarks.md, "contact tracing of a busy person")."""
TIMES = {"entered_at", "left_at", "first_seen", "last_seen", "their_entry", "their_exit"}
TEXTS = {"document_number", "phone", "birth_year"}


def to_dict(result: tracing.Trace, *, zone: ZoneInfo, checkpoints: dict[str, tuple[str, ...]],
            data_begins: str | None, exposed: int | None = EXPOSED_CONTACTS) -> dict[str, Any]:
    """The trace as plain data: local ISO times, minutes to 0.1; the exposures of the
    ``exposed`` highest ranked contacts only (None: all), ``exposures_listed`` saying how
    many of how many, in the order a tracer reads them — by visit, then by the contact's
    rank — whatever order the trace found them in (by point and key: the *Chi tiết tiếp
    xúc* sheet read visit 4, 4, 9, 2, 2, 2, 7…)."""
    def local(seconds: float) -> str:
        return tracing.instant(seconds).astimezone(zone).isoformat(timespec="seconds")

    policy = result.policy
    contacts = result.contacts()
    rank = {row["person"]: n for n, row in enumerate(contacts, start=1)}
    per_visit = result.per_visit()
    every = result.listed()
    listed = sorted(  # visit by visit, as the visits are numbered; in each, by rank
        every if exposed is None or exposed >= len(contacts) else
        [e for e in every if rank[e["person"]] <= exposed],
        key=lambda e: (e["visit"], rank[e["person"]]))
    begins_after = (data_begins is not None and tracing.instant(result.start).astimezone(zone)
                    .date().isoformat() < data_begins)
    out: dict[str, Any] = {
        "person": {
            "query": result.target.query,
            "match": "weak" if result.target.weak else "exact",
            "weak_by": result.target.weak,
            "left_out_codes": len(result.target.others),
            "keys": sorted(result.target.keys),
            "found_as": [_person(result.people[k]) for k in sorted(result.target.keys)
                         if k in result.people],
        },
        "period": {"from": local(result.start), "to": local(result.end), "timezone": zone.key},
        "data_begins": data_begins,
        "period_starts_before_data": begins_after,
        "settings": {"margin_minutes": _number(policy.margin / 60),
                     "default_stay_minutes": _number(policy.default_stay / 60),
                     "max_stay_minutes": _number(policy.max_stay / 60),
                     "repeat_window_seconds": _number(policy.repeat_window),
                     "second_degree": policy.second_degree},
        "visits": [{
            "visit": n, "checkpoint_id": v.checkpoint_id,
            **dict(zip(("checkpoint_name", "district", "address"),
                       checkpoints.get(v.checkpoint_id, (None, None, None)), strict=True)),
            "entered_at": local(v.start), "left_at": local(v.end),
            "minutes": round((v.end - v.start) / 60, 1), "estimated": v.estimated,
            "time_uncertain_minutes": _minutes(result.uncertain.get(n - 1)),
            "contacts": per_visit.get(n - 1, 0), "person": v.person}
            for n, v in enumerate(result.visits, start=1)],
        "contacts": [{
            "rank": rank[row["person"]], **_person(result.people[row["person"]]),
            "overlap_minutes": round(row["seconds"] / 60, 1),
            "visits_shared": row["visits"],
            "first_seen": local(row["first"]), "last_seen": local(row["last"]),
            "checkpoints": sorted(row["checkpoints"]), "estimated": row["estimated"],
            "possible": row["possible"], "time_uncertain_minutes": _minutes(row["uncertain"]),
        } for row in contacts],
        "exposures": [{
            "visit": e["visit"] + 1, "rank": rank[e["person"]], "person": e["person"],
            "overlap_minutes": round(e["seconds"] / 60, 1),
            "their_entry": local(e["start"]), "their_exit": local(e["end"]),
            "estimated": e["estimated"],
            "time_uncertain_minutes": _minutes(e.get("uncertain"))} for e in listed],
        "exposures_listed": {
            "contacts": len(contacts) if exposed is None else min(exposed, len(contacts)),
            "exposures": len(listed), "all_exposures": sum(per_visit.values())},
    }
    if result.second_degree:
        out["second_degree"] = [{
            "via": key, "via_rank": rank[key],
            "contacts": to_dict(nested, zone=zone, checkpoints=checkpoints,
                                data_begins=data_begins, exposed=0)["contacts"]}
            for key, nested in result.second_degree.items()]
    return out


def _minutes(seconds: float | None) -> float | None:
    """How many minutes earlier a time of uncertain scans may truly be (None: certain)."""
    return round(seconds / 60, 1) if seconds else None


def uncertain_words(minutes: float | None) -> str:
    """A time of uncertain scans in both languages, for a file's cell ("" if certain)."""
    if minutes is None:
        return ""
    return " / ".join(Translator(lang)("tracing.uncertain_by", duration=Translator(lang)
                                       .duration(minutes * 60)) for lang in ("vi", "en"))


def _number(value: float) -> int | float:
    """A whole value as an integer: ``15``, not ``15.0``, which the trace API (JSON integers
    only) and the Tracing page's margin (whole minutes) refuse when it is sent back."""
    return int(value) if float(value).is_integer() else value


def _person(person: tracing.Person) -> dict[str, Any]:
    return {"person": person.key, "name": person.name, "birth_year": person.birth_year,
            "document_number": person.document_number, "phone": person.phone,
            "kinds": sorted(person.kinds)}


def traced_words(query: dict[str, str], lang: str) -> str:
    """Whom a trace was about (the JSON's ``person.query``) as a person reads it, in ``lang``
    — ``giấy tờ số 079000000001``, ``mã quét loại cccd: giấy tờ số …`` — as the Audit log
    page words the same subject (``web.subject.*``); the summary sheet showed the JSON,
    ``{"document": "079000000001"}``, to the health authority's staff. A scanned code's
    key is named only when it is a match key (last digits, name, birth year), as the audit
    record's subject (:func:`kiosk.central.trace_service.whom`)."""
    t = Translator(lang)
    if "name" in query:
        said = t("subject.name_born", name=query["name"], year=query.get("birth_year", ""))
    elif "phone" in query:
        said = t("subject.phone", phone=query["phone"])
    elif "document" in query:
        said = t("subject.foreign_document" if query.get("foreign") == "yes"
                 else "subject.document", document=query["document"])
    elif query.get("key", "").startswith("m:"):
        said = t("subject.match_key", key=query["key"])
    else:
        said = ""
    if "payload_kind" not in query:
        return said
    scanned = t("subject.scanned", kind=query["payload_kind"])
    return f"{scanned}: {said}" if said else scanned


def second_degree_people(report: dict[str, Any]) -> int:
    """The people a second-degree trace named beyond its first-degree contacts, each once
    however many contacts led to them: how many more it disclosed (its summary and audit
    record)."""
    first = {c["person"] for c in report["contacts"]}
    return len({c["person"] for onward in report.get("second_degree", ())
                for c in onward["contacts"]} - first)


# -- tables -------------------------------------------------------------------------------
def tables(report: dict[str, Any]) -> list[tuple[str, dict[str, str], list[dict[str, Any]]]]:
    """(sheet title, {key: header}, rows) for each table of a trace."""
    names = {c["rank"]: c["name"] for c in report["contacts"]}
    onward = report["settings"]["second_degree"] > 0  # its sheet, even empty: it was asked
    summary = [
        {"item": "Người được truy vết / traced", "value": " / ".join(
            traced_words(report["person"]["query"], lang) for lang in ("vi", "en"))},
        {"item": "Mức khớp / match", "value": " ".join(filter(None, (
            report["person"]["match"], report["person"]["weak_by"])))},
        {"item": "Từ / from", "value": report["period"]["from"]},
        {"item": "Đến / to", "value": report["period"]["to"]},
        {"item": "Dữ liệu có từ ngày / data begins", "value": report["data_begins"] or ""},
        {"item": "Lượt có mặt / visits", "value": len(report["visits"])},
        {"item": "Người tiếp xúc / contacts", "value": len(report["contacts"])},
        *([{"item": "Người tiếp xúc bậc 2 (chưa có ở trên) / second-degree contacts (new)",
            "value": second_degree_people(report)}] if onward else []),
        {"item": "Chi tiết tiếp xúc của số người tiếp xúc đầu / exposures listed for the top "
                 "contacts", "value": report["exposures_listed"]["contacts"]},
        {"item": "Chi tiết tiếp xúc liệt kê / exposures listed", "value": "{exposures} / "
         "{all_exposures}".format(**report["exposures_listed"])},
        *({"item": f"{key} / settings", "value": value}
          for key, value in report["settings"].items()),
        *({"item": NOT_DERIVED[key], "value": count}
          for key, count in report.get("not_derived", {}).items() if count),
    ]
    contacts = [_contact_row(c) for c in report["contacts"]]
    second = [{**_contact_row(c), "via_rank": via["via_rank"], "via_name": names.get(
        via["via_rank"])} for via in report.get("second_degree", ()) for c in via["contacts"]]
    visits = [{**v, "estimated": ESTIMATED.get(v["estimated"], v["estimated"]),
               "time_uncertain": uncertain_words(v["time_uncertain_minutes"])}
              for v in report["visits"]]
    weak = report["person"]["match"] == "weak"
    candidates = [{**c, "candidate": n, "kinds": ", ".join(c["kinds"]),
                   "visits": sum(v["person"] == c["person"] for v in visits)}
                  for n, c in enumerate(report["person"]["found_as"], start=1)]
    exposures = [{**e, "name": names.get(e["rank"]), "estimated": "có" if e["estimated"]
                  else "", "time_uncertain": uncertain_words(e["time_uncertain_minutes"])}
                 for e in report["exposures"]]
    return [("Người tiếp xúc", CONTACT_COLUMNS, contacts),
            *([("Tiếp xúc bậc 2", SECOND_DEGREE_COLUMNS, second)] if onward else []),
            *([("Ứng viên", CANDIDATE_COLUMNS, candidates)] if weak else []),
            ("Lượt có mặt", VISIT_COLUMNS, visits),
            ("Chi tiết tiếp xúc", EXPOSURE_COLUMNS, exposures),
            ("Tóm tắt", {"item": "Mục", "value": "Giá trị"}, summary)]


def _contact_row(contact: dict[str, Any]) -> dict[str, Any]:
    return {**contact, "checkpoints": ", ".join(contact["checkpoints"]),
            "estimated": "có" if contact["estimated"] else "",
            "possible": messages.both("web.tracing.possible") if contact["possible"] else "",
            "time_uncertain": uncertain_words(contact["time_uncertain_minutes"])}


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in TIMES:
        return dt.datetime.fromisoformat(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return "có" if value else ""
    if isinstance(value, str) or key in TEXTS:
        return str(value)  # neutralised in CSV only (kiosk.central.sheets)
    return value


def render(report: dict[str, Any], fmt: str) -> bytes:
    return sheets.render(report, fmt, _sheets)


def _sheets(report: dict[str, Any]) -> list[sheets.Sheet]:
    return [sheets.Sheet(title, list(columns.values()),
                         [[_cell(key, row.get(key)) for key in columns] for row in rows])
            for title, columns, rows in tables(report)]
