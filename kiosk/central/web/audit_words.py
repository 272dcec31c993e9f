"""The audit log's subjects as the dashboard shows them: in the reader's language.

The log keeps each subject as it was written (append-only, in the project's plain English:
``account binh.tran (district, district Đồng Xoài)``, ``BP-DX-666: added, province 'Bình
Phước', …, closed_on None``, ``name Nguyễn Văn An born 1990: 19 people, none shown``). The
Audit log page showed that text to Vietnamese-speaking staff, Python's ``None`` included;
here the shapes the centre writes are read back and worded through the catalogue
(``web.subject.*``). A subject of no known shape is shown as it is."""

from __future__ import annotations

import re

from kiosk import messages
from kiosk.central.web.i18n import Translator

_ACCOUNT = re.compile(r"account (?P<name>[a-z0-9._-]+) \((?P<role>admin|district|tracer|viewer)"
                      r"(?:, district (?P<district>[^)]*))?\)")
_KIOSK = re.compile(r"kiosk (?P<kiosk>\S+) \((?P<name>.*)\) at checkpoint (?P<point>\S+?)"
                    r"(?P<created> \(checkpoint created\))?(?P<revoked>: token refused from "
                    r"now on)?")
_COUNT = re.compile(r"(?P<who>.+): (?P<people>\d+) people, none shown")
_WHOM = re.compile(r"(?:payload (?P<kind>[a-z_0-9]+)(?:: |$))?(?:(?P<foreign>foreign )?"
                   r"document (?P<document>.+)|"
                   r"phone (?P<phone>.+)|name (?P<name>.+) born (?P<year>\d{4})|"
                   r"match key (?P<key>.+))?")
_POINT = re.compile(r"(?P<id>[^:]+): (?P<added>added, )?(?P<fields>.*)")
_VALUE = r"(?:'[^']*'|\"[^\"]*\"|None)"
_FIELD = re.compile(rf"(?P<field>province|district|commune|kind|set_up_on|closed_on) "
                    rf"(?P<old>{_VALUE})(?: → (?P<new>{_VALUE}))?")
_RESTORED = re.compile(r"uploads received until (?P<newest>.+), noted until (?P<marked>.+): "
                       r"kiosk sync resend --since (?P<since>\S+)")
_TOKEN = re.compile(r"kiosk (?P<kiosk>\S+) \((?:active|revoked (?P<at>\S+), restored)\): "
                    r"(?:new token|one-time enrolment code until (?P<until>\S+)); "
                    r"old token refused")
_SOURCE = re.compile(r"(?P<kiosk>\S+) boot (?P<boot>\S+): (?P<entries>\d+) entries"
                     r"(?:, (?P<kept>\d+) kept \(sent by another boot too\))?")
_KEY = re.compile(r"kiosk (?P<kiosk>\S+) backlog signing key (?P<key>\S+(?: → \S+)?)"
                  r"(?P<forgotten>, compromised: old keys forgotten)?")
_SETTING = re.compile(r"(?P<setting>retention_days|personal_retention_days|traces_per_hour) "
                      r"(?P<old>\d+) → (?P<new>\d+)")
FIELDS = ("province", "district", "commune", "kind", "set_up_on", "closed_on")


def subject(t: Translator, kind: str, text: str) -> str:
    """``text``, the subject of an audit record of ``kind``, in ``t``'s language."""
    if kind.startswith("user-") or kind == "sign-in":
        return _ACCOUNT.sub(lambda m: _account(t, m), text)
    if kind in ("kiosk-enrol", "kiosk-revoke") and (m := _KIOSK.fullmatch(text)):
        words = t("subject.kiosk", kiosk=m["kiosk"], name=m["name"], point=m["point"])
        return (words + (t("subject.point_created") if m["created"] else "")
                + (t("subject.token_refused") if m["revoked"] else ""))
    if kind == "kiosk-token" and (m := _TOKEN.fullmatch(text)):
        restored = t("subject.token_restored", at=m["at"]) if m["at"] else ""
        return (t("subject.token_code", kiosk=m["kiosk"], restored=restored, until=m["until"])
                if m["until"] else t("subject.token_new", kiosk=m["kiosk"], restored=restored))
    if kind in ("kiosk-set-aside", "kiosk-bring-back") and (m := _SOURCE.fullmatch(text)):
        words = t("subject.set_aside" if kind == "kiosk-set-aside" else "subject.brought_back",
                  kiosk=m["kiosk"], boot=m["boot"], entries=t.num(int(m["entries"])))
        return words + (t("subject.set_aside_kept", kept=t.num(int(m["kept"])))
                        if m["kept"] else "")
    if kind in ("kiosk-key", "signing-key") and (m := _KEY.fullmatch(text)):
        return (t("subject.signing_key", kiosk=m["kiosk"], key=m["key"])
                + (t("subject.keys_forgotten") if m["forgotten"] else ""))
    if kind in ("retention", "trace-limit") and all(
            _SETTING.fullmatch(part) for part in text.split("; ")):
        return "; ".join(t("subject.setting_changed", old=m["old"], new=m["new"],
                           setting=t(f"subject.setting.{m['setting']}"))
                         for m in map(_SETTING.fullmatch, text.split("; ")) if m)
    if kind == "checkpoint" and (m := _POINT.fullmatch(text)):
        return _point(t, m)
    if kind == "restored-acknowledged" and (m := _RESTORED.fullmatch(text)):
        return t("subject.restored", **m.groupdict())
    if m := _COUNT.fullmatch(text):
        return t("subject.people_count", whom=_whom(t, m["who"]), people=m["people"])
    if kind.startswith("trace"):
        return _whom(t, text)
    return text


def _account(t: Translator, m: re.Match[str]) -> str:
    role = t(f"role.{m['role']}")
    if m["district"]:
        return t("subject.account_in", name=m["name"], role=role, district=m["district"])
    return t("subject.account", name=m["name"], role=role)


def _whom(t: Translator, text: str) -> str:
    m = _WHOM.fullmatch(text)
    if m is None or not any(m.groupdict().values()):
        return text
    if m["document"] is not None:
        said = t("subject.foreign_document" if m["foreign"] else "subject.document",
                 document=m["document"])
    elif m["phone"] is not None:
        said = t("subject.phone", phone=m["phone"])
    elif m["name"] is not None:
        said = t("subject.name_born", name=m["name"], year=m["year"])
    elif m["key"] is not None:
        said = t("subject.match_key", key=m["key"])
    else:
        said = ""
    if m["kind"] is None:
        return said
    scanned = t("subject.scanned", kind=m["kind"])
    return f"{scanned}: {said}" if said else scanned


def _point(t: Translator, m: re.Match[str]) -> str:
    changes = []
    for field in _FIELD.finditer(m["fields"]):
        label = t(f"subject.field.{field['field']}")
        old = _value(t, field["field"], field["old"])
        if field["new"] is None:
            changes.append(f"{label} {old}")
        else:
            changes.append(f"{label} {old} → {_value(t, field['field'], field['new'])}")
    if not changes:
        return m.string
    said = ", ".join(changes)
    return t("subject.point_added" if m["added"] else "subject.point_changed", point=m["id"],
             changes=said)


def _value(t: Translator, field: str, value: str) -> str:
    """A value as Python's repr wrote it: None or '' as a dash, a kind as its label."""
    plain = "" if value == "None" else value[1:-1]
    if not plain:
        return "—"
    if field == "kind" and f"web.kind.{plain}" in messages.CATALOGUE:
        return t(f"kind.{plain}")
    return plain
