"""Officer-facing words for the core's outcomes, in Vietnamese and English.

The core speaks in codes; this table turns a code into a sentence for the headless console,
the CLI and the Qt screens alike, so every front end says the same thing.
"""

from __future__ import annotations

LANGUAGES = ("vi", "en")

_TEXT: dict[str, dict[str, str]] = {
    "accepted": {"vi": "Hợp lệ", "en": "Accepted"},
    "duplicate": {"vi": "Đã quét {minutes} phút trước", "en": "Already scanned {minutes} min ago"},
    "rejected": {"vi": "Không hợp lệ", "en": "Refused"},
    "in": {"vi": "VÀO", "en": "IN"},
    "out": {"vi": "RA", "en": "OUT"},
    "empty": {"vi": "Mã trống, không đọc được", "en": "Empty code, nothing to read"},
    "too_large": {"vi": "Mã quá dài, không phải mã QR hợp lệ ({detail})",
                  "en": "Code too long to be a QR code ({detail})"},
    "cccd_bad_field": {"vi": "Mã CCCD sai: {detail}", "en": "Invalid CCCD code: {detail}"},
    "pccovid_bad_field": {"vi": "Mã PC-Covid sai: {detail}",
                          "en": "Invalid PC-Covid code: {detail}"},
    "manual_bad_field": {"vi": "Khai báo thủ công thiếu hoặc sai: {detail}",
                         "en": "Manual entry incomplete or wrong: {detail}"},
    "storage_error": {"vi": "Lỗi lưu trữ, lượt quét CHƯA được ghi: {detail}",
                      "en": "Storage error, scan NOT recorded: {detail}"},
    "blocked_duplicate": {"vi": "Đã quét {minutes} phút trước, không ghi lại",
                          "en": "Already scanned {minutes} min ago, not recorded again"},
}

KIND_NAMES: dict[str, dict[str, str]] = {
    "cccd": {"vi": "CCCD", "en": "Citizen ID"},
    "pccovid": {"vi": "PC-Covid", "en": "PC-Covid"},
    "hc1": {"vi": "Chứng nhận tiêm chủng", "en": "Vaccination certificate"},
    "manual": {"vi": "Khai báo thủ công", "en": "Manual entry"},
    "other": {"vi": "Mã khác", "en": "Other code"},
}


def text(code: str, language: str = "vi", **params: object) -> str:
    """The sentence for ``code``; an unknown code is shown as itself rather than hidden."""
    template = _TEXT.get(code, {}).get(language) or _TEXT.get(code, {}).get("en") or code
    try:
        return template.format(**params).replace(" ()", "").rstrip(": ")
    except (KeyError, IndexError):
        return template


def kind_name(kind: str, language: str = "vi") -> str:
    return KIND_NAMES.get(kind, KIND_NAMES["other"])[language]
