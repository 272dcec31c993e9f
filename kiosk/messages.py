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
    "certificate_not_valid": {"vi": "Chứng nhận không hợp lệ, không ghi: {detail}",
                              "en": "Certificate not valid, not recorded: {detail}"},
    "certificate_recorded": {"vi": "Đã ghi {direction}", "en": "Recorded {direction}"},
    "certificate_refused": {"vi": "KHÔNG GHI — trạm chỉ nhận chứng nhận hợp lệ",
                            "en": "NOT RECORDED — only valid certificates are accepted here"},
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

CERTIFICATE_VERDICTS: dict[str, dict[str, str]] = {
    "valid": {"vi": "CHỨNG NHẬN HỢP LỆ", "en": "CERTIFICATE VALID"},
    "expired": {"vi": "HẾT HẠN", "en": "EXPIRED"},
    "not_yet_valid": {"vi": "CHƯA CÓ HIỆU LỰC", "en": "NOT YET VALID"},
    "trust_list_stale": {"vi": "DANH SÁCH KHÓA QUÁ CŨ — CHƯA CHẮC HỢP LỆ",
                         "en": "TRUST LIST TOO OLD — NOT CONFIRMED"},
    "no_trust_list": {"vi": "CHƯA CÓ DANH SÁCH KHÓA — CHƯA KIỂM TRA",
                      "en": "NO TRUST LIST — NOT CHECKED"},
    "unknown_issuer": {"vi": "KHÔNG RÕ NƠI CẤP", "en": "ISSUER UNKNOWN"},
    "bad_signature": {"vi": "CHỮ KÝ KHÔNG HỢP LỆ", "en": "SIGNATURE NOT VALID"},
    "wrong_kind": {"vi": "NƠI CẤP KHÔNG ĐƯỢC CẤP LOẠI NÀY",
                   "en": "ISSUER MAY NOT SIGN THIS KIND"},
    "positive_test": {"vi": "XÉT NGHIỆM DƯƠNG TÍNH", "en": "TEST POSITIVE"},
    "unreadable": {"vi": "CHỨNG NHẬN KHÔNG ĐỌC ĐƯỢC", "en": "CERTIFICATE UNREADABLE"},
}
"""The officer's headline for each certificate verdict (kiosk.certificates.verdicts)."""
DETAILS.update({f"certificate_{status}": words for status, words in CERTIFICATE_VERDICTS.items()})

_CERTIFICATE_FACTS: dict[str, dict[str, str]] = {
    "doses": {"vi": "{dose}/{doses} mũi", "en": "dose {dose}/{doses}"},
    "vaccinated_on": {"vi": "tiêm ngày {date}", "en": "vaccinated {date}"},
    "not_detected": {"vi": "xét nghiệm âm tính", "en": "test negative"},
    "detected": {"vi": "xét nghiệm DƯƠNG TÍNH", "en": "test POSITIVE"},
    "sampled": {"vi": "lấy mẫu {when}", "en": "sampled {when}"},
    "recovered": {"vi": "đã khỏi bệnh, hiệu lực đến {until}",
                  "en": "recovered, valid until {until}"},
    "born": {"vi": "Ngày sinh {date}", "en": "Born {date}"},
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


def detail(problem: str, language: str = "vi", *, field: str = "", value: str = "") -> str:
    template = DETAILS.get(problem, {}).get(language) or problem
    name = FIELDS.get(field, {}).get(language, field)
    return template.format(field=name, value=value)


def certificate_verdict(status: str, language: str = "vi") -> str:
    return CERTIFICATE_VERDICTS.get(status, {}).get(language, status.upper())


_FACT_SHOWN = ("valid", "expired", "not_yet_valid", "trust_list_stale", "no_trust_list")


def certificate_line(status: str, kind: str | None, facts: dict[str, object],
                     language: str = "vi") -> str:
    """"CHỨNG NHẬN HỢP LỆ — 2/2 mũi": the verdict, with the key fact unless the certificate is
    known to be forged or unfit (a forger's "2/2" is not repeated on screen)."""
    verdict = certificate_verdict(status, language)
    fact = (certificate_key_fact(kind, facts, language) if status in _FACT_SHOWN else "")
    return f"{verdict} — {fact}" if fact else verdict


def certificate_key_fact(kind: str | None, facts: dict[str, object], language: str = "vi"
                         ) -> str:
    """The one fact that goes beside the verdict: "2/2 mũi", "xét nghiệm âm tính"…"""
    words = {k: v[language] for k, v in _CERTIFICATE_FACTS.items()}
    if kind == "vaccination" and facts.get("dose") is not None:
        return words["doses"].format(dose=facts["dose"], doses=facts.get("doses", "?"))
    if kind == "test" and facts.get("result") in ("not_detected", "detected"):
        return words[str(facts["result"])]
    if kind == "recovery" and facts.get("valid_until"):
        return words["recovered"].format(until=facts["valid_until"])
    return kind_name("hc1", language) if kind else ""


def certificate_details(status: str, kind: str | None, facts: dict[str, object],
                        language: str = "vi") -> list[str]:
    """The birth date to compare with an ID card, and the certificate's own date unless it is
    known to be forged or unfit."""
    words = {k: v[language] for k, v in _CERTIFICATE_FACTS.items()}
    lines = []
    if facts.get("birth_date"):
        lines.append(words["born"].format(date=facts["birth_date"]))
    if status not in _FACT_SHOWN:
        return lines
    if kind == "vaccination" and facts.get("date"):
        lines.append(words["vaccinated_on"].format(date=facts["date"]))
    if kind == "test" and facts.get("sampled_at"):
        lines.append(words["sampled"].format(when=facts["sampled_at"]))
    return lines


def kind_name(kind: str, language: str = "vi") -> str:
    return KIND_NAMES.get(kind, KIND_NAMES["other"])[language]
