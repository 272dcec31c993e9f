"""The dashboard's words, from the one catalogue (``web.*`` in :mod:`kiosk.messages`), in
Vietnamese (the default) or English, and numbers and days as each language writes them
(1.234,5 / 1,234.5; 01/11/2026 / 2026-11-01)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from kiosk import messages
from kiosk.central.localdays import parse_utc
from kiosk.central.reports import RATIOS, UNKNOWN

DEFAULT = "vi"
LANGUAGES = messages.LANGUAGES
DATES = frozenset({"day", "set_up_on", "closed_on", "received_on"})
"""A report's keys whose values are days (``YYYY-MM-DD``), worded by :meth:`Translator.date`."""
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class Translator:
    """``t(key, **values)`` in one language; ``t.num(n)`` and ``t.pct(ratio)`` as it writes."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, /, **values: Any) -> str:
        """The words of ``web.<key>``; ``key`` positional only: a sentence's own ``{key}``
        (``subject.match_key``'s) is one of ``values``."""
        return messages.text(f"web.{key}", self.lang, **values)

    def column(self, key: str) -> str:
        """A report's key as a column heading (the key itself if it has none)."""
        code = f"web.column.{key}"
        return messages.text(code, self.lang) if code in messages.CATALOGUE else key

    def title(self, vietnamese: str) -> str:
        """A report section's title (report_formats writes them in Vietnamese)."""
        code = f"web.table.{vietnamese}"
        return messages.text(code, self.lang) if code in messages.CATALOGUE else vietnamese

    def cell(self, key: str, value: Any) -> str:
        """A report's value as this language writes it (numbers, ratios, codes; an unknown
        backlog age as the kiosk list words it, naming the clock alert; the report's name
        and district of a point not in the registry, or without a district, in this
        language only)."""
        if value is None:
            return "–"
        if key == "oldest_pending":
            return self(f"kiosks.oldest_{value}", alert=self("problem.clock_off"))
        if key in RATIOS:
            return self.pct(value)
        if isinstance(value, bool):
            return "✓" if value else "–"
        if isinstance(value, int | float):
            return self.num(value, 0 if isinstance(value, int) else 2)
        if key in DATES:
            return self.date(value)
        if key in ("name", "district") and value == UNKNOWN:
            return self("report.unknown")
        if key in ("kind", "problem") and f"web.{key}.{value}" in messages.CATALOGUE:
            return self(f"{key}.{value}")
        return str(value)

    def device_state(self, state: str) -> str:
        """A kiosk device's state from its heartbeat (``running``…) in this language; one
        the catalogue does not know as the kiosk sent it."""
        code = f"web.device.state.{state}"
        return messages.text(code, self.lang) if code in messages.CATALOGUE else state

    def detail(self, row: Mapping[str, Any], zone: str) -> str:
        """A report's problem (its ``problem`` code and ``params``,
        :data:`kiosk.central.reports.PROBLEM_PARAMS`) in this language: numbers and shares as
        it writes them, UTC times as local ``YYYY-MM-DD HH:MM`` in ``zone`` (the report's),
        durations in days, hours, minutes. Blank for a row without params (a version 1
        report's)."""
        problem, params = row.get("problem", ""), row.get("params")
        if not isinstance(params, Mapping):
            return ""
        if problem == "no_scan_7_days":
            return self("detail.no_scan_7_days", day=self.date(params["set_up_on"]))
        if problem == "kiosk_silent_24h":
            seen, pending = params["last_seen_at"], params.get("pending")
            if not seen:
                return self("detail.kiosk_silent_24h_never")
            return (self("detail.kiosk_silent_24h_pending", time=self.time(seen, zone),
                         pending=self.num(pending)) if pending
                    else self("detail.kiosk_silent_24h", time=self.time(seen, zone)))
        if problem.startswith("uploads_paused"):
            values = {"pending": self.num(params["pending"]),
                      "time": self.time(params["reported_at"], zone)}
            return (self("detail.uploads_paused", **values) if problem != "uploads_paused"
                    else self("detail.uploads_paused_reason", reason=params["reason"],
                              **values))
        if problem == "clock_off":
            offset = params["clock_offset_seconds"]
            return self("detail.clock_behind" if offset > 0 else "detail.clock_ahead",
                        duration=self.duration(abs(offset)))
        if problem == "old_backlog":
            return self("detail.old_backlog",
                        duration=self.duration(params["oldest_pending_seconds"]))
        if problem == "token_copied":
            return self("detail.token_copied", machines=self.num(len(params["sources"])),
                        sources="; ".join(self("detail.token_source", boot=s["boot_id"] or "–",
                                               address=s["address"] or "–",
                                               first=self.time(s["first_seen_at"], zone),
                                               last=self.time(s["last_seen_at"], zone),
                                               pending=self.num(s["pending"])
                                               if s["pending"] is not None else "–")
                                          for s in params["sources"])
                        + "".join("; " + self("detail.set_aside", boot=s["boot_id"],
                                              entries=self.num(s["entries"]))
                                  for s in params.get("set_aside", ())))
        if problem == "one_direction":
            return self("detail.one_direction", ins=self.num(params["ins"]),
                        outs=self.num(params["outs"]))
        if problem in ("refused_share", "manual_share"):
            shares = {"share": self.pct(params["share"]),
                      "province": self.pct(params["province_share"])}
            bound = params.get("bound")
            return (self("detail.share", **shares) if bound is None
                    else self("detail.share_bound", bound=self.pct(bound), **shares))
        if problem == "revoked_still_trying":
            return self("detail.revoked_still_trying",
                        attempts=self.num(params["refused_attempts"]),
                        time=self.time(params["last_refused_at"], zone))
        if problem == "replaced_token_in_use":
            return self("detail.replaced_token_in_use",
                        attempts=self.num(params["attempts"]),
                        time=self.time(params["last_attempt_at"], zone))
        if problem == "time_uncertain":
            return self("detail.time_uncertain", scans=self.num(params["scans"]),
                        duration=self.duration(params["earlier_seconds"]))
        if problem == "time_after_arrival":
            return self("detail.time_after_arrival", scans=self.num(params["scans"]),
                        duration=self.duration(params["later_seconds"]))
        if problem == "closed_still_scanning":
            return self("detail.closed_still_scanning", scans=self.num(params["scans"]),
                        day=self.date(params["closed_on"]))
        return ""

    def date(self, day: str | dt.date | None) -> str:
        """A day as this language writes it: ``01/11/2026`` in Vietnamese (day first, as its
        readers expect; 2026-11-01 read as a stranger's form), ``2026-11-01`` in English
        (unambiguous to every reader, where 11/01 is not). The one helper for every day a
        page shows ("–" for none); a form's ``type=date`` input keeps its ISO value, which
        the browser words itself."""
        if not day:
            return "–"
        text = day.isoformat() if isinstance(day, dt.date) else str(day)
        found = _DAY.fullmatch(text)
        if self.lang != "vi" or not found:
            return text
        return f"{found[3]}/{found[2]}/{found[1]}"

    def month(self, month: str | None) -> str:
        """A month (``YYYY-MM``) as this language writes it: ``11/2026`` / ``2026-11``."""
        found = _MONTH.fullmatch(month or "")
        if self.lang != "vi" or not found:
            return month or "–"
        return f"{found[2]}/{found[1]}"

    def moment(self, local: str | None) -> str:
        """A local time as stored (``YYYY-MM-DDTHH:MM…``, already in the right zone) as
        :meth:`date` and ``HH:MM``."""
        if not local:
            return "–"
        return f"{self.date(local[:10])} {local[11:16]}".rstrip()

    def time(self, stored: str | None, zone: str | dt.tzinfo, *, clock: bool = True) -> str:
        """A UTC time as local :meth:`date` and ``HH:MM`` in ``zone`` ("–" for none); its
        local day alone without ``clock``."""
        if not stored:
            return "–"
        local = parse_utc(stored).astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)
        return f"{self.date(local.date())} {local:%H:%M}" if clock else self.date(local.date())

    def duration(self, seconds: float) -> str:
        """A length of time in its two largest units (``1 ngày 6 giờ`` / ``1 d 6 h``)."""
        whole = round(seconds)
        days, rest = divmod(whole, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        if days:
            return self("duration.days", days=self.num(days), hours=hours)
        if hours:
            return self("duration.hours", hours=hours, minutes=minutes)
        if minutes:
            return self("duration.minutes", minutes=minutes, seconds=secs)
        return self("duration.seconds", seconds=secs)

    def num(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        return messages.number(value, self.lang, digits)

    def pct(self, ratio: float | None) -> str:
        return "–" if ratio is None else self.num(100 * ratio, 1) + " %"


def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT)
