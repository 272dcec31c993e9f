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

FIELDS: dict[str, dict[str, str]] = {
    "id": {"vi": "số CCCD", "en": "ID"},
    "old_id": {"vi": "số CMND cũ", "en": "old ID"},
    "name": {"vi": "họ tên", "en": "name"},
    "birth_date": {"vi": "ngày sinh", "en": "birth date"},
    "issue_date": {"vi": "ngày cấp", "en": "issue date"},
    "gender": {"vi": "giới tính", "en": "gender"},
    "document_number": {"vi": "số giấy tờ", "en": "document number"},
    "phone": {"vi": "số điện thoại", "en": "phone"},
    "qid": {"vi": "mã QID", "en": "QID"},
}

DETAILS: dict[str, dict[str, str]] = {
    "": {"vi": "", "en": ""},
    "date_format": {"vi": "{field} '{value}': phải có dạng NNTTNNNN",
                    "en": "{field} '{value}': expected DDMMYYYY"},
    "no_such_date": {"vi": "{field} '{value}': ngày không tồn tại",
                     "en": "{field} '{value}': no such date"},
    "in_future": {"vi": "{field} '{value}': ở tương lai", "en": "{field} '{value}': in the future"},
    "id_digits": {"vi": "{field} '{value}': phải có 12 chữ số",
                  "en": "{field} '{value}': expected 12 digits"},
    "old_id_digits": {"vi": "{field} '{value}': phải có 9 hoặc 12 chữ số, hoặc để trống",
                      "en": "{field} '{value}': expected 9 or 12 digits or empty"},
    "gender": {"vi": "{field} '{value}': phải là Nam hoặc Nữ",
               "en": "{field} '{value}': expected Nam or Nữ"},
    "missing": {"vi": "thiếu {field}", "en": "{field} is empty"},
    "issued_before_birth": {"vi": "ngày cấp trước ngày sinh",
                            "en": "issue date is before birth date"},
    "digits": {"vi": "{field} '{value}': chỉ được có chữ số",
               "en": "{field} '{value}': expected digits"},
    "document_format": {"vi": "{field} '{value}': phải có 9 hoặc 12 chữ số, hoặc số hộ chiếu",
                        "en": "{field} '{value}': expected 9 or 12 digits, or a passport "
                              "number"},
    "phone_format": {"vi": "{field} '{value}': không đúng dạng số điện thoại",
                     "en": "{field} '{value}': not a phone number"},
    "document_or_phone": {"vi": "cần số giấy tờ hoặc số điện thoại",
                          "en": "a document number or a phone number is needed"},
    "size_bytes": {"vi": "{value} byte", "en": "{value} bytes"},
    "size_chars": {"vi": "{value} ký tự", "en": "{value} characters"},
}
"""Why a payload was refused, worded per language; ``field`` and ``value`` fill the blanks."""

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


def detail(problem: str, language: str = "vi", *, field: str = "", value: str = "") -> str:
    template = DETAILS.get(problem, {}).get(language) or problem
    name = FIELDS.get(field, {}).get(language, field)
    return template.format(field=name, value=value)


def kind_name(kind: str, language: str = "vi") -> str:
    return KIND_NAMES.get(kind, KIND_NAMES["other"])[language]
